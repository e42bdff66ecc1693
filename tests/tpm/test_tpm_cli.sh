#!/usr/bin/env bash
# The CLI with a TPM, end to end against a private swtpm (EK certificates from swtpm_setup
# and a private swtpm-localca configuration in $WORK; ports picked free on 127.0.0.1):
# keys create (blob, persistent, RSA-3072), sign --token tpm2:..., hallmark verify; keys
# attest and verify --require-key-attestation, refused with each reason; enrolment by
# credential activation (ak-challenge / ak-activate, then --tpm-ak); a SoftHSM key's
# self-asserted attestation.
source "$HM_SRC/tests/lib.sh"
cd "$WORK"
export TSS2_LOG=all+none

# ---- a private swtpm ----------------------------------------------------------------------
mkdir -p state ekca
cat > ekca/swtpm-localca.conf <<EOF
statedir = $WORK/ekca
signingkey = $WORK/ekca/signkey.pem
issuercert = $WORK/ekca/issuercert.pem
certserial = $WORK/ekca/certserial
EOF
printf -- '--platform-manufacturer Hallmark\n--platform-version 2.1\n--platform-model test\n' \
  > ekca/swtpm-localca.options
cat > ekca/swtpm_setup.conf <<EOF
create_certs_tool = /usr/bin/swtpm_localca
create_certs_tool_config = $WORK/ekca/swtpm-localca.conf
create_certs_tool_options = $WORK/ekca/swtpm-localca.options
active_pcr_banks = sha256
EOF
swtpm_setup --tpm2 --tpmstate "$WORK/state" --create-ek-cert --ecc --lock-nvram \
  --config "$WORK/ekca/swtpm_setup.conf" > setup.log 2>&1 || { cat setup.log; exit 1; }
free_pair() { # a port P with P+1 free too (the swtpm TCTI's control port), below the
  # ephemeral range, where the TCTI's per-command connections leave TIME_WAIT sockets
  python3 - <<'PY'
import random, socket
for _ in range(200):
    p = 20000 + 2 * random.randrange(6000)
    try:
        for q in (p, p + 1):
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", q)); s.close()
        print(p); break
    except OSError:
        pass
PY
}
P=$(free_pair)
swtpm socket --tpm2 --server type=tcp,port=$P,bindaddr=127.0.0.1 \
  --ctrl type=tcp,port=$((P + 1)),bindaddr=127.0.0.1 --tpmstate dir="$WORK/state" \
  --flags not-need-init,startup-clear --log file="$WORK/swtpm.log",level=1 &
SWTPM=$!
trap 'kill $SWTPM 2>/dev/null; wait $SWTPM 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$P) 2>/dev/null && break; sleep 0.02; done
head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' > key.auth
chmod 600 key.auth
T="tpm2:?tcti=swtpm:host=127.0.0.1,port=$P&auth-source=file:$WORK/key.auth"
ROOTS=$WORK/ekca/swtpm-localca-rootca-cert.pem
CHAIN=$WORK/ekca/issuercert.pem

# ---- keys ---------------------------------------------------------------------------------
expect 0 "uri: tpm2:blob=$WORK/fw.tpm2" "keys create: a P-256 blob" -- \
  "$HM" keys create --token "$T" --label fw --alg ec-p256 --blob fw.tpm2
[ "$(stat -c %a fw.tpm2)" = 600 ] && ok "the blob is mode 0600" || not_ok "blob mode"
expect 0 "tpm2:handle=0x81000010" "keys create: a persistent key" -- \
  "$HM" keys create --token "$T" --label pk --alg ec-p256 --persistent 0x81000010
expect 2 "exists" "keys create refuses a taken handle" -- \
  "$HM" keys create --token "$T" --label pk --alg ec-p256 --persistent 0x81000010
expect 2 "not both" "keys create: --persistent or --blob" -- \
  "$HM" keys create --token "$T" --label x --alg ec-p256 --persistent 0x81000011 --blob x.tpm2
expect 0 "created rsa-3072 key" "keys create: RSA-3072" -- \
  "$HM" keys create --token "$T" --label rsa --alg rsa-3072 --blob rsa.tpm2
for k in fw rsa; do
  expect 0 "wrote" "keys export $k" -- "$HM" keys export --token "$T" --key "tpm2:blob=$WORK/$k.tpm2" --out $k.pub.pem
done
expect 0 "wrote" "keys export the persistent key" -- \
  "$HM" keys export --token "$T" --key tpm2:handle=0x81000010 --out pk.pub.pem

# ---- sign and verify ----------------------------------------------------------------------
head -c 300000 /dev/urandom > fw.bin
for k in fw rsa; do
  expect 0 "signed acme 1.0.0" "sign --token tpm2: with $k" -- "$HM" sign --token "$T" \
    --key "tpm2:blob=$WORK/$k.tpm2" --product acme --version 1.0.0 --out b-$k.json fw.bin
  expect 0 "^verified: acme 1.0.0" "hallmark verify accepts the TPM's $k signature" -- \
    "$HM" verify --key $k.pub.pem --bundle b-$k.json fw.bin
done
expect 1 "bad-signature|unknown-key" "a bundle does not verify with another TPM key" -- \
  "$HM" verify --key pk.pub.pem --bundle b-fw.json fw.bin

# ---- key attestation ----------------------------------------------------------------------
expect 0 "key attestation \(tpm2-certify\)" "keys attest a TPM key" -- \
  "$HM" keys attest --token "$T" --key "tpm2:blob=$WORK/fw.tpm2" --ek-chain "$CHAIN" --out att.json
expect 0 "key attestation \(tpm2-certify\)" "keys attest the persistent key" -- \
  "$HM" keys attest --token "$T" --key tpm2:handle=0x81000010 --ek-chain "$CHAIN" --out att-pk.json
V=("$HM" verify --key fw.pub.pem --bundle b-fw.json)
expect 0 "key attestation: TPM-resident key.*asserted, not proven" \
  "verify --require-key-attestation accepts it" -- \
  "${V[@]}" --require-key-attestation --key-attestation att.json --tpm-roots "$ROOTS" fw.bin
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
  -out other-root.pem -subj /CN=not-the-tpm-vendor -days 2 2>/dev/null
expect 1 "key-attestation: ek-chain" "a wrong manufacturer root is refused" -- \
  "${V[@]}" --require-key-attestation --key-attestation att.json --tpm-roots other-root.pem fw.bin
expect 1 "key-attestation: bad-signature" "another key's attestation is refused" -- \
  "${V[@]}" --require-key-attestation --key-attestation att-pk.json --tpm-roots "$ROOTS" fw.bin
python3 - att.json att-tampered.json <<'PY'
import base64, json, sys
b = json.load(open(sys.argv[1]))
env = b["dsseEnvelope"]
p = json.loads(base64.b64decode(env["payload"]))
ci = bytearray(base64.b64decode(p["predicate"]["tpm2"]["certifyInfo"])); ci[0] ^= 1
p["predicate"]["tpm2"]["certifyInfo"] = base64.b64encode(bytes(ci)).decode()
env["payload"] = base64.b64encode(json.dumps(p).encode()).decode()
json.dump(b, open(sys.argv[2], "w"))
PY
expect 1 "key-attestation: bad-signature" "a tampered attestation is refused (possession)" -- \
  "${V[@]}" --require-key-attestation --key-attestation att-tampered.json --tpm-roots "$ROOTS" fw.bin
expect 2 "need --key-attestation" "--require-key-attestation needs the file" -- \
  "${V[@]}" --require-key-attestation --tpm-roots "$ROOTS" fw.bin

# ---- enrolment: credential activation proves the AK is in the EK's TPM --------------------
expect 0 "wrote challenge" "ak-challenge from a verified attestation" -- \
  "$HM" keys ak-challenge --key-attestation att.json --pubkey fw.pub.pem --tpm-roots "$ROOTS" \
  --out chal.bin --secret-out expected.secret --ak-out ak.pem
expect 0 "recovered" "ak-activate in the TPM" -- \
  "$HM" keys ak-activate --token "$T" --challenge chal.bin --secret-out answer.secret
cmp -s expected.secret answer.secret && ok "the TPM answered with the verifier's secret" ||
  not_ok "the answer differs from the secret"
expect 0 "enrolled by credential activation" "verify --tpm-ak: the AK-EK binding is proven" -- \
  "${V[@]}" --require-key-attestation --key-attestation att.json --tpm-roots "$ROOTS" \
  --tpm-ak ak.pem fw.bin
expect 1 "key-attestation: ak-not-enrolled" "verify --tpm-ak with another AK is refused" -- \
  "${V[@]}" --require-key-attestation --key-attestation att.json --tpm-roots "$ROOTS" \
  --tpm-ak fw.pub.pem fw.bin

# ---- PKCS#11: self-asserted ---------------------------------------------------------------
S=$WORK/hsm
expect 0 "created token" "keys init (SoftHSM)" -- "$HM" keys init --state "$S"
expect 0 "created ec-p256 key" "keys create (SoftHSM)" -- "$HM" keys create --state "$S" --label sk --alg ec-p256
"$HM" keys export --state "$S" --key sk --out sk.pub.pem >/dev/null
"$HM" sign --state "$S" --key sk --product acme --version 1.0.0 --out b-sk.json fw.bin >/dev/null
expect 0 "\(pkcs11-self-asserted\)" "keys attest a SoftHSM key" -- \
  "$HM" keys attest --state "$S" --key sk --out att-sk.json
expect 1 "key-attestation: self-asserted" "self-asserted evidence is refused by default" -- \
  "$HM" verify --key sk.pub.pem --bundle b-sk.json --key-attestation att-sk.json fw.bin
expect 0 "key attestation: self-asserted" "and accepted with --allow-self-asserted" -- \
  "$HM" verify --key sk.pub.pem --bundle b-sk.json --key-attestation att-sk.json \
  --allow-self-asserted fw.bin

# ---- the statements match docs/schemas/key-attestation-v1.schema.json ---------------------
if python3 -c 'import jsonschema' 2>/dev/null; then
  for f in att.json att-pk.json att-sk.json; do
    if python3 - "$HM_SRC/docs/schemas/key-attestation-v1.schema.json" "$f" <<'PY'
import base64, hashlib, json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
st = json.loads(base64.b64decode(json.load(open(sys.argv[2]))["dsseEnvelope"]["payload"]))
jsonschema.Draft202012Validator(schema).validate(st["predicate"])
spki = base64.b64decode(st["predicate"]["publicKey"])
assert st["subject"] == [{"name": "signing-key", "digest": {"sha256": hashlib.sha256(spki).hexdigest()}}]
assert st["predicateType"] == "https://hallmark.dev/attestation/key/v1"
PY
    then ok "$f matches the documented schema and subject"; else not_ok "$f does not match the schema"; fi
  done
else
  echo "skip: python3-jsonschema is not installed"
fi
finish

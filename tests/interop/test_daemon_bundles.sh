#!/usr/bin/env bash
# hallmarkd's bundles for every key type `hallmark keys create` makes on SoftHSM (ec-p256,
# ec-p384, ed25519, rsa-3072), one product each, with an Ed25519 log key:
#  - `hallmark verify --trust-root` accepts every bundle with its log proof;
#  - npm's @sigstore/verify 3.1.1 (tlogThreshold 1, sigstore_verify_tlog.js) accepts the
#    P-256 and Ed25519 ones as they are; as docs/formats.md §7.4 and §1 say, it refuses the
#    P-384 one (it checks every EC signature with SHA-256; we sign P-384 with SHA-384) and the
#    RSA-PSS one with the key as it is (PKCS#1 v1.5), and accepts RSA-PSS only through a key
#    finder with PSS options;
#  - a second hallmarkd with an ECDSA P-256 log key: one bundle, both verifiers accept it.
source "$HM_SRC/tests/log/lib_log.sh"
JS=$HM_SRC/tests/interop
command -v node >/dev/null || { echo "SKIP-FAIL: node is needed"; exit 1; }
command -v python3 >/dev/null || { echo "SKIP-FAIL: python3 is needed"; exit 1; }
[ -d "$JS/node_modules/@sigstore/verify" ] || { echo "node_modules missing: run ci/install"; exit 1; }
export NODE_PATH=$JS/node_modules
T=$(tls_opts)
ALGS="ec-p256 ec-p384 ed25519 rsa-3072"

make_pki
make_token
make_artifact
make_log_key ed25519 log-ed25519
export SOFTHSM2_CONF=$W/state/softhsm2.conf
SPECS=()
for alg in $ALGS; do # fw-p256 (ec-p256) exists already: the token's first key
    key=fw-$alg
    [ "$alg" = ec-p256 ] && key=fw-p256
    if [ "$alg" != ec-p256 ]; then
        check "hallmark keys create --alg $alg" 0 "" -- "$HALLMARK" keys create --token "$TOKEN_URI" --label "$key" --alg "$alg"
    fi
    check "hallmark keys export $key" 0 "" -- "$HALLMARK" keys export --token "$TOKEN_URI" --key "$key" --out "$W/$key.pub.pem"
    SPECS+=("$W/$key.pub.pem:products=dev-$alg")
done

# products dev-<alg>, each signed by its key; the log section given
write_config "$W/hallmarkd.json"
add_tlog "$W/hallmarkd.json" log.hallmark.test/interop log-ed25519
python3 - "$W/hallmarkd.json" $ALGS <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["products"] = [{"name": "dev-" + a, "key": "fw-p256" if a == "ec-p256" else "fw-" + a,
                  "clients": ["cn:ci-acme"]} for a in sys.argv[2:]]
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
make_root "$W/root.json" log.hallmark.test/interop "$W/log-ed25519.pub.pem" "${SPECS[@]}"
start_daemon "$W/hallmarkd.json"

sign_product() { # sign_product PRODUCT OUT
    # shellcheck disable=SC2086
    "$HALLMARK" sign --server "$URL" $T --product "$1" --version 1.0.0 --out "$2" "$W/firmware.bin"
}
sjs() { node "$JS/sigstore_verify_tlog.js" "$@"; }

for alg in $ALGS; do
    b=$W/b-$alg.json
    check "hallmarkd signs dev-$alg" 0 "" -- sign_product "dev-$alg" "$b"
    expect "the $alg bundle carries a log entry" 1 "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["verificationMaterial"]["tlogEntries"]))' "$b" 2>&1)"
    check "hallmark verify --trust-root accepts the $alg bundle with its log proof" 0 \
        "^verified: dev-$alg 1\.0\.0 .*logged at index [0-9]+" -- \
        "$HALLMARK" verify --trust-root "$W/root.json" --product "dev-$alg" --bundle "$b" "$W/firmware.bin"
done
for alg in ec-p256 ed25519; do
    check "@sigstore/verify accepts the $alg bundle with its log entry (tlogThreshold 1)" 0 \
        "^sigstore-js: verified .* with its tlog entry \(index [0-9]+, kind dsse 0\.0\.1, tlogThreshold 1" -- \
        sjs "$W/root.json" "$W/b-$alg.json" as-is
done
# docs/formats.md §7.4: "P-384 signatures fail there and RSA-PSS needs a key finder with PSS
# options (§1)" -- the log entry itself is not the cause: §1 says why.
check "@sigstore/verify refuses the P-384 bundle: its signature check (SHA-256 for every EC key)" 1 \
    "^sigstore-js: REJECTED .*b-ec-p384.json: SIGNATURE_ERROR: signature verification failed$" -- sjs "$W/root.json" "$W/b-ec-p384.json" as-is
# why (§1): Node's crypto.verify(undefined, ...) hashes a P-384 key's message with SHA-256;
# the signature is ECDSA over SHA-384 of the DSSE PAE, and verifies as such
check "the P-384 signature verifies with SHA-384 and not with Node's default (SHA-256)" 0 \
    "^sha384 true default false$" -- node -e '
const fs = require("fs"), crypto = require("crypto");
const [bundle, pem] = process.argv.slice(1);
const env = JSON.parse(fs.readFileSync(bundle, "utf8")).dsseEnvelope;
const body = Buffer.from(env.payload, "base64"), t = Buffer.from(env.payloadType);
const pae = Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${body.length} `), body]);
const sig = Buffer.from(env.signatures[0].sig, "base64"), key = crypto.createPublicKey(fs.readFileSync(pem));
console.log(`sha384 ${crypto.verify("sha384", pae, key, sig)} default ${crypto.verify(undefined, pae, key, sig)}`);
' "$W/b-ec-p384.json" "$W/fw-ec-p384.pub.pem"
check "@sigstore/verify refuses the RSA-PSS bundle with the key as it is (PKCS#1 v1.5)" 1 \
    "^sigstore-js: REJECTED .*b-rsa-3072.json: SIGNATURE_ERROR: signature verification failed$" -- sjs "$W/root.json" "$W/b-rsa-3072.json" as-is
check "@sigstore/verify accepts the RSA-PSS bundle through a key finder with PSS options" 0 \
    "^sigstore-js: verified .*b-rsa-3072.json with its tlog entry" -- sjs "$W/root.json" "$W/b-rsa-3072.json" pss
check "sigstore_verify_tlog.js without a mode (PSS finder by default) agrees on the RSA-PSS bundle" 0 \
    "^sigstore-js: verified .*tlogThreshold 1" -- node "$JS/sigstore_verify_tlog.js" "$W/root.json" "$W/b-rsa-3072.json"
# the log proof is what makes the P-256 bundle pass: without the entry, tlogThreshold 1 refuses
python3 - "$W/b-ec-p256.json" "$W/nolog.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1])); b["verificationMaterial"]["tlogEntries"] = []
json.dump(b, open(sys.argv[2], "w"))
PY
check "@sigstore/verify refuses the P-256 bundle without its entry" 1 \
    "REJECTED .*: TLOG_ERROR: expected 1 tlog entries, got 0" -- sjs "$W/root.json" "$W/nolog.json" as-is
check "hallmark verify refuses it too" 1 "^verification failed: log-proof-invalid: no transparency-log entry$" -- \
    "$HALLMARK" verify --trust-root "$W/root.json" --bundle "$W/nolog.json" "$W/firmware.bin"
kill -KILL "$HMD_PID"
{ wait "$HMD_PID"; } 2>/dev/null || true

# ---- a second daemon: an ECDSA P-256 log key, its own store and origin ----
make_log_key ec-p256 log-p256
sed "s|sqlite:$W/hallmark.db|sqlite:$W/p256log.db|" "$W/hallmarkd.json" >"$W/p256log.json"
python3 - "$W/p256log.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["tlog"].update({"origin": "log.hallmark.test/p256", "key": "log-p256"})
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
make_root "$W/root-p256.json" log.hallmark.test/p256 "$W/log-p256.pub.pem" "${SPECS[@]}"
expect "the P-256 log is listed as ec-p256 in the root" ec-p256 "$(python3 -c 'import base64,json,sys; print(json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))["logs"][0]["algorithm"])' "$W/root-p256.json")"
start_daemon "$W/p256log.json"
check "the P-256-log daemon signs dev-ec-p256" 0 "" -- sign_product dev-ec-p256 "$W/p-ec-p256.json"
check "hallmark verify --trust-root accepts it with its P-256-signed checkpoint" 0 \
    "^verified: dev-ec-p256 1\.0\.0 .*logged at index [0-9]+" -- \
    "$HALLMARK" verify --trust-root "$W/root-p256.json" --bundle "$W/p-ec-p256.json" "$W/firmware.bin"
check "@sigstore/verify accepts it (tlogThreshold 1)" 0 "^sigstore-js: verified .*tlogThreshold 1" -- \
    sjs "$W/root-p256.json" "$W/p-ec-p256.json" as-is
check "hallmark verify refuses it under the Ed25519 log's root" 1 \
    "^verification failed: log-proof-invalid: no transparency-log entry is from a log of the trust root \(logId\)$" -- \
    "$HALLMARK" verify --trust-root "$W/root.json" --bundle "$W/p-ec-p256.json" "$W/firmware.bin"
check "@sigstore/verify refuses it under the Ed25519 log's root" 1 "^sigstore-js: REJECTED .*: TLOG_INCLUSION_PROOF_ERROR: invalid checkpoint signature$" -- \
    sjs "$W/root.json" "$W/p-ec-p256.json" as-is
expect "no sanitizer report in the daemon log" 0 "$(grep -cE 'AddressSanitizer|runtime error:' "$W/hmd.log" || true)"
finish

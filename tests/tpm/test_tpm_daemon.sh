#!/usr/bin/env bash
# hallmarkd with a TPM key, against a private swtpm (EK certificates from swtpm_setup with a
# local CA; ports picked free on 127.0.0.1; state in the test's temporary folder):
#  - a product signed by a tpm2:handle= key, the bundle verified by `hallmark verify`;
#  - GET /v1/keys: the TPM key's tpm2-certify attestation and the PKCS#11 key's
#    self-asserted one; `hallmark verify --trust-root` with a root that requires attested
#    keys accepts the TPM key's bundle with the reply as --key-attestation, and refuses with
#    its reason: no attestation (missing), a wrong manufacturer root (ek-chain), a tampered
#    reply (bad-signature), the PKCS#11 key (self-asserted);
#  - swtpm killed in the middle of concurrent signing and restarted on the same state:
#    503 with Retry-After while it is gone, 200 again without restarting hallmarkd, and
#    every bundle returned verifies.
source "$HM_SRC/tests/daemon/lib.sh"
source "$HM_SRC/tests/tpm/swtpm_lib.sh"
export TSS2_LOG=all+none
trap 'swtpm_stop; cleanup' EXIT
[ -x "$HALLMARK" ] || { echo "bin/hallmark is not built"; exit 1; }

make_pki
make_token
make_artifact
swtpm_provision "$W/tpm"
swtpm_start "$W/tpm"
head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$W/tpm.auth"
chmod 600 "$W/tpm.auth"
T="tpm2:?tcti=$SWTPM_TCTI&auth-source=file:$W/tpm.auth"
"$HALLMARK" keys create --token "$T" --label fw-tpm --alg ec-p256 --persistent 0x81000010 \
    >"$W/create.out" 2>&1 && ok "a persistent P-256 key in the TPM" || bad "keys create: $(cat "$W/create.out")"
"$HALLMARK" keys export --token "$T" --key tpm2:handle=0x81000010 --out "$W/tpm.pub.pem" >/dev/null

cat >"$W/hallmarkd.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "tls": { "cert": "$W/pki/server.pem", "key": "$W/pki/server.key", "client_ca": "$W/pki/ca.pem" },
  "hsm": { "uri": "$DAEMON_URI", "sessions": 2, "softhsm2_conf": "$W/state/softhsm2.conf" },
  "tpm": { "tcti": "$SWTPM_TCTI", "auth_source": "file:$W/tpm.auth",
           "ek_chain": "$SWTPM_CHAIN", "retry_budget_ms": 300 },
  "privsep": { "enabled": false },
  "store": "sqlite:$W/hallmark.db",
  "tlog": false,
  "products": [
    { "name": "acme-tpm", "channels": ["stable", "c0", "c1", "c2", "c3"],
      "key": "tpm2:handle=0x81000010", "clients": ["cn:ci-acme"] },
    { "name": "acme-thermostat", "key": "fw-p256", "clients": ["cn:ci-acme"] }
  ],
  "limits": { "rate_per_client": 1000, "read_timeout_ms": 10000 },
  "log": { "format": "text", "level": "info" }
}
JSON
out=$("$HMD" --check-config "$W/hallmarkd.json" 2>&1) && ok "--check-config opens the TPM key: $out" ||
    bad "--check-config: $out"
sed 's/"tpm": {/"tpmx": {/' "$W/hallmarkd.json" >"$W/bad.json"
out=$("$HMD" --check-config "$W/bad.json" 2>&1) || true
grep -q 'unknown key "tpmx"\|tpmx' <<<"$out" && ok "an unknown section is refused" || bad "tpmx: $out"
sed 's/"key": "tpm2:handle=0x81000010"/"key": "tpm2:handle=0x81000010?tcti=device"/' \
    "$W/hallmarkd.json" >"$W/bad.json"
out=$("$HMD" --check-config "$W/bad.json" 2>&1) || true
grep -q 'products\[0\].key.*come from the "tpm" section' <<<"$out" &&
    ok "a key URI that names its own TPM is refused" || bad "key with tcti: $out"
# refused before anything is opened: each with the key path and why
bad_tpm() { # bad_tpm WHAT SED_EXPR PATTERN
    sed "$2" "$W/hallmarkd.json" >"$W/bad.json"
    local out
    out=$("$HMD" --check-config "$W/bad.json" 2>&1) && { bad "$1: accepted"; return; }
    grep -qE -- "$3" <<<"$out" && ok "$1" || bad "$1: $out"
}
bad_tpm "an unknown TCTI" 's/"tcti": "swtpm:/"tcti": "libevil:/' 'tpm.tcti: must start with device'
bad_tpm "an auth source that is not file:/ or env:" "s|\"auth_source\": \"file:|\"auth_source\": \"|" \
    'tpm.auth_source: must be file:/ABSOLUTE/PATH or env:NAME'
bad_tpm "a retry budget out of range" 's/"retry_budget_ms": 300/"retry_budget_ms": 5/' \
    'tpm.retry_budget_ms: must be an integer from 100 to 60000'
bad_tpm "a member the section does not know" 's/"retry_budget_ms": 300/"pin": "1234"/' 'tpm.*pin'
bad_tpm "a tpm2: key without the tpm section" '/"tpm": {/,/retry_budget_ms/d' \
    'products\[0\].key: a tpm2: key needs the "tpm" section'
bad_tpm "a key the TPM does not hold" 's/0x81000010/0x81000011/' 'products\[0\].key.*not usable on the TPM'
start_daemon "$W/hallmarkd.json"

# ---- signing ------------------------------------------------------------------------------
expect "sign acme-tpm 1.0.0 with the TPM key" 200 "$(sign ci-acme acme-tpm stable 1.0.0)"
cp "$W/body" "$W/reply.json"
if "$CHECKREPLY" "$W/reply.json" "$W/tpm.pub.pem" firmware.bin "$ART_SHA256" "$ART_SHA512" \
    acme-tpm "$W/tpm.bundle.json" >"$W/check.out" 2>&1; then
    ok "the bundle verifies with libhallmark-verify"
else
    bad "checkreply: $(cat "$W/check.out")"
fi
out=$("$HALLMARK" verify --key "$W/tpm.pub.pem" --bundle "$W/tpm.bundle.json" "$W/firmware.bin" 2>&1) &&
    ok "hallmark verify: $out" || bad "hallmark verify: $out"
expect "sign acme-thermostat 1.0.0 with the PKCS#11 key" 200 "$(sign ci-acme acme-thermostat stable 1.0.0)"
cp "$W/body" "$W/reply-p11.json"
"$CHECKREPLY" "$W/reply-p11.json" "$W/fw-p256.pub.pem" firmware.bin "$ART_SHA256" "$ART_SHA512" \
    acme-thermostat "$W/p11.bundle.json" >/dev/null 2>&1 || bad "checkreply (PKCS#11)"

# ---- GET /v1/keys and the trust root ------------------------------------------------------
expect "GET /v1/keys" 200 "$(req ci-acme GET /v1/keys)"
cp "$W/body" "$W/keys.json"
grep -q '"backend":"tpm2","attestationType":"tpm2-certify","selfAsserted":false' "$W/keys.json" &&
    ok "the TPM key comes with tpm2-certify evidence" || bad "keys: $(head -c 600 "$W/keys.json")"
grep -q '"backend":"pkcs11","attestationType":"pkcs11-self-asserted","selfAsserted":true' \
    "$W/keys.json" && ok "the PKCS#11 key's attestation is marked self-asserted" ||
    bad "keys (PKCS#11): $(head -c 600 "$W/keys.json")"
expect "/v1/keys is built once per generation (same bytes twice)" 200 "$(req ci-acme GET /v1/keys)"
cmp -s "$W/body" "$W/keys.json" && ok "same reply" || bad "/v1/keys changed between two requests"

openssl genpkey -algorithm ed25519 -out "$W/root.key.pem" 2>/dev/null
openssl pkey -in "$W/root.key.pem" -pubout -out "$W/root.pub.pem"
"$HALLMARK" trust-root init --out "$W/root.json" --root-key "$W/root.pub.pem" --expires 2099-01-01 \
    --key "$W/tpm.pub.pem:products=acme-tpm:require-attestation" \
    --key "$W/fw-p256.pub.pem:products=acme-thermostat:require-attestation" \
    --sign-with "$W/root.key.pem" >"$W/root.out" 2>&1 || bad "trust-root init: $(cat "$W/root.out")"
V=("$HALLMARK" verify --trust-root "$W/root.json")
# check WANT_EXIT PATTERN WHAT -- ARGS
check() {
    local want=$1 pat=$2 what=$3 rc=0 out
    shift 4
    out=$("${V[@]}" "$@" 2>&1) || rc=$?
    if [ "$rc" = "$want" ] && grep -qE -- "$pat" <<<"$out"; then ok "$what"; else bad "$what: exit $rc: $out"; fi
}
TB=(--bundle "$W/tpm.bundle.json" "$W/firmware.bin")
check 1 "key-attestation: missing" "a root requiring attestation refuses a bundle without one" -- "${TB[@]}"
for pat in "^key attestation: TPM-resident key .*EK issued by /CN=swtpm-localca" "^verified: acme-tpm 1.0.0"; do
    check 0 "$pat" "--require-key-attestation with the /v1/keys reply accepts the TPM key: $pat" -- \
        --require-key-attestation --key-attestation "$W/keys.json" --tpm-roots "$SWTPM_ROOTS" "${TB[@]}"
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/other.key" \
    -out "$W/other-root.pem" -subj /CN=not-the-tpm-vendor -days 2 2>/dev/null
check 1 "key-attestation: ek-chain" "another manufacturer root: ek-chain" -- \
    --key-attestation "$W/keys.json" --tpm-roots "$W/other-root.pem" "${TB[@]}"
python3 - "$W/keys.json" "$W/keys-tampered.json" <<'PY'
import base64, json, sys
r = json.load(open(sys.argv[1]))
k = [k for k in r["keys"] if k["backend"] == "tpm2"][0]
env = k["attestation"]["dsseEnvelope"]
p = json.loads(base64.b64decode(env["payload"]))
ci = bytearray(base64.b64decode(p["predicate"]["tpm2"]["certifyInfo"])); ci[0] ^= 1
p["predicate"]["tpm2"]["certifyInfo"] = base64.b64encode(bytes(ci)).decode()
env["payload"] = base64.b64encode(json.dumps(p, separators=(",", ":")).encode()).decode()
json.dump(r, open(sys.argv[2], "w"))
r2 = json.load(open(sys.argv[1]))
for k in r2["keys"]:
    k["attestation"] = None
json.dump(r2, open(sys.argv[2] + ".null", "w"))
PY
check 1 "key-attestation: bad-signature" "a tampered TPMS_ATTEST in the reply: bad-signature" -- \
    --key-attestation "$W/keys-tampered.json" --tpm-roots "$SWTPM_ROOTS" "${TB[@]}"
check 1 "key-attestation: missing: the server has no attestation" \
    "a reply whose attestation is null: missing" -- \
    --key-attestation "$W/keys-tampered.json.null" --tpm-roots "$SWTPM_ROOTS" "${TB[@]}"
PB=(--bundle "$W/p11.bundle.json" "$W/firmware.bin")
check 1 "key-attestation: self-asserted" "the PKCS#11 key's self-asserted evidence is refused" -- \
    --key-attestation "$W/keys.json" --tpm-roots "$SWTPM_ROOTS" "${PB[@]}"
check 0 "verified: acme-thermostat" "and accepted with --allow-self-asserted" -- \
    --key-attestation "$W/keys.json" --allow-self-asserted "${PB[@]}"

# ---- SIGHUP: a new generation, the same TPM ----------------------------------------------
kill -HUP "$HMD_PID"
for _ in $(seq 50); do grep -q 'reloaded' "$W/hmd.log" && break; sleep 0.1; done
expect "GET /v1/keys after SIGHUP" 200 "$(req ci-acme GET /v1/keys)"
cmp -s "$W/body" "$W/keys.json" && bad "/v1/keys was not rebuilt on reload" ||
    ok "/v1/keys rebuilt for the new generation (fresh nonce)"
out=$("$HALLMARK" verify --key "$W/tpm.pub.pem" --bundle "$W/tpm.bundle.json" \
    --require-key-attestation --key-attestation "$W/body" --tpm-roots "$SWTPM_ROOTS" \
    "$W/firmware.bin" 2>&1) && ok "its attestation verifies" || bad "after reload: $out"
expect "sign acme-tpm 1.0.1 after the reload" 200 "$(sign ci-acme acme-tpm stable 1.0.1)"

# ---- a TPM restart in the middle of signing -----------------------------------------------
mkdir -p "$W/r"
worker() { # worker N COUNT: signs acme-tpm on channel cN, one version after another
    local n=$1 count=$2 i st
    for i in $(seq 1 "$count"); do
        sign_body acme-tpm "c$n" "1.0.$i" >"$W/r/req-$n-$i.json"
        st=$(curl -sS --max-time 30 --cacert "$W/pki/ca.pem" --cert "$W/pki/ci-acme.pem" \
            --key "$W/pki/ci-acme.key" -X POST -H 'Content-Type: application/json' \
            --data-binary @"$W/r/req-$n-$i.json" -o "$W/r/body-$n-$i.json" -D "$W/r/hdr-$n-$i" \
            -w '%{http_code}' "$URL/v1/sign" 2>/dev/null || echo 000)
        echo "$st" >"$W/r/status-$n-$i"
        sleep 0.08
    done
}
WPIDS=()
for n in 0 1 2 3; do
    worker $n 40 &
    WPIDS+=($!)
done
sleep 1
swtpm_stop
ok "swtpm killed while 4 clients sign"
sleep 1.5
swtpm_start "$W/tpm" && ok "swtpm restarted on the same state and port"
wait "${WPIDS[@]}"
n200=0 n503=0 nother=0 nretry=0 nbad=0
for f in "$W"/r/status-*; do
    id=${f##*/status-}
    case "$(cat "$f")" in
    200)
        n200=$((n200 + 1))
        "$CHECKREPLY" "$W/r/body-$id.json" "$W/tpm.pub.pem" firmware.bin "$ART_SHA256" \
            "$ART_SHA512" acme-tpm "$W/r/bundle-$id.json" >/dev/null 2>&1 || nbad=$((nbad + 1))
        ;;
    503)
        n503=$((n503 + 1))
        grep -qi '^retry-after: [1-9]' "$W/r/hdr-$id" && nretry=$((nretry + 1))
        ;;
    *) nother=$((nother + 1)) ;;
    esac
done
echo "restart: $n200 signed, $n503 refused with 503, $nother other"
[ "$n503" -gt 0 ] && ok "requests got 503 while the TPM was gone ($n503)" || bad "no 503 while the TPM was gone"
[ "$nretry" = "$n503" ] && ok "every 503 carries Retry-After" || bad "503 without Retry-After: $((n503 - nretry))"
[ "$nother" = 0 ] && ok "no other status" || bad "$nother replies neither 200 nor 503"
[ "$nbad" = 0 ] && [ "$n200" -gt 0 ] && ok "all $n200 bundles returned verify (nothing wrong signed)" ||
    bad "$nbad of $n200 returned bundles do not verify"
last_ok=0
for n in 0 1 2 3; do [ "$(cat "$W/r/status-$n-40")" = 200 ] && last_ok=$((last_ok + 1)); done
[ "$last_ok" = 4 ] && ok "each client signs again after the restart, hallmarkd not restarted" ||
    bad "only $last_ok of 4 clients recovered"
expect "GET /readyz after the restart" 200 "$(req ci-acme GET /readyz)"
kill -0 "$HMD_PID" && ok "hallmarkd is still the same process" || bad "hallmarkd died"
stop_daemon && ok "hallmarkd stops cleanly" || bad "hallmarkd exit status"
finish

#!/usr/bin/env bash
# POST /v1/steward/attestations on a real hallmarkd (SoftHSM2 token, mTLS, SQLite store,
# transparency log), driven by `hallmark steward attest --server`:
#   - the policy's "stewards" section lets ci-other attest for pkg:github/madler/zlib: the
#     sample attestation (examples/steward) is signed with the policy's key, logged, and
#     `hallmark verify` accepts it (key and project); `hallmark show` reads it;
#   - another project, an expired time and a version not covered are refused with their
#     reason codes; a tampered bundle fails the signature; against a signed trust root the
#     log proof verifies, a key not listed for stewards and a bundle without its log entry
#     are refused;
#   - ci-acme (not a steward of zlib) is refused with 403 and the reason, exit 1, the
#     refusal is audited and nothing is logged; a malformed input is a 400 naming its path.
. "$HM_SRC/tests/daemon/lib.sh"

EX=$HM_SRC/examples/steward/zlib-steward-input.json
setup_all
"$MKSTATE" key "$W/state" "$TOKEN_URI" ed25519 log-ed25519 "$W/log.pub.pem" >/dev/null
cat >"$W/policy.json" <<'JSON'
{
  "version": 1,
  "products": [ { "name": "acme-thermostat", "channels": ["stable"],
                  "keys": { "stable": "fw-p256" },
                  "identities": { "mtls": ["cn:ci-acme"] } } ],
  "stewards": [ { "projects": ["pkg:github/madler/zlib"],
                  "identities": { "mtls": ["cn:ci-other"] },
                  "key": "fw-p256" } ]
}
JSON
python3 - "$W/hallmarkd.json" "$W/policy.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["policy"] = sys.argv[2]
cfg["tlog"] = {"origin": "steward.test/log", "key": "log-ed25519"}
if "HM_TEST_PRIVSEP" not in __import__("os").environ:
    cfg["privsep"] = {"enabled": False}
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
PY
start_daemon "$W/hallmarkd.json"
TLS() { echo --server "$URL" --cacert "$W/pki/ca.pem" --tls-cert "$W/pki/$1.pem" --tls-key "$W/pki/$1.key"; }

# ---- issuance ------------------------------------------------------------------------
out=$("$HALLMARK" steward attest --input "$EX" $(TLS ci-other) --out "$W/zlib.bundle.json" 2>&1) &&
    rc=0 || rc=$?
expect "the zlib steward may attest through the daemon" 0 "$rc"
grep -q "attested zlib (pkg:github/madler/zlib)" <<<"$out" && ok "the CLI says what it attested" ||
    bad "CLI output: $out"
if grep -q "logged at index" <<<"$out"; then ok "the attestation is in the log ($out)"; else
    bad "no log index in: $out"; fi
KEYID=$(openssl pkey -pubin -in "$W/fw-p256.pub.pem" -outform DER | openssl dgst -sha256 -binary |
    base64)
grep -qF "\"hint\":\"$KEYID\"" "$W/zlib.bundle.json" && ok "signed with the policy's key" ||
    bad "the bundle is not signed by fw-p256"
grep -q '"tlogEntries":\[{' "$W/zlib.bundle.json" && ok "the bundle carries its log entry" ||
    bad "no tlogEntries in the bundle"

# ---- verification --------------------------------------------------------------------
V=("$HALLMARK" verify --key "$W/fw-p256.pub.pem" --bundle "$W/zlib.bundle.json")
out=$("${V[@]}" --project pkg:github/madler/zlib@1.3.1 2>&1) && rc=0 || rc=$?
expect "verify: the attestation for zlib 1.3.1" 0 "$rc"
grep -q "verified: steward attestation for zlib" <<<"$out" && ok "verify says so" || bad "$out"
out=$("${V[@]}" --project pkg:github/madler/zlib-ng 2>&1) && rc=0 || rc=$?
expect "verify: another project" 1 "$rc"
grep -q "wrong-project" <<<"$out" && ok "reason wrong-project" || bad "$out"
out=$("${V[@]}" --project pkg:github/madler/zlib@1.2.13 2>&1) && rc=0 || rc=$?
expect "verify: a version not covered" 1 "$rc"
grep -q "version-not-covered" <<<"$out" && ok "reason version-not-covered" || bad "$out"
out=$("${V[@]}" --now 2029-11-20T00:00:00Z 2>&1) && rc=0 || rc=$?
expect "verify: at the expiry time" 1 "$rc"
grep -q "attestation-expired" <<<"$out" && ok "reason attestation-expired" || bad "$out"
sed 's/"payload":"eyJf/"payload":"eyJG/' "$W/zlib.bundle.json" >"$W/tampered.json"
out=$("$HALLMARK" verify --key "$W/fw-p256.pub.pem" --bundle "$W/tampered.json" 2>&1) &&
    rc=0 || rc=$?
expect "verify: a tampered payload" 1 "$rc"
# against a signed trust root that lists the signer's key for stewards and the daemon's log
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/root.pem" 2>/dev/null
openssl pkey -in "$W/root.pem" -pubout -out "$W/root.pub.pem"
for scope in steward acme-thermostat; do
    "$HALLMARK" trust-root init --out "$W/root-$scope.json" --root-key "$W/root.pub.pem" \
        --key "$W/fw-p256.pub.pem:products=$scope" --log "steward.test/log=$W/log.pub.pem" \
        --sign-with "$W/root.pem" >/dev/null 2>"$W/tr.err" || bad "trust-root init: $(cat "$W/tr.err")"
done
out=$("$HALLMARK" verify --trust-root "$W/root-steward.json" --bundle "$W/zlib.bundle.json" \
    --project pkg:github/madler/zlib 2>&1) && rc=0 || rc=$?
expect "verify against the trust root (key for stewards, log proof)" 0 "$rc"
grep -q "logged at index [0-9]* in steward.test/log" <<<"$out" && ok "the log proof verified" ||
    bad "$out"
out=$("$HALLMARK" verify --trust-root "$W/root-acme-thermostat.json" --bundle "$W/zlib.bundle.json" \
    2>&1) && rc=0 || rc=$?
expect "a root whose key signs only a product" 1 "$rc"
grep -q "key-not-valid" <<<"$out" && ok "reason key-not-valid" || bad "$out"
python3 - "$W/zlib.bundle.json" "$W/nolog.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1])); b["verificationMaterial"]["tlogEntries"] = []
json.dump(b, open(sys.argv[2], "w"))
PY
out=$("$HALLMARK" verify --trust-root "$W/root-steward.json" --bundle "$W/nolog.json" 2>&1) &&
    rc=0 || rc=$?
expect "the bundle without its log entry" 1 "$rc"
grep -q "log-proof-invalid" <<<"$out" && ok "reason log-proof-invalid" || bad "$out"
out=$("$HALLMARK" show "$W/zlib.bundle.json" 2>&1) && rc=0 || rc=$?
expect "show reads the daemon's bundle" 0 "$rc"
grep -qi "steward" <<<"$out" && grep -q "zlib" <<<"$out" && ok "show names the steward attestation" ||
    bad "show: $out"

# ---- refusals ------------------------------------------------------------------------
before=$(sqlite3 "$W/hallmark.db" "select count(*) from log_leaves" 2>/dev/null || echo "?")
out=$("$HALLMARK" steward attest --input "$EX" $(TLS ci-acme) --out "$W/no.json" 2>&1) &&
    rc=0 || rc=$?
expect "ci-acme is no steward of zlib: exit" 1 "$rc"
grep -q "HTTP 403" <<<"$out" && grep -q "may not issue steward attestations" <<<"$out" &&
    ok "403 with the reason" || bad "refusal: $out"
[ ! -e "$W/no.json" ] && ok "nothing written for the refused steward" || bad "a bundle was written"
after=$(sqlite3 "$W/hallmark.db" "select count(*) from log_leaves" 2>/dev/null || echo "?")
expect "nothing logged for the refused steward" "$before" "$after"
st=$(req ci-other POST /v1/steward/attestations -H 'Content-Type: application/json' \
    --data-binary '{"subject":[],"predicate":{}}')
expect "a malformed input" 400 "$st"
grep -q '"invalid-request"' "$W/body" && ok "400 invalid-request: $(head -c 160 "$W/body")" ||
    bad "body: $(cat "$W/body")"
stop_daemon || true
audit=$(sqlite3 "$W/hallmark.db" \
    "select decision||'/'||outcome from audit where route='/v1/steward/attestations' order by 1" \
    2>&1 | tr '\n' ' ')
grep -q "allow/signed" <<<"$audit" && grep -q "deny/not-authorised" <<<"$audit" &&
    grep -q "deny/invalid" <<<"$audit" && ok "audited: $audit" || bad "audit rows: $audit"
finish

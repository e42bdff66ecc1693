#!/usr/bin/env bash
# hallmarkd with a release policy, on real data: the CycloneDX SBOM that
# @cyclonedx/cyclonedx-npm wrote for a small npm project (lodash 4.17.20, minimist 1.2.5),
# the real OSV advisories of those packages (GitHub advisory database), an excerpt of CISA
# KEV, and an OpenVEX statement that clears one lodash finding (tests/policy/data).
#   - a release refused, with every failing rule and the exact reasons: an SBOM with a
#     component affected by a real advisory, no support period, no approval; then signed
#     once fixed, with the release statement AND a SLSA VSA that verifies and names the
#     policy's digest; a rollback refused;
#   - a CI identity: a JWT signed by a test issuer (openssl-made key, JWKS on disk)
#     accepted; alg none, a wrong audience and an expired token refused with their reasons;
#     the tokens never appear in the daemon's log;
#   - POST /v1/policy/check (allow and deny, audited); denials audited with the digest;
#   - --check-config and SIGHUP with a broken policy: the old policy keeps serving.
. "$(dirname "$0")/lib.sh"

DATA=$HM_SRC/tests/policy/data
JWT="python3 $HM_SRC/tests/daemon/policy/jwt.py"
GH=https://token.actions.githubusercontent.com
python3 -c 'import cryptography' 2>/dev/null || { echo "SKIP-FAIL: python3-cryptography"; exit 1; }

setup_all
P=$W/policy
mkdir -p "$P/osv" "$P/vex"
cp "$DATA"/osv/*.json "$P/osv/"
cp "$DATA/kev.json" "$P/"
cp "$DATA/vex/npm-app.openvex.json" "$P/vex/"
# the CI issuer and a release manager: keys made by openssl
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/issuer.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/alice.key" 2>/dev/null
chmod 600 "$W/issuer.key" "$W/alice.key"
openssl pkey -in "$W/alice.key" -pubout -out "$P/alice.pub.pem"
$JWT jwks "$W/issuer.key" k1 >"$P/jwks.json"
cat >"$P/policy.json" <<JSON
{
  "version": 1,
  "vsa": { "verifier_id": "https://hallmark.example/hallmarkd",
           "policy_uri": "https://hallmark.example/policies/acme.json" },
  "oidc_issuers": [ { "issuer": "$GH", "jwks": "jwks.json", "audiences": ["hallmark"],
                      "leeway_seconds": 30 } ],
  "products": [ {
    "name": "acme-thermostat",
    "channels": ["stable"],
    "keys": { "stable": "fw-p256" },
    "manufacturer": "ACME Devices GmbH",
    "security_contact": "security@acme.example",
    "identities": { "mtls": ["cn:ci-acme"],
                    "oidc": [ { "issuer": "$GH", "claims": { "repository": "acme/thermostat",
                                                             "ref": "refs/tags/v*" } } ] },
    "version": { "monotonic": true },
    "support": { "minimum_years": 5 },
    "sbom": { "required": true, "formats": ["cyclonedx-1.5", "cyclonedx-1.6"],
              "minimum": ["name", "version", "unique_id"] },
    "vulnerabilities": { "feed": "osv", "kev": "kev.json", "vex_dir": "vex",
                         "deny_kev": true, "max_cvss": 7.0 },
    "approvals": { "required": 1, "approvers": [ { "name": "alice", "key": "alice.pub.pem" } ] }
  } ]
}
JSON
POLICY_SHA=$(sha256sum "$P/policy.json" | cut -d' ' -f1)
CFG=$W/hallmarkd.json
python3 - "$CFG" "$P/policy.json" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1])); cfg["policy"] = sys.argv[2]
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
PY
cp "$DATA/npm-app.cdx.json" "$W/bad.cdx.json"
sed -e 's/"version": "1.2.5"/"version": "1.2.6"/' -e 's/minimist@1.2.5/minimist@1.2.6/g' \
    "$DATA/npm-app.cdx.json" >"$W/fixed.cdx.json"
grep -q 'minimist@1.2.6' "$W/fixed.cdx.json" || bad "the fixed SBOM was not written"

# ---- config checks ------------------------------------------------------------------
out=$("$HMD" --check-config "$CFG" 2>&1) && rc=0 || rc=$?
expect "check-config accepts the config with its policy" 0 "$rc"
sed 's/"approvals": {/"aprovals": {/' "$P/policy.json" >"$P/broken.json"
sed "s#$P/policy.json#$P/broken.json#" "$CFG" >"$W/bad.json"
out=$(HM_SHIM_CONTROL="$W/shim.ctl" "$HMD" --check-config "$W/bad.json" 2>&1) && rc=0 || rc=$?
if [ "$rc" = 2 ] && grep -qF '$.products[0]' <<<"$out" && grep -qF 'aprovals' <<<"$out"; then
    ok "check-config names the JSON path of a broken policy"
else bad "check-config with a broken policy: rc=$rc $out"; fi
sed 's/"stable": "fw-p256"/"stable": "other-key"/' "$P/policy.json" >"$P/badkey.json"
sed "s#$P/policy.json#$P/badkey.json#" "$CFG" >"$W/bad.json"
out=$(HM_SHIM_CONTROL="$W/shim.ctl" "$HMD" --check-config "$W/bad.json" 2>&1) && rc=0 || rc=$?
if [ "$rc" = 2 ] && grep -qF '$.products[0].keys.stable: key "other-key" is not one of' <<<"$out"
then ok "check-config refuses a policy key the config does not list"
else bad "policy key check: rc=$rc $out"; fi
sed 's#"policy": "/#"policy": "#' "$CFG" >"$W/bad.json"
out=$(HM_SHIM_CONTROL="$W/shim.ctl" "$HMD" --check-config "$W/bad.json" 2>&1) && rc=0 || rc=$?
if [ "$rc" = 2 ] && grep -qF 'policy: must be an absolute path' <<<"$out"; then
    ok "a relative policy path is refused"
else bad "relative policy path: rc=$rc $out"; fi

start_daemon "$CFG"
TLS=(--server "$URL" --cacert "$W/pki/ca.pem" --tls-cert "$W/pki/ci-acme.pem"
     --tls-key "$W/pki/ci-acme.key")
cd "$W"

# ---- refused, with every reason ------------------------------------------------------
rc=0
"$HALLMARK" sign "${TLS[@]}" --product acme-thermostat --version 1.0.0 --sbom bad.cdx.json \
    --out rel.json firmware.bin >out.txt 2>err.txt || rc=$?
expect "a release with an affected component, no support period, no approval is refused" 1 "$rc"
want_line() { # want_line WHAT TEXT: err.txt has TEXT
    if grep -qF -- "$2" err.txt; then ok "$1"; else bad "$1: want \"$2\" in: $(cat err.txt)"; fi
}
want_line "the summary" "refused (403 policy-denied): the release policy refused acme-thermostat 1.0.0: 3 rules failed"
want_line "the vulnerability reason" "  - vulnerabilities: minimist 1.2.5 is affected by CVE-2021-44906 (CVSS 9.8, at or above the policy's limit), in CISA KEV: no"
want_line "its hint" "    hint: upgrade minimist to a version the advisory lists as fixed (https://osv.dev/vulnerability/GHSA-xvch-5gv4-984h)"
want_line "the support reason" "  - support: the request declares no end of security support (support_end)"
want_line "the approvals reason" "  - approvals: 0 of 1 required approvals for acme-thermostat 1.0.0 (counted: none)"
[ ! -e rel.json ] && ok "nothing was written" || bad "a bundle was written for a denied release"

# the same request over the API: 403 with the decision, findings and the VEX that cleared one
printf '{"product":"acme-thermostat","version":"1.0.0","artifacts":[{"name":"firmware.bin","size":%s,"digest":{"sha256":"%s","sha512":"%s"}}],"sbom":%s}' \
    "$ART_SIZE" "$ART_SHA256" "$ART_SHA512" "$(cat bad.cdx.json)" >req.json
st=$(req ci-acme POST /v1/sign -H 'Content-Type: application/json' --data-binary @req.json)
expect "POST /v1/sign denied" 403 "$st"
python3 - "$W/body" <<'PY' && ok "the 403 lists rules, findings and the VEX that cleared lodash" || bad "403 body: $(cat "$W/body")"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["error"] == "policy-denied"
assert [r["rule"] for r in b["reasons"]] == ["support", "vulnerabilities", "approvals"], b["reasons"]
assert all(r["hint"] for r in b["reasons"])
f = {x["id"]: x for x in b["decision"]["findings"]}
assert f["CVE-2021-44906"]["status"] == "denied"
assert f["CVE-2021-23337"]["status"] == "cleared" and "npm-app.openvex.json" in f["CVE-2021-23337"]["vex"]
assert f["CVE-2020-28500"]["status"] == "accepted"
PY
REQ_SHA=$(sha256sum req.json | cut -d' ' -f1)

# ---- /v1/policy/check ----------------------------------------------------------------
st=$(req ci-acme POST /v1/policy/check -H 'Content-Type: application/json' --data-binary @req.json)
expect "POST /v1/policy/check answers a denial with 200" 200 "$st"
if grep -qF '"decision":"deny"' body && grep -qF "\"sha256\":\"$POLICY_SHA\"" body; then
    ok "the check names the decision and the policy digest"
else bad "check body: $(cat body)"; fi

# ---- fixed: support period, the fixed SBOM, an approval ------------------------------
"$HALLMARK" approve --key alice.key --product acme-thermostat --version 1.0.0 \
    --approver alice --out alice.dsse.json firmware.bin >/dev/null
rc=0
"$HALLMARK" sign "${TLS[@]}" --product acme-thermostat --version 1.0.0 --sbom fixed.cdx.json \
    --support-end 2032-12-31 --approval alice.dsse.json --out rel.json --vsa-out vsa.json \
    firmware.bin >out.txt 2>err.txt || rc=$?
expect "the fixed release is signed" 0 "$rc"
[ "$rc" = 0 ] || cat err.txt
rc=0
"$HALLMARK" verify --key fw-p256.pub.pem --bundle rel.json --product acme-thermostat \
    --installed-version 0.9.0 firmware.bin >verify.txt 2>&1 || rc=$?
expect "the release bundle verifies" 0 "$rc"
if $JWT dsse rel.json fw-p256.pub.pem >rel.stmt 2>dsse.err &&
   grep -qF '"supportEnd":"2032-12-31"' rel.stmt && grep -qF 'ACME Devices GmbH' rel.stmt &&
   grep -qF 'security@acme.example' rel.stmt; then
    ok "the release statement carries the support end and the CRA facts"
else bad "release statement: $(cat rel.stmt dsse.err)"; fi
if $JWT dsse vsa.json fw-p256.pub.pem >vsa.stmt 2>dsse.err; then
    ok "the VSA's DSSE signature verifies with the release key"
else bad "VSA signature: $(cat dsse.err)"; fi
python3 - vsa.stmt "$POLICY_SHA" "$ART_SHA256" <<'PY' && ok "the VSA names the policy digest, PASSED and its inputs" || bad "VSA: $(cat vsa.stmt)"
import json, sys
s = json.load(open(sys.argv[1]))
p = s["predicate"]
assert s["predicateType"] == "https://slsa.dev/verification_summary/v1"
assert s["subject"][0]["digest"]["sha256"] == sys.argv[3]
assert p["policy"]["digest"]["sha256"] == sys.argv[2]
assert p["policy"]["uri"] == "https://hallmark.example/policies/acme.json"
assert p["verifier"]["id"] == "https://hallmark.example/hallmarkd"
assert p["verificationResult"] == "PASSED"
assert p["resourceUri"] == "pkg:generic/acme-thermostat@1.0.0"
names = [i["name"] for i in p["inputAttestations"]]
assert "request.sbom" in names and "request.approvals[0]" in names, names
PY

# ---- rollback ------------------------------------------------------------------------
"$HALLMARK" approve --key alice.key --product acme-thermostat --version 0.9.0 \
    --out alice-0.9.json firmware.bin >/dev/null
rc=0
"$HALLMARK" sign "${TLS[@]}" --product acme-thermostat --version 0.9.0 --sbom fixed.cdx.json \
    --support-end 2032-12-31 --approval alice-0.9.json --out old.json firmware.bin \
    >out.txt 2>err.txt || rc=$?
expect "a rollback is refused" 1 "$rc"
want_line "with the version reason" "  - version: version 0.9.0 is not greater than 1.0.0, the highest signed for acme-thermostat on channel stable"

# ---- CI identity: OIDC tokens --------------------------------------------------------
now=$(date +%s)
claims() { # claims AUD IAT EXP
    printf '{"iss":"%s","aud":"%s","sub":"repo:acme/thermostat:ref:refs/tags/v1.1.0","repository":"acme/thermostat","ref":"refs/tags/v1.1.0","workflow_ref":"acme/thermostat/.github/workflows/release.yml@refs/tags/v1.1.0","iat":%s,"exp":%s}' \
        "$GH" "$1" "$2" "$3"
}
$JWT token "$W/issuer.key" k1 ES256 "$(claims hallmark $((now - 5)) $((now + 600)))" >tok.good
$JWT token "$W/issuer.key" k1 none "$(claims hallmark $((now - 5)) $((now + 600)))" >tok.none
$JWT token "$W/issuer.key" k1 ES256 "$(claims someone-else $((now - 5)) $((now + 600)))" >tok.aud
$JWT token "$W/issuer.key" k1 ES256 "$(claims hallmark $((now - 7200)) $((now - 3600)))" >tok.exp
chmod 600 tok.*
printf '{"product":"acme-thermostat","version":"1.1.0","support_end":"2032-12-31","artifacts":[{"name":"firmware.bin","size":%s,"digest":{"sha256":"%s","sha512":"%s"}}],"sbom":%s}' \
    "$ART_SIZE" "$ART_SHA256" "$ART_SHA512" "$(cat fixed.cdx.json)" >req2.json
oidc_check() { # oidc_check TOKEN_FILE: the identity reason (or "ok <identity>") as ci-other
    req ci-other POST /v1/policy/check -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $(cat "$1")" --data-binary @req2.json >/dev/null
    python3 - "$W/body" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
r = [x["reason"] for x in b.get("reasons", []) if x["rule"] == "identity"]
print(r[0] if r else "ok " + str(b.get("identity")))
PY
}
expect "a CI token from the release workflow is accepted" \
    "ok oidc:$GH:repo:acme/thermostat:ref:refs/tags/v1.1.0" "$(oidc_check tok.good)"
expect "alg none is refused" \
    "the CI token was not accepted for acme-thermostat: header: alg \"none\" is refused" \
    "$(oidc_check tok.none)"
expect "a wrong audience is refused" \
    "the CI token was not accepted for acme-thermostat: claim aud does not contain an allowed audience of $GH" \
    "$(oidc_check tok.aud)"
expect "an expired token is refused" \
    "the CI token was not accepted for acme-thermostat: token expired (exp, leeway 30 s)" \
    "$(oidc_check tok.exp)"
st=$(req ci-other POST /v1/policy/check -H 'Content-Type: application/json' --data-binary @req2.json)
if [ "$st" = 200 ] && grep -qF 'cn:ci-other may not request signing for acme-thermostat' body; then
    ok "a client certificate the policy does not list is refused"
else bad "ci-other without a token: $st $(cat body)"; fi
"$HALLMARK" approve --key alice.key --product acme-thermostat --version 1.1.0 \
    --out alice-1.1.json firmware.bin >/dev/null
rc=0
"$HALLMARK" sign --server "$URL" --cacert "$W/pki/ca.pem" --tls-cert "$W/pki/ci-other.pem" \
    --tls-key "$W/pki/ci-other.key" --oidc-token-file tok.good --product acme-thermostat \
    --version 1.1.0 --sbom fixed.cdx.json --support-end 2032-12-31 --approval alice-1.1.json \
    --out rel-1.1.json firmware.bin >out.txt 2>err.txt || rc=$?
expect "the CI job signs with its OIDC token" 0 "$rc"
[ "$rc" = 0 ] || cat err.txt
leaked=0
for t in tok.good tok.none tok.aud tok.exp; do
    sig=$(cut -d. -f2 "$t")
    if grep -qF -- "$sig" "$W/hmd.log" out.txt err.txt; then leaked=1; fi
done
expect "no token appears in the daemon's log or the CLI's output" 0 "$leaked"

# ---- audit ---------------------------------------------------------------------------
aud=$(python3 - "$W/hallmark.db" "$REQ_SHA" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
rows = db.execute("SELECT route, decision, outcome FROM audit WHERE request_sha256 = ? "
                  "ORDER BY id", (sys.argv[2],)).fetchall()
print(";".join(",".join(r) for r in rows))
PY
)
expect "the denial and the check are audited with the request digest" \
    "/v1/sign,deny,policy-denied;/v1/policy/check,deny,check-denied" "$aud"

# ---- SIGHUP with a broken policy keeps the old one -----------------------------------
cp "$P/policy.json" "$P/policy.good"
cp "$P/broken.json" "$P/policy.json"
kill -HUP "$HMD_PID"
for _ in $(seq 1 50); do grep -q 'reload refused' "$W/hmd.log" && break; sleep 0.1; done
if grep -F 'reload refused' "$W/hmd.log" | grep -qF '$.products[0]'; then
    ok "the reload is refused, naming the JSON path"
else bad "reload log: $(grep -i reload "$W/hmd.log" | tail -3)"; fi
st=$(req ci-acme POST /v1/policy/check -H 'Content-Type: application/json' --data-binary @req.json)
if [ "$st" = 200 ] && grep -qF "\"sha256\":\"$POLICY_SHA\"" body; then
    ok "the old policy still decides"
else bad "after a refused reload: $st $(cat body)"; fi
cp "$P/policy.good" "$P/policy.json"

stop_daemon || bad "hallmarkd did not stop cleanly"
finish

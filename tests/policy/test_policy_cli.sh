#!/usr/bin/env bash
# `hallmark policy check` and `hallmark approve` on the example policy and firmware:
# allowed, denied with reasons (exit 1), the JSON decision, rollback against a state file,
# approvals made with a PEM key and counted, a token-less PEM key refused when readable by
# others, and a broken policy named by its JSON path (exit 2).
source "$HM_SRC/tests/lib.sh"

EX=$HM_SRC/examples
BIN=$EX/firmware/acme-thermostat-1.4.2.bin
A256=$(sha256sum "$BIN" | cut -d' ' -f1)
A512=$(sha512sum "$BIN" | cut -d' ' -f1)
SIZE=$(stat -c %s "$BIN")
NOW=2026-11-28T10:00:00Z

# request VERSION SUPPORT_END SBOM_FILE [APPROVALS_JSON]
request() {
  local support=""
  [ -n "$2" ] && support="\"support_end\":\"$2\","
  printf '{"product":"acme-thermostat","version":"%s",%s"artifacts":[{"name":"%s","size":%s,"digest":{"sha256":"%s","sha512":"%s"}}],"sbom":%s%s}' \
    "$1" "$support" "$(basename "$BIN")" "$SIZE" "$A256" "$A512" "$(cat "$3")" \
    "${4:+,\"approvals\":[$4]}"
}

cp "$EX/firmware/acme-thermostat-1.4.2.cdx.json" "$WORK/good.cdx.json"
sed -e 's/"version": "1.3.1"/"version": "1.2.12"/' -e 's/zlib@1.3.1/zlib@1.2.12/' \
  "$EX/firmware/acme-thermostat-1.4.2.cdx.json" >"$WORK/old-zlib.cdx.json"
request 1.4.2 2031-12-31 "$WORK/good.cdx.json" >"$WORK/good.json"
request 1.4.2 "" "$WORK/old-zlib.cdx.json" >"$WORK/bad.json"

expect 0 '^ALLOWED: acme-thermostat 1.4.2' "a good release is allowed" -- \
  "$HM" policy check --policy "$EX/policy.json" --request "$WORK/good.json" \
  --identity cn:ci-acme --now "$NOW"
expect 0 'key: firmware-p256' "the decision names the bound key" -- \
  "$HM" policy check --policy "$EX/policy.json" --request "$WORK/good.json" --now "$NOW"
expect 1 'zlib 1\.2\.12 is affected by CVE-2022-37434 \(CVSS 9\.8' "an old zlib is refused" -- \
  "$HM" policy check --policy "$EX/policy.json" --request "$WORK/bad.json" --now "$NOW"
expect 1 '\[support\] the request declares no end of security support' \
  "every failing rule is listed" -- \
  "$HM" policy check --policy "$EX/policy.json" --request "$WORK/bad.json" --now "$NOW"
expect 1 '\[identity\] cn:intruder may not request signing' "an unknown client is refused" -- \
  "$HM" policy check --policy "$EX/policy.json" --request "$WORK/good.json" \
  --identity cn:intruder --now "$NOW"
expect 1 '^\{"decision":"deny".*"rule":"vulnerabilities"' "--json prints the decision" -- \
  "$HM" policy check --policy "$EX/policy.json" --request "$WORK/bad.json" --now "$NOW" --json

# anti-rollback against what the store says was signed
printf '{"releases":[{"product":"acme-thermostat","channel":"stable","version":"1.4.2","date":"2026-01-10"}]}' \
  >"$WORK/state.json"
expect 1 'version 1\.4\.2 is not greater than 1\.4\.2' "the same version again is refused" -- \
  "$HM" policy check --policy "$EX/policy.json" --request "$WORK/good.json" \
  --state "$WORK/state.json" --now "$NOW"
request 1.4.3 2030-12-31 "$WORK/good.cdx.json" >"$WORK/next.json"
expect 1 'less than 5 years after the first release of 1\.x \(2026-01-10\): the minimum is 2031-01-10' \
  "the support period counts from the first release of the major version" -- \
  "$HM" policy check --policy "$EX/policy.json" --request "$WORK/next.json" \
  --state "$WORK/state.json" --now "$NOW"

# approvals: two release managers with PEM keys, two required
for who in alice bob carol; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/$who.key" 2>/dev/null
  chmod 600 "$WORK/$who.key"
  openssl pkey -in "$WORK/$who.key" -pubout -out "$WORK/$who.pub" 2>/dev/null
done
mkdir -p "$WORK/pol"
cp -r "$EX/advisories" "$WORK/pol/"
cp "$WORK/alice.pub" "$WORK/bob.pub" "$WORK/pol/"
python3 - "$EX/policy.json" "$WORK/pol/policy.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["products"][0]["approvals"] = {"required": 2, "approvers": [
    {"name": "alice", "key": "alice.pub"}, {"name": "bob", "key": "bob.pub"}]}
json.dump(p, open(sys.argv[2], "w"), indent=2)
PY
expect 0 'approved acme-thermostat 1\.4\.2' "hallmark approve with a PEM key" -- \
  "$HM" approve --key "$WORK/alice.key" --product acme-thermostat --version 1.4.2 \
  --approver alice --comment "tested on rig 4" --out "$WORK/alice.dsse.json" "$BIN"
"$HM" approve --key "$WORK/bob.key" --product acme-thermostat --version 1.4.2 "$BIN" \
  >"$WORK/bob.dsse.json"
"$HM" approve --key "$WORK/carol.key" --product acme-thermostat --version 1.4.2 "$BIN" \
  >"$WORK/carol.dsse.json"
"$HM" approve --key "$WORK/bob.key" --product acme-thermostat --version 1.4.1 "$BIN" \
  >"$WORK/bob-old.dsse.json"
request 1.4.2 2031-12-31 "$WORK/good.cdx.json" "$(cat "$WORK/alice.dsse.json")" >"$WORK/one.json"
request 1.4.2 2031-12-31 "$WORK/good.cdx.json" \
  "$(cat "$WORK/alice.dsse.json"),$(cat "$WORK/bob.dsse.json")" >"$WORK/two.json"
request 1.4.2 2031-12-31 "$WORK/good.cdx.json" \
  "$(cat "$WORK/alice.dsse.json"),$(cat "$WORK/alice.dsse.json"),$(cat "$WORK/carol.dsse.json"),$(cat "$WORK/bob-old.dsse.json")" \
  >"$WORK/wrong.json"
expect 0 '^ALLOWED' "two approvals of two listed release managers" -- \
  "$HM" policy check --policy "$WORK/pol/policy.json" --request "$WORK/two.json" --now "$NOW"
expect 1 '1 of 2 required approvals for acme-thermostat 1\.4\.2 \(counted: alice\)' \
  "one approval is not enough" -- \
  "$HM" policy check --policy "$WORK/pol/policy.json" --request "$WORK/one.json" --now "$NOW"
expect 1 'alice is already counted.*no signature verifies.*approves acme-thermostat 1\.4\.1' \
  "a repeated approver, an unlisted key and another version do not count" -- \
  "$HM" policy check --policy "$WORK/pol/policy.json" --request "$WORK/wrong.json" --now "$NOW"

# an approval signed in the token (SoftHSM2): the release manager's key never leaves it
if [ -e /usr/lib/softhsm/libsofthsm2.so ]; then
  "$HM" keys init --state "$WORK/hsm" --label approvers >/dev/null
  "$HM" keys create --state "$WORK/hsm" --label dave --alg ec-p256 >/dev/null
  "$HM" keys export --state "$WORK/hsm" --key dave --out "$WORK/pol/dave.pub" >/dev/null
  python3 - "$WORK/pol/policy.json" <<'PY2'
import json, sys
p = json.load(open(sys.argv[1]))
p["products"][0]["approvals"]["approvers"].append({"name": "dave", "key": "dave.pub"})
json.dump(p, open(sys.argv[1], "w"), indent=2)
PY2
  expect 0 'approved' "hallmark approve with a key in the token" -- \
    "$HM" approve --state "$WORK/hsm" --key dave --product acme-thermostat --version 1.4.2 \
    --out "$WORK/dave.dsse.json" "$BIN"
  request 1.4.2 2031-12-31 "$WORK/good.cdx.json" \
    "$(cat "$WORK/alice.dsse.json"),$(cat "$WORK/dave.dsse.json")" >"$WORK/hsm.json"
  expect 0 '^ALLOWED' "an approval from the token counts" -- \
    "$HM" policy check --policy "$WORK/pol/policy.json" --request "$WORK/hsm.json" --now "$NOW"
fi

# a private key others can read is refused; so is a missing artifact
chmod 644 "$WORK/carol.key"
expect 2 'must not be readable by group or others' "a world-readable PEM key is refused" -- \
  "$HM" approve --key "$WORK/carol.key" --product acme-thermostat --version 1.4.2 "$BIN"
expect 2 'cannot read' "a missing artifact is an error" -- \
  "$HM" approve --key "$WORK/alice.key" --product acme-thermostat --version 1.4.2 "$WORK/none"

# a broken policy: exit 2 and the JSON path of the fault
sed 's/"max_cvss": 7.0/"max_cvs": 7.0/' "$EX/policy.json" >"$WORK/pol/broken.json"
expect 2 'products\[0\]\.vulnerabilities\.max_cvs: unknown key' "a broken policy names its path" -- \
  "$HM" policy check --policy "$WORK/pol/broken.json" --request "$WORK/good.json"
expect 2 'usage: hallmark policy check' "usage" -- "$HM" policy check --policy "$EX/policy.json"

finish

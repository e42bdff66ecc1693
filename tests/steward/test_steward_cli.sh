#!/usr/bin/env bash
# `hallmark steward attest` and `hallmark show` end to end against a SoftHSM2 token:
# issuing the example attestation, reading every kind of bundle with and without --key and
# as JSON, refusing tampered bundles and malformed inputs, and escaping what a statement
# could use to take over a terminal.
source "$HM_SRC/tests/lib.sh"
S=$WORK/state
MK=$HM_BUILD/tests/steward/steward_mkbundle
EX=$HM_SRC/examples/steward/zlib-steward-input.json
cd "$WORK"

"$HM" keys init --state "$S" >/dev/null
"$HM" keys create --state "$S" --label steward --alg ec-p256 >/dev/null
"$HM" keys create --state "$S" --label other --alg ed25519 >/dev/null
"$HM" keys export --state "$S" --key steward --out steward.pub.pem >/dev/null
"$HM" keys export --state "$S" --key other --out other.pub.pem >/dev/null

json_ok() { # json_ok FILE PYTHON-ASSERTION-ON-d DESCRIPTION
  if python3 -m json.tool "$1" >/dev/null && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert $2, d" "$1"; then
    ok "$3"
  else
    not_ok "$3"
  fi
}

# --- issuing ---
expect 0 "attested zlib \(pkg:github/madler/zlib\).*10 Annex I requirement\(s\): 6 met, 1 partially, 1 not assessed, 2 not applicable; expires 2029-11-20T00:00:00Z" \
  "steward attest signs the example" -- "$HM" steward attest --input "$EX" --state "$S" --key steward --out zlib.json
[ -s zlib.json ] && ok "the bundle was written" || not_ok "no bundle"
expect 0 "attested zlib" "steward attest writes the default file name" -- \
  "$HM" steward attest --input "$EX" --state "$S" --key steward
[ -s steward-attestation.bundle.json ] && ok "default bundle name" || not_ok "no default bundle"

# --- show: the steward attestation ---
expect 0 "signature NOT checked \(no --key given\)" "show without --key says the signature was not checked" -- "$HM" show zlib.json
expect 0 "annexI.partII.5: a coordinated vulnerability disclosure policy" "show names each Annex I item" -- "$HM" show zlib.json
expect 0 "legal name: Example Compression Stewards" "show prints the steward" -- "$HM" show zlib.json
expect 0 "gitCommit: 51b7f2abdade71cd9bb0e7a373ef2610ec6f9daf" "show prints the source commit subject" -- "$HM" show zlib.json
expect 0 "status now: ok" "show says the attestation is current" -- "$HM" show zlib.json
expect 0 "signature 1 of 1 verified with steward.pub.pem" "show --key verifies the signature" -- "$HM" show --key steward.pub.pem zlib.json
expect 1 "does NOT verify with other.pub.pem" "show --key with another key refuses" -- "$HM" show --key other.pub.pem zlib.json
out=$("$HM" show --key other.pub.pem zlib.json || true)
grep -q "CRA steward attestation" <<<"$out" && not_ok "content shown after a failed signature" || ok "nothing is shown after a failed signature"
"$HM" show --json zlib.json > zlib.show.json
json_ok zlib.show.json 'd["signature"]["checked"] is False and d["statement"]["kind"] == "steward" and d["steward"]["project"]["name"] == "zlib" and len(d["steward"]["requirements"]) == 10 and d["steward"]["requirements"][0]["id"] == "annexI.partI.2.a"' \
  "show --json: the steward facts as JSON"
"$HM" show --json --key steward.pub.pem zlib.json > zlib.show.json
json_ok zlib.show.json 'd["signature"]["verified"] is True and d["envelope"]["tlogEntries"] == 0' "show --json --key"

# --- tampered steward bundles: every change fails the signature ---
tamper() { # tamper IN OUT PYTHON-ON-p (the statement as a dict)
  python3 - "$1" "$2" "$3" <<'PY'
import base64, json, sys
b = json.load(open(sys.argv[1]))
env = b["dsseEnvelope"]
p = json.loads(base64.b64decode(env["payload"]))
exec(sys.argv[3])
env["payload"] = base64.b64encode(json.dumps(p, separators=(",", ":")).encode()).decode()
json.dump(b, open(sys.argv[2], "w"))
PY
}
i=0
for change in 'p["predicate"]["project"]["name"] = "zlib-ng"' \
              'p["predicate"]["requirements"][3]["status"] = "met"' \
              'p["predicate"]["expires"] = "2039-11-20T00:00:00Z"' \
              'p["predicate"]["steward"]["contact"] = "security@evil.example"' \
              'p["predicate"]["requirements"][0]["evidence"][0]["digest"]["sha256"] = "0" * 64' \
              'p["subject"][0]["digest"]["sha256"] = "0" * 64' \
              'p["predicate"]["assessor"]["type"] = "third-party"'; do
  i=$((i + 1))
  tamper zlib.json t$i.json "$change"
  expect 1 "does NOT verify" "tampered field $i ($change) fails the signature" -- "$HM" show --key steward.pub.pem t$i.json
done
expect 0 "signature NOT checked" "a tampered bundle without --key is shown, marked unchecked" -- "$HM" show t1.json
tamper zlib.json t-bad.json 'p["predicate"]["requirements"][0]["status"] = "done"'
expect 1 "error: predicate.requirements\[0\].status: \"done\" is not one of" "a malformed steward predicate is refused with its path" -- "$HM" show t-bad.json

# --- issuing refuses bad input, names the path, writes nothing ---
bad_input() { # bad_input NAME PYTHON-ON-d
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2; json.dump(d, open(sys.argv[3], 'w'))" "$EX" "$2" "$1"
}
bad_input in-http.json 'd["predicate"]["steward"]["cvdPolicy"] = "http://stewards.example.org/cvd"'
expect 2 "predicate.steward.cvdPolicy: not an https URL" "attest refuses an http URL" -- \
  "$HM" steward attest --input in-http.json --state "$S" --key steward --out no1.json
bad_input in-expired.json 'd["predicate"]["expires"] = "2020-01-01T00:00:00Z"; d["predicate"]["timeAssessed"] = "2019-01-01T00:00:00Z"'
expect 2 "predicate.expires: 2020-01-01T00:00:00Z is not in the future" "attest refuses an expired attestation" -- \
  "$HM" steward attest --input in-expired.json --state "$S" --key steward --out no2.json
bad_input in-dup.json 'd["predicate"]["requirements"][1]["id"] = d["predicate"]["requirements"][0]["id"]'
expect 2 "predicate.requirements\[1\].id: \"annexI.partI.2.a\" is listed twice" "attest refuses a requirement listed twice" -- \
  "$HM" steward attest --input in-dup.json --state "$S" --key steward --out no3.json
[ ! -e no1.json ] && [ ! -e no2.json ] && [ ! -e no3.json ] && ok "nothing written on refusal" || not_ok "a bundle was written for a refused input"
expect 2 "cannot read" "attest with a missing input" -- "$HM" steward attest --input nope.json --state "$S" --key steward
expect 2 "needs --input, --key" "attest without --key" -- "$HM" steward attest --input "$EX" --state "$S"
expect 2 "key 'nokey'" "attest with an unknown key" -- "$HM" steward attest --input "$EX" --state "$S" --key nokey --out no4.json
expect 2 "unknown or missing subcommand" "steward without a subcommand" -- "$HM" steward

# --- show: a release with the CRA facts ---
head -c 4096 /dev/urandom > fw.bin
expect 0 "signed acme-thermostat 1.4.2" "sign with --manufacturer and --security-contact" -- "$HM" sign --state "$S" \
  --key steward --product acme-thermostat --version 1.4.2 --support-end 2031-12-31 \
  --manufacturer "ACME Devices GmbH" --security-contact psirt@acme.example --out rel.json fw.bin
expect 0 "^verified: acme-thermostat 1.4.2" "hallmark verify accepts a release with the CRA facts" -- "$HM" verify --key steward.pub.pem --bundle rel.json fw.bin
expect 0 "manufacturer: ACME Devices GmbH" "show prints the manufacturer" -- "$HM" show rel.json
expect 0 "security contact: psirt@acme.example" "show prints the security contact" -- "$HM" show --key steward.pub.pem rel.json
expect 0 "security support until: 2031-12-31" "show prints the end of support" -- "$HM" show rel.json
expect 2 "security_contact: neither an email address nor an https URL" "sign refuses a bad security contact" -- "$HM" sign --state "$S" \
  --key steward --product acme-thermostat --version 1.4.3 --security-contact "call us" --out rel2.json fw.bin
expect 2 "are for local signing" "the CRA options are refused with --server" -- "$HM" sign --server https://127.0.0.1:1 \
  --cacert x.pem --product p --version 1.0.0 --manufacturer ACME fw.bin
"$HM" show --json --key steward.pub.pem rel.json > rel.show.json
json_ok rel.show.json 'd["statement"]["kind"] == "release" and d["release"]["manufacturer"] == "ACME Devices GmbH" and d["release"]["artifacts"][0]["size"] == 4096' "show --json of a release"

# --- show: a VSA, as the attest/ builder writes it ---
"$MK" vsa vsa.json vsa.pub.pem
expect 0 "SLSA verification summary" "show names a VSA" -- "$HM" show vsa.json
expect 0 "result: PASSED" "show prints the VSA result" -- "$HM" show --key vsa.pub.pem vsa.json
expect 0 "HALLMARK_RELEASE_POLICY_V1" "show prints the verified levels" -- "$HM" show vsa.json
expect 0 "uri: https://hallmark.example/policy.json" "show prints the policy" -- "$HM" show vsa.json
expect 1 "does NOT verify" "a VSA checked with another key" -- "$HM" show --key steward.pub.pem vsa.json
"$HM" show --json --key vsa.pub.pem vsa.json > vsa.show.json
json_ok vsa.show.json 'd["vsa"]["verificationResult"] == "PASSED" and d["vsa"]["inputAttestations"][1]["uri"] == "https://ci.example/run/42"' "show --json of a VSA"

# --- show: a key attestation (shape of docs/key-attestation.md, read generically) ---
spki=$(openssl pkey -pubin -in steward.pub.pem -outform DER | sha256sum | cut -d' ' -f1)
keyid=$(grep '^Hallmark key id:' steward.pub.pem | cut -d' ' -f4)
cat > key.stmt.json <<JSON
{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"signing-key","digest":{"sha256":"$spki"}}],
 "predicateType":"https://hallmark.dev/attestation/key/v1",
 "predicate":{"backend":"pkcs11","module":{"vendor":"SoftHSM","model":"SoftHSM v2"},
  "attributes":{"CKA_SENSITIVE":true,"CKA_EXTRACTABLE":false,"CKA_NEVER_EXTRACTABLE":true},
  "evidence":[{"mediaType":"application/pkix-cert","content":"MIIB"},{"mediaType":"application/vnd.tcg.tpms-attest"}],
  "time":"2026-11-28T00:00:00Z"}}
JSON
"$MK" payload key.stmt.json key.json key.pub.pem
expect 0 "Key attestation" "show names a key attestation" -- "$HM" show --key key.pub.pem key.json
expect 0 "key id: ${keyid//+/\\+}" "show derives the key id from the subject" -- "$HM" show key.json
expect 0 "CKA_EXTRACTABLE: no" "show prints the key attributes" -- "$HM" show key.json
expect 0 "application/vnd.tcg.tpms-attest" "show prints the evidence kinds" -- "$HM" show key.json
"$HM" show --json key.json > key.show.json
json_ok key.show.json 'd["keyAttestation"]["backend"] == "pkcs11" and d["keyAttestation"]["evidence"] == ["application/pkix-cert", "application/vnd.tcg.tpms-attest"]' "show --json of a key attestation"

# --- show: an SBOM statement, an approval envelope, an unknown predicate ---
python3 -c "import json,sys; print(json.dumps({'_type':'https://in-toto.io/Statement/v1','subject':[{'name':'zlib-1.3.1.tar.gz','digest':{'sha256':'9a93b2b7dfdac77ceba5a558a580e74667dd6fede4585b91eefb60f03b72df23'}}],'predicateType':'https://cyclonedx.org/bom','predicate':json.load(open(sys.argv[1]))}))" \
  "$HM_SRC/examples/steward/evidence/zlib-1.3.1.cdx.json" > sbom.stmt.json
"$MK" payload sbom.stmt.json sbom.json sbom.pub.pem
expect 0 "format: CycloneDX" "show names an SBOM" -- "$HM" show --key sbom.pub.pem sbom.json
expect 0 "describes: zlib" "show prints what the SBOM describes" -- "$HM" show sbom.json
"$HM" approve --state "$S" --key steward --product acme-thermostat --version 1.4.2 --approver alice \
  --comment "tested on rig 4" --out approval.json fw.bin >/dev/null
expect 0 "kind: DSSE envelope" "show reads a bare DSSE envelope" -- "$HM" show --key steward.pub.pem approval.json
expect 0 "approver: alice" "show prints an approval" -- "$HM" show approval.json
printf '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"evil\\u001b[2J\\u009b31m","digest":{"sha256":"%s"}}],"predicateType":"https://example.org/whatever/v3","predicate":{"a":1,"b\\u001b]0;pwned\\u0007":{}}}' "$spki" > other.stmt.json
"$MK" payload other.stmt.json other.json other2.pub.pem
expect 0 "a predicate this version does not know" "show an unknown predicate generically" -- "$HM" show --key other2.pub.pem other.json
expect 0 "predicate type: https://example.org/whatever/v3" "show prints the unknown type" -- "$HM" show other.json
expect 0 'evil\\x1b\[2J\\u009b31m' "control characters are escaped" -- "$HM" show other.json
if "$HM" show other.json | LC_ALL=C grep -q $'\x1b\|\xc2\x9b\|\x07'; then
  not_ok "raw control characters reach the terminal"
else
  ok "no raw control character reaches the terminal"
fi
"$HM" show --json other.json > other.show.json
json_ok other.show.json 'd["statement"]["kind"] == "other" and d["statement"]["subjects"][0]["name"].startswith("evil\x1b")' "show --json of an unknown predicate"

# --- show: errors ---
printf 'not json' > garbage.json
expect 1 "is not a bundle we read" "show refuses garbage" -- "$HM" show garbage.json
expect 2 "cannot read" "show with a missing file" -- "$HM" show nope.json
expect 2 "needs exactly one bundle" "show without a bundle" -- "$HM" show
expect 2 "holds no supported public key" "show with a bad key file" -- "$HM" show --key garbage.json zlib.json
finish

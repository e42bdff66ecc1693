#!/usr/bin/env bash
# Interop both ways:
#  1. bundles made by `hallmark sign` (P-256, Ed25519, RSA-PSS) verify with npm's
#     @sigstore/verify 3.1 (P-384 is left out: sigstore-js checks EC signatures with
#     SHA-256 only, reference/dependencies.md §5), and sigstore-js refuses them tampered;
#  2. `hallmark verify` accepts a DSSE bundle built without Hallmark code (node + openssl),
#     in standard and URL-safe base64, and refuses it tampered.
source "$HM_SRC/tests/lib.sh"
JS=$HM_SRC/tests/interop
[ -d "$JS/node_modules/@sigstore/verify" ] || { echo "node_modules missing: run ci/install"; exit 1; }
S=$WORK/state
cd "$WORK"
"$HM" keys init --state "$S" >/dev/null
head -c 65536 /dev/urandom > fw.bin

for alg in ec-p256 ed25519 rsa-3072; do
  "$HM" keys create --state "$S" --label "k-$alg" --alg "$alg" >/dev/null
  "$HM" keys export --state "$S" --key "k-$alg" --out "k-$alg.pem" >/dev/null
  "$HM" sign --state "$S" --key "k-$alg" --product acme-thermostat --version 2.0.0 --out "b-$alg.json" fw.bin >/dev/null
  expect 0 "sigstore-js: verified" "@sigstore/verify accepts the $alg bundle" -- node "$JS/sigstore_verify.js" "k-$alg.pem" "$alg" "b-$alg.json"
  python3 - "b-$alg.json" "t-$alg.json" <<'PY'
import base64, json, sys
b = json.load(open(sys.argv[1]))
p = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
p["predicate"]["version"] = "2.0.1"
b["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(p).encode()).decode()
json.dump(b, open(sys.argv[2], "w"))
PY
  expect 1 "REJECTED.*SIGNATURE_ERROR" "@sigstore/verify refuses the tampered $alg bundle" -- node "$JS/sigstore_verify.js" "k-$alg.pem" "$alg" "t-$alg.json"
done
expect 1 "REJECTED.*(PUBLIC_KEY_ERROR|SIGNATURE_ERROR)" "@sigstore/verify refuses a bundle under another key" -- node "$JS/sigstore_verify.js" k-ed25519.pem ed25519 b-ec-p256.json

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out foreign.key 2>/dev/null
openssl pkey -in foreign.key -pubout -out foreign.pem
node "$JS/foreign_bundle.js" foreign.key foreign.pem acme-thermostat 3.0.0 foreign.json fw.bin
node "$JS/foreign_bundle.js" foreign.key foreign.pem acme-thermostat 3.0.0 foreign-url.json fw.bin --urlsafe
expect 0 "^verified: acme-thermostat 3.0.0" "hallmark verify accepts a bundle built by node + openssl" -- "$HM" verify --key foreign.pem --bundle foreign.json fw.bin
expect 0 "^verified: acme-thermostat 3.0.0" "... and its URL-safe base64 form" -- "$HM" verify --key foreign.pem --bundle foreign-url.json fw.bin
expect 0 "sigstore-js: verified" "@sigstore/verify agrees on the foreign bundle" -- node "$JS/sigstore_verify.js" foreign.pem ec-p256 foreign.json
sed 's/"sig":"M/"sig":"N/' foreign.json > foreign-bad.json
expect 1 "bad-signature" "hallmark verify refuses the foreign bundle with a changed signature" -- "$HM" verify --key foreign.pem --bundle foreign-bad.json fw.bin
finish

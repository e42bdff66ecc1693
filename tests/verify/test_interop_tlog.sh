#!/usr/bin/env bash
# npm's @sigstore/verify 3.1.1 accepts our transparency-log entries (docs/formats.md
# "tlogEntries") with tlogThreshold 1, given a TrustedRoot made from a Hallmark trust root
# (tests/interop/sigstore_verify_tlog.js), for an Ed25519 and a P-256 log; and refuses the
# same bundles with a broken checkpoint, proof or leaf.  P-384 signatures are left out:
# sigstore-js checks EC signatures with SHA-256 only (docs/formats.md §1).
source "$HM_SRC/tests/lib.sh"
JS=$HM_SRC/tests/interop
[ -d "$JS/node_modules/@sigstore/verify" ] || { echo "node_modules missing: run ci/install"; exit 1; }
export NODE_PATH=$JS/node_modules
cd "$WORK"
head -c 65536 /dev/urandom > fw.bin
"$HM_BUILD/bin/vt_mkfiles" . fw.bin
for b in bundle-ec-p256 bundle-ed25519 bundle-rsa-3072 bundle-ec-p256-tpmlog; do
  expect 0 "sigstore-js: verified $b.json with its tlog entry \(index [0-9]+, kind dsse 0.0.1, tlogThreshold 1\)" \
    "@sigstore/verify accepts $b with its log entry" -- node "$JS/sigstore_verify_tlog.js" root.json "$b.json"
  expect 0 "^verified: .*logged at index" "hallmark verify agrees on $b" -- \
    "$HM" verify --trust-root root.json --bundle "$b.json" fw.bin
done
python3 - <<'PY'
import base64, json
b = json.load(open("bundle-ec-p256.json"))
e = b["verificationMaterial"]["tlogEntries"][0]
def save(name, f):
    c = json.loads(json.dumps(b)); f(c["verificationMaterial"]["tlogEntries"][0]); json.dump(c, open(name, "w"))
def cp(x):  # the checkpoint's size line
    lines = x["inclusionProof"]["checkpoint"]["envelope"].split("\n"); lines[1] = str(int(lines[1]) + 1)
    x["inclusionProof"]["checkpoint"]["envelope"] = "\n".join(lines)
def hashes(x):
    h = bytearray(base64.b64decode(x["inclusionProof"]["hashes"][0])); h[0] ^= 1
    x["inclusionProof"]["hashes"][0] = base64.b64encode(bytes(h)).decode()
def body(x):
    leaf = base64.b64decode(x["canonicalizedBody"]).replace(b'"version":"1.4.2"', b'"version":"1.4.3"')
    x["canonicalizedBody"] = base64.b64encode(leaf).decode()
save("t-checkpoint.json", cp); save("t-hashes.json", hashes); save("t-body.json", body)
PY
for t in checkpoint hashes body; do
  expect 1 "REJECTED t-$t.json: TLOG_INCLUSION_PROOF_ERROR" "@sigstore/verify refuses a changed $t" -- \
    node "$JS/sigstore_verify_tlog.js" root.json "t-$t.json"
  expect 1 "verification failed: (checkpoint-signature-invalid|log-proof-invalid)" "hallmark verify refuses it too" -- \
    "$HM" verify --trust-root root.json --bundle "t-$t.json" fw.bin
done
expect 1 "REJECTED bundle-ec-p256-nolog.json: TLOG_ERROR: expected 1 tlog entries, got 0" \
  "@sigstore/verify with tlogThreshold 1 refuses a bundle without an entry" -- \
  node "$JS/sigstore_verify_tlog.js" root.json bundle-ec-p256-nolog.json
finish

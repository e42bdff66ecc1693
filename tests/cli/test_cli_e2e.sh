#!/usr/bin/env bash
# The CLI end to end against a real SoftHSM2 token: keys init/create/list/export, sign,
# verify; then every tampering of a bundle or artifact is refused with its reason.
source "$HM_SRC/tests/lib.sh"
S=$WORK/state
cd "$WORK"

expect 0 "created token 'hallmark'" "keys init creates a token" -- "$HM" keys init --state "$S"
pin=$(cat "$S/user.pin")
so=$(cat "$S/so.pin")
[ "$(stat -c %a "$S/user.pin")" = 600 ] && [ "$(stat -c %a "$S/so.pin")" = 600 ] \
  && ok "PIN files are mode 0600" || not_ok "PIN files are not 0600"
[ ${#pin} -ge 16 ] && [ "$pin" != "$so" ] && ok "PINs are long and distinct" || not_ok "weak PINs"
expect 2 "already holds a token" "keys init refuses a folder that holds a token" -- "$HM" keys init --state "$S"

for alg in ec-p256 ec-p384 ed25519 rsa-3072; do
  expect 0 "created $alg key" "keys create $alg" -- "$HM" keys create --state "$S" --label "k-$alg" --alg "$alg"
  expect 0 "wrote" "keys export $alg" -- "$HM" keys export --state "$S" --key "k-$alg" --out "k-$alg.pub.pem"
  expect 0 "Public-Key|ED25519|Public Key" "openssl reads the exported $alg key" -- openssl pkey -pubin -in "k-$alg.pub.pem" -noout -text
done
expect 2 "exists" "keys create refuses an existing label" -- "$HM" keys create --state "$S" --label k-ec-p256 --alg ec-p256
expect 2 "--alg" "keys create refuses an unknown algorithm" -- "$HM" keys create --state "$S" --label x --alg dsa-1024
expect 0 "k-ed25519.*ed25519" "keys list shows all keys" -- "$HM" keys list --state "$S"
keyid=$(grep '^Hallmark key id:' k-ec-p256.pub.pem | cut -d' ' -f4)
want=$(openssl pkey -pubin -in k-ec-p256.pub.pem -outform DER | openssl dgst -sha256 -binary | base64)
[ "$keyid" = "$want" ] && ok "key id is base64(SHA-256(SPKI DER))" || not_ok "key id $keyid != $want"

head -c 1048576 /dev/urandom > fw.bin
printf '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}' > sbom.json
for alg in ec-p256 ec-p384 ed25519 rsa-3072; do
  expect 0 "signed acme-thermostat 1.4.2" "sign with $alg" -- "$HM" sign --state "$S" --key "k-$alg" \
    --product acme-thermostat --version 1.4.2 --support-end 2031-12-31 --out "b-$alg.json" fw.bin sbom.json
  expect 0 "^verified: acme-thermostat 1.4.2 on channel stable: 2 artifact\(s\).*until 2031-12-31" \
    "verify $alg bundle" -- "$HM" verify --key "k-$alg.pub.pem" --bundle "b-$alg.json" fw.bin sbom.json
done

# --- every tampering is refused with its own reason ---
tamper() { # tamper IN OUT PYTHON-EXPR-ON-b (the bundle as a dict)
  python3 - "$1" "$2" "$3" <<'PY'
import base64, json, sys
b = json.load(open(sys.argv[1]))
env = b["dsseEnvelope"]
def payload(): return json.loads(base64.b64decode(env["payload"]))
def set_payload(p): env["payload"] = base64.b64encode(json.dumps(p).encode()).decode()
exec(sys.argv[3])
json.dump(b, open(sys.argv[2], "w"))
PY
}
B=b-ec-p256.json K=k-ec-p256.pub.pem
tamper $B t-payload.json 'p = payload(); p["predicate"]["version"] = "9.9.9"; set_payload(p)'
expect 1 "bad-signature" "changed payload is refused" -- "$HM" verify --key $K --bundle t-payload.json fw.bin
tamper $B t-subject.json 'p = payload(); p["subject"][0]["digest"]["sha256"] = "0" * 64; set_payload(p)'
expect 1 "bad-signature" "changed subject digest is refused" -- "$HM" verify --key $K --bundle t-subject.json fw.bin
tamper $B t-type.json 'env["payloadType"] = "application/json"'
expect 1 "wrong-payload-type" "changed payloadType is refused" -- "$HM" verify --key $K --bundle t-type.json fw.bin
tamper $B t-sig.json 's = bytearray(base64.b64decode(env["signatures"][0]["sig"])); s[-1] ^= 1; env["signatures"][0]["sig"] = base64.b64encode(bytes(s)).decode()'
expect 1 "bad-signature" "changed signature is refused" -- "$HM" verify --key $K --bundle t-sig.json fw.bin
tamper $B t-keyid.json 'env["signatures"][0]["keyid"] = "AAAA" + env["signatures"][0]["keyid"][4:]'
expect 1 "malformed-bundle.*keyid" "keyid that differs from the hint is refused" -- "$HM" verify --key $K --bundle t-keyid.json fw.bin
tamper $B t-hint.json 'h = "AAAA" + env["signatures"][0]["keyid"][4:]; env["signatures"][0]["keyid"] = h; b["verificationMaterial"]["publicKey"]["hint"] = h'
expect 1 "unknown-key" "hint and keyid of another key are refused" -- "$HM" verify --key $K --bundle t-hint.json fw.bin
expect 1 "unknown-key" "a bundle checked with another key is refused" -- "$HM" verify --key k-ed25519.pub.pem --bundle $B fw.bin
cp fw.bin fw-orig.bin
printf 'x' >> fw.bin
expect 1 "digest-mismatch.*fw.bin" "changed artifact bytes are refused" -- "$HM" verify --key $K --bundle $B fw.bin
cp fw-orig.bin fw.bin
head -c 1000 /dev/urandom > other.bin
expect 1 "not-a-subject.*other.bin" "an artifact that is not a subject is refused" -- "$HM" verify --key $K --bundle $B fw.bin other.bin
head -c 200 $B > t-trunc.json
expect 1 "malformed-bundle" "a truncated bundle is refused" -- "$HM" verify --key $K --bundle t-trunc.json fw.bin
tamper $B t-dup.json 'pass'
sed -i 's/^{/{"mediaType":"x",/' t-dup.json
expect 1 "malformed-bundle.*duplicate" "a bundle with a duplicate key is refused" -- "$HM" verify --key $K --bundle t-dup.json fw.bin
expect 1 "wrong-product" "another product is refused" -- "$HM" verify --key $K --bundle $B --product acme-oven fw.bin
expect 1 "rollback" "an older or equal version is refused" -- "$HM" verify --key $K --bundle $B --installed-version 1.4.2 fw.bin
expect 0 "^verified" "a newer version is accepted" -- "$HM" verify --key $K --bundle $B --product acme-thermostat --installed-version 1.4.1 fw.bin

# --- usage and I/O errors exit 2 ---
expect 2 "needs --key" "verify without arguments" -- "$HM" verify
expect 2 "cannot read artifact" "verify with a missing artifact" -- "$HM" verify --key $K --bundle $B nope.bin
expect 2 "cannot read bundle" "verify with a missing bundle" -- "$HM" verify --key $K --bundle nope.json fw.bin
expect 2 "no supported public key" "verify with a file that is not a key" -- "$HM" verify --key sbom.json --bundle $B fw.bin

# --- the PIN: wrong PIN fails cleanly, and no PIN appears anywhere ---
mkdir -p bad && printf 'wrong-pin-%s\n' "$RANDOM" > bad/user.pin && chmod 600 bad/user.pin
sed "s#pin-source=file:[^&]*#pin-source=file:$WORK/bad/user.pin#" "$S/token.uri" > bad.uri
badpin=$(cat bad/user.pin)
out=$("$HM" keys list --token "$(cat bad.uri)" --state "$S" 2>&1) && rc=0 || rc=$?
[ $rc -eq 2 ] && grep -qi "denied\|PIN" <<<"$out" && ok "a wrong PIN fails cleanly" || not_ok "wrong PIN: exit $rc: $out"
grep -qF -- "$badpin" <<<"$out" && not_ok "the wrong PIN appears in the error" || ok "the wrong PIN is not echoed"
all=$(HALLMARK_LOG=debug "$HM" sign --state "$S" --key k-ec-p256 --product acme-thermostat --version 1.4.3 --out dbg.json fw.bin 2>&1; cat ./*.json)
grep -qF -- "$pin" <<<"$all" && not_ok "the PIN appears in debug output or bundles" || ok "the PIN appears in no output or bundle"

# --- streaming: a large file is hashed without reading it into memory ---
if ! is_asan; then
  truncate -s 1G big.bin
  ( ulimit -v 400000; "$HM" sign --state "$S" --key k-ec-p256 --product acme-thermostat --version 1.5.0 --out big.json big.bin >/dev/null ) \
    && ok "a 1 GiB artifact is signed within 400 MB of address space" || not_ok "signing a 1 GiB artifact needed more memory"
  expect 0 "^verified" "the 1 GiB artifact verifies" -- "$HM" verify --key $K --bundle big.json big.bin
fi
finish

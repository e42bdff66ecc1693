#!/usr/bin/env bash
# test_daemon_log.sh: hallmarkd's transparency log end to end (docs/tlog.md).
#
# A token with a P-256 signing key and an Ed25519 log key; 300 sign requests over 16
# connections at once; then: every release bundle verifies with `hallmark verify
# --trust-root` (signature, statement, inclusion proof, signed checkpoint), indexes are
# unique and contiguous, the checkpoint route verifies with the log key, proofs from the
# routes verify, tiles and entry bundles match the leaves, bad inputs get 400/404; a
# restart reads the tree back; and when the log key cannot sign, the reply is 503, no
# bundle is returned and no index is lost.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
ORIGIN=log.test.example/hallmark
N_REQ=300
N_CONN=16
# ASan with the slow unwinder (ci/test) is about 10x slower: fewer requests, same checks.
if ldd "$HMD" 2>/dev/null | grep -q libasan; then N_REQ=64; fi

make_pki
make_token
make_artifact
"$MKSTATE" key "$W/state" "$TOKEN_URI" ed25519 log-ed25519 "$W/log.pub.pem" >/dev/null
"$HALLMARK" keys export --state "$W/state" --key fw-p256 --out "$W/fw.pub.pem" >/dev/null 2>&1 ||
    cp "$W/fw-p256.pub.pem" "$W/fw.pub.pem"

channels=$(for i in $(seq 0 $((N_CONN - 1))); do printf '"s%d",' "$i"; done)
cat >"$W/hallmarkd.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "tls": { "cert": "$W/pki/server.pem", "key": "$W/pki/server.key", "client_ca": "$W/pki/ca.pem" },
  "hsm": { "uri": "$TOKEN_URI", "sessions": 4, "softhsm2_conf": "$W/state/softhsm2.conf" },
  "store": "sqlite:$W/hallmark.db",
  "products": [ { "name": "acme-thermostat", "channels": [${channels}"stable"],
                  "key": "fw-p256", "clients": ["cn:ci-acme"] } ],
  "limits": { "max_body": 65536, "rate_per_client": 10000, "read_timeout_ms": 5000 },
  "tlog": { "origin": "$ORIGIN", "key": "log-ed25519", "max_batch_delay_ms": 2, "max_batch": 64 },
  "log": { "format": "text", "level": "info" }
}
JSON

# The trust root a device pins: the signing key and the log (origin + key).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/root.key" 2>/dev/null
openssl pkey -in "$W/root.key" -pubout -out "$W/root.pub.pem"
"$HALLMARK" trust-root init --out "$W/root.json" --root-key "$W/root.pub.pem" \
    --key "$W/fw.pub.pem:products=acme-thermostat" --log "$ORIGIN=$W/log.pub.pem" \
    --sign-with "$W/root.key" >/dev/null
expect "trust root with the log written" 0 "$?"

start_daemon "$W/hallmarkd.json"
grep -q 'key event of key' "$W/hmd.log" && ok "the signing key got its key event at start" ||
    bad "no key event logged at start"

# --- 300 requests over 16 connections at once (one channel per connection: versions rise) ---
mkdir -p "$W/replies"
one_stream() { # one_stream CONN: N_REQ/N_CONN sequential releases on channel sCONN
    local c=$1 n
    n=$((N_REQ / N_CONN + (c < N_REQ % N_CONN ? 1 : 0)))
    for v in $(seq 1 "$n"); do
        sign_body acme-thermostat "s$c" "1.0.$v" >"$W/replies/req-$c-$v.json"
        curl -sS --max-time 30 --cacert "$W/pki/ca.pem" --cert "$W/pki/ci-acme.pem" \
            --key "$W/pki/ci-acme.key" -H 'Content-Type: application/json' \
            --data-binary @"$W/replies/req-$c-$v.json" -o "$W/replies/rep-$c-$v.json" \
            -w '%{http_code}\n' "$URL/v1/sign" >>"$W/replies/status-$c" 2>>"$W/curl.err" || echo 000 >>"$W/replies/status-$c"
    done
}
export -f one_stream sign_body
export W URL N_REQ N_CONN ART_SIZE ART_SHA256 ART_SHA512
seq 0 $((N_CONN - 1)) | xargs -P "$N_CONN" -I{} bash -c 'one_stream {}'
expect "$N_REQ sign requests answered 200" "$N_REQ" "$(cat "$W"/replies/status-* | grep -c '^200$')"

# Every bundle: its entry's index; the release bundles to files for `hallmark verify`.
"$PY" - "$W" <<'PY' >"$W/indexes" || bad "a reply lacks its log entry"
import glob, json, sys
w = sys.argv[1]
for i, path in enumerate(sorted(glob.glob(w + "/replies/rep-*.json"))):
    rep = json.load(open(path))
    for j, b in enumerate(rep["bundles"]):
        e = b["bundle"]["verificationMaterial"]["tlogEntries"][0]
        assert len(b["bundle"]["verificationMaterial"]["tlogEntries"]) == 1
        assert j > 0 or str(rep["logIndex"]) == e["logIndex"], "reply logIndex"
        print(e["logIndex"])
        if b["predicateType"].endswith("/release/v1"):
            json.dump(b["bundle"], open("%s/replies/bundle-%d.json" % (w, i), "w"),
                      separators=(",", ":"))
PY
n_idx=$(wc -l <"$W/indexes")
n_bundles=$(cat "$W"/replies/rep-*.json | grep -o '"predicateType":"[^"]*","bundle"' | wc -l)
expect "every returned bundle carries a log entry" "$n_bundles" "$n_idx"
expect "no index is used twice" "$n_idx" "$(sort -u "$W/indexes" | wc -l)"
# index 0 is the key event; the rest must be 1..n exactly
expect "indexes are contiguous" "1 $n_idx" "$(sort -n "$W/indexes" | sed -n '1p;$p' | tr '\n' ' ' | sed 's/ $//')"

verified=0
for b in "$W"/replies/bundle-*.json; do
    if "$HALLMARK" verify --trust-root "$W/root.json" --bundle "$b" --product acme-thermostat \
        "$W/firmware.bin" >/dev/null 2>>"$W/verify.err"; then
        verified=$((verified + 1))
    fi
done
expect "every release bundle verifies with the trust root, proof and checkpoint included" \
    "$N_REQ" "$verified"

# npm's @sigstore/verify (tlogThreshold 1) accepts hallmarkd's bundles with their entry.
JS=$HM_SRC/tests/interop
if command -v node >/dev/null && [ -d "$JS/node_modules/@sigstore/verify" ]; then
    js_ok=0
    for i in 0 1 2; do
        NODE_PATH=$JS/node_modules node "$JS/sigstore_verify_tlog.js" "$W/root.json" \
            "$W/replies/bundle-$i.json" >>"$W/js.out" 2>&1 && js_ok=$((js_ok + 1))
    done
    expect "@sigstore/verify accepts the daemon's bundles with their log entry" 3 "$js_ok"
else
    echo "skip: @sigstore/verify is not installed (ci/install)"
fi

# A bundle with its proof hashes altered must fail.
"$PY" - "$W/replies/bundle-0.json" "$W/tampered.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
p = b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
p["hashes"][0] = "A" * 43 + "="
json.dump(b, open(sys.argv[2], "w"), separators=(",", ":"))
PY
if "$HALLMARK" verify --trust-root "$W/root.json" --bundle "$W/tampered.json" "$W/firmware.bin" \
    >/dev/null 2>&1; then bad "a bundle with a wrong proof verified"; else ok "a wrong proof is refused"; fi

# --- the routes ---
expect "GET /v1/log/checkpoint" 200 "$(req ci-acme GET /v1/log/checkpoint)"
cp "$W/body" "$W/checkpoint"
SIZE=$(sed -n 2p "$W/checkpoint")
expect "checkpoint size = entries" "$((n_idx + 1))" "$SIZE"
fetch() { # fetch PATH OUT: a GET that must answer 200
    local st
    st=$(req ci-acme GET "$1")
    cp "$W/body" "$2"
    [ "$st" = 200 ] || bad "GET $1: $st"
}
fetch "/v1/log/entries/0" "$W/entry-0.json"
fetch "/v1/log/entries/$((SIZE - 1))" "$W/entry-last.json"
fetch "/v1/log/proof/inclusion?index=5&size=$SIZE" "$W/incl.json"
fetch "/v1/log/proof/consistency?from=7&to=$SIZE" "$W/cons.json"
fetch "/v1/log/proof/inclusion?size=$SIZE&index=$((SIZE - 1))" "$W/incl-last.json"
if [ "$SIZE" -ge 256 ]; then
    fetch "/v1/log/tile/0/000" "$W/tile-0-0"
    fetch "/v1/log/tile/entries/000" "$W/ent-0"
    fetch "/v1/log/tile/1/000.p/1" "$W/tile-1-0"
else
    fetch "/v1/log/tile/0/000.p/$SIZE" "$W/tile-0-0"
    fetch "/v1/log/tile/entries/000.p/$SIZE" "$W/ent-0"
fi
if [ "$SIZE" -gt 256 ]; then
    fetch "/v1/log/tile/0/001.p/$((SIZE - 256))" "$W/tile-0-1"
    fetch "/v1/log/tile/entries/001.p/$((SIZE - 256))" "$W/ent-1"
fi
for i in $(seq 0 $((SIZE - 1))); do
    req ci-acme GET "/v1/log/entries/$i" >/dev/null
    cp "$W/body" "$W/entries-$i.json"
done

"$PY" - "$W" "$SIZE" "$ORIGIN" <<'PY' >"$W/route-check.out" 2>&1 && ok "routes: checkpoint text, proofs, tiles and entry bundles agree" || bad "routes disagree: $(tail -3 "$W/route-check.out")"
import base64, hashlib, json, sys
w, size, origin = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def H(b): return hashlib.sha256(b).digest()
def node(l, r): return H(b"\x01" + l + r)
leaves = []
for i in range(size):
    e = json.load(open("%s/entries-%d.json" % (w, i)))
    assert e["logIndex"] == i
    leaf = base64.b64decode(e["leaf"])
    lh = H(b"\x00" + leaf)
    assert e["leafHash"] == lh.hex(), "leafHash %d" % i
    json.loads(leaf)  # the leaf is JSON
    assert (e["bundle"] is None) or ("dsseEnvelope" in e["bundle"])
    leaves.append((leaf, lh))
def mth(hs):
    if len(hs) == 1: return hs[0]
    k = 1
    while k * 2 < len(hs): k *= 2
    return node(mth(hs[:k]), mth(hs[k:]))
hashes = [lh for _, lh in leaves]
root = mth(hashes)
cp = open(w + "/checkpoint", "rb").read().decode()
text, sigs = cp.split("\n\n", 1)
lines = text.split("\n")
assert lines[0] == origin and int(lines[1]) == size, lines
assert base64.b64decode(lines[2]) == root, "checkpoint root"
assert sigs.startswith("\u2014 " + origin + " "), sigs
sig = base64.b64decode(sigs.split(" ")[2].strip())[4:]
open(w + "/cp.text", "wb").write((text + "\n").encode())
open(w + "/cp.sig", "wb").write(sig)
def verify_incl(idx, n, lh, path, root):
    # RFC 9162 2.1.3.2
    fn, sn, r = idx, n - 1, lh
    for p in path:
        if sn == 0: return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1; sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1; sn >>= 1
    return sn == 0 and r == root
inc = json.load(open(w + "/incl.json"))
assert inc["logIndex"] == 5 and inc["treeSize"] == size
assert base64.b64decode(inc["rootHash"]) == root
assert verify_incl(5, size, hashes[5], [base64.b64decode(h) for h in inc["hashes"]], root)
inc = json.load(open(w + "/incl-last.json"))
assert verify_incl(size - 1, size, hashes[-1], [base64.b64decode(h) for h in inc["hashes"]], root)
con = json.load(open(w + "/cons.json"))
assert con["from"] == 7 and con["to"] == size
def verify_cons(m, n, r1, r2, path):
    # RFC 9162 2.1.4.2
    if m == n: return not path and r1 == r2
    if m & (m - 1) == 0: path = [r1] + path
    fn, sn = m - 1, n - 1
    while fn & 1: fn >>= 1; sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0: return False
        if fn & 1 or fn == sn:
            fr = node(c, fr); sr = node(c, sr)
            while not fn & 1 and fn != 0: fn >>= 1; sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1; sn >>= 1
    return fr == r1 and sr == r2 and sn == 0
assert verify_cons(7, size, mth(hashes[:7]), root, [base64.b64decode(h) for h in con["hashes"]])
def unbundle(b):
    out, i = [], 0
    while i < len(b):
        n = b[i] << 8 | b[i + 1]; out.append(b[i + 2:i + 2 + n]); i += 2 + n
    return out
t = open(w + "/tile-0-0", "rb").read()
assert t == b"".join(hashes[:256]), "tile 0/000"
if size > 256:
    assert open(w + "/tile-0-1", "rb").read() == b"".join(hashes[256:]), "tile 0/001.p"
    assert unbundle(open(w + "/ent-1", "rb").read()) == [l for l, _ in leaves[256:]], "entries/001.p"
if size >= 256:
    assert open(w + "/tile-1-0", "rb").read() == mth(hashes[:256]), "tile 1/000.p/1"
assert unbundle(open(w + "/ent-0", "rb").read()) == [l for l, _ in leaves[:256]], "entries/000"
print("ok")
PY
if openssl pkeyutl -verify -pubin -inkey "$W/log.pub.pem" -rawin -in "$W/cp.text" \
    -sigfile "$W/cp.sig" >/dev/null 2>&1; then
    ok "the checkpoint's signature verifies with the log key (openssl)"
else
    bad "the checkpoint's signature does not verify"
fi

# --- the monitor and the offline proof (signer/cli: `hallmark log`) against these routes ---
MON=(--server "$URL" --cacert "$W/pki/ca.pem" --tls-cert "$W/pki/ci-acme.pem" --tls-key "$W/pki/ci-acme.key")
if "$HALLMARK" log verify "${MON[@]}" --state "$W/mon" --trust-root "$W/root.json" >"$W/mon.out" 2>&1; then
    ok "hallmark log verify accepts the log"
else
    bad "hallmark log verify: $(tail -2 "$W/mon.out")"
fi
if "$HALLMARK" log proof "${MON[@]}" --index 5 --out "$W/e5.tlog-proof" --leaf-out "$W/e5.leaf" \
    --trust-root "$W/root.json" >/dev/null 2>&1 &&
    "$HALLMARK" log proof --verify "$W/e5.tlog-proof" --leaf "$W/e5.leaf" \
        --trust-root "$W/root.json" >/dev/null 2>&1; then
    ok "a tlog-proof file for entry 5 verifies offline"
else
    bad "hallmark log proof for entry 5 failed"
fi

# --- bad inputs ---
check_status() { expect "$1" "$2" "$(req ci-acme GET "$3")"; }
check_status "entry beyond the tree" 404 "/v1/log/entries/$SIZE"
check_status "entry index with a leading zero" 400 "/v1/log/entries/01"
check_status "entry index not a number" 400 "/v1/log/entries/x1"
check_status "inclusion: index >= size" 400 "/v1/log/proof/inclusion?index=3&size=3"
check_status "inclusion: size beyond the tree" 404 "/v1/log/proof/inclusion?index=1&size=$((SIZE + 1))"
check_status "inclusion: missing size" 400 "/v1/log/proof/inclusion?index=1"
check_status "inclusion: repeated name" 400 "/v1/log/proof/inclusion?index=1&index=2&size=3"
check_status "inclusion: unknown name" 400 "/v1/log/proof/inclusion?index=1&size=3&x=1"
check_status "inclusion: negative" 400 "/v1/log/proof/inclusion?index=-1&size=3"
check_status "inclusion: huge" 400 "/v1/log/proof/inclusion?index=1&size=99999999999999999999"
check_status "consistency: from > to" 400 "/v1/log/proof/consistency?from=5&to=4"
check_status "consistency: to beyond the tree" 404 "/v1/log/proof/consistency?from=1&to=$((SIZE + 5))"
check_status "tile beyond the tree" 404 "/v1/log/tile/0/009"
check_status "partial tile wider than the tree" 404 "/v1/log/tile/entries/001.p/255"
check_status "tile path not canonical" 400 "/v1/log/tile/0/0"
check_status "tile of width 0" 400 "/v1/log/tile/0/001.p/0"
check_status "tile level 64" 400 "/v1/log/tile/64/000"
check_status "checkpoint with a query" 400 "/v1/log/checkpoint?x=1"
check_status "unknown log resource" 404 "/v1/log/nothing"
expect "POST to the log" 405 "$(req ci-acme POST /v1/log/checkpoint -H 'Content-Type: application/json' --data '{}')"
expect "no client certificate" 000 "$(curl -sS --max-time 5 --cacert "$W/pki/ca.pem" -o /dev/null -w '%{http_code}' "$URL/v1/log/checkpoint" 2>/dev/null || true)"

# --- restart: the tree is read back and checked; signing goes on at the next index ---
stop_daemon || bad "hallmarkd did not stop cleanly"
URL_OLD=$URL
start_daemon "$W/hallmarkd.json"
grep -q "opened at tree size $SIZE" "$W/hmd.log" && ok "restart read the tree back at size $SIZE" ||
    bad "restart did not report tree size $SIZE"
expect "sign after restart" 200 "$(sign ci-acme acme-thermostat stable 2.0.0)"
expect "next index after restart" "$SIZE" "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["bundles"][0]["bundle"]["verificationMaterial"]["tlogEntries"][0]["logIndex"])' "$W/body")"
req ci-acme GET /v1/log/checkpoint >/dev/null
SIZE=$(sed -n 2p "$W/body")

if "$HALLMARK" log verify "${MON[@]/$URL_OLD/$URL}" --state "$W/mon" --trust-root "$W/root.json" >"$W/mon.out" 2>&1; then
    ok "the monitor follows the log across the restart (consistency proof)"
else
    bad "hallmark log verify after the restart: $(tail -2 "$W/mon.out")"
fi

# --- the log key cannot sign: 503, nothing returned, no index lost ---
SOFTHSM2_CONF=$W/state/softhsm2.conf pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label hallmark --login \
    --pin "$(cat "$W/state/user.pin")" --delete-object --type privkey --label log-ed25519 \
    >/dev/null 2>&1 || bad "cannot delete the log key for the fault case"
expect "sign while the log key cannot sign" 503 "$(sign ci-acme acme-thermostat stable 2.0.1)"
grep -q '"bundles"' "$W/body" && bad "a 503 carried a bundle" || ok "the 503 carries no bundle"
expect "the tree did not grow" "$SIZE" "$(req ci-acme GET /v1/log/checkpoint >/dev/null; sed -n 2p "$W/body")"
expect "the failed version was not recorded" "2.0.0" "$("$MKSTATE" highest "sqlite:$W/hallmark.db" acme-thermostat stable)"
finish

#!/usr/bin/env python3
"""crash_check.py: the batch checks of log_crash.sh after a restart of hallmarkd.

  crash_check.py W URL SIZE ROOT_B64

W holds resp/ (every 200 reply a client received, one file each) and bundles/ (the release
bundles taken from them so far).  It takes the bundle out of every new reply (printing the new
bundle files, one a line, for `hallmark verify`), checks that the reply's logIndex is the
bundle's, that no logIndex appears twice among all received bundles, and then proves every
received bundle included in the checkpoint of size SIZE and root ROOT_B64 (whose signature the
caller has checked with `hallmark log verify`): it reads the log's level-0 hash tiles, checks
that they hash (RFC 6962) to ROOT_B64, and that each bundle's leaf hash, SHA-256(0x00 ||
canonicalizedBody), is the tree's hash at the bundle's logIndex.  The counts go to W/counts
("received proved").  Exit 1 with a message on the first failure.
"""
import base64, hashlib, json, os, ssl, sys, urllib.request

w, url, size, root = sys.argv[1], sys.argv[2], int(sys.argv[3]), base64.b64decode(sys.argv[4])


def fail(msg):
    print("crash_check: " + msg)
    sys.exit(1)


def tile_path(n):
    s = "%03d" % (n % 1000)
    n //= 1000
    while n > 0:
        s = "x%03d/" % (n % 1000) + s
        n //= 1000
    return s


def mth(h):  # RFC 6962 2.1 over leaf hashes
    if len(h) == 1:
        return h[0]
    k = 1
    while k * 2 < len(h):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(h[:k]) + mth(h[k:])).digest()


ctx = ssl.create_default_context(cafile=os.path.join(w, "pki/ca.pem"))
ctx.load_cert_chain(os.path.join(w, "pki/ci-acme.pem"), os.path.join(w, "pki/ci-acme.key"))


def get(path):
    with urllib.request.urlopen(url + "/v1/log/" + path, context=ctx, timeout=30) as r:
        return r.read()


# New replies -> bundles.
bdir = os.path.join(w, "bundles")
os.makedirs(bdir, exist_ok=True)
for name in sorted(os.listdir(os.path.join(w, "resp"))):
    out = os.path.join(bdir, name)
    if os.path.exists(out):
        continue
    reply = json.load(open(os.path.join(w, "resp", name)))
    b = reply["bundles"][0]["bundle"]
    e = b["verificationMaterial"]["tlogEntries"][0]
    if str(reply["logIndex"]) != str(e["logIndex"]) or reply["bundles"][0]["logIndex"] != reply["logIndex"]:
        fail("%s: the reply's logIndex %s is not the bundle's %s" % (name, reply["logIndex"], e["logIndex"]))
    json.dump(b, open(out + ".tmp", "w"))
    os.rename(out + ".tmp", out)
    print(out)
sys.stdout.flush()

# Every received bundle: a unique index, included in the checkpoint.
hashes = []
for n in range((size + 255) // 256):
    width = min(256, size - n * 256)
    t = get("tile/0/" + tile_path(n) + ("" if width == 256 else ".p/%d" % width))
    if len(t) != 32 * width:
        fail("tile %d: %d bytes, want %d" % (n, len(t), 32 * width))
    hashes += [t[i : i + 32] for i in range(0, len(t), 32)]
if size == 0 or mth(hashes) != root:
    fail("the level-0 tiles do not hash to the checkpoint's root at size %d" % size)
seen = {}
for name in sorted(os.listdir(bdir)):
    if name.endswith(".tmp"):
        continue
    e = json.load(open(os.path.join(bdir, name)))["verificationMaterial"]["tlogEntries"][0]
    i = int(e["logIndex"])
    if i in seen:
        fail("logIndex %d appears twice: %s and %s" % (i, seen[i], name))
    seen[i] = name
    if i >= size:
        fail("%s: logIndex %d is beyond the checkpoint (size %d) after the restart" % (name, i, size))
    leaf = hashlib.sha256(b"\x00" + base64.b64decode(e["canonicalizedBody"])).digest()
    if leaf != hashes[i]:
        fail("%s: entry %d of the log is not its leaf" % (name, i))
open(os.path.join(w, "counts"), "w").write("%d %d\n" % (len(seen), len(seen)))

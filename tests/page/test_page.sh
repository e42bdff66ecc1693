#!/usr/bin/env bash
# The page at GET /, as a person sees it: hallmarkd (SoftHSM2, mTLS, transparency log) with
# one signed release and two steward attestations, one of them from a steward whose names
# are hostile HTML; the page is fetched with curl (headers) and rendered by headless
# Chromium (--dump-dom and --screenshot) through a local socat that presents the client
# certificate (the daemon's mTLS is not relaxed for the page):
#   - Content-Security-Policy default-src 'none', a style hash, frame-ancestors 'none';
#     nosniff; text/html;
#   - the DOM lists the key with its attestation check, the release, the steward
#     attestations in plain words with the checks that passed;
#   - the hostile strings come out as text, never as elements (no <script>, no <img>);
#   - the screenshot is a PNG of the window's size that is not blank.
. "$HM_SRC/tests/daemon/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "SKIP-FAIL: chromium is not installed (ci/packages.txt)"; exit 1; }
command -v socat >/dev/null || { echo "SKIP-FAIL: socat is not installed (ci/packages.txt)"; exit 1; }
EX=$HM_SRC/examples/steward/zlib-steward-input.json
HOSTILE_NAME='zlib<script>alert(1)</script>'
HOSTILE_STEWARD='Evil "Stewards" <img src=x onerror=alert(2)> & Co'
SOCAT_PID=

setup_all
"$MKSTATE" key "$W/state" "$TOKEN_URI" ed25519 log-ed25519 "$W/log.pub.pem" >/dev/null
cat >"$W/policy.json" <<'JSON'
{
  "version": 1,
  "products": [ { "name": "acme-thermostat", "channels": ["stable"],
                  "keys": { "stable": "fw-p256" },
                  "identities": { "mtls": ["cn:ci-acme"] } } ],
  "stewards": [ { "projects": ["pkg:github/madler/zlib"],
                  "identities": { "mtls": ["cn:ci-other"] }, "key": "fw-p256" } ]
}
JSON
python3 - "$W/hallmarkd.json" "$W/policy.json" "$EX" "$W/hostile.json" "$HOSTILE_NAME" \
    "$HOSTILE_STEWARD" <<'PY'
import json, os, sys
cfg = json.load(open(sys.argv[1]))
cfg["policy"] = sys.argv[2]
cfg["tlog"] = {"origin": "page.test/log", "key": "log-ed25519"}
if "HM_TEST_PRIVSEP" not in os.environ:
    cfg["privsep"] = {"enabled": False}
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
doc = json.load(open(sys.argv[3]))
doc["predicate"]["project"]["name"] = sys.argv[5]
doc["predicate"]["steward"]["legalName"] = sys.argv[6]
json.dump(doc, open(sys.argv[4], "w"))
PY
start_daemon "$W/hallmarkd.json"
stop_socat() { [ -z "$SOCAT_PID" ] || kill "$SOCAT_PID" 2>/dev/null || true; }
trap 'stop_socat; cleanup' EXIT

TLS=(--server "$URL" --cacert "$W/pki/ca.pem" --tls-cert "$W/pki/ci-other.pem" --tls-key "$W/pki/ci-other.key")
"$HALLMARK" steward attest --input "$EX" "${TLS[@]}" --out "$W/zlib.json" --quiet ||
    bad "the zlib attestation was not issued"
"$HALLMARK" steward attest --input "$W/hostile.json" "${TLS[@]}" --out "$W/hostile.bundle.json" \
    --quiet || bad "the hostile attestation was not issued"
expect "a release signed" 200 "$(sign ci-acme acme-thermostat stable 1.0.0)"

# ---- the headers ---------------------------------------------------------------------
expect "GET / with the client certificate" 200 "$(req ci-acme GET /)"
hdr() { grep -i "^$1:" "$W/headers" | head -1 | tr -d '\r'; }
csp=$(hdr Content-Security-Policy)
grep -q "default-src 'none'" <<<"$csp" && grep -q "frame-ancestors 'none'" <<<"$csp" &&
    grep -Eq "style-src 'sha256-[A-Za-z0-9+/]{43}='" <<<"$csp" && ! grep -q "unsafe" <<<"$csp" &&
    ok "CSP: $csp" || bad "CSP header: '$csp'"
# the style hash in the CSP is the hash of the page's one <style> element
want=$(python3 - "$W/body" <<'PY'
import base64, hashlib, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
styles = re.findall(r"<style>(.*?)</style>", html, re.S)
assert len(styles) == 1, len(styles)
print("sha256-" + base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode())
PY
)
grep -qF "'$want'" <<<"$csp" && ok "the style's hash is in the CSP" || bad "style hash $want not in CSP"
expect "nosniff" "X-Content-Type-Options: nosniff" "$(hdr X-Content-Type-Options)"
grep -qi "text/html; charset=utf-8" <<<"$(hdr Content-Type)" && ok "text/html" ||
    bad "Content-Type: $(hdr Content-Type)"
grep -qi "<script\|<img\|<link\|src=\"http\|href=\"http" "$W/body" &&
    bad "the page loads or runs something" || ok "no script, image, link or external URL in the page"
expect "without a client certificate" 000 \
    "$(curl -sS --max-time 10 --cacert "$W/pki/ca.pem" -o /dev/null -w '%{http_code}' "$URL/" 2>/dev/null || true)"

# ---- Chromium, through socat (which holds the client certificate) ----------------------
PPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
socat "TCP-LISTEN:$PPORT,bind=127.0.0.1,reuseaddr,fork" \
    "OPENSSL:127.0.0.1:$PORT,cafile=$W/pki/ca.pem,cert=$W/pki/ci-acme.pem,key=$W/pki/ci-acme.key,commonname=localhost" \
    2>"$W/socat.log" &
SOCAT_PID=$!
for _ in $(seq 1 50); do
    curl -s -o /dev/null "http://127.0.0.1:$PPORT/" && break
    sleep 0.1
done
CH=("$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
    --user-data-dir="$W/chromium" --hide-scrollbars --window-size=1200,1600)
timeout 40 "${CH[@]}" --dump-dom "http://127.0.0.1:$PPORT/" >"$W/dom.html" 2>"$W/chromium.log" ||
    bad "chromium --dump-dom failed: $(tail -3 "$W/chromium.log")"
KEYID=$(openssl pkey -pubin -in "$W/fw-p256.pub.pem" -outform DER | openssl dgst -sha256 -binary | base64)
python3 - "$W/dom.html" "$KEYID" "$HOSTILE_NAME" "$HOSTILE_STEWARD" <<'PY' >"$W/dom.checks" || true
import html, re, sys
from html.parser import HTMLParser
dom, keyid, name, steward = open(sys.argv[1], encoding="utf-8").read(), *sys.argv[2:5]
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.tags = []; self.text = []
    def handle_starttag(self, t, a): self.tags.append(t)
    def handle_data(self, d): self.text.append(d)
p = P(); p.feed(dom); text = " ".join(" ".join(p.text).split())
def check(what, cond): print(("ok   " if cond else "FAIL ") + what)
check("the DOM has the keys section", "Signing keys" in text)
check("the key is listed by its id", keyid in text)
check("the key id check passed", "passed key id" in text)
check("the key attestation is shown", "key attestation" in text)
check("the release entry is in plain words",
      re.search(r"Release of acme-thermostat version 1\.0\.0 on channel stable", text) is not None)
check("the zlib steward attestation in plain words",
      "Example Compression Stewards e.V. (fictitious, a Hallmark example) attests the security of "
      "pkg:github/madler/zlib" in text)
check("the signature check passed for it",
      "passed signature and predicate" in text and "passed current: not expired" in text)
entries = len(re.findall(r"Log entry #\d+ ", text))
check("every log entry's binding check passed, and no check failed",
      text.count("passed log entry and bundle") == entries and "FAILED" not in text)
check("the release and both attestations are log entries (and the key event, if logged)",
      entries >= 3 and dom.count('class="card steward"') == 2)
check("the hostile project name is shown as text", (name + " — steward attestation") in text)
check("the hostile steward name is shown as text", (steward + " attests") in text)
check("no script or img element came out of the log",
      "script" not in p.tags and "img" not in p.tags)
check("the hostile markup is escaped in the DOM", html.escape(name, quote=False) in dom)
PY
while read -r line; do
    case $line in ok*) ok "${line#ok   }" ;; *) bad "${line#FAIL }" ;; esac
done <"$W/dom.checks"
[ -s "$W/dom.checks" ] || bad "the DOM checks did not run"

timeout 40 "${CH[@]}" --screenshot="$W/page.png" "http://127.0.0.1:$PPORT/" >>"$W/chromium.log" 2>&1 ||
    bad "chromium --screenshot failed: $(tail -3 "$W/chromium.log")"
python3 - "$W/page.png" <<'PY' >"$W/png.check" || true
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4}[ctype]
stride = w * bpp
# count the distinct first-byte values of each row's pixels, unfiltered well enough for
# "not blank": a blank page has one colour, the filters of its rows all give zeros
nonblank = sum(1 for r in range(h) if len(set(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])) > 2)
print(w, h, depth, nonblank)
PY
read -r pw ph depth rows <"$W/png.check" || true
expect "screenshot width" 1200 "${pw:-?}"
expect "screenshot height" 1600 "${ph:-?}"
[ "${rows:-0}" -gt 200 ] && ok "the screenshot is not blank ($rows rows with content)" ||
    bad "the screenshot looks blank: $(cat "$W/png.check")"
if [ -n "${HM_PAGE_SCREENSHOT:-}" ]; then cp "$W/page.png" "$HM_PAGE_SCREENSHOT"; fi
finish

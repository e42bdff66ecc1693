#!/usr/bin/env bash
# test_daemon_faults.sh: HSM faults through hallmarkd (issue 9, item 3; docs/security-testing.md
# "HSM faults").  hallmarkd on the PKCS#11 fault shim, with privilege separation (the
# default), 4 clients signing all the time; each fault in turn for FAULT_S seconds:
# CKR_DEVICE_ERROR, CKR_SESSION_HANDLE_INVALID, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT,
# CKR_FUNCTION_FAILED, 300 ms latency, a hang.  Checks: every answer is 200 or 503, every
# 503 has Retry-After, the daemon recovers within seconds of the fault ending (same pid),
# every 200 bundle verifies with `hallmark verify --trust-root` (signature, inclusion proof,
# checkpoint), and the log has no duplicate and no gap.  Prints a table per fault.
source "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
ORIGIN=log.faults.example/hallmark
N_CONN=4
FAULT_S=${HM_FAULT_SECONDS:-2}

make_pki
make_token
make_artifact
printf 'ART_SIZE=%s\nART_SHA256=%s\nART_SHA512=%s\n' "$ART_SIZE" "$ART_SHA256" "$ART_SHA512" >"$W/art.env"
"$MKSTATE" key "$W/state" "$TOKEN_URI" ed25519 log-ed25519 "$W/log.pub.pem" >/dev/null
channels=$(for i in $(seq 0 $((N_CONN - 1))); do printf '"s%d",' "$i"; done)
cat >"$W/hallmarkd.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "tls": { "cert": "$W/pki/server.pem", "key": "$W/pki/server.key", "client_ca": "$W/pki/ca.pem" },
  "hsm": { "uri": "$DAEMON_URI", "sessions": 4, "softhsm2_conf": "$W/state/softhsm2.conf" },
  "store": "sqlite:$W/hallmark.db",
  "products": [ { "name": "acme-thermostat", "channels": [${channels}"stable"],
                  "key": "fw-p256", "clients": ["cn:ci-acme"] } ],
  "limits": { "max_body": 65536, "rate_per_client": 100000, "read_timeout_ms": 5000 },
  "tlog": { "origin": "$ORIGIN", "key": "log-ed25519", "max_batch_delay_ms": 2, "max_batch": 64 },
  "privsep": { "sign_timeout_ms": 1000 },
  "log": { "format": "text", "level": "info" }
}
JSON
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/root.key" 2>/dev/null
openssl pkey -in "$W/root.key" -pubout -out "$W/root.pub.pem"
"$HALLMARK" trust-root init --out "$W/root.json" --root-key "$W/root.pub.pem" \
    --key "$W/fw-p256.pub.pem:products=acme-thermostat" --log "$ORIGIN=$W/log.pub.pem" \
    --sign-with "$W/root.key" >/dev/null || bad "trust-root init"

start_daemon "$W/hallmarkd.json"
PID0=$HMD_PID
mkdir -p "$W/ok"
# The driver: N_CONN keep-alive mTLS clients, each on its own channel with rising versions,
# while the main thread sets each fault, clears it and notes the times.
"$PY" - "$W" "$PORT" "$N_CONN" "$FAULT_S" >"$W/faults.json" <<'PY'
import http.client, json, ssl, sys, threading, time
w, port, nconn, fault_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
art = {}
for line in open(w + "/art.env"):
    k, v = line.strip().split("=", 1)
    art[k] = v
faults = [("CKR_DEVICE_ERROR", "fault=CKR_DEVICE_ERROR scope=sign"),
          ("CKR_SESSION_HANDLE_INVALID", "fault=CKR_SESSION_HANDLE_INVALID scope=sign"),
          ("CKR_DEVICE_REMOVED", "fault=CKR_DEVICE_REMOVED scope=sign"),
          ("CKR_TOKEN_NOT_PRESENT", "fault=CKR_TOKEN_NOT_PRESENT scope=sign"),
          ("CKR_FUNCTION_FAILED", "fault=CKR_FUNCTION_FAILED scope=sign"),
          ("latency 300 ms", "latency_us=300000"),
          ("hang", "hang=1")]
events, lock, stop = [], threading.Lock(), threading.Event()

def ctx():
    c = ssl.create_default_context(cafile=w + "/pki/ca.pem")
    c.load_cert_chain(w + "/pki/ci-acme.pem", w + "/pki/ci-acme.key")
    return c

def client(i):
    conn, v, c = None, 0, ctx()
    while not stop.is_set():
        v += 1
        body = json.dumps({"product": "acme-thermostat", "channel": "s%d" % i, "version": "1.0.%d" % v,
                           "artifacts": [{"name": "firmware.bin", "size": int(art["ART_SIZE"]),
                                          "digest": {"sha256": art["ART_SHA256"], "sha512": art["ART_SHA512"]}}],
                           "support_end": "2031-12-31",
                           "sbom": {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []}})
        t0 = time.time()
        try:
            if conn is None:
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=c, timeout=30)
            conn.request("POST", "/v1/sign", body, {"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            st, ra = r.status, r.getheader("Retry-After")
        except Exception as e:
            st, ra, data = 0, None, str(e).encode()
            conn = None
        t1 = time.time()
        if st == 200:
            open("%s/ok/rep-%d-%d.json" % (w, i, v), "wb").write(data)
        with lock:
            events.append({"t0": t0, "t1": t1, "status": st, "retry_after": ra})
        time.sleep(0.02 if st != 200 else 0.005)

ths = [threading.Thread(target=client, args=(i,)) for i in range(nconn)]
for t in ths:
    t.start()
ctl = w + "/shim.ctl"
phases = []
time.sleep(1.0)
for seq, (name, text) in enumerate(faults):
    t_on = time.time()
    open(ctl + ".tmp", "w").write(text + " seq=%d\n" % seq)
    __import__("os").replace(ctl + ".tmp", ctl)
    time.sleep(fault_s)
    t_off = time.time()
    open(ctl, "w").close()
    # recovered: the first 200 that started after the fault was cleared
    rec = None
    while time.time() - t_off < 15:
        time.sleep(0.05)
        with lock:
            ok = [e["t1"] for e in events if e["status"] == 200 and e["t0"] >= t_off]
        if ok:
            rec = min(ok) - t_off
            break
    time.sleep(0.3)
    phases.append({"fault": name, "on": t_on, "off": t_off, "end": time.time(), "recovery_s": rec})
stop.set()
for t in ths:
    t.join()
out = []
for p in phases:
    es = [e for e in events if p["on"] <= e["t0"] < p["end"]]
    during = [e for e in es if e["t1"] < p["off"]]
    out.append({"fault": p["fault"], "ok": sum(e["status"] == 200 for e in es),
                "ok_during": sum(e["status"] == 200 for e in during),
                "unavailable_during": sum(e["status"] == 503 for e in during),
                "unavailable": sum(e["status"] == 503 for e in es),
                "other": sum(e["status"] not in (200, 503) for e in es),
                "no_retry_after": sum(e["status"] == 503 and not e["retry_after"] for e in es),
                "recovery_s": p["recovery_s"]})
print(json.dumps({"phases": out, "total": len(events),
                  "statuses": sorted(set(e["status"] for e in events)),
                  "no_retry_after": sum(e["status"] == 503 and not e["retry_after"] for e in events)}))
PY
[ -s "$W/faults.json" ] || bad "the driver wrote nothing"

echo "fault                        ok   503  other  (during the fault: ok 503)  recovery"
"$PY" - "$W/faults.json" <<'PY' | tee "$W/faults.txt"
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["phases"]:
    r = "%.2f s" % p["recovery_s"] if p["recovery_s"] is not None else "NONE"
    print("%-27s %4d %5d %6d  %14d %4d  %s" % (p["fault"], p["ok"], p["unavailable"], p["other"],
                                               p["ok_during"], p["unavailable_during"], r))
PY
expect "hallmarkd is the same process (no restart)" "$PID0" "$HMD_PID"
kill -0 "$HMD_PID" 2>/dev/null && ok "hallmarkd still runs" || bad "hallmarkd died"
expect "only 200 and 503 were answered" "[200, 503]" "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["statuses"])' "$W/faults.json")"
expect "every 503 carried Retry-After" 0 "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["no_retry_after"])' "$W/faults.json")"
"$PY" -c '
import json, sys
for p in json.load(open(sys.argv[1]))["phases"]:
    r = "NONE" if p["recovery_s"] is None else "%.2f" % p["recovery_s"]
    print("%s|%d|%d|%s" % (p["fault"], p["ok"], p["unavailable"], r))' "$W/faults.json" >"$W/faults.rows"
while IFS='|' read -r name nok n503 rec; do
    if [ "$rec" = NONE ]; then bad "$name: no recovery"; continue; fi
    "$PY" -c "import sys; sys.exit(0 if float('$rec') < 5 else 1)" && ok "$name: recovered in $rec s" ||
        bad "$name: recovery took $rec s"
    case $name in
    latency*) [ "$nok" -gt 0 ] && ok "$name: slow but served ($nok ok, $n503 503)" || bad "$name: nothing served" ;;
    *) [ "$n503" -gt 0 ] && ok "$name: the affected requests got 503 ($n503)" || bad "$name: no 503 seen" ;;
    esac
done <"$W/faults.rows"

# Every 200: its release bundle verifies; every log index once, none missing.
"$PY" - "$W" <<'PY' >"$W/indexes" || bad "a reply lacks its log entry"
import glob, json, sys
w = sys.argv[1]
for i, path in enumerate(sorted(glob.glob(w + "/ok/rep-*.json"))):
    rep = json.load(open(path))
    for b in rep["bundles"]:
        print(b["bundle"]["verificationMaterial"]["tlogEntries"][0]["logIndex"])
        if b["predicateType"].endswith("/release/v1"):
            json.dump(b["bundle"], open("%s/ok/bundle-%d.json" % (w, i), "w"), separators=(",", ":"))
PY
n_ok=$(ls "$W"/ok/rep-*.json | wc -l)
verify_one() {
    "$HALLMARK" verify --trust-root "$W/root.json" --bundle "$1" --product acme-thermostat \
        "$W/firmware.bin" >/dev/null 2>>"$W/verify.err" && echo ok
}
export -f verify_one
export HALLMARK W
verified=$(ls "$W"/ok/bundle-*.json | xargs -P 2 -I{} bash -c 'verify_one {}' | grep -c '^ok$' || true)
expect "every 200 bundle verifies ($n_ok)" "$n_ok" "$verified"
n_idx=$(wc -l <"$W/indexes")
expect "no log index twice" "$n_idx" "$(sort -u "$W/indexes" | wc -l)"
expect "returned indexes are contiguous (no gap)" "1 $n_idx" \
    "$(sort -n "$W/indexes" | sed -n '1p;$p' | tr '\n' ' ' | sed 's/ $//')"
expect "GET /v1/log/checkpoint" 200 "$(req ci-acme GET /v1/log/checkpoint)"
expect "the checkpoint covers exactly those entries and the key event" "$((n_idx + 1))" "$(sed -n 2p "$W/body")"
grep -c "privsep: the helper" "$W/hmd.log" | sed 's/^/helper events in the log: /'
stop_daemon || bad "hallmarkd did not stop cleanly"
finish

#!/usr/bin/env bash
# test_privsep_daemon.sh: hallmarkd with privilege separation (docs/privsep.md).
#   - the network process has no PKCS#11 module mapped, and the PIN is nowhere in its
#     memory (a scan of /proc/PID/mem); with privsep off the same checks find the module
#     (so they can fail);
#   - both processes are non-dumpable (as root: /proc/PID files owned by root while the
#     process runs as nobody), have no_new_privs, and only the helper runs under seccomp;
#   - as root with privsep.user: a root spawner (no module, no PIN, no_new_privs) starts the
#     helpers, so the PIN file stays root 0600, unreadable by hallmarkd's user, and a
#     restarted helper still reads it; the spawner and the helper end with hallmarkd;
#   - a helper killed with SIGKILL: 503 + Retry-After, then 200 again within seconds, no
#     daemon restart;
#   - a helper that makes a forbidden system call is killed by its filter (test hook);
#   - GET /v1/keys carries each key's self-asserted PKCS#11 attestation (attributes and token
#     info the helper read at start, signed by the key): `hallmark verify` accepts it with
#     --allow-self-asserted, refuses it without, and refuses a tampered evidence field.
set -euo pipefail
. "$HM_SRC/tests/daemon/lib.sh"
setup_all

AS_ROOT=0
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    AS_ROOT=1
    chmod -R a+rwX "$W" # the dropped processes still use the store, the token, the shim file
    # the PIN stays root's: helpers, restarted ones too, are started by the root spawner
    chmod 600 "$W/state/user.pin" "$W/state/so.pin"
    chown root:root "$W/state/user.pin" "$W/state/so.pin"
fi
# privsep_config ENABLED [EXTRA_JSON]
privsep_config() {
    python3 - "$W/hallmarkd.json" "$W/ps.json" "$1" "$AS_ROOT" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["privsep"] = {"enabled": sys.argv[3] == "true", "sign_timeout_ms": 3000}
if sys.argv[4] == "1":
    c["privsep"]["user"] = "nobody"
json.dump(c, open(sys.argv[2], "w"), indent=1)
PY
}
# mem_has PID STRING: how many readable mappings of PID hold STRING
mem_has() {
    python3 - "$1" "$2" <<'PY'
import re, sys
pid, needle = sys.argv[1], sys.argv[2].encode()
hits = 0
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (r)", line)
        if not m or "[vvar]" in line or "[vsyscall]" in line:
            continue
        a, b = int(m.group(1), 16), int(m.group(2), 16)
        if b - a > (1 << 30):
            continue  # a sanitizer's shadow memory: reserved, never data
        try:
            mem.seek(a)
            if needle in mem.read(b - a):
                hits += 1
        except OSError:
            pass
print(hits)
PY
}
status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | awk '{print $1}'; }
# the root spawner (a child of hallmarkd when started as root with privsep.user), and the
# helper (a child of the spawner if there is one, else of hallmarkd)
spawner_pid() { ps -o pid=,args= --ppid "$HMD_PID" | awk '$2 ~ /hallmark-hsm-helper$/ && $3 == "--spawner" {print $1; exit}'; }
helper_pid() {
    local parent=$HMD_PID sp
    sp=$(spawner_pid)
    [ -n "$sp" ] && parent=$sp
    ps -o pid=,args= --ppid "$parent" | awk '$2 ~ /hallmark-hsm-helper$/ && $3 != "--spawner" {print $1; exit}'
}

# ---- privsep on ----------------------------------------------------------------------
privsep_config true
start_daemon "$W/ps.json"
expect "sign through the helper" 200 "$(sign ci-acme acme-thermostat stable 1.0.0)"
cp "$W/body" "$W/reply.json"
"$CHECKREPLY" "$W/reply.json" "$W/fw-p256.pub.pem" firmware.bin "$ART_SHA256" "$ART_SHA512" \
    acme-thermostat "$W/p11.bundle.json" >"$W/check.out" 2>&1 || bad "checkreply: $(cat "$W/check.out")"

# ---- GET /v1/keys: the key evidence the helper read at start, signed by the key ------------
expect "GET /v1/keys through the helper" 200 "$(req ci-acme GET /v1/keys)"
cp "$W/body" "$W/keys.json"
grep -q '"backend":"pkcs11","attestationType":"pkcs11-self-asserted","selfAsserted":true' \
    "$W/keys.json" && ok "the key comes with its self-asserted PKCS#11 attestation" ||
    bad "keys: $(head -c 600 "$W/keys.json")"
grep -q '"attestation":null' "$W/keys.json" && bad "a key without attestation" || ok "no null attestation"
# the predicate holds the token's own answers (SoftHSM2 through the shim: the same module)
# pkcs11_pred KEYS_JSON: each key's pkcs11 predicate, one JSON line per key
pkcs11_pred() {
    python3 - "$1" <<'PY'
import base64, json, sys
for k in json.load(open(sys.argv[1]))["keys"]:
    p = json.loads(base64.b64decode(k["attestation"]["dsseEnvelope"]["payload"]))["predicate"]
    assert p["evidenceType"] == "pkcs11-self-asserted", p
    print(json.dumps(p["pkcs11"], sort_keys=True))
PY
}
pkcs11_pred "$W/keys.json" >"$W/pred.out" 2>&1 || bad "predicate: $(cat "$W/pred.out")"
grep -q '"manufacturer": "SoftHSM' "$W/pred.out" && grep -q '"label": "hallmark"' "$W/pred.out" &&
    ok "the token info is the token's: $(head -c 200 "$W/pred.out")" || bad "predicate: $(cat "$W/pred.out")"
KA=("$HALLMARK" verify --key "$W/fw-p256.pub.pem" --bundle "$W/p11.bundle.json")
# kacheck WANT_EXIT PATTERN WHAT -- ARGS
kacheck() {
    local want=$1 pat=$2 what=$3 rc=0 out
    shift 4
    out=$("${KA[@]}" "$@" "$W/firmware.bin" 2>&1) || rc=$?
    if [ "$rc" = "$want" ] && grep -qE -- "$pat" <<<"$out"; then ok "$what"; else bad "$what: exit $rc: $out"; fi
}
kacheck 0 "^key attestation: self-asserted: token 'hallmark' .*non-extractable key made on it" \
    "hallmark verify accepts the attestation as self-asserted (CKA_SENSITIVE etc. true)" -- \
    --require-key-attestation --key-attestation "$W/keys.json" --allow-self-asserted
kacheck 1 "key-attestation: self-asserted" "and refuses it where hardware evidence is required" -- \
    --require-key-attestation --key-attestation "$W/keys.json"
# tampered evidence: each field changed after the key signed it
for edit in manufacturer:Genuine-HSM-Inc serial:0000000000000001 extractable:false sensitive:true; do
    python3 - "$W/keys.json" "$W/keys-tampered.json" "$edit" <<'PY'
import base64, json, sys
r = json.load(open(sys.argv[1]))
field, value = sys.argv[3].split(":", 1)
env = r["keys"][0]["attestation"]["dsseEnvelope"]
p = json.loads(base64.b64decode(env["payload"]))
attrs = p["predicate"]["pkcs11"]
holder = attrs if field in attrs else next(v for v in attrs.values() if isinstance(v, dict) and field in v)
old = holder[field]
holder[field] = (value == "true") if isinstance(old, bool) else value
if holder[field] == old:  # a boolean already at that value: flip it instead
    holder[field] = not old
env["payload"] = base64.b64encode(json.dumps(p, separators=(",", ":")).encode()).decode()
json.dump(r, open(sys.argv[2], "w"))
PY
    kacheck 1 "key-attestation: bad-signature" "a tampered ${edit%%:*} in the evidence is refused (bad-signature)" -- \
        --require-key-attestation --key-attestation "$W/keys-tampered.json" --allow-self-asserted
done
HP=$(helper_pid)
[ -n "$HP" ] && ok "hallmark-hsm-helper runs (pid $HP)" || bad "no helper process"
SP=$(spawner_pid)
if [ "$AS_ROOT" = 1 ]; then
    [ -n "$SP" ] && ok "started as root: a spawner runs as hallmarkd's child (pid $SP)" || bad "no spawner"
    expect "the helper is the spawner's child" "$SP" "$(ps -o ppid= -p "$HP" | tr -d ' ')"
    expect "the spawner stays root" 0 "$(status_field "$SP" Uid)"
    expect "the spawner: no_new_privs" 1 "$(status_field "$SP" NoNewPrivs)"
    expect "the spawner holds no PKCS#11 module" 0 "$(grep -c -e libsofthsm2 -e hm_pkcs11_shim "/proc/$SP/maps" || true)"
    PIN_NOW=$(cat "$W/state/user.pin")
    expect "the spawner's memory holds no PIN" 0 "$(mem_has "$SP" "$PIN_NOW")"
    if setpriv --reuid=nobody --regid=nogroup --clear-groups cat "$W/state/user.pin" >/dev/null 2>&1; then
        bad "hallmarkd's user can read the PIN file"
    else
        ok "hallmarkd's user (nobody) cannot read the PIN file (root 0600)"
    fi
else
    expect "not root: no spawner" "" "$SP"
fi
expect "the helper is hallmark-hsm-helper" hallmark-hsm-he "$(cut -c1-15 "/proc/$HP/comm")"
expect "libsofthsm2 is not mapped in hallmarkd" 0 "$(grep -c libsofthsm2 "/proc/$HMD_PID/maps" || true)"
expect "the PKCS#11 shim is not mapped in hallmarkd" 0 "$(grep -c hm_pkcs11_shim "/proc/$HMD_PID/maps" || true)"
[ "$(grep -c libsofthsm2 "/proc/$HP/maps" || true)" -gt 0 ] && ok "libsofthsm2 is mapped in the helper" ||
    bad "libsofthsm2 not in the helper's maps"
PIN=$(cat "$W/state/user.pin")
[ "${#PIN}" -ge 8 ] || bad "PIN too short to scan for"
if [ "$AS_ROOT" = 1 ]; then
    expect "the PIN is nowhere in hallmarkd's memory" 0 "$(mem_has "$HMD_PID" "$PIN")"
    [ "$(mem_has "$HMD_PID" acme-thermostat)" -gt 0 ] && ok "the scan finds what is there (the config)" ||
        bad "the memory scan finds nothing at all"
    expect "hallmarkd runs as nobody" "$(id -u nobody)" "$(status_field "$HMD_PID" Uid)"
    expect "the helper runs as nobody" "$(id -u nobody)" "$(status_field "$HP" Uid)"
    # a non-dumpable process's /proc files belong to root whatever its uid
    expect "hallmarkd is not dumpable (/proc owner root)" 0 "$(stat -c %u "/proc/$HMD_PID/status")"
    expect "the helper is not dumpable (/proc owner root)" 0 "$(stat -c %u "/proc/$HP/status")"
else
    # not root: a non-dumpable process's memory cannot be opened even by its own user
    if cat "/proc/$HMD_PID/mem" >/dev/null 2>&1; then bad "hallmarkd's memory is readable"; else ok "hallmarkd is not dumpable"; fi
    if cat "/proc/$HP/mem" >/dev/null 2>&1; then bad "the helper's memory is readable"; else ok "the helper is not dumpable"; fi
fi
expect "hallmarkd: no_new_privs" 1 "$(status_field "$HMD_PID" NoNewPrivs)"
expect "the helper: no_new_privs" 1 "$(status_field "$HP" NoNewPrivs)"
expect "the helper runs under a seccomp filter" 2 "$(status_field "$HP" Seccomp)"
expect "hallmarkd itself has none (it serves TLS)" 0 "$(status_field "$HMD_PID" Seccomp)"

# ---- the helper dies ------------------------------------------------------------------
kill -KILL "$HP"
t0=$(date +%s%N)
expect "503 while the helper is down" 503 "$(sign ci-acme acme-thermostat stable 1.0.1)"
grep -qi '^Retry-After: [0-9]' "$W/headers" && ok "503 carries Retry-After" || bad "no Retry-After: $(cat "$W/headers")"
st=0
for _ in $(seq 1 100); do
    st=$(sign ci-acme acme-thermostat stable 1.0.2)
    [ "$st" = 200 ] && break
    sleep 0.05
done
ms=$((($(date +%s%N) - t0) / 1000000))
expect "200 again after the restart" 200 "$st"
[ "$ms" -lt 5000 ] && ok "back within ${ms} ms, same daemon (pid $HMD_PID)" || bad "took ${ms} ms"
HP2=$(helper_pid)
[ -n "$HP2" ] && [ "$HP2" != "$HP" ] && ok "a new helper (pid $HP2)" || bad "helper pid $HP2"
grep -q "privsep: the helper (pid $HP) died of signal 9" "$W/hmd.log" && ok "the death is logged" ||
    bad "no log line for the helper's death"
if [ "$AS_ROOT" = 1 ]; then
    expect "the restarted helper runs as nobody" "$(id -u nobody)" "$(status_field "$HP2" Uid)"
    expect "and was started by the same spawner" "$SP" "$(ps -o ppid= -p "$HP2" | tr -d ' ')"
    expect "the restarted helper runs under seccomp" 2 "$(status_field "$HP2" Seccomp)"
fi
stop_daemon || bad "hallmarkd did not stop cleanly"
if [ -n "$SP" ]; then
    sleep 0.2
    kill -0 "$SP" 2>/dev/null && bad "the spawner outlived hallmarkd" || ok "the spawner ended with hallmarkd"
    kill -0 "$HP2" 2>/dev/null && bad "the helper outlived hallmarkd" || ok "the helper ended with hallmarkd"
fi

# ---- seccomp: the test hook makes a forbidden call at once -----------------------------
rm -f "$W/port"
rc=0
HM_PRIVSEP_TEST_FORBIDDEN=1 "$HMD" --config "$W/ps.json" --port-file "$W/port" 2>"$W/forbidden.log" || rc=$?
expect "hallmarkd refuses to run when its helper cannot" 1 "$rc"
grep -q "killed by its seccomp filter (SIGSYS)" "$W/forbidden.log" && ok "the filter killed the helper (SIGSYS)" ||
    bad "no seccomp kill in: $(cat "$W/forbidden.log")"

# ---- privsep off: the same checks find the module (they can fail) -----------------------
privsep_config false
start_daemon "$W/ps.json"
expect "sign without the helper" 200 "$(sign ci-acme acme-thermostat stable 1.0.3)"
[ "$(grep -c hm_pkcs11_shim "/proc/$HMD_PID/maps" || true)" -gt 0 ] &&
    ok "with privsep off the module is in hallmarkd (the check above can fail)" ||
    bad "privsep off but no module mapped"
expect "with privsep off there is no helper" "" "$(helper_pid)"
expect "GET /v1/keys without the helper" 200 "$(req ci-acme GET /v1/keys)"
pkcs11_pred "$W/body" >"$W/pred-inproc.out" 2>&1 || bad "predicate: $(cat "$W/pred-inproc.out")"
cmp -s "$W/pred.out" "$W/pred-inproc.out" &&
    ok "the evidence served through the helper is what the token tells hallmarkd in-process" ||
    bad "evidence differs: $(diff "$W/pred.out" "$W/pred-inproc.out")"
stop_daemon || true
finish

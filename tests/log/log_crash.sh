#!/usr/bin/env bash
# Crash consistency of hallmarkd's transparency log: HM_CRASH_ROUNDS (default 50; 10 under
# ASan) times, 4 clients sign concurrently (curl POST /v1/sign, each on its own channel with
# rising versions; every 200 reply is kept) and hallmarkd is killed with SIGKILL at a random
# moment (50-400 ms after the round's first 200).  After each restart on the same store, token
# and log key:
#  - the log verifies from the start (`hallmark log verify`, fresh state folder) and is
#    consistent with the monitor's persistent state folder;
#  - every bundle received so far is included in the current checkpoint (crash_check.py: the
#    log's hash tiles hash to the checkpoint's root, whose signature the monitor checked, and
#    each bundle's leaf is the tree's hash at its logIndex); no logIndex appears twice;
#  - every bundle received in the last round verifies with `hallmark verify --trust-root`
#    (signature, its own inclusion proof and checkpoint), and two bundles (the first ever and
#    a random one) are re-proved against the current checkpoint with `hallmark log proof
#    --bundle` and `--verify`;
#  - signing goes on: the next round needs at least one 200.
# HM_CRASH_SEED fixes the random moments; HM_CRASH_TIMES=1 prints each round's phase times.
source "$HM_SRC/tests/log/lib_log.sh"
command -v python3 >/dev/null || { echo "SKIP-FAIL: python3 is needed"; exit 1; }

trap 'echo "FAIL line $LINENO: exit status $? (set -e)"' ERR
START=$SECONDS
ROUNDS=${HM_CRASH_ROUNDS:-50}
if [ -z "${HM_CRASH_ROUNDS:-}" ] && grep -q libasan <<<"$(ldd "$HMD")"; then ROUNDS=10; fi
SEED=${HM_CRASH_SEED:-$$}
RANDOM=$SEED
echo "log_crash: $ROUNDS rounds, seed $SEED"
CHECK=$HM_SRC/tests/log/crash_check.py
T=$(tls_opts)

setup_log log.hallmark.test/crash
python3 - "$W/hallmarkd.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["limits"]["rate_per_client"] = 100000  # 4 clients share one identity
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
mkdir -p "$W/resp" "$W/tmp"
for i in 0 1 2 3; do echo 0 >"$W/ver.$i"; done
: >"$W/unexpected"

# must DESC COMMAND...: a silent check; only a failure is printed (with the output).
must() {
    local what=$1 out rc=0
    shift
    out=$("$@" 2>&1) || rc=$?
    CHECKS=$((CHECKS + 1))
    [ "$rc" -eq 0 ] || bad "round $R: $what: exit $rc: $out"
    LAST_OUT=$out
    return 0
}

# client I ROUND: signs on channel cI until the daemon is gone; a 200 reply is kept in resp/.
client() {
    local i=$1 r=$2 v code
    v=$(cat "$W/ver.$i")
    while :; do
        v=$((v + 1))
        echo "$v" >"$W/ver.$i" # a version once sent is never sent again
        sign_body acme-thermostat "c$i" "1.0.$v" >"$W/tmp/req.$i"
        code=$(curl -sS --max-time 20 --cacert "$W/pki/ca.pem" --cert "$W/pki/ci-acme.pem" \
            --key "$W/pki/ci-acme.key" -H 'Content-Type: application/json' \
            --data-binary @"$W/tmp/req.$i" -o "$W/tmp/resp.$i" -w '%{http_code}' \
            "$URL/v1/sign" 2>/dev/null) || code=000
        case $code in
        200)
            mv "$W/tmp/resp.$i" "$W/resp/c$i-$v.json"
            echo "c$i-$v" >>"$W/got.$r"
            ;;
        000) break ;; # killed (connection refused, reset or cut short)
        429 | 503) sleep 0.02 ;;
        *) echo "round $r client $i version 1.0.$v: HTTP $code: $(head -c 300 "$W/tmp/resp.$i")" >>"$W/unexpected" ;;
        esac
    done
}

# verify_round: the checks after a restart (no client is signing).
PREV=0
PROVED=0
VERIFIED=0
verify_round() {
    local size root n
    req ci-acme GET /v1/log/checkpoint >/dev/null
    size=$(sed -n 2p "$W/body")
    root=$(sed -n 3p "$W/body")
    rm -rf "$W/mon-fresh"
    must "the log verifies from the start" "$HALLMARK" log verify --server "$URL" --state "$W/mon-fresh" $T \
        --trust-root "$W/root.json"
    grep -qE "^log verified: log.hallmark.test/crash size $size \(previously 0\), $size new entries checked" <<<"$LAST_OUT" ||
        bad "round $R: fresh monitor: $LAST_OUT (checkpoint size $size)"
    must "consistent with the persistent monitor state" "$HALLMARK" log verify --server "$URL" --state "$W/mon" $T \
        --trust-root "$W/root.json"
    grep -qE "^log verified: log.hallmark.test/crash size $size \(previously $PREV\), $((size - PREV)) new entries checked" <<<"$LAST_OUT" ||
        bad "round $R: persistent monitor: $LAST_OUT (checkpoint size $size, previously $PREV)"
    [ "$size" -ge "$PREV" ] || bad "round $R: the log shrank from $PREV to $size"
    PREV=$size
    [ -n "$(ls "$W/resp")" ] || return 0
    must "every received bundle is in the checkpoint" python3 "$CHECK" "$W" "$URL" "$size" "$root"
    grep '^/' <<<"$LAST_OUT" >"$W/new" || true
    n=$(cut -d' ' -f1 "$W/counts")
    PROVED=$((PROVED + n))
    # the new bundles, with the CLI: signature, own proof and checkpoint (2 at a time)
    if [ -s "$W/new" ]; then
        must "hallmark verify --trust-root on the new bundles" xargs -P2 -I{} "$HALLMARK" verify \
            --trust-root "$W/root.json" --product acme-thermostat --bundle {} "$W/firmware.bin" <"$W/new"
        VERIFIED=$((VERIFIED + $(wc -l <"$W/new")))
    fi
    # two bundles re-proved against the current checkpoint with `hallmark log proof`
    local all
    mapfile -t all < <(ls "$W/bundles") # (no pipe into head: ls would die of SIGPIPE)
    for b in "${all[0]}" "${all[$((RANDOM % ${#all[@]}))]}"; do
        must "log proof --bundle $b" "$HALLMARK" log proof --server "$URL" $T --bundle "$W/bundles/$b" \
            --out "$W/p.tlog-proof" --trust-root "$W/root.json"
        grep -q "at size $size" <<<"$LAST_OUT" || bad "round $R: log proof of $b: $LAST_OUT (want size $size)"
        must "log proof --verify $b" "$HALLMARK" log proof --verify "$W/p.tlog-proof" --bundle "$W/bundles/$b" \
            --trust-root "$W/root.json"
    done
}

# alive PID: the process runs (a zombie waiting for init to reap it has ended).
alive() { [ -e "/proc/$1" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]; }

# wait_exit PID...: the processes are gone within 5 s (else killed by id, and a failure).
wait_exit() {
    local p
    for p in "$@"; do
        for _ in $(seq 1 250); do alive "$p" || break; sleep 0.02; done
        if alive "$p"; then
            bad "round $R: process $p ($(cat /proc/"$p"/comm 2>/dev/null)) outlived the daemon's kill -9"
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
}

ms() { echo $(($(date +%s%N) / 1000000)); }
# HM_CRASH_TIMES=1: one line per round with the time of each phase.
for R in $(seq 1 "$ROUNDS"); do
    t0=$(ms)
    start_daemon "$W/hallmarkd.json"
    t1=$(ms)
    verify_round
    t2=$(ms)
    pids=()
    for i in 0 1 2 3; do
        client "$i" "$R" &
        pids+=($!)
    done
    for _ in $(seq 1 2000); do [ -s "$W/got.$R" ] && break; sleep 0.01; done
    [ -s "$W/got.$R" ] || bad "round $R: no signature within 20 s after the restart"
    ta=$(ms)
    sleep "$(printf '0.%03d' $((50 + RANDOM % 351)))"
    kids=$(pgrep -P "$HMD_PID" || true)
    kill -KILL "$HMD_PID"
    { wait "$HMD_PID"; } 2>/dev/null || true
    HMD_PID=
    tb=$(ms)
    # shellcheck disable=SC2086
    wait_exit $kids
    tc=$(ms)
    wait "${pids[@]}"
    [ -z "${HM_CRASH_TIMES:-}" ] || echo "round $R: start $((t1 - t0)) ms, checks $((t2 - t1)) ms," \
        "first 200 after $((ta - t2)) ms, killed after $((tb - ta)) ms, helper gone after $((tc - tb)) ms," \
        "clients done after $(($(ms) - tc)) ms, $(wc -l <"$W/got.$R") signed"
done
R=final
start_daemon "$W/hallmarkd.json"
verify_round
RECEIVED=$(ls "$W/resp" | wc -l)
expect "no sanitizer report in the daemon log" 0 "$(grep -cE 'AddressSanitizer|runtime error:' "$W/hmd.log" || true)"
expect "no unexpected reply" "" "$(head -5 "$W/unexpected")"
expect "every round signed" "$ROUNDS" "$(ls "$W"/got.* | wc -l)"
expect "every received bundle was checked in the end" "$RECEIVED" "$(cut -d' ' -f1 "$W/counts")"
expect "every received bundle was verified with hallmark verify" "$RECEIVED" "$VERIFIED"
echo "log_crash summary: $ROUNDS rounds, $RECEIVED bundles received, $PROVED bundle inclusions re-proved" \
    "after restarts ($VERIFIED bundles checked by hallmark verify, $(( (ROUNDS + 1) * 2 )) by hallmark log proof)," \
    "log size $PREV, $((SECONDS - START)) s"
finish

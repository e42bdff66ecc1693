#!/usr/bin/env bash
# privsep_bench.sh: what privilege separation costs (docs/privsep.md, docs/performance.md).
#
# The same hallmarkd, token, config and load (tests/bench/loadgen, keep-alive mTLS, one
# artifact per request) with privsep.enabled true and false: SoftHSM2 directly with
# SESSIONS sessions, then a slow HSM (the shim, +5 ms per C_Sign) with 16 sessions, where
# the helper's channels must keep 16 signatures in flight.  Prints loadgen's lines and the
# on/off ratios.  Not a timed test.
#   HM_BUILD=build HM_SRC=. bash tests/bench/privsep_bench.sh [CONNECTIONS] [SECONDS] [SESSIONS]
set -euo pipefail
CONNS=${1:-16}
SECS=${2:-5}
SESSIONS=${3:-4}
. "$HM_SRC/tests/daemon/lib.sh"
LOADGEN=$HM_BUILD/tests/bench/loadgen

make_pki
make_token
SLOW_SESSIONS=16
SLOW_CONNS=32
MAXC=$((CONNS > SLOW_CONNS ? CONNS : SLOW_CONNS))
channels=$(for i in $(seq 0 $((MAXC - 1))); do printf '"b%d",' "$i"; done)
bench_config() { # bench_config SESSIONS URI PRIVSEP(true|false)
    cat >"$W/bench.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "tls": { "cert": "$W/pki/server.pem", "key": "$W/pki/server.key", "client_ca": "$W/pki/ca.pem" },
  "hsm": { "uri": "$2", "sessions": $1, "softhsm2_conf": "$W/state/softhsm2.conf" },
  "store": "sqlite:$W/bench-$3-$1.db",
  "tlog": false,
  "products": [ { "name": "acme", "channels": [${channels%,}], "key": "fw-p256", "clients": ["cn:ci-acme"] } ],
  "limits": { "rate_per_client": 1000000, "max_connections": 4096 },
  "privsep": { "enabled": $3 },
  "log": { "format": "text", "level": "warn" }
}
JSON
}
run() { # run LABEL CONNECTIONS: prints the signatures/s
    start_daemon "$W/bench.json"
    local out
    out=$("$LOADGEN" --port "$PORT" --cert "$W/pki/ci-acme.pem" --key "$W/pki/ci-acme.key" \
        --cacert "$W/pki/ca.pem" --connections "$2" --seconds "$SECS" --product acme \
        --channel-prefix b)
    stop_daemon
    echo "== $1: $(echo "$out" | grep '^loadgen')" >&2
    echo "$out" | sed -nE 's/^loadgen: .*sigps=([0-9.]+).*/\1/p'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }

bench_config "$SESSIONS" "$TOKEN_URI" true
on=$(run "privsep on, SoftHSM2, $SESSIONS sessions" "$CONNS")
bench_config "$SESSIONS" "$TOKEN_URI" false
off=$(run "privsep off, SoftHSM2, $SESSIONS sessions" "$CONNS")
echo "latency_us=5000" >"$W/shim.ctl"
bench_config "$SLOW_SESSIONS" "$DAEMON_URI" true
slow_on=$(run "privsep on, slow HSM (+5 ms), $SLOW_SESSIONS sessions" "$SLOW_CONNS")
bench_config "$SLOW_SESSIONS" "$DAEMON_URI" false
slow_off=$(run "privsep off, slow HSM (+5 ms), $SLOW_SESSIONS sessions" "$SLOW_CONNS")
echo "privsep on/off, SoftHSM2:          $on / $off sig/s = $(ratio "$on" "$off")"
echo "privsep on/off, slow HSM (+5 ms):  $slow_on / $slow_off sig/s = $(ratio "$slow_on" "$slow_off")"

#!/usr/bin/env bash
# daemon_bench.sh: hallmarkd's delivered signing rate, for ./ci/bench.
#
# Sets up a fresh token, PKI and config (tests/daemon/lib.sh), starts hallmarkd, and runs
# tests/bench/loadgen against it: once with SoftHSM2 as it is, once through the PKCS#11
# shim with 5 ms added to every C_Sign (a slow network HSM).  Prints loadgen's lines; the
# raw PKCS#11 rate to compare with comes from tests/hsm/bench_raw_sign (./ci/bench).
#   HM_BUILD=build HM_SRC=. bash tests/bench/daemon_bench.sh [CONNECTIONS] [SECONDS] [SESSIONS]
set -euo pipefail
CONNS=${1:-16}
SECS=${2:-5}
SESSIONS=${3:-4}
. "$HM_SRC/tests/daemon/lib.sh"
LOADGEN=$HM_BUILD/tests/bench/loadgen

make_pki
make_token
# Every signature is logged, as in production: an Ed25519 log key on the same token.
"$MKSTATE" key "$W/state" "$TOKEN_URI" ed25519 log-ed25519 "$W/log.pub.pem" >/dev/null
SLOW_SESSIONS=${HM_BENCH_SLOW_SESSIONS:-16}
SLOW_CONNS=$((SLOW_SESSIONS * 2)) # more requests in flight than sessions keeps them all busy
MAXC=$((CONNS > SLOW_CONNS ? CONNS : SLOW_CONNS))
channels=$(for i in $(seq 0 $((MAXC - 1))); do printf '"b%d",' "$i"; done)
bench_config() { # bench_config SESSIONS URI
    cat >"$W/bench.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "tls": { "cert": "$W/pki/server.pem", "key": "$W/pki/server.key", "client_ca": "$W/pki/ca.pem" },
  "hsm": { "uri": "$2", "sessions": $1, "softhsm2_conf": "$W/state/softhsm2.conf" },
  "store": "sqlite:$W/bench.db",
  "tlog": { "origin": "bench.test/log", "key": "log-ed25519" },
  "products": [ { "name": "acme", "channels": [${channels%,}], "key": "fw-p256", "clients": ["cn:ci-acme"] } ],
  "limits": { "rate_per_client": 1000000, "max_connections": 4096 },
  "log": { "format": "text", "level": "warn" }
}
JSON
}
run() { # run LABEL CONNECTIONS
    start_daemon "$W/bench.json"
    echo "== $1: $2 keep-alive mTLS connections, $SECS s"
    "$LOADGEN" --port "$PORT" --cert "$W/pki/ci-acme.pem" --key "$W/pki/ci-acme.key" \
        --cacert "$W/pki/ca.pem" --connections "$2" --seconds "$SECS" --product acme \
        --channel-prefix b
    stop_daemon
}
# SoftHSM2 directly (the shim's control-file checks would cost CPU here)
bench_config "$SESSIONS" "$TOKEN_URI"
run "hallmarkd, SoftHSM2 P-256, $SESSIONS HSM sessions" "$CONNS"
echo "latency_us=5000" >"$W/shim.ctl"
bench_config "$SLOW_SESSIONS" "$DAEMON_URI"
run "hallmarkd, slow HSM (C_Sign + 5 ms), $SLOW_SESSIONS HSM sessions (sessions/latency = $((SLOW_SESSIONS * 200)) signatures/s)" "$SLOW_CONNS"

#!/usr/bin/env bash
# daemon_tpm_bench.sh: hallmarkd's delivered signing rate with a TPM key, for ./ci/bench.
#
# A private swtpm (tests/tpm/swtpm_lib.sh), a persistent P-256 key in it, hallmarkd with the
# key as its product key (the tpm section; the PKCS#11 token signs nothing here, so the
# privilege-separated token helper is off), and tests/bench/loadgen against it.  Prints loadgen's lines; the raw Esys_Sign
# rate to compare with comes from tests/tpm/bench_tpm in the same ./ci/bench run.
#   HM_BUILD=build HM_SRC=. bash tests/tpm/daemon_tpm_bench.sh [CONNECTIONS] [SECONDS]
set -euo pipefail
CONNS=${1:-4}
SECS=${2:-3}
. "$HM_SRC/tests/daemon/lib.sh"
. "$HM_SRC/tests/tpm/swtpm_lib.sh"
export TSS2_LOG=all+none
trap 'swtpm_stop; cleanup' EXIT
LOADGEN=$HM_BUILD/tests/bench/loadgen

make_pki
make_token
swtpm_provision "$W/tpm"
swtpm_start "$W/tpm"
head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$W/tpm.auth"
chmod 600 "$W/tpm.auth"
"$HALLMARK" keys create --token "tpm2:?tcti=$SWTPM_TCTI&auth-source=file:$W/tpm.auth" \
    --label bench --alg ec-p256 --persistent 0x81000020 >/dev/null
channels=$(for i in $(seq 0 $((CONNS - 1))); do printf '"b%d",' "$i"; done)
cat >"$W/bench.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "tls": { "cert": "$W/pki/server.pem", "key": "$W/pki/server.key", "client_ca": "$W/pki/ca.pem" },
  "hsm": { "uri": "$TOKEN_URI", "sessions": 2, "softhsm2_conf": "$W/state/softhsm2.conf" },
  "tpm": { "tcti": "$SWTPM_TCTI", "auth_source": "file:$W/tpm.auth", "ek_chain": "$SWTPM_CHAIN" },
  "privsep": { "enabled": false },
  "store": "sqlite:$W/bench.db",
  "tlog": false,
  "products": [ { "name": "acme", "channels": [${channels%,}], "key": "tpm2:handle=0x81000020",
                  "clients": ["cn:ci-acme"] } ],
  "limits": { "rate_per_client": 1000000, "max_connections": 4096 },
  "log": { "format": "text", "level": "warn" }
}
JSON
start_daemon "$W/bench.json"
echo "== hallmarkd, TPM P-256 key (swtpm), $CONNS keep-alive mTLS connections, $SECS s"
"$LOADGEN" --port "$PORT" --cert "$W/pki/ci-acme.pem" --key "$W/pki/ci-acme.key" \
    --cacert "$W/pki/ca.pem" --connections "$CONNS" --seconds "$SECS" --product acme \
    --channel-prefix b
stop_daemon

#!/usr/bin/env bash
# hallmarkd against hostile clients (tests/hostile/hostile.c) while good clients
# (threads of the same tool) keep signing.  The good clients' success rate and p50/p99
# latency are measured alone first, then during the attack, and printed.  The
# daemon must stay healthy, answer every attack with the exact 4xx or a close, keep its
# open file descriptors at the level it started with (no leak), and exit 0 on SIGTERM.
#   HM_HOSTILE_IDLE=N   idle connections in the flood (default 2000)
#   HM_HOSTILE_GOOD=N   good client threads (default 4)
. "$(dirname "$0")/../daemon/lib.sh"
HOSTILE=$HM_BUILD/tests/hostile/hostile
IDLE=${HM_HOSTILE_IDLE:-2000}
TIMEOUT_MS=2000
GOOD=${HM_HOSTILE_GOOD:-4} # good client connections

make_pki
make_token
# Revoked: ci-other, listed in a CRL.  Expired: valid from 2020-01-01 for one day.
mkdir -p "$W/ca/new"
: >"$W/ca/index.txt"
echo 01 >"$W/ca/crlnumber"
cat >"$W/ca/ca.cnf" <<CNF
[ ca ]
default_ca = test
[ test ]
database = $W/ca/index.txt
crlnumber = $W/ca/crlnumber
new_certs_dir = $W/ca/new
serial = $W/ca/serial
default_md = sha256
default_crl_days = 2
policy = any
[ any ]
commonName = supplied
CNF
echo 1000 >"$W/ca/serial"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ci-acme \
    -keyout "$W/pki/expired.key" -out "$W/pki/expired.csr" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >"$W/pki/expired.ext"
openssl ca -batch -config "$W/ca/ca.cnf" -keyfile "$W/pki/ca.key" -cert "$W/pki/ca.pem" \
    -in "$W/pki/expired.csr" -out "$W/pki/expired.pem" -startdate 20200101000000Z \
    -enddate 20200102000000Z -extfile "$W/pki/expired.ext" 2>/dev/null
openssl ca -config "$W/ca/ca.cnf" -keyfile "$W/pki/ca.key" -cert "$W/pki/ca.pem" \
    -revoke "$W/pki/ci-other.pem" 2>/dev/null
openssl ca -config "$W/ca/ca.cnf" -keyfile "$W/pki/ca.key" -cert "$W/pki/ca.pem" \
    -gencrl -out "$W/ca/ca.crl.pem" 2>/dev/null
cp "$W/pki/ci-other.pem" "$W/pki/revoked.pem"
cp "$W/pki/ci-other.key" "$W/pki/revoked.key"
[ -s "$W/pki/expired.pem" ] && [ -s "$W/ca/ca.crl.pem" ] && ok "expired certificate and CRL made" ||
    bad "could not make the expired certificate or the CRL"

# Room for thousands of connections: the soft fd limit up to the hard one (the daemon
# inherits it); the daemon's own max_connections above the flood.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "fd limit: $(ulimit -n) (hard $(ulimit -Hn))"
write_config "$W/h.json" "" "\"max_body\": 65536, \"rate_per_client\": 1000000, \"read_timeout_ms\": $TIMEOUT_MS, \"max_connections\": $((IDLE + 512))"
sed -i "s#\"client_ca\": \"$W/pki/ca.pem\"#\"client_ca\": \"$W/pki/ca.pem\", \"crl\": \"$W/ca/ca.crl.pem\"#" "$W/h.json"
grep -q '"crl"' "$W/h.json" && ok "config with tls.crl" || bad "no crl in the config"
start_daemon "$W/h.json"
expect "a good client is served" 200 "$(req ci-acme GET /healthz)"
fds0=$(ls "/proc/$HMD_PID/fd" | wc -l)

hostile_rc=0
"$HOSTILE" --port "$PORT" --pki "$W/pki" --idle "$IDLE" --timeout-ms "$TIMEOUT_MS" \
    --good "$GOOD" --before 3 >"$W/hostile.txt" 2>&1 || hostile_rc=$?
cat "$W/hostile.txt"
[ "$hostile_rc" = 0 ] && ok "every attack refused as it should be; good clients served throughout" ||
    bad "hostile: some checks failed (above)"
expect "healthy after the attack" 200 "$(req ci-acme GET /healthz)"
for _ in $(seq 1 50); do
    fds1=$(ls "/proc/$HMD_PID/fd" | wc -l)
    [ "$fds1" -le "$fds0" ] && break
    sleep 0.1
done
[ "$fds1" -le "$fds0" ] && ok "no file descriptor leaked ($fds0 open before the attack, $fds1 after)" ||
    bad "file descriptors leaked: $fds0 open before the attack, $fds1 after"
stop_daemon && ok "SIGTERM: exit 0" || bad "SIGTERM: non-zero exit"
finish

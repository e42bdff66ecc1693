#!/usr/bin/env bash
# hallmarkd against slow and greedy clients: a head or a body that trickles in gets 408
# once read_timeout_ms has passed since its first byte; the first request gets its own
# window after the handshake, and a connection silent that long after it is closed; a
# connection that never finishes its handshake is closed; max_connections refuses the extra ones until others close.
. "$(dirname "$0")/lib.sh"

make_pki
make_token
write_config "$W/limits.json" "" '"read_timeout_ms": 1000, "max_connections": 4'
start_daemon "$W/limits.json"
S_CLIENT=(openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$W/pki/ca.pem"
    -cert "$W/pki/ci-acme.pem" -key "$W/pki/ci-acme.key" -quiet -ign_eof)

# a head trickling in, one byte every 0.2 s: the deadline counts from its first byte
t0=$(date +%s%N)
out=$( (printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n'; for _ in $(seq 1 30); do printf 'X'; sleep 0.2; done) |
    timeout 10 "${S_CLIENT[@]}" 2>/dev/null || true)
ms=$((($(date +%s%N) - t0) / 1000000))
grep -q '^HTTP/1.1 408' <<<"$out" && ok "slow head: 408 after ${ms} ms" || bad "slow head: $out"
[ "$ms" -lt 5000 ] && ok "the slow client was cut off before it finished (${ms} ms < 6 s)" || bad "took $ms ms"

# a body trickling in
out=$( (printf 'POST /v1/sign HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{'
    for _ in $(seq 1 30); do printf ' '; sleep 0.2; done) | timeout 10 "${S_CLIENT[@]}" 2>/dev/null || true)
grep -q '^HTTP/1.1 408' <<<"$out" && ok "slow body: 408" || bad "slow body: $out"
grep -q '"error":"request-timeout"' <<<"$out" && ok "the 408 is JSON" || bad "408 body: $out"

# the first request has its own window after the handshake: a client whose handshake took
# 0.6 s of the 1 s and whose request then comes 0.6 s later (1.2 s after the accept) is
# served; one that stays silent 1.5 s after its handshake is closed without a reply
# late_request SECONDS_BEFORE_HANDSHAKE SECONDS_AFTER_HANDSHAKE: the status line, or "closed"
late_request() {
    python3 - "$PORT" "$W/pki" "$1" "$2" <<'PY'
import socket, ssl, sys, time
port, pki, before, after = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
ctx = ssl.create_default_context(cafile=pki + "/ca.pem")
ctx.load_cert_chain(pki + "/ci-acme.pem", pki + "/ci-acme.key")
ctx.check_hostname = False
raw = socket.create_connection(("127.0.0.1", port))
time.sleep(before)  # the accept has happened: the handshake's window runs
s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
time.sleep(after)
try:
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = s.recv(4096)
except OSError:
    data = b""
print(data.split(b"\r\n")[0].decode() if data else "closed")
PY
}
expect "a request 1.2 s after the accept, 0.6 s after its slow handshake, is served" \
    "HTTP/1.1 200 OK" "$(late_request 0.6 0.6)"
expect "a connection silent 1.5 s after its handshake is closed without a reply" \
    closed "$(late_request 0 1.5)"

# a TCP connection that never starts TLS is closed
t0=$(date +%s%N)
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
timeout 5 cat <&3 >/dev/null && rc=0 || rc=$?
exec 3>&-
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 0 ] && [ "$ms" -lt 4000 ] && ok "a silent connection is closed after ${ms} ms" || bad "silent connection: rc=$rc ${ms} ms"

# max_connections: four silent connections fill the daemon; a fifth client is refused
for fd in 4 5 6 7; do eval "exec $fd<>/dev/tcp/127.0.0.1/$PORT"; done
sleep 0.2
got=$(req ci-acme GET /healthz)
[ "$got" = 000 ] && ok "the fifth connection is refused while four are open" || bad "fifth connection got $got"
for fd in 4 5 6 7; do eval "exec $fd>&-"; done
sleep 0.3
expect "once they close, clients are served again" 200 "$(req ci-acme GET /healthz)"

# keep-alive: many requests on one connection
urls=()
for _ in $(seq 1 20); do urls+=("$URL/healthz"); done
codes=$(curl -sS --cacert "$W/pki/ca.pem" --cert "$W/pki/ci-acme.pem" --key "$W/pki/ci-acme.key" \
    -o /dev/null -w '%{http_code} %{num_connects}\n' "${urls[@]}" | sort | uniq -c | tr -s ' ')
grep -q '19 200 0' <<<"$codes" && ok "20 requests over one keep-alive connection" || bad "keep-alive: $codes"

stop_daemon && ok "SIGTERM: exit 0" || bad "SIGTERM: non-zero exit"

# ---- tls.crl: a revoked client certificate is refused in the handshake ------------------
mkdir -p "$W/crl"
: >"$W/crl/index.txt"
cat >"$W/crl/ca.cnf" <<CNF
[ ca ]
default_ca = test
[ test ]
database = $W/crl/index.txt
crlnumber = $W/crl/crlnumber
default_md = sha256
default_crl_days = 2
CNF
echo 01 >"$W/crl/crlnumber"
openssl ca -config "$W/crl/ca.cnf" -keyfile "$W/pki/ca.key" -cert "$W/pki/ca.pem" \
    -revoke "$W/pki/ci-other.pem" 2>/dev/null
openssl ca -config "$W/crl/ca.cnf" -keyfile "$W/pki/ca.key" -cert "$W/pki/ca.pem" \
    -gencrl -out "$W/crl/ca.crl.pem" 2>/dev/null
sed "s#\"client_ca\": \"$W/pki/ca.pem\"#\"client_ca\": \"$W/pki/ca.pem\", \"crl\": \"$W/crl/ca.crl.pem\"#" \
    "$W/limits.json" >"$W/crl.json"
grep -q '"crl"' "$W/crl.json" && ok "config with tls.crl" || bad "no crl in $(cat "$W/crl.json")"
start_daemon "$W/crl.json"
expect "a certificate the CRL does not list is served" 200 "$(req ci-acme GET /healthz)"
expect "a revoked certificate is refused in the handshake" 000 "$(req ci-other GET /healthz)"
stop_daemon && ok "SIGTERM: exit 0" || bad "SIGTERM: non-zero exit"
finish

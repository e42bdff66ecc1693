#!/usr/bin/env bash
# hallmarkd end to end: config checks, mTLS, every route and error status, anti-rollback,
# concurrency, the HSM fault path, SIGHUP and SIGTERM.  See lib.sh for the set-up.
. "$(dirname "$0")/lib.sh"

setup_all
CFG=$W/hallmarkd.json

# ---- --check-config ----------------------------------------------------------------
out=$("$HMD" --check-config "$CFG" 2>&1) && rc=0 || rc=$?
expect "check-config accepts a good config" 0 "$rc"

check_bad() { # check_bad NAME EXPECTED_TEXT: the config in $W/bad.json must be refused
    local out rc=0
    out=$(HM_SHIM_CONTROL="$W/shim.ctl" "$HMD" --check-config "$W/bad.json" 2>&1) || rc=$?
    if [ "$rc" = 2 ] && grep -qF -- "$2" <<<"$out"; then ok "check-config refuses $1: $out"
    else bad "check-config $1: rc=$rc out=$out (want \"$2\")"; fi
}
sed 's/"max_body"/"max_bodyy"/' "$CFG" >"$W/bad.json"
check_bad "an unknown key" "bad.json:28: limits.max_bodyy: unknown key"
sed '/"client_ca"/d; s/"key": "\(.*server.key\)",/"key": "\1"/' "$CFG" >"$W/bad.json"
check_bad "a config without client_ca" "tls.client_ca: is missing"
sed 's/"clients": \["cn:ci-acme"\]/"clients": []/' "$CFG" >"$W/bad.json"
check_bad "a product without client rules" "products[0].clients: must be an array of 1 to"
sed "s#$W/pki/server.key#$W/pki/other.key#" "$CFG" >"$W/bad.json"
check_bad "a key that does not match the certificate" "tls.key: the key does not match"
sed "s#$W/pki/ca.pem#$W/pki/missing.pem#" "$CFG" >"$W/bad.json"
check_bad "an unreadable client CA" "tls.client_ca: cannot open"
sed 's/pin-source=file:[^"]*/pin-value=1234/' "$CFG" >"$W/bad.json"
check_bad "a PIN in the config" "hsm.uri: pin-value is refused"
sed 's/"key": "fw-p256"/"key": "no-such-key"/' "$CFG" >"$W/bad.json"
check_bad "a key the token does not hold" "products[0].key: key \"no-such-key\""
sed 's/"cn:ci-acme"/"cn ci-acme"/' "$CFG" >"$W/bad.json"
check_bad "a malformed client rule" "products[0].clients[0]: unknown identity form"
printf 'not json' >"$W/root.bad"
sed "s#\"store\": #\"trust_root\": \"$W/root.bad\",\n  \"store\": #" "$CFG" >"$W/bad.json"
check_bad "a trust root that is not JSON" "trust_root: $W/root.bad is not JSON"
printf '{\n  "listen": "127.0.0.1:0",\n  "tls": {\n' >"$W/bad.json"
check_bad "truncated JSON" "bad.json:4: not valid JSON at byte 40"
printf '{"store": "sqlite:/tmp/x.db"}\n' >"$W/bad.json"
check_bad "a config with no TLS at all" "tls: is missing"
rc=0; "$HMD" --config "$W/bad.json" 2>"$W/start.err" || rc=$?
expect "hallmarkd refuses to start without TLS material" 2 "$rc"
grep -q 'tls: is missing' "$W/start.err" && ok "and says what is missing" || bad "start error: $(cat "$W/start.err")"

# ---- start ----------------------------------------------------------------------------
start_daemon "$CFG"
ok "hallmarkd listens on port $PORT"

expect "GET /healthz" 200 "$(req ci-acme GET /healthz)"
expect "GET /readyz" 200 "$(req ci-acme GET /readyz)"
expect "GET /v1/keys" 200 "$(req ci-acme GET /v1/keys)"
grep -q '"algorithm":"ec-p256"' "$W/body" && grep -q 'BEGIN PUBLIC KEY' "$W/body" &&
    grep -q '"products":\["acme-thermostat","acme-hub"\]' "$W/body" &&
    ok "keys list the algorithm, the PEM and both products" || bad "keys body: $(cat "$W/body")"
expect "GET /v1/trust-root" 200 "$(req ci-acme GET /v1/trust-root)"
grep -q '^{"version":1,"keys":\[{"keyid":' "$W/body" && ok "trust root has version 1 and keys" ||
    bad "trust-root body: $(cat "$W/body")"

# ---- happy path -----------------------------------------------------------------------
expect "sign acme-thermostat 1.0.0" 200 "$(sign ci-acme acme-thermostat stable 1.0.0)"
cp "$W/body" "$W/reply-1.0.0.json"
if "$CHECKREPLY" "$W/reply-1.0.0.json" "$W/fw-p256.pub.pem" firmware.bin "$ART_SHA256" \
    "$ART_SHA512" acme-thermostat "$W/1.0.0.bundle.json" >"$W/check.out" 2>&1; then
    ok "the bundle verifies with libhallmark-verify: $(cat "$W/check.out")"
else
    bad "checkreply: $(cat "$W/check.out")"
fi
if [ -x "$HALLMARK" ]; then
    if "$HALLMARK" verify --key "$W/fw-p256.pub.pem" --bundle "$W/1.0.0.bundle.json" \
        "$W/firmware.bin" >"$W/verify.out" 2>&1; then
        ok "hallmark verify accepts it: $(head -1 "$W/verify.out")"
    else
        bad "hallmark verify: $(cat "$W/verify.out")"
    fi
else
    echo "note: $HALLMARK not built; verified with libhallmark-verify only"
fi
expect "a SAN dns: identity signs acme-hub" 200 "$(sign ci-dns acme-hub stable 0.1.0)"
expect "a SAN uri: identity signs acme-hub" 200 "$(sign ci-acme acme-hub stable 0.2.0)"

# ---- mTLS refusals ------------------------------------------------------------------
rc=0; curl -sS --max-time 10 --cacert "$W/pki/ca.pem" "$URL/healthz" >/dev/null 2>"$W/curl.err" || rc=$?
[ "$rc" != 0 ] && ok "no client certificate: refused in the handshake (curl rc $rc)" ||
    bad "a client without a certificate got through"
rc=0; curl -sS --max-time 10 --cacert "$W/pki/ca.pem" --cert "$W/pki/evil.pem" --key "$W/pki/evil.key" \
    "$URL/healthz" >/dev/null 2>"$W/curl.err" || rc=$?
[ "$rc" != 0 ] && ok "a client certificate from another CA: refused in the handshake (curl rc $rc)" ||
    bad "a client from the wrong CA got through"
rc=0; curl -sS --max-time 10 --tls-max 1.1 --cacert "$W/pki/ca.pem" --cert "$W/pki/ci-acme.pem" \
    --key "$W/pki/ci-acme.key" "$URL/healthz" >/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] && ok "TLS 1.1 refused (curl rc $rc)" || bad "TLS 1.1 accepted"

# ---- errors ---------------------------------------------------------------------------
expect "403: client not authorised for the product" 403 "$(sign ci-other acme-thermostat stable 9.0.0)"
expect "403 error code" forbidden "$(json_field "$W/body" error)"
grep -q '"reasons":\[' "$W/body" && ok "403 lists reasons" || bad "403 body: $(cat "$W/body")"
expect "403: unknown product looks the same" 403 "$(sign ci-acme no-such-product stable 1.0.0)"
expect "403: channel not configured" 403 "$(sign ci-acme acme-hub nightly 1.0.0)"
expect "401: a certificate that names nobody" 401 "$(req nobody GET /v1/keys)"
printf '{"product": "acme-thermostat", "version": ' >"$W/bad-req.json"
expect "400: malformed JSON" 400 "$(req ci-acme POST /v1/sign -H 'Content-Type: application/json' --data-binary @"$W/bad-req.json")"
expect "400: malformed JSON names the byte offset" 42 "$(json_field "$W/body" offset)"
expect "400 error code" malformed-json "$(json_field "$W/body" error)"
sign_body acme-thermostat stable 9.9.9 | sed 's/"channel"/"colour":"red","channel"/' >"$W/bad-req.json"
expect "400: unknown field" 400 "$(req ci-acme POST /v1/sign -H 'Content-Type: application/json' --data-binary @"$W/bad-req.json")"
grep -q 'unknown field \\"colour\\"' "$W/body" && ok "the 400 names the field" || bad "body: $(cat "$W/body")"
sign_body acme-thermostat stable 9.9.9 | sed 's/"channel"/"version":"9.9.8","channel"/' >"$W/bad-req.json"
expect "400: duplicate key" 400 "$(req ci-acme POST /v1/sign -H 'Content-Type: application/json' --data-binary @"$W/bad-req.json")"
sign_body acme-thermostat stable 9.9.9 | sed 's/"sha256":"[0-9a-f]*"/"sha256":"ABC"/' >"$W/bad-req.json"
expect "400: bad digest" 400 "$(req ci-acme POST /v1/sign -H 'Content-Type: application/json' --data-binary @"$W/bad-req.json")"
expect "400: version not SemVer" 400 "$(sign ci-acme acme-thermostat stable 01.2)"
expect "404: unknown route" 404 "$(req ci-acme GET /v1/nothing)"
expect "404 error code" not-found "$(json_field "$W/body" error)"
expect "405: GET /v1/sign" 405 "$(req ci-acme GET /v1/sign)"
grep -qi '^Allow: POST' "$W/headers" && ok "405 carries Allow: POST" || bad "405 headers: $(cat "$W/headers")"
expect "405: DELETE /v1/keys" 405 "$(req ci-acme DELETE /v1/keys)"
expect "411: POST without Content-Length" 411 "$(req ci-acme POST /v1/sign -H 'Content-Type: application/json')"
expect "411: chunked body refused" 411 "$(req ci-acme POST /v1/sign -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$W/req.json")"
head -c 70000 /dev/zero | tr '\0' ' ' >"$W/big.json"
expect "413: body over max_body" 413 "$(req ci-acme POST /v1/sign -H 'Content-Type: application/json' --data-binary @"$W/big.json")"
expect "413 error code" body-too-large "$(json_field "$W/body" error)"
expect "415: not JSON" 415 "$(req ci-acme POST /v1/sign -H 'Content-Type: text/plain' --data-binary @"$W/req.json")"
expect "431: oversized head" 431 "$(req ci-acme GET /healthz -H "X-Junk: $(head -c 20000 /dev/zero | tr '\0' a)")"
for f in "$W"/body; do
    grep -q '^{"error":' "$f" && ok "errors are JSON" || bad "error body not JSON: $(cat "$f")"
done

# ---- anti-rollback ------------------------------------------------------------------
expect "409: rollback" 409 "$(sign ci-acme acme-thermostat stable 0.9.0)"
expect "409 names the highest version" 1.0.0 "$(json_field "$W/body" highest)"
expect "409: equal version" 409 "$(sign ci-acme acme-thermostat stable 1.0.0)"
expect "another channel has its own counter" 200 "$(sign ci-acme acme-thermostat beta 0.1.0)"
expect "SemVer order: 1.0.1-rc.1 > 1.0.0" 200 "$(sign ci-acme acme-thermostat stable 1.0.1-rc.1)"
expect "SemVer order: 1.0.1-alpha < 1.0.1-rc.1" 409 "$(sign ci-acme acme-thermostat stable 1.0.1-alpha)"

# ---- 50 concurrent requests for one version ----------------------------------------
sign_body acme-thermostat stable 2.0.0 >"$W/race.json"
pids=()
for i in $(seq 1 50); do
    curl -sS --max-time 60 --cacert "$W/pki/ca.pem" --cert "$W/pki/ci-acme.pem" --key "$W/pki/ci-acme.key" \
        -H 'Content-Type: application/json' --data-binary @"$W/race.json" -o /dev/null \
        -w '%{http_code}\n' "$URL/v1/sign" >"$W/race.$i" 2>"$W/race-err.$i" &
    pids+=($!)
done
wait "${pids[@]}"
expect "50 concurrent requests for 2.0.0: exactly one 200" 1 "$(cat "$W"/race.* | grep -c '^200$')"
expect "and 49 409" 49 "$(cat "$W"/race.* | grep -c '^409$')"
# on a failure, what the others got (000: curl saw no reply)
[ "$(cat "$W"/race.* | grep -c '^409$')" = 49 ] || echo "race replies: $(cat "$W"/race.* | sort | uniq -c | tr '\n' ' ')"

# ---- 429 --------------------------------------------------------------------------------
sleep 1.2 # a full bucket
urls=()
for i in $(seq 1 160); do urls+=("$URL/v1/keys"); done
curl -sS --max-time 60 --cacert "$W/pki/ca.pem" --cert "$W/pki/ci-other.pem" --key "$W/pki/ci-other.key" \
    -o /dev/null -D "$W/rate.headers" -w '%{http_code}\n' "${urls[@]}" >"$W/rate.out" 2>/dev/null || true
n429=$(grep -c '^429$' "$W/rate.out" || true)
[ "$n429" -gt 0 ] && ok "429 after 100 requests in a second ($n429 of 160 refused)" || bad "no 429 in $(sort "$W/rate.out" | uniq -c)"
grep -qi '^Retry-After: [0-9]' "$W/rate.headers" && ok "429 carries Retry-After" ||
    bad "no Retry-After in the 429 replies"
sleep 1.2

# ---- 503 from the HSM ---------------------------------------------------------------
echo "fault=CKR_DEVICE_ERROR scope=sign" >"$W/shim.ctl"
expect "503 when the HSM fails" 503 "$(sign ci-acme acme-thermostat stable 3.0.0)"
grep -qi '^Retry-After: [0-9]' "$W/headers" && ok "503 carries Retry-After" || bad "503 headers: $(cat "$W/headers")"
: >"$W/shim.ctl"
sleep 0.2
expect "the cancelled reservation does not block the version" 200 "$(sign ci-acme acme-thermostat stable 3.0.0)"
req ci-acme GET /metrics >/dev/null
for m in 'hallmark_requests_total{route="/v1/sign",code="200"}' hallmark_sign_duration_seconds_bucket \
    hallmark_hsm_errors_total hallmark_hsm_sessions_in_use 'hallmark_hsm_sessions 4' \
    hallmark_store_commit_seconds_count hallmark_rate_limited_total; do
    grep -qF "$m" "$W/body" && ok "metrics has $m" || bad "metrics lack $m"
done

# ---- audit records ------------------------------------------------------------------
audits() { req ci-acme GET /metrics >/dev/null; sed -n 's/^hallmark_audit_records_total //p' "$W/body"; }
a0=$(audits)
expect "a denied request" 403 "$(sign ci-other acme-thermostat stable 9.0.0)"
expect "a signed request" 200 "$(sign ci-acme acme-thermostat stable 3.1.0)"
for _ in 1 2 3 4 5 6 7 8 9 10; do [ "$(audits)" -ge $((a0 + 2)) ] && break; sleep 0.1; done
expect "each sign request leaves one audit record" $((a0 + 2)) "$(audits)"

# ---- a client that leaves while its release is being signed ----------------------------
echo "latency_us=400000" >"$W/shim.ctl"
sleep 0.1
sign_body acme-thermostat stable 3.2.0 >"$W/gone.json"
rc=0; curl -sS --max-time 0.15 --cacert "$W/pki/ca.pem" --cert "$W/pki/ci-acme.pem" --key "$W/pki/ci-acme.key" \
    -H 'Content-Type: application/json' --data-binary @"$W/gone.json" "$URL/v1/sign" >/dev/null 2>&1 || rc=$?
[ "$rc" = 28 ] && ok "the client gave up while the HSM was signing" || bad "curl rc $rc"
sleep 0.6
: >"$W/shim.ctl"
sleep 0.1
expect "the daemon goes on serving" 200 "$(req ci-acme GET /readyz)"
expect "and the release signed for the departed client stays signed" 409 "$(sign ci-acme acme-thermostat stable 3.2.0)"

# ---- SIGHUP -----------------------------------------------------------------------------
cp "$CFG" "$W/good.json"
sed 's/"max_body"/"max_bodyy"/' "$W/good.json" >"$CFG"
kill -HUP "$HMD_PID"; sleep 0.5
grep -q 'reload refused' "$W/hmd.log" && ok "a bad config on SIGHUP is refused and logged" || bad "no refusal in the log"
expect "the old config keeps serving" 200 "$(sign ci-acme acme-thermostat stable 4.0.0)"
sed 's/"127.0.0.1:0"/"127.0.0.1:1"/' "$W/good.json" >"$CFG"
kill -HUP "$HMD_PID"; sleep 0.5
grep -q 'listen changed, which needs a restart' "$W/hmd.log" && ok "a reload that moves the socket is refused" ||
    bad "no restart-only refusal in the log"
expect "and the daemon still serves on its port" 200 "$(req ci-acme GET /healthz)"
expect "ci-other is still not allowed" 403 "$(sign ci-other acme-thermostat stable 4.1.0)"
write_config "$CFG" ', "cn:ci-other"'
kill -HUP "$HMD_PID"; sleep 0.5
grep -q 'reloaded' "$W/hmd.log" && ok "a good config on SIGHUP is taken" || bad "no reload in the log"
expect "the new rule is in force" 200 "$(sign ci-other acme-thermostat stable 4.1.0)"
printf '{"payload":"e30=","payloadType":"application/vnd.hallmark.trust-root.v1+json","signatures":[]}\n' >"$W/root.json"
sed -i "s#\"store\": #\"trust_root\": \"$W/root.json\",\n  \"store\": #" "$CFG"
kill -HUP "$HMD_PID"; sleep 0.5
expect "with trust_root set, GET /v1/trust-root" 200 "$(req ci-acme GET /v1/trust-root)"
cmp -s "$W/body" "$W/root.json" && ok "serves the signed trust root file byte for byte" ||
    bad "trust-root body: $(cat "$W/body")"

# ---- SIGTERM under load ---------------------------------------------------------------
loop() { # loop CHANNEL: signs 1.0.1, 1.0.2, ... until the daemon goes away
    local ch=$1 k=0 code
    while :; do
        k=$((k + 1))
        sign_body acme-thermostat "$ch" "1.0.$k" >"$W/load-$ch.json"
        code=$(curl -sS --max-time 30 --cacert "$W/pki/ca.pem" --cert "$W/pki/ci-acme.pem" \
            --key "$W/pki/ci-acme.key" -H 'Content-Type: application/json' \
            --data-binary @"$W/load-$ch.json" -o /dev/null -w '%{http_code}' "$URL/v1/sign" 2>/dev/null || true)
        echo "1.0.$k $code" >>"$W/load-$ch.out"
        case $code in 200) ;; *) break ;; esac
    done
}
# this phase goes faster than 100 requests/s: lift the per-client rate first
write_config "$CFG" ', "cn:ci-other"' '"max_body": 65536, "rate_per_client": 100000'
kill -HUP "$HMD_PID"; sleep 0.3
pids=()
for ch in c0 c1 c2 c3 c4 c5 c6 c7; do loop "$ch" & pids+=($!); done
sleep 2
rc=0; stop_daemon || rc=$?
wait "${pids[@]}"
expect "SIGTERM under load: exit status" 0 "$rc"
total=0; okc=0
for ch in c0 c1 c2 c3 c4 c5 c6 c7; do
    last=$(awk '$2 == 200 { v = $1 } END { print v ? v : "none" }' "$W/load-$ch.out")
    n=$(awk '$2 == 200' "$W/load-$ch.out" | wc -l)
    total=$((total + n))
    inbd=$("$MKSTATE" highest "sqlite:$W/hallmark.db" acme-thermostat "$ch")
    if [ "$inbd" = "$last" ]; then okc=$((okc + 1)); else bad "channel $ch: last 200 was $last, the store holds $inbd"; fi
done
expect "every channel: the store's highest is exactly the last 200 ($total signed under load)" 8 "$okc"
grep -q 'stopped' "$W/hmd.log" && ok "hallmarkd logged its clean stop" || bad "no clean stop in the log"
! grep -qF "$(cat "$W/state/user.pin")" "$W/hmd.log" && ok "the PIN never appears in the log" ||
    bad "the log holds the PIN"
finish

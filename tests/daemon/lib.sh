# lib.sh: shared set-up for the hallmarkd integration tests (sourced, bash).
#
# Makes, under a fresh work folder $W: a SoftHSM2 token with a P-256 key, a throwaway
# CA with server and client certificates, a second CA (the wrong one), a config, and
# starts hallmarkd on 127.0.0.1 with an ephemeral port.  Needs: openssl, curl.
set -euo pipefail

: "${HM_BUILD:?HM_BUILD must name the build folder}"
: "${HM_SRC:?HM_SRC must name the source folder}"
HMD=$HM_BUILD/signer/hallmarkd
MKSTATE=$HM_BUILD/tests/daemon/mkstate
CHECKREPLY=$HM_BUILD/tests/daemon/checkreply
SHIM=$HM_BUILD/tests/pkcs11-shim/hm_pkcs11_shim.so
HALLMARK=$HM_BUILD/bin/hallmark
W=$(mktemp -d "${TMPDIR:-/tmp}/hallmarkd-test.XXXXXX")
HMD_PID=
PORT=
FAILS=0
CHECKS=0

for tool in openssl curl; do
    command -v "$tool" >/dev/null || { echo "SKIP-FAIL: $tool is not installed"; exit 1; }
done

cleanup() {
    if [ -n "$HMD_PID" ] && kill -0 "$HMD_PID" 2>/dev/null; then
        kill -KILL "$HMD_PID" 2>/dev/null || true
    fi
    if [ "$FAILS" -eq 0 ] && [ -z "${HM_KEEP:-}" ]; then
        rm -rf "$W"
    else
        echo "work folder kept: $W"
    fi
}
trap cleanup EXIT

ok() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
bad() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }
# expect WHAT WANT GOT
expect() { if [ "$2" = "$3" ]; then ok "$1 ($3)"; else bad "$1: want $2, got $3"; fi; }
finish() {
    echo "$CHECKS checks, $FAILS failed"
    if [ "$FAILS" -ne 0 ]; then
        echo "---- hallmarkd log (last 60 lines) ----"
        tail -n 60 "$W/hmd.log" 2>/dev/null || true
        exit 1
    fi
}

# cert NAME CA SUBJECT [EXT]: a P-256 key and a certificate signed by CA.
cert() {
    local name=$1 ca=$2 subj=$3 ext=${4:-}
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$subj" \
        -keyout "$W/pki/$name.key" -out "$W/pki/$name.csr" 2>/dev/null
    printf '%b\n' "basicConstraints=CA:FALSE\n$ext" >"$W/pki/$name.ext"
    openssl x509 -req -in "$W/pki/$name.csr" -CA "$W/pki/$ca.pem" -CAkey "$W/pki/$ca.key" \
        -CAcreateserial -days 2 -sha256 -extfile "$W/pki/$name.ext" \
        -out "$W/pki/$name.pem" 2>/dev/null
}

make_pki() {
    mkdir -p "$W/pki"
    for ca in ca evil-ca; do
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
            -subj "/CN=hallmark test $ca" -keyout "$W/pki/$ca.key" -out "$W/pki/$ca.pem" \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
            2>/dev/null
    done
    cert server ca /CN=localhost "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth"
    local cl="extendedKeyUsage=clientAuth"
    cert ci-acme ca /CN=ci-acme "$cl\nsubjectAltName=URI:spiffe://ci.example/acme"
    cert ci-other ca /CN=ci-other "$cl"
    cert ci-dns ca /O=builders "$cl\nsubjectAltName=DNS:builder.example"
    cert nobody ca /O=nobody "$cl"
    cert evil evil-ca /CN=ci-acme "$cl"
    # A server key that does not match the server certificate, for --check-config.
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/pki/other.key" 2>/dev/null
}

make_token() {
    mkdir -p "$W/state"
    "$MKSTATE" token "$W/state" hallmark >/dev/null
    TOKEN_URI="pkcs11:token=hallmark?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:$W/state/user.pin"
    "$MKSTATE" key "$W/state" "$TOKEN_URI" ec-p256 fw-p256 "$W/fw-p256.pub.pem" >/dev/null
    # The daemon reaches the same token through the fault shim (pass-through until told).
    DAEMON_URI="pkcs11:token=hallmark?module-path=$SHIM&pin-source=file:$W/state/user.pin"
    : >"$W/shim.ctl"
}

# write_config FILE [EXTRA_CLIENT_FOR_ACME] [LIMITS_JSON]
# read_timeout_ms is the daemon's default (10 s): 50 TLS handshakes at once under ASan on a
# loaded 2-core machine can take more than 3 s, and the slow-client tests set their own.
write_config() {
    local file=$1 extra=${2:-} limits=${3:-'"max_body": 65536, "rate_per_client": 100, "read_timeout_ms": 10000'}
    cat >"$file" <<JSON
{
  "listen": "127.0.0.1:0",
  "tls": {
    "cert": "$W/pki/server.pem",
    "key": "$W/pki/server.key",
    "client_ca": "$W/pki/ca.pem"
  },
  "hsm": {
    "uri": "$DAEMON_URI",
    "sessions": 4,
    "softhsm2_conf": "$W/state/softhsm2.conf"
  },
  "store": "sqlite:$W/hallmark.db",
  "tlog": false,
  "products": [
    {
      "name": "acme-thermostat",
      "channels": ["stable", "beta", "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"],
      "key": "fw-p256",
      "clients": ["cn:ci-acme"$extra]
    },
    {
      "name": "acme-hub",
      "key": "pkcs11:token=hallmark;object=fw-p256",
      "clients": ["san:dns:builder.example", "san:uri:spiffe://ci.example/acme"]
    }
  ],
  "limits": { $limits },
  "log": { "format": "text", "level": "info" }
}
JSON
}

start_daemon() {
    local cfg=$1
    rm -f "$W/port"
    # HM_VALGRIND=1: run hallmarkd under valgrind memcheck (tests/valgrind); its verdict is
    # the exit status stop_daemon returns (99 on any error or definite/indirect leak).
    local vg=() tries=100
    if [ -n "${HM_VALGRIND:-}" ]; then
        vg=(valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect
            --show-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30
            --suppressions="$HM_SRC/tests/valgrind/hallmarkd.supp" --log-file="$W/valgrind.%p.log"
            --child-silent-after-fork=yes) # hallmark-hsm-helper runs outside valgrind (seccomp)
        tries=900
    fi
    HM_SHIM_CONTROL="$W/shim.ctl" "${vg[@]}" "$HMD" --config "$cfg" --port-file "$W/port" 2>>"$W/hmd.log" &
    HMD_PID=$!
    for _ in $(seq 1 $tries); do
        [ -s "$W/port" ] && break
        kill -0 "$HMD_PID" 2>/dev/null || { echo "hallmarkd exited at start"; tail -20 "$W/hmd.log"; exit 1; }
        sleep 0.1
    done
    PORT=$(cat "$W/port")
    URL="https://127.0.0.1:$PORT"
}

stop_daemon() {
    kill -TERM "$HMD_PID"
    local rc=0
    wait "$HMD_PID" || rc=$?
    HMD_PID=
    return $rc
}

# req CLIENT METHOD PATH [curl args...]: prints the status; the body goes to $W/body and
# the headers to $W/headers.
req() {
    local client=$1 method=$2 path=$3
    shift 3
    curl -sS --max-time 30 --cacert "$W/pki/ca.pem" --cert "$W/pki/$client.pem" \
        --key "$W/pki/$client.key" -X "$method" -o "$W/body" -D "$W/headers" \
        -w '%{http_code}' "$@" "$URL$path" 2>"$W/curl.err" || true
}

# sign_body PRODUCT CHANNEL VERSION: a sign request for one artifact (its digests in
# $ART_SHA256 / $ART_SHA512, the file in $W/firmware.bin).
sign_body() {
    cat <<JSON
{"product":"$1","channel":"$2","version":"$3","artifacts":[{"name":"firmware.bin","size":$ART_SIZE,"digest":{"sha256":"$ART_SHA256","sha512":"$ART_SHA512"}}],"support_end":"2031-12-31","sbom":{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}}
JSON
}

make_artifact() {
    head -c 4096 /dev/urandom >"$W/firmware.bin"
    ART_SIZE=4096
    ART_SHA256=$(openssl dgst -sha256 -r "$W/firmware.bin" | cut -d' ' -f1)
    ART_SHA512=$(openssl dgst -sha512 -r "$W/firmware.bin" | cut -d' ' -f1)
}

# sign CLIENT PRODUCT CHANNEL VERSION: prints the status.
sign() {
    sign_body "$2" "$3" "$4" >"$W/req.json"
    req "$1" POST /v1/sign -H 'Content-Type: application/json' --data-binary @"$W/req.json"
}

json_field() { # json_field FILE KEY: the string or number value of a top-level key (simple)
    sed -n "s/.*\"$2\":\\(\"[^\"]*\"\\|[0-9][0-9]*\\).*/\\1/p" "$1" | head -1 | tr -d '"'
}

setup_all() {
    make_pki
    make_token
    make_artifact
    write_config "$W/hallmarkd.json"
}

# lib_log.sh: shared by the transparency-log scripts (tests/log, tests/interop/*daemon*).
# Sources tests/daemon/lib.sh (make_pki, make_token, write_config, start_daemon, ok/bad,
# expect, finish) and adds: a log key on the token, the "tlog" config section, a trust root
# listing the signing keys and the log, and the `hallmark` option sets.
source "$HM_SRC/tests/daemon/lib.sh"

# tls options of the CLI as client ci-acme
tls_opts() { echo "--cacert $W/pki/ca.pem --tls-cert $W/pki/ci-acme.pem --tls-key $W/pki/ci-acme.key"; }

# add_tlog CONFIG ORIGIN KEYLABEL: adds the "tlog" section to a write_config file.
add_tlog() {
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["tlog"] = {"origin": sys.argv[2], "key": sys.argv[3], "max_batch_delay_ms": 2}
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
}

# make_log_key ALG LABEL: a log key on the token; its public key in $W/LABEL.pub.pem.
make_log_key() {
    "$MKSTATE" key "$W/state" "$TOKEN_URI" "$1" "$2" "$W/$2.pub.pem" >/dev/null
}

# make_root OUT ORIGIN LOGPUB KEYSPEC...: a trust root v1 signed by a fresh root key.
# KEYSPEC is hallmark trust-root's --key argument (PUB.pem:products=a,b).
make_root() {
    local out=$1 origin=$2 logpub=$3
    shift 3
    local keys=()
    for k in "$@"; do keys+=(--key "$k"); done
    [ -f "$W/root.key.pem" ] || {
        openssl genpkey -algorithm ed25519 -out "$W/root.key.pem" 2>/dev/null
        openssl pkey -in "$W/root.key.pem" -pubout -out "$W/root.pub.pem" 2>/dev/null
    }
    "$HALLMARK" trust-root init --out "$out" --root-key "$W/root.pub.pem" --root-threshold 1 \
        --expires 2099-01-01 "${keys[@]}" --log "$origin=$logpub" \
        --sign-with "$W/root.key.pem" >/dev/null
}

# setup_log ORIGIN: PKI, token (fw-p256), an Ed25519 log key, config with the log, root.
setup_log() {
    ORIGIN=$1
    make_pki
    make_token
    make_artifact
    make_log_key ed25519 log-ed25519
    write_config "$W/hallmarkd.json"
    add_tlog "$W/hallmarkd.json" "$ORIGIN" log-ed25519
    make_root "$W/root.json" "$ORIGIN" "$W/log-ed25519.pub.pem" \
        "$W/fw-p256.pub.pem:products=acme-thermostat,acme-hub"
}

# checkpoint_size: the size of the daemon's current checkpoint.
checkpoint_size() {
    req ci-acme GET /v1/log/checkpoint >/dev/null
    sed -n 2p "$W/body"
}

# rsign VERSION [CHANNEL] [OUT]: hallmark sign --server; prints the exit status.
rsign() {
    local out=${3:-$W/b-$1.json} rc=0
    # shellcheck disable=SC2046
    "$HALLMARK" sign --server "$URL" $(tls_opts) --product acme-thermostat --channel "${2:-stable}" \
        --version "$1" --out "$out" "$W/firmware.bin" >/dev/null 2>"$W/sign.err" || rc=$?
    echo "$rc"
}

# check DESC CODE PATTERN -- COMMAND...: the command's exit status is CODE and its output
# (stdout and stderr) matches the extended regular expression PATTERN.
check() {
    local what=$1 want=$2 pattern=$3 out rc=0
    shift 4
    out=$("$@" 2>&1) || rc=$?
    if [ "$rc" -eq "$want" ] && grep -qE -- "$pattern" <<<"$out"; then
        ok "$what"
    else
        bad "$what: exit $rc (want $want), output: $out"
    fi
    LAST_OUT=$out
}

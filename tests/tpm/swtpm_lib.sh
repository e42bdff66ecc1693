# swtpm_lib.sh: a private swtpm for the TPM tests, ci/bench and ci/demo-tpm (sourced, bash).
#
#   swtpm_provision DIR   EK certificates from swtpm_setup with a private swtpm-localca
#                         configuration under DIR (nothing written to /etc or /var);
#                         sets SWTPM_ROOTS (the local CA's root) and SWTPM_CHAIN (its
#                         intermediate: the EK certificate's issuer)
#   swtpm_start DIR       swtpm on 127.0.0.1, ports picked free (P, P+1 for the control
#                         channel the swtpm TCTI expects); SWTPM_PORT, SWTPM_PID,
#                         SWTPM_TCTI; again after swtpm_stop: the same port and state
#   swtpm_stop            SIGKILL (a TPM that vanishes), waits for it
SWTPM_PID=
SWTPM_PORT=

swtpm_provision() {
    local d=$1
    mkdir -p "$d/state" "$d/ekca"
    cat >"$d/ekca/swtpm-localca.conf" <<EOF
statedir = $d/ekca
signingkey = $d/ekca/signkey.pem
issuercert = $d/ekca/issuercert.pem
certserial = $d/ekca/certserial
EOF
    printf -- '--platform-manufacturer Hallmark\n--platform-version 2.1\n--platform-model test\n' \
        >"$d/ekca/swtpm-localca.options"
    cat >"$d/ekca/swtpm_setup.conf" <<EOF
create_certs_tool = /usr/bin/swtpm_localca
create_certs_tool_config = $d/ekca/swtpm-localca.conf
create_certs_tool_options = $d/ekca/swtpm-localca.options
active_pcr_banks = sha256
EOF
    swtpm_setup --tpm2 --tpmstate "$d/state" --create-ek-cert --ecc --lock-nvram \
        --config "$d/ekca/swtpm_setup.conf" >"$d/setup.log" 2>&1 || {
        cat "$d/setup.log"
        return 1
    }
    SWTPM_ROOTS=$d/ekca/swtpm-localca-rootca-cert.pem
    SWTPM_CHAIN=$d/ekca/issuercert.pem
}

# A port P with P+1 free too, below the ephemeral range, where the TCTI's per-command
# connections leave TIME_WAIT sockets.
swtpm_free_pair() {
    python3 - <<'PY'
import random, socket
for _ in range(200):
    p = 20000 + 2 * random.randrange(6000)
    try:
        for q in (p, p + 1):
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", q)); s.close()
        print(p); break
    except OSError:
        pass
PY
}

swtpm_start() {
    local d=$1
    [ -n "$SWTPM_PORT" ] || SWTPM_PORT=$(swtpm_free_pair)
    swtpm socket --tpm2 --server type=tcp,port="$SWTPM_PORT",bindaddr=127.0.0.1 \
        --ctrl type=tcp,port=$((SWTPM_PORT + 1)),bindaddr=127.0.0.1 --tpmstate dir="$d/state" \
        --flags not-need-init,startup-clear --log file="$d/swtpm.log",level=1 &
    SWTPM_PID=$!
    local i
    for i in $(seq 200); do
        (exec 3<>/dev/tcp/127.0.0.1/"$SWTPM_PORT") 2>/dev/null && break
        kill -0 "$SWTPM_PID" 2>/dev/null || { echo "swtpm exited"; tail -5 "$d/swtpm.log"; return 1; }
        sleep 0.02
    done
    SWTPM_TCTI="swtpm:host=127.0.0.1,port=$SWTPM_PORT"
}

swtpm_stop() {
    if [ -n "$SWTPM_PID" ]; then
        kill -KILL "$SWTPM_PID" 2>/dev/null || true
        wait "$SWTPM_PID" 2>/dev/null || true
        SWTPM_PID=
    fi
}

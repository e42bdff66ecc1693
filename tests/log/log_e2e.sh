#!/usr/bin/env bash
# `hallmark log verify` and `hallmark log proof` against a real hallmarkd (docs/monitor.md):
#  - a clean run, then a second run after more signing (consistency, only the new entries),
#    the watch list in words and in JSON;
#  - tlog-proof files written from a bundle and from an index, checked offline, and refused
#    with another leaf, another bundle, a changed hash or another log key;
#  - attacks, each with its exit status and message: a split view by a clone of the log (a
#    second hallmarkd on the same token and log key, with its own database: same size with
#    another root, an inconsistent larger tree, a smaller tree), a rewritten entry, a gap and
#    a bad checkpoint signature served by a tampering mirror (tamper_proxy.py), a state folder
#    edited by hand; after each, the state folder is unchanged.
source "$HM_SRC/tests/log/lib_log.sh"
command -v python3 >/dev/null || { echo "SKIP-FAIL: python3 is needed"; exit 1; }

setup_log log.hallmark.test/e2e
start_daemon "$W/hallmarkd.json"
MON=$W/mon
T=$(tls_opts)
verify_log() { # verify_log URL STATE [more options]: the monitor with the trust root
    local url=$1 st=$2
    shift 2
    # shellcheck disable=SC2086
    "$HALLMARK" log verify --server "$url" --state "$st" $T --trust-root "$W/root.json" "$@"
}

# ---- clean run, second run ----
for v in 1.0.0 1.0.1 1.0.2; do expect "sign $v" 0 "$(rsign $v)"; done
N1=$(checkpoint_size)
check "first run verifies the whole log" 0 "^log verified: log.hallmark.test/e2e size $N1 \(previously 0\), $N1 new entries checked, 0 watched$" -- verify_log "$URL" "$MON"
expect "the state folder records size $N1" "size $N1" "$(sed -n 2p "$MON/state")"
check "a run with nothing new" 0 "size $N1 \(previously $N1\), 0 new entries" -- verify_log "$URL" "$MON"
for v in 1.1.0 1.1.1; do expect "sign $v" 0 "$(rsign $v)"; done
N2=$(checkpoint_size)
KID=$(sed -n 's/.*"hint":"\([^"]*\)".*/\1/p' "$W/b-1.1.0.json")
check "second run: consistent, only the new entries, watched key reported" 0 \
    "log verified: .* size $N2 \(previously $N1\), $((N2 - N1)) new entries checked, 2 watched" -- \
    verify_log "$URL" "$MON" --watch-key "$KID"
expect "one line per watched entry" 2 "$(grep -c "^watched (key): entry [0-9]* key $KID product acme-thermostat channel stable version 1.1.[01] " <<<"$LAST_OUT")"
expect "sign 1.2.0" 0 "$(rsign 1.2.0)"
check "--json: the watched entry and the summary" 0 '^\{"status":"verified","reason":"ok",' -- \
    verify_log "$URL" "$MON" --watch-product acme-thermostat --json
expect "the watched line is JSON" 1 "$(grep -c '^{"watched":"product","index":[0-9]*,"keyid":".*","version":"1.2.0",' <<<"$LAST_OUT")"

# ---- offline proofs ----
check "log proof --bundle writes a tlog-proof" 0 "^wrote $W/p.tlog-proof: entry [0-9]+ of log.hallmark.test/e2e at size" -- \
    "$HALLMARK" log proof --server "$URL" $T --bundle "$W/b-1.1.1.json" --out "$W/p.tlog-proof" \
    --leaf-out "$W/p.leaf" --trust-root "$W/root.json"
expect "the file is a C2SP tlog-proof" "c2sp.org/tlog-proof@v1" "$(head -1 "$W/p.tlog-proof")"
check "log proof --verify with the bundle" 0 "^verified: entry [0-9]+ is in the log log.hallmark.test/e2e at size" -- \
    "$HALLMARK" log proof --verify "$W/p.tlog-proof" --bundle "$W/b-1.1.1.json" --trust-root "$W/root.json"
check "log proof --verify with the leaf" 0 "^verified: entry" -- \
    "$HALLMARK" log proof --verify "$W/p.tlog-proof" --leaf "$W/p.leaf" --trust-root "$W/root.json"
check "log proof --index" 0 "^wrote $W/p0.tlog-proof: entry 0 of" -- \
    "$HALLMARK" log proof --server "$URL" $T --index 0 --out "$W/p0.tlog-proof" --leaf-out "$W/p0.leaf" \
    --trust-root "$W/root.json"
check "a proof does not verify another leaf" 1 "^proof failed: entry [0-9]+ is not proved in the log" -- \
    "$HALLMARK" log proof --verify "$W/p.tlog-proof" --leaf "$W/p0.leaf" --trust-root "$W/root.json"
check "a proof does not verify another bundle" 1 "^proof failed: the bundle's log entry \(index [0-9]+\) is not entry" -- \
    "$HALLMARK" log proof --verify "$W/p.tlog-proof" --bundle "$W/b-1.1.0.json" --trust-root "$W/root.json"
sed '3s/^./X/;3s/^XX/YX/' "$W/p.tlog-proof" >"$W/p-bad.tlog-proof"
[ "$(sed -n 3p "$W/p-bad.tlog-proof")" != "$(sed -n 3p "$W/p.tlog-proof")" ] || sed -i '3s/^./Y/' "$W/p-bad.tlog-proof"
check "a proof with a changed hash" 1 "^proof failed: entry [0-9]+ is not proved" -- \
    "$HALLMARK" log proof --verify "$W/p-bad.tlog-proof" --leaf "$W/p.leaf" --trust-root "$W/root.json"
make_log_key ed25519 other-log
make_root "$W/root-other.json" log.hallmark.test/e2e "$W/other-log.pub.pem" "$W/fw-p256.pub.pem:products=acme-thermostat"
check "a proof under another log key" 1 "^proof failed: entry [0-9]+ is not proved in the log log.hallmark.test/e2e: the checkpoint is not signed" -- \
    "$HALLMARK" log proof --verify "$W/p.tlog-proof" --leaf "$W/p.leaf" --trust-root "$W/root-other.json"
check "log proof refuses a checkpoint not signed by the key it trusts" 1 "^proof failed: the log's checkpoint is not signed by the log key" -- \
    "$HALLMARK" log proof --server "$URL" $T --index 0 --out "$W/px.tlog-proof" --trust-root "$W/root-other.json"
check "log proof: an index beyond the checkpoint" 1 "is not in the log's checkpoint" -- \
    "$HALLMARK" log proof --server "$URL" $T --index 100000 --out "$W/px.tlog-proof" --trust-root "$W/root.json"

# ---- attacks through a tampering mirror ----
echo none >"$W/mode"
python3 "$HM_SRC/tests/log/tamper_proxy.py" "$URL" "$W/pki" "$W/proxy.port" "$W/mode" 2>>"$W/proxy.log" &
PROXY_PID=$!
for _ in $(seq 1 100); do [ -s "$W/proxy.port" ] && break; sleep 0.1; done
PROXY="https://127.0.0.1:$(cat "$W/proxy.port")"
trap 'kill $PROXY_PID 2>/dev/null || true; cleanup' EXIT
check "the honest mirror verifies" 0 "^log verified" -- verify_log "$PROXY" "$W/mon-proxy"
expect "sign 1.3.0" 0 "$(rsign 1.3.0)"
N3=$(checkpoint_size)
cp "$W/mon-proxy/state" "$W/state.before"
attack() { # attack MODE REASON MESSAGE
    echo "$1" >"$W/mode"
    check "$1: exit 1, $2" 1 "^hallmark log verify: $2: $3" -- verify_log "$PROXY" "$W/mon-proxy"
    expect "$1: the state is unchanged" same "$(cmp -s "$W/state.before" "$W/mon-proxy/state" && echo same)"
}
attack badsig bad-checkpoint-signature "the checkpoint is not signed by the log key log.hallmark.test/e2e\+[0-9a-f]{8}\+"
attack rewrite rewritten-entry "entry [0-9]+ was rewritten: the bytes served hash to [A-Za-z0-9+/]{43}=, the log's tree holds [A-Za-z0-9+/]{43}= at that index \(/v1/log/tile/0/000.p/$N3\)"
attack gap gap "entries $((N3 - 1))\.\.$((N3 - 1)) of the checkpoint of size $N3 are missing: /v1/log/tile/entries/000.p/$N3 holds $((N3 - 1)) of its $N3 entries"
echo none >"$W/mode"
check "the mirror honest again: verified" 0 "size $N3 \(previously $((N3 - 1))\)" -- verify_log "$PROXY" "$W/mon-proxy"

# ---- a split view: a clone of the log (same token, same log key, another database) ----
N4=$(checkpoint_size)
check "the monitor of the real log at size $N4" 0 "size $N4" -- verify_log "$URL" "$MON"
A_URL=$URL
A_PID=$HMD_PID
sed "s|sqlite:$W/hallmark.db|sqlite:$W/clone.db|" "$W/hallmarkd.json" >"$W/clone.json"
start_daemon "$W/clone.json"
B_URL=$URL
cp -r "$MON" "$W/mon-clone"
cp "$MON/state" "$W/state.before"
expect "clone sign 1.0.0" 0 "$(rsign 1.0.0 beta)"
NB=$(checkpoint_size)
if [ "$NB" -lt "$N4" ]; then
    check "a smaller tree under the same key: split view" 1 "^hallmark log verify: split-view: the log shrank: checkpoint size $NB \(root [A-Za-z0-9+/=]{44}\) after size $N4" -- \
        verify_log "$B_URL" "$W/mon-clone"
fi
i=1
while [ "$(checkpoint_size)" -lt "$N4" ] && [ $i -lt 50 ]; do rsign "1.0.$i" beta >/dev/null; i=$((i + 1)); done
expect "the clone reached size $N4" "$N4" "$(checkpoint_size)"
check "same size, another root: split view" 1 "^hallmark log verify: split-view: two checkpoints of size $N4 with different roots: " -- \
    verify_log "$B_URL" "$W/mon-clone"
expect "the contradicting checkpoints are kept as evidence" yes "$([ "$(ls "$W/mon-clone/evidence/" | grep -c 'split-view.note$')" -ge 1 ] && echo yes)"
rsign "1.0.$i" beta >/dev/null
check "a larger tree that does not extend the verified one: split view" 1 "^hallmark log verify: split-view: checkpoint $((N4 + 1)) \(root .*\) is not consistent with checkpoint $N4 \(root .*\) verified before: the consistency proof does not verify" -- \
    verify_log "$B_URL" "$W/mon-clone"
expect "the state is unchanged after the split views" same "$(cmp -s "$W/state.before" "$W/mon-clone/state" && echo same)"
kill -KILL "$HMD_PID"
HMD_PID=$A_PID
URL=$A_URL

# ---- a state folder edited by hand ----
cp -r "$MON" "$W/mon-edited"
python3 - "$W/mon-edited/state" <<'PY'
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
i = next(k for k, l in enumerate(lines) if l.startswith(b"edge "))
parts = lines[i].split(b" ")
parts[3] = (b"B" if parts[3][:1] != b"B" else b"C") + parts[3][1:]
lines[i] = b" ".join(parts)
open(sys.argv[1], "wb").write(b"\n".join(lines))
PY
check "an edited state: exit 2, the reason" 2 "^hallmark log verify: io-error: the state $W/mon-edited/state is not usable: the edge hashes do not give the checkpoint's root$" -- \
    verify_log "$URL" "$W/mon-edited"
check "a log key that did not sign the checkpoint: exit 1" 1 "^hallmark log verify: bad-checkpoint-signature: the checkpoint is not signed by the log key log.hallmark.test/e2e\+" -- \
    "$HALLMARK" log verify --server "$URL" --state "$MON" $T --log-key "$(python3 - "$W/other-log.pub.pem" <<'PY'
import base64, hashlib, subprocess, sys
der = subprocess.run(["openssl", "pkey", "-pubin", "-in", sys.argv[1], "-outform", "DER"], capture_output=True).stdout
pk = der[-32:]
name = b"log.hallmark.test/e2e"
kid = hashlib.sha256(name + b"\n" + b"\x01" + pk).digest()[:4]
print(name.decode() + "+" + kid.hex() + "+" + base64.b64encode(b"\x01" + pk).decode())
PY
)"
check "usage: no --state" 2 "needs --server, --state and a log key" -- "$HALLMARK" log verify --server "$URL" $T --trust-root "$W/root.json"
check "the real log still verifies at the end" 0 "^log verified" -- verify_log "$URL" "$MON"
finish

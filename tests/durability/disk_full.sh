#!/usr/bin/env bash
# hallmarkd with its store on a full disk.  The store (SQLite, WAL) lives on a 4 MiB tmpfs
# mounted for the test (needs root and mount(2); skipped with code 77 otherwise -- see
# docs/security-testing.md for why tmpfs and not LD_PRELOAD).  The disk is filled while a
# client keeps signing.  Checked:
#  - every reply is 200 or 503 "store-unavailable" with Retry-After (never a 500, a hang
#    or a crash), and the daemon stays healthy;
#  - after SIGTERM and a restart on the same store, every acknowledged (200) release is
#    in it and nothing else (nothing half-written), SQLite's integrity check passes, each
#    acknowledged bundle verifies, and re-signing an acknowledged version is a 409;
#  - once space is freed, signing resumes without a restart.
. "$(dirname "$0")/../daemon/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v sqlite3 >/dev/null; then
    echo "SKIP: needs root (to mount a tmpfs) and sqlite3"
    exit 77
fi
mkdir -p "$W/disk"
if ! mount -t tmpfs -o size=4m,mode=0700 hm-disk-full "$W/disk" 2>"$W/mount.err"; then
    echo "SKIP: cannot mount a tmpfs here: $(cat "$W/mount.err")"
    rmdir "$W/disk"
    exit 77
fi
disk_cleanup() {
    if [ -n "$HMD_PID" ] && kill -0 "$HMD_PID" 2>/dev/null; then
        kill -KILL "$HMD_PID" 2>/dev/null || true
        wait "$HMD_PID" 2>/dev/null || true
    fi
    HMD_PID=
    umount "$W/disk" 2>/dev/null || umount -l "$W/disk" 2>/dev/null || true
    cleanup
}
trap disk_cleanup EXIT

setup_all
DB=$W/disk/hallmark.db
sed -i "s#\"store\": \"sqlite:$W/hallmark.db\"#\"store\": \"sqlite:$DB\"#" "$W/hallmarkd.json"
grep -q "sqlite:$DB" "$W/hallmarkd.json" && ok "the store is on the small tmpfs" || bad "store not moved"
start_daemon "$W/hallmarkd.json"

ACKED=()  # versions the daemon acknowledged with 200
k=0
# sign_next: signs 1.0.<k+1>; its status in $ST; keeps the reply of a 200.
sign_next() {
    k=$((k + 1))
    ST=$(sign ci-acme acme-thermostat stable "1.0.$k")
    if [ "$ST" = 200 ]; then
        ACKED+=("1.0.$k")
        cp "$W/body" "$W/reply-1.0.$k.json"
    fi
}

for _ in $(seq 1 10); do sign_next; done
expect "10 releases signed before the disk fills" 10 "${#ACKED[@]}"

# Fill the disk while signing: a filler grows 256 KiB at a time until ENOSPC stops it.
(while dd if=/dev/zero of="$W/disk/filler" bs=64k count=4 oflag=append conv=notrunc 2>/dev/null; do
    sleep 0.05
done) &
filler=$!
n503=0 other=0 n200=0
for _ in $(seq 1 400); do
    sign_next
    case "$ST" in
    200) n200=$((n200 + 1)) ;;
    503)
        n503=$((n503 + 1))
        code=$(json_field "$W/body" error)
        retry=$(tr -d '\r' <"$W/headers" | sed -n 's/^Retry-After: //Ip')
        [ "$code" = store-unavailable ] && [ -n "$retry" ] ||
            { other=$((other + 1)); echo "503 without code/retry: $code '$retry' $(cat "$W/body")"; }
        ;;
    *)
        other=$((other + 1))
        echo "unexpected reply $ST: $(cat "$W/body")"
        ;;
    esac
    [ "$n503" -ge 5 ] && break
done
wait "$filler" || true
avail=$(df --output=avail "$W/disk" | tail -1 | tr -d ' ')
expect "the disk filled up (KiB available)" 0 "$avail"
echo "while the disk filled: $n200 signed, then $n503 refused"
[ "$n503" -ge 5 ] && ok "new signatures are refused on the full disk (503 store-unavailable)" ||
    bad "only $n503 refusals on the full disk"
expect "every reply was 200 or 503 store-unavailable with Retry-After" 0 "$other"
expect "healthy while the disk is full" 200 "$(req ci-acme GET /healthz)"
kill -0 "$HMD_PID" && ok "the daemon is still running" || bad "the daemon died"

# Free the space: signing resumes without a restart.
rm -f "$W/disk/filler"
resumed=
for _ in $(seq 1 20); do
    sign_next
    if [ "$ST" = 200 ]; then resumed=1; break; fi
    sleep 0.5
done
[ -n "$resumed" ] && ok "signing resumes once space is freed (no restart)" || bad "signing did not resume"
for _ in $(seq 1 3); do sign_next; done
stop_daemon && ok "SIGTERM: exit 0" || bad "SIGTERM: non-zero exit"

# What the store holds: exactly the acknowledged releases, intact.
expect "SQLite integrity check" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
rows=$(sqlite3 "$DB" "SELECT version FROM releases WHERE product='acme-thermostat' AND channel='stable' ORDER BY id")
expect "the store holds exactly the ${#ACKED[@]} acknowledged releases, in order" \
    "$(printf '%s ' "${ACKED[@]}")" "$(printf '%s ' $rows)"
bad_bundles=0
for v in "${ACKED[@]}"; do
    "$CHECKREPLY" "$W/reply-$v.json" "$W/fw-p256.pub.pem" firmware.bin "$ART_SHA256" "$ART_SHA512" \
        acme-thermostat "$W/$v.bundle.json" >/dev/null 2>&1 || bad_bundles=$((bad_bundles + 1))
done
expect "every acknowledged bundle verifies" 0 "$bad_bundles"

start_daemon "$W/hallmarkd.json"
expect "after a restart: re-signing an acknowledged version is refused (409)" 409 \
    "$(sign ci-acme acme-thermostat stable "${ACKED[-1]}")"
expect "after a restart: the next version signs" 200 "$(sign ci-acme acme-thermostat stable 2.0.0)"
stop_daemon && ok "SIGTERM: exit 0" || bad "SIGTERM: non-zero exit"
finish

#!/usr/bin/env bash
# Cold start, one process per verification: `hallmark verify --trust-root` against the same
# check by @sigstore/verify 3.1.1 in node (tests/interop/sigstore_verify_tlog.js: DSSE
# signature + tlog entry with tlogThreshold 1), on the same P-256 bundle with an Ed25519 log
# entry; wall time and peak RSS (GNU time) as medians of RUNS runs.  Not a ctest test.
#   HM_BUILD=build HM_SRC=. bash tests/verify/bench_cold.sh [RUNS]
set -euo pipefail
RUNS=${1:-21}
: "${HM_BUILD:?}" "${HM_SRC:?}"
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (Debian package 'time')"; exit 2; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
head -c 65536 /dev/urandom > fw.bin
"$HM_BUILD/bin/vt_mkfiles" . fw.bin
export NODE_PATH=$HM_SRC/tests/interop/node_modules
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # NAME COMMAND...: wall time from the clock (ns), peak RSS from GNU time
  local name=$1 slug t0 t1; shift
  slug=$(tr -c 'a-z0-9' _ <<<"$name")
  "$@" >/dev/null # warm the page cache once
  for _ in $(seq "$RUNS"); do
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o t.out "$@" >/dev/null
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 1000 )) $(cat t.out)"
  done > "$slug.txt"
  printf '%-26s wall %7.1f ms   peak RSS %6.1f MiB   (median of %d runs)\n' "$name" \
    "$(awk '{print $1 / 1000}' "$slug.txt" | median)" \
    "$(awk '{print $2 / 1024}' "$slug.txt" | median)" "$RUNS"
}
measure "hallmark verify" "$HM_BUILD/bin/hallmark" verify --trust-root root.json \
  --bundle bundle-ec-p256.json --product acme-thermostat --installed-version 1.4.1 fw.bin
measure "@sigstore/verify (node)" node "$HM_SRC/tests/interop/sigstore_verify_tlog.js" root.json \
  bundle-ec-p256.json
if [ -n "${UPDATE_AGENT:-}" ]; then # an update_agent built against the installed library
  mkdir -p state
  printf '{"product":"acme-thermostat","version":"1.4.1"}\n' > state/installed.json
  measure "update_agent (install)" bash -c "printf '{\"product\":\"acme-thermostat\",\"version\":\"1.4.1\"}\n' > state/installed.json && exec '$UPDATE_AGENT' root.json bundle-1.4.3.json fw.bin state"
fi
node --version | sed 's/^/node /'

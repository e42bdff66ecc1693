#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time over its seed corpus (copied, so that
# the repository's corpus only grows by hand).  Usage: run-one.sh BINARY CORPUS SECONDS
set -euo pipefail
bin=$1 corpus=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus"/. "$work"/ 2>/dev/null || true
out=$("$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/crash-" "$work" 2>&1) || { echo "$out" | tail -n 40; exit 1; }
echo "$out" | grep -E '^(stat::number_of_executed_units|Done)' || true

# Shared by the shell integration tests.  Source it; it gives HM (the CLI), a fresh WORK
# folder removed at exit, and small assertion helpers that say what failed.
set -euo pipefail
: "${HM_BUILD:?run through ctest (HM_BUILD unset)}"
: "${HM_SRC:?run through ctest (HM_SRC unset)}"
HM=$HM_BUILD/bin/hallmark
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hm-test-XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
export HM HM_BUILD HM_SRC WORK
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }

# expect CODE PATTERN DESCRIPTION -- command...: runs the command, checks its exit code and
# that its output (stdout and stderr) matches PATTERN (grep -E).
expect() {
  local want=$1 pattern=$2 what=$3 out rc
  shift 4
  set +e
  out=$("$@" 2>&1)
  rc=$?
  set -e
  if [ "$rc" -eq "$want" ] && grep -qE -- "$pattern" <<<"$out"; then
    ok "$what"
  else
    not_ok "$what (exit $rc, wanted $want and /$pattern/): $out"
  fi
}

# Whether the binaries were built with ASan (some checks, like ulimit -v, cannot run then).
is_asan() { local libs; libs=$(ldd "$HM" 2>/dev/null || true); grep -q libasan <<<"$libs"; }

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

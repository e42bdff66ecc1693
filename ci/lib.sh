# Shared by the ci/ scripts.  Source it; it sets ROOT and a few helpers.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ROOT
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
say() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

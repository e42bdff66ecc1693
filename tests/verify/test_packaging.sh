#!/usr/bin/env bash
# libhallmark-verify as a device maker gets it: `cmake --install` into a temporary prefix,
# then examples/device/update_agent built against it with pkg-config and with
# find_package (shared and static), run on real bundles, and the library checked with
# nm/ldd: libcrypto and libcjson only, no hsm/signer/sqlite/libpq/libevent code or library.
source "$HM_SRC/tests/lib.sh"
# grep -q stops reading early; under pipefail the writer's SIGPIPE would fail the check.
grep_q() { grep "$@" >/dev/null; }
P=$WORK/prefix
cmake --install "$HM_BUILD" --prefix "$P" --component hallmark-verify >/dev/null
LIBDIR=$(dirname "$(find "$P" -name 'libhallmark-verify.so' | head -n 1)")
SO=$(readlink -f "$LIBDIR/libhallmark-verify.so")
A=$LIBDIR/libhallmark-verify.a
for f in "$P/include/hm/verify.h" "$P/include/hm/common.h" "$SO" "$A" \
         "$LIBDIR/pkgconfig/hallmark-verify.pc" "$LIBDIR/cmake/hallmark-verify/hallmark-verifyConfig.cmake" \
         "$LIBDIR/cmake/hallmark-verify/hallmark-verifyConfigVersion.cmake"; do
  [ -e "$f" ] && ok "installed ${f#$P/}" || not_ok "missing ${f#$P/}"
done
[ "$(ls "$P/include/hm")" = "$(printf 'common.h\nverify.h')" ] && ok "exactly two public headers" ||
  not_ok "headers: $(ls "$P/include/hm")"
[ -L "$LIBDIR/libhallmark-verify.so.0" ] && ok "soname link libhallmark-verify.so.0" || not_ok "no soname link"
objdump -p "$SO" | grep_q 'SONAME *libhallmark-verify.so.0' && ok "SONAME is libhallmark-verify.so.0" ||
  not_ok "SONAME: $(objdump -p "$SO" | grep SONAME)"

# The header stands alone with only the installed include folder.
printf '#include <hm/verify.h>\nint main(void) { return hm_verify_status_name(HM_V_OK)[0] == 0; }\n' > alone.c
cc -std=c11 -Wall -Werror -I"$P/include" -c alone.c -o alone.o && ok "hm/verify.h compiles with only the installed headers" ||
  not_ok "hm/verify.h needs headers that are not installed"

# ---- what the library links and contains ------------------------------------------------
NEEDED=$(objdump -p "$SO" | awk '/NEEDED/ {print $2}' | tr '\n' ' ')
extra=$(tr ' ' '\n' <<<"$NEEDED" | grep -vE '^(libcrypto\.so\.3|libcjson\.so\.1|libc\.so\.6|libm\.so\.6|libasan\.so.*|libubsan\.so.*|)$' || true)
[ -z "$extra" ] && ok "NEEDED: $NEEDED" || not_ok "unexpected libraries: $extra"
ldd "$SO" | grep -Ei 'hsm|p11|tss2|sqlite|libpq|libevent|libssl' && not_ok "ldd shows a daemon library" ||
  ok "ldd: no hsm, PKCS#11, TPM, sqlite, libpq, libevent or libssl"
BAD='hm_hsm|hm_key_sign|hm_softhsm|hmd_|hm_store|hm_policy|hm_attest_|sqlite3_|PQ[a-z]|event_base|evhttp|Esys_|Tss2_|C_Initialize|SSL_'
for lib in "$SO" "$A"; do
  if nm -A "$lib" 2>/dev/null | grep -E " [TtUuDdBb] ($BAD)" >/dev/null; then
    not_ok "$(basename "$lib") holds or needs: $(nm -A "$lib" | grep -E " [TtUuDdBb] ($BAD)" | head -3)"
  else
    ok "$(basename "$lib"): no hsm/signer/store/sqlite/libpq/libevent/TPM/TLS symbol"
  fi
done
EXPORTED=$(nm -D --defined-only "$SO" | awk '$2 == "T" {print $3}' | sed 's/@.*//' | sort)
grep -vE '^hm_' <<<"$EXPORTED" && not_ok "exports a symbol without the hm_ prefix" || ok "exports only hm_ symbols"
grep -E '^(hm_tlog_|hm_json_|hm_v_)' <<<"$EXPORTED" && not_ok "exports internals" || ok "tlog, json and hm_v_ helpers stay local"
missing=""
DECLARED=$(python3 - "$P/include/hm/verify.h" "$P/include/hm/common.h" <<'PY'
import re, sys
for path in sys.argv[1:]:
    text = re.sub(r"/\*.*?\*/", "", open(path).read(), flags=re.S)
    text = re.sub(r"#define[^\n]*", "", text)
    for name in sorted(set(re.findall(r"\b(hm_[a-z0-9_]+)\s*\(", text))):
        print(name)
PY
)
for fn in $DECLARED; do
  grep -qx "$fn" <<<"$EXPORTED" || missing="$missing $fn"
done
[ -z "$missing" ] && ok "every function of the two headers is exported" || not_ok "not exported:$missing"

# ---- build the example agent three ways ---------------------------------------------------
SAN=""
if ldd "$SO" | grep_q libasan; then SAN="-fsanitize=address,undefined"; fi
export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
if cc -std=c11 -Wall -Wextra -Werror $SAN "$HM_SRC/examples/device/update_agent.c" -o agent-pc \
     $(pkg-config --cflags --libs hallmark-verify libcjson) 2>build-pc.err; then
  ok "update_agent builds with pkg-config ($(pkg-config --libs hallmark-verify))"
else
  not_ok "pkg-config build: $(cat build-pc.err)"
fi
for mode in OFF ON; do
  if cmake -S "$HM_SRC/examples/device" -B "agent-$mode" -DCMAKE_PREFIX_PATH="$P" \
       -DUPDATE_AGENT_STATIC=$mode -DCMAKE_C_FLAGS="$SAN" >"cmake-$mode.log" 2>&1 &&
     cmake --build "agent-$mode" >>"cmake-$mode.log" 2>&1; then
    ok "update_agent builds with find_package(hallmark-verify), static=$mode"
  else
    not_ok "find_package build static=$mode: $(tail -20 "cmake-$mode.log")"
  fi
done
if ldd agent-ON/update_agent | grep_q hallmark-verify; then
  not_ok "the static agent still needs libhallmark-verify.so"
else
  ok "the static agent links libhallmark-verify.a"
fi
ldd agent-OFF/update_agent | grep_q "$LIBDIR/libhallmark-verify.so.0" && ok "the shared agent uses the installed library" ||
  not_ok "shared agent: $(ldd agent-OFF/update_agent | grep hallmark)"

# ---- run them as a device would -----------------------------------------------------------
head -c 300000 /dev/urandom > fw.bin
"$HM_BUILD/bin/vt_mkfiles" . fw.bin
run_agent() { # AGENT BUNDLE IMAGE STATE
  LD_LIBRARY_PATH=$LIBDIR "$@"
}
for agent in ./agent-pc ./agent-OFF/update_agent ./agent-ON/update_agent; do
  S=state-$(tr -c 'a-zA-Z0-9\n' - <<<"$agent")
  mkdir -p "$S"
  printf '{"product":"acme-thermostat","version":"1.4.1"}\n' > "$S/installed.json"
  rc=0
  out=$(run_agent "$agent" root.json bundle-1.4.3.json fw.bin "$S" 2>&1) || rc=$?
  [ "$rc" -eq 0 ] && grep -q "^installed acme-thermostat 1.4.3 (was 1.4.1); in the transparency log at log.hallmark.test/acme" <<<"$out" &&
    ok "$agent installs 1.4.3 over 1.4.1" || not_ok "$agent install (exit $rc): $out"
  grep -q "^security support until 2031-12-31$" <<<"$out" && ok "$agent prints the end of the support period" ||
    not_ok "no support period in: $out"
  cmp -s fw.bin "$S/firmware.bin" && ok "$agent installed the verified bytes" || not_ok "$S/firmware.bin differs"
  grep -q '"version":"1.4.3"' "$S/installed.json" && ok "$agent recorded version 1.4.3" || not_ok "installed.json: $(cat "$S/installed.json")"
  expect 1 "refused: rollback" "$agent refuses to reinstall 1.4.3" -- \
    run_agent "$agent" root.json bundle-1.4.3.json fw.bin "$S"
  expect 1 "refused: rollback" "$agent refuses 1.4.0" -- run_agent "$agent" root.json bundle-1.4.0.json fw.bin "$S"
  { printf 'X'; tail -c +2 fw.bin; } > evil.bin
  printf '{"product":"acme-thermostat","version":"1.0.0"}\n' > "$S/installed.json"
  expect 1 "refused: digest-mismatch" "$agent refuses a changed image" -- \
    run_agent "$agent" root.json bundle-1.4.3.json evil.bin "$S"
  expect 1 "refused: log-proof-invalid" "$agent refuses a bundle without a log entry" -- \
    run_agent "$agent" root.json bundle-ec-p256-nolog.json fw.bin "$S"
  [ ! -e "$S/firmware.bin.new" ] && ok "nothing of a refused update is left" || not_ok "firmware.bin.new left behind"
  cmp -s fw.bin "$S/firmware.bin" && ok "the installed image is untouched by refusals" || not_ok "firmware.bin changed"
  expect 0 "no clock: expiry not checked" "$agent without a clock" -- \
    env UPDATE_AGENT_NOW=unknown LD_LIBRARY_PATH="$LIBDIR" "$agent" root.json bundle-1.4.3.json fw.bin "$S"
done
expect 2 "usage: update_agent" "the agent explains its arguments" -- run_agent ./agent-pc
finish

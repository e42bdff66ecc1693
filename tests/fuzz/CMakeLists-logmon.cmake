# Fuzz target of the log monitor (`hallmark log verify`, signer/cli/cli_log_*.c; included by
# tests/fuzz/CMakeLists.txt): its state file and the log routes' replies.  hm_log_testutil
# is defined in tests/log (added after tests/fuzz; CMake resolves the name at generation).
hm_fuzz_target(fuzz_log_monitor SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_log_monitor.c
               LIBS hm_log_testutil CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/log_monitor)

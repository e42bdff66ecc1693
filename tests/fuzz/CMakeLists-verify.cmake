# Fuzz targets of libhallmark-verify's trust root and transparency-log entries (included by
# tests/fuzz/CMakeLists.txt).
hm_fuzz_target(fuzz_trustroot SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_trustroot.c LIBS hm_verify
               CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/trustroot)
hm_fuzz_target(fuzz_tlog_entry SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_tlog_entry.c LIBS hm_verify
               CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/tlog_entry)

# Fuzz targets of attest/verify (included by tests/fuzz/CMakeLists.txt).
hm_fuzz_target(fuzz_dsse SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_dsse.c LIBS hm_verify
               CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/dsse)
hm_fuzz_target(fuzz_bundle SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_bundle.c LIBS hm_verify
               CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/bundle)
hm_fuzz_target(fuzz_statement SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_statement.c LIBS hm_verify
               CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/statement)

# Fuzz targets of the steward attestation parser (attest/steward*.c; included by
# tests/fuzz/CMakeLists.txt).
hm_fuzz_target(fuzz_steward SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_steward.c LIBS hm_attest
               CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/steward)

# Fuzz targets of the TPM / key-attestation work (included by tests/fuzz/CMakeLists.txt).
hm_fuzz_target(fuzz_tpms_attest SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_tpms_attest.c
               LIBS hm_verify CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/tpms_attest)
if(TARGET fuzz_tpms_attest)
  # the TPM structure reader's header is private to attest/verify/
  target_include_directories(fuzz_tpms_attest PRIVATE ${CMAKE_SOURCE_DIR}/attest/verify)
endif()
hm_fuzz_target(fuzz_keyatt_keys SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_keyatt_keys.c
               LIBS hm_verify CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/keyatt_keys)

# Fuzz targets of the steward attestations (attest/verify/steward*.c) and of hallmarkd's page
# (signer/daemon/page*.c); included by tests/fuzz/CMakeLists.txt.
hm_fuzz_target(fuzz_steward SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_steward.c LIBS hm_attest
               CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/steward)
hm_fuzz_target(fuzz_steward_verify SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_steward_verify.c
               LIBS hm_verify CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/steward_verify)
if(TARGET hm_signerd)
  hm_fuzz_target(fuzz_page SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_page.c LIBS hm_signerd
                 CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/page)
endif()

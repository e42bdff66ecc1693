# Fuzz target of hallmarkd's transparency-log routes (signer/daemon/log_routes.c; included
# by tests/fuzz/CMakeLists.txt).
if(TARGET hm_signerd)
  hm_fuzz_target(fuzz_log_routes SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_log_routes.c
                 LIBS hm_signerd CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/log_routes)
endif()

# Fuzz targets of hallmarkd (signer/daemon; included by tests/fuzz/CMakeLists.txt).
if(TARGET hm_signerd)
  foreach(t daemon_config daemon_http daemon_sign_req)
    hm_fuzz_target(fuzz_${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_${t}.c LIBS hm_signerd
                   CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/${t})
  endforeach()
endif()

# Fuzz targets of hsm/ (included by tests/fuzz/CMakeLists.txt).
hm_fuzz_target(fuzz_pkcs11_uri SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_pkcs11_uri.c LIBS hm_hsm
               CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/pkcs11_uri)
if(TARGET fuzz_pkcs11_uri)
  # the parser's header is private to hsm/
  target_include_directories(fuzz_pkcs11_uri PRIVATE ${CMAKE_SOURCE_DIR}/hsm)
endif()

# Fuzz targets added by the hardening work (included by tests/fuzz/CMakeLists.txt): the
# tile paths of GET /v1/log/tile/... and the signed-note verifier keys (tlog/).
foreach(t tiles vkey)
  hm_fuzz_target(fuzz_${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_${t}.c LIBS hm_tlog
                 CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/${t})
endforeach()
# The tpm2: key URIs of the config and the CLI (hsm/tpm2_uri.c, built with tpm2-tss only).
if(TARGET PkgConfig::TSS2)
  hm_fuzz_target(fuzz_tpm2_uri SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_tpm2_uri.c LIBS hm_hsm
                 CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/tpm2_uri)
  if(TARGET fuzz_tpm2_uri)
    # the URI parser's header is private to hsm/
    target_include_directories(fuzz_tpm2_uri PRIVATE ${CMAKE_SOURCE_DIR}/hsm ${HM_PKCS11_INCLUDE})
  endif()
endif()

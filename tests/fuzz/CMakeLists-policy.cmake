# Fuzz targets of policy/ (included by tests/fuzz/CMakeLists.txt).
hm_fuzz_target(fuzz_semver SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_semver.c LIBS hm_policy
               CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/semver)
# The policy engine: the policy file and the sign request (policy_parse*.c, policy_request.c).
hm_fuzz_target(fuzz_policy SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_policy.c LIBS hm_policy
               CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/policy)
hm_fuzz_target(fuzz_request SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_request.c LIBS hm_policy
               CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/request)
# CI OIDC tokens (and JWKS), SBOMs, OSV records, OpenVEX documents and the CISA KEV list
# (policy/oidc*.c, sbom*.c, osv.c, vex.c, kev.c, vuln_*.c; private headers in policy/).
foreach(t jwt sbom osv vex kev)
  hm_fuzz_target(fuzz_${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_${t}.c LIBS hm_policy
                 CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/${t})
  if(TARGET fuzz_${t})
    target_include_directories(fuzz_${t} PRIVATE ${CMAKE_SOURCE_DIR}/policy)
  endif()
endforeach()

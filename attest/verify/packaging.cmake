# libhallmark-verify as a device links it: one shared and one static library named
# hallmark-verify, holding the verifier and the parts of common/, common/json/ and tlog/ it
# uses (compiled here from their sources, so that their own CMakeLists stay as they are),
# linked to libcrypto and libcjson only.  Installed with hm/verify.h and hm/common.h (the
# types verify.h uses), hallmark-verify.pc and a CMake package (find_package).
#
# Why cJSON and not a reader of our own: hm_json's validating pre-scan already refuses what
# cJSON gets wrong (duplicates, \u0000, bad UTF-8), our value count bounds the tree
# (verify_int.h), and cJSON is one small packaged C file that every distribution ships; a new
# parser would be more code for a device to trust, not less.
include(CMakePackageConfigHelpers)

set(HM_VERIFY_SOVERSION 0)
set(HM_VERIFY_TLOG_SRC hash.c verify.c note.c vkey.c checkpoint.c text.c)
list(TRANSFORM HM_VERIFY_TLOG_SRC PREPEND ${CMAKE_SOURCE_DIR}/tlog/)
file(GLOB HM_VERIFY_COMMON_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/common/*.c
     ${CMAKE_SOURCE_DIR}/common/json/*.c)

add_library(hallmark_verify_objs OBJECT ${HM_VERIFY_SRC} ${HM_VERIFY_COMMON_SRC}
                                        ${HM_VERIFY_TLOG_SRC})
target_include_directories(hallmark_verify_objs PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/include ${CMAKE_CURRENT_SOURCE_DIR}
  ${CMAKE_SOURCE_DIR}/common/include ${CMAKE_SOURCE_DIR}/common/json/include
  ${CMAKE_SOURCE_DIR}/common/json ${CMAKE_SOURCE_DIR}/tlog/include ${CMAKE_SOURCE_DIR}/tlog
  ${CRYPTO_INCLUDE_DIRS} ${CJSON_INCLUDE_DIRS})
set_target_properties(hallmark_verify_objs PROPERTIES POSITION_INDEPENDENT_CODE ON)

set(HM_VERIFY_PUBLIC_INCLUDES
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/common/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

add_library(hallmark_verify SHARED $<TARGET_OBJECTS:hallmark_verify_objs>)
target_include_directories(hallmark_verify INTERFACE ${HM_VERIFY_PUBLIC_INCLUDES})
target_link_libraries(hallmark_verify PRIVATE PkgConfig::CRYPTO PkgConfig::CJSON m)
# Export the API of the two installed headers only: tlog, json and hm_v_ helpers stay local.
target_link_options(hallmark_verify PRIVATE
  -Wl,--version-script=${CMAKE_CURRENT_SOURCE_DIR}/hallmark-verify.map)
if(NOT HM_SANITIZE AND NOT HM_FUZZ)
  # Every symbol resolved at link time: proof that nothing else is needed.  (With clang's
  # sanitizers the runtime comes from the executable, so the check is skipped there.)
  target_link_options(hallmark_verify PRIVATE -Wl,--no-undefined)
endif()
set_target_properties(hallmark_verify PROPERTIES
  OUTPUT_NAME hallmark-verify EXPORT_NAME hallmark-verify
  VERSION ${PROJECT_VERSION} SOVERSION ${HM_VERIFY_SOVERSION}
  LINK_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/hallmark-verify.map
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)

add_library(hallmark_verify_static STATIC $<TARGET_OBJECTS:hallmark_verify_objs>)
target_include_directories(hallmark_verify_static INTERFACE ${HM_VERIFY_PUBLIC_INCLUDES})
target_link_libraries(hallmark_verify_static INTERFACE
  $<BUILD_INTERFACE:PkgConfig::CRYPTO> $<BUILD_INTERFACE:PkgConfig::CJSON>
  $<INSTALL_INTERFACE:crypto> $<INSTALL_INTERFACE:cjson> m)
set_target_properties(hallmark_verify_static PROPERTIES
  OUTPUT_NAME hallmark-verify EXPORT_NAME hallmark-verify-static
  ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)

# ---- install: cmake --install <build> [--component hallmark-verify] ----
set(HM_VERIFY_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/hallmark-verify)
install(TARGETS hallmark_verify hallmark_verify_static EXPORT hallmark-verifyTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT hallmark-verify
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT hallmark-verify)
install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/include/hm/verify.h
              ${CMAKE_SOURCE_DIR}/common/include/hm/common.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hm COMPONENT hallmark-verify)
install(EXPORT hallmark-verifyTargets NAMESPACE hallmark-verify:: DESTINATION ${HM_VERIFY_CMAKEDIR}
        COMPONENT hallmark-verify)
configure_package_config_file(${CMAKE_CURRENT_SOURCE_DIR}/hallmark-verifyConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/hallmark-verifyConfig.cmake INSTALL_DESTINATION ${HM_VERIFY_CMAKEDIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/hallmark-verifyConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/hallmark-verifyConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/hallmark-verifyConfigVersion.cmake
        DESTINATION ${HM_VERIFY_CMAKEDIR} COMPONENT hallmark-verify)
# The .pc file finds its prefix relative to itself, so `cmake --install --prefix DIR` works.
file(RELATIVE_PATH HM_VERIFY_PC_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" HM_VERIFY_PC_PREFIX "${HM_VERIFY_PC_PREFIX}")
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/hallmark-verify.pc.in
               ${CMAKE_CURRENT_BINARY_DIR}/hallmark-verify.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/hallmark-verify.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT hallmark-verify)

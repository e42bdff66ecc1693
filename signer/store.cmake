# hm_store: the daemon's durable state (store.h).  Included by signer/CMakeLists.txt.
# HM_STORE_SOURCES lists its files so that a glob over signer/*.c can leave them out.
if(TARGET hm_store)
  return()
endif()
if(NOT TARGET PkgConfig::SQLITE)
  message(FATAL_ERROR "hm_store needs SQLite 3 (Debian: libsqlite3-dev)")
endif()
set(HM_STORE_SOURCES ${CMAKE_CURRENT_LIST_DIR}/store_core.c ${CMAKE_CURRENT_LIST_DIR}/store_sqlite.c
    ${CMAKE_CURRENT_LIST_DIR}/store_log.c ${CMAKE_CURRENT_LIST_DIR}/store_sqlite_log.c)
add_library(hm_store STATIC ${HM_STORE_SOURCES})
target_include_directories(hm_store PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(hm_store PUBLIC hm_common hm_policy hm_tlog PRIVATE PkgConfig::SQLITE Threads::Threads)

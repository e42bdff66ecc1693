# Libraries from Debian 12 (ci/packages.txt installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(CRYPTO REQUIRED IMPORTED_TARGET libcrypto>=3.0)
pkg_check_modules(SSL REQUIRED IMPORTED_TARGET libssl>=3.0)
pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson>=1.7.15)
pkg_check_modules(P11KIT REQUIRED IMPORTED_TARGET p11-kit-1) # only for <p11-kit/pkcs11.h>
pkg_check_modules(EVENT IMPORTED_TARGET libevent_core libevent_extra libevent_openssl libevent_pthreads)
pkg_check_modules(SQLITE IMPORTED_TARGET sqlite3)
pkg_check_modules(TSS2 IMPORTED_TARGET tss2-esys tss2-tctildr tss2-mu tss2-rc)
pkg_check_modules(SECCOMP IMPORTED_TARGET libseccomp)
if(HM_TESTS)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()
# The p11-kit header directory holds p11-kit/pkcs11.h; we only want its include path,
# never libp11-kit itself.
set(HM_PKCS11_INCLUDE ${P11KIT_INCLUDE_DIRS})

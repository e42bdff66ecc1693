# Fuzz target of the privilege-separation protocol (hsm/privsep_proto.c; docs/privsep.md).
hm_fuzz_target(fuzz_privsep SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_privsep.c LIBS hm_hsm
               CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/privsep)

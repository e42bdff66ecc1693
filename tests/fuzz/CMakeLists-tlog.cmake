# Fuzz targets of tlog/ (included by tests/fuzz/CMakeLists.txt).
hm_fuzz_target(fuzz_note SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_note.c LIBS hm_tlog
               CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/note)
hm_fuzz_target(fuzz_checkpoint SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_checkpoint.c LIBS hm_tlog
               CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/checkpoint)
hm_fuzz_target(fuzz_tlog_proof SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_tlog_proof.c LIBS hm_tlog
               CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/tlog_proof)

/* store_test.h: helpers shared by the store tests (temporary folders, row counts). */
#ifndef HM_TESTS_STORE_TEST_H
#define HM_TESTS_STORE_TEST_H

#include <hm/common.h>

#include "store.h"

/* A fresh folder under $TMPDIR (or /tmp); path receives "<dir>/hallmark.db". */
void st_tmpdir(char *dir, size_t dir_len, char *path, size_t path_len);
/* Removes the folder and everything in it. */
void st_rmdir(const char *dir);
/* Runs one SQL query returning one integer, on its own connection (-1 on error). */
long long st_query_int(const char *path, const char *sql);
/* Runs SQL on its own connection; returns the SQLite result code. */
int st_exec(const char *path, const char *sql);
/* Takes the database's write lock on a connection of its own (another node busy
 * writing); NULL on failure.  st_unlock_db releases it and closes the connection. */
void *st_lock_db(const char *path);
void st_unlock_db(void *handle);
/* Reserves and commits one release; returns the first failure. */
hm_err st_sign(struct hm_store *st, const char *product, const char *channel, const char *version,
               const char *artifacts_json);

#endif /* HM_TESTS_STORE_TEST_H */

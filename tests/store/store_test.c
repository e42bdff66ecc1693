/* store_test.c: helpers shared by the store tests. */
#include "store_test.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

void
st_tmpdir(char *dir, size_t dir_len, char *path, size_t path_len)
{
    const char *base = getenv("TMPDIR");

    (void)snprintf(dir, dir_len, "%s/hm-store-XXXXXX", base != NULL ? base : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        abort();
    }
    (void)snprintf(path, path_len, "%s/hallmark.db", dir);
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void
st_rmdir(const char *dir)
{
    (void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

long long
st_query_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    long long v = -1;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
        v = sqlite3_column_int64(stmt, 0);
    }
    (void)sqlite3_finalize(stmt);
    (void)sqlite3_close(db);
    return v;
}

int
st_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    (void)sqlite3_close(db);
    return rc;
}

void *
st_lock_db(const char *path)
{
    sqlite3 *db = NULL;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        (void)sqlite3_close(db);
        return NULL;
    }
    return db;
}

void
st_unlock_db(void *handle)
{
    sqlite3 *db = handle;

    (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    (void)sqlite3_close(db);
}

hm_err
st_sign(struct hm_store *st, const char *product, const char *channel, const char *version,
        const char *artifacts_json)
{
    struct hm_store_resv *r = NULL;
    struct hm_store_release rel = { 0 };
    hm_err err;

    if ((err = hm_store_reserve(st, product, channel, version, &r, NULL, 0)) != HM_OK) {
        return err;
    }
    rel.key_id = "pkcs11:object=fw";
    rel.client_id = "CN=ci";
    rel.request_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    rel.artifacts_json = artifacts_json != NULL ? artifacts_json : "[]";
    rel.time = 1767225600;
    return hm_store_commit(st, r, &rel);
}

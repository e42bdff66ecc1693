/*
 * store_policy.c: what the release policy asks the store besides the highest version:
 * when the first release of a major version of a product was signed (the support-period
 * rule counts the minimum from there).
 *
 * A read-only question on a read-only SQLite connection of its own (one per process,
 * opened on first use, under its own mutex), so that it never waits for the committer
 * and never touches the committer's connection.  In WAL mode a reader sees the last
 * committed state.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store.h"

static pthread_mutex_t rd_mu = PTHREAD_MUTEX_INITIALIZER;
static char *rd_url;
static sqlite3 *rd_db;
static sqlite3_stmt *rd_first;

/* The file of a store URL, as hm_store_open reads it. */
static const char *
url_path(const char *url)
{
    if (strncmp(url, "sqlite://", 9) == 0 && url[9] == '/') {
        return url + 9;
    }
    if (strncmp(url, "sqlite:", 7) == 0) {
        return url + 7;
    }
    return strstr(url, "://") != NULL ? NULL : url;
}

static void
rd_close(void)
{
    sqlite3_finalize(rd_first);
    sqlite3_close(rd_db);
    free(rd_url);
    rd_first = NULL;
    rd_db = NULL;
    rd_url = NULL;
}

/* Under rd_mu. */
static hm_err
rd_open(const char *url)
{
    static const char q[] = "SELECT MIN(time) FROM releases WHERE product = ?1 AND version GLOB ?2";
    const char *path = url_path(url);

    if (rd_db != NULL && strcmp(rd_url, url) == 0) {
        return HM_OK;
    }
    rd_close();
    if (path == NULL) {
        return HM_E_INVALID;
    }
    if (sqlite3_open_v2(path, &rd_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_busy_timeout(rd_db, 5000) != SQLITE_OK ||
        sqlite3_prepare_v2(rd_db, q, -1, &rd_first, NULL) != SQLITE_OK ||
        (rd_url = strdup(url)) == NULL) {
        hm_error("store: cannot open %s read-only for the policy: %s", path,
                 rd_db != NULL ? sqlite3_errmsg(rd_db) : "out of memory");
        rd_close();
        return HM_E_BACKEND;
    }
    return HM_OK;
}

hm_err
hm_store_first_release(const char *url, const char *product, uint64_t major, int64_t *out)
{
    char pattern[32];
    hm_err rc;
    int src;

    *out = 0;
    if (url == NULL || product == NULL || product[0] == '\0' ||
        strlen(product) > HM_STORE_MAX_FIELD) {
        return HM_E_INVALID;
    }
    /* SemVer has no leading zeros, so "1.*" is every 1.x.y and never 10.x.y. */
    snprintf(pattern, sizeof(pattern), "%llu.*", (unsigned long long)major);
    pthread_mutex_lock(&rd_mu);
    if ((rc = rd_open(url)) != HM_OK) {
        goto out;
    }
    if (sqlite3_bind_text(rd_first, 1, product, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(rd_first, 2, pattern, -1, SQLITE_STATIC) != SQLITE_OK) {
        rc = HM_E_BACKEND;
        goto reset;
    }
    src = sqlite3_step(rd_first);
    if (src == SQLITE_ROW && sqlite3_column_type(rd_first, 0) == SQLITE_INTEGER) {
        *out = (int64_t)sqlite3_column_int64(rd_first, 0);
        rc = HM_OK;
    } else if (src == SQLITE_ROW) {
        rc = HM_E_NOTFOUND; /* MIN over no rows is NULL */
    } else {
        hm_error("store: reading the first release of %s %llu.x: %s", product,
                 (unsigned long long)major, sqlite3_errmsg(rd_db));
        rc = HM_E_BACKEND;
    }
reset:
    sqlite3_reset(rd_first);
    sqlite3_clear_bindings(rd_first);
out:
    pthread_mutex_unlock(&rd_mu);
    return rc;
}

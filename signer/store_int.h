/*
 * store_int.h: private to the store.  store_core.c keeps the reservations, the queue and
 * the committer thread; a backend (store_sqlite.c now, PostgreSQL later) only runs SQL.
 *
 * Threads: begin, txn_highest, insert_release, set_highest, insert_audit, commit and
 * rollback are called by the committer thread only (and by nobody else while it runs);
 * read_highest may be called from any thread, and the backend serialises it itself.
 */
#ifndef HM_SIGNER_STORE_INT_H
#define HM_SIGNER_STORE_INT_H

#include "store.h"

struct store_db;

struct store_backend {
    const char *name;
    /* path: what follows the URL scheme.  Creates or migrates the schema. */
    hm_err (*open)(const char *path, struct store_db **out);
    void (*close)(struct store_db *db);
    /* Highest committed version outside any transaction; HM_E_NOTFOUND if none. */
    hm_err (*read_highest)(struct store_db *db, const char *product, const char *channel, char *out,
                           size_t out_len);
    hm_err (*begin)(struct store_db *db); /* a write transaction, taken at once */
    hm_err (*txn_highest)(struct store_db *db, const char *product, const char *channel, char *out,
                          size_t out_len);
    hm_err (*insert_release)(struct store_db *db, const struct hm_store_release *rel);
    hm_err (*set_highest)(struct store_db *db, const char *product, const char *channel,
                          const char *version);
    hm_err (*insert_audit)(struct store_db *db, const struct hm_store_audit *rec);
    hm_err (*commit)(struct store_db *db);
    void (*rollback)(struct store_db *db);
};

extern const struct store_backend hm_store_sqlite_backend;

/* The schema version this code writes; a database with a higher one is refused. */
#define STORE_SCHEMA_VERSION 1

#endif /* HM_SIGNER_STORE_INT_H */

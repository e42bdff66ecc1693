/*
 * store_sqlite_int.h: shared by the SQLite backend's files (store_sqlite.c: connections,
 * schema, releases and audit; store_sqlite_log.c: the transparency log's tables).
 */
#ifndef HM_SIGNER_STORE_SQLITE_INT_H
#define HM_SIGNER_STORE_SQLITE_INT_H

#include <pthread.h>

#include <sqlite3.h>

#include "store_int.h"

struct store_db {
    sqlite3 *w; /* the committer's connection */
    sqlite3 *r; /* everyone else's, under r_mu, read only */
    pthread_mutex_t r_mu;
    sqlite3_stmt *w_begin, *w_commit, *w_rollback, *w_highest, *w_rel, *w_set_highest, *w_audit;
    sqlite3_stmt *r_highest;
    /* the transparency log (store_log.c) */
    sqlite3_stmt *w_leaf, *w_node, *w_cp;
    sqlite3_stmt *r_node, *r_cp_latest, *r_cp_at, *r_entries_asc, *r_entries_desc, *r_key_event;
};

/* A SQLite result code as an hm_err, logged once with what was being done. */
hm_err store_sqlite_err(sqlite3 *db, int rc, const char *what);
/* Steps a statement that returns no row (bind_rc: the binding's result), then resets it. */
hm_err store_sqlite_step_done(sqlite3 *db, sqlite3_stmt *stmt, int bind_rc, const char *what);

hm_err sqlite_log_insert_leaf(struct store_db *db, uint64_t index,
                              const struct hm_store_log_entry *e, int64_t time);
hm_err sqlite_log_insert_nodes(struct store_db *db, const struct hm_tlog_node_hash *nodes,
                               size_t n);
hm_err sqlite_log_insert_checkpoint(struct store_db *db, uint64_t size, const char *note,
                                    size_t len, int64_t time);
hm_err sqlite_log_read_nodes(struct store_db *db, const struct hm_tlog_node *nodes, size_t n,
                             uint8_t (*out)[HM_TLOG_HASH_LEN]);
hm_err sqlite_log_read_checkpoint(struct store_db *db, uint64_t size, uint64_t *size_out,
                                  char **note, size_t *len);
hm_err sqlite_log_read_entries(struct store_db *db, uint64_t first, uint64_t end, bool descending,
                               hm_store_log_entry_fn fn, void *ctx);
hm_err sqlite_log_read_key_event(struct store_db *db, const char *key_id, uint64_t *index);

#endif /* HM_SIGNER_STORE_SQLITE_INT_H */

/*
 * store_sqlite_log.c: the SQLite tables of the transparency log (migration 2 in
 * store_sqlite.c): log_leaves (index, time, key event, leaf, bundle), log_nodes (one
 * complete-subtree hash per row, keyed level << 56 | index) and log_checkpoints (one
 * signed note per batch).  Writes run on the committer's connection inside its
 * transaction; reads on the shared reader connection under r_mu, each statement its own
 * short read transaction (reset at once: never pin a WAL snapshot).
 */
#include <stdlib.h>
#include <string.h>

#include "store_sqlite_int.h"

static sqlite3_int64
node_key(const struct hm_tlog_node *n)
{
    return (sqlite3_int64)(((uint64_t)n->level << 56) | n->index);
}

hm_err
sqlite_log_insert_leaf(struct store_db *db, uint64_t index, const struct hm_store_log_entry *e,
                       int64_t time)
{
    sqlite3_stmt *s = db->w_leaf;
    int rc = sqlite3_bind_int64(s, 1, (sqlite3_int64)index);

    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(s, 2, time);
    }
    if (rc == SQLITE_OK) {
        rc = e->key_event != NULL ? sqlite3_bind_text(s, 3, e->key_event, -1, SQLITE_STATIC)
                                  : sqlite3_bind_null(s, 3);
    }
    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_blob(s, 4, e->leaf, (int)e->leaf_len, SQLITE_STATIC);
    }
    if (rc == SQLITE_OK) {
        rc = e->bundle != NULL
                 ? sqlite3_bind_blob(s, 5, e->bundle, (int)e->bundle_len, SQLITE_STATIC)
                 : sqlite3_bind_null(s, 5);
    }
    return store_sqlite_step_done(db->w, s, rc, "writing a log leaf");
}

hm_err
sqlite_log_insert_nodes(struct store_db *db, const struct hm_tlog_node_hash *nodes, size_t n)
{
    hm_err err = HM_OK;

    for (size_t i = 0; i < n && err == HM_OK; i++) {
        int rc = nodes[i].node.index >= STORE_LOG_MAX_INDEX
                     ? SQLITE_RANGE
                     : sqlite3_bind_int64(db->w_node, 1, node_key(&nodes[i].node));

        if (rc == SQLITE_OK) {
            rc = sqlite3_bind_blob(db->w_node, 2, nodes[i].hash, HM_TLOG_HASH_LEN, SQLITE_STATIC);
        }
        err = store_sqlite_step_done(db->w, db->w_node, rc, "writing a log node");
    }
    return err;
}

hm_err
sqlite_log_insert_checkpoint(struct store_db *db, uint64_t size, const char *note, size_t len,
                             int64_t time)
{
    int rc = sqlite3_bind_int64(db->w_cp, 1, (sqlite3_int64)size);

    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(db->w_cp, 2, time);
    }
    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_blob(db->w_cp, 3, note, (int)len, SQLITE_STATIC);
    }
    return store_sqlite_step_done(db->w, db->w_cp, rc, "writing a checkpoint");
}

static void
reset(sqlite3_stmt *s)
{
    (void)sqlite3_reset(s);
    (void)sqlite3_clear_bindings(s);
}

hm_err
sqlite_log_read_nodes(struct store_db *db, const struct hm_tlog_node *nodes, size_t n,
                      uint8_t (*out)[HM_TLOG_HASH_LEN])
{
    hm_err err = HM_OK;

    (void)pthread_mutex_lock(&db->r_mu);
    for (size_t i = 0; i < n && err == HM_OK; i++) {
        int rc = nodes[i].index >= STORE_LOG_MAX_INDEX
                     ? SQLITE_DONE
                     : sqlite3_bind_int64(db->r_node, 1, node_key(&nodes[i]));

        if (rc == SQLITE_OK) {
            rc = sqlite3_step(db->r_node);
        }
        if (rc == SQLITE_ROW && sqlite3_column_bytes(db->r_node, 0) == HM_TLOG_HASH_LEN) {
            memcpy(out[i], sqlite3_column_blob(db->r_node, 0), HM_TLOG_HASH_LEN);
        } else if (rc == SQLITE_DONE) {
            err = HM_E_NOTFOUND;
        } else {
            err =
                rc == SQLITE_ROW ? HM_E_BACKEND : store_sqlite_err(db->r, rc, "reading log nodes");
        }
        reset(db->r_node);
    }
    (void)pthread_mutex_unlock(&db->r_mu);
    return err;
}

hm_err
sqlite_log_read_checkpoint(struct store_db *db, uint64_t size, uint64_t *size_out, char **note,
                           size_t *len)
{
    sqlite3_stmt *s = size == UINT64_MAX ? db->r_cp_latest : db->r_cp_at;
    hm_err err = HM_OK;
    int rc = SQLITE_OK;

    *note = NULL;
    *len = 0;
    (void)pthread_mutex_lock(&db->r_mu);
    if (size != UINT64_MAX) {
        rc = size > (uint64_t)INT64_MAX ? SQLITE_RANGE
                                        : sqlite3_bind_int64(s, 1, (sqlite3_int64)size);
    }
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
    }
    if (rc == SQLITE_ROW) {
        int n = sqlite3_column_bytes(s, 1);
        const void *b = sqlite3_column_blob(s, 1);

        *size_out = (uint64_t)sqlite3_column_int64(s, 0);
        if (n <= 0 || b == NULL || (*note = malloc((size_t)n + 1)) == NULL) {
            err = n <= 0 ? HM_E_BACKEND : HM_E_NOMEM;
        } else {
            memcpy(*note, b, (size_t)n);
            (*note)[n] = '\0';
            *len = (size_t)n;
        }
    } else if (rc == SQLITE_DONE || rc == SQLITE_RANGE) {
        err = HM_E_NOTFOUND;
    } else {
        err = store_sqlite_err(db->r, rc, "reading a checkpoint");
    }
    reset(s);
    (void)pthread_mutex_unlock(&db->r_mu);
    return err;
}

/* fn runs under r_mu: it must not call back into the store. */
hm_err
sqlite_log_read_entries(struct store_db *db, uint64_t first, uint64_t end, bool descending,
                        hm_store_log_entry_fn fn, void *ctx)
{
    sqlite3_stmt *s = descending ? db->r_entries_desc : db->r_entries_asc;
    hm_err err = HM_OK;
    int rc;

    if (end > (uint64_t)INT64_MAX) {
        end = (uint64_t)INT64_MAX;
    }
    (void)pthread_mutex_lock(&db->r_mu);
    rc = sqlite3_bind_int64(s, 1, (sqlite3_int64)first);
    if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(s, 2, (sqlite3_int64)end);
    }
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
            break;
        }
        const uint8_t *leaf = sqlite3_column_blob(s, 1);
        size_t leaf_len = (size_t)sqlite3_column_bytes(s, 1);
        const char *bundle = sqlite3_column_blob(s, 2);
        size_t bundle_len = (size_t)sqlite3_column_bytes(s, 2);

        if ((err = fn(ctx, (uint64_t)sqlite3_column_int64(s, 0), leaf, leaf_len,
                      bundle_len > 0 ? bundle : NULL, bundle_len)) != HM_OK) {
            break;
        }
    }
    if (err == HM_OK && rc != SQLITE_DONE) {
        err = store_sqlite_err(db->r, rc, "reading log entries");
    }
    reset(s);
    (void)pthread_mutex_unlock(&db->r_mu);
    return err;
}

hm_err
sqlite_log_read_key_event(struct store_db *db, const char *key_id, uint64_t *index)
{
    hm_err err = HM_OK;
    int rc;

    (void)pthread_mutex_lock(&db->r_mu);
    rc = sqlite3_bind_text(db->r_key_event, 1, key_id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(db->r_key_event);
    }
    if (rc == SQLITE_ROW) {
        *index = (uint64_t)sqlite3_column_int64(db->r_key_event, 0);
    } else if (rc == SQLITE_DONE) {
        err = HM_E_NOTFOUND;
    } else {
        err = store_sqlite_err(db->r, rc, "reading a key event");
    }
    reset(db->r_key_event);
    (void)pthread_mutex_unlock(&db->r_mu);
    return err;
}

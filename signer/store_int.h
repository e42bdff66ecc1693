/*
 * store_int.h: private to the store.  store_core.c keeps the reservations, the queue and
 * the committer thread; store_log.c the transparency log's part of a batch; a backend
 * (store_sqlite.c now, PostgreSQL later) only runs SQL.
 *
 * Threads: begin, txn_highest, insert_release, set_highest, insert_audit, commit,
 * rollback and the log_insert_* calls are made by the committer thread only (and by
 * nobody else while it runs); read_highest and the log_read_* calls may be made from any
 * thread, and the backend serialises them itself.
 */
#ifndef HM_SIGNER_STORE_INT_H
#define HM_SIGNER_STORE_INT_H

#include <hm/policy.h>
#include <hm/tlog.h>
#include <pthread.h>

#include "store.h"

struct store_db;
struct store_line;

#define STORE_BUCKETS 256

/* Node keys in the database: level << 56 | index (docs/tlog.md: a log holds < 2^56). */
#define STORE_LOG_MAX_INDEX ((uint64_t)1 << 56)

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
    /* The log, in the committer's transaction. */
    hm_err (*log_insert_leaf)(struct store_db *db, uint64_t index,
                              const struct hm_store_log_entry *e, int64_t time);
    hm_err (*log_insert_nodes)(struct store_db *db, const struct hm_tlog_node_hash *nodes,
                               size_t n);
    hm_err (*log_insert_checkpoint)(struct store_db *db, uint64_t size, const char *note,
                                    size_t len, int64_t time);
    /* The log, read outside any transaction (committed rows only). */
    hm_err (*log_read_nodes)(struct store_db *db, const struct hm_tlog_node *nodes, size_t n,
                             uint8_t (*out)[HM_TLOG_HASH_LEN]);
    /* size UINT64_MAX: the latest.  HM_E_NOTFOUND when none. */
    hm_err (*log_read_checkpoint)(struct store_db *db, uint64_t size, uint64_t *size_out,
                                  char **note, size_t *len);
    /* Entries [first, end) ascending, or (descending) from end - 1 down to first. */
    hm_err (*log_read_entries)(struct store_db *db, uint64_t first, uint64_t end, bool descending,
                               hm_store_log_entry_fn fn, void *ctx);
    hm_err (*log_read_key_event)(struct store_db *db, const char *key_id, uint64_t *index);
};

extern const struct store_backend hm_store_sqlite_backend;

/* The schema version this code writes; a database with a higher one is refused. */
#define STORE_SCHEMA_VERSION 2

/* One queued record; it lives on the stack of the thread waiting for it. */
struct store_job {
    struct store_job *next;
    const struct hm_store_release *rel; /* or */
    const struct hm_store_audit *audit;
    struct hm_store_resv *resv; /* with rel; freed by the committer */
    hm_err result;
    bool done;
    char blocking[HM_SEMVER_MAX_LEN + 1]; /* on HM_E_CONFLICT: the database's highest */
    /* log entries (with or without rel): appended when the release (if any) is written */
    struct hm_store_log_entry *entries;
    size_t n_entries;
    char *note; /* out: the checkpoint that covers them (malloc'ed by the committer) */
    size_t note_len;
    uint64_t size; /* out: its tree size */
};

struct store_log {
    bool on;
    char *origin;
    struct hm_tlog_signer signer;
    unsigned max_batch;
    unsigned max_delay_ms;
    struct hm_tlog_appender *app; /* the committer's (at start: the starter's) */
    struct hm_tlog_storage view;  /* committed nodes, any thread */
    uint64_t size;                /* the last committed checkpoint's size (under st->mu) */
    char *note;                   /* signed in the open transaction (committer) */
    size_t note_len;
    uint64_t note_size;
};

struct hm_store {
    const struct store_backend *be;
    struct store_db *db;
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* the committer waits for jobs */
    pthread_cond_t done_cv; /* waiters wait for their job's result */
    pthread_t committer;
    bool stopping;
    struct store_job *head;
    struct store_job **tail;
    struct store_line *lines[STORE_BUCKETS];
    struct hm_store_stats stats;
    struct store_log log;
};

/* store_log.c, called by the committer thread inside write_batch's transaction: appends
 * the entries of every job whose release (if any) was written, then signs and writes one
 * checkpoint.  HM_E_UNAVAILABLE when the log key could not sign. */
hm_err store_log_apply(struct hm_store *st, struct store_job *batch);
/* After a failed transaction: the appender goes back to the committed tree. */
void store_log_reset(struct hm_store *st);
/* Under st->mu, after a committed batch: hands each log job its checkpoint. */
void store_log_finish(struct hm_store *st, struct store_job *batch, bool committed);
void store_log_close(struct hm_store *st);
/* Under st->mu, in the committer: waits up to max_delay_ms for a fuller batch. */
void store_log_wait(struct hm_store *st);

#endif /* HM_SIGNER_STORE_INT_H */

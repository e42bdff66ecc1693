/*
 * signer/store.h: the daemon's durable state, behind one interface so that a
 * PostgreSQL backend can join SQLite without touching callers.
 *
 * What it holds: every release signed (product, channel, version, digests, key id,
 * client identity, time), the highest version per (product, channel), and an audit
 * record of every request (who, request digest, decision, outcome).
 *
 * Concurrency: anti-rollback is a reservation plus an authoritative check at commit.
 *   1. hm_store_reserve() checks, under a mutex, that the version is greater than both
 *      the highest committed and every reservation in flight for that (product,
 *      channel), and records the reservation.  A second request for the same version
 *      gets HM_E_CONFLICT before any key is touched.
 *   2. The caller signs.
 *   3. hm_store_commit() queues the release; a committer thread writes queued releases
 *      in one transaction (group commit, synchronous=FULL) that re-checks the highest
 *      version in the database, and wakes each waiter with its own result.  Only then
 *      does the caller reply.  hm_store_cancel() drops a reservation whose signing
 *      failed.
 */
#ifndef HM_SIGNER_STORE_H
#define HM_SIGNER_STORE_H

#include <hm/common.h>

struct hm_store;
struct hm_store_resv; /* one reservation, owned by the caller until commit or cancel */

struct hm_store_release {
    const char *product;
    const char *channel;
    const char *version;
    const char *key_id;
    const char *client_id;      /* mTLS subject or OIDC subject */
    const char *request_sha256; /* hex of the request body's SHA-256 */
    const char *artifacts_json; /* [{"name","size","sha256","sha512"}] as signed */
    int64_t time;               /* unix seconds */
};

struct hm_store_audit {
    const char *client_id;
    const char *route;          /* "/v1/sign" */
    const char *request_sha256; /* hex, or NULL */
    const char *product;        /* may be NULL */
    const char *version;        /* may be NULL */
    const char *decision;       /* "allow", "deny", "error" */
    const char *outcome;        /* short code, e.g. "signed", "rollback", "hsm-unavailable" */
    int64_t time;
};

struct hm_store_stats {
    bool open;
    uint64_t commits;         /* transactions committed */
    uint64_t releases;        /* releases written */
    uint64_t audits;          /* audit records written */
    uint64_t commit_ns_total; /* for the store latency metric: BEGIN to COMMIT, every try */
    uint64_t commit_count;    /* transactions tried (committed or failed) */
    uint64_t errors;          /* transactions that failed: nothing of them was written */
    uint64_t max_batch;       /* most records written by one transaction */
    uint64_t pending;         /* records queued or being written now (queue depth) */
};

/* Longest product, channel, key id, client id, route or outcome we store. */
#define HM_STORE_MAX_FIELD 1024
/* Longest artifacts_json we store. */
#define HM_STORE_MAX_ARTIFACTS ((size_t)1 << 20)

/* url: "sqlite:/path/to/hallmark.db" (or a plain path).  Creates the file with mode
 * 0600 if needed, then creates or migrates the schema (versioned; HM_E_INVALID, with
 * a log line, for a database from a newer Hallmark). */
HM_MUST_CHECK hm_err hm_store_open(const char *url, struct hm_store **out);
/* Drains the commit queue first: callers already waiting in hm_store_commit or
 * hm_store_audit get their results; no call may start once close has begun.  Every
 * reservation must have been committed or cancelled: any left over is freed here, and
 * its pointer is no longer valid. */
void hm_store_close(struct hm_store *st);

/* Step 1.  On HM_E_CONFLICT, highest (if not NULL) receives the version that blocks it
 * (the highest committed, or a reservation in flight).  HM_E_INVALID if version is not
 * SemVer or product or channel is empty; HM_E_LIMIT if one is longer than
 * HM_STORE_MAX_FIELD.  *out is NULL on failure. */
HM_MUST_CHECK hm_err hm_store_reserve(struct hm_store *st, const char *product, const char *channel,
                                      const char *version, struct hm_store_resv **out,
                                      char *highest, size_t highest_len);
/* Step 3: blocks until the release is durable (HM_OK) or refused: HM_E_CONFLICT when
 * the database already holds an equal or higher version (another node won), HM_E_IO
 * when the database cannot be written (disk full, I/O error; nothing of the batch was
 * written), HM_E_BACKEND for other database failures, HM_E_UNAVAILABLE if the store is
 * closing or the database stayed locked.  rel->product, channel and version may be
 * NULL (taken from the reservation); when set they must equal the reservation's, else
 * HM_E_INVALID.  request_sha256, when set, is 64 lowercase hex digits.  Consumes resv,
 * whatever the result. */
HM_MUST_CHECK hm_err hm_store_commit(struct hm_store *st, struct hm_store_resv *resv,
                                     const struct hm_store_release *rel);
void hm_store_cancel(struct hm_store *st, struct hm_store_resv *resv); /* NULL: no-op */

/* Highest committed version for (product, channel), read from the database;
 * HM_E_NOTFOUND if none, HM_E_LIMIT if out_len is too small. */
HM_MUST_CHECK hm_err hm_store_highest(struct hm_store *st, const char *product, const char *channel,
                                      char *out, size_t out_len);
/* Appends one audit record (batched with releases; durable before return).  route,
 * decision ("allow", "deny", "error") and outcome are required. */
HM_MUST_CHECK hm_err hm_store_audit(struct hm_store *st, const struct hm_store_audit *rec);
void hm_store_get_stats(struct hm_store *st, struct hm_store_stats *out);
/* For the release policy (store_policy.c): unix time of the first release of major
 * version `major` of product (any channel) in the store at url (as hm_store_open takes
 * it), read on a read-only connection of its own.  HM_E_NOTFOUND when none. */
HM_MUST_CHECK hm_err hm_store_first_release(const char *url, const char *product, uint64_t major,
                                            int64_t *out);

/* ---- the transparency log (docs/tlog.md; store_log.c) ----
 *
 * Leaves, the complete-subtree hashes (hm/tlog.h) and one signed checkpoint per batch
 * are written in the same transaction as the batch's releases: a failed transaction (a
 * refused release, the disk, the log key unable to sign) leaves no leaf, no release and
 * no checkpoint, and no index is used twice or skipped. */
struct hm_tlog_signer;
struct hm_tlog_storage;
struct hm_tlog_verifier;

#define HM_STORE_LOG_MAX_LEAF ((size_t)256 << 10) /* docs/formats.md section 6 */

struct hm_store_log_config {
    const char *origin;                  /* the checkpoint's origin line (copied) */
    const struct hm_tlog_signer *signer; /* signs checkpoints; must outlive the store */
    /* The stored tree is checked at start against the latest stored checkpoint, which
     * must verify with this key (the log key's public half). */
    const struct hm_tlog_verifier *verifier;
    unsigned max_batch;    /* entries per checkpoint; 0 = 256 */
    unsigned max_delay_ms; /* how long a batch waits for more entries; 0 = not at all */
};

struct hm_store_log_entry {
    const uint8_t *leaf; /* the leaf bytes, logged as they are (<= 256 KiB) */
    size_t leaf_len;
    const char *bundle; /* the bundle as returned, without tlogEntries; NULL for none */
    size_t bundle_len;
    const char *key_event; /* the key id, for a key's key-event entry; else NULL */
    uint64_t index;        /* out */
};

typedef hm_err (*hm_store_log_entry_fn)(void *ctx, uint64_t index, const uint8_t *leaf,
                                        size_t leaf_len, const char *bundle, size_t bundle_len);

/* Turns the log on: reads the tree state back and checks its root against the latest
 * stored checkpoint (HM_E_VERIFY when they differ or the checkpoint does not verify,
 * HM_E_INVALID when its origin is not cfg->origin).  Call once, before any commit. */
HM_MUST_CHECK hm_err hm_store_log_start(struct hm_store *st, const struct hm_store_log_config *cfg);
/* hm_store_commit, and entries appended in the same transaction (resv and rel both NULL:
 * entries only).  On HM_OK entries[i].index is set, *note (malloc'ed, NUL-terminated) is
 * the signed checkpoint of tree size *size that covers them.  Errors as hm_store_commit;
 * HM_E_UNAVAILABLE when the log is off or its key could not sign; nothing is handed out
 * on failure.  Consumes resv, whatever the result. */
HM_MUST_CHECK hm_err hm_store_commit_logged(struct hm_store *st, struct hm_store_resv *resv,
                                            const struct hm_store_release *rel,
                                            struct hm_store_log_entry *entries, size_t n,
                                            char **note, size_t *note_len, uint64_t *size);
/* The committed tree (for proofs and tiles): valid as long as the store. */
const struct hm_tlog_storage *hm_store_log_storage(struct hm_store *st);
/* The size of the latest committed checkpoint (0 when none, or the log is off). */
uint64_t hm_store_log_size(struct hm_store *st);
/* A stored checkpoint: the latest (size UINT64_MAX) or the one of that size.
 * HM_E_NOTFOUND when there is none. */
HM_MUST_CHECK hm_err hm_store_log_checkpoint(struct hm_store *st, uint64_t size, char **note,
                                             size_t *note_len, uint64_t *size_out);
/* Calls fn for the committed entries [first, end), oldest first (or newest first). */
HM_MUST_CHECK hm_err hm_store_log_entries(struct hm_store *st, uint64_t first, uint64_t end,
                                          bool newest_first, hm_store_log_entry_fn fn, void *ctx);
/* The index of key_id's key-event entry; HM_E_NOTFOUND when it has none. */
HM_MUST_CHECK hm_err hm_store_log_key_event(struct hm_store *st, const char *key_id,
                                            uint64_t *index);

#endif /* HM_SIGNER_STORE_H */

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

#endif /* HM_SIGNER_STORE_H */

/*
 * store_core.c: reservations, the commit queue and the committer thread (store.h has the
 * design).  The backend only runs SQL; everything about ordering happens here.
 *
 * Locking: st->mu guards the lines (per product and channel: cached highest version and
 * reservations in flight), the queue, the stats and the jobs' results.  The committer
 * never holds it while it talks to the database, so reservations go on during a commit.
 * The order is st->mu, then the backend's reader lock.
 */
#include <hm/policy.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

#define STORE_BATCH_MAX 1024 /* records per transaction: bounds its size and latency */

struct store_line {
    struct store_line *next; /* hash chain */
    char *product;
    char *channel;
    char highest[HM_SEMVER_MAX_LEN + 1]; /* "" until something is committed */
    bool loaded;                         /* highest read from the database once */
    struct hm_store_resv *resv;          /* reservations in flight */
};

struct hm_store_resv {
    struct hm_store_resv *next;
    struct store_line *line;
    char version[HM_SEMVER_MAX_LEN + 1];
};

static void *committer_main(void *arg);

static uint64_t
now_ns(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
copy_str(char *dst, size_t dst_len, const char *src)
{
    if (dst != NULL && dst_len > 0) {
        (void)snprintf(dst, dst_len, "%s", src);
    }
}

/* A required name: product, channel, route, ... */
static hm_err
check_name(const char *s)
{
    if (s == NULL || s[0] == '\0') {
        return HM_E_INVALID;
    }
    return strnlen(s, HM_STORE_MAX_FIELD + 1) > HM_STORE_MAX_FIELD ? HM_E_LIMIT : HM_OK;
}

static hm_err
check_optional(const char *s)
{
    return s == NULL ? HM_OK : check_name(s);
}

static hm_err
check_sha256_hex(const char *s)
{
    if (s == NULL) {
        return HM_OK;
    }
    return strnlen(s, 65) == 64 && hm_is_lower_hex(s, 64) ? HM_OK : HM_E_INVALID;
}

static size_t
line_bucket(const char *product, const char *channel)
{
    uint32_t h = 2166136261u; /* FNV-1a over "product\0channel" */

    for (const char *p = product;; p++) {
        h = (h ^ (uint8_t)*p) * 16777619u;
        if (*p == '\0') {
            break;
        }
    }
    for (const char *p = channel; *p != '\0'; p++) {
        h = (h ^ (uint8_t)*p) * 16777619u;
    }
    return h % STORE_BUCKETS;
}

static void
line_free(struct store_line *l)
{
    if (l == NULL) {
        return;
    }
    free(l->product);
    free(l->channel);
    free(l);
}

/* Under st->mu.  The line for (product, channel), created on first use. */
static hm_err
line_get(struct hm_store *st, const char *product, const char *channel, struct store_line **out)
{
    size_t b = line_bucket(product, channel);
    struct store_line *l;

    for (l = st->lines[b]; l != NULL; l = l->next) {
        if (strcmp(l->product, product) == 0 && strcmp(l->channel, channel) == 0) {
            *out = l;
            return HM_OK;
        }
    }
    if ((l = calloc(1, sizeof(*l))) == NULL || (l->product = strdup(product)) == NULL ||
        (l->channel = strdup(channel)) == NULL) {
        line_free(l);
        return HM_E_NOMEM;
    }
    l->next = st->lines[b];
    st->lines[b] = l;
    *out = l;
    return HM_OK;
}

/* Under st->mu.  Reads the committed highest version once; after that the committer
 * keeps it current.  Nothing of this line is in flight before it is loaded. */
static hm_err
line_load(struct hm_store *st, struct store_line *l)
{
    hm_err err;

    if (l->loaded) {
        return HM_OK;
    }
    err = st->be->read_highest(st->db, l->product, l->channel, l->highest, sizeof(l->highest));
    if (err == HM_E_NOTFOUND) {
        l->highest[0] = '\0';
        err = HM_OK;
    }
    l->loaded = err == HM_OK;
    return err;
}

/* Under st->mu: raises the cached highest if v is above it. */
static void
line_raise(struct store_line *l, const char *v)
{
    int c = 1;

    if (v[0] == '\0') {
        return;
    }
    if (l->highest[0] == '\0' || (hm_semver_cmp(v, l->highest, &c) == HM_OK && c > 0)) {
        copy_str(l->highest, sizeof(l->highest), v);
    }
}

/* Under st->mu: unlinks and frees a reservation. */
static void
resv_drop(struct hm_store_resv *r)
{
    struct hm_store_resv **pp = &r->line->resv;

    while (*pp != NULL && *pp != r) {
        pp = &(*pp)->next;
    }
    if (*pp == r) {
        *pp = r->next;
    }
    free(r);
}

hm_err
hm_store_open(const char *url, struct hm_store **out)
{
    struct hm_store *st = NULL;
    const char *path = url;
    hm_err err = HM_OK;

    *out = NULL;
    if (url == NULL) {
        return HM_E_INVALID;
    }
    if (strncmp(url, "sqlite://", 9) == 0 && url[9] == '/') {
        path = url + 9;
    } else if (strncmp(url, "sqlite:", 7) == 0) {
        path = url + 7;
    } else if (strstr(url, "://") != NULL) {
        /* not the URL itself in the log: a database URL may carry a password */
        hm_error("store: unsupported store URL scheme (only sqlite: for now)");
        return HM_E_INVALID;
    }
    if ((st = calloc(1, sizeof(*st))) == NULL) {
        return HM_E_NOMEM;
    }
    st->be = &hm_store_sqlite_backend;
    st->tail = &st->head;
    if (pthread_mutex_init(&st->mu, NULL) != 0 || pthread_cond_init(&st->work_cv, NULL) != 0 ||
        pthread_cond_init(&st->done_cv, NULL) != 0) {
        free(st); /* glibc's init does not fail; nothing to destroy */
        return HM_E_INTERNAL;
    }
    if ((err = st->be->open(path, &st->db)) != HM_OK) {
        goto out;
    }
    st->stats.open = true;
    if (pthread_create(&st->committer, NULL, committer_main, st) != 0) {
        hm_error("store: cannot start the committer thread");
        err = HM_E_INTERNAL;
        goto out;
    }
    *out = st;
    st = NULL; /* the caller owns it now */
out:
    if (st != NULL) {
        st->be->close(st->db);
        (void)pthread_cond_destroy(&st->done_cv);
        (void)pthread_cond_destroy(&st->work_cv);
        (void)pthread_mutex_destroy(&st->mu);
        free(st);
    }
    return err;
}

void
hm_store_close(struct hm_store *st)
{
    size_t leftover = 0;

    if (st == NULL) {
        return;
    }
    (void)pthread_mutex_lock(&st->mu);
    st->stopping = true;
    (void)pthread_cond_signal(&st->work_cv);
    (void)pthread_mutex_unlock(&st->mu);
    (void)pthread_join(st->committer, NULL); /* it drains the queue before it returns */
    (void)pthread_mutex_lock(&st->mu);
    while (st->stats.pending > 0) {
        /* the waiters have their results; let them leave before st goes away */
        (void)pthread_cond_wait(&st->done_cv, &st->mu);
    }
    (void)pthread_mutex_unlock(&st->mu);
    store_log_close(st);
    st->be->close(st->db);
    for (size_t b = 0; b < STORE_BUCKETS; b++) {
        while (st->lines[b] != NULL) {
            struct store_line *l = st->lines[b];

            st->lines[b] = l->next;
            while (l->resv != NULL) {
                leftover++;
                resv_drop(l->resv);
            }
            line_free(l);
        }
    }
    if (leftover > 0) {
        hm_warn("store: closed with %zu reservations neither committed nor cancelled", leftover);
    }
    (void)pthread_cond_destroy(&st->done_cv);
    (void)pthread_cond_destroy(&st->work_cv);
    (void)pthread_mutex_destroy(&st->mu);
    free(st);
}

/* Under st->mu: HM_E_CONFLICT with the blocking version if version is not above the
 * line's highest committed version and every reservation in flight. */
static hm_err
line_admits(const struct store_line *l, const char *version, char *highest, size_t highest_len)
{
    int c = 0;

    if (l->highest[0] != '\0' && (hm_semver_cmp(version, l->highest, &c) != HM_OK || c <= 0)) {
        copy_str(highest, highest_len, l->highest);
        return HM_E_CONFLICT;
    }
    for (const struct hm_store_resv *r = l->resv; r != NULL; r = r->next) {
        if (hm_semver_cmp(version, r->version, &c) != HM_OK || c <= 0) {
            copy_str(highest, highest_len, r->version);
            return HM_E_CONFLICT;
        }
    }
    return HM_OK;
}

hm_err
hm_store_reserve(struct hm_store *st, const char *product, const char *channel, const char *version,
                 struct hm_store_resv **out, char *highest, size_t highest_len)
{
    struct store_line *l = NULL;
    struct hm_store_resv *r = NULL;
    char why[96];
    hm_err err;

    *out = NULL;
    copy_str(highest, highest_len, "");
    if ((err = check_name(product)) != HM_OK || (err = check_name(channel)) != HM_OK) {
        return err;
    }
    if (hm_semver_check(version, why, sizeof(why)) != HM_OK) {
        hm_debug("store: refused version for %s/%s: %s", product, channel, why);
        return HM_E_INVALID;
    }
    if ((r = calloc(1, sizeof(*r))) == NULL) {
        return HM_E_NOMEM;
    }
    copy_str(r->version, sizeof(r->version), version);
    (void)pthread_mutex_lock(&st->mu);
    if ((err = line_get(st, product, channel, &l)) != HM_OK || (err = line_load(st, l)) != HM_OK ||
        (err = line_admits(l, version, highest, highest_len)) != HM_OK) {
        goto out;
    }
    r->line = l;
    r->next = l->resv;
    l->resv = r;
    *out = r;
    r = NULL; /* the caller owns it now */
out:
    (void)pthread_mutex_unlock(&st->mu);
    free(r);
    return err;
}

void
hm_store_cancel(struct hm_store *st, struct hm_store_resv *resv)
{
    if (st == NULL || resv == NULL) {
        return;
    }
    (void)pthread_mutex_lock(&st->mu);
    resv_drop(resv);
    (void)pthread_mutex_unlock(&st->mu);
}

/* Queues a job and sleeps until the committer has written it (or failed to). */
static hm_err
run_job(struct hm_store *st, struct store_job *job)
{
    hm_err err;

    (void)pthread_mutex_lock(&st->mu);
    if (st->stopping) {
        if (job->resv != NULL) {
            resv_drop(job->resv);
        }
        (void)pthread_mutex_unlock(&st->mu);
        return HM_E_UNAVAILABLE;
    }
    *st->tail = job;
    st->tail = &job->next;
    st->stats.pending++;
    (void)pthread_cond_signal(&st->work_cv);
    while (!job->done) {
        (void)pthread_cond_wait(&st->done_cv, &st->mu);
    }
    err = job->result;
    if (--st->stats.pending == 0 && st->stopping) {
        (void)pthread_cond_broadcast(&st->done_cv); /* hm_store_close waits for the last */
    }
    (void)pthread_mutex_unlock(&st->mu);
    return err;
}

static bool
same_or_null(const char *given, const char *want)
{
    return given == NULL || strcmp(given, want) == 0;
}

/* rel as the caller gave it; full with the reservation's names and version. */
static hm_err
check_release(const struct hm_store_release *rel, const struct hm_store_release *full)
{
    hm_err err;

    if (!same_or_null(rel->product, full->product) || !same_or_null(rel->channel, full->channel) ||
        !same_or_null(rel->version, full->version) ||
        check_sha256_hex(rel->request_sha256) != HM_OK) {
        return HM_E_INVALID;
    }
    if ((err = check_optional(rel->key_id)) != HM_OK ||
        (err = check_optional(rel->client_id)) != HM_OK) {
        return err;
    }
    if (rel->artifacts_json != NULL &&
        strnlen(rel->artifacts_json, HM_STORE_MAX_ARTIFACTS + 1) > HM_STORE_MAX_ARTIFACTS) {
        return HM_E_LIMIT;
    }
    return HM_OK;
}

hm_err
hm_store_commit(struct hm_store *st, struct hm_store_resv *resv, const struct hm_store_release *rel)
{
    struct hm_store_release full;
    struct store_job job = { 0 };
    hm_err err;

    if (resv == NULL || rel == NULL) {
        hm_store_cancel(st, resv);
        return HM_E_INVALID;
    }
    full = *rel;
    /* the line's names and the version do not change while the reservation exists */
    full.product = resv->line->product;
    full.channel = resv->line->channel;
    full.version = resv->version;
    if ((err = check_release(rel, &full)) != HM_OK) {
        hm_store_cancel(st, resv);
        return err;
    }
    job.rel = &full;
    job.resv = resv;
    return run_job(st, &job);
}

hm_err
hm_store_commit_logged(struct hm_store *st, struct hm_store_resv *resv,
                       const struct hm_store_release *rel, struct hm_store_log_entry *entries,
                       size_t n, char **note, size_t *note_len, uint64_t *size)
{
    struct hm_store_release full;
    struct store_job job = { 0 };
    hm_err err = HM_OK;

    *note = NULL;
    *note_len = 0;
    *size = 0;
    if ((resv == NULL) != (rel == NULL) || n == 0 || entries == NULL) {
        hm_store_cancel(st, resv);
        return HM_E_INVALID;
    }
    for (size_t i = 0; i < n && err == HM_OK; i++) {
        if (entries[i].leaf == NULL || entries[i].leaf_len == 0 ||
            entries[i].leaf_len > HM_STORE_LOG_MAX_LEAF) {
            err = HM_E_INVALID;
        }
        err = err == HM_OK ? check_optional(entries[i].key_event) : err;
    }
    if (err == HM_OK && !st->log.on) {
        err = HM_E_UNAVAILABLE;
    }
    if (err == HM_OK && resv != NULL) {
        full = *rel;
        full.product = resv->line->product;
        full.channel = resv->line->channel;
        full.version = resv->version;
        err = check_release(rel, &full);
        job.rel = &full;
        job.resv = resv;
    }
    if (err != HM_OK) {
        hm_store_cancel(st, resv);
        return err;
    }
    job.entries = entries;
    job.n_entries = n;
    if ((err = run_job(st, &job)) == HM_OK) {
        *note = job.note;
        *note_len = job.note_len;
        *size = job.size;
        job.note = NULL; /* the caller owns it now */
    }
    free(job.note);
    return err;
}

hm_err
hm_store_audit(struct hm_store *st, const struct hm_store_audit *rec)
{
    struct store_job job = { 0 };
    hm_err err;

    if ((err = check_name(rec->route)) != HM_OK || (err = check_name(rec->outcome)) != HM_OK ||
        (err = check_optional(rec->client_id)) != HM_OK ||
        (err = check_optional(rec->product)) != HM_OK) {
        return err;
    }
    if (rec->decision == NULL ||
        (strcmp(rec->decision, "allow") != 0 && strcmp(rec->decision, "deny") != 0 &&
         strcmp(rec->decision, "error") != 0)) {
        return HM_E_INVALID;
    }
    if (check_sha256_hex(rec->request_sha256) != HM_OK ||
        (rec->version != NULL &&
         strnlen(rec->version, HM_SEMVER_MAX_LEN + 1) > HM_SEMVER_MAX_LEN)) {
        return HM_E_INVALID; /* an audited version may be refused SemVer, but it is bounded */
    }
    job.audit = rec;
    return run_job(st, &job);
}

hm_err
hm_store_highest(struct hm_store *st, const char *product, const char *channel, char *out,
                 size_t out_len)
{
    hm_err err;

    copy_str(out, out_len, "");
    if ((err = check_name(product)) != HM_OK || (err = check_name(channel)) != HM_OK) {
        return err;
    }
    return st->be->read_highest(st->db, product, channel, out, out_len);
}

void
hm_store_get_stats(struct hm_store *st, struct hm_store_stats *out)
{
    (void)pthread_mutex_lock(&st->mu);
    *out = st->stats;
    (void)pthread_mutex_unlock(&st->mu);
}

/* In the transaction: the authoritative re-check against the database's highest row
 * (another node may have written it), then the release and the new highest. */
static hm_err
apply_release(struct hm_store *st, struct store_job *job)
{
    const struct hm_store_release *rel = job->rel;
    char cur[HM_SEMVER_MAX_LEN + 1];
    int c = 1;
    hm_err err = st->be->txn_highest(st->db, rel->product, rel->channel, cur, sizeof(cur));

    if (err == HM_E_NOTFOUND) {
        cur[0] = '\0';
    } else if (err != HM_OK && err != HM_E_LIMIT) {
        return err;
    }
    if (err == HM_E_LIMIT || (cur[0] != '\0' && hm_semver_cmp(rel->version, cur, &c) != HM_OK)) {
        hm_error("store: the highest version stored for %s/%s is not SemVer", rel->product,
                 rel->channel);
        job->result = HM_E_BACKEND; /* this release only; the rest of the batch goes on */
        return HM_OK;
    }
    if (c <= 0) {
        copy_str(job->blocking, sizeof(job->blocking), cur);
        job->result = HM_E_CONFLICT;
        return HM_OK;
    }
    if ((err = st->be->insert_release(st->db, rel)) != HM_OK ||
        (err = st->be->set_highest(st->db, rel->product, rel->channel, rel->version)) != HM_OK) {
        return err;
    }
    job->result = HM_OK;
    return HM_OK;
}

/* Writes one batch in one transaction; on failure every job gets the error. */
static bool
write_batch(struct hm_store *st, struct store_job *batch, size_t n, uint64_t *ns)
{
    uint64_t t0 = now_ns();
    hm_err err = st->be->begin(st->db);

    for (struct store_job *j = batch; j != NULL && err == HM_OK; j = j->next) {
        if (j->rel != NULL) {
            err = apply_release(st, j);
        } else if (j->audit != NULL) {
            err = st->be->insert_audit(st->db, j->audit);
            j->result = err;
        } else {
            j->result = HM_OK; /* log entries only */
        }
    }
    if (err == HM_OK && st->log.on) {
        err = store_log_apply(st, batch);
    }
    if (err == HM_OK) {
        err = st->be->commit(st->db);
    }
    if (err != HM_OK) {
        st->be->rollback(st->db);
        store_log_reset(st);
        hm_error("store: a transaction of %zu records failed (%s); none of them was written", n,
                 hm_strerror(err));
        for (struct store_job *j = batch; j != NULL; j = j->next) {
            j->result = err;
        }
    }
    *ns = now_ns() - t0;
    return err == HM_OK;
}

/* Under st->mu: hands each waiter its result and updates the lines and stats. */
static void
finish_batch(struct hm_store *st, struct store_job *batch, size_t n, uint64_t ns, bool committed)
{
    store_log_finish(st, batch, committed);
    for (struct store_job *j = batch, *next = NULL; j != NULL; j = next) {
        next = j->next; /* j lives on its waiter's stack: gone once done is seen */
        if (j->resv != NULL) {
            if (j->result == HM_OK) {
                line_raise(j->resv->line, j->rel->version);
                st->stats.releases++;
            } else if (j->result == HM_E_CONFLICT) {
                line_raise(j->resv->line, j->blocking);
            }
            resv_drop(j->resv);
        } else if (j->result == HM_OK) {
            st->stats.audits++;
        }
        j->done = true;
    }
    st->stats.commit_count++;
    st->stats.commit_ns_total += ns;
    if (committed) {
        st->stats.commits++;
    } else {
        st->stats.errors++;
    }
    if (n > st->stats.max_batch) {
        st->stats.max_batch = n;
    }
}

static void *
committer_main(void *arg)
{
    struct hm_store *st = arg;

    (void)pthread_mutex_lock(&st->mu);
    for (;;) {
        struct store_job *batch = NULL;
        struct store_job **cut = &st->head;
        size_t n = 0;
        uint64_t ns = 0;
        bool committed;

        while (st->head == NULL && !st->stopping) {
            (void)pthread_cond_wait(&st->work_cv, &st->mu);
        }
        if (st->head == NULL) {
            break; /* stopping, and the queue is drained */
        }
        store_log_wait(st);
        if (st->head == NULL) {
            continue;
        }
        while (*cut != NULL && n < STORE_BATCH_MAX && (!st->log.on || n < st->log.max_batch)) {
            cut = &(*cut)->next;
            n++;
        }
        batch = st->head;
        st->head = *cut;
        *cut = NULL;
        if (st->head == NULL) {
            st->tail = &st->head;
        }
        (void)pthread_mutex_unlock(&st->mu);
        committed = write_batch(st, batch, n, &ns);
        (void)pthread_mutex_lock(&st->mu);
        finish_batch(st, batch, n, ns, committed);
        (void)pthread_cond_broadcast(&st->done_cv);
    }
    (void)pthread_mutex_unlock(&st->mu);
    return NULL;
}

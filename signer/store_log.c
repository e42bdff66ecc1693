/*
 * store_log.c: the transparency log's part of the store (store.h, docs/tlog.md).
 *
 * The committer thread appends a batch's entries with an hm_tlog_appender, writes the
 * leaves and the complete-subtree hashes they complete, signs one checkpoint with the
 * log key and writes it, all in the batch's transaction.  The appender runs ahead of the
 * database only inside that transaction: when it fails, the appender is rebuilt from the
 * committed tree, so a failed batch leaves no trace and uses no index.
 *
 * Locking: st->log.size (the published tree size) is read and written under st->mu; the
 * appender and the pending note belong to the committer thread (and to
 * hm_store_log_start, which runs before any commit).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

#define LOG_DEFAULT_BATCH 256

static hm_err
view_read(void *ctx, const struct hm_tlog_node *nodes, size_t n, uint8_t (*out)[HM_TLOG_HASH_LEN])
{
    struct hm_store *st = ctx;

    return st->be->log_read_nodes(st->db, nodes, n, out);
}

/* The stored tree must be the one the latest checkpoint signed. */
static hm_err
check_stored(struct hm_store *st, const struct hm_store_log_config *cfg, uint64_t *size)
{
    struct hm_tlog_checkpoint *cp = NULL;
    uint8_t root[HM_TLOG_HASH_LEN];
    char *note = NULL;
    size_t len = 0;
    hm_err err;

    *size = 0;
    err = st->be->log_read_checkpoint(st->db, UINT64_MAX, size, &note, &len);
    if (err == HM_E_NOTFOUND) {
        return HM_OK; /* an empty log */
    }
    if (err != HM_OK) {
        return err;
    }
    if ((err = hm_tlog_checkpoint_open((const uint8_t *)note, len, cfg->verifier, cfg->origin,
                                       &cp)) != HM_OK) {
        hm_error("log: the latest stored checkpoint (size %llu) does not verify with the "
                 "configured log key and origin \"%s\" (%s)",
                 (unsigned long long)*size, cfg->origin, hm_strerror(err));
        err = HM_E_VERIFY;
        goto out;
    }
    if ((err = hm_tlog_root(&st->log.view, *size, root)) != HM_OK) {
        hm_error("log: cannot compute the stored tree's root at size %llu (%s)",
                 (unsigned long long)*size, hm_strerror(err));
        err = err == HM_E_NOTFOUND ? HM_E_VERIFY : err;
        goto out;
    }
    if (hm_tlog_checkpoint_size(cp) != *size ||
        memcmp(root, hm_tlog_checkpoint_root(cp), HM_TLOG_HASH_LEN) != 0) {
        hm_error("log: the stored tree (size %llu) does not match its signed checkpoint",
                 (unsigned long long)*size);
        err = HM_E_VERIFY;
    }
out:
    hm_tlog_checkpoint_free(cp);
    free(note);
    return err;
}

hm_err
hm_store_log_start(struct hm_store *st, const struct hm_store_log_config *cfg)
{
    struct hm_tlog_appender *app = NULL;
    uint64_t size = 0;
    char *origin = NULL;
    hm_err err;

    if (cfg == NULL || cfg->origin == NULL || cfg->signer == NULL || cfg->verifier == NULL ||
        !hm_tlog_name_valid(cfg->origin, strlen(cfg->origin)) || st->log.on) {
        return HM_E_INVALID;
    }
    st->log.view.read = view_read;
    st->log.view.ctx = st;
    if ((err = check_stored(st, cfg, &size)) != HM_OK ||
        (err = hm_tlog_appender_new(&st->log.view, size, &app)) != HM_OK) {
        goto out;
    }
    if ((origin = strdup(cfg->origin)) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    (void)pthread_mutex_lock(&st->mu);
    st->log.origin = origin;
    st->log.signer = *cfg->signer;
    st->log.max_batch = cfg->max_batch != 0 ? cfg->max_batch : LOG_DEFAULT_BATCH;
    st->log.max_delay_ms = cfg->max_delay_ms;
    st->log.app = app;
    st->log.size = size;
    st->log.on = true;
    (void)pthread_mutex_unlock(&st->mu);
    origin = NULL;
    app = NULL; /* the store owns them now */
    hm_info("log: \"%s\" opened at tree size %llu", cfg->origin, (unsigned long long)size);
out:
    free(origin);
    hm_tlog_appender_free(app);
    return err;
}

/* Under st->mu: when the log is on, the first entry waits up to max_delay_ms for others,
 * so that one checkpoint signature covers them all (docs/tlog.md, "Sequencer"). */
void
store_log_wait(struct hm_store *st)
{
    struct timespec until;
    size_t n = 0;

    if (!st->log.on || st->log.max_delay_ms == 0) {
        return;
    }
    (void)clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long)(st->log.max_delay_ms % 1000) * 1000000L;
    until.tv_sec += (time_t)(st->log.max_delay_ms / 1000) + until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    for (;;) {
        n = 0;
        for (const struct store_job *j = st->head; j != NULL && n < st->log.max_batch;
             j = j->next) {
            n++;
        }
        if (n >= st->log.max_batch || st->stopping ||
            pthread_cond_timedwait(&st->work_cv, &st->mu, &until) != 0) {
            return;
        }
    }
}

static hm_err
append_job(struct hm_store *st, struct store_job *j, int64_t now)
{
    struct hm_tlog_node_hash nodes[HM_TLOG_MAX_NEW_NODES];
    uint8_t leaf_hash[HM_TLOG_HASH_LEN];
    size_t n = 0;
    hm_err err = HM_OK;

    for (size_t i = 0; i < j->n_entries && err == HM_OK; i++) {
        struct hm_store_log_entry *e = &j->entries[i];
        uint64_t index = hm_tlog_appender_size(st->log.app);

        if (index >= STORE_LOG_MAX_INDEX) {
            return HM_E_LIMIT;
        }
        hm_tlog_leaf_hash(e->leaf, e->leaf_len, leaf_hash);
        if ((err = hm_tlog_appender_add(st->log.app, leaf_hash, nodes, &n)) == HM_OK &&
            (err = st->be->log_insert_leaf(st->db, index, e, now)) == HM_OK) {
            err = st->be->log_insert_nodes(st->db, nodes, n);
        }
        e->index = index;
    }
    return err;
}

/* The signed checkpoint of the appender's tree, written in the transaction. */
static hm_err
sign_checkpoint(struct hm_store *st, int64_t now)
{
    uint8_t root[HM_TLOG_HASH_LEN];
    uint64_t size = hm_tlog_appender_size(st->log.app);
    char *text = NULL, *line = NULL, *note = NULL;
    size_t text_len = 0, note_len = 0;
    hm_err err;

    hm_tlog_appender_root(st->log.app, root);
    if ((err = hm_tlog_checkpoint_format(st->log.origin, size, root, &text, &text_len)) != HM_OK) {
        goto out;
    }
    if ((err = hm_tlog_note_sign(text, text_len, &st->log.signer, &line)) != HM_OK) {
        hm_error("log: the log key could not sign the checkpoint of size %llu (%s); nothing of "
                 "this batch was written",
                 (unsigned long long)size, hm_strerror(err));
        err = err == HM_E_NOMEM ? err : HM_E_UNAVAILABLE;
        goto out;
    }
    if ((err = hm_tlog_note_assemble(text, text_len, (const char *const *)&line, 1, &note,
                                     &note_len)) != HM_OK ||
        (err = st->be->log_insert_checkpoint(st->db, size, note, note_len, now)) != HM_OK) {
        goto out;
    }
    free(st->log.note);
    st->log.note = note;
    st->log.note_len = note_len;
    st->log.note_size = size;
    note = NULL; /* kept until store_log_finish */
out:
    free(text);
    free(line);
    free(note);
    return err;
}

hm_err
store_log_apply(struct hm_store *st, struct store_job *batch)
{
    int64_t now = (int64_t)time(NULL);
    uint64_t before;
    hm_err err = HM_OK;

    if (st->log.app == NULL) {
        store_log_reset(st);
        if (st->log.app == NULL) {
            return HM_E_UNAVAILABLE;
        }
    }
    before = hm_tlog_appender_size(st->log.app);
    for (struct store_job *j = batch; j != NULL && err == HM_OK; j = j->next) {
        if (j->n_entries > 0 && j->result == HM_OK) {
            err = append_job(st, j, now);
        }
    }
    if (err == HM_OK && hm_tlog_appender_size(st->log.app) != before) {
        err = sign_checkpoint(st, now);
    }
    return err;
}

void
store_log_reset(struct hm_store *st)
{
    uint64_t size, stored = 0;
    char *note = NULL;
    size_t len = 0;

    if (!st->log.on) {
        return;
    }
    (void)pthread_mutex_lock(&st->mu);
    size = st->log.size;
    (void)pthread_mutex_unlock(&st->mu);
    /* Another writer of the same database (a second process: a misconfiguration with
     * SQLite, the normal case with a shared database) may have grown the tree: resume
     * from the latest committed checkpoint, so that a clash costs one batch, not all. */
    if (st->be->log_read_checkpoint(st->db, UINT64_MAX, &stored, &note, &len) == HM_OK &&
        stored > size) {
        hm_warn("log: the database holds a checkpoint of size %llu, above ours (%llu): "
                "another writer; resuming from it",
                (unsigned long long)stored, (unsigned long long)size);
        size = stored;
        (void)pthread_mutex_lock(&st->mu);
        st->log.size = size;
        (void)pthread_mutex_unlock(&st->mu);
    }
    free(note);
    hm_tlog_appender_free(st->log.app);
    st->log.app = NULL;
    free(st->log.note);
    st->log.note = NULL;
    if (hm_tlog_appender_new(&st->log.view, size, &st->log.app) != HM_OK) {
        hm_error("log: cannot read the tree back at size %llu; the next batch retries",
                 (unsigned long long)size);
    }
}

void
store_log_finish(struct hm_store *st, struct store_job *batch, bool committed)
{
    if (!st->log.on) {
        return;
    }
    if (committed && st->log.note != NULL) {
        st->log.size = st->log.note_size;
    }
    for (struct store_job *j = batch; j != NULL; j = j->next) {
        if (j->n_entries == 0 || j->result != HM_OK) {
            continue;
        }
        if (!committed || st->log.note == NULL ||
            (j->note = malloc(st->log.note_len + 1)) == NULL) {
            j->result = committed ? HM_E_NOMEM : j->result;
            continue;
        }
        memcpy(j->note, st->log.note, st->log.note_len + 1);
        j->note_len = st->log.note_len;
        j->size = st->log.note_size;
    }
    free(st->log.note);
    st->log.note = NULL;
}

void
store_log_close(struct hm_store *st)
{
    hm_tlog_appender_free(st->log.app);
    st->log.app = NULL;
    free(st->log.note);
    st->log.note = NULL;
    free(st->log.origin);
    st->log.origin = NULL;
    st->log.on = false;
}

const struct hm_tlog_storage *
hm_store_log_storage(struct hm_store *st)
{
    st->log.view.read = view_read;
    st->log.view.ctx = st;
    return &st->log.view;
}

uint64_t
hm_store_log_size(struct hm_store *st)
{
    uint64_t size;

    (void)pthread_mutex_lock(&st->mu);
    size = st->log.size;
    (void)pthread_mutex_unlock(&st->mu);
    return size;
}

hm_err
hm_store_log_checkpoint(struct hm_store *st, uint64_t size, char **note, size_t *note_len,
                        uint64_t *size_out)
{
    *note = NULL;
    *note_len = 0;
    *size_out = 0;
    return st->be->log_read_checkpoint(st->db, size, size_out, note, note_len);
}

hm_err
hm_store_log_entries(struct hm_store *st, uint64_t first, uint64_t end, bool newest_first,
                     hm_store_log_entry_fn fn, void *ctx)
{
    if (fn == NULL || first > end) {
        return HM_E_INVALID;
    }
    return first == end ? HM_OK
                        : st->be->log_read_entries(st->db, first, end, newest_first, fn, ctx);
}

hm_err
hm_store_log_key_event(struct hm_store *st, const char *key_id, uint64_t *index)
{
    *index = UINT64_MAX;
    if (key_id == NULL || key_id[0] == '\0') {
        return HM_E_INVALID;
    }
    return st->be->log_read_key_event(st->db, key_id, index);
}

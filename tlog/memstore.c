/*
 * memstore.c: the stored tree in memory, one growable array per level.  Level l holds
 * floor(n / 2^l) hashes, so the whole tree takes about 2 * 32 bytes per leaf.
 */
#include <stdlib.h>
#include <string.h>

#include "tlog_int.h"

struct level {
    uint8_t *hashes;
    uint64_t count, cap;
};

struct hm_tlog_memstore {
    struct level lv[64];
    struct hm_tlog_storage storage;
    struct hm_tlog_appender *app;
};

static hm_err
memstore_read(void *ctx, const struct hm_tlog_node *nodes, size_t n,
              uint8_t (*out)[HM_TLOG_HASH_LEN])
{
    const struct hm_tlog_memstore *ms = ctx;

    for (size_t i = 0; i < n; i++) {
        const struct level *lv;

        if (nodes[i].level >= 64) {
            return HM_E_NOTFOUND;
        }
        lv = &ms->lv[nodes[i].level];
        if (nodes[i].index >= lv->count) {
            return HM_E_NOTFOUND;
        }
        memcpy(out[i], lv->hashes + nodes[i].index * HM_TLOG_HASH_LEN, HM_TLOG_HASH_LEN);
    }
    return HM_OK;
}

hm_err
hm_tlog_memstore_new(struct hm_tlog_memstore **out)
{
    struct hm_tlog_memstore *ms = NULL;

    *out = NULL;
    if ((ms = calloc(1, sizeof(*ms))) == NULL) {
        return HM_E_NOMEM;
    }
    ms->storage.read = memstore_read;
    ms->storage.ctx = ms;
    *out = ms; /* the appender is made on the first append */
    return HM_OK;
}

void
hm_tlog_memstore_free(struct hm_tlog_memstore *ms)
{
    if (ms == NULL) {
        return;
    }
    for (size_t l = 0; l < 64; l++) {
        free(ms->lv[l].hashes);
    }
    hm_tlog_appender_free(ms->app);
    free(ms);
}

/* Makes room for extra more hashes at a level, so that the pushes after it cannot fail. */
static hm_err
level_reserve(struct level *lv, uint64_t extra)
{
    uint64_t cap = lv->cap == 0 ? 64 : lv->cap;
    uint8_t *p;

    while (cap < lv->count + extra) {
        cap *= 2;
    }
    if (cap == lv->cap) {
        return HM_OK;
    }
    if (cap > SIZE_MAX / HM_TLOG_HASH_LEN) {
        return HM_E_LIMIT;
    }
    if ((p = realloc(lv->hashes, (size_t)cap * HM_TLOG_HASH_LEN)) == NULL) {
        return HM_E_NOMEM;
    }
    lv->hashes = p;
    lv->cap = cap;
    return HM_OK;
}

hm_err
hm_tlog_memstore_put(struct hm_tlog_memstore *ms, const struct hm_tlog_node_hash *nodes, size_t n)
{
    uint64_t add[64] = { 0 };
    hm_err err;

    /* Check and reserve everything first: a refused batch leaves the store as it was. */
    for (size_t i = 0; i < n; i++) {
        unsigned l = nodes[i].node.level;

        if (l >= 64) {
            return HM_E_INVALID;
        }
        if (nodes[i].node.index != ms->lv[l].count + add[l]) {
            return HM_E_CONFLICT; /* out of order, or a hash stored twice */
        }
        add[l]++;
    }
    for (unsigned l = 0; l < 64; l++) {
        if (add[l] > 0 && (err = level_reserve(&ms->lv[l], add[l])) != HM_OK) {
            return err;
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct level *lv = &ms->lv[nodes[i].node.level];

        memcpy(lv->hashes + lv->count * HM_TLOG_HASH_LEN, nodes[i].hash, HM_TLOG_HASH_LEN);
        lv->count++;
    }
    return HM_OK;
}

hm_err
hm_tlog_memstore_append(struct hm_tlog_memstore *ms, const uint8_t leaf_hash[HM_TLOG_HASH_LEN],
                        uint64_t *index_out)
{
    struct hm_tlog_node_hash nodes[HM_TLOG_MAX_NEW_NODES];
    size_t n = 0;
    hm_err err;

    /* The appender follows the store; rebuild it after hm_tlog_memstore_put() or a failure. */
    if (ms->app == NULL || hm_tlog_appender_size(ms->app) != ms->lv[0].count) {
        hm_tlog_appender_free(ms->app);
        ms->app = NULL;
        if ((err = hm_tlog_appender_new(&ms->storage, ms->lv[0].count, &ms->app)) != HM_OK) {
            return err;
        }
    }
    if ((err = hm_tlog_appender_add(ms->app, leaf_hash, nodes, &n)) != HM_OK ||
        (err = hm_tlog_memstore_put(ms, nodes, n)) != HM_OK) {
        hm_tlog_appender_free(ms->app); /* it may have moved past the store */
        ms->app = NULL;
        return err;
    }
    if (index_out != NULL) {
        *index_out = ms->lv[0].count - 1;
    }
    return HM_OK;
}

uint64_t
hm_tlog_memstore_size(const struct hm_tlog_memstore *ms)
{
    return ms->lv[0].count;
}

void
hm_tlog_memstore_bytes(const struct hm_tlog_memstore *ms, uint64_t *used, uint64_t *allocated)
{
    *used = 0;
    *allocated = 0;
    for (unsigned l = 0; l < 64; l++) {
        *used += ms->lv[l].count * HM_TLOG_HASH_LEN;
        *allocated += ms->lv[l].cap * HM_TLOG_HASH_LEN;
    }
}

const struct hm_tlog_storage *
hm_tlog_memstore_storage(const struct hm_tlog_memstore *ms)
{
    return &ms->storage;
}

/*
 * appender.c: the right edge of the tree (its "compact range"): for a tree of size n, the
 * hash of the complete subtree at level l for every bit l set in n.  Adding a leaf merges
 * it with the edge hashes below its first zero bit, exactly like a binary counter's carry,
 * and each merge is a complete subtree that storage must keep.
 */
#include <stdlib.h>
#include <string.h>

#include "tlog_int.h"

struct hm_tlog_appender {
    uint64_t size;
    uint8_t edge[64][HM_TLOG_HASH_LEN]; /* edge[l] valid when bit l of size is set */
};

hm_err
hm_tlog_appender_new(const struct hm_tlog_storage *st, uint64_t size, struct hm_tlog_appender **out)
{
    struct hm_tlog_node nodes[64];
    uint8_t hashes[64][HM_TLOG_HASH_LEN];
    struct hm_tlog_appender *app = NULL;
    size_t n = 0;
    hm_err err = HM_OK;

    *out = NULL;
    if (size > HM_TLOG_MAX_SIZE) {
        return HM_E_LIMIT;
    }
    if (size > 0 && (st == NULL || st->read == NULL)) {
        return HM_E_INVALID;
    }
    if ((app = calloc(1, sizeof(*app))) == NULL) {
        return HM_E_NOMEM;
    }
    /* The edge nodes, leftmost (highest level) first: leaves [prefix, prefix + 2^l). */
    for (int l = 63; l >= 0; l--) {
        if ((size >> l) & 1) {
            nodes[n].level = (uint8_t)l;
            nodes[n].index = (size >> l) - 1; /* the last complete subtree at that level */
            n++;
        }
    }
    if (n > 0 && (err = st->read(st->ctx, nodes, n, hashes)) != HM_OK) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(app->edge[nodes[i].level], hashes[i], HM_TLOG_HASH_LEN);
    }
    app->size = size;
    *out = app;
    app = NULL; /* the caller owns it now */
out:
    free(app);
    return err;
}

void
hm_tlog_appender_free(struct hm_tlog_appender *app)
{
    free(app);
}

hm_err
hm_tlog_appender_add(struct hm_tlog_appender *app, const uint8_t leaf_hash[HM_TLOG_HASH_LEN],
                     struct hm_tlog_node_hash out[HM_TLOG_MAX_NEW_NODES], size_t *n_out)
{
    uint8_t carry[HM_TLOG_HASH_LEN];
    uint64_t index = app->size;
    unsigned l = 0;
    size_t n = 0;

    *n_out = 0;
    if (app->size >= HM_TLOG_MAX_SIZE) {
        return HM_E_LIMIT;
    }
    memcpy(carry, leaf_hash, HM_TLOG_HASH_LEN);
    out[n].node.level = 0;
    out[n].node.index = index;
    memcpy(out[n].hash, carry, HM_TLOG_HASH_LEN);
    n++;
    /* Each set low bit of the old size is a left sibling the new subtree completes. */
    while ((app->size >> l) & 1) {
        hm_tlog_node_hash(app->edge[l], carry, carry);
        l++;
        out[n].node.level = (uint8_t)l;
        out[n].node.index = index >> l;
        memcpy(out[n].hash, carry, HM_TLOG_HASH_LEN);
        n++;
    }
    memcpy(app->edge[l], carry, HM_TLOG_HASH_LEN);
    app->size++;
    *n_out = n;
    return HM_OK;
}

uint64_t
hm_tlog_appender_size(const struct hm_tlog_appender *app)
{
    return app->size;
}

void
hm_tlog_appender_root(const struct hm_tlog_appender *app, uint8_t out[HM_TLOG_HASH_LEN])
{
    uint8_t acc[HM_TLOG_HASH_LEN];
    bool have = false;

    if (app->size == 0) {
        hm_tlog_empty_root(out);
        return;
    }
    /* Fold the edge from the smallest subtree (rightmost) to the largest. */
    for (unsigned l = 0; l < 64; l++) {
        if (((app->size >> l) & 1) == 0) {
            continue;
        }
        if (!have) {
            memcpy(acc, app->edge[l], HM_TLOG_HASH_LEN);
            have = true;
        } else {
            hm_tlog_node_hash(app->edge[l], acc, acc);
        }
    }
    memcpy(out, acc, HM_TLOG_HASH_LEN);
}

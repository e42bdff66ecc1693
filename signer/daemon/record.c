/*
 * record.c: hmd_record, the one way a signature leaves hallmarkd (hmd.h has the contract;
 * docs/tlog.md the design).
 *
 *   leaves (docs/formats.md 7.2) -> one store transaction: the release row, the leaves,
 *   the new subtree hashes and a checkpoint signed by the log key (the committer batches
 *   concurrent calls: one signature per batch) -> for each item: its inclusion proof at
 *   the checkpoint's size -> the bundle with tlogEntries[0].
 *
 * Nothing is handed back unless the checkpoint that covers every item is durable.  The
 * checkpoint is verified with the log key before it goes into a bundle, so a token that
 * signs garbage is caught here rather than on a device.
 */
#include <hm/hsm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../store.h"
#include "tlogd.h"

#define ENTRY_BUNDLE_MAX_LEAF 65535 /* tlog-tiles entry bundles: a u16 length per entry */

static hm_err
commit_only(struct hm_store_resv *resv, const struct hm_store_release *rel,
            struct hmd_record_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        items[i].log_index = UINT64_MAX;
    }
    return resv != NULL ? hm_store_commit(hmd.store, resv, rel) : HM_OK;
}

static void
free_leaves(char **leaves, size_t n)
{
    for (size_t i = 0; leaves != NULL && i < n; i++) {
        free(leaves[i]);
    }
    free(leaves);
}

static hm_err
build_leaves(const struct hmd_identity *client, struct hmd_record_item *items, size_t n,
             int64_t now, char **leaves, struct hm_store_log_entry *entries)
{
    const char *who = client != NULL ? client->display : "hallmarkd";
    uint8_t client_sha[HM_SHA256_LEN];
    hm_err rc = HM_OK;

    hm_sha256(who, strlen(who), client_sha);
    for (size_t i = 0; i < n && rc == HM_OK; i++) {
        const uint8_t *der = NULL;
        size_t der_len = 0, leaf_len = 0;
        char *pem = NULL;
        bool key_event = strcmp(items[i].predicate_type, "key-event") == 0;

        hm_key_spki(items[i].key, &der, &der_len);
        if ((rc = hmd_spki_pem(der, der_len, &pem)) != HM_OK) {
            break;
        }
        struct hmd_leaf_in in = { .bundle = items[i].bundle,
                                  .bundle_len = items[i].bundle_len,
                                  .signer_pem = pem,
                                  .keyid = hm_key_id(items[i].key),
                                  .product = items[i].product,
                                  .channel = items[i].channel,
                                  .version = items[i].version,
                                  .with_subjects = !key_event,
                                  .client_sha256 = client_sha,
                                  .time = now };
        rc = hmd_leaf_build(&in, &leaves[i], &leaf_len);
        free(pem);
        if (rc == HM_OK && leaf_len > ENTRY_BUNDLE_MAX_LEAF) {
            hm_error("log: a leaf of %zu bytes is too long for tlog-tiles entry bundles", leaf_len);
            rc = HM_E_LIMIT;
        }
        entries[i].leaf = (const uint8_t *)leaves[i];
        entries[i].leaf_len = leaf_len;
        entries[i].bundle = items[i].bundle;
        entries[i].bundle_len = items[i].bundle_len;
        entries[i].key_event = key_event ? hm_key_id(items[i].key) : NULL;
    }
    return rc;
}

/* Each item's bundle gets its entry: inclusion proof at size, root and note. */
static hm_err
attach_entries(struct hmd_record_item *items, size_t n, char **leaves,
               const struct hm_store_log_entry *entries, int64_t now, const char *note,
               size_t note_len, uint64_t size)
{
    struct hm_tlog_checkpoint *cp = NULL;
    struct hm_tlog_path path;
    hm_err rc;

    if ((rc = hm_tlog_checkpoint_open((const uint8_t *)note, note_len, hmd_tlog.verifier,
                                      hmd_tlog.origin, &cp)) != HM_OK ||
        hm_tlog_checkpoint_size(cp) != size) {
        hm_error("log: the checkpoint of size %llu does not verify with the log key",
                 (unsigned long long)size);
        hm_tlog_checkpoint_free(cp);
        return HM_E_UNAVAILABLE;
    }
    for (size_t i = 0; i < n && rc == HM_OK; i++) {
        char *with = NULL;
        size_t with_len = 0;

        if ((rc = hm_tlog_inclusion_proof(hm_store_log_storage(hmd.store), entries[i].index, size,
                                          &path)) != HM_OK ||
            (rc = hmd_bundle_with_entry(items[i].bundle, items[i].bundle_len, leaves[i],
                                        entries[i].leaf_len, entries[i].index, now, &path, size,
                                        hm_tlog_checkpoint_root(cp), note, &with, &with_len)) !=
                HM_OK) {
            hm_error("log: entry %llu is logged but its proof cannot be attached (%s)",
                     (unsigned long long)entries[i].index, hm_strerror(rc));
            rc = rc == HM_E_NOMEM ? rc : HM_E_UNAVAILABLE;
            break;
        }
        free(items[i].bundle);
        items[i].bundle = with;
        items[i].bundle_len = with_len;
        items[i].log_index = entries[i].index;
    }
    hm_tlog_checkpoint_free(cp);
    return rc;
}

hm_err
hmd_record(struct hm_store_resv *resv, const struct hm_store_release *rel,
           const struct hmd_identity *client, struct hmd_record_item *items, size_t n)
{
    struct hm_store_log_entry *entries = NULL;
    char **leaves = NULL, *note = NULL;
    size_t note_len = 0;
    uint64_t size = 0;
    int64_t now = (int64_t)time(NULL);
    hm_err rc;

    if ((resv == NULL) != (rel == NULL) || (n > 0 && items == NULL)) {
        hm_store_cancel(hmd.store, resv);
        return HM_E_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        items[i].log_index = UINT64_MAX;
        if (items[i].key == NULL || items[i].bundle == NULL || items[i].predicate_type == NULL) {
            hm_store_cancel(hmd.store, resv);
            return HM_E_INVALID;
        }
    }
    if (!hmd_tlog.on || n == 0) {
        return commit_only(resv, rel, items, n);
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(items[i].predicate_type, "key-event") != 0 &&
            (rc = hmd_tlog_key_event_for((struct hm_key *)items[i].key)) != HM_OK) {
            hm_store_cancel(hmd.store, resv);
            return rc;
        }
    }
    if ((entries = calloc(n, sizeof(*entries))) == NULL ||
        (leaves = calloc(n, sizeof(*leaves))) == NULL) {
        hm_store_cancel(hmd.store, resv);
        rc = HM_E_NOMEM;
        goto out;
    }
    if ((rc = build_leaves(client, items, n, now, leaves, entries)) != HM_OK) {
        hm_store_cancel(hmd.store, resv);
        goto out;
    }
    rc = hm_store_commit_logged(hmd.store, resv, rel, entries, n, &note, &note_len, &size);
    if (rc == HM_OK) {
        rc = attach_entries(items, n, leaves, entries, now, note, note_len, size);
    }
out:
    free_leaves(leaves, n);
    free(entries);
    free(note);
    return rc;
}

struct recent_ctx {
    hmd_log_entry_fn fn;
    void *ctx;
};

static hm_err
recent_cb(void *ctx, uint64_t index, const uint8_t *leaf, size_t leaf_len, const char *bundle,
          size_t bundle_len)
{
    struct recent_ctx *rc = ctx;

    return rc->fn(rc->ctx, index, leaf, leaf_len, bundle, bundle_len);
}

hm_err
hmd_log_recent(size_t n, hmd_log_entry_fn fn, void *ctx)
{
    struct recent_ctx rc = { .fn = fn, .ctx = ctx };
    uint64_t size;

    if (fn == NULL) {
        return HM_E_INVALID;
    }
    if (!hmd_tlog.on || hmd.store == NULL) {
        return HM_E_UNAVAILABLE;
    }
    size = hm_store_log_size(hmd.store);
    return hm_store_log_entries(hmd.store, size > n ? size - n : 0, size, true, recent_cb, &rc);
}

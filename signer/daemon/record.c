/*
 * record.c: hmd_record before the sequencer lands: the release row only, no log entry.
 * The transparency-log work replaces this file (hmd.h states the contract).
 */
#include <stdint.h>

#include "../store.h"
#include "hmd.h"

hm_err
hmd_record(struct hm_store_resv *resv, const struct hm_store_release *rel,
           const struct hmd_identity *client, struct hmd_record_item *items, size_t n)
{
    hm_err rc = HM_OK;

    (void)client;
    if ((resv == NULL) != (rel == NULL) || (n > 0 && items == NULL)) {
        hm_store_cancel(hmd.store, resv);
        return HM_E_INVALID;
    }
    if (resv != NULL) {
        rc = hm_store_commit(hmd.store, resv, rel);
    }
    for (size_t i = 0; i < n; i++) {
        items[i].log_index = UINT64_MAX;
    }
    return rc;
}

hm_err
hmd_log_recent(size_t n, hmd_log_entry_fn fn, void *ctx)
{
    (void)n;
    (void)fn;
    (void)ctx;
    return HM_E_UNAVAILABLE;
}

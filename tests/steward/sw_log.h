/* sw_log.h: logged steward-attestation bundles for the tests (sw_log.c). */
#ifndef HM_SW_LOG_H
#define HM_SW_LOG_H

#include <hm/common.h>

#include "vt.h"

/* A Sigstore bundle of payload signed by signer; with log, one tlogEntries entry whose leaf
 * edit_leaf (may be NULL) may change before it is logged.  Malloc'ed, NUL-terminated. */
char *sw_bundle(const struct vt_key *signer, struct vt_log *log, const uint8_t *payload,
                size_t payload_len, int64_t log_time, void (*edit_leaf)(char *leaf, size_t len),
                size_t *len);

#endif

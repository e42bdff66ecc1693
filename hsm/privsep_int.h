/*
 * privsep_int.h: private to hsm/: the parts of the helper protocol that only the helper
 * and the remote backend use.
 */
#ifndef HM_PRIVSEP_INT_H
#define HM_PRIVSEP_INT_H

#include <hm/privsep.h>

/* One key of a KEYS reply. */
void hm_ps_put_key(struct hm_buf *b, uint8_t alg, const uint8_t *spki, size_t spki_len,
                   const char *label, const uint8_t *ckid, size_t ckid_len, const char *uri);

#endif /* HM_PRIVSEP_INT_H */

/*
 * keyattest_hsm.h: private to hsm/'s key-attestation evidence (keyattest_*.c): the
 * per-backend collectors behind hm_key_attest (hm/keyevidence.h).
 */
#ifndef HM_KEYATTEST_HSM_INT_H
#define HM_KEYATTEST_HSM_INT_H

#include <hm/keyevidence.h>

#include "hsm_int.h"

/* PKCS#11: attributes, token and module info, self-asserted (keyattest_p11.c). */
HM_MUST_CHECK hm_err p11_attest_key(struct hm_key *key, const uint8_t *nonce, size_t nonce_len,
                                    struct hm_keyatt **out);

#endif /* HM_KEYATTEST_HSM_INT_H */

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

/* A new PKCS#11 self-asserted attestation of key: its SPKI, algorithm, the caller's nonce
 * (1..HM_KEYATT_NONCE_MAX bytes, else HM_E_INVALID) and the time; the caller fills
 * (*out)->pkcs11 (keyattest_key.c; for the in-process and the privsep backends). */
HM_MUST_CHECK hm_err keyatt_p11_new(const struct hm_key *key, const uint8_t *nonce,
                                    size_t nonce_len, struct hm_keyatt **out);

#endif /* HM_KEYATTEST_HSM_INT_H */

/*
 * hm/keyattest.h: the key-attestation statement (predicate HM_PREDICATE_KEY,
 * docs/key-attestation.md, docs/schemas/key-attestation-v1.schema.json).
 *
 * hsm/ collects the evidence into a struct hm_keyatt (hm/keyevidence.h, hm_key_attest);
 * this header turns it into the exact statement bytes that get signed; libhallmark-verify
 * parses those bytes back and checks them (hm/verify.h, hm_verify_keyatt_*).
 */
#ifndef HM_KEYATTEST_H
#define HM_KEYATTEST_H

#include <hm/attest.h>

/* Serialises the statement: in-toto Statement v1, one subject {name "signing-key", digest
 * sha256 = SHA-256(SPKI)}, the predicate with exactly the evidence ka->evidence names.
 * Deterministic: the same evidence gives the same bytes.  HM_E_INVALID with a reason in
 * why (may be NULL) for evidence that is incomplete or out of bounds. */
HM_MUST_CHECK hm_err hm_keyatt_statement(const struct hm_keyatt *ka, uint8_t **out, size_t *len,
                                         char *why, size_t why_len);

/* Adds the EK certificate's issuer chain (PEM certificates, nearest issuer first, up to
 * HM_KEYATT_MAX_CHAIN; a root among them does no harm: verifiers trust only their own). */
HM_MUST_CHECK hm_err hm_keyatt_set_ek_chain_pem(struct hm_keyatt *ka, const uint8_t *pem,
                                                size_t len);

/* Adds vendor evidence: format ([a-z0-9-]{1,64}, e.g. "yubihsm2-attestation-certificate")
 * and PEM text whose first certificate is the attestation certificate and the rest its
 * chain. */
HM_MUST_CHECK hm_err hm_keyatt_add_vendor_pem(struct hm_keyatt *ka, const char *format,
                                              const uint8_t *pem, size_t len);

#endif /* HM_KEYATTEST_H */

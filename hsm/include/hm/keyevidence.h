/*
 * hm/keyevidence.h: what hsm/ can prove about a key, and the TPM-only operations.
 *
 * A second public header of hsm/ (next to hm/hsm.h, which it extends without changing):
 * key-attestation evidence (docs/key-attestation.md) fills libhallmark-verify's struct
 * hm_keyatt, so that the daemon, the CLI and a verifier share one C representation;
 * attest/ (hm/keyattest.h) turns it into a signed statement.
 */
#ifndef HM_KEYEVIDENCE_H
#define HM_KEYEVIDENCE_H

#include <hm/hsm.h>
#include <hm/verify.h>

/* "pkcs11" or "tpm2". */
const char *hm_hsm_backend(const struct hm_hsm *hsm);
/* The same for the backend that holds key. */
const char *hm_key_backend(const struct hm_key *key);

/*
 * Collects the evidence for key, bound to nonce (1..HM_KEYATT_NONCE_MAX bytes):
 *  - a TPM key: TPM2_Certify(key, AK, qualifyingData = nonce), where the AK is a restricted
 *    ECDSA P-256 primary of the endorsement hierarchy (the same AK every time: its template
 *    is fixed), with the AK's and the key's public areas and the EK certificate read from
 *    NV (0x01c00016 ECC P-384, 0x01c0000a ECC P-256, else 0x01c00002 RSA); the EK's issuer
 *    chain is not in the TPM: add it with hm_keyatt_set_ek_chain_pem (hm/keyattest.h);
 *  - a PKCS#11 key: CKA_SENSITIVE, CKA_ALWAYS_SENSITIVE, CKA_EXTRACTABLE,
 *    CKA_NEVER_EXTRACTABLE, CKA_LOCAL, CKA_KEY_GEN_MECHANISM, C_GetTokenInfo, C_GetInfo:
 *    self-asserted, nothing signs them.
 * *out is calloc'ed: free it with hm_verify_keyatt_free.  created_at is set from the clock.
 */
HM_MUST_CHECK hm_err hm_key_attest(struct hm_key *key, const uint8_t *nonce, size_t nonce_len,
                                   struct hm_keyatt **out);

/* ---- TPM 2.0 only (HM_E_INVALID on another backend) ---- */

/* Generates a key (ec-p256, or rsa-3072 when the TPM supports it) under the owner-hierarchy
 * primary: as a blob file at blob_path (TPM2B_PUBLIC + TPM2B_PRIVATE, O_EXCL, 0600), or,
 * with blob_path NULL, persistent at handle (0x81000000-0x817fffff, EvictControl).  Attributes
 * fixedTPM, fixedParent, sensitiveDataOrigin, userWithAuth, sign; the auth value from the
 * token URI's auth-source.  HM_E_CONFLICT when the file or handle is taken. */
HM_MUST_CHECK hm_err hm_tpm2_generate_key(struct hm_hsm *hsm, enum hm_key_alg alg,
                                          const char *label, const char *blob_path, uint32_t handle,
                                          struct hm_key **out);

/* Enrolment, the TPM's half of credential activation: TPM2_ActivateCredential with our AK
 * and the EK (found at its persistent handle by its public key) on a challenge from
 * hm_verify_keyatt_make_credential.  *out holds the recovered secret. */
HM_MUST_CHECK hm_err hm_tpm2_activate_credential(struct hm_hsm *hsm, const uint8_t *challenge,
                                                 size_t len, struct hm_secret **out);

#endif /* HM_KEYEVIDENCE_H */

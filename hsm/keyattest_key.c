/*
 * keyattest_key.c: hm/keyevidence.h: picks the backend's evidence collector (for the
 * privsep backend: the evidence its helper sent, privsep_keyatt.c), and the TPM-only entry
 * points (which refuse other backends); and the PKCS#11 self-asserted attestation's common
 * part, shared by the in-process and the privsep backends.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyattest_hsm.h"
#include "privsep_int.h"
#ifdef HM_HAVE_TPM2
#include "tpm2_int.h"
#endif

hm_err
keyatt_p11_new(const struct hm_key *key, const uint8_t *nonce, size_t nonce_len,
               struct hm_keyatt **out)
{
    struct hm_keyatt *ka = NULL;

    *out = NULL;
    if (nonce == NULL || nonce_len == 0 || nonce_len > HM_KEYATT_NONCE_MAX) {
        return HM_E_INVALID;
    }
    if ((ka = calloc(1, sizeof(*ka))) == NULL || (ka->spki.data = malloc(key->spki_len)) == NULL) {
        hm_verify_keyatt_free(ka);
        return HM_E_NOMEM;
    }
    memcpy(ka->spki.data, key->spki, key->spki_len);
    ka->spki.len = key->spki_len;
    ka->evidence = HM_KEYATT_PKCS11_SELF_ASSERTED;
    ka->alg = key->alg;
    memcpy(ka->nonce, nonce, nonce_len);
    ka->nonce_len = nonce_len;
    ka->created_at = (int64_t)time(NULL);
    *out = ka;
    return HM_OK;
}

const char *
hm_hsm_backend(const struct hm_hsm *hsm)
{
    return hsm != NULL ? hsm->ops->name : "";
}

const char *
hm_key_backend(const struct hm_key *key)
{
    if (key != NULL && ps_is(key->hsm)) {
        return ps_key_backend(key); /* the helper's backend, not the forwarding one */
    }
    return key != NULL ? hm_hsm_backend(key->hsm) : "";
}

hm_err
hm_key_attest(struct hm_key *key, const uint8_t *nonce, size_t nonce_len, struct hm_keyatt **out)
{
    *out = NULL;
    if (key == NULL || nonce == NULL || nonce_len == 0 || nonce_len > HM_KEYATT_NONCE_MAX) {
        return HM_E_INVALID;
    }
#ifdef HM_HAVE_TPM2
    if (tpm2_is(key->hsm)) {
        return tpm2_attest_key(key, nonce, nonce_len, out);
    }
#endif
    if (strcmp(key->hsm->ops->name, "pkcs11") == 0) {
        return p11_attest_key(key, nonce, nonce_len, out);
    }
    if (ps_is(key->hsm)) {
        return ps_attest_key(key, nonce, nonce_len, out); /* what the helper read at start */
    }
    return HM_E_INVALID;
}

hm_err
hm_tpm2_generate_key(struct hm_hsm *hsm, enum hm_key_alg alg, const char *label,
                     const char *blob_path, uint32_t handle, struct hm_key **out)
{
    *out = NULL;
#ifdef HM_HAVE_TPM2
    if (tpm2_is(hsm) && label != NULL) {
        return tpm2_generate(tpm2_of(hsm), alg, label, blob_path, handle, out);
    }
#else
    (void)alg, (void)label, (void)blob_path, (void)handle;
#endif
    hm_error("hsm: %s is not a TPM", hsm != NULL ? hsm->ops->name : "(none)");
    return HM_E_INVALID;
}

hm_err
hm_tpm2_activate_credential(struct hm_hsm *hsm, const uint8_t *challenge, size_t len,
                            struct hm_secret **out)
{
    *out = NULL;
#ifdef HM_HAVE_TPM2
    if (tpm2_is(hsm)) {
        return tpm2_activate(hsm, challenge, len, out);
    }
#else
    (void)challenge, (void)len;
#endif
    hm_error("hsm: %s is not a TPM", hsm != NULL ? hsm->ops->name : "(none)");
    return HM_E_INVALID;
}

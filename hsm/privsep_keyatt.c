/*
 * privsep_keyatt.c: key-attestation evidence (hm/keyevidence.h) for the remote backend.
 *
 * The helper reads each key's PKCS#11 attributes and the token's info once at its start,
 * before its seccomp filter, and sends them with the key list (hm/privsep.h): public
 * metadata, no new request type.  hm_key_attest on a key of this backend fills the same
 * struct hm_keyatt as the in-process PKCS#11 backend from that copy: evidence
 * "pkcs11-self-asserted", the values the token reported, bound to the caller's nonce.  The
 * statement is then signed by the key itself through the ordinary SIGN request.
 */
#include <stdlib.h>
#include <string.h>

#include "keyattest_hsm.h"
#include "privsep_client.h"

bool
ps_is(const struct hm_hsm *hsm)
{
    return hsm != NULL && hsm->ops == ps_backend_ops();
}

/* The listed key behind key (the same SPKI: hm_key_register keeps one object per key). */
static const struct ps_key *
listed(const struct hm_key *key)
{
    const struct ps_hsm *ps = (const struct ps_hsm *)key->hsm;

    for (size_t i = 0; i < ps->n_keys; i++) {
        const struct ps_key *k = &ps->keys[i];
        if (k->spki_len == key->spki_len && memcmp(k->spki, key->spki, key->spki_len) == 0) {
            return k;
        }
    }
    return NULL;
}

const char *
ps_key_backend(const struct hm_key *key)
{
    const struct ps_key *k = listed(key);

    /* the helper sends PKCS#11 evidence only for keys of its PKCS#11 backend */
    return k != NULL && k->has_ev ? "pkcs11" : "privsep";
}

hm_err
ps_attest_key(struct hm_key *key, const uint8_t *nonce, size_t nonce_len, struct hm_keyatt **out)
{
    const struct ps_key *k = listed(key);
    hm_err err;

    *out = NULL;
    if (nonce == NULL || nonce_len == 0 || nonce_len > HM_KEYATT_NONCE_MAX) {
        return HM_E_INVALID;
    }
    if (k == NULL || !k->has_ev) {
        return HM_E_NOTFOUND; /* the helper could not read it: no attestation, not a guess */
    }
    if ((err = keyatt_p11_new(key, nonce, nonce_len, out)) != HM_OK) {
        return err;
    }
    (*out)->pkcs11 = k->ev;
    return HM_OK;
}

/*
 * hsm.c: the backend-neutral half of hm/hsm.h.  Picks a backend by URI scheme, owns
 * the key objects, hashes on the host, and converts ECDSA signatures between the
 * token's raw r||s and DER (formats.md 1.10: convert at the boundary).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "hsm_int.h"

hm_err
hm_hsm_open(const char *uri, const struct hm_hsm_opts *opts, struct hm_hsm **out)
{
    *out = NULL;
    if (uri == NULL) {
        return HM_E_INVALID;
    }
    if (strncasecmp(uri, "pkcs11:", 7) == 0) {
        return hm_p11_open(uri, opts, out);
    }
#ifdef HM_HAVE_TPM2
    if (strncasecmp(uri, "tpm2:", 5) == 0) {
        return hm_tpm2_open(uri, opts, out);
    }
#endif
    hm_error("hsm: unsupported key URI scheme (want pkcs11: or tpm2:)");
    return HM_E_INVALID;
}

void
hm_hsm_close(struct hm_hsm *hsm)
{
    struct hm_key *k;

    if (hsm == NULL) {
        return;
    }
    while ((k = hsm->keys) != NULL) {
        hsm->keys = k->next;
        hm_key_discard(k);
    }
    hsm->ops->close(hsm);
}

hm_err
hm_hsm_find_key(struct hm_hsm *hsm, const char *uri, struct hm_key **out)
{
    *out = NULL;
    if (hsm == NULL || uri == NULL) {
        return HM_E_INVALID;
    }
    return hsm->ops->find_key(hsm, uri, out);
}

hm_err
hm_hsm_generate_key(struct hm_hsm *hsm, enum hm_key_alg alg, const char *label, struct hm_key **out)
{
    *out = NULL;
    if (hsm == NULL || label == NULL) {
        return HM_E_INVALID;
    }
    return hsm->ops->generate_key(hsm, alg, label, out);
}

hm_err
hm_hsm_list_keys(struct hm_hsm *hsm, struct hm_key ***keys, size_t *n)
{
    *keys = NULL;
    *n = 0;
    if (hsm == NULL) {
        return HM_E_INVALID;
    }
    return hsm->ops->list_keys(hsm, keys, n);
}

void
hm_hsm_get_stats(struct hm_hsm *hsm, struct hm_hsm_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (hsm != NULL) {
        hsm->ops->get_stats(hsm, out);
    }
}

hm_err
hm_key_get_attrs(struct hm_key *key, struct hm_key_attrs *out)
{
    memset(out, 0, sizeof(*out));
    if (key == NULL) {
        return HM_E_INVALID;
    }
    return key->hsm->ops->get_attrs(key, out);
}

/* Signs what the backend expects (digest or message) and encodes the result. */
static hm_err
sign_input(struct hm_key *key, const uint8_t *in, size_t len, enum hm_sig_enc enc, uint8_t **sig,
           size_t *sig_len)
{
    uint8_t *raw = NULL;
    size_t raw_len = key->sig_max;
    hm_err err;

    if ((raw = malloc(key->sig_max)) == NULL) {
        return HM_E_NOMEM;
    }
    if ((err = key->hsm->ops->sign(key, in, len, raw, &raw_len)) != HM_OK) {
        goto out; /* nothing from a failed C_Sign is ever handed out */
    }
    if ((key->alg == HM_KEY_EC_P256 || key->alg == HM_KEY_EC_P384) && enc == HM_SIG_DER) {
        err = hm_ecdsa_raw_to_der(raw, raw_len, sig, sig_len);
        goto out;
    }
    *sig = raw;
    *sig_len = raw_len;
    raw = NULL; /* the caller owns it now */
out:
    if (raw != NULL) {
        OPENSSL_cleanse(raw, key->sig_max);
    }
    free(raw);
    return err;
}

static size_t
digest_len(enum hm_key_alg alg)
{
    switch (alg) {
    case HM_KEY_EC_P256:
    case HM_KEY_RSA3072_PSS:
        return HM_SHA256_LEN;
    case HM_KEY_EC_P384:
        return HM_SHA384_LEN;
    case HM_KEY_ED25519:
        break;
    }
    return 0;
}

hm_err
hm_key_sign(struct hm_key *key, const uint8_t *msg, size_t len, enum hm_sig_enc enc, uint8_t **sig,
            size_t *sig_len)
{
    uint8_t dg[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    const EVP_MD *md;

    *sig = NULL;
    *sig_len = 0;
    if (key == NULL || (msg == NULL && len > 0) || (enc != HM_SIG_DER && enc != HM_SIG_RAW)) {
        return HM_E_INVALID;
    }
    if (key->alg == HM_KEY_ED25519) {
        /* pure Ed25519: the token signs the whole message */
        return sign_input(key, msg != NULL ? msg : (const uint8_t *)"", len, enc, sig, sig_len);
    }
    md = key->alg == HM_KEY_EC_P384 ? EVP_sha384() : EVP_sha256();
    if (EVP_Digest(msg != NULL ? msg : (const uint8_t *)"", len, dg, &dlen, md, NULL) != 1 ||
        dlen != digest_len(key->alg)) {
        return HM_E_INTERNAL;
    }
    return sign_input(key, dg, dlen, enc, sig, sig_len);
}

hm_err
hm_key_sign_digest(struct hm_key *key, const uint8_t *digest, size_t len, enum hm_sig_enc enc,
                   uint8_t **sig, size_t *sig_len)
{
    *sig = NULL;
    *sig_len = 0;
    if (key == NULL || digest == NULL || (enc != HM_SIG_DER && enc != HM_SIG_RAW)) {
        return HM_E_INVALID;
    }
    if (key->alg == HM_KEY_ED25519) {
        hm_error("hsm: key '%s' is Ed25519, which signs messages, not digests", key->label);
        return HM_E_INVALID;
    }
    if (len != digest_len(key->alg)) {
        hm_error("hsm: digest of %zu bytes for a %s key (want %zu)", len, hm_key_alg_name(key->alg),
                 digest_len(key->alg));
        return HM_E_INVALID;
    }
    return sign_input(key, digest, len, enc, sig, sig_len);
}

enum hm_key_alg
hm_key_alg(const struct hm_key *key)
{
    return key->alg;
}

void
hm_key_spki(const struct hm_key *key, const uint8_t **der, size_t *len)
{
    *der = key->spki;
    *len = key->spki_len;
}

const char *
hm_key_id(const struct hm_key *key)
{
    return key->id;
}

const char *
hm_key_label(const struct hm_key *key)
{
    return key->label;
}

const char *
hm_key_id_hex(const struct hm_key *key)
{
    return key->id_hex;
}

const char *
hm_key_uri(const struct hm_key *key)
{
    return key->uri;
}

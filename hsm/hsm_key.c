/*
 * hsm_key.c: the generic key object and the OpenSSL encodings around it: SPKI DER
 * from a token's raw public key parts (so the key id is the same whatever the token
 * returns), and ECDSA r||s to DER.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "hsm_int.h"

static size_t
alg_sig_max(enum hm_key_alg alg)
{
    switch (alg) {
    case HM_KEY_EC_P256:
        return 64;
    case HM_KEY_EC_P384:
        return 96;
    case HM_KEY_ED25519:
        return 64;
    case HM_KEY_RSA3072_PSS:
        return 384;
    }
    return 0;
}

static char *
dup_str(const char *s)
{
    return strdup(s != NULL ? s : "");
}

hm_err
hm_key_new(struct hm_hsm *hsm, enum hm_key_alg alg, const uint8_t *spki, size_t spki_len,
           const char *label, const uint8_t *ckid, size_t ckid_len, const char *uri,
           struct hm_key **out)
{
    uint8_t dg[HM_SHA256_LEN];
    struct hm_key *k = NULL;
    hm_err err = HM_E_NOMEM;

    *out = NULL;
    if (alg_sig_max(alg) == 0 || spki_len == 0 || ckid_len > HM_P11_ID_MAX) {
        return HM_E_INVALID;
    }
    if ((k = calloc(1, sizeof(*k))) == NULL) {
        return HM_E_NOMEM;
    }
    k->hsm = hsm;
    k->alg = alg;
    k->sig_max = alg_sig_max(alg);
    if ((k->spki = malloc(spki_len)) == NULL || (k->label = dup_str(label)) == NULL ||
        (k->uri = dup_str(uri)) == NULL || (k->id_hex = malloc(2 * ckid_len + 1)) == NULL ||
        (ckid_len > 0 && (k->ckid = malloc(ckid_len)) == NULL)) {
        goto out;
    }
    memcpy(k->spki, spki, spki_len);
    k->spki_len = spki_len;
    if (ckid_len > 0) {
        memcpy(k->ckid, ckid, ckid_len);
    }
    k->ckid_len = ckid_len;
    hm_hex_encode(ckid, ckid_len, k->id_hex);
    hm_sha256(spki, spki_len, dg);
    if ((err = hm_b64_encode(dg, sizeof(dg), &k->id)) != HM_OK) {
        goto out;
    }
    *out = k;
    k = NULL; /* the caller owns it now */
out:
    hm_key_discard(k);
    return err;
}

void
hm_key_discard(struct hm_key *key)
{
    if (key == NULL) {
        return;
    }
    if (key->be != NULL && key->hsm != NULL && key->hsm->ops->key_free != NULL) {
        key->hsm->ops->key_free(key);
    }
    free(key->spki);
    free(key->id);
    free(key->label);
    free(key->id_hex);
    free(key->uri);
    free(key->ckid);
    free(key);
}

struct hm_key *
hm_key_register(struct hm_hsm *hsm, struct hm_key *key)
{
    for (struct hm_key *k = hsm->keys; k != NULL; k = k->next) {
        if (k->alg == key->alg && strcmp(k->label, key->label) == 0 &&
            k->ckid_len == key->ckid_len &&
            (k->ckid_len == 0 || memcmp(k->ckid, key->ckid, k->ckid_len) == 0) &&
            k->spki_len == key->spki_len && memcmp(k->spki, key->spki, k->spki_len) == 0) {
            hm_key_discard(key);
            return k;
        }
    }
    key->next = hsm->keys;
    hsm->keys = key;
    return key;
}

static hm_err
pkey_to_spki(EVP_PKEY *pkey, uint8_t **out, size_t *out_len)
{
    unsigned char *der = NULL;
    int n;

    if ((n = i2d_PUBKEY(pkey, &der)) <= 0) {
        return HM_E_INTERNAL;
    }
    if ((*out = malloc((size_t)n)) == NULL) {
        OPENSSL_free(der);
        return HM_E_NOMEM;
    }
    memcpy(*out, der, (size_t)n);
    *out_len = (size_t)n;
    OPENSSL_free(der);
    return HM_OK;
}

/* EVP_PKEY_fromdata checks that an EC point is on the curve (EC_POINT_oct2point). */
static hm_err
pkey_from_params(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out)
{
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    hm_err err = HM_E_INVALID;

    *out = NULL;
    if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    if (EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        goto out;
    }
    err = HM_OK;
out:
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);
    return err;
}

hm_err
hm_spki_from_ec(enum hm_key_alg alg, const uint8_t *point, size_t len, uint8_t **out,
                size_t *out_len)
{
    OSSL_PARAM_BLD *bld = NULL;
    EVP_PKEY *pkey = NULL;
    hm_err err = HM_E_INVALID;

    *out = NULL;
    *out_len = 0;
    if (alg == HM_KEY_ED25519) {
        if (len != 32 ||
            (pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, point, len)) == NULL) {
            return HM_E_INVALID;
        }
    } else {
        size_t want = alg == HM_KEY_EC_P256 ? 65 : 97;
        if ((alg != HM_KEY_EC_P256 && alg != HM_KEY_EC_P384) || len != want || point[0] != 4) {
            return HM_E_INVALID; /* uncompressed points only */
        }
        if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
            OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                            alg == HM_KEY_EC_P256 ? "P-256" : "P-384", 0) != 1 ||
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, len) != 1) {
            err = HM_E_NOMEM;
            goto out;
        }
        if ((err = pkey_from_params("EC", bld, &pkey)) != HM_OK) {
            goto out;
        }
    }
    err = pkey_to_spki(pkey, out, out_len);
out:
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_free(pkey);
    return err;
}

hm_err
hm_spki_from_rsa(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len, uint8_t **out,
                 size_t *out_len)
{
    OSSL_PARAM_BLD *bld = NULL;
    BIGNUM *bn = NULL, *be = NULL;
    EVP_PKEY *pkey = NULL;
    hm_err err = HM_E_NOMEM;

    *out = NULL;
    *out_len = 0;
    if (n_len == 0 || n_len > 1024 || e_len == 0 || e_len > 8) {
        return HM_E_INVALID;
    }
    if ((bn = BN_bin2bn(n, (int)n_len, NULL)) == NULL ||
        (be = BN_bin2bn(e, (int)e_len, NULL)) == NULL || (bld = OSSL_PARAM_BLD_new()) == NULL ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1) {
        goto out;
    }
    if ((err = pkey_from_params("RSA", bld, &pkey)) == HM_OK) {
        err = pkey_to_spki(pkey, out, out_len);
    }
out:
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    EVP_PKEY_free(pkey);
    return err;
}

hm_err
hm_ecdsa_raw_to_der(const uint8_t *raw, size_t len, uint8_t **out, size_t *out_len)
{
    ECDSA_SIG *sig = NULL;
    BIGNUM *r = NULL, *s = NULL;
    unsigned char *der = NULL;
    hm_err err = HM_E_BACKEND;
    int n;

    *out = NULL;
    *out_len = 0;
    if (len == 0 || len % 2 != 0 || len > 132) {
        return HM_E_BACKEND;
    }
    if ((sig = ECDSA_SIG_new()) == NULL || (r = BN_bin2bn(raw, (int)(len / 2), NULL)) == NULL ||
        (s = BN_bin2bn(raw + len / 2, (int)(len / 2), NULL)) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    if (BN_is_zero(r) || BN_is_zero(s)) {
        goto out; /* not a signature: the token misbehaved */
    }
    if (ECDSA_SIG_set0(sig, r, s) != 1) {
        goto out;
    }
    r = s = NULL; /* sig owns them now */
    if ((n = i2d_ECDSA_SIG(sig, &der)) <= 0) {
        goto out;
    }
    if ((*out = malloc((size_t)n)) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    memcpy(*out, der, (size_t)n);
    *out_len = (size_t)n;
    err = HM_OK;
out:
    OPENSSL_free(der);
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return err;
}

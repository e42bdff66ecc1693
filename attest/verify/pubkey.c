/*
 * pubkey.c: trusted public keys for libhallmark-verify.
 *
 * Four algorithms only (enum hm_key_alg): P-256 and P-384 ECDSA (named curve,
 * uncompressed point), Ed25519, and RSA of 3072 to 8192 bits used with RSASSA-PSS.
 * The SPKI DER must be the one canonical encoding of the key, because the key id is
 * SHA-256 over those bytes: two encodings of one key must not give two ids.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "verify_int.h"

#define PEM_MAX_BYTES  (16u << 10)
#define SPKI_MAX_BYTES 2048u
#define RSA_MIN_BITS   3072
#define RSA_MAX_BITS   8192 /* a signature must fit HM_MAX_SIG_BYTES */
#define PSS_SALT_LEN   32

struct hm_pubkey {
    EVP_PKEY *pkey;
    enum hm_key_alg alg;
    uint8_t *spki;
    size_t spki_len;
    char keyid[48]; /* base64 of 32 bytes: 44 characters */
};

/* The fixed DER prefix of a named-curve, uncompressed-point SPKI (RFC 5480). */
static const uint8_t P256_PREFIX[] = { 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04 };
static const uint8_t P384_PREFIX[] = { 0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                       0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
                                       0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00, 0x04 };

void
hm_pubkey_free(struct hm_pubkey *pk)
{
    if (pk == NULL) {
        return;
    }
    EVP_PKEY_free(pk->pkey);
    free(pk->spki);
    free(pk);
}

static bool
has_prefix(const uint8_t *der, size_t len, const uint8_t *prefix, size_t plen, size_t total)
{
    return len == total && memcmp(der, prefix, plen) == 0;
}

/* Decides the algorithm from the key and its exact DER; HM_E_INVALID for anything else. */
static hm_err
classify(EVP_PKEY *pkey, const uint8_t *der, size_t len, enum hm_key_alg *out)
{
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_EC:
        if (has_prefix(der, len, P256_PREFIX, sizeof(P256_PREFIX), 91)) {
            *out = HM_KEY_EC_P256;
            return HM_OK;
        }
        if (has_prefix(der, len, P384_PREFIX, sizeof(P384_PREFIX), 120)) {
            *out = HM_KEY_EC_P384;
            return HM_OK;
        }
        return HM_E_INVALID; /* other curve, explicit parameters or compressed point */
    case EVP_PKEY_ED25519:
        *out = HM_KEY_ED25519;
        return HM_OK;
    case EVP_PKEY_RSA: {
        int bits = EVP_PKEY_get_bits(pkey);

        if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
            return HM_E_INVALID;
        }
        *out = HM_KEY_RSA3072_PSS;
        return HM_OK;
    }
    default:
        return HM_E_INVALID; /* also RSASSA-PSS-only keys (id-RSASSA-PSS SPKI) */
    }
}

/* Takes pkey over; fills the canonical SPKI, the algorithm and the key id. */
static hm_err
pubkey_from_evp(EVP_PKEY *pkey, struct hm_pubkey **out)
{
    struct hm_pubkey *pk = NULL;
    uint8_t *der = NULL;
    uint8_t id[HM_SHA256_LEN];
    int der_len;
    hm_err err;

    if ((pk = calloc(1, sizeof(*pk))) == NULL) {
        EVP_PKEY_free(pkey);
        return HM_E_NOMEM;
    }
    pk->pkey = pkey;
    if ((der_len = i2d_PUBKEY(pkey, NULL)) <= 0 || (size_t)der_len > SPKI_MAX_BYTES) {
        err = HM_E_INVALID;
        goto out;
    }
    if ((pk->spki = malloc((size_t)der_len)) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    der = pk->spki;
    if (i2d_PUBKEY(pkey, &der) != der_len) {
        err = HM_E_INTERNAL;
        goto out;
    }
    pk->spki_len = (size_t)der_len;
    if ((err = classify(pkey, pk->spki, pk->spki_len, &pk->alg)) != HM_OK) {
        goto out;
    }
    hm_sha256(pk->spki, pk->spki_len, id);
    if (EVP_EncodeBlock((unsigned char *)pk->keyid, id, (int)sizeof(id)) != 44) {
        err = HM_E_INTERNAL;
        goto out;
    }
    *out = pk;
    pk = NULL; /* the caller owns it now */
out:
    hm_pubkey_free(pk);
    ERR_clear_error();
    return err;
}

hm_err
hm_pubkey_from_spki(const uint8_t *der, size_t len, struct hm_pubkey **out)
{
    const unsigned char *p = der;
    EVP_PKEY *pkey = NULL;
    struct hm_pubkey *pk = NULL;
    hm_err err;

    *out = NULL;
    if (der == NULL || len == 0 || len > SPKI_MAX_BYTES) {
        return len > SPKI_MAX_BYTES ? HM_E_LIMIT : HM_E_INVALID;
    }
    pkey = d2i_PUBKEY(NULL, &p, (long)len);
    if (pkey == NULL || p != der + len) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        return HM_E_INVALID; /* not DER, or bytes after it */
    }
    if ((err = pubkey_from_evp(pkey, &pk)) != HM_OK) {
        return err;
    }
    /* Only the canonical encoding: the key id is a hash of these exact bytes. */
    if (pk->spki_len != len || memcmp(pk->spki, der, len) != 0) {
        hm_pubkey_free(pk);
        return HM_E_INVALID;
    }
    *out = pk;
    return HM_OK;
}

hm_err
hm_pubkey_from_pem(const void *pem, size_t len, struct hm_pubkey **out)
{
    BIO *bio = NULL;
    EVP_PKEY *pkey = NULL;
    char *rest = NULL;
    long rest_len;

    *out = NULL;
    if (pem == NULL || len == 0) {
        return HM_E_INVALID;
    }
    if (len > PEM_MAX_BYTES) {
        return HM_E_LIMIT;
    }
    if (memchr(pem, '\0', len) != NULL) {
        return HM_E_INVALID;
    }
    if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
        return HM_E_NOMEM;
    }
    pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL); /* "BEGIN PUBLIC KEY" only */
    rest_len = BIO_get_mem_data(bio, &rest);
    /* One key per text: a second PEM block would be silently ignored otherwise. */
    if (pkey != NULL && rest_len > 0 && memmem(rest, (size_t)rest_len, "-----BEGIN", 10) != NULL) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    BIO_free(bio);
    if (pkey == NULL) {
        ERR_clear_error();
        return HM_E_INVALID;
    }
    return pubkey_from_evp(pkey, out);
}

enum hm_key_alg
hm_pubkey_alg(const struct hm_pubkey *pk)
{
    return pk->alg;
}

const char *
hm_pubkey_keyid(const struct hm_pubkey *pk)
{
    return pk->keyid;
}

void
hm_pubkey_spki(const struct hm_pubkey *pk, const uint8_t **der, size_t *len)
{
    *der = pk->spki;
    *len = pk->spki_len;
}

hm_err
hm_pubkey_to_pem(const struct hm_pubkey *pk, char **out)
{
    BIO *bio = NULL;
    char *data = NULL;
    char *text = NULL;
    long n;
    hm_err err = HM_E_NOMEM;

    *out = NULL;
    if ((bio = BIO_new(BIO_s_mem())) == NULL) {
        goto out;
    }
    if (PEM_write_bio_PUBKEY(bio, pk->pkey) != 1) {
        err = HM_E_INTERNAL;
        goto out;
    }
    if ((n = BIO_get_mem_data(bio, &data)) <= 0 || (text = malloc((size_t)n + 1)) == NULL) {
        goto out;
    }
    memcpy(text, data, (size_t)n);
    text[n] = '\0';
    *out = text;
    err = HM_OK;
out:
    BIO_free(bio);
    ERR_clear_error();
    return err;
}

/* The digest for EVP_DigestVerifyInit: NULL for pure Ed25519. */
static const EVP_MD *
alg_md(enum hm_key_alg alg)
{
    switch (alg) {
    case HM_KEY_EC_P256:
    case HM_KEY_RSA3072_PSS:
        return EVP_sha256();
    case HM_KEY_EC_P384:
        return EVP_sha384();
    case HM_KEY_ED25519:
    default:
        return NULL;
    }
}

hm_err
hm_pubkey_verify(const struct hm_pubkey *pk, const uint8_t *msg, size_t len, const uint8_t *sig,
                 size_t sig_len)
{
    EVP_MD_CTX *ctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    hm_err err = HM_E_VERIFY;

    if (pk == NULL || (msg == NULL && len != 0) || sig == NULL || sig_len == 0 ||
        sig_len > HM_MAX_SIG_BYTES) {
        return HM_E_VERIFY;
    }
    if ((ctx = EVP_MD_CTX_new()) == NULL) {
        return HM_E_NOMEM;
    }
    if (EVP_DigestVerifyInit(ctx, &pctx, alg_md(pk->alg), NULL, pk->pkey) != 1) {
        err = HM_E_INTERNAL;
        goto out;
    }
    if (pk->alg == HM_KEY_RSA3072_PSS &&
        (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1 ||
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, PSS_SALT_LEN) != 1)) {
        err = HM_E_INTERNAL;
        goto out;
    }
    /* OpenSSL's ECDSA verify also insists on the one DER encoding of (r, s). */
    if (EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1) {
        err = HM_OK;
    }
out:
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return err;
}

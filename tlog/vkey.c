/*
 * vkey.c: verifier keys (signed-note "Verifier keys"), key ids and signature checks.
 *
 * Key ids (docs/tlog.md):
 *   Ed25519 (0x01) and Ed25519 cosignatures (0x04): SHA-256(name || "\n" || type || pk32)[:4]
 *   ECDSA (0x02): SHA-256(SPKI DER)[:4], as Sigstore's Rekor computes it and as the C2SP
 *   text describes the transparency-dev/witness form.  This id is not bound to the name, so
 *   an ECDSA vkey's name is what the signature line must carry, not part of the id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tlog_int.h"

#define VKEY_MAX_BYTES 4096
#define COSIG_HEADER   "cosignature/v1\ntime "

struct hm_tlog_verifier {
    char *name;
    uint32_t key_id;
    enum hm_tlog_sigtype type;
    uint8_t *key;
    size_t key_len;
    EVP_PKEY *pkey;
};

static uint32_t
be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

hm_err
hm_tlog_key_id(enum hm_tlog_sigtype type, const char *name, const uint8_t *key, size_t key_len,
               uint32_t *out)
{
    uint8_t digest[HM_TLOG_HASH_LEN];
    uint8_t *buf;
    size_t name_len, n;

    *out = 0;
    if (key == NULL) {
        return HM_E_INVALID;
    }
    if (type == HM_TLOG_SIG_ECDSA) {
        tlog_sha256(key, key_len, digest);
        *out = be32(digest);
        return HM_OK;
    }
    if ((type != HM_TLOG_SIG_ED25519 && type != HM_TLOG_SIG_COSIG_ED25519) || name == NULL ||
        key_len != 32) {
        return HM_E_INVALID;
    }
    name_len = strlen(name);
    if (!hm_tlog_name_valid(name, name_len)) {
        return HM_E_INVALID;
    }
    n = name_len + 2 + key_len;
    if ((buf = malloc(n)) == NULL) {
        return HM_E_NOMEM;
    }
    memcpy(buf, name, name_len);
    buf[name_len] = '\n';
    buf[name_len + 1] = (uint8_t)type;
    memcpy(buf + name_len + 2, key, key_len);
    tlog_sha256(buf, n, digest);
    free(buf);
    *out = be32(digest);
    return HM_OK;
}

/* A P-256 public key in SPKI DER, encoded exactly as OpenSSL would encode it again. */
static hm_err
load_p256(const uint8_t *der, size_t len, EVP_PKEY **out)
{
    const unsigned char *p = der;
    unsigned char *again = NULL;
    char group[32];
    EVP_PKEY *pkey = NULL;
    int n;
    hm_err err = HM_E_INVALID;

    *out = NULL;
    if (len > VKEY_MAX_BYTES || (pkey = d2i_PUBKEY(NULL, &p, (long)len)) == NULL ||
        p != der + len || !EVP_PKEY_is_a(pkey, "EC") ||
        EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       NULL) != 1 ||
        strcmp(group, "prime256v1") != 0) {
        goto out;
    }
    /* The key id hashes these bytes: refuse a second encoding of the same key. */
    if ((n = i2d_PUBKEY(pkey, &again)) < 0 || (size_t)n != len || memcmp(again, der, len) != 0) {
        goto out;
    }
    *out = pkey;
    pkey = NULL; /* the caller owns it now */
    err = HM_OK;
out:
    OPENSSL_free(again);
    EVP_PKEY_free(pkey);
    return err;
}

hm_err
hm_tlog_verifier_new(enum hm_tlog_sigtype type, const char *name, const uint8_t *key,
                     size_t key_len, struct hm_tlog_verifier **out)
{
    struct hm_tlog_verifier *v = NULL;
    hm_err err = HM_E_NOMEM;

    *out = NULL;
    if (name == NULL || key == NULL || !hm_tlog_name_valid(name, strlen(name))) {
        return HM_E_INVALID;
    }
    if ((v = calloc(1, sizeof(*v))) == NULL || (v->name = strdup(name)) == NULL ||
        (v->key = malloc(key_len == 0 ? 1 : key_len)) == NULL) {
        goto out;
    }
    memcpy(v->key, key, key_len);
    v->key_len = key_len;
    v->type = type;
    if ((err = hm_tlog_key_id(type, name, key, key_len, &v->key_id)) != HM_OK) {
        goto out;
    }
    if (type == HM_TLOG_SIG_ECDSA) {
        err = load_p256(key, key_len, &v->pkey);
    } else if ((v->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key, key_len)) ==
               NULL) {
        err = HM_E_INVALID;
    }
    if (err != HM_OK) {
        goto out;
    }
    *out = v;
    v = NULL; /* the caller owns it now */
out:
    hm_tlog_verifier_free(v);
    return err;
}

void
hm_tlog_verifier_free(struct hm_tlog_verifier *v)
{
    if (v == NULL) {
        return;
    }
    EVP_PKEY_free(v->pkey);
    free(v->key);
    free(v->name);
    free(v);
}

hm_err
hm_tlog_verifier_parse(const char *vkey, size_t len, struct hm_tlog_verifier **out)
{
    const char *plus1, *plus2, *end = vkey + len;
    uint8_t id_bytes[4], *raw = NULL;
    char *name = NULL;
    size_t raw_len = 0;
    struct hm_tlog_verifier *v = NULL;
    hm_err err = HM_E_INVALID;

    *out = NULL;
    if (vkey == NULL || len == 0) {
        return HM_E_INVALID;
    }
    if (len > VKEY_MAX_BYTES) {
        return HM_E_LIMIT;
    }
    /* The name has no '+'; the base64 may: split at the first two. */
    if ((plus1 = memchr(vkey, '+', len)) == NULL || end - plus1 < 10 || plus1[9] != '+') {
        return HM_E_INVALID;
    }
    plus2 = plus1 + 9;
    if (!hm_tlog_name_valid(vkey, (size_t)(plus1 - vkey)) || memchr(vkey, '\0', len) != NULL ||
        hm_hex_decode(plus1 + 1, 8, id_bytes, sizeof(id_bytes)) != HM_OK) {
        return HM_E_INVALID;
    }
    if ((name = strndup(vkey, (size_t)(plus1 - vkey))) == NULL) {
        return HM_E_NOMEM;
    }
    if ((err = tlog_b64_decode(plus2 + 1, (size_t)(end - plus2 - 1), &raw, &raw_len)) != HM_OK) {
        goto out;
    }
    if (raw_len < 2 || (raw[0] != HM_TLOG_SIG_ED25519 && raw[0] != HM_TLOG_SIG_ECDSA &&
                        raw[0] != HM_TLOG_SIG_COSIG_ED25519)) {
        err = HM_E_INVALID; /* an unsupported signature type */
        goto out;
    }
    if ((err = hm_tlog_verifier_new((enum hm_tlog_sigtype)raw[0], name, raw + 1, raw_len - 1,
                                    &v)) != HM_OK) {
        goto out;
    }
    if (v->key_id != be32(id_bytes)) {
        err = HM_E_INVALID; /* the id says another key */
        goto out;
    }
    *out = v;
    v = NULL; /* the caller owns it now */
out:
    hm_tlog_verifier_free(v);
    free(raw);
    free(name);
    return err;
}

hm_err
hm_tlog_verifier_format(const struct hm_tlog_verifier *v, char **out)
{
    uint8_t *raw = NULL;
    char *b64 = NULL, *s = NULL;
    size_t n;
    hm_err err;

    *out = NULL;
    if ((raw = malloc(v->key_len + 1)) == NULL) {
        return HM_E_NOMEM;
    }
    raw[0] = (uint8_t)v->type;
    memcpy(raw + 1, v->key, v->key_len);
    if ((err = hm_b64_encode(raw, v->key_len + 1, &b64)) != HM_OK) {
        goto out;
    }
    n = strlen(v->name) + 1 + 8 + 1 + strlen(b64) + 1;
    if ((s = malloc(n)) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    snprintf(s, n, "%s+%08x+%s", v->name, (unsigned)v->key_id, b64);
    *out = s;
out:
    free(raw);
    free(b64);
    return err;
}

const char *
hm_tlog_verifier_name(const struct hm_tlog_verifier *v)
{
    return v->name;
}

uint32_t
hm_tlog_verifier_key_id(const struct hm_tlog_verifier *v)
{
    return v->key_id;
}

enum hm_tlog_sigtype
hm_tlog_verifier_type(const struct hm_tlog_verifier *v)
{
    return v->type;
}

/* EVP_DigestVerify: md NULL for Ed25519 (it hashes internally), SHA-256 for ECDSA. */
static hm_err
evp_verify(EVP_PKEY *pkey, const EVP_MD *md, const uint8_t *msg, size_t len, const uint8_t *sig,
           size_t sig_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    hm_err err = HM_E_VERIFY;

    if (ctx == NULL) {
        return HM_E_NOMEM;
    }
    if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) == 1 &&
        EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1) {
        err = HM_OK;
    }
    EVP_MD_CTX_free(ctx);
    return err;
}

/* tlog-cosignature/v1: sig = u64be(time) || ed25519(sig over header || time || text). */
static hm_err
verify_cosig(const struct hm_tlog_verifier *v, const uint8_t *msg, size_t len, const uint8_t *sig,
             size_t sig_len)
{
    char digits[TLOG_U64_DIGITS + 1];
    uint64_t t = 0;
    uint8_t *buf;
    size_t hl = strlen(COSIG_HEADER), dl, n;
    hm_err err;

    if (sig_len != 8 + 64) {
        return HM_E_VERIFY;
    }
    for (int i = 0; i < 8; i++) {
        t = t << 8 | sig[i];
    }
    if (t > (uint64_t)INT64_MAX) {
        return HM_E_VERIFY; /* "MUST NOT exceed 2^63 - 1" */
    }
    dl = tlog_format_u64(t, digits);
    n = hl + dl + 1 + len;
    if ((buf = malloc(n)) == NULL) {
        return HM_E_NOMEM;
    }
    memcpy(buf, COSIG_HEADER, hl);
    memcpy(buf + hl, digits, dl);
    buf[hl + dl] = '\n';
    memcpy(buf + hl + dl + 1, msg, len);
    err = evp_verify(v->pkey, NULL, buf, n, sig + 8, 64);
    free(buf);
    return err;
}

hm_err
tlog_verifier_check(const struct hm_tlog_verifier *v, const uint8_t *msg, size_t msg_len,
                    const uint8_t *sig, size_t sig_len)
{
    switch (v->type) {
    case HM_TLOG_SIG_ED25519:
        if (sig_len != 64) {
            return HM_E_VERIFY;
        }
        return evp_verify(v->pkey, NULL, msg, msg_len, sig, sig_len);
    case HM_TLOG_SIG_ECDSA:
        return evp_verify(v->pkey, EVP_sha256(), msg, msg_len, sig, sig_len);
    case HM_TLOG_SIG_COSIG_ED25519:
        return verify_cosig(v, msg, msg_len, sig, sig_len);
    }
    return HM_E_INTERNAL;
}

/*
 * keyattest_tpm.c: a bounded big-endian reader for the three TPM structures a key
 * attestation carries (TPMS_ATTEST, TPMT_PUBLIC, TPMT_SIGNATURE; TPM 2.0 Part 2), and the
 * crypto around them (Names, keys, the AK signature) with libcrypto.
 *
 * Written here instead of calling Tss2_MU_*: libhallmark-verify must not link tpm2-tss
 * (a device links libcrypto and cJSON only).  The reader never reads past its buffer,
 * refuses sizes above the TPM's own buffer sizes, algorithms it does not know, and
 * trailing bytes: the bytes a TPM signed have exactly one meaning.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "keyattest_int.h"

struct rd {
    const uint8_t *p;
    size_t len, off;
    bool bad;
};

static uint64_t
rd_n(struct rd *r, size_t n)
{
    uint64_t v = 0;

    if (r->bad || r->len - r->off < n) {
        r->bad = true;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        v = (v << 8) | r->p[r->off + i];
    }
    r->off += n;
    return v;
}

static uint16_t
rd16(struct rd *r)
{
    return (uint16_t)rd_n(r, 2);
}

static uint32_t
rd32(struct rd *r)
{
    return (uint32_t)rd_n(r, 4);
}

/* A TPM2B: u16 size and that many bytes, at most max. */
static void
rd_2b(struct rd *r, size_t max, const uint8_t **out, size_t *out_len)
{
    size_t n = rd16(r);

    *out = NULL;
    *out_len = 0;
    if (r->bad || n > max || r->len - r->off < n) {
        r->bad = true;
        return;
    }
    *out = r->p + r->off;
    *out_len = n;
    r->off += n;
}

static hm_err
rd_done(const struct rd *r)
{
    return !r->bad && r->off == r->len ? HM_OK : HM_E_INVALID;
}

hm_err
ka_attest_parse(const uint8_t *buf, size_t len, struct ka_attest *out)
{
    struct rd r = { buf, len, 0, false };

    memset(out, 0, sizeof(*out));
    if (buf == NULL || len > HM_KEYATT_TPM_MAX) {
        return HM_E_INVALID;
    }
    out->magic = rd32(&r);
    out->type = rd16(&r);
    rd_2b(&r, KA_NAME_MAX, &out->signer, &out->signer_len);
    rd_2b(&r, KA_DATA_MAX, &out->extra, &out->extra_len);
    out->clock = rd_n(&r, 8); /* TPMS_CLOCK_INFO */
    out->reset_count = rd32(&r);
    out->restart_count = rd32(&r);
    out->safe = (uint8_t)rd_n(&r, 1);
    out->firmware = rd_n(&r, 8);
    if (out->type != KA_ST_CERTIFY) {
        return HM_E_INVALID; /* only TPMS_CERTIFY_INFO follows in what we accept */
    }
    rd_2b(&r, KA_NAME_MAX, &out->name, &out->name_len);
    rd_2b(&r, KA_NAME_MAX, &out->qname, &out->qname_len);
    return out->safe > 1 ? HM_E_INVALID : rd_done(&r);
}

/* TPMT_SYM_DEF_OBJECT: NULL, or a block cipher with key bits and a mode. */
static void
rd_sym(struct rd *r, uint16_t *alg)
{
    *alg = rd16(r);
    if (*alg == KA_ALG_NULL) {
        return;
    }
    if (*alg != KA_ALG_AES && *alg != KA_ALG_SM4 && *alg != KA_ALG_CAMELLIA) {
        r->bad = true;
        return;
    }
    (void)rd16(r); /* keyBits */
    (void)rd16(r); /* mode */
}

static void
rd_ecc_parms(struct rd *r, struct ka_public *p)
{
    rd_sym(r, &p->sym_alg);
    p->scheme = rd16(r);
    if (p->scheme != KA_ALG_NULL) {
        p->scheme_hash = rd16(r);
        if (p->scheme == KA_ALG_ECDAA) {
            (void)rd16(r); /* count */
        }
    }
    p->curve = rd16(r);
    p->kdf = rd16(r);
    if (p->kdf != KA_ALG_NULL) {
        (void)rd16(r); /* its hash */
    }
    rd_2b(r, KA_ECC_MAX, &p->x, &p->x_len);
    rd_2b(r, KA_ECC_MAX, &p->y, &p->y_len);
}

static void
rd_rsa_parms(struct rd *r, struct ka_public *p)
{
    rd_sym(r, &p->sym_alg);
    p->scheme = rd16(r);
    if (p->scheme != KA_ALG_NULL && p->scheme != KA_ALG_RSAES) {
        p->scheme_hash = rd16(r); /* RSASSA, RSAPSS, OAEP: a hash; RSAES: nothing */
    }
    p->key_bits = rd16(r);
    p->exponent = rd32(r);
    rd_2b(r, KA_RSA_MAX, &p->n, &p->n_len);
}

hm_err
ka_public_parse(const uint8_t *buf, size_t len, struct ka_public *out)
{
    struct rd r = { buf, len, 0, false };
    const uint8_t *policy;
    size_t policy_len;

    memset(out, 0, sizeof(*out));
    if (buf == NULL || len > HM_KEYATT_TPM_MAX) {
        return HM_E_INVALID;
    }
    out->type = rd16(&r);
    out->name_alg = rd16(&r);
    out->attrs = rd32(&r);
    rd_2b(&r, KA_DIGEST_MAX, &policy, &policy_len);
    if (out->type == KA_ALG_ECC) {
        rd_ecc_parms(&r, out);
    } else if (out->type == KA_ALG_RSA) {
        rd_rsa_parms(&r, out);
    } else {
        return HM_E_INVALID; /* keyed hashes and symmetric ciphers do not sign releases */
    }
    return rd_done(&r);
}

const EVP_MD *
ka_md(uint16_t alg)
{
    switch (alg) {
    case KA_ALG_SHA256:
        return EVP_sha256();
    case KA_ALG_SHA384:
        return EVP_sha384();
    case KA_ALG_SHA512:
        return EVP_sha512();
    default:
        return NULL; /* SHA-1 Names and signatures are not accepted */
    }
}

hm_err
ka_public_name(const struct ka_public *p, const uint8_t *buf, size_t len, uint8_t *out,
               size_t *out_len)
{
    const EVP_MD *md = ka_md(p->name_alg);
    unsigned int dlen = 0;

    *out_len = 0;
    if (md == NULL) {
        return HM_E_INVALID;
    }
    out[0] = (uint8_t)(p->name_alg >> 8);
    out[1] = (uint8_t)p->name_alg;
    if (EVP_Digest(buf, len, out + 2, &dlen, md, NULL) != 1) {
        return HM_E_NOMEM;
    }
    *out_len = 2 + (size_t)dlen;
    return HM_OK;
}

static const char *
curve_name(uint16_t curve, size_t *coord)
{
    if (curve == KA_ECC_NIST_P256) {
        *coord = 32;
        return "P-256";
    }
    if (curve == KA_ECC_NIST_P384) {
        *coord = 48;
        return "P-384";
    }
    return NULL;
}

static hm_err
ec_pkey(const struct ka_public *p, EVP_PKEY **out)
{
    uint8_t pt[1 + 2 * 48] = { 0x04 };
    size_t c = 0;
    const char *group = curve_name(p->curve, &c);
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    hm_err err = HM_E_INVALID;

    if (group == NULL || p->x_len == 0 || p->x_len > c || p->y_len == 0 || p->y_len > c) {
        return HM_E_INVALID;
    }
    memcpy(pt + 1 + c - p->x_len, p->x, p->x_len); /* right-aligned: leading zeros dropped */
    memcpy(pt + 1 + 2 * c - p->y_len, p->y, p->y_len);
    if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * c) != 1 ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    /* fromdata checks that the point is on the curve */
    if (EVP_PKEY_fromdata_init(ctx) == 1 &&
        EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) == 1) {
        err = HM_OK;
    }
out:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    return err;
}

static hm_err
rsa_pkey(const struct ka_public *p, EVP_PKEY **out)
{
    BIGNUM *n = NULL, *e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    hm_err err = HM_E_NOMEM;

    if (p->key_bits < 2048 || p->key_bits > 4096 || p->n_len * 8 != p->key_bits) {
        return HM_E_INVALID;
    }
    if ((n = BN_bin2bn(p->n, (int)p->n_len, NULL)) == NULL || (e = BN_new()) == NULL ||
        BN_set_word(e, p->exponent == 0 ? 65537u : p->exponent) != 1 ||
        (bld = OSSL_PARAM_BLD_new()) == NULL ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL) {
        goto out;
    }
    err = EVP_PKEY_fromdata_init(ctx) == 1 &&
                  EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) == 1
              ? HM_OK
              : HM_E_INVALID;
out:
    BN_free(n);
    BN_free(e);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    return err;
}

hm_err
ka_public_pkey(const struct ka_public *p, EVP_PKEY **out)
{
    *out = NULL;
    return p->type == KA_ALG_ECC ? ec_pkey(p, out) : rsa_pkey(p, out);
}

/* a (a big-endian unsigned integer of alen bytes) == BIGNUM b */
static bool
int_equal(const uint8_t *a, size_t alen, const BIGNUM *b)
{
    BIGNUM *x = BN_bin2bn(a, (int)alen, NULL);
    bool eq = x != NULL && b != NULL && BN_cmp(x, b) == 0;

    BN_free(x);
    return eq;
}

bool
ka_public_matches(const struct ka_public *p, const EVP_PKEY *pkey)
{
    BIGNUM *a = NULL, *b = NULL;
    char group[32] = "";
    size_t c = 0;
    bool ok = false;

    if (p->type == KA_ALG_ECC) {
        const char *want = curve_name(p->curve, &c);
        ok = want != NULL && EVP_PKEY_is_a(pkey, "EC") &&
             EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                            NULL) == 1 &&
             EC_curve_nist2nid(want) == OBJ_sn2nid(group) &&
             EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &a) == 1 &&
             EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &b) == 1 &&
             int_equal(p->x, p->x_len, a) && int_equal(p->y, p->y_len, b);
    } else if (p->type == KA_ALG_RSA && EVP_PKEY_is_a(pkey, "RSA")) {
        uint8_t e[4] = { 0, 1, 0, 1 }; /* 0 in TPMS_RSA_PARMS means 65537 */
        if (p->exponent != 0) {
            e[0] = (uint8_t)(p->exponent >> 24), e[1] = (uint8_t)(p->exponent >> 16);
            e[2] = (uint8_t)(p->exponent >> 8), e[3] = (uint8_t)p->exponent;
        }
        ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &a) == 1 &&
             EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &b) == 1 &&
             int_equal(p->n, p->n_len, a) && int_equal(e, sizeof(e), b);
    }
    BN_free(a);
    BN_free(b);
    return ok;
}

hm_err
ka_signature_parse(const uint8_t *buf, size_t len, struct ka_signature *out)
{
    struct rd r = { buf, len, 0, false };

    memset(out, 0, sizeof(*out));
    if (buf == NULL || len > HM_KEYATT_TPM_MAX) {
        return HM_E_INVALID;
    }
    out->alg = rd16(&r);
    out->hash = rd16(&r);
    if (out->alg == KA_ALG_ECDSA) {
        rd_2b(&r, KA_ECC_MAX, &out->r, &out->r_len);
        rd_2b(&r, KA_ECC_MAX, &out->s, &out->s_len);
    } else if (out->alg == KA_ALG_RSASSA || out->alg == KA_ALG_RSAPSS) {
        rd_2b(&r, KA_RSA_MAX, &out->sig, &out->sig_len);
    } else {
        return HM_E_INVALID;
    }
    return ka_md(out->hash) != NULL ? rd_done(&r) : HM_E_INVALID;
}

static hm_err
ecdsa_der(const struct ka_signature *sig, uint8_t **der, int *der_len)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig->r, (int)sig->r_len, NULL),
           *s = BN_bin2bn(sig->s, (int)sig->s_len, NULL);
    hm_err err = HM_E_NOMEM;

    *der = NULL;
    if (es != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL; /* es owns them now */
        err = (*der_len = i2d_ECDSA_SIG(es, der)) > 0 ? HM_OK : HM_E_NOMEM;
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return err;
}

hm_err
ka_signature_verify(const struct ka_signature *sig, EVP_PKEY *key, const uint8_t *msg, size_t len)
{
    const EVP_MD *md = ka_md(sig->hash);
    uint8_t dg[EVP_MAX_MD_SIZE], *der = NULL;
    unsigned int dlen = 0;
    EVP_PKEY_CTX *ctx = NULL;
    int der_len = 0, rc = 0;
    hm_err err = HM_E_NOMEM;
    bool ec = EVP_PKEY_is_a(key, "EC");

    if (md == NULL || ec != (sig->alg == KA_ALG_ECDSA)) {
        return HM_E_INVALID;
    }
    if (EVP_Digest(msg, len, dg, &dlen, md, NULL) != 1 ||
        (ctx = EVP_PKEY_CTX_new(key, NULL)) == NULL || EVP_PKEY_verify_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx, md) != 1) {
        goto out;
    }
    if (sig->alg == KA_ALG_ECDSA) {
        if ((err = ecdsa_der(sig, &der, &der_len)) != HM_OK) {
            goto out;
        }
        rc = EVP_PKEY_verify(ctx, der, (size_t)der_len, dg, dlen);
    } else {
        if (EVP_PKEY_CTX_set_rsa_padding(ctx, sig->alg == KA_ALG_RSAPSS ? RSA_PKCS1_PSS_PADDING
                                                                        : RSA_PKCS1_PADDING) != 1 ||
            (sig->alg == KA_ALG_RSAPSS &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_AUTO) != 1)) {
            goto out;
        }
        rc = EVP_PKEY_verify(ctx, sig->sig, sig->sig_len, dg, dlen);
    }
    err = rc == 1 ? HM_OK : HM_E_VERIFY;
out:
    OPENSSL_free(der);
    EVP_PKEY_CTX_free(ctx);
    return err;
}

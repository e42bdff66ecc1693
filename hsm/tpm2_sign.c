/*
 * tpm2_sign.c: signing with Esys_Sign, and the check that every signature verifies
 * before it leaves.
 *
 * hsm.c hashes on the host (DSSE PAE, artifacts, anything) and hands us the digest, so
 * the TPM signs a TPM2B_DIGEST with a NULL hash-check ticket, which an unrestricted key
 * accepts.  ECDSA comes back as r and s (each right-aligned into 32 bytes: the TPM drops
 * leading zeros), RSASSA-PSS as the 384 signature bytes (libtpms uses a salt as long as
 * the digest, 32, which is what our verifier expects).
 *
 * The check: after a reconnect, a flushed object, or a persistent handle re-used for
 * another key, a handle could point at the wrong key.  Verifying on the host with the
 * public key we hold costs a P-256 verify (tens of microseconds, outside the lock) and
 * makes "never a wrong signature" a property rather than a hope.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "tpm2_int.h"

struct sign_ctx {
    struct hm_key *key;
    const uint8_t *dg;
    size_t len;
    uint8_t *sig; /* key->sig_max bytes */
    size_t sig_len;
};

static TSS2_RC
copy_sig(const struct hm_key *key, const TPMT_SIGNATURE *s, struct sign_ctx *c)
{
    if (key->alg == HM_KEY_EC_P256) {
        const TPMS_SIGNATURE_ECC *e = &s->signature.ecdsa;
        if (s->sigAlg != TPM2_ALG_ECDSA || e->signatureR.size == 0 || e->signatureR.size > 32 ||
            e->signatureS.size == 0 || e->signatureS.size > 32) {
            return TPM2_HM_RC_BAD_OUTPUT;
        }
        memset(c->sig, 0, 64);
        memcpy(c->sig + 32 - e->signatureR.size, e->signatureR.buffer, e->signatureR.size);
        memcpy(c->sig + 64 - e->signatureS.size, e->signatureS.buffer, e->signatureS.size);
        c->sig_len = 64;
        return TSS2_RC_SUCCESS;
    }
    if (s->sigAlg != TPM2_ALG_RSAPSS || s->signature.rsapss.sig.size != 384) {
        return TPM2_HM_RC_BAD_OUTPUT;
    }
    memcpy(c->sig, s->signature.rsapss.sig.buffer, 384);
    c->sig_len = 384;
    return TSS2_RC_SUCCESS;
}

static TSS2_RC
sign_op(struct tpm2_hsm *h, void *vctx)
{
    struct sign_ctx *c = vctx;
    TPMT_TK_HASHCHECK ticket = { .tag = TPM2_ST_HASHCHECK, .hierarchy = TPM2_RH_NULL };
    TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_ECDSA };
    TPMT_SIGNATURE *s = NULL;
    TPM2B_DIGEST d = { 0 };
    ESYS_TR tr;
    TSS2_RC rc;

    if ((rc = tpm2_key_ready(h, c->key, &tr)) != TSS2_RC_SUCCESS) {
        return rc;
    }
    if (c->key->alg == HM_KEY_RSA3072_PSS) {
        scheme.scheme = TPM2_ALG_RSAPSS;
        scheme.details.rsapss.hashAlg = TPM2_ALG_SHA256;
    } else {
        scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    }
    d.size = (UINT16)c->len;
    memcpy(d.buffer, c->dg, c->len);
    if ((rc = tpm2_auth_set(h, tr, h->auth)) != TSS2_RC_SUCCESS) {
        return rc;
    }
    rc = Esys_Sign(h->esys, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &d, &scheme, &ticket,
                   &s);
    tpm2_auth_clear(h, tr);
    if (rc == TSS2_RC_SUCCESS) {
        rc = copy_sig(c->key, s, c);
    }
    Esys_Free(s);
    return rc;
}

/* ECDSA r||s to DER for EVP_PKEY_verify. */
static bool
ecdsa_der(const uint8_t *raw, uint8_t **der, int *der_len)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
    bool ok = false;

    *der = NULL;
    if (es != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL; /* es owns them now */
        ok = (*der_len = i2d_ECDSA_SIG(es, der)) > 0;
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return ok;
}

static bool
host_verify(const struct hm_key *key, const uint8_t *dg, size_t len, const uint8_t *sig,
            size_t sig_len)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(tpm2_key_of((struct hm_key *)key)->pkey, NULL);
    uint8_t *der = NULL;
    int der_len = 0;
    bool ok = false;

    if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1) {
        goto out;
    }
    if (key->alg == HM_KEY_RSA3072_PSS) {
        if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32) != 1) {
            goto out;
        }
        ok = EVP_PKEY_verify(ctx, sig, sig_len, dg, len) == 1;
    } else if (sig_len == 64 && ecdsa_der(sig, &der, &der_len)) {
        ok = EVP_PKEY_verify(ctx, der, (size_t)der_len, dg, len) == 1;
    }
out:
    OPENSSL_free(der);
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

hm_err
tpm2_op_sign(struct hm_key *key, const uint8_t *in, size_t len, uint8_t *sig, size_t *sig_len)
{
    struct tpm2_hsm *h = tpm2_of(key->hsm);
    struct sign_ctx c = { .key = key, .dg = in, .len = len, .sig = sig };
    hm_err err;

    *sig_len = 0;
    if (len != HM_SHA256_LEN) {
        return HM_E_INVALID;
    }
    if ((err = tpm2_run(h, sign_op, &c, TPM2_RUN_SIGN, "sign")) != HM_OK) {
        return err;
    }
    if (!host_verify(key, in, len, sig, c.sig_len)) {
        /* never handed out; the next call reloads the key from scratch */
        hm_error("hsm: tpm2: the TPM's signature with key '%s' does not verify with its public "
                 "key; dropped",
                 key->label);
        OPENSSL_cleanse(sig, key->sig_max);
        pthread_mutex_lock(&h->lock);
        tpm2_key_of(key)->gen = 0;
        if (h->loaded == key) {
            tpm2_unload_cached(h);
        }
        pthread_mutex_unlock(&h->lock);
        __atomic_fetch_sub(&h->sign_ok, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&h->sign_errors, 1, __ATOMIC_RELAXED);
        return HM_E_BACKEND;
    }
    *sig_len = c.sig_len;
    return HM_OK;
}

/* What PKCS#11's key attributes mean, read from TPMA_OBJECT (docs/tpm.md). */
hm_err
tpm2_op_get_attrs(struct hm_key *key, struct hm_key_attrs *out)
{
    TPMA_OBJECT a = tpm2_key_of(key)->pub.publicArea.objectAttributes;
    bool fixed = (a & TPMA_OBJECT_FIXEDTPM) != 0 && (a & TPMA_OBJECT_FIXEDPARENT) != 0;
    bool origin = (a & TPMA_OBJECT_SENSITIVEDATAORIGIN) != 0;

    out->token = true;
    out->private_ = true;
    out->sensitive = true; /* a TPM never returns a sensitive area in the clear */
    out->always_sensitive = origin;
    out->extractable = !fixed;
    out->never_extractable = fixed;
    out->local = origin;
    return HM_OK;
}

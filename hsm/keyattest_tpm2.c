/*
 * keyattest_tpm2.c: key-attestation evidence from a TPM: TPM2_Certify of the key by our
 * attestation key, the EK certificate from NV, and credential activation for enrolment
 * (docs/key-attestation.md).
 *
 * The AK is a restricted ECDSA P-256 primary of the endorsement hierarchy, created from a
 * fixed template each time: the same TPM gives the same AK (a verifier can pin it after
 * enrolment), nothing is stored, and the TPMS_ATTEST clock fields are not obfuscated (they
 * are for signers outside the endorsement and platform hierarchies).  Slots: everything of
 * ours is flushed first, then at most three objects are loaded (primary, key, AK); a
 * persistent key briefly takes a slot of its own while it is used.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>

#include "tpm2_int.h"

/* TCG EK Credential Profile NV indices, ECC first (activation needs an ECC EK). */
static const TPM2_HANDLE ek_cert_indices[] = { 0x01c00016, 0x01c0000a, 0x01c00014, 0x01c00002 };
#define EK_PERSIST_FIRST 0x81010000u /* TCG: EKs live at 0x81010000..0x810100ff */
#define NV_CHUNK         512

static hm_err
copy_bytes(struct hm_keyatt_bytes *b, const uint8_t *data, size_t len)
{
    if (len == 0 || (b->data = malloc(len)) == NULL) {
        return len == 0 ? HM_E_BACKEND : HM_E_NOMEM;
    }
    memcpy(b->data, data, len);
    b->len = len;
    return HM_OK;
}

/* The AK: created in the scratch slot, flushed by the caller. */
TSS2_RC
tpm2_create_ak(struct tpm2_hsm *h, ESYS_TR *ak, TPM2B_PUBLIC **pub)
{
    TPM2B_SENSITIVE_CREATE sens = { 0 };
    TPM2B_DATA outside = { 0 };
    TPML_PCR_SELECTION pcrs = { 0 };
    TPM2B_PUBLIC tmpl;
    TPM2B_CREATION_DATA *cdata = NULL;
    TPM2B_DIGEST *chash = NULL;
    TPMT_TK_CREATION *ticket = NULL;
    TSS2_RC rc;

    tpm2_template_ak(&tmpl);
    if ((rc = tpm2_auth_set(h, ESYS_TR_RH_ENDORSEMENT, h->endorsement_auth)) != 0) {
        return rc;
    }
    rc = Esys_CreatePrimary(h->esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                            ESYS_TR_NONE, &sens, &tmpl, &outside, &pcrs, ak, pub, &cdata, &chash,
                            &ticket);
    tpm2_auth_clear(h, ESYS_TR_RH_ENDORSEMENT);
    Esys_Free(cdata);
    Esys_Free(chash);
    Esys_Free(ticket);
    return rc;
}

struct certify_ctx {
    struct hm_key *key; /* or, for tests, a raw persistent handle: */
    TPM2_HANDLE handle;
    TPMT_PUBLIC handle_pub;
    const uint8_t *nonce;
    size_t nonce_len;
    struct hm_keyatt *ka;
    hm_err err;
};

static TSS2_RC
resolve_target(struct tpm2_hsm *h, struct certify_ctx *c, ESYS_TR *out)
{
    TPM2B_PUBLIC *pub = NULL;
    TPM2B_NAME *name = NULL, *qname = NULL;
    TSS2_RC rc;

    if (c->key != NULL) {
        return tpm2_key_ready(h, c->key, out);
    }
    if ((rc = Esys_TR_FromTPMPublic(h->esys, c->handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                    out)) != 0) {
        return rc;
    }
    if ((rc = Esys_ReadPublic(h->esys, *out, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name,
                              &qname)) == 0) {
        c->handle_pub = pub->publicArea;
    }
    Esys_Free(pub);
    Esys_Free(name);
    Esys_Free(qname);
    return rc;
}

static hm_err
fill_certify(struct certify_ctx *c, const TPM2B_ATTEST *info, const TPMT_SIGNATURE *sig,
             const TPMT_PUBLIC *ak, const TPMT_PUBLIC *key)
{
    uint8_t buf[sizeof(TPMT_PUBLIC) + sizeof(TPMT_SIGNATURE)];
    struct hm_keyatt_tpm2 *t = &c->ka->tpm2;
    size_t off = 0;
    hm_err err;

    if ((err = copy_bytes(&t->certify_info, info->attestationData, info->size)) != HM_OK) {
        return err;
    }
    if (Tss2_MU_TPMT_SIGNATURE_Marshal(sig, buf, sizeof(buf), &off) != 0 ||
        (err = copy_bytes(&t->signature, buf, off)) != HM_OK) {
        return err != HM_OK ? err : HM_E_BACKEND;
    }
    off = 0;
    if (Tss2_MU_TPMT_PUBLIC_Marshal(ak, buf, sizeof(buf), &off) != 0 ||
        (err = copy_bytes(&t->ak_public, buf, off)) != HM_OK) {
        return err != HM_OK ? err : HM_E_BACKEND;
    }
    off = 0;
    if (Tss2_MU_TPMT_PUBLIC_Marshal(key, buf, sizeof(buf), &off) != 0 ||
        (err = copy_bytes(&t->key_public, buf, off)) != HM_OK) {
        return err != HM_OK ? err : HM_E_BACKEND;
    }
    return HM_OK;
}

static TSS2_RC
certify_op(struct tpm2_hsm *h, void *vctx)
{
    struct certify_ctx *c = vctx;
    ESYS_TR ak = ESYS_TR_NONE, key = ESYS_TR_NONE;
    TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL }; /* the AK's own: ECDSA SHA-256 */
    TPM2B_PUBLIC *ak_pub = NULL;
    TPM2B_ATTEST *info = NULL;
    TPMT_SIGNATURE *sig = NULL;
    TPM2B_DATA qd = { 0 };
    TSS2_RC rc;

    c->err = HM_OK;
    tpm2_unload_cached(h); /* free slots first (module comment) */
    if (c->key != NULL && tpm2_key_of(c->key)->persistent) {
        tpm2_flush(h, &h->primary);
    }
    if ((rc = resolve_target(h, c, &key)) != 0 || (rc = tpm2_create_ak(h, &ak, &ak_pub)) != 0) {
        goto out;
    }
    qd.size = (UINT16)c->nonce_len;
    memcpy(qd.buffer, c->nonce, c->nonce_len);
    if ((rc = tpm2_auth_set(h, key, h->auth)) != 0) {
        goto out;
    }
    rc = Esys_Certify(h->esys, key, ak, ESYS_TR_PASSWORD, ESYS_TR_PASSWORD, ESYS_TR_NONE, &qd,
                      &scheme, &info, &sig);
    tpm2_auth_clear(h, key);
    if (rc == 0) {
        c->err =
            fill_certify(c, info, sig, &ak_pub->publicArea,
                         c->key != NULL ? &tpm2_key_of(c->key)->pub.publicArea : &c->handle_pub);
    }
out:
    tpm2_flush(h, &ak);
    Esys_Free(ak_pub);
    Esys_Free(info);
    Esys_Free(sig);
    return rc;
}

/* Reads one NV index into b (chunks; the index authorises its own read, else the owner). */
static TSS2_RC
nv_read(struct tpm2_hsm *h, TPM2_HANDLE index, struct hm_keyatt_bytes *b)
{
    ESYS_TR nv = ESYS_TR_NONE;
    TPM2B_NV_PUBLIC *npub = NULL;
    TPM2B_NAME *nname = NULL;
    uint8_t *buf = NULL;
    UINT16 size, off = 0;
    TSS2_RC rc;

    if ((rc = Esys_TR_FromTPMPublic(h->esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                    &nv)) != 0 ||
        (rc = Esys_NV_ReadPublic(h->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &npub,
                                 &nname)) != 0) {
        goto out;
    }
    size = npub->nvPublic.dataSize;
    if (size == 0 || size > HM_KEYATT_CERT_MAX || (buf = malloc(size)) == NULL) {
        rc = size == 0 || size > HM_KEYATT_CERT_MAX ? TPM2_HM_RC_BAD_OUTPUT : TPM2_HM_RC_NOMEM;
        goto out;
    }
    while (off < size) {
        TPM2B_MAX_NV_BUFFER *d = NULL;
        UINT16 n = (UINT16)(size - off > NV_CHUNK ? NV_CHUNK : size - off);
        if ((rc = Esys_NV_Read(h->esys, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, n,
                               off, &d)) != 0 &&
            tpm2_rc_classify(rc) == TPM2_RC_CLASS_FAIL) {
            rc = Esys_NV_Read(h->esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                              ESYS_TR_NONE, n, off, &d);
        }
        if (rc != 0 || d->size != n) {
            rc = rc != 0 ? rc : TPM2_HM_RC_BAD_OUTPUT;
            Esys_Free(d);
            goto out;
        }
        memcpy(buf + off, d->buffer, n);
        off = (UINT16)(off + n);
        Esys_Free(d);
    }
    b->data = buf;
    b->len = size;
    buf = NULL;
out:
    free(buf);
    Esys_Free(npub);
    Esys_Free(nname);
    if (nv != ESYS_TR_NONE) {
        (void)Esys_TR_Close(h->esys, &nv);
    }
    return rc;
}

static TSS2_RC
ek_cert_op(struct tpm2_hsm *h, void *vctx)
{
    struct hm_keyatt_bytes *b = vctx;
    TPMS_CAPABILITY_DATA *cap = NULL;
    TPMI_YES_NO more = TPM2_NO;
    TSS2_RC rc;

    for (size_t i = 0; i < sizeof(ek_cert_indices) / sizeof(ek_cert_indices[0]); i++) {
        bool present;
        rc = Esys_GetCapability(h->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES,
                                ek_cert_indices[i], 1, &more, &cap);
        if (rc != 0) {
            return rc;
        }
        present = cap->data.handles.count == 1 && cap->data.handles.handle[0] == ek_cert_indices[i];
        Esys_Free(cap);
        cap = NULL;
        if (present) {
            rc = nv_read(h, ek_cert_indices[i], b);
            return tpm2_rc_classify(rc) == TPM2_RC_CLASS_FAIL ? 0 : rc; /* absent is allowed */
        }
    }
    return TSS2_RC_SUCCESS;
}

static hm_err
attest_common(struct tpm2_hsm *h, struct certify_ctx *c, struct hm_keyatt **out)
{
    hm_err err;

    *out = NULL;
    if (c->nonce == NULL || c->nonce_len == 0 || c->nonce_len > HM_KEYATT_NONCE_MAX) {
        return HM_E_INVALID;
    }
    if ((c->ka = calloc(1, sizeof(*c->ka))) == NULL) {
        return HM_E_NOMEM;
    }
    c->ka->evidence = HM_KEYATT_TPM2_CERTIFY;
    memcpy(c->ka->nonce, c->nonce, c->nonce_len);
    c->ka->nonce_len = c->nonce_len;
    c->ka->created_at = (int64_t)time(NULL);
    memcpy(c->ka->tpm2.manufacturer, h->manufacturer, sizeof(c->ka->tpm2.manufacturer));
    if ((err = tpm2_run(h, certify_op, c, 0, "certify key")) != HM_OK || (err = c->err) != HM_OK ||
        (err = tpm2_run(h, ek_cert_op, &c->ka->tpm2.ek_cert, 0, "read the EK certificate")) !=
            HM_OK) {
        hm_verify_keyatt_free(c->ka);
        c->ka = NULL;
        return err;
    }
    if (c->ka->tpm2.ek_cert.data == NULL) {
        hm_warn("hsm: tpm2: the TPM holds no EK certificate: the evidence cannot be chained to "
                "a manufacturer");
    }
    *out = c->ka;
    c->ka = NULL; /* the caller owns it now */
    return HM_OK;
}

hm_err
tpm2_attest_key(struct hm_key *key, const uint8_t *nonce, size_t nonce_len, struct hm_keyatt **out)
{
    struct certify_ctx c = { .key = key, .nonce = nonce, .nonce_len = nonce_len };
    struct hm_keyatt *ka = NULL;
    hm_err err;

    *out = NULL;
    if ((err = attest_common(tpm2_of(key->hsm), &c, &ka)) != HM_OK) {
        return err;
    }
    ka->alg = key->alg;
    if ((err = copy_bytes(&ka->spki, key->spki, key->spki_len)) != HM_OK) {
        hm_verify_keyatt_free(ka);
        return err;
    }
    *out = ka;
    return HM_OK;
}

hm_err
tpm2_attest_handle(struct hm_hsm *hsm, uint32_t handle, const uint8_t *nonce, size_t nonce_len,
                   struct hm_keyatt **out)
{
    struct certify_ctx c = { .handle = handle, .nonce = nonce, .nonce_len = nonce_len };

    *out = NULL;
    if (!tpm2_is(hsm)) {
        return HM_E_INVALID;
    }
    return attest_common(tpm2_of(hsm), &c, out);
}

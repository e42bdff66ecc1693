/*
 * keyattest_tpm2_act.c: TPM2_ActivateCredential, the TPM's half of enrolment
 * (docs/key-attestation.md, "Closing the AK-EK gap").
 *
 * The verifier wraps a secret to the EK, bound to our AK's Name
 * (hm_verify_keyatt_make_credential); only this TPM, holding that AK, gets it back.  The EK
 * is found among the persistent endorsement keys (TCG: 0x81010000..0x810100ff) as the ECC
 * restricted-decrypt key whose curve matches the challenge.  We authorise it with its
 * (empty) auth value, which the TCG high-range EK templates allow (userWithAuth); low-range
 * EKs demand a PolicySecret session, which is not implemented: they give HM_E_INVALID.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>

#include "tpm2_int.h"

#define EK_FIRST 0x81010000u
#define EK_COUNT 256u

struct act_ctx {
    TPM2B_ID_OBJECT blob;
    TPM2B_ENCRYPTED_SECRET secret;
    size_t coord; /* curve size the challenge was made for */
    TPM2B_DIGEST out;
    hm_err err;
};

/* A persistent ECC EK of the challenge's curve that allows password auth. */
static TSS2_RC
find_ek(struct tpm2_hsm *h, struct act_ctx *c, ESYS_TR *out)
{
    TPMS_CAPABILITY_DATA *cap = NULL;
    TPMI_YES_NO more = TPM2_NO;
    TSS2_RC rc;
    const TPMA_OBJECT need = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
                             TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_FIXEDTPM;

    *out = ESYS_TR_NONE;
    if ((rc = Esys_GetCapability(h->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                 TPM2_CAP_HANDLES, EK_FIRST, EK_COUNT, &more, &cap)) != 0) {
        return rc;
    }
    for (UINT32 i = 0; i < cap->data.handles.count && *out == ESYS_TR_NONE; i++) {
        TPM2_HANDLE hd = cap->data.handles.handle[i];
        TPM2B_PUBLIC *pub = NULL;
        TPM2B_NAME *n = NULL, *q = NULL;
        ESYS_TR tr = ESYS_TR_NONE;
        if (hd >= EK_FIRST + EK_COUNT ||
            Esys_TR_FromTPMPublic(h->esys, hd, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr) !=
                0) {
            continue;
        }
        if (Esys_ReadPublic(h->esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &n, &q) ==
                0 &&
            pub->publicArea.type == TPM2_ALG_ECC &&
            (pub->publicArea.objectAttributes & need) == need &&
            pub->publicArea.unique.ecc.x.size == c->coord) {
            *out = tr; /* persistent ESYS_TRs are the context's (tpm2_int.h) */
        }
        Esys_Free(pub);
        Esys_Free(n);
        Esys_Free(q);
    }
    Esys_Free(cap);
    return TSS2_RC_SUCCESS;
}

static TSS2_RC
act_op(struct tpm2_hsm *h, void *vctx)
{
    struct act_ctx *c = vctx;
    ESYS_TR ak = ESYS_TR_NONE, ek = ESYS_TR_NONE;
    TPM2B_PUBLIC *ak_pub = NULL;
    TPM2B_DIGEST *cert = NULL;
    TSS2_RC rc;

    c->err = HM_OK;
    tpm2_unload_cached(h);
    tpm2_flush(h, &h->primary); /* the EK takes a slot while it is used */
    if ((rc = find_ek(h, c, &ek)) != 0) {
        return rc;
    }
    if (ek == ESYS_TR_NONE) {
        hm_error("hsm: tpm2: no persistent ECC EK with password authorisation for a P-%zu "
                 "challenge",
                 c->coord * 8);
        c->err = HM_E_INVALID;
        return TSS2_RC_SUCCESS;
    }
    if ((rc = tpm2_create_ak(h, &ak, &ak_pub)) == 0) {
        rc = Esys_ActivateCredential(h->esys, ak, ek, ESYS_TR_PASSWORD, ESYS_TR_PASSWORD,
                                     ESYS_TR_NONE, &c->blob, &c->secret, &cert);
    }
    if (rc == 0) {
        c->out = *cert;
        OPENSSL_cleanse(cert, sizeof(*cert));
    } else if (tpm2_rc_classify(rc) == TPM2_RC_CLASS_FAIL) {
        /* TPM_RC_INTEGRITY and friends: the challenge was not made for this TPM and AK */
        hm_error("hsm: tpm2: the TPM refused the challenge: %s", tpm2_rc_text(rc));
        c->err = HM_E_VERIFY;
        rc = TSS2_RC_SUCCESS;
    }
    Esys_Free(cert);
    Esys_Free(ak_pub);
    tpm2_flush(h, &ak);
    return rc;
}

/* TPM2B_ID_OBJECT || TPM2B_ENCRYPTED_SECRET(TPMS_ECC_POINT), exactly. */
static hm_err
parse_challenge(const uint8_t *in, size_t len, struct act_ctx *c)
{
    size_t off = 0, pt = 0;
    TPMS_ECC_POINT q;

    if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(in, len, &off, &c->blob) != 0 ||
        Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(in, len, &off, &c->secret) != 0 || off != len ||
        Tss2_MU_TPMS_ECC_POINT_Unmarshal(c->secret.secret, c->secret.size, &pt, &q) != 0 ||
        pt != c->secret.size || q.x.size != q.y.size || (q.x.size != 32 && q.x.size != 48)) {
        hm_error("hsm: tpm2: not a credential challenge for an ECC EK");
        return HM_E_INVALID;
    }
    c->coord = q.x.size;
    return HM_OK;
}

hm_err
tpm2_activate(struct hm_hsm *hsm, const uint8_t *challenge, size_t len, struct hm_secret **out)
{
    struct act_ctx *c = NULL;
    hm_err err;

    *out = NULL;
    if (!tpm2_is(hsm) || challenge == NULL) {
        return HM_E_INVALID;
    }
    if ((c = calloc(1, sizeof(*c))) == NULL) {
        return HM_E_NOMEM;
    }
    if ((err = parse_challenge(challenge, len, c)) != HM_OK ||
        (err = tpm2_run(tpm2_of(hsm), act_op, c, TPM2_RUN_NO_RETRY, "activate credential")) !=
            HM_OK ||
        (err = c->err) != HM_OK) {
        goto out;
    }
    if ((err = hm_secret_alloc(c->out.size, out)) == HM_OK) {
        memcpy((*out)->buf, c->out.buffer, c->out.size);
    }
out:
    OPENSSL_cleanse(c, sizeof(*c));
    free(c);
    return err;
}

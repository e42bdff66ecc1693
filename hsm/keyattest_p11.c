/*
 * keyattest_p11.c: what a PKCS#11 token says about a key (formats.md 4.1): the private
 * key's CKA_SENSITIVE, CKA_ALWAYS_SENSITIVE, CKA_EXTRACTABLE, CKA_NEVER_EXTRACTABLE,
 * CKA_LOCAL and CKA_KEY_GEN_MECHANISM, the token's C_GetTokenInfo and the module's C_GetInfo.
 *
 * Self-asserted: C_GetAttributeValue returns these values unsigned, so they prove nothing
 * to a remote party; the predicate says so (evidenceType "pkcs11-self-asserted") and a
 * verifier accepts them only when asked to.  Vendor evidence (a YubiHSM2 attestation
 * certificate) is signed by the device and goes in vendorEvidence instead.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyattest_hsm.h"
#include "p11_int.h"

struct p11_att_ctx {
    struct hm_keyatt_pkcs11 *out;
};

/* Blank-padded token text to a C string (p11_field replaces control bytes with '?'),
 * then non-ASCII bytes too: the predicate carries printable ASCII. */
static void
field(const unsigned char *f, size_t len, char *out)
{
    p11_field(f, len, out);
    for (char *p = out; *p != '\0'; p++) {
        if (*p < 0x20 || *p > 0x7e) {
            *p = '?';
        }
    }
}

static CK_RV
att_op(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, void *vctx)
{
    struct hm_keyatt_pkcs11 *o = ((struct p11_att_ctx *)vctx)->out;
    CK_BBOOL v[5] = { 0 };
    CK_MECHANISM_TYPE mech = 0;
    CK_ATTRIBUTE t[6] = {
        { CKA_SENSITIVE, &v[0], 1 },   { CKA_ALWAYS_SENSITIVE, &v[1], 1 },
        { CKA_EXTRACTABLE, &v[2], 1 }, { CKA_NEVER_EXTRACTABLE, &v[3], 1 },
        { CKA_LOCAL, &v[4], 1 },       { CKA_KEY_GEN_MECHANISM, &mech, sizeof(mech) },
    };
    CK_TOKEN_INFO ti;
    CK_INFO li;
    CK_RV rv = h->f->C_GetAttributeValue(s, obj, t, 6);

    if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID && rv != CKR_ATTRIBUTE_SENSITIVE) {
        return rv;
    }
    /* unknown reads as the unsafe answer: never claim more than the token said */
    o->sensitive = t[0].ulValueLen == 1 && v[0] == CK_TRUE;
    o->always_sensitive = t[1].ulValueLen == 1 && v[1] == CK_TRUE;
    o->extractable = t[2].ulValueLen != 1 || v[2] == CK_TRUE;
    o->never_extractable = t[3].ulValueLen == 1 && v[3] == CK_TRUE;
    o->local = t[4].ulValueLen == 1 && v[4] == CK_TRUE;
    o->has_key_gen_mechanism =
        t[5].ulValueLen == sizeof(mech) && mech != CK_UNAVAILABLE_INFORMATION;
    o->key_gen_mechanism = o->has_key_gen_mechanism ? (uint64_t)mech : 0;
    if ((rv = h->f->C_GetTokenInfo(h->slot, &ti)) != CKR_OK ||
        (rv = h->f->C_GetInfo(&li)) != CKR_OK) {
        return rv;
    }
    field(ti.label, sizeof(ti.label), o->token_label);
    field(ti.manufacturerID, sizeof(ti.manufacturerID), o->manufacturer);
    field(ti.model, sizeof(ti.model), o->model);
    field(ti.serialNumber, sizeof(ti.serialNumber), o->serial);
    o->firmware_major = ti.firmwareVersion.major;
    o->firmware_minor = ti.firmwareVersion.minor;
    o->hardware_major = ti.hardwareVersion.major;
    o->hardware_minor = ti.hardwareVersion.minor;
    field(li.libraryDescription, sizeof(li.libraryDescription), o->library_description);
    field(li.manufacturerID, sizeof(li.manufacturerID), o->library_manufacturer);
    o->library_major = li.libraryVersion.major;
    o->library_minor = li.libraryVersion.minor;
    o->cryptoki_major = li.cryptokiVersion.major;
    o->cryptoki_minor = li.cryptokiVersion.minor;
    return CKR_OK;
}

hm_err
p11_attest_key(struct hm_key *key, const uint8_t *nonce, size_t nonce_len, struct hm_keyatt **out)
{
    struct hm_keyatt *ka = NULL;
    struct p11_att_ctx c;
    hm_err err = HM_E_NOMEM;

    *out = NULL;
    if ((err = keyatt_p11_new(key, nonce, nonce_len, &ka)) != HM_OK) {
        return err;
    }
    c.out = &ka->pkcs11;
    if ((err = p11_run(p11_of(key->hsm), key, att_op, &c, 0, "read key evidence")) != HM_OK) {
        goto out;
    }
    *out = ka;
    ka = NULL; /* the caller owns it now */
out:
    hm_verify_keyatt_free(ka);
    return err;
}

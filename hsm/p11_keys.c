/*
 * p11_keys.c: the key operations of the PKCS#11 backend: find, list, generate, sign,
 * read attributes.  Each runs through p11_run(), which owns sessions and recovery.
 *
 * Mechanisms (formats.md 1.10): CKM_ECDSA over a digest hashed on the host (SoftHSM has
 * no CKM_ECDSA_SHA256, and firmware images are too large to send to a token), CKM_EDDSA
 * over the whole message (pure Ed25519), CKM_RSA_PKCS_PSS with SHA-256/MGF1-SHA-256/
 * salt 32 over a host digest (never CKM_RSA_X_509, which HSMs often forbid).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "p11_int.h"

#define P11_GEN_ID_LEN 8

static const uint8_t params_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t params_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t params_ed25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 }; /* 1.3.101.112 */

/* ---- find ---- */

struct find_ctx {
    const struct hm_p11_uri *u;
    struct hm_key *key;
    hm_err err;
};

static CK_RV
find_op(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, void *vctx)
{
    struct find_ctx *c = vctx;
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[3];
    CK_OBJECT_HANDLE objs[2];
    CK_ULONG n = 0;
    size_t count = 0;
    CK_RV rv;

    (void)obj;
    c->err = HM_OK;
    t[n++] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
    if (c->u->object != NULL) {
        t[n++] = (CK_ATTRIBUTE){ CKA_LABEL, c->u->object, (CK_ULONG)strlen(c->u->object) };
    }
    if (c->u->has_id) {
        t[n++] = (CK_ATTRIBUTE){ CKA_ID, c->u->id, (CK_ULONG)c->u->id_len };
    }
    if (p11_find_objects(h, s, t, n, objs, 2, &count, &rv) != HM_OK) {
        return rv;
    }
    if (count != 1) {
        c->err = count == 0 ? HM_E_NOTFOUND : HM_E_INVALID;
        hm_error("hsm: %s on token '%s'",
                 count == 0 ? "no private key matches the URI"
                            : "the URI matches more than one private key",
                 h->token_label);
        return CKR_OK;
    }
    if ((c->err = p11_load_key(h, s, objs[0], &c->key, &rv)) != HM_OK) {
        if (rv == CKR_OK) {
            hm_error("hsm: the key the URI names on token '%s' is not usable (%s): we sign with "
                     "ec-p256, ec-p384, ed25519 and rsa-3072 key pairs",
                     h->token_label, hm_strerror(c->err));
        }
        return rv;
    }
    return CKR_OK;
}

/* Token attributes in a key URI must name the token this hsm opened. */
static bool
same_token(const struct p11_hsm *h, const struct hm_p11_uri *u)
{
    return (u->token == NULL || strcmp(u->token, h->token_label) == 0) &&
           (u->manufacturer == NULL || strcmp(u->manufacturer, h->token_manuf) == 0) &&
           (u->serial == NULL || strcmp(u->serial, h->token_serial) == 0) &&
           (u->model == NULL || strcmp(u->model, h->token_model) == 0);
}

hm_err
p11_op_find_key(struct hm_hsm *hsm, const char *uri, struct hm_key **out)
{
    struct p11_hsm *h = p11_of(hsm);
    struct find_ctx c = { 0 };
    struct hm_p11_uri *u = NULL;
    const char *reason = NULL;
    hm_err err;

    if ((err = hm_p11_uri_parse(uri, &reason, &u)) != HM_OK) {
        hm_error("hsm: invalid key URI: %s", reason);
        return err;
    }
    if (u->object == NULL && !u->has_id) {
        hm_error("hsm: the key URI names no key (give object= or id=)");
        err = HM_E_INVALID;
    } else if (u->type != HM_P11_TYPE_ANY && u->type != HM_P11_TYPE_PRIVATE &&
               u->type != HM_P11_TYPE_PUBLIC) {
        hm_error("hsm: a key URI has type=private (or public, naming the pair)");
        err = HM_E_INVALID;
    } else if (!same_token(h, u)) {
        hm_error("hsm: the key URI names another token than '%s'", h->token_label);
        err = HM_E_NOTFOUND;
    } else {
        c.u = u;
        if ((err = p11_run(h, NULL, find_op, &c, 0, "find key")) == HM_OK) {
            err = c.err;
        }
    }
    if (err == HM_OK) {
        *out = hm_key_register(hsm, c.key);
        c.key = NULL; /* hsm owns it now */
    }
    hm_key_discard(c.key);
    hm_p11_uri_free(u);
    return err;
}

/* ---- list ---- */

struct list_ctx {
    struct hm_key **keys;
    size_t n;
    hm_err err;
};

static void
list_clear(struct list_ctx *c)
{
    for (size_t i = 0; i < c->n; i++) {
        hm_key_discard(c->keys[i]);
    }
    free(c->keys);
    c->keys = NULL;
    c->n = 0;
}

static CK_RV
list_op(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, void *vctx)
{
    struct list_ctx *c = vctx;
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
    CK_OBJECT_HANDLE *objs = NULL;
    size_t count = 0;
    CK_RV rv = CKR_OK;

    (void)obj;
    list_clear(c);
    c->err = HM_E_NOMEM;
    if ((objs = calloc(P11_MAX_OBJECTS, sizeof(*objs))) == NULL ||
        (c->keys = calloc(P11_MAX_OBJECTS, sizeof(*c->keys))) == NULL) {
        goto out;
    }
    c->err = HM_OK;
    if (p11_find_objects(h, s, &t, 1, objs, P11_MAX_OBJECTS, &count, &rv) != HM_OK) {
        goto out;
    }
    for (size_t i = 0; i < count && c->err == HM_OK; i++) {
        hm_err err = p11_load_key(h, s, objs[i], &c->keys[c->n], &rv);
        if (err == HM_OK) {
            c->n++;
        } else if (rv != CKR_OK) {
            break;
        } else if (err != HM_E_INVALID && err != HM_E_NOTFOUND) {
            c->err = err; /* unsupported or half-present keys are skipped; this is not that */
        }
    }
out:
    free(objs);
    return rv;
}

hm_err
p11_op_list_keys(struct hm_hsm *hsm, struct hm_key ***keys, size_t *n)
{
    struct list_ctx c = { 0 };
    hm_err err;

    if ((err = p11_run(p11_of(hsm), NULL, list_op, &c, 0, "list keys")) == HM_OK) {
        err = c.err;
    }
    if (err != HM_OK) {
        list_clear(&c);
        return err;
    }
    for (size_t i = 0; i < c.n; i++) {
        c.keys[i] = hm_key_register(hsm, c.keys[i]); /* hsm owns them now */
    }
    *keys = c.keys;
    *n = c.n;
    return HM_OK;
}

/* ---- generate ---- */

struct gen_ctx {
    enum hm_key_alg alg;
    const char *label;
    struct hm_key *key;
    hm_err err;
};

static bool
label_taken(struct p11_hsm *h, CK_SESSION_HANDLE s, const char *label, CK_RV *rv)
{
    CK_ATTRIBUTE t = { CKA_LABEL, (void *)(uintptr_t)label, (CK_ULONG)strlen(label) };
    CK_OBJECT_HANDLE obj;
    size_t count = 0;

    return p11_find_objects(h, s, &t, 1, &obj, 1, &count, rv) == HM_OK && count > 0;
}

static CK_RV
gen_op(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, void *vctx)
{
    struct gen_ctx *c = vctx;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG bits = 3072, label_len = (CK_ULONG)strlen(c->label), npub = 0, npriv = 0;
    uint8_t id[P11_GEN_ID_LEN], e[] = { 0x01, 0x00, 0x01 };
    CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
    CK_ATTRIBUTE pub[7], priv[8];
    CK_OBJECT_HANDLE hpub, hpriv;
    CK_RV rv = CKR_OK;

    (void)obj;
    c->err = HM_OK;
    if (label_taken(h, s, c->label, &rv) || rv != CKR_OK) {
        c->err = rv == CKR_OK ? HM_E_CONFLICT : HM_E_BACKEND;
        return rv;
    }
    if (RAND_bytes(id, sizeof(id)) != 1) {
        c->err = HM_E_INTERNAL;
        return CKR_OK;
    }
    pub[npub++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
    pub[npub++] = (CK_ATTRIBUTE){ CKA_VERIFY, &yes, sizeof(yes) };
    pub[npub++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)(uintptr_t)c->label, label_len };
    pub[npub++] = (CK_ATTRIBUTE){ CKA_ID, id, sizeof(id) };
    priv[npriv++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
    priv[npriv++] = (CK_ATTRIBUTE){ CKA_PRIVATE, &yes, sizeof(yes) };
    priv[npriv++] = (CK_ATTRIBUTE){ CKA_SENSITIVE, &yes, sizeof(yes) };
    priv[npriv++] = (CK_ATTRIBUTE){ CKA_EXTRACTABLE, &no, sizeof(no) };
    priv[npriv++] = (CK_ATTRIBUTE){ CKA_SIGN, &yes, sizeof(yes) };
    priv[npriv++] = (CK_ATTRIBUTE){ CKA_DECRYPT, &no, sizeof(no) };
    priv[npriv++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)(uintptr_t)c->label, label_len };
    priv[npriv++] = (CK_ATTRIBUTE){ CKA_ID, id, sizeof(id) };
    switch (c->alg) {
    case HM_KEY_EC_P256:
        pub[npub++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)params_p256, sizeof(params_p256) };
        break;
    case HM_KEY_EC_P384:
        pub[npub++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)params_p384, sizeof(params_p384) };
        break;
    case HM_KEY_ED25519:
        mech.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
        pub[npub++] =
            (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)params_ed25519, sizeof(params_ed25519) };
        break;
    case HM_KEY_RSA3072_PSS:
        mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
        pub[npub++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits, sizeof(bits) };
        pub[npub++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, e, sizeof(e) };
        break;
    }
    if ((rv = h->f->C_GenerateKeyPair(s, &mech, pub, npub, priv, npriv, &hpub, &hpriv)) != CKR_OK) {
        return rv;
    }
    c->err = p11_load_key(h, s, hpriv, &c->key, &rv);
    return rv;
}

hm_err
p11_op_generate_key(struct hm_hsm *hsm, enum hm_key_alg alg, const char *label, struct hm_key **out)
{
    struct p11_hsm *h = p11_of(hsm);
    struct gen_ctx c = { .alg = alg, .label = label };
    hm_err err;

    if (alg < HM_KEY_EC_P256 || alg > HM_KEY_RSA3072_PSS) {
        return HM_E_INVALID;
    }
    if (!hm_p11_text_ok(label, HM_P11_OBJECT_MAX)) {
        hm_error("hsm: a key label is 1 to %d bytes of UTF-8 without control characters",
                 HM_P11_OBJECT_MAX);
        return HM_E_INVALID;
    }
    if ((err = p11_run(h, NULL, gen_op, &c, P11_RUN_NO_RETRY, "generate key")) == HM_OK) {
        err = c.err;
    }
    if (err == HM_E_CONFLICT) {
        hm_error("hsm: token '%s' already holds an object labelled '%s'", h->token_label, label);
    } else if (err == HM_OK) {
        hm_info("hsm: generated %s key '%s' on token '%s'", hm_key_alg_name(alg), label,
                h->token_label);
        *out = hm_key_register(hsm, c.key);
        c.key = NULL; /* hsm owns it now */
    }
    hm_key_discard(c.key);
    return err;
}

/* ---- sign ---- */

struct sign_ctx {
    const struct hm_key *key;
    const uint8_t *in;
    size_t len;
    uint8_t *sig;
    CK_ULONG sig_len;
};

static CK_RV
sign_op(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, void *vctx)
{
    struct sign_ctx *c = vctx;
    CK_RSA_PKCS_PSS_PARAMS pss = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
    CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
    CK_RV rv;

    if (c->key->alg == HM_KEY_ED25519) {
        m.mechanism = CKM_EDDSA; /* no parameters: pure Ed25519 (not Ed25519ph) */
    } else if (c->key->alg == HM_KEY_RSA3072_PSS) {
        m = (CK_MECHANISM){ CKM_RSA_PKCS_PSS, &pss, sizeof(pss) };
    }
    if ((rv = h->f->C_SignInit(s, &m, obj)) != CKR_OK) {
        return rv;
    }
    c->sig_len = (CK_ULONG)c->key->sig_max;
    rv = h->f->C_Sign(s, (CK_BYTE *)(uintptr_t)c->in, (CK_ULONG)c->len, c->sig, &c->sig_len);
    if (rv == CKR_BUFFER_TOO_SMALL) {
        /* The operation stays active after this code; end it so the session is clean. */
        uint8_t big[1024];
        CK_ULONG n = sizeof(big);
        (void)h->f->C_Sign(s, (CK_BYTE *)(uintptr_t)c->in, (CK_ULONG)c->len, big, &n);
        OPENSSL_cleanse(big, sizeof(big));
        return P11_RV_BAD_SIG_LEN;
    }
    if (rv == CKR_OK && c->sig_len != (CK_ULONG)c->key->sig_max) {
        return P11_RV_BAD_SIG_LEN;
    }
    return rv;
}

hm_err
p11_op_sign(struct hm_key *key, const uint8_t *in, size_t len, uint8_t *sig, size_t *sig_len)
{
    struct sign_ctx c = { .key = key, .in = in, .len = len, .sig = sig };
    hm_err err;

    *sig_len = 0;
    if ((err = p11_run(p11_of(key->hsm), key, sign_op, &c, P11_RUN_SIGN, "sign")) != HM_OK) {
        return err;
    }
    *sig_len = c.sig_len;
    return HM_OK;
}

/* ---- attributes ---- */

static CK_RV
attrs_op(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, void *vctx)
{
    struct hm_key_attrs *out = vctx;
    CK_BBOOL v[7] = { 0 };
    CK_ATTRIBUTE t[7] = {
        { CKA_TOKEN, &v[0], 1 },       { CKA_PRIVATE, &v[1], 1 },
        { CKA_SENSITIVE, &v[2], 1 },   { CKA_ALWAYS_SENSITIVE, &v[3], 1 },
        { CKA_EXTRACTABLE, &v[4], 1 }, { CKA_NEVER_EXTRACTABLE, &v[5], 1 },
        { CKA_LOCAL, &v[6], 1 },
    };
    CK_RV rv = h->f->C_GetAttributeValue(s, obj, t, 7);

    /* An attribute the token does not know reads as false, the safe answer. */
    if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID && rv != CKR_ATTRIBUTE_SENSITIVE) {
        return rv;
    }
    for (size_t i = 0; i < 7; i++) {
        if (t[i].ulValueLen != 1) {
            v[i] = CK_FALSE;
        }
    }
    out->token = v[0] == CK_TRUE;
    out->private_ = v[1] == CK_TRUE;
    out->sensitive = v[2] == CK_TRUE;
    out->always_sensitive = v[3] == CK_TRUE;
    /* extractable reads true when unknown: never claim a key cannot leave */
    out->extractable = v[4] == CK_TRUE || t[4].ulValueLen != 1;
    out->never_extractable = v[5] == CK_TRUE;
    out->local = v[6] == CK_TRUE;
    return CKR_OK;
}

hm_err
p11_op_get_attrs(struct hm_key *key, struct hm_key_attrs *out)
{
    return p11_run(p11_of(key->hsm), key, attrs_op, out, 0, "read key attributes");
}

void
p11_op_key_free(struct hm_key *key)
{
    free(key->be);
    key->be = NULL;
}

/*
 * p11_obj.c: reading objects off the token: searches, attributes, the cached private
 * key handle, and turning a private key handle into an hm_key (algorithm, SPKI, URI).
 */
#include <stdlib.h>
#include <string.h>

#include "p11_int.h"

/* DER of the curve parameters as tokens store them in CKA_EC_PARAMS. */
static const uint8_t oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t oid_ed25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
/* pkcs11-tool 0.23 writes PrintableString "edwards25519" (dependencies.md section 2). */
static const uint8_t str_ed25519[] = { 0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
                                       'd',  's',  '2', '5', '5', '1', '9' };

hm_err
p11_find_objects(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n,
                 CK_OBJECT_HANDLE *objs, size_t max, size_t *count, CK_RV *rv)
{
    CK_RV rv2;

    *count = 0;
    if ((*rv = h->f->C_FindObjectsInit(s, tmpl, n)) != CKR_OK) {
        return HM_E_BACKEND;
    }
    while (*count < max) {
        CK_ULONG got = 0;
        *rv = h->f->C_FindObjects(s, objs + *count, (CK_ULONG)(max - *count), &got);
        if (*rv != CKR_OK || got == 0) {
            break;
        }
        *count += got > max - *count ? max - *count : got;
    }
    rv2 = h->f->C_FindObjectsFinal(s);
    if (*rv == CKR_OK) {
        *rv = rv2;
    }
    return *rv == CKR_OK ? HM_OK : HM_E_BACKEND;
}

hm_err
p11_attr(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
         uint8_t **val, size_t *len, CK_RV *rv)
{
    CK_ATTRIBUTE a = { type, NULL, 0 };
    uint8_t *buf = NULL;

    *val = NULL;
    *len = 0;
    *rv = h->f->C_GetAttributeValue(s, obj, &a, 1);
    if (*rv == CKR_ATTRIBUTE_TYPE_INVALID || *rv == CKR_ATTRIBUTE_SENSITIVE ||
        (*rv == CKR_OK && a.ulValueLen == CK_UNAVAILABLE_INFORMATION)) {
        *rv = CKR_OK;
        return HM_E_NOTFOUND;
    }
    if (*rv != CKR_OK) {
        return HM_E_BACKEND;
    }
    if (a.ulValueLen > P11_ATTR_MAX) {
        return HM_E_LIMIT;
    }
    if ((buf = malloc(a.ulValueLen + 1)) == NULL) {
        return HM_E_NOMEM;
    }
    a.pValue = buf;
    if ((*rv = h->f->C_GetAttributeValue(s, obj, &a, 1)) != CKR_OK) {
        free(buf);
        return HM_E_BACKEND;
    }
    buf[a.ulValueLen] = '\0';
    *val = buf;
    *len = a.ulValueLen;
    return HM_OK;
}

/* Finds the one private key (or public key) with this id and label. */
static hm_err
find_one(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt,
         const uint8_t *id, size_t id_len, const char *label, CK_OBJECT_HANDLE *out, CK_RV *rv)
{
    CK_ATTRIBUTE t[4];
    CK_OBJECT_HANDLE objs[2];
    CK_ULONG n = 0;
    size_t count = 0;
    hm_err err;

    t[n++] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
    if (kt != (CK_KEY_TYPE)-1) {
        t[n++] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &kt, sizeof(kt) };
    }
    if (id_len > 0) {
        t[n++] = (CK_ATTRIBUTE){ CKA_ID, (void *)(uintptr_t)id, (CK_ULONG)id_len };
    }
    if (label != NULL && *label != '\0') {
        t[n++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)(uintptr_t)label, (CK_ULONG)strlen(label) };
    }
    if ((err = p11_find_objects(h, s, t, n, objs, 2, &count, rv)) != HM_OK) {
        return err;
    }
    if (count != 1) {
        return count == 0 ? HM_E_NOTFOUND : HM_E_INVALID;
    }
    *out = objs[0];
    return HM_OK;
}

hm_err
p11_key_handle(struct p11_hsm *h, CK_SESSION_HANDLE s, struct hm_key *key, uint64_t gen,
               CK_OBJECT_HANDLE *out, CK_RV *rv)
{
    struct p11_key *pk = key->be;
    CK_OBJECT_HANDLE obj;
    hm_err err;

    *rv = CKR_OK;
    pthread_mutex_lock(&h->lock);
    if (pk->cached && pk->gen == gen) {
        *out = pk->obj;
        pthread_mutex_unlock(&h->lock);
        return HM_OK;
    }
    pthread_mutex_unlock(&h->lock);
    if ((err = find_one(h, s, CKO_PRIVATE_KEY, pk->type, key->ckid, key->ckid_len, key->label, &obj,
                        rv)) != HM_OK) {
        if (*rv == CKR_OK) {
            hm_error("hsm: private key '%s' %s on token '%s'", key->label,
                     err == HM_E_NOTFOUND ? "is no longer" : "is not unique", h->token_label);
        }
        return err;
    }
    pthread_mutex_lock(&h->lock);
    pk->obj = obj;
    pk->gen = gen;
    pk->cached = true;
    pthread_mutex_unlock(&h->lock);
    *out = obj;
    return HM_OK;
}

void
p11_key_forget(struct p11_hsm *h, struct hm_key *key)
{
    struct p11_key *pk = key->be;

    pthread_mutex_lock(&h->lock);
    pk->cached = false;
    pthread_mutex_unlock(&h->lock);
}

static bool
der_is(const uint8_t *v, size_t len, const uint8_t *want, size_t wlen)
{
    return len == wlen && memcmp(v, want, wlen) == 0;
}

/* CKA_EC_POINT is a DER OCTET STRING per the standard; some tokens return the raw point. */
static hm_err
point_unwrap(const uint8_t *v, size_t len, size_t want, const uint8_t **pt)
{
    if (len == want + 2 && v[0] == 0x04 && v[1] == want) {
        *pt = v + 2;
        return HM_OK;
    }
    if (len == want) {
        *pt = v;
        return HM_OK;
    }
    return HM_E_INVALID;
}

/* The public point: from the public key object with the same id/label, else from the
 * private key if the token exposes CKA_EC_POINT there. */
static hm_err
ec_spki(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, struct p11_key *pk,
        enum hm_key_alg alg, const uint8_t *id, size_t id_len, const char *label, uint8_t **spki,
        size_t *spki_len, CK_RV *rv)
{
    size_t want = alg == HM_KEY_ED25519 ? 32 : alg == HM_KEY_EC_P256 ? 65 : 97;
    CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE;
    uint8_t *v = NULL;
    const uint8_t *pt = NULL;
    size_t len = 0;
    hm_err err;

    /* id and label first; tools that label the two halves differently match on id.  A
     * key with neither cannot be paired safely, only read from the private key. */
    err = HM_E_NOTFOUND;
    *rv = CKR_OK;
    if (id_len > 0 || *label != '\0') {
        err = find_one(h, s, CKO_PUBLIC_KEY, pk->type, id, id_len, label, &pub, rv);
    }
    if (err != HM_OK && *rv == CKR_OK && id_len > 0 && *label != '\0') {
        err = find_one(h, s, CKO_PUBLIC_KEY, pk->type, id, id_len, NULL, &pub, rv);
    }
    if (*rv != CKR_OK) {
        return err;
    }
    err = p11_attr(h, s, err == HM_OK ? pub : priv, CKA_EC_POINT, &v, &len, rv);
    if (err == HM_OK) {
        err = point_unwrap(v, len, want, &pt);
    }
    if (err == HM_OK) {
        err = hm_spki_from_ec(alg, pt, want, spki, spki_len);
    }
    free(v);
    return err;
}

static size_t
bit_length(const uint8_t *v, size_t len)
{
    while (len > 0 && v[0] == 0) {
        v++;
        len--;
    }
    if (len == 0) {
        return 0;
    }
    size_t bits = 8 * (len - 1);
    for (uint8_t b = v[0]; b != 0; b >>= 1) {
        bits++;
    }
    return bits;
}

static hm_err
rsa_spki(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, uint8_t **spki,
         size_t *spki_len, CK_RV *rv)
{
    uint8_t *n = NULL, *e = NULL;
    size_t n_len = 0, e_len = 0;
    hm_err err;

    if ((err = p11_attr(h, s, priv, CKA_MODULUS, &n, &n_len, rv)) == HM_OK &&
        (err = p11_attr(h, s, priv, CKA_PUBLIC_EXPONENT, &e, &e_len, rv)) == HM_OK) {
        if (bit_length(n, n_len) != 3072) {
            err = HM_E_INVALID; /* we sign with RSA-3072 only */
        } else {
            err = hm_spki_from_rsa(n, n_len, e, e_len, spki, spki_len);
        }
    }
    free(n);
    free(e);
    return err;
}

static hm_err
key_alg(CK_KEY_TYPE kt, const uint8_t *params, size_t len, enum hm_key_alg *out)
{
    if (kt == CKK_RSA) {
        *out = HM_KEY_RSA3072_PSS;
    } else if (kt == CKK_EC && der_is(params, len, oid_p256, sizeof(oid_p256))) {
        *out = HM_KEY_EC_P256;
    } else if (kt == CKK_EC && der_is(params, len, oid_p384, sizeof(oid_p384))) {
        *out = HM_KEY_EC_P384;
    } else if (kt == CKK_EC_EDWARDS && (der_is(params, len, oid_ed25519, sizeof(oid_ed25519)) ||
                                        der_is(params, len, str_ed25519, sizeof(str_ed25519)))) {
        *out = HM_KEY_ED25519;
    } else {
        return HM_E_INVALID;
    }
    return HM_OK;
}

struct key_parts {
    CK_KEY_TYPE type;
    uint8_t *label, *id, *params, *spki;
    size_t label_len, id_len, params_len, spki_len;
};

static void
key_parts_free(struct key_parts *p)
{
    free(p->label);
    free(p->id);
    free(p->params);
    free(p->spki);
}

/* Reads type, label, id and parameters; HM_E_NOTFOUND for an absent label or id is fine. */
static hm_err
read_parts(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, struct key_parts *p,
           CK_RV *rv)
{
    CK_ATTRIBUTE a = { CKA_KEY_TYPE, &p->type, sizeof(p->type) };
    hm_err err;

    if ((*rv = h->f->C_GetAttributeValue(s, priv, &a, 1)) != CKR_OK) {
        return HM_E_BACKEND;
    }
    if (((err = p11_attr(h, s, priv, CKA_LABEL, &p->label, &p->label_len, rv)) != HM_OK &&
         err != HM_E_NOTFOUND) ||
        ((err = p11_attr(h, s, priv, CKA_ID, &p->id, &p->id_len, rv)) != HM_OK &&
         err != HM_E_NOTFOUND)) {
        return err;
    }
    if (p->id_len > HM_P11_ID_MAX ||
        (p->label_len > 0 && (memchr(p->label, '\0', p->label_len) != NULL ||
                              !hm_p11_text_ok((const char *)p->label, HM_P11_OBJECT_MAX)))) {
        return HM_E_INVALID; /* a label we could not name in a URI or log safely */
    }
    if (p->type == CKK_EC || p->type == CKK_EC_EDWARDS) {
        return p11_attr(h, s, priv, CKA_EC_PARAMS, &p->params, &p->params_len, rv);
    }
    return HM_OK;
}

hm_err
p11_load_key(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, struct hm_key **out,
             CK_RV *rv)
{
    struct key_parts p = { 0 };
    struct p11_key *pk = NULL;
    struct hm_key *key = NULL;
    const char *label;
    enum hm_key_alg alg;
    char *uri = NULL;
    hm_err err;

    *out = NULL;
    *rv = CKR_OK;
    if ((err = read_parts(h, s, priv, &p, rv)) != HM_OK ||
        (err = key_alg(p.type, p.params, p.params_len, &alg)) != HM_OK) {
        goto out;
    }
    if ((pk = calloc(1, sizeof(*pk))) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    /* A lease is out, so no re-open can run and h->gen is the lease's generation. */
    pthread_mutex_lock(&h->lock);
    *pk = (struct p11_key){ .obj = priv, .gen = h->gen, .cached = true, .type = p.type };
    pthread_mutex_unlock(&h->lock);
    label = p.label != NULL ? (const char *)p.label : "";
    err = alg == HM_KEY_RSA3072_PSS
              ? rsa_spki(h, s, priv, &p.spki, &p.spki_len, rv)
              : ec_spki(h, s, priv, pk, alg, p.id, p.id_len, label, &p.spki, &p.spki_len, rv);
    if (err != HM_OK ||
        (err = hm_p11_uri_format_key(h->token_label, label, p.id, p.id_len, &uri)) != HM_OK ||
        (err = hm_key_new(&h->pub, alg, p.spki, p.spki_len, label, p.id, p.id_len, uri, &key)) !=
            HM_OK) {
        goto out;
    }
    key->be = pk;
    pk = NULL; /* key owns it now */
    *out = key;
out:
    free(pk);
    free(uri);
    key_parts_free(&p);
    return err;
}

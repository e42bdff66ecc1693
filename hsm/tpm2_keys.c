/*
 * tpm2_keys.c: keys of the TPM backend: building them, making them usable on the current
 * connection (the slot cache), and finding, listing and generating them.
 *
 * Slots: a TPM may hold as few as three transient objects (swtpm holds exactly three).
 * We use at most three: the storage primary, one cached blob key, and one scratch object
 * (the AK while certifying, a new key while making it persistent).  Loading another blob
 * key flushes the cached one first; persistent keys need no slot of ours.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "tpm2_int.h"

/* Only keys that sign digests and nothing else: not restricted (it could not sign a
 * host digest), not decrypt (a key that does two jobs leaks through the other one). */
static bool
usable(const TPMT_PUBLIC *p)
{
    enum hm_key_alg alg;
    TPMA_OBJECT a = p->objectAttributes;

    return tpm2_pub_alg(p, &alg) == HM_OK && p->nameAlg == TPM2_ALG_SHA256 &&
           (a & TPMA_OBJECT_SIGN_ENCRYPT) != 0 && (a & TPMA_OBJECT_RESTRICTED) == 0 &&
           (a & TPMA_OBJECT_DECRYPT) == 0;
}

hm_err
tpm2_key_new(struct tpm2_hsm *h, const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv,
             bool persistent, TPM2_HANDLE handle, const char *label, const char *uri,
             struct hm_key **out)
{
    struct tpm2_key *k = NULL;
    struct hm_key *key = NULL;
    const unsigned char *p;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    enum hm_key_alg alg;
    TPM2B_NAME name;
    hm_err err;

    *out = NULL;
    if (!usable(&pub->publicArea)) {
        hm_error("hsm: tpm2: key '%s' is not a P-256 or RSA-3072 signing-only key", label);
        return HM_E_INVALID;
    }
    if ((err = tpm2_pub_alg(&pub->publicArea, &alg)) != HM_OK ||
        (err = tpm2_pub_spki(&pub->publicArea, &spki, &spki_len)) != HM_OK ||
        (err = tpm2_pub_name(&pub->publicArea, &name)) != HM_OK ||
        (err = hm_key_new(&h->pub, alg, spki, spki_len, label, name.name, name.size, uri, &key)) !=
            HM_OK) {
        goto out;
    }
    err = HM_E_NOMEM;
    if ((k = calloc(1, sizeof(*k))) == NULL) {
        goto out;
    }
    p = spki;
    if ((k->pkey = d2i_PUBKEY(NULL, &p, (long)spki_len)) == NULL) {
        free(k);
        goto out;
    }
    k->persistent = persistent;
    k->handle = handle;
    k->pub = *pub;
    if (priv != NULL) {
        k->priv = *priv;
    }
    k->name = name;
    k->tr = ESYS_TR_NONE;
    key->be = k;
    *out = key;
    key = NULL; /* the caller owns it now */
    err = HM_OK;
out:
    hm_key_discard(key);
    free(spki);
    return err;
}

void
tpm2_op_key_free(struct hm_key *key)
{
    struct tpm2_hsm *h = tpm2_of(key->hsm);
    struct tpm2_key *k = tpm2_key_of(key);

    pthread_mutex_lock(&h->lock);
    if (h->loaded == key) {
        tpm2_unload_cached(h);
    } /* a persistent key's ESYS_TR is the context's (tpm2_int.h): never closed here */
    pthread_mutex_unlock(&h->lock);
    EVP_PKEY_free(k->pkey);
    OPENSSL_cleanse(k, sizeof(*k));
    free(k);
    key->be = NULL;
}

static TSS2_RC
resolve_persistent(struct tpm2_hsm *h, struct tpm2_key *k)
{
    TPM2B_NAME *name = NULL;
    ESYS_TR tr = ESYS_TR_NONE;
    TSS2_RC rc;

    k->have_tr = false;
    rc = Esys_TR_FromTPMPublic(h->esys, k->handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr);
    if (rc != TSS2_RC_SUCCESS) {
        return tpm2_rc_classify(rc) == TPM2_RC_CLASS_LOST ? rc : TPM2_HM_RC_KEY_CHANGED;
    }
    if ((rc = Esys_TR_GetName(h->esys, tr, &name)) != TSS2_RC_SUCCESS) {
        return rc;
    }
    /* Another key evicted into the same handle must never sign in this key's name. */
    if (name->size != k->name.size || memcmp(name->name, k->name.name, name->size) != 0) {
        hm_error("hsm: tpm2: the key at 0x%08x is not the one we opened", k->handle);
        Esys_Free(name);
        return TPM2_HM_RC_KEY_CHANGED;
    }
    Esys_Free(name);
    k->tr = tr;
    k->have_tr = true;
    k->gen = h->gen;
    k->esys_gen = h->esys_gen;
    return TSS2_RC_SUCCESS;
}

TSS2_RC
tpm2_key_ready(struct tpm2_hsm *h, struct hm_key *key, ESYS_TR *out)
{
    struct tpm2_key *k = tpm2_key_of(key);
    TSS2_RC rc;

    *out = ESYS_TR_NONE;
    if (k->have_tr && k->gen == h->gen && k->esys_gen == h->esys_gen &&
        (k->persistent || h->loaded == key)) {
        *out = k->tr;
        return TSS2_RC_SUCCESS;
    }
    if (k->persistent) {
        if ((rc = resolve_persistent(h, k)) == TSS2_RC_SUCCESS) {
            *out = k->tr;
        }
        return rc;
    }
    if ((rc = tpm2_ensure_primary(h)) != TSS2_RC_SUCCESS) {
        return rc;
    }
    tpm2_unload_cached(h); /* one cached key: its slot is ours to reuse */
    rc = Esys_Load(h->esys, h->primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &k->priv,
                   &k->pub, &k->tr);
    if (rc != TSS2_RC_SUCCESS) {
        k->tr = ESYS_TR_NONE;
        return rc;
    }
    k->have_tr = true;
    k->gen = h->gen;
    k->esys_gen = h->esys_gen;
    h->loaded = key;
    *out = k->tr;
    return TSS2_RC_SUCCESS;
}

/* ---- find ---- */

struct readpub_ctx {
    TPM2_HANDLE handle;
    TPM2B_PUBLIC pub;
    bool found;
};

static TSS2_RC
readpub_op(struct tpm2_hsm *h, void *vctx)
{
    struct readpub_ctx *c = vctx;
    TPMS_CAPABILITY_DATA *cap = NULL;
    TPMI_YES_NO more = TPM2_NO;
    TPM2B_PUBLIC *pub = NULL;
    TPM2B_NAME *name = NULL, *qname = NULL;
    ESYS_TR tr = ESYS_TR_NONE;
    TSS2_RC rc;

    c->found = false;
    rc = Esys_GetCapability(h->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES,
                            c->handle, 1, &more, &cap);
    if (rc != TSS2_RC_SUCCESS) {
        return rc;
    }
    if (cap->data.handles.count == 0 || cap->data.handles.handle[0] != c->handle) {
        Esys_Free(cap);
        return TSS2_RC_SUCCESS; /* no object at that handle */
    }
    Esys_Free(cap);
    if ((rc = Esys_TR_FromTPMPublic(h->esys, c->handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                    &tr)) != TSS2_RC_SUCCESS ||
        (rc = Esys_ReadPublic(h->esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, &name,
                              &qname)) != TSS2_RC_SUCCESS) {
        return rc;
    }
    c->pub = *pub;
    c->found = true;
    Esys_Free(pub);
    Esys_Free(name);
    Esys_Free(qname);
    return TSS2_RC_SUCCESS; /* tr stays: it is the context's (tpm2_int.h) */
}

static hm_err
find_persistent(struct tpm2_hsm *h, uint32_t handle, struct hm_key **out)
{
    struct readpub_ctx c = { .handle = handle };
    char label[16], uri[32];
    hm_err err;

    if ((err = tpm2_run(h, readpub_op, &c, 0, "read a persistent key")) != HM_OK) {
        return err;
    }
    if (!c.found) {
        hm_error("hsm: tpm2: no key at handle 0x%08x", handle);
        return HM_E_NOTFOUND;
    }
    snprintf(label, sizeof(label), "0x%08x", handle);
    snprintf(uri, sizeof(uri), "tpm2:handle=0x%08x", handle);
    return tpm2_key_new(h, &c.pub, NULL, true, handle, label, uri, out);
}

struct load_ctx {
    struct hm_key *key;
};

static TSS2_RC
load_op(struct tpm2_hsm *h, void *vctx)
{
    struct load_ctx *c = vctx;
    ESYS_TR tr;

    return tpm2_key_ready(h, c->key, &tr);
}

static hm_err
find_blob(struct tpm2_hsm *h, const char *path, struct hm_key **out)
{
    char label[TPM2_LABEL_MAX + 1], *uri = NULL;
    TPM2B_PRIVATE priv;
    TPM2B_PUBLIC pub;
    struct load_ctx c = { 0 };
    hm_err err;

    *out = NULL;
    if ((err = tpm2_blob_read(path, label, sizeof(label), &pub, &priv)) != HM_OK ||
        (err = tpm2_uri_format_blob(path, &uri)) != HM_OK ||
        (err = tpm2_key_new(h, &pub, &priv, false, 0, label, uri, &c.key)) != HM_OK) {
        goto out;
    }
    /* Load it once now: a blob of another TPM (or an altered one) fails here, not at the
     * first signature. */
    if ((err = tpm2_run(h, load_op, &c, 0, "load key blob")) != HM_OK) {
        goto out;
    }
    *out = c.key;
    c.key = NULL; /* the caller owns it now */
out:
    hm_key_discard(c.key);
    OPENSSL_cleanse(&priv, sizeof(priv));
    free(uri);
    return err;
}

hm_err
tpm2_op_find_key(struct hm_hsm *hsm, const char *uri, struct hm_key **out)
{
    struct tpm2_hsm *h = tpm2_of(hsm);
    struct tpm2_uri *u = NULL;
    struct hm_key *key = NULL;
    const char *reason = NULL;
    hm_err err;

    if ((err = tpm2_uri_parse(uri, &reason, &u)) != HM_OK) {
        hm_error("hsm: invalid tpm2 key URI: %s", reason);
        return err;
    }
    if (u->has_handle) {
        err = find_persistent(h, u->handle, &key);
    } else if (u->blob != NULL) {
        err = find_blob(h, u->blob, &key);
    } else {
        hm_error("hsm: the tpm2 key URI names no key (give handle= or blob=)");
        err = HM_E_INVALID;
    }
    tpm2_uri_free(u);
    if (err == HM_OK) {
        *out = hm_key_register(hsm, key); /* hsm owns it now */
    }
    return err;
}

/* ---- list ---- */

struct list_ctx {
    TPM2_HANDLE handles[TPM2_MAX_LIST];
    TPM2B_PUBLIC pubs[TPM2_MAX_LIST];
    size_t n;
};

static TSS2_RC
list_op(struct tpm2_hsm *h, void *vctx)
{
    struct list_ctx *c = vctx;
    TPMS_CAPABILITY_DATA *cap = NULL;
    TPMI_YES_NO more = TPM2_NO;
    TSS2_RC rc;

    c->n = 0;
    rc = Esys_GetCapability(h->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES,
                            TPM2_PERSIST_FIRST, TPM2_MAX_LIST, &more, &cap);
    if (rc != TSS2_RC_SUCCESS) {
        return rc;
    }
    for (UINT32 i = 0; i < cap->data.handles.count && c->n < TPM2_MAX_LIST; i++) {
        struct readpub_ctx r = { .handle = cap->data.handles.handle[i] };
        if (r.handle > TPM2_PERSIST_LAST) {
            break;
        }
        if ((rc = readpub_op(h, &r)) != TSS2_RC_SUCCESS) {
            break;
        }
        if (r.found && usable(&r.pub.publicArea)) {
            c->handles[c->n] = r.handle;
            c->pubs[c->n++] = r.pub;
        }
    }
    Esys_Free(cap);
    return rc;
}

static void
list_blobs(struct tpm2_hsm *h, struct hm_key **keys, size_t *n)
{
    DIR *d = h->uri->key_dir != NULL ? opendir(h->uri->key_dir) : NULL;
    struct dirent *e;

    while (d != NULL && *n < 2 * TPM2_MAX_LIST && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        char path[TPM2_PATH_MAX + 256];
        struct hm_key *key = NULL;
        if (len < 6 || strcmp(e->d_name + len - 5, ".tpm2") != 0 ||
            snprintf(path, sizeof(path), "%s/%s", h->uri->key_dir, e->d_name) >=
                (int)sizeof(path)) {
            continue;
        }
        if (find_blob(h, path, &key) == HM_OK) {
            keys[(*n)++] = key;
        }
    }
    if (d != NULL) {
        closedir(d);
    }
}

hm_err
tpm2_op_list_keys(struct hm_hsm *hsm, struct hm_key ***keys, size_t *n)
{
    struct tpm2_hsm *h = tpm2_of(hsm);
    struct list_ctx *c = NULL;
    struct hm_key **arr = NULL;
    size_t count = 0;
    hm_err err = HM_E_NOMEM;

    if ((c = calloc(1, sizeof(*c))) == NULL ||
        (arr = calloc(2 * TPM2_MAX_LIST, sizeof(*arr))) == NULL) {
        goto out;
    }
    if ((err = tpm2_run(h, list_op, c, 0, "list persistent keys")) != HM_OK) {
        goto out;
    }
    for (size_t i = 0; i < c->n; i++) {
        char label[16], uri[32];
        snprintf(label, sizeof(label), "0x%08x", c->handles[i]);
        snprintf(uri, sizeof(uri), "tpm2:handle=0x%08x", c->handles[i]);
        if (tpm2_key_new(h, &c->pubs[i], NULL, true, c->handles[i], label, uri, &arr[count]) ==
            HM_OK) {
            count++;
        }
    }
    list_blobs(h, arr, &count);
    for (size_t i = 0; i < count; i++) {
        arr[i] = hm_key_register(hsm, arr[i]); /* hsm owns them now */
    }
    *keys = arr;
    *n = count;
    arr = NULL;
out:
    free(arr);
    free(c);
    return err;
}

/* ---- generate ---- */

struct gen_ctx {
    enum hm_key_alg alg;
    uint32_t handle; /* 0: a blob */
    TPM2B_PUBLIC pub;
    TPM2B_PRIVATE priv;
    bool taken;
};

static TSS2_RC
persist(struct tpm2_hsm *h, struct gen_ctx *c)
{
    ESYS_TR tmp = ESYS_TR_NONE, ptr = ESYS_TR_NONE;
    TSS2_RC rc;

    tpm2_unload_cached(h); /* the new key takes the cache slot for a moment */
    if ((rc = Esys_Load(h->esys, h->primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &c->priv,
                        &c->pub, &tmp)) != TSS2_RC_SUCCESS) {
        return rc;
    }
    if ((rc = tpm2_auth_set(h, ESYS_TR_RH_OWNER, h->owner_auth)) == TSS2_RC_SUCCESS) {
        rc = Esys_EvictControl(h->esys, ESYS_TR_RH_OWNER, tmp, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                               ESYS_TR_NONE, c->handle, &ptr);
        tpm2_auth_clear(h, ESYS_TR_RH_OWNER);
    }
    tpm2_flush(h, &tmp); /* ptr stays: it is the context's (tpm2_int.h) */
    return rc;
}

static TSS2_RC
gen_op(struct tpm2_hsm *h, void *vctx)
{
    struct gen_ctx *c = vctx;
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_DATA outside = { 0 };
    TPML_PCR_SELECTION pcrs = { 0 };
    TPM2B_PUBLIC tmpl, *pub = NULL;
    TPM2B_PRIVATE *priv = NULL;
    TPM2B_CREATION_DATA *cdata = NULL;
    TPM2B_DIGEST *chash = NULL;
    TPMT_TK_CREATION *ticket = NULL;
    struct readpub_ctx r = { .handle = c->handle };
    TSS2_RC rc;

    if (c->handle != 0) {
        if ((rc = readpub_op(h, &r)) != TSS2_RC_SUCCESS) {
            return rc;
        }
        if (r.found) {
            c->taken = true;
            return TSS2_RC_SUCCESS;
        }
    }
    if ((rc = tpm2_ensure_primary(h)) != TSS2_RC_SUCCESS) {
        return rc;
    }
    memset(&sens, 0, sizeof(sens));
    if (h->auth != NULL) {
        sens.sensitive.userAuth.size = (UINT16)h->auth->len;
        memcpy(sens.sensitive.userAuth.buffer, h->auth->buf, h->auth->len);
    }
    tpm2_template_key(c->alg, &tmpl);
    rc = Esys_Create(h->esys, h->primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
                     &tmpl, &outside, &pcrs, &priv, &pub, &cdata, &chash, &ticket);
    OPENSSL_cleanse(&sens, sizeof(sens));
    if (rc == TSS2_RC_SUCCESS) {
        c->pub = *pub;
        c->priv = *priv;
        if (c->handle != 0) {
            rc = persist(h, c);
        }
    }
    Esys_Free(pub);
    Esys_Free(priv);
    Esys_Free(cdata);
    Esys_Free(chash);
    Esys_Free(ticket);
    return rc;
}

hm_err
tpm2_generate(struct tpm2_hsm *h, enum hm_key_alg alg, const char *label, const char *blob_path,
              uint32_t handle, struct hm_key **out)
{
    struct gen_ctx c = { .alg = alg, .handle = blob_path != NULL ? 0 : handle };
    char *uri = NULL, hlabel[16], huri[32];
    struct hm_key *key = NULL;
    struct stat st;
    hm_err err;

    *out = NULL;
    if (alg != HM_KEY_EC_P256 && !(alg == HM_KEY_RSA3072_PSS && h->rsa3072)) {
        hm_error("hsm: tpm2: this TPM makes ec-p256%s keys, not %s",
                 h->rsa3072 ? " and rsa-3072" : "", hm_key_alg_name(alg));
        return HM_E_INVALID;
    }
    if (!hm_p11_text_ok(label, TPM2_LABEL_MAX)) {
        hm_error("hsm: tpm2: a key label is 1 to %d bytes of UTF-8 without control characters",
                 TPM2_LABEL_MAX);
        return HM_E_INVALID;
    }
    if (blob_path == NULL && (handle < TPM2_PERSIST_FIRST || handle > TPM2_PERSIST_LAST)) {
        hm_error("hsm: tpm2: a persistent key needs an owner handle 0x81000000-0x817fffff");
        return HM_E_INVALID;
    }
    if (blob_path != NULL && (blob_path[0] != '/' || lstat(blob_path, &st) == 0)) {
        hm_error("hsm: tpm2: %s %s", blob_path,
                 blob_path[0] != '/' ? "is not an absolute path" : "exists already");
        return blob_path[0] != '/' ? HM_E_INVALID : HM_E_CONFLICT;
    }
    if ((err = tpm2_run(h, gen_op, &c, TPM2_RUN_NO_RETRY, "create key")) != HM_OK) {
        goto out;
    }
    if (c.taken) {
        hm_error("hsm: tpm2: handle 0x%08x holds an object already", handle);
        err = HM_E_CONFLICT;
        goto out;
    }
    if (blob_path != NULL) {
        if ((err = tpm2_blob_write(blob_path, label, &c.pub, &c.priv)) != HM_OK ||
            (err = tpm2_uri_format_blob(blob_path, &uri)) != HM_OK) {
            goto out;
        }
        err = tpm2_key_new(h, &c.pub, &c.priv, false, 0, label, uri, &key);
    } else {
        snprintf(hlabel, sizeof(hlabel), "0x%08x", handle);
        snprintf(huri, sizeof(huri), "tpm2:handle=0x%08x", handle);
        err = tpm2_key_new(h, &c.pub, NULL, true, handle, hlabel, huri, &key);
    }
    if (err == HM_OK) {
        hm_info("hsm: tpm2: generated %s key '%s' (%s)", hm_key_alg_name(alg), label,
                hm_key_uri(key));
        *out = hm_key_register(&h->pub, key); /* hsm owns it now */
    }
out:
    OPENSSL_cleanse(&c.priv, sizeof(c.priv));
    free(uri);
    return err;
}

hm_err
tpm2_op_generate_key(struct hm_hsm *hsm, enum hm_key_alg alg, const char *label,
                     struct hm_key **out)
{
    struct tpm2_hsm *h = tpm2_of(hsm);
    char path[TPM2_PATH_MAX + TPM2_LABEL_MAX + 8];

    if (h->uri->key_dir == NULL) {
        hm_error("hsm: tpm2: say where the key goes: a blob file or a persistent handle "
                 "(hallmark keys create --blob/--persistent), or key-dir= in the token URI");
        return HM_E_INVALID;
    }
    if (!hm_p11_text_ok(label, TPM2_LABEL_MAX) || strchr(label, '/') != NULL || label[0] == '.') {
        hm_error("hsm: tpm2: label '%s' cannot name a file in key-dir", label);
        return HM_E_INVALID;
    }
    snprintf(path, sizeof(path), "%s/%s.tpm2", h->uri->key_dir, label);
    return tpm2_generate(h, alg, label, path, 0, out);
}

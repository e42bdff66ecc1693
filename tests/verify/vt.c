/*
 * vt.c: see vt.h.  Builds what hallmarkd will build (docs/formats.md "tlogEntries"), with
 * the tlog and attest libraries and software keys, so that the verifier can be tested
 * before the daemon writes log entries.
 */
#include "vt.h"

#include <hm/attest.h>
#include <hm/tlog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "vt_int.h"

char *
vt_b64(const void *p, size_t n)
{
    char *s = NULL;

    VT_CHECK(hm_b64_encode(p, n, &s) == HM_OK);
    return s;
}

struct vt_key *
vt_key_new(enum hm_key_alg alg)
{
    struct vt_key *k = calloc(1, sizeof(*k));
    struct hm_pubkey *pk = NULL;
    unsigned char *der = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n;
    int len;

    VT_CHECK(k != NULL && bio != NULL);
    k->alg = alg;
    switch (alg) {
    case HM_KEY_EC_P256:
        k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case HM_KEY_EC_P384:
        k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        break;
    case HM_KEY_ED25519:
        k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    case HM_KEY_RSA3072_PSS:
        k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
        break;
    }
    VT_CHECK(k->pkey != NULL);
    VT_CHECK((len = i2d_PUBKEY(k->pkey, &der)) > 0);
    VT_CHECK((k->spki = malloc((size_t)len)) != NULL);
    memcpy(k->spki, der, (size_t)len);
    k->spki_len = (size_t)len;
    OPENSSL_free(der);
    VT_CHECK(hm_pubkey_from_spki(k->spki, k->spki_len, &pk) == HM_OK);
    (void)snprintf(k->keyid, sizeof(k->keyid), "%s", hm_pubkey_keyid(pk));
    hm_pubkey_free(pk);
    VT_CHECK(PEM_write_bio_PUBKEY(bio, k->pkey) == 1);
    VT_CHECK((n = BIO_get_mem_data(bio, &data)) > 0);
    VT_CHECK((k->pem = strndup(data, (size_t)n)) != NULL);
    BIO_free(bio);
    if (alg == HM_KEY_ED25519) {
        size_t rl = sizeof(k->raw);
        VT_CHECK(EVP_PKEY_get_raw_public_key(k->pkey, k->raw, &rl) == 1 && rl == 32);
    }
    return k;
}

void
vt_key_free(struct vt_key *k)
{
    if (k == NULL) {
        return;
    }
    EVP_PKEY_free(k->pkey);
    free(k->pem);
    free(k->spki);
    free(k);
}

enum hm_key_alg
vt_key_alg(const struct vt_key *k)
{
    return k->alg;
}

const char *
vt_key_id(const struct vt_key *k)
{
    return k->keyid;
}

const char *
vt_key_pem(const struct vt_key *k)
{
    return k->pem;
}

char *
vt_key_private_pem(const struct vt_key *k)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL, *out;
    long n;

    VT_CHECK(bio != NULL);
    VT_CHECK(PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) == 1);
    VT_CHECK((n = BIO_get_mem_data(bio, &data)) > 0);
    VT_CHECK((out = strndup(data, (size_t)n)) != NULL);
    BIO_free(bio);
    return out;
}

uint8_t *
vt_sign(const struct vt_key *k, const uint8_t *msg, size_t len, size_t *sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *dg = NULL;
    uint8_t *sig;
    size_t n = 0;

    VT_CHECK(md != NULL);
    if (k->alg == HM_KEY_EC_P384) {
        dg = EVP_sha384();
    } else if (k->alg != HM_KEY_ED25519) {
        dg = EVP_sha256();
    }
    VT_CHECK(EVP_DigestSignInit(md, &pctx, dg, NULL, k->pkey) == 1);
    if (k->alg == HM_KEY_RSA3072_PSS) {
        VT_CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
        VT_CHECK(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1);
        VT_CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1);
    }
    VT_CHECK(EVP_DigestSign(md, NULL, &n, msg, len) == 1);
    VT_CHECK((sig = malloc(n)) != NULL);
    VT_CHECK(EVP_DigestSign(md, sig, &n, msg, len) == 1);
    EVP_MD_CTX_free(md);
    *sig_len = n;
    return sig;
}

/* struct hm_tlog_signer's callback: Ed25519 over msg, or ECDSA P-256 over SHA-256(msg). */
static hm_err
note_sign_cb(void *ctx, const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t cap,
             size_t *sig_len)
{
    size_t n = 0;
    uint8_t *s = vt_sign(ctx, msg, msg_len, &n);

    VT_CHECK(n <= cap);
    memcpy(sig, s, n);
    free(s);
    *sig_len = n;
    return HM_OK;
}

struct vt_log *
vt_log_new(enum hm_key_alg alg, const char *origin)
{
    struct vt_log *log = calloc(1, sizeof(*log));
    uint8_t buf[300];
    size_t n = strlen(origin);

    VT_CHECK(log != NULL && n < sizeof(log->origin) && n + 34 <= sizeof(buf));
    VT_CHECK(alg == HM_KEY_ED25519 || alg == HM_KEY_EC_P256);
    memcpy(log->origin, origin, n + 1);
    log->key = vt_key_new(alg);
    VT_CHECK(hm_tlog_memstore_new(&log->ms) == HM_OK);
    log->signer.name = log->origin;
    log->signer.sign = note_sign_cb;
    log->signer.ctx = log->key;
    if (alg == HM_KEY_ED25519) {
        VT_CHECK(hm_tlog_key_id(HM_TLOG_SIG_ED25519, origin, log->key->raw, 32,
                                &log->signer.key_id) == HM_OK);
        memcpy(buf, origin, n);
        buf[n] = '\n';
        buf[n + 1] = HM_TLOG_SIG_ED25519;
        memcpy(buf + n + 2, log->key->raw, 32);
        hm_sha256(buf, n + 34, log->log_id);
    } else {
        VT_CHECK(hm_tlog_key_id(HM_TLOG_SIG_ECDSA, origin, log->key->spki, log->key->spki_len,
                                &log->signer.key_id) == HM_OK);
        hm_sha256(log->key->spki, log->key->spki_len, log->log_id);
    }
    return log;
}

void
vt_log_free(struct vt_log *log)
{
    if (log == NULL) {
        return;
    }
    for (size_t i = 0; i < log->n_w; i++) {
        vt_key_free(log->w[i].key);
    }
    vt_key_free(log->key);
    hm_tlog_memstore_free(log->ms);
    free(log);
}

size_t
vt_log_add_witness(struct vt_log *log, const char *name)
{
    struct vt_witness *w = &log->w[log->n_w];

    VT_CHECK(log->n_w < VT_MAX_WITNESSES && strlen(name) < sizeof(w->name));
    (void)snprintf(w->name, sizeof(w->name), "%s", name);
    w->key = vt_key_new(HM_KEY_ED25519);
    w->signer.name = w->name;
    w->signer.sign = note_sign_cb;
    w->signer.ctx = w->key;
    VT_CHECK(hm_tlog_key_id(HM_TLOG_SIG_COSIG_ED25519, name, w->key->raw, 32, &w->signer.key_id) ==
             HM_OK);
    return log->n_w++;
}

const char *
vt_log_origin(const struct vt_log *log)
{
    return log->origin;
}

const uint8_t *
vt_log_id(const struct vt_log *log)
{
    return log->log_id;
}

const struct vt_key *
vt_log_key(const struct vt_log *log)
{
    return log->key;
}

static char *
vkey_of(enum hm_tlog_sigtype type, const char *name, const uint8_t *key, size_t len)
{
    struct hm_tlog_verifier *v = NULL;
    char *s = NULL;

    VT_CHECK(hm_tlog_verifier_new(type, name, key, len, &v) == HM_OK);
    VT_CHECK(hm_tlog_verifier_format(v, &s) == HM_OK);
    hm_tlog_verifier_free(v);
    return s;
}

char *
vt_log_vkey(const struct vt_log *log)
{
    if (log->key->alg == HM_KEY_ED25519) {
        return vkey_of(HM_TLOG_SIG_ED25519, log->origin, log->key->raw, 32);
    }
    return vkey_of(HM_TLOG_SIG_ECDSA, log->origin, log->key->spki, log->key->spki_len);
}

char *
vt_log_witness_vkey(const struct vt_log *log, size_t i)
{
    return vkey_of(HM_TLOG_SIG_COSIG_ED25519, log->w[i].name, log->w[i].key->raw, 32);
}

const char *
vt_log_witness_name(const struct vt_log *log, size_t i)
{
    return log->w[i].name;
}

char *
vt_replace(char *s, const char *from, const char *to)
{
    char *at = strstr(s, from), *out;
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;

    VT_CHECK(at != NULL && (out = malloc(n)) != NULL);
    (void)snprintf(out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    free(s);
    return out;
}

void
vt_write(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");

    VT_CHECK(f != NULL && fwrite(buf, 1, len, f) == len && fclose(f) == 0);
}

/* ka_fixture.c: synthetic key-attestation evidence (see ka_fixture.h). */
#include "ka_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#define ATTR_KEY 0x00040072u /* fixedTPM fixedParent sensitiveDataOrigin userWithAuth sign */
#define ATTR_AK  0x00050072u /* the same + restricted */

struct w {
    uint8_t b[2048];
    size_t n;
};

static void
put(struct w *w, uint64_t v, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++) {
        w->b[w->n++] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    }
}

static void
put2b(struct w *w, const uint8_t *p, size_t n)
{
    put(w, n, 2);
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static EVP_PKEY *
p256(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static void
xy(EVP_PKEY *k, uint8_t x[32], uint8_t y[32])
{
    BIGNUM *bx = NULL, *by = NULL;

    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &bx);
    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &by);
    BN_bn2binpad(bx, x, 32);
    BN_bn2binpad(by, y, 32);
    BN_free(bx);
    BN_free(by);
}

/* TPMT_PUBLIC of an ECDSA P-256 key. */
static void
tpmt_public(struct w *w, EVP_PKEY *k, uint32_t attrs)
{
    uint8_t x[32], y[32];

    xy(k, x, y);
    put(w, 0x0023, 2); /* ECC */
    put(w, 0x000b, 2); /* nameAlg SHA-256 */
    put(w, attrs, 4);
    put(w, 0, 2);      /* authPolicy */
    put(w, 0x0010, 2); /* symmetric NULL */
    put(w, 0x0018, 2); /* ECDSA */
    put(w, 0x000b, 2); /* SHA-256 */
    put(w, 0x0003, 2); /* NIST P-256 */
    put(w, 0x0010, 2); /* kdf NULL */
    put2b(w, x, 32);
    put2b(w, y, 32);
}

static struct hm_keyatt_bytes
copy(const struct w *w)
{
    struct hm_keyatt_bytes b = { malloc(w->n), w->n };

    memcpy(b.data, w->b, w->n);
    return b;
}

/* TPMT_SIGNATURE (ECDSA, SHA-256) by k over msg. */
static struct hm_keyatt_bytes
tpm_sign(EVP_PKEY *k, const uint8_t *msg, size_t len)
{
    uint8_t *der = NULL, r[32], s[32];
    size_t der_len = 0;
    const unsigned char *p;
    ECDSA_SIG *es;
    struct w w = { .n = 0 };

    ka_fx_sign(k, msg, len, &der, &der_len);
    p = der;
    es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    BN_bn2binpad(ECDSA_SIG_get0_r(es), r, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), s, 32);
    ECDSA_SIG_free(es);
    free(der);
    put(&w, 0x0018, 2);
    put(&w, 0x000b, 2);
    put2b(&w, r, 32);
    put2b(&w, s, 32);
    return copy(&w);
}

hm_err
ka_fx_sign(void *pkey, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    size_t n = 0;

    *sig = NULL;
    if (EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, pkey) != 1 ||
        EVP_DigestSign(c, NULL, &n, msg, len) != 1 || (*sig = malloc(n)) == NULL ||
        EVP_DigestSign(c, *sig, &n, msg, len) != 1) {
        EVP_MD_CTX_free(c);
        free(*sig);
        *sig = NULL;
        return HM_E_INTERNAL;
    }
    *sig_len = n;
    EVP_MD_CTX_free(c);
    return HM_OK;
}

static X509 *
cert(const char *cn, EVP_PKEY *subject_key, X509 *issuer, EVP_PKEY *issuer_key, bool ca, long days)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * days);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x,
                         issuer != NULL ? X509_get_subject_name(issuer) : X509_get_subject_name(x));
    X509_set_pubkey(x, subject_key);
    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
                              ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage,
                              ca ? "critical,keyCertSign" : "critical,keyEncipherment");
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(x, issuer_key, EVP_sha256());
    return x;
}

char *
ka_fx_cert_pem(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data, *out;
    long n;

    PEM_write_bio_X509(b, x);
    n = BIO_get_mem_data(b, &data);
    out = strndup(data, (size_t)n);
    BIO_free(b);
    return out;
}

int
ka_fx_init(struct ka_fx *f)
{
    EVP_PKEY *root_key = p256(), *inter_key = p256(), *wrong_key = p256();
    unsigned char *der = NULL;
    int n;

    memset(f, 0, sizeof(*f));
    f->ak = p256();
    f->key = p256();
    f->other = p256();
    f->ek = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    f->root = cert("Test TPM Vendor Root", root_key, NULL, root_key, true, 3650);
    f->inter = cert("Test TPM Vendor Issuing CA", inter_key, f->root, root_key, true, 3650);
    f->ekcert = cert("Test EK", f->ek, f->inter, inter_key, false, 3650);
    f->wrong_root = cert("Test TPM Vendor Root", wrong_key, NULL, wrong_key, true, 3650);
    f->roots_pem = ka_fx_cert_pem(f->root);
    f->wrong_pem = ka_fx_cert_pem(f->wrong_root);
    EVP_PKEY_free(root_key);
    EVP_PKEY_free(inter_key);
    EVP_PKEY_free(wrong_key);
    if ((n = i2d_PUBKEY(f->key, &der)) <= 0) {
        return -1;
    }
    f->key_spki = malloc((size_t)n);
    memcpy(f->key_spki, der, (size_t)n);
    f->key_spki_len = (size_t)n;
    OPENSSL_free(der);
    RAND_bytes(f->nonce, sizeof(f->nonce));
    ka_fx_reset(f);
    return f->ak != NULL && f->ek != NULL && f->ekcert != NULL ? 0 : -1;
}

void
ka_fx_free(struct ka_fx *f)
{
    EVP_PKEY_free(f->ak);
    EVP_PKEY_free(f->key);
    EVP_PKEY_free(f->other);
    EVP_PKEY_free(f->ek);
    X509_free(f->root);
    X509_free(f->inter);
    X509_free(f->ekcert);
    X509_free(f->wrong_root);
    free(f->roots_pem);
    free(f->wrong_pem);
    free(f->key_spki);
}

void
ka_fx_reset(struct ka_fx *f)
{
    f->magic = 0xff544347u;
    f->type = 0x8017;
    f->key_attrs = ATTR_KEY;
    f->ak_attrs = ATTR_AK;
    f->extra_nonce_wrong = f->name_wrong = f->key_public_other = false;
    f->sign_with_other = f->trailing_byte = false;
}

static struct hm_keyatt_bytes
der_of(X509 *x)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    struct hm_keyatt_bytes b = { malloc((size_t)n), (size_t)n };

    memcpy(b.data, der, (size_t)n);
    OPENSSL_free(der);
    return b;
}

struct hm_keyatt *
ka_fx_build(const struct ka_fx *f)
{
    struct hm_keyatt *ka = calloc(1, sizeof(*ka));
    struct w kp = { .n = 0 }, ap = { .n = 0 }, at = { .n = 0 };
    uint8_t name[34] = { 0x00, 0x0b }, signer[34] = { 0x00, 0x0b }, nonce[32];

    tpmt_public(&kp, f->key_public_other ? f->other : f->key, f->key_attrs);
    tpmt_public(&ap, f->ak, f->ak_attrs);
    SHA256(kp.b, kp.n, name + 2);
    SHA256(ap.b, ap.n, signer + 2);
    memcpy(nonce, f->nonce, sizeof(nonce));
    nonce[0] ^= f->extra_nonce_wrong ? 1 : 0;
    name[20] ^= f->name_wrong ? 1 : 0;
    put(&at, f->magic, 4);
    put(&at, f->type, 2);
    put2b(&at, signer, sizeof(signer));
    put2b(&at, nonce, sizeof(nonce));
    put(&at, 123456, 8); /* clock */
    put(&at, 1, 4);
    put(&at, 0, 4);
    put(&at, 1, 1);
    put(&at, 0x2019102300163636ull, 8);
    put2b(&at, name, sizeof(name));
    put2b(&at, signer, sizeof(signer)); /* qualifiedName: not checked */
    if (f->trailing_byte) {
        put(&at, 0, 1);
    }
    ka->evidence = HM_KEYATT_TPM2_CERTIFY;
    ka->alg = HM_KEY_EC_P256;
    ka->spki.data = malloc(f->key_spki_len);
    memcpy(ka->spki.data, f->key_spki, f->key_spki_len);
    ka->spki.len = f->key_spki_len;
    memcpy(ka->nonce, f->nonce, sizeof(f->nonce));
    ka->nonce_len = sizeof(f->nonce);
    ka->created_at = 1795000000;
    ka->tpm2.certify_info = copy(&at);
    ka->tpm2.signature = tpm_sign(f->sign_with_other ? f->other : f->ak, at.b, at.n);
    ka->tpm2.ak_public = copy(&ap);
    ka->tpm2.key_public = copy(&kp);
    ka->tpm2.ek_cert = der_of(f->ekcert);
    ka->tpm2.chain[0] = der_of(f->inter);
    ka->tpm2.n_chain = 1;
    memcpy(ka->tpm2.manufacturer, "TST", 4);
    return ka;
}

struct hm_keyatt_opts
ka_fx_opts(const struct ka_fx *f)
{
    struct hm_keyatt_opts o = { 0 };

    o.spki = f->key_spki;
    o.spki_len = f->key_spki_len;
    o.nonce = f->nonce;
    o.nonce_len = sizeof(f->nonce);
    o.roots_pem = (const uint8_t *)f->roots_pem;
    o.roots_pem_len = strlen(f->roots_pem);
    return o;
}

enum hm_keyatt_status
ka_fx_status(const struct hm_keyatt *ka, const struct hm_keyatt_opts *o, char *detail,
             size_t detail_len)
{
    struct hm_keyatt_result r;
    uint8_t *stmt = NULL;
    size_t len = 0;

    if (hm_keyatt_statement(ka, &stmt, &len, NULL, 0) != HM_OK ||
        hm_verify_keyatt_statement(stmt, len, o, &r) != HM_OK) {
        free(stmt);
        return (enum hm_keyatt_status) - 1;
    }
    free(stmt);
    if (detail != NULL) {
        snprintf(detail, detail_len, "%s", r.detail);
    }
    return r.status;
}

/*
 * keyattest.c: the key-attestation statement (docs/key-attestation.md).
 *
 * Written by hand, like the release statement: keys in a fixed order, no whitespace, so
 * the same evidence gives the same bytes, and those bytes are what gets signed.  Binary
 * evidence is standard base64 with padding, nonces lowercase hex, token strings printable
 * ASCII (hsm/ replaced anything else with '?').
 */
#include <hm/keyattest.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest_int.h"

#define KA_ASSURANCE                                                                               \
    "self-asserted: read from the token with C_GetAttributeValue, C_GetTokenInfo and "             \
    "C_GetInfo; nothing signs these values, so they are the signer's own claim"

static void HM_PRINTF(3, 4) why_set(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;

    if (why == NULL || why_len == 0) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

static void
put_b64(struct hm_buf *b, const char *key, const struct hm_keyatt_bytes *v, bool comma)
{
    char *text = NULL;

    if (hm_b64_encode(v->data, v->len, &text) != HM_OK) {
        b->failed = true;
        b->err = HM_E_NOMEM;
        return;
    }
    hm_buf_printf(b, "%s\"%s\":\"%s\"", comma ? "," : "", key, text);
    free(text);
}

/* An array element: base64 text only. */
static void
put_b64_item(struct hm_buf *b, const struct hm_keyatt_bytes *v, bool comma)
{
    char *text = NULL;

    if (hm_b64_encode(v->data, v->len, &text) != HM_OK) {
        b->failed = true;
        b->err = HM_E_NOMEM;
        return;
    }
    hm_buf_printf(b, "%s\"%s\"", comma ? "," : "", text);
    free(text);
}

static void
put_text(struct hm_buf *b, const char *key, const char *v, bool comma)
{
    hm_buf_printf(b, "%s\"%s\":", comma ? "," : "", key);
    hm_attest_json_str(b, v);
}

static bool
text_ok(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);

    return n <= max && (n == 0 || hm_attest_printable(s, max));
}

static hm_err
put_tpm2(struct hm_buf *b, const struct hm_keyatt_tpm2 *t, char *why, size_t why_len)
{
    const struct hm_keyatt_bytes *need[] = { &t->certify_info, &t->signature, &t->ak_public,
                                             &t->key_public };

    for (size_t i = 0; i < 4; i++) {
        if (need[i]->data == NULL || need[i]->len == 0 || need[i]->len > HM_KEYATT_TPM_MAX) {
            why_set(why, why_len, "TPM evidence %zu missing or larger than %u bytes", i,
                    HM_KEYATT_TPM_MAX);
            return HM_E_INVALID;
        }
    }
    if (t->n_chain > HM_KEYATT_MAX_CHAIN || !text_ok(t->manufacturer, 4) ||
        t->ek_cert.len > HM_KEYATT_CERT_MAX) {
        why_set(why, why_len, "EK certificate, chain or manufacturer out of bounds");
        return HM_E_INVALID;
    }
    hm_buf_puts(b, ",\"tpm2\":{");
    put_b64(b, "certifyInfo", &t->certify_info, false);
    put_b64(b, "signature", &t->signature, true);
    put_b64(b, "akPublic", &t->ak_public, true);
    put_b64(b, "keyPublic", &t->key_public, true);
    if (t->ek_cert.data != NULL) {
        put_b64(b, "ekCertificate", &t->ek_cert, true);
    }
    hm_buf_puts(b, ",\"ekChain\":[");
    for (size_t i = 0; i < t->n_chain; i++) {
        put_b64_item(b, &t->chain[i], i > 0);
    }
    hm_buf_puts(b, "]");
    put_text(b, "manufacturer", t->manufacturer, true);
    hm_buf_puts(b, "}");
    return HM_OK;
}

static hm_err
put_pkcs11(struct hm_buf *b, const struct hm_keyatt_pkcs11 *p, char *why, size_t why_len)
{
    if (!text_ok(p->token_label, 32) || !text_ok(p->manufacturer, 32) || !text_ok(p->model, 16) ||
        !text_ok(p->serial, 16) || !text_ok(p->library_description, 32) ||
        !text_ok(p->library_manufacturer, 32)) {
        why_set(why, why_len, "token or library text is not printable ASCII within its size");
        return HM_E_INVALID;
    }
    hm_buf_printf(b,
                  ",\"pkcs11\":{\"assurance\":\"%s\",\"attributes\":{\"sensitive\":%s,"
                  "\"alwaysSensitive\":%s,\"extractable\":%s,\"neverExtractable\":%s,"
                  "\"local\":%s",
                  KA_ASSURANCE, p->sensitive ? "true" : "false",
                  p->always_sensitive ? "true" : "false", p->extractable ? "true" : "false",
                  p->never_extractable ? "true" : "false", p->local ? "true" : "false");
    if (p->has_key_gen_mechanism) {
        hm_buf_printf(b, ",\"keyGenMechanism\":\"0x%08llx\"",
                      (unsigned long long)p->key_gen_mechanism);
    }
    hm_buf_puts(b, "},\"token\":{");
    put_text(b, "label", p->token_label, false);
    put_text(b, "manufacturer", p->manufacturer, true);
    put_text(b, "model", p->model, true);
    put_text(b, "serial", p->serial, true);
    hm_buf_printf(b, ",\"firmwareVersion\":\"%u.%u\",\"hardwareVersion\":\"%u.%u\"},\"library\":{",
                  p->firmware_major, p->firmware_minor, p->hardware_major, p->hardware_minor);
    put_text(b, "description", p->library_description, false);
    put_text(b, "manufacturer", p->library_manufacturer, true);
    hm_buf_printf(b, ",\"version\":\"%u.%u\",\"cryptokiVersion\":\"%u.%u\"}}", p->library_major,
                  p->library_minor, p->cryptoki_major, p->cryptoki_minor);
    return HM_OK;
}

/* DER to one PEM certificate as a JSON string. */
static void
put_pem(struct hm_buf *b, const struct hm_keyatt_bytes *der, bool comma)
{
    char *text = NULL;
    size_t n = 0;

    if (hm_b64_encode(der->data, der->len, &text) != HM_OK) {
        b->failed = true;
        b->err = HM_E_NOMEM;
        return;
    }
    hm_buf_printf(b, "%s\"-----BEGIN CERTIFICATE-----\\n", comma ? "," : "");
    for (size_t len = strlen(text); n < len; n += 64) {
        hm_buf_printf(b, "%.*s\\n", (int)(len - n < 64 ? len - n : 64), text + n);
    }
    hm_buf_puts(b, "-----END CERTIFICATE-----\\n\"");
    free(text);
}

static void
put_vendor(struct hm_buf *b, const struct hm_keyatt *ka)
{
    if (ka->n_vendor == 0) {
        return;
    }
    hm_buf_puts(b, ",\"vendorEvidence\":[");
    for (size_t i = 0; i < ka->n_vendor; i++) {
        const struct hm_keyatt_vendor *v = &ka->vendor[i];
        hm_buf_printf(b, "%s{\"format\":", i > 0 ? "," : "");
        hm_attest_json_str(b, v->format);
        hm_buf_puts(b, ",\"certificate\":");
        put_pem(b, &v->certificate, false);
        hm_buf_puts(b, ",\"chain\":[");
        for (size_t c = 0; c < v->n_chain; c++) {
            put_pem(b, &v->chain[c], c > 0);
        }
        hm_buf_puts(b, "]}");
    }
    hm_buf_puts(b, "]");
}

static hm_err
put_head(struct hm_buf *b, const struct hm_keyatt *ka)
{
    uint8_t dg[HM_SHA256_LEN];
    char hex[2 * HM_KEYATT_NONCE_MAX + 1], *keyid = NULL, when[32];
    hm_err err;

    hm_sha256(ka->spki.data, ka->spki.len, dg);
    if ((err = hm_b64_encode(dg, sizeof(dg), &keyid)) != HM_OK) {
        return err;
    }
    hm_hex_encode(dg, sizeof(dg), hex);
    hm_buf_printf(b,
                  "{\"_type\":\"%s\",\"subject\":[{\"name\":\"%s\",\"digest\":{\"sha256\":\"%s\"}"
                  "}],\"predicateType\":\"%s\",\"predicate\":{\"evidenceType\":\"%s\","
                  "\"algorithm\":\"%s\"",
                  HM_STATEMENT_TYPE_V1, HM_KEYATT_SUBJECT, hex, HM_PREDICATE_KEY,
                  ka->evidence == HM_KEYATT_TPM2_CERTIFY ? "tpm2-certify" : "pkcs11-self-asserted",
                  hm_key_alg_name(ka->alg));
    put_b64(b, "publicKey", &ka->spki, true);
    hm_hex_encode(ka->nonce, ka->nonce_len, hex);
    hm_time_rfc3339(ka->created_at, when);
    hm_buf_printf(b, ",\"keyId\":\"%s\",\"nonce\":\"%s\",\"createdAt\":\"%s\"", keyid, hex, when);
    free(keyid);
    return HM_OK;
}

hm_err
hm_keyatt_statement(const struct hm_keyatt *ka, uint8_t **out, size_t *len, char *why,
                    size_t why_len)
{
    struct hm_buf b;
    hm_err err;

    *out = NULL;
    *len = 0;
    why_set(why, why_len, "%s", "");
    if (ka == NULL || ka->spki.data == NULL || ka->spki.len == 0 || ka->spki.len > 1024 ||
        ka->nonce_len == 0 || ka->nonce_len > HM_KEYATT_NONCE_MAX ||
        hm_key_alg_name(ka->alg)[0] == '\0' || ka->n_vendor > HM_KEYATT_MAX_VENDOR ||
        (ka->evidence != HM_KEYATT_TPM2_CERTIFY &&
         ka->evidence != HM_KEYATT_PKCS11_SELF_ASSERTED)) {
        why_set(why, why_len, "no key, no nonce, or an unknown evidence type");
        return HM_E_INVALID;
    }
    hm_buf_init(&b, HM_KEYATT_MAX_BYTES);
    if ((err = put_head(&b, ka)) != HM_OK ||
        (err = ka->evidence == HM_KEYATT_TPM2_CERTIFY
                   ? put_tpm2(&b, &ka->tpm2, why, why_len)
                   : put_pkcs11(&b, &ka->pkcs11, why, why_len)) != HM_OK) {
        hm_buf_free(&b);
        return err;
    }
    put_vendor(&b, ka);
    hm_buf_puts(&b, "}}");
    if ((err = hm_buf_status(&b)) != HM_OK) {
        hm_buf_free(&b);
        return err;
    }
    *out = hm_buf_steal(&b, len); /* the caller owns it now */
    hm_buf_free(&b);
    return *out != NULL ? HM_OK : HM_E_NOMEM;
}

/* Every certificate of a PEM text, as DER, into dst[*n..max). */
static hm_err
pem_certs(const uint8_t *pem, size_t len, struct hm_keyatt_bytes *dst, size_t *n, size_t max)
{
    BIO *bio = len <= INT32_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
    hm_err err = bio != NULL ? HM_OK : HM_E_INVALID;
    X509 *x;

    while (err == HM_OK && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        unsigned char *der = NULL;
        int dl = i2d_X509(x, &der);
        X509_free(x);
        if (dl <= 0 || (size_t)dl > HM_KEYATT_CERT_MAX || *n >= max) {
            err = *n >= max ? HM_E_LIMIT : HM_E_INVALID;
        } else if ((dst[*n].data = malloc((size_t)dl)) == NULL) {
            err = HM_E_NOMEM;
        } else {
            memcpy(dst[*n].data, der, (size_t)dl);
            dst[(*n)++].len = (size_t)dl;
        }
        OPENSSL_free(der);
    }
    ERR_clear_error();
    BIO_free(bio);
    return err;
}

hm_err
hm_keyatt_set_ek_chain_pem(struct hm_keyatt *ka, const uint8_t *pem, size_t len)
{
    size_t before;
    hm_err err;

    if (ka == NULL || pem == NULL) {
        return HM_E_INVALID;
    }
    before = ka->tpm2.n_chain;
    err = pem_certs(pem, len, ka->tpm2.chain, &ka->tpm2.n_chain, HM_KEYATT_MAX_CHAIN);
    return err == HM_OK && ka->tpm2.n_chain == before ? HM_E_INVALID : err;
}

hm_err
hm_keyatt_add_vendor_pem(struct hm_keyatt *ka, const char *format, const uint8_t *pem, size_t len)
{
    struct hm_keyatt_bytes certs[HM_KEYATT_MAX_CHAIN + 1] = { { 0 } };
    struct hm_keyatt_vendor *v;
    size_t n = 0, flen = format != NULL ? strnlen(format, 65) : 0;
    hm_err err;

    if (ka == NULL || pem == NULL || flen == 0 || flen > 64 ||
        strspn(format, "abcdefghijklmnopqrstuvwxyz0123456789-") != flen) {
        return HM_E_INVALID;
    }
    if (ka->n_vendor >= HM_KEYATT_MAX_VENDOR) {
        return HM_E_LIMIT;
    }
    if ((err = pem_certs(pem, len, certs, &n, HM_KEYATT_MAX_CHAIN + 1)) != HM_OK || n == 0) {
        for (size_t i = 0; i < n; i++) {
            free(certs[i].data);
        }
        return err != HM_OK ? err : HM_E_INVALID;
    }
    v = &ka->vendor[ka->n_vendor++];
    memcpy(v->format, format, flen + 1);
    v->certificate = certs[0];
    for (size_t i = 1; i < n; i++) {
        v->chain[v->n_chain++] = certs[i];
    }
    return HM_OK;
}

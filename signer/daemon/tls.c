/*
 * tls.c: the server's TLS context and the client identity it proves.
 *
 * TLS 1.2 and 1.3 only; for 1.2 only ECDHE with AEAD ciphers.  A client certificate is
 * required and verified during the handshake against the configured client CA (and
 * CRL): a client without one, or with one from another CA, never reaches HTTP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "hmd.h"

#define HMD_TLS12_CIPHERS                                                                          \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                                   \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

static void
ssl_why(char *why, size_t why_len, const char *what, const char *path)
{
    unsigned long e = ERR_peek_last_error();
    char buf[256] = "";

    if (e != 0) {
        ERR_error_string_n(e, buf, sizeof(buf));
    }
    snprintf(why, why_len, "%s %s%s%s", what, path, buf[0] != '\0' ? ": " : "", buf);
    ERR_clear_error();
}

/* Opens the file first so that "cannot read" is told apart from "not a certificate". */
static bool
readable(const char *path, char *why, size_t why_len)
{
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        snprintf(why, why_len, "cannot open %s", path);
        return false;
    }
    fclose(f);
    return true;
}

static hm_err
load_crl(SSL_CTX *ctx, const char *path, char *why, size_t why_len)
{
    X509_STORE *st = SSL_CTX_get_cert_store(ctx);
    X509_CRL *crl = NULL;
    unsigned n = 0;
    BIO *bio = NULL;

    if ((bio = BIO_new_file(path, "r")) == NULL) {
        ssl_why(why, why_len, "cannot open", path);
        return HM_E_IO;
    }
    while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
        int ok = X509_STORE_add_crl(st, crl);
        X509_CRL_free(crl);
        if (ok != 1) {
            BIO_free(bio);
            ssl_why(why, why_len, "cannot add the CRL from", path);
            return HM_E_INVALID;
        }
        n++;
    }
    BIO_free(bio);
    ERR_clear_error(); /* the loop ends on "no start line" */
    if (n == 0) {
        snprintf(why, why_len, "no PEM CRL in %s", path);
        return HM_E_INVALID;
    }
    X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
    return HM_OK;
}

static hm_err
load_client_ca(SSL_CTX *ctx, const char *path, char *why, size_t why_len)
{
    STACK_OF(X509_NAME) *names = NULL;

    if (!readable(path, why, why_len)) {
        return HM_E_IO;
    }
    if (SSL_CTX_load_verify_locations(ctx, path, NULL) != 1 ||
        (names = SSL_load_client_CA_file(path)) == NULL || sk_X509_NAME_num(names) == 0) {
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        ssl_why(why, why_len, "no CA certificate in", path);
        return HM_E_INVALID;
    }
    SSL_CTX_set_client_CA_list(ctx, names); /* ctx owns names now */
    return HM_OK;
}

static hm_err
load_key(SSL_CTX *ctx, const struct hmd_config *cfg, char *why, size_t why_len)
{
    EVP_PKEY *pkey = NULL;
    BIO *bio = NULL;
    hm_err rc = HM_E_INVALID;

    if (!readable(cfg->tls_key, why, why_len) || (bio = BIO_new_file(cfg->tls_key, "r")) == NULL) {
        return HM_E_IO;
    }
    if ((pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
        ssl_why(why, why_len, "no usable PEM private key in", cfg->tls_key);
    } else if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        ERR_clear_error();
        snprintf(why, why_len, "the key does not match the certificate %s", cfg->tls_cert);
    } else {
        rc = HM_OK;
    }
    EVP_PKEY_free(pkey);
    BIO_free(bio);
    return rc;
}

static hm_err
ctx_settings(SSL_CTX *ctx)
{
    static const unsigned char sid[] = "hallmarkd";

    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx, HMD_TLS12_CIPHERS) != 1 ||
        SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1) != 1) {
        return HM_E_INTERNAL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_COMPRESSION | SSL_OP_SINGLE_ECDH_USE);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_verify_depth(ctx, 4);
    if (SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1) {
        return HM_E_INTERNAL;
    }
    return HM_OK;
}

hm_err
hmd_tls_ctx_new(const struct hmd_config *cfg, SSL_CTX **out, const char **bad_key, char *why,
                size_t why_len)
{
    SSL_CTX *ctx = NULL;
    hm_err rc = HM_E_INVALID;

    *out = NULL;
    *bad_key = "tls";
    why[0] = '\0';
    ERR_clear_error();
    if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL || ctx_settings(ctx) != HM_OK) {
        ssl_why(why, why_len, "cannot set up TLS", "");
        rc = HM_E_INTERNAL;
        goto out;
    }
    *bad_key = "tls.cert";
    if (!readable(cfg->tls_cert, why, why_len) ||
        SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1) {
        if (why[0] == '\0') {
            ssl_why(why, why_len, "no usable PEM certificate in", cfg->tls_cert);
        }
        goto out;
    }
    *bad_key = "tls.key";
    if ((rc = load_key(ctx, cfg, why, why_len)) != HM_OK) {
        goto out;
    }
    *bad_key = "tls.client_ca";
    if ((rc = load_client_ca(ctx, cfg->tls_client_ca, why, why_len)) != HM_OK) {
        goto out;
    }
    *bad_key = "tls.crl";
    if (cfg->tls_crl != NULL && (rc = load_crl(ctx, cfg->tls_crl, why, why_len)) != HM_OK) {
        goto out;
    }
    *bad_key = NULL;
    *out = ctx;
    ctx = NULL; /* the caller owns it now */
    rc = HM_OK;
out:
    SSL_CTX_free(ctx);
    return rc;
}

void
hmd_tls_ctx_free(SSL_CTX *ctx)
{
    SSL_CTX_free(ctx);
}

/* An ASN.1 string as a C string, refusing embedded NULs (a classic CN spoof). */
static char *
asn1_dup(const ASN1_STRING *s)
{
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, s);
    char *out = NULL;

    if (n < 0) {
        return NULL;
    }
    if (n > 0 && n <= HMD_MAX_IDENTITY && memchr(utf8, '\0', (size_t)n) == NULL) {
        out = strndup((const char *)utf8, (size_t)n);
    }
    OPENSSL_free(utf8);
    return out;
}

static hm_err
push(char ***v, size_t *n, char *s)
{
    char **nv = realloc(*v, (*n + 1) * sizeof(char *));

    if (nv == NULL) {
        free(s);
        return HM_E_NOMEM;
    }
    nv[(*n)++] = s;
    *v = nv;
    return HM_OK;
}

static hm_err
identity_sans(X509 *cert, struct hmd_identity *id)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    hm_err rc = HM_OK;

    for (int i = 0; gens != NULL && rc == HM_OK && i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char *s = NULL;
        if (g->type == GEN_DNS && (s = asn1_dup(g->d.dNSName)) != NULL) {
            rc = push(&id->dns, &id->n_dns, s);
        } else if (g->type == GEN_URI && (s = asn1_dup(g->d.uniformResourceIdentifier)) != NULL) {
            rc = push(&id->uri, &id->n_uri, s);
        }
    }
    GENERAL_NAMES_free(gens);
    return rc;
}

hm_err
hmd_identity_from_cert(X509 *cert, struct hmd_identity **out)
{
    struct hmd_identity *id = NULL;
    X509_NAME *subj = NULL;
    hm_err rc = HM_E_NOMEM;
    char buf[HMD_MAX_IDENTITY + 16];

    *out = NULL;
    if (cert == NULL) {
        return HM_E_DENIED;
    }
    if ((id = calloc(1, sizeof(*id))) == NULL) {
        return HM_E_NOMEM;
    }
    subj = X509_get_subject_name(cert);
    int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
    /* Two CNs would make "the" CN ambiguous: then only the SANs identify the client. */
    if (idx >= 0 && X509_NAME_get_index_by_NID(subj, NID_commonName, idx) < 0) {
        id->cn = asn1_dup(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx)));
    }
    if ((rc = identity_sans(cert, id)) != HM_OK) {
        goto out;
    }
    if (id->cn != NULL) {
        snprintf(buf, sizeof(buf), "cn:%s", id->cn);
    } else if (id->n_dns > 0) {
        snprintf(buf, sizeof(buf), "san:dns:%s", id->dns[0]);
    } else if (id->n_uri > 0) {
        snprintf(buf, sizeof(buf), "san:uri:%s", id->uri[0]);
    } else {
        rc = HM_E_DENIED; /* a certificate that names nobody */
        goto out;
    }
    if ((id->display = strdup(buf)) == NULL) {
        rc = HM_E_NOMEM;
        goto out;
    }
    *out = id;
    id = NULL; /* the caller owns it now */
    rc = HM_OK;
out:
    hmd_identity_free(id);
    return rc;
}

void
hmd_identity_free(struct hmd_identity *id)
{
    if (id == NULL) {
        return;
    }
    free(id->cn);
    for (size_t i = 0; i < id->n_dns; i++) {
        free(id->dns[i]);
    }
    for (size_t i = 0; i < id->n_uri; i++) {
        free(id->uri[i]);
    }
    free(id->dns);
    free(id->uri);
    free(id->display);
    free(id);
}

bool
hmd_rule_matches(const struct hmd_rule *rule, const struct hmd_identity *id)
{
    switch (rule->kind) {
    case HMD_RULE_CN:
        return id->cn != NULL && strcmp(id->cn, rule->value) == 0;
    case HMD_RULE_SAN_DNS:
        for (size_t i = 0; i < id->n_dns; i++) {
            /* DNS names compare without regard to case (RFC 4343). */
            if (strcasecmp(id->dns[i], rule->value) == 0) {
                return true;
            }
        }
        return false;
    case HMD_RULE_SAN_URI:
        for (size_t i = 0; i < id->n_uri; i++) {
            if (strcmp(id->uri[i], rule->value) == 0) {
                return true;
            }
        }
        return false;
    }
    return false;
}

bool
hmd_product_allows(const struct hmd_product *p, const struct hmd_identity *id)
{
    for (size_t i = 0; i < p->n_rules; i++) {
        if (hmd_rule_matches(&p->rules[i], id)) {
            return true;
        }
    }
    return false;
}

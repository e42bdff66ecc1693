/*
 * cli_http.c: a small HTTPS/1.1 client with mutual TLS, for `hallmark sign --server` and
 * the other commands that talk to hallmarkd.  One request per connection, bodies with a
 * Content-Length, replies bounded by CLI_HTTP_MAX_REPLY.
 */
#include "cli_http.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define CLI_HTTP_MAX_REPLY (64u << 20)
#define CLI_HTTP_MAX_HEAD  (64u << 10)

/* https://HOST[:PORT][/PREFIX] -> host, port, prefix (without a trailing '/'). */
static hm_err
parse_url(const char *url, char *host, size_t hlen, char *port, size_t plen, char *prefix,
          size_t xlen)
{
    const char *p, *slash, *colon, *end;

    if (strncmp(url, "https://", 8) != 0) {
        fprintf(stderr, "hallmark: the server URL must start with https://\n");
        return HM_E_INVALID;
    }
    p = url + 8;
    slash = strchr(p, '/');
    end = slash != NULL ? slash : p + strlen(p);
    if (*p == '[') { /* [IPv6]:port */
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (rb == NULL) {
            return HM_E_INVALID;
        }
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
        if ((size_t)(rb - p - 1) >= hlen) {
            return HM_E_INVALID;
        }
        snprintf(host, hlen, "%.*s", (int)(rb - p - 1), p + 1);
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        size_t n = (size_t)((colon != NULL ? colon : end) - p);
        if (n == 0 || n >= hlen) {
            return HM_E_INVALID;
        }
        snprintf(host, hlen, "%.*s", (int)n, p);
    }
    if (colon != NULL) {
        size_t n = (size_t)(end - colon - 1);
        if (n == 0 || n >= plen || strspn(colon + 1, "0123456789") < n) {
            return HM_E_INVALID;
        }
        snprintf(port, plen, "%.*s", (int)n, colon + 1);
    } else {
        snprintf(port, plen, "443");
    }
    snprintf(prefix, xlen, "%s", slash != NULL ? slash : "");
    while (strlen(prefix) > 0 && prefix[strlen(prefix) - 1] == '/') {
        prefix[strlen(prefix) - 1] = '\0';
    }
    return HM_OK;
}

static SSL_CTX *
make_ctx(const struct cli_http_opts *o)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
        goto fail;
    }
    if (o->cacert == NULL || SSL_CTX_load_verify_locations(ctx, o->cacert, NULL) != 1) {
        fprintf(stderr, "hallmark: cannot load the server CA %s\n", o->cacert ? o->cacert : "");
        goto fail;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (o->cert != NULL) {
        if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1 || o->key == NULL ||
            SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
            fprintf(stderr, "hallmark: cannot load the client certificate %s and key %s\n", o->cert,
                    o->key ? o->key : "(none)");
            goto fail;
        }
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

/* Reads the whole reply (the server closes after it: Connection: close). */
static hm_err
read_reply(BIO *bio, struct hm_buf *in)
{
    char chunk[16384];

    for (;;) {
        int n = BIO_read(bio, chunk, sizeof(chunk));
        if (n > 0) {
            hm_buf_append(in, chunk, (size_t)n);
            if (hm_buf_status(in) != HM_OK) {
                return HM_E_LIMIT;
            }
            continue;
        }
        if (BIO_should_retry(bio)) {
            continue;
        }
        return in->len > 0 ? HM_OK : HM_E_IO;
    }
}

static hm_err
split_reply(struct hm_buf *in, int *status, uint8_t **body, size_t *body_len)
{
    char *head = (char *)in->data, *sep, *cl;
    size_t head_len, want;
    int code;

    if (in->len < 12 || (sep = strstr(head, "\r\n\r\n")) == NULL ||
        (head_len = (size_t)(sep - head)) > CLI_HTTP_MAX_HEAD ||
        sscanf(head, "HTTP/1.%*1[01] %3d", &code) != 1) {
        return HM_E_INVALID;
    }
    *sep = '\0';
    want = in->len - head_len - 4;
    if ((cl = strcasestr(head, "\r\nContent-Length:")) != NULL) {
        unsigned long long v = strtoull(cl + 17, NULL, 10);
        if (v != want) {
            return HM_E_INVALID; /* truncated reply */
        }
    }
    if ((*body = malloc(want + 1)) == NULL) {
        return HM_E_NOMEM;
    }
    memcpy(*body, sep + 4, want);
    (*body)[want] = '\0';
    *body_len = want;
    *status = code;
    return HM_OK;
}

hm_err
cli_https(const struct cli_http_opts *o, const char *method, const char *path, const uint8_t *body,
          size_t len, int *status, uint8_t **reply, size_t *reply_len)
{
    char host[256], port[8], prefix[512], target[1024];
    unsigned char ip[16];
    SSL_CTX *ctx = NULL;
    BIO *bio = NULL;
    SSL *ssl = NULL;
    struct hm_buf req, in;
    hm_err err = HM_E_IO;

    *reply = NULL;
    *reply_len = 0;
    hm_buf_init(&req, len + 4096);
    hm_buf_init(&in, CLI_HTTP_MAX_REPLY);
    if ((err = parse_url(o->url, host, sizeof(host), port, sizeof(port), prefix, sizeof(prefix))) !=
        HM_OK) {
        fprintf(stderr, "hallmark: bad server URL %s\n", o->url);
        goto out;
    }
    err = HM_E_IO;
    snprintf(target, sizeof(target), strchr(host, ':') != NULL ? "[%s]:%s" : "%s:%s", host, port);
    if ((ctx = make_ctx(o)) == NULL || (bio = BIO_new_ssl_connect(ctx)) == NULL ||
        BIO_get_ssl(bio, &ssl) != 1 || ssl == NULL) {
        goto out;
    }
    if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1) {
        /* An address is checked against the certificate's IP SANs, and gets no SNI
         * (RFC 6066 §3). */
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1) {
            goto out;
        }
    } else if (SSL_set_tlsext_host_name(ssl, host) != 1 || SSL_set1_host(ssl, host) != 1) {
        goto out;
    }
    BIO_set_conn_hostname(bio, target);
    if (BIO_do_connect(bio) != 1 || BIO_do_handshake(bio) != 1) {
        unsigned long e = ERR_peek_last_error();
        fprintf(stderr, "hallmark: cannot connect to %s: %s\n", o->url,
                e != 0 ? ERR_reason_error_string(e) : "connection failed");
        goto out;
    }
    hm_buf_printf(&req,
                  "%s %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: hallmark/0.1\r\n"
                  "Accept: application/json\r\nConnection: close\r\n",
                  method, prefix, path, host);
    if (body != NULL) {
        hm_buf_printf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n", len);
    }
    if (o->bearer != NULL) { /* a CI token: never printed; the buffer is wiped below */
        hm_buf_printf(&req, "Authorization: Bearer %s\r\n", o->bearer);
    }
    hm_buf_puts(&req, "\r\n");
    if (body != NULL) {
        hm_buf_append(&req, body, len);
    }
    if (hm_buf_status(&req) != HM_OK || BIO_write(bio, req.data, (int)req.len) != (int)req.len ||
        BIO_flush(bio) != 1) {
        fprintf(stderr, "hallmark: cannot send the request to %s\n", o->url);
        goto out;
    }
    if ((err = read_reply(bio, &in)) != HM_OK ||
        (err = split_reply(&in, status, reply, reply_len)) != HM_OK) {
        fprintf(stderr, "hallmark: no valid reply from %s (%s)\n", o->url, hm_strerror(err));
        goto out;
    }
    err = HM_OK;
out:
    BIO_free_all(bio);
    SSL_CTX_free(ctx);
    if (req.data != NULL) {
        OPENSSL_cleanse(req.data, req.len);
    }
    hm_buf_free(&req);
    hm_buf_free(&in);
    return err;
}

bool
cli_http_option(int c, const char *arg, struct cli_http_opts *o)
{
    switch (c) {
    case CLI_OPT_SERVER:
        o->url = arg;
        return true;
    case CLI_OPT_CACERT:
        o->cacert = arg;
        return true;
    case CLI_OPT_TLS_CERT:
        o->cert = arg;
        return true;
    case CLI_OPT_TLS_KEY:
        o->key = arg;
        return true;
    default:
        return false;
    }
}

/*
 * attacks_tls.c: malformed TLS and refused client certificates.  Each must end in a
 * closed connection with no HTTP reply: the handshake fails, or (TLS 1.3, where the
 * client finishes before the server has checked its certificate) the first read does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "hostile.h"

/* Reads until EOF, reset or the socket's receive timeout; true when it was EOF or reset
 * (the daemon closed it), and *http set when anything looked like an HTTP reply. */
static bool
drain_until_closed(int fd, bool *http, double *secs)
{
    char b[4096];
    double t0 = hostile_now();

    *http = false;
    for (;;) {
        ssize_t n = recv(fd, b, sizeof(b), 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            *secs = hostile_now() - t0;
            return true;
        }
        if (n < 0) {
            *secs = hostile_now() - t0;
            return false; /* timed out: the daemon kept it open */
        }
        if (n >= 5 && memcmp(b, "HTTP/", 5) == 0) {
            *http = true;
        }
    }
}

static void
raw_attack(const char *name, const uint8_t *bytes, size_t len)
{
    int fd = hostile_tcp();
    bool http = false;
    double secs = 0;

    if (fd < 0) {
        hostile_bad("%s: cannot connect", name);
        return;
    }
    if (send(fd, bytes, len, MSG_NOSIGNAL) != (ssize_t)len) {
        hostile_ok("%s: the daemon closed the connection while it was sent", name);
    } else if (drain_until_closed(fd, &http, &secs) && !http) {
        hostile_ok("%s: connection closed after %.2f s, no HTTP reply", name, secs);
    } else {
        hostile_bad("%s: %s", name, http ? "got an HTTP reply" : "connection still open");
    }
    close(fd);
}

/* The first bytes a real client sends: a ClientHello, made with memory BIOs. */
static size_t
client_hello(uint8_t *out, size_t cap)
{
    SSL_CTX *ctx = hostile_ctx(NULL, TLS1_2_VERSION, 0);
    SSL *ssl = ctx != NULL ? SSL_new(ctx) : NULL;
    BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
    int n = 0;

    if (ssl != NULL && rb != NULL && wb != NULL) {
        SSL_set_bio(ssl, rb, wb);
        rb = wb = NULL;         /* ssl owns them now */
        (void)SSL_connect(ssl); /* wants to read the ServerHello: the hello is written */
        n = BIO_read(SSL_get_wbio(ssl), out, (int)cap);
    }
    BIO_free(rb);
    BIO_free(wb);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return n > 0 ? (size_t)n : 0;
}

static void
malformed_tls(void)
{
    uint8_t buf[4096];
    size_t n;

    RAND_bytes(buf, 1024);
    raw_attack("1 KiB of random bytes instead of a ClientHello", buf, 1024);
    memcpy(buf, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 35);
    raw_attack("plain HTTP on the TLS port", buf, 35);
    /* A TLS record header that announces 16 KiB of handshake and sends 5 bytes of it. */
    static const uint8_t rec[] = { 0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00, 0x3f, 0xfc, 0x03 };
    raw_attack("a handshake record header promising 16 KiB", rec, sizeof(rec));
    if ((n = client_hello(buf, sizeof(buf))) < 20) {
        hostile_bad("could not make a ClientHello");
        return;
    }
    raw_attack("a ClientHello cut in half", buf, n / 2);
    buf[7] ^= 0xff; /* the handshake message length inside the record */
    raw_attack("a ClientHello with a corrupted length", buf, n);
}

/* A client that offers only version v must not get through the handshake. */
static void
old_version(const char *name, int v)
{
    SSL_CTX *ctx = hostile_ctx("ci-acme", v, v);
    SSL *ssl = ctx != NULL ? hostile_tls(ctx) : NULL;

    if (ctx == NULL) {
        hostile_bad("%s: no client context", name);
    } else if (ssl == NULL) {
        hostile_ok("%s only: refused in the handshake", name);
    } else {
        hostile_bad("%s only: the handshake succeeded (%s)", name, SSL_get_version(ssl));
    }
    hostile_close(ssl);
    SSL_CTX_free(ctx);
}

/* A refused certificate (or none) over TLS 1.2 and 1.3: no HTTP reply, ever. */
static void
refused_cert(const char *what, const char *name)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    const int versions[] = { TLS1_2_VERSION, TLS1_3_VERSION };

    for (size_t i = 0; i < 2; i++) {
        SSL_CTX *ctx = hostile_ctx(name, versions[i], versions[i]);
        SSL *ssl = ctx != NULL ? hostile_tls(ctx) : NULL;
        struct hostile_reply r;
        const char *v = i == 0 ? "TLS 1.2" : "TLS 1.3";

        if (ctx == NULL) {
            hostile_bad("%s: cannot load the client certificate", what);
        } else if (ssl == NULL) {
            hostile_ok("%s over %s: refused in the handshake", what, v);
        } else if (hostile_send(ssl, req, sizeof(req) - 1) != 0 ||
                   hostile_read_reply(ssl, &r) == 0) {
            hostile_ok("%s over %s: closed before any HTTP reply", what, v);
        } else {
            hostile_bad("%s over %s: got HTTP %d", what, v, r.status);
        }
        hostile_close(ssl);
        SSL_CTX_free(ctx);
    }
}

/* TLS 1.2 client-initiated renegotiation costs the server a handshake per request of the
 * client's choosing: it must be refused (SSL_OP_NO_RENEGOTIATION). */
static void
renegotiation(void)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    SSL_CTX *ctx = hostile_ctx("ci-acme", TLS1_2_VERSION, TLS1_2_VERSION);
    SSL *ssl = ctx != NULL ? hostile_tls(ctx) : NULL;
    struct hostile_reply r;

    if (ssl == NULL) {
        hostile_bad("renegotiation: no TLS 1.2 connection");
    } else if (SSL_renegotiate(ssl) != 1) {
        hostile_bad("renegotiation: the client could not ask for it");
    } else if (SSL_do_handshake(ssl) == 1 && hostile_send(ssl, req, sizeof(req) - 1) == 0 &&
               hostile_read_reply(ssl, &r) != 0 && SSL_renegotiate_pending(ssl) == 0) {
        hostile_bad("a client-initiated TLS 1.2 renegotiation was accepted");
    } else {
        hostile_ok("a client-initiated TLS 1.2 renegotiation is refused");
    }
    ERR_clear_error();
    hostile_close(ssl);
    SSL_CTX_free(ctx);
}

void
hostile_attack_tls(void)
{
    malformed_tls();
    old_version("TLS 1.0", TLS1_VERSION);
    old_version("TLS 1.1", TLS1_1_VERSION);
    refused_cert("no client certificate", NULL);
    refused_cert("an expired client certificate", "expired");
    refused_cert("a revoked client certificate (CRL)", "revoked");
    refused_cert("a client certificate from another CA", "evil");
    renegotiation();
}

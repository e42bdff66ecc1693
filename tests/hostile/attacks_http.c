/*
 * attacks_http.c: hostile HTTP heads and JSON bodies from an authorised client.  Each
 * request goes on a fresh connection and must get exactly the status and JSON error
 * code listed; where the daemon cannot frame the rest of the stream (a bad head, a body
 * over the limit) the connection must close after the reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

#define SIGN_HEAD "POST /v1/sign HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"

static SSL_CTX *good;

/* Sends req[0..len) on a new connection; checks status, code and (when must_close) that
 * the daemon closed the connection after its reply. */
static void
exchange(const char *name, const char *req, size_t len, int status, const char *code,
         bool must_close)
{
    SSL *ssl = hostile_tls(good);
    struct hostile_reply r;

    if (ssl == NULL) {
        hostile_bad("%s: no TLS connection", name);
        return;
    }
    (void)hostile_send(ssl, req, len); /* the daemon may close before it has all of it */
    hostile_read_reply(ssl, &r);
    if (r.status != status || strcmp(r.error, code) != 0) {
        hostile_bad("%s: want %d %s, got %d %s", name, status, code, r.status,
                    r.status == 0 ? "(no reply)" : r.error);
    } else if (must_close && !(r.close && hostile_closed(ssl))) {
        hostile_bad("%s: %d %s but the connection stayed open", name, r.status, r.error);
    } else {
        hostile_ok("%s: %d %s%s", name, r.status, r.error, must_close ? ", closed" : "");
    }
    hostile_close(ssl);
}

static void
exchange_str(const char *name, const char *req, int status, const char *code, bool must_close)
{
    exchange(name, req, strlen(req), status, code, must_close);
}

/* POST /v1/sign with body[0..len) and a truthful Content-Length. */
static void
sign_body(const char *name, const char *body, size_t len, int status, const char *code)
{
    size_t cap = len + 256;
    char *req = malloc(cap);

    if (req == NULL) {
        hostile_bad("%s: out of memory", name);
        return;
    }
    int n = snprintf(req, cap, SIGN_HEAD "Content-Length: %zu\r\n\r\n", len);
    memcpy(req + n, body, len);
    exchange(name, req, (size_t)n + len, status, code, false);
    free(req);
}

static void
sign_str(const char *name, const char *body, int status, const char *code)
{
    sign_body(name, body, strlen(body), status, code);
}

/* n header fields (or one field of n bytes) after a valid request line. */
static void
header_flood(void)
{
    size_t cap = 80000, o = 0;
    char *req = malloc(cap);

    if (req == NULL) {
        return;
    }
    o += (size_t)snprintf(req, cap, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 150; i++) {
        o += (size_t)snprintf(req + o, cap - o, "X-Flood-%d: %d\r\n", i, i);
    }
    o += (size_t)snprintf(req + o, cap - o, "\r\n");
    exchange("150 header fields", req, o, 431, "headers-too-large", true);
    o = (size_t)snprintf(req, cap, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + o, 'a', 70000);
    o += 70000;
    memcpy(req + o, "\r\n\r\n", 4);
    exchange("a 70 KB header field", req, o + 4, 431, "headers-too-large", true);
    free(req);
}

void
hostile_attack_http(void)
{
    good = hostile_ctx("ci-acme", TLS1_2_VERSION, 0);
    exchange_str("Content-Length 1 GB (head only)", SIGN_HEAD "Content-Length: 1000000000\r\n\r\n",
                 413, "body-too-large", true);
    exchange_str("Content-Length of 20 digits",
                 SIGN_HEAD "Content-Length: 99999999999999999999\r\n\r\n", 400, "bad-request",
                 true);
    exchange_str("Content-Length -1", SIGN_HEAD "Content-Length: -1\r\n\r\n", 400, "bad-request",
                 true);
    exchange_str("two Content-Length fields",
                 SIGN_HEAD "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400, "bad-request",
                 true);
    exchange_str("Transfer-Encoding: chunked",
                 SIGN_HEAD "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 411,
                 "length-required", true);
    exchange_str("POST without Content-Length", SIGN_HEAD "\r\n", 411, "length-required", true);
    static const char nul_name[] = "GET /healthz HTTP/1.1\r\nX-\0A: b\r\n\r\n";
    exchange("a NUL byte in a header name", nul_name, sizeof(nul_name) - 1, 400, "bad-request",
             true);
    static const char nul_value[] = "GET /healthz HTTP/1.1\r\nX-A: a\0b\r\n\r\n";
    exchange("a NUL byte in a header value", nul_value, sizeof(nul_value) - 1, 400, "bad-request",
             true);
    exchange_str("a bare LF", "GET /healthz HTTP/1.1\nHost: x\r\n\r\n", 400, "bad-request", true);
    exchange_str("a garbage request line", "HELLO\r\n\r\n", 400, "bad-request", true);
    exchange_str("HTTP/1.7", "GET /healthz HTTP/1.7\r\n\r\n", 505, "bad-request", true);
    exchange_str("obsolete line folding", "GET /healthz HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", 400,
                 "bad-request", true);
    header_flood();
    exchange_str("Content-Type text/plain",
                 "POST /v1/sign HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                 "Content-Length: 2\r\n\r\n{}",
                 415, "unsupported-media-type", false);
    exchange_str("no Content-Type",
                 "POST /v1/sign HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 415,
                 "unsupported-media-type", false);
    exchange_str("an unknown route", "GET /v1/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404,
                 "not-found", false);
    exchange_str("GET on POST /v1/sign", "GET /v1/sign HTTP/1.1\r\nHost: x\r\n\r\n", 405,
                 "method-not-allowed", false);
    /* The body is shorter than the length claims: 2 bytes read as the body, the rest
     * would be the next request; the first reply must judge only those 2 bytes. */
    exchange_str("Content-Length shorter than the body",
                 SIGN_HEAD "Content-Length: 2\r\n\r\n{}{\"product\":\"acme-thermostat\"}", 400,
                 "invalid-request", false);
}

void
hostile_attack_json(void)
{
    size_t n = 60000;
    char *deep = malloc(n);

    if (deep != NULL) {
        memset(deep, '[', n);
        sign_body("60000 nested arrays", deep, n, 400, "malformed-json");
        for (size_t i = 0; i + 5 < n; i += 5) {
            memcpy(deep + i, "{\"a\":", 5);
        }
        sign_body("12000 nested objects", deep, n - n % 5, 400, "malformed-json");
        free(deep);
    }
    sign_str("duplicate keys", "{\"product\":\"acme-thermostat\",\"product\":\"acme-hub\"}", 400,
             "malformed-json");
    sign_body("a raw NUL byte in a string", "{\"product\":\"acme\0x\"}", 20, 400, "malformed-json");
    sign_str("an escaped NUL (\\u0000)", "{\"product\":\"acme\\u0000x\"}", 400, "malformed-json");
    sign_str("invalid UTF-8 (0xff)", "{\"product\":\"acme\xff\"}", 400, "malformed-json");
    sign_str("overlong UTF-8 (0xc0 0xaf)", "{\"product\":\"acme\xc0\xaf\"}", 400, "malformed-json");
    sign_str("a lone surrogate (\\ud800)", "{\"product\":\"acme\\ud800\"}", 400, "malformed-json");
    sign_str("truncated JSON", "{\"product\":\"acme-thermo", 400, "malformed-json");
    sign_str("an empty body", "", 400, "malformed-json");
    sign_str("a JSON array", "[]", 400, "invalid-request");
    sign_str("a number where a string belongs",
             "{\"product\":\"acme-thermostat\",\"channel\":\"beta\",\"version\":1}", 400,
             "invalid-request");
    SSL_CTX_free(good);
    good = NULL;
}

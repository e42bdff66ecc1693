/*
 * attacks_slow.c: slowloris (a head or a body trickling in), a body shorter than its
 * Content-Length, connections that never send a byte, and a flood of thousands of idle
 * TCP connections.  The daemon must cut each off within its read deadline (408 when it
 * has seen part of a request, a plain close otherwise) and keep serving meanwhile.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostile.h"

/* The longest the daemon may take to cut a client off: its deadline plus slack. */
static double
limit_s(void)
{
    return (double)HO.timeout_ms / 1000.0 + 1.5;
}

/* Sends head, then one byte of tail every 100 ms until the daemon answers or closes. */
static void
trickle(const char *name, SSL_CTX *ctx, const char *head, const char *tail)
{
    SSL *ssl = hostile_tls(ctx);
    struct hostile_reply r;
    double t0 = hostile_now();

    if (ssl == NULL || hostile_send(ssl, head, strlen(head)) != 0) {
        hostile_bad("%s: no connection", name);
        hostile_close(ssl);
        return;
    }
    struct pollfd p = { .fd = SSL_get_fd(ssl), .events = POLLIN };
    for (size_t i = 0; tail[i] != '\0' && hostile_now() - t0 < limit_s() + 2; i++) {
        if (hostile_send(ssl, tail + i, 1) != 0 || poll(&p, 1, 100) != 0) {
            break;
        }
    }
    hostile_read_reply(ssl, &r);
    double secs = hostile_now() - t0;
    if (r.status == 408 && strcmp(r.error, "request-timeout") == 0 && hostile_closed(ssl) &&
        secs < limit_s()) {
        hostile_ok("%s: 408 request-timeout after %.2f s, closed", name, secs);
    } else {
        hostile_bad("%s: want 408 request-timeout within %.1f s, got %d %s after %.2f s", name,
                    limit_s(), r.status, r.error, secs);
    }
    hostile_close(ssl);
}

static void
slowloris(SSL_CTX *ctx)
{
    char tail[512];

    memset(tail, 'x', sizeof(tail) - 1);
    tail[sizeof(tail) - 1] = '\0';
    trickle("slow head (1 byte / 100 ms)", ctx, "GET /healthz HTTP/1.1\r\nX-Slow: ", tail);
    memset(tail, ' ', sizeof(tail) - 1);
    trickle("slow body (1 byte / 100 ms)", ctx,
            "POST /v1/sign HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 500\r\n\r\n{",
            tail);
}

/* A body that stops short of its Content-Length and then waits. */
static void
lying_length(SSL_CTX *ctx)
{
    static const char req[] =
        "POST /v1/sign HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n{\"product\"";
    SSL *ssl = hostile_tls(ctx);
    struct hostile_reply r;
    double t0 = hostile_now();

    if (ssl == NULL || hostile_send(ssl, req, sizeof(req) - 1) != 0) {
        hostile_bad("Content-Length longer than the body: no connection");
        hostile_close(ssl);
        return;
    }
    hostile_read_reply(ssl, &r);
    double secs = hostile_now() - t0;
    if (r.status == 408 && strcmp(r.error, "request-timeout") == 0 && secs < limit_s()) {
        hostile_ok("Content-Length 1000, 10 bytes sent: 408 request-timeout after %.2f s", secs);
    } else {
        hostile_bad("Content-Length longer than the body: got %d %s after %.2f s", r.status,
                    r.error, secs);
    }
    hostile_close(ssl);
}

/* A TLS connection that never sends a request is closed without a reply. */
static void
silent_tls(SSL_CTX *ctx)
{
    SSL *ssl = hostile_tls(ctx);
    double t0 = hostile_now();

    if (ssl == NULL) {
        hostile_bad("silent TLS connection: no connection");
        return;
    }
    bool closed = hostile_closed(ssl);
    double secs = hostile_now() - t0;
    if (closed && secs < limit_s()) {
        hostile_ok("a TLS connection that never sends a request: closed after %.2f s", secs);
    } else {
        hostile_bad("a silent TLS connection: closed=%d after %.2f s", closed, secs);
    }
    hostile_close(ssl);
}

void
hostile_attack_slow(void)
{
    SSL_CTX *ctx = hostile_ctx("ci-acme", TLS1_2_VERSION, 0);

    slowloris(ctx);
    lying_length(ctx);
    silent_tls(ctx);
    SSL_CTX_free(ctx);
}

/* Waits until the daemon has closed every fd in p (EOF or reset); returns how many. */
static unsigned
wait_closed(struct pollfd *p, unsigned n, double until)
{
    unsigned closed = 0;
    char b[64];

    while (closed < n && hostile_now() < until) {
        if (poll(p, n, 200) <= 0) {
            continue;
        }
        for (unsigned i = 0; i < n; i++) {
            if (p[i].fd >= 0 && p[i].revents != 0) {
                if (recv(p[i].fd, b, sizeof(b), MSG_DONTWAIT) <= 0) {
                    close(p[i].fd);
                    p[i].fd = -1; /* poll ignores it from now on */
                    closed++;
                }
            }
        }
    }
    return closed;
}

void
hostile_attack_idle(void)
{
    struct pollfd *p = calloc(HO.idle + 1, sizeof(*p));
    unsigned opened = 0;
    double t0 = hostile_now();

    if (p == NULL) {
        hostile_bad("idle flood: out of memory");
        return;
    }
    for (; opened < HO.idle; opened++) {
        if ((p[opened].fd = hostile_tcp()) < 0) {
            break;
        }
        p[opened].events = POLLIN;
    }
    double open_s = hostile_now() - t0;
    /* A burst that overflows the accept queue shows as 1 s SYN retransmits: with the
     * listen backlog at 128 (libevent's default) 2000 connections took 9-12 s here. */
    if (opened == HO.idle && open_s < 3.0) {
        hostile_ok("%u idle TCP connections opened in %.2f s", opened, open_s);
    } else {
        hostile_bad("%u of %u idle connections opened in %.2f s", opened, HO.idle, open_s);
    }
    if (hostile_healthy()) {
        hostile_ok("while %u idle connections are open: /healthz 200", opened);
    } else {
        hostile_bad("while %u idle connections are open: /healthz failed", opened);
    }
    unsigned closed = wait_closed(p, opened, t0 + open_s + limit_s() + 3);
    double secs = hostile_now() - t0;
    if (closed == opened) {
        hostile_ok("the daemon closed all %u idle connections within %.2f s", closed, secs);
    } else {
        hostile_bad("the daemon closed %u of %u idle connections in %.2f s", closed, opened, secs);
    }
    for (unsigned i = 0; i < opened; i++) {
        if (p[i].fd >= 0) {
            close(p[i].fd);
        }
    }
    free(p);
}

/*
 * hostile: attacks a running hallmarkd the way a hostile or broken client would, and
 * checks that each attack gets a clear 4xx (exact status and JSON error code) or a closed
 * connection, and that GET /healthz still answers 200 after each group of attacks.
 * N good clients (goodclients.c, default 4) sign alone for S seconds (default 3), then on
 * through the whole attack; their success rate and p50/p99 latency in both phases are
 * printed, and during the attack they must lose no request and keep p99 under 1 s.
 *
 *   hostile --port P --pki DIR [--idle N] [--timeout-ms T] [--good N] [--before S]
 *
 * DIR holds ca.pem and, each as NAME.pem + NAME.key: ci-acme (a good client allowed to
 * sign acme-thermostat), expired, revoked (listed in the daemon's tls.crl) and evil (a
 * certificate from another CA).  T is the daemon's read_timeout_ms.  Prints one
 * "ok   ..." or "FAIL ..." line per check; exits 1 when any check failed.
 */
#include "hostile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct hostile_opts HO;
static unsigned checks, fails;

void
hostile_ok(const char *fmt, ...)
{
    va_list ap;

    checks++;
    printf("ok   ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

void
hostile_bad(const char *fmt, ...)
{
    va_list ap;

    checks++;
    fails++;
    printf("FAIL ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

double
hostile_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
hostile_tcp(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(HO.port) };
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    unsigned ms = HO.timeout_ms + 4000;
    struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

    if (fd < 0) {
        return -1;
    }
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    /* No read may wait for ever: the daemon must answer or close within its deadline. */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A client context: the CA, the certificate NAME (NULL: none), TLS versions. */
SSL_CTX *
hostile_ctx(const char *name, int min_version, int max_version)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    char path[1024];

    if (ctx == NULL) {
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/ca.pem", HO.pki);
    SSL_CTX_load_verify_locations(ctx, path, NULL);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (min_version != 0 && min_version < TLS1_2_VERSION) {
        SSL_CTX_set_security_level(ctx, 0); /* let this client offer the old versions */
        SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
    }
    SSL_CTX_set_min_proto_version(ctx, min_version);
    SSL_CTX_set_max_proto_version(ctx, max_version);
    if (name != NULL) {
        snprintf(path, sizeof(path), "%s/%s.pem", HO.pki, name);
        if (SSL_CTX_use_certificate_file(ctx, path, SSL_FILETYPE_PEM) != 1) {
            SSL_CTX_free(ctx);
            return NULL;
        }
        snprintf(path, sizeof(path), "%s/%s.key", HO.pki, name);
        if (SSL_CTX_use_PrivateKey_file(ctx, path, SSL_FILETYPE_PEM) != 1) {
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    return ctx;
}

SSL *
hostile_tls(SSL_CTX *ctx)
{
    int fd = hostile_tcp();
    SSL *ssl = NULL;

    if (fd < 0) {
        return NULL;
    }
    if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1) {
        SSL_free(ssl);
        close(fd);
        ERR_clear_error();
        return NULL;
    }
    return ssl;
}

void
hostile_close(SSL *ssl)
{
    if (ssl != NULL) {
        int fd = SSL_get_fd(ssl);
        SSL_free(ssl);
        close(fd);
    }
}

int
hostile_send(SSL *ssl, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        int n = SSL_write(ssl, p, len > INT32_MAX ? INT32_MAX : (int)len);
        if (n <= 0) {
            ERR_clear_error();
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads one reply: its status (0 when the connection closed or failed first), the
 * "error" member of its JSON body, and whether the server said Connection: close. */
int
hostile_read_reply(SSL *ssl, struct hostile_reply *r)
{
    size_t have = 0, cap = sizeof(r->raw) - 1;
    char *end = NULL;

    memset(r, 0, sizeof(*r));
    while ((end = memmem(r->raw, have, "\r\n\r\n", 4)) == NULL) {
        int n = have < cap ? SSL_read(ssl, r->raw + have, (int)(cap - have)) : -1;
        if (n <= 0) {
            ERR_clear_error();
            return 0;
        }
        have += (size_t)n;
    }
    size_t hlen = (size_t)(end - r->raw) + 4;
    char *cl = strcasestr(r->raw, "\r\nContent-Length:");
    size_t len = cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
    while (have < hlen + len && have < cap) {
        int n = SSL_read(ssl, r->raw + have, (int)(cap - have));
        if (n <= 0) {
            ERR_clear_error();
            break;
        }
        have += (size_t)n;
    }
    r->raw[have] = '\0';
    if (strncmp(r->raw, "HTTP/1.1 ", 9) != 0) {
        return 0;
    }
    r->status = atoi(r->raw + 9);
    char *conn = strcasestr(r->raw, "\r\nConnection: close");
    r->close = conn != NULL && conn < end;
    char *e = strstr(end, "\"error\":\"");
    if (e != NULL) {
        e += 9;
        size_t n = strcspn(e, "\"");
        n = n < sizeof(r->error) - 1 ? n : sizeof(r->error) - 1;
        memcpy(r->error, e, n);
    }
    return r->status;
}

/* True when the peer closed (EOF or reset) without sending another HTTP reply. */
bool
hostile_closed(SSL *ssl)
{
    char b[256];
    int n = SSL_read(ssl, b, sizeof(b));

    ERR_clear_error();
    return n <= 0;
}

bool
hostile_healthy(void)
{
    SSL_CTX *ctx = hostile_ctx("ci-acme", TLS1_2_VERSION, 0);
    SSL *ssl = ctx != NULL ? hostile_tls(ctx) : NULL;
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    struct hostile_reply r;
    bool ok = false;

    if (ssl != NULL && hostile_send(ssl, req, sizeof(req) - 1) == 0) {
        ok = hostile_read_reply(ssl, &r) == 200;
    }
    hostile_close(ssl);
    SSL_CTX_free(ctx);
    return ok;
}

void
hostile_check_health(const char *after)
{
    if (hostile_healthy()) {
        hostile_ok("after %s: /healthz 200", after);
    } else {
        hostile_bad("after %s: /healthz did not answer 200", after);
    }
}

static int
usage(void)
{
    fprintf(stderr, "usage: hostile --port P --pki DIR [--idle N] [--timeout-ms T] [--good N] "
                    "[--before S]\n");
    return 2;
}

/* Room for the idle-connection flood: the soft fd limit up to the hard one. */
static void
raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)HO.idle + 64) {
        unsigned was = HO.idle;
        HO.idle = rl.rlim_cur > 128 ? (unsigned)rl.rlim_cur - 128 : 0;
        printf("note: fd limit %llu: idle connections %u -> %u\n", (unsigned long long)rl.rlim_cur,
               was, HO.idle);
    }
}

static void
print_phase(const char *name, const struct hostile_phase *p)
{
    double rate = p->requests != 0 ? 100.0 * (double)p->ok / (double)p->requests : 0.0;

    printf("goodclients: phase=%s requests=%lu ok=%lu errors=%lu success=%.2f%% p50_ms=%.1f "
           "p99_ms=%.1f\n",
           name, p->requests, p->ok, p->errors, rate, hostile_pct_ms(p, 0.50),
           hostile_pct_ms(p, 0.99));
}

/* The good clients' figures; during the attack they must lose nothing and stay fast. */
static void
judge_good(struct hostile_phase ph[2])
{
    print_phase("before", &ph[0]);
    print_phase("during", &ph[1]);
    if (ph[0].ok == 0) {
        hostile_bad("the good clients signed nothing before the attack (status %d)",
                    ph[0].first_error);
    }
    if (ph[1].ok > 0 && ph[1].errors == 0) {
        hostile_ok("the good clients signed %lu times during the attack and lost none", ph[1].ok);
    } else {
        hostile_bad("good clients during the attack: %lu ok, %lu failed (first status %d)",
                    ph[1].ok, ph[1].errors, ph[1].first_error);
    }
    double p99 = hostile_pct_ms(&ph[1], 0.99);
    if (p99 < 1000.0) {
        hostile_ok("the good clients' p99 during the attack is under 1 s (%.1f ms)", p99);
    } else {
        hostile_bad("the good clients' p99 during the attack is %.1f ms", p99);
    }
    free(ph[0].lat);
    free(ph[1].lat);
}

int
main(int argc, char **argv)
{
    struct hostile_phase ph[2];
    unsigned good = 4, before = 3;

    HO.idle = 2000;
    HO.timeout_ms = 2000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0) {
            HO.port = (uint16_t)atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--pki") == 0) {
            HO.pki = argv[i + 1];
        } else if (strcmp(argv[i], "--idle") == 0) {
            HO.idle = (unsigned)atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--good") == 0) {
            good = (unsigned)atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--before") == 0) {
            before = (unsigned)atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--timeout-ms") == 0) {
            HO.timeout_ms = (unsigned)atoi(argv[i + 1]);
        } else {
            return usage();
        }
    }
    if (HO.port == 0 || HO.pki == NULL || argc % 2 == 0) {
        return usage();
    }
    raise_fd_limit();
    signal(SIGPIPE, SIG_IGN); /* the daemon may close while a request is still being sent */
    if (!hostile_good_start(good)) {
        hostile_bad("cannot start the good clients");
    }
    sleep(before);
    hostile_good_phase(1);
    double t0 = hostile_now();
    hostile_attack_tls();
    hostile_check_health("the TLS attacks");
    hostile_attack_http();
    hostile_check_health("the HTTP attacks");
    hostile_attack_json();
    hostile_check_health("the JSON attacks");
    hostile_attack_slow();
    hostile_check_health("the slow clients");
    hostile_attack_idle();
    hostile_check_health("the idle-connection flood");
    double attack_s = hostile_now() - t0;
    hostile_good_stop(ph);
    judge_good(ph);
    printf("hostile: %u checks, %u failed, attack %.1f s\n", checks, fails, attack_s);
    return fails == 0 ? 0 : 1;
}

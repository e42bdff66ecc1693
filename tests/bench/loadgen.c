/*
 * loadgen: a load generator for hallmarkd's POST /v1/sign (./ci/bench).
 *
 * N threads, each with one keep-alive mTLS connection, send sign requests with one
 * artifact, back to back, for a fixed time.  Each connection signs on its own channel
 * (PREFIX0, PREFIX1, ...) with increasing versions E.0.1, E.0.2, ... where E is the
 * start time in seconds, so that anti-rollback accepts every request, run after run.
 * It counts requests, replies by status, the signatures in the 200 replies ("sig"
 * members of the DSSE envelopes), and the p50/p99 latency of the 200 replies.
 *
 *   loadgen --port P --cert C --key K --cacert CA [--host 127.0.0.1] [--connections 8]
 *           [--seconds 5] [--product acme] [--channel-prefix c]
 *
 * The last line is machine-readable:
 *   loadgen: connections=8 seconds=5.00 requests=... ok=... errors=... rps=... sigps=...
 *            p50_ms=... p99_ms=...
 */
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct opts {
    const char *host, *port, *cert, *key, *cacert, *product, *prefix;
    unsigned connections;
    double seconds;
};

struct worker {
    pthread_t t;
    unsigned idx;
    const struct opts *o;
    SSL_CTX *ctx;
    long long epoch;
    double deadline;
    unsigned long requests, ok, errors, sigs, reconnects;
    unsigned long by_status[600]; /* replies by HTTP status; [0]: no reply */
    double *lat;                  /* seconds, 200 replies only */
    size_t n_lat, cap_lat;
};

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static SSL *
connect_tls(struct worker *w)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *ai = NULL;
    SSL *ssl = NULL;
    int fd = -1, one = 1;

    if (getaddrinfo(w->o->host, w->o->port, &hints, &ai) != 0) {
        return NULL;
    }
    fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        freeaddrinfo(ai);
        return NULL;
    }
    freeaddrinfo(ai);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if ((ssl = SSL_new(w->ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1) {
        SSL_free(ssl);
        close(fd);
        return NULL;
    }
    return ssl;
}

static void
close_tls(SSL *ssl)
{
    if (ssl != NULL) {
        int fd = SSL_get_fd(ssl);
        SSL_free(ssl);
        close(fd);
    }
}

static int
write_all(SSL *ssl, const char *buf, size_t len)
{
    while (len > 0) {
        int n = SSL_write(ssl, buf, (int)len);
        if (n <= 0) {
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads one reply into buf; returns the status (or -1) and the body via *body. */
static int
read_reply(SSL *ssl, char *buf, size_t cap, char **body, size_t *body_len, int *close_conn)
{
    size_t have = 0;
    char *end = NULL;

    while ((end = memmem(buf, have, "\r\n\r\n", 4)) == NULL) {
        if (have + 1 >= cap) {
            return -1;
        }
        int n = SSL_read(ssl, buf + have, (int)(cap - 1 - have));
        if (n <= 0) {
            return -1;
        }
        have += (size_t)n;
    }
    buf[have] = '\0';
    int status = atoi(buf + 9);
    size_t hlen = (size_t)(end - buf) + 4;
    char *cl = strcasestr(buf, "\r\nContent-Length:");
    size_t len = cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
    char *conn = strcasestr(buf, "\r\nConnection: close");
    *close_conn = conn != NULL && conn < end;
    if (hlen + len + 1 > cap) {
        return -1;
    }
    while (have < hlen + len) {
        int n = SSL_read(ssl, buf + have, (int)(hlen + len - have));
        if (n <= 0) {
            return -1;
        }
        have += (size_t)n;
    }
    buf[hlen + len] = '\0';
    *body = buf + hlen;
    *body_len = len;
    return status;
}

static unsigned long
count_sigs(const char *body)
{
    unsigned long n = 0;

    for (const char *p = body; (p = strstr(p, "\"sig\":")) != NULL; p += 6) {
        n++;
    }
    return n;
}

static void
record(struct worker *w, double lat)
{
    if (w->n_lat == w->cap_lat) {
        size_t cap = w->cap_lat ? w->cap_lat * 2 : 4096;
        double *nl = realloc(w->lat, cap * sizeof(double));
        if (nl == NULL) {
            return;
        }
        w->lat = nl;
        w->cap_lat = cap;
    }
    w->lat[w->n_lat++] = lat;
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    static const char h64[] = "5b2e3c1d4f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e";
    char body[1024], req[1536], *rbody = NULL;
    size_t cap = 1 << 20, rlen = 0;
    char *buf = malloc(cap);
    unsigned long k = 0;
    SSL *ssl = NULL;
    int closec = 0;

    while (buf != NULL && now_s() < w->deadline) {
        if (ssl == NULL && (ssl = connect_tls(w)) == NULL) {
            w->errors++;
            usleep(10000);
            continue;
        }
        k++;
        int bl = snprintf(body, sizeof(body),
                          "{\"product\":\"%s\",\"channel\":\"%s%u\",\"version\":\"%lld.0.%lu\","
                          "\"artifacts\":[{\"name\":\"fw-%lu.bin\",\"size\":1048576,\"digest\":"
                          "{\"sha256\":\"%s\",\"sha512\":\"%s%s\"}}]}",
                          w->o->product, w->o->prefix, w->idx, w->epoch, k, k, h64, h64, h64);
        int rl = snprintf(req, sizeof(req),
                          "POST /v1/sign HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                          "Content-Length: %d\r\n\r\n%s",
                          w->o->host, bl, body);
        double t0 = now_s();
        int st = -1;
        if (write_all(ssl, req, (size_t)rl) == 0) {
            st = read_reply(ssl, buf, cap, &rbody, &rlen, &closec);
        }
        w->requests++;
        w->by_status[st > 0 && st < 600 ? st : 0]++;
        if (st == 200) {
            w->ok++;
            w->sigs += count_sigs(rbody);
            record(w, now_s() - t0);
        } else {
            w->errors++;
        }
        if (st < 0 || closec) {
            close_tls(ssl);
            ssl = NULL;
            w->reconnects++;
        }
    }
    close_tls(ssl);
    free(buf);
    return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--host") == 0) {
            o->host = v;
        } else if (strcmp(k, "--port") == 0) {
            o->port = v;
        } else if (strcmp(k, "--cert") == 0) {
            o->cert = v;
        } else if (strcmp(k, "--key") == 0) {
            o->key = v;
        } else if (strcmp(k, "--cacert") == 0) {
            o->cacert = v;
        } else if (strcmp(k, "--product") == 0) {
            o->product = v;
        } else if (strcmp(k, "--channel-prefix") == 0) {
            o->prefix = v;
        } else if (strcmp(k, "--connections") == 0) {
            o->connections = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--seconds") == 0) {
            o->seconds = strtod(v, NULL);
        } else {
            return -1;
        }
    }
    if ((argc - 1) % 2 != 0 || o->port == NULL || o->cert == NULL || o->key == NULL ||
        o->cacert == NULL || o->connections == 0 || o->connections > 1024 || o->seconds <= 0) {
        return -1;
    }
    return 0;
}

static SSL_CTX *
make_ctx(const struct opts *o)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, o->key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_load_verify_locations(ctx, o->cacert, NULL) != 1) {
        ERR_print_errors_fp(stderr);
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

static void
report(const struct opts *o, struct worker *ws, double elapsed)
{
    unsigned long req = 0, ok = 0, err = 0, sigs = 0, rec = 0;
    size_t n = 0, at = 0;
    double *all = NULL;

    for (unsigned i = 0; i < o->connections; i++) {
        req += ws[i].requests;
        ok += ws[i].ok;
        err += ws[i].errors;
        sigs += ws[i].sigs;
        rec += ws[i].reconnects;
        n += ws[i].n_lat;
    }
    all = calloc(n ? n : 1, sizeof(double));
    for (unsigned i = 0; all != NULL && i < o->connections; i++) {
        memcpy(all + at, ws[i].lat, ws[i].n_lat * sizeof(double));
        at += ws[i].n_lat;
    }
    double p50 = 0, p99 = 0;
    if (all != NULL && n > 0) {
        qsort(all, n, sizeof(double), cmp_double);
        p50 = all[n / 2] * 1e3;
        p99 = all[(size_t)((double)(n - 1) * 0.99)] * 1e3;
    }
    printf("%lu requests in %.2f s: %.0f requests/s, %lu signatures: %.0f signatures/s, "
           "p50 %.2f ms, p99 %.2f ms, %lu errors, %lu reconnects\n",
           req, elapsed, (double)req / elapsed, sigs, (double)sigs / elapsed, p50, p99, err, rec);
    for (int s = 0; s < 600; s++) {
        unsigned long k = 0;
        for (unsigned i = 0; i < o->connections; i++) {
            k += ws[i].by_status[s];
        }
        if (k > 0 && s != 200) {
            printf("  status %d: %lu replies%s\n", s, k, s == 0 ? " (no reply: I/O error)" : "");
        }
    }
    printf("loadgen: connections=%u seconds=%.2f requests=%lu ok=%lu errors=%lu rps=%.1f "
           "sigps=%.1f p50_ms=%.3f p99_ms=%.3f\n",
           o->connections, elapsed, req, ok, err, (double)req / elapsed, (double)sigs / elapsed,
           p50, p99);
    free(all);
}

int
main(int argc, char **argv)
{
    struct opts o = {
        .host = "127.0.0.1", .product = "acme", .prefix = "c", .connections = 8, .seconds = 5
    };
    struct worker *ws = NULL;
    SSL_CTX *ctx = NULL;

    if (parse_args(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: loadgen --port P --cert C --key K --cacert CA [--host H] "
                        "[--connections N] [--seconds S] [--product P] [--channel-prefix C]\n");
        return 2;
    }
    if ((ctx = make_ctx(&o)) == NULL || (ws = calloc(o.connections, sizeof(*ws))) == NULL) {
        return 2;
    }
    long long epoch = (long long)time(NULL);
    double start = now_s();
    for (unsigned i = 0; i < o.connections; i++) {
        ws[i] = (struct worker){
            .idx = i, .o = &o, .ctx = ctx, .epoch = epoch, .deadline = start + o.seconds
        };
        if (pthread_create(&ws[i].t, NULL, worker_main, &ws[i]) != 0) {
            return 2;
        }
    }
    for (unsigned i = 0; i < o.connections; i++) {
        pthread_join(ws[i].t, NULL);
    }
    report(&o, ws, now_s() - start);
    for (unsigned i = 0; i < o.connections; i++) {
        free(ws[i].lat);
    }
    free(ws);
    SSL_CTX_free(ctx);
    return 0;
}

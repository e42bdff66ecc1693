/*
 * goodclients.c: the good clients that keep signing while the attacks run.  Each thread
 * holds one keep-alive mTLS connection (reconnecting when the daemon closes it) and
 * sends POST /v1/sign back to back on its own channel (c0, c1, ...) with increasing
 * versions <start time>.0.<k>, as tests/bench/loadgen does.  Replies are counted per
 * phase (before the attack, during it), with the latency of each 200.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostile.h"

#define MAX_GOOD 16

struct good {
    pthread_t t;
    unsigned idx;
    struct hostile_phase ph[2];
};

static struct good goods[MAX_GOOD];
static unsigned n_goods;
static SSL_CTX *ctx;
static atomic_int phase = -1; /* -1: stop; 0: before; 1: during */
static long long epoch;

static void
add_latency(struct hostile_phase *p, double s)
{
    if (p->n_lat == p->cap_lat) {
        size_t cap = p->cap_lat != 0 ? p->cap_lat * 2 : 1024;
        double *nl = realloc(p->lat, cap * sizeof(*nl));
        if (nl == NULL) {
            return;
        }
        p->lat = nl;
        p->cap_lat = cap;
    }
    p->lat[p->n_lat++] = s;
}

static void *
good_main(void *arg)
{
    struct good *g = arg;
    static const char h64[] = "5b2e3c1d4f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e";
    struct hostile_reply *r = malloc(sizeof(*r));
    char body[1024], req[1536];
    unsigned long k = 0;
    SSL *ssl = NULL;
    int ph;

    while (r != NULL && (ph = atomic_load(&phase)) >= 0) {
        struct hostile_phase *p = &g->ph[ph];
        double t0 = hostile_now();
        int st = 0;
        if (ssl == NULL) {
            ssl = hostile_tls(ctx);
        }
        k++;
        int bl = snprintf(body, sizeof(body),
                          "{\"product\":\"acme-thermostat\",\"channel\":\"c%u\",\"version\":"
                          "\"%lld.0.%lu\",\"artifacts\":[{\"name\":\"fw-%lu.bin\",\"size\":1048576,"
                          "\"digest\":{\"sha256\":\"%s\",\"sha512\":\"%s%s\"}}]}",
                          g->idx, epoch, k, k, h64, h64, h64);
        int rl = snprintf(req, sizeof(req),
                          "POST /v1/sign HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Content-Length: %d\r\n\r\n%s",
                          bl, body);
        if (ssl != NULL && hostile_send(ssl, req, (size_t)rl) == 0) {
            st = hostile_read_reply(ssl, r);
        }
        p->requests++;
        if (st == 200) {
            p->ok++;
            add_latency(p, hostile_now() - t0);
        } else {
            p->errors++;
            if (p->first_error == 0) {
                p->first_error = st != 0 ? st : -1;
            }
        }
        if (st == 0 || r->close) {
            hostile_close(ssl);
            ssl = NULL;
        }
    }
    hostile_close(ssl);
    free(r);
    return NULL;
}

bool
hostile_good_start(unsigned n)
{
    ctx = hostile_ctx("ci-acme", TLS1_2_VERSION, 0);
    epoch = (long long)time(NULL);
    n_goods = n < MAX_GOOD ? n : MAX_GOOD;
    atomic_store(&phase, 0);
    for (unsigned i = 0; ctx != NULL && i < n_goods; i++) {
        goods[i].idx = i;
        if (pthread_create(&goods[i].t, NULL, good_main, &goods[i]) != 0) {
            n_goods = i;
            return false;
        }
    }
    return ctx != NULL;
}

void
hostile_good_phase(int p)
{
    atomic_store(&phase, p);
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Stops the threads and merges their counts for phase p into out (lat sorted). */
void
hostile_good_stop(struct hostile_phase out[2])
{
    atomic_store(&phase, -1);
    memset(out, 0, 2 * sizeof(*out));
    for (unsigned i = 0; i < n_goods; i++) {
        pthread_join(goods[i].t, NULL);
    }
    for (int p = 0; p < 2; p++) {
        for (unsigned i = 0; i < n_goods; i++) {
            struct hostile_phase *g = &goods[i].ph[p];
            out[p].requests += g->requests;
            out[p].ok += g->ok;
            out[p].errors += g->errors;
            if (out[p].first_error == 0) {
                out[p].first_error = g->first_error;
            }
            for (size_t j = 0; j < g->n_lat; j++) {
                add_latency(&out[p], g->lat[j]);
            }
            free(g->lat);
        }
        if (out[p].n_lat > 0) {
            qsort(out[p].lat, out[p].n_lat, sizeof(double), cmp_double);
        }
    }
    SSL_CTX_free(ctx);
    ctx = NULL;
}

double
hostile_pct_ms(const struct hostile_phase *p, double q)
{
    if (p->n_lat == 0) {
        return 0;
    }
    size_t i = (size_t)(q * (double)(p->n_lat - 1) + 0.5);
    return p->lat[i] * 1000.0;
}

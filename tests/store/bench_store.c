/*
 * bench_store.c: releases committed per second with 1, 8 and 32 concurrent committers
 * (each reserve + commit, as the daemon does per signing request), on a fresh database
 * in DIR (default $TMPDIR or /tmp).  Not a test: it prints figures.
 *
 *   bench_store [seconds per run (default 3)] [DIR]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

struct bench {
    struct hm_store *st;
    atomic_bool stop;
    pthread_barrier_t go;
};

struct committer {
    struct bench *b;
    int id;
    uint64_t done;
    hm_err err;
};

static double
now_s(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
run_committer(void *arg)
{
    struct committer *c = arg;
    char product[32];
    char version[64];
    struct hm_store_release rel = {
        .key_id = "pkcs11:object=fw",
        .client_id = "CN=bench",
        .request_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        .artifacts_json = "[{\"name\":\"fw.bin\",\"size\":1048576,\"sha256\":\"9f86d081884c7d65"
                          "9a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"}]",
        .time = 1767225600,
    };

    (void)snprintf(product, sizeof(product), "bench-%d", c->id);
    (void)pthread_barrier_wait(&c->b->go);
    while (!atomic_load(&c->b->stop)) {
        struct hm_store_resv *r = NULL;

        (void)snprintf(version, sizeof(version), "1.0.%llu", (unsigned long long)c->done);
        if ((c->err = hm_store_reserve(c->b->st, product, "stable", version, &r, NULL, 0)) !=
                HM_OK ||
            (c->err = hm_store_commit(c->b->st, r, &rel)) != HM_OK) {
            break;
        }
        c->done++;
    }
    return NULL;
}

static int
run(const char *dir, int threads, double seconds)
{
    char path[512];
    struct bench b = { 0 };
    struct committer *c = calloc((size_t)threads, sizeof(*c));
    pthread_t *t = calloc((size_t)threads, sizeof(*t));
    struct hm_store_stats stats;
    uint64_t total = 0;
    double t0;
    double elapsed;

    (void)snprintf(path, sizeof(path), "%s/bench-%d.db", dir, threads);
    (void)unlink(path); /* a fresh database: versions start again at 1.0.0 */
    if (c == NULL || t == NULL || hm_store_open(path, &b.st) != HM_OK) {
        fprintf(stderr, "bench_store: cannot open %s\n", path);
        return 1;
    }
    (void)pthread_barrier_init(&b.go, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        c[i] = (struct committer){ .b = &b, .id = i };
        (void)pthread_create(&t[i], NULL, run_committer, &c[i]);
    }
    (void)pthread_barrier_wait(&b.go);
    t0 = now_s();
    (void)usleep((useconds_t)(seconds * 1e6));
    atomic_store(&b.stop, true);
    for (int i = 0; i < threads; i++) {
        (void)pthread_join(t[i], NULL);
        total += c[i].done;
        if (c[i].err != HM_OK) {
            fprintf(stderr, "bench_store: committer %d: %s\n", i, hm_strerror(c[i].err));
        }
    }
    elapsed = now_s() - t0;
    hm_store_get_stats(b.st, &stats);
    printf("%2d committers: %8.0f releases/s  %6llu transactions  %5.1f releases/txn  "
           "commit %.2f ms mean\n",
           threads, (double)total / elapsed, (unsigned long long)stats.commits,
           (double)stats.releases / (double)(stats.commits ? stats.commits : 1),
           (double)stats.commit_ns_total / (double)(stats.commit_count ? stats.commit_count : 1) /
               1e6);
    hm_store_close(b.st);
    (void)pthread_barrier_destroy(&b.go);
    (void)unlink(path);
    free(c);
    free(t);
    return 0;
}

int
main(int argc, char **argv)
{
    static const int sizes[] = { 1, 8, 32 };
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    const char *dir = argc > 2 ? argv[2] : getenv("TMPDIR");

    if (dir == NULL) {
        dir = "/tmp";
    }
    if (!(seconds > 0 && seconds <= 600)) {
        fprintf(stderr, "usage: bench_store [seconds] [dir]\n");
        return 2;
    }
    hm_log_set_level(HM_LOG_ERROR);
    printf("store bench: SQLite WAL, synchronous=FULL, database in %s, %.1f s per run\n", dir,
           seconds);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (run(dir, sizes[i], seconds) != 0) {
            return 1;
        }
    }
    return 0;
}

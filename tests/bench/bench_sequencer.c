/*
 * bench_sequencer: appends N entries (default 1,000,000) through the store's sequencer into
 * SQLite, the way hallmarkd does: many threads call hm_store_commit_logged at once, the
 * committer batches them (max_batch, max_batch_delay_ms), writes leaves, subtree hashes
 * and one checkpoint signed per batch (Ed25519, software key standing in for the HSM),
 * and each caller then builds its inclusion proof at the checkpoint's size.  Not a timed
 * test: ci/bench runs it; docs/performance.md records the figures.
 *
 *   bench_sequencer [--entries N] [--threads T] [--batch B] [--delay-ms D] [--dir DIR]
 *                   [--bundle-bytes N]   (0: log entries without a stored bundle)
 *
 * Prints: appends/s, checkpoints signed, entries per checkpoint, inclusion-proof latency
 * at the final size (mean, p50, p99 over 10,000 random leaves), and bytes stored per
 * entry (database file size / entries, after a WAL checkpoint).
 */
#include <hm/tlog.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "store_log_test.h"

#define LEAF_BYTES   900  /* a release leaf with one subject (docs/formats.md 7.2) */
#define BUNDLE_BYTES 3200 /* the bundle as returned, without tlogEntries */
#define PROOFS       10000

struct bench {
    struct hm_store *st;
    uint64_t total;
    atomic_ulong next;
    atomic_ulong done;
    atomic_int failed;
    size_t bundle_len;
    char bundle[BUNDLE_BYTES + 1];
};

static double
now_s(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A leaf of the real shape and size, different for every entry. */
static size_t
make_leaf(char *buf, size_t cap, uint64_t i)
{
    int n = snprintf(buf, cap,
                     "{\"apiVersion\":\"0.0.1\",\"kind\":\"dsse\",\"spec\":{\"payloadHash\":"
                     "{\"algorithm\":\"sha256\",\"value\":\"%064llx\"},\"signatures\":"
                     "[{\"signature\":\"MEUCIQ%058llx\",\"verifier\":\"LS0tLS1CRUdJTiBQVUJMSUMgS0VZ"
                     "LS0tLS0KTUZrd0V3WUhLb1pJemowQ0FRWUlLb1pJemowREFRY0RRZ0FF\"}]},"
                     "\"hallmark\":{\"v\":1,\"keyid\":\"bench-key\",\"predicateType\":"
                     "\"https://hallmark.dev/attestation/release/v1\",\"product\":"
                     "\"acme-thermostat\",\"channel\":\"stable\",\"version\":\"1.0.%llu\","
                     "\"subjects\":[{\"name\":\"firmware.bin\",\"sha256\":\"%064llx\"}],"
                     "\"client\":\"%064llx\",\"time\":\"2026-11-28T00:00:00Z\"}}",
                     (unsigned long long)i, (unsigned long long)i * 7919u, (unsigned long long)i,
                     (unsigned long long)i * 104729u, (unsigned long long)i % 97u);
    size_t len = (size_t)n;

    while (len < LEAF_BYTES && len + 1 < cap) {
        buf[len++] = ' '; /* pad to the typical size (JSON allows trailing space) */
    }
    buf[len] = '\0';
    return len;
}

static void *
appender_main(void *arg)
{
    struct bench *b = arg;
    char leaf[LEAF_BYTES + 512], *note = NULL;
    struct hm_tlog_path path;
    size_t note_len = 0;
    uint64_t size = 0;

    for (;;) {
        uint64_t i = atomic_fetch_add(&b->next, 1);
        struct hm_store_log_entry e = { 0 };

        if (i >= b->total || atomic_load(&b->failed)) {
            break;
        }
        e.leaf = (const uint8_t *)leaf;
        e.leaf_len = make_leaf(leaf, sizeof(leaf), i);
        e.bundle = b->bundle_len > 0 ? b->bundle : NULL;
        e.bundle_len = b->bundle_len;
        if (hm_store_commit_logged(b->st, NULL, NULL, &e, 1, &note, &note_len, &size) != HM_OK ||
            hm_tlog_inclusion_proof(hm_store_log_storage(b->st), e.index, size, &path) != HM_OK) {
            atomic_store(&b->failed, 1);
            break;
        }
        free(note);
        note = NULL;
        atomic_fetch_add(&b->done, 1);
    }
    return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void
proof_latency(struct hm_store *st, uint64_t size)
{
    double *t = calloc(PROOFS, sizeof(double)), sum = 0;
    struct hm_tlog_path path;
    uint64_t r = 88172645463325252ull;

    for (size_t i = 0; i < PROOFS; i++) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        double t0 = now_s();
        if (hm_tlog_inclusion_proof(hm_store_log_storage(st), r % size, size, &path) != HM_OK) {
            fprintf(stderr, "bench_sequencer: proof failed\n");
            exit(1);
        }
        t[i] = (now_s() - t0) * 1e6;
        sum += t[i];
    }
    qsort(t, PROOFS, sizeof(double), cmp_double);
    printf("inclusion proof at size %llu: mean %.1f us, p50 %.1f us, p99 %.1f us (%d proofs, "
           "%zu hashes each at most)\n",
           (unsigned long long)size, sum / PROOFS, t[PROOFS / 2], t[PROOFS * 99 / 100], PROOFS,
           path.len);
    free(t);
}

int
main(int argc, char **argv)
{
    static struct bench b;
    struct slt_key key;
    struct hm_store_log_config c;
    unsigned threads = 256, batch = 256, delay = 2;
    char dir[512] = "", path[600], cmd[700];
    struct stat sb;
    pthread_t *th;

    b.total = 1000000;
    b.bundle_len = BUNDLE_BYTES;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--entries") == 0) {
            b.total = strtoull(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--threads") == 0) {
            threads = (unsigned)strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--batch") == 0) {
            batch = (unsigned)strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--delay-ms") == 0) {
            delay = (unsigned)strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--bundle-bytes") == 0) {
            b.bundle_len = strtoul(argv[i + 1], NULL, 10);
            b.bundle_len = b.bundle_len > BUNDLE_BYTES ? BUNDLE_BYTES : b.bundle_len;
        } else if (strcmp(argv[i], "--dir") == 0) {
            snprintf(dir, sizeof(dir), "%s", argv[i + 1]);
        }
    }
    if (dir[0] == '\0') {
        snprintf(dir, sizeof(dir), "%s/hm-bench-tlog-XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (mkdtemp(dir) == NULL) {
            perror("mkdtemp");
            return 2;
        }
    }
    snprintf(path, sizeof(path), "%s/bench.db", dir);
    memset(b.bundle, 'B', BUNDLE_BYTES);
    slt_key_init(&key, "bench.example/hallmark");
    c = slt_log_config(&key, batch, delay);
    if (threads == 0 || b.total == 0 || hm_store_open(path, &b.st) != HM_OK ||
        hm_store_log_start(b.st, &c) != HM_OK || (th = calloc(threads, sizeof(*th))) == NULL) {
        fprintf(stderr, "bench_sequencer: cannot open %s\n", path);
        return 2;
    }
    printf(
        "bench_sequencer: %llu entries, %u appending threads, max_batch %u, max_batch_delay_ms %u, "
        "leaf %d bytes, bundle %zu bytes, SQLite WAL synchronous=FULL in %s\n",
        (unsigned long long)b.total, threads, batch, delay, LEAF_BYTES, b.bundle_len, dir);
    double t0 = now_s();
    for (unsigned i = 0; i < threads; i++) {
        (void)pthread_create(&th[i], NULL, appender_main, &b);
    }
    for (unsigned i = 0; i < threads; i++) {
        (void)pthread_join(th[i], NULL);
    }
    double secs = now_s() - t0;
    if (atomic_load(&b.failed)) {
        fprintf(stderr, "bench_sequencer: an append failed\n");
        return 1;
    }
    unsigned long sigs = atomic_load(&key.signatures);
    printf("appended %lu entries in %.1f s: %.0f appends/s; %lu checkpoints signed (%.1f entries "
           "each)\n",
           atomic_load(&b.done), secs, (double)atomic_load(&b.done) / secs, sigs,
           (double)atomic_load(&b.done) / (double)(sigs ? sigs : 1));
    proof_latency(b.st, hm_store_log_size(b.st));
    hm_store_close(b.st); /* the last connection's close checkpoints the WAL into the file */
    if (stat(path, &sb) == 0) {
        printf("database %.1f MB: %.0f bytes per entry (leaf %d + bundle %zu + subtree hashes, "
               "checkpoints, indexes)\n",
               (double)sb.st_size / 1e6, (double)sb.st_size / (double)b.total, LEAF_BYTES,
               b.bundle_len);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (getenv("HM_BENCH_KEEP") == NULL && system(cmd) != 0) {
        fprintf(stderr, "bench_sequencer: could not remove %s\n", dir);
    }
    slt_key_fini(&key);
    free(th);
    return 0;
}

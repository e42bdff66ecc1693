/*
 * bench_tlog.c: the in-memory log at 1,000,000 leaves: append rate, proof generation and
 * verification latency, stored bytes per entry.  Built, not run by ctest (timings are not
 * tests).  Usage: bench_tlog [leaves]
 */
#include <hm/tlog.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PROOFS 200000

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint64_t
next_rand(uint64_t bound)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (rng * 0x2545f4914f6cdd1dULL) % bound;
}

int
main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000, used = 0, alloc = 0;
    uint8_t(*leaves)[HM_TLOG_HASH_LEN] = calloc(n, HM_TLOG_HASH_LEN);
    struct hm_tlog_memstore *ms = NULL;
    const struct hm_tlog_storage *st;
    struct hm_tlog_path p;
    uint8_t root[HM_TLOG_HASH_LEN];
    double t0, t_app, t_incl, t_cons, t_vincl, t_root;
    size_t len_incl = 0, len_cons = 0;

    if (leaves == NULL || n < 2 || hm_tlog_memstore_new(&ms) != HM_OK) {
        return 2;
    }
    for (uint64_t i = 0; i < n; i++) {
        hm_tlog_leaf_hash(&i, sizeof(i), leaves[i]);
    }
    t0 = now();
    for (uint64_t i = 0; i < n; i++) {
        if (hm_tlog_memstore_append(ms, leaves[i], NULL) != HM_OK) {
            return 1;
        }
    }
    t_app = now() - t0;
    st = hm_tlog_memstore_storage(ms);
    t0 = now();
    for (int i = 0; i < 1000; i++) {
        if (hm_tlog_root(st, n - (uint64_t)i, root) != HM_OK) {
            return 1;
        }
    }
    t_root = (now() - t0) / 1000;
    if (hm_tlog_root(st, n, root) != HM_OK) {
        return 1;
    }
    t0 = now();
    for (int i = 0; i < PROOFS; i++) {
        if (hm_tlog_inclusion_proof(st, next_rand(n), n, &p) != HM_OK) {
            return 1;
        }
        len_incl += p.len;
    }
    t_incl = (now() - t0) / PROOFS;
    t0 = now();
    for (int i = 0; i < PROOFS; i++) {
        if (hm_tlog_consistency_proof(st, 1 + next_rand(n - 1), n, &p) != HM_OK) {
            return 1;
        }
        len_cons += p.len;
    }
    t_cons = (now() - t0) / PROOFS;
    t0 = now();
    for (int i = 0; i < PROOFS; i++) {
        uint64_t idx = next_rand(n);

        if (hm_tlog_inclusion_proof(st, idx, n, &p) != HM_OK ||
            hm_tlog_verify_inclusion(idx, n, leaves[idx], &p.hash[0][0], p.len, root) != HM_OK) {
            return 1;
        }
    }
    t_vincl = (now() - t0) / PROOFS - t_incl;
    hm_tlog_memstore_bytes(ms, &used, &alloc);
    printf("leaves                      %llu\n", (unsigned long long)n);
    printf("append (memstore)           %.0f leaves/s (%.2f us/leaf)\n", (double)n / t_app,
           t_app / (double)n * 1e6);
    printf("root at size ~n             %.2f us\n", t_root * 1e6);
    printf("inclusion proof             %.2f us (%.1f hashes avg)\n", t_incl * 1e6,
           (double)len_incl / PROOFS);
    printf("consistency proof           %.2f us (%.1f hashes avg)\n", t_cons * 1e6,
           (double)len_cons / PROOFS);
    printf("inclusion verify            %.2f us\n", t_vincl * 1e6);
    printf("stored bytes per entry      %.1f used, %.1f allocated\n", (double)used / (double)n,
           (double)alloc / (double)n);
    hm_tlog_memstore_free(ms);
    free(leaves);
    return 0;
}

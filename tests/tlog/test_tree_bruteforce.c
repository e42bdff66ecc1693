/*
 * test_tree_bruteforce.c: the stored-hash generator against the RFC recursion itself.
 *
 * Every tree size 1..300: the root, every inclusion path and every consistency path equal
 * what the naive recursion (tlog_testutil.c) computes, and each one verifies.  Then one
 * tree of 1,000,000 leaves built with the appender, and random (index, size) and (m, n)
 * pairs from a fixed seed.
 */
#include <hm/tlog.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tlog_testutil.h"

#define SMALL_MAX   300
#define BIG_SIZE    1000000
#define BIG_SAMPLES 20000

static uint8_t (*leaf_hashes)[HM_TLOG_HASH_LEN];

static void
make_leaves(uint64_t n)
{
    free(leaf_hashes);
    leaf_hashes = calloc(n, HM_TLOG_HASH_LEN);
    assert_non_null(leaf_hashes);
    for (uint64_t i = 0; i < n; i++) {
        uint8_t data[8];

        for (int b = 0; b < 8; b++) {
            data[b] = (uint8_t)(i >> (8 * b));
        }
        hm_tlog_leaf_hash(data, sizeof(data), leaf_hashes[i]);
    }
}

static struct hm_tlog_memstore *
make_store(uint64_t n)
{
    struct hm_tlog_memstore *ms = NULL;

    assert_int_equal(hm_tlog_memstore_new(&ms), HM_OK);
    for (uint64_t i = 0; i < n; i++) {
        assert_int_equal(hm_tlog_memstore_append(ms, leaf_hashes[i], NULL), HM_OK);
    }
    assert_int_equal(hm_tlog_memstore_size(ms), n);
    return ms;
}

static void
test_every_proof_up_to_300(void **state)
{
    struct hm_tlog_memstore *ms;
    const struct hm_tlog_storage *st;
    uint8_t roots[SMALL_MAX + 1][32];

    (void)state;
    make_leaves(SMALL_MAX);
    tu_memo(SMALL_MAX);
    ms = make_store(SMALL_MAX);
    st = hm_tlog_memstore_storage(ms);
    for (uint64_t n = 0; n <= SMALL_MAX; n++) {
        uint8_t got[32];

        tu_mth(leaf_hashes, 0, n, roots[n]);
        assert_int_equal(hm_tlog_root(st, n, got), HM_OK);
        assert_memory_equal(got, roots[n], 32);
    }
    for (uint64_t n = 1; n <= SMALL_MAX; n++) {
        for (uint64_t i = 0; i < n; i++) {
            struct hm_tlog_path got, want = { 0 };

            tu_path(leaf_hashes, i, 0, n, &want);
            assert_int_equal(hm_tlog_inclusion_proof(st, i, n, &got), HM_OK);
            assert_int_equal(got.len, want.len);
            if (want.len > 0) {
                assert_memory_equal(got.hash, want.hash, 32 * want.len);
            }
            assert_int_equal(
                hm_tlog_verify_inclusion(i, n, leaf_hashes[i], &got.hash[0][0], got.len, roots[n]),
                HM_OK);
        }
        for (uint64_t m = 0; m <= n; m++) {
            struct hm_tlog_path got, want;

            tu_proof(leaf_hashes, m, n, &want);
            assert_int_equal(hm_tlog_consistency_proof(st, m, n, &got), HM_OK);
            assert_int_equal(got.len, want.len);
            if (want.len > 0) {
                assert_memory_equal(got.hash, want.hash, 32 * want.len);
            }
            assert_int_equal(
                hm_tlog_verify_consistency(m, n, roots[m], roots[n], &got.hash[0][0], got.len),
                HM_OK);
        }
    }
    tu_memo(0);
    hm_tlog_memstore_free(ms);
}

/* xorshift64*: a fixed seed, so that a failure can be replayed. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next_rand(uint64_t bound)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (rng * 0x2545f4914f6cdd1dULL) % bound;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static void
test_random_proofs_in_a_million(void **state)
{
    static uint64_t sizes[BIG_SAMPLES];
    static uint8_t size_roots[BIG_SAMPLES][32];
    struct hm_tlog_memstore *ms = NULL;
    const struct hm_tlog_storage *st;
    struct hm_tlog_appender *app = NULL;
    size_t next = 0;

    (void)state;
    make_leaves(BIG_SIZE);
    for (size_t i = 0; i < BIG_SAMPLES; i++) {
        sizes[i] = 1 + next_rand(BIG_SIZE);
    }
    sizes[0] = BIG_SIZE;
    qsort(sizes, BIG_SAMPLES, sizeof(sizes[0]), cmp_u64);
    /* Build with a bare appender + put, and record the appender's heads at the sizes. */
    assert_int_equal(hm_tlog_memstore_new(&ms), HM_OK);
    assert_int_equal(hm_tlog_appender_new(NULL, 0, &app), HM_OK);
    for (uint64_t i = 0; i < BIG_SIZE; i++) {
        struct hm_tlog_node_hash nodes[HM_TLOG_MAX_NEW_NODES];
        size_t k = 0;

        assert_int_equal(hm_tlog_appender_add(app, leaf_hashes[i], nodes, &k), HM_OK);
        assert_int_equal(hm_tlog_memstore_put(ms, nodes, k), HM_OK);
        while (next < BIG_SAMPLES && sizes[next] == i + 1) {
            hm_tlog_appender_root(app, size_roots[next++]);
        }
    }
    hm_tlog_appender_free(app);
    st = hm_tlog_memstore_storage(ms);
    /* A few heads straight from the recursion (each costs a full pass over the leaves). */
    for (size_t i = 0; i < BIG_SAMPLES; i += BIG_SAMPLES / 3) {
        uint8_t want[32];

        tu_mth(leaf_hashes, 0, sizes[i], want);
        assert_memory_equal(size_roots[i], want, 32);
    }
    for (size_t s = 0; s < BIG_SAMPLES; s++) {
        uint64_t n = sizes[s], i = next_rand(n);
        size_t o = next_rand(s + 1); /* an older (or the same) size */
        struct hm_tlog_path p;
        uint8_t root[32];

        assert_int_equal(hm_tlog_root(st, n, root), HM_OK);
        assert_memory_equal(root, size_roots[s], 32);
        assert_int_equal(hm_tlog_inclusion_proof(st, i, n, &p), HM_OK);
        assert_int_equal(hm_tlog_verify_inclusion(i, n, leaf_hashes[i], &p.hash[0][0], p.len, root),
                         HM_OK);
        assert_int_equal(hm_tlog_consistency_proof(st, sizes[o], n, &p), HM_OK);
        assert_int_equal(
            hm_tlog_verify_consistency(sizes[o], n, size_roots[o], root, &p.hash[0][0], p.len),
            HM_OK);
    }
    hm_tlog_memstore_free(ms);
    free(leaf_hashes);
    leaf_hashes = NULL;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_proof_up_to_300),
        cmocka_unit_test(test_random_proofs_in_a_million),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

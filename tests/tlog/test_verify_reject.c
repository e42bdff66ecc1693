/*
 * test_verify_reject.c: the verifiers refuse every near miss of a good proof: each
 * single-bit flip of each path hash, of the leaf and of the roots, a wrong index or size,
 * a hash added or removed anywhere (the probes of transparency-dev's verify_test.go, and
 * every bit instead of one).
 */
#include <hm/tlog.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tlog_testutil.h"

#define MAX_N 40

static uint8_t leaves[MAX_N][32];
static uint8_t roots[MAX_N + 1][32];
static struct hm_tlog_memstore *ms;

static int
setup(void **state)
{
    (void)state;
    if (hm_tlog_memstore_new(&ms) != HM_OK) {
        return -1;
    }
    for (unsigned i = 0; i < MAX_N; i++) {
        hm_tlog_leaf_hash(&i, sizeof(i), leaves[i]);
        if (hm_tlog_memstore_append(ms, leaves[i], NULL) != HM_OK) {
            return -1;
        }
    }
    for (uint64_t n = 0; n <= MAX_N; n++) {
        tu_mth(leaves, 0, n, roots[n]);
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    hm_tlog_memstore_free(ms);
    return 0;
}

static hm_err
incl(uint64_t i, uint64_t n, const uint8_t *leaf, const uint8_t *path, size_t len,
     const uint8_t *root)
{
    return hm_tlog_verify_inclusion(i, n, leaf, path, len, root);
}

/* Every bit of every 32-byte value in buf[0..len) flipped once: never verifies. */
#define FOR_EACH_BIT(buf, nbytes, stmt)                                                            \
    for (size_t byte_ = 0; byte_ < (nbytes); byte_++) {                                            \
        for (int bit_ = 0; bit_ < 8; bit_++) {                                                     \
            (buf)[byte_] ^= (uint8_t)(1u << bit_);                                                 \
            stmt;                                                                                  \
            (buf)[byte_] ^= (uint8_t)(1u << bit_);                                                 \
        }                                                                                          \
    }

static void
check_inclusion_probes(uint64_t i, uint64_t n)
{
    struct hm_tlog_path p;
    uint8_t path[(HM_TLOG_MAX_PATH + 2) * 32], leaf[32], root[32], some[32];
    size_t len;

    assert_int_equal(hm_tlog_inclusion_proof(hm_tlog_memstore_storage(ms), i, n, &p), HM_OK);
    len = p.len;
    memcpy(path + 32, p.hash, 32 * len); /* room for one hash in front */
    memcpy(leaf, leaves[i], 32);
    memcpy(root, roots[n], 32);
    memset(some, 0xab, 32);
    assert_int_equal(incl(i, n, leaf, path + 32, len, root), HM_OK);
    FOR_EACH_BIT(path + 32, 32 * len,
                 assert_int_equal(incl(i, n, leaf, path + 32, len, root), HM_E_VERIFY));
    FOR_EACH_BIT(leaf, 32, assert_int_equal(incl(i, n, leaf, path + 32, len, root), HM_E_VERIFY));
    FOR_EACH_BIT(root, 32, assert_int_equal(incl(i, n, leaf, path + 32, len, root), HM_E_VERIFY));
    /* Wrong index or size (i - 1 wraps for i == 0: still refused). */
    assert_int_equal(incl(i - 1, n, leaf, path + 32, len, root), HM_E_VERIFY);
    assert_int_equal(incl(i + 1, n, leaf, path + 32, len, root), HM_E_VERIFY);
    assert_int_equal(incl(i ^ 2, n, leaf, path + 32, len, root), HM_E_VERIFY);
    assert_int_equal(incl(i, n * 2, leaf, path + 32, len, root), HM_E_VERIFY);
    assert_int_equal(incl(i, n / 2, leaf, path + 32, len, root), HM_E_VERIFY);
    assert_int_equal(incl(i, n, leaf, path + 32, len, roots[0]), HM_E_VERIFY);
    /* Extra hashes at the end or the front, one missing, one inserted. */
    memcpy(path + 32 + 32 * len, root, 32);
    assert_int_equal(incl(i, n, leaf, path + 32, len + 1, root), HM_E_VERIFY);
    memset(path + 32 + 32 * len, 0, 32);
    assert_int_equal(incl(i, n, leaf, path + 32, len + 1, root), HM_E_VERIFY);
    memcpy(path, root, 32);
    assert_int_equal(incl(i, n, leaf, path, len + 1, root), HM_E_VERIFY);
    if (len > 0) {
        assert_int_equal(incl(i, n, leaf, path + 32, len - 1, root), HM_E_VERIFY);
        assert_int_equal(incl(i, n, leaf, path + 64, len - 1, root), HM_E_VERIFY);
    }
    if (len > 1) {
        uint8_t ins[(HM_TLOG_MAX_PATH + 1) * 32];

        memcpy(ins, path + 32, 32);
        memcpy(ins + 32, some, 32);
        memcpy(ins + 64, path + 64, 32 * (len - 1));
        assert_int_equal(incl(i, n, leaf, ins, len + 1, root), HM_E_VERIFY);
    }
}

static void
test_inclusion_near_misses(void **state)
{
    (void)state;
    for (uint64_t n = 1; n <= MAX_N; n++) {
        for (uint64_t i = 0; i < n; i++) {
            check_inclusion_probes(i, n);
        }
    }
}

static hm_err
cons(uint64_t m, uint64_t n, const uint8_t *r1, const uint8_t *r2, const uint8_t *path, size_t len)
{
    return hm_tlog_verify_consistency(m, n, r1, r2, path, len);
}

static void
check_consistency_probes(uint64_t m, uint64_t n)
{
    struct hm_tlog_path p;
    uint8_t path[(HM_TLOG_MAX_PATH + 2) * 32], r1[32], r2[32];
    size_t len;

    assert_int_equal(hm_tlog_consistency_proof(hm_tlog_memstore_storage(ms), m, n, &p), HM_OK);
    len = p.len;
    assert_true(len > 0);
    memcpy(path + 32, p.hash, 32 * len);
    memcpy(r1, roots[m], 32);
    memcpy(r2, roots[n], 32);
    assert_int_equal(cons(m, n, r1, r2, path + 32, len), HM_OK);
    FOR_EACH_BIT(path + 32, 32 * len,
                 assert_int_equal(cons(m, n, r1, r2, path + 32, len), HM_E_VERIFY));
    FOR_EACH_BIT(r1, 32, assert_int_equal(cons(m, n, r1, r2, path + 32, len), HM_E_VERIFY));
    FOR_EACH_BIT(r2, 32, assert_int_equal(cons(m, n, r1, r2, path + 32, len), HM_E_VERIFY));
    assert_int_equal(cons(m - 1, n, r1, r2, path + 32, len), HM_E_VERIFY);
    assert_int_equal(cons(m + 1, n, r1, r2, path + 32, len), HM_E_VERIFY);
    assert_int_equal(cons(m ^ 2, n, r1, r2, path + 32, len), HM_E_VERIFY);
    assert_int_equal(cons(m, n * 2, r1, r2, path + 32, len), HM_E_VERIFY);
    assert_int_equal(cons(m, n / 2, r1, r2, path + 32, len), HM_E_VERIFY);
    assert_int_equal(cons(m, n, r2, r1, path + 32, len), HM_E_VERIFY); /* swapped */
    assert_int_equal(cons(m, n, r1, r2, path + 32, 0), HM_E_VERIFY);
    assert_int_equal(cons(m, n, r1, r2, path + 32, len - 1), HM_E_VERIFY);
    assert_int_equal(cons(m, n, r1, r2, path + 64, len - 1), HM_E_VERIFY);
    memcpy(path + 32 + 32 * len, r1, 32);
    assert_int_equal(cons(m, n, r1, r2, path + 32, len + 1), HM_E_VERIFY);
    memcpy(path + 32 + 32 * len, r2, 32);
    assert_int_equal(cons(m, n, r1, r2, path + 32, len + 1), HM_E_VERIFY);
    memcpy(path, r1, 32);
    assert_int_equal(cons(m, n, r1, r2, path, len + 1), HM_E_VERIFY);
    memcpy(path, r2, 32);
    assert_int_equal(cons(m, n, r1, r2, path, len + 1), HM_E_VERIFY);
    memcpy(path, path + 32, 32);
    assert_int_equal(cons(m, n, r1, r2, path, len + 1), HM_E_VERIFY);
}

static void
test_consistency_near_misses(void **state)
{
    (void)state;
    for (uint64_t n = 2; n <= MAX_N; n++) {
        for (uint64_t m = 1; m < n; m++) {
            check_consistency_probes(m, n);
        }
    }
}

/* Sizes near 2^64: no overflow, no endless loop, and nothing verifies by accident. */
static void
test_huge_sizes(void **state)
{
    uint8_t path[64 * 32], h[32];

    (void)state;
    memset(path, 0x5a, sizeof(path));
    memset(h, 0x11, sizeof(h));
    assert_int_equal(hm_tlog_verify_inclusion(UINT64_MAX - 1, UINT64_MAX, h, path, 64, h),
                     HM_E_VERIFY);
    assert_int_equal(hm_tlog_verify_inclusion(0, UINT64_MAX, h, path, 64, h), HM_E_VERIFY);
    assert_int_equal(hm_tlog_verify_consistency(UINT64_MAX - 1, UINT64_MAX, h, h, path, 64),
                     HM_E_VERIFY);
    assert_int_equal(hm_tlog_verify_consistency((uint64_t)1 << 63, UINT64_MAX, h, h, path, 64),
                     HM_E_VERIFY);
    assert_int_equal(hm_tlog_verify_consistency(1, UINT64_MAX, h, h, path, 64), HM_E_VERIFY);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inclusion_near_misses),
        cmocka_unit_test(test_consistency_near_misses),
        cmocka_unit_test(test_huge_sizes),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

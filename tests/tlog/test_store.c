/*
 * test_store.c: the storage contract.  Proofs read O(log n) stored hashes in one call, the
 * appender resumes from storage, the in-memory store keeps its order, errors from storage
 * reach the caller, and out-of-range requests are refused.
 */
#include <hm/tlog.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tlog_testutil.h"

/* A storage that counts what it is asked and can fail or make hashes up. */
struct counting {
    const struct hm_tlog_storage *inner; /* NULL: every hash is 0x5a... */
    size_t calls, nodes, max_nodes;
    hm_err fail;
};

static hm_err
counting_read(void *ctx, const struct hm_tlog_node *nodes, size_t n,
              uint8_t (*out)[HM_TLOG_HASH_LEN])
{
    struct counting *c = ctx;

    c->calls++;
    c->nodes += n;
    c->max_nodes = n > c->max_nodes ? n : c->max_nodes;
    if (c->fail != HM_OK) {
        return c->fail;
    }
    if (c->inner == NULL) {
        memset(out, 0x5a, n * HM_TLOG_HASH_LEN);
        return HM_OK;
    }
    return c->inner->read(c->inner->ctx, nodes, n, out);
}

static struct hm_tlog_memstore *
make_store(uint64_t n)
{
    struct hm_tlog_memstore *ms = NULL;

    assert_int_equal(hm_tlog_memstore_new(&ms), HM_OK);
    for (uint64_t i = 0; i < n; i++) {
        uint8_t h[32];

        hm_tlog_leaf_hash(&i, sizeof(i), h);
        assert_int_equal(hm_tlog_memstore_append(ms, h, NULL), HM_OK);
    }
    return ms;
}

static void
test_proofs_read_log_n_hashes_in_one_call(void **state)
{
    static const uint64_t sizes[] = { 1, 2, 3, 255, 256, 257, 65535, 65537, 100003 };
    struct hm_tlog_memstore *ms = make_store(100003);
    struct counting c = { .inner = hm_tlog_memstore_storage(ms) };
    struct hm_tlog_storage st = { counting_read, &c };
    struct hm_tlog_path p;
    uint8_t root[32];

    (void)state;
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        uint64_t n = sizes[s];

        for (uint64_t i = 0; i < n; i += 1 + n / 7) {
            c.calls = c.nodes = 0;
            assert_int_equal(hm_tlog_inclusion_proof(&st, i, n, &p), HM_OK);
            assert_true(c.calls <= 1);
            assert_true(c.nodes <= 2 * 17 + 1); /* log2(100003) < 17 */
            c.calls = c.nodes = 0;
            assert_int_equal(hm_tlog_consistency_proof(&st, i + 1, n, &p), HM_OK);
            assert_true(c.calls <= 1);
            assert_true(c.nodes <= 2 * 17 + 2);
        }
        c.calls = c.nodes = 0;
        assert_int_equal(hm_tlog_root(&st, n, root), HM_OK);
        assert_int_equal(c.calls, 1);
        assert_true(c.nodes <= 17);
    }
    hm_tlog_memstore_free(ms);
}

/* 2^63 leaves: the longest proofs fit the fixed arrays (made-up hashes). */
static void
test_largest_tree(void **state)
{
    struct counting c = { 0 };
    struct hm_tlog_storage st = { counting_read, &c };
    struct hm_tlog_appender *app = NULL;
    struct hm_tlog_node_hash nodes[HM_TLOG_MAX_NEW_NODES];
    struct hm_tlog_path p;
    uint8_t root[32], leaf[32] = { 0 };
    size_t k = 0;

    (void)state;
    assert_int_equal(hm_tlog_inclusion_proof(&st, HM_TLOG_MAX_SIZE - 1, HM_TLOG_MAX_SIZE, &p),
                     HM_OK);
    assert_int_equal(p.len, 63);
    assert_int_equal(hm_tlog_consistency_proof(&st, HM_TLOG_MAX_SIZE - 1, HM_TLOG_MAX_SIZE, &p),
                     HM_OK);
    assert_true(p.len <= HM_TLOG_MAX_PATH);
    assert_true(c.max_nodes <= 127); /* the bound tree.c promises */
    c.max_nodes = 0;
    assert_int_equal(hm_tlog_root(&st, HM_TLOG_MAX_SIZE - 1, root), HM_OK);
    assert_int_equal(c.max_nodes, 63); /* one per set bit */
    assert_int_equal(hm_tlog_root(&st, HM_TLOG_MAX_SIZE + 1, root), HM_E_LIMIT);
    assert_int_equal(hm_tlog_inclusion_proof(&st, 0, HM_TLOG_MAX_SIZE + 1, &p), HM_E_LIMIT);
    assert_int_equal(p.len, 0);
    assert_int_equal(hm_tlog_consistency_proof(&st, 1, HM_TLOG_MAX_SIZE + 1, &p), HM_E_LIMIT);
    /* The appender stops at 2^63 leaves. */
    assert_int_equal(hm_tlog_appender_new(&st, HM_TLOG_MAX_SIZE - 1, &app), HM_OK);
    assert_int_equal(hm_tlog_appender_add(app, leaf, nodes, &k), HM_OK);
    assert_int_equal(k, 64);
    assert_int_equal(nodes[63].node.level, 63);
    assert_int_equal(nodes[63].node.index, 0);
    assert_int_equal(hm_tlog_appender_add(app, leaf, nodes, &k), HM_E_LIMIT);
    assert_int_equal(k, 0);
    hm_tlog_appender_free(app);
    assert_int_equal(hm_tlog_appender_new(&st, HM_TLOG_MAX_SIZE + 1, &app), HM_E_LIMIT);
    assert_null(app);
}

static void
test_bad_ranges_are_refused(void **state)
{
    struct hm_tlog_memstore *ms = make_store(10);
    const struct hm_tlog_storage *st = hm_tlog_memstore_storage(ms);
    struct hm_tlog_path p;
    uint8_t root[32];

    (void)state;
    p.len = 99;
    assert_int_equal(hm_tlog_inclusion_proof(st, 10, 10, &p), HM_E_INVALID);
    assert_int_equal(p.len, 0);
    assert_int_equal(hm_tlog_inclusion_proof(st, 0, 0, &p), HM_E_INVALID);
    assert_int_equal(hm_tlog_consistency_proof(st, 11, 10, &p), HM_E_INVALID);
    assert_int_equal(hm_tlog_consistency_proof(st, 0, 10, &p), HM_OK);
    assert_int_equal(p.len, 0);
    assert_int_equal(hm_tlog_consistency_proof(st, 10, 10, &p), HM_OK);
    assert_int_equal(p.len, 0);
    /* Beyond what is stored: the store says so. */
    assert_int_equal(hm_tlog_root(st, 11, root), HM_E_NOTFOUND);
    assert_int_equal(hm_tlog_inclusion_proof(st, 3, 11, &p), HM_E_NOTFOUND);
    assert_int_equal(p.len, 0);
    assert_int_equal(hm_tlog_consistency_proof(st, 3, 12, &p), HM_E_NOTFOUND);
    assert_int_equal(hm_tlog_root(NULL, 3, root), HM_E_INVALID);
    hm_tlog_memstore_free(ms);
}

static void
test_storage_errors_reach_the_caller(void **state)
{
    struct counting c = { .fail = HM_E_BACKEND };
    struct hm_tlog_storage st = { counting_read, &c };
    struct hm_tlog_appender *app = NULL;
    struct hm_tlog_path p;
    uint8_t root[32];

    (void)state;
    assert_int_equal(hm_tlog_root(&st, 5, root), HM_E_BACKEND);
    assert_int_equal(hm_tlog_inclusion_proof(&st, 1, 5, &p), HM_E_BACKEND);
    assert_int_equal(hm_tlog_consistency_proof(&st, 3, 5, &p), HM_E_BACKEND);
    assert_int_equal(hm_tlog_appender_new(&st, 5, &app), HM_E_BACKEND);
    assert_null(app);
    assert_int_equal(hm_tlog_appender_new(NULL, 5, &app), HM_E_INVALID);
    assert_null(app);
}

/* An appender resumed from storage at any size continues the same tree. */
static void
test_appender_resumes_from_storage(void **state)
{
    struct hm_tlog_memstore *full = make_store(300), *ms = NULL;
    uint8_t want[32], got[32];

    (void)state;
    for (uint64_t start = 0; start < 300; start += 37) {
        struct hm_tlog_appender *app = NULL;

        ms = make_store(start);
        assert_int_equal(hm_tlog_appender_new(hm_tlog_memstore_storage(ms), start, &app), HM_OK);
        assert_int_equal(hm_tlog_appender_size(app), start);
        for (uint64_t i = start; i < 300; i++) {
            struct hm_tlog_node_hash nodes[HM_TLOG_MAX_NEW_NODES];
            uint8_t h[32];
            size_t k = 0;

            hm_tlog_leaf_hash(&i, sizeof(i), h);
            assert_int_equal(hm_tlog_appender_add(app, h, nodes, &k), HM_OK);
            /* One node per level the leaf closes: 1 + trailing ones of the old size. */
            assert_int_equal(k, 1 + (size_t)__builtin_ctzll(~i));
            assert_int_equal(hm_tlog_memstore_put(ms, nodes, k), HM_OK);
            hm_tlog_appender_root(app, got);
            assert_int_equal(hm_tlog_root(hm_tlog_memstore_storage(full), i + 1, want), HM_OK);
            assert_memory_equal(got, want, 32);
        }
        hm_tlog_appender_free(app);
        hm_tlog_memstore_free(ms);
    }
    hm_tlog_memstore_free(full);
}

static void
test_memstore_keeps_order(void **state)
{
    struct hm_tlog_memstore *ms = make_store(4);
    struct hm_tlog_node_hash nodes[2] = { 0 };
    uint64_t used = 0, alloc = 0, idx = 0;
    uint8_t h[32] = { 1 }, root_before[32], root_after[32];

    (void)state;
    assert_int_equal(hm_tlog_root(hm_tlog_memstore_storage(ms), 4, root_before), HM_OK);
    nodes[0].node = (struct hm_tlog_node){ 0, 5 }; /* skips index 4 */
    assert_int_equal(hm_tlog_memstore_put(ms, nodes, 1), HM_E_CONFLICT);
    nodes[0].node = (struct hm_tlog_node){ 0, 3 }; /* stored already */
    assert_int_equal(hm_tlog_memstore_put(ms, nodes, 1), HM_E_CONFLICT);
    nodes[0].node = (struct hm_tlog_node){ 0, 4 };
    nodes[1].node = (struct hm_tlog_node){ 64, 0 };
    assert_int_equal(hm_tlog_memstore_put(ms, nodes, 2), HM_E_INVALID);
    /* A refused batch changed nothing. */
    assert_int_equal(hm_tlog_memstore_size(ms), 4);
    assert_int_equal(hm_tlog_root(hm_tlog_memstore_storage(ms), 4, root_after), HM_OK);
    assert_memory_equal(root_before, root_after, 32);
    assert_int_equal(hm_tlog_memstore_append(ms, h, &idx), HM_OK);
    assert_int_equal(idx, 4);
    hm_tlog_memstore_bytes(ms, &used, &alloc);
    /* 5 leaves: 5 + 2 + 1 subtree hashes. */
    assert_int_equal(used, 8 * 32);
    assert_true(alloc >= used);
    hm_tlog_memstore_free(ms);
    hm_tlog_memstore_free(NULL);
    hm_tlog_appender_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proofs_read_log_n_hashes_in_one_call),
        cmocka_unit_test(test_largest_tree),
        cmocka_unit_test(test_bad_ranges_are_refused),
        cmocka_unit_test(test_storage_errors_reach_the_caller),
        cmocka_unit_test(test_appender_resumes_from_storage),
        cmocka_unit_test(test_memstore_keeps_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

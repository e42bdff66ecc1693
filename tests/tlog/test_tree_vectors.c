/*
 * test_tree_vectors.c: the RFC 6962 / RFC 9162 reference tree of 8 leaves.
 *
 * Values from transparency-dev/merkle, proof/verify_test.go (inclusionProofs,
 * consistencyProofs, roots, leaves), the same tree certificate-transparency-go tests with;
 * its inclusion vectors name leaves 1-based, converted to 0-based indexes here.
 */
#include <hm/tlog.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "tlog_testutil.h"

static const struct {
    const char *hex;
    size_t len;
} leaves[8] = {
    { "", 0 },
    { "00", 1 },
    { "10", 1 },
    { "2021", 2 },
    { "3031", 2 },
    { "40414243", 4 },
    { "5051525354555657", 8 },
    { "606162636465666768696a6b6c6d6e6f", 16 },
};

static const char *const roots[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct vec {
    uint64_t a, b; /* (index, size) or (m, n) */
    size_t len;
    const char *hash[3];
};

static const struct vec inclusion[] = {
    { 0, 1, 0, { NULL } },
    { 0,
      8,
      3,
      { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
    { 5,
      8,
      3,
      { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
    { 2, 3, 1, { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
    { 1,
      5,
      3,
      { "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
};

static const struct vec consistency[] = {
    { 1, 1, 0, { NULL } },
    { 1,
      8,
      3,
      { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
    { 6,
      8,
      3,
      { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
    { 2,
      5,
      2,
      { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
    { 6,
      7,
      3,
      { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
};

static const char empty_root_hex[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static int
setup(void **state)
{
    struct hm_tlog_memstore *ms = NULL;

    assert_int_equal(hm_tlog_memstore_new(&ms), HM_OK);
    for (size_t i = 0; i < 8; i++) {
        uint8_t data[16], h[32];
        uint64_t idx = 99;

        tu_unhex(leaves[i].hex, data, leaves[i].len);
        hm_tlog_leaf_hash(data, leaves[i].len, h);
        assert_int_equal(hm_tlog_memstore_append(ms, h, &idx), HM_OK);
        assert_int_equal(idx, i);
    }
    *state = ms;
    return 0;
}

static int
teardown(void **state)
{
    hm_tlog_memstore_free(*state);
    return 0;
}

static void
test_empty_root(void **state)
{
    uint8_t want[32], got[32];
    struct hm_tlog_memstore *ms = *state;

    tu_unhex(empty_root_hex, want, 32);
    hm_tlog_empty_root(got);
    assert_memory_equal(got, want, 32);
    assert_int_equal(hm_tlog_root(hm_tlog_memstore_storage(ms), 0, got), HM_OK);
    assert_memory_equal(got, want, 32);
}

static void
test_roots_of_sizes_1_to_8(void **state)
{
    const struct hm_tlog_storage *st = hm_tlog_memstore_storage(*state);
    struct hm_tlog_appender *app = NULL;
    uint8_t want[32], got[32];

    assert_int_equal(hm_tlog_appender_new(NULL, 0, &app), HM_OK);
    for (uint64_t n = 1; n <= 8; n++) {
        struct hm_tlog_node_hash nodes[HM_TLOG_MAX_NEW_NODES];
        uint8_t data[16], leaf[32];
        size_t k = 0;

        tu_unhex(roots[n - 1], want, 32);
        assert_int_equal(hm_tlog_root(st, n, got), HM_OK);
        assert_memory_equal(got, want, 32);
        /* The appender's right edge gives the same heads. */
        tu_unhex(leaves[n - 1].hex, data, leaves[n - 1].len);
        hm_tlog_leaf_hash(data, leaves[n - 1].len, leaf);
        assert_int_equal(hm_tlog_appender_add(app, leaf, nodes, &k), HM_OK);
        hm_tlog_appender_root(app, got);
        assert_memory_equal(got, want, 32);
    }
    hm_tlog_appender_free(app);
}

static void
load(const struct vec *v, uint8_t *flat)
{
    for (size_t i = 0; i < v->len; i++) {
        tu_unhex(v->hash[i], flat + 32 * i, 32);
    }
}

static void
test_inclusion_vectors(void **state)
{
    const struct hm_tlog_storage *st = hm_tlog_memstore_storage(*state);

    for (size_t i = 0; i < sizeof(inclusion) / sizeof(inclusion[0]); i++) {
        const struct vec *v = &inclusion[i];
        struct hm_tlog_path path;
        uint8_t want[3 * 32], root[32], data[16], leaf[32];

        load(v, want);
        assert_int_equal(hm_tlog_inclusion_proof(st, v->a, v->b, &path), HM_OK);
        assert_int_equal(path.len, v->len);
        if (v->len > 0) {
            assert_memory_equal(path.hash, want, 32 * v->len);
        }
        tu_unhex(roots[v->b - 1], root, 32);
        tu_unhex(leaves[v->a].hex, data, leaves[v->a].len);
        hm_tlog_leaf_hash(data, leaves[v->a].len, leaf);
        assert_int_equal(hm_tlog_verify_inclusion(v->a, v->b, leaf, want, v->len, root), HM_OK);
    }
}

static void
test_consistency_vectors(void **state)
{
    const struct hm_tlog_storage *st = hm_tlog_memstore_storage(*state);

    for (size_t i = 0; i < sizeof(consistency) / sizeof(consistency[0]); i++) {
        const struct vec *v = &consistency[i];
        struct hm_tlog_path path;
        uint8_t want[3 * 32], r1[32], r2[32];

        load(v, want);
        assert_int_equal(hm_tlog_consistency_proof(st, v->a, v->b, &path), HM_OK);
        assert_int_equal(path.len, v->len);
        if (v->len > 0) {
            assert_memory_equal(path.hash, want, 32 * v->len);
        }
        tu_unhex(roots[v->a - 1], r1, 32);
        tu_unhex(roots[v->b - 1], r2, 32);
        assert_int_equal(hm_tlog_verify_consistency(v->a, v->b, r1, r2, want, v->len), HM_OK);
    }
}

/* The edge cases of transparency-dev's TestVerifyConsistency, with our one difference:
 * from size 0 the first root must be the empty root (RFC 9162 leaves m == 0 open). */
static void
test_consistency_edge_cases(void **state)
{
    uint8_t e[32], r1[32], r2[32];
    static const struct {
        uint64_t m, n;
        int first, second; /* 0: empty root, 1: r1, 2: r2 */
        size_t path_len;   /* path: the empty root, path_len times */
        hm_err want;
    } cases[] = {
        { 0, 0, 1, 2, 0, HM_E_VERIFY }, /* same size, different roots */
        { 1, 1, 1, 2, 0, HM_E_VERIFY }, { 0, 0, 1, 1, 0, HM_OK },
        { 0, 1, 0, 2, 0, HM_OK },       /* the empty tree is a prefix of every tree */
        { 0, 1, 1, 2, 0, HM_E_VERIFY }, /* ... if its root is the empty root */
        { 1, 1, 2, 2, 0, HM_OK },       { 1, 0, 1, 2, 0, HM_E_VERIFY }, /* time travel */
        { 2, 1, 1, 2, 0, HM_E_VERIFY }, { 1, 2, 1, 2, 0, HM_E_VERIFY }, /* empty path */
        { 0, 0, 0, 0, 1, HM_E_VERIFY }, /* equal roots, but a path */
        { 0, 1, 0, 0, 1, HM_E_VERIFY }, { 1, 1, 0, 0, 1, HM_E_VERIFY },
        { 1, 2, 1, 2, 65, HM_E_LIMIT },
    };
    uint8_t path[65 * 32];

    (void)state;
    hm_tlog_empty_root(e);
    memset(r1, 0x11, 32);
    memset(r2, 0x22, 32);
    for (size_t i = 0; i < 65; i++) {
        memcpy(path + 32 * i, e, 32);
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const uint8_t *h[3] = { e, r1, r2 };

        assert_int_equal(hm_tlog_verify_consistency(cases[i].m, cases[i].n, h[cases[i].first],
                                                    h[cases[i].second], path, cases[i].path_len),
                         cases[i].want);
    }
    assert_int_equal(hm_tlog_verify_consistency(1, 2, r1, r2, NULL, 1), HM_E_INVALID);
}

/* transparency-dev's TestVerifyInclusion probes: nothing verifies in trees too small. */
static void
test_inclusion_edge_cases(void **state)
{
    static const uint64_t probes[][2] = { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 2, 1 } };
    uint8_t some[32], e[32], path[65 * 32] = { 0 };

    (void)state;
    tu_unhex("abacaba000000000000000000000000000000000000000000060061e00123456", some, 32);
    hm_tlog_empty_root(e);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(hm_tlog_verify_inclusion(probes[i][0], probes[i][1], some, NULL, 0, e),
                         HM_E_VERIFY);
    }
    /* A one-leaf tree: the root is the leaf hash and the path is empty. */
    assert_int_equal(hm_tlog_verify_inclusion(0, 1, some, NULL, 0, some), HM_OK);
    assert_int_equal(hm_tlog_verify_inclusion(0, 1, some, path, 1, some), HM_E_VERIFY);
    assert_int_equal(hm_tlog_verify_inclusion(0, 2, some, path, 65, some), HM_E_LIMIT);
    assert_int_equal(hm_tlog_verify_inclusion(UINT64_MAX, UINT64_MAX, some, NULL, 0, some),
                     HM_E_VERIFY);
    assert_int_equal(hm_tlog_verify_inclusion(0, 2, some, NULL, 1, some), HM_E_INVALID);
    assert_int_equal(hm_tlog_verify_inclusion(0, 2, NULL, path, 1, some), HM_E_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_root),
        cmocka_unit_test(test_roots_of_sizes_1_to_8),
        cmocka_unit_test(test_inclusion_vectors),
        cmocka_unit_test(test_consistency_vectors),
        cmocka_unit_test(test_consistency_edge_cases),
        cmocka_unit_test(test_inclusion_edge_cases),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

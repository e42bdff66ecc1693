/*
 * test_tiles.c: c2sp.org/tlog-tiles: paths both ways (strict parsing for the HTTP
 * server), tile widths for a tree size (the spec's 70,000 example), tile contents read
 * from storage against the naive tree, and entry bundles.
 */
#include <hm/tlog.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tlog_testutil.h"

static void
test_paths(void **state)
{
    static const struct {
        struct hm_tlog_tile t;
        const char *path;
    } cases[] = {
        { { false, 0, 0, 256 }, "tile/0/000" },
        { { false, 0, 1234067, 256 }, "tile/0/x001/x234/067" },
        { { false, 1, 5, 17 }, "tile/1/005.p/17" },
        { { false, 63, 999, 255 }, "tile/63/999.p/255" },
        { { false, 2, 1000, 1 }, "tile/2/x001/000.p/1" },
        { { true, 0, 0, 256 }, "tile/entries/000" },
        { { true, 0, 273, 112 }, "tile/entries/273.p/112" },
        { { false, 0, ((uint64_t)1 << 56) - 1, 256 }, "tile/0/x072/x057/x594/x037/x927/935" },
    };
    char buf[HM_TLOG_TILE_MAX_PATH];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hm_tlog_tile back;

        assert_int_equal(hm_tlog_tile_path(&cases[i].t, buf), HM_OK);
        assert_string_equal(buf, cases[i].path);
        assert_int_equal(hm_tlog_tile_parse_path(buf, strlen(buf), &back), HM_OK);
        assert_int_equal(back.entries, cases[i].t.entries);
        assert_int_equal(back.level, cases[i].t.level);
        assert_int_equal(back.index, cases[i].t.index);
        assert_int_equal(back.width, cases[i].t.width);
    }
}

static void
test_path_refuses(void **state)
{
    static const struct hm_tlog_tile bad[] = {
        { false, 64, 0, 256 },                /* level past 63 */
        { false, 0, 0, 0 },                   /* empty tile */
        { false, 0, 0, 257 },                 /* wider than a tile */
        { false, 0, (uint64_t)1 << 56, 256 }, /* N * 256 would overflow */
    };
    char buf[HM_TLOG_TILE_MAX_PATH];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(hm_tlog_tile_path(&bad[i], buf), HM_E_INVALID);
        assert_string_equal(buf, "");
    }
}

static void
test_hostile_paths(void **state)
{
    static const struct {
        const char *path;
        hm_err want;
    } cases[] = {
        { "", HM_E_INVALID },
        { "tile", HM_E_INVALID },
        { "tile/", HM_E_INVALID },
        { "tile/0", HM_E_INVALID },
        { "tile/0/", HM_E_INVALID },
        { "/tile/0/000", HM_E_INVALID },
        { "tile/0/1", HM_E_INVALID }, /* not three digits */
        { "tile/0/0000", HM_E_INVALID },
        { "tile/0/x001", HM_E_INVALID },     /* 'x' on the last group */
        { "tile/0/001/002", HM_E_INVALID },  /* no 'x' on an inner group */
        { "tile/0/x000/001", HM_E_INVALID }, /* a padded zero group */
        { "tile/0/x01/000", HM_E_INVALID },
        { "tile/0/xx001/000", HM_E_INVALID },
        { "tile/0/000/", HM_E_INVALID },
        { "tile/00/000", HM_E_INVALID }, /* leading zero in the level */
        { "tile/64/000", HM_E_INVALID },
        { "tile/-1/000", HM_E_INVALID },
        { "tile//000", HM_E_INVALID },
        { "tile/entry/000", HM_E_INVALID },
        { "tile/entries/x000/000", HM_E_INVALID },
        { "tile/0/000.p/", HM_E_INVALID },
        { "tile/0/000.p/0", HM_E_INVALID },
        { "tile/0/000.p/256", HM_E_INVALID }, /* a full tile has no suffix */
        { "tile/0/000.p/07", HM_E_INVALID },
        { "tile/0/000.p/7/", HM_E_INVALID },
        { "tile/0/000.q/7", HM_E_INVALID },
        { "tile/0/000.p7", HM_E_INVALID },
        { "tile/0/x072/x057/x594/x037/x927/936", HM_E_INVALID },      /* 2^56 */
        { "tile/0/x001/x000/x000/x000/x000/x000/000", HM_E_INVALID }, /* 7 groups */
        { "tile/0/x001/x000/x000/x000/x000/x000/x000/x000/x000/x000/x000/x000/000", HM_E_LIMIT },
        { "tile/0/0a0", HM_E_INVALID },
        { "tile/0/000\n", HM_E_INVALID },
    };
    struct hm_tlog_tile t;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&t, 0xff, sizeof(t));
        assert_int_equal(hm_tlog_tile_parse_path(cases[i].path, strlen(cases[i].path), &t),
                         cases[i].want);
        assert_int_equal(t.index, 0); /* nothing handed out */
        assert_int_equal(t.width, 0);
    }
    /* A NUL inside the given length. */
    assert_int_equal(hm_tlog_tile_parse_path("tile/0/0\0000", 10, &t), HM_E_INVALID);
}

static void
test_widths(void **state)
{
    (void)state;
    /* tlog-tiles: a tree of 70,000 has 273 full level-0 tiles, a level-0 tile of 112, one
     * full level-1 tile, a level-1 tile of 17 and a level-2 tile of 1. */
    assert_int_equal(hm_tlog_tile_width_at(70000, 0, 272), 256);
    assert_int_equal(hm_tlog_tile_width_at(70000, 0, 273), 112);
    assert_int_equal(hm_tlog_tile_width_at(70000, 0, 274), 0);
    assert_int_equal(hm_tlog_tile_width_at(70000, 1, 0), 256);
    assert_int_equal(hm_tlog_tile_width_at(70000, 1, 1), 17);
    assert_int_equal(hm_tlog_tile_width_at(70000, 2, 0), 1);
    assert_int_equal(hm_tlog_tile_width_at(70000, 3, 0), 0);
    /* A tree of 256: a full level-0 tile and a level-1 tile of width 1. */
    assert_int_equal(hm_tlog_tile_width_at(256, 0, 0), 256);
    assert_int_equal(hm_tlog_tile_width_at(256, 0, 1), 0);
    assert_int_equal(hm_tlog_tile_width_at(256, 1, 0), 1);
    assert_int_equal(hm_tlog_tile_width_at(0, 0, 0), 0);
    assert_int_equal(hm_tlog_tile_width_at(UINT64_MAX, 7, 0), 255);
    assert_int_equal(hm_tlog_tile_width_at(UINT64_MAX, 8, 0), 0);
    assert_int_equal(hm_tlog_tile_width_at(UINT64_MAX, 0, (uint64_t)1 << 56), 0);
}

static void
test_tile_contents(void **state)
{
    enum { SIZE = 70000 };
    uint8_t(*leaves)[32] = calloc(SIZE, 32);
    struct hm_tlog_memstore *ms = NULL;
    const struct hm_tlog_storage *st;
    struct hm_tlog_tile t;
    uint8_t *tile = NULL, want[32];
    size_t len = 0;

    (void)state;
    assert_int_equal(hm_tlog_memstore_new(&ms), HM_OK);
    for (uint32_t i = 0; i < SIZE; i++) {
        hm_tlog_leaf_hash(&i, sizeof(i), leaves[i]);
        assert_int_equal(hm_tlog_memstore_append(ms, leaves[i], NULL), HM_OK);
    }
    st = hm_tlog_memstore_storage(ms);
    /* Level 0: the leaf hashes. */
    t = (struct hm_tlog_tile){ false, 0, 5, 256 };
    assert_int_equal(hm_tlog_tile_read(st, SIZE, &t, &tile, &len), HM_OK);
    assert_int_equal(len, 8192);
    assert_memory_equal(tile, leaves[5 * 256], 8192);
    free(tile);
    /* The partial level-0 tile, and a narrower view of it (an older checkpoint's). */
    t = (struct hm_tlog_tile){ false, 0, 273, 112 };
    assert_int_equal(hm_tlog_tile_read(st, SIZE, &t, &tile, &len), HM_OK);
    assert_memory_equal(tile, leaves[273 * 256], 112 * 32);
    free(tile);
    t.width = 113;
    tile = (uint8_t *)1;
    assert_int_equal(hm_tlog_tile_read(st, SIZE, &t, &tile, &len), HM_E_NOTFOUND);
    assert_null(tile);
    assert_int_equal(len, 0);
    /* Level 1: MTH of each full level-0 tile; level 2: MTH of the first 65,536 leaves. */
    t = (struct hm_tlog_tile){ false, 1, 1, 17 };
    assert_int_equal(hm_tlog_tile_read(st, SIZE, &t, &tile, &len), HM_OK);
    for (uint64_t i = 0; i < 17; i++) {
        uint64_t lo = (256 + i) * 256;

        tu_mth(leaves, lo, lo + 256, want);
        assert_memory_equal(tile + 32 * i, want, 32);
    }
    free(tile);
    t = (struct hm_tlog_tile){ false, 2, 0, 1 };
    assert_int_equal(hm_tlog_tile_read(st, SIZE, &t, &tile, &len), HM_OK);
    tu_mth(leaves, 0, 65536, want);
    assert_memory_equal(tile, want, 32);
    free(tile);
    /* Not within the tree, not a hash tile. */
    t = (struct hm_tlog_tile){ false, 2, 0, 2 };
    assert_int_equal(hm_tlog_tile_read(st, SIZE, &t, &tile, &len), HM_E_NOTFOUND);
    t = (struct hm_tlog_tile){ false, 0, 5, 256 };
    assert_int_equal(hm_tlog_tile_read(st, 5 * 256 + 255, &t, &tile, &len), HM_E_NOTFOUND);
    t = (struct hm_tlog_tile){ true, 0, 0, 256 };
    assert_int_equal(hm_tlog_tile_read(st, SIZE, &t, &tile, &len), HM_E_INVALID);
    assert_null(tile);
    hm_tlog_memstore_free(ms);
    free(leaves);
}

static void
test_entry_bundles(void **state)
{
    struct hm_buf b;
    uint8_t *big = calloc(1, 65536);

    (void)state;
    hm_buf_init(&b, 0);
    assert_int_equal(hm_tlog_bundle_add(&b, (const uint8_t *)"abc", 3), HM_OK);
    assert_int_equal(hm_tlog_bundle_add(&b, NULL, 0), HM_OK);
    assert_int_equal(hm_tlog_bundle_add(&b, big, 65535), HM_OK);
    assert_int_equal(b.len, 2 + 3 + 2 + 2 + 65535);
    assert_memory_equal(b.data,
                        "\x00\x03"
                        "abc\x00\x00\xff\xff",
                        9);
    assert_int_equal(hm_tlog_bundle_add(&b, big, 65536), HM_E_LIMIT);
    assert_int_equal(hm_tlog_bundle_add(&b, NULL, 1), HM_E_INVALID);
    assert_int_equal(b.len, 2 + 3 + 2 + 2 + 65535); /* unchanged by the refusals */
    hm_buf_free(&b);
    free(big);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),         cmocka_unit_test(test_path_refuses),
        cmocka_unit_test(test_hostile_paths), cmocka_unit_test(test_widths),
        cmocka_unit_test(test_tile_contents), cmocka_unit_test(test_entry_bundles),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

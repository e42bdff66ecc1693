/*
 * test_store_first_release.c: hm_store_first_release (signer/store_policy.c), the state the
 * support-period rule reads: the time of the first release of a major version of a
 * product, on any channel, from the store's own database on a read-only connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"

static void
commit(struct hm_store *st, const char *product, const char *channel, const char *version,
       int64_t t)
{
    struct hm_store_resv *r = NULL;
    struct hm_store_release rel = { .product = product,
                                    .channel = channel,
                                    .version = version,
                                    .key_id = "k",
                                    .client_id = "cn:ci",
                                    .artifacts_json = "[]",
                                    .time = t };

    assert_int_equal(hm_store_reserve(st, product, channel, version, &r, NULL, 0), HM_OK);
    assert_int_equal(hm_store_commit(st, r, &rel), HM_OK);
}

static void
test_first_release(void **state)
{
    char dir[] = "/tmp/hm-first-XXXXXX", url[160], path[160];
    struct hm_store *st = NULL;
    int64_t t = 0;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/s.db", dir);
    snprintf(url, sizeof(url), "sqlite:%.140s", path);
    assert_int_equal(hm_store_open(url, &st), HM_OK);
    /* nothing signed yet */
    assert_int_equal(hm_store_first_release(url, "fw", 1, &t), HM_E_NOTFOUND);
    commit(st, "fw", "beta", "1.0.0-rc.1", 1000);
    commit(st, "fw", "stable", "1.0.0", 2000);
    commit(st, "fw", "stable", "1.2.0", 3000);
    commit(st, "fw", "stable", "10.0.0", 500); /* 10.x is not 1.x */
    commit(st, "other", "stable", "1.0.0", 100);
    static const struct {
        const char *product;
        uint64_t major;
        hm_err rc;
        int64_t t;
    } cases[] = {
        { "fw", 1, HM_OK, 1000 }, /* any channel, pre-releases included */
        { "fw", 10, HM_OK, 500 },           { "fw", 0, HM_E_NOTFOUND, 0 },
        { "fw", 2, HM_E_NOTFOUND, 0 },      { "other", 1, HM_OK, 100 },
        { "f%", 1, HM_E_NOTFOUND, 0 }, /* the product is a value, not a pattern */
        { "nothing", 1, HM_E_NOTFOUND, 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        t = -1;
        assert_int_equal(hm_store_first_release(url, cases[i].product, cases[i].major, &t),
                         cases[i].rc);
        assert_int_equal(t, cases[i].t);
    }
    /* the bare path names the same store */
    assert_int_equal(hm_store_first_release(path, "fw", 1, &t), HM_OK);
    assert_int_equal(t, 1000);
    /* attacker's and caller's faults: nothing handed out */
    assert_int_equal(hm_store_first_release(url, "", 1, &t), HM_E_INVALID);
    assert_int_equal(t, 0);
    assert_int_equal(hm_store_first_release("postgres://x/y", "fw", 1, &t), HM_E_INVALID);
    assert_int_equal(hm_store_first_release("sqlite:/nonexistent/dir/x.db", "fw", 1, &t),
                     HM_E_BACKEND);
    assert_int_equal(t, 0);
    hm_store_close(st);
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

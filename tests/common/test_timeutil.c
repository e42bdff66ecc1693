/* test_timeutil.c: dates and times are parsed strictly. */
#include <hm/common.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static void
test_dates(void **state)
{
    int64_t d = 0;
    static const char *bad[] = { "2031-02-29", "2031-13-01",           "2031-00-10", "2031-1-01",
                                 "31-12-2031", "2031-12-31T00:00:00Z", "1969-12-31", "" };
    (void)state;
    assert_int_equal(hm_date_parse("1970-01-01", &d), HM_OK);
    assert_int_equal(d, 0);
    assert_int_equal(hm_date_parse("2032-02-29", &d), HM_OK); /* leap year */
    assert_int_equal(hm_date_parse("2031-12-31", &d), HM_OK);
    assert_int_equal(d, 22644);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(hm_date_parse(bad[i], &d), HM_E_INVALID);
    }
}

static void
test_rfc3339(void **state)
{
    int64_t t = 0;
    char buf[32];

    (void)state;
    assert_int_equal(hm_time_parse_rfc3339("2026-11-28T01:02:03Z", &t), HM_OK);
    assert_int_equal(t, 1795827723);
    hm_time_rfc3339(t, buf);
    assert_string_equal(buf, "2026-11-28T01:02:03Z");
    assert_int_equal(hm_time_parse_rfc3339("2026-11-28T02:02:03.123+01:00", &t), HM_OK);
    assert_int_equal(t, 1795827723);
    assert_int_equal(hm_time_parse_rfc3339("2026-11-28 01:02:03Z", &t), HM_E_INVALID);
    assert_int_equal(hm_time_parse_rfc3339("2026-11-28T01:02:03", &t), HM_E_INVALID);
    assert_int_equal(hm_time_parse_rfc3339("2026-11-28T25:02:03Z", &t), HM_E_INVALID);
    assert_int_equal(hm_time_parse_rfc3339("2026-11-28T01:02:03.Z", &t), HM_E_INVALID);
}

static void
test_size_mul(void **state)
{
    size_t out = 0;
    (void)state;
    assert_int_equal(hm_size_mul(3, 4, &out), HM_OK);
    assert_int_equal(out, 12);
    assert_int_equal(hm_size_mul(SIZE_MAX / 2 + 1, 2, &out), HM_E_LIMIT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_size_mul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_json.c: the strict JSON reader refuses what cJSON alone would accept. */
#include <hm/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static hm_err
parse(const char *doc, size_t len, cJSON **out, struct hm_json_error *e)
{
    return hm_json_parse(doc, len, NULL, out, e);
}

static void
test_json_accepts_valid(void **state)
{
    static const char *good[] = {
        "{}",
        "[]",
        "0",
        "-0.5e+10",
        "\"\"",
        "true",
        " {\"a\":[1,2,{\"b\":null}]} ",
        "{\"caf\\u00e9\":\"\\ud83d\\ude00\"}",
        "{\"a\":1,\"A\":2}",
        "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        cJSON *j = NULL;
        assert_int_equal(parse(good[i], strlen(good[i]), &j, NULL), HM_OK);
        assert_non_null(j);
        cJSON_Delete(j);
    }
}

static void
test_json_rejects_hostile(void **state)
{
    static const struct {
        const char *doc;
        size_t len; /* 0: strlen */
        hm_err want;
        size_t offset;
        const char *msg;
    } cases[] = {
        { "{\"v\":7,\"v\":1}", 0, HM_E_INVALID, 7, "duplicate key \"v\"" },
        { "{\"v\":7,\"\\u0076\":1}", 0, HM_E_INVALID, 7, "duplicate key \"v\"" }, /* escaped */
        { "{\"n\":\"fw\\u0000x\"}", 0, HM_E_INVALID, 8, "\\u0000 in string" },
        { "{\"n\":\"fw\0x\"}", 12, HM_E_INVALID, 8, "NUL byte in string" },
        { "{\"n\":1}\0", 8, HM_E_INVALID, 7, "NUL byte" },
        { "{\"n\":\"\xff\"}", 0, HM_E_INVALID, 6, "invalid UTF-8" },
        { "{\"n\":\"\xc0\xaf\"}", 0, HM_E_INVALID, 6, "invalid UTF-8" },     /* overlong '/' */
        { "{\"n\":\"\xed\xa0\x80\"}", 0, HM_E_INVALID, 6, "invalid UTF-8" }, /* surrogate */
        { "{\"n\":\"\\ud800\"}", 0, HM_E_INVALID, 6, "lone high surrogate" },
        { "{\"n\":\"\\udc00\"}", 0, HM_E_INVALID, 6, "lone low surrogate" },
        { "{\"n\":1} x", 0, HM_E_INVALID, 8, "trailing data after the document" },
        { "{\"n\":01}", 0, HM_E_INVALID, 6, "expected ',' or '}'" },
        { "{\"n\":1,}", 0, HM_E_INVALID, 7, "expected a string key" },
        { "{'n':1}", 0, HM_E_INVALID, 1, "expected a string key" },
        { "[1,2", 0, HM_E_INVALID, 4, "expected ',' or ']'" },
        { "\"tab\there\"", 0, HM_E_INVALID, 4, "control character in string" },
        { "nul", 0, HM_E_INVALID, 0, "unexpected character" },
        { "", 0, HM_E_INVALID, 0, "empty document" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *j = NULL;
        struct hm_json_error e;
        size_t len = cases[i].len != 0 ? cases[i].len : strlen(cases[i].doc);
        assert_int_equal(parse(cases[i].doc, len, &j, &e), cases[i].want);
        assert_null(j);
        assert_int_equal(e.offset, cases[i].offset);
        assert_string_equal(e.message, cases[i].msg);
    }
}

static void
test_json_limits(void **state)
{
    struct hm_json_limits lim = {
        .max_bytes = 64, .max_depth = 3, .max_string = 4, .max_members = 3
    };
    static const struct {
        const char *doc;
        hm_err want;
    } cases[] = {
        { "[[[1]]]", HM_OK },
        { "[[[[1]]]]", HM_E_LIMIT },
        { "\"abcd\"", HM_OK },
        { "\"abcde\"", HM_E_LIMIT },
        { "[1,2,3]", HM_OK },
        { "[1,2,3,4]", HM_E_LIMIT },
        { "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}", HM_E_LIMIT },
        { "[\"0123456789012345678901234567890123456789012345678901234567890123\"]", HM_E_LIMIT },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *j = NULL;
        assert_int_equal(hm_json_parse(cases[i].doc, strlen(cases[i].doc), &lim, &j, NULL),
                         cases[i].want);
        assert_true((j != NULL) == (cases[i].want == HM_OK));
        cJSON_Delete(j);
    }
}

static void
test_json_depth_bomb(void **state)
{
    char *doc = malloc(200001);
    cJSON *j = NULL;
    struct hm_json_error e;

    (void)state;
    memset(doc, '[', 100000);
    memset(doc + 100000, ']', 100000);
    assert_int_equal(parse(doc, 200000, &j, &e), HM_E_LIMIT);
    assert_null(j);
    assert_int_equal(e.offset, 32); /* the 33rd '[' */
    free(doc);
}

static void
test_json_string_bytes(void **state)
{
    /* Every byte alone inside a string, at the start, in the middle of a long ASCII run and
     * at its end: printable ASCII is kept; control bytes, a lone UTF-8 lead or continuation
     * byte, a stray '"' and a bad escape are refused with their reasons. */
    static const size_t at[] = { 1, 40, 78 };
    (void)state;
    for (unsigned b = 1; b < 256; b++) {
        for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
            char doc[81];
            struct hm_json_error e = { 0 };
            cJSON *j = NULL;
            hm_err err;

            memset(doc, 'A', sizeof(doc));
            doc[0] = '"';
            doc[79] = '"';
            doc[80] = 0;
            doc[at[k]] = (char)b;
            err = parse(doc, 80, &j, &e);
            cJSON_Delete(j);
            if (b >= 0x20 && b < 0x80 && b != '"' && b != '\\') {
                assert_int_equal(err, HM_OK);
                continue;
            }
            assert_int_equal(err, HM_E_INVALID);
            if (b < 0x20) {
                assert_string_equal(e.message, "control character in string");
            } else if (b >= 0x80) {
                assert_string_equal(e.message, "invalid UTF-8");
            } else if (b == '\\' && at[k] == 78) { /* it escapes the closing quote */
                assert_string_equal(e.message, "unterminated string");
                assert_int_equal(e.offset, 0);
                continue;
            } else if (b == '\\') {
                assert_string_equal(e.message, "bad escape");
            } else { /* '"' ends the string early: the rest is refused after it */
                assert_int_equal(e.offset, at[k] + 1);
                continue;
            }
            assert_int_equal(e.offset, at[k]);
        }
    }
}

static void
test_json_getters(void **state)
{
    const char *doc = "{\"s\":\"x\",\"e\":\"\",\"n\":3,\"f\":3.5,\"neg\":-1,\"big\":1e300,"
                      "\"i64\":\"9007199254740993\",\"z\":\"01\",\"b\":true,\"Key\":1}";
    static const char *const allowed[] = { "s", "e", "n", "f", "neg", "big", "i64", "z", "b" };
    const char *s = NULL, *bad = NULL;
    uint64_t u = 0;
    bool b = false;
    cJSON *j = NULL;

    (void)state;
    assert_int_equal(parse(doc, strlen(doc), &j, NULL), HM_OK);
    assert_int_equal(hm_json_get_string(j, "s", true, 8, &s), HM_OK);
    assert_string_equal(s, "x");
    assert_int_equal(hm_json_get_string(j, "e", true, 8, &s), HM_E_INVALID); /* empty */
    assert_int_equal(hm_json_get_string(j, "n", true, 8, &s), HM_E_INVALID); /* wrong type */
    assert_int_equal(hm_json_get_string(j, "missing", false, 8, &s), HM_OK);
    assert_null(s);
    assert_int_equal(hm_json_get_string(j, "missing", true, 8, &s), HM_E_INVALID);
    assert_int_equal(hm_json_get_u64(j, "n", true, 10, &u), HM_OK);
    assert_int_equal(u, 3);
    assert_int_equal(hm_json_get_u64(j, "n", true, 2, &u), HM_E_INVALID);  /* over max */
    assert_int_equal(hm_json_get_u64(j, "f", true, 10, &u), HM_E_INVALID); /* not integral */
    assert_int_equal(hm_json_get_u64(j, "neg", true, 10, &u), HM_E_INVALID);
    assert_int_equal(hm_json_get_u64(j, "big", true, UINT64_MAX, &u), HM_E_INVALID);
    assert_int_equal(hm_json_get_u64_str(j, "i64", true, &u), HM_OK);
    assert_true(u == UINT64_C(9007199254740993)); /* exact: read from the string */
    assert_int_equal(hm_json_get_u64_str(j, "z", true, &u), HM_E_INVALID); /* leading zero */
    assert_int_equal(hm_json_get_bool(j, "b", true, &b), HM_OK);
    assert_true(b);
    /* lookups are case-sensitive */
    assert_null(hm_json_get(j, "key"));
    assert_int_equal(hm_json_only_keys(j, allowed, sizeof(allowed) / sizeof(allowed[0]), &bad),
                     HM_E_INVALID);
    assert_string_equal(bad, "Key");
    cJSON_Delete(j);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_accepts_valid), cmocka_unit_test(test_json_rejects_hostile),
        cmocka_unit_test(test_json_limits),        cmocka_unit_test(test_json_depth_bomb),
        cmocka_unit_test(test_json_getters),       cmocka_unit_test(test_json_string_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

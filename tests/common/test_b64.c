/* test_b64.c: base64 in both alphabets, hostile encodings, hex. */
#include <hm/common.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void
test_b64_rfc4648_vectors(void **state)
{
    static const struct {
        const char *plain, *enc;
    } v[] = { { "", "" },
              { "f", "Zg==" },
              { "fo", "Zm8=" },
              { "foo", "Zm9v" },
              { "foob", "Zm9vYg==" },
              { "fooba", "Zm9vYmE=" },
              { "foobar", "Zm9vYmFy" } };
    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char *enc = NULL;
        uint8_t *dec = NULL;
        size_t n;
        assert_int_equal(hm_b64_encode((const uint8_t *)v[i].plain, strlen(v[i].plain), &enc),
                         HM_OK);
        assert_string_equal(enc, v[i].enc);
        assert_int_equal(hm_b64_decode(enc, strlen(enc), HM_B64_STD, &dec, &n), HM_OK);
        assert_int_equal(n, strlen(v[i].plain));
        assert_memory_equal(dec, v[i].plain, n);
        free(enc);
        free(dec);
    }
}

static void
test_b64_both_alphabets(void **state)
{
    static const uint8_t bytes[] = { 0xfb, 0xff, 0xbf };
    uint8_t *dec = NULL;
    size_t n;

    (void)state;
    assert_int_equal(hm_b64_decode("+/+/", 4, HM_B64_ANY, &dec, &n), HM_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(dec, bytes, 3);
    free(dec);
    assert_int_equal(hm_b64_decode("-_-_", 4, HM_B64_ANY, &dec, &n), HM_OK);
    assert_memory_equal(dec, bytes, 3);
    free(dec);
    /* unpadded URL-safe, as JWTs and some DSSE signers write it */
    assert_int_equal(hm_b64_decode("Zm8", 3, HM_B64_ANY, &dec, &n), HM_OK);
    assert_int_equal(n, 2);
    free(dec);
    /* an alphabet the caller did not allow */
    assert_int_equal(hm_b64_decode("-_-_", 4, HM_B64_STD, &dec, &n), HM_E_INVALID);
    assert_null(dec);
    assert_int_equal(hm_b64_decode("+/+/", 4, HM_B64_URL, &dec, &n), HM_E_INVALID);
    assert_null(dec);
}

static void
test_b64_rejects_hostile(void **state)
{
    static const char *bad[] = {
        "+/-_",               /* both alphabets in one string */
        "Zg=",                /* wrong padding */
        "Zg===",              /* too much padding */
        "Z",                  /* impossible length */
        "Zh==",               /* non-zero spare bits: a second encoding of "f" */
        "Zm9v YmFy",          /* whitespace */
        "Zm9v\nYmFy", "Zm=9", /* padding in the middle */
        "Zm9v*mFy",           /* not base64 */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t *dec = NULL;
        size_t n = 99;
        assert_int_equal(hm_b64_decode(bad[i], strlen(bad[i]), HM_B64_ANY, &dec, &n), HM_E_INVALID);
        assert_null(dec);
        assert_int_equal(n, 0);
    }
}

static void
test_hex(void **state)
{
    uint8_t out[3];
    char s[7];

    (void)state;
    assert_int_equal(hm_hex_decode("00ff7a", 6, out, 3), HM_OK);
    hm_hex_encode(out, 3, s);
    assert_string_equal(s, "00ff7a");
    assert_int_equal(hm_hex_decode("00FF7A", 6, out, 3), HM_E_INVALID); /* lowercase only */
    assert_int_equal(hm_hex_decode("00ff7", 5, out, 3), HM_E_INVALID);
    assert_int_equal(hm_hex_decode("00ff7g", 6, out, 3), HM_E_INVALID);
    assert_true(hm_is_lower_hex("abc123", 6));
    assert_false(hm_is_lower_hex("abC123", 6));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64_rfc4648_vectors),
        cmocka_unit_test(test_b64_both_alphabets),
        cmocka_unit_test(test_b64_rejects_hostile),
        cmocka_unit_test(test_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_pae.c: DSSE pre-authentication encoding (DSSE protocol.md v1.0.2; the vector of
 * reference/formats.md section 7, item 1).
 */
#include <hm/verify.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void
check_pae(const char *type, size_t type_len, const void *body, size_t body_len, const void *want,
          size_t want_len)
{
    uint8_t *pae = NULL;
    size_t len = 0;

    assert_int_equal(hm_dsse_pae(type, type_len, body, body_len, &pae, &len), HM_OK);
    assert_int_equal(len, want_len);
    assert_memory_equal(pae, want, want_len);
    free(pae);
}

static void
test_pae_spec_vector(void **state)
{
    static const char want[] = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";

    (void)state;
    check_pae("http://example.com/HelloWorld", 29, "hello world", 11, want, sizeof(want) - 1);
}

static void
test_pae_empty_body_and_type(void **state)
{
    (void)state;
    check_pae("application/vnd.in-toto+json", 28, NULL, 0,
              "DSSEv1 28 application/vnd.in-toto+json 0 ", 41);
    check_pae("", 0, "x", 1, "DSSEv1 0  1 x", 13);
    check_pae(NULL, 0, NULL, 0, "DSSEv1 0  0 ", 12);
}

static void
test_pae_counts_bytes_not_characters(void **state)
{
    /* "tÿpe/\u20ac": 't' 2-byte 'p' 'e' '/' 3-byte euro sign = 9 bytes, 6 characters. */
    static const char type[] = "t\xc3\xbfpe/\xe2\x82\xac";
    static const char want[] = "DSSEv1 9 t\xc3\xbfpe/\xe2\x82\xac 2 \xf0\x9f";

    (void)state;
    check_pae(type, sizeof(type) - 1, "\xf0\x9f", 2, want, sizeof(want) - 1);
}

static void
test_pae_body_is_binary_and_lengths_are_decimal(void **state)
{
    static const uint8_t body[3] = { 0x00, 0x20, 0xff };
    static const uint8_t want[] = { 'D', 'S', 'S', 'E', 'v', '1',  ' ',  '1',
                                    ' ', 't', ' ', '3', ' ', 0x00, 0x20, 0xff };
    uint8_t big[1000];
    uint8_t *pae = NULL;
    size_t len = 0;

    (void)state;
    check_pae("t", 1, body, sizeof(body), want, sizeof(want));
    /* 1000 is written "1000": no leading zeros, no INT64LE as in early drafts. */
    memset(big, 'a', sizeof(big));
    assert_int_equal(hm_dsse_pae("t", 1, big, sizeof(big), &pae, &len), HM_OK);
    assert_int_equal(len, 16 + sizeof(big));
    assert_memory_equal(pae, "DSSEv1 1 t 1000 ", 16);
    assert_memory_equal(pae + 16, big, sizeof(big));
    free(pae);
}

static void
test_pae_refuses_null_with_length(void **state)
{
    uint8_t *pae = (uint8_t *)"sentinel";
    size_t len = 5;

    (void)state;
    assert_int_equal(hm_dsse_pae(NULL, 3, (const uint8_t *)"x", 1, &pae, &len), HM_E_INVALID);
    assert_null(pae);
    assert_int_equal(len, 0);
    pae = (uint8_t *)"sentinel";
    assert_int_equal(hm_dsse_pae("t", 1, NULL, 4, &pae, &len), HM_E_INVALID);
    assert_null(pae);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pae_spec_vector),
        cmocka_unit_test(test_pae_empty_body_and_type),
        cmocka_unit_test(test_pae_counts_bytes_not_characters),
        cmocka_unit_test(test_pae_body_is_binary_and_lengths_are_decimal),
        cmocka_unit_test(test_pae_refuses_null_with_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

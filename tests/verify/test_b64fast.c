/*
 * test_b64fast.c: the verifier's table-driven base64 decoder (attest/verify/b64fast.c) must
 * accept and refuse exactly what hm_b64_decode (common/b64.c) does, and decode to the same
 * bytes: valid encodings of random data in both alphabets, padded and not; every string of
 * up to 3 characters over a hostile alphabet; random noise; and the caller-buffer variant's
 * bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "verify_int.h"

static const enum hm_b64_mode MODES[] = { HM_B64_STD, HM_B64_URL, HM_B64_ANY };

static void
same(const char *in, size_t len)
{
    for (size_t m = 0; m < 3; m++) {
        uint8_t *a = NULL, *b = NULL;
        size_t alen = 0, blen = 0;
        hm_err ea = hm_b64_decode(in, len, MODES[m], &a, &alen);
        hm_err eb = hm_v_b64_decode(in, len, MODES[m], &b, &blen);

        if ((ea == HM_OK) != (eb == HM_OK) || alen != blen ||
            (ea == HM_OK && memcmp(a, b, alen) != 0)) {
            fail_msg("\"%.*s\" mode %d: common says %s (%zu), fast says %s (%zu)", (int)len, in,
                     (int)MODES[m], hm_strerror(ea), alen, hm_strerror(eb), blen);
        }
        assert_true(eb == HM_OK ? b != NULL : b == NULL);
        free(a);
        free(b);
    }
}

static void
test_b64fast_agrees_on_valid_encodings(void **state)
{
    uint8_t data[97];
    char *s = NULL;

    (void)state;
    srand(1);
    for (size_t n = 0; n <= sizeof(data); n++) {
        for (size_t i = 0; i < n; i++) {
            data[i] = (uint8_t)rand();
        }
        assert_int_equal(hm_b64_encode(data, n, &s), HM_OK);
        same(s, strlen(s));
        while (strlen(s) > 0 && s[strlen(s) - 1] == '=') { /* unpadded */
            s[strlen(s) - 1] = '\0';
        }
        same(s, strlen(s));
        for (char *p = s; *p != '\0'; p++) { /* URL-safe */
            *p = *p == '+' ? '-' : (*p == '/' ? '_' : *p);
        }
        same(s, strlen(s));
        free(s);
    }
}

static void
test_b64fast_agrees_on_every_short_string(void **state)
{
    static const char alphabet[] = "AQgw+/-_=Z9 \n.\x80";
    size_t k = sizeof(alphabet) - 1;
    char s[4];

    (void)state;
    same("", 0);
    for (size_t a = 0; a < k; a++) {
        s[0] = alphabet[a];
        same(s, 1);
        for (size_t b = 0; b < k; b++) {
            s[1] = alphabet[b];
            same(s, 2);
            for (size_t c = 0; c < k; c++) {
                s[2] = alphabet[c];
                same(s, 3);
                for (size_t d = 0; d < k; d++) {
                    s[3] = alphabet[d];
                    same(s, 4);
                }
            }
        }
    }
}

static void
test_b64fast_agrees_on_noise(void **state)
{
    static const char alphabet[] = "ABCabc012+/-_=";
    char s[64];

    (void)state;
    srand(2);
    for (int i = 0; i < 200000; i++) {
        size_t n = (size_t)rand() % sizeof(s);
        for (size_t j = 0; j < n; j++) {
            s[j] = alphabet[(size_t)rand() % (sizeof(alphabet) - 1)];
        }
        same(s, n);
    }
}

static void
test_b64fast_into_a_buffer(void **state)
{
    uint8_t out[32];
    size_t n = 0;

    (void)state;
    /* 44 characters are 32 bytes: fits exactly; 31 bytes of room is too little */
    assert_int_equal(hm_v_b64_decode_into("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 44,
                                          HM_B64_STD, out, sizeof(out), &n),
                     HM_OK);
    assert_int_equal(n, 32);
    assert_int_equal(out[31], 31);
    assert_int_equal(hm_v_b64_decode_into("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 44,
                                          HM_B64_STD, out, 31, &n),
                     HM_E_LIMIT);
    assert_int_equal(n, 0);
    assert_int_equal(hm_v_b64_decode_into("AB==", 4, HM_B64_STD, out, sizeof(out), &n),
                     HM_E_INVALID); /* spare bits set */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64fast_agrees_on_valid_encodings),
        cmocka_unit_test(test_b64fast_agrees_on_every_short_string),
        cmocka_unit_test(test_b64fast_agrees_on_noise),
        cmocka_unit_test(test_b64fast_into_a_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

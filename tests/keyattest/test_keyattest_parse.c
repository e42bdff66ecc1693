/*
 * test_keyattest_parse.c: the key-attestation statement parser against hostile JSON.
 * Each mutation of a good statement is refused with its hm_err, nothing handed out, and
 * the one-call check reports HM_KA_MALFORMED.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ka_fixture.h"

static struct ka_fx fx;
static char *good;

/* good with the first occurrence of from replaced by to (malloc'ed). */
static char *
replace(const char *from, const char *to)
{
    const char *at = strstr(good, from);
    size_t n;
    char *s;

    assert_non_null(at);
    n = strlen(good) - strlen(from) + strlen(to);
    s = malloc(n + 1);
    memcpy(s, good, (size_t)(at - good));
    strcpy(s + (at - good), to);
    strcat(s, at + strlen(from));
    return s;
}

static void
test_hostile_statements(void **state)
{
    static const struct {
        const char *from, *to;
        hm_err want;
    } cases[] = {
        { "\"predicate\":{", "\"predicate\":{\"extra\":1,", HM_E_INVALID },      /* unknown key */
        { "\"predicate\":{", "\"predicate\":{\"nonce\":\"00\",", HM_E_INVALID }, /* dup */
        { "\"name\":\"signing-key\"", "\"name\":\"other-key\"", HM_E_INVALID },
        { "\"subject\":[", "\"subject\":[{\"name\":\"x\",\"digest\":{\"sha256\":\"00\"}},",
          HM_E_INVALID }, /* two subjects */
        { "attestation/key/v1", "attestation/key/v2", HM_E_INVALID },
        { "\"evidenceType\":\"tpm2-certify\"", "\"evidenceType\":\"pkcs11-self-asserted\"",
          HM_E_INVALID }, /* type does not match the evidence */
        { "\"algorithm\":\"ec-p256\"", "\"algorithm\":\"dsa\"", HM_E_INVALID },
        { "\"createdAt\":\"", "\"createdAt\":\"x", HM_E_INVALID },
        { "\"keyId\":\"", "\"keyId\":\"A", HM_E_INVALID },
        { "\"certifyInfo\":\"", "\"certifyInfo\":\" ", HM_E_INVALID }, /* not strict base64 */
        { "\"ekChain\":[",
          "\"ekChain\":[\"AA==\",\"AA==\",\"AA==\",\"AA==\",\"AA==\","
          "\"AA==\",\"AA==\",\"AA==\",\"AA==\",",
          HM_E_LIMIT },
        { "\"ekChain\":[", "\"ekChain\":[1,", HM_E_INVALID },
        { "\"manufacturer\":\"TST\"", "\"manufacturer\":\"TOOLONG\"", HM_E_INVALID },
        { "\"_type\":\"", "\"_type\":\"x", HM_E_INVALID },
        { "\"tpm2\":{", "\"tpm2\":{\"quote\":\"\",", HM_E_INVALID },
        { "\"manufacturer\":\"TST\"", "\"manufacturer\":\"T\\u0000\"", HM_E_INVALID }, /* NUL */
    };
    struct hm_keyatt_opts o = ka_fx_opts(&fx);

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = replace(cases[i].from, cases[i].to), why[256] = "";
        struct hm_keyatt *ka = (struct hm_keyatt *)(uintptr_t)1;
        struct hm_keyatt_result r;
        hm_err err = hm_verify_keyatt_parse((const uint8_t *)s, strlen(s), &ka, why, sizeof(why));
        if (err != cases[i].want) {
            print_error("case %zu: got %s (%s)\n", i, hm_strerror(err), why);
        }
        assert_int_equal(err, cases[i].want);
        assert_null(ka);
        assert_true(why[0] != '\0');
        assert_int_equal(hm_verify_keyatt_statement((const uint8_t *)s, strlen(s), &o, &r), HM_OK);
        assert_int_equal(r.status, HM_KA_MALFORMED);
        free(s);
    }
}

static void
test_nonce_and_subject_binding(void **state)
{
    struct hm_keyatt *ka = (struct hm_keyatt *)(uintptr_t)1;
    const char *p = strstr(good, "\"sha256\":\"");
    char *s = strdup(good), *n;

    (void)state;
    /* a subject digest that is not SHA-256(publicKey) */
    s[p - good + 10] = s[p - good + 10] == 'a' ? 'b' : 'a';
    assert_int_equal(hm_verify_keyatt_parse((const uint8_t *)s, strlen(s), &ka, NULL, 0),
                     HM_E_INVALID);
    assert_null(ka);
    free(s);
    /* an uppercase (second encoding of the same) nonce */
    s = strdup(good);
    n = strstr(s, "\"nonce\":\"") + 9;
    for (char *c = n; *c != '"'; c++) {
        if (*c >= 'a' && *c <= 'f') {
            *c = (char)(*c - 'a' + 'A');
            break;
        }
    }
    ka = (struct hm_keyatt *)(uintptr_t)1;
    assert_int_equal(hm_verify_keyatt_parse((const uint8_t *)s, strlen(s), &ka, NULL, 0),
                     HM_E_INVALID);
    assert_null(ka);
    free(s);
    /* too big */
    s = calloc(1, HM_KEYATT_MAX_BYTES + 2);
    memset(s, ' ', HM_KEYATT_MAX_BYTES + 1);
    s[0] = '{';
    s[HM_KEYATT_MAX_BYTES] = '}';
    ka = (struct hm_keyatt *)(uintptr_t)1;
    assert_int_equal(
        hm_verify_keyatt_parse((const uint8_t *)s, HM_KEYATT_MAX_BYTES + 1, &ka, NULL, 0),
        HM_E_LIMIT);
    assert_null(ka);
    free(s);
}

static void
test_statement_builder_refuses(void **state)
{
    struct hm_keyatt *ka = ka_fx_build(&fx);
    uint8_t *out = (uint8_t *)(uintptr_t)1;
    size_t len = 9;
    char why[128];

    (void)state;
    ka->nonce_len = 0;
    assert_int_equal(hm_keyatt_statement(ka, &out, &len, why, sizeof(why)), HM_E_INVALID);
    assert_null(out);
    assert_int_equal(len, 0);
    ka->nonce_len = 32;
    free(ka->tpm2.signature.data);
    ka->tpm2.signature.data = NULL;
    assert_int_equal(hm_keyatt_statement(ka, &out, &len, why, sizeof(why)), HM_E_INVALID);
    assert_null(out);
    strcpy(ka->tpm2.manufacturer, "\x01");
    assert_int_equal(hm_keyatt_statement(ka, &out, &len, why, sizeof(why)), HM_E_INVALID);
    hm_verify_keyatt_free(ka);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_statements),
        cmocka_unit_test(test_nonce_and_subject_binding),
        cmocka_unit_test(test_statement_builder_refuses),
    };
    struct hm_keyatt *ka;
    uint8_t *stmt = NULL;
    size_t len = 0;
    int rc;

    if (ka_fx_init(&fx) != 0 || (ka = ka_fx_build(&fx)) == NULL ||
        hm_keyatt_statement(ka, &stmt, &len, NULL, 0) != HM_OK) {
        return 1;
    }
    good = (char *)stmt;
    hm_verify_keyatt_free(ka);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(stmt);
    ka_fx_free(&fx);
    return rc;
}

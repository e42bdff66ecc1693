/*
 * test_keyattest_keys.c: hm_verify_keyatt_document, the key's attestation out of a GET
 * /v1/keys reply (or one bundle): the entry for the key is found by keyid and checked like
 * a file; a reply without the key, or with a null attestation, is HM_KA_MISSING; a reply
 * that is not one we accept (unknown members, wrong types) is HM_KA_MALFORMED; another
 * key's bundle filed under this key's keyid fails the proof of possession.
 */
#include <hm/keyattest.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ka_fixture.h"

static struct ka_fx fx;
static char *good_bundle, *other_bundle; /* by the key, by another key */
static char keyid[64];

static int
setup(void **state)
{
    struct hm_keyatt *ka = NULL;
    struct hm_pubkey *pk = NULL;
    uint8_t *stmt = NULL;
    size_t len = 0, blen = 0;

    (void)state;
    if (ka_fx_init(&fx) != 0) {
        return -1;
    }
    ka_fx_reset(&fx);
    ka = ka_fx_build(&fx);
    if (ka == NULL || hm_keyatt_statement(ka, &stmt, &len, NULL, 0) != HM_OK ||
        hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, len, "k", ka_fx_sign, fx.key, &good_bundle,
                       &blen) != HM_OK ||
        hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, len, "k", ka_fx_sign, fx.other, &other_bundle,
                       &blen) != HM_OK ||
        hm_pubkey_from_spki(fx.key_spki, fx.key_spki_len, &pk) != HM_OK) {
        return -1;
    }
    snprintf(keyid, sizeof(keyid), "%s", hm_pubkey_keyid(pk));
    hm_pubkey_free(pk);
    free(stmt);
    hm_verify_keyatt_free(ka);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    free(good_bundle);
    free(other_bundle);
    ka_fx_free(&fx);
    return 0;
}

/* A /v1/keys reply: one entry with keyid id, extra members extra, attestation att. */
static char *
reply(const char *id, const char *extra, const char *att)
{
    size_t n = strlen(att) + strlen(extra) + 512;
    char *s = malloc(n);

    assert_non_null(s);
    snprintf(s, n,
             "{\"keys\":[{\"keyid\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\","
             "\"attestation\":null,\"products\":[\"x\"]},"
             "{\"keyid\":\"%s\",\"algorithm\":\"ec-p256\",\"backend\":\"tpm2\","
             "\"attestationType\":\"tpm2-certify\",\"selfAsserted\":false%s,"
             "\"attestation\":%s,\"products\":[\"acme\"]}]}",
             id, extra, att);
    return s;
}

static enum hm_keyatt_status
check(const char *doc, struct hm_keyatt_result *r)
{
    struct hm_keyatt_opts o = ka_fx_opts(&fx);

    assert_int_equal(hm_verify_keyatt_document((const uint8_t *)doc, strlen(doc), &o, r), HM_OK);
    return r->status;
}

static void
test_reply_entry_verifies(void **state)
{
    struct hm_keyatt_result r;
    char *doc = reply(keyid, "", good_bundle);

    (void)state;
    assert_int_equal(check(doc, &r), HM_KA_OK);
    assert_true(r.hardware_verified);
    free(doc);
    /* a bare bundle still works */
    assert_int_equal(check(good_bundle, &r), HM_KA_OK);
}

static void
test_reply_refusals(void **state)
{
    static const struct {
        const char *what, *id, *extra, *att; /* att NULL: the good bundle */
        enum hm_keyatt_status want;
    } cases[] = {
        { "no entry for the key", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=", "", NULL,
          HM_KA_MISSING },
        { "a null attestation", NULL, "", "null", HM_KA_MISSING },
        { "an attestation that is a string", NULL, "", "\"x\"", HM_KA_MALFORMED },
        { "an unknown member", NULL, ",\"evil\":1", NULL, HM_KA_MALFORMED },
        { "a bundle that is not one", NULL, "", "{}", HM_KA_MALFORMED },
    };
    struct hm_keyatt_result r;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *doc = reply(cases[i].id != NULL ? cases[i].id : keyid, cases[i].extra,
                          cases[i].att != NULL ? cases[i].att : good_bundle);
        print_message("%s\n", cases[i].what);
        assert_int_equal(check(doc, &r), cases[i].want);
        assert_string_not_equal(hm_verify_keyatt_status_name(r.status), "unknown");
        free(doc);
    }
    assert_string_equal(hm_verify_keyatt_status_name(HM_KA_MISSING), "missing");
}

static void
test_other_keys_bundle(void **state)
{
    struct hm_keyatt_result r;
    char *doc = reply(keyid, "", other_bundle);

    (void)state;
    /* someone else's signature over the same evidence, filed under this key */
    assert_int_equal(check(doc, &r), HM_KA_BAD_SIGNATURE);
    free(doc);
}

static void
test_not_a_reply(void **state)
{
    static const char *const docs[] = {
        "", "[]", "{\"keys\":{}}", "{\"keys\":[],\"x\":1}", "{\"keys\":[{\"keyid\":1}]}", "not json"
    };
    struct hm_keyatt_opts o = ka_fx_opts(&fx);
    struct hm_keyatt_result r;

    (void)state;
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        assert_int_equal(
            hm_verify_keyatt_document((const uint8_t *)docs[i], strlen(docs[i]), &o, &r), HM_OK);
        assert_int_not_equal(r.status, HM_KA_OK);
    }
    /* no key to look for: the caller's error */
    o.spki = NULL;
    o.spki_len = 0;
    assert_int_equal(hm_verify_keyatt_document((const uint8_t *)"{}", 2, &o, &r), HM_E_INVALID);
    assert_int_not_equal(r.status, HM_KA_OK);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_entry_verifies),
        cmocka_unit_test(test_reply_refusals),
        cmocka_unit_test(test_other_keys_bundle),
        cmocka_unit_test(test_not_a_reply),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

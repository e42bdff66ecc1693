/*
 * test_steward_tamper.c: every field of a signed steward statement, changed after signing
 * into another value that is still well formed (so that only the signature can catch it),
 * makes the DSSE signature fail; so do a changed payload type and a flipped signature bit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "steward_test.h"

struct signed_fixture {
    EVP_PKEY *key;
    struct hm_pubkey *pk;
    struct hm_bundle *b;
    char *bundle;
};

static int
setup(void **state)
{
    struct signed_fixture *f = calloc(1, sizeof(*f));
    struct hm_steward *st = NULL;
    uint8_t *stmt = NULL;
    size_t len = 0, blen = 0;
    char why[256];

    assert_non_null(f);
    f->key = sw_keygen();
    f->pk = sw_pubkey(f->key);
    assert_int_equal(sw_parse_mutated(NULL, NULL, SW_NOW, &st, why, sizeof(why)), HM_OK);
    assert_int_equal(hm_steward_statement(st, &stmt, &len), HM_OK);
    assert_int_equal(hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, len, hm_pubkey_keyid(f->pk),
                                    sw_sign, f->key, &f->bundle, &blen),
                     HM_OK);
    assert_int_equal(hm_bundle_parse((uint8_t *)f->bundle, blen, &f->b, why, sizeof(why)), HM_OK);
    hm_steward_free(st);
    free(stmt);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct signed_fixture *f = *state;

    hm_bundle_free(f->b);
    free(f->bundle);
    hm_pubkey_free(f->pk);
    EVP_PKEY_free(f->key);
    free(f);
    return 0;
}

static hm_err
verify(const struct signed_fixture *f, const char *type, const uint8_t *payload, size_t len,
       const uint8_t *sig, size_t sig_len)
{
    uint8_t *pae = NULL;
    size_t pae_len = 0;
    hm_err err;

    assert_int_equal(hm_dsse_pae(type, strlen(type), payload, len, &pae, &pae_len), HM_OK);
    err = hm_pubkey_verify(f->pk, pae, pae_len, sig, sig_len);
    free(pae);
    return err;
}

static void
test_untampered_verifies(void **state)
{
    const struct signed_fixture *f = *state;
    const struct hm_dsse *e = f->b->dsse;

    assert_int_equal(
        verify(f, e->payload_type, e->payload, e->payload_len, e->sigs[0].sig, e->sigs[0].sig_len),
        HM_OK);
}

static void
test_every_tampered_field_fails_the_signature(void **state)
{
    const struct signed_fixture *f = *state;
    const struct hm_dsse *e = f->b->dsse;
    const char *payload = (const char *)e->payload;
    struct hm_steward *st = NULL;
    char doc[8192], why[256];

    assert_true(e->payload_len < sizeof(doc) - 64);
    for (size_t i = 0; i < sw_n_fields; i++) {
        const char *at = strstr(payload, sw_fields[i].from);
        size_t len;

        if (at == NULL) {
            fail_msg("%s: \"%s\" is not in the statement", sw_fields[i].field, sw_fields[i].from);
        }
        len = (size_t)snprintf(doc, sizeof(doc), "%.*s%s%s", (int)(at - payload), payload,
                               sw_fields[i].to, at + strlen(sw_fields[i].from));
        /* still a well-formed steward statement: only the signature stands in the way */
        if (hm_steward_parse_predicate((uint8_t *)doc, len, &st, why, sizeof(why)) != HM_OK) {
            fail_msg("%s: the tampered statement does not parse: %s", sw_fields[i].field, why);
        }
        hm_steward_free(st);
        st = NULL;
        if (verify(f, e->payload_type, (uint8_t *)doc, len, e->sigs[0].sig, e->sigs[0].sig_len) !=
            HM_E_VERIFY) {
            fail_msg("%s: the signature still verifies", sw_fields[i].field);
        }
    }
}

static void
test_tampered_envelope_fails_the_signature(void **state)
{
    const struct signed_fixture *f = *state;
    const struct hm_dsse *e = f->b->dsse;
    uint8_t sig[HM_MAX_SIG_BYTES];

    assert_int_equal(verify(f, "application/json", e->payload, e->payload_len, e->sigs[0].sig,
                            e->sigs[0].sig_len),
                     HM_E_VERIFY);
    memcpy(sig, e->sigs[0].sig, e->sigs[0].sig_len);
    sig[e->sigs[0].sig_len - 1] ^= 1;
    assert_int_equal(
        verify(f, e->payload_type, e->payload, e->payload_len, sig, e->sigs[0].sig_len),
        HM_E_VERIFY);
    /* one byte more or less of the payload */
    assert_int_equal(verify(f, e->payload_type, e->payload, e->payload_len - 1, e->sigs[0].sig,
                            e->sigs[0].sig_len),
                     HM_E_VERIFY);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_untampered_verifies),
        cmocka_unit_test(test_every_tampered_field_fails_the_signature),
        cmocka_unit_test(test_tampered_envelope_fails_the_signature),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

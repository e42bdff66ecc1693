/*
 * test_steward_issue.c: issuing a steward attestation: the statement is deterministic
 * (input order does not matter), round-trips through hm_steward_parse_predicate byte for
 * byte, is signed into a Sigstore bundle whose DSSE signature verifies over the exact PAE,
 * and is read back from the verified payload only.  hm_steward_statement refuses a struct
 * that breaks the rules, whoever built it.
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

static struct hm_steward *
parse_base(cJSON *root)
{
    struct hm_steward *st = NULL;
    size_t len = 0;
    uint8_t *doc = sw_print(root, &len);
    char why[256];

    if (hm_steward_parse_input(doc, len, SW_NOW, &st, why, sizeof(why)) != HM_OK) {
        fail_msg("%s", why);
    }
    cJSON_free(doc);
    return st;
}

static void
test_statement_is_deterministic_and_round_trips(void **state)
{
    cJSON *a = sw_base(), *b = sw_base(), *reqs = NULL;
    struct hm_steward *sa = NULL, *sb = NULL, *back = NULL;
    uint8_t *ja = NULL, *jb = NULL, *jback = NULL;
    size_t la = 0, lb = 0, lback = 0;
    char why[256];

    (void)state;
    /* the same facts in another order, with an offset time for the same instant */
    reqs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(b, "predicate"),
                                            "requirements");
    cJSON_AddItemToArray(reqs, cJSON_DetachItemFromArray(reqs, 0));
    cJSON_AddItemToArray(reqs, cJSON_DetachItemFromArray(reqs, 0));
    sw_mutate(b, "predicate.timeAssessed", "\"2026-01-01T02:00:00+02:00\"");
    sa = parse_base(a);
    sb = parse_base(b);
    assert_int_equal(hm_steward_statement(sa, &ja, &la), HM_OK);
    assert_int_equal(hm_steward_statement(sb, &jb, &lb), HM_OK);
    assert_int_equal(la, lb);
    assert_memory_equal(ja, jb, la);
    assert_int_equal(strlen((char *)ja), la);
    assert_non_null(strstr((char *)ja, "\"timeAssessed\":\"2026-01-01T00:00:00Z\""));
    assert_non_null(strstr((char *)ja, "\"predicateType\":\"" HM_PREDICATE_STEWARD "\""));
    /* reading the statement back gives the same facts, hence the same bytes */
    if (hm_steward_parse_predicate(ja, la, &back, why, sizeof(why)) != HM_OK) {
        fail_msg("%s", why);
    }
    assert_int_equal(hm_steward_statement(back, &jback, &lback), HM_OK);
    assert_int_equal(lback, la);
    assert_memory_equal(jback, ja, la);
    assert_string_equal(back->subjects[1].git_commit, sa->subjects[1].git_commit);
    assert_string_equal(back->assessor.programme, "EXAMPLE-ART25-L1");
    hm_steward_free(sa);
    hm_steward_free(sb);
    hm_steward_free(back);
    free(ja);
    free(jb);
    free(jback);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void
test_issued_bundle_verifies_and_reads_back(void **state)
{
    EVP_PKEY *key = sw_keygen();
    struct hm_pubkey *pk = sw_pubkey(key);
    cJSON *root = sw_base();
    struct hm_steward *st = parse_base(root), *read = NULL;
    struct hm_bundle *b = NULL;
    uint8_t *stmt = NULL, *pae = NULL;
    size_t stmt_len = 0, pae_len = 0, blen = 0;
    char *bundle = NULL, why[256];

    (void)state;
    assert_int_equal(hm_steward_statement(st, &stmt, &stmt_len), HM_OK);
    assert_int_equal(hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, stmt_len, hm_pubkey_keyid(pk),
                                    sw_sign, key, &bundle, &blen),
                     HM_OK);
    if (hm_bundle_parse((const uint8_t *)bundle, blen, &b, why, sizeof(why)) != HM_OK) {
        fail_msg("%s", why);
    }
    assert_string_equal(b->hint, hm_pubkey_keyid(pk));
    assert_string_equal(b->dsse->payload_type, HM_PAYLOAD_TYPE_INTOTO);
    assert_int_equal(b->dsse->n_sigs, 1);
    assert_int_equal(b->dsse->payload_len, stmt_len);
    assert_memory_equal(b->dsse->payload, stmt, stmt_len);
    assert_int_equal(hm_dsse_pae(b->dsse->payload_type, strlen(b->dsse->payload_type),
                                 b->dsse->payload, b->dsse->payload_len, &pae, &pae_len),
                     HM_OK);
    assert_int_equal(
        hm_pubkey_verify(pk, pae, pae_len, b->dsse->sigs[0].sig, b->dsse->sigs[0].sig_len), HM_OK);
    /* read from the verified bytes only */
    assert_int_equal(
        hm_steward_parse_predicate(b->dsse->payload, b->dsse->payload_len, &read, why, sizeof(why)),
        HM_OK);
    assert_string_equal(read->project.name, "demo");
    assert_string_equal(read->steward.legal_name, "Demo Stewards e.V.");
    assert_int_equal(read->n_requirements, st->n_requirements);
    assert_int_equal(read->expires, st->expires);
    assert_int_equal(hm_steward_check(read, NULL, SW_NOW, NULL, 0), HM_STEWARD_OK);
    hm_steward_free(read);
    hm_steward_free(st);
    hm_bundle_free(b);
    free(pae);
    free(stmt);
    free(bundle);
    cJSON_Delete(root);
    hm_pubkey_free(pk);
    EVP_PKEY_free(key);
}

/* Reading is tolerant where in-toto says so, and strict in our predicate. */
static void
test_parse_predicate_tolerance(void **state)
{
    static const struct {
        const char *from, *to;
        hm_err want;
        const char *why_prefix;
    } cases[] = {
        /* in-toto layer: unknown fields and other digest algorithms are fine */
        { "{\"_type\"", "{\"x-extra\":[1,{\"a\":2}],\"_type\"", HM_OK, "" },
        { "\"digest\":{\"sha256\":\"1111",
          "\"uri\":\"https://x\",\"digest\":{\"md5\":\"00\","
          "\"sha256\":\"1111",
          HM_OK, "" },
        /* our predicate: strict */
        { "\"steward\":{", "\"steward\":{\"fax\":\"1\",", HM_E_INVALID,
          "predicate.steward.fax: unknown field" },
        { "\"predicate\":{", "\"predicate\":{\"extra\":1,", HM_E_INVALID,
          "predicate.extra: unknown field" },
        { HM_PREDICATE_STEWARD, "https://hallmark.dev/attestation/cra-steward/v2", HM_E_INVALID,
          "predicateType: not " HM_PREDICATE_STEWARD },
        { HM_STATEMENT_TYPE_V1, "https://in-toto.io/Statement/v0.1", HM_E_INVALID, "_type: not" },
        { "\"status\":\"partially\"", "\"status\":\"done\"", HM_E_INVALID,
          "predicate.requirements[0].status: " },
        /* expiry is hm_steward_check's business, not the reader's: an old one still reads */
        { "\"expires\":\"2030-01-01T00:00:00Z\"", "\"expires\":\"2026-01-02T00:00:00Z\"", HM_OK,
          "" },
        { "\"expires\":\"2030-01-01T00:00:00Z\"", "\"expires\":\"2025-01-02T00:00:00Z\"",
          HM_E_INVALID, "predicate.expires: not later than predicate.timeAssessed" },
    };
    cJSON *root = sw_base();
    struct hm_steward *st = parse_base(root), *read = NULL;
    uint8_t *stmt = NULL;
    size_t len = 0;
    char why[256], doc[8192];

    (void)state;
    assert_int_equal(hm_steward_statement(st, &stmt, &len), HM_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *at = strstr((char *)stmt, cases[i].from);
        hm_err err;

        assert_non_null(at);
        (void)snprintf(doc, sizeof(doc), "%.*s%s%s", (int)(at - (char *)stmt), (char *)stmt,
                       cases[i].to, at + strlen(cases[i].from));
        read = (struct hm_steward *)(uintptr_t)1;
        err = hm_steward_parse_predicate((uint8_t *)doc, strlen(doc), &read, why, sizeof(why));
        if (err != cases[i].want ||
            strncmp(why, cases[i].why_prefix, strlen(cases[i].why_prefix))) {
            fail_msg("case %zu: %s \"%s\"", i, hm_strerror(err), why);
        }
        assert_true(err == HM_OK ? read != NULL : read == NULL);
        hm_steward_free(read);
    }
    free(stmt);
    hm_steward_free(st);
    cJSON_Delete(root);
}

/* A struct built by hand (the daemon, a test) is checked before it is written. */
static void
test_statement_refuses_a_broken_struct(void **state)
{
    cJSON *root = sw_base();
    struct hm_steward *st = parse_base(root);
    uint8_t *out = (uint8_t *)(uintptr_t)1;
    size_t len = 1;
    char *saved = NULL;
    size_t item;

    (void)state;
    st->expires = st->time_assessed; /* not later */
    assert_int_equal(hm_steward_statement(st, &out, &len), HM_E_INVALID);
    assert_null(out);
    assert_int_equal(len, 0);
    st->expires = st->time_assessed + 1;
    item = st->requirements[1].item;
    st->requirements[1].item = st->requirements[0].item; /* listed twice */
    assert_int_equal(hm_steward_statement(st, &out, &len), HM_E_INVALID);
    st->requirements[1].item = item;
    st->requirements[0].n_evidence = 0; /* partially without evidence */
    assert_int_equal(hm_steward_statement(st, &out, &len), HM_E_INVALID);
    st->requirements[0].n_evidence = 2;
    saved = st->steward.cvd_policy;
    st->steward.cvd_policy = (char *)"http://example.org/cvd";
    assert_int_equal(hm_steward_statement(st, &out, &len), HM_E_INVALID);
    st->steward.cvd_policy = saved;
    assert_int_equal(hm_steward_statement(st, &out, &len), HM_OK);
    free(out);
    assert_int_equal(hm_steward_statement(NULL, &out, &len), HM_E_INVALID);
    assert_null(out);
    hm_steward_free(st);
    cJSON_Delete(root);
}

static void
test_cra_item_table(void **state)
{
    (void)state;
    assert_int_equal(hm_cra_item_count(), 22);
    assert_string_equal(hm_cra_item_id(0), "annexI.partI.1");
    assert_string_equal(hm_cra_item_id(1), "annexI.partI.2.a");
    assert_string_equal(hm_cra_item_id(13), "annexI.partI.2.m");
    assert_string_equal(hm_cra_item_id(14), "annexI.partII.1");
    assert_string_equal(hm_cra_item_id(21), "annexI.partII.8");
    assert_null(hm_cra_item_id(22));
    assert_int_equal(hm_cra_item_find("annexI.partII.5"), 18);
    assert_int_equal(hm_cra_item_find("annexI.partII.9"), -1);
    assert_int_equal(hm_cra_item_find(NULL), -1);
    for (size_t i = 0; i < hm_cra_item_count(); i++) {
        assert_int_equal(hm_cra_item_find(hm_cra_item_id(i)), (int)i);
        assert_true(strlen(hm_cra_item_title(i)) > 8);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statement_is_deterministic_and_round_trips),
        cmocka_unit_test(test_issued_bundle_verifies_and_reads_back),
        cmocka_unit_test(test_parse_predicate_tolerance),
        cmocka_unit_test(test_statement_refuses_a_broken_struct),
        cmocka_unit_test(test_cra_item_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

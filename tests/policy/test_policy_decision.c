/*
 * test_policy_decision.c: the decision as a whole: every failing rule is reported in one
 * round, in the documented order; the JSON form (403 body, `hallmark policy check`) is
 * exact and stable; an allow carries its obligations; the VSA and approval statements
 * built from it are in-toto statements the verifier reads back.
 */
#include <hm/verify.h>
#include <stdlib.h>
#include <string.h>

#include "policy_test.h"

static const char POLICY[] =
    "{\"version\":1,\"vsa\":{\"verifier_id\":\"https://hallmark.example/verifier\","
    "\"policy_uri\":\"https://hallmark.example/policy.json\"},\"products\":[{\"name\":"
    "\"acme-thermostat\",\"channels\":[\"stable\"],\"keys\":{\"stable\":\"firmware-p256\"},"
    "\"identities\":{\"mtls\":[\"cn:ci-acme\"]},\"version\":{\"pattern\":\"1.*\"},"
    "\"support\":{\"minimum_years\":5},\"sbom\":{\"required\":true},"
    "\"windows\":{\"max_artifact_size\":16777216}}]}";

static void
test_every_failure_in_one_round(void **state)
{
    struct hm_policy *p = pt_policy(POLICY);
    struct hm_policy_request *r = pt_request(
        "{\"product\":\"acme-thermostat\",\"version\":\"2.0.0\",\"artifacts\":[{\"name\":"
        "\"big.bin\",\"size\":99999999,\"digest\":{\"sha256\":\"" PT_A256 "\"}}]}");
    struct hm_policy_identity who = { .cn = "intruder" };
    struct hm_policy_decision *d = pt_eval(p, r, &who, NULL, PT_NOW);
    static const char *const order[] = { "identity", "windows", "version", "support", "sbom" };

    (void)state;
    assert_false(hm_policy_decision_allowed(d));
    assert_int_equal(hm_policy_decision_n_reasons(d), 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(hm_policy_decision_reason(d, i)->rule, order[i]);
    }
    assert_null(hm_policy_decision_reason(d, 5));
    hm_policy_decision_free(d);
    hm_policy_request_free(r);
    hm_policy_free(p);
}

static void
test_deny_json_exact(void **state)
{
    struct hm_policy *p = pt_policy(POLICY);
    struct hm_policy_request *r = pt_request(
        "{\"product\":\"acme-thermostat\",\"version\":\"1.4.2\",\"support_end\":\"2031-12-31\","
        "\"artifacts\":[" PT_ART_A "]}");
    struct hm_policy_decision *d = pt_eval(p, r, &PT_CI_ACME, NULL, PT_NOW);
    char hex[65], *json = NULL, *want;
    size_t len = 0;

    (void)state;
    hm_hex_encode(hm_policy_sha256(p), 32, hex);
    want = pt_fmt("{\"decision\":\"deny\",\"product\":\"acme-thermostat\",\"channel\":\"stable\","
                  "\"version\":\"1.4.2\",\"identity\":\"cn:ci-acme\",\"policy\":{\"sha256\":"
                  "\"%s\"},\"reasons\":[{\"rule\":\"sbom\",\"reason\":\"the request carries no "
                  "SBOM, which acme-thermostat requires\",\"hint\":\"add the SBOM (CycloneDX "
                  "1.5/1.6 or SPDX 2.3/3.0 JSON) as \\\"sbom\\\" (hallmark sign --sbom FILE)\"}],"
                  "\"findings\":[],\"inputs\":[]}",
                  hex);
    assert_int_equal(hm_policy_decision_to_json(d, &json, &len), HM_OK);
    assert_string_equal(json, want);
    assert_int_equal(len, strlen(want));
    free(json);
    free(want);
    hm_policy_decision_free(d);
    hm_policy_request_free(r);
    hm_policy_free(p);
}

static const char SBOM[] = "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"metadata\":{"
                           "\"component\":{\"name\":\"fw\",\"version\":\"1.4.2\"}}}";

static struct hm_policy_decision *
allowed_decision(struct hm_policy **p, struct hm_policy_request **r)
{
    char *body = pt_fmt("{\"product\":\"acme-thermostat\",\"version\":\"1.4.2\",\"support_end\":"
                        "\"2031-12-31\",\"artifacts\":[" PT_ART_A "],\"sbom\":%s,"
                        "\"provenance\":{\"_type\":\"x\"}}",
                        SBOM);

    *p = pt_policy(POLICY);
    *r = pt_request(body);
    free(body);
    return pt_eval(*p, *r, &PT_CI_ACME, NULL, PT_NOW);
}

static void
test_allow_json_and_obligations(void **state)
{
    struct hm_policy *p;
    struct hm_policy_request *r;
    struct hm_policy_decision *d = allowed_decision(&p, &r);
    char phex[65], shex[65], prov[65], *json = NULL, *want;
    uint8_t prov_sha[32];
    size_t len = 0;

    (void)state;
    pt_assert_allowed(d);
    assert_string_equal(hm_policy_decision_key(d), "firmware-p256");
    assert_string_equal(hm_policy_decision_verifier_id(d), "https://hallmark.example/verifier");
    assert_string_equal(hm_policy_decision_policy_uri(d), "https://hallmark.example/policy.json");
    assert_memory_equal(hm_policy_decision_policy_sha256(d), hm_policy_sha256(p), 32);
    hm_hex_encode(hm_policy_sha256(p), 32, phex);
    hm_hex_encode(hm_policy_decision_sbom_sha256(d), 32, shex);
    hm_sha256("{\"_type\":\"x\"}", 13, prov_sha);
    hm_hex_encode(prov_sha, 32, prov);
    want = pt_fmt("{\"decision\":\"allow\",\"product\":\"acme-thermostat\",\"channel\":\"stable\","
                  "\"version\":\"1.4.2\",\"identity\":\"cn:ci-acme\",\"policy\":{\"sha256\":"
                  "\"%s\"},\"reasons\":[],\"findings\":[],\"inputs\":[{\"kind\":\"sbom\","
                  "\"name\":\"request.sbom\",\"digest\":{\"sha256\":\"%s\"}},{\"kind\":"
                  "\"provenance\",\"name\":\"request.provenance\",\"digest\":{\"sha256\":\"%s\"}}],"
                  "\"obligations\":{\"key\":\"firmware-p256\",\"sbom_sha256\":\"%s\",\"vsa\":{"
                  "\"verifier_id\":\"https://hallmark.example/verifier\",\"policy_uri\":"
                  "\"https://hallmark.example/policy.json\",\"policy_sha256\":\"%s\",\"result\":"
                  "\"PASSED\",\"verified_levels\":[\"HALLMARK_RELEASE_POLICY_V1\"]}}}",
                  phex, shex, prov, shex, phex);
    assert_int_equal(hm_policy_decision_to_json(d, &json, &len), HM_OK);
    assert_string_equal(json, want);
    free(json);
    free(want);
    hm_policy_decision_free(d);
    hm_policy_request_free(r);
    hm_policy_free(p);
}

/* The VSA the daemon signs with an allowed release, built from the decision. */
static void
test_vsa_from_decision(void **state)
{
    struct hm_policy *p;
    struct hm_policy_request *r;
    struct hm_policy_decision *d = allowed_decision(&p, &r);
    const struct hm_policy_artifact *pa;
    struct hm_artifact art;
    struct hm_vsa_input in[2];
    struct hm_statement *st = NULL;
    uint8_t *stmt = NULL;
    size_t n = 0, len = 0;
    char why[128];

    (void)state;
    pa = hm_policy_request_artifacts(r, &n);
    art.name = pa[0].name;
    art.size = pa[0].size;
    memcpy(art.sha256, pa[0].sha256, 32);
    memcpy(art.sha512, pa[0].sha512, 64);
    for (size_t i = 0; i < hm_policy_decision_n_inputs(d); i++) {
        in[i].name = hm_policy_decision_input(d, i)->name;
        in[i].uri = NULL;
        memcpy(in[i].sha256, hm_policy_decision_input(d, i)->sha256, 32);
    }
    struct hm_vsa vsa = {
        .verifier_id = hm_policy_decision_verifier_id(d),
        .verifier_version = "0.1.0",
        .resource_uri = "pkg:generic/acme-thermostat@1.4.2",
        .policy_uri = hm_policy_decision_policy_uri(d),
        .policy_sha256 = hm_policy_decision_policy_sha256(d),
        .artifacts = &art,
        .n_artifacts = 1,
        .inputs = in,
        .n_inputs = hm_policy_decision_n_inputs(d),
        .passed = hm_policy_decision_allowed(d),
        .time_verified = PT_NOW,
    };
    assert_int_equal(hm_vsa_statement(&vsa, &stmt, &len), HM_OK);
    assert_int_equal(hm_statement_parse(stmt, len, &st, why, sizeof(why)), HM_OK);
    assert_string_equal(st->predicate_type, HM_VSA_PREDICATE);
    assert_int_equal(st->n_subjects, 1);
    assert_memory_equal(st->subjects[0].sha256, pa[0].sha256, 32);
    assert_non_null(strstr((char *)stmt, "\"verificationResult\":\"PASSED\""));
    assert_non_null(strstr((char *)stmt, "\"verifiedLevels\":[\"HALLMARK_RELEASE_POLICY_V1\"]"));
    assert_non_null(strstr((char *)stmt, "\"timeVerified\":\"2026-06-15T12:00:00Z\""));
    assert_non_null(strstr((char *)stmt, "\"slsaVersion\":\"1.0\""));
    assert_non_null(strstr((char *)stmt, "{\"name\":\"request.sbom\",\"digest\":{\"sha256\":"));
    hm_statement_free(st);
    free(stmt);

    /* the builder refuses what a consumer could not use */
    vsa.resource_uri = NULL;
    assert_int_equal(hm_vsa_statement(&vsa, &stmt, &len), HM_E_INVALID);
    assert_null(stmt);
    vsa.resource_uri = "pkg:generic/acme-thermostat@1.4.2";
    vsa.n_artifacts = 0;
    assert_int_equal(hm_vsa_statement(&vsa, &stmt, &len), HM_E_INVALID);
    assert_null(stmt);
    {
        const char *bad_levels[] = { "hallmark release", "SLSA_RELEASE_GATE" };
        const char *good_levels[] = { "SLSA_BUILD_LEVEL_3", "ACME_CRA_RELEASE_GATE_V1" };

        vsa.n_artifacts = 1;
        for (size_t i = 0; i < 2; i++) {
            vsa.levels = &bad_levels[i];
            vsa.n_levels = 1;
            assert_int_equal(hm_vsa_statement(&vsa, &stmt, &len), HM_E_INVALID);
            assert_null(stmt);
        }
        vsa.levels = good_levels;
        vsa.n_levels = 2;
        assert_int_equal(hm_vsa_statement(&vsa, &stmt, &len), HM_OK);
        assert_non_null(strstr((char *)stmt, "\"verifiedLevels\":[\"SLSA_BUILD_LEVEL_3\","
                                             "\"ACME_CRA_RELEASE_GATE_V1\"]"));
        free(stmt);
    }
    hm_policy_decision_free(d);
    hm_policy_request_free(r);
    hm_policy_free(p);
}

static void
test_approval_statement_and_envelope(void **state)
{
    struct hm_artifact art = { .name = "fw.bin", .size = 3 };
    struct hm_approval a = { .product = "acme-thermostat",
                             .version = "1.4.2",
                             .comment = "tested on rig 4",
                             .artifacts = &art,
                             .n_artifacts = 1 };
    uint8_t *stmt = NULL;
    size_t len = 0, env_len = 0;
    char *env = NULL, why[128];
    struct hm_dsse *dsse = NULL;
    struct hm_statement *st = NULL;

    (void)state;
    assert_int_equal(hm_approval_statement(&a, &stmt, &len), HM_OK);
    assert_int_equal(hm_statement_parse(stmt, len, &st, why, sizeof(why)), HM_OK);
    assert_string_equal(st->predicate_type, HM_PREDICATE_APPROVAL);
    assert_string_equal(HM_APPROVAL_PREDICATE, HM_PREDICATE_APPROVAL);
    assert_non_null(strstr((char *)stmt, "\"predicate\":{\"product\":\"acme-thermostat\","
                                         "\"version\":\"1.4.2\",\"comment\":\"tested on rig 4\"}"));
    assert_int_equal(hm_dsse_envelope_encode(HM_PAYLOAD_TYPE_INTOTO, stmt, len, "kid",
                                             (const uint8_t *)"sig", 3, &env, &env_len),
                     HM_OK);
    assert_int_equal(hm_dsse_parse((const uint8_t *)env, env_len, &dsse), HM_OK);
    assert_int_equal(dsse->payload_len, len);
    assert_memory_equal(dsse->payload, stmt, len);
    assert_string_equal(dsse->sigs[0].keyid, "kid");
    hm_dsse_free(dsse);
    hm_statement_free(st);
    free(stmt);
    free(env);

    a.product = "Acme";
    assert_int_equal(hm_approval_statement(&a, &stmt, &len), HM_E_INVALID);
    assert_null(stmt);
    a.product = "acme-thermostat";
    a.comment = "line\nbreak";
    assert_int_equal(hm_approval_statement(&a, &stmt, &len), HM_E_INVALID);
    assert_null(stmt);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_failure_in_one_round),
        cmocka_unit_test(test_deny_json_exact),
        cmocka_unit_test(test_allow_json_and_obligations),
        cmocka_unit_test(test_vsa_from_decision),
        cmocka_unit_test(test_approval_statement_and_envelope),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_daemon_sign_req.c: the body of POST /v1/sign: a good request, the SBOM bound
 * over its exact bytes, and each hostile body refused with 400 and the field it names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sign_int.h"

#define H64  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define H128 H64 H64
#define ART                                                                                        \
    "{\"name\":\"fw.bin\",\"size\":10,\"digest\":{\"sha256\":\"" H64 "\",\"sha512\":\"" H128 "\"}" \
    "}"

static const char good[] = "{\"product\":\"acme\",\"channel\":\"beta\",\"version\":\"1.2.3\","
                           "\"artifacts\":[" ART "],\"support_end\":\"2031-12-31\","
                           "\"sbom\": {\"bomFormat\" : \"CycloneDX\"},"
                           "\"vex\":[],\"provenance\":{},\"approvals\":[]}";

static hm_err
parse(const char *s, struct hmd_sign_req **q, struct hmd_reply *r)
{
    memset(r, 0, sizeof(*r));
    return hmd_sign_req_parse((const uint8_t *)s, strlen(s), q, r);
}

static void
test_sign_req_parses_a_good_request(void **state)
{
    struct hmd_sign_req *q = NULL;
    struct hmd_reply r;
    uint8_t want[HM_SHA256_LEN];
    const char *sbom = "{\"bomFormat\" : \"CycloneDX\"}";

    (void)state;
    assert_int_equal(parse(good, &q, &r), HM_OK);
    assert_non_null(q);
    assert_string_equal(q->product, "acme");
    assert_string_equal(q->channel, "beta");
    assert_string_equal(q->version, "1.2.3");
    assert_int_equal(q->n_arts, 1);
    assert_string_equal(q->arts[0].name, "fw.bin");
    assert_int_equal(q->arts[0].size, 10);
    assert_int_equal(q->arts[0].sha512[63], 0xaa);
    /* the SBOM is bound over its bytes as sent, spaces included */
    hm_sha256(sbom, strlen(sbom), want);
    assert_true(q->has_sbom);
    assert_memory_equal(q->sbom_sha256, want, sizeof(want));
    hm_sha256(good, strlen(good), want);
    assert_memory_equal(q->request_sha256, want, sizeof(want));
    assert_non_null(strstr(q->artifacts_json, "\"sha256\":\"" H64 "\""));
    assert_int_equal(r.status, 0);
    hmd_sign_req_free(q);
}

static void
test_sign_req_defaults_the_channel(void **state)
{
    static const char doc[] =
        "{\"product\":\"acme\",\"version\":\"1.0.0\",\"artifacts\":[" ART "]}";
    struct hmd_sign_req *q = NULL;
    struct hmd_reply r;

    (void)state;
    assert_int_equal(parse(doc, &q, &r), HM_OK);
    assert_string_equal(q->channel, "stable");
    assert_false(q->has_sbom);
    hmd_sign_req_free(q);
}

static void
test_sign_req_refuses_hostile_bodies(void **state)
{
    static const struct {
        const char *doc;
        const char *code;
        const char *text;
    } cases[] = {
        { "{\"product\":", "malformed-json", "byte offset 11" },
        { "", "malformed-json", "byte offset 0" },
        { "[]", "invalid-request", "the request must be a JSON object" },
        { "{\"product\":\"a\",\"product\":\"b\"}", "malformed-json", "duplicate" },
        { "{\"product\":\"a\\u0000b\"}", "malformed-json", "" },
        { "{\"Product\":\"a\"}", "unknown-field", "\\\"Product\\\"" },
        { "{\"version\":\"1.0.0\",\"artifacts\":[" ART "]}", "invalid-request",
          "product is missing" },
        { "{\"product\":7,\"version\":\"1\",\"artifacts\":[]}", "invalid-request",
          "product must be" },
        { "{\"product\":\"a\",\"version\":\"1.0.0\"}", "invalid-request", "artifacts is missing" },
        { "{\"product\":\"a\",\"version\":\"1.0.0\",\"artifacts\":[]}", "invalid-request", "1 to" },
        { "{\"product\":\"a\",\"version\":\"1.0.0\",\"artifacts\":[{\"name\":\"x\",\"size\":1,"
          "\"digest\":{\"sha256\":\"" H64 "\",\"sha512\":\"" H128 "\",\"md5\":\"x\"}}]}",
          "unknown-field", "artifacts[0].digest" },
        { "{\"product\":\"a\",\"version\":\"1.0.0\",\"artifacts\":[{\"name\":\"x\",\"size\":1.5,"
          "\"digest\":{\"sha256\":\"" H64 "\",\"sha512\":\"" H128 "\"}}]}",
          "invalid-request", "artifacts[0].size" },
        { "{\"product\":\"a\",\"version\":\"1.0.0\",\"artifacts\":[{\"name\":\"x\",\"size\":-1,"
          "\"digest\":{\"sha256\":\"" H64 "\",\"sha512\":\"" H128 "\"}}]}",
          "invalid-request", "artifacts[0].size" },
        { "{\"product\":\"a\",\"version\":\"1.0.0\",\"artifacts\":[{\"name\":\"x\",\"size\":1,"
          "\"digest\":{\"sha256\":\"" H64 "\"}}]}",
          "invalid-request", "artifacts[0].digest.sha512 is missing" },
        { "{\"product\":\"a\",\"version\":\"1.0.0\",\"artifacts\":[{\"name\":\"x\",\"size\":1,"
          "\"digest\":{\"sha256\":\"" H64 "\",\"sha512\":\"" H64 "\"}}]}",
          "invalid-request", "128 lowercase hex" },
        { "{\"product\":\"a\",\"version\":\"1.0.0\",\"artifacts\":[{\"name\":\"x\",\"size\":1,"
          "\"digest\":{\"sha256\":\""
          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
          "\",\"sha512\":\"" H128 "\"}}]}",
          "invalid-request", "64 lowercase hex" },
        { "{\"product\":\"a\",\"version\":\"1.0.0\",\"artifacts\":[" ART "],\"sbom\":\"x\"}",
          "invalid-request", "sbom must be a JSON object" },
        { "{\"product\":\"a\",\"version\":\"1.0.0\",\"artifacts\":[" ART "],\"vex\":{}}",
          "invalid-request", "must be arrays" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hmd_sign_req *q = (struct hmd_sign_req *)&cases; /* must be reset */
        struct hmd_reply r;
        char want[64];
        assert_int_equal(parse(cases[i].doc, &q, &r), HM_E_INVALID);
        assert_null(q);
        snprintf(want, sizeof(want), "{\"error\":\"%s\"", cases[i].code);
        if (r.status != 400 || r.body == NULL || strncmp(r.body, want, strlen(want)) != 0 ||
            strstr(r.body, cases[i].text) == NULL) {
            fail_msg("case %zu: status %d body %s", i, r.status, r.body ? r.body : "(null)");
        }
        hmd_reply_reset(&r);
    }
}

static void
test_sign_req_malformed_json_carries_the_offset(void **state)
{
    struct hmd_sign_req *q = NULL;
    struct hmd_reply r;

    (void)state;
    assert_int_equal(parse("{\"a\": tru}", &q, &r), HM_E_INVALID);
    assert_non_null(strstr(r.body, ",\"offset\":6}"));
    hmd_reply_reset(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_req_parses_a_good_request),
        cmocka_unit_test(test_sign_req_defaults_the_channel),
        cmocka_unit_test(test_sign_req_refuses_hostile_bodies),
        cmocka_unit_test(test_sign_req_malformed_json_carries_the_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_policy_request.c: the sign request: a full request parses into the struct; the
 * SBOM, VEX, provenance and approvals keep the exact bytes received (their digests are
 * over those bytes); every malformed request is refused with its path; nothing is handed
 * out on failure.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_test.h"

static const char SBOM[] = "{\"bomFormat\":\"CycloneDX\",  \"specVersion\":\"1.6\",\n"
                           "  \"components\":[{\"name\":\"z\\u006cib\"}]}";
static const char VEX0[] = "{\"@id\":\"a\" }";
static const char VEX1[] = "{ \"@id\":\"b\",\"x\":[1,{\"y\":\"]}\"}]}";
static const char PROV[] = "{\"_type\":\"https://in-toto.io/Statement/v1\"}";
static const char APPR[] = "{\"payload\":\"e30=\",\"payloadType\":\"t\",\"signatures\":[]}";

static char *
full_request(void)
{
    return pt_fmt(
        "{\"product\":\"acme-thermostat\",\"channel\":\"beta\",\"version\":\"1.4.2-rc.1\","
        "\"artifacts\":[" PT_ART_A "," PT_ART_B "],\"support_end\":\"2031-12-31\","
        "\"sbom\" : %s ,\"vex\":[%s,\n%s],\"provenance\":%s,\"approvals\":[%s]}",
        SBOM, VEX0, VEX1, PROV, APPR);
}

static void
assert_blob(const struct hm_policy_blob *b, const char *want)
{
    uint8_t d[HM_SHA256_LEN];

    assert_non_null(b);
    assert_int_equal(b->len, strlen(want));
    assert_memory_equal(b->data, want, b->len);
    hm_sha256(want, strlen(want), d);
    assert_memory_equal(b->sha256, d, HM_SHA256_LEN);
}

static void
test_request_full(void **state)
{
    char *body = full_request();
    struct hm_policy_request *r = pt_request(body);
    const struct hm_policy_artifact *a;
    uint8_t want[HM_SHA256_LEN], d[HM_SHA256_LEN];
    size_t n = 0;

    (void)state;
    assert_string_equal(hm_policy_request_product(r), "acme-thermostat");
    assert_string_equal(hm_policy_request_channel(r), "beta");
    assert_string_equal(hm_policy_request_version(r), "1.4.2-rc.1");
    assert_string_equal(hm_policy_request_support_end(r), "2031-12-31");
    a = hm_policy_request_artifacts(r, &n);
    assert_int_equal(n, 2);
    assert_string_equal(a[0].name, "thermostat-1.4.2.bin");
    assert_int_equal(a[0].size, 1048576);
    assert_true(a[0].has_sha256 && a[0].has_sha512);
    assert_int_equal(hm_hex_decode(PT_A256, 64, d, 32), HM_OK);
    assert_memory_equal(a[0].sha256, d, 32);
    assert_string_equal(a[1].name, "bootloader.bin");
    /* the exact bytes of each document, escapes and spacing included */
    assert_blob(hm_policy_request_sbom(r), SBOM);
    assert_int_equal(hm_policy_request_n_vex(r), 2);
    assert_blob(hm_policy_request_vex(r, 0), VEX0);
    assert_blob(hm_policy_request_vex(r, 1), VEX1);
    assert_null(hm_policy_request_vex(r, 2));
    assert_blob(hm_policy_request_provenance(r), PROV);
    assert_int_equal(hm_policy_request_n_approvals(r), 1);
    assert_blob(hm_policy_request_approval(r, 0), APPR);
    hm_sha256(body, strlen(body), want);
    assert_memory_equal(hm_policy_request_sha256(r), want, HM_SHA256_LEN);
    hm_policy_request_free(r);
    hm_policy_request_free(NULL);
    free(body);
}

static void
test_request_minimal_defaults(void **state)
{
    struct hm_policy_request *r = pt_request(
        "{\"version\":\"1.0.0\",\"artifacts\":[{\"name\":\"a.bin\",\"size\":0,\"digest\":"
        "{\"sha512\":\"" PT_A512 "\"}}],\"product\":\"fw\"}");
    const struct hm_policy_artifact *a;
    size_t n;

    (void)state;
    assert_string_equal(hm_policy_request_channel(r), "stable");
    assert_null(hm_policy_request_support_end(r));
    assert_null(hm_policy_request_sbom(r));
    assert_null(hm_policy_request_provenance(r));
    assert_int_equal(hm_policy_request_n_vex(r), 0);
    assert_int_equal(hm_policy_request_n_approvals(r), 0);
    a = hm_policy_request_artifacts(r, &n);
    assert_int_equal(n, 1);
    assert_false(a[0].has_sha256);
    assert_true(a[0].has_sha512);
    hm_policy_request_free(r);
}

/* A member name written with escapes is the same member for cJSON and for the span
 * finder: the bytes found must be the SBOM's, not a decoy's. */
static void
test_request_escaped_member_names(void **state)
{
    const char *body = "{\"product\":\"fw\",\"version\":\"1.0.0\",\"artifacts\":[" PT_ART_A "],"
                       "\"\\u0073bom\":{\"real\":true}}";
    struct hm_policy_request *r = pt_request(body);

    (void)state;
    assert_blob(hm_policy_request_sbom(r), "{\"real\":true}");
    hm_policy_request_free(r);
}

#define R0 "{\"product\":\"fw\",\"version\":\"1.0.0\","
#define RA "\"artifacts\":[" PT_ART_A "]"

static void
test_request_rejects_malformed(void **state)
{
    static const struct {
        const char *body;
        hm_err want;
        const char *path;
    } cases[] = {
        { "", HM_E_INVALID, "$" },
        { "[]", HM_E_INVALID, "$" },
        { R0 RA ",\"product\":\"fw\"}", HM_E_INVALID, "$" },        /* duplicate */
        { R0 RA ",\"note\":\"x\"}", HM_E_INVALID, "$.note" },       /* unknown */
        { R0 RA ",\"Product\":\"x\"}", HM_E_INVALID, "$.Product" }, /* case */
        { "{\"version\":\"1.0.0\"," RA "}", HM_E_INVALID, "$.product" },
        { "{\"product\":\"fw\"," RA "}", HM_E_INVALID, "$.version" },
        { R0 "\"artifacts\":[]}", HM_E_INVALID, "$.artifacts" },
        { R0 "\"artifacts\":{}}", HM_E_INVALID, "$.artifacts" },
        { "{\"product\":\"Acme\",\"version\":\"1.0.0\"," RA "}", HM_E_INVALID, "$.product" },
        { "{\"product\":\"fw\",\"channel\":\"\",\"version\":\"1.0.0\"," RA "}", HM_E_INVALID,
          "$.channel" },
        { "{\"product\":\"fw\",\"version\":\"1.0.0\\n\"," RA "}", HM_E_INVALID, "$.version" },
        { R0 RA ",\"support_end\":\"2031-02-30\"}", HM_E_INVALID, "$.support_end" },
        { R0 RA ",\"support_end\":\"31.12.2031\"}", HM_E_INVALID, "$.support_end" },
        { R0 RA ",\"sbom\":\"{}\"}", HM_E_INVALID, "$.sbom" },
        { R0 RA ",\"sbom\":[]}", HM_E_INVALID, "$.sbom" },
        { R0 RA ",\"vex\":{}}", HM_E_INVALID, "$.vex" },
        { R0 RA ",\"vex\":[{},\"x\"]}", HM_E_INVALID, "$.vex[1]" },
        { R0 RA ",\"approvals\":[1]}", HM_E_INVALID, "$.approvals[0]" },
        { R0 RA ",\"provenance\":null}", HM_E_INVALID, "$.provenance" },
        { R0 "\"artifacts\":[{\"name\":\"a/b\",\"size\":1,\"digest\":{\"sha256\":\"" PT_A256
             "\"}}]}",
          HM_E_INVALID, "$.artifacts[0].name" },
        { R0 "\"artifacts\":[{\"name\":\"..\",\"size\":1,\"digest\":{\"sha256\":\"" PT_A256
             "\"}}]}",
          HM_E_INVALID, "$.artifacts[0].name" },
        { R0 "\"artifacts\":[{\"name\":\"a\\u0007\",\"size\":1,\"digest\":{\"sha256\":\"" PT_A256
             "\"}}]}",
          HM_E_INVALID, "$.artifacts[0].name" },
        { R0 "\"artifacts\":[{\"name\":\"a\",\"size\":-1,\"digest\":{\"sha256\":\"" PT_A256
             "\"}}]}",
          HM_E_INVALID, "$.artifacts[0].size" },
        { R0 "\"artifacts\":[{\"name\":\"a\",\"size\":1.5,\"digest\":{\"sha256\":\"" PT_A256
             "\"}}]}",
          HM_E_INVALID, "$.artifacts[0].size" },
        { R0 "\"artifacts\":[{\"name\":\"a\",\"size\":1e300,\"digest\":{\"sha256\":\"" PT_A256
             "\"}}]}",
          HM_E_INVALID, "$.artifacts[0].size" },
        { R0 "\"artifacts\":[{\"name\":\"a\",\"size\":1,\"digest\":{}}]}", HM_E_INVALID,
          "$.artifacts[0].digest" },
        { R0 "\"artifacts\":[{\"name\":\"a\",\"size\":1}]}", HM_E_INVALID,
          "$.artifacts[0].digest" },
        { R0 "\"artifacts\":[{\"name\":\"a\",\"size\":1,\"digest\":{\"sha1\":\"00\"}}]}",
          HM_E_INVALID, "$.artifacts[0].digest.sha1" },
        { R0 "\"artifacts\":[{\"name\":\"a\",\"size\":1,\"digest\":{\"sha256\":\"ABCD\"}}]}",
          HM_E_INVALID, "$.artifacts[0].digest.sha256" },
        { R0 "\"artifacts\":[{\"name\":\"a\",\"size\":1,\"digest\":{\"sha256\":"
             "\"E98C8040AFC2A24865D5C493AD1642E71578D8F5E4FA0EB602A8A52C52A2C126\"}}]}",
          HM_E_INVALID, "$.artifacts[0].digest.sha256" },
        { R0 "\"artifacts\":[" PT_ART_A "," PT_ART_A "]}", HM_E_INVALID, "$.artifacts[1].name" },
        { R0 "\"artifacts\":[{\"name\":\"a\",\"size\":1,\"digest\":{\"sha256\":\"" PT_A256
             "\"},\"url\":\"x\"}]}",
          HM_E_INVALID, "$.artifacts[0].url" },
    };
    struct hm_policy_request *r = (struct hm_policy_request *)1;
    struct hm_policy_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hm_err rc = hm_policy_request_parse(cases[i].body, strlen(cases[i].body), &r, &err);

        if (rc != cases[i].want || strcmp(err.path, cases[i].path) != 0) {
            print_error("case %zu: rc %d path %s (%s), want %s\n", i, rc, err.path, err.message,
                        cases[i].path);
        }
        assert_int_equal(rc, cases[i].want);
        assert_string_equal(err.path, cases[i].path);
        assert_null(r);
    }
}

static void
test_request_limits(void **state)
{
    struct hm_policy_request *r = NULL;
    struct hm_policy_error err;
    static const char prefix[] = R0 RA ",\"sbom\":";
    size_t depth = 100, len = 0;
    char *deep = malloc(sizeof(prefix) + 2 * depth + 2), *big;

    (void)state;
    /* nesting deeper than the parser allows, inside the SBOM */
    memcpy(deep, prefix, sizeof(prefix) - 1);
    len = sizeof(prefix) - 1;
    for (size_t i = 0; i < depth; i++) {
        deep[len++] = '[';
    }
    for (size_t i = 0; i < depth; i++) {
        deep[len++] = ']';
    }
    deep[len++] = '}';
    assert_int_equal(hm_policy_request_parse(deep, len, &r, &err), HM_E_LIMIT);
    assert_null(r);
    /* larger than the request limit */
    big = calloc(1, HM_POLICY_REQUEST_MAX_BYTES + 2);
    memset(big, ' ', HM_POLICY_REQUEST_MAX_BYTES + 1);
    big[0] = '{';
    assert_int_equal(hm_policy_request_parse(big, HM_POLICY_REQUEST_MAX_BYTES + 1, &r, &err),
                     HM_E_LIMIT);
    assert_null(r);
    free(big);
    free(deep);
}

static void
test_request_syntax_offset(void **state)
{
    const char *body = "{\"product\":\"fw\" \"version\":\"1\"}";
    struct hm_policy_request *r = NULL;
    struct hm_policy_error err;

    (void)state;
    assert_int_equal(hm_policy_request_parse(body, strlen(body), &r, &err), HM_E_INVALID);
    assert_int_equal(err.offset, 16); /* the second member, where ',' was expected */
    assert_null(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_full),
        cmocka_unit_test(test_request_minimal_defaults),
        cmocka_unit_test(test_request_escaped_member_names),
        cmocka_unit_test(test_request_rejects_malformed),
        cmocka_unit_test(test_request_limits),
        cmocka_unit_test(test_request_syntax_offset),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

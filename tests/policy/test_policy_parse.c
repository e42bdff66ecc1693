/*
 * test_policy_parse.c: the policy file: a complete policy parses; every malformed one is
 * refused with the exact error and the JSON path of the fault; nothing is handed out on
 * failure; the digest is over the exact bytes; files are read relative to the policy.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_test.h"

/* Every key of the format, files left out (they need hm_policy_resolve). */
static const char FULL[] =
    "{\"version\":1,"
    "\"vsa\":{\"verifier_id\":\"https://hallmark.example/verifier\","
    "\"policy_uri\":\"https://hallmark.example/policy.json\"},"
    "\"products\":[{\"name\":\"acme-thermostat\",\"channels\":[\"stable\",\"beta\"],"
    "\"keys\":{\"stable\":\"firmware-p256\",\"beta\":\"firmware-beta\"},"
    "\"identities\":{\"mtls\":[\"cn:ci-acme\",\"san:dns:ci.acme.example\","
    "\"san:uri:spiffe://acme/ci\"]},"
    "\"version\":{\"pattern\":\"1.*\",\"monotonic\":true},"
    "\"support\":{\"minimum_years\":5},"
    "\"sbom\":{\"required\":true,\"formats\":[\"cyclonedx-1.6\",\"spdx-2.3\"],"
    "\"describes_artifacts\":true,\"minimum\":[\"name\",\"version\",\"supplier\",\"unique_id\","
    "\"hashes\",\"license\",\"dependencies\",\"author\",\"timestamp\"]},"
    "\"windows\":{\"freeze\":[{\"from\":\"2026-12-20T00:00:00Z\",\"to\":\"2027-01-04T00:00:00Z\","
    "\"reason\":\"year-end freeze\"}],\"allowed_hours_utc\":[6,20],"
    "\"max_artifact_size\":16777216,\"digests\":[\"sha256\",\"sha512\"]}},"
    "{\"name\":\"acme-gateway\"}]}";

static void
test_parse_full_policy(void **state)
{
    struct hm_policy *p = NULL;
    struct hm_policy_error err;
    uint8_t want[HM_SHA256_LEN];

    (void)state;
    assert_int_equal(hm_policy_parse(FULL, strlen(FULL), &p, &err), HM_OK);
    assert_non_null(p);
    assert_true(hm_policy_has_product(p, "acme-thermostat"));
    assert_true(hm_policy_has_product(p, "acme-gateway"));
    assert_false(hm_policy_has_product(p, "acme-thermo"));
    hm_sha256(FULL, strlen(FULL), want);
    assert_memory_equal(hm_policy_sha256(p), want, HM_SHA256_LEN); /* the exact bytes */
    hm_policy_free(p);
    hm_policy_free(NULL);
}

/* The digest changes with any byte, even whitespace: it is not of a re-serialisation. */
static void
test_digest_is_over_exact_bytes(void **state)
{
    const char *a = "{\"version\":1,\"products\":[{\"name\":\"fw\"}]}";
    const char *b = "{\"version\":1, \"products\":[{\"name\":\"fw\"}]}";
    struct hm_policy *pa = pt_policy(a), *pb = pt_policy(b);

    (void)state;
    assert_memory_not_equal(hm_policy_sha256(pa), hm_policy_sha256(pb), HM_SHA256_LEN);
    hm_policy_free(pa);
    hm_policy_free(pb);
}

#define P0 "{\"version\":1,\"products\":[{\"name\":\"fw\","
#define P1 "}]}"

static void
test_parse_rejects_bad_policies(void **state)
{
    static const struct {
        const char *doc;
        hm_err want;
        const char *path;
    } cases[] = {
        /* the document */
        { "", HM_E_INVALID, "$" },
        { "[]", HM_E_INVALID, "$" },
        { "{\"version\":1,\"products\":[{\"name\":\"fw\"}]", HM_E_INVALID, "$" },
        { "{\"version\":1,\"version\":1,\"products\":[{\"name\":\"fw\"}]}", HM_E_INVALID, "$" },
        { "{\"version\":1,\"products\":[{\"name\":\"f\\u0000w\"}]}", HM_E_INVALID, "$" },
        { "{\"version\":2,\"products\":[{\"name\":\"fw\"}]}", HM_E_INVALID, "$.version" },
        { "{\"version\":1.5,\"products\":[{\"name\":\"fw\"}]}", HM_E_INVALID, "$.version" },
        { "{\"version\":\"1\",\"products\":[{\"name\":\"fw\"}]}", HM_E_INVALID, "$.version" },
        { "{\"products\":[{\"name\":\"fw\"}]}", HM_E_INVALID, "$.version" },
        { "{\"version\":1}", HM_E_INVALID, "$.products" },
        { "{\"version\":1,\"products\":[]}", HM_E_INVALID, "$.products" },
        { "{\"version\":1,\"product\":[{\"name\":\"fw\"}]}", HM_E_INVALID, "$.product" },
        { "{\"version\":1,\"Products\":[{\"name\":\"fw\"}]}", HM_E_INVALID, "$.Products" },
        { "{\"version\":1,\"vsa\":{\"verifier_id\":\"x\"},\"products\":[{\"name\":\"fw\"}]}",
          HM_E_INVALID, "$.vsa.policy_uri" },
        { "{\"version\":1,\"vsa\":{\"verifier_id\":\"x\",\"policy_uri\":\"y\",\"z\":1},"
          "\"products\":[{\"name\":\"fw\"}]}",
          HM_E_INVALID, "$.vsa.z" },
        /* products */
        { "{\"version\":1,\"products\":[{\"name\":\"FW\"}]}", HM_E_INVALID, "$.products[0].name" },
        { "{\"version\":1,\"products\":[{\"name\":\"fw\"},{\"name\":\"fw\"}]}", HM_E_INVALID,
          "$.products[1].name" },
        { "{\"version\":1,\"products\":[{\"name\":\"fw\"},{\"nam\":\"x\"}]}", HM_E_INVALID,
          "$.products[1].nam" },
        { P0 "\"aprovals\":{}" P1, HM_E_INVALID, "$.products[0].aprovals" },
        { P0 "\"channels\":[\"stable\",\"stable\"]" P1, HM_E_INVALID, "$.products[0].channels[1]" },
        { P0 "\"channels\":[\"Beta\"]" P1, HM_E_INVALID, "$.products[0].channels[0]" },
        { P0 "\"keys\":{\"beta\":\"k\"}" P1, HM_E_INVALID, "$.products[0].keys.beta" },
        { P0 "\"keys\":{\"stable\":7}" P1, HM_E_INVALID, "$.products[0].keys.stable" },
        { P0 "\"keys\":{}" P1, HM_E_INVALID, "$.products[0].keys" },
        /* identities */
        { P0 "\"identities\":{}" P1, HM_E_INVALID, "$.products[0].identities" },
        { P0 "\"identities\":{\"mtls\":[\"ci-acme\"]}" P1, HM_E_INVALID,
          "$.products[0].identities.mtls[0]" },
        { P0 "\"identities\":{\"mtls\":[\"cn:\"]}" P1, HM_E_INVALID,
          "$.products[0].identities.mtls[0]" },
        { P0 "\"identities\":{\"mtls\":[\"cn:a\"],\"x509\":[]}" P1, HM_E_INVALID,
          "$.products[0].identities.x509" },
        { P0 "\"identities\":{\"oidc\":[{\"issuer\":\"https://gitlab.com\",\"claims\":{\"a\":"
             "\"b\"}}]}" P1,
          HM_E_INVALID, "$.products[0].identities.oidc[0].issuer" },
        { P0 "\"identities\":{\"oidc\":[{\"issuer\":\"https://gitlab.com\",\"claims\":{}}]}" P1,
          HM_E_INVALID, "$.products[0].identities.oidc[0].claims" },
        { P0 "\"identities\":{\"oidc\":[{\"issuer\":\"https://gitlab.com\",\"claims\":{\"ref\":"
             "1}}]}" P1,
          HM_E_INVALID, "$.products[0].identities.oidc[0].claims.ref" },
        /* version and support */
        { P0 "\"version\":{\"monotonic\":\"yes\"}" P1, HM_E_INVALID,
          "$.products[0].version.monotonic" },
        { P0 "\"version\":{\"patern\":\"1.*\"}" P1, HM_E_INVALID, "$.products[0].version.patern" },
        { P0 "\"support\":{}" P1, HM_E_INVALID, "$.products[0].support" },
        { P0 "\"support\":{\"minimum_years\":5,\"minimum_months\":60}" P1, HM_E_INVALID,
          "$.products[0].support" },
        { P0 "\"support\":{\"minimum_years\":0}" P1, HM_E_INVALID,
          "$.products[0].support.minimum_years" },
        { P0 "\"support\":{\"minimum_years\":1e300}" P1, HM_E_INVALID,
          "$.products[0].support.minimum_years" },
        /* sbom */
        { P0 "\"sbom\":{\"formats\":[\"cyclonedx-1.4\"]}" P1, HM_E_INVALID,
          "$.products[0].sbom.formats[0]" },
        { P0 "\"sbom\":{\"formats\":[\"spdx-2.3\",\"cyclonedx-1.7\"]}" P1, HM_E_INVALID,
          "$.products[0].sbom.formats[1]" },
        { P0 "\"sbom\":{\"formats\":[]}" P1, HM_E_INVALID, "$.products[0].sbom.formats" },
        { P0 "\"sbom\":{\"minimum\":[\"name\",\"purl\"]}" P1, HM_E_INVALID,
          "$.products[0].sbom.minimum[1]" },
        { P0 "\"sbom\":{\"required\":1}" P1, HM_E_INVALID, "$.products[0].sbom.required" },
        /* vulnerabilities */
        { P0 "\"vulnerabilities\":{\"kev\":\"k.json\"}" P1, HM_E_INVALID,
          "$.products[0].vulnerabilities.feed" },
        { P0 "\"vulnerabilities\":{\"feed\":\"osv\"}" P1, HM_E_INVALID,
          "$.products[0].vulnerabilities" },
        { P0 "\"vulnerabilities\":{\"feed\":\"osv\",\"deny_kev\":false}" P1, HM_E_INVALID,
          "$.products[0].vulnerabilities" },
        { P0 "\"vulnerabilities\":{\"feed\":\"osv\",\"deny_kev\":false,\"max_cvss\":10.5}" P1,
          HM_E_INVALID, "$.products[0].vulnerabilities.max_cvss" },
        /* approvals */
        { P0 "\"approvals\":{\"required\":1}" P1, HM_E_INVALID,
          "$.products[0].approvals.approvers" },
        { P0 "\"approvals\":{\"required\":2,\"approvers\":[{\"name\":\"a\",\"key\":\"a.pem\"}]}" P1,
          HM_E_INVALID, "$.products[0].approvals.required" },
        { P0 "\"approvals\":{\"required\":0,\"approvers\":[{\"name\":\"a\",\"key\":\"a.pem\"}]}" P1,
          HM_E_INVALID, "$.products[0].approvals.required" },
        { P0 "\"approvals\":{\"required\":1,\"approvers\":[{\"name\":\"a\",\"key\":\"a.pem\"},"
             "{\"name\":\"a\",\"key\":\"b.pem\"}]}" P1,
          HM_E_INVALID, "$.products[0].approvals.approvers[1]" },
        { P0 "\"approvals\":{\"required\":1,\"approvers\":[{\"name\":\"a\",\"key\":"
             "\"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\\n\"}]}" P1,
          HM_E_INVALID, "$.products[0].approvals.approvers[0].key" },
        /* windows */
        { P0 "\"windows\":{\"allowed_hours_utc\":[8,8]}" P1, HM_E_INVALID,
          "$.products[0].windows.allowed_hours_utc" },
        { P0 "\"windows\":{\"allowed_hours_utc\":[8,25]}" P1, HM_E_INVALID,
          "$.products[0].windows.allowed_hours_utc" },
        { P0 "\"windows\":{\"allowed_hours_utc\":[8]}" P1, HM_E_INVALID,
          "$.products[0].windows.allowed_hours_utc" },
        { P0 "\"windows\":{\"freeze\":[{\"from\":\"2027-01-04T00:00:00Z\",\"to\":"
             "\"2026-12-20T00:00:00Z\",\"reason\":\"r\"}]}" P1,
          HM_E_INVALID, "$.products[0].windows.freeze[0]" },
        { P0 "\"windows\":{\"freeze\":[{\"from\":\"2026-12-20\",\"to\":"
             "\"2027-01-04T00:00:00Z\",\"reason\":\"r\"}]}" P1,
          HM_E_INVALID, "$.products[0].windows.freeze[0].from" },
        { P0 "\"windows\":{\"digests\":[\"md5\"]}" P1, HM_E_INVALID,
          "$.products[0].windows.digests[0]" },
        { P0 "\"windows\":{\"max_artifact_size\":-1}" P1, HM_E_INVALID,
          "$.products[0].windows.max_artifact_size" },
        /* issuers */
        { "{\"version\":1,\"oidc_issuers\":[{\"issuer\":\"http://x\",\"jwks\":\"j\","
          "\"audiences\":[\"a\"]}],\"products\":[{\"name\":\"fw\"}]}",
          HM_E_INVALID, "$.oidc_issuers[0].issuer" },
        { "{\"version\":1,\"oidc_issuers\":[{\"issuer\":\"https://x\",\"jwks\":\"j\"}],"
          "\"products\":[{\"name\":\"fw\"}]}",
          HM_E_INVALID, "$.oidc_issuers[0].audiences" },
        { "{\"version\":1,\"oidc_issuers\":[{\"issuer\":\"https://x\",\"jwks\":\"j\","
          "\"audiences\":[\"a\"],\"leeway_seconds\":3600}],\"products\":[{\"name\":\"fw\"}]}",
          HM_E_INVALID, "$.oidc_issuers[0].leeway_seconds" },
        { "{\"version\":1,\"oidc_issuers\":[{\"issuer\":\"https://x\",\"jwks\":\"j\","
          "\"audiences\":[\"a\"]},{\"issuer\":\"https://x\",\"jwks\":\"k\",\"audiences\":[\"a\"]}"
          "],\"products\":[{\"name\":\"fw\"}]}",
          HM_E_INVALID, "$.oidc_issuers[1]" },
    };
    struct hm_policy *p = (struct hm_policy *)1;
    struct hm_policy_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hm_err rc = hm_policy_parse(cases[i].doc, strlen(cases[i].doc), &p, &err);

        if (rc != cases[i].want || strcmp(err.path, cases[i].path) != 0) {
            print_error("case %zu: rc %d path %s (%s), want %s\n", i, rc, err.path, err.message,
                        cases[i].path);
        }
        assert_int_equal(rc, cases[i].want);
        assert_string_equal(err.path, cases[i].path);
        assert_true(strlen(err.message) > 0);
        assert_null(p); /* nothing handed out on failure */
    }
}

static void
test_error_message_names_the_unknown_key(void **state)
{
    const char *doc = P0 "\"sbom\":{\"requird\":true}" P1;
    struct hm_policy *p = NULL;
    struct hm_policy_error err;

    (void)state;
    assert_int_equal(hm_policy_parse(doc, strlen(doc), &p, &err), HM_E_INVALID);
    assert_string_equal(err.path, "$.products[0].sbom.requird");
    assert_string_equal(err.message, "unknown key \"requird\"");
    assert_null(p);
}

static void
test_syntax_error_gives_offset(void **state)
{
    const char *doc = "{\"version\":1,\"products\":[{\"name\":\"fw\",}]}";
    struct hm_policy *p = NULL;
    struct hm_policy_error err;

    (void)state;
    assert_int_equal(hm_policy_parse(doc, strlen(doc), &p, &err), HM_E_INVALID);
    assert_int_equal(err.offset, 38); /* the '}' after the trailing comma */
    assert_int_equal(doc[38], '}');
    assert_non_null(strstr(err.message, "byte 38"));
    assert_null(p);
}

static void
test_too_large_policy_is_refused(void **state)
{
    size_t len = HM_POLICY_MAX_BYTES + 1;
    char *doc = malloc(len);
    struct hm_policy *p = NULL;
    struct hm_policy_error err;

    (void)state;
    memset(doc, ' ', len);
    memcpy(doc, "{}", 2);
    assert_int_equal(hm_policy_parse(doc, len, &p, &err), HM_E_LIMIT);
    assert_null(p);
    free(doc);
}

/* Files named by the policy are read relative to its folder, and an error names the key. */
static void
test_load_resolves_relative_files(void **state)
{
    struct pt_key alice, bob;
    char *dir = pt_tmpdir(), *path, *doc;
    struct hm_policy *p = NULL;
    struct hm_policy_error err;

    (void)state;
    pt_key_init(&alice);
    pt_key_init(&bob);
    pt_sh("mkdir -p %s/keys", dir);
    pt_write(dir, "keys/alice.pem", alice.pem);
    doc = pt_fmt("{\"version\":1,\"products\":[{\"name\":\"fw\",\"approvals\":{\"required\":2,"
                 "\"approvers\":[{\"name\":\"alice\",\"key\":\"keys/alice.pem\"},"
                 "{\"name\":\"bob\",\"key\":\"%s\"}]}}]}",
                 bob.pem_json);
    pt_write(dir, "policy.json", doc);
    path = pt_fmt("%s/policy.json", dir);
    assert_int_equal(hm_policy_load(path, &p, &err), HM_OK);
    assert_non_null(p);
    hm_policy_free(p);
    p = NULL;

    /* alice's file is gone: the error names the key that names it */
    pt_sh("rm %s/keys/alice.pem", dir);
    assert_int_equal(hm_policy_load(path, &p, &err), HM_E_NOTFOUND);
    assert_string_equal(err.path, "$.products[0].approvals.approvers[0].key");
    assert_null(p);

    /* the same key under two names would let one person count twice */
    pt_write(dir, "keys/alice.pem", bob.pem);
    assert_int_equal(hm_policy_load(path, &p, &err), HM_E_INVALID);
    assert_string_equal(err.path, "$.products[0].approvals.approvers[1].key");
    assert_null(p);

    free(doc);
    free(path);
    pt_key_clear(&alice);
    pt_key_clear(&bob);
    pt_rmdir(dir);
}

static void
test_unresolved_policy_cannot_evaluate(void **state)
{
    const char *doc = "{\"version\":1,\"products\":[{\"name\":\"acme-thermostat\","
                      "\"approvals\":{\"required\":1,\"approvers\":[{\"name\":\"a\",\"key\":"
                      "\"a.pem\"}]}}]}";
    struct hm_policy *p = pt_policy(doc);
    struct hm_policy_request *r = pt_request(
        "{\"product\":\"acme-thermostat\",\"version\":\"1.0.0\",\"artifacts\":[" PT_ART_A "]}");
    struct hm_policy_decision *d = (struct hm_policy_decision *)1;

    (void)state;
    assert_int_equal(hm_policy_evaluate(p, r, &PT_CI_ACME, NULL, PT_NOW, &d), HM_E_INVALID);
    assert_null(d);
    hm_policy_request_free(r);
    hm_policy_free(p);
}

/* The example in docs/policy.md and examples/policy.json are policies this parser takes. */
static void
test_documented_examples_parse(void **state)
{
    const char *src = getenv("HM_SRC");
    char *path, *start, *end;
    uint8_t *doc = NULL;
    size_t len = 0;
    struct hm_policy *p = NULL;
    struct hm_policy_error err;

    (void)state;
    assert_non_null(src);
    path = pt_fmt("%s/docs/policy.md", src);
    assert_int_equal(hm_read_file(path, 1u << 20, &doc, &len), HM_OK);
    start = strstr((char *)doc, "<!-- policy-example -->\n```json\n");
    assert_non_null(start);
    start = strchr(strchr(start, '\n') + 1, '\n') + 1;
    end = strstr(start, "\n```");
    assert_non_null(end);
    if (hm_policy_parse(start, (size_t)(end - start), &p, &err) != HM_OK) {
        print_error("docs/policy.md example: %s: %s\n", err.path, err.message);
    }
    assert_non_null(p);
    assert_true(hm_policy_has_product(p, "acme-thermostat"));
    assert_true(hm_policy_has_product(p, "acme-gateway"));
    hm_policy_free(p);
    free(doc);
    free(path);

    path = pt_fmt("%s/examples/policy.json", src);
    assert_int_equal(hm_policy_load(path, &p, &err), HM_OK); /* with its advisories */
    assert_true(hm_policy_has_product(p, "acme-thermostat"));
    hm_policy_free(p);
    free(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_full_policy),
        cmocka_unit_test(test_digest_is_over_exact_bytes),
        cmocka_unit_test(test_parse_rejects_bad_policies),
        cmocka_unit_test(test_error_message_names_the_unknown_key),
        cmocka_unit_test(test_syntax_error_gives_offset),
        cmocka_unit_test(test_too_large_policy_is_refused),
        cmocka_unit_test(test_load_resolves_relative_files),
        cmocka_unit_test(test_unresolved_policy_cannot_evaluate),
        cmocka_unit_test(test_documented_examples_parse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

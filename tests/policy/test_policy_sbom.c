/*
 * test_policy_sbom.c: rule 5, the SBOM: required, in an accepted format and version,
 * describing the artifacts (its top component, or a component, carries their digest),
 * and carrying the minimum elements the policy names, each missing one reported with
 * the component it is missing from.  The SBOM digest to bind is over its bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_test.h"

#define POL(rules)                                                                                 \
    "{\"version\":1,\"products\":[{\"name\":\"acme-thermostat\",\"sbom\":{" rules "}}]}"

/* A CycloneDX document: spec version, top component hashes and the zlib component's
 * supplier are the parts the cases change. */
static char *
cdx(const char *spec, const char *top_hashes, const char *zlib_supplier)
{
    return pt_fmt(
        "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"%s\",\"serialNumber\":"
        "\"urn:uuid:6f1d2c3e-8b7a-4e2f-9a1b-2c3d4e5f6a7b\",\"version\":1,\"metadata\":{"
        "\"timestamp\":\"2026-06-01T09:00:00Z\",\"authors\":[{\"name\":\"ACME Release\"}],"
        "\"component\":{\"type\":\"firmware\",\"bom-ref\":\"fw\",\"name\":\"acme-thermostat\","
        "\"version\":\"1.4.2\",\"supplier\":{\"name\":\"ACME\"},\"purl\":"
        "\"pkg:generic/acme-thermostat@1.4.2\",\"hashes\":[%s],\"licenses\":[{\"license\":"
        "{\"id\":\"MIT\"}}]}},\"components\":[{\"type\":\"library\",\"bom-ref\":\"zlib\","
        "%s\"name\":\"zlib\",\"version\":\"1.3.1\",\"purl\":\"pkg:generic/zlib@1.3.1\","
        "\"hashes\":[{\"alg\":\"SHA-256\",\"content\":\"" PT_B256 "\"}],\"licenses\":[{"
        "\"license\":{\"id\":\"Zlib\"}}]}],\"dependencies\":[{\"ref\":\"fw\",\"dependsOn\":"
        "[\"zlib\"]},{\"ref\":\"zlib\",\"dependsOn\":[]}]}",
        spec, top_hashes, zlib_supplier);
}

#define TOP_A                                                                                      \
    "{\"alg\":\"SHA-256\",\"content\":\"" PT_A256                                                  \
    "\"},{\"alg\":\"SHA-512\",\"content\":\"" PT_A512 "\"}"
#define SUPPLIER "\"supplier\":{\"name\":\"Jean-loup Gailly and Mark Adler\"},"

static struct hm_policy_decision *
eval_sbom(const char *policy, const char *sbom, const char *arts)
{
    char *body = sbom != NULL ? pt_fmt("{\"product\":\"acme-thermostat\",\"version\":\"1.4.2\","
                                       "\"artifacts\":[%s],\"sbom\":%s}",
                                       arts, sbom)
                              : pt_fmt("{\"product\":\"acme-thermostat\",\"version\":\"1.4.2\","
                                       "\"artifacts\":[%s]}",
                                       arts);
    struct hm_policy_decision *d = pt_eval_str(policy, body);

    free(body);
    return d;
}

static void
test_sbom_passes(void **state)
{
    const char *pol = POL("\"required\":true,\"formats\":[\"cyclonedx-1.6\"],"
                          "\"describes_artifacts\":true,\"minimum\":[\"ntia\",\"hashes\","
                          "\"license\"]");
    char *s = cdx("1.6", TOP_A, SUPPLIER);
    struct hm_policy_decision *d = eval_sbom(pol, s, PT_ART_A);
    uint8_t want[HM_SHA256_LEN];

    (void)state;
    pt_assert_allowed(d);
    hm_sha256(s, strlen(s), want); /* over the bytes sent */
    assert_non_null(hm_policy_decision_sbom_sha256(d));
    assert_memory_equal(hm_policy_decision_sbom_sha256(d), want, HM_SHA256_LEN);
    assert_int_equal(hm_policy_decision_n_inputs(d), 1);
    assert_string_equal(hm_policy_decision_input(d, 0)->kind, "sbom");
    assert_memory_equal(hm_policy_decision_input(d, 0)->sha256, want, HM_SHA256_LEN);
    hm_policy_decision_free(d);
    free(s);
}

/* A release of two artifacts: the firmware is the top component, the bootloader one of
 * the components (here the "zlib" entry carries its sha256). */
static void
test_sbom_describes_every_artifact(void **state)
{
    const char *pol = POL("\"describes_artifacts\":true");
    char *s = cdx("1.6", TOP_A, SUPPLIER);
    struct hm_policy_decision *d = eval_sbom(pol, s, PT_ART_A "," PT_ART_B);

    (void)state;
    pt_assert_allowed(d);
    hm_policy_decision_free(d);
    free(s);
}

static void
test_sbom_fails(void **state)
{
    static const struct {
        const char *policy, *spec, *top, *supplier;
        bool send;
        const char *rule_text;
    } cases[] = {
        { POL("\"required\":true"), NULL, NULL, NULL, false,
          "the request carries no SBOM, which acme-thermostat requires" },
        { POL("\"formats\":[\"cyclonedx-1.6\",\"spdx-2.3\"]"), "1.5", TOP_A, SUPPLIER, true,
          "the SBOM is CycloneDX 1.5, which the policy does not accept (accepted: CycloneDX 1.6, "
          "SPDX 2.3)" },
        { POL(""), "1.4", TOP_A, SUPPLIER, true, "the SBOM cannot be read" },
        { POL("\"describes_artifacts\":true"), "1.6",
          "{\"alg\":\"SHA-256\",\"content\":\"" PT_B256 "\"}", SUPPLIER, true,
          "the SBOM does not describe artifact thermostat-1.4.2.bin" },
        /* the right SHA-256 but a contradicting SHA-512 */
        { POL("\"describes_artifacts\":true"), "1.6",
          "{\"alg\":\"SHA-256\",\"content\":\"" PT_A256 "\"},{\"alg\":\"SHA-512\",\"content\":"
          "\"" PT_B512 "\"}",
          SUPPLIER, true, "the SBOM does not describe artifact thermostat-1.4.2.bin" },
        { POL("\"minimum\":[\"supplier\"]"), "1.6", TOP_A, "", true,
          "component zlib@1.3.1 has no supplier" },
        { POL("\"minimum\":[\"sha512\"]"), "1.6", TOP_A, SUPPLIER, true,
          "component zlib@1.3.1 has no sha512" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = cases[i].send ? cdx(cases[i].spec, cases[i].top, cases[i].supplier) : NULL;
        struct hm_policy_decision *d = eval_sbom(cases[i].policy, s, PT_ART_A);

        pt_assert_denied(d, 1, "sbom", cases[i].rule_text);
        hm_policy_decision_free(d);
        free(s);
    }
}

static void
test_sbom_optional(void **state)
{
    struct hm_policy_decision *d = eval_sbom(POL("\"required\":false"), NULL, PT_ART_A);

    (void)state;
    pt_assert_allowed(d);
    assert_null(hm_policy_decision_sbom_sha256(d));
    hm_policy_decision_free(d);
}

/* Every missing element, with its component; a thousand components without a supplier
 * give a bounded list and a count. */
static void
test_sbom_many_missing(void **state)
{
    struct hm_buf b;
    struct hm_policy_decision *d;
    char *sbom;
    size_t len;

    (void)state;
    hm_buf_init(&b, 0);
    hm_buf_puts(&b, "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"metadata\":{"
                    "\"component\":{\"name\":\"fw\",\"version\":\"1\",\"supplier\":{\"name\":"
                    "\"ACME\"}}},\"components\":[");
    for (int i = 0; i < 1000; i++) {
        hm_buf_printf(&b, "%s{\"type\":\"library\",\"name\":\"c%d\",\"version\":\"1.0\"}",
                      i > 0 ? "," : "", i);
    }
    hm_buf_puts(&b, "]}");
    assert_int_equal(hm_buf_status(&b), HM_OK);
    sbom = (char *)hm_buf_steal(&b, &len);
    d = eval_sbom(POL("\"minimum\":[\"supplier\",\"timestamp\"]"), sbom, PT_ART_A);
    /* 20 listed, one count, one for the timestamp */
    pt_assert_denied(d, 22, "sbom", "component c0@1.0 has no supplier");
    assert_true(pt_has_reason(d, "sbom", "component c19@1.0 has no supplier"));
    assert_false(pt_has_reason(d, "sbom", "component c20@1.0 has no supplier"));
    assert_true(pt_has_reason(d, "sbom", "and 980 more components without supplier"));
    assert_true(pt_has_reason(d, "sbom", "the SBOM has no timestamp"));
    hm_policy_decision_free(d);
    free(sbom);
    hm_buf_free(&b);
}

static void
test_spdx_accepted(void **state)
{
    const char *spdx =
        "{\"spdxVersion\":\"SPDX-2.3\",\"dataLicense\":\"CC0-1.0\",\"SPDXID\":"
        "\"SPDXRef-DOCUMENT\",\"name\":\"fw\",\"documentNamespace\":\"https://acme.example/spdx/"
        "fw-1.4.2\",\"creationInfo\":{\"created\":\"2026-06-01T09:00:00Z\",\"creators\":["
        "\"Organization: ACME\"]},\"documentDescribes\":[\"SPDXRef-fw\"],\"packages\":[{"
        "\"SPDXID\":\"SPDXRef-fw\",\"name\":\"acme-thermostat\",\"versionInfo\":\"1.4.2\","
        "\"downloadLocation\":\"NOASSERTION\",\"supplier\":\"Organization: ACME\","
        "\"checksums\":[{\"algorithm\":\"SHA256\",\"checksumValue\":\"" PT_A256 "\"}]}]}";
    struct hm_policy_decision *d;

    (void)state;
    d = eval_sbom(POL("\"formats\":[\"spdx-2.3\"],\"describes_artifacts\":true"), spdx, PT_ART_A);
    pt_assert_allowed(d);
    hm_policy_decision_free(d);
    d = eval_sbom(POL("\"formats\":[\"spdx-3.0\"]"), spdx, PT_ART_A);
    pt_assert_denied(d, 1, "sbom", "the SBOM is SPDX 2.3, which the policy does not accept");
    hm_policy_decision_free(d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sbom_passes),
        cmocka_unit_test(test_sbom_describes_every_artifact),
        cmocka_unit_test(test_sbom_fails),
        cmocka_unit_test(test_sbom_optional),
        cmocka_unit_test(test_sbom_many_missing),
        cmocka_unit_test(test_spdx_accepted),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

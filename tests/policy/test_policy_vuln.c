/*
 * test_policy_vuln.c: rule 6, the vulnerability gate: the SBOM's components against a
 * local OSV feed and a KEV list.  Known-exploited findings and findings at or above the
 * CVSS limit deny; an OpenVEX statement (from the request or the policy's VEX folder)
 * clears one with not_affected + justification or fixed; the decision lists every
 * finding and the statement that cleared it.
 *
 * The advisories here are written for the test (ids OSV-TEST-*), with the real CVE id
 * and CVSS vector of zlib's CVE-2022-37434 so that the reasons read as in real use.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_test.h"

#define ZLIB_OSV                                                                                   \
    "{\"schema_version\":\"1.6.0\",\"id\":\"OSV-TEST-ZLIB-1\",\"modified\":"                       \
    "\"2024-01-01T00:00:00Z\",\"aliases\":[\"CVE-2022-37434\"],\"summary\":\"inflateGetHeader "    \
    "heap overflow\",\"severity\":[{\"type\":\"CVSS_V3\",\"score\":"                               \
    "\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/"                                                  \
    "A:H\"}],\"affected\":[{\"package\":{\"ecosystem\":\"OSS-Fuzz\",\"name\":\"zlib\",\"purl\":"   \
    "\"pkg:generic/zlib\"},\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"0\"},"   \
    "{\"fixed\":\"1.2.13\"}]}]}]}"
#define LOW_OSV                                                                                    \
    "{\"schema_version\":\"1.6.0\",\"id\":\"OSV-TEST-LWIP-1\",\"modified\":"                       \
    "\"2024-01-01T00:00:00Z\",\"aliases\":[\"CVE-2099-1000\"],\"severity\":[{\"type\":"            \
    "\"CVSS_V3\",\"score\":\"CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N\"}],\"affected\":[{"     \
    "\"package\":{\"ecosystem\":\"OSS-Fuzz\",\"name\":\"lwip\",\"purl\":\"pkg:generic/"            \
    "lwip\"},\"versions\":[\"2.2.0\"]}]}"
#define KEV_OSV                                                                                    \
    "{\"schema_version\":\"1.6.0\",\"id\":\"OSV-TEST-MBEDTLS-1\",\"modified\":"                    \
    "\"2024-01-01T00:00:00Z\",\"aliases\":[\"CVE-2099-2000\"],\"severity\":[{\"type\":"            \
    "\"CVSS_V3\",\"score\":\"CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N\"}],\"affected\":[{"     \
    "\"package\":{\"ecosystem\":\"OSS-Fuzz\",\"name\":\"mbedtls\",\"purl\":\"pkg:generic/"         \
    "mbedtls\"},\"versions\":[\"3.6.2\"]}]}"
#define WORD_OSV                                                                                   \
    "{\"schema_version\":\"1.6.0\",\"id\":\"OSV-TEST-FREERTOS-1\",\"modified\":"                   \
    "\"2024-01-01T00:00:00Z\",\"database_specific\":{\"severity\":\"CRITICAL\"},\"affected\":[{"   \
    "\"package\":{\"ecosystem\":\"OSS-Fuzz\",\"name\":\"freertos\",\"purl\":\"pkg:generic/"        \
    "freertos\"},\"versions\":[\"11.0.0\"]}]}"
#define KEV                                                                                        \
    "{\"title\":\"test KEV\",\"catalogVersion\":\"2026.06.01\",\"dateReleased\":"                  \
    "\"2026-06-01T00:00:00.000Z\",\"count\":1,\"vulnerabilities\":[{\"cveID\":\"CVE-2099-2000\","  \
    "\"vendorProject\":\"Mbed\",\"product\":\"TLS\",\"vulnerabilityName\":\"test\","               \
    "\"dateAdded\":\"2026-05-01\",\"shortDescription\":\"test\",\"requiredAction\":\"patch\","     \
    "\"dueDate\":\"2026-05-22\",\"knownRansomwareCampaignUse\":\"Unknown\",\"notes\":\"\"}]}"

static char *
vex_doc(const char *id, const char *purl, const char *status, const char *justification)
{
    return pt_fmt("{\"@context\":\"https://openvex.dev/ns/v0.2.0\",\"@id\":\"%s\",\"author\":"
                  "\"ACME PSIRT\",\"timestamp\":\"2026-06-01T00:00:00Z\",\"version\":1,"
                  "\"statements\":[{\"vulnerability\":{\"name\":\"CVE-2022-37434\"},\"products\":"
                  "[{\"@id\":\"%s\"}],\"status\":\"%s\"%s%s%s}]}",
                  id, purl, status, justification != NULL ? ",\"justification\":\"" : "",
                  justification != NULL ? justification : "", justification != NULL ? "\"" : "");
}

struct fixture {
    char *dir;
    struct hm_policy *policy, *policy_dir, *policy_score;
};

static struct hm_policy *
load(const char *dir, const char *name, const char *text)
{
    struct hm_policy *p = NULL;
    struct hm_policy_error err;
    char *path;

    pt_write(dir, name, text);
    path = pt_fmt("%s/%s", dir, name);
    if (hm_policy_load(path, &p, &err) != HM_OK) { /* say why before failing */
        print_error("%s: %s\n", err.path, err.message);
    }
    assert_non_null(p);
    free(path);
    return p;
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char *vex = vex_doc("https://acme.example/vex/zlib-1", "pkg:generic/zlib@1.2.12",
                        "not_affected", "vulnerable_code_not_in_execute_path");

    f->dir = pt_tmpdir();
    pt_sh("mkdir -p %s/osv %s/vex %s/empty", f->dir, f->dir, f->dir);
    pt_write(f->dir, "osv/OSV-TEST-ZLIB-1.json", ZLIB_OSV);
    pt_write(f->dir, "osv/OSV-TEST-LWIP-1.json", LOW_OSV);
    pt_write(f->dir, "osv/OSV-TEST-MBEDTLS-1.json", KEV_OSV);
    pt_write(f->dir, "osv/OSV-TEST-FREERTOS-1.json", WORD_OSV);
    pt_write(f->dir, "kev.json", KEV);
    pt_write(f->dir, "vex/zlib.json", vex);
    f->policy = load(f->dir, "p1.json",
                     "{\"version\":1,\"products\":[{\"name\":\"acme-thermostat\","
                     "\"vulnerabilities\":{\"feed\":\"osv\",\"kev\":\"kev.json\","
                     "\"deny_kev\":true,\"max_cvss\":7.0}}]}");
    f->policy_dir = load(f->dir, "p2.json",
                         "{\"version\":1,\"products\":[{\"name\":\"acme-thermostat\","
                         "\"vulnerabilities\":{\"feed\":\"osv\",\"kev\":\"kev.json\","
                         "\"vex_dir\":\"vex\",\"max_cvss\":7.0}}]}");
    f->policy_score = load(f->dir, "p3.json",
                           "{\"version\":1,\"products\":[{\"name\":\"acme-thermostat\","
                           "\"vulnerabilities\":{\"feed\":\"osv\",\"kev\":\"kev.json\"}}]}");
    free(vex);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    if (f == NULL) {
        return 0; /* the setup failed before handing it over */
    }
    hm_policy_free(f->policy);
    hm_policy_free(f->policy_dir);
    hm_policy_free(f->policy_score);
    pt_rmdir(f->dir);
    free(f);
    return 0;
}

/* A request whose SBOM lists the given (name, version) components, with VEX documents. */
static struct hm_policy_decision *
eval(const struct hm_policy *p, const char *components, const char *vex)
{
    char *sbom = pt_fmt("{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"metadata\":{"
                        "\"component\":{\"name\":\"acme-thermostat\",\"version\":\"1.4.2\","
                        "\"purl\":\"pkg:generic/acme-thermostat@1.4.2\"}},\"components\":[%s]}",
                        components);
    char *body = pt_fmt(
        "{\"product\":\"acme-thermostat\",\"version\":\"1.4.2\",\"artifacts\":[" PT_ART_A
        "],\"sbom\":%s%s%s%s}",
        sbom, vex != NULL ? ",\"vex\":[" : "", vex != NULL ? vex : "", vex != NULL ? "]" : "");
    struct hm_policy_request *r = pt_request(body);
    struct hm_policy_decision *d = pt_eval(p, r, &PT_CI_ACME, NULL, PT_NOW);

    hm_policy_request_free(r);
    free(body);
    free(sbom);
    return d;
}

#define C(name, ver)                                                                               \
    "{\"type\":\"library\",\"name\":\"" name "\",\"version\":\"" ver "\",\"purl\":"                \
    "\"pkg:generic/" name "@" ver "\"}"

static void
test_clean_and_accepted(void **state)
{
    struct fixture *f = *state;
    struct hm_policy_decision *d = eval(f->policy, C("zlib", "1.3.1") "," C("lwip", "2.2.0"), NULL);
    const struct hm_policy_finding *fi;

    pt_assert_allowed(d);
    /* below the limit and not known exploited: listed, accepted */
    assert_int_equal(hm_policy_decision_n_findings(d), 1);
    fi = hm_policy_decision_finding(d, 0);
    assert_string_equal(fi->id, "CVE-2099-1000");
    assert_string_equal(fi->component, "lwip");
    assert_string_equal(fi->version, "2.2.0");
    assert_int_equal(fi->status, HM_FINDING_ACCEPTED);
    assert_true(fi->cvss > 0 && fi->cvss < 7.0);
    assert_false(fi->kev);
    assert_null(fi->vex);
    hm_policy_decision_free(d);
}

static void
test_denied_findings(void **state)
{
    struct fixture *f = *state;
    struct hm_policy_decision *d;
    const struct hm_policy_reason *r;

    d = eval(f->policy, C("zlib", "1.2.12"), NULL);
    pt_assert_denied(d, 1, "vulnerabilities",
                     "zlib 1.2.12 is affected by CVE-2022-37434 (CVSS 9.8, at or above the "
                     "policy's limit), in CISA KEV: no");
    r = hm_policy_decision_reason(d, 0);
    assert_non_null(strstr(r->hint, "upgrade zlib"));
    assert_non_null(strstr(r->hint, "OpenVEX statement for CVE-2022-37434: not_affected"));
    assert_int_equal(hm_policy_decision_finding(d, 0)->status, HM_FINDING_DENIED);
    hm_policy_decision_free(d);

    d = eval(f->policy, C("mbedtls", "3.6.2"), NULL);
    pt_assert_denied(d, 1, "vulnerabilities",
                     "mbedtls 3.6.2 is affected by CVE-2099-2000 (CVSS 1.8), in CISA KEV: yes");
    assert_true(hm_policy_decision_finding(d, 0)->kev);
    hm_policy_decision_free(d);

    /* a severity word without a vector: CRITICAL counts as 9.0 */
    d = eval(f->policy, C("freertos", "11.0.0"), NULL);
    pt_assert_denied(d, 1, "vulnerabilities",
                     "freertos 11.0.0 is affected by OSV-TEST-FREERTOS-1 "
                     "(severity critical, no CVSS v3 score, at or above");
    hm_policy_decision_free(d);

    /* both at once, and the accepted one */
    d = eval(f->policy, C("zlib", "1.2.12") "," C("mbedtls", "3.6.2") "," C("lwip", "2.2.0"), NULL);
    pt_assert_denied(d, 2, "vulnerabilities", "CVE-2022-37434");
    assert_true(pt_has_reason(d, "vulnerabilities", "CVE-2099-2000"));
    assert_int_equal(hm_policy_decision_n_findings(d), 3);
    hm_policy_decision_free(d);
}

/* Without max_cvss only the known-exploited list denies. */
static void
test_kev_only(void **state)
{
    struct fixture *f = *state;
    struct hm_policy_decision *d = eval(f->policy_score, C("zlib", "1.2.12"), NULL);

    pt_assert_allowed(d);
    assert_int_equal(hm_policy_decision_finding(d, 0)->status, HM_FINDING_ACCEPTED);
    hm_policy_decision_free(d);
    d = eval(f->policy_score, C("mbedtls", "3.6.2"), NULL);
    pt_assert_denied(d, 1, "vulnerabilities", "in CISA KEV: yes");
    hm_policy_decision_free(d);
}

static void
test_vex_in_request(void **state)
{
    struct fixture *f = *state;
    char *ok = vex_doc("https://acme.example/vex/1", "pkg:generic/zlib@1.2.12", "not_affected",
                       "vulnerable_code_not_present");
    char *fixed = vex_doc("https://acme.example/vex/2", "pkg:generic/zlib@1.2.12", "fixed", NULL);
    char *bare =
        vex_doc("https://acme.example/vex/3", "pkg:generic/zlib@1.2.12", "not_affected", NULL);
    char *other = vex_doc("https://acme.example/vex/4", "pkg:generic/zlib@1.2.11", "not_affected",
                          "vulnerable_code_not_present");
    struct hm_policy_decision *d;
    const struct hm_policy_finding *fi;

    d = eval(f->policy, C("zlib", "1.2.12"), ok);
    pt_assert_allowed(d);
    fi = hm_policy_decision_finding(d, 0);
    assert_int_equal(fi->status, HM_FINDING_CLEARED);
    assert_non_null(fi->vex);
    assert_non_null(strstr(fi->vex, "request.vex[0] https://acme.example/vex/1"));
    assert_non_null(strstr(fi->vex, "not_affected: vulnerable_code_not_present"));
    assert_string_equal(hm_policy_decision_input(d, 1)->name, "request.vex[0]");
    hm_policy_decision_free(d);

    d = eval(f->policy, C("zlib", "1.2.12"), fixed);
    pt_assert_allowed(d);
    assert_int_equal(hm_policy_decision_finding(d, 0)->status, HM_FINDING_CLEARED);
    hm_policy_decision_free(d);

    /* not_affected needs a justification (OpenVEX) */
    d = eval(f->policy, C("zlib", "1.2.12"), bare);
    pt_assert_denied(d, 1, "vulnerabilities", "does not clear it");
    hm_policy_decision_free(d);

    /* a statement about another version does not apply */
    d = eval(f->policy, C("zlib", "1.2.12"), other);
    pt_assert_denied(d, 1, "vulnerabilities", "CVE-2022-37434");
    assert_null(hm_policy_decision_finding(d, 0)->vex);
    hm_policy_decision_free(d);

    /* a VEX document that cannot be read is a reason of its own */
    d = eval(f->policy, C("zlib", "1.3.1"), "{\"@context\":\"https://openvex.dev/ns/v0.2.0\"}");
    pt_assert_denied(d, 1, "vulnerabilities", "vex[0] cannot be read");
    hm_policy_decision_free(d);

    free(ok);
    free(fixed);
    free(bare);
    free(other);
}

static void
test_vex_from_policy_folder(void **state)
{
    struct fixture *f = *state;
    struct hm_policy_decision *d = eval(f->policy_dir, C("zlib", "1.2.12"), NULL);
    const struct hm_policy_finding *fi;
    bool listed = false;

    pt_assert_allowed(d);
    fi = hm_policy_decision_finding(d, 0);
    assert_int_equal(fi->status, HM_FINDING_CLEARED);
    assert_non_null(strstr(fi->vex, "policy.vex_dir/zlib.json"));
    for (size_t i = 0; i < hm_policy_decision_n_inputs(d); i++) {
        listed =
            listed || strcmp(hm_policy_decision_input(d, i)->name, "policy.vex_dir/zlib.json") == 0;
    }
    assert_true(listed); /* the VSA lists every input */
    hm_policy_decision_free(d);
}

static void
test_no_sbom(void **state)
{
    struct fixture *f = *state;
    struct hm_policy_request *r = pt_request(
        "{\"product\":\"acme-thermostat\",\"version\":\"1.4.2\",\"artifacts\":[" PT_ART_A "]}");
    struct hm_policy_decision *d = pt_eval(f->policy, r, &PT_CI_ACME, NULL, PT_NOW);

    pt_assert_denied(d, 1, "vulnerabilities",
                     "no advisory could be matched: the request carries no SBOM");
    hm_policy_decision_free(d);
    hm_policy_request_free(r);
}

/* A broken advisory file or KEV list fails the load, naming the key. */
static void
test_broken_feed(void **state)
{
    struct fixture *f = *state;
    struct hm_policy *p = NULL;
    struct hm_policy_error err;
    char *path = pt_fmt("%s/p4.json", f->dir);

    pt_sh("mkdir -p %s/bad", f->dir);
    pt_write(f->dir, "bad/x.json",
             "{\"id\":\"x\",\"affected\":[{\"ranges\":[{\"type\":\"SEMVER\","
             "\"events\":[{\"fixd\":\"1\"}]}]}]}");
    pt_write(f->dir, "p4.json",
             "{\"version\":1,\"products\":[{\"name\":\"acme-thermostat\",\"vulnerabilities\":{"
             "\"feed\":\"bad\",\"kev\":\"kev.json\"}}]}");
    assert_int_equal(hm_policy_load(path, &p, &err), HM_E_INVALID);
    assert_string_equal(err.path, "$.products[0].vulnerabilities.feed");
    assert_non_null(strstr(err.message, "x.json"));
    assert_null(p);
    pt_write(f->dir, "p4.json",
             "{\"version\":1,\"products\":[{\"name\":\"acme-thermostat\",\"vulnerabilities\":{"
             "\"feed\":\"osv\",\"kev\":\"kev.json\",\"vex_dir\":\"nowhere\"}}]}");
    assert_int_equal(hm_policy_load(path, &p, &err), HM_E_NOTFOUND);
    assert_string_equal(err.path, "$.products[0].vulnerabilities.vex_dir");
    assert_null(p);
    free(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_and_accepted),
        cmocka_unit_test(test_denied_findings),
        cmocka_unit_test(test_kev_only),
        cmocka_unit_test(test_vex_in_request),
        cmocka_unit_test(test_vex_from_policy_folder),
        cmocka_unit_test(test_no_sbom),
        cmocka_unit_test(test_broken_feed),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_vuln.c: CVSS v3.1 base scores (the specification's examples), version order, OSV
 * ranges (SEMVER, ECOSYSTEM, explicit versions, last_affected, several ranges), CISA KEV,
 * OpenVEX clearing rules, and an integration run on real data: a CycloneDX SBOM that
 * @cyclonedx/cyclonedx-npm generates for a small package tree, real OSV advisories for its
 * components (github/advisory-database, golang/vulndb), a real CISA KEV excerpt, and a VEX
 * that clears one finding.  Records written here are marked "hand-made" next to them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "vuln.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define NOW     1796000000LL /* 2026-11-30 */

static const char *
src(const char *rel, char *buf, size_t len)
{
    const char *root = getenv("HM_SRC");

    snprintf(buf, len, "%s/%s", root != NULL ? root : ".", rel);
    return buf;
}

static uint8_t *
slurp(const char *rel, size_t *len)
{
    char path[4096];
    uint8_t *buf = NULL;

    assert_int_equal(hm_read_file(src(rel, path, sizeof(path)), 32u << 20, &buf, len), HM_OK);
    return buf;
}

static struct hm_vulnfeed *
real_feed(void)
{
    char osv[4096], kev[4096], why[256] = "";
    struct hm_vulnfeed *feed = NULL;

    if (hm_vulnfeed_load(src("tests/policy/data/osv", osv, sizeof(osv)),
                         src("tests/policy/data/kev.json", kev, sizeof(kev)), &feed, why,
                         sizeof(why)) != HM_OK) {
        fail_msg("feed: %s", why);
    }
    return feed;
}

static struct hm_sbom *
sbom_str(const char *doc)
{
    struct hm_sbom *s = NULL;
    char why[256] = "";

    if (hm_sbom_parse(doc, strlen(doc), &s, why, sizeof(why)) != HM_OK) {
        fail_msg("sbom: %s", why);
    }
    return s;
}

/* A CycloneDX SBOM for a firmware "pkg:generic/acme-thermostat@1.4.2" holding one
 * component with this purl and version. */
static struct hm_sbom *
sbom_one(const char *purl, const char *version)
{
    char doc[2048];

    snprintf(doc, sizeof(doc),
             "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"metadata\":{\"component\":"
             "{\"type\":\"firmware\",\"bom-ref\":\"fw\",\"name\":\"acme-thermostat\",\"version\":"
             "\"1.4.2\",\"purl\":\"pkg:generic/acme-thermostat@1.4.2\"}},\"components\":[{\"type\":"
             "\"library\",\"bom-ref\":\"c\",\"name\":\"c\"%s%s%s,\"purl\":\"%s\"}]}",
             version != NULL ? ",\"version\":\"" : "", version != NULL ? version : "",
             version != NULL ? "\"" : "", purl);
    return sbom_str(doc);
}

/* ---- CVSS ---- */

static void
test_cvss31_specification_examples(void **state)
{
    /* CVSS v3.1 Examples document (FIRST), vector -> base score. */
    static const struct {
        const char *cve, *vector;
        double score;
    } cases[] = {
        { "CVE-2013-1937", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1 },
        { "CVE-2013-0375", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4 },
        { "CVE-2014-3566", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1 },
        { "CVE-2012-1516", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9 },
        { "CVE-2009-0783", "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", 4.2 },
        { "CVE-2012-0384", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8 },
        { "CVE-2015-1098", "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8 },
        { "CVE-2014-0160", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5 },
        { "CVE-2014-6271", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8 },
        { "CVE-2008-1447", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", 6.8 },
        { "CVE-2014-2005", "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 6.8 },
        { "CVE-2010-0467", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8 },
        { "CVE-2012-1342", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N", 5.8 },
        { "CVE-2013-6014", "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:N/I:H/A:H", 9.3 },
        { "CVE-2014-9253", "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 5.4 },
        { "CVE-2011-1265", "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.8 },
        { "CVE-2014-2019", "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N", 4.6 },
        { "CVE-2015-0970", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8 },
        { "CVE-2016-5729", "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H", 8.2 },
        { "CVE-2015-2890", "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 4.6 },
        { "CVE-2014-0224", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N", 7.4 },
        { "CVE-2016-1645", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8 },
        /* the advisories in tests/policy/data/osv */
        { "CVE-2021-23337", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2 },
        { "CVE-2020-28500", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 5.3 },
        { "CVE-2021-44228", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0 },
        { "no impact", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0 },
        { "3.0 vector", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8 },
        { "temporal metrics ignored", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O",
          9.8 },
        { "metrics in any order", "CVSS:3.1/S:U/AV:N/AC:L/PR:N/UI:N/A:H/I:H/C:H", 9.8 },
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        double s = -2;
        char why[128] = "";

        assert_int_equal(hm_cvss3_base_score(cases[i].vector, &s, why, sizeof(why)), HM_OK);
        if ((long)(s * 10 + 0.5) != (long)(cases[i].score * 10 + 0.5)) {
            fail_msg("%s: %s gave %.1f, want %.1f", cases[i].cve, cases[i].vector, s,
                     cases[i].score);
        }
    }
}

static void
test_cvss_refuses_bad_vectors(void **state)
{
    static const struct {
        const char *vector, *why;
    } cases[] = {
        { "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
          "CVSS vector must start with CVSS:3.0/ or CVSS:3.1/" },
        { "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
          "CVSS vector must start with CVSS:3.0/ or CVSS:3.1/" },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "CVSS vector: base metric A is missing" },
        { "CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
          "CVSS vector: metric AV repeated or with a bad value" },
        { "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
          "CVSS vector: metric AV repeated or with a bad value" },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1",
          "CVSS vector: unknown or repeated metric" },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/E:P",
          "CVSS vector: unknown or repeated metric" },
        { "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", "CVSS vector: trailing '/'" },
        { "CVSS:3.1/AV:NN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
          "CVSS vector: malformed metric at offset 9" },
        { "CVSS:3.1/AV/AC:L", "CVSS vector: malformed metric at offset 9" },
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        double s = 0;
        char why[128] = "";

        assert_int_equal(hm_cvss3_base_score(cases[i].vector, &s, why, sizeof(why)), HM_E_INVALID);
        if (strcmp(why, cases[i].why) != 0) {
            fail_msg("%s: \"%s\", want \"%s\"", cases[i].vector, why, cases[i].why);
        }
        assert_true(s < 0);
    }
}

static void
test_severity_words(void **state)
{
    enum hm_severity s;

    (void)state;
    assert_int_equal(hm_severity_from_score(-1), HM_SEV_UNKNOWN);
    assert_int_equal(hm_severity_from_score(0), HM_SEV_NONE);
    assert_int_equal(hm_severity_from_score(0.1), HM_SEV_LOW);
    assert_int_equal(hm_severity_from_score(3.9), HM_SEV_LOW);
    assert_int_equal(hm_severity_from_score(4.0), HM_SEV_MEDIUM);
    assert_int_equal(hm_severity_from_score(6.9), HM_SEV_MEDIUM);
    assert_int_equal(hm_severity_from_score(7.0), HM_SEV_HIGH);
    assert_int_equal(hm_severity_from_score(8.9), HM_SEV_HIGH);
    assert_int_equal(hm_severity_from_score(9.0), HM_SEV_CRITICAL);
    assert_int_equal(hm_severity_parse("MODERATE", &s), HM_OK);
    assert_int_equal(s, HM_SEV_MEDIUM);
    assert_int_equal(hm_severity_parse("Critical", &s), HM_OK);
    assert_int_equal(s, HM_SEV_CRITICAL);
    assert_int_equal(hm_severity_parse("severe", &s), HM_E_INVALID);
    assert_string_equal(hm_severity_name(HM_SEV_HIGH), "high");
}

static void
test_version_order(void **state)
{
    static const struct {
        const char *lo, *hi;
    } cases[] = {
        { "4.17.20", "4.17.21" },
        { "1.2.9", "1.2.10" },
        { "v0.16.0", "0.17.0" },
        { "1.21.0-0", "1.21.0-rc.1" },
        { "1.21.0-rc.1", "1.21.0" },
        { "1.2", "1.2.1" },
        { "2.4", "2.12.2" }, /* not SemVer: dotted-numeric */
        { "2.3.1", "2.4" },
        { "1.2-rc1", "1.2" },
        { "4.1.99.Final", "4.1.100.Final" },
        { "1.0.0", "1.0.1" },
        { "0.2.3", "0.2.4" },
        { "001.2", "1.3" },
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        if (hm_vuln_version_cmp(cases[i].lo, cases[i].hi) >= 0 ||
            hm_vuln_version_cmp(cases[i].hi, cases[i].lo) <= 0) {
            fail_msg("want %s < %s", cases[i].lo, cases[i].hi);
        }
    }
    assert_int_equal(hm_vuln_version_cmp("v1.2.3", "1.2.3"), 0);
    assert_int_equal(hm_vuln_version_cmp("1.2.3+build", "1.2.3"), 0); /* SemVer: build ignored */
    assert_int_equal(hm_vuln_version_cmp("01.2", "1.2"), 0);
}

/* ---- matching on the real advisories ---- */

static void
test_match_real_advisories(void **state)
{
    static const struct {
        const char *purl, *version;
        const char *ids; /* the advisory ids found, space-separated */
    } cases[] = {
        /* ECOSYSTEM ranges (npm) */
        { "pkg:npm/lodash@4.17.20", "4.17.20", "GHSA-29mw-wpgm-hmr9 GHSA-35jh-r3h4-6jhm" },
        { "pkg:npm/lodash@4.17.21", "4.17.21", "" }, /* fixed is exclusive */
        { "pkg:npm/lodash@1.0.0", NULL, "GHSA-29mw-wpgm-hmr9 GHSA-35jh-r3h4-6jhm" },
        { "pkg:npm/lodash-es@4.17.15", "4.17.15", "GHSA-29mw-wpgm-hmr9 GHSA-35jh-r3h4-6jhm" },
        /* two affected entries of one advisory */
        { "pkg:npm/minimist@1.2.5", "1.2.5", "GHSA-xvch-5gv4-984h" },
        { "pkg:npm/minimist@1.0.0", "1.0.0", "GHSA-xvch-5gv4-984h" }, /* introduced inclusive */
        { "pkg:npm/minimist@1.2.6", "1.2.6", "" },
        { "pkg:npm/minimist@0.2.3", "0.2.3", "GHSA-xvch-5gv4-984h" },
        { "pkg:npm/minimist@0.2.4", "0.2.4", "" },
        /* last_affected is inclusive */
        { "pkg:npm/lodash.trim@4.5.1", "4.5.1", "GHSA-29mw-wpgm-hmr9" },
        { "pkg:npm/lodash.trim@4.5.2", "4.5.2", "" },
        /* SEMVER ranges (Go), one with two intervals and a pre-release bound */
        { "pkg:golang/golang.org/x/net@v0.16.0", "v0.16.0", "GO-2023-2102" },
        { "pkg:golang/golang.org/x/net@v0.17.0", "v0.17.0", "" },
        { "pkg:golang/stdlib@1.20.9", "1.20.9", "GO-2023-2102" },
        { "pkg:golang/stdlib@1.20.10", "1.20.10", "" },
        { "pkg:golang/stdlib@1.21.0-rc.1", "1.21.0-rc.1", "GO-2023-2102" },
        { "pkg:golang/stdlib@1.21.2", "1.21.2", "GO-2023-2102" },
        { "pkg:golang/stdlib@1.21.3", "1.21.3", "" },
        { "pkg:golang/github.com/gin-gonic/gin@v1.5.0", "v1.5.0", "GO-2020-0001" },
        { "pkg:golang/github.com/gin-gonic/gin@v1.6.0", "v1.6.0", "" },
        /* the same name in another ecosystem, qualifiers, case */
        { "pkg:pypi/lodash@4.17.20", "4.17.20", "" },
        { "pkg:npm/lodash@4.17.20?repository_url=https://registry.npmjs.org#dist", "4.17.20",
          "GHSA-29mw-wpgm-hmr9 GHSA-35jh-r3h4-6jhm" },
        { "pkg:NPM/Minimist@1.2.5", "1.2.5", "GHSA-xvch-5gv4-984h" },
        { "pkg:generic/acme-thermostat@1.4.2", "1.4.2", "" },
    };
    struct hm_vulnfeed *feed = real_feed();

    (void)state;
    assert_int_equal(hm_vulnfeed_n_advisories(feed), 5);
    assert_int_equal(hm_vulnfeed_n_kev(feed), 4);
    for (size_t i = 0; i < N_OF(cases); i++) {
        struct hm_sbom *s = sbom_one(cases[i].purl, cases[i].version);
        struct hm_vuln_finding *f = NULL;
        size_t n = 0;
        char got[256] = "";

        assert_int_equal(hm_vuln_match(feed, s, NULL, 0, NOW, &f, &n), HM_OK);
        for (size_t j = 0; j < n; j++) {
            strcat(got, j > 0 ? " " : "");
            strcat(got, f[j].id);
            assert_string_equal(f[j].component_purl, cases[i].purl);
            assert_string_equal(f[j].component_ref, "c");
            assert_false(f[j].vex_applied);
        }
        if (strcmp(got, cases[i].ids) != 0) {
            fail_msg("%s: found \"%s\", want \"%s\"", cases[i].purl, got, cases[i].ids);
        }
        assert_true(n > 0 || f == NULL);
        hm_vuln_findings_free(f, n);
        hm_sbom_free(s);
    }
    hm_vulnfeed_free(feed);
}

static void
test_finding_fields_and_kev(void **state)
{
    struct hm_vulnfeed *feed = real_feed();
    struct hm_sbom *s = sbom_one("pkg:golang/golang.org/x/net@v0.16.0", "v0.16.0");
    struct hm_vuln_finding *f = NULL;
    size_t n = 0;

    (void)state;
    assert_true(hm_vulnfeed_in_kev(feed, "CVE-2023-44487"));
    assert_true(hm_vulnfeed_in_kev(feed, "CVE-2023-22515"));
    assert_false(hm_vulnfeed_in_kev(feed, "CVE-2021-23337"));
    assert_string_equal(hm_vulnfeed_kev_version(feed), "2025.02.25");
    assert_int_equal(hm_vuln_match(feed, s, NULL, 0, NOW, &f, &n), HM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].id, "GO-2023-2102");
    assert_string_equal(f[0].cve, "CVE-2023-44487"); /* the first CVE alias */
    assert_int_equal(f[0].n_aliases, 3);
    assert_true(f[0].in_kev);
    assert_string_equal(f[0].kev_date_added, "2023-10-10");
    assert_false(f[0].kev_ransomware);
    assert_true(f[0].cvss < 0);                      /* Go advisories carry no vector ... */
    assert_int_equal(f[0].severity, HM_SEV_UNKNOWN); /* ... and no severity word */
    assert_string_equal(f[0].summary, "HTTP/2 rapid reset can cause excessive work in net/http");
    assert_string_equal(f[0].component_name, "c");
    assert_string_equal(f[0].component_version, "v0.16.0");
    hm_vuln_findings_free(f, n);
    hm_sbom_free(s);

    s = sbom_one("pkg:npm/minimist@1.2.5", "1.2.5");
    assert_int_equal(hm_vuln_match(feed, s, NULL, 0, NOW, &f, &n), HM_OK);
    assert_int_equal(n, 1);
    assert_false(f[0].in_kev);
    assert_null(f[0].kev_date_added);
    assert_true(f[0].cvss > 9.75 && f[0].cvss < 9.85);
    assert_string_equal(f[0].cvss_vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    assert_int_equal(f[0].severity, HM_SEV_CRITICAL);
    assert_string_equal(f[0].cve, "CVE-2021-44906");
    hm_vuln_findings_free(f, n);
    hm_sbom_free(s);
    hm_vulnfeed_free(feed);
}

/* ---- hand-made records: explicit versions, GIT repositories, Maven, fallbacks ---- */

static struct hm_vulnfeed *
feed_of(const char *const *records, size_t n)
{
    struct hm_vulnfeed *feed = NULL;
    char why[256] = "";

    assert_int_equal(hm_vulnfeed_new(&feed), HM_OK);
    for (size_t i = 0; i < n; i++) {
        if (hm_vulnfeed_add_osv(feed, records[i], strlen(records[i]), why, sizeof(why)) != HM_OK) {
            fail_msg("record %zu: %s", i, why);
        }
    }
    return feed;
}

/* hand-made, shaped like osv.dev's CVE records for C libraries (GIT range + tag list) */
static const char GIT_RECORD[] =
    "{\"schema_version\":\"1.6.0\",\"id\":\"HM-TEST-0001\",\"modified\":\"2026-01-01T00:00:00Z\","
    "\"aliases\":[\"CVE-0000-0001\"],\"affected\":[{\"ranges\":[{\"type\":\"GIT\",\"repo\":"
    "\"https://github.com/Mbed-TLS/mbedtls.git\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":"
    "\"ae79fb2c2ef1fc9f61dab91fa029d7916abff78b\"}]}],\"versions\":[\"v3.6.0\",\"v3.6.1\","
    "\"v3.6.2\",\"mbedtls-3.6.2\"]}],\"database_specific\":{\"severity\":\"HIGH\"}}";
/* hand-made: Maven versions that are not SemVer ("2.4"), explicit versions list */
static const char MAVEN_RECORD[] =
    "{\"id\":\"HM-TEST-0002\",\"affected\":[{\"package\":{\"ecosystem\":\"Maven\",\"name\":"
    "\"org.example:widget\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":"
    "\"2.4\"},{\"fixed\":\"2.12.2\"}]}],\"versions\":[\"1.9-beta\"]}]}";
/* hand-made: withdrawn before NOW, and one withdrawn after NOW */
static const char WITHDRAWN_RECORD[] =
    "{\"id\":\"HM-TEST-0003\",\"withdrawn\":\"2026-01-01T00:00:00Z\",\"affected\":[{\"package\":"
    "{\"ecosystem\":\"npm\",\"name\":\"left-pad\"},\"versions\":[\"1.0.0\"]}]}";
static const char LATER_WITHDRAWN_RECORD[] =
    "{\"id\":\"HM-TEST-0004\",\"withdrawn\":\"2027-06-01T00:00:00Z\",\"affected\":[{\"package\":"
    "{\"ecosystem\":\"npm\",\"name\":\"left-pad\",\"purl\":\"pkg:npm/left-pad\"},\"severity\":"
    "[{\"type\":\"CVSS_V3\",\"score\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N\"}],"
    "\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"0\"},{\"last_affected\":"
    "\"1.0.0\"}]}]}]}";

static void
test_match_versions_git_and_fallbacks(void **state)
{
    static const char *const records[] = { GIT_RECORD, MAVEN_RECORD, WITHDRAWN_RECORD,
                                           LATER_WITHDRAWN_RECORD };
    static const struct {
        const char *purl, *version, *ids;
    } cases[] = {
        { "pkg:github/Mbed-TLS/mbedtls@v3.6.2", "3.6.2", "HM-TEST-0001" }, /* tag in versions[] */
        { "pkg:github/mbed-tls/MBEDTLS@v3.6.1", NULL, "HM-TEST-0001" },    /* github: any case */
        { "pkg:github/Mbed-TLS/mbedtls@v3.6.3", "3.6.3", "" },             /* GIT range not used */
        { "pkg:github/Mbed-TLS/mbedtls-fork@v3.6.2", "3.6.2", "" },
        { "pkg:maven/org.example/widget@2.10.0", "2.10.0", "HM-TEST-0002" },
        { "pkg:maven/org.example/widget@2.4", "2.4", "HM-TEST-0002" },
        { "pkg:maven/org.example/widget@2.3.9", "2.3.9", "" },
        { "pkg:maven/org.example/widget@2.12.2", "2.12.2", "" },
        { "pkg:maven/org.example/widget@1.9-beta", "1.9-beta", "HM-TEST-0002" }, /* versions[] */
        { "pkg:npm/left-pad@1.0.0", "1.0.0", "HM-TEST-0004" }, /* 0003 withdrawn already */
        { "pkg:npm/left-pad@1.0.1", "1.0.1", "" },
    };
    struct hm_vulnfeed *feed = feed_of(records, N_OF(records));

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        struct hm_sbom *s = sbom_one(cases[i].purl, cases[i].version);
        struct hm_vuln_finding *f = NULL;
        size_t n = 0;
        char got[128] = "";

        assert_int_equal(hm_vuln_match(feed, s, NULL, 0, NOW, &f, &n), HM_OK);
        for (size_t j = 0; j < n; j++) {
            strcat(got, j > 0 ? " " : "");
            strcat(got, f[j].id);
        }
        if (strcmp(got, cases[i].ids) != 0) {
            fail_msg("%s: found \"%s\", want \"%s\"", cases[i].purl, got, cases[i].ids);
        }
        if (n == 1 && strcmp(f[0].id, "HM-TEST-0001") == 0) {
            assert_true(f[0].cvss < 0);
            assert_int_equal(f[0].severity, HM_SEV_HIGH); /* database_specific.severity */
            assert_string_equal(f[0].cve, "CVE-0000-0001");
        }
        if (n == 1 && strcmp(f[0].id, "HM-TEST-0004") == 0) {
            assert_true(f[0].cvss > 5.25 && f[0].cvss < 5.35); /* affected[].severity */
            assert_int_equal(f[0].severity, HM_SEV_MEDIUM);
        }
        hm_vuln_findings_free(f, n);
        hm_sbom_free(s);
    }
    hm_vulnfeed_free(feed);
}

/* The firmware example: nothing in the real feed names its C components; the hand-made GIT
 * record for Mbed TLS does (by the purl's tag). */
static void
test_match_firmware_example(void **state)
{
    static const char *const records[] = { GIT_RECORD };
    struct hm_vulnfeed *real = real_feed(), *git = feed_of(records, 1);
    size_t len = 0, n = 0;
    uint8_t *buf = slurp("examples/firmware/acme-thermostat-1.4.2.cdx.json", &len);
    struct hm_sbom *s = NULL;
    struct hm_vuln_finding *f = NULL;
    char why[256] = "";

    (void)state;
    assert_int_equal(hm_sbom_parse(buf, len, &s, why, sizeof(why)), HM_OK);
    assert_int_equal(hm_vuln_match(real, s, NULL, 0, NOW, &f, &n), HM_OK);
    assert_int_equal(n, 0);
    assert_null(f);
    assert_int_equal(hm_vuln_match(git, s, NULL, 0, NOW, &f, &n), HM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].component_name, "mbedtls");
    assert_string_equal(f[0].component_ref, "mbedtls");
    hm_vuln_findings_free(f, n);
    hm_sbom_free(s);
    free(buf);
    hm_vulnfeed_free(real);
    hm_vulnfeed_free(git);
}

/* ---- OSV and KEV parsing: attacker's documents ---- */

static void
test_osv_refuses_hostile_records(void **state)
{
    static const struct {
        const char *doc, *why;
        hm_err want;
    } cases[] = {
        { "{\"id\":\"X\",\"affectd\":[]}", "OSV: unknown key \"affectd\"", HM_E_INVALID },
        { "{\"affected\":[]}", "OSV: id must be a non-empty string", HM_E_INVALID },
        { "{\"id\":\"X\",\"schema_version\":\"2.0.0\"}", "OSV: schema_version must be 1.x",
          HM_E_INVALID },
        { "{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},"
          "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\",\"fixed\":\"1\"}]}"
          "]}]}",
          "an event must be one of {introduced|fixed|last_affected|limit: version}", HM_E_INVALID },
        { "{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},"
          "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"fixd\":\"1\"}]}]}]}",
          "an event must be one of {introduced|fixed|last_affected|limit: version}", HM_E_INVALID },
        { "{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},"
          "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[]}]}]}",
          "ranges[]: events must be a non-empty array", HM_E_INVALID },
        { "{\"id\":\"X\",\"affected\":[{\"ranges\":[{\"type\":\"GIT\",\"events\":"
          "[{\"introduced\":\"0\"}]}]}]}",
          "ranges[]: a GIT range needs repo", HM_E_INVALID },
        { "{\"id\":\"X\",\"affected\":[{\"ranges\":[{\"type\":\"NUMERIC\",\"events\":"
          "[{\"introduced\":\"0\"}]}]}]}",
          "ranges[]: type NUMERIC is not SEMVER, ECOSYSTEM or GIT", HM_E_INVALID },
        { "{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\"}}]}",
          "affected[].package must be {ecosystem, name, purl?} strings", HM_E_INVALID },
        { "{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\","
          "\"purl\":\"npm/a\"}}]}",
          "affected[].package.purl is not a valid purl", HM_E_INVALID },
        { "{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},"
          "\"extra\":1}]}",
          "affected[]: unknown key \"extra\"", HM_E_INVALID },
        { "{\"id\":\"X\",\"severity\":[{\"type\":\"CVSS_V3\",\"score\":\"7.5\"}]}",
          "CVSS vector must start with CVSS:3.0/ or CVSS:3.1/", HM_E_INVALID },
        { "{\"id\":\"X\",\"withdrawn\":\"last year\"}", "OSV: withdrawn is not an RFC 3339 time",
          HM_E_INVALID },
        { "{\"id\":\"X\",\"id\":\"Y\"}", "OSV: duplicate key \"id\" at byte 10", HM_E_INVALID },
        { "[]", "OSV: not a JSON object", HM_E_INVALID },
    };
    struct hm_vulnfeed *feed = NULL;

    (void)state;
    assert_int_equal(hm_vulnfeed_new(&feed), HM_OK);
    for (size_t i = 0; i < N_OF(cases); i++) {
        char why[256] = "";
        hm_err err =
            hm_vulnfeed_add_osv(feed, cases[i].doc, strlen(cases[i].doc), why, sizeof(why));

        if (err != cases[i].want || strcmp(why, cases[i].why) != 0) {
            fail_msg("case %zu: %s \"%s\", want \"%s\"", i, hm_strerror(err), why, cases[i].why);
        }
    }
    assert_int_equal(hm_vulnfeed_n_advisories(feed), 0); /* nothing half-added */
    hm_vulnfeed_free(feed);
}

static void
test_kev_strictness(void **state)
{
#define KEV_ENTRY(cve)                                                                             \
    "{\"cveID\":\"" cve "\",\"vendorProject\":\"V\",\"product\":\"P\",\"dateAdded\":"              \
    "\"2024-01-02\",\"knownRansomwareCampaignUse\":\"Known\"}"
    static const struct {
        const char *doc, *why;
    } cases[] = {
        { "{\"catalogVersion\":\"1\",\"count\":2,\"vulnerabilities\":[" KEV_ENTRY(
              "CVE-2024-0001") "]}",
          "KEV: count is 2 but 1 entries are present (truncated?)" },
        { "{\"catalogVersion\":\"1\",\"count\":2,\"vulnerabilities\":[" KEV_ENTRY(
              "CVE-2024-0001") "," KEV_ENTRY("CVE-2024-0001") "]}",
          "KEV: CVE-2024-0001 is listed twice" },
        { "{\"catalogVersion\":\"1\",\"count\":1,\"vulnerabilities\":[" KEV_ENTRY("CVE-24-1") "]}",
          "KEV vulnerabilities[0]: cveID is not a CVE id" },
        { "{\"catalogVersion\":\"1\",\"count\":1,\"vulnerabilities\":[{\"cveID\":\"CVE-2024-0001\","
          "\"dateAdded\":\"2024-13-01\"}]}",
          "KEV CVE-2024-0001: dateAdded is not YYYY-MM-DD" },
        { "{\"catalogVersion\":\"1\",\"count\":1,\"vulnerabilities\":[{\"cveID\":\"CVE-2024-0001\","
          "\"dateAdded\":\"2024-01-01\",\"exploited\":false}]}",
          "KEV vulnerabilities[0]: unknown key \"exploited\"" },
        { "{\"count\":0,\"vulnerabilities\":[]}",
          "KEV: catalogVersion, count and vulnerabilities are required" },
        { "{\"catalogVersion\":\"1\",\"count\":0,\"vulnerabilities\":[],\"x\":1}",
          "KEV: unknown key \"x\"" },
    };
    struct hm_vulnfeed *feed = real_feed();
    const char *good = "{\"catalogVersion\":\"9\",\"count\":1,\"vulnerabilities\":[" KEV_ENTRY(
        "CVE-2024-0001") "]}";
    char why[256] = "";

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        hm_err err =
            hm_vulnfeed_set_kev(feed, cases[i].doc, strlen(cases[i].doc), why, sizeof(why));

        if (err != HM_E_INVALID || strcmp(why, cases[i].why) != 0) {
            fail_msg("case %zu: %s \"%s\", want \"%s\"", i, hm_strerror(err), why, cases[i].why);
        }
        /* a refused list leaves the loaded one in place */
        assert_int_equal(hm_vulnfeed_n_kev(feed), 4);
        assert_true(hm_vulnfeed_in_kev(feed, "CVE-2023-44487"));
    }
    assert_int_equal(hm_vulnfeed_set_kev(feed, good, strlen(good), why, sizeof(why)), HM_OK);
    assert_int_equal(hm_vulnfeed_n_kev(feed), 1);
    assert_false(hm_vulnfeed_in_kev(feed, "CVE-2023-44487"));
    assert_true(hm_vulnfeed_in_kev(feed, "CVE-2024-0001"));
    assert_string_equal(hm_vulnfeed_kev_version(feed), "9");
    hm_vulnfeed_free(feed);
#undef KEV_ENTRY
}

static void
test_feed_load_fails_on_any_bad_file(void **state)
{
    char dir[] = "/tmp/hm-osv-XXXXXX", path[512], why[256] = "";
    struct hm_vulnfeed *feed = (struct hm_vulnfeed *)(uintptr_t)1;
    FILE *fp;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/a.json", dir);
    fp = fopen(path, "w");
    fputs(MAVEN_RECORD, fp);
    fclose(fp);
    snprintf(path, sizeof(path), "%s/README.md", dir); /* not *.json: ignored */
    fp = fopen(path, "w");
    fputs("# not a record", fp);
    fclose(fp);
    assert_int_equal(hm_vulnfeed_load(dir, NULL, &feed, why, sizeof(why)), HM_OK);
    assert_int_equal(hm_vulnfeed_n_advisories(feed), 1);
    assert_null(hm_vulnfeed_kev_version(feed));
    hm_vulnfeed_free(feed);
    snprintf(path, sizeof(path), "%s/b.json", dir);
    fp = fopen(path, "w");
    fputs("{\"id\":\"B\",\"affected\":{}}", fp);
    fclose(fp);
    feed = (struct hm_vulnfeed *)(uintptr_t)1;
    assert_int_equal(hm_vulnfeed_load(dir, NULL, &feed, why, sizeof(why)), HM_E_INVALID);
    assert_string_equal(why, "OSV file b.json: OSV B: affected must be an array");
    assert_null(feed);
    unlink(path);
    snprintf(path, sizeof(path), "%s/a.json", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/README.md", dir);
    unlink(path);
    rmdir(dir);
    feed = (struct hm_vulnfeed *)(uintptr_t)1;
    assert_int_equal(hm_vulnfeed_load("/nonexistent/osv", NULL, &feed, why, sizeof(why)), HM_E_IO);
    assert_null(feed);
    hm_vulnfeed_free(NULL);
    hm_vex_free(NULL);
    hm_vuln_findings_free(NULL, 0);
}

/* ---- OpenVEX ---- */

static struct hm_vex *
vex_str(const char *doc)
{
    struct hm_vex *v = NULL;
    char why[256] = "";

    if (hm_vex_parse(doc, strlen(doc), &v, why, sizeof(why)) != HM_OK) {
        fail_msg("vex: %s", why);
    }
    return v;
}

#define VEX_DOC(id, ts, stmts)                                                                     \
    "{\"@context\":\"https://openvex.dev/ns/v0.2.0\",\"@id\":\"" id                                \
    "\",\"author\":\"ACME PSIRT\","                                                                \
    "\"timestamp\":\"" ts "\",\"version\":1,\"statements\":[" stmts "]}"
#define STMT(vuln, products, rest)                                                                 \
    "{\"vulnerability\":{\"name\":\"" vuln "\"},\"products\":[" products "]," rest "}"
#define APP_WITH_LODASH                                                                            \
    "{\"@id\":\"pkg:npm/hallmark-fixture-app@1.0.0\",\"subcomponents\":[{\"@id\":"                 \
    "\"pkg:npm/lodash@4.17.20\"}]}"
#define NA_JUST "\"status\":\"not_affected\",\"justification\":\"vulnerable_code_not_present\""

static void
test_vex_clearing_rules(void **state)
{
    static const struct {
        const char *name, *doc;
        bool applied, cleared;
        enum hm_vex_status status;
    } cases[] = {
        { "not_affected with a justification",
          VEX_DOC("urn:vex:1", "2026-11-01T00:00:00Z",
                  STMT("GHSA-35jh-r3h4-6jhm", APP_WITH_LODASH, NA_JUST)),
          true, true, HM_VEX_NOT_AFFECTED },
        { "fixed",
          VEX_DOC("urn:vex:1", "2026-11-01T00:00:00Z",
                  STMT("GHSA-35jh-r3h4-6jhm", APP_WITH_LODASH, "\"status\":\"fixed\"")),
          true, true, HM_VEX_FIXED },
        { "not_affected without a justification",
          VEX_DOC("urn:vex:1", "2026-11-01T00:00:00Z",
                  STMT("GHSA-35jh-r3h4-6jhm", APP_WITH_LODASH,
                       "\"status\":\"not_affected\",\"impact_statement\":\"trust us\"")),
          true, false, HM_VEX_NOT_AFFECTED },
        { "affected",
          VEX_DOC("urn:vex:1", "2026-11-01T00:00:00Z",
                  STMT("GHSA-35jh-r3h4-6jhm", APP_WITH_LODASH,
                       "\"status\":\"affected\",\"action_statement\":\"upgrade\"")),
          true, false, HM_VEX_AFFECTED },
        { "under_investigation",
          VEX_DOC(
              "urn:vex:1", "2026-11-01T00:00:00Z",
              STMT("GHSA-35jh-r3h4-6jhm", APP_WITH_LODASH, "\"status\":\"under_investigation\"")),
          true, false, HM_VEX_UNDER_INVESTIGATION },
        { "another product",
          VEX_DOC("urn:vex:1", "2026-11-01T00:00:00Z",
                  STMT("GHSA-35jh-r3h4-6jhm",
                       "{\"@id\":\"pkg:npm/other-app@1.0.0\",\"subcomponents\":[{\"@id\":"
                       "\"pkg:npm/lodash@4.17.20\"}]}",
                       NA_JUST)),
          false, false, 0 },
        { "our product, another subcomponent",
          VEX_DOC(
              "urn:vex:1", "2026-11-01T00:00:00Z",
              STMT("GHSA-35jh-r3h4-6jhm",
                   "{\"@id\":\"pkg:npm/hallmark-fixture-app@1.0.0\",\"subcomponents\":[{\"@id\":"
                   "\"pkg:npm/minimist@1.2.5\"}]}",
                   NA_JUST)),
          false, false, 0 },
        { "another version of the component",
          VEX_DOC("urn:vex:1", "2026-11-01T00:00:00Z",
                  STMT("GHSA-35jh-r3h4-6jhm", "{\"@id\":\"pkg:npm/lodash@4.17.19\"}", NA_JUST)),
          false, false, 0 },
        { "the component itself, by CVE alias, identifiers.purl",
          VEX_DOC("urn:vex:1", "2026-11-01T00:00:00Z",
                  STMT("CVE-2021-23337", "{\"identifiers\":{\"purl\":\"pkg:npm/lodash@4.17.20\"}}",
                       NA_JUST)),
          true, true, HM_VEX_NOT_AFFECTED },
        { "a versionless purl covers every version",
          VEX_DOC("urn:vex:1", "2026-11-01T00:00:00Z",
                  STMT("GHSA-35jh-r3h4-6jhm", "{\"@id\":\"pkg:npm/lodash\"}", NA_JUST)),
          true, true, HM_VEX_NOT_AFFECTED },
        { "the whole product, no subcomponents",
          VEX_DOC("urn:vex:1", "2026-11-01T00:00:00Z",
                  STMT("GHSA-35jh-r3h4-6jhm", "{\"@id\":\"pkg:npm/hallmark-fixture-app@1.0.0\"}",
                       NA_JUST)),
          true, true, HM_VEX_NOT_AFFECTED },
        { "another vulnerability",
          VEX_DOC("urn:vex:1", "2026-11-01T00:00:00Z",
                  STMT("CVE-2099-0001", APP_WITH_LODASH, NA_JUST)),
          false, false, 0 },
        { "dated after now",
          VEX_DOC("urn:vex:1", "2027-01-01T00:00:00Z",
                  STMT("GHSA-35jh-r3h4-6jhm", APP_WITH_LODASH, NA_JUST)),
          false, false, 0 },
        { "the later statement decides",
          VEX_DOC(
              "urn:vex:1", "2026-11-01T00:00:00Z",
              STMT("GHSA-35jh-r3h4-6jhm", APP_WITH_LODASH,
                   NA_JUST
                   ",\"timestamp\":\"2026-11-02T00:00:00Z\"") "," STMT("GHSA-35jh-r3h4-6jhm",
                                                                       APP_WITH_LODASH,
                                                                       "\"status\":\"affected\","
                                                                       "\"timestamp\":\"2026-11-"
                                                                       "01T00:00:00Z\"")),
          true, true, HM_VEX_NOT_AFFECTED },
    };
    struct hm_vulnfeed *feed = real_feed();
    size_t len = 0;
    uint8_t *buf = slurp("tests/policy/data/npm-app.cdx.json", &len);
    struct hm_sbom *s = NULL;
    char why[256] = "";

    (void)state;
    assert_int_equal(hm_sbom_parse(buf, len, &s, why, sizeof(why)), HM_OK);
    for (size_t i = 0; i < N_OF(cases); i++) {
        struct hm_vex *v = vex_str(cases[i].doc);
        const struct hm_vex *const docs[] = { v };
        struct hm_vuln_finding *f = NULL;
        size_t n = 0;
        const struct hm_vuln_finding *hit = NULL;

        assert_int_equal(hm_vuln_match(feed, s, docs, 1, NOW, &f, &n), HM_OK);
        assert_int_equal(n, 3);
        for (size_t j = 0; j < n; j++) {
            if (strcmp(f[j].id, "GHSA-35jh-r3h4-6jhm") == 0) {
                hit = &f[j];
            } else if (f[j].cleared) {
                fail_msg("%s: cleared %s too", cases[i].name, f[j].id);
            }
        }
        assert_non_null(hit);
        if (hit->vex_applied != cases[i].applied || hit->cleared != cases[i].cleared) {
            fail_msg("%s: applied %d cleared %d", cases[i].name, hit->vex_applied, hit->cleared);
        }
        if (cases[i].applied) {
            assert_int_equal(hit->vex_status, cases[i].status);
            assert_string_equal(hit->vex_doc_id, "urn:vex:1");
            assert_int_equal(hit->vex_doc_index, 0);
            assert_non_null(hit->vex_note);
        }
        hm_vuln_findings_free(f, n);
        hm_vex_free(v);
    }
    hm_sbom_free(s);
    free(buf);
    hm_vulnfeed_free(feed);
}

/* Across documents: the statement index and document named are the deciding ones. */
static void
test_vex_across_documents(void **state)
{
    struct hm_vulnfeed *feed = real_feed();
    struct hm_sbom *s = sbom_one("pkg:npm/lodash@4.17.20", "4.17.20");
    struct hm_vex *a = vex_str(VEX_DOC(
        "urn:vex:a", "2026-10-01T00:00:00Z",
        STMT("CVE-2020-28500", "{\"@id\":\"pkg:npm/lodash@4.17.20\"}", "\"status\":\"affected\"")));
    struct hm_vex *b = vex_str(VEX_DOC(
        "urn:vex:b", "2026-10-05T00:00:00Z",
        STMT("CVE-1999-0001", "{\"@id\":\"pkg:npm/x\"}", "\"status\":\"fixed\"") "," STMT(
            "GHSA-29mw-wpgm-hmr9",
            "{\"@id\":\"pkg:generic/acme-thermostat@1.4.2\","
            "\"subcomponents\":[{\"@id\":\"pkg:npm/lodash@4.17.20\"}]}",
            "\"status\":\"not_affected\",\"justification\":\"inline_mitigations_already_exist\"")));
    const struct hm_vex *const docs[] = { a, b };
    struct hm_vuln_finding *f = NULL;
    size_t n = 0;

    (void)state;
    assert_string_equal(hm_vex_id(b), "urn:vex:b");
    assert_int_equal(hm_vex_n_statements(b), 2);
    assert_int_equal(hm_vuln_match(feed, s, docs, 2, NOW, &f, &n), HM_OK);
    assert_int_equal(n, 2);
    assert_string_equal(f[0].id, "GHSA-29mw-wpgm-hmr9");
    assert_true(f[0].cleared);
    assert_int_equal(f[0].vex_doc_index, 1);
    assert_int_equal(f[0].vex_statement, 1);
    assert_string_equal(f[0].vex_doc_id, "urn:vex:b");
    assert_string_equal(f[0].vex_justification, "inline_mitigations_already_exist");
    assert_string_equal(f[1].id, "GHSA-35jh-r3h4-6jhm");
    assert_false(f[1].vex_applied);
    hm_vuln_findings_free(f, n);
    hm_vex_free(a);
    hm_vex_free(b);
    hm_sbom_free(s);
    hm_vulnfeed_free(feed);
}

static void
test_vex_refuses_hostile_documents(void **state)
{
    static const struct {
        const char *doc, *why;
    } cases[] = {
        { "{\"@context\":\"https://openvex.dev/ns/v0.0.1\",\"@id\":\"x\",\"author\":\"a\","
          "\"timestamp\":\"2026-01-01T00:00:00Z\",\"statements\":[]}",
          "VEX: @context must be https://openvex.dev/ns/v0.2.0" },
        { VEX_DOC("x", "2026-01-01T00:00:00Z",
                  STMT("CVE-1", APP_WITH_LODASH, "\"status\":\"safe\"")),
          "VEX: status safe is not an OpenVEX status" },
        { VEX_DOC("x", "2026-01-01T00:00:00Z",
                  STMT("CVE-1", APP_WITH_LODASH,
                       "\"status\":\"not_affected\",\"justification\":\"trust_me\"")),
          "VEX: justification trust_me is not an OpenVEX justification" },
        { VEX_DOC("x", "2026-01-01T00:00:00Z", STMT("CVE-1", "", "\"status\":\"fixed\"")),
          "VEX: statement for CVE-1 has no products" },
        { VEX_DOC("x", "2026-01-01T00:00:00Z",
                  "{\"products\":[{\"@id\":\"pkg:npm/a\"}],\"status\":\"fixed\"}"),
          "VEX: vulnerability must be an object with name or @id" },
        { VEX_DOC("x", "2026-01-01T00:00:00Z",
                  STMT("CVE-1", APP_WITH_LODASH, "\"status\":\"fixed\",\"statuss\":\"x\"")),
          "VEX: statement key \"statuss\" is not OpenVEX v0.2.0" },
        { VEX_DOC("x", "2026-01-01T00:00:00Z",
                  STMT("CVE-1", "{\"purl\":\"pkg:npm/a\"}", "\"status\":\"fixed\"")),
          "VEX: a product has the wrong shape (key \"purl\")" },
        { VEX_DOC("x", "2026-01-01T00:00:00Z", ""), "VEX: statements must be a non-empty array" },
        { VEX_DOC("x", "tomorrow", STMT("CVE-1", APP_WITH_LODASH, "\"status\":\"fixed\"")),
          "VEX: timestamp is not an RFC 3339 time" },
        { "{\"@context\":\"https://openvex.dev/ns/v0.2.0\",\"author\":\"a\",\"timestamp\":"
          "\"2026-01-01T00:00:00Z\",\"statements\":[]}",
          "VEX: @id, author and timestamp are required" },
        { "{\"@context\":\"https://openvex.dev/ns/v0.2.0\",\"@context\":\"x\"}",
          "VEX: duplicate key \"@context\" at byte 44" },
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        struct hm_vex *v = (struct hm_vex *)(uintptr_t)1;
        char why[256] = "";
        hm_err err = hm_vex_parse(cases[i].doc, strlen(cases[i].doc), &v, why, sizeof(why));

        if (err != HM_E_INVALID || strcmp(why, cases[i].why) != 0) {
            fail_msg("case %zu: %s \"%s\", want \"%s\"", i, hm_strerror(err), why, cases[i].why);
        }
        assert_null(v);
    }
}

/* A malformed purl in the SBOM fails the match: it cannot be shown free of advisories. */
static void
test_match_fails_closed_on_bad_purl(void **state)
{
    struct hm_vulnfeed *feed = real_feed();
    struct hm_sbom *s = sbom_one("npm/lodash@4.17.20", "4.17.20");
    struct hm_vuln_finding *f = (struct hm_vuln_finding *)(uintptr_t)1;
    size_t n = 7;

    (void)state;
    assert_int_equal(hm_vuln_match(feed, s, NULL, 0, NOW, &f, &n), HM_E_INVALID);
    assert_null(f);
    assert_int_equal(n, 0);
    hm_sbom_free(s);
    s = sbom_one("pkg:npm/lodash@4.17%2", "4.17.20"); /* a broken escape */
    assert_int_equal(hm_vuln_match(feed, s, NULL, 0, NOW, &f, &n), HM_E_INVALID);
    hm_sbom_free(s);
    hm_vulnfeed_free(feed);
}

/* ---- integration on real data ---- */

/* The SBOM: generated now by @cyclonedx/cyclonedx-npm when tests/policy/sbomgen has its
 * node_modules (ci/install runs `npm ci` there), else the copy it generated before. */
static uint8_t *
npm_sbom(size_t *len, bool *generated)
{
    char gen[4096], dir[4096], out[] = "/tmp/hm-sbom-XXXXXX", cmd[12288];
    struct stat st;
    uint8_t *buf = NULL;
    int fd;

    *generated = false;
    src("tests/policy/sbomgen/node_modules/.bin/cyclonedx-npm", gen, sizeof(gen));
    src("tests/policy/sbomgen", dir, sizeof(dir));
    if (stat(gen, &st) != 0 || system("node --version >/dev/null 2>&1") != 0) {
        print_message("cyclonedx-npm not installed (npm ci in tests/policy/sbomgen): using "
                      "tests/policy/data/npm-app.cdx.json\n");
        return slurp("tests/policy/data/npm-app.cdx.json", len);
    }
    assert_true((fd = mkstemp(out)) >= 0);
    close(fd);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && '%s' --package-lock-only --spec-version 1.6 --output-format JSON "
             "--output-file '%s' app/package.json 2>/dev/null",
             dir, gen, out);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(hm_read_file(out, 32u << 20, &buf, len), HM_OK);
    unlink(out);
    *generated = true;
    print_message("SBOM generated now by @cyclonedx/cyclonedx-npm for tests/policy/sbomgen/app\n");
    return buf;
}

static void
test_integration_npm_sbom_osv_kev_vex(void **state)
{
    struct hm_vulnfeed *feed = real_feed();
    size_t len = 0, vlen = 0, n = 0;
    bool generated = false;
    uint8_t *buf = npm_sbom(&len, &generated);
    uint8_t *vbuf = slurp("tests/policy/data/vex/npm-app.openvex.json", &vlen);
    struct hm_sbom *s = NULL;
    struct hm_vex *v = NULL;
    struct hm_vuln_finding *f = NULL;
    char why[256] = "";

    (void)state;
    if (hm_sbom_parse(buf, len, &s, why, sizeof(why)) != HM_OK) {
        fail_msg("generated SBOM (%s): %s", generated ? "fresh" : "checked in", why);
    }
    assert_int_equal(s->format, HM_SBOM_CYCLONEDX);
    assert_string_equal(s->top.purl, "pkg:npm/hallmark-fixture-app@1.0.0");
    assert_int_equal(s->n_components, 2);
    assert_int_equal(hm_vex_parse(vbuf, vlen, &v, why, sizeof(why)), HM_OK);
    {
        const struct hm_vex *const docs[] = { v };

        assert_int_equal(hm_vuln_match(feed, s, docs, 1, NOW, &f, &n), HM_OK);
    }
    assert_int_equal(n, 3);
    /* lodash: ReDoS, medium, not cleared */
    assert_string_equal(f[0].id, "GHSA-29mw-wpgm-hmr9");
    assert_string_equal(f[0].component_purl, "pkg:npm/lodash@4.17.20");
    assert_int_equal(f[0].severity, HM_SEV_MEDIUM);
    assert_false(f[0].vex_applied);
    assert_false(f[0].cleared);
    /* lodash: template command injection, high, cleared by the VEX */
    assert_string_equal(f[1].id, "GHSA-35jh-r3h4-6jhm");
    assert_string_equal(f[1].cve, "CVE-2021-23337");
    assert_true(f[1].cvss > 7.15 && f[1].cvss < 7.25);
    assert_true(f[1].cleared);
    assert_string_equal(f[1].vex_doc_id,
                        "https://hallmark.example/vex/hallmark-fixture-app-1.0.0-2026-11-01");
    assert_int_equal(f[1].vex_statement, 0);
    assert_string_equal(f[1].vex_justification, "vulnerable_code_not_in_execute_path");
    /* minimist: critical, not in KEV, not cleared */
    assert_string_equal(f[2].id, "GHSA-xvch-5gv4-984h");
    assert_string_equal(f[2].component_name, "minimist");
    assert_int_equal(f[2].severity, HM_SEV_CRITICAL);
    assert_false(f[2].in_kev);
    assert_false(f[2].cleared);
    hm_vuln_findings_free(f, n);
    hm_vex_free(v);
    hm_sbom_free(s);
    free(buf);
    free(vbuf);
    hm_vulnfeed_free(feed);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cvss31_specification_examples),
        cmocka_unit_test(test_cvss_refuses_bad_vectors),
        cmocka_unit_test(test_severity_words),
        cmocka_unit_test(test_version_order),
        cmocka_unit_test(test_match_real_advisories),
        cmocka_unit_test(test_finding_fields_and_kev),
        cmocka_unit_test(test_match_versions_git_and_fallbacks),
        cmocka_unit_test(test_match_firmware_example),
        cmocka_unit_test(test_osv_refuses_hostile_records),
        cmocka_unit_test(test_kev_strictness),
        cmocka_unit_test(test_feed_load_fails_on_any_bad_file),
        cmocka_unit_test(test_vex_clearing_rules),
        cmocka_unit_test(test_vex_across_documents),
        cmocka_unit_test(test_vex_refuses_hostile_documents),
        cmocka_unit_test(test_match_fails_closed_on_bad_purl),
        cmocka_unit_test(test_integration_npm_sbom_osv_kev_vex),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

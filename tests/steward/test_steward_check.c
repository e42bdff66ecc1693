/*
 * test_steward_check.c: hm_steward_check, what a verifier or a manufacturer doing its due
 * diligence asks of a verified attestation: still current, about the project (name, purl)
 * it integrates, and covering the version it integrates.
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
fixture(void)
{
    struct hm_steward *st = NULL;
    char why[256];

    if (sw_parse_mutated(NULL, NULL, SW_NOW, &st, why, sizeof(why)) != HM_OK) {
        fail_msg("%s", why);
    }
    return st;
}

static void
test_check_verdicts(void **state)
{
    static const int64_t expires = INT64_C(1893456000);  /* 2030-01-01T00:00:00Z */
    static const int64_t assessed = INT64_C(1767225600); /* 2026-01-01T00:00:00Z */
    static const struct {
        const char *name, *purl, *version;
        int64_t now;
        enum hm_steward_verdict want;
        const char *says;
    } cases[] = {
        { NULL, NULL, NULL, SW_NOW, HM_STEWARD_OK, "" },
        { "demo", "pkg:github/example/demo", "2.1.0", SW_NOW, HM_STEWARD_OK, "" },
        { NULL, "pkg:github/example/demo@2.1.0", NULL, SW_NOW, HM_STEWARD_OK, "" },
        { NULL, "pkg:github/example/demo@2.0.7?arch=x86_64#src", NULL, SW_NOW, HM_STEWARD_OK, "" },
        { NULL, NULL, "2.0.0", SW_NOW, HM_STEWARD_OK, "" },      /* >=2.0.0 */
        { NULL, NULL, "2.0.99", SW_NOW, HM_STEWARD_OK, "" },     /* <2.1.0 */
        { NULL, NULL, NULL, expires - 1, HM_STEWARD_OK, "" },    /* the last second */
        { NULL, NULL, NULL, assessed - 300, HM_STEWARD_OK, "" }, /* clock skew */
        /* expired */
        { NULL, NULL, NULL, expires, HM_STEWARD_EXPIRED, "expired at 2030-01-01T00:00:00Z" },
        { "demo", NULL, "2.1.0", expires + 86400, HM_STEWARD_EXPIRED, "expired at" },
        { NULL, NULL, NULL, assessed - 301, HM_STEWARD_EXPIRED, "not valid before" },
        /* the wrong project */
        { "demo2", NULL, NULL, SW_NOW, HM_STEWARD_WRONG_PROJECT, "not \"demo2\"" },
        { "Demo", NULL, NULL, SW_NOW, HM_STEWARD_WRONG_PROJECT, "about project \"demo\"" },
        { NULL, "pkg:github/example/demo2", NULL, SW_NOW, HM_STEWARD_WRONG_PROJECT,
          "not pkg:github/example/demo2" },
        { NULL, "pkg:gitlab/example/demo", NULL, SW_NOW, HM_STEWARD_WRONG_PROJECT, "not pkg:" },
        { NULL, "pkg:github/example", NULL, SW_NOW, HM_STEWARD_WRONG_PROJECT, "not pkg:" },
        { NULL, "not a purl", NULL, SW_NOW, HM_STEWARD_WRONG_PROJECT, "is not a package URL" },
        /* wrong project wins over expired: it is the more basic fault */
        { "other", NULL, NULL, expires + 1, HM_STEWARD_WRONG_PROJECT, "not \"other\"" },
        /* versions */
        { NULL, NULL, "2.1.1", SW_NOW, HM_STEWARD_NOT_COVERED, "version 2.1.1 of demo" },
        { NULL, NULL, "1.9.9", SW_NOW, HM_STEWARD_NOT_COVERED, "not among the versions" },
        { NULL, NULL, "2.0.0-rc.1", SW_NOW, HM_STEWARD_NOT_COVERED, "" }, /* < 2.0.0 */
        { NULL, NULL, "2.1", SW_NOW, HM_STEWARD_NOT_COVERED, "" },        /* not SemVer */
        { NULL, "pkg:github/example/demo@3.0.0", NULL, SW_NOW, HM_STEWARD_NOT_COVERED, "3.0.0" },
    };
    struct hm_steward *st = fixture();
    char why[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hm_steward_expect want = { cases[i].name, cases[i].purl, cases[i].version };
        enum hm_steward_verdict v = hm_steward_check(st, &want, cases[i].now, why, sizeof(why));
        if (v != cases[i].want || strstr(why, cases[i].says) == NULL) {
            fail_msg("case %zu: %s \"%s\", wanted %s \"%s\"", i, hm_steward_verdict_name(v), why,
                     hm_steward_verdict_name(cases[i].want), cases[i].says);
        }
        assert_true(v != HM_STEWARD_OK || why[0] == '\0');
    }
    hm_steward_free(st);
}

static void
test_check_malformed(void **state)
{
    struct hm_steward *st = fixture();
    int64_t expires;
    char why[256];

    (void)state;
    assert_int_equal(hm_steward_check(NULL, NULL, SW_NOW, why, sizeof(why)), HM_STEWARD_MALFORMED);
    assert_string_equal(why, "not a well-formed steward attestation");
    expires = st->expires;
    st->expires = st->time_assessed - 1;
    assert_int_equal(hm_steward_check(st, NULL, SW_NOW, why, sizeof(why)), HM_STEWARD_MALFORMED);
    st->expires = expires;
    st->requirements[3].n_evidence = 0; /* met without evidence */
    assert_int_equal(hm_steward_check(st, NULL, SW_NOW, NULL, 0), HM_STEWARD_MALFORMED);
    st->requirements[3].n_evidence = 1;
    assert_int_equal(hm_steward_check(st, NULL, SW_NOW, NULL, 0), HM_STEWARD_OK);
    hm_steward_free(st);
    assert_string_equal(hm_steward_verdict_name(HM_STEWARD_OK), "ok");
    assert_string_equal(hm_steward_verdict_name(HM_STEWARD_EXPIRED), "expired");
    assert_string_equal(hm_steward_verdict_name(HM_STEWARD_WRONG_PROJECT), "wrong-project");
    assert_string_equal(hm_steward_verdict_name(HM_STEWARD_NOT_COVERED), "version-not-covered");
    assert_string_equal(hm_steward_verdict_name(HM_STEWARD_MALFORMED), "malformed");
}

/* SemVer ranges: comparators and pre-release precedence (semver.org section 11). */
static void
test_check_ranges(void **state)
{
    static const struct {
        const char *range, *version;
        bool covered;
    } cases[] = {
        { ">=1.0.0 <2.0.0", "1.0.0", true },
        { ">=1.0.0 <2.0.0", "1.99.99", true },
        { ">=1.0.0 <2.0.0", "2.0.0", false },
        { ">=1.0.0 <2.0.0", "2.0.0-rc.1", true },
        { ">1.0.0", "1.0.0", false },
        { ">1.0.0", "1.0.1", true },
        { "<=1.0.0", "1.0.0", true },
        { "<=1.0.0", "1.0.0+build.5", true },
        { "=1.0.0", "1.0.0", true },
        { "=1.0.0", "1.0.1", false },
        { ">=1.0.0-alpha <1.0.0", "1.0.0-alpha.1", true },
        { ">=1.0.0-alpha.beta", "1.0.0-alpha.1", false },
        { ">=1.0.0-beta.11", "1.0.0-beta.2", false },
        { ">=1.0.0-rc.1", "1.0.0", true },
        { ">=10.0.0", "9.99.99", false },
        { ">=10.0.0", "10.0.0", true },
        { "1.3.1", "1.3.1", true },
        { "1.3.1", "1.3.10", false },
        { "2.x-lts", "2.x-lts", true },
    };
    char why[256], doc[128];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hm_steward *st = NULL;
        struct hm_steward_expect want = { .version = cases[i].version };
        enum hm_steward_verdict v;

        (void)snprintf(doc, sizeof(doc), "[\"%s\"]", cases[i].range);
        if (sw_parse_mutated("predicate.project.versionsCovered", doc, SW_NOW, &st, why,
                             sizeof(why)) != HM_OK) {
            fail_msg("case %zu: %s", i, why);
        }
        v = hm_steward_check(st, &want, SW_NOW, why, sizeof(why));
        if (v != (cases[i].covered ? HM_STEWARD_OK : HM_STEWARD_NOT_COVERED)) {
            fail_msg("case %zu: %s covers %s: %s", i, cases[i].range, cases[i].version,
                     hm_steward_verdict_name(v));
        }
        hm_steward_free(st);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_verdicts),
        cmocka_unit_test(test_check_malformed),
        cmocka_unit_test(test_check_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_steward_input.c: hm_steward_parse_input, the strict reading of a steward's input:
 * the fixture is accepted, and every malformed variant is refused with the exact hm_err
 * and a reason that starts with the exact JSON path; nothing is handed out on failure.
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

static void
test_input_fixture_is_accepted(void **state)
{
    struct hm_steward *st = NULL;
    char why[256] = "";

    (void)state;
    if (sw_parse_mutated(NULL, NULL, SW_NOW, &st, why, sizeof(why)) != HM_OK) {
        fail_msg("%s", why);
    }
    assert_int_equal(st->n_subjects, 2);
    assert_string_equal(st->subjects[0].name, "demo-2.1.0.tar.gz");
    assert_true(st->subjects[0].has_sha256 && st->subjects[0].has_sha512);
    assert_string_equal(st->subjects[1].git_commit, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_false(st->subjects[1].has_sha256 || st->subjects[1].has_sha512);
    assert_string_equal(st->project.name, "demo");
    assert_string_equal(st->project.purl, "pkg:github/example/demo");
    assert_int_equal(st->project.n_versions, 2);
    assert_string_equal(st->project.versions[1], ">=2.0.0 <2.1.0");
    assert_string_equal(st->steward.contact, "security@example.org");
    assert_string_equal(st->support.end, "2030-12-31");
    /* requirements come back in Annex I order, not in input order */
    assert_int_equal(st->n_requirements, 4);
    assert_string_equal(hm_cra_item_id(st->requirements[0].item), "annexI.partI.2.a");
    assert_string_equal(hm_cra_item_id(st->requirements[1].item), "annexI.partI.2.d");
    assert_string_equal(hm_cra_item_id(st->requirements[2].item), "annexI.partI.2.g");
    assert_string_equal(hm_cra_item_id(st->requirements[3].item), "annexI.partII.1");
    assert_int_equal(st->requirements[0].status, HM_STEWARD_PARTIALLY);
    assert_int_equal(st->requirements[0].method, HM_STEWARD_THIRD_PARTY);
    assert_int_equal(st->requirements[0].n_evidence, 2);
    assert_int_equal(st->requirements[0].evidence[1].type, HM_EVIDENCE_SCORECARD);
    assert_int_equal(st->requirements[1].method, HM_STEWARD_METHOD_NONE);
    assert_int_equal(st->assessor.type, HM_ASSESSOR_THIRD_PARTY);
    assert_int_equal(st->time_assessed, INT64_C(1767225600));
    assert_int_equal(st->expires, INT64_C(1893456000));
    hm_steward_free(st);
    hm_steward_free(NULL);
}

/* Variants the parser must accept: the other shapes the documentation allows. */
static void
test_input_accepts_documented_variants(void **state)
{
    static const struct {
        const char *path, *value;
    } cases[] = {
        { "predicate.steward.contact", "\"https://example.org/security\"" },
        { "predicate.steward.securityTxt", NULL },                   /* cvdPolicy alone */
        { "predicate.steward.cvdPolicy", NULL },                     /* securityTxt alone */
        { "predicate.supportPeriod.end", NULL },                     /* policy text alone */
        { "predicate.supportPeriod.policy", NULL },                  /* end date alone */
        { "predicate.assessor.programme", NULL },                    /* optional */
        { "predicate.requirements[0].comment", NULL },               /* optional */
        { "predicate.requirements[2].method", "\"self-assessed\"" }, /* allowed, not needed */
        { "predicate.project.purl", "\"pkg:generic/demo?download_url=https%3A%2F%2Fx\"" },
        { "predicate.project.purl", "\"pkg:maven/org.example/demo-core\"" },
        { "predicate.project.versionsCovered", "[\"<=3.0.0-rc.1\", \"2.x-lts\", \"=2.0.0\"]" },
        { "predicate.timeAssessed", "\"2026-01-01T01:00:00+01:00\"" }, /* an offset */
        { "subject[1]", NULL },                                        /* artifacts alone */
        { "subject[0]", NULL },                                        /* the commit alone */
        { "subject[0].digest.sha512", NULL },
        { "subject[1].digest.gitCommit", "\""
                                         "0123456789abcdef0123456789abcdef"
                                         "0123456789abcdef0123456789abcdef\"" },  /* SHA-256 git */
        { "predicate.steward.legalName", "\"Stiftung Zürich für Open Source\"" }, /* UTF-8 */
        { "predicate.cybersecurityPolicy.uri", "\"https://example.org:8443/p?v=1#s\"" },
    };
    struct hm_steward *st = NULL;
    char why[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (sw_parse_mutated(cases[i].path, cases[i].value, SW_NOW, &st, why, sizeof(why)) !=
            HM_OK) {
            fail_msg("case %zu (%s): %s", i, cases[i].path, why);
        }
        assert_non_null(st);
        hm_steward_free(st);
        st = NULL;
    }
}

#define D64   "\"1111111111111111111111111111111111111111111111111111111111111111\""
#define EV(t) "[{\"type\":\"" t "\",\"uri\":\"https://e.org/x\",\"digest\":{\"sha256\":" D64 "}}]"

static const struct bad_case {
    const char *what, *path, *value;
    hm_err want;
    const char *where; /* the reason starts with where ": " */
    const char *says;  /* and contains this */
} bad_cases[] = {
    { "missing steward", "predicate.steward", NULL, HM_E_INVALID, "predicate.steward", "missing" },
    { "missing project name", "predicate.project.name", NULL, HM_E_INVALID,
      "predicate.project.name", "missing" },
    { "bad status", "predicate.requirements[0].status", "\"done\"", HM_E_INVALID,
      "predicate.requirements[0].status", "not one of met, partially, not_assessed" },
    { "status of the wrong type", "predicate.requirements[0].status", "1", HM_E_INVALID,
      "predicate.requirements[0].status", "not a string" },
    { "bad method", "predicate.requirements[0].method", "\"guessed\"", HM_E_INVALID,
      "predicate.requirements[0].method", "not one of self-assessed, third-party" },
    { "met without a method", "predicate.requirements[0].method", NULL, HM_E_INVALID,
      "predicate.requirements[0].method", "missing" },
    { "unknown requirement id", "predicate.requirements[1].id", "\"annexI.partI.2.z\"",
      HM_E_INVALID, "predicate.requirements[1].id", "not a CRA Annex I item" },
    { "requirement id of another case", "predicate.requirements[1].id", "\"AnnexI.partI.2.a\"",
      HM_E_INVALID, "predicate.requirements[1].id", "not a CRA Annex I item" },
    { "duplicate requirement", "predicate.requirements[2].id", "\"annexI.partII.1\"", HM_E_INVALID,
      "predicate.requirements[2].id", "listed twice (also requirements[0])" },
    { "met without evidence", "predicate.requirements[0].evidence", NULL, HM_E_INVALID,
      "predicate.requirements[0].evidence", "a \"met\" requirement needs at least one" },
    { "partially with empty evidence", "predicate.requirements[1].evidence", "[]", HM_E_INVALID,
      "predicate.requirements[1].evidence", "a \"partially\" requirement needs" },
    { "bad evidence type", "predicate.requirements[0].evidence", EV("blog"), HM_E_INVALID,
      "predicate.requirements[0].evidence[0].type", "not one of sbom, provenance, vex" },
    { "http URL", "predicate.steward.cvdPolicy", "\"http://example.org/cvd\"", HM_E_INVALID,
      "predicate.steward.cvdPolicy", "not an https URL" },
    { "URL with credentials", "predicate.project.repository", "\"https://u:p@github.com/x\"",
      HM_E_INVALID, "predicate.project.repository", "not an https URL" },
    { "URL with a space", "predicate.requirements[0].evidence[0].uri", "\"https://e.org/a b\"",
      HM_E_INVALID, "predicate.requirements[0].evidence[0].uri", "not an https URL" },
    { "bad contact", "predicate.steward.contact", "\"call us\"", HM_E_INVALID,
      "predicate.steward.contact", "neither an email address nor an https URL" },
    { "no security.txt and no CVD policy", "predicate.steward.securityTxt", NULL, HM_E_INVALID,
      "predicate.steward.cvdPolicy", "" }, /* (set below: both removed) */
    { "uppercase digest", "predicate.cybersecurityPolicy.digest.sha256",
      "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"", HM_E_INVALID,
      "predicate.cybersecurityPolicy.digest.sha256", "not 64 lowercase hex digits" },
    { "short digest", "predicate.requirements[0].evidence[0].digest.sha256", "\"abcd\"",
      HM_E_INVALID, "predicate.requirements[0].evidence[0].digest.sha256", "not 64 lowercase" },
    { "sha512 of the wrong length", "subject[0].digest.sha512", D64, HM_E_INVALID,
      "subject[0].digest.sha512", "not 128 lowercase hex digits" },
    { "bad git commit", "subject[1].digest.gitCommit", "\"abc\"", HM_E_INVALID,
      "subject[1].digest.gitCommit", "not 40 or 64 lowercase hex digits" },
    { "subject without digest", "subject[0].digest", "{}", HM_E_INVALID, "subject[0].digest",
      "has none of sha256, sha512, gitCommit" },
    { "unknown digest algorithm", "subject[0].digest.md5", "\"00\"", HM_E_INVALID,
      "subject[0].digest.md5", "unknown field" },
    { "no subject", "subject", "[]", HM_E_INVALID, "subject", "empty" },
    { "two subjects of one name", "subject[1].name", "\"demo-2.1.0.tar.gz\"", HM_E_INVALID,
      "subject[1].name", "the same as subject[0].name" },
    { "expired at issue", "predicate.expires", "\"2026-05-31T00:00:00Z\"", HM_E_INVALID,
      "predicate.expires", "is not in the future" },
    { "expires before timeAssessed", "predicate.expires", "\"2025-12-31T00:00:00Z\"", HM_E_INVALID,
      "predicate.expires", "not later than predicate.timeAssessed" },
    { "assessed in the future", "predicate.timeAssessed", "\"2026-06-02T00:00:00Z\"", HM_E_INVALID,
      "predicate.timeAssessed", "is in the future" },
    { "not a time", "predicate.timeAssessed", "\"yesterday\"", HM_E_INVALID,
      "predicate.timeAssessed", "not an RFC 3339 time" },
    { "bad support end", "predicate.supportPeriod.end", "\"2030-02-30\"", HM_E_INVALID,
      "predicate.supportPeriod.end", "not a date YYYY-MM-DD" },
    { "empty support period", "predicate.supportPeriod", "{}", HM_E_INVALID,
      "predicate.supportPeriod", "needs end or policy" },
    { "purl without pkg:", "predicate.project.purl", "\"github/example/demo\"", HM_E_INVALID,
      "predicate.project.purl", "does not start with \"pkg:\"" },
    { "purl with a version", "predicate.project.purl", "\"pkg:github/example/demo@2.1.0\"",
      HM_E_INVALID, "predicate.project.purl", "carries a version" },
    { "purl without a name", "predicate.project.purl", "\"pkg:github/example/\"", HM_E_INVALID,
      "predicate.project.purl", "namespace or name is empty" },
    { "purl with an uppercase type", "predicate.project.purl", "\"pkg:GitHub/example/demo\"",
      HM_E_INVALID, "predicate.project.purl", "type is not lowercase" },
    { "purl with a bad escape", "predicate.project.purl", "\"pkg:generic/de%zzmo\"", HM_E_INVALID,
      "predicate.project.purl", "namespace or name" },
    { "bad version range", "predicate.project.versionsCovered", "[\">=2.x\"]", HM_E_INVALID,
      "predicate.project.versionsCovered[0]", "neither a version nor a SemVer range" },
    { "no versions", "predicate.project.versionsCovered", "[]", HM_E_INVALID,
      "predicate.project.versionsCovered", "0 entries" },
    { "unknown field", "predicate.steward.fax", "\"+49 30 1234\"", HM_E_INVALID,
      "predicate.steward.fax", "unknown field" },
    { "unknown top-level field", "_type", "\"https://in-toto.io/Statement/v1\"", HM_E_INVALID,
      "_type", "unknown field" },
    { "control character in a name", "predicate.project.name", "\"de\\u001b[2Jmo\"", HM_E_INVALID,
      "predicate.project.name", "without control characters" },
    { "C1 control character", "predicate.assessor.name", "\"a\\u009bb\"", HM_E_INVALID,
      "predicate.assessor.name", "without control characters" },
    { "bad assessor type", "predicate.assessor.type", "\"auditor\"", HM_E_INVALID,
      "predicate.assessor.type", "not one of steward, third-party" },
    { "no requirements", "predicate.requirements", "[]", HM_E_INVALID, "predicate.requirements",
      "empty" },
    { "requirement not an object", "predicate.requirements[0]", "\"annexI.partII.1\"", HM_E_INVALID,
      "predicate.requirements[0]", "not an object" },
    { "too much evidence", "predicate.requirements[0].evidence",
      "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]", HM_E_LIMIT,
      "predicate.requirements[0].evidence", "more than 16" },
};

static void
test_input_refuses_each_fault_with_its_path(void **state)
{
    struct hm_steward *st = NULL;
    char why[256], prefix[128];

    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        hm_err err;

        st = (struct hm_steward *)(uintptr_t)1; /* must come back NULL */
        why[0] = '\0';
        if (strcmp(c->what, "no security.txt and no CVD policy") == 0) {
            cJSON *root = sw_base();
            size_t len = 0;
            uint8_t *doc = NULL;
            sw_mutate(root, "predicate.steward.securityTxt", NULL);
            sw_mutate(root, "predicate.steward.cvdPolicy", NULL);
            doc = sw_print(root, &len);
            err = hm_steward_parse_input(doc, len, SW_NOW, &st, why, sizeof(why));
            cJSON_free(doc);
            cJSON_Delete(root);
            assert_int_equal(err, HM_E_INVALID);
            assert_null(st);
            assert_string_equal(why, "predicate.steward: needs securityTxt or cvdPolicy (or both)");
            continue;
        }
        err = sw_parse_mutated(c->path, c->value, SW_NOW, &st, why, sizeof(why));
        (void)snprintf(prefix, sizeof(prefix), "%s: ", c->where);
        if (err != c->want || st != NULL || strncmp(why, prefix, strlen(prefix)) != 0 ||
            strstr(why, c->says) == NULL) {
            fail_msg("case \"%s\": got %s, \"%s\"; wanted %s, \"%s...%s...\"", c->what,
                     hm_strerror(err), why, hm_strerror(c->want), prefix, c->says);
        }
    }
}

/* Faults found by hm_json_parse before any tree exists still name their path. */
static void
test_input_scanner_faults_name_their_path(void **state)
{
    static const struct {
        const char *doc;
        hm_err want;
        const char *why_prefix;
    } cases[] = {
        { "{\"subject\":[],\"predicate\":{\"steward\":{\"legalName\":\"a\",\"legalName\":\"b\"}}}",
          HM_E_INVALID, "predicate.steward.legalName: duplicate key \"legalName\"" },
        { "{\"subject\":[{\"name\":\"a\"},{\"name\":\"b\",\"name\":\"c\"}]}", HM_E_INVALID,
          "subject[1].name: duplicate key" },
        { "{\"predicate\":{\"project\":{\"name\":\"x\\u0000y\"}}}", HM_E_INVALID,
          "predicate.project.name: " },
        { "{\"predicate\":{\"requirements\":[{},{\"id\":}]}}", HM_E_INVALID,
          "predicate.requirements[1].id: " },
        { "[1,2", HM_E_INVALID, "[1]: " }, /* the fault follows element [1] */
        { "{\"subject\" 1}", HM_E_INVALID, "subject: expected ':'" },
        { "}", HM_E_INVALID, "(document): " },
        { "", HM_E_INVALID, "(document): empty" },
    };
    struct hm_steward *st = NULL;
    char why[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hm_err err = hm_steward_parse_input((const uint8_t *)cases[i].doc, strlen(cases[i].doc),
                                            SW_NOW, &st, why, sizeof(why));
        if (err != cases[i].want || st != NULL ||
            strncmp(why, cases[i].why_prefix, strlen(cases[i].why_prefix)) != 0) {
            fail_msg("case %zu: %s \"%s\", wanted \"%s...\"", i, hm_strerror(err), why,
                     cases[i].why_prefix);
        }
    }
}

static void
test_input_limits(void **state)
{
    size_t big = HM_STEWARD_INPUT_MAX_BYTES + 1;
    uint8_t *doc = malloc(big);
    struct hm_steward *st = NULL;
    char why[256], deep[64];
    hm_err err;

    (void)state;
    assert_non_null(doc);
    memset(doc, ' ', big);
    doc[0] = '{';
    doc[big - 1] = '}';
    assert_int_equal(hm_steward_parse_input(doc, big, SW_NOW, &st, why, sizeof(why)), HM_E_LIMIT);
    assert_null(st);
    free(doc);
    /* nesting deeper than any input needs */
    memset(deep, '[', 20);
    memset(deep + 20, ']', 20);
    err = hm_steward_parse_input((const uint8_t *)deep, 40, SW_NOW, &st, why, sizeof(why));
    assert_int_equal(err, HM_E_LIMIT);
    assert_null(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_input_fixture_is_accepted),
        cmocka_unit_test(test_input_accepts_documented_variants),
        cmocka_unit_test(test_input_refuses_each_fault_with_its_path),
        cmocka_unit_test(test_input_scanner_faults_name_their_path),
        cmocka_unit_test(test_input_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

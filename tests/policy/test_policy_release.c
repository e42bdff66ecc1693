/*
 * test_policy_release.c: the rules about the release itself: channel and key binding
 * (rule 2), version (rule 3), support period (rule 4), windows and limits (rule 8).
 * Each passes, and fails in every way it can, with the reason a release manager reads.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_test.h"

#define POL(rules) "{\"version\":1,\"products\":[{\"name\":\"acme-thermostat\"," rules "}]}"
#define REQ(extra) "{\"product\":\"acme-thermostat\",\"artifacts\":[" PT_ART_A "]," extra "}"

/* ---- channels and keys ---- */
static void
test_key_binding(void **state)
{
    const char *pol = POL("\"channels\":[\"stable\",\"beta\",\"nightly\"],"
                          "\"keys\":{\"stable\":\"firmware-p256\",\"beta\":\"firmware-beta\"}");
    struct hm_policy_decision *d;

    (void)state;
    d = pt_eval_str(pol, REQ("\"version\":\"1.0.0\""));
    pt_assert_allowed(d);
    assert_string_equal(hm_policy_decision_key(d), "firmware-p256"); /* default channel */
    hm_policy_decision_free(d);

    d = pt_eval_str(pol, REQ("\"version\":\"1.0.0\",\"channel\":\"beta\""));
    pt_assert_allowed(d);
    assert_string_equal(hm_policy_decision_key(d), "firmware-beta");
    hm_policy_decision_free(d);

    d = pt_eval_str(pol, REQ("\"version\":\"1.0.0\",\"channel\":\"nightly\""));
    pt_assert_denied(d, 1, "key", "no signing key is bound to channel nightly of acme-thermostat");
    assert_null(hm_policy_decision_key(d));
    hm_policy_decision_free(d);

    d = pt_eval_str(pol, REQ("\"version\":\"1.0.0\",\"channel\":\"edge\""));
    pt_assert_denied(d, 1, "channel",
                     "channel edge is not a channel of acme-thermostat (its channels: stable, "
                     "beta, nightly)");
    hm_policy_decision_free(d);
}

static void
test_default_channel_only(void **state)
{
    const char *pol = POL("\"keys\":{\"stable\":\"k\"}");
    struct hm_policy_decision *d;

    (void)state;
    d = pt_eval_str(pol, REQ("\"version\":\"1.0.0\",\"channel\":\"beta\""));
    pt_assert_denied(d, 1, "channel", "(its channels: stable)");
    hm_policy_decision_free(d);
    d = pt_eval_str(POL("\"support\":{\"minimum_years\":1}"),
                    REQ("\"version\":\"1.0.0\",\"support_end\":\"2030-01-01\""));
    pt_assert_allowed(d);
    assert_null(hm_policy_decision_key(d)); /* no binding: the daemon's config decides */
    hm_policy_decision_free(d);
}

static void
test_unknown_product(void **state)
{
    struct hm_policy_decision *d;

    (void)state;
    d = pt_eval_str(POL("\"keys\":{\"stable\":\"k\"}"),
                    "{\"product\":\"acme-fridge\",\"version\":\"1.0.0\",\"artifacts\":[" PT_ART_A
                    "]}");
    pt_assert_denied(d, 1, "product", "the policy has no product acme-fridge");
    hm_policy_decision_free(d);
}

/* ---- version ---- */
static void
test_version_rule(void **state)
{
    static const struct {
        const char *version;
        const char *highest; /* in the store; NULL: none */
        const char *needle;  /* NULL: allowed */
    } cases[] = {
        { "1.4.2", NULL, NULL },
        { "1.4.2", "1.4.1", NULL },
        { "1.4.2", "1.4.2-rc.1", NULL },
        { "1.4.2-rc.2", "1.4.2-rc.1", NULL },
        { "1.10.0", "1.9.9", NULL },
        { "1.4.2", "1.4.2",
          "version 1.4.2 is not greater than 1.4.2, the highest signed for "
          "acme-thermostat on channel stable" },
        { "1.4.2+build.7", "1.4.2", "is not greater than 1.4.2" }, /* build metadata ignored */
        { "1.4.1", "1.4.2", "version 1.4.1 is not greater than 1.4.2" },
        { "1.4.2-rc.1", "1.4.2", "is not greater than" },
        { "1.4", NULL, "version \"1.4\" is not SemVer 2.0.0" },
        { "01.4.2", NULL, "is not SemVer 2.0.0" },
        { "v1.4.2", NULL, "is not SemVer 2.0.0" },
        { "2.0.0", NULL, "version 2.0.0 does not match the allowed pattern \"1.*\"" },
    };
    struct hm_policy *p = pt_policy(POL("\"version\":{\"pattern\":\"1.*\"}"));

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *body = pt_fmt(REQ("\"version\":\"%s\""), cases[i].version);
        struct hm_policy_request *r = pt_request(body);
        struct pt_state s = { .highest = cases[i].highest };
        struct hm_policy_state st;
        struct hm_policy_decision *d;

        pt_state_bind(&s, &st);
        d = pt_eval(p, r, &PT_CI_ACME, &st, PT_NOW);
        if (cases[i].needle == NULL) {
            pt_assert_allowed(d);
        } else {
            pt_assert_denied(d, 1, "version", cases[i].needle);
        }
        if (hm_semver_check(cases[i].version, NULL, 0) == HM_OK) {
            /* the store was asked about this product and channel */
            assert_string_equal(s.seen_product, "acme-thermostat");
            assert_string_equal(s.seen_channel, "stable");
        }
        hm_policy_decision_free(d);
        hm_policy_request_free(r);
        free(body);
    }
    hm_policy_free(p);
}

static void
test_version_not_monotonic_and_store_failure(void **state)
{
    struct hm_policy *p = pt_policy(POL("\"version\":{\"monotonic\":false}"));
    struct hm_policy *pm = pt_policy(POL("\"version\":{}"));
    struct hm_policy_request *r = pt_request(REQ("\"version\":\"1.0.0\""));
    struct pt_state s = { .highest = "2.0.0" };
    struct hm_policy_state st;
    struct hm_policy_decision *d = NULL;

    (void)state;
    pt_state_bind(&s, &st);
    d = pt_eval(p, r, &PT_CI_ACME, &st, PT_NOW); /* re-signing an old line is allowed */
    pt_assert_allowed(d);
    hm_policy_decision_free(d);
    d = pt_eval(pm, r, &PT_CI_ACME, &st, PT_NOW); /* monotonic is the default */
    pt_assert_denied(d, 1, "version", "not greater than 2.0.0");
    hm_policy_decision_free(d);
    /* the store fails: no decision at all rather than a wrong one */
    s.highest_rc = HM_E_BACKEND;
    d = (struct hm_policy_decision *)1;
    assert_int_equal(hm_policy_evaluate(pm, r, &PT_CI_ACME, &st, PT_NOW, &d), HM_E_BACKEND);
    assert_null(d);
    hm_policy_request_free(r);
    hm_policy_free(p);
    hm_policy_free(pm);
}

/* ---- support period ---- */
static void
test_support_rule(void **state)
{
    static const struct {
        const char *version, *support_end;
        int64_t first; /* first release of the major version; 0: none (now) */
        const char *needle;
    } cases[] = {
        { "1.4.2", "2031-06-15", 0, NULL }, /* 5 years from now exactly */
        { "1.4.2", "2035-01-01", 0, NULL },
        { "1.4.2", "2031-03-01", INT64_C(1772323200), NULL }, /* first 1.x on 2026-03-01 */
        { "1.4.2", "2031-06-14", 0,
          "support ends 2031-06-14, less than 5 years after the first release of 1.x "
          "(2026-06-15): the minimum is 2031-06-15" },
        { "1.4.2", "2031-02-28", INT64_C(1772323200),
          "less than 5 years after the first release of 1.x (2026-03-01): the minimum is "
          "2031-03-01" },
        { "1.4.2", NULL, 0, "the request declares no end of security support (support_end)" },
        { "1.4.2", "2026-06-14", INT64_C(1583020800), "support_end 2026-06-14 is in the past" },
    };
    struct hm_policy *p = pt_policy(POL("\"support\":{\"minimum_years\":5}"));

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *body = cases[i].support_end != NULL
                         ? pt_fmt(REQ("\"version\":\"%s\",\"support_end\":\"%s\""),
                                  cases[i].version, cases[i].support_end)
                         : pt_fmt(REQ("\"version\":\"%s\""), cases[i].version);
        struct hm_policy_request *r = pt_request(body);
        struct pt_state s = { .first = cases[i].first };
        struct hm_policy_state st;
        struct hm_policy_decision *d;

        pt_state_bind(&s, &st);
        d = pt_eval(p, r, &PT_CI_ACME, &st, PT_NOW);
        if (cases[i].needle == NULL) {
            pt_assert_allowed(d);
        } else {
            pt_assert_denied(d, 1, "support", cases[i].needle);
        }
        assert_int_equal(s.seen_major, 1);
        hm_policy_decision_free(d);
        hm_policy_request_free(r);
        free(body);
    }
    hm_policy_free(p);
}

static void
test_support_months_and_hint(void **state)
{
    struct hm_policy_decision *d;
    const struct hm_policy_reason *r;

    (void)state;
    /* 31 Jan + 1 month is the end of February */
    d = pt_eval_str(POL("\"support\":{\"minimum_months\":1}"),
                    REQ("\"version\":\"3.0.0\",\"support_end\":\"2026-07-14\""));
    pt_assert_denied(d, 1, "support", "less than 1 month after");
    r = hm_policy_decision_reason(d, 0);
    assert_non_null(strstr(r->hint, "set support_end to 2026-07-15 or later"));
    hm_policy_decision_free(d);
    d = pt_eval_str(POL("\"support\":{\"minimum_months\":1}"),
                    REQ("\"version\":\"3.0.0\",\"support_end\":\"2026-07-15\""));
    pt_assert_allowed(d);
    hm_policy_decision_free(d);
}

static void
test_calendar_months(void **state)
{
    struct hm_policy *p = pt_policy(POL("\"support\":{\"minimum_months\":1}"));
    struct hm_policy_request *r =
        pt_request(REQ("\"version\":\"1.0.0\",\"support_end\":\"2027-02-28\""));
    struct pt_state s = { .first = INT64_C(1801353600) }; /* 2027-01-31 */
    struct hm_policy_state st;
    struct hm_policy_decision *d;

    (void)state;
    pt_state_bind(&s, &st);
    d = pt_eval(p, r, &PT_CI_ACME, &st, INT64_C(1801353600));
    pt_assert_allowed(d);
    hm_policy_decision_free(d);
    hm_policy_request_free(r);
    r = pt_request(REQ("\"version\":\"1.0.0\",\"support_end\":\"2027-02-27\""));
    d = pt_eval(p, r, &PT_CI_ACME, &st, INT64_C(1801353600));
    pt_assert_denied(d, 1, "support", "the minimum is 2027-02-28");
    hm_policy_decision_free(d);
    hm_policy_request_free(r);
    hm_policy_free(p);
}

/* ---- windows and limits ---- */
static void
test_windows_rule(void **state)
{
    const char *pol = POL("\"windows\":{\"freeze\":[{\"from\":\"2026-12-20T00:00:00Z\","
                          "\"to\":\"2027-01-04T00:00:00Z\",\"reason\":\"year-end freeze\"}],"
                          "\"allowed_hours_utc\":[6,20],\"max_artifact_size\":1048576,"
                          "\"digests\":[\"sha512\"]}");
    static const struct {
        int64_t now;
        const char *needle;
    } cases[] = {
        { PT_NOW, NULL },              /* 12:00 */
        { INT64_C(1781503200), NULL }, /* 06:00 */
        { INT64_C(1781553599), NULL }, /* 19:59:59 */
        { INT64_C(1781553600), "may be signed only from 06:00 to 20:00 UTC; it is 20:00 UTC" },
        { INT64_C(1781499600), "it is 05:00 UTC" },
        { INT64_C(1797768000), "releases of acme-thermostat are frozen from "
                               "2026-12-20T00:00:00Z to 2027-01-04T00:00:00Z: year-end freeze" },
        { INT64_C(1799064000), NULL }, /* 2027-01-04T12:00:00Z: freeze over */
    };
    struct hm_policy *p = pt_policy(pol);
    struct hm_policy_request *r = pt_request(REQ("\"version\":\"1.0.0\""));

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hm_policy_decision *d = pt_eval(p, r, &PT_CI_ACME, NULL, cases[i].now);

        if (cases[i].needle == NULL) {
            pt_assert_allowed(d);
        } else {
            pt_assert_denied(d, 1, "windows", cases[i].needle);
        }
        hm_policy_decision_free(d);
    }
    hm_policy_request_free(r);
    hm_policy_free(p);
}

static void
test_windows_wrap_midnight(void **state)
{
    struct hm_policy *p = pt_policy(POL("\"windows\":{\"allowed_hours_utc\":[22,4]}"));
    struct hm_policy_request *r = pt_request(REQ("\"version\":\"1.0.0\""));
    struct hm_policy_decision *d;

    (void)state;
    d = pt_eval(p, r, &PT_CI_ACME, NULL, INT64_C(1781560800)); /* 22:00 */
    pt_assert_allowed(d);
    hm_policy_decision_free(d);
    d = pt_eval(p, r, &PT_CI_ACME, NULL, INT64_C(1781582399)); /* 03:59:59 */
    pt_assert_allowed(d);
    hm_policy_decision_free(d);
    d = pt_eval(p, r, &PT_CI_ACME, NULL, PT_NOW); /* 12:00 */
    pt_assert_denied(d, 1, "windows", "from 22:00 to 04:00 UTC; it is 12:00 UTC");
    hm_policy_decision_free(d);
    hm_policy_request_free(r);
    hm_policy_free(p);
}

static void
test_windows_limits(void **state)
{
    const char *pol = POL("\"windows\":{\"max_artifact_size\":4096,\"digests\":[\"sha256\","
                          "\"sha512\"]}");
    struct hm_policy_decision *d;

    (void)state;
    d = pt_eval_str(
        pol,
        "{\"product\":\"acme-thermostat\",\"version\":\"1.0.0\",\"artifacts\":[" PT_ART_B "]}");
    pt_assert_allowed(d);
    hm_policy_decision_free(d);
    d = pt_eval_str(pol, REQ("\"version\":\"1.0.0\""));
    pt_assert_denied(d, 1, "windows",
                     "artifact thermostat-1.4.2.bin is 1048576 bytes, more than the limit of 4096");
    hm_policy_decision_free(d);
    d = pt_eval_str(pol, "{\"product\":\"acme-thermostat\",\"version\":\"1.0.0\",\"artifacts\":["
                         "{\"name\":\"a.bin\",\"size\":1,\"digest\":{\"sha256\":\"" PT_A256
                         "\"}},{\"name\":\"b.bin\",\"size\":1,\"digest\":{\"sha512\":\"" PT_A512
                         "\"}}]}");
    pt_assert_denied(d, 2, "windows",
                     "artifact a.bin carries no sha512 digest, which the policy requires");
    assert_true(pt_has_reason(d, "windows", "artifact b.bin carries no sha256 digest"));
    hm_policy_decision_free(d);
}

/* The state as a document (`hallmark policy check --state`): the same answers as the store. */
static void
test_state_document(void **state)
{
    static const char doc[] =
        "{\"releases\":[{\"product\":\"acme-thermostat\",\"version\":\"1.4.1\",\"date\":"
        "\"2026-03-01\"},{\"product\":\"acme-thermostat\",\"version\":\"1.10.0\",\"date\":"
        "\"2026-05-01\"},{\"product\":\"acme-thermostat\",\"channel\":\"beta\",\"version\":"
        "\"2.0.0-rc.1\",\"date\":\"2026-04-01\"},{\"product\":\"acme-gateway\",\"version\":"
        "\"1.0.0\",\"date\":\"2020-01-01\"}]}";
    static const struct {
        const char *doc, *path;
    } bad[] = {
        { "{\"releases\":[{\"product\":\"a\",\"version\":\"1.0\",\"date\":\"2026-01-01\"}]}",
          "$.releases[0].version" },
        { "{\"releases\":[{\"product\":\"a\",\"version\":\"1.0.0\",\"date\":\"2026-13-01\"}]}",
          "$.releases[0].date" },
        { "{\"releases\":[{\"product\":\"a\",\"version\":\"1.0.0\",\"date\":\"2026-01-01\","
          "\"key\":\"k\"}]}",
          "$.releases[0].key" },
        { "{\"release\":[]}", "$.release" },
        { "[]", "$" },
    };
    struct hm_policy_releases *r = NULL;
    struct hm_policy_state st;
    struct hm_policy_error err;
    char out[HM_SEMVER_MAX_LEN + 1];
    int64_t first = 0;

    (void)state;
    assert_int_equal(hm_policy_releases_parse(doc, strlen(doc), &r, &err), HM_OK);
    hm_policy_releases_state(r, &st);
    assert_int_equal(st.highest(st.ctx, "acme-thermostat", "stable", out, sizeof(out)), HM_OK);
    assert_string_equal(out, "1.10.0"); /* SemVer order, not text order */
    assert_int_equal(st.highest(st.ctx, "acme-thermostat", "beta", out, sizeof(out)), HM_OK);
    assert_string_equal(out, "2.0.0-rc.1");
    assert_int_equal(st.highest(st.ctx, "acme-thermostat", "nightly", out, sizeof(out)),
                     HM_E_NOTFOUND);
    assert_int_equal(st.first_release(st.ctx, "acme-thermostat", 1, &first), HM_OK);
    assert_int_equal(first, INT64_C(1772323200)); /* 2026-03-01, on any channel */
    assert_int_equal(st.first_release(st.ctx, "acme-thermostat", 2, &first), HM_OK);
    assert_int_equal(st.first_release(st.ctx, "acme-thermostat", 3, &first), HM_E_NOTFOUND);
    hm_policy_releases_free(r);
    hm_policy_releases_free(NULL);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = (struct hm_policy_releases *)1;
        assert_int_equal(hm_policy_releases_parse(bad[i].doc, strlen(bad[i].doc), &r, &err),
                         HM_E_INVALID);
        assert_string_equal(err.path, bad[i].path);
        assert_null(r);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_binding),
        cmocka_unit_test(test_default_channel_only),
        cmocka_unit_test(test_unknown_product),
        cmocka_unit_test(test_version_rule),
        cmocka_unit_test(test_version_not_monotonic_and_store_failure),
        cmocka_unit_test(test_support_rule),
        cmocka_unit_test(test_support_months_and_hint),
        cmocka_unit_test(test_calendar_months),
        cmocka_unit_test(test_windows_rule),
        cmocka_unit_test(test_windows_wrap_midnight),
        cmocka_unit_test(test_windows_limits),
        cmocka_unit_test(test_state_document),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

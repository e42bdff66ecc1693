/*
 * test_policy_identity.c: rule 1, who may ask: mTLS identities (CN, SAN DNS, SAN URI) and
 * CI OIDC tokens checked offline against a JWKS on disk, with exact and glob claim
 * matchers.  Every way of failing is a denial with a reason that never shows the token.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_test.h"

#define GH "https://token.actions.githubusercontent.com"

struct fixture {
    char *dir;
    struct pt_key issuer, other;
    struct hm_policy *policy;
    struct hm_policy_request *req;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct hm_policy_error err;
    char *jwks, *path;

    f->dir = pt_tmpdir();
    pt_key_init(&f->issuer);
    pt_key_init(&f->other);
    jwks = pt_jwks(&f->issuer, "k1");
    pt_write(f->dir, "github-jwks.json", jwks);
    pt_write(f->dir, "policy.json",
             "{\"version\":1,\"oidc_issuers\":[{\"issuer\":\"" GH "\",\"jwks\":"
             "\"github-jwks.json\",\"audiences\":[\"hallmark\"],\"leeway_seconds\":60}],"
             "\"products\":[{\"name\":\"acme-thermostat\",\"identities\":{\"mtls\":["
             "\"cn:ci-acme\",\"san:dns:ci.acme.example\",\"san:uri:spiffe://acme/ci\"],"
             "\"oidc\":[{\"issuer\":\"" GH "\",\"claims\":{\"repository\":\"acme/thermostat\","
             "\"ref\":\"refs/tags/v*\"}}]}},{\"name\":\"acme-gateway\"}]}");
    path = pt_fmt("%s/policy.json", f->dir);
    assert_int_equal(hm_policy_load(path, &f->policy, &err), HM_OK);
    f->req = pt_request(
        "{\"product\":\"acme-thermostat\",\"version\":\"1.4.2\",\"artifacts\":[" PT_ART_A "]}");
    free(path);
    free(jwks);
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
    hm_policy_request_free(f->req);
    hm_policy_free(f->policy);
    pt_key_clear(&f->issuer);
    pt_key_clear(&f->other);
    pt_rmdir(f->dir);
    free(f);
    return 0;
}

static void
test_mtls_identities(void **state)
{
    struct fixture *f = *state;
    const char *dns[] = { "other.example", "CI.Acme.Example" };
    const char *uri[] = { "spiffe://acme/ci" };
    const char *bad_uri[] = { "spiffe://acme/ci/" };
    static const struct {
        struct hm_policy_identity who;
        bool allowed;
        const char *shown;
    } cases[] = {
        { { .cn = "ci-acme" }, true, "cn:ci-acme" },
        { { .cn = "ci-acme2" }, false, "cn:ci-acme2" },
        { { .cn = "CI-ACME" }, false, "cn:CI-ACME" }, /* CN compares exactly */
        { { .cn = NULL }, false, NULL },
    };
    struct hm_policy_identity w1 = { .san_dns = dns, .n_san_dns = 2 };
    struct hm_policy_identity w2 = { .cn = "x", .san_uri = uri, .n_san_uri = 1 };
    struct hm_policy_identity w3 = { .san_uri = bad_uri, .n_san_uri = 1 };
    struct hm_policy_decision *d;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        d = pt_eval(f->policy, f->req, &cases[i].who, NULL, PT_NOW);
        if (cases[i].allowed) {
            pt_assert_allowed(d);
            assert_string_equal(hm_policy_decision_identity(d), cases[i].shown);
        } else {
            pt_assert_denied(d, 1, "identity", "may not request signing for acme-thermostat");
        }
        hm_policy_decision_free(d);
    }
    d = pt_eval(f->policy, f->req, &w1, NULL, PT_NOW); /* DNS names ignore case */
    pt_assert_allowed(d);
    assert_string_equal(hm_policy_decision_identity(d), "san:dns:ci.acme.example");
    hm_policy_decision_free(d);
    d = pt_eval(f->policy, f->req, &w2, NULL, PT_NOW);
    pt_assert_allowed(d);
    assert_string_equal(hm_policy_decision_identity(d), "san:uri:spiffe://acme/ci");
    hm_policy_decision_free(d);
    d = pt_eval(f->policy, f->req, &w3, NULL, PT_NOW);
    pt_assert_denied(d, 1, "identity", "san:uri:spiffe://acme/ci/ may not");
    hm_policy_decision_free(d);
}

/* A product without an identities rule leaves the choice to the daemon's own config. */
static void
test_no_identity_rule(void **state)
{
    struct fixture *f = *state;
    struct hm_policy_request *r = pt_request(
        "{\"product\":\"acme-gateway\",\"version\":\"1.0.0\",\"artifacts\":[" PT_ART_A "]}");
    struct hm_policy_identity who = { .cn = "someone" };
    struct hm_policy_decision *d = pt_eval(f->policy, r, &who, NULL, PT_NOW);

    pt_assert_allowed(d);
    assert_string_equal(hm_policy_decision_identity(d), "cn:someone");
    hm_policy_decision_free(d);
    hm_policy_request_free(r);
}

static char *
claims(const char *repo, const char *ref, const char *aud, int64_t exp)
{
    return pt_fmt("{\"iss\":\"" GH "\",\"aud\":\"%s\",\"sub\":\"repo:%s:ref:%s\",%s%s%s"
                  "\"repository\":\"%s\",\"exp\":%lld,\"iat\":%lld}",
                  aud, repo, ref, ref[0] != '\0' ? "\"ref\":\"" : "", ref,
                  ref[0] != '\0' ? "\"," : "", repo, (long long)exp, (long long)(PT_NOW - 10));
}

static void
test_oidc_token_accepted(void **state)
{
    struct fixture *f = *state;
    char *c = claims("acme/thermostat", "refs/tags/v1.4.2", "hallmark", PT_NOW + 300);
    char *jwt = pt_jwt(&f->issuer, "k1", c);
    struct hm_policy_identity who = { .bearer = jwt };
    struct hm_policy_decision *d = pt_eval(f->policy, f->req, &who, NULL, PT_NOW);

    pt_assert_allowed(d);
    assert_string_equal(hm_policy_decision_identity(d),
                        "oidc:" GH ":repo:acme/thermostat:ref:refs/tags/v1.4.2");
    hm_policy_decision_free(d);
    free(jwt);
    free(c);
}

static void
test_oidc_token_refused(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *repo, *ref, *aud;
        int64_t exp;
        bool other_key;
        const char *kid;
        const char *needle;
    } cases[] = {
        { "evil/thermostat", "refs/tags/v1.4.2", "hallmark", 300, false, "k1",
          "claim repository is \"evil/thermostat\", which does not match \"acme/thermostat\"" },
        { "acme/thermostat", "refs/heads/main", "hallmark", 300, false, "k1",
          "claim ref is \"refs/heads/main\", which does not match \"refs/tags/v*\"" },
        { "acme/thermostat", "", "hallmark", 300, false, "k1", "claim ref is absent" },
        { "acme/thermostat", "refs/tags/v1.4.2", "sigstore", 300, false, "k1",
          "the CI token was not accepted" },
        { "acme/thermostat", "refs/tags/v1.4.2", "hallmark", -120, false, "k1",
          "the CI token was not accepted" },
        { "acme/thermostat", "refs/tags/v1.4.2", "hallmark", 300, true, "k1",
          "the CI token was not accepted" },
        { "acme/thermostat", "refs/tags/v1.4.2", "hallmark", 300, false, "k2",
          "the CI token was not accepted" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *c = claims(cases[i].repo, cases[i].ref, cases[i].aud, PT_NOW + cases[i].exp);
        char *jwt = pt_jwt(cases[i].other_key ? &f->other : &f->issuer, cases[i].kid, c);
        struct hm_policy_identity who = { .bearer = jwt };
        struct hm_policy_decision *d = pt_eval(f->policy, f->req, &who, NULL, PT_NOW);
        const struct hm_policy_reason *r;

        pt_assert_denied(d, 1, "identity", cases[i].needle);
        r = hm_policy_decision_reason(d, 0);
        assert_null(strstr(r->reason, jwt)); /* never the token */
        assert_null(strstr(r->reason, strchr(jwt, '.') + 1));
        assert_null(hm_policy_decision_identity(d));
        hm_policy_decision_free(d);
        free(jwt);
        free(c);
    }
}

static void
test_oidc_garbage_and_alg_none(void **state)
{
    struct fixture *f = *state;
    /* {"alg":"none","kid":"k1"} . the accepted claims . no signature */
    char *c = claims("acme/thermostat", "refs/tags/v1.4.2", "hallmark", PT_NOW + 300);
    char *jwt = pt_jwt(&f->issuer, "k1", c), *dot = strchr(jwt, '.'), *none;
    const char *tokens[3];

    none = pt_fmt("eyJhbGciOiJub25lIiwia2lkIjoiazEifQ%.*s.", (int)(strrchr(jwt, '.') - dot), dot);
    tokens[0] = none;
    tokens[1] = "not a token";
    tokens[2] = "";
    for (size_t i = 0; i < 3; i++) {
        struct hm_policy_identity who = { .bearer = tokens[i] };
        struct hm_policy_decision *d = pt_eval(f->policy, f->req, &who, NULL, PT_NOW);

        pt_assert_denied(d, 1, "identity", "the CI token was not accepted");
        hm_policy_decision_free(d);
    }
    free(none);
    free(jwt);
    free(c);
}

/* mTLS that matches wins even when a bad token comes along. */
static void
test_mtls_and_token(void **state)
{
    struct fixture *f = *state;
    struct hm_policy_identity who = { .cn = "ci-acme", .bearer = "x.y.z" };
    struct hm_policy_decision *d = pt_eval(f->policy, f->req, &who, NULL, PT_NOW);

    pt_assert_allowed(d);
    assert_string_equal(hm_policy_decision_identity(d), "cn:ci-acme");
    hm_policy_decision_free(d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mtls_identities),           cmocka_unit_test(test_no_identity_rule),
        cmocka_unit_test(test_oidc_token_accepted),       cmocka_unit_test(test_oidc_token_refused),
        cmocka_unit_test(test_oidc_garbage_and_alg_none), cmocka_unit_test(test_mtls_and_token),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_policy_steward.c: the "stewards" section (who may issue CRA Art. 25 steward
 * attestations for which project, with which key) and hm_policy_steward_authorise; the
 * per-product CRA facts (manufacturer, security contact); and the accessors the daemon
 * reads a policy through (hm_policy_each_key, hm_policy_product_has_identities).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_test.h"

#define GH "https://token.actions.githubusercontent.com"

struct fixture {
    char *dir;
    struct pt_key issuer;
    struct hm_policy *policy;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct hm_policy_error err;
    char *jwks, *path;

    f->dir = pt_tmpdir();
    pt_key_init(&f->issuer);
    jwks = pt_jwks(&f->issuer, "k1");
    pt_write(f->dir, "jwks.json", jwks);
    pt_write(f->dir, "policy.json",
             "{\"version\":1,\"oidc_issuers\":[{\"issuer\":\"" GH "\",\"jwks\":\"jwks.json\","
             "\"audiences\":[\"hallmark\"]}],"
             "\"products\":[{\"name\":\"acme-thermostat\",\"keys\":{\"stable\":\"fw-p256\"},"
             "\"manufacturer\":\"ACME Devices GmbH\",\"security_contact\":"
             "\"https://acme.example/security\",\"identities\":{\"mtls\":[\"cn:ci-acme\"]}},"
             "{\"name\":\"acme-gateway\"}],"
             "\"stewards\":[{\"projects\":[\"pkg:github/madler/zlib\",\"pkg:github/curl/*\"],"
             "\"identities\":{\"mtls\":[\"cn:steward-ci\"],\"oidc\":[{\"issuer\":\"" GH "\","
             "\"claims\":{\"repository\":\"openssf/attest\"}}]},\"key\":\"steward-p256\"},"
             "{\"projects\":[\"pkg:github/madler/zlib\"],\"identities\":{\"mtls\":"
             "[\"cn:zlib-team\"]},\"key\":\"zlib-key\"}]}");
    path = pt_fmt("%s/policy.json", f->dir);
    assert_int_equal(hm_policy_load(path, &f->policy, &err), HM_OK);
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
        return 0;
    }
    hm_policy_free(f->policy);
    pt_key_clear(&f->issuer);
    pt_rmdir(f->dir);
    free(f);
    return 0;
}

static void
test_steward_mtls(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *cn, *purl;
        hm_err rc;
        const char *key;
    } cases[] = {
        { "steward-ci", "pkg:github/madler/zlib", HM_OK, "steward-p256" },
        { "steward-ci", "pkg:github/curl/curl", HM_OK, "steward-p256" },
        { "zlib-team", "pkg:github/madler/zlib", HM_OK, "zlib-key" },      /* second entry */
        { "zlib-team", "pkg:github/curl/curl", HM_E_DENIED, NULL },        /* not its project */
        { "steward-ci", "pkg:github/openssl/openssl", HM_E_DENIED, NULL }, /* unknown project */
        { "steward-ci", "pkg:github/madler/zlib2", HM_E_DENIED, NULL },    /* exact, not prefix */
        { "ci-acme", "pkg:github/madler/zlib", HM_E_DENIED, NULL },        /* product identity */
    };
    char why[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hm_policy_identity who = { .cn = cases[i].cn };
        const char *key = "untouched";
        hm_err rc = hm_policy_steward_authorise(f->policy, &who, cases[i].purl, PT_NOW, &key, why,
                                                sizeof(why));
        assert_int_equal(rc, cases[i].rc);
        if (cases[i].key != NULL) {
            assert_non_null(key);
            assert_string_equal(key, cases[i].key);
        } else {
            assert_null(key);
            /* unknown project and unauthorised identity read alike */
            char want[256];
            snprintf(want, sizeof(want), "%s may not issue steward attestations for %s",
                     cases[i].cn, cases[i].purl);
            assert_string_equal(why, want);
        }
    }
}

static void
test_steward_oidc(void **state)
{
    struct fixture *f = *state;
    char *good = pt_fmt("{\"iss\":\"" GH "\",\"aud\":\"hallmark\",\"sub\":\"repo:openssf/attest\","
                        "\"repository\":\"openssf/attest\",\"iat\":%lld,\"exp\":%lld}",
                        (long long)PT_NOW - 10, (long long)PT_NOW + 300);
    char *expired = pt_fmt("{\"iss\":\"" GH "\",\"aud\":\"hallmark\",\"sub\":\"x\","
                           "\"repository\":\"openssf/attest\",\"iat\":%lld,\"exp\":%lld}",
                           (long long)PT_NOW - 4000, (long long)PT_NOW - 3000);
    char *other = pt_fmt("{\"iss\":\"" GH "\",\"aud\":\"hallmark\",\"sub\":\"x\","
                         "\"repository\":\"evil/attest\",\"iat\":%lld,\"exp\":%lld}",
                         (long long)PT_NOW - 10, (long long)PT_NOW + 300);
    char *t_good = pt_jwt(&f->issuer, "k1", good);
    char *t_expired = pt_jwt(&f->issuer, "k1", expired);
    char *t_other = pt_jwt(&f->issuer, "k1", other);
    struct hm_policy_identity who = { .bearer = t_good };
    const char *key = NULL;
    char why[256];

    assert_int_equal(hm_policy_steward_authorise(f->policy, &who, "pkg:github/curl/curl", PT_NOW,
                                                 &key, why, sizeof(why)),
                     HM_OK);
    assert_string_equal(key, "steward-p256");
    who.bearer = t_expired;
    assert_int_equal(hm_policy_steward_authorise(f->policy, &who, "pkg:github/curl/curl", PT_NOW,
                                                 &key, why, sizeof(why)),
                     HM_E_DENIED);
    assert_null(key);
    assert_null(strstr(why, t_expired)); /* the token never appears in a reason */
    assert_string_equal(why, "this CI token may not issue steward attestations for "
                             "pkg:github/curl/curl");
    who.bearer = t_other;
    assert_int_equal(hm_policy_steward_authorise(f->policy, &who, "pkg:github/curl/curl", PT_NOW,
                                                 &key, why, sizeof(why)),
                     HM_E_DENIED);
    assert_null(key);
    free(good);
    free(expired);
    free(other);
    free(t_good);
    free(t_expired);
    free(t_other);
}

static void
test_no_stewards_section(void **state)
{
    struct hm_policy *p = pt_policy("{\"version\":1,\"products\":[{\"name\":\"a\"}]}");
    struct hm_policy_identity who = { .cn = "steward-ci" };
    const char *key = "untouched";
    char why[128];

    (void)state;
    assert_int_equal(hm_policy_steward_authorise(p, &who, "pkg:github/madler/zlib", PT_NOW, &key,
                                                 why, sizeof(why)),
                     HM_E_NOTFOUND);
    assert_null(key);
    hm_policy_free(p);
}

static void
test_stewards_parse_errors(void **state)
{
    static const struct {
        const char *stewards;
        const char *path, *needle;
    } cases[] = {
        { "[{\"projects\":[\"pkg:github/a/b\"],\"key\":\"k\"}]", "$.stewards[0]",
          "\"identities\" is required" },
        { "[{\"projects\":[\"github/a/b\"],\"identities\":{\"mtls\":[\"cn:x\"]},\"key\":\"k\"}]",
          "$.stewards[0].projects[0]", "is not a purl pattern" },
        { "[{\"projects\":[\"pkg:github/a/b\"],\"identities\":{\"mtls\":[\"cn:x\"]}}]",
          "$.stewards[0].key", "" },
        { "[{\"projects\":[\"pkg:github/a/b\"],\"identities\":{\"mtls\":[\"cn:x\"]},\"key\":\"k\","
          "\"extra\":1}]",
          "$.stewards[0]", "extra" },
        { "[{\"projects\":[\"pkg:github/a/b\"],\"identities\":{\"oidc\":[{\"issuer\":"
          "\"https://gitlab.com\",\"claims\":{\"project_path\":\"a/b\"}}]},\"key\":\"k\"}]",
          "$.stewards[0].identities.oidc[0].issuer", "is not in $.oidc_issuers" },
        { "[]", "$.stewards", "" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *doc = pt_fmt("{\"version\":1,\"products\":[{\"name\":\"a\"}],\"stewards\":%s}",
                           cases[i].stewards);
        struct hm_policy *p = (struct hm_policy *)1;
        struct hm_policy_error err;
        assert_int_equal(hm_policy_parse(doc, strlen(doc), &p, &err), HM_E_INVALID);
        assert_null(p);
        if (strncmp(err.path, cases[i].path, strlen(cases[i].path)) != 0 ||
            strstr(err.message, cases[i].needle) == NULL) {
            fail_msg("case %zu: %s: %s", i, err.path, err.message);
        }
        free(doc);
    }
}

static void
test_cra_facts(void **state)
{
    struct fixture *f = *state;
    const char *m = "x", *c = "x";
    static const char *const bad[] = {
        "\"security_contact\":\"not a contact\"",
        "\"security_contact\":\"http://acme.example\"",
        "\"manufacturer\":\"\"",
        "\"manufacturer\":7",
    };

    hm_policy_product_facts(f->policy, "acme-thermostat", &m, &c);
    assert_string_equal(m, "ACME Devices GmbH");
    assert_string_equal(c, "https://acme.example/security");
    hm_policy_product_facts(f->policy, "acme-gateway", &m, &c);
    assert_null(m);
    assert_null(c);
    hm_policy_product_facts(f->policy, "unknown", &m, &c);
    assert_null(m);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *doc = pt_fmt("{\"version\":1,\"products\":[{\"name\":\"a\",%s}]}", bad[i]);
        struct hm_policy *p = NULL;
        struct hm_policy_error err;
        assert_int_equal(hm_policy_parse(doc, strlen(doc), &p, &err), HM_E_INVALID);
        assert_null(p);
        assert_non_null(strstr(err.path, "$.products[0]"));
        free(doc);
    }
}

static hm_err
collect(void *ctx, const char *path, const char *key)
{
    char *buf = ctx;
    size_t n = strlen(buf);

    snprintf(buf + n, 512 - n, "%s=%s;", path, key);
    return strcmp(key, "zlib-key") == 0 ? HM_E_INVALID : HM_OK;
}

static void
test_each_key(void **state)
{
    struct fixture *f = *state;
    char buf[512] = "";

    /* stops at the callback's first error, and returns it */
    assert_int_equal(hm_policy_each_key(f->policy, collect, buf), HM_E_INVALID);
    assert_string_equal(buf, "$.products[0].keys.stable=fw-p256;$.stewards[0].key=steward-p256;"
                             "$.stewards[1].key=zlib-key;");
    assert_true(hm_policy_product_has_identities(f->policy, "acme-thermostat"));
    assert_false(hm_policy_product_has_identities(f->policy, "acme-gateway"));
    assert_false(hm_policy_product_has_identities(f->policy, "nope"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_steward_mtls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_steward_oidc, setup, teardown),
        cmocka_unit_test(test_no_stewards_section),
        cmocka_unit_test(test_stewards_parse_errors),
        cmocka_unit_test_setup_teardown(test_cra_facts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_key, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_daemon_identity.c: who a client certificate names (CN, DNS and URI SANs), how
 * the config's rules match it, and the per-client rate limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509v3.h>

#include "hmd.h"

/* A certificate with the given CN entries (cn may hold NULs: cn_len) and SAN text. */
static X509 *
make_cert(const char *cn, int cn_len, int n_cn, const char *san)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_get_subject_name(x);

    assert_non_null(x);
    for (int i = 0; i < n_cn; i++) {
        assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_ASC,
                                                    (const unsigned char *)cn, cn_len, -1, 0),
                         1);
    }
    X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_ASC,
                               (const unsigned char *)"acme", -1, -1, 0);
    if (san != NULL) {
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
        assert_non_null(ext);
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    return x;
}

static void
test_identity_names_cn_and_sans(void **state)
{
    X509 *x = make_cert("ci-acme", -1, 1, "DNS:Builder.Example, URI:spiffe://ci/acme");
    struct hmd_identity *id = NULL;
    struct hmd_rule cn = { HMD_RULE_CN, "ci-acme" }, cn_bad = { HMD_RULE_CN, "ci-acm" };
    struct hmd_rule dns = { HMD_RULE_SAN_DNS, "builder.example" };
    struct hmd_rule uri = { HMD_RULE_SAN_URI, "spiffe://ci/acme" };
    struct hmd_rule uri_case = { HMD_RULE_SAN_URI, "SPIFFE://ci/acme" };

    (void)state;
    assert_int_equal(hmd_identity_from_cert(x, &id), HM_OK);
    assert_string_equal(id->cn, "ci-acme");
    assert_string_equal(id->display, "cn:ci-acme");
    assert_int_equal(id->n_dns, 1);
    assert_int_equal(id->n_uri, 1);
    assert_true(hmd_rule_matches(&cn, id));
    assert_false(hmd_rule_matches(&cn_bad, id));
    assert_true(hmd_rule_matches(&dns, id)); /* DNS names ignore case */
    assert_true(hmd_rule_matches(&uri, id));
    assert_false(hmd_rule_matches(&uri_case, id)); /* URIs do not */
    hmd_identity_free(id);
    X509_free(x);
}

static void
test_identity_refuses_ambiguous_names(void **state)
{
    struct hmd_identity *id = NULL;
    struct hmd_rule cn = { HMD_RULE_CN, "ci-acme" };
    X509 *x = NULL;

    (void)state;
    /* a NUL inside the CN ("ci-acme\0.evil") must not read as "ci-acme" */
    x = make_cert("ci-acme\0.evil", 13, 1, "DNS:b.example");
    assert_int_equal(hmd_identity_from_cert(x, &id), HM_OK);
    assert_null(id->cn);
    assert_string_equal(id->display, "san:dns:b.example");
    assert_false(hmd_rule_matches(&cn, id));
    hmd_identity_free(id);
    X509_free(x);
    /* two CNs: neither is "the" CN */
    x = make_cert("ci-acme", -1, 2, "URI:spiffe://x");
    assert_int_equal(hmd_identity_from_cert(x, &id), HM_OK);
    assert_null(id->cn);
    assert_false(hmd_rule_matches(&cn, id));
    hmd_identity_free(id);
    X509_free(x);
    /* a certificate that names nobody */
    x = make_cert("x", -1, 0, NULL);
    id = (struct hmd_identity *)&cn; /* must be reset */
    assert_int_equal(hmd_identity_from_cert(x, &id), HM_E_DENIED);
    assert_null(id);
    X509_free(x);
    assert_int_equal(hmd_identity_from_cert(NULL, &id), HM_E_DENIED);
    assert_null(id);
}

static void
test_rate_limit_allows_the_rate_then_refuses(void **state)
{
    unsigned retry = 0;

    (void)state;
    hmd_rate_reset();
    for (int i = 0; i < 5; i++) {
        assert_true(hmd_rate_take("cn:a", 5, &retry));
    }
    assert_false(hmd_rate_take("cn:a", 5, &retry));
    assert_true(retry >= 1);
    assert_true(hmd_rate_take("cn:b", 5, &retry)); /* buckets are per client */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_names_cn_and_sans),
        cmocka_unit_test(test_identity_refuses_ambiguous_names),
        cmocka_unit_test(test_rate_limit_allows_the_rate_then_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

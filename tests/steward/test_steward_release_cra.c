/*
 * test_steward_release_cra.c: the CRA product facts of a release statement (manufacturer,
 * security contact; attest/release.c).  Without them the statement is byte for byte the
 * one it always was (the fixture written by tests/attest/data/make-fixtures.py); with them
 * it carries both, in the documented place, and libhallmark-verify reads it; malformed
 * values are refused.
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

/* The release of tests/attest/data/good_statement.json. */
static void
fixture_release(struct hm_release *rel, struct hm_artifact *art, uint8_t sbom[HM_SHA256_LEN],
                uint8_t **fw)
{
    struct hm_digests d;
    size_t fw_len = 0;
    unsigned n = 0;

    *fw = sw_read("tests/attest/data/thermostat-1.4.2.bin", &fw_len);
    assert_int_equal(EVP_Digest(*fw, fw_len, d.sha256, &n, EVP_sha256(), NULL), 1);
    assert_int_equal(EVP_Digest(*fw, fw_len, d.sha512, &n, EVP_sha512(), NULL), 1);
    *art = (struct hm_artifact){ .name = "thermostat-1.4.2.bin", .size = fw_len };
    memcpy(art->sha256, d.sha256, HM_SHA256_LEN);
    memcpy(art->sha512, d.sha512, HM_SHA512_LEN);
    hm_sha256("sbom", 4, sbom);
    *rel = (struct hm_release){ .product = "acme-thermostat",
                                .channel = "stable",
                                .version = "1.4.2+build.7",
                                .artifacts = art,
                                .n_artifacts = 1,
                                .support_end = "2031-12-31",
                                .sbom_sha256 = sbom,
                                .signed_at = 1795824000 };
}

static void
test_without_facts_the_bytes_are_unchanged(void **state)
{
    struct hm_release rel;
    struct hm_artifact art;
    uint8_t sbom[HM_SHA256_LEN], *fw = NULL, *want = NULL, *json = NULL;
    size_t want_len = 0, len = 0;

    (void)state;
    fixture_release(&rel, &art, sbom, &fw);
    want = sw_read("tests/attest/data/good_statement.json", &want_len);
    assert_int_equal(hm_release_statement(&rel, &json, &len), HM_OK);
    assert_int_equal(len, want_len);
    assert_memory_equal(json, want, len);
    assert_null(strstr((char *)json, "manufacturer"));
    free(json);
    free(want);
    free(fw);
}

static void
test_with_facts_the_statement_carries_them(void **state)
{
    struct hm_release rel;
    struct hm_artifact art;
    struct hm_statement *st = NULL;
    uint8_t sbom[HM_SHA256_LEN], *fw = NULL, *json = NULL;
    size_t len = 0;
    char why[256];
    const char *m, *c, *s;

    (void)state;
    fixture_release(&rel, &art, sbom, &fw);
    rel.manufacturer = "ACME \"Devices\" GmbH";
    rel.security_contact = "psirt@acme.example";
    assert_int_equal(hm_release_check(&rel, why, sizeof(why)), HM_OK);
    assert_int_equal(hm_release_statement(&rel, &json, &len), HM_OK);
    m = strstr((char *)json, ",\"manufacturer\":\"ACME \\\"Devices\\\" GmbH\"");
    c = strstr((char *)json, ",\"securityContact\":\"psirt@acme.example\"");
    s = strstr((char *)json, ",\"signedAt\":");
    assert_non_null(m);
    assert_non_null(c);
    /* documented order: ..., sbom, manufacturer, securityContact, signedAt */
    assert_true(strstr((char *)json, "\"sbom\":") < m && m < c && c < s);
    if (hm_statement_parse(json, len, &st, why, sizeof(why)) != HM_OK) {
        fail_msg("libhallmark-verify refuses it: %s", why);
    }
    assert_string_equal(st->release->product, "acme-thermostat");
    hm_statement_free(st);
    free(json);
    rel.manufacturer = NULL;
    rel.security_contact = "https://acme.example/security";
    assert_int_equal(hm_release_statement(&rel, &json, &len), HM_OK);
    assert_null(strstr((char *)json, "manufacturer"));
    assert_non_null(strstr((char *)json, "\"securityContact\":\"https://acme.example/security\""));
    free(json);
    free(fw);
}

static void
test_malformed_facts_are_refused(void **state)
{
    static const struct {
        const char *manufacturer, *contact, *why;
    } cases[] = {
        { "", NULL, "manufacturer: not 1..256 bytes of printable ASCII" },
        { "ACME\nGmbH", NULL, "manufacturer: not 1..256" },
        { "ACME Gm\xc3\xa9H", NULL, "manufacturer: not 1..256" }, /* the verifier reads ASCII */
        { NULL, "call us", "security_contact: neither an email address nor an https URL" },
        { NULL, "http://acme.example/security", "security_contact: neither" },
        { NULL, "mailto:psirt@acme.example", "security_contact: neither" },
        { NULL, "", "security_contact: neither" },
    };
    struct hm_release rel;
    struct hm_artifact art;
    uint8_t sbom[HM_SHA256_LEN], *fw = NULL, *json = NULL;
    size_t len = 7;
    char why[256], longname[300];

    (void)state;
    fixture_release(&rel, &art, sbom, &fw);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rel.manufacturer = cases[i].manufacturer;
        rel.security_contact = cases[i].contact;
        assert_int_equal(hm_release_check(&rel, why, sizeof(why)), HM_E_INVALID);
        if (strncmp(why, cases[i].why, strlen(cases[i].why)) != 0) {
            fail_msg("case %zu: \"%s\"", i, why);
        }
        assert_int_equal(hm_release_statement(&rel, &json, &len), HM_E_INVALID);
        assert_null(json);
        assert_int_equal(len, 0);
    }
    memset(longname, 'a', 256);
    longname[256] = '\0';
    rel.manufacturer = longname;
    rel.security_contact = NULL;
    assert_int_equal(hm_release_check(&rel, why, sizeof(why)), HM_OK);
    longname[256] = 'a';
    longname[257] = '\0';
    assert_int_equal(hm_release_check(&rel, why, sizeof(why)), HM_E_INVALID);
    free(fw);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_facts_the_bytes_are_unchanged),
        cmocka_unit_test(test_with_facts_the_statement_carries_them),
        cmocka_unit_test(test_malformed_facts_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

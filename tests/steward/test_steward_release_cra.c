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
    assert_string_equal(st->release->manufacturer, "ACME \"Devices\" GmbH");
    assert_string_equal(st->release->security_contact, "psirt@acme.example");
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

/* The six CRA facts reach a device through hm_verify_bundle_key's result, read from the
 * verified bytes; a statement whose manufacturer breaks the rules is refused. */
static void
test_verify_reports_the_facts(void **state)
{
    struct hm_release rel;
    struct hm_artifact art;
    struct hm_verify_artifact va = { 0 };
    struct hm_verify_result res;
    EVP_PKEY *key = sw_keygen();
    struct hm_pubkey *pk = sw_pubkey(key);
    uint8_t sbom[HM_SHA256_LEN], *fw = NULL, *json = NULL;
    char *bundle = NULL, why[256], bad[8192];
    size_t len = 0, blen = 0;

    (void)state;
    fixture_release(&rel, &art, sbom, &fw);
    rel.manufacturer = "ACME Devices GmbH";
    rel.security_contact = "https://acme.example/security";
    assert_int_equal(hm_release_check(&rel, why, sizeof(why)), HM_OK);
    assert_int_equal(hm_release_statement(&rel, &json, &len), HM_OK);
    assert_int_equal(hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, json, len, hm_pubkey_keyid(pk), sw_sign,
                                    key, &bundle, &blen),
                     HM_OK);
    va.name = art.name;
    memcpy(va.digests.sha256, art.sha256, HM_SHA256_LEN);
    memcpy(va.digests.sha512, art.sha512, HM_SHA512_LEN);
    assert_int_equal(hm_verify_bundle_key((uint8_t *)bundle, blen, pk, &va, 1, NULL, &res), HM_OK);
    assert_int_equal(res.status, HM_V_OK);
    assert_string_equal(res.manufacturer, "ACME Devices GmbH");
    assert_string_equal(res.security_contact, "https://acme.example/security");
    assert_string_equal(res.product, "acme-thermostat");
    assert_string_equal(res.version, rel.version);
    assert_string_equal(res.support_end, rel.support_end);
    free(bundle);
    /* a control character in the manufacturer: refused, even when signed */
    assert_true(len < sizeof(bad));
    memcpy(bad, json, len);
    bad[len] = '\0';
    char *at = strstr(bad, "ACME Devices");
    assert_non_null(at);
    memcpy(at, "ACME\\u0007evices", 16);
    assert_int_equal(hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, (uint8_t *)bad, strlen(bad),
                                    hm_pubkey_keyid(pk), sw_sign, key, &bundle, &blen),
                     HM_OK);
    assert_int_equal(hm_verify_bundle_key((uint8_t *)bundle, blen, pk, &va, 1, NULL, &res), HM_OK);
    assert_int_equal(res.status, HM_V_MALFORMED_STATEMENT);
    assert_string_equal(res.manufacturer, "");
    free(bundle);
    free(json);
    free(fw);
    hm_pubkey_free(pk);
    EVP_PKEY_free(key);
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
        cmocka_unit_test(test_verify_reports_the_facts),
        cmocka_unit_test(test_malformed_facts_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

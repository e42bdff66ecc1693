/*
 * test_keyattest_verify.c: libhallmark-verify's key-attestation checks on synthetic
 * evidence (ka_fixture.c).  The evidence is re-signed by the software AK after every
 * change, so each case trips exactly the check it aims at and must name its own reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/rand.h>

#include "ka_fixture.h"

static struct ka_fx fx;

static void
expect_status(const struct hm_keyatt *ka, const struct hm_keyatt_opts *o,
              enum hm_keyatt_status want, const char *what)
{
    char detail[256] = "";
    enum hm_keyatt_status got = ka_fx_status(ka, o, detail, sizeof(detail));

    if (got != want) {
        print_error("%s: got %s (%s), wanted %s\n", what, hm_verify_keyatt_status_name(got), detail,
                    hm_verify_keyatt_status_name(want));
    }
    assert_int_equal(got, want);
}

static void
test_good_evidence(void **state)
{
    struct hm_keyatt *ka;
    struct hm_keyatt_opts o = ka_fx_opts(&fx);
    struct hm_keyatt_result r;
    uint8_t *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;

    (void)state;
    ka_fx_reset(&fx);
    ka = ka_fx_build(&fx);
    assert_int_equal(hm_keyatt_statement(ka, &a, &alen, NULL, 0), HM_OK);
    assert_int_equal(hm_keyatt_statement(ka, &b, &blen, NULL, 0), HM_OK);
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, alen); /* deterministic: the same evidence, the same bytes */
    assert_int_equal(hm_verify_keyatt_statement(a, alen, &o, &r), HM_OK);
    assert_int_equal(r.status, HM_KA_OK);
    assert_true(r.hardware_verified);
    assert_int_equal(r.key_attributes, 0x00040072u);
    assert_string_equal(r.tpm_manufacturer, "TST");
    /* no caller nonce: the statement's own must still be what the TPM certified */
    o.nonce = NULL;
    expect_status(ka, &o, HM_KA_OK, "own nonce");
    /* a device without a clock */
    o.now = 0;
    expect_status(ka, &o, HM_KA_OK, "no time");
    free(a);
    free(b);
    hm_verify_keyatt_free(ka);
}

static void
test_each_check_has_its_reason(void **state)
{
    struct hm_keyatt_opts o = ka_fx_opts(&fx);
    static const struct {
        const char *what;
        enum hm_keyatt_status want;
    } names[] = {
        { "magic", HM_KA_BAD_MAGIC },
        { "type", HM_KA_BAD_TYPE },
        { "extraData", HM_KA_NONCE_MISMATCH },
        { "certified name", HM_KA_NAME_MISMATCH },
        { "keyPublic of another key", HM_KA_KEY_MISMATCH },
        { "fixedTPM clear", HM_KA_KEY_ATTRIBUTES },
        { "fixedParent clear", HM_KA_KEY_ATTRIBUTES },
        { "sensitiveDataOrigin clear", HM_KA_KEY_ATTRIBUTES },
        { "sign clear", HM_KA_KEY_ATTRIBUTES },
        { "decrypt set", HM_KA_KEY_ATTRIBUTES },
        { "AK not restricted", HM_KA_AK_ATTRIBUTES },
        { "AK not fixedTPM", HM_KA_AK_ATTRIBUTES },
        { "AK also decrypts", HM_KA_AK_ATTRIBUTES },
        { "signed by another key", HM_KA_AK_SIGNATURE },
        { "trailing byte after TPMS_ATTEST", HM_KA_MALFORMED },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct hm_keyatt *ka;
        ka_fx_reset(&fx);
        switch (i) {
        case 0:
            fx.magic = 0xff544348u;
            break;
        case 1:
            fx.type = 0x8018;
            break; /* a quote */
        case 2:
            fx.extra_nonce_wrong = true;
            break;
        case 3:
            fx.name_wrong = true;
            break;
        case 4:
            fx.key_public_other = true;
            break;
        case 5:
            fx.key_attrs &= ~(1u << 1);
            break;
        case 6:
            fx.key_attrs &= ~(1u << 4);
            break;
        case 7:
            fx.key_attrs &= ~(1u << 5);
            break;
        case 8:
            fx.key_attrs &= ~(1u << 18);
            break;
        case 9:
            fx.key_attrs |= 1u << 17;
            break;
        case 10:
            fx.ak_attrs &= ~(1u << 16);
            break;
        case 11:
            fx.ak_attrs &= ~(1u << 1);
            break;
        case 12:
            fx.ak_attrs |= 1u << 17;
            break;
        case 13:
            fx.sign_with_other = true;
            break;
        case 14:
            fx.trailing_byte = true;
            break;
        }
        ka = ka_fx_build(&fx);
        expect_status(ka, &o, names[i].want, names[i].what);
        hm_verify_keyatt_free(ka);
    }
    ka_fx_reset(&fx);
}

static void
test_caller_inputs(void **state)
{
    struct hm_keyatt *ka;
    struct hm_keyatt_opts o;
    struct hm_keyatt_result r;
    uint8_t other_nonce[32], *stmt = NULL;
    size_t len = 0;

    (void)state;
    ka_fx_reset(&fx);
    ka = ka_fx_build(&fx);
    /* another key than the caller's */
    o = ka_fx_opts(&fx);
    o.spki = fx.key_spki;
    o.spki_len = fx.key_spki_len - 1;
    expect_status(ka, &o, HM_KA_KEY_MISMATCH, "spki");
    /* another nonce than the caller's challenge */
    RAND_bytes(other_nonce, sizeof(other_nonce));
    o = ka_fx_opts(&fx);
    o.nonce = other_nonce;
    expect_status(ka, &o, HM_KA_NONCE_MISMATCH, "challenge");
    /* roots: another CA of the same name, none, and a chain without the intermediate */
    o = ka_fx_opts(&fx);
    o.roots_pem = (const uint8_t *)fx.wrong_pem;
    o.roots_pem_len = strlen(fx.wrong_pem);
    expect_status(ka, &o, HM_KA_EK_CHAIN, "wrong root");
    o.roots_pem = NULL;
    o.roots_pem_len = 0;
    expect_status(ka, &o, HM_KA_EK_CHAIN, "no roots");
    o = ka_fx_opts(&fx);
    ka->tpm2.n_chain = 0;
    expect_status(ka, &o, HM_KA_EK_CHAIN, "no intermediate");
    ka->tpm2.n_chain = 1;
    /* the EK certificate expired long before "now" ... or is not valid yet */
    o.now = (int64_t)4102444800; /* 2100 */
    expect_status(ka, &o, HM_KA_EK_CHAIN, "expired");
    o.now = 0;
    expect_status(ka, &o, HM_KA_OK, "time unknown");
    /* enrolled AKs that do not include this one */
    o.ak_pem = (const uint8_t *)fx.roots_pem;
    o.ak_pem_len = strlen(fx.roots_pem);
    expect_status(ka, &o, HM_KA_AK_NOT_ENROLLED, "enrolment");
    /* self-asserted refused unless allowed, checked by the attributes */
    hm_verify_keyatt_free(ka);
    /* no key given at all: the check cannot run */
    ka = ka_fx_build(&fx);
    assert_int_equal(hm_keyatt_statement(ka, &stmt, &len, NULL, 0), HM_OK);
    memset(&o, 0, sizeof(o));
    assert_int_equal(hm_verify_keyatt_check(ka, &o, &r), HM_E_INVALID);
    assert_int_not_equal(r.status, HM_KA_OK);
    free(stmt);
    hm_verify_keyatt_free(ka);
}

static struct hm_keyatt *
p11_evidence(void)
{
    struct hm_keyatt *ka = calloc(1, sizeof(*ka));

    ka->evidence = HM_KEYATT_PKCS11_SELF_ASSERTED;
    ka->alg = HM_KEY_EC_P256;
    ka->spki.data = malloc(fx.key_spki_len);
    memcpy(ka->spki.data, fx.key_spki, fx.key_spki_len);
    ka->spki.len = fx.key_spki_len;
    memcpy(ka->nonce, fx.nonce, 32);
    ka->nonce_len = 32;
    ka->created_at = 1795000000;
    ka->pkcs11 = (struct hm_keyatt_pkcs11){ .sensitive = true,
                                            .always_sensitive = true,
                                            .never_extractable = true,
                                            .local = true,
                                            .has_key_gen_mechanism = true,
                                            .key_gen_mechanism = 0x1040,
                                            .firmware_major = 2,
                                            .firmware_minor = 6 };
    strcpy(ka->pkcs11.token_label, "hallmark");
    strcpy(ka->pkcs11.manufacturer, "SoftHSM project");
    strcpy(ka->pkcs11.model, "SoftHSM v2");
    strcpy(ka->pkcs11.serial, "0123456789abcdef");
    return ka;
}

static void
test_pkcs11_self_asserted(void **state)
{
    struct hm_keyatt_opts o = ka_fx_opts(&fx);
    struct hm_keyatt *ka = p11_evidence();
    struct hm_keyatt_result r;
    uint8_t *stmt = NULL;
    size_t len = 0;

    (void)state;
    expect_status(ka, &o, HM_KA_SELF_ASSERTED, "not allowed");
    o.allow_self_asserted = true;
    assert_int_equal(hm_keyatt_statement(ka, &stmt, &len, NULL, 0), HM_OK);
    assert_int_equal(hm_verify_keyatt_statement(stmt, len, &o, &r), HM_OK);
    assert_int_equal(r.status, HM_KA_OK);
    assert_false(r.hardware_verified); /* nothing signs these values */
    assert_int_equal(r.evidence, HM_KEYATT_PKCS11_SELF_ASSERTED);
    assert_non_null(strstr((const char *)stmt, "nothing signs these values"));
    free(stmt);
    for (int i = 0; i < 5; i++) {
        struct hm_keyatt_pkcs11 keep = ka->pkcs11;
        switch (i) {
        case 0:
            ka->pkcs11.sensitive = false;
            break;
        case 1:
            ka->pkcs11.always_sensitive = false;
            break;
        case 2:
            ka->pkcs11.extractable = true;
            break;
        case 3:
            ka->pkcs11.never_extractable = false;
            break;
        case 4:
            ka->pkcs11.local = false;
            break; /* imported */
        }
        expect_status(ka, &o, HM_KA_PKCS11_ATTRIBUTES, "attribute");
        ka->pkcs11 = keep;
    }
    hm_verify_keyatt_free(ka);
}

static void
test_vendor_evidence(void **state)
{
    struct hm_keyatt *ka = p11_evidence(), *back = NULL;
    struct hm_keyatt_opts o = ka_fx_opts(&fx);
    char *pem = ka_fx_cert_pem(fx.ekcert), *chain = ka_fx_cert_pem(fx.inter), *both;
    uint8_t *stmt = NULL;
    size_t len = 0;
    struct hm_keyatt_result r;

    (void)state;
    assert_non_null(both = malloc(strlen(pem) + strlen(chain) + 1));
    strcpy(both, pem);
    strcat(both, chain);
    assert_int_equal(hm_keyatt_add_vendor_pem(ka, "yubihsm2-attestation-certificate",
                                              (const uint8_t *)both, strlen(both)),
                     HM_OK);
    assert_int_equal(
        hm_keyatt_add_vendor_pem(ka, "Bad Format", (const uint8_t *)both, strlen(both)),
        HM_E_INVALID);
    assert_int_equal(hm_keyatt_add_vendor_pem(ka, "x", (const uint8_t *)"no pem", 6), HM_E_INVALID);
    assert_int_equal(ka->n_vendor, 1);
    assert_int_equal(hm_keyatt_statement(ka, &stmt, &len, NULL, 0), HM_OK);
    assert_int_equal(hm_verify_keyatt_parse(stmt, len, &back, NULL, 0), HM_OK);
    assert_int_equal(back->n_vendor, 1);
    assert_string_equal(back->vendor[0].format, "yubihsm2-attestation-certificate");
    assert_int_equal(back->vendor[0].n_chain, 1);
    assert_int_equal(back->vendor[0].certificate.len, ka->vendor[0].certificate.len);
    o.allow_self_asserted = true;
    assert_int_equal(hm_verify_keyatt_statement(stmt, len, &o, &r), HM_OK);
    assert_int_equal(r.status, HM_KA_OK);
    assert_int_equal(r.n_vendor, 1);
    free(stmt);
    free(pem);
    free(chain);
    free(both);
    hm_verify_keyatt_free(back);
    hm_verify_keyatt_free(ka);
}

/* The bundle is signed by the attested key itself. */
static void
test_bundle_possession(void **state)
{
    struct hm_keyatt *ka;
    struct hm_keyatt_opts o = ka_fx_opts(&fx);
    struct hm_keyatt_result r;
    uint8_t *stmt = NULL;
    char *bundle = NULL;
    size_t len = 0, blen = 0;

    (void)state;
    ka_fx_reset(&fx);
    ka = ka_fx_build(&fx);
    assert_int_equal(hm_keyatt_statement(ka, &stmt, &len, NULL, 0), HM_OK);
    assert_int_equal(
        hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, len, "k", ka_fx_sign, fx.key, &bundle, &blen),
        HM_OK);
    assert_int_equal(hm_verify_keyatt_bundle((const uint8_t *)bundle, blen, &o, &r), HM_OK);
    assert_int_equal(r.status, HM_KA_OK);
    free(bundle);
    /* the same statement signed by someone else */
    assert_int_equal(hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, len, "k", ka_fx_sign, fx.other,
                                    &bundle, &blen),
                     HM_OK);
    assert_int_equal(hm_verify_keyatt_bundle((const uint8_t *)bundle, blen, &o, &r), HM_OK);
    assert_int_equal(r.status, HM_KA_BAD_SIGNATURE);
    free(bundle);
    /* not a bundle */
    assert_int_equal(hm_verify_keyatt_bundle((const uint8_t *)"{}", 2, &o, &r), HM_OK);
    assert_int_equal(r.status, HM_KA_MALFORMED);
    free(stmt);
    hm_verify_keyatt_free(ka);
}

static void
test_make_credential_inputs(void **state)
{
    struct hm_keyatt *ka;
    uint8_t secret[33] = { 1 }, *out = (uint8_t *)(uintptr_t)1;
    size_t len = 7;

    (void)state;
    ka_fx_reset(&fx);
    ka = ka_fx_build(&fx);
    assert_int_equal(hm_verify_keyatt_make_credential(ka, secret, 32, &out, &len), HM_OK);
    /* TPM2B_ID_OBJECT(2 + 2 + 48 + 2 + 32) + TPM2B_ENCRYPTED_SECRET(2 + 4 + 2 * 48), P-384 */
    assert_int_equal(len, 2 + (2 + 48 + 2 + 32) + 2 + (4 + 96));
    free(out);
    assert_int_equal(hm_verify_keyatt_make_credential(ka, secret, 33, &out, &len), HM_E_INVALID);
    assert_null(out);
    assert_int_equal(len, 0);
    assert_int_equal(hm_verify_keyatt_make_credential(ka, secret, 0, &out, &len), HM_E_INVALID);
    assert_null(out);
    free(ka->tpm2.ek_cert.data);
    ka->tpm2.ek_cert.data = NULL;
    assert_int_equal(hm_verify_keyatt_make_credential(ka, secret, 32, &out, &len), HM_E_INVALID);
    assert_null(out);
    hm_verify_keyatt_free(ka);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_evidence),
        cmocka_unit_test(test_each_check_has_its_reason),
        cmocka_unit_test(test_caller_inputs),
        cmocka_unit_test(test_pkcs11_self_asserted),
        cmocka_unit_test(test_vendor_evidence),
        cmocka_unit_test(test_bundle_possession),
        cmocka_unit_test(test_make_credential_inputs),
    };
    int rc;

    if (ka_fx_init(&fx) != 0) {
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    ka_fx_free(&fx);
    return rc;
}

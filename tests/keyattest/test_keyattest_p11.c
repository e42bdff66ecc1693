/*
 * test_keyattest_p11.c: self-asserted key attestation for PKCS#11 keys on a private
 * SoftHSM2 token: a key generated on the token passes (with allow_self_asserted), a key
 * imported through the raw PKCS#11 API with CKA_EXTRACTABLE true is refused with
 * HM_KA_PKCS11_ATTRIBUTES, and without allow_self_asserted both are refused as
 * self-asserted.
 */
#include <dlfcn.h>
#include <hm/keyattest.h>
#include <hm/keyevidence.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <p11-kit/pkcs11.h>

#include "hsm_test_util.h"

static const uint8_t p256_oid[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

struct env {
    struct hsm_fixture fx;
    struct hm_hsm *hsm;
};

/* Imports a P-256 key made outside the token, extractable and not sensitive: what an
 * operator who "just imported the old key" would have. */
static int
import_key(const struct hsm_fixture *fx)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    BIGNUM *d = NULL;
    uint8_t dv[32], pt[65], ecpoint[67];
    size_t ptlen = 0;
    CK_C_GetFunctionList get = NULL;
    CK_FUNCTION_LIST *f = NULL;
    CK_SLOT_ID slots[16];
    CK_ULONG n = 16;
    CK_SESSION_HANDLE s = 0;
    CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY, pubc = CKO_PUBLIC_KEY;
    CK_KEY_TYPE kt = CKK_EC;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_HANDLE h;
    char path[2048], *pin;
    void *dl = dlopen(HM_SOFTHSM_MODULE, RTLD_NOW | RTLD_LOCAL);
    int rc = -1;

    if (k == NULL || dl == NULL || EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1 ||
        BN_bn2binpad(d, dv, 32) != 32 ||
        EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &ptlen) != 1) {
        goto out;
    }
    ecpoint[0] = 0x04; /* DER OCTET STRING around the point */
    ecpoint[1] = 65;
    memcpy(ecpoint + 2, pt, 65);
    *(void **)(&get) = dlsym(dl, "C_GetFunctionList");
    if (get(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK ||
        f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK) {
        goto out;
    }
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
            memcmp(ti.label, fx->label, strlen(fx->label)) == 0) {
            f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
        }
    }
    snprintf(path, sizeof(path), "%s/user.pin", fx->dir);
    pin = hsm_read_text(path);
    if (pin == NULL || f->C_Login(s, CKU_USER, (CK_BYTE *)pin, strlen(pin)) != CKR_OK) {
        free(pin);
        goto out;
    }
    free(pin);
    CK_ATTRIBUTE tv[] = {
        { CKA_CLASS, &priv, sizeof(priv) },
        { CKA_KEY_TYPE, &kt, sizeof(kt) },
        { CKA_TOKEN, &yes, 1 },
        { CKA_PRIVATE, &yes, 1 },
        { CKA_SIGN, &yes, 1 },
        { CKA_SENSITIVE, &no, 1 },
        { CKA_EXTRACTABLE, &yes, 1 },
        { CKA_LABEL, "imported", 8 },
        { CKA_ID, "\x99", 1 },
        { CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid) },
        { CKA_VALUE, dv, sizeof(dv) },
    };
    CK_ATTRIBUTE tp[] = {
        { CKA_CLASS, &pubc, sizeof(pubc) },
        { CKA_KEY_TYPE, &kt, sizeof(kt) },
        { CKA_TOKEN, &yes, 1 },
        { CKA_VERIFY, &yes, 1 },
        { CKA_LABEL, "imported", 8 },
        { CKA_ID, "\x99", 1 },
        { CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid) },
        { CKA_EC_POINT, ecpoint, sizeof(ecpoint) },
    };
    if (f->C_CreateObject(s, tv, sizeof(tv) / sizeof(tv[0]), &h) == CKR_OK &&
        f->C_CreateObject(s, tp, sizeof(tp) / sizeof(tp[0]), &h) == CKR_OK) {
        rc = 0;
    }
    f->C_Logout(s);
    f->C_CloseSession(s);
    f->C_Finalize(NULL);
out:
    OPENSSL_cleanse(dv, sizeof(dv));
    BN_clear_free(d);
    EVP_PKEY_free(k);
    if (dl != NULL) {
        dlclose(dl);
    }
    return rc;
}

static int
teardown(void **state)
{
    struct env *e = *state;

    if (e != NULL) {
        hm_hsm_close(e->hsm);
        hsm_fixture_teardown(&e->fx);
        free(e);
    }
    return 0;
}

static int
setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));

    *state = e;
    if (e == NULL || hsm_fixture_setup(&e->fx, "keyatt") != 0 || import_key(&e->fx) != 0 ||
        hm_hsm_open(e->fx.uri, NULL, &e->hsm) != HM_OK) {
        teardown(state);
        *state = NULL;
        return -1;
    }
    return 0;
}

static enum hm_keyatt_status
attest_and_check(struct hm_key *key, bool allow, struct hm_keyatt **out)
{
    uint8_t nonce[16], *stmt = NULL;
    struct hm_keyatt_opts o = { .nonce = nonce, .nonce_len = sizeof(nonce) };
    struct hm_keyatt_result r;
    struct hm_keyatt *ka = NULL;
    size_t len = 0;

    RAND_bytes(nonce, sizeof(nonce));
    hm_key_spki(key, &o.spki, &o.spki_len);
    o.allow_self_asserted = allow;
    assert_int_equal(hm_key_attest(key, nonce, sizeof(nonce), &ka), HM_OK);
    assert_int_equal(ka->evidence, HM_KEYATT_PKCS11_SELF_ASSERTED);
    assert_int_equal(hm_keyatt_statement(ka, &stmt, &len, NULL, 0), HM_OK);
    assert_int_equal(hm_verify_keyatt_statement(stmt, len, &o, &r), HM_OK);
    free(stmt);
    *out = ka;
    return r.status;
}

static void
test_generated_key_passes(void **state)
{
    struct env *e = *state;
    struct hm_key *k = NULL;
    struct hm_keyatt *ka = NULL;

    assert_int_equal(hm_hsm_generate_key(e->hsm, HM_KEY_EC_P256, "made-here", &k), HM_OK);
    assert_int_equal(attest_and_check(k, true, &ka), HM_KA_OK);
    assert_true(ka->pkcs11.sensitive && ka->pkcs11.always_sensitive && ka->pkcs11.local &&
                ka->pkcs11.never_extractable && !ka->pkcs11.extractable);
    assert_true(ka->pkcs11.has_key_gen_mechanism);
    assert_int_equal(ka->pkcs11.key_gen_mechanism, CKM_EC_KEY_PAIR_GEN);
    assert_string_equal(ka->pkcs11.token_label, "keyatt");
    assert_non_null(strstr(ka->pkcs11.manufacturer, "SoftHSM"));
    assert_true(ka->pkcs11.library_description[0] != '\0');
    hm_verify_keyatt_free(ka);
    /* the attacker's case: a verifier that wants hardware evidence */
    assert_int_equal(attest_and_check(k, false, &ka), HM_KA_SELF_ASSERTED);
    hm_verify_keyatt_free(ka);
}

static void
test_imported_extractable_key_refused(void **state)
{
    struct env *e = *state;
    struct hm_key *k = NULL;
    struct hm_keyatt *ka = NULL;
    struct hm_key_attrs a;

    assert_int_equal(hm_hsm_find_key(e->hsm, "pkcs11:object=imported", &k), HM_OK);
    assert_int_equal(hm_key_get_attrs(k, &a), HM_OK);
    assert_true(a.extractable);
    assert_int_equal(attest_and_check(k, true, &ka), HM_KA_PKCS11_ATTRIBUTES);
    assert_true(ka->pkcs11.extractable);
    assert_false(ka->pkcs11.local);
    assert_false(ka->pkcs11.never_extractable);
    hm_verify_keyatt_free(ka);
    /* nonce bounds: nothing handed out */
    ka = (struct hm_keyatt *)(uintptr_t)1;
    assert_int_equal(hm_key_attest(k, (const uint8_t *)"", 0, &ka), HM_E_INVALID);
    assert_null(ka);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated_key_passes),
        cmocka_unit_test(test_imported_extractable_key_refused),
    };

    hm_log_set_level(HM_LOG_ERROR);
    return cmocka_run_group_tests(tests, setup, teardown);
}

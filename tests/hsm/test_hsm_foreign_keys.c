/*
 * test_hsm_foreign_keys.c: keys that other tools made.  They are created here through
 * the raw PKCS#11 API the way pkcs11-tool does it (Ed25519 with the PrintableString
 * "edwards25519" parameters, halves labelled differently, keys without CKA_ID, key types
 * we do not sign with, two keys with one label), then looked at through hm/hsm.h.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <p11-kit/pkcs11.h>

#include "hsm_test_util.h"

static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t k1[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a }; /* secp256k1 */
static const uint8_t ed_str[] = { 0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
                                  'd',  's',  '2', '5', '5', '1', '9' };
static const uint8_t msg[] = "foreign";

struct raw {
    void *dl;
    CK_FUNCTION_LIST *f;
    CK_SESSION_HANDLE s;
};

static void
raw_open(struct raw *r, const struct hsm_fixture *fx)
{
    CK_C_GetFunctionList get = NULL;
    CK_SLOT_ID slots[16];
    CK_ULONG n = 16;
    char path[PATH_MAX], *pin;

    r->dl = dlopen(HM_SOFTHSM_MODULE, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(r->dl);
    *(void **)(&get) = dlsym(r->dl, "C_GetFunctionList");
    assert_int_equal(get(&r->f), CKR_OK);
    assert_int_equal(r->f->C_Initialize(NULL), CKR_OK);
    assert_int_equal(r->f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        assert_int_equal(r->f->C_GetTokenInfo(slots[i], &ti), CKR_OK);
        if (memcmp(ti.label, fx->label, strlen(fx->label)) == 0) {
            assert_int_equal(r->f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                                 NULL, NULL, &r->s),
                             CKR_OK);
        }
    }
    snprintf(path, sizeof(path), "%s/user.pin", fx->dir);
    pin = hsm_read_text(path);
    assert_int_equal(r->f->C_Login(r->s, CKU_USER, (CK_BYTE *)pin, strlen(pin)), CKR_OK);
    free(pin);
}

static void
raw_close(struct raw *r)
{
    r->f->C_Logout(r->s);
    r->f->C_CloseSession(r->s);
    r->f->C_Finalize(NULL);
    dlclose(r->dl);
}

/* A key pair with the given public/private labels; id may be NULL. */
static void
raw_gen(struct raw *r, CK_MECHANISM_TYPE mt, const uint8_t *params, size_t plen,
        const char *pub_label, const char *priv_label, const uint8_t *id, size_t id_len)
{
    CK_MECHANISM mech = { mt, NULL, 0 };
    CK_BBOOL yes = CK_TRUE;
    CK_ULONG bits = 2048;
    uint8_t e[] = { 1, 0, 1 };
    CK_ATTRIBUTE pub[6], priv[5];
    CK_ULONG np = 0, nv = 0;
    CK_OBJECT_HANDLE hp, hv;

    pub[np++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, 1 };
    pub[np++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)pub_label, strlen(pub_label) };
    priv[nv++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, 1 };
    priv[nv++] = (CK_ATTRIBUTE){ CKA_SIGN, &yes, 1 };
    priv[nv++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)priv_label, strlen(priv_label) };
    if (id != NULL) {
        pub[np++] = (CK_ATTRIBUTE){ CKA_ID, (void *)id, id_len };
        priv[nv++] = (CK_ATTRIBUTE){ CKA_ID, (void *)id, id_len };
    }
    if (params != NULL) {
        pub[np++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)params, plen };
    } else {
        pub[np++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits, sizeof(bits) };
        pub[np++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, e, sizeof(e) };
    }
    assert_int_equal(r->f->C_GenerateKeyPair(r->s, &mech, pub, np, priv, nv, &hp, &hv), CKR_OK);
}

static int
setup(void **state)
{
    static struct hsm_fixture fx;
    struct raw r;

    if (hsm_fixture_setup(&fx, "foreign") != 0) {
        return -1;
    }
    raw_open(&r, &fx);
    raw_gen(&r, CKM_EC_EDWARDS_KEY_PAIR_GEN, ed_str, sizeof(ed_str), "ed-str", "ed-str",
            (const uint8_t *)"\x11", 1);
    raw_gen(&r, CKM_EC_KEY_PAIR_GEN, p256, sizeof(p256), "p256-pub", "p256-split",
            (const uint8_t *)"\x22", 1);
    raw_gen(&r, CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0, "rsa2048", "rsa2048", (const uint8_t *)"\x33",
            1);
    raw_gen(&r, CKM_EC_KEY_PAIR_GEN, k1, sizeof(k1), "k1", "k1", (const uint8_t *)"\x34", 1);
    raw_gen(&r, CKM_EC_KEY_PAIR_GEN, p256, sizeof(p256), "dup", "dup", (const uint8_t *)"\x44", 1);
    raw_gen(&r, CKM_EC_KEY_PAIR_GEN, p256, sizeof(p256), "dup", "dup", (const uint8_t *)"\x45", 1);
    raw_gen(&r, CKM_EC_KEY_PAIR_GEN, p256, sizeof(p256), "noid", "noid", NULL, 0);
    raw_close(&r);
    *state = &fx;
    return 0;
}

static int
teardown(void **state)
{
    hsm_fixture_teardown(*state);
    return 0;
}

static void
sign_and_verify(struct hm_key *k)
{
    uint8_t *sig = NULL;
    size_t sig_len = 0;

    assert_int_equal(hm_key_sign(k, msg, sizeof(msg), HM_SIG_DER, &sig, &sig_len), HM_OK);
    assert_true(hsm_verify(k, msg, sizeof(msg), sig, sig_len, HM_SIG_DER));
    free(sig);
}

static void
test_foreign_keys_usable(void **state)
{
    struct hsm_fixture *fx = *state;
    struct hm_hsm *h = NULL;
    struct hm_key *k = NULL;

    assert_int_equal(hm_hsm_open(fx->uri, NULL, &h), HM_OK);
    /* Ed25519 with pkcs11-tool's PrintableString parameters */
    assert_int_equal(hm_hsm_find_key(h, "pkcs11:object=ed-str", &k), HM_OK);
    assert_int_equal(hm_key_alg(k), HM_KEY_ED25519);
    assert_string_equal(hm_key_id_hex(k), "11");
    sign_and_verify(k);
    /* halves labelled differently are paired by CKA_ID */
    assert_int_equal(hm_hsm_find_key(h, "pkcs11:object=p256-split", &k), HM_OK);
    assert_int_equal(hm_key_alg(k), HM_KEY_EC_P256);
    sign_and_verify(k);
    /* no CKA_ID: found by label, and its URI has no id */
    assert_int_equal(hm_hsm_find_key(h, "pkcs11:object=noid", &k), HM_OK);
    assert_string_equal(hm_key_id_hex(k), "");
    assert_string_equal(hm_key_uri(k), "pkcs11:token=foreign;object=noid");
    sign_and_verify(k);
    /* one of two keys with the same label, by id */
    assert_int_equal(hm_hsm_find_key(h, "pkcs11:object=dup;id=%45", &k), HM_OK);
    assert_string_equal(hm_key_id_hex(k), "45");
    sign_and_verify(k);
    hm_hsm_close(h);
}

static void
test_foreign_keys_refused(void **state)
{
    static const struct {
        const char *uri;
        hm_err want;
    } cases[] = {
        { "pkcs11:object=rsa2048", HM_E_INVALID },   /* RSA, but not 3072 bits */
        { "pkcs11:object=k1", HM_E_INVALID },        /* a curve we do not sign with */
        { "pkcs11:object=dup", HM_E_INVALID },       /* two private keys */
        { "pkcs11:object=p256-pub", HM_E_NOTFOUND }, /* a public key only */
    };
    struct hsm_fixture *fx = *state;
    struct hm_hsm *h = NULL;
    struct hm_key **keys = NULL;
    size_t n = 0, seen = 0;

    assert_int_equal(hm_hsm_open(fx->uri, NULL, &h), HM_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hm_key *k = (struct hm_key *)&k;
        if (hm_hsm_find_key(h, cases[i].uri, &k) != cases[i].want) {
            fail_msg("case %zu (%s)", i, cases[i].uri);
        }
        assert_null(k);
    }
    /* the listing skips what we cannot sign with and keeps the rest */
    assert_int_equal(hm_hsm_list_keys(h, &keys, &n), HM_OK);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        const char *l = hm_key_label(keys[i]);
        assert_true(strcmp(l, "rsa2048") != 0 && strcmp(l, "k1") != 0);
        seen += strcmp(l, "dup") == 0;
    }
    assert_int_equal(seen, 2);
    free(keys);
    hm_hsm_close(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_foreign_keys_usable),
        cmocka_unit_test(test_foreign_keys_refused),
    };

    hm_log_set_level(HM_LOG_WARN);
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_pubkey.c: trusted public keys: the four algorithms, their key ids, and the keys
 * and signature encodings that must be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest_test.h"

static const enum hm_key_alg ALGS[] = { HM_KEY_EC_P256, HM_KEY_EC_P384, HM_KEY_ED25519,
                                        HM_KEY_RSA3072_PSS };
static EVP_PKEY *keys[4];

static int
setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        keys[i] = test_keygen(ALGS[i]);
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        EVP_PKEY_free(keys[i]);
    }
    return 0;
}

static void
spki_of(EVP_PKEY *pkey, uint8_t **der, size_t *len)
{
    unsigned char *p = NULL;
    int n = i2d_PUBKEY(pkey, &p);

    assert_true(n > 0);
    *der = p;
    *len = (size_t)n;
}

static void
test_pubkey_each_algorithm_and_keyid(void **state)
{
    static const uint8_t msg[] = "DSSEv1 1 t 3 abc";

    (void)state;
    for (size_t i = 0; i < 4; i++) {
        struct test_signer ts = { .pkey = keys[i], .alg = ALGS[i] };
        struct hm_pubkey *pk = NULL, *again = NULL;
        uint8_t *der = NULL, *sig = NULL;
        const uint8_t *got = NULL;
        size_t len = 0, got_len = 0, sig_len = 0;
        unsigned char id[32], id_b64[64];
        char *pem = NULL;

        spki_of(keys[i], &der, &len);
        assert_int_equal(hm_pubkey_from_spki(der, len, &pk), HM_OK);
        assert_int_equal(hm_pubkey_alg(pk), ALGS[i]);
        hm_pubkey_spki(pk, &got, &got_len);
        assert_int_equal(got_len, len);
        assert_memory_equal(got, der, len);
        /* keyid = standard padded base64 of SHA-256 over the SPKI DER */
        assert_int_equal(EVP_Digest(der, len, id, NULL, EVP_sha256(), NULL), 1);
        assert_int_equal(EVP_EncodeBlock(id_b64, id, 32), 44);
        assert_string_equal(hm_pubkey_keyid(pk), (char *)id_b64);
        /* PEM round trip keeps the key id */
        assert_int_equal(hm_pubkey_to_pem(pk, &pem), HM_OK);
        assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
        assert_int_equal(hm_pubkey_from_pem(pem, strlen(pem), &again), HM_OK);
        assert_string_equal(hm_pubkey_keyid(again), hm_pubkey_keyid(pk));
        /* signature as the algorithm says: verifies; any change: HM_E_VERIFY */
        assert_int_equal(test_sign(&ts, msg, sizeof(msg) - 1, &sig, &sig_len), HM_OK);
        assert_int_equal(hm_pubkey_verify(pk, msg, sizeof(msg) - 1, sig, sig_len), HM_OK);
        assert_int_equal(hm_pubkey_verify(pk, msg, sizeof(msg) - 2, sig, sig_len), HM_E_VERIFY);
        sig[sig_len / 2] ^= 0x01;
        assert_int_equal(hm_pubkey_verify(pk, msg, sizeof(msg) - 1, sig, sig_len), HM_E_VERIFY);
        assert_int_equal(hm_pubkey_verify(pk, msg, sizeof(msg) - 1, sig, 0), HM_E_VERIFY);
        free(sig);
        free(pem);
        OPENSSL_free(der);
        hm_pubkey_free(pk);
        hm_pubkey_free(again);
    }
    hm_pubkey_free(NULL);
}

static void
expect_refused_key(EVP_PKEY *pkey, hm_err want)
{
    struct hm_pubkey *pk = (struct hm_pubkey *)&pk;
    uint8_t *der = NULL;
    size_t len = 0;
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL;
    long pem_len;

    spki_of(pkey, &der, &len);
    assert_int_equal(hm_pubkey_from_spki(der, len, &pk), want);
    assert_null(pk);
    assert_non_null(bio);
    assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);
    pem_len = BIO_get_mem_data(bio, &pem);
    pk = (struct hm_pubkey *)&pk;
    assert_int_equal(hm_pubkey_from_pem(pem, (size_t)pem_len, &pk), want);
    assert_null(pk);
    BIO_free(bio);
    OPENSSL_free(der);
    EVP_PKEY_free(pkey);
}

static void
test_pubkey_refuses_other_keys(void **state)
{
    EVP_PKEY *compressed = test_keygen(HM_KEY_EC_P256);

    (void)state;
    expect_refused_key(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), HM_E_INVALID);
    expect_refused_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1"), HM_E_INVALID);
    expect_refused_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521"), HM_E_INVALID);
    expect_refused_key(EVP_PKEY_Q_keygen(NULL, NULL, "X25519"), HM_E_INVALID);
    expect_refused_key(EVP_PKEY_Q_keygen(NULL, NULL, "ED448"), HM_E_INVALID);
    /* the same P-256 key with a compressed point would get another key id */
    assert_int_equal(EVP_PKEY_set_utf8_string_param(
                         compressed, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"),
                     1);
    expect_refused_key(compressed, HM_E_INVALID);
}

static void
test_pubkey_refuses_bad_encodings(void **state)
{
    static const char private_pem_head[] = "-----BEGIN PRIVATE KEY-----\n";
    struct hm_pubkey *pk = NULL, *first = test_pubkey(keys[0]);
    uint8_t *der = NULL;
    uint8_t buf[4096];
    size_t len = 0;
    char *pem = NULL, *two = NULL;

    (void)state;
    spki_of(keys[0], &der, &len);
    memcpy(buf, der, len);
    buf[len] = 0x00; /* one byte after the DER */
    assert_int_equal(hm_pubkey_from_spki(buf, len + 1, &pk), HM_E_INVALID);
    assert_null(pk);
    assert_int_equal(hm_pubkey_from_spki(buf, len - 1, &pk), HM_E_INVALID); /* truncated */
    assert_null(pk);
    assert_int_equal(hm_pubkey_from_spki(buf, 0, &pk), HM_E_INVALID);
    assert_null(pk);
    memset(buf, 0x30, sizeof(buf));
    assert_int_equal(hm_pubkey_from_spki(buf, sizeof(buf), &pk), HM_E_LIMIT);
    assert_null(pk);
    assert_int_equal(hm_pubkey_from_pem("not a key", 9, &pk), HM_E_INVALID);
    assert_null(pk);
    assert_int_equal(hm_pubkey_from_pem(private_pem_head, sizeof(private_pem_head) - 1, &pk),
                     HM_E_INVALID);
    assert_null(pk);
    assert_int_equal(hm_pubkey_from_pem("-----BEGIN\0PUBLIC", 17, &pk), HM_E_INVALID);
    assert_null(pk);
    /* two keys in one text: which one would be trusted? neither */
    assert_int_equal(hm_pubkey_to_pem(first, &pem), HM_OK);
    assert_int_equal(hm_pubkey_from_pem(pem, strlen(pem), &pk), HM_OK);
    hm_pubkey_free(pk);
    pk = NULL;
    assert_true(asprintf(&two, "%s%s", pem, pem) > 0);
    assert_int_equal(hm_pubkey_from_pem(two, strlen(two), &pk), HM_E_INVALID);
    assert_null(pk);
    free(two);
    free(pem);
    hm_pubkey_free(first);
    OPENSSL_free(der);
}

/* Signatures that are right in another profile must not verify in ours. */
static void
test_pubkey_refuses_other_signature_encodings(void **state)
{
    static const uint8_t msg[] = "DSSEv1 28 application/vnd.in-toto+json 2 {}";
    static const struct {
        size_t key;
        struct test_signer ts;
        const char *what;
    } cases[] = {
        { 0, { .alg = HM_KEY_EC_P256, .raw_ecdsa = true }, "P-256 r||s, not DER" },
        { 0, { .alg = HM_KEY_EC_P256, .md = NULL, .raw_ecdsa = false }, NULL }, /* control */
        { 1, { .alg = HM_KEY_EC_P384, .raw_ecdsa = true }, "P-384 r||s" },
        { 3, { .alg = HM_KEY_RSA3072_PSS, .pss_salt = 64 }, "PSS salt 64" },
        { 3, { .alg = HM_KEY_RSA3072_PSS, .pss_salt = 20 }, "PSS salt 20" },
        { 3, { .alg = HM_KEY_RSA3072_PSS, .rsa_pkcs1 = true }, "PKCS#1 v1.5" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct test_signer ts = cases[i].ts;
        struct hm_pubkey *pk = test_pubkey(keys[cases[i].key]);
        uint8_t *sig = NULL;
        size_t sig_len = 0;

        ts.pkey = keys[cases[i].key];
        assert_int_equal(test_sign(&ts, msg, sizeof(msg) - 1, &sig, &sig_len), HM_OK);
        assert_int_equal(hm_pubkey_verify(pk, msg, sizeof(msg) - 1, sig, sig_len),
                         cases[i].what == NULL ? HM_OK : HM_E_VERIFY);
        free(sig);
        hm_pubkey_free(pk);
    }
}

/* P-384 is ECDSA over SHA-384 here; @sigstore/verify 3.x hashes P-384 with SHA-256
 * (reference/dependencies.md section 5), and that signature is refused. */
static void
test_pubkey_p384_needs_sha384(void **state)
{
    static const uint8_t msg[] = "message";
    struct test_signer ts = { .pkey = keys[1], .alg = HM_KEY_EC_P384, .md = NULL };
    struct hm_pubkey *pk = test_pubkey(keys[1]);
    uint8_t *sig = NULL, big[HM_MAX_SIG_BYTES + 1];
    size_t sig_len = 0;

    (void)state;
    ts.md = EVP_sha256();
    assert_int_equal(test_sign(&ts, msg, sizeof(msg) - 1, &sig, &sig_len), HM_OK);
    assert_int_equal(hm_pubkey_verify(pk, msg, sizeof(msg) - 1, sig, sig_len), HM_E_VERIFY);
    free(sig);
    ts.md = EVP_sha384();
    assert_int_equal(test_sign(&ts, msg, sizeof(msg) - 1, &sig, &sig_len), HM_OK);
    assert_int_equal(hm_pubkey_verify(pk, msg, sizeof(msg) - 1, sig, sig_len), HM_OK);
    /* the DER with one byte more is not the one encoding of (r, s) */
    memset(big, 0, sizeof(big));
    memcpy(big, sig, sig_len);
    assert_int_equal(hm_pubkey_verify(pk, msg, sizeof(msg) - 1, big, sig_len + 1), HM_E_VERIFY);
    assert_int_equal(hm_pubkey_verify(pk, msg, sizeof(msg) - 1, big, sizeof(big)), HM_E_VERIFY);
    free(sig);
    hm_pubkey_free(pk);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pubkey_each_algorithm_and_keyid),
        cmocka_unit_test(test_pubkey_refuses_other_keys),
        cmocka_unit_test(test_pubkey_refuses_bad_encodings),
        cmocka_unit_test(test_pubkey_refuses_other_signature_encodings),
        cmocka_unit_test(test_pubkey_p384_needs_sha384),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

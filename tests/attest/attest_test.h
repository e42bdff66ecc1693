/*
 * attest_test.h: helpers shared by the tests in tests/attest: software keys made with
 * OpenSSL inside the test, signers for hm_bundle_sign, fixture files and releases.
 */
#ifndef HM_ATTEST_TEST_H
#define HM_ATTEST_TEST_H

#include <hm/attest.h>
#include <hm/verify.h>

#include <openssl/evp.h>

/* A software signer for hm_bundle_sign: signs as hm_pubkey_verify expects unless a
 * test changes md (ECDSA digest), pss_salt or raw_ecdsa to make a wrong signature. */
struct test_signer {
    EVP_PKEY *pkey;
    enum hm_key_alg alg;
    const EVP_MD *md; /* NULL: the algorithm's own */
    int pss_salt;     /* 0: 32 */
    bool raw_ecdsa;   /* r||s instead of DER */
    bool rsa_pkcs1;   /* PKCS#1 v1.5 instead of PSS */
};

EVP_PKEY *test_keygen(enum hm_key_alg alg);
struct hm_pubkey *test_pubkey(EVP_PKEY *pkey);
hm_err test_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len);

/* $HM_SRC/tests/attest/data/<name>, read whole (NUL-terminated); fails the test if absent. */
uint8_t *test_read_data(const char *name, size_t *len);

/* A release of n artifacts (n <= 4) named fw-<i>.bin whose content is content[i]. */
struct test_release {
    struct hm_release rel;
    struct hm_artifact arts[4];
    char names[4][32];
    uint8_t sbom[HM_SHA256_LEN];
};
void test_release_init(struct test_release *tr, const char *const *content, size_t n);
void test_digests(const void *data, size_t len, struct hm_digests *out);

/* Signs a release statement (or payload) into a bundle with signer. */
char *test_bundle(struct test_signer *signer, const char *keyid, const char *payload_type,
                  const uint8_t *payload, size_t len, size_t *out_len);

#endif /* HM_ATTEST_TEST_H */

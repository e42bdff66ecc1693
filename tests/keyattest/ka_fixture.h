/*
 * ka_fixture.h: synthetic key-attestation evidence for the verifier's tests.
 *
 * A software "AK" and a software "TPM key" (P-256), TPM structures written by hand
 * (big-endian, TPM 2.0 Part 2), and an EK certificate chain made with OpenSSL (root ->
 * intermediate -> EK).  Every field can be changed and the evidence re-signed with the
 * AK, so that each tampering trips exactly the check it is aimed at, not the signature.
 */
#ifndef HM_KA_FIXTURE_H
#define HM_KA_FIXTURE_H

#include <hm/keyattest.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

struct ka_fx {
    EVP_PKEY *ak, *key, *other, *ek;
    X509 *root, *inter, *ekcert, *wrong_root;
    char *roots_pem, *wrong_pem; /* PEM of root, of wrong_root */
    uint8_t nonce[32];
    /* what goes into TPMS_ATTEST / TPMT_PUBLIC; change, then ka_fx_build */
    uint32_t magic;
    uint16_t type;
    uint32_t key_attrs, ak_attrs;
    bool extra_nonce_wrong, name_wrong, key_public_other, sign_with_other, trailing_byte;
    uint8_t *key_spki; /* SPKI DER of key */
    size_t key_spki_len;
};

/* Keys and certificates (once); 0 on success. */
int ka_fx_init(struct ka_fx *f);
void ka_fx_free(struct ka_fx *f);
/* Back to the good evidence. */
void ka_fx_reset(struct ka_fx *f);
/* Builds the evidence for the current settings (calloc'ed; hm_verify_keyatt_free). */
struct hm_keyatt *ka_fx_build(const struct ka_fx *f);
/* Options that accept the good evidence. */
struct hm_keyatt_opts ka_fx_opts(const struct ka_fx *f);
/* Serialise + check: the status. */
enum hm_keyatt_status ka_fx_status(const struct hm_keyatt *ka, const struct hm_keyatt_opts *o,
                                   char *detail, size_t detail_len);
/* A certificate chain of n PEM certificates, for vendor evidence tests. */
char *ka_fx_cert_pem(X509 *x);
/* Signs like hm_sign_fn with an EVP_PKEY (ECDSA DER). */
hm_err ka_fx_sign(void *pkey, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len);

#endif

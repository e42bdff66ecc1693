/*
 * keyattest_int.h: private to libhallmark-verify's key-attestation checks.
 *
 * The TPM structures (TPM 2.0 Part 2) are read by a small bounded big-endian reader of our
 * own, not by tss2-mu: a device links libhallmark-verify with libcrypto and cJSON only,
 * never tpm2-tss (DESIGN.md; tests/verify/test_packaging.sh checks for Tss2_ symbols).
 * Every field is bounded by the TPM's own maximum, unknown algorithms are refused, and a
 * structure must end exactly where its bytes end.
 */
#ifndef HM_KEYATTEST_INT_H
#define HM_KEYATTEST_INT_H

#include <hm/verify.h>

#include <openssl/evp.h>

/* TPM 2.0 constants (Part 2) we need. */
#define KA_TPM_GENERATED    0xff544347u
#define KA_ST_CERTIFY       0x8017u
#define KA_ALG_RSA          0x0001u
#define KA_ALG_SHA1         0x0004u
#define KA_ALG_AES          0x0006u
#define KA_ALG_SHA256       0x000bu
#define KA_ALG_SHA384       0x000cu
#define KA_ALG_SHA512       0x000du
#define KA_ALG_NULL         0x0010u
#define KA_ALG_SM4          0x0013u
#define KA_ALG_RSASSA       0x0014u
#define KA_ALG_RSAES        0x0015u
#define KA_ALG_RSAPSS       0x0016u
#define KA_ALG_OAEP         0x0017u
#define KA_ALG_ECDSA        0x0018u
#define KA_ALG_ECDAA        0x001au
#define KA_ALG_ECC          0x0023u
#define KA_ALG_CAMELLIA     0x0026u
#define KA_ALG_CFB          0x0043u
#define KA_ECC_NIST_P256    0x0003u
#define KA_ECC_NIST_P384    0x0004u
#define KA_ATTR_FIXEDTPM    (1u << 1)
#define KA_ATTR_FIXEDPARENT (1u << 4)
#define KA_ATTR_SDO         (1u << 5) /* sensitiveDataOrigin */
#define KA_ATTR_USERAUTH    (1u << 6)
#define KA_ATTR_RESTRICTED  (1u << 16)
#define KA_ATTR_DECRYPT     (1u << 17)
#define KA_ATTR_SIGN        (1u << 18)

/* Limits: the sizes of the TPM's own buffers. */
#define KA_NAME_MAX   66u  /* TPMU_NAME: sizeof(TPMT_HA) */
#define KA_DATA_MAX   66u  /* TPM2B_DATA */
#define KA_DIGEST_MAX 64u  /* TPM2B_DIGEST */
#define KA_ECC_MAX    128u /* TPM2B_ECC_PARAMETER (MAX_ECC_KEY_BYTES) */
#define KA_RSA_MAX    512u /* TPM2B_PUBLIC_KEY_RSA (4096 bits) */

/* TPMS_ATTEST of TPM2_Certify.  Pointers point into the caller's buffer. */
struct ka_attest {
    uint32_t magic;
    uint16_t type;
    const uint8_t *signer, *extra, *name, *qname;
    size_t signer_len, extra_len, name_len, qname_len;
    uint64_t clock, firmware;
    uint32_t reset_count, restart_count;
    uint8_t safe;
};
/* Reads magic and type, then (whatever they hold) the rest of a TPMS_ATTEST of type
 * certify.  HM_E_INVALID when the bytes are not one; out->magic and out->type are set as
 * soon as the first six bytes are there, so that the caller can name what was wrong. */
HM_MUST_CHECK hm_err ka_attest_parse(const uint8_t *buf, size_t len, struct ka_attest *out);

/* TPMT_PUBLIC of an ECC or RSA key. */
struct ka_public {
    uint16_t type, name_alg;
    uint32_t attrs;
    uint16_t sym_alg, scheme, scheme_hash, curve, kdf;
    const uint8_t *x, *y, *n; /* ECC point, RSA modulus: into the caller's buffer */
    size_t x_len, y_len, n_len;
    uint16_t key_bits;
    uint32_t exponent; /* 0 means 65537 */
};
HM_MUST_CHECK hm_err ka_public_parse(const uint8_t *buf, size_t len, struct ka_public *out);
/* nameAlg || H_nameAlg(buf): the Name of the object whose TPMT_PUBLIC is buf.  SHA-1 names
 * are refused (HM_E_INVALID).  out holds KA_NAME_MAX bytes. */
HM_MUST_CHECK hm_err ka_public_name(const struct ka_public *p, const uint8_t *buf, size_t len,
                                    uint8_t *out, size_t *out_len);
/* The key of a public area as an EVP_PKEY (P-256/P-384, RSA 2048..4096). */
HM_MUST_CHECK hm_err ka_public_pkey(const struct ka_public *p, EVP_PKEY **out);
/* Whether the public area holds the same key as pkey (compared as integers: a TPM drops
 * leading zeros that an SPKI keeps). */
bool ka_public_matches(const struct ka_public *p, const EVP_PKEY *pkey);

/* TPMT_SIGNATURE: ECDSA (r, s) or RSASSA/RSAPSS (sig). */
struct ka_signature {
    uint16_t alg, hash;
    const uint8_t *r, *s, *sig;
    size_t r_len, s_len, sig_len;
};
HM_MUST_CHECK hm_err ka_signature_parse(const uint8_t *buf, size_t len, struct ka_signature *out);
/* Verifies sig over H_sig.hash(msg) with key; HM_OK or HM_E_VERIFY (HM_E_INVALID for a
 * signature that does not suit the key). */
HM_MUST_CHECK hm_err ka_signature_verify(const struct ka_signature *sig, EVP_PKEY *key,
                                         const uint8_t *msg, size_t len);
/* The EVP_MD of a TPM hash algorithm (SHA-256/384/512), NULL otherwise. */
const EVP_MD *ka_md(uint16_t alg);

/* keyattest_json.c: the statement. */
HM_MUST_CHECK hm_err ka_statement_parse(const uint8_t *buf, size_t len, struct hm_keyatt **out,
                                        char *why, size_t why_len);

#endif /* HM_KEYATTEST_INT_H */

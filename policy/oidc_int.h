/* oidc_int.h (private to policy/oidc*.c): the parsed issuer and its keys. */
#ifndef HM_POLICY_OIDC_INT_H
#define HM_POLICY_OIDC_INT_H

#include <openssl/evp.h>

#include "oidc.h"

enum hm_oidc_kty {
    HM_OIDC_KTY_RSA = 1,
    HM_OIDC_KTY_EC_P256,
};

struct hm_oidc_key {
    char *kid;
    enum hm_oidc_kty kty;
    EVP_PKEY *pkey;
    size_t sig_len; /* RSA: modulus bytes; EC P-256: 64 (JWS r||s) */
};

struct hm_oidc_issuer {
    char *issuer;
    char **audiences;
    size_t n_audiences;
    int64_t leeway;
    unsigned algs;
    struct hm_oidc_key *keys;
    size_t n_keys;
};

const struct hm_oidc_key *hm_oidc_find_key(const struct hm_oidc_issuer *iss, const char *kid);

#endif /* HM_POLICY_OIDC_INT_H */

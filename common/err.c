/* err.c: the error space and the names of key algorithms. */
#include <hm/common.h>
#include <string.h>

const char *
hm_strerror(hm_err err)
{
    switch (err) {
    case HM_OK:
        return "success";
    case HM_E_NOMEM:
        return "out of memory";
    case HM_E_INVALID:
        return "invalid input";
    case HM_E_LIMIT:
        return "limit exceeded";
    case HM_E_DENIED:
        return "denied";
    case HM_E_BACKEND:
        return "backend failure";
    case HM_E_INTERNAL:
        return "internal error";
    case HM_E_IO:
        return "I/O error";
    case HM_E_NOTFOUND:
        return "not found";
    case HM_E_VERIFY:
        return "verification failed";
    case HM_E_UNAVAILABLE:
        return "temporarily unavailable";
    case HM_E_CONFLICT:
        return "conflict";
    }
    return "unknown error";
}

static const struct {
    enum hm_key_alg alg;
    const char *name;
    const char *sigstore;
} key_algs[] = {
    { HM_KEY_EC_P256, "ec-p256", "PKIX_ECDSA_P256_SHA_256" },
    { HM_KEY_EC_P384, "ec-p384", "PKIX_ECDSA_P384_SHA_384" },
    { HM_KEY_ED25519, "ed25519", "PKIX_ED25519" },
    { HM_KEY_RSA3072_PSS, "rsa-3072", "PKIX_RSA_PSS_3072_SHA256" },
};

const char *
hm_key_alg_name(enum hm_key_alg alg)
{
    for (size_t i = 0; i < sizeof(key_algs) / sizeof(key_algs[0]); i++) {
        if (key_algs[i].alg == alg) {
            return key_algs[i].name;
        }
    }
    return "unknown";
}

const char *
hm_key_alg_sigstore(enum hm_key_alg alg)
{
    for (size_t i = 0; i < sizeof(key_algs) / sizeof(key_algs[0]); i++) {
        if (key_algs[i].alg == alg) {
            return key_algs[i].sigstore;
        }
    }
    return "UNKNOWN";
}

hm_err
hm_key_alg_parse(const char *name, enum hm_key_alg *out)
{
    for (size_t i = 0; name != NULL && i < sizeof(key_algs) / sizeof(key_algs[0]); i++) {
        if (strcmp(key_algs[i].name, name) == 0) {
            *out = key_algs[i].alg;
            return HM_OK;
        }
    }
    return HM_E_INVALID;
}

/*
 * oidc_jwks.c: a configured OIDC issuer and its JWKS file (RFC 7517, RFC 7518 section 6),
 * parsed into OpenSSL public keys once, at load.
 *
 * Strict on purpose: the JWKS decides which keys may sign a CI identity.  Only RSA keys
 * (2048..8192 bits, minimal big-endian n, odd e > 1) and EC P-256 keys (32-byte x and y on
 * the curve) are accepted, each with a unique kid; "use" must be "sig" and "alg" must fit
 * the key type when present; any member outside the allow-list (a private part "d", "p",
 * "k", an "oth", a typo) refuses the whole file rather than being skipped.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "oidc_int.h"
#include "pjson.h"

#define JWKS_MAX_KID   256
#define RSA_MIN_BITS   2048
#define RSA_MAX_BITS   8192
#define ISSUER_MAX_LEN 1024

static const struct hm_json_limits jwks_limits = {
    .max_bytes = HM_OIDC_MAX_JWKS,
    .max_depth = 6,
    .max_string = 16384,
    .max_members = 256,
};

static hm_err
b64url_member(const cJSON *jwk, const char *name, size_t max, uint8_t **out, size_t *len,
              const char *kid, char *why, size_t why_len)
{
    const char *s = NULL;
    hm_err err;

    *out = NULL;
    if ((err = hm_json_get_string(jwk, name, true, max, &s)) != HM_OK) {
        hm_pj_why(why, why_len, "JWKS key %s: \"%s\" missing or not a string", kid, name);
        return HM_E_INVALID;
    }
    if (strchr(s, '=') != NULL ||
        (err = hm_b64_decode(s, strlen(s), HM_B64_URL, out, len)) != HM_OK) {
        hm_pj_why(why, why_len, "JWKS key %s: \"%s\" is not unpadded base64url", kid, name);
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
pkey_from_params(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out)
{
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    hm_err err = HM_E_INVALID;

    *out = NULL;
    if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        goto out;
    }
    err = HM_OK;
out:
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);
    return err;
}

static hm_err
rsa_key(const cJSON *jwk, struct hm_oidc_key *k, char *why, size_t why_len)
{
    uint8_t *n = NULL, *e = NULL;
    size_t n_len = 0, e_len = 0;
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    hm_err err;

    if ((err = b64url_member(jwk, "n", 2048, &n, &n_len, k->kid, why, why_len)) != HM_OK ||
        (err = b64url_member(jwk, "e", 16, &e, &e_len, k->kid, why, why_len)) != HM_OK) {
        goto out;
    }
    err = HM_E_INVALID;
    if (n_len == 0 || n[0] == 0 || n_len * 8 < RSA_MIN_BITS || n_len * 8 > RSA_MAX_BITS) {
        hm_pj_why(why, why_len, "JWKS key %s: RSA modulus must be 2048..8192 bits, minimal",
                  k->kid);
        goto out;
    }
    if (e_len == 0 || e_len > 4 || e[0] == 0 || (e[e_len - 1] & 1) == 0 ||
        (e_len == 1 && e[0] == 1)) {
        hm_pj_why(why, why_len, "JWKS key %s: RSA exponent is not an odd number > 1", k->kid);
        goto out;
    }
    if ((bn_n = BN_bin2bn(n, (int)n_len, NULL)) == NULL ||
        (bn_e = BN_bin2bn(e, (int)e_len, NULL)) == NULL || (bld = OSSL_PARAM_BLD_new()) == NULL ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e)) {
        err = HM_E_NOMEM;
        goto out;
    }
    if ((err = pkey_from_params("RSA", bld, &k->pkey)) != HM_OK) {
        hm_pj_why(why, why_len, "JWKS key %s: OpenSSL refused the RSA key", k->kid);
        goto out;
    }
    k->kty = HM_OIDC_KTY_RSA;
    k->sig_len = n_len;
out:
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    free(n);
    free(e);
    return err;
}

static hm_err
ec_key(const cJSON *jwk, struct hm_oidc_key *k, char *why, size_t why_len)
{
    uint8_t *x = NULL, *y = NULL, point[65];
    size_t x_len = 0, y_len = 0;
    const char *crv = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    EVP_PKEY_CTX *chk = NULL;
    hm_err err = HM_E_INVALID;

    if (hm_json_get_string(jwk, "crv", true, 16, &crv) != HM_OK || strcmp(crv, "P-256") != 0) {
        hm_pj_why(why, why_len, "JWKS key %s: only EC keys with crv P-256 are accepted", k->kid);
        return HM_E_INVALID;
    }
    if ((err = b64url_member(jwk, "x", 64, &x, &x_len, k->kid, why, why_len)) != HM_OK ||
        (err = b64url_member(jwk, "y", 64, &y, &y_len, k->kid, why, why_len)) != HM_OK) {
        goto out;
    }
    err = HM_E_INVALID;
    if (x_len != 32 || y_len != 32) {
        hm_pj_why(why, why_len, "JWKS key %s: P-256 x and y must be 32 bytes each", k->kid);
        goto out;
    }
    point[0] = 0x04; /* SEC1 uncompressed point */
    memcpy(point + 1, x, 32);
    memcpy(point + 33, y, 32);
    if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point))) {
        err = HM_E_NOMEM;
        goto out;
    }
    if (pkey_from_params("EC", bld, &k->pkey) != HM_OK ||
        (chk = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL)) == NULL ||
        EVP_PKEY_public_check(chk) != 1) {
        hm_pj_why(why, why_len, "JWKS key %s: the point is not on P-256", k->kid);
        goto out;
    }
    k->kty = HM_OIDC_KTY_EC_P256;
    k->sig_len = 64;
    err = HM_OK;
out:
    EVP_PKEY_CTX_free(chk);
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);
    return err;
}

static hm_err
check_use_alg(const cJSON *jwk, const char *kty, const char *kid, char *why, size_t why_len)
{
    const char *use = NULL, *alg = NULL;
    const char *want = strcmp(kty, "RSA") == 0 ? "RS256" : "ES256";

    if (hm_json_get_string(jwk, "use", false, 16, &use) != HM_OK ||
        (use != NULL && strcmp(use, "sig") != 0)) {
        hm_pj_why(why, why_len, "JWKS key %s: \"use\" must be \"sig\"", kid);
        return HM_E_INVALID;
    }
    if (hm_json_get_string(jwk, "alg", false, 16, &alg) != HM_OK ||
        (alg != NULL && strcmp(alg, want) != 0)) {
        hm_pj_why(why, why_len, "JWKS key %s: \"alg\" must be %s for kty %s", kid, want, kty);
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
parse_key(const cJSON *jwk, struct hm_oidc_key *k, char *why, size_t why_len)
{
    static const char *const rsa_keys[] = { "kty", "kid", "use", "alg",      "n",
                                            "e",   "x5c", "x5t", "x5t#S256", "key_ops" };
    static const char *const ec_keys[] = { "kty", "kid", "use", "alg",      "crv",    "x",
                                           "y",   "x5c", "x5t", "x5t#S256", "key_ops" };
    const char *kty = NULL, *kid = NULL, *bad = NULL;
    hm_err err;

    if (!cJSON_IsObject(jwk)) {
        hm_pj_why(why, why_len, "JWKS: every element of \"keys\" must be an object");
        return HM_E_INVALID;
    }
    if (hm_json_get_string(jwk, "kid", true, JWKS_MAX_KID, &kid) != HM_OK) {
        hm_pj_why(why, why_len, "JWKS: a key has no \"kid\" (1..%d bytes)", JWKS_MAX_KID);
        return HM_E_INVALID;
    }
    if ((err = hm_pj_strdup(kid, &k->kid)) != HM_OK) {
        return err;
    }
    if (hm_json_get_string(jwk, "kty", true, 8, &kty) != HM_OK ||
        (strcmp(kty, "RSA") != 0 && strcmp(kty, "EC") != 0)) {
        hm_pj_why(why, why_len, "JWKS key %s: kty must be \"RSA\" or \"EC\"", kid);
        return HM_E_INVALID;
    }
    if (strcmp(kty, "RSA") == 0 ? hm_json_only_keys(jwk, rsa_keys, 10, &bad) != HM_OK
                                : hm_json_only_keys(jwk, ec_keys, 11, &bad) != HM_OK) {
        hm_pj_why(why, why_len, "JWKS key %s: member \"%s\" is not allowed for kty %s", kid,
                  bad != NULL ? bad : "?", kty);
        return HM_E_INVALID;
    }
    if ((err = check_use_alg(jwk, kty, kid, why, why_len)) != HM_OK) {
        return err;
    }
    return strcmp(kty, "RSA") == 0 ? rsa_key(jwk, k, why, why_len) : ec_key(jwk, k, why, why_len);
}

static hm_err
parse_jwks(struct hm_oidc_issuer *iss, const void *buf, size_t len, char *why, size_t why_len)
{
    static const char *const top_keys[] = { "keys" };
    cJSON *root = NULL;
    const cJSON *keys, *jwk;
    size_t cap = 0;
    hm_err err;

    if ((err = hm_pj_parse(buf, len, &jwks_limits, "JWKS", &root, why, why_len)) != HM_OK) {
        return err;
    }
    err = HM_E_INVALID;
    if (hm_json_only_keys(root, top_keys, 1, NULL) != HM_OK ||
        !cJSON_IsArray(keys = hm_json_get(root, "keys")) || cJSON_GetArraySize(keys) == 0) {
        hm_pj_why(why, why_len, "JWKS: must be {\"keys\":[...]} with at least one key");
        goto out;
    }
    cJSON_ArrayForEach(jwk, keys) {
        void *arr = iss->keys, *slot = NULL;

        err = hm_pj_grow(&arr, &iss->n_keys, &cap, sizeof(struct hm_oidc_key), HM_OIDC_MAX_KEYS,
                         &slot);
        iss->keys = arr;
        if (err != HM_OK) {
            hm_pj_why(why, why_len, "JWKS: more than %d keys", HM_OIDC_MAX_KEYS);
            goto out;
        }
        if ((err = parse_key(jwk, slot, why, why_len)) != HM_OK) {
            goto out;
        }
        for (size_t i = 0; i + 1 < iss->n_keys; i++) {
            if (strcmp(iss->keys[i].kid, ((struct hm_oidc_key *)slot)->kid) == 0) {
                hm_pj_why(why, why_len, "JWKS: kid %s appears twice", iss->keys[i].kid);
                err = HM_E_INVALID;
                goto out;
            }
        }
    }
    err = HM_OK;
out:
    cJSON_Delete(root);
    return err;
}

static hm_err
copy_config(const struct hm_oidc_issuer_config *cfg, struct hm_oidc_issuer *iss, char *why,
            size_t why_len)
{
    size_t cap = 0;
    hm_err err;

    if (cfg->issuer == NULL || strncmp(cfg->issuer, "https://", 8) != 0 ||
        strlen(cfg->issuer) > ISSUER_MAX_LEN) {
        hm_pj_why(why, why_len, "issuer must be an https:// URL of at most %d bytes",
                  ISSUER_MAX_LEN);
        return HM_E_INVALID;
    }
    if (cfg->n_audiences == 0 || cfg->n_audiences > HM_OIDC_MAX_AUDIENCES ||
        cfg->audiences == NULL) {
        hm_pj_why(why, why_len, "issuer %s: 1..%d audiences required", cfg->issuer,
                  HM_OIDC_MAX_AUDIENCES);
        return HM_E_INVALID;
    }
    if (cfg->leeway < 0 || cfg->leeway > HM_OIDC_MAX_LEEWAY ||
        (cfg->algs & ~(HM_OIDC_ALG_RS256 | HM_OIDC_ALG_ES256)) != 0) {
        hm_pj_why(why, why_len, "issuer %s: leeway must be 0..%d s and algs RS256/ES256",
                  cfg->issuer, HM_OIDC_MAX_LEEWAY);
        return HM_E_INVALID;
    }
    if ((err = hm_pj_strdup(cfg->issuer, &iss->issuer)) != HM_OK) {
        return err;
    }
    for (size_t i = 0; i < cfg->n_audiences; i++) {
        const char *a = cfg->audiences[i];

        if (a == NULL || *a == '\0' || strlen(a) > HM_OIDC_MAX_CLAIM) {
            hm_pj_why(why, why_len, "issuer %s: audience %zu is empty or too long", cfg->issuer, i);
            return HM_E_INVALID;
        }
        if ((err = hm_pj_strv_push(&iss->audiences, &iss->n_audiences, &cap, HM_OIDC_MAX_AUDIENCES,
                                   a)) != HM_OK) {
            return err;
        }
    }
    iss->leeway = cfg->leeway;
    iss->algs = cfg->algs == 0 ? (HM_OIDC_ALG_RS256 | HM_OIDC_ALG_ES256) : cfg->algs;
    return HM_OK;
}

hm_err
hm_oidc_issuer_from_jwks(const struct hm_oidc_issuer_config *cfg, const void *jwks, size_t jwks_len,
                         struct hm_oidc_issuer **out, char *why, size_t why_len)
{
    struct hm_oidc_issuer *iss = NULL;
    hm_err err;

    *out = NULL;
    if (cfg == NULL || jwks == NULL) {
        return HM_E_INVALID;
    }
    if ((iss = calloc(1, sizeof(*iss))) == NULL) {
        return HM_E_NOMEM;
    }
    if ((err = copy_config(cfg, iss, why, why_len)) != HM_OK ||
        (err = parse_jwks(iss, jwks, jwks_len, why, why_len)) != HM_OK) {
        goto out;
    }
    *out = iss;
    iss = NULL; /* the caller owns it now */
out:
    hm_oidc_issuer_free(iss);
    return err;
}

hm_err
hm_oidc_issuer_load(const struct hm_oidc_issuer_config *cfg, struct hm_oidc_issuer **out, char *why,
                    size_t why_len)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    hm_err err;

    *out = NULL;
    if (cfg == NULL || cfg->jwks_path == NULL) {
        hm_pj_why(why, why_len, "issuer: no JWKS file configured");
        return HM_E_INVALID;
    }
    if ((err = hm_read_file(cfg->jwks_path, HM_OIDC_MAX_JWKS, &buf, &len)) != HM_OK) {
        hm_pj_why(why, why_len, "JWKS file %s: %s", cfg->jwks_path, hm_strerror(err));
        return err;
    }
    err = hm_oidc_issuer_from_jwks(cfg, buf, len, out, why, why_len);
    free(buf);
    return err;
}

void
hm_oidc_issuer_free(struct hm_oidc_issuer *iss)
{
    if (iss == NULL) {
        return;
    }
    for (size_t i = 0; i < iss->n_keys; i++) {
        free(iss->keys[i].kid);
        EVP_PKEY_free(iss->keys[i].pkey);
    }
    free(iss->keys);
    hm_pj_strv_free(iss->audiences, iss->n_audiences);
    free(iss->issuer);
    free(iss);
}

const char *
hm_oidc_issuer_url(const struct hm_oidc_issuer *iss)
{
    return iss == NULL ? NULL : iss->issuer;
}

size_t
hm_oidc_issuer_n_keys(const struct hm_oidc_issuer *iss)
{
    return iss == NULL ? 0 : iss->n_keys;
}

const struct hm_oidc_key *
hm_oidc_find_key(const struct hm_oidc_issuer *iss, const char *kid)
{
    for (size_t i = 0; i < iss->n_keys; i++) {
        if (strcmp(iss->keys[i].kid, kid) == 0) {
            return &iss->keys[i];
        }
    }
    return NULL;
}

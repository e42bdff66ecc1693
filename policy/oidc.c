/*
 * oidc.c: CI OIDC tokens (compact JWS, RFC 7515/7519) verified offline.
 *
 * Order of checks, and why:
 *   1. size, three non-empty base64url segments without '=' (one encoding per token);
 *   2. header: JSON object with only alg/typ/kid/x5t; alg none and HMAC refused before any
 *      key is looked at, since with HS256 the "secret" would be our public key;
 *   3. payload parsed (duplicate claims refused: two parsers must never see two tokens);
 *      the unverified iss only picks the issuer whose keys we try;
 *   4. the kid's key must be of the alg's type (RS256 = RSA, ES256 = P-256): the key, not
 *      the header, decides the algorithm;
 *   5. signature over the exact ASCII bytes "header.payload";
 *   6. iss, aud, exp, nbf, iat against the issuer's config and now +- leeway.
 * The token is never copied into `why` or a log line: reasons name fields only.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>

#include "oidc_int.h"
#include "pjson.h"

#define CLAIMS_MAX 256

static const struct hm_json_limits header_limits = {
    .max_bytes = 4096, .max_depth = 2, .max_string = 2048, .max_members = 16
};
static const struct hm_json_limits payload_limits = {
    .max_bytes = HM_OIDC_MAX_TOKEN, .max_depth = 8, .max_string = 8192, .max_members = CLAIMS_MAX
};

struct claim {
    char *name;
    char *str; /* string claims */
    bool is_int;
    int64_t num;
};

struct hm_oidc_claims {
    struct claim *v;
    size_t n;
};

/* The three segments of a compact JWS, decoded. */
struct jws {
    size_t signed_len; /* bytes of "header.payload" */
    cJSON *header, *payload;
    uint8_t *sig;
    size_t sig_len;
    const char *alg, *kid;
};

static void
jws_clear(struct jws *j)
{
    cJSON_Delete(j->header);
    cJSON_Delete(j->payload);
    free(j->sig);
}

static bool
is_b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

static hm_err
decode_segment(const char *s, size_t len, const char *what, uint8_t **out, size_t *out_len,
               char *why, size_t why_len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=') {
            hm_pj_why(why, why_len, "%s: base64url padding '=' is not allowed", what);
            return HM_E_INVALID;
        }
        if (!is_b64url(s[i])) {
            hm_pj_why(why, why_len, "%s: not base64url", what);
            return HM_E_INVALID;
        }
    }
    if (hm_b64_decode(s, len, HM_B64_URL, out, out_len) != HM_OK) {
        hm_pj_why(why, why_len, "%s: not canonical base64url", what);
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
decode_json(const char *s, size_t len, const char *what, const struct hm_json_limits *lim,
            cJSON **out, char *why, size_t why_len)
{
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    hm_err err;

    *out = NULL;
    if (len == 0) {
        hm_pj_why(why, why_len, "%s is empty", what);
        return HM_E_INVALID;
    }
    if ((err = decode_segment(s, len, what, &raw, &raw_len, why, why_len)) != HM_OK) {
        return err;
    }
    err = hm_pj_parse(raw, raw_len, lim, what, out, why, why_len);
    free(raw);
    if (err == HM_OK && !cJSON_IsObject(*out)) {
        hm_pj_why(why, why_len, "%s is not a JSON object", what);
        cJSON_Delete(*out);
        *out = NULL;
        err = HM_E_INVALID;
    }
    return err;
}

/* Header checks that need no key: the algorithm family and the allowed fields. */
static hm_err
check_header(struct jws *j, char *why, size_t why_len)
{
    static const char *const allowed[] = { "alg", "typ", "kid", "x5t" };
    const char *bad = NULL, *typ = NULL;

    if (hm_json_get_string(j->header, "alg", true, 16, &j->alg) != HM_OK) {
        hm_pj_why(why, why_len, "header: alg missing or not a string");
        return HM_E_INVALID;
    }
    if (hm_pj_ieq(j->alg, "none")) {
        hm_pj_why(why, why_len, "header: alg \"none\" is refused");
        return HM_E_DENIED;
    }
    if (strncmp(j->alg, "HS", 2) == 0) {
        hm_pj_why(why, why_len, "header: alg %s (HMAC) is refused", j->alg);
        return HM_E_DENIED;
    }
    if (strcmp(j->alg, "RS256") != 0 && strcmp(j->alg, "ES256") != 0) {
        hm_pj_why(why, why_len, "header: alg %s is not supported (RS256, ES256)", j->alg);
        return HM_E_DENIED;
    }
    if (hm_json_only_keys(j->header, allowed, 4, &bad) != HM_OK) {
        hm_pj_why(why, why_len, "header: field \"%s\" is not allowed", bad != NULL ? bad : "?");
        return HM_E_INVALID;
    }
    if (hm_json_get_string(j->header, "typ", false, 16, &typ) != HM_OK ||
        (typ != NULL && !hm_pj_ieq(typ, "JWT"))) {
        hm_pj_why(why, why_len, "header: typ must be \"JWT\"");
        return HM_E_INVALID;
    }
    if (hm_json_get_string(j->header, "kid", true, 256, &j->kid) != HM_OK) {
        hm_pj_why(why, why_len, "header: kid missing or not a string");
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
split_token(const char *token, size_t len, struct jws *j, char *why, size_t why_len)
{
    const char *d1, *d2, *sig;
    size_t segments = 1;
    hm_err err;

    if (len > HM_OIDC_MAX_TOKEN) {
        hm_pj_why(why, why_len, "token longer than %d bytes", HM_OIDC_MAX_TOKEN);
        return HM_E_LIMIT;
    }
    for (size_t i = 0; i < len; i++) {
        segments += token[i] == '.';
    }
    if (len == 0 || segments != 3) {
        hm_pj_why(why, why_len, "token is not a compact JWS: %zu segments, want 3", segments);
        return HM_E_INVALID;
    }
    d1 = memchr(token, '.', len);
    d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
    sig = d2 + 1;
    if ((err = decode_json(token, (size_t)(d1 - token), "header", &header_limits, &j->header, why,
                           why_len)) != HM_OK ||
        (err = check_header(j, why, why_len)) != HM_OK ||
        (err = decode_json(d1 + 1, (size_t)(d2 - d1 - 1), "payload", &payload_limits, &j->payload,
                           why, why_len)) != HM_OK) {
        return err;
    }
    if (sig == token + len) {
        hm_pj_why(why, why_len, "signature is empty");
        return HM_E_INVALID;
    }
    j->signed_len = (size_t)(d2 - token);
    return decode_segment(sig, len - (size_t)(sig - token), "signature", &j->sig, &j->sig_len, why,
                          why_len);
}

/* JWS ES256 signatures are r||s (RFC 7518 section 3.4); OpenSSL verifies DER. */
static hm_err
es256_to_der(const uint8_t *rs, uint8_t **der, size_t *der_len)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(rs, 32, NULL), *sv = BN_bin2bn(rs + 32, 32, NULL);
    unsigned char *p = NULL;
    int n;

    *der = NULL;
    if (s == NULL || r == NULL || sv == NULL || ECDSA_SIG_set0(s, r, sv) != 1) {
        ECDSA_SIG_free(s);
        BN_free(r);
        BN_free(sv);
        return HM_E_NOMEM;
    }
    n = i2d_ECDSA_SIG(s, &p);
    ECDSA_SIG_free(s);
    if (n <= 0) {
        return HM_E_NOMEM;
    }
    *der = p;
    *der_len = (size_t)n;
    return HM_OK;
}

static hm_err
verify_signature(const struct hm_oidc_key *k, const char *token, const struct jws *j, char *why,
                 size_t why_len)
{
    EVP_MD_CTX *md = NULL;
    uint8_t *der = NULL;
    const uint8_t *sig = j->sig;
    size_t sig_len = j->sig_len;
    hm_err err;

    if (j->sig_len != k->sig_len) {
        hm_pj_why(why, why_len, "signature: %zu bytes, the key needs %zu", j->sig_len, k->sig_len);
        return HM_E_VERIFY;
    }
    if (k->kty == HM_OIDC_KTY_EC_P256) {
        if ((err = es256_to_der(j->sig, &der, &sig_len)) != HM_OK) {
            return err;
        }
        sig = der;
    }
    err = HM_E_VERIFY;
    if ((md = EVP_MD_CTX_new()) == NULL) {
        err = HM_E_NOMEM;
    } else if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
               EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)token, j->signed_len) ==
                   1) {
        err = HM_OK;
    }
    if (err == HM_E_VERIFY) {
        hm_pj_why(why, why_len, "signature does not verify with key %s", k->kid);
    }
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    return err;
}

/* An integral NumericDate claim; absent gives HM_OK with *present false. */
static hm_err
time_claim(const cJSON *payload, const char *name, bool *present, int64_t *out, char *why,
           size_t why_len)
{
    const cJSON *it = hm_json_get(payload, name);
    double v;

    *present = false;
    if (it == NULL) {
        return HM_OK;
    }
    v = cJSON_IsNumber(it) ? it->valuedouble : NAN;
    if (!isfinite(v) || v < 0 || v > 9007199254740992.0 || v != floor(v)) {
        hm_pj_why(why, why_len, "claim %s must be an integer NumericDate", name);
        return HM_E_INVALID;
    }
    *present = true;
    *out = (int64_t)v;
    return HM_OK;
}

static hm_err
check_aud(const struct hm_oidc_issuer *iss, const cJSON *payload, const char **matched, char *why,
          size_t why_len)
{
    const cJSON *aud = hm_json_get(payload, "aud"), *it;

    *matched = NULL;
    if (aud == NULL) {
        hm_pj_why(why, why_len, "claim aud is missing");
        return HM_E_INVALID;
    }
    if (cJSON_IsString(aud)) {
        for (size_t i = 0; i < iss->n_audiences && *matched == NULL; i++) {
            *matched = strcmp(aud->valuestring, iss->audiences[i]) == 0 ? iss->audiences[i] : NULL;
        }
    } else if (cJSON_IsArray(aud) && cJSON_GetArraySize(aud) > 0) {
        cJSON_ArrayForEach(it, aud) {
            if (!cJSON_IsString(it)) {
                hm_pj_why(why, why_len, "claim aud must be a string or an array of strings");
                return HM_E_INVALID;
            }
            for (size_t i = 0; i < iss->n_audiences && *matched == NULL; i++) {
                *matched =
                    strcmp(it->valuestring, iss->audiences[i]) == 0 ? iss->audiences[i] : NULL;
            }
        }
    } else {
        hm_pj_why(why, why_len, "claim aud must be a string or an array of strings");
        return HM_E_INVALID;
    }
    if (*matched == NULL) {
        hm_pj_why(why, why_len, "claim aud does not contain an allowed audience of %s",
                  iss->issuer);
        return HM_E_DENIED;
    }
    return HM_OK;
}

static hm_err
check_times(const struct hm_oidc_issuer *iss, const cJSON *payload, int64_t now, char *why,
            size_t why_len)
{
    int64_t exp = 0, nbf = 0, iat = 0;
    bool has_exp, has_nbf, has_iat;
    hm_err err;

    if ((err = time_claim(payload, "exp", &has_exp, &exp, why, why_len)) != HM_OK ||
        (err = time_claim(payload, "nbf", &has_nbf, &nbf, why, why_len)) != HM_OK ||
        (err = time_claim(payload, "iat", &has_iat, &iat, why, why_len)) != HM_OK) {
        return err;
    }
    if (!has_exp) {
        hm_pj_why(why, why_len, "claim exp is missing");
        return HM_E_INVALID;
    }
    /* RFC 7519 4.1.4: now must be before exp; leeway absorbs clock skew both ways. */
    if (now >= exp + iss->leeway) {
        hm_pj_why(why, why_len, "token expired (exp, leeway %lld s)", (long long)iss->leeway);
        return HM_E_DENIED;
    }
    if (has_nbf && nbf > now + iss->leeway) {
        hm_pj_why(why, why_len, "token not yet valid (nbf, leeway %lld s)", (long long)iss->leeway);
        return HM_E_DENIED;
    }
    if (has_iat && iat > now + iss->leeway) {
        hm_pj_why(why, why_len, "token issued in the future (iat, leeway %lld s)",
                  (long long)iss->leeway);
        return HM_E_DENIED;
    }
    return HM_OK;
}

static hm_err
copy_claims(const cJSON *payload, const char *aud, struct hm_oidc_claims **out)
{
    struct hm_oidc_claims *c = calloc(1, sizeof(*c));
    const cJSON *it;
    size_t cap = 0;
    hm_err err = HM_E_NOMEM;

    *out = NULL;
    if (c == NULL) {
        return HM_E_NOMEM;
    }
    cJSON_ArrayForEach(it, payload) {
        void *arr = c->v, *slot = NULL;
        struct claim *cl;
        bool is_str = cJSON_IsString(it) && strcmp(it->string, "aud") != 0 &&
                      strlen(it->valuestring) <= HM_OIDC_MAX_CLAIM;
        double v = cJSON_IsNumber(it) ? it->valuedouble : NAN;
        bool is_int = isfinite(v) && v == floor(v) && fabs(v) <= 9007199254740992.0;

        if (!is_str && !is_int) {
            continue; /* objects, arrays, booleans, long strings: not matchable */
        }
        err = hm_pj_grow(&arr, &c->n, &cap, sizeof(struct claim), CLAIMS_MAX + 1, &slot);
        c->v = arr;
        if (err != HM_OK) {
            goto out;
        }
        cl = slot;
        cl->is_int = is_int;
        cl->num = is_int ? (int64_t)v : 0;
        if ((err = hm_pj_strdup(it->string, &cl->name)) != HM_OK ||
            (is_str && (err = hm_pj_strdup(it->valuestring, &cl->str)) != HM_OK)) {
            goto out;
        }
    }
    {
        void *arr = c->v, *slot = NULL;

        err = hm_pj_grow(&arr, &c->n, &cap, sizeof(struct claim), CLAIMS_MAX + 1, &slot);
        c->v = arr;
        if (err != HM_OK || (err = hm_pj_strdup("aud", &((struct claim *)slot)->name)) != HM_OK ||
            (err = hm_pj_strdup(aud, &((struct claim *)slot)->str)) != HM_OK) {
            goto out;
        }
    }
    *out = c;
    c = NULL; /* the caller owns it now */
    err = HM_OK;
out:
    hm_oidc_claims_free(c);
    return err;
}

static const struct hm_oidc_issuer *
select_issuer(const struct hm_oidc_issuer *const *issuers, size_t n, const char *iss)
{
    for (size_t i = 0; i < n; i++) {
        if (issuers[i] != NULL && strcmp(issuers[i]->issuer, iss) == 0) {
            return issuers[i];
        }
    }
    return NULL;
}

static hm_err
pick_key(const struct hm_oidc_issuer *iss, const struct jws *j, const struct hm_oidc_key **out,
         char *why, size_t why_len)
{
    bool rs = strcmp(j->alg, "RS256") == 0;
    const struct hm_oidc_key *k;

    *out = NULL;
    if ((iss->algs & (rs ? HM_OIDC_ALG_RS256 : HM_OIDC_ALG_ES256)) == 0) {
        hm_pj_why(why, why_len, "header: alg %s is not allowed for issuer %s", j->alg, iss->issuer);
        return HM_E_DENIED;
    }
    if ((k = hm_oidc_find_key(iss, j->kid)) == NULL) {
        hm_pj_why(why, why_len, "header: kid names no key in the JWKS of %s", iss->issuer);
        return HM_E_VERIFY;
    }
    if (k->kty != (rs ? HM_OIDC_KTY_RSA : HM_OIDC_KTY_EC_P256)) {
        hm_pj_why(why, why_len, "header: alg %s with kid %s, a%s key (algorithm confusion)", j->alg,
                  k->kid, k->kty == HM_OIDC_KTY_RSA ? "n RSA" : "n EC P-256");
        return HM_E_VERIFY;
    }
    *out = k;
    return HM_OK;
}

hm_err
hm_oidc_verify(const struct hm_oidc_issuer *const *issuers, size_t n, const char *token, size_t len,
               int64_t now, struct hm_oidc_claims **out, char *why, size_t why_len)
{
    struct jws j = { 0 };
    const struct hm_oidc_issuer *iss;
    const struct hm_oidc_key *key = NULL;
    const char *iss_claim = NULL, *aud = NULL;
    hm_err err;

    *out = NULL;
    if (token == NULL || (issuers == NULL && n > 0)) {
        return HM_E_INVALID;
    }
    if ((err = split_token(token, len, &j, why, why_len)) != HM_OK) {
        goto out;
    }
    if (hm_json_get_string(j.payload, "iss", true, 1024, &iss_claim) != HM_OK) {
        hm_pj_why(why, why_len, "claim iss missing or not a string");
        err = HM_E_INVALID;
        goto out;
    }
    if ((iss = select_issuer(issuers, n, iss_claim)) == NULL) {
        hm_pj_why(why, why_len, "claim iss is not a configured issuer");
        err = HM_E_DENIED;
        goto out;
    }
    if ((err = pick_key(iss, &j, &key, why, why_len)) != HM_OK ||
        (err = verify_signature(key, token, &j, why, why_len)) != HM_OK ||
        (err = check_aud(iss, j.payload, &aud, why, why_len)) != HM_OK ||
        (err = check_times(iss, j.payload, now, why, why_len)) != HM_OK ||
        (err = copy_claims(j.payload, aud, out)) != HM_OK) {
        goto out;
    }
out:
    jws_clear(&j);
    return err;
}

const char *
hm_oidc_claim_string(const struct hm_oidc_claims *c, const char *name)
{
    if (c == NULL || name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->v[i].name, name) == 0) {
            return c->v[i].str;
        }
    }
    return NULL;
}

bool
hm_oidc_claim_int(const struct hm_oidc_claims *c, const char *name, int64_t *out)
{
    if (c == NULL || name == NULL) {
        return false;
    }
    for (size_t i = 0; i < c->n; i++) {
        if (c->v[i].is_int && strcmp(c->v[i].name, name) == 0) {
            *out = c->v[i].num;
            return true;
        }
    }
    return false;
}

void
hm_oidc_claims_free(struct hm_oidc_claims *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].name);
        free(c->v[i].str);
    }
    free(c->v);
    free(c);
}

/*
 * test_oidc.c: CI OIDC tokens against a JWKS written from keys generated here.
 *
 * RS256 and ES256 tokens signed in the test are accepted; then every attack gets its exact
 * hm_err and reason: alg none, HS256 keyed with the RSA public key, a kid of the other key
 * type, unknown kid, bad signature, expired / not yet valid / issued in the future (with
 * the leeway boundaries), wrong iss, wrong aud, missing exp, duplicate claims, padding,
 * extra segments, oversize.  No reason may contain any part of the token.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "oidc.h"

#define N_OF(a)   (sizeof(a) / sizeof((a)[0]))
#define NOW       1790000000LL /* 2026-09-21 */
#define LEEWAY    60
#define ABSENT    LLONG_MIN
#define GH_ISSUER "https://token.actions.githubusercontent.com"
#define GL_ISSUER "https://gitlab.com"
#define AUDIENCE  "https://hallmark.acme.example"

enum signer { RSA1, EC1, RSA_OTHER, HS_PUB, NONE, EC_GITLAB };

struct keys {
    EVP_PKEY *rsa, *ec, *rsa_other, *ec_gitlab;
    struct hm_oidc_issuer *gh, *gl;
};

static char *
b64url(const uint8_t *in, size_t len)
{
    char *s = NULL;
    size_t o = 0;

    assert_int_equal(hm_b64_encode(in, len, &s), HM_OK);
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (s[i] != '=') {
            s[o++] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
        }
    }
    s[o] = '\0';
    return s;
}

static char *
bn_b64url(const EVP_PKEY *k, const char *param, size_t pad_to)
{
    BIGNUM *bn = NULL;
    uint8_t buf[1024];
    int n;

    assert_int_equal(EVP_PKEY_get_bn_param(k, param, &bn), 1);
    n = pad_to != 0 ? BN_bn2binpad(bn, buf, (int)pad_to) : BN_bn2bin(bn, buf);
    BN_free(bn);
    assert_true(n > 0);
    return b64url(buf, (size_t)n);
}

static char *
jwk_rsa(const EVP_PKEY *k, const char *kid)
{
    char *n = bn_b64url(k, OSSL_PKEY_PARAM_RSA_N, 0), *e = bn_b64url(k, OSSL_PKEY_PARAM_RSA_E, 0);
    char *out = NULL;

    assert_true(asprintf(&out,
                         "{\"kty\":\"RSA\",\"kid\":\"%s\",\"use\":\"sig\",\"alg\":\"RS256\","
                         "\"n\":\"%s\",\"e\":\"%s\"}",
                         kid, n, e) > 0);
    free(n);
    free(e);
    return out;
}

static char *
jwk_ec(const EVP_PKEY *k, const char *kid)
{
    char *x = bn_b64url(k, OSSL_PKEY_PARAM_EC_PUB_X, 32);
    char *y = bn_b64url(k, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
    char *out = NULL;

    assert_true(asprintf(&out,
                         "{\"kty\":\"EC\",\"kid\":\"%s\",\"crv\":\"P-256\",\"x\":\"%s\","
                         "\"y\":\"%s\"}",
                         kid, x, y) > 0);
    free(x);
    free(y);
    return out;
}

static hm_err
issuer(const char *iss, unsigned algs, const char *jwks, struct hm_oidc_issuer **out, char *why)
{
    static const char *const auds[] = { AUDIENCE, "sigstore" };
    struct hm_oidc_issuer_config cfg = {
        .issuer = iss, .audiences = auds, .n_audiences = 2, .leeway = LEEWAY, .algs = algs
    };

    return hm_oidc_issuer_from_jwks(&cfg, jwks, strlen(jwks), out, why, 256);
}

static int
setup(void **state)
{
    struct keys *k = calloc(1, sizeof(*k));
    char *j1, *j2, *j3, *jwks = NULL, why[256] = "";

    assert_non_null(k);
    k->rsa = EVP_RSA_gen(2048);
    k->rsa_other = EVP_RSA_gen(2048);
    k->ec = EVP_EC_gen("P-256");
    k->ec_gitlab = EVP_EC_gen("P-256");
    assert_non_null(k->rsa);
    assert_non_null(k->ec);
    j1 = jwk_rsa(k->rsa, "rsa-1");
    j2 = jwk_ec(k->ec, "ec-1");
    j3 = jwk_ec(k->ec_gitlab, "gl-1");
    assert_true(asprintf(&jwks, "{\"keys\":[%s,%s]}", j1, j2) > 0);
    assert_int_equal(issuer(GH_ISSUER, 0, jwks, &k->gh, why), HM_OK);
    free(jwks);
    assert_true(asprintf(&jwks, "{\"keys\":[%s]}", j3) > 0);
    assert_int_equal(issuer(GL_ISSUER, HM_OIDC_ALG_ES256, jwks, &k->gl, why), HM_OK);
    free(jwks);
    free(j1);
    free(j2);
    free(j3);
    *state = k;
    return 0;
}

static int
teardown(void **state)
{
    struct keys *k = *state;

    hm_oidc_issuer_free(k->gh);
    hm_oidc_issuer_free(k->gl);
    EVP_PKEY_free(k->rsa);
    EVP_PKEY_free(k->rsa_other);
    EVP_PKEY_free(k->ec);
    EVP_PKEY_free(k->ec_gitlab);
    free(k);
    return 0;
}

/* The signature segment for data under the given signer. */
static char *
sign(const struct keys *k, enum signer s, const char *data)
{
    uint8_t sig[512], rs[64];
    size_t len = sizeof(sig);
    EVP_MD_CTX *md;
    EVP_PKEY *key;

    if (s == NONE) {
        return strdup("");
    }
    if (s == HS_PUB) {
        /* The classic confusion: HMAC keyed with the RSA public key as published. */
        BIO *bio = BIO_new(BIO_s_mem());
        char *pem = NULL;
        long pem_len;
        size_t mac_len = 0;

        assert_int_equal(PEM_write_bio_PUBKEY(bio, k->rsa), 1);
        pem_len = BIO_get_mem_data(bio, &pem);
        assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, pem, (size_t)pem_len,
                                  (const uint8_t *)data, strlen(data), sig, sizeof(sig), &mac_len));
        BIO_free(bio);
        return b64url(sig, mac_len);
    }
    key = s == RSA1 ? k->rsa : s == RSA_OTHER ? k->rsa_other : s == EC1 ? k->ec : k->ec_gitlab;
    md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &len, (const uint8_t *)data, strlen(data)), 1);
    EVP_MD_CTX_free(md);
    if (s == EC1 || s == EC_GITLAB) { /* DER -> JWS r||s */
        const uint8_t *p = sig;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);

        assert_non_null(es);
        BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, 32);
        BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + 32, 32);
        ECDSA_SIG_free(es);
        return b64url(rs, 64);
    }
    return b64url(sig, len);
}

static char *
make_token(const struct keys *k, const char *header, const char *payload, enum signer s)
{
    char *h = b64url((const uint8_t *)header, strlen(header));
    char *p = b64url((const uint8_t *)payload, strlen(payload));
    char *data = NULL, *sig, *tok = NULL;

    assert_true(asprintf(&data, "%s.%s", h, p) > 0);
    sig = sign(k, s, data);
    assert_true(asprintf(&tok, "%s.%s", data, sig) > 0);
    free(h);
    free(p);
    free(data);
    free(sig);
    return tok;
}

/* A GitHub Actions shaped payload with times relative to NOW (ABSENT leaves one out). */
static char *
payload(const char *iss, const char *aud, long long exp, long long nbf, long long iat,
        const char *extra)
{
    char times[128] = "", part[48], *out = NULL;

    if (exp != ABSENT) {
        snprintf(part, sizeof(part), ",\"exp\":%lld", NOW + exp);
        strcat(times, part);
    }
    if (nbf != ABSENT) {
        snprintf(part, sizeof(part), ",\"nbf\":%lld", NOW + nbf);
        strcat(times, part);
    }
    if (iat != ABSENT) {
        snprintf(part, sizeof(part), ",\"iat\":%lld", NOW + iat);
        strcat(times, part);
    }
    assert_true(asprintf(&out,
                         "{\"jti\":\"6f1d2c3e\",\"sub\":\"repo:acme/thermostat:ref:refs/tags/"
                         "v1.4.2\",\"aud\":%s,\"ref\":\"refs/tags/v1.4.2\",\"ref_type\":\"tag\","
                         "\"repository\":\"acme/thermostat\",\"repository_id\":\"74123456\","
                         "\"repository_owner\":\"acme\",\"workflow_ref\":\"acme/thermostat/."
                         "github/workflows/release.yml@refs/tags/v1.4.2\",\"job_workflow_ref\":"
                         "\"acme/thermostat/.github/workflows/release.yml@refs/tags/v1.4.2\","
                         "\"environment\":\"production\",\"runner_environment\":\"github-hosted\","
                         "\"run_id\":123456789,\"iss\":\"%s\"%s%s}",
                         aud, iss, times, extra) > 0);
    return out;
}

static hm_err
verify(const struct keys *k, const char *tok, size_t len, struct hm_oidc_claims **c, char *why)
{
    const struct hm_oidc_issuer *const issuers[] = { k->gh, k->gl };

    return hm_oidc_verify(issuers, 2, tok, len, NOW, c, why, 256);
}

static const char RS_HDR[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"rsa-1\"}";
static const char ES_HDR[] = "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"ec-1\"}";

static void
test_oidc_accepts_rs256_and_es256(void **state)
{
    static const struct {
        const char *hdr, *iss, *aud;
        enum signer s;
        const char *want_aud;
    } cases[] = {
        { RS_HDR, GH_ISSUER, "\"" AUDIENCE "\"", RSA1, AUDIENCE },
        { ES_HDR, GH_ISSUER, "\"" AUDIENCE "\"", EC1, AUDIENCE },
        { RS_HDR, GH_ISSUER, "[\"other\",\"sigstore\"]", RSA1, "sigstore" }, /* aud array */
        { "{\"alg\":\"ES256\",\"kid\":\"gl-1\"}", GL_ISSUER, "\"" AUDIENCE "\"", EC_GITLAB,
          AUDIENCE },
        { "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"x5t\":\"abc\",\"typ\":\"jwt\"}", GH_ISSUER,
          "\"" AUDIENCE "\"", RSA1, AUDIENCE },
    };
    struct keys *k = *state;

    for (size_t i = 0; i < N_OF(cases); i++) {
        char *pl = payload(cases[i].iss, cases[i].aud, 300, -10, -10, "");
        char *tok = make_token(k, cases[i].hdr, pl, cases[i].s);
        struct hm_oidc_claims *c = NULL;
        char why[256] = "";
        int64_t exp = 0, run = 0;

        if (verify(k, tok, strlen(tok), &c, why) != HM_OK) {
            fail_msg("case %zu: %s", i, why);
        }
        assert_string_equal(hm_oidc_claim_string(c, "iss"), cases[i].iss);
        assert_string_equal(hm_oidc_claim_string(c, "aud"), cases[i].want_aud);
        assert_string_equal(hm_oidc_claim_string(c, "repository"), "acme/thermostat");
        assert_string_equal(hm_oidc_claim_string(c, "ref"), "refs/tags/v1.4.2");
        assert_string_equal(hm_oidc_claim_string(c, "repository_id"), "74123456");
        assert_string_equal(hm_oidc_claim_string(c, "environment"), "production");
        assert_string_equal(hm_oidc_claim_string(c, "runner_environment"), "github-hosted");
        assert_string_equal(hm_oidc_claim_string(c, "job_workflow_ref"),
                            "acme/thermostat/.github/workflows/release.yml@refs/tags/v1.4.2");
        assert_true(hm_glob_match("refs/tags/v*", hm_oidc_claim_string(c, "ref")));
        assert_null(hm_oidc_claim_string(c, "run_id")); /* a number, not a string */
        assert_null(hm_oidc_claim_string(c, "missing"));
        assert_true(hm_oidc_claim_int(c, "exp", &exp));
        assert_int_equal(exp, NOW + 300);
        assert_true(hm_oidc_claim_int(c, "run_id", &run));
        assert_int_equal(run, 123456789);
        hm_oidc_claims_free(c);
        free(pl);
        free(tok);
    }
}

struct attack {
    const char *name, *hdr;
    enum signer s;
    const char *iss, *aud;
    long long exp, nbf, iat;
    const char *extra;
    hm_err want;
    const char *why;
};

static const struct attack attacks[] = {
    { "alg none", "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"rsa-1\"}", NONE, GH_ISSUER,
      "\"" AUDIENCE "\"", 300, ABSENT, 0, "", HM_E_DENIED, "header: alg \"none\" is refused" },
    { "alg NONE", "{\"alg\":\"NONE\",\"kid\":\"rsa-1\"}", RSA1, GH_ISSUER, "\"" AUDIENCE "\"", 300,
      ABSENT, 0, "", HM_E_DENIED, "header: alg \"none\" is refused" },
    { "HS256 keyed with the RSA public key", "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", HS_PUB,
      GH_ISSUER, "\"" AUDIENCE "\"", 300, ABSENT, 0, "", HM_E_DENIED,
      "header: alg HS256 (HMAC) is refused" },
    { "PS256", "{\"alg\":\"PS256\",\"kid\":\"rsa-1\"}", RSA1, GH_ISSUER, "\"" AUDIENCE "\"", 300,
      ABSENT, 0, "", HM_E_DENIED, "header: alg PS256 is not supported (RS256, ES256)" },
    { "RS256 naming the EC key", "{\"alg\":\"RS256\",\"kid\":\"ec-1\"}", RSA1, GH_ISSUER,
      "\"" AUDIENCE "\"", 300, ABSENT, 0, "", HM_E_VERIFY,
      "header: alg RS256 with kid ec-1, an EC P-256 key (algorithm confusion)" },
    { "ES256 naming the RSA key", "{\"alg\":\"ES256\",\"kid\":\"rsa-1\"}", EC1, GH_ISSUER,
      "\"" AUDIENCE "\"", 300, ABSENT, 0, "", HM_E_VERIFY,
      "header: alg ES256 with kid rsa-1, an RSA key (algorithm confusion)" },
    { "unknown kid", "{\"alg\":\"RS256\",\"kid\":\"rsa-9\"}", RSA1, GH_ISSUER, "\"" AUDIENCE "\"",
      300, ABSENT, 0, "", HM_E_VERIFY, "header: kid names no key in the JWKS of " GH_ISSUER },
    { "signed by another key", RS_HDR, RSA_OTHER, GH_ISSUER, "\"" AUDIENCE "\"", 300, ABSENT, 0, "",
      HM_E_VERIFY, "signature does not verify with key rsa-1" },
    { "ES256 signed by another key", ES_HDR, EC_GITLAB, GH_ISSUER, "\"" AUDIENCE "\"", 300, ABSENT,
      0, "", HM_E_VERIFY, "signature does not verify with key ec-1" },
    { "RS256 for an ES256-only issuer", "{\"alg\":\"RS256\",\"kid\":\"gl-1\"}", RSA1, GL_ISSUER,
      "\"" AUDIENCE "\"", 300, ABSENT, 0, "", HM_E_DENIED,
      "header: alg RS256 is not allowed for issuer " GL_ISSUER },
    { "expired", RS_HDR, RSA1, GH_ISSUER, "\"" AUDIENCE "\"", -61, ABSENT, -400, "", HM_E_DENIED,
      "token expired (exp, leeway 60 s)" },
    { "expired at the leeway boundary", RS_HDR, RSA1, GH_ISSUER, "\"" AUDIENCE "\"", -LEEWAY,
      ABSENT, -400, "", HM_E_DENIED, "token expired (exp, leeway 60 s)" },
    { "not yet valid", RS_HDR, RSA1, GH_ISSUER, "\"" AUDIENCE "\"", 300, LEEWAY + 1, 0, "",
      HM_E_DENIED, "token not yet valid (nbf, leeway 60 s)" },
    { "issued in the future", RS_HDR, RSA1, GH_ISSUER, "\"" AUDIENCE "\"", 300, ABSENT, LEEWAY + 1,
      "", HM_E_DENIED, "token issued in the future (iat, leeway 60 s)" },
    { "wrong iss", RS_HDR, RSA1, "https://token.actions.githubusercontent.com.evil.example",
      "\"" AUDIENCE "\"", 300, ABSENT, 0, "", HM_E_DENIED, "claim iss is not a configured issuer" },
    { "wrong aud", RS_HDR, RSA1, GH_ISSUER, "\"https://other.example\"", 300, ABSENT, 0, "",
      HM_E_DENIED, "claim aud does not contain an allowed audience of " GH_ISSUER },
    { "aud array without ours", RS_HDR, RSA1, GH_ISSUER, "[\"a\",\"b\"]", 300, ABSENT, 0, "",
      HM_E_DENIED, "claim aud does not contain an allowed audience of " GH_ISSUER },
    { "aud of the wrong type", RS_HDR, RSA1, GH_ISSUER, "42", 300, ABSENT, 0, "", HM_E_INVALID,
      "claim aud must be a string or an array of strings" },
    { "missing exp", RS_HDR, RSA1, GH_ISSUER, "\"" AUDIENCE "\"", ABSENT, ABSENT, 0, "",
      HM_E_INVALID, "claim exp is missing" },
    { "exp not an integer", RS_HDR, RSA1, GH_ISSUER, "\"" AUDIENCE "\"", ABSENT, ABSENT, 0,
      ",\"exp\":\"1790000300\"", HM_E_INVALID, "claim exp must be an integer NumericDate" },
    { "exp fractional", RS_HDR, RSA1, GH_ISSUER, "\"" AUDIENCE "\"", ABSENT, ABSENT, 0,
      ",\"exp\":1790000300.5", HM_E_INVALID, "claim exp must be an integer NumericDate" },
    { "header with jku", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"jku\":\"https://evil/\"}", RSA1,
      GH_ISSUER, "\"" AUDIENCE "\"", 300, ABSENT, 0, "", HM_E_INVALID,
      "header: field \"jku\" is not allowed" },
    { "header with crit", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"crit\":[\"exp\"]}", RSA1,
      GH_ISSUER, "\"" AUDIENCE "\"", 300, ABSENT, 0, "", HM_E_INVALID,
      "header: field \"crit\" is not allowed" },
    { "no kid", "{\"alg\":\"RS256\"}", RSA1, GH_ISSUER, "\"" AUDIENCE "\"", 300, ABSENT, 0, "",
      HM_E_INVALID, "header: kid missing or not a string" },
    { "typ not JWT", "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"typ\":\"dpop+jwt\"}", RSA1, GH_ISSUER,
      "\"" AUDIENCE "\"", 300, ABSENT, 0, "", HM_E_INVALID, "header: typ must be \"JWT\"" },
};

static void
assert_no_token_in(const char *why, const char *tok)
{
    char seg[24];

    /* No 16-byte run of any segment may appear in the reason. */
    for (const char *p = tok; p != NULL && *p != '\0' && strlen(p) >= 16; p += 16) {
        memcpy(seg, p, 16);
        seg[16] = '\0';
        if (strchr(seg, '.') == NULL && strstr(why, seg) != NULL) {
            fail_msg("the reason \"%s\" contains token bytes", why);
        }
    }
}

static void
test_oidc_attacks(void **state)
{
    struct keys *k = *state;

    for (size_t i = 0; i < N_OF(attacks); i++) {
        const struct attack *a = &attacks[i];
        char *pl = payload(a->iss, a->aud, a->exp, a->nbf, a->iat, a->extra);
        char *tok = make_token(k, a->hdr, pl, a->s);
        struct hm_oidc_claims *c = (struct hm_oidc_claims *)(uintptr_t)1;
        char why[256] = "";
        hm_err err = verify(k, tok, strlen(tok), &c, why);

        if (err != a->want || strcmp(why, a->why) != 0) {
            fail_msg("%s: got %s \"%s\", want %s \"%s\"", a->name, hm_strerror(err), why,
                     hm_strerror(a->want), a->why);
        }
        assert_null(c); /* nothing handed out */
        assert_no_token_in(why, tok);
        free(pl);
        free(tok);
    }
}

/* The leeway is inclusive on the accepting side: exp one second past now - leeway, nbf and
 * iat exactly now + leeway. */
static void
test_oidc_leeway_boundaries(void **state)
{
    static const struct {
        long long exp, nbf, iat;
    } ok[] = { { -LEEWAY + 1, ABSENT, -400 }, { 300, LEEWAY, 0 }, { 300, ABSENT, LEEWAY } };
    struct keys *k = *state;

    for (size_t i = 0; i < N_OF(ok); i++) {
        char *pl = payload(GH_ISSUER, "\"" AUDIENCE "\"", ok[i].exp, ok[i].nbf, ok[i].iat, "");
        char *tok = make_token(k, RS_HDR, pl, RSA1);
        struct hm_oidc_claims *c = NULL;
        char why[256] = "";

        if (verify(k, tok, strlen(tok), &c, why) != HM_OK) {
            fail_msg("boundary case %zu refused: %s", i, why);
        }
        hm_oidc_claims_free(c);
        free(pl);
        free(tok);
    }
}

static void
expect(const struct keys *k, const char *tok, size_t len, hm_err want, const char *want_why)
{
    struct hm_oidc_claims *c = (struct hm_oidc_claims *)(uintptr_t)1;
    char why[256] = "";
    hm_err err = verify(k, tok, len, &c, why);

    if (err != want || strcmp(why, want_why) != 0) {
        fail_msg("got %s \"%s\", want %s \"%s\"", hm_strerror(err), why, hm_strerror(want),
                 want_why);
    }
    assert_null(c);
}

/* Encoding-level attacks on a valid token: the bytes around the signature change. */
static void
test_oidc_malformed_tokens(void **state)
{
    struct keys *k = *state;
    char *pl = payload(GH_ISSUER, "\"" AUDIENCE "\"", 300, ABSENT, 0, "");
    char *tok = make_token(k, RS_HDR, pl, RSA1), *bad = NULL, *dot;
    char *dup_pl = NULL, *dup_tok, *big, *big_pl;
    size_t hlen = (size_t)(strchr(tok, '.') - tok);

    /* an extra segment, a missing one */
    assert_true(asprintf(&bad, "%s.AAAA", tok) > 0);
    expect(k, bad, strlen(bad), HM_E_INVALID, "token is not a compact JWS: 4 segments, want 3");
    free(bad);
    dot = strrchr(tok, '.');
    expect(k, tok, (size_t)(dot - tok), HM_E_INVALID,
           "token is not a compact JWS: 2 segments, want 3");
    /* padding in the header segment and in the signature */
    assert_true(asprintf(&bad, "%.*s=%s", (int)hlen, tok, tok + hlen) > 0);
    expect(k, bad, strlen(bad), HM_E_INVALID, "header: base64url padding '=' is not allowed");
    free(bad);
    assert_true(asprintf(&bad, "%s=", tok) > 0);
    expect(k, bad, strlen(bad), HM_E_INVALID, "signature: base64url padding '=' is not allowed");
    free(bad);
    /* standard base64 alphabet, an empty signature, an empty token */
    bad = strdup(tok);
    bad[hlen + 3] = '+';
    expect(k, bad, strlen(bad), HM_E_INVALID, "payload: not base64url");
    free(bad);
    assert_true(asprintf(&bad, "%.*s", (int)(dot - tok + 1), tok) > 0);
    expect(k, bad, strlen(bad), HM_E_INVALID, "signature is empty");
    free(bad);
    expect(k, "", 0, HM_E_INVALID, "token is not a compact JWS: 1 segments, want 3");
    /* a payload changed after signing */
    bad = strdup(tok);
    bad[hlen + 10] = bad[hlen + 10] == 'A' ? 'B' : 'A';
    {
        struct hm_oidc_claims *c = NULL;
        char why[256] = "";
        hm_err err = verify(k, bad, strlen(bad), &c, why);

        /* either the JSON no longer parses or the signature fails: never accepted */
        assert_true(err == HM_E_VERIFY || err == HM_E_INVALID);
        assert_null(c);
    }
    free(bad);
    /* a duplicate claim: two parsers must never see two different tokens */
    assert_true(asprintf(&dup_pl, "%.*s,\"sub\":\"repo:evil/x\"}", (int)(strlen(pl) - 1), pl) > 0);
    dup_tok = make_token(k, RS_HDR, dup_pl, RSA1);
    {
        struct hm_oidc_claims *c = NULL;
        char why[256] = "";

        assert_int_equal(verify(k, dup_tok, strlen(dup_tok), &c, why), HM_E_INVALID);
        assert_null(c);
        if (strncmp(why, "payload: duplicate key \"sub\" at byte ", 37) != 0) {
            fail_msg("duplicate claim: %s", why);
        }
    }
    free(dup_tok);
    free(dup_pl);
    /* a duplicate header field */
    dup_tok = make_token(k, "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"alg\":\"none\"}", pl, RSA1);
    {
        struct hm_oidc_claims *c = NULL;
        char why[256] = "";

        assert_int_equal(verify(k, dup_tok, strlen(dup_tok), &c, why), HM_E_INVALID);
        assert_null(c);
        assert_int_equal(strncmp(why, "header: duplicate key \"alg\"", 27), 0);
    }
    free(dup_tok);
    /* oversize: one byte over 16 KiB, before anything is decoded */
    big = calloc(1, HM_OIDC_MAX_TOKEN + 2);
    memset(big, 'A', HM_OIDC_MAX_TOKEN + 1);
    expect(k, big, HM_OIDC_MAX_TOKEN + 1, HM_E_LIMIT, "token longer than 16384 bytes");
    free(big);
    /* a big but allowed token still verifies (the long claim is not kept) */
    big = calloc(1, 8001);
    memset(big, 'x', 8000);
    assert_true(asprintf(&bad, ",\"pad\":\"%s\"", big) > 0);
    big_pl = payload(GH_ISSUER, "\"" AUDIENCE "\"", 300, ABSENT, 0, bad);
    free(bad);
    bad = make_token(k, RS_HDR, big_pl, RSA1);
    {
        struct hm_oidc_claims *c = NULL;
        char why[256] = "";

        assert_true(strlen(bad) > 11000 && strlen(bad) <= HM_OIDC_MAX_TOKEN);
        assert_int_equal(verify(k, bad, strlen(bad), &c, why), HM_OK);
        assert_null(hm_oidc_claim_string(c, "pad"));
        assert_string_equal(hm_oidc_claim_string(c, "repository"), "acme/thermostat");
        hm_oidc_claims_free(c);
    }
    free(bad);
    free(big);
    free(big_pl);
    free(pl);
    free(tok);
}

static void
test_oidc_jwks_is_strict(void **state)
{
    static const char *const auds[] = { AUDIENCE };
    struct keys *k = *state;
    EVP_PKEY *small = EVP_RSA_gen(1024);
    char *jsmall = jwk_rsa(small, "small"), *jrsa = jwk_rsa(k->rsa, "rsa-1"),
         *jec = jwk_ec(k->ec, "e");
    char *cases_src[12] = { 0 };
    const char *want[12];
    size_t n = 0;

    assert_true(asprintf(&cases_src[n], "{\"keys\":[%s]}", jsmall) > 0);
    want[n++] = "JWKS key small: RSA modulus must be 2048..8192 bits, minimal";
    assert_true(asprintf(&cases_src[n], "{\"keys\":[%s,%s]}", jrsa, jrsa) > 0);
    want[n++] = "JWKS: kid rsa-1 appears twice";
    assert_true(asprintf(&cases_src[n], "{\"keys\":[%.*s,\"d\":\"AQAB\"}]}", (int)strlen(jrsa) - 1,
                         jrsa) > 0);
    want[n++] = "JWKS key rsa-1: member \"d\" is not allowed for kty RSA";
    cases_src[n] = strdup("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"}]}");
    want[n++] = "JWKS key h: kty must be \"RSA\" or \"EC\"";
    cases_src[n] = strdup("{\"keys\":[{\"kty\":\"EC\",\"kid\":\"p\",\"crv\":\"P-256\","
                          "\"x\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
                          "\"y\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}");
    want[n++] = "JWKS key p: the point is not on P-256";
    assert_true(asprintf(&cases_src[n], "{\"keys\":[%.*s,\"crv\":\"P-384\"}]}",
                         (int)strlen(jec) - 1, jec) > 0);
    want[n++] = NULL; /* a duplicate member: the JSON layer names it */
    assert_true(asprintf(&cases_src[n], "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r\",\"alg\":"
                                        "\"ES256\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}") > 0);
    want[n++] = "JWKS key r: \"alg\" must be RS256 for kty RSA";
    cases_src[n] = strdup("{\"keys\":[]}");
    want[n++] = "JWKS: must be {\"keys\":[...]} with at least one key";
    cases_src[n] = strdup("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}");
    want[n++] = "JWKS: a key has no \"kid\" (1..256 bytes)";
    cases_src[n] = strdup("{\"keys\":[{\"kty\":\"EC\",\"kid\":\"q\",\"crv\":\"P-256\","
                          "\"x\":\"AQ==\",\"y\":\"AQ\"}]}");
    want[n++] = "JWKS key q: \"x\" is not unpadded base64url";
    for (size_t i = 0; i < n; i++) {
        struct hm_oidc_issuer_config cfg = {
            .issuer = GH_ISSUER, .audiences = auds, .n_audiences = 1, .leeway = 0
        };
        struct hm_oidc_issuer *iss = (struct hm_oidc_issuer *)(uintptr_t)1;
        char why[256] = "";
        hm_err err = hm_oidc_issuer_from_jwks(&cfg, cases_src[i], strlen(cases_src[i]), &iss, why,
                                              sizeof(why));

        assert_int_equal(err, HM_E_INVALID);
        assert_null(iss);
        if (want[i] == NULL) {
            assert_int_equal(strncmp(why, "JWKS: duplicate key \"crv\"", 25), 0);
        } else if (strcmp(why, want[i]) != 0) {
            fail_msg("JWKS case %zu: \"%s\", want \"%s\"", i, why, want[i]);
        }
        free(cases_src[i]);
    }
    free(jsmall);
    free(jrsa);
    free(jec);
    EVP_PKEY_free(small);
}

static void
test_oidc_issuer_config_and_file(void **state)
{
    static const char *const auds[] = { AUDIENCE };
    struct keys *k = *state;
    char path[] = "/tmp/hm-jwks-XXXXXX", why[256] = "";
    char *jrsa = jwk_rsa(k->rsa, "rsa-1"), *jwks = NULL;
    struct hm_oidc_issuer_config cfg = {
        .issuer = GH_ISSUER, .audiences = auds, .n_audiences = 1, .leeway = 30
    };
    struct hm_oidc_issuer *iss = NULL;
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_true(asprintf(&jwks, "{\"keys\":[%s]}", jrsa) > 0);
    assert_int_equal(write(fd, jwks, strlen(jwks)), (ssize_t)strlen(jwks));
    close(fd);
    cfg.jwks_path = path;
    assert_int_equal(hm_oidc_issuer_load(&cfg, &iss, why, sizeof(why)), HM_OK);
    assert_string_equal(hm_oidc_issuer_url(iss), GH_ISSUER);
    assert_int_equal(hm_oidc_issuer_n_keys(iss), 1);
    hm_oidc_issuer_free(iss);
    iss = NULL;
    cfg.jwks_path = "/nonexistent/jwks.json";
    assert_int_equal(hm_oidc_issuer_load(&cfg, &iss, why, sizeof(why)), HM_E_NOTFOUND);
    assert_null(iss);
    cfg.jwks_path = path;
    cfg.leeway = HM_OIDC_MAX_LEEWAY + 1;
    assert_int_equal(hm_oidc_issuer_load(&cfg, &iss, why, sizeof(why)), HM_E_INVALID);
    assert_string_equal(why, "issuer " GH_ISSUER ": leeway must be 0..600 s and algs RS256/ES256");
    cfg.leeway = 0;
    cfg.issuer = "http://token.actions.githubusercontent.com";
    assert_int_equal(hm_oidc_issuer_load(&cfg, &iss, why, sizeof(why)), HM_E_INVALID);
    assert_string_equal(why, "issuer must be an https:// URL of at most 1024 bytes");
    cfg.issuer = GH_ISSUER;
    cfg.n_audiences = 0;
    assert_int_equal(hm_oidc_issuer_load(&cfg, &iss, why, sizeof(why)), HM_E_INVALID);
    assert_null(iss);
    unlink(path);
    free(jwks);
    free(jrsa);
    hm_oidc_issuer_free(NULL);
    hm_oidc_claims_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oidc_accepts_rs256_and_es256),
        cmocka_unit_test(test_oidc_attacks),
        cmocka_unit_test(test_oidc_leeway_boundaries),
        cmocka_unit_test(test_oidc_malformed_tokens),
        cmocka_unit_test(test_oidc_jwks_is_strict),
        cmocka_unit_test(test_oidc_issuer_config_and_file),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

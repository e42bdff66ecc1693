/* policy_test.c: helpers of the policy engine's tests (policy_test.h). */
#include "policy_test.h"

#include <ftw.h>
#include <hm/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>

const struct hm_policy_identity PT_CI_ACME = { .cn = "ci-acme" };

char *
pt_fmt(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    return s;
}

void
pt_key_init(struct pt_key *k)
{
    BIO *bio = BIO_new(BIO_s_mem());
    struct hm_pubkey *pub = NULL;
    char *data = NULL;
    long len;
    size_t j = 0;

    memset(k, 0, sizeof(*k));
    k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(k->pkey);
    assert_non_null(bio);
    assert_int_equal(PEM_write_bio_PUBKEY(bio, k->pkey), 1);
    len = BIO_get_mem_data(bio, &data);
    k->pem = calloc(1, (size_t)len + 1);
    k->pem_json = calloc(1, 2 * (size_t)len + 1);
    memcpy(k->pem, data, (size_t)len);
    for (long i = 0; i < len; i++) {
        if (data[i] == '\n') {
            k->pem_json[j++] = '\\';
            k->pem_json[j++] = 'n';
        } else {
            k->pem_json[j++] = data[i];
        }
    }
    BIO_free(bio);
    assert_int_equal(hm_pubkey_from_pem(k->pem, strlen(k->pem), &pub), HM_OK);
    snprintf(k->keyid, sizeof(k->keyid), "%s", hm_pubkey_keyid(pub));
    hm_pubkey_free(pub);
}

void
pt_key_clear(struct pt_key *k)
{
    EVP_PKEY_free(k->pkey);
    free(k->pem);
    free(k->pem_json);
    memset(k, 0, sizeof(*k));
}

hm_err
pt_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len)
{
    struct pt_key *k = ctx;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t n = 0;

    *sig = NULL;
    if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
        EVP_DigestSign(md, NULL, &n, msg, len) != 1 || (*sig = malloc(n)) == NULL ||
        EVP_DigestSign(md, *sig, &n, msg, len) != 1) {
        EVP_MD_CTX_free(md);
        free(*sig);
        *sig = NULL;
        return HM_E_BACKEND;
    }
    EVP_MD_CTX_free(md);
    *sig_len = n;
    return HM_OK;
}

char *
pt_approval(struct pt_key *k, const char *product, const char *version, size_t n,
            const char *const (*arts)[3])
{
    struct hm_artifact a[4];
    struct hm_approval ap = { .product = product, .version = version, .approver = "tester" };
    uint8_t *stmt = NULL;
    size_t len = 0, env_len = 0;
    char *env = NULL;

    assert_true(n >= 1 && n <= 4);
    memset(a, 0, sizeof(a));
    for (size_t i = 0; i < n; i++) {
        a[i].name = arts[i][0];
        a[i].size = 1;
        assert_int_equal(hm_hex_decode(arts[i][1], 64, a[i].sha256, 32), HM_OK);
        assert_int_equal(hm_hex_decode(arts[i][2], 128, a[i].sha512, 64), HM_OK);
    }
    ap.artifacts = a;
    ap.n_artifacts = n;
    assert_int_equal(hm_approval_statement(&ap, &stmt, &len), HM_OK);
    assert_int_equal(hm_dsse_envelope_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, len, k->keyid, pt_sign, k,
                                           &env, &env_len),
                     HM_OK);
    free(stmt);
    return env;
}

struct hm_policy *
pt_policy(const char *json)
{
    struct hm_policy *p = NULL;
    struct hm_policy_error err;
    hm_err rc = hm_policy_parse(json, strlen(json), &p, &err);

    if (rc != HM_OK) {
        print_error("policy: %s: %s\n", err.path, err.message);
    }
    assert_int_equal(rc, HM_OK);
    return p;
}

struct hm_policy_request *
pt_request(const char *json)
{
    struct hm_policy_request *r = NULL;
    struct hm_policy_error err;
    hm_err rc = hm_policy_request_parse(json, strlen(json), &r, &err);

    if (rc != HM_OK) {
        print_error("request: %s: %s\n", err.path, err.message);
    }
    assert_int_equal(rc, HM_OK);
    return r;
}

static hm_err
st_highest(void *ctx, const char *product, const char *channel, char *out, size_t out_len)
{
    struct pt_state *s = ctx;

    snprintf(s->seen_product, sizeof(s->seen_product), "%s", product);
    snprintf(s->seen_channel, sizeof(s->seen_channel), "%s", channel);
    if (s->highest_rc != HM_OK) {
        return s->highest_rc;
    }
    if (s->highest == NULL) {
        return HM_E_NOTFOUND;
    }
    snprintf(out, out_len, "%s", s->highest);
    return HM_OK;
}

static hm_err
st_first(void *ctx, const char *product, uint64_t major, int64_t *out)
{
    struct pt_state *s = ctx;

    snprintf(s->seen_product, sizeof(s->seen_product), "%s", product);
    s->seen_major = major;
    if (s->first_rc != HM_OK) {
        return s->first_rc;
    }
    if (s->first == 0) {
        return HM_E_NOTFOUND;
    }
    *out = s->first;
    return HM_OK;
}

void
pt_state_bind(struct pt_state *s, struct hm_policy_state *out)
{
    out->ctx = s;
    out->highest = st_highest;
    out->first_release = st_first;
}

struct hm_policy_decision *
pt_eval(const struct hm_policy *p, const struct hm_policy_request *r,
        const struct hm_policy_identity *who, const struct hm_policy_state *st, int64_t now)
{
    struct hm_policy_decision *d = NULL;

    assert_int_equal(hm_policy_evaluate(p, r, who, st, now, &d), HM_OK);
    assert_non_null(d);
    return d;
}

struct hm_policy_decision *
pt_eval_str(const char *policy_json, const char *request_json)
{
    struct hm_policy *p = pt_policy(policy_json);
    struct hm_policy_request *r = pt_request(request_json);
    struct hm_policy_decision *d = pt_eval(p, r, &PT_CI_ACME, NULL, PT_NOW);

    hm_policy_request_free(r);
    hm_policy_free(p);
    return d;
}

bool
pt_has_reason(const struct hm_policy_decision *d, const char *rule, const char *needle)
{
    for (size_t i = 0; i < hm_policy_decision_n_reasons(d); i++) {
        const struct hm_policy_reason *r = hm_policy_decision_reason(d, i);

        if (strcmp(r->rule, rule) == 0 && (needle == NULL || strstr(r->reason, needle) != NULL)) {
            return true;
        }
    }
    return false;
}

void
pt_dump(const struct hm_policy_decision *d)
{
    for (size_t i = 0; i < hm_policy_decision_n_reasons(d); i++) {
        const struct hm_policy_reason *r = hm_policy_decision_reason(d, i);

        print_message("  [%s] %s (hint: %s)\n", r->rule, r->reason, r->hint);
    }
}

void
pt_assert_allowed(const struct hm_policy_decision *d)
{
    if (!hm_policy_decision_allowed(d)) {
        pt_dump(d);
    }
    assert_true(hm_policy_decision_allowed(d));
    assert_int_equal(hm_policy_decision_n_reasons(d), 0);
}

void
pt_assert_denied(const struct hm_policy_decision *d, size_t n, const char *rule, const char *needle)
{
    if (hm_policy_decision_n_reasons(d) != n || !pt_has_reason(d, rule, needle)) {
        print_message("want %zu reason(s), one [%s] with \"%s\"; got:\n", n, rule,
                      needle != NULL ? needle : "");
        pt_dump(d);
    }
    assert_false(hm_policy_decision_allowed(d));
    assert_int_equal(hm_policy_decision_n_reasons(d), n);
    assert_true(pt_has_reason(d, rule, needle));
    for (size_t i = 0; i < n; i++) {
        const struct hm_policy_reason *r = hm_policy_decision_reason(d, i);

        assert_true(strlen(r->reason) > 0);
        assert_true(strlen(r->hint) > 0); /* every denial says what to do */
    }
}

/* ---- CI tokens ---- */
static char *
b64url(const uint8_t *in, size_t len)
{
    char *s = NULL;
    size_t j = 0;

    assert_int_equal(hm_b64_encode(in, len, &s), HM_OK);
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (s[i] == '=') {
            continue;
        }
        s[j++] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
    }
    s[j] = '\0';
    return s;
}

char *
pt_jwks(struct pt_key *k, const char *kid)
{
    BIGNUM *x = NULL, *y = NULL;
    uint8_t xb[32], yb[32];
    char *xs, *ys, *out;

    assert_int_equal(EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
    assert_int_equal(EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y), 1);
    assert_int_equal(BN_bn2binpad(x, xb, 32), 32);
    assert_int_equal(BN_bn2binpad(y, yb, 32), 32);
    xs = b64url(xb, 32);
    ys = b64url(yb, 32);
    out = pt_fmt("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"%s\",\"use\":\"sig\","
                 "\"alg\":\"ES256\",\"x\":\"%s\",\"y\":\"%s\"}]}",
                 kid, xs, ys);
    BN_free(x);
    BN_free(y);
    free(xs);
    free(ys);
    return out;
}

char *
pt_jwt(struct pt_key *k, const char *kid, const char *payload_json)
{
    char *header = pt_fmt("{\"alg\":\"ES256\",\"kid\":\"%s\",\"typ\":\"JWT\"}", kid);
    char *h64 = b64url((const uint8_t *)header, strlen(header));
    char *p64 = b64url((const uint8_t *)payload_json, strlen(payload_json));
    char *input = pt_fmt("%s.%s", h64, p64), *s64, *jwt;
    uint8_t *der = NULL, raw[64];
    size_t der_len = 0;
    const unsigned char *pp;
    ECDSA_SIG *sig;

    assert_int_equal(pt_sign(k, (const uint8_t *)input, strlen(input), &der, &der_len), HM_OK);
    pp = der;
    sig = d2i_ECDSA_SIG(NULL, &pp, (long)der_len);
    assert_non_null(sig);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32), 32);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32), 32);
    s64 = b64url(raw, 64);
    jwt = pt_fmt("%s.%s", input, s64);
    ECDSA_SIG_free(sig);
    free(der);
    free(header);
    free(h64);
    free(p64);
    free(input);
    free(s64);
    return jwt;
}

char *
pt_tmpdir(void)
{
    char *dir = strdup("/tmp/hm-policy-test-XXXXXX");

    assert_non_null(mkdtemp(dir));
    return dir;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void
pt_rmdir(char *dir)
{
    if (dir != NULL) {
        (void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(dir);
    }
}

void
pt_write(const char *dir, const char *name, const char *text)
{
    char *path = pt_fmt("%s/%s", dir, name);
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    free(path);
}

void
pt_sh(const char *fmt, ...)
{
    va_list ap;
    char *cmd = NULL;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&cmd, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

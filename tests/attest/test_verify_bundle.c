/*
 * test_verify_bundle.c: hm_verify_bundle_key with software keys of every algorithm,
 * made here with OpenSSL: the good bundle, then each tampering with its exact status
 * and reason; SemVer ordering for anti-rollback (semver.org section 11).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attest_test.h"

static const enum hm_key_alg ALGS[] = { HM_KEY_EC_P256, HM_KEY_EC_P384, HM_KEY_ED25519,
                                        HM_KEY_RSA3072_PSS };
static EVP_PKEY *keys[4], *others[4];

static const char *const CONTENT[] = { "firmware image, release 1.4.2", "bootloader 7" };

static int
setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        keys[i] = test_keygen(ALGS[i]);
        others[i] = test_keygen(ALGS[i]);
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        EVP_PKEY_free(keys[i]);
        EVP_PKEY_free(others[i]);
    }
    return 0;
}

/* Signs PAE(signed_type, signed) but writes enc_type and enc into the bundle. */
static char *
forge(EVP_PKEY *pkey, enum hm_key_alg alg, const char *keyid, const char *signed_type,
      const uint8_t *signed_payload, size_t signed_len, const char *enc_type,
      const uint8_t *enc_payload, size_t enc_len, bool flip, size_t *len)
{
    struct test_signer ts = { .pkey = pkey, .alg = alg };
    uint8_t *pae = NULL, *sig = NULL;
    size_t pae_len = 0, sig_len = 0;
    char *out = NULL;

    assert_int_equal(
        hm_dsse_pae(signed_type, strlen(signed_type), signed_payload, signed_len, &pae, &pae_len),
        HM_OK);
    assert_int_equal(test_sign(&ts, pae, pae_len, &sig, &sig_len), HM_OK);
    if (flip) {
        sig[sig_len - 1] ^= 0x01;
    }
    assert_int_equal(
        hm_bundle_encode(enc_type, enc_payload, enc_len, keyid, sig, sig_len, &out, len), HM_OK);
    free(pae);
    free(sig);
    return out;
}

static uint8_t *
statement_of(const struct test_release *tr, size_t *len)
{
    uint8_t *json = NULL;

    assert_int_equal(hm_release_statement(&tr->rel, &json, len), HM_OK);
    return json;
}

static void
artifacts_of(const char *const *content, size_t n, struct hm_verify_artifact *arts,
             char names[][32])
{
    for (size_t i = 0; i < n; i++) {
        (void)snprintf(names[i], 32, "fw-%zu.bin", i);
        arts[i].name = names[i];
        test_digests(content[i], strlen(content[i]), &arts[i].digests);
    }
}

static void
expect(const char *bundle, size_t len, const struct hm_pubkey *pk,
       const struct hm_verify_artifact *arts, size_t n, const struct hm_verify_opts *opts,
       enum hm_verify_status want, const char *detail, const char *what)
{
    struct hm_verify_result res;

    assert_int_equal(hm_verify_bundle_key((const uint8_t *)bundle, len, pk, arts, n, opts, &res),
                     HM_OK);
    if (res.status != want || strcmp(res.detail, detail) != 0) {
        fail_msg("%s (%s): got %s \"%s\", want %s \"%s\"", what, hm_key_alg_name(hm_pubkey_alg(pk)),
                 hm_verify_status_name(res.status), res.detail, hm_verify_status_name(want),
                 detail);
    }
}

static void
test_verify_good_bundle_each_algorithm(void **state)
{
    struct hm_verify_opts opts = { .product = "acme-thermostat", .installed_version = "1.4.1" };
    struct hm_verify_artifact arts[2];
    char names[2][32];
    struct test_release tr;

    (void)state;
    test_release_init(&tr, CONTENT, 2);
    artifacts_of(CONTENT, 2, arts, names);
    for (size_t k = 0; k < 4; k++) {
        struct test_signer ts = { .pkey = keys[k], .alg = ALGS[k] };
        struct hm_pubkey *pk = test_pubkey(keys[k]);
        struct hm_verify_result res;
        size_t st_len = 0, len = 0;
        uint8_t *st = statement_of(&tr, &st_len);
        char *b = test_bundle(&ts, hm_pubkey_keyid(pk), HM_PAYLOAD_TYPE_INTOTO, st, st_len, &len);

        assert_int_equal(hm_verify_bundle_key((const uint8_t *)b, len, pk, arts, 2, &opts, &res),
                         HM_OK);
        if (res.status != HM_V_OK) {
            fail_msg("%s: %s", hm_key_alg_name(ALGS[k]), res.detail);
        }
        assert_string_equal(res.detail, "");
        assert_string_equal(res.keyid, hm_pubkey_keyid(pk));
        assert_string_equal(res.product, "acme-thermostat");
        assert_string_equal(res.channel, "stable");
        assert_string_equal(res.version, "1.4.2");
        assert_string_equal(res.support_end, "2031-12-31");
        assert_int_equal(res.n_subjects, 2);
        assert_int_equal(res.n_artifacts_matched, 2);
        /* one artifact of the two, no options: also fine */
        expect(b, len, pk, &arts[1], 1, NULL, HM_V_OK, "", "one artifact");
        free(b);
        free(st);
        hm_pubkey_free(pk);
    }
}

/* A copy of s with the first occurrence of from replaced by to. */
static char *
replace_first(const char *s, const char *from, const char *to, size_t *len)
{
    const char *at = strstr(s, from);
    char *out = NULL;

    assert_non_null(at);
    assert_true(asprintf(&out, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from)) > 0);
    *len = strlen(out);
    return out;
}

static void
bad_signature_detail(char *out, size_t n, const struct hm_pubkey *pk)
{
    (void)snprintf(out, n, "the signature does not verify over the DSSE PAE with key %s (%s)",
                   hm_pubkey_keyid(pk), hm_key_alg_name(hm_pubkey_alg(pk)));
}

/* Tampering with the envelope and the key material, for key k. */
static void
envelope_tampers(size_t k, const uint8_t *st, size_t st_len, const uint8_t *st2, size_t st2_len,
                 const struct hm_verify_artifact *arts)
{
    static const char *const type = HM_PAYLOAD_TYPE_INTOTO;
    struct hm_pubkey *pk = test_pubkey(keys[k]), *other = test_pubkey(others[k]);
    const char *kid = hm_pubkey_keyid(pk), *okid = hm_pubkey_keyid(other);
    char bad[160], bad_other[160], unknown[256], *b = NULL, *b2 = NULL;
    size_t len = 0, len2 = 0;

    bad_signature_detail(bad, sizeof(bad), pk);
    bad_signature_detail(bad_other, sizeof(bad_other), other);
    (void)snprintf(unknown, sizeof(unknown),
                   "verificationMaterial.publicKey.hint \"%s\" does not name the trusted key %s",
                   okid, kid);
    b = forge(keys[k], ALGS[k], kid, type, st, st_len, type, st2, st2_len, false, &len);
    expect(b, len, pk, arts, 2, NULL, HM_V_BAD_SIGNATURE, bad, "payload changed after signing");
    free(b);
    b = forge(keys[k], ALGS[k], kid, type, st, st_len, "application/json", st, st_len, false, &len);
    expect(b, len, pk, arts, 2, NULL, HM_V_WRONG_PAYLOAD_TYPE,
           "dsseEnvelope.payloadType is \"application/json\", expected "
           "application/vnd.in-toto+json",
           "payloadType changed after signing");
    free(b);
    b = forge(keys[k], ALGS[k], kid, "application/json", st, st_len, type, st, st_len, false, &len);
    expect(b, len, pk, arts, 2, NULL, HM_V_BAD_SIGNATURE, bad, "signed as another type");
    free(b);
    b = forge(keys[k], ALGS[k], kid, type, st, st_len, type, st, st_len, true, &len);
    expect(b, len, pk, arts, 2, NULL, HM_V_BAD_SIGNATURE, bad, "one bit of the signature");
    /* the hint alone changed: keyid and hint disagree */
    b2 = replace_first(b, kid, okid, &len2);
    expect(b2, len2, pk, arts, 2, NULL, HM_V_MALFORMED_BUNDLE,
           "dsseEnvelope.signatures[0].keyid: does not equal verificationMaterial.publicKey.hint",
           "hint changed");
    free(b2);
    /* the keyid alone changed */
    (void)snprintf(unknown, sizeof(unknown), "\"keyid\":\"%s\"", kid);
    (void)snprintf(bad_other, sizeof(bad_other), "\"keyid\":\"%s\"", okid);
    b2 = replace_first(b, unknown, bad_other, &len2);
    expect(b2, len2, pk, arts, 2, NULL, HM_V_MALFORMED_BUNDLE,
           "dsseEnvelope.signatures[0].keyid: does not equal verificationMaterial.publicKey.hint",
           "keyid changed");
    free(b2);
    free(b);
    bad_signature_detail(bad_other, sizeof(bad_other), other);
    (void)snprintf(unknown, sizeof(unknown),
                   "verificationMaterial.publicKey.hint \"%s\" does not name the trusted key %s",
                   okid, kid);
    /* keyid and hint name the other key: not the trusted one */
    b = forge(keys[k], ALGS[k], okid, type, st, st_len, type, st, st_len, false, &len);
    expect(b, len, pk, arts, 2, NULL, HM_V_UNKNOWN_KEY, unknown, "keyid and hint");
    /* ...and trusting the key they name does not make our signature its signature */
    expect(b, len, other, arts, 2, NULL, HM_V_BAD_SIGNATURE, bad_other, "wrong key named");
    free(b);
    /* a good bundle and the wrong trusted key; the other key claiming to be ours */
    b = forge(keys[k], ALGS[k], kid, type, st, st_len, type, st, st_len, false, &len);
    (void)snprintf(unknown, sizeof(unknown),
                   "verificationMaterial.publicKey.hint \"%s\" does not name the trusted key %s",
                   kid, okid);
    expect(b, len, other, arts, 2, NULL, HM_V_UNKNOWN_KEY, unknown, "wrong trusted key");
    free(b);
    b = forge(others[k], ALGS[k], kid, type, st, st_len, type, st, st_len, false, &len);
    expect(b, len, pk, arts, 2, NULL, HM_V_BAD_SIGNATURE, bad, "other key claims ours");
    free(b);
    hm_pubkey_free(pk);
    hm_pubkey_free(other);
}

static void
test_verify_tampered_envelope_each_algorithm(void **state)
{
    struct hm_verify_artifact arts[2];
    char names[2][32];
    struct test_release tr, tr2;
    size_t st_len = 0, st2_len = 0;
    uint8_t *st = NULL, *st2 = NULL;

    (void)state;
    test_release_init(&tr, CONTENT, 2);
    test_release_init(&tr2, CONTENT, 2);
    tr2.rel.version = "1.4.3";
    st = statement_of(&tr, &st_len);
    st2 = statement_of(&tr2, &st2_len);
    artifacts_of(CONTENT, 2, arts, names);
    for (size_t k = 0; k < 4; k++) {
        envelope_tampers(k, st, st_len, st2, st2_len, arts);
    }
    free(st);
    free(st2);
}

/* Signs a statement properly with key k. */
static char *
signed_bundle(size_t k, const struct hm_pubkey *pk, const void *st, size_t st_len, size_t *len)
{
    struct test_signer ts = { .pkey = keys[k], .alg = ALGS[k] };

    return test_bundle(&ts, hm_pubkey_keyid(pk), HM_PAYLOAD_TYPE_INTOTO, st, st_len, len);
}

static void
short_hex(const uint8_t *d, char out[32])
{
    char full[13];

    hm_hex_encode(d, 6, full);
    (void)snprintf(out, 32, "%s\xe2\x80\xa6", full);
}

#define NOT_A_STATEMENT "{\"_type\":\"https://in-toto.io/Statement/v1\"}"

/* Properly signed statements that do not say what the device needs, for key k. */
static void
statement_tampers(size_t k)
{
    static const char *const evil[] = { "evil firmware" };
    struct hm_pubkey *pk = test_pubkey(keys[k]);
    struct hm_verify_artifact arts[2], bad_art;
    struct hm_verify_opts opts = { 0 };
    struct test_release tr;
    char names[2][32], detail[256], mine[32], theirs[32], *b = NULL;
    size_t st_len = 0, len = 0;
    uint8_t *st = NULL;

    artifacts_of(CONTENT, 2, arts, names);
    /* the subject's digest is not the artifact's */
    test_release_init(&tr, CONTENT, 2);
    tr.arts[0].sha256[0] ^= 0xff;
    st = statement_of(&tr, &st_len);
    b = signed_bundle(k, pk, st, st_len, &len);
    short_hex(arts[0].digests.sha256, mine);
    short_hex(tr.arts[0].sha256, theirs);
    (void)snprintf(detail, sizeof(detail),
                   "artifact fw-0.bin has sha256 %s but the subject of that name has sha256 %s",
                   mine, theirs);
    expect(b, len, pk, arts, 2, NULL, HM_V_DIGEST_MISMATCH, detail, "subject digest");
    free(b);
    free(st);
    /* sha256 equal but sha512 not: every digest both have must agree */
    test_release_init(&tr, CONTENT, 2);
    tr.arts[0].sha512[63] ^= 0x01;
    st = statement_of(&tr, &st_len);
    b = signed_bundle(k, pk, st, st_len, &len);
    (void)snprintf(detail, sizeof(detail),
                   "artifact fw-0.bin has sha256 %s but the subject of that name has sha256 %s",
                   mine, mine);
    expect(b, len, pk, arts, 2, NULL, HM_V_DIGEST_MISMATCH, detail, "sha512 differs");
    free(b);
    free(st);
    /* the artifact's bytes changed; an artifact the statement does not list */
    test_release_init(&tr, CONTENT, 2);
    st = statement_of(&tr, &st_len);
    b = signed_bundle(k, pk, st, st_len, &len);
    bad_art.name = "fw-1.bin";
    test_digests(evil[0], strlen(evil[0]), &bad_art.digests);
    short_hex(bad_art.digests.sha256, mine);
    short_hex(arts[1].digests.sha256, theirs);
    (void)snprintf(detail, sizeof(detail),
                   "artifact fw-1.bin has sha256 %s but the subject of that name has sha256 %s",
                   mine, theirs);
    expect(b, len, pk, &bad_art, 1, NULL, HM_V_DIGEST_MISMATCH, detail, "artifact bytes");
    bad_art.name = "other.bin";
    (void)snprintf(detail, sizeof(detail),
                   "artifact other.bin (sha256 %s) is not a subject of the statement", mine);
    expect(b, len, pk, &bad_art, 1, NULL, HM_V_NOT_A_SUBJECT, detail, "artifact not listed");
    /* matching is by digest: a renamed file with the right bytes is fine */
    bad_art.digests = arts[0].digests;
    expect(b, len, pk, &bad_art, 1, NULL, HM_V_OK, "", "renamed artifact");
    /* product, anti-rollback and predicate type, when asked */
    opts.product = "acme-oven";
    expect(b, len, pk, arts, 2, &opts, HM_V_WRONG_PRODUCT,
           "the statement is for product acme-thermostat, expected acme-oven", "product");
    opts.product = "acme-thermostat";
    opts.installed_version = "1.4.2";
    expect(b, len, pk, arts, 2, &opts, HM_V_ROLLBACK,
           "version 1.4.2 is not newer than the installed 1.4.2", "same version");
    opts.installed_version = "1.4.2-rc.1";
    expect(b, len, pk, arts, 2, &opts, HM_V_OK, "", "after a pre-release");
    opts.installed_version = "v1.4.1";
    expect(b, len, pk, arts, 2, &opts, HM_V_ROLLBACK,
           "cannot tell whether version 1.4.2 is newer than the installed v1.4.1: both must be "
           "SemVer 2.0.0",
           "installed not SemVer");
    opts.installed_version = NULL;
    opts.expect_predicate = "https://slsa.dev/provenance/v1";
    expect(b, len, pk, arts, 2, &opts, HM_V_WRONG_PREDICATE,
           "predicateType is https://hallmark.dev/attestation/release/v1, expected "
           "https://slsa.dev/provenance/v1",
           "predicate");
    free(b);
    free(st);
    /* a signed payload that is not a statement we accept */
    b = signed_bundle(k, pk, NOT_A_STATEMENT, strlen(NOT_A_STATEMENT), &len);
    expect(b, len, pk, arts, 2, NULL, HM_V_MALFORMED_STATEMENT,
           "signed statement: subject: missing", "not a statement");
    free(b);
    hm_pubkey_free(pk);
}

static void
test_verify_tampered_statement_each_algorithm(void **state)
{
    (void)state;
    for (size_t k = 0; k < 4; k++) {
        statement_tampers(k);
    }
}

/* A subject with only sha512, from another producer, and a predicate we do not parse. */
static void
test_verify_foreign_statement(void **state)
{
    struct hm_pubkey *pk = test_pubkey(keys[0]);
    struct hm_verify_artifact art;
    struct hm_verify_opts opts = { .expect_predicate = "https://slsa.dev/provenance/v1" };
    struct hm_verify_result res;
    char hex[2 * HM_SHA512_LEN + 1], *st = NULL, *b = NULL;
    size_t len = 0;

    (void)state;
    test_digests(CONTENT[0], strlen(CONTENT[0]), &art.digests);
    art.name = "x";
    hm_hex_encode(art.digests.sha512, HM_SHA512_LEN, hex);
    assert_true(asprintf(&st,
                         "{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"subject\":[{\"name\":"
                         "\"_\",\"digest\":{\"sha512\":\"%s\",\"md5\":\"00\"}}],\"predicateType\":"
                         "\"https://slsa.dev/provenance/v1\",\"predicate\":{\"buildType\":\"x\"}}",
                         hex) > 0);
    b = signed_bundle(0, pk, st, strlen(st), &len);
    expect(b, len, pk, &art, 1, &opts, HM_V_OK, "", "sha512-only subject");
    /* product and rollback checks need our release predicate */
    opts.product = "acme";
    expect(b, len, pk, &art, 1, &opts, HM_V_WRONG_PRODUCT,
           "the statement is for product (none), expected acme", "no product");
    assert_int_equal(hm_verify_bundle_key((uint8_t *)b, len, pk, &art, 1, NULL, &res), HM_OK);
    assert_int_equal(res.status, HM_V_WRONG_PREDICATE);
    assert_int_equal(res.n_subjects, 1);
    assert_string_equal(res.product, "");
    free(b);
    free(st);
    hm_pubkey_free(pk);
}

static void
test_verify_refuses_bad_calls(void **state)
{
    struct hm_pubkey *pk = test_pubkey(keys[0]);
    struct hm_verify_artifact art = { 0 };
    struct hm_verify_result res;

    (void)state;
    assert_int_equal(hm_verify_bundle_key((const uint8_t *)"{}", 2, pk, &art, 0, NULL, &res),
                     HM_E_INVALID);
    assert_int_not_equal(res.status, HM_V_OK);
    assert_int_equal(hm_verify_bundle_key((const uint8_t *)"{}", 2, NULL, &art, 1, NULL, &res),
                     HM_E_INVALID);
    assert_int_not_equal(res.status, HM_V_OK);
    assert_int_equal(hm_verify_bundle_key((const uint8_t *)"{}", 2, pk, &art, 1, NULL, NULL),
                     HM_E_INVALID);
    assert_int_equal(hm_verify_bundle_key(NULL, 0, pk, &art, 1, NULL, &res), HM_OK);
    assert_int_equal(res.status, HM_V_MALFORMED_BUNDLE);
    assert_string_equal(res.detail, "bundle: empty");
    hm_pubkey_free(pk);
}

static void
test_verify_status_names(void **state)
{
    static const char *const names[] = {
        "ok",
        "malformed-bundle",
        "limits-exceeded",
        "wrong-payload-type",
        "unknown-key",
        "bad-signature",
        "malformed-statement",
        "wrong-predicate",
        "not-a-subject",
        "digest-mismatch",
        "wrong-product",
        "rollback",
    };

    (void)state;
    for (int i = 0; i <= HM_V_ROLLBACK; i++) {
        assert_string_equal(hm_verify_status_name((enum hm_verify_status)i), names[i]);
    }
    assert_string_equal(hm_verify_status_name((enum hm_verify_status)99), "unknown-status");
}

/* semver.org section 11: each version is newer than every one before it. */
static void
test_verify_rollback_follows_semver_precedence(void **state)
{
    static const char *const order[] = {
        "0.9.99",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1.0",
        "1.10.0",
        "2.0.0-0",
        "2.0.0-0.a",
        "2.0.0-1",
        "2.0.0-a",
        "2.0.0",
        "10.0.0",
        "9007199254740992.0.0",
    };
    static const char *const invalid[] = {
        "01.0.0",    "1.0",    "1.0.0-", "1.0.0-01", "1.0.0+", "1.0.0-a..b",
        "1.0.0+a+b", "1.0.0 ", "v1.0.0", "1.0.0_",   "-1.0.0", "9007199254740993.0.0",
        "",
    };
    enum { N = sizeof(order) / sizeof(order[0]) };
    struct hm_pubkey *pk = test_pubkey(keys[0]);
    struct hm_verify_artifact art = { .name = "fw-0.bin" };
    struct test_release tr;
    char *b[N];
    size_t len[N];

    (void)state;
    test_release_init(&tr, CONTENT, 1);
    test_digests(CONTENT[0], strlen(CONTENT[0]), &art.digests);
    for (size_t i = 0; i < N; i++) {
        size_t st_len = 0;
        uint8_t *st = NULL;

        tr.rel.version = order[i];
        st = statement_of(&tr, &st_len);
        b[i] = signed_bundle(0, pk, st, st_len, &len[i]);
        free(st);
    }
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < N; j++) {
            struct hm_verify_opts opts = { .installed_version = order[j] };
            struct hm_verify_result res;

            assert_int_equal(
                hm_verify_bundle_key((uint8_t *)b[i], len[i], pk, &art, 1, &opts, &res), HM_OK);
            if ((res.status == HM_V_OK) != (i > j)) {
                fail_msg("statement %s, installed %s: %s", order[i], order[j], res.detail);
            }
        }
    }
    for (size_t j = 0; j < sizeof(invalid) / sizeof(invalid[0]); j++) {
        struct hm_verify_opts opts = { .installed_version = invalid[j] };
        struct hm_verify_result res;

        assert_int_equal(hm_verify_bundle_key((uint8_t *)b[8], len[8], pk, &art, 1, &opts, &res),
                         HM_OK);
        if (res.status != HM_V_ROLLBACK || strstr(res.detail, "cannot tell") == NULL) {
            fail_msg("installed \"%s\": %s", invalid[j], res.detail);
        }
    }
    for (size_t i = 0; i < N; i++) {
        free(b[i]);
    }
    hm_pubkey_free(pk);
}

static void
test_verify_rollback_ignores_build_metadata(void **state)
{
    struct hm_pubkey *pk = test_pubkey(keys[2]);
    struct hm_verify_artifact art = { .name = "fw-0.bin" };
    struct hm_verify_opts opts = { .installed_version = "1.0.0+build.1" };
    struct test_release tr;
    size_t st_len = 0, len = 0;
    uint8_t *st = NULL;
    char *b = NULL;

    (void)state;
    test_release_init(&tr, CONTENT, 1);
    test_digests(CONTENT[0], strlen(CONTENT[0]), &art.digests);
    tr.rel.version = "1.0.0+build.2";
    st = statement_of(&tr, &st_len);
    b = signed_bundle(2, pk, st, st_len, &len);
    expect(b, len, pk, &art, 1, &opts, HM_V_ROLLBACK,
           "version 1.0.0+build.2 is not newer than the installed 1.0.0+build.1", "build");
    free(b);
    free(st);
    hm_pubkey_free(pk);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_good_bundle_each_algorithm),
        cmocka_unit_test(test_verify_tampered_envelope_each_algorithm),
        cmocka_unit_test(test_verify_tampered_statement_each_algorithm),
        cmocka_unit_test(test_verify_foreign_statement),
        cmocka_unit_test(test_verify_refuses_bad_calls),
        cmocka_unit_test(test_verify_status_names),
        cmocka_unit_test(test_verify_rollback_follows_semver_precedence),
        cmocka_unit_test(test_verify_rollback_ignores_build_metadata),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

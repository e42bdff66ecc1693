/*
 * test_hsm_keys.c: keys on a private SoftHSM2 token.  Every signature is checked with
 * OpenSSL from the published SPKI alone; every refusal asserts its exact hm_err and
 * that nothing was handed out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "hsm_test_util.h"

static const uint8_t msg[] = "hallmark: sign exactly these bytes";

struct env {
    struct hsm_fixture fx;
    struct hm_hsm *hsm;
};

static int
setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    struct hm_hsm_opts opts = { .sessions = 2 };

    if (e == NULL || hsm_fixture_setup(&e->fx, "keys") != 0 ||
        hm_hsm_open(e->fx.uri, &opts, &e->hsm) != HM_OK) {
        return -1;
    }
    *state = e;
    return 0;
}

static int
teardown(void **state)
{
    struct env *e = *state;

    hm_hsm_close(e->hsm);
    hsm_fixture_teardown(&e->fx);
    free(e);
    return 0;
}

/* Every algorithm: generate, sign (DER and raw), verify with OpenSSL. */
static void
test_every_alg_signs_and_verifies(void **state)
{
    static const struct {
        enum hm_key_alg alg;
        const char *label;
        size_t raw_len;
        size_t dlen;
    } algs[] = {
        { HM_KEY_EC_P256, "fw-p256", 64, 32 },
        { HM_KEY_EC_P384, "fw-p384", 96, 48 },
        { HM_KEY_ED25519, "fw-ed25519", 64, 0 },
        { HM_KEY_RSA3072_PSS, "fw-rsa", 384, 32 },
    };
    struct env *e = *state;

    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        struct hm_key *k = NULL;
        uint8_t *sig = NULL, dg[48];
        size_t sig_len = 0;
        unsigned dlen = 0;

        assert_int_equal(hm_hsm_generate_key(e->hsm, algs[i].alg, algs[i].label, &k), HM_OK);
        assert_int_equal(hm_key_alg(k), algs[i].alg);
        assert_string_equal(hm_key_label(k), algs[i].label);
        assert_int_equal(strlen(hm_key_id_hex(k)), 16); /* 8 random CKA_ID bytes */
        assert_int_equal(strlen(hm_key_id(k)), 44);     /* base64 of SHA-256 */

        assert_int_equal(hm_key_sign(k, msg, sizeof(msg), HM_SIG_DER, &sig, &sig_len), HM_OK);
        assert_true(hsm_verify(k, msg, sizeof(msg), sig, sig_len, HM_SIG_DER));
        sig[sig_len / 2] ^= 1; /* a changed signature must not verify */
        assert_false(hsm_verify(k, msg, sizeof(msg), sig, sig_len, HM_SIG_DER));
        free(sig);

        assert_int_equal(hm_key_sign(k, msg, sizeof(msg), HM_SIG_RAW, &sig, &sig_len), HM_OK);
        assert_int_equal(sig_len, algs[i].raw_len);
        assert_true(hsm_verify(k, msg, sizeof(msg), sig, sig_len, HM_SIG_RAW));
        assert_false(hsm_verify(k, msg, sizeof(msg) - 1, sig, sig_len, HM_SIG_RAW));
        free(sig);

        if (algs[i].dlen == 0) {
            continue;
        }
        EVP_Digest(msg, sizeof(msg), dg, &dlen,
                   algs[i].alg == HM_KEY_EC_P384 ? EVP_sha384() : EVP_sha256(), NULL);
        assert_int_equal(dlen, algs[i].dlen);
        assert_int_equal(hm_key_sign_digest(k, dg, dlen, HM_SIG_DER, &sig, &sig_len), HM_OK);
        assert_true(hsm_verify_digest(k, dg, dlen, sig, sig_len, HM_SIG_DER));
        free(sig);
    }
}

/* Digest signing: only ECDSA and RSA-PSS, only at the algorithm's digest length. */
static void
test_sign_digest_rules(void **state)
{
    struct env *e = *state;
    struct hm_key *p256 = NULL, *ed = NULL;
    uint8_t dg[48] = { 1 }, *sig = (uint8_t *)dg;
    size_t sig_len = 7;

    assert_int_equal(hm_hsm_generate_key(e->hsm, HM_KEY_EC_P256, "dg-p256", &p256), HM_OK);
    assert_int_equal(hm_hsm_generate_key(e->hsm, HM_KEY_ED25519, "dg-ed", &ed), HM_OK);
    assert_int_equal(hm_key_sign_digest(ed, dg, 32, HM_SIG_DER, &sig, &sig_len), HM_E_INVALID);
    assert_null(sig);
    assert_int_equal(sig_len, 0);
    sig = dg;
    assert_int_equal(hm_key_sign_digest(p256, dg, 48, HM_SIG_DER, &sig, &sig_len), HM_E_INVALID);
    assert_null(sig);
    assert_int_equal(hm_key_sign_digest(p256, dg, 31, HM_SIG_DER, &sig, &sig_len), HM_E_INVALID);
    assert_null(sig);
    assert_int_equal(hm_key_sign(p256, msg, sizeof(msg), (enum hm_sig_enc)7, &sig, &sig_len),
                     HM_E_INVALID);
    assert_null(sig);
    assert_int_equal(hm_key_sign_digest(p256, dg, 32, HM_SIG_RAW, &sig, &sig_len), HM_OK);
    assert_int_equal(sig_len, 64);
    assert_true(hsm_verify_digest(p256, dg, 32, sig, sig_len, HM_SIG_RAW));
    free(sig);
    /* an empty message is a message */
    assert_int_equal(hm_key_sign(ed, NULL, 0, HM_SIG_DER, &sig, &sig_len), HM_OK);
    assert_true(hsm_verify(ed, (const uint8_t *)"", 0, sig, sig_len, HM_SIG_DER));
    free(sig);
}

/* The private key cannot leave the token (formats.md 4.1). */
static void
test_private_key_attrs(void **state)
{
    struct env *e = *state;
    struct hm_key *k = NULL;
    struct hm_key_attrs a;

    assert_int_equal(hm_hsm_generate_key(e->hsm, HM_KEY_EC_P256, "attrs", &k), HM_OK);
    assert_int_equal(hm_key_get_attrs(k, &a), HM_OK);
    assert_true(a.token);
    assert_true(a.private_);
    assert_true(a.sensitive);
    assert_true(a.always_sensitive);
    assert_false(a.extractable);
    assert_true(a.never_extractable);
    assert_true(a.local);
}

static void
test_find_by_object_and_id(void **state)
{
    struct env *e = *state;
    struct hm_key *k = NULL, *f = NULL, **all = NULL;
    char uri[512];
    const char *hex;
    size_t n = 0, o;
    uint8_t *sig = NULL;
    size_t sig_len = 0;

    assert_int_equal(hm_hsm_generate_key(e->hsm, HM_KEY_EC_P384, "find-me", &k), HM_OK);
    assert_int_equal(hm_hsm_find_key(e->hsm, "pkcs11:object=find-me", &f), HM_OK);
    assert_ptr_equal(f, k); /* one object per key */
    hex = hm_key_id_hex(k);
    o = (size_t)snprintf(uri, sizeof(uri), "pkcs11:token=keys;id=");
    for (size_t i = 0; hex[i] != '\0'; i += 2) {
        o += (size_t)snprintf(uri + o, sizeof(uri) - o, "%%%c%c", hex[i], hex[i + 1]);
    }
    f = NULL;
    assert_int_equal(hm_hsm_find_key(e->hsm, uri, &f), HM_OK);
    assert_ptr_equal(f, k);
    f = NULL;
    assert_int_equal(hm_hsm_find_key(e->hsm, hm_key_uri(k), &f), HM_OK);
    assert_ptr_equal(f, k);
    assert_int_equal(hm_key_sign(f, msg, sizeof(msg), HM_SIG_DER, &sig, &sig_len), HM_OK);
    assert_true(hsm_verify(k, msg, sizeof(msg), sig, sig_len, HM_SIG_DER));
    free(sig);

    assert_int_equal(hm_hsm_list_keys(e->hsm, &all, &n), HM_OK);
    assert_true(n >= 1);
    bool seen = false;
    for (size_t i = 0; i < n; i++) {
        seen = seen || all[i] == k;
    }
    assert_true(seen);
    free(all);
}

static void
test_find_refuses(void **state)
{
    static const struct {
        const char *uri;
        hm_err want;
    } cases[] = {
        { "pkcs11:object=no-such-key", HM_E_NOTFOUND },
        { "pkcs11:id=%01%02%03", HM_E_NOTFOUND },
        { "pkcs11:object=here;id=%01%02%03", HM_E_NOTFOUND }, /* both must match */
        { "pkcs11:token=other;object=here", HM_E_NOTFOUND },  /* another token */
        { "pkcs11:token=keys", HM_E_INVALID },                /* names no key */
        { "pkcs11:object=here;type=cert", HM_E_INVALID },
        { "pkcs11:object=here?pin-value=1234", HM_E_INVALID },
        { "pkcs11:object=he%zz", HM_E_INVALID },
        { "file:here", HM_E_INVALID },
    };
    struct env *e = *state;
    struct hm_key *k = NULL;

    assert_int_equal(hm_hsm_generate_key(e->hsm, HM_KEY_EC_P256, "here", &k), HM_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hm_key *f = k;
        if (hm_hsm_find_key(e->hsm, cases[i].uri, &f) != cases[i].want) {
            fail_msg("case %zu (%s)", i, cases[i].uri);
        }
        assert_null(f);
    }
}

static void
test_generate_refuses(void **state)
{
    static const char *bad_labels[] = { "", "a\nb", "a\x1b[2J", "\xff\xfe" };
    struct env *e = *state;
    struct hm_key *k = NULL, *k2 = (struct hm_key *)&k2;
    char longl[300];

    assert_int_equal(hm_hsm_generate_key(e->hsm, HM_KEY_ED25519, "taken", &k), HM_OK);
    assert_int_equal(hm_hsm_generate_key(e->hsm, HM_KEY_ED25519, "taken", &k2), HM_E_CONFLICT);
    assert_null(k2);
    k2 = (struct hm_key *)&k2;
    assert_int_equal(hm_hsm_generate_key(e->hsm, HM_KEY_EC_P256, "taken", &k2), HM_E_CONFLICT);
    assert_null(k2);
    for (size_t i = 0; i < sizeof(bad_labels) / sizeof(bad_labels[0]); i++) {
        k2 = (struct hm_key *)&k2;
        assert_int_equal(hm_hsm_generate_key(e->hsm, HM_KEY_EC_P256, bad_labels[i], &k2),
                         HM_E_INVALID);
        assert_null(k2);
    }
    memset(longl, 'x', sizeof(longl) - 1);
    longl[sizeof(longl) - 1] = '\0';
    assert_int_equal(hm_hsm_generate_key(e->hsm, HM_KEY_EC_P256, longl, &k2), HM_E_INVALID);
    assert_int_equal(hm_hsm_generate_key(e->hsm, (enum hm_key_alg)99, "alg", &k2), HM_E_INVALID);
    assert_null(k2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_alg_signs_and_verifies),
        cmocka_unit_test(test_sign_digest_rules),
        cmocka_unit_test(test_private_key_attrs),
        cmocka_unit_test(test_find_by_object_and_id),
        cmocka_unit_test(test_find_refuses),
        cmocka_unit_test(test_generate_refuses),
    };

    hm_log_set_level(HM_LOG_WARN);
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_rotation.c: hm_trustroot_update, TUF's root rotation: version N+1 signed by the
 * threshold of N's root keys and by its own; every way to get it wrong refused with its
 * reason; and what a rotated root changes for verification (keys removed, windows,
 * products).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vt.h"

#define NOW 1795900000

static struct vt_key *A, *B, *C, *D, *signer, *signer2;
static struct vt_log *log_;
static struct hm_trustroot *v1;

/* Root keys given, threshold 2, signing keys signer (and signer2 when two_keys). */
static struct vt_root
root_of(uint64_t version, struct vt_key *k1, struct vt_key *k2)
{
    struct vt_root r = { 0 };

    r.version = version;
    r.keys[0] = (struct vt_root_key){ signer, "acme-thermostat", 0, 0, false };
    r.n_keys = 1;
    r.logs[0] = log_;
    r.n_logs = 1;
    r.root_keys[0] = k1;
    r.root_keys[1] = k2;
    r.n_root_keys = 2;
    r.root_threshold = 2;
    return r;
}

static char *
signed_by(const struct vt_root *r, const struct vt_key *const *keys, size_t n, size_t *len)
{
    size_t plen = 0;
    char *payload = vt_root_payload(r, &plen);
    char *env = vt_envelope(payload, plen, keys, n, len);

    free(payload);
    return env;
}

static int
setup(void **state)
{
    struct vt_root r;
    size_t len = 0;
    char *env;

    (void)state;
    A = vt_key_new(HM_KEY_ED25519);
    B = vt_key_new(HM_KEY_EC_P256);
    C = vt_key_new(HM_KEY_EC_P384);
    D = vt_key_new(HM_KEY_RSA3072_PSS);
    signer = vt_key_new(HM_KEY_EC_P256);
    signer2 = vt_key_new(HM_KEY_ED25519);
    log_ = vt_log_new(HM_KEY_ED25519, "log.hallmark.test/acme");
    r = root_of(1, A, B);
    env = vt_root_signed(&r, &len);
    v1 = vt_root_parse(env, len);
    free(env);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    hm_trustroot_free(v1);
    vt_log_free(log_);
    vt_key_free(A);
    vt_key_free(B);
    vt_key_free(C);
    vt_key_free(D);
    vt_key_free(signer);
    vt_key_free(signer2);
    return 0;
}

static hm_err
update(const struct hm_trustroot *cur, const char *env, size_t len, int64_t now,
       struct hm_trustroot **next, struct hm_trustroot_reason *why)
{
    return hm_trustroot_update(cur, (const uint8_t *)env, len, now, next, why);
}

static void
test_rotation_accepts_next_version(void **state)
{
    const struct vt_key *all[3] = { A, B, C };
    struct vt_root r = root_of(2, B, C);
    struct hm_trustroot_reason why;
    struct hm_trustroot *v2 = NULL;
    size_t len = 0;
    char *env = signed_by(&r, all, 3, &len);

    (void)state;
    /* A and B are 2 of version 1's root keys, B and C 2 of version 2's own */
    if (update(v1, env, len, NOW, &v2, &why) != HM_OK) {
        fail_msg("%s: %s", hm_trustroot_status_name(why.status), why.detail);
    }
    assert_int_equal(why.status, HM_TR_OK);
    assert_int_equal(hm_trustroot_version(v2), 2);
    assert_string_equal(hm_trustroot_root_keyid(v2, 1), vt_key_id(C));
    assert_int_equal(hm_trustroot_version(v1), 1); /* the current one is left as it was */
    hm_trustroot_free(v2);
    free(env);
}

struct refusal {
    const char *what;
    const struct vt_root *root;
    const struct vt_key *const *signers;
    size_t n_signers;
    bool no_current;
    enum hm_trustroot_status want;
    hm_err want_err;
    const char *detail;
};

static void
test_rotation_refusals(void **state)
{
    const struct vt_key *all[4] = { A, B, C, D };
    const struct vt_key *old_only[2] = { A, B };
    const struct vt_key *new_one[1] = { C };
    const struct vt_key *one_old[3] = { A, C, D };
    struct vt_root r2 = root_of(2, C, D), r3 = root_of(3, A, B), r1 = root_of(1, A, B);
    struct vt_root r2_expired = root_of(2, A, B);
    const struct refusal cases[] = {
        { "too few old-root signatures", &r2, one_old, 3, false, HM_TR_OLD_THRESHOLD, HM_E_VERIFY,
          "signed by 1 of version 1's root keys, its rootThreshold is 2" },
        { "too few new-root signatures", &r2, old_only, 2, false, HM_TR_NEW_THRESHOLD, HM_E_VERIFY,
          "version 2 is signed by 0 of its own root keys" },
        { "only a new key", &r2, new_one, 1, false, HM_TR_OLD_THRESHOLD, HM_E_VERIFY,
          "signed by 0 of version 1's root keys" },
        { "skipped version", &r3, all, 4, false, HM_TR_WRONG_VERSION, HM_E_VERIFY,
          "version 3 does not follow version 1: only 2 is accepted" },
        { "same version", &r1, all, 4, false, HM_TR_WRONG_VERSION, HM_E_VERIFY,
          "version 1 does not follow version 1" },
        { "expired", &r2_expired, all, 4, false, HM_TR_EXPIRED, HM_E_VERIFY,
          "version 2 expired at 2026-11-28" },
        { "no current root", &r2, all, 4, true, HM_TR_MALFORMED, HM_E_INVALID,
          "no current trust root" },
    };
    struct hm_trustroot_reason why;
    struct hm_trustroot *next = NULL;

    (void)state;
    r2_expired.expires = NOW - 60;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = 0;
        char *env = signed_by(cases[i].root, cases[i].signers, cases[i].n_signers, &len);
        hm_err err;

        next = (struct hm_trustroot *)&why;
        err = update(cases[i].no_current ? NULL : v1, env, len, NOW, &next, &why);
        if (err != cases[i].want_err || why.status != cases[i].want ||
            strstr(why.detail, cases[i].detail) == NULL) {
            fail_msg("%s: got %s / %s: %s", cases[i].what, hm_strerror(err),
                     hm_trustroot_status_name(why.status), why.detail);
        }
        assert_null(next);
        free(env);
    }
    next = (struct hm_trustroot *)&why;
    assert_int_equal(update(v1, "{\"payload\":1}", 13, NOW, &next, &why), HM_E_INVALID);
    assert_int_equal(why.status, HM_TR_MALFORMED);
    assert_null(next);
}

/* TUF 5.3.10: expiry is checked once, after the chain; an expired intermediate is fine. */
static void
test_rotation_chain_checks_expiry_last(void **state)
{
    const struct vt_key *ab[2] = { A, B };
    struct vt_root r2 = root_of(2, A, B), r3 = root_of(3, A, B), r3_expired;
    struct hm_trustroot_reason why;
    struct hm_trustroot *v2 = NULL, *v3 = NULL;
    size_t len2 = 0, len3 = 0, len3e = 0;
    char *e2, *e3, *e3e;

    (void)state;
    r2.expires = NOW - 3600; /* version 2 expired before the device came back online */
    r3_expired = r3;
    r3_expired.expires = NOW - 1;
    e2 = signed_by(&r2, ab, 2, &len2);
    e3 = signed_by(&r3, ab, 2, &len3);
    e3e = signed_by(&r3_expired, ab, 2, &len3e);
    assert_int_equal(update(v1, e2, len2, NOW, &v2, &why), HM_E_VERIFY); /* with now: expired */
    assert_int_equal(why.status, HM_TR_EXPIRED);
    assert_int_equal(update(v1, e2, len2, 0, &v2, &why), HM_OK); /* intermediate: no now */
    assert_int_equal(update(v2, e3e, len3e, NOW, &v3, &why), HM_E_VERIFY);
    assert_int_equal(why.status, HM_TR_EXPIRED);
    assert_null(v3);
    assert_int_equal(update(v2, e3, len3, NOW, &v3, &why), HM_OK);
    assert_int_equal(hm_trustroot_version(v3), 3);
    hm_trustroot_free(v2);
    hm_trustroot_free(v3);
    free(e2);
    free(e3);
    free(e3e);
}

static void
verify_with(const struct hm_trustroot *tr, const char *bundle, enum hm_verify_status want,
            const char *detail)
{
    struct hm_verify_image img = { .source = HM_IMAGE_DIGEST, .has_sha256 = true };
    struct hm_device_facts dev = { "acme-thermostat", "1.4.1", NOW };
    struct hm_verify_result res;

    hm_sha256("firmware image", 14, img.sha256);
    assert_int_equal(
        hm_verify_bundle(tr, (const uint8_t *)bundle, strlen(bundle), &img, 1, &dev, &res), HM_OK);
    if (res.status != want || (detail != NULL && strstr(res.detail, detail) == NULL)) {
        fail_msg("got %s (%s), wanted %s", hm_verify_status_name(res.status), res.detail,
                 hm_verify_status_name(want));
    }
}

/* What root 2 says about signing keys decides, not what root 1 said. */
static void
test_rotation_changes_what_verifies(void **state)
{
    const struct vt_key *all[2] = { A, B };
    struct vt_release rel = { .signed_at = 1795824000, .log_time = 1795824000 };
    struct {
        const char *what;
        struct vt_root_key key;
        const struct vt_key *bundle_key;
        enum hm_verify_status want;
        const char *detail;
    } cases[] = {
        { "same key, still valid",
          { signer, NULL, 1795000000, 1796000000, false },
          signer,
          HM_V_OK,
          NULL },
        { "key retired before it signed",
          { signer, NULL, 1700000000, 1795823999, false },
          signer,
          HM_V_KEY_NOT_VALID,
          "outside its window" },
        { "key not yet valid when it signed",
          { signer, NULL, 1795824001, 0, false },
          signer,
          HM_V_KEY_NOT_VALID,
          "the log's time" },
        { "key now for another product",
          { signer, "acme-hub", 0, 0, false },
          signer,
          HM_V_KEY_NOT_VALID,
          "not acme-thermostat" },
        { "key removed, another added",
          { signer2, NULL, 0, 0, false },
          signer,
          HM_V_UNKNOWN_KEY,
          "names no key of trust root version 2" },
        { "the added key", { signer2, NULL, 0, 0, false }, signer2, HM_V_OK, NULL },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vt_root r = root_of(2, A, B);
        struct hm_trustroot_reason why;
        struct hm_trustroot *v2 = NULL;
        size_t len = 0;
        char *env, *bundle;

        r.keys[0] = cases[i].key;
        env = signed_by(&r, all, 2, &len);
        assert_int_equal(update(v1, env, len, NOW, &v2, &why), HM_OK);
        bundle = vt_bundle(cases[i].bundle_key, log_, &rel, &len);
        verify_with(v2, bundle, cases[i].want, cases[i].detail);
        hm_trustroot_free(v2);
        free(bundle);
        free(env);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotation_accepts_next_version),
        cmocka_unit_test(test_rotation_refusals),
        cmocka_unit_test(test_rotation_chain_checks_expiry_last),
        cmocka_unit_test(test_rotation_changes_what_verifies),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

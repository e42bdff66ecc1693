/*
 * test_tpm_keys.c: the TPM 2.0 backend against a private swtpm: URIs, key creation (blob
 * and persistent, P-256 and RSA-3072), signing checked with OpenSSL from the SPKI alone,
 * slots (more keys than the TPM's three transient slots, and no handle left behind), auth
 * values, and hostile blobs.  Every refusal asserts its hm_err and that nothing was handed
 * out.
 */
#include <hm/keyevidence.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "tpm_test_util.h"

static const uint8_t msg[] = "hallmark: sign exactly these bytes";

struct env {
    struct tpm_fixture fx;
    struct hm_hsm *hsm;
};

static int
teardown(void **state)
{
    struct env *e = *state;

    if (e == NULL) {
        return 0;
    }
    hm_hsm_close(e->hsm);
    tpm_fixture_teardown(&e->fx);
    free(e);
    return 0;
}

static int
setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));

    *state = e;
    if (e == NULL || tpm_fixture_setup(&e->fx, false) != 0 ||
        hm_hsm_open(e->fx.uri, NULL, &e->hsm) != HM_OK) {
        teardown(state);
        *state = NULL;
        return -1;
    }
    return 0;
}

static void
test_uri_rejects_hostile(void **state)
{
    static const struct {
        const char *uri;
        hm_err want;
    } cases[] = {
        { "tpm2:?tcti=swtpm:port=1&auth-value=secret", HM_E_INVALID }, /* never in a URI */
        { "tpm2:?tcti=cmd:/bin/sh", HM_E_INVALID },                    /* TCTI not allowed */
        { "tpm2:?tcti=../../tmp/evil", HM_E_INVALID },                 /* dlopen path games */
        { "tpm2:?tcti=device:/dev/tpmrm0&tcti=device:/dev/tpm0", HM_E_INVALID }, /* twice */
        { "tpm2:?frobnicate=1", HM_E_INVALID },                  /* unknown attribute */
        { "tpm2:?tcti=device:%2", HM_E_INVALID },                /* broken escape */
        { "tpm2:?tcti=device:%00", HM_E_INVALID },               /* NUL */
        { "tpm2:?tcti=device:/dev/tpm rm0", HM_E_INVALID },      /* raw space */
        { "tpm2:?", HM_E_INVALID },                              /* empty query */
        { "tpm2:?tcti=device:/dev/tpmrm0&", HM_E_INVALID },      /* trailing & */
        { "tpm2:?key-dir=relative/path", HM_E_INVALID },         /* absolute only */
        { "tpm2:?handle=0x81000010", HM_E_INVALID },             /* path attr in query */
        { "tpm2:tcti=device:/dev/tpmrm0", HM_E_INVALID },        /* query attr in path */
        { "tpm2:handle=0x81000010;blob=/k.tpm2", HM_E_INVALID }, /* both */
        { "pkcs12:?tcti=device:/dev/tpmrm0", HM_E_INVALID },     /* not our scheme */
    };
    struct hm_hsm *h = (struct hm_hsm *)(uintptr_t)1;
    char big[5000];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(hm_hsm_open(cases[i].uri, NULL, &h), cases[i].want);
        assert_null(h);
    }
    memcpy(big, "tpm2:?key-dir=/", 15);
    memset(big + 15, 'a', sizeof(big) - 16);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(hm_hsm_open(big, NULL, &h), HM_E_LIMIT);
    assert_null(h);
}

static void
test_key_uri_rejects_hostile(void **state)
{
    static const struct {
        const char *uri;
        hm_err want;
    } cases[] = {
        { "tpm2:handle=0x80000001", HM_E_INVALID },  /* a transient handle */
        { "tpm2:handle=0x81800000", HM_E_INVALID },  /* platform range */
        { "tpm2:handle=0x8100001", HM_E_INVALID },   /* seven digits */
        { "tpm2:handle=0x8100001g", HM_E_INVALID },  /* not hex */
        { "tpm2:blob=key.tpm2", HM_E_INVALID },      /* relative */
        { "tpm2:", HM_E_INVALID },                   /* names no key */
        { "tpm2:handle=0x81000fff", HM_E_NOTFOUND }, /* nothing there */
        { "tpm2:blob=/nonexistent/k.tpm2", HM_E_NOTFOUND },
    };
    struct env *e = *state;
    struct hm_key *k = (struct hm_key *)(uintptr_t)1;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(hm_hsm_find_key(e->hsm, cases[i].uri, &k), cases[i].want);
        assert_null(k);
    }
}

static void
test_open_unreachable_is_unavailable(void **state)
{
    struct hm_hsm_opts o = { .retry_budget_ms = 100 };
    struct env *e = *state;
    struct hm_hsm *h = (struct hm_hsm *)(uintptr_t)1;
    char uri[256];

    /* our control port: nothing speaks the TPM protocol there */
    snprintf(uri, sizeof(uri), "tpm2:?tcti=swtpm:host=127.0.0.1,port=%d", e->fx.port + 7);
    assert_int_equal(hm_hsm_open(uri, &o, &h), HM_E_UNAVAILABLE);
    assert_null(h);
}

static void
sign_and_check(struct hm_key *k)
{
    uint8_t dg[32], *sig = NULL;
    size_t sig_len = 0;

    assert_int_equal(hm_key_sign(k, msg, sizeof(msg), HM_SIG_DER, &sig, &sig_len), HM_OK);
    assert_true(tpm_verify_msg(k, msg, sizeof(msg), sig, sig_len));
    free(sig);
    SHA256(msg, sizeof(msg), dg);
    assert_int_equal(hm_key_sign_digest(k, dg, sizeof(dg), HM_SIG_RAW, &sig, &sig_len), HM_OK);
    assert_int_equal(sig_len, hm_key_alg(k) == HM_KEY_EC_P256 ? 64 : 384);
    assert_true(tpm_verify_digest(k, dg, sizeof(dg), sig, sig_len, false));
    free(sig);
    /* the attacker's case: the signature is over these bytes only */
    dg[0] ^= 1;
    assert_int_equal(hm_key_sign_digest(k, dg, 31, HM_SIG_DER, &sig, &sig_len), HM_E_INVALID);
    assert_null(sig);
}

static void
test_blob_key_p256(void **state)
{
    struct env *e = *state;
    struct hm_key *k = NULL, *again = NULL;
    struct hm_key_attrs a;
    char path[700], uri[800];
    const uint8_t *spki;
    size_t spki_len;
    uint8_t dg[32];
    char *want = NULL;
    struct stat st;

    snprintf(path, sizeof(path), "%s/fw.tpm2", e->fx.dir);
    assert_int_equal(hm_tpm2_generate_key(e->hsm, HM_KEY_EC_P256, "fw", path, 0, &k), HM_OK);
    assert_int_equal(hm_key_alg(k), HM_KEY_EC_P256);
    assert_string_equal(hm_key_label(k), "fw");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    hm_key_spki(k, &spki, &spki_len);
    SHA256(spki, spki_len, dg);
    assert_int_equal(hm_b64_encode(dg, sizeof(dg), &want), HM_OK);
    assert_string_equal(hm_key_id(k), want); /* key id = base64(SHA-256(SPKI)) */
    free(want);
    sign_and_check(k);
    assert_int_equal(hm_key_get_attrs(k, &a), HM_OK);
    assert_true(a.sensitive && a.never_extractable && a.local && !a.extractable);
    /* found again by URI: the same key object */
    snprintf(uri, sizeof(uri), "tpm2:blob=%s", path);
    assert_int_equal(hm_hsm_find_key(e->hsm, uri, &again), HM_OK);
    assert_ptr_equal(again, k);
    /* the file is never overwritten */
    again = (struct hm_key *)(uintptr_t)1;
    assert_int_equal(hm_tpm2_generate_key(e->hsm, HM_KEY_EC_P256, "fw", path, 0, &again),
                     HM_E_CONFLICT);
    assert_null(again);
}

static void
test_persistent_key(void **state)
{
    struct env *e = *state;
    struct hm_key *k = NULL, *again = (struct hm_key *)(uintptr_t)1;

    assert_int_equal(hm_tpm2_generate_key(e->hsm, HM_KEY_EC_P256, "p", NULL, 0x81000010, &k),
                     HM_OK);
    assert_string_equal(hm_key_uri(k), "tpm2:handle=0x81000010");
    sign_and_check(k);
    assert_int_equal(hm_tpm2_generate_key(e->hsm, HM_KEY_EC_P256, "p", NULL, 0x81000010, &again),
                     HM_E_CONFLICT);
    assert_null(again);
    assert_int_equal(hm_hsm_find_key(e->hsm, "tpm2:handle=0x81000010", &again), HM_OK);
    assert_ptr_equal(again, k);
    /* not an owner persistent handle */
    again = (struct hm_key *)(uintptr_t)1;
    assert_int_equal(hm_tpm2_generate_key(e->hsm, HM_KEY_EC_P256, "p", NULL, 0x80000001, &again),
                     HM_E_INVALID);
    assert_null(again);
}

static void
test_rsa3072(void **state)
{
    struct env *e = *state;
    struct hm_key *k = NULL;
    char path[700];

    snprintf(path, sizeof(path), "%s/rsa.tpm2", e->fx.dir);
    assert_int_equal(hm_tpm2_generate_key(e->hsm, HM_KEY_RSA3072_PSS, "rsa", path, 0, &k), HM_OK);
    assert_int_equal(hm_key_alg(k), HM_KEY_RSA3072_PSS);
    sign_and_check(k);
    /* algorithms a TPM does not make here */
    k = (struct hm_key *)(uintptr_t)1;
    snprintf(path, sizeof(path), "%s/ed.tpm2", e->fx.dir);
    assert_int_equal(hm_tpm2_generate_key(e->hsm, HM_KEY_ED25519, "ed", path, 0, &k), HM_E_INVALID);
    assert_null(k);
}

static void
test_hostile_blob(void **state)
{
    struct env *e = *state;
    struct hm_key *k = NULL;
    char path[700], bad[700], uri[800];
    uint8_t *buf;
    size_t len = 0;
    FILE *fp;

    snprintf(path, sizeof(path), "%s/victim.tpm2", e->fx.dir);
    assert_int_equal(hm_tpm2_generate_key(e->hsm, HM_KEY_EC_P256, "victim", path, 0, &k), HM_OK);
    assert_non_null(buf = tpm_read_all(path, &len));
    static const struct {
        size_t from_end; /* which byte to flip, counted from the end */
        bool truncate;
        hm_err want;
    } cases[] = {
        { 1, false, HM_E_INVALID },   /* the wrapped private part: the TPM's integrity check */
        { 0, true, HM_E_INVALID },    /* one byte short */
        { 200, false, HM_E_INVALID }, /* inside the public area: Name no longer matches */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(bad, sizeof(bad), "%s/bad%zu.tpm2", e->fx.dir, i);
        assert_non_null(fp = fopen(bad, "wb"));
        if (!cases[i].truncate) {
            buf[len - cases[i].from_end] ^= 0x40;
        }
        fwrite(buf, 1, cases[i].truncate ? len - 1 : len, fp);
        fclose(fp);
        if (!cases[i].truncate) {
            buf[len - cases[i].from_end] ^= 0x40;
        }
        snprintf(uri, sizeof(uri), "tpm2:blob=%s", bad);
        k = (struct hm_key *)(uintptr_t)1;
        assert_int_equal(hm_hsm_find_key(e->hsm, uri, &k), cases[i].want);
        assert_null(k);
    }
    free(buf);
}

/* More keys than the TPM has transient slots (swtpm: 3), used round robin. */
static void
test_slots_many_keys(void **state)
{
    struct env *e = *state;
    struct hm_key *keys[5];
    char path[700], label[16];

    for (int i = 0; i < 5; i++) {
        snprintf(label, sizeof(label), "slot%d", i);
        snprintf(path, sizeof(path), "%s/%s.tpm2", e->fx.dir, label);
        assert_int_equal(hm_tpm2_generate_key(e->hsm, HM_KEY_EC_P256, label, path, 0, &keys[i]),
                         HM_OK);
    }
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 5; i++) {
            uint8_t *sig = NULL;
            size_t n = 0;
            assert_int_equal(hm_key_sign(keys[i], msg, sizeof(msg), HM_SIG_DER, &sig, &n), HM_OK);
            assert_true(tpm_verify_msg(keys[i], msg, sizeof(msg), sig, n));
            free(sig);
        }
    }
}

/* hm_hsm_generate_key (the backend-neutral call) needs key-dir= in the token URI; list
 * shows persistent keys and key-dir blobs. */
static void
test_key_dir_generate_and_list(void **state)
{
    struct env *e = *state;
    struct hm_key *k = (struct hm_key *)(uintptr_t)1, **keys = NULL;
    char uri[2 * PATH_MAX + 1200], dir[1100];
    size_t n = 0;
    bool blob = false, persistent = false;

    assert_int_equal(hm_hsm_generate_key(e->hsm, HM_KEY_EC_P256, "nodir", &k), HM_E_INVALID);
    assert_null(k);
    hm_hsm_close(e->hsm);
    snprintf(dir, sizeof(dir), "%s/keys", e->fx.dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(uri, sizeof(uri), "%s&key-dir=%s", e->fx.uri, dir);
    assert_int_equal(hm_hsm_open(uri, NULL, &e->hsm), HM_OK);
    assert_int_equal(hm_hsm_generate_key(e->hsm, HM_KEY_EC_P256, "in-dir", &k), HM_OK);
    sign_and_check(k);
    k = (struct hm_key *)(uintptr_t)1;
    assert_int_equal(hm_hsm_generate_key(e->hsm, HM_KEY_EC_P256, "../escape", &k), HM_E_INVALID);
    assert_null(k);
    assert_int_equal(hm_hsm_list_keys(e->hsm, &keys, &n), HM_OK);
    for (size_t i = 0; i < n; i++) {
        blob = blob || strcmp(hm_key_label(keys[i]), "in-dir") == 0;
        persistent = persistent || strcmp(hm_key_uri(keys[i]), "tpm2:handle=0x81000010") == 0;
    }
    free(keys);
    assert_true(blob && persistent);
}

/* Runs last: closing leaves no transient object in the TPM, and a wrong auth value is
 * refused without a signature. */
static void
test_no_leaked_handles_and_wrong_auth(void **state)
{
    struct env *e = *state;
    struct hm_key *k = NULL;
    char path[700], uri[2 * PATH_MAX + 64], wrong[700];
    uint8_t *sig = NULL;
    size_t n = 0;
    FILE *fp;

    hm_hsm_close(e->hsm);
    e->hsm = NULL;
    assert_int_equal(tpm_count_transient(&e->fx), 0);
    snprintf(wrong, sizeof(wrong), "%s/wrong.auth", e->fx.dir);
    assert_non_null(fp = fopen(wrong, "w"));
    fputs("not-the-auth-value", fp);
    fclose(fp);
    chmod(wrong, 0600);
    snprintf(uri, sizeof(uri), "tpm2:?tcti=%s&auth-source=file:%s", e->fx.tcti, wrong);
    assert_int_equal(hm_hsm_open(uri, NULL, &e->hsm), HM_OK);
    snprintf(path, sizeof(path), "tpm2:blob=%s/fw.tpm2", e->fx.dir);
    assert_int_equal(hm_hsm_find_key(e->hsm, path, &k), HM_OK);
    assert_int_equal(hm_key_sign(k, msg, sizeof(msg), HM_SIG_DER, &sig, &n), HM_E_DENIED);
    assert_null(sig);
    assert_int_equal(n, 0);
    hm_hsm_close(e->hsm);
    e->hsm = NULL;
    assert_int_equal(tpm_count_transient(&e->fx), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uri_rejects_hostile),
        cmocka_unit_test(test_key_uri_rejects_hostile),
        cmocka_unit_test(test_open_unreachable_is_unavailable),
        cmocka_unit_test(test_blob_key_p256),
        cmocka_unit_test(test_persistent_key),
        cmocka_unit_test(test_rsa3072),
        cmocka_unit_test(test_hostile_blob),
        cmocka_unit_test(test_slots_many_keys),
        cmocka_unit_test(test_key_dir_generate_and_list),
        cmocka_unit_test(test_no_leaked_handles_and_wrong_auth),
    };

    hm_log_set_level(HM_LOG_ERROR);
    return cmocka_run_group_tests(tests, setup, teardown);
}

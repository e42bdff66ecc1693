/*
 * test_verify_root.c: hm_verify_bundle: every signing key type with each log key type, the
 * image as a path, an fd or digests, roots without a log, time known and unknown, entries
 * from several logs, limits, and calls that cannot run.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "vt.h"
#include "vt_mutate.h"

#define NOW   1795900000
#define IMAGE "firmware image"

static const enum hm_key_alg ALGS[] = { HM_KEY_EC_P256, HM_KEY_EC_P384, HM_KEY_ED25519,
                                        HM_KEY_RSA3072_PSS };
static struct vt_key *keys[4], *rootkey;
static struct vt_log *log_ed, *log_ec, *log_other;

static int
setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        keys[i] = vt_key_new(ALGS[i]);
    }
    rootkey = vt_key_new(HM_KEY_ED25519);
    log_ed = vt_log_new(HM_KEY_ED25519, "log.hallmark.test/acme");
    log_ec = vt_log_new(HM_KEY_EC_P256, "log.hallmark.test/tpm");
    log_other = vt_log_new(HM_KEY_ED25519, "log.elsewhere.test");
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        vt_key_free(keys[i]);
    }
    vt_key_free(rootkey);
    vt_log_free(log_ed);
    vt_log_free(log_ec);
    vt_log_free(log_other);
    return 0;
}

/* A root with all four signing keys and the given logs. */
static struct hm_trustroot *
make_root(struct vt_log *const *logs, size_t n_logs, bool vkey, int64_t expires)
{
    struct vt_root r = { 0 };
    struct hm_trustroot *tr;
    size_t len = 0;
    char *env;

    for (size_t i = 0; i < 4; i++) {
        r.keys[i] = (struct vt_root_key){ keys[i], NULL, 0, 0, false };
    }
    r.n_keys = 4;
    for (size_t i = 0; i < n_logs; i++) {
        r.logs[i] = logs[i];
    }
    r.n_logs = n_logs;
    r.logs_as_vkey = vkey;
    r.expires = expires;
    r.root_keys[0] = rootkey;
    r.n_root_keys = 1;
    env = vt_root_signed(&r, &len);
    tr = vt_root_parse(env, len);
    free(env);
    return tr;
}

static struct hm_verify_image
digest_image(const char *content, bool with256, bool with512)
{
    struct hm_verify_image img = { .source = HM_IMAGE_DIGEST, .name = "firmware.bin" };
    unsigned int n = 0;

    img.has_sha256 = with256;
    img.has_sha512 = with512;
    hm_sha256(content, strlen(content), img.sha256);
    assert_int_equal(EVP_Digest(content, strlen(content), img.sha512, &n, EVP_sha512(), NULL), 1);
    return img;
}

static void
check(const struct hm_trustroot *tr, const char *bundle, const struct hm_verify_image *img,
      size_t n, const struct hm_device_facts *dev, enum hm_verify_status want,
      struct hm_verify_result *res)
{
    assert_int_equal(
        hm_verify_bundle(tr, (const uint8_t *)bundle, strlen(bundle), img, n, dev, res), HM_OK);
    if (res->status != want) {
        fail_msg("got %s (%s), wanted %s", hm_verify_status_name(res->status), res->detail,
                 hm_verify_status_name(want));
    }
}

static void
test_verify_every_key_type_and_log_type(void **state)
{
    static const struct hm_device_facts dev = { "acme-thermostat", "1.4.1", NOW };
    struct hm_verify_image img = digest_image(IMAGE, true, true);
    struct vt_log *logs[2] = { log_ed, log_ec };
    struct vt_release r = { .filler_before = 3 };
    struct hm_verify_result res;

    (void)state;
    for (int vkey = 0; vkey < 2; vkey++) {
        struct hm_trustroot *tr = make_root(logs, 2, vkey != 0, 0);

        for (size_t l = 0; l < 2; l++) {
            for (size_t k = 0; k < 4; k++) {
                size_t len = 0;
                char *b = vt_bundle(keys[k], logs[l], &r, &len);

                check(tr, b, &img, 1, &dev, HM_V_OK, &res);
                assert_string_equal(res.keyid, vt_key_id(keys[k]));
                assert_true(res.logged);
                assert_string_equal(res.log_origin, vt_log_origin(logs[l]));
                assert_int_equal(res.n_artifacts_matched, 1);
                free(b);
            }
        }
        hm_trustroot_free(tr);
    }
}

static void
test_verify_image_sources(void **state)
{
    static const struct hm_device_facts dev = { "acme-thermostat", NULL, NOW };
    struct hm_trustroot *tr = make_root(&log_ed, 1, false, 0);
    struct vt_release r = { 0 };
    struct hm_verify_image img = { 0 }, two[2];
    struct hm_verify_result res;
    char path[] = "/tmp/hm-verify-image-XXXXXX";
    size_t len = 0;
    char *b = vt_bundle(keys[0], log_ed, &r, &len);
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, IMAGE, strlen(IMAGE)), (ssize_t)strlen(IMAGE));
    img = (struct hm_verify_image){ .source = HM_IMAGE_PATH, .path = path };
    check(tr, b, &img, 1, &dev, HM_V_OK, &res);
    img = (struct hm_verify_image){ .source = HM_IMAGE_FD, .fd = fd };
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    check(tr, b, &img, 1, &dev, HM_V_OK, &res);
    img = digest_image(IMAGE, true, false);
    check(tr, b, &img, 1, &dev, HM_V_OK, &res);
    img = digest_image(IMAGE, false, true);
    check(tr, b, &img, 1, &dev, HM_V_OK, &res);
    /* a sha256 that matches with a sha512 that does not: refused */
    img = digest_image(IMAGE, true, true);
    img.sha512[0] ^= 1;
    check(tr, b, &img, 1, &dev, HM_V_DIGEST_MISMATCH, &res);
    assert_non_null(strstr(res.detail, "image firmware.bin has sha512"));
    img.name = "other.bin";
    check(tr, b, &img, 1, &dev, HM_V_NOT_A_SUBJECT, &res);
    /* two images: both must be subjects */
    two[0] = digest_image(IMAGE, true, true);
    two[1] = digest_image("bootloader", true, false);
    two[1].name = "bootloader.bin";
    check(tr, b, two, 2, &dev, HM_V_NOT_A_SUBJECT, &res);
    /* calls that cannot run: the status is never ok */
    img = (struct hm_verify_image){ .source = HM_IMAGE_PATH, .path = "/nonexistent/fw.bin" };
    assert_int_equal(hm_verify_bundle(tr, (const uint8_t *)b, len, &img, 1, &dev, &res),
                     HM_E_NOTFOUND);
    assert_int_not_equal(res.status, HM_V_OK);
    assert_non_null(strstr(res.detail, "could not run"));
    img = (struct hm_verify_image){ .source = HM_IMAGE_FD, .fd = -1 };
    assert_int_equal(hm_verify_bundle(tr, (const uint8_t *)b, len, &img, 1, &dev, &res),
                     HM_E_INVALID);
    assert_int_not_equal(res.status, HM_V_OK);
    img = (struct hm_verify_image){ .source = HM_IMAGE_DIGEST };
    assert_int_equal(hm_verify_bundle(tr, (const uint8_t *)b, len, &img, 1, &dev, &res),
                     HM_E_INVALID);
    assert_int_equal(hm_verify_bundle(NULL, (const uint8_t *)b, len, &img, 1, &dev, &res),
                     HM_E_INVALID);
    assert_int_not_equal(res.status, HM_V_OK);
    assert_int_equal(hm_verify_bundle(tr, (const uint8_t *)b, len, NULL, 0, &dev, &res),
                     HM_E_INVALID);
    assert_int_equal(hm_verify_bundle(tr, (const uint8_t *)b, len, &img, 1, &dev, NULL),
                     HM_E_INVALID);
    close(fd);
    unlink(path);
    free(b);
    hm_trustroot_free(tr);
}

/* Without logs in the root: no entry needed, entries ignored, the signer's time used. */
static void
test_verify_root_without_logs(void **state)
{
    struct hm_device_facts dev = { "acme-thermostat", "1.4.1", NOW };
    struct hm_verify_image img = digest_image(IMAGE, true, false);
    struct hm_trustroot *tr = make_root(NULL, 0, false, 0);
    struct vt_release plain = { .no_entry = true }, logged = { 0 };
    struct hm_verify_result res;
    size_t len = 0;
    char *b1 = vt_bundle(keys[2], NULL, &plain, &len);
    char *b2 = vt_bundle(keys[2], log_ed, &logged, &len);

    (void)state;
    check(tr, b1, &img, 1, &dev, HM_V_OK, &res);
    assert_false(res.logged);
    assert_false(res.signed_at_logged);
    assert_int_equal(res.signed_at, 1795824000);
    check(tr, b2, &img, 1, &dev, HM_V_OK, &res);
    assert_false(res.logged);
    hm_trustroot_free(tr);
    /* with a log in the root, the plain bundle is refused */
    tr = make_root(&log_ed, 1, false, 0);
    check(tr, b1, &img, 1, &dev, HM_V_LOG_PROOF_INVALID, &res);
    assert_string_equal(res.detail, "no transparency-log entry");
    hm_trustroot_free(tr);
    free(b1);
    free(b2);
}

/* Without a log, nothing attests the signing time: the window must also hold now. */
static void
test_verify_key_window_without_log(void **state)
{
    struct hm_device_facts dev = { "acme-thermostat", NULL, NOW };
    struct hm_verify_image img = digest_image(IMAGE, true, false);
    struct vt_release plain = { .no_entry = true };
    struct vt_root r = { 0 };
    struct hm_verify_result res;
    struct hm_trustroot *tr;
    size_t len = 0;
    char *env, *b = vt_bundle(keys[0], NULL, &plain, &len);

    (void)state;
    r.keys[0] = (struct vt_root_key){ keys[0], NULL, 1795000000, 1795850000, false };
    r.n_keys = 1;
    r.root_keys[0] = rootkey;
    r.n_root_keys = 1;
    env = vt_root_signed(&r, &len);
    tr = vt_root_parse(env, len);
    check(tr, b, &img, 1, &dev, HM_V_KEY_NOT_VALID, &res);
    assert_non_null(strstr(res.detail, "not valid now"));
    dev.now = 1795840000;
    check(tr, b, &img, 1, &dev, HM_V_OK, &res);
    dev.now = 0; /* time unknown: the signer's claim is all there is */
    check(tr, b, &img, 1, &dev, HM_V_OK, &res);
    assert_false(res.time_checked);
    hm_trustroot_free(tr);
    free(env);
    free(b);
}

static void
test_verify_time_known_and_unknown(void **state)
{
    struct hm_device_facts dev = { "acme-thermostat", "1.4.1", NOW };
    struct hm_verify_image img = digest_image(IMAGE, true, false);
    struct hm_trustroot *tr = make_root(&log_ed, 1, false, NOW - 1);
    struct vt_release r = { 0 };
    struct hm_verify_result res;
    size_t len = 0;
    char *b = vt_bundle(keys[1], log_ed, &r, &len);

    (void)state;
    check(tr, b, &img, 1, &dev, HM_V_TRUST_ROOT_EXPIRED, &res);
    assert_non_null(strstr(res.detail, "expired at"));
    assert_true(res.time_checked);
    dev.now = 0;
    check(tr, b, &img, 1, &dev, HM_V_OK, &res);
    assert_false(res.time_checked);
    /* no device facts at all: no product, no rollback, no time */
    check(tr, b, &img, 1, NULL, HM_V_OK, &res);
    assert_false(res.time_checked);
    hm_trustroot_free(tr);
    free(b);
}

/* The entries of a bundle whose envelope two logs recorded (Ed25519 signs deterministically,
 * so both bundles carry the same envelope). */
static char *
two_entries(const char *a, const char *b)
{
    cJSON *ja = cJSON_Parse(a), *jb = cJSON_Parse(b), *ea, *eb;
    char *out;

    assert_non_null(ja);
    assert_non_null(jb);
    ea = cJSON_GetObjectItem(cJSON_GetObjectItem(ja, "verificationMaterial"), "tlogEntries");
    eb = cJSON_GetObjectItem(cJSON_GetObjectItem(jb, "verificationMaterial"), "tlogEntries");
    assert_true(cJSON_AddItemToArray(ea, cJSON_Duplicate(cJSON_GetArrayItem(eb, 0), true)));
    out = cJSON_PrintUnformatted(ja);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    return out;
}

static void
test_verify_entries_from_several_logs(void **state)
{
    static const struct hm_device_facts dev = { "acme-thermostat", "1.4.1", NOW };
    struct hm_verify_image img = digest_image(IMAGE, true, false);
    struct vt_log *both[2] = { log_ed, log_other };
    struct hm_trustroot *one = make_root(&log_ed, 1, false, 0), *two = make_root(both, 2, false, 0);
    struct vt_release r = { 0 };
    struct vt_mut bad = { VT_FLIP, "verificationMaterial.tlogEntries[1].inclusionProof.rootHash",
                          NULL, NULL, 0 };
    struct hm_verify_result res;
    size_t len = 0;
    char *a = vt_bundle(keys[2], log_ed, &r, &len), *b = vt_bundle(keys[2], log_other, &r, &len);
    char *ab = two_entries(a, b), *ab_bad = vt_mutate(ab, &bad, 1);

    (void)state;
    check(one, ab, &img, 1, &dev, HM_V_OK, &res);     /* the other log's entry is ignored */
    check(one, ab_bad, &img, 1, &dev, HM_V_OK, &res); /* ... even when it is broken */
    check(two, ab, &img, 1, &dev, HM_V_OK, &res);     /* both verified */
    check(two, ab_bad, &img, 1, &dev, HM_V_LOG_PROOF_INVALID, &res);
    check(one, b, &img, 1, &dev, HM_V_LOG_PROOF_INVALID, &res);
    assert_non_null(strstr(res.detail, "no transparency-log entry is from a log"));
    hm_trustroot_free(one);
    hm_trustroot_free(two);
    free(a);
    free(b);
    free(ab);
    free(ab_bad);
}

static void
test_verify_limits(void **state)
{
    static const struct hm_device_facts dev = { "acme-thermostat", "1.4.1", NOW };
    struct hm_verify_image img = digest_image(IMAGE, true, false);
    struct hm_trustroot *tr = make_root(&log_ed, 1, false, 0);
    struct vt_mut five[4] = { { VT_APPEND_COPY, "verificationMaterial.tlogEntries", NULL, NULL, 0 },
                              { VT_APPEND_COPY, "verificationMaterial.tlogEntries", NULL, NULL, 0 },
                              { VT_APPEND_COPY, "verificationMaterial.tlogEntries", NULL, NULL, 0 },
                              { VT_APPEND_COPY, "verificationMaterial.tlogEntries", NULL, NULL,
                                0 } };
    struct vt_release r = { 0 };
    struct hm_verify_result res;
    struct hm_buf buf;
    size_t len = 0;
    char *b = vt_bundle(keys[0], log_ed, &r, &len), *many = vt_mutate(b, five, 4), *big;

    (void)state;
    check(tr, many, &img, 1, &dev, HM_V_LIMITS_EXCEEDED, &res);
    assert_non_null(strstr(res.detail, "5 entries, more than 4"));
    /* 5,000 JSON values: refused before cJSON builds a tree of them */
    hm_buf_init(&buf, 0);
    hm_buf_append(&buf, b, strlen(b) - 1);
    hm_buf_puts(&buf, ",\"x\":[0");
    for (int i = 0; i < 5000; i++) {
        hm_buf_puts(&buf, ",0");
    }
    hm_buf_puts(&buf, "]}");
    assert_int_equal(hm_buf_status(&buf), HM_OK);
    big = (char *)buf.data;
    check(tr, big, &img, 1, &dev, HM_V_LIMITS_EXCEEDED, &res);
    assert_non_null(strstr(res.detail, "JSON values, more than the limit of 4096"));
    hm_buf_free(&buf);
    free(b);
    free(many);
    hm_trustroot_free(tr);
}

static void
test_verify_status_names(void **state)
{
    static const struct {
        enum hm_verify_status st;
        const char *name;
    } names[] = {
        { HM_V_KEY_NOT_VALID, "key-not-valid" },
        { HM_V_LOG_PROOF_INVALID, "log-proof-invalid" },
        { HM_V_CHECKPOINT_SIG_INVALID, "checkpoint-signature-invalid" },
        { HM_V_WITNESS_THRESHOLD, "witness-threshold-not-met" },
        { HM_V_TRUST_ROOT_EXPIRED, "trust-root-expired" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_string_equal(hm_verify_status_name(names[i].st), names[i].name);
    }
    /* the names the key-only check had keep their values */
    assert_int_equal(HM_V_ROLLBACK, 11);
    assert_int_equal(HM_V_KEY_NOT_VALID, 12);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_every_key_type_and_log_type),
        cmocka_unit_test(test_verify_image_sources),
        cmocka_unit_test(test_verify_root_without_logs),
        cmocka_unit_test(test_verify_key_window_without_log),
        cmocka_unit_test(test_verify_time_known_and_unknown),
        cmocka_unit_test(test_verify_entries_from_several_logs),
        cmocka_unit_test(test_verify_limits),
        cmocka_unit_test(test_verify_status_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_witness.c: witness cosignatures (c2sp.org/tlog-cosignature v1, Ed25519) against the
 * trust root's witnessThreshold: met, not met, a bad cosignature, unknown cosigners, one
 * witness counted once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "vt.h"

#define NOW 1795900000

static struct vt_key *signer, *rootkey;
static struct vt_log *log_;

static int
setup(void **state)
{
    (void)state;
    signer = vt_key_new(HM_KEY_EC_P256);
    rootkey = vt_key_new(HM_KEY_ED25519);
    log_ = vt_log_new(HM_KEY_ED25519, "log.hallmark.test/acme");
    (void)vt_log_add_witness(log_, "witness.example/w1");
    (void)vt_log_add_witness(log_, "witness.example/w2");
    (void)vt_log_add_witness(log_, "witness.example/w3");
    (void)vt_log_add_witness(log_, "witness.example/stranger"); /* not in the root */
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    vt_log_free(log_);
    vt_key_free(signer);
    vt_key_free(rootkey);
    return 0;
}

/* A root that trusts witnesses w1..w3 (not the stranger) with threshold k. */
static struct hm_trustroot *
root_with(size_t k)
{
    struct vt_root r = { 0 };
    struct hm_trustroot *tr;
    size_t len = 0;
    char *env, *payload, *cut;

    r.keys[0] = (struct vt_root_key){ signer, NULL, 0, 0, false };
    r.n_keys = 1;
    r.logs[0] = log_;
    r.n_logs = 1;
    r.witness_threshold = k;
    r.root_keys[0] = rootkey;
    r.n_root_keys = 1;
    payload = vt_root_payload(&r, &len);
    /* drop the fourth witness, the stranger, from the list */
    cut = strstr(payload, ",{\"name\":\"witness.example/stranger\"");
    assert_non_null(cut);
    memmove(cut, strchr(cut + 1, '}') + 1, strlen(strchr(cut + 1, '}') + 1) + 1);
    env = vt_envelope(payload, strlen(payload), (const struct vt_key *const *)&rootkey, 1, &len);
    tr = vt_root_parse(env, len);
    assert_int_equal(hm_trustroot_witness_count(tr), 3);
    free(env);
    free(payload);
    return tr;
}

static void
verify(const struct hm_trustroot *tr, const char *bundle, enum hm_verify_status want,
       const char *detail, size_t witnesses)
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
    if (want == HM_V_OK) {
        assert_int_equal(res.n_witnesses, witnesses);
    }
}

static void
test_witness_threshold(void **state)
{
    struct {
        size_t k;
        uint64_t mask;
        bool corrupt;
        enum hm_verify_status want;
        const char *detail;
        size_t counted;
    } cases[] = {
        { 2, 0x3, false, HM_V_OK, NULL, 2 },
        { 2, 0x7, false, HM_V_OK, NULL, 3 },
        { 3, 0x7, false, HM_V_OK, NULL, 3 },
        { 2, 0xb, false, HM_V_OK, NULL, 2 }, /* w1, w2 and the stranger: ignored */
        { 2, 0x1, false, HM_V_WITNESS_THRESHOLD,
          "1 of the trust root's 3 witnesses cosigned the checkpoint; witnessThreshold is 2", 0 },
        { 2, 0x8, false, HM_V_WITNESS_THRESHOLD, "0 of the trust root's 3", 0 },
        { 1, 0x0, false, HM_V_WITNESS_THRESHOLD, "0 of the trust root's 3", 0 },
        { 2, 0x7, true, HM_V_WITNESS_THRESHOLD,
          "the cosignature of witness witness.example/w1 on the checkpoint does not verify", 0 },
        { 0, 0x0, false, HM_V_OK, NULL, 0 },
        { 0, 0x7, true, HM_V_OK, NULL, 0 }, /* threshold 0: witnesses are not looked at */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hm_trustroot *tr = root_with(cases[i].k);
        struct vt_release r = { .witness_mask = cases[i].mask, .corrupt_cosig = cases[i].corrupt };
        size_t len = 0;
        char *b = vt_bundle(signer, log_, &r, &len);

        verify(tr, b, cases[i].want, cases[i].detail, cases[i].counted);
        free(b);
        hm_trustroot_free(tr);
    }
}

/* The same witness's line twice still counts as one witness. */
static void
test_witness_counted_once(void **state)
{
    struct hm_trustroot *tr = root_with(2);
    struct vt_release r = { .witness_mask = 0x1 };
    size_t len = 0;
    char *b = vt_bundle(signer, log_, &r, &len), *out, *note, *last;
    cJSON *j = cJSON_Parse(b), *cp;

    (void)state;
    assert_non_null(j);
    cp = cJSON_GetObjectItem(
        cJSON_GetObjectItem(
            cJSON_GetObjectItem(
                cJSON_GetArrayItem(
                    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "verificationMaterial"),
                                        "tlogEntries"),
                    0),
                "inclusionProof"),
            "checkpoint"),
        "envelope");
    assert_non_null(cp);
    note = strdup(cJSON_GetStringValue(cp));
    note[strlen(note) - 1] = '\0';
    last = strrchr(note, '\n') + 1; /* the witness's line */
    assert_true(asprintf(&out, "%s\n%s\n", note, last) > 0);
    assert_non_null(cJSON_SetValuestring(cp, out));
    free(b);
    b = cJSON_PrintUnformatted(j);
    verify(tr, b, HM_V_WITNESS_THRESHOLD, "1 of the trust root's 3", 0);
    free(out);
    free(note);
    free(b);
    cJSON_Delete(j);
    hm_trustroot_free(tr);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_witness_threshold),
        cmocka_unit_test(test_witness_counted_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_threads.c: one trust root shared by 8 threads, each verifying good and tampered
 * bundles and checking root updates against it at the same time: every verdict must be the
 * one a single thread gets (no global state, nothing in the root written after parsing).
 * Run under ASan/UBSan in CI, and under helgrind/TSan by hand.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vt.h"
#include "vt_mutate.h"

#define THREADS   8
#define ROUNDS    150
#define NOW       1795900000
#define N_BUNDLES 4

static struct vt_key *signer, *rootkey, *rootkey2;
static struct vt_log *log_;
static struct hm_trustroot *root;
static char *bundles[N_BUNDLES];
static enum hm_verify_status want[N_BUNDLES] = { HM_V_OK, HM_V_BAD_SIGNATURE,
                                                 HM_V_LOG_PROOF_INVALID,
                                                 HM_V_CHECKPOINT_SIG_INVALID };
static char *next_root;
static size_t next_root_len;
static atomic_uint wrong;
static atomic_uint done;

static int
setup(void **state)
{
    static const struct vt_mut muts[N_BUNDLES] = {
        { VT_NONE, "", NULL, NULL, 0 },
        { VT_FLIP, "dsseEnvelope.signatures[0].sig", NULL, NULL, 9 },
        { VT_FLIP, "verificationMaterial.tlogEntries[0].inclusionProof.hashes[0]", NULL, NULL, 1 },
        { VT_LINE_FLIP, "verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope",
          "end", NULL, 4 },
    };
    struct vt_release r = { .filler_before = 40, .filler_after = 20 };
    struct vt_root tr = { 0 };
    size_t len = 0;
    char *env, *good;

    (void)state;
    signer = vt_key_new(HM_KEY_EC_P256);
    rootkey = vt_key_new(HM_KEY_ED25519);
    rootkey2 = vt_key_new(HM_KEY_EC_P256);
    log_ = vt_log_new(HM_KEY_ED25519, "log.hallmark.test/acme");
    tr.keys[0] = (struct vt_root_key){ signer, NULL, 0, 0, false };
    tr.n_keys = 1;
    tr.logs[0] = log_;
    tr.n_logs = 1;
    tr.root_keys[0] = rootkey;
    tr.n_root_keys = 1;
    env = vt_root_signed(&tr, &len);
    root = vt_root_parse(env, len);
    free(env);
    tr.version = 2;
    tr.root_keys[1] = rootkey2;
    tr.n_root_keys = 2;
    tr.root_threshold = 2;
    env = vt_root_payload(&tr, &len);
    next_root = vt_envelope(env, len, (const struct vt_key *const *)&rootkey, 1, &next_root_len);
    free(env);
    good = vt_bundle(signer, log_, &r, &len);
    for (size_t i = 0; i < N_BUNDLES; i++) {
        bundles[i] = vt_mutate(good, &muts[i], 1);
    }
    free(good);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_BUNDLES; i++) {
        free(bundles[i]);
    }
    free(next_root);
    hm_trustroot_free(root);
    vt_log_free(log_);
    vt_key_free(signer);
    vt_key_free(rootkey);
    vt_key_free(rootkey2);
    return 0;
}

static void *
worker(void *arg)
{
    struct hm_verify_image img = { .source = HM_IMAGE_DIGEST, .has_sha256 = true };
    struct hm_device_facts dev = { "acme-thermostat", "1.4.1", NOW };
    size_t seed = (size_t)(uintptr_t)arg;

    hm_sha256("firmware image", 14, img.sha256);
    for (size_t i = 0; i < ROUNDS; i++) {
        size_t k = (i + seed) % (N_BUNDLES + 1);
        struct hm_verify_result res;

        if (k == N_BUNDLES) {
            struct hm_trustroot_reason why;
            struct hm_trustroot *next = NULL;

            /* version 2 is signed by rootkey only: its own threshold of 2 is not met */
            if (hm_trustroot_update(root, (const uint8_t *)next_root, next_root_len, NOW, &next,
                                    &why) != HM_E_VERIFY ||
                why.status != HM_TR_NEW_THRESHOLD || next != NULL) {
                atomic_fetch_add(&wrong, 1);
            }
            continue;
        }
        if (hm_verify_bundle(root, (const uint8_t *)bundles[k], strlen(bundles[k]), &img, 1, &dev,
                             &res) != HM_OK ||
            res.status != want[k]) {
            atomic_fetch_add(&wrong, 1);
        }
        atomic_fetch_add(&done, 1);
    }
    return NULL;
}

static void
test_threads_share_one_root(void **state)
{
    pthread_t t[THREADS];

    (void)state;
    for (size_t i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i), 0);
    }
    for (size_t i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
    }
    assert_int_equal(atomic_load(&wrong), 0);
    assert_true(atomic_load(&done) >= THREADS * ROUNDS * N_BUNDLES / (N_BUNDLES + 1));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_share_one_root),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

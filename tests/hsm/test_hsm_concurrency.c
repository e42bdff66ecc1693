/*
 * test_hsm_concurrency.c: many threads, few sessions.  4 threads x 500 signatures
 * through a pool of 2 sessions with P-256, then 4 x 50 with RSA-3072 (a slow mechanism
 * keeps the sessions busy longer); every signature verifies and the counters add up.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hsm_test_util.h"

#define THREADS        4
#define PER_THREAD     500
#define PER_THREAD_RSA 50

struct worker {
    struct hm_key *key;
    unsigned id;
    unsigned n;
    unsigned ok, bad, failed;
};

static void *
work(void *arg)
{
    struct worker *w = arg;

    for (unsigned i = 0; i < w->n; i++) {
        char msg[64];
        uint8_t *sig = NULL;
        size_t sig_len = 0;
        int len = snprintf(msg, sizeof(msg), "thread %u message %u", w->id, i);
        enum hm_sig_enc enc = i % 2 == 0 ? HM_SIG_DER : HM_SIG_RAW;

        if (hm_key_sign(w->key, (const uint8_t *)msg, (size_t)len, enc, &sig, &sig_len) != HM_OK) {
            w->failed++;
            continue;
        }
        if (hsm_verify(w->key, (const uint8_t *)msg, (size_t)len, sig, sig_len, enc)) {
            w->ok++;
        } else {
            w->bad++;
        }
        free(sig);
    }
    return NULL;
}

static void
run_threads(struct hm_key *key, unsigned n)
{
    pthread_t t[THREADS];
    struct worker w[THREADS];

    for (unsigned i = 0; i < THREADS; i++) {
        w[i] = (struct worker){ .key = key, .id = i, .n = n };
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (unsigned i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].bad, 0);
        assert_int_equal(w[i].failed, 0);
        assert_int_equal(w[i].ok, n);
    }
}

static void
test_threads_share_a_small_pool(void **state)
{
    struct hsm_fixture fx;
    struct hm_hsm_opts opts = { .sessions = 2 };
    struct hm_hsm *h = NULL;
    struct hm_key *p256 = NULL, *rsa = NULL;
    struct hm_hsm_stats st;

    (void)state;
    assert_int_equal(hsm_fixture_setup(&fx, "threads"), 0);
    assert_int_equal(hm_hsm_open(fx.uri, &opts, &h), HM_OK);
    assert_int_equal(hm_hsm_generate_key(h, HM_KEY_EC_P256, "p256", &p256), HM_OK);
    assert_int_equal(hm_hsm_generate_key(h, HM_KEY_RSA3072_PSS, "rsa", &rsa), HM_OK);

    run_threads(p256, PER_THREAD);
    run_threads(rsa, PER_THREAD_RSA);

    hm_hsm_get_stats(h, &st);
    assert_true(st.ready);
    assert_int_equal(st.sessions, 2);
    assert_int_equal(st.sessions_busy, 0);
    assert_int_equal(st.sign_ok, THREADS * (PER_THREAD + PER_THREAD_RSA));
    assert_int_equal(st.sign_errors, 0);
    assert_int_equal(st.reopens, 0);
    hm_hsm_close(h);
    hsm_fixture_teardown(&fx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_share_a_small_pool),
    };

    hm_log_set_level(HM_LOG_WARN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

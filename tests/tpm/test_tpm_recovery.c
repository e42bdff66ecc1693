/*
 * test_tpm_recovery.c: the TPM connection drops in the middle of concurrent signing
 * (swtpm killed with SIGKILL, then restarted on the same state and ports).  The backend
 * must come back by itself, answer HM_E_UNAVAILABLE (never anything worse) while the TPM
 * is away, and every signature it hands out must verify, over the message its caller
 * asked for, with the key's published SPKI.
 */
#include <hm/keyevidence.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tpm_test_util.h"

#define THREADS 4

struct env {
    struct tpm_fixture fx;
    struct hm_hsm *hsm;
    struct hm_key *blob, *persistent;
};

struct worker {
    struct hm_key *key;
    int id;
    volatile bool *stop;
    unsigned long ok, unavailable, other, bad;
};

static void
sleep_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&t, NULL);
}

static int
teardown(void **state)
{
    struct env *e = *state;

    if (e != NULL) {
        hm_hsm_close(e->hsm);
        tpm_fixture_teardown(&e->fx);
        free(e);
    }
    return 0;
}

static int
setup(void **state)
{
    struct hm_hsm_opts o = { .retry_budget_ms = 3000 };
    struct env *e = calloc(1, sizeof(*e));
    char path[1100];

    *state = e;
    if (e == NULL || tpm_fixture_setup(&e->fx, false) != 0 ||
        hm_hsm_open(e->fx.uri, &o, &e->hsm) != HM_OK) {
        goto fail;
    }
    snprintf(path, sizeof(path), "%s/fw.tpm2", e->fx.dir);
    if (hm_tpm2_generate_key(e->hsm, HM_KEY_EC_P256, "fw", path, 0, &e->blob) != HM_OK ||
        hm_tpm2_generate_key(e->hsm, HM_KEY_EC_P256, "p", NULL, 0x81000020, &e->persistent) !=
            HM_OK) {
        goto fail;
    }
    return 0;
fail:
    teardown(state);
    *state = NULL;
    return -1;
}

static void *
sign_loop(void *arg)
{
    struct worker *w = arg;
    char msg[64];

    for (unsigned long n = 0; !*w->stop; n++) {
        uint8_t *sig = NULL;
        size_t len = 0;
        int mlen = snprintf(msg, sizeof(msg), "worker %d message %lu", w->id, n);
        hm_err err =
            hm_key_sign(w->key, (const uint8_t *)msg, (size_t)mlen, HM_SIG_DER, &sig, &len);
        if (err == HM_OK) {
            if (tpm_verify_msg(w->key, (const uint8_t *)msg, (size_t)mlen, sig, len)) {
                w->ok++;
            } else {
                w->bad++;
            }
        } else if (err == HM_E_UNAVAILABLE) {
            w->unavailable++;
            sleep_ms(5);
        } else {
            w->other++;
        }
        if (err != HM_OK && sig != NULL) {
            w->bad++; /* something handed out on failure */
        }
        free(sig);
    }
    return NULL;
}

static unsigned long
total_ok(const struct worker *w)
{
    unsigned long n = 0;

    for (int i = 0; i < THREADS; i++) {
        n += __atomic_load_n(&w[i].ok, __ATOMIC_RELAXED);
    }
    return n;
}

static void
test_restart_during_concurrent_signing(void **state)
{
    struct env *e = *state;
    struct worker w[THREADS];
    pthread_t t[THREADS];
    volatile bool stop = false;
    struct hm_hsm_stats st;
    unsigned long before, after_restart;

    for (int i = 0; i < THREADS; i++) {
        w[i] =
            (struct worker){ .key = i % 2 == 0 ? e->blob : e->persistent, .id = i, .stop = &stop };
        assert_int_equal(pthread_create(&t[i], NULL, sign_loop, &w[i]), 0);
    }
    sleep_ms(300);
    before = total_ok(w);
    tpm_fixture_kill(&e->fx); /* mid-flight: some command is on the wire right now */
    sleep_ms(400);
    assert_int_equal(tpm_fixture_start(&e->fx), 0);
    for (int i = 0; i < 500 && total_ok(w) < before + 50; i++) {
        sleep_ms(10);
    }
    after_restart = total_ok(w) - before;
    sleep_ms(200);
    stop = true;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
    }
    hm_hsm_get_stats(e->hsm, &st);
    print_message("    signed %lu before the kill, %lu after; reopens %llu\n", before,
                  after_restart, (unsigned long long)st.reopens);
    assert_true(before > 0);
    assert_true(after_restart >= 50); /* it came back by itself */
    assert_true(st.ready);
    assert_true(st.reopens >= 1);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(w[i].bad, 0);   /* never a wrong signature */
        assert_int_equal(w[i].other, 0); /* only HM_E_UNAVAILABLE while it was away */
    }
}

static void
test_down_longer_than_budget(void **state)
{
    struct env *e = *state;
    static const uint8_t msg[] = "while the TPM is away";
    struct hm_hsm_stats st;
    struct timespec a, b;
    uint8_t *sig = NULL;
    size_t len = 0;
    hm_err err = HM_OK;

    tpm_fixture_kill(&e->fx);
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(hm_key_sign(e->blob, msg, sizeof(msg), HM_SIG_DER, &sig, &len),
                     HM_E_UNAVAILABLE);
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_null(sig);
    /* bounded: the retry budget (3 s) and one backoff step, not forever */
    assert_true(b.tv_sec - a.tv_sec <= 5);
    hm_hsm_get_stats(e->hsm, &st);
    assert_false(st.ready);
    /* during the hold-off, calls fail at once */
    assert_int_equal(hm_key_sign(e->blob, msg, sizeof(msg), HM_SIG_DER, &sig, &len),
                     HM_E_UNAVAILABLE);
    assert_null(sig);
    assert_int_equal(tpm_fixture_start(&e->fx), 0);
    for (int i = 0; i < 100; i++) { /* after the hold-off, the next call reconnects */
        if ((err = hm_key_sign(e->persistent, msg, sizeof(msg), HM_SIG_DER, &sig, &len)) == HM_OK) {
            break;
        }
        sleep_ms(50);
    }
    assert_int_equal(err, HM_OK);
    assert_true(tpm_verify_msg(e->persistent, msg, sizeof(msg), sig, len));
    free(sig);
    hm_hsm_get_stats(e->hsm, &st);
    assert_true(st.ready);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restart_during_concurrent_signing),
        cmocka_unit_test(test_down_longer_than_budget),
    };

    hm_log_set_level(HM_LOG_ERROR);
    return cmocka_run_group_tests(tests, setup, teardown);
}

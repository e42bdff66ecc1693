/*
 * test_hsm_recovery.c: a broken HSM, through hm_pkcs11_shim.so.  Lost sessions and
 * devices re-open the backend and the call is retried once; what cannot be fixed in the
 * budget is HM_E_UNAVAILABLE and a later call tries again, on the same hsm object; a
 * plain failure is HM_E_BACKEND without a re-open; a hung call never blocks the others;
 * and no failed C_Sign ever yields a signature (the shim fills its output with 0xA5).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hsm_test_util.h"

static const uint8_t msg[] = "release 1.4.2";

struct env {
    struct hsm_fixture fx;
    struct hm_hsm *hsm;
    struct hm_key *key;
};

static int
open_env(void **state, unsigned sessions, unsigned budget_ms)
{
    struct env *e = calloc(1, sizeof(*e));
    struct hm_hsm_opts opts = { .sessions = sessions, .retry_budget_ms = budget_ms };

    if (e == NULL || hsm_fixture_setup(&e->fx, "shim") != 0) {
        return -1;
    }
    setenv("HM_SHIM_CONTROL", e->fx.ctl, 1);
    hsm_shim_set(&e->fx, "");
    if (hm_hsm_open(e->fx.shim_uri, &opts, &e->hsm) != HM_OK ||
        hm_hsm_generate_key(e->hsm, HM_KEY_EC_P256, "fw", &e->key) != HM_OK) {
        return -1;
    }
    *state = e;
    return 0;
}

static int
setup(void **state)
{
    return open_env(state, 2, 2000);
}

static int
setup_small_budget(void **state)
{
    return open_env(state, 1, 300);
}

static int
teardown(void **state)
{
    struct env *e = *state;

    hm_hsm_close(e->hsm);
    hsm_fixture_teardown(&e->fx);
    unsetenv("HM_SHIM_CONTROL");
    free(e);
    return 0;
}

static long
ms_since(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Signs once without asserting (threads may not longjmp into cmocka): a signature that
 * does not verify, or anything handed out on failure, counts in *bad. */
static hm_err
sign_once(struct env *e, unsigned *bad)
{
    uint8_t *sig = (uint8_t *)&sig;
    size_t sig_len = 99;
    hm_err err = hm_key_sign(e->key, msg, sizeof(msg), HM_SIG_DER, &sig, &sig_len);

    if (err != HM_OK) {
        *bad += sig != NULL || sig_len != 0;
        return err;
    }
    *bad += !hsm_verify(e->key, msg, sizeof(msg), sig, sig_len, HM_SIG_DER);
    free(sig);
    return HM_OK;
}

/* Signs once; a signature handed out must verify, a failure must hand out nothing. */
static hm_err
sign_checked(struct env *e)
{
    unsigned bad = 0;
    hm_err err = sign_once(e, &bad);

    assert_int_equal(bad, 0);
    return err;
}

static uint64_t
reopens(struct env *e)
{
    struct hm_hsm_stats st;

    hm_hsm_get_stats(e->hsm, &st);
    return st.reopens;
}

static void
test_lost_session_or_device_reopens(void **state)
{
    static const char *faults[] = {
        "CKR_DEVICE_REMOVED",           "CKR_SESSION_HANDLE_INVALID", "CKR_DEVICE_ERROR",
        "CKR_TOKEN_NOT_PRESENT",        "CKR_SESSION_CLOSED",         "CKR_USER_NOT_LOGGED_IN",
        "CKR_CRYPTOKI_NOT_INITIALIZED",
    };
    struct env *e = *state;
    char ctl[128];

    for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
        uint64_t r0 = reopens(e);

        /* one fault: re-opened and retried inside the same call */
        snprintf(ctl, sizeof(ctl), "fault=%s count=1", faults[i]);
        hsm_shim_set(&e->fx, ctl);
        assert_int_equal(sign_checked(e), HM_OK);
        assert_int_equal(reopens(e), r0 + 1);

        /* the fault inside C_Sign itself, after the real module signed: the garbage
         * output of the failed call is never handed out */
        snprintf(ctl, sizeof(ctl), "fault=%s count=1 scope=c_sign", faults[i]);
        hsm_shim_set(&e->fx, ctl);
        assert_int_equal(sign_checked(e), HM_OK);
        assert_int_equal(reopens(e), r0 + 2);

        /* the retry fails too: HM_E_UNAVAILABLE, and the next call re-opens and signs */
        snprintf(ctl, sizeof(ctl), "fault=%s count=2", faults[i]);
        hsm_shim_set(&e->fx, ctl);
        assert_int_equal(sign_checked(e), HM_E_UNAVAILABLE);
        assert_int_equal(sign_checked(e), HM_OK);
        assert_int_equal(reopens(e), r0 + 4);
    }
    hsm_shim_set(&e->fx, "");
}

static void
test_function_failed_is_backend_without_reopen(void **state)
{
    struct env *e = *state;
    struct hm_hsm_stats st0, st1;

    hm_hsm_get_stats(e->hsm, &st0);
    hsm_shim_set(&e->fx, "fault=CKR_FUNCTION_FAILED count=1");
    assert_int_equal(sign_checked(e), HM_E_BACKEND);
    hsm_shim_set(&e->fx, "fault=CKR_FUNCTION_FAILED count=1 scope=c_sign");
    assert_int_equal(sign_checked(e), HM_E_BACKEND);
    assert_int_equal(sign_checked(e), HM_OK);
    hm_hsm_get_stats(e->hsm, &st1);
    assert_int_equal(st1.reopens, st0.reopens);
    assert_int_equal(st1.sign_errors, st0.sign_errors + 2);
    assert_int_equal(st1.sign_ok, st0.sign_ok + 1);
    assert_true(st1.ready);
}

static void
test_stale_handle_is_looked_up_again(void **state)
{
    struct env *e = *state;

    hsm_shim_set(&e->fx, "fault=CKR_OBJECT_HANDLE_INVALID count=1");
    assert_int_equal(sign_checked(e), HM_OK);
    hsm_shim_set(&e->fx, "fault=CKR_KEY_HANDLE_INVALID count=2");
    assert_int_equal(sign_checked(e), HM_E_NOTFOUND); /* looked up once, not forever */
    assert_int_equal(sign_checked(e), HM_OK);
    assert_int_equal(reopens(e), 0);
}

/* The HSM stays away longer than the budget: HM_E_UNAVAILABLE within the budget, fast
 * refusals meanwhile, and signing comes back by itself on the same hsm object. */
static void
test_unreachable_hsm_gives_up_then_returns(void **state)
{
    struct env *e = *state;
    struct hm_hsm_stats st;
    struct timespec t0;

    hsm_shim_set(&e->fx, "fault=CKR_DEVICE_REMOVED scope=all");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(sign_checked(e), HM_E_UNAVAILABLE);
    assert_true(ms_since(&t0) < 300 + 1500);
    hm_hsm_get_stats(e->hsm, &st);
    assert_false(st.ready);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(sign_checked(e), HM_E_UNAVAILABLE); /* held off: no new attempt */
    assert_true(ms_since(&t0) < 100);

    hsm_shim_set(&e->fx, "");
    usleep(350 * 1000); /* past the hold-off */
    assert_int_equal(sign_checked(e), HM_OK);
    hm_hsm_get_stats(e->hsm, &st);
    assert_true(st.ready);
    assert_int_equal(st.reopens, 1);
}

struct hung {
    struct env *e;
    hm_err err;
    unsigned bad;
};

static void *
hung_sign(void *arg)
{
    struct hung *h = arg;

    h->err = sign_once(h->e, &h->bad);
    return NULL;
}

/* One session, stuck in C_Sign: other callers get HM_E_UNAVAILABLE after the budget. */
static void
test_hung_call_never_blocks_others(void **state)
{
    struct env *e = *state;
    struct hung h = { .e = e, .err = HM_E_INTERNAL };
    struct hm_hsm_stats st;
    struct timespec t0;
    pthread_t t;
    long waited;

    hsm_shim_set(&e->fx, "hang=1");
    assert_int_equal(pthread_create(&t, NULL, hung_sign, &h), 0);
    for (int i = 0; i < 200; i++) {
        hm_hsm_get_stats(e->hsm, &st);
        if (st.sessions_busy == 1) {
            break;
        }
        usleep(10 * 1000);
    }
    assert_int_equal(st.sessions_busy, 1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(sign_checked(e), HM_E_UNAVAILABLE);
    waited = ms_since(&t0);
    assert_true(waited >= 250 && waited < 2000);
    hsm_shim_set(&e->fx, "");
    pthread_join(t, NULL);
    assert_int_equal(h.err, HM_OK);
    assert_int_equal(h.bad, 0);
    assert_int_equal(sign_checked(e), HM_OK);
}

struct loader {
    struct env *e;
    unsigned ok, unavailable, other, bad;
};

static void *
load_sign(void *arg)
{
    struct loader *l = arg;

    for (int i = 0; i < 200; i++) {
        hm_err err = sign_once(l->e, &l->bad);
        if (err == HM_OK) {
            l->ok++;
        } else if (err == HM_E_UNAVAILABLE) {
            l->unavailable++;
            usleep(1000);
        } else {
            l->other++;
        }
    }
    return NULL;
}

/* Faults while four threads sign: only good signatures or HM_E_UNAVAILABLE. */
static void
test_recovery_under_load(void **state)
{
    struct env *e = *state;
    struct loader l[4];
    pthread_t t[4];
    unsigned ok = 0;

    for (int i = 0; i < 4; i++) {
        l[i] = (struct loader){ .e = e };
        assert_int_equal(pthread_create(&t[i], NULL, load_sign, &l[i]), 0);
    }
    usleep(20 * 1000);
    hsm_shim_set(&e->fx, "fault=CKR_DEVICE_ERROR count=3");
    usleep(50 * 1000);
    hsm_shim_set(&e->fx, "fault=CKR_SESSION_HANDLE_INVALID count=2 scope=c_sign");
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(l[i].other, 0);
        assert_int_equal(l[i].bad, 0); /* every signature handed out verified */
        ok += l[i].ok;
    }
    assert_true(ok > 0);
    hsm_shim_set(&e->fx, "");
    assert_int_equal(sign_checked(e), HM_OK);
    assert_true(reopens(e) >= 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lost_session_or_device_reopens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_function_failed_is_backend_without_reopen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stale_handle_is_looked_up_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable_hsm_gives_up_then_returns,
                                        setup_small_budget, teardown),
        cmocka_unit_test_setup_teardown(test_hung_call_never_blocks_others, setup_small_budget,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_recovery_under_load, setup, teardown),
    };

    hm_log_set_level(HM_LOG_WARN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

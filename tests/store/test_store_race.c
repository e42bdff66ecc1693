/* test_store_race.c: many threads at once: one winner per version, and group commit
 * writing many releases per transaction. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store_test.h"

#define RACERS     50
#define WRITERS    8
#define PER_WRITER 200

struct fx {
    char dir[256];
    char path[300];
    struct hm_store *st;
    pthread_barrier_t go;
};

struct worker {
    struct fx *f;
    int id;
    hm_err result;  /* racers: reserve's, or commit's when reserve passed */
    bool committed; /* racers: reserve passed and commit was called */
    int ok;         /* writers: releases committed */
    char blocking[64];
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    if (f == NULL) {
        return -1;
    }
    st_tmpdir(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
    if (hm_store_open(f->path, &f->st) != HM_OK) {
        return -1;
    }
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    hm_store_close(f->st);
    st_rmdir(f->dir);
    free(f);
    return 0;
}

static void *
racer(void *arg)
{
    struct worker *w = arg;
    struct hm_store_resv *r = NULL;
    struct hm_store_release rel = { .client_id = "CN=ci", .time = 3 };

    (void)pthread_barrier_wait(&w->f->go);
    w->result =
        hm_store_reserve(w->f->st, "fw", "stable", "4.2.0", &r, w->blocking, sizeof(w->blocking));
    if (w->result == HM_OK) {
        w->committed = true;
        w->result = hm_store_commit(w->f->st, r, &rel);
    }
    return NULL;
}

/* 50 CI jobs race to sign the same version: exactly one signs it. */
static void
test_store_race_same_version(void **state)
{
    struct fx *f = *state;
    struct worker w[RACERS];
    pthread_t t[RACERS];
    int ok = 0;
    int conflict = 0;

    assert_int_equal(pthread_barrier_init(&f->go, NULL, RACERS), 0);
    for (int i = 0; i < RACERS; i++) {
        w[i] = (struct worker){ .f = f, .id = i };
        assert_int_equal(pthread_create(&t[i], NULL, racer, &w[i]), 0);
    }
    for (int i = 0; i < RACERS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        if (w[i].result == HM_OK) {
            assert_true(w[i].committed);
            ok++;
        } else {
            assert_int_equal(w[i].result, HM_E_CONFLICT);
            assert_string_equal(w[i].blocking, "4.2.0");
            conflict++;
        }
    }
    (void)pthread_barrier_destroy(&f->go);
    assert_int_equal(ok, 1);
    assert_int_equal(conflict, RACERS - 1);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM releases"), 1);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM highest"), 1);
}

static void *
writer(void *arg)
{
    struct worker *w = arg;
    char product[32];
    char version[32];
    struct hm_store_audit a = { .route = "/v1/sign", .decision = "allow", .outcome = "signed" };

    (void)snprintf(product, sizeof(product), "product-%d", w->id);
    a.product = product;
    (void)pthread_barrier_wait(&w->f->go);
    for (int i = 0; i < PER_WRITER; i++) {
        (void)snprintf(version, sizeof(version), "1.%d.%d", i / 10, i % 10);
        if (st_sign(w->f->st, product, "stable", version, NULL) != HM_OK) {
            return NULL;
        }
        if (i % 10 == 0 && hm_store_audit(w->f->st, &a) != HM_OK) {
            return NULL;
        }
        w->ok++;
    }
    return NULL;
}

/* 8 threads x 200 increasing versions on their own products: all committed, in fewer
 * transactions than releases because concurrent commits share one. */
static void
test_store_group_commit(void **state)
{
    struct fx *f = *state;
    struct worker w[WRITERS];
    pthread_t t[WRITERS];
    struct hm_store_stats stats;
    char hi[64];

    assert_int_equal(pthread_barrier_init(&f->go, NULL, WRITERS), 0);
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (struct worker){ .f = f, .id = i };
        assert_int_equal(pthread_create(&t[i], NULL, writer, &w[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].ok, PER_WRITER);
    }
    (void)pthread_barrier_destroy(&f->go);
    hm_store_get_stats(f->st, &stats);
    print_message("group commit: %llu releases + %llu audits in %llu transactions, "
                  "largest %llu, mean %.2f ms\n",
                  (unsigned long long)stats.releases, (unsigned long long)stats.audits,
                  (unsigned long long)stats.commits, (unsigned long long)stats.max_batch,
                  (double)stats.commit_ns_total / (double)stats.commit_count / 1e6);
    assert_int_equal(stats.releases, WRITERS * PER_WRITER);
    assert_int_equal(stats.audits, WRITERS * PER_WRITER / 10);
    assert_true(stats.commits < stats.releases);
    assert_true(stats.max_batch > 1);
    assert_int_equal(stats.errors, 0);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM releases"), WRITERS * PER_WRITER);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM audit"),
                     WRITERS * PER_WRITER / 10);
    for (int i = 0; i < WRITERS; i++) {
        char product[32];

        (void)snprintf(product, sizeof(product), "product-%d", i);
        assert_int_equal(hm_store_highest(f->st, product, "stable", hi, sizeof(hi)), HM_OK);
        assert_string_equal(hi, "1.19.9");
    }
}

static void *
drainer(void *arg)
{
    struct worker *w = arg;
    char product[32];

    (void)snprintf(product, sizeof(product), "drain-%d", w->id);
    w->result = st_sign(w->f->st, product, "stable", "1.0.0", NULL);
    return NULL;
}

static void *
closer(void *arg)
{
    hm_store_close(arg);
    return NULL;
}

/* hm_store_close while commits wait (the database is held by another writer): every
 * waiter still gets its result, and every queued release is written. */
static void
test_store_close_drains_queue(void **state)
{
    struct fx *f = *state;
    struct worker w[WRITERS];
    pthread_t t[WRITERS];
    pthread_t c;
    struct hm_store_stats stats = { 0 };
    void *lock = st_lock_db(f->path);

    assert_non_null(lock);
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (struct worker){ .f = f, .id = i, .result = HM_E_INTERNAL };
        assert_int_equal(pthread_create(&t[i], NULL, drainer, &w[i]), 0);
    }
    for (int spin = 0; spin < 4000 && stats.pending < WRITERS; spin++) {
        (void)usleep(1000);
        hm_store_get_stats(f->st, &stats);
    }
    assert_int_equal(stats.pending, WRITERS);
    assert_int_equal(pthread_create(&c, NULL, closer, f->st), 0);
    f->st = NULL; /* closing: nobody else may use it now */
    (void)usleep(50 * 1000);
    st_unlock_db(lock);
    assert_int_equal(pthread_join(c, NULL), 0);
    for (int i = 0; i < WRITERS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].result, HM_OK);
    }
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM releases"), WRITERS);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_race_same_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_close_drains_queue, setup, teardown),
    };

    hm_log_set_level(HM_LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

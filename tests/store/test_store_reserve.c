/* test_store_reserve.c: anti-rollback through reservations and commits, two nodes on one
 * database, audit records, and the inputs the store refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "store_test.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

struct fx {
    char dir[256];
    char path[300];
    struct hm_store *st;
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

static void
test_store_reserve_commit_highest(void **state)
{
    struct fx *f = *state;
    struct hm_store_stats stats;
    char hi[64];

    assert_int_equal(hm_store_highest(f->st, "fw", "stable", hi, sizeof(hi)), HM_E_NOTFOUND);
    assert_string_equal(hi, "");
    assert_int_equal(st_sign(f->st, "fw", "stable", "1.4.2", NULL), HM_OK);
    assert_int_equal(hm_store_highest(f->st, "fw", "stable", hi, sizeof(hi)), HM_OK);
    assert_string_equal(hi, "1.4.2");
    assert_int_equal(st_sign(f->st, "fw", "stable", "1.10.0", NULL), HM_OK);
    assert_int_equal(hm_store_highest(f->st, "fw", "stable", hi, sizeof(hi)), HM_OK);
    assert_string_equal(hi, "1.10.0");
    /* each (product, channel) has its own line */
    assert_int_equal(st_sign(f->st, "fw", "beta", "1.0.0", NULL), HM_OK);
    assert_int_equal(st_sign(f->st, "fw2", "stable", "0.1.0", NULL), HM_OK);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM releases"), 4);
    assert_int_equal(hm_store_highest(f->st, "fw", "stable", hi, 4), HM_E_LIMIT);
    hm_store_get_stats(f->st, &stats);
    assert_true(stats.open);
    assert_int_equal(stats.releases, 4);
    assert_int_equal(stats.commits, 4);
    assert_int_equal(stats.errors, 0);
    assert_true(stats.commit_ns_total > 0);
}

/* Equal, lower and equal-but-for-build-metadata versions: HM_E_CONFLICT naming the blocker. */
static void
test_store_rollback_refused(void **state)
{
    static const char *const refused[] = { "2.0.0", "1.9.9", "2.0.0+rebuild", "2.0.0-rc.9",
                                           "0.0.1" };
    struct fx *f = *state;
    struct hm_store_resv *r = NULL;
    char hi[64];

    assert_int_equal(st_sign(f->st, "fw", "stable", "2.0.0", NULL), HM_OK);
    for (size_t i = 0; i < N_OF(refused); i++) {
        memset(hi, 'x', sizeof(hi));
        assert_int_equal(hm_store_reserve(f->st, "fw", "stable", refused[i], &r, hi, sizeof(hi)),
                         HM_E_CONFLICT);
        assert_null(r);
        assert_string_equal(hi, "2.0.0");
    }
    assert_int_equal(hm_store_reserve(f->st, "fw", "stable", "2.0.1", &r, hi, sizeof(hi)), HM_OK);
    assert_non_null(r);
    assert_string_equal(hi, "");
    hm_store_cancel(f->st, r);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM releases"), 1);
}

/* The semver.org chain, signed in order, then every earlier one refused. */
static void
test_store_prerelease_order(void **state)
{
    static const char *const chain[] = { "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                         "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                                         "1.0.0-rc.1",  "1.0.0" };
    struct fx *f = *state;
    struct hm_store_resv *r = NULL;
    char hi[64];

    for (size_t i = 0; i < N_OF(chain); i++) {
        assert_int_equal(st_sign(f->st, "fw", "stable", chain[i], NULL), HM_OK);
    }
    for (size_t i = 0; i < N_OF(chain); i++) {
        assert_int_equal(hm_store_reserve(f->st, "fw", "stable", chain[i], &r, hi, sizeof(hi)),
                         HM_E_CONFLICT);
        assert_null(r);
        assert_string_equal(hi, "1.0.0");
    }
    /* on a fresh line, beta.11 first blocks beta.2: numbers compare as numbers */
    assert_int_equal(st_sign(f->st, "fw", "rc", "1.0.0-beta.11", NULL), HM_OK);
    assert_int_equal(hm_store_reserve(f->st, "fw", "rc", "1.0.0-beta.2", &r, hi, sizeof(hi)),
                     HM_E_CONFLICT);
    assert_string_equal(hi, "1.0.0-beta.11");
}

/* A reservation in flight blocks equal and lower versions; cancel frees it. */
static void
test_store_reservation_in_flight(void **state)
{
    struct fx *f = *state;
    struct hm_store_resv *r1 = NULL;
    struct hm_store_resv *r2 = NULL;
    struct hm_store_resv *r3 = NULL;
    struct hm_store_release rel = { .time = 1 };
    char hi[64];

    assert_int_equal(hm_store_reserve(f->st, "fw", "stable", "3.0.0", &r1, hi, sizeof(hi)), HM_OK);
    assert_int_equal(hm_store_reserve(f->st, "fw", "stable", "3.0.0", &r2, hi, sizeof(hi)),
                     HM_E_CONFLICT);
    assert_null(r2);
    assert_string_equal(hi, "3.0.0");
    assert_int_equal(hm_store_reserve(f->st, "fw", "stable", "2.9.0", &r2, hi, sizeof(hi)),
                     HM_E_CONFLICT);
    assert_string_equal(hi, "3.0.0");
    /* a higher version may go ahead; it then blocks the lower one at commit */
    assert_int_equal(hm_store_reserve(f->st, "fw", "stable", "3.0.1", &r3, hi, sizeof(hi)), HM_OK);
    assert_int_equal(hm_store_commit(f->st, r3, &rel), HM_OK);
    assert_int_equal(hm_store_commit(f->st, r1, &rel), HM_E_CONFLICT);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM releases"), 1);

    /* reserve, cancel, reserve again */
    assert_int_equal(hm_store_reserve(f->st, "fw", "stable", "3.1.0", &r1, hi, sizeof(hi)), HM_OK);
    hm_store_cancel(f->st, r1);
    assert_int_equal(hm_store_reserve(f->st, "fw", "stable", "3.1.0", &r1, hi, sizeof(hi)), HM_OK);
    assert_int_equal(hm_store_commit(f->st, r1, &rel), HM_OK);
    assert_int_equal(hm_store_highest(f->st, "fw", "stable", hi, sizeof(hi)), HM_OK);
    assert_string_equal(hi, "3.1.0");
    hm_store_cancel(f->st, NULL);
}

/* Two daemons on one database (the several-nodes case): both reserve the same version,
 * the database's check lets exactly one commit. */
static void
test_store_two_nodes_one_database(void **state)
{
    struct fx *f = *state;
    struct hm_store *other = NULL;
    struct hm_store_resv *ra = NULL;
    struct hm_store_resv *rb = NULL;
    struct hm_store_release rel = { .time = 2 };
    char hi[64];

    assert_int_equal(hm_store_open(f->path, &other), HM_OK);
    assert_int_equal(hm_store_reserve(f->st, "fw", "stable", "5.0.0", &ra, hi, sizeof(hi)), HM_OK);
    assert_int_equal(hm_store_reserve(other, "fw", "stable", "5.0.0", &rb, hi, sizeof(hi)), HM_OK);
    assert_int_equal(hm_store_commit(f->st, ra, &rel), HM_OK);
    assert_int_equal(hm_store_commit(other, rb, &rel), HM_E_CONFLICT);
    /* the loser learnt the winner's version */
    assert_int_equal(hm_store_reserve(other, "fw", "stable", "5.0.0", &rb, hi, sizeof(hi)),
                     HM_E_CONFLICT);
    assert_string_equal(hi, "5.0.0");
    hm_store_close(other);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM releases"), 1);
}

/* A highest row that is not SemVer (a tampered or corrupt database) blocks signing on
 * that line instead of letting any version through. */
static void
test_store_corrupt_highest_fails_closed(void **state)
{
    struct fx *f = *state;
    struct hm_store_resv *r = NULL;
    char hi[64];

    assert_int_equal(st_sign(f->st, "fw", "stable", "1.0.0", NULL), HM_OK);
    hm_store_close(f->st);
    f->st = NULL;
    assert_int_equal(st_exec(f->path, "UPDATE releases SET version = 'garbage';"
                                      "UPDATE highest SET version = 'garbage'"),
                     0);
    assert_int_equal(hm_store_open(f->path, &f->st), HM_OK);
    assert_int_equal(hm_store_reserve(f->st, "fw", "stable", "99.0.0", &r, hi, sizeof(hi)),
                     HM_E_CONFLICT);
    assert_null(r);
    assert_string_equal(hi, "garbage");
    /* other lines are unaffected */
    assert_int_equal(st_sign(f->st, "fw", "beta", "1.0.0", NULL), HM_OK);
}

/* What the store refuses before anything is queued; nothing is handed out. */
static void
test_store_reserve_hostile(void **state)
{
    static char long_name[HM_STORE_MAX_FIELD + 2];
    static const struct {
        const char *product, *channel, *version;
        hm_err want;
    } cases[] = {
        { "fw", "stable", "v1.0.0", HM_E_INVALID },   { "fw", "stable", "1.0", HM_E_INVALID },
        { "fw", "stable", "01.0.0", HM_E_INVALID },   { "fw", "stable", "", HM_E_INVALID },
        { "fw", "stable", NULL, HM_E_INVALID },       { "", "stable", "1.0.0", HM_E_INVALID },
        { "fw", "", "1.0.0", HM_E_INVALID },          { NULL, "stable", "1.0.0", HM_E_INVALID },
        { long_name, "stable", "1.0.0", HM_E_LIMIT }, { "fw", long_name, "1.0.0", HM_E_LIMIT },
    };
    struct fx *f = *state;
    struct hm_store_resv *r = NULL;
    char hi[64];

    memset(long_name, 'p', sizeof(long_name) - 1);
    for (size_t i = 0; i < N_OF(cases); i++) {
        assert_int_equal(hm_store_reserve(f->st, cases[i].product, cases[i].channel,
                                          cases[i].version, &r, hi, sizeof(hi)),
                         cases[i].want);
        assert_null(r);
    }
}

/* A commit whose record does not match its reservation is refused and frees it. */
static void
test_store_commit_hostile(void **state)
{
    static const struct hm_store_release bad[] = {
        { .product = "other", .time = 1 },
        { .channel = "beta", .time = 1 },
        { .version = "1.0.1", .time = 1 },
        { .request_sha256 = "ABCD", .time = 1 },
        { .request_sha256 = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08" },
        { .key_id = "", .time = 1 },
    };
    struct fx *f = *state;
    struct hm_store_resv *r = NULL;
    char hi[64];

    for (size_t i = 0; i < N_OF(bad); i++) {
        assert_int_equal(hm_store_reserve(f->st, "fw", "stable", "1.0.0", &r, hi, sizeof(hi)),
                         HM_OK);
        assert_int_equal(hm_store_commit(f->st, r, &bad[i]), HM_E_INVALID);
    }
    assert_int_equal(hm_store_commit(f->st, NULL, &bad[0]), HM_E_INVALID);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM releases"), 0);
    /* every refused commit released its reservation */
    assert_int_equal(st_sign(f->st, "fw", "stable", "1.0.0", NULL), HM_OK);
}

static void
test_store_audit_hostile(void **state)
{
    static const struct hm_store_audit bad[] = {
        { .route = "/v1/sign", .decision = "maybe", .outcome = "x" },
        { .route = "/v1/sign", .decision = NULL, .outcome = "x" },
        { .route = NULL, .decision = "deny", .outcome = "x" },
        { .route = "/v1/sign", .decision = "deny", .outcome = NULL },
        { .route = "/v1/sign", .decision = "deny", .outcome = "x", .request_sha256 = "00" },
    };
    struct fx *f = *state;

    for (size_t i = 0; i < N_OF(bad); i++) {
        assert_int_equal(hm_store_audit(f->st, &bad[i]), HM_E_INVALID);
    }
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM audit"), 0);
}

/* Audit records and releases are durable when the call returns: a child process writes
 * them and exits without closing the store; the parent finds them all. */
static void
test_store_durable_on_return(void **state)
{
    struct fx *f = *state;
    char hi[64];
    int status = 0;
    pid_t pid;

    /* no SQLite connection may cross a fork (its lock bookkeeping is per process) */
    hm_store_close(f->st);
    f->st = NULL;
    pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        struct hm_store *st = NULL;
        struct hm_store_audit a = { .client_id = "CN=ci",
                                    .route = "/v1/sign",
                                    .product = "fw",
                                    .version = "not-semver",
                                    .decision = "deny",
                                    .outcome = "rollback",
                                    .time = 7 };

        if (hm_store_open(f->path, &st) != HM_OK) {
            _exit(2);
        }
        for (int i = 0; i < 25; i++) {
            if (hm_store_audit(st, &a) != HM_OK) {
                _exit(3);
            }
        }
        _exit(st_sign(st, "fw", "stable", "9.0.0", NULL) == HM_OK ? 0 : 4);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM audit WHERE decision = 'deny' "
                                           "AND outcome = 'rollback' AND version = 'not-semver'"),
                     25);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM releases"), 1);
    assert_int_equal(hm_store_open(f->path, &f->st), HM_OK);
    assert_int_equal(hm_store_highest(f->st, "fw", "stable", hi, sizeof(hi)), HM_OK);
    assert_string_equal(hi, "9.0.0");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_reserve_commit_highest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_rollback_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_prerelease_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_reservation_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_two_nodes_one_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_corrupt_highest_fails_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_reserve_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_commit_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_audit_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_durable_on_return, setup, teardown),
    };

    hm_log_set_level(HM_LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

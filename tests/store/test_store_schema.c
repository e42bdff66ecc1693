/* test_store_schema.c: opening, the file's mode, schema migration, refusing what it cannot
 * trust, and data surviving close and reopen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store_test.h"

struct fx {
    char dir[256];
    char path[300];
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    if (f == NULL) {
        return -1;
    }
    st_tmpdir(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    st_rmdir(f->dir);
    free(f);
    return 0;
}

/* A new database: mode 0600, WAL, schema version 1 with its tables; a reopen migrates
 * nothing twice. */
static void
test_store_open_creates_and_migrates(void **state)
{
    struct fx *f = *state;
    struct hm_store *st = NULL;
    struct stat sb;

    assert_int_equal(hm_store_open(f->path, &st), HM_OK);
    assert_non_null(st);
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(st_query_int(f->path, "SELECT MAX(version) FROM schema_version"), 2);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM sqlite_schema WHERE type = "
                                           "'table' AND name IN ('releases','highest','audit',"
                                           "'log_leaves','log_nodes','log_checkpoints')"),
                     6);
    hm_store_close(st);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM pragma_journal_mode "
                                           "WHERE journal_mode = 'wal'"),
                     1);

    st = NULL;
    assert_int_equal(hm_store_open(f->path, &st), HM_OK);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM schema_version"), 2);
    hm_store_close(st);
}

static void
test_store_url_forms(void **state)
{
    struct fx *f = *state;
    char url[400];
    struct hm_store *st = NULL;

    (void)snprintf(url, sizeof(url), "sqlite:%s", f->path);
    assert_int_equal(hm_store_open(url, &st), HM_OK);
    hm_store_close(st);
    (void)snprintf(url, sizeof(url), "sqlite://%s", f->path);
    assert_int_equal(hm_store_open(url, &st), HM_OK);
    hm_store_close(st);
    st = NULL;
    assert_int_equal(hm_store_open("postgresql://db.example/hallmark", &st), HM_E_INVALID);
    assert_null(st);
    assert_int_equal(hm_store_open("sqlite:", &st), HM_E_INVALID);
    assert_null(st);
}

/* A database from a newer Hallmark is refused, and left as it was. */
static void
test_store_refuses_newer_schema(void **state)
{
    struct fx *f = *state;
    struct hm_store *st = NULL;

    assert_int_equal(hm_store_open(f->path, &st), HM_OK);
    assert_int_equal(st_sign(st, "fw", "stable", "1.0.0", NULL), HM_OK);
    hm_store_close(st);
    assert_int_equal(st_exec(f->path, "INSERT INTO schema_version VALUES (3, 0)"), 0);
    st = NULL;
    assert_int_equal(hm_store_open(f->path, &st), HM_E_INVALID);
    assert_null(st);
    assert_int_equal(st_query_int(f->path, "SELECT MAX(version) FROM schema_version"), 3);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM releases"), 1);
}

/* Files that are not ours: not a database, a symlink, a folder, a missing folder. */
static void
test_store_refuses_foreign_files(void **state)
{
    struct fx *f = *state;
    char other[320];
    struct hm_store *st = NULL;
    FILE *fp = fopen(f->path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs("this is not a database, it is a long enough text file ...\n", fp) >= 0,
                     1);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(hm_store_open(f->path, &st), HM_E_INVALID);
    assert_null(st);

    (void)snprintf(other, sizeof(other), "%s/link.db", f->dir);
    assert_int_equal(symlink(f->path, other), 0);
    assert_int_equal(hm_store_open(other, &st), HM_E_IO); /* O_NOFOLLOW */
    assert_null(st);
    assert_int_equal(hm_store_open(f->dir, &st), HM_E_IO); /* a folder */
    assert_null(st);
    (void)snprintf(other, sizeof(other), "%s/missing/x.db", f->dir);
    assert_int_equal(hm_store_open(other, &st), HM_E_IO);
    assert_null(st);
}

static void
test_store_data_survives_reopen(void **state)
{
    struct fx *f = *state;
    struct hm_store *st = NULL;
    struct hm_store_audit a = { .route = "/v1/sign", .decision = "allow", .outcome = "signed" };
    char hi[HM_STORE_MAX_FIELD];
    struct hm_store_resv *r = NULL;

    assert_int_equal(hm_store_open(f->path, &st), HM_OK);
    assert_int_equal(st_sign(st, "fw", "stable", "1.2.0", "[{\"name\":\"a.bin\"}]"), HM_OK);
    assert_int_equal(st_sign(st, "fw", "beta", "2.0.0-rc.1", NULL), HM_OK);
    assert_int_equal(hm_store_audit(st, &a), HM_OK);
    hm_store_close(st);

    st = NULL;
    assert_int_equal(hm_store_open(f->path, &st), HM_OK);
    assert_int_equal(hm_store_highest(st, "fw", "stable", hi, sizeof(hi)), HM_OK);
    assert_string_equal(hi, "1.2.0");
    assert_int_equal(hm_store_highest(st, "fw", "beta", hi, sizeof(hi)), HM_OK);
    assert_string_equal(hi, "2.0.0-rc.1");
    /* the anti-rollback state came back too, not just the rows */
    assert_int_equal(hm_store_reserve(st, "fw", "stable", "1.2.0", &r, hi, sizeof(hi)),
                     HM_E_CONFLICT);
    assert_null(r);
    assert_string_equal(hi, "1.2.0");
    hm_store_close(st);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM releases"), 2);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM audit"), 1);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM releases WHERE artifacts_json = "
                                           "'[{\"name\":\"a.bin\"}]' AND time = 1767225600"),
                     1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_open_creates_and_migrates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_url_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_refuses_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_refuses_foreign_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_data_survives_reopen, setup, teardown),
    };

    hm_log_set_level(HM_LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

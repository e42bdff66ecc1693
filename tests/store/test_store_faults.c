/* test_store_faults.c: a database that cannot be written.  A full disk (a 1 MiB tmpfs)
 * and a file size limit (RLIMIT_FSIZE) each give HM_E_IO, lose nothing committed before,
 * write nothing of the failed batch, and the store works again once space is back. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "store_test.h"

#define BIG_JSON_BYTES (300 * 1024)

static char *
big_json(void)
{
    char *s = malloc(BIG_JSON_BYTES + 1);

    assert_non_null(s);
    memset(s, 'a', BIG_JSON_BYTES);
    s[0] = '"';
    s[BIG_JSON_BYTES - 1] = '"';
    s[BIG_JSON_BYTES] = '\0';
    return s;
}

/* Fills the filesystem holding dir; returns the filler's path. */
static void
fill_disk(const char *dir, char *filler, size_t filler_len)
{
    static char block[4096];
    int fd;

    (void)snprintf(filler, filler_len, "%s/filler", dir);
    fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    memset(block, 0x5a, sizeof(block));
    for (;;) {
        ssize_t n = write(fd, block, sizeof(block));

        if (n <= 0) {
            assert_int_equal(errno, ENOSPC);
            break;
        }
    }
    assert_int_equal(close(fd), 0);
}

/* Before, during and after a failure: what the database must hold. */
static void
check_after_failure(struct hm_store *st, const char *path, long long before)
{
    struct hm_store_stats stats;
    char hi[64];

    hm_store_get_stats(st, &stats);
    assert_int_equal(stats.errors, 1);
    assert_int_equal(st_query_int(path, "SELECT COUNT(*) FROM releases"), before);
    assert_int_equal(hm_store_highest(st, "fw", "stable", hi, sizeof(hi)), HM_OK);
    assert_string_equal(hi, "1.0.4");
}

static void
sign_five(struct hm_store *st)
{
    static const char *const v[] = { "1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4" };

    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(st_sign(st, "fw", "stable", v[i], NULL), HM_OK);
    }
}

static void
test_store_disk_full(void **state)
{
    char dir[256];
    char path[300];
    char filler[300];
    struct hm_store *st = NULL;
    char *json = big_json();

    (void)state;
    st_tmpdir(dir, sizeof(dir), path, sizeof(path));
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0700") != 0) {
        print_message("skipping the full-disk case: cannot mount a tmpfs here (%s)\n",
                      strerror(errno));
        st_rmdir(dir);
        free(json);
        skip();
    }
    assert_int_equal(hm_store_open(path, &st), HM_OK);
    sign_five(st);
    fill_disk(dir, filler, sizeof(filler));

    assert_int_equal(st_sign(st, "fw", "stable", "1.0.5", json), HM_E_IO);
    check_after_failure(st, path, 5);

    /* space is back: the same version goes through (its reservation was released) */
    assert_int_equal(unlink(filler), 0);
    assert_int_equal(st_sign(st, "fw", "stable", "1.0.5", json), HM_OK);
    hm_store_close(st);
    st = NULL;
    assert_int_equal(hm_store_open(path, &st), HM_OK);
    assert_int_equal(st_query_int(path, "SELECT COUNT(*) FROM releases"), 6);
    assert_int_equal(
        st_query_int(path, "SELECT length(artifacts_json) FROM releases WHERE version = '1.0.5'"),
        BIG_JSON_BYTES);
    hm_store_close(st);
    assert_int_equal(umount2(dir, MNT_DETACH), 0);
    st_rmdir(dir);
    free(json);
}

static void
test_store_file_size_limit(void **state)
{
    char dir[256];
    char path[300];
    struct hm_store *st = NULL;
    struct rlimit saved;
    struct rlimit low;
    char *json = big_json();

    (void)state;
    st_tmpdir(dir, sizeof(dir), path, sizeof(path));
    assert_int_equal(hm_store_open(path, &st), HM_OK);
    sign_five(st);

    /* writes past 128 KiB fail with EFBIG (SIGXFSZ ignored, as a daemon would) */
    assert_true(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    low = saved;
    low.rlim_cur = 128 * 1024;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &low), 0);
    assert_int_equal(st_sign(st, "fw", "stable", "1.0.5", json), HM_E_IO);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    check_after_failure(st, path, 5);

    assert_int_equal(st_sign(st, "fw", "stable", "1.0.5", json), HM_OK);
    hm_store_close(st);
    assert_int_equal(st_query_int(path, "SELECT COUNT(*) FROM releases"), 6);
    st_rmdir(dir);
    free(json);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_disk_full),
        cmocka_unit_test(test_store_file_size_limit),
    };

    hm_log_set_level(HM_LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

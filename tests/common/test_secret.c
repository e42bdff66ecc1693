/* test_secret.c: secrets come from files and variables, never from loose files. */
#include <fcntl.h>
#include <hm/common.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[256];

static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "%s/hm-secret-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static void
test_secret_from_file(void **state)
{
    char path[300], src[310];
    struct hm_secret *s = NULL;

    (void)state;
    snprintf(path, sizeof(path), "%s/pin", dir);
    write_file(path, "s3cret\r\n", 0600);
    assert_int_equal(hm_secret_from_file(path, &s), HM_OK);
    assert_int_equal(s->len, 6);
    assert_string_equal((char *)s->buf, "s3cret");
    hm_secret_free(s);
    snprintf(src, sizeof(src), "file:%s", path);
    assert_int_equal(hm_secret_from_source(src, &s), HM_OK);
    assert_string_equal((char *)s->buf, "s3cret");
    hm_secret_free(s);
}

static void
test_secret_refuses_loose_or_bad_files(void **state)
{
    char path[300];
    struct hm_secret *s = NULL;

    (void)state;
    snprintf(path, sizeof(path), "%s/loose", dir);
    write_file(path, "s3cret", 0644);
    assert_int_equal(hm_secret_from_file(path, &s), HM_E_DENIED); /* world-readable */
    assert_null(s);
    snprintf(path, sizeof(path), "%s/empty", dir);
    write_file(path, "\n", 0600);
    assert_int_equal(hm_secret_from_file(path, &s), HM_E_INVALID);
    assert_null(s);
    snprintf(path, sizeof(path), "%s/absent", dir);
    assert_int_equal(hm_secret_from_file(path, &s), HM_E_NOTFOUND);
    assert_int_equal(hm_secret_from_source("relative/pin", &s), HM_E_INVALID);
    assert_null(s);
}

static void
test_secret_from_env(void **state)
{
    struct hm_secret *s = NULL;

    (void)state;
    setenv("HM_TEST_PIN", "1234abcd", 1);
    assert_int_equal(hm_secret_from_source("env:HM_TEST_PIN", &s), HM_OK);
    assert_string_equal((char *)s->buf, "1234abcd");
    hm_secret_free(s);
    unsetenv("HM_TEST_PIN");
    assert_int_equal(hm_secret_from_source("env:HM_TEST_PIN", &s), HM_E_NOTFOUND);
    assert_null(s);
}

static void
test_secret_random_pin_and_write(void **state)
{
    struct hm_secret *a = NULL, *b = NULL, *c = NULL;
    char path[300];
    struct stat st;

    (void)state;
    assert_int_equal(hm_secret_random_pin(32, &a), HM_OK);
    assert_int_equal(hm_secret_random_pin(32, &b), HM_OK);
    assert_int_equal(a->len, 32);
    assert_int_not_equal(memcmp(a->buf, b->buf, 32), 0);
    snprintf(path, sizeof(path), "%s/new.pin", dir);
    assert_int_equal(hm_secret_write_file(a, path), HM_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(hm_secret_write_file(b, path), HM_E_CONFLICT); /* never overwrites */
    assert_int_equal(hm_secret_from_file(path, &c), HM_OK);
    assert_memory_equal(c->buf, a->buf, 32);
    hm_secret_free(a);
    hm_secret_free(b);
    hm_secret_free(c);
    hm_secret_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_from_file),
        cmocka_unit_test(test_secret_refuses_loose_or_bad_files),
        cmocka_unit_test(test_secret_from_env),
        cmocka_unit_test(test_secret_random_pin_and_write),
    };
    hm_log_set_level(HM_LOG_ERROR);
    return cmocka_run_group_tests(tests, setup, teardown);
}

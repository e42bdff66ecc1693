/*
 * test_hsm_open.c: opening a token and setting one up.  A wrong PIN is HM_E_DENIED and
 * no PIN, wrong or right, ever reaches the log; hostile URIs and state folders are
 * refused with the exact error and nothing handed out.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hsm_test_util.h"

static void
write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

static char *
uri_with_pin(const struct hsm_fixture *fx, const char *pin_source)
{
    char *uri = malloc(2 * PATH_MAX);

    snprintf(uri, 2 * PATH_MAX, "pkcs11:token=%s?module-path=" HM_SOFTHSM_MODULE "&pin-source=%s",
             fx->label, pin_source);
    return uri;
}

static void
test_wrong_pin_denied_and_never_logged(void **state)
{
    static const char wrong[] = "WrongPin-8Hq2xZ";
    struct hsm_fixture fx;
    struct hm_hsm *h = NULL;
    char path[PATH_MAX], src[PATH_MAX + 8], *uri, *log, *right, *user_pin;

    (void)state;
    assert_int_equal(hsm_fixture_setup(&fx, "pins"), 0);
    snprintf(path, sizeof(path), "%s/user.pin", fx.dir);
    right = hsm_read_text(path);
    assert_non_null(right);
    assert_int_equal(strlen(right), 32);

    snprintf(path, sizeof(path), "%s/wrong.pin", fx.dir);
    write_file(path, wrong, 0600);
    snprintf(src, sizeof(src), "file:%s", path);
    uri = uri_with_pin(&fx, src);
    hsm_capture_begin();
    h = (struct hm_hsm *)&h;
    assert_int_equal(hm_hsm_open(uri, NULL, &h), HM_E_DENIED);
    log = hsm_capture_end();
    assert_null(h);
    assert_non_null(strstr(log, "CKR_PIN_INCORRECT"));
    assert_null(strstr(log, wrong));
    assert_null(strstr(log, right));
    free(log);
    free(uri);

    /* the same through an environment variable */
    setenv("HM_TEST_PIN", wrong, 1);
    uri = uri_with_pin(&fx, "env:HM_TEST_PIN");
    hsm_capture_begin();
    assert_int_equal(hm_hsm_open(uri, NULL, &h), HM_E_DENIED);
    log = hsm_capture_end();
    assert_null(h);
    assert_null(strstr(log, wrong));
    assert_null(strstr(log, right));
    free(log);

    /* and the right PIN from the same variable opens it */
    setenv("HM_TEST_PIN", right, 1);
    hsm_capture_begin();
    assert_int_equal(hm_hsm_open(uri, NULL, &h), HM_OK);
    log = hsm_capture_end();
    assert_null(strstr(log, right));
    free(log);
    hm_hsm_close(h);
    unsetenv("HM_TEST_PIN");
    free(uri);

    /* the PIN file left as it was */
    snprintf(path, sizeof(path), "%s/user.pin", fx.dir);
    user_pin = hsm_read_text(path);
    assert_string_equal(user_pin, right);
    free(user_pin);
    free(right);
    hsm_fixture_teardown(&fx);
}

static void
test_open_refuses(void **state)
{
    struct hsm_fixture fx;
    struct hm_hsm_opts big = { .sessions = 100000 };
    char libc[PATH_MAX], loose[PATH_MAX], good[PATH_MAX + 16];
    Dl_info info;

    (void)state;
    assert_int_equal(hsm_fixture_setup(&fx, "refuse"), 0);
    assert_true(dladdr((void *)printf, &info) != 0 && info.dli_fname[0] == '/');
    snprintf(libc, sizeof(libc), "%s", info.dli_fname);
    snprintf(loose, sizeof(loose), "%s/loose.pin", fx.dir);
    write_file(loose, "12345678", 0644);
    snprintf(good, sizeof(good), "file:%s/user.pin", fx.dir);

    struct {
        char uri[3 * PATH_MAX];
        const struct hm_hsm_opts *opts;
        hm_err want;
    } cases[12];
    size_t n = 0;
    snprintf(cases[n].uri, sizeof(cases[n].uri), "pkcs11:token=nosuch?pin-source=%s", good);
    cases[n].opts = NULL;
    cases[n++].want = HM_E_NOTFOUND;
    snprintf(cases[n].uri, sizeof(cases[n].uri), "pkcs11:token=%s?pin-value=1234", fx.label);
    cases[n].opts = NULL;
    cases[n++].want = HM_E_INVALID;
    snprintf(cases[n].uri, sizeof(cases[n].uri),
             "pkcs11:token=%s?module-path=libsofthsm2.so&pin-source=%s", fx.label, good);
    cases[n].opts = NULL;
    cases[n++].want = HM_E_INVALID; /* never searched in LD_LIBRARY_PATH */
    snprintf(cases[n].uri, sizeof(cases[n].uri),
             "pkcs11:token=%s?module-path=/nonexistent/p11.so&pin-source=%s", fx.label, good);
    cases[n].opts = NULL;
    cases[n++].want = HM_E_NOTFOUND;
    snprintf(cases[n].uri, sizeof(cases[n].uri), "pkcs11:token=%s?module-path=%s&pin-source=%s",
             fx.label, libc, good);
    cases[n].opts = NULL;
    cases[n++].want = HM_E_BACKEND; /* not a PKCS#11 module */
    snprintf(cases[n].uri, sizeof(cases[n].uri), "pkcs11:token=%s?pin-source=file:%s/missing.pin",
             fx.label, fx.dir);
    cases[n].opts = NULL;
    cases[n++].want = HM_E_NOTFOUND;
    snprintf(cases[n].uri, sizeof(cases[n].uri), "pkcs11:token=%s?pin-source=file:%s", fx.label,
             loose);
    cases[n].opts = NULL;
    cases[n++].want = HM_E_DENIED; /* group/world-readable PIN file */
    snprintf(cases[n].uri, sizeof(cases[n].uri), "pkcs11:token=%s?pin-source=relative.pin",
             fx.label);
    cases[n].opts = NULL;
    cases[n++].want = HM_E_INVALID;
    snprintf(cases[n].uri, sizeof(cases[n].uri), "pkcs11:token=%s", fx.label);
    cases[n].opts = NULL;
    cases[n++].want = HM_E_INVALID; /* the token needs a login and there is no pin-source */
    snprintf(cases[n].uri, sizeof(cases[n].uri), "%s", fx.uri);
    cases[n].opts = &big;
    cases[n++].want = HM_E_LIMIT;
    snprintf(cases[n].uri, sizeof(cases[n].uri), "tpm2:frobnicate=1"); /* unknown attribute */
    cases[n].opts = NULL;
    cases[n++].want = HM_E_INVALID;

    for (size_t i = 0; i < n; i++) {
        struct hm_hsm *h = (struct hm_hsm *)&h;
        hm_err got = hm_hsm_open(cases[i].uri, cases[i].opts, &h);
        if (got != cases[i].want) {
            fail_msg("case %zu (%s): got %s", i, cases[i].uri, hm_strerror(got));
        }
        assert_null(h);
    }
    hsm_fixture_teardown(&fx);
}

static void
test_init_token_refuses_and_protects(void **state)
{
    struct hsm_fixture fx;
    char path[PATH_MAX], *pin1, *pin2, *conf;
    struct stat st;
    char dir2[1100];

    (void)state;
    assert_int_equal(hsm_fixture_setup(&fx, "init"), 0);
    snprintf(path, sizeof(path), "%s/user.pin", fx.dir);
    pin1 = hsm_read_text(path);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/so.pin", fx.dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* twice in the same folder: refused, nothing overwritten */
    assert_int_equal(hm_softhsm_init_token(fx.dir, "init", NULL), HM_E_CONFLICT);
    assert_int_equal(hm_softhsm_init_token(fx.dir, "other", NULL), HM_E_CONFLICT);
    snprintf(path, sizeof(path), "%s/user.pin", fx.dir);
    pin2 = hsm_read_text(path);
    assert_string_equal(pin1, pin2);
    free(pin1);
    free(pin2);

    /* the configuration points into the folder, never at the system token store */
    snprintf(path, sizeof(path), "%s/softhsm2.conf", fx.dir);
    conf = hsm_read_text(path);
    assert_non_null(strstr(conf, "directories.tokendir = "));
    assert_non_null(strstr(conf, fx.dir));
    assert_null(strstr(conf, "/var/lib/softhsm"));
    free(conf);

    /* a tokens/ folder that already holds something, without a config */
    snprintf(dir2, sizeof(dir2), "%s/second", fx.dir);
    assert_int_equal(mkdir(dir2, 0700), 0);
    snprintf(path, sizeof(path), "%s/tokens", dir2);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/tokens/some-token", dir2);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(hm_softhsm_init_token(dir2, "second", NULL), HM_E_CONFLICT);

    /* labels a token cannot hold */
    assert_int_equal(hm_softhsm_init_token(dir2, "123456789012345678901234567890123", NULL),
                     HM_E_INVALID);
    assert_int_equal(hm_softhsm_init_token(dir2, "a\nb", NULL), HM_E_INVALID);
    assert_int_equal(hm_softhsm_init_token(dir2, "trailing ", NULL), HM_E_INVALID);
    assert_int_equal(hm_softhsm_init_token(dir2, "", NULL), HM_E_INVALID);
    hsm_fixture_teardown(&fx);
}

static void
test_use_state_sets_conf_once(void **state)
{
    struct hsm_fixture fx;
    char *saved, want[PATH_MAX + 32], *real;

    (void)state;
    assert_int_equal(hsm_fixture_setup(&fx, "state"), 0);
    saved = strdup(getenv("SOFTHSM2_CONF"));
    unsetenv("SOFTHSM2_CONF");
    hm_softhsm_use_state("/nonexistent-hallmark-state");
    assert_null(getenv("SOFTHSM2_CONF"));
    hm_softhsm_use_state(fx.dir);
    snprintf(want, sizeof(want), "%s/softhsm2.conf", fx.dir);
    real = realpath(want, NULL);
    assert_non_null(getenv("SOFTHSM2_CONF"));
    assert_string_equal(getenv("SOFTHSM2_CONF"), real);
    setenv("SOFTHSM2_CONF", "/elsewhere.conf", 1);
    hm_softhsm_use_state(fx.dir); /* an explicit setting wins */
    assert_string_equal(getenv("SOFTHSM2_CONF"), "/elsewhere.conf");
    setenv("SOFTHSM2_CONF", saved, 1);
    free(saved);
    free(real);
    hsm_fixture_teardown(&fx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrong_pin_denied_and_never_logged),
        cmocka_unit_test(test_open_refuses),
        cmocka_unit_test(test_init_token_refuses_and_protects),
        cmocka_unit_test(test_use_state_sets_conf_once),
    };

    hm_log_set_level(HM_LOG_INFO);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

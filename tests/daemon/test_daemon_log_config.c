/*
 * test_daemon_log_config.c: the "tlog" section of hallmarkd's config (config_tlog.c):
 * defaults, and for each fault the key path it names; restart-only comparison.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tlogd.h"

static const char head[] =
    "{\"tls\": {\"cert\": \"/c.pem\", \"key\": \"/k.pem\", \"client_ca\": "
    "\"/ca.pem\"}, \"hsm\": {\"uri\": \"pkcs11:token=t?pin-source=file:/p\"},"
    " \"store\": \"sqlite:/tmp/h.db\", \"products\": [{\"name\": \"acme\", "
    "\"key\": \"fw-p256\", \"clients\": [\"cn:ci\"]}]";

static hm_err
parse(const char *tlog, struct hmd_config **cfg, struct hmd_cfg_error *err)
{
    char text[2048];

    if (tlog != NULL) {
        snprintf(text, sizeof(text), "%s, \"tlog\": %s}", head, tlog);
    } else {
        snprintf(text, sizeof(text), "%s}", head);
    }
    *cfg = NULL;
    return hmd_config_parse(text, strlen(text), "t.json", cfg, err);
}

static void
test_tlog_defaults_and_values(void **state)
{
    struct hmd_config *cfg = NULL;
    struct hmd_cfg_error err;

    (void)state;
    assert_int_equal(
        parse("{\"origin\": \"log.acme.example/hallmark\", \"key\": \"log-ed25519\"}", &cfg, &err),
        HM_OK);
    assert_non_null(cfg->tlog);
    assert_string_equal(cfg->tlog->origin, "log.acme.example/hallmark");
    assert_string_equal(cfg->tlog->key_uri, "pkcs11:object=log-ed25519");
    assert_int_equal(cfg->tlog->max_batch_delay_ms, HMD_TLOG_DEFAULT_DELAY_MS);
    assert_int_equal(cfg->tlog->max_batch, HMD_TLOG_DEFAULT_BATCH);
    hmd_config_free(cfg);
    assert_int_equal(parse("{\"key\": \"pkcs11:token=t;object=log\", \"max_batch_delay_ms\": 0, "
                           "\"max_batch\": 1024}",
                           &cfg, &err),
                     HM_OK);
    assert_string_equal(cfg->tlog->key_uri, "pkcs11:token=t;object=log");
    assert_non_null(strstr(cfg->tlog->origin, "/hallmark")); /* <host name>/hallmark */
    assert_int_equal(cfg->tlog->max_batch_delay_ms, 0);
    assert_int_equal(cfg->tlog->max_batch, 1024);
    hmd_config_free(cfg);
    assert_int_equal(parse("false", &cfg, &err), HM_OK);
    assert_null(cfg->tlog); /* "tlog": false, written down: no log */
    hmd_config_free(cfg);
    /* forgetting the section is refused: every signature must be logged */
    assert_int_equal(parse(NULL, &cfg, &err), HM_E_INVALID);
    assert_null(cfg);
    assert_string_equal(err.path, "tlog");
    assert_non_null(strstr(err.message, "is missing: hallmarkd records every signature"));
    assert_int_equal(parse("true", &cfg, &err), HM_E_INVALID);
    assert_null(cfg);
    assert_string_equal(err.path, "tlog");
}

static void
test_tlog_refusals(void **state)
{
    static const struct {
        const char *tlog, *path;
    } bad[] = {
        { "{\"origin\": \"a b\", \"key\": \"k\"}", "tlog.origin" },
        { "{\"origin\": \"a+b\", \"key\": \"k\"}", "tlog.origin" },
        { "{\"origin\": \"\", \"key\": \"k\"}", "tlog.origin" },
        { "{\"key\": \"log key\"}", "tlog.key" },
        { "{\"key\": \"\"}", "tlog.key" },
        { "{\"key\": \"pkcs11:object=l?pin-value=1234\"}", "tlog.key" },
        { "{\"origin\": \"o\"}", "tlog.key" },
        { "{\"key\": \"k\", \"max_batch_delay_ms\": 1001}", "tlog.max_batch_delay_ms" },
        { "{\"key\": \"k\", \"max_batch_delay_ms\": -1}", "tlog.max_batch_delay_ms" },
        { "{\"key\": \"k\", \"max_batch\": 0}", "tlog.max_batch" },
        { "{\"key\": \"k\", \"max_batch\": 1025}", "tlog.max_batch" },
        { "{\"key\": \"k\", \"max_batch\": \"8\"}", "tlog.max_batch" },
        { "{\"key\": \"k\", \"witness\": true}", "tlog.witness" },
        { "[\"k\"]", "tlog" },
    };
    struct hmd_config *cfg = NULL;
    struct hmd_cfg_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        assert_int_equal(parse(bad[i].tlog, &cfg, &err), HM_E_INVALID);
        assert_null(cfg);
        if (strcmp(err.path, bad[i].path) != 0) {
            fail_msg("case %zu: path \"%s\", want \"%s\" (%s)", i, err.path, bad[i].path,
                     err.message);
        }
    }
}

static void
test_tlog_restart_only(void **state)
{
    struct hmd_config *a = NULL, *b = NULL;
    struct hmd_cfg_error err;

    (void)state;
    assert_int_equal(parse("{\"origin\": \"o.example/l\", \"key\": \"k\"}", &a, &err), HM_OK);
    assert_int_equal(parse("{\"origin\": \"o.example/l\", \"key\": \"k\"}", &b, &err), HM_OK);
    assert_true(hmd_tlog_cfg_same(a->tlog, b->tlog));
    hmd_config_free(b);
    assert_int_equal(parse("{\"origin\": \"o.example/l2\", \"key\": \"k\"}", &b, &err), HM_OK);
    assert_false(hmd_tlog_cfg_same(a->tlog, b->tlog));
    assert_false(hmd_tlog_cfg_same(a->tlog, NULL));
    assert_true(hmd_tlog_cfg_same(NULL, NULL));
    hmd_config_free(a);
    hmd_config_free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tlog_defaults_and_values),
        cmocka_unit_test(test_tlog_refusals),
        cmocka_unit_test(test_tlog_restart_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

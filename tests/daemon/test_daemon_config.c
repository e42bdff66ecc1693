/*
 * test_daemon_config.c: hallmarkd's config file: what it accepts, the defaults it
 * gives (none for credentials), and for each fault the key path and line it names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hmd.h"

/* Line numbers below count from this layout: one member per line. */
static const char good[] =
    "{\n"                                                                       /* 1 */
    "  \"listen\": \"127.0.0.1:0\",\n"                                          /* 2 */
    "  \"tls\": {\"cert\": \"/c.pem\", \"key\": \"/k.pem\",\n"                  /* 3 */
    "          \"client_ca\": \"/ca.pem\"},\n"                                  /* 4 */
    "  \"hsm\": {\"uri\": \"pkcs11:token=t?pin-source=file:/p\"},\n"            /* 5 */
    "  \"store\": \"sqlite:/var/lib/hallmark/hallmark.db\", \"tlog\": false,\n" /* 6 */
    "  \"products\": [\n"                                                       /* 7 */
    "    {\"name\": \"acme\", \"key\": \"fw-p256\",\n"                          /* 8 */
    "     \"clients\": [\"cn:ci\", \"san:dns:b.example\"]}\n"                   /* 9 */
    "  ],\n"                                                                    /* 10 */
    "  \"limits\": {\"max_body\": 4096},\n"                                     /* 11 */
    "  \"log\": {\"format\": \"json\", \"level\": \"debug\"}\n"                 /* 12 */
    "}\n";

static char *
replace(const char *from, const char *to)
{
    const char *at = strstr(good, from);
    size_t n = strlen(good) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);

    assert_non_null(at);
    assert_non_null(out);
    snprintf(out, n, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
    return out;
}

static void
test_config_accepts_a_good_file(void **state)
{
    struct hmd_config *cfg = NULL;
    struct hmd_cfg_error err;

    (void)state;
    assert_int_equal(hmd_config_parse(good, strlen(good), "t.json", &cfg, &err), HM_OK);
    assert_non_null(cfg);
    assert_string_equal(cfg->listen, "127.0.0.1:0");
    assert_int_equal(cfg->n_products, 1);
    assert_string_equal(cfg->products[0].key_uri, "pkcs11:object=fw-p256");
    assert_int_equal(cfg->products[0].n_channels, 1);
    assert_string_equal(cfg->products[0].channels[0], "stable");
    assert_int_equal(cfg->products[0].n_rules, 2);
    assert_int_equal(cfg->products[0].rules[1].kind, HMD_RULE_SAN_DNS);
    assert_string_equal(cfg->products[0].rules[1].value, "b.example");
    assert_int_equal(cfg->limits.max_body, 4096);
    assert_int_equal(cfg->limits.max_headers, HMD_DEFAULT_MAX_HEADER);
    assert_true(cfg->log_json);
    assert_int_equal(cfg->log_level, HM_LOG_DEBUG);
    assert_true(cfg->limits.workers >= cfg->hsm_sessions);
    hmd_config_free(cfg);
}

static void
test_config_refuses_each_fault_with_its_key_and_line(void **state)
{
    static const struct {
        const char *from, *to;
        const char *path;
        unsigned line;
        const char *text;
    } cases[] = {
        { "\"max_body\"", "\"max_bodyy\"", "limits.max_bodyy", 11, "unknown key" },
        { "\"max_body\": 4096", "\"max_body\": 12", "limits.max_body", 11, "from 1024" },
        { "\"max_body\": 4096", "\"max_body\": 4096.5", "limits.max_body", 11, "integer" },
        { "\"listen\": \"127.0.0.1:0\"", "\"listen\": \"127.0.0.1\"", "listen", 2, "HOST:PORT" },
        { "\"listen\": \"127.0.0.1:0\"", "\"listen\": \"h:99999\"", "listen", 2, "port" },
        { "          \"client_ca\": \"/ca.pem\"}", "          \"crl\": \"/crl.pem\"}",
          "tls.client_ca", 3, "is missing" },
        { "\"cert\": \"/c.pem\", ", "", "tls.cert", 3, "is missing" },
        { "pin-source=file:/p", "pin-value=1234", "hsm.uri", 5, "pin-value is refused" },
        { "?pin-source=file:/p", "", "hsm.uri", 5, "no pin-source" },
        { "\"sqlite:/var/lib/hallmark/hallmark.db\"", "\"sqlite:rel.db\"", "store", 6, "absolute" },
        { " \"tlog\": false,", "", "tlog", 1, "is missing: hallmarkd records every signature" },
        { "\"name\": \"acme\"", "\"name\": \"Acme\"", "products[0].name", 8, "[a-z0-9._-]" },
        { "\"cn:ci\", ", "", NULL, 0, NULL }, /* still valid: one rule left */
        { "\"cn:ci\", \"san:dns:b.example\"", "", "products[0].clients", 9, "1 to" },
        { "\"cn:ci\"", "\"uid:ci\"", "products[0].clients[0]", 9, "unknown identity form" },
        { "\"cn:ci\"", "\"cn:\"", "products[0].clients[0]", 9, "1 to 512" },
        { "\"cn:ci\"", "\"cn:c i\"", "products[0].clients[0]", 9, "without spaces" },
        { "\"key\": \"fw-p256\",", "", "products[0].key", 8, "is missing" },
        { "\"key\": \"fw-p256\"", "\"key\": \"a b\"", "products[0].key", 8, "key label" },
        { "\"format\": \"json\"", "\"format\": \"xml\"", "log.format", 12, "text" },
        { "\"level\": \"debug\"", "\"level\": \"trace\"", "log.level", 12, "error" },
        { "{\"name\": \"acme\"", "{\"name\": \"acme\", \"colour\": 1", "products[0].colour", 8,
          "unknown key" },
        { "\"store\"", "\"stor\"", "stor", 6, "unknown key" },
        { "  \"listen\": \"127.0.0.1:0\",\n", "  \"listen\": \"a\", \"listen\": \"b\",\n", NULL, 2,
          "duplicate" },
        { "  ],\n", "  ,\n", NULL, 11, "not valid JSON" }, /* seen at the next key */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text = replace(cases[i].from, cases[i].to);
        struct hmd_config *cfg = (struct hmd_config *)&cases; /* must be reset */
        struct hmd_cfg_error err;
        hm_err rc = hmd_config_parse(text, strlen(text), "t.json", &cfg, &err);
        if (cases[i].line == 0) {
            assert_int_equal(rc, HM_OK);
            hmd_config_free(cfg);
            free(text);
            continue;
        }
        if (rc != HM_E_INVALID || strstr(err.message, cases[i].text) == NULL ||
            err.line != cases[i].line ||
            (cases[i].path != NULL && strcmp(err.path, cases[i].path) != 0)) {
            fail_msg("case %zu: rc %d path '%s' line %u message '%s'", i, rc, err.path, err.line,
                     err.message);
        }
        assert_null(cfg);
        free(text);
    }
}

static void
test_config_has_no_default_credentials(void **state)
{
    static const char *const docs[] = {
        "{\"store\": \"sqlite:/x.db\"}",
        "{\"tls\": {\"cert\": \"/c\", \"key\": \"/k\", \"client_ca\": \"/ca\"}, \"hsm\": "
        "{\"uri\": \"pkcs11:token=t?pin-source=env:P\"}, \"store\": \"/x.db\"}",
        "{\"tls\": {\"cert\": \"/c\", \"key\": \"/k\", \"client_ca\": \"/ca\"}, \"hsm\": "
        "{\"uri\": \"pkcs11:token=t?pin-source=env:P\"}, \"store\": \"/x.db\", \"products\": "
        "[{\"name\": \"a\", \"key\": \"k\"}]}",
    };
    static const char *const want[] = { "tls", "products", "products[0].clients" };

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        struct hmd_config *cfg = NULL;
        struct hmd_cfg_error err;
        assert_int_equal(hmd_config_parse(docs[i], strlen(docs[i]), "t", &cfg, &err), HM_E_INVALID);
        assert_string_equal(err.path, want[i]);
        assert_non_null(strstr(err.message, "is missing"));
        assert_null(cfg);
    }
}

static void
test_config_error_format_names_file_line_and_key(void **state)
{
    struct hmd_cfg_error err = { .path = "limits.max_body", .line = 11, .message = "bad" };
    char out[256];

    (void)state;
    hmd_cfg_error_format(NULL, "/etc/hallmarkd.json", &err, out, sizeof(out));
    assert_string_equal(out, "/etc/hallmarkd.json:11: limits.max_body: bad");
}

static void
test_json_locate_finds_members_and_elements(void **state)
{
    static const char doc[] = "{\"a\": {\"b\": [1, {\"c\": \"x,y\"}, [2]]},\n \"d\" : {\"e\":1} }";
    size_t k = 0, v = 0, e = 0;

    (void)state;
    assert_int_equal(hmd_json_locate(doc, strlen(doc), "a.b[1].c", &k, &v, &e), HM_OK);
    assert_int_equal(strncmp(doc + k, "\"c\"", 3), 0);
    assert_int_equal(strncmp(doc + v, "\"x,y\"", e - v), 0);
    assert_int_equal(hmd_json_locate(doc, strlen(doc), "a.b[2]", &k, &v, &e), HM_OK);
    assert_int_equal(strncmp(doc + v, "[2]", e - v), 0);
    assert_int_equal(hmd_json_locate(doc, strlen(doc), "d", &k, &v, &e), HM_OK);
    assert_int_equal(e - v, strlen("{\"e\":1}"));
    assert_int_equal(hmd_line_of(doc, strlen(doc), k), 2);
    assert_int_equal(hmd_json_locate(doc, strlen(doc), "a.b[3]", &k, &v, &e), HM_E_NOTFOUND);
    assert_int_equal(hmd_json_locate(doc, strlen(doc), "a.x", &k, &v, &e), HM_E_NOTFOUND);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_accepts_a_good_file),
        cmocka_unit_test(test_config_refuses_each_fault_with_its_key_and_line),
        cmocka_unit_test(test_config_has_no_default_credentials),
        cmocka_unit_test(test_config_error_format_names_file_line_and_key),
        cmocka_unit_test(test_json_locate_finds_members_and_elements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

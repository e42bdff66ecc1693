/*
 * test_pkcs11_uri.c: RFC 7512 URIs.  Hostile inputs first: each is refused with the
 * exact error and reason, and nothing is handed out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hsm_int.h"

static void
test_uri_rejects_hostile(void **state)
{
    static const struct {
        const char *uri;
        hm_err want;
        const char *reason;
    } cases[] = {
        { "", HM_E_INVALID, "not a pkcs11: URI" },
        { "pkcs11", HM_E_INVALID, "not a pkcs11: URI" },
        { "pkcs12:token=a", HM_E_INVALID, "not a pkcs11: URI" },
        { "file:///etc/passwd", HM_E_INVALID, "not a pkcs11: URI" },
        { "pkcs11:token=a?pin-value=1234", HM_E_INVALID,
          "pin-value is refused: use pin-source (a PIN never travels in a URI)" },
        { "pkcs11:pin-value=1234", HM_E_INVALID,
          "pin-value is refused: use pin-source (a PIN never travels in a URI)" },
        { "pkcs11:tokne=a", HM_E_INVALID, "unknown pkcs11 URI attribute" },
        { "pkcs11:Token=a", HM_E_INVALID, "unknown pkcs11 URI attribute" },
        { "pkcs11:x-vendor=a", HM_E_INVALID, "unknown pkcs11 URI attribute" },
        { "pkcs11:slot-id=1", HM_E_INVALID, "unsupported pkcs11 URI attribute" },
        { "pkcs11:?module-name=softhsm2", HM_E_INVALID, "unsupported pkcs11 URI attribute" },
        { "pkcs11:token=a;token=b", HM_E_INVALID, "duplicate attribute" },
        { "pkcs11:?pin-source=/a&pin-source=/b", HM_E_INVALID, "duplicate attribute" },
        { "pkcs11:token=a;", HM_E_INVALID, "empty attribute" },
        { "pkcs11:;token=a", HM_E_INVALID, "empty attribute" },
        { "pkcs11:?pin-source=/a&&module-path=/b", HM_E_INVALID, "empty attribute" },
        { "pkcs11:token", HM_E_INVALID, "attribute without name=value" },
        { "pkcs11:=a", HM_E_INVALID, "attribute without name=value" },
        { "pkcs11:?token=a", HM_E_INVALID, "path attribute in the query" },
        { "pkcs11:module-path=%2Fx", HM_E_INVALID, "query attribute in the path" },
        { "pkcs11:token=%", HM_E_INVALID, "bad percent-encoding" },
        { "pkcs11:token=%4", HM_E_INVALID, "bad percent-encoding" },
        { "pkcs11:token=a%4", HM_E_INVALID, "bad percent-encoding" },
        { "pkcs11:token=%zz", HM_E_INVALID, "bad percent-encoding" },
        { "pkcs11:token=%+1", HM_E_INVALID, "bad percent-encoding" },
        { "pkcs11:token=a b", HM_E_INVALID,
          "character not allowed in a pkcs11 URI (percent-encode it)" },
        { "pkcs11:token=a/b", HM_E_INVALID,
          "character not allowed in a pkcs11 URI (percent-encode it)" },
        { "pkcs11:token=a#frag", HM_E_INVALID,
          "character not allowed in a pkcs11 URI (percent-encode it)" },
        { "pkcs11:token=\xc3\xa9", HM_E_INVALID,
          "character not allowed in a pkcs11 URI (percent-encode it)" },
        { "pkcs11:token=a\"b", HM_E_INVALID,
          "character not allowed in a pkcs11 URI (percent-encode it)" },
        { "pkcs11:?pin-source=a&module-path=/x y", HM_E_INVALID,
          "character not allowed in a pkcs11 URI (percent-encode it)" },
        { "pkcs11:token=", HM_E_INVALID,
          "attribute value is empty, not UTF-8 or holds control characters" },
        { "pkcs11:token=%00abc", HM_E_INVALID,
          "attribute value is empty, not UTF-8 or holds control characters" },
        { "pkcs11:object=a%0Ab", HM_E_INVALID,
          "attribute value is empty, not UTF-8 or holds control characters" },
        { "pkcs11:object=a%7F", HM_E_INVALID,
          "attribute value is empty, not UTF-8 or holds control characters" },
        { "pkcs11:object=%C0%80", HM_E_INVALID, /* overlong NUL */
          "attribute value is empty, not UTF-8 or holds control characters" },
        { "pkcs11:object=%ED%A0%80", HM_E_INVALID, /* UTF-16 surrogate */
          "attribute value is empty, not UTF-8 or holds control characters" },
        { "pkcs11:object=%F4%90%80%80", HM_E_INVALID, /* above U+10FFFF */
          "attribute value is empty, not UTF-8 or holds control characters" },
        { "pkcs11:object=%FF", HM_E_INVALID,
          "attribute value is empty, not UTF-8 or holds control characters" },
        { "pkcs11:object=%C3", HM_E_INVALID, /* truncated sequence */
          "attribute value is empty, not UTF-8 or holds control characters" },
        { "pkcs11:?pin-source=%00", HM_E_INVALID,
          "attribute value is empty, not UTF-8 or holds control characters" },
        { "pkcs11:type=secret", HM_E_INVALID,
          "type must be public, private, cert, secret-key or data" },
        { "pkcs11:type=Private", HM_E_INVALID,
          "type must be public, private, cert, secret-key or data" },
        { "pkcs11:id=", HM_E_INVALID, "empty id" },
        { "pkcs11:token=123456789012345678901234567890123", HM_E_LIMIT,
          "attribute value too long" },
        { "pkcs11:serial=12345678901234567", HM_E_LIMIT, "attribute value too long" },
    };
    struct hm_p11_uri *u = (struct hm_p11_uri *)&u;
    const char *reason = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        u = (struct hm_p11_uri *)&u;
        if (hm_p11_uri_parse(cases[i].uri, &reason, &u) != cases[i].want ||
            strcmp(reason, cases[i].reason) != 0) {
            fail_msg("case %zu (%s): got %s", i, cases[i].uri, reason);
        }
        assert_null(u); /* nothing handed out on failure */
    }
    assert_int_equal(hm_p11_uri_parse(NULL, &reason, &u), HM_E_INVALID);
    assert_null(u);
}

/* Bounds on the whole URI and on binary ids. */
static void
test_uri_limits(void **state)
{
    char *big = malloc(HM_P11_URI_MAX + 2);
    char id[16 + 3 * (HM_P11_ID_MAX + 1)];
    struct hm_p11_uri *u = NULL;
    const char *reason = NULL;
    size_t o;

    (void)state;
    assert_non_null(big);
    memcpy(big, "pkcs11:object=", 14);
    memset(big + 14, 'a', HM_P11_URI_MAX + 1 - 14);
    big[HM_P11_URI_MAX + 1] = '\0';
    assert_int_equal(hm_p11_uri_parse(big, &reason, &u), HM_E_LIMIT);
    assert_string_equal(reason, "URI too long");
    assert_null(u);
    big[HM_P11_OBJECT_MAX + 14] = '\0'; /* exactly the longest label */
    assert_int_equal(hm_p11_uri_parse(big, &reason, &u), HM_OK);
    assert_int_equal(strlen(u->object), HM_P11_OBJECT_MAX);
    hm_p11_uri_free(u);
    u = NULL;
    big[HM_P11_OBJECT_MAX + 14] = 'a';
    big[HM_P11_OBJECT_MAX + 15] = '\0';
    assert_int_equal(hm_p11_uri_parse(big, &reason, &u), HM_E_LIMIT);
    assert_null(u);
    free(big);

    o = (size_t)snprintf(id, sizeof(id), "pkcs11:id=");
    for (size_t i = 0; i <= HM_P11_ID_MAX; i++) {
        o += (size_t)snprintf(id + o, sizeof(id) - o, "%%00");
    }
    assert_int_equal(hm_p11_uri_parse(id, &reason, &u), HM_E_LIMIT);
    assert_null(u);
    id[o - 3] = '\0'; /* HM_P11_ID_MAX zero bytes: binary ids may hold NULs */
    assert_int_equal(hm_p11_uri_parse(id, &reason, &u), HM_OK);
    assert_int_equal(u->id_len, HM_P11_ID_MAX);
    hm_p11_uri_free(u);
}

static void
test_uri_accepts_valid(void **state)
{
    struct hm_p11_uri *u = NULL;
    const char *reason = NULL;

    (void)state;
    assert_int_equal(hm_p11_uri_parse("pkcs11:token=hallmark;object=fw-p256?module-path=/usr/"
                                      "lib/softhsm/libsofthsm2.so&pin-source=file:/s/user.pin",
                                      &reason, &u),
                     HM_OK);
    assert_string_equal(u->token, "hallmark");
    assert_string_equal(u->object, "fw-p256");
    assert_string_equal(u->module_path, "/usr/lib/softhsm/libsofthsm2.so");
    assert_string_equal(u->pin_source, "file:/s/user.pin");
    assert_false(u->has_id);
    assert_int_equal(u->type, HM_P11_TYPE_ANY);
    hm_p11_uri_free(u);

    assert_int_equal(hm_p11_uri_parse("pkcs11:", &reason, &u), HM_OK);
    assert_null(u->token);
    assert_null(u->object);
    assert_null(u->pin_source);
    hm_p11_uri_free(u);

    assert_int_equal(hm_p11_uri_parse("pkcs11:id=%01%02%aB%00;type=private", &reason, &u), HM_OK);
    assert_true(u->has_id);
    assert_int_equal(u->id_len, 4);
    assert_memory_equal(u->id, "\x01\x02\xab\x00", 4);
    assert_int_equal(u->type, HM_P11_TYPE_PRIVATE);
    hm_p11_uri_free(u);

    /* scheme is case-insensitive (RFC 3986); '&' and '=' are literal in the path */
    assert_int_equal(hm_p11_uri_parse("PKCS11:token=My%20Token;object=a=b&c?", &reason, &u), HM_OK);
    assert_string_equal(u->token, "My Token");
    assert_string_equal(u->object, "a=b&c");
    hm_p11_uri_free(u);

    assert_int_equal(hm_p11_uri_parse("pkcs11:manufacturer=SoftHSM%20project;serial=0a1b;"
                                      "model=SoftHSM%20v2;object=%C3%A9t%C3%A9;type=public"
                                      "?pin-source=env:HM_PIN",
                                      &reason, &u),
                     HM_OK);
    assert_string_equal(u->manufacturer, "SoftHSM project");
    assert_string_equal(u->serial, "0a1b");
    assert_string_equal(u->model, "SoftHSM v2");
    assert_string_equal(u->object, "\xc3\xa9t\xc3\xa9");
    assert_int_equal(u->type, HM_P11_TYPE_PUBLIC);
    assert_string_equal(u->pin_source, "env:HM_PIN");
    hm_p11_uri_free(u);
}

/* What we print for a key parses back to the same token, label and id bytes. */
static void
test_uri_format_key_roundtrip(void **state)
{
    static const uint8_t id[] = { 0x00, 0x2d, 0x41, 0xff, 0x25, 0x3b };
    static const char *labels[] = { "fw-p256", "a b;c=d?e&f/g%h", "\xc3\xa9t\xc3\xa9" };
    struct hm_p11_uri *u = NULL;
    const char *reason = NULL;
    char *s = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
        assert_int_equal(hm_p11_uri_format_key("tok en", labels[i], id, sizeof(id), &s), HM_OK);
        assert_int_equal(hm_p11_uri_parse(s, &reason, &u), HM_OK);
        assert_string_equal(u->token, "tok en");
        assert_string_equal(u->object, labels[i]);
        assert_int_equal(u->id_len, sizeof(id));
        assert_memory_equal(u->id, id, sizeof(id));
        hm_p11_uri_free(u);
        free(s);
    }
    assert_int_equal(hm_p11_uri_format_key("t", "k", NULL, 0, &s), HM_OK);
    assert_string_equal(s, "pkcs11:token=t;object=k");
    free(s);
    assert_int_equal(hm_p11_uri_format_key("t", "", id, 2, &s), HM_OK);
    assert_string_equal(s, "pkcs11:token=t;id=%00-");
    free(s);
}

static void
test_label_text_rules(void **state)
{
    (void)state;
    assert_true(hm_p11_text_ok("fw-p256", HM_P11_OBJECT_MAX));
    assert_true(hm_p11_text_ok("\xc3\xa9t\xc3\xa9 key", HM_P11_OBJECT_MAX));
    assert_false(hm_p11_text_ok("", HM_P11_OBJECT_MAX));
    assert_false(hm_p11_text_ok("a\nb", HM_P11_OBJECT_MAX));
    assert_false(hm_p11_text_ok("a\x1b[31m", HM_P11_OBJECT_MAX));
    assert_false(hm_p11_text_ok("\xff", HM_P11_OBJECT_MAX));
    assert_false(hm_p11_text_ok("abcd", 3));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uri_rejects_hostile), cmocka_unit_test(test_uri_limits),
        cmocka_unit_test(test_uri_accepts_valid),   cmocka_unit_test(test_uri_format_key_roundtrip),
        cmocka_unit_test(test_label_text_rules),
    };

    hm_log_set_level(HM_LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_dsse_parse.c: DSSE envelopes: both base64 alphabets, and hostile envelopes, each
 * refused with its exact hm_err and reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attest_test.h"

#define T "\"payloadType\":\"application/vnd.in-toto+json\""

static hm_err
parse(const char *doc, struct hm_dsse **env, char *why, size_t why_len)
{
    return hm_dsse_parse_why((const uint8_t *)doc, strlen(doc), env, why, why_len);
}

static void
test_dsse_parse_standard_envelope(void **state)
{
    static const char doc[] =
        "{\"payload\":\"e30=\"," T ",\"signatures\":[{\"keyid\":\"k1\",\"sig\":\"c2ln\"}]}";
    struct hm_dsse *env = NULL;

    (void)state;
    assert_int_equal(hm_dsse_parse((const uint8_t *)doc, sizeof(doc) - 1, &env), HM_OK);
    assert_string_equal(env->payload_type, HM_PAYLOAD_TYPE_INTOTO);
    assert_int_equal(env->payload_len, 2);
    assert_memory_equal(env->payload, "{}", 2);
    assert_int_equal(env->n_sigs, 1);
    assert_string_equal(env->sigs[0].keyid, "k1");
    assert_int_equal(env->sigs[0].sig_len, 3);
    assert_memory_equal(env->sigs[0].sig, "sig", 3);
    hm_dsse_free(env);
    hm_dsse_free(NULL);
}

/* DSSE: verifiers MUST accept standard and URL-safe base64, padded or not. */
static void
test_dsse_parse_both_alphabets(void **state)
{
    static const uint8_t want[] = { 0xfb, 0xff, 0xbf, 0xfb };
    static const char *const docs[] = {
        "{\"payload\":\"+/+/+w==\"," T ",\"signatures\":[{\"sig\":\"+/+/+w==\"}]}",
        "{\"payload\":\"-_-_-w==\"," T ",\"signatures\":[{\"sig\":\"-_-_-w\"}]}",
        "{\"payload\":\"+/+/+w\"," T ",\"signatures\":[{\"sig\":\"-_-_-w==\"}]}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        struct hm_dsse *env = NULL;

        assert_int_equal(parse(docs[i], &env, NULL, 0), HM_OK);
        assert_int_equal(env->payload_len, sizeof(want));
        assert_memory_equal(env->payload, want, sizeof(want));
        assert_int_equal(env->sigs[0].sig_len, sizeof(want));
        assert_memory_equal(env->sigs[0].sig, want, sizeof(want));
        assert_null(env->sigs[0].keyid);
        hm_dsse_free(env);
    }
}

static void
test_dsse_parse_empty_keyid_and_several_signatures(void **state)
{
    static const char doc[] =
        "{\"signatures\":[{\"sig\":\"c2ln\",\"keyid\":\"\"},{\"sig\":\"YQ==\","
        "\"keyid\":\"k2\"}]," T ",\"payload\":\"e30\"}";
    struct hm_dsse *env = NULL;

    (void)state;
    assert_int_equal(parse(doc, &env, NULL, 0), HM_OK);
    assert_int_equal(env->n_sigs, 2);
    assert_null(env->sigs[0].keyid); /* Go writers say "" for none */
    assert_string_equal(env->sigs[1].keyid, "k2");
    hm_dsse_free(env);
}

struct hostile {
    const char *doc;
    hm_err want;
    const char *why; /* exact, or a substring when it starts with '~' */
};

static void
run_hostile(const struct hostile *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct hm_dsse *env = (struct hm_dsse *)&env;
        char why[256];

        if (parse(cases[i].doc, &env, why, sizeof(why)) != cases[i].want) {
            fail_msg("case %zu: %s: want %s, got why \"%s\"", i, cases[i].doc,
                     hm_strerror(cases[i].want), why);
        }
        assert_null(env);
        if (cases[i].why[0] == '~') {
            if (strstr(why, cases[i].why + 1) == NULL) {
                fail_msg("case %zu: why \"%s\" lacks \"%s\"", i, why, cases[i].why + 1);
            }
        } else {
            assert_string_equal(why, cases[i].why);
        }
    }
}

static void
test_dsse_parse_refuses_hostile_envelopes(void **state)
{
    static const struct hostile cases[] = {
        { "{\"payload\":\"e30=\"," T "," T ",\"signatures\":[{\"sig\":\"c2ln\"}]}", HM_E_INVALID,
          "~: duplicate key \"payloadType\"" },
        { "{\"payload\":\"e30=\"," T ",\"signatures\":[{\"sig\":\"c2ln\"}],\"x\":1}", HM_E_INVALID,
          "document: unknown key \"x\"" },
        { "{\"Payload\":\"e30=\"," T ",\"signatures\":[{\"sig\":\"c2ln\"}]}", HM_E_INVALID,
          "document: unknown key \"Payload\"" },
        { "{\"payload\":\"e30=\"," T ",\"signatures\":[{\"sig\":\"c2ln\",\"cert\":\"\"}]}",
          HM_E_INVALID, "signatures[0]: unknown key \"cert\"" },
        { "{\"payload\":7," T ",\"signatures\":[{\"sig\":\"c2ln\"}]}", HM_E_INVALID,
          "payload: not a string" },
        { "{\"payload\":\"\"," T ",\"signatures\":[{\"sig\":\"c2ln\"}]}", HM_E_INVALID,
          "payload: empty" },
        { "{\"payload\":\"e30=\",\"signatures\":[{\"sig\":\"c2ln\"}]}", HM_E_INVALID,
          "payloadType: missing" },
        { "{\"payload\":\"e30=\"," T "}", HM_E_INVALID, "signatures: missing" },
        { "{\"payload\":\"e30=\"," T ",\"signatures\":{}}", HM_E_INVALID,
          "signatures: not an array" },
        { "{\"payload\":\"e30=\"," T ",\"signatures\":[]}", HM_E_INVALID, "signatures: empty" },
        { "{\"payload\":\"e30=\"," T ",\"signatures\":[\"c2ln\"]}", HM_E_INVALID,
          "signatures[0]: not an object" },
        { "{\"payload\":\"e30=\"," T ",\"signatures\":[{\"keyid\":\"k\"}]}", HM_E_INVALID,
          "signatures[0].sig: missing" },
        { "{\"payload\":\"e30=\"," T ",\"signatures\":[{\"sig\":\"c2ln\",\"keyid\":3}]}",
          HM_E_INVALID, "signatures[0].keyid: not a string" },
        { "{\"payload\":\"e30=\"," T ",\"signatures\":[{\"sig\":\"c2ln\",\"keyid\":\"a\\nb\"}]}",
          HM_E_INVALID, "signatures[0].keyid: not printable ASCII" },
        { "{\"payload\":\"e30=\",\"payloadType\":\"a\\u0000b\",\"signatures\":[{\"sig\":\"c2ln\"}]"
          "}",
          HM_E_INVALID, "~\\u0000 in string" },
        { "{\"payload\":\"e30=\",\"payloadType\":\"a\\u0007\",\"signatures\":[{\"sig\":\"c2ln\"}]}",
          HM_E_INVALID, "payloadType: not printable ASCII" },
        { "{\"payload\":\"e30=\",\"payloadType\":\"caf\xc3\xa9\",\"signatures\":[{\"sig\":\"c2ln\"}"
          "]}",
          HM_E_INVALID, "payloadType: not printable ASCII" },
        { "{\"payload\":\"e30=\"," T ",\"signatures\":[{\"sig\":\"c2ln\",\"keyid\":\"\xc3\x28\"}]}",
          HM_E_INVALID, "~invalid UTF-8" },
        { "{\"payload\":\"e30=x\"," T ",\"signatures\":[{\"sig\":\"c2ln\"}]}", HM_E_INVALID,
          "payload: not base64 (standard or URL-safe)" },
        { "{\"payload\":\"+_8=\"," T ",\"signatures\":[{\"sig\":\"c2ln\"}]}", HM_E_INVALID,
          "payload: not base64 (standard or URL-safe)" },
        { "{\"payload\":\"e3 0=\"," T ",\"signatures\":[{\"sig\":\"c2ln\"}]}", HM_E_INVALID,
          "payload: not base64 (standard or URL-safe)" },
        { "{\"payload\":\"e30=\"," T ",\"signatures\":[{\"sig\":\"c2l=\"}]}", HM_E_INVALID,
          "signatures[0].sig: not base64 (standard or URL-safe)" },
        { "{\"payload\":\"e30=\"," T ",\"signatures\":[{\"sig\":\"c2ln\"}]} x", HM_E_INVALID,
          "~envelope: byte " },
        { "{\"payload\":\"e30=\"," T ",\"signatures\":[{\"sig\":\"c2", HM_E_INVALID,
          "~envelope: byte " },
        { "[]", HM_E_INVALID, "document: not an object" },
        { "", HM_E_INVALID, "envelope: empty" },
    };

    (void)state;
    run_hostile(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Builds {"payload":"<n base64 chars of 'A'>",...} for the size limits. */
static char *
envelope_with_payload(size_t b64_chars, const char *sig)
{
    size_t cap = b64_chars + strlen(sig) + 256;
    char *doc = malloc(cap);
    int n;

    assert_non_null(doc);
    n = snprintf(doc, cap,
                 "{\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%s\"}],\"payload\":\"", sig);
    assert_true(n > 0);
    memset(doc + n, 'A', b64_chars);
    memcpy(doc + (size_t)n + b64_chars, "\"}", 3);
    return doc;
}

static void
test_dsse_parse_limits(void **state)
{
    char seventeen[512], *doc = NULL, bigsig[1500];
    struct hm_dsse *env = (struct hm_dsse *)&env;
    char why[256];
    size_t off;

    (void)state;
    /* 16 signatures are fine, 17 are over the limit */
    off = (size_t)snprintf(seventeen, sizeof(seventeen),
                           "{\"payload\":\"e30=\"," T ",\"signatures\":[");
    for (int i = 0; i < 17; i++) {
        off += (size_t)snprintf(seventeen + off, sizeof(seventeen) - off, "%s{\"sig\":\"c2ln\"}",
                                i ? "," : "");
    }
    (void)snprintf(seventeen + off, sizeof(seventeen) - off, "]}");
    assert_int_equal(parse(seventeen, &env, why, sizeof(why)), HM_E_LIMIT);
    assert_null(env);
    assert_string_equal(why, "signatures: 17 signatures, more than 16");
    /* a signature of 1025 bytes (1368 base64 characters, no padding) */
    memset(bigsig, 'A', 1368);
    bigsig[1367] = '\0'; /* 1367 characters: 341 * 3 + 2 = 1025 bytes */
    doc = envelope_with_payload(4, bigsig);
    assert_int_equal(parse(doc, &env, why, sizeof(why)), HM_E_LIMIT);
    assert_string_equal(why, "signatures[0].sig: 1025 bytes decoded, allowed 1..1024");
    assert_null(env);
    free(doc);
    /* the largest payload: 512 KiB decode; one byte more is over */
    doc = envelope_with_payload(HM_PAYLOAD_MAX_BYTES / 3 * 4 + 3, "c2ln");
    assert_int_equal(parse(doc, &env, why, sizeof(why)), HM_OK);
    assert_int_equal(env->payload_len, HM_PAYLOAD_MAX_BYTES);
    hm_dsse_free(env);
    free(doc);
    doc = envelope_with_payload(HM_PAYLOAD_MAX_BYTES / 3 * 4 + 4, "c2ln");
    env = (struct hm_dsse *)&env;
    assert_int_equal(parse(doc, &env, why, sizeof(why)), HM_E_LIMIT);
    assert_null(env);
    assert_string_equal(why, "payload: 524289 bytes decoded, allowed 1..524288");
    free(doc);
    /* a string longer than the base64 of the largest payload: the JSON limit */
    doc = envelope_with_payload(HM_PAYLOAD_MAX_BYTES / 3 * 4 + 8, "c2ln");
    assert_int_equal(parse(doc, &env, why, sizeof(why)), HM_E_LIMIT);
    assert_null(env);
    assert_non_null(strstr(why, "envelope: byte "));
    free(doc);
}

static void
test_dsse_parse_depth_and_size_bombs(void **state)
{
    struct hm_dsse *env = (struct hm_dsse *)&env;
    char why[256];
    size_t big = HM_BUNDLE_MAX_BYTES + 1;
    char *doc = malloc(big + 1);
    char deep[256];

    (void)state;
    assert_non_null(doc);
    memset(doc, ' ', big);
    doc[0] = '{';
    doc[big - 1] = '}';
    doc[big] = '\0';
    assert_int_equal(parse(doc, &env, why, sizeof(why)), HM_E_LIMIT);
    assert_null(env);
    assert_string_equal(why, "envelope: 1048577 bytes, more than the limit of 1048576");
    free(doc);
    /* 40 nested arrays where a string belongs */
    memset(deep, 0, sizeof(deep));
    strcpy(deep, "{\"payload\":");
    memset(deep + strlen(deep), '[', 40);
    memset(deep + strlen(deep), ']', 40);
    strcat(deep, "}");
    assert_int_equal(parse(deep, &env, why, sizeof(why)), HM_E_LIMIT);
    assert_null(env);
    assert_non_null(strstr(why, "nesting deeper than the limit"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dsse_parse_standard_envelope),
        cmocka_unit_test(test_dsse_parse_both_alphabets),
        cmocka_unit_test(test_dsse_parse_empty_keyid_and_several_signatures),
        cmocka_unit_test(test_dsse_parse_refuses_hostile_envelopes),
        cmocka_unit_test(test_dsse_parse_limits),
        cmocka_unit_test(test_dsse_parse_depth_and_size_bombs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

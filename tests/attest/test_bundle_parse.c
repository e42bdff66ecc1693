/*
 * test_bundle_parse.c: Sigstore bundle v0.3 parsing: what the profile accepts, and
 * hostile bundles, each refused with its exact hm_err and the reason naming the path.
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

#define MT     "\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\""
#define PK     "\"publicKey\":{\"hint\":\"K\"}"
#define TL     "\"tlogEntries\":[]"
#define TS     "\"timestampVerificationData\":{\"rfc3161Timestamps\":[]}"
#define VM_(x) "\"verificationMaterial\":{" x "}"
#define VM     VM_(PK "," TL "," TS)
#define SIG    "{\"sig\":\"c2ln\",\"keyid\":\"K\"}"
#define ENV_(pl, sigs)                                                                             \
    "\"dsseEnvelope\":{\"payload\":\"" pl "\",\"payloadType\":\"application/vnd.in-toto+json\","   \
    "\"signatures\":[" sigs "]}"
#define ENV  ENV_("e30=", SIG)
#define GOOD "{" MT "," VM "," ENV "}"
#define MSG  "\"messageSignature\":{\"signature\":\"AA==\"}"

static hm_err
parse(const char *doc, struct hm_bundle **b, char *why, size_t why_len)
{
    return hm_bundle_parse((const uint8_t *)doc, strlen(doc), b, why, why_len);
}

static void
test_bundle_parse_accepts_profile(void **state)
{
    static const struct {
        const char *doc;
        size_t n_tlog;
        bool keyid;
    } cases[] = {
        { GOOD, 0, true },
        { "{" MT "," VM_(PK "," TS) "," ENV "}", 0, true }, /* protojson drops empty lists */
        { "{" MT "," VM_(PK) "," ENV "}", 0, true },
        { "{" MT "," VM_(PK ",\"tlogEntries\":[{\"logIndex\":\"1\"},{}]") "," ENV "}", 2, true },
        { "{" MT "," VM_(PK ",\"timestampVerificationData\":{\"rfc3161Timestamps\":"
                            "[{\"signedTimestamp\":\"AA==\"}]}") "," ENV "}",
          0, true },
        { "{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;version=0.3\"," VM "," ENV "}",
          0, true },
        { "{" ENV_("e30=", "{\"sig\":\"c2ln\"}") "," VM "," MT "}", 0, false },
    };
    char why[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hm_bundle *b = NULL;

        if (parse(cases[i].doc, &b, why, sizeof(why)) != HM_OK) {
            fail_msg("case %zu: %s", i, why);
        }
        assert_string_equal(b->hint, "K");
        assert_int_equal(b->n_tlog_entries, cases[i].n_tlog);
        assert_int_equal(b->dsse->n_sigs, 1);
        assert_int_equal(b->dsse->payload_len, 2);
        assert_memory_equal(b->dsse->payload, "{}", 2);
        if (cases[i].keyid) {
            assert_string_equal(b->dsse->sigs[0].keyid, "K");
        } else {
            assert_null(b->dsse->sigs[0].keyid);
        }
        hm_bundle_free(b);
    }
    hm_bundle_free(NULL);
}

static void
test_bundle_parse_reads_fixture(void **state)
{
    size_t len = 0;
    uint8_t *doc = test_read_data("good_release.json", &len);
    struct hm_bundle *b = NULL;
    char why[256];

    (void)state;
    assert_int_equal(hm_bundle_parse(doc, len, &b, why, sizeof(why)), HM_OK);
    assert_string_equal(b->media_type, HM_BUNDLE_MEDIA_TYPE);
    assert_string_equal(b->hint, "TKdpP+S9Om6YmfqsQhP2KMzzQjr8xHEwJoCCt6V8a3Q=");
    assert_string_equal(b->dsse->payload_type, HM_PAYLOAD_TYPE_INTOTO);
    assert_int_equal(b->dsse->sigs[0].sig_len, 64);
    hm_bundle_free(b);
    free(doc);
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
        struct hm_bundle *b = (struct hm_bundle *)&b;
        char why[256];
        hm_err got = parse(cases[i].doc, &b, why, sizeof(why));

        if (got != cases[i].want) {
            fail_msg("case %zu: want %s, got %s (%s)", i, hm_strerror(cases[i].want),
                     hm_strerror(got), why);
        }
        assert_null(b);
        if (cases[i].why[0] == '~' ? strstr(why, cases[i].why + 1) == NULL
                                   : strcmp(why, cases[i].why) != 0) {
            fail_msg("case %zu: why \"%s\", want \"%s\"", i, why, cases[i].why);
        }
    }
}

static void
test_bundle_parse_refuses_structure(void **state)
{
    static const struct hostile cases[] = {
        { "{" MT "," MT "," VM "," ENV "}", HM_E_INVALID, "~: duplicate key \"mediaType\"" },
        { "{" MT "," VM "," ENV_("e30=", "{\"sig\":\"c2ln\",\"sig\":\"YQ==\"}") "}", HM_E_INVALID,
          "~: duplicate key \"sig\"" },
        { "{" MT "," VM "," ENV ",\"extra\":{}}", HM_E_INVALID, "document: unknown key \"extra\"" },
        { "{" MT "," VM_(PK "," TL ",\"certificate\":{}") "," ENV "}", HM_E_INVALID,
          "verificationMaterial: unknown key \"certificate\"" },
        { "{" MT "," VM_("\"publicKey\":{\"hint\":\"K\",\"rawBytes\":\"AA==\"}") "," ENV "}",
          HM_E_INVALID, "verificationMaterial.publicKey: unknown key \"rawBytes\"" },
        { "{" MT "," VM_(PK ",\"timestampVerificationData\":{\"x\":1}") "," ENV "}", HM_E_INVALID,
          "verificationMaterial.timestampVerificationData: unknown key \"x\"" },
        { "{" MT "," VM_(
              PK ",\"timestampVerificationData\":{\"rfc3161Timestamps\":[{\"t\":1}]}") "," ENV "}",
          HM_E_INVALID,
          "verificationMaterial.timestampVerificationData.rfc3161Timestamps[0]: unknown key "
          "\"t\"" },
        { "{" MT "," VM ",\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"t\","
          "\"signatures\":[" SIG "],\"x\":1}}",
          HM_E_INVALID, "dsseEnvelope: unknown key \"x\"" },
        { "{" MT "," VM "," ENV_("e30=", "{\"sig\":\"c2ln\",\"keyid\":\"K\",\"x\":1}") "}",
          HM_E_INVALID, "dsseEnvelope.signatures[0]: unknown key \"x\"" },
        { "{" MT "," VM "," ENV_("e30=", SIG "," SIG) "}", HM_E_INVALID,
          "dsseEnvelope.signatures: a bundle's envelope has exactly one signature, this one has "
          "2" },
        { "{" MT "," VM "," ENV_("e30=", "{\"sig\":\"c2ln\",\"keyid\":\"L\"}") "}", HM_E_INVALID,
          "dsseEnvelope.signatures[0].keyid: does not equal verificationMaterial.publicKey.hint" },
        { "{" MT "," VM "," MSG "}", HM_E_INVALID,
          "messageSignature: message signatures are not supported" },
        { "{" MT "," VM "," ENV "," MSG "}", HM_E_INVALID,
          "bundle: has both dsseEnvelope and messageSignature, the content is one of them" },
        { "{" MT "," VM "}", HM_E_INVALID, "dsseEnvelope: missing" },
        { "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.2+json\"," VM "," ENV "}",
          HM_E_INVALID,
          "mediaType: \"application/vnd.dev.sigstore.bundle.v0.2+json\" is not a Sigstore bundle "
          "v0.3" },
        { "{\"mediaType\":\"Application/vnd.dev.sigstore.bundle.v0.3+json\"," VM "," ENV "}",
          HM_E_INVALID,
          "mediaType: \"Application/vnd.dev.sigstore.bundle.v0.3+json\" is not a Sigstore bundle "
          "v0.3" },
        { "{" VM "," ENV "}", HM_E_INVALID, "mediaType: missing" },
        { "{" MT "," ENV "}", HM_E_INVALID, "verificationMaterial: missing" },
        { "{" MT "," VM_(TL) "," ENV "}", HM_E_INVALID, "verificationMaterial.publicKey: missing" },
        { "{" MT "," VM_("\"publicKey\":{}") "," ENV "}", HM_E_INVALID,
          "verificationMaterial.publicKey.hint: missing" },
        { "{" MT "," VM ",\"dsseEnvelope\":{\"payload\":\"e30=\",\"signatures\":[" SIG "]}}",
          HM_E_INVALID, "dsseEnvelope.payloadType: missing" },
        { "{" MT "," VM ",\"dsseEnvelope\":{\"payloadType\":\"t\",\"signatures\":[" SIG "]}}",
          HM_E_INVALID, "dsseEnvelope.payload: missing" },
    };

    (void)state;
    run_hostile(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_bundle_parse_refuses_types_and_encodings(void **state)
{
    static const struct hostile cases[] = {
        { "{\"mediaType\":3," VM "," ENV "}", HM_E_INVALID, "mediaType: not a string" },
        { "{" MT ",\"verificationMaterial\":[]," ENV "}", HM_E_INVALID,
          "verificationMaterial: not an object" },
        { "{" MT "," VM_(PK ",\"tlogEntries\":{}") "," ENV "}", HM_E_INVALID,
          "verificationMaterial.tlogEntries: not an array" },
        { "{" MT "," VM_(PK ",\"tlogEntries\":[{},1]") "," ENV "}", HM_E_INVALID,
          "verificationMaterial.tlogEntries[1]: not an object" },
        { "{" MT "," VM_("\"publicKey\":{\"hint\":5}") "," ENV "}", HM_E_INVALID,
          "verificationMaterial.publicKey.hint: not a string" },
        { "{" MT "," VM_("\"publicKey\":{\"hint\":\"K\\tL\"}") "," ENV "}", HM_E_INVALID,
          "verificationMaterial.publicKey.hint: not printable ASCII" },
        { "{" MT "," VM_("\"publicKey\":{\"hint\":\"K\\u0000\"}") "," ENV "}", HM_E_INVALID,
          "~\\u0000 in string" },
        { "{\"mediaType\":\"application/vnd\xff\"," VM "," ENV "}", HM_E_INVALID,
          "~invalid UTF-8" },
        { "{" MT "," VM "," ENV_("e30=", "{\"sig\":\"c2ln\",\"keyid\":\"K\xed\xa0\x80\"}") "}",
          HM_E_INVALID, "~invalid UTF-8" }, /* a UTF-16 surrogate written as UTF-8 */
        { "{" MT "," VM ",\"dsseEnvelope\":\"e30=\"}", HM_E_INVALID,
          "dsseEnvelope: not an object" },
        { "{" MT "," VM ",\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"t\","
          "\"signatures\":{}}}",
          HM_E_INVALID, "dsseEnvelope.signatures: not an array" },
        { "{" MT "," VM "," ENV_("e3!0", SIG) "}", HM_E_INVALID,
          "dsseEnvelope.payload: not base64 (standard or URL-safe)" },
        { "{" MT "," VM "," ENV_("e30=", "{\"sig\":\"c2ln=\",\"keyid\":\"K\"}") "}", HM_E_INVALID,
          "dsseEnvelope.signatures[0].sig: not base64 (standard or URL-safe)" },
        { GOOD " x", HM_E_INVALID, "~bundle: byte " },
        { GOOD "}", HM_E_INVALID, "~bundle: byte " },
        { "{" MT "," VM "," ENV_("e30=", SIG), HM_E_INVALID, "~bundle: byte " }, /* truncated */
        { "{" MT ",", HM_E_INVALID, "~bundle: byte " },
        { "", HM_E_INVALID, "bundle: empty" },
        { "null", HM_E_INVALID, "document: not an object" },
    };

    (void)state;
    run_hostile(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_bundle_parse_limits(void **state)
{
    struct hm_bundle *b = (struct hm_bundle *)&b;
    size_t big = HM_BUNDLE_MAX_BYTES + 1, off;
    char *doc = malloc(big + 1);
    char why[256];

    (void)state;
    assert_non_null(doc);
    memset(doc, ' ', big);
    memcpy(doc, GOOD, sizeof(GOOD) - 1);
    doc[big] = '\0';
    assert_int_equal(parse(doc, &b, why, sizeof(why)), HM_E_LIMIT);
    assert_null(b);
    assert_string_equal(why, "bundle: 1048577 bytes, more than the limit of 1048576");
    /* a depth bomb where the tlog entries go */
    off = (size_t)snprintf(doc, big, "{" MT ",\"verificationMaterial\":{" PK ",\"tlogEntries\":");
    memset(doc + off, '[', 40);
    memset(doc + off + 40, ']', 40);
    (void)snprintf(doc + off + 80, big - off - 80, "}," ENV "}");
    assert_int_equal(parse(doc, &b, why, sizeof(why)), HM_E_LIMIT);
    assert_null(b);
    assert_non_null(strstr(why, "nesting deeper than the limit"));
    /* more tlog entries than an array may hold */
    off = (size_t)snprintf(doc, big, "{" MT ",\"verificationMaterial\":{" PK ",\"tlogEntries\":[");
    for (int i = 0; i < HM_MAX_SUBJECTS + 1; i++) {
        off += (size_t)snprintf(doc + off, big - off, "%s{}", i ? "," : "");
    }
    (void)snprintf(doc + off, big - off, "]}," ENV "}");
    assert_int_equal(parse(doc, &b, why, sizeof(why)), HM_E_LIMIT);
    assert_null(b);
    assert_non_null(strstr(why, "too many elements"));
    free(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundle_parse_accepts_profile),
        cmocka_unit_test(test_bundle_parse_reads_fixture),
        cmocka_unit_test(test_bundle_parse_refuses_structure),
        cmocka_unit_test(test_bundle_parse_refuses_types_and_encodings),
        cmocka_unit_test(test_bundle_parse_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_statement.c: building release statements and bundles, and parsing statements:
 * round trips, the byte-exact fixture written by data/make-fixtures.py, release checks,
 * in-toto's tolerance of unknown fields, and the strict release predicate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>

#include "attest_test.h"

static hm_err
parse(const char *doc, struct hm_statement **st, char *why, size_t why_len)
{
    return hm_statement_parse((const uint8_t *)doc, strlen(doc), st, why, why_len);
}

static void
test_statement_round_trip(void **state)
{
    static const char *const content[] = { "firmware one", "firmware two" };
    struct test_release tr;
    struct hm_statement *st = NULL;
    uint8_t *json = NULL;
    size_t len = 0;
    char why[256];

    (void)state;
    test_release_init(&tr, content, 2);
    assert_int_equal(hm_release_statement(&tr.rel, &json, &len), HM_OK);
    assert_int_equal(strlen((char *)json), len);
    if (hm_statement_parse(json, len, &st, why, sizeof(why)) != HM_OK) {
        fail_msg("%s", why);
    }
    assert_string_equal(st->predicate_type, HM_PREDICATE_RELEASE);
    assert_int_equal(st->n_subjects, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(st->subjects[i].name, tr.arts[i].name);
        assert_true(st->subjects[i].has_sha256 && st->subjects[i].has_sha512);
        assert_memory_equal(st->subjects[i].sha256, tr.arts[i].sha256, HM_SHA256_LEN);
        assert_memory_equal(st->subjects[i].sha512, tr.arts[i].sha512, HM_SHA512_LEN);
    }
    assert_string_equal(st->release->product, "acme-thermostat");
    assert_string_equal(st->release->channel, "stable");
    assert_string_equal(st->release->version, "1.4.2");
    assert_string_equal(st->release->support_end, "2031-12-31");
    assert_true(st->release->has_sbom_sha256);
    assert_memory_equal(st->release->sbom_sha256, tr.sbom, HM_SHA256_LEN);
    hm_statement_free(st);
    free(json);
    hm_statement_free(NULL);
}

static EVP_PKEY *
fixture_key(void)
{
    size_t len = 0;
    uint8_t *pem = test_read_data("release_key.pem", &len);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pkey = NULL;

    assert_non_null(bio);
    pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    assert_non_null(pkey);
    BIO_free(bio);
    free(pem);
    return pkey;
}

/* data/make-fixtures.py builds the statement and bundle from the specs in Python; ours
 * must be the same bytes (Ed25519 signatures are deterministic). */
static void
test_statement_and_bundle_match_fixture(void **state)
{
    struct hm_artifact art = { .name = "thermostat-1.4.2.bin" };
    struct hm_release rel = { .product = "acme-thermostat",
                              .channel = "stable",
                              .version = "1.4.2+build.7",
                              .artifacts = &art,
                              .n_artifacts = 1,
                              .support_end = "2031-12-31",
                              .signed_at = 1795824000 };
    struct test_signer ts = { .alg = HM_KEY_ED25519 };
    struct hm_digests d;
    struct hm_pubkey *pk = NULL;
    uint8_t sbom[HM_SHA256_LEN], *fw = NULL, *want_st = NULL, *want_b = NULL, *json = NULL;
    size_t fw_len = 0, want_st_len = 0, want_b_len = 0, len = 0;
    char *bundle = NULL;

    (void)state;
    fw = test_read_data("thermostat-1.4.2.bin", &fw_len);
    want_st = test_read_data("good_statement.json", &want_st_len);
    want_b = test_read_data("good_release.json", &want_b_len);
    test_digests(fw, fw_len, &d);
    art.size = d.size;
    memcpy(art.sha256, d.sha256, sizeof(art.sha256));
    memcpy(art.sha512, d.sha512, sizeof(art.sha512));
    hm_sha256("sbom", 4, sbom);
    rel.sbom_sha256 = sbom;
    assert_int_equal(hm_release_statement(&rel, &json, &len), HM_OK);
    assert_int_equal(len, want_st_len);
    assert_memory_equal(json, want_st, len);
    ts.pkey = fixture_key();
    pk = test_pubkey(ts.pkey);
    bundle = test_bundle(&ts, hm_pubkey_keyid(pk), HM_PAYLOAD_TYPE_INTOTO, json, len, &len);
    assert_int_equal(len, want_b_len);
    assert_memory_equal(bundle, want_b, len);
    free(bundle);
    hm_pubkey_free(pk);
    EVP_PKEY_free(ts.pkey);
    free(json);
    free(fw);
    free(want_st);
    free(want_b);
}

static void
test_statement_escapes_and_defaults(void **state)
{
    static const char *const content[] = { "x" };
    struct test_release tr;
    struct hm_statement *st = NULL;
    uint8_t *json = NULL;
    size_t len = 0;
    char why[256];

    (void)state;
    test_release_init(&tr, content, 1);
    tr.arts[0].name = "pr\xc3\xbc"
                      "fung \"v2\" \\ 100%.bin";
    tr.rel.version = "1.0.0-rc.1+build.5";
    tr.rel.channel = NULL;
    tr.rel.support_end = NULL;
    tr.rel.sbom_sha256 = NULL;
    assert_int_equal(hm_release_statement(&tr.rel, &json, &len), HM_OK);
    assert_non_null(strstr((char *)json, "\"name\":\"pr\xc3\xbc"
                                         "fung \\\"v2\\\" \\\\ 100%.bin\""));
    assert_non_null(
        strstr((char *)json, "\"purl\":\"pkg:generic/acme-thermostat@1.0.0-rc.1%2Bbuild.5\""));
    assert_non_null(strstr((char *)json, "\"channel\":\"stable\""));
    assert_null(strstr((char *)json, "supportEnd"));
    assert_null(strstr((char *)json, "sbom"));
    if (hm_statement_parse(json, len, &st, why, sizeof(why)) != HM_OK) {
        fail_msg("%s", why);
    }
    assert_string_equal(st->subjects[0].name, tr.arts[0].name);
    assert_string_equal(st->release->version, "1.0.0-rc.1+build.5");
    assert_null(st->release->support_end);
    assert_false(st->release->has_sbom_sha256);
    hm_statement_free(st);
    free(json);
}

static void
test_release_check_refuses_bad_releases(void **state)
{
    static const char *const content[] = { "a", "b" };
    static char long_name[300], long_version[200], long_product[70];
    static const struct {
        int field;
        const char *value;
        const char *why;
    } cases[] = {
        { 0, "Acme", "product: not of the form [a-z0-9][a-z0-9._-]{0,63}" },
        { 0, "-acme", "product: not of the form [a-z0-9][a-z0-9._-]{0,63}" },
        { 0, "ac me", "product: not of the form [a-z0-9][a-z0-9._-]{0,63}" },
        { 0, "", "product: not of the form [a-z0-9][a-z0-9._-]{0,63}" },
        { 0, long_product, "product: not of the form [a-z0-9][a-z0-9._-]{0,63}" },
        { 1, "Beta", "channel: not of the form [a-z0-9][a-z0-9._-]{0,63}" },
        { 2, "", "version: not 1..128 bytes of printable ASCII" },
        { 2, "1.0\n", "version: not 1..128 bytes of printable ASCII" },
        { 2, long_version, "version: not 1..128 bytes of printable ASCII" },
        { 3, "2031-02-30", "support_end: not a valid date YYYY-MM-DD" },
        { 3, "2031-1-01", "support_end: not a valid date YYYY-MM-DD" },
        { 3, "2031-01-01T00:00:00Z", "support_end: not a valid date YYYY-MM-DD" },
        { 4, "", "artifacts[0].name: not 1..255 bytes of printable UTF-8 without '/'" },
        { 4, "a/b.bin", "artifacts[0].name: not 1..255 bytes of printable UTF-8 without '/'" },
        { 4, "a\x01.bin", "artifacts[0].name: not 1..255 bytes of printable UTF-8 without '/'" },
        { 4, "a\x7f.bin", "artifacts[0].name: not 1..255 bytes of printable UTF-8 without '/'" },
        { 4, "a\xc2\x85.bin",
          "artifacts[0].name: not 1..255 bytes of printable UTF-8 without '/'" },
        { 4, "\xc3\x28.bin", "artifacts[0].name: not 1..255 bytes of printable UTF-8 without '/'" },
        { 4, "\xc0\xaf.bin", "artifacts[0].name: not 1..255 bytes of printable UTF-8 without '/'" },
        { 4, "\xed\xa0\x80.bin",
          "artifacts[0].name: not 1..255 bytes of printable UTF-8 without '/'" },
        { 4, "..", "artifacts[0].name: not 1..255 bytes of printable UTF-8 without '/'" },
        { 4, long_name, "artifacts[0].name: not 1..255 bytes of printable UTF-8 without '/'" },
        { 4, "fw-1.bin", "artifacts[1].name: the same as artifacts[0].name" },
    };
    struct test_release tr;
    char why[256];

    (void)state;
    memset(long_name, 'n', 256);
    memset(long_version, '1', 129);
    memset(long_product, 'p', 65);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t *json = (uint8_t *)"x";
        size_t len = 7;

        test_release_init(&tr, content, 2);
        switch (cases[i].field) {
        case 0:
            tr.rel.product = cases[i].value;
            break;
        case 1:
            tr.rel.channel = cases[i].value;
            break;
        case 2:
            tr.rel.version = cases[i].value;
            break;
        case 3:
            tr.rel.support_end = cases[i].value;
            break;
        default:
            tr.arts[0].name = cases[i].value;
            break;
        }
        assert_int_equal(hm_release_check(&tr.rel, why, sizeof(why)), HM_E_INVALID);
        assert_string_equal(why, cases[i].why);
        assert_int_equal(hm_release_statement(&tr.rel, &json, &len), HM_E_INVALID);
        assert_null(json);
        assert_int_equal(len, 0);
    }
    test_release_init(&tr, content, 2);
    tr.rel.signed_at = -1;
    assert_int_equal(hm_release_check(&tr.rel, why, sizeof(why)), HM_E_INVALID);
    assert_string_equal(why, "signed_at: -1 is outside 1970..9999");
    test_release_init(&tr, content, 2);
    tr.arts[1].size = ((uint64_t)1 << 53) + 1;
    assert_int_equal(hm_release_check(&tr.rel, why, sizeof(why)), HM_E_INVALID);
    assert_string_equal(why, "artifacts[1].size: more than 2^53 bytes");
    test_release_init(&tr, content, 2);
    tr.rel.n_artifacts = 0;
    assert_int_equal(hm_release_check(&tr.rel, why, sizeof(why)), HM_E_INVALID);
    assert_string_equal(why, "artifacts: 0 given, allowed 1..1024");
    assert_int_equal(hm_release_check(NULL, why, sizeof(why)), HM_E_INVALID);
}

static void
test_release_check_accepts_edges(void **state)
{
    static const char *const content[] = { "a" };
    static char name[256], version[129], product[65];
    struct test_release tr;
    char why[256];

    (void)state;
    memset(name, 'n', 255);
    memset(version, '1', 128);
    memset(product, 'p', 64);
    test_release_init(&tr, content, 1);
    tr.arts[0].name = name;
    tr.rel.version = version;
    tr.rel.product = product;
    tr.rel.channel = "beta_2.x-y";
    tr.rel.support_end = "2032-02-29";
    if (hm_release_check(&tr.rel, why, sizeof(why)) != HM_OK) {
        fail_msg("%s", why);
    }
    tr.arts[0].name = "\xe5\x9b\xba\xe4\xbb\xb6 v1 (\xf0\x9f\x94\x92).bin"; /* CJK and an emoji */
    assert_int_equal(hm_release_check(&tr.rel, why, sizeof(why)), HM_OK);
}

/* More artifacts with long names than a payload can hold: HM_E_LIMIT, nothing out. */
static void
test_release_statement_too_large(void **state)
{
    struct hm_artifact *arts = calloc(HM_MAX_SUBJECTS, sizeof(*arts));
    char(*names)[256] = calloc(HM_MAX_SUBJECTS, 256);
    struct hm_release rel = { .product = "p", .version = "1.0.0", .n_artifacts = HM_MAX_SUBJECTS };
    uint8_t *json = (uint8_t *)"x";
    size_t len = 1;

    (void)state;
    assert_non_null(arts);
    assert_non_null(names);
    for (size_t i = 0; i < HM_MAX_SUBJECTS; i++) {
        memset(names[i], 'n', 250);
        (void)snprintf(names[i] + 250, 6, "%05zu", i);
        arts[i].name = names[i];
    }
    rel.artifacts = arts;
    assert_int_equal(hm_release_check(&rel, NULL, 0), HM_OK);
    assert_int_equal(hm_release_statement(&rel, &json, &len), HM_E_LIMIT);
    assert_null(json);
    free(arts);
    free(names);
}

#define A8      "aaaaaaaa"
#define A64     A8 A8 A8 A8 A8 A8 A8 A8
#define DIG     "{\"sha256\":\"" A64 "\",\"sha512\":\"" A64 A64 "\"}"
#define TYPE    "\"_type\":\"https://in-toto.io/Statement/v1\""
#define SUBJ    "\"subject\":[{\"name\":\"fw.bin\",\"digest\":" DIG "}]"
#define PT      "\"predicateType\":\"https://hallmark.dev/attestation/release/v1\""
#define ART     "\"artifacts\":[{\"name\":\"fw.bin\",\"size\":1,\"digest\":" DIG "}]"
#define WHEN    "\"signedAt\":\"2026-11-28T00:00:00Z\""
#define PRED(x) "\"predicate\":{\"product\":\"acme\",\"version\":\"1.0.0\"," ART "," WHEN x "}"
#define ST(x)   "{" TYPE "," SUBJ "," PT "," PRED(x) "}"

static void
test_statement_parse_accepts_in_toto_variants(void **state)
{
    static const struct {
        const char *doc;
        bool release;
    } cases[] = {
        { ST(""), true },
        { ST(",\"channel\":\"beta\",\"supportEnd\":\"2030-01-01\",\"purl\":\"pkg:generic/"
             "acme@1.0.0\","
             "\"manufacturer\":\"ACME GmbH\",\"securityContact\":\"mailto:psirt@acme.example\","
             "\"sbom\":{\"digest\":{\"sha256\":\"" A64 "\"}}"),
          true },
        { "{\"_type\":\"https://in-toto.io/Statement/v0.1\"," SUBJ "," PT "," PRED("") "}", true },
        /* unknown fields at the statement level and in ResourceDescriptors are ignored */
        { "{" TYPE ",\"future\":{\"x\":[1,2]},\"subject\":[{\"uri\":\"https://x\",\"digest\":"
          "{\"sha512\":\"" A64 A64 "\",\"gitCommit\":\"abc\",\"sha1\":7},\"annotations\":{}}]," PT
          "," PRED("") "}",
          true },
        { "{" TYPE "," SUBJ ",\"predicateType\":\"https://slsa.dev/provenance/v1\","
          "\"predicate\":{\"anything\":[1,{\"x\":null}]}}",
          false },
        { "{" TYPE "," SUBJ ",\"predicateType\":\"https://example.com/none/v1\"}", false },
    };
    char why[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hm_statement *st = NULL;

        if (parse(cases[i].doc, &st, why, sizeof(why)) != HM_OK) {
            fail_msg("case %zu: %s", i, why);
        }
        assert_int_equal(st->n_subjects, 1);
        assert_int_equal(st->release != NULL, cases[i].release);
        hm_statement_free(st);
    }
}

static void
test_statement_parse_refuses_hostile(void **state)
{
    static const struct {
        const char *doc;
        hm_err want;
        const char *why; /* exact, or a substring when it starts with '~' */
    } cases[] = {
        { "{\"_type\":\"https://in-toto.io/Statement/v2\"," SUBJ "," PT "," PRED("") "}",
          HM_E_INVALID,
          "_type: \"https://in-toto.io/Statement/v2\" is not an in-toto Statement v1 "
          "or v0.1" },
        { "{" SUBJ "," PT "," PRED("") "}", HM_E_INVALID, "_type: missing" },
        { "{" TYPE "," PT "," PRED("") "}", HM_E_INVALID, "subject: missing" },
        { "{" TYPE ",\"subject\":[]," PT "," PRED("") "}", HM_E_INVALID, "subject: empty" },
        { "{" TYPE ",\"subject\":{}," PT "," PRED("") "}", HM_E_INVALID, "subject: not an array" },
        { "{" TYPE ",\"subject\":[\"fw\"]," PT "," PRED("") "}", HM_E_INVALID,
          "subject[0]: not an object" },
        { "{" TYPE ",\"subject\":[{\"name\":\"fw\"}]," PT "," PRED("") "}", HM_E_INVALID,
          "subject[0].digest: missing" },
        { "{" TYPE ",\"subject\":[{\"digest\":{\"sha1\":\"aa\"}}]," PT "," PRED("") "}",
          HM_E_INVALID, "subject[0].digest: has neither sha256 nor sha512" },
        { "{" TYPE ",\"subject\":[{\"digest\":{\"sha256\":\"" A64 "\"}},{\"digest\":{\"sha256\":"
          "\"" A8 "AAAAAAAA" A8 A8 A8 A8 A8 A8 "\"}}]," PT "," PRED("") "}",
          HM_E_INVALID, "subject[1].digest.sha256: not 64 lowercase hex digits" },
        { "{" TYPE ",\"subject\":[{\"digest\":{\"sha256\":\"" A8 "\"}}]," PT "," PRED("") "}",
          HM_E_INVALID, "subject[0].digest.sha256: not 64 lowercase hex digits" },
        { "{" TYPE ",\"subject\":[{\"digest\":{\"sha512\":\"" A64 A8 "\"}}]," PT "," PRED("") "}",
          HM_E_INVALID, "subject[0].digest.sha512: not 128 lowercase hex digits" },
        { "{" TYPE ",\"subject\":[{\"name\":7,\"digest\":" DIG "}]," PT "," PRED("") "}",
          HM_E_INVALID, "subject[0].name: not a string" },
        { "{" TYPE "," SUBJ "," PRED("") "}", HM_E_INVALID, "predicateType: missing" },
        { "{" TYPE "," SUBJ "," PT "}", HM_E_INVALID, "predicate: missing" },
        { "{" TYPE "," SUBJ ",\"predicateType\":\"https://x/v1\",\"predicate\":[]}", HM_E_INVALID,
          "predicate: not an object" },
        { ST(",\"extra\":1"), HM_E_INVALID, "predicate: unknown key \"extra\"" },
        { ST(",\"Product\":\"x\""), HM_E_INVALID, "predicate: unknown key \"Product\"" },
        { "{" TYPE "," SUBJ "," PT ",\"predicate\":{\"product\":\"Acme\",\"version\":\"1\"," ART
          "," WHEN "}}",
          HM_E_INVALID, "predicate.product: not of the form [a-z0-9][a-z0-9._-]{0,63}" },
        { "{" TYPE "," SUBJ "," PT ",\"predicate\":{\"product\":\"acme\"," ART "," WHEN "}}",
          HM_E_INVALID, "predicate.version: missing" },
        { "{" TYPE "," SUBJ "," PT ",\"predicate\":{\"product\":\"acme\",\"version\":\"1\"," WHEN
          "}}",
          HM_E_INVALID, "predicate.artifacts: missing" },
        { "{" TYPE "," SUBJ "," PT ",\"predicate\":{\"product\":\"acme\",\"version\":\"1\"," ART
          "}}",
          HM_E_INVALID, "predicate.signedAt: missing" },
        { ST(",\"channel\":\"Beta\""), HM_E_INVALID,
          "predicate.channel: not of the form [a-z0-9][a-z0-9._-]{0,63}" },
        { ST(",\"supportEnd\":\"2031-02-30\""), HM_E_INVALID,
          "predicate.supportEnd: not a date YYYY-MM-DD" },
        { ST(",\"manufacturer\":7"), HM_E_INVALID, "predicate.manufacturer: not a string" },
        { ST(",\"securityContact\":\"a\\nb\""), HM_E_INVALID,
          "predicate.securityContact: not printable ASCII" },
        { ST(",\"sbom\":{\"digest\":{}}"), HM_E_INVALID, "predicate.sbom.digest.sha256: missing" },
        { ST(",\"sbom\":{\"digest\":{\"sha256\":\"" A64 "\"},\"uri\":\"x\"}"), HM_E_INVALID,
          "predicate.sbom: unknown key \"uri\"" },
        { ST(",\"sbom\":{\"digest\":{\"sha256\":\"" A64 "\",\"md5\":\"x\"}}"), HM_E_INVALID,
          "predicate.sbom.digest: unknown key \"md5\"" },
        { "{" TYPE "," SUBJ "," PT ",\"predicate\":{\"product\":\"acme\",\"version\":\"1\","
          "\"artifacts\":[{\"name\":\"fw\",\"size\":-1,\"digest\":" DIG "}]," WHEN "}}",
          HM_E_INVALID, "predicate.artifacts[0].size: not an integer in 0..2^53" },
        { "{" TYPE "," SUBJ "," PT ",\"predicate\":{\"product\":\"acme\",\"version\":\"1\","
          "\"artifacts\":[{\"name\":\"fw\",\"size\":1.5,\"digest\":" DIG "}]," WHEN "}}",
          HM_E_INVALID, "predicate.artifacts[0].size: not an integer in 0..2^53" },
        { "{" TYPE "," SUBJ "," PT ",\"predicate\":{\"product\":\"acme\",\"version\":\"1\","
          "\"artifacts\":[{\"name\":\"fw\",\"size\":1e300,\"digest\":" DIG "}]," WHEN "}}",
          HM_E_INVALID, "predicate.artifacts[0].size: not an integer in 0..2^53" },
        { "{" TYPE "," SUBJ "," PT ",\"predicate\":{\"product\":\"acme\",\"version\":\"1\","
          "\"artifacts\":[{\"name\":\"fw\",\"size\":1,\"digest\":" DIG ",\"x\":1}]," WHEN "}}",
          HM_E_INVALID, "predicate.artifacts[0]: unknown key \"x\"" },
        { "{" TYPE "," SUBJ "," PT ",\"predicate\":{\"product\":\"acme\",\"version\":\"1\","
          "\"artifacts\":[]," WHEN "}}",
          HM_E_INVALID, "predicate.artifacts: empty" },
        { "{" TYPE "," SUBJ "," PT ",\"predicate\":{\"product\":\"acme\",\"version\":\"1\"," ART
          ",\"signedAt\":\"yesterday\"}}",
          HM_E_INVALID, "predicate.signedAt: not an RFC 3339 time" },
        { "{" TYPE "," TYPE "," SUBJ "," PT "," PRED("") "}", HM_E_INVALID,
          "~: duplicate key \"_type\"" },
        { "{" TYPE "," SUBJ "," PT "," PRED(",\"version\":\"2.0.0\"") "}", HM_E_INVALID,
          "~: duplicate key \"version\"" },
        { "{\"_type\":\"https://in-toto.io/Statement/v1\\u0000\"," SUBJ "," PT "," PRED("") "}",
          HM_E_INVALID, "~\\u0000 in string" },
        { "{" TYPE ",\"subject\":[{\"name\":\"\xff\",\"digest\":" DIG "}]," PT "," PRED("") "}",
          HM_E_INVALID, "~invalid UTF-8" },
        { ST("") " trailing", HM_E_INVALID, "~statement: byte " },
        { "[" ST("") "]", HM_E_INVALID, "statement: not an object" },
        { "", HM_E_INVALID, "statement: empty" },
    };
    char why[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hm_statement *st = (struct hm_statement *)&st;
        hm_err got = parse(cases[i].doc, &st, why, sizeof(why));

        if (got != cases[i].want) {
            fail_msg("case %zu: want %s, got %s (%s)", i, hm_strerror(cases[i].want),
                     hm_strerror(got), why);
        }
        assert_null(st);
        if (cases[i].why[0] == '~' ? strstr(why, cases[i].why + 1) == NULL
                                   : strcmp(why, cases[i].why) != 0) {
            fail_msg("case %zu: why \"%s\", want \"%s\"", i, why, cases[i].why);
        }
    }
}

static void
test_statement_parse_limits(void **state)
{
    size_t cap = HM_PAYLOAD_MAX_BYTES + 64, off;
    char *doc = malloc(cap);
    struct hm_statement *st = (struct hm_statement *)&st;
    char why[256];

    (void)state;
    assert_non_null(doc);
    /* 1025 subjects: more than an array may hold */
    off = (size_t)snprintf(doc, cap, "{" TYPE ",\"subject\":[");
    for (int i = 0; i <= HM_MAX_SUBJECTS; i++) {
        off += (size_t)snprintf(doc + off, cap - off, "%s{\"digest\":{\"sha256\":\"" A64 "\"}}",
                                i ? "," : "");
    }
    (void)snprintf(doc + off, cap - off, "]," PT "," PRED("") "}");
    assert_int_equal(parse(doc, &st, why, sizeof(why)), HM_E_LIMIT);
    assert_null(st);
    assert_non_null(strstr(why, "too many elements"));
    /* deeper than 32 inside an unknown field, which is otherwise ignored */
    off = (size_t)snprintf(doc, cap, "{" TYPE ",\"x\":");
    memset(doc + off, '[', 40);
    memset(doc + off + 40, ']', 40);
    (void)snprintf(doc + off + 80, cap - off - 80, "," SUBJ "," PT "," PRED("") "}");
    assert_int_equal(parse(doc, &st, why, sizeof(why)), HM_E_LIMIT);
    assert_null(st);
    assert_non_null(strstr(why, "nesting deeper than the limit"));
    /* larger than a payload may be */
    memset(doc, ' ', cap);
    memcpy(doc, ST(""), sizeof(ST("")) - 1);
    assert_int_equal(
        hm_statement_parse((uint8_t *)doc, HM_PAYLOAD_MAX_BYTES + 1, &st, why, sizeof(why)),
        HM_E_LIMIT);
    assert_null(st);
    assert_string_equal(why, "statement: 524289 bytes, more than the limit of 524288");
    free(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statement_round_trip),
        cmocka_unit_test(test_statement_and_bundle_match_fixture),
        cmocka_unit_test(test_statement_escapes_and_defaults),
        cmocka_unit_test(test_release_check_refuses_bad_releases),
        cmocka_unit_test(test_release_check_accepts_edges),
        cmocka_unit_test(test_release_statement_too_large),
        cmocka_unit_test(test_statement_parse_accepts_in_toto_variants),
        cmocka_unit_test(test_statement_parse_refuses_hostile),
        cmocka_unit_test(test_statement_parse_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

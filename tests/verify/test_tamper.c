/*
 * test_tamper.c: the tampered-bundle corpus.  One good bundle (P-256 signature, Ed25519
 * log, entry 5 of a tree of 9), then each field of the envelope, the statement, the entry,
 * the inclusion proof, the checkpoint and the leaf changed in turn, each refused with its
 * exact reason; and leaves that the log itself recorded wrongly (the proof holds, the leaf
 * does not describe the envelope).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vt.h"
#include "vt_mutate.h"

#define ORIGIN   "log.hallmark.test/acme"
#define NOW      1795900000 /* after the signature */
#define IMAGE    "firmware image"
#define TL       "verificationMaterial.tlogEntries[0]"
#define PROOF    TL ".inclusionProof"
#define CP       PROOF ".checkpoint.envelope"
#define ENVELOPE "dsseEnvelope"

static struct vt_key *signer, *other, *rootkey, *stranger;
static struct vt_log *log_;
static struct hm_trustroot *root;
static char *good;

static int
setup(void **state)
{
    struct vt_release r = { .filler_before = 5, .filler_after = 3 };
    struct vt_root tr = { 0 };
    size_t len = 0;
    char *env;

    (void)state;
    signer = vt_key_new(HM_KEY_EC_P256);
    other = vt_key_new(HM_KEY_EC_P384);
    rootkey = vt_key_new(HM_KEY_ED25519);
    stranger = vt_key_new(HM_KEY_EC_P256);
    log_ = vt_log_new(HM_KEY_ED25519, ORIGIN);
    tr.keys[0] = (struct vt_root_key){ signer, "acme-thermostat,acme-hub", 0, 0, false };
    tr.keys[1] = (struct vt_root_key){ other, "acme-thermostat", 0, 0, false };
    tr.n_keys = 2;
    tr.logs[0] = log_;
    tr.n_logs = 1;
    tr.root_keys[0] = rootkey;
    tr.n_root_keys = 1;
    env = vt_root_signed(&tr, &len);
    root = vt_root_parse(env, len);
    free(env);
    good = vt_bundle(signer, log_, &r, &len);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    free(good);
    hm_trustroot_free(root);
    vt_log_free(log_);
    vt_key_free(signer);
    vt_key_free(other);
    vt_key_free(rootkey);
    vt_key_free(stranger);
    return 0;
}

static void
verify(const char *bundle, const char *image, const char *installed, struct hm_verify_result *res)
{
    struct hm_verify_image img = { .source = HM_IMAGE_DIGEST, .name = "firmware.bin" };
    struct hm_device_facts dev = { "acme-thermostat", installed, NOW };
    struct hm_digests d;

    memset(&d, 0, sizeof(d));
    hm_sha256(image, strlen(image), img.sha256);
    img.has_sha256 = true;
    assert_int_equal(
        hm_verify_bundle(root, (const uint8_t *)bundle, strlen(bundle), &img, 1, &dev, res), HM_OK);
}

static void
expect(const char *what, const char *bundle, enum hm_verify_status want, const char *detail)
{
    struct hm_verify_result res;

    verify(bundle, IMAGE, "1.4.1", &res);
    if (res.status != want || (detail != NULL && strstr(res.detail, detail) == NULL)) {
        fail_msg("%s: got %s (%s), wanted %s%s%s", what, hm_verify_status_name(res.status),
                 res.detail, hm_verify_status_name(want), detail ? " with " : "",
                 detail ? detail : "");
    }
}

static void
test_tamper_good_bundle_verifies(void **state)
{
    struct hm_verify_result res;
    struct vt_mut none = { VT_NONE, "", NULL, NULL, 0 };
    char *again = vt_mutate(good, &none, 1);

    (void)state;
    verify(good, IMAGE, "1.4.1", &res);
    if (res.status != HM_V_OK) {
        fail_msg("good bundle: %s: %s", hm_verify_status_name(res.status), res.detail);
    }
    assert_true(res.logged);
    assert_int_equal(res.log_index, 5);
    assert_int_equal(res.log_tree_size, 9);
    assert_string_equal(res.log_origin, ORIGIN);
    assert_string_equal(res.version, "1.4.2");
    assert_string_equal(res.support_end, "2031-12-31");
    assert_true(res.has_sbom_sha256);
    assert_int_equal(res.sbom_sha256[0], 0xab);
    assert_true(res.time_checked);
    assert_true(res.signed_at_logged);
    assert_int_equal(res.signed_at, 1795824001);
    assert_string_equal(res.keyid, vt_key_id(signer));
    /* re-serialising the JSON (the mutation engine's control case) changes nothing */
    expect("re-serialised", again, HM_V_OK, NULL);
    free(again);
}

struct tcase {
    const char *what;
    struct vt_mut m[2];
    enum hm_verify_status want;
    const char *detail;
};

static const struct tcase CASES[] = {
    /* ---- envelope ---- */
    { "payload byte",
      { { VT_FLIP, ENVELOPE ".payload", NULL, NULL, 40 } },
      HM_V_BAD_SIGNATURE,
      "does not verify over the DSSE PAE" },
    { "payloadType",
      { { VT_SET, ENVELOPE ".payloadType", "application/json", NULL, 0 } },
      HM_V_WRONG_PAYLOAD_TYPE,
      "payloadType" },
    { "signature",
      { { VT_FLIP, ENVELOPE ".signatures[0].sig", NULL, NULL, 20 } },
      HM_V_BAD_SIGNATURE,
      NULL },
    { "keyid only",
      { { VT_SET, ENVELOPE ".signatures[0].keyid", "AAAA", NULL, 0 } },
      HM_V_MALFORMED_BUNDLE,
      "does not equal verificationMaterial.publicKey.hint" },
    { "hint and keyid to an unknown key",
      { { VT_SET, "verificationMaterial.publicKey.hint", "AAAA", NULL, 0 },
        { VT_SET, ENVELOPE ".signatures[0].keyid", "AAAA", NULL, 0 } },
      HM_V_UNKNOWN_KEY,
      "names no key of trust root" },
    { "two signatures",
      { { VT_APPEND_COPY, ENVELOPE ".signatures", NULL, NULL, 0 } },
      HM_V_MALFORMED_BUNDLE,
      "exactly one signature" },
    { "mediaType",
      { { VT_SET, "mediaType", "application/json", NULL, 0 } },
      HM_V_MALFORMED_BUNDLE,
      "mediaType" },
    { "unknown key in the envelope",
      { { VT_ADD_MEMBER, ENVELOPE, NULL, NULL, 0 } },
      HM_V_MALFORMED_BUNDLE,
      "unknown key" },
    /* ---- the statement, changed inside the signed payload ---- */
    { "statement version",
      { { VT_REPLACE_B64, ENVELOPE ".payload", "\"version\":\"1.4.2\"", "\"version\":\"1.4.9\"",
          0 } },
      HM_V_BAD_SIGNATURE,
      NULL },
    { "statement product",
      { { VT_REPLACE_B64, ENVELOPE ".payload", "acme-thermostat", "acme-hub", 0 } },
      HM_V_BAD_SIGNATURE,
      NULL },
    { "statement subject digest",
      { { VT_REPLACE_B64, ENVELOPE ".payload", "\"sha256\":\"", "\"sha256\":\"0", 0 } },
      HM_V_BAD_SIGNATURE,
      NULL },
    { "statement predicateType",
      { { VT_REPLACE_B64, ENVELOPE ".payload", "release/v1", "release/v2", 0 } },
      HM_V_BAD_SIGNATURE,
      NULL },
    { "statement supportEnd",
      { { VT_REPLACE_B64, ENVELOPE ".payload", "2031-12-31", "2039-12-31", 0 } },
      HM_V_BAD_SIGNATURE,
      NULL },
    /* ---- the entry ---- */
    { "no entry",
      { { VT_DELETE, TL, NULL, NULL, 0 } },
      HM_V_LOG_PROOF_INVALID,
      "no transparency-log entry" },
    { "logIndex",
      { { VT_SET, TL ".logIndex", "4", NULL, 0 } },
      HM_V_LOG_PROOF_INVALID,
      "is not the entry's logIndex" },
    { "logIndex and proof logIndex",
      { { VT_SET, TL ".logIndex", "4", NULL, 0 }, { VT_SET, PROOF ".logIndex", "4", NULL, 0 } },
      HM_V_LOG_PROOF_INVALID,
      "does not reach the root" },
    { "logId",
      { { VT_FLIP, TL ".logId.keyId", NULL, NULL, 0 } },
      HM_V_LOG_PROOF_INVALID,
      "no transparency-log entry is from a log of the trust root" },
    { "kindVersion",
      { { VT_SET, TL ".kindVersion.kind", "hashedrekord", NULL, 0 } },
      HM_V_MALFORMED_BUNDLE,
      "only kind \"dsse\"" },
    { "integratedTime",
      { { VT_SET, TL ".integratedTime", "1795824999", NULL, 0 } },
      HM_V_LOG_PROOF_INVALID,
      "integratedTime" },
    { "logIndex not a number",
      { { VT_SET, TL ".logIndex", "05", NULL, 0 } },
      HM_V_MALFORMED_BUNDLE,
      "not an int64" },
    { "unknown key in the entry",
      { { VT_ADD_MEMBER, TL, NULL, NULL, 0 } },
      HM_V_MALFORMED_BUNDLE,
      "unknown key" },
    /* ---- the inclusion proof ---- */
    { "proof logIndex",
      { { VT_SET, PROOF ".logIndex", "6", NULL, 0 } },
      HM_V_LOG_PROOF_INVALID,
      "is not the entry's logIndex" },
    { "proof treeSize",
      { { VT_SET, PROOF ".treeSize", "10", NULL, 0 } },
      HM_V_LOG_PROOF_INVALID,
      "is not the checkpoint's size" },
    { "proof rootHash",
      { { VT_FLIP, PROOF ".rootHash", NULL, NULL, 3 } },
      HM_V_LOG_PROOF_INVALID,
      "rootHash is not the checkpoint's root" },
    { "proof first hash",
      { { VT_FLIP, PROOF ".hashes[0]", NULL, NULL, 0 } },
      HM_V_LOG_PROOF_INVALID,
      "does not reach the root" },
    { "proof last hash",
      { { VT_FLIP, PROOF ".hashes[3]", NULL, NULL, 31 } },
      HM_V_LOG_PROOF_INVALID,
      "does not reach the root" },
    { "proof hash removed",
      { { VT_DELETE, PROOF ".hashes[3]", NULL, NULL, 0 } },
      HM_V_LOG_PROOF_INVALID,
      "does not reach the root" },
    { "proof hash added",
      { { VT_APPEND_COPY, PROOF ".hashes", NULL, NULL, 0 } },
      HM_V_LOG_PROOF_INVALID,
      "does not reach the root" },
    { "proof hash not 32 bytes",
      { { VT_SET, PROOF ".hashes[0]", "AAAA", NULL, 0 } },
      HM_V_MALFORMED_BUNDLE,
      "32-byte hash" },
    /* ---- the checkpoint ---- */
    { "checkpoint origin",
      { { VT_REPLACE, CP, ORIGIN "\n", ORIGIN "x\n", 0 } },
      HM_V_CHECKPOINT_SIG_INVALID,
      "origin" },
    { "checkpoint size",
      { { VT_REPLACE, CP, "\n9\n", "\n10\n", 0 } },
      HM_V_CHECKPOINT_SIG_INVALID,
      "no valid signature by log" },
    { "checkpoint root",
      { { VT_LINE_FLIP, CP, "end", NULL, 2 } },
      HM_V_CHECKPOINT_SIG_INVALID,
      "no valid signature by log" },
    { "checkpoint signature",
      { { VT_LINE_FLIP, CP, "end", NULL, 4 } },
      HM_V_CHECKPOINT_SIG_INVALID,
      "no valid signature by log" },
    { "checkpoint key id",
      { { VT_LINE_FLIP, CP, "token", NULL, 4 } },
      HM_V_CHECKPOINT_SIG_INVALID,
      "no valid signature by log" },
    { "checkpoint signer name",
      { { VT_REPLACE, CP, "\xe2\x80\x94 " ORIGIN " ", "\xe2\x80\x94 " ORIGIN "x ", 0 } },
      HM_V_CHECKPOINT_SIG_INVALID,
      "no valid signature by log" },
    { "checkpoint signature line removed",
      { { VT_REPLACE, CP, "\n\n\xe2\x80\x94", "\n\nx", 0 } },
      HM_V_CHECKPOINT_SIG_INVALID,
      "not a signed checkpoint note" },
    { "checkpoint extension line",
      { { VT_REPLACE, CP, "=\n\n", "=\nextra\n\n", 0 } },
      HM_V_CHECKPOINT_SIG_INVALID,
      "no valid signature by log" },
    /* ---- the leaf, changed after it was logged ---- */
    { "leaf payloadHash",
      { { VT_REPLACE_B64, TL ".canonicalizedBody", "\"value\":\"", "\"value\":\"0", 0 } },
      HM_V_LOG_PROOF_INVALID,
      "does not reach the root" },
    { "leaf version",
      { { VT_REPLACE_B64, TL ".canonicalizedBody", "\"version\":\"1.4.2\"", "\"version\":\"1.4.3\"",
          0 } },
      HM_V_LOG_PROOF_INVALID,
      "does not reach the root" },
    { "leaf keyid",
      { { VT_REPLACE_B64, TL ".canonicalizedBody", "\"keyid\":\"", "\"keyid\":\"x", 0 } },
      HM_V_LOG_PROOF_INVALID,
      "does not reach the root" },
    { "leaf time",
      { { VT_REPLACE_B64, TL ".canonicalizedBody", "2026-", "2027-", 0 } },
      HM_V_LOG_PROOF_INVALID,
      "does not reach the root" },
};

static void
test_tamper_each_field(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        char *bad = vt_mutate(good, CASES[i].m, 2);

        expect(CASES[i].what, bad, CASES[i].want, CASES[i].detail);
        free(bad);
    }
}

/* The leaf is edited before it is logged: the proof holds, the leaf lies. */
struct edit {
    const char *marker;    /* the character after it is changed ... */
    const char *from, *to; /* ... or from becomes to (same length) */
};

static void
edit_leaf(char *leaf, size_t len, void *ctx)
{
    const struct edit *e = ctx;
    char *at;

    (void)len;
    if (e->marker != NULL) {
        assert_non_null(at = strstr(leaf, e->marker));
        at += strlen(e->marker);
        *at = *at == '0' ? '1' : (*at == 'A' ? 'B' : (*at == 'a' ? 'b' : '0'));
        return;
    }
    assert_int_equal(strlen(e->from), strlen(e->to));
    assert_non_null(at = strstr(leaf, e->from));
    memcpy(at, e->to, strlen(e->to));
}

static void
test_tamper_leaf_logged_wrong(void **state)
{
    char *pem_b64 = NULL, *other_b64 = NULL;
    struct {
        const char *what;
        struct edit e;
        enum hm_verify_status want;
        const char *detail;
    } cases[] = {
        { "payloadHash", { "\"value\":\"", NULL, NULL }, HM_V_LOG_PROOF_INVALID, "payloadHash" },
        { "signature",
          { "\"signature\":\"", NULL, NULL },
          HM_V_LOG_PROOF_INVALID,
          "signature is not the envelope's" },
        { "verifier", { NULL, NULL, NULL }, HM_V_LOG_PROOF_INVALID, "verifier is not the signing" },
        { "keyid", { "\"keyid\":\"", NULL, NULL }, HM_V_LOG_PROOF_INVALID, "hallmark.keyid" },
        { "version",
          { NULL, "\"version\":\"1.4.2\"", "\"version\":\"1.4.3\"" },
          HM_V_LOG_PROOF_INVALID,
          "names another release" },
        { "product",
          { NULL, "\"product\":\"acme-thermostat\"", "\"product\":\"acme-thermostax\"" },
          HM_V_LOG_PROOF_INVALID,
          "names another release" },
        { "product charset",
          { NULL, "\"product\":\"acme-thermostat\"", "\"product\":\"acme-thermostaT\"" },
          HM_V_LOG_PROOF_INVALID,
          "hallmark.product" },
        { "channel",
          { NULL, "\"channel\":\"stable\"", "\"channel\":\"stablx\"" },
          HM_V_LOG_PROOF_INVALID,
          "names another release" },
        { "time",
          { NULL, "\"time\":\"2026-", "\"time\":\"2025-" },
          HM_V_LOG_PROOF_INVALID,
          "integratedTime" },
        { "apiVersion", { NULL, "\"0.0.1\"", "\"0.0.2\"" }, HM_V_LOG_PROOF_INVALID, "apiVersion" },
        { "unknown member",
          { NULL, "\"hallmark\":{\"v\":1,", "\"hallmark\":{\"w\":1," },
          HM_V_LOG_PROOF_INVALID,
          "unknown key" },
    };

    (void)state;
    pem_b64 = NULL;
    assert_int_equal(
        hm_b64_encode((const uint8_t *)vt_key_pem(signer), strlen(vt_key_pem(signer)), &pem_b64),
        HM_OK);
    assert_int_equal(hm_b64_encode((const uint8_t *)vt_key_pem(stranger),
                                   strlen(vt_key_pem(stranger)), &other_b64),
                     HM_OK);
    cases[2].e.from = pem_b64;
    cases[2].e.to = other_b64;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct vt_release r = { .filler_before = 2,
                                .edit_leaf = edit_leaf,
                                .edit_ctx = &cases[i].e };
        size_t len = 0;
        char *b = vt_bundle(signer, log_, &r, &len);

        expect(cases[i].what, b, cases[i].want, cases[i].detail);
        free(b);
    }
    free(pem_b64);
    free(other_b64);
}

/* Re-signed, re-logged statements that are well made but wrong for this device. */
static void
test_tamper_statement_resigned(void **state)
{
    struct {
        const char *what;
        const struct vt_key *key;
        struct vt_release r;
        const char *image, *installed;
        enum hm_verify_status want;
        const char *detail;
    } cases[] = {
        { "another product of the key",
          signer,
          { .product = "acme-hub" },
          IMAGE,
          "1.4.1",
          HM_V_WRONG_PRODUCT,
          "acme-hub" },
        { "a product the key may not sign",
          signer,
          { .product = "acme-door" },
          IMAGE,
          "1.4.1",
          HM_V_KEY_NOT_VALID,
          "may sign 2 product(s)" },
        { "P-384 key, product not its own",
          other,
          { .product = "acme-hub" },
          IMAGE,
          "1.4.1",
          HM_V_KEY_NOT_VALID,
          "not acme-hub" },
        { "older version",
          signer,
          { .version = "1.4.0" },
          IMAGE,
          "1.4.1",
          HM_V_ROLLBACK,
          "not newer" },
        { "same version", signer, { .version = "1.4.1" }, IMAGE, "1.4.1", HM_V_ROLLBACK, NULL },
        { "another image",
          signer,
          { 0 },
          "other image",
          "1.4.1",
          HM_V_DIGEST_MISMATCH,
          "firmware.bin" },
        { "key not in the root", stranger, { 0 }, IMAGE, "1.4.1", HM_V_UNKNOWN_KEY, NULL },
    };
    struct hm_verify_result res;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = 0;
        char *b = vt_bundle(cases[i].key, log_, &cases[i].r, &len);

        verify(b, cases[i].image, cases[i].installed, &res);
        if (res.status != cases[i].want ||
            (cases[i].detail && strstr(res.detail, cases[i].detail) == NULL)) {
            fail_msg("%s: got %s (%s)", cases[i].what, hm_verify_status_name(res.status),
                     res.detail);
        }
        free(b);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tamper_good_bundle_verifies),
        cmocka_unit_test(test_tamper_each_field),
        cmocka_unit_test(test_tamper_leaf_logged_wrong),
        cmocka_unit_test(test_tamper_statement_resigned),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_verify_fixtures.c: the fixed bundles of tests/attest/data (written by
 * data/make-fixtures.py), each with its exact verdict.  This program links
 * libhallmark-verify and nothing of attest/, as a device would.
 */
#include <dirent.h>
#include <hm/verify.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const struct fixture {
    const char *file;
    enum hm_verify_status want;
    const char *detail; /* a substring of out.detail */
} FIXTURES[] = {
    { "good_release.json", HM_V_OK, "" },
    { "good_release_old_media_type.json", HM_V_OK, "" },
    { "good_release_urlsafe_b64.json", HM_V_OK, "" },
    { "tampered_payload.json", HM_V_BAD_SIGNATURE, "does not verify over the DSSE PAE" },
    { "tampered_subject.json", HM_V_BAD_SIGNATURE, "does not verify over the DSSE PAE" },
    { "tampered_sig.json", HM_V_BAD_SIGNATURE, "does not verify over the DSSE PAE" },
    { "tampered_other_key_claims_ours.json", HM_V_BAD_SIGNATURE,
      "does not verify over the DSSE PAE" },
    { "tampered_payload_type.json", HM_V_WRONG_PAYLOAD_TYPE,
      "dsseEnvelope.payloadType is \"application/json\", expected application/vnd.in-toto+json" },
    { "tampered_keyid.json", HM_V_MALFORMED_BUNDLE,
      "dsseEnvelope.signatures[0].keyid: does not equal verificationMaterial.publicKey.hint" },
    { "tampered_hint.json", HM_V_MALFORMED_BUNDLE,
      "dsseEnvelope.signatures[0].keyid: does not equal verificationMaterial.publicKey.hint" },
    { "tampered_hint_and_keyid.json", HM_V_UNKNOWN_KEY,
      "does not name the trusted key TKdpP+S9Om6YmfqsQhP2KMzzQjr8xHEwJoCCt6V8a3Q=" },
    { "tampered_other_key.json", HM_V_UNKNOWN_KEY, "does not name the trusted key" },
    { "tampered_subject_digest.json", HM_V_DIGEST_MISMATCH,
      "artifact thermostat-1.4.2.bin has sha256 f7cd6117c9a5\xe2\x80\xa6 but the subject of that "
      "name has sha256 111111111111\xe2\x80\xa6" },
    { "tampered_not_listed.json", HM_V_NOT_A_SUBJECT,
      "artifact thermostat-1.4.2.bin (sha256 f7cd6117c9a5\xe2\x80\xa6) is not a subject of the "
      "statement" },
    { "tampered_product.json", HM_V_WRONG_PRODUCT,
      "the statement is for product acme-oven, expected acme-thermostat" },
    { "tampered_rollback.json", HM_V_ROLLBACK,
      "version 1.4.1 is not newer than the installed 1.4.2-rc.1" },
    { "tampered_predicate.json", HM_V_WRONG_PREDICATE,
      "predicateType is https://slsa.dev/provenance/v1, expected "
      "https://hallmark.dev/attestation/release/v1" },
    { "tampered_statement.json", HM_V_MALFORMED_STATEMENT, "signed statement: subject: empty" },
    { "tampered_message_signature.json", HM_V_MALFORMED_BUNDLE,
      "messageSignature: message signatures are not supported" },
    { "tampered_two_signatures.json", HM_V_MALFORMED_BUNDLE,
      "a bundle's envelope has exactly one signature, this one has 2" },
    { "tampered_media_type.json", HM_V_MALFORMED_BUNDLE,
      "mediaType: \"application/vnd.dev.sigstore.bundle.v0.2+json\" is not a Sigstore bundle "
      "v0.3" },
    { "tampered_duplicate_payload.json", HM_V_MALFORMED_BUNDLE, "duplicate key \"payload\"" },
};

static char *
data_path(const char *name)
{
    const char *src = getenv("HM_SRC");
    char *path = NULL;

    assert_non_null(src);
    assert_true(asprintf(&path, "%s/tests/attest/data/%s", src, name) > 0);
    return path;
}

static uint8_t *
read_data(const char *name, size_t *len)
{
    char *path = data_path(name);
    uint8_t *buf = NULL;

    if (hm_read_file(path, HM_BUNDLE_MAX_BYTES + 1, &buf, len) != HM_OK) {
        fail_msg("cannot read %s", path);
    }
    free(path);
    return buf;
}

static struct hm_pubkey *
read_key(const char *name)
{
    size_t len = 0;
    uint8_t *pem = read_data(name, &len);
    struct hm_pubkey *pk = NULL;

    assert_int_equal(hm_pubkey_from_pem(pem, len, &pk), HM_OK);
    free(pem);
    return pk;
}

static void
firmware(struct hm_verify_artifact *art)
{
    char *path = data_path("thermostat-1.4.2.bin");

    art->name = "thermostat-1.4.2.bin";
    assert_int_equal(hm_digest_file(path, &art->digests), HM_OK);
    free(path);
}

static void
test_verify_fixtures_each_verdict(void **state)
{
    struct hm_pubkey *pk = read_key("release_key.pub.pem");
    struct hm_verify_opts opts = { .product = "acme-thermostat",
                                   .installed_version = "1.4.2-rc.1" };
    struct hm_verify_artifact art;

    (void)state;
    firmware(&art);
    assert_string_equal(hm_pubkey_keyid(pk), "TKdpP+S9Om6YmfqsQhP2KMzzQjr8xHEwJoCCt6V8a3Q=");
    assert_int_equal(hm_pubkey_alg(pk), HM_KEY_ED25519);
    for (size_t i = 0; i < sizeof(FIXTURES) / sizeof(FIXTURES[0]); i++) {
        const struct fixture *f = &FIXTURES[i];
        struct hm_verify_result res;
        size_t len = 0;
        uint8_t *doc = read_data(f->file, &len);

        assert_int_equal(hm_verify_bundle_key(doc, len, pk, &art, 1, &opts, &res), HM_OK);
        if (res.status != f->want || strstr(res.detail, f->detail) == NULL) {
            fail_msg("%s: %s (%s), want %s (%s)", f->file, hm_verify_status_name(res.status),
                     res.detail, hm_verify_status_name(f->want), f->detail);
        }
        if (f->want == HM_V_OK) {
            assert_string_equal(res.detail, "");
            assert_string_equal(res.keyid, hm_pubkey_keyid(pk));
            assert_string_equal(res.product, "acme-thermostat");
            assert_string_equal(res.channel, "stable");
            assert_string_equal(res.version, "1.4.2+build.7");
            assert_string_equal(res.support_end, "2031-12-31");
            assert_int_equal(res.n_subjects, 1);
            assert_int_equal(res.n_artifacts_matched, 1);
        }
        free(doc);
    }
    hm_pubkey_free(pk);
}

/* Every tampered_*.json in data/ has an expected verdict above. */
static void
test_verify_fixtures_all_listed(void **state)
{
    char *dir_path = data_path("");
    DIR *dir = opendir(dir_path);
    struct dirent *de;
    size_t seen = 0;

    (void)state;
    assert_non_null(dir);
    while ((de = readdir(dir)) != NULL) {
        bool listed = false;

        if (strncmp(de->d_name, "tampered_", 9) != 0 && strncmp(de->d_name, "good_release", 12)) {
            continue;
        }
        for (size_t i = 0; i < sizeof(FIXTURES) / sizeof(FIXTURES[0]) && !listed; i++) {
            listed = strcmp(FIXTURES[i].file, de->d_name) == 0;
        }
        if (!listed) {
            fail_msg("%s has no expected verdict", de->d_name);
        }
        seen++;
    }
    closedir(dir);
    free(dir_path);
    assert_int_equal(seen, sizeof(FIXTURES) / sizeof(FIXTURES[0]));
}

static void
test_verify_fixtures_other_trusted_key(void **state)
{
    struct hm_pubkey *pk = read_key("other_key.pub.pem");
    struct hm_verify_artifact art;
    struct hm_verify_result res;
    size_t len = 0;
    uint8_t *doc = read_data("good_release.json", &len);

    (void)state;
    firmware(&art);
    assert_int_equal(hm_verify_bundle_key(doc, len, pk, &art, 1, NULL, &res), HM_OK);
    assert_int_equal(res.status, HM_V_UNKNOWN_KEY);
    assert_string_equal(res.keyid, "");
    /* ... and the key that signed tampered_other_key.json verifies it */
    free(doc);
    doc = read_data("tampered_other_key.json", &len);
    assert_int_equal(hm_verify_bundle_key(doc, len, pk, &art, 1, NULL, &res), HM_OK);
    assert_int_equal(res.status, HM_V_OK);
    free(doc);
    hm_pubkey_free(pk);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_fixtures_each_verdict),
        cmocka_unit_test(test_verify_fixtures_all_listed),
        cmocka_unit_test(test_verify_fixtures_other_trusted_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

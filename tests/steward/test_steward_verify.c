/*
 * test_steward_verify.c: hm_verify_steward_bundle (libhallmark-verify), with one key and
 * against a trust root with a transparency log: a good attestation verifies; an expired
 * one, another project, a version not covered, every tampered field, a tampered envelope,
 * another key, a key the root does not let vouch for stewards, a release bundle, a missing
 * or tampered log entry are refused with their reason code, and nothing is handed out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "steward_test.h"
#include "sw_log.h"

#define LOG_TIME (SW_NOW - 86400) /* the log took it a day before "now" */

struct fx {
    struct vt_key *key, *other;
    struct vt_log *log;
    uint8_t *stmt;
    size_t stmt_len;
    char *bundle; /* signed by key, not logged */
    size_t bundle_len;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct hm_steward *st = NULL;
    char why[256];

    assert_non_null(f);
    f->key = vt_key_new(HM_KEY_EC_P256);
    f->other = vt_key_new(HM_KEY_EC_P256);
    f->log = vt_log_new(HM_KEY_ED25519, "steward.test/log");
    assert_int_equal(sw_parse_mutated(NULL, NULL, SW_NOW, &st, why, sizeof(why)), HM_OK);
    assert_int_equal(hm_steward_statement(st, &f->stmt, &f->stmt_len), HM_OK);
    hm_steward_free(st);
    f->bundle = sw_bundle(f->key, NULL, f->stmt, f->stmt_len, 0, NULL, &f->bundle_len);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    free(f->bundle);
    free(f->stmt);
    vt_log_free(f->log);
    vt_key_free(f->key);
    vt_key_free(f->other);
    free(f);
    return 0;
}

static struct hm_pubkey *
pub(const struct vt_key *k)
{
    struct hm_pubkey *pk = NULL;

    assert_int_equal(hm_pubkey_from_pem(vt_key_pem(k), strlen(vt_key_pem(k)), &pk), HM_OK);
    return pk;
}

/* Verifies with the key k (no root); returns the status, checks the hand-out rule. */
static enum hm_verify_status
with_key(const struct vt_key *k, const char *bundle, size_t len,
         const struct hm_verify_steward_opts *o, struct hm_verify_steward_result *r)
{
    struct hm_pubkey *pk = pub(k);
    struct hm_steward *st = (struct hm_steward *)1;

    assert_int_equal(hm_verify_steward_bundle(NULL, pk, (const uint8_t *)bundle, len, o, r, &st),
                     HM_OK);
    if (r->status == HM_V_OK) {
        assert_non_null(st);
    } else {
        assert_null(st);
    }
    hm_steward_free(st);
    hm_pubkey_free(pk);
    return r->status;
}

static struct hm_trustroot *
root_for(const struct fx *f, const char *products, bool with_log, int64_t from, int64_t until)
{
    struct vt_root r = { 0 };
    struct hm_trustroot *tr;
    size_t len = 0;
    char *env;

    r.keys[0].key = f->key;
    r.keys[0].products = products;
    r.keys[0].from = from;
    r.keys[0].until = until;
    r.n_keys = 1;
    if (with_log) {
        r.logs[0] = f->log;
        r.n_logs = 1;
    }
    r.root_keys[0] = f->other;
    r.n_root_keys = 1;
    env = vt_root_signed(&r, &len);
    tr = vt_root_parse(env, len);
    free(env);
    return tr;
}

static enum hm_verify_status
with_root(const struct hm_trustroot *tr, const char *bundle, size_t len,
          const struct hm_verify_steward_opts *o, struct hm_verify_steward_result *r)
{
    assert_int_equal(hm_verify_steward_bundle(tr, NULL, (const uint8_t *)bundle, len, o, r, NULL),
                     HM_OK);
    return r->status;
}

static void
test_verifies_with_the_key(void **state)
{
    struct fx *f = *state;
    struct hm_verify_steward_opts o = { .project_purl = "pkg:github/example/demo@2.1.0",
                                        .now = SW_NOW };
    struct hm_verify_steward_result r;

    assert_int_equal(with_key(f->key, f->bundle, f->bundle_len, &o, &r), HM_V_OK);
    assert_string_equal(r.project_name, "demo");
    assert_string_equal(r.project_purl, "pkg:github/example/demo");
    assert_string_equal(r.steward, "Demo Stewards e.V.");
    assert_string_equal(r.assessor, "Audit Example GmbH");
    assert_string_equal(r.keyid, vt_key_id(f->key));
    assert_false(r.logged);
    assert_true(r.n_requirements > 0);
    assert_true(r.expires > r.time_assessed);
}

static void
test_verifies_logged_against_a_root(void **state)
{
    struct fx *f = *state;
    struct hm_verify_steward_opts o = { .project_purl = "pkg:github/example/demo", .now = SW_NOW };
    struct hm_verify_steward_result r;
    struct hm_trustroot *tr = root_for(f, "steward", true, 0, 0);
    size_t len = 0;
    char *b = sw_bundle(f->key, f->log, f->stmt, f->stmt_len, LOG_TIME, NULL, &len);

    assert_int_equal(with_root(tr, b, len, &o, &r), HM_V_OK);
    assert_true(r.logged);
    assert_true(r.signed_at_logged);
    assert_int_equal(r.signed_at, LOG_TIME);
    assert_string_equal(r.log_origin, "steward.test/log");
    /* the project's own name as the key's product works as well */
    hm_trustroot_free(tr);
    tr = root_for(f, "acme-thermostat,demo", true, 0, 0);
    assert_int_equal(with_root(tr, b, len, &o, &r), HM_V_OK);
    hm_trustroot_free(tr);
    free(b);
}

static void
test_log_entry_required_and_checked(void **state)
{
    struct fx *f = *state;
    struct hm_verify_steward_opts o = { .now = SW_NOW };
    struct hm_verify_steward_result r;
    struct hm_trustroot *tr = root_for(f, "steward", true, 0, 0);
    struct vt_log *other = vt_log_new(HM_KEY_ED25519, "other.test/log");
    size_t len = 0;
    char *b;

    /* no entry at all */
    assert_int_equal(with_root(tr, f->bundle, f->bundle_len, &o, &r), HM_V_LOG_PROOF_INVALID);
    /* an entry of a log the root does not list */
    b = sw_bundle(f->key, other, f->stmt, f->stmt_len, LOG_TIME, NULL, &len);
    assert_int_equal(with_root(tr, b, len, &o, &r), HM_V_LOG_PROOF_INVALID);
    free(b);
    /* an entry of our log that names another payload: the proof covers the wrong leaf */
    b = sw_bundle(f->key, f->log, f->stmt, f->stmt_len, LOG_TIME, NULL, &len);
    b = vt_replace(b, "\"treeSize\":\"", "\"treeSize\":\"1");
    assert_int_not_equal(with_root(tr, b, strlen(b), &o, &r), HM_V_OK);
    free(b);
    vt_log_free(other);
    hm_trustroot_free(tr);
}

static void
edit_payload_hash(char *leaf, size_t len)
{
    char *at = strstr(leaf, "\"value\":\"");

    (void)len;
    at[9] = at[9] == 'a' ? 'b' : 'a';
}

static void
test_tampered_leaf_is_refused(void **state)
{
    struct fx *f = *state;
    struct hm_verify_steward_opts o = { .now = SW_NOW };
    struct hm_verify_steward_result r;
    struct hm_trustroot *tr = root_for(f, "steward", true, 0, 0);
    size_t len = 0;
    char *b = sw_bundle(f->key, f->log, f->stmt, f->stmt_len, LOG_TIME, edit_payload_hash, &len);

    assert_int_equal(with_root(tr, b, len, &o, &r), HM_V_LOG_PROOF_INVALID);
    assert_non_null(strstr(r.detail, "payloadHash"));
    free(b);
    hm_trustroot_free(tr);
}

static void
test_expired_and_not_yet_valid(void **state)
{
    struct fx *f = *state;
    struct hm_verify_steward_opts o = { .now = 1893456000 }; /* 2030-01-01T00:00:00Z: expires */
    struct hm_verify_steward_result r;

    assert_int_equal(with_key(f->key, f->bundle, f->bundle_len, &o, &r), HM_V_ATTESTATION_EXPIRED);
    assert_non_null(strstr(r.detail, "expired at 2030-01-01T00:00:00Z"));
    o.now = 1893456000 - 1; /* one second before */
    assert_int_equal(with_key(f->key, f->bundle, f->bundle_len, &o, &r), HM_V_OK);
    o.now = 1767225600 - 3600; /* an hour before timeAssessed (2026-01-01) */
    assert_int_equal(with_key(f->key, f->bundle, f->bundle_len, &o, &r), HM_V_ATTESTATION_EXPIRED);
    assert_non_null(strstr(r.detail, "not valid before"));
}

static void
test_wrong_project_and_version(void **state)
{
    static const struct {
        const char *purl, *name;
        enum hm_verify_status want;
    } cases[] = {
        { "pkg:github/example/demo", NULL, HM_V_OK },
        { "pkg:github/example/demo@2.1.0", NULL, HM_V_OK },
        { "pkg:github/example/demo@2.0.5", NULL, HM_V_OK }, /* in ">=2.0.0 <2.1.0" */
        { "pkg:github/example/other", NULL, HM_V_WRONG_PROJECT },
        { "pkg:github/evil/demo", NULL, HM_V_WRONG_PROJECT },
        { "pkg:npm/demo", NULL, HM_V_WRONG_PROJECT },
        { "not a purl", NULL, HM_V_WRONG_PROJECT },
        { NULL, "dem0", HM_V_WRONG_PROJECT },
        { "pkg:github/example/demo@3.0.0", NULL, HM_V_VERSION_NOT_COVERED },
        { "pkg:github/example/demo@1.9.9", NULL, HM_V_VERSION_NOT_COVERED },
    };
    struct fx *f = *state;
    struct hm_verify_steward_result r;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hm_verify_steward_opts o = { cases[i].purl, cases[i].name, NULL, SW_NOW };
        if (with_key(f->key, f->bundle, f->bundle_len, &o, &r) != cases[i].want) {
            fail_msg("%s / %s: %s (%s), expected %s", cases[i].purl ? cases[i].purl : "-",
                     cases[i].name ? cases[i].name : "-", hm_verify_status_name(r.status), r.detail,
                     hm_verify_status_name(cases[i].want));
        }
    }
}

/* The bundle with its payload's first from replaced by to, and the original signature. */
static char *
tampered(const struct fx *f, const char *from, const char *to, size_t *len)
{
    struct hm_bundle *b = NULL;
    char doc[8192], why[200], *out = NULL;
    const char *payload;
    const char *at;
    size_t n;

    assert_int_equal(hm_bundle_parse((uint8_t *)f->bundle, f->bundle_len, &b, why, sizeof(why)),
                     HM_OK);
    payload = (const char *)b->dsse->payload;
    assert_true(b->dsse->payload_len < sizeof(doc) - 64);
    at = strstr(payload, from);
    if (at == NULL) {
        fail_msg("\"%s\" is not in the statement", from);
    }
    n = (size_t)snprintf(doc, sizeof(doc), "%.*s%s%s", (int)(at - payload), payload, to,
                         at + strlen(from));
    assert_int_equal(hm_bundle_encode(b->dsse->payload_type, (uint8_t *)doc, n, b->hint,
                                      b->dsse->sigs[0].sig, b->dsse->sigs[0].sig_len, &out, len),
                     HM_OK);
    hm_bundle_free(b);
    return out;
}

static void
test_every_tampered_field_is_refused(void **state)
{
    struct fx *f = *state;
    struct hm_verify_steward_opts o = { .now = SW_NOW };
    struct hm_verify_steward_result r;

    for (size_t i = 0; i < sw_n_fields; i++) {
        size_t len = 0;
        char *b = tampered(f, sw_fields[i].from, sw_fields[i].to, &len);
        if (with_key(f->key, b, len, &o, &r) != HM_V_BAD_SIGNATURE) {
            fail_msg("%s: %s (%s), expected bad-signature", sw_fields[i].field,
                     hm_verify_status_name(r.status), r.detail);
        }
        free(b);
    }
}

static void
test_tampered_envelope_and_other_keys(void **state)
{
    struct fx *f = *state;
    struct hm_verify_steward_opts o = { .now = SW_NOW };
    struct hm_verify_steward_result r;
    char *b = strdup(f->bundle), *sig;

    /* the signature: one base64 character changed */
    sig = strstr(b, "\"sig\":\"");
    assert_non_null(sig);
    sig[10] = sig[10] == 'A' ? 'B' : 'A';
    assert_int_equal(with_key(f->key, b, strlen(b), &o, &r), HM_V_BAD_SIGNATURE);
    free(b);
    /* the payload type */
    b = vt_replace(strdup(f->bundle), "application/vnd.in-toto+json", "application/json");
    assert_int_equal(with_key(f->key, b, strlen(b), &o, &r), HM_V_WRONG_PAYLOAD_TYPE);
    free(b);
    /* another key than the one the bundle names */
    assert_int_equal(with_key(f->other, f->bundle, f->bundle_len, &o, &r), HM_V_UNKNOWN_KEY);
    /* not a bundle */
    assert_int_equal(with_key(f->key, "{}", 2, &o, &r), HM_V_MALFORMED_BUNDLE);
}

static void
test_key_scope_in_the_root(void **state)
{
    struct fx *f = *state;
    struct hm_verify_steward_opts o = { .now = SW_NOW };
    struct hm_verify_steward_result r;
    struct hm_trustroot *tr = root_for(f, "acme-thermostat", false, 0, 0);

    assert_int_equal(with_root(tr, f->bundle, f->bundle_len, &o, &r), HM_V_KEY_NOT_VALID);
    assert_non_null(strstr(r.detail, "steward"));
    hm_trustroot_free(tr);
    /* valid only after timeAssessed: unlogged, the window is checked at timeAssessed */
    tr = root_for(f, "steward", false, 1780000000, 0);
    assert_int_equal(with_root(tr, f->bundle, f->bundle_len, &o, &r), HM_V_KEY_NOT_VALID);
    hm_trustroot_free(tr);
    tr = root_for(f, "steward", false, 0, 0);
    assert_int_equal(with_root(tr, f->bundle, f->bundle_len, &o, &r), HM_V_OK);
    assert_false(r.signed_at_logged);
    hm_trustroot_free(tr);
}

static void
test_a_release_is_not_a_steward_attestation(void **state)
{
    struct fx *f = *state;
    struct hm_verify_steward_opts o = { .now = SW_NOW };
    struct hm_verify_steward_result r;
    struct vt_release rel = { 0 };
    size_t len = 0;
    char *b = vt_bundle(f->key, NULL, &rel, &len);

    assert_int_equal(with_key(f->key, b, len, &o, &r), HM_V_WRONG_PREDICATE);
    free(b);
}

static void
test_bad_arguments(void **state)
{
    struct fx *f = *state;
    struct hm_verify_steward_opts o = { .now = 0 };
    struct hm_verify_steward_result r;
    struct hm_pubkey *pk = pub(f->key);
    struct hm_trustroot *tr = root_for(f, "steward", false, 0, 0);
    struct hm_steward *st = (struct hm_steward *)1;

    /* now 0: an attestation is only ever checked at a time */
    assert_int_equal(
        hm_verify_steward_bundle(NULL, pk, (uint8_t *)f->bundle, f->bundle_len, &o, &r, &st),
        HM_E_INVALID);
    assert_null(st);
    assert_int_not_equal(r.status, HM_V_OK);
    o.now = SW_NOW;
    st = (struct hm_steward *)1;
    assert_int_equal(
        hm_verify_steward_bundle(tr, pk, (uint8_t *)f->bundle, f->bundle_len, &o, &r, &st),
        HM_E_INVALID);
    assert_null(st);
    assert_int_equal(
        hm_verify_steward_bundle(NULL, NULL, (uint8_t *)f->bundle, f->bundle_len, &o, &r, NULL),
        HM_E_INVALID);
    hm_trustroot_free(tr);
    hm_pubkey_free(pk);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verifies_with_the_key),
        cmocka_unit_test(test_verifies_logged_against_a_root),
        cmocka_unit_test(test_log_entry_required_and_checked),
        cmocka_unit_test(test_tampered_leaf_is_refused),
        cmocka_unit_test(test_expired_and_not_yet_valid),
        cmocka_unit_test(test_wrong_project_and_version),
        cmocka_unit_test(test_every_tampered_field_is_refused),
        cmocka_unit_test(test_tampered_envelope_and_other_keys),
        cmocka_unit_test(test_key_scope_in_the_root),
        cmocka_unit_test(test_a_release_is_not_a_steward_attestation),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

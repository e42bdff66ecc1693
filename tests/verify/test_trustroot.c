/*
 * test_trustroot.c: the first trust root (hm_trustroot_parse): what it accepts, what it
 * says about itself, and hostile roots, each refused with its status and reason and with
 * nothing handed out.
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

static struct vt_key *signer, *rk1, *rk2, *outsider;
static struct vt_log *log_, *log_p256;
static struct vt_root base;

static int
setup(void **state)
{
    (void)state;
    signer = vt_key_new(HM_KEY_EC_P256);
    rk1 = vt_key_new(HM_KEY_ED25519);
    rk2 = vt_key_new(HM_KEY_EC_P256);
    outsider = vt_key_new(HM_KEY_ED25519);
    log_ = vt_log_new(HM_KEY_ED25519, "log.hallmark.test/acme");
    log_p256 = vt_log_new(HM_KEY_EC_P256, "log.hallmark.test/tpm");
    (void)vt_log_add_witness(log_, "witness.example/w1");
    (void)vt_log_add_witness(log_, "witness.example/w2");
    memset(&base, 0, sizeof(base));
    base.version = 7;
    base.expires = 4102444800;
    base.keys[0] =
        (struct vt_root_key){ signer, "acme-thermostat,acme-hub", 1700000000, 2000000000, true };
    base.n_keys = 1;
    base.logs[0] = log_;
    base.logs[1] = log_p256;
    base.n_logs = 2;
    base.witness_threshold = 1;
    base.root_keys[0] = rk1;
    base.root_keys[1] = rk2;
    base.n_root_keys = 2;
    base.root_threshold = 1;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    vt_log_free(log_);
    vt_log_free(log_p256);
    vt_key_free(signer);
    vt_key_free(rk1);
    vt_key_free(rk2);
    vt_key_free(outsider);
    return 0;
}

static hm_err
parse(const char *env, size_t len, struct hm_trustroot **tr, struct hm_trustroot_reason *why)
{
    return hm_trustroot_parse((const uint8_t *)env, len, tr, why);
}

static void
test_trustroot_accepts_and_describes(void **state)
{
    struct hm_trustroot_key_info ki;
    struct hm_trustroot_log_info li;
    struct vt_root r = base;
    struct hm_trustroot *tr = NULL;
    const uint8_t *doc;
    size_t len = 0, plen = 0, dlen = 0;
    char *env, *payload;

    (void)state;
    for (int vkey = 0; vkey < 2; vkey++) {
        r.logs_as_vkey = vkey != 0;
        env = vt_root_signed(&r, &len);
        payload = vt_root_payload(&r, &plen);
        tr = vt_root_parse(env, len);
        assert_int_equal(hm_trustroot_version(tr), 7);
        assert_int_equal(hm_trustroot_expires(tr), 4102444800);
        assert_int_equal(hm_trustroot_key_count(tr), 1);
        hm_trustroot_key(tr, 0, &ki);
        assert_string_equal(ki.keyid, vt_key_id(signer));
        assert_int_equal(ki.alg, HM_KEY_EC_P256);
        assert_string_equal(hm_pubkey_keyid(ki.key), vt_key_id(signer));
        assert_int_equal(ki.valid_from, 1700000000);
        assert_int_equal(ki.valid_until, 2000000000);
        assert_int_equal(ki.n_products, 2);
        assert_string_equal(ki.products[1], "acme-hub");
        assert_true(ki.require_attestation);
        assert_int_equal(hm_trustroot_log_count(tr), 2);
        hm_trustroot_log(tr, 0, &li);
        assert_string_equal(li.origin, "log.hallmark.test/acme");
        assert_memory_equal(li.log_id, vt_log_id(log_), 32);
        assert_int_equal(li.alg, HM_KEY_ED25519);
        hm_trustroot_log(tr, 1, &li);
        assert_memory_equal(li.log_id, vt_log_id(log_p256), 32);
        assert_int_equal(li.alg, HM_KEY_EC_P256);
        assert_int_equal(hm_trustroot_witness_count(tr), 2);
        assert_string_equal(hm_trustroot_witness_name(tr, 1), "witness.example/w2");
        assert_int_equal(hm_trustroot_witness_threshold(tr), 1);
        assert_int_equal(hm_trustroot_root_key_count(tr), 2);
        assert_string_equal(hm_trustroot_root_keyid(tr, 1), vt_key_id(rk2));
        assert_int_equal(hm_trustroot_root_threshold(tr), 1);
        doc = hm_trustroot_payload(tr, &dlen);
        assert_int_equal(dlen, plen);
        assert_memory_equal(doc, payload, plen);
        hm_trustroot_free(tr);
        free(env);
        free(payload);
    }
    hm_trustroot_free(NULL);
}

/* Keys without a window: INT64_MIN .. INT64_MAX; no logs, no witnesses. */
static void
test_trustroot_minimal(void **state)
{
    struct vt_root r = { 0 };
    struct hm_trustroot_key_info ki;
    struct hm_trustroot *tr;
    size_t len = 0;
    char *env;

    (void)state;
    r.keys[0] = (struct vt_root_key){ signer, NULL, 0, 0, false };
    r.n_keys = 1;
    r.root_keys[0] = rk1;
    r.n_root_keys = 1;
    env = vt_root_signed(&r, &len);
    tr = vt_root_parse(env, len);
    hm_trustroot_key(tr, 0, &ki);
    assert_true(ki.valid_from == INT64_MIN && ki.valid_until == INT64_MAX);
    assert_false(ki.require_attestation);
    assert_int_equal(hm_trustroot_log_count(tr), 0);
    assert_int_equal(hm_trustroot_witness_count(tr), 0);
    assert_int_equal(hm_trustroot_witness_threshold(tr), 0);
    hm_trustroot_free(tr);
    free(env);
}

struct hostile {
    const char *what;
    struct vt_mut m[2];
    enum hm_trustroot_status want;
    const char *detail;
};

static void
expect_refused(const char *what, const char *env, size_t len, enum hm_trustroot_status want,
               hm_err want_err, const char *detail)
{
    struct hm_trustroot_reason why;
    struct hm_trustroot *tr = (struct hm_trustroot *)&why;
    hm_err err = parse(env, len, &tr, &why);

    if (err != want_err || why.status != want ||
        (detail != NULL && strstr(why.detail, detail) == NULL)) {
        fail_msg("%s: got %s / %s (%s), wanted %s / %s with \"%s\"", what, hm_strerror(err),
                 hm_trustroot_status_name(why.status), why.detail, hm_strerror(want_err),
                 hm_trustroot_status_name(want), detail ? detail : "");
    }
    assert_null(tr);
}

static void
test_trustroot_refuses_hostile_documents(void **state)
{
    static const struct hostile cases[] = {
        { "media type",
          { { VT_SET, "mediaType", "application/json", NULL, 0 } },
          HM_TR_MALFORMED,
          "mediaType" },
        { "version 0",
          { { VT_SET_NUMBER, "version", NULL, NULL, 0 } },
          HM_TR_MALFORMED,
          "version" },
        { "version as text",
          { { VT_DELETE, "version", NULL, NULL, 0 } },
          HM_TR_MALFORMED,
          "version" },
        { "expires",
          { { VT_SET, "expires", "tomorrow", NULL, 0 } },
          HM_TR_MALFORMED,
          "expires: not an RFC 3339 time" },
        { "no keys",
          { { VT_DELETE, "keys[0]", NULL, NULL, 0 } },
          HM_TR_MALFORMED,
          "keys: needs at least 1 entry" },
        { "key id of another key",
          { { VT_SET, "keys[0].keyid", "AAAA", NULL, 0 } },
          HM_TR_MALFORMED,
          "keys[0].keyid: is not base64(SHA-256(SPKI))" },
        { "algorithm of another kind",
          { { VT_SET, "keys[0].algorithm", "ed25519", NULL, 0 } },
          HM_TR_MALFORMED,
          "keys[0].algorithm" },
        { "pem not a key",
          { { VT_SET, "keys[0].pem",
              "-----BEGIN PUBLIC KEY-----\nAAAA\n-----"
              "END PUBLIC KEY-----\n",
              NULL, 0 } },
          HM_TR_MALFORMED,
          "keys[0].pem" },
        { "no products",
          { { VT_DELETE, "keys[0].products[0]", NULL, NULL, 0 },
            { VT_DELETE, "keys[0].products[0]", NULL, NULL, 0 } },
          HM_TR_MALFORMED,
          "keys[0].products: 1..64" },
        { "product charset",
          { { VT_SET, "keys[0].products[0]", "Acme", NULL, 0 } },
          HM_TR_MALFORMED,
          "keys[0].products[0]" },
        { "product twice",
          { { VT_SET, "keys[0].products[1]", "acme-thermostat", NULL, 0 } },
          HM_TR_MALFORMED,
          "listed twice" },
        { "window upside down",
          { { VT_SET, "keys[0].validUntil", "2020-01-01T00:00:00Z", NULL, 0 } },
          HM_TR_MALFORMED,
          "validUntil is not after validFrom" },
        { "unknown key member",
          { { VT_ADD_MEMBER, "keys[0]", NULL, NULL, 0 } },
          HM_TR_MALFORMED,
          "keys[0]: unknown key \"unexpected\"" },
        { "requireAttestation not a boolean",
          { { VT_SET_NUMBER, "keys[0].requireAttestation", NULL, NULL, 1 } },
          HM_TR_MALFORMED,
          "requireAttestation" },
        { "the same key twice",
          { { VT_APPEND_COPY, "keys", NULL, NULL, 0 } },
          HM_TR_MALFORMED,
          "keys[1]: the same key as keys[0]" },
        { "unknown top-level member",
          { { VT_ADD_MEMBER, "", NULL, NULL, 0 } },
          HM_TR_MALFORMED,
          "unknown key" },
        { "log id of another log",
          { { VT_FLIP, "logs[0].logId", NULL, NULL, 5 } },
          HM_TR_MALFORMED,
          "logs[0].logId" },
        { "log algorithm",
          { { VT_SET, "logs[0].algorithm", "rsa-3072", NULL, 0 } },
          HM_TR_MALFORMED,
          "a log key is ed25519 or ec-p256" },
        { "log algorithm of the other kind",
          { { VT_SET, "logs[0].algorithm", "ec-p256", NULL, 0 } },
          HM_TR_MALFORMED,
          "logs[0].pem: not an ec-p256 key" },
        { "log origin",
          { { VT_SET, "logs[0].origin", "log example", NULL, 0 } },
          HM_TR_MALFORMED,
          "logs[0].origin" },
        { "log without a key",
          { { VT_DELETE, "logs[0].pem", NULL, NULL, 0 } },
          HM_TR_MALFORMED,
          "exactly one of pem and vkey" },
        { "the same log twice",
          { { VT_APPEND_COPY, "logs", NULL, NULL, 0 } },
          HM_TR_MALFORMED,
          "the same log as logs[0]" },
        { "witness name",
          { { VT_SET, "witnesses[0].name", "witness.example/w9", NULL, 0 } },
          HM_TR_MALFORMED,
          "witnesses[0].vkey" },
        { "witness vkey",
          { { VT_REPLACE, "witnesses[0].vkey", "+", "+0", 0 } },
          HM_TR_MALFORMED,
          "witnesses[0].vkey: not a verifier key" },
        { "witness twice",
          { { VT_APPEND_COPY, "witnesses", NULL, NULL, 0 } },
          HM_TR_MALFORMED,
          "the same name" },
        { "witness threshold too high",
          { { VT_SET_NUMBER, "witnessThreshold", NULL, NULL, 3 } },
          HM_TR_MALFORMED,
          "witnessThreshold: not an integer in 0..2" },
        { "no root keys",
          { { VT_DELETE, "rootKeys[0]", NULL, NULL, 0 },
            { VT_DELETE, "rootKeys[0]", NULL, NULL, 0 } },
          HM_TR_MALFORMED,
          "rootKeys: needs at least 1" },
        { "root threshold 0",
          { { VT_SET_NUMBER, "rootThreshold", NULL, NULL, 0 } },
          HM_TR_MALFORMED,
          "rootThreshold: not an integer in 1..2" },
        { "root threshold above the keys",
          { { VT_SET_NUMBER, "rootThreshold", NULL, NULL, 3 } },
          HM_TR_MALFORMED,
          "rootThreshold" },
        { "root key id of another key",
          { { VT_SET, "rootKeys[1].keyid", "AAAA", NULL, 0 } },
          HM_TR_MALFORMED,
          "rootKeys[1].keyid" },
        { "the same root key twice",
          { { VT_APPEND_COPY, "rootKeys", NULL, NULL, 0 } },
          HM_TR_MALFORMED,
          "the same key as rootKeys[0]" },
        { "root keys missing",
          { { VT_DELETE, "rootKeys", NULL, NULL, 0 } },
          HM_TR_MALFORMED,
          "rootKeys: missing" },
    };
    size_t plen = 0, len = 0;
    char *payload = vt_root_payload(&base, &plen);

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *bad = vt_mutate(payload, cases[i].m, 2);
        char *env = vt_envelope(bad, strlen(bad), (const struct vt_key *const *)&rk1, 1, &len);

        expect_refused(cases[i].what, env, len, cases[i].want, HM_E_INVALID, cases[i].detail);
        free(bad);
        free(env);
    }
    free(payload);
}

static void
test_trustroot_refuses_bad_envelopes(void **state)
{
    const struct vt_key *two[2] = { rk1, rk1 };
    const struct vt_key *wrong[1] = { outsider };
    struct vt_root r = base;
    size_t plen = 0, len = 0;
    char *payload = vt_root_payload(&base, &plen), *env, *dup;

    (void)state;
    /* signed by a key that is not one of its root keys */
    env = vt_envelope(payload, plen, wrong, 1, &len);
    expect_refused("outsider", env, len, HM_TR_NEW_THRESHOLD, HM_E_VERIFY,
                   "signed by 0 of its own root keys, rootThreshold is 1");
    free(env);
    /* threshold 2: one key signing twice counts once */
    free(payload);
    r.root_threshold = 2;
    payload = vt_root_payload(&r, &plen);
    env = vt_envelope(payload, plen, two, 2, &len);
    expect_refused("one key twice", env, len, HM_TR_NEW_THRESHOLD, HM_E_VERIFY,
                   "signed by 1 of its own root keys, rootThreshold is 2");
    free(env);
    /* a signature without a keyid is not counted */
    env = vt_envelope(payload, plen, (const struct vt_key *const *)&r.root_keys[0], 2, &len);
    {
        struct vt_mut m = { VT_DELETE, "signatures[0].keyid", NULL, NULL, 0 };
        dup = vt_mutate(env, &m, 1);
    }
    expect_refused("no keyid", dup, strlen(dup), HM_TR_NEW_THRESHOLD, HM_E_VERIFY,
                   "signed by 1 of its own root keys, rootThreshold is 2");
    free(dup);
    /* payloadType */
    dup = vt_replace(strdup(env), HM_TRUSTROOT_MEDIA_TYPE, "application/vnd.in-toto+json");
    expect_refused("payloadType", dup, strlen(dup), HM_TR_MALFORMED, HM_E_INVALID, "payloadType");
    free(dup);
    /* a bad signature by one root key does not hide a good one by the other */
    dup = vt_replace(strdup(env), "\"sig\":\"", "\"sig\":\"AAAA");
    expect_refused("bad first signature", dup, strlen(dup), HM_TR_NEW_THRESHOLD, HM_E_VERIFY,
                   "signed by 1 of its own root keys");
    free(dup);
    free(env);
    free(payload);
    expect_refused("empty", "", 0, HM_TR_MALFORMED, HM_E_INVALID, "empty");
    expect_refused("not JSON", "{", 1, HM_TR_MALFORMED, HM_E_INVALID, "trust root envelope");
}

static void
test_trustroot_limits(void **state)
{
    struct hm_buf b;
    size_t len = HM_TRUSTROOT_MAX_BYTES + 1, plen = 0;
    char *big = malloc(len + 1), *payload, *env;

    (void)state;
    assert_non_null(big);
    memset(big, ' ', len);
    big[0] = '{';
    big[len - 1] = '}';
    big[len] = '\0';
    expect_refused("too big", big, len, HM_TR_LIMITS_EXCEEDED, HM_E_LIMIT, "more than the limit");
    free(big);
    /* 65 keys: the same key 65 times, refused for the count before the duplicate */
    payload = vt_root_payload(&base, &plen);
    hm_buf_init(&b, 0);
    hm_buf_append(&b, payload, (size_t)(strstr(payload, "\"keys\":[") - payload) + 8);
    for (int i = 0; i <= HM_TRUSTROOT_MAX_KEYS; i++) {
        const char *k0 = strstr(payload, "\"keys\":[") + 8;
        const char *k1 = strstr(k0, "}]");
        hm_buf_printf(&b, "%s%.*s", i ? "," : "", (int)(k1 + 1 - k0), k0);
    }
    hm_buf_puts(&b, strstr(payload, "}]") + 1);
    assert_int_equal(hm_buf_status(&b), HM_OK);
    env = vt_envelope((const char *)b.data, b.len, (const struct vt_key *const *)&rk1, 1, &len);
    expect_refused("65 keys", env, len, HM_TR_LIMITS_EXCEEDED, HM_E_LIMIT,
                   "too many elements in an array");
    free(env);
    hm_buf_free(&b);
    free(payload);
}

static void
test_trustroot_status_names(void **state)
{
    static const char *const names[] = {
        "ok",     "malformed", "limits-exceeded", "old-threshold", "new-threshold", "wrong-version",
        "expired"
    };

    (void)state;
    for (int i = 0; i <= HM_TR_EXPIRED; i++) {
        assert_string_equal(hm_trustroot_status_name((enum hm_trustroot_status)i), names[i]);
    }
    assert_string_equal(hm_trustroot_status_name((enum hm_trustroot_status)42), "unknown-status");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trustroot_accepts_and_describes),
        cmocka_unit_test(test_trustroot_minimal),
        cmocka_unit_test(test_trustroot_refuses_hostile_documents),
        cmocka_unit_test(test_trustroot_refuses_bad_envelopes),
        cmocka_unit_test(test_trustroot_limits),
        cmocka_unit_test(test_trustroot_status_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

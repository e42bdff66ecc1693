/*
 * test_policy_approvals.c: rule 7, k-of-n approvals: DSSE envelopes of approval
 * statements signed by keys the policy lists.  Each approver counts once; approvals for
 * other artifacts, another version or product, by an unlisted key, or tampered with, do
 * not count.
 */
#include <hm/verify.h>
#include <stdlib.h>
#include <string.h>

#include "policy_test.h"

struct fixture {
    struct pt_key alice, bob, carol, mallory;
    struct hm_policy *policy;
};

static const char *const ART_A[1][3] = { { "thermostat-1.4.2.bin", PT_A256, PT_A512 } };
static const char *const ART_AB[2][3] = { { "thermostat-1.4.2.bin", PT_A256, PT_A512 },
                                          { "bootloader.bin", PT_B256, PT_B512 } };
static const char *const ART_B[1][3] = { { "thermostat-1.4.2.bin", PT_B256, PT_B512 } };

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char *doc;

    pt_key_init(&f->alice);
    pt_key_init(&f->bob);
    pt_key_init(&f->carol);
    pt_key_init(&f->mallory);
    doc = pt_fmt("{\"version\":1,\"products\":[{\"name\":\"acme-thermostat\",\"approvals\":{"
                 "\"required\":2,\"approvers\":[{\"name\":\"alice\",\"key\":\"%s\"},"
                 "{\"name\":\"bob\",\"key\":\"%s\"},{\"name\":\"carol\",\"key\":\"%s\"}]}}]}",
                 f->alice.pem_json, f->bob.pem_json, f->carol.pem_json);
    f->policy = pt_policy(doc);
    free(doc);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    if (f == NULL) {
        return 0; /* the setup failed before handing it over */
    }
    hm_policy_free(f->policy);
    pt_key_clear(&f->alice);
    pt_key_clear(&f->bob);
    pt_key_clear(&f->carol);
    pt_key_clear(&f->mallory);
    free(f);
    return 0;
}

/* Evaluates a request for acme-thermostat 1.4.2 (artifact A, or A and B) with the given
 * approval envelopes. */
static struct hm_policy_decision *
eval_with(struct fixture *f, bool two_artifacts, char **envs, size_t n)
{
    struct hm_buf b;
    struct hm_policy_request *r;
    struct hm_policy_decision *d;
    uint8_t *body;
    size_t len;

    hm_buf_init(&b, 0);
    hm_buf_puts(&b, "{\"product\":\"acme-thermostat\",\"version\":\"1.4.2\",\"artifacts\":[");
    hm_buf_puts(&b, two_artifacts ? PT_ART_A "," PT_ART_B : PT_ART_A);
    hm_buf_puts(&b, "],\"approvals\":[");
    for (size_t i = 0; i < n; i++) {
        hm_buf_puts(&b, i > 0 ? "," : "");
        hm_buf_puts(&b, envs[i]);
    }
    hm_buf_puts(&b, "]}");
    assert_int_equal(hm_buf_status(&b), HM_OK);
    body = hm_buf_steal(&b, &len);
    r = pt_request((const char *)body);
    d = pt_eval(f->policy, r, &PT_CI_ACME, NULL, PT_NOW);
    hm_policy_request_free(r);
    free(body);
    hm_buf_free(&b);
    return d;
}

static void
free_envs(char **envs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(envs[i]);
    }
}

static void
test_two_of_three(void **state)
{
    struct fixture *f = *state;
    char *envs[3];
    struct hm_policy_decision *d;

    envs[0] = pt_approval(&f->alice, "acme-thermostat", "1.4.2", 1, ART_A);
    envs[1] = pt_approval(&f->carol, "acme-thermostat", "1.4.2", 1, ART_A);
    envs[2] = pt_approval(&f->bob, "acme-thermostat", "1.4.2", 1, ART_A);
    d = eval_with(f, false, envs, 2);
    pt_assert_allowed(d);
    /* every approval is a VSA input, with the digest of its bytes */
    assert_int_equal(hm_policy_decision_n_inputs(d), 2);
    assert_string_equal(hm_policy_decision_input(d, 1)->kind, "approval");
    assert_string_equal(hm_policy_decision_input(d, 1)->name, "request.approvals[1]");
    hm_policy_decision_free(d);
    d = eval_with(f, false, envs, 3); /* three of three: more than enough */
    pt_assert_allowed(d);
    hm_policy_decision_free(d);
    free_envs(envs, 3);

    envs[0] = pt_approval(&f->alice, "acme-thermostat", "1.4.2", 2, ART_AB);
    envs[1] = pt_approval(&f->bob, "acme-thermostat", "1.4.2", 2, ART_AB);
    d = eval_with(f, true, envs, 2); /* every artifact of the release */
    pt_assert_allowed(d);
    hm_policy_decision_free(d);
    free_envs(envs, 2);
}

static void
test_too_few(void **state)
{
    struct fixture *f = *state;
    char *envs[1];
    struct hm_policy_decision *d;
    const struct hm_policy_reason *r;

    d = eval_with(f, false, NULL, 0);
    pt_assert_denied(d, 1, "approvals",
                     "0 of 2 required approvals for acme-thermostat 1.4.2 (counted: none)");
    r = hm_policy_decision_reason(d, 0);
    assert_non_null(strstr(r->hint, "ask 2 more of alice, bob, carol"));
    assert_non_null(strstr(r->hint, "hallmark approve"));
    hm_policy_decision_free(d);

    envs[0] = pt_approval(&f->bob, "acme-thermostat", "1.4.2", 1, ART_A);
    d = eval_with(f, false, envs, 1);
    pt_assert_denied(d, 1, "approvals",
                     "1 of 2 required approvals for acme-thermostat 1.4.2 "
                     "(counted: bob)");
    r = hm_policy_decision_reason(d, 0);
    assert_non_null(strstr(r->hint, "ask 1 more of alice, carol"));
    hm_policy_decision_free(d);
    free_envs(envs, 1);
}

/* Each case: alice's valid approval plus one that must not count. */
static void
test_approvals_that_do_not_count(void **state)
{
    struct fixture *f = *state;
    struct {
        char *env;
        const char *needle;
    } cases[] = {
        { pt_approval(&f->alice, "acme-thermostat", "1.4.2", 1, ART_A),
          "alice is already counted (each approver counts once)" },
        { pt_approval(&f->bob, "acme-thermostat", "1.4.1", 1, ART_A),
          "it approves acme-thermostat 1.4.1, not acme-thermostat 1.4.2" },
        { pt_approval(&f->bob, "acme-gateway", "1.4.2", 1, ART_A),
          "it approves acme-gateway 1.4.2, not acme-thermostat 1.4.2" },
        { pt_approval(&f->bob, "acme-thermostat", "1.4.2", 1, ART_B),
          "it does not cover artifact thermostat-1.4.2.bin" },
        { pt_approval(&f->bob, "acme-thermostat", "1.4.2", 2, ART_AB),
          "its subject bootloader.bin is not an artifact of this release" },
        { pt_approval(&f->mallory, "acme-thermostat", "1.4.2", 1, ART_A),
          "no signature verifies with an approver's key" },
        { pt_fmt("{\"payload\":\"e30=\"}"), "it is not a DSSE envelope" },
    };
    char *alice = pt_approval(&f->alice, "acme-thermostat", "1.4.2", 1, ART_A);

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *envs[2] = { alice, cases[i].env };
        struct hm_policy_decision *d = eval_with(f, false, envs, 2);

        pt_assert_denied(d, 1, "approvals", cases[i].needle);
        assert_true(pt_has_reason(d, "approvals", "1 of 2 required approvals"));
        assert_true(pt_has_reason(d, "approvals", "approvals[1] does not count"));
        hm_policy_decision_free(d);
        free(cases[i].env);
    }
    free(alice);
}

/* An envelope whose payload was changed after signing, one with another payload type,
 * and a statement of another predicate signed by a listed key. */
static void
test_tampered_and_foreign(void **state)
{
    struct fixture *f = *state;
    char *good = pt_approval(&f->bob, "acme-thermostat", "1.4.2", 1, ART_A);
    char *alice = pt_approval(&f->alice, "acme-thermostat", "1.4.2", 1, ART_A);
    struct hm_dsse *env = NULL;
    uint8_t *stmt;
    char *tampered = NULL, *typed = NULL, *foreign = NULL, *envs[2];
    size_t n = 0;
    struct hm_policy_decision *d;
    const char *stmt_text = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":"
                            "\"x\",\"digest\":{\"sha256\":\"" PT_A256 "\"}}],\"predicateType\":"
                            "\"https://slsa.dev/provenance/v1\",\"predicate\":{}}";

    assert_int_equal(hm_dsse_parse((const uint8_t *)good, strlen(good), &env), HM_OK);
    /* change the version inside the signed payload: 1.4.2 -> 1.4.3 */
    stmt = malloc(env->payload_len + 1);
    memcpy(stmt, env->payload, env->payload_len);
    stmt[env->payload_len] = '\0';
    *(strstr((char *)stmt, "\"1.4.2\"") + 5) = '3';
    assert_int_equal(hm_dsse_envelope_encode(HM_PAYLOAD_TYPE_INTOTO, stmt, env->payload_len,
                                             f->bob.keyid, env->sigs[0].sig, env->sigs[0].sig_len,
                                             &tampered, &n),
                     HM_OK); /* bob's signature over the original payload */
    envs[0] = alice;
    envs[1] = tampered;
    d = eval_with(f, false, envs, 2);
    pt_assert_denied(d, 1, "approvals", "no signature verifies with an approver's key");
    hm_policy_decision_free(d);

    /* a listed key, but a statement of another predicate */
    assert_int_equal(hm_dsse_envelope_sign(HM_PAYLOAD_TYPE_INTOTO, (const uint8_t *)stmt_text,
                                           strlen(stmt_text), f->bob.keyid, pt_sign, &f->bob,
                                           &foreign, &n),
                     HM_OK);
    envs[1] = foreign;
    d = eval_with(f, false, envs, 2);
    pt_assert_denied(d, 1, "approvals", "its predicateType is");
    hm_policy_decision_free(d);

    /* a listed key, but not an in-toto payload */
    assert_int_equal(hm_dsse_envelope_sign("text/plain", (const uint8_t *)stmt_text,
                                           strlen(stmt_text), f->bob.keyid, pt_sign, &f->bob,
                                           &typed, &n),
                     HM_OK);
    envs[1] = typed;
    d = eval_with(f, false, envs, 2);
    pt_assert_denied(d, 1, "approvals", "its payloadType is not application/vnd.in-toto+json");
    hm_policy_decision_free(d);

    hm_dsse_free(env);
    free(stmt);
    free(tampered);
    free(foreign);
    free(typed);
    free(good);
    free(alice);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_of_three),
        cmocka_unit_test(test_too_few),
        cmocka_unit_test(test_approvals_that_do_not_count),
        cmocka_unit_test(test_tampered_and_foreign),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

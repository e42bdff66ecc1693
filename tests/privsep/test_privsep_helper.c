/*
 * test_privsep_helper.c: the helper's request handling on a real SoftHSM2 token, and the
 * remote backend end to end (hallmark-hsm-helper as a process): signatures verify, a bad
 * key id gets HM_E_NOTFOUND, a malformed request ends the helper, a killed helper gives
 * HM_E_UNAVAILABLE and comes back by itself, a forbidden system call kills it (seccomp).
 */
#include <hm/keyattest.h>
#include <hm/keyevidence.h>
#include <hm/privsep.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "hsm_test_util.h"

static struct hsm_fixture fx;
static char helper[4096];

static int
setup(void **state)
{
    const char *b = getenv("HM_BUILD");
    struct hm_hsm *hsm = NULL;
    struct hm_key *k = NULL;

    (void)state;
    snprintf(helper, sizeof(helper), "%s/signer/hallmark-hsm-helper", b != NULL ? b : ".");
    if (hsm_fixture_setup(&fx, "privsep") != 0 || hm_hsm_open(fx.uri, NULL, &hsm) != HM_OK ||
        hm_hsm_generate_key(hsm, HM_KEY_EC_P256, "p256", &k) != HM_OK ||
        hm_hsm_generate_key(hsm, HM_KEY_ED25519, "ed", &k) != HM_OK) {
        return -1;
    }
    hm_hsm_close(hsm);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    hsm_fixture_teardown(&fx);
    return 0;
}

static void
key_id(const struct hm_key *k, uint8_t id[HM_PS_KEYID_LEN])
{
    const uint8_t *spki = NULL;
    size_t n = 0;

    hm_key_spki(k, &spki, &n);
    SHA256(spki, n, id);
}

/* Field by field (the structs' padding and the bytes after each NUL are not compared). */
static bool
p11_same(const struct hm_keyatt_pkcs11 *a, const struct hm_keyatt_pkcs11 *b)
{
    return a->sensitive == b->sensitive && a->always_sensitive == b->always_sensitive &&
           a->extractable == b->extractable && a->never_extractable == b->never_extractable &&
           a->local == b->local && a->has_key_gen_mechanism == b->has_key_gen_mechanism &&
           a->key_gen_mechanism == b->key_gen_mechanism &&
           strcmp(a->token_label, b->token_label) == 0 &&
           strcmp(a->manufacturer, b->manufacturer) == 0 && strcmp(a->model, b->model) == 0 &&
           strcmp(a->serial, b->serial) == 0 && a->firmware_major == b->firmware_major &&
           a->firmware_minor == b->firmware_minor && a->hardware_major == b->hardware_major &&
           a->hardware_minor == b->hardware_minor &&
           strcmp(a->library_description, b->library_description) == 0 &&
           strcmp(a->library_manufacturer, b->library_manufacturer) == 0 &&
           a->library_major == b->library_major && a->library_minor == b->library_minor &&
           a->cryptoki_major == b->cryptoki_major && a->cryptoki_minor == b->cryptoki_minor;
}

static void
test_serve_one(void **state)
{
    struct hm_hsm *hsm = NULL;
    struct hm_ps_served *srv = NULL;
    struct hm_key *k = NULL;
    struct hm_keyatt *ka = NULL;
    struct hm_buf req, rep;
    struct hm_ps_msg m;
    const char *reason = NULL;
    uint8_t id[HM_PS_KEYID_LEN], dg[32], list = HM_PS_LIST, junk[] = { 0x09, 1, 2 };

    (void)state;
    assert_int_equal(hm_hsm_open(fx.uri, NULL, &hsm), HM_OK);
    assert_int_equal(hm_hsm_find_key(hsm, "pkcs11:object=p256", &k), HM_OK);
    assert_int_equal(hm_ps_served_new(hsm, &srv), HM_OK);
    /* LIST: the key with the evidence the token gives hm_key_attest in-process */
    hm_buf_init(&rep, 0);
    assert_true(hm_ps_serve_one(srv, &list, 1, &rep));
    assert_int_equal(hm_ps_parse(rep.data, rep.len, false, &m, &reason), HM_OK);
    assert_int_equal(m.type, HM_PS_KEYS);
    assert_int_equal(m.n_keys, 1); /* only the key found so far is registered */
    assert_int_equal(m.keys[0].ev, HM_PS_EV_PKCS11);
    assert_int_equal(hm_key_attest(k, (const uint8_t *)"n", 1, &ka), HM_OK);
    assert_true(m.keys[0].p11.sensitive && m.keys[0].p11.never_extractable &&
                m.keys[0].p11.always_sensitive && m.keys[0].p11.local &&
                !m.keys[0].p11.extractable);
    assert_true(p11_same(&m.keys[0].p11, &ka->pkcs11));
    assert_string_equal(m.keys[0].p11.token_label, "privsep");
    assert_non_null(strstr(m.keys[0].p11.manufacturer, "SoftHSM"));
    hm_verify_keyatt_free(ka);
    hm_ps_msg_clear(&m);
    hm_buf_free(&rep);
    /* SIGN with the right key id: a raw r||s that verifies */
    key_id(k, id);
    memset(dg, 0x5a, sizeof(dg));
    hm_buf_init(&req, 0);
    hm_ps_put_sign(&req, id, dg, sizeof(dg));
    hm_buf_init(&rep, 0);
    assert_true(hm_ps_serve_one(srv, req.data, req.len, &rep));
    assert_int_equal(hm_ps_parse(rep.data, rep.len, false, &m, &reason), HM_OK);
    assert_int_equal(m.type, HM_PS_SIG);
    assert_int_equal(m.data_len, 64);
    assert_true(hsm_verify_digest(k, dg, sizeof(dg), m.data, m.data_len, HM_SIG_RAW));
    hm_buf_free(&rep);
    hm_buf_free(&req);
    /* a digest of the wrong size: HM_E_INVALID from the token side */
    hm_buf_init(&req, 0);
    hm_ps_put_sign(&req, id, dg, 31);
    hm_buf_init(&rep, 0);
    assert_true(hm_ps_serve_one(srv, req.data, req.len, &rep));
    assert_int_equal(hm_ps_parse(rep.data, rep.len, false, &m, &reason), HM_OK);
    assert_int_equal(m.type, HM_PS_ERR);
    assert_int_equal(m.err, HM_E_INVALID);
    hm_buf_free(&rep);
    hm_buf_free(&req);
    /* a key id the helper does not hold: HM_E_NOTFOUND, no signature */
    id[0] ^= 0xff;
    hm_buf_init(&req, 0);
    hm_ps_put_sign(&req, id, dg, sizeof(dg));
    hm_buf_init(&rep, 0);
    assert_true(hm_ps_serve_one(srv, req.data, req.len, &rep));
    assert_int_equal(hm_ps_parse(rep.data, rep.len, false, &m, &reason), HM_OK);
    assert_int_equal(m.type, HM_PS_ERR);
    assert_int_equal(m.err, HM_E_NOTFOUND);
    assert_null(m.data);
    hm_buf_free(&rep);
    hm_buf_free(&req);
    /* a malformed request: refused, no reply at all (the helper exits) */
    hm_buf_init(&rep, 0);
    assert_false(hm_ps_serve_one(srv, junk, sizeof(junk), &rep));
    assert_int_equal(rep.len, 0);
    hm_buf_free(&rep);
    hm_ps_served_free(srv);
    hm_hsm_close(hsm);
}

static struct hm_hsm *
start(int seccomp, bool forbidden)
{
    struct hm_privsep_opts o = { .helper_path = helper,
                                 .uri = fx.uri,
                                 .channels = 2,
                                 .seccomp = seccomp,
                                 .sign_timeout_ms = 3000,
                                 .test_forbidden = forbidden };
    struct hm_hsm *hsm = NULL;
    hm_err err = hm_privsep_start(&o, &hsm);

    if (err != HM_OK) {
        assert_null(hsm);
    }
    return hsm;
}

static void
test_remote_sign_and_restart(void **state)
{
    struct hm_hsm *hsm = start(1, false);
    struct hm_key *k = NULL, *ed = NULL;
    struct hm_hsm_stats st;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    const uint8_t msg[] = "release 1.2.3";
    hm_err err = HM_E_UNAVAILABLE;

    (void)state;
    assert_non_null(hsm);
    assert_true(hm_privsep_pid(hsm) > 0);
    assert_int_equal(hm_hsm_find_key(hsm, "pkcs11:token=privsep;object=p256", &k), HM_OK);
    assert_int_equal(hm_hsm_find_key(hsm, "pkcs11:object=ed", &ed), HM_OK);
    assert_int_equal(hm_hsm_find_key(hsm, "pkcs11:object=nope", &k), HM_E_NOTFOUND);
    assert_int_equal(hm_hsm_find_key(hsm, "pkcs11:object=p256", &k), HM_OK);
    assert_int_equal(hm_key_sign(k, msg, sizeof(msg), HM_SIG_DER, &sig, &sig_len), HM_OK);
    assert_true(hsm_verify(k, msg, sizeof(msg), sig, sig_len, HM_SIG_DER));
    free(sig);
    assert_int_equal(hm_key_sign(ed, msg, sizeof(msg), HM_SIG_RAW, &sig, &sig_len), HM_OK);
    assert_true(hsm_verify(ed, msg, sizeof(msg), sig, sig_len, HM_SIG_RAW));
    free(sig);
    /* the network process may not create keys or read attributes: not in the protocol */
    assert_int_equal(hm_hsm_generate_key(hsm, HM_KEY_EC_P256, "x", &k), HM_E_DENIED);
    assert_null(k);
    assert_int_equal(hm_hsm_find_key(hsm, "pkcs11:object=p256", &k), HM_OK);
    /* the helper dies: HM_E_UNAVAILABLE, nothing handed out, then back by itself */
    assert_int_equal(kill(hm_privsep_pid(hsm), SIGKILL), 0);
    err = hm_key_sign(k, msg, sizeof(msg), HM_SIG_DER, &sig, &sig_len);
    assert_int_equal(err, HM_E_UNAVAILABLE);
    assert_null(sig);
    for (int i = 0; i < 100 && err != HM_OK; i++) {
        struct timespec ts = { 0, 50 * 1000000L };
        nanosleep(&ts, NULL);
        err = hm_key_sign(k, msg, sizeof(msg), HM_SIG_DER, &sig, &sig_len);
    }
    assert_int_equal(err, HM_OK);
    assert_true(hsm_verify(k, msg, sizeof(msg), sig, sig_len, HM_SIG_DER));
    free(sig);
    hm_hsm_get_stats(hsm, &st);
    assert_true(st.ready);
    assert_int_equal(st.reopens, 1);
    assert_int_equal(st.sessions, 2);
    hm_hsm_close(hsm);
}

/* The key's evidence through the remote backend: what the token reports in-process,
 * marked self-asserted, bound to the caller's nonce; the statement checks out. */
static void
test_remote_attest(void **state)
{
    struct hm_hsm *local = NULL, *hsm = NULL;
    struct hm_key *lk = NULL, *k = NULL;
    struct hm_keyatt *want = NULL, *ka = NULL;
    struct hm_keyatt_opts o = { .nonce = (const uint8_t *)"nonce-123", .nonce_len = 9 };
    struct hm_keyatt_result r;
    uint8_t *stmt = NULL;
    size_t len = 0;

    (void)state;
    assert_int_equal(hm_hsm_open(fx.uri, NULL, &local), HM_OK);
    assert_int_equal(hm_hsm_find_key(local, "pkcs11:object=p256", &lk), HM_OK);
    assert_int_equal(hm_key_attest(lk, o.nonce, o.nonce_len, &want), HM_OK);
    hm_hsm_close(local);
    assert_non_null(hsm = start(1, false));
    assert_int_equal(hm_hsm_find_key(hsm, "pkcs11:object=p256", &k), HM_OK);
    assert_string_equal(hm_key_backend(k), "pkcs11");
    assert_int_equal(hm_key_attest(k, o.nonce, o.nonce_len, &ka), HM_OK);
    assert_int_equal(ka->evidence, HM_KEYATT_PKCS11_SELF_ASSERTED);
    assert_true(p11_same(&ka->pkcs11, &want->pkcs11));
    assert_int_equal(ka->nonce_len, 9);
    assert_memory_equal(ka->nonce, "nonce-123", 9);
    hm_key_spki(k, &o.spki, &o.spki_len);
    assert_int_equal(ka->spki.len, o.spki_len);
    assert_memory_equal(ka->spki.data, o.spki, o.spki_len);
    assert_int_equal(hm_keyatt_statement(ka, &stmt, &len, NULL, 0), HM_OK);
    o.allow_self_asserted = true;
    assert_int_equal(hm_verify_keyatt_statement(stmt, len, &o, &r), HM_OK);
    assert_int_equal(r.status, HM_KA_OK);
    /* a verifier that wants hardware evidence refuses it */
    o.allow_self_asserted = false;
    assert_int_equal(hm_verify_keyatt_statement(stmt, len, &o, &r), HM_OK);
    assert_int_equal(r.status, HM_KA_SELF_ASSERTED);
    free(stmt);
    hm_verify_keyatt_free(ka);
    /* the attacker's case: a nonce out of bounds, nothing handed out */
    ka = (struct hm_keyatt *)(uintptr_t)1;
    assert_int_equal(hm_key_attest(k, o.nonce, 0, &ka), HM_E_INVALID);
    assert_null(ka);
    hm_verify_keyatt_free(want);
    hm_hsm_close(hsm);
}

static void
test_seccomp_kills_forbidden_call(void **state)
{
    char *log = NULL;

    (void)state;
    /* kill mode: the helper dies of SIGSYS before it answers; start fails */
    hsm_capture_begin();
    assert_null(start(1, true));
    log = hsm_capture_end();
    print_message("%s", log);
    assert_non_null(strstr(log, "killed by its seccomp filter (SIGSYS)"));
    free(log);
    /* trap mode: the helper names the call (41 = socket on x86_64) and exits 159 */
    hsm_capture_begin();
    assert_null(start(2, true));
    log = hsm_capture_end();
    print_message("%s", log);
    assert_non_null(strstr(log, "seccomp: forbidden system call"));
    assert_non_null(strstr(log, "made a forbidden system call (seccomp)"));
    free(log);
    /* and without the filter the same hook is not stopped (the test can fail) */
    hsm_capture_begin();
    struct hm_hsm *hsm = start(0, true);
    log = hsm_capture_end();
    assert_non_null(hsm);
    assert_non_null(strstr(log, "the forbidden call returned"));
    free(log);
    hm_hsm_close(hsm);
}

/* The helper exits on a malformed message (here: unknown type, then a huge length). */
static int
raw_helper_status(const uint8_t *frame, size_t len)
{
    int sv[2], st = 0;
    pid_t pid;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    if ((pid = fork()) == 0) {
        dup2(sv[1], 3);
        execl(helper, helper, "--uri", fx.uri, "--channels", "1", (char *)NULL);
        _exit(127);
    }
    close(sv[1]);
    assert_int_equal(write(sv[0], frame, len), (ssize_t)len);
    waitpid(pid, &st, 0);
    close(sv[0]);
    return st;
}

static void
test_helper_exits_on_malformed(void **state)
{
    static const uint8_t unknown[] = { 0, 0, 0, 1, 0x42 };
    static const uint8_t huge[] = { 0x7f, 0, 0, 0 };
    static const uint8_t trailing[] = { 0, 0, 0, 2, 0x01, 0x00 };
    int st;

    (void)state;
    st = raw_helper_status(unknown, sizeof(unknown));
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 3);
    st = raw_helper_status(huge, sizeof(huge));
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 3);
    st = raw_helper_status(trailing, sizeof(trailing));
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serve_one),
        cmocka_unit_test(test_remote_sign_and_restart),
        cmocka_unit_test(test_remote_attest),
        cmocka_unit_test(test_seccomp_kills_forbidden_call),
        cmocka_unit_test(test_helper_exits_on_malformed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_privsep_proto.c: the helper protocol's parser and framing (hm/privsep.h): every
 * malformed message is refused with its exact error and reason, and nothing is handed
 * out on failure; the key evidence in KEYS (flags, bounded printable texts) likewise.
 */
#include <hm/privsep.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

struct pcase {
    const char *name;
    bool requests;
    const uint8_t *body;
    size_t len;
    hm_err want;
    const char *reason;
};

static const uint8_t b_list[] = { 0x01 };
static const uint8_t b_list_trailing[] = { 0x01, 0x00 };
static const uint8_t b_unknown[] = { 0x07 };
static const uint8_t b_keys_as_req[] = { 0x81, 0x00, 0x00 };
static const uint8_t b_sign_short[] = { 0x02, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static uint8_t b_sign_ok[1 + 32 + 4 + 3];
static uint8_t b_sign_trailing[1 + 32 + 4 + 3 + 1];
static uint8_t b_sign_zero[1 + 32 + 4];
static uint8_t b_sign_huge[1 + 32 + 4 + 8];
static uint8_t b_sign_cut[1 + 32 + 4 + 4];
static const uint8_t b_err_zero[] = { 0xff, 0, 0, 0, 0 };
static const uint8_t b_err_big[] = { 0xff, 0, 0, 0x03, 0xe7 };
static const uint8_t b_err_ok[] = { 0xff, 0, 0, 0, HM_E_NOTFOUND };
static const uint8_t b_err_short[] = { 0xff, 0, 0 };
static const uint8_t b_sig_zero[] = { 0x82, 0, 0 };
static const uint8_t b_sig_long[] = { 0x82, 0x02, 0x01 };
static const uint8_t b_sig_ok[] = { 0x82, 0, 2, 0xaa, 0xbb };
static const uint8_t b_keys_many[] = { 0x81, 0x01, 0x01 };
static const uint8_t b_keys_badalg[] = { 0x81, 0, 1, 9, 0, 1, 0x30, 0, 0, 0, 0, 0, 0 };
static const uint8_t b_keys_nospki[] = { 0x81, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
static const uint8_t b_keys_label[] = { 0x81, 0, 1, 1, 0, 1, 0x30, 0x01, 0x2d };
static const uint8_t b_keys_cut[] = { 0x81, 0, 2, 1, 0, 1, 0x30, 0, 0, 0, 0, 0, 0, 0 };
static const uint8_t b_keys_ok[] = { 0x81, 0, 1, 1, 0, 1, 0x30, 0, 1, 'k', 0, 1, 7, 0, 0, 0 };
static const uint8_t b_list_as_reply[] = { 0x01 };

static void
build_signs(void)
{
    b_sign_ok[0] = b_sign_trailing[0] = b_sign_zero[0] = b_sign_huge[0] = b_sign_cut[0] = 0x02;
    b_sign_ok[36] = b_sign_trailing[36] = 3;
    /* n = 0x00400001: one more than HM_PS_MAX_INPUT */
    b_sign_huge[33] = 0x00;
    b_sign_huge[34] = 0x40;
    b_sign_huge[35] = 0x00;
    b_sign_huge[36] = 0x01;
    b_sign_cut[36] = 5; /* 5 announced, 4 present */
}

static const struct pcase cases[] = {
    { "empty", true, b_list, 0, HM_E_INVALID, "empty message" },
    { "list", true, b_list, sizeof(b_list), HM_OK, "ok" },
    { "list + trailing byte", true, b_list_trailing, sizeof(b_list_trailing), HM_E_INVALID,
      "trailing bytes" },
    { "unknown type", true, b_unknown, sizeof(b_unknown), HM_E_INVALID, "unknown message type" },
    { "a reply sent as request", true, b_keys_as_req, sizeof(b_keys_as_req), HM_E_INVALID,
      "unknown message type" },
    { "sign: short", true, b_sign_short, sizeof(b_sign_short), HM_E_INVALID, "truncated message" },
    { "sign", true, b_sign_ok, sizeof(b_sign_ok), HM_OK, "ok" },
    { "sign + trailing byte", true, b_sign_trailing, sizeof(b_sign_trailing), HM_E_INVALID,
      "trailing bytes" },
    { "sign: zero-length input", true, b_sign_zero, sizeof(b_sign_zero), HM_E_INVALID,
      "zero-length input" },
    { "sign: long", true, b_sign_huge, sizeof(b_sign_huge), HM_E_LIMIT, "input too long" },
    { "sign: length past the end", true, b_sign_cut, sizeof(b_sign_cut), HM_E_INVALID,
      "truncated message" },
    { "err 0", false, b_err_zero, sizeof(b_err_zero), HM_E_INVALID, "bad error code" },
    { "err 999", false, b_err_big, sizeof(b_err_big), HM_E_INVALID, "bad error code" },
    { "err notfound", false, b_err_ok, sizeof(b_err_ok), HM_OK, "ok" },
    { "err: short", false, b_err_short, sizeof(b_err_short), HM_E_INVALID, "truncated message" },
    { "sig: empty", false, b_sig_zero, sizeof(b_sig_zero), HM_E_INVALID, "zero-length input" },
    { "sig: long", false, b_sig_long, sizeof(b_sig_long), HM_E_LIMIT, "signature too long" },
    { "sig", false, b_sig_ok, sizeof(b_sig_ok), HM_OK, "ok" },
    { "keys: 257", false, b_keys_many, sizeof(b_keys_many), HM_E_LIMIT, "too many keys" },
    { "keys: bad algorithm", false, b_keys_badalg, sizeof(b_keys_badalg), HM_E_INVALID,
      "bad algorithm" },
    { "keys: empty SPKI", false, b_keys_nospki, sizeof(b_keys_nospki), HM_E_INVALID, "empty SPKI" },
    { "keys: label too long", false, b_keys_label, sizeof(b_keys_label), HM_E_LIMIT,
      "field too long" },
    { "keys: second key missing", false, b_keys_cut, sizeof(b_keys_cut), HM_E_INVALID,
      "truncated message" },
    { "keys", false, b_keys_ok, sizeof(b_keys_ok), HM_OK, "ok" },
    { "a request sent as reply", false, b_list_as_reply, sizeof(b_list_as_reply), HM_E_INVALID,
      "unknown message type" },
};

static void
test_parse_table(void **state)
{
    (void)state;
    build_signs();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct pcase *c = &cases[i];
        struct hm_ps_msg m;
        const char *reason = NULL;
        hm_err err = hm_ps_parse(c->body, c->len, c->requests, &m, &reason);
        print_message("case %s\n", c->name);
        assert_int_equal(err, c->want);
        assert_string_equal(reason, c->reason);
        if (err != HM_OK) {
            assert_null(m.keys);
            assert_null(m.data);
            assert_int_equal(m.n_keys, 0);
        }
        hm_ps_msg_clear(&m);
    }
}

static void
test_parse_fields(void **state)
{
    struct hm_ps_msg m;
    const char *reason = NULL;

    (void)state;
    assert_int_equal(hm_ps_parse(b_keys_ok, sizeof(b_keys_ok), false, &m, &reason), HM_OK);
    assert_int_equal(m.type, HM_PS_KEYS);
    assert_int_equal(m.n_keys, 1);
    assert_int_equal(m.keys[0].alg, HM_KEY_EC_P256);
    assert_int_equal(m.keys[0].label_len, 1);
    assert_memory_equal(m.keys[0].label, "k", 1);
    assert_int_equal(m.keys[0].ckid_len, 1);
    assert_int_equal(m.keys[0].uri_len, 0);
    hm_ps_msg_clear(&m);
    assert_int_equal(hm_ps_parse(b_err_ok, sizeof(b_err_ok), false, &m, &reason), HM_OK);
    assert_int_equal(m.err, HM_E_NOTFOUND);
}

/* ---- key evidence in KEYS (hm/privsep.h) ---- */

static const struct hm_keyatt_pkcs11 ev_model = {
    .sensitive = true,
    .always_sensitive = true,
    .never_extractable = true,
    .local = true,
    .has_key_gen_mechanism = true,
    .key_gen_mechanism = 0x1040, /* CKM_EC_KEY_PAIR_GEN */
    .token_label = "tok",
    .manufacturer = "SoftHSM project",
    .model = "SoftHSM v2",
    .serial = "0123456789abcdef",
    .firmware_major = 2,
    .firmware_minor = 6,
    .hardware_major = 2,
    .hardware_minor = 7,
    .library_description = "Implementation of PKCS11",
    .library_manufacturer = "SoftHSM",
    .library_major = 2,
    .library_minor = 6,
    .cryptoki_major = 2,
    .cryptoki_minor = 40,
};

/* One key with ev_model: 0x81 0 1, alg, spki "0", label "k", ckid 07, uri "" (offsets:
 * ev byte 15, flags 16, mechanism 17..24, versions 25..32, token label's length 33). */
static void
build_ev_keys(struct hm_buf *b)
{
    static const uint8_t hdr[] = { 0x81, 0, 1 }, spki[] = { 0x30 }, ckid[] = { 7 };

    hm_buf_init(b, 0);
    hm_buf_append(b, hdr, sizeof(hdr));
    hm_ps_put_key(b, HM_KEY_EC_P256, spki, 1, "k", ckid, 1, "", &ev_model);
}

enum ev_edit { EV_SET, EV_CUT, EV_ADD };
struct evcase {
    const char *name;
    enum ev_edit edit;
    size_t off;
    uint8_t val;
    hm_err want;
    const char *reason;
};

static const struct evcase ev_cases[] = {
    { "evidence", EV_SET, 15, HM_PS_EV_PKCS11, HM_OK, "ok" },
    { "evidence type 2", EV_SET, 15, 2, HM_E_INVALID, "bad evidence type" },
    { "evidence type 0 with evidence after it", EV_SET, 15, 0, HM_E_INVALID, "trailing bytes" },
    { "a reserved flag bit", EV_SET, 16, 0x7b, HM_E_INVALID, "bad evidence flags" },
    { "a mechanism without its flag", EV_SET, 16, 0x1b, HM_E_INVALID, "bad evidence flags" },
    { "a newline in the token label", EV_SET, 35, '\n', HM_E_INVALID, "bad evidence text" },
    { "a non-ASCII byte in the token label", EV_SET, 36, 0xc3, HM_E_INVALID, "bad evidence text" },
    { "a NUL in the token label", EV_SET, 37, 0, HM_E_INVALID, "bad evidence text" },
    { "a token label of 33 bytes", EV_SET, 34, 33, HM_E_LIMIT, "field too long" },
    { "a token label of 65535 bytes", EV_SET, 33, 0xff, HM_E_LIMIT, "field too long" },
    { "cut in the flags", EV_CUT, 16, 0, HM_E_INVALID, "truncated message" },
    { "cut in the versions", EV_CUT, 30, 0, HM_E_INVALID, "truncated message" },
    { "cut in the last text", EV_CUT, 1, 0, HM_E_INVALID, "truncated message" },
    { "evidence + trailing byte", EV_ADD, 0, 0, HM_E_INVALID, "trailing bytes" },
};

static void
test_parse_evidence_table(void **state)
{
    struct hm_buf b;

    (void)state;
    build_ev_keys(&b);
    assert_int_equal(hm_buf_status(&b), HM_OK);
    for (size_t i = 0; i < sizeof(ev_cases) / sizeof(ev_cases[0]); i++) {
        const struct evcase *c = &ev_cases[i];
        uint8_t body[512];
        size_t len = b.len;
        struct hm_ps_msg m;
        const char *reason = NULL;
        hm_err err;

        assert_true(b.len < sizeof(body));
        memcpy(body, b.data, b.len);
        if (c->edit == EV_SET) {
            body[c->off] = c->val;
        } else if (c->edit == EV_CUT) {
            len = c->off == 1 ? b.len - 1 : c->off; /* 1: one byte short of the end */
        } else {
            body[len++] = 0;
        }
        print_message("case %s\n", c->name);
        err = hm_ps_parse(body, len, false, &m, &reason);
        assert_int_equal(err, c->want);
        assert_string_equal(reason, c->reason);
        if (err != HM_OK) {
            assert_null(m.keys);
            assert_int_equal(m.n_keys, 0);
        }
        hm_ps_msg_clear(&m);
    }
    hm_buf_free(&b);
}

static void
test_evidence_round_trip(void **state)
{
    struct hm_buf b;
    struct hm_ps_msg m;
    const char *reason = NULL;
    const struct hm_keyatt_pkcs11 *e = NULL;
    static const uint8_t hdr[] = { 0x81, 0, 1 }, spki[] = { 0x30 };

    (void)state;
    build_ev_keys(&b);
    assert_int_equal(hm_ps_parse(b.data, b.len, false, &m, &reason), HM_OK);
    assert_int_equal(m.n_keys, 1);
    assert_int_equal(m.keys[0].ev, HM_PS_EV_PKCS11);
    e = &m.keys[0].p11;
    assert_true(e->sensitive && e->always_sensitive && e->never_extractable && e->local);
    assert_false(e->extractable);
    assert_true(e->has_key_gen_mechanism);
    assert_int_equal(e->key_gen_mechanism, 0x1040);
    assert_string_equal(e->token_label, "tok");
    assert_string_equal(e->manufacturer, "SoftHSM project");
    assert_string_equal(e->model, "SoftHSM v2");
    assert_string_equal(e->serial, "0123456789abcdef");
    assert_string_equal(e->library_description, "Implementation of PKCS11");
    assert_string_equal(e->library_manufacturer, "SoftHSM");
    assert_int_equal(e->firmware_major, 2);
    assert_int_equal(e->firmware_minor, 6);
    assert_int_equal(e->hardware_minor, 7);
    assert_int_equal(e->cryptoki_minor, 40);
    hm_ps_msg_clear(&m);
    hm_buf_free(&b);
    /* without evidence: ev 0, nothing claimed */
    hm_buf_init(&b, 0);
    hm_buf_append(&b, hdr, sizeof(hdr));
    hm_ps_put_key(&b, HM_KEY_ED25519, spki, 1, "", NULL, 0, "u", NULL);
    assert_int_equal(hm_ps_parse(b.data, b.len, false, &m, &reason), HM_OK);
    assert_int_equal(m.keys[0].ev, HM_PS_EV_NONE);
    assert_false(m.keys[0].p11.sensitive);
    assert_string_equal(m.keys[0].p11.manufacturer, "");
    hm_ps_msg_clear(&m);
    hm_buf_free(&b);
}

static void
test_encoders_round_trip(void **state)
{
    uint8_t id[HM_PS_KEYID_LEN], dg[32], sig[64];
    struct hm_buf b;
    struct hm_ps_msg m;
    const char *reason = NULL;

    (void)state;
    memset(id, 0x11, sizeof(id));
    memset(dg, 0x22, sizeof(dg));
    memset(sig, 0x33, sizeof(sig));
    hm_buf_init(&b, 0);
    hm_ps_put_sign(&b, id, dg, sizeof(dg));
    assert_int_equal(hm_ps_parse(b.data, b.len, true, &m, &reason), HM_OK);
    assert_int_equal(m.type, HM_PS_SIGN);
    assert_memory_equal(m.key_id, id, sizeof(id));
    assert_int_equal(m.data_len, sizeof(dg));
    assert_memory_equal(m.data, dg, sizeof(dg));
    /* the same bytes are not a valid reply */
    assert_int_equal(hm_ps_parse(b.data, b.len, false, &m, &reason), HM_E_INVALID);
    assert_string_equal(reason, "unknown message type");
    hm_buf_free(&b);
    hm_buf_init(&b, 0);
    hm_ps_put_sig(&b, sig, sizeof(sig));
    assert_int_equal(hm_ps_parse(b.data, b.len, false, &m, &reason), HM_OK);
    assert_int_equal(m.data_len, sizeof(sig));
    hm_buf_free(&b);
    hm_buf_init(&b, 0);
    hm_ps_put_err(&b, HM_E_UNAVAILABLE);
    assert_int_equal(hm_ps_parse(b.data, b.len, false, &m, &reason), HM_OK);
    assert_int_equal(m.err, HM_E_UNAVAILABLE);
    hm_buf_free(&b);
}

static void
test_frames(void **state)
{
    int sv[2];
    uint8_t *body = (uint8_t *)"x";
    size_t len = 99;
    bool eof = false;
    static const uint8_t zero[] = { 0, 0, 0, 0 };
    static const uint8_t huge[] = { 0x7f, 0xff, 0xff, 0xff };
    static const uint8_t cut[] = { 0, 0, 0, 9, 1, 2 };

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    /* a good frame */
    assert_int_equal(hm_ps_write_frame(sv[0], b_list, 1), HM_OK);
    assert_int_equal(hm_ps_read_frame(sv[1], HM_PS_MAX_FRAME, &body, &len, &eof), HM_OK);
    assert_int_equal(len, 1);
    assert_int_equal(body[0], 0x01);
    free(body);
    /* zero length */
    assert_int_equal(write(sv[0], zero, 4), 4);
    assert_int_equal(hm_ps_read_frame(sv[1], HM_PS_MAX_FRAME, &body, &len, &eof), HM_E_INVALID);
    assert_null(body);
    /* longer than allowed */
    assert_int_equal(write(sv[0], huge, 4), 4);
    assert_int_equal(hm_ps_read_frame(sv[1], HM_PS_MAX_FRAME, &body, &len, &eof), HM_E_LIMIT);
    assert_null(body);
    /* a body that stops short, then EOF */
    assert_int_equal(write(sv[0], cut, sizeof(cut)), (ssize_t)sizeof(cut));
    close(sv[0]);
    assert_int_equal(hm_ps_read_frame(sv[1], HM_PS_MAX_FRAME, &body, &len, &eof), HM_E_IO);
    assert_null(body);
    assert_false(eof);
    /* a clean EOF between frames */
    assert_int_equal(hm_ps_read_frame(sv[1], HM_PS_MAX_FRAME, &body, &len, &eof), HM_E_IO);
    assert_true(eof);
    close(sv[1]);
    /* nothing to write, or too much */
    assert_int_equal(hm_ps_write_frame(sv[1], b_list, 0), HM_E_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),          cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_parse_evidence_table), cmocka_unit_test(test_evidence_round_trip),
        cmocka_unit_test(test_encoders_round_trip),  cmocka_unit_test(test_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

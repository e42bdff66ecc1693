/*
 * test_note.c: C2SP signed notes, verifier keys and key ids: the c2sp.org/signed-note
 * test vector (formats.md §7.2), the verification rules, hostile notes with the exact
 * error, and signing through the callback with software Ed25519 and ECDSA keys.
 */
#include <hm/tlog.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "tlog_testutil.h"

#define VKEY "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
#define TEXT "This is an example message.\n"
#define SIG_B64                                                                                    \
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM="
#define EM   "\xe2\x80\x94 "
#define GOOD TEXT "\n" EM "example.com/foo " SIG_B64 "\n"

static hm_err
parse_str(const char *s, struct hm_tlog_note **out)
{
    return hm_tlog_note_parse((const uint8_t *)s, strlen(s), out);
}

static struct hm_tlog_verifier *
vector_key(void)
{
    struct hm_tlog_verifier *v = NULL;

    assert_int_equal(hm_tlog_verifier_parse(VKEY, strlen(VKEY), &v), HM_OK);
    return v;
}

/* Parses and verifies s against the C2SP vector key. */
static hm_err
verify_with_vector_key(const char *s)
{
    struct hm_tlog_verifier *v = vector_key();
    const struct hm_tlog_verifier *keys[1] = { v };
    struct hm_tlog_note *note = NULL;
    hm_err err;

    if ((err = parse_str(s, &note)) == HM_OK) {
        err = hm_tlog_note_verify(note, keys, 1, NULL);
    }
    hm_tlog_note_free(note);
    hm_tlog_verifier_free(v);
    return err;
}

static void
test_c2sp_vector_verifies(void **state)
{
    struct hm_tlog_verifier *v = vector_key();
    struct hm_tlog_note *note = NULL;
    struct hm_tlog_note_sig sig;
    char *again = NULL;
    const char *text;
    size_t len = 0;

    (void)state;
    assert_string_equal(hm_tlog_verifier_name(v), "example.com/foo");
    assert_int_equal(hm_tlog_verifier_key_id(v), 0x530d903a);
    assert_int_equal(hm_tlog_verifier_type(v), HM_TLOG_SIG_ED25519);
    assert_int_equal(hm_tlog_verifier_format(v, &again), HM_OK);
    assert_string_equal(again, VKEY);
    free(again);
    assert_int_equal(parse_str(GOOD, &note), HM_OK);
    text = hm_tlog_note_text(note, &len);
    assert_int_equal(len, strlen(TEXT));
    assert_memory_equal(text, TEXT, len);
    assert_int_equal(hm_tlog_note_sig_count(note), 1);
    hm_tlog_note_sig(note, 0, &sig);
    assert_string_equal(sig.name, "example.com/foo");
    assert_int_equal(sig.key_id, 0x530d903a);
    assert_int_equal(sig.sig_len, 64);
    hm_tlog_note_free(note);
    hm_tlog_verifier_free(v);
    assert_int_equal(verify_with_vector_key(GOOD), HM_OK);
}

static void
test_c2sp_vector_tampered(void **state)
{
    static const char *const cases[] = {
        /* text */
        "This is an example message!\n\n" EM "example.com/foo " SIG_B64 "\n",
        /* signature: last byte before padding ("aQM=" -> "aQN=" keeps spare bits zero) */
        TEXT "\n" EM "example.com/foo "
             "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72I"
             "neyaQg=\n",
        /* key id 530d903a -> 530d903b: an unknown key, so no trusted signature */
        TEXT "\n" EM "example.com/foo "
             "Uw2QO0n8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72I"
             "neyaQM=\n",
        /* name */
        TEXT "\n" EM "example.com/bar " SIG_B64 "\n",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(verify_with_vector_key(cases[i]), HM_E_VERIFY);
    }
}

static void
test_hostile_notes(void **state)
{
    static const struct {
        const char *note;
        hm_err want;
    } cases[] = {
        { "", HM_E_INVALID },
        { TEXT, HM_E_INVALID },                                     /* no signatures */
        { TEXT "\n", HM_E_INVALID },                                /* separator only */
        { TEXT "\n" EM "example.com/foo " SIG_B64, HM_E_INVALID },  /* no final newline */
        { TEXT EM "example.com/foo " SIG_B64 "\n", HM_E_INVALID },  /* no empty line */
        { TEXT "\n- example.com/foo " SIG_B64 "\n", HM_E_INVALID }, /* hyphen, not em dash */
        { TEXT "\n\xe2\x80\x94"
               "example.com/foo " SIG_B64 "\n",
          HM_E_INVALID },
        { TEXT "\n" EM "example.com/foo  " SIG_B64 "\n", HM_E_INVALID }, /* two spaces */
        { TEXT "\n" EM " " SIG_B64 "\n", HM_E_INVALID },                 /* empty name */
        { TEXT "\n" EM "example.com/foo" SIG_B64 "\n", HM_E_INVALID },   /* no space */
        { TEXT "\n" EM "a+b " SIG_B64 "\n", HM_E_INVALID },              /* '+' in name */
        { TEXT "\n" EM "a\xc2\xa0z " SIG_B64 "\n", HM_E_INVALID },       /* U+00A0 in name */
        { TEXT "\n" EM "a\xe3\x80\x80z " SIG_B64 "\n", HM_E_INVALID },   /* U+3000 in name */
        { TEXT "\n" EM "example.com/foo " SIG_B64 " \n", HM_E_INVALID }, /* trailing space */
        { TEXT "\n" EM "example.com/foo "
               "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu7"
               "2IneyaQM\n",
          HM_E_INVALID }, /* unpadded */
        { TEXT "\n" EM "example.com/foo "
               "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu7"
               "2IneyaQN=\n",
          HM_E_INVALID },                                /* spare bits set */
        { TEXT "\n" EM "k AAAAAA==\n", HM_E_INVALID },   /* 4 bytes: a key id, no signature */
        { TEXT "\n" EM "k AAAA_A==\n", HM_E_INVALID },   /* URL alphabet */
        { TEXT "\n" EM "k\r AAAAAAA=\n", HM_E_INVALID }, /* CR */
        { "a\tb\n\n" EM "k AAAAAAA=\n", HM_E_INVALID },  /* tab in the text */
        { "a\rb\n\n" EM "k AAAAAAA=\n", HM_E_INVALID },
        { "a\x7f"
          "b\n\n" EM "k AAAAAAA=\n",
          HM_OK },                                                  /* DEL is not below U+0020 */
        { "\xc0\xaf\n\n" EM "k AAAAAAA=\n", HM_E_INVALID },         /* overlong '/' */
        { "\xed\xa0\x80\n\n" EM "k AAAAAAA=\n", HM_E_INVALID },     /* surrogate */
        { "\xf4\x90\x80\x80\n\n" EM "k AAAAAAA=\n", HM_E_INVALID }, /* past U+10FFFF */
        { "\xe2\x80\n\n" EM "k AAAAAAA=\n", HM_E_INVALID },         /* truncated */
        { "\xff\n\n" EM "k AAAAAAA=\n", HM_E_INVALID },
        { "ok\n\n" EM "k AAAAAAA=\n\n", HM_E_INVALID }, /* empty line after the signatures */
        { "ok\n\n" EM "k AAAAAAA=\n" EM "k2 AAAAAAA=\n", HM_OK },
        { "a\n\nb\n\n" EM "k AAAAAAA=\n", HM_OK }, /* empty lines inside the text */
        { "\n\n" EM "k AAAAAAA=\n", HM_OK },       /* a text of one empty line */
    };
    struct hm_tlog_note *note = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        note = (struct hm_tlog_note *)1;
        assert_int_equal(parse_str(cases[i].note, &note), cases[i].want);
        if (cases[i].want != HM_OK) {
            assert_null(note);
        }
        hm_tlog_note_free(note);
    }
    /* A NUL byte inside (strlen-free call). */
    note = (struct hm_tlog_note *)1;
    assert_int_equal(hm_tlog_note_parse((const uint8_t *)"a\0b\n\n" EM "k AAAAAAA=\n", 18, &note),
                     HM_E_INVALID);
    assert_null(note);
}

static void
test_note_limits(void **state)
{
    struct hm_tlog_note *note = NULL;
    struct hm_buf b;
    char line[64];

    (void)state;
    /* 100 signature lines parse; 101 do not. */
    hm_buf_init(&b, 0);
    hm_buf_puts(&b, "text\n\n");
    for (int i = 0; i < 100; i++) {
        snprintf(line, sizeof(line), EM "w%d AAAAAAA=\n", i);
        hm_buf_puts(&b, line);
    }
    assert_int_equal(hm_tlog_note_parse(b.data, b.len, &note), HM_OK);
    assert_int_equal(hm_tlog_note_sig_count(note), 100);
    hm_tlog_note_free(note);
    hm_buf_puts(&b, EM "one-more AAAAAAA=\n");
    assert_int_equal(hm_tlog_note_parse(b.data, b.len, &note), HM_E_LIMIT);
    assert_null(note);
    hm_buf_free(&b);
    /* 1 MiB in all. */
    hm_buf_init(&b, 0);
    while (b.len < HM_TLOG_NOTE_MAX_BYTES) {
        hm_buf_puts(&b, "0123456789abcdef0123456789abcdef0123456789abcdef012345678901234\n");
    }
    hm_buf_puts(&b, "\n" EM "k AAAAAAA=\n");
    assert_true(b.len > HM_TLOG_NOTE_MAX_BYTES);
    assert_int_equal(hm_tlog_note_parse(b.data, b.len, &note), HM_E_LIMIT);
    assert_null(note);
    assert_int_equal(hm_tlog_note_parse(b.data + (b.len - HM_TLOG_NOTE_MAX_BYTES),
                                        HM_TLOG_NOTE_MAX_BYTES, &note),
                     HM_OK);
    hm_tlog_note_free(note);
    hm_buf_free(&b);
    /* One signature over HM_TLOG_SIG_MAX_BYTES. */
    {
        uint8_t raw[4 + HM_TLOG_SIG_MAX_BYTES + 1] = { 0 };
        char *b64 = NULL;

        assert_int_equal(hm_b64_encode(raw, sizeof(raw), &b64), HM_OK);
        hm_buf_init(&b, 0);
        hm_buf_printf(&b, "t\n\n" EM "k %s\n", b64);
        assert_int_equal(hm_tlog_note_parse(b.data, b.len, &note), HM_E_LIMIT);
        assert_null(note);
        hm_buf_free(&b);
        free(b64);
    }
}

static void
test_hostile_vkeys(void **state)
{
    static const struct {
        const char *vkey;
        hm_err want;
    } cases[] = {
        { "", HM_E_INVALID },
        { "example.com/foo", HM_E_INVALID },
        { "example.com/foo+530d903a", HM_E_INVALID },
        { "example.com/foo+530d903a+", HM_E_INVALID },
        { "+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", HM_E_INVALID },
        { "example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", HM_E_INVALID },
        { "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", HM_E_INVALID },
        { "example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", HM_E_INVALID },
        { "example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", HM_E_INVALID },
        { "example com+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", HM_E_INVALID },
        { "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2", HM_E_INVALID },
        { "example.com/foo+530d903a+BekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", HM_E_INVALID },
        { "example.com/foo+530d903a+BQ==", HM_E_INVALID }, /* type 0x05, unsupported */
        { "example.com/foo+530d903a+AQ==", HM_E_INVALID }, /* Ed25519, no key */
        { "example.com/foo+530d903a+AkyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", HM_E_INVALID },
    };
    struct hm_tlog_verifier *v = NULL;
    char big[5000];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        v = (struct hm_tlog_verifier *)1;
        assert_int_equal(hm_tlog_verifier_parse(cases[i].vkey, strlen(cases[i].vkey), &v),
                         cases[i].want);
        assert_null(v);
    }
    memset(big, 'A', sizeof(big));
    assert_int_equal(hm_tlog_verifier_parse(big, sizeof(big), &v), HM_E_LIMIT);
    assert_null(v);
}

/* The base64 part of a vkey (after the second '+'; the base64 itself may hold '+'). */
static const char *
vkey_key_part(const char *vkey)
{
    return strchr(strchr(vkey, '+') + 1, '+') + 1;
}

static void
test_key_ids(void **state)
{
    struct tu_key *ec = tu_key_new(HM_TLOG_SIG_ECDSA, "log.example/ec");
    struct hm_tlog_verifier *v = tu_key_verifier(ec), *back = NULL;
    uint8_t pk[32], digest[32], spki[200];
    char *vkey = NULL;
    uint32_t id = 0;
    size_t n = 0;
    uint8_t *raw = NULL;

    (void)state;
    /* Ed25519: name-bound (the C2SP vector). */
    tu_unhex("e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4", pk, 32);
    assert_int_equal(hm_tlog_key_id(HM_TLOG_SIG_ED25519, "example.com/foo", pk, 32, &id), HM_OK);
    assert_int_equal(id, 0x530d903a);
    assert_int_equal(hm_tlog_key_id(HM_TLOG_SIG_ED25519, "example.com/fo", pk, 32, &id), HM_OK);
    assert_int_not_equal(id, 0x530d903a);
    assert_int_equal(hm_tlog_key_id(HM_TLOG_SIG_COSIG_ED25519, "example.com/foo", pk, 32, &id),
                     HM_OK);
    assert_int_not_equal(id, 0x530d903a); /* the type byte separates them */
    assert_int_equal(hm_tlog_key_id(HM_TLOG_SIG_ED25519, "a b", pk, 32, &id), HM_E_INVALID);
    assert_int_equal(hm_tlog_key_id(HM_TLOG_SIG_ED25519, "a", pk, 31, &id), HM_E_INVALID);
    assert_int_equal(hm_tlog_key_id((enum hm_tlog_sigtype)5, "a", pk, 32, &id), HM_E_INVALID);
    /* ECDSA: SHA-256 of the SPKI DER, the name plays no part (Sigstore's form). */
    assert_int_equal(hm_tlog_verifier_format(v, &vkey), HM_OK);
    assert_int_equal(
        hm_b64_decode(vkey_key_part(vkey), strlen(vkey_key_part(vkey)), HM_B64_STD, &raw, &n),
        HM_OK);
    assert_int_equal(raw[0], HM_TLOG_SIG_ECDSA);
    memcpy(spki, raw + 1, n - 1);
    hm_sha256(spki, n - 1, digest);
    assert_int_equal(hm_tlog_verifier_key_id(v), (uint32_t)digest[0] << 24 |
                                                     (uint32_t)digest[1] << 16 |
                                                     (uint32_t)digest[2] << 8 | digest[3]);
    assert_int_equal(hm_tlog_key_id(HM_TLOG_SIG_ECDSA, NULL, spki, n - 1, &id), HM_OK);
    assert_int_equal(id, hm_tlog_verifier_key_id(v));
    /* The vkey round-trips. */
    assert_int_equal(hm_tlog_verifier_parse(vkey, strlen(vkey), &back), HM_OK);
    assert_int_equal(hm_tlog_verifier_type(back), HM_TLOG_SIG_ECDSA);
    assert_int_equal(hm_tlog_verifier_key_id(back), id);
    /* Not P-256, or not a key at all. */
    spki[n - 2] ^= 1; /* a point off the curve */
    hm_tlog_verifier_free(back);
    back = (struct hm_tlog_verifier *)1;
    assert_int_equal(hm_tlog_verifier_new(HM_TLOG_SIG_ECDSA, "x", spki, n - 1, &back),
                     HM_E_INVALID);
    assert_null(back);
    assert_int_equal(hm_tlog_verifier_new(HM_TLOG_SIG_ECDSA, "x", pk, 32, &back), HM_E_INVALID);
    assert_int_equal(hm_tlog_verifier_new(HM_TLOG_SIG_ED25519, "x", pk, 31, &back), HM_E_INVALID);
    assert_int_equal(hm_tlog_verifier_new(HM_TLOG_SIG_ED25519, "", pk, 32, &back), HM_E_INVALID);
    assert_null(back);
    free(raw);
    free(vkey);
    hm_tlog_verifier_free(v);
    hm_tlog_verifier_free(NULL);
    tu_key_free(ec);
}

/* Verification rules with signed notes from software keys. */
static void
test_verification_rules(void **state)
{
    struct tu_key *a = tu_key_new(HM_TLOG_SIG_ED25519, "a.example/log");
    struct tu_key *b = tu_key_new(HM_TLOG_SIG_ECDSA, "b.example/log");
    struct tu_key *other = tu_key_new(HM_TLOG_SIG_ED25519, "c.example/log");
    struct tu_key *samename = tu_key_new(HM_TLOG_SIG_ED25519, "a.example/log");
    struct hm_tlog_verifier *va = tu_key_verifier(a), *vb = tu_key_verifier(b);
    const struct hm_tlog_verifier *keys[2] = { va, vb };
    struct tu_key *signers[3];
    struct hm_tlog_note *note = NULL;
    bool ok[2];
    char *s;
    size_t len = 0;

    (void)state;
    /* Unknown signers (another name, or the same name with another key) are ignored. */
    signers[0] = other;
    signers[1] = samename;
    signers[2] = a;
    s = tu_sign_note("hello\n", signers, 3, &len);
    assert_int_equal(hm_tlog_note_parse((uint8_t *)s, len, &note), HM_OK);
    assert_int_equal(hm_tlog_note_verify(note, keys, 2, ok), HM_OK);
    assert_true(ok[0]);
    assert_false(ok[1]);
    hm_tlog_note_free(note);
    free(s);
    /* Only unknown signers: refused. */
    s = tu_sign_note("hello\n", signers, 2, &len);
    assert_int_equal(hm_tlog_note_parse((uint8_t *)s, len, &note), HM_OK);
    ok[0] = true;
    assert_int_equal(hm_tlog_note_verify(note, keys, 2, ok), HM_E_VERIFY);
    assert_false(ok[0]);
    assert_int_equal(hm_tlog_note_verify(note, NULL, 0, NULL), HM_E_VERIFY);
    hm_tlog_note_free(note);
    free(s);
    /* Both known keys (Ed25519 and ECDSA) sign. */
    signers[0] = b;
    s = tu_sign_note("hello\n", signers + 0, 1, &len);
    assert_int_equal(hm_tlog_note_parse((uint8_t *)s, len, &note), HM_OK);
    assert_int_equal(hm_tlog_note_verify(note, keys, 2, ok), HM_OK);
    assert_false(ok[0]);
    assert_true(ok[1]);
    hm_tlog_note_free(note);
    free(s);
    hm_tlog_verifier_free(va);
    hm_tlog_verifier_free(vb);
    tu_key_free(a);
    tu_key_free(b);
    tu_key_free(other);
    tu_key_free(samename);
}

/* A known key whose signature fails rejects the note, even when another one verifies. */
static void
test_bad_known_signature_rejects_note(void **state)
{
    struct tu_key *a = tu_key_new(HM_TLOG_SIG_ED25519, "a.example/log");
    struct tu_key *b = tu_key_new(HM_TLOG_SIG_ECDSA, "b.example/log");
    struct hm_tlog_verifier *va = tu_key_verifier(a), *vb = tu_key_verifier(b);
    const struct hm_tlog_verifier *keys[2] = { va, vb };
    struct tu_key *signers[2] = { a, b };
    struct hm_tlog_note *note = NULL;
    char *s, *line;
    size_t len = 0;

    (void)state;
    s = tu_sign_note("hello\n", signers, 2, &len);
    /* Break b's ECDSA signature: flip a character inside its base64. */
    line = strstr(s, "b.example/log ") + strlen("b.example/log ") + 20;
    *line = *line == 'A' ? 'B' : 'A';
    assert_int_equal(hm_tlog_note_parse((uint8_t *)s, len, &note), HM_OK);
    assert_int_equal(hm_tlog_note_verify(note, keys, 2, NULL), HM_E_VERIFY);
    assert_int_equal(hm_tlog_note_verify(note, keys, 1, NULL), HM_OK); /* b not trusted */
    hm_tlog_note_free(note);
    free(s);
    hm_tlog_verifier_free(va);
    hm_tlog_verifier_free(vb);
    tu_key_free(a);
    tu_key_free(b);
}

/* 16 signatures, the trusted one last: accepted (signed-note: "MUST accept at least 16"). */
static void
test_sixteen_signatures(void **state)
{
    struct tu_key *k[16];
    struct hm_tlog_verifier *v;
    const struct hm_tlog_verifier *keys[1];
    struct hm_tlog_note *note = NULL;
    char *s, name[32];
    size_t len = 0;

    (void)state;
    for (int i = 0; i < 16; i++) {
        snprintf(name, sizeof(name), "w%d.example", i);
        k[i] = tu_key_new(i % 2 ? HM_TLOG_SIG_ECDSA : HM_TLOG_SIG_ED25519, name);
    }
    s = tu_sign_note("sixteen\n", k, 16, &len);
    v = tu_key_verifier(k[15]);
    keys[0] = v;
    assert_int_equal(hm_tlog_note_parse((uint8_t *)s, len, &note), HM_OK);
    assert_int_equal(hm_tlog_note_sig_count(note), 16);
    assert_int_equal(hm_tlog_note_verify(note, keys, 1, NULL), HM_OK);
    hm_tlog_note_free(note);
    free(s);
    hm_tlog_verifier_free(v);
    for (int i = 0; i < 16; i++) {
        tu_key_free(k[i]);
    }
}

static hm_err
failing_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap, size_t *sig_len)
{
    (void)msg;
    (void)len;
    (void)sig;
    *sig_len = ctx != NULL ? cap + 1 : 0; /* ctx set: claim too much */
    return ctx != NULL ? HM_OK : HM_E_BACKEND;
}

static void
test_signing(void **state)
{
    struct tu_key *k = tu_key_new(HM_TLOG_SIG_ED25519, "log.example");
    struct hm_tlog_signer bad = *tu_key_signer(k), fails = { "log.example", 1, failing_sign, NULL };
    struct hm_tlog_signer lies = { "log.example", 1, failing_sign, &lies };
    char *line = (char *)1;

    (void)state;
    assert_int_equal(hm_tlog_note_sign("no newline", 10, tu_key_signer(k), &line), HM_E_INVALID);
    assert_null(line);
    assert_int_equal(hm_tlog_note_sign("a\tb\n", 4, tu_key_signer(k), &line), HM_E_INVALID);
    assert_int_equal(hm_tlog_note_sign("", 0, tu_key_signer(k), &line), HM_E_INVALID);
    bad.name = "log example";
    assert_int_equal(hm_tlog_note_sign("ok\n", 3, &bad, &line), HM_E_INVALID);
    assert_int_equal(hm_tlog_note_sign("ok\n", 3, &fails, &line), HM_E_BACKEND);
    assert_int_equal(hm_tlog_note_sign("ok\n", 3, &lies, &line), HM_E_INTERNAL);
    assert_int_equal(hm_tlog_note_cosign("ok\n", 3, (uint64_t)1 << 63, tu_key_signer(k), &line),
                     HM_E_INVALID);
    assert_null(line);
    /* An Ed25519 line is "\u2014 name base64(4 + 64 bytes)\n". */
    assert_int_equal(hm_tlog_note_sign("ok\n", 3, tu_key_signer(k), &line), HM_OK);
    assert_int_equal(strncmp(line, EM "log.example ", strlen(EM "log.example ")), 0);
    assert_int_equal(strlen(line), strlen(EM "log.example ") + 92 + 1);
    free(line);
    tu_key_free(k);
}

static void
test_cosignatures(void **state)
{
    struct tu_key *w = tu_key_new(HM_TLOG_SIG_COSIG_ED25519, "witness.example/w1");
    struct hm_tlog_verifier *vw = tu_key_verifier(w), *as_plain = NULL;
    const struct hm_tlog_verifier *keys[1] = { vw };
    struct hm_tlog_note *note = NULL;
    struct hm_tlog_note_sig sig;
    struct tu_key *signers[1] = { w };
    char *s, *vkey = NULL, *p;
    size_t len = 0;

    (void)state;
    assert_int_equal(hm_tlog_verifier_format(vw, &vkey), HM_OK);
    assert_int_equal(vkey_key_part(vkey)[0], 'B'); /* base64 of 0x04 || pk starts "B" */
    s = tu_sign_note("origin\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", signers, 1, &len);
    assert_int_equal(hm_tlog_note_parse((uint8_t *)s, len, &note), HM_OK);
    hm_tlog_note_sig(note, 0, &sig);
    assert_int_equal(sig.sig_len, 72);
    {
        uint64_t t = 0;

        for (int i = 0; i < 8; i++) {
            t = t << 8 | sig.sig[i];
        }
        assert_int_equal(t, 1700000000); /* u64be timestamp first */
    }
    assert_int_equal(hm_tlog_note_verify(note, keys, 1, NULL), HM_OK);
    hm_tlog_note_free(note);
    /* The same key as a plain Ed25519 note key has another id: the line is ignored. */
    p = (char *)vkey_key_part(vkey) - 1;
    {
        uint8_t *raw = NULL;
        size_t n = 0;

        assert_int_equal(hm_b64_decode(p + 1, strlen(p + 1), HM_B64_STD, &raw, &n), HM_OK);
        assert_int_equal(hm_tlog_verifier_new(HM_TLOG_SIG_ED25519, "witness.example/w1", raw + 1,
                                              n - 1, &as_plain),
                         HM_OK);
        free(raw);
    }
    keys[0] = as_plain;
    assert_int_equal(hm_tlog_note_parse((uint8_t *)s, len, &note), HM_OK);
    assert_int_equal(hm_tlog_note_verify(note, keys, 1, NULL), HM_E_VERIFY);
    hm_tlog_note_free(note);
    /* Changing the timestamp breaks the cosignature: the 5th..12th bytes are the time. */
    p = strstr(s, "witness.example/w1 ") + strlen("witness.example/w1 ") + 8;
    *p = *p == 'A' ? 'B' : 'A';
    keys[0] = vw;
    assert_int_equal(hm_tlog_note_parse((uint8_t *)s, len, &note), HM_OK);
    assert_int_equal(hm_tlog_note_verify(note, keys, 1, NULL), HM_E_VERIFY);
    hm_tlog_note_free(note);
    free(s);
    free(vkey);
    hm_tlog_verifier_free(vw);
    hm_tlog_verifier_free(as_plain);
    tu_key_free(w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c2sp_vector_verifies),
        cmocka_unit_test(test_c2sp_vector_tampered),
        cmocka_unit_test(test_hostile_notes),
        cmocka_unit_test(test_note_limits),
        cmocka_unit_test(test_hostile_vkeys),
        cmocka_unit_test(test_key_ids),
        cmocka_unit_test(test_verification_rules),
        cmocka_unit_test(test_bad_known_signature_rejects_note),
        cmocka_unit_test(test_sixteen_signatures),
        cmocka_unit_test(test_signing),
        cmocka_unit_test(test_cosignatures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

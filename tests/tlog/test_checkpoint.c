/*
 * test_checkpoint.c: c2sp.org/tlog-checkpoint: format and parse, hostile bodies with the
 * exact error, and opening a signed checkpoint against the log key and origin.
 */
#include <hm/tlog.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tlog_testutil.h"

#define ROOT_B64 "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="

static hm_err
parse_str(const char *s, struct hm_tlog_checkpoint **out)
{
    return hm_tlog_checkpoint_parse(s, strlen(s), out);
}

static void
test_format_and_parse(void **state)
{
    struct hm_tlog_checkpoint *cp = NULL;
    uint8_t root[32];
    char *text = NULL;
    const char *ext;
    size_t len = 0;

    (void)state;
    /* The example of the spec. */
    assert_int_equal(parse_str("example.com/behind-the-sofa\n20852163\n" ROOT_B64 "\n", &cp),
                     HM_OK);
    assert_string_equal(hm_tlog_checkpoint_origin(cp), "example.com/behind-the-sofa");
    assert_int_equal(hm_tlog_checkpoint_size(cp), 20852163);
    memcpy(root, hm_tlog_checkpoint_root(cp), 32);
    ext = hm_tlog_checkpoint_extensions(cp, &len);
    assert_int_equal(len, 0);
    assert_string_equal(ext, "");
    hm_tlog_checkpoint_free(cp);
    assert_int_equal(
        hm_tlog_checkpoint_format("example.com/behind-the-sofa", 20852163, root, &text, &len),
        HM_OK);
    assert_int_equal(len, strlen(text));
    assert_string_equal(text, "example.com/behind-the-sofa\n20852163\n" ROOT_B64 "\n");
    free(text);
    /* Extension lines are kept as they were; an empty tree is size 0. */
    assert_int_equal(parse_str("o\n0\n" ROOT_B64 "\next one\next two\n", &cp), HM_OK);
    ext = hm_tlog_checkpoint_extensions(cp, &len);
    assert_int_equal(len, strlen("ext one\next two\n"));
    assert_memory_equal(ext, "ext one\next two\n", len);
    assert_int_equal(hm_tlog_checkpoint_size(cp), 0);
    hm_tlog_checkpoint_free(cp);
    /* 2^63 is the largest size. */
    assert_int_equal(parse_str("o\n9223372036854775808\n" ROOT_B64 "\n", &cp), HM_OK);
    assert_int_equal(hm_tlog_checkpoint_size(cp), HM_TLOG_MAX_SIZE);
    hm_tlog_checkpoint_free(cp);
    /* An origin need not be a key name when we only read it (clients must not assume). */
    assert_int_equal(parse_str("Rekor log - 1193050959916656506\n1\n" ROOT_B64 "\n", &cp), HM_OK);
    hm_tlog_checkpoint_free(cp);
    hm_tlog_checkpoint_free(NULL);
}

static void
test_hostile_checkpoints(void **state)
{
    static const struct {
        const char *text;
        hm_err want;
    } cases[] = {
        { "", HM_E_INVALID },
        { "o\n1\n", HM_E_INVALID },                /* two lines */
        { "o\n1\n" ROOT_B64, HM_E_INVALID },       /* no final newline */
        { "\n1\n" ROOT_B64 "\n", HM_E_INVALID },   /* empty origin */
        { "o\n\n" ROOT_B64 "\n", HM_E_INVALID },   /* empty size */
        { "o\n1\n\n", HM_E_INVALID },              /* empty root */
        { "o\n01\n" ROOT_B64 "\n", HM_E_INVALID }, /* leading zero */
        { "o\n00\n" ROOT_B64 "\n", HM_E_INVALID },
        { "o\n-1\n" ROOT_B64 "\n", HM_E_INVALID },
        { "o\n+1\n" ROOT_B64 "\n", HM_E_INVALID },
        { "o\n 1\n" ROOT_B64 "\n", HM_E_INVALID },
        { "o\n1 \n" ROOT_B64 "\n", HM_E_INVALID },
        { "o\n0x10\n" ROOT_B64 "\n", HM_E_INVALID },
        { "o\n9223372036854775809\n" ROOT_B64 "\n", HM_E_INVALID },  /* 2^63 + 1 */
        { "o\n18446744073709551616\n" ROOT_B64 "\n", HM_E_INVALID }, /* 2^64 */
        { "o\n99999999999999999999999\n" ROOT_B64 "\n", HM_E_INVALID },
        { "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n", HM_E_INVALID },  /* unpadded */
        { "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n", HM_E_INVALID }, /* spare bits */
        { "o\n1\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n", HM_E_INVALID }, /* URL b64 */
        { "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxqw==\n", HM_E_INVALID }, /* 31 bytes */
        { "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2IA\n", HM_E_INVALID }, /* 33 */
        { "o\n1\n" ROOT_B64 "\n\n", HM_E_INVALID }, /* empty extension line */
        { "o\n1\n" ROOT_B64 "\next\n\n", HM_E_INVALID },
        { "o\r\n1\n" ROOT_B64 "\n", HM_E_INVALID }, /* CR */
        { "o\n1\r\n" ROOT_B64 "\n", HM_E_INVALID },
        { "o\xff\n1\n" ROOT_B64 "\n", HM_E_INVALID }, /* not UTF-8 */
    };
    struct hm_tlog_checkpoint *cp = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cp = (struct hm_tlog_checkpoint *)1;
        assert_int_equal(parse_str(cases[i].text, &cp), cases[i].want);
        assert_null(cp);
    }
}

static void
test_format_refuses(void **state)
{
    uint8_t root[32] = { 0 };
    char *text = (char *)1;
    size_t len = 9;

    (void)state;
    assert_int_equal(hm_tlog_checkpoint_format("a b", 1, root, &text, &len), HM_E_INVALID);
    assert_null(text);
    assert_int_equal(len, 0);
    assert_int_equal(hm_tlog_checkpoint_format("a+b", 1, root, &text, &len), HM_E_INVALID);
    assert_int_equal(hm_tlog_checkpoint_format("", 1, root, &text, &len), HM_E_INVALID);
    assert_int_equal(hm_tlog_checkpoint_format("a\nb", 1, root, &text, &len), HM_E_INVALID);
    assert_int_equal(hm_tlog_checkpoint_format("a", HM_TLOG_MAX_SIZE + 1, root, &text, &len),
                     HM_E_LIMIT);
    assert_null(text);
}

static char *
signed_checkpoint(struct tu_key *k, const char *origin, uint64_t size, size_t *len)
{
    uint8_t root[32];
    char *text = NULL, *note;
    size_t tl = 0;

    hm_tlog_leaf_hash("x", 1, root);
    assert_int_equal(hm_tlog_checkpoint_format(origin, size, root, &text, &tl), HM_OK);
    note = tu_sign_note(text, &k, 1, len);
    free(text);
    return note;
}

static void
test_open_signed_checkpoint(void **state)
{
    static const enum hm_tlog_sigtype types[] = { HM_TLOG_SIG_ED25519, HM_TLOG_SIG_ECDSA };

    (void)state;
    for (size_t t = 0; t < 2; t++) {
        struct tu_key *log = tu_key_new(types[t], "log.example/hallmark");
        struct tu_key *other = tu_key_new(types[t], "log.example/hallmark");
        struct hm_tlog_verifier *v = tu_key_verifier(log);
        struct hm_tlog_checkpoint *cp = NULL;
        size_t len = 0;
        char *note = signed_checkpoint(log, "log.example/hallmark", 42, &len), *p;

        assert_int_equal(hm_tlog_checkpoint_open((uint8_t *)note, len, v, NULL, &cp), HM_OK);
        assert_int_equal(hm_tlog_checkpoint_size(cp), 42);
        hm_tlog_checkpoint_free(cp);
        assert_int_equal(
            hm_tlog_checkpoint_open((uint8_t *)note, len, v, "log.example/hallmark", &cp), HM_OK);
        hm_tlog_checkpoint_free(cp);
        cp = (struct hm_tlog_checkpoint *)1;
        /* Another origin than the one expected. */
        assert_int_equal(hm_tlog_checkpoint_open((uint8_t *)note, len, v, "log.example/other", &cp),
                         HM_E_VERIFY);
        assert_null(cp);
        /* The size changed after signing: "42" -> "43". */
        p = strstr(note, "\n42\n");
        p[2] = '3';
        assert_int_equal(hm_tlog_checkpoint_open((uint8_t *)note, len, v, NULL, &cp), HM_E_VERIFY);
        assert_null(cp);
        free(note);
        /* Signed by another key with the same name: not trusted. */
        note = signed_checkpoint(other, "log.example/hallmark", 42, &len);
        assert_int_equal(hm_tlog_checkpoint_open((uint8_t *)note, len, v, NULL, &cp), HM_E_VERIFY);
        assert_null(cp);
        free(note);
        /* Signed properly, but the key is named after another log than the origin. */
        note = signed_checkpoint(log, "log.example/elsewhere", 42, &len);
        assert_int_equal(hm_tlog_checkpoint_open((uint8_t *)note, len, v, NULL, &cp), HM_E_VERIFY);
        assert_null(cp);
        free(note);
        /* Not a checkpoint body. */
        note = tu_sign_note("just text\n", &log, 1, &len);
        assert_int_equal(hm_tlog_checkpoint_open((uint8_t *)note, len, v, NULL, &cp), HM_E_INVALID);
        assert_null(cp);
        free(note);
        assert_int_equal(hm_tlog_checkpoint_open((uint8_t *)"x", 1, NULL, NULL, &cp), HM_E_INVALID);
        hm_tlog_verifier_free(v);
        tu_key_free(log);
        tu_key_free(other);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_parse),
        cmocka_unit_test(test_hostile_checkpoints),
        cmocka_unit_test(test_format_refuses),
        cmocka_unit_test(test_open_signed_checkpoint),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

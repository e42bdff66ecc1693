/*
 * test_proof.c: c2sp.org/tlog-proof@v1 end to end: a log in memory, a signed checkpoint
 * with witness cosignatures, the proof file, and a device-side check against the log key
 * and a k-of-n witness policy; then every way to break it, with the exact error.
 */
#include <hm/tlog.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tlog_testutil.h"

#define ORIGIN "log.example/hallmark"
#define N      1000
#define INDEX  777

struct fixture {
    struct tu_key *log, *w[3];
    struct hm_tlog_verifier *vlog, *vw[3];
    uint8_t leaf[32];
    char *proof; /* signed by the log and witnesses 0 and 1 */
    size_t proof_len;
};

/* A proof of leaf INDEX in a log of N entries, its checkpoint signed by signers. */
static char *
make_proof(struct tu_key *const *signers, size_t n_signers, const uint8_t *extra, size_t extra_len,
           size_t *len)
{
    struct hm_tlog_memstore *ms = NULL;
    struct hm_tlog_path path;
    uint8_t root[32];
    char *text = NULL, *note, *out = NULL;
    size_t tl = 0, nl = 0;

    assert_int_equal(hm_tlog_memstore_new(&ms), HM_OK);
    for (unsigned i = 0; i < N; i++) {
        uint8_t h[32];
        char entry[32];

        snprintf(entry, sizeof(entry), "entry %u", i);
        hm_tlog_leaf_hash(entry, strlen(entry), h);
        assert_int_equal(hm_tlog_memstore_append(ms, h, NULL), HM_OK);
    }
    assert_int_equal(hm_tlog_root(hm_tlog_memstore_storage(ms), N, root), HM_OK);
    assert_int_equal(hm_tlog_inclusion_proof(hm_tlog_memstore_storage(ms), INDEX, N, &path), HM_OK);
    assert_int_equal(hm_tlog_checkpoint_format(ORIGIN, N, root, &text, &tl), HM_OK);
    note = tu_sign_note(text, signers, n_signers, &nl);
    assert_int_equal(
        hm_tlog_proof_format(extra, extra_len, INDEX, &path, (uint8_t *)note, nl, &out, len),
        HM_OK);
    free(note);
    free(text);
    hm_tlog_memstore_free(ms);
    return out;
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct tu_key *signers[3];

    f->log = tu_key_new(HM_TLOG_SIG_ED25519, ORIGIN);
    f->vlog = tu_key_verifier(f->log);
    for (int i = 0; i < 3; i++) {
        char name[32];

        snprintf(name, sizeof(name), "witness%d.example", i);
        f->w[i] = tu_key_new(HM_TLOG_SIG_COSIG_ED25519, name);
        f->vw[i] = tu_key_verifier(f->w[i]);
    }
    hm_tlog_leaf_hash("entry 777", 9, f->leaf);
    signers[0] = f->log;
    signers[1] = f->w[0];
    signers[2] = f->w[1];
    f->proof = make_proof(signers, 3, (const uint8_t *)"fw-1.4.2", 8, &f->proof_len);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    free(f->proof);
    tu_key_free(f->log);
    hm_tlog_verifier_free(f->vlog);
    for (int i = 0; i < 3; i++) {
        tu_key_free(f->w[i]);
        hm_tlog_verifier_free(f->vw[i]);
    }
    free(f);
    return 0;
}

static hm_err
check(const struct fixture *f, const char *proof, size_t len, const uint8_t *leaf, size_t quorum)
{
    const struct hm_tlog_verifier *w[3] = { f->vw[0], f->vw[1], f->vw[2] };
    struct hm_tlog_trust trust = { f->vlog, NULL, w, 3, quorum };
    struct hm_tlog_proof *p = NULL;
    hm_err err;

    if ((err = hm_tlog_proof_parse((const uint8_t *)proof, len, &p)) != HM_OK) {
        return err;
    }
    err = hm_tlog_proof_verify(p, leaf, &trust);
    hm_tlog_proof_free(p);
    return err;
}

static void
test_proof_round_trip(void **state)
{
    struct fixture *f = *state;
    struct hm_tlog_proof *p = NULL;
    const uint8_t *extra, *note;
    size_t len = 0;
    char *again = NULL;

    assert_int_equal(
        strncmp(f->proof, "c2sp.org/tlog-proof@v1\nextra ZnctMS40LjI=\nindex 777\n", 52), 0);
    assert_int_equal(hm_tlog_proof_parse((uint8_t *)f->proof, f->proof_len, &p), HM_OK);
    assert_int_equal(hm_tlog_proof_index(p), INDEX);
    assert_int_equal(hm_tlog_proof_path(p)->len, 10); /* ceil(log2(1000)) */
    extra = hm_tlog_proof_extra(p, &len);
    assert_int_equal(len, 8);
    assert_memory_equal(extra, "fw-1.4.2", 8);
    assert_int_equal(hm_tlog_checkpoint_size(hm_tlog_proof_checkpoint(p)), N);
    note = hm_tlog_proof_note(p, &len);
    /* The checkpoint note is carried verbatim, and formatting again gives the same bytes. */
    assert_memory_equal(note, f->proof + f->proof_len - len, len);
    assert_int_equal(hm_tlog_proof_format((const uint8_t *)"fw-1.4.2", 8, INDEX,
                                          hm_tlog_proof_path(p), note, len, &again, &len),
                     HM_OK);
    assert_int_equal(len, f->proof_len);
    assert_memory_equal(again, f->proof, len);
    free(again);
    hm_tlog_proof_free(p);
    hm_tlog_proof_free(NULL);
}

static void
test_proof_verifies_with_quorum(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(check(f, f->proof, f->proof_len, f->leaf, 0), HM_OK);
    assert_int_equal(check(f, f->proof, f->proof_len, f->leaf, 1), HM_OK);
    assert_int_equal(check(f, f->proof, f->proof_len, f->leaf, 2), HM_OK);
    /* Only two of three witnesses cosigned. */
    assert_int_equal(check(f, f->proof, f->proof_len, f->leaf, 3), HM_E_VERIFY);
}

static void
test_proof_attacks(void **state)
{
    struct fixture *f = *state;
    uint8_t other[32];
    char *copy = malloc(f->proof_len + 1), *p;
    struct tu_key *signers[3] = { f->w[0], f->w[1], f->w[2] };
    size_t len = 0;

    /* Another leaf. */
    hm_tlog_leaf_hash("entry 778", 9, other);
    assert_int_equal(check(f, f->proof, f->proof_len, other, 0), HM_E_VERIFY);
    /* Another index. */
    memcpy(copy, f->proof, f->proof_len);
    p = strstr(copy, "index 777");
    p[8] = '6';
    assert_int_equal(check(f, copy, f->proof_len, f->leaf, 0), HM_E_VERIFY);
    /* A path hash changed (first character of the first hash line). */
    memcpy(copy, f->proof, f->proof_len);
    p = strstr(copy, "index 777\n") + 10;
    *p = *p == 'A' ? 'B' : 'A';
    assert_int_equal(check(f, copy, f->proof_len, f->leaf, 0), HM_E_VERIFY);
    free(copy);
    /* Cosigned by all witnesses but not signed by the log. */
    p = make_proof(signers, 3, NULL, 0, &len);
    assert_int_equal(check(f, p, len, f->leaf, 0), HM_E_VERIFY);
    assert_int_equal(check(f, p, len, f->leaf, 3), HM_E_VERIFY);
    free(p);
}

static void
test_bad_cosignature_rejects(void **state)
{
    struct fixture *f = *state;
    char *copy = malloc(f->proof_len + 1), *p;

    memcpy(copy, f->proof, f->proof_len);
    p = strstr(copy, "witness1.example ") + strlen("witness1.example ") + 30;
    *p = *p == 'A' ? 'B' : 'A';
    /* A trusted witness's cosignature must verify, even when the quorum needs none. */
    assert_int_equal(check(f, copy, f->proof_len, f->leaf, 0), HM_E_VERIFY);
    free(copy);
}

static void
test_trust_configuration(void **state)
{
    struct fixture *f = *state;
    const struct hm_tlog_verifier *w[2] = { f->vw[0], f->vlog }; /* the log key as witness */
    struct hm_tlog_trust trust = { f->vlog, NULL, w, 1, 2 };
    struct hm_tlog_proof *p = NULL;

    assert_int_equal(hm_tlog_proof_parse((uint8_t *)f->proof, f->proof_len, &p), HM_OK);
    assert_int_equal(hm_tlog_proof_verify(p, f->leaf, &trust), HM_E_INVALID); /* 2 of 1 */
    trust.n_witnesses = 2;
    assert_int_equal(hm_tlog_proof_verify(p, f->leaf, &trust), HM_E_INVALID); /* not 0x04 */
    trust.n_witnesses = 1;
    trust.witness_quorum = 1;
    trust.log_key = f->vw[1]; /* a cosignature key as the log key */
    assert_int_equal(hm_tlog_proof_verify(p, f->leaf, &trust), HM_E_INVALID);
    trust.log_key = f->vlog;
    assert_int_equal(hm_tlog_proof_verify(p, f->leaf, &trust), HM_OK);
    trust.origin = "log.example/other";
    assert_int_equal(hm_tlog_proof_verify(p, f->leaf, &trust), HM_E_VERIFY);
    trust.origin = ORIGIN;
    assert_int_equal(hm_tlog_proof_verify(p, f->leaf, &trust), HM_OK);
    assert_int_equal(hm_tlog_proof_verify(p, f->leaf, NULL), HM_E_INVALID);
    hm_tlog_proof_free(p);
}

static void
test_hostile_proofs(void **state)
{
    struct fixture *f = *state;
    const char *note = strstr(f->proof, "\n\n") + 2; /* the checkpoint note */
    static const struct {
        const char *head;
        hm_err want;
    } cases[] = {
        { "", HM_E_INVALID },
        { "c2sp.org/tlog-proof@v2\nindex 777\n\n", HM_E_INVALID },
        { "c2sp.org/tlog-proof@v1\r\nindex 777\n\n", HM_E_INVALID },
        { "c2sp.org/tlog-proof@v1\n\n", HM_E_INVALID },                      /* no index */
        { "c2sp.org/tlog-proof@v1\nextra \nindex 777\n\n", HM_E_INVALID },   /* empty extra */
        { "c2sp.org/tlog-proof@v1\nextra Zg\nindex 777\n\n", HM_E_INVALID }, /* unpadded */
        { "c2sp.org/tlog-proof@v1\nextra Zg==\nextra Zg==\nindex 777\n\n", HM_E_INVALID },
        { "c2sp.org/tlog-proof@v1\nindex 777\nextra Zg==\n\n", HM_E_INVALID },
        { "c2sp.org/tlog-proof@v1\nindex 0777\n\n", HM_E_INVALID },
        { "c2sp.org/tlog-proof@v1\nindex  777\n\n", HM_E_INVALID },
        { "c2sp.org/tlog-proof@v1\nindex -1\n\n", HM_E_INVALID },
        { "c2sp.org/tlog-proof@v1\nindex 9223372036854775808\n\n", HM_E_INVALID }, /* 2^63 */
        { "c2sp.org/tlog-proof@v1\nINDEX 777\n\n", HM_E_INVALID },
        { "c2sp.org/tlog-proof@v1\nindex 777\nAAAA\n\n", HM_E_INVALID }, /* short hash */
        { "c2sp.org/tlog-proof@v1\nindex 777\n"
          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n \n",
          HM_E_INVALID }, /* a space line is not the empty line */
        { "c2sp.org/tlog-proof@v1\nindex 777\n", HM_E_INVALID }, /* no empty line */
    };
    struct hm_tlog_proof *p = NULL;
    struct hm_buf b;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hm_buf_init(&b, 0);
        hm_buf_puts(&b, cases[i].head);
        if (cases[i].head[0] != '\0') {
            hm_buf_puts(&b, note);
        }
        p = (struct hm_tlog_proof *)1;
        assert_int_equal(hm_tlog_proof_parse(b.data, b.len, &p), cases[i].want);
        assert_null(p);
        hm_buf_free(&b);
    }
    /* 65 hash lines: over the limit. */
    hm_buf_init(&b, 0);
    hm_buf_puts(&b, "c2sp.org/tlog-proof@v1\nindex 1\n");
    for (int i = 0; i < 65; i++) {
        hm_buf_puts(&b, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
    }
    hm_buf_puts(&b, "\n");
    hm_buf_puts(&b, note);
    assert_int_equal(hm_tlog_proof_parse(b.data, b.len, &p), HM_E_LIMIT);
    assert_null(p);
    hm_buf_free(&b);
    /* The note part: not a note, or a note that is not a checkpoint. */
    assert_int_equal(
        hm_tlog_proof_parse((const uint8_t *)"c2sp.org/tlog-proof@v1\nindex 1\n\nx\n", 34, &p),
        HM_E_INVALID);
    {
        const char *s = "c2sp.org/tlog-proof@v1\nindex 1\n\nnot a checkpoint\n\n\xe2\x80\x94 k "
                        "AAAAAAA=\n";

        assert_int_equal(hm_tlog_proof_parse((const uint8_t *)s, strlen(s), &p), HM_E_INVALID);
        assert_null(p);
    }
    /* Too big in all. */
    {
        size_t big = HM_TLOG_PROOF_MAX_BYTES + 1;
        uint8_t *buf = calloc(1, big);

        assert_int_equal(hm_tlog_proof_parse(buf, big, &p), HM_E_LIMIT);
        assert_null(p);
        free(buf);
    }
}

static void
test_format_refuses(void **state)
{
    struct fixture *f = *state;
    struct hm_tlog_path path = { 0 };
    const char *note = strstr(f->proof, "\n\n") + 2;
    char *out = (char *)1;
    size_t len = 7;

    assert_int_equal(hm_tlog_proof_format((const uint8_t *)"", 0, 1, &path, (const uint8_t *)note,
                                          strlen(note), &out, &len),
                     HM_E_INVALID); /* empty extra */
    assert_null(out);
    assert_int_equal(len, 0);
    assert_int_equal(hm_tlog_proof_format(NULL, 0, 1, &path, (const uint8_t *)"x\n", 2, &out, &len),
                     HM_E_INVALID); /* not a note */
    path.len = HM_TLOG_MAX_PATH + 1;
    assert_int_equal(
        hm_tlog_proof_format(NULL, 0, 1, &path, (const uint8_t *)note, strlen(note), &out, &len),
        HM_E_LIMIT);
    assert_null(out);
}

/* An ECDSA log key (a TPM-held key) works the same way. */
static void
test_ecdsa_log(void **state)
{
    struct tu_key *log = tu_key_new(HM_TLOG_SIG_ECDSA, ORIGIN);
    struct hm_tlog_verifier *v = tu_key_verifier(log);
    struct hm_tlog_trust trust = { v, NULL, NULL, 0, 0 };
    struct hm_tlog_proof *p = NULL;
    uint8_t leaf[32];
    size_t len = 0;
    char *proof = make_proof(&log, 1, NULL, 0, &len);

    (void)state;
    hm_tlog_leaf_hash("entry 777", 9, leaf);
    assert_int_equal(hm_tlog_proof_parse((uint8_t *)proof, len, &p), HM_OK);
    assert_null(hm_tlog_proof_extra(p, &len));
    assert_int_equal(len, 0);
    assert_int_equal(hm_tlog_proof_verify(p, leaf, &trust), HM_OK);
    leaf[0] ^= 1;
    assert_int_equal(hm_tlog_proof_verify(p, leaf, &trust), HM_E_VERIFY);
    hm_tlog_proof_free(p);
    free(proof);
    hm_tlog_verifier_free(v);
    tu_key_free(log);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proof_round_trip),
        cmocka_unit_test(test_proof_verifies_with_quorum),
        cmocka_unit_test(test_proof_attacks),
        cmocka_unit_test(test_bad_cosignature_rejects),
        cmocka_unit_test(test_trust_configuration),
        cmocka_unit_test(test_hostile_proofs),
        cmocka_unit_test(test_format_refuses),
        cmocka_unit_test(test_ecdsa_log),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

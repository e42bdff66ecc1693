/*
 * test_store_log.c: the transparency log's tables in the store (store_log.c): a batch is
 * atomic (release, leaves, nodes and checkpoint together or nothing), indexes are unique
 * and contiguous under concurrency, one checkpoint covers a batch, the tree is read back
 * and checked at start, key events are found.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_log_test.h"
#include "store_test.h"

#define ORIGIN "log.test.example/hallmark"

struct fx {
    char dir[256];
    char path[300];
    struct slt_key key;
    struct hm_store *st;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct hm_store_log_config c;

    st_tmpdir(f->dir, sizeof(f->dir), f->path, sizeof(f->path));
    slt_key_init(&f->key, ORIGIN);
    c = slt_log_config(&f->key, 64, 2);
    if (hm_store_open(f->path, &f->st) != HM_OK || hm_store_log_start(f->st, &c) != HM_OK) {
        return -1;
    }
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;

    hm_store_close(f->st);
    slt_key_fini(&f->key);
    st_rmdir(f->dir);
    free(f);
    return 0;
}

static void
leaf_text(char *buf, size_t len, const char *tag, unsigned i)
{
    (void)snprintf(buf, len, "{\"leaf\":\"%s-%u\"}", tag, i);
}

/* Checks the note and the inclusion proof of every entry against it. */
static void
check_included(struct fx *f, const struct hm_store_log_entry *e, size_t n, const char *note,
               size_t note_len, uint64_t size)
{
    struct hm_tlog_checkpoint *cp = NULL;
    struct hm_tlog_path path;
    uint8_t leaf_hash[32];

    assert_int_equal(
        hm_tlog_checkpoint_open((const uint8_t *)note, note_len, f->key.verifier, ORIGIN, &cp),
        HM_OK);
    assert_int_equal(hm_tlog_checkpoint_size(cp), size);
    for (size_t i = 0; i < n; i++) {
        assert_true(e[i].index < size);
        assert_int_equal(
            hm_tlog_inclusion_proof(hm_store_log_storage(f->st), e[i].index, size, &path), HM_OK);
        hm_tlog_leaf_hash(e[i].leaf, e[i].leaf_len, leaf_hash);
        assert_int_equal(hm_tlog_verify_inclusion(e[i].index, size, leaf_hash, path.hash[0],
                                                  path.len, hm_tlog_checkpoint_root(cp)),
                         HM_OK);
    }
    hm_tlog_checkpoint_free(cp);
}

static hm_err
commit_release(struct fx *f, const char *version, struct hm_store_log_entry *e, size_t n,
               char **note, size_t *note_len, uint64_t *size)
{
    struct hm_store_resv *resv = NULL;
    struct hm_store_release rel = { .key_id = "k", .client_id = "cn:ci", .time = 1 };
    hm_err rc = hm_store_reserve(f->st, "fw", "stable", version, &resv, NULL, 0);

    if (rc != HM_OK) {
        return rc;
    }
    return hm_store_commit_logged(f->st, resv, &rel, e, n, note, note_len, size);
}

/* A release and its two entries (release statement, VSA) in one batch. */
static void
test_log_release_and_entries(void **state)
{
    struct fx *f = *state;
    char a[64], b[64], *note = NULL;
    struct hm_store_log_entry e[2] = { 0 };
    size_t note_len = 0;
    uint64_t size = 0;

    leaf_text(a, sizeof(a), "rel", 0);
    leaf_text(b, sizeof(b), "vsa", 0);
    e[0] = (struct hm_store_log_entry){
        .leaf = (const uint8_t *)a, .leaf_len = strlen(a), .bundle = "{\"b\":1}", .bundle_len = 7
    };
    e[1] = (struct hm_store_log_entry){ .leaf = (const uint8_t *)b, .leaf_len = strlen(b) };
    assert_int_equal(commit_release(f, "1.0.0", e, 2, &note, &note_len, &size), HM_OK);
    assert_int_equal(size, 2);
    assert_int_equal(e[0].index, 0);
    assert_int_equal(e[1].index, 1);
    check_included(f, e, 2, note, note_len, size);
    assert_int_equal(hm_store_log_size(f->st), 2);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM releases"), 1);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM log_leaves"), 2);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM log_checkpoints"), 1);
    /* leaves 0 and 1 and the level-1 node over them */
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM log_nodes"), 3);
    free(note);
}

/* The log key cannot sign: no release, no leaf, no checkpoint; the next batch takes the
 * same index (no gap). */
static void
test_log_sign_failure_is_atomic(void **state)
{
    struct fx *f = *state;
    char a[64], *note = NULL;
    struct hm_store_log_entry e = { 0 };
    size_t note_len = 0;
    uint64_t size = 0;

    leaf_text(a, sizeof(a), "x", 1);
    e = (struct hm_store_log_entry){ .leaf = (const uint8_t *)a, .leaf_len = strlen(a) };
    assert_int_equal(commit_release(f, "1.0.0", &e, 1, &note, &note_len, &size), HM_OK);
    free(note);
    note = NULL;
    atomic_store(&f->key.fail, true);
    assert_int_equal(commit_release(f, "1.0.1", &e, 1, &note, &note_len, &size), HM_E_UNAVAILABLE);
    assert_null(note);
    assert_int_equal(size, 0);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM releases"), 1);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM log_leaves"), 1);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM log_checkpoints"), 1);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM log_nodes"), 1);
    assert_int_equal(hm_store_log_size(f->st), 1);
    atomic_store(&f->key.fail, false);
    assert_int_equal(commit_release(f, "1.0.1", &e, 1, &note, &note_len, &size), HM_OK);
    assert_int_equal(e.index, 1);
    assert_int_equal(size, 2);
    check_included(f, &e, 1, note, note_len, size);
    free(note);
}

/* A refused release (a higher version is in the database) logs nothing. */
static void
test_log_conflict_logs_nothing(void **state)
{
    struct fx *f = *state;
    char a[64], *note = NULL;
    struct hm_store_log_entry e = { 0 };
    size_t note_len = 0;
    uint64_t size = 0;

    leaf_text(a, sizeof(a), "c", 0);
    e = (struct hm_store_log_entry){ .leaf = (const uint8_t *)a, .leaf_len = strlen(a) };
    assert_int_equal(commit_release(f, "2.0.0", &e, 1, &note, &note_len, &size), HM_OK);
    free(note);
    note = NULL;
    /* another node wrote 3.0.0 behind this one's back */
    assert_int_equal(st_exec(f->path, "INSERT INTO releases (product, channel, version, time)"
                                      " VALUES ('fw', 'stable', '3.0.0', 1);"
                                      "UPDATE highest SET version = '3.0.0'"),
                     0);
    assert_int_equal(commit_release(f, "2.5.0", &e, 1, &note, &note_len, &size), HM_E_CONFLICT);
    assert_null(note);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM log_leaves"), 1);
    assert_int_equal(hm_store_log_size(f->st), 1);
}

struct worker {
    struct fx *f;
    unsigned id;
    uint64_t index[25];
    hm_err rc;
};

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    char text[64], *note = NULL;
    size_t note_len = 0;
    uint64_t size = 0;

    for (unsigned i = 0; i < 25 && w->rc == HM_OK; i++) {
        struct hm_store_log_entry e = { 0 };

        leaf_text(text, sizeof(text), "w", w->id * 100 + i);
        e.leaf = (const uint8_t *)text;
        e.leaf_len = strlen(text);
        w->rc = hm_store_commit_logged(w->f->st, NULL, NULL, &e, 1, &note, &note_len, &size);
        if (w->rc == HM_OK && (e.index >= size || note == NULL)) {
            w->rc = HM_E_INTERNAL;
        }
        w->index[i] = e.index;
        free(note);
        note = NULL;
    }
    return NULL;
}

/* 16 threads x 25 appends: indexes 0..399 each once; far fewer checkpoints than entries. */
static void
test_log_concurrent_unique_contiguous(void **state)
{
    struct fx *f = *state;
    struct worker w[16];
    pthread_t th[16];
    bool *seen = calloc(400, sizeof(bool));
    uint8_t root[32];
    char *note = NULL;
    size_t note_len = 0;
    uint64_t size = 0;
    struct hm_tlog_checkpoint *cp = NULL;

    for (unsigned i = 0; i < 16; i++) {
        w[i] = (struct worker){ .f = f, .id = i };
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (unsigned i = 0; i < 16; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].rc, HM_OK);
        for (unsigned j = 0; j < 25; j++) {
            assert_true(w[i].index[j] < 400);
            assert_false(seen[w[i].index[j]]);
            seen[w[i].index[j]] = true;
        }
    }
    assert_int_equal(hm_store_log_size(f->st), 400);
    assert_true(st_query_int(f->path, "SELECT COUNT(*) FROM log_checkpoints") < 400);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM log_leaves"), 400);
    assert_int_equal(hm_store_log_checkpoint(f->st, UINT64_MAX, &note, &note_len, &size), HM_OK);
    assert_int_equal(size, 400);
    assert_int_equal(
        hm_tlog_checkpoint_open((const uint8_t *)note, note_len, f->key.verifier, ORIGIN, &cp),
        HM_OK);
    assert_int_equal(hm_tlog_root(hm_store_log_storage(f->st), 400, root), HM_OK);
    assert_memory_equal(root, hm_tlog_checkpoint_root(cp), 32);
    hm_tlog_checkpoint_free(cp);
    free(note);
    free(seen);
}

static hm_err
count_cb(void *ctx, uint64_t index, const uint8_t *leaf, size_t leaf_len, const char *bundle,
         size_t bundle_len)
{
    uint64_t *next = ctx;

    (void)leaf;
    (void)bundle;
    (void)bundle_len;
    if (index != *next || leaf_len == 0) {
        return HM_E_INTERNAL;
    }
    (*next)--;
    return HM_OK;
}

/* Restart: the tree is read back and checked; a tampered node or another origin is
 * refused at start. */
static void
test_log_restart_checks_tree(void **state)
{
    struct fx *f = *state;
    struct hm_store_log_entry e[3] = { 0 };
    struct hm_store_log_config c = slt_log_config(&f->key, 64, 0);
    char text[3][64], *note = NULL;
    size_t note_len = 0;
    uint64_t size = 0, next = 2, index = 0;

    for (unsigned i = 0; i < 3; i++) {
        leaf_text(text[i], sizeof(text[i]), "r", i);
        e[i].leaf = (const uint8_t *)text[i];
        e[i].leaf_len = strlen(text[i]);
    }
    e[1].key_event = "key-one";
    assert_int_equal(hm_store_commit_logged(f->st, NULL, NULL, e, 3, &note, &note_len, &size),
                     HM_OK);
    free(note);
    hm_store_close(f->st);
    f->st = NULL;
    assert_int_equal(hm_store_open(f->path, &f->st), HM_OK);
    assert_int_equal(hm_store_log_start(f->st, &c), HM_OK);
    assert_int_equal(hm_store_log_size(f->st), 3);
    assert_int_equal(hm_store_log_key_event(f->st, "key-one", &index), HM_OK);
    assert_int_equal(index, 1);
    assert_int_equal(hm_store_log_key_event(f->st, "key-two", &index), HM_E_NOTFOUND);
    assert_int_equal(hm_store_log_entries(f->st, 0, 3, true, count_cb, &next), HM_OK);
    assert_int_equal(next, UINT64_MAX);
    hm_store_close(f->st);
    f->st = NULL;
    /* another origin: the stored checkpoint does not verify for it */
    struct slt_key other;
    slt_key_init(&other, "other.example/log");
    struct hm_store_log_config oc = slt_log_config(&other, 64, 0);
    assert_int_equal(hm_store_open(f->path, &f->st), HM_OK);
    assert_int_equal(hm_store_log_start(f->st, &oc), HM_E_VERIFY);
    assert_int_equal(hm_store_log_size(f->st), 0);
    hm_store_close(f->st);
    f->st = NULL;
    slt_key_fini(&other);
    /* a rewritten subtree hash (level 1, index 0: id 1 << 56) that the root is made of */
    assert_int_equal(st_exec(f->path, "UPDATE log_nodes SET hash = zeroblob(32)"
                                      " WHERE id = 72057594037927936"),
                     0);
    assert_int_equal(hm_store_open(f->path, &f->st), HM_OK);
    assert_int_equal(hm_store_log_start(f->st, &c), HM_E_VERIFY);
}

/* Bad arguments and a store without a log: nothing handed out. */
static void
test_log_refusals(void **state)
{
    struct fx *f = *state;
    struct hm_store_log_entry e = { .leaf = (const uint8_t *)"x", .leaf_len = 1 };
    struct hm_store *bare = NULL;
    char *note = (char *)"sentinel", dir[256], path[300];
    size_t note_len = 1;
    uint64_t size = 1;
    struct hm_store_log_config c = slt_log_config(&f->key, 0, 0);

    assert_int_equal(hm_store_commit_logged(f->st, NULL, NULL, &e, 0, &note, &note_len, &size),
                     HM_E_INVALID);
    assert_null(note);
    e.leaf_len = 0;
    assert_int_equal(hm_store_commit_logged(f->st, NULL, NULL, &e, 1, &note, &note_len, &size),
                     HM_E_INVALID);
    e.leaf_len = HM_STORE_LOG_MAX_LEAF + 1;
    assert_int_equal(hm_store_commit_logged(f->st, NULL, NULL, &e, 1, &note, &note_len, &size),
                     HM_E_INVALID);
    assert_int_equal(hm_store_log_start(f->st, &c), HM_E_INVALID); /* started already */
    c.origin = "has space";
    st_tmpdir(dir, sizeof(dir), path, sizeof(path));
    assert_int_equal(hm_store_open(path, &bare), HM_OK);
    assert_int_equal(hm_store_log_start(bare, &c), HM_E_INVALID);
    e.leaf_len = 1;
    assert_int_equal(hm_store_commit_logged(bare, NULL, NULL, &e, 1, &note, &note_len, &size),
                     HM_E_UNAVAILABLE);
    assert_null(note);
    assert_int_equal(size, 0);
    hm_store_close(bare);
    st_rmdir(dir);
    assert_int_equal(st_query_int(f->path, "SELECT COUNT(*) FROM log_leaves"), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_log_release_and_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_sign_failure_is_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_conflict_logs_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_concurrent_unique_contiguous, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_restart_checks_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

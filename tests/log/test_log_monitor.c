/*
 * test_log_monitor.c: `hallmark log verify`'s monitor (signer/cli/cli_log_mon.c) against an
 * in-memory log (fakelog.c): clean runs across tile boundaries, incremental runs that read
 * only the new entries, the watch list, and every attack with its exact verdict and
 * message: split view (same size, shrink, inconsistent proof), rewritten entry, gap, bad
 * checkpoint signature, root mismatch, malformed entry, unreachable server.  After every
 * failure the state folder is unchanged.
 */
#include <dirent.h>
#include <hm/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakelog.h"

struct fx {
    char dir[256];
    struct fake_key *key;
    struct fakelog *log;
    char *out;
    size_t out_len;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/hm-logmon-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->key = fake_key_new("log.example/hallmark");
    f->log = fakelog_new(f->key);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    char cmd[512];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    fakelog_free(f->log);
    fake_key_free(f->key);
    free(f->out);
    free(f);
    return 0;
}

/* One monitor run against log; watched keys/products as given. */
static struct cli_log_mon_result
run_watch(struct fx *f, struct fakelog *log, const char *const *keys, size_t nk,
          const char *const *products, size_t np, bool json)
{
    struct cli_log_mon_opts o = { 0 };
    struct cli_log_mon_result r;
    struct cli_log_src src;
    FILE *out;

    free(f->out);
    f->out = NULL;
    out = open_memstream(&f->out, &f->out_len);
    assert_non_null(out);
    o.log_key = fake_key_verifier(f->key);
    o.state_dir = f->dir;
    o.watch.keys = keys;
    o.watch.n_keys = nk;
    o.watch.products = products;
    o.watch.n_products = np;
    o.json = json;
    o.out = out;
    fakelog_src(log, &src);
    assert_int_equal(cli_log_monitor(&src, &o, &r), HM_OK);
    fclose(out);
    return r;
}

static struct cli_log_mon_result
run(struct fx *f, struct fakelog *log)
{
    return run_watch(f, log, NULL, 0, NULL, 0, false);
}

static char *
read_state(struct fx *f)
{
    char path[512];
    uint8_t *buf = NULL;
    size_t len = 0;

    snprintf(path, sizeof(path), "%s/state", f->dir);
    if (hm_read_file(path, 1 << 22, &buf, &len) != HM_OK) {
        return NULL;
    }
    return (char *)buf;
}

static size_t
evidence_count(struct fx *f)
{
    char path[512];
    struct dirent *e;
    size_t n = 0;
    DIR *d;

    snprintf(path, sizeof(path), "%s/evidence", f->dir);
    if ((d = opendir(path)) == NULL) {
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n;
}

/* The verdict, the message, and the state left exactly as it was. */
static void
expect_fail(struct fx *f, struct fakelog *log, enum cli_log_fail want, const char *msg)
{
    char *before = read_state(f), *after;
    struct cli_log_mon_result r = run(f, log);

    assert_int_equal(r.fail, want);
    if (strstr(r.msg, msg) == NULL) {
        fail_msg("message \"%s\" does not contain \"%s\"", r.msg, msg);
    }
    after = read_state(f);
    if (before == NULL) {
        assert_null(after);
    } else {
        assert_non_null(after);
        assert_string_equal(before, after);
    }
    free(before);
    free(after);
}

static void
test_clean_runs_across_tile_boundaries(void **state)
{
    static const size_t sizes[] = { 0, 1, 2, 255, 256, 257, 511, 512, 600, 1000 };
    struct fx *f = *state;
    uint64_t prev = 0;
    char *incremental;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct cli_log_mon_result r;
        fakelog_add(f->log, sizes[i] - f->log->n, "acme-thermostat", "key-A");
        fakelog_publish(f->log);
        r = run(f, f->log);
        assert_int_equal(r.fail, CLI_LOG_OK);
        assert_int_equal(r.old_size, prev);
        assert_int_equal(r.new_size, sizes[i]);
        assert_int_equal(r.n_new, sizes[i] - prev);
        assert_non_null(strstr(f->out, "log verified: log.example/hallmark size"));
        prev = sizes[i];
    }
    /* the same run again: nothing new, still verified */
    assert_int_equal(run(f, f->log).fail, CLI_LOG_OK);
    /* a fresh folder that reads all 1000 at once ends in the very same state */
    incremental = read_state(f);
    assert_non_null(incremental);
    {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -f '%s/state'", f->dir);
        assert_int_equal(system(cmd), 0);
    }
    {
        struct cli_log_mon_result r = run(f, f->log);
        char *fresh = read_state(f);
        assert_int_equal(r.fail, CLI_LOG_OK);
        assert_int_equal(r.n_new, 1000);
        assert_string_equal(fresh, incremental);
        free(fresh);
    }
    free(incremental);
}

static void
test_second_run_reads_only_new_entries(void **state)
{
    struct fx *f = *state;
    struct cli_log_mon_result r;

    fakelog_add(f->log, 600, "acme-thermostat", "key-A");
    fakelog_publish(f->log);
    assert_int_equal(run(f, f->log).fail, CLI_LOG_OK);
    f->log->bundle_gets = 0;
    fakelog_add(f->log, 100, "acme-thermostat", "key-A");
    fakelog_publish(f->log);
    r = run(f, f->log);
    assert_int_equal(r.fail, CLI_LOG_OK);
    assert_int_equal(r.n_new, 100);
    assert_int_equal(f->log->bundle_gets, 1); /* tile/entries/002.p/188 only */
}

static void
test_split_view_same_size(void **state)
{
    struct fx *f = *state;
    struct fakelog *fork = fakelog_new(f->key); /* the same key signs another history */

    fakelog_add(f->log, 5, "acme-thermostat", "key-A");
    fakelog_publish(f->log);
    assert_int_equal(run(f, f->log).fail, CLI_LOG_OK);
    fakelog_add(fork, 5, "acme-hub", "key-B");
    fakelog_publish(fork);
    expect_fail(f, fork, CLI_LOG_SPLIT_VIEW, "two checkpoints of size 5 with different roots: ");
    assert_int_equal(evidence_count(f), 1);
    fakelog_free(fork);
}

static void
test_split_view_inconsistent_growth(void **state)
{
    struct fx *f = *state;
    struct fakelog *fork = fakelog_new(f->key);

    fakelog_add(f->log, 5, "acme-thermostat", "key-A");
    fakelog_publish(f->log);
    assert_int_equal(run(f, f->log).fail, CLI_LOG_OK);
    fakelog_add(fork, 8, "acme-hub", "key-B");
    fakelog_publish(fork);
    expect_fail(f, fork, CLI_LOG_SPLIT_VIEW,
                "is not consistent with checkpoint 5 (root "); /* then "verified before" */
    assert_non_null(strstr(f->log->note, "log.example/hallmark\n5\n"));
    fakelog_free(fork);
}

static void
test_split_view_bad_consistency_proof(void **state)
{
    struct fx *f = *state;

    fakelog_add(f->log, 300, "acme-thermostat", "key-A");
    fakelog_publish(f->log);
    assert_int_equal(run(f, f->log).fail, CLI_LOG_OK);
    fakelog_add(f->log, 10, "acme-thermostat", "key-A");
    fakelog_publish(f->log);
    f->log->bad_proof = true;
    expect_fail(f, f->log, CLI_LOG_SPLIT_VIEW, "the consistency proof does not verify");
    f->log->bad_proof = false;
    assert_int_equal(run(f, f->log).fail, CLI_LOG_OK);
}

static void
test_split_view_log_shrank(void **state)
{
    struct fx *f = *state;

    fakelog_add(f->log, 9, "acme-thermostat", "key-A");
    fakelog_publish(f->log);
    assert_int_equal(run(f, f->log).fail, CLI_LOG_OK);
    fakelog_publish_at(f->log, 4);
    expect_fail(f, f->log, CLI_LOG_SPLIT_VIEW, "the log shrank: checkpoint size 4 (root ");
}

static void
test_rewritten_entry(void **state)
{
    struct fx *f = *state;

    fakelog_add(f->log, 300, "acme-thermostat", "key-A");
    fakelog_publish(f->log);
    f->log->rewrite = 3;
    expect_fail(f, f->log, CLI_LOG_REWRITTEN, "entry 3 was rewritten: the bytes served hash to ");
    f->log->rewrite = -1;
    assert_int_equal(run(f, f->log).fail, CLI_LOG_OK);
    /* in a later run, among the new entries */
    fakelog_add(f->log, 20, "acme-thermostat", "key-A");
    fakelog_publish(f->log);
    f->log->rewrite = 310;
    expect_fail(f, f->log, CLI_LOG_REWRITTEN, "entry 310 was rewritten: the bytes served hash to ");
}

static void
test_gap(void **state)
{
    struct fx *f = *state;

    fakelog_add(f->log, 600, "acme-thermostat", "key-A");
    fakelog_publish(f->log);
    f->log->drop_from = 300;
    expect_fail(f, f->log, CLI_LOG_GAP,
                "entries 300..511 of the checkpoint of size 600 are missing: "
                "/v1/log/tile/entries/001 holds 44 of its 256 entries");
    f->log->drop_from = -1;
    f->log->bundles_404 = true;
    expect_fail(f, f->log, CLI_LOG_GAP,
                "entries 0..255 of the checkpoint of size 600 are missing: "
                "/v1/log/tile/entries/000 answered 404");
}

static void
test_bad_checkpoint_signature(void **state)
{
    struct fx *f = *state;
    struct fake_key *other = fake_key_new("log.example/hallmark"); /* same name, other key */
    struct fake_key *named = fake_key_new("log.example/other");
    struct fakelog *renamed = fakelog_new(named);

    fakelog_add(f->log, 3, "acme-thermostat", "key-A");
    fakelog_publish_forged(f->log, other);
    expect_fail(f, f->log, CLI_LOG_BAD_SIGNATURE,
                "the checkpoint is not signed by the log key log.example/hallmark+");
    /* a valid note of another origin */
    fakelog_add(renamed, 3, "acme-thermostat", "key-A");
    fakelog_publish(renamed);
    expect_fail(f, renamed, CLI_LOG_BAD_SIGNATURE, "with origin log.example/hallmark");
    fakelog_free(renamed);
    fake_key_free(named);
    fake_key_free(other);
}

static void
test_root_mismatch(void **state)
{
    struct fx *f = *state;

    fakelog_add(f->log, 7, "acme-thermostat", "key-A");
    f->log->bad_root = true; /* signed by the log key, but not the root of its entries */
    fakelog_publish(f->log);
    expect_fail(f, f->log, CLI_LOG_ROOT_MISMATCH, "the entries 0..6 hash to root ");
}

static void
test_malformed_entry(void **state)
{
    struct fx *f = *state;

    fakelog_add(f->log, 2, "acme-thermostat", "key-A");
    fakelog_add_raw(f->log, "{\"apiVersion\":\"0.0.1\"}", 22);
    fakelog_publish(f->log);
    expect_fail(f, f->log, CLI_LOG_MALFORMED_ENTRY, "entry 2 is not a Hallmark leaf: ");
}

static void
test_server_errors_are_io(void **state)
{
    struct fx *f = *state;

    fakelog_add(f->log, 2, "acme-thermostat", "key-A");
    fakelog_publish(f->log);
    f->log->status_override = 503;
    expect_fail(f, f->log, CLI_LOG_IO, "cannot fetch /v1/log/checkpoint: HTTP 503");
}

static void
test_state_of_another_log_key(void **state)
{
    struct fx *f = *state;
    struct fake_key *k2 = fake_key_new("log.example/hallmark");
    struct fakelog *l2 = fakelog_new(k2);
    struct fake_key *saved = f->key;

    fakelog_add(l2, 4, "acme-thermostat", "key-A");
    fakelog_publish(l2);
    f->key = k2;
    assert_int_equal(run(f, l2).fail, CLI_LOG_OK);
    f->key = saved;
    fakelog_add(f->log, 4, "acme-thermostat", "key-A");
    fakelog_publish(f->log);
    expect_fail(f, f->log, CLI_LOG_IO, "holds a checkpoint this log key did not sign");
    fakelog_free(l2);
    fake_key_free(k2);
}

static void
test_watch_list(void **state)
{
    static const char *const keys[] = { "key-W" };
    static const char *const products[] = { "acme-hub" };
    struct fx *f = *state;
    struct cli_log_mon_result r;
    size_t lines = 0;

    fakelog_add(f->log, 4, "acme-thermostat", "key-A");
    fakelog_add(f->log, 3, "acme-thermostat", "key-W");
    fakelog_add(f->log, 2, "acme-hub", "key-A");
    fakelog_add(f->log, 1, "acme-hub", "key-W");
    fakelog_publish(f->log);
    r = run_watch(f, f->log, keys, 1, products, 1, false);
    assert_int_equal(r.fail, CLI_LOG_OK);
    assert_int_equal(r.n_watched, 6);
    assert_non_null(strstr(f->out, "watched (key): entry 4 key key-W product acme-thermostat "
                                   "channel stable version 1.0.4 type "
                                   "https://hallmark.dev/attestation/release/v1 time "
                                   "2026-11-28T00:00:01Z client "));
    assert_non_null(strstr(f->out, "watched (product): entry 7 key key-A product acme-hub"));
    assert_non_null(strstr(f->out, "watched (key,product): entry 9 key key-W"));
    assert_null(strstr(f->out, "entry 3 "));
    /* --json: one object per line, the summary last */
    fakelog_add(f->log, 1, "acme-hub", "key-A");
    fakelog_publish(f->log);
    r = run_watch(f, f->log, keys, 1, products, 1, true);
    assert_int_equal(r.n_watched, 1);
    for (char *line = strtok(f->out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        cJSON *j = NULL;
        assert_int_equal(hm_json_parse(line, strlen(line), NULL, &j, NULL), HM_OK);
        if (lines == 0) {
            assert_string_equal(hm_json_get(j, "watched")->valuestring, "product");
            assert_int_equal((int)hm_json_get(j, "index")->valuedouble, 10);
        } else {
            assert_string_equal(hm_json_get(j, "status")->valuestring, "verified");
            assert_int_equal((int)hm_json_get(j, "size")->valuedouble, 11);
        }
        cJSON_Delete(j);
        lines++;
    }
    assert_int_equal(lines, 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_clean_runs_across_tile_boundaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_run_reads_only_new_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_view_same_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_view_inconsistent_growth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_view_bad_consistency_proof, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_view_log_shrank, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewritten_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_checkpoint_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_errors_are_io, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_of_another_log_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_list, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

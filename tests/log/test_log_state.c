/*
 * test_log_state.c: the monitor's state file (signer/cli/cli_log_state.c).  What it writes
 * reads back; a hand-edited or truncated state is refused with its reason and nothing
 * handed out; the routes' JSON replies are read strictly (cli_log_routes.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fakelog.h"

/* A valid state file for a log of size n (written by cli_log_state_save). */
static char *
valid_state(size_t n, size_t *len)
{
    struct fake_key *k = fake_key_new("log.example/hallmark");
    struct fakelog *l = fakelog_new(k);
    struct hm_tlog_node_hash edge[64];
    char dir[] = "/tmp/hm-logstate-XXXXXX", path[64], cmd[96];
    uint8_t *buf = NULL;
    size_t e = 0;

    assert_non_null(mkdtemp(dir));
    fakelog_add(l, n, "acme-thermostat", "key-A");
    fakelog_publish(l);
    for (int lv = 63; lv >= 0; lv--) {
        if ((n >> lv) & 1) {
            struct hm_tlog_node node = { .level = (uint8_t)lv, .index = (n >> lv) - 1 };
            const struct hm_tlog_storage *st = hm_tlog_memstore_storage(l->ms);
            edge[e].node = node;
            assert_int_equal(st->read(st->ctx, &node, 1, &edge[e].hash), HM_OK);
            e++;
        }
    }
    assert_int_equal(cli_log_state_save(dir, (const uint8_t *)l->note, l->note_len, n, edge, e),
                     HM_OK);
    snprintf(path, sizeof(path), "%s/state", dir);
    assert_int_equal(hm_read_file(path, 1 << 22, &buf, len), HM_OK);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    fakelog_free(l);
    fake_key_free(k);
    return (char *)buf;
}

static void
test_state_round_trip(void **state)
{
    static const size_t sizes[] = { 0, 1, 6, 256, 1023 };

    (void)state;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct cli_log_state *st = NULL;
        char why[256] = "";
        size_t len = 0;
        char *s = valid_state(sizes[i], &len);
        assert_int_equal(cli_log_state_parse((uint8_t *)s, len, &st, why, sizeof(why)), HM_OK);
        assert_int_equal(hm_tlog_checkpoint_size(st->cp), sizes[i]);
        assert_int_equal(st->n_edge, (size_t)__builtin_popcountll(sizes[i]));
        cli_log_state_free(st);
        free(s);
    }
}

/* Replaces the first from by to (to may be shorter or longer). */
static char *
edit(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    char *out;

    assert_non_null(at);
    out = malloc(strlen(s) + strlen(to) + 1);
    assert_non_null(out);
    memcpy(out, s, (size_t)(at - s));
    strcpy(out + (at - s), to);
    strcat(out, at + strlen(from));
    return out;
}

static void
test_state_hostile(void **state)
{
    size_t len = 0;
    char *good = valid_state(6, &len); /* 6 = 110b: edges at levels 2 and 1 */
    char *edge1 = strstr(good, "edge 1 2 ");
    static const struct {
        const char *from, *to, *why;
    } cases[] = {
        { "hallmark-log-monitor/v1", "hallmark-log-monitor/v2", "the first line is not" },
        { "size 6\n", "size 06\n", "the second line is not \"size <n>\"" },
        { "size 6\n", "size 7\n", "2 edge lines for size 7 (want 3)" },
        { "size 6\n", "size 4\n", "edge line 2 does not name the tree's right edge at size 4" },
        { "edge 2 0 ", "edge 2 1 ", "edge line 1 does not name the tree's right edge" },
        { "edge 2 0 ", "edge  2 0 ", "line 3 is not \"edge <level> <index> <base64 hash>\"" },
        { "\n\nlog.example", "\nlog.example", "line 5 is not \"edge <level>" },
        { "log.example/hallmark\n6\n", "log.example/hallmark\n7\n",
          "size 6 but the checkpoint's size is 7" },
    };

    (void)state;
    assert_non_null(edge1);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cli_log_state *st = (struct cli_log_state *)1;
        char why[256] = "";
        char *bad = edit(good, cases[i].from, cases[i].to);
        assert_int_equal(cli_log_state_parse((uint8_t *)bad, strlen(bad), &st, why, sizeof(why)),
                         HM_E_INVALID);
        assert_null(st);
        if (strstr(why, cases[i].why) == NULL) {
            fail_msg("case %zu: reason \"%s\" lacks \"%s\"", i, why, cases[i].why);
        }
        free(bad);
    }
    /* an edge hash changed: it no longer gives the checkpoint's root */
    {
        struct cli_log_state *st = NULL;
        char why[256] = "";
        char *bad = strdup(good);
        size_t at = (size_t)(edge1 - good) + 9;
        bad[at] = bad[at] == 'A' ? 'B' : 'A';
        assert_int_equal(cli_log_state_parse((uint8_t *)bad, strlen(bad), &st, why, sizeof(why)),
                         HM_E_INVALID);
        assert_null(st);
        assert_string_equal(why, "the edge hashes do not give the checkpoint's root");
        free(bad);
    }
    /* truncated anywhere: refused, never a crash */
    for (size_t cut = 0; cut < len; cut++) {
        struct cli_log_state *st = NULL;
        char why[256] = "";
        hm_err err = cli_log_state_parse((uint8_t *)good, cut, &st, why, sizeof(why));
        assert_int_not_equal(err, HM_OK);
        assert_null(st);
    }
    free(good);
}

static void
test_routes_read_strictly(void **state)
{
    static const struct {
        const char *body, *why;
    } incl[] = {
        { "{\"logIndex\":3,\"treeSize\":9,\"rootHash\":"
          "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
          "\",\"hashes\":[],\"extra\":1}",
          "unexpected member \"extra\"" },
        { "{\"logIndex\":4,\"treeSize\":9,\"rootHash\":"
          "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
          "\",\"hashes\":[]}",
          "\"logIndex\" is 4, asked for 3" },
        { "{\"logIndex\":\"3\",\"treeSize\":8,\"rootHash\":"
          "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
          "\",\"hashes\":[]}",
          "\"treeSize\" is 8, asked for 9" },
        { "{\"logIndex\":3,\"treeSize\":9,\"rootHash\":\"AAAA\",\"hashes\":[]}",
          "\"rootHash\" is not a base64 SHA-256 hash" },
        { "{\"logIndex\":3,\"treeSize\":9,\"rootHash\":"
          "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
          "\",\"hashes\":[\"AA==\"]}",
          "hashes[0] is not a base64 SHA-256 hash" },
        { "{\"logIndex\":3,\"logIndex\":3}", "not JSON: " },
    };
    struct hm_tlog_path path;
    uint8_t root[32], *leaf = NULL;
    size_t leaf_len = 0;
    char why[256];

    (void)state;
    for (size_t i = 0; i < sizeof(incl) / sizeof(incl[0]); i++) {
        why[0] = '\0';
        assert_int_not_equal(cli_log_parse_inclusion((const uint8_t *)incl[i].body,
                                                     strlen(incl[i].body), 3, 9, root, &path, why,
                                                     sizeof(why)),
                             HM_OK);
        if (strstr(why, incl[i].why) == NULL) {
            fail_msg("case %zu: reason \"%s\" lacks \"%s\"", i, why, incl[i].why);
        }
    }
    {
        const char *ok = "{\"logIndex\":\"3\",\"treeSize\":\"9\",\"rootHash\":"
                         "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"hashes\":["
                         "\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"]}";
        assert_int_equal(cli_log_parse_inclusion((const uint8_t *)ok, strlen(ok), 3, 9, root, &path,
                                                 why, sizeof(why)),
                         HM_OK);
        assert_int_equal(path.len, 1);
        assert_int_equal(path.hash[0][0], 1);
    }
    {
        const char *c = "{\"from\":2,\"to\":5,\"hashes\":[]}";
        assert_int_equal(
            cli_log_parse_consistency((const uint8_t *)c, strlen(c), 2, 5, &path, why, sizeof(why)),
            HM_OK);
        assert_int_equal(
            cli_log_parse_consistency((const uint8_t *)c, strlen(c), 2, 6, &path, why, sizeof(why)),
            HM_E_INVALID);
        assert_string_equal(why, "\"to\" is 5, asked for 6");
    }
    {
        /* "leaf":"e30=" is "{}"; its hash is not 00..00 */
        const char *e = "{\"logIndex\":1,\"leaf\":\"e30=\",\"leafHash\":\""
                        "0000000000000000000000000000000000000000000000000000000000000000\","
                        "\"bundle\":null}";
        assert_int_equal(cli_log_parse_entry((const uint8_t *)e, strlen(e), 1, &leaf, &leaf_len,
                                             why, sizeof(why)),
                         HM_E_INVALID);
        assert_null(leaf);
        assert_string_equal(why, "\"leafHash\" is not the hash of \"leaf\"");
    }
    {
        uint8_t h[32];
        char hex[65], body[256];
        hm_tlog_leaf_hash("{}", 2, h);
        hm_hex_encode(h, 32, hex);
        snprintf(body, sizeof(body),
                 "{\"logIndex\":1,\"leaf\":\"e30=\",\"leafHash\":\"%s\",\"bundle\":null}", hex);
        assert_int_equal(cli_log_parse_entry((const uint8_t *)body, strlen(body), 1, &leaf,
                                             &leaf_len, why, sizeof(why)),
                         HM_OK);
        assert_int_equal(leaf_len, 2);
        assert_memory_equal(leaf, "{}", 2);
        free(leaf);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_round_trip),
        cmocka_unit_test(test_state_hostile),
        cmocka_unit_test(test_routes_read_strictly),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

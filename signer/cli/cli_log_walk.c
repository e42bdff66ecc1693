/*
 * cli_log_walk.c: step 3 of the monitor: the new entries, read from the C2SP tlog-tiles
 * entry bundles (tile/entries/<N>[.p/<W>], records u16be length || leaf), hashed into the
 * tree extended from the stored right edge, each leaf read strictly and matched against
 * the watch list.  256 entries per request, and no tree recomputation: the appender needs
 * only the edge (docs/tlog.md §2).
 */
#include <hm/verify.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli_log_int.h"

#define TILE HM_TLOG_TILE_WIDTH

void
mon_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p);
        } else if (*p < 0x20) {
            fprintf(f, "\\u%04x", *p);
        } else {
            fputc(*p, f);
        }
    }
    fputc('"', f);
}

static bool
in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s != NULL && i < n; i++) {
        if (strcmp(s, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

static void
json_member(FILE *f, const char *key, const char *v)
{
    fprintf(f, ",\"%s\":", key);
    if (v == NULL) {
        fputs("null", f);
    } else {
        mon_json_string(f, v);
    }
}

/* One line per watched entry: plain words, or one JSON object. */
static void
report_watched(struct mon *m, uint64_t index, const struct hm_dsse_leaf *leaf)
{
    bool by_key = in_list(leaf->keyid, m->o->watch.keys, m->o->watch.n_keys);
    bool by_product = in_list(leaf->product, m->o->watch.products, m->o->watch.n_products);
    const char *why = by_key && by_product ? "key,product" : by_key ? "key" : "product";
    char when[32], client[2 * HM_SHA256_LEN + 1];
    FILE *f = m->o->out;

    if (!by_key && !by_product) {
        return;
    }
    m->res->n_watched++;
    hm_time_rfc3339(leaf->time, when);
    hm_hex_encode(leaf->client_sha256, HM_SHA256_LEN, client);
    if (m->o->json) {
        fprintf(f, "{\"watched\":\"%s\",\"index\":%" PRIu64, why, index);
        json_member(f, "keyid", leaf->keyid);
        json_member(f, "predicateType", leaf->predicate_type);
        json_member(f, "product", leaf->product);
        json_member(f, "channel", leaf->channel);
        json_member(f, "version", leaf->version);
        json_member(f, "time", when);
        json_member(f, "client", client);
        fputs("}\n", f);
        return;
    }
    fprintf(f,
            "watched (%s): entry %" PRIu64 " key %s product %s channel %s version %s type %s "
            "time %s client %.16s\n",
            why, index, leaf->keyid, leaf->product ? leaf->product : "-",
            leaf->channel ? leaf->channel : "-", leaf->version ? leaf->version : "-",
            leaf->predicate_type ? leaf->predicate_type : "-", when, client);
}

/* Storage over m->edge: the appender reads the right edge at the old size from it. */
static hm_err
edge_read(void *ctx, const struct hm_tlog_node *nodes, size_t n, uint8_t (*out)[HM_TLOG_HASH_LEN])
{
    const struct mon *m = ctx;

    for (size_t i = 0; i < n; i++) {
        const struct hm_tlog_node_hash *e = &m->edge[nodes[i].level & 63];
        if (e->node.level != nodes[i].level || e->node.index != nodes[i].index) {
            return HM_E_NOTFOUND;
        }
        memcpy(out[i], e->hash, HM_TLOG_HASH_LEN);
    }
    return HM_OK;
}

/* One entry: into the tree, then read strictly and matched. */
static hm_err
take_entry(struct mon *m, struct hm_tlog_appender *app, uint64_t index, const uint8_t *e,
           size_t len)
{
    struct hm_tlog_node_hash nodes[HM_TLOG_MAX_NEW_NODES];
    struct hm_dsse_leaf *leaf = NULL;
    uint64_t old = m->res->old_size;
    char why[256] = "";
    size_t k = 0;
    hm_err err;

    hm_tlog_leaf_hash(e, len, m->leaf_hashes[index - old]);
    if ((err = hm_tlog_appender_add(app, m->leaf_hashes[index - old], nodes, &k)) != HM_OK) {
        return err;
    }
    for (size_t i = 0; i < k; i++) {
        m->edge[nodes[i].node.level] = nodes[i];
    }
    m->res->n_new++;
    if ((err = hm_dsse_leaf_parse(e, len, &leaf, why, sizeof(why))) != HM_OK) {
        if (err == HM_E_NOMEM) {
            return err;
        }
        mon_fail(m, CLI_LOG_MALFORMED_ENTRY, "entry %" PRIu64 " is not a Hallmark leaf: %s", index,
                 why);
        return HM_OK;
    }
    report_watched(m, index, leaf);
    hm_dsse_leaf_free(leaf);
    return HM_OK;
}

/* The entries of bundle b that are new; width w entries are due. */
static hm_err
walk_bundle(struct mon *m, struct hm_tlog_appender *app, uint64_t b, uint16_t w)
{
    struct hm_tlog_tile t = { .entries = true, .level = 0, .index = b, .width = w };
    char rel[HM_TLOG_TILE_MAX_PATH], path[HM_TLOG_TILE_MAX_PATH + 16];
    uint8_t *body = NULL;
    size_t len = 0, pos = 0;
    int status = 0;
    hm_err err;

    if ((err = hm_tlog_tile_path(&t, rel)) != HM_OK) {
        return err;
    }
    snprintf(path, sizeof(path), "/v1/log/%s", rel);
    if ((err = mon_get(m, path, &body, &len, &status)) != HM_OK) {
        if (err == HM_E_NOTFOUND) {
            mon_fail(m, CLI_LOG_GAP,
                     "entries %" PRIu64 "..%" PRIu64 " of the checkpoint of size %" PRIu64
                     " are missing: %s answered 404",
                     b * TILE, b * TILE + w - 1, m->res->new_size, path);
            return HM_OK;
        }
        mon_fail(m, CLI_LOG_IO, "cannot fetch %s: %s%d", path, status ? "HTTP " : "",
                 status ? status : (int)err);
        return err == HM_E_NOMEM ? err : HM_OK;
    }
    for (uint16_t k = 0; k < w && err == HM_OK && m->res->fail == CLI_LOG_OK; k++) {
        uint64_t index = b * TILE + k;
        size_t n;
        if (len - pos < 2 || len - pos - 2 < (n = (size_t)body[pos] << 8 | body[pos + 1])) {
            mon_fail(m, CLI_LOG_GAP,
                     "entries %" PRIu64 "..%" PRIu64 " of the checkpoint of size %" PRIu64
                     " are missing: %s holds %u of its %u entries",
                     index, b * TILE + w - 1, m->res->new_size, path, (unsigned)k, (unsigned)w);
            break;
        }
        if (index >= m->res->old_size) {
            err = take_entry(m, app, index, body + pos + 2, n);
        }
        pos += 2 + n;
    }
    if (err == HM_OK && m->res->fail == CLI_LOG_OK && pos != len) {
        mon_fail(m, CLI_LOG_MALFORMED_REPLY, "%s has %zu bytes after its %u entries", path,
                 len - pos, (unsigned)w);
    }
    free(body);
    return err;
}

/* The root did not come out: which entry's bytes are not the tree's leaf? */
static void
diagnose(struct mon *m, const uint8_t root[HM_TLOG_HASH_LEN])
{
    uint64_t old = m->res->old_size, n = m->res->new_size;
    char a[48], b[48];

    for (uint64_t t = old / TILE; t <= (n - 1) / TILE; t++) {
        uint16_t w = (uint16_t)(n - t * TILE >= TILE ? TILE : n - t * TILE);
        struct hm_tlog_tile tile = { .entries = false, .level = 0, .index = t, .width = w };
        char rel[HM_TLOG_TILE_MAX_PATH], path[HM_TLOG_TILE_MAX_PATH + 16];
        uint8_t *body = NULL;
        size_t len = 0;
        int status = 0;

        if (hm_tlog_tile_path(&tile, rel) != HM_OK) {
            break;
        }
        snprintf(path, sizeof(path), "/v1/log/%s", rel);
        if (mon_get(m, path, &body, &len, &status) != HM_OK || len != (size_t)w * 32) {
            free(body);
            break; /* no tile to compare with: the root mismatch is all we can say */
        }
        for (uint64_t i = t * TILE > old ? t * TILE : old; i < t * TILE + w; i++) {
            const uint8_t *held = body + (i - t * TILE) * 32;
            if (!hm_ct_equal(held, m->leaf_hashes[i - old], HM_TLOG_HASH_LEN)) {
                mon_b64(m->leaf_hashes[i - old], a);
                mon_b64(held, b);
                mon_fail(m, CLI_LOG_REWRITTEN,
                         "entry %" PRIu64 " was rewritten: the bytes served hash to %s, the "
                         "log's tree holds %s at that index (%s)",
                         i, a, b, path);
                free(body);
                return;
            }
        }
        free(body);
    }
    mon_b64(root, a);
    mon_b64(hm_tlog_checkpoint_root(m->cp), b);
    mon_fail(m, CLI_LOG_ROOT_MISMATCH,
             "the entries 0..%" PRIu64 " hash to root %s, the checkpoint of size %" PRIu64
             " says %s",
             n - 1, a, n, b);
}

hm_err
mon_walk(struct mon *m)
{
    uint64_t old = m->res->old_size, n = m->res->new_size;
    struct hm_tlog_storage stor = { .read = edge_read, .ctx = m };
    struct hm_tlog_appender *app = NULL;
    uint8_t root[HM_TLOG_HASH_LEN];
    hm_err err;

    for (size_t i = 0; m->st != NULL && i < m->st->n_edge; i++) {
        m->edge[m->st->edge[i].node.level] = m->st->edge[i];
    }
    if (n == old) {
        return HM_OK;
    }
    if (n - old > SIZE_MAX / HM_TLOG_HASH_LEN ||
        (m->leaf_hashes = malloc((size_t)(n - old) * HM_TLOG_HASH_LEN)) == NULL) {
        return HM_E_NOMEM;
    }
    if ((err = hm_tlog_appender_new(&stor, old, &app)) != HM_OK) {
        return err;
    }
    for (uint64_t b = old / TILE; b <= (n - 1) / TILE && m->res->fail == CLI_LOG_OK; b++) {
        uint16_t w = (uint16_t)(n - b * TILE >= TILE ? TILE : n - b * TILE);
        if ((err = walk_bundle(m, app, b, w)) != HM_OK) {
            goto out;
        }
    }
    if (m->res->fail == CLI_LOG_OK) {
        hm_tlog_appender_root(app, root);
        if (!hm_ct_equal(root, hm_tlog_checkpoint_root(m->cp), HM_TLOG_HASH_LEN)) {
            diagnose(m, root);
        }
    }
out:
    hm_tlog_appender_free(app);
    return err;
}

/*
 * log_routes.c: GET /v1/log/... (docs/api.md "Transparency log", docs/tlog.md).
 *
 *   checkpoint                          the latest signed checkpoint (text/plain)
 *   entries/{index}                     {"logIndex","leaf","leafHash","bundle"}
 *   proof/inclusion?index=I&size=S      {"logIndex","treeSize","rootHash","hashes"}
 *   proof/consistency?from=M&to=N       {"from","to","hashes"}
 *   tile/<L>/<N>[.p/<W>]                C2SP tlog-tiles hash tiles
 *   tile/entries/<N>[.p/<W>]            entry bundles (u16be length || leaf, per entry)
 *
 * Everything is read from committed rows, up to the latest checkpoint's size, so a client
 * never sees an entry that no signed checkpoint covers.  Malformed paths and queries: 400
 * with the reason; beyond the tree: 404.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store.h"
#include "tlogd.h"

#define PREFIX "/v1/log/"

static void
store_error(struct hmd_reply *out, hm_err rc)
{
    if (rc == HM_E_NOTFOUND) {
        hmd_reply_error(out, 404, "not-found", "not in the log");
    } else if (rc == HM_E_NOMEM) {
        hmd_reply_error(out, 500, "internal", "out of memory");
    } else {
        hmd_reply_error(out, 503, "store-unavailable", "the log cannot be read: %s; retry later",
                        hm_strerror(rc));
        out->retry_after = 1;
    }
}

static void
reply_buf(struct hmd_reply *out, struct hm_buf *b, const char *type)
{
    size_t n = 0;

    if (hm_buf_status(b) != HM_OK) {
        hmd_reply_error(out, 500, "internal", "out of memory");
        return;
    }
    out->status = 200;
    out->body = (char *)hm_buf_steal(b, &n);
    out->body_len = n;
    out->content_type = type;
}

/* A canonical decimal u64: digits only, no leading zero, below 2^63. */
static bool
parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0 || len > 19 || (len > 1 && s[0] == '0')) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return v < HM_TLOG_MAX_SIZE;
}

/* "a=1&b=2" with exactly the names a and b, once each, in any order. */
static bool
parse_query2(const char *q, const char *a, const char *b, uint64_t *va, uint64_t *vb, char *why,
             size_t why_len)
{
    bool seen_a = false, seen_b = false;
    const char *p = q;

    while (*p != '\0') {
        const char *amp = strchr(p, '&'), *eq = strchr(p, '=');
        size_t len = amp != NULL ? (size_t)(amp - p) : strlen(p);
        uint64_t v = 0;

        if (eq == NULL || eq > p + len) {
            snprintf(why, why_len, "the query must be %s=N&%s=N", a, b);
            return false;
        }
        size_t nlen = (size_t)(eq - p);
        bool is_a = nlen == strlen(a) && strncmp(p, a, nlen) == 0;
        bool is_b = nlen == strlen(b) && strncmp(p, b, nlen) == 0;
        if ((!is_a && !is_b) || (is_a && seen_a) || (is_b && seen_b)) {
            snprintf(why, why_len, "the query must be %s=N&%s=N, each once", a, b);
            return false;
        }
        if (!parse_u64(eq + 1, len - nlen - 1, &v)) {
            snprintf(why, why_len, "%s must be a decimal integer below 2^63 without leading zeros",
                     is_a ? a : b);
            return false;
        }
        *(is_a ? va : vb) = v;
        *(is_a ? &seen_a : &seen_b) = true;
        p += len + (amp != NULL ? 1 : 0);
    }
    if (!seen_a || !seen_b) {
        snprintf(why, why_len, "the query must be %s=N&%s=N", a, b);
        return false;
    }
    return true;
}

static hm_err
put_hashes(struct hm_buf *b, const struct hm_tlog_path *path)
{
    char *s = NULL;
    hm_err rc = HM_OK;

    hm_buf_puts(b, "\"hashes\":[");
    for (size_t i = 0; i < path->len && rc == HM_OK; i++) {
        if ((rc = hm_b64_encode(path->hash[i], HM_TLOG_HASH_LEN, &s)) == HM_OK) {
            hm_buf_printf(b, "%s\"%s\"", i ? "," : "", s);
            free(s);
        }
    }
    hm_buf_puts(b, "]");
    return rc;
}

static void
route_checkpoint(struct hmd_reply *out)
{
    char *note = NULL;
    size_t len = 0;
    uint64_t size = 0;
    hm_err rc = hm_store_log_checkpoint(hmd.store, UINT64_MAX, &note, &len, &size);

    if (rc == HM_E_NOTFOUND) {
        hmd_reply_error(out, 404, "not-found", "the log is empty: no checkpoint yet");
        return;
    }
    if (rc != HM_OK) {
        store_error(out, rc);
        return;
    }
    out->status = 200;
    out->body = note;
    out->body_len = len;
    out->content_type = "text/plain; charset=utf-8";
}

static void
route_inclusion(const char *query, struct hmd_reply *out)
{
    struct hm_tlog_path path;
    uint8_t root[HM_TLOG_HASH_LEN];
    uint64_t index = 0, size = 0;
    char why[160], *s = NULL;
    struct hm_buf b;
    hm_err rc;

    if (!parse_query2(query, "index", "size", &index, &size, why, sizeof(why))) {
        hmd_reply_error(out, 400, "bad-request", "%s", why);
        return;
    }
    if (index >= size) {
        hmd_reply_error(out, 400, "bad-request", "index must be below size");
        return;
    }
    if (size > hm_store_log_size(hmd.store)) {
        hmd_reply_error(out, 404, "not-found", "size %llu is beyond the tree (%llu)",
                        (unsigned long long)size, (unsigned long long)hm_store_log_size(hmd.store));
        return;
    }
    const struct hm_tlog_storage *st = hm_store_log_storage(hmd.store);
    if ((rc = hm_tlog_inclusion_proof(st, index, size, &path)) != HM_OK ||
        (rc = hm_tlog_root(st, size, root)) != HM_OK ||
        (rc = hm_b64_encode(root, 32, &s)) != HM_OK) {
        store_error(out, rc);
        return;
    }
    hm_buf_init(&b, 0);
    hm_buf_printf(&b, "{\"logIndex\":%llu,\"treeSize\":%llu,\"rootHash\":\"%s\",",
                  (unsigned long long)index, (unsigned long long)size, s);
    free(s);
    if (put_hashes(&b, &path) != HM_OK) {
        hmd_reply_error(out, 500, "internal", "out of memory");
    } else {
        hm_buf_puts(&b, "}\n");
        reply_buf(out, &b, NULL);
    }
    hm_buf_free(&b);
}

static void
route_consistency(const char *query, struct hmd_reply *out)
{
    struct hm_tlog_path path;
    uint64_t from = 0, to = 0;
    char why[160];
    struct hm_buf b;
    hm_err rc;

    if (!parse_query2(query, "from", "to", &from, &to, why, sizeof(why))) {
        hmd_reply_error(out, 400, "bad-request", "%s", why);
        return;
    }
    if (from > to) {
        hmd_reply_error(out, 400, "bad-request", "from must not be above to");
        return;
    }
    if (to > hm_store_log_size(hmd.store)) {
        hmd_reply_error(out, 404, "not-found", "to %llu is beyond the tree (%llu)",
                        (unsigned long long)to, (unsigned long long)hm_store_log_size(hmd.store));
        return;
    }
    if ((rc = hm_tlog_consistency_proof(hm_store_log_storage(hmd.store), from, to, &path)) !=
        HM_OK) {
        store_error(out, rc);
        return;
    }
    hm_buf_init(&b, 0);
    hm_buf_printf(&b, "{\"from\":%llu,\"to\":%llu,", (unsigned long long)from,
                  (unsigned long long)to);
    if (put_hashes(&b, &path) != HM_OK) {
        hmd_reply_error(out, 500, "internal", "out of memory");
    } else {
        hm_buf_puts(&b, "}\n");
        reply_buf(out, &b, NULL);
    }
    hm_buf_free(&b);
}

struct entry_ctx {
    struct hm_buf *b;
    uint64_t index;
    bool found;
};

static hm_err
entry_cb(void *ctx, uint64_t index, const uint8_t *leaf, size_t leaf_len, const char *bundle,
         size_t bundle_len)
{
    struct entry_ctx *e = ctx;
    uint8_t hash[HM_TLOG_HASH_LEN];
    char hex[2 * HM_TLOG_HASH_LEN + 1], *s = NULL;
    hm_err rc;

    if ((rc = hm_b64_encode(leaf, leaf_len, &s)) != HM_OK) {
        return rc;
    }
    hm_tlog_leaf_hash(leaf, leaf_len, hash);
    hm_hex_encode(hash, HM_TLOG_HASH_LEN, hex);
    hm_buf_printf(e->b, "{\"logIndex\":%llu,\"leaf\":\"%s\",\"leafHash\":\"%s\",\"bundle\":",
                  (unsigned long long)index, s, hex);
    free(s);
    if (bundle != NULL) {
        hm_buf_append(e->b, bundle, bundle_len); /* stored as returned: our own JSON */
    } else {
        hm_buf_puts(e->b, "null");
    }
    hm_buf_puts(e->b, "}\n");
    e->found = true;
    return hm_buf_status(e->b);
}

static void
route_entry(const char *arg, struct hmd_reply *out)
{
    struct hm_buf b;
    struct entry_ctx e = { .b = &b };
    hm_err rc;

    if (!parse_u64(arg, strlen(arg), &e.index)) {
        hmd_reply_error(out, 400, "bad-request",
                        "the entry index must be a decimal integer without leading zeros");
        return;
    }
    if (e.index >= hm_store_log_size(hmd.store)) {
        hmd_reply_error(out, 404, "not-found", "entry %llu is beyond the tree (%llu)",
                        (unsigned long long)e.index,
                        (unsigned long long)hm_store_log_size(hmd.store));
        return;
    }
    hm_buf_init(&b, 0);
    rc = hm_store_log_entries(hmd.store, e.index, e.index + 1, false, entry_cb, &e);
    if (rc != HM_OK || !e.found) {
        store_error(out, rc != HM_OK ? rc : HM_E_NOTFOUND);
    } else {
        reply_buf(out, &b, NULL);
    }
    hm_buf_free(&b);
}

static hm_err
bundle_cb(void *ctx, uint64_t index, const uint8_t *leaf, size_t leaf_len, const char *bundle,
          size_t bundle_len)
{
    (void)index;
    (void)bundle;
    (void)bundle_len;
    return hm_tlog_bundle_add(ctx, leaf, leaf_len);
}

static void
route_tile(const char *rel, struct hmd_reply *out)
{
    struct hm_tlog_tile t;
    uint64_t size = hm_store_log_size(hmd.store), first;
    uint8_t *data = NULL;
    size_t len = 0;
    struct hm_buf b;
    hm_err rc;

    if (hm_tlog_tile_parse_path(rel, strlen(rel), &t) != HM_OK) {
        hmd_reply_error(out, 400, "bad-request",
                        "not a tlog-tiles path: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]");
        return;
    }
    if (!t.entries) {
        if ((rc = hm_tlog_tile_read(hm_store_log_storage(hmd.store), size, &t, &data, &len)) !=
            HM_OK) {
            store_error(out, rc);
            return;
        }
        out->status = 200;
        out->body = (char *)data;
        out->body_len = len;
        out->content_type = "application/octet-stream";
        return;
    }
    first = t.index * HM_TLOG_TILE_WIDTH;
    if (hm_tlog_tile_width_at(size, 0, t.index) < t.width) {
        hmd_reply_error(out, 404, "not-found", "the entry bundle is beyond the tree");
        return;
    }
    hm_buf_init(&b, 0);
    if ((rc = hm_store_log_entries(hmd.store, first, first + t.width, false, bundle_cb, &b)) !=
        HM_OK) {
        store_error(out, rc);
    } else {
        reply_buf(out, &b, "application/octet-stream");
    }
    hm_buf_free(&b);
}

void
hmd_log_handle(const struct hmd_call *call, struct hmd_reply *out)
{
    const char *path = call->path, *rel;
    const char *query = call->query != NULL ? call->query : "";

    if (!hmd_tlog.on || hmd.store == NULL) {
        hmd_reply_error(out, 404, "not-found", "this hallmarkd keeps no transparency log");
        return;
    }
    if (strncmp(path, PREFIX, strlen(PREFIX)) != 0) {
        hmd_reply_error(out, 404, "not-found", "no such log resource");
        return;
    }
    rel = path + strlen(PREFIX);
    if (strcmp(rel, "proof/inclusion") == 0) {
        route_inclusion(query, out);
    } else if (strcmp(rel, "proof/consistency") == 0) {
        route_consistency(query, out);
    } else if (query[0] != '\0') {
        hmd_reply_error(out, 400, "bad-request", "this log resource takes no query");
    } else if (strcmp(rel, "checkpoint") == 0) {
        route_checkpoint(out);
    } else if (strncmp(rel, "entries/", 8) == 0) {
        route_entry(rel + 8, out);
    } else if (strncmp(rel, "tile/", 5) == 0) {
        route_tile(rel, out);
    } else {
        hmd_reply_error(out, 404, "not-found", "no such log resource");
    }
}

/*
 * tiles.c: c2sp.org/tlog-tiles paths and hash tiles.
 *
 * A tile at level L, index N holds the hashes of the complete subtrees at tree level 8L
 * with indexes N*256 .. N*256+255: exactly what the store keeps, so a tile is one read.
 * N is written in 3-digit groups, all but the last prefixed with 'x' (1234067 ->
 * x001/x234/067); ".p/<W>" marks a partial tile of W < 256 hashes.
 */
#include <stdlib.h>
#include <string.h>

#include "tlog_int.h"

#define TILE_MAX_INDEX   ((uint64_t)1 << 56) /* N * 256 + 255 stays below 2^64 */
#define TILE_MAX_GROUPS  6                   /* 2^56 has 17 digits */
#define TILE_ENTRIES     "entries"
#define TILE_ENTRIES_LEN 7

static bool
tile_valid(const struct hm_tlog_tile *t)
{
    return t != NULL && (t->entries || t->level <= 63) && t->index < TILE_MAX_INDEX &&
           t->width >= 1 && t->width <= HM_TLOG_TILE_WIDTH;
}

hm_err
hm_tlog_tile_path(const struct hm_tlog_tile *t, char out[HM_TLOG_TILE_MAX_PATH])
{
    char digits[TLOG_U64_DIGITS + 3], num[TLOG_U64_DIGITS + 1];
    size_t n, pad, o = 0;

    out[0] = '\0';
    if (!tile_valid(t)) {
        return HM_E_INVALID;
    }
    memcpy(out, "tile/", 5);
    o = 5;
    if (t->entries) {
        memcpy(out + o, TILE_ENTRIES, TILE_ENTRIES_LEN);
        o += TILE_ENTRIES_LEN;
    } else {
        n = tlog_format_u64(t->level, num);
        memcpy(out + o, num, n);
        o += n;
    }
    out[o++] = '/';
    /* Zero-pad N to a multiple of three digits, then one path element per group. */
    n = tlog_format_u64(t->index, num);
    pad = (3 - n % 3) % 3;
    memset(digits, '0', pad);
    memcpy(digits + pad, num, n);
    n += pad;
    for (size_t g = 0; g < n; g += 3) {
        if (g + 3 < n) {
            out[o++] = 'x';
        }
        memcpy(out + o, digits + g, 3);
        o += 3;
        if (g + 3 < n) {
            out[o++] = '/';
        }
    }
    if (t->width < HM_TLOG_TILE_WIDTH) {
        memcpy(out + o, ".p/", 3);
        o += 3;
        n = tlog_format_u64(t->width, num);
        memcpy(out + o, num, n);
        o += n;
    }
    out[o] = '\0';
    return HM_OK;
}

static bool
three_digits(const char *s)
{
    return s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9';
}

/* "x123/" groups then the last "123"; *pos ends after the last group. */
static hm_err
parse_index(const char **pos, const char *end, uint64_t *out)
{
    const char *p = *pos;
    uint64_t v = 0;
    size_t groups = 0;

    for (;;) {
        bool more = p < end && *p == 'x';

        if (more) {
            p++;
        }
        if (end - p < 3 || !three_digits(p) || ++groups > TILE_MAX_GROUPS) {
            return HM_E_INVALID;
        }
        if (more && groups == 1 && memcmp(p, "000", 3) == 0) {
            return HM_E_INVALID; /* a padded zero group: not the canonical encoding */
        }
        v = v * 1000 + (uint64_t)(p[0] - '0') * 100 + (uint64_t)(p[1] - '0') * 10 +
            (uint64_t)(p[2] - '0');
        p += 3;
        if (!more) {
            break;
        }
        if (p >= end || *p != '/') {
            return HM_E_INVALID;
        }
        p++;
    }
    if (v >= TILE_MAX_INDEX) {
        return HM_E_INVALID;
    }
    *pos = p;
    *out = v;
    return HM_OK;
}

hm_err
hm_tlog_tile_parse_path(const char *path, size_t len, struct hm_tlog_tile *out)
{
    const char *p = path, *end = path + len, *slash;
    struct hm_tlog_tile t = { .width = HM_TLOG_TILE_WIDTH };
    uint64_t v = 0;

    memset(out, 0, sizeof(*out));
    if (path == NULL || len < 5 || memcmp(path, "tile/", 5) != 0) {
        return HM_E_INVALID;
    }
    if (len > HM_TLOG_TILE_MAX_PATH) {
        return HM_E_LIMIT;
    }
    p += 5;
    if ((slash = memchr(p, '/', (size_t)(end - p))) == NULL) {
        return HM_E_INVALID;
    }
    if ((size_t)(slash - p) == TILE_ENTRIES_LEN && memcmp(p, TILE_ENTRIES, TILE_ENTRIES_LEN) == 0) {
        t.entries = true;
    } else if (tlog_parse_u64(p, (size_t)(slash - p), 63, &v) == HM_OK) {
        t.level = (uint8_t)v;
    } else {
        return HM_E_INVALID;
    }
    p = slash + 1;
    if (parse_index(&p, end, &t.index) != HM_OK) {
        return HM_E_INVALID;
    }
    if (p < end) {
        if (end - p < 4 || memcmp(p, ".p/", 3) != 0 ||
            tlog_parse_u64(p + 3, (size_t)(end - p - 3), HM_TLOG_TILE_WIDTH - 1, &v) != HM_OK ||
            v == 0) {
            return HM_E_INVALID;
        }
        t.width = (uint16_t)v;
    }
    *out = t;
    return HM_OK;
}

uint16_t
hm_tlog_tile_width_at(uint64_t size, uint8_t level, uint64_t index)
{
    uint64_t hashes, start;

    if (level > 7 || index >= TILE_MAX_INDEX) {
        return 0; /* tree level 8 * level >= 64: nothing there in a 64-bit tree */
    }
    hashes = size >> (8 * level); /* complete subtrees at tree level 8 * level */
    start = index * HM_TLOG_TILE_WIDTH;
    if (hashes <= start) {
        return 0;
    }
    return hashes - start >= HM_TLOG_TILE_WIDTH ? HM_TLOG_TILE_WIDTH : (uint16_t)(hashes - start);
}

hm_err
hm_tlog_tile_read(const struct hm_tlog_storage *st, uint64_t size, const struct hm_tlog_tile *t,
                  uint8_t **out, size_t *out_len)
{
    struct hm_tlog_node nodes[HM_TLOG_TILE_WIDTH];
    uint8_t *buf = NULL;
    hm_err err;

    *out = NULL;
    *out_len = 0;
    if (st == NULL || st->read == NULL || !tile_valid(t) || t->entries) {
        return HM_E_INVALID;
    }
    /* A partial tile is a prefix of the full one: serve it once size covers its width. */
    if (hm_tlog_tile_width_at(size, t->level, t->index) < t->width) {
        return HM_E_NOTFOUND;
    }
    for (uint16_t i = 0; i < t->width; i++) {
        nodes[i].level = (uint8_t)(8 * t->level);
        nodes[i].index = t->index * HM_TLOG_TILE_WIDTH + i;
    }
    if ((buf = malloc((size_t)t->width * HM_TLOG_HASH_LEN)) == NULL) {
        return HM_E_NOMEM;
    }
    if ((err = st->read(st->ctx, nodes, t->width, (uint8_t(*)[HM_TLOG_HASH_LEN])buf)) != HM_OK) {
        free(buf);
        return err;
    }
    *out = buf;
    *out_len = (size_t)t->width * HM_TLOG_HASH_LEN;
    return HM_OK;
}

hm_err
hm_tlog_bundle_add(struct hm_buf *bundle, const uint8_t *entry, size_t len)
{
    uint8_t prefix[2];

    if (bundle == NULL || (entry == NULL && len > 0)) {
        return HM_E_INVALID;
    }
    if (len > UINT16_MAX) {
        return HM_E_LIMIT;
    }
    prefix[0] = (uint8_t)(len >> 8);
    prefix[1] = (uint8_t)len;
    hm_buf_append(bundle, prefix, 2);
    if (len > 0) {
        hm_buf_append(bundle, entry, len);
    }
    return hm_buf_status(bundle);
}

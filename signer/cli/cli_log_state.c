/*
 * cli_log_state.c: the monitor's state folder (docs/monitor.md "State").
 *
 * DIR/state holds what the monitor verified last: the signed checkpoint, verbatim, and the
 * right edge of the tree at its size (one complete-subtree hash per set bit of the size),
 * so the next run can extend the tree with the new entries alone and never re-reads the
 * log from the start:
 *
 *   hallmark-log-monitor/v1\n
 *   size <n>\n
 *   edge <level> <index> <base64 hash>\n     (popcount(n) lines, highest level first)
 *   \n
 *   <checkpoint note, verbatim>
 *
 * It is parsed as strictly as anything from the network (someone may have edited it), and
 * the edge must give the checkpoint's root.  Written with hm_write_file_atomic only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli_log.h"

#define STATE_MAGIC     "hallmark-log-monitor/v1\n"
#define STATE_MAX_BYTES (HM_TLOG_NOTE_MAX_BYTES + ((size_t)16 << 10))

void
cli_log_state_free(struct cli_log_state *st)
{
    if (st == NULL) {
        return;
    }
    hm_tlog_checkpoint_free(st->cp);
    free(st->note);
    free(st);
}

/* Storage over the edge nodes alone: enough for the root and for an appender at that size. */
static hm_err
edge_read(void *ctx, const struct hm_tlog_node *nodes, size_t n, uint8_t (*out)[HM_TLOG_HASH_LEN])
{
    const struct cli_log_state *st = ctx;

    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < st->n_edge && (st->edge[j].node.level != nodes[i].level ||
                                  st->edge[j].node.index != nodes[i].index)) {
            j++;
        }
        if (j == st->n_edge) {
            return HM_E_NOTFOUND;
        }
        memcpy(out[i], st->edge[j].hash, HM_TLOG_HASH_LEN);
    }
    return HM_OK;
}

/* Reads one line starting at *p (without its "\n"); NULL at the end or without "\n". */
static const char *
next_line(const char **p, const char *end, size_t *len)
{
    const char *s = *p, *nl;

    if (s >= end || (nl = memchr(s, '\n', (size_t)(end - s))) == NULL) {
        return NULL;
    }
    *len = (size_t)(nl - s);
    *p = nl + 1;
    return s;
}

/* "<decimal>" without sign or leading zeros, <= max. */
static bool
parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0 || len > 20 || (len > 1 && s[0] == '0')) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10) {
            return false;
        }
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return v <= max;
}

static hm_err
parse_edge_line(const char *s, size_t len, struct hm_tlog_node_hash *out)
{
    const char *sp1, *sp2, *end = s + len;
    uint64_t level = 0;
    uint8_t *h = NULL;
    size_t hl = 0;

    if (len < 5 || memcmp(s, "edge ", 5) != 0 || (sp1 = memchr(s + 5, ' ', len - 5)) == NULL ||
        (sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1))) == NULL ||
        !parse_u64(s + 5, (size_t)(sp1 - s - 5), 63, &level) ||
        !parse_u64(sp1 + 1, (size_t)(sp2 - sp1 - 1), HM_TLOG_MAX_SIZE, &out->node.index)) {
        return HM_E_INVALID;
    }
    if (hm_b64_decode(sp2 + 1, (size_t)(end - sp2 - 1), HM_B64_STD, &h, &hl) != HM_OK ||
        hl != HM_TLOG_HASH_LEN) {
        free(h);
        return HM_E_INVALID;
    }
    out->node.level = (uint8_t)level;
    memcpy(out->hash, h, HM_TLOG_HASH_LEN);
    free(h);
    return HM_OK;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(why, why_len, __VA_ARGS__);                                                       \
        err = HM_E_INVALID;                                                                        \
        goto out;                                                                                  \
    } while (0)

/* The header lines: size and edge, each edge node the one appender_new expects. */
static hm_err
parse_head(const char **p, const char *end, struct cli_log_state *st, uint64_t *size, char *why,
           size_t why_len)
{
    const char *line;
    size_t len = 0;
    hm_err err = HM_OK;
    int l = 64;

    if ((line = next_line(p, end, &len)) == NULL || len < 5 || memcmp(line, "size ", 5) != 0 ||
        !parse_u64(line + 5, len - 5, HM_TLOG_MAX_SIZE, size)) {
        FAIL("the second line is not \"size <n>\"");
    }
    while ((line = next_line(p, end, &len)) != NULL && len > 0) {
        struct hm_tlog_node_hash *e = &st->edge[st->n_edge];
        if (st->n_edge == 64 || parse_edge_line(line, len, e) != HM_OK) {
            FAIL("line %zu is not \"edge <level> <index> <base64 hash>\"", st->n_edge + 3);
        }
        /* the next set bit of the size, from the top, and its last complete subtree */
        do {
            l--;
        } while (l >= 0 && ((*size >> l) & 1) == 0);
        if (l < 0 || e->node.level != l || e->node.index != (*size >> l) - 1) {
            FAIL("edge line %zu does not name the tree's right edge at size %llu", st->n_edge + 1,
                 (unsigned long long)*size);
        }
        st->n_edge++;
    }
    if (line == NULL) {
        FAIL("no empty line before the checkpoint");
    }
    if ((size_t)__builtin_popcountll(*size) != st->n_edge) {
        FAIL("%zu edge lines for size %llu (want %d)", st->n_edge, (unsigned long long)*size,
             __builtin_popcountll(*size));
    }
out:
    return err;
}

hm_err
cli_log_state_parse(const uint8_t *buf, size_t len, struct cli_log_state **out, char *why,
                    size_t why_len)
{
    struct cli_log_state *st = NULL;
    struct hm_tlog_note *note = NULL;
    struct hm_tlog_storage stor;
    const char *p = (const char *)buf, *end = p + len, *text;
    uint8_t root[HM_TLOG_HASH_LEN];
    uint64_t size = 0;
    size_t tlen = 0;
    hm_err err = HM_OK;

    *out = NULL;
    if (len > STATE_MAX_BYTES) {
        snprintf(why, why_len, "larger than %zu bytes", STATE_MAX_BYTES);
        return HM_E_LIMIT;
    }
    if ((st = calloc(1, sizeof(*st))) == NULL) {
        return HM_E_NOMEM;
    }
    if (len < strlen(STATE_MAGIC) || memcmp(p, STATE_MAGIC, strlen(STATE_MAGIC)) != 0) {
        FAIL("the first line is not \"hallmark-log-monitor/v1\"");
    }
    p += strlen(STATE_MAGIC);
    if ((err = parse_head(&p, end, st, &size, why, why_len)) != HM_OK) {
        goto out;
    }
    st->note_len = (size_t)(end - p);
    if ((st->note = malloc(st->note_len + 1)) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    memcpy(st->note, p, st->note_len);
    st->note[st->note_len] = '\0';
    if (hm_tlog_note_parse(st->note, st->note_len, &note) != HM_OK ||
        (text = hm_tlog_note_text(note, &tlen)) == NULL ||
        hm_tlog_checkpoint_parse(text, tlen, &st->cp) != HM_OK) {
        FAIL("the checkpoint after the empty line is not a signed checkpoint note");
    }
    if (hm_tlog_checkpoint_size(st->cp) != size) {
        FAIL("size %llu but the checkpoint's size is %llu", (unsigned long long)size,
             (unsigned long long)hm_tlog_checkpoint_size(st->cp));
    }
    stor.read = edge_read;
    stor.ctx = st;
    if (hm_tlog_root(&stor, size, root) != HM_OK ||
        !hm_ct_equal(root, hm_tlog_checkpoint_root(st->cp), HM_TLOG_HASH_LEN)) {
        FAIL("the edge hashes do not give the checkpoint's root");
    }
    *out = st;
    st = NULL; /* the caller owns it now */
out:
    hm_tlog_note_free(note);
    cli_log_state_free(st);
    return err;
}

#undef FAIL

hm_err
cli_log_state_load(const char *dir, struct cli_log_state **out, char *why, size_t why_len)
{
    char path[4096];
    uint8_t *buf = NULL;
    size_t len = 0;
    hm_err err;

    *out = NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, CLI_LOG_STATE_FILE);
    if ((err = hm_read_file(path, STATE_MAX_BYTES, &buf, &len)) != HM_OK) {
        if (err == HM_E_NOTFOUND) {
            return HM_E_NOTFOUND;
        }
        snprintf(why, why_len, "cannot read %s: %s", path, hm_strerror(err));
        return err;
    }
    err = cli_log_state_parse(buf, len, out, why, why_len);
    free(buf);
    return err;
}

hm_err
cli_log_state_save(const char *dir, const uint8_t *note, size_t note_len, uint64_t size,
                   const struct hm_tlog_node_hash *edge, size_t n_edge)
{
    struct hm_buf b;
    char path[4096];
    hm_err err;

    hm_buf_init(&b, STATE_MAX_BYTES);
    hm_buf_printf(&b, "%ssize %llu\n", STATE_MAGIC, (unsigned long long)size);
    for (size_t i = 0; i < n_edge; i++) {
        char *h = NULL;
        if ((err = hm_b64_encode(edge[i].hash, HM_TLOG_HASH_LEN, &h)) != HM_OK) {
            hm_buf_free(&b);
            return err;
        }
        hm_buf_printf(&b, "edge %u %llu %s\n", (unsigned)edge[i].node.level,
                      (unsigned long long)edge[i].node.index, h);
        free(h);
    }
    hm_buf_puts(&b, "\n");
    hm_buf_append(&b, note, note_len);
    snprintf(path, sizeof(path), "%s/%s", dir, CLI_LOG_STATE_FILE);
    if ((err = hm_buf_status(&b)) == HM_OK) {
        err = hm_write_file_atomic(path, b.data, b.len, 0644);
    }
    hm_buf_free(&b);
    return err;
}

void
cli_log_state_evidence(const char *dir, const char *what, const uint8_t *note, size_t len)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s/evidence", dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        return;
    }
    snprintf(path, sizeof(path), "%s/evidence/%lld-%s.note", dir, (long long)time(NULL), what);
    if (hm_write_file_atomic(path, note, len, 0644) != HM_OK) {
        fprintf(stderr, "hallmark log verify: could not keep the evidence in %s\n", path);
    }
}

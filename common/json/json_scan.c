/*
 * json_scan.c: a validating scanner that runs before cJSON builds a tree.
 *
 * It accepts exactly RFC 8259 JSON and refuses what cJSON would let through
 * silently (see hm/json.h): duplicate keys, \u0000 and raw NUL, invalid UTF-8, lone
 * surrogates, nesting deeper than the limit, strings and containers over their
 * limits.  It builds no tree; its only memory is a stack of the keys of the objects
 * still open, bounded by the document size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_int.h"

struct scan {
    const uint8_t *p;
    size_t len;
    size_t pos;
    const struct hm_json_limits *lim;
    unsigned depth;
    /* Decoded keys of the open objects, back to back, each prefixed by its length. */
    struct hm_buf keys;
    struct hm_json_error *err;
    hm_err code;
};

static hm_err
fail(struct scan *s, hm_err code, size_t at, const char *msg, const char *arg)
{
    if (s->code == HM_OK) {
        s->code = code;
        if (s->err != NULL) {
            s->err->offset = at;
            if (arg != NULL) {
                snprintf(s->err->message, sizeof(s->err->message), "%s \"%s\"", msg, arg);
            } else {
                snprintf(s->err->message, sizeof(s->err->message), "%s", msg);
            }
        }
    }
    return s->code;
}

static void
skip_ws(struct scan *s)
{
    while (s->pos < s->len && (s->p[s->pos] == ' ' || s->p[s->pos] == '\t' ||
                               s->p[s->pos] == '\n' || s->p[s->pos] == '\r')) {
        s->pos++;
    }
}

static int
hex4(const uint8_t *p)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        int c = p[i], d;
        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            d = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            d = c - 'A' + 10;
        } else {
            return -1;
        }
        v = v * 16 + d;
    }
    return v;
}

/* Length of a valid UTF-8 sequence at p (max n bytes), or 0 (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF). */
size_t
hm_json_utf8_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
    }
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (c == 0xe0 && p[1] < 0xa0) ||
            (c == 0xed && p[1] > 0x9f)) {
            return 0;
        }
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80 ||
            (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f)) {
            return 0;
        }
        return 4;
    }
    return 0;
}

/* 1 for the bytes a string may hold as they are, with no UTF-8 decoding: U+0020..U+007F
 * other than '"' (0x22) and '\\' (0x5c).  Everything else is 0. */
/* clang-format off */
static const uint8_t plain_ascii[256] = {
    [0x20] =
    /* 0x20 */ 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x30 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x40 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x50 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    /* 0x60 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x70 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};
/* clang-format on */

/* Scans a string at s->pos (on the opening quote).  When key is true, appends the
 * decoded bytes to s->keys (the caller has reserved the length prefix). */
static hm_err
scan_string(struct scan *s, bool key)
{
    size_t start = s->pos, decoded = 0;

    s->pos++;
    for (;;) {
        if (s->pos >= s->len) {
            return fail(s, HM_E_INVALID, start, "unterminated string", NULL);
        }
        uint8_t c = s->p[s->pos];
        if (c == '"') {
            s->pos++;
            return HM_OK;
        }
        if (c < 0x20) {
            return fail(s, HM_E_INVALID, s->pos,
                        c == 0 ? "NUL byte in string" : "control character in string", NULL);
        }
        if (c == '\\') {
            uint8_t out[4];
            size_t olen = 1;
            if (s->pos + 1 >= s->len) {
                return fail(s, HM_E_INVALID, s->pos, "unterminated escape", NULL);
            }
            switch (s->p[s->pos + 1]) {
            case '"':
            case '\\':
            case '/':
                out[0] = s->p[s->pos + 1];
                break;
            case 'b':
                out[0] = '\b';
                break;
            case 'f':
                out[0] = '\f';
                break;
            case 'n':
                out[0] = '\n';
                break;
            case 'r':
                out[0] = '\r';
                break;
            case 't':
                out[0] = '\t';
                break;
            case 'u': {
                int hi, lo;
                uint32_t cp;
                if (s->pos + 6 > s->len || (hi = hex4(s->p + s->pos + 2)) < 0) {
                    return fail(s, HM_E_INVALID, s->pos, "bad \\u escape", NULL);
                }
                if (hi == 0) {
                    return fail(s, HM_E_INVALID, s->pos, "\\u0000 in string", NULL);
                }
                cp = (uint32_t)hi;
                if (hi >= 0xdc00 && hi <= 0xdfff) {
                    return fail(s, HM_E_INVALID, s->pos, "lone low surrogate", NULL);
                }
                if (hi >= 0xd800 && hi <= 0xdbff) {
                    if (s->pos + 12 > s->len || s->p[s->pos + 6] != '\\' ||
                        s->p[s->pos + 7] != 'u' || (lo = hex4(s->p + s->pos + 8)) < 0 ||
                        lo < 0xdc00 || lo > 0xdfff) {
                        return fail(s, HM_E_INVALID, s->pos, "lone high surrogate", NULL);
                    }
                    cp = 0x10000 + (((uint32_t)hi - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
                    s->pos += 6;
                }
                if (cp < 0x80) {
                    out[0] = (uint8_t)cp;
                } else if (cp < 0x800) {
                    out[0] = (uint8_t)(0xc0 | cp >> 6);
                    out[1] = (uint8_t)(0x80 | (cp & 0x3f));
                    olen = 2;
                } else if (cp < 0x10000) {
                    out[0] = (uint8_t)(0xe0 | cp >> 12);
                    out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
                    out[2] = (uint8_t)(0x80 | (cp & 0x3f));
                    olen = 3;
                } else {
                    out[0] = (uint8_t)(0xf0 | cp >> 18);
                    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
                    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
                    out[3] = (uint8_t)(0x80 | (cp & 0x3f));
                    olen = 4;
                }
                s->pos += 4;
                break;
            }
            default:
                return fail(s, HM_E_INVALID, s->pos, "bad escape", NULL);
            }
            s->pos += 2;
            decoded += olen;
            if (key) {
                hm_buf_append(&s->keys, out, olen);
            }
        } else {
            const uint8_t *q = s->p + s->pos, *end = s->p + s->len;
            size_t n;
            /* Fast path: a run of printable ASCII other than '"' and '\\' (most of a
             * base64 payload) needs no per-byte UTF-8 decoding: one table load a byte. */
            while (q < end && plain_ascii[*q]) {
                q++;
            }
            n = (size_t)(q - (s->p + s->pos));
            if (n == 0) {
                n = hm_json_utf8_len(s->p + s->pos, s->len - s->pos);
            }
            if (n == 0) {
                return fail(s, HM_E_INVALID, s->pos, "invalid UTF-8", NULL);
            }
            if (key) {
                hm_buf_append(&s->keys, s->p + s->pos, n);
            }
            s->pos += n;
            decoded += n;
        }
        if (decoded > s->lim->max_string) {
            return fail(s, HM_E_LIMIT, start, "string longer than the limit", NULL);
        }
    }
}

static hm_err
scan_number(struct scan *s)
{
    size_t start = s->pos;
    const uint8_t *p = s->p;

#define AT(c)   (s->pos < s->len && p[s->pos] == (c))
#define DIGIT() (s->pos < s->len && p[s->pos] >= '0' && p[s->pos] <= '9')
    if (AT('-')) {
        s->pos++;
    }
    if (AT('0')) {
        s->pos++;
    } else if (DIGIT()) {
        while (DIGIT()) {
            s->pos++;
        }
    } else {
        return fail(s, HM_E_INVALID, start, "invalid number", NULL);
    }
    if (AT('.')) {
        s->pos++;
        if (!DIGIT()) {
            return fail(s, HM_E_INVALID, start, "invalid number", NULL);
        }
        while (DIGIT()) {
            s->pos++;
        }
    }
    if (AT('e') || AT('E')) {
        s->pos++;
        if (AT('+') || AT('-')) {
            s->pos++;
        }
        if (!DIGIT()) {
            return fail(s, HM_E_INVALID, start, "invalid number", NULL);
        }
        while (DIGIT()) {
            s->pos++;
        }
    }
#undef AT
#undef DIGIT
    if (s->pos - start > 64) {
        return fail(s, HM_E_LIMIT, start, "number too long", NULL);
    }
    return HM_OK;
}

static hm_err scan_value(struct scan *s);

/* Checks the key just appended at key_at against the earlier keys of this object,
 * which start at obj_at in s->keys (each stored as a size_t length then the bytes). */
static hm_err
check_duplicate(struct scan *s, size_t obj_at, size_t key_at, size_t key_offset)
{
    size_t klen = s->keys.len - key_at - sizeof(size_t);
    const uint8_t *k = s->keys.data + key_at + sizeof(size_t);

    memcpy(s->keys.data + key_at, &klen, sizeof(size_t));
    for (size_t at = obj_at; at < key_at;) {
        size_t len;
        memcpy(&len, s->keys.data + at, sizeof(size_t));
        if (len == klen && memcmp(s->keys.data + at + sizeof(size_t), k, len) == 0) {
            char name[64];
            snprintf(name, sizeof(name), "%.*s", (int)(klen > 60 ? 60 : klen), (const char *)k);
            return fail(s, HM_E_INVALID, key_offset, "duplicate key", name);
        }
        at += sizeof(size_t) + len;
    }
    return HM_OK;
}

static hm_err
scan_object(struct scan *s)
{
    size_t obj_at = s->keys.len, members = 0;
    hm_err err = HM_OK;

    s->pos++; /* '{' */
    skip_ws(s);
    if (s->pos < s->len && s->p[s->pos] == '}') {
        s->pos++;
        return HM_OK;
    }
    for (;;) {
        size_t key_at = s->keys.len, key_offset;
        size_t zero = 0;
        skip_ws(s);
        if (s->pos >= s->len || s->p[s->pos] != '"') {
            err = fail(s, HM_E_INVALID, s->pos, "expected a string key", NULL);
            break;
        }
        if (++members > s->lim->max_members) {
            err = fail(s, HM_E_LIMIT, s->pos, "too many members in an object", NULL);
            break;
        }
        key_offset = s->pos;
        hm_buf_append(&s->keys, &zero, sizeof(zero));
        if ((err = scan_string(s, true)) != HM_OK) {
            break;
        }
        if ((err = hm_buf_status(&s->keys)) != HM_OK) {
            err = fail(s, err, key_offset, "keys exceed memory", NULL);
            break;
        }
        if ((err = check_duplicate(s, obj_at, key_at, key_offset)) != HM_OK) {
            break;
        }
        skip_ws(s);
        if (s->pos >= s->len || s->p[s->pos] != ':') {
            err = fail(s, HM_E_INVALID, s->pos, "expected ':'", NULL);
            break;
        }
        s->pos++;
        if ((err = scan_value(s)) != HM_OK) {
            break;
        }
        skip_ws(s);
        if (s->pos < s->len && s->p[s->pos] == ',') {
            s->pos++;
            continue;
        }
        if (s->pos < s->len && s->p[s->pos] == '}') {
            s->pos++;
            break;
        }
        err = fail(s, HM_E_INVALID, s->pos, "expected ',' or '}'", NULL);
        break;
    }
    s->keys.len = obj_at; /* pop this object's keys */
    return err;
}

static hm_err
scan_array(struct scan *s)
{
    size_t elems = 0;
    hm_err err;

    s->pos++; /* '[' */
    skip_ws(s);
    if (s->pos < s->len && s->p[s->pos] == ']') {
        s->pos++;
        return HM_OK;
    }
    for (;;) {
        if (++elems > s->lim->max_members) {
            return fail(s, HM_E_LIMIT, s->pos, "too many elements in an array", NULL);
        }
        if ((err = scan_value(s)) != HM_OK) {
            return err;
        }
        skip_ws(s);
        if (s->pos < s->len && s->p[s->pos] == ',') {
            s->pos++;
            continue;
        }
        if (s->pos < s->len && s->p[s->pos] == ']') {
            s->pos++;
            return HM_OK;
        }
        return fail(s, HM_E_INVALID, s->pos, "expected ',' or ']'", NULL);
    }
}

static hm_err
scan_literal(struct scan *s, const char *word)
{
    size_t n = strlen(word);

    if (s->len - s->pos < n || memcmp(s->p + s->pos, word, n) != 0) {
        return fail(s, HM_E_INVALID, s->pos, "unexpected character", NULL);
    }
    s->pos += n;
    return HM_OK;
}

static hm_err
scan_value(struct scan *s)
{
    hm_err err;

    skip_ws(s);
    if (s->pos >= s->len) {
        return fail(s, HM_E_INVALID, s->pos, "unexpected end of input", NULL);
    }
    switch (s->p[s->pos]) {
    case '{':
    case '[':
        if (++s->depth > s->lim->max_depth) {
            return fail(s, HM_E_LIMIT, s->pos, "nesting deeper than the limit", NULL);
        }
        err = s->p[s->pos] == '{' ? scan_object(s) : scan_array(s);
        s->depth--;
        return err;
    case '"':
        return scan_string(s, false);
    case 't':
        return scan_literal(s, "true");
    case 'f':
        return scan_literal(s, "false");
    case 'n':
        return scan_literal(s, "null");
    case '\0':
        return fail(s, HM_E_INVALID, s->pos, "NUL byte", NULL);
    default:
        if (s->p[s->pos] == '-' || (s->p[s->pos] >= '0' && s->p[s->pos] <= '9')) {
            return scan_number(s);
        }
        return fail(s, HM_E_INVALID, s->pos, "unexpected character", NULL);
    }
}

hm_err
hm_json_scan(const uint8_t *buf, size_t len, const struct hm_json_limits *lim,
             struct hm_json_error *err)
{
    struct scan s = { .p = buf, .len = len, .lim = lim, .err = err, .code = HM_OK };
    hm_err rc;

    hm_buf_init(&s.keys, len * 2 + 64);
    if ((rc = scan_value(&s)) == HM_OK) {
        skip_ws(&s);
        if (s.pos != len) {
            rc = fail(&s, HM_E_INVALID, s.pos,
                      s.p[s.pos] == 0 ? "NUL byte" : "trailing data after the document", NULL);
        }
    }
    hm_buf_free(&s.keys);
    return rc;
}

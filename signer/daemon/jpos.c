/*
 * jpos.c: finds where a member of JSON text sits, for error messages that name a line
 * and for binding the exact bytes of a member (the SBOM of a sign request).
 *
 * It runs only over text that hm_json_parse() has already accepted, so it need not
 * validate: it skips values by their delimiters.  cJSON keeps no positions, hence this.
 */
#include <stdlib.h>
#include <string.h>

#include "hmd.h"

struct jp {
    const char *t;
    size_t len;
    size_t pos;
};

static void
jp_ws(struct jp *j)
{
    while (j->pos < j->len && (j->t[j->pos] == ' ' || j->t[j->pos] == '\t' ||
                               j->t[j->pos] == '\n' || j->t[j->pos] == '\r')) {
        j->pos++;
    }
}

/* At a '"': moves past the closing quote. */
static void
jp_skip_string(struct jp *j)
{
    j->pos++;
    while (j->pos < j->len && j->t[j->pos] != '"') {
        j->pos += (j->t[j->pos] == '\\') ? 2 : 1;
    }
    j->pos++;
}

static void
jp_skip_value(struct jp *j)
{
    unsigned depth = 0;

    jp_ws(j);
    do {
        if (j->pos >= j->len) {
            return;
        }
        char c = j->t[j->pos];
        if (c == '"') {
            jp_skip_string(j);
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0) {
                return; /* end of the enclosing container: an empty value cannot be */
            }
            depth--;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
            return;
        }
        j->pos++;
    } while (depth > 0 || (j->pos < j->len && strchr(",}] \t\r\n", j->t[j->pos]) == NULL));
}

/* At the value of an object: finds member key (raw bytes compared: our keys need no
 * escapes).  Leaves pos at the member's value and *key_off at its key. */
static bool
jp_member(struct jp *j, const char *key, size_t key_len, size_t *key_off)
{
    jp_ws(j);
    if (j->pos >= j->len || j->t[j->pos] != '{') {
        return false;
    }
    j->pos++;
    for (;;) {
        jp_ws(j);
        if (j->pos >= j->len || j->t[j->pos] != '"') {
            return false;
        }
        size_t start = j->pos;
        jp_skip_string(j);
        bool hit = (j->pos - start - 2 == key_len && memcmp(j->t + start + 1, key, key_len) == 0);
        jp_ws(j);
        j->pos++; /* ':' */
        jp_ws(j);
        if (hit) {
            *key_off = start;
            return true;
        }
        jp_skip_value(j);
        jp_ws(j);
        if (j->pos >= j->len || j->t[j->pos] != ',') {
            return false;
        }
        j->pos++;
    }
}

static bool
jp_element(struct jp *j, unsigned long idx)
{
    jp_ws(j);
    if (j->pos >= j->len || j->t[j->pos] != '[') {
        return false;
    }
    j->pos++;
    for (unsigned long i = 0;; i++) {
        jp_ws(j);
        if (j->pos >= j->len || j->t[j->pos] == ']') {
            return false;
        }
        if (i == idx) {
            return true;
        }
        jp_skip_value(j);
        jp_ws(j);
        if (j->pos >= j->len || j->t[j->pos] != ',') {
            return false;
        }
        j->pos++;
    }
}

hm_err
hmd_json_locate(const char *text, size_t len, const char *path, size_t *key_off, size_t *val_off,
                size_t *val_end)
{
    struct jp j = { .t = text, .len = len, .pos = 0 };
    const char *p = path;

    jp_ws(&j);
    *key_off = j.pos;
    while (*p != '\0') {
        if (*p == '[') {
            char *end = NULL;
            unsigned long idx = strtoul(p + 1, &end, 10);
            if (end == p + 1 || *end != ']' || !jp_element(&j, idx)) {
                return HM_E_NOTFOUND;
            }
            *key_off = j.pos;
            p = end + 1;
            continue;
        }
        if (*p == '.') {
            p++;
        }
        size_t n = strcspn(p, ".[");
        if (n == 0 || !jp_member(&j, p, n, key_off)) {
            return HM_E_NOTFOUND;
        }
        p += n;
    }
    jp_ws(&j);
    *val_off = j.pos;
    jp_skip_value(&j);
    *val_end = j.pos;
    return HM_OK;
}

unsigned
hmd_line_of(const char *text, size_t len, size_t off)
{
    unsigned line = 1;

    for (size_t i = 0; i < off && i < len; i++) {
        if (text[i] == '\n') {
            line++;
        }
    }
    return line;
}

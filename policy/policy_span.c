/*
 * policy_span.c: where a member's value sits in the bytes of a JSON document.
 *
 * The SBOM, VEX documents, provenance and approvals are bound (digest in the release
 * statement, resource descriptors in the VSA) by the exact bytes the client sent, never
 * by a re-serialisation (DESIGN.md: sign exact bytes).  cJSON keeps no offsets, so this
 * small scanner finds them.  It runs only on a document hm_json_parse has accepted
 * (valid syntax and UTF-8, no duplicate keys, bounded depth), so it can be simple; it
 * still never reads past len.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

static size_t
skip_ws(const uint8_t *b, size_t len, size_t i)
{
    while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r')) {
        i++;
    }
    return i;
}

/* b[i] is '"'; returns the index after the closing quote (len when unterminated). */
static size_t
skip_string(const uint8_t *b, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (b[i] == '\\') {
            i++;
        } else if (b[i] == '"') {
            return i + 1;
        }
    }
    return len;
}

/* b[i] starts a value; returns the index after it. */
static size_t
skip_value(const uint8_t *b, size_t len, size_t i)
{
    size_t depth = 0;

    do {
        if (i >= len) {
            return len;
        }
        if (b[i] == '"') {
            i = skip_string(b, len, i);
            continue;
        }
        if (b[i] == '{' || b[i] == '[') {
            depth++;
        } else if (b[i] == '}' || b[i] == ']') {
            if (depth == 0) {
                return i; /* not a value: never on a validated document */
            }
            depth--;
        } else if (depth == 0) {
            /* A scalar at the top: up to the next delimiter. */
            while (i < len && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' &&
                   b[i] != '\t' && b[i] != '\n' && b[i] != '\r') {
                i++;
            }
            return i;
        }
        i++;
    } while (depth > 0);
    return i;
}

static int
hex_val(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Whether the JSON string b[start..end) (quotes included) decodes to the ASCII key.
 * Escapes are decoded as cJSON decodes them, so that "\u0073bom" is "sbom" here too. */
static bool
key_equals(const uint8_t *b, size_t start, size_t end, const char *key)
{
    size_t i = start + 1, k = 0, klen = strlen(key);

    while (i + 1 < end) {
        int c = b[i];

        if (c == '\\') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *p = i + 1 < end ? memchr(from, b[i + 1], 8) : NULL;

            if (p != NULL && b[i + 1] != 'u') {
                c = to[p - from];
                i += 2;
            } else if (b[i + 1] == 'u' && i + 6 <= end) {
                int v = 0;
                for (size_t j = 2; j < 6; j++) {
                    int h = hex_val(b[i + j]);
                    v = h < 0 ? 0x10000 : (v << 4) | h;
                }
                if (v >= 0x80) {
                    return false; /* not ASCII: no key of ours */
                }
                c = v;
                i += 6;
            } else {
                return false;
            }
        } else {
            i++;
        }
        if (k >= klen || key[k] != (char)c) {
            return false;
        }
        k++;
    }
    return k == klen;
}

hm_err
pol_span_member(const uint8_t *buf, size_t len, const char *key, struct pol_span *out)
{
    size_t i = skip_ws(buf, len, 0), ks, ke, vs;

    if (i >= len || buf[i] != '{') {
        return HM_E_INVALID;
    }
    i = skip_ws(buf, len, i + 1);
    while (i < len && buf[i] == '"') {
        ks = i;
        ke = skip_string(buf, len, i);
        i = skip_ws(buf, len, ke);
        if (i >= len || buf[i] != ':') {
            return HM_E_INVALID;
        }
        vs = skip_ws(buf, len, i + 1);
        i = skip_value(buf, len, vs);
        if (key_equals(buf, ks, ke, key)) {
            out->off = vs;
            out->len = i - vs;
            return HM_OK;
        }
        i = skip_ws(buf, len, i);
        if (i < len && buf[i] == ',') {
            i = skip_ws(buf, len, i + 1);
        }
    }
    return HM_E_NOTFOUND;
}

hm_err
pol_span_elements(const uint8_t *buf, struct pol_span arr, struct pol_span **out, size_t *n)
{
    size_t end = arr.off + arr.len, i = arr.off, count = 0, cap = 0;
    struct pol_span *spans = NULL, *grown;

    *out = NULL;
    *n = 0;
    if (arr.len < 2 || buf[i] != '[') {
        return HM_E_INVALID;
    }
    i = skip_ws(buf, end, i + 1);
    while (i < end && buf[i] != ']') {
        size_t vs = i;

        i = skip_value(buf, end, vs);
        if (count == cap) {
            cap = cap == 0 ? 4 : cap * 2;
            if ((grown = realloc(spans, cap * sizeof(*spans))) == NULL) {
                free(spans);
                return HM_E_NOMEM;
            }
            spans = grown;
        }
        spans[count].off = vs;
        spans[count].len = i - vs;
        count++;
        i = skip_ws(buf, end, i);
        if (i < end && buf[i] == ',') {
            i = skip_ws(buf, end, i + 1);
        }
    }
    *out = spans;
    *n = count;
    return HM_OK;
}

/*
 * verify_json.c: the reason-giving wrappers every parser of libhallmark-verify uses
 * around hm/json.h, so that each refusal names its JSON path in one line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

const struct hm_json_limits hm_v_bundle_limits = {
    .max_bytes = HM_BUNDLE_MAX_BYTES,
    .max_depth = HM_JSON_MAX_DEPTH,
    .max_string = HM_V_PAYLOAD_B64_MAX, /* the envelope's payload is the longest string */
    .max_members = HM_MAX_SUBJECTS,
};

const struct hm_json_limits hm_v_statement_limits = {
    .max_bytes = HM_PAYLOAD_MAX_BYTES,
    .max_depth = HM_JSON_MAX_DEPTH,
    .max_string = HM_PAYLOAD_MAX_BYTES,
    .max_members = HM_MAX_SUBJECTS, /* subjects and artifacts are the longest lists */
};

/* A root is shallow (depth 4) and its longest string is an RSA-8192 PEM (about 1.6 KiB). */
const struct hm_json_limits hm_v_trustroot_limits = {
    .max_bytes = HM_TRUSTROOT_PAYLOAD_MAX,
    .max_depth = 8,
    .max_string = 16u << 10,
    .max_members = HM_TRUSTROOT_MAX_KEYS,
};

/* The leaf: its subjects are the release's (up to HM_MAX_SUBJECTS). */
const struct hm_json_limits hm_v_leaf_limits = {
    .max_bytes = HM_LEAF_MAX_BYTES,
    .max_depth = 8,
    .max_string = 16u << 10,
    .max_members = HM_MAX_SUBJECTS,
};

size_t
hm_v_json_count_values(const uint8_t *buf, size_t len)
{
    const uint8_t *p = buf, *end = buf + len, *q;
    size_t n = 1;

    while (p < end) {
        uint8_t c = *p++;

        if (c == '[' || c == '{' || c == ',') {
            n++;
        } else if (c == '"') {
            /* Skip the string: memchr runs far faster than a byte loop over base64. */
            for (;;) {
                if ((q = memchr(p, '"', (size_t)(end - p))) == NULL) {
                    return n; /* unterminated: hm_json_parse refuses it */
                }
                size_t bs = 0;
                while (q - bs > p && q[-1 - (ptrdiff_t)bs] == '\\') {
                    bs++;
                }
                p = q + 1;
                if (bs % 2 == 0) {
                    break; /* not escaped */
                }
            }
        }
    }
    return n;
}

void
hm_v_why(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;

    if (why == NULL || why_len == 0) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

void
hm_v_why_clear(char *why, size_t why_len)
{
    if (why != NULL && why_len > 0) {
        why[0] = '\0';
    }
}

void
hm_v_copy(char *dst, size_t dst_len, const char *src)
{
    size_t n = strnlen(src, dst_len - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

void
hm_v_clean(const char *s, char *dst, size_t dst_len)
{
    size_t i, n, len;

    if (dst == NULL || dst_len == 0) {
        return;
    }
    if (s == NULL) {
        s = "(null)";
    }
    len = strlen(s);
    n = len < dst_len - 1 ? len : dst_len - 1;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    dst[n] = '\0';
    if (len > n && n >= 3) {
        size_t k = n - 3;

        while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80) {
            k--; /* never leave half a UTF-8 sequence before the "..." */
        }
        memcpy(dst + k, "...", 4);
    }
}

bool
hm_v_printable(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

/* Path strings are built for every field a parser reads, so they avoid snprintf. */
static size_t
append(char *dst, size_t dst_len, size_t at, const char *s, size_t n)
{
    if (at + 1 >= dst_len) {
        return at;
    }
    if (n > dst_len - 1 - at) {
        n = dst_len - 1 - at;
    }
    memcpy(dst + at, s, n);
    dst[at + n] = '\0';
    return at + n;
}

void
hm_v_path(char *dst, size_t dst_len, const char *path, const char *key)
{
    size_t at = 0;

    if (dst_len == 0) {
        return;
    }
    dst[0] = '\0';
    if (path != NULL && path[0] != '\0') {
        at = append(dst, dst_len, at, path, strlen(path));
        at = append(dst, dst_len, at, ".", 1);
    }
    (void)append(dst, dst_len, at, key, strlen(key));
}

void
hm_v_index(char *dst, size_t dst_len, const char *path, size_t i)
{
    char digits[24];
    size_t n = sizeof(digits), at;

    if (dst_len == 0) {
        return;
    }
    dst[0] = '\0';
    digits[--n] = ']';
    do {
        digits[--n] = (char)('0' + i % 10);
        i /= 10;
    } while (i > 0);
    digits[--n] = '[';
    at = append(dst, dst_len, 0, path, strlen(path));
    (void)append(dst, dst_len, at, digits + n, sizeof(digits) - n);
}

hm_err
hm_v_json_parse(const uint8_t *buf, size_t len, const struct hm_json_limits *lim, size_t max_nodes,
                const char *what, cJSON **out, char *why, size_t why_len)
{
    struct hm_json_error jerr;
    size_t nodes;
    hm_err err;

    *out = NULL;
    memset(&jerr, 0, sizeof(jerr));
    if (len > lim->max_bytes) {
        hm_v_why(why, why_len, "%s: %zu bytes, more than the limit of %zu", what, len,
                 lim->max_bytes);
        return HM_E_LIMIT;
    }
    if ((nodes = hm_v_json_count_values(buf, len)) > max_nodes) {
        hm_v_why(why, why_len, "%s: %zu JSON values, more than the limit of %zu", what, nodes,
                 max_nodes);
        return HM_E_LIMIT;
    }
    if ((err = hm_json_parse(buf, len, lim, out, &jerr)) != HM_OK) {
        char clean[sizeof(jerr.message)];

        jerr.message[sizeof(jerr.message) - 1] = '\0';
        hm_v_clean(jerr.message, clean, sizeof(clean)); /* it may quote a key */
        hm_v_why(why, why_len, "%s: byte %zu: %s", what, jerr.offset, clean);
        return err;
    }
    return HM_OK;
}

hm_err
hm_v_only_keys(const cJSON *obj, const char *path, const char *const *allowed, size_t n, char *why,
               size_t why_len)
{
    const char *bad = NULL;
    char clean[64];

    if (!cJSON_IsObject(obj)) {
        hm_v_why(why, why_len, "%s: not an object", path[0] ? path : "document");
        return HM_E_INVALID;
    }
    if (hm_json_only_keys(obj, allowed, n, &bad) != HM_OK) {
        hm_v_clean(bad, clean, sizeof(clean));
        hm_v_why(why, why_len, "%s: unknown key \"%s\"", path[0] ? path : "document", clean);
        return HM_E_INVALID;
    }
    return HM_OK;
}

enum member_fault { MISSING, NOT_STRING, EMPTY, TOO_LONG, NOT_ARRAY, NOT_OBJECT };

/* The reason "<path>.<key>: <what>"; the path is built only here, on failure. */
static hm_err
refuse_member(const char *path, const char *key, enum member_fault f, size_t max, char *why,
              size_t why_len)
{
    static const char *const what[] = { "missing",     "not a string", "empty",
                                        "longer than", "not an array", "not an object" };
    char where[160];

    hm_v_path(where, sizeof(where), path, key);
    if (f == TOO_LONG) {
        hm_v_why(why, why_len, "%s: longer than %zu bytes", where, max);
    } else {
        hm_v_why(why, why_len, "%s: %s", where, what[f]);
    }
    return HM_E_INVALID;
}

hm_err
hm_v_string(const cJSON *obj, const char *path, const char *key, bool required, size_t max,
            const char **out, char *why, size_t why_len)
{
    const cJSON *item = hm_json_get(obj, key);

    *out = NULL;
    if (item == NULL) {
        return required ? refuse_member(path, key, MISSING, 0, why, why_len) : HM_OK;
    }
    if (!cJSON_IsString(item) || item->valuestring == NULL) {
        return refuse_member(path, key, NOT_STRING, 0, why, why_len);
    }
    if (item->valuestring[0] == '\0') {
        return refuse_member(path, key, EMPTY, 0, why, why_len);
    }
    if (hm_json_get_string(obj, key, required, max, out) != HM_OK || *out == NULL) {
        *out = NULL;
        return refuse_member(path, key, TOO_LONG, max, why, why_len);
    }
    return HM_OK;
}

static hm_err
member_of_type(const cJSON *obj, const char *path, const char *key, bool required, bool array,
               const cJSON **out, char *why, size_t why_len)
{
    const cJSON *item = hm_json_get(obj, key);

    *out = NULL;
    if (item == NULL) {
        return required ? refuse_member(path, key, MISSING, 0, why, why_len) : HM_OK;
    }
    if (array ? !cJSON_IsArray(item) : !cJSON_IsObject(item)) {
        return refuse_member(path, key, array ? NOT_ARRAY : NOT_OBJECT, 0, why, why_len);
    }
    *out = item;
    return HM_OK;
}

hm_err
hm_v_object(const cJSON *obj, const char *path, const char *key, bool required, const cJSON **out,
            char *why, size_t why_len)
{
    return member_of_type(obj, path, key, required, false, out, why, why_len);
}

hm_err
hm_v_array(const cJSON *obj, const char *path, const char *key, bool required, const cJSON **out,
           char *why, size_t why_len)
{
    return member_of_type(obj, path, key, required, true, out, why, why_len);
}

hm_err
hm_v_b64_fixed(const cJSON *obj, const char *path, const char *key, uint8_t *out, size_t n,
               char *why, size_t why_len)
{
    const char *text = NULL;
    char where[160];
    size_t got = 0;
    hm_err err;

    if ((err = hm_v_string(obj, path, key, true, ((n + 2) / 3) * 4, &text, why, why_len)) !=
        HM_OK) {
        return err;
    }
    if (hm_v_b64_decode_into(text, strlen(text), HM_B64_STD, out, n, &got) != HM_OK || got != n) {
        hm_v_path(where, sizeof(where), path, key);
        hm_v_why(why, why_len, "%s: not standard base64 of %zu bytes", where, n);
        return HM_E_INVALID;
    }
    return HM_OK;
}

bool
hm_v_is_name(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len > 64 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) {
        return false;
    }
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-')) {
            return false;
        }
    }
    return true;
}

/* The base64 body between "-----BEGIN ...-----" and "-----END", lines joined. */
hm_err
hm_v_pem_der(const char *pem, size_t len, uint8_t **out, size_t *out_len)
{
    const char *end = pem + len, *p, *stop;
    char *b64 = NULL;
    size_t n = 0;
    hm_err err;

    *out = NULL;
    *out_len = 0;
    if (len < 11 || memcmp(pem, "-----BEGIN ", 11) != 0 || (p = memchr(pem, '\n', len)) == NULL ||
        (stop = memmem(p, (size_t)(end - p), "-----END ", 9)) == NULL) {
        return HM_E_INVALID;
    }
    if ((b64 = malloc((size_t)(stop - p) + 1)) == NULL) {
        return HM_E_NOMEM;
    }
    for (; p < stop; p++) {
        if (*p != '\n' && *p != '\r') {
            b64[n++] = *p;
        }
    }
    b64[n] = '\0';
    err = hm_v_b64_decode(b64, n, HM_B64_STD, out, out_len);
    free(b64);
    return err == HM_E_NOMEM ? err : (err != HM_OK ? HM_E_INVALID : HM_OK);
}

/*
 * verify_json.c: the reason-giving wrappers every parser of libhallmark-verify uses
 * around hm/json.h, so that each refusal names its JSON path in one line.
 */
#include <stdio.h>
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

void
hm_v_path(char *dst, size_t dst_len, const char *path, const char *key)
{
    if (path == NULL || path[0] == '\0') {
        (void)snprintf(dst, dst_len, "%s", key);
    } else {
        (void)snprintf(dst, dst_len, "%s.%s", path, key);
    }
}

void
hm_v_index(char *dst, size_t dst_len, const char *path, size_t i)
{
    if (snprintf(dst, dst_len, "%s[%zu]", path, i) < 0 && dst_len > 0) {
        dst[0] = '\0';
    }
}

hm_err
hm_v_json_parse(const uint8_t *buf, size_t len, const struct hm_json_limits *lim, const char *what,
                cJSON **out, char *why, size_t why_len)
{
    struct hm_json_error jerr;
    hm_err err;

    *out = NULL;
    memset(&jerr, 0, sizeof(jerr));
    if (len > lim->max_bytes) {
        hm_v_why(why, why_len, "%s: %zu bytes, more than the limit of %zu", what, len,
                 lim->max_bytes);
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

hm_err
hm_v_string(const cJSON *obj, const char *path, const char *key, bool required, size_t max,
            const char **out, char *why, size_t why_len)
{
    const cJSON *item = hm_json_get(obj, key);
    char where[160];

    *out = NULL;
    hm_v_path(where, sizeof(where), path, key);
    if (item == NULL) {
        if (!required) {
            return HM_OK;
        }
        hm_v_why(why, why_len, "%s: missing", where);
        return HM_E_INVALID;
    }
    if (!cJSON_IsString(item) || item->valuestring == NULL) {
        hm_v_why(why, why_len, "%s: not a string", where);
        return HM_E_INVALID;
    }
    if (item->valuestring[0] == '\0') {
        hm_v_why(why, why_len, "%s: empty", where);
        return HM_E_INVALID;
    }
    if (hm_json_get_string(obj, key, required, max, out) != HM_OK || *out == NULL) {
        *out = NULL;
        hm_v_why(why, why_len, "%s: longer than %zu bytes", where, max);
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
member_of_type(const cJSON *obj, const char *path, const char *key, bool required, bool array,
               const cJSON **out, char *why, size_t why_len)
{
    const cJSON *item = hm_json_get(obj, key);
    char where[160];

    *out = NULL;
    hm_v_path(where, sizeof(where), path, key);
    if (item == NULL) {
        if (!required) {
            return HM_OK;
        }
        hm_v_why(why, why_len, "%s: missing", where);
        return HM_E_INVALID;
    }
    if (array ? !cJSON_IsArray(item) : !cJSON_IsObject(item)) {
        hm_v_why(why, why_len, "%s: not an %s", where, array ? "array" : "object");
        return HM_E_INVALID;
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

/*
 * steward_json.c: the JSON reading helpers of the steward attestation parser
 * (steward.c): typed, bounded members with checked charsets, and refusals that name the
 * JSON path.  A fault hm_json_parse finds before any tree exists (a duplicate key, a
 * syntax error) comes with a byte offset only; path_at turns it back into a path.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "steward_int.h"

hm_err
hm_sw_fail(struct hm_sw_ctx *c, hm_err err, const char *path, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    hm_cra_why(c->why, c->why_len, "%s: %s", path[0] != '\0' ? path : "(document)", msg);
    return err;
}

void
hm_sw_join(char *dst, const char *path, const char *key)
{
    (void)snprintf(dst, HM_SW_PATH_MAX, "%s%s%s", path, path[0] != '\0' ? "." : "", key);
}

void
hm_sw_index(char *dst, const char *path, size_t i)
{
    (void)snprintf(dst, HM_SW_PATH_MAX, "%s[%zu]", path, i);
}

const char *
hm_sw_clean(const char *s, char *out, size_t n)
{
    size_t o = 0;

    for (; *s != '\0' && o + 1 < n; s++) {
        out[o++] = *s >= 0x20 && *s < 0x7f ? *s : '?';
    }
    out[o] = '\0';
    return out;
}

/* ---- the JSON path of a byte offset, for hm_json_parse's faults ---- */

struct frame {
    bool obj, expect_key;
    size_t index;
    char key[48];
};

/* Copies the JSON string starting at buf[i] == '"' into key (printable ASCII kept, the
 * rest as '?'); returns the index of its closing quote (or len). */
static size_t
copy_key(const uint8_t *buf, size_t len, size_t i, char *key, size_t key_len)
{
    size_t o = 0;

    for (i++; i < len && buf[i] != '"'; i++) {
        if (buf[i] == '\\') {
            i++;
        }
        if (o + 1 < key_len && i < len) {
            key[o++] = buf[i] >= 0x20 && buf[i] < 0x7f ? (char)buf[i] : '?';
        }
    }
    key[o] = '\0';
    return i;
}

static void
path_at(const uint8_t *buf, size_t len, size_t offset, char *out)
{
    struct frame f[40];
    size_t depth = 0, skipped = 0;

    out[0] = '\0';
    for (size_t i = 0; i < offset && i < len; i++) {
        struct frame *top = depth > 0 ? &f[depth - 1] : NULL;
        uint8_t ch = buf[i];
        if (ch == '"') {
            char key[48];
            i = copy_key(buf, len, i, key, sizeof(key));
            if (top != NULL && top->obj && top->expect_key) {
                memcpy(top->key, key, sizeof(key));
                top->expect_key = false;
            }
        } else if (ch == '{' || ch == '[') {
            if (depth == sizeof(f) / sizeof(f[0])) {
                skipped++;
                continue;
            }
            f[depth++] = (struct frame){ .obj = ch == '{', .expect_key = ch == '{' };
        } else if (ch == '}' || ch == ']') {
            if (skipped > 0) {
                skipped--;
            } else if (depth > 0) {
                depth--;
            }
        } else if (ch == ',' && top != NULL && skipped == 0) {
            top->expect_key = top->obj;
            top->index += top->obj ? 0 : 1;
        }
    }
    for (size_t k = 0; k < depth; k++) {
        char tmp[HM_SW_PATH_MAX];
        if (!f[k].obj) {
            hm_sw_index(tmp, out, f[k].index);
        } else if (!f[k].expect_key) {
            hm_sw_join(tmp, out, f[k].key);
        } else if (k + 1 == depth && offset < len && buf[offset] == '"') {
            char key[48];
            (void)copy_key(buf, len, offset, key, sizeof(key));
            hm_sw_join(tmp, out, key); /* the fault is at this key: a duplicate */
        } else {
            continue;
        }
        memcpy(out, tmp, HM_SW_PATH_MAX);
    }
}

hm_err
hm_sw_parse_json(struct hm_sw_ctx *c, const uint8_t *buf, size_t len,
                 const struct hm_json_limits *lim, cJSON **root)
{
    struct hm_json_error jerr = { 0 };
    char path[HM_SW_PATH_MAX], msg[sizeof(jerr.message)];
    hm_err err;

    if ((err = hm_json_parse(buf, len, lim, root, &jerr)) != HM_OK) {
        path_at(buf, len, jerr.offset, path);
        return hm_sw_fail(c, err, path, "%s (byte %zu)",
                          hm_sw_clean(jerr.message, msg, sizeof(msg)), jerr.offset);
    }
    return HM_OK;
}

/* ---- typed members ---- */

hm_err
hm_sw_only_keys(struct hm_sw_ctx *c, const cJSON *obj, const char *path, const char *const *keys,
                size_t n)
{
    const char *bad = NULL;
    char where[HM_SW_PATH_MAX];

    if (!cJSON_IsObject(obj)) {
        return hm_sw_fail(c, HM_E_INVALID, path, "not an object");
    }
    if (hm_json_only_keys(obj, keys, n, &bad) != HM_OK) {
        char clean[48];
        hm_sw_join(where, path, hm_sw_clean(bad != NULL ? bad : "?", clean, sizeof(clean)));
        return hm_sw_fail(c, HM_E_INVALID, where, "unknown field");
    }
    return HM_OK;
}

/* A member of the given cJSON type (cJSON_Object, cJSON_Array, cJSON_String); absent and
 * not required: HM_OK with *out NULL. */
hm_err
hm_sw_member(struct hm_sw_ctx *c, const cJSON *obj, const char *path, const char *key,
             bool required, int type, const cJSON **out)
{
    static const char *const names[] = { "an object", "an array", "a string" };
    const cJSON *item = hm_json_get(obj, key);
    char where[HM_SW_PATH_MAX];
    int k = type == cJSON_Object ? 0 : type == cJSON_Array ? 1 : 2;

    *out = NULL;
    hm_sw_join(where, path, key);
    if (item == NULL) {
        return required ? hm_sw_fail(c, HM_E_INVALID, where, "missing") : HM_OK;
    }
    if ((item->type & 0xff) != type) {
        return hm_sw_fail(c, HM_E_INVALID, where, "not %s", names[k]);
    }
    *out = item;
    return HM_OK;
}

hm_err
hm_sw_string(struct hm_sw_ctx *c, const cJSON *obj, const char *path, const char *key,
             bool required, const char **out)
{
    const cJSON *item = NULL;
    hm_err err;

    *out = NULL;
    if ((err = hm_sw_member(c, obj, path, key, required, cJSON_String, &item)) == HM_OK &&
        item != NULL) {
        *out = item->valuestring;
    }
    return err;
}

hm_err
hm_sw_dup(const char *s, char **out)
{
    return (*out = strdup(s)) != NULL ? HM_OK : HM_E_NOMEM;
}

/* A string member of one kind, checked and copied. */
hm_err
hm_sw_field(struct hm_sw_ctx *c, const cJSON *obj, const char *path, const char *key, bool required,
            enum hm_sw_kind kind, char **out)
{
    const char *s = NULL;
    char where[HM_SW_PATH_MAX];
    int64_t days;
    bool ok;
    hm_err err;

    if ((err = hm_sw_string(c, obj, path, key, required, &s)) != HM_OK || s == NULL) {
        return err;
    }
    hm_sw_join(where, path, key);
    switch (kind) {
    case HM_SW_TEXT:
        ok = hm_cra_text_ok(s, HM_CRA_TEXT_MAX);
        break;
    case HM_SW_COMMENT:
        ok = hm_cra_text_ok(s, HM_CRA_COMMENT_MAX);
        break;
    case HM_SW_URL:
        ok = hm_cra_is_https_url(s);
        break;
    case HM_SW_CONTACT:
        ok = hm_cra_is_email(s) || hm_cra_is_https_url(s);
        break;
    case HM_SW_DATE:
        ok = strlen(s) == 10 && hm_date_parse(s, &days) == HM_OK;
        break;
    default:
        ok = hm_cra_version_entry_ok(s);
        break;
    }
    if (!ok) {
        static const char *const what[] = {
            "not 1..256 bytes of text without control characters",
            "not 1..1024 bytes of text without control characters",
            "not an https URL of at most 1024 bytes (https://host/path)",
            "neither an email address nor an https URL",
            "not a date YYYY-MM-DD",
            "neither a version nor a SemVer range (\">=1.2.0 <2.0.0\")",
        };
        return hm_sw_fail(c, HM_E_INVALID, where, "%s", what[kind]);
    }
    return hm_sw_dup(s, out);
}

hm_err
hm_sw_enum(struct hm_sw_ctx *c, const cJSON *obj, const char *path, const char *key, bool required,
           const char *const *names, size_t n, int *out)
{
    const char *s = NULL;
    char where[HM_SW_PATH_MAX], list[128] = "", clean[48];
    hm_err err;

    *out = 0;
    if ((err = hm_sw_string(c, obj, path, key, required, &s)) != HM_OK || s == NULL) {
        return err;
    }
    if ((*out = hm_cra_enum_find(names, n, s) + 1) > 0) {
        return HM_OK;
    }
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(list);
        (void)snprintf(list + used, sizeof(list) - used, "%s%s", i > 0 ? ", " : "", names[i]);
    }
    hm_sw_join(where, path, key);
    return hm_sw_fail(c, HM_E_INVALID, where, "\"%s\" is not one of %s",
                      hm_sw_clean(s, clean, sizeof(clean)), list);
}

hm_err
hm_sw_time(struct hm_sw_ctx *c, const cJSON *obj, const char *key, int64_t *out)
{
    const char *s = NULL;
    char where[HM_SW_PATH_MAX];
    hm_err err;

    if ((err = hm_sw_string(c, obj, "predicate", key, true, &s)) != HM_OK) {
        return err;
    }
    hm_sw_join(where, "predicate", key);
    if (strlen(s) > 64 || hm_time_parse_rfc3339(s, out) != HM_OK || *out < 0 ||
        *out > HM_CRA_TIME_MAX) {
        return hm_sw_fail(c, HM_E_INVALID, where, "not an RFC 3339 time (2026-11-28T09:00:00Z)");
    }
    return HM_OK;
}

/* "digest": {"sha256": hex} and nothing else. */
hm_err
hm_sw_digest256(struct hm_sw_ctx *c, const cJSON *obj, const char *path, uint8_t out[HM_SHA256_LEN])
{
    static const char *const keys[] = { "sha256" };
    const cJSON *d = NULL;
    const char *s = NULL;
    char where[HM_SW_PATH_MAX], hex[HM_SW_PATH_MAX];
    hm_err err;

    hm_sw_join(where, path, "digest");
    hm_sw_join(hex, where, "sha256");
    if ((err = hm_sw_member(c, obj, path, "digest", true, cJSON_Object, &d)) != HM_OK ||
        (err = hm_sw_only_keys(c, d, where, keys, 1)) != HM_OK ||
        (err = hm_sw_string(c, d, where, "sha256", true, &s)) != HM_OK) {
        return err;
    }
    return hm_cra_hex(s, out, HM_SHA256_LEN)
               ? HM_OK
               : hm_sw_fail(c, HM_E_INVALID, hex, "not 64 lowercase hex digits");
}

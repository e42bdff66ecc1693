/* json.c: strict parse (scan, then cJSON) and typed getters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_int.h"

const struct hm_json_limits HM_JSON_DEFAULT_LIMITS = {
    .max_bytes = 1u << 20,
    .max_depth = 32,
    .max_string = 64u << 10,
    .max_members = 4096,
};

hm_err
hm_json_parse(const void *buf, size_t len, const struct hm_json_limits *lim, cJSON **out,
              struct hm_json_error *err)
{
    const char *end = NULL;
    char *copy = NULL;
    cJSON *root;
    hm_err rc;

    *out = NULL;
    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }
    if (lim == NULL) {
        lim = &HM_JSON_DEFAULT_LIMITS;
    }
    if (len > lim->max_bytes) {
        if (err != NULL) {
            err->offset = lim->max_bytes;
            snprintf(err->message, sizeof(err->message), "document larger than %zu bytes",
                     lim->max_bytes);
        }
        return HM_E_LIMIT;
    }
    if (len == 0) {
        if (err != NULL) {
            snprintf(err->message, sizeof(err->message), "empty document");
        }
        return HM_E_INVALID;
    }
    if ((rc = hm_json_scan(buf, len, lim, err)) != HM_OK) {
        return rc;
    }
    /* cJSON wants the NUL inside the length when it must check for trailing bytes. */
    if ((copy = malloc(len + 1)) == NULL) {
        return HM_E_NOMEM;
    }
    memcpy(copy, buf, len);
    copy[len] = '\0';
    root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, 1);
    free(copy);
    if (root == NULL) {
        /* The scanner accepted it, so this is memory or a cJSON limit. */
        if (err != NULL) {
            snprintf(err->message, sizeof(err->message), "document could not be parsed");
        }
        return HM_E_NOMEM;
    }
    *out = root;
    return HM_OK;
}

hm_err
hm_json_only_keys(const cJSON *obj, const char *const *allowed, size_t n, const char **bad_key)
{
    const cJSON *it;

    if (bad_key != NULL) {
        *bad_key = NULL;
    }
    if (!cJSON_IsObject(obj)) {
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(it, obj) {
        bool ok = false;
        for (size_t i = 0; i < n && !ok; i++) {
            ok = strcmp(it->string, allowed[i]) == 0;
        }
        if (!ok) {
            if (bad_key != NULL) {
                *bad_key = it->string;
            }
            return HM_E_INVALID;
        }
    }
    return HM_OK;
}

const cJSON *
hm_json_get(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj)) {
        return NULL;
    }
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

hm_err
hm_json_get_string(const cJSON *obj, const char *key, bool required, size_t max_len,
                   const char **out)
{
    const cJSON *it = hm_json_get(obj, key);
    size_t len;

    *out = NULL;
    if (it == NULL) {
        return required ? HM_E_INVALID : HM_OK;
    }
    if (!cJSON_IsString(it) || it->valuestring == NULL) {
        return HM_E_INVALID;
    }
    len = strlen(it->valuestring);
    if (len == 0) {
        return HM_E_INVALID;
    }
    if (len > max_len) {
        return HM_E_LIMIT;
    }
    *out = it->valuestring;
    return HM_OK;
}

hm_err
hm_json_number_u64(const cJSON *item, uint64_t max, uint64_t *out)
{
    double v;

    if (!cJSON_IsNumber(item)) {
        return HM_E_INVALID;
    }
    v = item->valuedouble;
    if (max > (UINT64_C(1) << 53)) {
        max = UINT64_C(1) << 53; /* doubles are exact only up to 2^53 */
    }
    if (!isfinite(v) || !(v >= 0) || v > (double)max || v != floor(v)) {
        return HM_E_INVALID;
    }
    *out = (uint64_t)v;
    return HM_OK;
}

hm_err
hm_json_get_u64(const cJSON *obj, const char *key, bool required, uint64_t max, uint64_t *out)
{
    const cJSON *it = hm_json_get(obj, key);

    if (it == NULL) {
        return required ? HM_E_INVALID : HM_OK;
    }
    return hm_json_number_u64(it, max, out);
}

hm_err
hm_json_get_u64_str(const cJSON *obj, const char *key, bool required, uint64_t *out)
{
    const cJSON *it = hm_json_get(obj, key);
    uint64_t v = 0;
    const char *s;

    if (it == NULL) {
        return required ? HM_E_INVALID : HM_OK;
    }
    if (cJSON_IsNumber(it)) {
        return hm_json_number_u64(it, UINT64_C(1) << 53, out);
    }
    if (!cJSON_IsString(it) || (s = it->valuestring) == NULL || *s == '\0' || strlen(s) > 19 ||
        (s[0] == '0' && s[1] != '\0')) {
        return HM_E_INVALID;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return HM_E_INVALID;
        }
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v > (UINT64_C(1) << 63) - 1) {
        return HM_E_INVALID;
    }
    *out = v;
    return HM_OK;
}

hm_err
hm_json_get_bool(const cJSON *obj, const char *key, bool required, bool *out)
{
    const cJSON *it = hm_json_get(obj, key);

    if (it == NULL) {
        return required ? HM_E_INVALID : HM_OK;
    }
    if (!cJSON_IsBool(it)) {
        return HM_E_INVALID;
    }
    *out = cJSON_IsTrue(it);
    return HM_OK;
}

hm_err
hm_json_print(const cJSON *item, char **out, size_t *len)
{
    char *s = cJSON_PrintUnformatted(item);

    *out = NULL;
    if (s == NULL) {
        return HM_E_NOMEM;
    }
    *out = s;
    if (len != NULL) {
        *len = strlen(s);
    }
    return HM_OK;
}

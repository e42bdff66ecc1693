/* pjson.c: JSON helpers shared by the policy/ readers of untrusted documents. */
#include "pjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
hm_pj_why(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;

    if (why == NULL || why_len == 0) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

hm_err
hm_pj_parse(const void *buf, size_t len, const struct hm_json_limits *lim, const char *what,
            cJSON **out, char *why, size_t why_len)
{
    struct hm_json_error jerr;
    hm_err err;

    *out = NULL;
    if ((err = hm_json_parse(buf, len, lim, out, &jerr)) != HM_OK) {
        hm_pj_why(why, why_len, "%s: %s at byte %zu", what, jerr.message, jerr.offset);
    }
    return err;
}

hm_err
hm_pj_strdup(const char *s, char **out)
{
    size_t n = strlen(s);

    *out = malloc(n + 1);
    if (*out == NULL) {
        return HM_E_NOMEM;
    }
    memcpy(*out, s, n + 1);
    return HM_OK;
}

hm_err
hm_pj_ref_str(const cJSON *obj, const char *key, size_t max, const char *ctx, const char **out,
              char *why, size_t why_len)
{
    hm_err err = hm_json_get_string(obj, key, false, max, out);

    if (err == HM_E_LIMIT) {
        hm_pj_why(why, why_len, "%s.%s is longer than %zu bytes", ctx, key, max);
    } else if (err != HM_OK) {
        hm_pj_why(why, why_len, "%s.%s must be a non-empty string", ctx, key);
    }
    return err;
}

hm_err
hm_pj_opt_str(const cJSON *obj, const char *key, size_t max, const char *ctx, char **out, char *why,
              size_t why_len)
{
    const char *s = NULL;
    hm_err err;

    *out = NULL;
    if ((err = hm_pj_ref_str(obj, key, max, ctx, &s, why, why_len)) != HM_OK || s == NULL) {
        return err;
    }
    return hm_pj_strdup(s, out);
}

hm_err
hm_pj_grow(void **arr, size_t *n, size_t *cap, size_t elem, size_t max, void **slot)
{
    void *na;
    size_t ncap, bytes;

    *slot = NULL;
    if (*n >= max) {
        return HM_E_LIMIT;
    }
    if (*n == *cap) {
        ncap = *cap == 0 ? 8 : *cap * 2;
        if (ncap > max) {
            ncap = max;
        }
        if (hm_size_mul(ncap, elem, &bytes) != HM_OK || (na = realloc(*arr, bytes)) == NULL) {
            return HM_E_NOMEM;
        }
        *arr = na;
        *cap = ncap;
    }
    *slot = (char *)*arr + *n * elem;
    memset(*slot, 0, elem);
    (*n)++;
    return HM_OK;
}

hm_err
hm_pj_strv_push(char ***v, size_t *n, size_t *cap, size_t max, const char *s)
{
    void *slot = NULL;
    void *arr = *v;
    hm_err err;

    err = hm_pj_grow(&arr, n, cap, sizeof(char *), max, &slot);
    *v = arr;
    if (err != HM_OK) {
        return err;
    }
    if ((err = hm_pj_strdup(s, (char **)slot)) != HM_OK) {
        (*n)--; /* the slot holds NULL: drop it */
    }
    return err;
}

hm_err
hm_pj_str_array(const cJSON *obj, const char *key, size_t max_items, size_t max_len,
                const char *ctx, char ***out, size_t *n, char *why, size_t why_len)
{
    const cJSON *arr = hm_json_get(obj, key), *it;
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    hm_err err = HM_OK;

    *out = NULL;
    *n = 0;
    if (arr == NULL) {
        return HM_OK;
    }
    if (!cJSON_IsArray(arr)) {
        hm_pj_why(why, why_len, "%s.%s must be an array of strings", ctx, key);
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(it, arr) {
        size_t len;

        if (!cJSON_IsString(it) || it->valuestring == NULL || *it->valuestring == '\0') {
            hm_pj_why(why, why_len, "%s.%s must be an array of non-empty strings", ctx, key);
            err = HM_E_INVALID;
            goto out;
        }
        len = strlen(it->valuestring);
        if (len > max_len || cnt >= max_items) {
            hm_pj_why(why, why_len, "%s.%s: too many or too long elements", ctx, key);
            err = HM_E_LIMIT;
            goto out;
        }
        if ((err = hm_pj_strv_push(&v, &cnt, &cap, max_items, it->valuestring)) != HM_OK) {
            goto out;
        }
    }
    *out = v;
    *n = cnt;
    v = NULL; /* the caller owns it now */
out:
    hm_pj_strv_free(v, cnt);
    return err;
}

void
hm_pj_strv_free(char **v, size_t n)
{
    if (v == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}

bool
hm_pj_ieq(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        char x = *a, y = *b;

        if (x >= 'A' && x <= 'Z') {
            x = (char)(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = (char)(y - 'A' + 'a');
        }
        if (x != y) {
            return false;
        }
    }
    return *a == *b;
}

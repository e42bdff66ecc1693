/*
 * policy_json.c: typed getters that name the JSON path of the member at fault.
 *
 * Never valueint (it saturates and truncates, STYLE.md); numbers go through
 * hm_json_number_u64 or an explicit range check on valuedouble.
 */
#include "policy_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *
type_name(const cJSON *it)
{
    if (cJSON_IsObject(it)) {
        return "an object";
    }
    if (cJSON_IsArray(it)) {
        return "an array";
    }
    if (cJSON_IsString(it)) {
        return "a string";
    }
    if (cJSON_IsNumber(it)) {
        return "a number";
    }
    if (cJSON_IsBool(it)) {
        return "a boolean";
    }
    return "null";
}

hm_err
polj_object(const cJSON *obj, const char *const *allowed, size_t n, struct pol_path *path,
            struct hm_policy_error *err)
{
    const char *bad = NULL;
    hm_err rc;
    size_t mark;

    if (!cJSON_IsObject(obj)) {
        return pol_fail(err, path, HM_E_INVALID, "must be an object, not %s", type_name(obj));
    }
    if ((rc = hm_json_only_keys(obj, allowed, n, &bad)) != HM_OK) {
        mark = pol_path_key(path, bad != NULL ? bad : "?");
        rc = pol_fail(err, path, HM_E_INVALID, "unknown key \"%s\"", bad != NULL ? bad : "?");
        pol_path_pop(path, mark);
        return rc;
    }
    return HM_OK;
}

hm_err
polj_string(const cJSON *obj, const char *key, bool required, size_t max, bool ascii,
            const char **out, struct pol_path *path, struct hm_policy_error *err)
{
    const cJSON *it = hm_json_get(obj, key);
    size_t mark = pol_path_key(path, key), len;
    hm_err rc = HM_OK;

    *out = NULL;
    if (it == NULL) {
        if (required) {
            rc = pol_fail(err, path, HM_E_INVALID, "is required");
        }
        goto out;
    }
    if (!cJSON_IsString(it) || it->valuestring == NULL) {
        rc = pol_fail(err, path, HM_E_INVALID, "must be a string, not %s", type_name(it));
        goto out;
    }
    len = strlen(it->valuestring);
    if (len == 0 || len > max) {
        rc = pol_fail(err, path, len == 0 ? HM_E_INVALID : HM_E_LIMIT,
                      "must be 1 to %zu bytes long", max);
        goto out;
    }
    if (ascii && !pol_is_printable(it->valuestring, max)) {
        rc = pol_fail(err, path, HM_E_INVALID, "must be printable ASCII");
        goto out;
    }
    *out = it->valuestring;
out:
    pol_path_pop(path, mark);
    return rc;
}

hm_err
polj_string_dup(const cJSON *obj, const char *key, bool required, size_t max, bool ascii,
                char **out, struct pol_path *path, struct hm_policy_error *err)
{
    const char *s = NULL;
    hm_err rc;

    *out = NULL;
    if ((rc = polj_string(obj, key, required, max, ascii, &s, path, err)) != HM_OK || s == NULL) {
        return rc;
    }
    if ((*out = pol_strdup(s)) == NULL) {
        return pol_fail(err, path, HM_E_NOMEM, "out of memory");
    }
    return HM_OK;
}

hm_err
polj_name_dup(const cJSON *obj, const char *key, bool required, char **out, struct pol_path *path,
              struct hm_policy_error *err)
{
    const char *s = NULL;
    size_t mark;
    hm_err rc;

    *out = NULL;
    if ((rc = polj_string(obj, key, required, POL_MAX_NAME, true, &s, path, err)) != HM_OK ||
        s == NULL) {
        return rc;
    }
    if (!pol_is_name(s)) {
        mark = pol_path_key(path, key);
        rc = pol_fail(err, path, HM_E_INVALID,
                      "\"%s\" is not of the form [a-z0-9][a-z0-9._-]{0,63}", s);
        pol_path_pop(path, mark);
        return rc;
    }
    if ((*out = pol_strdup(s)) == NULL) {
        return pol_fail(err, path, HM_E_NOMEM, "out of memory");
    }
    return HM_OK;
}

hm_err
polj_u64(const cJSON *obj, const char *key, bool required, uint64_t min, uint64_t max,
         uint64_t *out, bool *present, struct pol_path *path, struct hm_policy_error *err)
{
    const cJSON *it = hm_json_get(obj, key);
    size_t mark = pol_path_key(path, key);
    uint64_t v = 0;
    hm_err rc = HM_OK;

    if (present != NULL) {
        *present = false;
    }
    if (it == NULL) {
        if (required) {
            rc = pol_fail(err, path, HM_E_INVALID, "is required");
        }
        goto out;
    }
    if (!cJSON_IsNumber(it) || hm_json_number_u64(it, max, &v) != HM_OK || v < min) {
        rc = pol_fail(err, path, HM_E_INVALID, "must be an integer from %llu to %llu",
                      (unsigned long long)min, (unsigned long long)max);
        goto out;
    }
    *out = v;
    if (present != NULL) {
        *present = true;
    }
out:
    pol_path_pop(path, mark);
    return rc;
}

hm_err
polj_number(const cJSON *obj, const char *key, double min, double max, double *out, bool *present,
            struct pol_path *path, struct hm_policy_error *err)
{
    const cJSON *it = hm_json_get(obj, key);
    size_t mark = pol_path_key(path, key);
    hm_err rc = HM_OK;

    *present = false;
    if (it == NULL) {
        goto out;
    }
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || !(it->valuedouble >= min) ||
        !(it->valuedouble <= max)) {
        rc = pol_fail(err, path, HM_E_INVALID, "must be a number from %g to %g", min, max);
        goto out;
    }
    *out = it->valuedouble;
    *present = true;
out:
    pol_path_pop(path, mark);
    return rc;
}

hm_err
polj_bool(const cJSON *obj, const char *key, bool *out, struct pol_path *path,
          struct hm_policy_error *err)
{
    const cJSON *it = hm_json_get(obj, key);
    size_t mark;
    hm_err rc;

    if (it == NULL) {
        return HM_OK; /* the caller's default stands */
    }
    if (!cJSON_IsBool(it)) {
        mark = pol_path_key(path, key);
        rc = pol_fail(err, path, HM_E_INVALID, "must be true or false, not %s", type_name(it));
        pol_path_pop(path, mark);
        return rc;
    }
    *out = cJSON_IsTrue(it);
    return HM_OK;
}

hm_err
polj_array(const cJSON *obj, const char *key, bool required, size_t min_items, size_t max_items,
           const cJSON **out, struct pol_path *path, struct hm_policy_error *err)
{
    const cJSON *it = hm_json_get(obj, key);
    size_t mark = pol_path_key(path, key), n;
    hm_err rc = HM_OK;

    *out = NULL;
    if (it == NULL) {
        if (required) {
            rc = pol_fail(err, path, HM_E_INVALID, "is required");
        }
        goto out;
    }
    if (!cJSON_IsArray(it)) {
        rc = pol_fail(err, path, HM_E_INVALID, "must be an array, not %s", type_name(it));
        goto out;
    }
    n = (size_t)cJSON_GetArraySize(it);
    if (n < min_items || n > max_items) {
        rc = pol_fail(err, path, n > max_items ? HM_E_LIMIT : HM_E_INVALID,
                      "must have %zu to %zu elements, not %zu", min_items, max_items, n);
        goto out;
    }
    *out = it;
out:
    pol_path_pop(path, mark);
    return rc;
}

void
polj_string_list_free(char **list, size_t n)
{
    if (list == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(list[i]);
    }
    free(list);
}

hm_err
polj_string_list(const cJSON *obj, const char *key, bool required, size_t max_items, size_t max,
                 char ***out, size_t *n, struct pol_path *path, struct hm_policy_error *err)
{
    const cJSON *arr = NULL, *it;
    char **list = NULL;
    size_t count = 0, mark, idx;
    hm_err rc;

    *out = NULL;
    *n = 0;
    if ((rc = polj_array(obj, key, required, 1, max_items, &arr, path, err)) != HM_OK ||
        arr == NULL) {
        return rc;
    }
    mark = pol_path_key(path, key);
    if ((list = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*list))) == NULL) {
        rc = pol_fail(err, path, HM_E_NOMEM, "out of memory");
        goto out;
    }
    cJSON_ArrayForEach(it, arr) {
        idx = pol_path_idx(path, count);
        if (!cJSON_IsString(it) || !pol_is_printable(it->valuestring, max)) {
            rc = pol_fail(err, path, HM_E_INVALID, "must be a string of 1 to %zu printable bytes",
                          max);
            goto out;
        }
        for (size_t j = 0; j < count; j++) {
            if (strcmp(list[j], it->valuestring) == 0) {
                rc = pol_fail(err, path, HM_E_INVALID, "\"%s\" is listed twice", it->valuestring);
                goto out;
            }
        }
        if ((list[count] = pol_strdup(it->valuestring)) == NULL) {
            rc = pol_fail(err, path, HM_E_NOMEM, "out of memory");
            goto out;
        }
        count++;
        pol_path_pop(path, idx);
    }
    *out = list;
    *n = count;
    list = NULL; /* the caller owns it now */
out:
    pol_path_pop(path, mark);
    polj_string_list_free(list, count);
    return rc;
}

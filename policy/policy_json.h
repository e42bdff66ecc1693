/*
 * policy_json.h: private to the parsers of hm_policy (policy_parse*.c, policy_request.c).
 * Typed getters over hm/json.h that fill a struct hm_policy_error with the JSON path of
 * the member at fault.
 */
#ifndef HM_POLICY_JSON_H
#define HM_POLICY_JSON_H

#include <hm/json.h>

#include "policy_int.h"

/* Refuses any key of obj not in allowed[0..n) (obj must be an object: path names it). */
HM_MUST_CHECK hm_err polj_object(const cJSON *obj, const char *const *allowed, size_t n,
                                 struct pol_path *path, struct hm_policy_error *err);
/* A string member of 1..max bytes, printable ASCII when ascii is set (UTF-8 otherwise,
 * already checked by hm_json_parse).  Absent and not required: HM_OK with *out NULL. */
HM_MUST_CHECK hm_err polj_string(const cJSON *obj, const char *key, bool required, size_t max,
                                 bool ascii, const char **out, struct pol_path *path,
                                 struct hm_policy_error *err);
/* The same, copied (malloc'ed) into *out. */
HM_MUST_CHECK hm_err polj_string_dup(const cJSON *obj, const char *key, bool required, size_t max,
                                     bool ascii, char **out, struct pol_path *path,
                                     struct hm_policy_error *err);
/* A name [a-z0-9][a-z0-9._-]{0,63}, copied. */
HM_MUST_CHECK hm_err polj_name_dup(const cJSON *obj, const char *key, bool required, char **out,
                                   struct pol_path *path, struct hm_policy_error *err);
/* An integer in [min, max]; absent and not required: HM_OK, *out untouched, *present false. */
HM_MUST_CHECK hm_err polj_u64(const cJSON *obj, const char *key, bool required, uint64_t min,
                              uint64_t max, uint64_t *out, bool *present, struct pol_path *path,
                              struct hm_policy_error *err);
HM_MUST_CHECK hm_err polj_number(const cJSON *obj, const char *key, double min, double max,
                                 double *out, bool *present, struct pol_path *path,
                                 struct hm_policy_error *err);
HM_MUST_CHECK hm_err polj_bool(const cJSON *obj, const char *key, bool *out, struct pol_path *path,
                               struct hm_policy_error *err);
/* An array member of 1..max_items elements (min_items 0 allows []); absent and not
 * required: HM_OK with *out NULL. */
HM_MUST_CHECK hm_err polj_array(const cJSON *obj, const char *key, bool required, size_t min_items,
                                size_t max_items, const cJSON **out, struct pol_path *path,
                                struct hm_policy_error *err);
/* An array of distinct strings of 1..max bytes each (printable ASCII), copied. */
HM_MUST_CHECK hm_err polj_string_list(const cJSON *obj, const char *key, bool required,
                                      size_t max_items, size_t max, char ***out, size_t *n,
                                      struct pol_path *path, struct hm_policy_error *err);
void polj_string_list_free(char **list, size_t n);

#define POL_N(a) (sizeof(a) / sizeof((a)[0]))

#endif /* HM_POLICY_JSON_H */

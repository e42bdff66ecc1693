/*
 * pjson.h (private to policy/): small helpers the SBOM, OSV, KEV, OpenVEX and JWT readers
 * share on top of hm/json.h: a parse that turns hm_json_error into a `why`, optional string
 * copies with type and length checks, string arrays, and a growable array.
 */
#ifndef HM_POLICY_PJSON_H
#define HM_POLICY_PJSON_H

#include <hm/common.h>
#include <hm/json.h>

void hm_pj_why(char *why, size_t why_len, const char *fmt, ...) HM_PRINTF(3, 4);

/* hm_json_parse with `why` = "<what>: <message> at byte <offset>". */
HM_MUST_CHECK hm_err hm_pj_parse(const void *buf, size_t len, const struct hm_json_limits *lim,
                                 const char *what, cJSON **out, char *why, size_t why_len);

HM_MUST_CHECK hm_err hm_pj_strdup(const char *s, char **out);

/* Copies obj[key] when present: HM_E_INVALID when it is not a non-empty string, HM_E_LIMIT
 * when longer than max.  Absent: HM_OK with *out NULL.  ctx names obj in the reason. */
HM_MUST_CHECK hm_err hm_pj_opt_str(const cJSON *obj, const char *key, size_t max, const char *ctx,
                                   char **out, char *why, size_t why_len);
/* The same without copying. */
HM_MUST_CHECK hm_err hm_pj_ref_str(const cJSON *obj, const char *key, size_t max, const char *ctx,
                                   const char **out, char *why, size_t why_len);

/* Copies an array of strings (absent: HM_OK, empty).  Every element must be a non-empty
 * string of at most max_len bytes; at most max_items elements. */
HM_MUST_CHECK hm_err hm_pj_str_array(const cJSON *obj, const char *key, size_t max_items,
                                     size_t max_len, const char *ctx, char ***out, size_t *n,
                                     char *why, size_t why_len);
void hm_pj_strv_free(char **v, size_t n);

/* Appends one zeroed element of size elem to *arr (count *n, capacity *cap), at most max;
 * *slot points at it.  HM_E_LIMIT past max. */
HM_MUST_CHECK hm_err hm_pj_grow(void **arr, size_t *n, size_t *cap, size_t elem, size_t max,
                                void **slot);
/* Appends a copy of s to a string vector. */
HM_MUST_CHECK hm_err hm_pj_strv_push(char ***v, size_t *n, size_t *cap, size_t max, const char *s);

/* ASCII case-insensitive equality. */
bool hm_pj_ieq(const char *a, const char *b);

#endif /* HM_POLICY_PJSON_H */

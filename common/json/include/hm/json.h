/*
 * hm/json.h: strict, bounded JSON reading on top of cJSON.
 *
 * This is the one Hallmark header that names cJSON: it is the JSON module, and
 * every other module includes it only from its parsing .c files, never from its own
 * public header (DESIGN.md: no cJSON type in a module's API).
 *
 * Why a pre-scan before cJSON (STYLE.md, anchors-style.md section 7): cJSON keeps
 * duplicate keys (first wins, other parsers take the last), truncates strings at
 * \u0000, accepts invalid UTF-8 and lone surrogates, and reports no byte offset
 * per call (cJSON_GetErrorPtr is a process global).  hm_json_parse() first runs a
 * small validating scanner (no tree, no allocation beyond one key stack bounded by
 * the limits) that rejects all of that and gives the byte offset of the first fault;
 * only then does cJSON build the tree.
 */
#ifndef HM_JSON_H
#define HM_JSON_H

#include <hm/common.h>

#include <cjson/cJSON.h>

struct hm_json_limits {
    size_t max_bytes;   /* whole document */
    unsigned max_depth; /* nesting of objects and arrays */
    size_t max_string;  /* bytes of one decoded string */
    size_t max_members; /* members of one object or elements of one array */
};

/* Limits for small documents from the network (requests, bundles). */
extern const struct hm_json_limits HM_JSON_DEFAULT_LIMITS;

struct hm_json_error {
    size_t offset;     /* byte offset of the first fault */
    char message[128]; /* e.g. "duplicate key \"version\"" */
};

/* Parses buf[0..len) (need not be NUL-terminated).  On failure *out is NULL, the
 * error is HM_E_INVALID (syntax, duplicate, NUL, UTF-8) or HM_E_LIMIT, and err (may
 * be NULL) says where and why. */
HM_MUST_CHECK hm_err hm_json_parse(const void *buf, size_t len, const struct hm_json_limits *lim,
                                   cJSON **out, struct hm_json_error *err);

/* Checks that obj is an object whose every key is in allowed[0..n).  On an unknown key
 * returns HM_E_INVALID and, if bad_key is not NULL, points it at the key. */
HM_MUST_CHECK hm_err hm_json_only_keys(const cJSON *obj, const char *const *allowed, size_t n,
                                       const char **bad_key);

/* Case-sensitive lookup; NULL when absent or when obj is not an object. */
const cJSON *hm_json_get(const cJSON *obj, const char *key);

/* A string member: present (when required), a JSON string, 1..max_len bytes.
 * Absent and not required: HM_OK with *out NULL. */
HM_MUST_CHECK hm_err hm_json_get_string(const cJSON *obj, const char *key, bool required,
                                        size_t max_len, const char **out);
/* A non-negative integer member that is exactly integral and <= max (max <= 2^53). */
HM_MUST_CHECK hm_err hm_json_get_u64(const cJSON *obj, const char *key, bool required, uint64_t max,
                                     uint64_t *out);
/* An integer held either as a JSON number or as a decimal string (protojson int64). */
HM_MUST_CHECK hm_err hm_json_get_u64_str(const cJSON *obj, const char *key, bool required,
                                         uint64_t *out);
HM_MUST_CHECK hm_err hm_json_get_bool(const cJSON *obj, const char *key, bool required, bool *out);
/* Converts a cJSON number to uint64 if it is integral, non-negative and <= max. */
HM_MUST_CHECK hm_err hm_json_number_u64(const cJSON *item, uint64_t max, uint64_t *out);

/* Serialises without whitespace; *out is malloc'ed and NUL-terminated. */
HM_MUST_CHECK hm_err hm_json_print(const cJSON *item, char **out, size_t *len);

#endif /* HM_JSON_H */

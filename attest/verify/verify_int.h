/*
 * verify_int.h: private helpers of libhallmark-verify (not on any other target's
 * include path).  Only the parsing files include it, so cJSON stays out of verify.h.
 */
#ifndef HM_VERIFY_INT_H
#define HM_VERIFY_INT_H

#include <hm/json.h>
#include <hm/verify.h>

/* Base64 text of HM_PAYLOAD_MAX_BYTES bytes, with padding. */
#define HM_V_PAYLOAD_B64_MAX (((HM_PAYLOAD_MAX_BYTES + 2u) / 3u) * 4u)
/* Longest payloadType, keyid and hint (printable ASCII). */
#define HM_V_TYPE_MAX  256u
#define HM_V_KEYID_MAX 256u
/* At most this many signatures in a bare envelope (a bundle's has exactly one). */
#define HM_V_MAX_SIGS 16u

extern const struct hm_json_limits hm_v_bundle_limits;
extern const struct hm_json_limits hm_v_statement_limits;

/* Writes a one-line reason into why (NULL-safe, always NUL-terminated). */
void hm_v_why(char *why, size_t why_len, const char *fmt, ...) HM_PRINTF(3, 4);
/* Copies s for a message: bytes below 0x20 and 0x7f become '?', long text is cut with
 * "...", so that an attacker's string cannot break the one-line reason. */
void hm_v_clean(const char *s, char *dst, size_t dst_len);
/* Printable ASCII (0x20..0x7e), len bytes. */
bool hm_v_printable(const char *s, size_t len);

/* hm_json_parse with a reason "<what>: byte N: <message>". */
HM_MUST_CHECK hm_err hm_v_json_parse(const uint8_t *buf, size_t len,
                                     const struct hm_json_limits *lim, const char *what,
                                     cJSON **out, char *why, size_t why_len);
/* obj must be an object with keys from allowed only; the reason names path and key. */
HM_MUST_CHECK hm_err hm_v_only_keys(const cJSON *obj, const char *path, const char *const *allowed,
                                    size_t n, char *why, size_t why_len);
/* A string member of 1..max bytes (hm_json_get_string) with a reason naming path.key:
 * missing, not a string, empty or too long.  Absent and not required: *out NULL. */
HM_MUST_CHECK hm_err hm_v_string(const cJSON *obj, const char *path, const char *key, bool required,
                                 size_t max, const char **out, char *why, size_t why_len);
/* An object member (required or not); *out NULL when absent and not required. */
HM_MUST_CHECK hm_err hm_v_object(const cJSON *obj, const char *path, const char *key, bool required,
                                 const cJSON **out, char *why, size_t why_len);
/* An array member; *out NULL when absent and not required. */
HM_MUST_CHECK hm_err hm_v_array(const cJSON *obj, const char *path, const char *key, bool required,
                                const cJSON **out, char *why, size_t why_len);
/* Joins a path and a key: "a.b" (or "b" when path is empty). */
void hm_v_path(char *dst, size_t dst_len, const char *path, const char *key);
/* An array element's path: "a.b[i]". */
void hm_v_index(char *dst, size_t dst_len, const char *path, size_t i);

/* Reads a DSSE envelope object; path prefixes every reason ("" for a bare envelope). */
HM_MUST_CHECK hm_err hm_v_dsse_from_json(const cJSON *obj, const char *path, struct hm_dsse **out,
                                         char *why, size_t why_len);

/* SemVer 2.0.0 precedence (verify.c); HM_E_INVALID when either is not SemVer. */
HM_MUST_CHECK hm_err hm_v_semver_cmp(const char *a, const char *b, int *out);

#endif /* HM_VERIFY_INT_H */

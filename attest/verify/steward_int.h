/*
 * steward_int.h: private to the steward attestation code (steward_parse.c, steward_json.c, steward_write.c, steward_cra.c in libhallmark-verify; attest/release.c borrows the URL and email checks).
 */
#ifndef HM_STEWARD_INT_H
#define HM_STEWARD_INT_H

#include <hm/steward.h>

#define HM_CRA_TEXT_MAX    256u  /* names, legal names, programmes */
#define HM_CRA_COMMENT_MAX 1024u /* requirement comments, the support policy text */
#define HM_CRA_PURL_MAX    512u
#define HM_CRA_VERSION_MAX 128u
#define HM_CRA_EMAIL_MAX   254u                  /* RFC 5321 path limit */
#define HM_CRA_TIME_MAX    INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* Writes "fmt" into why (may be NULL). */
void hm_cra_why(char *why, size_t why_len, const char *fmt, ...) HM_PRINTF(3, 4);

/* 1..max bytes of UTF-8 (already checked by hm_json_parse) without control characters
 * (C0, DEL, C1): what a person reads on a page or a terminal must not move the cursor. */
bool hm_cra_text_ok(const char *s, size_t max);
/* "https://host[:port][/path][?query][#fragment]", 1..HM_STEWARD_MAX_URI bytes: host of
 * letters, digits, '.' and '-' (no userinfo, no IP literal), the rest printable ASCII
 * without space, quotes, '<', '>', '\\', '^', '`', '{', '|', '}'. */
bool hm_cra_is_https_url(const char *s);
/* local@domain: local part of RFC 5322 atext and dots, domain of LDH labels with a dot. */
bool hm_cra_is_email(const char *s);
/* purl-spec: "pkg:" type "/" [namespace "/"] name ["@" version] ["?" qualifiers]
 * ["#" subpath].  With allow_version false a version is refused.  On false, reason
 * (may be NULL) says what is wrong. */
bool hm_cra_purl_ok(const char *s, bool allow_version, char *reason, size_t reason_len);
/* The purl without "@version", qualifiers or subpath: its length in s. */
size_t hm_cra_purl_base_len(const char *s);
/* "@version" of a purl, decoded in out (NUL-terminated); false when it has none. */
bool hm_cra_purl_version(const char *s, char *out, size_t out_len);
/* A version ("1.3.1": [0-9A-Za-z][0-9A-Za-z.+_-]{0,127}) or a SemVer range: comparators
 * OP SEMVER separated by one space, OP one of >= <= > < =. */
bool hm_cra_version_entry_ok(const char *s);
/* Whether version is covered by entry (equal to a version, or inside a range). */
bool hm_cra_version_covered(const char *entry, const char *version);
/* Digest of exactly 2*n lowercase hex digits into out. */
bool hm_cra_hex(const char *s, uint8_t *out, size_t n);
/* The index of s in names[0..n), or -1. */
int hm_cra_enum_find(const char *const *names, size_t n, const char *s);

extern const char *const hm_cra_status_names[4];
extern const char *const hm_cra_method_names[2];
extern const char *const hm_cra_evidence_names[6];
extern const char *const hm_cra_assessor_names[2];

/* ---- steward_json.c: reading JSON members, refusals that name the JSON path ---- */
#include <hm/json.h>

#define HM_SW_PATH_MAX 160

struct hm_sw_ctx {
    char *why;
    size_t why_len;
    bool input; /* the steward's input file: strict subjects, checks against now */
    int64_t now;
};
/* Writes "path: message" into c->why and returns err. */
hm_err hm_sw_fail(struct hm_sw_ctx *c, hm_err err, const char *path, const char *fmt, ...)
    HM_PRINTF(4, 5);
/* dst (HM_SW_PATH_MAX bytes) = path "." key, or key at the top; path "[" i "]". */
void hm_sw_join(char *dst, const char *path, const char *key);
void hm_sw_index(char *dst, const char *path, size_t i);
/* s with everything but printable ASCII as '?', cut to fit out: for keys and values from
 * the input that a reason quotes (a reason is one line a person reads). */
const char *hm_sw_clean(const char *s, char *out, size_t n);
/* hm_json_parse, its fault turned into "path: message (byte N)". */
HM_MUST_CHECK hm_err hm_sw_parse_json(struct hm_sw_ctx *c, const uint8_t *buf, size_t len,
                                      const struct hm_json_limits *lim, cJSON **root);
/* obj is an object whose keys are all in keys[0..n). */
HM_MUST_CHECK hm_err hm_sw_only_keys(struct hm_sw_ctx *c, const cJSON *obj, const char *path,
                                     const char *const *keys, size_t n);
/* A member of one cJSON type (cJSON_Object, cJSON_Array, cJSON_String); absent and not
 * required: HM_OK with *out NULL. */
HM_MUST_CHECK hm_err hm_sw_member(struct hm_sw_ctx *c, const cJSON *obj, const char *path,
                                  const char *key, bool required, int type, const cJSON **out);
HM_MUST_CHECK hm_err hm_sw_string(struct hm_sw_ctx *c, const cJSON *obj, const char *path,
                                  const char *key, bool required, const char **out);
HM_MUST_CHECK hm_err hm_sw_dup(const char *s, char **out);
enum hm_sw_kind {
    HM_SW_TEXT,    /* hm_cra_text_ok, HM_CRA_TEXT_MAX */
    HM_SW_COMMENT, /* hm_cra_text_ok, HM_CRA_COMMENT_MAX */
    HM_SW_URL,     /* hm_cra_is_https_url */
    HM_SW_CONTACT, /* an email address or an https URL */
    HM_SW_DATE,    /* YYYY-MM-DD */
    HM_SW_VERSION, /* hm_cra_version_entry_ok */
};
/* A string member of one kind, checked and copied into *out (absent: NULL). */
HM_MUST_CHECK hm_err hm_sw_field(struct hm_sw_ctx *c, const cJSON *obj, const char *path,
                                 const char *key, bool required, enum hm_sw_kind kind, char **out);
/* A string member that must be one of names[0..n): *out = its index + 1 (0 if absent). */
HM_MUST_CHECK hm_err hm_sw_enum(struct hm_sw_ctx *c, const cJSON *obj, const char *path,
                                const char *key, bool required, const char *const *names, size_t n,
                                int *out);
/* predicate.<key>: an RFC 3339 time within 1970..9999. */
HM_MUST_CHECK hm_err hm_sw_time(struct hm_sw_ctx *c, const cJSON *obj, const char *key,
                                int64_t *out);
/* path.digest: {"sha256": 64 lowercase hex} and nothing else. */
HM_MUST_CHECK hm_err hm_sw_digest256(struct hm_sw_ctx *c, const cJSON *obj, const char *path,
                                     uint8_t out[HM_SHA256_LEN]);

#endif /* HM_STEWARD_INT_H */

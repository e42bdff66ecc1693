/*
 * verify_int.h: private helpers of libhallmark-verify (not on any other target's
 * include path).  Only the parsing files include it, so cJSON stays out of verify.h.
 */
#ifndef HM_VERIFY_INT_H
#define HM_VERIFY_INT_H

#include <hm/json.h>
#include <hm/tlog.h>
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
extern const struct hm_json_limits hm_v_trustroot_limits;
extern const struct hm_json_limits hm_v_leaf_limits;

/*
 * Values (objects, arrays, strings, numbers, literals) one document may hold.  hm_json's
 * limits bound bytes, depth, one string and one container, but a 1 MiB document of "[0,0,...]"
 * would still become ~500,000 cJSON nodes (about 40 MiB); counting values first keeps the
 * heap of one verification bounded (docs/verify-library.md, "Memory").
 */
#define HM_V_BUNDLE_MAX_NODES    4096u
#define HM_V_STATEMENT_MAX_NODES 16384u
#define HM_V_TRUSTROOT_MAX_NODES 8192u
#define HM_V_LEAF_MAX_NODES      8192u
/* An upper bound on the number of JSON values in buf: 1 + the '[', '{' and ',' outside
 * strings (exact for valid JSON; hm_json_parse rejects the rest anyway). */
size_t hm_v_json_count_values(const uint8_t *buf, size_t len);

/* Writes a one-line reason into why (NULL-safe, always NUL-terminated). */
void hm_v_why(char *why, size_t why_len, const char *fmt, ...) HM_PRINTF(3, 4);
/* why = "" (no vsnprintf for the common case). */
void hm_v_why_clear(char *why, size_t why_len);
/* strlcpy: dst (dst_len >= 1) gets src, cut to fit, always NUL-terminated. */
void hm_v_copy(char *dst, size_t dst_len, const char *src);
/* Copies s for a message: bytes below 0x20 and 0x7f become '?', long text is cut with
 * "...", so that an attacker's string cannot break the one-line reason. */
void hm_v_clean(const char *s, char *dst, size_t dst_len);
/* Printable ASCII (0x20..0x7e), len bytes. */
bool hm_v_printable(const char *s, size_t len);

/* hm_json_parse with a reason "<what>: byte N: <message>", after checking that the
 * document holds at most max_nodes values (HM_E_LIMIT otherwise). */
HM_MUST_CHECK hm_err hm_v_json_parse(const uint8_t *buf, size_t len,
                                     const struct hm_json_limits *lim, size_t max_nodes,
                                     const char *what, cJSON **out, char *why, size_t why_len);
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

/* hm_b64_decode's rules, faster (b64fast.c): into a malloc'ed buffer (NUL-terminated), or
 * into out (HM_E_LIMIT when more than cap bytes would be written). */
HM_MUST_CHECK hm_err hm_v_b64_decode(const char *in, size_t len, enum hm_b64_mode mode,
                                     uint8_t **out, size_t *out_len);
HM_MUST_CHECK hm_err hm_v_b64_decode_into(const char *in, size_t len, enum hm_b64_mode mode,
                                          uint8_t *out, size_t cap, size_t *out_len);
/* base64 (standard, padded) of exactly n bytes into out; the reason names path.key. */
HM_MUST_CHECK hm_err hm_v_b64_fixed(const cJSON *obj, const char *path, const char *key,
                                    uint8_t *out, size_t n, char *why, size_t why_len);
/* [a-z0-9][a-z0-9._-]{0,63}: product and channel names. */
bool hm_v_is_name(const char *s);
/* The bytes of the first PEM block's base64 body (no header checks beyond BEGIN/END). */
HM_MUST_CHECK hm_err hm_v_pem_der(const char *pem, size_t len, uint8_t **out, size_t *out_len);

/* ---- transparency-log entries of a bundle (tlogentry.c) ---- */
#define HM_V_MAX_TLOG_ENTRIES 4u
#define HM_V_CHECKPOINT_MAX   (64u << 10)
struct hm_v_tlog_entry {
    uint64_t log_index;
    uint8_t log_id[HM_SHA256_LEN];
    uint64_t integrated_time;
    uint64_t proof_index;
    uint64_t proof_size;
    uint8_t proof_root[HM_TLOG_HASH_LEN];
    uint8_t *hashes; /* n_hashes * 32 bytes, leaf side first */
    size_t n_hashes;
    uint8_t *checkpoint; /* the signed note, verbatim */
    size_t checkpoint_len;
    uint8_t *body; /* canonicalizedBody, decoded, verbatim */
    size_t body_len;
};
/* What hm_bundle_parse read of verificationMaterial.tlogEntries: the entries, or why they
 * are not acceptable (only hm_verify_bundle looks: hm_verify_bundle_key ignores them). */
struct hm_v_tlog_entries {
    struct hm_v_tlog_entry *e;
    size_t n;
    hm_err err; /* HM_OK, HM_E_INVALID or HM_E_LIMIT */
    char why[200];
};
/* Reads every entry of the tlogEntries array strictly; errors land in out->err/why, except
 * HM_E_NOMEM, which is returned. */
HM_MUST_CHECK hm_err hm_v_tlog_entries_parse(const cJSON *arr, struct hm_v_tlog_entries *out);
void hm_v_tlog_entries_clear(struct hm_v_tlog_entries *t);
/* The entries of a bundle from hm_bundle_parse (never NULL). */
const struct hm_v_tlog_entries *hm_v_bundle_tlog(const struct hm_bundle *b);

/* ---- trust root internals (trustroot_parse.c, trustroot.c) ---- */
struct hm_v_tr_key {
    char keyid[48];
    struct hm_pubkey *pk;
    int64_t valid_from, valid_until;
    char **products;
    size_t n_products;
    bool require_attestation;
};
struct hm_v_tr_log {
    char *origin;
    uint8_t log_id[HM_SHA256_LEN];
    enum hm_key_alg alg;
    struct hm_tlog_verifier *v;
};
struct hm_v_tr_witness {
    char *name;
    struct hm_tlog_verifier *v;
};
struct hm_v_tr_rootkey {
    char keyid[48];
    struct hm_pubkey *pk;
};
struct hm_trustroot {
    uint64_t version;
    int64_t expires;
    struct hm_v_tr_key *keys;
    size_t n_keys;
    struct hm_v_tr_log *logs;
    size_t n_logs;
    struct hm_v_tr_witness *witnesses;
    size_t n_witnesses;
    size_t witness_threshold;
    struct hm_v_tr_rootkey *root_keys;
    size_t n_root_keys;
    size_t root_threshold;
    uint8_t *payload; /* the verified document */
    size_t payload_len;
};
/* The root document (the envelope's payload) into a new struct; no signature checks. */
HM_MUST_CHECK hm_err hm_v_trustroot_from_json(const uint8_t *doc, size_t len,
                                              struct hm_trustroot **out, char *why, size_t why_len);
/* The signing key with this key id, or NULL. */
const struct hm_v_tr_key *hm_v_trustroot_find_key(const struct hm_trustroot *tr, const char *keyid);

/* ---- checking a bundle's log entries against the root (tlogcheck.c) ---- */
/* Sets out->status (HM_V_OK, HM_V_LOG_PROOF_INVALID, HM_V_CHECKPOINT_SIG_INVALID,
 * HM_V_WITNESS_THRESHOLD, HM_V_MALFORMED_BUNDLE, HM_V_LIMITS_EXCEEDED) and, when one
 * verified, out->logged, log_*, n_witnesses and *log_time. */
HM_MUST_CHECK hm_err hm_v_check_tlog(const struct hm_trustroot *root, const struct hm_bundle *b,
                                     const struct hm_v_tr_key *key, const struct hm_statement *st,
                                     struct hm_verify_result *out, int64_t *log_time);
/* verify.c, shared with verify_root.c: product and anti-rollback checks (opts->product,
 * opts->installed_version), the release fields into the result, a short digest. */
void hm_v_check_release(const struct hm_statement *st, const struct hm_verify_opts *opts,
                        struct hm_verify_result *out);
void hm_v_fill_release(const struct hm_release_pred *rel, struct hm_verify_result *out);
void hm_v_short_hex(const uint8_t *d, char out[16]);
/* Writes the verdict and the one-line detail. */
void hm_v_verdict(struct hm_verify_result *out, enum hm_verify_status st, const char *fmt, ...)
    HM_PRINTF(3, 4);

#endif /* HM_VERIFY_INT_H */

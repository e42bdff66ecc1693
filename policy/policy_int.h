/*
 * policy_int.h: private to hm_policy (policy_*.c).  The parsed policy, the parsed sign
 * request and the decision under construction.  No other target sees these structs.
 */
#ifndef HM_POLICY_INT_H
#define HM_POLICY_INT_H

#include <hm/policy.h>

#include "oidc.h"
#include "sbom.h"
#include "vuln.h"

/* Only the parsers look inside a cJSON: policy_parse*.c, policy_json.c, policy_request.c,
 * policy_state.c, and policy_approval.c for the predicate of a verified approval. */
struct cJSON;
struct hm_pubkey;

#define POL_MAX_NAME       64   /* product, channel, key and approver names */
#define POL_MAX_STRING     1024 /* URIs, paths, patterns, reasons */
#define POL_MAX_LIST       256  /* channels, identities, approvers, freezes ... */
#define POL_MAX_PEM        (16u << 10)
#define POL_MAX_VEX_FILES  1000
#define POL_DEFAULT_CHAN   "stable"
#define POL_MAX_ARTIFACTS  1024
#define POL_MAX_VEX_INLINE 64
#define POL_MAX_APPROVALS  64

/* ---- JSON paths for error messages ---- */
struct pol_path {
    char s[192];
    size_t len;
};
void pol_path_init(struct pol_path *p);
/* Appends ".key" or "[i]"; returns the previous length for pol_path_pop. */
size_t pol_path_key(struct pol_path *p, const char *key);
size_t pol_path_idx(struct pol_path *p, size_t i);
void pol_path_pop(struct pol_path *p, size_t len);
/* Fills err (may be NULL) with the path and a message; returns rc. */
hm_err pol_fail(struct hm_policy_error *err, const struct pol_path *p, hm_err rc, const char *fmt,
                ...) HM_PRINTF(4, 5);

/* [a-z0-9][a-z0-9._-]{0,63}: the names the release statement accepts. */
bool pol_is_name(const char *s);
/* 1..max bytes of printable ASCII. */
bool pol_is_printable(const char *s, size_t max);
char *pol_strdup(const char *s);
/* Adds months to a day count (days since 1970-01-01), clamping the day of month. */
int64_t pol_days_add_months(int64_t days, unsigned months);
/* "YYYY-MM-DD" of a day count. */
void pol_days_format(int64_t days, char out[16]);
/* Floor division of unix seconds into days. */
int64_t pol_days_of(int64_t unix_seconds);

/* ---- the policy ---- */
enum pol_mtls_kind {
    POL_MTLS_CN = 1,  /* "cn:NAME" */
    POL_MTLS_SAN_DNS, /* "san:dns:NAME" */
    POL_MTLS_SAN_URI, /* "san:uri:URI" */
};
struct pol_mtls {
    enum pol_mtls_kind kind;
    char *value;
    char *text; /* as written */
};
struct pol_claim {
    char *name;
    char *pattern; /* exact or glob (hm_glob_match) */
};
struct pol_oidc_rule {
    char *issuer;
    struct pol_claim *claims;
    size_t n_claims;
};
struct pol_issuer {
    char *issuer;
    char *jwks; /* path as written */
    char **audiences;
    size_t n_audiences;
    uint64_t leeway;
    struct hm_oidc_issuer *loaded; /* after resolve */
};
struct pol_key_binding {
    char *channel;
    char *key;
};
struct pol_approver {
    char *name;
    char *key_ref;         /* path or inline PEM as written */
    struct hm_pubkey *key; /* after resolve (inline PEM: at parse) */
};
struct pol_freeze {
    int64_t from, to;
    char *from_text, *to_text;
    char *reason;
};

/* SBOM formats the policy may allow. */
#define POL_FMT_CDX15  0x1u
#define POL_FMT_CDX16  0x2u
#define POL_FMT_SPDX23 0x4u
#define POL_FMT_SPDX30 0x8u
#define POL_FMT_ALL    0xfu

#define POL_DIGEST_SHA256 0x1u
#define POL_DIGEST_SHA512 0x2u

struct pol_product {
    char *name;
    char *manufacturer;     /* CRA facts for the release statement; NULL when absent */
    char *security_contact; /* an email address or an https URL */
    char **channels;
    size_t n_channels; /* 0: "stable" only */

    struct pol_key_binding *keys;
    size_t n_keys;
    bool has_keys;

    bool has_identities;
    struct pol_mtls *mtls;
    size_t n_mtls;
    struct pol_oidc_rule *oidc;
    size_t n_oidc;

    bool has_version;
    char *version_pattern; /* NULL: any */
    bool monotonic;

    bool has_support;
    unsigned min_months;

    bool has_sbom;
    bool sbom_required;
    unsigned sbom_formats; /* POL_FMT_* */
    bool sbom_describes;
    unsigned sbom_minimum; /* HM_SBOM_NEED_* */

    bool has_vuln;
    char *feed, *kev, *vex_dir; /* as written; NULL when absent */
    bool deny_kev;
    bool has_max_cvss;
    double max_cvss;
    struct hm_vulnfeed *vfeed; /* after resolve */
    struct hm_vex **vex_docs;  /* after resolve: every *.json in vex_dir */
    char **vex_names;          /* "vex_dir/file.json" */
    uint8_t (*vex_sha256)[HM_SHA256_LEN];
    size_t n_vex_docs;

    bool has_approvals;
    unsigned approvals_required;
    struct pol_approver *approvers;
    size_t n_approvers;

    bool has_windows;
    struct pol_freeze *freezes;
    size_t n_freezes;
    bool has_hours;
    unsigned hour_from, hour_to; /* [from, to) in UTC; wraps midnight when from > to */
    bool has_max_size;
    uint64_t max_size;
    unsigned digests; /* POL_DIGEST_*: every artifact must carry these; 0: no rule */
};

struct hm_policy {
    uint8_t sha256[HM_SHA256_LEN];
    bool resolved;
    bool needs_files; /* names a file that hm_policy_resolve must read */
    struct pol_product *products;
    size_t n_products;
    struct pol_issuer *issuers;
    size_t n_issuers;
    char *verifier_id; /* NULL when no "vsa" */
    char *policy_uri;
    struct pol_steward *stewards; /* policy_steward.c; NULL when no "stewards" */
    size_t n_stewards;
};

/* One entry of "stewards": projects (purl patterns) -> identities and key.  The
 * identities live in a pol_product (name = the entry's label) so that the identity rule
 * of products serves stewards unchanged. */
struct pol_steward {
    char **projects;
    size_t n_projects;
    char *key;
    struct pol_product who;
};
/* policy_steward.c */
HM_MUST_CHECK hm_err pol_parse_stewards(const struct cJSON *root, struct hm_policy *p,
                                        struct pol_path *path, struct hm_policy_error *err);
void pol_stewards_free(struct hm_policy *p);

/* policy_parse_product.c */
HM_MUST_CHECK hm_err pol_parse_product(const struct cJSON *obj, struct pol_product *out,
                                       struct pol_path *path, struct hm_policy_error *err);
void pol_product_clear(struct pol_product *p);
/* policy_parse_rules.c: the rule sections of a product. */
HM_MUST_CHECK hm_err pol_parse_sbom(const struct cJSON *obj, struct pol_product *out,
                                    struct pol_path *path, struct hm_policy_error *err);
HM_MUST_CHECK hm_err pol_parse_vuln(const struct cJSON *obj, struct pol_product *out,
                                    struct pol_path *path, struct hm_policy_error *err);
HM_MUST_CHECK hm_err pol_parse_approvals(const struct cJSON *obj, struct pol_product *out,
                                         struct pol_path *path, struct hm_policy_error *err);
HM_MUST_CHECK hm_err pol_parse_windows(const struct cJSON *obj, struct pol_product *out,
                                       struct pol_path *path, struct hm_policy_error *err);
HM_MUST_CHECK hm_err pol_parse_identities(const struct cJSON *obj, struct pol_product *out,
                                          struct pol_path *path, struct hm_policy_error *err);
const struct pol_product *pol_find_product(const struct hm_policy *p, const char *name);
/* policy_resolve.c: two approvers with one key would let one person count twice. */
HM_MUST_CHECK hm_err pol_check_approver_keys(const struct hm_policy *p,
                                             struct hm_policy_error *err);

/* ---- the request ---- */
struct hm_policy_request {
    uint8_t *body; /* a copy of the bytes received; blobs point into it */
    size_t body_len;
    uint8_t sha256[HM_SHA256_LEN];
    char *product, *channel, *version, *support_end;
    struct hm_policy_artifact *artifacts;
    size_t n_artifacts;
    struct hm_policy_blob sbom, provenance;
    struct hm_policy_blob *vex;
    size_t n_vex;
    struct hm_policy_blob *approvals;
    size_t n_approvals;
};

/* policy_span.c: where the members of a validated JSON document sit. */
struct pol_span {
    size_t off, len;
};
/* Finds the value of the top-level member key in a JSON object already validated by
 * hm_json_parse.  HM_E_NOTFOUND when absent. */
HM_MUST_CHECK hm_err pol_span_member(const uint8_t *buf, size_t len, const char *key,
                                     struct pol_span *out);
/* The spans of the elements of the array at span arr: *out malloc'ed (NULL if empty). */
HM_MUST_CHECK hm_err pol_span_elements(const uint8_t *buf, struct pol_span arr,
                                       struct pol_span **out, size_t *n);

/* ---- the decision ---- */
struct hm_policy_decision {
    bool allowed;
    char *product, *channel, *version;
    char *key;
    char *identity;
    uint8_t policy_sha256[HM_SHA256_LEN];
    char *verifier_id, *policy_uri;
    bool has_sbom;
    uint8_t sbom_sha256[HM_SHA256_LEN];
    struct hm_policy_reason *reasons;
    size_t n_reasons, cap_reasons;
    struct hm_policy_finding *findings;
    size_t n_findings, cap_findings;
    struct hm_policy_input *inputs;
    size_t n_inputs, cap_inputs;
    hm_err err; /* sticky: the first allocation failure */
};

/* policy_decision.c */
void pol_deny(struct hm_policy_decision *d, const char *rule, const char *hint, const char *fmt,
              ...) HM_PRINTF(4, 5);
void pol_add_input(struct hm_policy_decision *d, const char *kind, const char *name,
                   const uint8_t sha256[HM_SHA256_LEN]);
/* Takes ownership of nothing: strings are copied. */
void pol_add_finding(struct hm_policy_decision *d, const struct hm_policy_finding *f);

/* The context every rule gets. */
struct pol_eval {
    const struct hm_policy *policy;
    const struct pol_product *prod;
    const struct hm_policy_request *req;
    const struct hm_policy_identity *who;
    const struct hm_policy_state *state;
    int64_t now;
    struct hm_policy_decision *d;
    struct hm_sbom *sbom; /* parsed by the SBOM rule for the vulnerability rule; or NULL */
};

/* One function per rule family; each appends its failures to e->d and returns HM_OK, or
 * an error when it could not decide (memory, the state store). */
HM_MUST_CHECK hm_err pol_rule_identity(struct pol_eval *e);
HM_MUST_CHECK hm_err pol_rule_channel_key(struct pol_eval *e);
HM_MUST_CHECK hm_err pol_rule_windows(struct pol_eval *e);
HM_MUST_CHECK hm_err pol_rule_version(struct pol_eval *e);
HM_MUST_CHECK hm_err pol_rule_support(struct pol_eval *e);
HM_MUST_CHECK hm_err pol_rule_sbom(struct pol_eval *e);
HM_MUST_CHECK hm_err pol_rule_vulnerabilities(struct pol_eval *e);
HM_MUST_CHECK hm_err pol_rule_approvals(struct pol_eval *e);
/* Parses the request's SBOM once for the SBOM and vulnerability rules (into e->sbom);
 * HM_E_NOTFOUND when the request has none; why says why it could not be read. */
HM_MUST_CHECK hm_err pol_sbom_get(struct pol_eval *e, char *why, size_t why_len);

#endif /* HM_POLICY_INT_H */

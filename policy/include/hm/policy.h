/*
 * hm/policy.h: the release policy.  Semantic Versioning 2.0.0 parsing and ordering
 * (which the store's anti-rollback check also uses), then the policy file, the sign
 * request, and the evaluation of one against the other.
 */
#ifndef HM_POLICY_H
#define HM_POLICY_H

#include <hm/common.h>

#define HM_SEMVER_MAX_LEN 128

/* Checks s against SemVer 2.0.0 (no leading zeros in numeric identifiers, no empty
 * identifiers, [0-9A-Za-z-] only, at most HM_SEMVER_MAX_LEN bytes, each of major,
 * minor, patch <= 2^53).  HM_E_INVALID with a reason otherwise. */
HM_MUST_CHECK hm_err hm_semver_check(const char *s, char *why, size_t why_len);
/* Compares two valid versions by SemVer 2.0.0 precedence (build metadata ignored):
 * <0, 0, >0.  HM_E_INVALID if either is not valid. */
HM_MUST_CHECK hm_err hm_semver_cmp(const char *a, const char *b, int *out);
/* The major version number of a valid version. */
HM_MUST_CHECK hm_err hm_semver_major(const char *s, uint64_t *out);

/* ==== the release policy (docs/policy.md) ====
 *
 * A policy file (JSON, "version": 1) lists products and, per product, optional rules:
 * identity, key binding, version, support period, SBOM, vulnerabilities, approvals,
 * windows and limits.  hm_policy_evaluate() checks one sign request against it and the
 * signer's state and returns a decision: allow with obligations (the key to sign with,
 * the SBOM digest to bind, the VSA fields), or deny with every failing rule, its reason
 * and a hint a release manager can act on.  Evaluation never touches a key and never
 * logs a token.
 */

#define HM_POLICY_MAX_BYTES         ((size_t)1 << 20) /* the policy file */
#define HM_POLICY_REQUEST_MAX_BYTES ((size_t)8 << 20) /* a sign request, SBOM inline */
#define HM_POLICY_MAX_PRODUCTS      1024
#define HM_POLICY_VSA_LEVEL         "HALLMARK_RELEASE_POLICY_V1"
#define HM_PREDICATE_APPROVAL       "https://hallmark.dev/attestation/approval/v1"
#define HM_PREDICATE_VSA            "https://slsa.dev/verification_summary/v1"

struct hm_policy;
struct hm_policy_request;
struct hm_policy_decision;

/* Where a policy file or a request is wrong. */
struct hm_policy_error {
    char path[192];    /* JSON path: "$.products[2].sbom.formats[0]"; "$" for the document */
    size_t offset;     /* byte offset of a syntax fault (0 when the fault is not syntax) */
    char message[256]; /* what is wrong, for people */
};

/* ---- the policy file ---- */
/* Parses and validates a policy (structure, types, values; unknown keys refused
 * everywhere).  Files it names (JWKS, approver keys, advisories) are not read: see
 * hm_policy_resolve.  HM_E_INVALID or HM_E_LIMIT with err filled; *out NULL on failure. */
HM_MUST_CHECK hm_err hm_policy_parse(const void *buf, size_t len, struct hm_policy **out,
                                     struct hm_policy_error *err);
/* Reads the files the policy names, relative to base_dir (the policy file's folder):
 * issuers' JWKS, approvers' public keys, advisory feeds, KEV lists, VEX folders.  An
 * error names the JSON path of the key that names the file. */
HM_MUST_CHECK hm_err hm_policy_resolve(struct hm_policy *p, const char *base_dir,
                                       struct hm_policy_error *err);
/* hm_read_file + hm_policy_parse + hm_policy_resolve(folder of path). */
HM_MUST_CHECK hm_err hm_policy_load(const char *path, struct hm_policy **out,
                                    struct hm_policy_error *err);
void hm_policy_free(struct hm_policy *p);
/* SHA-256 of the exact bytes parsed (32 bytes; goes into every decision and VSA). */
const uint8_t *hm_policy_sha256(const struct hm_policy *p);
/* Whether the policy has a section for product. */
bool hm_policy_has_product(const struct hm_policy *p, const char *product);

/* ---- the sign request (DESIGN.md "Interfaces") ---- */
struct hm_policy_artifact {
    const char *name;
    uint64_t size;
    bool has_sha256, has_sha512;
    uint8_t sha256[HM_SHA256_LEN];
    uint8_t sha512[HM_SHA512_LEN];
};
/* A member of the request kept as the exact bytes received (its digest is over them). */
struct hm_policy_blob {
    const uint8_t *data; /* points into the request's copy of the body; NULL when absent */
    size_t len;
    uint8_t sha256[HM_SHA256_LEN];
};

/* Parses a sign request strictly: unknown fields refused, limits, charsets.  On failure
 * err has the byte offset (syntax) or the JSON path (values); *out NULL. */
HM_MUST_CHECK hm_err hm_policy_request_parse(const void *body, size_t len,
                                             struct hm_policy_request **out,
                                             struct hm_policy_error *err);
void hm_policy_request_free(struct hm_policy_request *req);
const char *hm_policy_request_product(const struct hm_policy_request *req);
const char *hm_policy_request_channel(const struct hm_policy_request *req); /* "stable" if absent */
const char *hm_policy_request_version(const struct hm_policy_request *req);
const char *hm_policy_request_support_end(const struct hm_policy_request *req); /* or NULL */
const struct hm_policy_artifact *hm_policy_request_artifacts(const struct hm_policy_request *req,
                                                             size_t *n);
/* The SBOM, provenance, i-th VEX document and i-th approval as received. */
const struct hm_policy_blob *hm_policy_request_sbom(const struct hm_policy_request *req);
const struct hm_policy_blob *hm_policy_request_provenance(const struct hm_policy_request *req);
size_t hm_policy_request_n_vex(const struct hm_policy_request *req);
const struct hm_policy_blob *hm_policy_request_vex(const struct hm_policy_request *req, size_t i);
size_t hm_policy_request_n_approvals(const struct hm_policy_request *req);
const struct hm_policy_blob *hm_policy_request_approval(const struct hm_policy_request *req,
                                                        size_t i);
/* SHA-256 of the whole body (for the audit record). */
const uint8_t *hm_policy_request_sha256(const struct hm_policy_request *req);

/* ---- who asks ---- */
struct hm_policy_identity {
    const char *cn; /* mTLS subject CN; NULL when none */
    const char *const *san_dns;
    size_t n_san_dns;
    const char *const *san_uri;
    size_t n_san_uri;
    const char *bearer; /* the raw JWT of "Authorization: Bearer"; NULL when none.  Never
                           logged, never copied into a decision. */
};

/* ---- the signer's state, read through the caller (the store) ---- */
struct hm_policy_state {
    void *ctx;
    /* The highest version signed for (product, channel): HM_OK with out filled,
     * HM_E_NOTFOUND when none, another error when the store fails. */
    hm_err (*highest)(void *ctx, const char *product, const char *channel, char *out,
                      size_t out_len);
    /* Unix time of the first release of that major version of product (any channel):
     * HM_OK, HM_E_NOTFOUND when none, another error when the store fails. */
    hm_err (*first_release)(void *ctx, const char *product, uint64_t major, int64_t *out);
};

/* The state given as a document rather than by the store (`hallmark policy check --state`,
 * tests): the releases already signed, {"releases": [{"product", "channel"? (default
 * "stable"), "version" (SemVer), "date" ("YYYY-MM-DD")}]}, parsed strictly. */
struct hm_policy_releases;
HM_MUST_CHECK hm_err hm_policy_releases_parse(const void *buf, size_t len,
                                              struct hm_policy_releases **out,
                                              struct hm_policy_error *err);
void hm_policy_releases_free(struct hm_policy_releases *r);
/* Fills out with callbacks that answer from r (which must outlive every use of out). */
void hm_policy_releases_state(const struct hm_policy_releases *r, struct hm_policy_state *out);

/* Evaluates req against p, who asks and the state at time now (unix seconds).  Every rule
 * of the product runs and every failure is reported.  HM_OK when a decision was made
 * (allow or deny: see hm_policy_decision_allowed); an error (HM_E_NOMEM, HM_E_BACKEND from
 * the state, HM_E_INVALID for an unresolved policy that names files) when none could be. */
HM_MUST_CHECK hm_err hm_policy_evaluate(const struct hm_policy *p,
                                        const struct hm_policy_request *req,
                                        const struct hm_policy_identity *who,
                                        const struct hm_policy_state *state, int64_t now,
                                        struct hm_policy_decision **out);
void hm_policy_decision_free(struct hm_policy_decision *d);

/* ---- the decision ---- */
struct hm_policy_reason {
    const char *rule;   /* "product", "identity", "channel", "key", "version", "support",
                           "sbom", "vulnerabilities", "approvals", "windows" */
    const char *reason; /* what failed, with the values involved */
    const char *hint;   /* what a release manager can do about it */
};
enum hm_policy_finding_status {
    HM_FINDING_DENIED = 1, /* affected, and above the threshold or known exploited */
    HM_FINDING_CLEARED,    /* a VEX statement says not_affected (with justification) or fixed */
    HM_FINDING_ACCEPTED,   /* affected, but below the threshold and not known exploited */
};
struct hm_policy_finding {
    const char *id;        /* OSV id or CVE */
    const char *component; /* name of the SBOM component */
    const char *version;   /* its version */
    const char *purl;      /* its purl */
    double cvss;           /* base score; < 0 when the advisory gives none */
    bool kev;              /* in the known-exploited list */
    enum hm_policy_finding_status status;
    const char *vex;   /* which statement cleared it ("vex[0] @id: not_affected:
                              vulnerable_code_not_present"); NULL when not cleared */
    const char *fixed; /* first fixed version from the advisory; NULL when unknown */
};
/* A VSA input attestation or document (resource descriptor). */
struct hm_policy_input {
    const char *kind; /* "sbom", "vex", "approval", "provenance" */
    const char *name; /* "request.sbom", "request.vex[0]", "vex/openssl.json", ... */
    uint8_t sha256[HM_SHA256_LEN];
};

bool hm_policy_decision_allowed(const struct hm_policy_decision *d);
/* The key name bound to (product, channel) by the policy; NULL when it binds none. */
const char *hm_policy_decision_key(const struct hm_policy_decision *d);
/* Who asked, as the matching rule names it ("cn:ci-acme", "oidc:ISSUER:SUB"); or NULL. */
const char *hm_policy_decision_identity(const struct hm_policy_decision *d);
size_t hm_policy_decision_n_reasons(const struct hm_policy_decision *d);
const struct hm_policy_reason *hm_policy_decision_reason(const struct hm_policy_decision *d,
                                                         size_t i);
size_t hm_policy_decision_n_findings(const struct hm_policy_decision *d);
const struct hm_policy_finding *hm_policy_decision_finding(const struct hm_policy_decision *d,
                                                           size_t i);
/* The SBOM's SHA-256 (over its bytes in the request) to bind into the release statement;
 * NULL when the request carries no SBOM. */
const uint8_t *hm_policy_decision_sbom_sha256(const struct hm_policy_decision *d);
/* VSA fields: verifier id and policy URI from the policy (NULL when it has no "vsa"),
 * the policy's SHA-256, and the inputs (SBOM, VEX documents, approvals, provenance). */
const char *hm_policy_decision_verifier_id(const struct hm_policy_decision *d);
const char *hm_policy_decision_policy_uri(const struct hm_policy_decision *d);
const uint8_t *hm_policy_decision_policy_sha256(const struct hm_policy_decision *d);
size_t hm_policy_decision_n_inputs(const struct hm_policy_decision *d);
const struct hm_policy_input *hm_policy_decision_input(const struct hm_policy_decision *d,
                                                       size_t i);
/* The decision as JSON: {"decision":"allow"|"deny","product",...,"reasons":[...],
 * "findings":[...],"obligations":{...}}.  *out malloc'ed, NUL-terminated. */
HM_MUST_CHECK hm_err hm_policy_decision_to_json(const struct hm_policy_decision *d, char **out,
                                                size_t *len);

/* ---- steward attestations (CRA Art. 25): who may issue for which project ----
 * The policy's optional "stewards" section (docs/policy.md) binds projects, named by purl
 * pattern (exact or glob, e.g. "pkg:github/curl/" followed by a star), to the identities that may issue
 * attestations for them (the same identity matchers as products: mTLS and OIDC) and to
 * the key that signs them.  HM_OK with *key_out (the key name; a view into p) when who may
 * issue for project_purl; HM_E_DENIED with why filled when not (unknown project and
 * unauthorised identity read alike); HM_E_NOTFOUND when the policy has no stewards
 * section. */
HM_MUST_CHECK hm_err hm_policy_steward_authorise(const struct hm_policy *p,
                                                 const struct hm_policy_identity *who,
                                                 const char *project_purl, int64_t now,
                                                 const char **key_out, char *why, size_t why_len);

/* ---- what the daemon reads from a loaded policy ---- */
/* Calls fn with every key name the policy binds (products[].keys, stewards[].key) and the
 * JSON path that names it ("$.products[0].keys.stable"); stops at fn's first error. */
typedef hm_err (*hm_policy_key_fn)(void *ctx, const char *path, const char *key);
HM_MUST_CHECK hm_err hm_policy_each_key(const struct hm_policy *p, hm_policy_key_fn fn, void *ctx);
/* Whether product has its own "identities" rule (else the daemon's config authorises). */
bool hm_policy_product_has_identities(const struct hm_policy *p, const char *product);
/* The product's CRA facts for the release statement ("manufacturer", "security_contact");
 * NULL when the policy gives none. */
void hm_policy_product_facts(const struct hm_policy *p, const char *product,
                             const char **manufacturer, const char **security_contact);

#endif /* HM_POLICY_H */

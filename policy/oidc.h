/*
 * oidc.h (private to policy/): CI OIDC bearer tokens checked offline, and the glob
 * matcher the claim rules use.
 *
 * A CI job (GitHub Actions, GitLab CI) presents a JWT its CI issued.  We verify it
 * against a JWKS file configured per issuer, never fetching anything: RS256 (RSA
 * >= 2048 bits) and ES256 (P-256) only, the algorithm fixed by the key's type, so that
 * "alg":"none", HS256 keyed with a public key, or an RS256 header naming an EC key
 * (algorithm confusion) are refused.  Tokens are bearer credentials: nothing here logs
 * them or copies them into a reason; reasons name the failing header field or claim.
 *
 * Errors of hm_oidc_verify (the `why` text is exact and stable, tests assert it):
 *   HM_E_LIMIT    token longer than HM_OIDC_MAX_TOKEN, or a JSON part over its limits
 *   HM_E_INVALID  not a compact JWS: not 3 segments, bad base64url (padding '=' included),
 *                 header/payload not a JSON object, duplicate claim or header field,
 *                 a header field not allowed (jku, jwk, x5u, crit, ...), kid missing,
 *                 a registered claim of the wrong type, exp missing
 *   HM_E_DENIED   alg "none", HS256/any alg not in the issuer's allowed set, iss not a
 *                 configured issuer, aud not allowed, expired, not yet valid (nbf),
 *                 issued in the future (iat)
 *   HM_E_VERIFY   no key with that kid, the kid's key is of another type than alg
 *                 (confusion), the signature does not verify
 */
#ifndef HM_POLICY_OIDC_H
#define HM_POLICY_OIDC_H

#include <hm/common.h>

#define HM_OIDC_MAX_TOKEN     (16 * 1024) /* bytes of a compact JWS */
#define HM_OIDC_MAX_JWKS      (256 * 1024)
#define HM_OIDC_MAX_KEYS      64
#define HM_OIDC_MAX_AUDIENCES 16
#define HM_OIDC_MAX_LEEWAY    600  /* seconds */
#define HM_OIDC_MAX_CLAIM     1024 /* bytes of one string claim we keep */

/* Allowed signature algorithms, as a bit set. */
#define HM_OIDC_ALG_RS256 0x1u
#define HM_OIDC_ALG_ES256 0x2u

/* One configured issuer, as the policy file gives it. */
struct hm_oidc_issuer_config {
    const char *issuer;    /* exact "iss", e.g. https://token.actions.githubusercontent.com */
    const char *jwks_path; /* JWKS file, read once at load */
    const char *const *audiences; /* allowed "aud" values, at least one */
    size_t n_audiences;           /* 1..HM_OIDC_MAX_AUDIENCES */
    int64_t leeway;               /* seconds of clock skew allowed, 0..HM_OIDC_MAX_LEEWAY */
    unsigned algs;                /* HM_OIDC_ALG_* bits; 0 means both */
};

struct hm_oidc_issuer; /* the config copied, and its JWKS parsed into OpenSSL keys */
struct hm_oidc_claims; /* the verified payload */

/* Copies cfg and parses the JWKS file at cfg->jwks_path.  HM_E_INVALID (with why) for a bad
 * config or JWKS (unknown kty/crv, duplicate kid, RSA < 2048 bits, unknown member),
 * HM_E_IO/HM_E_NOTFOUND when the file cannot be read, HM_E_LIMIT when it is too large. */
HM_MUST_CHECK hm_err hm_oidc_issuer_load(const struct hm_oidc_issuer_config *cfg,
                                         struct hm_oidc_issuer **out, char *why, size_t why_len);
/* The same with the JWKS document in memory (cfg->jwks_path is ignored). */
HM_MUST_CHECK hm_err hm_oidc_issuer_from_jwks(const struct hm_oidc_issuer_config *cfg,
                                              const void *jwks, size_t jwks_len,
                                              struct hm_oidc_issuer **out, char *why,
                                              size_t why_len);
void hm_oidc_issuer_free(struct hm_oidc_issuer *iss);
const char *hm_oidc_issuer_url(const struct hm_oidc_issuer *iss);
size_t hm_oidc_issuer_n_keys(const struct hm_oidc_issuer *iss);

/* Verifies token[0..len) at time now (Unix seconds).  The unverified "iss" only selects
 * which issuer's keys to try; the key is the one named by the header's "kid".  After the
 * signature: iss equals the issuer exactly, aud (a string or an array of strings)
 * contains an allowed audience, exp is required and now < exp + leeway, nbf (if present)
 * <= now + leeway, iat (if present) <= now + leeway.  On success *out holds the claims;
 * on failure *out is NULL and why names the failing field (never the token). */
HM_MUST_CHECK hm_err hm_oidc_verify(const struct hm_oidc_issuer *const *issuers, size_t n,
                                    const char *token, size_t len, int64_t now,
                                    struct hm_oidc_claims **out, char *why, size_t why_len);

/* A top-level string claim of a verified token, or NULL when absent or not a string:
 * "iss", "sub", "repository", "repository_id", "repository_owner", "ref", "ref_type",
 * "workflow_ref", "job_workflow_ref", "environment", "runner_environment", ...
 * "aud" returns the allowed audience that matched (also when aud was an array).
 * Numeric claims: hm_oidc_claim_int. */
const char *hm_oidc_claim_string(const struct hm_oidc_claims *c, const char *name);
/* A top-level integral number claim ("exp", "iat", "nbf", ...): true and *out set when
 * present and integral. */
bool hm_oidc_claim_int(const struct hm_oidc_claims *c, const char *name, int64_t *out);
void hm_oidc_claims_free(struct hm_oidc_claims *c);

/* Glob match of a whole string, for claim matchers such as ref = "refs/tags/v*":
 *   '*' matches any run of characters, including none and including '/'
 *   '?' matches exactly one byte
 *   every other byte matches itself; there are no character classes and no escapes,
 *   so a literal '*' or '?' in the text is matched by a wildcard only.
 * Iterative with one backtrack point: O(len(pattern) * len(text)) in the worst case,
 * never exponential.  NULL pattern or text: false. */
bool hm_glob_match(const char *pattern, const char *text);

#endif /* HM_POLICY_OIDC_H */

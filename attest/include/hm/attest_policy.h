/*
 * hm/attest_policy.h: the statements the release policy produces and consumes, built by
 * hm_attest (attest/vsa.c, attest/approval.c):
 *   - the SLSA Verification Summary Attestation v1 that records an allow decision
 *     (formats.md 1.4), signed with the release;
 *   - the approval statement of a release manager (predicate HM_APPROVAL_PREDICATE),
 *     and the bare DSSE envelope it travels in (not a bundle: approvals go into the
 *     sign request's "approvals" list).
 * Like every attest/ builder: deterministic bytes (fixed key order, no whitespace), and
 * never a key: the caller signs the PAE through an hm_sign_fn.
 */
#ifndef HM_ATTEST_POLICY_H
#define HM_ATTEST_POLICY_H

#include <hm/attest.h>

#define HM_VSA_PREDICATE      "https://slsa.dev/verification_summary/v1"
#define HM_VSA_LEVEL_RELEASE  "HALLMARK_RELEASE_POLICY_V1"
#define HM_APPROVAL_PREDICATE "https://hallmark.dev/attestation/approval/v1"
#define HM_VSA_MAX_INPUTS     256
#define HM_VSA_MAX_LEVELS     16
#define HM_ATTEST_MAX_URI     1024

/* ---- SLSA VSA v1 ---- */
struct hm_vsa_input { /* one entry of inputAttestations: a ResourceDescriptor */
    const char *name; /* e.g. "request.sbom"; printable ASCII */
    const char *uri;  /* NULL when the input has no URI */
    uint8_t sha256[HM_SHA256_LEN];
};

struct hm_vsa {
    const char *verifier_id;      /* URI, required */
    const char *verifier_version; /* "0.1.0": emitted as {"hallmark": ...}; NULL for none */
    const char *resource_uri;     /* URI, required (e.g. "pkg:generic/acme-thermostat@1.4.2") */
    const char *policy_uri;       /* URI, required */
    const uint8_t *policy_sha256; /* 32 bytes; NULL to leave the digest out */
    const struct hm_artifact *artifacts; /* the subjects: sha256 and sha512 each */
    size_t n_artifacts;                  /* 1..HM_MAX_SUBJECTS */
    const struct hm_vsa_input *inputs;
    size_t n_inputs; /* 0..HM_VSA_MAX_INPUTS; all of the decision's inputs */
    /* verifiedLevels; none: HM_VSA_LEVEL_RELEASE alone.  Custom levels must not start with
     * SLSA_ (formats.md 1.4). */
    const char *const *levels;
    size_t n_levels;
    bool passed;           /* verificationResult PASSED or FAILED */
    int64_t time_verified; /* unix seconds */
};

/* Serialises the VSA statement (in-toto Statement v1, predicate HM_VSA_PREDICATE).
 * HM_E_INVALID for a missing or malformed field; *out malloc'ed. */
HM_MUST_CHECK hm_err hm_vsa_statement(const struct hm_vsa *vsa, uint8_t **out, size_t *len);

/* ---- approvals ---- */
struct hm_approval {
    const char *product;                 /* [a-z0-9][a-z0-9._-]{0,63} */
    const char *version;                 /* 1..128 bytes of printable ASCII */
    const char *approver;                /* NULL or 1..1024 bytes of printable ASCII */
    const char *comment;                 /* NULL or 1..1024 bytes of printable ASCII */
    const struct hm_artifact *artifacts; /* the subjects: sha256 and sha512 each */
    size_t n_artifacts;
};

/* Serialises the approval statement: subjects = the artifacts, predicate {product,
 * version, approver?, comment?}. */
HM_MUST_CHECK hm_err hm_approval_statement(const struct hm_approval *a, uint8_t **out, size_t *len);

/* A bare DSSE envelope: {"payload","payloadType","signatures":[{"keyid","sig"}]}, base64
 * standard with padding.  *out malloc'ed, NUL-terminated. */
HM_MUST_CHECK hm_err hm_dsse_envelope_encode(const char *payload_type, const uint8_t *payload,
                                             size_t len, const char *keyid, const uint8_t *sig,
                                             size_t sig_len, char **out, size_t *out_len);
/* PAE, sign(ctx), then hm_dsse_envelope_encode. */
HM_MUST_CHECK hm_err hm_dsse_envelope_sign(const char *payload_type, const uint8_t *payload,
                                           size_t len, const char *keyid, hm_sign_fn sign,
                                           void *ctx, char **out, size_t *out_len);

#endif /* HM_ATTEST_POLICY_H */

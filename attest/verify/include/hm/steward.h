/*
 * hm/steward.h: voluntary security attestations of open-source stewards (CRA Art. 24 and
 * 25), predicate HM_PREDICATE_STEWARD (docs/steward-attestation.md,
 * docs/schemas/steward-attestation-v1.schema.json).
 *
 * Issuing: hm_steward_parse_input() reads a steward's input file strictly (every error
 * names its JSON path), hm_steward_statement() writes the in-toto Statement v1
 * deterministically, and the caller signs it with hm_bundle_sign() (hm/attest.h): the CLI
 * against a token, the daemon after its policy allowed the steward.
 * Reading: hm_steward_parse_predicate() reads a statement from verified payload bytes,
 * and hm_steward_check() says whether it is current and about the expected project.
 * Nothing here touches a key, and all of it depends on hm/json.h and common/ only: it is
 * part of libhallmark-verify (attest/verify/steward_*.c), whose hm_verify_steward_bundle
 * (hm/verify.h) checks a signed bundle of it.
 */
#ifndef HM_STEWARD_H
#define HM_STEWARD_H

#include <hm/common.h>

#define HM_PREDICATE_STEWARD "https://hallmark.dev/attestation/cra-steward/v1"

#define HM_STEWARD_INPUT_MAX_BYTES (256u << 10) /* the input file */
#define HM_STEWARD_MAX_SUBJECTS    256
#define HM_STEWARD_MAX_VERSIONS    64 /* project.versionsCovered */
#define HM_STEWARD_MAX_EVIDENCE    16 /* per requirement */
#define HM_STEWARD_MAX_URI         1024
#define HM_STEWARD_GIT_COMMIT_MAX  64 /* SHA-1 (40) or SHA-256 (64) object names */

/* ---- the CRA Annex I items an attestation may cover (docs/steward-attestation.md) ---- */
/* Ids in Annex order: "annexI.partI.1", "annexI.partI.2.a" .. "annexI.partI.2.m",
 * "annexI.partII.1" .. "annexI.partII.8". */
size_t hm_cra_item_count(void);
const char *hm_cra_item_id(size_t i);    /* NULL past the end */
const char *hm_cra_item_title(size_t i); /* a short title in plain words */
/* The index of a known id, or -1. */
int hm_cra_item_find(const char *id);

enum hm_steward_status {
    HM_STEWARD_MET = 1,
    HM_STEWARD_PARTIALLY,
    HM_STEWARD_NOT_ASSESSED,
    HM_STEWARD_NOT_APPLICABLE,
};
enum hm_steward_method {
    HM_STEWARD_METHOD_NONE = 0, /* only for not_assessed requirements */
    HM_STEWARD_SELF_ASSESSED,
    HM_STEWARD_THIRD_PARTY,
};
enum hm_steward_evidence_type {
    HM_EVIDENCE_SBOM = 1,
    HM_EVIDENCE_PROVENANCE,
    HM_EVIDENCE_VEX,
    HM_EVIDENCE_SCORECARD,
    HM_EVIDENCE_TEST_REPORT,
    HM_EVIDENCE_OTHER,
};
enum hm_steward_assessor_type {
    HM_ASSESSOR_STEWARD = 1,
    HM_ASSESSOR_THIRD_PARTY,
};
/* The JSON names: "met", "self-assessed", "test-report", "third-party", ... */
const char *hm_steward_status_name(enum hm_steward_status s);
const char *hm_steward_method_name(enum hm_steward_method m);
const char *hm_steward_evidence_name(enum hm_steward_evidence_type t);
const char *hm_steward_assessor_name(enum hm_steward_assessor_type t);

/* ---- the parsed attestation: read-only for callers, freed with hm_steward_free ---- */
struct hm_steward_subject {
    char *name;
    bool has_sha256, has_sha512;
    uint8_t sha256[HM_SHA256_LEN];
    uint8_t sha512[HM_SHA512_LEN];
    char git_commit[HM_STEWARD_GIT_COMMIT_MAX + 1]; /* lowercase hex; "" when absent */
};
struct hm_steward_evidence {
    enum hm_steward_evidence_type type;
    char *uri; /* https */
    uint8_t sha256[HM_SHA256_LEN];
};
struct hm_steward_requirement {
    size_t item; /* index into the CRA item table (hm_cra_item_id) */
    enum hm_steward_status status;
    enum hm_steward_method method;
    struct hm_steward_evidence *evidence;
    size_t n_evidence;
    char *comment; /* NULL when absent */
};
struct hm_steward {
    struct hm_steward_subject *subjects; /* 1..HM_STEWARD_MAX_SUBJECTS */
    size_t n_subjects;
    struct {
        char *name;
        char *purl;       /* without a version: the versions are in versions[] */
        char *repository; /* https */
        char **versions;  /* versions ("1.3.1") or SemVer ranges (">=1.3.0 <1.4.0") */
        size_t n_versions;
    } project;
    struct {
        char *legal_name;
        char *contact;      /* an email address or an https URL */
        char *security_txt; /* https, NULL when absent; at least one of the two */
        char *cvd_policy;   /* https, NULL when absent */
    } steward;
    struct {
        char *uri; /* https */
        uint8_t sha256[HM_SHA256_LEN];
    } policy; /* the cybersecurity policy (Art. 24(1)) */
    struct {
        char *end;    /* "YYYY-MM-DD" or NULL; at least one of end and policy */
        char *policy; /* text or NULL */
    } support;
    struct hm_steward_requirement *requirements; /* in Annex I order, each item once */
    size_t n_requirements;
    struct {
        char *name;
        enum hm_steward_assessor_type type;
        char *programme; /* NULL when absent */
    } assessor;
    int64_t time_assessed; /* unix seconds */
    int64_t expires;       /* unix seconds, later than time_assessed */
};
void hm_steward_free(struct hm_steward *st);

/* Reads a steward's input file: {"subject": [...], "predicate": {...}} (the statement
 * without _type and predicateType; docs/steward-attestation.md).  Strict: unknown and
 * duplicate keys, wrong types, unknown enum values and requirement ids, a requirement
 * listed twice, met/partially without evidence, URLs that are not https, digests that
 * are not lowercase hex of the right length, a bad purl, timeAssessed later than now
 * (5 minutes of clock skew allowed), expires not later than timeAssessed or not later
 * than now.  HM_E_INVALID (HM_E_LIMIT for sizes and counts) with why =
 * "<JSON path>: <reason>", e.g. "predicate.requirements[2].status: ..."; *out NULL. */
HM_MUST_CHECK hm_err hm_steward_parse_input(const uint8_t *buf, size_t len, int64_t now,
                                            struct hm_steward **out, char *why, size_t why_len);

/* The in-toto Statement v1 (predicate HM_PREDICATE_STEWARD), deterministic: keys in a
 * fixed order, requirements in Annex I order, times as "YYYY-MM-DDTHH:MM:SSZ", no
 * whitespace.  Sign these bytes with hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, ...). */
HM_MUST_CHECK hm_err hm_steward_statement(const struct hm_steward *st, uint8_t **out, size_t *len);

/* Reads a steward statement from payload bytes whose signature has been verified.  The
 * statement may carry unknown fields (in-toto), subjects other digests; the predicate is
 * ours and read as strictly as the input (but without the checks against now). */
HM_MUST_CHECK hm_err hm_steward_parse_predicate(const uint8_t *payload, size_t len,
                                                struct hm_steward **out, char *why, size_t why_len);

/* ---- is it current, and about the project the caller cares about? ---- */
enum hm_steward_verdict {
    HM_STEWARD_OK = 0,
    HM_STEWARD_EXPIRED,       /* now is not before expires (or before timeAssessed) */
    HM_STEWARD_WRONG_PROJECT, /* another project name or purl */
    HM_STEWARD_NOT_COVERED,   /* the project's version is not among versionsCovered */
    HM_STEWARD_MALFORMED,     /* no attestation, or one that breaks the predicate's rules */
};
const char *hm_steward_verdict_name(enum hm_steward_verdict v); /* "expired", ... */

struct hm_steward_expect {
    const char *name;    /* project.name must equal it; NULL: not checked */
    const char *purl;    /* purl of the project, with or without "@version": type,
                            namespace and name must equal project.purl's; NULL: not checked */
    const char *version; /* must be covered (also taken from purl's @version); NULL: not
                            checked */
};
/* now: unix seconds (required: an attestation is only ever checked at a time).  Writes
 * the reason in why (may be NULL). */
enum hm_steward_verdict hm_steward_check(const struct hm_steward *st,
                                         const struct hm_steward_expect *want, int64_t now,
                                         char *why, size_t why_len);

#endif /* HM_STEWARD_H */

/*
 * vuln.h (private to policy/): the local advisory feed (OSV files + CISA KEV), OpenVEX
 * documents, CVSS v3.x base scores, and the matching of all of it against an SBOM.
 *
 * Matching (hm_vuln_match), for every SBOM component (the top one too) that has a purl
 * with a version:
 *   - an OSV affected[] entry applies when its package.purl (or the purl derived from its
 *     ecosystem and name: npm, PyPI, Maven, Go, crates.io, RubyGems, NuGet, Packagist,
 *     Hex, Pub; anything else only by package.purl) has the same type, namespace and name
 *     (qualifiers, subpath and the purl's own version ignored);
 *   - the version is affected when it is in versions[], or inside a SEMVER or ECOSYSTEM
 *     range: events are sorted, a version is affected from an "introduced" up to the next
 *     "fixed"/"limit" (exclusive) or "last_affected" (inclusive) (the OSV evaluation
 *     algorithm).  SEMVER and ECOSYSTEM ranges both use hm_vuln_version_cmp: SemVer 2.0.0
 *     precedence (hm_semver_cmp, a leading "v" dropped) when both sides are SemVer, else a
 *     dotted-numeric order ("1.2.10" > "1.2.9"), which is exact for npm, crates.io, Go,
 *     Hex, Pub and C libraries' x.y.z versions but only an approximation for PyPI
 *     (PEP 440), Maven, RubyGems, Debian and Alpine.  GIT ranges name commits and are not
 *     evaluated: only versions[] counts for them.  An affected entry without a package
 *     whose GIT range repo is https://github.com/OWNER/REPO matches pkg:github/OWNER/REPO
 *     (how osv.dev publishes C and C++ libraries), by versions[] (the purl's version, e.g.
 *     a tag "v3.6.2", or the component's version);
 *   - withdrawn advisories (withdrawn <= now) are skipped;
 *   - the score is the highest CVSS v3.x base score computed from the advisory's vectors
 *     (severity[] type CVSS_V3, or CVSS_V3 inside affected[].severity), else the
 *     database_specific.severity word (LOW/MODERATE/MEDIUM/HIGH/CRITICAL) mapped to a
 *     severity without a score.  CVSS_V4 vectors are kept but not scored;
 *   - in_kev when the advisory id or one of its aliases is a CVE id in the KEV list;
 *   - VEX: a statement applies when its vulnerability (name/@id or one of its aliases)
 *     equals the advisory id or one of its aliases, and one of its products' @id (or
 *     identifiers.purl) is the component's purl, or is the SBOM's top component purl with
 *     the component's purl among that product's subcomponents (or no subcomponents).
 *     purls compare by type, namespace, name and version (qualifiers ignored; a product
 *     purl without version covers every version).  Of the applicable statements, the
 *     latest (statement timestamp, else document timestamp; later in order on a tie) that
 *     is not dated after now decides: not_affected with a justification, or fixed, clears
 *     the finding; not_affected without a justification, affected and
 *     under_investigation do not.
 */
#ifndef HM_POLICY_VULN_H
#define HM_POLICY_VULN_H

#include <hm/common.h>

#include "sbom.h"

#define HM_OSV_MAX_BYTES (4u << 20) /* one OSV file */
#define HM_OSV_MAX_FILES 100000
#define HM_KEV_MAX_BYTES (16u << 20)
#define HM_VEX_MAX_BYTES (4u << 20)
#define HM_VEX_MAX_STMTS 10000

enum hm_severity {
    HM_SEV_UNKNOWN = 0, /* no score and no severity word */
    HM_SEV_NONE,        /* CVSS 0.0 */
    HM_SEV_LOW,         /* 0.1 - 3.9 */
    HM_SEV_MEDIUM,      /* 4.0 - 6.9 (and GitHub's "MODERATE") */
    HM_SEV_HIGH,        /* 7.0 - 8.9 */
    HM_SEV_CRITICAL,    /* 9.0 - 10.0 */
};
/* "unknown", "none", "low", "medium", "high", "critical" */
const char *hm_severity_name(enum hm_severity s);
/* Parses one of those names (case-insensitive; "moderate" = medium). */
HM_MUST_CHECK hm_err hm_severity_parse(const char *s, enum hm_severity *out);
enum hm_severity hm_severity_from_score(double score);

/* CVSS v3.0/v3.1 base score of a vector "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" (the
 * eight base metrics exactly once each, temporal/environmental metrics allowed and
 * ignored), per the CVSS v3.1 specification section 7.1 with its Roundup (Appendix A).
 * HM_E_INVALID with why for anything else. */
HM_MUST_CHECK hm_err hm_cvss3_base_score(const char *vector, double *out, char *why,
                                         size_t why_len);

/* ---- the advisory feed ---- */
struct hm_vulnfeed;

/* Loads every "*.json" file directly in osv_dir (not recursive; each one OSV record) and the
 * KEV file.  Either path may be NULL.  One bad file fails the load, naming the file in
 * why: a gate must not silently run on a partial feed. */
HM_MUST_CHECK hm_err hm_vulnfeed_load(const char *osv_dir, const char *kev_path,
                                      struct hm_vulnfeed **out, char *why, size_t why_len);
/* An empty feed, filled from memory (tests, fuzzers). */
HM_MUST_CHECK hm_err hm_vulnfeed_new(struct hm_vulnfeed **out);
/* Adds one OSV record (OSV schema 1.x JSON).  HM_E_INVALID/HM_E_LIMIT with why. */
HM_MUST_CHECK hm_err hm_vulnfeed_add_osv(struct hm_vulnfeed *feed, const void *buf, size_t len,
                                         char *why, size_t why_len);
/* Replaces the KEV list with a CISA KEV catalogue JSON document. */
HM_MUST_CHECK hm_err hm_vulnfeed_set_kev(struct hm_vulnfeed *feed, const void *buf, size_t len,
                                         char *why, size_t why_len);
void hm_vulnfeed_free(struct hm_vulnfeed *feed);
size_t hm_vulnfeed_n_advisories(const struct hm_vulnfeed *feed);
size_t hm_vulnfeed_n_kev(const struct hm_vulnfeed *feed);
/* The KEV catalogVersion, or NULL when no KEV list is loaded. */
const char *hm_vulnfeed_kev_version(const struct hm_vulnfeed *feed);
/* Whether cve ("CVE-2021-44228") is in the KEV list. */
bool hm_vulnfeed_in_kev(const struct hm_vulnfeed *feed, const char *cve);

/* ---- OpenVEX v0.2.0 ---- */
enum hm_vex_status {
    HM_VEX_NOT_AFFECTED = 1,
    HM_VEX_AFFECTED,
    HM_VEX_FIXED,
    HM_VEX_UNDER_INVESTIGATION,
};
struct hm_vex;

/* Parses one OpenVEX document (@context "https://openvex.dev/ns/v0.2.0" or
 * ".../ns"): @id, author, timestamp, statements[{vulnerability {name | @id, aliases},
 * products [{@id | identifiers.purl, subcomponents}], status, justification (one of
 * the five OpenVEX labels), impact_statement, action_statement, timestamp}].  Strict:
 * unknown status or justification, a statement without products or vulnerability,
 * duplicate keys: HM_E_INVALID with why. */
HM_MUST_CHECK hm_err hm_vex_parse(const void *buf, size_t len, struct hm_vex **out, char *why,
                                  size_t why_len);
void hm_vex_free(struct hm_vex *vex);
const char *hm_vex_id(const struct hm_vex *vex);
size_t hm_vex_n_statements(const struct hm_vex *vex);

/* ---- matching ---- */
struct hm_vuln_finding {
    char *id;       /* OSV id: "GHSA-...", "CVE-...", "PYSEC-..." */
    char **aliases; /* as listed in the advisory */
    size_t n_aliases;
    char *cve;     /* the id if it is a CVE, else the first CVE alias; NULL when none */
    char *summary; /* may be NULL */
    char *component_name;
    char *component_version;
    char *component_purl;
    char *component_ref; /* bom-ref/SPDXID, may be NULL */
    double cvss;         /* highest CVSS v3 base score, or -1 when none */
    char *cvss_vector;   /* the vector it came from, or NULL */
    enum hm_severity severity;
    bool in_kev;
    char *kev_date_added; /* "YYYY-MM-DD" when in_kev */
    bool kev_ransomware;  /* knownRansomwareCampaignUse == "Known" */
    /* VEX: the deciding statement, if any applied */
    bool vex_applied;
    bool cleared;         /* the deciding statement clears the finding */
    char *vex_doc_id;     /* the document's @id */
    size_t vex_doc_index; /* position in the vex[] argument */
    size_t vex_statement; /* index in the document's statements[] */
    enum hm_vex_status vex_status;
    char *vex_justification; /* NULL when none */
    char *vex_note;          /* why the deciding statement did or did not clear it */
};

/* Every (component, advisory) pair that matches, in SBOM order (top first) then feed order
 * (files sorted by name).  *out NULL and *n 0 when nothing matches.  vex may be NULL when
 * n_vex is 0.  Fails closed: HM_E_INVALID when a component's purl does not parse (it could
 * not be shown free of advisories).  Cost: O(records x affected x log components). */
HM_MUST_CHECK hm_err hm_vuln_match(const struct hm_vulnfeed *feed, const struct hm_sbom *sbom,
                                   const struct hm_vex *const *vex, size_t n_vex, int64_t now,
                                   struct hm_vuln_finding **out, size_t *n);
void hm_vuln_findings_free(struct hm_vuln_finding *f, size_t n);

/* The version order of ranges: SemVer 2.0.0 precedence (hm_semver_cmp) when both versions
 * parse as SemVer after dropping a leading "v", else dotted-numeric (numeric runs compared
 * as numbers, other runs bytewise, '.' a separator; a version that ends where the other
 * goes on with a number is lower, with a letter or '-' higher: "1.2" < "1.2.1",
 * "1.2-rc1" < "1.2").  Returns < 0, 0, > 0. */
int hm_vuln_version_cmp(const char *a, const char *b);

#endif /* HM_POLICY_VULN_H */

/* vuln_int.h (private to policy/osv.c, kev.c, vex.c, vuln_*.c): the parsed feed and VEX. */
#ifndef HM_POLICY_VULN_INT_H
#define HM_POLICY_VULN_INT_H

#include "pjson.h"
#include "vuln.h"

#define VULN_MAX_STR    4096
#define VULN_MAX_LIST   4096
#define VULN_MAX_VER    256
#define VULN_MAX_EVENTS 1024

enum osv_range_type { OSV_SEMVER = 1, OSV_ECOSYSTEM, OSV_GIT };
enum osv_event_kind { OSV_INTRODUCED = 1, OSV_FIXED, OSV_LAST_AFFECTED, OSV_LIMIT };

struct osv_event {
    enum osv_event_kind kind;
    char *version;
};

struct osv_range {
    enum osv_range_type type;
    char *repo;
    struct osv_event *ev;
    size_t n_ev, cap_ev;
};

/* What a purl or an OSV package reduces to for matching. */
struct pkg_key {
    char *type;     /* "npm", "golang", "maven", "github", ... lowercase */
    char *fullname; /* namespace + "/" + name, decoded, normalised per type */
    char *version;  /* the purl's version, decoded; NULL when none */
};

struct osv_affected {
    struct pkg_key key; /* type NULL when the package cannot be matched to purls */
    struct osv_range *ranges;
    size_t n_ranges, cap_ranges;
    char **versions;
    size_t n_versions, cap_versions;
    double cvss; /* affected[].severity CVSS_V3, -1 when none */
    char *cvss_vector;
};

struct osv_record {
    char *id;
    char **aliases;
    size_t n_aliases;
    char *summary;
    bool withdrawn_set;
    int64_t withdrawn;
    double cvss; /* highest CVSS v3 base score over the record, -1 when none */
    char *cvss_vector;
    enum hm_severity db_severity; /* database_specific.severity, HM_SEV_UNKNOWN when none */
    struct osv_affected *aff;
    size_t n_aff, cap_aff;
};

struct kev_entry {
    char *cve;
    char *date_added;
    bool ransomware;
};

struct hm_vulnfeed {
    struct osv_record *recs;
    size_t n_recs, cap_recs;
    struct kev_entry *kev; /* sorted by cve */
    size_t n_kev;
    char *kev_version;
};

struct vex_product {
    char *purl;  /* the product's @id when it is a purl, else identifiers.purl; may be NULL */
    char **subs; /* subcomponents' purls */
    size_t n_subs, cap_subs;
};

struct vex_statement {
    char *vuln;
    char **aliases;
    size_t n_aliases;
    struct vex_product *prods;
    size_t n_prods, cap_prods;
    enum hm_vex_status status;
    char *justification;
    bool has_impact;
    bool has_ts;
    int64_t ts;
};

struct hm_vex {
    char *id;
    int64_t ts;
    struct vex_statement *st;
    size_t n_st, cap_st;
};

/* osv.c */
HM_MUST_CHECK hm_err hm_osv_parse_record(const void *buf, size_t len, struct osv_record *out,
                                         char *why, size_t why_len);
void hm_osv_record_clear(struct osv_record *r);
/* kev.c */
HM_MUST_CHECK hm_err hm_kev_parse(const void *buf, size_t len, struct hm_vulnfeed *feed, char *why,
                                  size_t why_len);
void hm_kev_clear(struct hm_vulnfeed *feed);
const struct kev_entry *hm_kev_find(const struct hm_vulnfeed *feed, const char *cve);
/* vuln_purl.c */
HM_MUST_CHECK hm_err hm_purl_parse(const char *purl, struct pkg_key *out);
/* The purl an OSV package stands for: package.purl when given, else ecosystem + name. */
HM_MUST_CHECK hm_err hm_osv_pkg_key(const char *ecosystem, const char *name, const char *purl,
                                    struct pkg_key *out);
/* pkg:github/OWNER/REPO from https://github.com/OWNER/REPO(.git); HM_E_NOTFOUND otherwise. */
HM_MUST_CHECK hm_err hm_git_repo_key(const char *repo, struct pkg_key *out);
void hm_pkg_key_clear(struct pkg_key *k);
bool hm_pkg_key_same_package(const struct pkg_key *a, const struct pkg_key *b);
/* vuln_cvss.c: raises *score to the highest CVSS v3 base score of an OSV severity[] array,
 * and *vector to the vector it came from. */
HM_MUST_CHECK hm_err hm_osv_severity(const cJSON *severity, double *score, char **vector, char *why,
                                     size_t why_len);

#endif /* HM_POLICY_VULN_INT_H */

/*
 * sbom.h (private to policy/): SBOMs parsed into one C shape, whatever their format.
 *
 * Accepted: CycloneDX JSON 1.5 and 1.6, SPDX JSON 2.3, SPDX 3.0 JSON-LD (specVersion
 * "3.0.0" or "3.0.1").  Anything else (CycloneDX 1.4, SPDX 2.2, XML, tag-value) is
 * HM_E_INVALID with the reason in `why`.  The parsers are strict about what they read
 * (types, lengths, no duplicate keys, bounded counts) and ignore members they do not use,
 * because real SBOM tools add many.
 *
 * Where each field comes from:
 *   field        CycloneDX                     SPDX 2.3                         SPDX 3.0
 *   serial       serialNumber                  documentNamespace                SpdxDocument spdxId
 *   timestamp    metadata.timestamp            creationInfo.created             CreationInfo created
 *   authors      metadata.authors[] name/email creators[] "Person:"/"Organization:" createdBy -> Agent names
 *                metadata.manufacturer name
 *   tools        metadata.tools (1.5 array or  creators[] "Tool:"               createdUsing -> Tool names
 *                1.6 {components[]})
 *   top          metadata.component            the package DESCRIBED            the sbom/document rootElement
 *   components   components[] (nested too)     packages[] (minus the top)       software_Package/File elements
 *   ref          bom-ref                       SPDXID                           spdxId
 *   supplier     supplier.name (or .url[0]),   supplier "Organization: X"       suppliedBy -> Agent name
 *                else manufacturer, publisher   (NOASSERTION = absent)
 *   purl/cpe     purl / cpe                    externalRefs PACKAGE-MANAGER     externalIdentifier packageUrl/cpe23
 *   hashes       hashes[] {alg, content}       checksums[] {algorithm, value}   verifiedUsing[] Hash
 *   licenses     licenses[] license.id/name/   licenseDeclared/Concluded        hasDeclaredLicense/hasConcludedLicense
 *                expression, acknowledgement    (NOASSERTION/NONE = absent)      relationships
 *   filename     properties bsi:component:     packageFileName                  (none: packages carry no
 *                filename                                                        file name in 3.0)
 *   dependencies dependencies[] ref/dependsOn  relationships DEPENDS_ON,        Relationship dependsOn, contains,
 *                                              CONTAINS, *_LINK (and reverses)  has*Link
 */
#ifndef HM_POLICY_SBOM_H
#define HM_POLICY_SBOM_H

#include <hm/common.h>

#define HM_SBOM_MAX_BYTES      (32u << 20)
#define HM_SBOM_MAX_COMPONENTS 20000
#define HM_SBOM_MAX_STRING     4096

enum hm_sbom_format {
    HM_SBOM_CYCLONEDX = 1, /* spec_version "1.5" or "1.6" */
    HM_SBOM_SPDX2,         /* spec_version "2.3" */
    HM_SBOM_SPDX3,         /* spec_version "3.0.0" or "3.0.1" */
};

struct hm_sbom_hash {
    char alg[16]; /* normalised: "sha1", "sha256", "sha384", "sha512", "sha3-256", "md5", ... */
    char *hex;    /* lowercase hex */
};

struct hm_sbom_extref {
    char *type; /* CycloneDX type ("vcs", "distribution", ...), SPDX referenceType */
    char *url;  /* url / referenceLocator */
};

struct hm_sbom_component {
    char *ref; /* bom-ref / SPDXID / spdxId; NULL when the CycloneDX component has none */
    char *
        type; /* CycloneDX type, SPDX primaryPackagePurpose / software_primaryPurpose; may be NULL */
    char *name;     /* NULL when absent */
    char *version;  /* NULL when absent */
    char *supplier; /* NULL when absent or NOASSERTION */
    char *purl;     /* NULL when absent */
    char *cpe;      /* NULL when absent */
    char *filename; /* NULL when absent */
    struct hm_sbom_hash *hashes;
    size_t n_hashes;
    char **licenses_declared; /* SPDX expressions, ids or names */
    size_t n_declared;
    char **licenses_concluded;
    size_t n_concluded;
    struct hm_sbom_extref *extrefs;
    size_t n_extrefs;
};

struct hm_sbom_dependency {
    char *ref; /* the component that depends (a ref may own several entries: take the union) */
    char **depends_on;
    size_t n_depends_on;
};

struct hm_sbom {
    enum hm_sbom_format format;
    char spec_version[8]; /* "1.5", "1.6", "2.3", "3.0.0", "3.0.1" */
    char *serial;         /* may be NULL */
    char *timestamp;      /* as written; may be NULL */
    int64_t created;      /* the timestamp in Unix seconds, 0 when absent */
    char **authors;
    size_t n_authors;
    char **tools;
    size_t n_tools;
    bool has_top;
    struct hm_sbom_component top;         /* valid when has_top */
    struct hm_sbom_component *components; /* every other component */
    size_t n_components;
    struct hm_sbom_dependency *deps;
    size_t n_deps;
    bool has_vulnerabilities; /* CycloneDX "vulnerabilities" array present (BSI: must not) */
};

/* Parses buf[0..len) (need not be NUL-terminated), detecting the format.  On failure *out
 * is NULL: HM_E_LIMIT (size, depth, counts), HM_E_INVALID (not JSON, unknown format,
 * unsupported version, a used member of the wrong type).  why says which. */
HM_MUST_CHECK hm_err hm_sbom_parse(const void *buf, size_t len, struct hm_sbom **out, char *why,
                                   size_t why_len);
void hm_sbom_free(struct hm_sbom *sbom);
/* "CycloneDX", "SPDX" */
const char *hm_sbom_format_name(enum hm_sbom_format f);

/* True when the top component carries one of the given digests (lowercase or uppercase hex;
 * either may be NULL) and none of the given digests contradicts a hash of the same
 * algorithm on it.  False without a top component or without any matching hash. */
bool hm_sbom_describes(const struct hm_sbom *sbom, const char *sha256_hex, const char *sha512_hex);

/* Minimum elements (NTIA 2021, BSI TR-03183-2), as a bit set the policy configures. */
#define HM_SBOM_NEED_NAME      0x001u /* every component: name */
#define HM_SBOM_NEED_VERSION   0x002u /* every component: version */
#define HM_SBOM_NEED_SUPPLIER  0x004u /* every component: supplier */
#define HM_SBOM_NEED_UNIQUE_ID 0x008u /* every component: purl or cpe */
#define HM_SBOM_NEED_HASHES    0x010u /* every component: at least one hash */
#define HM_SBOM_NEED_LICENSE   0x020u /* every component: a declared or concluded licence */
#define HM_SBOM_NEED_DEPENDENCIES                                                                  \
    0x040u                            /* the top has a dependency entry; every component is
                                            in the dependency graph (as ref or as target) */
#define HM_SBOM_NEED_AUTHOR    0x080u /* document: an author/creator (person or org) */
#define HM_SBOM_NEED_TIMESTAMP 0x100u /* document: a creation timestamp */
#define HM_SBOM_NEED_SHA512    0x200u /* every component: a SHA-512 (BSI TR-03183-2 v2.1) */
#define HM_SBOM_NEED_FILENAME  0x400u /* every component: a filename (BSI TR-03183-2 v2.1) */
#define HM_SBOM_NEED_NO_VULNS  0x800u /* document: no embedded vulnerabilities (BSI) */
#define HM_SBOM_NEED_NTIA                                                                          \
    (HM_SBOM_NEED_NAME | HM_SBOM_NEED_VERSION | HM_SBOM_NEED_SUPPLIER | HM_SBOM_NEED_UNIQUE_ID |   \
     HM_SBOM_NEED_DEPENDENCIES | HM_SBOM_NEED_AUTHOR | HM_SBOM_NEED_TIMESTAMP)

struct hm_sbom_finding {
    unsigned element; /* one HM_SBOM_NEED_* bit */
    char *component;  /* "name@version" (or the ref, or "#<index>"), NULL for the document */
    char *ref;        /* the component's bom-ref/SPDXID, NULL when none or for the document */
    char *text;       /* e.g. "component zlib@1.3.1 has no supplier" */
};

/* Name of one HM_SBOM_NEED_* bit: "name", "version", "supplier", "unique id", "hashes",
 * "license", "dependencies", "author", "timestamp", "sha512", "filename",
 * "no vulnerabilities". */
const char *hm_sbom_element_name(unsigned element);

/* Lists every required element that is missing, one finding per element per component
 * (top first, then components in document order, then document-level elements).  *n is 0
 * and *out NULL when nothing is missing. */
HM_MUST_CHECK hm_err hm_sbom_check_minimum(const struct hm_sbom *sbom, unsigned required,
                                           struct hm_sbom_finding **out, size_t *n);
void hm_sbom_findings_free(struct hm_sbom_finding *f, size_t n);

#endif /* HM_POLICY_SBOM_H */

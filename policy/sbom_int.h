/* sbom_int.h (private to policy/sbom*.c): what the format readers share. */
#ifndef HM_POLICY_SBOM_INT_H
#define HM_POLICY_SBOM_INT_H

#include "pjson.h"
#include "sbom.h"

#define SBOM_MAX_DEPS      HM_SBOM_MAX_COMPONENTS
#define SBOM_MAX_LIST      1024 /* hashes, licences, refs, authors per element */
#define SBOM_MAX_NESTING   16   /* CycloneDX components inside components */
#define SBOM_MAX_DEPENDSON HM_SBOM_MAX_COMPONENTS

/* Growth bookkeeping kept beside the public struct while parsing. */
struct sbom_build {
    struct hm_sbom *s;
    size_t comp_cap, dep_cap, author_cap, tool_cap;
};

HM_MUST_CHECK hm_err hm_sbom_cdx_parse(const cJSON *root, struct sbom_build *b, char *why,
                                       size_t why_len);
HM_MUST_CHECK hm_err hm_sbom_spdx2_parse(const cJSON *root, struct sbom_build *b, char *why,
                                         size_t why_len);
HM_MUST_CHECK hm_err hm_sbom_spdx3_parse(const cJSON *root, struct sbom_build *b, char *why,
                                         size_t why_len);

/* A new zeroed component at the end of components[]. */
HM_MUST_CHECK hm_err hm_sbom_new_component(struct sbom_build *b, struct hm_sbom_component **out);
/* Moves components[i] into top (SPDX: the described package). */
void hm_sbom_promote_top(struct hm_sbom *s, size_t i);
void hm_sbom_component_clear(struct hm_sbom_component *c);
/* Adds a hash after normalising the algorithm name ("SHA-256", "SHA256", "sha3_256"...) and
 * checking the value is hex of the right length for known algorithms (lowercased). */
HM_MUST_CHECK hm_err hm_sbom_add_hash(struct hm_sbom_component *c, const char *alg,
                                      const char *value, char *why, size_t why_len);
HM_MUST_CHECK hm_err hm_sbom_add_license(struct hm_sbom_component *c, bool concluded,
                                         const char *expr);
HM_MUST_CHECK hm_err hm_sbom_add_extref(struct hm_sbom_component *c, const char *type,
                                        const char *url);
/* The dependency entry of ref, created when absent. */
HM_MUST_CHECK hm_err hm_sbom_dep(struct sbom_build *b, const char *ref,
                                 struct hm_sbom_dependency **out);
HM_MUST_CHECK hm_err hm_sbom_dep_add(struct hm_sbom_dependency *d, const char *target);
HM_MUST_CHECK hm_err hm_sbom_add_author(struct sbom_build *b, const char *name);
HM_MUST_CHECK hm_err hm_sbom_add_tool(struct sbom_build *b, const char *name);
/* Copies a string member bounded by HM_SBOM_MAX_STRING, naming ctx in the reason. */
HM_MUST_CHECK hm_err hm_sbom_str(const cJSON *obj, const char *key, const char *ctx, char **out,
                                 char *why, size_t why_len);
HM_MUST_CHECK hm_err hm_sbom_set_timestamp(struct hm_sbom *s, const char *ts, char *why,
                                           size_t why_len);

#endif /* HM_POLICY_SBOM_INT_H */

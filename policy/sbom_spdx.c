/*
 * sbom_spdx.c: SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/).
 *
 * Components are packages[]; the top component is the package the document DESCRIBES
 * (documentDescribes[] or a DESCRIBES relationship from SPDXRef-DOCUMENT, or DESCRIBED_BY
 * towards it).  NOASSERTION and NONE are read as "absent", because the NTIA and BSI
 * baselines ask for the value itself.  Dependencies come from DEPENDS_ON, CONTAINS,
 * STATIC_LINK, DYNAMIC_LINK and their reverse forms DEPENDENCY_OF, CONTAINED_BY; a
 * relationship to NONE records "no dependencies" (complete and empty).
 */
#include <stdlib.h>
#include <string.h>

#include "sbom_int.h"

#define SPDX_DOC_ID "SPDXRef-DOCUMENT"

static bool
no_value(const char *s)
{
    return s == NULL || strcmp(s, "NOASSERTION") == 0 || strcmp(s, "NONE") == 0;
}

/* "Organization: ACME (ops@acme.example)" -> "ACME (ops@acme.example)" */
static const char *
after_prefix(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);

    if (strncmp(s, prefix, n) != 0) {
        return NULL;
    }
    s += n;
    while (*s == ' ') {
        s++;
    }
    return *s == '\0' ? NULL : s;
}

static hm_err
spdx_creation(const cJSON *root, struct sbom_build *b, char *why, size_t why_len)
{
    const cJSON *ci = hm_json_get(root, "creationInfo"), *it, *creators;
    const char *created = NULL, *who;
    hm_err err;

    if (!cJSON_IsObject(ci)) {
        hm_pj_why(why, why_len, "SPDX: creationInfo must be an object");
        return HM_E_INVALID;
    }
    if ((err = hm_pj_ref_str(ci, "created", 64, "creationInfo", &created, why, why_len)) != HM_OK ||
        (created != NULL && (err = hm_sbom_set_timestamp(b->s, created, why, why_len)) != HM_OK)) {
        return err;
    }
    creators = hm_json_get(ci, "creators");
    if (creators != NULL && !cJSON_IsArray(creators)) {
        hm_pj_why(why, why_len, "SPDX: creationInfo.creators must be an array");
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(it, creators) {
        err = HM_OK;
        if (!cJSON_IsString(it) || strlen(it->valuestring) > HM_SBOM_MAX_STRING) {
            hm_pj_why(why, why_len, "SPDX: creationInfo.creators[] must be strings");
            return HM_E_INVALID;
        }
        if ((who = after_prefix(it->valuestring, "Tool:")) != NULL) {
            err = hm_sbom_add_tool(b, who);
        } else if ((who = after_prefix(it->valuestring, "Person:")) != NULL ||
                   (who = after_prefix(it->valuestring, "Organization:")) != NULL) {
            err = hm_sbom_add_author(b, who);
        }
        if (err != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
spdx_pkg_refs(const cJSON *pkg, struct hm_sbom_component *c, char *why, size_t why_len)
{
    const cJSON *refs = hm_json_get(pkg, "externalRefs"), *r;
    const char *type = NULL, *loc = NULL;
    hm_err err;

    if (refs != NULL && !cJSON_IsArray(refs)) {
        hm_pj_why(why, why_len, "package %s: externalRefs must be an array", c->ref);
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(r, refs) {
        if (hm_json_get_string(r, "referenceType", true, 256, &type) != HM_OK ||
            hm_json_get_string(r, "referenceLocator", true, HM_SBOM_MAX_STRING, &loc) != HM_OK) {
            hm_pj_why(why, why_len,
                      "package %s: externalRefs[] needs referenceType and "
                      "referenceLocator",
                      c->ref);
            return HM_E_INVALID;
        }
        if (strcmp(type, "purl") == 0 && c->purl == NULL) {
            err = hm_pj_strdup(loc, &c->purl);
        } else if ((strcmp(type, "cpe23Type") == 0 || strcmp(type, "cpe22Type") == 0) &&
                   c->cpe == NULL) {
            err = hm_pj_strdup(loc, &c->cpe);
        } else {
            err = hm_sbom_add_extref(c, type, loc);
        }
        if (err != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
spdx_pkg_hashes(const cJSON *pkg, struct hm_sbom_component *c, char *why, size_t why_len)
{
    const cJSON *sums = hm_json_get(pkg, "checksums"), *h;
    const char *alg = NULL, *val = NULL;
    hm_err err;

    if (sums != NULL && !cJSON_IsArray(sums)) {
        hm_pj_why(why, why_len, "package %s: checksums must be an array", c->ref);
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(h, sums) {
        if (hm_json_get_string(h, "algorithm", true, 32, &alg) != HM_OK ||
            hm_json_get_string(h, "checksumValue", true, 256, &val) != HM_OK) {
            hm_pj_why(why, why_len, "package %s: checksums[] needs algorithm and checksumValue",
                      c->ref);
            return HM_E_INVALID;
        }
        if ((err = hm_sbom_add_hash(c, alg, val, why, why_len)) != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
spdx_package(const cJSON *pkg, struct hm_sbom_component *c, char *why, size_t why_len)
{
    const char *s = NULL;
    hm_err err;

    if (!cJSON_IsObject(pkg) ||
        hm_sbom_str(pkg, "SPDXID", "package", &c->ref, why, why_len) != HM_OK || c->ref == NULL) {
        hm_pj_why(why, why_len, "SPDX: every package needs an SPDXID string");
        return HM_E_INVALID;
    }
    if ((err = hm_sbom_str(pkg, "name", c->ref, &c->name, why, why_len)) != HM_OK ||
        (err = hm_sbom_str(pkg, "versionInfo", c->ref, &c->version, why, why_len)) != HM_OK ||
        (err = hm_sbom_str(pkg, "packageFileName", c->ref, &c->filename, why, why_len)) != HM_OK ||
        (err = hm_sbom_str(pkg, "primaryPackagePurpose", c->ref, &c->type, why, why_len)) !=
            HM_OK) {
        return err;
    }
    if ((err = hm_pj_ref_str(pkg, "supplier", HM_SBOM_MAX_STRING, c->ref, &s, why, why_len)) !=
        HM_OK) {
        return err;
    }
    if (!no_value(s)) {
        const char *who = after_prefix(s, "Organization:");

        who = who != NULL ? who : after_prefix(s, "Person:");
        if ((err = hm_pj_strdup(who != NULL ? who : s, &c->supplier)) != HM_OK) {
            return err;
        }
    }
    for (int concluded = 0; concluded < 2; concluded++) {
        const char *key = concluded ? "licenseConcluded" : "licenseDeclared";

        if ((err = hm_pj_ref_str(pkg, key, 8192, c->ref, &s, why, why_len)) != HM_OK) {
            return err;
        }
        if (!no_value(s) && (err = hm_sbom_add_license(c, concluded != 0, s)) != HM_OK) {
            return err;
        }
    }
    if ((err = hm_pj_ref_str(pkg, "downloadLocation", HM_SBOM_MAX_STRING, c->ref, &s, why,
                             why_len)) != HM_OK ||
        (!no_value(s) && (err = hm_sbom_add_extref(c, "distribution", s)) != HM_OK)) {
        return err;
    }
    if ((err = spdx_pkg_hashes(pkg, c, why, why_len)) != HM_OK) {
        return err;
    }
    return spdx_pkg_refs(pkg, c, why, why_len);
}

/* Maps one relationship onto the dependency graph; *described names the package that
 * SPDXRef-DOCUMENT DESCRIBES (the first one wins). */
static hm_err
spdx_relationship(const cJSON *r, struct sbom_build *b, const char **described, char *why,
                  size_t why_len)
{
    static const char *const forward[] = { "DEPENDS_ON", "CONTAINS", "STATIC_LINK",
                                           "DYNAMIC_LINK" };
    static const char *const reverse[] = { "DEPENDENCY_OF", "CONTAINED_BY" };
    const char *from = NULL, *type = NULL, *to = NULL, *tmp;
    struct hm_sbom_dependency *dep = NULL;
    bool fwd = false, rev = false;
    hm_err err;

    if (hm_json_get_string(r, "spdxElementId", true, HM_SBOM_MAX_STRING, &from) != HM_OK ||
        hm_json_get_string(r, "relationshipType", true, 64, &type) != HM_OK ||
        hm_json_get_string(r, "relatedSpdxElement", true, HM_SBOM_MAX_STRING, &to) != HM_OK) {
        hm_pj_why(why, why_len,
                  "SPDX: relationships[] needs spdxElementId, relationshipType "
                  "and relatedSpdxElement strings");
        return HM_E_INVALID;
    }
    if (*described == NULL && strcmp(type, "DESCRIBES") == 0 && strcmp(from, SPDX_DOC_ID) == 0) {
        *described = to;
    } else if (*described == NULL && strcmp(type, "DESCRIBED_BY") == 0 &&
               strcmp(to, SPDX_DOC_ID) == 0) {
        *described = from;
    }
    for (size_t i = 0; i < 4; i++) {
        fwd = fwd || strcmp(type, forward[i]) == 0;
    }
    for (size_t i = 0; i < 2; i++) {
        rev = rev || strcmp(type, reverse[i]) == 0;
    }
    if (!fwd && !rev) {
        return HM_OK;
    }
    if (rev) {
        tmp = from;
        from = to;
        to = tmp;
    }
    if (no_value(from)) {
        return HM_OK;
    }
    if ((err = hm_sbom_dep(b, from, &dep)) != HM_OK) {
        return err;
    }
    return no_value(to) ? HM_OK : hm_sbom_dep_add(dep, to);
}

static hm_err
spdx_graph(const cJSON *root, struct sbom_build *b, char *why, size_t why_len)
{
    const cJSON *rels = hm_json_get(root, "relationships"), *r;
    const cJSON *desc = hm_json_get(root, "documentDescribes");
    const char *described = NULL;
    hm_err err;

    if ((rels != NULL && !cJSON_IsArray(rels)) || (desc != NULL && !cJSON_IsArray(desc))) {
        hm_pj_why(why, why_len, "SPDX: relationships and documentDescribes must be arrays");
        return HM_E_INVALID;
    }
    if (desc != NULL && cJSON_IsString(desc->child)) {
        described = desc->child->valuestring;
    }
    cJSON_ArrayForEach(r, rels) {
        if ((err = spdx_relationship(r, b, &described, why, why_len)) != HM_OK) {
            return err;
        }
    }
    for (size_t i = 0; described != NULL && i < b->s->n_components; i++) {
        if (strcmp(b->s->components[i].ref, described) == 0) {
            hm_sbom_promote_top(b->s, i);
            break;
        }
    }
    return HM_OK;
}

hm_err
hm_sbom_spdx2_parse(const cJSON *root, struct sbom_build *b, char *why, size_t why_len)
{
    const char *ver = NULL;
    const cJSON *pkgs, *p;
    struct hm_sbom_component *c = NULL;
    hm_err err;

    if (hm_json_get_string(root, "spdxVersion", true, 16, &ver) != HM_OK) {
        hm_pj_why(why, why_len, "SPDX: spdxVersion must be a string");
        return HM_E_INVALID;
    }
    if (strcmp(ver, "SPDX-2.3") != 0) {
        hm_pj_why(why, why_len, "SPDX version %s is not accepted (SPDX-2.3 or SPDX 3.0)", ver);
        return HM_E_INVALID;
    }
    b->s->format = HM_SBOM_SPDX2;
    memcpy(b->s->spec_version, "2.3", 4);
    if ((err = hm_sbom_str(root, "documentNamespace", "SPDX", &b->s->serial, why, why_len)) !=
            HM_OK ||
        (err = spdx_creation(root, b, why, why_len)) != HM_OK) {
        return err;
    }
    pkgs = hm_json_get(root, "packages");
    if (pkgs != NULL && !cJSON_IsArray(pkgs)) {
        hm_pj_why(why, why_len, "SPDX: packages must be an array");
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(p, pkgs) {
        if ((err = hm_sbom_new_component(b, &c)) != HM_OK) {
            hm_pj_why(why, why_len, "SPDX: more than %d packages", HM_SBOM_MAX_COMPONENTS);
            return err;
        }
        if ((err = spdx_package(p, c, why, why_len)) != HM_OK) {
            return err;
        }
    }
    return spdx_graph(root, b, why, why_len);
}

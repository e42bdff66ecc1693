/*
 * sbom_spdx3.c: SPDX 3.0 JSON-LD (https://spdx.github.io/spdx-spec/v3.0.1/), in the
 * serialisation the SPDX tools write: {"@context": <the 3.0.x context URL>, "@graph": [...]}
 * with one object per element, each with "type" and "spdxId" (blank nodes such as the
 * CreationInfo use "@id").
 *
 * Components are the software_Package elements; the top component is the root element of
 * the SpdxDocument, or of the software_Sbom the document's root names.  Licences arrive as
 * hasDeclaredLicense / hasConcludedLicense relationships to licence elements; dependencies
 * as dependsOn, contains, hasStaticLink and hasDynamicLink relationships.  Identifiers are
 * looked up through one sorted index, so parsing stays O(n log n).
 */
#include <stdlib.h>
#include <string.h>

#include "sbom_int.h"

struct ent {
    const char *id;
    const cJSON *el;
    size_t comp; /* index in components[] + 1 for packages, else 0 */
};

struct spdx3 {
    struct sbom_build *b;
    struct ent *idx;
    size_t n;
};

static int
ent_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ent *)a)->id, ((const struct ent *)b)->id);
}

static struct ent *
find(const struct spdx3 *x, const char *id)
{
    struct ent key = { .id = id };

    return x->n == 0 ? NULL : bsearch(&key, x->idx, x->n, sizeof(key), ent_cmp);
}

static const char *
elem_id(const cJSON *el)
{
    const cJSON *id = hm_json_get(el, "spdxId");

    id = id != NULL ? id : hm_json_get(el, "@id");
    return cJSON_IsString(id) && *id->valuestring != '\0' ? id->valuestring : NULL;
}

static const char *
elem_type(const cJSON *el)
{
    const cJSON *t = hm_json_get(el, "type");

    return cJSON_IsString(t) ? t->valuestring : "";
}

static hm_err
build_index(struct spdx3 *x, const cJSON *graph, char *why, size_t why_len)
{
    const cJSON *el;
    size_t n = (size_t)cJSON_GetArraySize(graph), i = 0;

    if ((x->idx = calloc(n == 0 ? 1 : n, sizeof(*x->idx))) == NULL) {
        return HM_E_NOMEM;
    }
    cJSON_ArrayForEach(el, graph) {
        if (!cJSON_IsObject(el) || !cJSON_IsString(hm_json_get(el, "type"))) {
            hm_pj_why(why, why_len, "SPDX 3: every @graph element needs a type");
            return HM_E_INVALID;
        }
        if (elem_id(el) != NULL) {
            x->idx[i].id = elem_id(el);
            x->idx[i++].el = el;
        }
    }
    x->n = i;
    qsort(x->idx, x->n, sizeof(*x->idx), ent_cmp);
    for (i = 1; i < x->n; i++) {
        if (strcmp(x->idx[i - 1].id, x->idx[i].id) == 0) {
            hm_pj_why(why, why_len, "SPDX 3: spdxId %s appears twice", x->idx[i].id);
            return HM_E_INVALID;
        }
    }
    return HM_OK;
}

/* An agent or tool reference: its name when the graph has it, else the id itself. */
static const char *
agent_name(const struct spdx3 *x, const char *id)
{
    const struct ent *e = find(x, id);
    const cJSON *name = e != NULL ? hm_json_get(e->el, "name") : NULL;

    return cJSON_IsString(name) && *name->valuestring != '\0' ? name->valuestring : id;
}

static hm_err
names_of(const struct spdx3 *x, const cJSON *list, bool tools, char *why, size_t why_len)
{
    const cJSON *it;
    hm_err err;

    if (list != NULL && !cJSON_IsArray(list)) {
        hm_pj_why(why, why_len, "SPDX 3: createdBy/createdUsing must be arrays");
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(it, list) {
        if (!cJSON_IsString(it) || strlen(it->valuestring) > HM_SBOM_MAX_STRING) {
            hm_pj_why(why, why_len, "SPDX 3: createdBy/createdUsing hold element ids");
            return HM_E_INVALID;
        }
        err = tools ? hm_sbom_add_tool(x->b, agent_name(x, it->valuestring))
                    : hm_sbom_add_author(x->b, agent_name(x, it->valuestring));
        if (err != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
creation_info(struct spdx3 *x, const cJSON *doc, char *why, size_t why_len)
{
    const cJSON *ci = hm_json_get(doc, "creationInfo");
    const struct ent *e;
    const char *ver = NULL, *created = NULL;
    hm_err err;

    if (cJSON_IsString(ci)) {
        ci = (e = find(x, ci->valuestring)) != NULL ? e->el : NULL;
    }
    if (!cJSON_IsObject(ci) || hm_json_get_string(ci, "specVersion", true, 16, &ver) != HM_OK) {
        hm_pj_why(why, why_len, "SPDX 3: the SpdxDocument has no CreationInfo with specVersion");
        return HM_E_INVALID;
    }
    if (strcmp(ver, "3.0.0") != 0 && strcmp(ver, "3.0.1") != 0) {
        hm_pj_why(why, why_len, "SPDX specVersion %s is not accepted (3.0.0 or 3.0.1)", ver);
        return HM_E_INVALID;
    }
    memcpy(x->b->s->spec_version, ver, strlen(ver) + 1);
    if ((err = hm_pj_ref_str(ci, "created", 64, "CreationInfo", &created, why, why_len)) != HM_OK ||
        (created != NULL &&
         (err = hm_sbom_set_timestamp(x->b->s, created, why, why_len)) != HM_OK) ||
        (err = names_of(x, hm_json_get(ci, "createdBy"), false, why, why_len)) != HM_OK ||
        (err = names_of(x, hm_json_get(ci, "createdUsing"), true, why, why_len)) != HM_OK) {
        return err;
    }
    return HM_OK;
}

static hm_err
package_ids(const cJSON *el, struct hm_sbom_component *c, char *why, size_t why_len)
{
    const cJSON *arr = hm_json_get(el, "externalIdentifier"), *it;
    const char *type = NULL, *id = NULL;
    hm_err err = HM_OK;

    if (arr != NULL && !cJSON_IsArray(arr)) {
        hm_pj_why(why, why_len, "package %s: externalIdentifier must be an array", c->ref);
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(it, arr) {
        if (hm_json_get_string(it, "externalIdentifierType", true, 64, &type) != HM_OK ||
            hm_json_get_string(it, "identifier", true, HM_SBOM_MAX_STRING, &id) != HM_OK) {
            hm_pj_why(why, why_len,
                      "package %s: externalIdentifier[] needs "
                      "externalIdentifierType and identifier",
                      c->ref);
            return HM_E_INVALID;
        }
        if (strcmp(type, "packageUrl") == 0 && c->purl == NULL) {
            err = hm_pj_strdup(id, &c->purl);
        } else if ((strcmp(type, "cpe23") == 0 || strcmp(type, "cpe22") == 0) && c->cpe == NULL) {
            err = hm_pj_strdup(id, &c->cpe);
        } else {
            err = hm_sbom_add_extref(c, type, id);
        }
        if (err != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
package_hashes(const cJSON *el, struct hm_sbom_component *c, char *why, size_t why_len)
{
    const cJSON *arr = hm_json_get(el, "verifiedUsing"), *h;
    const char *alg = NULL, *val = NULL;
    hm_err err;

    if (arr != NULL && !cJSON_IsArray(arr)) {
        hm_pj_why(why, why_len, "package %s: verifiedUsing must be an array", c->ref);
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(h, arr) {
        if (strcmp(elem_type(h), "Hash") != 0) {
            continue; /* e.g. a PackageVerificationCode */
        }
        if (hm_json_get_string(h, "algorithm", true, 32, &alg) != HM_OK ||
            hm_json_get_string(h, "hashValue", true, 256, &val) != HM_OK) {
            hm_pj_why(why, why_len, "package %s: a Hash needs algorithm and hashValue", c->ref);
            return HM_E_INVALID;
        }
        if ((err = hm_sbom_add_hash(c, alg, val, why, why_len)) != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
package(struct spdx3 *x, struct ent *e, char *why, size_t why_len)
{
    struct hm_sbom_component *c = NULL;
    const char *supplier = NULL;
    hm_err err;

    if ((err = hm_sbom_new_component(x->b, &c)) != HM_OK) {
        hm_pj_why(why, why_len, "SPDX 3: more than %d packages", HM_SBOM_MAX_COMPONENTS);
        return err;
    }
    e->comp = x->b->s->n_components;
    if ((err = hm_pj_strdup(e->id, &c->ref)) != HM_OK ||
        (err = hm_sbom_str(e->el, "name", c->ref, &c->name, why, why_len)) != HM_OK ||
        (err = hm_sbom_str(e->el, "software_packageVersion", c->ref, &c->version, why, why_len)) !=
            HM_OK ||
        (err = hm_sbom_str(e->el, "software_packageUrl", c->ref, &c->purl, why, why_len)) !=
            HM_OK ||
        (err = hm_sbom_str(e->el, "software_primaryPurpose", c->ref, &c->type, why, why_len)) !=
            HM_OK ||
        (err = hm_pj_ref_str(e->el, "suppliedBy", HM_SBOM_MAX_STRING, c->ref, &supplier, why,
                             why_len)) != HM_OK ||
        (supplier != NULL &&
         (err = hm_pj_strdup(agent_name(x, supplier), &c->supplier)) != HM_OK) ||
        (err = package_hashes(e->el, c, why, why_len)) != HM_OK ||
        (err = package_ids(e->el, c, why, why_len)) != HM_OK) {
        return err;
    }
    return HM_OK;
}

/* The licence text of a licence element: an expression, or a listed licence's id. */
static const char *
license_of(const struct spdx3 *x, const char *id)
{
    const struct ent *e = find(x, id);
    const cJSON *expr;
    const char *slash;

    if (e == NULL) {
        slash = strrchr(id, '/'); /* a listed licence by IRI: https://spdx.org/licenses/MIT */
        return strncmp(id, "https://spdx.org/licenses/", 26) == 0 && slash != NULL ? slash + 1
                                                                                   : NULL;
    }
    expr = hm_json_get(e->el, "simplelicensing_licenseExpression");
    if (cJSON_IsString(expr) && *expr->valuestring != '\0') {
        return expr->valuestring;
    }
    slash = strrchr(id, '/');
    return strstr(elem_type(e->el), "License") != NULL && slash != NULL ? slash + 1 : NULL;
}

static hm_err
relationship(struct spdx3 *x, const cJSON *rel, char *why, size_t why_len)
{
    static const char *const dep_types[] = { "dependsOn", "contains", "hasStaticLink",
                                             "hasDynamicLink" };
    const char *from = NULL, *type = NULL, *lic;
    const cJSON *to = hm_json_get(rel, "to"), *t;
    struct hm_sbom_dependency *dep = NULL;
    const struct ent *src;
    bool is_dep = false, is_lic;
    hm_err err;

    if (hm_json_get_string(rel, "from", true, HM_SBOM_MAX_STRING, &from) != HM_OK ||
        hm_json_get_string(rel, "relationshipType", true, 64, &type) != HM_OK ||
        !cJSON_IsArray(to)) {
        hm_pj_why(why, why_len, "SPDX 3: a Relationship needs from, relationshipType and to[]");
        return HM_E_INVALID;
    }
    for (size_t i = 0; i < 4; i++) {
        is_dep = is_dep || strcmp(type, dep_types[i]) == 0;
    }
    is_lic = strcmp(type, "hasDeclaredLicense") == 0 || strcmp(type, "hasConcludedLicense") == 0;
    src = find(x, from);
    if (is_dep && (err = hm_sbom_dep(x->b, from, &dep)) != HM_OK) {
        return err;
    }
    cJSON_ArrayForEach(t, to) {
        if (!cJSON_IsString(t) || *t->valuestring == '\0') {
            hm_pj_why(why, why_len, "SPDX 3: Relationship.to holds element ids");
            return HM_E_INVALID;
        }
        if (is_dep && strstr(t->valuestring, "NoneElement") == NULL &&
            (err = hm_sbom_dep_add(dep, t->valuestring)) != HM_OK) {
            return err;
        }
        if (is_lic && src != NULL && src->comp != 0 &&
            (lic = license_of(x, t->valuestring)) != NULL &&
            (err = hm_sbom_add_license(&x->b->s->components[src->comp - 1],
                                       strcmp(type, "hasConcludedLicense") == 0, lic)) != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

/* The document's root element; through a software_Sbom to the package it describes. */
static const char *
root_of(const struct spdx3 *x, const cJSON *doc)
{
    const cJSON *roots = hm_json_get(doc, "rootElement");
    const struct ent *e;

    for (int hop = 0; hop < 4; hop++) {
        if (!cJSON_IsArray(roots) || !cJSON_IsString(roots->child)) {
            return NULL;
        }
        e = find(x, roots->child->valuestring);
        if (e == NULL || strcmp(elem_type(e->el), "software_Sbom") != 0) {
            return roots->child->valuestring;
        }
        roots = hm_json_get(e->el, "rootElement");
    }
    return NULL;
}

static hm_err
walk(struct spdx3 *x, const cJSON *graph, const cJSON **doc, char *why, size_t why_len)
{
    const cJSON *el;
    struct ent *e;
    hm_err err;

    cJSON_ArrayForEach(el, graph) /* packages first, in document order */
    {
        if (strcmp(elem_type(el), "SpdxDocument") == 0 && *doc == NULL) {
            *doc = el;
        }
        if (strcmp(elem_type(el), "software_Package") != 0) {
            continue;
        }
        if (elem_id(el) == NULL || (e = find(x, elem_id(el))) == NULL) {
            hm_pj_why(why, why_len, "SPDX 3: a software_Package has no spdxId");
            return HM_E_INVALID;
        }
        if ((err = package(x, e, why, why_len)) != HM_OK) {
            return err;
        }
    }
    cJSON_ArrayForEach(el, graph) {
        const char *t = elem_type(el);

        if ((strcmp(t, "Relationship") == 0 || strcmp(t, "LifecycleScopedRelationship") == 0) &&
            (err = relationship(x, el, why, why_len)) != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

hm_err
hm_sbom_spdx3_parse(const cJSON *root, struct sbom_build *b, char *why, size_t why_len)
{
    struct spdx3 x = { .b = b };
    const cJSON *ctx = hm_json_get(root, "@context"), *graph = hm_json_get(root, "@graph");
    const cJSON *doc = NULL;
    const char *top;
    const struct ent *e;
    hm_err err;

    if (!cJSON_IsString(ctx) ||
        (strcmp(ctx->valuestring, "https://spdx.org/rdf/3.0.1/spdx-context.jsonld") != 0 &&
         strcmp(ctx->valuestring, "https://spdx.org/rdf/3.0.0/spdx-context.jsonld") != 0)) {
        hm_pj_why(why, why_len, "SPDX 3: @context must be the SPDX 3.0.0 or 3.0.1 context URL");
        return HM_E_INVALID;
    }
    if (!cJSON_IsArray(graph)) {
        hm_pj_why(why, why_len, "SPDX 3: @graph must be an array");
        return HM_E_INVALID;
    }
    b->s->format = HM_SBOM_SPDX3;
    if ((err = build_index(&x, graph, why, why_len)) != HM_OK ||
        (err = walk(&x, graph, &doc, why, why_len)) != HM_OK) {
        goto out;
    }
    if (doc == NULL || elem_id(doc) == NULL) {
        hm_pj_why(why, why_len, "SPDX 3: no SpdxDocument element with an spdxId");
        err = HM_E_INVALID;
        goto out;
    }
    if ((err = creation_info(&x, doc, why, why_len)) != HM_OK ||
        (err = hm_pj_strdup(elem_id(doc), &b->s->serial)) != HM_OK) {
        goto out;
    }
    if ((top = root_of(&x, doc)) != NULL && (e = find(&x, top)) != NULL && e->comp != 0) {
        hm_sbom_promote_top(b->s, e->comp - 1);
    }
out:
    free(x.idx);
    return err;
}

/*
 * sbom_cdx.c: CycloneDX JSON 1.5 and 1.6 (https://cyclonedx.org/docs/1.6/json/).
 *
 * Members the policy uses are type-checked; everything else real generators emit
 * (properties, evidence, services, compositions, signatures...) is left alone.  Nested
 * components are flattened into components[] in document order, at most SBOM_MAX_NESTING
 * deep.
 */
#include <stdlib.h>
#include <string.h>

#include "sbom_int.h"

static bool
array_or_absent(const cJSON *x)
{
    return x == NULL || cJSON_IsArray(x);
}

static hm_err
cdx_supplier(const cJSON *comp, struct hm_sbom_component *c, char *why, size_t why_len)
{
    /* supplier is the NTIA field; manufacturer (1.6) and publisher are fallbacks that
     * generators use for the same party. */
    static const char *const parties[] = { "supplier", "manufacturer" };
    const cJSON *org, *urls;
    hm_err err;

    for (size_t i = 0; i < 2 && c->supplier == NULL; i++) {
        if ((org = hm_json_get(comp, parties[i])) == NULL) {
            continue;
        }
        if (!cJSON_IsObject(org)) {
            hm_pj_why(why, why_len, "component %s: %s must be an object",
                      c->name != NULL ? c->name : "?", parties[i]);
            return HM_E_INVALID;
        }
        if ((err = hm_sbom_str(org, "name", parties[i], &c->supplier, why, why_len)) != HM_OK) {
            return err;
        }
        urls = hm_json_get(org, "url");
        if (c->supplier == NULL && cJSON_IsArray(urls) && cJSON_IsString(urls->child) &&
            *urls->child->valuestring != '\0') {
            if ((err = hm_pj_strdup(urls->child->valuestring, &c->supplier)) != HM_OK) {
                return err;
            }
        }
    }
    if (c->supplier == NULL) {
        return hm_sbom_str(comp, "publisher", "component", &c->supplier, why, why_len);
    }
    return HM_OK;
}

static hm_err
cdx_hashes(const cJSON *comp, struct hm_sbom_component *c, char *why, size_t why_len)
{
    const cJSON *arr = hm_json_get(comp, "hashes"), *h;
    const char *alg = NULL, *content = NULL;
    hm_err err;

    if (arr == NULL) {
        return HM_OK;
    }
    if (!cJSON_IsArray(arr)) {
        hm_pj_why(why, why_len, "component %s: hashes must be an array",
                  c->name != NULL ? c->name : "?");
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(h, arr) {
        if (hm_json_get_string(h, "alg", true, 32, &alg) != HM_OK ||
            hm_json_get_string(h, "content", true, 256, &content) != HM_OK) {
            hm_pj_why(why, why_len, "component %s: a hash needs alg and content strings",
                      c->name != NULL ? c->name : "?");
            return HM_E_INVALID;
        }
        if ((err = hm_sbom_add_hash(c, alg, content, why, why_len)) != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
cdx_licenses(const cJSON *comp, struct hm_sbom_component *c, char *why, size_t why_len)
{
    const cJSON *arr = hm_json_get(comp, "licenses"), *l, *lic;
    const char *expr = NULL, *ack = NULL;
    hm_err err;

    if (arr == NULL) {
        return HM_OK;
    }
    if (!cJSON_IsArray(arr)) {
        hm_pj_why(why, why_len, "component %s: licenses must be an array",
                  c->name != NULL ? c->name : "?");
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(l, arr) {
        /* {"license": {"id"|"name", "acknowledgement"}} or {"expression", "acknowledgement"};
         * a licence given only by url or text carries no identifier and is skipped. */
        const cJSON *holder = (lic = hm_json_get(l, "license")) != NULL ? lic : l;
        bool shape_ok;

        expr = NULL;
        ack = NULL;
        if (lic != NULL) {
            shape_ok =
                hm_json_get_string(lic, "id", false, 256, &expr) == HM_OK &&
                (expr != NULL || hm_json_get_string(lic, "name", false, 1024, &expr) == HM_OK);
        } else {
            shape_ok = hm_json_get_string(l, "expression", false, 4096, &expr) == HM_OK;
        }
        if (!shape_ok || hm_json_get_string(holder, "acknowledgement", false, 16, &ack) != HM_OK) {
            hm_pj_why(why, why_len, "component %s: a licence entry has the wrong shape",
                      c->name != NULL ? c->name : "?");
            return HM_E_INVALID;
        }
        if (expr != NULL && (err = hm_sbom_add_license(
                                 c, ack != NULL && strcmp(ack, "concluded") == 0, expr)) != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
cdx_extras(const cJSON *comp, struct hm_sbom_component *c, char *why, size_t why_len)
{
    const cJSON *it;
    const char *type = NULL, *url = NULL, *name = NULL, *value = NULL;
    hm_err err;

    if (!array_or_absent(hm_json_get(comp, "externalReferences")) ||
        !array_or_absent(hm_json_get(comp, "properties"))) {
        hm_pj_why(why, why_len, "component %s: externalReferences and properties must be arrays",
                  c->name != NULL ? c->name : "?");
        return HM_E_INVALID;
    }

    cJSON_ArrayForEach(it, hm_json_get(comp, "externalReferences")) {
        if (hm_json_get_string(it, "url", true, HM_SBOM_MAX_STRING, &url) != HM_OK ||
            hm_json_get_string(it, "type", false, 64, &type) != HM_OK) {
            hm_pj_why(why, why_len, "component %s: an external reference needs a url",
                      c->name != NULL ? c->name : "?");
            return HM_E_INVALID;
        }
        if ((err = hm_sbom_add_extref(c, type, url)) != HM_OK) {
            return err;
        }
    }
    /* BSI TR-03183-2 carries the filename as the property bsi:component:filename. */
    cJSON_ArrayForEach(it, hm_json_get(comp, "properties")) {
        if (hm_json_get_string(it, "name", false, 256, &name) == HM_OK && name != NULL &&
            strcmp(name, "bsi:component:filename") == 0 && c->filename == NULL &&
            hm_json_get_string(it, "value", false, HM_SBOM_MAX_STRING, &value) == HM_OK &&
            value != NULL && (err = hm_pj_strdup(value, &c->filename)) != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
cdx_component(const cJSON *comp, struct hm_sbom_component *c, char *why, size_t why_len)
{
    hm_err err;

    if (!cJSON_IsObject(comp)) {
        hm_pj_why(why, why_len, "CycloneDX: a component is not an object");
        return HM_E_INVALID;
    }
    if ((err = hm_sbom_str(comp, "name", "component", &c->name, why, why_len)) != HM_OK ||
        (err = hm_sbom_str(comp, "bom-ref", "component", &c->ref, why, why_len)) != HM_OK ||
        (err = hm_sbom_str(comp, "type", "component", &c->type, why, why_len)) != HM_OK ||
        (err = hm_sbom_str(comp, "version", "component", &c->version, why, why_len)) != HM_OK ||
        (err = hm_sbom_str(comp, "purl", "component", &c->purl, why, why_len)) != HM_OK ||
        (err = hm_sbom_str(comp, "cpe", "component", &c->cpe, why, why_len)) != HM_OK ||
        (err = cdx_supplier(comp, c, why, why_len)) != HM_OK ||
        (err = cdx_hashes(comp, c, why, why_len)) != HM_OK ||
        (err = cdx_licenses(comp, c, why, why_len)) != HM_OK ||
        (err = cdx_extras(comp, c, why, why_len)) != HM_OK) {
        return err;
    }
    return HM_OK;
}

static hm_err
cdx_components(const cJSON *arr, struct sbom_build *b, unsigned depth, char *why, size_t why_len)
{
    const cJSON *comp;
    struct hm_sbom_component *c = NULL;
    hm_err err;

    if (arr == NULL) {
        return HM_OK;
    }
    if (!cJSON_IsArray(arr) || depth > SBOM_MAX_NESTING) {
        hm_pj_why(why, why_len, "CycloneDX: components must be an array, at most %d deep",
                  SBOM_MAX_NESTING);
        return cJSON_IsArray(arr) ? HM_E_LIMIT : HM_E_INVALID;
    }
    cJSON_ArrayForEach(comp, arr) {
        if ((err = hm_sbom_new_component(b, &c)) != HM_OK) {
            hm_pj_why(why, why_len, "CycloneDX: more than %d components", HM_SBOM_MAX_COMPONENTS);
            return err;
        }
        if ((err = cdx_component(comp, c, why, why_len)) != HM_OK ||
            (err = cdx_components(hm_json_get(comp, "components"), b, depth + 1, why, why_len)) !=
                HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
cdx_metadata(const cJSON *md, struct sbom_build *b, char *why, size_t why_len)
{
    const cJSON *it, *tools;
    const char *s = NULL;
    hm_err err;

    if (md == NULL) {
        return HM_OK;
    }
    if (!cJSON_IsObject(md)) {
        hm_pj_why(why, why_len, "CycloneDX: metadata must be an object");
        return HM_E_INVALID;
    }
    if ((err = hm_pj_ref_str(md, "timestamp", 64, "metadata", &s, why, why_len)) != HM_OK ||
        (s != NULL && (err = hm_sbom_set_timestamp(b->s, s, why, why_len)) != HM_OK)) {
        return err;
    }
    if (!array_or_absent(hm_json_get(md, "authors"))) {
        hm_pj_why(why, why_len, "CycloneDX: metadata.authors must be an array");
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(it, hm_json_get(md, "authors")) {
        if ((hm_json_get_string(it, "name", false, 1024, &s) != HM_OK || s == NULL) &&
            (hm_json_get_string(it, "email", false, 1024, &s) != HM_OK || s == NULL)) {
            hm_pj_why(why, why_len, "CycloneDX: metadata.authors[] needs a name or email");
            return HM_E_INVALID;
        }
        if ((err = hm_sbom_add_author(b, s)) != HM_OK) {
            return err;
        }
    }
    /* 1.5 allows the legacy array of tools; 1.5 and 1.6 the {components, services} object. */
    tools = hm_json_get(md, "tools");
    tools = cJSON_IsObject(tools) ? hm_json_get(tools, "components") : tools;
    if (!array_or_absent(tools)) {
        hm_pj_why(why, why_len, "CycloneDX: metadata.tools has the wrong shape");
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(it, tools) {
        if (hm_json_get_string(it, "name", false, 1024, &s) == HM_OK && s != NULL &&
            (err = hm_sbom_add_tool(b, s)) != HM_OK) {
            return err;
        }
    }
    if ((it = hm_json_get(md, "component")) != NULL) {
        if ((err = cdx_component(it, &b->s->top, why, why_len)) != HM_OK) {
            b->s->has_top = true; /* freed with the rest */
            return err;
        }
        b->s->has_top = true;
    }
    return HM_OK;
}

static hm_err
cdx_dependencies(const cJSON *arr, struct sbom_build *b, char *why, size_t why_len)
{
    const cJSON *d, *t, *on;
    const char *ref = NULL;
    struct hm_sbom_dependency *dep = NULL;
    hm_err err;

    if (arr == NULL) {
        return HM_OK;
    }
    if (!cJSON_IsArray(arr)) {
        hm_pj_why(why, why_len, "CycloneDX: dependencies must be an array");
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(d, arr) {
        if (hm_json_get_string(d, "ref", true, HM_SBOM_MAX_STRING, &ref) != HM_OK) {
            hm_pj_why(why, why_len, "CycloneDX: dependencies[] needs a ref");
            return HM_E_INVALID;
        }
        if ((err = hm_sbom_dep(b, ref, &dep)) != HM_OK) {
            return err;
        }
        on = hm_json_get(d, "dependsOn");
        if (!array_or_absent(on)) {
            hm_pj_why(why, why_len, "CycloneDX: dependsOn of %s must be an array", ref);
            return HM_E_INVALID;
        }
        cJSON_ArrayForEach(t, on) {
            if (!cJSON_IsString(t) || *t->valuestring == '\0') {
                hm_pj_why(why, why_len, "CycloneDX: dependsOn of %s holds a non-string", ref);
                return HM_E_INVALID;
            }
            if ((err = hm_sbom_dep_add(dep, t->valuestring)) != HM_OK) {
                return err;
            }
        }
    }
    return HM_OK;
}

hm_err
hm_sbom_cdx_parse(const cJSON *root, struct sbom_build *b, char *why, size_t why_len)
{
    const char *fmt = NULL, *ver = NULL;
    const cJSON *vulns;
    hm_err err;

    if (hm_json_get_string(root, "bomFormat", true, 32, &fmt) != HM_OK ||
        strcmp(fmt, "CycloneDX") != 0) {
        hm_pj_why(why, why_len, "SBOM: bomFormat must be \"CycloneDX\"");
        return HM_E_INVALID;
    }
    if (hm_json_get_string(root, "specVersion", true, 8, &ver) != HM_OK) {
        hm_pj_why(why, why_len, "CycloneDX: specVersion missing or not a string");
        return HM_E_INVALID;
    }
    if (strcmp(ver, "1.5") != 0 && strcmp(ver, "1.6") != 0) {
        hm_pj_why(why, why_len, "CycloneDX specVersion %s is not accepted (1.5 or 1.6)", ver);
        return HM_E_INVALID;
    }
    b->s->format = HM_SBOM_CYCLONEDX;
    memcpy(b->s->spec_version, ver, strlen(ver) + 1);
    vulns = hm_json_get(root, "vulnerabilities");
    b->s->has_vulnerabilities = cJSON_IsArray(vulns) && cJSON_GetArraySize(vulns) > 0;
    if ((err = hm_sbom_str(root, "serialNumber", "CycloneDX", &b->s->serial, why, why_len)) !=
            HM_OK ||
        (err = cdx_metadata(hm_json_get(root, "metadata"), b, why, why_len)) != HM_OK ||
        (err = cdx_components(hm_json_get(root, "components"), b, 0, why, why_len)) != HM_OK ||
        (err = cdx_dependencies(hm_json_get(root, "dependencies"), b, why, why_len)) != HM_OK) {
        return err;
    }
    return HM_OK;
}

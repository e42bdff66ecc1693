/*
 * vex.c: OpenVEX v0.2.0 documents (https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md).
 *
 * A VEX statement can clear a finding that would otherwise stop a release, so the document
 * is walked against the spec's keys at every level, status and justification must be the
 * spec's words, and every statement needs a vulnerability and at least one product.
 * Whether a statement clears anything is decided in vuln_match.c.
 */
#include <stdlib.h>
#include <string.h>

#include "vuln_int.h"

static const struct hm_json_limits vex_limits = {
    .max_bytes = HM_VEX_MAX_BYTES,
    .max_depth = 10,
    .max_string = 64u << 10,
    .max_members = 50000,
};

static hm_err
vex_time(const cJSON *obj, const char *key, bool *has, int64_t *out, char *why, size_t why_len)
{
    const char *s = NULL;

    *has = false;
    if (hm_json_get_string(obj, key, false, 64, &s) != HM_OK ||
        (s != NULL && hm_time_parse_rfc3339(s, out) != HM_OK)) {
        hm_pj_why(why, why_len, "VEX: %s is not an RFC 3339 time", key);
        return HM_E_INVALID;
    }
    *has = s != NULL;
    return HM_OK;
}

/* A product or subcomponent: its purl from @id (when a purl) or identifiers.purl. */
static hm_err
component_purl(const cJSON *c, char **out, char *why, size_t why_len)
{
    static const char *const keys[] = { "@id", "identifiers", "hashes", "subcomponents" };
    static const char *const id_keys[] = { "purl", "cpe23", "cpe22" };
    const cJSON *ids = hm_json_get(c, "identifiers");
    const char *id = NULL, *purl = NULL, *bad = NULL;

    *out = NULL;
    if (hm_json_only_keys(c, keys, 4, &bad) != HM_OK ||
        hm_json_get_string(c, "@id", false, VULN_MAX_STR, &id) != HM_OK ||
        (ids != NULL && (hm_json_only_keys(ids, id_keys, 3, &bad) != HM_OK ||
                         hm_json_get_string(ids, "purl", false, VULN_MAX_STR, &purl) != HM_OK))) {
        hm_pj_why(why, why_len, "VEX: a product has the wrong shape (key \"%s\")",
                  bad != NULL ? bad : "@id/identifiers");
        return HM_E_INVALID;
    }
    if (id == NULL && ids == NULL) {
        hm_pj_why(why, why_len, "VEX: a product needs @id or identifiers");
        return HM_E_INVALID;
    }
    if (id != NULL && strncmp(id, "pkg:", 4) == 0) {
        return hm_pj_strdup(id, out);
    }
    return purl != NULL ? hm_pj_strdup(purl, out) : HM_OK;
}

static hm_err
vex_product(const cJSON *pj, struct vex_statement *st, char *why, size_t why_len)
{
    void *arr = st->prods, *slot = NULL;
    struct vex_product *p;
    const cJSON *subs = hm_json_get(pj, "subcomponents"), *s;
    hm_err err = hm_pj_grow(&arr, &st->n_prods, &st->cap_prods, sizeof(*p), VULN_MAX_LIST, &slot);

    st->prods = arr;
    if (err != HM_OK) {
        return err;
    }
    p = slot;
    if ((err = component_purl(pj, &p->purl, why, why_len)) != HM_OK) {
        return err;
    }
    if (subs != NULL && !cJSON_IsArray(subs)) {
        hm_pj_why(why, why_len, "VEX: subcomponents must be an array");
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(s, subs) {
        char *purl = NULL;

        if (hm_json_get(s, "subcomponents") != NULL) {
            hm_pj_why(why, why_len, "VEX: subcomponents do not nest");
            return HM_E_INVALID;
        }
        if ((err = component_purl(s, &purl, why, why_len)) != HM_OK) {
            return err;
        }
        if (purl != NULL) {
            err = hm_pj_strv_push(&p->subs, &p->n_subs, &p->cap_subs, VULN_MAX_LIST, purl);
            free(purl);
            if (err != HM_OK) {
                return err;
            }
        }
    }
    return HM_OK;
}

static hm_err
vex_vulnerability(const cJSON *vj, struct vex_statement *st, char *why, size_t why_len)
{
    static const char *const keys[] = { "@id", "name", "description", "aliases" };
    const char *name = NULL, *id = NULL, *bad = NULL;
    hm_err err;

    if (!cJSON_IsObject(vj) || hm_json_only_keys(vj, keys, 4, &bad) != HM_OK ||
        hm_json_get_string(vj, "name", false, 256, &name) != HM_OK ||
        hm_json_get_string(vj, "@id", false, VULN_MAX_STR, &id) != HM_OK ||
        (name == NULL && id == NULL)) {
        hm_pj_why(why, why_len, "VEX: vulnerability must be an object with name or @id%s%s",
                  bad != NULL ? ", not " : "", bad != NULL ? bad : "");
        return HM_E_INVALID;
    }
    if ((err = hm_pj_strdup(name != NULL ? name : id, &st->vuln)) != HM_OK) {
        return err;
    }
    return hm_pj_str_array(vj, "aliases", VULN_MAX_LIST, 256, "vulnerability", &st->aliases,
                           &st->n_aliases, why, why_len);
}

static hm_err
vex_status(const cJSON *sj, struct vex_statement *st, char *why, size_t why_len)
{
    static const char *const statuses[] = { "not_affected", "affected", "fixed",
                                            "under_investigation" };
    static const char *const justifications[] = {
        "component_not_present", "vulnerable_code_not_present",
        "vulnerable_code_not_in_execute_path", "vulnerable_code_cannot_be_controlled_by_adversary",
        "inline_mitigations_already_exist"
    };
    const char *status = NULL, *just = NULL, *impact = NULL;
    bool ok = false;

    if (hm_json_get_string(sj, "status", true, 32, &status) != HM_OK) {
        hm_pj_why(why, why_len, "VEX: a statement needs a status");
        return HM_E_INVALID;
    }
    for (size_t i = 0; i < 4; i++) {
        st->status = strcmp(status, statuses[i]) == 0 ? (enum hm_vex_status)(i + 1) : st->status;
    }
    if (st->status == 0) {
        hm_pj_why(why, why_len, "VEX: status %s is not an OpenVEX status", status);
        return HM_E_INVALID;
    }
    if (hm_json_get_string(sj, "justification", false, 64, &just) != HM_OK ||
        hm_json_get_string(sj, "impact_statement", false, VULN_MAX_STR * 4, &impact) != HM_OK) {
        hm_pj_why(why, why_len, "VEX: justification and impact_statement must be strings");
        return HM_E_INVALID;
    }
    for (size_t i = 0; just != NULL && i < 5; i++) {
        ok = ok || strcmp(just, justifications[i]) == 0;
    }
    if (just != NULL && !ok) {
        hm_pj_why(why, why_len, "VEX: justification %s is not an OpenVEX justification", just);
        return HM_E_INVALID;
    }
    st->has_impact = impact != NULL;
    return just != NULL ? hm_pj_strdup(just, &st->justification) : HM_OK;
}

static hm_err
vex_statement(const cJSON *sj, struct hm_vex *vex, char *why, size_t why_len)
{
    static const char *const keys[] = { "@id",
                                        "version",
                                        "vulnerability",
                                        "timestamp",
                                        "last_updated",
                                        "products",
                                        "status",
                                        "supplier",
                                        "status_notes",
                                        "justification",
                                        "impact_statement",
                                        "action_statement",
                                        "action_statement_timestamp" };
    void *arr = vex->st, *slot = NULL;
    struct vex_statement *st;
    const cJSON *prods = hm_json_get(sj, "products"), *p;
    const char *bad = NULL;
    hm_err err;

    if (hm_json_only_keys(sj, keys, sizeof(keys) / sizeof(keys[0]), &bad) != HM_OK) {
        hm_pj_why(why, why_len, "VEX: statement key \"%s\" is not OpenVEX v0.2.0",
                  bad != NULL ? bad : "(not an object)");
        return HM_E_INVALID;
    }
    err = hm_pj_grow(&arr, &vex->n_st, &vex->cap_st, sizeof(*st), HM_VEX_MAX_STMTS, &slot);
    vex->st = arr;
    if (err != HM_OK) {
        return err;
    }
    st = slot;
    if ((err = vex_vulnerability(hm_json_get(sj, "vulnerability"), st, why, why_len)) != HM_OK ||
        (err = vex_status(sj, st, why, why_len)) != HM_OK ||
        (err = vex_time(sj, "last_updated", &st->has_ts, &st->ts, why, why_len)) != HM_OK ||
        (!st->has_ts &&
         (err = vex_time(sj, "timestamp", &st->has_ts, &st->ts, why, why_len)) != HM_OK)) {
        return err;
    }
    if (!cJSON_IsArray(prods) || cJSON_GetArraySize(prods) == 0) {
        hm_pj_why(why, why_len, "VEX: statement for %s has no products", st->vuln);
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(p, prods) {
        if ((err = vex_product(p, st, why, why_len)) != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

hm_err
hm_vex_parse(const void *buf, size_t len, struct hm_vex **out, char *why, size_t why_len)
{
    static const char *const keys[] = { "@context", "@id",       "author",
                                        "role",     "timestamp", "last_updated",
                                        "version",  "tooling",   "statements" };
    struct hm_vex *vex = NULL;
    cJSON *root = NULL;
    const cJSON *stmts, *s;
    const char *ctx = NULL, *bad = NULL, *author = NULL;
    bool has_ts = false, has_upd = false;
    int64_t updated = 0;
    uint64_t version = 1;
    hm_err err;

    *out = NULL;
    if ((err = hm_pj_parse(buf, len, &vex_limits, "VEX", &root, why, why_len)) != HM_OK) {
        return err;
    }
    if ((vex = calloc(1, sizeof(*vex))) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    err = HM_E_INVALID;
    if (hm_json_only_keys(root, keys, 9, &bad) != HM_OK) {
        hm_pj_why(why, why_len, "VEX: key \"%s\" is not OpenVEX v0.2.0",
                  bad != NULL ? bad : "(not an object)");
        goto out;
    }
    if (hm_json_get_string(root, "@context", true, 128, &ctx) != HM_OK ||
        (strcmp(ctx, "https://openvex.dev/ns/v0.2.0") != 0 &&
         strcmp(ctx, "https://openvex.dev/ns") != 0)) {
        hm_pj_why(why, why_len, "VEX: @context must be https://openvex.dev/ns/v0.2.0");
        goto out;
    }
    if ((err = hm_pj_opt_str(root, "@id", VULN_MAX_STR, "VEX", &vex->id, why, why_len)) != HM_OK ||
        (err = vex_time(root, "timestamp", &has_ts, &vex->ts, why, why_len)) != HM_OK) {
        goto out;
    }
    if (vex->id == NULL || !has_ts ||
        hm_json_get_string(root, "author", true, VULN_MAX_STR, &author) != HM_OK) {
        hm_pj_why(why, why_len, "VEX: @id, author and timestamp are required");
        err = HM_E_INVALID;
        goto out;
    }
    if (hm_json_get_u64(root, "version", false, UINT32_MAX, &version) != HM_OK || version == 0 ||
        vex_time(root, "last_updated", &has_upd, &updated, why, why_len) != HM_OK) {
        hm_pj_why(why, why_len, "VEX: version must be an integer >= 1, last_updated a time");
        err = HM_E_INVALID;
        goto out;
    }
    vex->ts = has_upd ? updated : vex->ts; /* statements without a time take the document's */
    stmts = hm_json_get(root, "statements");
    if (!cJSON_IsArray(stmts) || cJSON_GetArraySize(stmts) == 0) {
        hm_pj_why(why, why_len, "VEX: statements must be a non-empty array");
        err = HM_E_INVALID;
        goto out;
    }
    cJSON_ArrayForEach(s, stmts) {
        if ((err = vex_statement(s, vex, why, why_len)) != HM_OK) {
            goto out;
        }
    }
    *out = vex;
    vex = NULL; /* the caller owns it now */
    err = HM_OK;
out:
    hm_vex_free(vex);
    cJSON_Delete(root);
    return err;
}

void
hm_vex_free(struct hm_vex *vex)
{
    if (vex == NULL) {
        return;
    }
    for (size_t i = 0; i < vex->n_st; i++) {
        struct vex_statement *st = &vex->st[i];

        for (size_t j = 0; j < st->n_prods; j++) {
            free(st->prods[j].purl);
            hm_pj_strv_free(st->prods[j].subs, st->prods[j].n_subs);
        }
        free(st->prods);
        free(st->vuln);
        hm_pj_strv_free(st->aliases, st->n_aliases);
        free(st->justification);
    }
    free(vex->st);
    free(vex->id);
    free(vex);
}

const char *
hm_vex_id(const struct hm_vex *vex)
{
    return vex == NULL ? NULL : vex->id;
}

size_t
hm_vex_n_statements(const struct hm_vex *vex)
{
    return vex == NULL ? 0 : vex->n_st;
}

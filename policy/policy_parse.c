/*
 * policy_parse.c: the policy file (docs/policy.md, docs/schemas/policy-v1.schema.json):
 * the document, its "vsa" and "oidc_issuers" sections and the list of products.  The
 * products' own sections are in policy_parse_product.c and policy_parse_rules.c.
 *
 * Every object is walked once against an allow-list: an unknown key anywhere is an error
 * that names its JSON path, because a misspelt rule ("aprovals") must not silently turn
 * a gate off.
 */
#include <hm/verify.h>
#include <stdlib.h>
#include <string.h>

#include "policy_json.h"

#define POLICY_VERSION 1

static const struct hm_json_limits POLICY_LIMITS = {
    .max_bytes = HM_POLICY_MAX_BYTES,
    .max_depth = 16,
    .max_string = POL_MAX_PEM,
    .max_members = 4096,
};

static void
issuer_clear(struct pol_issuer *is)
{
    free(is->issuer);
    free(is->jwks);
    polj_string_list_free(is->audiences, is->n_audiences);
    hm_oidc_issuer_free(is->loaded);
    memset(is, 0, sizeof(*is));
}

void
hm_policy_free(struct hm_policy *p)
{
    if (p == NULL) {
        return;
    }
    for (size_t i = 0; i < p->n_products; i++) {
        pol_product_clear(&p->products[i]);
    }
    free(p->products);
    for (size_t i = 0; i < p->n_issuers; i++) {
        issuer_clear(&p->issuers[i]);
    }
    free(p->issuers);
    pol_stewards_free(p);
    free(p->verifier_id);
    free(p->policy_uri);
    free(p);
}

static hm_err
parse_issuer(const cJSON *obj, struct pol_issuer *is, struct pol_path *path,
             struct hm_policy_error *err)
{
    static const char *const keys[] = { "issuer", "jwks", "audiences", "leeway_seconds" };
    hm_err rc;

    is->leeway = 60;
    if ((rc = polj_object(obj, keys, POL_N(keys), path, err)) != HM_OK ||
        (rc = polj_string_dup(obj, "issuer", true, POL_MAX_STRING, true, &is->issuer, path, err)) !=
            HM_OK ||
        (rc = polj_string_dup(obj, "jwks", true, POL_MAX_STRING, false, &is->jwks, path, err)) !=
            HM_OK ||
        (rc = polj_string_list(obj, "audiences", true, HM_OIDC_MAX_AUDIENCES, POL_MAX_STRING,
                               &is->audiences, &is->n_audiences, path, err)) != HM_OK ||
        (rc = polj_u64(obj, "leeway_seconds", false, 0, HM_OIDC_MAX_LEEWAY, &is->leeway, NULL, path,
                       err)) != HM_OK) {
        return rc;
    }
    if (strncmp(is->issuer, "https://", 8) != 0) {
        size_t mark = pol_path_key(path, "issuer");
        rc = pol_fail(err, path, HM_E_INVALID, "must be an https:// URL, as \"iss\" gives it");
        pol_path_pop(path, mark);
    }
    return rc;
}

static hm_err
parse_issuers(const cJSON *root, struct hm_policy *p, struct pol_path *path,
              struct hm_policy_error *err)
{
    const cJSON *arr = NULL, *it;
    size_t mark, idx;
    hm_err rc;

    if ((rc = polj_array(root, "oidc_issuers", false, 1, POL_MAX_LIST, &arr, path, err)) != HM_OK ||
        arr == NULL) {
        return rc;
    }
    if ((p->issuers = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*p->issuers))) == NULL) {
        return pol_fail(err, path, HM_E_NOMEM, "out of memory");
    }
    mark = pol_path_key(path, "oidc_issuers");
    cJSON_ArrayForEach(it, arr) {
        struct pol_issuer *is = &p->issuers[p->n_issuers];

        idx = pol_path_idx(path, p->n_issuers);
        p->n_issuers++;
        if ((rc = parse_issuer(it, is, path, err)) != HM_OK) {
            return rc;
        }
        for (size_t j = 0; j + 1 < p->n_issuers; j++) {
            if (strcmp(p->issuers[j].issuer, is->issuer) == 0) {
                return pol_fail(err, path, HM_E_INVALID, "issuer \"%s\" is listed twice",
                                is->issuer);
            }
        }
        p->needs_files = true;
        pol_path_pop(path, idx);
    }
    pol_path_pop(path, mark);
    return HM_OK;
}

static hm_err
parse_vsa(const cJSON *root, struct hm_policy *p, struct pol_path *path,
          struct hm_policy_error *err)
{
    static const char *const keys[] = { "verifier_id", "policy_uri" };
    const cJSON *vsa = hm_json_get(root, "vsa");
    size_t mark;
    hm_err rc;

    if (vsa == NULL) {
        return HM_OK;
    }
    mark = pol_path_key(path, "vsa");
    if ((rc = polj_object(vsa, keys, POL_N(keys), path, err)) == HM_OK &&
        (rc = polj_string_dup(vsa, "verifier_id", true, POL_MAX_STRING, true, &p->verifier_id, path,
                              err)) == HM_OK) {
        rc = polj_string_dup(vsa, "policy_uri", true, POL_MAX_STRING, true, &p->policy_uri, path,
                             err);
    }
    pol_path_pop(path, mark);
    return rc;
}

/* Every OIDC rule names an issuer the policy configures. */
static hm_err
check_oidc_issuers(const struct hm_policy *p, struct pol_path *path, struct hm_policy_error *err)
{
    for (size_t i = 0; i < p->n_products; i++) {
        const struct pol_product *pr = &p->products[i];

        for (size_t j = 0; j < pr->n_oidc; j++) {
            bool found = false;

            for (size_t k = 0; k < p->n_issuers && !found; k++) {
                found = strcmp(p->issuers[k].issuer, pr->oidc[j].issuer) == 0;
            }
            if (!found) {
                pol_path_key(path, "products");
                pol_path_idx(path, i);
                pol_path_key(path, "identities");
                pol_path_key(path, "oidc");
                pol_path_idx(path, j);
                pol_path_key(path, "issuer");
                return pol_fail(err, path, HM_E_INVALID, "issuer \"%s\" is not in $.oidc_issuers",
                                pr->oidc[j].issuer);
            }
        }
    }
    return HM_OK;
}

static hm_err
parse_products(const cJSON *root, struct hm_policy *p, struct pol_path *path,
               struct hm_policy_error *err)
{
    const cJSON *arr = NULL, *it;
    size_t mark, idx;
    hm_err rc;

    if ((rc = polj_array(root, "products", true, 1, HM_POLICY_MAX_PRODUCTS, &arr, path, err)) !=
        HM_OK) {
        return rc;
    }
    if ((p->products = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*p->products))) == NULL) {
        return pol_fail(err, path, HM_E_NOMEM, "out of memory");
    }
    mark = pol_path_key(path, "products");
    cJSON_ArrayForEach(it, arr) {
        struct pol_product *pr = &p->products[p->n_products];

        idx = pol_path_idx(path, p->n_products);
        p->n_products++;
        if ((rc = pol_parse_product(it, pr, path, err)) != HM_OK) {
            return rc;
        }
        for (size_t j = 0; j + 1 < p->n_products; j++) {
            if (strcmp(p->products[j].name, pr->name) == 0) {
                pol_path_key(path, "name");
                return pol_fail(err, path, HM_E_INVALID, "product \"%s\" is listed twice",
                                pr->name);
            }
        }
        if (pr->feed != NULL || pr->kev != NULL || pr->vex_dir != NULL) {
            p->needs_files = true;
        }
        for (size_t j = 0; j < pr->n_approvers; j++) {
            p->needs_files = p->needs_files || pr->approvers[j].key == NULL;
        }
        pol_path_pop(path, idx);
    }
    pol_path_pop(path, mark);
    return HM_OK;
}

static hm_err
parse_root(const cJSON *root, struct hm_policy *p, struct hm_policy_error *err)
{
    static const char *const keys[] = { "version", "vsa", "oidc_issuers", "products", "stewards" };
    struct pol_path path;
    uint64_t version = 0;
    hm_err rc;

    pol_path_init(&path);
    if ((rc = polj_object(root, keys, POL_N(keys), &path, err)) != HM_OK ||
        (rc = polj_u64(root, "version", true, 0, 1000, &version, NULL, &path, err)) != HM_OK) {
        return rc;
    }
    if (version != POLICY_VERSION) {
        pol_path_key(&path, "version");
        return pol_fail(err, &path, HM_E_INVALID,
                        "policy format version %llu is not supported (this Hallmark reads %d)",
                        (unsigned long long)version, POLICY_VERSION);
    }
    if ((rc = parse_vsa(root, p, &path, err)) != HM_OK ||
        (rc = parse_issuers(root, p, &path, err)) != HM_OK ||
        (rc = parse_products(root, p, &path, err)) != HM_OK ||
        (rc = pol_parse_stewards(root, p, &path, err)) != HM_OK) {
        return rc;
    }
    return check_oidc_issuers(p, &path, err);
}

hm_err
hm_policy_parse(const void *buf, size_t len, struct hm_policy **out, struct hm_policy_error *err)
{
    struct hm_policy *p = NULL;
    struct hm_json_error jerr;
    cJSON *root = NULL;
    hm_err rc;

    *out = NULL;
    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }
    if (buf == NULL || len == 0) {
        return pol_fail(err, NULL, HM_E_INVALID, "empty policy");
    }
    if ((rc = hm_json_parse(buf, len, &POLICY_LIMITS, &root, &jerr)) != HM_OK) {
        if (err != NULL) {
            err->offset = jerr.offset;
        }
        return pol_fail(err, NULL, rc, "not valid JSON at byte %zu: %s", jerr.offset, jerr.message);
    }
    if ((p = calloc(1, sizeof(*p))) == NULL) {
        rc = pol_fail(err, NULL, HM_E_NOMEM, "out of memory");
        goto out;
    }
    hm_sha256(buf, len, p->sha256);
    if ((rc = parse_root(root, p, err)) != HM_OK) {
        goto out;
    }
    if (!p->needs_files) {
        if ((rc = pol_check_approver_keys(p, err)) != HM_OK) {
            goto out;
        }
        p->resolved = true;
    }
    *out = p;
    p = NULL; /* the caller owns it now */
out:
    cJSON_Delete(root);
    hm_policy_free(p);
    return rc;
}

const uint8_t *
hm_policy_sha256(const struct hm_policy *p)
{
    return p->sha256;
}

const struct pol_product *
pol_find_product(const struct hm_policy *p, const char *name)
{
    if (p == NULL || name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < p->n_products; i++) {
        if (strcmp(p->products[i].name, name) == 0) {
            return &p->products[i];
        }
    }
    return NULL;
}

bool
hm_policy_has_product(const struct hm_policy *p, const char *product)
{
    return pol_find_product(p, product) != NULL;
}

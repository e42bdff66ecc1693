/*
 * policy_steward.c: the optional "stewards" section (CRA Art. 24/25 attestations) and
 * hm_policy_steward_authorise; plus the small accessors the daemon reads the policy
 * through (key names to resolve at load, CRA product facts, whether a product has its
 * own identity rule).
 *
 *   "stewards": [{"projects": ["pkg:github/madler/zlib", "pkg:github/curl/STAR"],
 *                 "identities": {"mtls": [...], "oidc": [...]},
 *                 "key": "steward-p256"}]
 *
 * The identities are parsed and matched by the products' code (pol_parse_identities,
 * pol_rule_identity) so that a steward rule means exactly what a product rule means.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_json.h"

#define POL_MAX_STEWARDS 256

void
pol_stewards_free(struct hm_policy *p)
{
    for (size_t i = 0; p->stewards != NULL && i < p->n_stewards; i++) {
        polj_string_list_free(p->stewards[i].projects, p->stewards[i].n_projects);
        free(p->stewards[i].key);
        pol_product_clear(&p->stewards[i].who);
    }
    free(p->stewards);
    p->stewards = NULL;
    p->n_stewards = 0;
}

/* A purl pattern: "pkg:" then printable ASCII without spaces. */
static hm_err
check_projects(const struct pol_steward *s, struct pol_path *path, struct hm_policy_error *err)
{
    for (size_t i = 0; i < s->n_projects; i++) {
        const char *v = s->projects[i];
        if (strncmp(v, "pkg:", 4) != 0 || strchr(v, ' ') != NULL || strlen(v) < 6) {
            size_t mark = pol_path_key(path, "projects");
            pol_path_idx(path, i);
            hm_err rc = pol_fail(err, path, HM_E_INVALID,
                                 "\"%s\" is not a purl pattern (pkg:TYPE/NAMESPACE/NAME, "
                                 "globs allowed)",
                                 v);
            pol_path_pop(path, mark);
            return rc;
        }
    }
    return HM_OK;
}

static hm_err
check_issuers(const struct hm_policy *p, const struct pol_steward *s, struct pol_path *path,
              struct hm_policy_error *err)
{
    for (size_t j = 0; j < s->who.n_oidc; j++) {
        bool found = false;
        for (size_t k = 0; k < p->n_issuers && !found; k++) {
            found = strcmp(p->issuers[k].issuer, s->who.oidc[j].issuer) == 0;
        }
        if (!found) {
            pol_path_key(path, "identities");
            pol_path_key(path, "oidc");
            pol_path_idx(path, j);
            pol_path_key(path, "issuer");
            return pol_fail(err, path, HM_E_INVALID, "issuer \"%s\" is not in $.oidc_issuers",
                            s->who.oidc[j].issuer);
        }
    }
    return HM_OK;
}

static hm_err
parse_steward(const cJSON *obj, const struct hm_policy *p, struct pol_steward *s, size_t i,
              struct pol_path *path, struct hm_policy_error *err)
{
    static const char *const keys[] = { "projects", "identities", "key" };
    char label[32];
    hm_err rc;

    snprintf(label, sizeof(label), "stewards[%zu]", i);
    if ((s->who.name = pol_strdup(label)) == NULL) {
        return pol_fail(err, path, HM_E_NOMEM, "out of memory");
    }
    if ((rc = polj_object(obj, keys, POL_N(keys), path, err)) != HM_OK ||
        (rc = polj_string_list(obj, "projects", true, POL_MAX_LIST, POL_MAX_STRING, &s->projects,
                               &s->n_projects, path, err)) != HM_OK ||
        (rc = check_projects(s, path, err)) != HM_OK ||
        (rc = polj_string_dup(obj, "key", true, POL_MAX_STRING, true, &s->key, path, err)) !=
            HM_OK ||
        (rc = pol_parse_identities(obj, &s->who, path, err)) != HM_OK) {
        return rc;
    }
    if (!s->who.has_identities) {
        /* a steward entry without identities would let any client issue for the project */
        return pol_fail(err, path, HM_E_INVALID, "\"identities\" is required");
    }
    return check_issuers(p, s, path, err);
}

hm_err
pol_parse_stewards(const cJSON *root, struct hm_policy *p, struct pol_path *path,
                   struct hm_policy_error *err)
{
    const cJSON *arr = NULL, *it;
    size_t mark, idx;
    hm_err rc;

    if ((rc = polj_array(root, "stewards", false, 1, POL_MAX_STEWARDS, &arr, path, err)) != HM_OK ||
        arr == NULL) {
        return rc;
    }
    p->stewards = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*p->stewards));
    if (p->stewards == NULL) {
        return pol_fail(err, path, HM_E_NOMEM, "out of memory");
    }
    mark = pol_path_key(path, "stewards");
    cJSON_ArrayForEach(it, arr) {
        idx = pol_path_idx(path, p->n_stewards);
        p->n_stewards++;
        if ((rc = parse_steward(it, p, &p->stewards[p->n_stewards - 1], p->n_stewards - 1, path,
                                err)) != HM_OK) {
            return rc;
        }
        pol_path_pop(path, idx);
    }
    pol_path_pop(path, mark);
    return HM_OK;
}

static bool
project_matches(const struct pol_steward *s, const char *purl)
{
    for (size_t i = 0; i < s->n_projects; i++) {
        if (hm_glob_match(s->projects[i], purl)) {
            return true;
        }
    }
    return false;
}

/* Runs the products' identity rule against one steward entry: true when who matches. */
static hm_err
steward_identity(const struct hm_policy *p, const struct pol_steward *s,
                 const struct hm_policy_identity *who, int64_t now, bool *ok, char *shown,
                 size_t shown_len)
{
    struct hm_policy_decision *d = calloc(1, sizeof(*d));
    struct pol_eval e = { .policy = p, .prod = &s->who, .who = who, .now = now, .d = d };
    hm_err rc;

    *ok = false;
    if (d == NULL) {
        return HM_E_NOMEM;
    }
    if ((rc = pol_rule_identity(&e)) == HM_OK && (rc = d->err) == HM_OK) {
        *ok = d->n_reasons == 0;
        if (d->identity != NULL && shown[0] == '\0') {
            snprintf(shown, shown_len, "%s", d->identity);
        }
    }
    hm_policy_decision_free(d);
    return rc;
}

hm_err
hm_policy_steward_authorise(const struct hm_policy *p, const struct hm_policy_identity *who,
                            const char *project_purl, int64_t now, const char **key_out, char *why,
                            size_t why_len)
{
    static const struct hm_policy_identity nobody = { 0 };
    char shown[POL_MAX_STRING + 16] = "";
    hm_err rc;

    *key_out = NULL;
    if (why != NULL && why_len > 0) {
        why[0] = '\0';
    }
    if (p == NULL || project_purl == NULL) {
        return HM_E_INVALID;
    }
    if (p->n_stewards == 0) {
        if (why != NULL && why_len > 0) {
            snprintf(why, why_len, "the policy has no stewards section");
        }
        return HM_E_NOTFOUND;
    }
    if (!p->resolved) {
        return HM_E_INVALID; /* OIDC issuers' keys not read: hm_policy_resolve first */
    }
    who = who != NULL ? who : &nobody;
    for (size_t i = 0; i < p->n_stewards; i++) {
        const struct pol_steward *s = &p->stewards[i];
        bool ok = false;

        if (!project_matches(s, project_purl)) {
            continue;
        }
        if ((rc = steward_identity(p, s, who, now, &ok, shown, sizeof(shown))) != HM_OK) {
            return rc;
        }
        if (ok) {
            *key_out = s->key;
            return HM_OK;
        }
    }
    /* An unknown project and an identity the project does not list read alike. */
    if (why != NULL && why_len > 0) {
        snprintf(why, why_len, "%s may not issue steward attestations for %s",
                 who->cn != NULL ? who->cn
                                 : (who->bearer != NULL ? "this CI token" : "this client"),
                 project_purl);
    }
    return HM_E_DENIED;
}

/* ---- accessors for the daemon ---- */
hm_err
hm_policy_each_key(const struct hm_policy *p, hm_policy_key_fn fn, void *ctx)
{
    char path[192];
    hm_err rc;

    for (size_t i = 0; i < p->n_products; i++) {
        const struct pol_product *pr = &p->products[i];
        for (size_t j = 0; j < pr->n_keys; j++) {
            snprintf(path, sizeof(path), "$.products[%zu].keys.%s", i, pr->keys[j].channel);
            if ((rc = fn(ctx, path, pr->keys[j].key)) != HM_OK) {
                return rc;
            }
        }
    }
    for (size_t i = 0; i < p->n_stewards; i++) {
        snprintf(path, sizeof(path), "$.stewards[%zu].key", i);
        if ((rc = fn(ctx, path, p->stewards[i].key)) != HM_OK) {
            return rc;
        }
    }
    return HM_OK;
}

bool
hm_policy_product_has_identities(const struct hm_policy *p, const char *product)
{
    const struct pol_product *pr = pol_find_product(p, product);

    return pr != NULL && pr->has_identities;
}

void
hm_policy_product_facts(const struct hm_policy *p, const char *product, const char **manufacturer,
                        const char **security_contact)
{
    const struct pol_product *pr = pol_find_product(p, product);

    *manufacturer = pr != NULL ? pr->manufacturer : NULL;
    *security_contact = pr != NULL ? pr->security_contact : NULL;
}

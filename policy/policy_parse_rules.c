/*
 * policy_parse_rules.c: the rule sections of a product: identities, sbom,
 * vulnerabilities, approvals and windows.
 */
#include <hm/verify.h>
#include <stdlib.h>
#include <string.h>

#include "policy_json.h"

/* ---- identities ---- */
static hm_err
parse_mtls_one(const char *text, struct pol_mtls *m)
{
    static const struct {
        const char *prefix;
        enum pol_mtls_kind kind;
    } kinds[] = {
        { "cn:", POL_MTLS_CN },
        { "san:dns:", POL_MTLS_SAN_DNS },
        { "san:uri:", POL_MTLS_SAN_URI },
    };

    for (size_t i = 0; i < POL_N(kinds); i++) {
        size_t plen = strlen(kinds[i].prefix);

        if (strncmp(text, kinds[i].prefix, plen) == 0 && text[plen] != '\0') {
            m->kind = kinds[i].kind;
            if ((m->value = pol_strdup(text + plen)) == NULL ||
                (m->text = pol_strdup(text)) == NULL) {
                return HM_E_NOMEM;
            }
            return HM_OK;
        }
    }
    return HM_E_INVALID;
}

static hm_err
parse_mtls(const cJSON *ids, struct pol_product *p, struct pol_path *path,
           struct hm_policy_error *err)
{
    char **list = NULL;
    size_t n = 0, mark;
    hm_err rc;

    if ((rc = polj_string_list(ids, "mtls", false, POL_MAX_LIST, POL_MAX_STRING, &list, &n, path,
                               err)) != HM_OK ||
        n == 0) {
        return rc;
    }
    if ((p->mtls = calloc(n, sizeof(*p->mtls))) == NULL) {
        rc = pol_fail(err, path, HM_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        p->n_mtls++;
        if ((rc = parse_mtls_one(list[i], &p->mtls[i])) != HM_OK) {
            mark = pol_path_key(path, "mtls");
            pol_path_idx(path, i);
            rc =
                pol_fail(err, path, rc,
                         "\"%s\" is not \"cn:NAME\", \"san:dns:NAME\" or \"san:uri:URI\"", list[i]);
            pol_path_pop(path, mark);
            goto out;
        }
    }
out:
    polj_string_list_free(list, n);
    return rc;
}

static hm_err
parse_claims(const cJSON *obj, struct pol_oidc_rule *r, struct pol_path *path,
             struct hm_policy_error *err)
{
    const cJSON *claims = hm_json_get(obj, "claims"), *it;
    size_t mark = pol_path_key(path, "claims"), n;
    hm_err rc = HM_OK;

    n = (size_t)cJSON_GetArraySize(claims);
    if (!cJSON_IsObject(claims) || n == 0 || n > 32) {
        rc = pol_fail(err, path, HM_E_INVALID,
                      "must be an object of 1 to 32 claim matchers, e.g. {\"repository\": "
                      "\"acme/thermostat\"}: a rule without claims would admit every job of "
                      "the issuer");
        goto out;
    }
    if ((r->claims = calloc(n, sizeof(*r->claims))) == NULL) {
        rc = pol_fail(err, path, HM_E_NOMEM, "out of memory");
        goto out;
    }
    cJSON_ArrayForEach(it, claims) {
        struct pol_claim *c = &r->claims[r->n_claims];
        size_t k = pol_path_key(path, it->string);

        if (!pol_is_printable(it->string, 64) || !cJSON_IsString(it) ||
            !pol_is_printable(it->valuestring, POL_MAX_STRING)) {
            rc = pol_fail(err, path, HM_E_INVALID,
                          "must be a string: the exact value or a glob ('*', '?')");
            goto out;
        }
        if ((c->name = pol_strdup(it->string)) == NULL ||
            (c->pattern = pol_strdup(it->valuestring)) == NULL) {
            free(c->name);
            rc = pol_fail(err, path, HM_E_NOMEM, "out of memory");
            goto out;
        }
        r->n_claims++;
        pol_path_pop(path, k);
    }
out:
    pol_path_pop(path, mark);
    return rc;
}

static hm_err
parse_oidc(const cJSON *ids, struct pol_product *p, struct pol_path *path,
           struct hm_policy_error *err)
{
    static const char *const keys[] = { "issuer", "claims" };
    const cJSON *arr = NULL, *it;
    size_t mark, idx;
    hm_err rc;

    if ((rc = polj_array(ids, "oidc", false, 1, POL_MAX_LIST, &arr, path, err)) != HM_OK ||
        arr == NULL) {
        return rc;
    }
    if ((p->oidc = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*p->oidc))) == NULL) {
        return pol_fail(err, path, HM_E_NOMEM, "out of memory");
    }
    mark = pol_path_key(path, "oidc");
    cJSON_ArrayForEach(it, arr) {
        struct pol_oidc_rule *r = &p->oidc[p->n_oidc];

        idx = pol_path_idx(path, p->n_oidc);
        p->n_oidc++;
        if ((rc = polj_object(it, keys, POL_N(keys), path, err)) != HM_OK ||
            (rc = polj_string_dup(it, "issuer", true, POL_MAX_STRING, true, &r->issuer, path,
                                  err)) != HM_OK ||
            (rc = parse_claims(it, r, path, err)) != HM_OK) {
            return rc;
        }
        pol_path_pop(path, idx);
    }
    pol_path_pop(path, mark);
    return HM_OK;
}

hm_err
pol_parse_identities(const cJSON *obj, struct pol_product *p, struct pol_path *path,
                     struct hm_policy_error *err)
{
    static const char *const keys[] = { "mtls", "oidc" };
    const cJSON *ids = hm_json_get(obj, "identities");
    size_t mark;
    hm_err rc;

    if (ids == NULL) {
        return HM_OK;
    }
    mark = pol_path_key(path, "identities");
    p->has_identities = true;
    if ((rc = polj_object(ids, keys, POL_N(keys), path, err)) != HM_OK ||
        (rc = parse_mtls(ids, p, path, err)) != HM_OK ||
        (rc = parse_oidc(ids, p, path, err)) != HM_OK) {
        goto out;
    }
    if (p->n_mtls == 0 && p->n_oidc == 0) {
        rc = pol_fail(err, path, HM_E_INVALID, "needs at least one mtls or oidc identity");
    }
out:
    pol_path_pop(path, mark);
    return rc;
}

/* ---- sbom ---- */
struct bits_name {
    const char *name;
    unsigned bits;
};

static const struct bits_name SBOM_FORMATS[] = {
    { "cyclonedx-1.5", POL_FMT_CDX15 },
    { "cyclonedx-1.6", POL_FMT_CDX16 },
    { "spdx-2.3", POL_FMT_SPDX23 },
    { "spdx-3.0", POL_FMT_SPDX30 },
};

static const struct bits_name SBOM_ELEMENTS[] = {
    { "name", HM_SBOM_NEED_NAME },
    { "version", HM_SBOM_NEED_VERSION },
    { "supplier", HM_SBOM_NEED_SUPPLIER },
    { "unique_id", HM_SBOM_NEED_UNIQUE_ID },
    { "hashes", HM_SBOM_NEED_HASHES },
    { "license", HM_SBOM_NEED_LICENSE },
    { "dependencies", HM_SBOM_NEED_DEPENDENCIES },
    { "author", HM_SBOM_NEED_AUTHOR },
    { "timestamp", HM_SBOM_NEED_TIMESTAMP },
    { "sha512", HM_SBOM_NEED_SHA512 },
    { "filename", HM_SBOM_NEED_FILENAME },
    { "no_vulnerabilities", HM_SBOM_NEED_NO_VULNS },
    { "ntia", HM_SBOM_NEED_NTIA },
};

/* Maps each string of "key" through table to a bit set. */
static hm_err
parse_bits(const cJSON *obj, const char *key, const struct bits_name *table, size_t n_table,
           unsigned *out, struct pol_path *path, struct hm_policy_error *err)
{
    char **list = NULL;
    size_t n = 0, mark;
    hm_err rc;

    if ((rc = polj_string_list(obj, key, false, 64, 64, &list, &n, path, err)) != HM_OK ||
        list == NULL) {
        return rc;
    }
    *out = 0;
    for (size_t i = 0; i < n; i++) {
        bool found = false;

        for (size_t j = 0; j < n_table && !found; j++) {
            if (strcmp(table[j].name, list[i]) == 0) {
                *out |= table[j].bits;
                found = true;
            }
        }
        if (!found) {
            mark = pol_path_key(path, key);
            pol_path_idx(path, i);
            rc = pol_fail(err, path, HM_E_INVALID, "\"%s\" is not a known value (docs/policy.md)",
                          list[i]);
            pol_path_pop(path, mark);
            break;
        }
    }
    polj_string_list_free(list, n);
    return rc;
}

hm_err
pol_parse_sbom(const cJSON *obj, struct pol_product *p, struct pol_path *path,
               struct hm_policy_error *err)
{
    static const char *const keys[] = { "required", "formats", "describes_artifacts", "minimum" };
    const cJSON *s = hm_json_get(obj, "sbom");
    size_t mark;
    hm_err rc;

    if (s == NULL) {
        return HM_OK;
    }
    mark = pol_path_key(path, "sbom");
    p->has_sbom = true;
    p->sbom_required = true;
    p->sbom_formats = POL_FMT_ALL;
    if ((rc = polj_object(s, keys, POL_N(keys), path, err)) == HM_OK &&
        (rc = polj_bool(s, "required", &p->sbom_required, path, err)) == HM_OK &&
        (rc = polj_bool(s, "describes_artifacts", &p->sbom_describes, path, err)) == HM_OK &&
        (rc = parse_bits(s, "formats", SBOM_FORMATS, POL_N(SBOM_FORMATS), &p->sbom_formats, path,
                         err)) == HM_OK) {
        rc = parse_bits(s, "minimum", SBOM_ELEMENTS, POL_N(SBOM_ELEMENTS), &p->sbom_minimum, path,
                        err);
    }
    pol_path_pop(path, mark);
    return rc;
}

/* ---- vulnerabilities ---- */
hm_err
pol_parse_vuln(const cJSON *obj, struct pol_product *p, struct pol_path *path,
               struct hm_policy_error *err)
{
    static const char *const keys[] = { "feed", "kev", "vex_dir", "deny_kev", "max_cvss" };
    const cJSON *v = hm_json_get(obj, "vulnerabilities");
    size_t mark;
    hm_err rc;

    if (v == NULL) {
        return HM_OK;
    }
    mark = pol_path_key(path, "vulnerabilities");
    p->has_vuln = true;
    p->deny_kev = true;
    if ((rc = polj_object(v, keys, POL_N(keys), path, err)) != HM_OK ||
        (rc = polj_string_dup(v, "feed", true, POL_MAX_STRING, false, &p->feed, path, err)) !=
            HM_OK ||
        (rc = polj_string_dup(v, "kev", false, POL_MAX_STRING, false, &p->kev, path, err)) !=
            HM_OK ||
        (rc = polj_string_dup(v, "vex_dir", false, POL_MAX_STRING, false, &p->vex_dir, path,
                              err)) != HM_OK ||
        (rc = polj_bool(v, "deny_kev", &p->deny_kev, path, err)) != HM_OK ||
        (rc = polj_number(v, "max_cvss", 0.0, 10.0, &p->max_cvss, &p->has_max_cvss, path, err)) !=
            HM_OK) {
        goto out;
    }
    if (p->deny_kev && p->kev == NULL) {
        rc = pol_fail(err, path, HM_E_INVALID,
                      "deny_kev needs \"kev\", the known-exploited list (CISA KEV JSON); set "
                      "deny_kev to false to gate on max_cvss only");
        goto out;
    }
    if (!p->deny_kev && !p->has_max_cvss) {
        rc = pol_fail(err, path, HM_E_INVALID,
                      "denies nothing: set deny_kev to true or give max_cvss");
    }
out:
    pol_path_pop(path, mark);
    return rc;
}

/* ---- approvals ---- */
static hm_err
parse_approver(const cJSON *obj, struct pol_approver *a, struct pol_path *path,
               struct hm_policy_error *err)
{
    static const char *const keys[] = { "name", "key" };
    size_t mark;
    hm_err rc;

    if ((rc = polj_object(obj, keys, POL_N(keys), path, err)) != HM_OK ||
        (rc = polj_string_dup(obj, "name", true, POL_MAX_NAME, true, &a->name, path, err)) !=
            HM_OK ||
        (rc = polj_string_dup(obj, "key", true, POL_MAX_PEM, false, &a->key_ref, path, err)) !=
            HM_OK) {
        return rc;
    }
    /* Inline PEM is read now; a path waits for hm_policy_resolve. */
    if (strncmp(a->key_ref, "-----BEGIN", 10) == 0 &&
        (rc = hm_pubkey_from_pem(a->key_ref, strlen(a->key_ref), &a->key)) != HM_OK) {
        mark = pol_path_key(path, "key");
        rc = pol_fail(err, path, rc,
                      "not a public key Hallmark accepts (PEM SubjectPublicKeyInfo: P-256, "
                      "P-384, Ed25519 or RSA >= 3072)");
        pol_path_pop(path, mark);
    }
    return rc;
}

hm_err
pol_parse_approvals(const cJSON *obj, struct pol_product *p, struct pol_path *path,
                    struct hm_policy_error *err)
{
    static const char *const keys[] = { "required", "approvers" };
    const cJSON *a = hm_json_get(obj, "approvals"), *arr = NULL, *it;
    uint64_t required = 0;
    size_t mark, m2, idx;
    hm_err rc;

    if (a == NULL) {
        return HM_OK;
    }
    mark = pol_path_key(path, "approvals");
    p->has_approvals = true;
    if ((rc = polj_object(a, keys, POL_N(keys), path, err)) != HM_OK ||
        (rc = polj_u64(a, "required", true, 1, POL_MAX_APPROVALS, &required, NULL, path, err)) !=
            HM_OK ||
        (rc = polj_array(a, "approvers", true, 1, POL_MAX_LIST, &arr, path, err)) != HM_OK) {
        goto out;
    }
    p->approvals_required = (unsigned)required;
    if ((p->approvers = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*p->approvers))) == NULL) {
        rc = pol_fail(err, path, HM_E_NOMEM, "out of memory");
        goto out;
    }
    m2 = pol_path_key(path, "approvers");
    cJSON_ArrayForEach(it, arr) {
        idx = pol_path_idx(path, p->n_approvers);
        p->n_approvers++;
        if ((rc = parse_approver(it, &p->approvers[p->n_approvers - 1], path, err)) != HM_OK) {
            goto out;
        }
        for (size_t j = 0; j + 1 < p->n_approvers; j++) {
            if (strcmp(p->approvers[j].name, p->approvers[p->n_approvers - 1].name) == 0) {
                rc = pol_fail(err, path, HM_E_INVALID, "approver \"%s\" is listed twice",
                              p->approvers[j].name);
                goto out;
            }
        }
        pol_path_pop(path, idx);
    }
    pol_path_pop(path, m2);
    if (required > p->n_approvers) {
        pol_path_key(path, "required");
        rc = pol_fail(err, path, HM_E_INVALID, "%llu approvals required but only %zu approvers",
                      (unsigned long long)required, p->n_approvers);
    }
out:
    pol_path_pop(path, mark);
    return rc;
}

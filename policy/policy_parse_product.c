/*
 * policy_parse_product.c: one entry of "products": its name, channels, key binding,
 * identities, version and support-period rules.  The SBOM, vulnerability, approval and
 * window sections are in policy_parse_rules.c.
 */
#include <hm/verify.h>
#include <stdlib.h>
#include <string.h>

#include "policy_json.h"

void
pol_product_clear(struct pol_product *p)
{
    free(p->name);
    free(p->manufacturer);
    free(p->security_contact);
    polj_string_list_free(p->channels, p->n_channels);
    for (size_t i = 0; i < p->n_keys; i++) {
        free(p->keys[i].channel);
        free(p->keys[i].key);
    }
    free(p->keys);
    for (size_t i = 0; i < p->n_mtls; i++) {
        free(p->mtls[i].value);
        free(p->mtls[i].text);
    }
    free(p->mtls);
    for (size_t i = 0; i < p->n_oidc; i++) {
        free(p->oidc[i].issuer);
        for (size_t j = 0; j < p->oidc[i].n_claims; j++) {
            free(p->oidc[i].claims[j].name);
            free(p->oidc[i].claims[j].pattern);
        }
        free(p->oidc[i].claims);
    }
    free(p->oidc);
    free(p->version_pattern);
    free(p->feed);
    free(p->kev);
    free(p->vex_dir);
    hm_vulnfeed_free(p->vfeed);
    for (size_t i = 0; i < p->n_vex_docs; i++) {
        hm_vex_free(p->vex_docs[i]);
        free(p->vex_names[i]);
    }
    free(p->vex_docs);
    free(p->vex_names);
    free(p->vex_sha256);
    for (size_t i = 0; i < p->n_approvers; i++) {
        free(p->approvers[i].name);
        free(p->approvers[i].key_ref);
        hm_pubkey_free(p->approvers[i].key);
    }
    free(p->approvers);
    for (size_t i = 0; i < p->n_freezes; i++) {
        free(p->freezes[i].from_text);
        free(p->freezes[i].to_text);
        free(p->freezes[i].reason);
    }
    free(p->freezes);
    memset(p, 0, sizeof(*p));
}

static bool
has_channel(const struct pol_product *p, const char *channel)
{
    if (p->n_channels == 0) {
        return strcmp(channel, POL_DEFAULT_CHAN) == 0;
    }
    for (size_t i = 0; i < p->n_channels; i++) {
        if (strcmp(p->channels[i], channel) == 0) {
            return true;
        }
    }
    return false;
}

static hm_err
parse_channels(const cJSON *obj, struct pol_product *p, struct pol_path *path,
               struct hm_policy_error *err)
{
    size_t mark;
    hm_err rc;

    if ((rc = polj_string_list(obj, "channels", false, POL_MAX_LIST, POL_MAX_NAME, &p->channels,
                               &p->n_channels, path, err)) != HM_OK) {
        return rc;
    }
    for (size_t i = 0; i < p->n_channels; i++) {
        if (!pol_is_name(p->channels[i])) {
            mark = pol_path_key(path, "channels");
            pol_path_idx(path, i);
            rc = pol_fail(err, path, HM_E_INVALID,
                          "\"%s\" is not of the form [a-z0-9][a-z0-9._-]{0,63}", p->channels[i]);
            pol_path_pop(path, mark);
            return rc;
        }
    }
    return HM_OK;
}

/* "keys": {"stable": "firmware-p256", "beta": "pkcs11:object=fw-beta"} */
static hm_err
parse_keys(const cJSON *obj, struct pol_product *p, struct pol_path *path,
           struct hm_policy_error *err)
{
    const cJSON *keys = hm_json_get(obj, "keys"), *it;
    size_t mark, n;
    hm_err rc = HM_OK;

    if (keys == NULL) {
        return HM_OK;
    }
    mark = pol_path_key(path, "keys");
    n = (size_t)cJSON_GetArraySize(keys);
    if (!cJSON_IsObject(keys) || n == 0 || n > POL_MAX_LIST) {
        rc = pol_fail(err, path, HM_E_INVALID,
                      "must be an object of 1 to %d members {\"channel\": \"key name\"}",
                      POL_MAX_LIST);
        goto out;
    }
    if ((p->keys = calloc(n, sizeof(*p->keys))) == NULL) {
        rc = pol_fail(err, path, HM_E_NOMEM, "out of memory");
        goto out;
    }
    p->has_keys = true;
    cJSON_ArrayForEach(it, keys) {
        struct pol_key_binding *kb = &p->keys[p->n_keys];
        size_t k = pol_path_key(path, it->string);

        if (!has_channel(p, it->string)) {
            rc = pol_fail(err, path, HM_E_INVALID,
                          "channel \"%s\" is not in this product's channels", it->string);
            goto out;
        }
        if (!cJSON_IsString(it) || !pol_is_printable(it->valuestring, POL_MAX_STRING)) {
            rc = pol_fail(err, path, HM_E_INVALID, "must be a key name (printable, 1 to %d bytes)",
                          POL_MAX_STRING);
            goto out;
        }
        if ((kb->channel = pol_strdup(it->string)) == NULL ||
            (kb->key = pol_strdup(it->valuestring)) == NULL) {
            free(kb->channel);
            rc = pol_fail(err, path, HM_E_NOMEM, "out of memory");
            goto out;
        }
        p->n_keys++;
        pol_path_pop(path, k);
    }
out:
    pol_path_pop(path, mark);
    return rc;
}

static hm_err
parse_version(const cJSON *obj, struct pol_product *p, struct pol_path *path,
              struct hm_policy_error *err)
{
    static const char *const keys[] = { "pattern", "monotonic" };
    const cJSON *v = hm_json_get(obj, "version");
    size_t mark;
    hm_err rc;

    if (v == NULL) {
        return HM_OK;
    }
    mark = pol_path_key(path, "version");
    p->has_version = true;
    p->monotonic = true;
    if ((rc = polj_object(v, keys, POL_N(keys), path, err)) == HM_OK &&
        (rc = polj_string_dup(v, "pattern", false, HM_SEMVER_MAX_LEN, true, &p->version_pattern,
                              path, err)) == HM_OK) {
        rc = polj_bool(v, "monotonic", &p->monotonic, path, err);
    }
    pol_path_pop(path, mark);
    return rc;
}

static hm_err
parse_support(const cJSON *obj, struct pol_product *p, struct pol_path *path,
              struct hm_policy_error *err)
{
    static const char *const keys[] = { "minimum_years", "minimum_months" };
    const cJSON *s = hm_json_get(obj, "support");
    uint64_t years = 0, months = 0;
    bool has_years = false, has_months = false;
    size_t mark;
    hm_err rc;

    if (s == NULL) {
        return HM_OK;
    }
    mark = pol_path_key(path, "support");
    if ((rc = polj_object(s, keys, POL_N(keys), path, err)) != HM_OK ||
        (rc = polj_u64(s, "minimum_years", false, 1, 50, &years, &has_years, path, err)) != HM_OK ||
        (rc = polj_u64(s, "minimum_months", false, 1, 600, &months, &has_months, path, err)) !=
            HM_OK) {
        goto out;
    }
    if (has_years == has_months) {
        rc = pol_fail(err, path, HM_E_INVALID,
                      "needs exactly one of minimum_years and minimum_months");
        goto out;
    }
    p->has_support = true;
    p->min_months = (unsigned)(has_years ? years * 12 : months);
out:
    pol_path_pop(path, mark);
    return rc;
}

/* CRA product facts (Annex II) for the release statement: the same limits as attest/. */
static hm_err
parse_cra_facts(const cJSON *obj, struct pol_product *p, struct pol_path *path,
                struct hm_policy_error *err)
{
    size_t mark;
    hm_err rc;

    if ((rc = polj_string_dup(obj, "manufacturer", false, 256, true, &p->manufacturer, path,
                              err)) != HM_OK ||
        (rc = polj_string_dup(obj, "security_contact", false, 256, true, &p->security_contact, path,
                              err)) != HM_OK) {
        return rc;
    }
    if (p->security_contact != NULL && strncmp(p->security_contact, "https://", 8) != 0 &&
        (strchr(p->security_contact, '@') == NULL || strchr(p->security_contact, ' ') != NULL)) {
        mark = pol_path_key(path, "security_contact");
        rc =
            pol_fail(err, path, HM_E_INVALID,
                     "\"%s\" is neither an email address nor an https:// URL", p->security_contact);
        pol_path_pop(path, mark);
    }
    return rc;
}

hm_err
pol_parse_product(const cJSON *obj, struct pol_product *out, struct pol_path *path,
                  struct hm_policy_error *err)
{
    static const char *const keys[] = {
        "name", "channels",        "keys",      "identities", "version",      "support",
        "sbom", "vulnerabilities", "approvals", "windows",    "manufacturer", "security_contact"
    };
    hm_err rc;

    if ((rc = polj_object(obj, keys, POL_N(keys), path, err)) != HM_OK ||
        (rc = polj_name_dup(obj, "name", true, &out->name, path, err)) != HM_OK ||
        (rc = parse_cra_facts(obj, out, path, err)) != HM_OK ||
        (rc = parse_channels(obj, out, path, err)) != HM_OK ||
        (rc = parse_keys(obj, out, path, err)) != HM_OK ||
        (rc = pol_parse_identities(obj, out, path, err)) != HM_OK ||
        (rc = parse_version(obj, out, path, err)) != HM_OK ||
        (rc = parse_support(obj, out, path, err)) != HM_OK ||
        (rc = pol_parse_sbom(obj, out, path, err)) != HM_OK ||
        (rc = pol_parse_vuln(obj, out, path, err)) != HM_OK ||
        (rc = pol_parse_approvals(obj, out, path, err)) != HM_OK) {
        return rc;
    }
    return pol_parse_windows(obj, out, path, err);
}

/* ---- windows and limits ---- */
static hm_err
parse_time(const cJSON *obj, const char *key, int64_t *out, char **text, struct pol_path *path,
           struct hm_policy_error *err)
{
    size_t mark;
    hm_err rc;

    if ((rc = polj_string_dup(obj, key, true, 40, true, text, path, err)) != HM_OK) {
        return rc;
    }
    if (hm_time_parse_rfc3339(*text, out) != HM_OK) {
        mark = pol_path_key(path, key);
        rc = pol_fail(err, path, HM_E_INVALID, "\"%s\" is not an RFC 3339 time", *text);
        pol_path_pop(path, mark);
    }
    return rc;
}

static hm_err
parse_freezes(const cJSON *w, struct pol_product *p, struct pol_path *path,
              struct hm_policy_error *err)
{
    static const char *const keys[] = { "from", "to", "reason" };
    const cJSON *arr = NULL, *it;
    size_t mark, idx;
    hm_err rc;

    if ((rc = polj_array(w, "freeze", false, 1, POL_MAX_LIST, &arr, path, err)) != HM_OK ||
        arr == NULL) {
        return rc;
    }
    if ((p->freezes = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*p->freezes))) == NULL) {
        return pol_fail(err, path, HM_E_NOMEM, "out of memory");
    }
    mark = pol_path_key(path, "freeze");
    cJSON_ArrayForEach(it, arr) {
        struct pol_freeze *f = &p->freezes[p->n_freezes];

        idx = pol_path_idx(path, p->n_freezes);
        p->n_freezes++;
        if ((rc = polj_object(it, keys, POL_N(keys), path, err)) != HM_OK ||
            (rc = parse_time(it, "from", &f->from, &f->from_text, path, err)) != HM_OK ||
            (rc = parse_time(it, "to", &f->to, &f->to_text, path, err)) != HM_OK ||
            (rc = polj_string_dup(it, "reason", true, POL_MAX_STRING, false, &f->reason, path,
                                  err)) != HM_OK) {
            return rc;
        }
        if (f->to <= f->from) {
            return pol_fail(err, path, HM_E_INVALID, "\"to\" must be after \"from\"");
        }
        pol_path_pop(path, idx);
    }
    pol_path_pop(path, mark);
    return HM_OK;
}

static hm_err
parse_hours(const cJSON *w, struct pol_product *p, struct pol_path *path,
            struct hm_policy_error *err)
{
    const cJSON *arr = NULL, *from, *to;
    uint64_t h[2] = { 0, 0 };
    size_t mark;
    hm_err rc;

    if ((rc = polj_array(w, "allowed_hours_utc", false, 2, 2, &arr, path, err)) != HM_OK ||
        arr == NULL) {
        return rc;
    }
    mark = pol_path_key(path, "allowed_hours_utc");
    from = cJSON_GetArrayItem(arr, 0);
    to = cJSON_GetArrayItem(arr, 1);
    if (hm_json_number_u64(from, 24, &h[0]) != HM_OK ||
        hm_json_number_u64(to, 24, &h[1]) != HM_OK || h[0] == h[1] || h[0] == 24) {
        rc = pol_fail(err, path, HM_E_INVALID,
                      "must be [from, to]: whole hours 0..24, from < 24 and from != to "
                      "(from > to wraps midnight)");
        goto out;
    }
    p->has_hours = true;
    p->hour_from = (unsigned)h[0];
    p->hour_to = (unsigned)h[1];
out:
    pol_path_pop(path, mark);
    return rc;
}

static hm_err
parse_digests(const cJSON *w, struct pol_product *p, struct pol_path *path,
              struct hm_policy_error *err)
{
    char **list = NULL;
    size_t n = 0, mark;
    hm_err rc;

    if ((rc = polj_string_list(w, "digests", false, 2, 16, &list, &n, path, err)) != HM_OK) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i], "sha256") == 0) {
            p->digests |= POL_DIGEST_SHA256;
        } else if (strcmp(list[i], "sha512") == 0) {
            p->digests |= POL_DIGEST_SHA512;
        } else {
            mark = pol_path_key(path, "digests");
            pol_path_idx(path, i);
            rc = pol_fail(err, path, HM_E_INVALID, "\"%s\" is not \"sha256\" or \"sha512\"",
                          list[i]);
            pol_path_pop(path, mark);
            break;
        }
    }
    polj_string_list_free(list, n);
    return rc;
}

hm_err
pol_parse_windows(const cJSON *obj, struct pol_product *p, struct pol_path *path,
                  struct hm_policy_error *err)
{
    static const char *const keys[] = { "freeze", "allowed_hours_utc", "max_artifact_size",
                                        "digests" };
    const cJSON *w = hm_json_get(obj, "windows");
    size_t mark;
    hm_err rc;

    if (w == NULL) {
        return HM_OK;
    }
    mark = pol_path_key(path, "windows");
    p->has_windows = true;
    if ((rc = polj_object(w, keys, POL_N(keys), path, err)) == HM_OK &&
        (rc = parse_freezes(w, p, path, err)) == HM_OK &&
        (rc = parse_hours(w, p, path, err)) == HM_OK &&
        (rc = polj_u64(w, "max_artifact_size", false, 1, (uint64_t)1 << 53, &p->max_size,
                       &p->has_max_size, path, err)) == HM_OK) {
        rc = parse_digests(w, p, path, err);
    }
    pol_path_pop(path, mark);
    return rc;
}

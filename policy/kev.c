/*
 * kev.c: the CISA Known Exploited Vulnerabilities catalogue
 * (https://www.cisa.gov/known-exploited-vulnerabilities-catalog, JSON feed
 * known_exploited_vulnerabilities.json): {title, catalogVersion, dateReleased, count,
 * vulnerabilities[{cveID, vendorProject, product, vulnerabilityName, dateAdded,
 * shortDescription, requiredAction, dueDate, knownRansomwareCampaignUse, notes, cwes}]}.
 *
 * "count" must equal the number of entries: a truncated download would otherwise quietly
 * drop known-exploited CVEs and let a release through.  cveID must look like a CVE id and
 * appear once.  Entries are kept sorted by cveID for lookups.
 */
#include <stdlib.h>
#include <string.h>

#include "vuln_int.h"

static const struct hm_json_limits kev_limits = {
    .max_bytes = HM_KEV_MAX_BYTES,
    .max_depth = 6,
    .max_string = 64u << 10,
    .max_members = 100000,
};

static bool
is_cve_id(const char *s)
{
    size_t digits = 0;

    if (strncmp(s, "CVE-", 4) != 0 || strlen(s) < 13 || s[8] != '-') {
        return false;
    }
    for (size_t i = 4; s[i] != '\0'; i++) {
        if (i == 8) {
            continue;
        }
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        digits++;
    }
    return digits >= 8 && digits <= 23;
}

static int
kev_cmp(const void *a, const void *b)
{
    return strcmp(((const struct kev_entry *)a)->cve, ((const struct kev_entry *)b)->cve);
}

static hm_err
kev_entry(const cJSON *v, struct kev_entry *e, size_t i, char *why, size_t why_len)
{
    static const char *const keys[] = { "cveID",
                                        "vendorProject",
                                        "product",
                                        "vulnerabilityName",
                                        "dateAdded",
                                        "shortDescription",
                                        "requiredAction",
                                        "dueDate",
                                        "knownRansomwareCampaignUse",
                                        "notes",
                                        "cwes" };
    const char *cve = NULL, *added = NULL, *ransom = NULL, *bad = NULL;
    int64_t days;
    hm_err err;

    if (hm_json_only_keys(v, keys, sizeof(keys) / sizeof(keys[0]), &bad) != HM_OK) {
        hm_pj_why(why, why_len, "KEV vulnerabilities[%zu]: unknown key \"%s\"", i,
                  bad != NULL ? bad : "?");
        return HM_E_INVALID;
    }
    if (hm_json_get_string(v, "cveID", true, 32, &cve) != HM_OK || !is_cve_id(cve)) {
        hm_pj_why(why, why_len, "KEV vulnerabilities[%zu]: cveID is not a CVE id", i);
        return HM_E_INVALID;
    }
    if (hm_json_get_string(v, "dateAdded", true, 10, &added) != HM_OK ||
        hm_date_parse(added, &days) != HM_OK) {
        hm_pj_why(why, why_len, "KEV %s: dateAdded is not YYYY-MM-DD", cve);
        return HM_E_INVALID;
    }
    if (hm_json_get_string(v, "knownRansomwareCampaignUse", false, 16, &ransom) != HM_OK) {
        hm_pj_why(why, why_len, "KEV %s: knownRansomwareCampaignUse must be a string", cve);
        return HM_E_INVALID;
    }
    e->ransomware = ransom != NULL && strcmp(ransom, "Known") == 0;
    if ((err = hm_pj_strdup(cve, &e->cve)) != HM_OK ||
        (err = hm_pj_strdup(added, &e->date_added)) != HM_OK) {
        return err;
    }
    return HM_OK;
}

hm_err
hm_kev_parse(const void *buf, size_t len, struct hm_vulnfeed *feed, char *why, size_t why_len)
{
    static const char *const keys[] = { "title", "catalogVersion", "dateReleased", "count",
                                        "vulnerabilities" };
    cJSON *root = NULL;
    const cJSON *vulns, *v;
    const char *version = NULL, *bad = NULL;
    uint64_t count = 0;
    size_t n = 0, i = 0;
    hm_err err;

    if ((err = hm_pj_parse(buf, len, &kev_limits, "KEV", &root, why, why_len)) != HM_OK) {
        return err;
    }
    err = HM_E_INVALID;
    if (hm_json_only_keys(root, keys, 5, &bad) != HM_OK) {
        hm_pj_why(why, why_len, "KEV: unknown key \"%s\"", bad != NULL ? bad : "(not an object)");
        goto out;
    }
    vulns = hm_json_get(root, "vulnerabilities");
    if (hm_json_get_string(root, "catalogVersion", true, 32, &version) != HM_OK ||
        hm_json_get_u64(root, "count", true, 1000000, &count) != HM_OK || !cJSON_IsArray(vulns)) {
        hm_pj_why(why, why_len, "KEV: catalogVersion, count and vulnerabilities are required");
        goto out;
    }
    n = (size_t)cJSON_GetArraySize(vulns);
    if (count != n) {
        hm_pj_why(why, why_len, "KEV: count is %llu but %zu entries are present (truncated?)",
                  (unsigned long long)count, n);
        goto out;
    }
    if ((feed->kev = calloc(n == 0 ? 1 : n, sizeof(*feed->kev))) == NULL ||
        (err = hm_pj_strdup(version, &feed->kev_version)) != HM_OK) {
        err = HM_E_NOMEM;
        goto out;
    }
    cJSON_ArrayForEach(v, vulns) {
        feed->n_kev = i + 1; /* counted before filling, so that clearing frees it */
        if ((err = kev_entry(v, &feed->kev[i], i, why, why_len)) != HM_OK) {
            goto out;
        }
        i++;
    }
    qsort(feed->kev, n, sizeof(*feed->kev), kev_cmp);
    for (i = 1; i < n; i++) {
        if (strcmp(feed->kev[i - 1].cve, feed->kev[i].cve) == 0) {
            hm_pj_why(why, why_len, "KEV: %s is listed twice", feed->kev[i].cve);
            err = HM_E_INVALID;
            goto out;
        }
    }
    err = HM_OK;
out:
    cJSON_Delete(root);
    return err;
}

void
hm_kev_clear(struct hm_vulnfeed *feed)
{
    for (size_t i = 0; i < feed->n_kev; i++) {
        free(feed->kev[i].cve);
        free(feed->kev[i].date_added);
    }
    free(feed->kev);
    free(feed->kev_version);
    feed->kev = NULL;
    feed->kev_version = NULL;
    feed->n_kev = 0;
}

hm_err
hm_vulnfeed_set_kev(struct hm_vulnfeed *feed, const void *buf, size_t len, char *why,
                    size_t why_len)
{
    struct hm_vulnfeed tmp = { 0 };
    hm_err err;

    if (feed == NULL || buf == NULL) {
        return HM_E_INVALID;
    }
    if ((err = hm_kev_parse(buf, len, &tmp, why, why_len)) != HM_OK) {
        hm_kev_clear(&tmp);
        return err;
    }
    hm_kev_clear(feed); /* replaced only once the new list parsed */
    feed->kev = tmp.kev;
    feed->n_kev = tmp.n_kev;
    feed->kev_version = tmp.kev_version;
    return HM_OK;
}

const struct kev_entry *
hm_kev_find(const struct hm_vulnfeed *feed, const char *cve)
{
    struct kev_entry key = { .cve = (char *)(uintptr_t)cve };

    if (feed == NULL || cve == NULL || feed->n_kev == 0) {
        return NULL;
    }
    return bsearch(&key, feed->kev, feed->n_kev, sizeof(key), kev_cmp);
}

bool
hm_vulnfeed_in_kev(const struct hm_vulnfeed *feed, const char *cve)
{
    return hm_kev_find(feed, cve) != NULL;
}

size_t
hm_vulnfeed_n_kev(const struct hm_vulnfeed *feed)
{
    return feed == NULL ? 0 : feed->n_kev;
}

const char *
hm_vulnfeed_kev_version(const struct hm_vulnfeed *feed)
{
    return feed == NULL ? NULL : feed->kev_version;
}

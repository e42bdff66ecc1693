/*
 * policy_state.c: a signer's state given as a document rather than by the store, for
 * `hallmark policy check --state FILE` and for tests: the releases already signed,
 * {"releases": [{"product", "channel"?, "version", "date": "YYYY-MM-DD"}]}.  The highest
 * version per (product, channel) and the first release of a major version are computed
 * from it as the store would answer them.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_json.h"

#define STATE_MAX_BYTES    ((size_t)16 << 20)
#define STATE_MAX_RELEASES 100000

struct state_release {
    char *product, *channel, *version;
    int64_t when; /* unix seconds of the date, 00:00 UTC */
};

struct hm_policy_releases {
    struct state_release *rel;
    size_t n;
};

static const struct hm_json_limits STATE_LIMITS = {
    .max_bytes = STATE_MAX_BYTES,
    .max_depth = 4,
    .max_string = 1024,
    .max_members = STATE_MAX_RELEASES,
};

void
hm_policy_releases_free(struct hm_policy_releases *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        free(r->rel[i].product);
        free(r->rel[i].channel);
        free(r->rel[i].version);
    }
    free(r->rel);
    free(r);
}

static hm_err
parse_release(const cJSON *obj, struct state_release *out, struct pol_path *path,
              struct hm_policy_error *err)
{
    static const char *const keys[] = { "product", "channel", "version", "date" };
    const char *date = NULL;
    int64_t days = 0;
    size_t mark;
    hm_err rc;

    if ((rc = polj_object(obj, keys, POL_N(keys), path, err)) != HM_OK ||
        (rc = polj_name_dup(obj, "product", true, &out->product, path, err)) != HM_OK ||
        (rc = polj_name_dup(obj, "channel", false, &out->channel, path, err)) != HM_OK ||
        (rc = polj_string_dup(obj, "version", true, HM_SEMVER_MAX_LEN, true, &out->version, path,
                              err)) != HM_OK ||
        (rc = polj_string(obj, "date", true, 10, true, &date, path, err)) != HM_OK) {
        return rc;
    }
    if (hm_semver_check(out->version, NULL, 0) != HM_OK) {
        mark = pol_path_key(path, "version");
        rc = pol_fail(err, path, HM_E_INVALID, "\"%s\" is not SemVer 2.0.0", out->version);
        pol_path_pop(path, mark);
        return rc;
    }
    if (hm_date_parse(date, &days) != HM_OK) {
        mark = pol_path_key(path, "date");
        rc = pol_fail(err, path, HM_E_INVALID, "must be a date YYYY-MM-DD");
        pol_path_pop(path, mark);
        return rc;
    }
    if (out->channel == NULL && (out->channel = pol_strdup(POL_DEFAULT_CHAN)) == NULL) {
        return pol_fail(err, path, HM_E_NOMEM, "out of memory");
    }
    out->when = days * 86400;
    return HM_OK;
}

static hm_err
parse_root(const cJSON *root, struct hm_policy_releases *r, struct hm_policy_error *err)
{
    static const char *const keys[] = { "releases" };
    const cJSON *arr = NULL, *it;
    struct pol_path path;
    size_t mark, idx;
    hm_err rc;

    pol_path_init(&path);
    if ((rc = polj_object(root, keys, POL_N(keys), &path, err)) != HM_OK ||
        (rc = polj_array(root, "releases", true, 0, STATE_MAX_RELEASES, &arr, &path, err)) !=
            HM_OK) {
        return rc;
    }
    if (cJSON_GetArraySize(arr) > 0 &&
        (r->rel = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*r->rel))) == NULL) {
        return pol_fail(err, &path, HM_E_NOMEM, "out of memory");
    }
    mark = pol_path_key(&path, "releases");
    cJSON_ArrayForEach(it, arr) {
        idx = pol_path_idx(&path, r->n);
        r->n++;
        if ((rc = parse_release(it, &r->rel[r->n - 1], &path, err)) != HM_OK) {
            return rc;
        }
        pol_path_pop(&path, idx);
    }
    pol_path_pop(&path, mark);
    return HM_OK;
}

hm_err
hm_policy_releases_parse(const void *buf, size_t len, struct hm_policy_releases **out,
                         struct hm_policy_error *err)
{
    struct hm_policy_releases *r = NULL;
    struct hm_json_error jerr;
    cJSON *root = NULL;
    hm_err rc;

    *out = NULL;
    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }
    if ((rc = hm_json_parse(buf, len, &STATE_LIMITS, &root, &jerr)) != HM_OK) {
        if (err != NULL) {
            err->offset = jerr.offset;
        }
        return pol_fail(err, NULL, rc, "not valid JSON at byte %zu: %s", jerr.offset, jerr.message);
    }
    if ((r = calloc(1, sizeof(*r))) == NULL) {
        rc = pol_fail(err, NULL, HM_E_NOMEM, "out of memory");
    } else if ((rc = parse_root(root, r, err)) == HM_OK) {
        *out = r;
        r = NULL; /* the caller owns it now */
    }
    cJSON_Delete(root);
    hm_policy_releases_free(r);
    return rc;
}

static hm_err
releases_highest(void *ctx, const char *product, const char *channel, char *out, size_t out_len)
{
    const struct hm_policy_releases *r = ctx;
    const char *best = NULL;
    int cmp = 0;

    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->rel[i].product, product) != 0 || strcmp(r->rel[i].channel, channel) != 0) {
            continue;
        }
        if (best == NULL || (hm_semver_cmp(r->rel[i].version, best, &cmp) == HM_OK && cmp > 0)) {
            best = r->rel[i].version;
        }
    }
    if (best == NULL) {
        return HM_E_NOTFOUND;
    }
    if (strlen(best) >= out_len) {
        return HM_E_LIMIT;
    }
    memcpy(out, best, strlen(best) + 1);
    return HM_OK;
}

static hm_err
releases_first(void *ctx, const char *product, uint64_t major, int64_t *out)
{
    const struct hm_policy_releases *r = ctx;
    bool found = false;
    uint64_t m = 0;

    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->rel[i].product, product) != 0 ||
            hm_semver_major(r->rel[i].version, &m) != HM_OK || m != major) {
            continue;
        }
        if (!found || r->rel[i].when < *out) {
            *out = r->rel[i].when;
            found = true;
        }
    }
    return found ? HM_OK : HM_E_NOTFOUND;
}

void
hm_policy_releases_state(const struct hm_policy_releases *r, struct hm_policy_state *out)
{
    out->ctx = (void *)(uintptr_t)r; /* the callbacks only read it */
    out->highest = releases_highest;
    out->first_release = releases_first;
}

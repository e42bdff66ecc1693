/*
 * osv.c: OSV records (https://ossf.github.io/osv-schema/, schema 1.x) and the feed folder.
 *
 * The objects the decision rests on (the record, affected[], package, ranges[], events[])
 * are walked against allow-lists of the schema's keys, so a typo such as "fixd" refuses
 * the file instead of silently widening a range.  Free-form parts (details, references,
 * credits, database_specific, ecosystem_specific) are left alone except
 * database_specific.severity.  One bad file fails the whole load, naming the file.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vuln_int.h"

static const struct hm_json_limits osv_limits = {
    .max_bytes = HM_OSV_MAX_BYTES,
    .max_depth = 16,
    .max_string = 256u << 10,
    .max_members = 50000,
};

static hm_err
parse_event(const cJSON *ev, struct osv_range *r, char *why, size_t why_len)
{
    static const char *const kinds[] = { "introduced", "fixed", "last_affected", "limit" };
    void *arr = r->ev, *slot = NULL;
    struct osv_event *e;
    hm_err err;

    if (!cJSON_IsObject(ev) || cJSON_GetArraySize(ev) != 1 ||
        hm_json_only_keys(ev, kinds, 4, NULL) != HM_OK || !cJSON_IsString(ev->child) ||
        *ev->child->valuestring == '\0' || strlen(ev->child->valuestring) > VULN_MAX_VER) {
        hm_pj_why(why, why_len,
                  "an event must be one of {introduced|fixed|last_affected|limit: "
                  "version}");
        return HM_E_INVALID;
    }
    err = hm_pj_grow(&arr, &r->n_ev, &r->cap_ev, sizeof(*e), VULN_MAX_EVENTS, &slot);
    r->ev = arr;
    if (err != HM_OK) {
        return err;
    }
    e = slot;
    for (size_t i = 0; i < 4; i++) {
        e->kind = strcmp(ev->child->string, kinds[i]) == 0 ? (enum osv_event_kind)(i + 1) : e->kind;
    }
    return hm_pj_strdup(ev->child->valuestring, &e->version);
}

static hm_err
parse_range(const cJSON *rj, struct osv_affected *a, char *why, size_t why_len)
{
    static const char *const keys[] = { "type", "repo", "events", "database_specific" };
    const char *type = NULL, *bad = NULL;
    void *arr = a->ranges, *slot = NULL;
    struct osv_range *r;
    const cJSON *events, *ev;
    hm_err err;

    if (hm_json_only_keys(rj, keys, 4, &bad) != HM_OK ||
        hm_json_get_string(rj, "type", true, 16, &type) != HM_OK) {
        hm_pj_why(why, why_len, "ranges[]: unknown key \"%s\" or no type", bad ? bad : "type");
        return HM_E_INVALID;
    }
    err = hm_pj_grow(&arr, &a->n_ranges, &a->cap_ranges, sizeof(*r), VULN_MAX_LIST, &slot);
    a->ranges = arr;
    if (err != HM_OK) {
        return err;
    }
    r = slot;
    r->type = strcmp(type, "SEMVER") == 0      ? OSV_SEMVER
              : strcmp(type, "ECOSYSTEM") == 0 ? OSV_ECOSYSTEM
              : strcmp(type, "GIT") == 0       ? OSV_GIT
                                               : 0;
    if (r->type == 0) {
        hm_pj_why(why, why_len, "ranges[]: type %s is not SEMVER, ECOSYSTEM or GIT", type);
        return HM_E_INVALID;
    }
    if ((err = hm_pj_opt_str(rj, "repo", VULN_MAX_STR, "ranges[]", &r->repo, why, why_len)) !=
        HM_OK) {
        return err;
    }
    if (r->type == OSV_GIT && r->repo == NULL) {
        hm_pj_why(why, why_len, "ranges[]: a GIT range needs repo");
        return HM_E_INVALID;
    }
    events = hm_json_get(rj, "events");
    if (!cJSON_IsArray(events) || cJSON_GetArraySize(events) == 0) {
        hm_pj_why(why, why_len, "ranges[]: events must be a non-empty array");
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(ev, events) {
        if ((err = parse_event(ev, r, why, why_len)) != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
parse_package(const cJSON *pj, struct osv_affected *a, char *why, size_t why_len)
{
    static const char *const keys[] = { "ecosystem", "name", "purl" };
    const char *eco = NULL, *name = NULL, *purl = NULL;
    hm_err err;

    if (hm_json_only_keys(pj, keys, 3, NULL) != HM_OK ||
        hm_json_get_string(pj, "ecosystem", true, 128, &eco) != HM_OK ||
        hm_json_get_string(pj, "name", true, VULN_MAX_STR, &name) != HM_OK ||
        hm_json_get_string(pj, "purl", false, VULN_MAX_STR, &purl) != HM_OK) {
        hm_pj_why(why, why_len, "affected[].package must be {ecosystem, name, purl?} strings");
        return HM_E_INVALID;
    }
    err = hm_osv_pkg_key(eco, name, purl, &a->key);
    if (err == HM_E_INVALID) {
        hm_pj_why(why, why_len, "affected[].package.purl is not a valid purl");
    }
    return err == HM_E_NOTFOUND ? HM_OK : err;
}

static hm_err
parse_affected(const cJSON *aj, struct osv_record *rec, char *why, size_t why_len)
{
    static const char *const keys[] = { "package",  "severity",           "ranges",
                                        "versions", "ecosystem_specific", "database_specific" };
    const char *bad = NULL;
    void *arr = rec->aff, *slot = NULL;
    struct osv_affected *a;
    const cJSON *it, *ranges;
    hm_err err;

    if (hm_json_only_keys(aj, keys, 6, &bad) != HM_OK) {
        hm_pj_why(why, why_len, "affected[]: unknown key \"%s\"", bad != NULL ? bad : "?");
        return HM_E_INVALID;
    }
    err = hm_pj_grow(&arr, &rec->n_aff, &rec->cap_aff, sizeof(*a), VULN_MAX_LIST, &slot);
    rec->aff = arr;
    if (err != HM_OK) {
        return err;
    }
    a = slot;
    a->cvss = -1;
    if (((it = hm_json_get(aj, "package")) != NULL &&
         (err = parse_package(it, a, why, why_len)) != HM_OK) ||
        (err = hm_osv_severity(hm_json_get(aj, "severity"), &a->cvss, &a->cvss_vector, why,
                               why_len)) != HM_OK ||
        (err = hm_pj_str_array(aj, "versions", VULN_MAX_LIST * 4, VULN_MAX_VER, "affected[]",
                               &a->versions, &a->n_versions, why, why_len)) != HM_OK) {
        return err;
    }
    ranges = hm_json_get(aj, "ranges");
    if (ranges != NULL && !cJSON_IsArray(ranges)) {
        hm_pj_why(why, why_len, "affected[].ranges must be an array");
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(it, ranges) {
        if ((err = parse_range(it, a, why, why_len)) != HM_OK) {
            return err;
        }
    }
    /* A C library published by repository only: pkg:github/OWNER/REPO (see vuln.h). */
    for (size_t i = 0; a->key.type == NULL && i < a->n_ranges; i++) {
        if (a->ranges[i].type == OSV_GIT &&
            (err = hm_git_repo_key(a->ranges[i].repo, &a->key)) == HM_E_NOMEM) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
parse_top(const cJSON *root, struct osv_record *r, char *why, size_t why_len)
{
    static const char *const keys[] = { "schema_version", "id",        "modified",
                                        "published",      "withdrawn", "aliases",
                                        "upstream",       "related",   "summary",
                                        "details",        "severity",  "affected",
                                        "references",     "credits",   "database_specific" };
    const char *bad = NULL, *sv = NULL, *wd = NULL, *word = NULL;
    const cJSON *db;
    hm_err err;

    if (hm_json_only_keys(root, keys, sizeof(keys) / sizeof(keys[0]), &bad) != HM_OK) {
        hm_pj_why(why, why_len, "OSV: unknown key \"%s\"", bad != NULL ? bad : "?");
        return HM_E_INVALID;
    }
    if (hm_json_get_string(root, "schema_version", false, 16, &sv) != HM_OK ||
        (sv != NULL && strncmp(sv, "1.", 2) != 0)) {
        hm_pj_why(why, why_len, "OSV: schema_version must be 1.x");
        return HM_E_INVALID;
    }
    if ((err = hm_pj_opt_str(root, "id", 256, "OSV", &r->id, why, why_len)) != HM_OK ||
        r->id == NULL) {
        hm_pj_why(why, why_len, "OSV: id must be a non-empty string");
        return err != HM_OK ? err : HM_E_INVALID;
    }
    if ((err = hm_pj_str_array(root, "aliases", VULN_MAX_LIST, 256, "OSV", &r->aliases,
                               &r->n_aliases, why, why_len)) != HM_OK ||
        (err = hm_pj_opt_str(root, "summary", VULN_MAX_STR, "OSV", &r->summary, why, why_len)) !=
            HM_OK ||
        (err = hm_pj_ref_str(root, "withdrawn", 64, "OSV", &wd, why, why_len)) != HM_OK ||
        (err = hm_osv_severity(hm_json_get(root, "severity"), &r->cvss, &r->cvss_vector, why,
                               why_len)) != HM_OK) {
        return err;
    }
    if (wd != NULL && hm_time_parse_rfc3339(wd, &r->withdrawn) != HM_OK) {
        hm_pj_why(why, why_len, "OSV: withdrawn is not an RFC 3339 time");
        return HM_E_INVALID;
    }
    r->withdrawn_set = wd != NULL;
    db = hm_json_get(root, "database_specific");
    if (cJSON_IsObject(db) && hm_json_get_string(db, "severity", false, 32, &word) == HM_OK &&
        word != NULL && hm_severity_parse(word, &r->db_severity) != HM_OK) {
        r->db_severity = HM_SEV_UNKNOWN; /* a word we do not know scores nothing */
    }
    return HM_OK;
}

hm_err
hm_osv_parse_record(const void *buf, size_t len, struct osv_record *r, char *why, size_t why_len)
{
    cJSON *root = NULL;
    const cJSON *aff, *it;
    hm_err err;

    memset(r, 0, sizeof(*r));
    r->cvss = -1;
    if ((err = hm_pj_parse(buf, len, &osv_limits, "OSV", &root, why, why_len)) != HM_OK) {
        return err;
    }
    if (!cJSON_IsObject(root)) {
        hm_pj_why(why, why_len, "OSV: not a JSON object");
        err = HM_E_INVALID;
        goto out;
    }
    if ((err = parse_top(root, r, why, why_len)) != HM_OK) {
        goto out;
    }
    aff = hm_json_get(root, "affected");
    if (aff != NULL && !cJSON_IsArray(aff)) {
        hm_pj_why(why, why_len, "OSV %s: affected must be an array", r->id);
        err = HM_E_INVALID;
        goto out;
    }
    cJSON_ArrayForEach(it, aff) {
        if (!cJSON_IsObject(it) || (err = parse_affected(it, r, why, why_len)) != HM_OK) {
            err = err != HM_OK ? err : HM_E_INVALID;
            goto out;
        }
    }
    for (size_t i = 0; i < r->n_aff; i++) {
        if (r->aff[i].cvss > r->cvss) { /* the record's score is the highest anywhere in it */
            r->cvss = r->aff[i].cvss;
            free(r->cvss_vector);
            r->cvss_vector = NULL;
            if ((err = hm_pj_strdup(r->aff[i].cvss_vector, &r->cvss_vector)) != HM_OK) {
                goto out;
            }
        }
    }
out:
    cJSON_Delete(root);
    if (err != HM_OK) {
        hm_osv_record_clear(r);
    }
    return err;
}

void
hm_osv_record_clear(struct osv_record *r)
{
    for (size_t i = 0; i < r->n_aff; i++) {
        struct osv_affected *a = &r->aff[i];

        hm_pkg_key_clear(&a->key);
        for (size_t j = 0; j < a->n_ranges; j++) {
            for (size_t k = 0; k < a->ranges[j].n_ev; k++) {
                free(a->ranges[j].ev[k].version);
            }
            free(a->ranges[j].ev);
            free(a->ranges[j].repo);
        }
        free(a->ranges);
        hm_pj_strv_free(a->versions, a->n_versions);
        free(a->cvss_vector);
    }
    free(r->aff);
    free(r->id);
    hm_pj_strv_free(r->aliases, r->n_aliases);
    free(r->summary);
    free(r->cvss_vector);
    memset(r, 0, sizeof(*r));
}

hm_err
hm_vulnfeed_new(struct hm_vulnfeed **out)
{
    *out = calloc(1, sizeof(**out));
    return *out == NULL ? HM_E_NOMEM : HM_OK;
}

hm_err
hm_vulnfeed_add_osv(struct hm_vulnfeed *feed, const void *buf, size_t len, char *why,
                    size_t why_len)
{
    struct osv_record rec;
    void *arr, *slot = NULL;
    hm_err err;

    if (feed == NULL || buf == NULL) {
        return HM_E_INVALID;
    }
    if ((err = hm_osv_parse_record(buf, len, &rec, why, why_len)) != HM_OK) {
        return err;
    }
    arr = feed->recs;
    err = hm_pj_grow(&arr, &feed->n_recs, &feed->cap_recs, sizeof(rec), HM_OSV_MAX_FILES, &slot);
    feed->recs = arr;
    if (err != HM_OK) {
        hm_osv_record_clear(&rec);
        hm_pj_why(why, why_len, "OSV feed: more than %d records", HM_OSV_MAX_FILES);
        return err;
    }
    memcpy(slot, &rec, sizeof(rec)); /* the feed owns it now */
    return HM_OK;
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json names in dir, sorted so that the feed's order (and findings') is stable. */
static hm_err
list_json(const char *dir, char ***out, size_t *n, char *why, size_t why_len)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t cap = 0;
    hm_err err = HM_OK;

    *out = NULL;
    *n = 0;
    if (d == NULL) {
        hm_pj_why(why, why_len, "OSV folder %s cannot be opened", dir);
        return HM_E_IO;
    }
    while (err == HM_OK && (de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);

        if (l > 5 && de->d_name[0] != '.' && strcmp(de->d_name + l - 5, ".json") == 0) {
            err = hm_pj_strv_push(out, n, &cap, HM_OSV_MAX_FILES, de->d_name);
        }
    }
    closedir(d);
    if (err == HM_OK) {
        qsort(*out, *n, sizeof(char *), name_cmp);
    } else {
        hm_pj_why(why, why_len, "OSV folder %s: more than %d files", dir, HM_OSV_MAX_FILES);
    }
    return err;
}

static hm_err
load_osv_dir(struct hm_vulnfeed *feed, const char *dir, char *why, size_t why_len)
{
    char **names = NULL, path[4096], inner[256];
    size_t n = 0, len = 0;
    uint8_t *buf = NULL;
    hm_err err;

    if ((err = list_json(dir, &names, &n, why, why_len)) != HM_OK) {
        return err;
    }
    for (size_t i = 0; i < n && err == HM_OK; i++) {
        if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path)) {
            err = HM_E_LIMIT;
            hm_pj_why(why, why_len, "OSV file path too long");
            break;
        }
        if ((err = hm_read_file(path, HM_OSV_MAX_BYTES, &buf, &len)) != HM_OK) {
            hm_pj_why(why, why_len, "OSV file %s: %s", names[i], hm_strerror(err));
            break;
        }
        if ((err = hm_vulnfeed_add_osv(feed, buf, len, inner, sizeof(inner))) != HM_OK) {
            hm_pj_why(why, why_len, "OSV file %s: %s", names[i], inner);
        }
        free(buf);
        buf = NULL;
    }
    hm_pj_strv_free(names, n);
    return err;
}

hm_err
hm_vulnfeed_load(const char *osv_dir, const char *kev_path, struct hm_vulnfeed **out, char *why,
                 size_t why_len)
{
    struct hm_vulnfeed *feed = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    hm_err err;

    *out = NULL;
    if ((err = hm_vulnfeed_new(&feed)) != HM_OK) {
        return err;
    }
    if (osv_dir != NULL && (err = load_osv_dir(feed, osv_dir, why, why_len)) != HM_OK) {
        goto out;
    }
    if (kev_path != NULL) {
        if ((err = hm_read_file(kev_path, HM_KEV_MAX_BYTES, &buf, &len)) != HM_OK) {
            hm_pj_why(why, why_len, "KEV file %s: %s", kev_path, hm_strerror(err));
            goto out;
        }
        if ((err = hm_vulnfeed_set_kev(feed, buf, len, why, why_len)) != HM_OK) {
            goto out;
        }
    }
    *out = feed;
    feed = NULL; /* the caller owns it now */
out:
    free(buf);
    hm_vulnfeed_free(feed);
    return err;
}

void
hm_vulnfeed_free(struct hm_vulnfeed *feed)
{
    if (feed == NULL) {
        return;
    }
    for (size_t i = 0; i < feed->n_recs; i++) {
        hm_osv_record_clear(&feed->recs[i]);
    }
    free(feed->recs);
    hm_kev_clear(feed);
    free(feed);
}

size_t
hm_vulnfeed_n_advisories(const struct hm_vulnfeed *feed)
{
    return feed == NULL ? 0 : feed->n_recs;
}

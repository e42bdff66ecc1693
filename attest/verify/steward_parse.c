/*
 * steward_parse.c: reading a steward attestation into struct hm_steward
 * (docs/steward-attestation.md), from a steward's input file when issuing or from a
 * verified statement when reading.
 *
 * The predicate is ours, so it is read strictly both ways: an allow-list at every level,
 * exact types, bounded strings with checked charsets, known enum values.  Every refusal
 * names the JSON path ("predicate.requirements[2].status: ...").  Only the in-toto layer
 * of a statement (its top level and its subjects) may carry fields we do not know.
 */
#include <hm/verify.h>
#include <stdlib.h>
#include <string.h>

#include "steward_int.h"

#define SUBJECT_NAME_MAX 1024u
#define CLOCK_SKEW       300 /* seconds a steward's clock may run ahead of ours */

/* ---- subjects: release artifacts and/or the source commit ---- */

static hm_err
hex_member(struct hm_sw_ctx *c, const char *path, const char *key, const char *s, uint8_t *out,
           size_t n)
{
    char where[HM_SW_PATH_MAX];

    if (s == NULL || hm_cra_hex(s, out, n)) {
        return HM_OK;
    }
    hm_sw_join(where, path, key);
    return hm_sw_fail(c, HM_E_INVALID, where, "not %zu lowercase hex digits", 2 * n);
}

static hm_err
subject_digests(struct hm_sw_ctx *c, const cJSON *d, const char *path,
                struct hm_steward_subject *sub)
{
    static const char *const keys[] = { "sha256", "sha512", "gitCommit" };
    const char *s256 = NULL, *s512 = NULL, *git = NULL;
    char where[HM_SW_PATH_MAX];
    size_t glen;
    hm_err err;

    if ((c->input && (err = hm_sw_only_keys(c, d, path, keys, 3)) != HM_OK) ||
        (err = hm_sw_string(c, d, path, "sha256", false, &s256)) != HM_OK ||
        (err = hm_sw_string(c, d, path, "sha512", false, &s512)) != HM_OK ||
        (err = hm_sw_string(c, d, path, "gitCommit", false, &git)) != HM_OK ||
        (err = hex_member(c, path, "sha256", s256, sub->sha256, HM_SHA256_LEN)) != HM_OK ||
        (err = hex_member(c, path, "sha512", s512, sub->sha512, HM_SHA512_LEN)) != HM_OK) {
        return err; /* reading: other algorithms are ignored (in-toto) */
    }
    if (s256 == NULL && s512 == NULL && git == NULL) {
        return hm_sw_fail(c, HM_E_INVALID, path, "has none of sha256, sha512, gitCommit");
    }
    sub->has_sha256 = s256 != NULL;
    sub->has_sha512 = s512 != NULL;
    if (git != NULL) {
        glen = strlen(git);
        if ((glen != 40 && glen != 64) || !hm_is_lower_hex(git, glen)) {
            hm_sw_join(where, path, "gitCommit");
            return hm_sw_fail(c, HM_E_INVALID, where, "not 40 or 64 lowercase hex digits");
        }
        memcpy(sub->git_commit, git, glen + 1);
    }
    return HM_OK;
}

static hm_err
parse_subject(struct hm_sw_ctx *c, const cJSON *item, const char *path,
              struct hm_steward_subject *sub)
{
    static const char *const keys[] = { "name", "digest" };
    const cJSON *d = NULL;
    const char *name = NULL;
    char where[HM_SW_PATH_MAX];
    hm_err err;

    hm_sw_join(where, path, "digest");
    if (!cJSON_IsObject(item)) {
        return hm_sw_fail(c, HM_E_INVALID, path, "not an object");
    }
    if ((c->input && (err = hm_sw_only_keys(c, item, path, keys, 2)) != HM_OK) ||
        (err = hm_sw_string(c, item, path, "name", c->input, &name)) != HM_OK ||
        (err = hm_sw_member(c, item, path, "digest", true, cJSON_Object, &d)) != HM_OK ||
        (err = subject_digests(c, d, where, sub)) != HM_OK) {
        return err;
    }
    if (name != NULL && !hm_cra_text_ok(name, SUBJECT_NAME_MAX)) {
        hm_sw_join(where, path, "name");
        return hm_sw_fail(c, HM_E_INVALID, where,
                          "not 1..1024 bytes of text without control characters");
    }
    return name != NULL ? hm_sw_dup(name, &sub->name) : HM_OK;
}

static hm_err
parse_subjects(struct hm_sw_ctx *c, const cJSON *root, struct hm_steward *st)
{
    const cJSON *arr = NULL, *item = NULL;
    char where[HM_SW_PATH_MAX];
    int n;
    hm_err err;

    if ((err = hm_sw_member(c, root, "", "subject", true, cJSON_Array, &arr)) != HM_OK) {
        return err;
    }
    if ((n = cJSON_GetArraySize(arr)) <= 0) {
        return hm_sw_fail(c, HM_E_INVALID, "subject",
                          "empty: name the release artifacts or the commit");
    }
    if (n > HM_STEWARD_MAX_SUBJECTS) {
        return hm_sw_fail(c, HM_E_LIMIT, "subject", "%d subjects, more than %d", n,
                          HM_STEWARD_MAX_SUBJECTS);
    }
    if ((st->subjects = calloc((size_t)n, sizeof(*st->subjects))) == NULL) {
        return HM_E_NOMEM;
    }
    cJSON_ArrayForEach(item, arr) {
        struct hm_steward_subject *sub = &st->subjects[st->n_subjects];
        hm_sw_index(where, "subject", st->n_subjects++); /* counted first: freed if half-filled */
        if ((err = parse_subject(c, item, where, sub)) != HM_OK) {
            return err;
        }
        for (size_t j = 0; c->input && j + 1 < st->n_subjects; j++) {
            if (strcmp(st->subjects[j].name, sub->name) == 0) {
                char name[HM_SW_PATH_MAX];
                hm_sw_join(name, where, "name");
                return hm_sw_fail(c, HM_E_INVALID, name, "the same as subject[%zu].name", j);
            }
        }
    }
    return HM_OK;
}

/* ---- the predicate ---- */

static hm_err
parse_project(struct hm_sw_ctx *c, const cJSON *pred, struct hm_steward *st)
{
    static const char *const keys[] = { "name", "purl", "repository", "versionsCovered" };
    const cJSON *p = NULL, *arr = NULL, *item = NULL;
    const char *purl = NULL;
    char where[HM_SW_PATH_MAX], reason[96];
    int n;
    hm_err err;

    if ((err = hm_sw_member(c, pred, "predicate", "project", true, cJSON_Object, &p)) != HM_OK ||
        (err = hm_sw_only_keys(c, p, "predicate.project", keys, 4)) != HM_OK ||
        (err = hm_sw_field(c, p, "predicate.project", "name", true, HM_SW_TEXT,
                           &st->project.name)) != HM_OK ||
        (err = hm_sw_string(c, p, "predicate.project", "purl", true, &purl)) != HM_OK) {
        return err;
    }
    if (!hm_cra_purl_ok(purl, false, reason, sizeof(reason))) {
        return hm_sw_fail(c, HM_E_INVALID, "predicate.project.purl", "not a package URL: %s",
                          reason);
    }
    if ((err = hm_sw_dup(purl, &st->project.purl)) != HM_OK ||
        (err = hm_sw_field(c, p, "predicate.project", "repository", true, HM_SW_URL,
                           &st->project.repository)) != HM_OK ||
        (err = hm_sw_member(c, p, "predicate.project", "versionsCovered", true, cJSON_Array,
                            &arr)) != HM_OK) {
        return err;
    }
    if ((n = cJSON_GetArraySize(arr)) <= 0 || n > HM_STEWARD_MAX_VERSIONS) {
        return hm_sw_fail(c, n <= 0 ? HM_E_INVALID : HM_E_LIMIT,
                          "predicate.project.versionsCovered", "%d entries, allowed 1..%d", n,
                          HM_STEWARD_MAX_VERSIONS);
    }
    if ((st->project.versions = calloc((size_t)n, sizeof(char *))) == NULL) {
        return HM_E_NOMEM;
    }
    cJSON_ArrayForEach(item, arr) {
        hm_sw_index(where, "predicate.project.versionsCovered", st->project.n_versions);
        if (!cJSON_IsString(item) || !hm_cra_version_entry_ok(item->valuestring)) {
            return hm_sw_fail(c, HM_E_INVALID, where,
                              "neither a version nor a SemVer range (\">=1.2.0 <2.0.0\")");
        }
        if ((err = hm_sw_dup(item->valuestring, &st->project.versions[st->project.n_versions++])) !=
            HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
parse_steward(struct hm_sw_ctx *c, const cJSON *pred, struct hm_steward *st)
{
    static const char *const keys[] = { "legalName", "contact", "securityTxt", "cvdPolicy" };
    static const char *const pkeys[] = { "uri", "digest" };
    static const char *const skeys[] = { "end", "policy" };
    const char *const P = "predicate.steward";
    const cJSON *s = NULL, *pol = NULL, *sup = NULL;
    hm_err err;

    if ((err = hm_sw_member(c, pred, "predicate", "steward", true, cJSON_Object, &s)) != HM_OK ||
        (err = hm_sw_only_keys(c, s, P, keys, 4)) != HM_OK ||
        (err = hm_sw_field(c, s, P, "legalName", true, HM_SW_TEXT, &st->steward.legal_name)) !=
            HM_OK ||
        (err = hm_sw_field(c, s, P, "contact", true, HM_SW_CONTACT, &st->steward.contact)) !=
            HM_OK ||
        (err = hm_sw_field(c, s, P, "securityTxt", false, HM_SW_URL, &st->steward.security_txt)) !=
            HM_OK ||
        (err = hm_sw_field(c, s, P, "cvdPolicy", false, HM_SW_URL, &st->steward.cvd_policy)) !=
            HM_OK) {
        return err;
    }
    if (st->steward.security_txt == NULL && st->steward.cvd_policy == NULL) {
        return hm_sw_fail(c, HM_E_INVALID, P, "needs securityTxt or cvdPolicy (or both)");
    }
    if ((err = hm_sw_member(c, pred, "predicate", "cybersecurityPolicy", true, cJSON_Object,
                            &pol)) != HM_OK ||
        (err = hm_sw_only_keys(c, pol, "predicate.cybersecurityPolicy", pkeys, 2)) != HM_OK ||
        (err = hm_sw_field(c, pol, "predicate.cybersecurityPolicy", "uri", true, HM_SW_URL,
                           &st->policy.uri)) != HM_OK ||
        (err = hm_sw_digest256(c, pol, "predicate.cybersecurityPolicy", st->policy.sha256)) !=
            HM_OK ||
        (err = hm_sw_member(c, pred, "predicate", "supportPeriod", true, cJSON_Object, &sup)) !=
            HM_OK ||
        (err = hm_sw_only_keys(c, sup, "predicate.supportPeriod", skeys, 2)) != HM_OK ||
        (err = hm_sw_field(c, sup, "predicate.supportPeriod", "end", false, HM_SW_DATE,
                           &st->support.end)) != HM_OK ||
        (err = hm_sw_field(c, sup, "predicate.supportPeriod", "policy", false, HM_SW_COMMENT,
                           &st->support.policy)) != HM_OK) {
        return err;
    }
    if (st->support.end == NULL && st->support.policy == NULL) {
        return hm_sw_fail(c, HM_E_INVALID, "predicate.supportPeriod",
                          "needs end or policy (or both)");
    }
    return HM_OK;
}

static hm_err
parse_evidence(struct hm_sw_ctx *c, const cJSON *arr, const char *path,
               struct hm_steward_requirement *r)
{
    static const char *const keys[] = { "type", "uri", "digest" };
    const cJSON *item = NULL;
    char where[HM_SW_PATH_MAX];
    int n = cJSON_GetArraySize(arr), type;
    hm_err err;

    if (n > HM_STEWARD_MAX_EVIDENCE) {
        return hm_sw_fail(c, HM_E_LIMIT, path, "%d references, more than %d", n,
                          HM_STEWARD_MAX_EVIDENCE);
    }
    if (n > 0 && (r->evidence = calloc((size_t)n, sizeof(*r->evidence))) == NULL) {
        return HM_E_NOMEM;
    }
    cJSON_ArrayForEach(item, arr) {
        struct hm_steward_evidence *e = &r->evidence[r->n_evidence];
        hm_sw_index(where, path, r->n_evidence++);
        if ((err = hm_sw_only_keys(c, item, where, keys, 3)) != HM_OK ||
            (err = hm_sw_enum(c, item, where, "type", true, hm_cra_evidence_names, 6, &type)) !=
                HM_OK ||
            (err = hm_sw_field(c, item, where, "uri", true, HM_SW_URL, &e->uri)) != HM_OK ||
            (err = hm_sw_digest256(c, item, where, e->sha256)) != HM_OK) {
            return err;
        }
        e->type = (enum hm_steward_evidence_type)type;
    }
    return HM_OK;
}

static hm_err
parse_requirement(struct hm_sw_ctx *c, const cJSON *item, const char *path,
                  struct hm_steward_requirement *r, int *seen)
{
    static const char *const keys[] = { "id", "status", "method", "evidence", "comment" };
    const cJSON *ev = NULL;
    const char *id = NULL;
    char where[HM_SW_PATH_MAX], clean[48];
    int k, status, method;
    hm_err err;

    hm_sw_join(where, path, "id");
    if ((err = hm_sw_only_keys(c, item, path, keys, 5)) != HM_OK ||
        (err = hm_sw_string(c, item, path, "id", true, &id)) != HM_OK) {
        return err;
    }
    if ((k = hm_cra_item_find(id)) < 0) {
        return hm_sw_fail(c, HM_E_INVALID, where, "\"%s\" is not a CRA Annex I item we know",
                          hm_sw_clean(id, clean, sizeof(clean)));
    }
    if (seen[k] >= 0) {
        return hm_sw_fail(c, HM_E_INVALID, where, "\"%s\" is listed twice (also requirements[%d])",
                          id, seen[k]);
    }
    r->item = (size_t)k;
    if ((err = hm_sw_enum(c, item, path, "status", true, hm_cra_status_names, 4, &status)) !=
            HM_OK ||
        (err = hm_sw_enum(c, item, path, "method", status != HM_STEWARD_NOT_ASSESSED,
                          hm_cra_method_names, 2, &method)) != HM_OK ||
        (err = hm_sw_member(c, item, path, "evidence", false, cJSON_Array, &ev)) != HM_OK ||
        (err = hm_sw_field(c, item, path, "comment", false, HM_SW_COMMENT, &r->comment)) != HM_OK) {
        return err;
    }
    r->status = (enum hm_steward_status)status;
    r->method = (enum hm_steward_method)method;
    hm_sw_join(where, path, "evidence");
    if (ev != NULL && (err = parse_evidence(c, ev, where, r)) != HM_OK) {
        return err;
    }
    if ((r->status == HM_STEWARD_MET || r->status == HM_STEWARD_PARTIALLY) && r->n_evidence == 0) {
        return hm_sw_fail(c, HM_E_INVALID, where,
                          "a \"%s\" requirement needs at least one evidence "
                          "reference",
                          hm_steward_status_name(r->status));
    }
    return HM_OK;
}

static int
by_item(const void *a, const void *b)
{
    size_t x = ((const struct hm_steward_requirement *)a)->item;
    size_t y = ((const struct hm_steward_requirement *)b)->item;
    return (x > y) - (x < y);
}

static hm_err
parse_requirements(struct hm_sw_ctx *c, const cJSON *pred, struct hm_steward *st)
{
    const cJSON *arr = NULL, *item = NULL;
    char where[HM_SW_PATH_MAX];
    int seen[32], n;
    hm_err err;

    if ((err = hm_sw_member(c, pred, "predicate", "requirements", true, cJSON_Array, &arr)) !=
        HM_OK) {
        return err;
    }
    if ((n = cJSON_GetArraySize(arr)) <= 0) {
        return hm_sw_fail(c, HM_E_INVALID, "predicate.requirements",
                          "empty: list the Annex I items");
    }
    if ((size_t)n > hm_cra_item_count()) {
        return hm_sw_fail(c, HM_E_LIMIT, "predicate.requirements",
                          "%d entries, more than the %zu "
                          "Annex I items",
                          n, hm_cra_item_count());
    }
    memset(seen, 0xff, sizeof(seen)); /* -1: not seen */
    if ((st->requirements = calloc((size_t)n, sizeof(*st->requirements))) == NULL) {
        return HM_E_NOMEM;
    }
    cJSON_ArrayForEach(item, arr) {
        struct hm_steward_requirement *r = &st->requirements[st->n_requirements];
        hm_sw_index(where, "predicate.requirements", st->n_requirements++);
        if ((err = parse_requirement(c, item, where, r, seen)) != HM_OK) {
            return err;
        }
        seen[r->item] = (int)st->n_requirements - 1;
    }
    /* Annex order: the same facts give the same statement bytes whatever the input order. */
    qsort(st->requirements, st->n_requirements, sizeof(*st->requirements), by_item);
    return HM_OK;
}

static hm_err
parse_times(struct hm_sw_ctx *c, const cJSON *pred, struct hm_steward *st)
{
    char t[32], n[32];
    hm_err err;

    if ((err = hm_sw_time(c, pred, "timeAssessed", &st->time_assessed)) != HM_OK ||
        (err = hm_sw_time(c, pred, "expires", &st->expires)) != HM_OK) {
        return err;
    }
    if (st->expires <= st->time_assessed) {
        return hm_sw_fail(c, HM_E_INVALID, "predicate.expires",
                          "not later than predicate.timeAssessed");
    }
    hm_time_rfc3339(c->now, n);
    if (c->input && st->time_assessed > c->now + CLOCK_SKEW) {
        hm_time_rfc3339(st->time_assessed, t);
        return hm_sw_fail(c, HM_E_INVALID, "predicate.timeAssessed", "%s is in the future (now %s)",
                          t, n);
    }
    if (c->input && st->expires <= c->now) {
        hm_time_rfc3339(st->expires, t);
        return hm_sw_fail(c, HM_E_INVALID, "predicate.expires", "%s is not in the future (now %s)",
                          t, n);
    }
    return HM_OK;
}

static hm_err
parse_predicate(struct hm_sw_ctx *c, const cJSON *root, struct hm_steward *st)
{
    static const char *const keys[] = { "project",       "steward",      "cybersecurityPolicy",
                                        "supportPeriod", "requirements", "assessor",
                                        "timeAssessed",  "expires" };
    static const char *const akeys[] = { "name", "type", "programme" };
    const cJSON *pred = NULL, *a = NULL;
    int type;
    hm_err err;

    if ((err = hm_sw_member(c, root, "", "predicate", true, cJSON_Object, &pred)) != HM_OK ||
        (err = hm_sw_only_keys(c, pred, "predicate", keys, 8)) != HM_OK ||
        (err = parse_project(c, pred, st)) != HM_OK ||
        (err = parse_steward(c, pred, st)) != HM_OK ||
        (err = parse_requirements(c, pred, st)) != HM_OK ||
        (err = hm_sw_member(c, pred, "predicate", "assessor", true, cJSON_Object, &a)) != HM_OK ||
        (err = hm_sw_only_keys(c, a, "predicate.assessor", akeys, 3)) != HM_OK ||
        (err = hm_sw_field(c, a, "predicate.assessor", "name", true, HM_SW_TEXT,
                           &st->assessor.name)) != HM_OK ||
        (err = hm_sw_enum(c, a, "predicate.assessor", "type", true, hm_cra_assessor_names, 2,
                          &type)) != HM_OK ||
        (err = hm_sw_field(c, a, "predicate.assessor", "programme", false, HM_SW_TEXT,
                           &st->assessor.programme)) != HM_OK) {
        return err;
    }
    st->assessor.type = (enum hm_steward_assessor_type)type;
    return parse_times(c, pred, st);
}

static const struct hm_json_limits input_limits = {
    .max_bytes = HM_STEWARD_INPUT_MAX_BYTES,
    .max_depth = 8,
    .max_string = 4096,
    .max_members = 1024,
};
/* A statement may carry other producers' fields (in-toto): bounded like a payload. */
static const struct hm_json_limits statement_limits = {
    .max_bytes = HM_PAYLOAD_MAX_BYTES,
    .max_depth = HM_JSON_MAX_DEPTH,
    .max_string = 64u << 10,
    .max_members = HM_MAX_SUBJECTS,
};

static hm_err
parse_doc(struct hm_sw_ctx *c, const uint8_t *buf, size_t len, struct hm_steward **out)
{
    static const char *const keys[] = { "subject", "predicate" };
    struct hm_steward *st = NULL;
    cJSON *root = NULL;
    const char *s = NULL;
    hm_err err;

    *out = NULL;
    hm_cra_why(c->why, c->why_len, "%s", "");
    if (buf == NULL || len == 0) {
        return hm_sw_fail(c, HM_E_INVALID, "", "empty");
    }
    if ((err = hm_sw_parse_json(c, buf, len, c->input ? &input_limits : &statement_limits,
                                &root)) != HM_OK) {
        return err;
    }
    if ((st = calloc(1, sizeof(*st))) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    if (c->input) {
        err = hm_sw_only_keys(c, root, "", keys, 2);
    } else if (!cJSON_IsObject(root)) {
        err = hm_sw_fail(c, HM_E_INVALID, "", "not an object");
    } else if ((err = hm_sw_string(c, root, "", "_type", true, &s)) == HM_OK &&
               strcmp(s, HM_STATEMENT_TYPE_V1) != 0) {
        err = hm_sw_fail(c, HM_E_INVALID, "_type", "not " HM_STATEMENT_TYPE_V1);
    } else if (err == HM_OK &&
               (err = hm_sw_string(c, root, "", "predicateType", true, &s)) == HM_OK &&
               strcmp(s, HM_PREDICATE_STEWARD) != 0) {
        err = hm_sw_fail(c, HM_E_INVALID, "predicateType", "not " HM_PREDICATE_STEWARD);
    }
    if (err != HM_OK || (err = parse_subjects(c, root, st)) != HM_OK ||
        (err = parse_predicate(c, root, st)) != HM_OK) {
        goto out;
    }
    *out = st;
    st = NULL; /* the caller owns it now */
out:
    hm_steward_free(st);
    cJSON_Delete(root);
    return err;
}

hm_err
hm_steward_parse_input(const uint8_t *buf, size_t len, int64_t now, struct hm_steward **out,
                       char *why, size_t why_len)
{
    struct hm_sw_ctx c = { .why = why, .why_len = why_len, .input = true, .now = now };

    if (len > HM_STEWARD_INPUT_MAX_BYTES) {
        *out = NULL;
        return hm_sw_fail(&c, HM_E_LIMIT, "", "larger than %u bytes", HM_STEWARD_INPUT_MAX_BYTES);
    }
    return parse_doc(&c, buf, len, out);
}

hm_err
hm_steward_parse_predicate(const uint8_t *payload, size_t len, struct hm_steward **out, char *why,
                           size_t why_len)
{
    struct hm_sw_ctx c = { .why = why, .why_len = why_len, .input = false };

    if (len > HM_PAYLOAD_MAX_BYTES) {
        *out = NULL;
        return hm_sw_fail(&c, HM_E_LIMIT, "", "larger than %u bytes", HM_PAYLOAD_MAX_BYTES);
    }
    return parse_doc(&c, payload, len, out);
}

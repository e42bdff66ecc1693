/*
 * statement.c: in-toto Statement v1 (in-toto/attestation spec/v1) and our release
 * predicate (docs/formats.md, docs/schemas/release-v1.schema.json).
 *
 * in-toto says consumers ignore unknown fields, so the statement and its
 * ResourceDescriptors may carry fields we do not know.  Our own predicate is ours to
 * define, so it is read strictly: unknown keys there are refused.  Duplicate keys are
 * refused everywhere (hm_json_parse).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

#define STATEMENT_TYPE_V01 "https://in-toto.io/Statement/v0.1"
#define TYPE_URI_MAX       1024u
#define SUBJECT_NAME_MAX   4096u
#define VERSION_MAX        128u
#define TEXT_MAX           256u /* manufacturer, securityContact */
#define PURL_MAX           512u

void
hm_statement_free(struct hm_statement *st)
{
    if (st == NULL) {
        return;
    }
    for (size_t i = 0; i < st->n_subjects; i++) {
        free(st->subjects[i].name);
    }
    free(st->subjects);
    if (st->release != NULL) {
        free(st->release->product);
        free(st->release->channel);
        free(st->release->version);
        free(st->release->support_end);
        free(st->release->manufacturer);
        free(st->release->security_contact);
        free(st->release);
    }
    free(st->predicate_type);
    free(st);
}

/* A digest member: lowercase hex of exactly 2*n characters. */
static hm_err
hex_digest(const cJSON *obj, const char *path, const char *key, uint8_t *out, size_t n,
           bool *present, char *why, size_t why_len)
{
    const char *text = NULL;
    char where[160];
    hm_err err;

    *present = false;
    if ((err = hm_v_string(obj, path, key, false, 2 * n, &text, why, why_len)) != HM_OK) {
        return err;
    }
    if (text == NULL) {
        return HM_OK;
    }
    hm_v_path(where, sizeof(where), path, key);
    if (strlen(text) != 2 * n || !hm_is_lower_hex(text, 2 * n) ||
        hm_hex_decode(text, 2 * n, out, n) != HM_OK) {
        hm_v_why(why, why_len, "%s: not %zu lowercase hex digits", where, 2 * n);
        return HM_E_INVALID;
    }
    *present = true;
    return HM_OK;
}

static hm_err
parse_subject(const cJSON *item, const char *path, struct hm_subject *sub, char *why,
              size_t why_len)
{
    const cJSON *digest = NULL;
    const char *name = NULL;
    char where[160];
    hm_err err;

    if (!cJSON_IsObject(item)) {
        hm_v_why(why, why_len, "%s: not an object", path);
        return HM_E_INVALID;
    }
    hm_v_path(where, sizeof(where), path, "digest");
    if ((err = hm_v_string(item, path, "name", false, SUBJECT_NAME_MAX, &name, why, why_len)) !=
            HM_OK ||
        (err = hm_v_object(item, path, "digest", true, &digest, why, why_len)) != HM_OK ||
        (err = hex_digest(digest, where, "sha256", sub->sha256, HM_SHA256_LEN, &sub->has_sha256,
                          why, why_len)) != HM_OK ||
        (err = hex_digest(digest, where, "sha512", sub->sha512, HM_SHA512_LEN, &sub->has_sha512,
                          why, why_len)) != HM_OK) {
        return err;
    }
    /* Other algorithms are ignored (in-toto), but we match by sha256 or sha512. */
    if (!sub->has_sha256 && !sub->has_sha512) {
        hm_v_why(why, why_len, "%s: has neither sha256 nor sha512", where);
        return HM_E_INVALID;
    }
    if (name != NULL && (sub->name = strdup(name)) == NULL) {
        return HM_E_NOMEM;
    }
    return HM_OK;
}

static hm_err
parse_subjects(const cJSON *root, struct hm_statement *st, char *why, size_t why_len)
{
    const cJSON *arr = NULL;
    const cJSON *item = NULL;
    char where[48];
    int n;
    hm_err err;

    if ((err = hm_v_array(root, "", "subject", true, &arr, why, why_len)) != HM_OK) {
        return err;
    }
    if ((n = cJSON_GetArraySize(arr)) <= 0) {
        hm_v_why(why, why_len, "subject: empty");
        return HM_E_INVALID;
    }
    if ((size_t)n > HM_MAX_SUBJECTS) {
        hm_v_why(why, why_len, "subject: %d subjects, more than %u", n, HM_MAX_SUBJECTS);
        return HM_E_LIMIT;
    }
    if ((st->subjects = calloc((size_t)n, sizeof(*st->subjects))) == NULL) {
        return HM_E_NOMEM;
    }
    cJSON_ArrayForEach(item, arr) {
        hm_v_index(where, sizeof(where), "subject", st->n_subjects);
        st->n_subjects++; /* counted first: hm_statement_free frees a half-filled one */
        if ((err = parse_subject(item, where, &st->subjects[st->n_subjects - 1], why, why_len)) !=
            HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
dup_checked(const cJSON *pred, const char *key, bool required, size_t max, bool name_charset,
            char **out, char *why, size_t why_len)
{
    const char *text = NULL;
    hm_err err;

    if ((err = hm_v_string(pred, "predicate", key, required, max, &text, why, why_len)) != HM_OK ||
        text == NULL) {
        return err;
    }
    if (name_charset ? !hm_v_is_name(text) : !hm_v_printable(text, strlen(text))) {
        hm_v_why(why, why_len, "predicate.%s: %s", key,
                 name_charset ? "not of the form [a-z0-9][a-z0-9._-]{0,63}"
                              : "not printable ASCII");
        return HM_E_INVALID;
    }
    if (out != NULL && (*out = strdup(text)) == NULL) {
        return HM_E_NOMEM;
    }
    return HM_OK;
}

static hm_err
parse_artifact(const cJSON *item, const char *path, char *why, size_t why_len)
{
    static const char *const keys[] = { "name", "size", "digest" };
    static const char *const dkeys[] = { "sha256", "sha512" };
    const cJSON *digest = NULL;
    const char *name = NULL;
    char where[96];
    uint8_t d256[HM_SHA256_LEN], d512[HM_SHA512_LEN];
    uint64_t size;
    bool has256, has512;
    hm_err err;

    hm_v_path(where, sizeof(where), path, "digest");
    if ((err = hm_v_only_keys(item, path, keys, 3, why, why_len)) != HM_OK ||
        (err = hm_v_string(item, path, "name", true, 255, &name, why, why_len)) != HM_OK ||
        (err = hm_v_object(item, path, "digest", true, &digest, why, why_len)) != HM_OK ||
        (err = hm_v_only_keys(digest, where, dkeys, 2, why, why_len)) != HM_OK ||
        (err = hex_digest(digest, where, "sha256", d256, sizeof(d256), &has256, why, why_len)) !=
            HM_OK ||
        (err = hex_digest(digest, where, "sha512", d512, sizeof(d512), &has512, why, why_len)) !=
            HM_OK) {
        return err;
    }
    if (!has256 || !has512) {
        hm_v_why(why, why_len, "%s: needs both sha256 and sha512", where);
        return HM_E_INVALID;
    }
    if (hm_json_get_u64(item, "size", true, (uint64_t)1 << 53, &size) != HM_OK) {
        hm_v_why(why, why_len, "%s.size: not an integer in 0..2^53", path);
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
parse_artifacts(const cJSON *pred, char *why, size_t why_len)
{
    const cJSON *arr = NULL;
    const cJSON *item = NULL;
    char where[48];
    size_t i = 0;
    hm_err err;

    if ((err = hm_v_array(pred, "predicate", "artifacts", true, &arr, why, why_len)) != HM_OK) {
        return err;
    }
    if (cJSON_GetArraySize(arr) <= 0) {
        hm_v_why(why, why_len, "predicate.artifacts: empty");
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(item, arr) {
        hm_v_index(where, sizeof(where), "predicate.artifacts", i++);
        if ((err = parse_artifact(item, where, why, why_len)) != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

/* supportEnd "YYYY-MM-DD", sbom {digest {sha256}}, signedAt RFC 3339. */
static hm_err
parse_dates_and_sbom(const cJSON *pred, struct hm_release_pred *rel, char *why, size_t why_len)
{
    static const char *const sbom_keys[] = { "digest" };
    static const char *const dig_keys[] = { "sha256" };
    const cJSON *sbom = NULL, *digest = NULL;
    const char *text = NULL;
    int64_t when;
    hm_err err;

    if ((err = hm_v_string(pred, "predicate", "supportEnd", false, 10, &text, why, why_len)) !=
        HM_OK) {
        return err;
    }
    if (text != NULL && (strlen(text) != 10 || hm_date_parse(text, &when) != HM_OK)) {
        hm_v_why(why, why_len, "predicate.supportEnd: not a date YYYY-MM-DD");
        return HM_E_INVALID;
    }
    if (text != NULL && (rel->support_end = strdup(text)) == NULL) {
        return HM_E_NOMEM;
    }
    if ((err = hm_v_string(pred, "predicate", "signedAt", true, 64, &text, why, why_len)) !=
        HM_OK) {
        return err;
    }
    if (hm_time_parse_rfc3339(text, &rel->signed_at) != HM_OK) {
        hm_v_why(why, why_len, "predicate.signedAt: not an RFC 3339 time");
        return HM_E_INVALID;
    }
    if ((err = hm_v_object(pred, "predicate", "sbom", false, &sbom, why, why_len)) != HM_OK ||
        sbom == NULL) {
        return err;
    }
    if ((err = hm_v_only_keys(sbom, "predicate.sbom", sbom_keys, 1, why, why_len)) != HM_OK ||
        (err = hm_v_object(sbom, "predicate.sbom", "digest", true, &digest, why, why_len)) !=
            HM_OK ||
        (err = hm_v_only_keys(digest, "predicate.sbom.digest", dig_keys, 1, why, why_len)) !=
            HM_OK ||
        (err = hex_digest(digest, "predicate.sbom.digest", "sha256", rel->sbom_sha256,
                          HM_SHA256_LEN, &rel->has_sbom_sha256, why, why_len)) != HM_OK) {
        return err;
    }
    if (!rel->has_sbom_sha256) {
        hm_v_why(why, why_len, "predicate.sbom.digest.sha256: missing");
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
parse_release(const cJSON *root, struct hm_statement *st, char *why, size_t why_len)
{
    static const char *const keys[] = { "product",      "channel",        "version",  "artifacts",
                                        "supportEnd",   "sbom",           "signedAt", "purl",
                                        "manufacturer", "securityContact" };
    const cJSON *pred = NULL;
    struct hm_release_pred *rel = NULL;
    hm_err err;

    if ((err = hm_v_object(root, "", "predicate", true, &pred, why, why_len)) != HM_OK ||
        (err = hm_v_only_keys(pred, "predicate", keys, sizeof(keys) / sizeof(keys[0]), why,
                              why_len)) != HM_OK) {
        return err;
    }
    if ((rel = st->release = calloc(1, sizeof(*rel))) == NULL) {
        return HM_E_NOMEM;
    }
    if ((err = dup_checked(pred, "product", true, 64, true, &rel->product, why, why_len)) !=
            HM_OK ||
        (err = dup_checked(pred, "channel", false, 64, true, &rel->channel, why, why_len)) !=
            HM_OK ||
        (err = dup_checked(pred, "version", true, VERSION_MAX, false, &rel->version, why,
                           why_len)) != HM_OK ||
        (err = dup_checked(pred, "purl", false, PURL_MAX, false, NULL, why, why_len)) != HM_OK ||
        (err = dup_checked(pred, "manufacturer", false, TEXT_MAX, false, &rel->manufacturer, why,
                           why_len)) != HM_OK ||
        (err = dup_checked(pred, "securityContact", false, TEXT_MAX, false, &rel->security_contact,
                           why, why_len)) != HM_OK ||
        (err = parse_artifacts(pred, why, why_len)) != HM_OK) {
        return err;
    }
    return parse_dates_and_sbom(pred, rel, why, why_len);
}

static hm_err
parse_root(const cJSON *root, struct hm_statement *st, char *why, size_t why_len)
{
    const cJSON *pred = NULL;
    const char *text = NULL;
    char clean[80];
    hm_err err;

    if (!cJSON_IsObject(root)) {
        hm_v_why(why, why_len, "statement: not an object");
        return HM_E_INVALID;
    }
    if ((err = hm_v_string(root, "", "_type", true, TYPE_URI_MAX, &text, why, why_len)) != HM_OK) {
        return err;
    }
    if (strcmp(text, HM_STATEMENT_TYPE_V1) != 0 && strcmp(text, STATEMENT_TYPE_V01) != 0) {
        hm_v_clean(text, clean, sizeof(clean));
        hm_v_why(why, why_len, "_type: \"%s\" is not an in-toto Statement v1 or v0.1", clean);
        return HM_E_INVALID;
    }
    if ((err = parse_subjects(root, st, why, why_len)) != HM_OK ||
        (err = hm_v_string(root, "", "predicateType", true, TYPE_URI_MAX, &text, why, why_len)) !=
            HM_OK) {
        return err;
    }
    if ((st->predicate_type = strdup(text)) == NULL) {
        return HM_E_NOMEM;
    }
    if (strcmp(text, HM_PREDICATE_RELEASE) == 0) {
        return parse_release(root, st, why, why_len);
    }
    /* Another predicate: not ours to read here, but it must be an object when present. */
    return hm_v_object(root, "", "predicate", false, &pred, why, why_len);
}

hm_err
hm_statement_parse(const uint8_t *payload, size_t len, struct hm_statement **out, char *why,
                   size_t why_len)
{
    struct hm_statement *st = NULL;
    cJSON *root = NULL;
    hm_err err;

    *out = NULL;
    hm_v_why_clear(why, why_len);
    if (payload == NULL || len == 0) {
        hm_v_why(why, why_len, "statement: empty");
        return HM_E_INVALID;
    }
    if ((err = hm_v_json_parse(payload, len, &hm_v_statement_limits, HM_V_STATEMENT_MAX_NODES,
                               "statement", &root, why, why_len)) != HM_OK) {
        return err;
    }
    if ((st = calloc(1, sizeof(*st))) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    if ((err = parse_root(root, st, why, why_len)) != HM_OK) {
        goto out;
    }
    *out = st;
    st = NULL; /* the caller owns it now */
out:
    hm_statement_free(st);
    cJSON_Delete(root);
    return err;
}

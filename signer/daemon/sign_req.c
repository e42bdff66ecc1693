/*
 * sign_req.c: the body of POST /v1/sign (DESIGN.md "Interfaces"), parsed strictly.
 *
 * Every object is walked once against an allow-list: an unknown field, a duplicate key
 * (refused by hm_json_parse), a wrong type or an odd value is a 400 that names the
 * field.  The SBOM is bound by the SHA-256 of the exact bytes of the "sbom" member as
 * received (from its first to its last byte, whitespace inside included), never of a
 * re-serialisation.  Without a release policy vex, provenance and approvals are accepted
 * (with their types checked) and not used.  With a policy the request is parsed by
 * hm_policy_request_parse (the one parser of the policy engine, fuzzed by fuzz_request)
 * and hmd_sign_req_from_policy below only derives the flow's view from it.
 */
#include <hm/attest.h>
#include <hm/json.h>
#include <hm/policy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sign_int.h"

static const struct hm_json_limits req_limits = {
    .max_bytes = (size_t)64 << 20, /* the body is already bounded by limits.max_body */
    .max_depth = 64,               /* SBOMs nest deeper than our own fields */
    .max_string = (size_t)1 << 20,
    .max_members = 65536,
};

/* A 400 whose message is a, b and c end to end ("artifacts[0]." "size" " is missing"). */
static hm_err
bad(struct hmd_reply *r, const char *code, const char *a, const char *b, const char *c)
{
    hmd_reply_error(r, 400, code, "%s%s%s", a, b, c);
    return HM_E_INVALID;
}

static hm_err
get_str(const cJSON *o, const char *key, const char *where, bool required, size_t max, char **out,
        struct hmd_reply *r)
{
    const cJSON *it = hm_json_get(o, key);

    if (it == NULL) {
        return required ? bad(r, "invalid-request", where, key, " is missing") : HM_OK;
    }
    if (!cJSON_IsString(it) || it->valuestring == NULL || it->valuestring[0] == '\0' ||
        strlen(it->valuestring) > max) {
        char lim[32];
        snprintf(lim, sizeof(lim), "%zu", max);
        hmd_reply_error(r, 400, "invalid-request", "%s%s must be a string of 1 to %s bytes", where,
                        key, lim);
        return HM_E_INVALID;
    }
    if ((*out = strdup(it->valuestring)) == NULL) {
        return HM_E_NOMEM;
    }
    return HM_OK;
}

static hm_err
hex_field(const cJSON *dg, const char *key, const char *where, uint8_t *out, size_t n,
          struct hmd_reply *r)
{
    const cJSON *it = hm_json_get(dg, key);

    if (it == NULL) {
        hmd_reply_error(r, 400, "invalid-request", "%sdigest.%s is missing", where, key);
        return HM_E_INVALID;
    }
    if (!cJSON_IsString(it) || strlen(it->valuestring) != 2 * n ||
        !hm_is_lower_hex(it->valuestring, 2 * n) ||
        hm_hex_decode(it->valuestring, 2 * n, out, n) != HM_OK) {
        hmd_reply_error(r, 400, "invalid-request", "%sdigest.%s must be %zu lowercase hex digits",
                        where, key, 2 * n);
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
only_keys(const cJSON *o, const char *const *keys, size_t n, const char *where, struct hmd_reply *r)
{
    const char *badk = NULL;

    if (!cJSON_IsObject(o)) {
        hmd_reply_error(r, 400, "invalid-request", "%s must be a JSON object",
                        where[0] != '\0' ? where : "the request");
        return HM_E_INVALID;
    }
    if (hm_json_only_keys(o, keys, n, &badk) != HM_OK) {
        hmd_reply_error(r, 400, "unknown-field", "unknown field \"%.64s\" in %s",
                        badk != NULL ? badk : "?", where[0] != '\0' ? where : "the request");
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
parse_artifact(const cJSON *a, size_t i, struct hmd_sign_req *q, struct hmd_reply *r)
{
    static const char *const akeys[] = { "name", "size", "digest" };
    static const char *const dkeys[] = { "sha256", "sha512" };
    struct hm_artifact *art = &q->arts[i];
    char where[48], dwhere[64];
    uint64_t size = 0;
    hm_err rc;

    snprintf(where, sizeof(where), "artifacts[%zu].", i);
    snprintf(dwhere, sizeof(dwhere), "artifacts[%zu].digest", i);
    where[strlen(where) - 1] = '\0';
    if ((rc = only_keys(a, akeys, 3, where, r)) != HM_OK) {
        return rc;
    }
    strcat(where, ".");
    if ((rc = get_str(a, "name", where, true, HM_ATTEST_MAX_NAME, &q->names[i], r)) != HM_OK) {
        return rc;
    }
    art->name = q->names[i];
    if (hm_json_get(a, "size") == NULL) {
        return bad(r, "invalid-request", where, "size", " is missing");
    }
    if (hm_json_get_u64(a, "size", true, UINT64_C(1) << 53, &size) != HM_OK) {
        return bad(r, "invalid-request", where, "size", " must be a whole number of bytes");
    }
    art->size = size;
    const cJSON *dg = hm_json_get(a, "digest");
    if (dg == NULL) {
        return bad(r, "invalid-request", where, "digest", " is missing");
    }
    if ((rc = only_keys(dg, dkeys, 2, dwhere, r)) != HM_OK ||
        (rc = hex_field(dg, "sha256", where, art->sha256, HM_SHA256_LEN, r)) != HM_OK ||
        (rc = hex_field(dg, "sha512", where, art->sha512, HM_SHA512_LEN, r)) != HM_OK) {
        return rc;
    }
    return HM_OK;
}

static hm_err
parse_artifacts(const cJSON *root, struct hmd_sign_req *q, struct hmd_reply *r)
{
    const cJSON *arr = hm_json_get(root, "artifacts");
    const cJSON *it = NULL;
    size_t i = 0;
    hm_err rc;

    if (arr == NULL) {
        return bad(r, "invalid-request", "", "artifacts", " is missing");
    }
    int n = cJSON_GetArraySize(arr);
    if (!cJSON_IsArray(arr) || n < 1 || n > HM_MAX_SUBJECTS) {
        hmd_reply_error(r, 400, "invalid-request",
                        "artifacts must be an array of 1 to %d "
                        "artifacts",
                        HM_MAX_SUBJECTS);
        return HM_E_INVALID;
    }
    if ((q->arts = calloc((size_t)n, sizeof(*q->arts))) == NULL ||
        (q->names = calloc((size_t)n, sizeof(char *))) == NULL) {
        return HM_E_NOMEM;
    }
    q->n_arts = (size_t)n;
    cJSON_ArrayForEach(it, arr) {
        if ((rc = parse_artifact(it, i++, q, r)) != HM_OK) {
            return rc;
        }
    }
    return HM_OK;
}

/* The optional members the policy engine will read; for now only their shape. */
static hm_err
parse_later(const cJSON *root, const uint8_t *body, size_t len, struct hmd_sign_req *q,
            struct hmd_reply *r)
{
    const cJSON *sbom = hm_json_get(root, "sbom");
    const cJSON *vex = hm_json_get(root, "vex");
    const cJSON *prov = hm_json_get(root, "provenance");
    const cJSON *appr = hm_json_get(root, "approvals");
    size_t k = 0, v = 0, e = 0;

    if (sbom != NULL) {
        if (!cJSON_IsObject(sbom)) {
            return bad(r, "invalid-request", "", "sbom",
                       " must be a JSON object (a CycloneDX or SPDX document)");
        }
        if (hmd_json_locate((const char *)body, len, "sbom", &k, &v, &e) != HM_OK || e <= v) {
            hmd_reply_error(r, 500, "internal", "cannot locate the sbom member");
            return HM_E_INTERNAL;
        }
        hm_sha256(body + v, e - v, q->sbom_sha256);
        q->has_sbom = true;
    }
    if ((vex != NULL && !cJSON_IsArray(vex)) || (appr != NULL && !cJSON_IsArray(appr))) {
        return bad(r, "invalid-request", "vex and ", "approvals", " must be arrays");
    }
    if (prov != NULL && !cJSON_IsObject(prov)) {
        return bad(r, "invalid-request", "", "provenance", " must be a JSON object");
    }
    return HM_OK;
}

static hm_err
artifacts_json(struct hmd_sign_req *q)
{
    struct hm_buf b;
    char h256[2 * HM_SHA256_LEN + 1], h512[2 * HM_SHA512_LEN + 1];
    size_t n = 0;
    hm_err rc;

    hm_buf_init(&b, 0);
    hm_buf_puts(&b, "[");
    for (size_t i = 0; i < q->n_arts; i++) {
        hm_hex_encode(q->arts[i].sha256, HM_SHA256_LEN, h256);
        hm_hex_encode(q->arts[i].sha512, HM_SHA512_LEN, h512);
        hm_buf_puts(&b, i > 0 ? ",{\"name\":" : "{\"name\":");
        hmd_json_quote(&b, q->arts[i].name);
        hm_buf_printf(&b, ",\"size\":%llu,\"sha256\":\"%s\",\"sha512\":\"%s\"}",
                      (unsigned long long)q->arts[i].size, h256, h512);
    }
    hm_buf_puts(&b, "]");
    if ((rc = hm_buf_status(&b)) == HM_OK) {
        q->artifacts_json = (char *)hm_buf_steal(&b, &n);
    }
    hm_buf_free(&b);
    return rc;
}

static hm_err
parse_fields(const cJSON *root, const uint8_t *body, size_t len, struct hmd_sign_req *q,
             struct hmd_reply *r)
{
    static const char *const keys[] = { "product",   "channel",     "version",
                                        "artifacts", "support_end", "sbom",
                                        "vex",       "provenance",  "approvals" };
    hm_err rc;

    if ((rc = only_keys(root, keys, sizeof(keys) / sizeof(keys[0]), "", r)) != HM_OK ||
        (rc = get_str(root, "product", "", true, HMD_MAX_NAME, &q->product, r)) != HM_OK ||
        (rc = get_str(root, "channel", "", false, HMD_MAX_NAME, &q->channel, r)) != HM_OK ||
        (rc = get_str(root, "version", "", true, 128, &q->version, r)) != HM_OK ||
        (rc = get_str(root, "support_end", "", false, 10, &q->support_end, r)) != HM_OK ||
        (rc = parse_artifacts(root, q, r)) != HM_OK ||
        (rc = parse_later(root, body, len, q, r)) != HM_OK) {
        return rc;
    }
    if (q->channel == NULL && (q->channel = strdup("stable")) == NULL) {
        return HM_E_NOMEM;
    }
    return artifacts_json(q);
}

hm_err
hmd_sign_req_parse(const uint8_t *body, size_t len, struct hmd_sign_req **out, struct hmd_reply *r)
{
    struct hmd_sign_req *q = NULL;
    struct hm_json_error jerr = { 0 };
    cJSON *root = NULL;
    hm_err rc;

    *out = NULL;
    if ((rc = hm_json_parse(body, len, &req_limits, &root, &jerr)) != HM_OK) {
        if (rc == HM_E_NOMEM) {
            hmd_reply_error(r, 500, "internal", "out of memory");
        } else {
            hmd_reply_error(r, 400, "malformed-json", "malformed JSON at byte offset %zu: %s",
                            jerr.offset, jerr.message);
            hmd_reply_add_offset(r, jerr.offset);
        }
        return rc == HM_E_NOMEM ? rc : HM_E_INVALID;
    }
    if ((q = calloc(1, sizeof(*q))) == NULL) {
        rc = HM_E_NOMEM;
        goto out;
    }
    hm_sha256(body, len, q->request_sha256);
    if ((rc = parse_fields(root, body, len, q, r)) != HM_OK) {
        if (rc == HM_E_NOMEM) {
            hmd_reply_error(r, 500, "internal", "out of memory");
        }
        goto out;
    }
    *out = q;
    q = NULL; /* the caller owns it now */
out:
    cJSON_Delete(root);
    hmd_sign_req_free(q);
    return rc;
}

void
hmd_sign_req_free(struct hmd_sign_req *q)
{
    if (q == NULL) {
        return;
    }
    for (size_t i = 0; q->names != NULL && i < q->n_arts; i++) {
        free(q->names[i]);
    }
    free(q->names);
    free(q->arts);
    free(q->product);
    free(q->channel);
    free(q->version);
    free(q->support_end);
    free(q->artifacts_json);
    free(q);
}

static hm_err
arts_from_policy(const struct hm_policy_request *pr, struct hmd_sign_req *q, struct hmd_reply *r)
{
    size_t n = 0;
    const struct hm_policy_artifact *pa = hm_policy_request_artifacts(pr, &n);

    if (n == 0 || n > HM_MAX_SUBJECTS) {
        hmd_reply_error(r, 400, "invalid-request",
                        "artifacts must be an array of 1 to %d artifacts", HM_MAX_SUBJECTS);
        return HM_E_INVALID;
    }
    if ((q->arts = calloc(n, sizeof(*q->arts))) == NULL ||
        (q->names = calloc(n, sizeof(char *))) == NULL) {
        return HM_E_NOMEM;
    }
    q->n_arts = n;
    for (size_t i = 0; i < n; i++) {
        if (!pa[i].has_sha256 || !pa[i].has_sha512) {
            hmd_reply_error(r, 400, "invalid-request",
                            "artifacts[%zu].digest.%s is missing: the release statement carries "
                            "both sha256 and sha512",
                            i, pa[i].has_sha256 ? "sha512" : "sha256");
            return HM_E_INVALID;
        }
        if ((q->names[i] = strdup(pa[i].name)) == NULL) {
            return HM_E_NOMEM;
        }
        q->arts[i].name = q->names[i];
        q->arts[i].size = pa[i].size;
        memcpy(q->arts[i].sha256, pa[i].sha256, HM_SHA256_LEN);
        memcpy(q->arts[i].sha512, pa[i].sha512, HM_SHA512_LEN);
    }
    return HM_OK;
}

hm_err
hmd_sign_req_from_policy(const struct hm_policy_request *pr, struct hmd_sign_req **out,
                         struct hmd_reply *r)
{
    struct hmd_sign_req *q = calloc(1, sizeof(*q));
    const struct hm_policy_blob *sbom = hm_policy_request_sbom(pr);
    const char *se = hm_policy_request_support_end(pr);
    hm_err rc = HM_E_NOMEM;

    *out = NULL;
    if (q == NULL || (q->product = strdup(hm_policy_request_product(pr))) == NULL ||
        (q->channel = strdup(hm_policy_request_channel(pr))) == NULL ||
        (q->version = strdup(hm_policy_request_version(pr))) == NULL ||
        (se != NULL && (q->support_end = strdup(se)) == NULL)) {
        goto out;
    }
    if ((rc = arts_from_policy(pr, q, r)) != HM_OK || (rc = artifacts_json(q)) != HM_OK) {
        goto out;
    }
    if (sbom != NULL && sbom->data != NULL) {
        memcpy(q->sbom_sha256, sbom->sha256, HM_SHA256_LEN);
        q->has_sbom = true;
    }
    memcpy(q->request_sha256, hm_policy_request_sha256(pr), HM_SHA256_LEN);
    *out = q;
    q = NULL; /* the caller owns it now */
out:
    if (rc == HM_E_NOMEM) {
        hmd_reply_error(r, 500, "internal", "out of memory");
    }
    hmd_sign_req_free(q);
    return rc;
}

/*
 * policy_request.c: the sign request of DESIGN.md "Interfaces", parsed strictly into a
 * struct: unknown fields refused, hard limits, charsets.  The SBOM, VEX documents,
 * provenance and approvals are kept as the exact bytes received (policy_span.c), so that
 * their digests are over what the client sent.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_json.h"

#define REQ_MAX_NAME 255 /* an artifact's file name, as the release statement allows */

static const struct hm_json_limits REQUEST_LIMITS = {
    .max_bytes = HM_POLICY_REQUEST_MAX_BYTES,
    .max_depth = 64,
    .max_string = (size_t)1 << 20,
    .max_members = 65536,
};

void
hm_policy_request_free(struct hm_policy_request *req)
{
    if (req == NULL) {
        return;
    }
    for (size_t i = 0; i < req->n_artifacts; i++) {
        free((char *)req->artifacts[i].name);
    }
    free(req->artifacts);
    free(req->vex);
    free(req->approvals);
    free(req->product);
    free(req->channel);
    free(req->version);
    free(req->support_end);
    free(req->body);
    free(req);
}

/* 1..255 bytes (UTF-8, checked by hm_json_parse) without C0, DEL, C1 or '/'. */
static bool
is_artifact_name(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strnlen(s, REQ_MAX_NAME + 1);

    if (len == 0 || len > REQ_MAX_NAME || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (u[i] < 0x20 || u[i] == 0x7f || u[i] == '/' ||
            (u[i] == 0xc2 && i + 1 < len && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f)) {
            return false;
        }
    }
    return true;
}

static hm_err
parse_hex(const cJSON *obj, const char *key, uint8_t *out, size_t out_len, bool *has,
          struct pol_path *path, struct hm_policy_error *err)
{
    const char *hex = NULL;
    size_t mark;
    hm_err rc;

    *has = false;
    if ((rc = polj_string(obj, key, false, 2 * out_len, true, &hex, path, err)) != HM_OK ||
        hex == NULL) {
        return rc;
    }
    if (strlen(hex) != 2 * out_len || !hm_is_lower_hex(hex, 2 * out_len) ||
        hm_hex_decode(hex, 2 * out_len, out, out_len) != HM_OK) {
        mark = pol_path_key(path, key);
        rc = pol_fail(err, path, HM_E_INVALID, "must be %zu lowercase hex digits", 2 * out_len);
        pol_path_pop(path, mark);
        return rc;
    }
    *has = true;
    return HM_OK;
}

static hm_err
parse_artifact(const cJSON *obj, struct hm_policy_artifact *a, struct pol_path *path,
               struct hm_policy_error *err)
{
    static const char *const keys[] = { "name", "size", "digest" };
    static const char *const dkeys[] = { "sha256", "sha512" };
    const cJSON *dg;
    const char *name = NULL;
    size_t mark;
    hm_err rc;

    if ((rc = polj_object(obj, keys, POL_N(keys), path, err)) != HM_OK ||
        (rc = polj_string(obj, "name", true, REQ_MAX_NAME, false, &name, path, err)) != HM_OK ||
        (rc = polj_u64(obj, "size", true, 0, (uint64_t)1 << 53, &a->size, NULL, path, err)) !=
            HM_OK) {
        return rc;
    }
    if (!is_artifact_name(name)) {
        mark = pol_path_key(path, "name");
        rc = pol_fail(err, path, HM_E_INVALID,
                      "must be a file name: no '/', no control characters, not . or ..");
        pol_path_pop(path, mark);
        return rc;
    }
    if ((a->name = pol_strdup(name)) == NULL) {
        return pol_fail(err, path, HM_E_NOMEM, "out of memory");
    }
    dg = hm_json_get(obj, "digest");
    mark = pol_path_key(path, "digest");
    if (dg == NULL) {
        rc = pol_fail(err, path, HM_E_INVALID, "is required");
    } else if ((rc = polj_object(dg, dkeys, POL_N(dkeys), path, err)) == HM_OK &&
               (rc = parse_hex(dg, "sha256", a->sha256, HM_SHA256_LEN, &a->has_sha256, path,
                               err)) == HM_OK &&
               (rc = parse_hex(dg, "sha512", a->sha512, HM_SHA512_LEN, &a->has_sha512, path,
                               err)) == HM_OK &&
               !a->has_sha256 && !a->has_sha512) {
        rc = pol_fail(err, path, HM_E_INVALID, "needs sha256 or sha512 (or both)");
    }
    pol_path_pop(path, mark);
    return rc;
}

static hm_err
parse_artifacts(const cJSON *root, struct hm_policy_request *req, struct pol_path *path,
                struct hm_policy_error *err)
{
    const cJSON *arr = NULL, *it;
    size_t mark, idx;
    hm_err rc;

    if ((rc = polj_array(root, "artifacts", true, 1, POL_MAX_ARTIFACTS, &arr, path, err)) !=
        HM_OK) {
        return rc;
    }
    if ((req->artifacts = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*req->artifacts))) ==
        NULL) {
        return pol_fail(err, path, HM_E_NOMEM, "out of memory");
    }
    mark = pol_path_key(path, "artifacts");
    cJSON_ArrayForEach(it, arr) {
        struct hm_policy_artifact *a = &req->artifacts[req->n_artifacts];

        idx = pol_path_idx(path, req->n_artifacts);
        req->n_artifacts++;
        if ((rc = parse_artifact(it, a, path, err)) != HM_OK) {
            return rc;
        }
        /* Quadratic, but n <= POL_MAX_ARTIFACTS and nothing is allocated. */
        for (size_t j = 0; j + 1 < req->n_artifacts; j++) {
            if (strcmp(req->artifacts[j].name, a->name) == 0) {
                pol_path_key(path, "name");
                return pol_fail(err, path, HM_E_INVALID, "the same name as artifacts[%zu]", j);
            }
        }
        pol_path_pop(path, idx);
    }
    pol_path_pop(path, mark);
    return HM_OK;
}

static void
blob_set(struct hm_policy_blob *b, const uint8_t *body, struct pol_span s)
{
    b->data = body + s.off;
    b->len = s.len;
    hm_sha256(b->data, b->len, b->sha256);
}

/* An object member kept as bytes ("sbom", "provenance"). */
static hm_err
parse_object_blob(const cJSON *root, struct hm_policy_request *req, const char *key,
                  struct hm_policy_blob *out, struct pol_path *path, struct hm_policy_error *err)
{
    const cJSON *it = hm_json_get(root, key);
    struct pol_span s;
    size_t mark;
    hm_err rc;

    if (it == NULL) {
        return HM_OK;
    }
    mark = pol_path_key(path, key);
    if (!cJSON_IsObject(it)) {
        rc = pol_fail(err, path, HM_E_INVALID, "must be an object (a JSON document inline)");
    } else if ((rc = pol_span_member(req->body, req->body_len, key, &s)) != HM_OK) {
        rc = pol_fail(err, path, HM_E_INTERNAL, "cannot locate the member's bytes");
    } else {
        blob_set(out, req->body, s);
    }
    pol_path_pop(path, mark);
    return rc;
}

/* An array of objects kept as bytes each ("vex", "approvals"). */
static hm_err
parse_blob_list(const cJSON *root, struct hm_policy_request *req, const char *key,
                struct hm_policy_blob **out, size_t *n, struct pol_path *path,
                struct hm_policy_error *err)
{
    const cJSON *arr = NULL, *it;
    struct pol_span s, *spans = NULL;
    size_t count = 0, mark, i = 0;
    hm_err rc;

    if ((rc = polj_array(root, key, false, 0, POL_MAX_VEX_INLINE, &arr, path, err)) != HM_OK ||
        arr == NULL) {
        return rc;
    }
    mark = pol_path_key(path, key);
    cJSON_ArrayForEach(it, arr) {
        if (!cJSON_IsObject(it)) {
            pol_path_idx(path, i);
            rc = pol_fail(err, path, HM_E_INVALID, "must be an object (a JSON document inline)");
            goto out;
        }
        i++;
    }
    if ((rc = pol_span_member(req->body, req->body_len, key, &s)) != HM_OK ||
        (rc = pol_span_elements(req->body, s, &spans, &count)) != HM_OK || count != i) {
        rc = pol_fail(err, path, rc == HM_E_NOMEM ? rc : HM_E_INTERNAL,
                      "cannot locate the elements' bytes");
        goto out;
    }
    if (count > 0 && (*out = calloc(count, sizeof(**out))) == NULL) {
        rc = pol_fail(err, path, HM_E_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < count; i++) {
        blob_set(&(*out)[i], req->body, spans[i]);
    }
    *n = count;
out:
    free(spans);
    pol_path_pop(path, mark);
    return rc;
}

static hm_err
parse_fields(const cJSON *root, struct hm_policy_request *req, struct pol_path *path,
             struct hm_policy_error *err)
{
    static const char *const keys[] = { "product",   "channel",     "version",
                                        "artifacts", "support_end", "sbom",
                                        "vex",       "provenance",  "approvals" };
    int64_t days;
    size_t mark;
    hm_err rc;

    if ((rc = polj_object(root, keys, POL_N(keys), path, err)) != HM_OK ||
        (rc = polj_name_dup(root, "product", true, &req->product, path, err)) != HM_OK ||
        (rc = polj_name_dup(root, "channel", false, &req->channel, path, err)) != HM_OK ||
        (rc = polj_string_dup(root, "version", true, HM_SEMVER_MAX_LEN, true, &req->version, path,
                              err)) != HM_OK ||
        (rc = polj_string_dup(root, "support_end", false, 10, true, &req->support_end, path,
                              err)) != HM_OK) {
        return rc;
    }
    if (req->support_end != NULL && hm_date_parse(req->support_end, &days) != HM_OK) {
        mark = pol_path_key(path, "support_end");
        rc = pol_fail(err, path, HM_E_INVALID, "must be a date YYYY-MM-DD");
        pol_path_pop(path, mark);
        return rc;
    }
    if (req->channel == NULL && (req->channel = pol_strdup(POL_DEFAULT_CHAN)) == NULL) {
        return pol_fail(err, path, HM_E_NOMEM, "out of memory");
    }
    if ((rc = parse_artifacts(root, req, path, err)) != HM_OK ||
        (rc = parse_object_blob(root, req, "sbom", &req->sbom, path, err)) != HM_OK ||
        (rc = parse_object_blob(root, req, "provenance", &req->provenance, path, err)) != HM_OK ||
        (rc = parse_blob_list(root, req, "vex", &req->vex, &req->n_vex, path, err)) != HM_OK) {
        return rc;
    }
    return parse_blob_list(root, req, "approvals", &req->approvals, &req->n_approvals, path, err);
}

hm_err
hm_policy_request_parse(const void *body, size_t len, struct hm_policy_request **out,
                        struct hm_policy_error *err)
{
    struct hm_policy_request *req = NULL;
    struct hm_json_error jerr;
    struct pol_path path;
    cJSON *root = NULL;
    hm_err rc;

    *out = NULL;
    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }
    pol_path_init(&path);
    if (body == NULL || len == 0) {
        return pol_fail(err, &path, HM_E_INVALID, "empty request");
    }
    if ((rc = hm_json_parse(body, len, &REQUEST_LIMITS, &root, &jerr)) != HM_OK) {
        if (err != NULL) {
            err->offset = jerr.offset;
        }
        return pol_fail(err, &path, rc, "not valid JSON at byte %zu: %s", jerr.offset,
                        jerr.message);
    }
    if ((req = calloc(1, sizeof(*req))) == NULL || (req->body = malloc(len)) == NULL) {
        rc = pol_fail(err, &path, HM_E_NOMEM, "out of memory");
        goto out;
    }
    memcpy(req->body, body, len);
    req->body_len = len;
    hm_sha256(body, len, req->sha256);
    if ((rc = parse_fields(root, req, &path, err)) != HM_OK) {
        goto out;
    }
    *out = req;
    req = NULL; /* the caller owns it now */
out:
    cJSON_Delete(root);
    hm_policy_request_free(req);
    return rc;
}

const char *
hm_policy_request_product(const struct hm_policy_request *req)
{
    return req->product;
}

const char *
hm_policy_request_channel(const struct hm_policy_request *req)
{
    return req->channel;
}

const char *
hm_policy_request_version(const struct hm_policy_request *req)
{
    return req->version;
}

const char *
hm_policy_request_support_end(const struct hm_policy_request *req)
{
    return req->support_end;
}

const struct hm_policy_artifact *
hm_policy_request_artifacts(const struct hm_policy_request *req, size_t *n)
{
    *n = req->n_artifacts;
    return req->artifacts;
}

const struct hm_policy_blob *
hm_policy_request_sbom(const struct hm_policy_request *req)
{
    return req->sbom.data != NULL ? &req->sbom : NULL;
}

const struct hm_policy_blob *
hm_policy_request_provenance(const struct hm_policy_request *req)
{
    return req->provenance.data != NULL ? &req->provenance : NULL;
}

size_t
hm_policy_request_n_vex(const struct hm_policy_request *req)
{
    return req->n_vex;
}

const struct hm_policy_blob *
hm_policy_request_vex(const struct hm_policy_request *req, size_t i)
{
    return i < req->n_vex ? &req->vex[i] : NULL;
}

size_t
hm_policy_request_n_approvals(const struct hm_policy_request *req)
{
    return req->n_approvals;
}

const struct hm_policy_blob *
hm_policy_request_approval(const struct hm_policy_request *req, size_t i)
{
    return i < req->n_approvals ? &req->approvals[i] : NULL;
}

const uint8_t *
hm_policy_request_sha256(const struct hm_policy_request *req)
{
    return req->sha256;
}

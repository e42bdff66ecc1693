/*
 * dsse.c: DSSE v1.0.2 pre-authentication encoding and envelope parsing
 * (secure-systems-lab/dsse protocol.md and envelope.md; docs/formats.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

hm_err
hm_dsse_pae(const char *type, size_t type_len, const uint8_t *body, size_t body_len, uint8_t **out,
            size_t *out_len)
{
    char head[32], mid[32];
    int head_len, mid_len;
    size_t total;
    uint8_t *p = NULL;

    *out = NULL;
    *out_len = 0;
    if ((type == NULL && type_len != 0) || (body == NULL && body_len != 0)) {
        return HM_E_INVALID;
    }
    if (type_len > SIZE_MAX / 4 || body_len > SIZE_MAX / 4) {
        return HM_E_LIMIT;
    }
    /* ASCII decimal lengths, no leading zeros: not the INT64LE of early drafts. */
    head_len = snprintf(head, sizeof(head), "DSSEv1 %zu ", type_len);
    mid_len = snprintf(mid, sizeof(mid), " %zu ", body_len);
    if (head_len <= 0 || (size_t)head_len >= sizeof(head) || mid_len <= 0 ||
        (size_t)mid_len >= sizeof(mid)) {
        return HM_E_INTERNAL;
    }
    total = (size_t)head_len + type_len + (size_t)mid_len + body_len;
    if ((p = malloc(total)) == NULL) {
        return HM_E_NOMEM;
    }
    memcpy(p, head, (size_t)head_len);
    if (type_len > 0) {
        memcpy(p + head_len, type, type_len);
    }
    memcpy(p + (size_t)head_len + type_len, mid, (size_t)mid_len);
    if (body_len > 0) {
        memcpy(p + (size_t)head_len + type_len + (size_t)mid_len, body, body_len);
    }
    *out = p; /* the caller owns it now; no NUL terminator: it is hashed as is */
    *out_len = total;
    return HM_OK;
}

void
hm_dsse_free(struct hm_dsse *env)
{
    if (env == NULL) {
        return;
    }
    for (size_t i = 0; i < env->n_sigs; i++) {
        free(env->sigs[i].keyid);
        free(env->sigs[i].sig);
    }
    free(env->sigs);
    free(env->payload_type);
    free(env->payload);
    free(env);
}

/* base64 (either alphabet) of 1..max decoded bytes. */
static hm_err
decode_b64(const char *text, const char *where, size_t max, uint8_t **out, size_t *out_len,
           char *why, size_t why_len)
{
    hm_err err;

    if ((err = hm_v_b64_decode(text, strlen(text), HM_B64_ANY, out, out_len)) != HM_OK) {
        if (err != HM_E_NOMEM) {
            hm_v_why(why, why_len, "%s: not base64 (standard or URL-safe)", where);
            err = HM_E_INVALID;
        }
        return err;
    }
    if (*out_len == 0 || *out_len > max) {
        hm_v_why(why, why_len, "%s: %zu bytes decoded, allowed 1..%zu", where, *out_len, max);
        free(*out);
        *out = NULL;
        return *out_len == 0 ? HM_E_INVALID : HM_E_LIMIT;
    }
    return HM_OK;
}

static hm_err
parse_signature(const cJSON *item, const char *path, struct hm_dsse_signature *sig, char *why,
                size_t why_len)
{
    static const char *const keys[] = { "sig", "keyid" };
    const cJSON *kid = NULL;
    const char *text = NULL;
    char where[128];
    hm_err err;

    if ((err = hm_v_only_keys(item, path, keys, 2, why, why_len)) != HM_OK ||
        (err = hm_v_string(item, path, "sig", true, HM_V_PAYLOAD_B64_MAX, &text, why, why_len)) !=
            HM_OK) {
        return err;
    }
    hm_v_path(where, sizeof(where), path, "sig");
    if ((err = decode_b64(text, where, HM_MAX_SIG_BYTES, &sig->sig, &sig->sig_len, why, why_len)) !=
        HM_OK) {
        return err;
    }
    /* Go DSSE writers emit "keyid":"" for no key id: the same as absent. */
    kid = hm_json_get(item, "keyid");
    if (cJSON_IsString(kid) && kid->valuestring != NULL && kid->valuestring[0] == '\0') {
        return HM_OK;
    }
    if ((err = hm_v_string(item, path, "keyid", false, HM_V_KEYID_MAX, &text, why, why_len)) !=
        HM_OK) {
        return err;
    }
    if (text == NULL) {
        return HM_OK;
    }
    if (!hm_v_printable(text, strlen(text))) {
        hm_v_path(where, sizeof(where), path, "keyid");
        hm_v_why(why, why_len, "%s: not printable ASCII", where);
        return HM_E_INVALID;
    }
    if ((sig->keyid = strdup(text)) == NULL) {
        return HM_E_NOMEM;
    }
    return HM_OK;
}

static hm_err
parse_signatures(const cJSON *arr, const char *path, struct hm_dsse *env, char *why, size_t why_len)
{
    const cJSON *item = NULL;
    char where[128];
    int n = cJSON_GetArraySize(arr);
    hm_err err;

    if (n <= 0) {
        hm_v_why(why, why_len, "%s: empty", path);
        return HM_E_INVALID;
    }
    if ((size_t)n > HM_V_MAX_SIGS) {
        hm_v_why(why, why_len, "%s: %d signatures, more than %u", path, n, HM_V_MAX_SIGS);
        return HM_E_LIMIT;
    }
    if ((env->sigs = calloc((size_t)n, sizeof(*env->sigs))) == NULL) {
        return HM_E_NOMEM;
    }
    cJSON_ArrayForEach(item, arr) {
        hm_v_index(where, sizeof(where), path, env->n_sigs);
        env->n_sigs++; /* counted first so that hm_dsse_free frees a half-filled entry */
        if ((err = parse_signature(item, where, &env->sigs[env->n_sigs - 1], why, why_len)) !=
            HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
parse_type_and_payload(const cJSON *obj, const char *path, struct hm_dsse *env, char *why,
                       size_t why_len)
{
    const char *text = NULL;
    char where[128];
    hm_err err;

    if ((err = hm_v_string(obj, path, "payloadType", true, HM_V_TYPE_MAX, &text, why, why_len)) !=
        HM_OK) {
        return err;
    }
    if (!hm_v_printable(text, strlen(text))) {
        hm_v_path(where, sizeof(where), path, "payloadType");
        hm_v_why(why, why_len, "%s: not printable ASCII", where);
        return HM_E_INVALID;
    }
    if ((env->payload_type = strdup(text)) == NULL) {
        return HM_E_NOMEM;
    }
    if ((err = hm_v_string(obj, path, "payload", true, HM_V_PAYLOAD_B64_MAX, &text, why,
                           why_len)) != HM_OK) {
        return err;
    }
    hm_v_path(where, sizeof(where), path, "payload");
    return decode_b64(text, where, HM_PAYLOAD_MAX_BYTES, &env->payload, &env->payload_len, why,
                      why_len);
}

hm_err
hm_v_dsse_from_json(const cJSON *obj, const char *path, struct hm_dsse **out, char *why,
                    size_t why_len)
{
    static const char *const keys[] = { "payload", "payloadType", "signatures" };
    struct hm_dsse *env = NULL;
    const cJSON *sigs = NULL;
    char where[128];
    hm_err err;

    *out = NULL;
    if ((err = hm_v_only_keys(obj, path, keys, 3, why, why_len)) != HM_OK) {
        return err;
    }
    if ((env = calloc(1, sizeof(*env))) == NULL) {
        return HM_E_NOMEM;
    }
    hm_v_path(where, sizeof(where), path, "signatures");
    if ((err = parse_type_and_payload(obj, path, env, why, why_len)) != HM_OK ||
        (err = hm_v_array(obj, path, "signatures", true, &sigs, why, why_len)) != HM_OK ||
        (err = parse_signatures(sigs, where, env, why, why_len)) != HM_OK) {
        goto out;
    }
    *out = env;
    env = NULL; /* the caller owns it now */
out:
    hm_dsse_free(env);
    return err;
}

hm_err
hm_dsse_parse_why(const uint8_t *json, size_t len, struct hm_dsse **out, char *why, size_t why_len)
{
    cJSON *root = NULL;
    hm_err err;

    *out = NULL;
    hm_v_why_clear(why, why_len);
    if (json == NULL || len == 0) {
        hm_v_why(why, why_len, "envelope: empty");
        return HM_E_INVALID;
    }
    if ((err = hm_v_json_parse(json, len, &hm_v_bundle_limits, HM_V_BUNDLE_MAX_NODES, "envelope",
                               &root, why, why_len)) != HM_OK) {
        return err;
    }
    err = hm_v_dsse_from_json(root, "", out, why, why_len);
    cJSON_Delete(root);
    return err;
}

hm_err
hm_dsse_parse(const uint8_t *json, size_t len, struct hm_dsse **out)
{
    return hm_dsse_parse_why(json, len, out, NULL, 0);
}

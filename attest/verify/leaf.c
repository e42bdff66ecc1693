/*
 * leaf.c: the transparency-log leaf, the bundle entry's canonicalizedBody (docs/formats.md
 * "tlogEntries").  Rekor's "dsse" kind, apiVersion 0.0.1, so that Sigstore verifiers
 * (@sigstore/verify's verifyDSSE001TLogBody) accept it, plus our "hallmark" member, which
 * gives a monitor what it needs without the envelope:
 *
 *   {"apiVersion":"0.0.1","kind":"dsse",
 *    "spec":{"payloadHash":{"algorithm":"sha256","value":hex},
 *            "signatures":[{"signature":b64,"verifier":b64(PEM)}]},
 *    "hallmark":{"v":1,"keyid":..,"predicateType":..,"product":..,"channel":..,"version":..,
 *                "subjects":[{"name":..,"sha256":hex}],"client":hex,"time":RFC3339}}
 *
 * Our format, so read strictly: unknown keys refused at every level.  The leaf hash covers
 * these bytes as they were logged; nothing here is ever re-serialised.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

#define TYPE_URI_MAX  1024u
#define NAME_MAX_LEN  4096u
#define PEM_MAX_B64   (24u << 10)
#define VERSION_MAX   128u
#define KEYID_MAX_LEN 256u

void
hm_dsse_leaf_free(struct hm_dsse_leaf *leaf)
{
    if (leaf == NULL) {
        return;
    }
    free(leaf->sig);
    free(leaf->verifier_spki);
    free(leaf->keyid);
    free(leaf->predicate_type);
    free(leaf->product);
    free(leaf->channel);
    free(leaf->version);
    for (size_t i = 0; i < leaf->n_subjects; i++) {
        free(leaf->subjects[i].name);
    }
    free(leaf->subjects);
    free(leaf);
}

/* Lowercase hex of exactly n bytes. */
static hm_err
hex_member(const cJSON *obj, const char *path, const char *key, uint8_t *out, size_t n, char *why,
           size_t why_len)
{
    const char *text = NULL;
    char where[160];
    hm_err err;

    if ((err = hm_v_string(obj, path, key, true, 2 * n, &text, why, why_len)) != HM_OK) {
        return err;
    }
    if (strlen(text) != 2 * n || !hm_is_lower_hex(text, 2 * n) ||
        hm_hex_decode(text, 2 * n, out, n) != HM_OK) {
        hm_v_path(where, sizeof(where), path, key);
        hm_v_why(why, why_len, "%s: not %zu lowercase hex digits", where, 2 * n);
        return HM_E_INVALID;
    }
    return HM_OK;
}

/* A printable-ASCII (or, for names, product-charset) string copied out; absent is fine
 * unless required. */
static hm_err
dup_member(const cJSON *obj, const char *path, const char *key, bool required, size_t max,
           bool name_charset, char **out, char *why, size_t why_len)
{
    const char *text = NULL;
    char where[160];
    hm_err err;

    if ((err = hm_v_string(obj, path, key, required, max, &text, why, why_len)) != HM_OK ||
        text == NULL) {
        return err;
    }
    if (name_charset ? !hm_v_is_name(text) : !hm_v_printable(text, strlen(text))) {
        hm_v_path(where, sizeof(where), path, key);
        hm_v_why(why, why_len, "%s: %s", where,
                 name_charset ? "not of the form [a-z0-9][a-z0-9._-]{0,63}"
                              : "not printable ASCII");
        return HM_E_INVALID;
    }
    return (*out = strdup(text)) == NULL ? HM_E_NOMEM : HM_OK;
}

static hm_err
parse_signature(const cJSON *arr, struct hm_dsse_leaf *leaf, char *why, size_t why_len)
{
    static const char *const keys[] = { "signature", "verifier" };
    const char *path = "spec.signatures[0]";
    const cJSON *sig = cJSON_GetArrayItem(arr, 0);
    const char *text = NULL;
    uint8_t *pem = NULL;
    size_t pem_len = 0;
    hm_err err;

    if (cJSON_GetArraySize(arr) != 1) {
        hm_v_why(why, why_len, "spec.signatures: exactly one signature, as Rekor's dsse kind has");
        return HM_E_INVALID;
    }
    if ((err = hm_v_only_keys(sig, path, keys, 2, why, why_len)) != HM_OK ||
        (err = hm_v_string(sig, path, "signature", true, ((HM_MAX_SIG_BYTES + 2) / 3) * 4, &text,
                           why, why_len)) != HM_OK) {
        return err;
    }
    err = hm_v_b64_decode(text, strlen(text), HM_B64_STD, &leaf->sig, &leaf->sig_len);
    if (err != HM_OK || leaf->sig_len == 0) {
        hm_v_why(why, why_len, "%s.signature: not standard base64 of 1..%u bytes", path,
                 HM_MAX_SIG_BYTES);
        return err == HM_E_NOMEM ? err : HM_E_INVALID;
    }
    if ((err = hm_v_string(sig, path, "verifier", true, PEM_MAX_B64, &text, why, why_len)) !=
        HM_OK) {
        return err;
    }
    if ((err = hm_v_b64_decode(text, strlen(text), HM_B64_STD, &pem, &pem_len)) == HM_OK) {
        err = pem_len > 26 && memcmp(pem, "-----BEGIN PUBLIC KEY-----", 26) == 0
                  ? hm_v_pem_der((const char *)pem, pem_len, &leaf->verifier_spki,
                                 &leaf->verifier_spki_len)
                  : HM_E_INVALID;
    }
    free(pem);
    if (err != HM_OK) {
        hm_v_why(why, why_len, "%s.verifier: not the base64 of a PEM public key", path);
        return err == HM_E_NOMEM ? err : HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
parse_spec(const cJSON *root, struct hm_dsse_leaf *leaf, char *why, size_t why_len)
{
    static const char *const keys[] = { "payloadHash", "signatures" };
    static const char *const hkeys[] = { "algorithm", "value" };
    const cJSON *spec = NULL, *ph = NULL, *sigs = NULL;
    const char *alg = NULL;
    hm_err err;

    if ((err = hm_v_object(root, "", "spec", true, &spec, why, why_len)) != HM_OK ||
        (err = hm_v_only_keys(spec, "spec", keys, 2, why, why_len)) != HM_OK ||
        (err = hm_v_object(spec, "spec", "payloadHash", true, &ph, why, why_len)) != HM_OK ||
        (err = hm_v_only_keys(ph, "spec.payloadHash", hkeys, 2, why, why_len)) != HM_OK ||
        (err = hm_v_string(ph, "spec.payloadHash", "algorithm", true, 16, &alg, why, why_len)) !=
            HM_OK) {
        return err;
    }
    if (strcmp(alg, "sha256") != 0) {
        hm_v_why(why, why_len, "spec.payloadHash.algorithm: not sha256");
        return HM_E_INVALID;
    }
    if ((err = hex_member(ph, "spec.payloadHash", "value", leaf->payload_sha256, HM_SHA256_LEN, why,
                          why_len)) != HM_OK ||
        (err = hm_v_array(spec, "spec", "signatures", true, &sigs, why, why_len)) != HM_OK) {
        return err;
    }
    return parse_signature(sigs, leaf, why, why_len);
}

static hm_err
parse_subjects(const cJSON *hm, struct hm_dsse_leaf *leaf, char *why, size_t why_len)
{
    static const char *const keys[] = { "name", "sha256" };
    const cJSON *arr = NULL, *item = NULL;
    char where[64];
    int n;
    hm_err err;

    if ((err = hm_v_array(hm, "hallmark", "subjects", false, &arr, why, why_len)) != HM_OK ||
        arr == NULL) {
        return err;
    }
    if ((n = cJSON_GetArraySize(arr)) > (int)HM_MAX_SUBJECTS) {
        hm_v_why(why, why_len, "hallmark.subjects: more than %u", HM_MAX_SUBJECTS);
        return HM_E_LIMIT;
    }
    if (n > 0 && (leaf->subjects = calloc((size_t)n, sizeof(*leaf->subjects))) == NULL) {
        return HM_E_NOMEM;
    }
    cJSON_ArrayForEach(item, arr) {
        struct hm_dsse_leaf_subject *s = &leaf->subjects[leaf->n_subjects];
        const char *name = NULL;

        hm_v_index(where, sizeof(where), "hallmark.subjects", leaf->n_subjects);
        leaf->n_subjects++; /* counted first: hm_dsse_leaf_free frees a half-read one */
        if ((err = hm_v_only_keys(item, where, keys, 2, why, why_len)) != HM_OK ||
            (err = hm_v_string(item, where, "name", false, NAME_MAX_LEN, &name, why, why_len)) !=
                HM_OK ||
            (err = hex_member(item, where, "sha256", s->sha256, HM_SHA256_LEN, why, why_len)) !=
                HM_OK) {
            return err;
        }
        if (name != NULL && (s->name = strdup(name)) == NULL) {
            return HM_E_NOMEM;
        }
    }
    return HM_OK;
}

static hm_err
parse_hallmark(const cJSON *root, struct hm_dsse_leaf *leaf, char *why, size_t why_len)
{
    static const char *const keys[] = { "v",        "keyid",   "predicateType",
                                        "product",  "channel", "version",
                                        "subjects", "client",  "time" };
    const cJSON *hm = NULL;
    const char *p = "hallmark", *text = NULL;
    uint64_t v = 0;
    hm_err err;

    if ((err = hm_v_object(root, "", "hallmark", true, &hm, why, why_len)) != HM_OK ||
        (err = hm_v_only_keys(hm, p, keys, sizeof(keys) / sizeof(keys[0]), why, why_len)) !=
            HM_OK) {
        return err;
    }
    if (hm_json_get_u64(hm, "v", true, 1000, &v) != HM_OK || v != 1) {
        hm_v_why(why, why_len, "hallmark.v: not 1");
        return HM_E_INVALID;
    }
    if ((err = dup_member(hm, p, "keyid", true, KEYID_MAX_LEN, false, &leaf->keyid, why,
                          why_len)) != HM_OK ||
        (err = dup_member(hm, p, "predicateType", false, TYPE_URI_MAX, false, &leaf->predicate_type,
                          why, why_len)) != HM_OK ||
        (err = dup_member(hm, p, "product", false, 64, true, &leaf->product, why, why_len)) !=
            HM_OK ||
        (err = dup_member(hm, p, "channel", false, 64, true, &leaf->channel, why, why_len)) !=
            HM_OK ||
        (err = dup_member(hm, p, "version", false, VERSION_MAX, false, &leaf->version, why,
                          why_len)) != HM_OK ||
        (err = parse_subjects(hm, leaf, why, why_len)) != HM_OK ||
        (err = hex_member(hm, p, "client", leaf->client_sha256, HM_SHA256_LEN, why, why_len)) !=
            HM_OK ||
        (err = hm_v_string(hm, p, "time", true, 64, &text, why, why_len)) != HM_OK) {
        return err;
    }
    if (hm_time_parse_rfc3339(text, &leaf->time) != HM_OK) {
        hm_v_why(why, why_len, "hallmark.time: not an RFC 3339 time");
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
parse_root(const cJSON *root, struct hm_dsse_leaf *leaf, char *why, size_t why_len)
{
    static const char *const keys[] = { "apiVersion", "kind", "spec", "hallmark" };
    const char *api = NULL, *kind = NULL;
    hm_err err;

    if ((err = hm_v_only_keys(root, "", keys, 4, why, why_len)) != HM_OK ||
        (err = hm_v_string(root, "", "apiVersion", true, 16, &api, why, why_len)) != HM_OK ||
        (err = hm_v_string(root, "", "kind", true, 16, &kind, why, why_len)) != HM_OK) {
        return err;
    }
    if (strcmp(api, "0.0.1") != 0 || strcmp(kind, "dsse") != 0) {
        hm_v_why(why, why_len, "leaf: not Rekor's kind \"dsse\" apiVersion \"0.0.1\"");
        return HM_E_INVALID;
    }
    if ((err = parse_spec(root, leaf, why, why_len)) != HM_OK) {
        return err;
    }
    return parse_hallmark(root, leaf, why, why_len);
}

hm_err
hm_dsse_leaf_parse(const uint8_t *body, size_t len, struct hm_dsse_leaf **out, char *why,
                   size_t why_len)
{
    struct hm_dsse_leaf *leaf = NULL;
    cJSON *root = NULL;
    hm_err err;

    *out = NULL;
    hm_v_why_clear(why, why_len);
    if (body == NULL || len == 0) {
        hm_v_why(why, why_len, "leaf: empty");
        return HM_E_INVALID;
    }
    if ((err = hm_v_json_parse(body, len, &hm_v_leaf_limits, HM_V_LEAF_MAX_NODES, "leaf", &root,
                               why, why_len)) != HM_OK) {
        return err;
    }
    if ((leaf = calloc(1, sizeof(*leaf))) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    if ((err = parse_root(root, leaf, why, why_len)) != HM_OK) {
        goto out;
    }
    *out = leaf;
    leaf = NULL; /* the caller owns it now */
out:
    hm_dsse_leaf_free(leaf);
    cJSON_Delete(root);
    return err;
}

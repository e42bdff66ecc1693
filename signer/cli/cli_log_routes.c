/*
 * cli_log_routes.c: the JSON replies of hallmarkd's log routes, read strictly (STYLE.md:
 * allow-listed keys, exact types, bounded sizes).  Every number is checked against what was
 * asked: a log that answers a proof for another index or size is refused, not trusted.
 *
 *   /v1/log/proof/inclusion?index=I&size=S  {"logIndex","treeSize","rootHash","hashes"}
 *   /v1/log/proof/consistency?from=M&to=N   {"from","to","hashes"}
 *   /v1/log/entries/{index}                 {"logIndex","leaf","leafHash","bundle"}
 */
#include <hm/json.h>
#include <hm/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_log.h"

#define ROUTE_MAX_BYTES ((size_t)4 << 20)

static hm_err
parse_doc(const uint8_t *body, size_t len, const char *const *keys, size_t n_keys, cJSON **out,
          char *why, size_t why_len)
{
    struct hm_json_limits lim = HM_JSON_DEFAULT_LIMITS;
    struct hm_json_error jerr;
    const char *bad = NULL;
    hm_err err;

    *out = NULL;
    lim.max_bytes = ROUTE_MAX_BYTES;
    lim.max_string = HM_LEAF_MAX_BYTES * 2;
    if ((err = hm_json_parse(body, len, &lim, out, &jerr)) != HM_OK) {
        snprintf(why, why_len, "not JSON: %s at byte %zu", jerr.message, jerr.offset);
        return err;
    }
    if (!cJSON_IsObject(*out) || hm_json_only_keys(*out, keys, n_keys, &bad) != HM_OK) {
        snprintf(why, why_len, "unexpected member \"%s\"", bad != NULL ? bad : "(not an object)");
        cJSON_Delete(*out);
        *out = NULL;
        return HM_E_INVALID;
    }
    return HM_OK;
}

/* A base64 member of exactly 32 bytes. */
static hm_err
get_hash(const cJSON *item, uint8_t out[HM_TLOG_HASH_LEN])
{
    uint8_t *h = NULL;
    size_t hl = 0;

    if (!cJSON_IsString(item) || item->valuestring == NULL ||
        hm_b64_decode(item->valuestring, strlen(item->valuestring), HM_B64_STD, &h, &hl) != HM_OK ||
        hl != HM_TLOG_HASH_LEN) {
        free(h);
        return HM_E_INVALID;
    }
    memcpy(out, h, HM_TLOG_HASH_LEN);
    free(h);
    return HM_OK;
}

static hm_err
get_path(const cJSON *doc, struct hm_tlog_path *out, char *why, size_t why_len)
{
    const cJSON *hashes = hm_json_get(doc, "hashes"), *h;
    size_t i = 0;

    out->len = 0;
    if (!cJSON_IsArray(hashes)) {
        snprintf(why, why_len, "\"hashes\" is not an array");
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(h, hashes) {
        if (i == HM_TLOG_MAX_PATH || get_hash(h, out->hash[i]) != HM_OK) {
            snprintf(why, why_len, "hashes[%zu] is not a base64 SHA-256 hash (at most %d)", i,
                     HM_TLOG_MAX_PATH);
            return HM_E_INVALID;
        }
        i++;
    }
    out->len = i;
    return HM_OK;
}

/* A member that must equal want. */
static hm_err
expect_u64(const cJSON *doc, const char *key, uint64_t want, char *why, size_t why_len)
{
    uint64_t v = 0;

    if (hm_json_get_u64_str(doc, key, true, &v) != HM_OK) {
        snprintf(why, why_len, "\"%s\" is missing or not an integer", key);
        return HM_E_INVALID;
    }
    if (v != want) {
        snprintf(why, why_len, "\"%s\" is %llu, asked for %llu", key, (unsigned long long)v,
                 (unsigned long long)want);
        return HM_E_INVALID;
    }
    return HM_OK;
}

hm_err
cli_log_parse_inclusion(const uint8_t *body, size_t len, uint64_t index, uint64_t size,
                        uint8_t root_out[HM_TLOG_HASH_LEN], struct hm_tlog_path *out, char *why,
                        size_t why_len)
{
    static const char *const keys[] = { "logIndex", "treeSize", "rootHash", "hashes" };
    cJSON *doc = NULL;
    hm_err err;

    if ((err = parse_doc(body, len, keys, 4, &doc, why, why_len)) != HM_OK) {
        return err;
    }
    if ((err = expect_u64(doc, "logIndex", index, why, why_len)) != HM_OK ||
        (err = expect_u64(doc, "treeSize", size, why, why_len)) != HM_OK) {
        goto out;
    }
    if ((err = get_hash(hm_json_get(doc, "rootHash"), root_out)) != HM_OK) {
        snprintf(why, why_len, "\"rootHash\" is not a base64 SHA-256 hash");
        goto out;
    }
    err = get_path(doc, out, why, why_len);
out:
    cJSON_Delete(doc);
    return err;
}

hm_err
cli_log_parse_consistency(const uint8_t *body, size_t len, uint64_t from, uint64_t to,
                          struct hm_tlog_path *out, char *why, size_t why_len)
{
    static const char *const keys[] = { "from", "to", "hashes" };
    cJSON *doc = NULL;
    hm_err err;

    if ((err = parse_doc(body, len, keys, 3, &doc, why, why_len)) != HM_OK) {
        return err;
    }
    if ((err = expect_u64(doc, "from", from, why, why_len)) == HM_OK &&
        (err = expect_u64(doc, "to", to, why, why_len)) == HM_OK) {
        err = get_path(doc, out, why, why_len);
    }
    cJSON_Delete(doc);
    return err;
}

hm_err
cli_log_parse_entry(const uint8_t *body, size_t len, uint64_t index, uint8_t **leaf,
                    size_t *leaf_len, char *why, size_t why_len)
{
    static const char *const keys[] = { "logIndex", "leaf", "leafHash", "bundle" };
    uint8_t want[HM_TLOG_HASH_LEN], got[HM_TLOG_HASH_LEN];
    const char *b64 = NULL, *hex = NULL;
    const cJSON *bundle;
    uint8_t *l = NULL;
    size_t ll = 0;
    cJSON *doc = NULL;
    hm_err err;

    *leaf = NULL;
    *leaf_len = 0;
    if ((err = parse_doc(body, len, keys, 4, &doc, why, why_len)) != HM_OK) {
        return err;
    }
    if ((err = expect_u64(doc, "logIndex", index, why, why_len)) != HM_OK) {
        goto out;
    }
    bundle = hm_json_get(doc, "bundle");
    err = HM_E_INVALID;
    if (bundle != NULL && !cJSON_IsNull(bundle) && !cJSON_IsObject(bundle)) {
        snprintf(why, why_len, "\"bundle\" is neither an object nor null");
        goto out;
    }
    if (hm_json_get_string(doc, "leaf", true, HM_LEAF_MAX_BYTES * 2, &b64) != HM_OK ||
        hm_b64_decode(b64, strlen(b64), HM_B64_STD, &l, &ll) != HM_OK || ll == 0 ||
        ll > HM_LEAF_MAX_BYTES) {
        snprintf(why, why_len, "\"leaf\" is not base64 of 1..%u bytes", HM_LEAF_MAX_BYTES);
        goto out;
    }
    if (hm_json_get_string(doc, "leafHash", true, 64, &hex) != HM_OK || strlen(hex) != 64 ||
        hm_hex_decode(hex, 64, want, sizeof(want)) != HM_OK) {
        snprintf(why, why_len, "\"leafHash\" is not 64 lowercase hex digits");
        goto out;
    }
    hm_tlog_leaf_hash(l, ll, got);
    if (!hm_ct_equal(want, got, HM_TLOG_HASH_LEN)) {
        snprintf(why, why_len, "\"leafHash\" is not the hash of \"leaf\"");
        goto out;
    }
    *leaf = l;
    *leaf_len = ll;
    l = NULL; /* the caller owns it now */
    err = HM_OK;
out:
    free(l);
    cJSON_Delete(doc);
    return err;
}

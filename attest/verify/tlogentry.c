/*
 * tlogentry.c: verificationMaterial.tlogEntries[] of a Sigstore bundle v0.3 (protobuf-specs
 * sigstore_rekor.proto TransparencyLogEntry, protojson), in the profile hallmarkd writes
 * (docs/formats.md "tlogEntries"):
 *
 *   {"logIndex":"N","logId":{"keyId":b64},"kindVersion":{"kind":"dsse","version":"0.0.1"},
 *    "integratedTime":"T","inclusionProof":{"logIndex":"N","rootHash":b64,"treeSize":"S",
 *    "hashes":[b64,...],"checkpoint":{"envelope":note}},"canonicalizedBody":b64}
 *
 * Read strictly, as every bundle field is: allow-listed keys, exact types, bounded sizes.
 * Nothing here is trusted yet; tlogcheck.c decides.  A malformed entry does not fail
 * hm_bundle_parse (the key-only check never looked at entries): the reason is kept for
 * hm_verify_bundle, which refuses the bundle with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

#define ENTRIES "verificationMaterial.tlogEntries"

void
hm_v_tlog_entries_clear(struct hm_v_tlog_entries *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->e[i].hashes);
        free(t->e[i].checkpoint);
        free(t->e[i].body);
    }
    free(t->e);
    t->e = NULL;
    t->n = 0;
}

/* A protojson int64: a decimal string (or a number), 0..2^63-1. */
static hm_err
get_int64(const cJSON *obj, const char *path, const char *key, uint64_t *out, char *why,
          size_t why_len)
{
    char where[160];

    hm_v_path(where, sizeof(where), path, key);
    if (hm_json_get(obj, key) == NULL) {
        hm_v_why(why, why_len, "%s: missing", where);
        return HM_E_INVALID;
    }
    if (hm_json_get_u64_str(obj, key, true, out) != HM_OK) {
        hm_v_why(why, why_len, "%s: not an int64 (a decimal string without leading zeros)", where);
        return HM_E_INVALID;
    }
    return HM_OK;
}

/* {"kind":"dsse","version":"0.0.1"}: the only kind we write and read. */
static hm_err
parse_kind(const cJSON *e, const char *path, char *why, size_t why_len)
{
    static const char *const keys[] = { "kind", "version" };
    const cJSON *kv = NULL;
    const char *kind = NULL, *version = NULL;
    char where[160];
    hm_err err;

    hm_v_path(where, sizeof(where), path, "kindVersion");
    if ((err = hm_v_object(e, path, "kindVersion", true, &kv, why, why_len)) != HM_OK ||
        (err = hm_v_only_keys(kv, where, keys, 2, why, why_len)) != HM_OK ||
        (err = hm_v_string(kv, where, "kind", true, 64, &kind, why, why_len)) != HM_OK ||
        (err = hm_v_string(kv, where, "version", true, 64, &version, why, why_len)) != HM_OK) {
        return err;
    }
    if (strcmp(kind, "dsse") != 0 || strcmp(version, "0.0.1") != 0) {
        hm_v_why(why, why_len, "%s: only kind \"dsse\" version \"0.0.1\" is accepted", where);
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
parse_hashes(const cJSON *arr, const char *path, struct hm_v_tlog_entry *t, char *why,
             size_t why_len)
{
    const cJSON *item = NULL;
    int n = cJSON_GetArraySize(arr);
    char where[160];
    size_t got = 0, i = 0;
    hm_err err;

    if (n < 0 || (size_t)n > HM_TLOG_MAX_PATH) {
        hm_v_why(why, why_len, "%s: %d hashes, more than %d", path, n, HM_TLOG_MAX_PATH);
        return HM_E_LIMIT;
    }
    if (n > 0 && (t->hashes = malloc((size_t)n * HM_TLOG_HASH_LEN)) == NULL) {
        return HM_E_NOMEM;
    }
    cJSON_ArrayForEach(item, arr) {
        if (!cJSON_IsString(item) || item->valuestring == NULL) {
            hm_v_index(where, sizeof(where), path, i);
            hm_v_why(why, why_len, "%s: not a string", where);
            return HM_E_INVALID;
        }
        err = hm_v_b64_decode_into(item->valuestring, strlen(item->valuestring), HM_B64_STD,
                                   t->hashes + i * HM_TLOG_HASH_LEN, HM_TLOG_HASH_LEN, &got);
        if (err != HM_OK || got != HM_TLOG_HASH_LEN) {
            hm_v_index(where, sizeof(where), path, i);
            hm_v_why(why, why_len, "%s: not the base64 of a 32-byte hash", where);
            return HM_E_INVALID;
        }
        i++;
    }
    t->n_hashes = i;
    return HM_OK;
}

static hm_err
parse_checkpoint(const cJSON *proof, const char *path, struct hm_v_tlog_entry *t, char *why,
                 size_t why_len)
{
    static const char *const keys[] = { "envelope" };
    const cJSON *cp = NULL;
    const char *text = NULL;
    char where[160];
    hm_err err;

    hm_v_path(where, sizeof(where), path, "checkpoint");
    if ((err = hm_v_object(proof, path, "checkpoint", true, &cp, why, why_len)) != HM_OK ||
        (err = hm_v_only_keys(cp, where, keys, 1, why, why_len)) != HM_OK ||
        (err = hm_v_string(cp, where, "envelope", true, HM_V_CHECKPOINT_MAX, &text, why,
                           why_len)) != HM_OK) {
        return err;
    }
    t->checkpoint_len = strlen(text);
    if ((t->checkpoint = (uint8_t *)strdup(text)) == NULL) {
        return HM_E_NOMEM;
    }
    return HM_OK;
}

static hm_err
parse_proof(const cJSON *e, const char *path, struct hm_v_tlog_entry *t, char *why, size_t why_len)
{
    static const char *const keys[] = { "logIndex", "rootHash", "treeSize", "hashes",
                                        "checkpoint" };
    const cJSON *proof = NULL, *hashes = NULL;
    char where[160], hpath[176];
    hm_err err;

    hm_v_path(where, sizeof(where), path, "inclusionProof");
    hm_v_path(hpath, sizeof(hpath), where, "hashes");
    if ((err = hm_v_object(e, path, "inclusionProof", true, &proof, why, why_len)) != HM_OK ||
        (err = hm_v_only_keys(proof, where, keys, 5, why, why_len)) != HM_OK ||
        (err = get_int64(proof, where, "logIndex", &t->proof_index, why, why_len)) != HM_OK ||
        (err = hm_v_b64_fixed(proof, where, "rootHash", t->proof_root, HM_TLOG_HASH_LEN, why,
                              why_len)) != HM_OK ||
        (err = get_int64(proof, where, "treeSize", &t->proof_size, why, why_len)) != HM_OK ||
        (err = hm_v_array(proof, where, "hashes", true, &hashes, why, why_len)) != HM_OK ||
        (err = parse_hashes(hashes, hpath, t, why, why_len)) != HM_OK) {
        return err;
    }
    return parse_checkpoint(proof, where, t, why, why_len);
}

static hm_err
parse_body(const cJSON *e, const char *path, struct hm_v_tlog_entry *t, char *why, size_t why_len)
{
    const char *text = NULL;
    char where[160];
    hm_err err;

    hm_v_path(where, sizeof(where), path, "canonicalizedBody");
    if ((err = hm_v_string(e, path, "canonicalizedBody", true, ((HM_LEAF_MAX_BYTES + 2) / 3) * 4,
                           &text, why, why_len)) != HM_OK) {
        return err;
    }
    if ((err = hm_v_b64_decode(text, strlen(text), HM_B64_STD, &t->body, &t->body_len)) != HM_OK) {
        if (err == HM_E_NOMEM) {
            return err;
        }
        hm_v_why(why, why_len, "%s: not standard base64", where);
        return HM_E_INVALID;
    }
    if (t->body_len == 0) {
        hm_v_why(why, why_len, "%s: empty", where);
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
parse_entry(const cJSON *e, const char *path, struct hm_v_tlog_entry *t, char *why, size_t why_len)
{
    static const char *const keys[] = { "logIndex",       "logId",          "kindVersion",
                                        "integratedTime", "inclusionProof", "canonicalizedBody" };
    static const char *const id_keys[] = { "keyId" };
    const cJSON *log_id = NULL;
    char where[160];
    hm_err err;

    hm_v_path(where, sizeof(where), path, "logId");
    if ((err = hm_v_only_keys(e, path, keys, 6, why, why_len)) != HM_OK ||
        (err = get_int64(e, path, "logIndex", &t->log_index, why, why_len)) != HM_OK ||
        (err = hm_v_object(e, path, "logId", true, &log_id, why, why_len)) != HM_OK ||
        (err = hm_v_only_keys(log_id, where, id_keys, 1, why, why_len)) != HM_OK ||
        (err = hm_v_b64_fixed(log_id, where, "keyId", t->log_id, HM_SHA256_LEN, why, why_len)) !=
            HM_OK ||
        (err = parse_kind(e, path, why, why_len)) != HM_OK ||
        (err = get_int64(e, path, "integratedTime", &t->integrated_time, why, why_len)) != HM_OK ||
        (err = parse_proof(e, path, t, why, why_len)) != HM_OK) {
        return err;
    }
    return parse_body(e, path, t, why, why_len);
}

hm_err
hm_v_tlog_entries_parse(const cJSON *arr, struct hm_v_tlog_entries *out)
{
    const cJSON *item = NULL;
    int n = arr != NULL ? cJSON_GetArraySize(arr) : 0;
    char where[64];
    hm_err err = HM_OK;

    memset(out, 0, sizeof(*out));
    if (n <= 0) {
        return HM_OK;
    }
    if ((size_t)n > HM_V_MAX_TLOG_ENTRIES) {
        out->err = HM_E_LIMIT;
        hm_v_why(out->why, sizeof(out->why), "%s: %d entries, more than %u", ENTRIES, n,
                 HM_V_MAX_TLOG_ENTRIES);
        return HM_OK;
    }
    if ((out->e = calloc((size_t)n, sizeof(*out->e))) == NULL) {
        return HM_E_NOMEM;
    }
    cJSON_ArrayForEach(item, arr) {
        hm_v_index(where, sizeof(where), ENTRIES, out->n);
        out->n++; /* counted first: hm_v_tlog_entries_clear frees a half-read entry */
        err = parse_entry(item, where, &out->e[out->n - 1], out->why, sizeof(out->why));
        if (err != HM_OK) {
            break;
        }
    }
    if (err == HM_E_NOMEM) {
        return err;
    }
    if (err != HM_OK) {
        out->err = err == HM_E_LIMIT ? HM_E_LIMIT : HM_E_INVALID;
        hm_v_tlog_entries_clear(out);
    }
    return HM_OK;
}

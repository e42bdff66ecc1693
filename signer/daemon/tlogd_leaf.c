/*
 * tlogd_leaf.c: the log leaf (docs/formats.md 7.2) and the bundle's tlogEntries[0] (7.1).
 *
 * The leaf is built from the bundle hallmarkd just signed (its own bytes, parsed with the
 * usual limits all the same): SHA-256 of the DSSE payload, the signature, the signer's
 * PEM, and from the signed statement its predicate type and sha256 subjects.  It is
 * written once, in the order of 7.2, and logged as written: nothing re-serialises it.
 */
#include <hm/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tlogd.h"

#define LEAF_MAX_SUBJECTS 1024
#define LEAF_NAME_MAX     4096

static const struct hm_json_limits bundle_limits = { .max_bytes = (size_t)1 << 20,
                                                     .max_depth = 32,
                                                     .max_string = (size_t)1 << 20,
                                                     .max_members = 1024 };

static bool
printable(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++, n++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || n >= LEAF_NAME_MAX) {
            return false;
        }
    }
    return n > 0;
}

/* "subjects":[{"name":..,"sha256":..}]: the statement's subjects with a sha256 digest. */
static void
put_subjects(struct hm_buf *b, const cJSON *stmt)
{
    const cJSON *subjects = hm_json_get(stmt, "subject"), *s = NULL;
    size_t n = 0;

    hm_buf_puts(b, ",\"subjects\":[");
    cJSON_ArrayForEach(s, subjects) {
        const cJSON *d = hm_json_get(s, "digest");
        const cJSON *name = hm_json_get(s, "name");
        const cJSON *h = hm_json_get(d, "sha256");

        if (n >= LEAF_MAX_SUBJECTS || !cJSON_IsString(h) || strlen(h->valuestring) != 64 ||
            !hm_is_lower_hex(h->valuestring, 64)) {
            continue;
        }
        hm_buf_puts(b, n++ ? ",{" : "{");
        if (cJSON_IsString(name) && printable(name->valuestring)) {
            hm_buf_puts(b, "\"name\":");
            hmd_json_quote(b, name->valuestring);
            hm_buf_puts(b, ",");
        }
        hm_buf_printf(b, "\"sha256\":\"%s\"}", h->valuestring);
    }
    hm_buf_puts(b, "]");
}

/* The envelope's payload (decoded) and signature (as base64) from the bundle. */
static hm_err
envelope_parts(const struct hmd_leaf_in *in, cJSON **bundle, uint8_t **payload, size_t *plen,
               const char **sig_b64)
{
    const cJSON *env = NULL, *p = NULL, *sig = NULL;
    hm_err rc;

    if ((rc = hm_json_parse(in->bundle, in->bundle_len, &bundle_limits, bundle, NULL)) != HM_OK) {
        return rc;
    }
    env = hm_json_get(*bundle, "dsseEnvelope");
    p = hm_json_get(env, "payload");
    sig = hm_json_get(cJSON_GetArrayItem(hm_json_get(env, "signatures"), 0), "sig");
    if (!cJSON_IsString(p) || !cJSON_IsString(sig)) {
        return HM_E_INVALID;
    }
    *sig_b64 = sig->valuestring;
    return hm_b64_decode(p->valuestring, strlen(p->valuestring), HM_B64_STD, payload, plen);
}

static void
put_spec(struct hm_buf *b, const uint8_t *payload, size_t plen, const char *sig_b64,
         const char *pem_b64)
{
    uint8_t digest[HM_SHA256_LEN];
    char hex[2 * HM_SHA256_LEN + 1];

    hm_sha256(payload, plen, digest);
    hm_hex_encode(digest, HM_SHA256_LEN, hex);
    hm_buf_printf(b,
                  "{\"apiVersion\":\"0.0.1\",\"kind\":\"dsse\",\"spec\":{\"payloadHash\":"
                  "{\"algorithm\":\"sha256\",\"value\":\"%s\"},\"signatures\":[{\"signature\":",
                  hex);
    hmd_json_quote(b, sig_b64);
    hm_buf_printf(b, ",\"verifier\":\"%s\"}]},\"hallmark\":{\"v\":1,\"keyid\":", pem_b64);
}

static void
put_release(struct hm_buf *b, const struct hmd_leaf_in *in, const cJSON *stmt)
{
    const cJSON *pt = hm_json_get(stmt, "predicateType");

    if (cJSON_IsString(pt) && printable(pt->valuestring)) {
        hm_buf_puts(b, ",\"predicateType\":");
        hmd_json_quote(b, pt->valuestring);
    }
    if (in->product != NULL) {
        hm_buf_puts(b, ",\"product\":");
        hmd_json_quote(b, in->product);
    }
    if (in->channel != NULL) {
        hm_buf_puts(b, ",\"channel\":");
        hmd_json_quote(b, in->channel);
    }
    if (in->version != NULL) {
        hm_buf_puts(b, ",\"version\":");
        hmd_json_quote(b, in->version);
    }
    if (in->with_subjects) {
        put_subjects(b, stmt);
    }
}

hm_err
hmd_leaf_build(const struct hmd_leaf_in *in, char **out, size_t *out_len)
{
    cJSON *bundle = NULL, *stmt = NULL;
    uint8_t *payload = NULL;
    size_t plen = 0, n = 0;
    const char *sig_b64 = NULL;
    char *pem_b64 = NULL, client[2 * HM_SHA256_LEN + 1], when[32];
    struct hm_buf b;
    hm_err rc;

    *out = NULL;
    *out_len = 0;
    hm_buf_init(&b, 0);
    if ((rc = envelope_parts(in, &bundle, &payload, &plen, &sig_b64)) != HM_OK ||
        (rc = hm_json_parse(payload, plen, &bundle_limits, &stmt, NULL)) != HM_OK ||
        (rc = hm_b64_encode((const uint8_t *)in->signer_pem, strlen(in->signer_pem), &pem_b64)) !=
            HM_OK) {
        goto out;
    }
    put_spec(&b, payload, plen, sig_b64, pem_b64);
    hmd_json_quote(&b, in->keyid);
    put_release(&b, in, stmt);
    hm_hex_encode(in->client_sha256, HM_SHA256_LEN, client);
    hm_time_rfc3339(in->time, when);
    hm_buf_printf(&b, ",\"client\":\"%s\",\"time\":\"%s\"}}", client, when);
    if ((rc = hm_buf_status(&b)) == HM_OK) {
        *out = (char *)hm_buf_steal(&b, &n);
        *out_len = n;
    }
out:
    hm_buf_free(&b);
    cJSON_Delete(bundle);
    cJSON_Delete(stmt);
    free(payload);
    free(pem_b64);
    return rc;
}

static hm_err
put_b64(struct hm_buf *b, const uint8_t *d, size_t n)
{
    char *s = NULL;
    hm_err rc = hm_b64_encode(d, n, &s);

    if (rc == HM_OK) {
        hm_buf_puts(b, s);
        free(s);
    }
    return rc;
}

/* tlogEntries[0], exactly the shape of docs/formats.md 7.1. */
static hm_err
entry_json(struct hm_buf *b, const char *leaf, size_t leaf_len, uint64_t index, int64_t time,
           const struct hm_tlog_path *path, uint64_t size, const uint8_t root[HM_TLOG_HASH_LEN],
           const char *note)
{
    hm_err rc;

    hm_buf_printf(b, "{\"logIndex\":\"%llu\",\"logId\":{\"keyId\":\"", (unsigned long long)index);
    if ((rc = put_b64(b, hmd_tlog.log_id, sizeof(hmd_tlog.log_id))) != HM_OK) {
        return rc;
    }
    hm_buf_printf(b,
                  "\"},\"kindVersion\":{\"kind\":\"dsse\",\"version\":\"0.0.1\"},"
                  "\"integratedTime\":\"%lld\",\"inclusionProof\":{\"logIndex\":\"%llu\","
                  "\"rootHash\":\"",
                  (long long)time, (unsigned long long)index);
    if ((rc = put_b64(b, root, HM_TLOG_HASH_LEN)) != HM_OK) {
        return rc;
    }
    hm_buf_printf(b, "\",\"treeSize\":\"%llu\",\"hashes\":[", (unsigned long long)size);
    for (size_t i = 0; i < path->len; i++) {
        hm_buf_puts(b, i ? ",\"" : "\"");
        if ((rc = put_b64(b, path->hash[i], HM_TLOG_HASH_LEN)) != HM_OK) {
            return rc;
        }
        hm_buf_puts(b, "\"");
    }
    hm_buf_puts(b, "],\"checkpoint\":{\"envelope\":");
    hmd_json_quote(b, note);
    hm_buf_puts(b, "}},\"canonicalizedBody\":\"");
    if ((rc = put_b64(b, (const uint8_t *)leaf, leaf_len)) != HM_OK) {
        return rc;
    }
    hm_buf_puts(b, "\"}");
    return hm_buf_status(b);
}

hm_err
hmd_bundle_with_entry(const char *bundle, size_t bundle_len, const char *leaf, size_t leaf_len,
                      uint64_t index, int64_t time, const struct hm_tlog_path *path, uint64_t size,
                      const uint8_t root[HM_TLOG_HASH_LEN], const char *note, char **out,
                      size_t *out_len)
{
    static const char empty[] = "\"tlogEntries\":[]";
    const char *at = NULL;
    struct hm_buf b;
    size_t n = 0;
    hm_err rc;

    *out = NULL;
    *out_len = 0;
    /* hm_bundle_sign writes verificationMaterial (with the empty list) before the
     * envelope, whose payload and signature are base64: the first match is the list. */
    for (size_t i = 0; i + sizeof(empty) - 1 <= bundle_len && at == NULL; i++) {
        if (memcmp(bundle + i, empty, sizeof(empty) - 1) == 0) {
            at = bundle + i;
        }
    }
    if (at == NULL) {
        return HM_E_INVALID;
    }
    hm_buf_init(&b, 0);
    hm_buf_append(&b, bundle, (size_t)(at - bundle));
    hm_buf_puts(&b, "\"tlogEntries\":[");
    if ((rc = entry_json(&b, leaf, leaf_len, index, time, path, size, root, note)) == HM_OK) {
        hm_buf_puts(&b, "]");
        at += sizeof(empty) - 1;
        hm_buf_append(&b, at, bundle_len - (size_t)(at - bundle));
        hm_buf_append(&b, "", 1);
        if ((rc = hm_buf_status(&b)) == HM_OK) {
            *out = (char *)hm_buf_steal(&b, &n);
            *out_len = n - 1;
        }
    }
    hm_buf_free(&b);
    return rc;
}

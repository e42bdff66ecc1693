/*
 * bundle.c: Sigstore bundle v0.3 with a self-managed public key
 * (sigstore/protobuf-specs sigstore_bundle.proto; our profile in docs/formats.md).
 *
 * Strict: every object is walked against an allow-list.  Only the public-key form of
 * verificationMaterial (publicKey.hint) and only DSSE content are accepted.  The
 * transparency-log entries are counted and checked to be objects here; tlogentry.c reads
 * them into the private part of the bundle, where only hm_verify_bundle looks, so that a
 * key-only check (hm_verify_bundle_key) keeps accepting what it always accepted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

/* protobuf-specs: verifiers also accept the older media type spelling. */
#define MEDIA_TYPE_V03_OLD "application/vnd.dev.sigstore.bundle+json;version=0.3"

/* The public struct first, so that a struct hm_bundle * is also a struct bundle_priv *. */
struct bundle_priv {
    struct hm_bundle pub;
    struct hm_v_tlog_entries tlog;
};

void
hm_bundle_free(struct hm_bundle *b)
{
    struct bundle_priv *bp = (struct bundle_priv *)b;

    if (b == NULL) {
        return;
    }
    free(b->media_type);
    free(b->hint);
    hm_dsse_free(b->dsse);
    hm_v_tlog_entries_clear(&bp->tlog);
    free(bp);
}

const struct hm_v_tlog_entries *
hm_v_bundle_tlog(const struct hm_bundle *b)
{
    return &((const struct bundle_priv *)b)->tlog;
}

/* An array whose elements are all objects; returns the count. */
static hm_err
array_of_objects(const cJSON *arr, const char *path, size_t *count, char *why, size_t why_len)
{
    const cJSON *item = NULL;
    size_t i = 0;

    cJSON_ArrayForEach(item, arr) {
        if (!cJSON_IsObject(item)) {
            hm_v_why(why, why_len, "%s[%zu]: not an object", path, i);
            return HM_E_INVALID;
        }
        i++;
    }
    *count = i;
    return HM_OK;
}

/* {"rfc3161Timestamps": [{"signedTimestamp": "<base64>"}]}: shape only, not verified. */
static hm_err
parse_timestamps(const cJSON *tvd, char *why, size_t why_len)
{
    static const char *const keys[] = { "rfc3161Timestamps" };
    static const char *const ts_keys[] = { "signedTimestamp" };
    const char *path = "verificationMaterial.timestampVerificationData";
    const cJSON *arr = NULL;
    const cJSON *item = NULL;
    const char *text = NULL;
    char where[128];
    size_t i = 0;
    hm_err err;

    if ((err = hm_v_only_keys(tvd, path, keys, 1, why, why_len)) != HM_OK ||
        (err = hm_v_array(tvd, path, "rfc3161Timestamps", false, &arr, why, why_len)) != HM_OK) {
        return err;
    }
    cJSON_ArrayForEach(item, arr) {
        hm_v_index(where, sizeof(where),
                   "verificationMaterial.timestampVerificationData.rfc3161Timestamps", i++);
        if ((err = hm_v_only_keys(item, where, ts_keys, 1, why, why_len)) != HM_OK ||
            (err = hm_v_string(item, where, "signedTimestamp", true, HM_V_PAYLOAD_B64_MAX, &text,
                               why, why_len)) != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
parse_material(const cJSON *vm, struct hm_bundle *b, char *why, size_t why_len)
{
    static const char *const keys[] = { "publicKey", "tlogEntries", "timestampVerificationData" };
    static const char *const pk_keys[] = { "hint" };
    const char *path = "verificationMaterial";
    const cJSON *pk = NULL, *tlog = NULL, *tvd = NULL;
    const char *hint = NULL;
    hm_err err;

    if ((err = hm_v_only_keys(vm, path, keys, 3, why, why_len)) != HM_OK ||
        (err = hm_v_object(vm, path, "publicKey", true, &pk, why, why_len)) != HM_OK ||
        (err = hm_v_only_keys(pk, "verificationMaterial.publicKey", pk_keys, 1, why, why_len)) !=
            HM_OK ||
        (err = hm_v_string(pk, "verificationMaterial.publicKey", "hint", true, HM_V_KEYID_MAX,
                           &hint, why, why_len)) != HM_OK) {
        return err;
    }
    if (!hm_v_printable(hint, strlen(hint))) {
        hm_v_why(why, why_len, "verificationMaterial.publicKey.hint: not printable ASCII");
        return HM_E_INVALID;
    }
    if ((b->hint = strdup(hint)) == NULL) {
        return HM_E_NOMEM;
    }
    /* protojson leaves out empty repeated fields, so an absent tlogEntries is []. */
    if ((err = hm_v_array(vm, path, "tlogEntries", false, &tlog, why, why_len)) != HM_OK ||
        (err = array_of_objects(tlog, "verificationMaterial.tlogEntries", &b->n_tlog_entries, why,
                                why_len)) != HM_OK ||
        (err = hm_v_tlog_entries_parse(tlog, &((struct bundle_priv *)b)->tlog)) != HM_OK ||
        (err = hm_v_object(vm, path, "timestampVerificationData", false, &tvd, why, why_len)) !=
            HM_OK) {
        return err;
    }
    return tvd == NULL ? HM_OK : parse_timestamps(tvd, why, why_len);
}

static hm_err
parse_media_type(const cJSON *root, struct hm_bundle *b, char *why, size_t why_len)
{
    const char *mt = NULL;
    char clean[80];
    hm_err err;

    if ((err = hm_v_string(root, "", "mediaType", true, 256, &mt, why, why_len)) != HM_OK) {
        return err;
    }
    if (strcmp(mt, HM_BUNDLE_MEDIA_TYPE) != 0 && strcmp(mt, MEDIA_TYPE_V03_OLD) != 0) {
        hm_v_clean(mt, clean, sizeof(clean));
        hm_v_why(why, why_len, "mediaType: \"%s\" is not a Sigstore bundle v0.3", clean);
        return HM_E_INVALID;
    }
    if ((b->media_type = strdup(mt)) == NULL) {
        return HM_E_NOMEM;
    }
    return HM_OK;
}

/* Sigstore's rules for DSSE in a bundle: one signature, and its keyid names the hint. */
static hm_err
check_envelope(const struct hm_bundle *b, char *why, size_t why_len)
{
    const char *kid = NULL;

    if (b->dsse->n_sigs != 1) {
        hm_v_why(why, why_len,
                 "dsseEnvelope.signatures: a bundle's envelope has exactly one signature, "
                 "this one has %zu",
                 b->dsse->n_sigs);
        return HM_E_INVALID;
    }
    kid = b->dsse->sigs[0].keyid;
    if (kid != NULL && strcmp(kid, b->hint) != 0) {
        hm_v_why(why, why_len,
                 "dsseEnvelope.signatures[0].keyid: does not equal "
                 "verificationMaterial.publicKey.hint");
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
parse_root(const cJSON *root, struct hm_bundle *b, char *why, size_t why_len)
{
    static const char *const keys[] = { "mediaType", "verificationMaterial", "dsseEnvelope",
                                        "messageSignature" };
    const cJSON *vm = NULL, *env = NULL;
    hm_err err;

    if ((err = hm_v_only_keys(root, "", keys, 4, why, why_len)) != HM_OK ||
        (err = parse_media_type(root, b, why, why_len)) != HM_OK ||
        (err = hm_v_object(root, "", "verificationMaterial", true, &vm, why, why_len)) != HM_OK ||
        (err = parse_material(vm, b, why, why_len)) != HM_OK) {
        return err;
    }
    if (hm_json_get(root, "messageSignature") != NULL) {
        hm_v_why(why, why_len, "%s",
                 hm_json_get(root, "dsseEnvelope") != NULL
                     ? "bundle: has both dsseEnvelope and messageSignature, the content is one "
                       "of them"
                     : "messageSignature: message signatures are not supported");
        return HM_E_INVALID;
    }
    if ((err = hm_v_object(root, "", "dsseEnvelope", true, &env, why, why_len)) != HM_OK ||
        (err = hm_v_dsse_from_json(env, "dsseEnvelope", &b->dsse, why, why_len)) != HM_OK) {
        return err;
    }
    return check_envelope(b, why, why_len);
}

hm_err
hm_bundle_parse(const uint8_t *json, size_t len, struct hm_bundle **out, char *why, size_t why_len)
{
    struct hm_bundle *b = NULL;
    cJSON *root = NULL;
    hm_err err;

    *out = NULL;
    hm_v_why_clear(why, why_len);
    if (json == NULL || len == 0) {
        hm_v_why(why, why_len, "bundle: empty");
        return HM_E_INVALID;
    }
    if ((err = hm_v_json_parse(json, len, &hm_v_bundle_limits, HM_V_BUNDLE_MAX_NODES, "bundle",
                               &root, why, why_len)) != HM_OK) {
        return err;
    }
    if ((b = calloc(1, sizeof(struct bundle_priv))) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    if ((err = parse_root(root, b, why, why_len)) != HM_OK) {
        goto out;
    }
    *out = b;
    b = NULL; /* the caller owns it now */
out:
    hm_bundle_free(b);
    cJSON_Delete(root);
    return err;
}

/*
 * keyattest_keys.c: a key's attestation from what a verifier has at hand: one
 * key-attestation bundle (`hallmark keys attest`), or hallmarkd's GET /v1/keys reply, which
 * carries one bundle per key (docs/key-attestation.md, "Served by hallmarkd").
 *
 * The reply is untrusted like everything else: parsed with limits, every entry walked
 * against an allow-list.  Only the entry whose keyid is the key's is looked at further; its
 * bundle is then checked exactly as a file would be (the DSSE signature covers the
 * statement's bytes inside the bundle, so taking the bundle out of the reply changes
 * nothing that is signed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

#define KEYS_MAX_ENTRIES 256u
#define KEYS_MAX_NODES   (KEYS_MAX_ENTRIES * 2048u)

static const char *const entry_keys[] = { "keyid",           "algorithm",    "keyDetails",
                                          "label",           "pem",          "backend",
                                          "attestationType", "selfAsserted", "attestation",
                                          "products" };

static void
missing(struct hm_keyatt_result *r, const char *what, const char *keyid)
{
    memset(r, 0, sizeof(*r));
    r->status = HM_KA_MISSING;
    (void)snprintf(r->detail, sizeof(r->detail), "%s %s", what, keyid);
}

/* The entry for keyid, checked against the allow-list; NULL with r set when absent. */
static hm_err
find_entry(const cJSON *root, const char *keyid, const cJSON **out, struct hm_keyatt_result *r)
{
    const cJSON *keys = NULL, *it = NULL;
    const char *id = NULL;
    char why[200] = "";
    size_t i = 0;
    static const char *const top[] = { "keys" };

    *out = NULL;
    if (hm_v_only_keys(root, "", top, 1, why, sizeof(why)) != HM_OK ||
        hm_v_array(root, "", "keys", true, &keys, why, sizeof(why)) != HM_OK ||
        cJSON_GetArraySize(keys) > (int)KEYS_MAX_ENTRIES) {
        r->status = HM_KA_MALFORMED;
        (void)snprintf(r->detail, sizeof(r->detail), "not a /v1/keys reply: %s",
                       why[0] != '\0' ? why : "too many keys");
        return HM_OK;
    }
    cJSON_ArrayForEach(it, keys) {
        char path[32];
        hm_v_index(path, sizeof(path), "keys", i++);
        if (hm_v_only_keys(it, path, entry_keys, sizeof(entry_keys) / sizeof(entry_keys[0]), why,
                           sizeof(why)) != HM_OK ||
            hm_v_string(it, path, "keyid", true, 64, &id, why, sizeof(why)) != HM_OK) {
            r->status = HM_KA_MALFORMED;
            (void)snprintf(r->detail, sizeof(r->detail), "not a /v1/keys reply: %s", why);
            return HM_OK;
        }
        if (strcmp(id, keyid) == 0) {
            *out = it;
            return HM_OK;
        }
    }
    missing(r, "the /v1/keys reply lists no key", keyid);
    return HM_OK;
}

static hm_err
from_keys_reply(const cJSON *root, const struct hm_keyatt_opts *o, const char *keyid,
                struct hm_keyatt_result *r)
{
    const cJSON *entry = NULL, *att = NULL;
    char *text = NULL;
    size_t len = 0;
    hm_err err;

    if ((err = find_entry(root, keyid, &entry, r)) != HM_OK || entry == NULL) {
        return err;
    }
    att = cJSON_GetObjectItemCaseSensitive(entry, "attestation");
    if (att == NULL || cJSON_IsNull(att)) {
        missing(r, "the server has no attestation for key", keyid);
        return HM_OK;
    }
    if (!cJSON_IsObject(att)) {
        r->status = HM_KA_MALFORMED;
        (void)snprintf(r->detail, sizeof(r->detail), "keys[].attestation is not an object");
        return HM_OK;
    }
    if ((err = hm_json_print(att, &text, &len)) != HM_OK) {
        return err;
    }
    err = hm_verify_keyatt_bundle((const uint8_t *)text, len, o, r);
    free(text);
    return err;
}

hm_err
hm_verify_keyatt_document(const uint8_t *doc, size_t len, const struct hm_keyatt_opts *o,
                          struct hm_keyatt_result *r)
{
    static const struct hm_json_limits lim = { .max_bytes = HM_BUNDLE_MAX_BYTES * 4,
                                               .max_depth = 16,
                                               .max_string = HM_BUNDLE_MAX_BYTES,
                                               .max_members = 4096 };
    struct hm_pubkey *pk = NULL;
    cJSON *root = NULL;
    char why[200] = "";
    hm_err err;

    if (r == NULL || o == NULL || doc == NULL) {
        return HM_E_INVALID;
    }
    memset(r, 0, sizeof(*r));
    r->status = HM_KA_MALFORMED;
    if ((err = hm_pubkey_from_spki(o->spki, o->spki_len, &pk)) != HM_OK) {
        (void)snprintf(r->detail, sizeof(r->detail), "the key to check is not a supported SPKI");
        return err == HM_E_NOMEM ? err : HM_E_INVALID;
    }
    if ((err = hm_v_json_parse(doc, len, &lim, KEYS_MAX_NODES, "key attestation", &root, why,
                               sizeof(why))) != HM_OK) {
        (void)snprintf(r->detail, sizeof(r->detail), "%s", why);
        err = err == HM_E_NOMEM ? err : HM_OK;
        goto out;
    }
    /* a bundle has mediaType; a /v1/keys reply has keys */
    if (cJSON_GetObjectItemCaseSensitive(root, "keys") != NULL) {
        err = from_keys_reply(root, o, hm_pubkey_keyid(pk), r);
    } else {
        err = hm_verify_keyatt_bundle(doc, len, o, r);
    }
out:
    cJSON_Delete(root);
    hm_pubkey_free(pk);
    return err;
}

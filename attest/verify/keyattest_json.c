/*
 * keyattest_json.c: the key-attestation statement (docs/key-attestation.md,
 * docs/schemas/key-attestation-v1.schema.json) into a struct hm_keyatt.
 *
 * The whole statement is ours, so it is read strictly: every object against an
 * allow-list, exact types, bounded lengths, one encoding per value (base64 with padding,
 * lowercase hex), and the subject must be the SHA-256 of the publicKey it carries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyattest_int.h"
#include "verify_int.h"

#define KA_B64_MAX(n)   ((((n) + 2u) / 3u) * 4u)
#define KA_STRING_MAX   KA_B64_MAX(HM_KEYATT_CERT_MAX)
#define KA_MAX_NODES    1024u
#define KA_VENDOR_PEM   (3u * HM_KEYATT_CERT_MAX)
#define KA_TEXT_VERSION 8u /* "255.255" */

static const struct hm_json_limits ka_limits = {
    .max_bytes = HM_KEYATT_MAX_BYTES,
    .max_depth = 8,
    .max_string = KA_VENDOR_PEM,
    .max_members = 32,
};

static void
free_bytes(struct hm_keyatt_bytes *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

void
hm_verify_keyatt_free(struct hm_keyatt *ka)
{
    if (ka == NULL) {
        return;
    }
    free_bytes(&ka->spki);
    free_bytes(&ka->tpm2.certify_info);
    free_bytes(&ka->tpm2.signature);
    free_bytes(&ka->tpm2.ak_public);
    free_bytes(&ka->tpm2.key_public);
    free_bytes(&ka->tpm2.ek_cert);
    for (size_t i = 0; i < HM_KEYATT_MAX_CHAIN; i++) {
        free_bytes(&ka->tpm2.chain[i]);
    }
    for (size_t v = 0; v < HM_KEYATT_MAX_VENDOR; v++) {
        free_bytes(&ka->vendor[v].certificate);
        for (size_t i = 0; i < HM_KEYATT_MAX_CHAIN; i++) {
            free_bytes(&ka->vendor[v].chain[i]);
        }
    }
    free(ka);
}

/* base64 (standard, padded) of 1..max bytes. */
static hm_err
b64_member(const cJSON *obj, const char *path, const char *key, bool required, size_t max,
           struct hm_keyatt_bytes *out, char *why, size_t why_len)
{
    const char *text = NULL;
    hm_err err;

    if ((err = hm_v_string(obj, path, key, required, KA_B64_MAX(max), &text, why, why_len)) !=
            HM_OK ||
        text == NULL) {
        return err;
    }
    if ((err = hm_v_b64_decode(text, strlen(text), HM_B64_STD, &out->data, &out->len)) != HM_OK ||
        out->len == 0 || out->len > max) {
        hm_v_why(why, why_len, "%s%s%s: not base64 of 1..%zu bytes", path, path[0] ? "." : "", key,
                 max);
        free_bytes(out);
        return err == HM_E_NOMEM ? err : HM_E_INVALID;
    }
    return HM_OK;
}

/* Printable ASCII of at most max bytes (empty allowed) copied into out[max + 1]. */
static hm_err
text_member(const cJSON *obj, const char *path, const char *key, size_t max, char *out, char *why,
            size_t why_len)
{
    const cJSON *item = hm_json_get(obj, key);
    size_t n;

    out[0] = '\0';
    if (item == NULL) {
        return HM_OK;
    }
    if (!cJSON_IsString(item) || (n = strlen(item->valuestring)) > max ||
        !hm_v_printable(item->valuestring, n)) {
        hm_v_why(why, why_len, "%s.%s: not printable ASCII of at most %zu bytes", path, key, max);
        return HM_E_INVALID;
    }
    memcpy(out, item->valuestring, n + 1);
    return HM_OK;
}

/* "M.m" with each part 0..255. */
static hm_err
version_member(const cJSON *obj, const char *path, const char *key, uint8_t *major, uint8_t *minor,
               char *why, size_t why_len)
{
    char text[KA_TEXT_VERSION + 1];
    unsigned a = 0, b = 0;
    int used = 0;

    *major = *minor = 0;
    if (text_member(obj, path, key, KA_TEXT_VERSION, text, why, why_len) != HM_OK) {
        return HM_E_INVALID;
    }
    if (text[0] == '\0') {
        return HM_OK;
    }
    if (sscanf(text, "%3u.%3u%n", &a, &b, &used) != 2 || (size_t)used != strlen(text) || a > 255 ||
        b > 255 || text[0] == '+' || text[0] == '-') {
        hm_v_why(why, why_len, "%s.%s: not a version M.m", path, key);
        return HM_E_INVALID;
    }
    *major = (uint8_t)a;
    *minor = (uint8_t)b;
    return HM_OK;
}

static hm_err
der_array(const cJSON *obj, const char *path, const char *key, struct hm_keyatt_bytes *out,
          size_t *n, char *why, size_t why_len)
{
    const cJSON *arr = NULL, *item = NULL;
    char where[96];
    hm_err err;

    *n = 0;
    if ((err = hm_v_array(obj, path, key, false, &arr, why, why_len)) != HM_OK || arr == NULL) {
        return err;
    }
    if ((size_t)cJSON_GetArraySize(arr) > HM_KEYATT_MAX_CHAIN) {
        hm_v_why(why, why_len, "%s.%s: more than %u certificates", path, key, HM_KEYATT_MAX_CHAIN);
        return HM_E_LIMIT;
    }
    cJSON_ArrayForEach(item, arr) {
        const char *text = cJSON_IsString(item) ? item->valuestring : NULL;
        hm_v_index(where, sizeof(where), key, *n);
        if (text == NULL || strlen(text) > KA_STRING_MAX ||
            hm_v_b64_decode(text, strlen(text), HM_B64_STD, &out[*n].data, &out[*n].len) != HM_OK ||
            out[*n].len == 0 || out[*n].len > HM_KEYATT_CERT_MAX) {
            hm_v_why(why, why_len, "%s.%s: not base64 of a certificate", path, where);
            return HM_E_INVALID;
        }
        (*n)++;
    }
    return HM_OK;
}

static hm_err
parse_tpm2(const cJSON *t, struct hm_keyatt_tpm2 *out, char *why, size_t why_len)
{
    static const char *const keys[] = { "certifyInfo",   "signature", "akPublic",    "keyPublic",
                                        "ekCertificate", "ekChain",   "manufacturer" };
    hm_err err;

    if ((err = hm_v_only_keys(t, "predicate.tpm2", keys, 7, why, why_len)) != HM_OK ||
        (err = b64_member(t, "predicate.tpm2", "certifyInfo", true, HM_KEYATT_TPM_MAX,
                          &out->certify_info, why, why_len)) != HM_OK ||
        (err = b64_member(t, "predicate.tpm2", "signature", true, HM_KEYATT_TPM_MAX,
                          &out->signature, why, why_len)) != HM_OK ||
        (err = b64_member(t, "predicate.tpm2", "akPublic", true, HM_KEYATT_TPM_MAX, &out->ak_public,
                          why, why_len)) != HM_OK ||
        (err = b64_member(t, "predicate.tpm2", "keyPublic", true, HM_KEYATT_TPM_MAX,
                          &out->key_public, why, why_len)) != HM_OK ||
        (err = b64_member(t, "predicate.tpm2", "ekCertificate", false, HM_KEYATT_CERT_MAX,
                          &out->ek_cert, why, why_len)) != HM_OK ||
        (err = der_array(t, "predicate.tpm2", "ekChain", out->chain, &out->n_chain, why,
                         why_len)) != HM_OK ||
        (err = text_member(t, "predicate.tpm2", "manufacturer", 4, out->manufacturer, why,
                           why_len)) != HM_OK) {
        return err;
    }
    return HM_OK;
}

static hm_err
bool_member(const cJSON *obj, const char *key, bool *out, char *why, size_t why_len)
{
    if (hm_json_get_bool(obj, key, true, out) != HM_OK) {
        hm_v_why(why, why_len, "predicate.pkcs11.attributes.%s: missing or not a boolean", key);
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
parse_p11_attrs(const cJSON *a, struct hm_keyatt_pkcs11 *out, char *why, size_t why_len)
{
    static const char *const keys[] = { "sensitive",        "alwaysSensitive", "extractable",
                                        "neverExtractable", "local",           "keyGenMechanism" };
    const char *where = "predicate.pkcs11.attributes", *mech = NULL;
    hm_err err;

    if ((err = hm_v_only_keys(a, where, keys, 6, why, why_len)) != HM_OK ||
        (err = bool_member(a, "sensitive", &out->sensitive, why, why_len)) != HM_OK ||
        (err = bool_member(a, "alwaysSensitive", &out->always_sensitive, why, why_len)) != HM_OK ||
        (err = bool_member(a, "extractable", &out->extractable, why, why_len)) != HM_OK ||
        (err = bool_member(a, "neverExtractable", &out->never_extractable, why, why_len)) !=
            HM_OK ||
        (err = bool_member(a, "local", &out->local, why, why_len)) != HM_OK ||
        (err = hm_v_string(a, where, "keyGenMechanism", false, 18, &mech, why, why_len)) != HM_OK) {
        return err;
    }
    if (mech != NULL) {
        uint8_t b[8];
        size_t n = strlen(mech) - 2;
        if (strncmp(mech, "0x", 2) != 0 || n == 0 || n % 2 != 0 || n > 16 ||
            !hm_is_lower_hex(mech + 2, n) || hm_hex_decode(mech + 2, n, b, n / 2) != HM_OK) {
            hm_v_why(why, why_len, "%s.keyGenMechanism: not 0x and lowercase hex", where);
            return HM_E_INVALID;
        }
        out->has_key_gen_mechanism = true;
        for (size_t i = 0; i < n / 2; i++) {
            out->key_gen_mechanism = (out->key_gen_mechanism << 8) | b[i];
        }
    }
    return HM_OK;
}

static hm_err
parse_pkcs11(const cJSON *p, struct hm_keyatt_pkcs11 *out, char *why, size_t why_len)
{
    static const char *const keys[] = { "assurance", "attributes", "token", "library" };
    static const char *const tkeys[] = { "label",  "manufacturer",    "model",
                                         "serial", "firmwareVersion", "hardwareVersion" };
    static const char *const lkeys[] = { "description", "manufacturer", "version",
                                         "cryptokiVersion" };
    const cJSON *a = NULL, *t = NULL, *l = NULL;
    const char *tp = "predicate.pkcs11.token", *lp = "predicate.pkcs11.library", *as = NULL;
    hm_err err;

    if ((err = hm_v_only_keys(p, "predicate.pkcs11", keys, 4, why, why_len)) != HM_OK ||
        (err = hm_v_string(p, "predicate.pkcs11", "assurance", true, 512, &as, why, why_len)) !=
            HM_OK ||
        (err = hm_v_object(p, "predicate.pkcs11", "attributes", true, &a, why, why_len)) != HM_OK ||
        (err = parse_p11_attrs(a, out, why, why_len)) != HM_OK ||
        (err = hm_v_object(p, "predicate.pkcs11", "token", true, &t, why, why_len)) != HM_OK ||
        (err = hm_v_only_keys(t, tp, tkeys, 6, why, why_len)) != HM_OK ||
        (err = text_member(t, tp, "label", 32, out->token_label, why, why_len)) != HM_OK ||
        (err = text_member(t, tp, "manufacturer", 32, out->manufacturer, why, why_len)) != HM_OK ||
        (err = text_member(t, tp, "model", 16, out->model, why, why_len)) != HM_OK ||
        (err = text_member(t, tp, "serial", 16, out->serial, why, why_len)) != HM_OK ||
        (err = version_member(t, tp, "firmwareVersion", &out->firmware_major, &out->firmware_minor,
                              why, why_len)) != HM_OK ||
        (err = version_member(t, tp, "hardwareVersion", &out->hardware_major, &out->hardware_minor,
                              why, why_len)) != HM_OK ||
        (err = hm_v_object(p, "predicate.pkcs11", "library", true, &l, why, why_len)) != HM_OK ||
        (err = hm_v_only_keys(l, lp, lkeys, 4, why, why_len)) != HM_OK ||
        (err = text_member(l, lp, "description", 32, out->library_description, why, why_len)) !=
            HM_OK ||
        (err = text_member(l, lp, "manufacturer", 32, out->library_manufacturer, why, why_len)) !=
            HM_OK ||
        (err = version_member(l, lp, "version", &out->library_major, &out->library_minor, why,
                              why_len)) != HM_OK ||
        (err = version_member(l, lp, "cryptokiVersion", &out->cryptoki_major, &out->cryptoki_minor,
                              why, why_len)) != HM_OK) {
        return err;
    }
    return HM_OK;
}

/* PEM text of one certificate into DER. */
static hm_err
pem_cert(const char *text, struct hm_keyatt_bytes *out)
{
    if (strncmp(text, "-----BEGIN CERTIFICATE-----", 27) != 0 ||
        hm_v_pem_der(text, strlen(text), &out->data, &out->len) != HM_OK || out->len == 0 ||
        out->len > HM_KEYATT_CERT_MAX) {
        free_bytes(out);
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
parse_vendor_one(const cJSON *v, const char *path, struct hm_keyatt_vendor *out, char *why,
                 size_t why_len)
{
    static const char *const keys[] = { "format", "certificate", "chain" };
    const cJSON *chain = NULL, *item = NULL;
    const char *format = NULL, *cert = NULL;
    hm_err err;

    if ((err = hm_v_only_keys(v, path, keys, 3, why, why_len)) != HM_OK ||
        (err = hm_v_string(v, path, "format", true, 64, &format, why, why_len)) != HM_OK ||
        (err = hm_v_string(v, path, "certificate", true, KA_VENDOR_PEM, &cert, why, why_len)) !=
            HM_OK ||
        (err = hm_v_array(v, path, "chain", false, &chain, why, why_len)) != HM_OK) {
        return err;
    }
    if (strspn(format, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(format) ||
        pem_cert(cert, &out->certificate) != HM_OK) {
        hm_v_why(why, why_len,
                 "%s: format is not [a-z0-9-]+ or certificate is not one PEM "
                 "certificate",
                 path);
        return HM_E_INVALID;
    }
    memcpy(out->format, format, strlen(format) + 1);
    if (chain != NULL && (size_t)cJSON_GetArraySize(chain) > HM_KEYATT_MAX_CHAIN) {
        hm_v_why(why, why_len, "%s.chain: more than %u certificates", path, HM_KEYATT_MAX_CHAIN);
        return HM_E_LIMIT;
    }
    cJSON_ArrayForEach(item, chain) {
        if (!cJSON_IsString(item) ||
            pem_cert(item->valuestring, &out->chain[out->n_chain]) != HM_OK) {
            hm_v_why(why, why_len, "%s.chain[%zu]: not one PEM certificate", path, out->n_chain);
            return HM_E_INVALID;
        }
        out->n_chain++;
    }
    return HM_OK;
}

static hm_err
parse_vendor(const cJSON *pred, struct hm_keyatt *ka, char *why, size_t why_len)
{
    const cJSON *arr = NULL, *item = NULL;
    char where[64];
    hm_err err;

    if ((err = hm_v_array(pred, "predicate", "vendorEvidence", false, &arr, why, why_len)) !=
            HM_OK ||
        arr == NULL) {
        return err;
    }
    if ((size_t)cJSON_GetArraySize(arr) > HM_KEYATT_MAX_VENDOR) {
        hm_v_why(why, why_len, "predicate.vendorEvidence: more than %u entries",
                 HM_KEYATT_MAX_VENDOR);
        return HM_E_LIMIT;
    }
    cJSON_ArrayForEach(item, arr) {
        hm_v_index(where, sizeof(where), "predicate.vendorEvidence", ka->n_vendor);
        if (!cJSON_IsObject(item)) {
            hm_v_why(why, why_len, "%s: not an object", where);
            return HM_E_INVALID;
        }
        if ((err = parse_vendor_one(item, where, &ka->vendor[ka->n_vendor], why, why_len)) !=
            HM_OK) {
            return err;
        }
        ka->n_vendor++;
    }
    return HM_OK;
}

static hm_err
parse_common(const cJSON *pred, struct hm_keyatt *ka, char *why, size_t why_len)
{
    const char *ev = NULL, *alg = NULL, *nonce = NULL, *created = NULL, *keyid = NULL;
    struct hm_keyatt_bytes *spki = &ka->spki;
    uint8_t dg[HM_SHA256_LEN];
    char *want = NULL;
    size_t n;
    hm_err err;

    if ((err = hm_v_string(pred, "predicate", "evidenceType", true, 32, &ev, why, why_len)) !=
            HM_OK ||
        (err = hm_v_string(pred, "predicate", "algorithm", true, 16, &alg, why, why_len)) !=
            HM_OK ||
        (err = b64_member(pred, "predicate", "publicKey", true, 1024, spki, why, why_len)) !=
            HM_OK ||
        (err = hm_v_string(pred, "predicate", "keyId", true, 64, &keyid, why, why_len)) != HM_OK ||
        (err = hm_v_string(pred, "predicate", "nonce", true, 2 * HM_KEYATT_NONCE_MAX, &nonce, why,
                           why_len)) != HM_OK ||
        (err = hm_v_string(pred, "predicate", "createdAt", true, 32, &created, why, why_len)) !=
            HM_OK) {
        return err;
    }
    ka->evidence = strcmp(ev, "tpm2-certify") == 0           ? HM_KEYATT_TPM2_CERTIFY
                   : strcmp(ev, "pkcs11-self-asserted") == 0 ? HM_KEYATT_PKCS11_SELF_ASSERTED
                                                             : 0;
    n = strlen(nonce);
    hm_sha256(spki->data, spki->len, dg);
    if (ka->evidence == 0 || hm_key_alg_parse(alg, &ka->alg) != HM_OK || n % 2 != 0 ||
        !hm_is_lower_hex(nonce, n) || hm_hex_decode(nonce, n, ka->nonce, n / 2) != HM_OK ||
        hm_time_parse_rfc3339(created, &ka->created_at) != HM_OK ||
        hm_b64_encode(dg, sizeof(dg), &want) != HM_OK || strcmp(want, keyid) != 0) {
        hm_v_why(why, why_len,
                 "predicate: evidenceType, algorithm, nonce (hex), createdAt "
                 "(RFC 3339) or keyId (base64 SHA-256 of publicKey) is wrong");
        free(want);
        return HM_E_INVALID;
    }
    free(want);
    ka->nonce_len = n / 2;
    return HM_OK;
}

static hm_err
parse_predicate(const cJSON *pred, struct hm_keyatt *ka, char *why, size_t why_len)
{
    static const char *const keys[] = { "evidenceType", "algorithm", "publicKey",
                                        "keyId",        "nonce",     "createdAt",
                                        "tpm2",         "pkcs11",    "vendorEvidence" };
    const cJSON *t = NULL, *p = NULL;
    hm_err err;

    if ((err = hm_v_only_keys(pred, "predicate", keys, 9, why, why_len)) != HM_OK ||
        (err = parse_common(pred, ka, why, why_len)) != HM_OK ||
        (err = hm_v_object(pred, "predicate", "tpm2", false, &t, why, why_len)) != HM_OK ||
        (err = hm_v_object(pred, "predicate", "pkcs11", false, &p, why, why_len)) != HM_OK) {
        return err;
    }
    /* exactly the evidence the type names: a verifier must not be shown two stories */
    if ((ka->evidence == HM_KEYATT_TPM2_CERTIFY) != (t != NULL) ||
        (ka->evidence == HM_KEYATT_PKCS11_SELF_ASSERTED) != (p != NULL)) {
        hm_v_why(why, why_len, "predicate: evidenceType does not match the evidence given");
        return HM_E_INVALID;
    }
    if ((t != NULL && (err = parse_tpm2(t, &ka->tpm2, why, why_len)) != HM_OK) ||
        (p != NULL && (err = parse_pkcs11(p, &ka->pkcs11, why, why_len)) != HM_OK)) {
        return err;
    }
    return parse_vendor(pred, ka, why, why_len);
}

static hm_err
parse_subject(const cJSON *root, const struct hm_keyatt *ka, char *why, size_t why_len)
{
    static const char *const skeys[] = { "name", "digest" };
    static const char *const dkeys[] = { "sha256" };
    const cJSON *arr = NULL, *sub, *dg = NULL;
    const char *name = NULL, *hex = NULL;
    uint8_t want[HM_SHA256_LEN], got[HM_SHA256_LEN];
    hm_err err;

    if ((err = hm_v_array(root, "", "subject", true, &arr, why, why_len)) != HM_OK) {
        return err;
    }
    sub = cJSON_GetArrayItem(arr, 0);
    if (cJSON_GetArraySize(arr) != 1 || !cJSON_IsObject(sub)) {
        hm_v_why(why, why_len, "subject: not exactly one object");
        return HM_E_INVALID;
    }
    if ((err = hm_v_only_keys(sub, "subject[0]", skeys, 2, why, why_len)) != HM_OK ||
        (err = hm_v_string(sub, "subject[0]", "name", true, 32, &name, why, why_len)) != HM_OK ||
        (err = hm_v_object(sub, "subject[0]", "digest", true, &dg, why, why_len)) != HM_OK ||
        (err = hm_v_only_keys(dg, "subject[0].digest", dkeys, 1, why, why_len)) != HM_OK ||
        (err = hm_v_string(dg, "subject[0].digest", "sha256", true, 64, &hex, why, why_len)) !=
            HM_OK) {
        return err;
    }
    hm_sha256(ka->spki.data, ka->spki.len, want);
    if (strcmp(name, HM_KEYATT_SUBJECT) != 0 || strlen(hex) != 64 || !hm_is_lower_hex(hex, 64) ||
        hm_hex_decode(hex, 64, got, sizeof(got)) != HM_OK || !hm_ct_equal(want, got, 32)) {
        hm_v_why(why, why_len,
                 "subject[0]: not {\"name\":\"%s\"} with the SHA-256 of "
                 "predicate.publicKey",
                 HM_KEYATT_SUBJECT);
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
parse_root(const cJSON *root, struct hm_keyatt *ka, char *why, size_t why_len)
{
    static const char *const keys[] = { "_type", "subject", "predicateType", "predicate" };
    const char *type = NULL, *ptype = NULL;
    const cJSON *pred = NULL;
    hm_err err;

    if (!cJSON_IsObject(root)) {
        hm_v_why(why, why_len, "statement: not an object");
        return HM_E_INVALID;
    }
    if ((err = hm_v_only_keys(root, "", keys, 4, why, why_len)) != HM_OK ||
        (err = hm_v_string(root, "", "_type", true, 64, &type, why, why_len)) != HM_OK ||
        (err = hm_v_string(root, "", "predicateType", true, 128, &ptype, why, why_len)) != HM_OK ||
        (err = hm_v_object(root, "", "predicate", true, &pred, why, why_len)) != HM_OK) {
        return err;
    }
    if (strcmp(type, HM_STATEMENT_TYPE_V1) != 0 || strcmp(ptype, HM_PREDICATE_KEY) != 0) {
        hm_v_why(why, why_len, "statement: _type or predicateType is not a key attestation v1");
        return HM_E_INVALID;
    }
    if ((err = parse_predicate(pred, ka, why, why_len)) != HM_OK) {
        return err;
    }
    return parse_subject(root, ka, why, why_len);
}

hm_err
ka_statement_parse(const uint8_t *buf, size_t len, struct hm_keyatt **out, char *why,
                   size_t why_len)
{
    struct hm_keyatt *ka = NULL;
    cJSON *root = NULL;
    hm_err err;

    *out = NULL;
    if (buf == NULL || len == 0) {
        hm_v_why(why, why_len, "statement: empty");
        return HM_E_INVALID;
    }
    if ((err = hm_v_json_parse(buf, len, &ka_limits, KA_MAX_NODES, "statement", &root, why,
                               why_len)) != HM_OK) {
        return err;
    }
    if ((ka = calloc(1, sizeof(*ka))) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    if ((err = parse_root(root, ka, why, why_len)) != HM_OK) {
        goto out;
    }
    *out = ka;
    ka = NULL; /* the caller owns it now */
out:
    hm_verify_keyatt_free(ka);
    cJSON_Delete(root);
    return err;
}

hm_err
hm_verify_keyatt_parse(const uint8_t *stmt, size_t len, struct hm_keyatt **out, char *why,
                       size_t why_len)
{
    if (why != NULL && why_len > 0) {
        why[0] = '\0';
    }
    return ka_statement_parse(stmt, len, out, why, why_len);
}

/*
 * trustroot_parse.c: the trust-root document (docs/trust-root.md,
 * docs/schemas/trust-root-v1.schema.json) into struct hm_trustroot.  No signature is
 * checked here (trustroot.c does that); every object is walked once against an allow-list,
 * every key is parsed and its id recomputed, and every count is bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

#define PEM_MAX  (16u << 10)
#define VKEY_MAX 1024u
#define TIME_MAX 64u

/* id-Ed25519 SubjectPublicKeyInfo: 12 fixed bytes, then the 32-byte key (RFC 8410). */
static const uint8_t ED25519_SPKI_PREFIX[] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                               0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };

static hm_err
parse_time(const cJSON *obj, const char *path, const char *key, bool required, int64_t *out,
           bool *present, char *why, size_t why_len)
{
    const char *text = NULL;
    char where[160];
    hm_err err;

    *present = false;
    if ((err = hm_v_string(obj, path, key, required, TIME_MAX, &text, why, why_len)) != HM_OK ||
        text == NULL) {
        return err;
    }
    if (hm_time_parse_rfc3339(text, out) != HM_OK) {
        hm_v_path(where, sizeof(where), path, key);
        hm_v_why(why, why_len, "%s: not an RFC 3339 time", where);
        return HM_E_INVALID;
    }
    *present = true;
    return HM_OK;
}

/* A bounded array: *n is its length, checked against lo..hi (HM_E_LIMIT above hi). */
static hm_err
bounded_array(const cJSON *obj, const char *key, bool required, size_t lo, size_t hi,
              const cJSON **arr, size_t *n, char *why, size_t why_len)
{
    hm_err err;
    int len;

    *n = 0;
    if ((err = hm_v_array(obj, "", key, required, arr, why, why_len)) != HM_OK || *arr == NULL) {
        return err;
    }
    len = cJSON_GetArraySize(*arr);
    if (len < 0 || (size_t)len > hi) {
        hm_v_why(why, why_len, "%s: %d entries, more than %zu", key, len, hi);
        return HM_E_LIMIT;
    }
    if ((size_t)len < lo) {
        hm_v_why(why, why_len, "%s: needs at least %zu %s", key, lo, lo == 1 ? "entry" : "entries");
        return HM_E_INVALID;
    }
    *n = (size_t)len;
    return HM_OK;
}

/* keyid + pem: the PEM parsed, its id recomputed and compared (the id names the key). */
static hm_err
parse_keyid_pem(const cJSON *item, const char *path, char *keyid_out, struct hm_pubkey **pk,
                char *why, size_t why_len)
{
    const char *keyid = NULL, *pem = NULL;
    hm_err err;

    if ((err = hm_v_string(item, path, "keyid", true, 64, &keyid, why, why_len)) != HM_OK ||
        (err = hm_v_string(item, path, "pem", true, PEM_MAX, &pem, why, why_len)) != HM_OK) {
        return err;
    }
    if ((err = hm_pubkey_from_pem(pem, strlen(pem), pk)) != HM_OK) {
        hm_v_why(why, why_len, "%s.pem: not a supported public key (%s)", path, hm_strerror(err));
        return err == HM_E_NOMEM ? err : HM_E_INVALID;
    }
    if (strcmp(keyid, hm_pubkey_keyid(*pk)) != 0) {
        hm_v_why(why, why_len, "%s.keyid: is not base64(SHA-256(SPKI)) of its pem, %s", path,
                 hm_pubkey_keyid(*pk));
        return HM_E_INVALID;
    }
    (void)snprintf(keyid_out, 48, "%s", keyid);
    return HM_OK;
}

static hm_err
parse_products(const cJSON *item, const char *path, struct hm_v_tr_key *k, char *why,
               size_t why_len)
{
    const cJSON *arr = NULL, *p = NULL;
    char where[96];
    int n;
    hm_err err;

    hm_v_path(where, sizeof(where), path, "products");
    if ((err = hm_v_array(item, path, "products", true, &arr, why, why_len)) != HM_OK) {
        return err;
    }
    if ((n = cJSON_GetArraySize(arr)) < 1 || n > HM_TRUSTROOT_MAX_PRODUCTS) {
        hm_v_why(why, why_len, "%s: 1..%d products", where, HM_TRUSTROOT_MAX_PRODUCTS);
        return n < 1 ? HM_E_INVALID : HM_E_LIMIT;
    }
    if ((k->products = calloc((size_t)n, sizeof(*k->products))) == NULL) {
        return HM_E_NOMEM;
    }
    cJSON_ArrayForEach(p, arr) {
        if (!cJSON_IsString(p) || p->valuestring == NULL || !hm_v_is_name(p->valuestring)) {
            hm_v_why(why, why_len, "%s[%zu]: not a product name [a-z0-9][a-z0-9._-]{0,63}", where,
                     k->n_products);
            return HM_E_INVALID;
        }
        for (size_t j = 0; j < k->n_products; j++) {
            if (strcmp(k->products[j], p->valuestring) == 0) {
                hm_v_why(why, why_len, "%s[%zu]: listed twice", where, k->n_products);
                return HM_E_INVALID;
            }
        }
        if ((k->products[k->n_products] = strdup(p->valuestring)) == NULL) {
            return HM_E_NOMEM;
        }
        k->n_products++;
    }
    return HM_OK;
}

static hm_err
parse_key(const cJSON *item, const char *path, struct hm_v_tr_key *k, char *why, size_t why_len)
{
    static const char *const keys[] = {
        "keyid", "algorithm", "pem", "validFrom", "validUntil", "products", "requireAttestation"
    };
    const char *alg = NULL;
    enum hm_key_alg parsed;
    bool has_from = false, has_until = false;
    hm_err err;

    k->valid_from = INT64_MIN;
    k->valid_until = INT64_MAX;
    if ((err = hm_v_only_keys(item, path, keys, 7, why, why_len)) != HM_OK ||
        (err = parse_keyid_pem(item, path, k->keyid, &k->pk, why, why_len)) != HM_OK ||
        (err = hm_v_string(item, path, "algorithm", true, 16, &alg, why, why_len)) != HM_OK) {
        return err;
    }
    if (hm_key_alg_parse(alg, &parsed) != HM_OK || parsed != hm_pubkey_alg(k->pk)) {
        hm_v_why(why, why_len, "%s.algorithm: the pem holds an %s key", path,
                 hm_key_alg_name(hm_pubkey_alg(k->pk)));
        return HM_E_INVALID;
    }
    if ((err = parse_time(item, path, "validFrom", false, &k->valid_from, &has_from, why,
                          why_len)) != HM_OK ||
        (err = parse_time(item, path, "validUntil", false, &k->valid_until, &has_until, why,
                          why_len)) != HM_OK ||
        (err = parse_products(item, path, k, why, why_len)) != HM_OK) {
        return err;
    }
    if (has_from && has_until && k->valid_until <= k->valid_from) {
        hm_v_why(why, why_len, "%s: validUntil is not after validFrom", path);
        return HM_E_INVALID;
    }
    if (hm_json_get(item, "requireAttestation") != NULL &&
        hm_json_get_bool(item, "requireAttestation", false, &k->require_attestation) != HM_OK) {
        hm_v_why(why, why_len, "%s.requireAttestation: not a boolean", path);
        return HM_E_INVALID;
    }
    return HM_OK;
}

/* SHA-256(origin "\n" 0x01 pk32) for Ed25519 (the C2SP key hash, of which the note key id
 * is the first 4 bytes); SHA-256(SPKI DER) for ECDSA (Rekor's log id). */
static void
log_id_of(enum hm_key_alg alg, const char *origin, const uint8_t *key, size_t key_len,
          uint8_t out[HM_SHA256_LEN])
{
    uint8_t buf[HM_TRUSTROOT_MAX_ORIGIN + 2 + 32];
    size_t n = strlen(origin);

    if (alg == HM_KEY_EC_P256) {
        hm_sha256(key, key_len, out);
        return;
    }
    memcpy(buf, origin, n);
    buf[n] = '\n';
    buf[n + 1] = HM_TLOG_SIG_ED25519;
    memcpy(buf + n + 2, key, 32);
    hm_sha256(buf, n + 2 + 32, out);
}

/* The log's key from a PEM: raw 32 bytes for Ed25519, the SPKI for P-256. */
static hm_err
log_key_from_pem(const char *pem, enum hm_key_alg alg, uint8_t **key, size_t *key_len)
{
    struct hm_pubkey *pk = NULL;
    const uint8_t *der = NULL;
    size_t der_len = 0;
    hm_err err;

    if ((err = hm_pubkey_from_pem(pem, strlen(pem), &pk)) != HM_OK) {
        return err == HM_E_NOMEM ? err : HM_E_INVALID;
    }
    hm_pubkey_spki(pk, &der, &der_len);
    err = HM_E_INVALID;
    if (hm_pubkey_alg(pk) == alg && alg == HM_KEY_ED25519 && der_len == 44 &&
        memcmp(der, ED25519_SPKI_PREFIX, sizeof(ED25519_SPKI_PREFIX)) == 0) {
        der += sizeof(ED25519_SPKI_PREFIX);
        der_len = 32;
        err = HM_OK;
    } else if (hm_pubkey_alg(pk) == alg && alg == HM_KEY_EC_P256) {
        err = HM_OK;
    }
    if (err == HM_OK && (*key = malloc(der_len)) == NULL) {
        err = HM_E_NOMEM;
    }
    if (err == HM_OK) {
        memcpy(*key, der, der_len);
        *key_len = der_len;
    }
    hm_pubkey_free(pk);
    return err;
}

/* The key bytes of a vkey "<name>+<hex id>+<base64(type || key)>", after its type byte. */
static hm_err
log_key_from_vkey(const char *vkey, const char *origin, enum hm_key_alg alg,
                  struct hm_tlog_verifier **v, uint8_t **key, size_t *key_len)
{
    enum hm_tlog_sigtype want = alg == HM_KEY_ED25519 ? HM_TLOG_SIG_ED25519 : HM_TLOG_SIG_ECDSA;
    const char *b64 = NULL;
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    hm_err err;

    if ((err = hm_tlog_verifier_parse(vkey, strlen(vkey), v)) != HM_OK) {
        return err == HM_E_NOMEM ? err : HM_E_INVALID;
    }
    /* "<name>+<8 hex>+<base64>": the name has no '+', the base64 may (parse checked it). */
    if (strcmp(hm_tlog_verifier_name(*v), origin) != 0 || hm_tlog_verifier_type(*v) != want ||
        (b64 = strchr(vkey, '+')) == NULL || strlen(b64) < 10) {
        return HM_E_INVALID;
    }
    b64 += 10;
    if ((err = hm_v_b64_decode(b64, strlen(b64), HM_B64_STD, &raw, &raw_len)) != HM_OK) {
        return err == HM_E_NOMEM ? err : HM_E_INVALID;
    }
    if (raw_len < 2 || (*key = malloc(raw_len - 1)) == NULL) {
        free(raw);
        return raw_len < 2 ? HM_E_INVALID : HM_E_NOMEM;
    }
    memcpy(*key, raw + 1, raw_len - 1);
    *key_len = raw_len - 1;
    free(raw);
    return HM_OK;
}

static hm_err
log_key(const cJSON *item, const char *path, struct hm_v_tr_log *l, uint8_t **key, size_t *key_len,
        char *why, size_t why_len)
{
    const char *pem = NULL, *vkey = NULL;
    hm_err err;

    if ((err = hm_v_string(item, path, "pem", false, PEM_MAX, &pem, why, why_len)) != HM_OK ||
        (err = hm_v_string(item, path, "vkey", false, VKEY_MAX, &vkey, why, why_len)) != HM_OK) {
        return err;
    }
    if ((pem == NULL) == (vkey == NULL)) {
        hm_v_why(why, why_len, "%s: needs exactly one of pem and vkey", path);
        return HM_E_INVALID;
    }
    err = pem != NULL ? log_key_from_pem(pem, l->alg, key, key_len)
                      : log_key_from_vkey(vkey, l->origin, l->alg, &l->v, key, key_len);
    if (err == HM_E_INVALID) {
        hm_v_why(why, why_len, "%s.%s: not an %s key%s", path, pem != NULL ? "pem" : "vkey",
                 hm_key_alg_name(l->alg), vkey != NULL ? " named by the origin" : "");
    }
    if (err == HM_OK && l->v == NULL) {
        err =
            hm_tlog_verifier_new(l->alg == HM_KEY_ED25519 ? HM_TLOG_SIG_ED25519 : HM_TLOG_SIG_ECDSA,
                                 l->origin, *key, *key_len, &l->v);
    }
    return err;
}

static hm_err
parse_log(const cJSON *item, const char *path, struct hm_v_tr_log *l, char *why, size_t why_len)
{
    static const char *const keys[] = { "origin", "logId", "algorithm", "pem", "vkey" };
    const char *origin = NULL, *alg = NULL;
    uint8_t want[HM_SHA256_LEN], given[HM_SHA256_LEN];
    uint8_t *key = NULL;
    size_t key_len = 0;
    hm_err err;

    if ((err = hm_v_only_keys(item, path, keys, 5, why, why_len)) != HM_OK ||
        (err = hm_v_string(item, path, "origin", true, HM_TRUSTROOT_MAX_ORIGIN, &origin, why,
                           why_len)) != HM_OK ||
        (err = hm_v_string(item, path, "algorithm", true, 16, &alg, why, why_len)) != HM_OK ||
        (err = hm_v_b64_fixed(item, path, "logId", given, sizeof(given), why, why_len)) != HM_OK) {
        return err;
    }
    if (!hm_tlog_name_valid(origin, strlen(origin))) {
        hm_v_why(why, why_len, "%s.origin: not a note key name (no spaces, no '+')", path);
        return HM_E_INVALID;
    }
    if (hm_key_alg_parse(alg, &l->alg) != HM_OK ||
        (l->alg != HM_KEY_ED25519 && l->alg != HM_KEY_EC_P256)) {
        hm_v_why(why, why_len, "%s.algorithm: a log key is ed25519 or ec-p256", path);
        return HM_E_INVALID;
    }
    if ((l->origin = strdup(origin)) == NULL) {
        return HM_E_NOMEM;
    }
    if ((err = log_key(item, path, l, &key, &key_len, why, why_len)) != HM_OK) {
        free(key);
        return err;
    }
    log_id_of(l->alg, l->origin, key, key_len, want);
    free(key);
    if (!hm_ct_equal(want, given, sizeof(want))) {
        hm_v_why(why, why_len, "%s.logId: is not the id of this key and origin", path);
        return HM_E_INVALID;
    }
    memcpy(l->log_id, want, sizeof(want));
    return HM_OK;
}

static hm_err
parse_witness(const cJSON *item, const char *path, struct hm_v_tr_witness *w, char *why,
              size_t why_len)
{
    static const char *const keys[] = { "name", "vkey" };
    const char *name = NULL, *vkey = NULL;
    hm_err err;

    if ((err = hm_v_only_keys(item, path, keys, 2, why, why_len)) != HM_OK ||
        (err = hm_v_string(item, path, "name", true, HM_TRUSTROOT_MAX_ORIGIN, &name, why,
                           why_len)) != HM_OK ||
        (err = hm_v_string(item, path, "vkey", true, VKEY_MAX, &vkey, why, why_len)) != HM_OK) {
        return err;
    }
    if ((err = hm_tlog_verifier_parse(vkey, strlen(vkey), &w->v)) != HM_OK) {
        hm_v_why(why, why_len, "%s.vkey: not a verifier key", path);
        return err == HM_E_NOMEM ? err : HM_E_INVALID;
    }
    if (hm_tlog_verifier_type(w->v) != HM_TLOG_SIG_COSIG_ED25519 ||
        strcmp(hm_tlog_verifier_name(w->v), name) != 0) {
        hm_v_why(why, why_len, "%s.vkey: not a tlog-cosignature/v1 Ed25519 key of that name", path);
        return HM_E_INVALID;
    }
    return (w->name = strdup(name)) == NULL ? HM_E_NOMEM : HM_OK;
}

static hm_err
parse_root_key(const cJSON *item, const char *path, struct hm_v_tr_rootkey *k, char *why,
               size_t why_len)
{
    static const char *const keys[] = { "keyid", "pem" };
    hm_err err;

    if ((err = hm_v_only_keys(item, path, keys, 2, why, why_len)) != HM_OK) {
        return err;
    }
    return parse_keyid_pem(item, path, k->keyid, &k->pk, why, why_len);
}

/* Each list: allocated at its checked length, then every element read in turn. */
typedef hm_err (*item_fn)(const cJSON *item, const char *path, void *elem, char *why,
                          size_t why_len);

static hm_err
key_fn(const cJSON *item, const char *path, void *elem, char *why, size_t why_len)
{
    return parse_key(item, path, elem, why, why_len);
}

static hm_err
log_fn(const cJSON *item, const char *path, void *elem, char *why, size_t why_len)
{
    return parse_log(item, path, elem, why, why_len);
}

static hm_err
witness_fn(const cJSON *item, const char *path, void *elem, char *why, size_t why_len)
{
    return parse_witness(item, path, elem, why, why_len);
}

static hm_err
root_key_fn(const cJSON *item, const char *path, void *elem, char *why, size_t why_len)
{
    return parse_root_key(item, path, elem, why, why_len);
}

static hm_err
parse_list(const cJSON *root, const char *key, bool required, size_t lo, size_t hi, size_t size,
           item_fn fn, void **out, size_t *count, char *why, size_t why_len)
{
    const cJSON *arr = NULL, *item = NULL;
    uint8_t *elems = NULL;
    char where[64];
    size_t n = 0;
    hm_err err;

    *count = 0;
    if ((err = bounded_array(root, key, required, lo, hi, &arr, &n, why, why_len)) != HM_OK ||
        n == 0) {
        return err;
    }
    if ((elems = calloc(n, size)) == NULL) {
        return HM_E_NOMEM;
    }
    *out = elems; /* owned by the root from here: hm_trustroot_free frees a half-read list */
    cJSON_ArrayForEach(item, arr) {
        hm_v_index(where, sizeof(where), key, *count);
        (*count)++;
        if ((err = fn(item, where, elems + (*count - 1) * size, why, why_len)) != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

/* Every key, log, witness and root key once: a duplicate would count twice in a threshold
 * or make a lookup ambiguous. */
static hm_err
check_unique(const struct hm_trustroot *tr, char *why, size_t why_len)
{
    for (size_t i = 0; i < tr->n_keys; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(tr->keys[i].keyid, tr->keys[j].keyid) == 0) {
                hm_v_why(why, why_len, "keys[%zu]: the same key as keys[%zu]", i, j);
                return HM_E_INVALID;
            }
        }
    }
    for (size_t i = 0; i < tr->n_logs; i++) {
        for (size_t j = 0; j < i; j++) {
            if (memcmp(tr->logs[i].log_id, tr->logs[j].log_id, HM_SHA256_LEN) == 0) {
                hm_v_why(why, why_len, "logs[%zu]: the same log as logs[%zu]", i, j);
                return HM_E_INVALID;
            }
        }
    }
    for (size_t i = 0; i < tr->n_witnesses; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(tr->witnesses[i].name, tr->witnesses[j].name) == 0) {
                hm_v_why(why, why_len, "witnesses[%zu]: the same name as witnesses[%zu]", i, j);
                return HM_E_INVALID;
            }
        }
    }
    for (size_t i = 0; i < tr->n_root_keys; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(tr->root_keys[i].keyid, tr->root_keys[j].keyid) == 0) {
                hm_v_why(why, why_len, "rootKeys[%zu]: the same key as rootKeys[%zu]", i, j);
                return HM_E_INVALID;
            }
        }
    }
    return HM_OK;
}

/* A threshold: an integer 1..n (or 0..n for witnesses, where absent means 0). */
static hm_err
parse_threshold(const cJSON *root, const char *key, bool required, size_t lo, size_t n, size_t *out,
                char *why, size_t why_len)
{
    uint64_t v = 0;

    if (hm_json_get(root, key) == NULL && !required) {
        *out = 0;
        return HM_OK;
    }
    if (hm_json_get_u64(root, key, true, 1024, &v) != HM_OK || v < lo || v > n) {
        hm_v_why(why, why_len, "%s: not an integer in %zu..%zu", key, lo, n);
        return HM_E_INVALID;
    }
    *out = (size_t)v;
    return HM_OK;
}

static hm_err
parse_header(const cJSON *root, struct hm_trustroot *tr, char *why, size_t why_len)
{
    static const char *const keys[] = { "mediaType",    "version",   "expires",          "keys",
                                        "logs",         "witnesses", "witnessThreshold", "rootKeys",
                                        "rootThreshold" };
    const char *mt = NULL;
    bool present = false;
    hm_err err;

    if ((err = hm_v_only_keys(root, "", keys, sizeof(keys) / sizeof(keys[0]), why, why_len)) !=
            HM_OK ||
        (err = hm_v_string(root, "", "mediaType", true, 128, &mt, why, why_len)) != HM_OK) {
        return err;
    }
    if (strcmp(mt, HM_TRUSTROOT_MEDIA_TYPE) != 0) {
        hm_v_why(why, why_len, "mediaType: not %s", HM_TRUSTROOT_MEDIA_TYPE);
        return HM_E_INVALID;
    }
    if (hm_json_get_u64(root, "version", true, (uint64_t)1 << 53, &tr->version) != HM_OK ||
        tr->version == 0) {
        hm_v_why(why, why_len, "version: not an integer in 1..2^53");
        return HM_E_INVALID;
    }
    return parse_time(root, "", "expires", true, &tr->expires, &present, why, why_len);
}

/* The four lists; each pointer is stored before the error is looked at, so that
 * hm_trustroot_free frees a half-read list. */
static hm_err
parse_lists(const cJSON *root, struct hm_trustroot *tr, char *why, size_t why_len)
{
    void *p = NULL;
    hm_err err;

    err = parse_list(root, "keys", true, 1, HM_TRUSTROOT_MAX_KEYS, sizeof(*tr->keys), key_fn, &p,
                     &tr->n_keys, why, why_len);
    tr->keys = p;
    if (err != HM_OK) {
        return err;
    }
    p = NULL;
    err = parse_list(root, "logs", false, 0, HM_TRUSTROOT_MAX_LOGS, sizeof(*tr->logs), log_fn, &p,
                     &tr->n_logs, why, why_len);
    tr->logs = p;
    if (err != HM_OK) {
        return err;
    }
    p = NULL;
    err = parse_list(root, "witnesses", false, 0, HM_TRUSTROOT_MAX_WITNESSES,
                     sizeof(*tr->witnesses), witness_fn, &p, &tr->n_witnesses, why, why_len);
    tr->witnesses = p;
    if (err != HM_OK) {
        return err;
    }
    p = NULL;
    err = parse_list(root, "rootKeys", true, 1, HM_TRUSTROOT_MAX_ROOT_KEYS, sizeof(*tr->root_keys),
                     root_key_fn, &p, &tr->n_root_keys, why, why_len);
    tr->root_keys = p;
    return err;
}

static hm_err
parse_doc(const cJSON *root, struct hm_trustroot *tr, char *why, size_t why_len)
{
    hm_err err;

    if ((err = parse_header(root, tr, why, why_len)) != HM_OK ||
        (err = parse_lists(root, tr, why, why_len)) != HM_OK ||
        (err = check_unique(tr, why, why_len)) != HM_OK ||
        (err = parse_threshold(root, "witnessThreshold", false, 0, tr->n_witnesses,
                               &tr->witness_threshold, why, why_len)) != HM_OK ||
        (err = parse_threshold(root, "rootThreshold", true, 1, tr->n_root_keys, &tr->root_threshold,
                               why, why_len)) != HM_OK) {
        return err;
    }
    if (tr->witness_threshold > 0 && tr->n_logs == 0) {
        hm_v_why(why, why_len,
                 "witnessThreshold: witnesses cosign checkpoints, but no log is "
                 "listed");
        return HM_E_INVALID;
    }
    return HM_OK;
}

hm_err
hm_v_trustroot_from_json(const uint8_t *doc, size_t len, struct hm_trustroot **out, char *why,
                         size_t why_len)
{
    struct hm_trustroot *tr = NULL;
    cJSON *root = NULL;
    hm_err err;

    *out = NULL;
    if (doc == NULL || len == 0) {
        hm_v_why(why, why_len, "trust root: empty");
        return HM_E_INVALID;
    }
    if ((err = hm_v_json_parse(doc, len, &hm_v_trustroot_limits, HM_V_TRUSTROOT_MAX_NODES,
                               "trust root", &root, why, why_len)) != HM_OK) {
        return err;
    }
    if ((tr = calloc(1, sizeof(*tr))) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    if ((err = parse_doc(root, tr, why, why_len)) != HM_OK) {
        goto out;
    }
    *out = tr;
    tr = NULL; /* the caller owns it now */
out:
    hm_trustroot_free(tr);
    cJSON_Delete(root);
    return err;
}

/*
 * cli_trustroot_doc.c: the pieces of a trust-root document (docs/trust-root.md) and its
 * DSSE envelope, for `hallmark trust-root`.  Key ids are recomputed from the keys and every
 * log id from the log key and origin, exactly as libhallmark-verify checks them.
 */
#include <hm/hsm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "cli_trustroot.h"

#define PEM_MAX     (16u << 10)
#define MAX_SIGNERS 16

struct tr_signer {
    char keyid[64];
    enum hm_key_alg alg;
    EVP_PKEY *pkey;     /* a PEM private key, or */
    struct hm_key *key; /* a key in the token */
};

struct tr_signers {
    struct hm_hsm *hsm;
    struct tr_signer s[MAX_SIGNERS];
    size_t n;
};

int
tr_parse_when(const char *s, int64_t *out)
{
    int64_t days = 0;

    if (hm_time_parse_rfc3339(s, out) == HM_OK) {
        return CLI_OK;
    }
    if (strlen(s) == 10 && hm_date_parse(s, &days) == HM_OK) {
        *out = days * 86400;
        return CLI_OK;
    }
    fprintf(stderr, "hallmark trust-root: '%s' is not an RFC 3339 time or a date\n", s);
    return CLI_USAGE;
}

static char *
read_text(const char *path)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    hm_err err = hm_read_file(path, PEM_MAX, &buf, &len);

    if (err != HM_OK) {
        fprintf(stderr, "hallmark trust-root: cannot read %s: %s\n", path, hm_strerror(err));
        return NULL;
    }
    return (char *)buf;
}

/* A public key file, and its PEM in the one form hm_pubkey_to_pem writes. */
static struct hm_pubkey *
read_pubkey(const char *path, char **pem)
{
    struct hm_pubkey *pk = NULL;
    char *text = read_text(path);

    if (text == NULL) {
        return NULL;
    }
    if (hm_pubkey_from_pem(text, strlen(text), &pk) != HM_OK ||
        hm_pubkey_to_pem(pk, pem) != HM_OK) {
        fprintf(stderr, "hallmark trust-root: %s holds no supported public key\n", path);
        hm_pubkey_free(pk);
        pk = NULL;
    }
    free(text);
    return pk;
}

/* ---- signers ---- */

static int
signer_from_pem(const char *path, struct tr_signer *s)
{
    struct hm_pubkey *pk = NULL;
    unsigned char *der = NULL;
    BIO *bio = BIO_new_file(path, "r");
    int len;

    if (bio == NULL || (s->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
        BIO_free(bio);
        fprintf(stderr, "hallmark trust-root: %s is not a PEM private key\n", path);
        return CLI_USAGE;
    }
    BIO_free(bio);
    if ((len = i2d_PUBKEY(s->pkey, &der)) <= 0 ||
        hm_pubkey_from_spki(der, (size_t)len, &pk) != HM_OK) {
        OPENSSL_free(der);
        fprintf(stderr, "hallmark trust-root: %s: not a supported key type\n", path);
        return CLI_USAGE;
    }
    OPENSSL_free(der);
    s->alg = hm_pubkey_alg(pk);
    (void)snprintf(s->keyid, sizeof(s->keyid), "%s", hm_pubkey_keyid(pk));
    hm_pubkey_free(pk);
    return CLI_OK;
}

int
tr_signers_open(const char *const *names, size_t n, const struct cli_token_opts *tok,
                struct tr_signers **out)
{
    struct tr_signers *s = calloc(1, sizeof(*s));
    int rc = CLI_OK;

    *out = NULL;
    if (s == NULL || n > MAX_SIGNERS) {
        free(s);
        return CLI_USAGE;
    }
    for (size_t i = 0; i < n && rc == CLI_OK; i++) {
        struct tr_signer *sg = &s->s[s->n++];
        FILE *f = fopen(names[i], "r");

        if (f != NULL) { /* a file: a PEM private key (tests, offline ceremonies) */
            fclose(f);
            rc = signer_from_pem(names[i], sg);
            continue;
        }
        if (s->hsm == NULL && (s->hsm = cli_open_token(tok)) == NULL) {
            rc = CLI_USAGE;
            break;
        }
        if ((sg->key = cli_find_key(s->hsm, names[i])) == NULL) {
            rc = CLI_USAGE;
            break;
        }
        sg->alg = hm_key_alg(sg->key);
        (void)snprintf(sg->keyid, sizeof(sg->keyid), "%s", hm_key_id(sg->key));
    }
    if (rc != CLI_OK) {
        tr_signers_close(s);
        return rc;
    }
    *out = s;
    return CLI_OK;
}

void
tr_signers_close(struct tr_signers *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        EVP_PKEY_free(s->s[i].pkey);
    }
    hm_hsm_close(s->hsm);
    free(s);
}

/* Signs as hm_pubkey_verify checks: ECDSA DER over SHA-256/384, Ed25519, RSA-PSS salt 32. */
static hm_err
sign_pem(EVP_PKEY *pkey, enum hm_key_alg alg, const uint8_t *msg, size_t len, uint8_t **sig,
         size_t *sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *dg = alg == HM_KEY_ED25519   ? NULL
                       : alg == HM_KEY_EC_P384 ? EVP_sha384()
                                               : EVP_sha256();
    hm_err err = HM_E_BACKEND;
    size_t n = 0;

    *sig = NULL;
    if (md == NULL || EVP_DigestSignInit(md, &pctx, dg, NULL, pkey) != 1) {
        goto out;
    }
    if (alg == HM_KEY_RSA3072_PSS &&
        (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1 ||
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1)) {
        goto out;
    }
    if (EVP_DigestSign(md, NULL, &n, msg, len) != 1 || (*sig = malloc(n)) == NULL ||
        EVP_DigestSign(md, *sig, &n, msg, len) != 1) {
        free(*sig);
        *sig = NULL;
        goto out;
    }
    *sig_len = n;
    err = HM_OK;
out:
    EVP_MD_CTX_free(md);
    return err;
}

static hm_err
sign_one(const struct tr_signer *s, const uint8_t *pae, size_t len, uint8_t **sig, size_t *sig_len)
{
    if (s->pkey != NULL) {
        return sign_pem(s->pkey, s->alg, pae, len, sig, sig_len);
    }
    return hm_key_sign(s->key, pae, len, HM_SIG_DER, sig, sig_len);
}

static void
add_sig(cJSON *sigs, const char *keyid, const uint8_t *sig, size_t len)
{
    cJSON *o = cJSON_CreateObject();
    char *b64 = NULL;

    if (o == NULL || hm_b64_encode(sig, len, &b64) != HM_OK) {
        cJSON_Delete(o);
        return;
    }
    cJSON_AddStringToObject(o, "keyid", keyid);
    cJSON_AddStringToObject(o, "sig", b64);
    cJSON_AddItemToArray(sigs, o);
    free(b64);
}

static bool
already_signed(const struct hm_dsse *old, const char *keyid)
{
    for (size_t i = 0; old != NULL && i < old->n_sigs; i++) {
        if (old->sigs[i].keyid != NULL && strcmp(old->sigs[i].keyid, keyid) == 0) {
            return true;
        }
    }
    return false;
}

int
tr_envelope(const uint8_t *payload, size_t len, const struct hm_dsse *old, struct tr_signers *s,
            char **out, size_t *out_len)
{
    cJSON *env = cJSON_CreateObject(), *sigs = cJSON_CreateArray();
    uint8_t *pae = NULL, *sig = NULL;
    size_t pae_len = 0, sig_len = 0;
    char *b64 = NULL;
    int rc = CLI_USAGE;

    *out = NULL;
    if (env == NULL || sigs == NULL || hm_b64_encode(payload, len, &b64) != HM_OK ||
        hm_dsse_pae(HM_TRUSTROOT_MEDIA_TYPE, strlen(HM_TRUSTROOT_MEDIA_TYPE), payload, len, &pae,
                    &pae_len) != HM_OK) {
        goto out;
    }
    for (size_t i = 0; old != NULL && i < old->n_sigs; i++) {
        add_sig(sigs, old->sigs[i].keyid != NULL ? old->sigs[i].keyid : "", old->sigs[i].sig,
                old->sigs[i].sig_len);
    }
    for (size_t i = 0; s != NULL && i < s->n; i++) {
        if (already_signed(old, s->s[i].keyid)) {
            fprintf(stderr, "hallmark trust-root: key %s has signed already\n", s->s[i].keyid);
            continue;
        }
        if (sign_one(&s->s[i], pae, pae_len, &sig, &sig_len) != HM_OK) {
            fprintf(stderr, "hallmark trust-root: signing with key %s failed\n", s->s[i].keyid);
            goto out;
        }
        add_sig(sigs, s->s[i].keyid, sig, sig_len);
        free(sig);
        sig = NULL;
    }
    cJSON_AddStringToObject(env, "payload", b64);
    cJSON_AddStringToObject(env, "payloadType", HM_TRUSTROOT_MEDIA_TYPE);
    cJSON_AddItemToObject(env, "signatures", sigs);
    sigs = NULL; /* env owns it now */
    if (hm_json_print(env, out, out_len) == HM_OK) {
        rc = CLI_OK;
    }
out:
    cJSON_Delete(env);
    cJSON_Delete(sigs);
    free(b64);
    free(pae);
    return rc;
}

/* ---- document entries ---- */

/* "PEM:products=a,b:valid-from=T:valid-until=T:require-attestation"; times hold ':', so
 * fields start only at ":products=", ":valid-from=", ":valid-until=" or
 * ":require-attestation". */
static const char *const FIELDS[] = { ":products=", ":valid-from=", ":valid-until=",
                                      ":require-attestation" };

static const char *
next_field(const char *s)
{
    const char *best = NULL;

    for (size_t i = 0; i < sizeof(FIELDS) / sizeof(FIELDS[0]); i++) {
        const char *at = strstr(s, FIELDS[i]);
        if (at != NULL && (best == NULL || at < best)) {
            best = at;
        }
    }
    return best;
}

static int
key_field(cJSON *k, const char *f, size_t len)
{
    char *v = strndup(f, len), *save = NULL;
    cJSON *products;
    int64_t t = 0;
    char when[32];
    int rc = CLI_OK;

    if (v == NULL) {
        return CLI_USAGE;
    }
    if (strncmp(v, ":products=", 10) == 0 && (products = cJSON_AddArrayToObject(k, "products"))) {
        for (char *p = strtok_r(v + 10, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
            cJSON_AddItemToArray(products, cJSON_CreateString(p));
        }
    } else if (strncmp(v, ":valid-from=", 12) == 0 && (rc = tr_parse_when(v + 12, &t)) == 0) {
        hm_time_rfc3339(t, when);
        cJSON_AddStringToObject(k, "validFrom", when);
    } else if (strncmp(v, ":valid-until=", 13) == 0 && (rc = tr_parse_when(v + 13, &t)) == 0) {
        hm_time_rfc3339(t, when);
        cJSON_AddStringToObject(k, "validUntil", when);
    } else if (strcmp(v, ":require-attestation") == 0) {
        cJSON_AddBoolToObject(k, "requireAttestation", 1);
    }
    free(v);
    return rc;
}

int
tr_doc_add_key(cJSON *keys, const char *spec)
{
    const char *f = next_field(spec);
    struct hm_pubkey *pk = NULL;
    char *path = f != NULL ? strndup(spec, (size_t)(f - spec)) : NULL, *pem = NULL;
    cJSON *k = NULL;
    int rc = CLI_USAGE;

    if (path == NULL || strstr(spec, ":products=") == NULL) {
        fprintf(stderr, "hallmark trust-root: --key %s: needs PEM:products=NAME[,NAME]\n", spec);
        goto out;
    }
    if ((pk = read_pubkey(path, &pem)) == NULL || (k = cJSON_CreateObject()) == NULL) {
        goto out;
    }
    cJSON_AddStringToObject(k, "keyid", hm_pubkey_keyid(pk));
    cJSON_AddStringToObject(k, "algorithm", hm_key_alg_name(hm_pubkey_alg(pk)));
    cJSON_AddStringToObject(k, "pem", pem);
    for (; f != NULL; f = next_field(f + 1)) {
        const char *end = next_field(f + 1);
        if (key_field(k, f, end != NULL ? (size_t)(end - f) : strlen(f)) != CLI_OK) {
            goto out;
        }
    }
    cJSON_AddItemToArray(keys, k);
    k = NULL; /* the array owns it now */
    rc = CLI_OK;
out:
    cJSON_Delete(k);
    hm_pubkey_free(pk);
    free(path);
    free(pem);
    return rc;
}

int
tr_doc_add_root_key(cJSON *root_keys, const char *pem_path)
{
    char *pem = NULL;
    struct hm_pubkey *pk = read_pubkey(pem_path, &pem);
    cJSON *k = NULL;

    if (pk == NULL || (k = cJSON_CreateObject()) == NULL) {
        hm_pubkey_free(pk);
        free(pem);
        return CLI_USAGE;
    }
    cJSON_AddStringToObject(k, "keyid", hm_pubkey_keyid(pk));
    cJSON_AddStringToObject(k, "pem", pem);
    cJSON_AddItemToArray(root_keys, k);
    hm_pubkey_free(pk);
    free(pem);
    return CLI_OK;
}

/* logId: Ed25519 SHA-256(origin "\n" 0x01 pk32); ECDSA P-256 SHA-256(SPKI DER). */
static void
add_log_entry(cJSON *logs, const char *origin, enum hm_key_alg alg, const uint8_t *key,
              size_t key_len, const char *field, const char *value)
{
    uint8_t buf[512], id[HM_SHA256_LEN];
    size_t n = strlen(origin);
    char *b64 = NULL;
    cJSON *l = cJSON_CreateObject();

    if (alg == HM_KEY_ED25519 && n + 34 <= sizeof(buf)) {
        memcpy(buf, origin, n);
        buf[n] = '\n';
        buf[n + 1] = 0x01;
        memcpy(buf + n + 2, key, 32);
        hm_sha256(buf, n + 34, id);
    } else {
        hm_sha256(key, key_len, id);
    }
    if (l == NULL || hm_b64_encode(id, sizeof(id), &b64) != HM_OK) {
        cJSON_Delete(l);
        return;
    }
    cJSON_AddStringToObject(l, "origin", origin);
    cJSON_AddStringToObject(l, "logId", b64);
    cJSON_AddStringToObject(l, "algorithm", hm_key_alg_name(alg));
    cJSON_AddStringToObject(l, field, value);
    cJSON_AddItemToArray(logs, l);
    free(b64);
}

int
tr_doc_add_log(cJSON *logs, const char *spec)
{
    const char *eq = strchr(spec, '=');
    char *origin = eq != NULL ? strndup(spec, (size_t)(eq - spec)) : NULL, *pem = NULL;
    struct hm_pubkey *pk = NULL;
    const uint8_t *der = NULL;
    size_t der_len = 0;
    int rc = CLI_USAGE;

    if (origin == NULL || origin[0] == '\0') {
        fprintf(stderr, "hallmark trust-root: --log %s: needs ORIGIN=PUB.pem\n", spec);
        goto out;
    }
    if ((pk = read_pubkey(eq + 1, &pem)) == NULL) {
        goto out;
    }
    hm_pubkey_spki(pk, &der, &der_len);
    if (hm_pubkey_alg(pk) == HM_KEY_ED25519 && der_len == 44) {
        add_log_entry(logs, origin, HM_KEY_ED25519, der + 12, 32, "pem", pem);
    } else if (hm_pubkey_alg(pk) == HM_KEY_EC_P256) {
        add_log_entry(logs, origin, HM_KEY_EC_P256, der, der_len, "pem", pem);
    } else {
        fprintf(stderr, "hallmark trust-root: --log %s: a log key is ed25519 or ec-p256\n", spec);
        goto out;
    }
    rc = CLI_OK;
out:
    hm_pubkey_free(pk);
    free(origin);
    free(pem);
    return rc;
}

/* "<name>+<hex id>+<base64(type || key)>" */
int
tr_doc_add_log_vkey(cJSON *logs, const char *vkey)
{
    const char *p1 = strchr(vkey, '+');
    char *name = p1 != NULL ? strndup(vkey, (size_t)(p1 - vkey)) : NULL;
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    int rc = CLI_USAGE;

    if (name == NULL || strlen(p1) < 11 ||
        hm_b64_decode(p1 + 10, strlen(p1 + 10), HM_B64_STD, &raw, &raw_len) != HM_OK ||
        raw_len < 2 || (raw[0] != 0x01 && raw[0] != 0x02) || (raw[0] == 0x01 && raw_len != 33)) {
        fprintf(stderr, "hallmark trust-root: --log-vkey %s: not an Ed25519 or ECDSA vkey\n", vkey);
    } else {
        add_log_entry(logs, name, raw[0] == 0x01 ? HM_KEY_ED25519 : HM_KEY_EC_P256, raw + 1,
                      raw_len - 1, "vkey", vkey);
        rc = CLI_OK;
    }
    free(name);
    free(raw);
    return rc;
}

int
tr_doc_add_witness(cJSON *witnesses, const char *vkey)
{
    const char *p1 = strchr(vkey, '+');
    char *name = p1 != NULL ? strndup(vkey, (size_t)(p1 - vkey)) : NULL;
    cJSON *w = cJSON_CreateObject();

    if (name == NULL || w == NULL) {
        fprintf(stderr, "hallmark trust-root: --witness %s: not a vkey\n", vkey);
        free(name);
        cJSON_Delete(w);
        return CLI_USAGE;
    }
    cJSON_AddStringToObject(w, "name", name);
    cJSON_AddStringToObject(w, "vkey", vkey);
    cJSON_AddItemToArray(witnesses, w);
    free(name);
    return CLI_OK;
}

size_t
tr_doc_remove(cJSON *arr, const char *field, const char *value)
{
    size_t removed = 0;
    int i = 0;

    while (i < cJSON_GetArraySize(arr)) {
        const char *v = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, i), field));
        if (v != NULL && strcmp(v, value) == 0) {
            cJSON_DeleteItemFromArray(arr, i);
            removed++;
        } else {
            i++;
        }
    }
    return removed;
}

/* ---- showing a root ---- */

void
tr_print_root(const struct hm_trustroot *tr)
{
    struct hm_trustroot_key_info ki;
    struct hm_trustroot_log_info li;
    char when[32], from[32], until[32];

    hm_time_rfc3339(hm_trustroot_expires(tr), when);
    printf("trust root version %llu, expires %s\n", (unsigned long long)hm_trustroot_version(tr),
           when);
    for (size_t i = 0; i < hm_trustroot_key_count(tr); i++) {
        hm_trustroot_key(tr, i, &ki);
        hm_time_rfc3339(ki.valid_from == INT64_MIN ? 0 : ki.valid_from, from);
        hm_time_rfc3339(ki.valid_until == INT64_MAX ? 0 : ki.valid_until, until);
        printf("  key %s %s products", ki.keyid, hm_key_alg_name(ki.alg));
        for (size_t j = 0; j < ki.n_products; j++) {
            printf("%s%s", j ? "," : " ", ki.products[j]);
        }
        printf(" valid %s .. %s%s\n", ki.valid_from == INT64_MIN ? "(open)" : from,
               ki.valid_until == INT64_MAX ? "(open)" : until,
               ki.require_attestation ? " (key attestation required)" : "");
    }
    for (size_t i = 0; i < hm_trustroot_log_count(tr); i++) {
        hm_trustroot_log(tr, i, &li);
        printf("  log %s %s\n", li.origin, hm_key_alg_name(li.alg));
    }
    for (size_t i = 0; i < hm_trustroot_witness_count(tr); i++) {
        printf("  witness %s\n", hm_trustroot_witness_name(tr, i));
    }
    printf("  witnessThreshold %zu\n", hm_trustroot_witness_threshold(tr));
    for (size_t i = 0; i < hm_trustroot_root_key_count(tr); i++) {
        printf("  root key %s\n", hm_trustroot_root_keyid(tr, i));
    }
    printf("  rootThreshold %zu\n", hm_trustroot_root_threshold(tr));
}

/* Whether buf is a valid root with the very document cur holds. */
bool
tr_same_root(const struct hm_trustroot *cur, const uint8_t *buf, size_t len)
{
    struct hm_trustroot_reason why;
    struct hm_trustroot *tr = NULL;
    const uint8_t *a, *b;
    size_t alen = 0, blen = 0;
    bool same = false;

    if (hm_trustroot_parse(buf, len, &tr, &why) == HM_OK) {
        a = hm_trustroot_payload(tr, &alen);
        b = hm_trustroot_payload(cur, &blen);
        same = alen == blen && memcmp(a, b, alen) == 0;
    }
    hm_trustroot_free(tr);
    return same;
}

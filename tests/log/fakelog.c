/* fakelog.c: see fakelog.h. */
#include "fakelog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x)) {                                                                                \
            fprintf(stderr, "%s:%d: fixture failed: %s\n", __FILE__, __LINE__, #x);                \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

struct fake_key {
    EVP_PKEY *pk;
    char name[128];
    struct hm_tlog_signer signer;
    struct hm_tlog_verifier *v;
};

static hm_err
ed_sign(void *ctx, const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t cap, size_t *sig_len)
{
    struct fake_key *k = ctx;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t n = cap;
    int ok = md != NULL && EVP_DigestSignInit(md, NULL, NULL, NULL, k->pk) == 1 &&
             EVP_DigestSign(md, sig, &n, msg, msg_len) == 1;

    EVP_MD_CTX_free(md);
    *sig_len = n;
    return ok ? HM_OK : HM_E_BACKEND;
}

struct fake_key *
fake_key_new(const char *name)
{
    struct fake_key *k = calloc(1, sizeof(*k));
    uint8_t raw[32];
    size_t raw_len = sizeof(raw);

    CHECK(k != NULL && (k->pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) != NULL);
    CHECK(EVP_PKEY_get_raw_public_key(k->pk, raw, &raw_len) == 1 && raw_len == 32);
    snprintf(k->name, sizeof(k->name), "%s", name);
    CHECK(hm_tlog_verifier_new(HM_TLOG_SIG_ED25519, name, raw, 32, &k->v) == HM_OK);
    k->signer.name = k->name;
    k->signer.key_id = hm_tlog_verifier_key_id(k->v);
    k->signer.sign = ed_sign;
    k->signer.ctx = k;
    return k;
}

void
fake_key_free(struct fake_key *k)
{
    if (k != NULL) {
        EVP_PKEY_free(k->pk);
        hm_tlog_verifier_free(k->v);
        free(k);
    }
}

const struct hm_tlog_verifier *
fake_key_verifier(const struct fake_key *k)
{
    return k->v;
}

/* One P-256 public key for every leaf's verifier member (the monitor reads it, as a PEM). */
static const char *
leaf_verifier_b64(void)
{
    static char b64[1024];

    if (b64[0] == '\0') {
        EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        BIO *bio = BIO_new(BIO_s_mem());
        char *pem = NULL, *enc = NULL;
        long n;
        CHECK(pk != NULL && bio != NULL && PEM_write_bio_PUBKEY(bio, pk) == 1);
        n = BIO_get_mem_data(bio, &pem);
        CHECK(hm_b64_encode((const uint8_t *)pem, (size_t)n, &enc) == HM_OK);
        snprintf(b64, sizeof(b64), "%s", enc);
        free(enc);
        BIO_free(bio);
        EVP_PKEY_free(pk);
    }
    return b64;
}

char *
fakelog_leaf(uint64_t index, const char *product, const char *keyid, size_t *len)
{
    char hex[65], *out = malloc(4096);
    uint8_t h[32];
    int n;

    hm_sha256(&index, sizeof(index), h);
    hm_hex_encode(h, 32, hex);
    CHECK(out != NULL);
    n = snprintf(out, 4096,
                 "{\"apiVersion\":\"0.0.1\",\"kind\":\"dsse\",\"spec\":{\"payloadHash\":{"
                 "\"algorithm\":\"sha256\",\"value\":\"%s\"},\"signatures\":[{\"signature\":"
                 "\"c2ln\",\"verifier\":\"%s\"}]},\"hallmark\":{\"v\":1,\"keyid\":\"%s\","
                 "\"predicateType\":\"https://hallmark.dev/attestation/release/v1\","
                 "\"product\":\"%s\",\"channel\":\"stable\",\"version\":\"1.0.%" PRIu64 "\","
                 "\"subjects\":[{\"name\":\"fw.bin\",\"sha256\":\"%s\"}],\"client\":\"%s\","
                 "\"time\":\"2026-11-28T00:00:01Z\"}}",
                 hex, leaf_verifier_b64(), keyid, product, index, hex, hex);
    CHECK(n > 0 && n < 4096);
    *len = (size_t)n;
    return out;
}

struct fakelog *
fakelog_new(struct fake_key *key)
{
    struct fakelog *l = calloc(1, sizeof(*l));

    CHECK(l != NULL && hm_tlog_memstore_new(&l->ms) == HM_OK);
    l->key = key;
    l->drop_from = -1;
    l->rewrite = -1;
    return l;
}

void
fakelog_free(struct fakelog *l)
{
    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < l->n; i++) {
        free(l->leaves[i]);
    }
    hm_tlog_memstore_free(l->ms);
    free(l->note);
    free(l);
}

void
fakelog_add_raw(struct fakelog *l, const char *leaf, size_t len)
{
    uint8_t h[32];

    CHECK(l->n < FAKE_MAX_LEAVES && (l->leaves[l->n] = malloc(len + 1)) != NULL);
    memcpy(l->leaves[l->n], leaf, len);
    l->leaves[l->n][len] = '\0';
    l->leaf_len[l->n] = len;
    hm_tlog_leaf_hash(leaf, len, h);
    CHECK(hm_tlog_memstore_append(l->ms, h, NULL) == HM_OK);
    l->n++;
}

void
fakelog_add(struct fakelog *l, size_t n, const char *product, const char *keyid)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        char *leaf = fakelog_leaf(l->n, product, keyid, &len);
        fakelog_add_raw(l, leaf, len);
        free(leaf);
    }
}

static void
publish(struct fakelog *l, uint64_t size, struct fake_key *signer)
{
    uint8_t root[32];
    char *text = NULL, *line = NULL;
    size_t tlen = 0;

    CHECK(hm_tlog_root(hm_tlog_memstore_storage(l->ms), size, root) == HM_OK);
    if (l->bad_root) {
        root[0] ^= 1;
    }
    CHECK(hm_tlog_checkpoint_format(l->key->name, size, root, &text, &tlen) == HM_OK);
    CHECK(hm_tlog_note_sign(text, tlen, &signer->signer, &line) == HM_OK);
    free(l->note);
    CHECK(hm_tlog_note_assemble(text, tlen, (const char *const *)&line, 1, &l->note,
                                &l->note_len) == HM_OK);
    l->published = size;
    free(text);
    free(line);
}

void
fakelog_publish(struct fakelog *l)
{
    publish(l, l->n, l->key);
}

void
fakelog_publish_at(struct fakelog *l, uint64_t size)
{
    publish(l, size, l->key);
}

void
fakelog_publish_forged(struct fakelog *l, struct fake_key *other)
{
    publish(l, l->n, other);
}

static char *
dup_bytes(const void *p, size_t len)
{
    char *s = malloc(len + 1);

    CHECK(s != NULL);
    memcpy(s, p, len);
    s[len] = '\0';
    return s;
}

static char *
consistency(struct fakelog *l, const char *q, size_t *len)
{
    unsigned long long from = 0, to = 0;
    struct hm_tlog_path path;
    struct hm_buf b;

    if (sscanf(q, "from=%llu&to=%llu", &from, &to) != 2 ||
        hm_tlog_consistency_proof(hm_tlog_memstore_storage(l->ms), from, to, &path) != HM_OK) {
        return NULL;
    }
    if (l->bad_proof && path.len > 0) {
        path.hash[0][0] ^= 1;
    }
    hm_buf_init(&b, 0);
    hm_buf_printf(&b, "{\"from\":%llu,\"to\":%llu,\"hashes\":[", from, to);
    for (size_t i = 0; i < path.len; i++) {
        char *h = NULL;
        CHECK(hm_b64_encode(path.hash[i], 32, &h) == HM_OK);
        hm_buf_printf(&b, "%s\"%s\"", i ? "," : "", h);
        free(h);
    }
    hm_buf_puts(&b, "]}");
    return (char *)hm_buf_steal(&b, len);
}

static char *
entry_bundle(struct fakelog *l, const struct hm_tlog_tile *t, size_t *len)
{
    struct hm_buf b;

    hm_buf_init(&b, 0);
    for (uint64_t i = t->index * 256; i < t->index * 256 + t->width && i < l->n; i++) {
        if (l->drop_from >= 0 && i >= (uint64_t)l->drop_from) {
            break;
        }
        if ((int64_t)i == l->rewrite) {
            char *other = strdup(l->leaves[i]);
            char *v = strstr(other, "\"version\":\"1.0.");
            CHECK(v != NULL);
            v[13] = '9'; /* "1.0.N" -> "1.9.N": still a valid leaf, another release */
            CHECK(hm_tlog_bundle_add(&b, (const uint8_t *)other, l->leaf_len[i]) == HM_OK);
            free(other);
            continue;
        }
        CHECK(hm_tlog_bundle_add(&b, (const uint8_t *)l->leaves[i], l->leaf_len[i]) == HM_OK);
    }
    return (char *)hm_buf_steal(&b, len);
}

static hm_err
fake_get(void *ctx, const char *path, int *status, uint8_t **body, size_t *len)
{
    struct fakelog *l = ctx;
    struct hm_tlog_tile t;
    char *out = NULL;

    l->gets++;
    *status = 404;
    *len = 0;
    if (l->status_override != 0) {
        *status = l->status_override;
    } else if (strcmp(path, "/v1/log/checkpoint") == 0 && l->note != NULL) {
        out = dup_bytes(l->note, l->note_len);
        *len = l->note_len;
    } else if (strncmp(path, "/v1/log/proof/consistency?", 26) == 0) {
        out = consistency(l, path + 26, len);
    } else if (strncmp(path, "/v1/log/", 8) == 0 &&
               hm_tlog_tile_parse_path(path + 8, strlen(path + 8), &t) == HM_OK) {
        if (t.entries) {
            l->bundle_gets++;
            out = l->bundles_404 ? NULL : entry_bundle(l, &t, len);
        } else {
            uint8_t *tile = NULL;
            if (hm_tlog_tile_read(hm_tlog_memstore_storage(l->ms), l->n, &t, &tile, len) == HM_OK) {
                out = dup_bytes(tile, *len);
            }
            free(tile);
        }
    }
    if (out != NULL) {
        *status = 200;
    } else {
        out = dup_bytes("not found", 9);
        *len = 9;
    }
    *body = (uint8_t *)out;
    return HM_OK;
}

void
fakelog_src(struct fakelog *l, struct cli_log_src *out)
{
    out->get = fake_get;
    out->ctx = l;
}

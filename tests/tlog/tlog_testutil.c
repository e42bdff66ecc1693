/*
 * tlog_testutil.c: see tlog_testutil.h.  The naive tree is the RFC text turned into
 * recursion, deliberately sharing no code with tlog/ so that the two can disagree.
 */
#include "tlog_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

static void
naive_node(const uint8_t l[HM_TLOG_HASH_LEN], const uint8_t r[HM_TLOG_HASH_LEN],
           uint8_t out[HM_TLOG_HASH_LEN])
{
    uint8_t buf[65];

    buf[0] = 1;
    memcpy(buf + 1, l, 32);
    memcpy(buf + 33, r, 32);
    hm_sha256(buf, sizeof(buf), out);
}

static uint64_t
split(uint64_t n)
{
    uint64_t k = 1;

    while (k * 2 < n) {
        k *= 2;
    }
    return k;
}

/* Optional memo of MTH(D[lo:hi]) for hi <= memo_n: the brute-force test asks for the same
 * subtrees millions of times.  It only caches results of the recursion below. */
static uint64_t memo_n;
static uint8_t (*memo_hash)[HM_TLOG_HASH_LEN];
static bool *memo_have;

void
tu_memo(uint64_t n)
{
    free(memo_hash);
    free(memo_have);
    memo_hash = NULL;
    memo_have = NULL;
    memo_n = 0;
    if (n == 0) {
        return;
    }
    memo_hash = calloc((n + 1) * (n + 1), sizeof(*memo_hash));
    memo_have = calloc((n + 1) * (n + 1), sizeof(*memo_have));
    if (memo_hash == NULL || memo_have == NULL) {
        abort();
    }
    memo_n = n;
}

void
tu_mth(const uint8_t (*leaves)[HM_TLOG_HASH_LEN], uint64_t lo, uint64_t hi,
       uint8_t out[HM_TLOG_HASH_LEN])
{
    uint8_t l[32], r[32];
    uint64_t k, slot = lo * (memo_n + 1) + hi;

    if (memo_have != NULL && hi <= memo_n && memo_have[slot]) {
        memcpy(out, memo_hash[slot], 32);
        return;
    }
    if (hi == lo) {
        hm_sha256("", 0, out);
        return;
    }
    if (hi - lo == 1) {
        memcpy(out, leaves[lo], 32);
        return;
    }
    k = split(hi - lo);
    tu_mth(leaves, lo, lo + k, l);
    tu_mth(leaves, lo + k, hi, r);
    naive_node(l, r, out);
    if (memo_have != NULL && hi <= memo_n) {
        memcpy(memo_hash[slot], out, 32);
        memo_have[slot] = true;
    }
}

static void
push(struct hm_tlog_path *p, const uint8_t h[HM_TLOG_HASH_LEN])
{
    if (p->len >= HM_TLOG_MAX_PATH) {
        abort();
    }
    memcpy(p->hash[p->len++], h, 32);
}

void
tu_path(const uint8_t (*leaves)[HM_TLOG_HASH_LEN], uint64_t m, uint64_t lo, uint64_t hi,
        struct hm_tlog_path *out)
{
    uint8_t h[32];
    uint64_t k;

    if (hi - lo <= 1) {
        return;
    }
    k = split(hi - lo);
    if (m < k) {
        tu_path(leaves, m, lo, lo + k, out);
        tu_mth(leaves, lo + k, hi, h);
    } else {
        tu_path(leaves, m - k, lo + k, hi, out);
        tu_mth(leaves, lo, lo + k, h);
    }
    push(out, h);
}

static void
subproof(const uint8_t (*leaves)[HM_TLOG_HASH_LEN], uint64_t m, uint64_t lo, uint64_t hi, bool b,
         struct hm_tlog_path *out)
{
    uint8_t h[32];
    uint64_t n = hi - lo, k;

    if (m == n) {
        if (!b) {
            tu_mth(leaves, lo, hi, h);
            push(out, h);
        }
        return;
    }
    k = split(n);
    if (m <= k) {
        subproof(leaves, m, lo, lo + k, b, out);
        tu_mth(leaves, lo + k, hi, h);
    } else {
        subproof(leaves, m - k, lo + k, hi, false, out);
        tu_mth(leaves, lo, lo + k, h);
    }
    push(out, h);
}

void
tu_proof(const uint8_t (*leaves)[HM_TLOG_HASH_LEN], uint64_t m, uint64_t n,
         struct hm_tlog_path *out)
{
    out->len = 0;
    if (m == 0 || m == n) {
        return;
    }
    subproof(leaves, m, 0, n, true, out);
}

void
tu_unhex(const char *hex, uint8_t *out, size_t len)
{
    if (strlen(hex) != 2 * len || (len > 0 && hm_hex_decode(hex, 2 * len, out, len) != HM_OK)) {
        fprintf(stderr, "bad test vector %s\n", hex);
        abort();
    }
}

struct tu_key {
    enum hm_tlog_sigtype type;
    EVP_PKEY *pkey;
    struct hm_tlog_signer signer;
    char name[256];
};

static hm_err
soft_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap, size_t *sig_len)
{
    struct tu_key *k = ctx;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    size_t n = cap;
    hm_err err = HM_E_BACKEND;

    if (mctx != NULL &&
        EVP_DigestSignInit(mctx, NULL, k->type == HM_TLOG_SIG_ECDSA ? EVP_sha256() : NULL, NULL,
                           k->pkey) == 1 &&
        EVP_DigestSign(mctx, sig, &n, msg, len) == 1) {
        *sig_len = n;
        err = HM_OK;
    }
    EVP_MD_CTX_free(mctx);
    return err;
}

/* The public key bytes a vkey carries: raw 32 bytes (Ed25519) or the SPKI DER (ECDSA). */
static size_t
pub_bytes(const struct tu_key *k, uint8_t *out, size_t cap)
{
    unsigned char *der = NULL;
    size_t n = cap;
    int dl;

    if (k->type != HM_TLOG_SIG_ECDSA) {
        if (EVP_PKEY_get_raw_public_key(k->pkey, out, &n) != 1) {
            abort();
        }
        return n;
    }
    if ((dl = i2d_PUBKEY(k->pkey, &der)) <= 0 || (size_t)dl > cap) {
        abort();
    }
    memcpy(out, der, (size_t)dl);
    OPENSSL_free(der);
    return (size_t)dl;
}

struct tu_key *
tu_key_new(enum hm_tlog_sigtype type, const char *name)
{
    struct tu_key *k = calloc(1, sizeof(*k));
    uint8_t pub[256];
    size_t n;

    if (k == NULL) {
        abort();
    }
    k->type = type;
    k->pkey = type == HM_TLOG_SIG_ECDSA ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
                                        : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (k->pkey == NULL) {
        abort();
    }
    snprintf(k->name, sizeof(k->name), "%s", name);
    n = pub_bytes(k, pub, sizeof(pub));
    if (hm_tlog_key_id(type, name, pub, n, &k->signer.key_id) != HM_OK) {
        abort();
    }
    k->signer.name = k->name;
    k->signer.sign = soft_sign;
    k->signer.ctx = k;
    return k;
}

void
tu_key_free(struct tu_key *k)
{
    if (k == NULL) {
        return;
    }
    EVP_PKEY_free(k->pkey);
    free(k);
}

const struct hm_tlog_signer *
tu_key_signer(struct tu_key *k)
{
    return &k->signer;
}

struct hm_tlog_verifier *
tu_key_verifier(const struct tu_key *k)
{
    struct hm_tlog_verifier *v = NULL;
    uint8_t pub[256];
    size_t n = pub_bytes(k, pub, sizeof(pub));

    if (hm_tlog_verifier_new(k->type, k->name, pub, n, &v) != HM_OK) {
        abort();
    }
    return v;
}

char *
tu_sign_note(const char *text, struct tu_key *const *keys, size_t n, size_t *len)
{
    char *lines[16] = { 0 }, *note = NULL;
    size_t tl = strlen(text);

    if (n > 16) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        hm_err err = keys[i]->type == HM_TLOG_SIG_COSIG_ED25519
                         ? hm_tlog_note_cosign(text, tl, 1700000000, &keys[i]->signer, &lines[i])
                         : hm_tlog_note_sign(text, tl, &keys[i]->signer, &lines[i]);
        if (err != HM_OK) {
            abort();
        }
    }
    if (hm_tlog_note_assemble(text, tl, (const char *const *)lines, n, &note, len) != HM_OK) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        free(lines[i]);
    }
    return note;
}

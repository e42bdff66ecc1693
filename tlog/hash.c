/*
 * hash.c: RFC 9162 §2.1.1 hashing.  Leaves and nodes carry a one-byte prefix (0x00, 0x01)
 * so that a leaf can never be taken for an interior node (second-preimage attacks).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "tlog_int.h"

static CRYPTO_ONCE sha256_once = CRYPTO_ONCE_STATIC_INIT;
static EVP_MD *sha256_md;

static void
sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
sha256(void)
{
    if (CRYPTO_THREAD_run_once(&sha256_once, sha256_fetch) != 1 || sha256_md == NULL) {
        return EVP_sha256(); /* the fetch failed: fall back to the implicit fetch */
    }
    return sha256_md;
}

void
tlog_sha256(const void *in, size_t len, uint8_t out[HM_TLOG_HASH_LEN])
{
    /* SHA-256 over memory cannot fail short of a broken libcrypto. */
    if (EVP_Digest(in, len, out, NULL, sha256(), NULL) != 1) {
        abort();
    }
}

void
tlog_hasher_init(struct tlog_hasher *h)
{
    h->md = sha256();
    h->ctx = EVP_MD_CTX_new(); /* NULL: tlog_hasher_node falls back to one-shot hashing */
}

void
tlog_hasher_node(struct tlog_hasher *h, const uint8_t left[HM_TLOG_HASH_LEN],
                 const uint8_t right[HM_TLOG_HASH_LEN], uint8_t out[HM_TLOG_HASH_LEN])
{
    uint8_t buf[1 + 2 * HM_TLOG_HASH_LEN];

    if (h->ctx == NULL) {
        hm_tlog_node_hash(left, right, out);
        return;
    }
    buf[0] = 0x01;
    memcpy(buf + 1, left, HM_TLOG_HASH_LEN);
    memcpy(buf + 1 + HM_TLOG_HASH_LEN, right, HM_TLOG_HASH_LEN);
    if (EVP_DigestInit_ex(h->ctx, h->md, NULL) != 1 ||
        EVP_DigestUpdate(h->ctx, buf, sizeof(buf)) != 1 ||
        EVP_DigestFinal_ex(h->ctx, out, NULL) != 1) {
        abort();
    }
}

void
tlog_hasher_free(struct tlog_hasher *h)
{
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

void
hm_tlog_leaf_hash(const void *data, size_t len, uint8_t out[HM_TLOG_HASH_LEN])
{
    static const uint8_t prefix = 0x00;
    uint8_t buf[1 + 1024];
    EVP_MD_CTX *ctx;

    if (len < sizeof(buf)) {
        buf[0] = prefix; /* short leaves: one call, no allocation */
        if (len > 0) {
            memcpy(buf + 1, data, len);
        }
        tlog_sha256(buf, len + 1, out);
        return;
    }
    if ((ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(ctx, sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, &prefix, 1) != 1 || EVP_DigestUpdate(ctx, data, len) != 1 ||
        EVP_DigestFinal_ex(ctx, out, NULL) != 1) {
        abort(); /* out of memory in libcrypto: no hash we could return would be right */
    }
    EVP_MD_CTX_free(ctx);
}

void
hm_tlog_node_hash(const uint8_t left[HM_TLOG_HASH_LEN], const uint8_t right[HM_TLOG_HASH_LEN],
                  uint8_t out[HM_TLOG_HASH_LEN])
{
    uint8_t buf[1 + 2 * HM_TLOG_HASH_LEN];

    buf[0] = 0x01;
    memcpy(buf + 1, left, HM_TLOG_HASH_LEN);
    memcpy(buf + 1 + HM_TLOG_HASH_LEN, right, HM_TLOG_HASH_LEN);
    tlog_sha256(buf, sizeof(buf), out);
}

void
hm_tlog_empty_root(uint8_t out[HM_TLOG_HASH_LEN])
{
    tlog_sha256("", 0, out);
}

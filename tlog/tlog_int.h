/*
 * tlog_int.h: helpers shared by the tlog sources; on no other target's include path.
 */
#ifndef HM_TLOG_INT_H
#define HM_TLOG_INT_H

#include <hm/tlog.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* U+2014 EM DASH, then a space: the start of every signature line. */
#define TLOG_SIG_PREFIX     "\xe2\x80\x94 "
#define TLOG_SIG_PREFIX_LEN 4
/* Digits of 2^64 - 1. */
#define TLOG_U64_DIGITS 20

/* SHA-256 with the digest fetched once (an implicit fetch per call costs twice the hash). */
void tlog_sha256(const void *in, size_t len, uint8_t out[HM_TLOG_HASH_LEN]);

/* Node hashing for a whole proof with one digest context: a context per hash (what
 * EVP_Digest does) costs as much as the hash of a node itself.  If the context cannot be
 * allocated, tlog_hasher_node hashes one-shot; it cannot fail. */
struct tlog_hasher {
    EVP_MD_CTX *ctx;
    const EVP_MD *md;
};
void tlog_hasher_init(struct tlog_hasher *h);
void tlog_hasher_node(struct tlog_hasher *h, const uint8_t left[HM_TLOG_HASH_LEN],
                      const uint8_t right[HM_TLOG_HASH_LEN], uint8_t out[HM_TLOG_HASH_LEN]);
void tlog_hasher_free(struct tlog_hasher *h);

/* Valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF) without control
 * characters below U+0020 other than "\n" (signed-note "Format"). */
bool tlog_text_valid(const uint8_t *s, size_t len);

/* Decimal without sign or leading zeros ("0" alone is fine), at most max. */
HM_MUST_CHECK hm_err tlog_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out);
/* Writes the decimal form; returns its length (buffer of TLOG_U64_DIGITS + 1). */
size_t tlog_format_u64(uint64_t v, char out[TLOG_U64_DIGITS + 1]);

/* Standard base64 with padding, the form notes use (RFC 4648 §4); strict. */
HM_MUST_CHECK hm_err tlog_b64_decode(const char *s, size_t len, uint8_t **out, size_t *out_len);
/* Decodes exactly HM_TLOG_HASH_LEN bytes into out. */
HM_MUST_CHECK hm_err tlog_b64_hash(const char *s, size_t len, uint8_t out[HM_TLOG_HASH_LEN]);

/* Finds the end of the line starting at s (the '\n'), or NULL. */
const char *tlog_line_end(const char *s, const char *end);

/* Verifies one signature of a verifier over msg: HM_OK or HM_E_VERIFY. */
HM_MUST_CHECK hm_err tlog_verifier_check(const struct hm_tlog_verifier *v, const uint8_t *msg,
                                         size_t msg_len, const uint8_t *sig, size_t sig_len);

/* Reads hashes and rebuilds subtree roots: the shared part of the proof generators. */
struct tlog_range {
    uint64_t lo, hi; /* leaves [lo, hi) */
};
/* Hashes of ranges (each a node of the RFC 9162 tree of some size) with one read(). */
HM_MUST_CHECK hm_err tlog_hash_ranges(const struct hm_tlog_storage *st,
                                      const struct tlog_range *ranges, size_t n,
                                      uint8_t (*out)[HM_TLOG_HASH_LEN]);

#endif /* HM_TLOG_INT_H */

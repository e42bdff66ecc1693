/*
 * tlog_testutil.h: what the tlog tests share: a naive RFC 9162 tree to check against,
 * software signers standing in for the HSM, hex helpers.
 */
#ifndef HM_TLOG_TESTUTIL_H
#define HM_TLOG_TESTUTIL_H

#include <hm/tlog.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* MTH(D[lo:hi]) straight from the RFC 9162 §2.1.1 recursion over leaf hashes. */
void tu_mth(const uint8_t (*leaves)[HM_TLOG_HASH_LEN], uint64_t lo, uint64_t hi,
            uint8_t out[HM_TLOG_HASH_LEN]);
/* Memoises tu_mth for ranges within the first n leaves (0: off); the leaves must not
 * change while it is on. */
void tu_memo(uint64_t n);
/* PATH and PROOF of RFC 9162 §2.1.3.1 / §2.1.4.1, recursive, over leaf hashes. */
void tu_path(const uint8_t (*leaves)[HM_TLOG_HASH_LEN], uint64_t m, uint64_t lo, uint64_t hi,
             struct hm_tlog_path *out);
void tu_proof(const uint8_t (*leaves)[HM_TLOG_HASH_LEN], uint64_t m, uint64_t n,
              struct hm_tlog_path *out);

/* Decodes lowercase hex into out (exactly len bytes); aborts on a bad vector. */
void tu_unhex(const char *hex, uint8_t *out, size_t len);

/* A software key that signs like the HSM will: Ed25519 (pure) or ECDSA P-256 (DER). */
struct tu_key;
struct tu_key *tu_key_new(enum hm_tlog_sigtype type, const char *name);
void tu_key_free(struct tu_key *k);
/* The signer (name, key id, callback) and the verifier of the key. */
const struct hm_tlog_signer *tu_key_signer(struct tu_key *k);
struct hm_tlog_verifier *tu_key_verifier(const struct tu_key *k);
/* Signs text as a note with every key, in order: a malloc'ed note, NUL-terminated. */
char *tu_sign_note(const char *text, struct tu_key *const *keys, size_t n, size_t *len);

#endif

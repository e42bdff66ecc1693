/*
 * hm/tlog.h: the transparency log's math and formats.
 *
 * - RFC 9162 §2.1 Merkle trees over SHA-256: leaf and node hashes, tree heads, inclusion
 *   and consistency proofs (generation from stored subtree hashes, and verification).
 * - Storage of the tree as complete-subtree hashes by (level, index), the layout that
 *   tlog-tiles serves, behind a read callback; an appender that says what to store for
 *   each new leaf; an in-memory store.
 * - C2SP signed notes (c2sp.org/signed-note), verifier keys (vkeys) and key ids.
 * - C2SP checkpoints (c2sp.org/tlog-checkpoint), Ed25519 cosignatures
 *   (c2sp.org/tlog-cosignature) and offline proofs (c2sp.org/tlog-proof).
 * - tlog-tiles paths and tile contents (c2sp.org/tlog-tiles).
 *
 * Links only libcrypto and hm_common, so that a device can verify proofs.  docs/tlog.md
 * explains the layout and the formats.
 *
 * Errors: HM_E_INVALID for malformed input, HM_E_LIMIT for input over a limit below,
 * HM_E_VERIFY for a proof or signature that does not verify, HM_E_NOTFOUND for a hash
 * the store does not hold, HM_E_NOMEM.  Nothing is handed out on failure (*out NULL).
 */
#ifndef HM_TLOG_H
#define HM_TLOG_H

#include <hm/common.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HM_TLOG_HASH_LEN 32
/* The longest proof accepted or produced: trees hold at most HM_TLOG_MAX_SIZE leaves. */
#define HM_TLOG_MAX_PATH 64
/* 2^63: checkpoints and proofs above this are refused. */
#define HM_TLOG_MAX_SIZE        ((uint64_t)1 << 63)
#define HM_TLOG_NOTE_MAX_BYTES  ((size_t)1 << 20) /* a signed note, all of it */
#define HM_TLOG_NOTE_MAX_SIGS   100               /* signature lines in one note */
#define HM_TLOG_SIG_MAX_BYTES   4096              /* one signature (after the key id) */
#define HM_TLOG_PROOF_MAX_BYTES (HM_TLOG_NOTE_MAX_BYTES + ((size_t)64 << 10))

/* ------------------------------------------------------------------------------------ */
/* Hashing (RFC 9162 §2.1.1)                                                             */

/* SHA-256(0x00 || data) */
void hm_tlog_leaf_hash(const void *data, size_t len, uint8_t out[HM_TLOG_HASH_LEN]);
/* SHA-256(0x01 || left || right) */
void hm_tlog_node_hash(const uint8_t left[HM_TLOG_HASH_LEN], const uint8_t right[HM_TLOG_HASH_LEN],
                       uint8_t out[HM_TLOG_HASH_LEN]);
/* SHA-256(""), the root of the empty tree. */
void hm_tlog_empty_root(uint8_t out[HM_TLOG_HASH_LEN]);

/* ------------------------------------------------------------------------------------ */
/* Stored tree                                                                           */

/*
 * A complete subtree: level l, index i covers the leaves [i * 2^l, (i + 1) * 2^l).  Level 0
 * holds the leaf hashes.  A tree of n leaves has floor(n / 2^l) complete subtrees at level l,
 * and they never change once the tree has grown past them.
 */
struct hm_tlog_node {
    uint8_t level; /* 0..63 */
    uint64_t index;
};

struct hm_tlog_node_hash {
    struct hm_tlog_node node;
    uint8_t hash[HM_TLOG_HASH_LEN];
};

/*
 * Where the stored subtree hashes come from.  read() fills out[i] with the hash of nodes[i]
 * for every i < n, or returns HM_E_NOTFOUND when one is not stored (any other error is
 * passed up as is).  Every proof or root below makes one read() call of at most 127 nodes
 * and a tile one of at most 256, so a database can answer each with one query.
 */
#define HM_TLOG_MAX_READS 256
struct hm_tlog_storage {
    hm_err (*read)(void *ctx, const struct hm_tlog_node *nodes, size_t n,
                   uint8_t (*out)[HM_TLOG_HASH_LEN]);
    void *ctx;
};

/* A proof path: hashes from the leaf's (or first tree's) side up to the root's child. */
struct hm_tlog_path {
    size_t len;
    uint8_t hash[HM_TLOG_MAX_PATH][HM_TLOG_HASH_LEN];
};

/* The root of the tree of the first size leaves (size 0: the empty root). */
HM_MUST_CHECK hm_err hm_tlog_root(const struct hm_tlog_storage *st, uint64_t size,
                                  uint8_t out[HM_TLOG_HASH_LEN]);
/* RFC 9162 §2.1.3.1 inclusion path of leaf index in the tree of size leaves.
 * index >= size: HM_E_INVALID. */
HM_MUST_CHECK hm_err hm_tlog_inclusion_proof(const struct hm_tlog_storage *st, uint64_t index,
                                             uint64_t size, struct hm_tlog_path *out);
/* RFC 9162 §2.1.4.1 consistency path from the tree of m leaves to the tree of n leaves.
 * m == n or m == 0: an empty path.  m > n: HM_E_INVALID. */
HM_MUST_CHECK hm_err hm_tlog_consistency_proof(const struct hm_tlog_storage *st, uint64_t m,
                                               uint64_t n, struct hm_tlog_path *out);

/*
 * Verifiers, exactly RFC 9162 §2.1.3.2 and §2.1.4.2 (device code: no storage, no
 * allocation).  path is path_len hashes of 32 bytes one after the other.  Returns HM_OK,
 * HM_E_VERIFY when the proof does not prove the claim (index >= size, m > n, a wrong
 * length, a wrong hash), HM_E_LIMIT for more than HM_TLOG_MAX_PATH hashes, HM_E_INVALID
 * for a NULL argument.  Consistency from m == 0 holds with an empty path when first_root is
 * the empty root; from m == n with an empty path when the roots are equal.
 */
HM_MUST_CHECK hm_err hm_tlog_verify_inclusion(uint64_t index, uint64_t size,
                                              const uint8_t leaf_hash[HM_TLOG_HASH_LEN],
                                              const uint8_t *path, size_t path_len,
                                              const uint8_t root[HM_TLOG_HASH_LEN]);
HM_MUST_CHECK hm_err hm_tlog_verify_consistency(uint64_t m, uint64_t n,
                                                const uint8_t first_root[HM_TLOG_HASH_LEN],
                                                const uint8_t second_root[HM_TLOG_HASH_LEN],
                                                const uint8_t *path, size_t path_len);

/*
 * The appender keeps the right edge of the tree (one hash per set bit of the size) and,
 * for each new leaf hash, returns the complete-subtree hashes the leaf completes: the leaf
 * itself at level 0 and one more per level it closes.  Store them in the same transaction
 * as the entry; then every proof of every size up to the new one can be produced.
 */
#define HM_TLOG_MAX_NEW_NODES 64
struct hm_tlog_appender;
/* Starts at size leaves, reading the right edge from st (st may be NULL when size is 0). */
HM_MUST_CHECK hm_err hm_tlog_appender_new(const struct hm_tlog_storage *st, uint64_t size,
                                          struct hm_tlog_appender **out);
void hm_tlog_appender_free(struct hm_tlog_appender *app);
/* Adds one leaf; out receives *n_out (1..64) nodes to store.  HM_E_LIMIT past 2^63. */
HM_MUST_CHECK hm_err hm_tlog_appender_add(struct hm_tlog_appender *app,
                                          const uint8_t leaf_hash[HM_TLOG_HASH_LEN],
                                          struct hm_tlog_node_hash out[HM_TLOG_MAX_NEW_NODES],
                                          size_t *n_out);
uint64_t hm_tlog_appender_size(const struct hm_tlog_appender *app);
void hm_tlog_appender_root(const struct hm_tlog_appender *app, uint8_t out[HM_TLOG_HASH_LEN]);

/*
 * In-memory store: one growable array of hashes per level.  Nodes must be put in the order
 * the appender hands them out (HM_E_CONFLICT otherwise).  Not thread-safe.
 */
struct hm_tlog_memstore;
HM_MUST_CHECK hm_err hm_tlog_memstore_new(struct hm_tlog_memstore **out);
void hm_tlog_memstore_free(struct hm_tlog_memstore *ms);
HM_MUST_CHECK hm_err hm_tlog_memstore_put(struct hm_tlog_memstore *ms,
                                          const struct hm_tlog_node_hash *nodes, size_t n);
/* Appends a leaf hash (appender + put in one step); *index_out (may be NULL) is its index. */
HM_MUST_CHECK hm_err hm_tlog_memstore_append(struct hm_tlog_memstore *ms,
                                             const uint8_t leaf_hash[HM_TLOG_HASH_LEN],
                                             uint64_t *index_out);
uint64_t hm_tlog_memstore_size(const struct hm_tlog_memstore *ms);
/* Bytes of hashes held (used) and allocated (capacity). */
void hm_tlog_memstore_bytes(const struct hm_tlog_memstore *ms, uint64_t *used, uint64_t *allocated);
/* The storage view; valid as long as ms. */
const struct hm_tlog_storage *hm_tlog_memstore_storage(const struct hm_tlog_memstore *ms);

/* ------------------------------------------------------------------------------------ */
/* Signed notes (c2sp.org/signed-note), verifier keys, signers                          */

/* Signature types (the byte in key ids and vkeys). */
enum hm_tlog_sigtype {
    HM_TLOG_SIG_ED25519 = 0x01,      /* Ed25519 over the note text */
    HM_TLOG_SIG_ECDSA = 0x02,        /* ECDSA P-256, SHA-256, DER; key id SHA-256(SPKI)[:4] */
    HM_TLOG_SIG_COSIG_ED25519 = 0x04 /* tlog-cosignature/v1, timestamped Ed25519 */
};

/* Key ids.  Ed25519 and cosignature keys: SHA-256(name || "\n" || type || pk32)[:4].
 * ECDSA (as Sigstore computes it, not name-bound): SHA-256(SPKI DER)[:4]. */
HM_MUST_CHECK hm_err hm_tlog_key_id(enum hm_tlog_sigtype type, const char *name, const uint8_t *key,
                                    size_t key_len, uint32_t *out);
/* The C2SP rules for a key name: non-empty UTF-8, no Unicode white space, no '+'. */
bool hm_tlog_name_valid(const char *name, size_t len);

/* A public key that verifies note signatures: name, key id, type, key. */
struct hm_tlog_verifier;
/* "<name>+<8 lowercase hex key id>+<base64(type || key)>"; the key id must match. */
HM_MUST_CHECK hm_err hm_tlog_verifier_parse(const char *vkey, size_t len,
                                            struct hm_tlog_verifier **out);
/* type ED25519 or COSIG_ED25519: key is 32 bytes; ECDSA: key is the P-256 SPKI DER. */
HM_MUST_CHECK hm_err hm_tlog_verifier_new(enum hm_tlog_sigtype type, const char *name,
                                          const uint8_t *key, size_t key_len,
                                          struct hm_tlog_verifier **out);
void hm_tlog_verifier_free(struct hm_tlog_verifier *v);
/* The vkey string (NUL-terminated, caller frees). */
HM_MUST_CHECK hm_err hm_tlog_verifier_format(const struct hm_tlog_verifier *v, char **out);
const char *hm_tlog_verifier_name(const struct hm_tlog_verifier *v);
uint32_t hm_tlog_verifier_key_id(const struct hm_tlog_verifier *v);
enum hm_tlog_sigtype hm_tlog_verifier_type(const struct hm_tlog_verifier *v);

/* A parsed signed note: the text (ending in "\n") and its signature lines. */
struct hm_tlog_note;
struct hm_tlog_note_sig {
    const char *name; /* NUL-terminated */
    uint32_t key_id;
    const uint8_t *sig; /* after the 4-byte key id */
    size_t sig_len;
};
/* Strict: the note limits above, valid UTF-8, no control characters but "\n", text
 * separated from the signature lines by the last empty line, every line
 * "\u2014 <name> <base64(keyid || sig)>\n" with padded standard base64. */
HM_MUST_CHECK hm_err hm_tlog_note_parse(const uint8_t *buf, size_t len, struct hm_tlog_note **out);
void hm_tlog_note_free(struct hm_tlog_note *note);
const char *hm_tlog_note_text(const struct hm_tlog_note *note, size_t *len);
size_t hm_tlog_note_sig_count(const struct hm_tlog_note *note);
/* i < hm_tlog_note_sig_count(); views into the note. */
void hm_tlog_note_sig(const struct hm_tlog_note *note, size_t i, struct hm_tlog_note_sig *out);

/*
 * Verifies a note against the keys the caller trusts (signed-note "Signatures"):
 * signatures whose (name, key id) match no key are ignored; one that matches a key must
 * verify or the whole note is rejected (HM_E_VERIFY); at least one must verify
 * (HM_E_VERIFY otherwise).  verified (may be NULL) receives, per key, whether a signature
 * by that key verified; a key that signed twice counts once.  A cosignature key verifies
 * "cosignature/v1\ntime <t>\n" || text.
 */
HM_MUST_CHECK hm_err hm_tlog_note_verify(const struct hm_tlog_note *note,
                                         const struct hm_tlog_verifier *const *keys, size_t n_keys,
                                         bool *verified);

/*
 * A signer: the private key lives elsewhere (an HSM), so signing is a callback.  sign()
 * signs msg (Ed25519: the message itself; ECDSA: SHA-256 of it, DER signature) into sig
 * (cap bytes) and sets *sig_len.
 */
struct hm_tlog_signer {
    const char *name;
    uint32_t key_id;
    hm_err (*sign)(void *ctx, const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t cap,
                   size_t *sig_len);
    void *ctx;
};
/* The signature line "\u2014 <name> <base64(keyid || sig)>\n" over text (which must be
 * valid note text).  *out is NUL-terminated; the caller frees it. */
HM_MUST_CHECK hm_err hm_tlog_note_sign(const char *text, size_t len,
                                       const struct hm_tlog_signer *signer, char **out);
/* A tlog-cosignature/v1 line: signs "cosignature/v1\ntime <t>\n" || text with an Ed25519
 * key, and the line carries keyid || u64be(t) || sig. */
HM_MUST_CHECK hm_err hm_tlog_note_cosign(const char *text, size_t len, uint64_t timestamp,
                                         const struct hm_tlog_signer *signer, char **out);
/* text || "\n" || the signature lines: a note, checked with hm_tlog_note_parse. */
HM_MUST_CHECK hm_err hm_tlog_note_assemble(const char *text, size_t len,
                                           const char *const *sig_lines, size_t n_lines, char **out,
                                           size_t *out_len);

/* ------------------------------------------------------------------------------------ */
/* Checkpoints (c2sp.org/tlog-checkpoint)                                                */

struct hm_tlog_checkpoint;
/* The note text: "<origin>\n<size>\n<base64 root>\n" then optional non-empty extension
 * lines.  Size in decimal without leading zeros, at most 2^63; the root 32 bytes. */
HM_MUST_CHECK hm_err hm_tlog_checkpoint_parse(const char *text, size_t len,
                                              struct hm_tlog_checkpoint **out);
/* Formats the note text; origin must follow the key-name rules (we choose our origin). */
HM_MUST_CHECK hm_err hm_tlog_checkpoint_format(const char *origin, uint64_t size,
                                               const uint8_t root[HM_TLOG_HASH_LEN], char **out,
                                               size_t *out_len);
/* Parses a signed checkpoint note, verifies it with the log's key (signatures by other
 * keys are ignored, per hm_tlog_note_verify) and checks the origin (origin NULL: it must
 * equal the log key's name).  Witness quorums: hm_tlog_proof_verify. */
HM_MUST_CHECK hm_err hm_tlog_checkpoint_open(const uint8_t *note, size_t len,
                                             const struct hm_tlog_verifier *log_key,
                                             const char *origin, struct hm_tlog_checkpoint **out);
void hm_tlog_checkpoint_free(struct hm_tlog_checkpoint *cp);
const char *hm_tlog_checkpoint_origin(const struct hm_tlog_checkpoint *cp);
uint64_t hm_tlog_checkpoint_size(const struct hm_tlog_checkpoint *cp);
const uint8_t *hm_tlog_checkpoint_root(const struct hm_tlog_checkpoint *cp);
/* The extension lines as they were (each ending in "\n"); "" when there are none. */
const char *hm_tlog_checkpoint_extensions(const struct hm_tlog_checkpoint *cp, size_t *len);

/* ------------------------------------------------------------------------------------ */
/* Offline proofs (c2sp.org/tlog-proof@v1)                                              */

struct hm_tlog_proof;
/* "c2sp.org/tlog-proof@v1\n" ["extra <b64>\n"] "index <n>\n" <b64 hash>\n... "\n" <note>.
 * The checkpoint note is parsed (note and checkpoint rules) but not verified. */
HM_MUST_CHECK hm_err hm_tlog_proof_parse(const uint8_t *buf, size_t len,
                                         struct hm_tlog_proof **out);
/* extra may be NULL (no extra line); note is the signed checkpoint, copied verbatim. */
HM_MUST_CHECK hm_err hm_tlog_proof_format(const uint8_t *extra, size_t extra_len, uint64_t index,
                                          const struct hm_tlog_path *path, const uint8_t *note,
                                          size_t note_len, char **out, size_t *out_len);
void hm_tlog_proof_free(struct hm_tlog_proof *p);
uint64_t hm_tlog_proof_index(const struct hm_tlog_proof *p);
const struct hm_tlog_path *hm_tlog_proof_path(const struct hm_tlog_proof *p);
/* The opaque, unauthenticated extra data (NULL and 0 when absent). */
const uint8_t *hm_tlog_proof_extra(const struct hm_tlog_proof *p, size_t *len);
/* The checkpoint note bytes, verbatim. */
const uint8_t *hm_tlog_proof_note(const struct hm_tlog_proof *p, size_t *len);
/* The checkpoint as parsed: NOT verified until hm_tlog_proof_verify returned HM_OK. */
const struct hm_tlog_checkpoint *hm_tlog_proof_checkpoint(const struct hm_tlog_proof *p);

/* What a device trusts: the log key and origin, and k of n witnesses (cosignature keys). */
struct hm_tlog_trust {
    const struct hm_tlog_verifier *log_key;
    const char *origin; /* NULL: the log key's name */
    const struct hm_tlog_verifier *const *witnesses;
    size_t n_witnesses;
    size_t witness_quorum; /* 0: no witness needed */
};
/* The checkpoint is signed by the log (and cosigned by at least witness_quorum distinct
 * witnesses; every matching signature must verify), its origin is the expected one, and
 * leaf_hash is at the proof's index in it. */
HM_MUST_CHECK hm_err hm_tlog_proof_verify(const struct hm_tlog_proof *p,
                                          const uint8_t leaf_hash[HM_TLOG_HASH_LEN],
                                          const struct hm_tlog_trust *trust);

/* ------------------------------------------------------------------------------------ */
/* Tiles (c2sp.org/tlog-tiles)                                                           */

#define HM_TLOG_TILE_WIDTH    256
#define HM_TLOG_TILE_MAX_PATH 64 /* "tile/entries/x..." with room to spare */
/* A tile (entries false: level 0..63) or an entry bundle (entries true); width 256 for a
 * full tile, 1..255 for a partial one.  index < 2^56. */
struct hm_tlog_tile {
    bool entries;
    uint8_t level;
    uint64_t index;
    uint16_t width;
};
/* "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]" (append it to "<prefix>/"). */
HM_MUST_CHECK hm_err hm_tlog_tile_path(const struct hm_tlog_tile *t,
                                       char out[HM_TLOG_TILE_MAX_PATH]);
/* The inverse, strict: canonical numbers only, bounded length (for the HTTP server). */
HM_MUST_CHECK hm_err hm_tlog_tile_parse_path(const char *path, size_t len,
                                             struct hm_tlog_tile *out);
/* The tiles of a tree of size leaves: width of the tile (level, index); 0 when the tile
 * holds nothing at that size. */
uint16_t hm_tlog_tile_width_at(uint64_t size, uint8_t level, uint64_t index);
/* A hash tile's bytes (width * 32) read from storage; HM_E_NOTFOUND when the tile is not
 * complete within the first size leaves. */
HM_MUST_CHECK hm_err hm_tlog_tile_read(const struct hm_tlog_storage *st, uint64_t size,
                                       const struct hm_tlog_tile *t, uint8_t **out,
                                       size_t *out_len);
/* Appends one entry to an entry bundle: u16be length || entry (0..65535 bytes). */
HM_MUST_CHECK hm_err hm_tlog_bundle_add(struct hm_buf *bundle, const uint8_t *entry, size_t len);

#endif /* HM_TLOG_H */

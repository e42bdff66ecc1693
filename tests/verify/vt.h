/*
 * vt.h: test helpers for libhallmark-verify.  Software keys of every algorithm, a
 * transparency log (hm_tlog appender + memory store, checkpoints signed by a software
 * Ed25519 or P-256 key, optional witness cosignatures) and bundles carrying a tlog entry in
 * exactly the format hallmarkd writes (docs/formats.md "tlogEntries"), and signed trust
 * roots.  Failures abort: these build fixtures, the tests assert on what the library says.
 */
#ifndef HM_VT_H
#define HM_VT_H

#include <hm/verify.h>

#define VT_MAX_KEYS      8
#define VT_MAX_WITNESSES 4

struct vt_key; /* a software key pair */
struct vt_key *vt_key_new(enum hm_key_alg alg);
void vt_key_free(struct vt_key *k);
enum hm_key_alg vt_key_alg(const struct vt_key *k);
const char *vt_key_id(const struct vt_key *k);    /* base64(SHA-256(SPKI)) */
const char *vt_key_pem(const struct vt_key *k);   /* public key PEM */
char *vt_key_private_pem(const struct vt_key *k); /* PKCS#8 PEM, malloc'ed */
/* Signs msg as hm_pubkey_verify checks it (ECDSA DER, RSA-PSS salt 32); malloc'ed. */
uint8_t *vt_sign(const struct vt_key *k, const uint8_t *msg, size_t len, size_t *sig_len);

struct vt_log;
/* A log whose checkpoints are signed by a new key (HM_KEY_ED25519 or HM_KEY_EC_P256). */
struct vt_log *vt_log_new(enum hm_key_alg alg, const char *origin);
void vt_log_free(struct vt_log *log);
/* Adds a witness with a new Ed25519 cosignature key; returns its index. */
size_t vt_log_add_witness(struct vt_log *log, const char *name);
const char *vt_log_origin(const struct vt_log *log);
const uint8_t *vt_log_id(const struct vt_log *log); /* 32 bytes */
const struct vt_key *vt_log_key(const struct vt_log *log);
char *vt_log_vkey(const struct vt_log *log);                   /* malloc'ed */
char *vt_log_witness_vkey(const struct vt_log *log, size_t i); /* malloc'ed */
const char *vt_log_witness_name(const struct vt_log *log, size_t i);

/* What a bundle holds and how it is logged. */
struct vt_release {
    const char *product; /* default "acme-thermostat" */
    const char *channel; /* default "stable" */
    const char *version; /* default "1.4.2" */
    const void *image;   /* default "firmware image" */
    size_t image_len;
    int64_t signed_at; /* default 1795824000 (2026-11-28) */
    int64_t log_time;  /* hallmark.time and integratedTime; default signed_at + 1 */
    size_t filler_before, filler_after; /* other leaves around ours (default 0) */
    size_t extra_artifacts;             /* more subjects with 200-byte names, as many as fit
                                           in the 512 KiB statement up to this count */
    bool no_entry;                      /* tlogEntries: [] */
    uint64_t witness_mask;              /* which witnesses cosign (bit i: witness i) */
    bool corrupt_cosig;                 /* flip a bit in the first cosignature */
    /* Changes the leaf JSON before it is logged (the proof then covers the change). */
    void (*edit_leaf)(char *leaf, size_t len, void *ctx);
    void *edit_ctx;
};
/* A Sigstore bundle v0.3 of the release statement signed by signer, with the tlog entry of
 * log (log may be NULL: no entry).  NUL-terminated, malloc'ed. */
char *vt_bundle(const struct vt_key *signer, struct vt_log *log, const struct vt_release *r,
                size_t *len);

/* A trust root document. */
struct vt_root_key {
    const struct vt_key *key;
    const char *products; /* comma-separated; default "acme-thermostat" */
    int64_t from, until;  /* 0: absent */
    bool require_attestation;
};
struct vt_root {
    uint64_t version; /* default 1 */
    int64_t expires;  /* default 4102444800 (2100-01-01) */
    struct vt_root_key keys[VT_MAX_KEYS];
    size_t n_keys;
    struct vt_log *logs[4];
    size_t n_logs;
    bool logs_as_vkey;
    size_t witness_threshold; /* witnesses are those of logs[0] */
    const struct vt_key *root_keys[VT_MAX_KEYS];
    size_t n_root_keys;
    size_t root_threshold; /* default 1 */
};
char *vt_root_payload(const struct vt_root *r, size_t *len);
/* A DSSE envelope of the payload signed by every signer in turn (keyid = its id). */
char *vt_envelope(const char *payload, size_t len, const struct vt_key *const *signers, size_t n,
                  size_t *out_len);
/* vt_root_payload signed by the root's own root keys (the first root_threshold of them). */
char *vt_root_signed(const struct vt_root *r, size_t *len);
/* Parses a signed root; aborts if the library refuses it. */
struct hm_trustroot *vt_root_parse(const char *env, size_t len);

/* Replaces the first occurrence of from by to in a malloc'ed string (aborts if absent). */
char *vt_replace(char *s, const char *from, const char *to);
/* Writes a file; aborts on failure. */
void vt_write(const char *path, const void *buf, size_t len);

#endif

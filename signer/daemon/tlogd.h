/*
 * tlogd.h: hallmarkd's transparency log (docs/tlog.md): the "tlog" config section
 * (config_tlog.c), the log key and the sequencer's start (tlogd.c), leaves and bundle
 * entries (tlogd_leaf.c), key events (tlogd_keyev.c), record.c and log_routes.c.
 * Private to signer/daemon/.
 */
#ifndef HM_SIGNER_TLOGD_H
#define HM_SIGNER_TLOGD_H

#include <hm/tlog.h>

#include "hmd.h"

#define HMD_TLOG_DEFAULT_DELAY_MS 2
#define HMD_TLOG_DEFAULT_BATCH    256
#define HMD_TLOG_MAX_BATCH        1024 /* the store's records per transaction */
#define HMD_TLOG_ORIGIN_MAX       255

/* The "tlog" config section, parsed (config_tlog.c). */
struct hmd_tlog_cfg {
    char *origin;  /* the checkpoint origin line and the log key's note name */
    char *key_ref; /* as configured */
    char *key_uri; /* the pkcs11: URI given to hm_hsm_find_key */
    unsigned max_batch_delay_ms;
    unsigned max_batch;
};

/* Whether two "tlog" sections say the same (a change needs a restart). */
bool hmd_tlog_cfg_same(const struct hmd_tlog_cfg *a, const struct hmd_tlog_cfg *b);

/* The running log (tlogd.c): set once at start, read-only after. */
struct hmd_tlog {
    bool on;
    char *origin;
    struct hm_key *key; /* owned by the hsm */
    enum hm_tlog_sigtype type;
    uint8_t log_id[32]; /* logId.keyId (docs/formats.md section 7.1) */
    struct hm_tlog_verifier *verifier;
    struct hm_tlog_signer signer;
    char *vkey; /* the C2SP verifier key string */
    char *pem;  /* the log key's public key */
};
extern struct hmd_tlog hmd_tlog;

/* Everything a leaf says about one signed envelope (docs/formats.md section 7.2). */
struct hmd_leaf_in {
    const char *bundle; /* the bundle as hm_bundle_sign wrote it */
    size_t bundle_len;
    const char *signer_pem; /* the signing key's public key */
    const char *keyid;
    const char *predicate_type; /* NULL: read from the statement (key events: omitted) */
    const char *product, *channel, *version;
    bool with_subjects;
    const uint8_t *client_sha256; /* 32 bytes */
    int64_t time;
};
/* The leaf JSON (canonicalizedBody), written in the order of section 7.2. */
HM_MUST_CHECK hm_err hmd_leaf_build(const struct hmd_leaf_in *in, char **out, size_t *out_len);
/* The bundle with its tlogEntries[0] (section 7.1): a new malloc'ed string. */
HM_MUST_CHECK hm_err hmd_bundle_with_entry(const char *bundle, size_t bundle_len, const char *leaf,
                                           size_t leaf_len, uint64_t index, int64_t time,
                                           const struct hm_tlog_path *path, uint64_t size,
                                           const uint8_t root[HM_TLOG_HASH_LEN], const char *note,
                                           char **out, size_t *out_len);
/* A PEM "PUBLIC KEY" from SPKI DER (malloc'ed). */
HM_MUST_CHECK hm_err hmd_spki_pem(const uint8_t *der, size_t len, char **out);

/* Starts the log: finds the key, checks the stored tree against its checkpoint, hands the
 * sequencer to the store, logs a key event for every configured key without one.
 * A config without "tlog": the log stays off (a warning says so). */
HM_MUST_CHECK hm_err hmd_tlog_start(const struct hmd_config *cfg, char *why, size_t why_len);
void hmd_tlog_stop(void);
/* Logs a key event for every product key that has none yet (tlogd_keyev.c). */
HM_MUST_CHECK hm_err hmd_tlog_key_events(const struct hmd_config *cfg);
/* The key event of a key outside the config's products, logged before its first entry. */
HM_MUST_CHECK hm_err hmd_tlog_key_event_for(struct hm_key *key);
/* --check-config: the log key is on the token and is Ed25519 or P-256. */
HM_MUST_CHECK hm_err hmd_tlog_check(const struct hmd_config *cfg, struct hm_hsm *hsm, char *why,
                                    size_t why_len);

#endif /* HM_SIGNER_TLOGD_H */

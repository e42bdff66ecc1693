/*
 * tpm2_int.h: private to hsm/'s TPM 2.0 backend (tpm2-tss ESAPI).  docs/tpm.md says how
 * it works; the short version:
 *
 *  - one TCTI and one ESYS context per struct hm_hsm, used under one mutex (an ESYS
 *    context is not thread-safe, and a TPM runs one command at a time anyway);
 *  - an owner-hierarchy storage primary from a fixed template (the TCG provisioning
 *    guidance's ECC P-256 SRK), recreated after every (re)connect: the same template
 *    gives the same key, so saved blobs always load under it;
 *  - at most three transient objects at a time, the minimum a TPM has (swtpm has exactly
 *    three): the primary, one cached signing key, and one scratch object (the AK while
 *    certifying, a new key while making it persistent);
 *  - a TCTI failure (swtpm killed, socket gone) makes one thread rebuild the TCTI and the
 *    ESYS context with bounded backoff while every other caller gets HM_E_UNAVAILABLE;
 *  - tpm2-tss 3.2 gives every Esys_TR_FromTPMPublic of one persistent handle the same
 *    ESYS_TR within a context: closing it for one user closes it for all, so ESYS_TRs of
 *    persistent handles are never closed; they live as long as the ESYS context (one per
 *    handle we touched);
 *  - every signature is verified against the key's public key on the host before it
 *    leaves, so a stale handle can never produce a wrong signature.
 */
#ifndef HM_TPM2_INT_H
#define HM_TPM2_INT_H

#include <hm/keyevidence.h>
#include <pthread.h>
#include <time.h>

#include <openssl/evp.h>
#include <tss2/tss2_esys.h>

#include "hsm_int.h"

#define TPM2_URI_MAX       4096
#define TPM2_TCTI_MAX      512
#define TPM2_PATH_MAX      1024
#define TPM2_BLOB_MAX      4096 /* a key blob file */
#define TPM2_LABEL_MAX     64
#define TPM2_PERSIST_FIRST 0x81000000u /* owner persistent handles (TCG handle registry) */
#define TPM2_PERSIST_LAST  0x817FFFFFu
#define TPM2_MAX_LIST      64 /* persistent handles and blobs that list_keys looks at */

/* ---- URIs (tpm2_uri.c) ---- */

/*
 * tpm2:[handle=0x81000010|blob=/abs/key.tpm2][?tcti=...&auth-source=...&...]
 * Path attributes name a key; query attributes describe the TPM.  Values are
 * percent-decoded.  An auth value never travels in a URI (auth-value is refused).
 */
struct tpm2_uri {
    char *tcti;                    /* NULL: device:/dev/tpmrm0 */
    char *auth_source;             /* the keys' authValue; NULL: empty */
    char *owner_auth_source;       /* owner hierarchy; NULL: empty */
    char *endorsement_auth_source; /* endorsement hierarchy; NULL: empty */
    char *key_dir;                 /* where hm_hsm_generate_key writes LABEL.tpm2 */
    bool has_handle;
    uint32_t handle;
    char *blob;
};
HM_MUST_CHECK hm_err tpm2_uri_parse(const char *s, const char **reason, struct tpm2_uri **out);
void tpm2_uri_free(struct tpm2_uri *u);
/* "tpm2:blob=<path, percent-encoded where needed>"; *out malloc'ed. */
HM_MUST_CHECK hm_err tpm2_uri_format_blob(const char *path, char **out);

/* ---- the hsm ---- */

enum tpm2_state {
    TPM2_READY,
    TPM2_REOPENING, /* one thread is reconnecting; everyone else gets HM_E_UNAVAILABLE */
    TPM2_DOWN,      /* the last reconnection failed; a call after retry_after tries again */
};

/* Transient objects of an earlier connection, flushed after a reconnect when the TPM
 * still holds them (a dropped socket without a TPM restart leaves them loaded). */
#define TPM2_MAX_STALE 4
struct tpm2_stale {
    TPM2_HANDLE handle;
    TPM2B_NAME name; /* flushed only when the object there still has this name */
};

struct tpm2_hsm {
    struct hm_hsm pub;
    struct tpm2_uri *uri;
    struct hm_secret *auth;       /* the keys' authValue, for the life of the hsm */
    struct hm_secret *owner_auth; /* NULL: empty */
    struct hm_secret *endorsement_auth;

    pthread_mutex_t lock; /* held around every ESYS call and the fields below */
    enum tpm2_state state;
    struct timespec retry_after;
    unsigned budget_ms;
    TSS2_TCTI_CONTEXT *tcti;
    ESYS_CONTEXT *esys;
    ESYS_TR primary; /* ESYS_TR_NONE until created on this connection */
    TPM2B_NAME primary_name;
    struct hm_key *loaded; /* the blob key in the cache slot, or NULL */
    uint64_t gen;          /* bumped at each connect: key handles of older ones are stale */
    uint64_t esys_gen;     /* bumped at each Esys_Initialize: older ESYS_TRs are freed */
    struct tpm2_stale stale[TPM2_MAX_STALE];
    unsigned n_stale;
    bool busy;

    char manufacturer[5]; /* TPM2_PT_MANUFACTURER as text ("IBM", "IFX", ...) */
    uint32_t fw1, fw2;    /* TPM2_PT_FIRMWARE_VERSION_1/2 */
    bool rsa3072;         /* TPM2_TestParms accepted RSA 3072 */

    uint64_t sign_ok, sign_errors, reopens;
};

/* The backend part of a key. */
struct tpm2_key {
    bool persistent;
    TPM2_HANDLE handle; /* persistent keys */
    TPM2B_PUBLIC pub;   /* the public area (both kinds) */
    TPM2B_PRIVATE priv; /* blob keys: the wrapped private part */
    TPM2B_NAME name;    /* nameAlg || H(TPMT_PUBLIC) */
    ESYS_TR tr;         /* loaded (blob) or resolved (persistent) in generation gen */
    uint64_t gen;
    uint64_t esys_gen; /* the ESYS context tr belongs to */
    bool have_tr;
    EVP_PKEY *pkey; /* checks every signature before it leaves */
};

static inline struct tpm2_hsm *
tpm2_of(struct hm_hsm *hsm)
{
    return (struct tpm2_hsm *)hsm;
}

static inline struct tpm2_key *
tpm2_key_of(struct hm_key *key)
{
    return (struct tpm2_key *)key->be;
}

/* ---- connection, recovery and the executor (tpm2_conn.c) ---- */

/* Our own codes, in a layer tpm2-tss does not use. */
#define TPM2_HM_RC_LAYER       TSS2_RC_LAYER(0xe8)
#define TPM2_HM_RC_NOMEM       ((TSS2_RC)(TPM2_HM_RC_LAYER | 1u))
#define TPM2_HM_RC_KEY_CHANGED ((TSS2_RC)(TPM2_HM_RC_LAYER | 2u)) /* another key at the handle */
#define TPM2_HM_RC_BAD_OUTPUT  ((TSS2_RC)(TPM2_HM_RC_LAYER | 3u)) /* an answer we cannot use */

/* What TSS2_RC means for us. */
enum tpm2_rc_class {
    TPM2_RC_CLASS_OK,
    TPM2_RC_CLASS_LOST,   /* TCTI/transport failure: reconnect */
    TPM2_RC_CLASS_SLOTS,  /* out of object memory: flush our cache and retry once */
    TPM2_RC_CLASS_HANDLE, /* a stale object handle: reload the key and retry once */
    TPM2_RC_CLASS_FAIL,   /* this command failed; the connection is fine */
};
enum tpm2_rc_class tpm2_rc_classify(TSS2_RC rc);
/* The hm_err for a failed command (auth failures and lockout give HM_E_DENIED). */
hm_err tpm2_rc_err(TSS2_RC rc);
/* "tpm:error(2.0): authorization failure ..." (Tss2_RC_Decode: static storage). */
const char *tpm2_rc_text(TSS2_RC rc);

#define TPM2_RUN_SIGN     1u /* count the outcome in sign_ok / sign_errors */
#define TPM2_RUN_NO_RETRY 2u /* not idempotent (key creation): never run twice */

/* What tpm2_run runs with the lock held and a ready connection.  A failure that is not
 * a TSS2_RC goes into ctx; the return value is the TPM's answer. */
typedef TSS2_RC (*tpm2_op)(struct tpm2_hsm *h, void *ctx);
/* Runs op: a lost connection reconnects (bounded backoff, within the retry budget) and
 * op runs once more; full object memory flushes the cache and retries once. */
HM_MUST_CHECK hm_err tpm2_run(struct tpm2_hsm *h, tpm2_op op, void *ctx, unsigned flags,
                              const char *what);

/* Connects (TCTI, ESYS, Startup, properties, primary).  Called with the lock held, or
 * before anyone else can see h. */
HM_MUST_CHECK hm_err tpm2_connect(struct tpm2_hsm *h);
void tpm2_disconnect(struct tpm2_hsm *h);
/* Creates the storage primary on this connection unless it exists (lock held). */
TSS2_RC tpm2_ensure_primary(struct tpm2_hsm *h);

/* Sets the authValue of tr from s (NULL: empty); tpm2_auth_clear overwrites ESYS's copy. */
TSS2_RC tpm2_auth_set(struct tpm2_hsm *h, ESYS_TR tr, const struct hm_secret *s);
void tpm2_auth_clear(struct tpm2_hsm *h, ESYS_TR tr);
/* Flushes a transient object, ignoring failures (best effort, never leaks a slot we can
 * free). */
void tpm2_flush(struct tpm2_hsm *h, ESYS_TR *tr);
/* Drops the cached key from its slot. */
void tpm2_unload_cached(struct tpm2_hsm *h);

/* ---- keys (tpm2_keys.c, tpm2_pub.c) ---- */

/* The templates we create keys with (attributes in docs/tpm.md). */
void tpm2_template_key(enum hm_key_alg alg, TPM2B_PUBLIC *out);
void tpm2_template_srk(TPM2B_PUBLIC *out);
void tpm2_template_ak(TPM2B_PUBLIC *out);
/* Algorithm of a public area we sign with, or HM_E_INVALID. */
HM_MUST_CHECK hm_err tpm2_pub_alg(const TPMT_PUBLIC *p, enum hm_key_alg *out);
/* SPKI DER of a public area. */
HM_MUST_CHECK hm_err tpm2_pub_spki(const TPMT_PUBLIC *p, uint8_t **out, size_t *out_len);
/* nameAlg || H(marshalled TPMT_PUBLIC). */
HM_MUST_CHECK hm_err tpm2_pub_name(const TPMT_PUBLIC *p, TPM2B_NAME *out);
/* Marshalled TPMT_PUBLIC (malloc'ed). */
HM_MUST_CHECK hm_err tpm2_pub_marshal(const TPMT_PUBLIC *p, uint8_t **out, size_t *len);

/* Blob files: "HMTPM2K1", label, TPM2B_PUBLIC, TPM2B_PRIVATE (docs/tpm.md). */
HM_MUST_CHECK hm_err tpm2_blob_write(const char *path, const char *label, const TPM2B_PUBLIC *pub,
                                     const TPM2B_PRIVATE *priv);
HM_MUST_CHECK hm_err tpm2_blob_read(const char *path, char *label, size_t label_size,
                                    TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv);

/* Builds an hm_key (not yet registered) from a public area. */
HM_MUST_CHECK hm_err tpm2_key_new(struct tpm2_hsm *h, const TPM2B_PUBLIC *pub,
                                  const TPM2B_PRIVATE *priv, bool persistent, TPM2_HANDLE handle,
                                  const char *label, const char *uri, struct hm_key **out);
/* Makes key usable on this connection (lock held): loads a blob key into the cache slot,
 * resolves a persistent handle. */
TSS2_RC tpm2_key_ready(struct tpm2_hsm *h, struct hm_key *key, ESYS_TR *out);

HM_MUST_CHECK hm_err tpm2_op_find_key(struct hm_hsm *hsm, const char *uri, struct hm_key **out);
HM_MUST_CHECK hm_err tpm2_op_list_keys(struct hm_hsm *hsm, struct hm_key ***keys, size_t *n);
HM_MUST_CHECK hm_err tpm2_op_generate_key(struct hm_hsm *hsm, enum hm_key_alg alg,
                                          const char *label, struct hm_key **out);
HM_MUST_CHECK hm_err tpm2_op_sign(struct hm_key *key, const uint8_t *in, size_t len, uint8_t *sig,
                                  size_t *sig_len);
HM_MUST_CHECK hm_err tpm2_op_get_attrs(struct hm_key *key, struct hm_key_attrs *out);
void tpm2_op_key_free(struct hm_key *key);
/* Generates a key as a blob at blob_path, or persistent at handle (blob_path NULL). */
HM_MUST_CHECK hm_err tpm2_generate(struct tpm2_hsm *h, enum hm_key_alg alg, const char *label,
                                   const char *blob_path, uint32_t handle, struct hm_key **out);

/* ---- key attestation (keyattest_tpm2*.c) ---- */

/* The AK (tpm2_template_ak) as an endorsement primary in a free slot (lock held). */
TSS2_RC tpm2_create_ak(struct tpm2_hsm *h, ESYS_TR *ak, TPM2B_PUBLIC **pub);
/* hm_key_attest for a TPM key. */
HM_MUST_CHECK hm_err tpm2_attest_key(struct hm_key *key, const uint8_t *nonce, size_t nonce_len,
                                     struct hm_keyatt **out);
/* The same for whatever object sits at a persistent handle, even one hm_hsm_find_key
 * refuses (tests use it to show that the verifier refuses such keys); spki is left empty. */
HM_MUST_CHECK hm_err tpm2_attest_handle(struct hm_hsm *hsm, uint32_t handle, const uint8_t *nonce,
                                        size_t nonce_len, struct hm_keyatt **out);
/* hm_tpm2_activate_credential. */
HM_MUST_CHECK hm_err tpm2_activate(struct hm_hsm *hsm, const uint8_t *challenge, size_t len,
                                   struct hm_secret **out);

/* Whether hsm is a TPM (hm_tpm2_open, the entry point, is declared in hsm_int.h). */
bool tpm2_is(const struct hm_hsm *hsm);

/* Monotonic time helpers (the same as the PKCS#11 backend's). */
struct timespec tpm2_now(void);
struct timespec tpm2_after_ms(struct timespec t, unsigned ms);
bool tpm2_before(struct timespec a, struct timespec b);

#endif /* HM_TPM2_INT_H */

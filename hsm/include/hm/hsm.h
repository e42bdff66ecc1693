/*
 * hm/hsm.h: signing keys that live in an HSM (PKCS#11) or, later, a TPM 2.0.
 *
 * A struct hm_hsm is one token: one C_Initialize, one login, a pool of sessions.
 * A struct hm_key is a key pair found on it, with its public key cached.  Keys are
 * named by RFC 7512 URIs:
 *
 *   pkcs11:token=hallmark;object=fw-p256?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/s/user.pin
 *
 * Path attributes: token, manufacturer, serial, model, object, id, type (private).
 * Query attributes: module-path, pin-source ("file:PATH", a plain PATH, or our
 * extension "env:NAME"), pin-value is refused (a PIN never travels in a URI).
 *
 * Thread safety: hm_key_sign*() may be called from many threads at once; each call
 * borrows a session from the pool.  Everything else is for one thread at a time.
 */
#ifndef HM_HSM_H
#define HM_HSM_H

#include <hm/common.h>

struct hm_hsm;
struct hm_key;

enum hm_sig_enc {
    HM_SIG_DER = 0, /* ECDSA as ASN.1 DER (Sigstore, DSSE, X.509); others unchanged */
    HM_SIG_RAW = 1, /* ECDSA as fixed-size r||s (PKCS#11, COSE, bootloaders) */
};

struct hm_hsm_opts {
    unsigned sessions;        /* size of the session pool; 0 means 1 */
    unsigned retry_budget_ms; /* total time spent re-opening before giving up; 0 = 5000 */
};

/* Opens the token that a pkcs11: URI names (object/id attributes are ignored here),
 * loads the module, logs in with the PIN from pin-source and wipes the PIN. */
HM_MUST_CHECK hm_err hm_hsm_open(const char *uri, const struct hm_hsm_opts *opts,
                                 struct hm_hsm **out);
void hm_hsm_close(struct hm_hsm *hsm);

/* Finds the key pair that uri names on this token (object and/or id).  The key is owned
 * by hsm and valid until hm_hsm_close.  HM_E_NOTFOUND if none, HM_E_INVALID if the
 * URI matches more than one private key. */
HM_MUST_CHECK hm_err hm_hsm_find_key(struct hm_hsm *hsm, const char *uri, struct hm_key **out);

/* Generates a key pair on the token: CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not
 * CKA_EXTRACTABLE, CKA_SIGN only.  HM_E_CONFLICT if a key with that label exists. */
HM_MUST_CHECK hm_err hm_hsm_generate_key(struct hm_hsm *hsm, enum hm_key_alg alg, const char *label,
                                         struct hm_key **out);

/* All key pairs on the token that we can use (private key with a matching public key
 * or CKA_EC_POINT / modulus readable).  The array is malloc'ed; the keys are owned by
 * hsm.  Keys of unsupported types are skipped. */
HM_MUST_CHECK hm_err hm_hsm_list_keys(struct hm_hsm *hsm, struct hm_key ***keys, size_t *n);

/* Signs msg as the key's algorithm defines (see enum hm_key_alg).  *sig is malloc'ed. */
HM_MUST_CHECK hm_err hm_key_sign(struct hm_key *key, const uint8_t *msg, size_t len,
                                 enum hm_sig_enc enc, uint8_t **sig, size_t *sig_len);
/* Signs a digest computed by the caller (ECDSA and RSA-PSS only; the digest length
 * must be the algorithm's: 32 for P-256 and RSA-PSS, 48 for P-384).  Ed25519 gives
 * HM_E_INVALID. */
HM_MUST_CHECK hm_err hm_key_sign_digest(struct hm_key *key, const uint8_t *digest, size_t len,
                                        enum hm_sig_enc enc, uint8_t **sig, size_t *sig_len);

enum hm_key_alg hm_key_alg(const struct hm_key *key);
/* DER SubjectPublicKeyInfo; valid as long as the key. */
void hm_key_spki(const struct hm_key *key, const uint8_t **der, size_t *len);
/* base64(SHA-256(SPKI DER)): the Sigstore publicKey.hint and the DSSE keyid. */
const char *hm_key_id(const struct hm_key *key);
const char *hm_key_label(const struct hm_key *key);
/* CKA_ID as lowercase hex ("" when the key has none). */
const char *hm_key_id_hex(const struct hm_key *key);
/* A pkcs11: URI that names this key (token, object, id; no PIN, no module path). */
const char *hm_key_uri(const struct hm_key *key);

/* The PKCS#11 attributes that tell whether the key can leave the token. */
struct hm_key_attrs {
    bool token, private_, sensitive, always_sensitive, extractable, never_extractable, local;
};
HM_MUST_CHECK hm_err hm_key_get_attrs(struct hm_key *key, struct hm_key_attrs *out);

/* Health and counters for /readyz and /metrics. */
struct hm_hsm_stats {
    bool ready;             /* logged in and not re-opening */
    unsigned sessions;      /* pool size */
    unsigned sessions_busy; /* borrowed right now */
    uint64_t sign_ok;
    uint64_t sign_errors; /* C_Sign* failures seen, whatever the cause */
    uint64_t reopens;     /* successful re-initialisations */
};
void hm_hsm_get_stats(struct hm_hsm *hsm, struct hm_hsm_stats *out);

/*
 * SoftHSM2 token set-up for `hallmark keys init`: writes STATE/softhsm2.conf and
 * STATE/tokens/, sets SOFTHSM2_CONF for this process, initialises a token with label
 * via C_InitToken / C_InitPIN (the PINs never appear on a command line), and writes
 * random user and SO PINs to STATE/user.pin and STATE/so.pin (0600, O_EXCL).  Refuses
 * when STATE already holds a token (HM_E_CONFLICT).  module_path NULL means SoftHSM2's
 * Debian path.
 */
HM_MUST_CHECK hm_err hm_softhsm_init_token(const char *state_dir, const char *label,
                                           const char *module_path);
/* If STATE/softhsm2.conf exists and SOFTHSM2_CONF is unset, sets it (for the CLI and
 * the daemon, so that a token made by hm_softhsm_init_token is found). */
void hm_softhsm_use_state(const char *state_dir);

#define HM_SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"

#endif /* HM_HSM_H */

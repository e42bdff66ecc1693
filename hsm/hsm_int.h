/*
 * hsm_int.h: private to hsm/.  The generic key object, the backend ops table that a
 * TPM backend can join later, and the RFC 7512 URI parser.
 */
#ifndef HM_HSM_INT_H
#define HM_HSM_INT_H

#include <hm/hsm.h>

/* ---- RFC 7512 pkcs11: URIs ---- */

#define HM_P11_URI_MAX    4096 /* whole URI, bytes */
#define HM_P11_TOKEN_MAX  32   /* CK_TOKEN_INFO label and manufacturerID */
#define HM_P11_SERIAL_MAX 16   /* CK_TOKEN_INFO serialNumber and model */
#define HM_P11_OBJECT_MAX 256  /* CKA_LABEL */
#define HM_P11_ID_MAX     128  /* CKA_ID bytes */
#define HM_P11_PATH_MAX   1024 /* module-path, pin-source */

enum hm_p11_type {
    HM_P11_TYPE_ANY = 0,
    HM_P11_TYPE_PUBLIC,
    HM_P11_TYPE_PRIVATE,
    HM_P11_TYPE_CERT,
    HM_P11_TYPE_SECRET_KEY,
    HM_P11_TYPE_DATA,
};

struct hm_p11_uri {
    char *token; /* NULL when absent; decoded, NUL-free, valid UTF-8 */
    char *manufacturer;
    char *serial;
    char *model;
    char *object;
    uint8_t *id; /* decoded bytes; has_id tells presence (an empty id is refused) */
    size_t id_len;
    bool has_id;
    enum hm_p11_type type;
    char *module_path;
    char *pin_source;
};

/* Parses a pkcs11: URI strictly.  *reason (static text, never a value from the URI) says
 * what was wrong.  HM_E_INVALID for malformed input, an unknown attribute, a duplicate or
 * pin-value; HM_E_LIMIT when the URI or a value is too long. */
HM_MUST_CHECK hm_err hm_p11_uri_parse(const char *s, const char **reason, struct hm_p11_uri **out);
void hm_p11_uri_free(struct hm_p11_uri *u);
/* A label we can name in a URI and log: 1..max bytes of UTF-8 without control chars. */
bool hm_p11_text_ok(const char *s, size_t max);
/* "pkcs11:token=..;object=..;id=%.." with every byte outside the unreserved set
 * percent-encoded; NULL/empty parts are left out. *out is malloc'ed. */
HM_MUST_CHECK hm_err hm_p11_uri_format_key(const char *token, const char *object, const uint8_t *id,
                                           size_t id_len, char **out);

/* ---- keys and backends ---- */

struct hm_hsm_ops {
    const char *name;
    hm_err (*find_key)(struct hm_hsm *hsm, const char *uri, struct hm_key **out);
    hm_err (*generate_key)(struct hm_hsm *hsm, enum hm_key_alg alg, const char *label,
                           struct hm_key **out);
    hm_err (*list_keys)(struct hm_hsm *hsm, struct hm_key ***keys, size_t *n);
    /* in is the digest (ECDSA, RSA-PSS) or the message (Ed25519); sig has room for
     * key->sig_max bytes; ECDSA comes back as raw r||s. */
    hm_err (*sign)(struct hm_key *key, const uint8_t *in, size_t len, uint8_t *sig,
                   size_t *sig_len);
    hm_err (*get_attrs)(struct hm_key *key, struct hm_key_attrs *out);
    void (*get_stats)(struct hm_hsm *hsm, struct hm_hsm_stats *out);
    void (*key_free)(struct hm_key *key); /* the backend part only */
    void (*close)(struct hm_hsm *hsm);
};

/* A backend embeds this as the first member of its own state. */
struct hm_hsm {
    const struct hm_hsm_ops *ops;
    struct hm_key *keys; /* every key handed out, owned here until hm_hsm_close */
};

struct hm_key {
    struct hm_hsm *hsm;
    struct hm_key *next;
    enum hm_key_alg alg;
    uint8_t *spki;
    size_t spki_len;
    char *id;     /* base64(SHA-256(SPKI)) */
    char *label;  /* "" when none */
    char *id_hex; /* CKA_ID as hex, "" when none */
    char *uri;
    uint8_t *ckid;
    size_t ckid_len;
    size_t sig_max; /* raw signature size */
    void *be;       /* the backend's part */
};

/* Builds the generic part of a key from its SPKI (which fixes alg's parameters). */
HM_MUST_CHECK hm_err hm_key_new(struct hm_hsm *hsm, enum hm_key_alg alg, const uint8_t *spki,
                                size_t spki_len, const char *label, const uint8_t *ckid,
                                size_t ckid_len, const char *uri, struct hm_key **out);
/* Frees a key that was never registered. */
void hm_key_discard(struct hm_key *key);
/* Hands key to hsm.  When hsm already holds the same key (label, CKA_ID and SPKI), key
 * is freed and the existing one is returned: finding a key twice gives one object. */
struct hm_key *hm_key_register(struct hm_hsm *hsm, struct hm_key *key);

/* SPKI DER from raw public key parts (OpenSSL does the encoding). */
HM_MUST_CHECK hm_err hm_spki_from_ec(enum hm_key_alg alg, const uint8_t *point, size_t len,
                                     uint8_t **out, size_t *out_len);
HM_MUST_CHECK hm_err hm_spki_from_rsa(const uint8_t *n, size_t n_len, const uint8_t *e,
                                      size_t e_len, uint8_t **out, size_t *out_len);
/* ECDSA raw r||s (2*flen bytes) to DER. */
HM_MUST_CHECK hm_err hm_ecdsa_raw_to_der(const uint8_t *raw, size_t len, uint8_t **out,
                                         size_t *out_len);

/* The PKCS#11 backend. */
HM_MUST_CHECK hm_err hm_p11_open(const char *uri, const struct hm_hsm_opts *opts,
                                 struct hm_hsm **out);
/* The TPM 2.0 backend (tpm2_*.c; built when tpm2-tss is found: HM_HAVE_TPM2). */
HM_MUST_CHECK hm_err hm_tpm2_open(const char *uri, const struct hm_hsm_opts *opts,
                                  struct hm_hsm **out);

#endif /* HM_HSM_INT_H */

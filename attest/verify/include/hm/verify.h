/*
 * hm/verify.h: libhallmark-verify, the device-side verifier.
 *
 * Offline and strict: parses Sigstore bundles v0.3 holding a DSSE envelope of an
 * in-toto Statement v1, checks the signature over the exact PAE bytes, then reads
 * the statement from the verified bytes only.  It depends on OpenSSL libcrypto and
 * cJSON and on nothing of hsm/, signer/ or a database.  No global state: every call
 * is thread-safe.
 */
#ifndef HM_VERIFY_H
#define HM_VERIFY_H

#include <hm/common.h>

#define HM_PAYLOAD_TYPE_INTOTO "application/vnd.in-toto+json"
#define HM_BUNDLE_MEDIA_TYPE   "application/vnd.dev.sigstore.bundle.v0.3+json"
#define HM_STATEMENT_TYPE_V1   "https://in-toto.io/Statement/v1"
/* Our release predicate (docs/formats.md). */
#define HM_PREDICATE_RELEASE "https://hallmark.dev/attestation/release/v1"

/* Hard limits (docs/formats.md lists them). */
#define HM_BUNDLE_MAX_BYTES  (1u << 20) /* 1 MiB */
#define HM_PAYLOAD_MAX_BYTES (512u << 10)
#define HM_JSON_MAX_DEPTH    32
#define HM_MAX_SUBJECTS      1024
#define HM_MAX_SIG_BYTES     1024

/* ---- public keys ---- */
struct hm_pubkey;
HM_MUST_CHECK hm_err hm_pubkey_from_pem(const void *pem, size_t len, struct hm_pubkey **out);
HM_MUST_CHECK hm_err hm_pubkey_from_spki(const uint8_t *der, size_t len, struct hm_pubkey **out);
void hm_pubkey_free(struct hm_pubkey *pk);
enum hm_key_alg hm_pubkey_alg(const struct hm_pubkey *pk);
/* base64(SHA-256(SPKI DER)) */
const char *hm_pubkey_keyid(const struct hm_pubkey *pk);
void hm_pubkey_spki(const struct hm_pubkey *pk, const uint8_t **der, size_t *len);
/* PEM text of the SPKI ("-----BEGIN PUBLIC KEY-----"); *out malloc'ed, NUL-terminated. */
HM_MUST_CHECK hm_err hm_pubkey_to_pem(const struct hm_pubkey *pk, char **out);
/* Verifies sig over msg with the key's algorithm (see enum hm_key_alg; ECDSA in DER).
 * HM_OK or HM_E_VERIFY. */
HM_MUST_CHECK hm_err hm_pubkey_verify(const struct hm_pubkey *pk, const uint8_t *msg, size_t len,
                                      const uint8_t *sig, size_t sig_len);

/* ---- DSSE ---- */
/* PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body */
HM_MUST_CHECK hm_err hm_dsse_pae(const char *type, size_t type_len, const uint8_t *body,
                                 size_t body_len, uint8_t **out, size_t *out_len);

struct hm_dsse_signature {
    char *keyid; /* NULL when absent */
    uint8_t *sig;
    size_t sig_len;
};
struct hm_dsse {
    char *payload_type;
    uint8_t *payload;
    size_t payload_len;
    struct hm_dsse_signature *sigs;
    size_t n_sigs;
};
/* Parses a DSSE envelope JSON document (standard or URL-safe base64). */
HM_MUST_CHECK hm_err hm_dsse_parse(const uint8_t *json, size_t len, struct hm_dsse **out);
/* The same, writing a one-line reason naming the JSON path on failure (why may be NULL). */
HM_MUST_CHECK hm_err hm_dsse_parse_why(const uint8_t *json, size_t len, struct hm_dsse **out,
                                       char *why, size_t why_len);
void hm_dsse_free(struct hm_dsse *env);

/* ---- Sigstore bundle ---- */
struct hm_bundle {
    char *media_type;
    char *hint;            /* verificationMaterial.publicKey.hint (our profile requires it) */
    struct hm_dsse *dsse;  /* the envelope (bundles with messageSignature are refused) */
    size_t n_tlog_entries; /* tlogEntries are parsed by the transparency-log issue */
};
/* Parses a bundle strictly.  On failure, if why is not NULL, writes a one-line reason. */
HM_MUST_CHECK hm_err hm_bundle_parse(const uint8_t *json, size_t len, struct hm_bundle **out,
                                     char *why, size_t why_len);
void hm_bundle_free(struct hm_bundle *b);

/* ---- in-toto Statement v1 ---- */
struct hm_subject {
    char *name;
    bool has_sha256, has_sha512;
    uint8_t sha256[HM_SHA256_LEN];
    uint8_t sha512[HM_SHA512_LEN];
};
struct hm_release_pred { /* HM_PREDICATE_RELEASE, the fields a device needs */
    char *product;
    char *channel; /* NULL when absent */
    char *version;
    char *support_end; /* "YYYY-MM-DD"; NULL when absent */
    bool has_sbom_sha256;
    uint8_t sbom_sha256[HM_SHA256_LEN];
};
struct hm_statement {
    char *predicate_type;
    struct hm_subject *subjects;
    size_t n_subjects;
    struct hm_release_pred *release; /* set when predicate_type is HM_PREDICATE_RELEASE */
};
HM_MUST_CHECK hm_err hm_statement_parse(const uint8_t *payload, size_t len,
                                        struct hm_statement **out, char *why, size_t why_len);
void hm_statement_free(struct hm_statement *st);

/* ---- one call for a device or `hallmark verify` ---- */
enum hm_verify_status {
    HM_V_OK = 0,
    HM_V_MALFORMED_BUNDLE,    /* not a bundle we accept: syntax, types, media type */
    HM_V_LIMITS_EXCEEDED,     /* too big or too deep */
    HM_V_WRONG_PAYLOAD_TYPE,  /* payloadType is not application/vnd.in-toto+json */
    HM_V_UNKNOWN_KEY,         /* keyid / hint do not name the key we trust */
    HM_V_BAD_SIGNATURE,       /* the signature does not verify over the PAE */
    HM_V_MALFORMED_STATEMENT, /* signed payload is not a statement we accept */
    HM_V_WRONG_PREDICATE,     /* predicateType is not the one expected */
    HM_V_NOT_A_SUBJECT,       /* an artifact is not among the subjects */
    HM_V_DIGEST_MISMATCH,     /* a subject of that name has another digest */
    HM_V_WRONG_PRODUCT,       /* statement is for another product */
    HM_V_ROLLBACK,            /* version not newer than the installed one */
};
const char *hm_verify_status_name(enum hm_verify_status st); /* "bad-signature", ... */

struct hm_verify_artifact {
    const char *name; /* file name as the user gave it; matched against subject names for
                         a clearer reason only: matching itself is by digest */
    struct hm_digests digests;
};
struct hm_verify_opts {
    const char *expect_predicate;  /* NULL: HM_PREDICATE_RELEASE */
    const char *product;           /* NULL: any */
    const char *installed_version; /* NULL: no rollback check */
};
struct hm_verify_result {
    enum hm_verify_status status;
    char detail[256]; /* the precise reason, for people */
    char keyid[64];   /* the key that verified */
    char product[128];
    char channel[65];  /* up to 64 characters ([a-z0-9][a-z0-9._-]{0,63}) and the NUL */
    char version[129]; /* up to 128 bytes and the NUL */
    char support_end[16];
    size_t n_subjects;
    size_t n_artifacts_matched;
};
/* Verifies bundle bytes against one trusted key and the artifacts' digests.  Returns
 * HM_OK when the check ran (the verdict is in out->status), or an error when it could
 * not run (HM_E_NOMEM, HM_E_INTERNAL; HM_E_INVALID for no key or no artifact: n_arts
 * must be >= 1, a bundle is only ever checked against what it is to vouch for).  On an
 * error out->status is never HM_V_OK. */
HM_MUST_CHECK hm_err hm_verify_bundle_key(const uint8_t *bundle, size_t len,
                                          const struct hm_pubkey *key,
                                          const struct hm_verify_artifact *arts, size_t n_arts,
                                          const struct hm_verify_opts *opts,
                                          struct hm_verify_result *out);

#endif /* HM_VERIFY_H */

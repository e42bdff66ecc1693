/*
 * hm/verify.h: libhallmark-verify, the device-side verifier.
 *
 * Offline and strict: parses Sigstore bundles v0.3 holding a DSSE envelope of an
 * in-toto Statement v1, checks the signature over the exact PAE bytes, then reads
 * the statement from the verified bytes only.  hm_verify_bundle checks a bundle as a
 * device does, against a signed, rotatable trust root (docs/trust-root.md): key scope and
 * validity, the transparency-log entry (docs/formats.md §7), image digests, product and
 * anti-rollback (docs/verify-library.md).  It depends on OpenSSL libcrypto and cJSON and
 * on nothing of hsm/, signer/ or a database.  No global state: every call is thread-safe.
 * Installed with hm/common.h as libhallmark-verify (pkg-config / find_package
 * hallmark-verify).
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
    size_t n_tlog_entries; /* verificationMaterial.tlogEntries: counted here, read strictly
                              (docs/formats.md "tlogEntries") by hm_verify_bundle only, so
                              that the key-only check keeps its behaviour */
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
    int64_t signed_at; /* predicate.signedAt: the signer's clock, not a trusted time */
    /* CRA product facts (docs/formats.md section 4); NULL when absent */
    char *manufacturer;     /* printable ASCII, 1..256 bytes */
    char *security_contact; /* printable ASCII, 1..256 bytes (an email address or https URL) */
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
    /* hm_verify_bundle (trust root) only; docs/verify-library.md says what to do */
    HM_V_KEY_NOT_VALID,          /* the key may not sign this product, or not at that time */
    HM_V_LOG_PROOF_INVALID,      /* no log entry, or it does not prove this envelope logged */
    HM_V_CHECKPOINT_SIG_INVALID, /* the checkpoint is not signed by a log of the trust root */
    HM_V_WITNESS_THRESHOLD,      /* fewer witness cosignatures than witnessThreshold */
    HM_V_TRUST_ROOT_EXPIRED,     /* now (when known) is past the trust root's expires */
    /* steward attestations (hm_verify_steward_*) only */
    HM_V_ATTESTATION_EXPIRED, /* now is not before its expires (or before timeAssessed) */
    HM_V_WRONG_PROJECT,       /* it is about another project (name or purl) */
    HM_V_VERSION_NOT_COVERED, /* the project's version is not among versionsCovered */
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
    /* Filled by hm_verify_bundle only (hm_verify_bundle_key leaves them zero). */
    bool has_sbom_sha256;
    uint8_t sbom_sha256[HM_SHA256_LEN];
    bool time_checked;     /* false: now was 0 (unknown), the expiry checks were skipped */
    int64_t signed_at;     /* the signing time the key's validity window was checked at */
    bool signed_at_logged; /* true: the log's time (hallmark.time of the verified entry);
                              false: the statement's signedAt (the signer's own claim) */
    bool logged;           /* a transparency-log entry verified */
    uint64_t log_index;
    uint64_t log_tree_size; /* size of the checkpoint the proof reached */
    char log_origin[256];
    size_t n_witnesses; /* distinct trusted witnesses whose cosignature verified */
    /* CRA product facts of the release, from the verified statement ("" when absent);
     * with product, version, support_end and sbom_sha256 above, the six of docs/formats.md
     * section 4 */
    char manufacturer[257];
    char security_contact[257];
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

/* ==== trust root (docs/trust-root.md, docs/schemas/trust-root-v1.schema.json) ==== */

/*
 * A trust root is a DSSE envelope whose payload (payloadType HM_TRUSTROOT_MEDIA_TYPE) is
 * the root document: signing keys with their products and validity windows, log keys,
 * witnesses and a witness threshold, and the root keys with the threshold that must sign
 * the next version.  Rotation is TUF's: version N+1 is accepted only when it is exactly
 * N+1 and signed by rootThreshold of root N's rootKeys and by its own rootThreshold of its
 * own rootKeys.  A parsed root is immutable: share one between threads.
 */
#define HM_TRUSTROOT_MEDIA_TYPE    "application/vnd.hallmark.trust-root.v1+json"
#define HM_TRUSTROOT_MAX_BYTES     (512u << 10) /* the envelope file */
#define HM_TRUSTROOT_PAYLOAD_MAX   (256u << 10) /* the root document */
#define HM_TRUSTROOT_MAX_KEYS      64
#define HM_TRUSTROOT_MAX_PRODUCTS  64 /* per signing key */
#define HM_TRUSTROOT_MAX_LOGS      8
#define HM_TRUSTROOT_MAX_WITNESSES 32
#define HM_TRUSTROOT_MAX_ROOT_KEYS 16
#define HM_TRUSTROOT_MAX_ORIGIN    255

struct hm_trustroot;

enum hm_trustroot_status {
    HM_TR_OK = 0,
    HM_TR_MALFORMED,       /* not a trust root we accept: syntax, types, keys, media type */
    HM_TR_LIMITS_EXCEEDED, /* too big, too deep, too many entries */
    HM_TR_OLD_THRESHOLD,   /* fewer than the current root's rootThreshold of its keys signed */
    HM_TR_NEW_THRESHOLD,   /* fewer than its own rootThreshold of its own rootKeys signed */
    HM_TR_WRONG_VERSION,   /* version is not exactly the current one + 1 */
    HM_TR_EXPIRED,         /* expires is not later than now */
};
struct hm_trustroot_reason {
    enum hm_trustroot_status status;
    char detail[256]; /* one line, naming the JSON path or the keys that were missing */
};
const char *hm_trustroot_status_name(enum hm_trustroot_status st); /* "old-threshold", ... */

/* The first root, from the device image (trusted on first use): it must be well formed and
 * signed by its own rootThreshold of its own rootKeys.  HM_OK and *out, or HM_E_INVALID /
 * HM_E_LIMIT / HM_E_VERIFY with the reason in *why (may be NULL); HM_E_NOMEM.  Expiry is
 * not checked here (a device may not know the time): hm_verify_bundle checks it. */
HM_MUST_CHECK hm_err hm_trustroot_parse(const uint8_t *buf, size_t len, struct hm_trustroot **out,
                                        struct hm_trustroot_reason *why);
/* Root N+1 from the bytes of its envelope, given root N.  now: unix seconds, 0 when unknown
 * (then expiry is not checked).  To walk N -> N+k, update one version at a time and pass now
 * only for the last one: TUF checks expiry once, after the chain (spec 5.3.10).  HM_OK and
 * *next (current is left unchanged: the caller frees it once it has stored the new bytes), or
 * HM_E_VERIFY (thresholds, version, expiry) / HM_E_INVALID / HM_E_LIMIT with the reason. */
HM_MUST_CHECK hm_err hm_trustroot_update(const struct hm_trustroot *current, const uint8_t *buf,
                                         size_t len, int64_t now, struct hm_trustroot **next,
                                         struct hm_trustroot_reason *why);
void hm_trustroot_free(struct hm_trustroot *tr);

struct hm_trustroot_key_info {
    const char *keyid; /* base64(SHA-256(SPKI DER)) */
    enum hm_key_alg alg;
    const struct hm_pubkey *key;
    int64_t valid_from;  /* INT64_MIN when the root gives none */
    int64_t valid_until; /* INT64_MAX when the root gives none */
    const char *const *products;
    size_t n_products;
    bool require_attestation;
};
struct hm_trustroot_log_info {
    const char *origin;            /* checkpoint origin = note key name */
    uint8_t log_id[HM_SHA256_LEN]; /* Ed25519: SHA-256(origin "\n" 0x01 pk); P-256: SHA-256(SPKI) */
    enum hm_key_alg alg;           /* HM_KEY_ED25519 or HM_KEY_EC_P256 */
};
uint64_t hm_trustroot_version(const struct hm_trustroot *tr);
int64_t hm_trustroot_expires(const struct hm_trustroot *tr);
size_t hm_trustroot_key_count(const struct hm_trustroot *tr);
void hm_trustroot_key(const struct hm_trustroot *tr, size_t i, struct hm_trustroot_key_info *out);
size_t hm_trustroot_log_count(const struct hm_trustroot *tr);
void hm_trustroot_log(const struct hm_trustroot *tr, size_t i, struct hm_trustroot_log_info *out);
size_t hm_trustroot_witness_count(const struct hm_trustroot *tr);
const char *hm_trustroot_witness_name(const struct hm_trustroot *tr, size_t i);
size_t hm_trustroot_witness_threshold(const struct hm_trustroot *tr);
size_t hm_trustroot_root_key_count(const struct hm_trustroot *tr);
const char *hm_trustroot_root_keyid(const struct hm_trustroot *tr, size_t i);
size_t hm_trustroot_root_threshold(const struct hm_trustroot *tr);
/* The verified root document (the DSSE payload), byte for byte. */
const uint8_t *hm_trustroot_payload(const struct hm_trustroot *tr, size_t *len);

/* ==== the transparency-log leaf (docs/formats.md "tlogEntries") ==== */

/* canonicalizedBody: Rekor's "dsse" 0.0.1 kind plus our "hallmark" member for monitors. */
#define HM_LEAF_MAX_BYTES (256u << 10)
struct hm_dsse_leaf_subject {
    char *name; /* NULL when absent */
    uint8_t sha256[HM_SHA256_LEN];
};
struct hm_dsse_leaf {
    uint8_t payload_sha256[HM_SHA256_LEN]; /* spec.payloadHash: SHA-256 of the DSSE payload */
    uint8_t *sig;                          /* spec.signatures[0].signature, decoded */
    size_t sig_len;
    uint8_t *verifier_spki; /* spec.signatures[0].verifier: the DER inside the PEM */
    size_t verifier_spki_len;
    /* hallmark (v 1): keyid, client and time always; the rest when the entry has them */
    char *keyid;
    char *predicate_type, *product, *channel, *version;
    struct hm_dsse_leaf_subject *subjects;
    size_t n_subjects;
    uint8_t client_sha256[HM_SHA256_LEN]; /* SHA-256 of the client identity */
    int64_t time;                         /* hallmark.time: when the log took the entry */
};
HM_MUST_CHECK hm_err hm_dsse_leaf_parse(const uint8_t *body, size_t len, struct hm_dsse_leaf **out,
                                        char *why, size_t why_len);
void hm_dsse_leaf_free(struct hm_dsse_leaf *leaf);

/* ==== verification against a trust root (docs/verify-library.md) ==== */

enum hm_image_source {
    HM_IMAGE_DIGEST = 1, /* the caller hashed it: sha256 and/or sha512 below */
    HM_IMAGE_PATH,       /* opened read-only, hashed as a stream (64 KiB at a time), closed */
    HM_IMAGE_FD,         /* read from its current offset to the end; not closed */
};
struct hm_verify_image {
    enum hm_image_source source;
    const char *name;            /* for clearer reasons only (matching is by digest); may be NULL */
    const char *path;            /* HM_IMAGE_PATH */
    int fd;                      /* HM_IMAGE_FD */
    bool has_sha256, has_sha512; /* HM_IMAGE_DIGEST: at least one */
    uint8_t sha256[HM_SHA256_LEN];
    uint8_t sha512[HM_SHA512_LEN];
};
struct hm_device_facts {
    const char *product;           /* the device's product; NULL: not checked */
    const char *installed_version; /* SemVer; NULL: no rollback check (first install) */
    int64_t now;                   /* unix seconds; 0: unknown (time checks skipped, and
                                      out->time_checked says so) */
};
/* Verifies a release bundle for a device: DSSE signature by a key of the trust root, the
 * release statement from the verified bytes, the key's products and validity window, the
 * transparency-log entry (required when the root lists logs: inclusion proof, checkpoint
 * signed by the log, witness cosignatures), every image a subject, product and
 * anti-rollback.  Returns HM_OK when the check ran (the verdict is out->status) or an error
 * when it could not (HM_E_INVALID: no root, image or result; HM_E_IO / HM_E_NOTFOUND: an
 * image could not be read; HM_E_NOMEM); out->status is never HM_V_OK on an error.  No global
 * state, no file access but the images' paths: thread-safe with one shared root. */
HM_MUST_CHECK hm_err hm_verify_bundle(const struct hm_trustroot *root, const uint8_t *bundle,
                                      size_t len, const struct hm_verify_image *images,
                                      size_t n_images, const struct hm_device_facts *device,
                                      struct hm_verify_result *out);

/* ==== key attestation (docs/key-attestation.md, docs/schemas/key-attestation-v1.schema.json)
 *
 * This section belongs to the key-attestation work (issue 7); attest/verify/keyattest_*.c
 * implement it.  A key-attestation statement is an in-toto Statement v1 whose one subject is
 * {name "signing-key", digest sha256 = SHA-256(SPKI DER)} (the key id's bytes) and whose
 * predicate (HM_PREDICATE_KEY) carries the evidence: TPM2_Certify output with the AK's public
 * area and the EK certificate chain, or PKCS#11 attributes that nothing signs.  The TPM
 * structures are parsed here by a small bounded big-endian reader: libhallmark-verify must
 * not link tpm2-tss.  hsm/ fills struct hm_keyatt, attest/ serialises it (hm/keyattest.h),
 * this section parses it back and checks it.
 */
#define HM_PREDICATE_KEY     "https://hallmark.dev/attestation/key/v1"
#define HM_KEYATT_SUBJECT    "signing-key"
#define HM_KEYATT_MAX_BYTES  (256u << 10) /* the statement */
#define HM_KEYATT_NONCE_MAX  64u          /* TPM2B_DATA holds at most sizeof(TPMT_HA) */
#define HM_KEYATT_TPM_MAX    2048u        /* one TPM structure (TPMS_ATTEST, TPMT_PUBLIC, ...) */
#define HM_KEYATT_CERT_MAX   8192u        /* one certificate, DER */
#define HM_KEYATT_MAX_CHAIN  8u
#define HM_KEYATT_MAX_VENDOR 4u
#define HM_KEYATT_TEXT_MAX   32u /* token and library strings: CK_TOKEN_INFO / CK_INFO sizes */

enum hm_keyatt_evidence {
    HM_KEYATT_TPM2_CERTIFY = 1,     /* "tpm2-certify": TPM2_Certify by an AK, EK chain */
    HM_KEYATT_PKCS11_SELF_ASSERTED, /* "pkcs11-self-asserted": read from the token, unsigned */
};

struct hm_keyatt_bytes {
    uint8_t *data; /* malloc'ed; NULL when absent */
    size_t len;
};
struct hm_keyatt_tpm2 {
    struct hm_keyatt_bytes certify_info; /* TPMS_ATTEST, exactly as the TPM marshalled it */
    struct hm_keyatt_bytes signature;    /* TPMT_SIGNATURE by the AK over certify_info */
    struct hm_keyatt_bytes ak_public;    /* TPMT_PUBLIC of the attestation key */
    struct hm_keyatt_bytes key_public;   /* TPMT_PUBLIC of the certified key */
    struct hm_keyatt_bytes ek_cert;      /* DER; absent when the TPM holds none */
    struct hm_keyatt_bytes chain[HM_KEYATT_MAX_CHAIN]; /* DER issuers of ek_cert */
    size_t n_chain;
    char manufacturer[5]; /* TPM2_PT_MANUFACTURER ("IBM", "IFX", ...); informational */
};
struct hm_keyatt_pkcs11 {
    bool sensitive, always_sensitive, extractable, never_extractable, local;
    bool has_key_gen_mechanism;
    uint64_t key_gen_mechanism; /* CKM_* */
    char token_label[HM_KEYATT_TEXT_MAX + 1], manufacturer[HM_KEYATT_TEXT_MAX + 1];
    char model[HM_KEYATT_TEXT_MAX + 1], serial[HM_KEYATT_TEXT_MAX + 1];
    uint8_t firmware_major, firmware_minor, hardware_major, hardware_minor;
    char library_description[HM_KEYATT_TEXT_MAX + 1];
    char library_manufacturer[HM_KEYATT_TEXT_MAX + 1];
    uint8_t library_major, library_minor, cryptoki_major, cryptoki_minor;
};
/* Vendor evidence carried as is (YubiHSM2 attestation certificates and the like): parsed and
 * reported, not verified (docs/key-attestation.md says what a verifier would check). */
struct hm_keyatt_vendor {
    char format[65];                                   /* [a-z0-9-]{1,64} */
    struct hm_keyatt_bytes certificate;                /* DER */
    struct hm_keyatt_bytes chain[HM_KEYATT_MAX_CHAIN]; /* DER */
    size_t n_chain;
};
struct hm_keyatt {
    enum hm_keyatt_evidence evidence;
    enum hm_key_alg alg;
    struct hm_keyatt_bytes spki; /* the attested key, SubjectPublicKeyInfo DER */
    uint8_t nonce[HM_KEYATT_NONCE_MAX];
    size_t nonce_len;   /* 1..HM_KEYATT_NONCE_MAX */
    int64_t created_at; /* unix seconds, the attester's clock */
    struct hm_keyatt_tpm2 tpm2;
    struct hm_keyatt_pkcs11 pkcs11;
    struct hm_keyatt_vendor vendor[HM_KEYATT_MAX_VENDOR];
    size_t n_vendor;
};
/* Frees the members and ka itself (ka comes from calloc, from whoever filled it). */
void hm_verify_keyatt_free(struct hm_keyatt *ka);

enum hm_keyatt_status {
    HM_KA_OK = 0,
    HM_KA_MALFORMED,       /* not a key-attestation statement or TPM structure we accept */
    HM_KA_KEY_MISMATCH,    /* subject, publicKey or the certified key is not the expected key */
    HM_KA_BAD_MAGIC,       /* TPMS_ATTEST.magic is not TPM_GENERATED_VALUE (0xff544347) */
    HM_KA_BAD_TYPE,        /* TPMS_ATTEST.type is not TPM_ST_ATTEST_CERTIFY (0x8017) */
    HM_KA_NONCE_MISMATCH,  /* TPMS_ATTEST.extraData is not the nonce */
    HM_KA_NAME_MISMATCH,   /* certified Name is not nameAlg || H(keyPublic) */
    HM_KA_KEY_ATTRIBUTES,  /* fixedTPM, fixedParent, sensitiveDataOrigin, sign unset; or decrypt */
    HM_KA_AK_ATTRIBUTES,   /* the AK is not restricted + sign + fixedTPM (+ fixedParent) */
    HM_KA_AK_SIGNATURE,    /* the AK's signature over TPMS_ATTEST does not verify */
    HM_KA_EK_CHAIN,        /* no EK certificate, or it does not chain to a configured root */
    HM_KA_AK_NOT_ENROLLED, /* enrolled AKs were given and this AK is not one of them */
    HM_KA_SELF_ASSERTED,   /* self-asserted evidence, and the caller requires hardware evidence */
    HM_KA_PKCS11_ATTRIBUTES, /* the token says the key can leave it or was not made on it */
    HM_KA_BAD_SIGNATURE,     /* the bundle is not signed by the attested key (possession) */
    HM_KA_MISSING,           /* no attestation for the key, where one is required */
};
const char *hm_verify_keyatt_status_name(enum hm_keyatt_status st); /* "ak-signature", ... */

struct hm_keyatt_opts {
    const uint8_t *spki; /* the key the caller is about to trust (DER SPKI); required */
    size_t spki_len;
    const uint8_t *nonce;     /* the caller's challenge; NULL: the statement's own nonce, whose */
    size_t nonce_len;         /* echo in extraData is still checked (no freshness then) */
    const uint8_t *roots_pem; /* TPM manufacturer root certificates (PEM); required for TPM */
    size_t roots_pem_len;     /* evidence, never taken from the statement */
    const uint8_t *ak_pem;    /* enrolled AK public keys (PEM, concatenated), proven to be in the */
    size_t ak_pem_len;        /* EK's TPM by credential activation; NULL: binding not required */
    bool allow_self_asserted; /* accept pkcs11-self-asserted evidence (reported as such) */
    int64_t now;              /* unix seconds for certificate validity; 0: not checked */
};
struct hm_keyatt_result {
    enum hm_keyatt_status status;
    char detail[256];
    enum hm_keyatt_evidence evidence;
    bool hardware_verified;  /* TPM evidence verified up to a manufacturer root */
    bool ak_enrolled;        /* the AK is one of opts->ak_pem (AK-EK binding proven) */
    uint32_t key_attributes; /* TPMA_OBJECT of the certified key (TPM evidence) */
    char ek_subject[128];    /* one line, for people */
    char tpm_manufacturer[5];
    size_t n_vendor; /* vendor evidence entries present (not verified) */
};
/* Parses a key-attestation statement (the verified DSSE payload) strictly.  HM_E_INVALID /
 * HM_E_LIMIT with a reason in why (may be NULL). */
HM_MUST_CHECK hm_err hm_verify_keyatt_parse(const uint8_t *stmt, size_t len, struct hm_keyatt **out,
                                            char *why, size_t why_len);
/* Checks evidence against opts (docs/key-attestation.md, "Verification").  HM_OK when the
 * check ran (the verdict is out->status), HM_E_INVALID when opts lack the key, HM_E_NOMEM. */
HM_MUST_CHECK hm_err hm_verify_keyatt_check(const struct hm_keyatt *ka,
                                            const struct hm_keyatt_opts *opts,
                                            struct hm_keyatt_result *out);
/* Parse + check of a statement's bytes. */
HM_MUST_CHECK hm_err hm_verify_keyatt_statement(const uint8_t *stmt, size_t len,
                                                const struct hm_keyatt_opts *opts,
                                                struct hm_keyatt_result *out);
/* A key-attestation bundle (Sigstore bundle v0.3, DSSE, signed by the attested key itself:
 * proof of possession): the signature with opts->spki, then parse + check. */
HM_MUST_CHECK hm_err hm_verify_keyatt_bundle(const uint8_t *bundle, size_t len,
                                             const struct hm_keyatt_opts *opts,
                                             struct hm_keyatt_result *out);
/* The attestation of opts->spki's key from doc, which is either one key-attestation bundle
 * or a GET /v1/keys reply ({"keys":[{"keyid", ..., "attestation": bundle|null}]}, the
 * entry whose keyid is the key's): then as hm_verify_keyatt_bundle.  A reply without an
 * entry for the key, or whose entry has a null attestation, gives HM_KA_MISSING. */
HM_MUST_CHECK hm_err hm_verify_keyatt_document(const uint8_t *doc, size_t len,
                                               const struct hm_keyatt_opts *opts,
                                               struct hm_keyatt_result *out);
/* Enrolment, the verifier's half of credential activation (TPM 2.0 Part 1, 24): wraps
 * secret (1..32 bytes) for the TPM whose EK certificate ka carries, bound to ka's AK Name,
 * so that only that TPM, holding that AK, can recover it (TPM2_ActivateCredential).  *out
 * is TPM2B_ID_OBJECT || TPM2B_ENCRYPTED_SECRET (malloc'ed).  ECC P-256/P-384 EKs. */
HM_MUST_CHECK hm_err hm_verify_keyatt_make_credential(const struct hm_keyatt *ka,
                                                      const uint8_t *secret, size_t secret_len,
                                                      uint8_t **out, size_t *out_len);
/* The AK's public key (SubjectPublicKeyInfo DER, malloc'ed) from TPM evidence: what a
 * verifier pins after enrolment (hm_keyatt_opts.ak_pem). */
HM_MUST_CHECK hm_err hm_verify_keyatt_ak_spki(const struct hm_keyatt *ka, uint8_t **out,
                                              size_t *out_len);
/* ==== end of key attestation ==== */

/* ==== steward attestations (docs/steward-attestation.md "Verifying"; issue 8) ====
 *
 * A steward attestation (predicate "https://hallmark.dev/attestation/cra-steward/v1",
 * hm/steward.h) is verified like a release: the DSSE signature over the PAE, the statement
 * from the verified payload only, then the predicate read strictly.  Against a trust root
 * the key must list the product "steward" (any project) or the project's name, be inside
 * its validity window at the signing time (the log's time when logged, else timeAssessed),
 * and the bundle's log entry must verify when the root lists a log.  Then: not expired at
 * now (now is required: an attestation is only ever checked at a time) and, when asked, the
 * expected project (purl type/namespace/name; its "@version" must be covered).
 */
struct hm_steward;
struct hm_verify_steward_opts {
    const char *project_purl; /* "pkg:TYPE/NS/NAME[@VERSION]"; NULL: any project */
    const char *project_name; /* project.name must equal it; NULL: not checked */
    const char *version;      /* must be covered; NULL: from project_purl's @version, if any */
    int64_t now;              /* unix seconds; 0 is refused (HM_E_INVALID) */
};
struct hm_verify_steward_result {
    enum hm_verify_status status;
    char detail[256];
    char keyid[64];
    bool logged;
    uint64_t log_index;
    uint64_t log_tree_size;
    char log_origin[256];
    size_t n_witnesses;
    int64_t signed_at;     /* the time the key's window was checked at */
    bool signed_at_logged; /* true: the log's time; false: the attestation's timeAssessed */
    /* from the verified predicate (filled once the signature verified and it parsed) */
    char project_name[257];
    char project_purl[513];
    char steward[257];  /* steward.legalName */
    char assessor[257]; /* assessor.name */
    int64_t time_assessed, expires;
    size_t n_requirements, n_met, n_partially;
};
/* Verifies a steward-attestation bundle against a trust root (root) or one key (key; no log
 * check then): exactly one of them.  HM_OK when the check ran (the verdict is out->status;
 * on HM_V_OK and when st_out is not NULL, *st_out is the parsed attestation, freed with
 * hm_steward_free from hm/steward.h, which is not installed with the library yet: callers
 * of the installed library pass NULL), HM_E_INVALID for bad arguments, HM_E_NOMEM. */
HM_MUST_CHECK hm_err hm_verify_steward_bundle(const struct hm_trustroot *root,
                                              const struct hm_pubkey *key, const uint8_t *bundle,
                                              size_t len, const struct hm_verify_steward_opts *opts,
                                              struct hm_verify_steward_result *out,
                                              struct hm_steward **st_out);

#endif /* HM_VERIFY_H */

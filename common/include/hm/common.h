/*
 * hm/common.h: what every Hallmark module shares.
 *
 * One error space (hm_err), secret buffers in locked memory, bounded file reads,
 * base64 and hex, streaming digests and logging.  Nothing here knows about cJSON,
 * PKCS#11 or TPMs.
 */
#ifndef HM_COMMON_H
#define HM_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HM_MUST_CHECK   __attribute__((warn_unused_result))
#define HM_PRINTF(f, a) __attribute__((format(printf, f, a)))

typedef enum hm_err {
    HM_OK = 0,
    HM_E_NOMEM,       /* allocation failed */
    HM_E_INVALID,     /* malformed or unacceptable input */
    HM_E_LIMIT,       /* input larger or deeper than a configured limit */
    HM_E_DENIED,      /* refused: by policy, by a wrong PIN, by a missing right */
    HM_E_BACKEND,     /* the HSM, TPM or store failed in a way a retry will not fix */
    HM_E_INTERNAL,    /* a bug: an invariant did not hold */
    HM_E_IO,          /* reading or writing a file or socket failed */
    HM_E_NOTFOUND,    /* a key, token, slot, file or entry does not exist */
    HM_E_VERIFY,      /* a signature, digest or proof did not verify */
    HM_E_UNAVAILABLE, /* temporarily unavailable (HSM reconnecting, store busy): retry */
    HM_E_CONFLICT,    /* lost a race or would break monotonicity (version already signed) */
} hm_err;

const char *hm_strerror(hm_err err);

/* ---- key algorithms (shared by hsm/ and the device-side verifier) ---- */
enum hm_key_alg {
    HM_KEY_EC_P256 = 1, /* ECDSA over SHA-256 of the message; signatures DER */
    HM_KEY_EC_P384,     /* ECDSA over SHA-384 of the message; signatures DER */
    HM_KEY_ED25519,     /* pure Ed25519 over the message */
    HM_KEY_RSA3072_PSS, /* RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 */
};
/* "ec-p256", "ec-p384", "ed25519", "rsa-3072" */
const char *hm_key_alg_name(enum hm_key_alg alg);
HM_MUST_CHECK hm_err hm_key_alg_parse(const char *name, enum hm_key_alg *out);
/* Sigstore PublicKeyDetails: "PKIX_ECDSA_P256_SHA_256", "PKIX_ECDSA_P384_SHA_384",
 * "PKIX_ED25519", "PKIX_RSA_PSS_3072_SHA256". */
const char *hm_key_alg_sigstore(enum hm_key_alg alg);

/* ---- secrets: mlock'ed, MADV_DONTDUMP, wiped on free ---- */
struct hm_secret {
    uint8_t *buf; /* always NUL-terminated at buf[len], for C APIs that want strings */
    size_t len;
    size_t cap; /* mapped size */
};

/* HM_SECRET_MAX: the longest PIN or auth value we accept from a file or variable. */
#define HM_SECRET_MAX 4096

HM_MUST_CHECK hm_err hm_secret_alloc(size_t len, struct hm_secret **out);
void hm_secret_free(struct hm_secret *s);
/* Reads a secret from a file (trailing "\n" or "\r\n" removed).  Refuses a file that is
 * group- or world-readable, empty or larger than HM_SECRET_MAX. */
HM_MUST_CHECK hm_err hm_secret_from_file(const char *path, struct hm_secret **out);
/* Reads a secret from an environment variable.  The variable is left in place. */
HM_MUST_CHECK hm_err hm_secret_from_env(const char *name, struct hm_secret **out);
/* "file:/path", "env:NAME" or a plain path. */
HM_MUST_CHECK hm_err hm_secret_from_source(const char *source, struct hm_secret **out);
/* Fills a new secret with len random printable characters (for generated PINs). */
HM_MUST_CHECK hm_err hm_secret_random_pin(size_t len, struct hm_secret **out);
/* Writes a secret to a new file: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600. */
HM_MUST_CHECK hm_err hm_secret_write_file(const struct hm_secret *s, const char *path);
/* Processes that hold keys or PINs are not dumpable (no core files, no ptrace). */
void hm_process_harden(void);

/* ---- bounded reads and safe writes ---- */
/* Reads a whole file of at most max bytes; *out is NUL-terminated (not counted in *len). */
HM_MUST_CHECK hm_err hm_read_file(const char *path, size_t max, uint8_t **out, size_t *len);
HM_MUST_CHECK hm_err hm_read_fd(int fd, size_t max, uint8_t **out, size_t *len);
/* Writes via a temporary file in the same folder, fsync, rename: readers see old or new,
 * and the new content is durable when it returns. */
HM_MUST_CHECK hm_err hm_write_file_atomic(const char *path, const void *buf, size_t len,
                                          unsigned mode);
/* The same without the fsyncs: still atomic for readers, durable only after a later
 * sync (for writing many output files, then one syncfs()). */
HM_MUST_CHECK hm_err hm_write_file_replace(const char *path, const void *buf, size_t len,
                                           unsigned mode);

/* ---- base64 (RFC 4648) ---- */
/* Standard alphabet with padding (protojson, notes). *out is NUL-terminated. */
HM_MUST_CHECK hm_err hm_b64_encode(const uint8_t *in, size_t len, char **out);
enum hm_b64_mode {
    HM_B64_STD = 1, /* '+' '/' */
    HM_B64_URL = 2, /* '-' '_' */
    HM_B64_ANY = 3, /* either alphabet, never both in one string (DSSE) */
};
/* Decodes strictly: no whitespace, padding optional but correct when present, unused
 * trailing bits must be zero (one encoding per value). */
HM_MUST_CHECK hm_err hm_b64_decode(const char *in, size_t len, enum hm_b64_mode mode, uint8_t **out,
                                   size_t *outlen);

/* ---- hex (lowercase out; hm_hex_decode accepts lowercase only) ---- */
void hm_hex_encode(const uint8_t *in, size_t len, char *out /* 2*len+1 */);
HM_MUST_CHECK hm_err hm_hex_decode(const char *in, size_t len, uint8_t *out, size_t outlen);
bool hm_is_lower_hex(const char *s, size_t len);

/* ---- digests ---- */
#define HM_SHA256_LEN 32
#define HM_SHA384_LEN 48
#define HM_SHA512_LEN 64
struct hm_digests {
    uint8_t sha256[HM_SHA256_LEN];
    uint8_t sha512[HM_SHA512_LEN];
    uint64_t size;
};
/* Hashes a file or fd as a stream (64 KiB at a time): never reads it whole. */
HM_MUST_CHECK hm_err hm_digest_fd(int fd, struct hm_digests *out);
HM_MUST_CHECK hm_err hm_digest_file(const char *path, struct hm_digests *out);
void hm_sha256(const void *in, size_t len, uint8_t out[HM_SHA256_LEN]);
/* Constant-time comparison (CRYPTO_memcmp). */
bool hm_ct_equal(const void *a, const void *b, size_t len);

/* ---- logging: one line per event, to stderr; never pass a secret ---- */
enum hm_log_level { HM_LOG_ERROR = 0, HM_LOG_WARN, HM_LOG_INFO, HM_LOG_DEBUG };
void hm_log_set_level(enum hm_log_level level);
void hm_log_set_json(bool json);
void hm_log(enum hm_log_level level, const char *fmt, ...) HM_PRINTF(2, 3);
#define hm_error(...) hm_log(HM_LOG_ERROR, __VA_ARGS__)
#define hm_warn(...)  hm_log(HM_LOG_WARN, __VA_ARGS__)
#define hm_info(...)  hm_log(HM_LOG_INFO, __VA_ARGS__)
#define hm_debug(...) hm_log(HM_LOG_DEBUG, __VA_ARGS__)

/* ---- growable byte buffer with a hard cap ---- */
struct hm_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;  /* 0 = HM_BUF_DEFAULT_MAX */
    bool failed; /* sticky: set when an append failed (NOMEM or LIMIT) */
    hm_err err;
};
#define HM_BUF_DEFAULT_MAX ((size_t)64 << 20)
void hm_buf_init(struct hm_buf *b, size_t max);
void hm_buf_append(struct hm_buf *b, const void *p, size_t n);
void hm_buf_puts(struct hm_buf *b, const char *s);
void hm_buf_printf(struct hm_buf *b, const char *fmt, ...) HM_PRINTF(2, 3);
/* Returns HM_OK or the first append error; the data stays NUL-terminated. */
HM_MUST_CHECK hm_err hm_buf_status(const struct hm_buf *b);
/* Hands the bytes over (NUL-terminated); the buffer is reset. */
uint8_t *hm_buf_steal(struct hm_buf *b, size_t *len);
void hm_buf_free(struct hm_buf *b);

/* ---- small helpers ---- */
/* Time in RFC 3339 UTC, second precision: "2026-11-28T01:02:03Z" (21 bytes incl NUL). */
void hm_time_rfc3339(int64_t unix_seconds, char out[32]);
/* Parses "YYYY-MM-DD" strictly; returns days since 1970-01-01 in *out. */
HM_MUST_CHECK hm_err hm_date_parse(const char *s, int64_t *days_out);
/* Parses RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" (optional fraction, 'Z' or +hh:mm offset). */
HM_MUST_CHECK hm_err hm_time_parse_rfc3339(const char *s, int64_t *unix_out);
/* Safe multiplication for allocation sizes. */
HM_MUST_CHECK hm_err hm_size_mul(size_t a, size_t b, size_t *out);

#endif /* HM_COMMON_H */

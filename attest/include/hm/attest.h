/*
 * hm/attest.h: building in-toto statements, DSSE envelopes and Sigstore bundles.
 *
 * attest/ never touches a key: the caller signs the PAE bytes through a callback
 * (hsm/ in the CLI and the daemon, a software key in tests).  Parsing and
 * verification live in hm/verify.h (libhallmark-verify).
 */
#ifndef HM_ATTEST_H
#define HM_ATTEST_H

#include <hm/common.h>
#include <hm/verify.h>

#define HM_ATTEST_MAX_NAME 255

struct hm_artifact {
    const char *name; /* file name, 1..255 bytes of printable UTF-8, no '/' */
    uint64_t size;
    uint8_t sha256[HM_SHA256_LEN];
    uint8_t sha512[HM_SHA512_LEN];
};

struct hm_release {
    const char *product; /* [a-z0-9][a-z0-9._-]{0,63} */
    const char *channel; /* same charset; NULL means "stable" */
    const char *version; /* SemVer 2.0.0 text as given */
    const struct hm_artifact *artifacts;
    size_t n_artifacts;         /* 1..HM_MAX_SUBJECTS */
    const char *support_end;    /* "YYYY-MM-DD" or NULL */
    const uint8_t *sbom_sha256; /* NULL when no SBOM is bound */
    int64_t signed_at;          /* unix seconds */
    /* CRA product facts (Annex II): NULL leaves them out of the statement.  1..256 bytes
     * of printable ASCII; the security contact is an email address or an https URL. */
    const char *manufacturer;     /* the manufacturer's name */
    const char *security_contact; /* where to report vulnerabilities */
};

/* Checks the fields (charsets, lengths, counts, unique names); HM_E_INVALID with a
 * reason in why. */
HM_MUST_CHECK hm_err hm_release_check(const struct hm_release *rel, char *why, size_t why_len);
/* Serialises the release statement (in-toto Statement v1, predicate
 * HM_PREDICATE_RELEASE, subjects = artifacts with sha256 and sha512). */
HM_MUST_CHECK hm_err hm_release_statement(const struct hm_release *rel, uint8_t **out, size_t *len);

/* Signs msg (the PAE): *sig malloc'ed, DER for ECDSA. */
typedef hm_err (*hm_sign_fn)(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig,
                             size_t *sig_len);

/* Builds the PAE of (payload_type, payload), has it signed by sign(ctx), and writes a
 * Sigstore bundle v0.3 with publicKey.hint = keyid and a one-signature DSSE envelope
 * whose keyid is the same.  *out is malloc'ed JSON, NUL-terminated. */
HM_MUST_CHECK hm_err hm_bundle_sign(const char *payload_type, const uint8_t *payload, size_t len,
                                    const char *keyid, hm_sign_fn sign, void *ctx, char **out,
                                    size_t *out_len);

/* Bundle JSON from parts already signed. */
HM_MUST_CHECK hm_err hm_bundle_encode(const char *payload_type, const uint8_t *payload, size_t len,
                                      const char *keyid, const uint8_t *sig, size_t sig_len,
                                      char **out, size_t *out_len);

#endif /* HM_ATTEST_H */

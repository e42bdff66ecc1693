/* cli_keyattest.h: key attestation in the CLI (`hallmark keys attest|ak-challenge|
 * ak-activate`, and the check `hallmark verify --require-key-attestation` runs). */
#ifndef HM_CLI_KEYATTEST_H
#define HM_CLI_KEYATTEST_H

#include "cli.h"

/* `hallmark keys attest`. */
struct cli_keyattest_args {
    const char *key;           /* label or URI */
    const char *nonce_hex;     /* NULL: 32 random bytes */
    const char *ek_chain;      /* PEM file: the EK certificate's issuers */
    const char *vendor_format; /* with vendor_cert */
    const char *vendor_cert;   /* PEM file: attestation certificate, then its chain */
    const char *out;
};
int cli_keys_attest(const struct cli_token_opts *tok, const struct cli_keyattest_args *a);

/* Enrolment (docs/key-attestation.md, "Closing the AK-EK gap"): the verifier's side makes a
 * challenge from a verified attestation bundle; the TPM's side answers it. */
struct cli_ak_args {
    const char *key_attestation; /* the bundle */
    const char *pubkey;          /* the attested key's PEM (the bundle's signer) */
    const char *tpm_roots;       /* manufacturer roots (PEM) */
    const char *challenge;       /* out (ak-challenge), in (ak-activate) */
    const char *secret_out;      /* ak-challenge: the secret to compare; ak-activate: answer */
    const char *ak_out;          /* ak-challenge: the AK's public key, to pin once it answers */
};
int cli_keys_ak_challenge(const struct cli_ak_args *a);
int cli_keys_ak_activate(const struct cli_token_opts *tok, const struct cli_ak_args *a);

/* `hallmark verify --require-key-attestation --key-attestation FILE --tpm-roots ROOTS.pem
 *  [--tpm-ak AK.pem] [--allow-self-asserted]`: the options and the check. */
struct cli_keyatt_verify {
    bool require;
    const char *path;
    const char *tpm_roots;
    const char *tpm_ak;
    bool allow_self_asserted;
};
/* CLI_OK when the bundle at v->path attests the key spki (or nothing was asked for);
 * CLI_FAILED with "verification failed: key-attestation: <reason>: ..." printed; CLI_USAGE
 * for options or files that do not work.  now: unix seconds or 0 (EK validity unchecked). */
int cli_keyatt_verify_check(const struct cli_keyatt_verify *v, const uint8_t *spki, size_t spki_len,
                            int64_t now);
/* Checks the options' consistency after parsing; prints the reason. */
int cli_keyatt_verify_usage(const struct cli_keyatt_verify *v);

#endif

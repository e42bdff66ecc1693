/*
 * cli_keyattest.c: key attestation in the CLI (docs/key-attestation.md).
 *
 *   hallmark keys attest   (--state DIR | --token URI) --key NAME|URI [--nonce HEX]
 *                          [--ek-chain PEM] [--vendor-format F --vendor-cert PEM] --out FILE
 *   hallmark keys ak-challenge --key-attestation FILE --pubkey PUB.pem --tpm-roots ROOTS.pem
 *                          --out CHALLENGE --secret-out SECRET --ak-out AK.pem
 *   hallmark keys ak-activate (--state DIR | --token URI) --challenge FILE --secret-out FILE
 *   hallmark verify ... --require-key-attestation --key-attestation FILE --tpm-roots ROOTS.pem
 *                          [--tpm-ak AK.pem] [--allow-self-asserted]
 *
 * The attestation bundle is signed by the attested key itself: proof that whoever made it
 * holds the key, and a binding of the evidence to it that no one else can forge.
 */
#include "cli_keyattest.h"

#include <hm/keyattest.h>
#include <hm/keyevidence.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#define PEM_MAX (1u << 20)

static hm_err
sign_with_key(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len)
{
    return hm_key_sign(ctx, msg, len, HM_SIG_DER, sig, sig_len);
}

static int
read_or_say(const char *what, const char *path, size_t max, uint8_t **out, size_t *len)
{
    hm_err err = hm_read_file(path, max, out, len);

    if (err != HM_OK) {
        fprintf(stderr, "hallmark: cannot read %s %s: %s\n", what, path, hm_strerror(err));
        return CLI_USAGE;
    }
    return CLI_OK;
}

static int
parse_nonce(const char *hex, uint8_t *nonce, size_t *len)
{
    size_t n = hex != NULL ? strlen(hex) : 0;

    if (hex == NULL) {
        *len = 32;
        return RAND_bytes(nonce, 32) == 1 ? CLI_OK : CLI_USAGE;
    }
    if (n == 0 || n % 2 != 0 || n > 2 * HM_KEYATT_NONCE_MAX || !hm_is_lower_hex(hex, n) ||
        hm_hex_decode(hex, n, nonce, n / 2) != HM_OK) {
        fprintf(stderr, "hallmark keys attest: --nonce is 1 to %u bytes of lowercase hex\n",
                HM_KEYATT_NONCE_MAX);
        return CLI_USAGE;
    }
    *len = n / 2;
    return CLI_OK;
}

/* Chains and vendor certificates go into the evidence before it is serialised. */
static int
add_extras(const struct cli_keyattest_args *a, struct hm_keyatt *ka)
{
    uint8_t *pem = NULL;
    size_t len = 0;
    hm_err err = HM_OK;

    if (a->ek_chain != NULL) {
        if (ka->evidence != HM_KEYATT_TPM2_CERTIFY) {
            fprintf(stderr, "hallmark keys attest: --ek-chain is for TPM keys\n");
            return CLI_USAGE;
        }
        if (read_or_say("EK chain", a->ek_chain, PEM_MAX, &pem, &len) != CLI_OK) {
            return CLI_USAGE;
        }
        err = hm_keyatt_set_ek_chain_pem(ka, pem, len);
        free(pem);
        pem = NULL;
    }
    if (err == HM_OK && a->vendor_cert != NULL) {
        if (read_or_say("vendor certificate", a->vendor_cert, PEM_MAX, &pem, &len) != CLI_OK) {
            return CLI_USAGE;
        }
        err = hm_keyatt_add_vendor_pem(ka, a->vendor_format, pem, len);
        free(pem);
    }
    if (err != HM_OK) {
        fprintf(stderr, "hallmark keys attest: the certificates are not usable PEM (%s)\n",
                hm_strerror(err));
        return CLI_USAGE;
    }
    return CLI_OK;
}

static struct hm_key *
find_key(struct hm_hsm *hsm, const char *name)
{
    struct hm_key *key = NULL;
    hm_err err;

    if (strncmp(name, "tpm2:", 5) != 0) {
        return cli_find_key(hsm, name);
    }
    if ((err = hm_hsm_find_key(hsm, name, &key)) != HM_OK) {
        fprintf(stderr, "hallmark: key '%s': %s\n", name, hm_strerror(err));
        return NULL;
    }
    return key;
}

static void
report(const struct hm_keyatt *ka, const struct hm_key *key, const char *out)
{
    char hex[2 * HM_KEYATT_NONCE_MAX + 1];

    hm_hex_encode(ka->nonce, ka->nonce_len, hex);
    printf("wrote %s: key attestation (%s) of key %s, signed by the key itself\n  nonce: %s\n", out,
           ka->evidence == HM_KEYATT_TPM2_CERTIFY ? "tpm2-certify" : "pkcs11-self-asserted",
           hm_key_id(key), hex);
    if (ka->evidence == HM_KEYATT_PKCS11_SELF_ASSERTED) {
        printf("  note: PKCS#11 attributes are self-asserted: nothing signs them\n");
    } else if (ka->tpm2.ek_cert.data == NULL) {
        printf("  warning: the TPM holds no EK certificate: no verifier can chain this evidence "
               "to a manufacturer\n");
    } else if (ka->tpm2.n_chain == 0) {
        printf("  note: no --ek-chain given: verifiers need the EK certificate's issuers\n");
    }
}

int
cli_keys_attest(const struct cli_token_opts *tok, const struct cli_keyattest_args *a)
{
    struct hm_hsm *hsm = NULL;
    struct hm_key *key = NULL;
    struct hm_keyatt *ka = NULL;
    uint8_t nonce[HM_KEYATT_NONCE_MAX], *stmt = NULL;
    size_t nonce_len = 0, stmt_len = 0, bundle_len = 0;
    char *bundle = NULL, why[200] = "";
    hm_err err;
    int rc = CLI_USAGE;

    if (a->key == NULL || a->out == NULL ||
        (a->vendor_cert != NULL) != (a->vendor_format != NULL)) {
        fprintf(stderr, "hallmark keys attest: needs --key and --out (and --vendor-format with "
                        "--vendor-cert)\n");
        return CLI_USAGE;
    }
    if (parse_nonce(a->nonce_hex, nonce, &nonce_len) != CLI_OK ||
        (hsm = cli_open_token(tok)) == NULL || (key = find_key(hsm, a->key)) == NULL) {
        goto out;
    }
    if ((err = hm_key_attest(key, nonce, nonce_len, &ka)) != HM_OK) {
        fprintf(stderr, "hallmark keys attest: collecting the evidence failed: %s\n",
                hm_strerror(err));
        goto out;
    }
    if (add_extras(a, ka) != CLI_OK) {
        goto out;
    }
    if ((err = hm_keyatt_statement(ka, &stmt, &stmt_len, why, sizeof(why))) != HM_OK ||
        (err = hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, stmt_len, hm_key_id(key), sign_with_key,
                              key, &bundle, &bundle_len)) != HM_OK ||
        (err = hm_write_file_atomic(a->out, bundle, bundle_len, 0644)) != HM_OK) {
        fprintf(stderr, "hallmark keys attest: %s\n", why[0] != '\0' ? why : hm_strerror(err));
        goto out;
    }
    report(ka, key, a->out);
    rc = CLI_OK;
out:
    free(stmt);
    free(bundle);
    hm_verify_keyatt_free(ka);
    hm_hsm_close(hsm);
    return rc;
}

/* ---- enrolment ---- */

static int
write_ak_pem(const struct hm_keyatt *ka, const char *path)
{
    struct hm_pubkey *pk = NULL;
    uint8_t *der = NULL;
    size_t len = 0;
    char *pem = NULL;
    int rc = CLI_USAGE;

    if (hm_verify_keyatt_ak_spki(ka, &der, &len) == HM_OK &&
        hm_pubkey_from_spki(der, len, &pk) == HM_OK && hm_pubkey_to_pem(pk, &pem) == HM_OK &&
        hm_write_file_atomic(path, pem, strlen(pem), 0644) == HM_OK) {
        rc = CLI_OK;
    }
    free(der);
    free(pem);
    hm_pubkey_free(pk);
    return rc;
}

/* The verifier's side: only for an attestation that verifies up to the roots. */
static int
challenge_for(const struct cli_ak_args *a, const uint8_t *bundle, size_t len,
              const struct hm_keyatt_opts *o)
{
    struct hm_keyatt_result r;
    struct hm_bundle *b = NULL;
    struct hm_keyatt *ka = NULL;
    struct hm_secret *secret = NULL;
    uint8_t *chal = NULL;
    size_t chal_len = 0;
    int rc = CLI_USAGE;

    if (hm_verify_keyatt_bundle(bundle, len, o, &r) != HM_OK || r.status != HM_KA_OK) {
        printf("verification failed: key-attestation: %s: %s\n",
               hm_verify_keyatt_status_name(r.status), r.detail);
        return CLI_FAILED;
    }
    if (hm_bundle_parse(bundle, len, &b, NULL, 0) != HM_OK ||
        hm_verify_keyatt_parse(b->dsse->payload, b->dsse->payload_len, &ka, NULL, 0) != HM_OK ||
        hm_secret_alloc(32, &secret) != HM_OK || RAND_bytes(secret->buf, 32) != 1 ||
        hm_verify_keyatt_make_credential(ka, secret->buf, secret->len, &chal, &chal_len) != HM_OK) {
        fprintf(stderr, "hallmark keys ak-challenge: cannot make a challenge for this TPM (an "
                        "ECC EK is needed)\n");
        goto out;
    }
    if (hm_write_file_atomic(a->challenge, chal, chal_len, 0644) != HM_OK ||
        hm_secret_write_file(secret, a->secret_out) != HM_OK ||
        write_ak_pem(ka, a->ak_out) != CLI_OK) {
        fprintf(stderr, "hallmark keys ak-challenge: cannot write the challenge, the secret "
                        "(must not exist yet) or the AK\n");
        goto out;
    }
    printf("wrote challenge %s for the TPM whose EK is issued by %s\n  expected answer: %s "
           "(0600); AK to pin once it answers: %s\n",
           a->challenge, r.ek_subject, a->secret_out, a->ak_out);
    rc = CLI_OK;
out:
    free(chal);
    hm_secret_free(secret);
    hm_verify_keyatt_free(ka);
    hm_bundle_free(b);
    return rc;
}

int
cli_keys_ak_challenge(const struct cli_ak_args *a)
{
    struct hm_keyatt_opts o = { .now = (int64_t)time(NULL) };
    struct hm_pubkey *pk = NULL;
    uint8_t *bundle = NULL, *roots = NULL, *pub = NULL;
    size_t blen = 0, rlen = 0, plen = 0;
    int rc = CLI_USAGE;

    if (a->key_attestation == NULL || a->pubkey == NULL || a->tpm_roots == NULL ||
        a->challenge == NULL || a->secret_out == NULL || a->ak_out == NULL) {
        fprintf(stderr, "hallmark keys ak-challenge: needs --key-attestation, --pubkey, "
                        "--tpm-roots, --out, --secret-out and --ak-out\n");
        return CLI_USAGE;
    }
    if (read_or_say("key attestation", a->key_attestation, HM_BUNDLE_MAX_BYTES, &bundle, &blen) !=
            CLI_OK ||
        read_or_say("roots", a->tpm_roots, PEM_MAX, &roots, &rlen) != CLI_OK ||
        read_or_say("public key", a->pubkey, 65536, &pub, &plen) != CLI_OK) {
        goto out;
    }
    if (hm_pubkey_from_pem(pub, plen, &pk) != HM_OK) {
        fprintf(stderr, "hallmark keys ak-challenge: %s holds no supported public key\n",
                a->pubkey);
        goto out;
    }
    hm_pubkey_spki(pk, &o.spki, &o.spki_len);
    o.roots_pem = roots;
    o.roots_pem_len = rlen;
    rc = challenge_for(a, bundle, blen, &o);
out:
    free(bundle);
    free(roots);
    free(pub);
    hm_pubkey_free(pk);
    return rc;
}

int
cli_keys_ak_activate(const struct cli_token_opts *tok, const struct cli_ak_args *a)
{
    struct hm_hsm *hsm = NULL;
    struct hm_secret *secret = NULL;
    uint8_t *chal = NULL;
    size_t len = 0;
    hm_err err;
    int rc = CLI_USAGE;

    if (a->challenge == NULL || a->secret_out == NULL) {
        fprintf(stderr, "hallmark keys ak-activate: needs --challenge and --secret-out\n");
        return CLI_USAGE;
    }
    if (read_or_say("challenge", a->challenge, 4096, &chal, &len) != CLI_OK ||
        (hsm = cli_open_token(tok)) == NULL) {
        goto out;
    }
    if ((err = hm_tpm2_activate_credential(hsm, chal, len, &secret)) != HM_OK) {
        fprintf(stderr, "hallmark keys ak-activate: %s%s\n", hm_strerror(err),
                err == HM_E_VERIFY ? ": the challenge is not for this TPM and its AK" : "");
        rc = err == HM_E_VERIFY ? CLI_FAILED : CLI_USAGE;
        goto out;
    }
    if (hm_secret_write_file(secret, a->secret_out) != HM_OK) {
        fprintf(stderr, "hallmark keys ak-activate: cannot write %s (must not exist yet)\n",
                a->secret_out);
        goto out;
    }
    printf("wrote %s: the TPM recovered the challenge's secret with its EK and AK\n",
           a->secret_out);
    rc = CLI_OK;
out:
    free(chal);
    hm_secret_free(secret);
    hm_hsm_close(hsm);
    return rc;
}

/* ---- hallmark verify --require-key-attestation ---- */

int
cli_keyatt_verify_usage(const struct cli_keyatt_verify *v)
{
    if (v->path == NULL &&
        (v->require || v->tpm_roots != NULL || v->tpm_ak != NULL || v->allow_self_asserted)) {
        fprintf(stderr, "hallmark verify: --require-key-attestation, --tpm-roots, --tpm-ak and "
                        "--allow-self-asserted need --key-attestation FILE\n");
        return CLI_USAGE;
    }
    return CLI_OK;
}

int
cli_keyatt_verify_check(const struct cli_keyatt_verify *v, const uint8_t *spki, size_t spki_len,
                        int64_t now)
{
    struct hm_keyatt_opts o = { .spki = spki, .spki_len = spki_len, .now = now };
    struct hm_keyatt_result r;
    uint8_t *bundle = NULL, *roots = NULL, *ak = NULL;
    size_t blen = 0;
    int rc = CLI_USAGE;

    if (v->path == NULL) {
        if (!v->require) {
            return CLI_OK;
        }
        /* the trust root requires it (the flag alone needs the file: cli_keyatt_verify_usage) */
        printf("verification failed: key-attestation: %s: the trust root requires an attestation "
               "for this key; pass --key-attestation (a bundle from `hallmark keys attest` or "
               "hallmarkd's GET /v1/keys reply)\n",
               hm_verify_keyatt_status_name(HM_KA_MISSING));
        return CLI_FAILED;
    }
    o.allow_self_asserted = v->allow_self_asserted;
    if (read_or_say("key attestation", v->path, 4 * HM_BUNDLE_MAX_BYTES, &bundle, &blen) !=
            CLI_OK ||
        (v->tpm_roots != NULL &&
         read_or_say("TPM roots", v->tpm_roots, PEM_MAX, &roots, &o.roots_pem_len) != CLI_OK) ||
        (v->tpm_ak != NULL &&
         read_or_say("enrolled AKs", v->tpm_ak, PEM_MAX, &ak, &o.ak_pem_len) != CLI_OK)) {
        goto out;
    }
    o.roots_pem = roots;
    o.ak_pem = ak;
    /* one bundle, or the GET /v1/keys reply: the entry for this key */
    if (hm_verify_keyatt_document(bundle, blen, &o, &r) == HM_E_NOMEM) {
        goto out; /* other errors leave a status that is not ok, with its reason */
    }
    if (r.status != HM_KA_OK) {
        printf("verification failed: key-attestation: %s: %s\n",
               hm_verify_keyatt_status_name(r.status), r.detail);
        rc = CLI_FAILED;
        goto out;
    }
    printf("key attestation: %s\n", r.detail);
    rc = CLI_OK;
out:
    free(bundle);
    free(roots);
    free(ak);
    return rc;
}

/*
 * gen_keyatt.c: the key attestation that GET /v1/keys serves with each key, built once per
 * config generation (gen.c) - docs/key-attestation.md, "Served by hallmarkd".
 *
 * Each is the documented key-attestation statement (HM_PREDICATE_KEY) in a Sigstore bundle
 * signed by the key itself (proof of possession), exactly what `hallmark keys attest`
 * writes: TPM keys carry TPM2_Certify evidence (TPMS_ATTEST, the AK's signature and public
 * area, the EK certificate and, from tpm.ek_chain, its issuers); PKCS#11 keys carry their
 * attributes as "pkcs11-self-asserted", which verifiers refuse unless told to accept it.
 * The nonce is 32 random bytes per generation: offline verifiers check that the TPM
 * certified the statement's own nonce (docs/key-attestation.md, "Nonce policy").
 * With privsep on (the default) hm_key_attest answers a PKCS#11 key from the evidence
 * hallmark-hsm-helper read at its start and sent with its key list (docs/privsep.md,
 * "Key evidence"): this process never reads attributes itself, and the statement is
 * signed through the helper's ordinary SIGN.
 */
#include <hm/attest.h>
#include <hm/keyattest.h>
#include <hm/keyevidence.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "hmd.h"

#define EK_CHAIN_MAX (256u << 10)

static hm_err
sign_with_key(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len)
{
    return hm_key_sign(ctx, msg, len, HM_SIG_DER, sig, sig_len);
}

static hm_err
add_ek_chain(const struct hmd_config *cfg, struct hm_keyatt *ka)
{
    uint8_t *pem = NULL;
    size_t len = 0;
    hm_err rc;

    if (ka->evidence != HM_KEYATT_TPM2_CERTIFY || cfg->tpm_ek_chain == NULL) {
        return HM_OK;
    }
    if ((rc = hm_read_file(cfg->tpm_ek_chain, EK_CHAIN_MAX, &pem, &len)) != HM_OK) {
        hm_error("tpm.ek_chain: cannot read %s: %s", cfg->tpm_ek_chain, hm_strerror(rc));
        return rc;
    }
    rc = hm_keyatt_set_ek_chain_pem(ka, pem, len);
    if (rc != HM_OK) {
        hm_error("tpm.ek_chain: %s holds no usable PEM certificates", cfg->tpm_ek_chain);
    }
    free(pem);
    return rc;
}

hm_err
hmd_key_attestation(const struct hmd_config *cfg, struct hm_key *key, char **out, const char **type)
{
    struct hm_keyatt *ka = NULL;
    uint8_t nonce[32], *stmt = NULL;
    size_t stmt_len = 0, blen = 0;
    char why[200] = "";
    hm_err rc;

    *out = NULL;
    *type = NULL;
    if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
        return HM_E_INTERNAL;
    }
    if ((rc = hm_key_attest(key, nonce, sizeof(nonce), &ka)) != HM_OK ||
        (rc = add_ek_chain(cfg, ka)) != HM_OK ||
        (rc = hm_keyatt_statement(ka, &stmt, &stmt_len, why, sizeof(why))) != HM_OK ||
        (rc = hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, stmt_len, hm_key_id(key), sign_with_key,
                             key, out, &blen)) != HM_OK) {
        hm_warn("/v1/keys: no attestation for key %s: %s%s%s", hm_key_id(key), hm_strerror(rc),
                why[0] != '\0' ? ": " : "", why);
        goto out;
    }
    *type = ka->evidence == HM_KEYATT_TPM2_CERTIFY ? "tpm2-certify" : "pkcs11-self-asserted";
out:
    free(stmt);
    hm_verify_keyatt_free(ka);
    return rc;
}

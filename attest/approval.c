/*
 * approval.c: a release manager's approval (docs/policy.md "Approvals"): an in-toto
 * Statement v1 whose subjects are the release's artifacts and whose predicate
 * (HM_APPROVAL_PREDICATE) names the product and version, in a bare DSSE envelope.
 * The policy engine counts it when a key the policy lists signed it.
 */
#include <stdlib.h>
#include <string.h>

#include "attest_policy_int.h"

#define TYPE_MAX    256u
#define KEYID_MAX   256u
#define VERSION_MAX 128u
#define TEXT_MAX    1024u

/* [a-z0-9][a-z0-9._-]{0,63} */
static bool
is_name(const char *s)
{
    size_t len;

    if (s == NULL || (len = strnlen(s, 65)) == 0 || len > 64) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (i > 0 && (c == '.' || c == '_' || c == '-')))) {
            return false;
        }
    }
    return true;
}

hm_err
hm_approval_statement(const struct hm_approval *a, uint8_t **out, size_t *len)
{
    struct hm_buf b;
    hm_err err;

    *out = NULL;
    *len = 0;
    if (a == NULL || !is_name(a->product) || !hm_attest_printable(a->version, VERSION_MAX) ||
        (a->approver != NULL && !hm_attest_printable(a->approver, TEXT_MAX)) ||
        (a->comment != NULL && !hm_attest_printable(a->comment, TEXT_MAX))) {
        return HM_E_INVALID;
    }
    if ((err = hm_attest_policy_check_artifacts(a->artifacts, a->n_artifacts)) != HM_OK) {
        return err;
    }
    hm_buf_init(&b, HM_PAYLOAD_MAX_BYTES);
    hm_buf_puts(&b, "{\"_type\":\"" HM_STATEMENT_TYPE_V1 "\",");
    hm_attest_policy_subjects(&b, a->artifacts, a->n_artifacts);
    hm_buf_puts(&b, ",\"predicateType\":\"" HM_APPROVAL_PREDICATE "\",\"predicate\":{\"product\":");
    hm_attest_json_str(&b, a->product);
    hm_buf_puts(&b, ",\"version\":");
    hm_attest_json_str(&b, a->version);
    if (a->approver != NULL) {
        hm_buf_puts(&b, ",\"approver\":");
        hm_attest_json_str(&b, a->approver);
    }
    if (a->comment != NULL) {
        hm_buf_puts(&b, ",\"comment\":");
        hm_attest_json_str(&b, a->comment);
    }
    hm_buf_puts(&b, "}}");
    if ((err = hm_buf_status(&b)) != HM_OK) {
        hm_buf_free(&b);
        return err;
    }
    *out = hm_buf_steal(&b, len); /* the caller owns it now */
    hm_buf_free(&b);
    return *out != NULL ? HM_OK : HM_E_NOMEM;
}

hm_err
hm_dsse_envelope_encode(const char *payload_type, const uint8_t *payload, size_t len,
                        const char *keyid, const uint8_t *sig, size_t sig_len, char **out,
                        size_t *out_len)
{
    char *b64_payload = NULL, *b64_sig = NULL;
    struct hm_buf b;
    hm_err err;

    *out = NULL;
    *out_len = 0;
    if (!hm_attest_printable(payload_type, TYPE_MAX) || !hm_attest_printable(keyid, KEYID_MAX) ||
        payload == NULL || len == 0 || sig == NULL || sig_len == 0) {
        return HM_E_INVALID;
    }
    if (len > HM_PAYLOAD_MAX_BYTES || sig_len > HM_MAX_SIG_BYTES) {
        return HM_E_LIMIT;
    }
    if ((err = hm_b64_encode(payload, len, &b64_payload)) != HM_OK ||
        (err = hm_b64_encode(sig, sig_len, &b64_sig)) != HM_OK) {
        goto out;
    }
    hm_buf_init(&b, HM_BUNDLE_MAX_BYTES);
    hm_buf_puts(&b, "{\"payload\":\"");
    hm_buf_puts(&b, b64_payload);
    hm_buf_puts(&b, "\",\"payloadType\":");
    hm_attest_json_str(&b, payload_type);
    hm_buf_puts(&b, ",\"signatures\":[{\"keyid\":");
    hm_attest_json_str(&b, keyid);
    hm_buf_puts(&b, ",\"sig\":\"");
    hm_buf_puts(&b, b64_sig);
    hm_buf_puts(&b, "\"}]}");
    if ((err = hm_buf_status(&b)) != HM_OK) {
        hm_buf_free(&b);
        goto out;
    }
    *out = (char *)hm_buf_steal(&b, out_len); /* the caller owns it now */
    hm_buf_free(&b);
    err = *out != NULL ? HM_OK : HM_E_NOMEM;
out:
    free(b64_payload);
    free(b64_sig);
    return err;
}

hm_err
hm_dsse_envelope_sign(const char *payload_type, const uint8_t *payload, size_t len,
                      const char *keyid, hm_sign_fn sign, void *ctx, char **out, size_t *out_len)
{
    uint8_t *pae = NULL, *sig = NULL;
    size_t pae_len = 0, sig_len = 0;
    hm_err err;

    *out = NULL;
    *out_len = 0;
    if (sign == NULL || !hm_attest_printable(payload_type, TYPE_MAX) || payload == NULL ||
        len == 0) {
        return HM_E_INVALID;
    }
    if (len > HM_PAYLOAD_MAX_BYTES) {
        return HM_E_LIMIT;
    }
    if ((err = hm_dsse_pae(payload_type, strlen(payload_type), payload, len, &pae, &pae_len)) !=
            HM_OK ||
        (err = sign(ctx, pae, pae_len, &sig, &sig_len)) != HM_OK) {
        goto out;
    }
    if (sig == NULL || sig_len == 0) {
        err = HM_E_INTERNAL; /* a signer that reports success must hand back a signature */
        goto out;
    }
    err = hm_dsse_envelope_encode(payload_type, payload, len, keyid, sig, sig_len, out, out_len);
out:
    free(pae);
    free(sig);
    return err;
}

/*
 * bundle_encode.c: Sigstore bundle v0.3 output, in exactly the shape that
 * @sigstore/verify accepts for a self-managed key (docs/formats.md, "Sigstore bundle
 * profile"): publicKey.hint = keyid, empty tlogEntries and timestamps (the
 * transparency-log work fills them), one DSSE signature whose keyid is the hint.
 * protojson: bytes as standard base64 with padding.
 */
#include <stdlib.h>
#include <string.h>

#include "attest_int.h"

#define TYPE_MAX  256u
#define KEYID_MAX 256u

hm_err
hm_bundle_encode(const char *payload_type, const uint8_t *payload, size_t len, const char *keyid,
                 const uint8_t *sig, size_t sig_len, char **out, size_t *out_len)
{
    struct hm_buf b;
    char *b64_payload = NULL, *b64_sig = NULL;
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
    hm_buf_puts(&b, "{\"mediaType\":\"" HM_BUNDLE_MEDIA_TYPE "\",\"verificationMaterial\":"
                    "{\"publicKey\":{\"hint\":");
    hm_attest_json_str(&b, keyid);
    hm_buf_puts(&b, "},\"tlogEntries\":[],\"timestampVerificationData\":"
                    "{\"rfc3161Timestamps\":[]}},\"dsseEnvelope\":{\"payload\":\"");
    hm_buf_puts(&b, b64_payload);
    hm_buf_puts(&b, "\",\"payloadType\":");
    hm_attest_json_str(&b, payload_type);
    hm_buf_puts(&b, ",\"signatures\":[{\"sig\":\"");
    hm_buf_puts(&b, b64_sig);
    hm_buf_puts(&b, "\",\"keyid\":");
    hm_attest_json_str(&b, keyid);
    hm_buf_puts(&b, "}]}}");
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
hm_bundle_sign(const char *payload_type, const uint8_t *payload, size_t len, const char *keyid,
               hm_sign_fn sign, void *ctx, char **out, size_t *out_len)
{
    uint8_t *pae = NULL, *sig = NULL;
    size_t pae_len = 0, sig_len = 0;
    hm_err err;

    *out = NULL;
    *out_len = 0;
    if (sign == NULL || !hm_attest_printable(payload_type, TYPE_MAX) ||
        !hm_attest_printable(keyid, KEYID_MAX) || payload == NULL || len == 0) {
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
    err = hm_bundle_encode(payload_type, payload, len, keyid, sig, sig_len, out, out_len);
out:
    free(pae);
    free(sig);
    return err;
}

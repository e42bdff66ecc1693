/*
 * vsa.c: the SLSA Verification Summary Attestation v1 (formats.md 1.4) that records a
 * policy decision: who verified (verifier.id), what (the subjects: the release's
 * artifacts), against which policy (uri and SHA-256 of the exact policy file), from which
 * inputs (SBOM, VEX, approvals, provenance as resource descriptors with digests), the
 * result and the levels verified (HALLMARK_RELEASE_POLICY_V1: custom levels must not
 * start with SLSA_).
 *
 * Deterministic output, like release.c: the same VSA gives the same bytes.
 */
#include <stdio.h>
#include <string.h>

#include "attest_policy_int.h"

#define LEVEL_MAX 64u

/* [A-Z0-9_]{1,64}; SLSA_ is SLSA's prefix (formats.md 1.4): only its build levels. */
static bool
is_level(const char *s)
{
    size_t len;

    if (s == NULL || (len = strnlen(s, LEVEL_MAX + 1)) == 0 || len > LEVEL_MAX) {
        return false;
    }
    if (strncmp(s, "SLSA_", 5) == 0) {
        return len == 18 && strncmp(s, "SLSA_BUILD_LEVEL_", 17) == 0 && s[17] >= '0' &&
               s[17] <= '3';
    }
    for (size_t i = 0; i < len; i++) {
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_')) {
            return false;
        }
    }
    return true;
}

/* The artifacts' checks are the release statement's: borrow them. */
hm_err
hm_attest_policy_check_artifacts(const struct hm_artifact *arts, size_t n)
{
    struct hm_release rel = {
        .product = "vsa",
        .version = "0",
        .artifacts = arts,
        .n_artifacts = n,
    };

    return hm_release_check(&rel, NULL, 0);
}

static hm_err
vsa_check(const struct hm_vsa *v)
{
    if (v == NULL || !hm_attest_printable(v->verifier_id, HM_ATTEST_MAX_URI) ||
        !hm_attest_printable(v->resource_uri, HM_ATTEST_MAX_URI) ||
        !hm_attest_printable(v->policy_uri, HM_ATTEST_MAX_URI) ||
        (v->verifier_version != NULL && !hm_attest_printable(v->verifier_version, 64)) ||
        v->time_verified < 0 || v->n_inputs > HM_VSA_MAX_INPUTS ||
        (v->n_inputs > 0 && v->inputs == NULL) || v->n_levels > HM_VSA_MAX_LEVELS ||
        (v->n_levels > 0 && v->levels == NULL)) {
        return HM_E_INVALID;
    }
    for (size_t i = 0; i < v->n_inputs; i++) {
        if (!hm_attest_printable(v->inputs[i].name, HM_ATTEST_MAX_URI) ||
            (v->inputs[i].uri != NULL &&
             !hm_attest_printable(v->inputs[i].uri, HM_ATTEST_MAX_URI))) {
            return HM_E_INVALID;
        }
    }
    for (size_t i = 0; i < v->n_levels; i++) {
        if (!is_level(v->levels[i])) {
            return HM_E_INVALID;
        }
    }
    return hm_attest_policy_check_artifacts(v->artifacts, v->n_artifacts);
}

static void
put_sha256(struct hm_buf *b, const uint8_t *d)
{
    char hex[2 * HM_SHA256_LEN + 1];

    hm_hex_encode(d, HM_SHA256_LEN, hex);
    hm_buf_printf(b, "\"digest\":{\"sha256\":\"%s\"}", hex);
}

void
hm_attest_policy_subjects(struct hm_buf *b, const struct hm_artifact *arts, size_t n)
{
    char h256[2 * HM_SHA256_LEN + 1], h512[2 * HM_SHA512_LEN + 1];

    hm_buf_puts(b, "\"subject\":[");
    for (size_t i = 0; i < n; i++) {
        hm_buf_puts(b, i == 0 ? "{\"name\":" : ",{\"name\":");
        hm_attest_json_str(b, arts[i].name);
        hm_hex_encode(arts[i].sha256, HM_SHA256_LEN, h256);
        hm_hex_encode(arts[i].sha512, HM_SHA512_LEN, h512);
        hm_buf_printf(b, ",\"digest\":{\"sha256\":\"%s\",\"sha512\":\"%s\"}}", h256, h512);
    }
    hm_buf_puts(b, "]");
}

static void
put_predicate(struct hm_buf *b, const struct hm_vsa *v)
{
    char when[32];

    hm_buf_puts(b, "\"predicate\":{\"verifier\":{\"id\":");
    hm_attest_json_str(b, v->verifier_id);
    if (v->verifier_version != NULL) {
        hm_buf_puts(b, ",\"version\":{\"hallmark\":");
        hm_attest_json_str(b, v->verifier_version);
        hm_buf_puts(b, "}");
    }
    hm_time_rfc3339(v->time_verified, when);
    hm_buf_printf(b, "},\"timeVerified\":\"%s\",\"resourceUri\":", when);
    hm_attest_json_str(b, v->resource_uri);
    hm_buf_puts(b, ",\"policy\":{\"uri\":");
    hm_attest_json_str(b, v->policy_uri);
    if (v->policy_sha256 != NULL) {
        hm_buf_puts(b, ",");
        put_sha256(b, v->policy_sha256);
    }
    hm_buf_puts(b, "},\"inputAttestations\":[");
    for (size_t i = 0; i < v->n_inputs; i++) {
        hm_buf_puts(b, i == 0 ? "{\"name\":" : ",{\"name\":");
        hm_attest_json_str(b, v->inputs[i].name);
        if (v->inputs[i].uri != NULL) {
            hm_buf_puts(b, ",\"uri\":");
            hm_attest_json_str(b, v->inputs[i].uri);
        }
        hm_buf_puts(b, ",");
        put_sha256(b, v->inputs[i].sha256);
        hm_buf_puts(b, "}");
    }
    hm_buf_printf(b, "],\"verificationResult\":\"%s\",\"verifiedLevels\":[",
                  v->passed ? "PASSED" : "FAILED");
    if (v->n_levels == 0) {
        hm_buf_puts(b, "\"" HM_VSA_LEVEL_RELEASE "\"");
    }
    for (size_t i = 0; i < v->n_levels; i++) {
        hm_buf_printf(b, "%s\"%s\"", i > 0 ? "," : "", v->levels[i]);
    }
    hm_buf_puts(b, "],\"slsaVersion\":\"1.0\"}");
}

hm_err
hm_vsa_statement(const struct hm_vsa *vsa, uint8_t **out, size_t *len)
{
    struct hm_buf b;
    hm_err err;

    *out = NULL;
    *len = 0;
    if ((err = vsa_check(vsa)) != HM_OK) {
        return err;
    }
    hm_buf_init(&b, HM_PAYLOAD_MAX_BYTES);
    hm_buf_puts(&b, "{\"_type\":\"" HM_STATEMENT_TYPE_V1 "\",");
    hm_attest_policy_subjects(&b, vsa->artifacts, vsa->n_artifacts);
    hm_buf_puts(&b, ",\"predicateType\":\"" HM_VSA_PREDICATE "\",");
    put_predicate(&b, vsa);
    hm_buf_puts(&b, "}");
    if ((err = hm_buf_status(&b)) != HM_OK) {
        hm_buf_free(&b);
        return err;
    }
    *out = hm_buf_steal(&b, len); /* the caller owns it now */
    hm_buf_free(&b);
    return *out != NULL ? HM_OK : HM_E_NOMEM;
}

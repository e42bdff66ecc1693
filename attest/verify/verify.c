/*
 * verify.c: the one call a device makes (DESIGN.md, "The path of a verification").
 *
 * Order matters: the envelope is parsed, the key named, the signature checked over
 * the exact PAE bytes, and only then is the statement read, from the verified payload
 * bytes and never from anything else in the bundle.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

const char *
hm_verify_status_name(enum hm_verify_status st)
{
    switch (st) {
    case HM_V_OK:
        return "ok";
    case HM_V_MALFORMED_BUNDLE:
        return "malformed-bundle";
    case HM_V_LIMITS_EXCEEDED:
        return "limits-exceeded";
    case HM_V_WRONG_PAYLOAD_TYPE:
        return "wrong-payload-type";
    case HM_V_UNKNOWN_KEY:
        return "unknown-key";
    case HM_V_BAD_SIGNATURE:
        return "bad-signature";
    case HM_V_MALFORMED_STATEMENT:
        return "malformed-statement";
    case HM_V_WRONG_PREDICATE:
        return "wrong-predicate";
    case HM_V_NOT_A_SUBJECT:
        return "not-a-subject";
    case HM_V_DIGEST_MISMATCH:
        return "digest-mismatch";
    case HM_V_WRONG_PRODUCT:
        return "wrong-product";
    case HM_V_ROLLBACK:
        return "rollback";
    case HM_V_KEY_NOT_VALID:
        return "key-not-valid";
    case HM_V_LOG_PROOF_INVALID:
        return "log-proof-invalid";
    case HM_V_CHECKPOINT_SIG_INVALID:
        return "checkpoint-signature-invalid";
    case HM_V_WITNESS_THRESHOLD:
        return "witness-threshold-not-met";
    case HM_V_TRUST_ROOT_EXPIRED:
        return "trust-root-expired";
    case HM_V_ATTESTATION_EXPIRED:
        return "attestation-expired";
    case HM_V_WRONG_PROJECT:
        return "wrong-project";
    case HM_V_VERSION_NOT_COVERED:
        return "version-not-covered";
    }
    return "unknown-status";
}

void
hm_v_verdict(struct hm_verify_result *out, enum hm_verify_status st, const char *fmt, ...)
{
    va_list ap;

    out->status = st;
    va_start(ap, fmt);
    (void)vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
    va_end(ap);
}

/* "3a5f0c1d2e4b…": enough of a digest for a person to tell two apart. */
void
hm_v_short_hex(const uint8_t *d, char out[16])
{
    char full[2 * 6 + 1];

    hm_hex_encode(d, 6, full);
    (void)snprintf(out, 16, "%s\xe2\x80\xa6", full);
}

static hm_err
check_signature(const struct hm_bundle *b, const struct hm_pubkey *key,
                struct hm_verify_result *out)
{
    const struct hm_dsse *env = b->dsse;
    const char *kid = hm_pubkey_keyid(key);
    uint8_t *pae = NULL;
    size_t pae_len = 0;
    char clean[80];
    hm_err err;

    if (strcmp(env->payload_type, HM_PAYLOAD_TYPE_INTOTO) != 0) {
        hm_v_clean(env->payload_type, clean, sizeof(clean));
        hm_v_verdict(out, HM_V_WRONG_PAYLOAD_TYPE,
                     "dsseEnvelope.payloadType is \"%s\", expected %s", clean,
                     HM_PAYLOAD_TYPE_INTOTO);
        return HM_OK;
    }
    if (strcmp(b->hint, kid) != 0 ||
        (env->sigs[0].keyid != NULL && strcmp(env->sigs[0].keyid, kid) != 0)) {
        hm_v_clean(b->hint, clean, sizeof(clean));
        hm_v_verdict(out, HM_V_UNKNOWN_KEY,
                     "verificationMaterial.publicKey.hint \"%s\" does not name the trusted key %s",
                     clean, kid);
        return HM_OK;
    }
    if ((err = hm_dsse_pae(env->payload_type, strlen(env->payload_type), env->payload,
                           env->payload_len, &pae, &pae_len)) != HM_OK) {
        return err;
    }
    err = hm_pubkey_verify(key, pae, pae_len, env->sigs[0].sig, env->sigs[0].sig_len);
    free(pae);
    if (err == HM_E_VERIFY) {
        hm_v_verdict(out, HM_V_BAD_SIGNATURE,
                     "the signature does not verify over the DSSE PAE with key %s (%s)", kid,
                     hm_key_alg_name(hm_pubkey_alg(key)));
        return HM_OK;
    }
    if (err == HM_OK) {
        hm_v_copy(out->keyid, sizeof(out->keyid), kid);
    }
    return err;
}

/* All digests present in both must be equal; a subject always has sha256 or sha512. */
static bool
subject_matches(const struct hm_subject *s, const struct hm_digests *d)
{
    if (s->has_sha256 && !hm_ct_equal(s->sha256, d->sha256, HM_SHA256_LEN)) {
        return false;
    }
    if (s->has_sha512 && !hm_ct_equal(s->sha512, d->sha512, HM_SHA512_LEN)) {
        return false;
    }
    return s->has_sha256 || s->has_sha512;
}

static void
match_one(const struct hm_statement *st, const struct hm_verify_artifact *a,
          struct hm_verify_result *out)
{
    const struct hm_subject *named = NULL;
    char name[96], mine[16], theirs[16];

    for (size_t i = 0; i < st->n_subjects; i++) {
        if (subject_matches(&st->subjects[i], &a->digests)) {
            out->n_artifacts_matched++;
            return;
        }
        if (named == NULL && a->name != NULL && st->subjects[i].name != NULL &&
            strcmp(st->subjects[i].name, a->name) == 0) {
            named = &st->subjects[i];
        }
    }
    hm_v_clean(a->name != NULL ? a->name : "(unnamed)", name, sizeof(name));
    hm_v_short_hex(a->digests.sha256, mine);
    if (named == NULL) {
        hm_v_verdict(out, HM_V_NOT_A_SUBJECT,
                     "artifact %s (sha256 %s) is not a subject of the statement", name, mine);
    } else if (named->has_sha256) {
        hm_v_short_hex(named->sha256, theirs);
        hm_v_verdict(out, HM_V_DIGEST_MISMATCH,
                     "artifact %s has sha256 %s but the subject of that name has sha256 %s", name,
                     mine, theirs);
    } else {
        hm_v_short_hex(a->digests.sha512, mine);
        hm_v_short_hex(named->sha512, theirs);
        hm_v_verdict(out, HM_V_DIGEST_MISMATCH,
                     "artifact %s has sha512 %s but the subject of that name has sha512 %s", name,
                     mine, theirs);
    }
}

void
hm_v_fill_release(const struct hm_release_pred *rel, struct hm_verify_result *out)
{
    hm_v_copy(out->product, sizeof(out->product), rel->product);
    hm_v_copy(out->channel, sizeof(out->channel), rel->channel ? rel->channel : "");
    hm_v_copy(out->version, sizeof(out->version), rel->version);
    hm_v_copy(out->support_end, sizeof(out->support_end), rel->support_end ? rel->support_end : "");
    hm_v_copy(out->manufacturer, sizeof(out->manufacturer),
              rel->manufacturer ? rel->manufacturer : "");
    hm_v_copy(out->security_contact, sizeof(out->security_contact),
              rel->security_contact ? rel->security_contact : "");
}

/* Product and anti-rollback, when the caller asks for them. */
void
hm_v_check_release(const struct hm_statement *st, const struct hm_verify_opts *opts,
                   struct hm_verify_result *out)
{
    const struct hm_release_pred *rel = st->release;
    char have[132], want[132];
    int cmp = 0;

    if (opts->product != NULL && (rel == NULL || strcmp(rel->product, opts->product) != 0)) {
        hm_v_clean(opts->product, want, sizeof(want));
        hm_v_clean(rel != NULL ? rel->product : "(none)", have, sizeof(have));
        hm_v_verdict(out, HM_V_WRONG_PRODUCT, "the statement is for product %s, expected %s", have,
                     want);
        return;
    }
    if (opts->installed_version == NULL) {
        return;
    }
    hm_v_clean(opts->installed_version, want, sizeof(want));
    hm_v_clean(rel != NULL ? rel->version : "(none)", have, sizeof(have));
    if (rel == NULL || hm_v_semver_cmp(rel->version, opts->installed_version, &cmp) != HM_OK) {
        hm_v_verdict(out, HM_V_ROLLBACK,
                     "cannot tell whether version %s is newer than the installed %s: both must be "
                     "SemVer 2.0.0",
                     have, want);
    } else if (cmp <= 0) {
        hm_v_verdict(out, HM_V_ROLLBACK, "version %s is not newer than the installed %s", have,
                     want);
    }
}

/* Reads the statement from the verified payload and checks it against the request. */
static hm_err
check_statement(const struct hm_dsse *env, const struct hm_verify_artifact *arts, size_t n_arts,
                const struct hm_verify_opts *opts, struct hm_verify_result *out)
{
    struct hm_statement *st = NULL;
    const char *want = opts->expect_predicate ? opts->expect_predicate : HM_PREDICATE_RELEASE;
    char why[200], clean[96];
    hm_err err;

    if ((err = hm_statement_parse(env->payload, env->payload_len, &st, why, sizeof(why))) !=
        HM_OK) {
        if (err == HM_E_INVALID || err == HM_E_LIMIT) {
            hm_v_verdict(out, err == HM_E_LIMIT ? HM_V_LIMITS_EXCEEDED : HM_V_MALFORMED_STATEMENT,
                         "signed statement: %s", why);
            err = HM_OK;
        }
        return err;
    }
    out->n_subjects = st->n_subjects;
    if (st->release != NULL) {
        hm_v_fill_release(st->release, out);
    }
    if (strcmp(st->predicate_type, want) != 0) {
        hm_v_clean(st->predicate_type, clean, sizeof(clean));
        hm_v_verdict(out, HM_V_WRONG_PREDICATE, "predicateType is %s, expected %s", clean, want);
        goto out;
    }
    for (size_t i = 0; i < n_arts && out->status == HM_V_OK; i++) {
        match_one(st, &arts[i], out);
    }
    if (out->status == HM_V_OK) {
        hm_v_check_release(st, opts, out);
    }
out:
    hm_statement_free(st);
    return HM_OK;
}

hm_err
hm_verify_bundle_key(const uint8_t *bundle, size_t len, const struct hm_pubkey *key,
                     const struct hm_verify_artifact *arts, size_t n_arts,
                     const struct hm_verify_opts *opts, struct hm_verify_result *out)
{
    static const struct hm_verify_opts defaults = { NULL, NULL, NULL };
    struct hm_bundle *b = NULL;
    char why[200];
    hm_err err;

    if (out == NULL) {
        return HM_E_INVALID;
    }
    memset(out, 0, sizeof(*out));
    out->status = HM_V_MALFORMED_BUNDLE; /* never "ok" until every check has passed */
    if (key == NULL || arts == NULL || n_arts == 0) {
        (void)snprintf(out->detail, sizeof(out->detail), "no trusted key or no artifact given");
        return HM_E_INVALID;
    }
    opts = opts != NULL ? opts : &defaults;
    if ((err = hm_bundle_parse(bundle, len, &b, why, sizeof(why))) != HM_OK) {
        if (err == HM_E_INVALID || err == HM_E_LIMIT) {
            hm_v_verdict(out, err == HM_E_LIMIT ? HM_V_LIMITS_EXCEEDED : HM_V_MALFORMED_BUNDLE,
                         "%s", why);
            err = HM_OK;
        }
        goto out;
    }
    out->status = HM_V_OK;
    if ((err = check_signature(b, key, out)) != HM_OK || out->status != HM_V_OK) {
        goto out;
    }
    err = check_statement(b->dsse, arts, n_arts, opts, out);
out:
    if (err != HM_OK) {
        out->status = HM_V_MALFORMED_BUNDLE;
        (void)snprintf(out->detail, sizeof(out->detail), "verification could not run: %s",
                       hm_strerror(err));
    }
    hm_bundle_free(b);
    return err;
}

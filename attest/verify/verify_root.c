/*
 * verify_root.c: hm_verify_bundle, a device's one call (DESIGN.md "The path of a
 * verification"; the order and every reason are in docs/verify-library.md).
 *
 *   trust root expiry (when now is known)
 *   -> bundle shape -> key named by the hint is in the root -> DSSE signature over the PAE
 *   -> release statement from the verified payload only -> the key may sign this product
 *   -> the log entry (required when the root lists logs) -> the key's validity window at the
 *      signing time -> every image is a subject -> device product -> anti-rollback.
 *
 * The images are hashed last: a bundle that fails cheaper checks costs no image read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

struct image_digest {
    bool has256, has512;
    uint8_t sha256[HM_SHA256_LEN];
    uint8_t sha512[HM_SHA512_LEN];
};

/* The key the hint names, and its signature over PAE(payloadType, payload). */
static hm_err
check_signature(const struct hm_trustroot *root, const struct hm_bundle *b,
                const struct hm_v_tr_key **key_out, struct hm_verify_result *out)
{
    const struct hm_dsse *env = b->dsse;
    const struct hm_v_tr_key *key = NULL;
    uint8_t *pae = NULL;
    size_t pae_len = 0;
    char clean[80];
    hm_err err;

    *key_out = NULL;
    if (strcmp(env->payload_type, HM_PAYLOAD_TYPE_INTOTO) != 0) {
        hm_v_clean(env->payload_type, clean, sizeof(clean));
        hm_v_verdict(out, HM_V_WRONG_PAYLOAD_TYPE,
                     "dsseEnvelope.payloadType is \"%s\", expected %s", clean,
                     HM_PAYLOAD_TYPE_INTOTO);
        return HM_OK;
    }
    if ((key = hm_v_trustroot_find_key(root, b->hint)) == NULL) {
        hm_v_clean(b->hint, clean, sizeof(clean));
        hm_v_verdict(out, HM_V_UNKNOWN_KEY,
                     "verificationMaterial.publicKey.hint \"%s\" names no key of trust root "
                     "version %llu",
                     clean, (unsigned long long)root->version);
        return HM_OK;
    }
    if ((err = hm_dsse_pae(env->payload_type, strlen(env->payload_type), env->payload,
                           env->payload_len, &pae, &pae_len)) != HM_OK) {
        return err;
    }
    err = hm_pubkey_verify(key->pk, pae, pae_len, env->sigs[0].sig, env->sigs[0].sig_len);
    free(pae);
    if (err == HM_E_VERIFY) {
        hm_v_verdict(out, HM_V_BAD_SIGNATURE,
                     "the signature does not verify over the DSSE PAE with key %s (%s)", key->keyid,
                     hm_key_alg_name(hm_pubkey_alg(key->pk)));
        return HM_OK;
    }
    if (err == HM_OK) {
        hm_v_copy(out->keyid, sizeof(out->keyid), key->keyid);
        *key_out = key;
    }
    return err;
}

/* The statement, from the verified payload: a release, whose fields go into the result. */
static hm_err
read_statement(const struct hm_bundle *b, struct hm_statement **st_out,
               struct hm_verify_result *out)
{
    struct hm_statement *st = NULL;
    char why[200], clean[96];
    hm_err err;

    *st_out = NULL;
    if ((err = hm_statement_parse(b->dsse->payload, b->dsse->payload_len, &st, why, sizeof(why))) !=
        HM_OK) {
        if (err == HM_E_INVALID || err == HM_E_LIMIT) {
            hm_v_verdict(out, err == HM_E_LIMIT ? HM_V_LIMITS_EXCEEDED : HM_V_MALFORMED_STATEMENT,
                         "signed statement: %s", why);
            err = HM_OK;
        }
        return err;
    }
    out->n_subjects = st->n_subjects;
    if (st->release == NULL) {
        hm_v_clean(st->predicate_type, clean, sizeof(clean));
        hm_v_verdict(out, HM_V_WRONG_PREDICATE, "predicateType is %s, expected %s", clean,
                     HM_PREDICATE_RELEASE);
        hm_statement_free(st);
        return HM_OK;
    }
    hm_v_fill_release(st->release, out);
    out->has_sbom_sha256 = st->release->has_sbom_sha256;
    memcpy(out->sbom_sha256, st->release->sbom_sha256, HM_SHA256_LEN);
    *st_out = st;
    return HM_OK;
}

static void
check_key_product(const struct hm_v_tr_key *key, const char *product, struct hm_verify_result *out)
{
    for (size_t i = 0; i < key->n_products; i++) {
        if (strcmp(key->products[i], product) == 0) {
            return;
        }
    }
    hm_v_verdict(out, HM_V_KEY_NOT_VALID, "key %s may sign %zu product(s) (%s%s), not %s",
                 key->keyid, key->n_products, key->products[0], key->n_products > 1 ? ", ..." : "",
                 product);
}

static void
window_text(const struct hm_v_tr_key *key, char *buf, size_t len)
{
    char from[32] = "(open)", until[32] = "(open)";

    if (key->valid_from != INT64_MIN) {
        hm_time_rfc3339(key->valid_from, from);
    }
    if (key->valid_until != INT64_MAX) {
        hm_time_rfc3339(key->valid_until, until);
    }
    (void)snprintf(buf, len, "%s .. %s", from, until);
}

/* The validity window, at the signing time: the log's when the entry verified, else the
 * statement's signedAt; without a log (nothing attests the time) also at now, if known. */
static void
check_key_time(const struct hm_v_tr_key *key, const struct hm_device_facts *dev,
               struct hm_verify_result *out)
{
    char window[80], when[32];
    int64_t t = out->signed_at;

    if (t < key->valid_from || t > key->valid_until) {
        window_text(key, window, sizeof(window)); /* text only on failure: it costs strftime */
        hm_time_rfc3339(t, when);
        hm_v_verdict(out, HM_V_KEY_NOT_VALID, "key %s signed at %s (%s), outside its window %s",
                     key->keyid, when,
                     out->signed_at_logged ? "the log's time" : "the signer's claim", window);
        return;
    }
    if (!out->logged && dev->now != 0 &&
        (dev->now < key->valid_from || dev->now > key->valid_until)) {
        window_text(key, window, sizeof(window));
        hm_time_rfc3339(dev->now, when);
        hm_v_verdict(out, HM_V_KEY_NOT_VALID,
                     "key %s is not valid now (%s; window %s) and no log attests the signing time",
                     key->keyid, when, window);
    }
}

static hm_err
hash_image(const struct hm_verify_image *img, struct image_digest *d)
{
    struct hm_digests full;
    hm_err err;

    memset(d, 0, sizeof(*d));
    switch (img->source) {
    case HM_IMAGE_DIGEST:
        if (!img->has_sha256 && !img->has_sha512) {
            return HM_E_INVALID;
        }
        d->has256 = img->has_sha256;
        d->has512 = img->has_sha512;
        memcpy(d->sha256, img->sha256, sizeof(d->sha256));
        memcpy(d->sha512, img->sha512, sizeof(d->sha512));
        return HM_OK;
    case HM_IMAGE_PATH:
        err = img->path != NULL ? hm_digest_file(img->path, &full) : HM_E_INVALID;
        break;
    case HM_IMAGE_FD:
        err = img->fd >= 0 ? hm_digest_fd(img->fd, &full) : HM_E_INVALID;
        break;
    default:
        return HM_E_INVALID;
    }
    if (err == HM_OK) {
        d->has256 = d->has512 = true;
        memcpy(d->sha256, full.sha256, sizeof(d->sha256));
        memcpy(d->sha512, full.sha512, sizeof(d->sha512));
    }
    return err;
}

/* Every digest both have is equal, and they share at least one. */
static bool
subject_matches(const struct hm_subject *s, const struct image_digest *d)
{
    bool compared = false;

    if (s->has_sha256 && d->has256) {
        if (!hm_ct_equal(s->sha256, d->sha256, HM_SHA256_LEN)) {
            return false;
        }
        compared = true;
    }
    if (s->has_sha512 && d->has512) {
        if (!hm_ct_equal(s->sha512, d->sha512, HM_SHA512_LEN)) {
            return false;
        }
        compared = true;
    }
    return compared;
}

static void
match_image(const struct hm_statement *st, const struct hm_verify_image *img,
            const struct image_digest *d, struct hm_verify_result *out)
{
    const struct hm_subject *named = NULL;
    char name[96], mine[16], theirs[16];
    bool use256;

    for (size_t i = 0; i < st->n_subjects; i++) {
        if (subject_matches(&st->subjects[i], d)) {
            out->n_artifacts_matched++;
            return;
        }
        if (named == NULL && img->name != NULL && st->subjects[i].name != NULL &&
            strcmp(st->subjects[i].name, img->name) == 0) {
            named = &st->subjects[i];
        }
    }
    hm_v_clean(img->name != NULL ? img->name : "(unnamed)", name, sizeof(name));
    hm_v_short_hex(d->has256 ? d->sha256 : d->sha512, mine);
    if (named == NULL) {
        hm_v_verdict(out, HM_V_NOT_A_SUBJECT, "image %s (%s %s) is not a subject of the release",
                     name, d->has256 ? "sha256" : "sha512", mine);
        return;
    }
    /* Name the digest that differs (a sha256 may match while the sha512 does not). */
    use256 = named->has_sha256 && d->has256 && !hm_ct_equal(named->sha256, d->sha256, 32);
    hm_v_short_hex(use256 ? d->sha256 : d->sha512, mine);
    hm_v_short_hex(use256 ? named->sha256 : named->sha512, theirs);
    hm_v_verdict(out, HM_V_DIGEST_MISMATCH,
                 "image %s has %s %s but the subject of that name has %s", name,
                 use256 ? "sha256" : "sha512", mine, theirs);
}

static hm_err
check_images(const struct hm_statement *st, const struct hm_verify_image *images, size_t n,
             struct hm_verify_result *out)
{
    struct image_digest d;
    hm_err err;

    for (size_t i = 0; i < n && out->status == HM_V_OK; i++) {
        if ((err = hash_image(&images[i], &d)) != HM_OK) {
            return err;
        }
        match_image(st, &images[i], &d, out);
    }
    return HM_OK;
}

/* Everything after the signature; st is the verified release. */
static hm_err
check_release_and_log(const struct hm_trustroot *root, const struct hm_bundle *b,
                      const struct hm_v_tr_key *key, const struct hm_statement *st,
                      const struct hm_verify_image *images, size_t n_images,
                      const struct hm_device_facts *dev, struct hm_verify_result *out)
{
    struct hm_verify_opts opts = { NULL, dev->product, dev->installed_version };
    int64_t log_time = 0;
    hm_err err = HM_OK;

    check_key_product(key, st->release->product, out);
    if (out->status != HM_V_OK) {
        return HM_OK;
    }
    if (root->n_logs > 0 && ((err = hm_v_check_tlog(root, b, key, st, out, &log_time)) != HM_OK ||
                             out->status != HM_V_OK)) {
        return err;
    }
    out->signed_at_logged = out->logged;
    out->signed_at = out->logged ? log_time : st->release->signed_at;
    check_key_time(key, dev, out);
    if (out->status != HM_V_OK || (err = check_images(st, images, n_images, out)) != HM_OK ||
        out->status != HM_V_OK) {
        return out->status != HM_V_OK ? HM_OK : err;
    }
    hm_v_check_release(st, &opts, out);
    return HM_OK;
}

/* Trust root expiry, then the bundle's shape. */
static hm_err
open_bundle(const struct hm_trustroot *root, const uint8_t *bundle, size_t len,
            const struct hm_device_facts *dev, struct hm_bundle **b, struct hm_verify_result *out)
{
    char why[200], when[32];
    hm_err err;

    *b = NULL;
    out->time_checked = dev->now != 0;
    if (dev->now != 0 && root->expires <= dev->now) {
        hm_time_rfc3339(root->expires, when);
        hm_v_verdict(out, HM_V_TRUST_ROOT_EXPIRED,
                     "trust root version %llu expired at %s: update it before verifying",
                     (unsigned long long)root->version, when);
        return HM_OK;
    }
    if ((err = hm_bundle_parse(bundle, len, b, why, sizeof(why))) != HM_OK) {
        if (err == HM_E_INVALID || err == HM_E_LIMIT) {
            hm_v_verdict(out, err == HM_E_LIMIT ? HM_V_LIMITS_EXCEEDED : HM_V_MALFORMED_BUNDLE,
                         "%s", why);
            err = HM_OK;
        }
        return err;
    }
    out->status = HM_V_OK;
    return HM_OK;
}

hm_err
hm_verify_bundle(const struct hm_trustroot *root, const uint8_t *bundle, size_t len,
                 const struct hm_verify_image *images, size_t n_images,
                 const struct hm_device_facts *device, struct hm_verify_result *out)
{
    static const struct hm_device_facts unknown = { NULL, NULL, 0 };
    const struct hm_v_tr_key *key = NULL;
    struct hm_bundle *b = NULL;
    struct hm_statement *st = NULL;
    hm_err err;

    if (out == NULL) {
        return HM_E_INVALID;
    }
    memset(out, 0, sizeof(*out));
    out->status = HM_V_MALFORMED_BUNDLE; /* never "ok" until every check has passed */
    if (root == NULL || images == NULL || n_images == 0 || n_images > HM_MAX_SUBJECTS) {
        (void)snprintf(out->detail, sizeof(out->detail), "no trust root or no image given");
        return HM_E_INVALID;
    }
    device = device != NULL ? device : &unknown;
    if ((err = open_bundle(root, bundle, len, device, &b, out)) != HM_OK ||
        out->status != HM_V_OK || (err = check_signature(root, b, &key, out)) != HM_OK ||
        out->status != HM_V_OK || (err = read_statement(b, &st, out)) != HM_OK ||
        out->status != HM_V_OK) {
        goto out;
    }
    err = check_release_and_log(root, b, key, st, images, n_images, device, out);
out:
    if (err != HM_OK) {
        out->status = HM_V_MALFORMED_BUNDLE;
        (void)snprintf(out->detail, sizeof(out->detail), "verification could not run: %s",
                       hm_strerror(err));
    }
    hm_statement_free(st);
    hm_bundle_free(b);
    return err;
}

/*
 * steward_verify.c: hm_verify_steward_bundle, verifying a steward attestation (CRA Art. 25;
 * docs/steward-attestation.md "Verifying").
 *
 *   bundle shape -> the key (trust root: named by the hint; or the one key given) -> DSSE
 *   signature over the PAE -> statement and predicate from the verified payload only ->
 *   (trust root) the key may vouch for stewards or this project -> the log entry when the
 *   root lists logs -> the key's window at the signing time -> expiry at now -> project.
 *
 * The same code runs in `hallmark verify` and on the daemon's page (signer/daemon/page.c).
 */
#include <hm/steward.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

#define STEWARD_PRODUCT "steward" /* a trust-root key listing it may sign for any project */

/* hm_v_verdict writes into a struct hm_verify_result: the log check shares it. */
struct sv {
    struct hm_verify_result r;
    const struct hm_v_tr_key *trkey;
    const struct hm_pubkey *pk;
};

static hm_err
check_signature(const struct hm_trustroot *root, const struct hm_pubkey *key,
                const struct hm_bundle *b, struct sv *v)
{
    const struct hm_dsse *env = b->dsse;
    uint8_t *pae = NULL;
    size_t pae_len = 0;
    char clean[80];
    hm_err err;

    if (strcmp(env->payload_type, HM_PAYLOAD_TYPE_INTOTO) != 0) {
        hm_v_clean(env->payload_type, clean, sizeof(clean));
        hm_v_verdict(&v->r, HM_V_WRONG_PAYLOAD_TYPE, "dsseEnvelope.payloadType is \"%s\"", clean);
        return HM_OK;
    }
    if (root != NULL) {
        v->trkey = hm_v_trustroot_find_key(root, b->hint);
        v->pk = v->trkey != NULL ? v->trkey->pk : NULL;
    } else if (strcmp(b->hint, hm_pubkey_keyid(key)) == 0) {
        v->pk = key;
    }
    if (v->pk == NULL) {
        hm_v_clean(b->hint, clean, sizeof(clean));
        hm_v_verdict(&v->r, HM_V_UNKNOWN_KEY, "verificationMaterial.publicKey.hint \"%s\" names %s",
                     clean, root != NULL ? "no key of the trust root" : "another key");
        return HM_OK;
    }
    if ((err = hm_dsse_pae(env->payload_type, strlen(env->payload_type), env->payload,
                           env->payload_len, &pae, &pae_len)) != HM_OK) {
        return err;
    }
    err = hm_pubkey_verify(v->pk, pae, pae_len, env->sigs[0].sig, env->sigs[0].sig_len);
    free(pae);
    if (err == HM_E_VERIFY) {
        hm_v_verdict(&v->r, HM_V_BAD_SIGNATURE,
                     "the signature does not verify over the DSSE PAE "
                     "with key %s",
                     hm_pubkey_keyid(v->pk));
        return HM_OK;
    }
    if (err == HM_OK) {
        hm_v_copy(v->r.keyid, sizeof(v->r.keyid), hm_pubkey_keyid(v->pk));
    }
    return err;
}

/* The predicate from the verified payload.  A statement of another type is told apart for
 * a clearer reason (hm_statement_parse refuses the gitCommit-only subjects that steward
 * statements may have, so it is only asked when the steward parser refused). */
static hm_err
read_attestation(const struct hm_bundle *b, struct sv *v, struct hm_steward **sw_out)
{
    struct hm_statement *other = NULL;
    char why[200], clean[96];
    hm_err err;

    err = hm_steward_parse_predicate(b->dsse->payload, b->dsse->payload_len, sw_out, why,
                                     sizeof(why));
    if (err != HM_E_INVALID && err != HM_E_LIMIT) {
        return err;
    }
    if (hm_statement_parse(b->dsse->payload, b->dsse->payload_len, &other, NULL, 0) == HM_OK &&
        strcmp(other->predicate_type, HM_PREDICATE_STEWARD) != 0) {
        hm_v_clean(other->predicate_type, clean, sizeof(clean));
        hm_v_verdict(&v->r, HM_V_WRONG_PREDICATE, "predicateType is %s, expected %s", clean,
                     HM_PREDICATE_STEWARD);
    } else {
        hm_v_verdict(&v->r, err == HM_E_LIMIT ? HM_V_LIMITS_EXCEEDED : HM_V_MALFORMED_STATEMENT,
                     "steward attestation: %s", why);
    }
    hm_statement_free(other);
    return HM_OK;
}

static void
check_key_scope(const struct hm_steward *sw, struct sv *v)
{
    const struct hm_v_tr_key *k = v->trkey;
    char when[32];
    int64_t t = v->r.signed_at;

    for (size_t i = 0; i < k->n_products; i++) {
        if (strcmp(k->products[i], STEWARD_PRODUCT) == 0 ||
            strcmp(k->products[i], sw->project.name) == 0) {
            if (t < k->valid_from || t > k->valid_until) {
                hm_time_rfc3339(t, when);
                hm_v_verdict(&v->r, HM_V_KEY_NOT_VALID,
                             "key %s signed at %s (%s), outside its validity window", k->keyid,
                             when, v->r.signed_at_logged ? "the log's time" : "timeAssessed");
            }
            return;
        }
    }
    hm_v_verdict(&v->r, HM_V_KEY_NOT_VALID,
                 "key %s may sign neither steward attestations (product \"%s\") nor project %s",
                 k->keyid, STEWARD_PRODUCT, sw->project.name);
}

static void
fill_facts(const struct hm_steward *sw, struct hm_verify_steward_result *out)
{
    hm_v_copy(out->project_name, sizeof(out->project_name), sw->project.name);
    hm_v_copy(out->project_purl, sizeof(out->project_purl), sw->project.purl);
    hm_v_copy(out->steward, sizeof(out->steward), sw->steward.legal_name);
    hm_v_copy(out->assessor, sizeof(out->assessor), sw->assessor.name);
    out->time_assessed = sw->time_assessed;
    out->expires = sw->expires;
    out->n_requirements = sw->n_requirements;
    for (size_t i = 0; i < sw->n_requirements; i++) {
        out->n_met += sw->requirements[i].status == HM_STEWARD_MET;
        out->n_partially += sw->requirements[i].status == HM_STEWARD_PARTIALLY;
    }
}

/* Expiry and the project, by the predicate's own rules (hm_steward_check). */
static void
check_current(const struct hm_steward *sw, const struct hm_verify_steward_opts *o, struct sv *v)
{
    struct hm_steward_expect want = { o->project_name, o->project_purl, o->version };
    char why[200];

    switch (hm_steward_check(sw, &want, o->now, why, sizeof(why))) {
    case HM_STEWARD_OK:
        return;
    case HM_STEWARD_EXPIRED:
        hm_v_verdict(&v->r, HM_V_ATTESTATION_EXPIRED, "%s", why);
        return;
    case HM_STEWARD_WRONG_PROJECT:
        hm_v_verdict(&v->r, HM_V_WRONG_PROJECT, "%s", why);
        return;
    case HM_STEWARD_NOT_COVERED:
        hm_v_verdict(&v->r, HM_V_VERSION_NOT_COVERED, "%s", why);
        return;
    default:
        hm_v_verdict(&v->r, HM_V_MALFORMED_STATEMENT, "%s", why);
        return;
    }
}

static hm_err
check_all(const struct hm_trustroot *root, const struct hm_bundle *b,
          const struct hm_verify_steward_opts *o, struct sv *v, struct hm_steward **sw,
          struct hm_verify_steward_result *out)
{
    /* what the log check reads of a statement: its type (not a release: no product) */
    struct hm_statement st = { .predicate_type = (char *)HM_PREDICATE_STEWARD };
    int64_t log_time = 0;
    hm_err err;

    if ((err = read_attestation(b, v, sw)) != HM_OK || v->r.status != HM_V_OK) {
        return err;
    }
    fill_facts(*sw, out);
    v->r.signed_at = (*sw)->time_assessed;
    if (root != NULL && root->n_logs > 0 &&
        ((err = hm_v_check_tlog(root, b, v->trkey, &st, &v->r, &log_time)) != HM_OK ||
         v->r.status != HM_V_OK)) {
        return err;
    }
    if (v->r.logged) {
        v->r.signed_at = log_time;
        v->r.signed_at_logged = true;
    }
    if (root != NULL) {
        check_key_scope(*sw, v);
    }
    if (v->r.status == HM_V_OK) {
        check_current(*sw, o, v);
    }
    return HM_OK;
}

static void
copy_result(const struct sv *v, struct hm_verify_steward_result *out)
{
    out->status = v->r.status;
    hm_v_copy(out->detail, sizeof(out->detail), v->r.detail);
    hm_v_copy(out->keyid, sizeof(out->keyid), v->r.keyid);
    out->logged = v->r.logged;
    out->log_index = v->r.log_index;
    out->log_tree_size = v->r.log_tree_size;
    hm_v_copy(out->log_origin, sizeof(out->log_origin), v->r.log_origin);
    out->n_witnesses = v->r.n_witnesses;
    out->signed_at = v->r.signed_at;
    out->signed_at_logged = v->r.signed_at_logged;
}

hm_err
hm_verify_steward_bundle(const struct hm_trustroot *root, const struct hm_pubkey *key,
                         const uint8_t *bundle, size_t len,
                         const struct hm_verify_steward_opts *opts,
                         struct hm_verify_steward_result *out, struct hm_steward **st_out)
{
    struct hm_steward *sw = NULL;
    struct hm_bundle *b = NULL;
    struct sv v;
    char why[200];
    hm_err err = HM_OK;

    if (st_out != NULL) {
        *st_out = NULL;
    }
    if (out == NULL) {
        return HM_E_INVALID;
    }
    memset(out, 0, sizeof(*out));
    memset(&v, 0, sizeof(v));
    out->status = HM_V_MALFORMED_BUNDLE; /* never "ok" until every check has passed */
    if ((root == NULL) == (key == NULL) || opts == NULL || opts->now == 0 || bundle == NULL) {
        (void)snprintf(out->detail, sizeof(out->detail), "needs a trust root or a key, and now");
        return HM_E_INVALID;
    }
    if (root != NULL && root->expires <= opts->now) {
        hm_v_verdict(&v.r, HM_V_TRUST_ROOT_EXPIRED, "trust root version %llu has expired",
                     (unsigned long long)root->version);
        goto done;
    }
    if ((err = hm_bundle_parse(bundle, len, &b, why, sizeof(why))) != HM_OK) {
        if (err == HM_E_INVALID || err == HM_E_LIMIT) {
            hm_v_verdict(&v.r, err == HM_E_LIMIT ? HM_V_LIMITS_EXCEEDED : HM_V_MALFORMED_BUNDLE,
                         "%s", why);
            err = HM_OK;
        }
        goto done;
    }
    if ((err = check_signature(root, key, b, &v)) != HM_OK || v.r.status != HM_V_OK ||
        (err = check_all(root, b, opts, &v, &sw, out)) != HM_OK) {
        goto done;
    }
done:
    if (err != HM_OK) {
        hm_v_verdict(&v.r, HM_V_MALFORMED_BUNDLE, "verification could not run: %s",
                     hm_strerror(err));
    }
    copy_result(&v, out);
    if (out->status == HM_V_OK && st_out != NULL) {
        *st_out = sw;
        sw = NULL; /* the caller owns it now */
    }
    hm_steward_free(sw);
    hm_bundle_free(b);
    return err;
}

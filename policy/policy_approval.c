/*
 * policy_approval.c: k-of-n approvals (rule 7).
 *
 * An approval is a DSSE envelope (payloadType application/vnd.in-toto+json) of an in-toto
 * Statement v1 with predicateType HM_PREDICATE_APPROVAL and predicate {product, version,
 * approver?, comment?}.  It counts when:
 *   - a signature verifies over the exact PAE bytes with a key the product lists;
 *   - the statement, read from the verified bytes only, names the request's product
 *     and version;
 *   - its subjects are exactly the request's artifacts, matched by digest;
 * and each approver counts once, however many approvals they signed.  The keyid is not
 * trusted (DSSE): every listed key is tried.
 */
#include <hm/json.h>
#include <hm/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

#define WHY_LEN 256

/* The approver whose key verifies one of env's signatures; -1 when none. */
static long
find_signer(const struct pol_product *pr, const struct hm_dsse *env, const uint8_t *pae,
            size_t pae_len)
{
    for (size_t s = 0; s < env->n_sigs; s++) {
        for (size_t j = 0; j < pr->n_approvers; j++) {
            if (pr->approvers[j].key != NULL &&
                hm_pubkey_verify(pr->approvers[j].key, pae, pae_len, env->sigs[s].sig,
                                 env->sigs[s].sig_len) == HM_OK) {
                return (long)j;
            }
        }
    }
    return -1;
}

static bool
subject_matches(const struct hm_subject *s, const struct hm_policy_artifact *a)
{
    bool any = false;

    if (s->has_sha256 && a->has_sha256) {
        if (!hm_ct_equal(s->sha256, a->sha256, HM_SHA256_LEN)) {
            return false;
        }
        any = true;
    }
    if (s->has_sha512 && a->has_sha512) {
        if (!hm_ct_equal(s->sha512, a->sha512, HM_SHA512_LEN)) {
            return false;
        }
        any = true;
    }
    return any;
}

/* Every artifact is a subject and every subject an artifact. */
static bool
subjects_are_artifacts(const struct hm_statement *st, const struct hm_policy_request *req,
                       char *why, size_t why_len)
{
    for (size_t i = 0; i < req->n_artifacts; i++) {
        bool found = false;

        for (size_t j = 0; j < st->n_subjects && !found; j++) {
            found = subject_matches(&st->subjects[j], &req->artifacts[i]);
        }
        if (!found) {
            snprintf(why, why_len, "it does not cover artifact %s (by digest)",
                     req->artifacts[i].name);
            return false;
        }
    }
    for (size_t j = 0; j < st->n_subjects; j++) {
        bool found = false;

        for (size_t i = 0; i < req->n_artifacts && !found; i++) {
            found = subject_matches(&st->subjects[j], &req->artifacts[i]);
        }
        if (!found) {
            snprintf(why, why_len, "its subject %s is not an artifact of this release",
                     st->subjects[j].name != NULL ? st->subjects[j].name : "(unnamed)");
            return false;
        }
    }
    return true;
}

/* Reads the predicate from the verified payload: product and version must be the
 * request's. */
static bool
predicate_matches(const uint8_t *payload, size_t len, const struct hm_policy_request *req,
                  char *why, size_t why_len)
{
    static const char *const keys[] = { "product", "version", "approver", "comment" };
    const char *product = NULL, *version = NULL, *approver = NULL, *comment = NULL;
    const cJSON *pred;
    cJSON *root = NULL;
    bool ok = false;

    if (hm_json_parse(payload, len, NULL, &root, NULL) != HM_OK ||
        (pred = hm_json_get(root, "predicate")) == NULL ||
        hm_json_only_keys(pred, keys, 4, NULL) != HM_OK ||
        hm_json_get_string(pred, "product", true, POL_MAX_NAME, &product) != HM_OK ||
        hm_json_get_string(pred, "version", true, HM_SEMVER_MAX_LEN, &version) != HM_OK ||
        hm_json_get_string(pred, "approver", false, POL_MAX_STRING, &approver) != HM_OK ||
        hm_json_get_string(pred, "comment", false, POL_MAX_STRING, &comment) != HM_OK) {
        snprintf(why, why_len, "its predicate is not {product, version, approver?, comment?}");
        goto out;
    }
    if (strcmp(product, req->product) != 0 || strcmp(version, req->version) != 0) {
        snprintf(why, why_len, "it approves %.64s %.128s, not %s %s", product, version,
                 req->product, req->version);
        goto out;
    }
    ok = true;
out:
    cJSON_Delete(root);
    return ok;
}

/* Checks one approval; *signer is the approver's index when it counts, else -1 and why
 * says why not. */
static hm_err
check_one(const struct pol_product *pr, const struct hm_policy_request *req,
          const struct hm_policy_blob *b, long *signer, char *why, size_t why_len)
{
    struct hm_dsse *env = NULL;
    struct hm_statement *st = NULL;
    uint8_t *pae = NULL;
    size_t pae_len = 0;
    char inner[WHY_LEN] = "";
    long who = -1;
    hm_err rc = HM_OK;

    *signer = -1;
    if (hm_dsse_parse_why(b->data, b->len, &env, inner, sizeof(inner)) != HM_OK) {
        snprintf(why, why_len, "it is not a DSSE envelope: %s", inner);
        goto out;
    }
    if (strcmp(env->payload_type, HM_PAYLOAD_TYPE_INTOTO) != 0) {
        snprintf(why, why_len, "its payloadType is not %s", HM_PAYLOAD_TYPE_INTOTO);
        goto out;
    }
    if ((rc = hm_dsse_pae(env->payload_type, strlen(env->payload_type), env->payload,
                          env->payload_len, &pae, &pae_len)) != HM_OK) {
        goto out;
    }
    if ((who = find_signer(pr, env, pae, pae_len)) < 0) {
        snprintf(why, why_len, "no signature verifies with an approver's key");
        goto out;
    }
    if (hm_statement_parse(env->payload, env->payload_len, &st, inner, sizeof(inner)) != HM_OK) {
        snprintf(why, why_len, "its statement cannot be read: %s", inner);
        goto out;
    }
    if (strcmp(st->predicate_type, HM_PREDICATE_APPROVAL) != 0) {
        snprintf(why, why_len, "its predicateType is %.128s, not %s", st->predicate_type,
                 HM_PREDICATE_APPROVAL);
        goto out;
    }
    if (predicate_matches(env->payload, env->payload_len, req, why, why_len) &&
        subjects_are_artifacts(st, req, why, why_len)) {
        *signer = who;
    }
out:
    free(pae);
    hm_statement_free(st);
    hm_dsse_free(env);
    return rc == HM_E_NOMEM ? rc : HM_OK;
}

/* Appends ", name" for each approver whose flag equals want. */
static void
names_text(const struct pol_product *pr, const bool *counted, bool want, char *out, size_t len)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t j = 0; j < pr->n_approvers && used < len; j++) {
        if (counted[j] == want) {
            int n = snprintf(out + used, len - used, "%s%s", used > 0 ? ", " : "",
                             pr->approvers[j].name);
            used += n > 0 ? (size_t)n : 0;
        }
    }
    if (used == 0) {
        snprintf(out, len, "none");
    }
}

static void
note_append(char *notes, size_t len, size_t i, const char *why)
{
    size_t used = strlen(notes);

    if (used < len) {
        snprintf(notes + used, len - used, "; approvals[%zu] does not count: %s", i, why);
    }
}

hm_err
pol_rule_approvals(struct pol_eval *e)
{
    const struct pol_product *pr = e->prod;
    bool counted[POL_MAX_LIST] = { false };
    char why[WHY_LEN], notes[768] = "", have[256], missing[256], hint[512];
    unsigned count = 0;
    long signer;
    hm_err rc;

    if (!pr->has_approvals) {
        return HM_OK;
    }
    for (size_t i = 0; i < e->req->n_approvals; i++) {
        snprintf(why, sizeof(why), "it cannot be checked");
        if ((rc = check_one(pr, e->req, &e->req->approvals[i], &signer, why, sizeof(why))) !=
            HM_OK) {
            return rc;
        }
        if (signer < 0) {
            note_append(notes, sizeof(notes), i, why);
        } else if (counted[signer]) {
            snprintf(why, sizeof(why), "%s is already counted (each approver counts once)",
                     pr->approvers[signer].name);
            note_append(notes, sizeof(notes), i, why);
        } else {
            counted[signer] = true;
            count++;
        }
    }
    if (count >= pr->approvals_required) {
        return HM_OK;
    }
    names_text(pr, counted, true, have, sizeof(have));
    names_text(pr, counted, false, missing, sizeof(missing));
    snprintf(hint, sizeof(hint),
             "ask %u more of %s to run `hallmark approve --key KEY --product %s --version %s "
             "ARTIFACT...` and add the envelopes to \"approvals\"",
             pr->approvals_required - count, missing, e->req->product, e->req->version);
    pol_deny(e->d, "approvals", hint, "%u of %u required approvals for %s %s (counted: %s)%s",
             count, pr->approvals_required, e->req->product, e->req->version, have, notes);
    return HM_OK;
}

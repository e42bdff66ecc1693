/*
 * policy_eval.c: one sign request against the policy.  Every rule of the product runs,
 * in a fixed order (docs/policy.md "Evaluation"), and every failure is kept: a release
 * manager fixes all causes in one round rather than one per retry.  Then identity and
 * channel/key binding, the first two rules; the others are in policy_rules_*.c and
 * policy_approval.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy_int.h"

static bool
mtls_matches(const struct pol_mtls *m, const struct hm_policy_identity *who)
{
    switch (m->kind) {
    case POL_MTLS_CN:
        return who->cn != NULL && strcmp(who->cn, m->value) == 0;
    case POL_MTLS_SAN_DNS:
        for (size_t i = 0; i < who->n_san_dns; i++) {
            /* DNS names compare without case (RFC 4343); ours are ASCII. */
            if (who->san_dns[i] != NULL && strcasecmp(who->san_dns[i], m->value) == 0) {
                return true;
            }
        }
        return false;
    case POL_MTLS_SAN_URI:
        for (size_t i = 0; i < who->n_san_uri; i++) {
            if (who->san_uri[i] != NULL && strcmp(who->san_uri[i], m->value) == 0) {
                return true;
            }
        }
        return false;
    }
    return false;
}

static const char *
mtls_display(const struct hm_policy_identity *who, char *buf, size_t len)
{
    if (who->cn != NULL) {
        snprintf(buf, len, "cn:%s", who->cn);
    } else if (who->n_san_dns > 0 && who->san_dns[0] != NULL) {
        snprintf(buf, len, "san:dns:%s", who->san_dns[0]);
    } else if (who->n_san_uri > 0 && who->san_uri[0] != NULL) {
        snprintf(buf, len, "san:uri:%s", who->san_uri[0]);
    } else {
        snprintf(buf, len, "an unidentified client");
    }
    return buf;
}

/* Checks a verified token's claims against the product's OIDC rules.  On a mismatch
 * writes the first differing claim of the closest rule to why. */
static const struct pol_oidc_rule *
oidc_rule_match(const struct pol_product *pr, const struct hm_oidc_claims *c, char *why,
                size_t why_len)
{
    const char *iss = hm_oidc_claim_string(c, "iss");

    snprintf(why, why_len, "no identity rule of %s names the issuer %s", pr->name,
             iss != NULL ? iss : "(none)");
    for (size_t i = 0; i < pr->n_oidc; i++) {
        const struct pol_oidc_rule *r = &pr->oidc[i];
        size_t j;

        if (iss == NULL || strcmp(r->issuer, iss) != 0) {
            continue;
        }
        for (j = 0; j < r->n_claims; j++) {
            const char *v = hm_oidc_claim_string(c, r->claims[j].name);

            if (!hm_glob_match(r->claims[j].pattern, v)) {
                snprintf(why, why_len, "claim %s is %s%s%s, which does not match \"%s\"",
                         r->claims[j].name, v != NULL ? "\"" : "", v != NULL ? v : "absent",
                         v != NULL ? "\"" : "", r->claims[j].pattern);
                break;
            }
        }
        if (j == r->n_claims) {
            return r;
        }
    }
    return NULL;
}

static hm_err
identity_oidc(struct pol_eval *e, bool *matched, char *why, size_t why_len)
{
    const struct hm_oidc_issuer *issuers[POL_MAX_LIST];
    struct hm_oidc_claims *claims = NULL;
    const struct hm_policy *p = e->policy;
    const char *iss, *sub;
    char id[POL_MAX_STRING * 2 + 8];
    hm_err rc;

    for (size_t i = 0; i < p->n_issuers; i++) {
        issuers[i] = p->issuers[i].loaded;
    }
    rc = hm_oidc_verify(issuers, p->n_issuers, e->who->bearer, strlen(e->who->bearer), e->now,
                        &claims, why, why_len);
    if (rc == HM_E_NOMEM) {
        return rc;
    }
    if (rc != HM_OK) {
        return HM_OK; /* why says which header field or claim: never the token */
    }
    if (oidc_rule_match(e->prod, claims, why, why_len) != NULL) {
        iss = hm_oidc_claim_string(claims, "iss");
        sub = hm_oidc_claim_string(claims, "sub");
        snprintf(id, sizeof(id), "oidc:%s:%s", iss, sub != NULL ? sub : "");
        free(e->d->identity);
        if ((e->d->identity = pol_strdup(id)) == NULL) {
            rc = HM_E_NOMEM;
        }
        *matched = true;
    }
    hm_oidc_claims_free(claims);
    return rc;
}

hm_err
pol_rule_identity(struct pol_eval *e)
{
    const struct pol_product *pr = e->prod;
    const struct hm_policy_identity *who = e->who;
    char shown[POL_MAX_STRING + 16], why[512] = "";
    bool matched = false;
    hm_err rc;

    if (who->cn != NULL || who->n_san_dns > 0 || who->n_san_uri > 0) {
        free(e->d->identity);
        if ((e->d->identity = pol_strdup(mtls_display(who, shown, sizeof(shown)))) == NULL) {
            return HM_E_NOMEM;
        }
    }
    if (!pr->has_identities) {
        return HM_OK;
    }
    for (size_t i = 0; i < pr->n_mtls && !matched; i++) {
        if (mtls_matches(&pr->mtls[i], who)) {
            matched = true;
            free(e->d->identity);
            if ((e->d->identity = pol_strdup(pr->mtls[i].text)) == NULL) {
                return HM_E_NOMEM;
            }
        }
    }
    if (!matched && who->bearer != NULL && pr->n_oidc > 0) {
        if ((rc = identity_oidc(e, &matched, why, sizeof(why))) != HM_OK) {
            return rc;
        }
        if (!matched) {
            pol_deny(e->d, "identity",
                     "run the job from a repository, ref and workflow the product's OIDC rules "
                     "name, or add a rule for it to products[].identities.oidc",
                     "the CI token was not accepted for %s: %s", pr->name, why);
            return HM_OK;
        }
    }
    if (!matched) {
        pol_deny(e->d, "identity",
                 "use a client certificate or CI token the product lists in "
                 "products[].identities, or add this identity there",
                 "%s may not request signing for %s", mtls_display(who, shown, sizeof(shown)),
                 pr->name);
    }
    return HM_OK;
}

static void
channels_text(const struct pol_product *pr, char *out, size_t len)
{
    size_t used = 0;

    out[0] = '\0';
    if (pr->n_channels == 0) {
        snprintf(out, len, "%s", POL_DEFAULT_CHAN);
        return;
    }
    for (size_t i = 0; i < pr->n_channels && used < len; i++) {
        int n = snprintf(out + used, len - used, "%s%s", i > 0 ? ", " : "", pr->channels[i]);
        used += n > 0 ? (size_t)n : 0;
    }
}

hm_err
pol_rule_channel_key(struct pol_eval *e)
{
    const struct pol_product *pr = e->prod;
    const char *channel = e->req->channel;
    char list[512];
    bool known = pr->n_channels == 0 && strcmp(channel, POL_DEFAULT_CHAN) == 0;

    for (size_t i = 0; i < pr->n_channels && !known; i++) {
        known = strcmp(pr->channels[i], channel) == 0;
    }
    if (!known) {
        channels_text(pr, list, sizeof(list));
        pol_deny(e->d, "channel",
                 "release on one of the product's channels, or add the channel "
                 "to products[].channels",
                 "channel %s is not a channel of %s (its channels: %s)", channel, pr->name, list);
        return HM_OK;
    }
    if (!pr->has_keys) {
        return HM_OK;
    }
    for (size_t i = 0; i < pr->n_keys; i++) {
        if (strcmp(pr->keys[i].channel, channel) == 0) {
            return (e->d->key = pol_strdup(pr->keys[i].key)) != NULL ? HM_OK : HM_E_NOMEM;
        }
    }
    pol_deny(e->d, "key", "bind a key to the channel in products[].keys",
             "no signing key is bound to channel %s of %s", channel, pr->name);
    return HM_OK;
}

/* The request's documents, as VSA inputs (resource descriptors with their digests). */
static void
add_request_inputs(struct pol_eval *e)
{
    const struct hm_policy_request *req = e->req;
    char name[64];

    if (req->sbom.data != NULL) {
        pol_add_input(e->d, "sbom", "request.sbom", req->sbom.sha256);
    }
    for (size_t i = 0; i < req->n_vex; i++) {
        snprintf(name, sizeof(name), "request.vex[%zu]", i);
        pol_add_input(e->d, "vex", name, req->vex[i].sha256);
    }
    for (size_t i = 0; e->prod != NULL && e->prod->has_vuln && i < e->prod->n_vex_docs; i++) {
        char pname[POL_MAX_STRING + 16];

        snprintf(pname, sizeof(pname), "policy.vex_dir/%s", e->prod->vex_names[i]);
        pol_add_input(e->d, "vex", pname, e->prod->vex_sha256[i]);
    }
    for (size_t i = 0; i < req->n_approvals; i++) {
        snprintf(name, sizeof(name), "request.approvals[%zu]", i);
        pol_add_input(e->d, "approval", name, req->approvals[i].sha256);
    }
    if (req->provenance.data != NULL) {
        pol_add_input(e->d, "provenance", "request.provenance", req->provenance.sha256);
    }
}

static hm_err
decision_new(const struct hm_policy *p, const struct hm_policy_request *req,
             struct hm_policy_decision **out)
{
    struct hm_policy_decision *d = calloc(1, sizeof(*d));

    *out = NULL;
    if (d == NULL) {
        return HM_E_NOMEM;
    }
    d->allowed = true;
    memcpy(d->policy_sha256, p->sha256, HM_SHA256_LEN);
    d->product = pol_strdup(req->product);
    d->channel = pol_strdup(req->channel);
    d->version = pol_strdup(req->version);
    d->verifier_id = pol_strdup(p->verifier_id);
    d->policy_uri = pol_strdup(p->policy_uri);
    if (d->product == NULL || d->channel == NULL || d->version == NULL ||
        (p->verifier_id != NULL && d->verifier_id == NULL) ||
        (p->policy_uri != NULL && d->policy_uri == NULL)) {
        hm_policy_decision_free(d);
        return HM_E_NOMEM;
    }
    if (req->sbom.data != NULL) {
        d->has_sbom = true;
        memcpy(d->sbom_sha256, req->sbom.sha256, HM_SHA256_LEN);
    }
    *out = d;
    return HM_OK;
}

static hm_err
run_rules(struct pol_eval *e)
{
    static hm_err (*const rules[])(struct pol_eval *) = {
        pol_rule_identity, pol_rule_channel_key, pol_rule_windows,         pol_rule_version,
        pol_rule_support,  pol_rule_sbom,        pol_rule_vulnerabilities, pol_rule_approvals,
    };
    hm_err rc;

    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        if ((rc = rules[i](e)) != HM_OK) {
            return rc;
        }
    }
    return HM_OK;
}

hm_err
hm_policy_evaluate(const struct hm_policy *p, const struct hm_policy_request *req,
                   const struct hm_policy_identity *who, const struct hm_policy_state *state,
                   int64_t now, struct hm_policy_decision **out)
{
    static const struct hm_policy_identity nobody = { 0 };
    struct pol_eval e = { 0 };
    hm_err rc;

    *out = NULL;
    if (p == NULL || req == NULL) {
        return HM_E_INVALID;
    }
    if (!p->resolved) {
        return HM_E_INVALID; /* names files hm_policy_resolve has not read */
    }
    if ((rc = decision_new(p, req, &e.d)) != HM_OK) {
        return rc;
    }
    e.policy = p;
    e.req = req;
    e.who = who != NULL ? who : &nobody;
    e.state = state;
    e.now = now;
    e.prod = pol_find_product(p, req->product);
    if (e.prod == NULL) {
        pol_deny(e.d, "product", "check the product name, or add the product to the policy file",
                 "the policy has no product %s", req->product);
    } else if ((rc = run_rules(&e)) != HM_OK) {
        goto out;
    }
    add_request_inputs(&e);
    if ((rc = e.d->err) != HM_OK) {
        goto out;
    }
    e.d->allowed = e.d->n_reasons == 0;
    *out = e.d;
    e.d = NULL; /* the caller owns it now */
out:
    hm_sbom_free(e.sbom);
    hm_policy_decision_free(e.d);
    return rc;
}

/*
 * policy_decision.c: the decision: reasons, findings, VSA inputs, accessors, and its
 * JSON form (the 403 body's "reasons" and `hallmark policy check`).
 *
 * The JSON is written by hand into an hm_buf, keys in a fixed order, so that the same
 * decision always gives the same bytes (tests compare them, auditors diff them).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

#define DECISION_MAX_REASONS  512
#define DECISION_MAX_FINDINGS 4096

static void
set_nomem(struct hm_policy_decision *d)
{
    if (d->err == HM_OK) {
        d->err = HM_E_NOMEM;
    }
}

/* Grows arr (of elem-sized items) to hold one more; false when it cannot. */
static bool
grow(void **arr, size_t n, size_t *cap, size_t elem)
{
    size_t ncap = *cap == 0 ? 8 : *cap * 2;
    void *p;

    if (n < *cap) {
        return true;
    }
    if ((p = realloc(*arr, ncap * elem)) == NULL) {
        return false;
    }
    *arr = p;
    *cap = ncap;
    return true;
}

void
pol_deny(struct hm_policy_decision *d, const char *rule, const char *hint, const char *fmt, ...)
{
    struct hm_policy_reason *r;
    char text[1024];
    va_list ap;

    d->allowed = false;
    if (d->n_reasons >= DECISION_MAX_REASONS) {
        return; /* the first ones say enough; the count is capped so a reply stays small */
    }
    if (!grow((void **)&d->reasons, d->n_reasons, &d->cap_reasons, sizeof(*d->reasons))) {
        set_nomem(d);
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    r = &d->reasons[d->n_reasons];
    r->rule = rule; /* a string literal */
    r->reason = pol_strdup(text);
    r->hint = pol_strdup(hint);
    if (r->reason == NULL || r->hint == NULL) {
        free((char *)r->reason);
        free((char *)r->hint);
        set_nomem(d);
        return;
    }
    d->n_reasons++;
}

void
pol_add_input(struct hm_policy_decision *d, const char *kind, const char *name,
              const uint8_t sha256[HM_SHA256_LEN])
{
    struct hm_policy_input *in;

    if (!grow((void **)&d->inputs, d->n_inputs, &d->cap_inputs, sizeof(*d->inputs))) {
        set_nomem(d);
        return;
    }
    in = &d->inputs[d->n_inputs];
    in->kind = kind; /* a string literal */
    if ((in->name = pol_strdup(name)) == NULL) {
        set_nomem(d);
        return;
    }
    memcpy(in->sha256, sha256, HM_SHA256_LEN);
    d->n_inputs++;
}

static void
finding_clear(struct hm_policy_finding *f)
{
    free((char *)f->id);
    free((char *)f->component);
    free((char *)f->version);
    free((char *)f->purl);
    free((char *)f->vex);
    free((char *)f->fixed);
}

void
pol_add_finding(struct hm_policy_decision *d, const struct hm_policy_finding *f)
{
    struct hm_policy_finding *c;

    if (d->n_findings >= DECISION_MAX_FINDINGS) {
        return;
    }
    if (!grow((void **)&d->findings, d->n_findings, &d->cap_findings, sizeof(*d->findings))) {
        set_nomem(d);
        return;
    }
    c = &d->findings[d->n_findings];
    *c = *f;
    c->id = pol_strdup(f->id);
    c->component = pol_strdup(f->component);
    c->version = pol_strdup(f->version);
    c->purl = pol_strdup(f->purl);
    c->vex = pol_strdup(f->vex);
    c->fixed = pol_strdup(f->fixed);
    if ((f->id != NULL && c->id == NULL) || (f->component != NULL && c->component == NULL) ||
        (f->version != NULL && c->version == NULL) || (f->purl != NULL && c->purl == NULL) ||
        (f->vex != NULL && c->vex == NULL) || (f->fixed != NULL && c->fixed == NULL)) {
        finding_clear(c);
        set_nomem(d);
        return;
    }
    d->n_findings++;
}

void
hm_policy_decision_free(struct hm_policy_decision *d)
{
    if (d == NULL) {
        return;
    }
    for (size_t i = 0; i < d->n_reasons; i++) {
        free((char *)d->reasons[i].reason);
        free((char *)d->reasons[i].hint);
    }
    free(d->reasons);
    for (size_t i = 0; i < d->n_findings; i++) {
        finding_clear(&d->findings[i]);
    }
    free(d->findings);
    for (size_t i = 0; i < d->n_inputs; i++) {
        free((char *)d->inputs[i].name);
    }
    free(d->inputs);
    free(d->product);
    free(d->channel);
    free(d->version);
    free(d->key);
    free(d->identity);
    free(d->verifier_id);
    free(d->policy_uri);
    free(d);
}

/* ---- accessors ---- */
bool
hm_policy_decision_allowed(const struct hm_policy_decision *d)
{
    return d != NULL && d->allowed && d->n_reasons == 0;
}

const char *
hm_policy_decision_key(const struct hm_policy_decision *d)
{
    return d->key;
}

const char *
hm_policy_decision_identity(const struct hm_policy_decision *d)
{
    return d->identity;
}

size_t
hm_policy_decision_n_reasons(const struct hm_policy_decision *d)
{
    return d->n_reasons;
}

const struct hm_policy_reason *
hm_policy_decision_reason(const struct hm_policy_decision *d, size_t i)
{
    return i < d->n_reasons ? &d->reasons[i] : NULL;
}

size_t
hm_policy_decision_n_findings(const struct hm_policy_decision *d)
{
    return d->n_findings;
}

const struct hm_policy_finding *
hm_policy_decision_finding(const struct hm_policy_decision *d, size_t i)
{
    return i < d->n_findings ? &d->findings[i] : NULL;
}

const uint8_t *
hm_policy_decision_sbom_sha256(const struct hm_policy_decision *d)
{
    return d->has_sbom ? d->sbom_sha256 : NULL;
}

const char *
hm_policy_decision_verifier_id(const struct hm_policy_decision *d)
{
    return d->verifier_id;
}

const char *
hm_policy_decision_policy_uri(const struct hm_policy_decision *d)
{
    return d->policy_uri;
}

const uint8_t *
hm_policy_decision_policy_sha256(const struct hm_policy_decision *d)
{
    return d->policy_sha256;
}

size_t
hm_policy_decision_n_inputs(const struct hm_policy_decision *d)
{
    return d->n_inputs;
}

const struct hm_policy_input *
hm_policy_decision_input(const struct hm_policy_decision *d, size_t i)
{
    return i < d->n_inputs ? &d->inputs[i] : NULL;
}

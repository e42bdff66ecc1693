/*
 * policy_rules_vuln.c: the vulnerability gate (rule 6): the SBOM's components against the
 * policy's OSV feed and KEV list, with OpenVEX statements from the request and from the
 * policy's VEX folder (matching itself is vuln.h's).
 *
 * A finding denies when it is not cleared by VEX and either is in KEV (deny_kev) or
 * scores at or above max_cvss.  An advisory without a CVSS v3 vector but with a severity
 * word counts as the lowest score of that band (HIGH = 7.0, CRITICAL = 9.0), so that a
 * "CRITICAL" advisory cannot slip under a 7.0 limit for want of a vector.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

struct vex_set {
    struct hm_vex **owned; /* parsed from the request; freed here */
    const struct hm_vex **all;
    const char **names;
    size_t n_owned, n;
};

static void
vex_set_free(struct vex_set *v)
{
    for (size_t i = 0; i < v->n_owned; i++) {
        hm_vex_free(v->owned[i]);
    }
    free(v->owned);
    free(v->all);
    for (size_t i = 0; i < v->n; i++) {
        free((char *)v->names[i]);
    }
    free(v->names);
}

/* The request's VEX documents (a bad one is a reason, not an error), then the policy's. */
static hm_err
vex_set_build(struct pol_eval *e, struct vex_set *v)
{
    size_t cap = e->req->n_vex + e->prod->n_vex_docs;
    char why[256], name[POL_MAX_STRING + 32];

    memset(v, 0, sizeof(*v));
    if (cap == 0) {
        return HM_OK;
    }
    if ((v->owned = calloc(cap, sizeof(*v->owned))) == NULL ||
        (v->all = calloc(cap, sizeof(*v->all))) == NULL ||
        (v->names = calloc(cap, sizeof(*v->names))) == NULL) {
        return HM_E_NOMEM;
    }
    for (size_t i = 0; i < e->req->n_vex; i++) {
        struct hm_policy_blob *b = &e->req->vex[i];
        hm_err rc = hm_vex_parse(b->data, b->len, &v->owned[v->n_owned], why, sizeof(why));

        if (rc == HM_E_NOMEM) {
            return rc;
        }
        if (rc != HM_OK) {
            pol_deny(e->d, "vulnerabilities", "send OpenVEX v0.2.0 JSON documents in \"vex\"",
                     "vex[%zu] cannot be read: %s", i, why);
            continue;
        }
        snprintf(name, sizeof(name), "request.vex[%zu]", i);
        v->all[v->n] = v->owned[v->n_owned++];
        if ((v->names[v->n++] = pol_strdup(name)) == NULL) {
            return HM_E_NOMEM;
        }
    }
    for (size_t i = 0; i < e->prod->n_vex_docs; i++) {
        snprintf(name, sizeof(name), "policy.vex_dir/%s", e->prod->vex_names[i]);
        v->all[v->n] = e->prod->vex_docs[i];
        if ((v->names[v->n++] = pol_strdup(name)) == NULL) {
            return HM_E_NOMEM;
        }
    }
    return HM_OK;
}

/* The score a finding is gated on: its CVSS, else the floor of its severity band. */
static double
gate_score(const struct hm_vuln_finding *f)
{
    static const double floor[] = { -1.0, 0.0, 0.1, 4.0, 7.0, 9.0 };

    if (f->cvss >= 0) {
        return f->cvss;
    }
    return (unsigned)f->severity < sizeof(floor) / sizeof(floor[0]) ? floor[f->severity] : -1.0;
}

static void
score_text(const struct hm_vuln_finding *f, char *out, size_t len)
{
    if (f->cvss >= 0) {
        snprintf(out, len, "CVSS %.1f", f->cvss);
    } else if (f->severity != HM_SEV_UNKNOWN) {
        snprintf(out, len, "severity %s, no CVSS v3 score", hm_severity_name(f->severity));
    } else {
        snprintf(out, len, "no score");
    }
}

static void
report(struct pol_eval *e, const struct hm_vuln_finding *f, const struct vex_set *v)
{
    const struct pol_product *pr = e->prod;
    const char *id = f->cve != NULL ? f->cve : f->id;
    double score = gate_score(f);
    bool by_kev = pr->deny_kev && f->in_kev;
    bool by_score = pr->has_max_cvss && score >= pr->max_cvss;
    struct hm_policy_finding out = { 0 };
    char vex[POL_MAX_STRING + 128], scoretxt[64], hint[512], note[sizeof(vex) + 320] = "";

    out.id = id;
    out.component = f->component_name;
    out.version = f->component_version;
    out.purl = f->component_purl;
    out.cvss = f->cvss;
    out.kev = f->in_kev;
    out.status = f->cleared             ? HM_FINDING_CLEARED
                 : (by_kev || by_score) ? HM_FINDING_DENIED
                                        : HM_FINDING_ACCEPTED;
    if (f->vex_applied && f->vex_doc_index < v->n) {
        snprintf(vex, sizeof(vex), "%s%s%s: statement %zu: %s%s%s", v->names[f->vex_doc_index],
                 f->vex_doc_id != NULL ? " " : "", f->vex_doc_id != NULL ? f->vex_doc_id : "",
                 f->vex_statement,
                 f->vex_status == HM_VEX_NOT_AFFECTED ? "not_affected"
                 : f->vex_status == HM_VEX_FIXED      ? "fixed"
                 : f->vex_status == HM_VEX_AFFECTED   ? "affected"
                                                      : "under_investigation",
                 f->vex_justification != NULL ? ": " : "",
                 f->vex_justification != NULL ? f->vex_justification : "");
        out.vex = vex;
        if (!f->cleared) {
            snprintf(note, sizeof(note), "; the VEX statement %s does not clear it%s%s", vex,
                     f->vex_note != NULL ? ": " : "", f->vex_note != NULL ? f->vex_note : "");
        }
    }
    pol_add_finding(e->d, &out);
    if (out.status != HM_FINDING_DENIED) {
        return;
    }
    score_text(f, scoretxt, sizeof(scoretxt));
    snprintf(hint, sizeof(hint),
             "upgrade %s to a version the advisory lists as fixed (https://osv.dev/vulnerability/"
             "%s), or add an OpenVEX statement for %s: not_affected with a justification, or "
             "fixed",
             f->component_name != NULL ? f->component_name : "the component", f->id, id);
    pol_deny(e->d, "vulnerabilities", hint, "%s %s is affected by %s (%s%s), in CISA KEV: %s%s",
             f->component_name != NULL ? f->component_name : "a component",
             f->component_version != NULL ? f->component_version : "", id, scoretxt,
             by_score ? ", at or above the policy's limit" : "", f->in_kev ? "yes" : "no", note);
}

hm_err
pol_rule_vulnerabilities(struct pol_eval *e)
{
    struct hm_vuln_finding *f = NULL;
    struct vex_set v = { 0 };
    size_t n = 0;
    char why[256] = "";
    hm_err rc;

    if (!e->prod->has_vuln) {
        return HM_OK;
    }
    if ((rc = pol_sbom_get(e, why, sizeof(why))) != HM_OK) {
        if (rc == HM_E_NOMEM) {
            return rc;
        }
        /* Without an SBOM nothing can be shown free of known vulnerabilities. */
        pol_deny(e->d, "vulnerabilities",
                 "add a readable SBOM to the request so its components can be checked",
                 "no advisory could be matched: %s", why);
        return HM_OK;
    }
    if ((rc = vex_set_build(e, &v)) != HM_OK ||
        (rc = hm_vuln_match(e->prod->vfeed, e->sbom, v.all, v.n, e->now, &f, &n)) != HM_OK) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        report(e, &f[i], &v);
    }
out:
    hm_vuln_findings_free(f, n);
    vex_set_free(&v);
    return rc;
}

/*
 * vuln_match.c: SBOM components x OSV advisories, flagged with CISA KEV and cleared (or
 * not) by OpenVEX.  The rules are spelled out in vuln.h; the range evaluation is the OSV
 * schema's own algorithm ("Evaluation" in the OSV specification): sort the events, then
 * walk them, switching "affected" on at an introduced and off at a fixed/limit or past a
 * last_affected.
 *
 * Fail closed: a component whose purl does not parse cannot be shown free of advisories,
 * so it makes the whole match fail (HM_E_INVALID) rather than being skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "vuln_int.h"

#define FINDINGS_MAX 1000000

struct sorted_ev {
    const struct osv_event *ev;
    size_t pos;
};

static bool
is_zero(const struct osv_event *e)
{
    return e->kind == OSV_INTRODUCED && strcmp(e->version, "0") == 0;
}

static int
ev_cmp(const void *pa, const void *pb)
{
    const struct sorted_ev *a = pa, *b = pb;
    int c;

    if (is_zero(a->ev) || is_zero(b->ev)) {
        c = is_zero(a->ev) && is_zero(b->ev) ? 0 : is_zero(a->ev) ? -1 : 1;
    } else {
        c = hm_vuln_version_cmp(a->ev->version, b->ev->version);
    }
    return c != 0 ? c : a->pos < b->pos ? -1 : a->pos > b->pos;
}

static hm_err
range_affects(const struct osv_range *r, const char *v, bool *out)
{
    struct sorted_ev *s;
    bool affected = false;

    *out = false;
    if (r->type == OSV_GIT || r->n_ev == 0) {
        return HM_OK; /* commits, not versions: only versions[] speaks for GIT ranges */
    }
    if ((s = calloc(r->n_ev, sizeof(*s))) == NULL) {
        return HM_E_NOMEM;
    }
    for (size_t i = 0; i < r->n_ev; i++) {
        s[i].ev = &r->ev[i];
        s[i].pos = i;
    }
    qsort(s, r->n_ev, sizeof(*s), ev_cmp);
    for (size_t i = 0; i < r->n_ev; i++) {
        const struct osv_event *e = s[i].ev;
        int c = is_zero(e) ? 1 : hm_vuln_version_cmp(v, e->version); /* v vs event */

        if (e->kind == OSV_INTRODUCED && c >= 0) {
            affected = true;
        } else if ((e->kind == OSV_FIXED || e->kind == OSV_LIMIT) && c >= 0) {
            affected = false;
        } else if (e->kind == OSV_LAST_AFFECTED && c > 0) {
            affected = false;
        }
    }
    free(s);
    *out = affected;
    return HM_OK;
}

static bool
same_version(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return false;
    }
    a += a[0] == 'v' && a[1] >= '0' && a[1] <= '9';
    b += b[0] == 'v' && b[1] >= '0' && b[1] <= '9';
    return strcmp(a, b) == 0;
}

/* versions[] names exact versions (or tags): either the component's or the purl's. */
static hm_err
affected_entry(const struct osv_affected *a, const char *cver, const char *pver, bool *out)
{
    const char *v = cver != NULL ? cver : pver;
    hm_err err;

    *out = false;
    for (size_t i = 0; i < a->n_versions; i++) {
        if (same_version(a->versions[i], cver) || same_version(a->versions[i], pver)) {
            *out = true;
            return HM_OK;
        }
    }
    for (size_t i = 0; v != NULL && i < a->n_ranges && !*out; i++) {
        if ((err = range_affects(&a->ranges[i], v, out)) != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static const char *
first_cve(const struct osv_record *r)
{
    if (strncmp(r->id, "CVE-", 4) == 0) {
        return r->id;
    }
    for (size_t i = 0; i < r->n_aliases; i++) {
        if (strncmp(r->aliases[i], "CVE-", 4) == 0) {
            return r->aliases[i];
        }
    }
    return NULL;
}

static const struct kev_entry *
kev_of(const struct hm_vulnfeed *feed, const struct osv_record *r)
{
    const struct kev_entry *k = hm_kev_find(feed, r->id);

    for (size_t i = 0; k == NULL && i < r->n_aliases; i++) {
        k = hm_kev_find(feed, r->aliases[i]);
    }
    return k;
}

static bool
is_record(const char *name, const struct osv_record *r)
{
    if (hm_pj_ieq(name, r->id)) {
        return true;
    }
    for (size_t j = 0; j < r->n_aliases; j++) {
        if (hm_pj_ieq(name, r->aliases[j])) {
            return true;
        }
    }
    return false;
}

/* The statement's vulnerability (name or @id, or an alias) is the advisory or an alias. */
static bool
names_vuln(const struct vex_statement *st, const struct osv_record *r)
{
    if (is_record(st->vuln, r)) {
        return true;
    }
    for (size_t i = 0; i < st->n_aliases; i++) {
        if (is_record(st->aliases[i], r)) {
            return true;
        }
    }
    return false;
}

/* Does the VEX purl cover this package version?  A VEX purl without a version covers all. */
static bool
purl_covers(const char *vex_purl, const struct pkg_key *k, const char *cver)
{
    struct pkg_key v;
    bool ok;

    if (vex_purl == NULL || k->type == NULL || hm_purl_parse(vex_purl, &v) != HM_OK) {
        return false;
    }
    ok =
        hm_pkg_key_same_package(&v, k) &&
        (v.version == NULL || same_version(v.version, k->version) || same_version(v.version, cver));
    hm_pkg_key_clear(&v);
    return ok;
}

struct target {
    const struct hm_sbom_component *c;
    const struct pkg_key *key;
    const struct pkg_key *top; /* the SBOM's top component, NULL when none or the same */
    const char *top_ver;
};

static bool
statement_applies(const struct vex_statement *st, const struct target *t)
{
    for (size_t i = 0; i < st->n_prods; i++) {
        const struct vex_product *p = &st->prods[i];

        if (purl_covers(p->purl, t->key, t->c->version)) {
            return true;
        }
        if (t->top != NULL && purl_covers(p->purl, t->top, t->top_ver)) {
            if (p->n_subs == 0) {
                return true; /* a statement about the whole product */
            }
            for (size_t j = 0; j < p->n_subs; j++) {
                if (purl_covers(p->subs[j], t->key, t->c->version)) {
                    return true;
                }
            }
        }
    }
    return false;
}

static hm_err
apply_vex(struct hm_vuln_finding *f, const struct osv_record *r, const struct target *t,
          const struct hm_vex *const *vex, size_t n_vex, int64_t now)
{
    const struct vex_statement *best = NULL;
    int64_t best_ts = 0;
    size_t best_doc = 0, best_st = 0;
    const char *note;

    for (size_t d = 0; d < n_vex; d++) {
        for (size_t i = 0; vex[d] != NULL && i < vex[d]->n_st; i++) {
            const struct vex_statement *st = &vex[d]->st[i];
            int64_t ts = st->has_ts ? st->ts : vex[d]->ts;

            if (ts > now || !names_vuln(st, r) || !statement_applies(st, t)) {
                continue; /* a statement dated in the future does not count yet */
            }
            if (best == NULL || ts >= best_ts) {
                best = st, best_ts = ts, best_doc = d, best_st = i;
            }
        }
    }
    if (best == NULL) {
        return HM_OK;
    }
    f->vex_applied = true;
    f->vex_doc_index = best_doc;
    f->vex_statement = best_st;
    f->vex_status = best->status;
    f->cleared = best->status == HM_VEX_FIXED ||
                 (best->status == HM_VEX_NOT_AFFECTED && best->justification != NULL);
    note = f->cleared
               ? (best->status == HM_VEX_FIXED ? "fixed" : "not_affected with a justification")
           : best->status == HM_VEX_NOT_AFFECTED
               ? "not_affected without a justification does not clear a finding"
           : best->status == HM_VEX_AFFECTED ? "the statement says affected"
                                             : "the statement says under_investigation";
    if ((vex[best_doc]->id != NULL && hm_pj_strdup(vex[best_doc]->id, &f->vex_doc_id) != HM_OK) ||
        (best->justification != NULL &&
         hm_pj_strdup(best->justification, &f->vex_justification) != HM_OK) ||
        hm_pj_strdup(note, &f->vex_note) != HM_OK) {
        return HM_E_NOMEM;
    }
    return HM_OK;
}

static hm_err
fill_finding(struct hm_vuln_finding *f, const struct hm_vulnfeed *feed, const struct osv_record *r,
             const struct hm_sbom_component *c)
{
    const struct kev_entry *k = kev_of(feed, r);
    const char *cve = first_cve(r);
    size_t cap = 0;

    f->cvss = r->cvss;
    f->severity = r->cvss >= 0 ? hm_severity_from_score(r->cvss) : r->db_severity;
    f->in_kev = k != NULL;
    f->kev_ransomware = k != NULL && k->ransomware;
    for (size_t i = 0; i < r->n_aliases; i++) {
        if (hm_pj_strv_push(&f->aliases, &f->n_aliases, &cap, VULN_MAX_LIST, r->aliases[i]) !=
            HM_OK) {
            return HM_E_NOMEM;
        }
    }
    if (hm_pj_strdup(r->id, &f->id) != HM_OK ||
        (cve != NULL && hm_pj_strdup(cve, &f->cve) != HM_OK) ||
        (r->summary != NULL && hm_pj_strdup(r->summary, &f->summary) != HM_OK) ||
        (c->name != NULL && hm_pj_strdup(c->name, &f->component_name) != HM_OK) ||
        (c->version != NULL && hm_pj_strdup(c->version, &f->component_version) != HM_OK) ||
        hm_pj_strdup(c->purl, &f->component_purl) != HM_OK ||
        (c->ref != NULL && hm_pj_strdup(c->ref, &f->component_ref) != HM_OK) ||
        (r->cvss_vector != NULL && hm_pj_strdup(r->cvss_vector, &f->cvss_vector) != HM_OK) ||
        (k != NULL && hm_pj_strdup(k->date_added, &f->kev_date_added) != HM_OK)) {
        return HM_E_NOMEM;
    }
    return HM_OK;
}

/* The SBOM's components with their parsed purls, sorted by package for lookups. */
struct comp {
    const struct hm_sbom_component *c;
    struct pkg_key key;
    size_t order; /* 0 = top, then components[] + 1: the order findings come out in */
};

struct hit {
    size_t comp;  /* index in the sorted comps[] */
    size_t order; /* its SBOM order */
    size_t rec;   /* index in feed->recs[] */
};

static int
comp_cmp(const void *pa, const void *pb)
{
    const struct comp *a = pa, *b = pb;
    int c = strcmp(a->key.type, b->key.type);

    c = c != 0 ? c : strcmp(a->key.fullname, b->key.fullname);
    return c != 0 ? c : a->order < b->order ? -1 : a->order > b->order;
}

static int
hit_cmp(const void *pa, const void *pb)
{
    const struct hit *a = pa, *b = pb;

    if (a->order != b->order) {
        return a->order < b->order ? -1 : 1;
    }
    return a->rec < b->rec ? -1 : a->rec > b->rec;
}

/* The first comps[] entry of the package key k, or n when none. */
static size_t
first_of(const struct comp *comps, size_t n, const struct pkg_key *k)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(comps[mid].key.type, k->type);

        c = c != 0 ? c : strcmp(comps[mid].key.fullname, k->fullname);
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < n && hm_pkg_key_same_package(&comps[lo].key, k) ? lo : n;
}

static hm_err
parse_comps(const struct hm_sbom *sbom, struct comp **out, size_t *n)
{
    struct comp *v = calloc(sbom->n_components + 1, sizeof(*v));
    size_t k = 0;
    hm_err err = HM_OK;

    *out = v;
    *n = 0;
    if (v == NULL) {
        return HM_E_NOMEM;
    }
    for (size_t i = 0; i <= sbom->n_components && err == HM_OK; i++) {
        const struct hm_sbom_component *c = i == 0 ? &sbom->top : &sbom->components[i - 1];

        if ((i == 0 && !sbom->has_top) || c->purl == NULL) {
            continue;
        }
        v[k].c = c;
        v[k].order = i;
        if ((err = hm_purl_parse(c->purl, &v[k].key)) == HM_OK) {
            k++;
        }
    }
    *n = k;
    qsort(v, k, sizeof(*v), comp_cmp);
    return err;
}

/* Every (component, record) pair where an affected entry covers the component's version. */
static hm_err
find_hits(const struct hm_vulnfeed *feed, const struct comp *comps, size_t n_comps, int64_t now,
          struct hit **out, size_t *n_out)
{
    size_t cap = 0;
    hm_err err = HM_OK;

    for (size_t r = 0; r < feed->n_recs && err == HM_OK; r++) {
        const struct osv_record *rec = &feed->recs[r];
        size_t first_new = *n_out;

        if (rec->withdrawn_set && rec->withdrawn <= now) {
            continue;
        }
        for (size_t a = 0; a < rec->n_aff && err == HM_OK; a++) {
            const struct osv_affected *aff = &rec->aff[a];

            if (aff->key.type == NULL) {
                continue;
            }
            for (size_t i = first_of(comps, n_comps, &aff->key);
                 i < n_comps && hm_pkg_key_same_package(&comps[i].key, &aff->key) && err == HM_OK;
                 i++) {
                bool affected = false, seen = false;
                void *arr = *out, *slot = NULL;

                for (size_t h = first_new; h < *n_out && !seen; h++) {
                    seen = (*out)[h].comp == i; /* one finding per record and component */
                }
                if (seen ||
                    (err = affected_entry(aff, comps[i].c->version, comps[i].key.version,
                                          &affected)) != HM_OK ||
                    !affected) {
                    continue;
                }
                err = hm_pj_grow(&arr, n_out, &cap, sizeof(struct hit), FINDINGS_MAX, &slot);
                *out = arr;
                if (err == HM_OK) {
                    *(struct hit *)slot =
                        (struct hit){ .comp = i, .order = comps[i].order, .rec = r };
                }
            }
        }
    }
    return err;
}

static hm_err
build_findings(const struct hm_vulnfeed *feed, const struct hm_sbom *sbom, const struct comp *comps,
               const struct hit *hits, size_t n_hits, const struct hm_vex *const *vex, size_t n_vex,
               int64_t now, struct hm_vuln_finding *f)
{
    struct pkg_key top = { 0 };
    hm_err err = HM_OK;

    /* parse_comps has parsed the top's purl already, so this cannot fail but for memory */
    if (sbom->has_top && sbom->top.purl != NULL &&
        (err = hm_purl_parse(sbom->top.purl, &top)) != HM_OK) {
        return err;
    }
    for (size_t i = 0; i < n_hits && err == HM_OK; i++) {
        const struct comp *c = &comps[hits[i].comp];
        struct target t = { .c = c->c,
                            .key = &c->key,
                            .top = c->order != 0 && top.type != NULL ? &top : NULL,
                            .top_ver = sbom->top.version };

        if ((err = fill_finding(&f[i], feed, &feed->recs[hits[i].rec], c->c)) == HM_OK) {
            err = apply_vex(&f[i], &feed->recs[hits[i].rec], &t, vex, n_vex, now);
        }
    }
    hm_pkg_key_clear(&top);
    return err;
}

hm_err
hm_vuln_match(const struct hm_vulnfeed *feed, const struct hm_sbom *sbom,
              const struct hm_vex *const *vex, size_t n_vex, int64_t now,
              struct hm_vuln_finding **out, size_t *n)
{
    struct comp *comps = NULL;
    struct hit *hits = NULL;
    struct hm_vuln_finding *f = NULL;
    size_t n_comps = 0, n_hits = 0;
    hm_err err;

    *out = NULL;
    *n = 0;
    if (feed == NULL || sbom == NULL || (vex == NULL && n_vex > 0)) {
        return HM_E_INVALID;
    }
    if ((err = parse_comps(sbom, &comps, &n_comps)) != HM_OK ||
        (err = find_hits(feed, comps, n_comps, now, &hits, &n_hits)) != HM_OK) {
        goto out;
    }
    if (n_hits == 0) {
        goto out;
    }
    qsort(hits, n_hits, sizeof(*hits), hit_cmp); /* SBOM order, then feed order */
    if ((f = calloc(n_hits, sizeof(*f))) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    if ((err = build_findings(feed, sbom, comps, hits, n_hits, vex, n_vex, now, f)) != HM_OK) {
        goto out;
    }
    *out = f;
    *n = n_hits;
    f = NULL; /* the caller owns it now */
out:
    hm_vuln_findings_free(f, n_hits);
    for (size_t i = 0; i < n_comps; i++) {
        hm_pkg_key_clear(&comps[i].key);
    }
    free(comps);
    free(hits);
    return err;
}

void
hm_vuln_findings_free(struct hm_vuln_finding *f, size_t n)
{
    if (f == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(f[i].id);
        hm_pj_strv_free(f[i].aliases, f[i].n_aliases);
        free(f[i].cve);
        free(f[i].summary);
        free(f[i].component_name);
        free(f[i].component_version);
        free(f[i].component_purl);
        free(f[i].component_ref);
        free(f[i].cvss_vector);
        free(f[i].kev_date_added);
        free(f[i].vex_doc_id);
        free(f[i].vex_justification);
        free(f[i].vex_note);
    }
    free(f);
}

/*
 * sbom_check.c: does the SBOM describe the artifact, and does it hold the minimum elements
 * the policy asks for (NTIA 2021, BSI TR-03183-2)?  Each missing element is reported with
 * the component it is missing from, so that a release manager knows what to fix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbom_int.h"

#define FINDINGS_MAX (16 * (HM_SBOM_MAX_COMPONENTS + 2))

/* Compares a given digest with the top component's hashes of that algorithm: 1 match,
 * 0 no hash of that algorithm, -1 a hash of that algorithm that differs. */
static int
digest_state(const struct hm_sbom_component *top, const char *alg, const char *hex)
{
    int state = 0;

    for (size_t i = 0; i < top->n_hashes; i++) {
        if (strcmp(top->hashes[i].alg, alg) != 0) {
            continue;
        }
        if (hm_pj_ieq(top->hashes[i].hex, hex)) {
            return 1;
        }
        state = -1;
    }
    return state;
}

bool
hm_sbom_describes(const struct hm_sbom *sbom, const char *sha256_hex, const char *sha512_hex)
{
    int s256 = 0, s512 = 0;

    if (sbom == NULL || !sbom->has_top || (sha256_hex == NULL && sha512_hex == NULL)) {
        return false;
    }
    if (sha256_hex != NULL) {
        s256 = strlen(sha256_hex) == 64 ? digest_state(&sbom->top, "sha256", sha256_hex) : -1;
    }
    if (sha512_hex != NULL) {
        s512 = strlen(sha512_hex) == 128 ? digest_state(&sbom->top, "sha512", sha512_hex) : -1;
    }
    /* One digest matching is enough; any digest contradicting a listed hash is not. */
    return (s256 == 1 || s512 == 1) && s256 != -1 && s512 != -1;
}

const char *
hm_sbom_element_name(unsigned element)
{
    static const char *const names[] = { "name",         "version",  "supplier",
                                         "unique id",    "hashes",   "license",
                                         "dependencies", "author",   "timestamp",
                                         "sha512",       "filename", "no vulnerabilities" };

    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (element == (1u << i)) {
            return names[i];
        }
    }
    return "unknown";
}

struct findings {
    struct hm_sbom_finding *v;
    size_t n, cap;
};

static hm_err
add_finding(struct findings *f, unsigned element, const struct hm_sbom_component *c,
            const char *label, const char *text)
{
    void *arr = f->v, *slot = NULL;
    struct hm_sbom_finding *x;
    hm_err err = hm_pj_grow(&arr, &f->n, &f->cap, sizeof(*x), FINDINGS_MAX, &slot);

    f->v = arr;
    if (err != HM_OK) {
        return err;
    }
    x = slot;
    x->element = element;
    if ((label != NULL && (err = hm_pj_strdup(label, &x->component)) != HM_OK) ||
        (c != NULL && c->ref != NULL && (err = hm_pj_strdup(c->ref, &x->ref)) != HM_OK) ||
        (err = hm_pj_strdup(text, &x->text)) != HM_OK) {
        return err; /* the partly filled finding is freed with the others */
    }
    return HM_OK;
}

static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every ref the dependency graph mentions, sorted, to look components up in. */
static hm_err
graph_refs(const struct hm_sbom *s, const char ***out, size_t *n)
{
    size_t total = 0, k = 0;
    const char **v;

    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < s->n_deps; i++) {
        total += 1 + s->deps[i].n_depends_on;
    }
    if ((v = calloc(total == 0 ? 1 : total, sizeof(*v))) == NULL) {
        return HM_E_NOMEM;
    }
    for (size_t i = 0; i < s->n_deps; i++) {
        v[k++] = s->deps[i].ref;
        for (size_t j = 0; j < s->deps[i].n_depends_on; j++) {
            v[k++] = s->deps[i].depends_on[j];
        }
    }
    qsort(v, k, sizeof(*v), str_cmp);
    *out = v;
    *n = k;
    return HM_OK;
}

static bool
has_sha512(const struct hm_sbom_component *c)
{
    for (size_t i = 0; i < c->n_hashes; i++) {
        if (strcmp(c->hashes[i].alg, "sha512") == 0) {
            return true;
        }
    }
    return false;
}

static bool
top_has_entry(const struct hm_sbom *s)
{
    for (size_t i = 0; s->top.ref != NULL && i < s->n_deps; i++) {
        if (strcmp(s->deps[i].ref, s->top.ref) == 0) {
            return true;
        }
    }
    return false;
}

static hm_err
check_component(const struct hm_sbom *s, const struct hm_sbom_component *c, bool is_top,
                size_t index, unsigned req, const char **refs, size_t n_refs, struct findings *f)
{
    char label[160], text[320];
    bool missing[11] = { 0 };
    hm_err err;

    if (c->name != NULL) {
        (void)snprintf(label, sizeof(label), "%s%s%s", c->name, c->version != NULL ? "@" : "",
                       c->version != NULL ? c->version : "");
    } else if (c->ref != NULL) {
        (void)snprintf(label, sizeof(label), "%s", c->ref);
    } else {
        (void)snprintf(label, sizeof(label), "#%zu", index);
    }
    missing[0] = c->name == NULL;
    missing[1] = c->version == NULL;
    missing[2] = c->supplier == NULL;
    missing[3] = c->purl == NULL && c->cpe == NULL;
    missing[4] = c->n_hashes == 0;
    missing[5] = c->n_declared + c->n_concluded == 0;
    missing[6] =
        is_top ? !top_has_entry(s)
               : c->ref == NULL || bsearch(&c->ref, refs, n_refs, sizeof(*refs), str_cmp) == NULL;
    missing[9] = !has_sha512(c);
    missing[10] = c->filename == NULL;
    for (unsigned bit = 0; bit < 11; bit++) {
        if ((req & (1u << bit)) == 0 || !missing[bit]) {
            continue;
        }
        (void)snprintf(text, sizeof(text), "%scomponent %s has no %s", is_top ? "top " : "", label,
                       bit == 6 ? "entry in the dependency graph"
                                : hm_sbom_element_name(1u << bit));
        if ((err = add_finding(f, 1u << bit, c, label, text)) != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
check_document(const struct hm_sbom *s, unsigned req, struct findings *f)
{
    hm_err err = HM_OK;

    if ((req & HM_SBOM_NEED_AUTHOR) != 0 && s->n_authors == 0) {
        err = add_finding(f, HM_SBOM_NEED_AUTHOR, NULL, NULL, "the SBOM names no author");
    }
    if (err == HM_OK && (req & HM_SBOM_NEED_TIMESTAMP) != 0 && s->timestamp == NULL) {
        err = add_finding(f, HM_SBOM_NEED_TIMESTAMP, NULL, NULL, "the SBOM has no timestamp");
    }
    if (err == HM_OK && (req & HM_SBOM_NEED_NO_VULNS) != 0 && s->has_vulnerabilities) {
        err = add_finding(f, HM_SBOM_NEED_NO_VULNS, NULL, NULL,
                          "the SBOM embeds vulnerabilities (carry them in VEX instead)");
    }
    return err;
}

hm_err
hm_sbom_check_minimum(const struct hm_sbom *sbom, unsigned required, struct hm_sbom_finding **out,
                      size_t *n)
{
    struct findings f = { 0 };
    const char **refs = NULL;
    size_t n_refs = 0;
    hm_err err;

    *out = NULL;
    *n = 0;
    if (sbom == NULL) {
        return HM_E_INVALID;
    }
    if ((err = graph_refs(sbom, &refs, &n_refs)) != HM_OK) {
        goto out;
    }
    if ((required & 0x67fu) != 0 && !sbom->has_top) {
        err = add_finding(&f, HM_SBOM_NEED_NAME, NULL, NULL,
                          "the SBOM names no top component (what it describes)");
    } else if (sbom->has_top) {
        err = check_component(sbom, &sbom->top, true, 0, required, refs, n_refs, &f);
    }
    for (size_t i = 0; err == HM_OK && i < sbom->n_components; i++) {
        err = check_component(sbom, &sbom->components[i], false, i, required, refs, n_refs, &f);
    }
    if (err != HM_OK || (err = check_document(sbom, required, &f)) != HM_OK) {
        goto out;
    }
    *out = f.v;
    *n = f.n;
    f.v = NULL; /* the caller owns it now */
    f.n = 0;
out:
    hm_sbom_findings_free(f.v, f.n);
    free(refs);
    return err;
}

void
hm_sbom_findings_free(struct hm_sbom_finding *f, size_t n)
{
    if (f == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(f[i].component);
        free(f[i].ref);
        free(f[i].text);
    }
    free(f);
}

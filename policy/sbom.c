/*
 * sbom.c: format detection, the shared building blocks of the three readers, and freeing.
 *
 * The readers copy what the policy uses into struct hm_sbom and drop the cJSON tree, so
 * nothing outside sbom_*.c sees a cJSON pointer.  Versions outside the accepted set are
 * refused with the version named: a gate that silently reads a CycloneDX 1.4 document as if
 * it were 1.6 would claim conformance to a baseline (BSI TR-03183-2) it does not meet.
 */
#include <stdlib.h>
#include <string.h>

#include "sbom_int.h"

static const struct hm_json_limits sbom_limits = {
    .max_bytes = HM_SBOM_MAX_BYTES,
    .max_depth = 64,
    .max_string = 1u << 20, /* embedded licence texts */
    .max_members = 200000,
};

/* Appends one zeroed element; the capacity is implicit (powers of two), so the public
 * structs need no capacity fields. */
static hm_err
grow_pow2(void **arr, size_t *n, size_t elem, size_t max, void **slot)
{
    size_t bytes;
    void *na;

    *slot = NULL;
    if (*n >= max) {
        return HM_E_LIMIT;
    }
    if (*n == 0 || (*n & (*n - 1)) == 0) {
        if (hm_size_mul(*n == 0 ? 1 : *n * 2, elem, &bytes) != HM_OK ||
            (na = realloc(*arr, bytes)) == NULL) {
            return HM_E_NOMEM;
        }
        *arr = na;
    }
    *slot = (char *)*arr + *n * elem;
    memset(*slot, 0, elem);
    (*n)++;
    return HM_OK;
}

static hm_err
push_str_pow2(char ***v, size_t *n, const char *s)
{
    void *arr = *v, *slot = NULL;
    hm_err err = grow_pow2(&arr, n, sizeof(char *), SBOM_MAX_DEPENDSON, &slot);

    *v = arr;
    if (err != HM_OK) {
        return err;
    }
    if ((err = hm_pj_strdup(s, (char **)slot)) != HM_OK) {
        (*n)--;
    }
    return err;
}

hm_err
hm_sbom_str(const cJSON *obj, const char *key, const char *ctx, char **out, char *why,
            size_t why_len)
{
    return hm_pj_opt_str(obj, key, HM_SBOM_MAX_STRING, ctx, out, why, why_len);
}

hm_err
hm_sbom_new_component(struct sbom_build *b, struct hm_sbom_component **out)
{
    void *arr = b->s->components, *slot = NULL;
    hm_err err = hm_pj_grow(&arr, &b->s->n_components, &b->comp_cap,
                            sizeof(struct hm_sbom_component), HM_SBOM_MAX_COMPONENTS, &slot);

    b->s->components = arr;
    *out = slot;
    return err;
}

void
hm_sbom_promote_top(struct hm_sbom *s, size_t i)
{
    s->top = s->components[i];
    s->has_top = true;
    memmove(&s->components[i], &s->components[i + 1],
            (s->n_components - i - 1) * sizeof(s->components[0]));
    s->n_components--;
}

static void
normalise_alg(const char *in, char out[16])
{
    size_t o = 0;

    for (const char *p = in; *p != '\0' && o < 15; p++) {
        char c = *p;

        c = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        out[o++] = c == '_' ? '-' : c;
    }
    out[o] = '\0';
    if (strncmp(out, "sha-", 4) == 0) { /* "SHA-256" -> "sha256"; "sha3-256" stays */
        memmove(out + 3, out + 4, strlen(out + 4) + 1);
    }
}

static size_t
hex_len_of(const char *alg)
{
    static const struct {
        const char *alg;
        size_t hex;
    } known[] = { { "md5", 32 },         { "sha1", 40 },      { "sha256", 64 },
                  { "sha384", 96 },      { "sha512", 128 },   { "sha3-256", 64 },
                  { "sha3-384", 96 },    { "sha3-512", 128 }, { "blake2b-256", 64 },
                  { "blake2b-512", 128 } };

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strcmp(alg, known[i].alg) == 0) {
            return known[i].hex;
        }
    }
    return 0;
}

hm_err
hm_sbom_add_hash(struct hm_sbom_component *c, const char *alg, const char *value, char *why,
                 size_t why_len)
{
    struct hm_sbom_hash *h;
    void *arr = c->hashes, *slot = NULL;
    size_t len = strlen(value), want;
    char norm[16];
    hm_err err;

    normalise_alg(alg, norm);
    want = hex_len_of(norm);
    for (size_t i = 0; i < len; i++) {
        char ch = value[i];

        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))) {
            want = SIZE_MAX; /* force the error below */
        }
    }
    if (len == 0 || len > 256 || (want != 0 && len != want)) {
        hm_pj_why(why, why_len, "component %s: %s hash is not %zu hex digits",
                  c->name != NULL ? c->name : "?", alg, want == SIZE_MAX ? len : want);
        return HM_E_INVALID;
    }
    err = grow_pow2(&arr, &c->n_hashes, sizeof(*h), SBOM_MAX_LIST, &slot);
    c->hashes = arr;
    if (err != HM_OK) {
        return err;
    }
    h = slot;
    memcpy(h->alg, norm, sizeof(h->alg));
    if ((err = hm_pj_strdup(value, &h->hex)) != HM_OK) {
        c->n_hashes--;
        return err;
    }
    for (char *p = h->hex; *p != '\0'; p++) {
        *p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    }
    return HM_OK;
}

hm_err
hm_sbom_add_license(struct hm_sbom_component *c, bool concluded, const char *expr)
{
    if (concluded) {
        return push_str_pow2(&c->licenses_concluded, &c->n_concluded, expr);
    }
    return push_str_pow2(&c->licenses_declared, &c->n_declared, expr);
}

hm_err
hm_sbom_add_extref(struct hm_sbom_component *c, const char *type, const char *url)
{
    void *arr = c->extrefs, *slot = NULL;
    struct hm_sbom_extref *r;
    hm_err err = grow_pow2(&arr, &c->n_extrefs, sizeof(*r), SBOM_MAX_LIST, &slot);

    c->extrefs = arr;
    if (err != HM_OK) {
        return err;
    }
    r = slot;
    if ((type != NULL && (err = hm_pj_strdup(type, &r->type)) != HM_OK) ||
        (err = hm_pj_strdup(url, &r->url)) != HM_OK) {
        free(r->type);
        c->n_extrefs--;
    }
    return err;
}

hm_err
hm_sbom_dep(struct sbom_build *b, const char *ref, struct hm_sbom_dependency **out)
{
    void *arr = b->s->deps, *slot = NULL;
    hm_err err;

    *out = NULL;
    /* Only the last entry is reused (readers add one ref's relations together): a ref may
     * own several entries, and readers of deps[] take their union.  This keeps parsing
     * linear in the number of relationships. */
    if (b->s->n_deps > 0 && strcmp(b->s->deps[b->s->n_deps - 1].ref, ref) == 0) {
        *out = &b->s->deps[b->s->n_deps - 1];
        return HM_OK;
    }
    err = hm_pj_grow(&arr, &b->s->n_deps, &b->dep_cap, sizeof(struct hm_sbom_dependency),
                     SBOM_MAX_DEPS, &slot);
    b->s->deps = arr;
    if (err != HM_OK) {
        return err;
    }
    if ((err = hm_pj_strdup(ref, &((struct hm_sbom_dependency *)slot)->ref)) != HM_OK) {
        b->s->n_deps--;
        return err;
    }
    *out = slot;
    return HM_OK;
}

hm_err
hm_sbom_dep_add(struct hm_sbom_dependency *d, const char *target)
{
    return push_str_pow2(&d->depends_on, &d->n_depends_on, target);
}

hm_err
hm_sbom_add_author(struct sbom_build *b, const char *name)
{
    return hm_pj_strv_push(&b->s->authors, &b->s->n_authors, &b->author_cap, SBOM_MAX_LIST, name);
}

hm_err
hm_sbom_add_tool(struct sbom_build *b, const char *name)
{
    return hm_pj_strv_push(&b->s->tools, &b->s->n_tools, &b->tool_cap, SBOM_MAX_LIST, name);
}

hm_err
hm_sbom_set_timestamp(struct hm_sbom *s, const char *ts, char *why, size_t why_len)
{
    hm_err err;

    if (hm_time_parse_rfc3339(ts, &s->created) != HM_OK) {
        hm_pj_why(why, why_len, "timestamp is not RFC 3339");
        return HM_E_INVALID;
    }
    free(s->timestamp);
    s->timestamp = NULL;
    err = hm_pj_strdup(ts, &s->timestamp);
    return err;
}

void
hm_sbom_component_clear(struct hm_sbom_component *c)
{
    free(c->ref);
    free(c->type);
    free(c->name);
    free(c->version);
    free(c->supplier);
    free(c->purl);
    free(c->cpe);
    free(c->filename);
    for (size_t i = 0; i < c->n_hashes; i++) {
        free(c->hashes[i].hex);
    }
    free(c->hashes);
    hm_pj_strv_free(c->licenses_declared, c->n_declared);
    hm_pj_strv_free(c->licenses_concluded, c->n_concluded);
    for (size_t i = 0; i < c->n_extrefs; i++) {
        free(c->extrefs[i].type);
        free(c->extrefs[i].url);
    }
    free(c->extrefs);
    memset(c, 0, sizeof(*c));
}

void
hm_sbom_free(struct hm_sbom *s)
{
    if (s == NULL) {
        return;
    }
    free(s->serial);
    free(s->timestamp);
    hm_pj_strv_free(s->authors, s->n_authors);
    hm_pj_strv_free(s->tools, s->n_tools);
    if (s->has_top) {
        hm_sbom_component_clear(&s->top);
    }
    for (size_t i = 0; i < s->n_components; i++) {
        hm_sbom_component_clear(&s->components[i]);
    }
    free(s->components);
    for (size_t i = 0; i < s->n_deps; i++) {
        free(s->deps[i].ref);
        hm_pj_strv_free(s->deps[i].depends_on, s->deps[i].n_depends_on);
    }
    free(s->deps);
    free(s);
}

const char *
hm_sbom_format_name(enum hm_sbom_format f)
{
    switch (f) {
    case HM_SBOM_CYCLONEDX:
        return "CycloneDX";
    case HM_SBOM_SPDX2:
    case HM_SBOM_SPDX3:
        return "SPDX";
    }
    return "unknown";
}

hm_err
hm_sbom_parse(const void *buf, size_t len, struct hm_sbom **out, char *why, size_t why_len)
{
    struct sbom_build b = { 0 };
    cJSON *root = NULL;
    hm_err err;

    *out = NULL;
    if (buf == NULL) {
        return HM_E_INVALID;
    }
    if ((err = hm_pj_parse(buf, len, &sbom_limits, "SBOM", &root, why, why_len)) != HM_OK) {
        return err;
    }
    if ((b.s = calloc(1, sizeof(*b.s))) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        hm_pj_why(why, why_len, "SBOM: not a JSON object");
        err = HM_E_INVALID;
    } else if (hm_json_get(root, "bomFormat") != NULL) {
        err = hm_sbom_cdx_parse(root, &b, why, why_len);
    } else if (hm_json_get(root, "spdxVersion") != NULL) {
        err = hm_sbom_spdx2_parse(root, &b, why, why_len);
    } else if (hm_json_get(root, "@context") != NULL) {
        err = hm_sbom_spdx3_parse(root, &b, why, why_len);
    } else {
        hm_pj_why(why, why_len,
                  "SBOM: neither CycloneDX (bomFormat) nor SPDX (spdxVersion, "
                  "@context) JSON");
        err = HM_E_INVALID;
    }
    if (err != HM_OK) {
        goto out;
    }
    *out = b.s;
    b.s = NULL; /* the caller owns it now */
out:
    hm_sbom_free(b.s);
    cJSON_Delete(root);
    return err;
}

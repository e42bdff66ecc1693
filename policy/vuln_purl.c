/*
 * vuln_purl.c: package URLs (https://github.com/package-url/purl-spec), the OSV ecosystem
 * names they correspond to, and the version order OSV ranges are evaluated in.
 *
 * Two packages are the same when their purl types and their decoded, normalised
 * namespace/name agree; qualifiers (arch, distro...) and subpaths are ignored because
 * advisories do not carry them.  Normalisation follows the purl spec's per-type rules:
 * github, bitbucket and npm names are case-insensitive, PyPI names also fold "_" and "." to
 * "-" (PEP 503).
 */
#include <hm/policy.h>
#include <stdlib.h>
#include <string.h>

#include "vuln_int.h"

#define PURL_MAX 2048

static int
hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Percent-decodes s[0..len) into a new string; refuses control bytes and bad escapes. */
static hm_err
decode(const char *s, size_t len, char **out)
{
    char *d = malloc(len + 1);
    size_t o = 0;

    *out = NULL;
    if (d == NULL) {
        return HM_E_NOMEM;
    }
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];

        if (c == '%') {
            int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(s[i + 2]) : -1;

            if (hi < 0 || lo < 0) {
                free(d);
                return HM_E_INVALID;
            }
            c = hi * 16 + lo;
            i += 2;
        }
        if (c < 0x20 || c == 0x7f) {
            free(d);
            return HM_E_INVALID;
        }
        d[o++] = (char)c;
    }
    d[o] = '\0';
    *out = d;
    return HM_OK;
}

static void
lower(char *s)
{
    for (; *s != '\0'; s++) {
        *s = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
    }
}

/* The purl spec's per-type name rules, applied to namespace/name as one string. */
static void
normalise(const char *type, char *fullname)
{
    if (strcmp(type, "github") == 0 || strcmp(type, "bitbucket") == 0 || strcmp(type, "npm") == 0) {
        lower(fullname);
    } else if (strcmp(type, "pypi") == 0) {
        size_t o = 0;

        lower(fullname);
        for (size_t i = 0; fullname[i] != '\0'; i++) {
            bool sep = fullname[i] == '_' || fullname[i] == '.' || fullname[i] == '-';

            if (!sep || o == 0 || fullname[o - 1] != '-') {
                fullname[o++] = sep ? '-' : fullname[i];
            }
        }
        fullname[o] = '\0';
    }
}

void
hm_pkg_key_clear(struct pkg_key *k)
{
    free(k->type);
    free(k->fullname);
    free(k->version);
    memset(k, 0, sizeof(*k));
}

hm_err
hm_purl_parse(const char *purl, struct pkg_key *out)
{
    const char *p, *end, *slash, *at, *type_end;
    size_t len;
    hm_err err = HM_E_INVALID;

    memset(out, 0, sizeof(*out));
    if (purl == NULL || (len = strlen(purl)) > PURL_MAX || len < 6 ||
        (strncmp(purl, "pkg:", 4) != 0 && strncmp(purl, "PKG:", 4) != 0)) {
        return HM_E_INVALID;
    }
    p = purl + 4;
    while (*p == '/') { /* "pkg://type/..." is tolerated by the spec */
        p++;
    }
    end = p + strcspn(p, "?#");
    if ((type_end = memchr(p, '/', (size_t)(end - p))) == NULL || type_end == p) {
        return HM_E_INVALID;
    }
    slash = type_end;
    for (const char *q = type_end; q < end; q++) {
        slash = *q == '/' ? q : slash;
    }
    at = NULL;
    for (const char *q = slash; q < end; q++) {
        at = *q == '@' ? q : at;
    }
    if ((out->type = strndup(p, (size_t)(type_end - p))) == NULL) {
        return HM_E_NOMEM;
    }
    lower(out->type);
    if ((err = decode(type_end + 1, (size_t)((at != NULL ? at : end) - type_end - 1),
                      &out->fullname)) != HM_OK ||
        (at != NULL && (err = decode(at + 1, (size_t)(end - at - 1), &out->version)) != HM_OK)) {
        goto fail;
    }
    if (*out->fullname == '\0' || out->fullname[strlen(out->fullname) - 1] == '/' ||
        (out->version != NULL && *out->version == '\0')) {
        err = HM_E_INVALID;
        goto fail;
    }
    normalise(out->type, out->fullname);
    return HM_OK;
fail:
    hm_pkg_key_clear(out);
    return err;
}

hm_err
hm_osv_pkg_key(const char *ecosystem, const char *name, const char *purl, struct pkg_key *out)
{
    static const struct {
        const char *eco, *type;
    } map[] = { { "npm", "npm" },
                { "PyPI", "pypi" },
                { "Maven", "maven" },
                { "Go", "golang" },
                { "crates.io", "cargo" },
                { "RubyGems", "gem" },
                { "NuGet", "nuget" },
                { "Packagist", "composer" },
                { "Hex", "hex" },
                { "Pub", "pub" },
                { "GitHub Actions", "github" } };
    hm_err err;

    memset(out, 0, sizeof(*out));
    if (purl != NULL) {
        if ((err = hm_purl_parse(purl, out)) == HM_OK) {
            free(out->version); /* an advisory's purl names the package, not a version */
            out->version = NULL;
        }
        return err;
    }
    for (size_t i = 0; ecosystem != NULL && name != NULL && i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(ecosystem, map[i].eco) != 0) {
            continue;
        }
        if ((out->type = strdup(map[i].type)) == NULL || (out->fullname = strdup(name)) == NULL) {
            hm_pkg_key_clear(out);
            return HM_E_NOMEM;
        }
        if (strcmp(out->type, "maven") == 0 && strchr(out->fullname, ':') != NULL) {
            *strchr(out->fullname, ':') = '/'; /* group:artifact -> group/artifact */
        }
        normalise(out->type, out->fullname);
        return HM_OK;
    }
    return HM_E_NOTFOUND; /* Debian, Alpine, OSS-Fuzz...: matched only through package.purl */
}

hm_err
hm_git_repo_key(const char *repo, struct pkg_key *out)
{
    static const char prefix[] = "https://github.com/";
    size_t len;

    memset(out, 0, sizeof(*out));
    if (repo == NULL || strncmp(repo, prefix, sizeof(prefix) - 1) != 0) {
        return HM_E_NOTFOUND;
    }
    repo += sizeof(prefix) - 1;
    len = strlen(repo);
    if (len > 4 && strcmp(repo + len - 4, ".git") == 0) {
        len -= 4;
    }
    if (len == 0 || len > PURL_MAX || memchr(repo, '/', len) == NULL) {
        return HM_E_NOTFOUND;
    }
    if ((out->type = strdup("github")) == NULL || (out->fullname = strndup(repo, len)) == NULL) {
        hm_pkg_key_clear(out);
        return HM_E_NOMEM;
    }
    lower(out->fullname);
    return HM_OK;
}

bool
hm_pkg_key_same_package(const struct pkg_key *a, const struct pkg_key *b)
{
    return a->type != NULL && b->type != NULL && strcmp(a->type, b->type) == 0 &&
           strcmp(a->fullname, b->fullname) == 0;
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Next token of a version: a digit run, or a run of other non-'.' bytes. */
static size_t
token(const char **s, bool *numeric)
{
    const char *p;

    while (**s == '.') {
        (*s)++;
    }
    p = *s;
    *numeric = is_digit(*p);
    while (*p != '\0' && *p != '.' && is_digit(*p) == *numeric) {
        p++;
    }
    return (size_t)(p - *s);
}

static int
dotted_cmp(const char *a, const char *b)
{
    for (;;) {
        bool na, nb;
        size_t la = token(&a, &na), lb = token(&b, &nb);
        int c;

        if (la == 0 || lb == 0) {
            /* One side ended: a further number makes the other higher ("1.2" < "1.2.1"),
             * a further suffix makes it lower ("1.2-rc1" < "1.2"). */
            return la == lb ? 0 : la == 0 ? (nb ? -1 : 1) : (na ? 1 : -1);
        }
        if (na && nb) {
            while (la > 1 && *a == '0') {
                a++, la--;
            }
            while (lb > 1 && *b == '0') {
                b++, lb--;
            }
            c = la != lb ? (la < lb ? -1 : 1) : strncmp(a, b, la);
        } else if (na != nb) {
            c = na ? 1 : -1; /* "1.2.0" > "1.2.rc" */
        } else {
            c = strncmp(a, b, la < lb ? la : lb);
            c = c != 0 ? c : la == lb ? 0 : la < lb ? -1 : 1;
        }
        if (c != 0) {
            return c < 0 ? -1 : 1;
        }
        a += la;
        b += lb;
    }
}

int
hm_vuln_version_cmp(const char *a, const char *b)
{
    int c = 0;

    a += (a[0] == 'v' && is_digit(a[1]));
    b += (b[0] == 'v' && is_digit(b[1]));
    if (hm_semver_check(a, NULL, 0) == HM_OK && hm_semver_check(b, NULL, 0) == HM_OK &&
        hm_semver_cmp(a, b, &c) == HM_OK) {
        return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    return dotted_cmp(a, b);
}

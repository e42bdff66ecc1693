/*
 * policy_resolve.c: reading the files a policy names, relative to the policy file's
 * folder: issuers' JWKS, approvers' public keys, the advisory feed, the KEV list and
 * the VEX folder.  Everything is read once, at load or reload, so that evaluating a
 * request never touches the disk and a broken file is found before the policy is used.
 */
#include <dirent.h>
#include <hm/verify.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

/* base_dir/rel, or rel when it is absolute. */
static hm_err
join_path(const char *base_dir, const char *rel, char *out, size_t out_len)
{
    int n;

    if (rel[0] == '/' || base_dir == NULL || base_dir[0] == '\0') {
        n = snprintf(out, out_len, "%s", rel);
    } else {
        n = snprintf(out, out_len, "%s/%s", base_dir, rel);
    }
    return n < 0 || (size_t)n >= out_len ? HM_E_LIMIT : HM_OK;
}

static hm_err
at_path(struct hm_policy_error *err, struct pol_path *path, size_t prod, const char *section,
        const char *key, hm_err rc, const char *what, const char *why)
{
    pol_path_init(path);
    if (section != NULL) {
        pol_path_key(path, "products");
        pol_path_idx(path, prod);
        pol_path_key(path, section);
    } else {
        pol_path_key(path, "oidc_issuers");
        pol_path_idx(path, prod);
    }
    pol_path_key(path, key);
    return pol_fail(err, path, rc, "%s: %s", what, why);
}

static hm_err
load_issuers(struct hm_policy *p, const char *base_dir, struct hm_policy_error *err)
{
    struct pol_path path;
    char file[PATH_MAX], why[256] = "";
    hm_err rc;

    for (size_t i = 0; i < p->n_issuers; i++) {
        struct pol_issuer *is = &p->issuers[i];
        struct hm_oidc_issuer_config cfg = {
            .issuer = is->issuer,
            .jwks_path = file,
            .audiences = (const char *const *)is->audiences,
            .n_audiences = is->n_audiences,
            .leeway = (int64_t)is->leeway,
            .algs = 0,
        };

        if ((rc = join_path(base_dir, is->jwks, file, sizeof(file))) != HM_OK) {
            return at_path(err, &path, i, NULL, "jwks", rc, is->jwks, "path too long");
        }
        if ((rc = hm_oidc_issuer_load(&cfg, &is->loaded, why, sizeof(why))) != HM_OK) {
            return at_path(err, &path, i, NULL, "jwks", rc, file, why);
        }
    }
    return HM_OK;
}

hm_err
pol_check_approver_keys(const struct hm_policy *p, struct hm_policy_error *err)
{
    struct pol_path path;

    for (size_t i = 0; i < p->n_products; i++) {
        const struct pol_product *pr = &p->products[i];

        for (size_t j = 0; j < pr->n_approvers; j++) {
            for (size_t k = 0; k < j && pr->approvers[j].key != NULL; k++) {
                if (pr->approvers[k].key != NULL &&
                    strcmp(hm_pubkey_keyid(pr->approvers[k].key),
                           hm_pubkey_keyid(pr->approvers[j].key)) == 0) {
                    pol_path_init(&path);
                    pol_path_key(&path, "products");
                    pol_path_idx(&path, i);
                    pol_path_key(&path, "approvals");
                    pol_path_key(&path, "approvers");
                    pol_path_idx(&path, j);
                    pol_path_key(&path, "key");
                    /* One key, two names, would let one person count twice. */
                    return pol_fail(err, &path, HM_E_INVALID, "the same key as approver \"%s\"",
                                    pr->approvers[k].name);
                }
            }
        }
    }
    return HM_OK;
}

static hm_err
load_approvers(struct pol_product *pr, size_t idx, const char *base_dir,
               struct hm_policy_error *err)
{
    struct pol_path path;
    char file[PATH_MAX];
    uint8_t *pem = NULL;
    size_t len = 0;
    hm_err rc = HM_OK;

    for (size_t j = 0; j < pr->n_approvers && rc == HM_OK; j++) {
        struct pol_approver *a = &pr->approvers[j];

        if (a->key != NULL) {
            continue; /* inline PEM, read at parse */
        }
        if ((rc = join_path(base_dir, a->key_ref, file, sizeof(file))) != HM_OK ||
            (rc = hm_read_file(file, POL_MAX_PEM, &pem, &len)) != HM_OK) {
            pol_path_init(&path);
            pol_path_key(&path, "products");
            pol_path_idx(&path, idx);
            pol_path_key(&path, "approvals");
            pol_path_key(&path, "approvers");
            pol_path_idx(&path, j);
            pol_path_key(&path, "key");
            return pol_fail(err, &path, rc, "%s: cannot read: %s", file, hm_strerror(rc));
        }
        rc = hm_pubkey_from_pem(pem, len, &a->key);
        free(pem);
        pem = NULL;
        if (rc != HM_OK) {
            return at_path(err, &path, idx, "approvals", "approvers", rc, file,
                           "not a public key Hallmark accepts (PEM SubjectPublicKeyInfo: P-256, "
                           "P-384, Ed25519 or RSA >= 3072)");
        }
    }
    return rc;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the *.json files directly in dir, sorted (a stable order for the VSA). */
static hm_err
list_json(const char *dir, char ***out, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL, **grown;
    size_t count = 0;
    hm_err rc = HM_OK;

    *out = NULL;
    *n = 0;
    if (d == NULL) {
        return HM_E_NOTFOUND;
    }
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);

        if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0) {
            continue;
        }
        if (count == POL_MAX_VEX_FILES) {
            rc = HM_E_LIMIT;
            break;
        }
        if ((grown = realloc(names, (count + 1) * sizeof(*names))) == NULL ||
            (grown[count] = pol_strdup(de->d_name)) == NULL) {
            names = grown != NULL ? grown : names;
            rc = HM_E_NOMEM;
            break;
        }
        names = grown;
        count++;
    }
    closedir(d);
    if (rc != HM_OK) {
        for (size_t i = 0; i < count; i++) {
            free(names[i]);
        }
        free(names);
        return rc;
    }
    if (count > 0) {
        qsort(names, count, sizeof(*names), cmp_names);
    }
    *out = names;
    *n = count;
    return HM_OK;
}

static hm_err
load_vex_dir(struct pol_product *pr, const char *dir, char *why, size_t why_len)
{
    char **names = NULL, file[PATH_MAX];
    size_t n = 0, len = 0;
    uint8_t *buf = NULL;
    hm_err rc;

    if ((rc = list_json(dir, &names, &n)) != HM_OK) {
        snprintf(why, why_len, "cannot list the folder: %s", hm_strerror(rc));
        return rc;
    }
    if (n > 0 && ((pr->vex_docs = calloc(n, sizeof(*pr->vex_docs))) == NULL ||
                  (pr->vex_names = calloc(n, sizeof(*pr->vex_names))) == NULL ||
                  (pr->vex_sha256 = calloc(n, sizeof(*pr->vex_sha256))) == NULL)) {
        rc = HM_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if ((rc = join_path(dir, names[i], file, sizeof(file))) != HM_OK ||
            (rc = hm_read_file(file, HM_VEX_MAX_BYTES, &buf, &len)) != HM_OK) {
            snprintf(why, why_len, "%s: cannot read: %s", names[i], hm_strerror(rc));
            goto out;
        }
        if ((rc = hm_vex_parse(buf, len, &pr->vex_docs[i], why, why_len)) != HM_OK) {
            char inner[256];

            size_t wl = strnlen(why, sizeof(inner) - 1);

            /* A long reason may be cut short; the file name comes first. */
            memcpy(inner, why, wl);
            inner[wl] = '\0';
            if (snprintf(why, why_len, "%s: %s", names[i], inner) < 0) {
                why[0] = '\0';
            }
            goto out;
        }
        hm_sha256(buf, len, pr->vex_sha256[i]);
        pr->vex_names[i] = names[i];
        names[i] = NULL; /* the product owns it now */
        pr->n_vex_docs = i + 1;
        free(buf);
        buf = NULL;
    }
out:
    free(buf);
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    return rc;
}

static hm_err
load_vuln(struct pol_product *pr, size_t idx, const char *base_dir, struct hm_policy_error *err)
{
    struct pol_path path;
    char feed[PATH_MAX], kev[PATH_MAX], vex[PATH_MAX], why[256] = "";
    hm_err rc;

    if ((rc = join_path(base_dir, pr->feed, feed, sizeof(feed))) != HM_OK) {
        return at_path(err, &path, idx, "vulnerabilities", "feed", rc, pr->feed, "too long");
    }
    if (pr->kev != NULL && (rc = join_path(base_dir, pr->kev, kev, sizeof(kev))) != HM_OK) {
        return at_path(err, &path, idx, "vulnerabilities", "kev", rc, pr->kev, "too long");
    }
    if ((rc = hm_vulnfeed_load(feed, pr->kev != NULL ? kev : NULL, &pr->vfeed, why, sizeof(why))) !=
        HM_OK) {
        /* vuln.h names the file at fault in why; the path names the feed key. */
        return at_path(err, &path, idx, "vulnerabilities", "feed", rc, feed, why);
    }
    if (pr->vex_dir == NULL) {
        return HM_OK;
    }
    if ((rc = join_path(base_dir, pr->vex_dir, vex, sizeof(vex))) != HM_OK ||
        (rc = load_vex_dir(pr, vex, why, sizeof(why))) != HM_OK) {
        return at_path(err, &path, idx, "vulnerabilities", "vex_dir", rc, vex, why);
    }
    return HM_OK;
}

hm_err
hm_policy_resolve(struct hm_policy *p, const char *base_dir, struct hm_policy_error *err)
{
    hm_err rc;

    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }
    if (p->resolved) {
        return HM_OK;
    }
    if ((rc = load_issuers(p, base_dir, err)) != HM_OK) {
        return rc;
    }
    for (size_t i = 0; i < p->n_products; i++) {
        struct pol_product *pr = &p->products[i];

        if ((rc = load_approvers(pr, i, base_dir, err)) != HM_OK ||
            (pr->has_vuln && (rc = load_vuln(pr, i, base_dir, err)) != HM_OK)) {
            return rc;
        }
    }
    if ((rc = pol_check_approver_keys(p, err)) != HM_OK) {
        return rc;
    }
    p->resolved = true;
    return HM_OK;
}

hm_err
hm_policy_load(const char *path, struct hm_policy **out, struct hm_policy_error *err)
{
    struct hm_policy *p = NULL;
    uint8_t *buf = NULL;
    char *dir = NULL, *slash;
    size_t len = 0;
    hm_err rc;

    *out = NULL;
    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }
    if ((rc = hm_read_file(path, HM_POLICY_MAX_BYTES, &buf, &len)) != HM_OK) {
        return pol_fail(err, NULL, rc, "%s: cannot read: %s", path, hm_strerror(rc));
    }
    if ((dir = pol_strdup(path)) == NULL) {
        rc = pol_fail(err, NULL, HM_E_NOMEM, "out of memory");
        goto out;
    }
    if ((slash = strrchr(dir, '/')) != NULL) {
        slash[slash == dir ? 1 : 0] = '\0'; /* "/policy.json" -> "/" */
    } else {
        dir[0] = '\0'; /* the current folder */
    }
    if ((rc = hm_policy_parse(buf, len, &p, err)) != HM_OK ||
        (rc = hm_policy_resolve(p, dir, err)) != HM_OK) {
        goto out;
    }
    *out = p;
    p = NULL; /* the caller owns it now */
out:
    hm_policy_free(p);
    free(dir);
    free(buf);
    return rc;
}

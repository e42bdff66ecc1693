/*
 * config_policy.c: the config's "policy" key and the loading of the release policy into
 * a generation (hmd_gen_load, at start, on SIGHUP and for --check-config).
 *
 * With a policy the config's "products" section stays the daemon's key catalogue: the
 * keys it names are the ones found on the token, listed by /v1/keys and the trust root.
 * Every key the policy binds (products[].keys, stewards[].key) must be one of them, so a
 * policy can never make the daemon sign with a key the trust root does not list.  The
 * policy decides identity, channels and every release rule (docs/operations.md,
 * "Release policy").
 */
#include <hm/policy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

hm_err
hmd_cfg_policy(struct hmd_cctx *c, const cJSON *root, struct hmd_config *cfg)
{
    if (hmd_cfg_string(c, root, "", "policy", false, 4096, &cfg->policy_path) != HM_OK) {
        return HM_E_INVALID;
    }
    if (cfg->policy_path != NULL && cfg->policy_path[0] != '/') {
        return hmd_cfail(c, "policy", "must be an absolute path");
    }
    return HM_OK;
}

const struct hmd_product *
hmd_policy_key_product(const struct hmd_config *cfg, const char *name)
{
    char uri[HMD_MAX_NAME * 4 + 32];

    if (name == NULL) {
        return NULL;
    }
    /* a bare label means what it means in the config: pkcs11:object=LABEL */
    snprintf(uri, sizeof(uri), "pkcs11:object=%s", name);
    for (size_t i = 0; i < cfg->n_products; i++) {
        const struct hmd_product *p = &cfg->products[i];
        if ((p->key_ref != NULL && strcmp(p->key_ref, name) == 0) ||
            (p->key_uri != NULL &&
             (strcmp(p->key_uri, name) == 0 || strcmp(p->key_uri, uri) == 0))) {
            return p;
        }
    }
    return NULL;
}

struct key_check {
    const struct hmd_config *cfg;
    char *why;
    size_t why_len;
};

static hm_err
check_key(void *ctx, const char *path, const char *key)
{
    struct key_check *k = ctx;

    if (hmd_policy_key_product(k->cfg, key) != NULL) {
        return HM_OK;
    }
    snprintf(k->why, k->why_len,
             "policy %s: %s: key \"%s\" is not one of the config's products[].key (the keys "
             "the daemon finds on its token and lists in its trust root)",
             k->cfg->policy_path, path, key);
    return HM_E_INVALID;
}

hm_err
hmd_policy_load(const struct hmd_config *cfg, struct hm_policy **out, char *why, size_t why_len)
{
    struct hm_policy_error perr;
    struct hm_policy *p = NULL;
    struct key_check k = { .cfg = cfg, .why = why, .why_len = why_len };
    hm_err rc;

    *out = NULL;
    if (cfg->policy_path == NULL) {
        return HM_OK;
    }
    memset(&perr, 0, sizeof(perr));
    if ((rc = hm_policy_load(cfg->policy_path, &p, &perr)) != HM_OK) {
        /* the JSON path at fault, and the byte offset of a syntax error */
        if (perr.offset > 0) {
            snprintf(why, why_len, "policy %s: %s (byte %zu): %s", cfg->policy_path,
                     perr.path[0] ? perr.path : "$", perr.offset, perr.message);
        } else {
            snprintf(why, why_len, "policy %s: %s: %s", cfg->policy_path,
                     perr.path[0] ? perr.path : "$",
                     perr.message[0] ? perr.message : hm_strerror(rc));
        }
        return rc;
    }
    if ((rc = hm_policy_each_key(p, check_key, &k)) != HM_OK) {
        hm_policy_free(p);
        return rc;
    }
    *out = p; /* the caller owns it now */
    return HM_OK;
}

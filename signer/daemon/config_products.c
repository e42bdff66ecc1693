/*
 * config_products.c: the products section of the config: which key signs which
 * product, on which channels, for which client identities.  These are the
 * authorisation rules until the policy engine takes over.
 */
#include <hm/hsm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

bool
hmd_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > HMD_MAX_NAME) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-'))) {
            return false;
        }
    }
    return true;
}

/* Printable ASCII without spaces: identities are compared byte for byte. */
static bool
identity_chars_ok(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) {
            return false;
        }
    }
    return true;
}

static hm_err
cfg_rule(struct hmd_cctx *c, const cJSON *it, const char *path, struct hmd_rule *out)
{
    static const struct {
        const char *prefix;
        enum hmd_rule_kind kind;
    } forms[] = { { "cn:", HMD_RULE_CN },
                  { "san:dns:", HMD_RULE_SAN_DNS },
                  { "san:uri:", HMD_RULE_SAN_URI } };
    const char *s = NULL;

    if (!cJSON_IsString(it) || (s = it->valuestring) == NULL) {
        return hmd_cfail(c, path, "must be a string");
    }
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        size_t n = strlen(forms[i].prefix);
        if (strncmp(s, forms[i].prefix, n) != 0) {
            continue;
        }
        if (s[n] == '\0' || strlen(s + n) > HMD_MAX_IDENTITY || !identity_chars_ok(s + n)) {
            return hmd_cfail(c, path,
                             "the name after \"%s\" must be 1 to %d printable "
                             "characters without spaces",
                             forms[i].prefix, HMD_MAX_IDENTITY);
        }
        out->kind = forms[i].kind;
        if ((out->value = strdup(s + n)) == NULL) {
            return HM_E_NOMEM;
        }
        return HM_OK;
    }
    return hmd_cfail(c, path,
                     "unknown identity form \"%.64s\": write cn:NAME, san:dns:NAME "
                     "or san:uri:URI",
                     s);
}

static hm_err
cfg_channels(struct hmd_cctx *c, const cJSON *o, const char *path, struct hmd_product *p)
{
    const cJSON *arr = hm_json_get(o, "channels");
    const cJSON *it = NULL;
    char cp[160], ep[176];

    hmd_path_join(cp, sizeof(cp), path, "channels");
    if (arr == NULL) {
        /* A product signs on "stable" unless it says otherwise (not a credential). */
        if ((p->channels = calloc(1, sizeof(char *))) == NULL ||
            (p->channels[0] = strdup("stable")) == NULL) {
            return HM_E_NOMEM;
        }
        p->n_channels = 1;
        return HM_OK;
    }
    int n = cJSON_GetArraySize(arr);
    if (!cJSON_IsArray(arr) || n < 1 || n > HMD_MAX_CHANNELS) {
        return hmd_cfail(c, cp, "must be an array of 1 to %d channel names", HMD_MAX_CHANNELS);
    }
    if ((p->channels = calloc((size_t)n, sizeof(char *))) == NULL) {
        return HM_E_NOMEM;
    }
    cJSON_ArrayForEach(it, arr) {
        snprintf(ep, sizeof(ep), "%s[%zu]", cp, p->n_channels);
        if (!cJSON_IsString(it) || !hmd_name_ok(it->valuestring)) {
            return hmd_cfail(c, ep,
                             "must be a name of [a-z0-9._-], 1 to 64 characters, "
                             "starting with a letter or digit");
        }
        if (hmd_product_has_channel(p, it->valuestring)) {
            return hmd_cfail(c, ep, "duplicate channel \"%s\"", it->valuestring);
        }
        if ((p->channels[p->n_channels] = strdup(it->valuestring)) == NULL) {
            return HM_E_NOMEM;
        }
        p->n_channels++;
    }
    return HM_OK;
}

static hm_err
cfg_clients(struct hmd_cctx *c, const cJSON *o, const char *path, struct hmd_product *p)
{
    const cJSON *arr = hm_json_get(o, "clients");
    const cJSON *it = NULL;
    char cp[160], ep[176];

    hmd_path_join(cp, sizeof(cp), path, "clients");
    if (arr == NULL) {
        return hmd_cfail(c, cp,
                         "is missing: a product needs at least one client rule "
                         "(\"cn:NAME\", \"san:dns:NAME\" or \"san:uri:URI\"); "
                         "there is no default");
    }
    int n = cJSON_GetArraySize(arr);
    if (!cJSON_IsArray(arr) || n < 1 || n > HMD_MAX_RULES) {
        return hmd_cfail(c, cp,
                         "must be an array of 1 to %d client rules; there is no "
                         "default",
                         HMD_MAX_RULES);
    }
    if ((p->rules = calloc((size_t)n, sizeof(*p->rules))) == NULL) {
        return HM_E_NOMEM;
    }
    cJSON_ArrayForEach(it, arr) {
        snprintf(ep, sizeof(ep), "%s[%zu]", cp, p->n_rules);
        if (cfg_rule(c, it, ep, &p->rules[p->n_rules]) != HM_OK) {
            return HM_E_INVALID;
        }
        p->n_rules++;
    }
    return HM_OK;
}

static hm_err
cfg_key_uri(struct hmd_cctx *c, const char *path, const struct hmd_config *cfg,
            struct hmd_product *p)
{
    char kp[160];
    size_t n = strlen(p->key_ref);

    hmd_path_join(kp, sizeof(kp), path, "key");
    if (strncmp(p->key_ref, "tpm2:", 5) == 0) {
        return hmd_cfg_tpm_key(c, kp, cfg, p); /* config_tpm.c */
    }
    if (strncmp(p->key_ref, "pkcs11:", 7) == 0) {
        if (strstr(p->key_ref, "pin-value") != NULL) {
            return hmd_cfail(c, kp,
                             "pin-value is refused: the PIN comes from hsm.uri's "
                             "pin-source");
        }
        p->key_uri = strdup(p->key_ref);
    } else {
        for (size_t i = 0; i < n; i++) {
            char ch = p->key_ref[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.')) {
                return hmd_cfail(c, kp,
                                 "must be a pkcs11: URI, a tpm2: URI or a key "
                                 "label of [A-Za-z0-9._-]");
            }
        }
        size_t sz = n + sizeof("pkcs11:object=");
        if ((p->key_uri = malloc(sz)) != NULL) {
            snprintf(p->key_uri, sz, "pkcs11:object=%s", p->key_ref);
        }
    }
    return p->key_uri == NULL ? HM_E_NOMEM : HM_OK;
}

static hm_err
cfg_product(struct hmd_cctx *c, const cJSON *o, const char *path, const struct hmd_config *cfg,
            struct hmd_product *p)
{
    static const char *const keys[] = { "name", "channels", "key", "clients" };
    char np[160];

    hmd_path_join(np, sizeof(np), path, "name");
    if (hmd_cfg_object(c, o, path, keys, 4) != HM_OK ||
        hmd_cfg_string(c, o, path, "name", true, HMD_MAX_NAME, &p->name) != HM_OK) {
        return HM_E_INVALID;
    }
    if (!hmd_name_ok(p->name)) {
        return hmd_cfail(c, np,
                         "must be [a-z0-9._-], 1 to 64 characters, starting with a "
                         "letter or digit");
    }
    if (cfg_channels(c, o, path, p) != HM_OK ||
        hmd_cfg_string(c, o, path, "key", true, 4096, &p->key_ref) != HM_OK ||
        cfg_key_uri(c, path, cfg, p) != HM_OK || cfg_clients(c, o, path, p) != HM_OK) {
        return HM_E_INVALID;
    }
    return HM_OK;
}

hm_err
hmd_cfg_products(struct hmd_cctx *c, const cJSON *root, struct hmd_config *cfg)
{
    const cJSON *arr = hm_json_get(root, "products");
    const cJSON *it = NULL;
    char pp[64];

    if (arr == NULL) {
        return hmd_cfail(c, "products",
                         "is missing: without at least one product and one "
                         "client rule nobody may sign (no default rule)");
    }
    int n = cJSON_GetArraySize(arr);
    if (!cJSON_IsArray(arr) || n < 1 || n > HMD_MAX_PRODUCTS) {
        return hmd_cfail(c, "products",
                         "must be an array of 1 to %d products; there is no "
                         "default rule",
                         HMD_MAX_PRODUCTS);
    }
    if ((cfg->products = calloc((size_t)n, sizeof(*cfg->products))) == NULL) {
        return HM_E_NOMEM;
    }
    cJSON_ArrayForEach(it, arr) {
        snprintf(pp, sizeof(pp), "products[%zu]", cfg->n_products);
        struct hmd_product *p = &cfg->products[cfg->n_products++];
        hm_err rc = cfg_product(c, it, pp, cfg, p);
        if (rc != HM_OK) {
            return rc;
        }
        for (size_t i = 0; i + 1 < cfg->n_products; i++) {
            if (strcmp(cfg->products[i].name, p->name) == 0) {
                char np[80];
                snprintf(np, sizeof(np), "%s.name", pp);
                return hmd_cfail(c, np, "duplicate product \"%s\" (first at products[%zu])",
                                 p->name, i);
            }
        }
    }
    return HM_OK;
}

const struct hmd_product *
hmd_config_product(const struct hmd_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_products; i++) {
        if (strcmp(cfg->products[i].name, name) == 0) {
            return &cfg->products[i];
        }
    }
    return NULL;
}

bool
hmd_product_has_channel(const struct hmd_product *p, const char *channel)
{
    for (size_t i = 0; i < p->n_channels; i++) {
        if (p->channels[i] != NULL && strcmp(p->channels[i], channel) == 0) {
            return true;
        }
    }
    return false;
}

hm_err
hmd_config_resolve_keys(struct hmd_config *cfg, struct hm_hsm *hsm, struct hmd_cfg_error *err)
{
    for (size_t i = 0; i < cfg->n_products; i++) {
        struct hmd_product *p = &cfg->products[i];
        /* tpm2: keys live in the TPM that hmd_tpm_open opened (config_tpm.c) */
        bool tpm = strncmp(p->key_uri, "tpm2:", 5) == 0;
        hm_err rc = tpm && hmd.tpm == NULL
                        ? HM_E_UNAVAILABLE
                        : hm_hsm_find_key(tpm ? hmd.tpm : hsm, p->key_uri, &p->key);
        if (rc != HM_OK) {
            char kp[64];
            snprintf(kp, sizeof(kp), "products[%zu].key", i);
            hmd_config_error_at(cfg, err, kp, "key \"%s\" is not usable on the %s: %s", p->key_ref,
                                tpm ? "TPM" : "token", hm_strerror(rc));
            return rc;
        }
    }
    return HM_OK;
}

/*
 * config_privsep.c: the "privsep" section (docs/privsep.md, docs/operations.md).
 *
 *   "privsep": { "enabled": true, "user": "hallmark", "helper": "/usr/sbin/hallmark-hsm-helper",
 *                "seccomp": "kill", "sign_timeout_ms": 5000 }
 *
 * Every key is optional; without the section the token lives in hallmark-hsm-helper with
 * its seccomp filter in "kill" mode.
 */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

static hm_err
ps_bool(struct hmd_cctx *c, const cJSON *o, const char *key, bool *inout)
{
    const cJSON *it = hm_json_get(o, key);
    char p[64];

    if (it == NULL) {
        return HM_OK;
    }
    hmd_path_join(p, sizeof(p), "privsep", key);
    if (!cJSON_IsBool(it)) {
        return hmd_cfail(c, p, "must be true or false");
    }
    *inout = cJSON_IsTrue(it);
    return HM_OK;
}

static hm_err
ps_seccomp(struct hmd_cctx *c, const cJSON *o, int *inout)
{
    static const char *const modes[] = { "off", "kill", "trap" };
    char *v = NULL;
    hm_err rc;

    if ((rc = hmd_cfg_string(c, o, "privsep", "seccomp", false, 8, &v)) != HM_OK || v == NULL) {
        return rc;
    }
    rc = HM_E_INVALID;
    for (int i = 0; i < 3; i++) {
        if (strcmp(v, modes[i]) == 0) {
            *inout = i;
            rc = HM_OK;
        }
    }
    if (rc != HM_OK) {
        rc = hmd_cfail(c, "privsep.seccomp", "must be \"kill\", \"trap\" or \"off\"");
    }
    free(v);
    return rc;
}

hm_err
hmd_cfg_privsep(struct hmd_cctx *c, const cJSON *root, struct hmd_config *cfg)
{
    static const char *const keys[] = { "enabled", "user", "helper", "seccomp", "sign_timeout_ms" };
    const cJSON *o = hm_json_get(root, "privsep");
    const cJSON *t = NULL;
    uint64_t ms = 0;

    cfg->privsep.enabled = true;
    cfg->privsep.seccomp = 1;
    cfg->privsep.sign_timeout_ms = 5000;
    if (o == NULL) {
        return HM_OK;
    }
    if (hmd_cfg_object(c, o, "privsep", keys, 5) != HM_OK ||
        ps_bool(c, o, "enabled", &cfg->privsep.enabled) != HM_OK ||
        hmd_cfg_string(c, o, "privsep", "user", false, 64, &cfg->privsep.user) != HM_OK ||
        hmd_cfg_string(c, o, "privsep", "helper", false, 4096, &cfg->privsep.helper) != HM_OK ||
        ps_seccomp(c, o, &cfg->privsep.seccomp) != HM_OK) {
        return HM_E_INVALID;
    }
    if (cfg->privsep.helper != NULL && cfg->privsep.helper[0] != '/') {
        return hmd_cfail(c, "privsep.helper", "must be an absolute path");
    }
    if ((t = hm_json_get(o, "sign_timeout_ms")) != NULL) {
        if (hm_json_number_u64(t, 600000, &ms) != HM_OK || ms < 100) {
            return hmd_cfail(c, "privsep.sign_timeout_ms", "must be an integer from 100 to 600000");
        }
        cfg->privsep.sign_timeout_ms = (unsigned)ms;
    }
    return HM_OK;
}

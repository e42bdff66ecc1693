/*
 * config_int.h: helpers shared by config.c and config_products.c.
 */
#ifndef HM_SIGNER_CONFIG_INT_H
#define HM_SIGNER_CONFIG_INT_H

#include <hm/json.h>

#include <cjson/cJSON.h>

#include "hmd.h"

struct hmd_cctx {
    const char *text;
    size_t len;
    struct hmd_cfg_error *err;
    bool failed;
};

/* Records the first error with the line of path (or of its nearest parent). */
hm_err hmd_cfail(struct hmd_cctx *c, const char *path, const char *fmt, ...) HM_PRINTF(3, 4);
void hmd_path_join(char *out, size_t out_len, const char *parent, const char *key);
HM_MUST_CHECK hm_err hmd_cfg_object(struct hmd_cctx *c, const cJSON *obj, const char *path,
                                    const char *const *allowed, size_t n);
HM_MUST_CHECK hm_err hmd_cfg_string(struct hmd_cctx *c, const cJSON *obj, const char *path,
                                    const char *key, bool required, size_t max_len, char **out);
HM_MUST_CHECK hm_err hmd_cfg_products(struct hmd_cctx *c, const cJSON *root,
                                      struct hmd_config *cfg);
/* The "tpm" section (config_tpm.c): sets cfg->tpm_uri, tpm_ek_chain, tpm_retry_ms. */
HM_MUST_CHECK hm_err hmd_cfg_tpm(struct hmd_cctx *c, const cJSON *root, struct hmd_config *cfg);
/* A product key "tpm2:handle=..|blob=..": sets p->key_uri (path names products[i].key). */
HM_MUST_CHECK hm_err hmd_cfg_tpm_key(struct hmd_cctx *c, const char *path,
                                     const struct hmd_config *cfg, struct hmd_product *p);
/* The "policy" key (config_policy.c): an absolute path, read by hmd_gen_load. */
HM_MUST_CHECK hm_err hmd_cfg_policy(struct hmd_cctx *c, const cJSON *root, struct hmd_config *cfg);
/* The "tlog" section (config_tlog.c): sets cfg->tlog (NULL without the section). */
HM_MUST_CHECK hm_err hmd_cfg_tlog(struct hmd_cctx *c, const cJSON *root, struct hmd_config *cfg);
/* The "privsep" section (config_privsep.c): sets cfg->privsep (defaults without it). */
HM_MUST_CHECK hm_err hmd_cfg_privsep(struct hmd_cctx *c, const cJSON *root, struct hmd_config *cfg);
/* [a-z0-9][a-z0-9._-]{0,63}: product and channel names. */
bool hmd_name_ok(const char *s);

#endif /* HM_SIGNER_CONFIG_INT_H */

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
/* [a-z0-9][a-z0-9._-]{0,63}: product and channel names. */
bool hmd_name_ok(const char *s);

#endif /* HM_SIGNER_CONFIG_INT_H */

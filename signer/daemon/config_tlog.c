/*
 * config_tlog.c: the "tlog" section of the daemon config (docs/tlog.md, "Config").
 *
 *   "tlog": { "origin": "log.acme.example/hallmark", "key": "log-ed25519",
 *             "max_batch_delay_ms": 2, "max_batch": 256 }
 *
 * The section is required; "tlog": false (written down, never by default) runs a daemon
 * without a log, with a warning at start.
 *
 * origin is the checkpoint's first line and the log key's note name: C2SP key-name rules
 * (no white space, no '+'), and fixed for the life of the log.  Without it, the default
 * is "<host name>/hallmark".  key is the log key on the same token as the signing keys
 * (a label or a pkcs11: URI), Ed25519 or ECDSA P-256.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_int.h"
#include "tlogd.h"

void
hmd_tlog_cfg_free(struct hmd_tlog_cfg *t)
{
    if (t == NULL) {
        return;
    }
    free(t->origin);
    free(t->key_ref);
    free(t->key_uri);
    free(t);
}

bool
hmd_tlog_cfg_same(const struct hmd_tlog_cfg *a, const struct hmd_tlog_cfg *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return strcmp(a->origin, b->origin) == 0 && strcmp(a->key_uri, b->key_uri) == 0 &&
           a->max_batch_delay_ms == b->max_batch_delay_ms && a->max_batch == b->max_batch;
}

static hm_err
tlog_uint(struct hmd_cctx *c, const cJSON *o, const char *key, unsigned lo, unsigned hi,
          unsigned *inout)
{
    const cJSON *it = hm_json_get(o, key);
    uint64_t v = 0;
    char p[64];

    if (it == NULL) {
        return HM_OK;
    }
    hmd_path_join(p, sizeof(p), "tlog", key);
    if (hm_json_number_u64(it, hi, &v) != HM_OK || v < lo) {
        return hmd_cfail(c, p, "must be an integer from %u to %u", lo, hi);
    }
    *inout = (unsigned)v;
    return HM_OK;
}

static hm_err
tlog_origin(struct hmd_cctx *c, struct hmd_tlog_cfg *t)
{
    char host[256] = "";

    if (t->origin == NULL) {
        if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
            return hmd_cfail(c, "tlog", "no origin given and the host name is unknown");
        }
        size_t sz = strlen(host) + sizeof("/hallmark");
        if ((t->origin = malloc(sz)) == NULL) {
            return HM_E_NOMEM;
        }
        snprintf(t->origin, sz, "%s/hallmark", host);
    }
    if (strlen(t->origin) > HMD_TLOG_ORIGIN_MAX ||
        !hm_tlog_name_valid(t->origin, strlen(t->origin))) {
        return hmd_cfail(c, "tlog.origin",
                         "must be 1..%d bytes of UTF-8 without white space or '+' (C2SP "
                         "signed-note key name)",
                         HMD_TLOG_ORIGIN_MAX);
    }
    return HM_OK;
}

static hm_err
tlog_key(struct hmd_cctx *c, struct hmd_tlog_cfg *t)
{
    size_t n = strlen(t->key_ref);

    if (strncmp(t->key_ref, "pkcs11:", 7) == 0) {
        if (strstr(t->key_ref, "pin-value") != NULL) {
            return hmd_cfail(c, "tlog.key", "pin-value is refused: the PIN comes from hsm.uri");
        }
        t->key_uri = strdup(t->key_ref);
        return t->key_uri == NULL ? HM_E_NOMEM : HM_OK;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = t->key_ref[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.')) {
            return hmd_cfail(c, "tlog.key",
                             "must be a pkcs11: URI or a key label of [A-Za-z0-9._-]");
        }
    }
    size_t sz = n + sizeof("pkcs11:object=");
    if (n == 0 || (t->key_uri = malloc(sz)) == NULL) {
        return n == 0 ? hmd_cfail(c, "tlog.key", "must not be empty") : HM_E_NOMEM;
    }
    snprintf(t->key_uri, sz, "pkcs11:object=%s", t->key_ref);
    return HM_OK;
}

hm_err
hmd_cfg_tlog(struct hmd_cctx *c, const cJSON *root, struct hmd_config *cfg)
{
    static const char *const keys[] = { "origin", "key", "max_batch_delay_ms", "max_batch" };
    const cJSON *o = hm_json_get(root, "tlog");
    struct hmd_tlog_cfg *t = NULL;
    hm_err rc = HM_E_INVALID;

    /* Every signature is logged unless the operator writes down that this daemon logs
     * nothing ("tlog": false: test daemons, migrations); forgetting the section is an
     * error, not a silent daemon without a log. */
    if (o == NULL) {
        return hmd_cfail(c, "tlog",
                         "is missing: hallmarkd records every signature in its transparency "
                         "log; name the log key (\"tlog\": {\"key\": \"log-ed25519\"}), or "
                         "write \"tlog\": false for a daemon that logs nothing");
    }
    if (cJSON_IsFalse(o)) {
        return HM_OK; /* no log: hallmarkd warns at start */
    }
    if ((t = calloc(1, sizeof(*t))) == NULL) {
        return HM_E_NOMEM;
    }
    t->max_batch_delay_ms = HMD_TLOG_DEFAULT_DELAY_MS;
    t->max_batch = HMD_TLOG_DEFAULT_BATCH;
    if (hmd_cfg_object(c, o, "tlog", keys, 4) != HM_OK ||
        hmd_cfg_string(c, o, "tlog", "origin", false, 1024, &t->origin) != HM_OK ||
        hmd_cfg_string(c, o, "tlog", "key", true, 4096, &t->key_ref) != HM_OK ||
        tlog_origin(c, t) != HM_OK || tlog_key(c, t) != HM_OK ||
        tlog_uint(c, o, "max_batch_delay_ms", 0, 1000, &t->max_batch_delay_ms) != HM_OK ||
        tlog_uint(c, o, "max_batch", 1, HMD_TLOG_MAX_BATCH, &t->max_batch) != HM_OK) {
        goto out;
    }
    cfg->tlog = t;
    t = NULL; /* the config owns it now */
    rc = HM_OK;
out:
    hmd_tlog_cfg_free(t);
    return rc;
}

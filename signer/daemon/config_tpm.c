/*
 * config_tpm.c: the "tpm" section of hallmarkd's config, and the TPM 2.0 backend that the
 * daemon opens next to its PKCS#11 token (docs/hsm.md, "hallmarkd with a TPM").
 *
 *   "tpm": {"tcti": "swtpm:host=127.0.0.1,port=2321",       device:/dev/tpmrm0 if absent
 *           "auth_source": "file:/etc/hallmark/tpm-key.auth", the keys' authValue
 *           "owner_auth_source": "env:TPM_OWNER_AUTH",        optional
 *           "endorsement_auth_source": "file:...",            optional
 *           "ek_chain": "/etc/hallmark/ek-issuers.pem",       for /v1/keys attestations
 *           "retry_budget_ms": 1000}                          reconnect budget per call
 *
 * A product's key is then "tpm2:handle=0x81000010" or "tpm2:blob=/abs/key.tpm2": the key
 * names only the object; how to reach the TPM, and with which auth, is said once here.
 * The section becomes one tpm2: URI (hsm/tpm2_uri.c parses it strictly once more at open).
 */
#include <hm/hsm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define TPM_RETRY_DEFAULT_MS 1000u

/* Appends s, percent-encoding every byte the tpm2: URI parser does not take raw. */
static void
put_encoded(struct hm_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        bool raw = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || strchr("-._~:,=/@+", ch) != NULL;
        if (raw) {
            hm_buf_append(b, &ch, 1);
        } else {
            char esc[3] = { '%', hex[ch >> 4], hex[ch & 15] };
            hm_buf_append(b, esc, 3);
        }
    }
}

/* "file:PATH" (absolute) or "env:NAME": an auth value never sits in the config. */
static hm_err
check_source(struct hmd_cctx *c, const char *key, const char *v)
{
    char p[64];

    snprintf(p, sizeof(p), "tpm.%s", key);
    if (v == NULL) {
        return HM_OK;
    }
    if ((strncmp(v, "file:/", 6) == 0 && v[6] != '\0') || (strncmp(v, "env:", 4) == 0 && v[4])) {
        return HM_OK;
    }
    return hmd_cfail(c, p,
                     "must be file:/ABSOLUTE/PATH or env:NAME (the auth value itself "
                     "never goes in the config)");
}

static hm_err
check_tcti(struct hmd_cctx *c, const char *tcti)
{
    static const char *const names[] = { "device", "swtpm", "tabrmd", "mssim" };

    if (tcti == NULL) {
        return HM_OK;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t n = strlen(names[i]);
        if (strncmp(tcti, names[i], n) == 0 && (tcti[n] == '\0' || tcti[n] == ':')) {
            return HM_OK;
        }
    }
    return hmd_cfail(c, "tpm.tcti",
                     "must start with device, swtpm, tabrmd or mssim (e.g. "
                     "\"device:/dev/tpmrm0\", \"swtpm:host=127.0.0.1,port=2321\")");
}

static hm_err
build_uri(const char *tcti, const char *const src[3], struct hmd_config *cfg)
{
    static const char *const names[3] = { "auth-source", "owner-auth-source",
                                          "endorsement-auth-source" };
    struct hm_buf b;
    size_t n = 0;
    char sep = '?';

    hm_buf_init(&b, 0);
    hm_buf_puts(&b, "tpm2:");
    if (tcti != NULL) {
        hm_buf_puts(&b, "?tcti=");
        put_encoded(&b, tcti);
        sep = '&';
    }
    for (size_t i = 0; i < 3; i++) {
        if (src[i] != NULL) {
            hm_buf_append(&b, &sep, 1);
            hm_buf_puts(&b, names[i]);
            hm_buf_puts(&b, "=");
            put_encoded(&b, src[i]);
            sep = '&';
        }
    }
    if (hm_buf_status(&b) != HM_OK) {
        hm_buf_free(&b);
        return HM_E_NOMEM;
    }
    cfg->tpm_uri = (char *)hm_buf_steal(&b, &n);
    return HM_OK;
}

hm_err
hmd_cfg_tpm(struct hmd_cctx *c, const cJSON *root, struct hmd_config *cfg)
{
    static const char *const keys[] = {
        "tcti",     "auth_source",    "owner_auth_source", "endorsement_auth_source",
        "ek_chain", "retry_budget_ms"
    };
    const cJSON *o = hm_json_get(root, "tpm");
    const cJSON *rb = NULL;
    char *tcti = NULL, *src[3] = { NULL, NULL, NULL };
    uint64_t retry = TPM_RETRY_DEFAULT_MS;
    hm_err rc = HM_E_INVALID;

    cfg->tpm_retry_ms = TPM_RETRY_DEFAULT_MS;
    if (o == NULL) {
        return HM_OK;
    }
    if (hmd_cfg_object(c, o, "tpm", keys, 6) != HM_OK ||
        hmd_cfg_string(c, o, "tpm", "tcti", false, 512, &tcti) != HM_OK ||
        hmd_cfg_string(c, o, "tpm", "auth_source", false, 1024, &src[0]) != HM_OK ||
        hmd_cfg_string(c, o, "tpm", "owner_auth_source", false, 1024, &src[1]) != HM_OK ||
        hmd_cfg_string(c, o, "tpm", "endorsement_auth_source", false, 1024, &src[2]) != HM_OK ||
        hmd_cfg_string(c, o, "tpm", "ek_chain", false, 4096, &cfg->tpm_ek_chain) != HM_OK ||
        check_tcti(c, tcti) != HM_OK || check_source(c, "auth_source", src[0]) != HM_OK ||
        check_source(c, "owner_auth_source", src[1]) != HM_OK ||
        check_source(c, "endorsement_auth_source", src[2]) != HM_OK) {
        goto out;
    }
    if ((rb = hm_json_get(o, "retry_budget_ms")) != NULL &&
        (hm_json_number_u64(rb, 60000, &retry) != HM_OK || retry < 100)) {
        hmd_cfail(c, "tpm.retry_budget_ms", "must be an integer from 100 to 60000");
        goto out;
    }
    if (cfg->tpm_ek_chain != NULL && cfg->tpm_ek_chain[0] != '/') {
        hmd_cfail(c, "tpm.ek_chain", "must be an absolute path");
        goto out;
    }
    cfg->tpm_retry_ms = (unsigned)retry;
    rc = build_uri(tcti, (const char *const *)src, cfg);
out:
    free(tcti);
    for (size_t i = 0; i < 3; i++) {
        free(src[i]);
    }
    return rc;
}

/* "tpm2:handle=0x81000010" or "tpm2:blob=/abs/path": the object only. */
hm_err
hmd_cfg_tpm_key(struct hmd_cctx *c, const char *path, const struct hmd_config *cfg,
                struct hmd_product *p)
{
    const char *k = p->key_ref;

    if (cfg->tpm_uri == NULL) {
        return hmd_cfail(c, path, "a tpm2: key needs the \"tpm\" section (tcti, auth_source)");
    }
    if (strchr(k, '?') != NULL ||
        (strncmp(k, "tpm2:handle=", 12) != 0 && strncmp(k, "tpm2:blob=/", 11) != 0)) {
        return hmd_cfail(c, path,
                         "must be tpm2:handle=0x81...... or tpm2:blob=/ABSOLUTE/PATH; the "
                         "TPM's connection and auth come from the \"tpm\" section");
    }
    p->key_uri = strdup(k);
    return p->key_uri == NULL ? HM_E_NOMEM : HM_OK;
}

/* ---- the backend ---- */

hm_err
hmd_tpm_open(const struct hmd_config *cfg, char *why, size_t why_len)
{
    struct hm_hsm_opts opts = { .sessions = 1, .retry_budget_ms = cfg->tpm_retry_ms };
    hm_err rc;

    if (cfg->tpm_uri == NULL || hmd.tpm != NULL) {
        return HM_OK;
    }
    if ((rc = hm_hsm_open(cfg->tpm_uri, &opts, &hmd.tpm)) != HM_OK) {
        snprintf(why, why_len, "%s: tpm: cannot open the TPM: %s", cfg->path, hm_strerror(rc));
    }
    return rc;
}

void
hmd_tpm_close(void)
{
    hm_hsm_close(hmd.tpm);
    hmd.tpm = NULL;
}

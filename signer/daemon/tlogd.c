/*
 * tlogd.c: starting hallmarkd's transparency log (docs/tlog.md).
 *
 * The log key lives on the same token as the signing keys.  At start: find it, derive the
 * C2SP note key id and the Sigstore log id from it and the origin, hand the store a
 * signer (checkpoints are signed by the committer thread, once per batch) and the
 * verifier it checks the stored tree against, then log a key event for every configured
 * signing key that has none yet.  The log's settings are read once: changing "tlog" needs
 * a restart.
 */
#include "tlogd.h"

#include <hm/hsm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../store.h"

#define ED25519_SPKI_LEN 44 /* 12-byte prefix, then the 32-byte key */

struct hmd_tlog hmd_tlog;

/* The checkpoint signature (hm_tlog_signer): Ed25519 over the note text, or ECDSA P-256
 * over its SHA-256 in DER, which is what hm_key_sign does for each algorithm. */
static hm_err
log_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap, size_t *sig_len)
{
    uint8_t *s = NULL;
    size_t n = 0;
    hm_err rc = hm_key_sign(ctx, msg, len, HM_SIG_DER, &s, &n);

    *sig_len = 0;
    if (rc != HM_OK) {
        hmd_metrics_hsm_error();
        return rc;
    }
    if (n > cap) {
        free(s);
        return HM_E_LIMIT;
    }
    memcpy(sig, s, n);
    *sig_len = n;
    free(s);
    return HM_OK;
}

hm_err
hmd_spki_pem(const uint8_t *der, size_t len, char **out)
{
    struct hm_buf b;
    char *b64 = NULL;
    size_t n = 0;
    hm_err rc;

    *out = NULL;
    if ((rc = hm_b64_encode(der, len, &b64)) != HM_OK) {
        return rc;
    }
    n = strlen(b64);
    hm_buf_init(&b, 0);
    hm_buf_puts(&b, "-----BEGIN PUBLIC KEY-----\n");
    for (size_t i = 0; i < n; i += 64) {
        hm_buf_append(&b, b64 + i, n - i < 64 ? n - i : 64);
        hm_buf_puts(&b, "\n");
    }
    hm_buf_puts(&b, "-----END PUBLIC KEY-----\n");
    hm_buf_append(&b, "", 1);
    free(b64);
    if ((rc = hm_buf_status(&b)) == HM_OK) {
        *out = (char *)hm_buf_steal(&b, &n);
    }
    hm_buf_free(&b);
    return rc;
}

/* The log id (docs/formats.md 7.1) and the note key of the log key. */
static hm_err
key_material(const char *origin, struct hm_key *key, char *why, size_t why_len)
{
    const uint8_t *der = NULL, *k;
    size_t len = 0, klen;
    struct hm_buf b;
    hm_err rc;

    hm_key_spki(key, &der, &len);
    if (hm_key_alg(key) == HM_KEY_ED25519 && len == ED25519_SPKI_LEN) {
        hmd_tlog.type = HM_TLOG_SIG_ED25519;
        k = der + ED25519_SPKI_LEN - 32;
        klen = 32;
        hm_buf_init(&b, 0);
        hm_buf_puts(&b, origin);
        hm_buf_append(&b, "\n\x01", 2);
        hm_buf_append(&b, k, 32);
        if ((rc = hm_buf_status(&b)) != HM_OK) {
            hm_buf_free(&b);
            return rc;
        }
        hm_sha256(b.data, b.len, hmd_tlog.log_id);
        hm_buf_free(&b);
    } else if (hm_key_alg(key) == HM_KEY_EC_P256) {
        hmd_tlog.type = HM_TLOG_SIG_ECDSA;
        k = der;
        klen = len;
        hm_sha256(der, len, hmd_tlog.log_id);
    } else {
        snprintf(why, why_len, "tlog.key: the log key must be Ed25519 or ECDSA P-256, not %s",
                 hm_key_alg_name(hm_key_alg(key)));
        return HM_E_INVALID;
    }
    if ((rc = hm_tlog_key_id(hmd_tlog.type, origin, k, klen, &hmd_tlog.signer.key_id)) != HM_OK ||
        (rc = hm_tlog_verifier_new(hmd_tlog.type, origin, k, klen, &hmd_tlog.verifier)) != HM_OK ||
        (rc = hm_tlog_verifier_format(hmd_tlog.verifier, &hmd_tlog.vkey)) != HM_OK ||
        (rc = hmd_spki_pem(der, len, &hmd_tlog.pem)) != HM_OK) {
        snprintf(why, why_len, "tlog.key: cannot use the log key: %s", hm_strerror(rc));
        return rc;
    }
    return HM_OK;
}

hm_err
hmd_tlog_start(const struct hmd_config *cfg, char *why, size_t why_len)
{
    const struct hmd_tlog_cfg *t = cfg->tlog;
    struct hm_store_log_config lc = { 0 };
    hm_err rc;

    if (t == NULL) {
        hm_warn("\"tlog\": false in %s: signatures are NOT recorded in a transparency log "
                "(docs/tlog.md)",
                cfg->path);
        return HM_OK;
    }
    if ((rc = hm_hsm_find_key(hmd.hsm, t->key_uri, &hmd_tlog.key)) != HM_OK) {
        snprintf(why, why_len, "%s: tlog.key: log key \"%s\" is not usable on the token: %s",
                 cfg->path, t->key_ref, hm_strerror(rc));
        return rc;
    }
    if ((hmd_tlog.origin = strdup(t->origin)) == NULL) {
        return HM_E_NOMEM;
    }
    if ((rc = key_material(t->origin, hmd_tlog.key, why, why_len)) != HM_OK) {
        return rc;
    }
    hmd_tlog.signer.name = hmd_tlog.origin;
    hmd_tlog.signer.sign = log_sign;
    hmd_tlog.signer.ctx = hmd_tlog.key;
    lc.origin = t->origin;
    lc.signer = &hmd_tlog.signer;
    lc.verifier = hmd_tlog.verifier;
    lc.max_batch = t->max_batch;
    lc.max_delay_ms = t->max_batch_delay_ms;
    if ((rc = hm_store_log_start(hmd.store, &lc)) != HM_OK) {
        snprintf(why, why_len,
                 "%s: tlog: cannot start the log \"%s\": %s (see the log lines above)", cfg->path,
                 t->origin, hm_strerror(rc));
        return rc;
    }
    hmd_tlog.on = true;
    hm_info("log: origin \"%s\", log key %s (%s), verifier key %s", t->origin,
            hm_key_label(hmd_tlog.key), hm_key_alg_name(hm_key_alg(hmd_tlog.key)), hmd_tlog.vkey);
    if ((rc = hmd_tlog_key_events(cfg)) != HM_OK) {
        snprintf(why, why_len, "%s: tlog: cannot log the key events: %s", cfg->path,
                 hm_strerror(rc));
    }
    return rc;
}

hm_err
hmd_tlog_check(const struct hmd_config *cfg, struct hm_hsm *hsm, char *why, size_t why_len)
{
    struct hm_key *key = NULL;
    hm_err rc;

    if (cfg->tlog == NULL) {
        return HM_OK;
    }
    if ((rc = hm_hsm_find_key(hsm, cfg->tlog->key_uri, &key)) != HM_OK) {
        snprintf(why, why_len, "%s: tlog.key: log key \"%s\" is not usable on the token: %s",
                 cfg->path, cfg->tlog->key_ref, hm_strerror(rc));
        return rc;
    }
    if (hm_key_alg(key) != HM_KEY_ED25519 && hm_key_alg(key) != HM_KEY_EC_P256) {
        snprintf(why, why_len, "%s: tlog.key: the log key must be Ed25519 or ECDSA P-256, not %s",
                 cfg->path, hm_key_alg_name(hm_key_alg(key)));
        return HM_E_INVALID;
    }
    return HM_OK;
}

void
hmd_tlog_stop(void)
{
    hm_tlog_verifier_free(hmd_tlog.verifier);
    free(hmd_tlog.origin);
    free(hmd_tlog.vkey);
    free(hmd_tlog.pem);
    memset(&hmd_tlog, 0, sizeof(hmd_tlog));
}

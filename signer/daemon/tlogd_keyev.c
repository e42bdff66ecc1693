/*
 * tlogd_keyev.c: key events (docs/formats.md "Key-event statement").
 *
 * At start, every configured signing key that has no key-event entry in the log gets one:
 * a DSSE in-toto statement whose subject is the key's SPKI (SHA-256), signed by that key,
 * so the first entry of every key is a proof of possession that a monitor can check
 * before it sees any release signed by the key.  A new key in the config (a rotation)
 * appears in the log at the restart that brings it in.
 */
#include <hm/attest.h>
#include <hm/hsm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../store.h"
#include "tlogd.h"

#define KEY_EVENT_PREDICATE "https://hallmark.dev/attestation/key-event/v1"
#define KEYS_KNOWN_MAX      256

/* Keys known to have their key event in the log (hm_key pointers live as long as the
 * hsm): a key outside the config's products (a steward's key) gets its event the first
 * time it signs. */
static pthread_mutex_t known_mu = PTHREAD_MUTEX_INITIALIZER;
static const struct hm_key *known[KEYS_KNOWN_MAX];
static size_t n_known;

static bool
is_known(const struct hm_key *key)
{
    bool found = false;

    (void)pthread_mutex_lock(&known_mu);
    for (size_t i = 0; i < n_known && !found; i++) {
        found = known[i] == key;
    }
    (void)pthread_mutex_unlock(&known_mu);
    return found;
}

static void
set_known(const struct hm_key *key)
{
    (void)pthread_mutex_lock(&known_mu);
    if (n_known < KEYS_KNOWN_MAX) {
        known[n_known++] = key;
    }
    (void)pthread_mutex_unlock(&known_mu);
}

static hm_err
sign_cb(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len)
{
    return hm_key_sign(ctx, msg, len, HM_SIG_DER, sig, sig_len);
}

/* The statement: subject = the key (name: its key id; digest: SHA-256 of the SPKI DER). */
static hm_err
key_statement(const struct hmd_config *cfg, struct hm_key *key, int64_t now, char **out,
              size_t *len)
{
    const uint8_t *der = NULL;
    size_t der_len = 0, n = 0;
    uint8_t digest[HM_SHA256_LEN];
    char hex[2 * HM_SHA256_LEN + 1], when[32];
    struct hm_buf b;
    bool comma = false;
    hm_err rc;

    hm_key_spki(key, &der, &der_len);
    hm_sha256(der, der_len, digest);
    hm_hex_encode(digest, HM_SHA256_LEN, hex);
    hm_time_rfc3339(now, when);
    hm_buf_init(&b, 0);
    hm_buf_puts(&b, "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":");
    hmd_json_quote(&b, hm_key_id(key));
    hm_buf_printf(&b,
                  ",\"digest\":{\"sha256\":\"%s\"}}],\"predicateType\":\"" KEY_EVENT_PREDICATE
                  "\",\"predicate\":{\"event\":\"in-service\",\"keyid\":",
                  hex);
    hmd_json_quote(&b, hm_key_id(key));
    hm_buf_printf(&b, ",\"algorithm\":\"%s\",\"label\":", hm_key_alg_name(hm_key_alg(key)));
    hmd_json_quote(&b, hm_key_label(key));
    hm_buf_puts(&b, ",\"products\":[");
    for (size_t i = 0; i < cfg->n_products; i++) {
        if (cfg->products[i].key == key) {
            hm_buf_puts(&b, comma ? "," : "");
            hmd_json_quote(&b, cfg->products[i].name);
            comma = true;
        }
    }
    hm_buf_printf(&b, "],\"time\":\"%s\"}}", when);
    if ((rc = hm_buf_status(&b)) == HM_OK) {
        *out = (char *)hm_buf_steal(&b, &n);
        *len = n;
    }
    hm_buf_free(&b);
    return rc;
}

static hm_err
log_key_event(const struct hmd_config *cfg, struct hm_key *key, int64_t now)
{
    struct hmd_record_item item = { .predicate_type = "key-event", .key = key };
    char *stmt = NULL;
    size_t len = 0;
    hm_err rc;

    if ((rc = key_statement(cfg, key, now, &stmt, &len)) != HM_OK ||
        (rc = hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, (const uint8_t *)stmt, len, hm_key_id(key),
                             sign_cb, key, &item.bundle, &item.bundle_len)) != HM_OK) {
        hm_error("log: cannot sign the key event of key %s (%s)", hm_key_id(key), hm_strerror(rc));
        goto out;
    }
    if ((rc = hmd_record(NULL, NULL, NULL, &item, 1)) == HM_OK) {
        set_known(key);
        hm_info("log: key event of key %s (%s) at index %llu", hm_key_id(key), hm_key_label(key),
                (unsigned long long)item.log_index);
    }
out:
    free(stmt);
    free(item.bundle);
    return rc;
}

hm_err
hmd_tlog_key_events(const struct hmd_config *cfg)
{
    int64_t now = (int64_t)time(NULL);
    hm_err rc = HM_OK;

    for (size_t i = 0; i < cfg->n_products && rc == HM_OK; i++) {
        struct hm_key *key = cfg->products[i].key;
        uint64_t index = 0;
        bool seen = false;

        for (size_t j = 0; j < i; j++) {
            seen = seen || cfg->products[j].key == key;
        }
        if (seen || key == NULL) {
            continue;
        }
        rc = hm_store_log_key_event(hmd.store, hm_key_id(key), &index);
        if (rc == HM_E_NOTFOUND) {
            rc = log_key_event(cfg, key, now);
        } else if (rc == HM_OK) {
            set_known(key);
        }
    }
    return rc;
}

hm_err
hmd_tlog_key_event_for(struct hm_key *key)
{
    static const struct hmd_config none = { .path = "" };
    uint64_t index = 0;
    hm_err rc;

    if (key == NULL || is_known(key)) {
        return HM_OK;
    }
    rc = hm_store_log_key_event(hmd.store, hm_key_id(key), &index);
    if (rc == HM_E_NOTFOUND) {
        return log_key_event(&none, key, (int64_t)time(NULL));
    }
    if (rc == HM_OK) {
        set_known(key);
    }
    return rc;
}

/*
 * trustroot.c: the signed trust root and its rotation (docs/trust-root.md).
 *
 * The root document is the payload of a DSSE envelope (payloadType
 * HM_TRUSTROOT_MEDIA_TYPE) with one signature per root key.  Thresholds count each trusted
 * key once, however many signatures name it (TUF "each KEYID counts at most once"), and
 * only signatures that verify over the exact PAE bytes.  Rotation follows TUF 5.3: root N+1
 * is accepted when rootThreshold of root N's rootKeys and its own rootThreshold of its own
 * rootKeys signed it, and its version is exactly N+1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

const char *
hm_trustroot_status_name(enum hm_trustroot_status st)
{
    switch (st) {
    case HM_TR_OK:
        return "ok";
    case HM_TR_MALFORMED:
        return "malformed";
    case HM_TR_LIMITS_EXCEEDED:
        return "limits-exceeded";
    case HM_TR_OLD_THRESHOLD:
        return "old-threshold";
    case HM_TR_NEW_THRESHOLD:
        return "new-threshold";
    case HM_TR_WRONG_VERSION:
        return "wrong-version";
    case HM_TR_EXPIRED:
        return "expired";
    }
    return "unknown-status";
}

void
hm_trustroot_free(struct hm_trustroot *tr)
{
    if (tr == NULL) {
        return;
    }
    for (size_t i = 0; i < tr->n_keys; i++) {
        hm_pubkey_free(tr->keys[i].pk);
        for (size_t j = 0; j < tr->keys[i].n_products; j++) {
            free(tr->keys[i].products[j]);
        }
        free(tr->keys[i].products);
    }
    for (size_t i = 0; i < tr->n_logs; i++) {
        free(tr->logs[i].origin);
        hm_tlog_verifier_free(tr->logs[i].v);
    }
    for (size_t i = 0; i < tr->n_witnesses; i++) {
        free(tr->witnesses[i].name);
        hm_tlog_verifier_free(tr->witnesses[i].v);
    }
    for (size_t i = 0; i < tr->n_root_keys; i++) {
        hm_pubkey_free(tr->root_keys[i].pk);
    }
    free(tr->keys);
    free(tr->logs);
    free(tr->witnesses);
    free(tr->root_keys);
    free(tr->payload);
    free(tr);
}

static hm_err HM_PRINTF(4, 5) refuse(struct hm_trustroot_reason *why, enum hm_trustroot_status st,
                                     hm_err err, const char *fmt, ...)
{
    va_list ap;

    if (why != NULL) {
        why->status = st;
        va_start(ap, fmt);
        (void)vsnprintf(why->detail, sizeof(why->detail), fmt, ap);
        va_end(ap);
    }
    return err;
}

/* How many of keys[] have a signature in env that verifies over its PAE.  A signature
 * without a keyid, or naming a key not in keys[], is not counted. */
static hm_err
count_signers(const struct hm_dsse *env, const struct hm_v_tr_rootkey *keys, size_t n_keys,
              size_t *count)
{
    uint8_t *pae = NULL;
    size_t pae_len = 0;
    hm_err err;

    *count = 0;
    if ((err = hm_dsse_pae(env->payload_type, strlen(env->payload_type), env->payload,
                           env->payload_len, &pae, &pae_len)) != HM_OK) {
        return err;
    }
    for (size_t k = 0; k < n_keys && err == HM_OK; k++) {
        for (size_t s = 0; s < env->n_sigs; s++) {
            const struct hm_dsse_signature *sig = &env->sigs[s];

            if (sig->keyid == NULL || strcmp(sig->keyid, keys[k].keyid) != 0) {
                continue;
            }
            err = hm_pubkey_verify(keys[k].pk, pae, pae_len, sig->sig, sig->sig_len);
            if (err == HM_OK) {
                (*count)++;
                break; /* this key counts once */
            }
            if (err != HM_E_VERIFY) {
                break; /* out of memory: give up */
            }
            err = HM_OK; /* a bad signature is simply not counted */
        }
    }
    free(pae);
    return err;
}

/* The envelope and its payload, read and checked for shape; no signature looked at. */
static hm_err
open_envelope(const uint8_t *buf, size_t len, struct hm_dsse **env_out, struct hm_trustroot **out,
              struct hm_trustroot_reason *why)
{
    struct hm_dsse *env = NULL;
    char text[200];
    hm_err err;

    *env_out = NULL;
    *out = NULL;
    if (buf == NULL || len == 0) {
        return refuse(why, HM_TR_MALFORMED, HM_E_INVALID, "trust root: empty");
    }
    if (len > HM_TRUSTROOT_MAX_BYTES) {
        return refuse(why, HM_TR_LIMITS_EXCEEDED, HM_E_LIMIT,
                      "trust root: %zu bytes, more than the limit of %u", len,
                      HM_TRUSTROOT_MAX_BYTES);
    }
    if ((err = hm_dsse_parse_why(buf, len, &env, text, sizeof(text))) != HM_OK) {
        return err == HM_E_NOMEM
                   ? err
                   : refuse(why, err == HM_E_LIMIT ? HM_TR_LIMITS_EXCEEDED : HM_TR_MALFORMED,
                            err == HM_E_LIMIT ? err : HM_E_INVALID, "trust root envelope: %s",
                            text);
    }
    if (strcmp(env->payload_type, HM_TRUSTROOT_MEDIA_TYPE) != 0) {
        hm_dsse_free(env);
        return refuse(why, HM_TR_MALFORMED, HM_E_INVALID, "payloadType: not %s",
                      HM_TRUSTROOT_MEDIA_TYPE);
    }
    if ((err = hm_v_trustroot_from_json(env->payload, env->payload_len, out, text, sizeof(text))) !=
        HM_OK) {
        hm_dsse_free(env);
        return err == HM_E_NOMEM
                   ? err
                   : refuse(why, err == HM_E_LIMIT ? HM_TR_LIMITS_EXCEEDED : HM_TR_MALFORMED,
                            err == HM_E_LIMIT ? err : HM_E_INVALID, "%s", text);
    }
    *env_out = env;
    return HM_OK;
}

/* Keeps the verified document bytes in the root (the caller may store or print them). */
static void
keep_payload(struct hm_trustroot *tr, struct hm_dsse *env)
{
    tr->payload = env->payload;
    tr->payload_len = env->payload_len;
    env->payload = NULL; /* the root owns it now */
    env->payload_len = 0;
}

static hm_err
check_own_threshold(const struct hm_trustroot *tr, const struct hm_dsse *env,
                    struct hm_trustroot_reason *why)
{
    size_t n = 0;
    hm_err err;

    if ((err = count_signers(env, tr->root_keys, tr->n_root_keys, &n)) != HM_OK) {
        return err;
    }
    if (n < tr->root_threshold) {
        return refuse(why, HM_TR_NEW_THRESHOLD, HM_E_VERIFY,
                      "version %llu is signed by %zu of its own root keys, rootThreshold is %zu",
                      (unsigned long long)tr->version, n, tr->root_threshold);
    }
    return HM_OK;
}

hm_err
hm_trustroot_parse(const uint8_t *buf, size_t len, struct hm_trustroot **out,
                   struct hm_trustroot_reason *why)
{
    struct hm_dsse *env = NULL;
    struct hm_trustroot *tr = NULL;
    hm_err err;

    if (why != NULL) {
        memset(why, 0, sizeof(*why));
    }
    *out = NULL;
    if ((err = open_envelope(buf, len, &env, &tr, why)) != HM_OK ||
        (err = check_own_threshold(tr, env, why)) != HM_OK) {
        goto out;
    }
    keep_payload(tr, env);
    *out = tr;
    tr = NULL; /* the caller owns it now */
out:
    hm_trustroot_free(tr);
    hm_dsse_free(env);
    return err;
}

/* TUF 5.3.5 (version), 5.3.4 (old and new thresholds), 5.3.10 (expiry, when now is known).
 * The version is looked at first: a stale or replayed root costs no signature check. */
static hm_err
check_rotation(const struct hm_trustroot *cur, const struct hm_trustroot *next,
               const struct hm_dsse *env, int64_t now, struct hm_trustroot_reason *why)
{
    size_t n = 0;
    char when[32];
    hm_err err;

    if (next->version != cur->version + 1) {
        return refuse(why, HM_TR_WRONG_VERSION, HM_E_VERIFY,
                      "version %llu does not follow version %llu: only %llu is accepted",
                      (unsigned long long)next->version, (unsigned long long)cur->version,
                      (unsigned long long)cur->version + 1);
    }
    if ((err = count_signers(env, cur->root_keys, cur->n_root_keys, &n)) != HM_OK) {
        return err;
    }
    if (n < cur->root_threshold) {
        return refuse(why, HM_TR_OLD_THRESHOLD, HM_E_VERIFY,
                      "version %llu is signed by %zu of version %llu's root keys, its "
                      "rootThreshold is %zu",
                      (unsigned long long)next->version, n, (unsigned long long)cur->version,
                      cur->root_threshold);
    }
    if ((err = check_own_threshold(next, env, why)) != HM_OK) {
        return err;
    }
    if (now != 0 && next->expires <= now) {
        hm_time_rfc3339(next->expires, when);
        return refuse(why, HM_TR_EXPIRED, HM_E_VERIFY, "version %llu expired at %s",
                      (unsigned long long)next->version, when);
    }
    return HM_OK;
}

hm_err
hm_trustroot_update(const struct hm_trustroot *current, const uint8_t *buf, size_t len, int64_t now,
                    struct hm_trustroot **next, struct hm_trustroot_reason *why)
{
    struct hm_dsse *env = NULL;
    struct hm_trustroot *tr = NULL;
    hm_err err;

    if (why != NULL) {
        memset(why, 0, sizeof(*why));
    }
    *next = NULL;
    if (current == NULL) {
        return refuse(why, HM_TR_MALFORMED, HM_E_INVALID, "no current trust root");
    }
    if ((err = open_envelope(buf, len, &env, &tr, why)) != HM_OK ||
        (err = check_rotation(current, tr, env, now, why)) != HM_OK) {
        goto out;
    }
    keep_payload(tr, env);
    *next = tr;
    tr = NULL; /* the caller owns it now */
out:
    hm_trustroot_free(tr);
    hm_dsse_free(env);
    return err;
}

const struct hm_v_tr_key *
hm_v_trustroot_find_key(const struct hm_trustroot *tr, const char *keyid)
{
    for (size_t i = 0; i < tr->n_keys; i++) {
        if (strcmp(tr->keys[i].keyid, keyid) == 0) {
            return &tr->keys[i];
        }
    }
    return NULL;
}

uint64_t
hm_trustroot_version(const struct hm_trustroot *tr)
{
    return tr->version;
}

int64_t
hm_trustroot_expires(const struct hm_trustroot *tr)
{
    return tr->expires;
}

size_t
hm_trustroot_key_count(const struct hm_trustroot *tr)
{
    return tr->n_keys;
}

void
hm_trustroot_key(const struct hm_trustroot *tr, size_t i, struct hm_trustroot_key_info *out)
{
    const struct hm_v_tr_key *k = &tr->keys[i];

    out->keyid = k->keyid;
    out->alg = hm_pubkey_alg(k->pk);
    out->key = k->pk;
    out->valid_from = k->valid_from;
    out->valid_until = k->valid_until;
    out->products = (const char *const *)k->products;
    out->n_products = k->n_products;
    out->require_attestation = k->require_attestation;
}

size_t
hm_trustroot_log_count(const struct hm_trustroot *tr)
{
    return tr->n_logs;
}

void
hm_trustroot_log(const struct hm_trustroot *tr, size_t i, struct hm_trustroot_log_info *out)
{
    out->origin = tr->logs[i].origin;
    memcpy(out->log_id, tr->logs[i].log_id, sizeof(out->log_id));
    out->alg = tr->logs[i].alg;
}

size_t
hm_trustroot_witness_count(const struct hm_trustroot *tr)
{
    return tr->n_witnesses;
}

const char *
hm_trustroot_witness_name(const struct hm_trustroot *tr, size_t i)
{
    return tr->witnesses[i].name;
}

size_t
hm_trustroot_witness_threshold(const struct hm_trustroot *tr)
{
    return tr->witness_threshold;
}

size_t
hm_trustroot_root_key_count(const struct hm_trustroot *tr)
{
    return tr->n_root_keys;
}

const char *
hm_trustroot_root_keyid(const struct hm_trustroot *tr, size_t i)
{
    return tr->root_keys[i].keyid;
}

size_t
hm_trustroot_root_threshold(const struct hm_trustroot *tr)
{
    return tr->root_threshold;
}

const uint8_t *
hm_trustroot_payload(const struct hm_trustroot *tr, size_t *len)
{
    *len = tr->payload_len;
    return tr->payload;
}

/*
 * steward.c: POST /v1/steward/attestations, on a worker thread (issue 8;
 * docs/steward-attestation.md "Issuing through hallmarkd").
 *
 *   parse the input strictly (hm_steward_parse_input) -> the policy's "stewards" section
 *   says whether this client may issue for this project, and with which key
 *   (hm_policy_steward_authorise) -> the statement -> sign its PAE with that key on the
 *   daemon's token -> hmd_record (store + transparency log) -> {"bundle":..,"logIndex":N}
 *
 * A refused steward gets 403 with the policy's reason, is audited, and nothing is signed.
 */
#include <hm/attest.h>
#include <hm/hsm.h>
#include <hm/policy.h>
#include <hm/steward.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hmd.h"

#define STEWARD_ROUTE    "/v1/steward/attestations"
#define STEWARD_KEYS_MAX 64u

struct sflow {
    const struct hmd_call *call;
    struct hmd_reply *r;
    struct hm_steward *st;
    const char *decision; /* "allow", "deny", "error" */
    const char *outcome;
    int64_t now;
};

/* Keys found by name, kept for the life of the process: hm_hsm_find_key registers a new
 * struct hm_key on every call, and it is not meant for many threads at once. */
static pthread_mutex_t keys_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char name[HMD_MAX_NAME + 1];
    struct hm_key *key;
} keys_seen[STEWARD_KEYS_MAX];
static size_t n_keys_seen;

static bool
key_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > HMD_MAX_NAME) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.')) {
            return false; /* nothing that could add attributes to the pkcs11: URI */
        }
    }
    return true;
}

/* The configured product key the policy's name denotes, else the token's key of that label. */
static hm_err
steward_key(const struct hmd_config *cfg, const char *name, struct hm_key **out)
{
    char uri[HMD_MAX_NAME + 32];
    hm_err err = HM_OK;

    *out = NULL;
    const struct hmd_product *p = hmd_policy_key_product(cfg, name);
    if (p != NULL && p->key != NULL) {
        *out = p->key; /* the policy's key names are the config's products[].key */
        return HM_OK;
    }
    if (!key_name_ok(name)) {
        return HM_E_INVALID;
    }
    pthread_mutex_lock(&keys_lock);
    for (size_t i = 0; i < n_keys_seen && *out == NULL; i++) {
        if (strcmp(keys_seen[i].name, name) == 0) {
            *out = keys_seen[i].key;
        }
    }
    if (*out == NULL && n_keys_seen < STEWARD_KEYS_MAX) {
        snprintf(uri, sizeof(uri), "pkcs11:object=%s", name);
        if ((err = hm_hsm_find_key(hmd.hsm, uri, out)) == HM_OK) {
            snprintf(keys_seen[n_keys_seen].name, sizeof(keys_seen[0].name), "%s", name);
            keys_seen[n_keys_seen++].key = *out;
        }
    } else if (*out == NULL) {
        err = HM_E_LIMIT;
    }
    pthread_mutex_unlock(&keys_lock);
    return err;
}

static hm_err
sign_cb(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len)
{
    return hm_key_sign(ctx, msg, len, HM_SIG_DER, sig, sig_len);
}

static void
refuse(struct sflow *f, int status, const char *code, const char *outcome, const char *msg)
{
    const char *reasons[1] = { msg };

    f->decision = status >= 500 ? "error" : "deny";
    f->outcome = outcome;
    hmd_reply_error_reasons(f->r, status, code, msg, reasons, 1);
    if (status == 503) {
        f->r->retry_after = 1;
    }
}

/* The policy's stewards section; key_name is a view into the policy. */
static bool
authorise(struct sflow *f, const char **key_name)
{
    const struct hmd_identity *id = f->call->id;
    struct hm_policy_identity who = { .cn = id->cn,
                                      .san_dns = (const char *const *)id->dns,
                                      .n_san_dns = id->n_dns,
                                      .san_uri = (const char *const *)id->uri,
                                      .n_san_uri = id->n_uri,
                                      .bearer = f->call->bearer };
    char why[512] = "", msg[HMD_MAX_IDENTITY + 700];
    hm_err rc;

    if (f->call->gen->policy == NULL) {
        rc = HM_E_NOTFOUND;
    } else {
        rc = hm_policy_steward_authorise(f->call->gen->policy, &who, f->st->project.purl, f->now,
                                         key_name, why, sizeof(why));
    }
    if (rc == HM_OK) {
        return true;
    }
    if (rc == HM_E_DENIED) {
        snprintf(msg, sizeof(msg), "client %s may not issue steward attestations for %s: %s",
                 id->display, f->st->project.purl, why);
    } else {
        snprintf(msg, sizeof(msg),
                 "client %s may not issue steward attestations for %s: the policy has no "
                 "stewards section",
                 id->display, f->st->project.purl);
    }
    refuse(f, 403, "forbidden", "not-authorised", msg);
    return false;
}

static void
reply_bundle(struct sflow *f, const struct hmd_record_item *it)
{
    struct hm_buf b;
    size_t len = 0;

    hm_buf_init(&b, 0);
    hm_buf_puts(&b, "{\"predicateType\":");
    hmd_json_quote(&b, HM_PREDICATE_STEWARD);
    hm_buf_puts(&b, ",\"bundle\":");
    hm_buf_append(&b, it->bundle, it->bundle_len); /* as attest/ and the log wrote it */
    if (it->log_index == UINT64_MAX) {
        hm_buf_puts(&b, ",\"logIndex\":null}\n");
    } else {
        hm_buf_printf(&b, ",\"logIndex\":%llu}\n", (unsigned long long)it->log_index);
    }
    if (hm_buf_status(&b) != HM_OK) {
        hm_buf_free(&b);
        refuse(f, 500, "internal", "internal", "out of memory");
        return;
    }
    char *body = (char *)hm_buf_steal(&b, &len);
    hmd_reply_json(f->r, 200, body, len);
    hm_buf_free(&b);
    f->decision = "allow";
    f->outcome = "signed";
}

static void
sign_and_record(struct sflow *f, const char *key_name)
{
    struct hmd_record_item it = { .predicate_type = HM_PREDICATE_STEWARD, .log_index = UINT64_MAX };
    struct hm_key *key = NULL;
    uint8_t *stmt = NULL;
    size_t slen = 0;
    hm_err rc;

    if ((rc = steward_key(f->call->gen->cfg, key_name, &key)) != HM_OK) {
        hm_error("steward: the policy names key \"%.64s\" that the token does not hold: %s",
                 key_name, hm_strerror(rc));
        refuse(f, 503, "hsm-unavailable", "hsm-unavailable",
               "the steward's key is not available on the signer; retry later");
        return;
    }
    it.key = key;
    if ((rc = hm_steward_statement(f->st, &stmt, &slen)) != HM_OK ||
        (rc = hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, slen, hm_key_id(key), sign_cb, key,
                             &it.bundle, &it.bundle_len)) != HM_OK) {
        if (rc != HM_E_NOMEM && rc != HM_E_INVALID) {
            hmd_metrics_hsm_error();
        }
        refuse(f, 503, "hsm-unavailable", "hsm-unavailable", "the HSM could not sign; retry later");
        goto out;
    }
    if ((rc = hmd_record(NULL, NULL, f->call->id, &it, 1)) != HM_OK) {
        refuse(f, 503, "store-unavailable", "store-unavailable",
               "the store or the log could not record it; retry later");
        goto out;
    }
    reply_bundle(f, &it);
out:
    free(stmt);
    free(it.bundle);
}

void
hmd_steward_handle(const struct hmd_call *call, struct hmd_reply *out, struct hmd_audit_rec *audit)
{
    struct sflow f = { .call = call, .r = out, .decision = "deny", .outcome = "bad-request" };
    const char *key_name = NULL;
    uint8_t digest[HM_SHA256_LEN];
    char why[384] = "";
    hm_err rc;

    f.now = (int64_t)time(NULL);
    rc = hm_steward_parse_input(call->body, call->body_len, f.now, &f.st, why, sizeof(why));
    if (rc != HM_OK) {
        refuse(&f, rc == HM_E_NOMEM ? 500 : 400, rc == HM_E_NOMEM ? "internal" : "invalid-request",
               rc == HM_E_NOMEM ? "internal" : "invalid", why);
    } else {
        snprintf(out->product, sizeof(out->product), "%s", f.st->project.name);
        if (authorise(&f, &key_name)) {
            sign_and_record(&f, key_name);
        }
    }
    memset(audit, 0, sizeof(*audit));
    audit->route = STEWARD_ROUTE;
    snprintf(audit->client, sizeof(audit->client), "%s", call->id->display);
    if (f.st != NULL) {
        snprintf(audit->product, sizeof(audit->product), "%s", f.st->project.name);
    }
    hm_sha256(call->body, call->body_len, digest);
    hm_hex_encode(digest, HM_SHA256_LEN, audit->request_sha256);
    audit->decision = f.decision;
    audit->outcome = f.outcome;
    audit->time = f.now;
    hm_steward_free(f.st);
}

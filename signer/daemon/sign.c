/*
 * sign.c: POST /v1/sign, on a worker thread.
 *
 *   parse -> authorise (client rule, product, channel) -> check the release ->
 *   reserve the version (anti-rollback) -> build the statement -> sign its PAE in the
 *   HSM -> commit (durable) -> reply with the bundle
 *
 * Nothing is returned before the release is durable in the store, and a reservation
 * whose signing failed is cancelled.  Every request that reaches this point leaves an
 * audit record (who, request digest, decision, outcome), written by the worker right
 * after it posted the reply, so that the reply does not wait for a second commit.
 */
#include <hm/attest.h>
#include <hm/hsm.h>
#include <hm/policy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../store.h"
#include "sign_int.h"

struct flow {
    const struct hmd_identity *id;
    const struct hmd_product *prod;
    struct hmd_sign_req *q;
    struct hmd_reply *r;
    const char *decision; /* "allow", "deny", "error" */
    const char *outcome;
    int64_t now;
};

static hm_err
sign_cb(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len)
{
    return hm_key_sign(ctx, msg, len, HM_SIG_DER, sig, sig_len);
}

static void
deny(struct flow *f, int status, const char *code, const char *outcome, const char *msg)
{
    const char *reasons[1] = { msg };

    f->decision = "deny";
    f->outcome = outcome;
    hmd_reply_error_reasons(f->r, status, code, msg, reasons, 1);
}

static bool
authorise(struct flow *f, const struct hmd_config *cfg)
{
    char msg[HMD_MAX_IDENTITY + 256];

    f->prod = hmd_config_product(cfg, f->q->product);
    /* An unknown product and a product the client may not sign look the same: the
     * reply does not tell a client which products exist. */
    if (f->prod == NULL || !hmd_product_allows(f->prod, f->id)) {
        snprintf(msg, sizeof(msg), "client %s is not authorised to sign product \"%s\"",
                 f->id->display, f->q->product);
        deny(f, 403, "forbidden", "not-authorised", msg);
        return false;
    }
    if (!hmd_product_has_channel(f->prod, f->q->channel)) {
        snprintf(msg, sizeof(msg), "product \"%s\" has no channel \"%s\"", f->prod->name,
                 f->q->channel);
        deny(f, 403, "forbidden", "channel-not-allowed", msg);
        return false;
    }
    return true;
}

static void
unavailable(struct flow *f, const char *what, hm_err rc)
{
    f->decision = "error";
    f->outcome = what;
    hmd_reply_error(f->r, 503, what, "%s: %s; retry later",
                    strcmp(what, "hsm-unavailable") == 0 ? "the HSM could not sign"
                                                         : "the store could not record it",
                    hm_strerror(rc));
    f->r->retry_after = 1;
}

static void
rollback(struct flow *f, const char *highest)
{
    struct hm_buf b;
    char msg[512];
    size_t len = 0;

    f->decision = "deny";
    f->outcome = "rollback";
    snprintf(msg, sizeof(msg),
             "version %s is not greater than %s, the highest signed or being "
             "signed for %s/%s",
             f->q->version, highest[0] ? highest : "another", f->q->product, f->q->channel);
    hm_buf_init(&b, 0);
    hm_buf_puts(&b, "{\"error\":\"rollback\",\"message\":");
    hmd_json_quote(&b, msg);
    hm_buf_puts(&b, ",\"reasons\":[");
    hmd_json_quote(&b, msg);
    hm_buf_puts(&b, "],\"highest\":");
    hmd_json_quote(&b, highest);
    hm_buf_puts(&b, "}\n");
    if (hm_buf_status(&b) != HM_OK) {
        hmd_reply_error(f->r, 409, "rollback", "version not greater than the highest");
    } else {
        char *body = (char *)hm_buf_steal(&b, &len);
        hmd_reply_json(f->r, 409, body, len);
    }
    hm_buf_free(&b);
}

static hm_err
build_bundle(struct flow *f, const struct hm_release *rel, char **bundle, size_t *blen)
{
    uint8_t *stmt = NULL;
    size_t slen = 0;
    hm_err rc;

    if ((rc = hm_release_statement(rel, &stmt, &slen)) != HM_OK) {
        return rc;
    }
    rc = hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, slen, hm_key_id(f->prod->key), sign_cb,
                        f->prod->key, bundle, blen);
    free(stmt);
    return rc;
}

static void
reply_bundle(struct flow *f, const char *bundle, size_t blen)
{
    struct hm_buf b;
    size_t len = 0;

    hm_buf_init(&b, 0);
    hm_buf_puts(&b, "{\"bundles\":[{\"predicateType\":");
    hmd_json_quote(&b, HM_PREDICATE_RELEASE);
    hm_buf_puts(&b, ",\"bundle\":");
    hm_buf_append(&b, bundle, blen); /* the bundle exactly as attest/ wrote it */
    hm_buf_puts(&b, "}],\"logIndex\":null}\n");
    if (hm_buf_status(&b) != HM_OK) {
        hm_buf_free(&b);
        hmd_reply_error(f->r, 500, "internal", "out of memory");
        return;
    }
    char *body = (char *)hm_buf_steal(&b, &len);
    hmd_reply_json(f->r, 200, body, len);
    hm_buf_free(&b);
}

static void
commit(struct flow *f, struct hm_store_resv *resv, const char *bundle, size_t blen)
{
    char req_hex[2 * HM_SHA256_LEN + 1];
    hm_err rc;

    hm_hex_encode(f->q->request_sha256, HM_SHA256_LEN, req_hex);
    struct hm_store_release srel = { .product = f->q->product,
                                     .channel = f->q->channel,
                                     .version = f->q->version,
                                     .key_id = hm_key_id(f->prod->key),
                                     .client_id = f->id->display,
                                     .request_sha256 = req_hex,
                                     .artifacts_json = f->q->artifacts_json,
                                     .time = f->now };
    rc = hm_store_commit(hmd.store, resv, &srel); /* consumes resv */
    if (rc == HM_E_CONFLICT) {
        rollback(f, "");
    } else if (rc != HM_OK) {
        unavailable(f, "store-unavailable", rc);
    } else {
        f->decision = "allow";
        f->outcome = "signed";
        reply_bundle(f, bundle, blen);
    }
}

static void
sign_release(struct flow *f)
{
    struct hm_release rel = { .product = f->q->product,
                              .channel = f->q->channel,
                              .version = f->q->version,
                              .artifacts = f->q->arts,
                              .n_artifacts = f->q->n_arts,
                              .support_end = f->q->support_end,
                              .sbom_sha256 = f->q->has_sbom ? f->q->sbom_sha256 : NULL,
                              .signed_at = f->now };
    struct hm_store_resv *resv = NULL;
    char why[256] = "", highest[HM_SEMVER_MAX_LEN + 1] = "";
    char *bundle = NULL;
    size_t blen = 0;
    hm_err rc;

    if (hm_release_check(&rel, why, sizeof(why)) != HM_OK) {
        f->decision = "deny";
        f->outcome = "invalid";
        hmd_reply_error(f->r, 400, "invalid-request", "%s", why);
        return;
    }
    rc = hm_store_reserve(hmd.store, rel.product, rel.channel, rel.version, &resv, highest,
                          sizeof(highest));
    if (rc == HM_E_CONFLICT) {
        rollback(f, highest);
        return;
    }
    if (rc == HM_E_INVALID) {
        f->decision = "deny";
        f->outcome = "invalid";
        hmd_reply_error(f->r, 400, "invalid-request", "version is not SemVer 2.0.0");
        return;
    }
    if (rc != HM_OK) {
        unavailable(f, "store-unavailable", rc);
        return;
    }
    if ((rc = build_bundle(f, &rel, &bundle, &blen)) != HM_OK) {
        hm_store_cancel(hmd.store, resv);
        if (rc == HM_E_NOMEM || rc == HM_E_INVALID || rc == HM_E_INTERNAL) {
            f->decision = "error";
            f->outcome = "internal";
            hmd_reply_error(f->r, 500, "internal", "cannot build the bundle: %s", hm_strerror(rc));
        } else {
            hmd_metrics_hsm_error();
            unavailable(f, "hsm-unavailable", rc);
        }
        return;
    }
    commit(f, resv, bundle, blen);
    free(bundle);
}

static void
audit_fill(const struct flow *f, const char *client, struct hmd_audit_rec *a)
{
    memset(a, 0, sizeof(*a));
    snprintf(a->client, sizeof(a->client), "%s", client);
    if (f->q != NULL) {
        snprintf(a->product, sizeof(a->product), "%s", f->q->product);
        snprintf(a->version, sizeof(a->version), "%s", f->q->version);
        hm_hex_encode(f->q->request_sha256, HM_SHA256_LEN, a->request_sha256);
    }
    a->decision = f->decision;
    a->outcome = f->outcome;
    a->time = f->now;
}

/* Written after the reply was posted: the durable record of a signed release is its
 * row in the store (written before the reply); the audit record adds the decision. */
void
hmd_sign_audit(const struct hmd_audit_rec *r)
{
    struct hm_store_audit a = { .client_id = r->client,
                                .route = r->route != NULL ? r->route : "/v1/sign",
                                .request_sha256 = r->request_sha256[0] ? r->request_sha256 : NULL,
                                .product = r->product[0] ? r->product : NULL,
                                .version = r->version[0] ? r->version : NULL,
                                .decision = r->decision,
                                .outcome = r->outcome,
                                .time = r->time };

    if (hmd.store == NULL || r->decision == NULL) {
        return;
    }
    hm_err rc = hm_store_audit(hmd.store, &a);
    if (rc != HM_OK) {
        hm_error("audit record not written (%s): client=%s outcome=%s", hm_strerror(rc), r->client,
                 r->outcome);
    }
}

void
hmd_sign_handle(const struct hmd_call *call, struct hmd_reply *out, struct hmd_audit_rec *audit)
{
    struct hmd_gen *gen = call->gen;
    const struct hmd_identity *id = call->id;
    const uint8_t *body = call->body;
    size_t len = call->body_len;
    struct flow f = {
        .id = id, .r = out, .decision = "deny", .outcome = "bad-request", .now = (int64_t)time(NULL)
    };
    uint64_t t0 = hmd_now_ns();

    if (hmd_sign_req_parse(body, len, &f.q, out) == HM_OK) {
        snprintf(out->product, sizeof(out->product), "%s", f.q->product);
        snprintf(out->version, sizeof(out->version), "%s", f.q->version);
        if (authorise(&f, gen->cfg)) {
            sign_release(&f);
        }
    }
    audit_fill(&f, id->display, audit);
    if (out->status == 200) {
        hmd_metrics_sign_duration(hmd_now_ns() - t0);
    }
    hmd_sign_req_free(f.q);
}

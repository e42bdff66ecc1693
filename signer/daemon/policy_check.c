/*
 * policy_check.c: the release policy in hallmarkd.  hmd_policy_decide is the one path
 * from a request body to a decision (POST /v1/sign and POST /v1/policy/check both take
 * it): parse with the policy engine's parser, authorise, read the store's state, and
 * evaluate.  POST /v1/policy/check then answers the decision without signing.
 *
 * The bearer token goes only into hm_policy_evaluate; it is never logged, never copied
 * into a reply or an audit record (reasons name the claim that failed, not the token).
 */
#include <hm/policy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../store.h"
#include "sign_int.h"

static hm_err
state_highest(void *ctx, const char *product, const char *channel, char *out, size_t out_len)
{
    (void)ctx;
    return hm_store_highest(hmd.store, product, channel, out, out_len);
}

static hm_err
state_first_release(void *ctx, const char *product, uint64_t major, int64_t *out)
{
    const struct hmd_config *cfg = ctx;

    return hm_store_first_release(cfg->store, product, major, out);
}

static void
bad_request(const struct hm_policy_error *e, hm_err rc, struct hmd_reply *out)
{
    if (rc == HM_E_NOMEM) {
        hmd_reply_error(out, 500, "internal", "out of memory");
    } else if (e->offset > 0 || strcmp(e->path, "$") == 0 || e->path[0] == '\0') {
        hmd_reply_error(out, 400, rc == HM_E_LIMIT ? "too-large" : "invalid-request", "%s",
                        e->message);
        if (e->offset > 0) {
            hmd_reply_add_offset(out, e->offset);
        }
    } else {
        hmd_reply_error(out, 400, "invalid-request", "%s: %s", e->path, e->message);
    }
}

/* A product whose policy has no identity rule is authorised by the config, as without a
 * policy; the reply does not tell a client which products exist. */
static bool
config_allows(const struct hmd_call *call, const char *product, struct hmd_reply *out)
{
    const struct hmd_product *p = hmd_config_product(call->gen->cfg, product);
    char msg[HMD_MAX_IDENTITY + 256];
    const char *reasons[1] = { msg };

    if (p != NULL && hmd_product_allows(p, call->id)) {
        return true;
    }
    snprintf(msg, sizeof(msg), "client %s is not authorised to sign product \"%s\"",
             call->id->display, product);
    hmd_reply_error_reasons(out, 403, "forbidden", msg, reasons, 1);
    return false;
}

hm_err
hmd_policy_decide(const struct hmd_call *call, int64_t now, struct hm_policy_request **req,
                  struct hm_policy_decision **d, struct hmd_reply *out, const char **outcome)
{
    const struct hm_policy *pol = call->gen->policy;
    struct hm_policy_error perr;
    struct hm_policy_state st = { .ctx = call->gen->cfg,
                                  .highest = state_highest,
                                  .first_release = state_first_release };
    const struct hmd_identity *id = call->id;
    struct hm_policy_identity who = { .cn = id->cn,
                                      .san_dns = (const char *const *)id->dns,
                                      .n_san_dns = id->n_dns,
                                      .san_uri = (const char *const *)id->uri,
                                      .n_san_uri = id->n_uri,
                                      .bearer = call->bearer };
    hm_err rc;

    *req = NULL;
    *d = NULL;
    *outcome = "bad-request";
    memset(&perr, 0, sizeof(perr));
    if ((rc = hm_policy_request_parse(call->body, call->body_len, req, &perr)) != HM_OK) {
        bad_request(&perr, rc, out);
        return rc;
    }
    snprintf(out->product, sizeof(out->product), "%s", hm_policy_request_product(*req));
    snprintf(out->version, sizeof(out->version), "%s", hm_policy_request_version(*req));
    if (!hm_policy_product_has_identities(pol, hm_policy_request_product(*req)) &&
        !config_allows(call, hm_policy_request_product(*req), out)) {
        *outcome = "not-authorised";
        return HM_E_DENIED;
    }
    rc = hm_policy_evaluate(pol, *req, &who, &st, now, d);
    if (rc == HM_E_NOMEM) {
        *outcome = "internal";
        hmd_reply_error(out, 500, "internal", "out of memory");
    } else if (rc != HM_OK) {
        /* no decision rather than a wrong one (docs/policy.md, "Evaluation") */
        *outcome = "store-unavailable";
        hmd_reply_error(out, 503, "store-unavailable",
                        "the policy could not read the signer's state: %s; retry later",
                        hm_strerror(rc));
        out->retry_after = 1;
    }
    return rc;
}

static void
reason_json(struct hm_buf *b, const struct hm_policy_reason *r)
{
    hm_buf_puts(b, "{\"rule\":");
    hmd_json_quote(b, r->rule);
    hm_buf_puts(b, ",\"reason\":");
    hmd_json_quote(b, r->reason);
    hm_buf_puts(b, ",\"hint\":");
    hmd_json_quote(b, r->hint != NULL ? r->hint : "");
    hm_buf_puts(b, "}");
}

void
hmd_policy_deny_reply(const struct hm_policy_decision *d, struct hmd_reply *out)
{
    size_t n = hm_policy_decision_n_reasons(d), len = 0, dlen = 0;
    char *dj = NULL, msg[256];
    struct hm_buf b;

    snprintf(msg, sizeof(msg), "the release policy refused %s %s: %zu rule%s failed", out->product,
             out->version, n, n == 1 ? "" : "s");
    hm_buf_init(&b, 0);
    hm_buf_puts(&b, "{\"error\":\"policy-denied\",\"message\":");
    hmd_json_quote(&b, msg);
    hm_buf_puts(&b, ",\"reasons\":[");
    for (size_t i = 0; i < n; i++) {
        hm_buf_puts(&b, i > 0 ? "," : "");
        reason_json(&b, hm_policy_decision_reason(d, i));
    }
    hm_buf_puts(&b, "]");
    if (hm_policy_decision_to_json(d, &dj, &dlen) == HM_OK) {
        hm_buf_puts(&b, ",\"decision\":");
        hm_buf_append(&b, dj, dlen);
    }
    hm_buf_puts(&b, "}\n");
    free(dj);
    if (hm_buf_status(&b) != HM_OK) {
        hm_buf_free(&b);
        hmd_reply_error(out, 500, "internal", "out of memory");
        return;
    }
    char *body = (char *)hm_buf_steal(&b, &len);
    hmd_reply_json(out, 403, body, len);
    hm_buf_free(&b);
}

static void
audit_fill(const struct hm_policy_request *req, const struct hmd_identity *id, const char *decision,
           const char *outcome, int64_t now, struct hmd_audit_rec *a)
{
    memset(a, 0, sizeof(*a));
    a->route = "/v1/policy/check";
    snprintf(a->client, sizeof(a->client), "%s", id->display);
    if (req != NULL) {
        snprintf(a->product, sizeof(a->product), "%s", hm_policy_request_product(req));
        snprintf(a->version, sizeof(a->version), "%s", hm_policy_request_version(req));
        hm_hex_encode(hm_policy_request_sha256(req), HM_SHA256_LEN, a->request_sha256);
    }
    a->decision = decision;
    a->outcome = outcome;
    a->time = now;
}

void
hmd_policy_check_handle(const struct hmd_call *call, struct hmd_reply *out,
                        struct hmd_audit_rec *audit)
{
    struct hm_policy_request *req = NULL;
    struct hm_policy_decision *d = NULL;
    const char *outcome = "bad-request", *decision = "deny";
    int64_t now = (int64_t)time(NULL);
    char *dj = NULL;
    size_t dlen = 0;

    if (call->gen->policy == NULL) {
        hmd_reply_error(out, 404, "no-policy",
                        "this daemon has no release policy (config key \"policy\")");
        return;
    }
    if (hmd_policy_decide(call, now, &req, &d, out, &outcome) == HM_OK) {
        bool allowed = hm_policy_decision_allowed(d);
        if (hm_policy_decision_to_json(d, &dj, &dlen) != HM_OK) {
            decision = "error";
            outcome = "internal";
            hmd_reply_error(out, 500, "internal", "out of memory");
        } else {
            decision = allowed ? "allow" : "deny";
            outcome = allowed ? "check-allowed" : "check-denied";
            hmd_reply_json(out, 200, dj, dlen); /* takes dj */
        }
    } else if (out->status >= 500) {
        decision = "error";
    }
    audit_fill(req, call->id, decision, outcome, now, audit);
    hm_policy_decision_free(d);
    hm_policy_request_free(req);
}

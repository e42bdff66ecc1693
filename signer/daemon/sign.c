/*
 * sign.c: POST /v1/sign, on a worker thread.
 *
 *   parse -> authorise (client rule, product, channel) -> check the release ->
 *   reserve the version (anti-rollback) -> build the statement -> sign its PAE in the
 *   HSM -> record (hmd_record: store + log, durable) -> reply with the bundles
 *
 * With a release policy (config key "policy") the policy engine parses the request and
 * decides (policy_check.c): identity, channel, key, version, support period, SBOM,
 * vulnerabilities, approvals, windows.  A denial is a 403 with every failing rule and
 * nothing is signed.  An allowed release is signed with the key the decision names, and
 * so is a SLSA VSA v1 recording the decision; both are recorded by one hmd_record call.
 * The version check of the policy reads the store; the reservation below re-checks it
 * under the store's lock, so check, sign and record stay one transaction.
 *
 * Nothing is returned before the release is durable in the store, and a reservation
 * whose signing failed is cancelled.  Every request that reaches this point leaves an
 * audit record (who, request digest, decision, outcome), written by the worker right
 * after it posted the reply, so that the reply does not wait for a second commit.
 */
#include <hm/attest.h>
#include <hm/attest_policy.h>
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
    struct hm_key *key; /* signs the release (and the VSA) */
    struct hmd_sign_req *q;
    const struct hm_policy *policy;     /* NULL: no release policy */
    const struct hm_policy_decision *d; /* the policy's decision (allow) */
    struct hm_policy_request *preq;     /* the request as the policy parsed it */
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
    f->key = f->prod->key;
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
sign_statement(struct flow *f, const uint8_t *stmt, size_t slen, char **bundle, size_t *blen)
{
    return hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, slen, hm_key_id(f->key), sign_cb, f->key,
                          bundle, blen);
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
    rc = sign_statement(f, stmt, slen, bundle, blen);
    free(stmt);
    return rc;
}

/* "pkg:generic/PRODUCT@VERSION": '+' of build metadata percent-encoded (purl spec). */
static void
resource_uri(const struct flow *f, char *out, size_t len)
{
    size_t used = (size_t)snprintf(out, len, "pkg:generic/%s@", f->q->product);

    for (const char *v = f->q->version; *v != '\0' && used + 4 < len; v++) {
        if (*v == '+') {
            memcpy(out + used, "%2B", 3);
            used += 3;
        } else {
            out[used++] = *v;
        }
    }
    out[used < len ? used : len - 1] = '\0';
}

/* The SLSA VSA v1 of an allowed decision, signed with the release key. */
static hm_err
build_vsa(struct flow *f, char **bundle, size_t *blen)
{
    size_t n = hm_policy_decision_n_inputs(f->d);
    struct hm_vsa_input *in = calloc(n > 0 ? n : 1, sizeof(*in));
    char res[HMD_MAX_NAME + 160];
    uint8_t *stmt = NULL;
    size_t slen = 0;
    hm_err rc;

    if (in == NULL) {
        return HM_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const struct hm_policy_input *pi = hm_policy_decision_input(f->d, i);
        in[i].name = pi->name;
        memcpy(in[i].sha256, pi->sha256, HM_SHA256_LEN);
    }
    resource_uri(f, res, sizeof(res));
    struct hm_vsa vsa = { .verifier_id = hm_policy_decision_verifier_id(f->d),
                          .verifier_version = "0.1.0",
                          .resource_uri = res,
                          .policy_uri = hm_policy_decision_policy_uri(f->d),
                          .policy_sha256 = hm_policy_decision_policy_sha256(f->d),
                          .artifacts = f->q->arts,
                          .n_artifacts = f->q->n_arts,
                          .inputs = in,
                          .n_inputs = n,
                          .passed = true,
                          .time_verified = f->now };
    if ((rc = hm_vsa_statement(&vsa, &stmt, &slen)) == HM_OK) {
        rc = sign_statement(f, stmt, slen, bundle, blen);
    }
    free(stmt);
    free(in);
    return rc;
}

static void
log_index(struct hm_buf *b, uint64_t index)
{
    if (index == UINT64_MAX) {
        hm_buf_puts(b, "null");
    } else {
        hm_buf_printf(b, "%llu", (unsigned long long)index);
    }
}

/* {"bundles":[{"predicateType","bundle","logIndex"}...],"logIndex": the release's}.  The
 * top-level logIndex is the release's, kept for clients of the first reply shape. */
static void
reply_bundles(struct flow *f, const struct hmd_record_item *items, size_t n)
{
    struct hm_buf b;
    size_t len = 0;

    hm_buf_init(&b, 0);
    hm_buf_puts(&b, "{\"bundles\":[");
    for (size_t i = 0; i < n; i++) {
        hm_buf_puts(&b, i > 0 ? ",{\"predicateType\":" : "{\"predicateType\":");
        hmd_json_quote(&b, items[i].predicate_type);
        hm_buf_puts(&b, ",\"bundle\":");
        hm_buf_append(&b, items[i].bundle,
                      items[i].bundle_len); /* as attest/ or the log wrote it */
        hm_buf_puts(&b, ",\"logIndex\":");
        log_index(&b, items[i].log_index);
        hm_buf_puts(&b, "}");
    }
    hm_buf_puts(&b, "],\"logIndex\":");
    log_index(&b, items[0].log_index);
    hm_buf_puts(&b, "}\n");
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
commit(struct flow *f, struct hm_store_resv *resv, struct hmd_record_item *items, size_t n)
{
    char req_hex[2 * HM_SHA256_LEN + 1];
    hm_err rc;

    hm_hex_encode(f->q->request_sha256, HM_SHA256_LEN, req_hex);
    struct hm_store_release srel = { .product = f->q->product,
                                     .channel = f->q->channel,
                                     .version = f->q->version,
                                     .key_id = hm_key_id(f->key),
                                     .client_id = f->id->display,
                                     .request_sha256 = req_hex,
                                     .artifacts_json = f->q->artifacts_json,
                                     .time = f->now };
    rc = hmd_record(resv, &srel, f->id, items, n); /* consumes resv */
    if (rc == HM_E_CONFLICT) {
        rollback(f, "");
    } else if (rc != HM_OK) {
        unavailable(f, "store-unavailable", rc);
    } else {
        f->decision = "allow";
        f->outcome = "signed";
        reply_bundles(f, items, n);
    }
}

static void
sign_failed(struct flow *f, hm_err rc)
{
    if (rc == HM_E_NOMEM || rc == HM_E_INVALID || rc == HM_E_INTERNAL) {
        f->decision = "error";
        f->outcome = "internal";
        hmd_reply_error(f->r, 500, "internal", "cannot build the bundle: %s", hm_strerror(rc));
    } else {
        hmd_metrics_hsm_error();
        unavailable(f, "hsm-unavailable", rc);
    }
}

/* Signs the release statement and, with a policy that names a verifier, the VSA. */
static hm_err
sign_items(struct flow *f, const struct hm_release *rel, struct hmd_record_item *items, size_t *n)
{
    hm_err rc;

    *n = 0;
    if ((rc = build_bundle(f, rel, &items[0].bundle, &items[0].bundle_len)) != HM_OK) {
        return rc;
    }
    items[0].predicate_type = HM_PREDICATE_RELEASE;
    *n = 1;
    if (f->d != NULL && hm_policy_decision_verifier_id(f->d) != NULL &&
        hm_policy_decision_policy_uri(f->d) != NULL) {
        if ((rc = build_vsa(f, &items[1].bundle, &items[1].bundle_len)) != HM_OK) {
            return rc;
        }
        items[1].predicate_type = HM_VSA_PREDICATE;
        *n = 2;
    }
    for (size_t i = 0; i < *n; i++) {
        items[i].key = f->key;
        items[i].product = f->q->product;
        items[i].channel = f->q->channel;
        items[i].version = f->q->version;
        items[i].log_index = UINT64_MAX;
    }
    return HM_OK;
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
    struct hmd_record_item items[2];
    struct hm_store_resv *resv = NULL;
    char why[256] = "", highest[HM_SEMVER_MAX_LEN + 1] = "";
    size_t n = 0;
    hm_err rc;

    memset(items, 0, sizeof(items));
    if (f->policy != NULL) {
        /* the SBOM digest the decision bound, and the product's CRA facts */
        rel.sbom_sha256 = hm_policy_decision_sbom_sha256(f->d);
        hm_policy_product_facts(f->policy, f->q->product, &rel.manufacturer, &rel.security_contact);
    }
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
    if ((rc = sign_items(f, &rel, items, &n)) != HM_OK) {
        hm_store_cancel(hmd.store, resv);
        sign_failed(f, rc);
    } else {
        commit(f, resv, items, n);
    }
    free(items[0].bundle);
    free(items[1].bundle);
}

/* With a release policy: decide, then sign only an allowed release. */
static void
policy_flow(struct flow *f, const struct hmd_call *call)
{
    struct hm_policy_decision *d = NULL;
    const char *outcome = "bad-request";
    const char *kname;
    const struct hmd_product *kp;

    f->policy = call->gen->policy;
    if (hmd_policy_decide(call, f->now, &f->preq, &d, f->r, &outcome) != HM_OK) {
        f->decision = f->r->status >= 500 ? "error" : "deny";
        f->outcome = outcome;
        goto out;
    }
    if (!hm_policy_decision_allowed(d)) {
        f->decision = "deny";
        f->outcome = "policy-denied";
        hmd_policy_deny_reply(d, f->r);
        goto out;
    }
    if (hmd_sign_req_from_policy(f->preq, &f->q, f->r) != HM_OK) {
        f->decision = "deny";
        f->outcome = "invalid";
        goto out;
    }
    /* the key the policy binds, or the config product's when it binds none */
    kname = hm_policy_decision_key(d);
    kp = kname != NULL ? hmd_policy_key_product(call->gen->cfg, kname)
                       : hmd_config_product(call->gen->cfg, f->q->product);
    if (kp == NULL || kp->key == NULL) {
        deny(f, 403, "forbidden", "no-key",
             "no key is bound to this product and channel: bind one in the policy's "
             "products[].keys or list the product in the config's products");
        goto out;
    }
    f->key = kp->key;
    f->d = d;
    sign_release(f);
out:
    f->d = NULL;
    hm_policy_decision_free(d);
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
    } else if (f->preq != NULL) {
        snprintf(a->product, sizeof(a->product), "%s", hm_policy_request_product(f->preq));
        snprintf(a->version, sizeof(a->version), "%s", hm_policy_request_version(f->preq));
        hm_hex_encode(hm_policy_request_sha256(f->preq), HM_SHA256_LEN, a->request_sha256);
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

    if (gen->policy != NULL) {
        policy_flow(&f, call);
    } else if (hmd_sign_req_parse(body, len, &f.q, out) == HM_OK) {
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
    hm_policy_request_free(f.preq);
}

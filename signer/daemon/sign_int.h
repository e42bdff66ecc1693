/*
 * sign_int.h: the parsed sign request (sign_req.c) used by the flow in sign.c.
 */
#ifndef HM_SIGNER_SIGN_INT_H
#define HM_SIGNER_SIGN_INT_H

#include <hm/attest.h>

#include "hmd.h"

struct hmd_sign_req {
    char *product;
    char *channel; /* "stable" when the request names none */
    char *version;
    char *support_end;
    struct hm_artifact *arts;
    char **names; /* owned; arts[i].name points here */
    size_t n_arts;
    bool has_sbom;
    uint8_t sbom_sha256[HM_SHA256_LEN]; /* over the exact bytes of the "sbom" member */
    uint8_t request_sha256[HM_SHA256_LEN];
    char *artifacts_json; /* for the store: [{"name","size","sha256","sha512"}] */
};

/* Adds "offset": N to an error reply (malformed JSON). */
void hmd_reply_add_offset(struct hmd_reply *r, size_t offset);

/* ---- with a release policy (policy_check.c; docs/policy.md) ---- */
struct hm_policy_request;
struct hm_policy_decision;
/* The sign flow's view of a request the policy parser accepted: the release statement
 * needs both digests of every artifact (400 otherwise). */
HM_MUST_CHECK hm_err hmd_sign_req_from_policy(const struct hm_policy_request *pr,
                                              struct hmd_sign_req **out, struct hmd_reply *r);
/* Parses call's body with hm_policy_request_parse, authorises the client (the policy's
 * identity rule; the config's products[].clients when the product has none) and
 * evaluates the request against call->gen's policy at now, reading the store.  HM_OK
 * with *req and *d set (allow or deny); otherwise the reply (400, 403, 503, 500) is in
 * out, *outcome says why for the audit record, and *req is set when the body parsed. */
HM_MUST_CHECK hm_err hmd_policy_decide(const struct hmd_call *call, int64_t now,
                                       struct hm_policy_request **req,
                                       struct hm_policy_decision **d, struct hmd_reply *out,
                                       const char **outcome);
/* The 403 of a denied decision: {"error":"policy-denied","message","reasons":[{rule,
 * reason,hint}],"decision":{...}}. */
void hmd_policy_deny_reply(const struct hm_policy_decision *d, struct hmd_reply *out);

#endif /* HM_SIGNER_SIGN_INT_H */

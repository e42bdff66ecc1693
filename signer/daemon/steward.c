/*
 * steward.c: POST /v1/steward/attestations.  Not served yet: the work that owns this file replaces it.
 */
#include "hmd.h"

void
hmd_steward_handle(const struct hmd_call *call, struct hmd_reply *out, struct hmd_audit_rec *audit)
{
    (void)call;
    (void)audit;
    hmd_reply_error(out, 404, "not-found", "%s is not served yet", "POST /v1/steward/attestations");
}

/*
 * dispatch.c: the routes answered on a worker thread, by route.
 */
#include <string.h>

#include "hmd.h"

void
hmd_call_handle(const struct hmd_call *call, struct hmd_reply *out, struct hmd_audit_rec *audit)
{
    memset(audit, 0, sizeof(*audit)); /* decision NULL: no audit record */
    switch (call->route) {
    case HMD_R_SIGN:
        hmd_sign_handle(call, out, audit);
        return;
    case HMD_R_POLICY_CHECK:
        hmd_policy_check_handle(call, out, audit);
        return;
    case HMD_R_STEWARD:
        hmd_steward_handle(call, out, audit);
        return;
    case HMD_R_LOG:
        hmd_log_handle(call, out);
        return;
    case HMD_R_PAGE:
        hmd_page_handle(call, out);
        return;
    default:
        hmd_reply_error(out, 500, "internal", "no worker handler for this route");
        return;
    }
}

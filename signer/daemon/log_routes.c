/*
 * log_routes.c: the transparency log.  Not served yet: the work that owns this file replaces it.
 */
#include "hmd.h"

void
hmd_log_handle(const struct hmd_call *call, struct hmd_reply *out)
{
    (void)call;

    hmd_reply_error(out, 404, "not-found", "%s is not served yet", "the transparency log");
}

/* fuzz_daemon_sign_req: the body of POST /v1/sign (strict parse, SBOM binding). */
#include <stdint.h>

#include "sign_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hmd_sign_req *q = NULL;
    struct hmd_reply r = { 0 };

    if (hmd_sign_req_parse(data, size, &q, &r) == HM_OK) {
        hmd_sign_req_free(q);
    }
    hmd_reply_reset(&r);
    return 0;
}

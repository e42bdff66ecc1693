/* fuzz_daemon_http: hallmarkd's HTTP/1.1 head parser on arbitrary bytes. */
#include <stdint.h>
#include <string.h>

#include "http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hmd_http_head h;
    int st = hmd_http_parse_head((const char *)data, size, &h);

    if (st == 0 && strlen(h.path) > HMD_MAX_TARGET) {
        __builtin_trap();
    }
    return 0;
}

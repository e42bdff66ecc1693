/* fuzz_daemon_config: hallmarkd's config parser and the JSON locator behind its line
 * numbers, on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hmd_config *cfg = NULL;
    struct hmd_cfg_error err;
    char out[1024];

    if (hmd_config_parse((const char *)data, size, "fuzz.json", &cfg, &err) == HM_OK) {
        size_t k = 0, v = 0, e = 0;
        (void)hmd_json_locate(cfg->text, cfg->text_len, "products[0].clients[0]", &k, &v, &e);
        hmd_config_free(cfg);
    } else {
        hmd_cfg_error_format(NULL, "fuzz.json", &err, out, sizeof(out));
    }
    return 0;
}

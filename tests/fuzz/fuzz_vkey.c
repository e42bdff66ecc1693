/*
 * fuzz_vkey.c: hm_tlog_verifier_parse on arbitrary bytes (the log and witness keys of a
 * trust root or a config file).  A key that parses must format back to exactly the
 * same string, and its name must be a valid key name.
 */
#include <hm/tlog.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hm_tlog_verifier *v = NULL;
    char *text = NULL;

    if (hm_tlog_verifier_parse((const char *)data, size, &v) != HM_OK) {
        if (v != NULL) {
            abort(); /* nothing is handed out on failure */
        }
        return 0;
    }
    const char *name = hm_tlog_verifier_name(v);
    if (!hm_tlog_name_valid(name, strlen(name))) {
        abort();
    }
    if (hm_tlog_verifier_format(v, &text) != HM_OK) {
        abort();
    }
    if (strlen(text) != size || memcmp(text, data, size) != 0) {
        abort(); /* two encodings of one key */
    }
    free(text);
    hm_tlog_verifier_free(v);
    return 0;
}

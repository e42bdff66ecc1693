/*
 * fuzz_log_monitor.c: what `hallmark log verify` and `hallmark log proof` parse from disk and
 * from the log server (signer/cli/cli_log_state.c, cli_log_routes.c): the state file, and
 * the inclusion, consistency and entry replies.  The first byte picks the parser.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cli_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cli_log_state *st = NULL;
    struct hm_tlog_path path;
    uint8_t root[HM_TLOG_HASH_LEN], *leaf = NULL;
    size_t leaf_len = 0;
    char why[256];

    if (size == 0) {
        return 0;
    }
    switch (data[0] % 4) {
    case 0:
        if (cli_log_state_parse(data + 1, size - 1, &st, why, sizeof(why)) == HM_OK && st == NULL) {
            abort();
        }
        cli_log_state_free(st);
        break;
    case 1:
        (void)cli_log_parse_inclusion(data + 1, size - 1, 3, 9, root, &path, why, sizeof(why));
        break;
    case 2:
        (void)cli_log_parse_consistency(data + 1, size - 1, 2, 9, &path, why, sizeof(why));
        break;
    default:
        if (cli_log_parse_entry(data + 1, size - 1, 1, &leaf, &leaf_len, why, sizeof(why)) ==
                HM_OK &&
            leaf == NULL) {
            abort();
        }
        free(leaf);
        break;
    }
    return 0;
}

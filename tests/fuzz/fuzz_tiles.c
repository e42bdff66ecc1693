/*
 * fuzz_tiles.c: hm_tlog_tile_parse_path on arbitrary bytes (the tail of GET
 * /v1/log/tile/...).  A path that parses must be a valid tile and format back to exactly
 * the same bytes: one path per tile, so that two spellings never name one cache entry.
 * hm_tlog_tile_width_at must stay within 0..256 for any size.
 */
#include <hm/tlog.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hm_tlog_tile t;
    char path[HM_TLOG_TILE_MAX_PATH];

    if (hm_tlog_tile_parse_path((const char *)data, size, &t) == HM_OK) {
        if (hm_tlog_tile_path(&t, path) != HM_OK) {
            abort(); /* parsed but not a valid tile */
        }
        if (strlen(path) != size || memcmp(path, data, size) != 0) {
            abort(); /* two spellings of one tile */
        }
    }
    if (size >= 8 + 1 + 8) {
        uint64_t tree = 0, index = 0;
        memcpy(&tree, data, 8);
        memcpy(&index, data + 9, 8);
        if (hm_tlog_tile_width_at(tree, (uint8_t)(data[8] & 63), index) > HM_TLOG_TILE_WIDTH) {
            abort();
        }
    }
    return 0;
}

/*
 * fuzz_checkpoint.c: hm_tlog_checkpoint_parse on arbitrary note text, and
 * hm_tlog_checkpoint_open on the same bytes as a whole signed note.  A body that parses
 * (with a key-name origin) must format back to the same bytes.
 */
#include <hm/tlog.h>
#include <stdlib.h>
#include <string.h>

#define VKEY "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_round_trip(const struct hm_tlog_checkpoint *cp, const uint8_t *data, size_t size)
{
    const char *origin = hm_tlog_checkpoint_origin(cp), *ext;
    char *text = NULL;
    size_t len = 0, ext_len = 0;

    if (!hm_tlog_name_valid(origin, strlen(origin))) {
        return; /* we only format origins that are key names */
    }
    if (hm_tlog_checkpoint_format(origin, hm_tlog_checkpoint_size(cp), hm_tlog_checkpoint_root(cp),
                                  &text, &len) != HM_OK) {
        abort();
    }
    ext = hm_tlog_checkpoint_extensions(cp, &ext_len);
    if (len + ext_len != size || memcmp(text, data, len) != 0 ||
        memcmp(ext, data + len, ext_len) != 0) {
        abort(); /* two encodings of one checkpoint */
    }
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hm_tlog_verifier *key;
    struct hm_tlog_checkpoint *cp = NULL;

    if (key == NULL && hm_tlog_verifier_parse(VKEY, strlen(VKEY), &key) != HM_OK) {
        abort();
    }
    if (hm_tlog_checkpoint_parse((const char *)data, size, &cp) == HM_OK) {
        if (hm_tlog_checkpoint_size(cp) > HM_TLOG_MAX_SIZE) {
            abort();
        }
        check_round_trip(cp, data, size);
        hm_tlog_checkpoint_free(cp);
    } else if (cp != NULL) {
        abort();
    }
    cp = NULL;
    if (hm_tlog_checkpoint_open(data, size, key, NULL, &cp) == HM_OK) {
        hm_tlog_checkpoint_free(cp);
    } else if (cp != NULL) {
        abort();
    }
    return 0;
}

/*
 * fuzz_note.c: hm_tlog_note_parse on arbitrary bytes.  A note that parses must re-encode
 * to exactly the same bytes (one encoding per note), and verification against the C2SP
 * test key must never crash.
 */
#include <hm/tlog.h>
#include <stdlib.h>
#include <string.h>

#define VKEY "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* text || "\n" || "\u2014 name base64(keyid || sig)\n"...: must equal the input. */
static void
check_round_trip(const struct hm_tlog_note *note, const uint8_t *data, size_t size)
{
    struct hm_buf b;
    const char *text;
    size_t len = 0;

    text = hm_tlog_note_text(note, &len);
    hm_buf_init(&b, 0);
    hm_buf_append(&b, text, len);
    hm_buf_puts(&b, "\n");
    for (size_t i = 0; i < hm_tlog_note_sig_count(note); i++) {
        struct hm_tlog_note_sig s;
        uint8_t *raw;
        char *b64 = NULL;

        hm_tlog_note_sig(note, i, &s);
        if ((raw = malloc(4 + s.sig_len)) == NULL) {
            abort();
        }
        raw[0] = (uint8_t)(s.key_id >> 24);
        raw[1] = (uint8_t)(s.key_id >> 16);
        raw[2] = (uint8_t)(s.key_id >> 8);
        raw[3] = (uint8_t)s.key_id;
        memcpy(raw + 4, s.sig, s.sig_len);
        if (hm_b64_encode(raw, 4 + s.sig_len, &b64) != HM_OK) {
            abort();
        }
        hm_buf_printf(&b, "\xe2\x80\x94 %s %s\n", s.name, b64);
        free(b64);
        free(raw);
    }
    if (hm_buf_status(&b) != HM_OK || b.len != size || memcmp(b.data, data, size) != 0) {
        abort(); /* two encodings of one note */
    }
    hm_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hm_tlog_verifier *key;
    const struct hm_tlog_verifier *keys[1];
    struct hm_tlog_note *note = NULL;
    bool ok = false;

    if (key == NULL && hm_tlog_verifier_parse(VKEY, strlen(VKEY), &key) != HM_OK) {
        abort();
    }
    if (hm_tlog_note_parse(data, size, &note) != HM_OK) {
        if (note != NULL) {
            abort(); /* something handed out on failure */
        }
        return 0;
    }
    check_round_trip(note, data, size);
    keys[0] = key;
    if (hm_tlog_note_verify(note, keys, 1, &ok) != HM_OK && ok) {
        abort();
    }
    hm_tlog_note_free(note);
    return 0;
}

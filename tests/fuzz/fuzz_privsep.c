/*
 * fuzz_privsep.c: the helper protocol's parser (hm/privsep.h), both directions: the
 * helper parses what the network process sends (first byte even), the network process
 * parses what the helper answers (first byte odd), key evidence in KEYS included.
 */
#include <hm/privsep.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hm_ps_msg m;
    const char *reason = NULL;

    if (size < 1) {
        return 0;
    }
    if (hm_ps_parse(data + 1, size - 1, (data[0] & 1) == 0, &m, &reason) == HM_OK) {
        for (size_t i = 0; i < m.n_keys; i++) {
            /* touch every field the parser vouched for */
            volatile uint8_t x = 0;
            if (m.keys[i].spki_len > 0) {
                x ^= m.keys[i].spki[m.keys[i].spki_len - 1];
            }
            if (m.keys[i].uri_len > 0) {
                x ^= m.keys[i].uri[m.keys[i].uri_len - 1];
            }
            if (m.keys[i].ev == HM_PS_EV_PKCS11) {
                /* the texts are NUL-terminated within their arrays */
                x ^= (uint8_t)strlen(m.keys[i].p11.token_label);
                x ^= (uint8_t)strlen(m.keys[i].p11.library_manufacturer);
            }
            (void)x;
        }
        if (m.data_len > 0) {
            volatile uint8_t y = m.data[m.data_len - 1];
            (void)y;
        }
    }
    hm_ps_msg_clear(&m);
    return 0;
}

/*
 * b64fast.c: the base64 decoder of the verification path.  It accepts exactly what
 * hm_b64_decode (common/b64.c) accepts: standard and/or URL-safe alphabet as the mode
 * allows, never both in one string, no whitespace, padding optional but correct when
 * present, unused trailing bits zero, so one value has one encoding.  It differs in speed
 * only: a 256-entry table and four characters per step, and it can decode into the
 * caller's buffer.  Why here: a bundle carries ~3 KiB of base64 per verification (payload,
 * leaf, proof hashes) and the branchy decoder cost ~5 us of the ~40 us a verification may
 * add to its two signature checks (docs/performance.md); tests/verify/test_b64fast.c checks
 * that both decoders agree on every input class.
 */
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

/* 0..63 a value; 64 | 128 marks which alphabet the character belongs to ('+' '/' standard,
 * '-' '_' URL-safe, letters and digits both); 0xff not base64. */
#define STD 0x40u
#define URL 0x80u
#define BAD 0xffu

/* Generated from those rules (A-Z 0..25, a-z 26..51, 0-9 52..61 in both alphabets). */
static const uint8_t TABLE[256] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7e, 0xff, 0xbe, 0xff, 0x7f,
    0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce,
    0xcf, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xff, 0xff, 0xff, 0xff, 0xbf,
    0xff, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8,
    0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf2, 0xf3, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

hm_err
hm_v_b64_decode_into(const char *in, size_t len, enum hm_b64_mode mode, uint8_t *out, size_t cap,
                     size_t *out_len)
{
    size_t data = len, pad = 0, o = 0, olen, i = 0;
    unsigned seen = STD | URL, allow = 0;
    uint32_t acc = 0;
    uint8_t v[4];

    *out_len = 0;
    while (data > 0 && in[data - 1] == '=') {
        data--;
        pad++;
    }
    if (pad > 2 || data % 4 == 1 || (pad > 0 && (data + pad) % 4 != 0)) {
        return HM_E_INVALID;
    }
    olen = data / 4 * 3 + (data % 4 == 0 ? 0 : data % 4 - 1);
    if (olen > cap) {
        return HM_E_LIMIT;
    }
    allow = ((mode & HM_B64_STD) ? STD : 0) | ((mode & HM_B64_URL) ? URL : 0);
    for (; i + 4 <= data; i += 4) {
        for (int k = 0; k < 4; k++) {
            v[k] = TABLE[(unsigned char)in[i + (size_t)k]];
            seen &= v[k]; /* BAD clears nothing: caught below by the value bits */
            if (v[k] == BAD) {
                return HM_E_INVALID;
            }
        }
        acc = (uint32_t)(v[0] & 63) << 18 | (uint32_t)(v[1] & 63) << 12 |
              (uint32_t)(v[2] & 63) << 6 | (uint32_t)(v[3] & 63);
        out[o++] = (uint8_t)(acc >> 16);
        out[o++] = (uint8_t)(acc >> 8);
        out[o++] = (uint8_t)acc;
    }
    if (i < data) { /* 2 or 3 characters left: 1 or 2 bytes, spare bits must be zero */
        acc = 0;
        for (size_t k = 0; i + k < data; k++) {
            v[k] = TABLE[(unsigned char)in[i + k]];
            if (v[k] == BAD) {
                return HM_E_INVALID;
            }
            seen &= v[k];
            acc = acc << 6 | (v[k] & 63u);
        }
        if (data - i == 2) {
            if ((acc & 0xf) != 0) {
                return HM_E_INVALID;
            }
            out[o++] = (uint8_t)(acc >> 4);
        } else {
            if ((acc & 0x3) != 0) {
                return HM_E_INVALID;
            }
            out[o++] = (uint8_t)(acc >> 10);
            out[o++] = (uint8_t)(acc >> 2);
        }
    }
    /* seen keeps the alphabet bits every character shares: none means both were used; one
     * the caller did not allow is refused (letters and digits belong to both). */
    if ((seen & (STD | URL)) == 0 || (seen & allow) == 0) {
        return HM_E_INVALID;
    }
    *out_len = o;
    return HM_OK;
}

hm_err
hm_v_b64_decode(const char *in, size_t len, enum hm_b64_mode mode, uint8_t **out, size_t *out_len)
{
    size_t cap = len / 4 * 3 + 3;
    uint8_t *buf = malloc(cap + 1);
    hm_err err;

    *out = NULL;
    *out_len = 0;
    if (buf == NULL) {
        return HM_E_NOMEM;
    }
    if ((err = hm_v_b64_decode_into(in, len, mode, buf, cap, out_len)) != HM_OK) {
        free(buf);
        return err;
    }
    buf[*out_len] = '\0';
    *out = buf;
    return HM_OK;
}

/*
 * b64.c: base64 (RFC 4648 §4 and §5) and hex.
 *
 * Decoding is strict so that one value has one encoding: no whitespace, no mixing of
 * the two alphabets, padding optional but exact when present, and the unused low bits
 * of the last symbol must be zero.  DSSE requires accepting both alphabets.
 */
#include <hm/common.h>
#include <stdlib.h>
#include <string.h>

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

hm_err
hm_b64_encode(const uint8_t *in, size_t len, char **out)
{
    size_t olen, i, o = 0;
    char *s;

    *out = NULL;
    if (len > (SIZE_MAX / 4) * 3 - 3) {
        return HM_E_LIMIT;
    }
    olen = ((len + 2) / 3) * 4;
    if ((s = malloc(olen + 1)) == NULL) {
        return HM_E_NOMEM;
    }
    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        s[o++] = b64_std[(v >> 18) & 63];
        s[o++] = b64_std[(v >> 12) & 63];
        s[o++] = b64_std[(v >> 6) & 63];
        s[o++] = b64_std[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len) {
            v |= (uint32_t)in[i + 1] << 8;
        }
        s[o++] = b64_std[(v >> 18) & 63];
        s[o++] = b64_std[(v >> 12) & 63];
        s[o++] = i + 1 < len ? b64_std[(v >> 6) & 63] : '=';
        s[o++] = '=';
    }
    s[o] = '\0';
    *out = s;
    return HM_OK;
}

/* Returns the 6-bit value, or -1; *alpha records which alphabet a symbol belongs to. */
static int
b64_value(char c, int *alpha)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+' || c == '/') {
        *alpha |= HM_B64_STD;
        return c == '+' ? 62 : 63;
    }
    if (c == '-' || c == '_') {
        *alpha |= HM_B64_URL;
        return c == '-' ? 62 : 63;
    }
    return -1;
}

hm_err
hm_b64_decode(const char *in, size_t len, enum hm_b64_mode mode, uint8_t **out, size_t *outlen)
{
    size_t data = len, pad = 0, o = 0, olen;
    uint32_t acc = 0;
    int bits = 0, alpha = 0;
    uint8_t *buf;

    *out = NULL;
    *outlen = 0;
    while (data > 0 && in[data - 1] == '=') {
        data--;
        pad++;
    }
    if (pad > 2 || data % 4 == 1 || (pad > 0 && (data + pad) % 4 != 0)) {
        return HM_E_INVALID;
    }
    olen = data / 4 * 3 + (data % 4 == 0 ? 0 : data % 4 - 1);
    if ((buf = malloc(olen + 1)) == NULL) {
        return HM_E_NOMEM;
    }
    for (size_t i = 0; i < data; i++) {
        int v = b64_value(in[i], &alpha);
        if (v < 0) {
            free(buf);
            return HM_E_INVALID;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* Mixed alphabets, an alphabet the caller did not allow, or non-zero spare bits. */
    if (alpha == (HM_B64_STD | HM_B64_URL) || (alpha & ~(int)mode) != 0 || acc != 0) {
        free(buf);
        return HM_E_INVALID;
    }
    buf[o] = '\0';
    *out = buf;
    *outlen = o;
    return HM_OK;
}

void
hm_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

bool
hm_is_lower_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (hex_value(s[i]) < 0) {
            return false;
        }
    }
    return true;
}

hm_err
hm_hex_decode(const char *in, size_t len, uint8_t *out, size_t outlen)
{
    if (len != outlen * 2) {
        return HM_E_INVALID;
    }
    for (size_t i = 0; i < outlen; i++) {
        int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return HM_E_INVALID;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return HM_OK;
}

/*
 * text.c: the small strict parsers every text format here shares: UTF-8, decimal numbers
 * without leading zeros, padded standard base64.  One value, one encoding: anything else
 * is refused, so that two parsers can never disagree about what a note says.
 */
#include <stdlib.h>
#include <string.h>

#include "tlog_int.h"

/* Length of the UTF-8 sequence starting at s (1..4) and its code point, or 0 if invalid. */
static size_t
utf8_decode(const uint8_t *s, size_t len, uint32_t *cp)
{
    size_t n;
    uint32_t c, min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2, c = s[0] & 0x1fu, min = 0x80;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3, c = s[0] & 0x0fu, min = 0x800;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4, c = s[0] & 0x07u, min = 0x10000;
    } else {
        return 0; /* continuation byte, overlong lead (c0, c1) or past U+10FFFF (f5..ff) */
    }
    if (n > len) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3fu);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0; /* overlong, too large, or a UTF-16 surrogate */
    }
    *cp = c;
    return n;
}

bool
tlog_text_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);

        if (n == 0 || (cp < 0x20 && cp != '\n')) {
            return false;
        }
        i += n;
    }
    return true;
}

/* Unicode White_Space (what Go's unicode.IsSpace tests, as the reference note code does). */
static bool
is_unicode_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

bool
hm_tlog_name_valid(const char *name, size_t len)
{
    const uint8_t *s = (const uint8_t *)name;
    size_t i = 0;

    if (name == NULL || len == 0) {
        return false;
    }
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);

        if (n == 0 || cp < 0x20 || cp == '+' || is_unicode_space(cp)) {
            return false;
        }
        i += n;
    }
    return true;
}

hm_err
tlog_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    *out = 0;
    if (len == 0 || len > TLOG_U64_DIGITS || (len > 1 && s[0] == '0')) {
        return HM_E_INVALID;
    }
    for (size_t i = 0; i < len; i++) {
        uint64_t d;

        if (s[i] < '0' || s[i] > '9') {
            return HM_E_INVALID;
        }
        d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return HM_E_INVALID; /* past 2^64 - 1 */
        }
        v = v * 10 + d;
    }
    if (v > max) {
        return HM_E_INVALID;
    }
    *out = v;
    return HM_OK;
}

size_t
tlog_format_u64(uint64_t v, char out[TLOG_U64_DIGITS + 1])
{
    char tmp[TLOG_U64_DIGITS];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    out[n] = '\0';
    return n;
}

hm_err
tlog_b64_decode(const char *s, size_t len, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    /* Notes use padded standard base64 (Go's base64.StdEncoding); hm_b64_decode would
     * also take the unpadded form, a second encoding of the same bytes. */
    if (len == 0 || len % 4 != 0) {
        return HM_E_INVALID;
    }
    return hm_b64_decode(s, len, HM_B64_STD, out, out_len);
}

hm_err
tlog_b64_hash(const char *s, size_t len, uint8_t out[HM_TLOG_HASH_LEN])
{
    uint8_t *buf = NULL;
    size_t n = 0;
    hm_err err;

    if (len != 44) {
        return HM_E_INVALID; /* 32 bytes are always 44 characters */
    }
    if ((err = tlog_b64_decode(s, len, &buf, &n)) != HM_OK) {
        return err;
    }
    if (n != HM_TLOG_HASH_LEN) {
        free(buf);
        return HM_E_INVALID;
    }
    memcpy(out, buf, HM_TLOG_HASH_LEN);
    free(buf);
    return HM_OK;
}

const char *
tlog_line_end(const char *s, const char *end)
{
    return memchr(s, '\n', (size_t)(end - s));
}

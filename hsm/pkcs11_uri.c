/*
 * pkcs11_uri.c: RFC 7512 "pkcs11:" URIs, parsed strictly.
 *
 * A key URI comes from a config file or a command line, so it is untrusted: every byte
 * is checked against the RFC's character sets, percent-encoding must be exact ("%" and
 * two hex digits), every attribute appears at most once, unknown attributes are refused
 * (a typo must not silently widen a match), decoded strings must be NUL-free UTF-8
 * without control characters, and each value has a bound.  pin-value is refused: a PIN
 * never travels in a URI, where it ends up in logs, ps output and shell history.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hsm_int.h"

enum uri_attr {
    A_TOKEN,
    A_MANUFACTURER,
    A_SERIAL,
    A_MODEL,
    A_OBJECT,
    A_ID,
    A_TYPE,
    A_MODULE_PATH,
    A_PIN_SOURCE,
    A_COUNT,
};

struct attr_def {
    const char *name;
    enum uri_attr attr;
    bool query; /* a query attribute (after '?') rather than a path attribute */
    size_t max; /* decoded bytes */
};

static const struct attr_def attr_defs[] = {
    { "token", A_TOKEN, false, HM_P11_TOKEN_MAX },
    { "manufacturer", A_MANUFACTURER, false, HM_P11_TOKEN_MAX },
    { "serial", A_SERIAL, false, HM_P11_SERIAL_MAX },
    { "model", A_MODEL, false, HM_P11_SERIAL_MAX },
    { "object", A_OBJECT, false, HM_P11_OBJECT_MAX },
    { "id", A_ID, false, HM_P11_ID_MAX },
    { "type", A_TYPE, false, 16 },
    { "module-path", A_MODULE_PATH, true, HM_P11_PATH_MAX },
    { "pin-source", A_PIN_SOURCE, true, HM_P11_PATH_MAX },
};

/* RFC 7512 attributes we understand but do not support: refused with their own reason. */
static const char *const unsupported[] = {
    "library-manufacturer", "library-description", "library-version",
    "slot-description",     "slot-manufacturer",   "slot-id",
    "module-name",
};

static bool
is_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* pk11-pchar / pk11-qchar without the pct-encoded part (handled by the decoder).  '&' is
 * taken literally in the path, where it delimits nothing. */
static bool
is_value_char(unsigned char c, bool query)
{
    if (is_unreserved(c) || (c != '\0' && strchr(":[]@!$'()*+,=&", c) != NULL)) {
        return c != '&' || !query;
    }
    return query && (c == '/' || c == '?' || c == '|');
}

static int
hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool
utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1fu;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0fu;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (len - i <= n) {
            return false;
        }
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0u) != 0x80u) {
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3fu);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return false;
        }
        i += n + 1;
    }
    return true;
}

/* Decodes v[0..len) into a new NUL-terminated buffer of at most max bytes. */
static hm_err
pct_decode(const char *v, size_t len, bool query, size_t max, const char **reason, uint8_t **out,
           size_t *out_len)
{
    uint8_t *buf = NULL;
    size_t n = 0;

    *out = NULL;
    if ((buf = malloc(len + 1)) == NULL) {
        return HM_E_NOMEM;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '%') {
            int hi = i + 2 < len ? hex_val((unsigned char)v[i + 1]) : -1;
            int lo = i + 2 < len ? hex_val((unsigned char)v[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(buf);
                *reason = "bad percent-encoding";
                return HM_E_INVALID;
            }
            buf[n++] = (uint8_t)(hi * 16 + lo);
            i += 2;
        } else if (is_value_char(c, query)) {
            buf[n++] = c;
        } else {
            free(buf);
            *reason = "character not allowed in a pkcs11 URI (percent-encode it)";
            return HM_E_INVALID;
        }
        if (n > max) {
            free(buf);
            *reason = "attribute value too long";
            return HM_E_LIMIT;
        }
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return HM_OK;
}

/* A decoded text value: no NUL, no control characters, valid UTF-8, not empty. */
static bool
text_ok(const uint8_t *s, size_t len)
{
    if (len == 0 || !utf8_valid(s, len)) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f) {
            return false;
        }
    }
    return true;
}

bool
hm_p11_text_ok(const char *s, size_t max)
{
    size_t len = strnlen(s, max + 1);

    return len <= max && text_ok((const uint8_t *)s, len);
}

static hm_err
set_type(struct hm_p11_uri *u, const char *v, const char **reason)
{
    static const struct {
        const char *name;
        enum hm_p11_type type;
    } types[] = {
        { "public", HM_P11_TYPE_PUBLIC }, { "private", HM_P11_TYPE_PRIVATE },
        { "cert", HM_P11_TYPE_CERT },     { "secret-key", HM_P11_TYPE_SECRET_KEY },
        { "data", HM_P11_TYPE_DATA },
    };

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(v, types[i].name) == 0) {
            u->type = types[i].type;
            return HM_OK;
        }
    }
    *reason = "type must be public, private, cert, secret-key or data";
    return HM_E_INVALID;
}

static char **
text_slot(struct hm_p11_uri *u, enum uri_attr a)
{
    switch (a) {
    case A_TOKEN:
        return &u->token;
    case A_MANUFACTURER:
        return &u->manufacturer;
    case A_SERIAL:
        return &u->serial;
    case A_MODEL:
        return &u->model;
    case A_OBJECT:
        return &u->object;
    case A_MODULE_PATH:
        return &u->module_path;
    case A_PIN_SOURCE:
        return &u->pin_source;
    default:
        return NULL;
    }
}

/* Stores one decoded value; buf is consumed. */
static hm_err
store_attr(struct hm_p11_uri *u, const struct attr_def *d, uint8_t *buf, size_t len,
           const char **reason)
{
    char **slot = text_slot(u, d->attr);
    hm_err err = HM_OK;

    if (d->attr == A_ID) {
        if (len == 0) {
            *reason = "empty id";
            err = HM_E_INVALID;
        } else {
            u->id = buf;
            u->id_len = len;
            u->has_id = true;
            buf = NULL; /* u owns it now */
        }
    } else if (!text_ok(buf, len)) {
        *reason = "attribute value is empty, not UTF-8 or holds control characters";
        err = HM_E_INVALID;
    } else if (d->attr == A_TYPE) {
        err = set_type(u, (const char *)buf, reason);
    } else if (slot != NULL) {
        *slot = (char *)buf;
        buf = NULL; /* u owns it now */
    } else {
        err = HM_E_INTERNAL;
    }
    free(buf);
    return err;
}

static const struct attr_def *
find_def(const char *name, size_t len, bool query, const char **reason)
{
    for (size_t i = 0; i < sizeof(attr_defs) / sizeof(attr_defs[0]); i++) {
        if (strlen(attr_defs[i].name) == len && memcmp(attr_defs[i].name, name, len) == 0) {
            if (attr_defs[i].query != query) {
                *reason = query ? "path attribute in the query" : "query attribute in the path";
                return NULL;
            }
            return &attr_defs[i];
        }
    }
    if (len == 9 && memcmp(name, "pin-value", 9) == 0) {
        *reason = "pin-value is refused: use pin-source (a PIN never travels in a URI)";
        return NULL;
    }
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
        if (strlen(unsupported[i]) == len && memcmp(unsupported[i], name, len) == 0) {
            *reason = "unsupported pkcs11 URI attribute";
            return NULL;
        }
    }
    *reason = "unknown pkcs11 URI attribute";
    return NULL;
}

static hm_err
parse_attr(struct hm_p11_uri *u, const char *a, size_t len, bool query, bool seen[A_COUNT],
           const char **reason)
{
    const char *eq = memchr(a, '=', len);
    const struct attr_def *d;
    uint8_t *buf = NULL;
    size_t blen = 0;
    hm_err err;

    if (len == 0) {
        *reason = "empty attribute";
        return HM_E_INVALID;
    }
    if (eq == NULL || eq == a) {
        *reason = "attribute without name=value";
        return HM_E_INVALID;
    }
    if ((d = find_def(a, (size_t)(eq - a), query, reason)) == NULL) {
        return HM_E_INVALID;
    }
    if (seen[d->attr]) {
        *reason = "duplicate attribute";
        return HM_E_INVALID;
    }
    seen[d->attr] = true;
    if ((err = pct_decode(eq + 1, len - (size_t)(eq + 1 - a), query, d->max, reason, &buf,
                          &blen)) != HM_OK) {
        return err;
    }
    return store_attr(u, d, buf, blen, reason);
}

static hm_err
parse_list(struct hm_p11_uri *u, const char *s, size_t len, bool query, bool seen[A_COUNT],
           const char **reason)
{
    char sep = query ? '&' : ';';
    size_t start = 0;
    hm_err err;

    if (len == 0) {
        return HM_OK; /* "pkcs11:" and "pkcs11:?..." name everything */
    }
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != sep) {
            continue;
        }
        if ((err = parse_attr(u, s + start, i - start, query, seen, reason)) != HM_OK) {
            return err;
        }
        start = i + 1;
    }
    return HM_OK;
}

hm_err
hm_p11_uri_parse(const char *s, const char **reason, struct hm_p11_uri **out)
{
    struct hm_p11_uri *u = NULL;
    bool seen[A_COUNT] = { false };
    const char *q;
    size_t len;
    hm_err err;

    *out = NULL;
    *reason = "ok";
    if (s == NULL) {
        *reason = "no URI";
        return HM_E_INVALID;
    }
    if ((len = strnlen(s, HM_P11_URI_MAX + 1)) > HM_P11_URI_MAX) {
        *reason = "URI too long";
        return HM_E_LIMIT;
    }
    if (len < 7 || strncasecmp(s, "pkcs11:", 7) != 0) {
        *reason = "not a pkcs11: URI";
        return HM_E_INVALID;
    }
    if ((u = calloc(1, sizeof(*u))) == NULL) {
        return HM_E_NOMEM;
    }
    s += 7;
    len -= 7;
    q = memchr(s, '?', len);
    err = parse_list(u, s, q != NULL ? (size_t)(q - s) : len, false, seen, reason);
    if (err == HM_OK && q != NULL) {
        err = parse_list(u, q + 1, len - (size_t)(q + 1 - s), true, seen, reason);
    }
    if (err != HM_OK) {
        hm_p11_uri_free(u);
        return err;
    }
    *out = u;
    return HM_OK;
}

void
hm_p11_uri_free(struct hm_p11_uri *u)
{
    if (u == NULL) {
        return;
    }
    free(u->token);
    free(u->manufacturer);
    free(u->serial);
    free(u->model);
    free(u->object);
    free(u->id);
    free(u->module_path);
    free(u->pin_source);
    free(u);
}

static void
pct_encode(struct hm_buf *b, const uint8_t *in, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";

    for (size_t i = 0; i < len; i++) {
        if (is_unreserved(in[i])) {
            hm_buf_append(b, &in[i], 1);
        } else {
            char e[3] = { '%', hex[in[i] >> 4], hex[in[i] & 0xf] };
            hm_buf_append(b, e, 3);
        }
    }
}

hm_err
hm_p11_uri_format_key(const char *token, const char *object, const uint8_t *id, size_t id_len,
                      char **out)
{
    struct hm_buf b;
    const char *sep = "";
    hm_err err;

    *out = NULL;
    hm_buf_init(&b, HM_P11_URI_MAX);
    hm_buf_puts(&b, "pkcs11:");
    if (token != NULL && *token != '\0') {
        hm_buf_puts(&b, "token=");
        pct_encode(&b, (const uint8_t *)token, strlen(token));
        sep = ";";
    }
    if (object != NULL && *object != '\0') {
        hm_buf_puts(&b, sep);
        hm_buf_puts(&b, "object=");
        pct_encode(&b, (const uint8_t *)object, strlen(object));
        sep = ";";
    }
    if (id != NULL && id_len > 0) {
        hm_buf_puts(&b, sep);
        hm_buf_puts(&b, "id=");
        pct_encode(&b, id, id_len);
    }
    if ((err = hm_buf_status(&b)) != HM_OK) {
        hm_buf_free(&b);
        return err;
    }
    if ((*out = (char *)hm_buf_steal(&b, NULL)) == NULL) {
        return HM_E_NOMEM;
    }
    return HM_OK;
}

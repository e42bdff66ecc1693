/*
 * tpm2_uri.c: "tpm2:" URIs, parsed as strictly as our pkcs11: URIs (pkcs11_uri.c).
 *
 *   tpm2:?tcti=swtpm:host=127.0.0.1,port=2321&auth-source=file:/etc/hallmark/tpm.auth
 *   tpm2:handle=0x81000010
 *   tpm2:blob=/var/lib/hallmark/fw.tpm2
 *
 * There is no registered tpm2: scheme; the shape copies RFC 7512 (path attributes name
 * the object, query attributes say how to reach it) so that operators see one syntax.
 * A URI comes from a config file or a command line: every byte is checked, percent
 * escapes must be exact, attributes appear once, unknown ones are refused, and an auth
 * value never travels in a URI (auth-value is refused: it would end up in logs and ps).
 * The TCTI names are allow-listed, because tctildr dlopen()s "libtss2-tcti-<name>.so".
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tpm2_int.h"

enum t_attr { T_HANDLE, T_BLOB, T_TCTI, T_AUTH, T_OWNER_AUTH, T_EH_AUTH, T_KEY_DIR, T_COUNT };

static const struct {
    const char *name;
    enum t_attr attr;
    bool query;
    size_t max;
} t_defs[] = {
    { "handle", T_HANDLE, false, 10 },
    { "blob", T_BLOB, false, TPM2_PATH_MAX },
    { "tcti", T_TCTI, true, TPM2_TCTI_MAX },
    { "auth-source", T_AUTH, true, TPM2_PATH_MAX },
    { "owner-auth-source", T_OWNER_AUTH, true, TPM2_PATH_MAX },
    { "endorsement-auth-source", T_EH_AUTH, true, TPM2_PATH_MAX },
    { "key-dir", T_KEY_DIR, true, TPM2_PATH_MAX },
};

/* TCTIs we load: the kernel resource manager, swtpm's socket, tpm2-abrmd, the simulator. */
static const char *const tcti_names[] = { "device", "swtpm", "tabrmd", "mssim" };

static int
hexval(unsigned char c)
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

/* Characters allowed raw in a value: RFC 3986 unreserved plus what TCTI configurations
 * and paths use.  Everything else must be percent-encoded. */
static bool
raw_ok(unsigned char c, bool query)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    if (c != '\0' && strchr("-._~:,=/@+", c) != NULL) {
        return c != '=' || query; /* '=' inside a query value: "swtpm:host=...,port=..." */
    }
    return false;
}

/* Decodes s[0..len) into a new NUL-terminated string; refuses NUL and control bytes. */
static hm_err
decode(const char *s, size_t len, bool query, size_t max, char **out, const char **reason)
{
    char *d = NULL;
    size_t n = 0;

    *out = NULL;
    if (len == 0) {
        *reason = "an attribute has an empty value";
        return HM_E_INVALID;
    }
    if ((d = malloc(len + 1)) == NULL) {
        return HM_E_NOMEM;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            int hi = -1, lo = -1;
            if (i + 2 >= len || (hi = hexval((unsigned char)s[i + 1])) < 0 ||
                (lo = hexval((unsigned char)s[i + 2])) < 0) {
                *reason = "a '%' is not followed by two hex digits";
                free(d);
                return HM_E_INVALID;
            }
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
            if (c < 0x20 || c == 0x7f) {
                *reason = "a value holds a NUL or control character";
                free(d);
                return HM_E_INVALID;
            }
        } else if (!raw_ok(c, query)) {
            *reason = "a character that must be percent-encoded";
            free(d);
            return HM_E_INVALID;
        }
        d[n++] = (char)c;
    }
    d[n] = '\0';
    if (n > max) {
        *reason = "a value is too long";
        free(d);
        return HM_E_LIMIT;
    }
    *out = d;
    return HM_OK;
}

static hm_err
check_tcti(const char *t, const char **reason)
{
    size_t n = strcspn(t, ":");

    for (size_t i = 0; i < sizeof(tcti_names) / sizeof(tcti_names[0]); i++) {
        if (strlen(tcti_names[i]) == n && strncmp(t, tcti_names[i], n) == 0) {
            return HM_OK;
        }
    }
    *reason = "tcti must be device:, swtpm:, tabrmd: or mssim:";
    return HM_E_INVALID;
}

static hm_err
parse_handle(const char *v, uint32_t *out, const char **reason)
{
    uint32_t h = 0;

    if (strlen(v) != 10 || strncasecmp(v, "0x", 2) != 0) {
        *reason = "handle is 0x and eight hex digits";
        return HM_E_INVALID;
    }
    for (size_t i = 2; i < 10; i++) {
        int x = hexval((unsigned char)v[i]);
        if (x < 0) {
            *reason = "handle is 0x and eight hex digits";
            return HM_E_INVALID;
        }
        h = (h << 4) | (uint32_t)x;
    }
    if (h < TPM2_PERSIST_FIRST || h > TPM2_PERSIST_LAST) {
        *reason = "handle is not an owner persistent handle (0x81000000-0x817fffff)";
        return HM_E_INVALID;
    }
    *out = h;
    return HM_OK;
}

static char **
slot_of(struct tpm2_uri *u, enum t_attr a)
{
    switch (a) {
    case T_BLOB:
        return &u->blob;
    case T_TCTI:
        return &u->tcti;
    case T_AUTH:
        return &u->auth_source;
    case T_OWNER_AUTH:
        return &u->owner_auth_source;
    case T_EH_AUTH:
        return &u->endorsement_auth_source;
    case T_KEY_DIR:
        return &u->key_dir;
    case T_HANDLE:
    case T_COUNT:
        break;
    }
    return NULL;
}

/* One "name=value" of the path (query false) or of the query. */
static hm_err
parse_attr(struct tpm2_uri *u, const char *s, size_t len, bool query, bool *seen,
           const char **reason)
{
    const char *eq = memchr(s, '=', len);
    size_t nlen = eq != NULL ? (size_t)(eq - s) : len;
    char *val = NULL;
    hm_err err;

    if (eq == NULL) {
        *reason = "an attribute without '='";
        return HM_E_INVALID;
    }
    if ((nlen == 10 && strncmp(s, "auth-value", 10) == 0) ||
        (nlen == 9 && strncmp(s, "pin-value", 9) == 0)) {
        *reason = "auth-value is refused: an auth value never travels in a URI";
        return HM_E_INVALID;
    }
    for (size_t i = 0; i < sizeof(t_defs) / sizeof(t_defs[0]); i++) {
        if (strlen(t_defs[i].name) != nlen || strncmp(s, t_defs[i].name, nlen) != 0) {
            continue;
        }
        if (t_defs[i].query != query) {
            *reason = query ? "a path attribute in the query" : "a query attribute in the path";
            return HM_E_INVALID;
        }
        if (seen[t_defs[i].attr]) {
            *reason = "an attribute appears twice";
            return HM_E_INVALID;
        }
        seen[t_defs[i].attr] = true;
        if ((err = decode(eq + 1, len - nlen - 1, query, t_defs[i].max, &val, reason)) != HM_OK) {
            return err;
        }
        if (t_defs[i].attr == T_HANDLE) {
            err = parse_handle(val, &u->handle, reason);
            u->has_handle = err == HM_OK;
            free(val);
            return err;
        }
        if (t_defs[i].attr == T_TCTI && (err = check_tcti(val, reason)) != HM_OK) {
            free(val);
            return err;
        }
        if ((t_defs[i].attr == T_BLOB || t_defs[i].attr == T_KEY_DIR) && val[0] != '/') {
            *reason = "blob and key-dir are absolute paths";
            free(val);
            return HM_E_INVALID;
        }
        *slot_of(u, t_defs[i].attr) = val;
        return HM_OK;
    }
    *reason = "an unknown attribute";
    return HM_E_INVALID;
}

static hm_err
parse_list(struct tpm2_uri *u, const char *s, size_t len, char sep, bool query, bool *seen,
           const char **reason)
{
    size_t i = 0;
    hm_err err;

    if (len == 0) {
        return HM_OK;
    }
    for (;;) {
        const char *end = memchr(s + i, sep, len - i);
        size_t n = end != NULL ? (size_t)(end - (s + i)) : len - i;
        if (n == 0) {
            *reason = "an empty attribute";
            return HM_E_INVALID;
        }
        if ((err = parse_attr(u, s + i, n, query, seen, reason)) != HM_OK) {
            return err;
        }
        if (end == NULL) {
            return HM_OK;
        }
        i += n + 1;
        if (i == len) {
            *reason = "an empty attribute";
            return HM_E_INVALID;
        }
    }
}

hm_err
tpm2_uri_parse(const char *s, const char **reason, struct tpm2_uri **out)
{
    bool seen[T_COUNT] = { false };
    struct tpm2_uri *u = NULL;
    const char *q;
    size_t len;
    hm_err err;

    *out = NULL;
    *reason = "not a tpm2: URI";
    if (s == NULL || strncasecmp(s, "tpm2:", 5) != 0) {
        return HM_E_INVALID;
    }
    if ((len = strlen(s)) > TPM2_URI_MAX) {
        *reason = "the URI is too long";
        return HM_E_LIMIT;
    }
    if ((u = calloc(1, sizeof(*u))) == NULL) {
        return HM_E_NOMEM;
    }
    s += 5;
    len -= 5;
    q = memchr(s, '?', len);
    if ((err = parse_list(u, s, q != NULL ? (size_t)(q - s) : len, ';', false, seen, reason)) !=
            HM_OK ||
        (q != NULL && (err = parse_list(u, q + 1, len - (size_t)(q + 1 - s), '&', true, seen,
                                        reason)) != HM_OK)) {
        tpm2_uri_free(u);
        return err;
    }
    if (q != NULL && q[1] == '\0') {
        *reason = "an empty query";
        tpm2_uri_free(u);
        return HM_E_INVALID;
    }
    if (u->has_handle && u->blob != NULL) {
        *reason = "a key URI names a handle or a blob, not both";
        tpm2_uri_free(u);
        return HM_E_INVALID;
    }
    *out = u;
    return HM_OK;
}

void
tpm2_uri_free(struct tpm2_uri *u)
{
    if (u == NULL) {
        return;
    }
    free(u->tcti);
    free(u->auth_source);
    free(u->owner_auth_source);
    free(u->endorsement_auth_source);
    free(u->key_dir);
    free(u->blob);
    free(u);
}

hm_err
tpm2_uri_format_blob(const char *path, char **out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(path);
    char *s = NULL, *o;

    *out = NULL;
    if (n > TPM2_PATH_MAX || (s = malloc(sizeof("tpm2:blob=") + 3 * n)) == NULL) {
        return n > TPM2_PATH_MAX ? HM_E_LIMIT : HM_E_NOMEM;
    }
    o = s + strlen(strcpy(s, "tpm2:blob="));
    for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++) {
        if (raw_ok(*p, false)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    *out = s;
    return HM_OK;
}

/*
 * http_parse.c: the request line and header fields of HTTP/1.1 (RFC 9112), strictly.
 *
 * Only what hallmarkd needs is kept: method, path, Content-Length, Transfer-Encoding,
 * Content-Type, Connection and Expect.  Anything ambiguous is refused rather than
 * guessed at, because two parsers that disagree about a message's length are how
 * request smuggling starts: two Content-Length fields, a Content-Length that is not
 * all digits, obsolete line folding, a bare LF, a space before the colon.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"

static bool
is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
refuse(struct hmd_http_head *h, int status, const char *why)
{
    h->why = why;
    return status;
}

static int
parse_request_line(const char *p, size_t n, struct hmd_http_head *h)
{
    size_t i = 0, m = 0;

    while (i < n && p[i] >= 'A' && p[i] <= 'Z' && m + 1 < sizeof(h->method)) {
        h->method[m++] = p[i++];
    }
    h->method[m] = '\0';
    if (m == 0 || i >= n || p[i] != ' ') {
        return refuse(h, 400, "malformed request line");
    }
    i++;
    size_t t0 = i;
    while (i < n && p[i] > 0x20 && p[i] < 0x7f) {
        i++;
    }
    size_t tlen = i - t0;
    if (tlen == 0 || p[t0] != '/') {
        return refuse(h, 400, "the request target must be an absolute path");
    }
    if (tlen > HMD_MAX_TARGET) {
        return refuse(h, 414, "request target too long");
    }
    size_t plen = tlen;
    const char *q = memchr(p + t0, '?', tlen);
    if (q != NULL) {
        plen = (size_t)(q - (p + t0));
    }
    memcpy(h->path, p + t0, plen);
    h->path[plen] = '\0';
    if (q != NULL) {
        memcpy(h->query, q + 1, tlen - plen - 1);
        h->query[tlen - plen - 1] = '\0';
    }
    if (i + 9 != n || p[i] != ' ' || memcmp(p + i + 1, "HTTP/1.", 7) != 0) {
        return refuse(h, 400, "malformed request line");
    }
    if (p[i + 8] == '1') {
        h->minor = 1;
    } else if (p[i + 8] == '0') {
        h->minor = 0;
    } else {
        return refuse(h, 505, "only HTTP/1.0 and HTTP/1.1 are served");
    }
    h->keep_alive = h->minor == 1;
    return 0;
}

/* The value with surrounding blanks removed. */
static void
trim(const char **v, size_t *n)
{
    while (*n > 0 && (**v == ' ' || **v == '\t')) {
        (*v)++;
        (*n)--;
    }
    while (*n > 0 && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t')) {
        (*n)--;
    }
}

static bool
has_token(const char *v, size_t n, const char *tok)
{
    size_t tl = strlen(tok);

    for (size_t i = 0; i + tl <= n; i++) {
        bool start = i == 0 || v[i - 1] == ',' || v[i - 1] == ' ' || v[i - 1] == '\t';
        bool end = i + tl == n || v[i + tl] == ',' || v[i + tl] == ' ' || v[i + tl] == '\t';
        if (start && end && strncasecmp(v + i, tok, tl) == 0) {
            return true;
        }
    }
    return false;
}

static int
parse_field(const char *name, size_t nn, const char *v, size_t vn, struct hmd_http_head *h)
{
    if (nn == 14 && strncasecmp(name, "content-length", nn) == 0) {
        uint64_t cl = 0;
        if (h->has_cl) {
            return refuse(h, 400, "more than one Content-Length");
        }
        if (vn == 0 || vn > 15) {
            return refuse(h, 400, "malformed Content-Length");
        }
        for (size_t i = 0; i < vn; i++) {
            if (v[i] < '0' || v[i] > '9') {
                return refuse(h, 400, "malformed Content-Length");
            }
            cl = cl * 10 + (uint64_t)(v[i] - '0');
        }
        h->has_cl = true;
        h->content_length = cl;
    } else if (nn == 17 && strncasecmp(name, "transfer-encoding", nn) == 0) {
        h->has_te = true;
    } else if (nn == 12 && strncasecmp(name, "content-type", nn) == 0) {
        if (h->has_ct || vn >= sizeof(h->content_type)) {
            return refuse(h, 400, "malformed Content-Type");
        }
        memcpy(h->content_type, v, vn);
        h->content_type[vn] = '\0';
        h->has_ct = true;
    } else if (nn == 13 && strncasecmp(name, "authorization", nn) == 0) {
        /* Only the Bearer scheme (RFC 6750); the token's syntax is the policy's to judge. */
        if (h->has_bearer || vn < 8 || strncasecmp(v, "bearer ", 7) != 0) {
            return refuse(h, 400, "Authorization must be one \"Bearer <token>\"");
        }
        if (vn - 7 > HMD_MAX_BEARER) {
            return refuse(h, 431, "the bearer token is too long");
        }
        memcpy(h->bearer, v + 7, vn - 7);
        h->bearer[vn - 7] = '\0';
        h->has_bearer = true;
    } else if (nn == 10 && strncasecmp(name, "connection", nn) == 0) {
        if (has_token(v, vn, "close")) {
            h->keep_alive = false;
        } else if (has_token(v, vn, "keep-alive")) {
            h->keep_alive = true;
        }
    } else if (nn == 6 && strncasecmp(name, "expect", nn) == 0) {
        if (vn != 12 || strncasecmp(v, "100-continue", 12) != 0) {
            return refuse(h, 417, "only Expect: 100-continue is understood");
        }
        h->expect_continue = h->minor == 1;
    }
    return 0;
}

static int
parse_header_line(const char *p, size_t n, struct hmd_http_head *h)
{
    size_t i = 0;

    if (n > 0 && (p[0] == ' ' || p[0] == '\t')) {
        return refuse(h, 400, "obsolete line folding");
    }
    while (i < n && is_tchar(p[i])) {
        i++;
    }
    if (i == 0 || i >= n || p[i] != ':') {
        return refuse(h, 400, "malformed header field");
    }
    const char *v = p + i + 1;
    size_t vn = n - i - 1;
    for (size_t k = 0; k < vn; k++) {
        unsigned char c = (unsigned char)v[k];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return refuse(h, 400, "control character in a header value");
        }
    }
    trim(&v, &vn);
    if (++h->n_headers > HMD_MAX_HEADERS) {
        return refuse(h, 431, "too many header fields");
    }
    return parse_field(p, i, v, vn, h);
}

int
hmd_http_parse_head(const char *buf, size_t len, struct hmd_http_head *h)
{
    size_t pos = 0;
    bool first = true;

    memset(h, 0, sizeof(*h));
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (nl == NULL) {
            return refuse(h, 400, "header block not terminated");
        }
        size_t end = (size_t)(nl - buf);
        if (end == pos || buf[end - 1] != '\r') {
            return refuse(h, 400, "bare LF in the header block");
        }
        size_t n = end - 1 - pos;
        if (memchr(buf + pos, '\0', n) != NULL || memchr(buf + pos, '\r', n) != NULL) {
            return refuse(h, 400, "NUL or CR inside a header line");
        }
        if (n == 0) {
            return first ? refuse(h, 400, "empty request line") : 0;
        }
        int st = first ? parse_request_line(buf + pos, n, h) : parse_header_line(buf + pos, n, h);
        if (st != 0) {
            return st;
        }
        first = false;
        pos = end + 1;
    }
    return refuse(h, 400, "header block not terminated");
}

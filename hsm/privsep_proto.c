/*
 * privsep_proto.c: the helper protocol (hm/privsep.h): framing, encoders and the one
 * strict parser both sides use.  Every length is checked against the bytes left and a
 * fixed cap before anything is read; a trailing byte is an error, so each message has
 * exactly one encoding.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "privsep_int.h"

struct rd {
    const uint8_t *p;
    size_t left;
    bool bad;
};

static bool
rd_bytes(struct rd *r, size_t n, const uint8_t **out)
{
    if (r->bad || n > r->left) {
        r->bad = true;
        return false;
    }
    *out = r->p;
    r->p += n;
    r->left -= n;
    return true;
}

static bool
rd_u16(struct rd *r, size_t *out)
{
    const uint8_t *b = NULL;

    if (!rd_bytes(r, 2, &b)) {
        return false;
    }
    *out = ((size_t)b[0] << 8) | b[1];
    return true;
}

static bool
rd_u32(struct rd *r, uint32_t *out)
{
    const uint8_t *b = NULL;

    if (!rd_bytes(r, 4, &b)) {
        return false;
    }
    *out = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
    return true;
}

/* A u16-prefixed field of at most max bytes. */
static hm_err
rd_field(struct rd *r, size_t max, const uint8_t **p, size_t *n, const char **reason)
{
    if (!rd_u16(r, n)) {
        *reason = "truncated message";
        return HM_E_INVALID;
    }
    if (*n > max) {
        *reason = "field too long";
        return HM_E_LIMIT;
    }
    if (!rd_bytes(r, *n, p)) {
        *reason = "truncated message";
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
parse_sign(struct rd *r, struct hm_ps_msg *m, const char **reason)
{
    uint32_t n = 0;

    if (!rd_bytes(r, HM_PS_KEYID_LEN, &m->key_id) || !rd_u32(r, &n)) {
        *reason = "truncated message";
        return HM_E_INVALID;
    }
    if (n == 0) {
        *reason = "zero-length input";
        return HM_E_INVALID;
    }
    if (n > HM_PS_MAX_INPUT) {
        *reason = "input too long";
        return HM_E_LIMIT;
    }
    if (!rd_bytes(r, n, &m->data)) {
        *reason = "truncated message";
        return HM_E_INVALID;
    }
    m->data_len = n;
    return HM_OK;
}

static hm_err
parse_key(struct rd *r, struct hm_ps_key *k, const char **reason)
{
    const uint8_t *a = NULL;
    hm_err err;

    if (!rd_bytes(r, 1, &a)) {
        *reason = "truncated message";
        return HM_E_INVALID;
    }
    k->alg = a[0];
    if (k->alg < HM_KEY_EC_P256 || k->alg > HM_KEY_RSA3072_PSS) {
        *reason = "bad algorithm";
        return HM_E_INVALID;
    }
    if ((err = rd_field(r, HM_PS_MAX_SPKI, &k->spki, &k->spki_len, reason)) != HM_OK ||
        (err = rd_field(r, HM_PS_MAX_LABEL, &k->label, &k->label_len, reason)) != HM_OK ||
        (err = rd_field(r, HM_PS_MAX_CKID, &k->ckid, &k->ckid_len, reason)) != HM_OK ||
        (err = rd_field(r, HM_PS_MAX_URI, &k->uri, &k->uri_len, reason)) != HM_OK) {
        return err;
    }
    if (k->spki_len == 0) {
        *reason = "empty SPKI";
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
parse_keys(struct rd *r, struct hm_ps_msg *m, const char **reason)
{
    size_t n = 0;
    hm_err err;

    if (!rd_u16(r, &n)) {
        *reason = "truncated message";
        return HM_E_INVALID;
    }
    if (n > HM_PS_MAX_KEYS) {
        *reason = "too many keys";
        return HM_E_LIMIT;
    }
    if (n > 0 && (m->keys = calloc(n, sizeof(*m->keys))) == NULL) {
        return HM_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if ((err = parse_key(r, &m->keys[i], reason)) != HM_OK) {
            return err;
        }
        m->n_keys = i + 1;
    }
    return HM_OK;
}

static hm_err
parse_reply(struct rd *r, struct hm_ps_msg *m, const char **reason)
{
    size_t n = 0;

    switch (m->type) {
    case HM_PS_KEYS:
        return parse_keys(r, m, reason);
    case HM_PS_SIG:
        if (!rd_u16(r, &n)) {
            *reason = "truncated message";
            return HM_E_INVALID;
        }
        if (n == 0 || n > HM_PS_MAX_SIG) {
            *reason = n == 0 ? "zero-length input" : "signature too long";
            return n == 0 ? HM_E_INVALID : HM_E_LIMIT;
        }
        if (!rd_bytes(r, n, &m->data)) {
            *reason = "truncated message";
            return HM_E_INVALID;
        }
        m->data_len = n;
        return HM_OK;
    case HM_PS_ERR:
        if (!rd_u32(r, &m->err)) {
            *reason = "truncated message";
            return HM_E_INVALID;
        }
        if (m->err == HM_OK || m->err > HM_E_CONFLICT) {
            *reason = "bad error code";
            return HM_E_INVALID;
        }
        return HM_OK;
    default:
        *reason = "unknown message type";
        return HM_E_INVALID;
    }
}

hm_err
hm_ps_parse(const uint8_t *body, size_t len, bool requests, struct hm_ps_msg *out,
            const char **reason)
{
    struct rd r = { body, len, false };
    hm_err err = HM_OK;

    memset(out, 0, sizeof(*out));
    *reason = "ok";
    if (body == NULL || len == 0) {
        *reason = "empty message";
        return HM_E_INVALID;
    }
    out->type = body[0];
    r.p++;
    r.left--;
    if (requests && out->type == HM_PS_LIST) {
        err = HM_OK;
    } else if (requests && out->type == HM_PS_SIGN) {
        err = parse_sign(&r, out, reason);
    } else if (requests) {
        *reason = "unknown message type";
        err = HM_E_INVALID;
    } else {
        err = parse_reply(&r, out, reason);
    }
    if (err == HM_OK && r.left != 0) {
        *reason = "trailing bytes";
        err = HM_E_INVALID;
    }
    if (err != HM_OK) {
        hm_ps_msg_clear(out);
    }
    return err;
}

void
hm_ps_msg_clear(struct hm_ps_msg *m)
{
    if (m != NULL) {
        free(m->keys);
        memset(m, 0, sizeof(*m));
    }
}

static hm_err
read_full(int fd, uint8_t *p, size_t n, bool *eof)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            if (r == 0 && got == 0 && eof != NULL) {
                *eof = true;
            }
            return HM_E_IO;
        }
        got += (size_t)r;
    }
    return HM_OK;
}

hm_err
hm_ps_read_frame(int fd, size_t max, uint8_t **body, size_t *len, bool *eof)
{
    uint8_t hdr[4];
    uint8_t *b = NULL;
    size_t n;
    hm_err err;

    *body = NULL;
    *len = 0;
    if (eof != NULL) {
        *eof = false;
    }
    if ((err = read_full(fd, hdr, 4, eof)) != HM_OK) {
        return err;
    }
    n = ((size_t)hdr[0] << 24) | ((size_t)hdr[1] << 16) | ((size_t)hdr[2] << 8) | hdr[3];
    if (n == 0) {
        return HM_E_INVALID;
    }
    if (n > max) {
        return HM_E_LIMIT;
    }
    if ((b = malloc(n)) == NULL) {
        return HM_E_NOMEM;
    }
    if ((err = read_full(fd, b, n, NULL)) != HM_OK) {
        free(b);
        return err;
    }
    *body = b;
    *len = n;
    return HM_OK;
}

hm_err
hm_ps_write_frame(int fd, const uint8_t *body, size_t len)
{
    uint8_t hdr[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                       (uint8_t)len };
    struct iovec_like {
        const uint8_t *p;
        size_t n;
    } parts[2] = { { hdr, 4 }, { body, len } };

    if (len == 0 || len > HM_PS_MAX_FRAME) {
        return HM_E_INVALID;
    }
    for (size_t i = 0; i < 2; i++) {
        size_t off = 0;
        while (off < parts[i].n) {
            /* send, not write: a dead peer gives EPIPE, never SIGPIPE */
            ssize_t w = send(fd, parts[i].p + off, parts[i].n - off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR) {
                continue;
            }
            if (w <= 0) {
                return HM_E_IO;
            }
            off += (size_t)w;
        }
    }
    return HM_OK;
}

static void
put_u16(struct hm_buf *b, size_t v)
{
    uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    hm_buf_append(b, x, 2);
}

static void
put_u32(struct hm_buf *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    hm_buf_append(b, x, 4);
}

void
hm_ps_put_sign(struct hm_buf *b, const uint8_t key_id[HM_PS_KEYID_LEN], const uint8_t *in,
               size_t len)
{
    uint8_t t = HM_PS_SIGN;

    hm_buf_append(b, &t, 1);
    hm_buf_append(b, key_id, HM_PS_KEYID_LEN);
    put_u32(b, (uint32_t)len);
    hm_buf_append(b, in, len);
}

void
hm_ps_put_sig(struct hm_buf *b, const uint8_t *sig, size_t len)
{
    uint8_t t = HM_PS_SIG;

    hm_buf_append(b, &t, 1);
    put_u16(b, len);
    hm_buf_append(b, sig, len);
}

void
hm_ps_put_err(struct hm_buf *b, hm_err err)
{
    uint8_t t = HM_PS_ERR;

    hm_buf_append(b, &t, 1);
    put_u32(b, (uint32_t)err);
}

void
hm_ps_put_key(struct hm_buf *b, uint8_t alg, const uint8_t *spki, size_t spki_len,
              const char *label, const uint8_t *ckid, size_t ckid_len, const char *uri)
{
    size_t ll = strlen(label), ul = strlen(uri);

    hm_buf_append(b, &alg, 1);
    put_u16(b, spki_len);
    hm_buf_append(b, spki, spki_len);
    put_u16(b, ll);
    hm_buf_append(b, label, ll);
    put_u16(b, ckid_len);
    hm_buf_append(b, ckid, ckid_len);
    put_u16(b, ul);
    hm_buf_append(b, uri, ul);
}

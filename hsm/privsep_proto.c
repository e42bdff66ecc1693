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

bool
ps_printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x20 || p[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

static bool
rd_u64(struct rd *r, uint64_t *out)
{
    const uint8_t *b = NULL;

    if (!rd_bytes(r, 8, &b)) {
        return false;
    }
    *out = 0;
    for (size_t i = 0; i < 8; i++) {
        *out = (*out << 8) | b[i];
    }
    return true;
}

/* A u16-prefixed token or module text into dst[HM_KEYATT_TEXT_MAX + 1]: printable ASCII
 * only, as hm_key_attest makes it (the predicate carries these bytes). */
static hm_err
rd_text(struct rd *r, char *dst, const char **reason)
{
    const uint8_t *p = NULL;
    size_t n = 0;
    hm_err err;

    if ((err = rd_field(r, HM_KEYATT_TEXT_MAX, &p, &n, reason)) != HM_OK) {
        return err;
    }
    if (!ps_printable(p, n)) {
        *reason = "bad evidence text";
        return HM_E_INVALID;
    }
    memcpy(dst, p, n);
    dst[n] = '\0';
    return HM_OK;
}

#define EV_FLAGS_ALL 0x3fu

/* The PKCS#11 evidence of one key (hm/privsep.h): every flag bit and byte accounted for. */
static hm_err
parse_p11_ev(struct rd *r, struct hm_keyatt_pkcs11 *e, const char **reason)
{
    const uint8_t *f = NULL, *v = NULL;
    char *texts[6] = { e->token_label, e->manufacturer,        e->model,
                       e->serial,      e->library_description, e->library_manufacturer };
    hm_err err;

    if (!rd_bytes(r, 1, &f) || !rd_u64(r, &e->key_gen_mechanism) || !rd_bytes(r, 8, &v)) {
        *reason = "truncated message";
        return HM_E_INVALID;
    }
    if ((f[0] & ~EV_FLAGS_ALL) != 0 || ((f[0] & 0x20u) == 0 && e->key_gen_mechanism != 0)) {
        *reason = "bad evidence flags";
        return HM_E_INVALID;
    }
    e->sensitive = (f[0] & 0x01u) != 0;
    e->always_sensitive = (f[0] & 0x02u) != 0;
    e->extractable = (f[0] & 0x04u) != 0;
    e->never_extractable = (f[0] & 0x08u) != 0;
    e->local = (f[0] & 0x10u) != 0;
    e->has_key_gen_mechanism = (f[0] & 0x20u) != 0;
    e->firmware_major = v[0];
    e->firmware_minor = v[1];
    e->hardware_major = v[2];
    e->hardware_minor = v[3];
    e->library_major = v[4];
    e->library_minor = v[5];
    e->cryptoki_major = v[6];
    e->cryptoki_minor = v[7];
    for (size_t i = 0; i < 6; i++) {
        if ((err = rd_text(r, texts[i], reason)) != HM_OK) {
            return err;
        }
    }
    return HM_OK;
}

static hm_err
parse_ev(struct rd *r, struct hm_ps_key *k, const char **reason)
{
    const uint8_t *t = NULL;

    if (!rd_bytes(r, 1, &t)) {
        *reason = "truncated message";
        return HM_E_INVALID;
    }
    k->ev = t[0];
    if (k->ev == HM_PS_EV_NONE) {
        return HM_OK;
    }
    if (k->ev != HM_PS_EV_PKCS11) {
        *reason = "bad evidence type";
        return HM_E_INVALID;
    }
    return parse_p11_ev(r, &k->p11, reason);
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
    return parse_ev(r, k, reason);
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

static void
put_text(struct hm_buf *b, const char *t)
{
    size_t n = strnlen(t, HM_KEYATT_TEXT_MAX);

    put_u16(b, n);
    hm_buf_append(b, t, n);
}

static void
put_p11_ev(struct hm_buf *b, const struct hm_keyatt_pkcs11 *e)
{
    uint8_t f = (uint8_t)((e->sensitive ? 0x01u : 0) | (e->always_sensitive ? 0x02u : 0) |
                          (e->extractable ? 0x04u : 0) | (e->never_extractable ? 0x08u : 0) |
                          (e->local ? 0x10u : 0) | (e->has_key_gen_mechanism ? 0x20u : 0));
    uint64_t mech = e->has_key_gen_mechanism ? e->key_gen_mechanism : 0;
    uint8_t m[8],
        v[8] = { e->firmware_major, e->firmware_minor, e->hardware_major, e->hardware_minor,
                 e->library_major,  e->library_minor,  e->cryptoki_major, e->cryptoki_minor };

    for (size_t i = 0; i < 8; i++) {
        m[i] = (uint8_t)(mech >> (56 - 8 * i));
    }
    hm_buf_append(b, &f, 1);
    hm_buf_append(b, m, 8);
    hm_buf_append(b, v, 8);
    put_text(b, e->token_label);
    put_text(b, e->manufacturer);
    put_text(b, e->model);
    put_text(b, e->serial);
    put_text(b, e->library_description);
    put_text(b, e->library_manufacturer);
}

void
hm_ps_put_key(struct hm_buf *b, uint8_t alg, const uint8_t *spki, size_t spki_len,
              const char *label, const uint8_t *ckid, size_t ckid_len, const char *uri,
              const struct hm_keyatt_pkcs11 *ev)
{
    size_t ll = strlen(label), ul = strlen(uri);
    uint8_t t = ev != NULL ? HM_PS_EV_PKCS11 : HM_PS_EV_NONE;

    hm_buf_append(b, &alg, 1);
    put_u16(b, spki_len);
    hm_buf_append(b, spki, spki_len);
    put_u16(b, ll);
    hm_buf_append(b, label, ll);
    put_u16(b, ckid_len);
    hm_buf_append(b, ckid, ckid_len);
    put_u16(b, ul);
    hm_buf_append(b, uri, ul);
    hm_buf_append(b, &t, 1);
    if (ev != NULL) {
        put_p11_ev(b, ev);
    }
}

/* buf.c: a growable byte buffer with a hard cap and a sticky error. */
#include <hm/common.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
hm_buf_init(struct hm_buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max == 0 ? HM_BUF_DEFAULT_MAX : max;
}

static bool
buf_reserve(struct hm_buf *b, size_t extra)
{
    size_t need, ncap;
    uint8_t *nd;

    if (b->failed) {
        return false;
    }
    if (extra > b->max || b->len > b->max - extra) {
        b->failed = true;
        b->err = HM_E_LIMIT;
        return false;
    }
    need = b->len + extra + 1;
    if (need <= b->cap) {
        return true;
    }
    ncap = b->cap == 0 ? 256 : b->cap;
    while (ncap < need) {
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    }
    if ((nd = realloc(b->data, ncap)) == NULL) {
        b->failed = true;
        b->err = HM_E_NOMEM;
        return false;
    }
    b->data = nd;
    b->cap = ncap;
    return true;
}

void
hm_buf_append(struct hm_buf *b, const void *p, size_t n)
{
    if (!buf_reserve(b, n)) {
        return;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
}

void
hm_buf_puts(struct hm_buf *b, const char *s)
{
    hm_buf_append(b, s, strlen(s));
}

void
hm_buf_printf(struct hm_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        b->err = HM_E_INTERNAL;
        return;
    }
    if (!buf_reserve(b, (size_t)n)) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

hm_err
hm_buf_status(const struct hm_buf *b)
{
    return b->failed ? b->err : HM_OK;
}

uint8_t *
hm_buf_steal(struct hm_buf *b, size_t *len)
{
    uint8_t *d = b->data;

    if (d == NULL && (d = calloc(1, 1)) == NULL) {
        return NULL;
    }
    if (len != NULL) {
        *len = b->len;
    }
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

void
hm_buf_free(struct hm_buf *b)
{
    if (b == NULL) {
        return;
    }
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/*
 * page.c: GET /, a read-only HTML page for people (issue 8): the signer's keys with their
 * attestations, the recent transparency-log entries and the steward attestations among
 * them, each in plain words with the checks that passed, computed on the server with
 * libhallmark-verify (page_checks.c).
 *
 * The page is served like every route: over TLS with a client certificate (the daemon's
 * mTLS is not relaxed for it; docs/steward-attestation.md "The page" says how to show it
 * in a browser).  It is static HTML with no script and no external asset, and it is sent
 * with a strict Content-Security-Policy (page_html.c).  Log entries are attacker-influenced:
 * every value is HTML-escaped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hmd.h"
#include "page_int.h"

struct page_walk {
    struct hm_buf *log, *stewards;
    const struct page_keyset *ks;
    int64_t now;
    size_t n, n_stewards;
};

static hm_err
on_entry(void *ctx, uint64_t index, const uint8_t *leaf, size_t leaf_len, const char *bundle,
         size_t bundle_len)
{
    struct page_walk *w = ctx;
    size_t before = w->stewards->len;

    page_entry(w->log, w->stewards, index, leaf, leaf_len, bundle, bundle_len, w->ks, w->now);
    w->n++;
    w->n_stewards += w->stewards->len != before;
    return hm_buf_status(w->log);
}

static void
page_log(struct hm_buf *b, const struct page_keyset *ks, int64_t now)
{
    struct hm_buf log, stewards;
    struct page_walk w = { &log, &stewards, ks, now, 0, 0 };
    hm_err rc;

    hm_buf_init(&log, 0);
    hm_buf_init(&stewards, 0);
    rc = hmd_log_recent(PAGE_MAX_ENTRIES, on_entry, &w);
    hm_buf_puts(b, "<h2 id=\"stewards\">Steward attestations</h2>\n");
    if (w.n_stewards == 0) {
        hm_buf_puts(b, "<p class=\"empty\">No steward attestation among the recent log "
                       "entries.</p>\n");
    } else {
        hm_buf_append(b, stewards.data, stewards.len);
    }
    hm_buf_printf(b, "<h2 id=\"log\">Recent transparency-log entries</h2>\n");
    if (rc != HM_OK) {
        hm_buf_printf(b, "<p class=\"empty\">The transparency log cannot be read now (%s).</p>\n",
                      hm_strerror(rc));
    } else if (w.n == 0) {
        hm_buf_puts(b, "<p class=\"empty\">The log is empty.</p>\n");
    } else {
        hm_buf_printf(b, "<p class=\"lead\">The %zu newest entries, newest first.</p>\n", w.n);
        hm_buf_append(b, log.data, log.len);
    }
    hm_buf_free(&log);
    hm_buf_free(&stewards);
}

void
hmd_page_handle(const struct hmd_call *call, struct hmd_reply *out)
{
    struct page_keyset *ks = calloc(1, sizeof(*ks));
    int64_t now = (int64_t)time(NULL);
    struct hm_buf b;
    size_t len = 0;

    if (ks == NULL) {
        hmd_reply_error(out, 500, "internal", "out of memory");
        return;
    }
    hm_buf_init(&b, (size_t)8 << 20);
    page_open(&b, "Hallmark signer");
    hm_buf_puts(&b, "<p class=\"lead\">What this signer holds and has signed, read-only. Every "
                    "check below was computed by this server with libhallmark-verify, the "
                    "library devices use; verify for yourself with <code>hallmark "
                    "verify</code>. Generated ");
    page_time(&b, now);
    hm_buf_puts(&b, ".</p>\n");
    page_keys(&b, call->gen->keys_json, now, ks);
    page_log(&b, ks, now);
    page_close(&b);
    free(ks);
    if (hm_buf_status(&b) != HM_OK) {
        hm_buf_free(&b);
        hmd_reply_error(out, 500, "internal", "the page is too large or memory ran out");
        return;
    }
    char *body = (char *)hm_buf_steal(&b, &len);
    hmd_reply_json(out, 200, body, len);
    out->content_type = "text/html; charset=utf-8";
    out->headers = page_headers();
    hm_buf_free(&b);
}

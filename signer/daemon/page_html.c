/*
 * page_html.c: the page's markup helpers, its style and its security headers.
 *
 * No external asset, no script.  The style is one inline <style> element whose SHA-256 is
 * in the Content-Security-Policy ("style-src 'sha256-...'"), computed here from the very
 * bytes sent, so that the two cannot drift apart.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_int.h"

static const char page_css[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:70em;padding:1em 2em;"
    "color:#1c1c1c;background:#fafafa}"
    "h1{font-size:1.6em;margin:.3em 0}h2{font-size:1.25em;margin-top:1.6em;"
    "border-bottom:2px solid #2b5d8a;padding-bottom:.2em}"
    "p.lead{color:#444}"
    "section.card{background:#fff;border:1px solid #d5d5d5;border-radius:6px;padding:.6em 1em;"
    "margin:.7em 0}"
    "section.card h3{font-size:1.05em;margin:.2em 0 .4em}"
    "ul.checks{list-style:none;padding-left:0;margin:.3em 0}"
    "ul.checks li{margin:.15em 0}"
    "li.ok b{color:#17692e}li.fail b{color:#b3261e}li.skip b{color:#6b6b6b}"
    "code{font:13px ui-monospace,monospace;word-break:break-all}"
    "p.empty{color:#6b6b6b;font-style:italic}";

static pthread_once_t headers_once = PTHREAD_ONCE_INIT;
static char headers[768];

static void
headers_build(void)
{
    uint8_t digest[HM_SHA256_LEN];
    char *b64 = NULL;

    hm_sha256(page_css, strlen(page_css), digest);
    if (hm_b64_encode(digest, sizeof(digest), &b64) != HM_OK) {
        b64 = NULL; /* then no style is allowed: the page still reads, unstyled */
    }
    (void)snprintf(headers, sizeof(headers),
                   "Content-Security-Policy: default-src 'none'; style-src 'sha256-%s'; "
                   "img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'; "
                   "frame-ancestors 'none'\r\n"
                   "X-Frame-Options: DENY\r\n"
                   "Referrer-Policy: no-referrer\r\n"
                   "Cross-Origin-Opener-Policy: same-origin\r\n"
                   "Cross-Origin-Resource-Policy: same-origin\r\n",
                   b64 != NULL ? b64 : "none");
    free(b64);
}

const char *
page_headers(void)
{
    (void)pthread_once(&headers_once, headers_build);
    return headers;
}

void
page_esc(struct hm_buf *b, const char *s)
{
    size_t run = 0, i = 0;

    if (s == NULL) {
        return;
    }
    for (i = 0; s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;

        switch (c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            rep = c < 0x20 || c == 0x7f ? "\xEF\xBF\xBD" : NULL;
        }
        if (rep != NULL) {
            hm_buf_append(b, s + run, i - run);
            hm_buf_puts(b, rep);
            run = i + 1;
        }
    }
    hm_buf_append(b, s + run, i - run);
}

void
page_open(struct hm_buf *b, const char *title)
{
    hm_buf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width\">"
                   "<meta name=\"referrer\" content=\"no-referrer\"><title>");
    page_esc(b, title);
    hm_buf_puts(b, "</title><style>");
    hm_buf_puts(b, page_css);
    hm_buf_puts(b, "</style></head>\n<body><h1>");
    page_esc(b, title);
    hm_buf_puts(b, "</h1>\n");
}

void
page_close(struct hm_buf *b)
{
    hm_buf_puts(b, "</body></html>\n");
}

void
page_check(struct hm_buf *b, enum page_verdict v, const char *what, const char *detail)
{
    static const char *const cls[] = { "ok", "fail", "skip" };
    static const char *const word[] = { "passed", "FAILED", "not checked" };

    hm_buf_printf(b, "<li class=\"%s\"><b>%s</b> ", cls[v], word[v]);
    page_esc(b, what);
    if (detail != NULL && detail[0] != '\0') {
        hm_buf_puts(b, ": ");
        page_esc(b, detail);
    }
    hm_buf_puts(b, "</li>\n");
}

void
page_time(struct hm_buf *b, int64_t t)
{
    char s[32];

    hm_time_rfc3339(t, s);
    if (strlen(s) == 20) { /* "YYYY-MM-DDTHH:MM:SSZ" -> "YYYY-MM-DD HH:MM:SS UTC" */
        s[10] = ' ';
        s[19] = '\0';
        hm_buf_printf(b, "%s UTC", s);
    } else {
        page_esc(b, s);
    }
}

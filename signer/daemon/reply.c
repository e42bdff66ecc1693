/*
 * reply.c: JSON replies and errors, and the one log line per request.
 *
 * Every error is {"error": code, "message": text} (plus "reasons" where a list helps).
 * The log line names who asked for what and the outcome; it never holds a PIN, a
 * token, a request body or key material.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sign_int.h"

static bool access_json;
static bool access_on = true;

uint64_t
hmd_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *
hmd_status_text(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

void
hmd_json_quote(struct hm_buf *b, const char *s)
{
    hm_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = { '\\', (char)*p };
            hm_buf_append(b, esc, 2);
        } else if (*p == '\n') {
            hm_buf_append(b, "\\n", 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            hm_buf_printf(b, "\\u%04x", *p);
        } else {
            hm_buf_append(b, p, 1);
        }
    }
    hm_buf_append(b, "\"", 1);
}

void
hmd_reply_reset(struct hmd_reply *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

void
hmd_reply_json(struct hmd_reply *r, int status, char *body, size_t len)
{
    free(r->body);
    r->status = status;
    r->body = body;
    r->body_len = len;
    r->content_type = NULL;
}

/* Last resort when even an error body cannot be allocated. */
static void
reply_static(struct hmd_reply *r, int status)
{
    r->status = status;
    r->body = NULL;
    r->body_len = 0;
}

void
hmd_reply_error_reasons(struct hmd_reply *r, int status, const char *code, const char *msg,
                        const char *const *reasons, size_t n)
{
    struct hm_buf b;
    size_t len = 0;

    hm_buf_init(&b, 0);
    hm_buf_puts(&b, "{\"error\":");
    hmd_json_quote(&b, code);
    hm_buf_puts(&b, ",\"message\":");
    hmd_json_quote(&b, msg);
    if (n > 0) {
        hm_buf_puts(&b, ",\"reasons\":[");
        for (size_t i = 0; i < n; i++) {
            hm_buf_puts(&b, i > 0 ? "," : "");
            hmd_json_quote(&b, reasons[i]);
        }
        hm_buf_puts(&b, "]");
    }
    hm_buf_puts(&b, "}\n");
    free(r->body);
    r->body = NULL;
    if (hm_buf_status(&b) != HM_OK) {
        hm_buf_free(&b);
        reply_static(r, status);
        return;
    }
    r->body = (char *)hm_buf_steal(&b, &len);
    r->body_len = len;
    r->status = status;
    r->content_type = NULL;
    hm_buf_free(&b);
}

void
hmd_reply_error(struct hmd_reply *r, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    hmd_reply_error_reasons(r, status, code, msg, NULL, 0);
}

void
hmd_access_log_config(bool json, bool enabled)
{
    access_json = json;
    access_on = enabled;
}

void
hmd_access_log(const char *client, const char *method, const char *path, int status,
               const char *product, const char *version, uint64_t duration_ns)
{
    struct hm_buf b;
    char ts[32];
    struct timespec now;
    struct tm tm;
    double ms = (double)duration_ns / 1e6;

    if (!access_on) {
        return;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    hm_buf_init(&b, 8192);
    if (access_json) {
        hm_buf_printf(&b,
                      "{\"time\":\"%s.%03ldZ\",\"level\":\"info\",\"msg\":\"request\","
                      "\"client\":",
                      ts, now.tv_nsec / 1000000);
        hmd_json_quote(&b, client);
        hm_buf_puts(&b, ",\"method\":");
        hmd_json_quote(&b, method);
        hm_buf_puts(&b, ",\"route\":");
        hmd_json_quote(&b, path);
        hm_buf_printf(&b, ",\"status\":%d,\"product\":", status);
        if (product != NULL) {
            hmd_json_quote(&b, product);
        } else {
            hm_buf_puts(&b, "null");
        }
        hm_buf_puts(&b, ",\"version\":");
        if (version != NULL) {
            hmd_json_quote(&b, version);
        } else {
            hm_buf_puts(&b, "null");
        }
        hm_buf_printf(&b, ",\"duration_ms\":%.3f}\n", ms);
    } else {
        /* method and path passed the HTTP parser (A-Z; printable, no spaces); client,
         * product and version are quoted so that no value can forge a field */
        hm_buf_printf(&b, "%s.%03ldZ info: request %s %s status=%d client=", ts,
                      now.tv_nsec / 1000000, method, path, status);
        hmd_json_quote(&b, client);
        hm_buf_puts(&b, " product=");
        hmd_json_quote(&b, product != NULL ? product : "-");
        hm_buf_puts(&b, " version=");
        hmd_json_quote(&b, version != NULL ? version : "-");
        hm_buf_printf(&b, " duration_ms=%.3f\n", ms);
    }
    if (hm_buf_status(&b) == HM_OK) {
        /* one write(2): lines from several threads never interleave */
        ssize_t w = write(STDERR_FILENO, b.data, b.len);
        (void)w;
    }
    hm_buf_free(&b);
}

void
hmd_reply_add_offset(struct hmd_reply *r, size_t offset)
{
    struct hm_buf b;
    size_t len = 0;

    /* the error body ends in "}\n": put the member before the brace */
    if (r->body == NULL || r->body_len < 2 || r->body[r->body_len - 2] != '}') {
        return;
    }
    hm_buf_init(&b, 0);
    hm_buf_append(&b, r->body, r->body_len - 2);
    hm_buf_printf(&b, ",\"offset\":%zu}\n", offset);
    if (hm_buf_status(&b) == HM_OK) {
        free(r->body);
        r->body = (char *)hm_buf_steal(&b, &len);
        r->body_len = len;
    }
    hm_buf_free(&b);
}

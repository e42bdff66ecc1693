/*
 * log.c: one line per event on stderr, text or JSON.  Callers never pass secrets; the
 * JSON form escapes everything so a hostile value cannot forge a log line.
 */
#include <hm/common.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum hm_log_level log_level = HM_LOG_INFO;
static bool log_json = false;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void
hm_log_set_level(enum hm_log_level level)
{
    log_level = level;
}

void
hm_log_set_json(bool json)
{
    log_json = json;
}

static const char *
level_name(enum hm_log_level level)
{
    switch (level) {
    case HM_LOG_ERROR:
        return "error";
    case HM_LOG_WARN:
        return "warn";
    case HM_LOG_INFO:
        return "info";
    case HM_LOG_DEBUG:
        return "debug";
    }
    return "info";
}

/* Replaces control characters so that one event stays one line. */
static void
sanitise(char *msg, bool json, char *out, size_t outlen)
{
    size_t o = 0;

    for (const unsigned char *p = (const unsigned char *)msg; *p != '\0' && o + 7 < outlen; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            o += (size_t)snprintf(out + o, outlen - o, "\\u%04x", *p);
        } else if (json && (*p == '"' || *p == '\\')) {
            out[o++] = '\\';
            out[o++] = (char)*p;
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o] = '\0';
}

void
hm_log(enum hm_log_level level, const char *fmt, ...)
{
    char msg[2048], clean[4096], ts[32];
    struct timespec now;
    struct tm tm;
    va_list ap;

    if (level > log_level) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sanitise(msg, log_json, clean, sizeof(clean));
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    pthread_mutex_lock(&log_lock);
    if (log_json) {
        fprintf(stderr, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"%s\"}\n", ts,
                now.tv_nsec / 1000000, level_name(level), clean);
    } else {
        fprintf(stderr, "%s.%03ldZ %s: %s\n", ts, now.tv_nsec / 1000000, level_name(level), clean);
    }
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}

/*
 * policy_util.c: small helpers of the policy engine: JSON paths for error messages,
 * name checks, calendar arithmetic for the support period.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

void
pol_path_init(struct pol_path *p)
{
    p->s[0] = '$';
    p->s[1] = '\0';
    p->len = 1;
}

static size_t path_append(struct pol_path *p, const char *fmt, ...) HM_PRINTF(2, 3);

static size_t
path_append(struct pol_path *p, const char *fmt, ...)
{
    size_t old = p->len;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(p->s + p->len, sizeof(p->s) - p->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(p->s) - p->len) {
        /* Too deep to name exactly: keep what fits, marked as cut. */
        memcpy(p->s + sizeof(p->s) - 4, "...", 4);
        p->len = sizeof(p->s) - 1;
        return old;
    }
    p->len += (size_t)n;
    return old;
}

size_t
pol_path_key(struct pol_path *p, const char *key)
{
    return path_append(p, ".%s", key);
}

size_t
pol_path_idx(struct pol_path *p, size_t i)
{
    return path_append(p, "[%zu]", i);
}

void
pol_path_pop(struct pol_path *p, size_t len)
{
    if (len < sizeof(p->s)) {
        p->len = len;
        p->s[len] = '\0';
    }
}

hm_err
pol_fail(struct hm_policy_error *err, const struct pol_path *p, hm_err rc, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL) {
        return rc;
    }
    snprintf(err->path, sizeof(err->path), "%s", p != NULL ? p->s : "$");
    va_start(ap, fmt);
    (void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return rc;
}

bool
pol_is_name(const char *s)
{
    size_t len;

    if (s == NULL || (len = strnlen(s, POL_MAX_NAME + 1)) == 0 || len > POL_MAX_NAME) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (i > 0 && (c == '.' || c == '_' || c == '-'));
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool
pol_is_printable(const char *s, size_t max)
{
    size_t len;

    if (s == NULL || (len = strnlen(s, max + 1)) == 0 || len > max) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

char *
pol_strdup(const char *s)
{
    size_t len;
    char *copy;

    if (s == NULL) {
        return NULL;
    }
    len = strlen(s);
    if ((copy = malloc(len + 1)) != NULL) {
        memcpy(copy, s, len + 1);
    }
    return copy;
}

/* Howard Hinnant's civil-from-days and days-from-civil (public domain algorithms). */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    yoe = z - era * 146097;
    yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
    doy = z - era * 146097 - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static unsigned
month_days(int64_t y, unsigned m)
{
    static const unsigned len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : len[m - 1];
}

int64_t
pol_days_add_months(int64_t days, unsigned months)
{
    int64_t y, total;
    unsigned m, d;

    civil_from_days(days, &y, &m, &d);
    total = y * 12 + (int64_t)(m - 1) + months;
    y = total / 12;
    m = (unsigned)(total % 12) + 1;
    if (d > month_days(y, m)) {
        d = month_days(y, m); /* 31 Jan + 1 month = 28/29 Feb */
    }
    return days_from_civil(y, m, d);
}

void
pol_days_format(int64_t days, char out[16])
{
    int64_t y;
    unsigned m, d;

    civil_from_days(days, &y, &m, &d);
    snprintf(out, 16, "%04lld-%02u-%02u", (long long)y, m, d);
}

int64_t
pol_days_of(int64_t unix_seconds)
{
    return unix_seconds >= 0 ? unix_seconds / 86400 : -((-unix_seconds + 86399) / 86400);
}

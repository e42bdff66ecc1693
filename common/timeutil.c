/* timeutil.c: strict dates and RFC 3339 times, and overflow-checked sizes. */
#include <hm/common.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void
hm_time_rfc3339(int64_t unix_seconds, char out[32])
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(out, 32, "1970-01-01T00:00:00Z");
        return;
    }
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool
digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

static bool
valid_date(unsigned y, unsigned m, unsigned d)
{
    static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1) {
        return false;
    }
    return d <= mdays[m - 1] + (m == 2 && leap ? 1u : 0u);
}

hm_err
hm_date_parse(const char *s, int64_t *days_out)
{
    unsigned y, m, d;

    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) ||
        !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d) || !valid_date(y, m, d)) {
        return HM_E_INVALID;
    }
    *days_out = days_from_civil(y, m, d);
    return HM_OK;
}

hm_err
hm_time_parse_rfc3339(const char *s, int64_t *unix_out)
{
    unsigned y, mo, d, h, mi, se, oh = 0, om = 0;
    size_t len, i = 19;
    int64_t t;
    int sign = 0;

    if (s == NULL || (len = strlen(s)) < 20 || len > 40 || s[4] != '-' || s[7] != '-' ||
        (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' || !digits(s, 4, &y) ||
        !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) ||
        !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se) || !valid_date(y, mo, d) || h > 23 ||
        mi > 59 || se > 60) {
        return HM_E_INVALID;
    }
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        if (i == start || i - start > 9) {
            return HM_E_INVALID;
        }
    }
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
        sign = 0;
    } else if ((s[i] == '+' || s[i] == '-') && i + 6 == len && s[i + 3] == ':' &&
               digits(s + i + 1, 2, &oh) && digits(s + i + 4, 2, &om) && oh <= 23 && om <= 59) {
        sign = s[i] == '+' ? 1 : -1;
    } else {
        return HM_E_INVALID;
    }
    t = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 +
        (int64_t)(se == 60 ? 59 : se);
    t -= sign * ((int64_t)oh * 3600 + (int64_t)om * 60);
    *unix_out = t;
    return HM_OK;
}

hm_err
hm_size_mul(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) {
        return HM_E_LIMIT;
    }
    *out = a * b;
    return HM_OK;
}

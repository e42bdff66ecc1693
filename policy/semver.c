/*
 * semver.c: Semantic Versioning 2.0.0 (https://semver.org/spec/v2.0.0.html), strictly.
 *
 * The store's anti-rollback check rests on this ordering, so anything the spec does not
 * allow is refused rather than guessed at: a "v" prefix, leading zeros (spec item 2 for
 * the core, item 9 for numeric pre-release identifiers), empty identifiers, characters
 * outside [0-9A-Za-z-].  Two Hallmark-specific limits keep the values safe to carry
 * around: at most HM_SEMVER_MAX_LEN bytes, and major/minor/patch at most 2^53, so that
 * every number survives a round trip through a JSON double unchanged.
 */
#include <hm/policy.h>
#include <stdio.h>
#include <string.h>

#define SEMVER_MAX_CORE ((uint64_t)1 << 53)

struct semver {
    uint64_t core[3]; /* major, minor, patch */
    const char *pre;  /* pre-release identifiers without the '-', or NULL */
    size_t pre_len;
};

static void set_why(char *why, size_t why_len, const char *fmt, ...) HM_PRINTF(3, 4);

static void
set_why(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;

    if (why == NULL || why_len == 0) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_ident_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

static bool
all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i])) {
            return false;
        }
    }
    return true;
}

/* One of major, minor, patch at s[*pos]: digits, no leading zero, at most 2^53. */
static hm_err
parse_core_number(const char *s, size_t *pos, const char *name, uint64_t *out, char *why,
                  size_t why_len)
{
    size_t i = *pos;
    uint64_t v = 0;

    if (!is_digit(s[i])) {
        set_why(why, why_len, "%s version must start with a digit at offset %zu", name, i);
        return HM_E_INVALID;
    }
    if (s[i] == '0' && is_digit(s[i + 1])) {
        set_why(why, why_len, "%s version has a leading zero", name);
        return HM_E_INVALID;
    }
    for (; is_digit(s[i]); i++) {
        uint64_t d = (uint64_t)(s[i] - '0');

        if (v > (SEMVER_MAX_CORE - d) / 10) {
            set_why(why, why_len, "%s version is larger than 2^53", name);
            return HM_E_INVALID;
        }
        v = v * 10 + d;
    }
    *pos = i;
    *out = v;
    return HM_OK;
}

/* Dot-separated identifiers from s[*pos] up to '+' (pre-release) or the end (build).
 * Pre-release numeric identifiers must not have leading zeros; build ones may. */
static hm_err
parse_idents(const char *s, size_t *pos, bool pre, char *why, size_t why_len)
{
    const char *what = pre ? "pre-release" : "build metadata";
    size_t i = *pos;

    for (;;) {
        size_t start = i;

        while (is_ident_char(s[i])) {
            i++;
        }
        if (i == start && (s[i] == '.' || s[i] == '+' || s[i] == '\0')) {
            set_why(why, why_len, "empty %s identifier at offset %zu", what, i);
            return HM_E_INVALID;
        }
        if (i == start) {
            break; /* a character outside [0-9A-Za-z-]: reported below */
        }
        if (pre && s[start] == '0' && i - start > 1 && all_digits(s + start, i - start)) {
            set_why(why, why_len,
                    "numeric pre-release identifier with a leading zero at offset %zu", start);
            return HM_E_INVALID;
        }
        if (s[i] != '.') {
            break;
        }
        i++;
    }
    if (s[i] != '\0' && !(pre && s[i] == '+')) {
        set_why(why, why_len, "character 0x%02x at offset %zu is not allowed in %s",
                (unsigned)(unsigned char)s[i], i, what);
        return HM_E_INVALID;
    }
    *pos = i;
    return HM_OK;
}

static hm_err
semver_parse(const char *s, struct semver *out, char *why, size_t why_len)
{
    static const char *const names[3] = { "major", "minor", "patch" };
    size_t len;
    size_t pos = 0;
    hm_err err;

    memset(out, 0, sizeof(*out));
    set_why(why, why_len, "%s", "");
    if (s == NULL || s[0] == '\0') {
        set_why(why, why_len, "empty version");
        return HM_E_INVALID;
    }
    len = strnlen(s, HM_SEMVER_MAX_LEN + 1);
    if (len > HM_SEMVER_MAX_LEN) {
        set_why(why, why_len, "longer than %d bytes", HM_SEMVER_MAX_LEN);
        return HM_E_INVALID;
    }
    for (int i = 0; i < 3; i++) {
        if ((err = parse_core_number(s, &pos, names[i], &out->core[i], why, why_len)) != HM_OK) {
            return err;
        }
        if (i < 2 && s[pos++] != '.') {
            set_why(why, why_len, "expected MAJOR.MINOR.PATCH: no '.' after the %s version",
                    names[i]);
            return HM_E_INVALID;
        }
    }
    if (s[pos] == '-') {
        pos++;
        out->pre = s + pos;
        if ((err = parse_idents(s, &pos, true, why, why_len)) != HM_OK) {
            return err;
        }
        out->pre_len = (size_t)(s + pos - out->pre);
    }
    if (s[pos] == '+') {
        pos++;
        if ((err = parse_idents(s, &pos, false, why, why_len)) != HM_OK) {
            return err;
        }
    }
    if (s[pos] != '\0') {
        set_why(why, why_len, "character 0x%02x at offset %zu after the patch version",
                (unsigned)(unsigned char)s[pos], pos);
        return HM_E_INVALID;
    }
    return HM_OK;
}

static int
sign_of(int v)
{
    return (v > 0) - (v < 0);
}

/* Spec item 11.4: numeric identifiers compare as numbers and lower than alphanumeric
 * ones, alphanumeric ones compare lexically in ASCII order. */
static int
cmp_ident(const char *a, size_t alen, const char *b, size_t blen)
{
    bool anum = all_digits(a, alen);
    bool bnum = all_digits(b, blen);
    int c;

    if (anum && bnum) {
        /* no leading zeros (checked), so the longer number is the larger */
        if (alen != blen) {
            return alen < blen ? -1 : 1;
        }
        return sign_of(memcmp(a, b, alen));
    }
    if (anum != bnum) {
        return anum ? -1 : 1;
    }
    c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0) {
        return sign_of(c);
    }
    return alen == blen ? 0 : (alen < blen ? -1 : 1);
}

static size_t
ident_len(const char *p, const char *end)
{
    const char *dot = memchr(p, '.', (size_t)(end - p));

    return dot == NULL ? (size_t)(end - p) : (size_t)(dot - p);
}

static int
cmp_pre(const struct semver *a, const struct semver *b)
{
    const char *pa = a->pre;
    const char *pb = b->pre;
    const char *ea, *eb;

    /* 11.3: a version without pre-release has higher precedence than one with */
    if (a->pre == NULL || b->pre == NULL) {
        return (a->pre == NULL) - (b->pre == NULL);
    }
    ea = a->pre + a->pre_len; /* only now: NULL + 0 is undefined behaviour */
    eb = b->pre + b->pre_len;
    for (;;) {
        size_t la = ident_len(pa, ea);
        size_t lb = ident_len(pb, eb);
        int c = cmp_ident(pa, la, pb, lb);

        if (c != 0) {
            return c;
        }
        pa += la;
        pb += lb;
        if (pa == ea || pb == eb) {
            /* 11.4.4: the larger set of fields wins when all before are equal */
            return (pa != ea) - (pb != eb);
        }
        pa++; /* the dots */
        pb++;
    }
}

hm_err
hm_semver_check(const char *s, char *why, size_t why_len)
{
    struct semver v;

    return semver_parse(s, &v, why, why_len);
}

hm_err
hm_semver_cmp(const char *a, const char *b, int *out)
{
    struct semver va;
    struct semver vb;

    *out = 0;
    if (semver_parse(a, &va, NULL, 0) != HM_OK || semver_parse(b, &vb, NULL, 0) != HM_OK) {
        return HM_E_INVALID;
    }
    for (int i = 0; i < 3; i++) {
        if (va.core[i] != vb.core[i]) {
            *out = va.core[i] < vb.core[i] ? -1 : 1;
            return HM_OK;
        }
    }
    *out = cmp_pre(&va, &vb); /* build metadata is ignored (item 10) */
    return HM_OK;
}

hm_err
hm_semver_major(const char *s, uint64_t *out)
{
    struct semver v;
    hm_err err;

    *out = 0;
    if ((err = semver_parse(s, &v, NULL, 0)) != HM_OK) {
        return err;
    }
    *out = v.core[0];
    return HM_OK;
}

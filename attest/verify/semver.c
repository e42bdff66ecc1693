/*
 * semver.c: Semantic Versioning 2.0.0 precedence for the anti-rollback check.
 *
 * policy/ has the full SemVer module (hm_semver_cmp in hm/policy.h).  This copy is
 * deliberate: libhallmark-verify is what a device links, and it must link nothing but
 * libcrypto, cJSON and common/, so it cannot depend on policy/.  Keep the two in step
 * (tests/attest/test_verify_bundle.c checks the ordering rules of semver.org §11).
 */
#include <string.h>

#include "verify_int.h"

#define SEMVER_MAX_LEN 128u

struct semver {
    const char *core[3]; /* major, minor, patch: digits, no leading zero */
    size_t core_len[3];
    const char *pre; /* pre-release identifiers, NULL when none */
    size_t pre_len;
};

static bool
is_ident_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

static bool
all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

/* Dot-separated non-empty identifiers; numeric ones without leading zeros if numeric_rule. */
static bool
valid_idents(const char *s, size_t len, bool numeric_rule)
{
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.') {
            if (!is_ident_char(s[i])) {
                return false;
            }
            continue;
        }
        if (i == start) {
            return false; /* empty identifier */
        }
        if (numeric_rule && i - start > 1 && s[start] == '0' && all_digits(s + start, i - start)) {
            return false;
        }
        start = i + 1;
    }
    return true;
}

static bool
semver_parse(const char *s, struct semver *v)
{
    size_t len = strlen(s), pos = 0, end;
    const char *plus = NULL, *dash = NULL;

    if (len == 0 || len > SEMVER_MAX_LEN) {
        return false;
    }
    plus = memchr(s, '+', len);
    if (plus != NULL && !valid_idents(plus + 1, len - (size_t)(plus - s) - 1, false)) {
        return false;
    }
    end = plus != NULL ? (size_t)(plus - s) : len; /* build metadata: ignored for order */
    dash = memchr(s, '-', end);
    v->pre = NULL;
    v->pre_len = 0;
    if (dash != NULL) {
        v->pre = dash + 1;
        v->pre_len = end - (size_t)(dash - s) - 1;
        if (!valid_idents(v->pre, v->pre_len, true)) {
            return false;
        }
        end = (size_t)(dash - s);
    }
    for (int i = 0; i < 3; i++) {
        size_t n = 0;

        while (pos + n < end && s[pos + n] >= '0' && s[pos + n] <= '9') {
            n++;
        }
        if (n == 0 || (n > 1 && s[pos] == '0')) {
            return false;
        }
        if (n > 16 || (n == 16 && memcmp(s + pos, "9007199254740992", 16) > 0)) {
            return false; /* above 2^53, as hm_semver_check refuses too */
        }
        v->core[i] = s + pos;
        v->core_len[i] = n;
        pos += n;
        if (i < 2 && (pos >= end || s[pos++] != '.')) {
            return false;
        }
    }
    return pos == end;
}

/* Numbers without leading zeros: the longer is larger, else compare the digits. */
static int
cmp_numeric(const char *a, size_t alen, const char *b, size_t blen)
{
    int c;

    if (alen != blen) {
        return alen < blen ? -1 : 1;
    }
    c = memcmp(a, b, alen);
    return (c > 0) - (c < 0);
}

/* semver.org §11.4: identifier by identifier; numeric < alphanumeric; fewer < more. */
static int
cmp_pre(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i = 0, j = 0;

    while (i < alen && j < blen) {
        size_t ai = i, bj = j;
        int c;

        while (i < alen && a[i] != '.') {
            i++;
        }
        while (j < blen && b[j] != '.') {
            j++;
        }
        bool anum = all_digits(a + ai, i - ai), bnum = all_digits(b + bj, j - bj);
        if (anum && bnum) {
            c = cmp_numeric(a + ai, i - ai, b + bj, j - bj);
        } else if (anum != bnum) {
            c = anum ? -1 : 1;
        } else {
            size_t n = (i - ai) < (j - bj) ? (i - ai) : (j - bj);
            c = memcmp(a + ai, b + bj, n); /* ASCII order */
            c = c != 0 ? (c > 0) - (c < 0) : (i - ai == j - bj ? 0 : (i - ai < j - bj ? -1 : 1));
        }
        if (c != 0) {
            return c;
        }
        i += i < alen; /* skip the dot */
        j += j < blen;
    }
    return (i < alen) - (j < blen);
}

hm_err
hm_v_semver_cmp(const char *a, const char *b, int *out)
{
    struct semver va, vb;
    int c = 0;

    *out = 0;
    if (a == NULL || b == NULL || !semver_parse(a, &va) || !semver_parse(b, &vb)) {
        return HM_E_INVALID;
    }
    for (int i = 0; i < 3 && c == 0; i++) {
        c = cmp_numeric(va.core[i], va.core_len[i], vb.core[i], vb.core_len[i]);
    }
    if (c == 0) {
        if (va.pre == NULL || vb.pre == NULL) {
            c = (va.pre == NULL) - (vb.pre == NULL); /* a release outranks its pre-release */
        } else {
            c = cmp_pre(va.pre, va.pre_len, vb.pre, vb.pre_len);
        }
    }
    *out = c;
    return HM_OK;
}

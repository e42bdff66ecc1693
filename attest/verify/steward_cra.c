/*
 * steward_cra.c: the CRA facts a steward attestation speaks about, and the checks of its fields.
 *
 * The item ids name Regulation (EU) 2024/2847 Annex I: Part I (1) and (2)(a)..(m), the
 * product properties, and Part II (1)..(8), vulnerability handling (reference/formats.md
 * 3.2 and 3.3; docs/steward-attestation.md).  The titles are our short paraphrases for
 * people, not the legal text.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "steward_int.h"

static const struct {
    const char *id;
    const char *title;
} cra_items[] = {
    { "annexI.partI.1", "appropriate level of cybersecurity based on the risks" },
    { "annexI.partI.2.a", "made available without known exploitable vulnerabilities" },
    { "annexI.partI.2.b", "secure by default configuration, with a reset to the original state" },
    { "annexI.partI.2.c", "vulnerabilities can be addressed through security updates" },
    { "annexI.partI.2.d", "protection from unauthorised access, and reporting of it" },
    { "annexI.partI.2.e", "confidentiality of stored, transmitted and processed data" },
    { "annexI.partI.2.f", "integrity of data, commands, programs and configuration" },
    { "annexI.partI.2.g", "data minimisation" },
    { "annexI.partI.2.h", "availability of essential functions, resilience to denial of service" },
    { "annexI.partI.2.i", "minimal negative impact on other devices and networks" },
    { "annexI.partI.2.j", "limited attack surfaces" },
    { "annexI.partI.2.k", "exploitation mitigations that reduce the impact of incidents" },
    { "annexI.partI.2.l", "security logging and monitoring, with an opt-out" },
    { "annexI.partI.2.m", "secure and easy removal and transfer of data and settings" },
    { "annexI.partII.1", "vulnerabilities and components identified and documented (SBOM)" },
    { "annexI.partII.2", "vulnerabilities addressed and remediated without delay" },
    { "annexI.partII.3", "effective and regular security tests and reviews" },
    { "annexI.partII.4", "fixed vulnerabilities publicly disclosed" },
    { "annexI.partII.5", "a coordinated vulnerability disclosure policy in place and enforced" },
    { "annexI.partII.6", "vulnerability information shared, with a contact address" },
    { "annexI.partII.7", "mechanisms to distribute updates securely" },
    { "annexI.partII.8", "security updates disseminated without delay and free of charge" },
};
#define N_ITEMS (sizeof(cra_items) / sizeof(cra_items[0]))

const char *const hm_cra_status_names[4] = { "met", "partially", "not_assessed", "not_applicable" };
const char *const hm_cra_method_names[2] = { "self-assessed", "third-party" };
const char *const hm_cra_evidence_names[6] = { "sbom",      "provenance",  "vex",
                                               "scorecard", "test-report", "other" };
const char *const hm_cra_assessor_names[2] = { "steward", "third-party" };

size_t
hm_cra_item_count(void)
{
    return N_ITEMS;
}

const char *
hm_cra_item_id(size_t i)
{
    return i < N_ITEMS ? cra_items[i].id : NULL;
}

const char *
hm_cra_item_title(size_t i)
{
    return i < N_ITEMS ? cra_items[i].title : NULL;
}

int
hm_cra_item_find(const char *id)
{
    for (size_t i = 0; id != NULL && i < N_ITEMS; i++) {
        if (strcmp(cra_items[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int
hm_cra_enum_find(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; s != NULL && i < n; i++) {
        if (strcmp(names[i], s) == 0) {
            return (int)i;
        }
    }
    return -1;
}

void
hm_cra_why(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;

    if (why == NULL || why_len == 0) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

bool
hm_cra_text_ok(const char *s, size_t max)
{
    size_t len;

    if (s == NULL || (len = strnlen(s, max + 1)) == 0 || len > max) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f ||
            (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
             (unsigned char)s[i + 1] <= 0x9f)) {
            return false; /* C0, DEL, and C1 (U+0080..U+009F, UTF-8 C2 80..C2 9F) */
        }
    }
    return true;
}

static bool
is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool
hm_cra_is_https_url(const char *s)
{
    size_t len, i = 8, host = 0;

    if (s == NULL || (len = strnlen(s, HM_STEWARD_MAX_URI + 1)) > HM_STEWARD_MAX_URI ||
        strncmp(s, "https://", 8) != 0) {
        return false;
    }
    for (; i < len && s[i] != '/' && s[i] != '?' && s[i] != '#' && s[i] != ':'; i++, host++) {
        if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '-') {
            return false; /* also refuses "user@" and "[::1]" */
        }
    }
    if (host == 0 || s[8] == '.' || s[8] == '-' || s[i - 1] == '.' || s[i - 1] == '-') {
        return false;
    }
    if (i < len && s[i] == ':') {
        size_t digits = 0;
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            digits++;
        }
        if (digits == 0 || digits > 5 || (i < len && s[i] != '/' && s[i] != '?' && s[i] != '#')) {
            return false;
        }
    }
    for (; i < len; i++) {
        if (s[i] <= 0x20 || s[i] >= 0x7f || strchr("\"<>\\^`{|}", s[i]) != NULL) {
            return false;
        }
    }
    return true;
}

bool
hm_cra_is_email(const char *s)
{
    const char *at;
    size_t len, local;

    if (s == NULL || (len = strnlen(s, HM_CRA_EMAIL_MAX + 1)) > HM_CRA_EMAIL_MAX ||
        (at = strchr(s, '@')) == NULL || strchr(at + 1, '@') != NULL) {
        return false;
    }
    local = (size_t)(at - s);
    if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.') {
        return false;
    }
    for (size_t i = 0; i < local; i++) {
        if ((!is_alnum(s[i]) && strchr(".!#$%&'*+/=?^_`{|}~-", s[i]) == NULL) ||
            (s[i] == '.' && s[i + 1] == '.')) {
            return false; /* RFC 5322 dot-atom: no empty atom */
        }
    }
    /* The domain: LDH labels of 1..63, at least two of them. */
    size_t label = 0, labels = 0;
    for (const char *p = at + 1;; p++) {
        if (*p == '.' || *p == '\0') {
            if (label == 0 || label > 63 || p[-1] == '-') {
                return false;
            }
            labels++;
            label = 0;
            if (*p == '\0') {
                break;
            }
            continue;
        }
        if (!is_alnum(*p) && !(*p == '-' && label > 0)) {
            return false;
        }
        label++;
    }
    return labels >= 2;
}

/* One purl component: unreserved characters and %XX; extra lists more allowed bytes. */
static bool
purl_chars(const char *s, size_t len, const char *extra)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%') {
            if (i + 2 >= len || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) {
                return false;
            }
            i += 2;
        } else if (!is_alnum(s[i]) && strchr("-._~", s[i]) == NULL &&
                   (extra == NULL || strchr(extra, s[i]) == NULL)) {
            return false;
        }
    }
    return true;
}

static bool
purl_fail(char *reason, size_t reason_len, const char *msg)
{
    hm_cra_why(reason, reason_len, "%s", msg);
    return false;
}

/* Qualifiers: key=value pairs separated by '&'; keys [a-z][a-z0-9.-_]*, values non-empty. */
static bool
purl_qualifiers(const char *q, size_t len)
{
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && q[i] != '&') {
            continue;
        }
        const char *eq = memchr(q + start, '=', i - start);
        size_t klen = eq != NULL ? (size_t)(eq - (q + start)) : 0;
        if (eq == NULL || klen == 0 || !(q[start] >= 'a' && q[start] <= 'z') ||
            i - start - klen - 1 == 0 || !purl_chars(eq + 1, i - start - klen - 1, "/:")) {
            return false;
        }
        for (size_t k = start; k < start + klen; k++) {
            if (!((q[k] >= 'a' && q[k] <= 'z') || (q[k] >= '0' && q[k] <= '9') ||
                  strchr(".-_", q[k]) != NULL)) {
                return false;
            }
        }
        start = i + 1;
    }
    return true;
}

/* Namespace segments and the name: non-empty, unreserved or %XX. */
static bool
purl_path(const char *p, size_t len)
{
    size_t start = 0, segments = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && p[i] != '/') {
            continue;
        }
        if (i == start || !purl_chars(p + start, i - start, NULL)) {
            return false;
        }
        segments++;
        start = i + 1;
    }
    return segments >= 1;
}

bool
hm_cra_purl_ok(const char *s, bool allow_version, char *reason, size_t reason_len)
{
    const char *type, *slash, *hash, *query, *at, *end;
    size_t len;

    if (s == NULL || (len = strnlen(s, HM_CRA_PURL_MAX + 1)) == 0 || len > HM_CRA_PURL_MAX) {
        return purl_fail(reason, reason_len, "not 1..512 bytes");
    }
    if (strncmp(s, "pkg:", 4) != 0) {
        return purl_fail(reason, reason_len, "does not start with \"pkg:\"");
    }
    type = s + 4;
    if ((slash = strchr(type, '/')) == NULL || slash == type ||
        (type[0] >= '0' && type[0] <= '9')) {
        return purl_fail(reason, reason_len, "has no type (pkg:TYPE/NAME)");
    }
    for (const char *p = type; p < slash; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '+' ||
              *p == '-')) {
            return purl_fail(reason, reason_len, "type is not lowercase [a-z0-9.+-]");
        }
    }
    end = s + len;
    if ((hash = strchr(slash, '#')) != NULL) {
        if (hash + 1 == end || !purl_path(hash + 1, (size_t)(end - hash - 1))) {
            return purl_fail(reason, reason_len, "subpath is malformed");
        }
        end = hash;
    }
    if ((query = memchr(slash, '?', (size_t)(end - slash))) != NULL) {
        if (!purl_qualifiers(query + 1, (size_t)(end - query - 1))) {
            return purl_fail(reason, reason_len, "qualifiers are malformed");
        }
        end = query;
    }
    at = memchr(slash, '@', (size_t)(end - slash));
    if (at != NULL && !allow_version) {
        return purl_fail(reason, reason_len,
                         "carries a version: list the versions in project.versionsCovered");
    }
    if (at != NULL && (at + 1 == end || !purl_chars(at + 1, (size_t)(end - at - 1), NULL))) {
        return purl_fail(reason, reason_len, "version is malformed");
    }
    if (!purl_path(slash + 1, (size_t)((at != NULL ? at : end) - slash - 1))) {
        return purl_fail(reason, reason_len, "namespace or name is empty or malformed");
    }
    return true;
}

size_t
hm_cra_purl_base_len(const char *s)
{
    size_t n = strcspn(s, "@?#");
    return n;
}

bool
hm_cra_purl_version(const char *s, char *out, size_t out_len)
{
    const char *at = strchr(s, '@');
    size_t o = 0;

    if (at == NULL || (size_t)(at - s) > hm_cra_purl_base_len(s) || out_len == 0) {
        return false;
    }
    for (const char *p = at + 1; *p != '\0' && *p != '?' && *p != '#'; p++) {
        unsigned v = (unsigned char)*p;
        if (*p == '%' && is_hex(p[1]) && is_hex(p[2])) {
            (void)sscanf(p + 1, "%2x", &v);
            p += 2;
        }
        if (o + 1 >= out_len) {
            return false;
        }
        out[o++] = (char)v;
    }
    out[o] = '\0';
    return o > 0;
}

bool
hm_cra_hex(const char *s, uint8_t *out, size_t n)
{
    return s != NULL && strlen(s) == 2 * n && hm_is_lower_hex(s, 2 * n) &&
           hm_hex_decode(s, 2 * n, out, n) == HM_OK;
}

/* ---- versions and SemVer ranges (semver.org 2.0.0, precedence of §11) ---- */

struct semver {
    const char *core[3]; /* major, minor, patch: digits, no leading zero */
    size_t core_len[3];
    const char *pre; /* pre-release identifiers; NULL when none */
    size_t pre_len;
};

static bool
all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return len > 0;
}

/* Dot-separated non-empty [0-9A-Za-z-] identifiers; numeric ones without a leading zero
 * when numeric_rule (pre-release; build metadata allows them). */
static bool
idents_ok(const char *s, size_t len, bool numeric_rule)
{
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.') {
            if (!is_alnum(s[i]) && s[i] != '-') {
                return false;
            }
            continue;
        }
        if (i == start || (numeric_rule && all_digits(s + start, i - start) && i - start > 1 &&
                           s[start] == '0')) {
            return false;
        }
        start = i + 1;
    }
    return true;
}

static bool
semver_parse(const char *s, size_t len, struct semver *v)
{
    size_t i = 0, plus = len, dash;

    memset(v, 0, sizeof(*v));
    if (len == 0 || len > HM_CRA_VERSION_MAX) {
        return false;
    }
    for (int part = 0; part < 3; part++) {
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        if (i == start || (i - start > 1 && s[start] == '0') || i - start > 16) {
            return false;
        }
        v->core[part] = s + start;
        v->core_len[part] = i - start;
        if (part < 2 && (i >= len || s[i++] != '.')) {
            return false;
        }
    }
    for (size_t k = i; k < len; k++) {
        if (s[k] == '+') {
            plus = k;
            break;
        }
    }
    if (plus < len && !idents_ok(s + plus + 1, len - plus - 1, false)) {
        return false;
    }
    dash = i;
    if (dash == plus) {
        return true;
    }
    if (s[dash] != '-' || !idents_ok(s + dash + 1, plus - dash - 1, true)) {
        return false;
    }
    v->pre = s + dash + 1;
    v->pre_len = plus - dash - 1;
    return true;
}

/* Numbers without leading zeros: the longer is larger, else compare the digits. */
static int
num_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c;

    if (alen != blen) {
        return alen < blen ? -1 : 1;
    }
    c = memcmp(a, b, alen);
    return c < 0 ? -1 : c > 0;
}

static int
ident_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    bool an = all_digits(a, alen), bn = all_digits(b, blen);
    int c;

    if (an && bn) {
        return num_cmp(a, alen, b, blen);
    }
    if (an != bn) {
        return an ? -1 : 1; /* numeric identifiers have lower precedence */
    }
    c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0) {
        return c < 0 ? -1 : 1;
    }
    return alen == blen ? 0 : (alen < blen ? -1 : 1);
}

static int
pre_cmp(const struct semver *a, const struct semver *b)
{
    size_t i = 0, j = 0;

    if (a->pre == NULL || b->pre == NULL) {
        return a->pre == b->pre ? 0 : (a->pre == NULL ? 1 : -1); /* 1.0.0-x < 1.0.0 */
    }
    while (i < a->pre_len && j < b->pre_len) {
        size_t ie = i, je = j;
        int c;
        while (ie < a->pre_len && a->pre[ie] != '.') {
            ie++;
        }
        while (je < b->pre_len && b->pre[je] != '.') {
            je++;
        }
        if ((c = ident_cmp(a->pre + i, ie - i, b->pre + j, je - j)) != 0) {
            return c;
        }
        i = ie + 1;
        j = je + 1;
    }
    return (i < a->pre_len) - (j < b->pre_len); /* more identifiers: higher */
}

static int
semver_cmp(const struct semver *a, const struct semver *b)
{
    for (int k = 0; k < 3; k++) {
        int c = num_cmp(a->core[k], a->core_len[k], b->core[k], b->core_len[k]);
        if (c != 0) {
            return c;
        }
    }
    return pre_cmp(a, b);
}

static size_t
op_len(const char *s)
{
    if (s[0] == '>' || s[0] == '<') {
        return s[1] == '=' ? 2 : 1;
    }
    return s[0] == '=' ? 1 : 0;
}

/* Checks each comparator of a range: false if one is malformed; *covered says whether
 * target (NULL: none, a syntax check only) satisfies them all. */
static bool
range_walk(const char *s, const struct semver *target, bool *covered)
{
    size_t len = strlen(s), start = 0;

    *covered = true;
    for (size_t i = 0; i <= len; i++) {
        struct semver v;
        size_t ol;
        int c;

        if (i < len && s[i] != ' ') {
            continue;
        }
        if (i == start || (ol = op_len(s + start)) == 0 ||
            !semver_parse(s + start + ol, i - start - ol, &v)) {
            return false;
        }
        if (target != NULL) {
            c = semver_cmp(target, &v);
            if ((s[start] == '=' && c != 0) || (s[start] == '>' && ol == 1 && c <= 0) ||
                (s[start] == '>' && ol == 2 && c < 0) || (s[start] == '<' && ol == 1 && c >= 0) ||
                (s[start] == '<' && ol == 2 && c > 0)) {
                *covered = false;
            }
        }
        start = i + 1;
    }
    return true;
}

bool
hm_cra_version_entry_ok(const char *s)
{
    size_t len;
    bool covered;

    if (s == NULL || (len = strnlen(s, HM_CRA_VERSION_MAX + 1)) == 0 || len > HM_CRA_VERSION_MAX) {
        return false;
    }
    if (op_len(s) > 0) {
        return range_walk(s, NULL, &covered);
    }
    if (!is_alnum(s[0])) {
        return false;
    }
    for (size_t i = 1; i < len; i++) {
        if (!is_alnum(s[i]) && strchr(".+_-", s[i]) == NULL) {
            return false;
        }
    }
    return true;
}

bool
hm_cra_version_covered(const char *entry, const char *version)
{
    struct semver v;
    bool covered = false;

    if (op_len(entry) == 0) {
        return strcmp(entry, version) == 0;
    }
    if (!semver_parse(version, strlen(version), &v)) {
        return false; /* a range speaks of SemVer versions only */
    }
    return range_walk(entry, &v, &covered) && covered;
}

/*
 * release.c: the release statement (in-toto Statement v1 with our release predicate,
 * docs/formats.md and docs/schemas/release-v1.schema.json).
 *
 * The output is deterministic: the same release gives the same bytes, keys in a fixed
 * order, no whitespace, integers as integers.  Those bytes are what gets signed, so
 * nothing downstream may re-serialise them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "attest_int.h"
#include "verify/steward_int.h" /* hm_cra_is_email, hm_cra_is_https_url */

#define VERSION_MAX     128u
#define SIZE_MAX_JSON   ((uint64_t)1 << 53)   /* exact in every JSON reader */
#define SIGNED_AT_MAX   INT64_C(253402300799) /* 9999-12-31T23:59:59Z */
#define DEFAULT_CHANNEL "stable"
#define CRA_TEXT_MAX    256u /* manufacturer, securityContact: what the verifier accepts */

static void HM_PRINTF(3, 4) why_set(char *why, size_t why_len, const char *fmt, ...)
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
hm_attest_printable(const char *s, size_t max)
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

/* [a-z0-9][a-z0-9._-]{0,63} */
static bool
is_name(const char *s)
{
    size_t len;

    if (s == NULL || (len = strnlen(s, 65)) == 0 || len > 64) {
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

/* Length of the UTF-8 sequence at s (strict: no overlong forms, no surrogates, at most
 * U+10FFFF) and its code point; 0 when invalid. */
static size_t
utf8_next(const unsigned char *s, size_t avail, uint32_t *cp)
{
    size_t n;
    uint32_t min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2, min = 0x80, *cp = s[0] & 0x1fu;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3, min = 0x800, *cp = s[0] & 0x0fu;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4, min = 0x10000, *cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (n > avail) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        *cp = (*cp << 6) | (s[i] & 0x3fu);
    }
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff)) {
        return 0;
    }
    return n;
}

/* 1..255 bytes of UTF-8 with no control character (C0, DEL, C1) and no '/'. */
static bool
is_artifact_name(const char *name)
{
    size_t len, i = 0;
    uint32_t cp;

    if (name == NULL || (len = strnlen(name, HM_ATTEST_MAX_NAME + 1)) == 0 ||
        len > HM_ATTEST_MAX_NAME || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        return false;
    }
    while (i < len) {
        size_t n = utf8_next((const unsigned char *)name + i, len - i, &cp);
        if (n == 0 || cp < 0x20 || cp == '/' || (cp >= 0x7f && cp <= 0x9f)) {
            return false;
        }
        i += n;
    }
    return true;
}

static hm_err
check_artifacts(const struct hm_release *rel, char *why, size_t why_len)
{
    if (rel->artifacts == NULL || rel->n_artifacts == 0 || rel->n_artifacts > HM_MAX_SUBJECTS) {
        why_set(why, why_len, "artifacts: %zu given, allowed 1..%u", rel->n_artifacts,
                HM_MAX_SUBJECTS);
        return HM_E_INVALID;
    }
    for (size_t i = 0; i < rel->n_artifacts; i++) {
        const struct hm_artifact *a = &rel->artifacts[i];

        if (!is_artifact_name(a->name)) {
            why_set(why, why_len,
                    "artifacts[%zu].name: not 1..255 bytes of printable UTF-8 without '/'", i);
            return HM_E_INVALID;
        }
        if (a->size > SIZE_MAX_JSON) {
            why_set(why, why_len, "artifacts[%zu].size: more than 2^53 bytes", i);
            return HM_E_INVALID;
        }
        /* Quadratic, but n <= HM_MAX_SUBJECTS and no allocation is needed. */
        for (size_t j = 0; j < i; j++) {
            if (strcmp(rel->artifacts[j].name, a->name) == 0) {
                why_set(why, why_len, "artifacts[%zu].name: the same as artifacts[%zu].name", i, j);
                return HM_E_INVALID;
            }
        }
    }
    return HM_OK;
}

hm_err
hm_release_check(const struct hm_release *rel, char *why, size_t why_len)
{
    int64_t days;

    why_set(why, why_len, "%s", "");
    if (rel == NULL) {
        why_set(why, why_len, "no release");
        return HM_E_INVALID;
    }
    if (!is_name(rel->product)) {
        why_set(why, why_len, "product: not of the form [a-z0-9][a-z0-9._-]{0,63}");
        return HM_E_INVALID;
    }
    if (rel->channel != NULL && !is_name(rel->channel)) {
        why_set(why, why_len, "channel: not of the form [a-z0-9][a-z0-9._-]{0,63}");
        return HM_E_INVALID;
    }
    if (!hm_attest_printable(rel->version, VERSION_MAX)) {
        why_set(why, why_len, "version: not 1..%u bytes of printable ASCII", VERSION_MAX);
        return HM_E_INVALID;
    }
    if (rel->support_end != NULL &&
        (strnlen(rel->support_end, 11) != 10 || hm_date_parse(rel->support_end, &days) != HM_OK)) {
        why_set(why, why_len, "support_end: not a valid date YYYY-MM-DD");
        return HM_E_INVALID;
    }
    if (rel->manufacturer != NULL && !hm_attest_printable(rel->manufacturer, CRA_TEXT_MAX)) {
        why_set(why, why_len, "manufacturer: not 1..%u bytes of printable ASCII", CRA_TEXT_MAX);
        return HM_E_INVALID;
    }
    if (rel->security_contact != NULL &&
        (!hm_attest_printable(rel->security_contact, CRA_TEXT_MAX) ||
         (!hm_cra_is_email(rel->security_contact) &&
          !hm_cra_is_https_url(rel->security_contact)))) {
        why_set(why, why_len,
                "security_contact: neither an email address nor an https URL of at most %u bytes",
                CRA_TEXT_MAX);
        return HM_E_INVALID;
    }
    if (rel->signed_at < 0 || rel->signed_at > SIGNED_AT_MAX) {
        why_set(why, why_len, "signed_at: %" PRId64 " is outside 1970..9999", rel->signed_at);
        return HM_E_INVALID;
    }
    return check_artifacts(rel, why, why_len);
}

void
hm_attest_json_str(struct hm_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;

    hm_buf_append(b, "\"", 1);
    for (size_t i = 0; s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        hm_buf_append(b, s + run, i - run);
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
            hm_buf_append(b, esc, 2);
        } else {
            hm_buf_append(b, esc, sizeof(esc));
        }
        run = i + 1;
    }
    hm_buf_append(b, s + run, strlen(s + run));
    hm_buf_append(b, "\"", 1);
}

/* purl-spec: the version is percent-encoded; unreserved characters stay as they are. */
static void
purl_append(struct hm_buf *b, const struct hm_release *rel)
{
    hm_buf_printf(b, "\"pkg:generic/%s@", rel->product); /* product: [a-z0-9._-] only */
    for (const char *p = rel->version; *p != '\0'; p++) {
        char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '-' || c == '_' || c == '~') {
            hm_buf_append(b, p, 1);
        } else {
            hm_buf_printf(b, "%%%02X", (unsigned)(unsigned char)c);
        }
    }
    hm_buf_append(b, "\"", 1);
}

static void
digests_append(struct hm_buf *b, const struct hm_artifact *a)
{
    char h256[2 * HM_SHA256_LEN + 1], h512[2 * HM_SHA512_LEN + 1];

    hm_hex_encode(a->sha256, HM_SHA256_LEN, h256);
    hm_hex_encode(a->sha512, HM_SHA512_LEN, h512);
    hm_buf_printf(b, "\"digest\":{\"sha256\":\"%s\",\"sha512\":\"%s\"}", h256, h512);
}

static void
predicate_append(struct hm_buf *b, const struct hm_release *rel)
{
    char when[32], sbom[2 * HM_SHA256_LEN + 1];

    hm_buf_printf(b,
                  "\"predicate\":{\"product\":\"%s\",\"channel\":\"%s\",\"version\":", rel->product,
                  rel->channel != NULL ? rel->channel : DEFAULT_CHANNEL);
    hm_attest_json_str(b, rel->version);
    hm_buf_puts(b, ",\"purl\":");
    purl_append(b, rel);
    hm_buf_puts(b, ",\"artifacts\":[");
    for (size_t i = 0; i < rel->n_artifacts; i++) {
        hm_buf_puts(b, i == 0 ? "{\"name\":" : ",{\"name\":");
        hm_attest_json_str(b, rel->artifacts[i].name);
        hm_buf_printf(b, ",\"size\":%" PRIu64 ",", rel->artifacts[i].size);
        digests_append(b, &rel->artifacts[i]);
        hm_buf_puts(b, "}");
    }
    hm_buf_puts(b, "]");
    if (rel->support_end != NULL) {
        hm_buf_printf(b, ",\"supportEnd\":\"%s\"", rel->support_end);
    }
    if (rel->sbom_sha256 != NULL) {
        hm_hex_encode(rel->sbom_sha256, HM_SHA256_LEN, sbom);
        hm_buf_printf(b, ",\"sbom\":{\"digest\":{\"sha256\":\"%s\"}}", sbom);
    }
    if (rel->manufacturer != NULL) {
        hm_buf_puts(b, ",\"manufacturer\":");
        hm_attest_json_str(b, rel->manufacturer);
    }
    if (rel->security_contact != NULL) {
        hm_buf_puts(b, ",\"securityContact\":");
        hm_attest_json_str(b, rel->security_contact);
    }
    hm_time_rfc3339(rel->signed_at, when);
    hm_buf_printf(b, ",\"signedAt\":\"%s\"}", when);
}

hm_err
hm_release_statement(const struct hm_release *rel, uint8_t **out, size_t *len)
{
    struct hm_buf b;
    hm_err err;

    *out = NULL;
    *len = 0;
    if ((err = hm_release_check(rel, NULL, 0)) != HM_OK) {
        return err;
    }
    hm_buf_init(&b, HM_PAYLOAD_MAX_BYTES);
    hm_buf_puts(&b, "{\"_type\":\"" HM_STATEMENT_TYPE_V1 "\",\"subject\":[");
    for (size_t i = 0; i < rel->n_artifacts; i++) {
        hm_buf_puts(&b, i == 0 ? "{\"name\":" : ",{\"name\":");
        hm_attest_json_str(&b, rel->artifacts[i].name);
        hm_buf_puts(&b, ",");
        digests_append(&b, &rel->artifacts[i]);
        hm_buf_puts(&b, "}");
    }
    hm_buf_puts(&b, "],\"predicateType\":\"" HM_PREDICATE_RELEASE "\",");
    predicate_append(&b, rel);
    hm_buf_puts(&b, "}");
    if ((err = hm_buf_status(&b)) != HM_OK) {
        hm_buf_free(&b);
        return err; /* HM_E_LIMIT: more than a payload may hold */
    }
    *out = hm_buf_steal(&b, len); /* the caller owns it now */
    hm_buf_free(&b);
    return *out != NULL ? HM_OK : HM_E_NOMEM;
}

/*
 * steward_write.c: the steward statement (in-toto Statement v1, predicate
 * HM_PREDICATE_STEWARD), the verdict of hm_steward_check, and freeing.
 *
 * The statement is deterministic like release.c's: keys in a fixed order, requirements
 * in Annex I order, times normalised to "YYYY-MM-DDTHH:MM:SSZ", no whitespace.  Those
 * bytes are what gets signed; nothing downstream re-serialises them.
 */
#include <hm/verify.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "steward_int.h"

#define CLOCK_SKEW 300 /* as in steward.c: a steward's clock may run 5 minutes ahead */

/* A JSON string literal, as attest/release.c writes them (the steward code lives in
 * libhallmark-verify, which must not link attest/). */
static void
sw_json_str(struct hm_buf *b, const char *s)
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

const char *
hm_steward_status_name(enum hm_steward_status s)
{
    return s >= HM_STEWARD_MET && s <= HM_STEWARD_NOT_APPLICABLE ? hm_cra_status_names[s - 1] : "?";
}

const char *
hm_steward_method_name(enum hm_steward_method m)
{
    return m == HM_STEWARD_SELF_ASSESSED || m == HM_STEWARD_THIRD_PARTY ? hm_cra_method_names[m - 1]
                                                                        : "none";
}

const char *
hm_steward_evidence_name(enum hm_steward_evidence_type t)
{
    return t >= HM_EVIDENCE_SBOM && t <= HM_EVIDENCE_OTHER ? hm_cra_evidence_names[t - 1] : "?";
}

const char *
hm_steward_assessor_name(enum hm_steward_assessor_type t)
{
    return t == HM_ASSESSOR_STEWARD || t == HM_ASSESSOR_THIRD_PARTY ? hm_cra_assessor_names[t - 1]
                                                                    : "?";
}

const char *
hm_steward_verdict_name(enum hm_steward_verdict v)
{
    switch (v) {
    case HM_STEWARD_OK:
        return "ok";
    case HM_STEWARD_EXPIRED:
        return "expired";
    case HM_STEWARD_WRONG_PROJECT:
        return "wrong-project";
    case HM_STEWARD_NOT_COVERED:
        return "version-not-covered";
    default:
        return "malformed";
    }
}

void
hm_steward_free(struct hm_steward *st)
{
    if (st == NULL) {
        return;
    }
    for (size_t i = 0; i < st->n_subjects; i++) {
        free(st->subjects[i].name);
    }
    free(st->subjects);
    free(st->project.name);
    free(st->project.purl);
    free(st->project.repository);
    for (size_t i = 0; i < st->project.n_versions; i++) {
        free(st->project.versions[i]);
    }
    free(st->project.versions);
    free(st->steward.legal_name);
    free(st->steward.contact);
    free(st->steward.security_txt);
    free(st->steward.cvd_policy);
    free(st->policy.uri);
    free(st->support.end);
    free(st->support.policy);
    for (size_t i = 0; i < st->n_requirements; i++) {
        for (size_t j = 0; j < st->requirements[i].n_evidence; j++) {
            free(st->requirements[i].evidence[j].uri);
        }
        free(st->requirements[i].evidence);
        free(st->requirements[i].comment);
    }
    free(st->requirements);
    free(st->assessor.name);
    free(st->assessor.programme);
    free(st);
}

/* ---- the struct may come from a caller, not our parser: check it before writing ---- */

static bool
opt_url(const char *s)
{
    return s == NULL || hm_cra_is_https_url(s);
}

static bool
subjects_valid(const struct hm_steward *st)
{
    if (st->subjects == NULL || st->n_subjects == 0 || st->n_subjects > HM_STEWARD_MAX_SUBJECTS) {
        return false;
    }
    for (size_t i = 0; i < st->n_subjects; i++) {
        const struct hm_steward_subject *s = &st->subjects[i];
        size_t g = strnlen(s->git_commit, sizeof(s->git_commit));
        if ((s->name != NULL && !hm_cra_text_ok(s->name, 1024)) || (g != 0 && g != 40 && g != 64) ||
            !hm_is_lower_hex(s->git_commit, g) || (!s->has_sha256 && !s->has_sha512 && g == 0)) {
            return false;
        }
    }
    return true;
}

static bool
requirement_valid(const struct hm_steward_requirement *r)
{
    bool needs_evidence = r->status == HM_STEWARD_MET || r->status == HM_STEWARD_PARTIALLY;

    if (r->item >= hm_cra_item_count() || r->status < HM_STEWARD_MET ||
        r->status > HM_STEWARD_NOT_APPLICABLE || r->method > HM_STEWARD_THIRD_PARTY ||
        (r->method == HM_STEWARD_METHOD_NONE && r->status != HM_STEWARD_NOT_ASSESSED) ||
        r->n_evidence > HM_STEWARD_MAX_EVIDENCE || (needs_evidence && r->n_evidence == 0) ||
        (r->n_evidence > 0 && r->evidence == NULL) ||
        (r->comment != NULL && !hm_cra_text_ok(r->comment, HM_CRA_COMMENT_MAX))) {
        return false;
    }
    for (size_t j = 0; j < r->n_evidence; j++) {
        if (r->evidence[j].type < HM_EVIDENCE_SBOM || r->evidence[j].type > HM_EVIDENCE_OTHER ||
            !hm_cra_is_https_url(r->evidence[j].uri)) {
            return false;
        }
    }
    return true;
}

static bool
steward_valid(const struct hm_steward *st)
{
    int64_t days;

    if (!subjects_valid(st) || !hm_cra_text_ok(st->project.name, HM_CRA_TEXT_MAX) ||
        !hm_cra_purl_ok(st->project.purl, false, NULL, 0) ||
        !hm_cra_is_https_url(st->project.repository) || st->project.n_versions == 0 ||
        st->project.n_versions > HM_STEWARD_MAX_VERSIONS ||
        !hm_cra_text_ok(st->steward.legal_name, HM_CRA_TEXT_MAX) || st->steward.contact == NULL ||
        (!hm_cra_is_email(st->steward.contact) && !hm_cra_is_https_url(st->steward.contact)) ||
        (st->steward.security_txt == NULL && st->steward.cvd_policy == NULL) ||
        !opt_url(st->steward.security_txt) || !opt_url(st->steward.cvd_policy) ||
        !hm_cra_is_https_url(st->policy.uri) ||
        (st->support.end == NULL && st->support.policy == NULL) ||
        (st->support.end != NULL &&
         (strlen(st->support.end) != 10 || hm_date_parse(st->support.end, &days) != HM_OK)) ||
        (st->support.policy != NULL && !hm_cra_text_ok(st->support.policy, HM_CRA_COMMENT_MAX)) ||
        st->requirements == NULL || st->n_requirements == 0 ||
        !hm_cra_text_ok(st->assessor.name, HM_CRA_TEXT_MAX) ||
        (st->assessor.type != HM_ASSESSOR_STEWARD &&
         st->assessor.type != HM_ASSESSOR_THIRD_PARTY) ||
        (st->assessor.programme != NULL &&
         !hm_cra_text_ok(st->assessor.programme, HM_CRA_TEXT_MAX)) ||
        st->time_assessed < 0 || st->expires <= st->time_assessed ||
        st->expires > HM_CRA_TIME_MAX) {
        return false;
    }
    for (size_t i = 0; i < st->project.n_versions; i++) {
        if (!hm_cra_version_entry_ok(st->project.versions[i])) {
            return false;
        }
    }
    for (size_t i = 0; i < st->n_requirements; i++) {
        if (!requirement_valid(&st->requirements[i]) ||
            (i > 0 && st->requirements[i].item <= st->requirements[i - 1].item)) {
            return false; /* in Annex order, each item once */
        }
    }
    return true;
}

/* ---- writing ---- */

/* ,"key":"value" (or without the comma); nothing when v is NULL. */
static void
put(struct hm_buf *b, bool comma, const char *key, const char *v)
{
    if (v == NULL) {
        return;
    }
    hm_buf_printf(b, "%s\"%s\":", comma ? "," : "", key);
    sw_json_str(b, v);
}

static void
put_sha256(struct hm_buf *b, const uint8_t d[HM_SHA256_LEN])
{
    char hex[2 * HM_SHA256_LEN + 1];

    hm_hex_encode(d, HM_SHA256_LEN, hex);
    hm_buf_printf(b, ",\"digest\":{\"sha256\":\"%s\"}", hex);
}

static void
put_subjects(struct hm_buf *b, const struct hm_steward *st)
{
    char h256[2 * HM_SHA256_LEN + 1], h512[2 * HM_SHA512_LEN + 1];

    hm_buf_puts(b, "\"subject\":[");
    for (size_t i = 0; i < st->n_subjects; i++) {
        const struct hm_steward_subject *s = &st->subjects[i];
        const char *sep = "";
        hm_buf_puts(b, i > 0 ? ",{" : "{");
        put(b, false, "name", s->name);
        hm_buf_printf(b, "%s\"digest\":{", s->name != NULL ? "," : "");
        if (s->has_sha256) {
            hm_hex_encode(s->sha256, HM_SHA256_LEN, h256);
            hm_buf_printf(b, "\"sha256\":\"%s\"", h256);
            sep = ",";
        }
        if (s->has_sha512) {
            hm_hex_encode(s->sha512, HM_SHA512_LEN, h512);
            hm_buf_printf(b, "%s\"sha512\":\"%s\"", sep, h512);
            sep = ",";
        }
        if (s->git_commit[0] != '\0') {
            hm_buf_printf(b, "%s\"gitCommit\":\"%s\"", sep, s->git_commit);
        }
        hm_buf_puts(b, "}}");
    }
    hm_buf_puts(b, "]");
}

static void
put_requirements(struct hm_buf *b, const struct hm_steward *st)
{
    hm_buf_puts(b, ",\"requirements\":[");
    for (size_t i = 0; i < st->n_requirements; i++) {
        const struct hm_steward_requirement *r = &st->requirements[i];
        hm_buf_printf(b, "%s{\"id\":\"%s\",\"status\":\"%s\"", i > 0 ? "," : "",
                      hm_cra_item_id(r->item), hm_steward_status_name(r->status));
        if (r->method != HM_STEWARD_METHOD_NONE) {
            hm_buf_printf(b, ",\"method\":\"%s\"", hm_steward_method_name(r->method));
        }
        if (r->n_evidence > 0) {
            hm_buf_puts(b, ",\"evidence\":[");
            for (size_t j = 0; j < r->n_evidence; j++) {
                hm_buf_printf(b, "%s{\"type\":\"%s\"", j > 0 ? "," : "",
                              hm_steward_evidence_name(r->evidence[j].type));
                put(b, true, "uri", r->evidence[j].uri);
                put_sha256(b, r->evidence[j].sha256);
                hm_buf_puts(b, "}");
            }
            hm_buf_puts(b, "]");
        }
        put(b, true, "comment", r->comment);
        hm_buf_puts(b, "}");
    }
    hm_buf_puts(b, "]");
}

static void
put_predicate(struct hm_buf *b, const struct hm_steward *st)
{
    char t[32];

    hm_buf_puts(b, ",\"predicate\":{\"project\":{");
    put(b, false, "name", st->project.name);
    put(b, true, "purl", st->project.purl);
    put(b, true, "repository", st->project.repository);
    hm_buf_puts(b, ",\"versionsCovered\":[");
    for (size_t i = 0; i < st->project.n_versions; i++) {
        hm_buf_puts(b, i > 0 ? "," : "");
        sw_json_str(b, st->project.versions[i]);
    }
    hm_buf_puts(b, "]},\"steward\":{");
    put(b, false, "legalName", st->steward.legal_name);
    put(b, true, "contact", st->steward.contact);
    put(b, true, "securityTxt", st->steward.security_txt);
    put(b, true, "cvdPolicy", st->steward.cvd_policy);
    hm_buf_puts(b, "},\"cybersecurityPolicy\":{");
    put(b, false, "uri", st->policy.uri);
    put_sha256(b, st->policy.sha256);
    hm_buf_puts(b, "},\"supportPeriod\":{");
    put(b, false, "end", st->support.end);
    put(b, st->support.end != NULL, "policy", st->support.policy);
    hm_buf_puts(b, "}");
    put_requirements(b, st);
    hm_buf_puts(b, ",\"assessor\":{");
    put(b, false, "name", st->assessor.name);
    put(b, true, "type", hm_steward_assessor_name(st->assessor.type));
    put(b, true, "programme", st->assessor.programme);
    hm_time_rfc3339(st->time_assessed, t);
    hm_buf_printf(b, "},\"timeAssessed\":\"%s\"", t);
    hm_time_rfc3339(st->expires, t);
    hm_buf_printf(b, ",\"expires\":\"%s\"}", t);
}

hm_err
hm_steward_statement(const struct hm_steward *st, uint8_t **out, size_t *len)
{
    struct hm_buf b;
    hm_err err;

    *out = NULL;
    *len = 0;
    if (st == NULL || !steward_valid(st)) {
        return HM_E_INVALID;
    }
    hm_buf_init(&b, HM_PAYLOAD_MAX_BYTES);
    hm_buf_puts(&b, "{\"_type\":\"" HM_STATEMENT_TYPE_V1 "\",");
    put_subjects(&b, st);
    hm_buf_puts(&b, ",\"predicateType\":\"" HM_PREDICATE_STEWARD "\"");
    put_predicate(&b, st);
    hm_buf_puts(&b, "}");
    if ((err = hm_buf_status(&b)) != HM_OK) {
        hm_buf_free(&b);
        return err; /* HM_E_LIMIT: more than a payload may hold */
    }
    *out = hm_buf_steal(&b, len); /* the caller owns it now */
    hm_buf_free(&b);
    return *out != NULL ? HM_OK : HM_E_NOMEM;
}

/* ---- the verdict ---- */

static enum hm_steward_verdict HM_PRINTF(4, 5)
    verdict(enum hm_steward_verdict v, char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;

    if (why != NULL && why_len > 0) {
        va_start(ap, fmt);
        (void)vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
    }
    return v;
}

/* Name, then the purl without its version, qualifiers or subpath. */
static enum hm_steward_verdict
check_project(const struct hm_steward *st, const struct hm_steward_expect *want, char *why,
              size_t why_len)
{
    size_t base;

    if (want->name != NULL && strcmp(want->name, st->project.name) != 0) {
        return verdict(HM_STEWARD_WRONG_PROJECT, why, why_len,
                       "the attestation is about project \"%s\", not \"%s\"", st->project.name,
                       want->name);
    }
    if (want->purl == NULL) {
        return HM_STEWARD_OK;
    }
    if (!hm_cra_purl_ok(want->purl, true, NULL, 0)) {
        return verdict(HM_STEWARD_WRONG_PROJECT, why, why_len,
                       "the expected %.100s is not a package URL", want->purl);
    }
    base = hm_cra_purl_base_len(want->purl);
    if (base != strlen(st->project.purl) || memcmp(want->purl, st->project.purl, base) != 0) {
        return verdict(HM_STEWARD_WRONG_PROJECT, why, why_len,
                       "the attestation is about %s, not %.*s", st->project.purl, (int)base,
                       want->purl);
    }
    return HM_STEWARD_OK;
}

enum hm_steward_verdict
hm_steward_check(const struct hm_steward *st, const struct hm_steward_expect *want, int64_t now,
                 char *why, size_t why_len)
{
    static const struct hm_steward_expect any = { 0 };
    const char *version = NULL;
    char purl_version[HM_CRA_VERSION_MAX + 1], t[32], n[32];
    enum hm_steward_verdict v;
    bool covered = false;

    hm_cra_why(why, why_len, "%s", "");
    want = want != NULL ? want : &any;
    if (st == NULL || !steward_valid(st)) {
        return verdict(HM_STEWARD_MALFORMED, why, why_len, "not a well-formed steward attestation");
    }
    if ((v = check_project(st, want, why, why_len)) != HM_STEWARD_OK) {
        return v;
    }
    version = want->version;
    if (version == NULL && want->purl != NULL &&
        hm_cra_purl_version(want->purl, purl_version, sizeof(purl_version))) {
        version = purl_version;
    }
    for (size_t i = 0; version != NULL && i < st->project.n_versions && !covered; i++) {
        covered = hm_cra_version_covered(st->project.versions[i], version);
    }
    if (version != NULL && !covered) {
        return verdict(HM_STEWARD_NOT_COVERED, why, why_len,
                       "version %s of %s is not among the versions covered", version,
                       st->project.name);
    }
    hm_time_rfc3339(now, n);
    if (now >= st->expires) {
        hm_time_rfc3339(st->expires, t);
        return verdict(HM_STEWARD_EXPIRED, why, why_len, "expired at %s (now %s)", t, n);
    }
    if (now + CLOCK_SKEW < st->time_assessed) {
        hm_time_rfc3339(st->time_assessed, t);
        return verdict(HM_STEWARD_EXPIRED, why, why_len, "not valid before %s (now %s)", t, n);
    }
    return HM_STEWARD_OK;
}

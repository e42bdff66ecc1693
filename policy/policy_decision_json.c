/*
 * policy_decision_json.c: a decision as JSON, for the 403 body and `hallmark policy check`.
 *
 * {"decision":"allow"|"deny","product":..,"channel":..,"version":..,"identity":..,
 *  "policy":{"sha256":..},"reasons":[{"rule","reason","hint"}],
 *  "findings":[{"id","component","version","purl","cvss","kev","status","vex"}],
 *  "inputs":[{"kind","name","digest":{"sha256"}}],
 *  "obligations":{"key","sbom_sha256","vsa":{...}}}      (obligations only when allowed)
 */
#include <stdio.h>
#include <string.h>

#include "policy_int.h"

/* Strings in a decision are UTF-8 (they come from documents hm_json_parse checked, or
 * from us): escape '"', '\\' and control bytes; keep the rest as is. */
static void
put_str(struct hm_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;

    if (s == NULL) {
        hm_buf_puts(b, "null");
        return;
    }
    hm_buf_append(b, "\"", 1);
    for (size_t i = 0; s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
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
    hm_buf_puts(b, s + run);
    hm_buf_append(b, "\"", 1);
}

static void
put_member(struct hm_buf *b, bool comma, const char *key, const char *value)
{
    if (comma) {
        hm_buf_append(b, ",", 1);
    }
    put_str(b, key);
    hm_buf_append(b, ":", 1);
    put_str(b, value);
}

static void
put_hex(struct hm_buf *b, const char *key, const uint8_t *bytes)
{
    char hex[2 * HM_SHA256_LEN + 1];

    hm_hex_encode(bytes, HM_SHA256_LEN, hex);
    hm_buf_printf(b, "\"%s\":\"%s\"", key, hex);
}

static const char *
status_name(enum hm_policy_finding_status s)
{
    switch (s) {
    case HM_FINDING_DENIED:
        return "denied";
    case HM_FINDING_CLEARED:
        return "cleared";
    case HM_FINDING_ACCEPTED:
        return "accepted";
    }
    return "unknown";
}

static void
put_reasons(struct hm_buf *b, const struct hm_policy_decision *d)
{
    hm_buf_puts(b, ",\"reasons\":[");
    for (size_t i = 0; i < d->n_reasons; i++) {
        hm_buf_puts(b, i > 0 ? ",{" : "{");
        put_member(b, false, "rule", d->reasons[i].rule);
        put_member(b, true, "reason", d->reasons[i].reason);
        put_member(b, true, "hint", d->reasons[i].hint);
        hm_buf_puts(b, "}");
    }
    hm_buf_puts(b, "]");
}

static void
put_findings(struct hm_buf *b, const struct hm_policy_decision *d)
{
    hm_buf_puts(b, ",\"findings\":[");
    for (size_t i = 0; i < d->n_findings; i++) {
        const struct hm_policy_finding *f = &d->findings[i];

        hm_buf_puts(b, i > 0 ? ",{" : "{");
        put_member(b, false, "id", f->id);
        put_member(b, true, "component", f->component);
        put_member(b, true, "version", f->version);
        put_member(b, true, "purl", f->purl);
        if (f->cvss >= 0) {
            hm_buf_printf(b, ",\"cvss\":%.1f", f->cvss);
        } else {
            hm_buf_puts(b, ",\"cvss\":null");
        }
        hm_buf_printf(b, ",\"kev\":%s", f->kev ? "true" : "false");
        put_member(b, true, "status", status_name(f->status));
        put_member(b, true, "vex", f->vex);
        put_member(b, true, "fixed", f->fixed);
        hm_buf_puts(b, "}");
    }
    hm_buf_puts(b, "]");
}

static void
put_inputs(struct hm_buf *b, const struct hm_policy_decision *d)
{
    hm_buf_puts(b, "[");
    for (size_t i = 0; i < d->n_inputs; i++) {
        hm_buf_puts(b, i > 0 ? ",{" : "{");
        put_member(b, false, "kind", d->inputs[i].kind);
        put_member(b, true, "name", d->inputs[i].name);
        hm_buf_puts(b, ",\"digest\":{");
        put_hex(b, "sha256", d->inputs[i].sha256);
        hm_buf_puts(b, "}}");
    }
    hm_buf_puts(b, "]");
}

static void
put_obligations(struct hm_buf *b, const struct hm_policy_decision *d)
{
    hm_buf_puts(b, ",\"obligations\":{");
    put_member(b, false, "key", d->key);
    if (d->has_sbom) {
        hm_buf_puts(b, ",");
        put_hex(b, "sbom_sha256", d->sbom_sha256);
    } else {
        hm_buf_puts(b, ",\"sbom_sha256\":null");
    }
    hm_buf_puts(b, ",\"vsa\":{");
    put_member(b, false, "verifier_id", d->verifier_id);
    put_member(b, true, "policy_uri", d->policy_uri);
    hm_buf_puts(b, ",");
    put_hex(b, "policy_sha256", d->policy_sha256);
    hm_buf_puts(b, ",\"result\":\"PASSED\",\"verified_levels\":[\"" HM_POLICY_VSA_LEVEL "\"]}}");
}

hm_err
hm_policy_decision_to_json(const struct hm_policy_decision *d, char **out, size_t *len)
{
    bool allowed = hm_policy_decision_allowed(d);
    struct hm_buf b;
    hm_err rc;

    *out = NULL;
    *len = 0;
    hm_buf_init(&b, 0);
    hm_buf_puts(&b, "{");
    put_member(&b, false, "decision", allowed ? "allow" : "deny");
    put_member(&b, true, "product", d->product);
    put_member(&b, true, "channel", d->channel);
    put_member(&b, true, "version", d->version);
    put_member(&b, true, "identity", d->identity);
    hm_buf_puts(&b, ",\"policy\":{");
    put_hex(&b, "sha256", d->policy_sha256);
    hm_buf_puts(&b, "}");
    put_reasons(&b, d);
    put_findings(&b, d);
    hm_buf_puts(&b, ",\"inputs\":");
    put_inputs(&b, d);
    if (allowed) {
        put_obligations(&b, d);
    }
    hm_buf_puts(&b, "}");
    if ((rc = hm_buf_status(&b)) != HM_OK) {
        hm_buf_free(&b);
        return rc;
    }
    *out = (char *)hm_buf_steal(&b, len);
    return HM_OK;
}

/*
 * cli_show.c: `hallmark show BUNDLE [--json] [--key PUB.pem]`: any Hallmark bundle (or
 * bare DSSE envelope) in plain words for a person: the envelope, whether the signature
 * was checked, and the statement: release, SLSA VSA, SBOM, key attestation, steward
 * attestation, approval, or any other predicate generically.
 *
 * Everything printed comes from untrusted bytes: it is read with hm_json_parse's limits,
 * and in text mode every control character is escaped, so that a statement cannot move
 * the cursor or change the terminal.  Our own predicates (release, steward) are read
 * with their strict parsers; other tools' predicates tolerantly, field by field.
 * Without --key the output says plainly that the signature was NOT checked.
 */
#include <getopt.h>
#include <hm/attest_policy.h>
#include <hm/json.h>
#include <hm/steward.h>
#include <hm/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define TEXT_MAX    1024 /* bytes of one value printed in text mode */
#define OUT_DEPTH   16
#define PRED_KEY    "https://hallmark.dev/attestation/key/v1"
#define PRED_CDX    "https://cyclonedx.org/bom"
#define PRED_SPDX   "https://spdx.dev/Document"
#define LIST_SHOWN  64 /* items of one list shown before "... and N more" */
#define COUNT_DEPTH 16 /* nesting of CycloneDX components counted */

/* ---- one emitter for both outputs: text for people, or the same facts as JSON ---- */

struct out {
    bool json;
    cJSON *stack[OUT_DEPTH]; /* json: the open containers; stack[0] is the document */
    bool list[OUT_DEPTH];    /* text: whether level i is a list (items get "- ") */
    size_t depth;
    bool failed; /* json: an allocation failed */
};

/* Prints s with control characters escaped, at most TEXT_MAX bytes. */
static void
put_text(const char *s)
{
    size_t n = 0;

    if (s == NULL) {
        fputs("(none)", stdout);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++, n++) {
        if (n == TEXT_MAX) {
            fputs("...", stdout);
            return;
        }
        if (*p < 0x20 || *p == 0x7f) {
            printf("\\x%02x", *p);
        } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            printf("\\u%04x", p[1]); /* C1 controls, e.g. U+009B (CSI) */
            p++;
        } else {
            putchar(*p);
        }
    }
}

static void
indent(const struct out *o)
{
    for (size_t i = 1; i < o->depth; i++) {
        fputs("  ", stdout);
    }
}

/* Adds item to the open container (under key, unless it is an array). */
static void
json_add(struct out *o, const char *key, cJSON *item)
{
    cJSON *top = o->stack[o->depth - 1];

    if (item == NULL) {
        o->failed = true;
    } else if (cJSON_IsArray(top)) {
        cJSON_AddItemToArray(top, item);
    } else {
        cJSON_AddItemToObject(top, key, item);
    }
}

static void
open_container(struct out *o, const char *key, const char *title, bool list, size_t n)
{
    if (o->depth == OUT_DEPTH) {
        o->failed = true;
        return;
    }
    if (o->json) {
        cJSON *c = list ? cJSON_CreateArray() : cJSON_CreateObject();
        json_add(o, key, c);
        o->stack[o->depth] = c;
    } else {
        indent(o);
        fputs(o->list[o->depth - 1] ? "- " : "", stdout);
        put_text(title);
        if (list) {
            printf(" (%zu)", n);
        }
        putchar('\n');
    }
    o->list[o->depth++] = list;
}

static void
o_begin(struct out *o, const char *key, const char *title)
{
    open_container(o, key, title, false, 0);
}

static void
o_list(struct out *o, const char *key, const char *title, size_t n)
{
    open_container(o, key, title, true, n);
}

static void
o_end(struct out *o)
{
    if (o->depth > 1) {
        o->depth--;
    }
}

static void
o_str(struct out *o, const char *key, const char *label, const char *v)
{
    if (v == NULL) {
        return;
    }
    if (o->json) {
        json_add(o, key, cJSON_CreateString(v));
        return;
    }
    indent(o);
    if (o->list[o->depth - 1]) {
        fputs("- ", stdout);
    } else {
        printf("%s: ", label);
    }
    put_text(v);
    putchar('\n');
}

static void
o_num(struct out *o, const char *key, const char *label, double v)
{
    char text[32];

    if (o->json) {
        json_add(o, key, cJSON_CreateNumber(v));
        return;
    }
    (void)snprintf(text, sizeof(text), "%.0f", v);
    o_str(o, key, label, text);
}

static void
o_bool(struct out *o, const char *key, const char *label, bool v)
{
    if (o->json) {
        json_add(o, key, cJSON_CreateBool(v));
        return;
    }
    o_str(o, key, label, v ? "yes" : "no");
}

static void
o_hex(struct out *o, const char *key, const char *label, const uint8_t *d, size_t n)
{
    char hex[2 * HM_SHA512_LEN + 1];

    hm_hex_encode(d, n, hex);
    o_str(o, key, label, hex);
}

static void
o_time(struct out *o, const char *key, const char *label, int64_t t)
{
    char text[32];

    hm_time_rfc3339(t, text);
    o_str(o, key, label, text);
}

/* ---- tolerant reading of other tools' JSON ---- */

static const char *
str_of(const cJSON *obj, const char *key)
{
    const cJSON *item = hm_json_get(obj, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* A member that is a string, number or boolean, shown as such; objects and arrays are
 * summarised.  depth bounds the recursion into objects. */
static void
show_value(struct out *o, const char *key, const cJSON *v, int depth)
{
    const cJSON *item = NULL;
    size_t n = 0;

    if (cJSON_IsString(v)) {
        o_str(o, key, key, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        o_num(o, key, key, v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        o_bool(o, key, key, cJSON_IsTrue(v));
    } else if (cJSON_IsObject(v) && depth > 0) {
        o_begin(o, key, key);
        cJSON_ArrayForEach(item, v) {
            show_value(o, item->string, item, depth - 1);
        }
        o_end(o);
    } else if (cJSON_IsArray(v) && depth > 0) {
        o_list(o, key, key, (size_t)cJSON_GetArraySize(v));
        cJSON_ArrayForEach(item, v) {
            if (n++ == LIST_SHOWN) {
                break;
            }
            show_value(o, "item", item, depth - 1);
        }
        o_end(o);
    } else if (!cJSON_IsNull(v)) {
        o_str(o, key, key, cJSON_IsArray(v) ? "[...]" : "{...}");
    }
}

static void
show_digests(struct out *o, const cJSON *digest)
{
    const cJSON *d = NULL;

    o_begin(o, "digest", "digest");
    cJSON_ArrayForEach(d, digest) {
        if (cJSON_IsString(d)) {
            o_str(o, d->string, d->string, d->valuestring);
        }
    }
    o_end(o);
}

/* A ResourceDescriptor: name, uri, digests. */
static void
show_descriptor(struct out *o, const cJSON *rd, const char *fallback)
{
    const char *name = str_of(rd, "name"), *uri = str_of(rd, "uri");
    const cJSON *digest = hm_json_get(rd, "digest");

    o_begin(o, NULL, name != NULL ? name : uri != NULL ? uri : fallback);
    if (o->json) {
        o_str(o, "name", "name", name);
    }
    if (name != NULL || o->json) {
        o_str(o, "uri", "uri", uri);
    }
    if (cJSON_IsObject(digest)) {
        show_digests(o, digest);
    }
    o_end(o);
}

static void
show_descriptors(struct out *o, const char *key, const char *title, const cJSON *arr)
{
    const cJSON *item = NULL;
    size_t n = 0;

    if (!cJSON_IsArray(arr)) {
        return;
    }
    o_list(o, key, title, (size_t)cJSON_GetArraySize(arr));
    cJSON_ArrayForEach(item, arr) {
        if (n++ == LIST_SHOWN) {
            break; /* the count above says how many there are */
        }
        if (cJSON_IsObject(item)) {
            show_descriptor(o, item, "(no name)");
        }
    }
    o_end(o);
}

/* ---- the predicates ---- */

static void
show_release(struct out *o, const cJSON *pred, const struct hm_release_pred *r)
{
    const cJSON *arts = hm_json_get(pred, "artifacts"), *a = NULL;

    o_begin(o, "release", "Release");
    o_str(o, "product", "product", r->product);
    o_str(o, "version", "version", r->version);
    o_str(o, "channel", "channel", r->channel);
    o_str(o, "purl", "purl", str_of(pred, "purl"));
    o_str(o, "manufacturer", "manufacturer", str_of(pred, "manufacturer"));
    o_str(o, "securityContact", "security contact", str_of(pred, "securityContact"));
    o_str(o, "supportEnd", "security support until",
          r->support_end != NULL ? r->support_end : (o->json ? NULL : "(not declared)"));
    if (r->has_sbom_sha256) {
        o_hex(o, "sbomSha256", "SBOM sha256", r->sbom_sha256, HM_SHA256_LEN);
    }
    o_time(o, "signedAt", "signed at (the signer's clock)", r->signed_at);
    o_list(o, "artifacts", "artifacts", (size_t)cJSON_GetArraySize(arts));
    cJSON_ArrayForEach(a, arts) {
        const cJSON *size = hm_json_get(a, "size");
        o_begin(o, NULL, str_of(a, "name"));
        if (o->json) {
            o_str(o, "name", "name", str_of(a, "name"));
        }
        o_num(o, "size", "size (bytes)", cJSON_IsNumber(size) ? size->valuedouble : 0);
        show_digests(o, hm_json_get(a, "digest"));
        o_end(o);
    }
    o_end(o);
    o_end(o);
}

static void
show_vsa(struct out *o, const cJSON *pred)
{
    const cJSON *verifier = hm_json_get(pred, "verifier"), *policy = hm_json_get(pred, "policy");
    const cJSON *v = NULL;

    o_begin(o, "vsa", "SLSA verification summary (VSA)");
    o_str(o, "verifier", "verifier", str_of(verifier, "id"));
    if (cJSON_IsObject(v = hm_json_get(verifier, "version"))) {
        show_value(o, "verifierVersion", v, 1);
    }
    o_str(o, "verificationResult", "result", str_of(pred, "verificationResult"));
    o_str(o, "timeVerified", "verified at", str_of(pred, "timeVerified"));
    o_str(o, "resourceUri", "resource", str_of(pred, "resourceUri"));
    o_begin(o, "policy", "policy");
    o_str(o, "uri", "uri", str_of(policy, "uri"));
    if (cJSON_IsObject(v = hm_json_get(policy, "digest"))) {
        show_digests(o, v);
    }
    o_end(o);
    if ((v = hm_json_get(pred, "verifiedLevels")) != NULL) {
        show_value(o, "verifiedLevels", v, 1);
    }
    if ((v = hm_json_get(pred, "dependencyLevels")) != NULL) {
        show_value(o, "dependencyLevels", v, 1);
    }
    o_str(o, "slsaVersion", "SLSA version", str_of(pred, "slsaVersion"));
    show_descriptors(o, "inputAttestations", "inputs", hm_json_get(pred, "inputAttestations"));
    o_end(o);
}

/* CycloneDX components, nested ones included (bounded). */
static size_t
count_components(const cJSON *arr, int depth)
{
    const cJSON *c = NULL;
    size_t n = 0;

    if (!cJSON_IsArray(arr) || depth == 0) {
        return 0;
    }
    cJSON_ArrayForEach(c, arr) {
        n += 1 + count_components(hm_json_get(c, "components"), depth - 1);
    }
    return n;
}

static size_t
count_typed(const cJSON *arr, const char *type)
{
    const cJSON *c = NULL;
    size_t n = 0;

    cJSON_ArrayForEach(c, arr) {
        const char *t = str_of(c, "type");
        n += t != NULL && strcmp(t, type) == 0;
    }
    return n;
}

static void
show_sbom(struct out *o, const cJSON *pred)
{
    const cJSON *comp = hm_json_get(hm_json_get(pred, "metadata"), "component");
    const cJSON *graph = hm_json_get(pred, "@graph");

    o_begin(o, "sbom", "SBOM");
    if (str_of(pred, "bomFormat") != NULL) {
        o_str(o, "format", "format", str_of(pred, "bomFormat"));
        o_str(o, "specVersion", "spec version", str_of(pred, "specVersion"));
        o_str(o, "serialNumber", "serial number", str_of(pred, "serialNumber"));
        o_str(o, "component", "describes", str_of(comp, "name"));
        o_str(o, "componentVersion", "its version", str_of(comp, "version"));
        o_num(o, "components", "components (nested included)",
              (double)count_components(hm_json_get(pred, "components"), COUNT_DEPTH));
    } else if (str_of(pred, "spdxVersion") != NULL) {
        o_str(o, "format", "format", "SPDX");
        o_str(o, "specVersion", "spec version", str_of(pred, "spdxVersion"));
        o_str(o, "name", "name", str_of(pred, "name"));
        o_num(o, "packages", "packages", (double)cJSON_GetArraySize(hm_json_get(pred, "packages")));
    } else if (cJSON_IsArray(graph)) {
        o_str(o, "format", "format", "SPDX 3 (JSON-LD)");
        o_num(o, "elements", "elements", (double)cJSON_GetArraySize(graph));
        o_num(o, "packages", "packages", (double)count_typed(graph, "software_Package"));
    } else {
        o_str(o, "format", "format", "(the predicate is not an SBOM document we recognise)");
    }
    o_end(o);
}

static void
show_key_attestation(struct out *o, const cJSON *pred, const cJSON *subjects)
{
    static const char *const kinds[] = { "mediaType", "type", "kind", "format" };
    const char *keyid =
        str_of(pred, "keyId") != NULL ? str_of(pred, "keyId") : str_of(pred, "keyid");
    const char *spki = str_of(hm_json_get(cJSON_GetArrayItem(subjects, 0), "digest"), "sha256");
    const cJSON *ev = hm_json_get(pred, "evidence"), *item = NULL;
    uint8_t d[HM_SHA256_LEN];
    char *b64 = NULL;

    o_begin(o, "keyAttestation", "Key attestation");
    o_str(o, "backend", "backend", str_of(pred, "backend"));
    if (keyid == NULL && spki != NULL && strlen(spki) == 64 && hm_is_lower_hex(spki, 64) &&
        hm_hex_decode(spki, 64, d, sizeof(d)) == HM_OK &&
        hm_b64_encode(d, sizeof(d), &b64) == HM_OK) {
        keyid = b64; /* the subject is SHA-256(SPKI DER): its base64 is the key id */
    }
    o_str(o, "keyId", "key id", keyid);
    cJSON_ArrayForEach(item, pred) {
        if (strcmp(item->string, "backend") != 0 && strcmp(item->string, "evidence") != 0 &&
            strcmp(item->string, "keyId") != 0 && strcmp(item->string, "keyid") != 0) {
            show_value(o, item->string, item, 2); /* attributes, module, time, ... */
        }
    }
    if (cJSON_IsArray(ev)) {
        o_list(o, "evidence", "evidence", (size_t)cJSON_GetArraySize(ev));
        cJSON_ArrayForEach(item, ev) {
            const char *kind = NULL;
            for (size_t k = 0; k < 4 && kind == NULL; k++) {
                kind = str_of(item, kinds[k]);
            }
            o_str(o, NULL, NULL, kind != NULL ? kind : "(unnamed evidence)");
        }
        o_end(o);
    }
    o_end(o);
    free(b64);
}

static void
show_requirement(struct out *o, const struct hm_steward_requirement *r)
{
    char title[160];

    (void)snprintf(title, sizeof(title), "%s: %s", hm_cra_item_id(r->item),
                   hm_cra_item_title(r->item));
    o_begin(o, NULL, title);
    if (o->json) {
        o_str(o, "id", "id", hm_cra_item_id(r->item));
        o_str(o, "title", "title", hm_cra_item_title(r->item));
    }
    o_str(o, "status", "status", hm_steward_status_name(r->status));
    if (r->method != HM_STEWARD_METHOD_NONE) {
        o_str(o, "method", "method", hm_steward_method_name(r->method));
    }
    if (r->n_evidence == 0 && !o->json) {
        o_str(o, "comment", "comment", r->comment); /* no "evidence (0)" line for people */
        o_end(o);
        return;
    }
    o_list(o, "evidence", "evidence", r->n_evidence);
    for (size_t j = 0; j < r->n_evidence; j++) {
        o_begin(o, NULL, hm_steward_evidence_name(r->evidence[j].type));
        if (o->json) {
            o_str(o, "type", "type", hm_steward_evidence_name(r->evidence[j].type));
        }
        o_str(o, "uri", "uri", r->evidence[j].uri);
        o_hex(o, "sha256", "sha256", r->evidence[j].sha256, HM_SHA256_LEN);
        o_end(o);
    }
    o_end(o);
    o_str(o, "comment", "comment", r->comment);
    o_end(o);
}

static void
show_steward(struct out *o, const struct hm_steward *st)
{
    char why[256] = "";
    enum hm_steward_verdict v = hm_steward_check(st, NULL, (int64_t)time(NULL), why, sizeof(why));

    o_begin(o, "steward", "CRA steward attestation");
    o_begin(o, "project", "project");
    o_str(o, "name", "name", st->project.name);
    o_str(o, "purl", "purl", st->project.purl);
    o_str(o, "repository", "repository", st->project.repository);
    o_list(o, "versionsCovered", "versions covered", st->project.n_versions);
    for (size_t i = 0; i < st->project.n_versions; i++) {
        o_str(o, NULL, NULL, st->project.versions[i]);
    }
    o_end(o);
    o_end(o);
    o_begin(o, "steward", "steward");
    o_str(o, "legalName", "legal name", st->steward.legal_name);
    o_str(o, "contact", "contact", st->steward.contact);
    o_str(o, "securityTxt", "security.txt", st->steward.security_txt);
    o_str(o, "cvdPolicy", "CVD policy", st->steward.cvd_policy);
    o_end(o);
    o_begin(o, "cybersecurityPolicy", "cybersecurity policy (Art. 24(1))");
    o_str(o, "uri", "uri", st->policy.uri);
    o_hex(o, "sha256", "sha256", st->policy.sha256, HM_SHA256_LEN);
    o_end(o);
    o_begin(o, "supportPeriod", "support period");
    o_str(o, "end", "ends", st->support.end);
    o_str(o, "policy", "policy", st->support.policy);
    o_end(o);
    o_list(o, "requirements", "CRA Annex I requirements", st->n_requirements);
    for (size_t i = 0; i < st->n_requirements; i++) {
        show_requirement(o, &st->requirements[i]);
    }
    o_end(o);
    o_begin(o, "assessor", "assessor");
    o_str(o, "name", "name", st->assessor.name);
    o_str(o, "type", "type", hm_steward_assessor_name(st->assessor.type));
    o_str(o, "programme", "programme", st->assessor.programme);
    o_end(o);
    o_time(o, "timeAssessed", "assessed at", st->time_assessed);
    o_time(o, "expires", "expires at", st->expires);
    o_str(o, "statusNow", "status now", hm_steward_verdict_name(v));
    o_str(o, "statusDetail", "because", why[0] != '\0' ? why : NULL);
    o_end(o);
}

static void
show_approval(struct out *o, const cJSON *pred)
{
    o_begin(o, "approval", "Release approval");
    o_str(o, "product", "product", str_of(pred, "product"));
    o_str(o, "version", "version", str_of(pred, "version"));
    o_str(o, "approver", "approver", str_of(pred, "approver"));
    o_str(o, "comment", "comment", str_of(pred, "comment"));
    o_end(o);
}

static void
show_unknown(struct out *o, const cJSON *pred)
{
    const cJSON *item = NULL;

    o_list(o, "predicateFields", "predicate fields (not shown: a predicate we do not know)",
           (size_t)cJSON_GetArraySize(pred));
    cJSON_ArrayForEach(item, pred) {
        o_str(o, NULL, NULL, item->string);
    }
    o_end(o);
}

/* ---- the statement ---- */

enum kind { K_RELEASE, K_STEWARD, K_VSA, K_SBOM, K_KEY, K_APPROVAL, K_OTHER };

static enum kind
kind_of(const char *ptype)
{
    static const struct {
        const char *prefix;
        bool exact;
        enum kind kind;
    } table[] = {
        { HM_PREDICATE_RELEASE, true, K_RELEASE },
        { HM_PREDICATE_STEWARD, true, K_STEWARD },
        { HM_VSA_PREDICATE, true, K_VSA },
        { PRED_KEY, true, K_KEY },
        { HM_APPROVAL_PREDICATE, true, K_APPROVAL },
        { PRED_CDX, false, K_SBOM },
        { PRED_SPDX, false, K_SBOM },
    };

    for (size_t i = 0; ptype != NULL && i < sizeof(table) / sizeof(table[0]); i++) {
        size_t n = strlen(table[i].prefix);
        if (strncmp(ptype, table[i].prefix, n) == 0 &&
            (ptype[n] == '\0' || (!table[i].exact && ptype[n] == '/'))) {
            return table[i].kind;
        }
    }
    return K_OTHER;
}

static const char *const kind_names[] = {
    "release", "steward", "vsa", "sbom", "key-attestation", "approval", "other",
};
static const char *const kind_titles[] = {
    "a release",
    "a CRA steward attestation",
    "an SLSA verification summary",
    "an SBOM",
    "a key attestation",
    "a release approval",
    "a predicate this version does not know",
};

/* Our own predicates: read by their strict parsers, or refused. */
static int
show_ours(struct out *o, enum kind kind, const uint8_t *payload, size_t len, const cJSON *pred)
{
    struct hm_statement *st = NULL;
    struct hm_steward *sw = NULL;
    char why[256] = "";
    hm_err err;

    if (kind == K_RELEASE) {
        err = hm_statement_parse(payload, len, &st, why, sizeof(why));
    } else {
        err = hm_steward_parse_predicate(payload, len, &sw, why, sizeof(why));
    }
    if (err != HM_OK) {
        o_str(o, "error", "error", why[0] != '\0' ? why : hm_strerror(err));
        return CLI_FAILED;
    }
    if (kind == K_RELEASE) {
        show_release(o, pred, st->release);
    } else {
        show_steward(o, sw);
    }
    hm_statement_free(st);
    hm_steward_free(sw);
    return CLI_OK;
}

static int
show_statement(struct out *o, const uint8_t *payload, size_t len)
{
    static const struct hm_json_limits limits = {
        .max_bytes = HM_PAYLOAD_MAX_BYTES,
        .max_depth = HM_JSON_MAX_DEPTH,
        .max_string = HM_PAYLOAD_MAX_BYTES,
        .max_members = 65536,
    };
    struct hm_json_error jerr = { 0 };
    const cJSON *pred = NULL;
    cJSON *root = NULL;
    char msg[200];
    enum kind kind;
    int rc = CLI_OK;

    if (hm_json_parse(payload, len, &limits, &root, &jerr) != HM_OK || !cJSON_IsObject(root)) {
        (void)snprintf(msg, sizeof(msg), "the payload is not a JSON object: %s (byte %zu)",
                       jerr.message[0] != '\0' ? jerr.message : "not an object", jerr.offset);
        o_str(o, "error", "error", msg);
        cJSON_Delete(root);
        return CLI_FAILED;
    }
    pred = hm_json_get(root, "predicate");
    kind = kind_of(str_of(root, "predicateType"));
    o_begin(o, "statement", "Statement");
    o_str(o, "kind", "kind", o->json ? kind_names[kind] : kind_titles[kind]);
    o_str(o, "type", "type", str_of(root, "_type"));
    o_str(o, "predicateType", "predicate type", str_of(root, "predicateType"));
    show_descriptors(o, "subjects", "subjects", hm_json_get(root, "subject"));
    o_end(o);
    if (kind == K_RELEASE || kind == K_STEWARD) {
        rc = show_ours(o, kind, payload, len, pred);
    } else if (!cJSON_IsObject(pred)) {
        o_str(o, "error", "error", "the statement has no predicate object");
        rc = CLI_FAILED;
    } else if (kind == K_VSA) {
        show_vsa(o, pred);
    } else if (kind == K_SBOM) {
        show_sbom(o, pred);
    } else if (kind == K_KEY) {
        show_key_attestation(o, pred, hm_json_get(root, "subject"));
    } else if (kind == K_APPROVAL) {
        show_approval(o, pred);
    } else {
        show_unknown(o, pred);
    }
    cJSON_Delete(root);
    return rc;
}

/* ---- the envelope and its signature ---- */

/* HM_OK: verified; HM_E_VERIFY: no signature verifies with pk. */
static hm_err
check_signature(const struct hm_dsse *env, const struct hm_pubkey *pk, size_t *which)
{
    uint8_t *pae = NULL;
    size_t pae_len = 0;
    hm_err err;

    if ((err = hm_dsse_pae(env->payload_type, strlen(env->payload_type), env->payload,
                           env->payload_len, &pae, &pae_len)) != HM_OK) {
        return err;
    }
    err = HM_E_VERIFY;
    for (size_t i = 0; i < env->n_sigs && err != HM_OK; i++) {
        err = hm_pubkey_verify(pk, pae, pae_len, env->sigs[i].sig, env->sigs[i].sig_len);
        *which = i;
    }
    free(pae);
    return err;
}

static int
show_signature(struct out *o, const struct hm_dsse *env, const struct hm_pubkey *pk,
               const char *key_path)
{
    char text[512];
    size_t which = 0;
    hm_err err;

    o_begin(o, "signature", "Signature");
    o_bool(o, "checked", "checked", pk != NULL);
    if (pk == NULL) {
        o_bool(o, "verified", "verified", false);
        o_str(o, "summary", "summary",
              "signature NOT checked (no --key given): nothing below is verified");
        o_end(o);
        return CLI_OK;
    }
    err = check_signature(env, pk, &which);
    o_bool(o, "verified", "verified", err == HM_OK);
    o_str(o, "keyid", "with key id", hm_pubkey_keyid(pk));
    o_str(o, "algorithm", "algorithm", hm_key_alg_name(hm_pubkey_alg(pk)));
    if (err == HM_OK) {
        (void)snprintf(text, sizeof(text),
                       "signature %zu of %zu verified with %s over the exact payload bytes",
                       which + 1, env->n_sigs, key_path);
    } else {
        (void)snprintf(text, sizeof(text),
                       "signature does NOT verify with %s: the content is not shown", key_path);
    }
    o_str(o, "summary", "summary", text);
    o_end(o);
    return err == HM_OK ? CLI_OK : CLI_FAILED;
}

static void
show_envelope(struct out *o, const struct hm_bundle *b, const struct hm_dsse *env)
{
    o_begin(o, "envelope", "Envelope");
    o_str(o, "kind", "kind", b != NULL ? "Sigstore bundle v0.3" : "DSSE envelope");
    o_str(o, "mediaType", "media type", b != NULL ? b->media_type : NULL);
    o_str(o, "keyid", "key id (as the envelope names it)",
          b != NULL         ? b->hint
          : env->n_sigs > 0 ? env->sigs[0].keyid
                            : NULL);
    o_str(o, "payloadType", "payload type", env->payload_type);
    o_num(o, "payloadBytes", "payload bytes", (double)env->payload_len);
    o_num(o, "signatures", "signatures", (double)env->n_sigs);
    if (b != NULL) {
        o_num(o, "tlogEntries", "transparency-log entries", (double)b->n_tlog_entries);
    }
    o_end(o);
}

/* ---- the command ---- */

enum { OPT_JSON = 1, OPT_KEY, OPT_HELP };

static const struct option show_options[] = {
    { "json", no_argument, NULL, OPT_JSON },
    { "key", required_argument, NULL, OPT_KEY },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

static void
show_usage(FILE *f)
{
    fprintf(f, "usage: hallmark show BUNDLE [--json] [--key PUB.pem]\n"
               "\n"
               "Prints a Hallmark bundle (or a bare DSSE envelope, as approvals travel) in\n"
               "plain words: the envelope, the signature, and the statement: a release, an\n"
               "SLSA verification summary, an SBOM, a key attestation, a CRA steward\n"
               "attestation, an approval, or any other predicate by its type and subjects.\n"
               "Without --key the signature is NOT checked and the output says so; with\n"
               "--key the DSSE signature is verified first, and nothing is shown if it fails.\n"
               "--json prints the same facts as one JSON document.\n"
               "Exit codes: 0 shown, 1 malformed or the signature does not verify, 2 usage or\n"
               "I/O error.\n");
}

static int
load_key(const char *path, struct hm_pubkey **pk)
{
    uint8_t *pem = NULL;
    size_t len = 0;
    hm_err err;

    if ((err = hm_read_file(path, 64 * 1024, &pem, &len)) != HM_OK) {
        fprintf(stderr, "hallmark show: cannot read key %s: %s\n", path, hm_strerror(err));
        return CLI_USAGE;
    }
    err = hm_pubkey_from_pem(pem, len, pk);
    free(pem);
    if (err != HM_OK) {
        fprintf(stderr, "hallmark show: %s holds no supported public key\n", path);
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* A bundle, or else a bare envelope; HM_E_INVALID with the bundle's reason. */
static hm_err
read_envelope(const uint8_t *buf, size_t len, struct hm_bundle **b, struct hm_dsse **env, char *why,
              size_t why_len)
{
    char other[64];
    hm_err err;

    if ((err = hm_bundle_parse(buf, len, b, why, why_len)) == HM_OK) {
        return HM_OK;
    }
    if (memmem(buf, len, "\"dsseEnvelope\"", 14) == NULL &&
        hm_dsse_parse_why(buf, len, env, other, sizeof(other)) == HM_OK) {
        return HM_OK;
    }
    return err;
}

static int
show_file(const char *path, const struct hm_pubkey *pk, const char *key_path, bool json)
{
    struct out o = { .json = json, .depth = 1 };
    struct hm_bundle *b = NULL;
    struct hm_dsse *env = NULL;
    uint8_t *buf = NULL;
    char why[256] = "", *text = NULL;
    size_t len = 0;
    hm_err err;
    int rc = CLI_FAILED;

    if ((err = hm_read_file(path, HM_BUNDLE_MAX_BYTES, &buf, &len)) != HM_OK) {
        fprintf(stderr, "hallmark show: cannot read %s: %s\n", path,
                err == HM_E_LIMIT ? "larger than a bundle may be (1 MiB)" : hm_strerror(err));
        return err == HM_E_LIMIT ? CLI_FAILED : CLI_USAGE;
    }
    if (read_envelope(buf, len, &b, &env, why, sizeof(why)) != HM_OK) {
        fprintf(stderr, "hallmark show: %s is not a bundle we read: %s\n", path, why);
        goto out;
    }
    env = b != NULL ? b->dsse : env;
    if (json && (o.stack[0] = cJSON_CreateObject()) == NULL) {
        rc = CLI_USAGE;
        goto out;
    }
    o_str(&o, "file", "File", path);
    show_envelope(&o, b, env);
    if ((rc = show_signature(&o, env, pk, key_path)) == CLI_OK) {
        if (strcmp(env->payload_type, HM_PAYLOAD_TYPE_INTOTO) != 0) {
            o_str(&o, "error", "error", "the payload is not an in-toto statement");
            rc = CLI_FAILED;
        } else {
            rc = show_statement(&o, env->payload, env->payload_len);
        }
    }
    if (json) {
        if (o.failed || (text = cJSON_Print(o.stack[0])) == NULL) {
            fprintf(stderr, "hallmark show: out of memory\n");
            rc = CLI_USAGE;
            goto out;
        }
        printf("%s\n", text);
    }
out:
    if (b == NULL) {
        hm_dsse_free(env);
    }
    hm_bundle_free(b);
    cJSON_Delete(o.stack[0]);
    free(text);
    free(buf);
    return rc;
}

int
cli_show(int argc, char **argv)
{
    const char *key_path = NULL;
    struct hm_pubkey *pk = NULL;
    bool json = false;
    int c, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", show_options, NULL)) != -1) {
        switch (c) {
        case OPT_JSON:
            json = true;
            break;
        case OPT_KEY:
            key_path = optarg;
            break;
        case OPT_HELP:
            show_usage(stdout);
            return CLI_OK;
        default:
            show_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "hallmark show: needs exactly one bundle\n");
        return CLI_USAGE;
    }
    if (key_path != NULL && (rc = load_key(key_path, &pk)) != CLI_OK) {
        return rc;
    }
    rc = show_file(argv[optind], pk, key_path, json);
    hm_pubkey_free(pk);
    return rc;
}

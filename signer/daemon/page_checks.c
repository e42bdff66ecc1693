/*
 * page_checks.c: what the page says about each key and log entry, and which checks passed,
 * computed here with libhallmark-verify: the same C code a device or `hallmark verify` runs.
 *
 * The log entries come from the store as they were logged (leaf) and returned (bundle,
 * without its tlogEntries).  Per entry the page checks: the key is one of this signer's;
 * the leaf describes this bundle's envelope (payload hash, signature); the signature and
 * the statement verify with the logged key (hm_verify_bundle_key, or
 * hm_verify_steward_bundle for steward attestations, which also checks the expiry).
 */
#include <hm/json.h>
#include <hm/steward.h>
#include <hm/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_int.h"

static const struct hm_json_limits keys_limits = { .max_bytes = (size_t)4 << 20,
                                                   .max_depth = 16,
                                                   .max_string = (size_t)1 << 20,
                                                   .max_members = 4096 };

static const char *
str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The key's attestation bundle, checked for possession and evidence. */
static void
key_attestation(struct hm_buf *b, const cJSON *k, const struct hm_pubkey *pk, int64_t now)
{
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(k, "attestation");
    struct hm_keyatt_opts o = { 0 };
    struct hm_keyatt_result r;
    char *json = NULL, detail[320];
    size_t len = 0;

    if (!cJSON_IsObject(att)) {
        page_check(b, PAGE_SKIP, "key attestation", "the signer could not make one for this key");
        return;
    }
    hm_pubkey_spki(pk, &o.spki, &o.spki_len);
    o.allow_self_asserted = true;
    o.now = now;
    /* a re-serialisation is fine here: the signature is over the DSSE payload inside */
    if (hm_json_print(att, &json, &len) != HM_OK) {
        page_check(b, PAGE_SKIP, "key attestation", "out of memory");
        return;
    }
    if (hm_verify_keyatt_bundle((const uint8_t *)json, len, &o, &r) != HM_OK) {
        page_check(b, PAGE_SKIP, "key attestation",
                   "no TPM manufacturer roots on this server to check it against");
    } else if (r.status != HM_KA_OK) {
        snprintf(detail, sizeof(detail), "%s: %s", hm_verify_keyatt_status_name(r.status),
                 r.detail);
        page_check(b, PAGE_FAIL, "key attestation", detail);
    } else {
        page_check(b, PAGE_OK, "key attestation",
                   r.hardware_verified ? "TPM evidence verified up to a manufacturer root"
                                       : "signed by the key itself; the token's attributes say "
                                         "it cannot leave the token (the signer's own claim)");
    }
    free(json);
}

static const char *
backend_words(const char *backend)
{
    if (backend != NULL && strcmp(backend, "pkcs11") == 0) {
        return "a PKCS#11 token (HSM)";
    }
    if (backend != NULL && strcmp(backend, "tpm2") == 0) {
        return "a TPM 2.0";
    }
    return backend != NULL ? backend : "the HSM";
}

static void
one_key(struct hm_buf *b, const cJSON *k, int64_t now, struct page_keyset *ks)
{
    const char *keyid = str_of(k, "keyid"), *pem = str_of(k, "pem");
    const cJSON *prods = cJSON_GetObjectItemCaseSensitive(k, "products"), *p = NULL;
    struct hm_pubkey *pk = NULL;
    bool comma = false;

    if (keyid == NULL || pem == NULL) {
        return;
    }
    if (ks->n < PAGE_MAX_KEYS) {
        snprintf(ks->keyid[ks->n++], sizeof(ks->keyid[0]), "%s", keyid);
    }
    hm_buf_puts(b, "<section class=\"card key\"><h3>Key <code>");
    page_esc(b, keyid);
    hm_buf_puts(b, "</code></h3>\n<p>An ");
    page_esc(b, str_of(k, "algorithm"));
    hm_buf_puts(b, " key named &ldquo;");
    page_esc(b, str_of(k, "label"));
    hm_buf_puts(b, "&rdquo;, held in ");
    page_esc(b, backend_words(str_of(k, "backend")));
    hm_buf_puts(b, ". It signs releases of: ");
    cJSON_ArrayForEach(p, prods) {
        if (cJSON_IsString(p)) {
            hm_buf_puts(b, comma ? ", " : "");
            page_esc(b, p->valuestring);
            comma = true;
        }
    }
    hm_buf_puts(b,
                comma ? ".</p>\n<ul class=\"checks\">\n" : "(none).</p>\n<ul class=\"checks\">\n");
    if (hm_pubkey_from_pem(pem, strlen(pem), &pk) != HM_OK) {
        page_check(b, PAGE_FAIL, "public key", "not a supported public key");
    } else if (strcmp(hm_pubkey_keyid(pk), keyid) != 0) {
        page_check(b, PAGE_FAIL, "key id", "is not the SHA-256 of the public key");
    } else {
        page_check(b, PAGE_OK, "key id", "is the SHA-256 of the public key");
        key_attestation(b, k, pk, now);
    }
    hm_buf_puts(b, "</ul></section>\n");
    hm_pubkey_free(pk);
}

void
page_keys(struct hm_buf *b, const char *keys_json, int64_t now, struct page_keyset *ks)
{
    cJSON *root = NULL;
    const cJSON *k = NULL;

    ks->n = 0;
    hm_buf_puts(b, "<h2 id=\"keys\">Signing keys</h2>\n");
    if (keys_json == NULL ||
        hm_json_parse(keys_json, strlen(keys_json), &keys_limits, &root, NULL) != HM_OK) {
        hm_buf_puts(b, "<p class=\"empty\">No keys are configured.</p>\n");
        return;
    }
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(root, "keys")) {
        one_key(b, k, now, ks);
    }
    cJSON_Delete(root);
}

/* ---- log entries ---- */

static const char *
kind_of(const char *predicate_type)
{
    static const struct {
        const char *uri, *words;
    } kinds[] = {
        { HM_PREDICATE_RELEASE, "Release" },
        { HM_PREDICATE_STEWARD, "Steward attestation" },
        { HM_PREDICATE_KEY, "Key attestation" },
        { "https://slsa.dev/verification_summary/v1", "Verification summary (VSA)" },
        { "key-event", "Key event" },
        { "https://hallmark.dev/attestation/key-event/v1", "Key event" },
    };

    for (size_t i = 0; predicate_type != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(predicate_type, kinds[i].uri) == 0) {
            return kinds[i].words;
        }
    }
    return NULL;
}

static bool
known_key(const struct page_keyset *ks, const char *keyid)
{
    for (size_t i = 0; keyid != NULL && i < ks->n; i++) {
        if (strcmp(ks->keyid[i], keyid) == 0) {
            return true;
        }
    }
    return false;
}

/* The leaf names this bundle's envelope: its payload hash and its signature. */
static void
check_binding(struct hm_buf *b, const struct hm_dsse_leaf *lf, const char *bundle, size_t len)
{
    struct hm_bundle *bd = NULL;
    uint8_t digest[HM_SHA256_LEN];
    char why[200];

    if (hm_bundle_parse((const uint8_t *)bundle, len, &bd, why, sizeof(why)) != HM_OK) {
        page_check(b, PAGE_FAIL, "bundle", why);
        return;
    }
    hm_sha256(bd->dsse->payload, bd->dsse->payload_len, digest);
    if (!hm_ct_equal(digest, lf->payload_sha256, HM_SHA256_LEN) ||
        bd->dsse->sigs[0].sig_len != lf->sig_len ||
        !hm_ct_equal(bd->dsse->sigs[0].sig, lf->sig, lf->sig_len)) {
        page_check(b, PAGE_FAIL, "log entry and bundle",
                   "the logged payload hash or signature is not the bundle's");
    } else {
        page_check(b, PAGE_OK, "log entry and bundle",
                   "the log holds this very envelope (payload hash and signature)");
    }
    hm_bundle_free(bd);
}

/* Every subject the leaf names is a subject of the statement, by SHA-256. */
static bool
subjects_match(const struct hm_dsse_leaf *lf, const struct hm_statement *st)
{
    for (size_t i = 0; i < lf->n_subjects; i++) {
        bool found = false;
        for (size_t j = 0; j < st->n_subjects && !found; j++) {
            found = st->subjects[j].has_sha256 &&
                    hm_ct_equal(st->subjects[j].sha256, lf->subjects[i].sha256, HM_SHA256_LEN);
        }
        if (!found) {
            return false;
        }
    }
    /* a leaf without subjects (key events) vouches for the type only */
    return lf->n_subjects == 0 || st->n_subjects == lf->n_subjects;
}

/* Release and other statements: the DSSE signature over the PAE with the logged key, then
 * the statement from the verified bytes: its type and subjects are the logged ones. */
static void
check_statement(struct hm_buf *b, const struct hm_dsse_leaf *lf, const struct hm_pubkey *pk,
                const char *bundle, size_t len)
{
    struct hm_statement *st = NULL;
    struct hm_bundle *bd = NULL;
    uint8_t *pae = NULL;
    size_t pae_len = 0;
    char why[200] = "";

    if (hm_bundle_parse((const uint8_t *)bundle, len, &bd, why, sizeof(why)) != HM_OK) {
        return; /* check_binding said why */
    }
    if (hm_dsse_pae(bd->dsse->payload_type, strlen(bd->dsse->payload_type), bd->dsse->payload,
                    bd->dsse->payload_len, &pae, &pae_len) != HM_OK ||
        hm_pubkey_verify(pk, pae, pae_len, bd->dsse->sigs[0].sig, bd->dsse->sigs[0].sig_len) !=
            HM_OK) {
        page_check(b, PAGE_FAIL, "signature", "does not verify over the DSSE PAE with the key");
    } else if (hm_statement_parse(bd->dsse->payload, bd->dsse->payload_len, &st, why,
                                  sizeof(why)) != HM_OK) {
        page_check(b, PAGE_OK, "signature", "verifies over the DSSE PAE with the logged key");
        page_check(b, PAGE_FAIL, "statement", why);
    } else {
        page_check(b, PAGE_OK, "signature", "verifies over the DSSE PAE with the logged key");
        bool same = lf->predicate_type != NULL &&
                    strcmp(st->predicate_type, lf->predicate_type) == 0 && subjects_match(lf, st);
        page_check(b, same ? PAGE_OK : PAGE_FAIL, "statement",
                   same ? "its type and subjects are the logged ones"
                        : "its type or subjects differ from the log entry");
    }
    free(pae);
    hm_statement_free(st);
    hm_bundle_free(bd);
}

static void
steward_card(struct hm_buf *s, uint64_t index, const struct hm_verify_steward_result *r)
{
    hm_buf_printf(s, "<section class=\"card steward\" id=\"steward-%llu\"><h3>",
                  (unsigned long long)index);
    page_esc(s, r->project_name);
    hm_buf_puts(s, " &mdash; steward attestation</h3>\n<p>");
    page_esc(s, r->steward);
    hm_buf_puts(s, " attests the security of <code>");
    page_esc(s, r->project_purl);
    hm_buf_puts(s, "</code> under the Cyber Resilience Act (Art. 25). Assessed by ");
    page_esc(s, r->assessor);
    hm_buf_puts(s, " on ");
    page_time(s, r->time_assessed);
    hm_buf_puts(s, "; valid until ");
    page_time(s, r->expires);
    hm_buf_printf(s, ". Of %zu Annex I requirement(s) covered, %zu met and %zu partially met.",
                  r->n_requirements, r->n_met, r->n_partially);
    hm_buf_printf(s, " Log entry #%llu.</p>\n<ul class=\"checks\">\n", (unsigned long long)index);
}

/* Steward attestations: signature, predicate and expiry (hm_verify_steward_bundle). */
static void
check_steward(struct hm_buf *b, struct hm_buf *cards, uint64_t index, const struct hm_pubkey *pk,
              const char *bundle, size_t len, int64_t now, const char *key_words)
{
    struct hm_verify_steward_opts o = { .now = now };
    struct hm_verify_steward_result r;
    struct hm_buf c;
    char detail[320];
    bool sig_ok;

    hm_buf_init(&c, 0);
    if (hm_verify_steward_bundle(NULL, pk, (const uint8_t *)bundle, len, &o, &r, NULL) != HM_OK) {
        r.status = HM_V_MALFORMED_BUNDLE;
    }
    sig_ok = r.status == HM_V_OK || r.status == HM_V_ATTESTATION_EXPIRED;
    snprintf(detail, sizeof(detail), "%s: %s", hm_verify_status_name(r.status), r.detail);
    page_check(&c, sig_ok ? PAGE_OK : PAGE_FAIL, "signature and predicate",
               sig_ok ? "the DSSE signature verifies with the logged key and the attestation "
                        "reads as the predicate requires"
                      : detail);
    if (sig_ok) {
        page_check(&c, r.status == HM_V_OK ? PAGE_OK : PAGE_FAIL, "current",
                   r.status == HM_V_OK ? "not expired" : r.detail);
    }
    hm_buf_append(b, c.data, c.len);
    if (r.project_name[0] != '\0') {
        steward_card(cards, index, &r);
        hm_buf_puts(cards, key_words);
        hm_buf_append(cards, c.data, c.len);
        hm_buf_puts(cards, "</ul></section>\n");
    }
    hm_buf_free(&c);
}

static void
entry_words(struct hm_buf *b, const struct hm_dsse_leaf *lf)
{
    const char *kind = kind_of(lf->predicate_type);

    page_esc(b, kind != NULL ? kind : "Statement");
    if (kind == NULL && lf->predicate_type != NULL) {
        hm_buf_puts(b, " of type <code>");
        page_esc(b, lf->predicate_type);
        hm_buf_puts(b, "</code>");
    }
    if (lf->product != NULL) {
        hm_buf_puts(b, " of <b>");
        page_esc(b, lf->product);
        hm_buf_puts(b, "</b>");
    }
    if (lf->version != NULL) {
        hm_buf_puts(b, " version <b>");
        page_esc(b, lf->version);
        hm_buf_puts(b, "</b>");
    }
    if (lf->channel != NULL) {
        hm_buf_puts(b, " on channel ");
        page_esc(b, lf->channel);
    }
    hm_buf_printf(b, ", %zu subject(s), signed by key <code>", lf->n_subjects);
    page_esc(b, lf->keyid);
    hm_buf_puts(b, "</code> and logged on ");
    page_time(b, lf->time);
    hm_buf_puts(b, ".</p>\n<ul class=\"checks\">\n");
}

void
page_entry(struct hm_buf *log, struct hm_buf *stewards, uint64_t index, const uint8_t *leaf,
           size_t leaf_len, const char *bundle, size_t bundle_len, const struct page_keyset *ks,
           int64_t now)
{
    struct hm_dsse_leaf *lf = NULL;
    struct hm_pubkey *pk = NULL;
    struct hm_buf kw;
    char why[200];
    bool mine;

    hm_buf_printf(log,
                  "<section class=\"card entry\" id=\"entry-%llu\"><h3>Log entry #%llu</h3>\n<p>",
                  (unsigned long long)index, (unsigned long long)index);
    if (hm_dsse_leaf_parse(leaf, leaf_len, &lf, why, sizeof(why)) != HM_OK) {
        hm_buf_puts(log, "An entry this page cannot read.</p>\n<ul class=\"checks\">\n");
        page_check(log, PAGE_FAIL, "log entry", why);
        hm_buf_puts(log, "</ul></section>\n");
        return;
    }
    entry_words(log, lf);
    mine = known_key(ks, lf->keyid);
    hm_buf_init(&kw, 0);
    page_check(&kw, mine ? PAGE_OK : PAGE_FAIL, "key",
               mine ? "one of this signer's keys" : "not one of this signer's keys");
    hm_buf_append(log, kw.data, kw.len);
    if (bundle == NULL || bundle_len == 0) {
        page_check(log, PAGE_SKIP, "signature", "the store holds no bundle for this entry");
    } else if (hm_pubkey_from_spki(lf->verifier_spki, lf->verifier_spki_len, &pk) != HM_OK) {
        page_check(log, PAGE_FAIL, "signature", "the logged verifier is not a supported key");
    } else {
        check_binding(log, lf, bundle, bundle_len);
        if (lf->predicate_type != NULL && strcmp(lf->predicate_type, HM_PREDICATE_STEWARD) == 0) {
            check_steward(log, stewards, index, pk, bundle, bundle_len, now,
                          kw.data != NULL ? (const char *)kw.data : "");
        } else {
            check_statement(log, lf, pk, bundle, bundle_len);
        }
    }
    hm_buf_puts(log, "</ul></section>\n");
    hm_buf_free(&kw);
    hm_pubkey_free(pk);
    hm_dsse_leaf_free(lf);
}

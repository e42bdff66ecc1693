/* steward_test.c: see steward_test.h. */
#include "steward_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/x509.h>

EVP_PKEY *
sw_keygen(void)
{
    EVP_PKEY *pkey = EVP_EC_gen("P-256");

    assert_non_null(pkey);
    return pkey;
}

struct hm_pubkey *
sw_pubkey(EVP_PKEY *pkey)
{
    unsigned char *der = NULL;
    struct hm_pubkey *pk = NULL;
    int len = i2d_PUBKEY(pkey, &der);

    assert_true(len > 0);
    assert_int_equal(hm_pubkey_from_spki(der, (size_t)len, &pk), HM_OK);
    OPENSSL_free(der);
    return pk;
}

hm_err
sw_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t n = 0;
    hm_err err = HM_E_BACKEND;

    *sig = NULL;
    if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, ctx) != 1 ||
        EVP_DigestSign(md, NULL, &n, msg, len) != 1 || (*sig = malloc(n)) == NULL ||
        EVP_DigestSign(md, *sig, &n, msg, len) != 1) {
        free(*sig);
        *sig = NULL;
        goto out;
    }
    *sig_len = n;
    err = HM_OK;
out:
    EVP_MD_CTX_free(md);
    return err;
}

uint8_t *
sw_read(const char *rel, size_t *len)
{
    const char *src = getenv("HM_SRC");
    char path[4096];
    uint8_t *buf = NULL;

    assert_non_null(src);
    (void)snprintf(path, sizeof(path), "%s/%s", src, rel);
    if (hm_read_file(path, 1u << 20, &buf, len) != HM_OK) {
        fail_msg("cannot read %s", path);
    }
    return buf;
}

cJSON *
sw_base(void)
{
    size_t len = 0;
    uint8_t *buf = sw_read("tests/steward/data/input-base.json", &len);
    cJSON *root = NULL;

    assert_int_equal(hm_json_parse(buf, len, NULL, &root, NULL), HM_OK);
    free(buf);
    return root;
}

uint8_t *
sw_print(const cJSON *root, size_t *len)
{
    char *text = cJSON_PrintUnformatted(root);

    assert_non_null(text);
    *len = strlen(text);
    return (uint8_t *)text;
}

/* The container and the last key (or index) of path. */
static cJSON *
walk(cJSON *root, const char *path, char *last, size_t last_len, long *index)
{
    char buf[256], *save = NULL;
    cJSON *cur = root;

    (void)snprintf(buf, sizeof(buf), "%s", path);
    *index = -1;
    for (char *tok = strtok_r(buf, ".", &save); tok != NULL; tok = strtok_r(NULL, ".", &save)) {
        char *br = strchr(tok, '[');
        bool final = save == NULL || *save == '\0';

        if (br != NULL) {
            *br = '\0';
            cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
            assert_non_null(cur);
            if (final) {
                *index = strtol(br + 1, NULL, 10);
                return cur;
            }
            cur = cJSON_GetArrayItem(cur, (int)strtol(br + 1, NULL, 10));
        } else if (final) {
            (void)snprintf(last, last_len, "%s", tok);
            return cur;
        } else {
            cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
        }
        if (cur == NULL) {
            fail_msg("no %s in the fixture", path);
        }
    }
    fail_msg("empty path");
    return NULL;
}

void
sw_mutate(cJSON *root, const char *path, const char *value)
{
    char last[64] = "";
    long index;
    cJSON *parent = walk(root, path, last, sizeof(last), &index);
    cJSON *item = value != NULL ? cJSON_Parse(value) : NULL;

    assert_true(value == NULL || item != NULL);
    if (index >= 0) {
        if (item == NULL) {
            cJSON_DeleteItemFromArray(parent, (int)index);
        } else {
            assert_true(cJSON_ReplaceItemInArray(parent, (int)index, item));
        }
    } else if (item == NULL) {
        cJSON_DeleteItemFromObjectCaseSensitive(parent, last);
    } else if (cJSON_GetObjectItemCaseSensitive(parent, last) != NULL) {
        assert_true(cJSON_ReplaceItemInObjectCaseSensitive(parent, last, item));
    } else {
        cJSON_AddItemToObject(parent, last, item);
    }
}

hm_err
sw_parse_mutated(const char *path, const char *value, int64_t now, struct hm_steward **out,
                 char *why, size_t why_len)
{
    cJSON *root = sw_base();
    size_t len = 0;
    uint8_t *doc = NULL;
    hm_err err;

    if (path != NULL) {
        sw_mutate(root, path, value);
    }
    doc = sw_print(root, &len);
    err = hm_steward_parse_input(doc, len, now, out, why, why_len);
    cJSON_free(doc);
    cJSON_Delete(root);
    return err;
}

/* Each case replaces the first occurrence of from by to in the signed payload. */
const struct sw_field sw_fields[] = {
    { "subject[0].name", "demo-2.1.0.tar.gz", "demo-2.1.1.tar.gz" },
    { "subject[0].digest.sha256", "\"sha256\":\"1111", "\"sha256\":\"1112" },
    { "subject[0].digest.sha512", "\"sha512\":\"2222", "\"sha512\":\"2223" },
    { "subject[1].digest.gitCommit", "\"gitCommit\":\"aaaa", "\"gitCommit\":\"aaab" },
    { "project.name", "\"name\":\"demo\"", "\"name\":\"dem0\"" },
    { "project.purl", "pkg:github/example/demo\"", "pkg:github/exampl3/demo\"" },
    { "project.repository", "https://github.com/example/demo", "https://github.com/example/dem0" },
    { "project.versionsCovered", "\"2.1.0\",", "\"2.2.0\"," },
    { "steward.legalName", "Demo Stewards e.V.", "Demo Stewards eV." },
    { "steward.contact", "security@example.org", "secur1ty@example.org" },
    { "steward.securityTxt", "https://example.org/.well-known/security.txt",
      "https://example.net/.well-known/security.txt" },
    { "steward.cvdPolicy", "https://example.org/cvd", "https://example.org/cve" },
    { "cybersecurityPolicy.uri", "https://example.org/policy.md", "https://example.org/policz.md" },
    { "cybersecurityPolicy.digest", "\"sha256\":\"3333", "\"sha256\":\"3334" },
    { "supportPeriod.end", "2030-12-31", "2035-12-31" },
    { "supportPeriod.policy", "latest minor release line", "latest major release line" },
    { "requirements[0].id", "annexI.partI.2.a", "annexI.partI.2.b" },
    { "requirements[0].status", "\"status\":\"partially\"", "\"status\":\"met\"" },
    { "requirements[0].method", "\"method\":\"third-party\"", "\"method\":\"self-assessed\"" },
    { "requirements[0].evidence[0].type", "\"type\":\"vex\"", "\"type\":\"sbom\"" },
    { "requirements[0].evidence[0].uri", "https://example.org/vex.json",
      "https://example.org/vex2.json" },
    { "requirements[0].evidence[0].digest", "\"sha256\":\"5555", "\"sha256\":\"5556" },
    { "requirements[0].comment", "two open low-severity", "no open low-severity" },
    { "requirements[1] dropped", "{\"id\":\"annexI.partI.2.d\",\"status\":\"not_assessed\"},", "" },
    { "assessor.name", "Audit Example GmbH", "Audit Example AG" },
    { "assessor.type", "\"type\":\"third-party\"", "\"type\":\"steward\"" },
    { "assessor.programme", "EXAMPLE-ART25-L1", "EXAMPLE-ART25-L2" },
    { "timeAssessed", "\"timeAssessed\":\"2026-01-01", "\"timeAssessed\":\"2026-01-02" },
    { "expires", "\"expires\":\"2030-01-01", "\"expires\":\"2031-01-01" },
};
const size_t sw_n_fields = sizeof(sw_fields) / sizeof(sw_fields[0]);

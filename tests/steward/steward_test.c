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

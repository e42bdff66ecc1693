/*
 * attest_test.c: see attest_test.h.
 */
#include "attest_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

EVP_PKEY *
test_keygen(enum hm_key_alg alg)
{
    EVP_PKEY *pkey = NULL;

    switch (alg) {
    case HM_KEY_EC_P256:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case HM_KEY_EC_P384:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
        break;
    case HM_KEY_ED25519:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    case HM_KEY_RSA3072_PSS:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
        break;
    }
    assert_non_null(pkey);
    return pkey;
}

struct hm_pubkey *
test_pubkey(EVP_PKEY *pkey)
{
    unsigned char *der = NULL;
    struct hm_pubkey *pk = NULL;
    int len = i2d_PUBKEY(pkey, &der);

    assert_true(len > 0);
    assert_int_equal(hm_pubkey_from_spki(der, (size_t)len, &pk), HM_OK);
    OPENSSL_free(der);
    return pk;
}

/* ECDSA DER -> r||s, for the tests that check a raw signature is refused. */
static void
der_to_raw(uint8_t *sig, size_t *len, size_t half)
{
    const unsigned char *p = sig;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)*len);
    const BIGNUM *r = NULL, *s = NULL;

    assert_non_null(es);
    ECDSA_SIG_get0(es, &r, &s);
    assert_int_equal(BN_bn2binpad(r, sig, (int)half), (int)half);
    assert_int_equal(BN_bn2binpad(s, sig + half, (int)half), (int)half);
    *len = 2 * half;
    ECDSA_SIG_free(es);
}

hm_err
test_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len)
{
    struct test_signer *ts = ctx;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *dg = ts->md;
    size_t n = 0;

    assert_non_null(md);
    if (dg == NULL && ts->alg != HM_KEY_ED25519) {
        dg = ts->alg == HM_KEY_EC_P384 ? EVP_sha384() : EVP_sha256();
    }
    assert_int_equal(EVP_DigestSignInit(md, &pctx, dg, NULL, ts->pkey), 1);
    if (ts->alg == HM_KEY_RSA3072_PSS && !ts->rsa_pkcs1) {
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, ts->pss_salt ? ts->pss_salt : 32),
                         1);
    }
    assert_int_equal(EVP_DigestSign(md, NULL, &n, msg, len), 1);
    *sig = malloc(n);
    assert_non_null(*sig);
    assert_int_equal(EVP_DigestSign(md, *sig, &n, msg, len), 1);
    *sig_len = n;
    EVP_MD_CTX_free(md);
    if (ts->raw_ecdsa) {
        der_to_raw(*sig, sig_len, ts->alg == HM_KEY_EC_P384 ? 48 : 32);
    }
    return HM_OK;
}

uint8_t *
test_read_data(const char *name, size_t *len)
{
    const char *src = getenv("HM_SRC");
    char path[1024];
    uint8_t *buf = NULL;

    assert_non_null(src);
    assert_true(snprintf(path, sizeof(path), "%s/tests/attest/data/%s", src, name) <
                (int)sizeof(path));
    if (hm_read_file(path, 4u << 20, &buf, len) != HM_OK) {
        fail_msg("cannot read fixture %s", path);
    }
    return buf;
}

void
test_digests(const void *data, size_t len, struct hm_digests *out)
{
    unsigned int n = 0;

    memset(out, 0, sizeof(*out));
    assert_int_equal(EVP_Digest(data, len, out->sha256, &n, EVP_sha256(), NULL), 1);
    assert_int_equal(EVP_Digest(data, len, out->sha512, &n, EVP_sha512(), NULL), 1);
    out->size = len;
}

void
test_release_init(struct test_release *tr, const char *const *content, size_t n)
{
    assert_true(n >= 1 && n <= 4);
    memset(tr, 0, sizeof(*tr));
    for (size_t i = 0; i < n; i++) {
        struct hm_digests d;

        test_digests(content[i], strlen(content[i]), &d);
        (void)snprintf(tr->names[i], sizeof(tr->names[i]), "fw-%zu.bin", i);
        tr->arts[i].name = tr->names[i];
        tr->arts[i].size = d.size;
        memcpy(tr->arts[i].sha256, d.sha256, sizeof(d.sha256));
        memcpy(tr->arts[i].sha512, d.sha512, sizeof(d.sha512));
    }
    memset(tr->sbom, 0xab, sizeof(tr->sbom));
    tr->rel.product = "acme-thermostat";
    tr->rel.channel = "stable";
    tr->rel.version = "1.4.2";
    tr->rel.artifacts = tr->arts;
    tr->rel.n_artifacts = n;
    tr->rel.support_end = "2031-12-31";
    tr->rel.sbom_sha256 = tr->sbom;
    tr->rel.signed_at = 1795824000; /* 2026-11-28T00:00:00Z */
}

char *
test_bundle(struct test_signer *signer, const char *keyid, const char *payload_type,
            const uint8_t *payload, size_t len, size_t *out_len)
{
    char *out = NULL;

    assert_int_equal(
        hm_bundle_sign(payload_type, payload, len, keyid, test_sign, signer, &out, out_len), HM_OK);
    assert_non_null(out);
    return out;
}

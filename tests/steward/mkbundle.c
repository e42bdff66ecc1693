/*
 * mkbundle.c: signs a statement into a Sigstore bundle with a fresh software P-256 key, for
 * test_steward_cli.sh (`hallmark show` on each kind of bundle):
 *   steward_mkbundle vsa OUT.bundle.json OUT.pub.pem      a VSA made by hm_vsa_statement
 *   steward_mkbundle payload IN OUT.bundle.json OUT.pub.pem   IN's bytes as the payload
 * The bundle is written by hm_bundle_sign, as hallmarkd writes it.
 */
#include <hm/attest.h>
#include <hm/attest_policy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

static hm_err
sign(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t n = 0;
    hm_err err = HM_E_BACKEND;

    *sig = NULL;
    if (md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, ctx) == 1 &&
        EVP_DigestSign(md, NULL, &n, msg, len) == 1 && (*sig = malloc(n)) != NULL &&
        EVP_DigestSign(md, *sig, &n, msg, len) == 1) {
        *sig_len = n;
        err = HM_OK;
    }
    EVP_MD_CTX_free(md);
    return err;
}

static hm_err
vsa_payload(uint8_t **out, size_t *len)
{
    static const char *const levels[] = { "HALLMARK_RELEASE_POLICY_V1", "SLSA_BUILD_LEVEL_2" };
    struct hm_artifact art = { .name = "acme-thermostat-1.4.2.bin", .size = 1048576 };
    struct hm_vsa_input inputs[2] = { { .name = "request.sbom" },
                                      { .name = "request.provenance",
                                        .uri = "https://ci.example/run/42" } };
    uint8_t policy[HM_SHA256_LEN];
    struct hm_vsa vsa = { .verifier_id = "https://hallmark.example/hallmarkd",
                          .verifier_version = "0.1.0",
                          .resource_uri = "pkg:generic/acme-thermostat@1.4.2",
                          .policy_uri = "https://hallmark.example/policy.json",
                          .policy_sha256 = policy,
                          .artifacts = &art,
                          .n_artifacts = 1,
                          .inputs = inputs,
                          .n_inputs = 2,
                          .levels = levels,
                          .n_levels = 2,
                          .passed = true,
                          .time_verified = 1795824000 };

    memset(art.sha256, 0x11, sizeof(art.sha256));
    memset(art.sha512, 0x22, sizeof(art.sha512));
    memset(inputs[0].sha256, 0x33, sizeof(inputs[0].sha256));
    memset(inputs[1].sha256, 0x44, sizeof(inputs[1].sha256));
    hm_sha256("policy", 6, policy);
    return hm_vsa_statement(&vsa, out, len);
}

int
main(int argc, char **argv)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    struct hm_pubkey *pk = NULL;
    unsigned char *der = NULL;
    uint8_t *payload = NULL;
    char *bundle = NULL, *pem = NULL;
    size_t len = 0, blen = 0;
    int der_len, rc = 2;
    hm_err err;
    bool vsa = argc == 4 && strcmp(argv[1], "vsa") == 0;

    if (!vsa && !(argc == 5 && strcmp(argv[1], "payload") == 0)) {
        fprintf(stderr, "usage: steward_mkbundle vsa OUT PUB | payload IN OUT PUB\n");
        return 2;
    }
    err = vsa ? vsa_payload(&payload, &len) : hm_read_file(argv[2], 1u << 20, &payload, &len);
    if (key == NULL || err != HM_OK || (der_len = i2d_PUBKEY(key, &der)) <= 0 ||
        hm_pubkey_from_spki(der, (size_t)der_len, &pk) != HM_OK ||
        hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, payload, len, hm_pubkey_keyid(pk), sign, key,
                       &bundle, &blen) != HM_OK ||
        hm_pubkey_to_pem(pk, &pem) != HM_OK ||
        hm_write_file_atomic(argv[argc - 2], bundle, blen, 0644) != HM_OK ||
        hm_write_file_atomic(argv[argc - 1], pem, strlen(pem), 0644) != HM_OK) {
        fprintf(stderr, "steward_mkbundle: failed\n");
        goto out;
    }
    rc = 0;
out:
    OPENSSL_free(der);
    EVP_PKEY_free(key);
    hm_pubkey_free(pk);
    free(payload);
    free(bundle);
    free(pem);
    return rc;
}

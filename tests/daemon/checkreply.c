/*
 * checkreply: test helper.  Reads a POST /v1/sign reply, checks its shape, verifies the
 * release bundle in it against a public key and one artifact's digests (with
 * libhallmark-verify, as a device would), and writes the bundle to a file so that
 * `hallmark verify` can check it too.
 *
 *   checkreply REPLY.json KEY.pem NAME SHA256HEX SHA512HEX PRODUCT OUT.bundle.json
 * Exit 0 when it verifies; 1 with the reason otherwise.
 */
#include <hm/json.h>
#include <hm/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
fail(const char *why)
{
    fprintf(stderr, "checkreply: %s\n", why);
    return 1;
}

int
main(int argc, char **argv)
{
    uint8_t *reply = NULL, *pem = NULL;
    size_t rlen = 0, plen = 0, blen = 0;
    cJSON *root = NULL;
    struct hm_pubkey *pk = NULL;
    struct hm_verify_artifact art = { 0 };
    struct hm_verify_opts opts = { 0 };
    struct hm_verify_result res = { 0 };
    char *bundle = NULL;
    int rc = 1;

    if (argc != 8) {
        return fail("usage: checkreply REPLY KEY.pem NAME SHA256 SHA512 PRODUCT OUT");
    }
    if (hm_read_file(argv[1], 4u << 20, &reply, &rlen) != HM_OK ||
        hm_read_file(argv[2], 65536, &pem, &plen) != HM_OK ||
        hm_json_parse(reply, rlen, NULL, &root, NULL) != HM_OK ||
        hm_pubkey_from_pem(pem, plen, &pk) != HM_OK) {
        rc = fail("cannot read the reply or the key");
        goto out;
    }
    const cJSON *bundles = hm_json_get(root, "bundles");
    const cJSON *first = cJSON_GetArrayItem(bundles, 0);
    const cJSON *pt = hm_json_get(first, "predicateType");
    const cJSON *li = hm_json_get(root, "logIndex");
    if (!cJSON_IsArray(bundles) || cJSON_GetArraySize(bundles) != 1 || !cJSON_IsString(pt) ||
        strcmp(pt->valuestring, HM_PREDICATE_RELEASE) != 0 || !cJSON_IsNull(li) ||
        hm_json_print(hm_json_get(first, "bundle"), &bundle, &blen) != HM_OK) {
        rc = fail("the reply is not {bundles:[{predicateType,bundle}],logIndex:null}");
        goto out;
    }
    art.name = argv[3];
    if (hm_hex_decode(argv[4], strlen(argv[4]), art.digests.sha256, 32) != HM_OK ||
        hm_hex_decode(argv[5], strlen(argv[5]), art.digests.sha512, 64) != HM_OK) {
        rc = fail("bad digest arguments");
        goto out;
    }
    opts.product = argv[6];
    if (hm_verify_bundle_key((const uint8_t *)bundle, blen, pk, &art, 1, &opts, &res) != HM_OK ||
        res.status != HM_V_OK) {
        fprintf(stderr, "checkreply: %s: %s\n", hm_verify_status_name(res.status), res.detail);
        goto out;
    }
    if (hm_write_file_atomic(argv[7], bundle, blen, 0644) != HM_OK) {
        rc = fail("cannot write the bundle");
        goto out;
    }
    printf("verified: %s %s %s key %s\n", res.product, res.channel, res.version, res.keyid);
    rc = 0;
out:
    free(reply);
    free(pem);
    free(bundle);
    cJSON_Delete(root);
    hm_pubkey_free(pk);
    return rc;
}

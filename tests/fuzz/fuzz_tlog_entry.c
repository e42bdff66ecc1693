/*
 * fuzz_tlog_entry.c: the transparency-log parts of a bundle on arbitrary bytes: the leaf
 * (canonicalizedBody, hm_dsse_leaf_parse) and the bytes as verificationMaterial.tlogEntries[0]
 * of an otherwise fixed bundle (hm_bundle_parse reads entries strictly but keeps their fate
 * for hm_verify_bundle, so the bundle itself must still parse).
 */
#include <hm/verify.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char HEAD[] = "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
                           "\"verificationMaterial\":{\"publicKey\":{\"hint\":\"K\"},"
                           "\"tlogEntries\":[";
static const char TAIL[] = "]},\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":"
                           "\"application/vnd.in-toto+json\",\"signatures\":[{\"sig\":\"c2ln\","
                           "\"keyid\":\"K\"}]}}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hm_dsse_leaf *leaf = (struct hm_dsse_leaf *)&size;
    struct hm_bundle *b = NULL;
    char why[256] = "", *doc;
    size_t n = sizeof(HEAD) - 1 + size + sizeof(TAIL) - 1;

    if (hm_dsse_leaf_parse(data, size, &leaf, why, sizeof(why)) == HM_OK) {
        if (leaf->keyid == NULL || leaf->sig_len == 0 || leaf->verifier_spki_len == 0) {
            abort();
        }
        hm_dsse_leaf_free(leaf);
    } else if (leaf != NULL || strchr(why, '\n') != NULL) {
        abort();
    }
    if ((doc = malloc(n)) == NULL) {
        return 0;
    }
    memcpy(doc, HEAD, sizeof(HEAD) - 1);
    memcpy(doc + sizeof(HEAD) - 1, data, size);
    memcpy(doc + sizeof(HEAD) - 1 + size, TAIL, sizeof(TAIL) - 1);
    if (hm_bundle_parse((const uint8_t *)doc, n, &b, why, sizeof(why)) == HM_OK) {
        hm_bundle_free(b);
    } else if (b != NULL || strchr(why, '\n') != NULL) {
        abort();
    }
    free(doc);
    return 0;
}

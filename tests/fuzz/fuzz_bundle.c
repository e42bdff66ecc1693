/*
 * fuzz_bundle.c: hm_bundle_parse, then hm_verify_bundle_key with a fixed P-256 key,
 * on arbitrary bytes.  A random bundle must never verify.
 */
#include <hm/verify.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A throwaway P-256 public key (its private half was never kept). */
static const char KEY_PEM[] = "-----BEGIN PUBLIC KEY-----\n"
                              "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEnbxvVhPxButabK5upM6+vWKrBpJ9\n"
                              "/7l15kGe2Ta+iGiM/BcSOYTIVrH9OgWscdSuZ4zxp2DWNIuv5/9qA8UIgA==\n"
                              "-----END PUBLIC KEY-----\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hm_pubkey *key;
    struct hm_bundle *b = NULL;
    struct hm_verify_artifact art = { .name = "fw.bin" };
    struct hm_verify_result res;
    char why[256] = "";

    if (key == NULL && hm_pubkey_from_pem(KEY_PEM, sizeof(KEY_PEM) - 1, &key) != HM_OK) {
        abort();
    }
    if (hm_bundle_parse(data, size, &b, why, sizeof(why)) == HM_OK) {
        if (b->dsse == NULL || b->dsse->n_sigs != 1 || b->hint == NULL) {
            abort();
        }
        hm_bundle_free(b);
    } else if (b != NULL || strchr(why, '\n') != NULL) {
        abort();
    }
    if (hm_verify_bundle_key(data, size, key, &art, 1, NULL, &res) != HM_OK ||
        res.status == HM_V_OK) {
        abort();
    }
    return 0;
}

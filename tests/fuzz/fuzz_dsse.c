/*
 * fuzz_dsse.c: hm_dsse_parse on arbitrary bytes; a parsed envelope is re-checked for
 * the invariants the verifier relies on.
 */
#include <hm/verify.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hm_dsse *env = NULL;
    uint8_t *pae = NULL;
    size_t pae_len = 0;
    char why[256] = "";

    if (hm_dsse_parse_why(data, size, &env, why, sizeof(why)) != HM_OK) {
        if (env != NULL || strchr(why, '\n') != NULL) {
            abort(); /* nothing handed out on failure; reasons are one line */
        }
        return 0;
    }
    if (env->n_sigs == 0 || env->n_sigs > 16 || env->payload_len == 0 ||
        env->payload_len > HM_PAYLOAD_MAX_BYTES) {
        abort();
    }
    for (size_t i = 0; i < env->n_sigs; i++) {
        if (env->sigs[i].sig_len == 0 || env->sigs[i].sig_len > HM_MAX_SIG_BYTES) {
            abort();
        }
    }
    if (hm_dsse_pae(env->payload_type, strlen(env->payload_type), env->payload, env->payload_len,
                    &pae, &pae_len) == HM_OK) {
        free(pae);
    }
    hm_dsse_free(env);
    return 0;
}

/*
 * fuzz_trustroot.c: hm_trustroot_parse on arbitrary bytes, two ways: the bytes as the whole
 * envelope, and the bytes as the root document inside an envelope (so that the document
 * parser is reached without a signature; the threshold check then refuses it).  A root that
 * parses must describe itself consistently; one that does not hands nothing out.
 */
#include <hm/verify.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const uint8_t *buf, size_t len)
{
    struct hm_trustroot_reason why;
    struct hm_trustroot *tr = (struct hm_trustroot *)&why;
    struct hm_trustroot_key_info ki;
    struct hm_trustroot_log_info li;
    size_t plen = 0;

    if (hm_trustroot_parse(buf, len, &tr, &why) != HM_OK) {
        if (tr != NULL || why.status == HM_TR_OK || memchr(why.detail, '\n', strlen(why.detail))) {
            abort();
        }
        return;
    }
    if (hm_trustroot_key_count(tr) == 0 || hm_trustroot_root_key_count(tr) == 0 ||
        hm_trustroot_root_threshold(tr) > hm_trustroot_root_key_count(tr) ||
        hm_trustroot_witness_threshold(tr) > hm_trustroot_witness_count(tr) ||
        hm_trustroot_payload(tr, &plen) == NULL || plen == 0) {
        abort();
    }
    for (size_t i = 0; i < hm_trustroot_key_count(tr); i++) {
        hm_trustroot_key(tr, i, &ki);
        if (ki.n_products == 0 || strcmp(hm_pubkey_keyid(ki.key), ki.keyid) != 0) {
            abort();
        }
    }
    for (size_t i = 0; i < hm_trustroot_log_count(tr); i++) {
        hm_trustroot_log(tr, i, &li);
        if (li.origin == NULL || (li.alg != HM_KEY_ED25519 && li.alg != HM_KEY_EC_P256)) {
            abort();
        }
    }
    hm_trustroot_free(tr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char head[] = "{\"payloadType\":\"" HM_TRUSTROOT_MEDIA_TYPE "\",\"payload\":\"";
    static const char tail[] = "\",\"signatures\":[{\"keyid\":\"K\",\"sig\":\"AAAA\"}]}";
    char *b64 = NULL, *env = NULL;
    size_t n;

    check(data, size);
    if (size == 0 || size > HM_TRUSTROOT_PAYLOAD_MAX || hm_b64_encode(data, size, &b64) != HM_OK) {
        return 0;
    }
    n = strlen(head) + strlen(b64) + strlen(tail);
    if ((env = malloc(n + 1)) != NULL) {
        memcpy(env, head, strlen(head));
        memcpy(env + strlen(head), b64, strlen(b64));
        memcpy(env + strlen(head) + strlen(b64), tail, strlen(tail) + 1);
        check((const uint8_t *)env, n);
    }
    free(env);
    free(b64);
    return 0;
}

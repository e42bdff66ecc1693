/*
 * fuzz_tpms_attest.c: libhallmark-verify's TPM structure reader (keyattest_tpm.c: its own
 * bounded big-endian parser, no tpm2-tss) and the key-attestation statement parser.  The
 * first byte picks the parser: 0 TPMS_ATTEST, 1 TPMT_PUBLIC (+ Name and key), 2
 * TPMT_SIGNATURE, 3 the statement JSON (+ the checks).
 */
#include <stdlib.h>
#include <string.h>

#include "keyattest_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
public_area(const uint8_t *p, size_t n)
{
    struct ka_public kp;
    uint8_t name[KA_NAME_MAX];
    size_t name_len = 0;
    EVP_PKEY *pk = NULL;

    if (ka_public_parse(p, n, &kp) != HM_OK) {
        return;
    }
    (void)ka_public_name(&kp, p, n, name, &name_len);
    if (ka_public_pkey(&kp, &pk) == HM_OK) {
        (void)ka_public_matches(&kp, pk);
    }
    EVP_PKEY_free(pk);
}

static void
statement(const uint8_t *p, size_t n)
{
    struct hm_keyatt *ka = NULL;
    struct hm_keyatt_opts o = { 0 };
    struct hm_keyatt_result r;

    if (hm_verify_keyatt_parse(p, n, &ka, NULL, 0) != HM_OK) {
        return;
    }
    o.spki = ka->spki.data; /* the statement's own key: every check runs */
    o.spki_len = ka->spki.len;
    o.allow_self_asserted = true;
    (void)hm_verify_keyatt_check(ka, &o, &r);
    hm_verify_keyatt_free(ka);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ka_attest a;
    struct ka_signature s;

    if (size < 1) {
        return 0;
    }
    switch (data[0] & 3) {
    case 0:
        (void)ka_attest_parse(data + 1, size - 1, &a);
        break;
    case 1:
        public_area(data + 1, size - 1);
        break;
    case 2:
        (void)ka_signature_parse(data + 1, size - 1, &s);
        break;
    default:
        statement(data + 1, size - 1);
        break;
    }
    return 0;
}

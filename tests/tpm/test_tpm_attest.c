/*
 * test_tpm_attest.c: key attestation from a real (software) TPM: TPM2_Certify by our AK,
 * the EK certificate that swtpm_setup made with a private local CA, the statement, and
 * libhallmark-verify's checks on it.  Each check fails on its own tampering with its own
 * reason; a key with decrypt set (made behind the backend's back) is refused; credential
 * activation proves the AK is in the EK's TPM.
 */
#include <hm/keyattest.h>
#include <hm/keyevidence.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tctildr.h>

#include "keyattest_int.h"
#include "tpm2_int.h"
#include "tpm_test_util.h"

#define DECRYPT_HANDLE 0x81000030u

struct env {
    struct tpm_fixture fx;
    struct hm_hsm *hsm;
    struct hm_key *key;
    uint8_t *roots, *chain;
    size_t roots_len, chain_len;
};

static int
teardown(void **state)
{
    struct env *e = *state;

    if (e != NULL) {
        hm_hsm_close(e->hsm);
        tpm_fixture_teardown(&e->fx);
        free(e->roots);
        free(e->chain);
        free(e);
    }
    return 0;
}

/* A signing key that can also decrypt, persisted with plain ESYS: the backend would never
 * make or use one, so it is made behind its back. */
static int
make_decrypt_key(const struct tpm_fixture *f)
{
    TSS2_TCTI_CONTEXT *tcti = NULL;
    ESYS_CONTEXT *esys = NULL;
    TPM2B_SENSITIVE_CREATE sens = { 0 };
    TPM2B_DATA outside = { 0 };
    TPML_PCR_SELECTION pcrs = { 0 };
    TPM2B_PUBLIC tmpl;
    ESYS_TR prim = ESYS_TR_NONE, pers = ESYS_TR_NONE;
    TPM2B_PUBLIC *pub = NULL;
    TPM2B_CREATION_DATA *cd = NULL;
    TPM2B_DIGEST *ch = NULL;
    TPMT_TK_CREATION *tk = NULL;
    size_t alen = 0;
    uint8_t *auth = tpm_read_all(f->auth, &alen);
    int rc = -1;

    if (auth == NULL || alen > sizeof(sens.sensitive.userAuth.buffer)) {
        free(auth);
        return -1;
    }
    sens.sensitive.userAuth.size = (UINT16)alen; /* the backend's auth value */
    memcpy(sens.sensitive.userAuth.buffer, auth, alen);
    free(auth);
    tpm2_template_key(HM_KEY_EC_P256, &tmpl);
    tmpl.publicArea.objectAttributes |= TPMA_OBJECT_DECRYPT;
    tmpl.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL; /* sign + decrypt */
    if (Tss2_TctiLdr_Initialize(f->tcti, &tcti) == 0 && Esys_Initialize(&esys, tcti, NULL) == 0 &&
        Esys_CreatePrimary(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                           &sens, &tmpl, &outside, &pcrs, &prim, &pub, &cd, &ch, &tk) == 0 &&
        Esys_EvictControl(esys, ESYS_TR_RH_OWNER, prim, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                          ESYS_TR_NONE, DECRYPT_HANDLE, &pers) == 0) {
        rc = 0;
    }
    if (prim != ESYS_TR_NONE) {
        Esys_FlushContext(esys, prim);
    }
    Esys_Free(pub);
    Esys_Free(cd);
    Esys_Free(ch);
    Esys_Free(tk);
    Esys_Finalize(&esys);
    Tss2_TctiLdr_Finalize(&tcti);
    return rc;
}

static int
setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    char path[1100];

    *state = e;
    if (e == NULL || tpm_fixture_setup(&e->fx, true) != 0 || make_decrypt_key(&e->fx) != 0 ||
        hm_hsm_open(e->fx.uri, NULL, &e->hsm) != HM_OK ||
        (e->roots = tpm_read_all(e->fx.roots, &e->roots_len)) == NULL ||
        (e->chain = tpm_read_all(e->fx.issuer, &e->chain_len)) == NULL) {
        teardown(state);
        *state = NULL;
        return -1;
    }
    snprintf(path, sizeof(path), "%s/fw.tpm2", e->fx.dir);
    if (hm_tpm2_generate_key(e->hsm, HM_KEY_EC_P256, "fw", path, 0, &e->key) != HM_OK) {
        teardown(state);
        *state = NULL;
        return -1;
    }
    return 0;
}

/* Evidence for key with nonce, EK chain added, as statement bytes. */
static struct hm_keyatt *
attest(struct env *e, struct hm_key *key, const uint8_t *nonce, size_t nonce_len)
{
    struct hm_keyatt *ka = NULL;

    assert_int_equal(hm_key_attest(key, nonce, nonce_len, &ka), HM_OK);
    assert_non_null(ka->tpm2.ek_cert.data);
    assert_int_equal(hm_keyatt_set_ek_chain_pem(ka, e->chain, e->chain_len), HM_OK);
    return ka;
}

static struct hm_keyatt_opts
opts_for(const struct env *e, const struct hm_key *key, const uint8_t *nonce, size_t nonce_len)
{
    struct hm_keyatt_opts o = { 0 };

    hm_key_spki(key, &o.spki, &o.spki_len);
    o.nonce = nonce;
    o.nonce_len = nonce_len;
    o.roots_pem = e->roots;
    o.roots_pem_len = e->roots_len;
    return o;
}

static void
check(const struct hm_keyatt *ka, const struct hm_keyatt_opts *o, enum hm_keyatt_status want)
{
    struct hm_keyatt_result r;
    uint8_t *stmt = NULL;
    size_t len = 0;

    assert_int_equal(hm_keyatt_statement(ka, &stmt, &len, NULL, 0), HM_OK);
    assert_int_equal(hm_verify_keyatt_statement(stmt, len, o, &r), HM_OK);
    if (r.status != want) {
        print_error("got %s (%s), wanted %s\n", hm_verify_keyatt_status_name(r.status), r.detail,
                    hm_verify_keyatt_status_name(want));
    }
    assert_int_equal(r.status, want);
    assert_int_equal(r.hardware_verified, want == HM_KA_OK);
    free(stmt);
}

static void
test_attestation_verifies(void **state)
{
    struct env *e = *state;
    uint8_t nonce[32];
    struct hm_keyatt *ka, *back = NULL;
    struct hm_keyatt_opts o;
    struct hm_keyatt_result r;
    struct hm_key *p = NULL;
    uint8_t *stmt = NULL;
    size_t len = 0;

    RAND_bytes(nonce, sizeof(nonce));
    ka = attest(e, e->key, nonce, sizeof(nonce));
    o = opts_for(e, e->key, nonce, sizeof(nonce));
    check(ka, &o, HM_KA_OK);
    /* the statement reads back to the same evidence */
    assert_int_equal(hm_keyatt_statement(ka, &stmt, &len, NULL, 0), HM_OK);
    assert_int_equal(hm_verify_keyatt_parse(stmt, len, &back, NULL, 0), HM_OK);
    assert_int_equal(back->tpm2.certify_info.len, ka->tpm2.certify_info.len);
    assert_memory_equal(back->tpm2.certify_info.data, ka->tpm2.certify_info.data,
                        ka->tpm2.certify_info.len);
    assert_int_equal(back->tpm2.n_chain, 1);
    assert_int_equal(hm_verify_keyatt_statement(stmt, len, &o, &r), HM_OK);
    assert_int_equal(r.status, HM_KA_OK);
    assert_false(r.ak_enrolled); /* no enrolment given: the AK-EK binding is only asserted */
    assert_string_equal(r.tpm_manufacturer, "IBM");
    free(stmt);
    hm_verify_keyatt_free(back);
    /* without an expected nonce, the statement's own must still be the one certified */
    o.nonce = NULL;
    check(ka, &o, HM_KA_OK);
    hm_verify_keyatt_free(ka);
    /* a persistent key too */
    assert_int_equal(hm_tpm2_generate_key(e->hsm, HM_KEY_EC_P256, "p", NULL, 0x81000040, &p),
                     HM_OK);
    ka = attest(e, p, nonce, 16);
    o = opts_for(e, p, nonce, 16);
    check(ka, &o, HM_KA_OK);
    hm_verify_keyatt_free(ka);
}

/* Tampering with the TPM's own evidence: each check names its own reason. */
static void
test_tampered_evidence(void **state)
{
    struct env *e = *state;
    uint8_t nonce[32], other[32];
    struct hm_keyatt *ka;
    struct hm_keyatt_opts o;
    size_t n;

    RAND_bytes(nonce, sizeof(nonce));
    RAND_bytes(other, sizeof(other));
    ka = attest(e, e->key, nonce, sizeof(nonce));
    o = opts_for(e, e->key, nonce, sizeof(nonce));
    n = ka->tpm2.certify_info.len;
    static const struct {
        int which; /* 0 certifyInfo, 1 signature, 2 akPublic */
        size_t off;
        bool from_end;
        uint8_t mask;
        enum hm_keyatt_status want;
    } cases[] = {
        { 0, 0, false, 0x01, HM_KA_BAD_MAGIC },
        { 0, 5, false, 0x01, HM_KA_BAD_TYPE },      /* 0x8017 -> 0x8016 (session audit) */
        { 0, 50, true, 0x01, HM_KA_NAME_MISMATCH }, /* inside the certified Name */
        { 1, 10, false, 0x01, HM_KA_AK_SIGNATURE }, /* r */
        { 2, 5, false, 0x01, HM_KA_AK_ATTRIBUTES }, /* restricted (bit 16) cleared */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hm_keyatt_bytes *b = cases[i].which == 0   ? &ka->tpm2.certify_info
                                    : cases[i].which == 1 ? &ka->tpm2.signature
                                                          : &ka->tpm2.ak_public;
        size_t at = cases[i].from_end ? b->len - cases[i].off : cases[i].off;
        b->data[at] ^= cases[i].mask;
        check(ka, &o, cases[i].want);
        b->data[at] ^= cases[i].mask;
    }
    check(ka, &o, HM_KA_OK); /* untouched again */
    /* the nonce: the caller's challenge, and the one inside TPMS_ATTEST */
    o.nonce = other;
    check(ka, &o, HM_KA_NONCE_MISMATCH);
    o.nonce = nonce;
    ka->tpm2.certify_info.data[n - 36 - 36 - 17 - 8 - 10] ^= 1; /* inside extraData */
    check(ka, &o, HM_KA_NONCE_MISMATCH);
    ka->tpm2.certify_info.data[n - 36 - 36 - 17 - 8 - 10] ^= 1;
    /* the TPM's evidence for this key stapled to another key's SPKI (here the AK's): the
     * certified key is not the one the statement names and the caller trusts */
    uint8_t *ak_spki = NULL;
    size_t ak_len = 0;
    struct hm_keyatt_bytes mine = ka->spki;
    assert_int_equal(hm_verify_keyatt_ak_spki(ka, &ak_spki, &ak_len), HM_OK);
    ka->spki.data = ak_spki;
    ka->spki.len = ak_len;
    o.spki = ak_spki;
    o.spki_len = ak_len;
    check(ka, &o, HM_KA_KEY_MISMATCH);
    ka->spki = mine;
    check(ka, &o, HM_KA_KEY_MISMATCH); /* and the caller expecting another key */
    free(ak_spki);
    hm_verify_keyatt_free(ka);
}

static void
test_ek_chain(void **state)
{
    struct env *e = *state;
    uint8_t nonce[16];
    struct hm_keyatt *ka;
    struct hm_keyatt_opts o;
    uint8_t *wrong = NULL;
    size_t wrong_len = 0;

    RAND_bytes(nonce, sizeof(nonce));
    ka = attest(e, e->key, nonce, sizeof(nonce));
    o = opts_for(e, e->key, nonce, sizeof(nonce));
    /* the issuer certificate is not a root: trusting it alone is not enough */
    assert_non_null(wrong = tpm_read_all(e->fx.issuer, &wrong_len));
    o.roots_pem = wrong;
    o.roots_pem_len = wrong_len;
    ka->tpm2.n_chain = 0;
    free(ka->tpm2.chain[0].data);
    ka->tpm2.chain[0].data = NULL;
    check(ka, &o, HM_KA_EK_CHAIN);
    /* the right root without the intermediate */
    o = opts_for(e, e->key, nonce, sizeof(nonce));
    check(ka, &o, HM_KA_EK_CHAIN);
    /* no roots at all */
    o.roots_pem = NULL;
    o.roots_pem_len = 0;
    check(ka, &o, HM_KA_EK_CHAIN);
    free(wrong);
    hm_verify_keyatt_free(ka);
}

static void
test_decrypt_key_refused(void **state)
{
    struct env *e = *state;
    struct hm_keyatt *ka = NULL;
    struct hm_keyatt_opts o = { 0 };
    struct ka_public kp;
    struct hm_key *k = (struct hm_key *)(uintptr_t)1;
    TPMT_PUBLIC tp;
    uint8_t nonce[16], *spki = NULL;
    size_t spki_len = 0, off = 0;
    char uri[64];

    /* the backend itself will not sign with it */
    snprintf(uri, sizeof(uri), "tpm2:handle=0x%08x", DECRYPT_HANDLE);
    assert_int_equal(hm_hsm_find_key(e->hsm, uri, &k), HM_E_INVALID);
    assert_null(k);
    /* and a verifier shown its certification refuses it */
    RAND_bytes(nonce, sizeof(nonce));
    assert_int_equal(tpm2_attest_handle(e->hsm, DECRYPT_HANDLE, nonce, sizeof(nonce), &ka), HM_OK);
    assert_int_equal(hm_keyatt_set_ek_chain_pem(ka, e->chain, e->chain_len), HM_OK);
    assert_int_equal(ka_public_parse(ka->tpm2.key_public.data, ka->tpm2.key_public.len, &kp),
                     HM_OK);
    assert_true((kp.attrs & KA_ATTR_DECRYPT) != 0);
    memset(&tp, 0, sizeof(tp));
    assert_int_equal(
        Tss2_MU_TPMT_PUBLIC_Unmarshal(ka->tpm2.key_public.data, ka->tpm2.key_public.len, &off, &tp),
        0);
    assert_int_equal(tpm2_pub_spki(&tp, &spki, &spki_len), HM_OK);
    ka->spki.data = spki;
    ka->spki.len = spki_len;
    ka->alg = HM_KEY_EC_P256;
    o.spki = spki;
    o.spki_len = spki_len;
    o.nonce = nonce;
    o.nonce_len = sizeof(nonce);
    o.roots_pem = e->roots;
    o.roots_pem_len = e->roots_len;
    check(ka, &o, HM_KA_KEY_ATTRIBUTES);
    hm_verify_keyatt_free(ka);
}

static char *
ak_pem(const struct hm_keyatt *ka)
{
    struct ka_public ap;
    EVP_PKEY *pk = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    char *out = NULL, *data;
    long n;

    assert_int_equal(ka_public_parse(ka->tpm2.ak_public.data, ka->tpm2.ak_public.len, &ap), HM_OK);
    assert_int_equal(ka_public_pkey(&ap, &pk), HM_OK);
    assert_int_equal(PEM_write_bio_PUBKEY(bio, pk), 1);
    n = BIO_get_mem_data(bio, &data);
    out = strndup(data, (size_t)n);
    BIO_free(bio);
    EVP_PKEY_free(pk);
    return out;
}

static void
test_credential_activation(void **state)
{
    struct env *e = *state;
    uint8_t nonce[16], secret[32], *chal = NULL;
    size_t chal_len = 0;
    struct hm_secret *got = NULL;
    struct hm_keyatt *ka;
    struct hm_keyatt_opts o;
    char *pem;

    RAND_bytes(nonce, sizeof(nonce));
    RAND_bytes(secret, sizeof(secret));
    ka = attest(e, e->key, nonce, sizeof(nonce));
    /* the verifier wraps a secret to the EK certificate's key, bound to the AK's Name */
    assert_int_equal(hm_verify_keyatt_make_credential(ka, secret, sizeof(secret), &chal, &chal_len),
                     HM_OK);
    assert_int_equal(hm_tpm2_activate_credential(e->hsm, chal, chal_len, &got), HM_OK);
    assert_int_equal(got->len, sizeof(secret));
    assert_memory_equal(got->buf, secret, sizeof(secret));
    hm_secret_free(got);
    got = NULL;
    /* a challenge someone altered is refused by the TPM */
    chal[10] ^= 1;
    assert_int_equal(hm_tpm2_activate_credential(e->hsm, chal, chal_len, &got), HM_E_VERIFY);
    assert_null(got);
    free(chal);
    /* a challenge for another AK (another Name) is refused too */
    ka->tpm2.ak_public.data[ka->tpm2.ak_public.len - 1] ^= 1;
    assert_int_equal(hm_verify_keyatt_make_credential(ka, secret, sizeof(secret), &chal, &chal_len),
                     HM_OK);
    assert_int_equal(hm_tpm2_activate_credential(e->hsm, chal, chal_len, &got), HM_E_VERIFY);
    assert_null(got);
    free(chal);
    ka->tpm2.ak_public.data[ka->tpm2.ak_public.len - 1] ^= 1;
    /* once enrolled, the verifier pins the AK */
    pem = ak_pem(ka);
    o = opts_for(e, e->key, nonce, sizeof(nonce));
    o.ak_pem = (const uint8_t *)pem;
    o.ak_pem_len = strlen(pem);
    check(ka, &o, HM_KA_OK);
    free(pem);
    /* pinned to another AK: refused */
    o.ak_pem = e->roots; /* certificates, no public key: nothing matches */
    o.ak_pem_len = e->roots_len;
    check(ka, &o, HM_KA_AK_NOT_ENROLLED);
    hm_verify_keyatt_free(ka);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attestation_verifies),
        cmocka_unit_test(test_tampered_evidence),
        cmocka_unit_test(test_ek_chain),
        cmocka_unit_test(test_decrypt_key_refused),
        cmocka_unit_test(test_credential_activation),
    };

    hm_log_set_level(HM_LOG_ERROR);
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* store_log_test.c: a software Ed25519 log key (the HSM's stand-in) for the store tests. */
#include "store_log_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

static hm_err
slt_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap, size_t *sig_len)
{
    struct slt_key *k = ctx;
    EVP_MD_CTX *md = NULL;
    size_t n = cap;
    hm_err rc = HM_E_BACKEND;

    *sig_len = 0;
    if (atomic_load(&k->fail)) {
        return HM_E_BACKEND;
    }
    if ((md = EVP_MD_CTX_new()) != NULL && EVP_DigestSignInit(md, NULL, NULL, NULL, k->pkey) == 1 &&
        EVP_DigestSign(md, sig, &n, msg, len) == 1) {
        *sig_len = n;
        atomic_fetch_add(&k->signatures, 1);
        rc = HM_OK;
    }
    EVP_MD_CTX_free(md);
    return rc;
}

void
slt_key_init(struct slt_key *k, const char *origin)
{
    uint8_t pk[32];
    size_t pk_len = sizeof(pk);
    EVP_PKEY *p = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

    memset(k, 0, sizeof(*k));
    if (p == NULL || EVP_PKEY_get_raw_public_key(p, pk, &pk_len) != 1 ||
        hm_tlog_key_id(HM_TLOG_SIG_ED25519, origin, pk, 32, &k->signer.key_id) != HM_OK ||
        hm_tlog_verifier_new(HM_TLOG_SIG_ED25519, origin, pk, 32, &k->verifier) != HM_OK) {
        fprintf(stderr, "slt_key_init: cannot make an Ed25519 key\n");
        abort();
    }
    k->pkey = p;
    k->signer.name = origin;
    k->signer.sign = slt_sign;
    k->signer.ctx = k;
}

void
slt_key_fini(struct slt_key *k)
{
    EVP_PKEY_free(k->pkey);
    hm_tlog_verifier_free(k->verifier);
    memset(k, 0, sizeof(*k));
}

struct hm_store_log_config
slt_log_config(struct slt_key *k, unsigned max_batch, unsigned max_delay_ms)
{
    struct hm_store_log_config c = { .origin = k->signer.name,
                                     .signer = &k->signer,
                                     .verifier = k->verifier,
                                     .max_batch = max_batch,
                                     .max_delay_ms = max_delay_ms };
    return c;
}

/* store_log_test.h: a software log key for the store's log tests and the benchmark. */
#ifndef HM_TESTS_STORE_LOG_TEST_H
#define HM_TESTS_STORE_LOG_TEST_H

#include <hm/tlog.h>
#include <stdatomic.h>

#include "store.h"

struct slt_key {
    void *pkey; /* EVP_PKEY (Ed25519) */
    struct hm_tlog_signer signer;
    struct hm_tlog_verifier *verifier;
    atomic_bool fail; /* the next signatures fail (the HSM is gone) */
    atomic_ulong signatures;
};

/* A fresh Ed25519 log key named origin. */
void slt_key_init(struct slt_key *k, const char *origin);
void slt_key_fini(struct slt_key *k);
/* The log config for k: origin, signer, verifier, batch settings. */
struct hm_store_log_config slt_log_config(struct slt_key *k, unsigned max_batch,
                                          unsigned max_delay_ms);

#endif /* HM_TESTS_STORE_LOG_TEST_H */

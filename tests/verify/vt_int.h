/* vt_int.h: what vt.c and vt_build.c share (not for the tests). */
#ifndef HM_VT_INT_H
#define HM_VT_INT_H

#include <hm/tlog.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "vt.h"

#define VT_CHECK(x)                                                                                \
    do {                                                                                           \
        if (!(x)) {                                                                                \
            fprintf(stderr, "%s:%d: fixture check failed: %s\n", __FILE__, __LINE__, #x);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

struct vt_key {
    EVP_PKEY *pkey;
    enum hm_key_alg alg;
    char keyid[48];
    char *pem;
    uint8_t *spki;
    size_t spki_len;
    uint8_t raw[32]; /* Ed25519 only */
};

struct vt_witness {
    struct vt_key *key;
    char name[64];
    struct hm_tlog_signer signer;
};

struct vt_log {
    struct vt_key *key;
    char origin[256];
    struct hm_tlog_memstore *ms;
    struct hm_tlog_signer signer;
    uint8_t log_id[32];
    struct vt_witness w[VT_MAX_WITNESSES];
    size_t n_w;
    uint64_t filler;
};

/* Standard base64 with padding, malloc'ed. */
char *vt_b64(const void *p, size_t n);

#endif

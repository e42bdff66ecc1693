/*
 * sign_int.h: the parsed sign request (sign_req.c) used by the flow in sign.c.
 */
#ifndef HM_SIGNER_SIGN_INT_H
#define HM_SIGNER_SIGN_INT_H

#include <hm/attest.h>

#include "hmd.h"

struct hmd_sign_req {
    char *product;
    char *channel; /* "stable" when the request names none */
    char *version;
    char *support_end;
    struct hm_artifact *arts;
    char **names; /* owned; arts[i].name points here */
    size_t n_arts;
    bool has_sbom;
    uint8_t sbom_sha256[HM_SHA256_LEN]; /* over the exact bytes of the "sbom" member */
    uint8_t request_sha256[HM_SHA256_LEN];
    char *artifacts_json; /* for the store: [{"name","size","sha256","sha512"}] */
};

/* Adds "offset": N to an error reply (malformed JSON). */
void hmd_reply_add_offset(struct hmd_reply *r, size_t offset);

#endif /* HM_SIGNER_SIGN_INT_H */

/*
 * steward_test.h: helpers shared by the tests in tests/steward: a software P-256 signer for
 * hm_bundle_sign (made with OpenSSL inside the test), the base input fixture as a cJSON
 * tree, and mutations of it by JSON path.
 */
#ifndef HM_STEWARD_TEST_H
#define HM_STEWARD_TEST_H

#include <hm/attest.h>
#include <hm/json.h>
#include <hm/steward.h>
#include <hm/verify.h>

#include <openssl/evp.h>

/* 2026-06-01T00:00:00Z: between the fixture's timeAssessed (2026-01-01) and expires (2030). */
#define SW_NOW INT64_C(1780272000)

EVP_PKEY *sw_keygen(void);
struct hm_pubkey *sw_pubkey(EVP_PKEY *pkey);
/* hm_sign_fn: ECDSA P-256 over SHA-256, DER; ctx is the EVP_PKEY. */
hm_err sw_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len);

/* $HM_SRC/<rel>, whole and NUL-terminated; fails the test if absent. */
uint8_t *sw_read(const char *rel, size_t *len);
/* tests/steward/data/input-base.json as a tree. */
cJSON *sw_base(void);
/* The tree printed (no whitespace), malloc'ed and NUL-terminated. */
uint8_t *sw_print(const cJSON *root, size_t *len);
/* Follows "a.b[2].c" in root; sets the last member to the JSON text value, or deletes it
 * when value is NULL.  Fails the test if the path does not exist. */
void sw_mutate(cJSON *root, const char *path, const char *value);

/* Parses the base input with one mutation applied: the error and why. */
hm_err sw_parse_mutated(const char *path, const char *value, int64_t now, struct hm_steward **out,
                        char *why, size_t why_len);

/* Every field of the base statement: replacing the first occurrence of from by to in the
 * signed payload keeps it a well-formed steward statement (test_steward_tamper.c checks
 * that) that the signature no longer covers. */
struct sw_field {
    const char *field, *from, *to;
};
extern const struct sw_field sw_fields[];
extern const size_t sw_n_fields;

#endif /* HM_STEWARD_TEST_H */

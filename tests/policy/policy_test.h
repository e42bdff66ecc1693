/*
 * policy_test.h: helpers shared by the policy engine's tests (tests/policy/test_policy_*.c):
 * software keys made in the test, approval envelopes, CI tokens and their JWKS, a fake
 * store, and short ways to parse, evaluate and look for a reason.
 */
#ifndef HM_POLICY_TEST_H
#define HM_POLICY_TEST_H

#include <hm/attest_policy.h>
#include <hm/policy.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>

/* The artifact every test request carries, and a second one. */
#define PT_A256 "e98c8040afc2a24865d5c493ad1642e71578d8f5e4fa0eb602a8a52c52a2c126"
#define PT_A512                                                                                    \
    "51797011519410eccb8ca0e1f3050767cd9be761a03978956ea737723d0142d4"                             \
    "6cd78404c04c78f182a1d571e1f6d597aeac09d19809a9a545b2993bff269a2b"
#define PT_B256 "3b4a12881d11f33cff968a24d7c53723a8232cde9a8d91e29fdbd6a95ae6adf0"
#define PT_B512                                                                                    \
    "d545d1daf25dac32f8ebd1953815dd30d3f44f637e0adaf0c8736b1db80f0a78"                             \
    "24d14b1d4a587d88e9d788f069e20982819e117fdd1d757e33f8226643513593"
#define PT_ART_A                                                                                   \
    "{\"name\":\"thermostat-1.4.2.bin\",\"size\":1048576,\"digest\":{\"sha256\":\"" PT_A256        \
    "\",\"sha512\":\"" PT_A512 "\"}}"
#define PT_ART_B                                                                                   \
    "{\"name\":\"bootloader.bin\",\"size\":4096,\"digest\":{\"sha256\":\"" PT_B256                 \
    "\",\"sha512\":\"" PT_B512 "\"}}"

/* 2026-06-15T12:00:00Z, a Monday: the "now" of most tests. */
#define PT_NOW INT64_C(1781524800)

/* ---- keys ---- */
struct pt_key {
    EVP_PKEY *pkey;
    char *pem;      /* SPKI PEM */
    char *pem_json; /* the PEM as a JSON string body (newlines escaped) */
    char keyid[64];
};
void pt_key_init(struct pt_key *k);
void pt_key_clear(struct pt_key *k);
/* hm_sign_fn: ECDSA P-256 SHA-256, DER. */
hm_err pt_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len);

/* An approval envelope (bare DSSE JSON) by key for product/version over the artifacts
 * given as (name, sha256 hex, sha512 hex) triples. */
char *pt_approval(struct pt_key *k, const char *product, const char *version, size_t n,
                  const char *const (*arts)[3]);

/* ---- parsing and evaluation ---- */
struct hm_policy *pt_policy(const char *json); /* fails the test on error */
struct hm_policy_request *pt_request(const char *json);
/* printf into a malloc'ed string */
char *pt_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct pt_state {
    const char *highest; /* NULL: none */
    int64_t first;       /* 0: none */
    hm_err highest_rc;   /* returned instead when not HM_OK */
    hm_err first_rc;
    char seen_product[80], seen_channel[80];
    uint64_t seen_major;
};
void pt_state_bind(struct pt_state *s, struct hm_policy_state *out);

struct hm_policy_decision *pt_eval(const struct hm_policy *p, const struct hm_policy_request *r,
                                   const struct hm_policy_identity *who,
                                   const struct hm_policy_state *st, int64_t now);
/* Evaluates policy_json against request_json as cn:ci-acme at PT_NOW, no state. */
struct hm_policy_decision *pt_eval_str(const char *policy_json, const char *request_json);
/* True when d has a reason of rule whose text contains needle (NULL: any). */
bool pt_has_reason(const struct hm_policy_decision *d, const char *rule, const char *needle);
/* Prints the reasons (for a failing assertion's context). */
void pt_dump(const struct hm_policy_decision *d);
/* Asserts d allows (printing the reasons if not). */
void pt_assert_allowed(const struct hm_policy_decision *d);
/* Asserts d denies with exactly n reasons, one of rule containing needle. */
void pt_assert_denied(const struct hm_policy_decision *d, size_t n, const char *rule,
                      const char *needle);

extern const struct hm_policy_identity PT_CI_ACME; /* cn:ci-acme */

/* ---- CI tokens ---- */
/* Writes dir/jwks.json for key (kid "k1") and returns the compact ES256 JWT of the given
 * payload JSON, signed by key. */
char *pt_jwt(struct pt_key *k, const char *kid, const char *payload_json);
char *pt_jwks(struct pt_key *k, const char *kid); /* the JWKS JSON */

/* A fresh temporary folder (removed by pt_rmdir). */
char *pt_tmpdir(void);
void pt_rmdir(char *dir);
void pt_write(const char *dir, const char *name, const char *text);
/* Runs a shell command (formatted) and asserts it succeeded. */
void pt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* HM_POLICY_TEST_H */

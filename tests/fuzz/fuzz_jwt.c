/*
 * fuzz_jwt.c: hm_oidc_verify on arbitrary tokens, against a fixed JWKS (one RSA-2048 and one
 * P-256 key, whose private halves were thrown away after signing the seed corpus); an input
 * that starts with '{' is parsed as a JWKS instead.  Beyond not crashing: nothing is handed
 * out on failure, a reason is always a string and never contains 16 bytes of the token, and
 * an accepted token has iss, aud and exp.
 */
#include <stdlib.h>
#include <string.h>

#include "oidc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char JWKS[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"fuzz-rsa\",\"use\":\"sig\",\"alg\":\"RS256\",\"n\":"
    "\"17KzkOJRhdNhghHhmn2ormnkPIwOg3xm33mDdfD9Ou7SROGMe7_ejOM-"
    "IV4OJX3B0kAmQNHtGWyjpvZaFURRoLLi6mUmLaeZVtmc32EG7OZTvI-qTuF-"
    "7nSLILZYlgDLJFwkr95bJK3LugOdEGURQ1VIbbRxUSBGmkbZqPeMUTgKFHPkYQW1lBr_"
    "dTCCQFT8sjTRveImGlE4nFZqUI4-xTYAAAbaj8sWWWAFSjf2lJ8YBc4Fd6cYotR-"
    "4xcVWffcbUaS1Kt7sMoTWsFvp3oJgGtcG0EaLhaOLC8RrcVea6JCxACau7kQC5NHBChHUP0Ob1AJnehMKC54oXBP2cB0IQ"
    "\",\"e\":\"AQAB\"},{\"kty\":\"EC\",\"kid\":\"fuzz-ec\",\"crv\":\"P-256\",\"x\":"
    "\"QEVj4wcPHlldzyzKM-onqtgcSVhqZ4HgZtrJNJB0I4U\",\"y\":\"y583qaJnOqAALem1LEI-"
    "xLWKGtl3AIEpXEDJic55KC4\"}]}";

static struct hm_oidc_issuer *
issuer(void)
{
    static struct hm_oidc_issuer *iss;
    static const char *const auds[] = { "https://hallmark.fuzz" };
    struct hm_oidc_issuer_config cfg = { .issuer = "https://token.actions.githubusercontent.com",
                                         .audiences = auds,
                                         .n_audiences = 1,
                                         .leeway = 60 };
    char why[256];

    if (iss == NULL &&
        hm_oidc_issuer_from_jwks(&cfg, JWKS, strlen(JWKS), &iss, why, sizeof(why)) != HM_OK) {
        abort();
    }
    return iss;
}

static void
fuzz_jwks(const uint8_t *data, size_t size)
{
    static const char *const auds[] = { "a" };
    struct hm_oidc_issuer_config cfg = { .issuer = "https://issuer.fuzz",
                                         .audiences = auds,
                                         .n_audiences = 1 };
    struct hm_oidc_issuer *iss = NULL;
    char why[256];

    if (hm_oidc_issuer_from_jwks(&cfg, data, size, &iss, why, sizeof(why)) == HM_OK) {
        if (hm_oidc_issuer_n_keys(iss) == 0) {
            abort();
        }
    } else if (iss != NULL || memchr(why, '\0', sizeof(why)) == NULL) {
        abort();
    }
    hm_oidc_issuer_free(iss);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct hm_oidc_issuer *const issuers[] = { issuer() };
    struct hm_oidc_claims *c = NULL;
    char why[256] = "";
    hm_err err;

    if (size > 0 && data[0] == '{') {
        fuzz_jwks(data, size);
        return 0;
    }
    err = hm_oidc_verify(issuers, 1, (const char *)data, size, 1750000000, &c, why, sizeof(why));
    if (err != HM_OK) {
        if (c != NULL || memchr(why, '\0', sizeof(why)) == NULL) {
            abort();
        }
        for (size_t i = 0; i + 16 <= size; i += 16) {
            if (memchr(data + i, '.', 16) == NULL && memmem(why, strlen(why), data + i, 16)) {
                abort(); /* a token fragment leaked into a reason */
            }
        }
        return 0;
    }
    if (hm_oidc_claim_string(c, "iss") == NULL || hm_oidc_claim_string(c, "aud") == NULL ||
        !hm_oidc_claim_int(c, "exp", &(int64_t){ 0 })) {
        abort();
    }
    hm_oidc_claims_free(c);
    return 0;
}

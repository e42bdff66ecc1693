/*
 * fuzz_policy.c: hm_policy_parse on arbitrary bytes.  Beyond not crashing or leaking: on
 * failure nothing is handed out and the error names a JSON path starting with "$" and a
 * message; on success the digest is the SHA-256 of the input, and a policy that names no
 * file evaluates a fixed request to a decision whose JSON form can be written, and its
 * "stewards" section (if any) answers hm_policy_steward_authorise consistently.
 */
#include <hm/policy.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char REQUEST[] =
    "{\"product\":\"fw\",\"version\":\"1.0.0\",\"support_end\":\"2031-01-01\",\"artifacts\":"
    "[{\"name\":\"fw.bin\",\"size\":10,\"digest\":{\"sha256\":"
    "\"e98c8040afc2a24865d5c493ad1642e71578d8f5e4fa0eb602a8a52c52a2c126\"}}],"
    "\"sbom\":{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"metadata\":{\"component\":"
    "{\"name\":\"fw\",\"version\":\"1.0.0\"}}}}";

static void
evaluate(const struct hm_policy *p)
{
    static struct hm_policy_request *req;
    struct hm_policy_identity who = { .cn = "ci" };
    struct hm_policy_decision *d = NULL;
    char *json = NULL;
    size_t len = 0;

    if (req == NULL && hm_policy_request_parse(REQUEST, strlen(REQUEST), &req, NULL) != HM_OK) {
        abort();
    }
    if (hm_policy_evaluate(p, req, &who, NULL, 1781524800, &d) != HM_OK) {
        return; /* a policy that names files is not resolved here */
    }
    if (hm_policy_decision_allowed(d) != (hm_policy_decision_n_reasons(d) == 0) ||
        hm_policy_decision_to_json(d, &json, &len) != HM_OK || strlen(json) != len) {
        abort();
    }
    free(json);
    hm_policy_decision_free(d);
}

/* OK hands out a key; any other answer hands out nothing. */
static void
steward(const struct hm_policy *p)
{
    static const char *const purls[] = { "pkg:github/madler/zlib", "pkg:npm/lodash" };
    struct hm_policy_identity who = { .cn = "steward-ci" };
    const char *key = NULL;
    char why[256];

    for (size_t i = 0; i < sizeof(purls) / sizeof(purls[0]); i++) {
        hm_err rc =
            hm_policy_steward_authorise(p, &who, purls[i], 1781524800, &key, why, sizeof(why));
        if ((rc == HM_OK) != (key != NULL) || (rc == HM_E_DENIED && why[0] == '\0')) {
            abort();
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hm_policy *p = (struct hm_policy *)1;
    struct hm_policy_error err;
    uint8_t want[HM_SHA256_LEN];
    hm_err rc = hm_policy_parse(data, size, &p, &err);

    if (rc != HM_OK) {
        if (p != NULL || err.path[0] != '$' || err.message[0] == '\0' ||
            memchr(err.path, '\0', sizeof(err.path)) == NULL ||
            memchr(err.message, '\0', sizeof(err.message)) == NULL) {
            abort();
        }
        return 0;
    }
    hm_sha256(data, size, want);
    if (memcmp(want, hm_policy_sha256(p), HM_SHA256_LEN) != 0) {
        abort();
    }
    evaluate(p);
    steward(p);
    hm_policy_free(p);
    return 0;
}

/*
 * fuzz_request.c: hm_policy_request_parse on arbitrary bytes.  On failure nothing is
 * handed out; on success every kept document (SBOM, VEX, provenance, approvals) lies
 * inside the body, is a JSON object ('{' ... '}') and its digest is the SHA-256 of those
 * bytes; then the request is evaluated against a policy with every rule that needs no
 * file (windows, version, support, SBOM with minimum elements, approvals with an inline
 * key), so the SBOM parser and the approval checks see fuzzed documents too.
 */
#include <hm/policy.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char POLICY[] =
    "{\"version\":1,\"products\":[{\"name\":\"fw\",\"channels\":[\"stable\",\"beta\"],"
    "\"keys\":{\"stable\":\"k\"},\"identities\":{\"mtls\":[\"cn:ci\"]},"
    "\"version\":{\"pattern\":\"1.*\"},\"support\":{\"minimum_years\":5},"
    "\"sbom\":{\"describes_artifacts\":true,\"minimum\":[\"ntia\",\"hashes\",\"license\"]},"
    "\"approvals\":{\"required\":1,\"approvers\":[{\"name\":\"a\",\"key\":\"-----BEGIN PUBLIC "
    "KEY-----\\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAERPVX8d+kXS9esytVbxEnKLtSyi84\\n"
    "ml/Z114dq09oxa5F2J42CYRy9/Uy5eD0fwzhy8arLadODE+DL0LXfgU5mQ==\\n-----END PUBLIC "
    "KEY-----\\n\"}]},"
    "\"windows\":{\"allowed_hours_utc\":[6,20],\"max_artifact_size\":1000000,"
    "\"digests\":[\"sha256\"]}}]}";

static void
check_blob(const struct hm_policy_blob *b, const uint8_t *data, size_t size)
{
    uint8_t d[HM_SHA256_LEN];

    if (b == NULL) {
        return;
    }
    (void)data;
    if (b->len < 2 || b->len > size || b->data[0] != '{' || b->data[b->len - 1] != '}') {
        abort();
    }
    hm_sha256(b->data, b->len, d);
    if (memcmp(d, b->sha256, HM_SHA256_LEN) != 0) {
        abort();
    }
}

static void
evaluate(const struct hm_policy_request *req)
{
    static struct hm_policy *p;
    struct hm_policy_identity who = { .cn = "ci" };
    struct hm_policy_decision *d = NULL;
    char *json = NULL;
    size_t len = 0;

    if (p == NULL && hm_policy_parse(POLICY, strlen(POLICY), &p, NULL) != HM_OK) {
        abort();
    }
    if (hm_policy_evaluate(p, req, &who, NULL, 1781524800, &d) != HM_OK) {
        abort(); /* nothing here can fail but memory */
    }
    if (hm_policy_decision_to_json(d, &json, &len) != HM_OK || strlen(json) != len) {
        abort();
    }
    free(json);
    hm_policy_decision_free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hm_policy_request *req = (struct hm_policy_request *)1;
    struct hm_policy_error err;
    hm_err rc = hm_policy_request_parse(data, size, &req, &err);

    if (rc != HM_OK) {
        if (req != NULL || err.path[0] != '$') {
            abort();
        }
        return 0;
    }
    check_blob(hm_policy_request_sbom(req), data, size);
    check_blob(hm_policy_request_provenance(req), data, size);
    for (size_t i = 0; i < hm_policy_request_n_vex(req); i++) {
        check_blob(hm_policy_request_vex(req, i), data, size);
    }
    for (size_t i = 0; i < hm_policy_request_n_approvals(req); i++) {
        check_blob(hm_policy_request_approval(req, i), data, size);
    }
    evaluate(req);
    hm_policy_request_free(req);
    return 0;
}

/*
 * fuzz_steward_verify.c: hm_verify_steward_bundle on arbitrary bundle bytes, with the key
 * that signed the seed corpus (so the fuzzer starts from bundles that verify and reaches
 * every check after the signature).  Invariants: the call never fails but for memory; a
 * refusal hands nothing out and says why; an accepted attestation is handed out, is about
 * the project it names and passes hm_steward_check at the same time.
 */
#include <hm/steward.h>
#include <hm/verify.h>
#include <stdlib.h>
#include <string.h>

/* The seeds' signer (tests/steward/test_steward_daemon.sh made them with this key). */
static const char seed_key[] = "-----BEGIN PUBLIC KEY-----\n"
                               "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEuxpcO9nIbTpm5CIXff7giY5lEeRI\n"
                               "4HgQVuAZjAtPOI5dWmKTxbaik9DGPqt5dkG01034w3F8aY7PEiucEMQoMQ==\n"
                               "-----END PUBLIC KEY-----\n";

#define NOW INT64_C(1795824000) /* 2026-11-28: the seeds are current */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hm_pubkey *pk;
    struct hm_verify_steward_opts o = { .project_purl = "pkg:github/madler/zlib", .now = NOW };
    struct hm_verify_steward_result r;
    struct hm_steward *st = NULL;
    hm_err err;

    if (pk == NULL && hm_pubkey_from_pem(seed_key, strlen(seed_key), &pk) != HM_OK) {
        abort();
    }
    err = hm_verify_steward_bundle(NULL, pk, data, size, &o, &r, &st);
    if (err != HM_OK) {
        if (err != HM_E_NOMEM || st != NULL || r.status == HM_V_OK) {
            abort();
        }
        return 0;
    }
    if (r.status != HM_V_OK) {
        if (st != NULL || r.detail[0] == '\0' || memchr(r.detail, '\n', sizeof(r.detail))) {
            abort(); /* a refusal hands nothing out and says why, in one line */
        }
        return 0;
    }
    if (st == NULL || strcmp(st->project.purl, "pkg:github/madler/zlib") != 0 ||
        hm_steward_check(st, NULL, NOW, NULL, 0) != HM_STEWARD_OK) {
        abort();
    }
    hm_steward_free(st);
    return 0;
}

/*
 * cli_verify_steward.c: `hallmark verify` for steward attestations (issue 8;
 * docs/steward-attestation.md "Verifying"): a bundle whose statement is a steward
 * attestation is checked with hm_verify_steward_bundle (signature, log proof when the trust
 * root lists a log, expiry at --now, and --project PURL).  It takes no artifact: the
 * attestation vouches for a project, not for files.
 */
#include "cli_verify_steward.h"

#include <hm/json.h>
#include <hm/steward.h>
#include <hm/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

bool
cli_bundle_is_steward(const uint8_t *bundle, size_t len)
{
    struct hm_bundle *b = NULL;
    const char *type = NULL;
    cJSON *j = NULL;
    bool yes = false;

    /* Only to choose the check: the predicate type is read again from verified bytes. */
    if (hm_bundle_parse(bundle, len, &b, NULL, 0) == HM_OK &&
        hm_json_parse(b->dsse->payload, b->dsse->payload_len, &HM_JSON_DEFAULT_LIMITS, &j, NULL) ==
            HM_OK &&
        hm_json_get_string(j, "predicateType", true, 512, &type) == HM_OK) {
        yes = strcmp(type, HM_PREDICATE_STEWARD) == 0;
    }
    cJSON_Delete(j);
    hm_bundle_free(b);
    return yes;
}

static void
print_ok(const struct hm_verify_steward_result *r)
{
    char assessed[32], expires[32];

    hm_time_rfc3339(r->time_assessed, assessed);
    hm_time_rfc3339(r->expires, expires);
    printf("verified: steward attestation for %s (%s) by %s, signed by key %s", r->project_name,
           r->project_purl, r->steward, r->keyid);
    if (r->logged) {
        printf("; logged at index %llu in %s (tree size %llu, %zu witness cosignature(s))",
               (unsigned long long)r->log_index, r->log_origin,
               (unsigned long long)r->log_tree_size, r->n_witnesses);
    }
    printf("; assessed %s by %s, valid until %s; %zu Annex I requirement(s): %zu met, %zu "
           "partially\n",
           assessed, r->assessor, expires, r->n_requirements, r->n_met, r->n_partially);
}

static int
load_key(const char *path, struct hm_pubkey **pk)
{
    uint8_t *pem = NULL;
    size_t len = 0;
    hm_err err;

    if ((err = hm_read_file(path, 64 * 1024, &pem, &len)) != HM_OK) {
        fprintf(stderr, "hallmark verify: cannot read key %s: %s\n", path, hm_strerror(err));
        return CLI_USAGE;
    }
    err = hm_pubkey_from_pem(pem, len, pk);
    free(pem);
    if (err != HM_OK) {
        fprintf(stderr, "hallmark verify: %s holds no supported public key\n", path);
        return CLI_USAGE;
    }
    return CLI_OK;
}

int
cli_verify_steward(const struct cli_steward_verify *v, const uint8_t *bundle, size_t len)
{
    struct hm_verify_steward_opts o = { .project_purl = v->project, .now = v->now };
    struct hm_verify_steward_result r;
    struct hm_pubkey *pk = NULL;
    int rc;

    if (v->now == 0) {
        fprintf(stderr, "hallmark verify: a steward attestation is checked at a time: "
                        "--now unknown is not allowed for it\n");
        return CLI_USAGE;
    }
    if (v->root == NULL && (rc = load_key(v->key_path, &pk)) != CLI_OK) {
        return rc;
    }
    if (hm_verify_steward_bundle(v->root, pk, bundle, len, &o, &r, NULL) != HM_OK) {
        fprintf(stderr, "hallmark verify: %s\n", r.detail);
        rc = CLI_USAGE;
    } else if (r.status != HM_V_OK) {
        printf("verification failed: %s: %s\n", hm_verify_status_name(r.status), r.detail);
        rc = CLI_FAILED;
    } else {
        print_ok(&r);
        rc = CLI_OK;
    }
    hm_pubkey_free(pk);
    return rc;
}

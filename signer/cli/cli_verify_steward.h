/* cli_verify_steward.h: `hallmark verify` of steward attestations (cli_verify_steward.c). */
#ifndef HM_CLI_VERIFY_STEWARD_H
#define HM_CLI_VERIFY_STEWARD_H

#include <hm/common.h>

struct hm_trustroot;
struct cli_steward_verify {
    const struct hm_trustroot *root; /* --trust-root, or NULL with key_path */
    const char *key_path;            /* --key */
    const char *project;             /* --project PURL[@VERSION], NULL: any */
    int64_t now;                     /* --now or the clock; 0 is refused */
};
/* Whether the bundle's (not yet verified) statement is a steward attestation: only to
 * choose which check runs. */
bool cli_bundle_is_steward(const uint8_t *bundle, size_t len);
/* CLI_OK and one "verified:" line, CLI_FAILED with the reason code, CLI_USAGE. */
int cli_verify_steward(const struct cli_steward_verify *v, const uint8_t *bundle, size_t len);

#endif

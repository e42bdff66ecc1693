/*
 * main.c: `hallmark`, the command-line client.
 *
 *   hallmark keys init|create|list|export ...   keys in a PKCS#11 token
 *   hallmark sign ...                           sign a release (token or daemon)
 *   hallmark verify ...                         verify a bundle as a device would
 *   hallmark steward attest ...                 a CRA steward attestation (Art. 25)
 *   hallmark show BUNDLE                        any Hallmark bundle in plain words
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void
usage(FILE *f)
{
    fprintf(f, "usage: hallmark <command> [options]\n"
               "\n"
               "commands:\n"
               "  keys init     create a SoftHSM2 token in a state folder (random PINs, 0600)\n"
               "  keys create   generate a key in the token (ec-p256, ec-p384, ed25519, rsa-3072)\n"
               "  keys list     list the keys in the token\n"
               "  keys export   write a key's public key as PEM, with its key id\n"
               "  sign          sign artifacts of a release and write a Sigstore bundle\n"
               "  verify        verify a bundle and artifacts against a public key\n"
               "  policy check  evaluate a sign request against a policy, offline (dry run)\n"
               "  approve       sign an approval of a release (k-of-n release approvals)\n"
               "  steward attest  sign a CRA steward attestation (Art. 24/25) about a project\n"
               "  show          print any Hallmark bundle in plain words (or --json)\n"
               "  trust-root    write, sign, rotate, show or fetch a device trust root\n"
               "  log verify    monitor the transparency log (consistency, entries, watch list)\n"
               "  log proof     write or check an offline tlog-proof file for one entry\n"
               "\n"
               "Run 'hallmark <command> --help' for the options of each command.\n"
               "Exit codes: 0 success, 1 verification failed or denied, 2 usage or I/O error.\n");
}

int
main(int argc, char **argv)
{
    const char *lvl = getenv("HALLMARK_LOG");

    hm_log_set_level(HM_LOG_WARN);
    if (lvl != NULL && strcmp(lvl, "debug") == 0) {
        hm_log_set_level(HM_LOG_DEBUG);
    }
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "keys") == 0) {
        return cli_keys(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "sign") == 0) {
        return cli_sign(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "verify") == 0) {
        return cli_verify(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "policy") == 0) {
        return cli_policy(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "approve") == 0) {
        return cli_approve(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "steward") == 0) {
        return cli_steward(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "show") == 0) {
        return cli_show(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "trust-root") == 0) {
        return cli_trustroot(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "log") == 0) {
        return cli_log(argc - 1, argv + 1);
    }
    fprintf(stderr, "hallmark: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}

/*
 * cli_verify.c: `hallmark verify`: what a device does, from the command line.
 * Exit 0 and one line when verified; 1 with the precise reason when not; 2 on usage
 * or I/O errors.
 */
#include <getopt.h>
#include <hm/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_KEY = 1, OPT_BUNDLE, OPT_PRODUCT, OPT_INSTALLED, OPT_HELP };

static const struct option verify_options[] = {
    { "key", required_argument, NULL, OPT_KEY },
    { "bundle", required_argument, NULL, OPT_BUNDLE },
    { "product", required_argument, NULL, OPT_PRODUCT },
    { "installed-version", required_argument, NULL, OPT_INSTALLED },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

static void
verify_usage(FILE *f)
{
    fprintf(f, "usage: hallmark verify --key PUB.pem --bundle BUNDLE.json [--product NAME]\n"
               "                       [--installed-version SEMVER] ARTIFACT...\n"
               "\n"
               "Checks the bundle's DSSE signature with the public key, reads the release\n"
               "statement from the signed bytes, and checks that every artifact is one of its\n"
               "subjects (SHA-256 and SHA-512).  With --product and --installed-version it\n"
               "also refuses another product and a version that is not newer (rollback).\n");
}

int
cli_verify(int argc, char **argv)
{
    const char *key_path = NULL, *bundle_path = NULL;
    struct hm_verify_opts opts = { 0 };
    struct hm_verify_artifact *arts = NULL;
    struct hm_verify_result res;
    struct hm_pubkey *pk = NULL;
    uint8_t *pem = NULL, *bundle = NULL;
    size_t pem_len, bundle_len, n;
    hm_err err;
    int c, rc = CLI_USAGE;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", verify_options, NULL)) != -1) {
        switch (c) {
        case OPT_KEY:
            key_path = optarg;
            break;
        case OPT_BUNDLE:
            bundle_path = optarg;
            break;
        case OPT_PRODUCT:
            opts.product = optarg;
            break;
        case OPT_INSTALLED:
            opts.installed_version = optarg;
            break;
        case OPT_HELP:
            verify_usage(stdout);
            return CLI_OK;
        default:
            verify_usage(stderr);
            return CLI_USAGE;
        }
    }
    n = (size_t)(argc - optind);
    if (key_path == NULL || bundle_path == NULL || n == 0) {
        fprintf(stderr, "hallmark verify: needs --key, --bundle and at least one artifact\n");
        return CLI_USAGE;
    }
    if ((err = hm_read_file(key_path, 64 * 1024, &pem, &pem_len)) != HM_OK) {
        fprintf(stderr, "hallmark verify: cannot read key %s: %s\n", key_path, hm_strerror(err));
        goto out;
    }
    if ((err = hm_pubkey_from_pem(pem, pem_len, &pk)) != HM_OK) {
        fprintf(stderr, "hallmark verify: %s holds no supported public key\n", key_path);
        goto out;
    }
    err = hm_read_file(bundle_path, HM_BUNDLE_MAX_BYTES, &bundle, &bundle_len);
    if (err == HM_E_LIMIT) {
        printf("verification failed: %s: bundle %s is larger than %u bytes\n",
               hm_verify_status_name(HM_V_LIMITS_EXCEEDED), bundle_path, HM_BUNDLE_MAX_BYTES);
        rc = CLI_FAILED;
        goto out;
    }
    if (err != HM_OK) {
        fprintf(stderr, "hallmark verify: cannot read bundle %s: %s\n", bundle_path,
                hm_strerror(err));
        goto out;
    }
    if ((arts = calloc(n, sizeof(*arts))) == NULL) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const char *path = argv[optind + (int)i];
        arts[i].name = cli_basename(path);
        if ((err = hm_digest_file(path, &arts[i].digests)) != HM_OK) {
            fprintf(stderr, "hallmark verify: cannot read artifact %s: %s\n", path,
                    hm_strerror(err));
            goto out;
        }
    }
    if ((err = hm_verify_bundle_key(bundle, bundle_len, pk, arts, n, &opts, &res)) != HM_OK) {
        fprintf(stderr, "hallmark verify: %s\n", hm_strerror(err));
        goto out;
    }
    if (res.status != HM_V_OK) {
        printf("verification failed: %s: %s\n", hm_verify_status_name(res.status), res.detail);
        rc = CLI_FAILED;
        goto out;
    }
    printf("verified: %s %s%s%s: %zu artifact(s) match the release statement signed by key %s "
           "(%s)%s%s\n",
           res.product, res.version, res.channel[0] != '\0' ? " on channel " : "", res.channel, n,
           res.keyid, hm_key_alg_name(hm_pubkey_alg(pk)),
           res.support_end[0] != '\0' ? "; security support until " : "", res.support_end);
    rc = CLI_OK;
out:
    free(pem);
    free(bundle);
    free(arts);
    hm_pubkey_free(pk);
    return rc;
}

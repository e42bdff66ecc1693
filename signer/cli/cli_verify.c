/*
 * cli_verify.c: `hallmark verify`: what a device does, from the command line.
 * Exit 0 and one line when verified; 1 with the precise reason when not; 2 on usage
 * or I/O errors.
 *
 * Two modes: --key PUB.pem checks against one key (hm_verify_bundle_key, unchanged), and
 * --trust-root ROOT.json checks as a device does (hm_verify_bundle): the key must be one of
 * the root's for this product and time, and the bundle's transparency-log entry must prove
 * it logged when the root lists a log (docs/verify-library.md).
 */
#include <getopt.h>
#include <hm/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_keyattest.h"
#include "cli_verify_steward.h"

enum {
    OPT_KEY = 1,
    OPT_BUNDLE,
    OPT_PRODUCT,
    OPT_INSTALLED,
    OPT_ROOT,
    OPT_REQUIRE_LOG,
    OPT_NOW,
    OPT_HELP,
    /* key attestation (cli_keyattest.c) */
    OPT_REQUIRE_KEYATT,
    OPT_KEYATT,
    OPT_TPM_ROOTS,
    OPT_TPM_AK,
    OPT_ALLOW_SELF_ASSERTED,
    OPT_PROJECT, /* steward attestations (cli_verify_steward.c) */
};

static const struct option verify_options[] = {
    { "key", required_argument, NULL, OPT_KEY },
    { "bundle", required_argument, NULL, OPT_BUNDLE },
    { "product", required_argument, NULL, OPT_PRODUCT },
    { "installed-version", required_argument, NULL, OPT_INSTALLED },
    { "trust-root", required_argument, NULL, OPT_ROOT },
    { "require-log", no_argument, NULL, OPT_REQUIRE_LOG },
    { "now", required_argument, NULL, OPT_NOW },
    { "help", no_argument, NULL, OPT_HELP },
    { "require-key-attestation", no_argument, NULL, OPT_REQUIRE_KEYATT },
    { "key-attestation", required_argument, NULL, OPT_KEYATT },
    { "tpm-roots", required_argument, NULL, OPT_TPM_ROOTS },
    { "tpm-ak", required_argument, NULL, OPT_TPM_AK },
    { "allow-self-asserted", no_argument, NULL, OPT_ALLOW_SELF_ASSERTED },
    { "project", required_argument, NULL, OPT_PROJECT },
    { NULL, 0, NULL, 0 },
};

struct verify_args {
    const char *key_path, *root_path, *bundle_path;
    struct hm_verify_opts opts;
    bool require_log;
    int64_t now;
    char **files;
    size_t n_files;
    struct cli_keyatt_verify keyatt; /* --require-key-attestation and friends */
    const char *project;             /* --project PURL: steward attestations */
};

static void
verify_usage(FILE *f)
{
    fprintf(f, "usage: hallmark verify --key PUB.pem --bundle BUNDLE.json [--product NAME]\n"
               "                       [--installed-version SEMVER] ARTIFACT...\n"
               "       hallmark verify --trust-root ROOT.json --bundle BUNDLE.json\n"
               "                       [--product NAME] [--installed-version SEMVER]\n"
               "                       [--require-log] [--now RFC3339|unknown] ARTIFACT...\n"
               "\n"
               "Checks the bundle's DSSE signature with the public key, reads the release\n"
               "statement from the signed bytes, and checks that every artifact is one of its\n"
               "subjects (SHA-256 and SHA-512).  With --product and --installed-version it\n"
               "also refuses another product and a version that is not newer (rollback).\n"
               "With --trust-root the key must be one of the root's, valid for the product\n"
               "and at the signing time, and when the root lists a transparency log the\n"
               "bundle's log entry must verify (--require-log insists on that; it is on\n"
               "whenever the root lists a log).  --now sets the time (default: the clock;\n"
               "'unknown' skips the expiry checks, as a device without a clock does).\n"
               "\n"
               "Key attestation: --require-key-attestation --key-attestation FILE --tpm-roots\n"
               "ROOTS.pem [--tpm-ak AK.pem] [--allow-self-asserted] also checks that the key\n"
               "that signed is hardware-resident (docs/key-attestation.md).  FILE is one\n"
               "attestation bundle or hallmarkd's GET /v1/keys reply.  A trust-root key marked\n"
               "requireAttestation makes the check mandatory (reason 'missing' without FILE).\n"
               "\n"
               "Steward attestations (docs/steward-attestation.md): hallmark verify --key|\n"
               "--trust-root ... --bundle B.json [--project PURL[@VERSION]] [--now TIME], no\n"
               "artifact: signature, log proof (trust root with a log), expiry, project.\n");
}

/* Returns CLI_OK, CLI_USAGE, or -1 for --help. */
static int
verify_parse(int argc, char **argv, struct verify_args *a)
{
    int c;

    memset(a, 0, sizeof(*a));
    a->now = (int64_t)time(NULL);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", verify_options, NULL)) != -1) {
        switch (c) {
        case OPT_KEY:
            a->key_path = optarg;
            break;
        case OPT_BUNDLE:
            a->bundle_path = optarg;
            break;
        case OPT_PRODUCT:
            a->opts.product = optarg;
            break;
        case OPT_INSTALLED:
            a->opts.installed_version = optarg;
            break;
        case OPT_ROOT:
            a->root_path = optarg;
            break;
        case OPT_REQUIRE_LOG:
            a->require_log = true;
            break;
        case OPT_NOW:
            if (strcmp(optarg, "unknown") == 0) {
                a->now = 0;
            } else if (hm_time_parse_rfc3339(optarg, &a->now) != HM_OK || a->now == 0) {
                fprintf(stderr, "hallmark verify: --now: not an RFC 3339 time: %s\n", optarg);
                return CLI_USAGE;
            }
            break;
        case OPT_REQUIRE_KEYATT:
            a->keyatt.require = true;
            break;
        case OPT_KEYATT:
            a->keyatt.path = optarg;
            break;
        case OPT_TPM_ROOTS:
            a->keyatt.tpm_roots = optarg;
            break;
        case OPT_TPM_AK:
            a->keyatt.tpm_ak = optarg;
            break;
        case OPT_ALLOW_SELF_ASSERTED:
            a->keyatt.allow_self_asserted = true;
            break;
        case OPT_PROJECT:
            a->project = optarg;
            break;
        case OPT_HELP:
            verify_usage(stdout);
            return -1;
        default:
            verify_usage(stderr);
            return CLI_USAGE;
        }
    }
    a->files = argv + optind;
    a->n_files = (size_t)(argc - optind);
    /* no artifact is checked after reading the bundle: a steward attestation takes none */
    if ((a->key_path == NULL) == (a->root_path == NULL) || a->bundle_path == NULL) {
        fprintf(stderr, "hallmark verify: needs --key or --trust-root (one of them), --bundle "
                        "and at least one artifact\n");
        return CLI_USAGE;
    }
    if (cli_keyatt_verify_usage(&a->keyatt) != CLI_OK) {
        return CLI_USAGE;
    }
    if (a->key_path != NULL && a->require_log) {
        /* the key-only check has no log to require: say so rather than ignore it */
        fprintf(stderr, "hallmark verify: --require-log needs --trust-root\n");
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* Reads the bundle; a too-big bundle is a verification failure, not an I/O error. */
static int
read_bundle(const char *path, uint8_t **out, size_t *len)
{
    hm_err err = hm_read_file(path, HM_BUNDLE_MAX_BYTES, out, len);

    if (err == HM_E_LIMIT) {
        printf("verification failed: %s: bundle %s is larger than %u bytes\n",
               hm_verify_status_name(HM_V_LIMITS_EXCEEDED), path, HM_BUNDLE_MAX_BYTES);
        return CLI_FAILED;
    }
    if (err != HM_OK) {
        fprintf(stderr, "hallmark verify: cannot read bundle %s: %s\n", path, hm_strerror(err));
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* The key-attestation check for the --key mode (cli_keyattest.c). */
static int
keyatt_for_key(const struct verify_args *a, const struct hm_pubkey *pk)
{
    const uint8_t *spki;
    size_t spki_len;

    hm_pubkey_spki(pk, &spki, &spki_len);
    return cli_keyatt_verify_check(&a->keyatt, spki, spki_len, a->now);
}

static int
verify_with_key(const struct verify_args *a, const uint8_t *bundle, size_t bundle_len)
{
    struct hm_verify_artifact *arts = NULL;
    struct hm_verify_result res;
    struct hm_pubkey *pk = NULL;
    uint8_t *pem = NULL;
    size_t pem_len = 0;
    hm_err err;
    int rc = CLI_USAGE;

    if ((err = hm_read_file(a->key_path, 64 * 1024, &pem, &pem_len)) != HM_OK) {
        fprintf(stderr, "hallmark verify: cannot read key %s: %s\n", a->key_path, hm_strerror(err));
        goto out;
    }
    if ((err = hm_pubkey_from_pem(pem, pem_len, &pk)) != HM_OK) {
        fprintf(stderr, "hallmark verify: %s holds no supported public key\n", a->key_path);
        goto out;
    }
    if ((arts = calloc(a->n_files, sizeof(*arts))) == NULL) {
        goto out;
    }
    for (size_t i = 0; i < a->n_files; i++) {
        arts[i].name = cli_basename(a->files[i]);
        if ((err = hm_digest_file(a->files[i], &arts[i].digests)) != HM_OK) {
            fprintf(stderr, "hallmark verify: cannot read artifact %s: %s\n", a->files[i],
                    hm_strerror(err));
            goto out;
        }
    }
    if ((err = hm_verify_bundle_key(bundle, bundle_len, pk, arts, a->n_files, &a->opts, &res)) !=
        HM_OK) {
        fprintf(stderr, "hallmark verify: %s\n", hm_strerror(err));
        goto out;
    }
    if (res.status != HM_V_OK) {
        printf("verification failed: %s: %s\n", hm_verify_status_name(res.status), res.detail);
        rc = CLI_FAILED;
        goto out;
    }
    if ((rc = keyatt_for_key(a, pk)) != CLI_OK) {
        goto out;
    }
    printf("verified: %s %s%s%s: %zu artifact(s) match the release statement signed by key %s "
           "(%s)%s%s\n",
           res.product, res.version, res.channel[0] != '\0' ? " on channel " : "", res.channel,
           a->n_files, res.keyid, hm_key_alg_name(hm_pubkey_alg(pk)),
           res.support_end[0] != '\0' ? "; security support until " : "", res.support_end);
    if (res.manufacturer[0] != '\0' || res.security_contact[0] != '\0') {
        printf("CRA facts: manufacturer %s; report vulnerabilities to %s\n",
               res.manufacturer[0] != '\0' ? res.manufacturer : "(not stated)",
               res.security_contact[0] != '\0' ? res.security_contact : "(not stated)");
    }
    rc = CLI_OK;
out:
    free(pem);
    free(arts);
    hm_pubkey_free(pk);
    return rc;
}

static int
open_root(const struct verify_args *a, struct hm_trustroot **out)
{
    struct hm_trustroot_reason why;
    uint8_t *buf = NULL;
    size_t len = 0;
    hm_err err;

    if ((err = hm_read_file(a->root_path, HM_TRUSTROOT_MAX_BYTES, &buf, &len)) != HM_OK) {
        fprintf(stderr, "hallmark verify: cannot read trust root %s: %s\n", a->root_path,
                hm_strerror(err));
        return CLI_USAGE;
    }
    err = hm_trustroot_parse(buf, len, out, &why);
    free(buf);
    if (err != HM_OK) {
        fprintf(stderr, "hallmark verify: trust root %s refused: %s: %s\n", a->root_path,
                err == HM_E_NOMEM ? "out-of-memory" : hm_trustroot_status_name(why.status),
                why.detail);
        return CLI_USAGE;
    }
    if (a->require_log && hm_trustroot_log_count(*out) == 0) {
        fprintf(stderr,
                "hallmark verify: --require-log: trust root %s lists no transparency "
                "log\n",
                a->root_path);
        hm_trustroot_free(*out);
        *out = NULL;
        return CLI_USAGE;
    }
    return CLI_OK;
}

static const char *
key_alg_of(const struct hm_trustroot *tr, const char *keyid)
{
    struct hm_trustroot_key_info ki;

    for (size_t i = 0; i < hm_trustroot_key_count(tr); i++) {
        hm_trustroot_key(tr, i, &ki);
        if (strcmp(ki.keyid, keyid) == 0) {
            return hm_key_alg_name(ki.alg);
        }
    }
    return "?";
}

static void
print_verified(const struct hm_trustroot *tr, const struct hm_verify_result *r, size_t n)
{
    char sbom[2 * HM_SHA256_LEN + 1] = "";

    if (r->has_sbom_sha256) {
        hm_hex_encode(r->sbom_sha256, HM_SHA256_LEN, sbom);
    }
    printf("verified: %s %s%s%s: %zu artifact(s) match the release statement signed by key %s "
           "(%s)",
           r->product, r->version, r->channel[0] != '\0' ? " on channel " : "", r->channel, n,
           r->keyid, key_alg_of(tr, r->keyid));
    if (r->logged) {
        printf("; logged at index %llu in %s (tree size %llu, %zu witness cosignature(s))",
               (unsigned long long)r->log_index, r->log_origin,
               (unsigned long long)r->log_tree_size, r->n_witnesses);
    }
    printf("%s%s%s%s", r->support_end[0] != '\0' ? "; security support until " : "", r->support_end,
           sbom[0] != '\0' ? "; SBOM sha256 " : "", sbom);
    printf("%s%s%s%s%s\n", r->manufacturer[0] != '\0' ? "; manufacturer " : "", r->manufacturer,
           r->security_contact[0] != '\0' ? "; report vulnerabilities to " : "",
           r->security_contact, r->time_checked ? "" : "; time unknown: expiry not checked");
}

/* The key that verified, from the trust root, for the key-attestation check. */
static int
keyatt_for_root(const struct verify_args *a, const struct hm_trustroot *tr, const char *keyid)
{
    struct hm_trustroot_key_info ki;
    const uint8_t *spki;
    size_t spki_len;

    for (size_t i = 0; i < hm_trustroot_key_count(tr); i++) {
        hm_trustroot_key(tr, i, &ki);
        if (strcmp(ki.keyid, keyid) == 0) {
            /* the root's requireAttestation makes the check mandatory (docs/trust-root.md) */
            struct cli_keyatt_verify v = a->keyatt;
            v.require = v.require || ki.require_attestation;
            hm_pubkey_spki(ki.key, &spki, &spki_len);
            return cli_keyatt_verify_check(&v, spki, spki_len, a->now);
        }
    }
    return CLI_USAGE;
}

static int
verify_with_root(const struct verify_args *a, const uint8_t *bundle, size_t bundle_len)
{
    struct hm_device_facts dev = { a->opts.product, a->opts.installed_version, a->now };
    struct hm_verify_image *imgs = NULL;
    struct hm_trustroot *tr = NULL;
    struct hm_verify_result res;
    hm_err err;
    int rc;

    if ((rc = open_root(a, &tr)) != CLI_OK) {
        return rc;
    }
    rc = CLI_USAGE;
    if ((imgs = calloc(a->n_files, sizeof(*imgs))) == NULL) {
        goto out;
    }
    for (size_t i = 0; i < a->n_files; i++) {
        imgs[i].source = HM_IMAGE_PATH;
        imgs[i].path = a->files[i];
        imgs[i].name = cli_basename(a->files[i]);
    }
    if ((err = hm_verify_bundle(tr, bundle, bundle_len, imgs, a->n_files, &dev, &res)) != HM_OK) {
        fprintf(stderr, "hallmark verify: %s\n", res.detail);
        goto out;
    }
    if (res.status != HM_V_OK) {
        printf("verification failed: %s: %s\n", hm_verify_status_name(res.status), res.detail);
        rc = CLI_FAILED;
        goto out;
    }
    if ((rc = keyatt_for_root(a, tr, res.keyid)) != CLI_OK) {
        goto out;
    }
    print_verified(tr, &res, a->n_files);
    rc = CLI_OK;
out:
    free(imgs);
    hm_trustroot_free(tr);
    return rc;
}

/* A steward attestation (cli_verify_steward.c): no artifact, no rollback. */
static int
verify_steward(const struct verify_args *a, const uint8_t *bundle, size_t len)
{
    struct cli_steward_verify v = { NULL, a->key_path, a->project, a->now };
    struct hm_trustroot *tr = NULL;
    int rc;

    if (a->n_files != 0 || a->opts.product != NULL || a->opts.installed_version != NULL) {
        fprintf(stderr, "hallmark verify: a steward attestation takes no artifact, --product or "
                        "--installed-version (use --project PURL)\n");
        return CLI_USAGE;
    }
    if (a->root_path != NULL && (rc = open_root(a, &tr)) != CLI_OK) {
        return rc;
    }
    v.root = tr;
    rc = cli_verify_steward(&v, bundle, len);
    hm_trustroot_free(tr);
    return rc;
}

int
cli_verify(int argc, char **argv)
{
    struct verify_args a;
    uint8_t *bundle = NULL;
    size_t bundle_len = 0;
    int rc;

    if ((rc = verify_parse(argc, argv, &a)) != CLI_OK) {
        return rc < 0 ? CLI_OK : rc;
    }
    if ((rc = read_bundle(a.bundle_path, &bundle, &bundle_len)) != CLI_OK) {
        return rc;
    }
    if (cli_bundle_is_steward(bundle, bundle_len)) {
        rc = verify_steward(&a, bundle, bundle_len);
    } else if (a.n_files == 0 || a.project != NULL) {
        fprintf(stderr, "hallmark verify: a release needs at least one artifact (--project is "
                        "for steward attestations)\n");
        rc = CLI_USAGE;
    } else {
        rc = a.key_path != NULL ? verify_with_key(&a, bundle, bundle_len)
                                : verify_with_root(&a, bundle, bundle_len);
    }
    free(bundle);
    return rc;
}

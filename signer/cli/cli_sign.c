/*
 * cli_sign.c: `hallmark sign`: hash the artifacts as streams, build the release
 * statement, sign its DSSE PAE in the token and write a Sigstore bundle v0.3.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <hm/attest.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_http.h"

enum {
    OPT_STATE = 1,
    OPT_TOKEN,
    OPT_KEY,
    OPT_PRODUCT,
    OPT_VERSION,
    OPT_CHANNEL,
    OPT_SUPPORT_END,
    OPT_OUT,
    OPT_OUT_DIR,
    OPT_PER_ARTIFACT,
    OPT_QUIET,
    OPT_SBOM,
    OPT_MANUFACTURER,
    OPT_SECURITY_CONTACT,
    OPT_VEX,
    OPT_APPROVAL,
    OPT_OIDC_TOKEN_FILE,
    OPT_VSA_OUT,
    OPT_HELP,
};

static const struct option sign_options[] = {
    { "state", required_argument, NULL, OPT_STATE },
    { "token", required_argument, NULL, OPT_TOKEN },
    { "key", required_argument, NULL, OPT_KEY },
    { "product", required_argument, NULL, OPT_PRODUCT },
    { "version", required_argument, NULL, OPT_VERSION },
    { "channel", required_argument, NULL, OPT_CHANNEL },
    { "support-end", required_argument, NULL, OPT_SUPPORT_END },
    { "out", required_argument, NULL, OPT_OUT },
    { "out-dir", required_argument, NULL, OPT_OUT_DIR },
    { "per-artifact", no_argument, NULL, OPT_PER_ARTIFACT },
    { "quiet", no_argument, NULL, OPT_QUIET },
    CLI_HTTP_LONG_OPTIONS,
    { "sbom", required_argument, NULL, OPT_SBOM },
    { "manufacturer", required_argument, NULL, OPT_MANUFACTURER },
    { "security-contact", required_argument, NULL, OPT_SECURITY_CONTACT },
    { "vex", required_argument, NULL, OPT_VEX },
    { "approval", required_argument, NULL, OPT_APPROVAL },
    { "oidc-token-file", required_argument, NULL, OPT_OIDC_TOKEN_FILE },
    { "vsa-out", required_argument, NULL, OPT_VSA_OUT },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

#define SIGN_MAX_DOCS 64 /* VEX documents, approvals: the daemon's limits */

struct sign_args {
    struct cli_token_opts tok;
    const char *key, *product, *version, *channel, *support_end, *out, *out_dir;
    bool per_artifact, quiet;
    struct cli_http_opts http;
    const char *sbom;
    const char *manufacturer, *security_contact; /* CRA product facts, local signing */
    const char *vex[SIGN_MAX_DOCS], *approvals[SIGN_MAX_DOCS];
    size_t n_vex, n_approvals;
    const char *token_file, *vsa_out; /* --server only */
    char **files;
    size_t n_files;
};

static void
sign_usage(FILE *f)
{
    fprintf(
        f, "usage: hallmark sign (--state DIR | --token URI) --key NAME|URI\n"
           "                     --product NAME --version SEMVER [--channel NAME]\n"
           "                     [--support-end YYYY-MM-DD] [--out FILE | --out-dir DIR]\n"
           "                     [--manufacturer NAME] [--security-contact EMAIL|URL]\n"
           "                     [--per-artifact] [--quiet] ARTIFACT...\n"
           "       hallmark sign --server https://HOST:PORT --cacert CA.pem --tls-cert C.pem\n"
           "                     --tls-key K.pem --product NAME --version SEMVER [--channel NAME]\n"
           "                     [--support-end YYYY-MM-DD] [--sbom SBOM.json] [--out FILE]\n"
           "                     [--vex VEX.json]... [--approval APPROVAL.json]...\n"
           "                     [--oidc-token-file FILE] [--vsa-out FILE] ARTIFACT...\n"
           "\n"
           "Signs one release statement (in-toto Statement v1) whose subjects are the\n"
           "artifacts with their SHA-256 and SHA-512 digests, directly against the token,\n"
           "and writes a Sigstore bundle v0.3 (default PRODUCT-VERSION.bundle.json).\n"
           "--per-artifact writes one bundle per artifact (ARTIFACT.bundle.json).\n"
           "With --server the daemon signs: only digests travel, never the artifacts; the\n"
           "bundle written is the same as a local signature's.  With a release policy the\n"
           "daemon also returns a SLSA VSA bundle (--vsa-out, default OUT stem +\n"
           ".verification_summary.json); a refusal prints every failing rule and its hint\n"
           "and exits 1.  --oidc-token-file sends a CI token as Authorization: Bearer\n"
           "(the file must not be readable by group or others; the token is never printed).\n"
           "--manufacturer and --security-contact add the CRA product facts (the\n"
           "manufacturer's name; where to report vulnerabilities) to a local signature.\n");
}

static int
sign_parse(int argc, char **argv, struct sign_args *a)
{
    int c;

    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((c = getopt_long(argc, argv, "", sign_options, NULL)) != -1) {
        switch (c) {
        case OPT_STATE:
            a->tok.state = optarg;
            break;
        case OPT_TOKEN:
            a->tok.token_uri = optarg;
            break;
        case OPT_KEY:
            a->key = optarg;
            break;
        case OPT_PRODUCT:
            a->product = optarg;
            break;
        case OPT_VERSION:
            a->version = optarg;
            break;
        case OPT_CHANNEL:
            a->channel = optarg;
            break;
        case OPT_SUPPORT_END:
            a->support_end = optarg;
            break;
        case OPT_OUT:
            a->out = optarg;
            break;
        case OPT_OUT_DIR:
            a->out_dir = optarg;
            break;
        case OPT_PER_ARTIFACT:
            a->per_artifact = true;
            break;
        case OPT_QUIET:
            a->quiet = true;
            break;
        case OPT_SBOM:
            a->sbom = optarg;
            break;
        case OPT_MANUFACTURER:
            a->manufacturer = optarg;
            break;
        case OPT_SECURITY_CONTACT:
            a->security_contact = optarg;
            break;
        case OPT_VEX:
        case OPT_APPROVAL:
            if ((c == OPT_VEX ? a->n_vex : a->n_approvals) >= SIGN_MAX_DOCS) {
                fprintf(stderr, "hallmark sign: at most %d --vex and %d --approval\n",
                        SIGN_MAX_DOCS, SIGN_MAX_DOCS);
                return CLI_USAGE;
            }
            if (c == OPT_VEX) {
                a->vex[a->n_vex++] = optarg;
            } else {
                a->approvals[a->n_approvals++] = optarg;
            }
            break;
        case OPT_OIDC_TOKEN_FILE:
            a->token_file = optarg;
            break;
        case OPT_VSA_OUT:
            a->vsa_out = optarg;
            break;
        case OPT_HELP:
            sign_usage(stdout);
            return -1;
        default:
            if (cli_http_option(c, optarg, &a->http)) {
                break;
            }
            sign_usage(stderr);
            return CLI_USAGE;
        }
    }
    a->files = argv + optind;
    a->n_files = (size_t)(argc - optind);
    if ((a->key == NULL && a->http.url == NULL) || a->product == NULL || a->version == NULL ||
        a->n_files == 0) {
        fprintf(stderr, "hallmark sign: needs --key (or --server), --product, --version and "
                        "an artifact\n");
        return CLI_USAGE;
    }
    if (a->http.url != NULL && (a->http.cacert == NULL || a->per_artifact)) {
        fprintf(stderr, "hallmark sign: --server needs --cacert (and --tls-cert/--tls-key "
                        "for mutual TLS); --per-artifact is for local signing\n");
        return CLI_USAGE;
    }
    if (a->http.url != NULL && (a->manufacturer != NULL || a->security_contact != NULL)) {
        fprintf(stderr, "hallmark sign: --manufacturer and --security-contact are for local "
                        "signing; the daemon does not take them from the request\n");
        return CLI_USAGE;
    }
    if (a->http.url == NULL && (a->n_vex > 0 || a->n_approvals > 0 || a->token_file != NULL ||
                                a->vsa_out != NULL || a->sbom != NULL)) {
        fprintf(stderr, "hallmark sign: --sbom, --vex, --approval, --oidc-token-file and "
                        "--vsa-out go with --server\n");
        return CLI_USAGE;
    }
    if (a->out != NULL && (a->out_dir != NULL || a->per_artifact)) {
        fprintf(stderr, "hallmark sign: --out names one bundle; use --out-dir with "
                        "--per-artifact\n");
        return CLI_USAGE;
    }
    if (!a->per_artifact && a->n_files > HM_MAX_SUBJECTS) {
        fprintf(stderr, "hallmark sign: at most %u artifacts per release\n", HM_MAX_SUBJECTS);
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* Time spent writing bundle files, reported apart from signing by --per-artifact. */
static double write_seconds;

static double
now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The PAE is signed in the token; ECDSA signatures come back as DER. */
static hm_err
sign_with_key(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len)
{
    return hm_key_sign(ctx, msg, len, HM_SIG_DER, sig, sig_len);
}

static int
hash_artifacts(const struct sign_args *a, struct hm_artifact *arts)
{
    for (size_t i = 0; i < a->n_files; i++) {
        struct hm_digests d;
        hm_err err = hm_digest_file(a->files[i], &d);
        if (err != HM_OK) {
            fprintf(stderr, "hallmark sign: cannot read %s: %s\n", a->files[i], hm_strerror(err));
            return CLI_USAGE;
        }
        arts[i].name = cli_basename(a->files[i]);
        arts[i].size = d.size;
        memcpy(arts[i].sha256, d.sha256, sizeof(d.sha256));
        memcpy(arts[i].sha512, d.sha512, sizeof(d.sha512));
    }
    return CLI_OK;
}

/* Signs one release over arts[0..n) and writes its bundle to path. */
static int
sign_one(const struct sign_args *a, struct hm_key *key, const struct hm_artifact *arts, size_t n,
         const char *path, bool sync)
{
    struct hm_release rel = {
        .product = a->product,
        .channel = a->channel,
        .version = a->version,
        .artifacts = arts,
        .n_artifacts = n,
        .support_end = a->support_end,
        .signed_at = (int64_t)time(NULL),
        .manufacturer = a->manufacturer,
        .security_contact = a->security_contact,
    };
    uint8_t *stmt = NULL;
    char *bundle = NULL, why[256] = "";
    size_t stmt_len = 0, bundle_len = 0;
    hm_err err;
    int rc = CLI_USAGE;

    if ((err = hm_release_check(&rel, why, sizeof(why))) != HM_OK) {
        fprintf(stderr, "hallmark sign: %s\n", why[0] != '\0' ? why : hm_strerror(err));
        goto out;
    }
    if ((err = hm_release_statement(&rel, &stmt, &stmt_len)) != HM_OK ||
        (err = hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, stmt_len, hm_key_id(key), sign_with_key,
                              key, &bundle, &bundle_len)) != HM_OK) {
        fprintf(stderr, "hallmark sign: signing failed: %s\n", hm_strerror(err));
        goto out;
    }
    double w0 = now_seconds();
    err = sync ? hm_write_file_atomic(path, bundle, bundle_len, 0644)
               : hm_write_file_replace(path, bundle, bundle_len, 0644);
    write_seconds += now_seconds() - w0;
    if (err != HM_OK) {
        fprintf(stderr, "hallmark sign: cannot write %s: %s\n", path, hm_strerror(err));
        goto out;
    }
    rc = CLI_OK;
out:
    free(stmt);
    free(bundle);
    return rc;
}

static int
bundle_path(const struct sign_args *a, const char *stem, char *out, size_t len)
{
    int n;

    if (a->out != NULL) {
        n = snprintf(out, len, "%s", a->out);
    } else {
        n = snprintf(out, len, "%s%s%s.bundle.json", a->out_dir != NULL ? a->out_dir : "",
                     a->out_dir != NULL ? "/" : "", stem);
    }
    return n > 0 && (size_t)n < len ? CLI_OK : CLI_USAGE;
}

int
cli_sign(int argc, char **argv)
{
    struct sign_args a;
    struct hm_hsm *hsm = NULL;
    struct hm_key *key = NULL;
    struct hm_artifact *arts = NULL;
    char path[PATH_MAX], stem[PATH_MAX];
    struct timespec t0, t1;
    int rc, dfd;

    if ((rc = sign_parse(argc, argv, &a)) != CLI_OK) {
        return rc < 0 ? CLI_OK : rc;
    }
    if ((arts = calloc(a.n_files, sizeof(*arts))) == NULL) {
        return CLI_USAGE;
    }
    if ((rc = hash_artifacts(&a, arts)) != CLI_OK) {
        goto out;
    }
    if (a.http.url != NULL) {
        struct cli_remote_req rq = { .product = a.product,
                                     .channel = a.channel,
                                     .version = a.version,
                                     .support_end = a.support_end,
                                     .sbom_path = a.sbom,
                                     .vex_paths = a.vex,
                                     .n_vex = a.n_vex,
                                     .approval_paths = a.approvals,
                                     .n_approvals = a.n_approvals,
                                     .token_file = a.token_file,
                                     .out = a.out,
                                     .vsa_out = a.vsa_out,
                                     .quiet = a.quiet };
        rc = cli_sign_remote(&a.http, &rq, arts, a.n_files);
        goto out;
    }
    rc = CLI_USAGE;
    if ((hsm = cli_open_token(&a.tok)) == NULL || (key = cli_find_key(hsm, a.key)) == NULL) {
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (a.per_artifact) {
        for (size_t i = 0; i < a.n_files; i++) {
            if ((rc = bundle_path(&a, arts[i].name, path, sizeof(path))) != CLI_OK ||
                (rc = sign_one(&a, key, &arts[i], 1, path, false)) != CLI_OK) {
                goto out;
            }
        }
        /* One flush for all the bundles instead of two fsyncs each. */
        if ((dfd = open(a.out_dir != NULL ? a.out_dir : ".", O_RDONLY | O_DIRECTORY)) < 0 ||
            syncfs(dfd) != 0) {
            fprintf(stderr, "hallmark sign: cannot flush the bundles to disk\n");
            if (dfd >= 0) {
                close(dfd);
            }
            rc = CLI_USAGE;
            goto out;
        }
        close(dfd);
    } else {
        snprintf(stem, sizeof(stem), "%s-%s", a.product, a.version);
        if ((rc = bundle_path(&a, stem, path, sizeof(path))) != CLI_OK ||
            (rc = sign_one(&a, key, arts, a.n_files, path, true)) != CLI_OK) {
            goto out;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!a.quiet) {
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        size_t sigs = a.per_artifact ? a.n_files : 1;
        printf("signed %s %s: %zu artifact(s), %zu bundle(s) with key %s (%s)%s%s\n", a.product,
               a.version, a.n_files, sigs, hm_key_id(key), hm_key_alg_name(hm_key_alg(key)),
               a.per_artifact ? "" : " -> ", a.per_artifact ? "" : path);
        if (a.per_artifact) {
            double signing = secs - write_seconds;
            printf("signing rate: %.0f bundles/s (%zu in %.3f s); without writing the files: "
                   "%.0f bundles/s\n",
                   secs > 0 ? (double)sigs / secs : 0.0, sigs, secs,
                   signing > 0 ? (double)sigs / signing : 0.0);
        }
    }
    rc = CLI_OK;
out:
    free(arts);
    hm_hsm_close(hsm);
    return rc;
}

/*
 * cli_log.c: `hallmark log verify` (the monitor, docs/monitor.md) and `hallmark log proof`
 * (cli_log_proof.c).  Exit codes: 0 verified; 1 evidence against the log (split view,
 * rewritten entry, gap, bad checkpoint signature, root mismatch, malformed entry or reply);
 * 2 usage, I/O, an unreachable server or an unusable state folder.
 */
#include "cli_log.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <hm/json.h>
#include <hm/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cli.h"
#include "cli_http.h"

#define MAX_WATCH 64

static hm_err
https_get(void *ctx, const char *path, int *status, uint8_t **body, size_t *len)
{
    return cli_https(ctx, "GET", path, NULL, 0, status, body, len);
}

void
cli_log_src_https(const struct cli_http_opts *http, struct cli_log_src *out)
{
    out->get = https_get;
    out->ctx = (void *)(uintptr_t)http; /* read only */
}

/* A log key from a PEM public key: Ed25519 (type 0x01) or ECDSA P-256 (0x02). */
static struct hm_tlog_verifier *
key_from_pem(const char *pem, const char *origin)
{
    struct hm_tlog_verifier *v = NULL;
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *pk = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    uint8_t raw[32], *der = NULL;
    size_t raw_len = sizeof(raw);
    int der_len;

    if (pk != NULL && EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519 &&
        EVP_PKEY_get_raw_public_key(pk, raw, &raw_len) == 1 && raw_len == 32) {
        if (hm_tlog_verifier_new(HM_TLOG_SIG_ED25519, origin, raw, 32, &v) != HM_OK) {
            v = NULL;
        }
    } else if (pk != NULL && EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC &&
               (der_len = i2d_PUBKEY(pk, &der)) > 0) {
        if (hm_tlog_verifier_new(HM_TLOG_SIG_ECDSA, origin, der, (size_t)der_len, &v) != HM_OK) {
            v = NULL;
        }
    }
    OPENSSL_free(der);
    EVP_PKEY_free(pk);
    BIO_free(bio);
    return v;
}

/* The log of the trust root's verified document: by origin, or the only one. */
static struct hm_tlog_verifier *
key_from_root(const char *path, const char *origin)
{
    struct hm_trustroot_reason why = { 0 };
    struct hm_trustroot *tr = NULL;
    struct hm_tlog_verifier *v = NULL;
    const cJSON *logs, *log, *pick = NULL;
    const char *o = NULL, *pem = NULL, *vkey = NULL;
    const uint8_t *doc;
    uint8_t *buf = NULL;
    size_t len = 0, n = 0;
    cJSON *root = NULL;

    if (hm_read_file(path, HM_TRUSTROOT_MAX_BYTES, &buf, &len) != HM_OK ||
        hm_trustroot_parse(buf, len, &tr, &why) != HM_OK) {
        fprintf(stderr, "hallmark log: cannot use the trust root %s: %s\n", path,
                why.detail[0] != '\0' ? why.detail : "unreadable");
        goto out;
    }
    doc = hm_trustroot_payload(tr, &len);
    if (hm_json_parse(doc, len, NULL, &root, NULL) != HM_OK) {
        goto out;
    }
    logs = hm_json_get(root, "logs");
    cJSON_ArrayForEach(log, logs) {
        n++;
        if (hm_json_get_string(log, "origin", true, HM_TRUSTROOT_MAX_ORIGIN, &o) == HM_OK &&
            (origin == NULL || strcmp(o, origin) == 0)) {
            pick = pick == NULL ? log : pick;
        }
    }
    if (pick == NULL || (origin == NULL && n > 1)) {
        fprintf(stderr, "hallmark log: the trust root %s lists %zu logs%s%s: %s\n", path, n,
                origin ? ", none with origin " : "", origin ? origin : "",
                n > 1 ? "choose one with --origin" : "it gives no log key");
        goto out;
    }
    if (hm_json_get_string(pick, "origin", true, HM_TRUSTROOT_MAX_ORIGIN, &o) != HM_OK ||
        hm_json_get_string(pick, "pem", false, 16384, &pem) != HM_OK ||
        hm_json_get_string(pick, "vkey", false, 16384, &vkey) != HM_OK) {
        goto out;
    }
    if (vkey != NULL && hm_tlog_verifier_parse(vkey, strlen(vkey), &v) != HM_OK) {
        v = NULL;
    } else if (pem != NULL) {
        v = key_from_pem(pem, o);
    }
    if (v == NULL) {
        fprintf(stderr, "hallmark log: the log %s in %s has no usable key\n", o, path);
    }
out:
    cJSON_Delete(root);
    hm_trustroot_free(tr);
    free(buf);
    return v;
}

struct hm_tlog_verifier *
cli_log_key_load(const char *root_path, const char *vkey, const char *origin)
{
    struct hm_tlog_verifier *v = NULL;

    if ((root_path == NULL) == (vkey == NULL)) {
        fprintf(stderr, "hallmark log: give the log key with --trust-root ROOT.json or --log-key "
                        "VKEY (one of them)\n");
        return NULL;
    }
    if (root_path != NULL) {
        return key_from_root(root_path, origin);
    }
    if (hm_tlog_verifier_parse(vkey, strlen(vkey), &v) != HM_OK ||
        (hm_tlog_verifier_type(v) != HM_TLOG_SIG_ED25519 &&
         hm_tlog_verifier_type(v) != HM_TLOG_SIG_ECDSA)) {
        fprintf(stderr, "hallmark log: --log-key: not an Ed25519 or ECDSA note verifier key "
                        "(name+keyid+base64)\n");
        hm_tlog_verifier_free(v);
        return NULL;
    }
    return v;
}

enum {
    OPT_STATE = 1,
    OPT_ROOT,
    OPT_LOG_KEY,
    OPT_ORIGIN,
    OPT_WATCH_KEY,
    OPT_WATCH_PRODUCT,
    OPT_JSON,
    OPT_HELP,
};

static const struct option verify_options[] = {
    CLI_HTTP_LONG_OPTIONS,
    { "state", required_argument, NULL, OPT_STATE },
    { "trust-root", required_argument, NULL, OPT_ROOT },
    { "log-key", required_argument, NULL, OPT_LOG_KEY },
    { "origin", required_argument, NULL, OPT_ORIGIN },
    { "watch-key", required_argument, NULL, OPT_WATCH_KEY },
    { "watch-product", required_argument, NULL, OPT_WATCH_PRODUCT },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, OPT_HELP },
    { NULL, 0, NULL, 0 },
};

static void
log_usage(FILE *f)
{
    fprintf(
        f, "usage: hallmark log verify --server URL --state DIR --cacert CA.pem\n"
           "                           [--tls-cert CERT.pem --tls-key KEY.pem]\n"
           "                           (--trust-root ROOT.json | --log-key VKEY) [--origin O]\n"
           "                           [--watch-key KEYID]... [--watch-product NAME]... [--json]\n"
           "       hallmark log proof --server URL --cacert CA.pem [--tls-cert C --tls-key K]\n"
           "                          (--index N | --bundle BUNDLE.json) --out FILE.tlog-proof\n"
           "                          [--leaf-out LEAF] (--trust-root ROOT.json | --log-key VKEY)\n"
           "       hallmark log proof --verify FILE.tlog-proof (--leaf LEAF | --bundle "
           "BUNDLE.json)\n"
           "                          (--trust-root ROOT.json | --log-key VKEY) [--origin O]\n"
           "\n"
           "verify: the log monitor.  Checks the checkpoint's signature, its consistency with\n"
           "the checkpoint kept in DIR, every new entry, and reports entries by watched keys\n"
           "or for watched products; DIR is updated only when everything checked.\n"
           "proof: writes or checks a C2SP tlog-proof file for one entry, for offline devices.\n"
           "Exit codes: 0 verified; 1 the log is inconsistent (split view, rewritten entry,\n"
           "gap, bad checkpoint signature, root mismatch) or the proof does not verify;\n"
           "2 usage, I/O or server errors.  docs/monitor.md explains each message.\n");
}

struct verify_args {
    struct cli_http_opts http;
    const char *state, *root, *vkey, *origin;
    const char *keys[MAX_WATCH], *products[MAX_WATCH];
    size_t n_keys, n_products;
    bool json;
};

static int
add_watch(const char **list, size_t *n, const char *v)
{
    if (*n == MAX_WATCH) {
        fprintf(stderr, "hallmark log verify: at most %d of each --watch option\n", MAX_WATCH);
        return CLI_USAGE;
    }
    list[(*n)++] = v;
    return CLI_OK;
}

/* Returns CLI_OK, CLI_USAGE, or -1 for --help. */
static int
verify_parse(int argc, char **argv, struct verify_args *a)
{
    int c, rc = CLI_OK;

    memset(a, 0, sizeof(*a));
    optind = 1;
    while (rc == CLI_OK && (c = getopt_long(argc, argv, "", verify_options, NULL)) != -1) {
        switch (c) {
        case OPT_STATE:
            a->state = optarg;
            break;
        case OPT_ROOT:
            a->root = optarg;
            break;
        case OPT_LOG_KEY:
            a->vkey = optarg;
            break;
        case OPT_ORIGIN:
            a->origin = optarg;
            break;
        case OPT_WATCH_KEY:
            rc = add_watch(a->keys, &a->n_keys, optarg);
            break;
        case OPT_WATCH_PRODUCT:
            rc = add_watch(a->products, &a->n_products, optarg);
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case OPT_HELP:
            log_usage(stdout);
            return -1;
        default:
            if (cli_http_option(c, optarg, &a->http)) {
                break;
            }
            log_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (rc == CLI_OK && (optind != argc || a->http.url == NULL || a->state == NULL)) {
        fprintf(stderr, "hallmark log verify: needs --server, --state and a log key, and no "
                        "other arguments\n");
        rc = CLI_USAGE;
    }
    return rc;
}

/* One monitor per state folder at a time: a second run waits for the first. */
static int
lock_state(const char *dir)
{
    char path[4096];
    int fd;

    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "hallmark log verify: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/lock", dir);
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0 ||
        flock(fd, LOCK_EX) != 0) {
        fprintf(stderr, "hallmark log verify: cannot lock %s: %s\n", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

static int
log_verify(int argc, char **argv)
{
    struct verify_args a;
    struct hm_tlog_verifier *key = NULL;
    struct cli_log_mon_opts o;
    struct cli_log_mon_result res;
    struct cli_log_src src;
    int rc, lock = -1;
    hm_err err;

    if ((rc = verify_parse(argc, argv, &a)) != CLI_OK) {
        return rc < 0 ? CLI_OK : rc;
    }
    if ((key = cli_log_key_load(a.root, a.vkey, a.origin)) == NULL) {
        return CLI_USAGE;
    }
    if ((lock = lock_state(a.state)) < 0) {
        hm_tlog_verifier_free(key);
        return CLI_USAGE;
    }
    memset(&o, 0, sizeof(o));
    o.log_key = key;
    o.origin = a.origin;
    o.state_dir = a.state;
    o.watch.keys = a.keys;
    o.watch.n_keys = a.n_keys;
    o.watch.products = a.products;
    o.watch.n_products = a.n_products;
    o.json = a.json;
    o.out = stdout;
    cli_log_src_https(&a.http, &src);
    if ((err = cli_log_monitor(&src, &o, &res)) != HM_OK) {
        fprintf(stderr, "hallmark log verify: %s\n", hm_strerror(err));
        rc = CLI_USAGE;
    } else if (res.fail != CLI_LOG_OK) {
        fprintf(stderr, "hallmark log verify: %s: %s\n", cli_log_fail_name(res.fail), res.msg);
        rc = res.fail == CLI_LOG_IO ? CLI_USAGE : CLI_FAILED;
    }
    fflush(stdout);
    close(lock);
    hm_tlog_verifier_free(key);
    return rc;
}

int
cli_log(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        log_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(argv[1], "verify") == 0) {
        return log_verify(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "proof") == 0) {
        return cli_log_proof(argc - 1, argv + 1);
    }
    fprintf(stderr, "hallmark log: unknown subcommand '%s'\n", argv[1]);
    log_usage(stderr);
    return CLI_USAGE;
}

/*
 * cli_log_proof.c: `hallmark log proof`: a C2SP tlog-proof file (c2sp.org/tlog-proof@v1,
 * docs/tlog.md §7) for one entry, and its offline check.
 *
 *   write:  the checkpoint (verified with the log key), the entry's leaf (GET
 *           /v1/log/entries/N, equal to the bundle's canonicalizedBody with --bundle) and
 *           its inclusion proof at the checkpoint's size (verified) -> FILE, checked again
 *           as a device would before it is written (atomically).
 *   verify: FILE + the leaf (--leaf, or the bundle's canonicalizedBody, which must describe
 *           the bundle's envelope) + the log key: hm_tlog_proof_verify, no network.
 */
#include <getopt.h>
#include <hm/json.h>
#include <hm/verify.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_http.h"
#include "cli_log.h"

struct proof_args {
    struct cli_http_opts http;
    const char *root, *vkey, *origin, *bundle, *out, *leaf_out, *verify, *leaf;
    uint64_t index;
    bool has_index;
};

enum {
    OPT_ROOT = 1,
    OPT_LOG_KEY,
    OPT_ORIGIN,
    OPT_INDEX,
    OPT_BUNDLE,
    OPT_OUT,
    OPT_LEAF_OUT,
    OPT_VERIFY,
    OPT_LEAF,
};

static const struct option proof_options[] = {
    CLI_HTTP_LONG_OPTIONS,
    { "trust-root", required_argument, NULL, OPT_ROOT },
    { "log-key", required_argument, NULL, OPT_LOG_KEY },
    { "origin", required_argument, NULL, OPT_ORIGIN },
    { "index", required_argument, NULL, OPT_INDEX },
    { "bundle", required_argument, NULL, OPT_BUNDLE },
    { "out", required_argument, NULL, OPT_OUT },
    { "leaf-out", required_argument, NULL, OPT_LEAF_OUT },
    { "verify", required_argument, NULL, OPT_VERIFY },
    { "leaf", required_argument, NULL, OPT_LEAF },
    { NULL, 0, NULL, 0 },
};

static int
proof_parse(int argc, char **argv, struct proof_args *a)
{
    char *end = NULL;
    int c;

    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((c = getopt_long(argc, argv, "", proof_options, NULL)) != -1) {
        switch (c) {
        case OPT_ROOT:
            a->root = optarg;
            break;
        case OPT_LOG_KEY:
            a->vkey = optarg;
            break;
        case OPT_ORIGIN:
            a->origin = optarg;
            break;
        case OPT_BUNDLE:
            a->bundle = optarg;
            break;
        case OPT_OUT:
            a->out = optarg;
            break;
        case OPT_LEAF_OUT:
            a->leaf_out = optarg;
            break;
        case OPT_VERIFY:
            a->verify = optarg;
            break;
        case OPT_LEAF:
            a->leaf = optarg;
            break;
        case OPT_INDEX:
            a->index = strtoull(optarg, &end, 10);
            if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0') {
                fprintf(stderr, "hallmark log proof: --index: not a number: %s\n", optarg);
                return CLI_USAGE;
            }
            a->has_index = true;
            break;
        default:
            if (cli_http_option(c, optarg, &a->http)) {
                break;
            }
            fprintf(stderr, "hallmark log proof: see 'hallmark log --help'\n");
            return CLI_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "hallmark log proof: unexpected argument %s\n", argv[optind]);
        return CLI_USAGE;
    }
    if (a->verify != NULL
            ? (a->leaf == NULL) == (a->bundle == NULL)
            : (a->http.url == NULL || a->out == NULL || a->has_index == (a->bundle != NULL))) {
        fprintf(stderr, "hallmark log proof: needs --server, --out and one of --index and "
                        "--bundle; or --verify FILE and one of --leaf and --bundle\n");
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* The bundle's first tlog entry: its index and its leaf (canonicalizedBody). */
static int
bundle_entry(const char *path, uint64_t *index, uint8_t **leaf, size_t *leaf_len,
             struct hm_bundle **bundle_out)
{
    struct hm_json_limits lim = HM_JSON_DEFAULT_LIMITS;
    const cJSON *vm, *entries, *e;
    const char *body = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    cJSON *doc = NULL;
    char why[256] = "";
    int rc = CLI_FAILED;

    lim.max_bytes = HM_BUNDLE_MAX_BYTES;
    lim.max_string = HM_BUNDLE_MAX_BYTES;
    if (hm_read_file(path, HM_BUNDLE_MAX_BYTES, &buf, &len) != HM_OK) {
        fprintf(stderr, "hallmark log proof: cannot read %s\n", path);
        return CLI_USAGE;
    }
    if (hm_bundle_parse(buf, len, bundle_out, why, sizeof(why)) != HM_OK ||
        hm_json_parse(buf, len, &lim, &doc, NULL) != HM_OK) {
        printf("proof failed: %s is not a bundle: %s\n", path, why);
        goto out;
    }
    vm = hm_json_get(doc, "verificationMaterial");
    entries = hm_json_get(vm, "tlogEntries");
    e = cJSON_IsArray(entries) ? cJSON_GetArrayItem(entries, 0) : NULL;
    if (e == NULL || hm_json_get_u64_str(e, "logIndex", true, index) != HM_OK ||
        hm_json_get_string(e, "canonicalizedBody", true, HM_LEAF_MAX_BYTES * 2, &body) != HM_OK ||
        hm_b64_decode(body, strlen(body), HM_B64_STD, leaf, leaf_len) != HM_OK) {
        printf("proof failed: %s carries no transparency-log entry\n", path);
        goto out;
    }
    rc = CLI_OK;
out:
    cJSON_Delete(doc);
    free(buf);
    return rc;
}

/* --verify with --bundle: the leaf must describe the bundle's envelope (docs/formats.md §7.3). */
static bool
leaf_describes(const uint8_t *leaf, size_t len, const struct hm_bundle *b)
{
    struct hm_dsse_leaf *l = NULL;
    uint8_t h[HM_SHA256_LEN];
    bool ok;

    if (hm_dsse_leaf_parse(leaf, len, &l, NULL, 0) != HM_OK) {
        return false;
    }
    hm_sha256(b->dsse->payload, b->dsse->payload_len, h);
    ok = hm_ct_equal(h, l->payload_sha256, HM_SHA256_LEN) &&
         l->sig_len == b->dsse->sigs[0].sig_len &&
         hm_ct_equal(l->sig, b->dsse->sigs[0].sig, l->sig_len) && strcmp(l->keyid, b->hint) == 0;
    hm_dsse_leaf_free(l);
    return ok;
}

static int
proof_verify(const struct proof_args *a, const struct hm_tlog_verifier *key)
{
    struct hm_tlog_trust trust = { .log_key = key, .origin = a->origin };
    struct hm_tlog_proof *p = NULL;
    struct hm_bundle *b = NULL;
    uint8_t *buf = NULL, *leaf = NULL, h[HM_TLOG_HASH_LEN];
    size_t len = 0, leaf_len = 0;
    uint64_t bindex = 0;
    int rc = CLI_USAGE;
    hm_err err;

    if (hm_read_file(a->verify, HM_TLOG_PROOF_MAX_BYTES, &buf, &len) != HM_OK) {
        fprintf(stderr, "hallmark log proof: cannot read %s\n", a->verify);
        goto out;
    }
    if (a->leaf != NULL && hm_read_file(a->leaf, HM_LEAF_MAX_BYTES, &leaf, &leaf_len) != HM_OK) {
        fprintf(stderr, "hallmark log proof: cannot read %s\n", a->leaf);
        goto out;
    }
    if (a->bundle != NULL && (rc = bundle_entry(a->bundle, &bindex, &leaf, &leaf_len, &b)) != 0) {
        goto out;
    }
    rc = CLI_FAILED;
    if ((err = hm_tlog_proof_parse(buf, len, &p)) != HM_OK) {
        printf("proof failed: %s is not a c2sp.org/tlog-proof@v1 file (%s)\n", a->verify,
               hm_strerror(err));
        goto out;
    }
    if (b != NULL && (bindex != hm_tlog_proof_index(p) || !leaf_describes(leaf, leaf_len, b))) {
        printf("proof failed: the bundle's log entry (index %" PRIu64 ") is not entry %" PRIu64
               " of the proof, or does not describe the bundle's envelope\n",
               bindex, hm_tlog_proof_index(p));
        goto out;
    }
    hm_tlog_leaf_hash(leaf, leaf_len, h);
    if ((err = hm_tlog_proof_verify(p, h, &trust)) != HM_OK) {
        printf("proof failed: entry %" PRIu64 " is not proved in the log %s: the checkpoint is "
               "not signed by the log key, or the leaf is not at that index (%s)\n",
               hm_tlog_proof_index(p), hm_tlog_verifier_name(key), hm_strerror(err));
        goto out;
    }
    printf("verified: entry %" PRIu64 " is in the log %s at size %" PRIu64 "\n",
           hm_tlog_proof_index(p), hm_tlog_checkpoint_origin(hm_tlog_proof_checkpoint(p)),
           hm_tlog_checkpoint_size(hm_tlog_proof_checkpoint(p)));
    rc = CLI_OK;
out:
    hm_tlog_proof_free(p);
    hm_bundle_free(b);
    free(buf);
    free(leaf);
    return rc;
}

/* GET path, 200 only. */
static int
get200(const struct cli_http_opts *http, const char *path, uint8_t **body, size_t *len)
{
    int status = 0;

    if (cli_https(http, "GET", path, NULL, 0, &status, body, len) != HM_OK) {
        return CLI_USAGE;
    }
    if (status != 200) {
        fprintf(stderr, "hallmark log proof: %s answered HTTP %d\n", path, status);
        free(*body);
        *body = NULL;
        return status == 404 ? CLI_FAILED : CLI_USAGE;
    }
    return CLI_OK;
}

/* Fetches and checks the leaf and its proof at the checkpoint's size. */
static int
fetch_proof(const struct proof_args *a, const struct hm_tlog_checkpoint *cp, uint64_t index,
            uint8_t **leaf, size_t *leaf_len, struct hm_tlog_path *path)
{
    uint64_t n = hm_tlog_checkpoint_size(cp);
    uint8_t *body = NULL, root[HM_TLOG_HASH_LEN], h[HM_TLOG_HASH_LEN];
    char url[160], why[256] = "";
    size_t len = 0;
    int rc;

    snprintf(url, sizeof(url), "/v1/log/entries/%" PRIu64, index);
    if ((rc = get200(&a->http, url, &body, &len)) != CLI_OK) {
        return rc;
    }
    if (cli_log_parse_entry(body, len, index, leaf, leaf_len, why, sizeof(why)) != HM_OK) {
        printf("proof failed: %s: %s\n", url, why);
        free(body);
        return CLI_FAILED;
    }
    free(body);
    snprintf(url, sizeof(url), "/v1/log/proof/inclusion?index=%" PRIu64 "&size=%" PRIu64, index, n);
    if ((rc = get200(&a->http, url, &body, &len)) != CLI_OK) {
        return rc;
    }
    rc = CLI_FAILED;
    hm_tlog_leaf_hash(*leaf, *leaf_len, h);
    if (cli_log_parse_inclusion(body, len, index, n, root, path, why, sizeof(why)) != HM_OK) {
        printf("proof failed: %s: %s\n", url, why);
    } else if (!hm_ct_equal(root, hm_tlog_checkpoint_root(cp), HM_TLOG_HASH_LEN) ||
               hm_tlog_verify_inclusion(index, n, h, &path->hash[0][0], path->len, root) != HM_OK) {
        printf("proof failed: the log's inclusion proof for entry %" PRIu64 " does not reach "
               "its signed checkpoint of size %" PRIu64 "\n",
               index, n);
    } else {
        rc = CLI_OK;
    }
    free(body);
    return rc;
}

static int
proof_write(const struct proof_args *a, const struct hm_tlog_verifier *key)
{
    struct hm_tlog_trust trust = { .log_key = key, .origin = a->origin };
    struct hm_tlog_checkpoint *cp = NULL;
    struct hm_tlog_proof *back = NULL;
    struct hm_bundle *b = NULL;
    struct hm_tlog_path path;
    uint8_t *note = NULL, *leaf = NULL, *bleaf = NULL, h[HM_TLOG_HASH_LEN];
    size_t note_len = 0, leaf_len = 0, bleaf_len = 0, text_len = 0;
    uint64_t index = a->index;
    char *text = NULL;
    int rc;

    if (a->bundle != NULL && (rc = bundle_entry(a->bundle, &index, &bleaf, &bleaf_len, &b)) != 0) {
        goto out;
    }
    if ((rc = get200(&a->http, "/v1/log/checkpoint", &note, &note_len)) != CLI_OK) {
        goto out;
    }
    rc = CLI_FAILED;
    if (hm_tlog_checkpoint_open(note, note_len, key, a->origin, &cp) != HM_OK) {
        printf("proof failed: the log's checkpoint is not signed by the log key %s\n",
               hm_tlog_verifier_name(key));
        goto out;
    }
    if (index >= hm_tlog_checkpoint_size(cp)) {
        printf("proof failed: entry %" PRIu64 " is not in the log's checkpoint (size %" PRIu64
               ")\n",
               index, hm_tlog_checkpoint_size(cp));
        goto out;
    }
    if ((rc = fetch_proof(a, cp, index, &leaf, &leaf_len, &path)) != CLI_OK) {
        goto out;
    }
    rc = CLI_FAILED;
    if (bleaf != NULL && (bleaf_len != leaf_len || memcmp(bleaf, leaf, leaf_len) != 0)) {
        printf("proof failed: the log holds another leaf at index %" PRIu64 " than the bundle "
               "%s carries\n",
               index, a->bundle);
        goto out;
    }
    hm_tlog_leaf_hash(leaf, leaf_len, h);
    if (hm_tlog_proof_format(NULL, 0, index, &path, note, note_len, &text, &text_len) != HM_OK ||
        hm_tlog_proof_parse((const uint8_t *)text, text_len, &back) != HM_OK ||
        hm_tlog_proof_verify(back, h, &trust) != HM_OK) {
        printf("proof failed: the tlog-proof written for entry %" PRIu64 " does not verify\n",
               index);
        goto out;
    }
    rc = CLI_USAGE;
    if (hm_write_file_atomic(a->out, text, text_len, 0644) != HM_OK ||
        (a->leaf_out != NULL && hm_write_file_atomic(a->leaf_out, leaf, leaf_len, 0644) != HM_OK)) {
        fprintf(stderr, "hallmark log proof: cannot write %s\n", a->out);
        goto out;
    }
    printf("wrote %s: entry %" PRIu64 " of %s at size %" PRIu64 " (%zu hashes)\n", a->out, index,
           hm_tlog_checkpoint_origin(cp), hm_tlog_checkpoint_size(cp), path.len);
    rc = CLI_OK;
out:
    hm_tlog_checkpoint_free(cp);
    hm_tlog_proof_free(back);
    hm_bundle_free(b);
    free(note);
    free(leaf);
    free(bleaf);
    free(text);
    return rc;
}

int
cli_log_proof(int argc, char **argv)
{
    struct proof_args a;
    struct hm_tlog_verifier *key = NULL;
    int rc;

    if ((rc = proof_parse(argc, argv, &a)) != CLI_OK) {
        return rc;
    }
    if ((key = cli_log_key_load(a.root, a.vkey, a.origin)) == NULL) {
        return CLI_USAGE;
    }
    rc = a.verify != NULL ? proof_verify(&a, key) : proof_write(&a, key);
    hm_tlog_verifier_free(key);
    return rc;
}

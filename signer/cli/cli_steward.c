/*
 * cli_steward.c: `hallmark steward attest`: read a steward's input file strictly, build
 * the CRA steward attestation (hm/steward.h), sign its DSSE PAE with a key in the token
 * and write a Sigstore bundle v0.3.  The statement is built in attest/, so that the
 * daemon's route (with the policy deciding who may attest for which project) makes the
 * same bytes.
 */
#include <getopt.h>
#include <hm/attest.h>
#include <hm/json.h>
#include <hm/steward.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_http.h"

enum {
    OPT_INPUT = 1,
    OPT_STATE,
    OPT_TOKEN,
    OPT_KEY,
    OPT_OUT,
    OPT_QUIET,
    OPT_HELP,
};

static const struct option steward_options[] = {
    { "input", required_argument, NULL, OPT_INPUT },
    { "state", required_argument, NULL, OPT_STATE },
    { "token", required_argument, NULL, OPT_TOKEN },
    { "key", required_argument, NULL, OPT_KEY },
    { "out", required_argument, NULL, OPT_OUT },
    { "quiet", no_argument, NULL, OPT_QUIET },
    { "help", no_argument, NULL, OPT_HELP },
    CLI_HTTP_LONG_OPTIONS,
    { NULL, 0, NULL, 0 },
};

#define DEFAULT_OUT "steward-attestation.bundle.json"

struct steward_args {
    const char *input, *key, *out;
    struct cli_token_opts tok;
    struct cli_http_opts http; /* --server: the daemon signs (POST /v1/steward/attestations) */
    bool quiet;
};

static void
steward_usage(FILE *f)
{
    fprintf(f, "usage: hallmark steward attest --input FILE (--state DIR | --token URI)\n"
               "                               --key NAME|URI [--out BUNDLE] [--quiet]\n"
               "       hallmark steward attest --input FILE --server https://HOST:PORT\n"
               "                               --cacert CA.pem --tls-cert C.pem --tls-key K.pem\n"
               "                               [--out BUNDLE] [--quiet]\n"
               "\n"
               "Reads a steward's attestation input (docs/steward-attestation.md): the\n"
               "project, the steward, the cybersecurity policy, the support period, the CRA\n"
               "Annex I requirements with their status, method and evidence, the assessor,\n"
               "timeAssessed and expires.  Refuses anything malformed, naming its JSON path.\n"
               "Signs the in-toto statement (predicate " HM_PREDICATE_STEWARD ")\n"
               "with the key in the token and writes a Sigstore bundle v0.3\n"
               "(default " DEFAULT_OUT ").  Read it with 'hallmark show'.\n"
               "With --server hallmarkd signs it with the steward's key, after its policy\n"
               "allowed this client to attest for the project, and logs it.\n");
}

static int
steward_parse_args(int argc, char **argv, struct steward_args *a)
{
    int c;

    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((c = getopt_long(argc, argv, "", steward_options, NULL)) != -1) {
        switch (c) {
        case OPT_INPUT:
            a->input = optarg;
            break;
        case OPT_STATE:
            a->tok.state = optarg;
            break;
        case OPT_TOKEN:
            a->tok.token_uri = optarg;
            break;
        case OPT_KEY:
            a->key = optarg;
            break;
        case OPT_OUT:
            a->out = optarg;
            break;
        case OPT_QUIET:
            a->quiet = true;
            break;
        case OPT_HELP:
            steward_usage(stdout);
            return -1;
        default:
            if (cli_http_option(c, optarg, &a->http)) {
                break;
            }
            steward_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (a->http.url != NULL) {
        if (optind != argc || a->input == NULL || a->http.cacert == NULL || a->key != NULL ||
            a->tok.state != NULL || a->tok.token_uri != NULL) {
            fprintf(stderr, "hallmark steward attest: --server needs --input and --cacert (and "
                            "--tls-cert/--tls-key), and no --key, --state or --token\n");
            return CLI_USAGE;
        }
    } else if (optind != argc || a->input == NULL || a->key == NULL ||
               (a->tok.state == NULL && a->tok.token_uri == NULL)) {
        fprintf(stderr, "hallmark steward attest: needs --input, --key and --state or --token "
                        "(and no other arguments)\n");
        return CLI_USAGE;
    }
    if (a->out == NULL) {
        a->out = DEFAULT_OUT;
    }
    return CLI_OK;
}

/* The PAE is signed in the token; ECDSA signatures come back as DER. */
static hm_err
sign_with_key(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len)
{
    return hm_key_sign(ctx, msg, len, HM_SIG_DER, sig, sig_len);
}

static void
print_summary(const struct hm_steward *st, const char *keyid, const char *out)
{
    size_t counts[5] = { 0 };
    char expires[32];

    for (size_t i = 0; i < st->n_requirements; i++) {
        counts[st->requirements[i].status]++;
    }
    hm_time_rfc3339(st->expires, expires);
    printf("attested %s (%s) for %s: %zu Annex I requirement(s): %zu met, %zu partially, "
           "%zu not assessed, %zu not applicable; expires %s; key %s -> %s\n",
           st->project.name, st->project.purl, st->steward.legal_name, st->n_requirements,
           counts[HM_STEWARD_MET], counts[HM_STEWARD_PARTIALLY], counts[HM_STEWARD_NOT_ASSESSED],
           counts[HM_STEWARD_NOT_APPLICABLE], expires, keyid, out);
}

/* The daemon's reply: {"predicateType":..,"bundle":{..},"logIndex":N|null}.  The bundle
 * object is written as the daemon sent it, re-serialised without whitespace (the signature
 * is over the DSSE payload inside it, never over the bundle's JSON). */
static int
write_remote_bundle(const uint8_t *body, size_t len, const char *out, uint64_t *log_index,
                    bool *logged)
{
    struct hm_json_limits lim = HM_JSON_DEFAULT_LIMITS;
    const cJSON *bundle = NULL, *idx = NULL;
    cJSON *j = NULL;
    char *text = NULL;
    size_t tlen = 0;
    hm_err err;
    int rc = CLI_USAGE;

    lim.max_bytes = 8u << 20;
    if (hm_json_parse(body, len, &lim, &j, NULL) != HM_OK ||
        !cJSON_IsObject(bundle = hm_json_get(j, "bundle")) ||
        hm_json_print(bundle, &text, &tlen) != HM_OK) {
        fprintf(stderr, "hallmark steward attest: the server's reply holds no bundle\n");
        goto out;
    }
    idx = hm_json_get(j, "logIndex");
    *logged = idx != NULL && !cJSON_IsNull(idx) &&
              hm_json_get_u64(j, "logIndex", true, UINT64_C(1) << 53, log_index) == HM_OK;
    if ((err = hm_write_file_atomic(out, text, tlen, 0644)) != HM_OK) {
        fprintf(stderr, "hallmark steward attest: cannot write %s: %s\n", out, hm_strerror(err));
        goto out;
    }
    rc = CLI_OK;
out:
    free(text);
    cJSON_Delete(j);
    return rc;
}

/* --server: the input goes to POST /v1/steward/attestations as it is. */
static int
steward_remote(const struct steward_args *a, const struct hm_steward *st, const uint8_t *input,
               size_t input_len)
{
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    uint64_t log_index = 0;
    bool logged = false;
    int status = 0, rc = CLI_USAGE;
    hm_err err;

    err = cli_https(&a->http, "POST", "/v1/steward/attestations", input, input_len, &status, &reply,
                    &reply_len);
    if (err != HM_OK) {
        fprintf(stderr, "hallmark steward attest: cannot reach %s: %s\n", a->http.url,
                hm_strerror(err));
        goto out;
    }
    if (status != 200) {
        /* a refusal (403) is the policy's decision: exit 1, as a denied sign does */
        fprintf(stderr, "hallmark steward attest: refused (HTTP %d): %s\n", status,
                reply != NULL ? (const char *)reply : "");
        rc = status == 403 ? CLI_FAILED : CLI_USAGE;
        goto out;
    }
    if ((rc = write_remote_bundle(reply, reply_len, a->out, &log_index, &logged)) != CLI_OK) {
        goto out;
    }
    if (!a->quiet) {
        print_summary(st, "of the server", a->out);
        if (logged) {
            printf("logged at index %llu\n", (unsigned long long)log_index);
        }
    }
out:
    free(reply);
    return rc;
}

static int
steward_attest(int argc, char **argv)
{
    struct steward_args a;
    struct hm_steward *st = NULL;
    struct hm_hsm *hsm = NULL;
    struct hm_key *key = NULL;
    uint8_t *input = NULL, *stmt = NULL;
    char *bundle = NULL, why[256] = "";
    size_t input_len = 0, stmt_len = 0, bundle_len = 0;
    hm_err err;
    int rc;

    if ((rc = steward_parse_args(argc, argv, &a)) != CLI_OK) {
        return rc < 0 ? CLI_OK : rc;
    }
    rc = CLI_USAGE;
    err = hm_read_file(a.input, HM_STEWARD_INPUT_MAX_BYTES, &input, &input_len);
    if (err != HM_OK) {
        fprintf(stderr, "hallmark steward attest: cannot read %s: %s\n", a.input,
                err == HM_E_LIMIT ? "larger than 256 KiB" : hm_strerror(err));
        goto out;
    }
    if ((err = hm_steward_parse_input(input, input_len, (int64_t)time(NULL), &st, why,
                                      sizeof(why))) != HM_OK) {
        fprintf(stderr, "hallmark steward attest: %s: %s\n", a.input, why);
        goto out;
    }
    if (a.http.url != NULL) {
        rc = steward_remote(&a, st, input, input_len);
        goto out;
    }
    if ((err = hm_steward_statement(st, &stmt, &stmt_len)) != HM_OK) {
        fprintf(stderr, "hallmark steward attest: cannot build the statement: %s\n",
                hm_strerror(err));
        goto out;
    }
    if ((hsm = cli_open_token(&a.tok)) == NULL || (key = cli_find_key(hsm, a.key)) == NULL) {
        goto out;
    }
    if ((err = hm_bundle_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, stmt_len, hm_key_id(key), sign_with_key,
                              key, &bundle, &bundle_len)) != HM_OK) {
        fprintf(stderr, "hallmark steward attest: signing failed: %s\n", hm_strerror(err));
        goto out;
    }
    if ((err = hm_write_file_atomic(a.out, bundle, bundle_len, 0644)) != HM_OK) {
        fprintf(stderr, "hallmark steward attest: cannot write %s: %s\n", a.out, hm_strerror(err));
        goto out;
    }
    if (!a.quiet) {
        print_summary(st, hm_key_id(key), a.out);
    }
    rc = CLI_OK;
out:
    free(input);
    free(stmt);
    free(bundle);
    hm_steward_free(st);
    hm_hsm_close(hsm);
    return rc;
}

int
cli_steward(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "attest") == 0) {
        return steward_attest(argc - 1, argv + 1);
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        steward_usage(stdout);
        return CLI_OK;
    }
    fprintf(stderr, "hallmark steward: unknown or missing subcommand (try 'steward attest')\n");
    steward_usage(stderr);
    return CLI_USAGE;
}

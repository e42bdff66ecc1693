/*
 * cli_trustroot.c: `hallmark trust-root init|sign|rotate|show|fetch` (docs/trust-root.md).
 *
 * A trust root is a DSSE envelope of the root document, signed by root keys.  The root keys
 * sign in the HSM (--sign-with LABEL|pkcs11: URI with --state/--token) or, for tests and
 * air-gapped ceremonies, with a PEM private key file (--sign-with FILE).  Every document is
 * checked with libhallmark-verify before it is written, so the CLI cannot write a root a
 * device would refuse for its shape; a root that still lacks signatures is written with a
 * warning saying who must sign next.
 */
#include "cli_trustroot.h"

#include <getopt.h>
#include <hm/hsm.h>
#include <hm/json.h>
#include <hm/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_http.h"

#define MAX_LIST     64
#define DEFAULT_DAYS 365

enum {
    O_OUT = 1,
    O_IN,
    O_ROOT_KEY,
    O_KEY,
    O_LOG,
    O_LOG_VKEY,
    O_WITNESS,
    O_WITNESS_THRESHOLD,
    O_ROOT_THRESHOLD,
    O_EXPIRES,
    O_VERSION,
    O_SIGN_WITH,
    O_STATE,
    O_TOKEN,
    O_REMOVE_KEY,
    O_REMOVE_ROOT_KEY,
    O_REMOVE_LOG,
    O_REMOVE_WITNESS,
    O_SERVER,
    O_CACERT,
    O_TLS_CERT,
    O_TLS_KEY,
    O_CURRENT,
    O_HELP
};

static const struct option tr_options[] = {
    { "out", required_argument, NULL, O_OUT },
    { "in", required_argument, NULL, O_IN },
    { "root-key", required_argument, NULL, O_ROOT_KEY },
    { "add-root-key", required_argument, NULL, O_ROOT_KEY },
    { "key", required_argument, NULL, O_KEY },
    { "add-key", required_argument, NULL, O_KEY },
    { "log", required_argument, NULL, O_LOG },
    { "add-log", required_argument, NULL, O_LOG },
    { "log-vkey", required_argument, NULL, O_LOG_VKEY },
    { "witness", required_argument, NULL, O_WITNESS },
    { "add-witness", required_argument, NULL, O_WITNESS },
    { "witness-threshold", required_argument, NULL, O_WITNESS_THRESHOLD },
    { "root-threshold", required_argument, NULL, O_ROOT_THRESHOLD },
    { "expires", required_argument, NULL, O_EXPIRES },
    { "version", required_argument, NULL, O_VERSION },
    { "sign-with", required_argument, NULL, O_SIGN_WITH },
    { "state", required_argument, NULL, O_STATE },
    { "token", required_argument, NULL, O_TOKEN },
    { "remove-key", required_argument, NULL, O_REMOVE_KEY },
    { "remove-root-key", required_argument, NULL, O_REMOVE_ROOT_KEY },
    { "remove-log", required_argument, NULL, O_REMOVE_LOG },
    { "remove-witness", required_argument, NULL, O_REMOVE_WITNESS },
    { "server", required_argument, NULL, O_SERVER },
    { "cacert", required_argument, NULL, O_CACERT },
    { "tls-cert", required_argument, NULL, O_TLS_CERT },
    { "tls-key", required_argument, NULL, O_TLS_KEY },
    { "current", required_argument, NULL, O_CURRENT },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 },
};

struct list {
    const char *v[MAX_LIST];
    size_t n;
};

struct tr_args {
    const char *out, *in, *expires, *current;
    struct list root_keys, keys, logs, log_vkeys, witnesses, sign_with;
    struct list rm_keys, rm_root_keys, rm_logs, rm_witnesses;
    long witness_threshold, root_threshold, version; /* -1: not given */
    struct cli_token_opts tok;
    struct cli_http_opts http;
};

static void
tr_usage(FILE *f)
{
    fprintf(
        f,
        "usage: hallmark trust-root init --out ROOT.json --root-key PUB.pem... [--root-threshold "
        "T]\n"
        "           --key PUB.pem:products=A,B[:valid-from=TIME][:valid-until=TIME]"
        "[:require-attestation]...\n"
        "           [--log ORIGIN=PUB.pem | --log-vkey VKEY]... [--witness VKEY]...\n"
        "           [--witness-threshold K] [--expires TIME] [--version N]\n"
        "           --sign-with (KEY.pem | LABEL | pkcs11:URI)... [--state DIR | --token URI]\n"
        "       hallmark trust-root sign --in ROOT.json [--out ROOT.json] --sign-with ...\n"
        "       hallmark trust-root rotate --in ROOT.json --out NEXT.json [--add-key SPEC]...\n"
        "           [--remove-key KEYID]... [--add-root-key PUB.pem]... [--remove-root-key "
        "KEYID]...\n"
        "           [--add-log ORIGIN=PUB.pem]... [--remove-log ORIGIN]... [--add-witness "
        "VKEY]...\n"
        "           [--remove-witness NAME]... [--root-threshold T] [--witness-threshold K]\n"
        "           [--expires TIME] --sign-with ...\n"
        "       hallmark trust-root show ROOT.json\n"
        "       hallmark trust-root fetch --server URL --cacert CA.pem [--tls-cert C --tls-key K]\n"
        "           --out ROOT.json [--current ROOT.json]\n"
        "TIME is RFC 3339 (2031-12-31T00:00:00Z) or a date (2031-12-31).  A rotated root\n"
        "needs the signatures of rootThreshold old root keys and of its own rootThreshold.\n");
}

static int
push(struct list *l, const char *v)
{
    if (l->n >= MAX_LIST) {
        fprintf(stderr, "hallmark trust-root: at most %d of each option\n", MAX_LIST);
        return CLI_USAGE;
    }
    l->v[l->n++] = v;
    return CLI_OK;
}

static long
number(const char *s)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);

    return end == s || *end != '\0' || v < 0 || v > (1L << 30) ? -2 : v;
}

/* Where an option's value goes: one string, or one more entry of a list. */
static const char **
string_slot(struct tr_args *a, int c)
{
    const char **slots[O_HELP + 1] = {
        [O_OUT] = &a->out,
        [O_IN] = &a->in,
        [O_EXPIRES] = &a->expires,
        [O_CURRENT] = &a->current,
        [O_STATE] = &a->tok.state,
        [O_TOKEN] = &a->tok.token_uri,
        [O_SERVER] = &a->http.url,
        [O_CACERT] = &a->http.cacert,
        [O_TLS_CERT] = &a->http.cert,
        [O_TLS_KEY] = &a->http.key,
    };

    return c > 0 && c <= O_HELP ? slots[c] : NULL;
}

static struct list *
list_slot(struct tr_args *a, int c)
{
    struct list *lists[O_HELP + 1] = {
        [O_ROOT_KEY] = &a->root_keys, [O_KEY] = &a->keys,
        [O_LOG] = &a->logs,           [O_LOG_VKEY] = &a->log_vkeys,
        [O_WITNESS] = &a->witnesses,  [O_SIGN_WITH] = &a->sign_with,
        [O_REMOVE_KEY] = &a->rm_keys, [O_REMOVE_ROOT_KEY] = &a->rm_root_keys,
        [O_REMOVE_LOG] = &a->rm_logs, [O_REMOVE_WITNESS] = &a->rm_witnesses,
    };

    return c > 0 && c <= O_HELP ? lists[c] : NULL;
}

static int
tr_parse(int argc, char **argv, struct tr_args *a)
{
    const char **str;
    struct list *l;
    int c, rc = CLI_OK;

    memset(a, 0, sizeof(*a));
    a->witness_threshold = a->root_threshold = a->version = -1;
    optind = 1;
    while (rc == CLI_OK && (c = getopt_long(argc, argv, "", tr_options, NULL)) != -1) {
        if ((str = string_slot(a, c)) != NULL) {
            *str = optarg;
        } else if ((l = list_slot(a, c)) != NULL) {
            rc = push(l, optarg);
        } else if (c == O_WITNESS_THRESHOLD || c == O_ROOT_THRESHOLD || c == O_VERSION) {
            long *v = c == O_VERSION          ? &a->version
                      : c == O_ROOT_THRESHOLD ? &a->root_threshold
                                              : &a->witness_threshold;
            rc = (*v = number(optarg)) < (c == O_VERSION ? 1 : 0) ? CLI_USAGE : CLI_OK;
        } else if (c == O_HELP) {
            tr_usage(stdout);
            return -1;
        } else {
            tr_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (rc != CLI_OK) {
        fprintf(stderr, "hallmark trust-root: bad option value '%s'\n", optarg);
    }
    return rc;
}

static const struct hm_json_limits DOC_LIMITS = {
    .max_bytes = HM_TRUSTROOT_PAYLOAD_MAX,
    .max_depth = 8,
    .max_string = 16u << 10,
    .max_members = MAX_LIST,
};

static int
add_all(cJSON *obj, const char *name, const struct list *l, int (*fn)(cJSON *, const char *))
{
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (l->n == 0) {
        return CLI_OK;
    }
    if (arr == NULL && (arr = cJSON_AddArrayToObject(obj, name)) == NULL) {
        return CLI_USAGE;
    }
    for (size_t i = 0; i < l->n; i++) {
        if (fn(arr, l->v[i]) != CLI_OK) {
            return CLI_USAGE;
        }
    }
    return CLI_OK;
}

static int
remove_all(cJSON *obj, const char *name, const char *field, const struct list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        if (tr_doc_remove(cJSON_GetObjectItemCaseSensitive(obj, name), field, l->v[i]) == 0) {
            fprintf(stderr, "hallmark trust-root: no %s with %s %s\n", name, field, l->v[i]);
            return CLI_USAGE;
        }
    }
    return CLI_OK;
}

static void
set_number(cJSON *doc, const char *name, long v)
{
    if (v < 0) {
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(doc, name) != NULL) {
        cJSON_ReplaceItemInObjectCaseSensitive(doc, name, cJSON_CreateNumber((double)v));
    } else {
        cJSON_AddNumberToObject(doc, name, (double)v);
    }
}

/* expires: --expires, or a year from now for a new root (a rotation keeps the old one). */
static int
set_expires(cJSON *doc, const struct tr_args *a, bool fresh)
{
    int64_t t = (int64_t)time(NULL) + (int64_t)DEFAULT_DAYS * 86400;
    char buf[32];

    if (a->expires == NULL && !fresh) {
        return CLI_OK;
    }
    if (a->expires != NULL && tr_parse_when(a->expires, &t) != CLI_OK) {
        return CLI_USAGE;
    }
    hm_time_rfc3339(t, buf);
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "expires");
    cJSON_AddStringToObject(doc, "expires", buf);
    return CLI_OK;
}

/* Every change init and rotate may make, in the order the schema lists the members. */
static int
apply_changes(cJSON *doc, const struct tr_args *a)
{
    if (add_all(doc, "keys", &a->keys, tr_doc_add_key) != CLI_OK ||
        remove_all(doc, "keys", "keyid", &a->rm_keys) != CLI_OK ||
        add_all(doc, "logs", &a->logs, tr_doc_add_log) != CLI_OK ||
        add_all(doc, "logs", &a->log_vkeys, tr_doc_add_log_vkey) != CLI_OK ||
        remove_all(doc, "logs", "origin", &a->rm_logs) != CLI_OK ||
        add_all(doc, "witnesses", &a->witnesses, tr_doc_add_witness) != CLI_OK ||
        remove_all(doc, "witnesses", "name", &a->rm_witnesses) != CLI_OK ||
        add_all(doc, "rootKeys", &a->root_keys, tr_doc_add_root_key) != CLI_OK ||
        remove_all(doc, "rootKeys", "keyid", &a->rm_root_keys) != CLI_OK) {
        return CLI_USAGE;
    }
    set_number(doc, "witnessThreshold", a->witness_threshold);
    set_number(doc, "rootThreshold", a->root_threshold);
    return CLI_OK;
}

/* Checks the envelope as a device will, then writes it.  current: the root it rotates from
 * (NULL for a first root).  Missing signatures are a warning: others may still sign. */
static int
check_and_write(const char *env, size_t len, const struct hm_trustroot *current, const char *out)
{
    struct hm_trustroot_reason why;
    struct hm_trustroot *tr = NULL;
    hm_err err;

    err = current != NULL ? hm_trustroot_update(current, (const uint8_t *)env, len, 0, &tr, &why)
                          : hm_trustroot_parse((const uint8_t *)env, len, &tr, &why);
    if (err != HM_OK && why.status != HM_TR_OLD_THRESHOLD && why.status != HM_TR_NEW_THRESHOLD) {
        fprintf(stderr, "hallmark trust-root: refusing to write %s: %s: %s\n", out,
                hm_trustroot_status_name(why.status), why.detail);
        return CLI_USAGE;
    }
    if ((err = hm_write_file_atomic(out, env, len, 0644)) != HM_OK) {
        fprintf(stderr, "hallmark trust-root: cannot write %s: %s\n", out, hm_strerror(err));
        hm_trustroot_free(tr);
        return CLI_USAGE;
    }
    if (tr == NULL) {
        printf("wrote %s, not yet accepted: %s (more root keys must sign: hallmark trust-root "
               "sign --in %s --sign-with ...)\n",
               out, why.detail, out);
    } else {
        printf("wrote trust root version %llu to %s: %zu signing key(s), %zu log(s), %zu "
               "witness(es), rootThreshold %zu%s\n",
               (unsigned long long)hm_trustroot_version(tr), out, hm_trustroot_key_count(tr),
               hm_trustroot_log_count(tr), hm_trustroot_witness_count(tr),
               hm_trustroot_root_threshold(tr),
               current != NULL ? "; it is accepted as the next version" : "");
    }
    hm_trustroot_free(tr);
    return CLI_OK;
}

/* Signs doc (or old's payload when doc is NULL) and writes the checked envelope. */
static int
sign_and_write(const struct tr_args *a, const cJSON *doc, const struct hm_dsse *old,
               const struct hm_trustroot *current, const char *out)
{
    struct tr_signers *signers = NULL;
    char *payload = NULL, *env = NULL;
    size_t plen = 0, len = 0;
    int rc = CLI_USAGE;

    if (doc != NULL && hm_json_print(doc, &payload, &plen) != HM_OK) {
        return CLI_USAGE;
    }
    if (tr_signers_open(a->sign_with.v, a->sign_with.n, &a->tok, &signers) == CLI_OK &&
        tr_envelope(doc != NULL ? (const uint8_t *)payload : old->payload,
                    doc != NULL ? plen : old->payload_len, old, signers, &env, &len) == CLI_OK) {
        rc = check_and_write(env, len, current, out);
    }
    tr_signers_close(signers);
    free(payload);
    free(env);
    return rc;
}

static int
tr_init(const struct tr_args *a)
{
    cJSON *doc = cJSON_CreateObject();
    int rc = CLI_USAGE;

    if (a->out == NULL || a->root_keys.n == 0 || a->keys.n == 0 || a->sign_with.n == 0) {
        fprintf(stderr, "hallmark trust-root init: needs --out, --root-key, --key and "
                        "--sign-with\n");
        goto out;
    }
    if (doc == NULL) {
        goto out;
    }
    cJSON_AddStringToObject(doc, "mediaType", HM_TRUSTROOT_MEDIA_TYPE);
    cJSON_AddNumberToObject(doc, "version", (double)(a->version > 0 ? a->version : 1));
    if (set_expires(doc, a, true) != CLI_OK || apply_changes(doc, a) != CLI_OK) {
        goto out;
    }
    if (a->root_threshold < 0) {
        cJSON_AddNumberToObject(doc, "rootThreshold", 1);
    }
    rc = sign_and_write(a, doc, NULL, NULL, a->out);
out:
    cJSON_Delete(doc);
    return rc;
}

/* Reads a root the library accepts (for rotate and --current). */
static struct hm_trustroot *
read_root(const char *path)
{
    struct hm_trustroot_reason why;
    struct hm_trustroot *tr = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    hm_err err = hm_read_file(path, HM_TRUSTROOT_MAX_BYTES, &buf, &len);

    if (err != HM_OK) {
        fprintf(stderr, "hallmark trust-root: cannot read %s: %s\n", path, hm_strerror(err));
        return NULL;
    }
    if (hm_trustroot_parse(buf, len, &tr, &why) != HM_OK) {
        fprintf(stderr, "hallmark trust-root: %s: %s: %s\n", path,
                hm_trustroot_status_name(why.status), why.detail);
    }
    free(buf);
    return tr;
}

static int
tr_rotate(const struct tr_args *a)
{
    struct hm_trustroot *cur = NULL;
    const uint8_t *payload;
    struct hm_json_error jerr;
    cJSON *doc = NULL;
    size_t len = 0;
    int rc = CLI_USAGE;

    if (a->in == NULL || a->out == NULL || a->sign_with.n == 0) {
        fprintf(stderr, "hallmark trust-root rotate: needs --in, --out and --sign-with\n");
        return CLI_USAGE;
    }
    if ((cur = read_root(a->in)) == NULL) {
        return CLI_USAGE;
    }
    payload = hm_trustroot_payload(cur, &len);
    if (hm_json_parse(payload, len, &DOC_LIMITS, &doc, &jerr) != HM_OK) {
        fprintf(stderr, "hallmark trust-root rotate: %s: %s\n", a->in, jerr.message);
        goto out;
    }
    set_number(doc, "version", (long)hm_trustroot_version(cur) + 1);
    if (set_expires(doc, a, false) == CLI_OK && apply_changes(doc, a) == CLI_OK) {
        rc = sign_and_write(a, doc, NULL, cur, a->out);
    }
out:
    cJSON_Delete(doc);
    hm_trustroot_free(cur);
    return rc;
}

static int
tr_sign(const struct tr_args *a)
{
    struct hm_trustroot *cur = NULL;
    struct hm_dsse *env = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    char why[200];
    int rc = CLI_USAGE;

    if (a->in == NULL || a->sign_with.n == 0) {
        fprintf(stderr, "hallmark trust-root sign: needs --in and --sign-with\n");
        return CLI_USAGE;
    }
    if (hm_read_file(a->in, HM_TRUSTROOT_MAX_BYTES, &buf, &len) != HM_OK ||
        hm_dsse_parse_why(buf, len, &env, why, sizeof(why)) != HM_OK ||
        strcmp(env->payload_type, HM_TRUSTROOT_MEDIA_TYPE) != 0) {
        fprintf(stderr, "hallmark trust-root sign: %s is not a trust-root envelope\n", a->in);
        goto out;
    }
    if (a->current != NULL && (cur = read_root(a->current)) == NULL) {
        goto out;
    }
    rc = sign_and_write(a, NULL, env, cur, a->out != NULL ? a->out : a->in);
out:
    hm_trustroot_free(cur);
    hm_dsse_free(env);
    free(buf);
    return rc;
}

static int
tr_show(int argc, char **argv)
{
    struct hm_trustroot *tr;

    if (optind >= argc) {
        fprintf(stderr, "hallmark trust-root show: needs ROOT.json\n");
        return CLI_USAGE;
    }
    if ((tr = read_root(argv[optind])) == NULL) {
        return CLI_FAILED;
    }
    tr_print_root(tr);
    hm_trustroot_free(tr);
    return CLI_OK;
}

/* GET /v1/trust-root; the reply must be a root a device accepts (and, with --current, the
 * same root or its next version). */
static int
tr_fetch(const struct tr_args *a)
{
    struct hm_trustroot_reason why;
    struct hm_trustroot *cur = NULL, *tr = NULL;
    uint8_t *reply = NULL;
    size_t len = 0;
    int status = 0, rc = CLI_USAGE;
    hm_err err;

    if (a->http.url == NULL || a->http.cacert == NULL || a->out == NULL) {
        fprintf(stderr, "hallmark trust-root fetch: needs --server, --cacert and --out\n");
        return CLI_USAGE;
    }
    if ((a->current != NULL && (cur = read_root(a->current)) == NULL) ||
        cli_https(&a->http, "GET", "/v1/trust-root", NULL, 0, &status, &reply, &len) != HM_OK) {
        goto out;
    }
    if (status != 200) {
        fprintf(stderr, "hallmark trust-root fetch: the server answered %d\n", status);
        goto out;
    }
    err = cur == NULL ? hm_trustroot_parse(reply, len, &tr, &why)
                      : hm_trustroot_update(cur, reply, len, (int64_t)time(NULL), &tr, &why);
    if (err != HM_OK && cur != NULL && why.status == HM_TR_WRONG_VERSION &&
        tr_same_root(cur, reply, len)) {
        printf("trust root version %llu is current\n",
               (unsigned long long)hm_trustroot_version(cur));
        rc = CLI_OK;
        goto out;
    }
    if (err != HM_OK) {
        printf("trust root from %s refused: %s: %s\n", a->http.url,
               hm_trustroot_status_name(why.status), why.detail);
        rc = CLI_FAILED;
        goto out;
    }
    rc = check_and_write((const char *)reply, len, NULL, a->out);
out:
    hm_trustroot_free(cur);
    hm_trustroot_free(tr);
    free(reply);
    return rc;
}

int
cli_trustroot(int argc, char **argv)
{
    struct tr_args a;
    const char *cmd = argc > 1 ? argv[1] : "";
    int rc;

    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        tr_usage(stdout);
        return CLI_OK;
    }
    if ((rc = tr_parse(argc - 1, argv + 1, &a)) != CLI_OK) {
        return rc < 0 ? CLI_OK : rc;
    }
    if (strcmp(cmd, "init") == 0) {
        return tr_init(&a);
    }
    if (strcmp(cmd, "sign") == 0) {
        return tr_sign(&a);
    }
    if (strcmp(cmd, "rotate") == 0) {
        return tr_rotate(&a);
    }
    if (strcmp(cmd, "fetch") == 0) {
        return tr_fetch(&a);
    }
    if (strcmp(cmd, "show") == 0) {
        return tr_show(argc - 1, argv + 1);
    }
    fprintf(stderr, "hallmark trust-root: unknown command '%s'\n", cmd);
    tr_usage(stderr);
    return CLI_USAGE;
}

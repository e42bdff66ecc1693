/* cli_keys.c: `hallmark keys init|create|list|export`. */
#include <errno.h>
#include <getopt.h>
#include <hm/keyevidence.h>
#include <hm/verify.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cli_keyattest.h"

enum {
    OPT_STATE = 1,
    OPT_TOKEN,
    OPT_LABEL,
    OPT_ALG,
    OPT_MODULE,
    OPT_KEY,
    OPT_OUT,
    OPT_JSON,
    OPT_HELP,
    /* TPM keys and key attestation (cli_keyattest.c) */
    OPT_PERSISTENT,
    OPT_BLOB,
    OPT_NONCE,
    OPT_EK_CHAIN,
    OPT_VENDOR_FORMAT,
    OPT_VENDOR_CERT,
    OPT_KEY_ATTESTATION,
    OPT_PUBKEY,
    OPT_TPM_ROOTS,
    OPT_CHALLENGE,
    OPT_SECRET_OUT,
    OPT_AK_OUT,
};

static const struct option keys_options[] = {
    { "state", required_argument, NULL, OPT_STATE },
    { "token", required_argument, NULL, OPT_TOKEN },
    { "label", required_argument, NULL, OPT_LABEL },
    { "alg", required_argument, NULL, OPT_ALG },
    { "module", required_argument, NULL, OPT_MODULE },
    { "key", required_argument, NULL, OPT_KEY },
    { "out", required_argument, NULL, OPT_OUT },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, OPT_HELP },
    { "persistent", required_argument, NULL, OPT_PERSISTENT },
    { "blob", required_argument, NULL, OPT_BLOB },
    { "nonce", required_argument, NULL, OPT_NONCE },
    { "ek-chain", required_argument, NULL, OPT_EK_CHAIN },
    { "vendor-format", required_argument, NULL, OPT_VENDOR_FORMAT },
    { "vendor-cert", required_argument, NULL, OPT_VENDOR_CERT },
    { "key-attestation", required_argument, NULL, OPT_KEY_ATTESTATION },
    { "pubkey", required_argument, NULL, OPT_PUBKEY },
    { "tpm-roots", required_argument, NULL, OPT_TPM_ROOTS },
    { "challenge", required_argument, NULL, OPT_CHALLENGE },
    { "secret-out", required_argument, NULL, OPT_SECRET_OUT },
    { "ak-out", required_argument, NULL, OPT_AK_OUT },
    { NULL, 0, NULL, 0 },
};

struct keys_args {
    struct cli_token_opts tok;
    const char *label, *alg, *module, *key, *out;
    bool json;
    const char *persistent, *blob; /* TPM keys */
    struct cli_keyattest_args att;
    struct cli_ak_args ak;
};

static void
keys_usage(FILE *f)
{
    fprintf(
        f, "usage: hallmark keys init   --state DIR [--label TOKEN] [--module PATH]\n"
           "       hallmark keys create (--state DIR | --token URI) --label NAME --alg ALG\n"
           "       hallmark keys list   (--state DIR | --token URI) [--json]\n"
           "       hallmark keys export (--state DIR | --token URI) --key NAME|URI [--out FILE]\n"
           "       hallmark keys create --token tpm2:?tcti=... --label NAME --alg ALG\n"
           "                            (--persistent 0x81000010 | --blob /abs/FILE.tpm2)\n"
           "       hallmark keys attest (--state DIR | --token URI) --key NAME|URI --out FILE\n"
           "                            [--nonce HEX] [--ek-chain PEM]\n"
           "                            [--vendor-format FORMAT --vendor-cert PEM]\n"
           "       hallmark keys ak-challenge --key-attestation FILE --pubkey PUB.pem\n"
           "                            --tpm-roots ROOTS.pem --out CHALLENGE\n"
           "                            --secret-out SECRET --ak-out AK.pem\n"
           "       hallmark keys ak-activate --token tpm2:... --challenge CHALLENGE\n"
           "                            --secret-out ANSWER\n"
           "\n"
           "ALG is ec-p256, ec-p384, ed25519 or rsa-3072 (RSA-PSS); a TPM makes ec-p256 and,\n"
           "where it can, rsa-3072.  The token's PIN (a TPM's auth value) is read from the\n"
           "pin-source (auth-source) of its URI, never from the command line.  'keys attest'\n"
           "writes a key-attestation bundle signed by the key itself (docs/key-attestation.md).\n");
}

static int
keys_parse(int argc, char **argv, struct keys_args *a)
{
    int c;

    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((c = getopt_long(argc, argv, "", keys_options, NULL)) != -1) {
        switch (c) {
        case OPT_STATE:
            a->tok.state = optarg;
            break;
        case OPT_TOKEN:
            a->tok.token_uri = optarg;
            break;
        case OPT_LABEL:
            a->label = optarg;
            break;
        case OPT_ALG:
            a->alg = optarg;
            break;
        case OPT_MODULE:
            a->module = optarg;
            break;
        case OPT_KEY:
            a->key = optarg;
            break;
        case OPT_OUT:
            a->out = optarg;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case OPT_PERSISTENT:
            a->persistent = optarg;
            break;
        case OPT_BLOB:
            a->blob = optarg;
            break;
        case OPT_NONCE:
            a->att.nonce_hex = optarg;
            break;
        case OPT_EK_CHAIN:
            a->att.ek_chain = optarg;
            break;
        case OPT_VENDOR_FORMAT:
            a->att.vendor_format = optarg;
            break;
        case OPT_VENDOR_CERT:
            a->att.vendor_cert = optarg;
            break;
        case OPT_KEY_ATTESTATION:
            a->ak.key_attestation = optarg;
            break;
        case OPT_PUBKEY:
            a->ak.pubkey = optarg;
            break;
        case OPT_TPM_ROOTS:
            a->ak.tpm_roots = optarg;
            break;
        case OPT_CHALLENGE:
            a->ak.challenge = optarg;
            break;
        case OPT_SECRET_OUT:
            a->ak.secret_out = optarg;
            break;
        case OPT_AK_OUT:
            a->ak.ak_out = optarg;
            break;
        case OPT_HELP:
            keys_usage(stdout);
            return -1;
        default:
            keys_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "hallmark keys: unexpected argument '%s'\n", argv[optind]);
        return CLI_USAGE;
    }
    return CLI_OK;
}

static int
keys_init(const struct keys_args *a)
{
    const char *label = a->label != NULL ? a->label : "hallmark";
    const char *module = a->module != NULL ? a->module : HM_SOFTHSM_MODULE;
    char abs[PATH_MAX], path[PATH_MAX + 32], *elabel = NULL, *epin = NULL, *emod = NULL;
    struct hm_buf uri;
    hm_err err;
    int rc = CLI_USAGE;

    if (a->tok.state == NULL || !cli_valid_label(label)) {
        fprintf(stderr, "hallmark keys init: needs --state DIR and a label of [A-Za-z0-9._-]\n");
        return CLI_USAGE;
    }
    if (mkdir(a->tok.state, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "hallmark keys init: cannot create %s: %s\n", a->tok.state,
                strerror(errno));
        return CLI_USAGE;
    }
    if (realpath(a->tok.state, abs) == NULL) {
        fprintf(stderr, "hallmark keys init: %s: %s\n", a->tok.state, strerror(errno));
        return CLI_USAGE;
    }
    if ((err = hm_softhsm_init_token(abs, label, module)) != HM_OK) {
        fprintf(stderr, "hallmark keys init: cannot create the token in %s: %s%s\n", abs,
                hm_strerror(err),
                err == HM_E_CONFLICT ? " (the folder already holds a token)" : "");
        return CLI_USAGE;
    }
    snprintf(path, sizeof(path), "%s/user.pin", abs);
    hm_buf_init(&uri, 16384);
    if ((elabel = cli_pct_encode(label)) != NULL && (epin = cli_pct_encode(path)) != NULL &&
        (emod = cli_pct_encode(module)) != NULL) {
        hm_buf_printf(&uri, "pkcs11:token=%s?module-path=%s&pin-source=file:%s\n", elabel, emod,
                      epin);
    }
    snprintf(path, sizeof(path), "%s/token.uri", abs);
    if (elabel == NULL || epin == NULL || emod == NULL || hm_buf_status(&uri) != HM_OK ||
        hm_write_file_atomic(path, uri.data, uri.len, 0600) != HM_OK) {
        fprintf(stderr, "hallmark keys init: cannot write %s\n", path);
        goto out;
    }
    printf("created token '%s' in %s\n"
           "  user PIN: %s/user.pin (mode 0600), SO PIN: %s/so.pin (mode 0600)\n"
           "  token URI: %s/token.uri\n",
           label, abs, abs, abs, abs);
    rc = CLI_OK;
out:
    free(elabel);
    free(epin);
    free(emod);
    hm_buf_free(&uri);
    return rc;
}

/* "0x81000010" -> 0x81000010; 0 when absent or not hex (hsm/ then refuses the handle). */
static uint32_t
tpm_handle(const char *s)
{
    char *end = NULL;
    unsigned long v;

    if (s == NULL || strncmp(s, "0x", 2) != 0 || strlen(s) != 10) {
        return 0;
    }
    v = strtoul(s + 2, &end, 16);
    return end != NULL && *end == '\0' && v <= UINT32_MAX ? (uint32_t)v : 0;
}

/* --persistent and --blob are for TPM tokens, and exclusive. */
static int
tpm_location(const struct keys_args *a, struct hm_hsm *hsm)
{
    bool tpm = strcmp(hm_hsm_backend(hsm), "tpm2") == 0;

    if (!tpm && (a->persistent != NULL || a->blob != NULL)) {
        fprintf(stderr, "hallmark keys create: --persistent and --blob are for tpm2: tokens\n");
        return CLI_USAGE;
    }
    if (a->persistent != NULL && a->blob != NULL) {
        fprintf(stderr, "hallmark keys create: --persistent or --blob, not both\n");
        return CLI_USAGE;
    }
    if (a->persistent != NULL && tpm_handle(a->persistent) == 0) {
        fprintf(stderr, "hallmark keys create: --persistent wants 0x and eight hex digits\n");
        return CLI_USAGE;
    }
    return CLI_OK;
}

static int
keys_create(const struct keys_args *a)
{
    char cwd[PATH_MAX], blob[2 * PATH_MAX];
    const char *blob_path = a->blob;
    enum hm_key_alg alg;
    struct hm_hsm *hsm = NULL;
    struct hm_key *key = NULL;
    hm_err err;

    if (a->label == NULL || !cli_valid_label(a->label) || a->alg == NULL ||
        hm_key_alg_parse(a->alg, &alg) != HM_OK) {
        fprintf(stderr, "hallmark keys create: needs --label NAME ([A-Za-z0-9._-], at most 64) "
                        "and --alg ec-p256|ec-p384|ed25519|rsa-3072\n");
        return CLI_USAGE;
    }
    if ((hsm = cli_open_token(&a->tok)) == NULL) {
        return CLI_USAGE;
    }
    if (tpm_location(a, hsm) != CLI_OK) {
        hm_hsm_close(hsm);
        return CLI_USAGE;
    }
    if (a->blob != NULL && a->blob[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL &&
        snprintf(blob, sizeof(blob), "%s/%s", cwd, a->blob) < (int)sizeof(blob)) {
        blob_path = blob; /* the blob URI is absolute */
    }
    err = strcmp(hm_hsm_backend(hsm), "tpm2") == 0 && (a->blob != NULL || a->persistent != NULL)
              ? hm_tpm2_generate_key(hsm, alg, a->label, blob_path, tpm_handle(a->persistent), &key)
              : hm_hsm_generate_key(hsm, alg, a->label, &key);
    if (err != HM_OK) {
        fprintf(stderr, "hallmark keys create: %s%s\n", hm_strerror(err),
                err == HM_E_CONFLICT ? ": a key with that label exists" : "");
        hm_hsm_close(hsm);
        return CLI_USAGE;
    }
    printf("created %s key '%s'\n  key id: %s\n  uri: %s\n", hm_key_alg_name(alg),
           hm_key_label(key), hm_key_id(key), hm_key_uri(key));
    hm_hsm_close(hsm);
    return CLI_OK;
}

static int
keys_list(const struct keys_args *a)
{
    struct hm_hsm *hsm = NULL;
    struct hm_key **keys = NULL;
    size_t n = 0;
    hm_err err;

    if ((hsm = cli_open_token(&a->tok)) == NULL) {
        return CLI_USAGE;
    }
    if ((err = hm_hsm_list_keys(hsm, &keys, &n)) != HM_OK) {
        fprintf(stderr, "hallmark keys list: %s\n", hm_strerror(err));
        hm_hsm_close(hsm);
        return CLI_USAGE;
    }
    if (a->json) {
        cJSON *arr = cJSON_CreateArray();
        char *text = NULL;
        for (size_t i = 0; arr != NULL && i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            if (o == NULL || !cJSON_AddItemToArray(arr, o) ||
                cJSON_AddStringToObject(o, "label", hm_key_label(keys[i])) == NULL ||
                cJSON_AddStringToObject(o, "algorithm", hm_key_alg_name(hm_key_alg(keys[i]))) ==
                    NULL ||
                cJSON_AddStringToObject(o, "keyid", hm_key_id(keys[i])) == NULL ||
                cJSON_AddStringToObject(o, "id", hm_key_id_hex(keys[i])) == NULL ||
                cJSON_AddStringToObject(o, "uri", hm_key_uri(keys[i])) == NULL) {
                break;
            }
        }
        if (arr == NULL || (text = cJSON_Print(arr)) == NULL) {
            fprintf(stderr, "hallmark keys list: out of memory\n");
        } else {
            printf("%s\n", text);
        }
        free(text);
        cJSON_Delete(arr);
    } else {
        printf("%-24s %-9s %-46s %s\n", "LABEL", "ALG", "KEY ID", "CKA_ID");
        for (size_t i = 0; i < n; i++) {
            printf("%-24s %-9s %-46s %s\n", hm_key_label(keys[i]),
                   hm_key_alg_name(hm_key_alg(keys[i])), hm_key_id(keys[i]),
                   hm_key_id_hex(keys[i]));
        }
    }
    free(keys);
    hm_hsm_close(hsm);
    return CLI_OK;
}

static int
keys_export(const struct keys_args *a)
{
    struct hm_hsm *hsm = NULL;
    struct hm_key *key;
    struct hm_pubkey *pk = NULL;
    const uint8_t *der;
    size_t der_len;
    char *pem = NULL;
    struct hm_buf out;
    int rc = CLI_USAGE;

    if (a->key == NULL) {
        fprintf(stderr, "hallmark keys export: needs --key NAME|URI\n");
        return CLI_USAGE;
    }
    hm_buf_init(&out, 65536);
    if ((hsm = cli_open_token(&a->tok)) == NULL || (key = cli_find_key(hsm, a->key)) == NULL) {
        goto out;
    }
    hm_key_spki(key, &der, &der_len);
    if (hm_pubkey_from_spki(der, der_len, &pk) != HM_OK || hm_pubkey_to_pem(pk, &pem) != HM_OK) {
        fprintf(stderr, "hallmark keys export: cannot encode the public key\n");
        goto out;
    }
    /* RFC 7468 §2 allows explanatory text before the PEM boundary; PEM readers skip it. */
    hm_buf_printf(&out, "Hallmark key id: %s\nAlgorithm: %s\nLabel: %s\n%s", hm_key_id(key),
                  hm_key_alg_name(hm_key_alg(key)), hm_key_label(key), pem);
    if (hm_buf_status(&out) != HM_OK) {
        goto out;
    }
    if (a->out != NULL) {
        if (hm_write_file_atomic(a->out, out.data, out.len, 0644) != HM_OK) {
            fprintf(stderr, "hallmark keys export: cannot write %s\n", a->out);
            goto out;
        }
        printf("wrote %s (key id %s)\n", a->out, hm_key_id(key));
    } else {
        fwrite(out.data, 1, out.len, stdout);
    }
    rc = CLI_OK;
out:
    free(pem);
    hm_pubkey_free(pk);
    hm_buf_free(&out);
    hm_hsm_close(hsm);
    return rc;
}

int
cli_keys(int argc, char **argv)
{
    struct keys_args a;
    int rc;

    if (argc < 2) {
        keys_usage(stderr);
        return CLI_USAGE;
    }
    if ((rc = keys_parse(argc - 1, argv + 1, &a)) != CLI_OK) {
        return rc < 0 ? CLI_OK : rc;
    }
    if (strcmp(argv[1], "init") == 0) {
        return keys_init(&a);
    }
    if (strcmp(argv[1], "create") == 0) {
        return keys_create(&a);
    }
    if (strcmp(argv[1], "list") == 0) {
        return keys_list(&a);
    }
    if (strcmp(argv[1], "export") == 0) {
        return keys_export(&a);
    }
    if (strcmp(argv[1], "attest") == 0) {
        a.att.key = a.key;
        a.att.out = a.out;
        return cli_keys_attest(&a.tok, &a.att);
    }
    if (strcmp(argv[1], "ak-challenge") == 0) {
        a.ak.challenge = a.ak.challenge != NULL ? a.ak.challenge : a.out;
        return cli_keys_ak_challenge(&a.ak);
    }
    if (strcmp(argv[1], "ak-activate") == 0) {
        return cli_keys_ak_activate(&a.tok, &a.ak);
    }
    fprintf(stderr, "hallmark keys: unknown subcommand '%s'\n", argv[1]);
    keys_usage(stderr);
    return CLI_USAGE;
}

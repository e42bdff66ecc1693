/*
 * cli_policy.c: `hallmark policy check`, the offline dry run of the release policy for a
 * release manager (the same evaluation hallmarkd runs before it signs), and `hallmark
 * approve`, which makes one approval envelope with a PEM key or a key in the token.
 */
#include <getopt.h>
#include <hm/attest_policy.h>
#include <hm/policy.h>
#include <hm/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "cli.h"

/* ---- policy check ---- */
/* What the store would say: the releases already signed (hm_policy_releases_parse). */
static int
state_load(const char *path, struct hm_policy_releases **out)
{
    struct hm_policy_error perr;
    uint8_t *buf = NULL;
    size_t len = 0;
    hm_err err;

    if ((err = hm_read_file(path, (size_t)16 << 20, &buf, &len)) != HM_OK) {
        fprintf(stderr, "hallmark policy: cannot read %s: %s\n", path, hm_strerror(err));
        return CLI_USAGE;
    }
    err = hm_policy_releases_parse(buf, len, out, &perr);
    free(buf);
    if (err != HM_OK) {
        fprintf(stderr, "hallmark policy: %s: %s: %s\n", path, perr.path, perr.message);
        return CLI_USAGE;
    }
    return CLI_OK;
}

struct check_args {
    const char *policy, *request, *state, *now, *identity, *token_file;
    bool json;
};

static void
check_usage(FILE *f)
{
    fprintf(f, "usage: hallmark policy check --policy POLICY.json --request REQUEST.json\n"
               "                             [--state STATE.json] [--now RFC3339]\n"
               "                             [--identity cn:NAME|san:dns:NAME|san:uri:URI |\n"
               "                              --oidc-token-file FILE] [--json]\n"
               "\n"
               "Evaluates a sign request against the release policy offline, exactly as\n"
               "hallmarkd would, and prints the decision: every failing rule with its reason\n"
               "and a hint, the vulnerability findings, and on allow the key and VSA inputs.\n"
               "STATE.json lists releases already signed: {\"releases\":[{\"product\",\n"
               "\"channel\",\"version\",\"date\"}]}.  Without --identity or --oidc-token-file\n"
               "the identity rule is not checked.  Exit status: 0 allowed, 1 denied, 2 error.\n");
}

static int
check_parse(int argc, char **argv, struct check_args *a)
{
    static const struct option opts[] = {
        { "policy", required_argument, NULL, 'p' },
        { "request", required_argument, NULL, 'r' },
        { "state", required_argument, NULL, 's' },
        { "now", required_argument, NULL, 'n' },
        { "identity", required_argument, NULL, 'i' },
        { "oidc-token-file", required_argument, NULL, 't' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            a->policy = optarg;
            break;
        case 'r':
            a->request = optarg;
            break;
        case 's':
            a->state = optarg;
            break;
        case 'n':
            a->now = optarg;
            break;
        case 'i':
            a->identity = optarg;
            break;
        case 't':
            a->token_file = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 'h':
            check_usage(stdout);
            return -1;
        default:
            check_usage(stderr);
            return CLI_USAGE;
        }
    }
    if (optind != argc || a->policy == NULL || a->request == NULL ||
        (a->identity != NULL && a->token_file != NULL)) {
        check_usage(stderr);
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* --identity cn:NAME | san:dns:NAME | san:uri:URI */
static int
identity_parse(const char *s, struct hm_policy_identity *who, const char **one)
{
    if (strncmp(s, "cn:", 3) == 0 && s[3] != '\0') {
        who->cn = s + 3;
    } else if (strncmp(s, "san:dns:", 8) == 0 && s[8] != '\0') {
        *one = s + 8;
        who->san_dns = one;
        who->n_san_dns = 1;
    } else if (strncmp(s, "san:uri:", 8) == 0 && s[8] != '\0') {
        *one = s + 8;
        who->san_uri = one;
        who->n_san_uri = 1;
    } else {
        fprintf(stderr, "hallmark policy: --identity wants cn:NAME, san:dns:NAME or san:uri:URI\n");
        return CLI_USAGE;
    }
    return CLI_OK;
}

static void
print_decision(const struct hm_policy_decision *d, const char *product, const char *version,
               bool identity_checked)
{
    char hex[2 * HM_SHA256_LEN + 1];
    size_t shown = 0;

    hm_hex_encode(hm_policy_decision_policy_sha256(d), HM_SHA256_LEN, hex);
    for (size_t i = 0; i < hm_policy_decision_n_reasons(d); i++) {
        const struct hm_policy_reason *r = hm_policy_decision_reason(d, i);

        if (!identity_checked && strcmp(r->rule, "identity") == 0) {
            continue;
        }
        if (shown++ == 0) {
            printf("DENIED: %s %s (policy sha256 %s)\n", product, version, hex);
        }
        printf("  [%s] %s\n      hint: %s\n", r->rule, r->reason, r->hint);
    }
    if (shown == 0) {
        printf("ALLOWED: %s %s (policy sha256 %s)\n", product, version, hex);
        printf("  key: %s\n", hm_policy_decision_key(d) != NULL ? hm_policy_decision_key(d)
                                                                : "(not bound by the policy)");
        if (hm_policy_decision_sbom_sha256(d) != NULL) {
            hm_hex_encode(hm_policy_decision_sbom_sha256(d), HM_SHA256_LEN, hex);
            printf("  sbom sha256: %s\n", hex);
        }
    }
    if (!identity_checked) {
        printf("  identity: not checked (give --identity or --oidc-token-file)\n");
    }
    for (size_t i = 0; i < hm_policy_decision_n_findings(d); i++) {
        const struct hm_policy_finding *f = hm_policy_decision_finding(d, i);
        static const char *const status[] = { "", "denied", "cleared", "accepted" };

        printf("  finding %s in %s %s: CVSS %s%.1f, KEV %s: %s%s%s\n", f->id,
               f->component != NULL ? f->component : "?", f->version != NULL ? f->version : "",
               f->cvss < 0 ? "n/a " : "", f->cvss < 0 ? 0.0 : f->cvss, f->kev ? "yes" : "no",
               status[f->status], f->vex != NULL ? " by " : "", f->vex != NULL ? f->vex : "");
    }
}

/* Runs the evaluation; *allowed ignores identity reasons when no identity was given. */
static int
check_run(const struct check_args *a, const struct hm_policy *p, const struct hm_policy_request *r,
          const struct hm_policy_identity *who, const struct hm_policy_state *st, int64_t now)
{
    struct hm_policy_decision *d = NULL;
    bool checked = a->identity != NULL || a->token_file != NULL, allowed = true;
    char *json = NULL;
    size_t len = 0;
    hm_err err;

    if ((err = hm_policy_evaluate(p, r, who, st, now, &d)) != HM_OK) {
        fprintf(stderr, "hallmark policy: evaluation failed: %s\n", hm_strerror(err));
        return CLI_USAGE;
    }
    for (size_t i = 0; i < hm_policy_decision_n_reasons(d); i++) {
        /* Without an identity given, the identity rule is reported but not counted. */
        if (checked || strcmp(hm_policy_decision_reason(d, i)->rule, "identity") != 0) {
            allowed = false;
        }
    }
    if (a->json) {
        if ((err = hm_policy_decision_to_json(d, &json, &len)) != HM_OK) {
            hm_policy_decision_free(d);
            return CLI_USAGE;
        }
        printf("%s\n", json);
        free(json);
    } else {
        print_decision(d, hm_policy_request_product(r), hm_policy_request_version(r), checked);
    }
    hm_policy_decision_free(d);
    return allowed ? CLI_OK : CLI_FAILED;
}

static int
check_inputs(const struct check_args *a, struct hm_policy **p, struct hm_policy_request **r,
             int64_t *now)
{
    struct hm_policy_error perr;
    uint8_t *body = NULL;
    size_t len = 0;
    hm_err err;

    if ((err = hm_policy_load(a->policy, p, &perr)) != HM_OK) {
        fprintf(stderr, "hallmark policy: %s: %s: %s\n", a->policy, perr.path, perr.message);
        return CLI_USAGE;
    }
    if ((err = hm_read_file(a->request, HM_POLICY_REQUEST_MAX_BYTES, &body, &len)) != HM_OK) {
        fprintf(stderr, "hallmark policy: cannot read %s: %s\n", a->request, hm_strerror(err));
        return CLI_USAGE;
    }
    err = hm_policy_request_parse(body, len, r, &perr);
    free(body);
    if (err != HM_OK) {
        fprintf(stderr, "hallmark policy: %s: %s: %s\n", a->request, perr.path, perr.message);
        return CLI_USAGE;
    }
    *now = (int64_t)time(NULL);
    if (a->now != NULL && hm_time_parse_rfc3339(a->now, now) != HM_OK) {
        fprintf(stderr, "hallmark policy: --now wants an RFC 3339 time\n");
        return CLI_USAGE;
    }
    return CLI_OK;
}

static int
policy_check(int argc, char **argv)
{
    struct check_args a;
    struct hm_policy *p = NULL;
    struct hm_policy_request *r = NULL;
    struct hm_policy_identity who = { 0 };
    struct hm_policy_state st = { 0 };
    struct hm_policy_releases *state = NULL;
    struct hm_secret *token = NULL;
    const char *one = NULL;
    int64_t now = 0;
    int rc;

    if ((rc = check_parse(argc, argv, &a)) != CLI_OK) {
        return rc < 0 ? CLI_OK : rc;
    }
    if ((rc = check_inputs(&a, &p, &r, &now)) != CLI_OK ||
        (a.identity != NULL && (rc = identity_parse(a.identity, &who, &one)) != CLI_OK) ||
        (a.state != NULL && (rc = state_load(a.state, &state)) != CLI_OK)) {
        goto out;
    }
    if (a.token_file != NULL) {
        /* A bearer credential: read as a secret (0600 file, locked memory, wiped). */
        if (hm_secret_from_file(a.token_file, &token) != HM_OK) {
            fprintf(stderr, "hallmark policy: cannot read the token file (it must exist, be "
                            "non-empty and not readable by group or others)\n");
            rc = CLI_USAGE;
            goto out;
        }
        who.bearer = (const char *)token->buf;
    }
    if (state != NULL) {
        hm_policy_releases_state(state, &st);
    }
    rc = check_run(&a, p, r, &who, a.state != NULL ? &st : NULL, now);
out:
    hm_secret_free(token);
    hm_policy_releases_free(state);
    hm_policy_request_free(r);
    hm_policy_free(p);
    return rc;
}

int
cli_policy(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "check") == 0) {
        return policy_check(argc - 1, argv + 1);
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        check_usage(stdout);
        return CLI_OK;
    }
    check_usage(stderr);
    return CLI_USAGE;
}

/* ---- approve ---- */
struct approve_args {
    struct cli_token_opts tok;
    const char *key, *product, *version, *approver, *comment, *out;
    char **files;
    size_t n_files;
};

static void
approve_usage(FILE *f)
{
    fprintf(f,
            "usage: hallmark approve --key KEY.pem|LABEL|pkcs11:URI [--state DIR | --token URI]\n"
            "                        --product NAME --version SEMVER [--approver NAME]\n"
            "                        [--comment TEXT] [--out FILE] ARTIFACT...\n"
            "\n"
            "Makes a release manager's approval: an in-toto statement whose subjects are\n"
            "the artifacts (SHA-256 and SHA-512) and whose predicate names the product and\n"
            "version (" HM_APPROVAL_PREDICATE "), signed into a DSSE envelope.\n"
            "Put the envelope into the sign request's \"approvals\".  The key is a PEM\n"
            "private key file (mode 0600, not encrypted) unless --state or --token is given\n"
            "or it is a pkcs11: URI: then it is a key in the token.  Writes to --out or\n"
            "standard output.\n");
}

static int
approve_parse(int argc, char **argv, struct approve_args *a)
{
    static const struct option opts[] = {
        { "key", required_argument, NULL, 'k' },     { "state", required_argument, NULL, 's' },
        { "token", required_argument, NULL, 't' },   { "product", required_argument, NULL, 'p' },
        { "version", required_argument, NULL, 'v' }, { "approver", required_argument, NULL, 'a' },
        { "comment", required_argument, NULL, 'c' }, { "out", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
    };
    int c;

    memset(a, 0, sizeof(*a));
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            a->key = optarg;
            break;
        case 's':
            a->tok.state = optarg;
            break;
        case 't':
            a->tok.token_uri = optarg;
            break;
        case 'p':
            a->product = optarg;
            break;
        case 'v':
            a->version = optarg;
            break;
        case 'a':
            a->approver = optarg;
            break;
        case 'c':
            a->comment = optarg;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'h':
            approve_usage(stdout);
            return -1;
        default:
            approve_usage(stderr);
            return CLI_USAGE;
        }
    }
    a->files = argv + optind;
    a->n_files = (size_t)(argc - optind);
    if (a->key == NULL || a->product == NULL || a->version == NULL || a->n_files == 0 ||
        a->n_files > HM_MAX_SUBJECTS) {
        approve_usage(stderr);
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* A PEM private key, signing as hm_pubkey_verify checks (enum hm_key_alg). */
struct pem_signer {
    EVP_PKEY *pkey;
    enum hm_key_alg alg;
    char keyid[64];
};

static hm_err
pem_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len)
{
    struct pem_signer *ps = ctx;
    const EVP_MD *md = ps->alg == HM_KEY_EC_P384   ? EVP_sha384()
                       : ps->alg == HM_KEY_ED25519 ? NULL
                                                   : EVP_sha256();
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    size_t n = 0;
    hm_err err = HM_E_BACKEND;

    *sig = NULL;
    if (mctx == NULL || EVP_DigestSignInit(mctx, &pctx, md, NULL, ps->pkey) != 1 ||
        (ps->alg == HM_KEY_RSA3072_PSS &&
         (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
          EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1 ||
          EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1)) ||
        EVP_DigestSign(mctx, NULL, &n, msg, len) != 1 || (*sig = malloc(n)) == NULL ||
        EVP_DigestSign(mctx, *sig, &n, msg, len) != 1) {
        free(*sig);
        *sig = NULL;
        goto out;
    }
    *sig_len = n;
    err = HM_OK;
out:
    EVP_MD_CTX_free(mctx);
    return err;
}

static int
pem_signer_load(const char *path, struct pem_signer *ps)
{
    struct hm_secret *pem = NULL;
    struct hm_pubkey *pub = NULL;
    unsigned char *der = NULL;
    BIO *bio = NULL;
    int der_len, rc = CLI_USAGE;

    if (hm_secret_from_file(path, &pem) != HM_OK) {
        fprintf(stderr,
                "hallmark approve: cannot read %s (a private key must not be readable "
                "by group or others)\n",
                path);
        return CLI_USAGE;
    }
    /* No passphrase callback: an encrypted key fails rather than prompting. */
    if ((bio = BIO_new_mem_buf(pem->buf, (int)pem->len)) == NULL ||
        (ps->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"")) == NULL ||
        (der_len = i2d_PUBKEY(ps->pkey, &der)) <= 0 ||
        hm_pubkey_from_spki(der, (size_t)der_len, &pub) != HM_OK) {
        fprintf(stderr,
                "hallmark approve: %s is not an unencrypted PEM private key of a kind "
                "Hallmark verifies (P-256, P-384, Ed25519, RSA >= 3072)\n",
                path);
        goto out;
    }
    ps->alg = hm_pubkey_alg(pub);
    snprintf(ps->keyid, sizeof(ps->keyid), "%s", hm_pubkey_keyid(pub));
    rc = CLI_OK;
out:
    hm_pubkey_free(pub);
    OPENSSL_free(der);
    BIO_free(bio);
    hm_secret_free(pem);
    return rc;
}

static hm_err
token_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len)
{
    return hm_key_sign(ctx, msg, len, HM_SIG_DER, sig, sig_len);
}

static int
approve_hash(const struct approve_args *a, struct hm_artifact *arts)
{
    for (size_t i = 0; i < a->n_files; i++) {
        struct hm_digests d;
        hm_err err = hm_digest_file(a->files[i], &d);

        if (err != HM_OK) {
            fprintf(stderr, "hallmark approve: cannot read %s: %s\n", a->files[i],
                    hm_strerror(err));
            return CLI_USAGE;
        }
        arts[i].name = cli_basename(a->files[i]);
        arts[i].size = d.size;
        memcpy(arts[i].sha256, d.sha256, sizeof(d.sha256));
        memcpy(arts[i].sha512, d.sha512, sizeof(d.sha512));
    }
    return CLI_OK;
}

/* Signs the statement with the token's key or the PEM key; *env is the envelope. */
static int
approve_sign(const struct approve_args *a, const uint8_t *stmt, size_t len, char **env,
             size_t *env_len)
{
    struct pem_signer ps = { 0 };
    struct hm_hsm *hsm = NULL;
    struct hm_key *key = NULL;
    hm_err err = HM_E_INVALID;

    if (a->tok.state != NULL || a->tok.token_uri != NULL || strncmp(a->key, "pkcs11:", 7) == 0) {
        if ((hsm = cli_open_token(&a->tok)) != NULL && (key = cli_find_key(hsm, a->key)) != NULL) {
            err = hm_dsse_envelope_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, len, hm_key_id(key),
                                        token_sign, key, env, env_len);
        }
    } else if (pem_signer_load(a->key, &ps) == CLI_OK) {
        err = hm_dsse_envelope_sign(HM_PAYLOAD_TYPE_INTOTO, stmt, len, ps.keyid, pem_sign, &ps, env,
                                    env_len);
    }
    if (err != HM_OK && (key != NULL || ps.pkey != NULL)) {
        fprintf(stderr, "hallmark approve: signing failed: %s\n", hm_strerror(err));
    }
    EVP_PKEY_free(ps.pkey);
    hm_hsm_close(hsm);
    return err == HM_OK ? CLI_OK : CLI_USAGE;
}

int
cli_approve(int argc, char **argv)
{
    struct approve_args a;
    struct hm_artifact *arts = NULL;
    struct hm_approval ap;
    uint8_t *stmt = NULL;
    char *env = NULL;
    size_t stmt_len = 0, env_len = 0;
    hm_err err;
    int rc;

    if ((rc = approve_parse(argc, argv, &a)) != CLI_OK) {
        return rc < 0 ? CLI_OK : rc;
    }
    rc = CLI_USAGE;
    if ((arts = calloc(a.n_files, sizeof(*arts))) == NULL || approve_hash(&a, arts) != CLI_OK) {
        goto out;
    }
    ap = (struct hm_approval){ .product = a.product,
                               .version = a.version,
                               .approver = a.approver,
                               .comment = a.comment,
                               .artifacts = arts,
                               .n_artifacts = a.n_files };
    if ((err = hm_approval_statement(&ap, &stmt, &stmt_len)) != HM_OK) {
        fprintf(stderr,
                "hallmark approve: invalid product, version, approver, comment or "
                "artifact name: %s\n",
                hm_strerror(err));
        goto out;
    }
    if (approve_sign(&a, stmt, stmt_len, &env, &env_len) != CLI_OK) {
        goto out;
    }
    if (a.out == NULL || strcmp(a.out, "-") == 0) {
        rc = printf("%s\n", env) > 0 ? CLI_OK : CLI_USAGE;
    } else if ((err = hm_write_file_atomic(a.out, env, env_len, 0644)) != HM_OK) {
        fprintf(stderr, "hallmark approve: cannot write %s: %s\n", a.out, hm_strerror(err));
    } else {
        fprintf(stderr, "approved %s %s: %zu artifact(s) -> %s\n", a.product, a.version, a.n_files,
                a.out);
        rc = CLI_OK;
    }
out:
    free(stmt);
    free(env);
    free(arts);
    return rc;
}

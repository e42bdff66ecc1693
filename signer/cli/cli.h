/* cli.h: private to the `hallmark` command-line client. */
#ifndef HM_CLI_H
#define HM_CLI_H

#include <hm/common.h>
#include <hm/hsm.h>

/* Exit codes, as cosign and openssl use them. */
#define CLI_OK     0
#define CLI_FAILED 1 /* verification failed, or the server denied */
#define CLI_USAGE  2 /* usage, I/O or environment errors */

int cli_keys(int argc, char **argv);
int cli_sign(int argc, char **argv);
int cli_verify(int argc, char **argv);
/* cli_trustroot.c: `hallmark trust-root init|sign|rotate|show|fetch`. */
int cli_trustroot(int argc, char **argv);
/* Written with the policy work (cli_policy.c): `hallmark policy check`, `hallmark approve`. */
int cli_policy(int argc, char **argv);
int cli_approve(int argc, char **argv);
/* cli_steward.c: `hallmark steward attest`; cli_show.c: `hallmark show`. */
int cli_steward(int argc, char **argv);
int cli_show(int argc, char **argv);
/* cli_log.c: `hallmark log verify` (the monitor) and `hallmark log proof`. */
int cli_log(int argc, char **argv);

struct cli_http_opts;
struct hm_artifact;
/* `hallmark sign --server` (cli_remote.c): what the request carries besides digests. */
struct cli_remote_req {
    const char *product, *channel, *version, *support_end;
    const char *sbom_path;        /* --sbom */
    const char *const *vex_paths; /* --vex, repeatable */
    size_t n_vex;
    const char *const *approval_paths; /* --approval, repeatable */
    size_t n_approvals;
    const char *token_file; /* --oidc-token-file: sent as a bearer token, never printed */
    const char *out;        /* the release bundle */
    const char *vsa_out;    /* the VSA bundle; NULL: next to out */
    bool quiet;
};
/* Sends the digests to hallmarkd and writes the bundles. */
int cli_sign_remote(const struct cli_http_opts *http, const struct cli_remote_req *rq,
                    const struct hm_artifact *arts, size_t n);

/* Where the token is: --state DIR (DIR/token.uri, DIR/softhsm2.conf) or --token URI. */
struct cli_token_opts {
    const char *state;
    const char *token_uri;
    unsigned sessions;
};
/* Opens the token; prints the reason and returns NULL on failure. */
struct hm_hsm *cli_open_token(const struct cli_token_opts *o);
/* Finds a key by label ("fw-p256") or by a full pkcs11: URI. */
struct hm_key *cli_find_key(struct hm_hsm *hsm, const char *name);
/* Key labels the CLI creates: [A-Za-z0-9._-]{1,64}. */
bool cli_valid_label(const char *s);
/* Percent-encodes s for a pkcs11: URI (RFC 7512 and RFC 3986 unreserved kept). */
char *cli_pct_encode(const char *s);
/* The last path component of a file name. */
const char *cli_basename(const char *path);

#endif

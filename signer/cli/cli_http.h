/* cli_http.h: HTTPS with mutual TLS for the CLI. */
#ifndef HM_CLI_HTTP_H
#define HM_CLI_HTTP_H

#include <getopt.h>
#include <hm/common.h>

struct cli_http_opts {
    const char *url;    /* https://host:port[/prefix] */
    const char *cacert; /* CA that signed the server's certificate */
    const char *cert;   /* client certificate chain (PEM), may be NULL */
    const char *key;    /* client private key (PEM) */
    const char *bearer; /* "Authorization: Bearer" token (a CI's OIDC JWT) or NULL; never printed */
};

/* The options of every subcommand that talks to hallmarkd: put CLI_HTTP_LONG_OPTIONS in its
 * getopt_long table and let cli_http_option take them (ids above any subcommand's own). */
enum {
    CLI_OPT_SERVER = 0x100,
    CLI_OPT_CACERT,
    CLI_OPT_TLS_CERT,
    CLI_OPT_TLS_KEY,
};
/* clang-format off */
#define CLI_HTTP_LONG_OPTIONS                                   \
    { "server", required_argument, NULL, CLI_OPT_SERVER },     \
    { "cacert", required_argument, NULL, CLI_OPT_CACERT },     \
    { "tls-cert", required_argument, NULL, CLI_OPT_TLS_CERT }, \
    { "tls-key", required_argument, NULL, CLI_OPT_TLS_KEY }
/* clang-format on */
/* Stores option c's argument in o when c is one of CLI_HTTP_LONG_OPTIONS; false otherwise. */
bool cli_http_option(int c, const char *arg, struct cli_http_opts *o);

/* Sends one request and reads the reply: *status is the HTTP status, *reply the body
 * (NUL-terminated, malloc'ed).  HM_E_IO when the server cannot be reached or the TLS
 * handshake fails (a missing or wrong client certificate shows up here). */
HM_MUST_CHECK hm_err cli_https(const struct cli_http_opts *o, const char *method, const char *path,
                               const uint8_t *body, size_t len, int *status, uint8_t **reply,
                               size_t *reply_len);

#endif

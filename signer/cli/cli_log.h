/*
 * cli_log.h: `hallmark log verify` (the monitor) and `hallmark log proof`, private to the
 * CLI.  The monitor and the state folder are written against a fetch callback, so that the
 * tests drive them with an in-memory log (tests/log) and the CLI with HTTPS (cli_log.c).
 * docs/monitor.md describes the behaviour, the state folder and every failure.
 */
#ifndef HM_CLI_LOG_H
#define HM_CLI_LOG_H

#include <hm/common.h>
#include <hm/tlog.h>
#include <stdbool.h>
#include <stdio.h>

/* One GET: path is absolute on the server ("/v1/log/checkpoint").  HM_OK with the HTTP
 * status and the body (malloc'ed, NUL-terminated), or an error when nothing came back. */
struct cli_log_src {
    hm_err (*get)(void *ctx, const char *path, int *status, uint8_t **body, size_t *len);
    void *ctx;
};

/* Why a run failed.  CLI_LOG_IO (exit 2): the log or the state could not be read; every
 * other failure (exit 1) is evidence against the log. */
enum cli_log_fail {
    CLI_LOG_OK = 0,
    CLI_LOG_IO,              /* server unreachable, an HTTP error, an unreadable state */
    CLI_LOG_BAD_SIGNATURE,   /* the checkpoint does not verify with the log key / origin */
    CLI_LOG_SPLIT_VIEW,      /* same size and another root, a smaller size, or no
                                consistency with the checkpoint verified before */
    CLI_LOG_GAP,             /* entries the checkpoint covers are missing */
    CLI_LOG_REWRITTEN,       /* an entry's bytes are not the leaf the tree holds */
    CLI_LOG_ROOT_MISMATCH,   /* the entries do not hash to the checkpoint's root */
    CLI_LOG_MALFORMED_ENTRY, /* a leaf that is not a docs/formats.md §7.2 leaf */
    CLI_LOG_MALFORMED_REPLY, /* a proof or tile that is not what the route promises */
};
const char *cli_log_fail_name(enum cli_log_fail f); /* "split-view", ... */

struct cli_log_watch {
    const char *const *keys; /* key ids (base64 SHA-256 of the SPKI) */
    size_t n_keys;
    const char *const *products;
    size_t n_products;
};

struct cli_log_mon_opts {
    const struct hm_tlog_verifier *log_key;
    const char *origin; /* NULL: the log key's name */
    const char *state_dir;
    struct cli_log_watch watch;
    bool json;
    FILE *out; /* watched entries and the summary */
};

struct cli_log_mon_result {
    enum cli_log_fail fail;
    char msg[768]; /* the precise reason, one line */
    uint64_t old_size, new_size, n_new, n_watched;
};

/* Runs the monitor once.  HM_OK when the run ended (verdict in out->fail), HM_E_NOMEM or
 * HM_E_INVALID otherwise.  The new state is written (atomically) only when everything
 * checked. */
HM_MUST_CHECK hm_err cli_log_monitor(const struct cli_log_src *src,
                                     const struct cli_log_mon_opts *o,
                                     struct cli_log_mon_result *out);

/* ---- the state folder (cli_log_state.c) ---- */
#define CLI_LOG_STATE_FILE "state"
struct cli_log_state {
    uint8_t *note; /* the last verified checkpoint, verbatim */
    size_t note_len;
    struct hm_tlog_checkpoint *cp;
    size_t n_edge; /* popcount(size): the right edge of the tree at cp's size */
    struct hm_tlog_node_hash edge[64];
};
/* HM_E_NOTFOUND when the folder holds no state yet (first run); HM_E_INVALID with the
 * reason in why when the state file is not one this program wrote (or its edge does not
 * give the checkpoint's root); HM_E_IO. */
HM_MUST_CHECK hm_err cli_log_state_load(const char *dir, struct cli_log_state **out, char *why,
                                        size_t why_len);
/* Writes DIR/state atomically (temporary file, fsync, rename). */
HM_MUST_CHECK hm_err cli_log_state_save(const char *dir, const uint8_t *note, size_t note_len,
                                        uint64_t size, const struct hm_tlog_node_hash *edge,
                                        size_t n_edge);
/* Parses a state file's bytes (for the fuzz target and the tests). */
HM_MUST_CHECK hm_err cli_log_state_parse(const uint8_t *buf, size_t len, struct cli_log_state **out,
                                         char *why, size_t why_len);
void cli_log_state_free(struct cli_log_state *st);
/* Keeps the checkpoint that contradicts the state, as evidence: DIR/evidence/<time>-<what>.note */
void cli_log_state_evidence(const char *dir, const char *what, const uint8_t *note, size_t len);

/* ---- log routes (cli_log_routes.c) ---- */
/* GET /v1/log/proof/inclusion?index=&size= and /v1/log/proof/consistency?from=&to=: the
 * path, checked against what was asked.  HM_E_INVALID with why for a malformed reply. */
HM_MUST_CHECK hm_err cli_log_parse_inclusion(const uint8_t *body, size_t len, uint64_t index,
                                             uint64_t size, uint8_t root_out[HM_TLOG_HASH_LEN],
                                             struct hm_tlog_path *out, char *why, size_t why_len);
HM_MUST_CHECK hm_err cli_log_parse_consistency(const uint8_t *body, size_t len, uint64_t from,
                                               uint64_t to, struct hm_tlog_path *out, char *why,
                                               size_t why_len);
/* GET /v1/log/entries/{index}: the leaf bytes (malloc'ed), their hash checked against leafHash. */
HM_MUST_CHECK hm_err cli_log_parse_entry(const uint8_t *body, size_t len, uint64_t index,
                                         uint8_t **leaf, size_t *leaf_len, char *why,
                                         size_t why_len);

/* ---- CLI glue (cli_log.c, cli_log_proof.c) ---- */
struct cli_http_opts;
/* The log key: --trust-root ROOT (its log of that origin, or its only log) or --log-key
 * VKEY.  Prints the reason and returns NULL on failure. */
struct hm_tlog_verifier *cli_log_key_load(const char *root_path, const char *vkey,
                                          const char *origin);
/* A source that GETs over HTTPS (mutual TLS when a client certificate is given). */
void cli_log_src_https(const struct cli_http_opts *http, struct cli_log_src *out);
int cli_log_proof(int argc, char **argv);

#endif

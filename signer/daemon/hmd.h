/*
 * hmd.h: hallmarkd's private interfaces (config, TLS, HTTP, routes, signing, metrics).
 *
 * Nothing outside signer/daemon/ and tests/daemon/ includes this header.  No libevent
 * or cJSON type appears here: they stay inside the .c files that use them.
 */
#ifndef HM_SIGNER_HMD_H
#define HM_SIGNER_HMD_H

#include <hm/common.h>
#include <stdatomic.h>

struct hm_hsm;
struct hm_key;
struct hm_store;
struct hmd_tlog_cfg;
void hmd_tlog_cfg_free(struct hmd_tlog_cfg *t); /* config_tlog.c */
struct ssl_ctx_st;
struct x509_st;

/* ---- config (config.c, config_rules.c) ---- */
#define HMD_CONFIG_MAX_BYTES   (1u << 20)
#define HMD_MAX_PRODUCTS       1024
#define HMD_MAX_CHANNELS       256
#define HMD_MAX_RULES          256
#define HMD_MAX_NAME           64
#define HMD_MAX_IDENTITY       512
#define HMD_DEFAULT_LISTEN     "127.0.0.1:8443"
#define HMD_DEFAULT_MAX_BODY   ((size_t)1 << 20)
#define HMD_DEFAULT_MAX_HEADER ((size_t)16 << 10)
#define HMD_TRUST_ROOT_MAX     ((size_t)512 << 10)

enum hmd_rule_kind {
    HMD_RULE_CN = 1,  /* "cn:NAME": the subject common name */
    HMD_RULE_SAN_DNS, /* "san:dns:NAME" */
    HMD_RULE_SAN_URI, /* "san:uri:URI" */
};

struct hmd_rule {
    enum hmd_rule_kind kind;
    char *value;
};

struct hmd_product {
    char *name;
    char **channels;
    size_t n_channels;
    char *key_ref;      /* as configured: a pkcs11: URI or an object name */
    char *key_uri;      /* the pkcs11: URI given to hm_hsm_find_key */
    struct hm_key *key; /* resolved by hmd_config_resolve_keys; owned by the hsm */
    struct hmd_rule *rules;
    size_t n_rules;
};

struct hmd_limits {
    size_t max_body;
    size_t max_headers;
    unsigned max_connections;
    unsigned read_timeout_ms;
    unsigned write_timeout_ms;
    unsigned rate_per_client; /* requests per second per client identity; burst = rate */
    unsigned workers;         /* signing threads */
    unsigned io_threads;      /* event loops */
    unsigned max_inflight;    /* sign requests queued or running */
    unsigned drain_timeout_ms;
};

struct hmd_config {
    char *path;
    char *text; /* the file as read, for the line numbers of later errors */
    size_t text_len;
    char *listen;
    char *tls_cert, *tls_key, *tls_client_ca, *tls_crl;
    char *hsm_uri;
    unsigned hsm_sessions;
    char *softhsm2_conf;
    char *tpm_uri;         /* the "tpm" section as a tpm2: URI; NULL without one (config_tpm.c) */
    char *tpm_ek_chain;    /* tpm.ek_chain: PEM issuers of the EK certificate, for /v1/keys */
    unsigned tpm_retry_ms; /* tpm.retry_budget_ms */
    char *store;
    char *trust_root_path;     /* a signed trust root to serve verbatim (docs/trust-root.md) */
    char *trust_root_doc;      /* its bytes, read by hmd_gen_load */
    char *policy_path;         /* "policy": the release policy file (config_policy.c) */
    struct hmd_tlog_cfg *tlog; /* "tlog": the transparency log (config_tlog.c, tlogd.h) */

    /* "privsep" (config_privsep.c, docs/privsep.md) */
    struct hmd_privsep_cfg {
        bool enabled; /* the token lives in hallmark-hsm-helper (default true) */
        char *user;   /* drop to this user when started as root */
        char *helper; /* the helper executable; NULL: next to hallmarkd */
        int seccomp;  /* 0 off, 1 kill (default), 2 trap: log the call and exit */
        unsigned sign_timeout_ms;
    } privsep;
    struct hmd_product *products;
    size_t n_products;
    struct hmd_limits limits;
    bool log_json;
    enum hm_log_level log_level;
};

/* Where a config is wrong: the key path ("products[1].clients[0]"), its line (1-based,
 * 0 when unknown) and why. */
struct hmd_cfg_error {
    char path[160];
    unsigned line;
    char message[384];
};

/* Reads and validates path (syntax, keys, types, values; no file is opened besides the
 * config itself). */
HM_MUST_CHECK hm_err hmd_config_load(const char *path, struct hmd_config **out,
                                     struct hmd_cfg_error *err);
/* Same, from bytes in memory (tests, fuzzing). */
HM_MUST_CHECK hm_err hmd_config_parse(const char *text, size_t len, const char *name,
                                      struct hmd_config **out, struct hmd_cfg_error *err);
void hmd_config_free(struct hmd_config *cfg);
/* Finds every product's key on the token. */
HM_MUST_CHECK hm_err hmd_config_resolve_keys(struct hmd_config *cfg, struct hm_hsm *hsm,
                                             struct hmd_cfg_error *err);
/* Records an error found after parsing (a file, a key) with the line of path. */
void hmd_config_error_at(const struct hmd_config *cfg, struct hmd_cfg_error *err, const char *path,
                         const char *fmt, ...) HM_PRINTF(4, 5);
/* "FILE:LINE: PATH: MESSAGE" */
void hmd_cfg_error_format(const struct hmd_config *cfg, const char *file,
                          const struct hmd_cfg_error *err, char *out, size_t out_len);
const struct hmd_product *hmd_config_product(const struct hmd_config *cfg, const char *name);
bool hmd_product_has_channel(const struct hmd_product *p, const char *channel);

/* ---- locating a member of validated JSON text (jpos.c) ---- */
/* path: "" (the root), "limits.max_body", "products[1].clients[0]".  For a member,
 * *key_off is the offset of its key; for an element, of its value.  HM_E_NOTFOUND when
 * the path does not exist. */
HM_MUST_CHECK hm_err hmd_json_locate(const char *text, size_t len, const char *path,
                                     size_t *key_off, size_t *val_off, size_t *val_end);
unsigned hmd_line_of(const char *text, size_t len, size_t off);

/* ---- TLS (tls.c) ---- */
struct hmd_identity {
    char *cn;   /* subject CN; NULL when none */
    char **dns; /* SAN dNSName entries */
    size_t n_dns;
    char **uri; /* SAN uniformResourceIdentifier entries */
    size_t n_uri;
    char *display; /* "cn:NAME" or the first SAN as a rule would name it */
};

/* Builds the server context: TLS 1.2/1.3, strong ciphers, client certificates required
 * and verified against client_ca (and crl).  On failure *bad_key names the config key
 * at fault ("tls.cert", ...) and why says what is wrong. */
HM_MUST_CHECK hm_err hmd_tls_ctx_new(const struct hmd_config *cfg, struct ssl_ctx_st **out,
                                     const char **bad_key, char *why, size_t why_len);
void hmd_tls_ctx_free(struct ssl_ctx_st *ctx);
HM_MUST_CHECK hm_err hmd_identity_from_cert(struct x509_st *cert, struct hmd_identity **out);
void hmd_identity_free(struct hmd_identity *id);
bool hmd_rule_matches(const struct hmd_rule *rule, const struct hmd_identity *id);
bool hmd_product_allows(const struct hmd_product *p, const struct hmd_identity *id);

/* ---- generations: the config in force, swapped on SIGHUP (gen.c) ---- */
struct hmd_gen {
    atomic_uint refs;
    struct hmd_config *cfg;
    struct ssl_ctx_st *ssl;
    char *keys_json;          /* GET /v1/keys reply, built once */
    char *trust_root_json;    /* GET /v1/trust-root reply */
    struct hm_policy *policy; /* the release policy (config_policy.c); NULL when none */
};
HM_MUST_CHECK hm_err hmd_gen_new(struct hmd_config *cfg, struct ssl_ctx_st *ssl,
                                 struct hmd_gen **out);
struct hmd_gen *hmd_gen_current(void); /* a new reference */
/* Reads, checks and opens everything the config at path names (TLS files; keys when
 * hsm is not NULL); why gets "FILE:LINE: KEY: reason" on failure. */
HM_MUST_CHECK hm_err hmd_gen_load(const char *path, struct hm_hsm *hsm, struct hmd_gen **out,
                                  char *why, size_t why_len);
void hmd_gen_install(struct hmd_gen *gen); /* takes the caller's reference */
/* The key-attestation bundle GET /v1/keys serves for key (gen_keyatt.c): *out malloc'ed
 * JSON, *type "tpm2-certify" or "pkcs11-self-asserted" (static). */
HM_MUST_CHECK hm_err hmd_key_attestation(const struct hmd_config *cfg, struct hm_key *key,
                                         char **out, const char **type);
void hmd_gen_release(struct hmd_gen *gen);

/* ---- the release policy (config_policy.c; docs/policy.md, docs/operations.md) ---- */
struct hm_policy;
/* Loads cfg->policy_path (NULL *out when the config names none) and checks that every key
 * it binds is one of the config's products[].key.  why: "policy FILE: $.path: reason". */
HM_MUST_CHECK hm_err hmd_policy_load(const struct hmd_config *cfg, struct hm_policy **out,
                                     char *why, size_t why_len);
/* The configured product whose key the policy's key name denotes (by products[].key as
 * written, or its pkcs11: URI); NULL when none. */
const struct hmd_product *hmd_policy_key_product(const struct hmd_config *cfg, const char *name);

/* ---- the daemon's shared state ---- */
struct hmd_daemon {
    struct hm_hsm *hsm;
    struct hm_hsm *tpm; /* the TPM 2.0 backend when the config has a tpm section */
    struct hm_store *store;
    atomic_bool draining;
};
extern struct hmd_daemon hmd;
/* The TPM next to the token (config_tpm.c): opens hmd.tpm when cfg has a tpm section
 * (and it is not open yet); why gets "FILE: tpm: reason" on failure. */
HM_MUST_CHECK hm_err hmd_tpm_open(const struct hmd_config *cfg, char *why, size_t why_len);
void hmd_tpm_close(void);
/* The token (privsep.c): through hallmark-hsm-helper when privsep.enabled, else in this
 * process; why gets "FILE: hsm.uri: reason" on failure. */
HM_MUST_CHECK hm_err hmd_privsep_open_hsm(const struct hmd_config *cfg, struct hm_hsm **out,
                                          char *why, size_t why_len);
/* Once listening: privsep.user when root, no_new_privs, not dumpable (privsep.c). */
HM_MUST_CHECK hm_err hmd_privsep_drop(const struct hmd_config *cfg);

/* ---- metrics (metrics.c) ---- */
enum hmd_route {
    HMD_R_SIGN = 0,
    HMD_R_KEYS,
    HMD_R_TRUST_ROOT,
    HMD_R_HEALTHZ,
    HMD_R_READYZ,
    HMD_R_METRICS,
    HMD_R_POLICY_CHECK, /* POST /v1/policy/check (policy_check.c) */
    HMD_R_STEWARD,      /* POST /v1/steward/attestations (steward.c) */
    HMD_R_LOG,          /* GET /v1/log/...: checkpoint, entries, proofs, tiles (log_routes.c) */
    HMD_R_PAGE,         /* GET /: the read-only page (page.c) */
    HMD_R_OTHER,
    HMD_R_COUNT
};
const char *hmd_route_name(enum hmd_route r);
void hmd_metrics_request(enum hmd_route r, int status);
void hmd_metrics_sign_duration(uint64_t ns);
void hmd_metrics_hsm_error(void);
void hmd_metrics_rate_limited(void);
void hmd_metrics_connection(int delta);
/* Prometheus text exposition; *out malloc'ed. */
HM_MUST_CHECK hm_err hmd_metrics_render(char **out, size_t *len);

/* ---- rate limit (ratelimit.c) ---- */
/* true when the client may go on; false with *retry_after_s set when over the rate. */
bool hmd_rate_take(const char *client, unsigned rate_per_s, unsigned *retry_after_s);
void hmd_rate_reset(void);

/* ---- replies ---- */
struct hmd_reply {
    int status;
    char *body; /* malloc'ed */
    size_t body_len;
    const char *content_type; /* static; NULL = application/json */
    unsigned retry_after;     /* seconds; 0 = no header */
    const char *allow;        /* Allow header for 405 */
    const char *headers;      /* static extra header lines, each ending "\r\n"; NULL = none
                                 (the page's Content-Security-Policy, page.c) */
    bool close;               /* close the connection after this reply */
    /* for the request log line */
    char product[HMD_MAX_NAME + 1];
    char version[130];
};
void hmd_reply_error(struct hmd_reply *r, int status, const char *code, const char *fmt, ...)
    HM_PRINTF(4, 5);
/* An error with a "reasons" list (each a plain string). */
void hmd_reply_error_reasons(struct hmd_reply *r, int status, const char *code, const char *msg,
                             const char *const *reasons, size_t n);
void hmd_reply_json(struct hmd_reply *r, int status, char *body, size_t len); /* takes body */
void hmd_reply_reset(struct hmd_reply *r);
/* Appends s to b as a JSON string literal, quotes included. */
void hmd_json_quote(struct hm_buf *b, const char *s);
const char *hmd_status_text(int status);

/* ---- requests (routes.c, sign.c) ---- */
struct hmd_request {
    const char *method;
    const char *path;
    const char *content_type; /* NULL when absent */
    const uint8_t *body;
    size_t body_len;
    const struct hmd_identity *id;
    const char *query;  /* after '?', "" when none */
    const char *bearer; /* "Authorization: Bearer" token; NULL when none; never logged */
    bool head_only;     /* only the head has arrived: check route, method, identity, type */
};
/* Routes a request.  With head_only, returns true when the head alone decides an error
 * (404, 405, 401, 415).  Otherwise answers every route but the worker routes (returns
 * false for those: POST /v1/sign and the others hmd_route_is_worker names go to a worker
 * thread, see hmd_call_handle).  *route is always set. */
bool hmd_route_fast(const struct hmd_request *req, struct hmd_gen *gen, struct hmd_reply *out,
                    enum hmd_route *route);
bool hmd_route_is_worker(enum hmd_route r);
/* What the audit record of one sign request says (copied: it outlives the request). */
struct hmd_audit_rec {
    const char *route; /* static: "/v1/sign", "/v1/policy/check", ...; NULL = "/v1/sign" */
    char client[HMD_MAX_IDENTITY + 16];
    char product[HMD_MAX_NAME + 1];
    char version[130];
    char request_sha256[65]; /* "" when the body did not parse */
    const char *decision;    /* static strings */
    const char *outcome;
    int64_t time;
};
/* One request that runs on a worker thread (every pointer valid for the call). */
struct hmd_call {
    enum hmd_route route;
    struct hmd_gen *gen;
    const struct hmd_identity *id;
    const char *bearer; /* "Authorization: Bearer" token, NULL when none; never logged */
    const char *path;
    const char *query; /* "" when none */
    const uint8_t *body;
    size_t body_len;
};
/* Runs call->route's handler (dispatch.c).  *audit receives the record to write with
 * hmd_sign_audit once the reply is on its way (audit->decision NULL: nothing to write). */
void hmd_call_handle(const struct hmd_call *call, struct hmd_reply *out,
                     struct hmd_audit_rec *audit);
/* The whole POST /v1/sign flow (sign.c). */
void hmd_sign_handle(const struct hmd_call *call, struct hmd_reply *out,
                     struct hmd_audit_rec *audit);
/* POST /v1/policy/check: the decision without signing (policy_check.c). */
void hmd_policy_check_handle(const struct hmd_call *call, struct hmd_reply *out,
                             struct hmd_audit_rec *audit);
/* POST /v1/steward/attestations (steward.c). */
void hmd_steward_handle(const struct hmd_call *call, struct hmd_reply *out,
                        struct hmd_audit_rec *audit);
/* GET /v1/log/... (log_routes.c): call->path is the whole path. */
void hmd_log_handle(const struct hmd_call *call, struct hmd_reply *out);
/* GET / (page.c). */
void hmd_page_handle(const struct hmd_call *call, struct hmd_reply *out);
void hmd_sign_audit(const struct hmd_audit_rec *audit);
/* Parses and checks a sign request (exposed for tests and fuzzing). */
struct hmd_sign_req;
HM_MUST_CHECK hm_err hmd_sign_req_parse(const uint8_t *body, size_t len, struct hmd_sign_req **out,
                                        struct hmd_reply *err);
void hmd_sign_req_free(struct hmd_sign_req *r);

/* ---- recording signatures: store + transparency log (record.c; the log work owns it) ----
 *
 * Every signature hallmarkd hands out goes through hmd_record: the release row (when there
 * is one), the audit-free log entries of every item, and the new tree state are written in
 * ONE store transaction; the call returns only once a checkpoint signed by the log key
 * covers every item.  Then each item's bundle is replaced by one that carries its
 * tlogEntries (docs/formats.md section 7) and log_index is set.  No item is returned to a
 * client unless hmd_record returned HM_OK.
 *
 * Errors: those of hm_store_commit (HM_E_CONFLICT: a higher version won; HM_E_IO: the disk;
 * HM_E_UNAVAILABLE: closing, locked, or the log key could not sign; retry), HM_E_INVALID
 * for bad arguments.  resv and rel are both NULL for items that are not releases
 * (steward attestations, key events).  resv is consumed whatever the result. */
struct hmd_record_item {
    const char *predicate_type; /* of the signed statement, or "key-event" */
    const struct hm_key *key;   /* the key that signed it: id and public key for the leaf */
    char *bundle;               /* in: as hm_bundle_sign wrote it (malloc'ed); out: with
                                   tlogEntries (the old buffer is freed and replaced) */
    size_t bundle_len;
    const char *product, *channel, *version; /* NULL when not a release */
    uint64_t log_index;                      /* out; UINT64_MAX when not logged */
};
struct hm_store_resv;
struct hm_store_release;
HM_MUST_CHECK hm_err hmd_record(struct hm_store_resv *resv, const struct hm_store_release *rel,
                                const struct hmd_identity *client, struct hmd_record_item *items,
                                size_t n);
/* Reading the log back (routes, the page at /): calls fn for up to n entries, newest
 * first, with the leaf bytes as logged and the bundle as it was returned (without its
 * tlogEntries; NULL for entries that carry none).  Stops at the first error fn returns.
 * fn runs under the store's reader lock: copy what it needs, and call no hm_store_* or
 * hmd_log_* function from it.  HM_E_UNAVAILABLE when the daemon keeps no log. */
typedef hm_err (*hmd_log_entry_fn)(void *ctx, uint64_t index, const uint8_t *leaf, size_t leaf_len,
                                   const char *bundle, size_t bundle_len);
HM_MUST_CHECK hm_err hmd_log_recent(size_t n, hmd_log_entry_fn fn, void *ctx);

/* ---- worker pool (workers.c) ---- */
struct hmd_job;
typedef void (*hmd_job_fn)(struct hmd_job *job);
struct hmd_job {
    struct hmd_job *next;
    hmd_job_fn run;
    void *conn;          /* the connection that waits (http.c) */
    struct hmd_gen *gen; /* a reference, released with the job */
    const struct hmd_identity *id;
    enum hmd_route route;
    char *bearer; /* copied from the head; wiped and freed with the job */
    char *path;
    char *query;
    uint8_t *body;
    size_t body_len;
    struct hmd_reply reply;
};
HM_MUST_CHECK hm_err hmd_workers_start(unsigned n, unsigned max_queue);
/* Queues a job; HM_E_LIMIT when the queue is full. */
HM_MUST_CHECK hm_err hmd_workers_submit(struct hmd_job *job, hmd_job_fn run);
void hmd_workers_stop(void); /* finishes the queue, joins */

/* ---- server (server.c, http.c) ---- */
HM_MUST_CHECK hm_err hmd_server_run(const char *config_path, const char *port_file);

/* ---- logging of requests ---- */
void hmd_access_log_config(bool json, bool enabled);
void hmd_access_log(const char *client, const char *method, const char *path, int status,
                    const char *product, const char *version, uint64_t duration_ns);

uint64_t hmd_now_ns(void);

#endif /* HM_SIGNER_HMD_H */

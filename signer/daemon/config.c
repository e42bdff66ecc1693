/*
 * config.c: hallmarkd's one JSON config file, read strictly.
 *
 * Unknown keys are refused (a typo in "max_body" must not leave the default in force
 * silently), every error names the key path and its line, and nothing that grants
 * access has a default: TLS material, the client CA and at least one product with one
 * client rule must be written down.  Values are checked here; files are opened by
 * hmd_tls_ctx_new and keys found by hmd_config_resolve_keys.
 */
#include <hm/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "config_int.h"

hm_err
hmd_cfail(struct hmd_cctx *c, const char *path, const char *fmt, ...)
{
    size_t koff = 0, voff = 0, vend = 0;
    char p[sizeof(c->err->path)];
    va_list ap;

    if (c->failed) {
        return HM_E_INVALID;
    }
    c->failed = true;
    snprintf(c->err->path, sizeof(c->err->path), "%s", path);
    va_start(ap, fmt);
    (void)vsnprintf(c->err->message, sizeof(c->err->message), fmt, ap);
    va_end(ap);
    /* A missing key has no line of its own: name the line of the nearest parent. */
    snprintf(p, sizeof(p), "%s", path);
    for (;;) {
        if (hmd_json_locate(c->text, c->len, p, &koff, &voff, &vend) == HM_OK) {
            c->err->line = hmd_line_of(c->text, c->len, koff);
            break;
        }
        char *cut = strrchr(p, '.');
        char *br = strrchr(p, '[');
        if (br != NULL && (cut == NULL || br > cut)) {
            cut = br;
        }
        if (cut == NULL) {
            c->err->line = 1;
            break;
        }
        *cut = '\0';
    }
    return HM_E_INVALID;
}

void
hmd_path_join(char *out, size_t out_len, const char *parent, const char *key)
{
    if (parent[0] == '\0') {
        snprintf(out, out_len, "%s", key);
    } else {
        snprintf(out, out_len, "%s.%s", parent, key);
    }
}

hm_err
hmd_cfg_object(struct hmd_cctx *c, const cJSON *obj, const char *path, const char *const *allowed,
               size_t n)
{
    const char *bad = NULL;
    char p[160];

    if (!cJSON_IsObject(obj)) {
        return hmd_cfail(c, path, "must be a JSON object");
    }
    if (hm_json_only_keys(obj, allowed, n, &bad) != HM_OK) {
        hmd_path_join(p, sizeof(p), path, bad != NULL ? bad : "?");
        return hmd_cfail(c, p, "unknown key (allowed here: see docs/operations.md)");
    }
    return HM_OK;
}

/* A string member: *out strdup'ed; absent and not required leaves *out unchanged. */
hm_err
hmd_cfg_string(struct hmd_cctx *c, const cJSON *obj, const char *path, const char *key,
               bool required, size_t max_len, char **out)
{
    const cJSON *it = hm_json_get(obj, key);
    char p[160];

    hmd_path_join(p, sizeof(p), path, key);
    if (it == NULL) {
        return required ? hmd_cfail(c, p, "is missing") : HM_OK;
    }
    if (!cJSON_IsString(it) || it->valuestring == NULL) {
        return hmd_cfail(c, p, "must be a string");
    }
    size_t n = strlen(it->valuestring);
    if (n == 0 || n > max_len) {
        return hmd_cfail(c, p, "must be 1 to %zu bytes long", max_len);
    }
    char *s = strdup(it->valuestring);
    if (s == NULL) {
        return HM_E_NOMEM;
    }
    free(*out);
    *out = s;
    return HM_OK;
}

static hm_err
cfg_uint(struct hmd_cctx *c, const cJSON *obj, const char *path, const char *key, uint64_t min,
         uint64_t max, uint64_t *inout)
{
    const cJSON *it = hm_json_get(obj, key);
    uint64_t v = 0;
    char p[160];

    if (it == NULL) {
        return HM_OK;
    }
    hmd_path_join(p, sizeof(p), path, key);
    if (hm_json_number_u64(it, max, &v) != HM_OK || v < min) {
        return hmd_cfail(c, p, "must be an integer from %llu to %llu", (unsigned long long)min,
                         (unsigned long long)max);
    }
    *inout = v;
    return HM_OK;
}

static hm_err
cfg_limits(struct hmd_cctx *c, const cJSON *root, struct hmd_limits *l)
{
    static const char *const keys[] = { "max_body",        "max_headers",      "max_connections",
                                        "read_timeout_ms", "write_timeout_ms", "rate_per_client",
                                        "workers",         "io_threads",       "max_inflight",
                                        "drain_timeout_ms" };
    const cJSON *o = hm_json_get(root, "limits");
    uint64_t v[10] = { l->max_body,        l->max_headers,      l->max_connections,
                       l->read_timeout_ms, l->write_timeout_ms, l->rate_per_client,
                       l->workers,         l->io_threads,       l->max_inflight,
                       l->drain_timeout_ms };
    static const uint64_t lo[10] = { 1024, 1024, 1, 100, 100, 1, 1, 1, 1, 0 };
    static const uint64_t hi[10] = { 64u << 20, 1u << 20, 1000000, 3600000, 3600000,
                                     1000000,   4096,     64,      1000000, 3600000 };

    if (o == NULL) {
        return HM_OK;
    }
    if (hmd_cfg_object(c, o, "limits", keys, 10) != HM_OK) {
        return HM_E_INVALID;
    }
    for (size_t i = 0; i < 10; i++) {
        if (cfg_uint(c, o, "limits", keys[i], lo[i], hi[i], &v[i]) != HM_OK) {
            return HM_E_INVALID;
        }
    }
    l->max_body = (size_t)v[0];
    l->max_headers = (size_t)v[1];
    l->max_connections = (unsigned)v[2];
    l->read_timeout_ms = (unsigned)v[3];
    l->write_timeout_ms = (unsigned)v[4];
    l->rate_per_client = (unsigned)v[5];
    l->workers = (unsigned)v[6];
    l->io_threads = (unsigned)v[7];
    l->max_inflight = (unsigned)v[8];
    l->drain_timeout_ms = (unsigned)v[9];
    return HM_OK;
}

static hm_err
cfg_log(struct hmd_cctx *c, const cJSON *root, struct hmd_config *cfg)
{
    static const char *const keys[] = { "format", "level" };
    static const char *const levels[] = { "error", "warn", "info", "debug" };
    const cJSON *o = hm_json_get(root, "log");
    char *format = NULL, *level = NULL;
    hm_err err = HM_E_INVALID;

    if (o == NULL) {
        return HM_OK;
    }
    if (hmd_cfg_object(c, o, "log", keys, 2) != HM_OK ||
        hmd_cfg_string(c, o, "log", "format", false, 16, &format) != HM_OK ||
        hmd_cfg_string(c, o, "log", "level", false, 16, &level) != HM_OK) {
        goto out;
    }
    if (format != NULL && strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
        hmd_cfail(c, "log.format", "must be \"text\" or \"json\"");
        goto out;
    }
    cfg->log_json = format != NULL && strcmp(format, "json") == 0;
    if (level != NULL) {
        size_t i = 0;
        while (i < 4 && strcmp(level, levels[i]) != 0) {
            i++;
        }
        if (i == 4) {
            hmd_cfail(c, "log.level", "must be \"error\", \"warn\", \"info\" or \"debug\"");
            goto out;
        }
        cfg->log_level = (enum hm_log_level)i;
    }
    err = HM_OK;
out:
    free(format);
    free(level);
    return err;
}

static hm_err
cfg_tls(struct hmd_cctx *c, const cJSON *root, struct hmd_config *cfg)
{
    static const char *const keys[] = { "cert", "key", "client_ca", "crl" };
    const cJSON *o = hm_json_get(root, "tls");

    if (o == NULL) {
        return hmd_cfail(c, "tls",
                         "is missing: hallmarkd has no default certificate, key or "
                         "client CA (give tls.cert, tls.key and tls.client_ca)");
    }
    if (hmd_cfg_object(c, o, "tls", keys, 4) != HM_OK ||
        hmd_cfg_string(c, o, "tls", "cert", true, 4096, &cfg->tls_cert) != HM_OK ||
        hmd_cfg_string(c, o, "tls", "key", true, 4096, &cfg->tls_key) != HM_OK ||
        hmd_cfg_string(c, o, "tls", "client_ca", true, 4096, &cfg->tls_client_ca) != HM_OK ||
        hmd_cfg_string(c, o, "tls", "crl", false, 4096, &cfg->tls_crl) != HM_OK) {
        return HM_E_INVALID;
    }
    return HM_OK;
}

static hm_err
cfg_hsm(struct hmd_cctx *c, const cJSON *root, struct hmd_config *cfg)
{
    static const char *const keys[] = { "uri", "sessions", "softhsm2_conf" };
    const cJSON *o = hm_json_get(root, "hsm");
    uint64_t sessions = cfg->hsm_sessions;

    if (o == NULL) {
        return hmd_cfail(c, "hsm", "is missing: name the token with hsm.uri");
    }
    if (hmd_cfg_object(c, o, "hsm", keys, 3) != HM_OK ||
        hmd_cfg_string(c, o, "hsm", "uri", true, 4096, &cfg->hsm_uri) != HM_OK ||
        cfg_uint(c, o, "hsm", "sessions", 1, 1024, &sessions) != HM_OK ||
        hmd_cfg_string(c, o, "hsm", "softhsm2_conf", false, 4096, &cfg->softhsm2_conf) != HM_OK) {
        return HM_E_INVALID;
    }
    cfg->hsm_sessions = (unsigned)sessions;
    if (strncmp(cfg->hsm_uri, "pkcs11:", 7) != 0) {
        return hmd_cfail(c, "hsm.uri", "must be a pkcs11: URI (RFC 7512)");
    }
    /* A PIN never sits in the config: it comes from pin-source (a file or env:NAME). */
    if (strstr(cfg->hsm_uri, "pin-value") != NULL) {
        return hmd_cfail(c, "hsm.uri",
                         "pin-value is refused: give the PIN with "
                         "pin-source=file:PATH or pin-source=env:NAME");
    }
    if (strstr(cfg->hsm_uri, "pin-source=") == NULL) {
        return hmd_cfail(c, "hsm.uri",
                         "has no pin-source: add pin-source=file:PATH or "
                         "pin-source=env:NAME");
    }
    return HM_OK;
}

/* "host:port" with an IPv4 address, a name or a bracketed IPv6 address. */
static hm_err
cfg_listen(struct hmd_cctx *c, const struct hmd_config *cfg)
{
    const char *colon = strrchr(cfg->listen, ':');
    char *end = NULL;

    if (colon == NULL || colon == cfg->listen || colon[1] == '\0') {
        return hmd_cfail(c, "listen", "must be HOST:PORT, e.g. \"127.0.0.1:8443\"");
    }
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end != '\0' || port > 65535 || colon[1] == '+' || colon[1] == '-') {
        return hmd_cfail(c, "listen", "port must be a number from 0 to 65535");
    }
    return HM_OK;
}

static hm_err
cfg_store(struct hmd_cctx *c, const struct hmd_config *cfg)
{
    const char *s = cfg->store;

    if (strncmp(s, "sqlite:", 7) == 0) {
        s += 7;
    }
    if (s[0] != '/') {
        return hmd_cfail(c, "store", "must be sqlite:/absolute/path (got \"%s\")", cfg->store);
    }
    return HM_OK;
}

static void
cfg_defaults(struct hmd_config *cfg)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    cfg->hsm_sessions = 4;
    cfg->log_level = HM_LOG_INFO;
    cfg->limits.max_body = HMD_DEFAULT_MAX_BODY;
    cfg->limits.max_headers = HMD_DEFAULT_MAX_HEADER;
    cfg->limits.max_connections = 1024;
    cfg->limits.read_timeout_ms = 10000;
    cfg->limits.write_timeout_ms = 10000;
    cfg->limits.rate_per_client = 100;
    cfg->limits.workers = 0; /* 0: derived from the session count below */
    cfg->limits.io_threads = (unsigned)(ncpu < 1 ? 1 : (ncpu > 4 ? 4 : ncpu));
    cfg->limits.max_inflight = 4096;
    cfg->limits.drain_timeout_ms = 30000;
}

static hm_err
cfg_root(struct hmd_cctx *c, const cJSON *root, struct hmd_config *cfg)
{
    static const char *const keys[] = { "listen",   "tls",    "hsm",  "store",
                                        "products", "limits", "log",  "trust_root",
                                        "tpm",      "policy", "tlog", "privsep" };

    if (hmd_cfg_object(c, root, "", keys, 12) != HM_OK ||
        hmd_cfg_string(c, root, "", "listen", false, 256, &cfg->listen) != HM_OK ||
        cfg_listen(c, cfg) != HM_OK || cfg_tls(c, root, cfg) != HM_OK ||
        cfg_hsm(c, root, cfg) != HM_OK ||
        hmd_cfg_string(c, root, "", "store", true, 4096, &cfg->store) != HM_OK ||
        cfg_store(c, cfg) != HM_OK || hmd_cfg_tpm(c, root, cfg) != HM_OK ||
        hmd_cfg_products(c, root, cfg) != HM_OK || cfg_limits(c, root, &cfg->limits) != HM_OK ||
        cfg_log(c, root, cfg) != HM_OK ||
        hmd_cfg_string(c, root, "", "trust_root", false, 4096, &cfg->trust_root_path) != HM_OK ||
        hmd_cfg_policy(c, root, cfg) != HM_OK || hmd_cfg_tlog(c, root, cfg) != HM_OK ||
        hmd_cfg_privsep(c, root, cfg) != HM_OK) {
        return HM_E_INVALID;
    }
    if (cfg->trust_root_path != NULL && cfg->trust_root_path[0] != '/') {
        return hmd_cfail(c, "trust_root", "must be an absolute path");
    }
    if (cfg->limits.workers == 0) {
        /* A worker holds an HSM session only while it signs, then waits for two group
         * commits (the release, the audit record): four per session keeps every session
         * busy (docs/operations.md, "Concurrency"; measured in docs/performance.md). */
        unsigned w = cfg->hsm_sessions * 4;
        cfg->limits.workers = w < 8 ? 8 : (w > 4096 ? 4096 : w);
    }
    return HM_OK;
}

hm_err
hmd_config_parse(const char *text, size_t len, const char *name, struct hmd_config **out,
                 struct hmd_cfg_error *err)
{
    static const struct hm_json_limits lim = {
        .max_bytes = HMD_CONFIG_MAX_BYTES, .max_depth = 8, .max_string = 4096, .max_members = 4096
    };
    struct hmd_cctx c = { .text = text, .len = len, .err = err };
    struct hmd_config *cfg = NULL;
    struct hm_json_error jerr = { 0 };
    cJSON *root = NULL;
    hm_err rc;

    *out = NULL;
    memset(err, 0, sizeof(*err));
    if ((rc = hm_json_parse(text, len, &lim, &root, &jerr)) != HM_OK) {
        err->line = hmd_line_of(text, len, jerr.offset);
        snprintf(err->message, sizeof(err->message), "not valid JSON at byte %zu: %s", jerr.offset,
                 jerr.message);
        return rc == HM_E_NOMEM ? rc : HM_E_INVALID;
    }
    if ((cfg = calloc(1, sizeof(*cfg))) == NULL || (cfg->path = strdup(name)) == NULL ||
        (cfg->listen = strdup(HMD_DEFAULT_LISTEN)) == NULL ||
        (cfg->text = malloc(len + 1)) == NULL) {
        rc = HM_E_NOMEM;
        goto out;
    }
    memcpy(cfg->text, text, len);
    cfg->text[len] = '\0';
    cfg->text_len = len;
    cfg_defaults(cfg);
    if ((rc = cfg_root(&c, root, cfg)) != HM_OK) {
        goto out;
    }
    *out = cfg;
    cfg = NULL; /* the caller owns it now */
out:
    cJSON_Delete(root);
    hmd_config_free(cfg);
    return rc;
}

hm_err
hmd_config_load(const char *path, struct hmd_config **out, struct hmd_cfg_error *err)
{
    uint8_t *text = NULL;
    size_t len = 0;
    hm_err rc;

    *out = NULL;
    memset(err, 0, sizeof(*err));
    if ((rc = hm_read_file(path, HMD_CONFIG_MAX_BYTES, &text, &len)) != HM_OK) {
        snprintf(err->message, sizeof(err->message), "cannot read the config file: %s",
                 hm_strerror(rc));
        return rc;
    }
    rc = hmd_config_parse((const char *)text, len, path, out, err);
    free(text);
    return rc;
}

void
hmd_config_error_at(const struct hmd_config *cfg, struct hmd_cfg_error *err, const char *path,
                    const char *fmt, ...)
{
    struct hmd_cctx c = { .text = cfg->text, .len = cfg->text_len, .err = err };
    char msg[sizeof(err->message)];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    memset(err, 0, sizeof(*err));
    (void)hmd_cfail(&c, path, "%s", msg);
}

void
hmd_cfg_error_format(const struct hmd_config *cfg, const char *file,
                     const struct hmd_cfg_error *err, char *out, size_t out_len)
{
    (void)cfg;
    if (err->path[0] != '\0') {
        snprintf(out, out_len, "%s:%u: %s: %s", file, err->line, err->path, err->message);
    } else if (err->line != 0) {
        snprintf(out, out_len, "%s:%u: %s", file, err->line, err->message);
    } else {
        snprintf(out, out_len, "%s: %s", file, err->message);
    }
}

static void
free_strv(char **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        free(v[i]);
    }
    free(v);
}

void
hmd_config_free(struct hmd_config *cfg)
{
    if (cfg == NULL) {
        return;
    }
    for (size_t i = 0; i < cfg->n_products; i++) {
        struct hmd_product *p = &cfg->products[i];
        free(p->name);
        free_strv(p->channels, p->n_channels);
        free(p->key_ref);
        free(p->key_uri);
        for (size_t j = 0; j < p->n_rules; j++) {
            free(p->rules[j].value);
        }
        free(p->rules);
    }
    free(cfg->products);
    free(cfg->path);
    free(cfg->text);
    free(cfg->listen);
    free(cfg->tls_cert);
    free(cfg->tls_key);
    free(cfg->tls_client_ca);
    free(cfg->tls_crl);
    free(cfg->hsm_uri);
    free(cfg->softhsm2_conf);
    free(cfg->tpm_uri);
    free(cfg->tpm_ek_chain);
    free(cfg->privsep.user);
    free(cfg->privsep.helper);
    free(cfg->store);
    free(cfg->trust_root_path);
    free(cfg->trust_root_doc);
    free(cfg->policy_path);
    hmd_tlog_cfg_free(cfg->tlog);
    free(cfg);
}

/*
 * server.c: start-up, the listening socket, the event-loop threads, signals, reload
 * and the orderly shutdown.
 *
 * Threads: the main thread owns the listening socket and the signals; it accepts and
 * hands each socket round-robin to one of io_threads event loops (http.c), which do
 * TLS and HTTP; POST /v1/sign goes from a loop to the worker pool (workers.c), which
 * signs and posts the reply back to the loop.  docs/operations.md explains the choice.
 *
 * SIGTERM/SIGINT: stop accepting, close idle connections, let in-flight requests
 * finish and reply (within drain_timeout_ms), stop the workers, close the store (it
 * drains its commit queue), close the HSM, exit 0.
 * SIGHUP: read and check the config file again, open its TLS files and find its keys;
 * only when all of that works does the new config replace the old one.
 */
#include <errno.h>
#include <hm/hsm.h>
#include <hm/json.h>
#include <hm/policy.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <openssl/ssl.h>

#include "../store.h"
#include "http_int.h"
#include "tlogd.h"

struct hmd_daemon hmd;

static struct {
    struct event_base *base;
    struct evconnlistener *listener;
    struct hmd_io *ios;
    unsigned n_ios;
    unsigned next;
    const char *config_path;
    struct event *sig_term, *sig_int, *sig_hup;
} srv;

static void
io_wake(evutil_socket_t fd, short what, void *arg)
{
    struct hmd_io *io = arg;
    int *fds = NULL;
    size_t n = 0;
    bool drain = false;

    (void)fd;
    (void)what;
    pthread_mutex_lock(&io->lock);
    fds = io->new_fds;
    n = io->n_new_fds;
    io->new_fds = NULL;
    io->n_new_fds = io->cap_new_fds = 0;
    drain = io->drain && !io->draining;
    pthread_mutex_unlock(&io->lock);
    for (size_t i = 0; i < n; i++) {
        hmd_io_accept(io, fds[i]);
    }
    free(fds);
    hmd_io_finish_jobs(io);
    if (drain) {
        struct timeval tv = { .tv_sec = io->drain_ms / 1000,
                              .tv_usec = (io->drain_ms % 1000) * 1000 };
        event_add(io->drain_timer, &tv);
        hmd_io_drain_conns(io);
    }
}

static void
io_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct hmd_io *io = arg;

    (void)fd;
    (void)what;
    hm_warn("drain timeout: closing %zu connections with requests still in flight", io->n_conns);
    event_base_loopbreak(io->base);
}

hm_err
hmd_io_init(struct hmd_io *io, unsigned index)
{
    memset(io, 0, sizeof(*io));
    io->index = index;
    pthread_mutex_init(&io->lock, NULL);
    if ((io->base = event_base_new()) == NULL ||
        (io->wake = event_new(io->base, -1, EV_PERSIST, io_wake, io)) == NULL ||
        (io->drain_timer = evtimer_new(io->base, io_drain_timeout, io)) == NULL) {
        return HM_E_NOMEM;
    }
    event_add(io->wake, NULL);
    return HM_OK;
}

void *
hmd_io_main(void *arg)
{
    struct hmd_io *io = arg;

    /* the wake event has neither socket nor timeout: the loop must not stop empty */
    event_base_loop(io->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

void
hmd_io_give_fd(struct hmd_io *io, int fd)
{
    pthread_mutex_lock(&io->lock);
    if (io->n_new_fds == io->cap_new_fds) {
        size_t cap = io->cap_new_fds ? io->cap_new_fds * 2 : 16;
        int *nf = realloc(io->new_fds, cap * sizeof(int));
        if (nf == NULL) {
            pthread_mutex_unlock(&io->lock);
            close(fd);
            atomic_fetch_sub(&hmd_open_conns, 1);
            return;
        }
        io->new_fds = nf;
        io->cap_new_fds = cap;
    }
    io->new_fds[io->n_new_fds++] = fd;
    pthread_mutex_unlock(&io->lock);
    event_active(io->wake, EV_READ, 0);
}

void
hmd_io_drain(struct hmd_io *io, unsigned timeout_ms)
{
    pthread_mutex_lock(&io->lock);
    io->drain = true;
    io->drain_ms = timeout_ms;
    pthread_mutex_unlock(&io->lock);
    event_active(io->wake, EV_READ, 0);
}

void
hmd_io_fini(struct hmd_io *io)
{
    hmd_io_finish_jobs(io);
    hmd_io_free_conns(io);
    for (size_t i = 0; i < io->n_new_fds; i++) {
        close(io->new_fds[i]);
    }
    free(io->new_fds);
    /* event_free(NULL) is not a no-op in libevent 2.1 */
    if (io->wake != NULL) {
        event_free(io->wake);
    }
    if (io->drain_timer != NULL) {
        event_free(io->drain_timer);
    }
    if (io->base != NULL) {
        event_base_free(io->base);
    }
    pthread_mutex_destroy(&io->lock);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    struct hmd_gen *g = hmd_gen_current();
    unsigned max = g->cfg->limits.max_connections;

    (void)l;
    (void)sa;
    (void)salen;
    (void)arg;
    hmd_gen_release(g);
    if (atomic_load(&hmd.draining) || atomic_fetch_add(&hmd_open_conns, 1) >= max) {
        if (!atomic_load(&hmd.draining)) {
            atomic_fetch_sub(&hmd_open_conns, 1);
        }
        close(fd); /* over max_connections: refused before TLS costs anything */
        return;
    }
    int one = 1;
    /* replies go out in several TLS records: without this, Nagle's algorithm and the
     * client's delayed ACK add 40 ms to every reply */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    hmd_io_give_fd(&srv.ios[srv.next++ % srv.n_ios], fd);
}

static hm_err
listen_socket(const char *listen_addr, int *out)
{
    char host[256];
    const char *colon = strrchr(listen_addr, ':');
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *ai = NULL;
    size_t hl = (size_t)(colon - listen_addr);
    int fd = -1, one = 1, rc;

    *out = -1;
    if (hl >= sizeof(host)) {
        return HM_E_INVALID;
    }
    memcpy(host, listen_addr, hl);
    host[hl] = '\0';
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    if ((rc = getaddrinfo(host, colon + 1, &hints, &ai)) != 0) {
        hm_error("listen %s: %s", listen_addr, gai_strerror(rc));
        return HM_E_INVALID;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        hm_error("listen %s: %s", listen_addr, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        freeaddrinfo(ai);
        return HM_E_IO;
    }
    freeaddrinfo(ai);
    *out = fd;
    return HM_OK;
}

static hm_err
write_port_file(int fd, const char *path, unsigned *port)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char buf[16];

    *port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        return HM_E_IO;
    }
    if (ss.ss_family == AF_INET) {
        *port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        *port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    if (path == NULL) {
        return HM_OK;
    }
    int n = snprintf(buf, sizeof(buf), "%u\n", *port);
    return hm_write_file_atomic(path, buf, (size_t)n, 0644);
}

static void
apply_log(const struct hmd_config *cfg)
{
    hm_log_set_json(cfg->log_json);
    hm_log_set_level(cfg->log_level);
    hmd_access_log_config(cfg->log_json, cfg->log_level >= HM_LOG_INFO);
}

/* The signed trust root that `hallmark trust-root` writes, served as it is. */
static hm_err
load_trust_root(struct hmd_config *cfg, char *why, size_t why_len)
{
    uint8_t *doc = NULL;
    size_t len = 0;
    cJSON *tree = NULL;
    struct hm_json_error jerr = { 0 };
    hm_err rc;

    if ((rc = hm_read_file(cfg->trust_root_path, HMD_TRUST_ROOT_MAX, &doc, &len)) != HM_OK) {
        snprintf(why, why_len, "cannot read %s: %s", cfg->trust_root_path, hm_strerror(rc));
        return rc;
    }
    if ((rc = hm_json_parse(doc, len, NULL, &tree, &jerr)) != HM_OK) {
        snprintf(why, why_len, "%s is not JSON (byte %zu: %s)", cfg->trust_root_path, jerr.offset,
                 jerr.message);
        free(doc);
        return HM_E_INVALID;
    }
    cJSON_Delete(tree);
    cfg->trust_root_doc = (char *)doc;
    return HM_OK;
}

/* Reads, checks and opens everything a config names.  On success *out is a generation
 * ready to install.  hsm may be NULL only for --check-config (which opens its own). */
hm_err
hmd_gen_load(const char *path, struct hm_hsm *hsm, struct hmd_gen **out, char *why, size_t why_len)
{
    struct hmd_config *cfg = NULL;
    struct hm_policy *policy = NULL;
    struct hmd_cfg_error err;
    SSL_CTX *ssl = NULL;
    const char *bad = NULL;
    char tw[512];
    hm_err rc;

    *out = NULL;
    if ((rc = hmd_config_load(path, &cfg, &err)) != HM_OK) {
        hmd_cfg_error_format(NULL, path, &err, why, why_len);
        return rc;
    }
    if ((rc = hmd_tls_ctx_new(cfg, &ssl, &bad, tw, sizeof(tw))) != HM_OK) {
        hmd_config_error_at(cfg, &err, bad, "%s", tw);
        hmd_cfg_error_format(cfg, path, &err, why, why_len);
        goto out;
    }
    if (cfg->trust_root_path != NULL && (rc = load_trust_root(cfg, tw, sizeof(tw))) != HM_OK) {
        hmd_config_error_at(cfg, &err, "trust_root", "%s", tw);
        hmd_cfg_error_format(cfg, path, &err, why, why_len);
        goto out;
    }
    if (hsm != NULL && (rc = hmd_config_resolve_keys(cfg, hsm, &err)) != HM_OK) {
        hmd_cfg_error_format(cfg, path, &err, why, why_len);
        goto out;
    }
    if ((rc = hmd_policy_load(cfg, &policy, why, why_len)) != HM_OK) {
        goto out;
    }
    if ((rc = hmd_gen_new(cfg, ssl, out)) != HM_OK) {
        snprintf(why, why_len, "%s: %s", path, hm_strerror(rc));
    } else {
        (*out)->policy = policy;
        policy = NULL; /* the generation owns it now */
    }
    cfg = NULL;
    ssl = NULL; /* the generation owns them now (or freed them on failure) */
out:
    hmd_config_free(cfg);
    SSL_CTX_free(ssl);
    hm_policy_free(policy);
    return rc;
}

static bool
same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* What a reload cannot change: the socket, the token, the store, the thread counts. */
static const char *
restart_only_change(const struct hmd_config *a, const struct hmd_config *b)
{
    if (!same_str(a->listen, b->listen)) {
        return "listen";
    }
    if (!same_str(a->hsm_uri, b->hsm_uri) || a->hsm_sessions != b->hsm_sessions ||
        !same_str(a->softhsm2_conf, b->softhsm2_conf)) {
        return "hsm";
    }
    if (!same_str(a->tpm_uri, b->tpm_uri) || a->tpm_retry_ms != b->tpm_retry_ms) {
        return "tpm";
    }
    if (!same_str(a->store, b->store)) {
        return "store";
    }
    if (!hmd_tlog_cfg_same(a->tlog, b->tlog)) { /* config_tlog.c */
        return "tlog";
    }
    if (a->limits.workers != b->limits.workers || a->limits.io_threads != b->limits.io_threads) {
        return "limits.workers or limits.io_threads";
    }
    return NULL;
}

static void
reload(void)
{
    struct hmd_gen *old = hmd_gen_current();
    struct hmd_gen *gen = NULL;
    const char *what = NULL;
    char why[1024];

    hm_info("SIGHUP: reloading %s", srv.config_path);
    if (hmd_gen_load(srv.config_path, hmd.hsm, &gen, why, sizeof(why)) != HM_OK) {
        hm_error("reload refused, the running config stays in force: %s", why);
    } else if ((what = restart_only_change(old->cfg, gen->cfg)) != NULL) {
        hm_error("reload refused, the running config stays in force: %s changed, which "
                 "needs a restart",
                 what);
        hmd_gen_release(gen);
    } else {
        apply_log(gen->cfg);
        hmd_gen_install(gen); /* new connections and requests use it from now on */
        hm_info("reloaded %s: %zu products", srv.config_path, gen->cfg->n_products);
    }
    hmd_gen_release(old);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    (void)arg;
    if (sig == SIGHUP) {
        reload();
        return;
    }
    hm_info("%s: stopping: no new connections, finishing requests in flight",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
    atomic_store(&hmd.draining, true);
    if (srv.listener != NULL) {
        evconnlistener_free(srv.listener); /* closes the listening socket */
        srv.listener = NULL;
    }
    event_base_loopexit(srv.base, NULL);
}

static hm_err
start_threads(const struct hmd_config *cfg)
{
    hm_err rc;

    if ((rc = hmd_workers_start(cfg->limits.workers, cfg->limits.max_inflight)) != HM_OK) {
        return rc;
    }
    if ((srv.ios = calloc(cfg->limits.io_threads, sizeof(*srv.ios))) == NULL) {
        return HM_E_NOMEM;
    }
    for (; srv.n_ios < cfg->limits.io_threads; srv.n_ios++) {
        struct hmd_io *io = &srv.ios[srv.n_ios];
        if ((rc = hmd_io_init(io, srv.n_ios)) != HM_OK) {
            hmd_io_fini(io);
            return rc;
        }
        if (pthread_create(&io->thread, NULL, hmd_io_main, io) != 0) {
            hmd_io_fini(io);
            return HM_E_INTERNAL;
        }
    }
    return HM_OK;
}

static void
stop_threads(unsigned drain_ms)
{
    for (unsigned i = 0; i < srv.n_ios; i++) {
        hmd_io_drain(&srv.ios[i], drain_ms);
    }
    for (unsigned i = 0; i < srv.n_ios; i++) {
        pthread_join(srv.ios[i].thread, NULL);
    }
    hmd_workers_stop(); /* jobs still queued finish first */
    for (unsigned i = 0; i < srv.n_ios; i++) {
        hmd_io_fini(&srv.ios[i]);
    }
    free(srv.ios);
    srv.ios = NULL;
    srv.n_ios = 0;
}

static hm_err
open_backends(const struct hmd_config *cfg, char *why, size_t why_len)
{
    hm_err rc;

    if (cfg->softhsm2_conf != NULL && setenv("SOFTHSM2_CONF", cfg->softhsm2_conf, 1) != 0) {
        snprintf(why, why_len, "cannot set SOFTHSM2_CONF");
        return HM_E_INTERNAL;
    }
    if ((rc = hmd_privsep_open_hsm(cfg, &hmd.hsm, why, why_len)) != HM_OK) { /* privsep.c */
        return rc;
    }
    if ((rc = hmd_tpm_open(cfg, why, why_len)) != HM_OK) { /* config_tpm.c */
        return rc;
    }
    if ((rc = hm_store_open(cfg->store, &hmd.store)) != HM_OK) {
        snprintf(why, why_len, "%s: store: cannot open %s: %s", cfg->path, cfg->store,
                 hm_strerror(rc));
        return rc;
    }
    return HM_OK;
}

static hm_err
start_listening(const struct hmd_config *cfg, const char *port_file)
{
    unsigned port = 0;
    int fd = -1;
    hm_err rc;

    if ((rc = listen_socket(cfg->listen, &fd)) != HM_OK) {
        return rc;
    }
    if ((rc = write_port_file(fd, port_file, &port)) != HM_OK) {
        hm_error("cannot write the port file %s: %s", port_file, hm_strerror(rc));
        close(fd);
        return rc;
    }
    /* backlog 0: the socket already listens with 1024; -1 would make libevent call
     * listen(fd, 128) again, and a burst of connections then overflows the accept queue
     * and every client's SYN waits 1 s for a retransmit (tests/hostile). */
    srv.listener = evconnlistener_new(srv.base, on_accept, NULL,
                                      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
    if (srv.listener == NULL) {
        close(fd);
        return HM_E_IO;
    }
    hm_info("listening on %s (port %u), %u event loops, %u signing workers, %u HSM sessions",
            cfg->listen, port, cfg->limits.io_threads, cfg->limits.workers, cfg->hsm_sessions);
    return HM_OK;
}

static hm_err
add_signals(void)
{
    srv.sig_term = evsignal_new(srv.base, SIGTERM, on_signal, NULL);
    srv.sig_int = evsignal_new(srv.base, SIGINT, on_signal, NULL);
    srv.sig_hup = evsignal_new(srv.base, SIGHUP, on_signal, NULL);
    if (srv.sig_term == NULL || srv.sig_int == NULL || srv.sig_hup == NULL ||
        evsignal_add(srv.sig_term, NULL) != 0 || evsignal_add(srv.sig_int, NULL) != 0 ||
        evsignal_add(srv.sig_hup, NULL) != 0) {
        return HM_E_INTERNAL;
    }
    signal(SIGPIPE, SIG_IGN);
    return HM_OK;
}

static void
shutdown_all(unsigned drain_ms)
{
    if (srv.listener != NULL) {
        evconnlistener_free(srv.listener);
        srv.listener = NULL;
    }
    atomic_store(&hmd.draining, true);
    stop_threads(drain_ms);
    hm_store_close(hmd.store); /* drains the commit queue */
    hmd.store = NULL;
    hmd_tlog_stop();
    hm_hsm_close(hmd.hsm);
    hmd.hsm = NULL;
    hmd_tpm_close();
    struct event *sigs[] = { srv.sig_term, srv.sig_int, srv.sig_hup };
    for (size_t i = 0; i < 3; i++) {
        if (sigs[i] != NULL) {
            event_free(sigs[i]);
        }
    }
    srv.sig_term = srv.sig_int = srv.sig_hup = NULL;
    if (srv.base != NULL) {
        event_base_free(srv.base);
    }
    srv.base = NULL;
    hmd_gen_install(NULL);
}

hm_err
hmd_server_run(const char *config_path, const char *port_file)
{
    struct hmd_config *cfg0 = NULL;
    struct hmd_cfg_error cerr;
    struct hmd_gen *gen = NULL;
    char why[1024];
    hm_err rc;

    srv.config_path = config_path;
    if (evthread_use_pthreads() != 0 || (srv.base = event_base_new()) == NULL) {
        return HM_E_INTERNAL;
    }
    /* The config is read once to learn the token and the store, then again in full. */
    if ((rc = hmd_config_load(config_path, &cfg0, &cerr)) != HM_OK) {
        hmd_cfg_error_format(NULL, config_path, &cerr, why, sizeof(why));
        hm_error("%s", why);
        goto fail;
    }
    apply_log(cfg0);
    if ((rc = open_backends(cfg0, why, sizeof(why))) != HM_OK ||
        (rc = hmd_gen_load(config_path, hmd.hsm, &gen, why, sizeof(why))) != HM_OK) {
        hm_error("%s", why);
        goto fail;
    }
    const struct hmd_config *cfg = gen->cfg; /* valid while installed: no SIGHUP yet */
    unsigned drain_ms = cfg->limits.drain_timeout_ms;
    hmd_gen_install(gen);
    if ((rc = hmd_tlog_start(cfg, why, sizeof(why))) != HM_OK) { /* tlogd.c */
        hm_error("%s", why);
        goto fail;
    }
    if ((rc = start_threads(cfg)) != HM_OK || (rc = add_signals()) != HM_OK ||
        (rc = start_listening(cfg, port_file)) != HM_OK || (rc = hmd_privsep_drop(cfg)) != HM_OK) {
        hm_error("cannot start: %s", hm_strerror(rc));
        goto fail;
    }
    hmd_config_free(cfg0);
    cfg0 = NULL;
    event_base_dispatch(srv.base);
    shutdown_all(drain_ms);
    hm_info("stopped");
    return HM_OK;
fail:
    hmd_config_free(cfg0);
    shutdown_all(0);
    return rc;
}

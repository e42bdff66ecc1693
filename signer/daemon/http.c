/*
 * http.c: HTTPS connections on one event loop: TLS handshake, one request at a time,
 * replies, and the hand-over of POST /v1/sign to a worker.
 *
 * Why not evhttp: libevent 2.1's evhttp answers 411, 413 and malformed requests itself
 * with HTML bodies, accepts chunked bodies, and has no hook to change that.  Every
 * hallmarkd error is JSON and an oversized body is refused from its Content-Length
 * before a byte of it is read, so the server speaks HTTP/1.1 itself over
 * bufferevent_openssl (http_parse.c holds the parser).
 *
 * Limits against slow clients: the handshake must finish within read_timeout_ms of the
 * accept, and each request must then arrive whole within read_timeout_ms (counted from the
 * end of the handshake or of the previous reply) -- one deadline per phase, not an idle
 * timer, so a client trickling a byte a second still runs out of time; writes time out after
 * write_timeout_ms; the head is bounded by max_headers and the body by max_body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "http_int.h"

enum conn_state { C_HANDSHAKE, C_HEAD, C_BODY, C_BUSY, C_WRITING };

struct hmd_conn {
    struct hmd_conn *prev, *next;
    struct hmd_io *io;
    struct bufferevent *bev;
    struct event *deadline;
    enum conn_state state;
    struct hmd_identity *id;
    struct hmd_gen *gen; /* held for one request */
    struct hmd_http_head head;
    enum hmd_route route;
    struct hmd_reply pending; /* an error decided before the body was read */
    bool has_pending;
    bool is_worker; /* the request goes to a worker thread (hmd_route_is_worker) */
    bool close_after;
    bool dead; /* the socket is gone but a worker still holds the request */
    uint64_t t0;
};

atomic_uint hmd_open_conns;

static void conn_process(struct hmd_conn *c);

static void
conn_free(struct hmd_conn *c)
{
    struct hmd_io *io = c->io;

    if (c->bev != NULL) {
        SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
        if (ssl != NULL && c->state != C_HANDSHAKE) {
            (void)SSL_shutdown(ssl); /* best effort close_notify */
        }
        bufferevent_free(c->bev); /* closes the socket and frees the SSL */
        c->bev = NULL;
        atomic_fetch_sub(&hmd_open_conns, 1);
        hmd_metrics_connection(-1);
    }
    if (c->state == C_BUSY) {
        c->dead = true; /* the job's completion frees the rest */
        return;
    }
    event_free(c->deadline);
    hmd_identity_free(c->id);
    hmd_reply_reset(&c->pending);
    hmd_gen_release(c->gen);
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        io->conns = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    io->n_conns--;
    free(c);
    if (io->draining && io->n_conns == 0) {
        event_base_loopexit(io->base, NULL);
    }
}

static void
arm_deadline(struct hmd_conn *c)
{
    struct hmd_gen *g = hmd_gen_current();
    unsigned ms = g->cfg->limits.read_timeout_ms;
    struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

    hmd_gen_release(g);
    event_add(c->deadline, &tv);
}

static void
send_reply(struct hmd_conn *c, struct hmd_reply *r)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    const char *ctype = r->content_type != NULL ? r->content_type : "application/json";

    if (!c->head.keep_alive || r->close || atomic_load(&hmd.draining)) {
        c->close_after = true;
    }
    /* One buffer, one TLS record: a reply split over several small writes waits for
     * the peer's delayed ACK when Nagle's algorithm is on. */
    struct hm_buf b;
    hm_buf_init(&b, 0);
    hm_buf_printf(&b,
                  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                  "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
                  r->status, hmd_status_text(r->status), ctype, r->body_len);
    if (r->retry_after != 0) {
        hm_buf_printf(&b, "Retry-After: %u\r\n", r->retry_after);
    }
    if (r->allow != NULL) {
        hm_buf_printf(&b, "Allow: %s\r\n", r->allow);
    }
    if (r->headers != NULL) {
        hm_buf_puts(&b, r->headers);
    }
    hm_buf_printf(&b, "Connection: %s\r\n\r\n", c->close_after ? "close" : "keep-alive");
    if (r->body_len > 0) {
        hm_buf_append(&b, r->body, r->body_len);
    }
    if (hm_buf_status(&b) != HM_OK) {
        c->close_after = true; /* no memory for the reply: drop the connection */
    } else {
        evbuffer_add(out, b.data, b.len);
    }
    hm_buf_free(&b);
    hmd_metrics_request(c->route, r->status);
    hmd_access_log(c->id != NULL ? c->id->display : "-", c->head.method[0] ? c->head.method : "-",
                   c->head.path[0] ? c->head.path : "-", r->status,
                   r->product[0] ? r->product : NULL, r->version[0] ? r->version : NULL,
                   hmd_now_ns() - c->t0);
    hmd_reply_reset(r);
    hmd_gen_release(c->gen);
    c->gen = NULL;
    c->state = C_WRITING;
    event_del(c->deadline);
    bufferevent_disable(c->bev, EV_READ);
    bufferevent_enable(c->bev, EV_WRITE);
}

/* Errors decided before the body: without a usable length the rest of the stream
 * cannot be framed, so the connection closes. */
static void
reply_now(struct hmd_conn *c, struct hmd_reply *r, bool close)
{
    r->close = r->close || close;
    send_reply(c, r);
}

static void
sign_done(struct hmd_conn *c, struct hmd_job *job)
{
    if (c->dead) {
        c->state = C_HANDSHAKE; /* not busy any more: conn_free may finish */
        hmd_reply_reset(&job->reply);
        conn_free(c);
        return;
    }
    c->state = C_BODY;
    send_reply(c, &job->reply);
}

static void
job_run(struct hmd_job *job)
{
    struct hmd_conn *c = job->conn;
    struct hmd_io *io = c->io;
    struct hmd_audit_rec audit;
    const struct hmd_call call = { .route = job->route,
                                   .gen = job->gen,
                                   .id = job->id,
                                   .bearer = job->bearer,
                                   .path = job->path,
                                   .query = job->query,
                                   .body = job->body,
                                   .body_len = job->body_len };

    hmd_call_handle(&call, &job->reply, &audit);
    pthread_mutex_lock(&io->lock);
    job->next = io->done;
    io->done = job; /* the loop owns the job from here: touch it no more */
    pthread_mutex_unlock(&io->lock);
    event_active(io->wake, EV_READ, 0);
    hmd_sign_audit(&audit);
}

static void
job_free(struct hmd_job *job)
{
    if (job->bearer != NULL) {
        OPENSSL_cleanse(job->bearer, strlen(job->bearer));
    }
    free(job->bearer);
    free(job->path);
    free(job->query);
    free(job->body);
    free(job);
}

static void
start_job(struct hmd_conn *c, uint8_t *body, size_t len)
{
    struct hmd_job *job = calloc(1, sizeof(*job));
    struct hmd_reply r = { 0 };

    if (job != NULL) {
        job->body = body;
        body = NULL; /* the job owns it */
        job->path = strdup(c->head.path);
        job->query = strdup(c->head.query);
        job->bearer = c->head.has_bearer ? strdup(c->head.bearer) : NULL;
        OPENSSL_cleanse(c->head.bearer, sizeof(c->head.bearer));
    }
    if (job == NULL || job->path == NULL || job->query == NULL ||
        (c->head.has_bearer && job->bearer == NULL)) {
        free(body);
        if (job != NULL) {
            job_free(job);
        }
        hmd_reply_error(&r, 500, "internal", "out of memory");
        send_reply(c, &r);
        return;
    }
    job->conn = c;
    job->gen = c->gen;
    c->gen = NULL; /* the job holds the reference now; the reply gives it back */
    job->id = c->id;
    job->route = c->route;
    job->body_len = len;
    c->state = C_BUSY;
    bufferevent_disable(c->bev, EV_READ); /* one request at a time: nothing piles up */
    if (hmd_workers_submit(job, job_run) != HM_OK) {
        c->state = C_BODY;
        c->gen = job->gen;
        job_free(job);
        hmd_reply_error(&r, 503, "busy", "too many requests in flight; retry later");
        r.retry_after = 1;
        send_reply(c, &r);
    }
}

/* The job is done with its inputs; the reply goes out on the loop. */
void
hmd_io_finish_jobs(struct hmd_io *io)
{
    pthread_mutex_lock(&io->lock);
    struct hmd_job *job = io->done;
    io->done = NULL;
    pthread_mutex_unlock(&io->lock);
    while (job != NULL) {
        struct hmd_job *next = job->next;
        struct hmd_conn *c = job->conn;
        hmd_gen_release(job->gen);
        sign_done(c, job);
        job_free(job);
        job = next;
    }
}

static void
dispatch(struct hmd_conn *c, uint8_t *body, size_t len)
{
    struct hmd_request req = { .method = c->head.method,
                               .path = c->head.path,
                               .content_type = c->head.has_ct ? c->head.content_type : NULL,
                               .body = body,
                               .body_len = len,
                               .id = c->id };
    struct hmd_reply r = { 0 };

    if (c->has_pending) {
        c->has_pending = false;
        free(body);
        send_reply(c, &c->pending);
        return;
    }
    if (c->is_worker) {
        start_job(c, body, len);
        return;
    }
    (void)hmd_route_fast(&req, c->gen, &r, &c->route);
    free(body);
    send_reply(c, &r);
}

/* Checks that need only the head: route, method, identity, type, rate.  An error found
 * here is sent once the body (if any, and within the limit) has been read, so that the
 * connection stays usable. */
static void
head_checks(struct hmd_conn *c)
{
    struct hmd_request req = { .method = c->head.method,
                               .path = c->head.path,
                               .content_type = c->head.has_ct ? c->head.content_type : NULL,
                               .id = c->id,
                               .head_only = true };
    const struct hmd_limits *lim = &c->gen->cfg->limits;
    unsigned retry = 0;

    if (hmd_route_fast(&req, c->gen, &c->pending, &c->route)) {
        c->has_pending = true;
    }
    if (c->route != HMD_R_HEALTHZ && c->id != NULL &&
        !hmd_rate_take(c->id->display, lim->rate_per_client, &retry)) {
        hmd_metrics_rate_limited();
        hmd_reply_reset(&c->pending);
        hmd_reply_error(&c->pending, 429, "rate-limited",
                        "more than %u requests per second from %s", lim->rate_per_client,
                        c->id->display);
        c->pending.retry_after = retry;
        c->has_pending = true;
    }
    c->is_worker = hmd_route_is_worker(c->route) && !c->has_pending;
}

static void
on_head(struct hmd_conn *c, const char *buf, size_t len)
{
    struct hmd_reply r = { 0 };
    int st = hmd_http_parse_head(buf, len, &c->head);

    c->route = HMD_R_OTHER;
    c->gen = hmd_gen_current();
    if (st != 0) {
        hmd_reply_error(&r, st, st == 431 ? "headers-too-large" : "bad-request", "%s", c->head.why);
        reply_now(c, &r, true);
        return;
    }
    head_checks(c);
    const struct hmd_limits *lim = &c->gen->cfg->limits;
    if (c->head.has_te) {
        hmd_reply_error(&r, 411, "length-required",
                        "Transfer-Encoding is refused: send the body with Content-Length");
        reply_now(c, &r, true);
    } else if (c->is_worker && strcmp(c->head.method, "POST") == 0 && !c->head.has_cl) {
        hmd_reply_error(&r, 411, "length-required", "POST needs a Content-Length");
        reply_now(c, &r, true);
    } else if (c->head.content_length > lim->max_body) {
        hmd_reply_error(&r, 413, "body-too-large", "the body (%llu bytes) is over the limit of %zu",
                        (unsigned long long)c->head.content_length, lim->max_body);
        reply_now(c, &r, true);
    } else if (c->head.expect_continue && c->has_pending) {
        c->has_pending = false;
        reply_now(c, &c->pending, true); /* the client has not sent the body: don't wait */
    } else {
        if (c->head.expect_continue && c->head.content_length > 0) {
            evbuffer_add(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n", 25);
        }
        c->state = C_BODY;
        conn_process(c);
    }
    if (c->state == C_WRITING) {
        hmd_reply_reset(&c->pending);
        c->has_pending = false;
    }
}

static void
read_head(struct hmd_conn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    size_t have = evbuffer_get_length(in);
    struct hmd_gen *g = NULL;
    size_t max = 0;

    if (have == 0) {
        return;
    }
    g = hmd_gen_current();
    max = g->cfg->limits.max_headers;
    hmd_gen_release(g);
    struct evbuffer_ptr p = evbuffer_search(in, "\r\n\r\n", 4, NULL);
    if ((p.pos < 0 && have > max) || (p.pos >= 0 && (size_t)p.pos + 4 > max)) {
        struct hmd_reply r = { 0 };
        c->gen = hmd_gen_current();
        c->t0 = hmd_now_ns();
        hmd_reply_error(&r, 431, "headers-too-large", "the request head is over %zu bytes", max);
        reply_now(c, &r, true);
        return;
    }
    if (p.pos < 0) {
        return; /* wait for the rest of the head */
    }
    size_t hlen = (size_t)p.pos + 4;
    char *buf = malloc(hlen);
    if (buf == NULL) {
        conn_free(c);
        return;
    }
    evbuffer_remove(in, buf, hlen);
    c->t0 = hmd_now_ns();
    on_head(c, buf, hlen);
    free(buf);
}

static void
read_body(struct hmd_conn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    size_t need = (size_t)c->head.content_length;
    uint8_t *body = NULL;

    if (evbuffer_get_length(in) < need) {
        return;
    }
    if ((body = malloc(need + 1)) == NULL) {
        struct hmd_reply r = { 0 };
        hmd_reply_error(&r, 500, "internal", "out of memory");
        reply_now(c, &r, true);
        return;
    }
    if (need > 0) {
        evbuffer_remove(in, body, need);
    }
    body[need] = '\0';
    event_del(c->deadline);
    dispatch(c, body, need);
}

static void
conn_process(struct hmd_conn *c)
{
    if (c->state == C_HEAD) {
        read_head(c);
    } else if (c->state == C_BODY) {
        read_body(c);
    }
}

static void
on_read(struct bufferevent *bev, void *arg)
{
    (void)bev;
    conn_process(arg);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
    struct hmd_conn *c = arg;

    (void)bev;
    if (c->state != C_WRITING) {
        return;
    }
    if (c->close_after || c->io->draining) {
        conn_free(c);
        return;
    }
    memset(&c->head, 0, sizeof(c->head));
    c->state = C_HEAD;
    arm_deadline(c);
    bufferevent_enable(c->bev, EV_READ);
    conn_process(c); /* a pipelined request may be waiting */
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
    struct hmd_conn *c = arg;

    if (what & BEV_EVENT_CONNECTED) {
        X509 *peer = SSL_get0_peer_certificate(bufferevent_openssl_get_ssl(bev));
        /* The handshake verified the chain; an identity-less certificate gets 401. */
        if (hmd_identity_from_cert(peer, &c->id) != HM_OK) {
            c->id = NULL;
        }
        c->state = C_HEAD;
        /* The first request gets its own window: under load a handshake may use most of
         * its own, and its request, already sent, would otherwise be taken for an idle
         * connection and dropped without a reply. */
        arm_deadline(c);
        conn_process(c);
        return;
    }
    if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF | BEV_EVENT_TIMEOUT)) {
        conn_free(c);
    }
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct hmd_conn *c = arg;
    struct evbuffer *in = NULL;

    (void)fd;
    (void)what;
    in = bufferevent_get_input(c->bev);
    if (c->state == C_HEAD && evbuffer_get_length(in) == 0) {
        conn_free(c); /* idle keep-alive connection */
        return;
    }
    if (c->state == C_HEAD || c->state == C_BODY) {
        struct hmd_reply r = { 0 };
        if (c->gen == NULL) {
            c->gen = hmd_gen_current();
        }
        hmd_reply_error(&r, 408, "request-timeout", "the request did not arrive in time");
        reply_now(c, &r, true);
        return;
    }
    conn_free(c); /* the handshake did not finish in time */
}

void
hmd_io_accept(struct hmd_io *io, int fd)
{
    struct hmd_gen *g = hmd_gen_current();
    struct hmd_conn *c = calloc(1, sizeof(*c));
    SSL *ssl = NULL;
    unsigned ms = g->cfg->limits.write_timeout_ms;
    struct timeval wtv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

    if (c == NULL || (ssl = SSL_new(g->ssl)) == NULL ||
        (c->deadline = event_new(io->base, -1, 0, on_deadline, c)) == NULL ||
        (c->bev = bufferevent_openssl_socket_new(io->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                 BEV_OPT_CLOSE_ON_FREE)) == NULL) {
        if (c != NULL && c->deadline != NULL) {
            event_free(c->deadline);
        }
        SSL_free(ssl);
        free(c);
        close(fd);
        atomic_fetch_sub(&hmd_open_conns, 1);
        hmd_gen_release(g);
        return;
    }
    hmd_gen_release(g);
    hmd_metrics_connection(1);
    c->io = io;
    c->state = C_HANDSHAKE;
    c->next = io->conns;
    if (io->conns != NULL) {
        io->conns->prev = c;
    }
    io->conns = c;
    io->n_conns++;
    bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_set_timeouts(c->bev, NULL, &wtv);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    arm_deadline(c);
}

/* On drain: idle connections close now, busy ones after their reply. */
void
hmd_io_drain_conns(struct hmd_io *io)
{
    struct hmd_conn *c = io->conns;

    io->draining = true;
    while (c != NULL) {
        struct hmd_conn *next = c->next;
        bool idle =
            c->state == C_HANDSHAKE || (c->state == C_HEAD && c->bev != NULL &&
                                        evbuffer_get_length(bufferevent_get_input(c->bev)) == 0);
        if (idle) {
            conn_free(c);
        } else {
            c->close_after = true;
        }
        c = next;
    }
    if (io->n_conns == 0) {
        event_base_loopexit(io->base, NULL);
    }
}

/* After the loop stopped (drain timeout): frees what is left. */
void
hmd_io_free_conns(struct hmd_io *io)
{
    while (io->conns != NULL) {
        struct hmd_conn *c = io->conns;
        if (c->state == C_BUSY) {
            c->state = C_HANDSHAKE; /* the workers have stopped: nobody holds it */
        }
        c->dead = false;
        conn_free(c);
    }
}

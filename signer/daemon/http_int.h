/*
 * http_int.h: the event loops and connections (http.c, server.c).
 */
#ifndef HM_SIGNER_HTTP_INT_H
#define HM_SIGNER_HTTP_INT_H

#include <pthread.h>

#include "hmd.h"

struct event_base;
struct event;
struct hmd_conn;

/* One event-loop thread.  Other threads talk to it only through its queues and the
 * wake event (event_active is thread-safe once evthread_use_pthreads ran). */
struct hmd_io {
    unsigned index;
    pthread_t thread;
    struct event_base *base;
    struct event *wake;
    struct event *drain_timer;
    pthread_mutex_t lock;
    int *new_fds; /* accepted sockets handed over by the listener */
    size_t n_new_fds, cap_new_fds;
    struct hmd_job *done; /* finished sign jobs */
    bool drain;           /* set by the main thread under lock */
    unsigned drain_ms;
    bool draining; /* seen by this thread */
    struct hmd_conn *conns;
    size_t n_conns;
};

/* The head of one HTTP/1.1 request, as parsed by hmd_http_parse_head. */
#define HMD_MAX_TARGET  2048
#define HMD_MAX_HEADERS 100
#define HMD_MAX_BEARER  8192
struct hmd_http_head {
    char method[16];
    char path[HMD_MAX_TARGET + 1];  /* the target without its query */
    char query[HMD_MAX_TARGET + 1]; /* what follows '?', without it; "" when none */
    int minor;                      /* HTTP/1.<minor>: 0 or 1 */
    bool has_cl;
    uint64_t content_length;
    bool has_te;
    bool keep_alive;
    bool expect_continue;
    bool has_ct;
    char content_type[128];
    bool has_bearer;
    char bearer[HMD_MAX_BEARER + 1]; /* the token of "Authorization: Bearer"; never logged */
    unsigned n_headers;
    const char *why; /* reason of a refusal */
};
/* Parses buf[0..len) (the request line and headers, ending in CRLF CRLF).  Returns 0
 * or the HTTP status that refuses it (400, 431, 505) with head->why. */
int hmd_http_parse_head(const char *buf, size_t len, struct hmd_http_head *head);

HM_MUST_CHECK hm_err hmd_io_init(struct hmd_io *io, unsigned index);
void hmd_io_fini(struct hmd_io *io);
/* Hands an accepted socket to io (from the listener thread). */
void hmd_io_give_fd(struct hmd_io *io, int fd);
/* Asks io to stop taking requests and exit once its connections are done. */
void hmd_io_drain(struct hmd_io *io, unsigned timeout_ms);
void *hmd_io_main(void *arg);
/* http.c, on io's own thread: */
void hmd_io_accept(struct hmd_io *io, int fd);
void hmd_io_finish_jobs(struct hmd_io *io);
void hmd_io_drain_conns(struct hmd_io *io);
void hmd_io_free_conns(struct hmd_io *io);

extern atomic_uint hmd_open_conns;

#endif /* HM_SIGNER_HTTP_INT_H */

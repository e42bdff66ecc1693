/*
 * hostile.h: the hostile-client test tool (tests/hostile): shared helpers and the attack
 * groups, one file each.
 */
#ifndef HM_TESTS_HOSTILE_H
#define HM_TESTS_HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct hostile_opts {
    uint16_t port;
    const char *pki;     /* ca.pem, ci-acme, expired, revoked, evil (.pem + .key) */
    unsigned idle;       /* idle connections to open at once */
    unsigned timeout_ms; /* the daemon's read_timeout_ms */
};
extern struct hostile_opts HO;

struct hostile_reply {
    int status;      /* 0: no reply (closed, reset or timed out first) */
    bool close;      /* Connection: close */
    char error[64];  /* the JSON "error" code */
    char raw[16384]; /* head and (the start of) the body */
};

void hostile_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hostile_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double hostile_now(void);
int hostile_tcp(void);
SSL_CTX *hostile_ctx(const char *name, int min_version, int max_version);
SSL *hostile_tls(SSL_CTX *ctx);
void hostile_close(SSL *ssl);
int hostile_send(SSL *ssl, const void *buf, size_t len);
int hostile_read_reply(SSL *ssl, struct hostile_reply *r);
bool hostile_closed(SSL *ssl);
bool hostile_healthy(void);
void hostile_check_health(const char *after);

/* Good clients (goodclients.c): one phase's counts; lat holds the 200s' latencies (s). */
struct hostile_phase {
    unsigned long requests, ok, errors;
    int first_error; /* the first non-200 status (-1: no reply) */
    double *lat;
    size_t n_lat, cap_lat;
};
bool hostile_good_start(unsigned n);
void hostile_good_phase(int phase); /* 0: before the attack, 1: during it */
void hostile_good_stop(struct hostile_phase out[2]);
double hostile_pct_ms(const struct hostile_phase *p, double q);

/* The attack groups. */
void hostile_attack_tls(void);  /* attacks_tls.c */
void hostile_attack_http(void); /* attacks_http.c */
void hostile_attack_json(void); /* attacks_http.c */
void hostile_attack_slow(void); /* attacks_slow.c */
void hostile_attack_idle(void); /* attacks_slow.c */

#endif /* HM_TESTS_HOSTILE_H */

/*
 * privsep_helper.c: hallmark-hsm-helper, the process that holds the token (docs/privsep.md).
 *
 *   hallmark-hsm-helper [--spawner] --uri URI --channels N [--user USER]
 *                       [--seccomp kill|trap|off]
 *
 * The channels are the socketpair ends on fds 3 .. 3+N-1 (the daemon puts them there).
 * Order: close every other fd, no core dumps, open the token (reads the PIN once, wipes
 * it), list the keys and read their evidence (attributes, token info: public facts the
 * LIST reply carries), drop privileges, start one thread per channel (each waits), install
 * the seccomp filter on every thread at once, then serve.  A malformed request ends the
 * process: the daemon restarts it, and a daemon that sends garbage has a bug.
 */
#include <errno.h>
#include <hm/keyevidence.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "hsm_int.h"
#include "privsep_int.h"

#define HELPER_MAX_CHANNELS 256

struct chan_ctx {
    const struct hm_ps_served *served;
    int fd;
    pthread_t th;
    bool started;
};

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open;         /* 0 wait, 1 serve, -1 quit */
static unsigned gate_waiting; /* threads that reached the gate */

/* Ends the process at once: exit()'s handlers (OpenSSL, the module's destructors, a
 * sanitizer's leak check) may make calls the seccomp filter forbids. */
static void
die_now(int code)
{
    (void)syscall(SYS_exit_group, code);
    _exit(code); /* not reached */
}

/* One key the helper serves, with what the token said about it at start. */
struct served_key {
    struct hm_key *key;
    uint8_t id[HM_PS_KEYID_LEN]; /* SHA-256 of the SPKI: the SIGN request's key id */
    bool has_ev;
    struct hm_keyatt_pkcs11 ev;
};

struct hm_ps_served {
    struct hm_hsm *hsm;
    struct served_key *keys;
    size_t n;
};

/* Only what the parser on the other side accepts goes out (a key that does not fit is
 * left out of the list, its evidence is dropped): one bad field must not take every key
 * down with it. */
static bool
fits(const struct hm_key *k)
{
    return k->spki_len > 0 && k->spki_len <= HM_PS_MAX_SPKI &&
           strlen(k->label) <= HM_PS_MAX_LABEL && k->ckid_len <= HM_PS_MAX_CKID &&
           strlen(k->uri) <= HM_PS_MAX_URI;
}

static bool
text_ok(const char *t)
{
    size_t n = strnlen(t, HM_KEYATT_TEXT_MAX + 1);

    return n <= HM_KEYATT_TEXT_MAX && ps_printable((const uint8_t *)t, n);
}

static bool
ev_ok(const struct hm_keyatt_pkcs11 *e)
{
    return text_ok(e->token_label) && text_ok(e->manufacturer) && text_ok(e->model) &&
           text_ok(e->serial) && text_ok(e->library_description) &&
           text_ok(e->library_manufacturer);
}

/* The key's PKCS#11 evidence, as `hallmark keys attest` reads it (the nonce only binds a
 * statement, which the daemon makes later with its own). */
static void
read_evidence(struct served_key *sk)
{
    static const uint8_t nonce[1] = { 0 };
    struct hm_keyatt *ka = NULL;
    hm_err err;

    if (strcmp(hm_key_backend(sk->key), "pkcs11") != 0) {
        return;
    }
    if ((err = hm_key_attest(sk->key, nonce, sizeof(nonce), &ka)) != HM_OK) {
        hm_warn("hsm-helper: no evidence for key %s: %s", sk->key->id, hm_strerror(err));
        return;
    }
    if (ka->evidence == HM_KEYATT_PKCS11_SELF_ASSERTED && ev_ok(&ka->pkcs11)) {
        sk->ev = ka->pkcs11;
        sk->has_ev = true;
    }
    hm_verify_keyatt_free(ka);
}

hm_err
hm_ps_served_new(struct hm_hsm *hsm, struct hm_ps_served **out)
{
    struct hm_ps_served *s = NULL;
    size_t n = 0;

    *out = NULL;
    for (struct hm_key *k = hsm->keys; k != NULL; k = k->next) {
        n += fits(k) && n < HM_PS_MAX_KEYS ? 1 : 0;
    }
    if ((s = calloc(1, sizeof(*s))) == NULL ||
        (n > 0 && (s->keys = calloc(n, sizeof(*s->keys))) == NULL)) {
        free(s);
        return HM_E_NOMEM;
    }
    s->hsm = hsm;
    for (struct hm_key *k = hsm->keys; k != NULL && s->n < n; k = k->next) {
        if (fits(k)) {
            struct served_key *sk = &s->keys[s->n++];
            sk->key = k;
            SHA256(k->spki, k->spki_len, sk->id);
            read_evidence(sk);
        }
    }
    *out = s;
    return HM_OK;
}

void
hm_ps_served_free(struct hm_ps_served *s)
{
    if (s != NULL) {
        free(s->keys);
        free(s);
    }
}

static struct hm_key *
key_by_id(const struct hm_ps_served *s, const uint8_t *id)
{
    for (size_t i = 0; i < s->n; i++) {
        if (memcmp(s->keys[i].id, id, HM_PS_KEYID_LEN) == 0) {
            return s->keys[i].key;
        }
    }
    return NULL;
}

static void
reply_keys(const struct hm_ps_served *s, struct hm_buf *reply)
{
    uint8_t hdr[3] = { HM_PS_KEYS, (uint8_t)(s->n >> 8), (uint8_t)s->n };

    hm_buf_append(reply, hdr, sizeof(hdr));
    for (size_t i = 0; i < s->n; i++) {
        const struct served_key *sk = &s->keys[i];
        const struct hm_key *k = sk->key;
        hm_ps_put_key(reply, (uint8_t)k->alg, k->spki, k->spki_len, k->label, k->ckid, k->ckid_len,
                      k->uri, sk->has_ev ? &sk->ev : NULL);
    }
}

bool
hm_ps_serve_one(const struct hm_ps_served *s, const uint8_t *req, size_t len, struct hm_buf *reply)
{
    struct hm_ps_msg m;
    const char *reason = NULL;
    struct hm_key *key = NULL;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    hm_err err;

    if ((err = hm_ps_parse(req, len, true, &m, &reason)) != HM_OK) {
        hm_error("hsm-helper: malformed request (%s): exiting", reason);
        return false;
    }
    if (m.type == HM_PS_LIST) {
        reply_keys(s, reply);
        return true;
    }
    if ((key = key_by_id(s, m.key_id)) == NULL) {
        hm_ps_put_err(reply, HM_E_NOTFOUND);
        return true;
    }
    if (key->alg == HM_KEY_ED25519) {
        err = hm_key_sign(key, m.data, m.data_len, HM_SIG_RAW, &sig, &sig_len);
    } else {
        err = hm_key_sign_digest(key, m.data, m.data_len, HM_SIG_RAW, &sig, &sig_len);
    }
    if (err == HM_OK && (sig_len == 0 || sig_len > HM_PS_MAX_SIG)) {
        err = HM_E_INTERNAL;
    }
    if (err == HM_OK) {
        hm_ps_put_sig(reply, sig, sig_len);
    } else {
        hm_ps_put_err(reply, err);
    }
    free(sig);
    return true;
}

static void *
chan_main(void *arg)
{
    struct chan_ctx *c = arg;
    uint8_t *req = NULL;
    size_t len = 0;
    bool eof = false;
    hm_err err;

    pthread_mutex_lock(&gate_mu);
    gate_waiting++;
    pthread_cond_broadcast(&gate_cv);
    while (gate_open == 0) {
        pthread_cond_wait(&gate_cv, &gate_mu);
    }
    pthread_mutex_unlock(&gate_mu);
    while (gate_open > 0) {
        struct hm_buf reply;
        if ((err = hm_ps_read_frame(c->fd, HM_PS_MAX_FRAME, &req, &len, &eof)) != HM_OK) {
            if (!eof) {
                hm_error("hsm-helper: bad frame on a channel (%s): exiting", hm_strerror(err));
                die_now(3);
            }
            break; /* the daemon closed this channel */
        }
        hm_buf_init(&reply, HM_PS_MAX_FRAME);
        if (!hm_ps_serve_one(c->served, req, len, &reply)) {
            die_now(3);
        }
        free(req);
        req = NULL;
        if (hm_buf_status(&reply) != HM_OK ||
            hm_ps_write_frame(c->fd, reply.data, reply.len) != HM_OK) {
            hm_buf_free(&reply);
            break;
        }
        hm_buf_free(&reply);
    }
    return NULL;
}

static void
open_gate(int v)
{
    pthread_mutex_lock(&gate_mu);
    gate_open = v;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static hm_err
start_channels(const struct hm_ps_served *served, const struct hm_ps_helper_opts *o,
               struct chan_ctx *cs)
{
    for (unsigned i = 0; i < o->n_fds; i++) {
        cs[i].served = served;
        cs[i].fd = o->fds[i];
        if (pthread_create(&cs[i].th, NULL, chan_main, &cs[i]) != 0) {
            return HM_E_INTERNAL;
        }
        cs[i].started = true;
    }
    /* A new thread makes set-up calls (rseq, set_robust_list) that the filter does not
     * allow: install it only once every thread waits at the gate. */
    pthread_mutex_lock(&gate_mu);
    while (gate_waiting < o->n_fds) {
        pthread_cond_wait(&gate_cv, &gate_mu);
    }
    pthread_mutex_unlock(&gate_mu);
    return HM_OK;
}

int
hm_ps_helper_run(const struct hm_ps_helper_opts *o)
{
    /* A short re-open budget: the thread that re-opens the token answers within ~1 s,
     * well inside the daemon's sign_timeout_ms; others get HM_E_UNAVAILABLE at once. */
    struct hm_hsm_opts ho = { .sessions = o->n_fds, .retry_budget_ms = 1000 };
    struct hm_hsm *hsm = NULL;
    struct hm_key **keys = NULL;
    struct hm_ps_served *served = NULL;
    struct chan_ctx *cs = NULL;
    size_t n = 0;
    int code = 1;
    hm_err err;

    hm_process_harden();
    if (o->n_fds == 0 || o->n_fds > HELPER_MAX_CHANNELS ||
        (cs = calloc(o->n_fds, sizeof(*cs))) == NULL) {
        return 2;
    }
    if ((err = hm_hsm_open(o->uri, &ho, &hsm)) != HM_OK ||
        (err = hm_hsm_list_keys(hsm, &keys, &n)) != HM_OK) {
        hm_error("hsm-helper: cannot open the token: %s", hm_strerror(err));
        goto out;
    }
    free(keys); /* the keys stay registered in hsm->keys */
    /* the key evidence is read here, once: the token is open and no filter is on yet */
    if ((err = hm_ps_served_new(hsm, &served)) != HM_OK) {
        goto out;
    }
    if ((err = hm_privsep_drop(o->user)) != HM_OK) {
        hm_error("hsm-helper: cannot drop privileges: %s", hm_strerror(err));
        goto out;
    }
    if ((err = start_channels(served, o, cs)) != HM_OK) {
        goto out;
    }
    if (o->seccomp != 0 && o->sandbox != NULL && (err = o->sandbox(o->seccomp)) != HM_OK) {
        hm_error("hsm-helper: cannot install the seccomp filter: %s", hm_strerror(err));
        goto out;
    }
    hm_info("hsm-helper: %zu key(s), %u channel(s), seccomp %s", n, o->n_fds,
            o->seccomp == 0 ? "off" : "on");
    if (o->test_forbidden) {
        /* test hook: a system call no allow-list has; the filter must end the process */
        long r = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
        hm_error("hsm-helper: the forbidden call returned %ld: no filter", r);
    }
    open_gate(1);
    code = 0;
out:
    if (code != 0) {
        open_gate(-1);
    }
    for (unsigned i = 0; cs != NULL && i < o->n_fds; i++) {
        if (cs[i].started) {
            pthread_join(cs[i].th, NULL);
        }
    }
    free(cs);
    hm_ps_served_free(served);
    /* No hm_hsm_close: C_Finalize may need calls the filter forbids; exit ends it all. */
    (void)hsm;
    return code;
}

static int
parse_seccomp(const char *v)
{
    if (strcmp(v, "off") == 0) {
        return 0;
    }
    if (strcmp(v, "kill") == 0) {
        return 1;
    }
    if (strcmp(v, "trap") == 0) {
        return 2;
    }
    return -1;
}

int
hm_ps_helper_main(int argc, char **argv, hm_err (*sandbox)(int mode))
{
    struct hm_ps_helper_opts o = { .seccomp = 1, .sandbox = sandbox };
    int fds[HELPER_MAX_CHANNELS];
    long nch = 0;
    int first = 1;
    bool spawner = argc > 1 && strcmp(argv[1], "--spawner") == 0;

    if (spawner) {
        first = 2; /* the rest is the helpers' argv, checked here as theirs */
    }
    for (int i = first; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--test-forbidden-syscall") == 0) {
            o.test_forbidden = true;
            continue;
        }
        if (v == NULL) {
            fprintf(stderr, "hallmark-hsm-helper: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--uri") == 0) {
            o.uri = v;
        } else if (strcmp(a, "--user") == 0) {
            o.user = v;
        } else if (strcmp(a, "--channels") == 0) {
            nch = strtol(v, NULL, 10);
        } else if (strcmp(a, "--seccomp") == 0 && (o.seccomp = parse_seccomp(v)) >= 0) {
            continue;
        } else {
            fprintf(stderr, "hallmark-hsm-helper: bad argument %s (it is started by hallmarkd)\n",
                    a);
            return 2;
        }
    }
    if (o.uri == NULL || nch < 1 || nch > HELPER_MAX_CHANNELS) {
        fprintf(stderr, "usage: hallmark-hsm-helper [--spawner] --uri URI --channels N "
                        "[--user USER] [--seccomp kill|trap|off]\n");
        return 2;
    }
    if (spawner) {
        /* argv without "--spawner": argv[1] moves out, argv[0] stays */
        argv[1] = argv[0];
        return hm_ps_spawner_run(argv + 1, (unsigned)nch);
    }
    for (long i = 0; i < nch; i++) {
        fds[i] = (int)(3 + i);
    }
    /* Nothing of the daemon's but the channels: no listening socket, no store. */
    ps_close_from((int)(3 + nch));
    o.fds = fds;
    o.n_fds = (unsigned)nch;
    return hm_ps_helper_run(&o);
}

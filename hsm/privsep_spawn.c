/*
 * privsep_spawn.c: starting hallmark-hsm-helper and keeping it running (hm/privsep.h).
 *
 * posix_spawn (no fork of a threaded process) with the child's channel ends dup2'ed to
 * fds 3..3+N-1; every other fd of ours is close-on-exec or closed by the helper.  A
 * supervisor thread waits for the helper to exit, waits until no signing thread holds a
 * channel, closes them, and starts a new helper after a backoff that doubles from 100 ms
 * up to restart_max_ms (reset once a helper lived 10 s).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "privsep_client.h"

extern char **environ;

#define PS_BACKOFF_FIRST_MS 100
#define PS_STABLE_MS        10000

static uint64_t
mono_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void
close_all(int *fds, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
}

/* Makes the socketpairs: ours[] close-on-exec, theirs[] at fds >= 3+n so that the dup2 to
 * 3..3+n-1 in the child never overwrites one not yet moved. */
static hm_err
make_pairs(struct ps_hsm *ps, int *ours, int *theirs)
{
    struct timeval tv = { (time_t)(ps->timeout_ms / 1000), (long)(ps->timeout_ms % 1000) * 1000 };

    for (unsigned i = 0; i < ps->nch; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
            return HM_E_IO;
        }
        ours[i] = sv[0];
        theirs[i] = fcntl(sv[1], F_DUPFD_CLOEXEC, (int)(3 + ps->nch));
        close(sv[1]);
        if (theirs[i] < 0 || setsockopt(ours[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
            setsockopt(ours[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
            return HM_E_IO;
        }
    }
    return HM_OK;
}

/* The helper's argv (argv[0] is its path), with "--spawner" first when spawner is true. */
static void
helper_argv(const struct ps_hsm *ps, bool spawner, char nbuf[16], const char *argv[16])
{
    int argc = 0;

    snprintf(nbuf, 16, "%u", ps->nch);
    argv[argc++] = ps->helper_path;
    if (spawner) {
        argv[argc++] = "--spawner";
    }
    argv[argc++] = "--uri";
    argv[argc++] = ps->uri;
    argv[argc++] = "--channels";
    argv[argc++] = nbuf;
    argv[argc++] = "--seccomp";
    argv[argc++] = ps->seccomp == 0 ? "off" : ps->seccomp == 2 ? "trap" : "kill";
    if (ps->user != NULL) {
        argv[argc++] = "--user";
        argv[argc++] = ps->user;
    }
    if (ps->test_forbidden) {
        argv[argc++] = "--test-forbidden-syscall";
    }
    argv[argc] = NULL;
}

static hm_err
run_child(struct ps_hsm *ps, const int *theirs, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    char nbuf[16];
    const char *argv[16];
    int rc;

    if (ps->sp_fd >= 0) {
        return ps_spawner_spawn(ps, theirs, pid);
    }
    helper_argv(ps, false, nbuf, argv);
    if (posix_spawn_file_actions_init(&fa) != 0) {
        return HM_E_NOMEM;
    }
    for (unsigned i = 0; i < ps->nch; i++) {
        (void)posix_spawn_file_actions_adddup2(&fa, theirs[i], (int)(3 + i));
    }
    rc = posix_spawn(pid, ps->helper_path, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        hm_error("privsep: cannot start %s: %s", ps->helper_path, strerror(rc));
        return HM_E_IO;
    }
    return HM_OK;
}

void
ps_kill(struct ps_hsm *ps, pid_t pid, int sig)
{
    if (ps->sp_fd >= 0) {
        ps_spawner_signal(ps, pid, sig);
    } else {
        (void)kill(pid, sig);
    }
}

static char *
dup_n(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);

    if (s != NULL) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

static void
free_keys(struct ps_key *keys, size_t n)
{
    for (size_t i = 0; keys != NULL && i < n; i++) {
        free(keys[i].spki);
        free(keys[i].label);
        free(keys[i].ckid);
        free(keys[i].uri);
    }
    free(keys);
}

static hm_err
copy_keys(struct ps_hsm *ps, const struct hm_ps_msg *m)
{
    struct ps_key *keys = NULL;

    if (m->n_keys > 0 && (keys = calloc(m->n_keys, sizeof(*keys))) == NULL) {
        return HM_E_NOMEM;
    }
    for (size_t i = 0; i < m->n_keys; i++) {
        const struct hm_ps_key *w = &m->keys[i];
        struct ps_key *k = &keys[i];
        k->alg = (enum hm_key_alg)w->alg;
        k->spki_len = w->spki_len;
        k->ckid_len = w->ckid_len;
        if ((k->spki = malloc(w->spki_len)) == NULL ||
            (k->label = dup_n(w->label, w->label_len)) == NULL ||
            (k->ckid = malloc(w->ckid_len + 1)) == NULL ||
            (k->uri = dup_n(w->uri, w->uri_len)) == NULL) {
            free_keys(keys, i + 1);
            return HM_E_NOMEM;
        }
        memcpy(k->spki, w->spki, w->spki_len);
        if (w->ckid_len > 0) {
            memcpy(k->ckid, w->ckid, w->ckid_len);
        }
        k->has_ev = w->ev == HM_PS_EV_PKCS11;
        k->ev = w->p11; /* parsed strictly: bounded, printable texts */
    }
    ps->keys = keys;
    ps->n_keys = m->n_keys;
    return HM_OK;
}

/* LIST on channel 0: the helper is up when it answers.  The first answer is kept. */
static hm_err
handshake(struct ps_hsm *ps, int fd)
{
    struct hm_buf req;
    struct hm_ps_msg m = { 0 };
    uint8_t *body = NULL, t = HM_PS_LIST;
    bool broken = false;
    hm_err err;

    hm_buf_init(&req, 16);
    hm_buf_append(&req, &t, 1);
    err = ps_call(fd, &req, &m, &body, &broken);
    hm_buf_free(&req);
    if (err == HM_OK && m.type != HM_PS_KEYS) {
        err = m.type == HM_PS_ERR ? (hm_err)m.err : HM_E_UNAVAILABLE;
    }
    if (err == HM_OK && ps->keys == NULL) {
        err = copy_keys(ps, &m);
    }
    hm_ps_msg_clear(&m);
    free(body);
    return err;
}

static void
log_death(pid_t pid, int st)
{
    if (st == -1) {
        hm_error("privsep: the helper (pid %d) is lost with the spawner", (int)pid);
    } else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS) {
        hm_error("privsep: the helper (pid %d) was killed by its seccomp filter (SIGSYS)",
                 (int)pid);
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == HM_PS_EXIT_SECCOMP) {
        hm_error("privsep: the helper (pid %d) made a forbidden system call (seccomp)", (int)pid);
    } else if (WIFSIGNALED(st)) {
        hm_error("privsep: the helper (pid %d) died of signal %d", (int)pid, WTERMSIG(st));
    } else {
        hm_error("privsep: the helper (pid %d) exited with status %d", (int)pid, WEXITSTATUS(st));
    }
}

/* The helper's exit status (waitpid, or the spawner's report; -1: the spawner is gone). */
static int
reap_status(struct ps_hsm *ps, pid_t pid)
{
    int st = 0;

    if (ps->sp_fd >= 0) {
        return ps_spawner_wait(ps, pid);
    }
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return st;
}

/* Starts one helper and installs its channels (ps->up).  Not under ps->lock. */
static hm_err
spawn_once(struct ps_hsm *ps)
{
    int *ours = calloc(ps->nch, sizeof(int)), *theirs = calloc(ps->nch, sizeof(int));
    pid_t pid = 0;
    hm_err err = HM_E_NOMEM;

    if (ours == NULL || theirs == NULL) {
        goto out;
    }
    for (unsigned i = 0; i < ps->nch; i++) {
        ours[i] = theirs[i] = -1;
    }
    if ((err = make_pairs(ps, ours, theirs)) != HM_OK ||
        (err = run_child(ps, theirs, &pid)) != HM_OK) {
        goto out;
    }
    close_all(theirs, ps->nch);
    if ((err = handshake(ps, ours[0])) != HM_OK) {
        hm_error("privsep: the helper did not come up: %s", hm_strerror(err));
        ps_kill(ps, pid, SIGKILL);
        log_death(pid, reap_status(ps, pid));
        goto out;
    }
    pthread_mutex_lock(&ps->lock);
    memcpy(ps->fds, ours, ps->nch * sizeof(int));
    memset(ps->busy, 0, ps->nch * sizeof(bool));
    ps->nfree = ps->nch;
    ps->pid = pid;
    ps->gen++;
    ps->up = !ps->stopping;
    pthread_cond_broadcast(&ps->cond_free);
    pthread_mutex_unlock(&ps->lock);
    for (unsigned i = 0; i < ps->nch; i++) {
        ours[i] = -1; /* ps owns them now */
    }
    hm_info("privsep: hallmark-hsm-helper running (pid %d, %u channel(s))", (int)pid, ps->nch);
out:
    if (ours != NULL) {
        close_all(ours, ps->nch);
    }
    if (theirs != NULL) {
        close_all(theirs, ps->nch);
    }
    free(ours);
    free(theirs);
    return err;
}

/* Sleeps ms unless close() is called; true when stopping. */
static bool
backoff_wait(struct ps_hsm *ps, unsigned ms)
{
    struct timespec dl;
    bool stop;

    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += ms / 1000;
    dl.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&ps->lock);
    while (!ps->stopping && pthread_cond_timedwait(&ps->cond_stop, &ps->lock, &dl) == 0) {
    }
    stop = ps->stopping;
    pthread_mutex_unlock(&ps->lock);
    return stop;
}

/* The helper is gone: wait until no thread holds a channel, then close them. */
static void
retire(struct ps_hsm *ps)
{
    pthread_mutex_lock(&ps->lock);
    ps->up = false;
    ps->pid = 0;
    pthread_cond_broadcast(&ps->cond_free);
    while (ps->nfree < ps->nch) {
        pthread_cond_wait(&ps->cond_free, &ps->lock);
    }
    close_all(ps->fds, ps->nch);
    pthread_mutex_unlock(&ps->lock);
}

static void *
supervise(void *arg)
{
    struct ps_hsm *ps = arg;
    unsigned backoff = PS_BACKOFF_FIRST_MS;
    uint64_t started = mono_ms();

    for (;;) {
        pthread_mutex_lock(&ps->lock);
        pid_t pid = ps->pid;
        pthread_mutex_unlock(&ps->lock);
        int st = reap_status(ps, pid);
        pthread_mutex_lock(&ps->lock);
        bool stopping = ps->stopping;
        pthread_mutex_unlock(&ps->lock);
        if (!stopping) {
            log_death(pid, st);
        }
        retire(ps);
        if (mono_ms() - started >= PS_STABLE_MS) {
            backoff = PS_BACKOFF_FIRST_MS;
        }
        for (;;) {
            pthread_mutex_lock(&ps->lock);
            stopping = ps->stopping;
            pthread_mutex_unlock(&ps->lock);
            if (stopping) {
                return NULL;
            }
            hm_warn("privsep: restarting the helper in %u ms", backoff);
            if (backoff_wait(ps, backoff)) {
                return NULL;
            }
            backoff = backoff * 2 > ps->restart_max_ms ? ps->restart_max_ms : backoff * 2;
            if (spawn_once(ps) == HM_OK) {
                break;
            }
        }
        started = mono_ms();
        pthread_mutex_lock(&ps->lock);
        ps->restarts++;
        bool stop = ps->stopping;
        pthread_mutex_unlock(&ps->lock);
        if (stop) {
            return NULL;
        }
    }
}

static void
ps_free(struct ps_hsm *ps)
{
    ps_spawner_stop(ps);
    free(ps->helper_path);
    free(ps->uri);
    free(ps->user);
    if (ps->fds != NULL) {
        close_all(ps->fds, ps->nch);
    }
    free(ps->fds);
    free(ps->busy);
    free_keys(ps->keys, ps->n_keys);
    pthread_mutex_destroy(&ps->lock);
    pthread_cond_destroy(&ps->cond_free);
    pthread_cond_destroy(&ps->cond_stop);
    free(ps);
}

void
ps_close(struct hm_hsm *hsm)
{
    struct ps_hsm *ps = (struct ps_hsm *)hsm;
    pid_t pid;

    pthread_mutex_lock(&ps->lock);
    ps->stopping = true;
    ps->up = false;
    pid = ps->pid;
    pthread_cond_broadcast(&ps->cond_stop);
    pthread_cond_broadcast(&ps->cond_free);
    pthread_mutex_unlock(&ps->lock);
    if (pid > 0) {
        ps_kill(ps, pid, SIGTERM);
    }
    if (ps->sup_started) {
        pthread_join(ps->sup, NULL);
        pthread_mutex_lock(&ps->lock);
        pid = ps->pid; /* one the supervisor started while we were stopping */
        pthread_mutex_unlock(&ps->lock);
        if (pid > 0) {
            ps_kill(ps, pid, SIGTERM);
            (void)reap_status(ps, pid);
        }
    } else if (pid > 0) {
        (void)reap_status(ps, pid);
    }
    ps_free(ps);
}

static hm_err
ps_new(const struct hm_privsep_opts *o, struct ps_hsm **out)
{
    struct ps_hsm *ps = calloc(1, sizeof(*ps));

    *out = NULL;
    if (ps == NULL) {
        return HM_E_NOMEM;
    }
    ps->sp_fd = -1;
    pthread_mutex_init(&ps->lock, NULL);
    pthread_cond_init(&ps->cond_free, NULL);
    pthread_cond_init(&ps->cond_stop, NULL);
    ps->base.ops = ps_backend_ops();
    ps->nch = o->channels > 0 ? o->channels : 1;
    ps->seccomp = o->seccomp;
    ps->test_forbidden = o->test_forbidden;
    ps->timeout_ms = o->sign_timeout_ms > 0 ? o->sign_timeout_ms : 5000;
    ps->restart_max_ms = o->restart_max_ms > 0 ? o->restart_max_ms : 5000;
    if ((ps->helper_path = strdup(o->helper_path)) == NULL || (ps->uri = strdup(o->uri)) == NULL ||
        (o->user != NULL && (ps->user = strdup(o->user)) == NULL) ||
        (ps->fds = malloc(ps->nch * sizeof(int))) == NULL ||
        (ps->busy = calloc(ps->nch, sizeof(bool))) == NULL) {
        ps_free(ps);
        return HM_E_NOMEM;
    }
    for (unsigned i = 0; i < ps->nch; i++) {
        ps->fds[i] = -1;
    }
    *out = ps;
    return HM_OK;
}

hm_err
hm_privsep_start(const struct hm_privsep_opts *o, struct hm_hsm **out)
{
    struct ps_hsm *ps = NULL;
    hm_err err;

    *out = NULL;
    if (o == NULL || o->helper_path == NULL || o->uri == NULL || o->channels > 256) {
        return HM_E_INVALID;
    }
    if ((err = ps_new(o, &ps)) != HM_OK) {
        return err;
    }
    if (ps->user != NULL && ps->user[0] != '\0' && geteuid() == 0) {
        /* hallmarkd drops to ps->user after this: keep a root spawner for restarts */
        char nbuf[16];
        const char *argv[16];
        helper_argv(ps, true, nbuf, argv);
        if ((err = ps_spawner_start(ps, (char *const *)argv)) != HM_OK) {
            ps_free(ps);
            return err;
        }
    }
    if ((err = spawn_once(ps)) != HM_OK) {
        ps_free(ps);
        return err == HM_E_UNAVAILABLE ? HM_E_BACKEND : err;
    }
    if (pthread_create(&ps->sup, NULL, supervise, ps) != 0) {
        ps_close(&ps->base);
        return HM_E_INTERNAL;
    }
    ps->sup_started = true;
    *out = &ps->base;
    return HM_OK;
}

hm_err
ps_key_make(struct ps_hsm *ps, const struct ps_key *k, struct hm_key **out)
{
    struct hm_key *key = NULL;
    hm_err err;

    *out = NULL;
    if ((err = hm_key_new(&ps->base, k->alg, k->spki, k->spki_len, k->label, k->ckid, k->ckid_len,
                          k->uri, &key)) != HM_OK) {
        return err;
    }
    if ((key->be = malloc(SHA256_DIGEST_LENGTH)) == NULL) {
        hm_key_discard(key);
        return HM_E_NOMEM;
    }
    SHA256(k->spki, k->spki_len, key->be); /* the key id of the SIGN request */
    *out = hm_key_register(&ps->base, key);
    return HM_OK;
}

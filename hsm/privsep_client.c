/*
 * privsep_client.c: the "remote" backend (hm/privsep.h).  An hm_hsm whose ops forward to
 * hallmark-hsm-helper over N socketpairs, one request at a time on each: a signing thread
 * borrows a free channel as the PKCS#11 backend borrows a session, so N signatures are in
 * flight at once.  When the helper dies, hangs past sign_timeout_ms or answers garbage, it
 * is killed; callers get HM_E_UNAVAILABLE (hallmarkd: 503 + Retry-After) until the
 * supervisor thread has started a new one (privsep_spawn.c), with bounded backoff.
 */
#include "privsep_client.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "hsm_int.h"

static const struct hm_hsm_ops ps_ops;

/* ---- channels ---- */

static struct timespec
deadline_ms(unsigned ms)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/* Takes a free channel of the helper that is up; HM_E_UNAVAILABLE when it is down. */
static hm_err
borrow(struct ps_hsm *ps, unsigned *idx, unsigned *gen)
{
    struct timespec dl = deadline_ms(ps->timeout_ms);
    hm_err err = HM_E_UNAVAILABLE;

    pthread_mutex_lock(&ps->lock);
    while (ps->up && ps->nfree == 0) {
        if (pthread_cond_timedwait(&ps->cond_free, &ps->lock, &dl) == ETIMEDOUT) {
            break;
        }
    }
    if (ps->up && ps->nfree > 0) {
        for (unsigned i = 0; i < ps->nch; i++) {
            if (!ps->busy[i]) {
                ps->busy[i] = true;
                ps->nfree--;
                *idx = i;
                *gen = ps->gen;
                err = HM_OK;
                break;
            }
        }
    }
    pthread_mutex_unlock(&ps->lock);
    return err;
}

static void
give_back(struct ps_hsm *ps, unsigned idx, bool ok, bool broken, unsigned gen)
{
    pthread_mutex_lock(&ps->lock);
    ps->busy[idx] = false;
    ps->nfree++;
    if (ok) {
        ps->sign_ok++;
    } else {
        ps->sign_errors++;
    }
    if (broken && ps->up && ps->gen == gen && ps->pid > 0) {
        /* a channel that timed out or got garbage can never be trusted to line up again */
        ps->up = false;
        hm_error("privsep: the helper (pid %d) did not answer properly: killing it", (int)ps->pid);
        ps_kill(ps, ps->pid, SIGKILL);
    }
    pthread_cond_broadcast(&ps->cond_free);
    pthread_mutex_unlock(&ps->lock);
}

/* One request/reply on fd.  *broken: the channel is out of step (kill the helper). */
hm_err
ps_call(int fd, const struct hm_buf *req, struct hm_ps_msg *reply, uint8_t **body, bool *broken)
{
    const char *reason = NULL;
    size_t len = 0;
    hm_err err;

    *broken = true;
    *body = NULL;
    if (hm_buf_status(req) != HM_OK) {
        *broken = false;
        return hm_buf_status(req);
    }
    if ((err = hm_ps_write_frame(fd, req->data, req->len)) != HM_OK ||
        (err = hm_ps_read_frame(fd, HM_PS_MAX_FRAME, body, &len, NULL)) != HM_OK) {
        return HM_E_UNAVAILABLE; /* dead, or slower than the timeout (SO_RCVTIMEO) */
    }
    if ((err = hm_ps_parse(*body, len, false, reply, &reason)) != HM_OK) {
        hm_error("privsep: malformed reply from the helper: %s", reason);
        return HM_E_UNAVAILABLE;
    }
    *broken = false;
    return HM_OK;
}

static hm_err
ps_sign(struct hm_key *key, const uint8_t *in, size_t len, uint8_t *sig, size_t *sig_len)
{
    struct ps_hsm *ps = (struct ps_hsm *)key->hsm;
    struct hm_ps_msg m = { 0 };
    struct hm_buf req;
    uint8_t *body = NULL;
    unsigned idx = 0, gen = 0;
    bool broken = false;
    hm_err err;

    if (len == 0 || len > HM_PS_MAX_INPUT) {
        return HM_E_INVALID;
    }
    if ((err = borrow(ps, &idx, &gen)) != HM_OK) {
        return err;
    }
    hm_buf_init(&req, HM_PS_MAX_FRAME);
    hm_ps_put_sign(&req, key->be, in, len);
    err = ps_call(ps->fds[idx], &req, &m, &body, &broken);
    hm_buf_free(&req);
    if (err == HM_OK && m.type == HM_PS_SIG && m.data_len <= *sig_len) {
        memcpy(sig, m.data, m.data_len);
        *sig_len = m.data_len;
    } else if (err == HM_OK && m.type == HM_PS_ERR) {
        err = (hm_err)m.err;
    } else if (err == HM_OK) {
        hm_error("privsep: the helper answered a SIGN with type 0x%02x", m.type);
        err = HM_E_UNAVAILABLE;
        broken = true;
    }
    hm_ps_msg_clear(&m);
    free(body);
    give_back(ps, idx, err == HM_OK, broken, gen);
    return err;
}

/* ---- keys: matched against the list the helper gave at start ---- */

static bool
key_matches(const struct ps_key *k, const struct hm_p11_uri *u)
{
    if (u->object != NULL && strcmp(u->object, k->label) != 0) {
        return false;
    }
    if (u->has_id && (u->id_len != k->ckid_len || memcmp(u->id, k->ckid, k->ckid_len) != 0)) {
        return false;
    }
    return u->object != NULL || u->has_id;
}

static hm_err
ps_find_key(struct hm_hsm *hsm, const char *uri, struct hm_key **out)
{
    struct ps_hsm *ps = (struct ps_hsm *)hsm;
    struct hm_p11_uri *u = NULL;
    const struct ps_key *hit = NULL;
    const char *reason = NULL;
    hm_err err;

    if (strncasecmp(uri, "pkcs11:", 7) != 0) {
        for (size_t i = 0; i < ps->n_keys; i++) {
            if (strcmp(ps->keys[i].uri, uri) == 0) {
                return ps_key_make(ps, &ps->keys[i], out);
            }
        }
        return HM_E_NOTFOUND;
    }
    if ((err = hm_p11_uri_parse(uri, &reason, &u)) != HM_OK) {
        hm_error("privsep: key URI: %s", reason);
        return err;
    }
    for (size_t i = 0; i < ps->n_keys; i++) {
        if (key_matches(&ps->keys[i], u)) {
            if (hit != NULL) {
                hm_p11_uri_free(u);
                return HM_E_INVALID; /* more than one key matches */
            }
            hit = &ps->keys[i];
        }
    }
    hm_p11_uri_free(u);
    return hit == NULL ? HM_E_NOTFOUND : ps_key_make(ps, hit, out);
}

static hm_err
ps_list_keys(struct hm_hsm *hsm, struct hm_key ***keys, size_t *n)
{
    struct ps_hsm *ps = (struct ps_hsm *)hsm;
    struct hm_key **arr = NULL;
    hm_err err = HM_OK;

    if (ps->n_keys > 0 && (arr = calloc(ps->n_keys, sizeof(*arr))) == NULL) {
        return HM_E_NOMEM;
    }
    for (size_t i = 0; i < ps->n_keys; i++) {
        if ((err = ps_key_make(ps, &ps->keys[i], &arr[i])) != HM_OK) {
            free(arr);
            return err;
        }
    }
    *keys = arr;
    *n = ps->n_keys;
    return HM_OK;
}

static hm_err
ps_generate_key(struct hm_hsm *hsm, enum hm_key_alg alg, const char *label, struct hm_key **out)
{
    (void)hsm;
    (void)alg;
    (void)label;
    (void)out;
    hm_error("privsep: the daemon cannot generate keys (use `hallmark keys`)");
    return HM_E_DENIED;
}

static hm_err
ps_get_attrs(struct hm_key *key, struct hm_key_attrs *out)
{
    (void)key;
    (void)out;
    return HM_E_DENIED; /* not in the protocol: the helper answers LIST and SIGN only */
}

static void
ps_get_stats(struct hm_hsm *hsm, struct hm_hsm_stats *out)
{
    struct ps_hsm *ps = (struct ps_hsm *)hsm;

    pthread_mutex_lock(&ps->lock);
    out->ready = ps->up;
    out->sessions = ps->nch;
    out->sessions_busy = ps->nch - ps->nfree;
    out->sign_ok = ps->sign_ok;
    out->sign_errors = ps->sign_errors;
    out->reopens = ps->restarts;
    pthread_mutex_unlock(&ps->lock);
}

static void
ps_key_free(struct hm_key *key)
{
    free(key->be);
    key->be = NULL;
}

static const struct hm_hsm_ops ps_ops = {
    .name = "privsep",
    .find_key = ps_find_key,
    .generate_key = ps_generate_key,
    .list_keys = ps_list_keys,
    .sign = ps_sign,
    .get_attrs = ps_get_attrs,
    .get_stats = ps_get_stats,
    .key_free = ps_key_free,
    .close = ps_close,
};

const struct hm_hsm_ops *
ps_backend_ops(void)
{
    return &ps_ops;
}

pid_t
hm_privsep_pid(struct hm_hsm *hsm)
{
    struct ps_hsm *ps = (struct ps_hsm *)hsm;
    pid_t pid = 0;

    if (hsm == NULL || hsm->ops != &ps_ops) {
        return 0;
    }
    pthread_mutex_lock(&ps->lock);
    pid = ps->up ? ps->pid : 0;
    pthread_mutex_unlock(&ps->lock);
    return pid;
}

/*
 * p11_hsm.c: one token, one login, a pool of sessions, and recovery.
 *
 * Signing threads borrow a session from the pool (mutex + condvar), so a slow network
 * HSM keeps up to `sessions` signatures in flight.  When the module says the session,
 * the login or the device is gone, exactly one thread re-initialises (C_Finalize,
 * C_Initialize, slot lookup by label, login with the PIN read again, new sessions) with
 * bounded exponential backoff inside the retry budget, while every other caller gets
 * HM_E_UNAVAILABLE at once: the daemon never hangs on a broken HSM and never needs a
 * restart to get it back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "p11_int.h"

#define P11_BACKOFF_FIRST_MS 50
#define P11_BACKOFF_MAX_MS   1000

static const struct hm_hsm_ops p11_ops;

struct timespec
p11_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t;
}

struct timespec
p11_after_ms(struct timespec t, unsigned ms)
{
    t.tv_sec += (time_t)(ms / 1000);
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

bool
p11_time_before(struct timespec a, struct timespec b)
{
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static void
sleep_ms(unsigned ms)
{
    struct timespec t = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/* The PIN is wiped right after C_Login, before rv is even looked at. */
static hm_err
p11_login(struct p11_hsm *h, CK_SESSION_HANDLE s)
{
    struct hm_secret *pin = NULL;
    hm_err err;
    CK_RV rv;

    if (h->uri->pin_source == NULL) {
        hm_error("hsm: token '%s' needs a login but the URI has no pin-source", h->token_label);
        return HM_E_INVALID;
    }
    if ((err = hm_secret_from_source(h->uri->pin_source, &pin)) != HM_OK) {
        hm_error("hsm: cannot read the PIN for token '%s' from its pin-source: %s", h->token_label,
                 hm_strerror(err));
        return err;
    }
    rv = h->f->C_Login(s, CKU_USER, pin->buf, (CK_ULONG)pin->len);
    hm_secret_free(pin);
    pin = NULL;
    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
        return HM_OK;
    }
    hm_error("hsm: login to token '%s' refused: %s%s", h->token_label, p11_rv_name(rv),
             rv == CKR_PIN_INCORRECT ? " (the PIN from pin-source is wrong)" : "");
    return p11_rv_err(rv);
}

static void
close_sessions(struct p11_hsm *h)
{
    for (unsigned i = 0; i < h->nopen; i++) {
        (void)h->f->C_CloseSession(h->sess[i]);
    }
    h->nopen = 0;
}

/* Finds the token, opens nsess sessions and logs in once (login is per token). */
static hm_err
connect_once(struct p11_hsm *h)
{
    CK_TOKEN_INFO ti;
    hm_err err;
    CK_RV rv;

    if ((err = p11_find_slot(h->f, h->uri, &h->slot, &ti)) != HM_OK) {
        return err;
    }
    if (h->token_label[0] == '\0') {
        /* Set once: a re-open finds the same token, and signing threads may read these. */
        p11_field(ti.label, sizeof(ti.label), h->token_label);
        p11_field(ti.manufacturerID, sizeof(ti.manufacturerID), h->token_manuf);
        p11_field(ti.serialNumber, sizeof(ti.serialNumber), h->token_serial);
        p11_field(ti.model, sizeof(ti.model), h->token_model);
    }
    while (h->nopen < h->nsess) {
        rv = h->f->C_OpenSession(h->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                                 &h->sess[h->nopen]);
        if (rv != CKR_OK) {
            hm_error("hsm: C_OpenSession on token '%s' failed: %s", h->token_label,
                     p11_rv_name(rv));
            close_sessions(h);
            return rv == CKR_SESSION_COUNT ? HM_E_LIMIT : HM_E_UNAVAILABLE;
        }
        h->nopen++;
    }
    if ((ti.flags & CKF_LOGIN_REQUIRED) != 0 || h->uri->pin_source != NULL) {
        if ((err = p11_login(h, h->sess[0])) != HM_OK) {
            close_sessions(h);
            return err;
        }
    }
    return HM_OK;
}

static hm_err
reconnect(struct p11_hsm *h, bool lost_init)
{
    hm_err err;

    close_sessions(h);
    if ((err = p11_module_reinit(h->mod, lost_init, &h->mod_gen)) != HM_OK) {
        return err;
    }
    return connect_once(h);
}

/* Called with state == P11_REOPENING by the one thread that set it. */
static void
reopen(struct p11_hsm *h, const char *why, bool lost_init)
{
    struct timespec deadline = p11_after_ms(p11_now(), h->budget_ms);
    unsigned backoff = P11_BACKOFF_FIRST_MS, attempts = 0;
    hm_err err = HM_E_UNAVAILABLE;
    bool idle;

    hm_warn("hsm: token '%s': %s; re-initialising (budget %u ms)", h->token_label, why,
            h->budget_ms);
    pthread_mutex_lock(&h->lock);
    while (h->busy > 0 && pthread_cond_timedwait(&h->cond_idle, &h->lock, &deadline) == 0) {
    }
    idle = h->busy == 0;
    pthread_mutex_unlock(&h->lock);
    if (!idle) {
        hm_error("hsm: token '%s': calls are still inside the module; cannot re-initialise",
                 h->token_label);
    }
    while (idle) {
        attempts++;
        if ((err = reconnect(h, lost_init)) == HM_OK || err == HM_E_DENIED || err == HM_E_INVALID) {
            break; /* a wrong PIN is not retried: it would count towards locking the token */
        }
        if (!p11_time_before(p11_after_ms(p11_now(), backoff), deadline)) {
            break;
        }
        sleep_ms(backoff);
        backoff = backoff * 2 > P11_BACKOFF_MAX_MS ? P11_BACKOFF_MAX_MS : backoff * 2;
    }
    pthread_mutex_lock(&h->lock);
    if (err == HM_OK) {
        h->gen++;
        h->reopens++;
        h->nfree = h->nsess;
        h->state = P11_READY;
        hm_info("hsm: token '%s' is back after %u attempt(s)", h->token_label, attempts);
    } else {
        h->state = P11_DOWN;
        h->retry_after =
            p11_after_ms(p11_now(), h->budget_ms < 1000 ? h->budget_ms : P11_BACKOFF_MAX_MS);
        hm_error("hsm: token '%s' could not be re-opened within %u ms (%u attempt(s), %s); "
                 "signing is unavailable, a later call will try again",
                 h->token_label, h->budget_ms, attempts, hm_strerror(err));
    }
    pthread_cond_broadcast(&h->cond_free);
    pthread_mutex_unlock(&h->lock);
}

hm_err
p11_borrow(struct p11_hsm *h, struct p11_lease *out)
{
    struct timespec deadline = p11_after_ms(p11_now(), h->budget_ms);

    pthread_mutex_lock(&h->lock);
    for (;;) {
        if (h->state == P11_READY && h->nfree > 0) {
            out->s = h->sess[--h->nfree];
            out->gen = h->gen;
            h->busy++;
            pthread_mutex_unlock(&h->lock);
            return HM_OK;
        }
        if (h->state == P11_READY) {
            if (pthread_cond_timedwait(&h->cond_free, &h->lock, &deadline) == ETIMEDOUT) {
                /* every session stuck for the whole budget: the HSM is too slow or hung */
                hm_warn("hsm: token '%s': no session free within %u ms (all %u busy)",
                        h->token_label, h->budget_ms, h->nsess);
                break;
            }
            continue;
        }
        if (h->state == P11_DOWN && !p11_time_before(p11_now(), h->retry_after)) {
            h->state = P11_REOPENING;
            pthread_mutex_unlock(&h->lock);
            reopen(h, "retrying after an earlier failure", false);
            pthread_mutex_lock(&h->lock);
            if (h->state == P11_READY) {
                continue;
            }
        }
        break; /* re-opening, or down and still holding off */
    }
    pthread_mutex_unlock(&h->lock);
    return HM_E_UNAVAILABLE;
}

static void
return_locked(struct p11_hsm *h, const struct p11_lease *l)
{
    h->busy--;
    if (l->gen == h->gen && h->nfree < h->nsess) {
        h->sess[h->nfree++] = l->s;
        pthread_cond_signal(&h->cond_free);
    }
    if (h->busy == 0) {
        pthread_cond_broadcast(&h->cond_idle);
    }
}

void
p11_return(struct p11_hsm *h, const struct p11_lease *l)
{
    pthread_mutex_lock(&h->lock);
    return_locked(h, l);
    pthread_mutex_unlock(&h->lock);
}

/* Returns the lease that saw rv and brings the backend back.  retry is false when the
 * caller may not run again (then the next borrower re-opens). */
static hm_err
recover(struct p11_hsm *h, const struct p11_lease *l, CK_RV rv, bool retry)
{
    pthread_mutex_lock(&h->lock);
    return_locked(h, l);
    if (l->gen != h->gen && h->state == P11_READY) {
        pthread_mutex_unlock(&h->lock);
        return HM_OK; /* someone re-opened since our lease: just retry */
    }
    if (h->state != P11_READY || l->gen != h->gen) {
        pthread_mutex_unlock(&h->lock);
        return HM_E_UNAVAILABLE; /* another thread is on it */
    }
    if (!retry) {
        h->state = P11_DOWN;
        h->retry_after = p11_now();
        pthread_mutex_unlock(&h->lock);
        return HM_E_UNAVAILABLE;
    }
    h->state = P11_REOPENING;
    pthread_mutex_unlock(&h->lock);
    reopen(h, p11_rv_name(rv), rv == CKR_CRYPTOKI_NOT_INITIALIZED);
    pthread_mutex_lock(&h->lock);
    rv = h->state == P11_READY ? CKR_OK : CKR_DEVICE_ERROR;
    pthread_mutex_unlock(&h->lock);
    return rv == CKR_OK ? HM_OK : HM_E_UNAVAILABLE;
}

static void
count(struct p11_hsm *h, unsigned flags, bool ok)
{
    if ((flags & P11_RUN_SIGN) != 0) {
        __atomic_fetch_add(ok ? &h->sign_ok : &h->sign_errors, 1, __ATOMIC_RELAXED);
    }
}

hm_err
p11_run(struct p11_hsm *h, struct hm_key *key, p11_op op, void *ctx, unsigned flags,
        const char *what)
{
    bool refound = false, reopened = false;
    const char *label = key != NULL ? key->label : h->token_label;

    for (;;) {
        CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
        struct p11_lease l;
        CK_RV rv = CKR_OK;
        hm_err err;

        if ((err = p11_borrow(h, &l)) != HM_OK) {
            count(h, flags, false);
            return err;
        }
        if (key != NULL && (err = p11_key_handle(h, l.s, key, l.gen, &obj, &rv)) != HM_OK &&
            rv == CKR_OK) {
            p11_return(h, &l);
            count(h, flags, false);
            return err; /* the key is gone from the token, or ambiguous */
        }
        if (rv == CKR_OK) {
            rv = op(h, l.s, obj, ctx);
        }
        switch (p11_rv_classify(rv)) {
        case P11_RV_OK:
            p11_return(h, &l);
            count(h, flags, true);
            return HM_OK;
        case P11_RV_HANDLE:
            p11_return(h, &l);
            count(h, flags, false);
            if (key != NULL) {
                p11_key_forget(h, key);
            }
            if (!refound && key != NULL && (flags & P11_RUN_NO_RETRY) == 0) {
                refound = true;
                continue;
            }
            hm_error("hsm: %s with '%s': %s", what, label, p11_rv_name(rv));
            return HM_E_NOTFOUND;
        case P11_RV_REOPEN:
            count(h, flags, false);
            if (recover(h, &l, rv, !reopened && (flags & P11_RUN_NO_RETRY) == 0) == HM_OK) {
                reopened = true;
                continue;
            }
            hm_error("hsm: %s with '%s': %s; HSM unavailable", what, label, p11_rv_name(rv));
            return HM_E_UNAVAILABLE;
        case P11_RV_FAIL:
            break;
        }
        p11_return(h, &l);
        count(h, flags, false);
        hm_error("hsm: %s with '%s' failed: %s", what, label, p11_rv_name(rv));
        return p11_rv_err(rv);
    }
}

static void
p11_free(struct p11_hsm *h)
{
    if (h == NULL) {
        return;
    }
    if (h->mod != NULL) {
        close_sessions(h); /* also logs out: login state ends with the last session */
        p11_module_release(h->mod);
    }
    hm_p11_uri_free(h->uri);
    free(h->sess);
    pthread_cond_destroy(&h->cond_free);
    pthread_cond_destroy(&h->cond_idle);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static hm_err
p11_new(const struct hm_hsm_opts *opts, struct p11_hsm **out)
{
    struct p11_hsm *h = NULL;
    pthread_condattr_t ca;
    unsigned n = opts != NULL && opts->sessions > 0 ? opts->sessions : 1;

    *out = NULL;
    if (n > P11_MAX_SESSIONS) {
        hm_error("hsm: %u sessions asked, at most %d", n, P11_MAX_SESSIONS);
        return HM_E_LIMIT;
    }
    if ((h = calloc(1, sizeof(*h))) == NULL || (h->sess = calloc(n, sizeof(*h->sess))) == NULL) {
        free(h);
        return HM_E_NOMEM;
    }
    h->pub.ops = &p11_ops;
    h->nsess = n;
    h->budget_ms = opts != NULL && opts->retry_budget_ms > 0 ? opts->retry_budget_ms : 5000;
    pthread_mutex_init(&h->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cond_free, &ca);
    pthread_cond_init(&h->cond_idle, &ca);
    pthread_condattr_destroy(&ca);
    *out = h;
    return HM_OK;
}

hm_err
hm_p11_open(const char *uri, const struct hm_hsm_opts *opts, struct hm_hsm **out)
{
    struct p11_hsm *h = NULL;
    const char *reason = NULL;
    hm_err err;

    *out = NULL;
    if ((err = p11_new(opts, &h)) != HM_OK) {
        return err;
    }
    if ((err = hm_p11_uri_parse(uri, &reason, &h->uri)) != HM_OK) {
        hm_error("hsm: invalid pkcs11 URI: %s", reason);
        goto out;
    }
    if ((err = p11_module_acquire(
             h->uri->module_path != NULL ? h->uri->module_path : HM_SOFTHSM_MODULE, &h->mod)) !=
        HM_OK) {
        goto out;
    }
    h->f = h->mod->f;
    h->mod_gen = p11_module_gen(h->mod);
    if ((err = connect_once(h)) != HM_OK) {
        goto out;
    }
    h->nfree = h->nsess;
    h->state = P11_READY;
    *out = &h->pub;
    h = NULL; /* the caller owns it now */
out:
    p11_free(h);
    return err;
}

static void
p11_close(struct hm_hsm *hsm)
{
    p11_free(p11_of(hsm));
}

static void
p11_get_stats(struct hm_hsm *hsm, struct hm_hsm_stats *out)
{
    struct p11_hsm *h = p11_of(hsm);

    pthread_mutex_lock(&h->lock);
    out->ready = h->state == P11_READY;
    out->sessions = h->nsess;
    out->sessions_busy = h->busy;
    out->reopens = h->reopens;
    pthread_mutex_unlock(&h->lock);
    out->sign_ok = __atomic_load_n(&h->sign_ok, __ATOMIC_RELAXED);
    out->sign_errors = __atomic_load_n(&h->sign_errors, __ATOMIC_RELAXED);
}

static const struct hm_hsm_ops p11_ops = {
    .name = "pkcs11",
    .find_key = p11_op_find_key,
    .generate_key = p11_op_generate_key,
    .list_keys = p11_op_list_keys,
    .sign = p11_op_sign,
    .get_attrs = p11_op_get_attrs,
    .get_stats = p11_get_stats,
    .key_free = p11_op_key_free,
    .close = p11_close,
};

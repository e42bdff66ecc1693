/*
 * tpm2_conn.c: the connection to the TPM and the executor every operation runs through.
 *
 * One TCTI and one ESYS context, used under h->lock.  When a command fails because the
 * transport is gone (swtpm killed, tabrmd restarted, a socket reset: any TCTI-layer
 * code, or a short or malformed response), exactly one thread tears the context down and
 * rebuilds it with bounded exponential backoff inside the retry budget, while every other
 * caller gets HM_E_UNAVAILABLE at once.  The storage primary is recreated from its fixed
 * template (same template, same key), and keys are reloaded lazily: their handles carry
 * the generation they were loaded in.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "tpm2_int.h"

#define TPM2_BACKOFF_FIRST_MS 50
#define TPM2_BACKOFF_MAX_MS   1000
#define TPM2_DEFAULT_TCTI     "device:/dev/tpmrm0"

struct timespec
tpm2_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t;
}

struct timespec
tpm2_after_ms(struct timespec t, unsigned ms)
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
tpm2_before(struct timespec a, struct timespec b)
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

/* ---- response codes ---- */

/* Format-one codes carry the parameter/handle/session number in bits 6 and 8-11. */
static TSS2_RC
tpm_base(TSS2_RC rc)
{
    return (rc & TPM2_RC_FMT1) != 0 ? (rc & (TPM2_RC_FMT1 | 0x3fu)) : (rc & 0xfffu);
}

enum tpm2_rc_class
tpm2_rc_classify(TSS2_RC rc)
{
    TSS2_RC layer = rc & TSS2_RC_LAYER_MASK, base = rc & 0xffffu;

    if (rc == TSS2_RC_SUCCESS) {
        return TPM2_RC_CLASS_OK;
    }
    if (layer == TSS2_TCTI_RC_LAYER) {
        return TPM2_RC_CLASS_LOST;
    }
    if ((layer == TSS2_ESAPI_RC_LAYER || layer == TSS2_SYS_RC_LAYER) &&
        (base == TSS2_BASE_RC_IO_ERROR || base == TSS2_BASE_RC_NO_CONNECTION ||
         base == TSS2_BASE_RC_TRY_AGAIN || base == TSS2_BASE_RC_MALFORMED_RESPONSE ||
         base == TSS2_BASE_RC_INSUFFICIENT_RESPONSE || base == TSS2_BASE_RC_BAD_SEQUENCE)) {
        return TPM2_RC_CLASS_LOST; /* a half-read response leaves ESYS in a bad state */
    }
    if (layer != 0 && layer != TSS2_RESMGR_TPM_RC_LAYER) {
        return TPM2_RC_CLASS_FAIL;
    }
    switch (tpm_base(rc)) {
    case TPM2_RC_OBJECT_MEMORY:
    case TPM2_RC_MEMORY:
        return TPM2_RC_CLASS_SLOTS;
    case TPM2_RC_REFERENCE_H0:
    case TPM2_RC_HANDLE:
        return TPM2_RC_CLASS_HANDLE;
    case TPM2_RC_INITIALIZE: /* the TPM was restarted under us without Startup */
    case TPM2_RC_RETRY:
    case TPM2_RC_YIELDED:
    case TPM2_RC_TESTING:
        return TPM2_RC_CLASS_LOST;
    default:
        return TPM2_RC_CLASS_FAIL;
    }
}

hm_err
tpm2_rc_err(TSS2_RC rc)
{
    if (rc == TSS2_RC_SUCCESS) {
        return HM_OK;
    }
    if ((rc & TSS2_RC_LAYER_MASK) == TPM2_HM_RC_LAYER) {
        switch (rc) {
        case TPM2_HM_RC_NOMEM:
            return HM_E_NOMEM;
        case TPM2_HM_RC_KEY_CHANGED:
            return HM_E_NOTFOUND;
        default:
            return HM_E_BACKEND;
        }
    }
    if ((rc & TSS2_RC_LAYER_MASK) == 0) {
        switch (tpm_base(rc)) {
        case TPM2_RC_AUTH_FAIL:
        case TPM2_RC_BAD_AUTH:
        case TPM2_RC_LOCKOUT:
        case TPM2_RC_AUTH_UNAVAILABLE:
        case TPM2_RC_POLICY_FAIL:
            return HM_E_DENIED;
        case TPM2_RC_NV_DEFINED:
            return HM_E_CONFLICT;
        case TPM2_RC_INTEGRITY:
            return HM_E_INVALID; /* a blob that is not this TPM's, or was altered */
        default:
            break;
        }
    }
    return tpm2_rc_classify(rc) == TPM2_RC_CLASS_LOST ? HM_E_UNAVAILABLE : HM_E_BACKEND;
}

const char *
tpm2_rc_text(TSS2_RC rc)
{
    if ((rc & TSS2_RC_LAYER_MASK) == TPM2_HM_RC_LAYER) {
        return rc == TPM2_HM_RC_KEY_CHANGED ? "hallmark: the object at that handle changed"
               : rc == TPM2_HM_RC_NOMEM     ? "hallmark: out of memory"
                                            : "hallmark: the TPM's signature did not verify";
    }
    return Tss2_RC_Decode(rc);
}

/* ---- auth values ---- */

TSS2_RC
tpm2_auth_set(struct tpm2_hsm *h, ESYS_TR tr, const struct hm_secret *s)
{
    TPM2B_AUTH a = { 0 };
    TSS2_RC rc;

    if (s != NULL && s->len > 0) {
        if (s->len > sizeof(a.buffer)) {
            return TPM2_HM_RC_NOMEM; /* refused at open already; never reached */
        }
        a.size = (UINT16)s->len;
        memcpy(a.buffer, s->buf, s->len);
    }
    rc = Esys_TR_SetAuth(h->esys, tr, &a);
    OPENSSL_cleanse(&a, sizeof(a));
    return rc;
}

/* ESYS keeps its own copy of an auth value in the object's metadata.  Esys_TR_SetAuth
 * copies the whole TPM2B_AUTH structure, so setting an all-zero, empty value overwrites
 * every byte of that copy.  (Not a zero value of the buffer's full length: ESYS hashes
 * values longer than the nameAlg's digest, which costs an EVP_MD_fetch, about 300 us, per
 * signature.)  The command buffer inside ESYS still holds the value until the next
 * command. */
void
tpm2_auth_clear(struct tpm2_hsm *h, ESYS_TR tr)
{
    TPM2B_AUTH z;

    memset(&z, 0, sizeof(z));
    (void)Esys_TR_SetAuth(h->esys, tr, &z);
}

void
tpm2_flush(struct tpm2_hsm *h, ESYS_TR *tr)
{
    if (*tr == ESYS_TR_NONE) {
        return;
    }
    if (h->esys != NULL && Esys_FlushContext(h->esys, *tr) != TSS2_RC_SUCCESS) {
        (void)Esys_TR_Close(h->esys, tr);
    }
    *tr = ESYS_TR_NONE;
}

void
tpm2_unload_cached(struct tpm2_hsm *h)
{
    struct tpm2_key *k;

    if (h->loaded == NULL) {
        return;
    }
    k = tpm2_key_of(h->loaded);
    if (k->have_tr && k->esys_gen == h->esys_gen) {
        tpm2_flush(h, &k->tr);
    }
    k->have_tr = false;
    k->tr = ESYS_TR_NONE;
    h->loaded = NULL;
}

/* ---- connect and disconnect ---- */

static void
remember_stale(struct tpm2_hsm *h, ESYS_TR tr, const TPM2B_NAME *name)
{
    TPM2_HANDLE handle = 0;

    if (tr == ESYS_TR_NONE || h->n_stale >= TPM2_MAX_STALE ||
        Esys_TR_GetTpmHandle(h->esys, tr, &handle) != TSS2_RC_SUCCESS) {
        return;
    }
    h->stale[h->n_stale].handle = handle;
    h->stale[h->n_stale].name = *name;
    h->n_stale++;
}

/* Without a resource manager (swtpm's socket) transient objects outlive a dropped
 * connection; flush ours when the object at that handle still has our object's name. */
static void
flush_stale(struct tpm2_hsm *h)
{
    for (unsigned i = 0; i < h->n_stale; i++) {
        ESYS_TR tr = ESYS_TR_NONE;
        TPM2B_NAME *name = NULL;
        if (Esys_TR_FromTPMPublic(h->esys, h->stale[i].handle, ESYS_TR_NONE, ESYS_TR_NONE,
                                  ESYS_TR_NONE, &tr) != TSS2_RC_SUCCESS) {
            continue; /* gone with a TPM restart: nothing to flush */
        }
        if (Esys_TR_GetName(h->esys, tr, &name) == TSS2_RC_SUCCESS &&
            name->size == h->stale[i].name.size &&
            memcmp(name->name, h->stale[i].name.name, name->size) == 0) {
            hm_info("hsm: tpm2: flushing our object 0x%08x left from the lost connection",
                    h->stale[i].handle);
            tpm2_flush(h, &tr);
        } else {
            (void)Esys_TR_Close(h->esys, &tr);
        }
        Esys_Free(name);
    }
    h->n_stale = 0;
}

/* Tears the connection down.  lost: the transport is gone, so nothing is sent to the
 * TPM; our transient handles are remembered to flush them after reconnecting. */
static void
disconnect(struct tpm2_hsm *h, bool lost)
{
    if (h->esys != NULL) {
        if (lost) {
            h->n_stale = 0;
            if (h->loaded != NULL) {
                struct tpm2_key *k = tpm2_key_of(h->loaded);
                remember_stale(h, k->tr, &k->name);
            }
            remember_stale(h, h->primary, &h->primary_name);
        } else {
            tpm2_unload_cached(h);
            tpm2_flush(h, &h->primary);
        }
        Esys_Finalize(&h->esys); /* frees every ESYS_TR of this context */
    }
    if (h->tcti != NULL) {
        Tss2_TctiLdr_Finalize(&h->tcti);
    }
    h->esys = NULL;
    h->tcti = NULL;
    h->primary = ESYS_TR_NONE;
    if (h->loaded != NULL) {
        tpm2_key_of(h->loaded)->have_tr = false;
        h->loaded = NULL;
    }
}

void
tpm2_disconnect(struct tpm2_hsm *h)
{
    disconnect(h, false);
}

TSS2_RC
tpm2_ensure_primary(struct tpm2_hsm *h)
{
    TPM2B_SENSITIVE_CREATE sens = { 0 };
    TPM2B_DATA outside = { 0 };
    TPML_PCR_SELECTION pcrs = { 0 };
    TPM2B_PUBLIC tmpl, *pub = NULL;
    TPM2B_CREATION_DATA *cdata = NULL;
    TPM2B_DIGEST *chash = NULL;
    TPMT_TK_CREATION *ticket = NULL;
    TPM2B_NAME *name = NULL;
    TSS2_RC rc;

    if (h->primary != ESYS_TR_NONE) {
        return TSS2_RC_SUCCESS;
    }
    tpm2_template_srk(&tmpl);
    if ((rc = tpm2_auth_set(h, ESYS_TR_RH_OWNER, h->owner_auth)) != TSS2_RC_SUCCESS) {
        return rc;
    }
    rc = Esys_CreatePrimary(h->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                            &sens, &tmpl, &outside, &pcrs, &h->primary, &pub, &cdata, &chash,
                            &ticket);
    tpm2_auth_clear(h, ESYS_TR_RH_OWNER);
    if (rc == TSS2_RC_SUCCESS && (rc = Esys_TR_GetName(h->esys, h->primary, &name)) == 0) {
        h->primary_name = *name;
    }
    Esys_Free(pub);
    Esys_Free(cdata);
    Esys_Free(chash);
    Esys_Free(ticket);
    Esys_Free(name);
    return rc;
}

static void
read_properties(struct tpm2_hsm *h)
{
    TPMS_CAPABILITY_DATA *cap = NULL;
    TPMI_YES_NO more = TPM2_NO;
    TPMT_PUBLIC_PARMS rsa = { .type = TPM2_ALG_RSA };

    if (Esys_GetCapability(h->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                           TPM2_CAP_TPM_PROPERTIES, TPM2_PT_MANUFACTURER, 16, &more,
                           &cap) == TSS2_RC_SUCCESS) {
        const TPML_TAGGED_TPM_PROPERTY *p = &cap->data.tpmProperties;
        for (UINT32 i = 0; i < p->count && i < TPM2_MAX_TPM_PROPERTIES; i++) {
            UINT32 v = p->tpmProperty[i].value;
            if (p->tpmProperty[i].property == TPM2_PT_MANUFACTURER) {
                for (int b = 0; b < 4; b++) {
                    char c = (char)((v >> (24 - 8 * b)) & 0xffu);
                    h->manufacturer[b] = c >= 0x21 && c <= 0x7e ? c : '\0';
                }
            } else if (p->tpmProperty[i].property == TPM2_PT_FIRMWARE_VERSION_1) {
                h->fw1 = v;
            } else if (p->tpmProperty[i].property == TPM2_PT_FIRMWARE_VERSION_2) {
                h->fw2 = v;
            }
        }
    }
    Esys_Free(cap);
    h->manufacturer[4] = '\0';
    rsa.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
    rsa.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
    rsa.parameters.rsaDetail.keyBits = 3072;
    h->rsa3072 =
        Esys_TestParms(h->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &rsa) == TSS2_RC_SUCCESS;
}

hm_err
tpm2_connect(struct tpm2_hsm *h)
{
    const char *conf = h->uri->tcti != NULL ? h->uri->tcti : TPM2_DEFAULT_TCTI;
    TSS2_RC rc;

    if ((rc = Tss2_TctiLdr_Initialize(conf, &h->tcti)) != TSS2_RC_SUCCESS) {
        hm_debug("hsm: tpm2: cannot reach the TPM through '%s': %s", conf, tpm2_rc_text(rc));
        h->tcti = NULL;
        return HM_E_UNAVAILABLE;
    }
    if ((rc = Esys_Initialize(&h->esys, h->tcti, NULL)) != TSS2_RC_SUCCESS) {
        hm_debug("hsm: tpm2: Esys_Initialize: %s", tpm2_rc_text(rc));
        disconnect(h, false);
        return HM_E_UNAVAILABLE;
    }
    h->esys_gen++;
    h->gen++;
    /* A TPM started without --flags startup-clear wants TPM2_Startup; a started one
     * answers TPM2_RC_INITIALIZE, which is fine. */
    rc = Esys_Startup(h->esys, TPM2_SU_CLEAR);
    if (rc != TSS2_RC_SUCCESS && tpm_base(rc) != TPM2_RC_INITIALIZE &&
        tpm2_rc_classify(rc) == TPM2_RC_CLASS_LOST) {
        disconnect(h, true);
        return HM_E_UNAVAILABLE;
    }
    flush_stale(h);
    if (h->manufacturer[0] == '\0') {
        read_properties(h);
    }
    if ((rc = tpm2_ensure_primary(h)) != TSS2_RC_SUCCESS) {
        hm_error("hsm: tpm2: cannot create the storage primary key: %s", tpm2_rc_text(rc));
        disconnect(h, tpm2_rc_classify(rc) == TPM2_RC_CLASS_LOST);
        return tpm2_rc_err(rc);
    }
    return HM_OK;
}

/* ---- recovery ---- */

/* Called by the one thread that set state to TPM2_REOPENING, without the lock: nobody
 * else touches the ESYS context while the state is not TPM2_READY. */
static void
reconnect(struct tpm2_hsm *h, const char *why)
{
    struct timespec deadline = tpm2_after_ms(tpm2_now(), h->budget_ms);
    unsigned backoff = TPM2_BACKOFF_FIRST_MS, attempts = 0;
    hm_err err = HM_E_UNAVAILABLE;

    hm_warn("hsm: tpm2: %s; reconnecting (budget %u ms)", why, h->budget_ms);
    disconnect(h, true);
    for (;;) {
        attempts++;
        if ((err = tpm2_connect(h)) == HM_OK || err == HM_E_DENIED || err == HM_E_INVALID) {
            break; /* a wrong owner auth is not retried: it counts towards DA lockout */
        }
        if (!tpm2_before(tpm2_after_ms(tpm2_now(), backoff), deadline)) {
            break;
        }
        sleep_ms(backoff);
        backoff = backoff * 2 > TPM2_BACKOFF_MAX_MS ? TPM2_BACKOFF_MAX_MS : backoff * 2;
    }
    pthread_mutex_lock(&h->lock);
    if (err == HM_OK) {
        h->state = TPM2_READY;
        h->reopens++;
        hm_info("hsm: tpm2: the TPM is back after %u attempt(s)", attempts);
    } else {
        h->state = TPM2_DOWN;
        h->retry_after =
            tpm2_after_ms(tpm2_now(), h->budget_ms < 1000 ? h->budget_ms : TPM2_BACKOFF_MAX_MS);
        hm_error("hsm: tpm2: no TPM within %u ms (%u attempt(s), %s); signing is unavailable, "
                 "a later call will try again",
                 h->budget_ms, attempts, hm_strerror(err));
    }
    pthread_mutex_unlock(&h->lock);
}

/* With the lock held: HM_OK when the connection is ready (reconnecting first when it is
 * down and the hold-off has passed).  The lock is held again on return. */
static hm_err
ready_locked(struct tpm2_hsm *h)
{
    if (h->state == TPM2_DOWN && !tpm2_before(tpm2_now(), h->retry_after)) {
        h->state = TPM2_REOPENING;
        pthread_mutex_unlock(&h->lock);
        reconnect(h, "retrying after an earlier failure");
        pthread_mutex_lock(&h->lock);
    }
    return h->state == TPM2_READY ? HM_OK : HM_E_UNAVAILABLE;
}

/* Objects we thought loaded are not (flushed by someone else, or a TPM reset that kept
 * the socket): forget every handle and start from a new primary. */
static void
invalidate_locked(struct tpm2_hsm *h)
{
    tpm2_unload_cached(h);
    tpm2_flush(h, &h->primary);
    h->gen++;
}

static void
count(struct tpm2_hsm *h, unsigned flags, bool ok)
{
    if ((flags & TPM2_RUN_SIGN) != 0) {
        __atomic_fetch_add(ok ? &h->sign_ok : &h->sign_errors, 1, __ATOMIC_RELAXED);
    }
}

hm_err
tpm2_run(struct tpm2_hsm *h, tpm2_op op, void *ctx, unsigned flags, const char *what)
{
    bool retried = false;

    for (;;) {
        enum tpm2_rc_class cls;
        hm_err err;
        TSS2_RC rc;

        pthread_mutex_lock(&h->lock);
        if ((err = ready_locked(h)) != HM_OK) {
            pthread_mutex_unlock(&h->lock);
            count(h, flags, false);
            return err;
        }
        h->busy = true;
        rc = op(h, ctx);
        h->busy = false;
        cls = tpm2_rc_classify(rc);
        if (cls == TPM2_RC_CLASS_OK) {
            pthread_mutex_unlock(&h->lock);
            count(h, flags, true);
            return HM_OK;
        }
        count(h, flags, false);
        if (cls == TPM2_RC_CLASS_LOST) {
            h->state = TPM2_REOPENING;
            pthread_mutex_unlock(&h->lock);
            reconnect(h, tpm2_rc_text(rc));
            if (!retried && (flags & TPM2_RUN_NO_RETRY) == 0) {
                retried = true;
                continue; /* the command never ran, or ran and its answer was lost */
            }
            hm_error("hsm: tpm2: %s: %s; TPM unavailable", what, tpm2_rc_text(rc));
            return HM_E_UNAVAILABLE;
        }
        if ((cls == TPM2_RC_CLASS_SLOTS || cls == TPM2_RC_CLASS_HANDLE) && !retried &&
            (flags & TPM2_RUN_NO_RETRY) == 0) {
            hm_warn("hsm: tpm2: %s: %s; reloading our objects", what, tpm2_rc_text(rc));
            invalidate_locked(h);
            pthread_mutex_unlock(&h->lock);
            retried = true;
            continue;
        }
        pthread_mutex_unlock(&h->lock);
        hm_error("hsm: tpm2: %s failed: %s", what, tpm2_rc_text(rc));
        return tpm2_rc_err(rc);
    }
}

/*
 * p11_int.h: private to hsm/'s PKCS#11 backend.  We call the module's own function
 * list (dlopen + C_GetFunctionList); never libp11 (docs/hsm.md says why).
 */
#ifndef HM_P11_INT_H
#define HM_P11_INT_H

#include <pthread.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

#include "hsm_int.h"

#define P11_MAX_SESSIONS 256
#define P11_MAX_SLOTS    1024
#define P11_MAX_OBJECTS  4096 /* objects of one class we look at on a token */
#define P11_ATTR_MAX     8192 /* largest attribute value we read */

/* ---- modules: one dlopen and one C_Initialize per path per process ---- */

struct p11_module {
    struct p11_module *next;
    char *path;
    void *dl;
    CK_FUNCTION_LIST *f;
    unsigned refs;    /* hsm objects (and token set-ups) using it */
    bool initialized; /* we called C_Initialize and owe a C_Finalize */
    uint64_t gen;     /* bumped at each C_Initialize */
    char *conf;       /* SOFTHSM2_CONF when C_Initialize ran (SoftHSM reads it there) */
};

HM_MUST_CHECK hm_err p11_module_acquire(const char *path, struct p11_module **out);
void p11_module_release(struct p11_module *m);
/* C_Finalize + C_Initialize, unless another user shares the module (then only when
 * force is set and nobody re-initialised it since *gen).  *gen gets the new value. */
HM_MUST_CHECK hm_err p11_module_reinit(struct p11_module *m, bool force, uint64_t *gen);
uint64_t p11_module_gen(struct p11_module *m);

const char *p11_rv_name(CK_RV rv);
enum p11_rv_class {
    P11_RV_OK,
    P11_RV_HANDLE, /* a stale object handle: find the key again */
    P11_RV_REOPEN, /* the session, login or device is gone: re-initialise */
    P11_RV_FAIL,   /* this call failed; the backend is fine */
};
enum p11_rv_class p11_rv_classify(CK_RV rv);
/* Our own code for "C_Sign returned a signature of the wrong length" (never handed out). */
#define P11_RV_BAD_SIG_LEN (CKR_VENDOR_DEFINED | 0x484d0001UL)
/* The hm_err for a CKR_* code (P11_RV_REOPEN gives HM_E_UNAVAILABLE). */
hm_err p11_rv_err(CK_RV rv);

/* Copies a blank-padded CK_TOKEN_INFO field into a C string (out: len + 1 bytes);
 * control characters become '?' so that the result is safe to log. */
void p11_field(const unsigned char *field, size_t len, char *out);
/* The one initialised token that u's token/manufacturer/serial/model attributes name. */
HM_MUST_CHECK hm_err p11_find_slot(CK_FUNCTION_LIST *f, const struct hm_p11_uri *u,
                                   CK_SLOT_ID *slot, CK_TOKEN_INFO *info);

/* ---- the hsm: one token, one login, a pool of sessions ---- */

enum p11_state {
    P11_READY,
    P11_REOPENING, /* one thread is re-initialising; everyone else gets HM_E_UNAVAILABLE */
    P11_DOWN,      /* the last re-initialisation failed; the next call after hold-off retries */
};

struct p11_hsm {
    struct hm_hsm pub;
    struct p11_module *mod;
    CK_FUNCTION_LIST *f;
    struct hm_p11_uri *uri;                 /* token attributes, module-path, pin-source */
    char token_label[HM_P11_TOKEN_MAX + 1]; /* of the token we opened, for URIs and logs */
    char token_manuf[HM_P11_TOKEN_MAX + 1];
    char token_serial[HM_P11_SERIAL_MAX + 1];
    char token_model[HM_P11_SERIAL_MAX + 1];
    CK_SLOT_ID slot;
    uint64_t mod_gen; /* module generation our sessions belong to */

    pthread_mutex_t lock;
    pthread_cond_t cond_free; /* a session came back */
    pthread_cond_t cond_idle; /* busy dropped to 0 */
    enum p11_state state;
    CK_SESSION_HANDLE *sess; /* nsess handles; free ones are sess[0..nfree) */
    unsigned nsess;
    unsigned nopen; /* handles in sess that are open (all of them when idle) */
    unsigned nfree;
    unsigned busy;
    uint64_t gen; /* bumped at each successful re-open; cached handles compare against it */
    unsigned budget_ms;
    struct timespec retry_after; /* while P11_DOWN */
    uint64_t sign_ok, sign_errors, reopens;
};

struct p11_lease {
    CK_SESSION_HANDLE s;
    uint64_t gen;
};

/* The backend part of a key: the private key's handle, cached per generation. */
struct p11_key {
    CK_OBJECT_HANDLE obj;
    uint64_t gen;
    bool cached;
    CK_KEY_TYPE type;
};

static inline struct p11_hsm *
p11_of(struct hm_hsm *hsm)
{
    return (struct p11_hsm *)hsm;
}

/* Borrows a session (HM_E_UNAVAILABLE while re-opening, or when none frees up within
 * the retry budget). */
HM_MUST_CHECK hm_err p11_borrow(struct p11_hsm *h, struct p11_lease *out);
void p11_return(struct p11_hsm *h, const struct p11_lease *l);

#define P11_RUN_SIGN     1u /* count the outcome in sign_ok / sign_errors */
#define P11_RUN_NO_RETRY 2u /* not idempotent (key generation): never run twice */

/* What p11_run runs on a borrowed session: obj is key's private key (or
 * CK_INVALID_HANDLE without a key).  A failure that is not a CKR_* code goes in ctx. */
typedef CK_RV (*p11_op)(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, void *ctx);
/* Runs op with the recovery rules: a stale object handle is looked up again once; a lost
 * session, login or device re-initialises the backend and op runs once more. */
HM_MUST_CHECK hm_err p11_run(struct p11_hsm *h, struct hm_key *key, p11_op op, void *ctx,
                             unsigned flags, const char *what);

/* ---- objects (p11_obj.c, p11_keys.c) ---- */

HM_MUST_CHECK hm_err p11_find_objects(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl,
                                      CK_ULONG n, CK_OBJECT_HANDLE *objs, size_t max, size_t *count,
                                      CK_RV *rv);
/* Reads one attribute of at most P11_ATTR_MAX bytes; *val is malloc'ed (NUL added). */
HM_MUST_CHECK hm_err p11_attr(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj,
                              CK_ATTRIBUTE_TYPE type, uint8_t **val, size_t *len, CK_RV *rv);
/* Looks up key's private key handle on session s (cache refreshed).  HM_E_NOTFOUND or
 * HM_E_INVALID (several match) with *rv CKR_OK, or HM_E_BACKEND with *rv the failure. */
HM_MUST_CHECK hm_err p11_key_handle(struct p11_hsm *h, CK_SESSION_HANDLE s, struct hm_key *key,
                                    uint64_t gen, CK_OBJECT_HANDLE *out, CK_RV *rv);
void p11_key_forget(struct p11_hsm *h, struct hm_key *key);
/* Builds an hm_key (not yet registered) from a private key handle.  HM_E_INVALID for a
 * key type we do not sign with, HM_E_NOTFOUND when its public key cannot be read. */
HM_MUST_CHECK hm_err p11_load_key(struct p11_hsm *h, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv,
                                  struct hm_key **out, CK_RV *rv);

HM_MUST_CHECK hm_err p11_op_find_key(struct hm_hsm *hsm, const char *uri, struct hm_key **out);
HM_MUST_CHECK hm_err p11_op_list_keys(struct hm_hsm *hsm, struct hm_key ***keys, size_t *n);
HM_MUST_CHECK hm_err p11_op_generate_key(struct hm_hsm *hsm, enum hm_key_alg alg, const char *label,
                                         struct hm_key **out);
HM_MUST_CHECK hm_err p11_op_sign(struct hm_key *key, const uint8_t *in, size_t len, uint8_t *sig,
                                 size_t *sig_len);
HM_MUST_CHECK hm_err p11_op_get_attrs(struct hm_key *key, struct hm_key_attrs *out);
void p11_op_key_free(struct hm_key *key);

/* Monotonic clock helpers. */
struct timespec p11_now(void);
struct timespec p11_after_ms(struct timespec t, unsigned ms);
bool p11_time_before(struct timespec a, struct timespec b);

#endif /* HM_P11_INT_H */

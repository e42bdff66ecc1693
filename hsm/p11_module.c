/*
 * p11_module.c: loading PKCS#11 modules, CKR_* codes, and picking a token.
 *
 * A module is loaded and C_Initialize'd once per process and path, and shared by every
 * hsm object on it: PKCS#11 allows one C_Initialize per application, and a C_Finalize by
 * one user would pull the sessions out from under another.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "p11_int.h"

static pthread_mutex_t mods_lock = PTHREAD_MUTEX_INITIALIZER;
static struct p11_module *mods;

static CK_RV
module_initialize(struct p11_module *m)
{
    CK_C_INITIALIZE_ARGS args;
    const char *conf = getenv("SOFTHSM2_CONF");
    CK_RV rv;

    /* Native OS locking: the module may be called from many threads at once. */
    memset(&args, 0, sizeof(args));
    args.flags = CKF_OS_LOCKING_OK;
    rv = m->f->C_Initialize(&args);
    if (rv == CKR_OK) {
        m->initialized = true;
    } else if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        m->initialized = false; /* someone else in this process did it and will finalise */
        rv = CKR_OK;
    }
    if (rv == CKR_OK) {
        m->gen++;
        free(m->conf);
        m->conf = conf != NULL ? strdup(conf) : NULL;
    }
    return rv;
}

static void
module_free(struct p11_module *m)
{
    if (m == NULL) {
        return;
    }
#ifndef HM_SANITIZED
    /* Under ASan the module stays mapped so that leak reports keep their symbols. */
    if (m->dl != NULL) {
        dlclose(m->dl);
    }
#endif
    free(m->path);
    free(m->conf);
    free(m);
}

static hm_err
module_load(const char *path, struct p11_module **out)
{
    CK_C_GetFunctionList get = NULL;
    struct p11_module *m = NULL;
    CK_RV rv;

    *out = NULL;
    if ((m = calloc(1, sizeof(*m))) == NULL || (m->path = strdup(path)) == NULL) {
        module_free(m);
        return HM_E_NOMEM;
    }
    if ((m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        hm_error("hsm: cannot load PKCS#11 module %s: %s", path, dlerror());
        module_free(m);
        return HM_E_NOTFOUND;
    }
    *(void **)(&get) = dlsym(m->dl, "C_GetFunctionList");
    if (get == NULL || (rv = get(&m->f)) != CKR_OK || m->f == NULL || m->f->version.major < 2) {
        hm_error("hsm: %s is not a usable PKCS#11 module (C_GetFunctionList)", path);
        module_free(m);
        return HM_E_BACKEND;
    }
    if ((rv = module_initialize(m)) != CKR_OK) {
        hm_error("hsm: C_Initialize of %s failed: %s", path, p11_rv_name(rv));
        module_free(m);
        return HM_E_BACKEND;
    }
    *out = m;
    return HM_OK;
}

hm_err
p11_module_acquire(const char *path, struct p11_module **out)
{
    struct p11_module *m;
    hm_err err = HM_OK;

    *out = NULL;
    if (path == NULL || path[0] != '/') {
        /* A bare name would be searched in LD_LIBRARY_PATH and friends. */
        hm_error("hsm: module-path must be an absolute path");
        return HM_E_INVALID;
    }
    pthread_mutex_lock(&mods_lock);
    for (m = mods; m != NULL; m = m->next) {
        if (strcmp(m->path, path) == 0) {
            break;
        }
    }
    if (m == NULL && (err = module_load(path, &m)) == HM_OK) {
        m->next = mods;
        mods = m;
    }
    if (err == HM_OK) {
        m->refs++;
        *out = m;
    }
    pthread_mutex_unlock(&mods_lock);
    return err;
}

void
p11_module_release(struct p11_module *m)
{
    struct p11_module **pp;

    if (m == NULL) {
        return;
    }
    pthread_mutex_lock(&mods_lock);
    if (--m->refs > 0) {
        pthread_mutex_unlock(&mods_lock);
        return;
    }
    for (pp = &mods; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == m) {
            *pp = m->next;
            break;
        }
    }
    if (m->initialized) {
        (void)m->f->C_Finalize(NULL);
    }
    pthread_mutex_unlock(&mods_lock);
    module_free(m);
}

hm_err
p11_module_reinit(struct p11_module *m, bool force, uint64_t *gen)
{
    CK_RV rv = CKR_OK;

    pthread_mutex_lock(&mods_lock);
    if (m->gen != *gen) {
        /* someone re-initialised the module since we connected: use that */
    } else if (m->refs == 1 || force) {
        if (m->initialized) {
            (void)m->f->C_Finalize(NULL);
            m->initialized = false;
        }
        rv = module_initialize(m);
    }
    *gen = m->gen;
    pthread_mutex_unlock(&mods_lock);
    if (rv != CKR_OK) {
        hm_error("hsm: C_Initialize of %s failed: %s", m->path, p11_rv_name(rv));
        return HM_E_UNAVAILABLE;
    }
    return HM_OK;
}

uint64_t
p11_module_gen(struct p11_module *m)
{
    uint64_t g;

    pthread_mutex_lock(&mods_lock);
    g = m->gen;
    pthread_mutex_unlock(&mods_lock);
    return g;
}

static const struct {
    CK_RV rv;
    const char *name;
} rv_names[] = {
#define RV(x)                                                                                      \
    {                                                                                              \
        x, #x                                                                                      \
    }
    RV(CKR_OK),
    RV(CKR_HOST_MEMORY),
    RV(CKR_SLOT_ID_INVALID),
    RV(CKR_GENERAL_ERROR),
    RV(CKR_FUNCTION_FAILED),
    RV(CKR_ARGUMENTS_BAD),
    RV(CKR_ATTRIBUTE_READ_ONLY),
    RV(CKR_ATTRIBUTE_SENSITIVE),
    RV(CKR_ATTRIBUTE_TYPE_INVALID),
    RV(CKR_ATTRIBUTE_VALUE_INVALID),
    RV(CKR_DATA_INVALID),
    RV(CKR_DATA_LEN_RANGE),
    RV(CKR_DEVICE_ERROR),
    RV(CKR_DEVICE_MEMORY),
    RV(CKR_DEVICE_REMOVED),
    RV(CKR_FUNCTION_CANCELED),
    RV(CKR_FUNCTION_NOT_SUPPORTED),
    RV(CKR_KEY_HANDLE_INVALID),
    RV(CKR_KEY_SIZE_RANGE),
    RV(CKR_KEY_TYPE_INCONSISTENT),
    RV(CKR_KEY_FUNCTION_NOT_PERMITTED),
    RV(CKR_MECHANISM_INVALID),
    RV(CKR_MECHANISM_PARAM_INVALID),
    RV(CKR_OBJECT_HANDLE_INVALID),
    RV(CKR_OPERATION_ACTIVE),
    RV(CKR_OPERATION_NOT_INITIALIZED),
    RV(CKR_PIN_INCORRECT),
    RV(CKR_PIN_INVALID),
    RV(CKR_PIN_LEN_RANGE),
    RV(CKR_PIN_EXPIRED),
    RV(CKR_PIN_LOCKED),
    RV(CKR_SESSION_CLOSED),
    RV(CKR_SESSION_COUNT),
    RV(CKR_SESSION_HANDLE_INVALID),
    RV(CKR_SESSION_READ_ONLY),
    RV(CKR_TEMPLATE_INCOMPLETE),
    RV(CKR_TEMPLATE_INCONSISTENT),
    RV(CKR_TOKEN_NOT_PRESENT),
    RV(CKR_TOKEN_NOT_RECOGNIZED),
    RV(CKR_TOKEN_WRITE_PROTECTED),
    RV(CKR_USER_ALREADY_LOGGED_IN),
    RV(CKR_USER_NOT_LOGGED_IN),
    RV(CKR_USER_PIN_NOT_INITIALIZED),
    RV(CKR_USER_TYPE_INVALID),
    RV(CKR_DOMAIN_PARAMS_INVALID),
    RV(CKR_CURVE_NOT_SUPPORTED),
    RV(CKR_BUFFER_TOO_SMALL),
    RV(CKR_CRYPTOKI_NOT_INITIALIZED),
    RV(CKR_CRYPTOKI_ALREADY_INITIALIZED),
    { P11_RV_BAD_SIG_LEN, "signature of the wrong length" },
#undef RV
};

const char *
p11_rv_name(CK_RV rv)
{
    for (size_t i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++) {
        if (rv_names[i].rv == rv) {
            return rv_names[i].name;
        }
    }
    return "CKR_(other)";
}

enum p11_rv_class
p11_rv_classify(CK_RV rv)
{
    switch (rv) {
    case CKR_OK:
        return P11_RV_OK;
    case CKR_OBJECT_HANDLE_INVALID:
    case CKR_KEY_HANDLE_INVALID:
        return P11_RV_HANDLE;
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
    case CKR_DEVICE_ERROR:
    case CKR_DEVICE_REMOVED:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_USER_NOT_LOGGED_IN:
    case CKR_CRYPTOKI_NOT_INITIALIZED:
        return P11_RV_REOPEN;
    default:
        return P11_RV_FAIL;
    }
}

hm_err
p11_rv_err(CK_RV rv)
{
    switch (p11_rv_classify(rv)) {
    case P11_RV_OK:
        return HM_OK;
    case P11_RV_HANDLE:
        return HM_E_NOTFOUND;
    case P11_RV_REOPEN:
        return HM_E_UNAVAILABLE;
    case P11_RV_FAIL:
        break;
    }
    switch (rv) {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
    case CKR_PIN_EXPIRED:
    case CKR_PIN_LOCKED:
    case CKR_USER_PIN_NOT_INITIALIZED:
        return HM_E_DENIED;
    case CKR_HOST_MEMORY:
        return HM_E_NOMEM;
    case CKR_DATA_LEN_RANGE:
    case CKR_DATA_INVALID:
        return HM_E_INVALID;
    default:
        return HM_E_BACKEND;
    }
}

void
p11_field(const unsigned char *field, size_t len, char *out)
{
    while (len > 0 && (field[len - 1] == ' ' || field[len - 1] == '\0')) {
        len--;
    }
    for (size_t i = 0; i < len; i++) {
        out[i] = field[i] < 0x20 || field[i] == 0x7f ? '?' : (char)field[i];
    }
    out[len] = '\0';
}

static bool
token_matches(const struct hm_p11_uri *u, const CK_TOKEN_INFO *ti)
{
    char label[33], manuf[33], serial[17], model[17];

    p11_field(ti->label, sizeof(ti->label), label);
    p11_field(ti->manufacturerID, sizeof(ti->manufacturerID), manuf);
    p11_field(ti->serialNumber, sizeof(ti->serialNumber), serial);
    p11_field(ti->model, sizeof(ti->model), model);
    return (u->token == NULL || strcmp(u->token, label) == 0) &&
           (u->manufacturer == NULL || strcmp(u->manufacturer, manuf) == 0) &&
           (u->serial == NULL || strcmp(u->serial, serial) == 0) &&
           (u->model == NULL || strcmp(u->model, model) == 0);
}

static hm_err
slot_list(CK_FUNCTION_LIST *f, CK_SLOT_ID **out, CK_ULONG *n)
{
    CK_RV rv;

    *out = NULL;
    *n = 0;
    if ((rv = f->C_GetSlotList(CK_TRUE, NULL, n)) != CKR_OK) {
        hm_error("hsm: C_GetSlotList failed: %s", p11_rv_name(rv));
        return p11_rv_err(rv) == HM_E_UNAVAILABLE ? HM_E_UNAVAILABLE : HM_E_BACKEND;
    }
    if (*n == 0) {
        return HM_OK;
    }
    if (*n > P11_MAX_SLOTS) {
        return HM_E_LIMIT;
    }
    if ((*out = calloc(*n, sizeof(**out))) == NULL) {
        return HM_E_NOMEM;
    }
    if ((rv = f->C_GetSlotList(CK_TRUE, *out, n)) != CKR_OK) {
        hm_error("hsm: C_GetSlotList failed: %s", p11_rv_name(rv));
        free(*out);
        *out = NULL;
        return HM_E_UNAVAILABLE; /* slots came or went between the two calls: retry */
    }
    return HM_OK;
}

hm_err
p11_find_slot(CK_FUNCTION_LIST *f, const struct hm_p11_uri *u, CK_SLOT_ID *slot,
              CK_TOKEN_INFO *info)
{
    CK_SLOT_ID *slots = NULL;
    CK_ULONG n = 0;
    size_t matches = 0;
    hm_err err;

    if ((err = slot_list(f, &slots, &n)) != HM_OK) {
        return err;
    }
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK || (ti.flags & CKF_TOKEN_INITIALIZED) == 0 ||
            !token_matches(u, &ti)) {
            continue;
        }
        if (matches++ == 0) {
            *slot = slots[i];
            *info = ti;
        }
    }
    free(slots);
    if (matches == 0) {
        hm_error("hsm: no initialised token matches the URI (token=%s)",
                 u->token != NULL ? u->token : "(any)");
        return HM_E_NOTFOUND;
    }
    if (matches > 1) {
        hm_error("hsm: the URI matches %zu tokens; name one with token=", matches);
        return HM_E_INVALID;
    }
    return HM_OK;
}

/*
 * hm_pkcs11_shim.so: a PKCS#11 module for tests and benchmarks.  It forwards every call
 * to the real module named by HM_SHIM_MODULE (default SoftHSM2) and, on request, makes
 * calls fail, slows C_Sign down, or hangs it.
 *
 * Control: whitespace-separated key=value words, from the environment variable
 * HM_SHIM_FAULT (read once, at load) and from the file named by HM_SHIM_CONTROL (checked
 * on every call: re-read when its stat changes or 50 ms have passed; a file that differs
 * from the last one read replaces the whole setting and restarts the count; an empty or
 * missing file falls back to HM_SHIM_FAULT):
 *
 *   fault=CKR_DEVICE_ERROR  the code to return (a CKR_ name from the table below, or 0xHEX)
 *   count=N                 fail only the next N matching calls (default: until cleared)
 *   scope=sign              C_SignInit and C_Sign fail (default)
 *   scope=c_sign            only C_Sign fails (after C_SignInit succeeded)
 *   scope=all               also C_Initialize, C_GetSlotList, C_GetTokenInfo,
 *                           C_OpenSession, C_Login, C_FindObjectsInit, C_GetAttributeValue
 *   latency_us=N            every C_Sign sleeps N microseconds first (the benchmark: 5000)
 *   hang=1                  C_Sign blocks until the control no longer says hang=1
 *   seq=ANY                 ignored; lets a test make two otherwise equal settings differ
 *
 * A failed C_Sign is forwarded first (ending the operation in the real module, as a
 * device error mid-call would) and its output buffer is then filled with 0xA5, so a
 * caller that used the output of a failed C_Sign would hand out garbage.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define SHIM_DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define SHIM_CTL_MAX        1024

struct shim_ctl {
    CK_RV fault; /* CKR_OK: none */
    long count;  /* calls left to fail; -1: until cleared */
    bool all;
    bool c_sign_only;
    unsigned long latency_us;
    bool hang;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static CK_FUNCTION_LIST *real;
static CK_FUNCTION_LIST shim;
static struct shim_ctl env_ctl, ctl;
static struct stat last_st;
static struct timespec last_read;
static char last_text[SHIM_CTL_MAX + 1];

static const struct {
    const char *name;
    CK_RV rv;
} codes[] = {
    { "CKR_DEVICE_ERROR", CKR_DEVICE_ERROR },
    { "CKR_DEVICE_REMOVED", CKR_DEVICE_REMOVED },
    { "CKR_TOKEN_NOT_PRESENT", CKR_TOKEN_NOT_PRESENT },
    { "CKR_SESSION_HANDLE_INVALID", CKR_SESSION_HANDLE_INVALID },
    { "CKR_SESSION_CLOSED", CKR_SESSION_CLOSED },
    { "CKR_USER_NOT_LOGGED_IN", CKR_USER_NOT_LOGGED_IN },
    { "CKR_OBJECT_HANDLE_INVALID", CKR_OBJECT_HANDLE_INVALID },
    { "CKR_KEY_HANDLE_INVALID", CKR_KEY_HANDLE_INVALID },
    { "CKR_CRYPTOKI_NOT_INITIALIZED", CKR_CRYPTOKI_NOT_INITIALIZED },
    { "CKR_FUNCTION_FAILED", CKR_FUNCTION_FAILED },
    { "CKR_GENERAL_ERROR", CKR_GENERAL_ERROR },
    { "CKR_PIN_INCORRECT", CKR_PIN_INCORRECT },
};

static void
ctl_parse(const char *text, struct shim_ctl *c)
{
    char buf[SHIM_CTL_MAX + 1], *save = NULL;

    memset(c, 0, sizeof(*c));
    c->count = -1;
    snprintf(buf, sizeof(buf), "%s", text);
    for (char *w = strtok_r(buf, " \t\r\n", &save); w != NULL;
         w = strtok_r(NULL, " \t\r\n", &save)) {
        if (strncmp(w, "fault=", 6) == 0) {
            c->fault = strtoul(w + 6, NULL, 16);
            for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
                if (strcmp(w + 6, codes[i].name) == 0) {
                    c->fault = codes[i].rv;
                }
            }
        } else if (strncmp(w, "count=", 6) == 0) {
            c->count = strtol(w + 6, NULL, 10);
        } else if (strcmp(w, "scope=all") == 0) {
            c->all = true;
        } else if (strcmp(w, "scope=c_sign") == 0) {
            c->c_sign_only = true;
        } else if (strncmp(w, "latency_us=", 11) == 0) {
            c->latency_us = strtoul(w + 11, NULL, 10);
        } else if (strcmp(w, "hang=1") == 0) {
            c->hang = true;
        }
    }
}

static long
ms_since(const struct timespec *t)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* With mu held: picks up a changed control file. */
static void
ctl_refresh(void)
{
    const char *path = getenv("HM_SHIM_CONTROL");
    char text[SHIM_CTL_MAX + 1] = "";
    struct stat st;
    ssize_t n = 0;
    int fd;

    if (path == NULL) {
        return;
    }
    memset(&st, 0, sizeof(st));
    (void)stat(path, &st);
    if (st.st_ino == last_st.st_ino && st.st_size == last_st.st_size &&
        st.st_mtim.tv_sec == last_st.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == last_st.st_mtim.tv_nsec && ms_since(&last_read) < 50) {
        return;
    }
    last_st = st;
    clock_gettime(CLOCK_MONOTONIC, &last_read);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
        n = read(fd, text, SHIM_CTL_MAX);
        close(fd);
    }
    text[n > 0 ? n : 0] = '\0';
    if (strcmp(text, last_text) == 0) {
        return;
    }
    memcpy(last_text, text, sizeof(text));
    if (text[strspn(text, " \t\r\n")] == '\0') {
        ctl = env_ctl;
    } else {
        ctl_parse(text, &ctl);
    }
}

enum call_kind { CALL_OTHER, CALL_SIGN_INIT, CALL_SIGN };

/* The fault for this call, if any; consumes one from count. */
static CK_RV
fault_for(enum call_kind kind)
{
    bool match;
    CK_RV rv = CKR_OK;

    pthread_mutex_lock(&mu);
    ctl_refresh();
    match = ctl.c_sign_only ? kind == CALL_SIGN : kind != CALL_OTHER || ctl.all;
    if (ctl.fault != CKR_OK && match && ctl.count != 0) {
        rv = ctl.fault;
        if (ctl.count > 0) {
            ctl.count--;
        }
    }
    pthread_mutex_unlock(&mu);
    return rv;
}

static void
sleep_us(unsigned long us)
{
    struct timespec t = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };

    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

static CK_RV
shim_Initialize(void *args)
{
    CK_RV rv = fault_for(CALL_OTHER);
    return rv != CKR_OK ? rv : real->C_Initialize(args);
}

static CK_RV
shim_GetSlotList(CK_BBOOL present, CK_SLOT_ID *list, CK_ULONG *n)
{
    CK_RV rv = fault_for(CALL_OTHER);
    return rv != CKR_OK ? rv : real->C_GetSlotList(present, list, n);
}

static CK_RV
shim_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO *info)
{
    CK_RV rv = fault_for(CALL_OTHER);
    return rv != CKR_OK ? rv : real->C_GetTokenInfo(slot, info);
}

static CK_RV
shim_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, void *app, CK_NOTIFY notify, CK_SESSION_HANDLE *s)
{
    CK_RV rv = fault_for(CALL_OTHER);
    return rv != CKR_OK ? rv : real->C_OpenSession(slot, flags, app, notify, s);
}

static CK_RV
shim_Login(CK_SESSION_HANDLE s, CK_USER_TYPE type, unsigned char *pin, CK_ULONG len)
{
    CK_RV rv = fault_for(CALL_OTHER);
    return rv != CKR_OK ? rv : real->C_Login(s, type, pin, len);
}

static CK_RV
shim_FindObjectsInit(CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n)
{
    CK_RV rv = fault_for(CALL_OTHER);
    return rv != CKR_OK ? rv : real->C_FindObjectsInit(s, t, n);
}

static CK_RV
shim_GetAttributeValue(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE *t, CK_ULONG n)
{
    CK_RV rv = fault_for(CALL_OTHER);
    return rv != CKR_OK ? rv : real->C_GetAttributeValue(s, o, t, n);
}

static CK_RV
shim_SignInit(CK_SESSION_HANDLE s, CK_MECHANISM *m, CK_OBJECT_HANDLE key)
{
    CK_RV rv = fault_for(CALL_SIGN_INIT);
    return rv != CKR_OK ? rv : real->C_SignInit(s, m, key);
}

static CK_RV
shim_Sign(CK_SESSION_HANDLE s, unsigned char *data, CK_ULONG len, unsigned char *sig,
          CK_ULONG *sig_len)
{
    struct shim_ctl c;
    CK_ULONG cap = sig_len != NULL ? *sig_len : 0;
    CK_RV rv;

    for (;;) {
        pthread_mutex_lock(&mu);
        ctl_refresh();
        c = ctl;
        pthread_mutex_unlock(&mu);
        if (!c.hang) {
            break;
        }
        sleep_us(10000);
    }
    if (c.latency_us > 0) {
        sleep_us(c.latency_us);
    }
    rv = fault_for(CALL_SIGN);
    if (rv == CKR_OK) {
        return real->C_Sign(s, data, len, sig, sig_len);
    }
    (void)real->C_Sign(s, data, len, sig, sig_len);
    if (sig != NULL) {
        memset(sig, 0xa5, cap);
    }
    return rv;
}

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST **out)
{
    const char *path = getenv("HM_SHIM_MODULE");
    const char *env = getenv("HM_SHIM_FAULT");
    CK_C_GetFunctionList get = NULL;
    void *dl;

    pthread_mutex_lock(&mu);
    if (real == NULL) {
        if ((dl = dlopen(path != NULL ? path : SHIM_DEFAULT_MODULE, RTLD_NOW | RTLD_LOCAL)) ==
                NULL ||
            (*(void **)(&get) = dlsym(dl, "C_GetFunctionList")) == NULL || get(&real) != CKR_OK) {
            pthread_mutex_unlock(&mu);
            return CKR_GENERAL_ERROR;
        }
        ctl_parse(env != NULL ? env : "", &env_ctl);
        ctl = env_ctl;
        shim = *real;
        shim.C_GetFunctionList = C_GetFunctionList;
        shim.C_Initialize = shim_Initialize;
        shim.C_GetSlotList = shim_GetSlotList;
        shim.C_GetTokenInfo = shim_GetTokenInfo;
        shim.C_OpenSession = shim_OpenSession;
        shim.C_Login = shim_Login;
        shim.C_FindObjectsInit = shim_FindObjectsInit;
        shim.C_GetAttributeValue = shim_GetAttributeValue;
        shim.C_SignInit = shim_SignInit;
        shim.C_Sign = shim_Sign;
    }
    pthread_mutex_unlock(&mu);
    *out = &shim;
    return CKR_OK;
}

/*
 * bench_raw_sign: the PKCS#11 signing rate, raw and through hm_key_sign, on one key with
 * the same number of threads and sessions.  Not a test; ci/bench runs it.
 *
 *   bench_raw_sign --uri URI [--threads N] [--seconds S] [--mode raw|hm|both]
 *   bench_raw_sign --setup DIR [--alg ec-p256|ec-p384|ed25519|rsa-3072] [...as above]
 *
 * URI names the key and carries module-path and pin-source, e.g.
 *   'pkcs11:token=bench;object=bench-ec-p256?module-path=/usr/lib/softhsm/libsofthsm2.so
 *    &pin-source=file:/state/user.pin'
 * --setup makes a SoftHSM2 token "bench" in DIR (which must not hold one) with a key of
 * --alg (default ec-p256) and benchmarks that key.
 *
 * raw: dlopen the module, C_Initialize(CKF_OS_LOCKING_OK), one C_Login, one session per
 *      thread, C_SignInit + C_Sign per signature with the mechanism hsm/ uses (CKM_ECDSA
 *      over a host SHA-256/384 digest, CKM_EDDSA, CKM_RSA_PKCS_PSS over a host SHA-256):
 *      the baseline DESIGN.md compares against.
 * hm:  hm_hsm_open with a pool of N sessions and N threads calling hm_key_sign (DER).
 *
 * Prints one line per mode, e.g.
 *   mode=raw alg=ec-p256 threads=2 seconds=3.00 sigs=116817 sig_per_s=38939
 * and with --mode both a last line "ratio hm/raw=0.98".  Exit 0, or 2 on a usage/setup
 * error, or 1 when a signature failed.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

#include "hsm_int.h"

#define BENCH_MAX_THREADS 256

struct bench {
    const char *uri;
    unsigned threads;
    double seconds;
    volatile int stop;
    /* raw */
    CK_FUNCTION_LIST *f;
    CK_SESSION_HANDLE sess[BENCH_MAX_THREADS];
    CK_OBJECT_HANDLE key;
    CK_MECHANISM_TYPE mech;
    const EVP_MD *md;
    const char *alg;
    /* hm */
    struct hm_key *hkey;
};

struct worker {
    struct bench *b;
    unsigned idx;
    unsigned long sigs;
    unsigned long errors;
};

static double
now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *
raw_worker(void *arg)
{
    struct worker *w = arg;
    struct bench *b = w->b;
    CK_RSA_PKCS_PSS_PARAMS pss = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
    CK_MECHANISM m = { b->mech, NULL, 0 };
    uint8_t msg[64], in[EVP_MAX_MD_SIZE], sig[512];

    if (b->mech == CKM_RSA_PKCS_PSS) {
        m.pParameter = &pss;
        m.ulParameterLen = sizeof(pss);
    }
    memset(msg, 'm', sizeof(msg));
    while (!__atomic_load_n(&b->stop, __ATOMIC_RELAXED)) {
        unsigned dlen = sizeof(msg);
        CK_ULONG slen = sizeof(sig);
        memcpy(msg, &w->sigs, sizeof(w->sigs));
        if (b->md != NULL) {
            EVP_Digest(msg, sizeof(msg), in, &dlen, b->md, NULL);
        } else {
            memcpy(in, msg, sizeof(msg));
        }
        if (b->f->C_SignInit(b->sess[w->idx], &m, b->key) != CKR_OK ||
            b->f->C_Sign(b->sess[w->idx], in, dlen, sig, &slen) != CKR_OK) {
            w->errors++;
            continue;
        }
        w->sigs++;
    }
    return NULL;
}

static void *
hm_worker(void *arg)
{
    struct worker *w = arg;
    uint8_t msg[64], *sig = NULL;
    size_t slen = 0;

    memset(msg, 'm', sizeof(msg));
    while (!__atomic_load_n(&w->b->stop, __ATOMIC_RELAXED)) {
        memcpy(msg, &w->sigs, sizeof(w->sigs));
        if (hm_key_sign(w->b->hkey, msg, sizeof(msg), HM_SIG_DER, &sig, &slen) != HM_OK) {
            w->errors++;
            continue;
        }
        free(sig);
        w->sigs++;
    }
    return NULL;
}

/* Runs fn on b->threads threads for b->seconds; returns sig/s, or -1 on errors. */
static double
run(struct bench *b, void *(*fn)(void *), const char *mode)
{
    pthread_t t[BENCH_MAX_THREADS];
    struct worker w[BENCH_MAX_THREADS];
    unsigned long sigs = 0, errors = 0;
    double t0, el;

    b->stop = 0;
    t0 = now_s();
    for (unsigned i = 0; i < b->threads; i++) {
        w[i] = (struct worker){ .b = b, .idx = i };
        pthread_create(&t[i], NULL, fn, &w[i]);
    }
    usleep((useconds_t)(b->seconds * 1e6));
    __atomic_store_n(&b->stop, 1, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < b->threads; i++) {
        pthread_join(t[i], NULL);
        sigs += w[i].sigs;
        errors += w[i].errors;
    }
    el = now_s() - t0;
    printf("mode=%s alg=%s threads=%u seconds=%.2f sigs=%lu sig_per_s=%.0f errors=%lu\n", mode,
           b->alg, b->threads, el, sigs, (double)sigs / el, errors);
    return errors > 0 ? -1 : (double)sigs / el;
}

static int
raw_find_key(struct bench *b, const struct hm_p11_uri *u)
{
    static const uint8_t p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[3] = { { CKA_CLASS, &cls, sizeof(cls) } };
    CK_ULONG n = 1, found = 0;
    CK_KEY_TYPE kt = 0;
    uint8_t params[64];
    CK_ATTRIBUTE a[2] = { { CKA_KEY_TYPE, &kt, sizeof(kt) }, { CKA_EC_PARAMS, params, 64 } };

    if (u->object != NULL) {
        t[n++] = (CK_ATTRIBUTE){ CKA_LABEL, u->object, strlen(u->object) };
    }
    if (u->has_id) {
        t[n++] = (CK_ATTRIBUTE){ CKA_ID, u->id, u->id_len };
    }
    if (b->f->C_FindObjectsInit(b->sess[0], t, n) != CKR_OK ||
        b->f->C_FindObjects(b->sess[0], &b->key, 1, &found) != CKR_OK ||
        b->f->C_FindObjectsFinal(b->sess[0]) != CKR_OK || found != 1) {
        fprintf(stderr, "bench: the URI names no private key\n");
        return -1;
    }
    (void)b->f->C_GetAttributeValue(b->sess[0], b->key, a, 2);
    b->mech = kt == CKK_RSA ? CKM_RSA_PKCS_PSS : kt == CKK_EC_EDWARDS ? CKM_EDDSA : CKM_ECDSA;
    b->md = kt == CKK_EC_EDWARDS ? NULL : EVP_sha256();
    b->alg = kt == CKK_RSA ? "rsa-3072" : kt == CKK_EC_EDWARDS ? "ed25519" : "ec-p256";
    if (kt == CKK_EC && a[1].ulValueLen == sizeof(p384) && memcmp(params, p384, 7) == 0) {
        b->md = EVP_sha384();
        b->alg = "ec-p384";
    }
    return 0;
}

static int
raw_open(struct bench *b, const struct hm_p11_uri *u, void **dl)
{
    CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
    CK_C_GetFunctionList get = NULL;
    CK_SLOT_ID slots[64], slot = 0;
    CK_ULONG n = 64;
    struct hm_secret *pin = NULL;
    bool have = false;
    CK_RV rv;

    if ((*dl = dlopen(u->module_path ? u->module_path : HM_SOFTHSM_MODULE, RTLD_NOW)) == NULL ||
        (*(void **)(&get) = dlsym(*dl, "C_GetFunctionList")) == NULL || get(&b->f) != CKR_OK ||
        b->f->C_Initialize(&args) != CKR_OK || b->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK) {
        fprintf(stderr, "bench: cannot load or initialise the module\n");
        return -1;
    }
    for (CK_ULONG i = 0; i < n && !have; i++) {
        CK_TOKEN_INFO ti;
        char label[33];
        if (b->f->C_GetTokenInfo(slots[i], &ti) == CKR_OK) {
            memcpy(label, ti.label, 32);
            label[32] = '\0';
            for (int k = 31; k >= 0 && label[k] == ' '; k--) {
                label[k] = '\0';
            }
            have = u->token == NULL || strcmp(label, u->token) == 0;
            slot = slots[i];
        }
    }
    for (unsigned i = 0; have && i < b->threads; i++) {
        have = b->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &b->sess[i]) == CKR_OK;
    }
    if (!have || u->pin_source == NULL || hm_secret_from_source(u->pin_source, &pin) != HM_OK) {
        fprintf(stderr, "bench: no token, no sessions or no PIN\n");
        return -1;
    }
    rv = b->f->C_Login(b->sess[0], CKU_USER, pin->buf, pin->len);
    hm_secret_free(pin);
    return rv == CKR_OK ? raw_find_key(b, u) : -1;
}

static double
bench_raw(struct bench *b)
{
    struct hm_p11_uri *u = NULL;
    const char *reason = NULL;
    void *dl = NULL;
    double rate = -1;

    if (hm_p11_uri_parse(b->uri, &reason, &u) != HM_OK) {
        fprintf(stderr, "bench: bad URI: %s\n", reason);
        return -1;
    }
    if (raw_open(b, u, &dl) == 0) {
        rate = run(b, raw_worker, "raw");
    }
    if (b->f != NULL) {
        (void)b->f->C_Finalize(NULL);
    }
    hm_p11_uri_free(u);
    return rate;
}

static double
bench_hm(struct bench *b)
{
    struct hm_hsm_opts opts = { .sessions = b->threads };
    struct hm_hsm *h = NULL;
    double rate = -1;

    if (hm_hsm_open(b->uri, &opts, &h) != HM_OK || hm_hsm_find_key(h, b->uri, &b->hkey) != HM_OK) {
        fprintf(stderr, "bench: cannot open the token or find the key\n");
    } else {
        b->alg = hm_key_alg_name(hm_key_alg(b->hkey));
        rate = run(b, hm_worker, "hm");
    }
    hm_hsm_close(h);
    return rate;
}

/* --setup DIR: a fresh token with one key; *uri gets its URI (malloc'ed). */
static int
setup_token(const char *dir, const char *alg_name, char **uri)
{
    struct hm_hsm *h = NULL;
    struct hm_key *k = NULL;
    enum hm_key_alg alg;
    char tok[4096], label[64];
    size_t len;

    if (hm_key_alg_parse(alg_name, &alg) != HM_OK || hm_softhsm_init_token(dir, "bench", NULL)) {
        fprintf(stderr, "bench: cannot set up a token in %s\n", dir);
        return -1;
    }
    snprintf(tok, sizeof(tok), "pkcs11:token=bench?pin-source=file:%s/user.pin", dir);
    snprintf(label, sizeof(label), "bench-%s", alg_name);
    if (hm_hsm_open(tok, NULL, &h) != HM_OK || hm_hsm_generate_key(h, alg, label, &k) != HM_OK) {
        hm_hsm_close(h);
        return -1;
    }
    len = strlen(hm_key_uri(k)) + strlen(dir) + 64;
    *uri = malloc(len);
    snprintf(*uri, len, "%s?pin-source=file:%s/user.pin", hm_key_uri(k), dir);
    hm_hsm_close(h);
    return 0;
}

static int
usage(void)
{
    fprintf(stderr, "usage: bench_raw_sign (--uri URI | --setup DIR [--alg ALG]) [--threads N] "
                    "[--seconds S] [--mode raw|hm|both]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    struct bench *b = calloc(1, sizeof(*b));
    const char *mode = "both", *setup = NULL, *alg = "ec-p256";
    char *made = NULL;
    double raw = 0, hm = 0;

    b->threads = 1;
    b->seconds = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--uri") == 0) {
            b->uri = argv[i + 1];
        } else if (strcmp(argv[i], "--threads") == 0) {
            b->threads = (unsigned)strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--seconds") == 0) {
            b->seconds = strtod(argv[i + 1], NULL);
        } else if (strcmp(argv[i], "--mode") == 0) {
            mode = argv[i + 1];
        } else if (strcmp(argv[i], "--setup") == 0) {
            setup = argv[i + 1];
        } else if (strcmp(argv[i], "--alg") == 0) {
            alg = argv[i + 1];
        } else {
            return usage();
        }
    }
    if (argc % 2 == 0 || b->threads == 0 || b->threads > BENCH_MAX_THREADS ||
        !(b->seconds > 0 && b->seconds < 3600) ||
        (strcmp(mode, "raw") != 0 && strcmp(mode, "hm") != 0 && strcmp(mode, "both") != 0)) {
        return usage();
    }
    hm_log_set_level(HM_LOG_WARN);
    if (setup != NULL && (b->uri != NULL || setup_token(setup, alg, &made) != 0)) {
        return usage();
    }
    if (made != NULL) {
        b->uri = made;
        printf("uri=%s\n", made);
    }
    if (b->uri == NULL) {
        return usage();
    }
    if (strcmp(mode, "hm") != 0 && (raw = bench_raw(b)) < 0) {
        return 1;
    }
    if (strcmp(mode, "raw") != 0 && (hm = bench_hm(b)) < 0) {
        return 1;
    }
    if (strcmp(mode, "both") == 0) {
        printf("ratio hm/raw=%.2f\n", hm / raw);
    }
    free(made);
    free(b);
    return 0;
}

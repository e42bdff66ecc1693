/*
 * bench_tpm.c: TPM signing rate, raw Esys_Sign against hm_key_sign through the backend,
 * the same P-256 key in the same run against the same private swtpm (not a test; ci/bench
 * runs it).  swtpm serves one connection at a time, so the phases take turns.
 *
 *   bench_tpm [SECONDS]     (default 3 per phase)
 *
 * Phases: raw Esys_Sign on a host digest (password auth, one loaded key, what
 * dependencies.md section 4 measured); hm_key_sign_digest (the backend: lock, cache
 * check, auth set/clear, Esys_Sign, r/s copy, host-side verification of every
 * signature); hm_key_sign on a 1 KiB message (plus hashing and DER); and hm_key_sign
 * from 4 threads (the lock serialises them: the TPM runs one command at a time).
 */
#include <hm/keyevidence.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "tpm2_int.h"
#include "tpm_test_util.h"

static double
now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Raw ESYS: our storage primary template, the blob loaded, Esys_Sign in a loop. */
static double
raw_rate(const struct tpm_fixture *f, const char *blob, double seconds)
{
    TSS2_TCTI_CONTEXT *tcti = NULL;
    ESYS_CONTEXT *esys = NULL;
    TPM2B_SENSITIVE_CREATE sens = { 0 };
    TPM2B_DATA outside = { 0 };
    TPML_PCR_SELECTION pcrs = { 0 };
    TPM2B_PUBLIC tmpl, pub, *opub = NULL;
    TPM2B_PRIVATE priv;
    TPM2B_CREATION_DATA *cd = NULL;
    TPM2B_DIGEST *ch = NULL, d = { .size = 32 };
    TPMT_TK_CREATION *tk = NULL;
    TPMT_TK_HASHCHECK ticket = { .tag = TPM2_ST_HASHCHECK, .hierarchy = TPM2_RH_NULL };
    TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_ECDSA };
    ESYS_TR prim = ESYS_TR_NONE, key = ESYS_TR_NONE;
    TPM2B_AUTH auth = { 0 };
    char label[80];
    uint8_t *a;
    size_t alen = 0;
    unsigned long n = 0;
    double t0, t = 1;

    scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    tpm2_template_srk(&tmpl);
    a = tpm_read_all(f->auth, &alen);
    auth.size = (UINT16)alen;
    memcpy(auth.buffer, a, alen);
    free(a);
    SHA256((const uint8_t *)"bench", 5, d.buffer);
    if (tpm2_blob_read(blob, label, sizeof(label), &pub, &priv) != HM_OK ||
        Tss2_TctiLdr_Initialize(f->tcti, &tcti) != 0 || Esys_Initialize(&esys, tcti, NULL) != 0 ||
        Esys_CreatePrimary(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                           &sens, &tmpl, &outside, &pcrs, &prim, &opub, &cd, &ch, &tk) != 0 ||
        Esys_Load(esys, prim, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &key) !=
            0 ||
        Esys_TR_SetAuth(esys, key, &auth) != 0) {
        fprintf(stderr, "bench_tpm: raw ESYS set-up failed\n");
        return 0;
    }
    t0 = now();
    do {
        TPMT_SIGNATURE *sig = NULL;
        if (Esys_Sign(esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &d, &scheme, &ticket,
                      &sig) != 0) {
            fprintf(stderr, "bench_tpm: Esys_Sign failed\n");
            break;
        }
        Esys_Free(sig);
        n++;
    } while ((t = now() - t0) < seconds);
    Esys_FlushContext(esys, key);
    Esys_FlushContext(esys, prim);
    Esys_Free(opub);
    Esys_Free(cd);
    Esys_Free(ch);
    Esys_Free(tk);
    Esys_Finalize(&esys);
    Tss2_TctiLdr_Finalize(&tcti);
    return (double)n / t;
}

struct job {
    struct hm_key *key;
    double seconds;
    bool digest;
    unsigned long n, errors;
};

static void *
sign_loop(void *arg)
{
    struct job *j = arg;
    uint8_t msg[1024], dg[32];
    double t0 = now();

    memset(msg, 'x', sizeof(msg));
    SHA256(msg, sizeof(msg), dg);
    while (now() - t0 < j->seconds) {
        uint8_t *sig = NULL;
        size_t len = 0;
        hm_err err = j->digest ? hm_key_sign_digest(j->key, dg, 32, HM_SIG_RAW, &sig, &len)
                               : hm_key_sign(j->key, msg, sizeof(msg), HM_SIG_DER, &sig, &len);
        if (err == HM_OK) {
            j->n++;
        } else {
            j->errors++;
        }
        free(sig);
    }
    return NULL;
}

static double
hm_rate(struct hm_key *key, double seconds, bool digest, int threads)
{
    struct job jobs[8];
    pthread_t t[8];
    unsigned long n = 0, errors = 0;
    double t0 = now(), el;

    for (int i = 0; i < threads; i++) {
        jobs[i] = (struct job){ .key = key, .seconds = seconds, .digest = digest };
        pthread_create(&t[i], NULL, sign_loop, &jobs[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        n += jobs[i].n;
        errors += jobs[i].errors;
    }
    el = now() - t0;
    if (errors > 0) {
        fprintf(stderr, "bench_tpm: %lu signing errors\n", errors);
    }
    return (double)n / el;
}

int
main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 3.0, raw, dig, msg, four;
    struct tpm_fixture f;
    struct hm_hsm *hsm = NULL;
    struct hm_key *key = NULL;
    char blob[1100], uri[1200];

    hm_log_set_level(HM_LOG_ERROR);
    if (seconds <= 0 || tpm_fixture_setup(&f, false) != 0) {
        fprintf(stderr, "usage: bench_tpm [SECONDS]; swtpm and swtpm_setup are needed\n");
        return 2;
    }
    snprintf(blob, sizeof(blob), "%s/bench.tpm2", f.dir);
    snprintf(uri, sizeof(uri), "tpm2:blob=%s", blob);
    if (hm_hsm_open(f.uri, NULL, &hsm) != HM_OK ||
        hm_tpm2_generate_key(hsm, HM_KEY_EC_P256, "bench", blob, 0, &key) != HM_OK) {
        fprintf(stderr, "bench_tpm: cannot open the TPM or make the key\n");
        tpm_fixture_teardown(&f);
        return 2;
    }
    /* swtpm serves one connection at a time: raw before and after the backend's phases,
     * the better of the two, so that a busy machine during one phase does not make the
     * backend look faster than the TPM */
    hm_hsm_close(hsm);
    hsm = NULL;
    raw = raw_rate(&f, blob, seconds);
    if (hm_hsm_open(f.uri, NULL, &hsm) != HM_OK || hm_hsm_find_key(hsm, uri, &key) != HM_OK) {
        fprintf(stderr, "bench_tpm: cannot reopen the TPM\n");
        hm_hsm_close(hsm);
        tpm_fixture_teardown(&f);
        return 2;
    }
    dig = hm_rate(key, seconds, true, 1);
    msg = hm_rate(key, seconds, false, 1);
    four = hm_rate(key, seconds, false, 4);
    hm_hsm_close(hsm);
    double raw2 = raw_rate(&f, blob, seconds);
    raw = raw2 > raw ? raw2 : raw;
    printf("TPM signing, ECDSA P-256, swtpm on 127.0.0.1, %.1f s per phase:\n", seconds);
    printf("  raw Esys_Sign (digest)            %8.0f sig/s  (best of before and after)\n", raw);
    printf("  hm_key_sign_digest, 1 thread      %8.0f sig/s  (%.0f%% of raw)\n", dig,
           raw > 0 ? 100 * dig / raw : 0);
    printf("  hm_key_sign 1 KiB (DER), 1 thread %8.0f sig/s  (%.0f%% of raw)\n", msg,
           raw > 0 ? 100 * msg / raw : 0);
    printf("  hm_key_sign 1 KiB (DER), 4 threads%8.0f sig/s  (%.0f%% of raw)\n", four,
           raw > 0 ? 100 * four / raw : 0);
    tpm_fixture_teardown(&f);
    return 0;
}

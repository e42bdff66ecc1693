/*
 * bench_verify.c: verifications per second of a typical bundle (ECDSA P-256 signature,
 * Ed25519-signed checkpoint, inclusion proof in a log of 100,000 entries, one image digest)
 * beside the cost floor measured in the same run: the two OpenSSL verifications a
 * verification cannot avoid (one ECDSA P-256 over the PAE, one Ed25519 over the checkpoint
 * text), called through EVP directly.  Built, not run by ctest (docs/performance.md).
 *
 *   bench_verify [SECONDS] (default 10)
 */
#include <hm/tlog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "vt.h"

#define NOW         1795900000
#define MAX_BATCHES 100000

struct floor_input {
    EVP_PKEY *ec, *ed;
    uint8_t *pae, *sig;
    size_t pae_len, sig_len;
    const char *text; /* checkpoint note text */
    size_t text_len;
    const uint8_t *cp_sig;
    size_t cp_sig_len;
};

static double
now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
evp_verify(EVP_PKEY *k, const EVP_MD *md, const uint8_t *msg, size_t len, const uint8_t *sig,
           size_t sig_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, k) == 1 &&
             EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;

    EVP_MD_CTX_free(ctx);
    return ok;
}

#define BATCH 16

/* One ECDSA P-256 verify and one Ed25519 verify: what any verifier of this bundle pays.
 * Returns the time of one pair, from a batch. */
static double
floor_batch(const struct floor_input *in)
{
    double t0 = now_s();

    for (int i = 0; i < BATCH; i++) {
        if (!evp_verify(in->ec, EVP_sha256(), in->pae, in->pae_len, in->sig, in->sig_len) ||
            !evp_verify(in->ed, NULL, (const uint8_t *)in->text, in->text_len, in->cp_sig,
                        in->cp_sig_len)) {
            fprintf(stderr, "floor: a verification failed\n");
            exit(1);
        }
    }
    return (now_s() - t0) / BATCH;
}

static double
ours_batch(const struct hm_trustroot *root, const char *bundle, const struct hm_verify_image *img)
{
    struct hm_device_facts dev = { "acme-thermostat", "1.4.1", NOW };
    struct hm_verify_result res;
    size_t len = strlen(bundle);
    double t0 = now_s();

    for (int i = 0; i < BATCH; i++) {
        if (hm_verify_bundle(root, (const uint8_t *)bundle, len, img, 1, &dev, &res) != HM_OK ||
            res.status != HM_V_OK) {
            fprintf(stderr, "ours: %s: %s\n", hm_verify_status_name(res.status), res.detail);
            exit(1);
        }
    }
    return (now_s() - t0) / BATCH;
}

static int
by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* The PAE, signature and checkpoint of the bundle, and the two public keys as EVP_PKEYs. */
static void
floor_setup(const char *bundle, const struct vt_key *signer, const struct vt_key *log_key,
            struct floor_input *in, struct hm_tlog_note **note)
{
    struct hm_bundle *b = NULL;
    struct hm_tlog_note_sig ns;
    cJSON *j = cJSON_Parse(bundle), *cp;
    const char *envelope;
    char why[200];
    BIO *bio;

    if (hm_bundle_parse((const uint8_t *)bundle, strlen(bundle), &b, why, sizeof(why)) != HM_OK ||
        hm_dsse_pae(b->dsse->payload_type, strlen(b->dsse->payload_type), b->dsse->payload,
                    b->dsse->payload_len, &in->pae, &in->pae_len) != HM_OK) {
        fprintf(stderr, "bundle: %s\n", why);
        exit(1);
    }
    in->sig = malloc(b->dsse->sigs[0].sig_len);
    memcpy(in->sig, b->dsse->sigs[0].sig, b->dsse->sigs[0].sig_len);
    in->sig_len = b->dsse->sigs[0].sig_len;
    hm_bundle_free(b);
    cp = cJSON_GetObjectItem(
        cJSON_GetObjectItem(
            cJSON_GetObjectItem(
                cJSON_GetArrayItem(
                    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "verificationMaterial"),
                                        "tlogEntries"),
                    0),
                "inclusionProof"),
            "checkpoint"),
        "envelope");
    envelope = cJSON_GetStringValue(cp);
    if (envelope == NULL ||
        hm_tlog_note_parse((const uint8_t *)envelope, strlen(envelope), note) != HM_OK) {
        fprintf(stderr, "no checkpoint\n");
        exit(1);
    }
    cJSON_Delete(j);
    in->text = hm_tlog_note_text(*note, &in->text_len);
    hm_tlog_note_sig(*note, 0, &ns);
    in->cp_sig = ns.sig;
    in->cp_sig_len = ns.sig_len;
    bio = BIO_new_mem_buf(vt_key_pem(signer), -1);
    in->ec = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    bio = BIO_new_mem_buf(vt_key_pem(log_key), -1);
    in->ed = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (in->ec == NULL || in->ed == NULL) {
        fprintf(stderr, "keys\n");
        exit(1);
    }
}

int
main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 10.0;
    struct vt_key *signer = vt_key_new(HM_KEY_EC_P256), *rk = vt_key_new(HM_KEY_ED25519);
    struct vt_log *log_ = vt_log_new(HM_KEY_ED25519, "log.hallmark.test/acme");
    struct vt_release rel = { .filler_before = 60000, .filler_after = 40000 };
    struct vt_root r = { 0 };
    struct floor_input in = { 0 };
    struct hm_tlog_note *note = NULL;
    struct hm_trustroot *root;
    struct hm_verify_image img = { .source = HM_IMAGE_DIGEST, .has_sha256 = true };
    static double f[MAX_BATCHES], o[MAX_BATCHES];
    size_t len = 0, n = 0;
    char *env, *bundle;

    r.keys[0] = (struct vt_root_key){ signer, NULL, 0, 0, false };
    r.n_keys = 1;
    r.logs[0] = log_;
    r.n_logs = 1;
    r.root_keys[0] = rk;
    r.n_root_keys = 1;
    env = vt_root_signed(&r, &len);
    root = vt_root_parse(env, len);
    bundle = vt_bundle(signer, log_, &rel, &len);
    floor_setup(bundle, signer, vt_log_key(log_), &in, &note);
    printf("bundle: %zu bytes, P-256 signature, Ed25519 checkpoint of a log of 100,001 "
           "entries, 1 image digest\n",
           strlen(bundle));
    hm_sha256("firmware image", 14, img.sha256);
    /* Small batches, interleaved: a busy machine slows both alike, and the median and the
     * minimum of many batches shrug off the batches another process interrupted. */
    for (double t0 = now_s(); n < MAX_BATCHES && now_s() - t0 < seconds; n++) {
        f[n] = floor_batch(&in);
        o[n] = ours_batch(root, bundle, &img);
    }
    qsort(f, n, sizeof(f[0]), by_value);
    qsort(o, n, sizeof(o[0]), by_value);
    printf("%zu batches of %d, interleaved\n", n, BATCH);
    printf("cost floor (1 ECDSA P-256 + 1 Ed25519 verify, EVP): median %.1f us (%.0f/s), min "
           "%.1f us\n",
           f[n / 2] * 1e6, 1 / f[n / 2], f[0] * 1e6);
    printf("hm_verify_bundle:                                   median %.1f us (%.0f/s), min "
           "%.1f us\n",
           o[n / 2] * 1e6, 1 / o[n / 2], o[0] * 1e6);
    printf("ratio to the floor: median %.3f, min %.3f\n", o[n / 2] / f[n / 2], o[0] / f[0]);
    hm_tlog_note_free(note);
    EVP_PKEY_free(in.ec);
    EVP_PKEY_free(in.ed);
    free(in.pae);
    free(in.sig);
    free(bundle);
    free(env);
    hm_trustroot_free(root);
    vt_log_free(log_);
    vt_key_free(signer);
    vt_key_free(rk);
    return 0;
}

/*
 * fuzz_log_routes.c: GET /v1/log/... path and query parsing (signer/daemon/log_routes.c)
 * against a small real log.  Input: "<path>?<query>" (the part after "/v1/log/"); every
 * reply must be 200, 400 or 404 and carry a body.
 */
#include <hm/tlog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../signer/daemon/tlogd.h"
#include "store.h"

static hm_err
fake_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig, size_t cap, size_t *sig_len)
{
    (void)ctx;
    (void)msg;
    (void)len;
    memset(sig, 0x5a, cap < 64 ? cap : 64);
    *sig_len = cap < 64 ? cap : 64;
    return HM_OK;
}

static char fz_dir[] = "/tmp/hm-fuzz-log-XXXXXX";

static void
cleanup(void)
{
    char cmd[64];

    hm_store_close(hmd.store);
    hmd.store = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", fz_dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "fuzz_log_routes: could not remove %s\n", fz_dir);
    }
}

/* A store with 300 entries and checkpoints signed by a stand-in key (never verified). */
static void
init_once(void)
{
    static const uint8_t pk[32] = { 1 };
    static struct hm_tlog_signer signer = { .name = "fuzz.example/log", .sign = fake_sign };
    static struct hm_tlog_verifier *v;
    char path[64], *note = NULL;
    struct hm_store_log_config c = { .origin = "fuzz.example/log", .signer = &signer };
    size_t note_len = 0;
    uint64_t size = 0;

    if (mkdtemp(fz_dir) == NULL ||
        hm_tlog_verifier_new(HM_TLOG_SIG_ED25519, "fuzz.example/log", pk, 32, &v) != HM_OK) {
        abort();
    }
    snprintf(path, sizeof(path), "%s/f.db", fz_dir);
    c.verifier = v;
    if (hm_store_open(path, &hmd.store) != HM_OK || hm_store_log_start(hmd.store, &c) != HM_OK) {
        abort();
    }
    for (unsigned i = 0; i < 300; i++) {
        char leaf[32];
        struct hm_store_log_entry e = { .leaf = (const uint8_t *)leaf };

        e.leaf_len = (size_t)snprintf(leaf, sizeof(leaf), "leaf %u", i);
        e.bundle = i % 2 ? "{\"b\":1}" : NULL;
        e.bundle_len = i % 2 ? 7 : 0;
        if (hm_store_commit_logged(hmd.store, NULL, NULL, &e, 1, &note, &note_len, &size) !=
            HM_OK) {
            abort();
        }
        free(note);
    }
    hmd_tlog.on = true;
    (void)atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    struct hmd_reply r = { 0 };
    struct hmd_call call = { .route = HMD_R_LOG };
    char *path = NULL, *q;

    if (!ready) {
        init_once();
        ready = true;
    }
    if (size > 2048 || memchr(data, 0, size) != NULL || (path = malloc(size + 9)) == NULL) {
        return 0;
    }
    memcpy(path, "/v1/log/", 8);
    memcpy(path + 8, data, size);
    path[size + 8] = '\0';
    q = strchr(path, '?');
    if (q != NULL) {
        *q++ = '\0';
    }
    call.path = path;
    call.query = q != NULL ? q : "";
    hmd_log_handle(&call, &r);
    if ((r.status != 200 && r.status != 400 && r.status != 404) || r.body == NULL) {
        abort();
    }
    hmd_reply_reset(&r);
    free(path);
    return 0;
}

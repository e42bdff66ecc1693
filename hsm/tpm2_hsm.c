/*
 * tpm2_hsm.c: opening and closing a TPM, its stats, and the ops table that puts the TPM
 * behind the same struct hm_hsm as a PKCS#11 token (hsm_int.h).
 */
#include <stdlib.h>
#include <string.h>

#include "tpm2_int.h"

static const struct hm_hsm_ops tpm2_ops;

bool
tpm2_is(const struct hm_hsm *hsm)
{
    return hsm != NULL && hsm->ops == &tpm2_ops;
}

/* An auth value is at most the nameAlg's digest size (SHA-256: 32 bytes); longer ones
 * the TPM would hash, which hides typos and breaks interop with other tools. */
static hm_err
read_auth(const char *source, const char *what, struct hm_secret **out)
{
    hm_err err;

    *out = NULL;
    if (source == NULL) {
        return HM_OK;
    }
    if ((err = hm_secret_from_source(source, out)) != HM_OK) {
        hm_error("hsm: tpm2: cannot read the %s auth value from its source: %s", what,
                 hm_strerror(err));
        return err;
    }
    if ((*out)->len > 32) {
        hm_error("hsm: tpm2: the %s auth value is longer than 32 bytes", what);
        hm_secret_free(*out);
        *out = NULL;
        return HM_E_INVALID;
    }
    return HM_OK;
}

static void
tpm2_free(struct tpm2_hsm *h)
{
    if (h == NULL) {
        return;
    }
    tpm2_disconnect(h);
    tpm2_uri_free(h->uri);
    hm_secret_free(h->auth);
    hm_secret_free(h->owner_auth);
    hm_secret_free(h->endorsement_auth);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

hm_err
hm_tpm2_open(const char *uri, const struct hm_hsm_opts *opts, struct hm_hsm **out)
{
    struct tpm2_hsm *h = NULL;
    const char *reason = NULL;
    hm_err err;

    *out = NULL;
    /* tpm2-tss logs every failed command to stderr; we log each failure once, with its
     * context (tpm2_rc_text), so its own logging is off unless the operator asks for it. */
    (void)setenv("TSS2_LOG", "all+none", 0);
    if ((h = calloc(1, sizeof(*h))) == NULL) {
        return HM_E_NOMEM;
    }
    h->pub.ops = &tpm2_ops;
    h->primary = ESYS_TR_NONE;
    h->budget_ms = opts != NULL && opts->retry_budget_ms > 0 ? opts->retry_budget_ms : 5000;
    pthread_mutex_init(&h->lock, NULL);
    if ((err = tpm2_uri_parse(uri, &reason, &h->uri)) != HM_OK) {
        hm_error("hsm: invalid tpm2 URI: %s", reason);
        goto out;
    }
    if ((err = read_auth(h->uri->auth_source, "key", &h->auth)) != HM_OK ||
        (err = read_auth(h->uri->owner_auth_source, "owner", &h->owner_auth)) != HM_OK ||
        (err = read_auth(h->uri->endorsement_auth_source, "endorsement", &h->endorsement_auth)) !=
            HM_OK) {
        goto out;
    }
    if ((err = tpm2_connect(h)) != HM_OK) {
        hm_error("hsm: tpm2: cannot open the TPM at '%s': %s",
                 h->uri->tcti != NULL ? h->uri->tcti : "device:/dev/tpmrm0", hm_strerror(err));
        goto out;
    }
    h->state = TPM2_READY;
    hm_info("hsm: tpm2: opened TPM '%s' (rsa-3072 %s)", h->manufacturer,
            h->rsa3072 ? "supported" : "not supported");
    *out = &h->pub;
    h = NULL; /* the caller owns it now */
out:
    tpm2_free(h);
    return err;
}

static void
tpm2_close(struct hm_hsm *hsm)
{
    tpm2_free(tpm2_of(hsm));
}

static void
tpm2_get_stats(struct hm_hsm *hsm, struct hm_hsm_stats *out)
{
    struct tpm2_hsm *h = tpm2_of(hsm);

    pthread_mutex_lock(&h->lock);
    out->ready = h->state == TPM2_READY;
    out->sessions = 1; /* one ESYS context, used under one lock */
    out->sessions_busy = h->busy ? 1 : 0;
    out->reopens = h->reopens;
    pthread_mutex_unlock(&h->lock);
    out->sign_ok = __atomic_load_n(&h->sign_ok, __ATOMIC_RELAXED);
    out->sign_errors = __atomic_load_n(&h->sign_errors, __ATOMIC_RELAXED);
}

static const struct hm_hsm_ops tpm2_ops = {
    .name = "tpm2",
    .find_key = tpm2_op_find_key,
    .generate_key = tpm2_op_generate_key,
    .list_keys = tpm2_op_list_keys,
    .sign = tpm2_op_sign,
    .get_attrs = tpm2_op_get_attrs,
    .get_stats = tpm2_get_stats,
    .key_free = tpm2_op_key_free,
    .close = tpm2_close,
};

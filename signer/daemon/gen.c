/*
 * gen.c: the config in force.  A SIGHUP builds a complete new generation (config,
 * TLS context, keys, the /v1/keys and /v1/trust-root replies) and swaps one pointer;
 * requests hold a reference to the generation they started with, so a reload never
 * changes the rules under a request in flight.
 */
#include <hm/hsm.h>
#include <hm/keyevidence.h>
#include <hm/policy.h>
#include <hm/verify.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "hmd.h"

static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hmd_gen *gen_now;

static void
gen_free(struct hmd_gen *g)
{
    if (g == NULL) {
        return;
    }
    hmd_config_free(g->cfg);
    SSL_CTX_free(g->ssl);
    free(g->keys_json);
    free(g->trust_root_json);
    hm_policy_free(g->policy);
    free(g);
}

static hm_err
key_pem(struct hm_key *key, char **out)
{
    struct hm_pubkey *pk = NULL;
    const uint8_t *der = NULL;
    size_t len = 0;
    hm_err rc;

    hm_key_spki(key, &der, &len);
    if ((rc = hm_pubkey_from_spki(der, len, &pk)) == HM_OK) {
        rc = hm_pubkey_to_pem(pk, out);
    }
    hm_pubkey_free(pk);
    return rc;
}

/* /v1/keys: the key's attestation bundle (gen_keyatt.c), or null with the reason when
 * none could be made (a verifier that requires one then refuses the key). */
static void
key_attestation(struct hm_buf *b, const struct hmd_config *cfg, struct hm_key *key)
{
    const char *type = NULL;
    char *att = NULL;

    if (hmd_key_attestation(cfg, key, &att, &type) != HM_OK) {
        hm_buf_puts(b, ",\"attestationType\":null,\"attestation\":null");
        return;
    }
    hm_buf_puts(b, ",\"attestationType\":");
    hmd_json_quote(b, type);
    /* PKCS#11 attributes are the signer's own claim: say so where people read it */
    hm_buf_puts(b, strcmp(type, "tpm2-certify") == 0 ? ",\"selfAsserted\":false"
                                                     : ",\"selfAsserted\":true");
    hm_buf_puts(b, ",\"attestation\":");
    hm_buf_puts(b, att);
    free(att);
}

/* One entry per distinct key, listing every product it signs. */
static void
key_entry(struct hm_buf *b, const struct hmd_config *cfg, size_t first, bool full, const char *pem)
{
    struct hm_key *key = cfg->products[first].key;
    bool comma = false;

    hm_buf_puts(b, "{\"keyid\":");
    hmd_json_quote(b, hm_key_id(key));
    hm_buf_puts(b, ",\"algorithm\":");
    hmd_json_quote(b, hm_key_alg_name(hm_key_alg(key)));
    if (full) {
        hm_buf_puts(b, ",\"keyDetails\":");
        hmd_json_quote(b, hm_key_alg_sigstore(hm_key_alg(key)));
        hm_buf_puts(b, ",\"label\":");
        hmd_json_quote(b, hm_key_label(key));
    }
    hm_buf_puts(b, ",\"pem\":");
    hmd_json_quote(b, pem);
    if (full) {
        hm_buf_puts(b, ",\"backend\":");
        hmd_json_quote(b, hm_key_backend(key));
        key_attestation(b, cfg, key);
    }
    hm_buf_puts(b, ",\"products\":[");
    for (size_t j = first; j < cfg->n_products; j++) {
        if (cfg->products[j].key == key) {
            hm_buf_puts(b, comma ? "," : "");
            hmd_json_quote(b, cfg->products[j].name);
            comma = true;
        }
    }
    hm_buf_puts(b, "]}");
}

static hm_err
build_key_lists(struct hmd_gen *g)
{
    const struct hmd_config *cfg = g->cfg;
    struct hm_buf keys, root;
    hm_err rc = HM_OK;
    bool comma = false;

    hm_buf_init(&keys, 0);
    hm_buf_init(&root, 0);
    hm_buf_puts(&keys, "{\"keys\":[");
    hm_buf_puts(&root, "{\"version\":1,\"keys\":[");
    for (size_t i = 0; i < cfg->n_products && rc == HM_OK; i++) {
        bool seen = false;
        char *pem = NULL;
        for (size_t j = 0; j < i; j++) {
            seen = seen || cfg->products[j].key == cfg->products[i].key;
        }
        if (seen || (rc = key_pem(cfg->products[i].key, &pem)) != HM_OK) {
            continue;
        }
        hm_buf_puts(&keys, comma ? "," : "");
        hm_buf_puts(&root, comma ? "," : "");
        key_entry(&keys, cfg, i, true, pem);
        key_entry(&root, cfg, i, false, pem);
        comma = true;
        free(pem);
    }
    hm_buf_puts(&keys, "]}");
    hm_buf_puts(&root, "]}");
    if (rc == HM_OK && (rc = hm_buf_status(&keys)) == HM_OK &&
        (rc = hm_buf_status(&root)) == HM_OK) {
        size_t n = 0;
        g->keys_json = (char *)hm_buf_steal(&keys, &n);
        if (g->cfg->trust_root_doc != NULL) {
            /* a signed trust root is configured: serve it instead of the plain list */
            g->trust_root_json = g->cfg->trust_root_doc;
            g->cfg->trust_root_doc = NULL;
        } else {
            g->trust_root_json = (char *)hm_buf_steal(&root, &n);
        }
    }
    hm_buf_free(&keys);
    hm_buf_free(&root);
    return rc;
}

hm_err
hmd_gen_new(struct hmd_config *cfg, SSL_CTX *ssl, struct hmd_gen **out)
{
    struct hmd_gen *g = calloc(1, sizeof(*g));
    hm_err rc = HM_OK;

    *out = NULL;
    if (g == NULL) {
        hmd_config_free(cfg);
        SSL_CTX_free(ssl);
        return HM_E_NOMEM;
    }
    atomic_init(&g->refs, 1);
    g->cfg = cfg;
    g->ssl = ssl;
    if (cfg->n_products > 0 && cfg->products[0].key != NULL && (rc = build_key_lists(g)) != HM_OK) {
        gen_free(g);
        return rc;
    }
    *out = g;
    return HM_OK;
}

struct hmd_gen *
hmd_gen_current(void)
{
    struct hmd_gen *g = NULL;

    pthread_mutex_lock(&gen_lock);
    g = gen_now;
    if (g != NULL) {
        atomic_fetch_add(&g->refs, 1);
    }
    pthread_mutex_unlock(&gen_lock);
    return g;
}

void
hmd_gen_install(struct hmd_gen *gen)
{
    struct hmd_gen *old = NULL;

    pthread_mutex_lock(&gen_lock);
    old = gen_now;
    gen_now = gen;
    pthread_mutex_unlock(&gen_lock);
    hmd_gen_release(old);
}

void
hmd_gen_release(struct hmd_gen *gen)
{
    if (gen != NULL && atomic_fetch_sub(&gen->refs, 1) == 1) {
        gen_free(gen);
    }
}

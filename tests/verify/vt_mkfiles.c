/*
 * vt_mkfiles.c: writes fixtures for the shell tests (CLI, packaging, example agent,
 * @sigstore/verify interop) into a folder:
 *
 *   vt_mkfiles DIR IMAGE
 *
 *   signer-ALG.{pub,key}.pem    ALG = ec-p256, ec-p384, ed25519, rsa-3072
 *   root.{pub,key}.pem          a root key (Ed25519)
 *   log-ed25519.pub.pem         log "log.hallmark.test/acme" (Ed25519)
 *   log-ec-p256.pub.pem         log "log.hallmark.test/tpm" (ECDSA P-256)
 *   root.json                   trust root v1: the four signing keys (acme-thermostat), both
 *                               logs, signed by the root key
 *   bundle-ALG.json             1.4.2 of IMAGE signed by ALG, logged in the Ed25519 log
 *   bundle-ec-p256-tpmlog.json  ... logged in the P-256 log
 *   bundle-ec-p256-nolog.json   ... without an entry
 *   bundle-1.4.3.json, bundle-1.4.0.json   P-256, other versions of IMAGE
 */
#include <hm/common.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt.h"

static void
write_at(const char *dir, const char *name, const char *text, size_t len)
{
    char path[4096];

    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    vt_write(path, text, len);
}

static void
write_key(const char *dir, const char *stem, const struct vt_key *k)
{
    char name[256];
    char *priv = vt_key_private_pem(k);

    (void)snprintf(name, sizeof(name), "%s.pub.pem", stem);
    write_at(dir, name, vt_key_pem(k), strlen(vt_key_pem(k)));
    (void)snprintf(name, sizeof(name), "%s.key.pem", stem);
    write_at(dir, name, priv, strlen(priv));
    free(priv);
}

static void
write_bundle(const char *dir, const char *name, const struct vt_key *k, struct vt_log *log,
             const struct vt_release *r)
{
    size_t len = 0;
    char *b = vt_bundle(k, log, r, &len);

    write_at(dir, name, b, len);
    free(b);
}

int
main(int argc, char **argv)
{
    static const enum hm_key_alg algs[] = { HM_KEY_EC_P256, HM_KEY_EC_P384, HM_KEY_ED25519,
                                            HM_KEY_RSA3072_PSS };
    struct vt_key *keys[4], *rootkey;
    struct vt_log *log_ed, *log_ec;
    struct vt_root root = { 0 };
    struct vt_release r = { .filler_before = 6, .filler_after = 2 };
    uint8_t *image = NULL;
    size_t image_len = 0, len = 0;
    char name[256], *env;

    if (argc != 3 || hm_read_file(argv[2], (size_t)64 << 20, &image, &image_len) != HM_OK) {
        fprintf(stderr, "usage: vt_mkfiles DIR IMAGE\n");
        return 2;
    }
    r.image = image;
    r.image_len = image_len;
    rootkey = vt_key_new(HM_KEY_ED25519);
    write_key(argv[1], "root", rootkey);
    log_ed = vt_log_new(HM_KEY_ED25519, "log.hallmark.test/acme");
    log_ec = vt_log_new(HM_KEY_EC_P256, "log.hallmark.test/tpm");
    write_at(argv[1], "log-ed25519.pub.pem", vt_key_pem(vt_log_key(log_ed)),
             strlen(vt_key_pem(vt_log_key(log_ed))));
    write_at(argv[1], "log-ec-p256.pub.pem", vt_key_pem(vt_log_key(log_ec)),
             strlen(vt_key_pem(vt_log_key(log_ec))));
    for (size_t i = 0; i < 4; i++) {
        keys[i] = vt_key_new(algs[i]);
        (void)snprintf(name, sizeof(name), "signer-%s", hm_key_alg_name(algs[i]));
        write_key(argv[1], name, keys[i]);
        (void)snprintf(name, sizeof(name), "bundle-%s.json", hm_key_alg_name(algs[i]));
        write_bundle(argv[1], name, keys[i], log_ed, &r);
        root.keys[i] = (struct vt_root_key){ keys[i], NULL, 0, 0, false };
    }
    write_bundle(argv[1], "bundle-ec-p256-tpmlog.json", keys[0], log_ec, &r);
    r.no_entry = true;
    write_bundle(argv[1], "bundle-ec-p256-nolog.json", keys[0], NULL, &r);
    r.no_entry = false;
    r.version = "1.4.3";
    write_bundle(argv[1], "bundle-1.4.3.json", keys[0], log_ed, &r);
    r.version = "1.4.0";
    write_bundle(argv[1], "bundle-1.4.0.json", keys[0], log_ed, &r);
    root.n_keys = 4;
    root.logs[0] = log_ed;
    root.logs[1] = log_ec;
    root.n_logs = 2;
    root.root_keys[0] = rootkey;
    root.n_root_keys = 1;
    env = vt_root_signed(&root, &len);
    write_at(argv[1], "root.json", env, len);
    free(env);
    for (size_t i = 0; i < 4; i++) {
        vt_key_free(keys[i]);
    }
    vt_key_free(rootkey);
    vt_log_free(log_ed);
    vt_log_free(log_ec);
    free(image);
    return 0;
}

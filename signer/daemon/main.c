/*
 * main.c: hallmarkd, the signing service.
 *
 *   hallmarkd --config FILE [--port-file FILE]   serve (docs/operations.md)
 *   hallmarkd --check-config FILE                validate FILE and everything it names
 *
 * Exit codes: 0 clean stop or valid config, 1 a failure at run time, 2 a usage or
 * config error.  A PIN is never an argument: it comes from the pin-source of hsm.uri.
 */
#include <hm/hsm.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hmd.h"
#include "tlogd.h"

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: hallmarkd --config FILE [--port-file FILE]\n"
            "       hallmarkd --check-config FILE\n"
            "\n"
            "  --config FILE        serve with the JSON config FILE\n"
            "  --check-config FILE  check FILE, open its TLS files and find its keys in\n"
            "                       the HSM, then exit 0 (valid) or 2 (with FILE:LINE: KEY)\n"
            "  --port-file FILE     write the bound TCP port to FILE (for \"listen\": \"...:0\")\n"
            "  --version            print the version\n");
}

static bool
store_dir_ok(const char *store, char *why, size_t why_len)
{
    const char *path = strncmp(store, "sqlite:", 7) == 0 ? store + 7 : store;
    char *copy = strdup(path);
    bool ok = false;

    if (copy == NULL) {
        return false;
    }
    const char *dir = dirname(copy);
    ok = access(dir, W_OK | X_OK) == 0;
    if (!ok) {
        snprintf(why, why_len, "the folder %s of the store is not writable", dir);
    }
    free(copy);
    return ok;
}

static int
check_config(const char *path)
{
    struct hmd_config *cfg = NULL;
    struct hmd_cfg_error err;
    struct hm_hsm *hsm = NULL;
    struct hmd_gen *gen = NULL;
    struct hm_hsm_opts opts = { .sessions = 1 };
    char why[1024], msg[512];
    int code = 2;
    hm_err rc;

    if (hmd_config_load(path, &cfg, &err) != HM_OK) {
        hmd_cfg_error_format(NULL, path, &err, why, sizeof(why));
        goto out;
    }
    if (!store_dir_ok(cfg->store, msg, sizeof(msg))) {
        hmd_config_error_at(cfg, &err, "store", "%s", msg);
        hmd_cfg_error_format(cfg, path, &err, why, sizeof(why));
        goto out;
    }
    if (cfg->softhsm2_conf != NULL) {
        setenv("SOFTHSM2_CONF", cfg->softhsm2_conf, 1);
    }
    if ((rc = hm_hsm_open(cfg->hsm_uri, &opts, &hsm)) != HM_OK) {
        hmd_config_error_at(cfg, &err, "hsm.uri", "cannot open the token: %s", hm_strerror(rc));
        hmd_cfg_error_format(cfg, path, &err, why, sizeof(why));
        goto out;
    }
    if (hmd_tpm_open(cfg, why, sizeof(why)) != HM_OK) { /* tpm2: keys (config_tpm.c) */
        goto out;
    }
    if (hmd_gen_load(path, hsm, &gen, why, sizeof(why)) != HM_OK ||
        hmd_tlog_check(gen->cfg, hsm, why, sizeof(why)) != HM_OK) { /* tlogd.c */
        goto out;
    }
    printf("%s: OK: %zu products, TLS files and keys usable\n", path, gen->cfg->n_products);
    code = 0;
out:
    if (code != 0) {
        fprintf(stderr, "hallmarkd: %s\n", why);
    }
    hmd_gen_release(gen);
    hm_hsm_close(hsm);
    hmd_tpm_close();
    hmd_config_free(cfg);
    return code;
}

int
main(int argc, char **argv)
{
    const char *config = NULL, *check = NULL, *port_file = NULL;

    hm_process_harden();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(a, "--check-config") == 0 && i + 1 < argc) {
            check = argv[++i];
        } else if (strcmp(a, "--port-file") == 0 && i + 1 < argc) {
            port_file = argv[++i];
        } else if (strcmp(a, "--version") == 0) {
            printf("hallmarkd 0.1.0\n");
            return 0;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "hallmarkd: unknown or incomplete argument \"%s\"\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (check != NULL) {
        return check_config(check);
    }
    if (config == NULL) {
        usage(stderr);
        return 2;
    }
    hm_err rc = hmd_server_run(config, port_file);
    if (rc == HM_OK) {
        return 0;
    }
    return rc == HM_E_INVALID ? 2 : 1;
}

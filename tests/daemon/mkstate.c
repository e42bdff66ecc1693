/*
 * mkstate: test helper for the hallmarkd tests (until they can use the `hallmark` CLI
 * for everything).
 *
 *   mkstate token STATE LABEL [MODULE]     a fresh SoftHSM2 token in STATE (PINs in files)
 *   mkstate key STATE URI ALG NAME OUT.pem a key on the token; its public key to OUT.pem
 *   mkstate highest STORE PRODUCT CHANNEL  prints the highest version signed, or "none"
 */
#include <hm/hsm.h>
#include <hm/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static int
cmd_key(const char *state, const char *uri, const char *alg_name, const char *name, const char *out)
{
    struct hm_hsm_opts opts = { .sessions = 1 };
    struct hm_hsm *hsm = NULL;
    struct hm_key *key = NULL;
    struct hm_pubkey *pk = NULL;
    enum hm_key_alg alg;
    const uint8_t *der = NULL;
    size_t len = 0;
    char *pem = NULL;
    int rc = 1;

    hm_softhsm_use_state(state);
    if (hm_key_alg_parse(alg_name, &alg) != HM_OK || hm_hsm_open(uri, &opts, &hsm) != HM_OK ||
        hm_hsm_generate_key(hsm, alg, name, &key) != HM_OK) {
        fprintf(stderr, "mkstate: cannot make key %s\n", name);
        goto out;
    }
    hm_key_spki(key, &der, &len);
    if (hm_pubkey_from_spki(der, len, &pk) != HM_OK || hm_pubkey_to_pem(pk, &pem) != HM_OK ||
        hm_write_file_atomic(out, pem, strlen(pem), 0644) != HM_OK) {
        fprintf(stderr, "mkstate: cannot write %s\n", out);
        goto out;
    }
    printf("%s\n", hm_key_id(key));
    rc = 0;
out:
    free(pem);
    hm_pubkey_free(pk);
    hm_hsm_close(hsm);
    return rc;
}

static int
cmd_highest(const char *url, const char *product, const char *channel)
{
    struct hm_store *st = NULL;
    char v[256];
    hm_err rc;

    if (hm_store_open(url, &st) != HM_OK) {
        fprintf(stderr, "mkstate: cannot open %s\n", url);
        return 1;
    }
    rc = hm_store_highest(st, product, channel, v, sizeof(v));
    if (rc == HM_OK) {
        printf("%s\n", v);
    } else if (rc == HM_E_NOTFOUND) {
        printf("none\n");
    }
    hm_store_close(st);
    return rc == HM_OK || rc == HM_E_NOTFOUND ? 0 : 1;
}

int
main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "token") == 0) {
        hm_err rc = hm_softhsm_init_token(argv[2], argv[3], argc > 4 ? argv[4] : NULL);
        if (rc != HM_OK) {
            fprintf(stderr, "mkstate: token: %s\n", hm_strerror(rc));
        }
        return rc == HM_OK ? 0 : 1;
    }
    if (argc == 7 && strcmp(argv[1], "key") == 0) {
        return cmd_key(argv[2], argv[3], argv[4], argv[5], argv[6]);
    }
    if (argc == 5 && strcmp(argv[1], "highest") == 0) {
        return cmd_highest(argv[2], argv[3], argv[4]);
    }
    fprintf(stderr, "usage: mkstate token STATE LABEL [MODULE] | key STATE URI ALG NAME OUT.pem "
                    "| highest STORE PRODUCT CHANNEL\n");
    return 2;
}

/* cli_util.c: finding the token and keys for the CLI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

bool
cli_valid_label(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n == 0 || n > 64) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-')) {
            return false;
        }
    }
    return true;
}

char *
cli_pct_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1), *o = out;

    if (out == NULL) {
        return NULL;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '/' || *p == ':') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

const char *
cli_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

struct hm_hsm *
cli_open_token(const struct cli_token_opts *o)
{
    struct hm_hsm_opts hopts = { .sessions = o->sessions == 0 ? 1 : o->sessions };
    struct hm_hsm *hsm = NULL;
    uint8_t *uri = NULL;
    size_t len = 0;
    char path[4096];
    hm_err err;

    if (o->token_uri != NULL) {
        if (o->state != NULL) {
            hm_softhsm_use_state(o->state);
        }
        err = hm_hsm_open(o->token_uri, &hopts, &hsm);
    } else if (o->state != NULL) {
        hm_softhsm_use_state(o->state);
        if (snprintf(path, sizeof(path), "%s/token.uri", o->state) >= (int)sizeof(path)) {
            fprintf(stderr, "hallmark: state folder path too long\n");
            return NULL;
        }
        if ((err = hm_read_file(path, 8192, &uri, &len)) != HM_OK) {
            fprintf(stderr, "hallmark: cannot read %s (%s); run 'hallmark keys init' first\n", path,
                    hm_strerror(err));
            return NULL;
        }
        while (len > 0 && (uri[len - 1] == '\n' || uri[len - 1] == '\r')) {
            uri[--len] = '\0';
        }
        err = hm_hsm_open((const char *)uri, &hopts, &hsm);
        free(uri);
    } else {
        fprintf(stderr, "hallmark: say where the token is: --state DIR or --token URI\n");
        return NULL;
    }
    if (err != HM_OK) {
        fprintf(stderr, "hallmark: cannot open the token: %s\n", hm_strerror(err));
        return NULL;
    }
    return hsm;
}

struct hm_key *
cli_find_key(struct hm_hsm *hsm, const char *name)
{
    struct hm_key *key = NULL;
    char *enc = NULL, *uri = NULL;
    hm_err err;

    if (strncmp(name, "pkcs11:", 7) == 0 || strncmp(name, "tpm2:", 5) == 0) {
        err = hm_hsm_find_key(hsm, name, &key);
    } else if (!cli_valid_label(name)) {
        fprintf(stderr, "hallmark: key '%s' is neither a label nor a pkcs11: or tpm2: URI\n", name);
        return NULL;
    } else {
        if ((enc = cli_pct_encode(name)) == NULL ||
            (uri = malloc(strlen(enc) + sizeof("pkcs11:object="))) == NULL) {
            free(enc);
            return NULL;
        }
        sprintf(uri, "pkcs11:object=%s", enc);
        err = hm_hsm_find_key(hsm, uri, &key);
        free(enc);
        free(uri);
    }
    if (err != HM_OK) {
        fprintf(stderr, "hallmark: key '%s': %s\n", name, hm_strerror(err));
        return NULL;
    }
    return key;
}

/*
 * privsep.c: hallmarkd's side of the privilege separation (docs/privsep.md).  With
 * privsep.enabled the token is opened by hallmark-hsm-helper, started here before TLS and
 * before the first request; this process then never maps the PKCS#11 module and never
 * reads the PIN.  Without it, the token is opened in this process as before.
 */
#include <hm/hsm.h>
#include <hm/privsep.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hmd.h"

#define HMD_HELPER_NAME "hallmark-hsm-helper"

/* privsep.helper, else hallmark-hsm-helper next to this executable. */
static hm_err
helper_path(const struct hmd_config *cfg, char *out, size_t out_len)
{
    char self[PATH_MAX];
    ssize_t n;

    if (cfg->privsep.helper != NULL) {
        snprintf(out, out_len, "%s", cfg->privsep.helper);
        return HM_OK;
    }
    if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
        return HM_E_NOTFOUND;
    }
    self[n] = '\0';
    if ((size_t)snprintf(out, out_len, "%s/%s", dirname(self), HMD_HELPER_NAME) >= out_len) {
        return HM_E_LIMIT;
    }
    return HM_OK;
}

hm_err
hmd_privsep_open_hsm(const struct hmd_config *cfg, struct hm_hsm **out, char *why, size_t why_len)
{
    struct hm_hsm_opts opts = { .sessions = cfg->hsm_sessions };
    struct hm_privsep_opts po = { 0 };
    char path[PATH_MAX];
    hm_err rc;

    *out = NULL;
    if (!cfg->privsep.enabled) {
        hm_warn("privsep is off: the PKCS#11 module and the PIN are in the network process");
        if ((rc = hm_hsm_open(cfg->hsm_uri, &opts, out)) != HM_OK) {
            snprintf(why, why_len, "%s: hsm.uri: cannot open the token: %s", cfg->path,
                     hm_strerror(rc));
        }
        return rc;
    }
    if ((rc = helper_path(cfg, path, sizeof(path))) != HM_OK || access(path, X_OK) != 0) {
        snprintf(why, why_len, "%s: privsep.helper: cannot find %s (set privsep.helper)", cfg->path,
                 rc == HM_OK ? path : HMD_HELPER_NAME);
        return HM_E_NOTFOUND;
    }
    if (strstr(cfg->hsm_uri, "pin-source=env:") != NULL) {
        hm_warn("privsep: hsm.uri takes the PIN from the environment, which this process "
                "inherits too: use pin-source=file: to keep it out (docs/privsep.md)");
    }
    po.helper_path = path;
    po.uri = cfg->hsm_uri;
    po.channels = cfg->hsm_sessions;
    po.user = cfg->privsep.user;
    po.seccomp = cfg->privsep.seccomp;
    po.sign_timeout_ms = cfg->privsep.sign_timeout_ms;
    po.test_forbidden = getenv("HM_PRIVSEP_TEST_FORBIDDEN") != NULL; /* tests/privsep */
    if ((rc = hm_privsep_start(&po, out)) != HM_OK) {
        snprintf(why, why_len, "%s: hsm.uri: the key helper could not open the token: %s",
                 cfg->path, hm_strerror(rc));
    }
    return rc;
}

hm_err
hmd_privsep_drop(const struct hmd_config *cfg)
{
    hm_err rc = hm_privsep_drop(cfg->privsep.enabled ? cfg->privsep.user : NULL);

    if (rc == HM_OK && geteuid() == 0) {
        hm_warn("privsep: running as root: set privsep.user to an unprivileged user");
    }
    if (rc != HM_OK) {
        hm_error("privsep: cannot drop privileges: %s", hm_strerror(rc));
    }
    return rc;
}

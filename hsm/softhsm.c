/*
 * softhsm.c: a private SoftHSM2 token for `hallmark keys init` and the tests.
 *
 * Everything lives under STATE: softhsm2.conf, tokens/, user.pin and so.pin.  The
 * system configuration (/etc/softhsm, /var/lib/softhsm) is never read or written: we
 * set SOFTHSM2_CONF before the module's C_Initialize, which is where SoftHSM reads it.
 * The PINs are random, go straight from locked memory into C_InitToken/C_InitPIN and
 * 0600 files, and never appear on a command line or in a log.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "p11_int.h"

#define SOFTHSM_PIN_LEN 32

struct init_paths {
    char dir[PATH_MAX];
    char conf[PATH_MAX];
    char tokens[PATH_MAX];
    char user_pin[PATH_MAX];
    char so_pin[PATH_MAX];
};

static bool
dir_has_entries(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    bool found = false;

    if (d == NULL) {
        return false;
    }
    while (!found && (e = readdir(d)) != NULL) {
        found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return found;
}

static hm_err
make_paths(const char *state_dir, struct init_paths *p)
{
    char *real = NULL;

    if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
        hm_error("softhsm: cannot create %s: %s", state_dir, strerror(errno));
        return HM_E_IO;
    }
    if ((real = realpath(state_dir, NULL)) == NULL) {
        hm_error("softhsm: cannot resolve %s: %s", state_dir, strerror(errno));
        return HM_E_IO;
    }
    /* The path goes into a config file line: no control characters, bounded. */
    if (strlen(real) > PATH_MAX - 32 || !hm_p11_text_ok(real, PATH_MAX - 32)) {
        free(real);
        return HM_E_INVALID;
    }
    snprintf(p->dir, sizeof(p->dir), "%s", real);
    snprintf(p->conf, sizeof(p->conf), "%s/softhsm2.conf", real);
    snprintf(p->tokens, sizeof(p->tokens), "%s/tokens", real);
    snprintf(p->user_pin, sizeof(p->user_pin), "%s/user.pin", real);
    snprintf(p->so_pin, sizeof(p->so_pin), "%s/so.pin", real);
    free(real);
    return HM_OK;
}

static hm_err
write_conf(const struct init_paths *p)
{
    struct hm_buf b;
    hm_err err;

    if (access(p->conf, F_OK) == 0 || dir_has_entries(p->tokens)) {
        hm_error("softhsm: %s already holds a SoftHSM token; refusing to make another", p->dir);
        return HM_E_CONFLICT;
    }
    if (mkdir(p->tokens, 0700) != 0 && errno != EEXIST) {
        hm_error("softhsm: cannot create %s: %s", p->tokens, strerror(errno));
        return HM_E_IO;
    }
    hm_buf_init(&b, 0);
    hm_buf_printf(&b,
                  "# written by hallmark: a private SoftHSM2 token store\n"
                  "directories.tokendir = %s\n"
                  "objectstore.backend = file\n"
                  "log.level = ERROR\n"
                  "slots.removable = false\n",
                  p->tokens);
    if ((err = hm_buf_status(&b)) == HM_OK) {
        err = hm_write_file_atomic(p->conf, b.data, b.len, 0600);
    }
    hm_buf_free(&b);
    return err;
}

/* The module must read our configuration: re-initialise it if it was set up with
 * another one, unless someone else in this process is using it. */
static hm_err
module_for_conf(const char *module_path, const char *conf, struct p11_module **out)
{
    struct p11_module *m = NULL;
    uint64_t gen;
    hm_err err;

    if ((err = p11_module_acquire(module_path != NULL ? module_path : HM_SOFTHSM_MODULE, &m)) !=
        HM_OK) {
        return err;
    }
    if (m->conf == NULL || strcmp(m->conf, conf) != 0) {
        gen = p11_module_gen(m);
        if (m->refs > 1 || (err = p11_module_reinit(m, false, &gen)) != HM_OK || m->conf == NULL ||
            strcmp(m->conf, conf) != 0) {
            hm_error("softhsm: the module is in use in this process with another "
                     "configuration");
            p11_module_release(m);
            return err != HM_OK ? err : HM_E_CONFLICT;
        }
    }
    *out = m;
    return HM_OK;
}

static hm_err
free_slot(CK_FUNCTION_LIST *f, CK_SLOT_ID *out)
{
    CK_SLOT_ID slots[64];
    CK_ULONG n = 64;
    CK_RV rv;

    if ((rv = f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK) {
        hm_error("softhsm: C_GetSlotList failed: %s", p11_rv_name(rv));
        return HM_E_BACKEND;
    }
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && (ti.flags & CKF_TOKEN_INITIALIZED) == 0) {
            *out = slots[i];
            return HM_OK;
        }
    }
    hm_error("softhsm: no free slot");
    return HM_E_NOTFOUND;
}

/* C_Login as SO and C_InitPIN on the token just made (SoftHSM gives it a new slot id). */
static hm_err
init_user_pin(CK_FUNCTION_LIST *f, const char *label, const struct hm_secret *so,
              const struct hm_secret *user)
{
    struct hm_p11_uri u = { .token = (char *)(uintptr_t)label };
    CK_SESSION_HANDLE s;
    CK_TOKEN_INFO ti;
    CK_SLOT_ID slot;
    hm_err err;
    CK_RV rv;

    if ((err = p11_find_slot(f, &u, &slot, &ti)) != HM_OK) {
        return err;
    }
    if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s)) !=
        CKR_OK) {
        hm_error("softhsm: C_OpenSession failed: %s", p11_rv_name(rv));
        return HM_E_BACKEND;
    }
    if ((rv = f->C_Login(s, CKU_SO, so->buf, (CK_ULONG)so->len)) == CKR_OK) {
        rv = f->C_InitPIN(s, user->buf, (CK_ULONG)user->len);
        (void)f->C_Logout(s);
    }
    (void)f->C_CloseSession(s);
    if (rv != CKR_OK) {
        hm_error("softhsm: setting the user PIN failed: %s", p11_rv_name(rv));
        return HM_E_BACKEND;
    }
    return HM_OK;
}

static hm_err
init_token(CK_FUNCTION_LIST *f, const struct init_paths *p, const char *label)
{
    struct hm_secret *so = NULL, *user = NULL;
    unsigned char label32[32];
    bool wrote = false;
    CK_SLOT_ID slot;
    hm_err err;
    CK_RV rv;

    memset(label32, ' ', sizeof(label32));
    memcpy(label32, label, strlen(label));
    if ((err = free_slot(f, &slot)) != HM_OK ||
        (err = hm_secret_random_pin(SOFTHSM_PIN_LEN, &so)) != HM_OK ||
        (err = hm_secret_random_pin(SOFTHSM_PIN_LEN, &user)) != HM_OK ||
        (err = hm_secret_write_file(so, p->so_pin)) != HM_OK) {
        goto out;
    }
    wrote = true;
    if ((err = hm_secret_write_file(user, p->user_pin)) != HM_OK) {
        goto out;
    }
    if ((rv = f->C_InitToken(slot, so->buf, (CK_ULONG)so->len, label32)) != CKR_OK) {
        hm_error("softhsm: C_InitToken failed: %s", p11_rv_name(rv));
        err = HM_E_BACKEND;
        goto out;
    }
    wrote = false; /* the token exists now: its PIN files must stay */
    err = init_user_pin(f, label, so, user);
out:
    if (wrote) {
        (void)unlink(p->so_pin);
        (void)unlink(p->user_pin);
    }
    hm_secret_free(so);
    hm_secret_free(user);
    return err;
}

hm_err
hm_softhsm_init_token(const char *state_dir, const char *label, const char *module_path)
{
    struct init_paths *p = NULL;
    struct p11_module *m = NULL;
    hm_err err;

    if (state_dir == NULL || label == NULL || !hm_p11_text_ok(label, HM_P11_TOKEN_MAX) ||
        label[strlen(label) - 1] == ' ') {
        hm_error("softhsm: a token label is 1 to %d bytes without control characters or "
                 "trailing blanks",
                 HM_P11_TOKEN_MAX);
        return HM_E_INVALID;
    }
    if ((p = calloc(1, sizeof(*p))) == NULL) {
        return HM_E_NOMEM;
    }
    if ((err = make_paths(state_dir, p)) != HM_OK || (err = write_conf(p)) != HM_OK) {
        goto out;
    }
    if (setenv("SOFTHSM2_CONF", p->conf, 1) != 0) {
        err = HM_E_NOMEM;
        goto out;
    }
    if ((err = module_for_conf(module_path, p->conf, &m)) != HM_OK) {
        goto out;
    }
    if ((err = init_token(m->f, p, label)) == HM_OK) {
        hm_info("softhsm: token '%s' initialised in %s; PINs in user.pin and so.pin", label,
                p->dir);
    }
out:
    p11_module_release(m);
    free(p);
    return err;
}

void
hm_softhsm_use_state(const char *state_dir)
{
    char conf[PATH_MAX];
    char *real = NULL;

    if (state_dir == NULL || getenv("SOFTHSM2_CONF") != NULL) {
        return;
    }
    if ((size_t)snprintf(conf, sizeof(conf), "%s/softhsm2.conf", state_dir) >= sizeof(conf) ||
        (real = realpath(conf, NULL)) == NULL) {
        return;
    }
    (void)setenv("SOFTHSM2_CONF", real, 0);
    free(real);
}

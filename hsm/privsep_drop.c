/*
 * privsep_drop.c: giving up what a process does not need (docs/privsep.md): root, and the
 * ability to gain privileges (setuid binaries, file capabilities) or to be dumped or
 * ptraced by a process of the same user.
 */
#include <errno.h>
#include <grp.h>
#include <hm/privsep.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static hm_err
become(const char *user)
{
    struct passwd pw, *res = NULL;
    char buf[4096];

    if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || res == NULL) {
        hm_error("privsep: user '%s' does not exist", user);
        return HM_E_NOTFOUND;
    }
    if (pw.pw_uid == 0) {
        hm_error("privsep: user '%s' is root: refusing", user);
        return HM_E_INVALID;
    }
    if (setgroups(1, &pw.pw_gid) != 0 || setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid) != 0 ||
        setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid) != 0) {
        hm_error("privsep: cannot become '%s': %s", user, strerror(errno));
        return HM_E_DENIED;
    }
    /* OpenSSH's check: if root can be regained, the drop did not work */
    if (setuid(0) == 0 || seteuid(0) == 0) {
        hm_error("privsep: could regain root after becoming '%s'", user);
        return HM_E_INTERNAL;
    }
    return HM_OK;
}

hm_err
hm_privsep_drop(const char *user)
{
    hm_err err;

    if (user != NULL && user[0] != '\0') {
        if (geteuid() == 0) {
            if ((err = become(user)) != HM_OK) {
                return err;
            }
        } else {
            hm_warn("privsep: not started as root: staying uid %u instead of becoming '%s'",
                    (unsigned)geteuid(), user);
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        return HM_E_INTERNAL;
    }
    /* set again: a uid change resets it to the sysctl fs.suid_dumpable */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        return HM_E_INTERNAL;
    }
    return HM_OK;
}

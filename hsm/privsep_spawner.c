/*
 * privsep_spawner.c: the root spawner of hallmark-hsm-helper (docs/privsep.md, "The
 * spawner").
 *
 * Started as root with privsep.user, hallmarkd drops to that user once its first helper is
 * up.  A helper it started after that would run as that user from its first instruction and
 * read the PIN file as that user, so the file would have to be readable by the network
 * process's user too.  As OpenSSH keeps a privileged monitor, hallmarkd keeps one tiny root
 * process: hallmark-hsm-helper run with --spawner before the drop.  All it does is start
 * helpers (argv fixed at its own start) on the socket ends the daemon passes (SCM_RIGHTS),
 * signal the one it started, and report its exit.  A compromised network process can make
 * it start a helper again, which a restart does anyway, and nothing else: no path, argument,
 * environment or file crosses.
 *
 * One SOCK_SEQPACKET socket (fd 3 of the spawner), one struct hm_ps_spawn_rec (hm/privsep.h)
 * per packet:
 *   daemon -> spawner  'S' + exactly `channels` socket fds   start a helper on them
 *                      'K' pid sig (SIGTERM or SIGKILL)       signal the helper
 *   spawner -> daemon  'P' pid          the helper started   (the answer to S)
 *                      'E' errno        it could not         (the answer to S)
 *                      'D' pid status   the helper exited (its waitpid status)
 * The spawner exits when the daemon's end closes, after killing and reaping its helper.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privsep_client.h"

extern char **environ;

#define SPAWNER_FD   3
#define SPAWN_MAX_FD 256 /* = the helper's channel limit */

static hm_err
rec_send(int fd, char type, int32_t a, int32_t b, const int *fds, unsigned n)
{
    struct hm_ps_spawn_rec r = { type, a, b };
    struct iovec iov = { &r, sizeof(r) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    char *cbuf = NULL;
    ssize_t w;

    if (n > 0) {
        struct cmsghdr *c;
        if ((cbuf = calloc(1, CMSG_SPACE(n * sizeof(int)))) == NULL) {
            return HM_E_NOMEM;
        }
        mh.msg_control = cbuf;
        mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    }
    do {
        w = sendmsg(fd, &mh, MSG_NOSIGNAL);
    } while (w < 0 && errno == EINTR);
    free(cbuf);
    return w == (ssize_t)sizeof(r) ? HM_OK : HM_E_IO;
}

/* Receives one record and up to max fds (*nfds; more, or a truncated record, is an
 * error with every received fd closed).  HM_E_NOTFOUND on end of file. */
static hm_err
rec_recv(int fd, struct hm_ps_spawn_rec *r, int *fds, unsigned max, unsigned *nfds)
{
    size_t cap = CMSG_SPACE((max + 1) * sizeof(int));
    char *cbuf = calloc(1, cap);
    struct iovec iov = { r, sizeof(*r) };
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = cap
    };
    hm_err err = HM_OK;
    unsigned got = 0;
    ssize_t n;

    *nfds = 0;
    if (cbuf == NULL) {
        return HM_E_NOMEM;
    }
    do {
        n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
        free(cbuf);
        return HM_E_NOTFOUND;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n > 0 && c != NULL; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int tmp[SPAWN_MAX_FD + 4]; /* cap rounds up to at most max + 3 fds */
        if (k > sizeof(tmp) / sizeof(tmp[0])) {
            k = sizeof(tmp) / sizeof(tmp[0]); /* cannot happen: the buffer is smaller */
        }
        memcpy(tmp, CMSG_DATA(c), k * sizeof(int));
        for (size_t i = 0; i < k; i++) {
            if (got < max) {
                fds[got++] = tmp[i];
            } else {
                close(tmp[i]);
                err = HM_E_LIMIT;
            }
        }
    }
    if (n != (ssize_t)sizeof(*r) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
        err = n < 0 ? HM_E_IO : HM_E_INVALID;
    }
    if (err != HM_OK) {
        for (unsigned i = 0; i < got; i++) {
            close(fds[i]);
        }
        got = 0;
    }
    free(cbuf);
    *nfds = got;
    return err;
}

/* ---- the spawner process ----------------------------------------------------------- */

void
ps_close_from(int first)
{
    struct rlimit rl;
    long max = 1024;

    if (close_range((unsigned)first, ~0U, 0) == 0) {
        return;
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        max = rl.rlim_cur > 1048576 ? 1048576 : (long)rl.rlim_cur;
    }
    for (long fd = first; fd < max; fd++) {
        (void)close((int)fd);
    }
}

/* Starts argv[0] (the path hallmarkd started the spawner by) with fds[i] at 3+i and an
 * empty signal mask; 0 or an errno. */
static int
start_helper(char *const *argv, int *fds, unsigned n, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none;
    int rc;

    /* out of the way of the dup2s to 3..3+n-1 (and of fd 3, ours) */
    for (unsigned i = 0; i < n; i++) {
        struct stat st;
        int hi;
        if (fstat(fds[i], &st) != 0 || !S_ISSOCK(st.st_mode)) {
            return ENOTSOCK;
        }
        if ((hi = fcntl(fds[i], F_DUPFD_CLOEXEC, (int)(SPAWNER_FD + 1 + n))) < 0) {
            return errno;
        }
        close(fds[i]);
        fds[i] = hi;
    }
    sigemptyset(&none);
    if (posix_spawn_file_actions_init(&fa) != 0) {
        return ENOMEM;
    }
    if (posix_spawnattr_init(&at) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return ENOMEM;
    }
    (void)posix_spawnattr_setsigmask(&at, &none);
    (void)posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
    for (unsigned i = 0; i < n; i++) {
        (void)posix_spawn_file_actions_adddup2(&fa, fds[i], (int)(SPAWNER_FD + i));
    }
    rc = posix_spawn(pid, argv[0], &fa, &at, argv, environ);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

/* Reaps every exited child; reports the helper's exit. */
static void
reap(int ctl, int sfd, pid_t *child)
{
    struct signalfd_siginfo si;
    pid_t p;
    int st;

    while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
    }
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        if (p == *child) {
            *child = 0;
            (void)rec_send(ctl, 'D', (int32_t)p, (int32_t)st, NULL, 0);
        }
    }
}

/* One request from the daemon; false when the daemon is gone. */
static bool
serve(int ctl, char *const *argv, unsigned nch, pid_t *child)
{
    struct hm_ps_spawn_rec r;
    int fds[SPAWN_MAX_FD];
    unsigned n = 0;
    hm_err err = rec_recv(ctl, &r, fds, nch, &n);

    if (err == HM_E_NOTFOUND || err == HM_E_IO) {
        return false;
    }
    if (err != HM_OK) {
        hm_error("hsm-spawner: a malformed request (%s): ignored", hm_strerror(err));
        if (err == HM_E_LIMIT) {
            (void)rec_send(ctl, 'E', E2BIG, 0, NULL, 0);
        }
        return true;
    }
    if (r.type == 'S') {
        pid_t pid = 0;
        int rc = *child != 0 ? EBUSY : n != nch ? EINVAL : start_helper(argv, fds, n, &pid);
        for (unsigned i = 0; i < n; i++) {
            close(fds[i]);
        }
        if (rc == 0) {
            *child = pid;
            (void)rec_send(ctl, 'P', (int32_t)pid, 0, NULL, 0);
        } else {
            hm_error("hsm-spawner: cannot start the helper: %s", strerror(rc));
            (void)rec_send(ctl, 'E', rc, 0, NULL, 0);
        }
        return true;
    }
    for (unsigned i = 0; i < n; i++) {
        close(fds[i]);
    }
    if (r.type == 'K' && *child > 0 && r.a == (int32_t)*child &&
        (r.b == SIGTERM || r.b == SIGKILL)) {
        (void)kill(*child, r.b);
    } else if (r.type != 'K') {
        hm_error("hsm-spawner: unknown request 0x%02x: ignored", (unsigned char)r.type);
    }
    return true;
}

int
hm_ps_spawner_run(char *const *helper_argv, unsigned nch)
{
    struct pollfd pf[2];
    sigset_t chld;
    pid_t child = 0;
    int sfd;

    hm_process_harden();
    if (nch == 0 || nch > SPAWN_MAX_FD || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        fcntl(SPAWNER_FD, F_SETFD, FD_CLOEXEC) != 0) {
        return 2;
    }
    ps_close_from(SPAWNER_FD + 1);
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &chld, NULL) != 0 ||
        (sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
        return 2;
    }
    pf[0] = (struct pollfd){ .fd = SPAWNER_FD, .events = POLLIN };
    pf[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
    for (;;) {
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (pf[1].revents != 0) {
            reap(SPAWNER_FD, sfd, &child);
        }
        if (pf[0].revents != 0 && !serve(SPAWNER_FD, helper_argv, nch, &child)) {
            break;
        }
    }
    /* the daemon is gone: so is its helper */
    if (child > 0) {
        int st;
        (void)kill(child, SIGKILL);
        while (waitpid(child, &st, 0) < 0 && errno == EINTR) {
        }
    }
    return 0;
}

/* ---- the daemon's side ------------------------------------------------------------- */

hm_err
ps_spawner_start(struct ps_hsm *ps, char *const *argv)
{
    posix_spawn_file_actions_t fa;
    int sv[2], theirs;
    pid_t pid;
    int rc;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        return HM_E_IO;
    }
    theirs = fcntl(sv[1], F_DUPFD_CLOEXEC, SPAWNER_FD + 1);
    close(sv[1]);
    if (theirs < 0 || posix_spawn_file_actions_init(&fa) != 0) {
        close(sv[0]);
        if (theirs >= 0) {
            close(theirs);
        }
        return HM_E_IO;
    }
    (void)posix_spawn_file_actions_adddup2(&fa, theirs, SPAWNER_FD);
    rc = posix_spawn(&pid, ps->helper_path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(theirs);
    if (rc != 0) {
        hm_error("privsep: cannot start the spawner %s: %s", ps->helper_path, strerror(rc));
        close(sv[0]);
        return HM_E_IO;
    }
    ps->sp_fd = sv[0];
    ps->sp_pid = pid;
    hm_info("privsep: root spawner running (pid %d): restarted helpers read the PIN as root",
            (int)pid);
    return HM_OK;
}

hm_err
ps_spawner_spawn(struct ps_hsm *ps, const int *theirs, pid_t *pid)
{
    struct hm_ps_spawn_rec r;
    unsigned n = 0;
    hm_err err;

    if ((err = rec_send(ps->sp_fd, 'S', 0, 0, theirs, ps->nch)) != HM_OK) {
        hm_error("privsep: the spawner (pid %d) is gone: restart hallmarkd", (int)ps->sp_pid);
        return HM_E_IO;
    }
    for (;;) {
        if ((err = rec_recv(ps->sp_fd, &r, NULL, 0, &n)) != HM_OK) {
            hm_error("privsep: the spawner (pid %d) is gone: restart hallmarkd", (int)ps->sp_pid);
            return HM_E_IO;
        }
        if (r.type == 'P' && r.a > 0) {
            *pid = (pid_t)r.a;
            return HM_OK;
        }
        if (r.type == 'E') {
            hm_error("privsep: the spawner could not start the helper: %s", strerror(r.a));
            return HM_E_IO;
        }
        /* a late 'D' of a helper already retired: nothing to do */
    }
}

void
ps_spawner_signal(struct ps_hsm *ps, pid_t pid, int sig)
{
    (void)rec_send(ps->sp_fd, 'K', (int32_t)pid, sig, NULL, 0);
}

int
ps_spawner_wait(struct ps_hsm *ps, pid_t pid)
{
    struct hm_ps_spawn_rec r;
    unsigned n = 0;

    for (;;) {
        if (rec_recv(ps->sp_fd, &r, NULL, 0, &n) != HM_OK) {
            hm_error("privsep: the spawner (pid %d) is gone: restart hallmarkd", (int)ps->sp_pid);
            return -1;
        }
        if (r.type == 'D' && r.a == (int32_t)pid) {
            return r.b;
        }
    }
}

void
ps_spawner_stop(struct ps_hsm *ps)
{
    int st;

    if (ps->sp_fd < 0) {
        return;
    }
    close(ps->sp_fd); /* the spawner kills its helper and exits */
    ps->sp_fd = -1;
    while (waitpid(ps->sp_pid, &st, 0) < 0 && errno == EINTR) {
    }
    ps->sp_pid = 0;
}

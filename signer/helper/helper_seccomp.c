/*
 * helper_seccomp.c: what hallmark-hsm-helper may still ask the kernel once its token is
 * open (docs/privsep.md, "seccomp").  Found by running the daemon tests with the filter in
 * trap mode: each entry says who needs it.  No socket, connect, execve, fork, ptrace,
 * kill, chmod, rename or unlink: a helper taken over by a bad PKCS#11 module cannot reach
 * the network, start a program or touch another process.
 */
#include "helper_seccomp.h"

#include <errno.h>
#include <hm/privsep.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

static const int allowed[] = {
    /* the channels (read/recv frames, send replies) */
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(recvfrom),
    SCMP_SYS(sendto),
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendmsg),
    SCMP_SYS(close),
    /* threads and malloc */
    SCMP_SYS(futex),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(brk),
    SCMP_SYS(madvise),
    SCMP_SYS(mprotect),
    SCMP_SYS(sched_yield),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(restart_syscall),
    /* time: log lines, PKCS#11 backoff, the shim's latency */
    SCMP_SYS(clock_gettime),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(time),
    /* OpenSSL inside SoftHSM2: random bytes */
    SCMP_SYS(getrandom),
    /* hm_secret (the PIN read again on a re-login): locked, non-dumpable pages */
    SCMP_SYS(mlock),
    SCMP_SYS(munlock),
    /* SoftHSM2 refreshes its token files (read-only use: open, stat, lock, read) and the
     * test shim re-reads its control file */
    SCMP_SYS(openat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(fstat),
    SCMP_SYS(stat),
    SCMP_SYS(lseek),
    SCMP_SYS(flock),
    SCMP_SYS(fcntl),
    SCMP_SYS(getdents64),
    SCMP_SYS(access),
    SCMP_SYS(faccessat),
    SCMP_SYS(faccessat2),
    SCMP_SYS(statx),
    SCMP_SYS(pread64),
    SCMP_SYS(fsync),
    SCMP_SYS(fdatasync),
    /* SoftHSM2 re-writes a token's generation file when it is initialised again */
    SCMP_SYS(ftruncate),
};

static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
    /* async-signal-safe only: format the number by hand */
    char msg[96] = "hallmark-hsm-helper: seccomp: forbidden system call ";
    size_t n = strlen(msg);
    int nr = si->si_syscall;
    char digits[12];
    size_t d = 0;

    (void)sig;
    (void)uc;
    if (nr < 0) {
        nr = 0;
    }
    do {
        digits[d++] = (char)('0' + nr % 10);
        nr /= 10;
    } while (nr > 0 && d < sizeof(digits));
    while (d > 0 && n < sizeof(msg) - 2) {
        msg[n++] = digits[--d];
    }
    msg[n++] = '\n';
    if (write(2, msg, n) < 0) {
        n = 0; /* nothing more to do: we are about to exit */
    }
    (void)syscall(SYS_exit_group, HM_PS_EXIT_SECCOMP); /* not _exit: sanitizers wrap it */
}

hm_err
hm_helper_seccomp(int mode)
{
    scmp_filter_ctx ctx = NULL;
    hm_err err = HM_E_INTERNAL;

    if (mode == 2) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = on_sigsys;
        sa.sa_flags = SA_SIGINFO;
        if (sigaction(SIGSYS, &sa, NULL) != 0) {
            return HM_E_INTERNAL;
        }
    }
    if ((ctx = seccomp_init(mode == 2 ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS)) == NULL) {
        return HM_E_NOMEM;
    }
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        /* a call this kernel or arch does not have resolves to a negative number: skip */
        if (allowed[i] >= 0 && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0) != 0) {
            goto out;
        }
    }
    if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0 || seccomp_load(ctx) != 0) {
        goto out;
    }
    err = HM_OK;
out:
    seccomp_release(ctx);
    return err;
}

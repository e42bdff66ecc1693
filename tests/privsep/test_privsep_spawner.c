/*
 * test_privsep_spawner.c: the root spawner (hsm/privsep_spawner.c) against a daemon end
 * that may be compromised.  The spawner runs in a forked child on fd 3, as hallmarkd starts
 * it, with a shell script standing in for the helper so that each case can see what the
 * started process got:
 *   - 'S' with one socket: 'P' pid, the socket at fd 3 of the new process, none of the
 *     spawner's inherited fds (4, 50, 2000), an empty signal mask, then 'D' with its status;
 *   - refused with 'E' and the errno: no fd (EINVAL), two fds for one channel (E2BIG), a pipe
 *     (ENOTSOCK), a second 'S' while a helper runs (EBUSY);
 *   - 'K' signals only the helper it started, and only with SIGTERM or SIGKILL: another pid
 *     and SIGSTOP are ignored; a record of the wrong size changes nothing;
 *   - closing the daemon end ends the spawner (exit 0) and kills its helper.
 */
#include <errno.h>
#include <fcntl.h>
#include <hm/privsep.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* exit 7: fd 3 is a socket, fds 4, 50 and 2000 are not open (the spawner got 50 and 2000
 * from its parent without close-on-exec) and no signal is blocked; else 8.  With "sleep"
 * as $0, it waits instead (a running helper). */
static const char script[] =
    "if [ \"$0\" = sleep ]; then exec sleep 30; fi; "
    "[ -S /proc/self/fd/3 ] && [ ! -e /proc/self/fd/4 ] && [ ! -e /proc/self/fd/50 ] && "
    "[ ! -e /proc/self/fd/2000 ] && "
    "grep -Eq '^SigBlk:[[:space:]]+0+$' /proc/self/status && exit 7; exit 8";

struct spawner {
    pid_t pid;
    int fd; /* the daemon's end */
};

static void
start(struct spawner *sp, const char *mode)
{
    char *argv[] = { "/bin/sh", "-c", (char *)script, (char *)mode, NULL };
    int sv[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    sp->pid = fork();
    assert_true(sp->pid >= 0);
    if (sp->pid == 0) {
        struct rlimit rl;
        int nul = open("/dev/null", O_RDONLY);
        if (dup2(sv[1], 3) != 3 || nul < 0 || dup2(nul, 50) != 50) {
            _exit(99);
        }
        /* an fd past 1024 too, where the limit allows one */
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <= 2000 && rl.rlim_max > 2000) {
            rl.rlim_cur = 2001;
            (void)setrlimit(RLIMIT_NOFILE, &rl);
        }
        (void)dup2(nul, 2000);
        _exit(hm_ps_spawner_run(argv, 1));
    }
    close(sv[1]);
    sp->fd = sv[0];
}

static int
stop(struct spawner *sp)
{
    int st = 0;

    close(sp->fd);
    assert_int_equal(waitpid(sp->pid, &st, 0), sp->pid);
    return st;
}

static void
send_rec(int fd, char type, int32_t a, int32_t b, const int *fds, unsigned n)
{
    struct hm_ps_spawn_rec r = { type, a, b };
    struct iovec iov = { &r, sizeof(r) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } u;

    assert_true(n <= 4);
    if (n > 0) {
        struct cmsghdr *c;
        memset(&u, 0, sizeof(u));
        mh.msg_control = u.buf;
        mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    }
    assert_int_equal(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)sizeof(r));
}

/* The next record, within 5 s. */
static struct hm_ps_spawn_rec
recv_rec(int fd)
{
    struct timeval tv = { 5, 0 };
    struct hm_ps_spawn_rec r;

    memset(&r, 0, sizeof(r));
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    assert_int_equal(recv(fd, &r, sizeof(r), 0), (ssize_t)sizeof(r));
    return r;
}

/* True when nothing arrives within ms. */
static bool
quiet(int fd, int ms)
{
    struct timeval tv = { 0, ms * 1000 };
    struct hm_ps_spawn_rec r;

    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    return recv(fd, &r, sizeof(r), 0) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static pid_t
spawn_ok(struct spawner *sp)
{
    struct hm_ps_spawn_rec r;
    int ch[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, ch), 0);
    send_rec(sp->fd, 'S', 0, 0, &ch[1], 1);
    close(ch[0]);
    close(ch[1]);
    r = recv_rec(sp->fd);
    assert_int_equal(r.type, 'P');
    assert_true(r.a > 0);
    return (pid_t)r.a;
}

static void
test_spawn_and_exit(void **state)
{
    struct spawner sp;
    struct hm_ps_spawn_rec r;
    pid_t pid;

    (void)state;
    start(&sp, "check");
    pid = spawn_ok(&sp);
    r = recv_rec(sp.fd);
    assert_int_equal(r.type, 'D');
    assert_int_equal(r.a, pid);
    assert_true(WIFEXITED(r.b));
    assert_int_equal(WEXITSTATUS(r.b), 7); /* fd 3 a socket, no fd 4, no blocked signal */
    /* and again: a restart */
    pid = spawn_ok(&sp);
    r = recv_rec(sp.fd);
    assert_int_equal(r.type, 'D');
    assert_int_equal(r.a, pid);
    assert_int_equal(WEXITSTATUS(r.b), 7);
    assert_true(WIFEXITED(stop(&sp)));
}

static void
expect_error(struct spawner *sp, int err)
{
    struct hm_ps_spawn_rec r = recv_rec(sp->fd);

    assert_int_equal(r.type, 'E');
    assert_int_equal(r.a, err);
}

static void
test_bad_spawn_requests(void **state)
{
    struct spawner sp;
    int p[2], s1[2], s2[2];
    int two[2];

    (void)state;
    assert_int_equal(pipe(p), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s1), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s2), 0);
    start(&sp, "check");
    send_rec(sp.fd, 'S', 0, 0, NULL, 0);
    expect_error(&sp, EINVAL);
    two[0] = s1[1];
    two[1] = s2[1];
    send_rec(sp.fd, 'S', 0, 0, two, 2);
    expect_error(&sp, E2BIG);
    send_rec(sp.fd, 'S', 0, 0, &p[0], 1);
    expect_error(&sp, ENOTSOCK);
    /* a short record: ignored, and the spawner still serves */
    assert_int_equal(send(sp.fd, "S", 1, MSG_NOSIGNAL), 1);
    assert_true(quiet(sp.fd, 200));
    (void)spawn_ok(&sp);
    assert_int_equal(recv_rec(sp.fd).type, 'D');
    assert_int_equal(WEXITSTATUS(stop(&sp)), 0);
    close(p[0]);
    close(p[1]);
    close(s1[0]);
    close(s1[1]);
    close(s2[0]);
    close(s2[1]);
}

static void
test_kill_rules(void **state)
{
    struct spawner sp;
    struct hm_ps_spawn_rec r;
    pid_t victim, pid;
    int ch[2], st;

    (void)state;
    victim = fork();
    assert_true(victim >= 0);
    if (victim == 0) {
        pause();
        _exit(0);
    }
    start(&sp, "sleep");
    pid = spawn_ok(&sp);
    /* a second helper while one runs */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, ch), 0);
    send_rec(sp.fd, 'S', 0, 0, &ch[1], 1);
    expect_error(&sp, EBUSY);
    /* signals only for its own helper, and only TERM or KILL */
    send_rec(sp.fd, 'K', (int32_t)victim, SIGKILL, NULL, 0);
    send_rec(sp.fd, 'K', (int32_t)pid, SIGSTOP, NULL, 0);
    send_rec(sp.fd, 'X', (int32_t)pid, SIGKILL, NULL, 0);
    assert_true(quiet(sp.fd, 300));
    assert_int_equal(kill(victim, 0), 0);
    assert_int_equal(waitpid(victim, &st, WNOHANG), 0);
    send_rec(sp.fd, 'K', (int32_t)pid, SIGKILL, NULL, 0);
    r = recv_rec(sp.fd);
    assert_int_equal(r.type, 'D');
    assert_int_equal(r.a, pid);
    assert_true(WIFSIGNALED(r.b));
    assert_int_equal(WTERMSIG(r.b), SIGKILL);
    /* the daemon goes away while a helper runs: both end */
    pid = spawn_ok(&sp);
    st = stop(&sp);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(kill(pid, 0), -1);
    assert_int_equal(errno, ESRCH);
    kill(victim, SIGKILL);
    assert_int_equal(waitpid(victim, &st, 0), victim);
    close(ch[0]);
    close(ch[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spawn_and_exit),
        cmocka_unit_test(test_bad_spawn_requests),
        cmocka_unit_test(test_kill_rules),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

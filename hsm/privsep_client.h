/*
 * privsep_client.h: private to hsm/: the remote backend's state, shared by
 * privsep_client.c (the ops) and privsep_spawn.c (starting and supervising the helper).
 */
#ifndef HM_PRIVSEP_CLIENT_H
#define HM_PRIVSEP_CLIENT_H

#include <pthread.h>
#include <sys/types.h>

#include "hsm_int.h"
#include "privsep_int.h"

/* A key as the helper listed it (owned copies). */
struct ps_key {
    enum hm_key_alg alg;
    uint8_t *spki;
    size_t spki_len;
    char *label;
    uint8_t *ckid;
    size_t ckid_len;
    char *uri;
    bool has_ev; /* the helper read the key's PKCS#11 evidence at its start */
    struct hm_keyatt_pkcs11 ev;
};

struct ps_hsm {
    struct hm_hsm base; /* first: the generic code casts */
    char *helper_path, *uri, *user;
    int seccomp;
    bool test_forbidden;
    unsigned timeout_ms, restart_max_ms;

    pthread_mutex_t lock;
    pthread_cond_t cond_free; /* a channel was returned, or the helper went up or down */
    pthread_cond_t cond_stop; /* close() wakes the supervisor's backoff */
    unsigned nch, nfree;
    int *fds;   /* our ends, nch of them; -1 when down */
    bool *busy; /* lent to a signing thread */
    bool up;    /* the helper runs and the channels are ours */
    bool stopping;
    pid_t pid;
    int sp_fd;    /* the root spawner's socket (privsep_spawner.c), or -1: we spawn */
    pid_t sp_pid; /* and its pid */
    unsigned gen; /* bumped at each start: a late failure of an old one changes nothing */
    uint64_t sign_ok, sign_errors, restarts;
    pthread_t sup;
    bool sup_started;

    struct ps_key *keys; /* from the first LIST */
    size_t n_keys;
};

const struct hm_hsm_ops *ps_backend_ops(void);
void ps_close(struct hm_hsm *hsm);
/* An hm_key (registered with ps) for a listed key. */
HM_MUST_CHECK hm_err ps_key_make(struct ps_hsm *ps, const struct ps_key *k, struct hm_key **out);
HM_MUST_CHECK hm_err ps_call(int fd, const struct hm_buf *req, struct hm_ps_msg *reply,
                             uint8_t **body, bool *broken);

/* The root spawner (privsep_spawner.c), used when started as root with a privsep user:
 * start it with the helper's argv (after "--spawner"), have it start a helper on the
 * channel ends theirs[0..nch-1], signal that helper (SIGTERM or SIGKILL), wait for its
 * exit (the waitpid status, or -1 when the spawner is gone), and stop it. */
HM_MUST_CHECK hm_err ps_spawner_start(struct ps_hsm *ps, char *const *argv);
HM_MUST_CHECK hm_err ps_spawner_spawn(struct ps_hsm *ps, const int *theirs, pid_t *pid);
void ps_spawner_signal(struct ps_hsm *ps, pid_t pid, int sig);
int ps_spawner_wait(struct ps_hsm *ps, pid_t pid);
void ps_spawner_stop(struct ps_hsm *ps);
/* kill(2) of the helper, through the spawner when there is one. */
void ps_kill(struct ps_hsm *ps, pid_t pid, int sig);

#endif /* HM_PRIVSEP_CLIENT_H */

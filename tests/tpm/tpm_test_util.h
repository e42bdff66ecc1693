/*
 * tpm_test_util.h: what the swtpm-based tests share: a private swtpm per test (state in a
 * fresh temporary folder, a socket on 127.0.0.1 with ephemeral ports, EK certificates from
 * swtpm_setup with a private swtpm-localca configuration: nothing under /etc or /var), and
 * OpenSSL checks from a key's SPKI alone.
 */
#ifndef HM_TPM_TEST_UTIL_H
#define HM_TPM_TEST_UTIL_H

#include <hm/hsm.h>
#include <limits.h>
#include <sys/types.h>

struct tpm_fixture {
    char dir[512];          /* the temporary folder */
    char state[1024];       /* swtpm's state */
    char roots[1024];       /* the local CA's root certificate (PEM) */
    char issuer[1024];      /* the local CA's issuer certificate: the EK's chain (PEM) */
    char auth[1024];        /* the keys' auth value file (0600) */
    int port;               /* server port; swtpm's TCTI uses port + 1 for control */
    pid_t pid;              /* swtpm, 0 when stopped */
    char tcti[96];          /* "swtpm:host=127.0.0.1,port=N" */
    char uri[2 * PATH_MAX]; /* tpm2:?tcti=...&auth-source=file:... */
};

/* Makes the folder, runs swtpm_setup (with EK certificates when ek_certs), picks free ports
 * and starts swtpm; 0 on success. */
int tpm_fixture_setup(struct tpm_fixture *f, bool ek_certs);
/* Starts swtpm on the same state and ports (after tpm_fixture_kill). */
int tpm_fixture_start(struct tpm_fixture *f);
/* Kills swtpm (SIGKILL: a crash, not a shutdown) and reaps it. */
void tpm_fixture_kill(struct tpm_fixture *f);
void tpm_fixture_teardown(struct tpm_fixture *f);

/* Verifies with OpenSSL from the key's SPKI alone (never through the TPM). */
bool tpm_verify_digest(const struct hm_key *key, const uint8_t *dg, size_t dlen, const uint8_t *sig,
                       size_t sig_len, bool der);
bool tpm_verify_msg(const struct hm_key *key, const uint8_t *msg, size_t len, const uint8_t *sig,
                    size_t sig_len);

/* Number of transient objects in the TPM (a raw ESYS connection; the hsm must be closed:
 * swtpm serves one connection at a time).  -1 on failure. */
int tpm_count_transient(const struct tpm_fixture *f);

/* Reads a whole file (NUL-terminated; *len without it); NULL on failure. */
uint8_t *tpm_read_all(const char *path, size_t *len);

#endif /* HM_TPM_TEST_UTIL_H */

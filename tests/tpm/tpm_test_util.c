/*
 * tpm_test_util.c: a private swtpm per test.  See tpm_test_util.h.
 */
#include "tpm_test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

extern char **environ;

static int
write_text(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ssize_t n;

    if (fd < 0) {
        return -1;
    }
    n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Runs argv with stdout and stderr appended to log; returns the exit status. */
static int
run(char *const argv[], const char *log)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int st = -1;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return -1;
    }
    posix_spawn_file_actions_destroy(&fa);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
bind_port(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof(a);
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    /* as swtpm binds: the swtpm TCTI connects once per command, so loopback ports fill
     * with TIME_WAIT sockets, which must not count as taken */
    if (s >= 0) {
        (void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    }
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0) {
        if (s >= 0) {
            close(s);
        }
        return -1;
    }
    close(s);
    return ntohs(a.sin_port);
}

/* A free port p such that p + 1 is free too (the swtpm TCTI's control port), below the
 * kernel's ephemeral range: the swtpm TCTI connects once per command, and the client ends
 * of those connections sit in TIME_WAIT on ephemeral ports for a minute, where they would
 * make a port picked there look taken (or be taken) by the time swtpm binds it. */
static int
pick_ports(void)
{
    for (int i = 0; i < 200; i++) {
        uint16_t r = 0;
        int p;
        if (RAND_bytes((uint8_t *)&r, sizeof(r)) != 1) {
            return -1;
        }
        p = 20000 + 2 * (r % 6000); /* 20000..31998 */
        if (bind_port(p) == p && bind_port(p + 1) == p + 1) {
            return p;
        }
    }
    return -1;
}

static int
localca_config(struct tpm_fixture *f)
{
    char path[1024], text[4096];

    snprintf(path, sizeof(path), "%s/ekca", f->dir);
    if (mkdir(path, 0700) != 0) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/ekca/swtpm-localca.conf", f->dir);
    snprintf(text, sizeof(text),
             "statedir = %s/ekca\nsigningkey = %s/ekca/signkey.pem\n"
             "issuercert = %s/ekca/issuercert.pem\ncertserial = %s/ekca/certserial\n",
             f->dir, f->dir, f->dir, f->dir);
    if (write_text(path, text, 0600) != 0) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/ekca/swtpm-localca.options", f->dir);
    if (write_text(path,
                   "--platform-manufacturer Hallmark\n--platform-version 2.1\n"
                   "--platform-model test\n",
                   0600) != 0) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/ekca/swtpm_setup.conf", f->dir);
    snprintf(text, sizeof(text),
             "create_certs_tool = /usr/bin/swtpm_localca\n"
             "create_certs_tool_config = %s/ekca/swtpm-localca.conf\n"
             "create_certs_tool_options = %s/ekca/swtpm-localca.options\n"
             "active_pcr_banks = sha256\n",
             f->dir, f->dir);
    return write_text(path, text, 0600);
}

static int
setup_state(struct tpm_fixture *f, bool ek_certs)
{
    char conf[1024], log[1024];
    char *argv[] = { "swtpm_setup", "--tpm2",       "--tpmstate", f->state, "--create-ek-cert",
                     "--ecc",       "--lock-nvram", "--config",   conf,     NULL };
    char *bare[] = { "swtpm_setup", "--tpm2", "--tpmstate", f->state, "--config", conf, NULL };

    snprintf(conf, sizeof(conf), "%s/ekca/swtpm_setup.conf", f->dir);
    snprintf(log, sizeof(log), "%s/swtpm_setup.log", f->dir);
    if (mkdir(f->state, 0700) != 0 || localca_config(f) != 0) {
        return -1;
    }
    if (run(ek_certs ? argv : bare, log) != 0) {
        fprintf(stderr, "swtpm_setup failed; see %s\n", log);
        return -1;
    }
    snprintf(f->roots, sizeof(f->roots), "%s/ekca/swtpm-localca-rootca-cert.pem", f->dir);
    snprintf(f->issuer, sizeof(f->issuer), "%s/ekca/issuercert.pem", f->dir);
    return 0;
}

static bool
port_open(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    int s = socket(AF_INET, SOCK_STREAM, 0);
    bool ok;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (s >= 0) {
        close(s);
    }
    return ok;
}

int
tpm_fixture_start(struct tpm_fixture *f)
{
    char server[128], ctrl[128], state[1100], log[1100];
    char *argv[] = { "swtpm",
                     "socket",
                     "--tpm2",
                     "--server",
                     server,
                     "--ctrl",
                     ctrl,
                     "--tpmstate",
                     state,
                     "--flags",
                     "not-need-init,startup-clear",
                     "--log",
                     log,
                     NULL };
    posix_spawn_file_actions_t fa;

    snprintf(server, sizeof(server), "type=tcp,port=%d,bindaddr=127.0.0.1", f->port);
    snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%d,bindaddr=127.0.0.1", f->port + 1);
    snprintf(state, sizeof(state), "dir=%s", f->state);
    snprintf(log, sizeof(log), "file=%s/swtpm.log,level=1", f->dir);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&f->pid, "swtpm", &fa, NULL, argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        f->pid = 0;
        return -1;
    }
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 300; i++) { /* 3 s: it listens after ~11 ms */
        struct timespec t = { 0, 10000000L };
        int st;
        if (port_open(f->port)) {
            return 0;
        }
        if (waitpid(f->pid, &st, WNOHANG) == f->pid) {
            f->pid = 0; /* it exited: port taken after all, or bad state */
            return -1;
        }
        nanosleep(&t, NULL);
    }
    return -1;
}

void
tpm_fixture_kill(struct tpm_fixture *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGKILL);
        while (waitpid(f->pid, NULL, 0) < 0 && errno == EINTR) {
        }
        f->pid = 0;
    }
}

int
tpm_fixture_setup(struct tpm_fixture *f, bool ek_certs)
{
    const char *tmp = getenv("TMPDIR");
    uint8_t rnd[12]; /* 24 hex characters: an auth value is at most 32 bytes */
    char hex[64];

    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "%s/hm-tpm-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
    snprintf(f->auth, sizeof(f->auth), "%s/key.auth", f->dir);
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(rnd); i++) {
        snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
    }
    if (write_text(f->auth, hex, 0600) != 0 || setup_state(f, ek_certs) != 0) {
        tpm_fixture_teardown(f);
        return -1;
    }
    for (int attempt = 0; attempt < 5; attempt++) {
        if ((f->port = pick_ports()) > 0 && tpm_fixture_start(f) == 0) {
            snprintf(f->tcti, sizeof(f->tcti), "swtpm:host=127.0.0.1,port=%d", f->port);
            snprintf(f->uri, sizeof(f->uri), "tpm2:?tcti=%s&auth-source=file:%s", f->tcti, f->auth);
            return 0;
        }
    }
    tpm_fixture_teardown(f); /* nothing left behind on failure */
    return -1;
}

void
tpm_fixture_teardown(struct tpm_fixture *f)
{
    char *argv[] = { "rm", "-rf", f->dir, NULL };

    tpm_fixture_kill(f);
    if (f->dir[0] != '\0' && getenv("HM_KEEP_TPM") == NULL) {
        (void)run(argv, "/dev/null");
    }
}

static bool
verify_raw(const struct hm_key *key, const uint8_t *dg, size_t dlen, const uint8_t *sig,
           size_t sig_len, bool der)
{
    const uint8_t *spki;
    size_t spki_len;
    const unsigned char *p;
    EVP_PKEY *pk;
    EVP_PKEY_CTX *ctx = NULL;
    uint8_t *d = NULL;
    int dl = 0;
    bool ok = false;

    hm_key_spki(key, &spki, &spki_len);
    p = spki;
    if ((pk = d2i_PUBKEY(NULL, &p, (long)spki_len)) == NULL ||
        (ctx = EVP_PKEY_CTX_new(pk, NULL)) == NULL || EVP_PKEY_verify_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1) {
        goto out;
    }
    if (hm_key_alg(key) == HM_KEY_RSA3072_PSS) {
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32) == 1 &&
             EVP_PKEY_verify(ctx, sig, sig_len, dg, dlen) == 1;
    } else if (der) {
        ok = EVP_PKEY_verify(ctx, sig, sig_len, dg, dlen) == 1;
    } else if (sig_len == 64) {
        ECDSA_SIG *es = ECDSA_SIG_new();
        ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
        dl = i2d_ECDSA_SIG(es, &d);
        ok = dl > 0 && EVP_PKEY_verify(ctx, d, (size_t)dl, dg, dlen) == 1;
        ECDSA_SIG_free(es);
    }
out:
    OPENSSL_free(d);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pk);
    return ok;
}

bool
tpm_verify_digest(const struct hm_key *key, const uint8_t *dg, size_t dlen, const uint8_t *sig,
                  size_t sig_len, bool der)
{
    return verify_raw(key, dg, dlen, sig, sig_len, der);
}

bool
tpm_verify_msg(const struct hm_key *key, const uint8_t *msg, size_t len, const uint8_t *sig,
               size_t sig_len)
{
    uint8_t dg[32];

    SHA256(msg, len, dg);
    return verify_raw(key, dg, sizeof(dg), sig, sig_len, true);
}

int
tpm_count_transient(const struct tpm_fixture *f)
{
    TSS2_TCTI_CONTEXT *tcti = NULL;
    ESYS_CONTEXT *esys = NULL;
    TPMS_CAPABILITY_DATA *cap = NULL;
    TPMI_YES_NO more;
    int n = -1;

    if (Tss2_TctiLdr_Initialize(f->tcti, &tcti) != 0) {
        return -1;
    }
    if (Esys_Initialize(&esys, tcti, NULL) == 0 &&
        Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES,
                           TPM2_TRANSIENT_FIRST, 16, &more, &cap) == 0) {
        n = (int)cap->data.handles.count;
    }
    Esys_Free(cap);
    Esys_Finalize(&esys);
    Tss2_TctiLdr_Finalize(&tcti);
    return n;
}

uint8_t *
tpm_read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;

    *len = 0;
    if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
        fseek(fp, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
        fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    } else {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    if (fp != NULL) {
        fclose(fp);
    }
    return buf;
}

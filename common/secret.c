/*
 * secret.c: PINs and auth values in locked, non-dumpable memory (STYLE.md "Secrets").
 *
 * Each secret gets its own anonymous mapping so that mlock() and MADV_DONTDUMP apply
 * to it alone, and munmap() after explicit_bzero() leaves nothing behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <hm/common.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

hm_err
hm_secret_alloc(size_t len, struct hm_secret **out)
{
    struct hm_secret *s = NULL;
    long page = sysconf(_SC_PAGESIZE);
    size_t cap;

    *out = NULL;
    if (len > HM_SECRET_MAX || page <= 0) {
        return HM_E_LIMIT;
    }
    cap = ((len + 1 + (size_t)page - 1) / (size_t)page) * (size_t)page;
    if ((s = calloc(1, sizeof(*s))) == NULL) {
        return HM_E_NOMEM;
    }
    s->buf = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s->buf == MAP_FAILED) {
        free(s);
        return HM_E_NOMEM;
    }
    s->cap = cap;
    s->len = len;
    /* mlock can fail under RLIMIT_MEMLOCK; the secret is still wiped and not dumped. */
    if (mlock(s->buf, cap) != 0) {
        hm_debug("secret: mlock failed (%s); continuing without it", strerror(errno));
    }
    (void)madvise(s->buf, cap, MADV_DONTDUMP);
    *out = s;
    return HM_OK;
}

void
hm_secret_free(struct hm_secret *s)
{
    if (s == NULL) {
        return;
    }
    explicit_bzero(s->buf, s->cap);
    (void)munlock(s->buf, s->cap);
    (void)munmap(s->buf, s->cap);
    explicit_bzero(s, sizeof(*s));
    free(s);
}

/* Reads at most HM_SECRET_MAX bytes straight into locked memory; no stdio buffers. */
static hm_err
secret_read_fd(int fd, struct hm_secret **out)
{
    struct hm_secret *s = NULL;
    size_t got = 0;
    hm_err err;

    if ((err = hm_secret_alloc(HM_SECRET_MAX, &s)) != HM_OK) {
        return err;
    }
    for (;;) {
        ssize_t n = read(fd, s->buf + got, HM_SECRET_MAX - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            hm_secret_free(s);
            return HM_E_IO;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
        if (got == HM_SECRET_MAX) {
            char extra;
            if (read(fd, &extra, 1) != 0) {
                hm_secret_free(s);
                return HM_E_LIMIT;
            }
            break;
        }
    }
    while (got > 0 && (s->buf[got - 1] == '\n' || s->buf[got - 1] == '\r')) {
        got--;
    }
    if (got == 0 || memchr(s->buf, '\0', got) != NULL) {
        hm_secret_free(s);
        return HM_E_INVALID;
    }
    explicit_bzero(s->buf + got, s->cap - got);
    s->len = got;
    *out = s;
    return HM_OK;
}

hm_err
hm_secret_from_file(const char *path, struct hm_secret **out)
{
    struct stat st;
    hm_err err;
    int fd;

    *out = NULL;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        hm_error("cannot open secret file %s: %s", path, strerror(errno));
        return errno == ENOENT ? HM_E_NOTFOUND : HM_E_IO;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        hm_error("secret file %s is not a regular file", path);
        return HM_E_INVALID;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        close(fd);
        hm_error("secret file %s is readable by group or others (mode %03o); chmod 600 it", path,
                 (unsigned)(st.st_mode & 0777));
        return HM_E_DENIED;
    }
    err = secret_read_fd(fd, out);
    close(fd);
    if (err != HM_OK) {
        hm_error("cannot read secret file %s: %s", path, hm_strerror(err));
    }
    return err;
}

hm_err
hm_secret_from_env(const char *name, struct hm_secret **out)
{
    const char *v = getenv(name);
    size_t len;
    hm_err err;

    *out = NULL;
    if (v == NULL || *v == '\0') {
        hm_error("environment variable %s is not set", name);
        return HM_E_NOTFOUND;
    }
    len = strlen(v);
    if (len > HM_SECRET_MAX) {
        return HM_E_LIMIT;
    }
    if ((err = hm_secret_alloc(len, out)) != HM_OK) {
        return err;
    }
    memcpy((*out)->buf, v, len);
    (*out)->buf[len] = '\0';
    return HM_OK;
}

hm_err
hm_secret_from_source(const char *source, struct hm_secret **out)
{
    *out = NULL;
    if (source == NULL || *source == '\0') {
        return HM_E_INVALID;
    }
    if (strncmp(source, "env:", 4) == 0) {
        return hm_secret_from_env(source + 4, out);
    }
    if (strncmp(source, "file://", 7) == 0) {
        return hm_secret_from_file(source + 7, out);
    }
    if (strncmp(source, "file:", 5) == 0) {
        return hm_secret_from_file(source + 5, out);
    }
    if (source[0] != '/') {
        hm_error("secret source must be file:/ABSOLUTE/PATH, an absolute path or env:NAME");
        return HM_E_INVALID;
    }
    return hm_secret_from_file(source, out);
}

hm_err
hm_secret_random_pin(size_t len, struct hm_secret **out)
{
    static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    const size_t n = sizeof(alphabet) - 1; /* 57 symbols: ~5.8 bits each */
    struct hm_secret *s = NULL;
    hm_err err;

    *out = NULL;
    if (len == 0 || len > 256) {
        return HM_E_INVALID;
    }
    if ((err = hm_secret_alloc(len, &s)) != HM_OK) {
        return err;
    }
    for (size_t i = 0; i < len;) {
        uint8_t r;
        if (RAND_bytes(&r, 1) != 1) {
            hm_secret_free(s);
            return HM_E_INTERNAL;
        }
        if (r >= 256 - (256 % n)) {
            continue; /* rejection sampling keeps the symbols uniform */
        }
        s->buf[i++] = (uint8_t)alphabet[r % n];
    }
    s->buf[len] = '\0';
    *out = s;
    return HM_OK;
}

hm_err
hm_secret_write_file(const struct hm_secret *s, const char *path)
{
    size_t done = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0) {
        hm_error("cannot create %s: %s", path, strerror(errno));
        return errno == EEXIST ? HM_E_CONFLICT : HM_E_IO;
    }
    while (done < s->len) {
        ssize_t n = write(fd, s->buf + done, s->len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            close(fd);
            (void)unlink(path);
            return HM_E_IO;
        }
        done += (size_t)n;
    }
    if (write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
        close(fd);
        (void)unlink(path);
        return HM_E_IO;
    }
    return close(fd) == 0 ? HM_OK : HM_E_IO;
}

void
hm_process_harden(void)
{
    struct rlimit rl = { 0, 0 };

    /* No core dumps and no ptrace by same-uid processes: PINs and session state stay in. */
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    (void)setrlimit(RLIMIT_CORE, &rl);
}

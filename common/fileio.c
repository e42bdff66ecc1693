/* fileio.c: bounded reads and atomic writes. */
#include <errno.h>
#include <fcntl.h>
#include <hm/common.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

hm_err
hm_read_fd(int fd, size_t max, uint8_t **out, size_t *len)
{
    uint8_t *buf = NULL;
    size_t cap = 0, got = 0;

    *out = NULL;
    *len = 0;
    for (;;) {
        if (got == cap) {
            size_t ncap = cap == 0 ? 4096 : cap * 2;
            uint8_t *nbuf;
            if (ncap > max + 1) {
                ncap = max + 1;
            }
            if (ncap <= got) {
                free(buf);
                return HM_E_LIMIT; /* got == max + 1: more than max bytes */
            }
            if ((nbuf = realloc(buf, ncap + 1)) == NULL) {
                free(buf);
                return HM_E_NOMEM;
            }
            buf = nbuf;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            free(buf);
            return HM_E_IO;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    if (got > max) {
        free(buf);
        return HM_E_LIMIT;
    }
    if (buf == NULL && (buf = malloc(1)) == NULL) {
        return HM_E_NOMEM;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return HM_OK;
}

hm_err
hm_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
    struct stat st;
    hm_err err;
    int fd;

    *out = NULL;
    *len = 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        return errno == ENOENT ? HM_E_NOTFOUND : HM_E_IO;
    }
    if (fstat(fd, &st) != 0) {
        close(fd);
        return HM_E_IO;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return HM_E_INVALID;
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > (uint64_t)max) {
        close(fd);
        return HM_E_LIMIT; /* refuse before reading a byte */
    }
    err = hm_read_fd(fd, max, out, len);
    close(fd);
    return err;
}

static hm_err
write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return HM_E_IO;
        }
        p += n;
        len -= (size_t)n;
    }
    return HM_OK;
}

static hm_err
write_file(const char *path, const void *buf, size_t len, unsigned mode, bool sync)
{
    char tmp[PATH_MAX];
    char dircopy[PATH_MAX];
    hm_err err;
    int fd, dfd;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp) ||
        snprintf(dircopy, sizeof(dircopy), "%s", path) >= (int)sizeof(dircopy)) {
        return HM_E_LIMIT;
    }
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
        return HM_E_IO;
    }
    if (fchmod(fd, (mode_t)mode) != 0 || (err = write_all(fd, buf, len)) != HM_OK ||
        (sync && fsync(fd) != 0)) {
        close(fd);
        (void)unlink(tmp);
        return HM_E_IO;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        (void)unlink(tmp);
        return HM_E_IO;
    }
    /* Make the rename itself durable. */
    if (sync && (dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return HM_OK;
}

hm_err
hm_write_file_atomic(const char *path, const void *buf, size_t len, unsigned mode)
{
    return write_file(path, buf, len, mode, true);
}

hm_err
hm_write_file_replace(const char *path, const void *buf, size_t len, unsigned mode)
{
    return write_file(path, buf, len, mode, false);
}

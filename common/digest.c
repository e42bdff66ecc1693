/* digest.c: streaming SHA-256 and SHA-512 of files, and constant-time comparison. */
#include <errno.h>
#include <fcntl.h>
#include <hm/common.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define DIGEST_CHUNK (64 * 1024)

hm_err
hm_digest_fd(int fd, struct hm_digests *out)
{
    EVP_MD_CTX *c256 = EVP_MD_CTX_new(), *c512 = EVP_MD_CTX_new();
    uint8_t *chunk = malloc(DIGEST_CHUNK);
    uint64_t total = 0;
    hm_err err = HM_E_INTERNAL;

    if (c256 == NULL || c512 == NULL || chunk == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    if (EVP_DigestInit_ex(c256, EVP_sha256(), NULL) != 1 ||
        EVP_DigestInit_ex(c512, EVP_sha512(), NULL) != 1) {
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, DIGEST_CHUNK);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            err = HM_E_IO;
            goto out;
        }
        if (n == 0) {
            break;
        }
        if (EVP_DigestUpdate(c256, chunk, (size_t)n) != 1 ||
            EVP_DigestUpdate(c512, chunk, (size_t)n) != 1) {
            goto out;
        }
        total += (uint64_t)n;
    }
    if (EVP_DigestFinal_ex(c256, out->sha256, NULL) != 1 ||
        EVP_DigestFinal_ex(c512, out->sha512, NULL) != 1) {
        goto out;
    }
    out->size = total;
    err = HM_OK;
out:
    EVP_MD_CTX_free(c256);
    EVP_MD_CTX_free(c512);
    free(chunk);
    return err;
}

hm_err
hm_digest_file(const char *path, struct hm_digests *out)
{
    hm_err err;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        return errno == ENOENT ? HM_E_NOTFOUND : HM_E_IO;
    }
    err = hm_digest_fd(fd, out);
    close(fd);
    return err;
}

void
hm_sha256(const void *in, size_t len, uint8_t out[HM_SHA256_LEN])
{
    /* EVP_Digest with SHA-256 on memory cannot fail short of a broken libcrypto. */
    if (EVP_Digest(in, len, out, NULL, EVP_sha256(), NULL) != 1) {
        abort();
    }
}

bool
hm_ct_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

/*
 * hsm_test_util.c: helpers for the SoftHSM tests (see hsm_test_util.h).
 */
#include "hsm_test_util.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

static int capture_fd = -1, saved_fd = -1;
static char capture_path[PATH_MAX];
static unsigned shim_seq;

/* Percent-encodes what is not a plain pkcs11 query character. */
static void
query_encode(const char *in, char *out, size_t outlen)
{
    size_t o = 0;

    for (const unsigned char *p = (const unsigned char *)in; *p != '\0' && o + 4 < outlen; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p) != NULL) {
            out[o++] = (char)*p;
        } else {
            o += (size_t)snprintf(out + o, outlen - o, "%%%02X", *p);
        }
    }
    out[o] = '\0';
}

int
hsm_fixture_setup(struct hsm_fixture *f, const char *label)
{
    const char *tmp = getenv("TMPDIR");
    const char *build = getenv("HM_BUILD");
    char enc_dir[PATH_MAX], shim[PATH_MAX];

    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "%s/hm-hsm-test-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    snprintf(f->label, sizeof(f->label), "%s", label);
    if (hm_softhsm_init_token(f->dir, label, NULL) != HM_OK) {
        return -1;
    }
    query_encode(f->dir, enc_dir, sizeof(enc_dir));
    snprintf(f->uri, sizeof(f->uri),
             "pkcs11:token=%s?module-path=" HM_SOFTHSM_MODULE "&pin-source=file:%s/user.pin", label,
             enc_dir);
    snprintf(shim, sizeof(shim), "%s/tests/pkcs11-shim/hm_pkcs11_shim.so",
             build != NULL ? build : ".");
    snprintf(f->shim_uri, sizeof(f->shim_uri),
             "pkcs11:token=%s?module-path=%s&pin-source=file:%s/user.pin", label, shim, enc_dir);
    snprintf(f->ctl, sizeof(f->ctl), "%s/shim.ctl", f->dir);
    return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void
hsm_fixture_teardown(struct hsm_fixture *f)
{
    if (f->dir[0] != '\0') {
        (void)nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
}

static EVP_PKEY *
key_pkey(const struct hm_key *key)
{
    const uint8_t *der;
    size_t len;

    hm_key_spki(key, &der, &len);
    return d2i_PUBKEY(NULL, &der, (long)len);
}

/* ECDSA r||s to DER so that OpenSSL can check it; NULL if the length is wrong. */
static unsigned char *
raw_to_der(const uint8_t *sig, size_t len, size_t want, int *der_len)
{
    ECDSA_SIG *s = NULL;
    unsigned char *der = NULL;

    if (len != want || (s = ECDSA_SIG_new()) == NULL) {
        return NULL;
    }
    ECDSA_SIG_set0(s, BN_bin2bn(sig, (int)(len / 2), NULL),
                   BN_bin2bn(sig + len / 2, (int)(len / 2), NULL));
    *der_len = i2d_ECDSA_SIG(s, &der);
    ECDSA_SIG_free(s);
    return der;
}

static bool
verify_prehashed(EVP_PKEY *pk, enum hm_key_alg alg, const uint8_t *dg, size_t dlen,
                 const uint8_t *sig, size_t sig_len, enum hm_sig_enc enc)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
    const EVP_MD *md = alg == HM_KEY_EC_P384 ? EVP_sha384() : EVP_sha256();
    unsigned char *der = NULL;
    int der_len = 0;
    bool ok = false;

    if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx, md) != 1) {
        goto out;
    }
    if (alg == HM_KEY_RSA3072_PSS &&
        (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
         EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32) != 1 ||
         EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1)) {
        goto out;
    }
    if (alg != HM_KEY_RSA3072_PSS && enc == HM_SIG_RAW) {
        if ((der = raw_to_der(sig, sig_len, alg == HM_KEY_EC_P256 ? 64 : 96, &der_len)) == NULL) {
            goto out;
        }
        sig = der;
        sig_len = (size_t)der_len;
    }
    ok = EVP_PKEY_verify(ctx, sig, sig_len, dg, dlen) == 1;
out:
    OPENSSL_free(der);
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

bool
hsm_verify_digest(const struct hm_key *key, const uint8_t *dg, size_t dlen, const uint8_t *sig,
                  size_t sig_len, enum hm_sig_enc enc)
{
    EVP_PKEY *pk = key_pkey(key);
    bool ok = pk != NULL && verify_prehashed(pk, hm_key_alg(key), dg, dlen, sig, sig_len, enc);

    EVP_PKEY_free(pk);
    return ok;
}

bool
hsm_verify(const struct hm_key *key, const uint8_t *msg, size_t len, const uint8_t *sig,
           size_t sig_len, enum hm_sig_enc enc)
{
    EVP_PKEY *pk = key_pkey(key);
    EVP_MD_CTX *md = NULL;
    uint8_t dg[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    bool ok = false;

    if (pk == NULL) {
        return false;
    }
    if (hm_key_alg(key) == HM_KEY_ED25519) {
        /* pure Ed25519: no digest, the whole message */
        ok = sig_len == 64 && (md = EVP_MD_CTX_new()) != NULL &&
             EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1 &&
             EVP_DigestVerify(md, sig, sig_len, msg, len) == 1;
    } else if (EVP_Digest(msg, len, dg, &dlen,
                          hm_key_alg(key) == HM_KEY_EC_P384 ? EVP_sha384() : EVP_sha256(),
                          NULL) == 1) {
        ok = verify_prehashed(pk, hm_key_alg(key), dg, dlen, sig, sig_len, enc);
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    return ok;
}

void
hsm_capture_begin(void)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(capture_path, sizeof(capture_path), "%s/hm-hsm-stderr-XXXXXX",
             tmp != NULL ? tmp : "/tmp");
    fflush(stderr);
    capture_fd = mkstemp(capture_path);
    saved_fd = dup(2);
    dup2(capture_fd, 2);
}

char *
hsm_capture_end(void)
{
    char *text;

    fflush(stderr);
    dup2(saved_fd, 2);
    close(saved_fd);
    close(capture_fd);
    text = hsm_read_text(capture_path);
    unlink(capture_path);
    fputs(text != NULL ? text : "", stderr); /* keep it visible in the test log */
    return text;
}

void
hsm_shim_set(const struct hsm_fixture *f, const char *text)
{
    char tmp[PATH_MAX + 32];
    FILE *fp;

    snprintf(tmp, sizeof(tmp), "%s.tmp", f->ctl);
    if ((fp = fopen(tmp, "w")) == NULL) {
        return;
    }
    fprintf(fp, "%s seq=%u\n", text, ++shim_seq);
    fclose(fp);
    rename(tmp, f->ctl);
}

char *
hsm_read_text(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *buf = NULL;
    size_t n;

    if (fp == NULL) {
        return NULL;
    }
    if ((buf = calloc(1, 65536)) != NULL) {
        n = fread(buf, 1, 65535, fp);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
            buf[--n] = '\0';
        }
    }
    fclose(fp);
    return buf;
}

/*
 * tpm2_pub.c: public areas: the templates we create objects with, TPMT_PUBLIC to SPKI
 * and Name, and the key blob files that `hallmark keys create --blob` writes.
 *
 * Blob file (all integers big-endian, docs/tpm.md):
 *   "HMTPM2K1" | u16 label length | label | u16 n | TPM2B_PUBLIC (n bytes, marshalled)
 *   | u16 m | TPM2B_PRIVATE (m bytes, marshalled)
 * The private part is wrapped by the owner-hierarchy primary: it is useless outside the
 * TPM that made it, so the file is a handle, not a secret (still written 0600).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "tpm2_int.h"

#define BLOB_MAGIC     "HMTPM2K1"
#define BLOB_MAGIC_LEN 8

/* Signing keys: fixedTPM, fixedParent (cannot be duplicated, so never leave this TPM),
 * sensitiveDataOrigin (generated inside it), userWithAuth, sign; not decrypt, not
 * restricted (it signs digests computed on the host). */
#define KEY_ATTRS                                                                                  \
    (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |            \
     TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT)

void
tpm2_template_key(enum hm_key_alg alg, TPM2B_PUBLIC *out)
{
    memset(out, 0, sizeof(*out));
    out->publicArea.nameAlg = TPM2_ALG_SHA256;
    out->publicArea.objectAttributes = KEY_ATTRS;
    if (alg == HM_KEY_RSA3072_PSS) {
        TPMS_RSA_PARMS *r = &out->publicArea.parameters.rsaDetail;
        out->publicArea.type = TPM2_ALG_RSA;
        r->symmetric.algorithm = TPM2_ALG_NULL;
        r->scheme.scheme = TPM2_ALG_RSAPSS;
        r->scheme.details.rsapss.hashAlg = TPM2_ALG_SHA256;
        r->keyBits = 3072;
        r->exponent = 0; /* 65537 */
        return;
    }
    out->publicArea.type = TPM2_ALG_ECC;
    out->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    out->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    out->publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    out->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    out->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
}

/* The ECC P-256 storage root key of the TCG TPM v2.0 Provisioning Guidance (restricted
 * decrypt, AES-128-CFB, noDA, empty auth): a fixed template gives the same key from the
 * same owner seed, so it is recreated rather than stored. */
void
tpm2_template_srk(TPM2B_PUBLIC *out)
{
    TPMS_ECC_PARMS *e = &out->publicArea.parameters.eccDetail;

    memset(out, 0, sizeof(*out));
    out->publicArea.type = TPM2_ALG_ECC;
    out->publicArea.nameAlg = TPM2_ALG_SHA256;
    out->publicArea.objectAttributes =
        TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
        TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
    e->symmetric.algorithm = TPM2_ALG_AES;
    e->symmetric.keyBits.aes = 128;
    e->symmetric.mode.aes = TPM2_ALG_CFB;
    e->scheme.scheme = TPM2_ALG_NULL;
    e->curveID = TPM2_ECC_NIST_P256;
    e->kdf.scheme = TPM2_ALG_NULL;
}

/* The attestation key: a restricted ECDSA P-256 signing primary in the endorsement
 * hierarchy (docs/key-attestation.md).  Restricted: it signs only TPM-generated
 * structures (TPMS_ATTEST), never a digest an attacker chose to look like one. */
void
tpm2_template_ak(TPM2B_PUBLIC *out)
{
    TPMS_ECC_PARMS *e = &out->publicArea.parameters.eccDetail;

    memset(out, 0, sizeof(*out));
    out->publicArea.type = TPM2_ALG_ECC;
    out->publicArea.nameAlg = TPM2_ALG_SHA256;
    out->publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                       TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                       TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
    e->symmetric.algorithm = TPM2_ALG_NULL;
    e->scheme.scheme = TPM2_ALG_ECDSA;
    e->scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    e->curveID = TPM2_ECC_NIST_P256;
    e->kdf.scheme = TPM2_ALG_NULL;
}

hm_err
tpm2_pub_alg(const TPMT_PUBLIC *p, enum hm_key_alg *out)
{
    if (p->type == TPM2_ALG_ECC && p->parameters.eccDetail.curveID == TPM2_ECC_NIST_P256) {
        *out = HM_KEY_EC_P256;
        return HM_OK;
    }
    if (p->type == TPM2_ALG_RSA && p->parameters.rsaDetail.keyBits == 3072) {
        *out = HM_KEY_RSA3072_PSS;
        return HM_OK;
    }
    return HM_E_INVALID;
}

hm_err
tpm2_pub_spki(const TPMT_PUBLIC *p, uint8_t **out, size_t *out_len)
{
    static const uint8_t e65537[] = { 0x01, 0x00, 0x01 };
    enum hm_key_alg alg;

    *out = NULL;
    *out_len = 0;
    if (tpm2_pub_alg(p, &alg) != HM_OK) {
        return HM_E_INVALID;
    }
    if (alg == HM_KEY_EC_P256) {
        const TPMS_ECC_POINT *q = &p->unique.ecc;
        uint8_t pt[65] = { 0x04 };
        if (q->x.size == 0 || q->x.size > 32 || q->y.size == 0 || q->y.size > 32) {
            return HM_E_INVALID;
        }
        /* coordinates may come without leading zeros: right-align them */
        memcpy(pt + 1 + (32 - q->x.size), q->x.buffer, q->x.size);
        memcpy(pt + 33 + (32 - q->y.size), q->y.buffer, q->y.size);
        return hm_spki_from_ec(alg, pt, sizeof(pt), out, out_len);
    }
    if (p->unique.rsa.size != 384) {
        return HM_E_INVALID;
    }
    if (p->parameters.rsaDetail.exponent == 0) {
        return hm_spki_from_rsa(p->unique.rsa.buffer, p->unique.rsa.size, e65537, sizeof(e65537),
                                out, out_len);
    }
    {
        uint32_t e = p->parameters.rsaDetail.exponent;
        uint8_t eb[4] = { (uint8_t)(e >> 24), (uint8_t)(e >> 16), (uint8_t)(e >> 8), (uint8_t)e };
        return hm_spki_from_rsa(p->unique.rsa.buffer, p->unique.rsa.size, eb, sizeof(eb), out,
                                out_len);
    }
}

hm_err
tpm2_pub_marshal(const TPMT_PUBLIC *p, uint8_t **out, size_t *len)
{
    uint8_t buf[sizeof(TPMT_PUBLIC)];
    size_t off = 0;

    *out = NULL;
    *len = 0;
    if (Tss2_MU_TPMT_PUBLIC_Marshal(p, buf, sizeof(buf), &off) != TSS2_RC_SUCCESS) {
        return HM_E_INVALID;
    }
    if ((*out = malloc(off)) == NULL) {
        return HM_E_NOMEM;
    }
    memcpy(*out, buf, off);
    *len = off;
    return HM_OK;
}

hm_err
tpm2_pub_name(const TPMT_PUBLIC *p, TPM2B_NAME *out)
{
    uint8_t *m = NULL;
    size_t mlen = 0;
    unsigned int dlen = 0;
    hm_err err;

    memset(out, 0, sizeof(*out));
    if (p->nameAlg != TPM2_ALG_SHA256) {
        return HM_E_INVALID; /* every object we create or accept uses SHA-256 names */
    }
    if ((err = tpm2_pub_marshal(p, &m, &mlen)) != HM_OK) {
        return err;
    }
    out->name[0] = (uint8_t)(TPM2_ALG_SHA256 >> 8);
    out->name[1] = (uint8_t)(TPM2_ALG_SHA256 & 0xff);
    if (EVP_Digest(m, mlen, out->name + 2, &dlen, EVP_sha256(), NULL) != 1 || dlen != 32) {
        free(m);
        return HM_E_INTERNAL;
    }
    out->size = 34;
    free(m);
    return HM_OK;
}

/* ---- blob files ---- */

static void
put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static size_t
get16(const uint8_t *p)
{
    return ((size_t)p[0] << 8) | p[1];
}

hm_err
tpm2_blob_write(const char *path, const char *label, const TPM2B_PUBLIC *pub,
                const TPM2B_PRIVATE *priv)
{
    uint8_t buf[TPM2_BLOB_MAX];
    size_t off = BLOB_MAGIC_LEN, llen = strlen(label), pn = 0, vn = 0;
    int fd;

    if (llen > TPM2_LABEL_MAX) {
        return HM_E_INVALID;
    }
    memcpy(buf, BLOB_MAGIC, BLOB_MAGIC_LEN);
    put16(buf + off, llen);
    memcpy(buf + off + 2, label, llen);
    off += 2 + llen;
    if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf + off + 2, sizeof(buf) - off - 2, &pn) != 0) {
        return HM_E_INTERNAL;
    }
    put16(buf + off, pn);
    off += 2 + pn;
    if (Tss2_MU_TPM2B_PRIVATE_Marshal(priv, buf + off + 2, sizeof(buf) - off - 2, &vn) != 0) {
        return HM_E_INTERNAL;
    }
    put16(buf + off, vn);
    off += 2 + vn;
    /* O_EXCL: never overwrite a key someone may still need; O_NOFOLLOW: no symlink games */
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
        hm_error("hsm: tpm2: cannot create %s: %s", path, strerror(errno));
        return errno == EEXIST ? HM_E_CONFLICT : HM_E_IO;
    }
    if (write(fd, buf, off) != (ssize_t)off || fsync(fd) != 0) {
        hm_error("hsm: tpm2: cannot write %s: %s", path, strerror(errno));
        close(fd);
        (void)unlink(path);
        return HM_E_IO;
    }
    return close(fd) == 0 ? HM_OK : HM_E_IO;
}

/* One u16-length-prefixed field of buf[*off..len). */
static bool
take(const uint8_t *buf, size_t len, size_t *off, const uint8_t **field, size_t *flen)
{
    if (len - *off < 2) {
        return false;
    }
    *flen = get16(buf + *off);
    if (len - *off - 2 < *flen) {
        return false;
    }
    *field = buf + *off + 2;
    *off += 2 + *flen;
    return true;
}

hm_err
tpm2_blob_read(const char *path, char *label, size_t label_size, TPM2B_PUBLIC *pub,
               TPM2B_PRIVATE *priv)
{
    const uint8_t *f;
    uint8_t *buf = NULL;
    size_t len = 0, off = BLOB_MAGIC_LEN, flen, used;
    hm_err err;

    memset(pub, 0, sizeof(*pub));
    memset(priv, 0, sizeof(*priv));
    if ((err = hm_read_file(path, TPM2_BLOB_MAX, &buf, &len)) != HM_OK) {
        hm_error("hsm: tpm2: cannot read key blob %s: %s", path, hm_strerror(err));
        return err;
    }
    err = HM_E_INVALID;
    if (len < BLOB_MAGIC_LEN || memcmp(buf, BLOB_MAGIC, BLOB_MAGIC_LEN) != 0 ||
        !take(buf, len, &off, &f, &flen) || flen >= label_size || flen > TPM2_LABEL_MAX) {
        goto out;
    }
    memcpy(label, f, flen);
    label[flen] = '\0';
    used = 0;
    if (!hm_p11_text_ok(label, TPM2_LABEL_MAX) || !take(buf, len, &off, &f, &flen) ||
        Tss2_MU_TPM2B_PUBLIC_Unmarshal(f, flen, &used, pub) != 0 || used != flen) {
        goto out;
    }
    used = 0;
    if (!take(buf, len, &off, &f, &flen) ||
        Tss2_MU_TPM2B_PRIVATE_Unmarshal(f, flen, &used, priv) != 0 || used != flen || off != len) {
        goto out;
    }
    err = HM_OK;
out:
    if (err != HM_OK) {
        hm_error("hsm: tpm2: %s is not a Hallmark TPM key blob", path);
    }
    free(buf);
    return err;
}

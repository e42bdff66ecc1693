/*
 * keyattest_mkcred.c: MakeCredential in libcrypto, the verifier's half of credential
 * activation (TPM 2.0 Part 1 section 24 "Credential Protection", Part 3 TPM2_MakeCredential).
 *
 * Why: an EK certificate proves a genuine TPM exists; it says nothing about the AK, which
 * any program could have made and filled with the right attribute bits.  Wrapping a secret
 * to the EK, bound to the AK's Name, proves the AK lives in that TPM: TPM2_ActivateCredential
 * releases the secret only when the EK's private key unwraps the seed AND an object with
 * that exact Name (our AK, fixedTPM) is loaded in the same TPM.  A verifier runs this once
 * at enrolment and then pins the AK (hm_keyatt_opts.ak_pem).
 *
 * ECC EKs only (the TCG EK templates: P-256 with SHA-256/AES-128-CFB, P-384 with
 * SHA-384/AES-256-CFB):
 *   (de, Qe) ephemeral on the EK's curve; Z = x(de * Q_EK)
 *   seed       = KDFe(H, Z, "IDENTITY", Qe.x, Q_EK.x, |H|)
 *   symKey     = KDFa(H, seed, "STORAGE", Name(AK), "", keyBits)
 *   encIdentity= AES-CFB(symKey, IV = 0, TPM2B_DIGEST(secret))
 *   hmacKey    = KDFa(H, seed, "INTEGRITY", "", "", |H|)
 *   outerHMAC  = HMAC(H, hmacKey, encIdentity || Name(AK))
 *   out        = TPM2B_ID_OBJECT(TPM2B_DIGEST(outerHMAC) || encIdentity)
 *                || TPM2B_ENCRYPTED_SECRET(TPMS_ECC_POINT(Qe))
 * The labels include their terminating NUL, as the TPM's KDFs use them.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>

#include "keyattest_int.h"

#define MC_MAX_COORD 48 /* P-384 */

struct mc_params {
    const EVP_MD *md;
    const EVP_CIPHER *cipher;
    size_t coord; /* field size in bytes */
};

static void
put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* KDFa (SP 800-108 counter mode with HMAC), Part 1 11.4.10.2.  u is at most a Name. */
static bool
kdfa(const EVP_MD *md, const uint8_t *key, size_t key_len, const char *label, const uint8_t *u,
     size_t u_len, size_t bits, uint8_t *out)
{
    size_t want = bits / 8, done = 0, hlen = (size_t)EVP_MD_get_size(md), llen = strlen(label) + 1;
    uint8_t blk[EVP_MAX_MD_SIZE], in[4 + 16 + KA_NAME_MAX + 4];
    unsigned int n = 0;

    if (llen > 16 || u_len > KA_NAME_MAX) {
        return false;
    }
    memcpy(in + 4, label, llen);
    if (u_len > 0) {
        memcpy(in + 4 + llen, u, u_len);
    }
    put32(in + 4 + llen + u_len, (uint32_t)bits);
    for (uint32_t i = 1; done < want; i++) {
        size_t take;
        put32(in, i);
        if (HMAC(md, key, (int)key_len, in, 8 + llen + u_len, blk, &n) == NULL ||
            (size_t)n != hlen) {
            return false;
        }
        take = want - done < hlen ? want - done : hlen;
        memcpy(out + done, blk, take);
        done += take;
    }
    OPENSSL_cleanse(blk, sizeof(blk));
    return true;
}

/* KDFe (SP 800-56A concatenation KDF), Part 1 11.4.10.3, one block (bits = |H|). */
static bool
kdfe(const EVP_MD *md, const uint8_t *z, size_t z_len, const char *label, const uint8_t *u,
     const uint8_t *v, size_t coord, uint8_t *out)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    uint8_t cnt[4] = { 0, 0, 0, 1 };
    unsigned int n = 0;
    bool ok = c != NULL && EVP_DigestInit_ex(c, md, NULL) == 1 &&
              EVP_DigestUpdate(c, cnt, 4) == 1 && EVP_DigestUpdate(c, z, z_len) == 1 &&
              EVP_DigestUpdate(c, label, strlen(label) + 1) == 1 &&
              EVP_DigestUpdate(c, u, coord) == 1 && EVP_DigestUpdate(c, v, coord) == 1 &&
              EVP_DigestFinal_ex(c, out, &n) == 1;

    EVP_MD_CTX_free(c);
    return ok;
}

static bool
point_xy(EVP_PKEY *k, size_t coord, uint8_t *x, uint8_t *y)
{
    BIGNUM *bx = NULL, *by = NULL;
    bool ok = EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &bx) == 1 &&
              EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &by) == 1 &&
              BN_bn2binpad(bx, x, (int)coord) == (int)coord &&
              BN_bn2binpad(by, y, (int)coord) == (int)coord;

    BN_free(bx);
    BN_free(by);
    return ok;
}

static bool
ek_params(EVP_PKEY *ek, struct mc_params *p)
{
    char group[32] = "";

    if (!EVP_PKEY_is_a(ek, "EC") ||
        EVP_PKEY_get_utf8_string_param(ek, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       NULL) != 1) {
        return false;
    }
    if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
        *p = (struct mc_params){ EVP_sha256(), EVP_aes_128_cfb128(), 32 };
        return true;
    }
    if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
        *p = (struct mc_params){ EVP_sha384(), EVP_aes_256_cfb128(), 48 };
        return true;
    }
    return false;
}

/* Ephemeral key, its point, and the ECDH x coordinate with the EK. */
static bool
ecdh(EVP_PKEY *ek, const struct mc_params *p, uint8_t *ex, uint8_t *ey, uint8_t *z)
{
    EVP_PKEY_CTX *g = EVP_PKEY_CTX_new_from_pkey(NULL, ek, NULL), *d = NULL;
    EVP_PKEY *eph = NULL;
    size_t zlen = p->coord;
    bool ok = g != NULL && EVP_PKEY_keygen_init(g) == 1 && EVP_PKEY_generate(g, &eph) == 1 &&
              point_xy(eph, p->coord, ex, ey) &&
              (d = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL)) != NULL &&
              EVP_PKEY_derive_init(d) == 1 && EVP_PKEY_derive_set_peer(d, ek) == 1 &&
              EVP_PKEY_derive(d, z, &zlen) == 1 && zlen == p->coord;

    EVP_PKEY_CTX_free(g);
    EVP_PKEY_CTX_free(d);
    EVP_PKEY_free(eph); /* the ephemeral private key goes with it */
    return ok;
}

static bool
cfb(const struct mc_params *p, const uint8_t *key, const uint8_t *in, size_t len, uint8_t *out)
{
    static const uint8_t iv[16] = { 0 };
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, f = 0;
    bool ok = c != NULL && EVP_EncryptInit_ex(c, p->cipher, NULL, key, iv) == 1 &&
              EVP_EncryptUpdate(c, out, &n, in, (int)len) == 1 &&
              EVP_EncryptFinal_ex(c, out + n, &f) == 1 && (size_t)(n + f) == len;

    EVP_CIPHER_CTX_free(c);
    return ok;
}

/* Everything but the encoding: seed, keys, encIdentity and the HMAC. */
static bool
wrap(EVP_PKEY *ek, const struct mc_params *p, const uint8_t *name, size_t name_len,
     const uint8_t *secret, size_t secret_len, uint8_t *ex, uint8_t *ey, uint8_t *enc, uint8_t *mac)
{
    uint8_t z[MC_MAX_COORD], kx[MC_MAX_COORD], ky[MC_MAX_COORD], seed[EVP_MAX_MD_SIZE];
    uint8_t sym[32], hkey[EVP_MAX_MD_SIZE], plain[2 + 32], *hin = NULL;
    size_t hlen = (size_t)EVP_MD_get_size(p->md),
           klen = (size_t)EVP_CIPHER_get_key_length(p->cipher);
    unsigned int mlen = 0;
    bool ok = false;

    plain[0] = (uint8_t)(secret_len >> 8);
    plain[1] = (uint8_t)secret_len;
    memcpy(plain + 2, secret, secret_len);
    if (!point_xy(ek, p->coord, kx, ky) || !ecdh(ek, p, ex, ey, z) ||
        !kdfe(p->md, z, p->coord, "IDENTITY", ex, kx, p->coord, seed) ||
        !kdfa(p->md, seed, hlen, "STORAGE", name, name_len, 8 * klen, sym) ||
        !cfb(p, sym, plain, 2 + secret_len, enc) ||
        !kdfa(p->md, seed, hlen, "INTEGRITY", NULL, 0, 8 * hlen, hkey) ||
        (hin = malloc(2 + secret_len + name_len)) == NULL) {
        goto out;
    }
    memcpy(hin, enc, 2 + secret_len);
    memcpy(hin + 2 + secret_len, name, name_len);
    ok = HMAC(p->md, hkey, (int)hlen, hin, 2 + secret_len + name_len, mac, &mlen) != NULL &&
         (size_t)mlen == hlen;
out:
    free(hin);
    OPENSSL_cleanse(z, sizeof(z));
    OPENSSL_cleanse(seed, sizeof(seed));
    OPENSSL_cleanse(sym, sizeof(sym));
    OPENSSL_cleanse(hkey, sizeof(hkey));
    OPENSSL_cleanse(plain, sizeof(plain));
    return ok;
}

static void
put16(uint8_t **o, size_t v)
{
    (*o)[0] = (uint8_t)(v >> 8);
    (*o)[1] = (uint8_t)v;
    *o += 2;
}

static void
put(uint8_t **o, const uint8_t *b, size_t n)
{
    memcpy(*o, b, n);
    *o += n;
}

hm_err
hm_verify_keyatt_make_credential(const struct hm_keyatt *ka, const uint8_t *secret,
                                 size_t secret_len, uint8_t **out, size_t *out_len)
{
    uint8_t name[KA_NAME_MAX], ex[MC_MAX_COORD], ey[MC_MAX_COORD], enc[2 + 32];
    uint8_t mac[EVP_MAX_MD_SIZE], *buf = NULL, *o;
    const unsigned char *p;
    struct ka_public ak;
    struct mc_params mp;
    EVP_PKEY *ek = NULL;
    X509 *cert = NULL;
    size_t name_len = 0, hlen, total;
    hm_err err = HM_E_INVALID;

    *out = NULL;
    *out_len = 0;
    if (ka == NULL || ka->evidence != HM_KEYATT_TPM2_CERTIFY || secret == NULL || secret_len == 0 ||
        secret_len > 32 || ka->tpm2.ek_cert.data == NULL) {
        return HM_E_INVALID;
    }
    p = ka->tpm2.ek_cert.data;
    if ((cert = d2i_X509(NULL, &p, (long)ka->tpm2.ek_cert.len)) == NULL ||
        (ek = X509_get_pubkey(cert)) == NULL || !ek_params(ek, &mp) ||
        ka_public_parse(ka->tpm2.ak_public.data, ka->tpm2.ak_public.len, &ak) != HM_OK ||
        ka_public_name(&ak, ka->tpm2.ak_public.data, ka->tpm2.ak_public.len, name, &name_len) !=
            HM_OK) {
        goto out; /* RSA EKs (OAEP-wrapped seeds) are not supported here */
    }
    err = HM_E_INTERNAL;
    if (!wrap(ek, &mp, name, name_len, secret, secret_len, ex, ey, enc, mac)) {
        goto out;
    }
    hlen = (size_t)EVP_MD_get_size(mp.md);
    total = 2 + (2 + hlen + 2 + secret_len) + 2 + (4 + 2 * mp.coord);
    err = HM_E_NOMEM;
    if ((buf = malloc(total)) == NULL) {
        goto out;
    }
    o = buf;
    put16(&o, 2 + hlen + 2 + secret_len); /* TPM2B_ID_OBJECT */
    put16(&o, hlen);
    put(&o, mac, hlen);
    put(&o, enc, 2 + secret_len);
    put16(&o, 4 + 2 * mp.coord); /* TPM2B_ENCRYPTED_SECRET holding TPMS_ECC_POINT */
    put16(&o, mp.coord);
    put(&o, ex, mp.coord);
    put16(&o, mp.coord);
    put(&o, ey, mp.coord);
    *out = buf;
    *out_len = total;
    err = HM_OK;
out:
    ERR_clear_error();
    EVP_PKEY_free(ek);
    X509_free(cert);
    return err;
}

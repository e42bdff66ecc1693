/*
 * keyattest_verify.c: checking key-attestation evidence on the verifier's side
 * (docs/key-attestation.md, "Verification"; formats.md 4.3's checklist).
 *
 * TPM evidence, in this order (the first failure is the verdict, each with its reason):
 *   the key is the caller's; the nonce is the caller's (when given); TPMS_ATTEST's magic,
 *   then its type; extraData is the nonce; the certified Name is nameAlg || H(keyPublic);
 *   keyPublic holds the caller's key; its attributes say fixedTPM, fixedParent,
 *   sensitiveDataOrigin, sign, not decrypt; the AK is restricted + sign + fixedTPM +
 *   fixedParent; the AK's signature over the TPMS_ATTEST bytes; the EK certificate chains
 *   to a configured manufacturer root (X509_verify_cert, no network); and, when enrolled
 *   AKs are given, the AK is one of them.
 * Every check is made whatever the order; the order only decides which reason is named.
 *
 * TPM structures are parsed by keyattest_tpm.c (no tpm2-tss in libhallmark-verify).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "keyattest_int.h"
#include "verify_int.h"

#define KEY_NEEDS (KA_ATTR_FIXEDTPM | KA_ATTR_FIXEDPARENT | KA_ATTR_SDO | KA_ATTR_SIGN)
#define AK_NEEDS  (KA_ATTR_FIXEDTPM | KA_ATTR_FIXEDPARENT | KA_ATTR_RESTRICTED | KA_ATTR_SIGN)

static const char *const status_names[] = {
    [HM_KA_OK] = "ok",
    [HM_KA_MALFORMED] = "malformed",
    [HM_KA_KEY_MISMATCH] = "key-mismatch",
    [HM_KA_BAD_MAGIC] = "bad-magic",
    [HM_KA_BAD_TYPE] = "bad-type",
    [HM_KA_NONCE_MISMATCH] = "nonce-mismatch",
    [HM_KA_NAME_MISMATCH] = "name-mismatch",
    [HM_KA_KEY_ATTRIBUTES] = "key-attributes",
    [HM_KA_AK_ATTRIBUTES] = "ak-attributes",
    [HM_KA_AK_SIGNATURE] = "ak-signature",
    [HM_KA_EK_CHAIN] = "ek-chain",
    [HM_KA_AK_NOT_ENROLLED] = "ak-not-enrolled",
    [HM_KA_SELF_ASSERTED] = "self-asserted",
    [HM_KA_PKCS11_ATTRIBUTES] = "pkcs11-attributes",
    [HM_KA_BAD_SIGNATURE] = "bad-signature",
    [HM_KA_MISSING] = "missing",
};

const char *
hm_verify_keyatt_status_name(enum hm_keyatt_status st)
{
    if ((size_t)st < sizeof(status_names) / sizeof(status_names[0]) && status_names[st] != NULL) {
        return status_names[st];
    }
    return "unknown";
}

static bool HM_PRINTF(3, 4)
    verdict(struct hm_keyatt_result *r, enum hm_keyatt_status st, const char *fmt, ...)
{
    va_list ap;

    r->status = st;
    va_start(ap, fmt);
    (void)vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
    va_end(ap);
    return false;
}

/* ---- certificates ---- */

static X509_STORE *
roots_store(const uint8_t *pem, size_t len, size_t *n)
{
    X509_STORE *st = X509_STORE_new();
    BIO *bio = len <= INT32_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
    X509 *x;

    *n = 0;
    while (st != NULL && bio != NULL && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (X509_STORE_add_cert(st, x) == 1) {
            (*n)++;
        }
        X509_free(x);
    }
    ERR_clear_error(); /* the loop ends on "no start line" */
    BIO_free(bio);
    return st;
}

static X509 *
der_cert(const struct hm_keyatt_bytes *b)
{
    const unsigned char *p = b->data;
    X509 *x = b->data != NULL ? d2i_X509(NULL, &p, (long)b->len) : NULL;

    if (x != NULL && p != b->data + b->len) {
        X509_free(x); /* trailing bytes */
        x = NULL;
    }
    return x;
}

static bool
check_ek_chain(const struct hm_keyatt_tpm2 *t, const struct hm_keyatt_opts *o,
               struct hm_keyatt_result *r)
{
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    STACK_OF(X509) *chain = sk_X509_new_null();
    X509 *ek = der_cert(&t->ek_cert);
    size_t nroots = 0;
    bool ok = false;

    if (ek == NULL) {
        verdict(r, HM_KA_EK_CHAIN, "no EK certificate (or not one DER certificate)");
        goto out;
    }
    X509_NAME_oneline(X509_get_issuer_name(ek), r->ek_subject, (int)sizeof(r->ek_subject));
    for (size_t i = 0; i < t->n_chain && chain != NULL; i++) {
        X509 *c = der_cert(&t->chain[i]);
        if (c == NULL || sk_X509_push(chain, c) <= 0) {
            X509_free(c);
            verdict(r, HM_KA_EK_CHAIN, "ekChain[%zu] is not one DER certificate", i);
            goto out;
        }
    }
    if ((store = roots_store(o->roots_pem, o->roots_pem_len, &nroots)) == NULL || nroots == 0 ||
        chain == NULL || (ctx = X509_STORE_CTX_new()) == NULL ||
        X509_STORE_CTX_init(ctx, store, ek, chain) != 1) {
        verdict(r, HM_KA_EK_CHAIN, "no manufacturer root certificate to check the EK against");
        goto out;
    }
    /* An EK certificate is for key encipherment, not a TLS purpose: any purpose; the
     * time only when the caller knows it (a device may not). */
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
    if (o->now != 0) {
        X509_STORE_CTX_set_time(ctx, 0, (time_t)o->now);
    } else {
        X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
    }
    if (X509_verify_cert(ctx) != 1) {
        verdict(r, HM_KA_EK_CHAIN,
                "EK certificate (issuer %s) does not chain to a configured "
                "root: %s",
                r->ek_subject, X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        goto out;
    }
    ok = true;
out:
    ERR_clear_error();
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_pop_free(chain, X509_free);
    X509_free(ek);
    return ok;
}

/* The AK's SPKI is one of the enrolled AK keys (PEM, concatenated). */
static bool
ak_enrolled(EVP_PKEY *ak, const uint8_t *pem, size_t len)
{
    BIO *bio = len <= INT32_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
    EVP_PKEY *k;
    bool found = false;

    while (!found && bio != NULL && (k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) != NULL) {
        found = EVP_PKEY_eq(ak, k) == 1;
        EVP_PKEY_free(k);
    }
    ERR_clear_error();
    BIO_free(bio);
    return found;
}

/* ---- TPM evidence ---- */

static bool
check_attest(const struct hm_keyatt *ka, const struct ka_attest *a, hm_err perr,
             struct hm_keyatt_result *r)
{
    if (ka->tpm2.certify_info.len < 6) {
        return verdict(r, HM_KA_MALFORMED, "certifyInfo: too short for a TPMS_ATTEST");
    }
    if (a->magic != KA_TPM_GENERATED) {
        return verdict(r, HM_KA_BAD_MAGIC,
                       "certifyInfo.magic 0x%08x is not TPM_GENERATED_VALUE: "
                       "the TPM did not make it",
                       (unsigned)a->magic);
    }
    if (a->type != KA_ST_CERTIFY) {
        return verdict(r, HM_KA_BAD_TYPE, "certifyInfo.type 0x%04x is not TPM_ST_ATTEST_CERTIFY",
                       (unsigned)a->type);
    }
    if (perr != HM_OK) {
        return verdict(r, HM_KA_MALFORMED, "certifyInfo is not a TPMS_ATTEST of TPM2_Certify");
    }
    if (a->extra_len != ka->nonce_len || !hm_ct_equal(a->extra, ka->nonce, ka->nonce_len)) {
        return verdict(r, HM_KA_NONCE_MISMATCH, "certifyInfo.extraData is not the nonce");
    }
    return true;
}

static bool
check_key(const struct hm_keyatt *ka, const EVP_PKEY *want, struct ka_public *kp,
          struct hm_keyatt_result *r, const struct ka_attest *a)
{
    uint8_t name[KA_NAME_MAX];
    size_t name_len = 0;

    if (ka_public_parse(ka->tpm2.key_public.data, ka->tpm2.key_public.len, kp) != HM_OK ||
        ka_public_name(kp, ka->tpm2.key_public.data, ka->tpm2.key_public.len, name, &name_len) !=
            HM_OK) {
        return verdict(r, HM_KA_MALFORMED, "keyPublic is not a TPMT_PUBLIC we accept");
    }
    r->key_attributes = kp->attrs;
    if (name_len != a->name_len || !hm_ct_equal(name, a->name, name_len)) {
        return verdict(r, HM_KA_NAME_MISMATCH,
                       "the certified Name is not nameAlg || "
                       "H(keyPublic): keyPublic is not what the TPM "
                       "certified");
    }
    if (!ka_public_matches(kp, want)) {
        return verdict(r, HM_KA_KEY_MISMATCH,
                       "keyPublic holds another key than the one asked "
                       "about");
    }
    if ((kp->attrs & KEY_NEEDS) != KEY_NEEDS || (kp->attrs & KA_ATTR_DECRYPT) != 0) {
        return verdict(r, HM_KA_KEY_ATTRIBUTES,
                       "key attributes 0x%08x: fixedTPM %d, fixedParent %d, sensitiveDataOrigin "
                       "%d, sign %d (all must be 1), decrypt %d (must be 0)",
                       (unsigned)kp->attrs, (kp->attrs & KA_ATTR_FIXEDTPM) != 0,
                       (kp->attrs & KA_ATTR_FIXEDPARENT) != 0, (kp->attrs & KA_ATTR_SDO) != 0,
                       (kp->attrs & KA_ATTR_SIGN) != 0, (kp->attrs & KA_ATTR_DECRYPT) != 0);
    }
    return true;
}

static bool
check_ak(const struct hm_keyatt *ka, struct hm_keyatt_result *r, EVP_PKEY **ak_out)
{
    struct ka_public ap;
    struct ka_signature sig;
    hm_err err;

    if (ka_public_parse(ka->tpm2.ak_public.data, ka->tpm2.ak_public.len, &ap) != HM_OK ||
        ka_public_pkey(&ap, ak_out) != HM_OK) {
        return verdict(r, HM_KA_MALFORMED,
                       "akPublic is not a TPMT_PUBLIC of a P-256/P-384 or "
                       "RSA key");
    }
    if ((ap.attrs & AK_NEEDS) != AK_NEEDS || (ap.attrs & KA_ATTR_DECRYPT) != 0) {
        return verdict(r, HM_KA_AK_ATTRIBUTES,
                       "AK attributes 0x%08x: an attestation key must be restricted, sign, "
                       "fixedTPM and fixedParent, and not decrypt",
                       (unsigned)ap.attrs);
    }
    if (ka_signature_parse(ka->tpm2.signature.data, ka->tpm2.signature.len, &sig) != HM_OK) {
        return verdict(r, HM_KA_AK_SIGNATURE, "signature is not a TPMT_SIGNATURE we accept");
    }
    if ((err = ka_signature_verify(&sig, *ak_out, ka->tpm2.certify_info.data,
                                   ka->tpm2.certify_info.len)) != HM_OK) {
        return verdict(r, HM_KA_AK_SIGNATURE,
                       "the AK's signature over certifyInfo does not "
                       "verify");
    }
    return true;
}

static void
check_tpm2(const struct hm_keyatt *ka, const struct hm_keyatt_opts *o, const EVP_PKEY *want,
           struct hm_keyatt_result *r)
{
    struct ka_attest a;
    struct ka_public kp;
    EVP_PKEY *ak = NULL;
    hm_err perr = ka_attest_parse(ka->tpm2.certify_info.data, ka->tpm2.certify_info.len, &a);

    memcpy(r->tpm_manufacturer, ka->tpm2.manufacturer, sizeof(r->tpm_manufacturer));
    if (!check_attest(ka, &a, perr, r) || !check_key(ka, want, &kp, r, &a) ||
        !check_ak(ka, r, &ak)) {
        goto out;
    }
    if (o->roots_pem == NULL || o->roots_pem_len == 0) {
        verdict(r, HM_KA_EK_CHAIN,
                "no manufacturer roots given: TPM evidence cannot be trusted "
                "without them");
        goto out;
    }
    if (!check_ek_chain(&ka->tpm2, o, r)) {
        goto out;
    }
    if (o->ak_pem != NULL && o->ak_pem_len > 0) {
        if (!ak_enrolled(ak, o->ak_pem, o->ak_pem_len)) {
            verdict(r, HM_KA_AK_NOT_ENROLLED,
                    "the AK is not one of the enrolled attestation "
                    "keys");
            goto out;
        }
        r->ak_enrolled = true;
    }
    r->hardware_verified = true;
    verdict(r, HM_KA_OK,
            "TPM-resident key (attributes 0x%08x) certified by an AK%s; EK "
            "issued by %s",
            (unsigned)kp.attrs,
            r->ak_enrolled ? " enrolled by credential activation"
                           : " whose binding to the EK is asserted, not proven (no enrolled AK)",
            r->ek_subject);
out:
    EVP_PKEY_free(ak);
}

/* ---- PKCS#11 self-asserted evidence ---- */

static void
check_pkcs11(const struct hm_keyatt *ka, const struct hm_keyatt_opts *o, struct hm_keyatt_result *r)
{
    const struct hm_keyatt_pkcs11 *p = &ka->pkcs11;

    if (!o->allow_self_asserted) {
        verdict(r, HM_KA_SELF_ASSERTED,
                "the evidence is self-asserted PKCS#11 attributes, which "
                "nothing signs; hardware evidence is required");
        return;
    }
    if (!p->sensitive || !p->always_sensitive || p->extractable || !p->never_extractable ||
        !p->local) {
        verdict(r, HM_KA_PKCS11_ATTRIBUTES,
                "the token says: sensitive %d, alwaysSensitive %d, extractable %d, "
                "neverExtractable %d, local %d (wanted 1, 1, 0, 1, 1)",
                p->sensitive, p->always_sensitive, p->extractable, p->never_extractable, p->local);
        return;
    }
    verdict(r, HM_KA_OK,
            "self-asserted: token '%s' (%s %s) reports a non-extractable key made on "
            "it; nothing signs these values",
            p->token_label, p->manufacturer, p->model);
}

hm_err
hm_verify_keyatt_check(const struct hm_keyatt *ka, const struct hm_keyatt_opts *o,
                       struct hm_keyatt_result *r)
{
    const unsigned char *p;
    EVP_PKEY *want = NULL;

    if (r == NULL) {
        return HM_E_INVALID;
    }
    memset(r, 0, sizeof(*r));
    r->status = HM_KA_MALFORMED; /* never "ok" until every check has passed */
    if (ka == NULL || o == NULL || o->spki == NULL || o->spki_len == 0) {
        (void)snprintf(r->detail, sizeof(r->detail), "no evidence or no key to check it for");
        return HM_E_INVALID;
    }
    r->evidence = ka->evidence;
    r->n_vendor = ka->n_vendor;
    p = o->spki;
    if (ka->spki.len != o->spki_len || memcmp(ka->spki.data, o->spki, o->spki_len) != 0 ||
        (want = d2i_PUBKEY(NULL, &p, (long)o->spki_len)) == NULL) {
        ERR_clear_error();
        verdict(r, HM_KA_KEY_MISMATCH, "the statement attests another key than the one given");
        return HM_OK;
    }
    if (o->nonce != NULL &&
        (o->nonce_len != ka->nonce_len || !hm_ct_equal(o->nonce, ka->nonce, ka->nonce_len))) {
        verdict(r, HM_KA_NONCE_MISMATCH, "the statement's nonce is not the expected one");
    } else if (ka->evidence == HM_KEYATT_TPM2_CERTIFY) {
        check_tpm2(ka, o, want, r);
    } else if (ka->evidence == HM_KEYATT_PKCS11_SELF_ASSERTED) {
        check_pkcs11(ka, o, r);
    }
    EVP_PKEY_free(want);
    return HM_OK;
}

hm_err
hm_verify_keyatt_statement(const uint8_t *stmt, size_t len, const struct hm_keyatt_opts *o,
                           struct hm_keyatt_result *r)
{
    struct hm_keyatt *ka = NULL;
    char why[200];
    hm_err err;

    if (r == NULL) {
        return HM_E_INVALID;
    }
    memset(r, 0, sizeof(*r));
    if ((err = ka_statement_parse(stmt, len, &ka, why, sizeof(why))) != HM_OK) {
        r->status = HM_KA_MALFORMED;
        (void)snprintf(r->detail, sizeof(r->detail), "%s", why);
        return err == HM_E_NOMEM ? err : HM_OK;
    }
    err = hm_verify_keyatt_check(ka, o, r);
    hm_verify_keyatt_free(ka);
    return err;
}

hm_err
hm_verify_keyatt_bundle(const uint8_t *bundle, size_t len, const struct hm_keyatt_opts *o,
                        struct hm_keyatt_result *r)
{
    struct hm_bundle *b = NULL;
    struct hm_pubkey *pk = NULL;
    uint8_t *pae = NULL;
    size_t pae_len = 0;
    char why[200];
    hm_err err;

    if (r == NULL || o == NULL) {
        return HM_E_INVALID;
    }
    memset(r, 0, sizeof(*r));
    r->status = HM_KA_MALFORMED;
    if ((err = hm_pubkey_from_spki(o->spki, o->spki_len, &pk)) != HM_OK) {
        (void)snprintf(r->detail, sizeof(r->detail), "the key to check is not a supported SPKI");
        return err == HM_E_NOMEM ? err : HM_E_INVALID;
    }
    if ((err = hm_bundle_parse(bundle, len, &b, why, sizeof(why))) != HM_OK) {
        (void)snprintf(r->detail, sizeof(r->detail), "%s", why);
        err = err == HM_E_NOMEM ? err : HM_OK;
        goto out;
    }
    /* Proof of possession: the attested key itself signed the exact statement bytes. */
    if (b->dsse->n_sigs != 1 || strcmp(b->dsse->payload_type, HM_PAYLOAD_TYPE_INTOTO) != 0 ||
        (err = hm_dsse_pae(b->dsse->payload_type, strlen(b->dsse->payload_type), b->dsse->payload,
                           b->dsse->payload_len, &pae, &pae_len)) != HM_OK ||
        hm_pubkey_verify(pk, pae, pae_len, b->dsse->sigs[0].sig, b->dsse->sigs[0].sig_len) !=
            HM_OK) {
        r->status = HM_KA_BAD_SIGNATURE;
        (void)snprintf(r->detail, sizeof(r->detail),
                       "the key-attestation bundle is not signed by the attested key");
        err = err == HM_E_NOMEM ? err : HM_OK;
        goto out;
    }
    err = hm_verify_keyatt_statement(b->dsse->payload, b->dsse->payload_len, o, r);
out:
    free(pae);
    hm_bundle_free(b);
    hm_pubkey_free(pk);
    return err;
}

hm_err
hm_verify_keyatt_ak_spki(const struct hm_keyatt *ka, uint8_t **out, size_t *out_len)
{
    struct ka_public ap;
    EVP_PKEY *pk = NULL;
    unsigned char *der = NULL;
    int n;

    *out = NULL;
    *out_len = 0;
    if (ka == NULL || ka->evidence != HM_KEYATT_TPM2_CERTIFY ||
        ka_public_parse(ka->tpm2.ak_public.data, ka->tpm2.ak_public.len, &ap) != HM_OK ||
        ka_public_pkey(&ap, &pk) != HM_OK) {
        return HM_E_INVALID;
    }
    n = i2d_PUBKEY(pk, &der);
    EVP_PKEY_free(pk);
    if (n <= 0 || (*out = malloc((size_t)n)) == NULL) {
        OPENSSL_free(der);
        return HM_E_NOMEM;
    }
    memcpy(*out, der, (size_t)n);
    *out_len = (size_t)n;
    OPENSSL_free(der);
    return HM_OK;
}

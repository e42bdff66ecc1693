/*
 * note_sign.c: signature lines for notes we sign.  The private key is somewhere else (an
 * HSM), so the signature itself comes from the signer's callback; this file builds the
 * signed message and the line around it.
 */
#include <stdlib.h>
#include <string.h>

#include "tlog_int.h"

#define COSIG_HEADER "cosignature/v1\ntime "

/* What can be signed: valid note text, ending in "\n", within the note limit. */
static bool
text_signable(const char *text, size_t len)
{
    return text != NULL && len > 0 && len < HM_TLOG_NOTE_MAX_BYTES && text[len - 1] == '\n' &&
           tlog_text_valid((const uint8_t *)text, len);
}

/* "\u2014 <name> <base64(keyid || payload)>\n" */
static hm_err
sig_line(const struct hm_tlog_signer *signer, const uint8_t *payload, size_t len, char **out)
{
    uint8_t *raw = NULL;
    char *b64 = NULL;
    struct hm_buf b;
    size_t n;
    hm_err err;

    hm_buf_init(&b, 0);
    if ((raw = malloc(4 + len)) == NULL) {
        return HM_E_NOMEM;
    }
    raw[0] = (uint8_t)(signer->key_id >> 24);
    raw[1] = (uint8_t)(signer->key_id >> 16);
    raw[2] = (uint8_t)(signer->key_id >> 8);
    raw[3] = (uint8_t)signer->key_id;
    memcpy(raw + 4, payload, len);
    if ((err = hm_b64_encode(raw, 4 + len, &b64)) != HM_OK) {
        goto out;
    }
    hm_buf_puts(&b, TLOG_SIG_PREFIX);
    hm_buf_puts(&b, signer->name);
    hm_buf_puts(&b, " ");
    hm_buf_puts(&b, b64);
    hm_buf_puts(&b, "\n");
    if ((err = hm_buf_status(&b)) != HM_OK) {
        goto out;
    }
    *out = (char *)hm_buf_steal(&b, &n);
out:
    hm_buf_free(&b);
    free(b64);
    free(raw);
    return err;
}

/* Calls the signer and checks what it says it wrote. */
static hm_err
call_signer(const struct hm_tlog_signer *signer, const uint8_t *msg, size_t len, uint8_t *sig,
            size_t cap, size_t *sig_len)
{
    hm_err err;

    *sig_len = 0;
    if ((err = signer->sign(signer->ctx, msg, len, sig, cap, sig_len)) != HM_OK) {
        return err;
    }
    if (*sig_len == 0 || *sig_len > cap) {
        return HM_E_INTERNAL; /* a signer that claims more than the buffer holds */
    }
    return HM_OK;
}

static bool
signer_valid(const struct hm_tlog_signer *signer)
{
    return signer != NULL && signer->sign != NULL && signer->name != NULL &&
           hm_tlog_name_valid(signer->name, strlen(signer->name));
}

hm_err
hm_tlog_note_sign(const char *text, size_t len, const struct hm_tlog_signer *signer, char **out)
{
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    hm_err err;

    *out = NULL;
    if (!signer_valid(signer) || !text_signable(text, len)) {
        return HM_E_INVALID;
    }
    if ((sig = malloc(HM_TLOG_SIG_MAX_BYTES)) == NULL) {
        return HM_E_NOMEM;
    }
    if ((err = call_signer(signer, (const uint8_t *)text, len, sig, HM_TLOG_SIG_MAX_BYTES,
                           &sig_len)) == HM_OK) {
        err = sig_line(signer, sig, sig_len, out);
    }
    free(sig);
    return err;
}

hm_err
hm_tlog_note_cosign(const char *text, size_t len, uint64_t timestamp,
                    const struct hm_tlog_signer *signer, char **out)
{
    char digits[TLOG_U64_DIGITS + 1];
    uint8_t payload[8 + 64];
    size_t sig_len = 0, dl;
    struct hm_buf msg;
    hm_err err;

    *out = NULL;
    if (!signer_valid(signer) || !text_signable(text, len) || timestamp > (uint64_t)INT64_MAX) {
        return HM_E_INVALID;
    }
    dl = tlog_format_u64(timestamp, digits);
    hm_buf_init(&msg, 0);
    hm_buf_puts(&msg, COSIG_HEADER);
    hm_buf_append(&msg, digits, dl);
    hm_buf_puts(&msg, "\n");
    hm_buf_append(&msg, text, len);
    if ((err = hm_buf_status(&msg)) != HM_OK) {
        goto out;
    }
    for (int i = 0; i < 8; i++) {
        payload[i] = (uint8_t)(timestamp >> (56 - 8 * i));
    }
    if ((err = call_signer(signer, msg.data, msg.len, payload + 8, 64, &sig_len)) != HM_OK) {
        goto out;
    }
    if (sig_len != 64) {
        err = HM_E_INVALID; /* cosignatures are Ed25519 */
        goto out;
    }
    err = sig_line(signer, payload, sizeof(payload), out);
out:
    hm_buf_free(&msg);
    return err;
}

/* The note split where the caller meant: same text length, one line per signature. */
static hm_err
text_is(const struct hm_tlog_note *note, size_t len, size_t n_lines)
{
    size_t got = 0;

    (void)hm_tlog_note_text(note, &got);
    return got == len && hm_tlog_note_sig_count(note) == n_lines ? HM_OK : HM_E_INVALID;
}

hm_err
hm_tlog_note_assemble(const char *text, size_t len, const char *const *sig_lines, size_t n_lines,
                      char **out, size_t *out_len)
{
    struct hm_tlog_note *note = NULL;
    struct hm_buf b;
    uint8_t *data;
    size_t n = 0;
    hm_err err;

    *out = NULL;
    *out_len = 0;
    if (text == NULL || (sig_lines == NULL && n_lines > 0)) {
        return HM_E_INVALID;
    }
    hm_buf_init(&b, HM_TLOG_NOTE_MAX_BYTES + 1);
    hm_buf_append(&b, text, len);
    hm_buf_puts(&b, "\n");
    for (size_t i = 0; i < n_lines; i++) {
        hm_buf_puts(&b, sig_lines[i]);
    }
    if ((err = hm_buf_status(&b)) != HM_OK) {
        hm_buf_free(&b);
        return err;
    }
    /* Whatever we hand out must parse back to the same text and lines. */
    if ((err = hm_tlog_note_parse(b.data, b.len, &note)) != HM_OK ||
        (err = text_is(note, len, n_lines)) != HM_OK) {
        hm_tlog_note_free(note);
        hm_buf_free(&b);
        return err;
    }
    hm_tlog_note_free(note);
    data = hm_buf_steal(&b, &n);
    *out = (char *)data;
    *out_len = n;
    return HM_OK;
}

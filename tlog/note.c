/*
 * note.c: C2SP signed notes (c2sp.org/signed-note v1.0.0).
 *
 *   note    = text "\n" sigline+      text: lines ending in "\n"; the last empty line
 *   sigline = "\u2014 " name " " base64std(keyid[4] || sig) "\n"   ends the text
 *
 * Parsing is strict (UTF-8, no control characters but "\n", padded base64, key-name rules)
 * and bounded (HM_TLOG_NOTE_MAX_BYTES, HM_TLOG_NOTE_MAX_SIGS).
 */
#include <stdlib.h>
#include <string.h>

#include "tlog_int.h"

struct note_sig {
    char *name;
    uint32_t key_id;
    uint8_t *raw; /* keyid || sig as decoded */
    size_t raw_len;
};

struct hm_tlog_note {
    char *text; /* NUL-terminated copy of the text */
    size_t text_len;
    struct note_sig *sigs;
    size_t n_sigs;
};

void
hm_tlog_note_free(struct hm_tlog_note *note)
{
    if (note == NULL) {
        return;
    }
    for (size_t i = 0; i < note->n_sigs; i++) {
        free(note->sigs[i].name);
        free(note->sigs[i].raw);
    }
    free(note->sigs);
    free(note->text);
    free(note);
}

/* One signature line, without its "\n". */
static hm_err
parse_sig_line(const char *line, size_t len, struct note_sig *out)
{
    const char *name, *space, *end = line + len;
    hm_err err;

    if (len < TLOG_SIG_PREFIX_LEN || memcmp(line, TLOG_SIG_PREFIX, TLOG_SIG_PREFIX_LEN) != 0) {
        return HM_E_INVALID;
    }
    name = line + TLOG_SIG_PREFIX_LEN;
    if ((space = memchr(name, ' ', (size_t)(end - name))) == NULL ||
        !hm_tlog_name_valid(name, (size_t)(space - name))) {
        return HM_E_INVALID;
    }
    if ((err = tlog_b64_decode(space + 1, (size_t)(end - space - 1), &out->raw, &out->raw_len)) !=
        HM_OK) {
        return err == HM_E_NOMEM ? err : HM_E_INVALID;
    }
    if (out->raw_len < 5) {
        return HM_E_INVALID; /* a key id and at least one byte of signature */
    }
    if (out->raw_len - 4 > HM_TLOG_SIG_MAX_BYTES) {
        return HM_E_LIMIT;
    }
    out->key_id = (uint32_t)out->raw[0] << 24 | (uint32_t)out->raw[1] << 16 |
                  (uint32_t)out->raw[2] << 8 | out->raw[3];
    if ((out->name = strndup(name, (size_t)(space - name))) == NULL) {
        return HM_E_NOMEM;
    }
    return HM_OK;
}

/* Splits the note at its last empty line; *sigs_at is where the signature lines start. */
static hm_err
split_note(const uint8_t *buf, size_t len, size_t *text_len, size_t *n_lines)
{
    size_t i = len - 1, lines = 0;

    if (buf[len - 1] != '\n') {
        return HM_E_INVALID;
    }
    /* buf[i - 1] == '\n' && buf[i] == '\n': the last empty line is at i. */
    while (i > 0 && !(buf[i] == '\n' && buf[i - 1] == '\n')) {
        if (buf[i] == '\n') {
            lines++;
        }
        i--;
    }
    if (i == 0 || i + 1 >= len) {
        return HM_E_INVALID; /* no separator, or no signature line after it */
    }
    if (lines > HM_TLOG_NOTE_MAX_SIGS) {
        return HM_E_LIMIT;
    }
    *text_len = i; /* the text keeps its final "\n" (buf[i - 1]) */
    *n_lines = lines;
    return HM_OK;
}

hm_err
hm_tlog_note_parse(const uint8_t *buf, size_t len, struct hm_tlog_note **out)
{
    struct hm_tlog_note *note = NULL;
    const char *p, *end = (const char *)buf + len;
    size_t text_len = 0, n_lines = 0;
    hm_err err;

    *out = NULL;
    if (buf == NULL || len == 0) {
        return HM_E_INVALID;
    }
    if (len > HM_TLOG_NOTE_MAX_BYTES) {
        return HM_E_LIMIT;
    }
    if (!tlog_text_valid(buf, len)) {
        return HM_E_INVALID;
    }
    if ((err = split_note(buf, len, &text_len, &n_lines)) != HM_OK) {
        return err;
    }
    if ((note = calloc(1, sizeof(*note))) == NULL ||
        (note->sigs = calloc(n_lines, sizeof(*note->sigs))) == NULL ||
        (note->text = strndup((const char *)buf, text_len)) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    note->text_len = text_len;
    p = (const char *)buf + text_len + 1;
    for (size_t i = 0; i < n_lines; i++) {
        const char *eol = tlog_line_end(p, end);

        note->n_sigs++; /* freed by hm_tlog_note_free even when half parsed */
        if ((err = parse_sig_line(p, (size_t)(eol - p), &note->sigs[i])) != HM_OK) {
            goto out;
        }
        p = eol + 1;
    }
    *out = note;
    note = NULL; /* the caller owns it now */
out:
    hm_tlog_note_free(note);
    return err;
}

const char *
hm_tlog_note_text(const struct hm_tlog_note *note, size_t *len)
{
    *len = note->text_len;
    return note->text;
}

size_t
hm_tlog_note_sig_count(const struct hm_tlog_note *note)
{
    return note->n_sigs;
}

void
hm_tlog_note_sig(const struct hm_tlog_note *note, size_t i, struct hm_tlog_note_sig *out)
{
    const struct note_sig *s = &note->sigs[i];

    out->name = s->name;
    out->key_id = s->key_id;
    out->sig = s->raw + 4;
    out->sig_len = s->raw_len - 4;
}

/* The first key with this (name, key id), or -1: a signature by anyone else is ignored. */
static long
find_key(const struct hm_tlog_verifier *const *keys, size_t n_keys, const struct note_sig *s)
{
    for (size_t k = 0; k < n_keys; k++) {
        if (keys[k] != NULL && hm_tlog_verifier_key_id(keys[k]) == s->key_id &&
            strcmp(hm_tlog_verifier_name(keys[k]), s->name) == 0) {
            return (long)k;
        }
    }
    return -1;
}

hm_err
hm_tlog_note_verify(const struct hm_tlog_note *note, const struct hm_tlog_verifier *const *keys,
                    size_t n_keys, bool *verified)
{
    bool any = false;
    hm_err err = HM_OK;

    if (verified != NULL) {
        memset(verified, 0, n_keys * sizeof(*verified));
    }
    if (note == NULL || (keys == NULL && n_keys > 0)) {
        return HM_E_INVALID;
    }
    for (size_t i = 0; i < note->n_sigs && err == HM_OK; i++) {
        const struct note_sig *s = &note->sigs[i];
        long k = find_key(keys, n_keys, s);

        if (k < 0) {
            continue;
        }
        /* A known key's signature must verify, else the whole note is refused. */
        err = tlog_verifier_check(keys[k], (const uint8_t *)note->text, note->text_len, s->raw + 4,
                                  s->raw_len - 4);
        if (err == HM_OK) {
            any = true;
            if (verified != NULL) {
                verified[k] = true;
            }
        }
    }
    if (err == HM_OK && !any) {
        err = HM_E_VERIFY; /* no signature by a key we trust */
    }
    if (err != HM_OK && verified != NULL) {
        memset(verified, 0, n_keys * sizeof(*verified));
    }
    return err;
}

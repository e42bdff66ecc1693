/*
 * checkpoint.c: c2sp.org/tlog-checkpoint v1.0.0 note text.
 *
 *   <origin>\n <tree size, decimal, no leading zeros>\n <base64 root>\n [<extension>\n]*
 */
#include <stdlib.h>
#include <string.h>

#include "tlog_int.h"

struct hm_tlog_checkpoint {
    char *origin;
    uint64_t size;
    uint8_t root[HM_TLOG_HASH_LEN];
    char *ext; /* the extension lines as they were, NUL-terminated */
    size_t ext_len;
};

void
hm_tlog_checkpoint_free(struct hm_tlog_checkpoint *cp)
{
    if (cp == NULL) {
        return;
    }
    free(cp->origin);
    free(cp->ext);
    free(cp);
}

/* Extension lines: opaque, but each one non-empty. */
static bool
extensions_valid(const char *p, const char *end)
{
    while (p < end) {
        const char *eol = tlog_line_end(p, end);

        if (eol == NULL || eol == p) {
            return false;
        }
        p = eol + 1;
    }
    return true;
}

hm_err
hm_tlog_checkpoint_parse(const char *text, size_t len, struct hm_tlog_checkpoint **out)
{
    const char *end = text + len, *l1, *l2, *l3;
    struct hm_tlog_checkpoint *cp = NULL;
    hm_err err = HM_E_INVALID;

    *out = NULL;
    if (text == NULL || len == 0) {
        return HM_E_INVALID;
    }
    if (len > HM_TLOG_NOTE_MAX_BYTES) {
        return HM_E_LIMIT;
    }
    if (!tlog_text_valid((const uint8_t *)text, len) || text[len - 1] != '\n') {
        return HM_E_INVALID;
    }
    if ((l1 = tlog_line_end(text, end)) == NULL || l1 == text ||
        (l2 = tlog_line_end(l1 + 1, end)) == NULL || (l3 = tlog_line_end(l2 + 1, end)) == NULL ||
        !extensions_valid(l3 + 1, end)) {
        return HM_E_INVALID; /* fewer than three lines, an empty origin or extension line */
    }
    if ((cp = calloc(1, sizeof(*cp))) == NULL) {
        return HM_E_NOMEM;
    }
    if ((err = tlog_parse_u64(l1 + 1, (size_t)(l2 - l1 - 1), HM_TLOG_MAX_SIZE, &cp->size)) !=
            HM_OK ||
        (err = tlog_b64_hash(l2 + 1, (size_t)(l3 - l2 - 1), cp->root)) != HM_OK) {
        err = err == HM_E_NOMEM ? err : HM_E_INVALID;
        goto out;
    }
    if ((cp->origin = strndup(text, (size_t)(l1 - text))) == NULL ||
        (cp->ext = strndup(l3 + 1, (size_t)(end - l3 - 1))) == NULL) {
        err = HM_E_NOMEM;
        goto out;
    }
    cp->ext_len = (size_t)(end - l3 - 1);
    *out = cp;
    cp = NULL; /* the caller owns it now */
out:
    hm_tlog_checkpoint_free(cp);
    return err;
}

hm_err
hm_tlog_checkpoint_format(const char *origin, uint64_t size, const uint8_t root[HM_TLOG_HASH_LEN],
                          char **out, size_t *out_len)
{
    char digits[TLOG_U64_DIGITS + 1];
    char *b64 = NULL;
    struct hm_buf b;
    hm_err err;

    *out = NULL;
    *out_len = 0;
    /* Our own origin follows the recommendation (a key name), so the log key can match it. */
    if (origin == NULL || root == NULL || !hm_tlog_name_valid(origin, strlen(origin))) {
        return HM_E_INVALID;
    }
    if (size > HM_TLOG_MAX_SIZE) {
        return HM_E_LIMIT;
    }
    if ((err = hm_b64_encode(root, HM_TLOG_HASH_LEN, &b64)) != HM_OK) {
        return err;
    }
    (void)tlog_format_u64(size, digits);
    hm_buf_init(&b, 0);
    hm_buf_puts(&b, origin);
    hm_buf_puts(&b, "\n");
    hm_buf_puts(&b, digits);
    hm_buf_puts(&b, "\n");
    hm_buf_puts(&b, b64);
    hm_buf_puts(&b, "\n");
    free(b64);
    if ((err = hm_buf_status(&b)) != HM_OK) {
        hm_buf_free(&b);
        return err;
    }
    *out = (char *)hm_buf_steal(&b, out_len);
    return HM_OK;
}

hm_err
hm_tlog_checkpoint_open(const uint8_t *note_buf, size_t len, const struct hm_tlog_verifier *log_key,
                        const char *origin, struct hm_tlog_checkpoint **out)
{
    const struct hm_tlog_verifier *keys[1] = { log_key };
    struct hm_tlog_note *note = NULL;
    struct hm_tlog_checkpoint *cp = NULL;
    const char *text;
    size_t text_len = 0;
    hm_err err;

    *out = NULL;
    if (log_key == NULL) {
        return HM_E_INVALID;
    }
    if ((err = hm_tlog_note_parse(note_buf, len, &note)) != HM_OK) {
        goto out;
    }
    text = hm_tlog_note_text(note, &text_len);
    if ((err = hm_tlog_checkpoint_parse(text, text_len, &cp)) != HM_OK ||
        (err = hm_tlog_note_verify(note, keys, 1, NULL)) != HM_OK) {
        goto out;
    }
    if (strcmp(cp->origin, origin != NULL ? origin : hm_tlog_verifier_name(log_key)) != 0) {
        err = HM_E_VERIFY; /* a checkpoint of another log, signed by a key we trust */
        goto out;
    }
    *out = cp;
    cp = NULL; /* the caller owns it now */
out:
    hm_tlog_checkpoint_free(cp);
    hm_tlog_note_free(note);
    return err;
}

const char *
hm_tlog_checkpoint_origin(const struct hm_tlog_checkpoint *cp)
{
    return cp->origin;
}

uint64_t
hm_tlog_checkpoint_size(const struct hm_tlog_checkpoint *cp)
{
    return cp->size;
}

const uint8_t *
hm_tlog_checkpoint_root(const struct hm_tlog_checkpoint *cp)
{
    return cp->root;
}

const char *
hm_tlog_checkpoint_extensions(const struct hm_tlog_checkpoint *cp, size_t *len)
{
    *len = cp->ext_len;
    return cp->ext;
}

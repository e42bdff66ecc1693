/*
 * proof.c: c2sp.org/tlog-proof@v1, the offline proof a device checks:
 *
 *   c2sp.org/tlog-proof@v1\n
 *   [extra <base64>\n]            opaque, unauthenticated
 *   index <decimal>\n
 *   <base64 hash>\n ...           0..64 inclusion path hashes, leaf side first
 *   \n
 *   <checkpoint note, verbatim, with the log's signature and any cosignatures>
 */
#include <stdlib.h>
#include <string.h>

#include "tlog_int.h"

#define PROOF_HEADER      "c2sp.org/tlog-proof@v1\n"
#define PROOF_MAX_WITNESS 64

struct hm_tlog_proof {
    uint64_t index;
    struct hm_tlog_path path;
    uint8_t *extra;
    size_t extra_len;
    uint8_t *note;
    size_t note_len;
    struct hm_tlog_note *parsed;
    struct hm_tlog_checkpoint *cp;
};

void
hm_tlog_proof_free(struct hm_tlog_proof *p)
{
    if (p == NULL) {
        return;
    }
    free(p->extra);
    free(p->note);
    hm_tlog_note_free(p->parsed);
    hm_tlog_checkpoint_free(p->cp);
    free(p);
}

/* "<word> <value>\n" at *pos: sets value and advances, or returns false. */
static bool
keyword_line(const char **pos, const char *end, const char *word, const char **value,
             size_t *value_len)
{
    size_t wl = strlen(word);
    const char *eol;

    if ((size_t)(end - *pos) <= wl || memcmp(*pos, word, wl) != 0 || (*pos)[wl] != ' ' ||
        (eol = tlog_line_end(*pos, end)) == NULL) {
        return false;
    }
    *value = *pos + wl + 1;
    *value_len = (size_t)(eol - *value);
    *pos = eol + 1;
    return true;
}

/* The hash lines up to the empty line; *pos ends after the empty line. */
static hm_err
parse_path(const char **pos, const char *end, struct hm_tlog_path *path)
{
    const char *p = *pos, *eol;

    path->len = 0;
    while ((eol = tlog_line_end(p, end)) != NULL && eol != p) {
        if (path->len == HM_TLOG_MAX_PATH) {
            return HM_E_LIMIT;
        }
        if (tlog_b64_hash(p, (size_t)(eol - p), path->hash[path->len]) != HM_OK) {
            return HM_E_INVALID;
        }
        path->len++;
        p = eol + 1;
    }
    if (eol == NULL) {
        return HM_E_INVALID; /* no empty line, so no checkpoint */
    }
    *pos = eol + 1;
    return HM_OK;
}

/* The checkpoint note: parsed as a note and as a checkpoint, kept verbatim. */
static hm_err
parse_note(struct hm_tlog_proof *p, const char *s, size_t len)
{
    const char *text;
    size_t text_len = 0;
    hm_err err;

    if ((err = hm_tlog_note_parse((const uint8_t *)s, len, &p->parsed)) != HM_OK) {
        return err;
    }
    text = hm_tlog_note_text(p->parsed, &text_len);
    if ((err = hm_tlog_checkpoint_parse(text, text_len, &p->cp)) != HM_OK) {
        return err;
    }
    if ((p->note = malloc(len)) == NULL) {
        return HM_E_NOMEM;
    }
    memcpy(p->note, s, len);
    p->note_len = len;
    return HM_OK;
}

hm_err
hm_tlog_proof_parse(const uint8_t *buf, size_t len, struct hm_tlog_proof **out)
{
    const char *pos = (const char *)buf, *end = pos + len, *v = NULL;
    struct hm_tlog_proof *p = NULL;
    size_t vl = 0, hl = strlen(PROOF_HEADER);
    hm_err err = HM_E_INVALID;

    *out = NULL;
    if (buf == NULL || len == 0) {
        return HM_E_INVALID;
    }
    if (len > HM_TLOG_PROOF_MAX_BYTES) {
        return HM_E_LIMIT;
    }
    if (len < hl || memcmp(pos, PROOF_HEADER, hl) != 0) {
        return HM_E_INVALID;
    }
    pos += hl;
    if ((p = calloc(1, sizeof(*p))) == NULL) {
        return HM_E_NOMEM;
    }
    if (keyword_line(&pos, end, "extra", &v, &vl) &&
        (err = tlog_b64_decode(v, vl, &p->extra, &p->extra_len)) != HM_OK) {
        goto out; /* an empty or malformed extra line */
    }
    if (!keyword_line(&pos, end, "index", &v, &vl) ||
        tlog_parse_u64(v, vl, HM_TLOG_MAX_SIZE - 1, &p->index) != HM_OK) {
        err = HM_E_INVALID;
        goto out;
    }
    if ((err = parse_path(&pos, end, &p->path)) != HM_OK ||
        (err = parse_note(p, pos, (size_t)(end - pos))) != HM_OK) {
        goto out;
    }
    *out = p;
    p = NULL; /* the caller owns it now */
out:
    hm_tlog_proof_free(p);
    return err;
}

/* The body of hm_tlog_proof_format once the arguments are checked. */
static hm_err
format_proof(struct hm_buf *b, const char *extra_b64, uint64_t index,
             const struct hm_tlog_path *path, const uint8_t *note, size_t note_len)
{
    char digits[TLOG_U64_DIGITS + 1];
    hm_err err;

    hm_buf_puts(b, PROOF_HEADER);
    if (extra_b64 != NULL) {
        hm_buf_puts(b, "extra ");
        hm_buf_puts(b, extra_b64);
        hm_buf_puts(b, "\n");
    }
    (void)tlog_format_u64(index, digits);
    hm_buf_puts(b, "index ");
    hm_buf_puts(b, digits);
    hm_buf_puts(b, "\n");
    for (size_t i = 0; i < path->len; i++) {
        char *h = NULL;

        if ((err = hm_b64_encode(path->hash[i], HM_TLOG_HASH_LEN, &h)) != HM_OK) {
            return err;
        }
        hm_buf_puts(b, h);
        hm_buf_puts(b, "\n");
        free(h);
    }
    hm_buf_puts(b, "\n");
    hm_buf_append(b, note, note_len);
    return hm_buf_status(b);
}

hm_err
hm_tlog_proof_format(const uint8_t *extra, size_t extra_len, uint64_t index,
                     const struct hm_tlog_path *path, const uint8_t *note, size_t note_len,
                     char **out, size_t *out_len)
{
    struct hm_tlog_proof *check = NULL;
    char *extra_b64 = NULL;
    struct hm_buf b;
    hm_err err;

    *out = NULL;
    *out_len = 0;
    if (path == NULL || note == NULL || (extra != NULL && extra_len == 0) ||
        index >= HM_TLOG_MAX_SIZE) {
        return HM_E_INVALID;
    }
    if (path->len > HM_TLOG_MAX_PATH) {
        return HM_E_LIMIT;
    }
    if (extra != NULL && (err = hm_b64_encode(extra, extra_len, &extra_b64)) != HM_OK) {
        return err;
    }
    hm_buf_init(&b, HM_TLOG_PROOF_MAX_BYTES + 1);
    err = format_proof(&b, extra_b64, index, path, note, note_len);
    free(extra_b64);
    /* Hand out only what hm_tlog_proof_parse takes back (the note is checked there). */
    if (err != HM_OK || (err = hm_tlog_proof_parse(b.data, b.len, &check)) != HM_OK) {
        hm_buf_free(&b);
        return err;
    }
    hm_tlog_proof_free(check);
    *out = (char *)hm_buf_steal(&b, out_len);
    return HM_OK;
}

uint64_t
hm_tlog_proof_index(const struct hm_tlog_proof *p)
{
    return p->index;
}

const struct hm_tlog_path *
hm_tlog_proof_path(const struct hm_tlog_proof *p)
{
    return &p->path;
}

const uint8_t *
hm_tlog_proof_extra(const struct hm_tlog_proof *p, size_t *len)
{
    *len = p->extra_len;
    return p->extra;
}

const uint8_t *
hm_tlog_proof_note(const struct hm_tlog_proof *p, size_t *len)
{
    *len = p->note_len;
    return p->note;
}

const struct hm_tlog_checkpoint *
hm_tlog_proof_checkpoint(const struct hm_tlog_proof *p)
{
    return p->cp;
}

/* Signatures: the log's must verify, and quorum distinct witnesses' cosignatures. */
static hm_err
check_signatures(const struct hm_tlog_proof *p, const struct hm_tlog_trust *trust)
{
    const struct hm_tlog_verifier *keys[1 + PROOF_MAX_WITNESS];
    bool ok[1 + PROOF_MAX_WITNESS];
    size_t n = 1 + trust->n_witnesses, cosigned = 0;
    hm_err err;

    keys[0] = trust->log_key;
    for (size_t i = 0; i < trust->n_witnesses; i++) {
        keys[1 + i] = trust->witnesses[i];
        if (keys[1 + i] == NULL ||
            hm_tlog_verifier_type(keys[1 + i]) != HM_TLOG_SIG_COSIG_ED25519) {
            return HM_E_INVALID;
        }
    }
    if ((err = hm_tlog_note_verify(p->parsed, keys, n, ok)) != HM_OK) {
        return err;
    }
    for (size_t i = 1; i < n; i++) {
        cosigned += ok[i];
    }
    if (!ok[0] || cosigned < trust->witness_quorum) {
        return HM_E_VERIFY; /* only witnesses signed, or too few of them */
    }
    return HM_OK;
}

hm_err
hm_tlog_proof_verify(const struct hm_tlog_proof *p, const uint8_t leaf_hash[HM_TLOG_HASH_LEN],
                     const struct hm_tlog_trust *trust)
{
    const char *origin;
    hm_err err;

    if (p == NULL || leaf_hash == NULL || trust == NULL || trust->log_key == NULL ||
        hm_tlog_verifier_type(trust->log_key) == HM_TLOG_SIG_COSIG_ED25519 ||
        (trust->witnesses == NULL && trust->n_witnesses > 0) ||
        trust->witness_quorum > trust->n_witnesses) {
        return HM_E_INVALID;
    }
    if (trust->n_witnesses > PROOF_MAX_WITNESS) {
        return HM_E_LIMIT;
    }
    if ((err = check_signatures(p, trust)) != HM_OK) {
        return err;
    }
    origin = trust->origin != NULL ? trust->origin : hm_tlog_verifier_name(trust->log_key);
    if (strcmp(hm_tlog_checkpoint_origin(p->cp), origin) != 0) {
        return HM_E_VERIFY;
    }
    return hm_tlog_verify_inclusion(p->index, hm_tlog_checkpoint_size(p->cp), leaf_hash,
                                    &p->path.hash[0][0], p->path.len,
                                    hm_tlog_checkpoint_root(p->cp));
}

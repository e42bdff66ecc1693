/*
 * cli_log_mon.c: one run of the log monitor (`hallmark log verify`, docs/monitor.md).
 *
 *  1. GET the checkpoint; it must verify with the log key and carry the expected origin.
 *  2. Against the state folder's last checkpoint (size m, root r): a smaller size or the
 *     same size with another root is a split view; a larger one must come with an RFC 9162
 *     consistency proof from m (a proof that does not verify: a split view too).  The
 *     contradicting checkpoint is kept in DIR/evidence/.
 *  3. Walk the new entries [m, n) through the C2SP tlog-tiles entry bundles, hash each
 *     leaf into the tree extended from the stored right edge, read each leaf strictly
 *     (hm_dsse_leaf_parse) and report the watched ones.  A bundle with fewer entries than
 *     the checkpoint covers is a gap; a tree that does not reach the checkpoint's root is a
 *     rewritten entry (when the level-0 hash tile names the index whose bytes differ) or a
 *     root mismatch.
 *  4. Only then write the new state (atomically).
 * Nothing the server says is used before the checkpoint's signature verified.
 */
#include <hm/verify.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli_log.h"
#include "cli_log_int.h"

const char *
cli_log_fail_name(enum cli_log_fail f)
{
    switch (f) {
    case CLI_LOG_OK:
        return "ok";
    case CLI_LOG_IO:
        return "io-error";
    case CLI_LOG_BAD_SIGNATURE:
        return "bad-checkpoint-signature";
    case CLI_LOG_SPLIT_VIEW:
        return "split-view";
    case CLI_LOG_GAP:
        return "gap";
    case CLI_LOG_REWRITTEN:
        return "rewritten-entry";
    case CLI_LOG_ROOT_MISMATCH:
        return "root-mismatch";
    case CLI_LOG_MALFORMED_ENTRY:
        return "malformed-entry";
    case CLI_LOG_MALFORMED_REPLY:
        return "malformed-reply";
    }
    return "unknown";
}

void
mon_fail(struct mon *m, enum cli_log_fail f, const char *fmt, ...)
{
    va_list ap;

    if (m->res->fail != CLI_LOG_OK) {
        return; /* the first failure is the one reported */
    }
    m->res->fail = f;
    va_start(ap, fmt);
    vsnprintf(m->res->msg, sizeof(m->res->msg), fmt, ap);
    va_end(ap);
}

void
mon_b64(const uint8_t h[HM_TLOG_HASH_LEN], char out[48])
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;

    for (; i + 3 <= HM_TLOG_HASH_LEN; i += 3) {
        uint32_t v = (uint32_t)h[i] << 16 | (uint32_t)h[i + 1] << 8 | h[i + 2];
        out[o++] = tbl[v >> 18];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = tbl[(v >> 6) & 63];
        out[o++] = tbl[v & 63];
    }
    /* 32 = 30 + 2: two bytes left, one '=' */
    uint32_t v = (uint32_t)h[i] << 16 | (uint32_t)h[i + 1] << 8;
    out[o++] = tbl[v >> 18];
    out[o++] = tbl[(v >> 12) & 63];
    out[o++] = tbl[(v >> 6) & 63];
    out[o++] = '=';
    out[o] = '\0';
}

/* GET path; HM_OK only for a 200 reply.  Other statuses: HM_E_NOTFOUND for 404, HM_E_IO. */
hm_err
mon_get(struct mon *m, const char *path, uint8_t **body, size_t *len, int *status)
{
    hm_err err;

    *status = 0;
    if ((err = m->src->get(m->src->ctx, path, status, body, len)) != HM_OK) {
        return err == HM_E_NOMEM ? err : HM_E_IO;
    }
    if (*status == 200) {
        return HM_OK;
    }
    free(*body);
    *body = NULL;
    *len = 0;
    return *status == 404 ? HM_E_NOTFOUND : HM_E_IO;
}

/* Step 1: the checkpoint, verified before anything else is read. */
static hm_err
fetch_checkpoint(struct mon *m)
{
    int status = 0;
    hm_err err;

    if ((err = mon_get(m, "/v1/log/checkpoint", &m->note, &m->note_len, &status)) != HM_OK) {
        mon_fail(m, CLI_LOG_IO, "cannot fetch /v1/log/checkpoint: %s",
                 status != 0 ? "the server did not answer 200" : hm_strerror(err));
        if (status != 0) {
            snprintf(m->res->msg, sizeof(m->res->msg), "cannot fetch /v1/log/checkpoint: HTTP %d",
                     status);
        }
        return err == HM_E_NOMEM ? err : HM_OK;
    }
    err = hm_tlog_checkpoint_open(m->note, m->note_len, m->o->log_key, m->o->origin, &m->cp);
    if (err == HM_E_NOMEM) {
        return err;
    }
    if (err != HM_OK) {
        char *vkey = NULL;
        if (hm_tlog_verifier_format(m->o->log_key, &vkey) != HM_OK) {
            vkey = NULL;
        }
        mon_fail(m, CLI_LOG_BAD_SIGNATURE,
                 "the checkpoint is not signed by the log key %s with origin %s (%s)",
                 vkey != NULL ? vkey : "?",
                 m->o->origin != NULL ? m->o->origin : hm_tlog_verifier_name(m->o->log_key),
                 err == HM_E_VERIFY ? "no valid signature by that key, or another origin"
                                    : "not a signed checkpoint note");
        free(vkey);
    }
    return HM_OK;
}

/* Step 2a: the state of the last run, which must be signed by the same key. */
static hm_err
load_state(struct mon *m)
{
    struct hm_tlog_checkpoint *again = NULL;
    char why[256] = "";
    hm_err err;

    err = cli_log_state_load(m->o->state_dir, &m->st, why, sizeof(why));
    if (err == HM_E_NOTFOUND) {
        return HM_OK; /* first run: the log is verified from its first entry */
    }
    if (err == HM_E_NOMEM) {
        return err;
    }
    if (err != HM_OK) {
        mon_fail(m, CLI_LOG_IO, "the state %s/%s is not usable: %s", m->o->state_dir,
                 CLI_LOG_STATE_FILE, why);
        return HM_OK;
    }
    err =
        hm_tlog_checkpoint_open(m->st->note, m->st->note_len, m->o->log_key, m->o->origin, &again);
    hm_tlog_checkpoint_free(again);
    if (err != HM_OK) {
        mon_fail(m, CLI_LOG_IO,
                 "the state %s/%s holds a checkpoint this log key did not sign (another log, "
                 "or a changed key: start a new state folder)",
                 m->o->state_dir, CLI_LOG_STATE_FILE);
    }
    return err == HM_E_NOMEM ? err : HM_OK;
}

/* Step 2b: the new checkpoint against the old one. */
static hm_err
check_consistency(struct mon *m)
{
    uint64_t old = m->st != NULL ? hm_tlog_checkpoint_size(m->st->cp) : 0;
    uint64_t n = hm_tlog_checkpoint_size(m->cp);
    const uint8_t *old_root = m->st != NULL ? hm_tlog_checkpoint_root(m->st->cp) : NULL;
    const uint8_t *root = hm_tlog_checkpoint_root(m->cp);
    char a[48], b[48], path[128], why[256] = "";
    struct hm_tlog_path proof;
    uint8_t *body = NULL;
    size_t len = 0;
    int status = 0;
    hm_err err;

    m->res->old_size = old;
    m->res->new_size = n;
    if (m->st == NULL || old == 0) {
        return HM_OK;
    }
    mon_b64(old_root, a);
    mon_b64(root, b);
    if (n < old) {
        cli_log_state_evidence(m->o->state_dir, "split-view", m->note, m->note_len);
        mon_fail(m, CLI_LOG_SPLIT_VIEW,
                 "the log shrank: checkpoint size %" PRIu64 " (root %s) after size %" PRIu64
                 " (root %s) was verified",
                 n, b, old, a);
        return HM_OK;
    }
    if (n == old) {
        if (!hm_ct_equal(old_root, root, HM_TLOG_HASH_LEN)) {
            cli_log_state_evidence(m->o->state_dir, "split-view", m->note, m->note_len);
            mon_fail(m, CLI_LOG_SPLIT_VIEW,
                     "two checkpoints of size %" PRIu64 " with different roots: %s now, %s "
                     "verified before",
                     n, b, a);
        }
        return HM_OK;
    }
    snprintf(path, sizeof(path), "/v1/log/proof/consistency?from=%" PRIu64 "&to=%" PRIu64, old, n);
    if ((err = mon_get(m, path, &body, &len, &status)) != HM_OK) {
        mon_fail(m, CLI_LOG_IO, "cannot fetch %s: %s%d", path, status != 0 ? "HTTP " : "",
                 status != 0 ? status : (int)err);
        return err == HM_E_NOMEM ? err : HM_OK;
    }
    err = cli_log_parse_consistency(body, len, old, n, &proof, why, sizeof(why));
    free(body);
    if (err != HM_OK) {
        mon_fail(m, CLI_LOG_MALFORMED_REPLY, "%s: %s", path, why);
        return HM_OK;
    }
    if (hm_tlog_verify_consistency(old, n, old_root, root, &proof.hash[0][0], proof.len) != HM_OK) {
        cli_log_state_evidence(m->o->state_dir, "split-view", m->note, m->note_len);
        mon_fail(m, CLI_LOG_SPLIT_VIEW,
                 "checkpoint %" PRIu64 " (root %s) is not consistent with checkpoint %" PRIu64
                 " (root %s) verified before: the consistency proof does not verify",
                 n, b, old, a);
    }
    return HM_OK;
}

/* Step 4: the state, only once every check passed. */
static hm_err
save_state(struct mon *m)
{
    uint64_t n = hm_tlog_checkpoint_size(m->cp);
    struct hm_tlog_node_hash edge[64];
    size_t k = 0;
    hm_err err;

    for (int l = 63; l >= 0; l--) {
        if ((n >> l) & 1) {
            edge[k] = m->edge[l];
            if (edge[k].node.index != (n >> l) - 1) {
                return HM_E_INTERNAL;
            }
            k++;
        }
    }
    if ((err = cli_log_state_save(m->o->state_dir, m->note, m->note_len, n, edge, k)) != HM_OK) {
        mon_fail(m, CLI_LOG_IO, "cannot write %s/%s: %s", m->o->state_dir, CLI_LOG_STATE_FILE,
                 hm_strerror(err));
    }
    return HM_OK;
}

static void
print_summary(struct mon *m)
{
    struct cli_log_mon_result *r = m->res;
    FILE *f = m->o->out;
    char root[48] = "";

    if (m->cp != NULL) {
        mon_b64(hm_tlog_checkpoint_root(m->cp), root);
    }
    if (m->o->json) {
        fprintf(f,
                "{\"status\":\"%s\",\"reason\":\"%s\",\"origin\":\"%s\",\"size\":%" PRIu64
                ",\"previousSize\":%" PRIu64 ",\"root\":\"%s\",\"newEntries\":%" PRIu64
                ",\"watched\":%" PRIu64 ",\"message\":",
                r->fail == CLI_LOG_OK ? "verified" : "failed", cli_log_fail_name(r->fail),
                m->cp != NULL ? hm_tlog_checkpoint_origin(m->cp) : "", r->new_size, r->old_size,
                root, r->n_new, r->n_watched);
        mon_json_string(f, r->fail == CLI_LOG_OK ? "" : r->msg);
        fputs("}\n", f);
        return;
    }
    if (r->fail == CLI_LOG_OK) {
        fprintf(f,
                "log verified: %s size %" PRIu64 " (previously %" PRIu64 "), %" PRIu64
                " new entries checked, %" PRIu64 " watched\n",
                hm_tlog_checkpoint_origin(m->cp), r->new_size, r->old_size, r->n_new, r->n_watched);
    }
}

hm_err
cli_log_monitor(const struct cli_log_src *src, const struct cli_log_mon_opts *o,
                struct cli_log_mon_result *out)
{
    struct mon m;
    hm_err err;

    memset(out, 0, sizeof(*out));
    memset(&m, 0, sizeof(m));
    if (src == NULL || o == NULL || o->log_key == NULL || o->state_dir == NULL || o->out == NULL) {
        return HM_E_INVALID;
    }
    m.src = src;
    m.o = o;
    m.res = out;
    if ((err = fetch_checkpoint(&m)) != HM_OK || out->fail != CLI_LOG_OK ||
        (err = load_state(&m)) != HM_OK || out->fail != CLI_LOG_OK ||
        (err = check_consistency(&m)) != HM_OK || out->fail != CLI_LOG_OK ||
        (err = mon_walk(&m)) != HM_OK || out->fail != CLI_LOG_OK ||
        (err = save_state(&m)) != HM_OK) {
        goto out;
    }
out:
    if (err == HM_OK) {
        print_summary(&m);
    }
    free(m.note);
    free(m.leaf_hashes);
    hm_tlog_checkpoint_free(m.cp);
    cli_log_state_free(m.st);
    return err;
}

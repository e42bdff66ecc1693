/*
 * tlogcheck.c: does the bundle's transparency-log entry prove that this envelope was
 * logged by a log of the trust root?  (docs/formats.md "tlogEntries", docs/verify-library.md)
 *
 * In this order, so that the log is authenticated before anything it says is used:
 *  1. the checkpoint is a signed note whose origin is the log's and which the log's key
 *     signed (checkpoint-signature-invalid);
 *  2. at least witnessThreshold distinct trusted witnesses cosigned it, and every trusted
 *     cosignature present verifies (witness-threshold-not-met);
 *  3. the inclusion proof from SHA-256(0x00 || canonicalizedBody) at logIndex reaches the
 *     checkpoint's root at the checkpoint's size; inclusionProof.logIndex, treeSize and
 *     rootHash must merely agree (log-proof-invalid);
 *  4. the leaf logs this envelope: payload hash, signature, verifier key, key id, and the
 *     release it names (log-proof-invalid).
 * Entries from logs the root does not list are ignored (as notes ignore unknown keys); at
 * least one entry must be from a listed log, and every such entry must verify.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

static const struct hm_v_tr_log *
find_log(const struct hm_trustroot *root, const uint8_t log_id[HM_SHA256_LEN])
{
    for (size_t i = 0; i < root->n_logs; i++) {
        if (memcmp(root->logs[i].log_id, log_id, HM_SHA256_LEN) == 0) {
            return &root->logs[i];
        }
    }
    return NULL;
}

static bool
has_sig_by(const struct hm_tlog_note *note, const struct hm_tlog_verifier *v)
{
    struct hm_tlog_note_sig s;

    for (size_t i = 0; i < hm_tlog_note_sig_count(note); i++) {
        hm_tlog_note_sig(note, i, &s);
        if (s.key_id == hm_tlog_verifier_key_id(v) &&
            strcmp(s.name, hm_tlog_verifier_name(v)) == 0) {
            return true;
        }
    }
    return false;
}

/* tlog-cosignature/v1 lines by the root's witnesses; unknown cosigners are ignored. */
static hm_err
check_witnesses(const struct hm_trustroot *root, const struct hm_tlog_note *note,
                struct hm_verify_result *out)
{
    const struct hm_tlog_verifier *one[1];
    size_t n = 0;
    hm_err err;

    if (root->witness_threshold == 0) {
        return HM_OK;
    }
    for (size_t i = 0; i < root->n_witnesses; i++) {
        if (!has_sig_by(note, root->witnesses[i].v)) {
            continue;
        }
        one[0] = root->witnesses[i].v;
        if ((err = hm_tlog_note_verify(note, one, 1, NULL)) != HM_OK) {
            if (err != HM_E_VERIFY) {
                return err;
            }
            hm_v_verdict(out, HM_V_WITNESS_THRESHOLD,
                         "the cosignature of witness %s on the checkpoint does not verify",
                         root->witnesses[i].name);
            return HM_OK;
        }
        n++;
    }
    out->n_witnesses = n;
    if (n < root->witness_threshold) {
        hm_v_verdict(out, HM_V_WITNESS_THRESHOLD,
                     "%zu of the trust root's %zu witnesses cosigned the checkpoint; "
                     "witnessThreshold is %zu",
                     n, root->n_witnesses, root->witness_threshold);
    }
    return HM_OK;
}

/* Step 1 and 2: *cp_out is the checkpoint when out->status is still HM_V_OK. */
static hm_err
open_checkpoint(const struct hm_trustroot *root, const struct hm_v_tr_log *log,
                const struct hm_v_tlog_entry *e, struct hm_verify_result *out,
                struct hm_tlog_checkpoint **cp_out)
{
    const struct hm_tlog_verifier *keys[1] = { log->v };
    struct hm_tlog_note *note = NULL;
    struct hm_tlog_checkpoint *cp = NULL;
    const char *text = NULL;
    size_t text_len = 0;
    char clean[96];
    hm_err err;

    *cp_out = NULL;
    if ((err = hm_tlog_note_parse(e->checkpoint, e->checkpoint_len, &note)) == HM_OK) {
        text = hm_tlog_note_text(note, &text_len);
        err = hm_tlog_checkpoint_parse(text, text_len, &cp);
    }
    if (err != HM_OK) {
        if (err != HM_E_NOMEM) {
            hm_v_verdict(out, HM_V_CHECKPOINT_SIG_INVALID,
                         "inclusionProof.checkpoint.envelope: not a signed checkpoint note (%s)",
                         hm_strerror(err));
            err = HM_OK;
        }
        goto out;
    }
    if (strcmp(hm_tlog_checkpoint_origin(cp), log->origin) != 0) {
        hm_v_clean(hm_tlog_checkpoint_origin(cp), clean, sizeof(clean));
        hm_v_verdict(out, HM_V_CHECKPOINT_SIG_INVALID,
                     "the checkpoint's origin \"%s\" is not the origin of the entry's log, %s",
                     clean, log->origin);
        goto out;
    }
    if ((err = hm_tlog_note_verify(note, keys, 1, NULL)) != HM_OK) {
        if (err == HM_E_VERIFY) {
            hm_v_verdict(out, HM_V_CHECKPOINT_SIG_INVALID,
                         "the checkpoint carries no valid signature by log %s (key id %08x)",
                         log->origin, (unsigned)hm_tlog_verifier_key_id(log->v));
            err = HM_OK;
        }
        goto out;
    }
    if ((err = check_witnesses(root, note, out)) != HM_OK || out->status != HM_V_OK) {
        goto out;
    }
    *cp_out = cp;
    cp = NULL; /* the caller owns it now */
out:
    hm_tlog_checkpoint_free(cp);
    hm_tlog_note_free(note);
    return err;
}

/* Step 3. */
static void
check_inclusion(const struct hm_v_tlog_entry *e, const struct hm_tlog_checkpoint *cp,
                struct hm_verify_result *out)
{
    uint64_t size = hm_tlog_checkpoint_size(cp);
    const uint8_t *root = hm_tlog_checkpoint_root(cp);
    uint8_t leaf[HM_TLOG_HASH_LEN];

    if (e->proof_index != e->log_index) {
        hm_v_verdict(out, HM_V_LOG_PROOF_INVALID,
                     "inclusionProof.logIndex %llu is not the entry's logIndex %llu",
                     (unsigned long long)e->proof_index, (unsigned long long)e->log_index);
    } else if (e->proof_size != size) {
        hm_v_verdict(out, HM_V_LOG_PROOF_INVALID,
                     "inclusionProof.treeSize %llu is not the checkpoint's size %llu",
                     (unsigned long long)e->proof_size, (unsigned long long)size);
    } else if (!hm_ct_equal(e->proof_root, root, HM_TLOG_HASH_LEN)) {
        hm_v_verdict(out, HM_V_LOG_PROOF_INVALID,
                     "inclusionProof.rootHash is not the checkpoint's root hash");
    } else {
        hm_tlog_leaf_hash(e->body, e->body_len, leaf);
        if (hm_tlog_verify_inclusion(e->log_index, size, leaf, e->hashes, e->n_hashes, root) !=
            HM_OK) {
            hm_v_verdict(out, HM_V_LOG_PROOF_INVALID,
                         "the inclusion proof of entry %llu does not reach the root of the "
                         "checkpoint of size %llu",
                         (unsigned long long)e->log_index, (unsigned long long)size);
        }
    }
}

static bool
same_text(const char *logged, const char *signed_text)
{
    return logged == NULL || (signed_text != NULL && strcmp(logged, signed_text) == 0);
}

/* Step 4: the leaf must describe this very envelope, signed by this very key. */
static void
check_leaf(const struct hm_dsse_leaf *leaf, const struct hm_bundle *b,
           const struct hm_v_tr_key *key, const struct hm_statement *st,
           const struct hm_v_tlog_entry *e, struct hm_verify_result *out)
{
    const struct hm_dsse_signature *sig = &b->dsse->sigs[0];
    const struct hm_release_pred *rel = st->release;
    const uint8_t *spki = NULL;
    size_t spki_len = 0;
    uint8_t digest[HM_SHA256_LEN];

    hm_sha256(b->dsse->payload, b->dsse->payload_len, digest);
    hm_pubkey_spki(key->pk, &spki, &spki_len);
    if (!hm_ct_equal(digest, leaf->payload_sha256, HM_SHA256_LEN)) {
        hm_v_verdict(out, HM_V_LOG_PROOF_INVALID,
                     "the log entry's payloadHash is not the SHA-256 of the envelope's payload");
    } else if (leaf->sig_len != sig->sig_len || !hm_ct_equal(leaf->sig, sig->sig, sig->sig_len)) {
        hm_v_verdict(out, HM_V_LOG_PROOF_INVALID,
                     "the log entry's signature is not the envelope's signature");
    } else if (leaf->verifier_spki_len != spki_len ||
               memcmp(leaf->verifier_spki, spki, spki_len) != 0) {
        hm_v_verdict(out, HM_V_LOG_PROOF_INVALID,
                     "the log entry's verifier is not the signing key %s", key->keyid);
    } else if (strcmp(leaf->keyid, key->keyid) != 0) {
        hm_v_verdict(out, HM_V_LOG_PROOF_INVALID,
                     "the log entry's hallmark.keyid is not the signing key %s", key->keyid);
    } else if (!same_text(leaf->predicate_type, st->predicate_type) ||
               !same_text(leaf->product, rel != NULL ? rel->product : NULL) ||
               !same_text(leaf->channel, rel != NULL ? rel->channel : NULL) ||
               !same_text(leaf->version, rel != NULL ? rel->version : NULL)) {
        hm_v_verdict(out, HM_V_LOG_PROOF_INVALID,
                     "the log entry names another release (hallmark.predicateType, product, "
                     "channel or version differ from the signed statement)");
    } else if (e->integrated_time != 0 && e->integrated_time != (uint64_t)leaf->time) {
        hm_v_verdict(out, HM_V_LOG_PROOF_INVALID,
                     "integratedTime %llu is not the logged hallmark.time %lld",
                     (unsigned long long)e->integrated_time, (long long)leaf->time);
    }
}

static hm_err
check_entry(const struct hm_trustroot *root, const struct hm_v_tr_log *log,
            const struct hm_bundle *b, const struct hm_v_tr_key *key, const struct hm_statement *st,
            const struct hm_v_tlog_entry *e, struct hm_verify_result *out, int64_t *log_time)
{
    struct hm_tlog_checkpoint *cp = NULL;
    struct hm_dsse_leaf *leaf = NULL;
    char why[200];
    hm_err err;

    if ((err = open_checkpoint(root, log, e, out, &cp)) != HM_OK || out->status != HM_V_OK) {
        return err;
    }
    check_inclusion(e, cp, out);
    if (out->status != HM_V_OK) {
        goto out;
    }
    if ((err = hm_dsse_leaf_parse(e->body, e->body_len, &leaf, why, sizeof(why))) != HM_OK) {
        if (err != HM_E_NOMEM) {
            hm_v_verdict(out, err == HM_E_LIMIT ? HM_V_LIMITS_EXCEEDED : HM_V_LOG_PROOF_INVALID,
                         "canonicalizedBody: %s", why);
            err = HM_OK;
        }
        goto out;
    }
    check_leaf(leaf, b, key, st, e, out);
    if (out->status == HM_V_OK && !out->logged) {
        out->logged = true;
        out->log_index = e->log_index;
        out->log_tree_size = hm_tlog_checkpoint_size(cp);
        hm_v_copy(out->log_origin, sizeof(out->log_origin), log->origin);
        *log_time = leaf->time;
    }
out:
    hm_dsse_leaf_free(leaf);
    hm_tlog_checkpoint_free(cp);
    return err;
}

hm_err
hm_v_check_tlog(const struct hm_trustroot *root, const struct hm_bundle *b,
                const struct hm_v_tr_key *key, const struct hm_statement *st,
                struct hm_verify_result *out, int64_t *log_time)
{
    const struct hm_v_tlog_entries *t = hm_v_bundle_tlog(b);
    size_t trusted = 0;
    hm_err err;

    if (t->err != HM_OK) {
        hm_v_verdict(out, t->err == HM_E_LIMIT ? HM_V_LIMITS_EXCEEDED : HM_V_MALFORMED_BUNDLE, "%s",
                     t->why);
        return HM_OK;
    }
    if (t->n == 0) {
        hm_v_verdict(out, HM_V_LOG_PROOF_INVALID, "no transparency-log entry");
        return HM_OK;
    }
    for (size_t i = 0; i < t->n; i++) {
        const struct hm_v_tr_log *log = find_log(root, t->e[i].log_id);

        if (log == NULL) {
            continue; /* another log's entry: not ours to judge */
        }
        trusted++;
        if ((err = check_entry(root, log, b, key, st, &t->e[i], out, log_time)) != HM_OK ||
            out->status != HM_V_OK) {
            return err;
        }
    }
    if (trusted == 0) {
        hm_v_verdict(out, HM_V_LOG_PROOF_INVALID,
                     "no transparency-log entry is from a log of the trust root (logId)");
    }
    return HM_OK;
}

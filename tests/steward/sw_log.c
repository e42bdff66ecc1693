/*
 * sw_log.c: steward-attestation bundles for the verification tests, signed by a vt_key and,
 * when a vt_log is given, carrying a tlogEntries entry built as hallmarkd builds it
 * (docs/formats.md section 7): a "dsse" leaf with the hallmark member (keyid,
 * predicateType, client, time; no product, channel or version), its inclusion proof and a
 * checkpoint signed by the log.  tests/verify's vt_bundle does the same for releases only.
 */
#include "sw_log.h"

#include <hm/attest.h>
#include <hm/steward.h>
#include <hm/tlog.h>
#include <string.h>

#include "vt_int.h"

static void
hex(const uint8_t *d, size_t n, char *out)
{
    hm_hex_encode(d, n, out);
}

static char *
leaf_json(const struct vt_key *signer, const uint8_t *payload, size_t payload_len,
          const uint8_t *sig, size_t sig_len, int64_t log_time, size_t *len)
{
    struct hm_buf b;
    uint8_t digest[32], client[32];
    char h[65], when[32], *s = NULL;

    hm_buf_init(&b, 0);
    hm_sha256(payload, payload_len, digest);
    hex(digest, 32, h);
    hm_buf_printf(&b,
                  "{\"apiVersion\":\"0.0.1\",\"kind\":\"dsse\",\"spec\":{\"payloadHash\":"
                  "{\"algorithm\":\"sha256\",\"value\":\"%s\"},\"signatures\":[{\"signature\":\"",
                  h);
    s = vt_b64(sig, sig_len);
    hm_buf_puts(&b, s);
    free(s);
    s = vt_b64(vt_key_pem(signer), strlen(vt_key_pem(signer)));
    hm_buf_printf(&b, "\",\"verifier\":\"%s\"}]},\"hallmark\":{\"v\":1,\"keyid\":\"%s\"", s,
                  vt_key_id(signer));
    free(s);
    hm_sha256("steward-ci", 10, client);
    hex(client, 32, h);
    hm_time_rfc3339(log_time, when);
    hm_buf_printf(&b, ",\"predicateType\":\"%s\",\"client\":\"%s\",\"time\":\"%s\"}}",
                  HM_PREDICATE_STEWARD, h, when);
    VT_CHECK(hm_buf_status(&b) == HM_OK);
    s = (char *)hm_buf_steal(&b, len);
    hm_buf_free(&b);
    return s;
}

static char *
entry_json(struct vt_log *log, const char *leaf, size_t leaf_len, int64_t log_time)
{
    const char *lines[1];
    struct hm_tlog_path path;
    struct hm_buf b;
    uint8_t leaf_hash[32], root[32];
    uint64_t index = 0, size = 0;
    char *text = NULL, *note = NULL, *s;
    size_t text_len = 0, note_len = 0;

    hm_tlog_leaf_hash(leaf, leaf_len, leaf_hash);
    VT_CHECK(hm_tlog_memstore_append(log->ms, leaf_hash, &index) == HM_OK);
    size = hm_tlog_memstore_size(log->ms);
    VT_CHECK(hm_tlog_root(hm_tlog_memstore_storage(log->ms), size, root) == HM_OK);
    VT_CHECK(hm_tlog_checkpoint_format(log->origin, size, root, &text, &text_len) == HM_OK);
    VT_CHECK(hm_tlog_note_sign(text, text_len, &log->signer, (char **)&lines[0]) == HM_OK);
    VT_CHECK(hm_tlog_note_assemble(text, text_len, lines, 1, &note, &note_len) == HM_OK);
    free((char *)lines[0]);
    free(text);
    VT_CHECK(hm_tlog_inclusion_proof(hm_tlog_memstore_storage(log->ms), index, size, &path) ==
             HM_OK);
    hm_buf_init(&b, 0);
    s = vt_b64(log->log_id, 32);
    hm_buf_printf(&b,
                  "{\"logIndex\":\"%llu\",\"logId\":{\"keyId\":\"%s\"},\"kindVersion\":"
                  "{\"kind\":\"dsse\",\"version\":\"0.0.1\"},\"integratedTime\":\"%lld\","
                  "\"inclusionProof\":{\"logIndex\":\"%llu\",\"rootHash\":\"",
                  (unsigned long long)index, s, (long long)log_time, (unsigned long long)index);
    free(s);
    s = vt_b64(root, 32);
    hm_buf_printf(&b, "%s\",\"treeSize\":\"%llu\",\"hashes\":[", s, (unsigned long long)size);
    free(s);
    for (size_t i = 0; i < path.len; i++) {
        s = vt_b64(path.hash[i], 32);
        hm_buf_printf(&b, "%s\"%s\"", i ? "," : "", s);
        free(s);
    }
    hm_buf_puts(&b, "],\"checkpoint\":{\"envelope\":\"");
    for (const char *p = note; *p != '\0'; p++) { /* the note as a JSON string */
        if (*p == '\n') {
            hm_buf_puts(&b, "\\n");
        } else if (*p == '"' || *p == '\\') {
            hm_buf_printf(&b, "\\%c", *p);
        } else {
            hm_buf_append(&b, p, 1);
        }
    }
    free(note);
    s = vt_b64(leaf, leaf_len);
    hm_buf_printf(&b, "\"}},\"canonicalizedBody\":\"%s\"}", s);
    free(s);
    VT_CHECK(hm_buf_status(&b) == HM_OK);
    s = (char *)hm_buf_steal(&b, &leaf_len);
    hm_buf_free(&b);
    return s;
}

char *
sw_bundle(const struct vt_key *signer, struct vt_log *log, const uint8_t *payload,
          size_t payload_len, int64_t log_time, void (*edit_leaf)(char *leaf, size_t len),
          size_t *len)
{
    static const char intoto[] = "application/vnd.in-toto+json";
    uint8_t *pae = NULL, *sig;
    size_t pae_len = 0, sig_len = 0, leaf_len = 0;
    char *bundle = NULL, *leaf, *entry, *with;

    VT_CHECK(hm_dsse_pae(intoto, strlen(intoto), payload, payload_len, &pae, &pae_len) == HM_OK);
    sig = vt_sign(signer, pae, pae_len, &sig_len);
    VT_CHECK(hm_bundle_encode(intoto, payload, payload_len, vt_key_id(signer), sig, sig_len,
                              &bundle, len) == HM_OK);
    if (log != NULL) {
        leaf = leaf_json(signer, payload, payload_len, sig, sig_len, log_time, &leaf_len);
        if (edit_leaf != NULL) {
            edit_leaf(leaf, leaf_len);
        }
        entry = entry_json(log, leaf, leaf_len, log_time);
        VT_CHECK(asprintf(&with, "\"tlogEntries\":[%s]", entry) > 0);
        bundle = vt_replace(bundle, "\"tlogEntries\":[]", with);
        *len = strlen(bundle);
        free(with);
        free(entry);
        free(leaf);
    }
    free(pae);
    free(sig);
    return bundle;
}

/*
 * vt_build.c: bundles with a transparency-log entry and signed trust roots, written the way
 * docs/formats.md ("tlogEntries") and docs/trust-root.md define them.
 */
#include <hm/attest.h>
#include <hm/tlog.h>
#include <string.h>

#include "vt_int.h"

#define INTOTO "application/vnd.in-toto+json"

static void
json_str(struct hm_buf *b, const char *s)
{
    hm_buf_puts(b, "\"");
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            hm_buf_printf(b, "\\%c", c);
        } else if (c == '\n') {
            hm_buf_puts(b, "\\n");
        } else if (c < 0x20) {
            hm_buf_printf(b, "\\u%04x", c);
        } else {
            hm_buf_append(b, s, 1);
        }
    }
    hm_buf_puts(b, "\"");
}

static char *
buf_done(struct hm_buf *b, size_t *len)
{
    char *out;

    VT_CHECK(hm_buf_status(b) == HM_OK);
    out = (char *)hm_buf_steal(b, len);
    hm_buf_free(b);
    VT_CHECK(out != NULL);
    return out;
}

static void
hex(const uint8_t *d, size_t n, char *out)
{
    hm_hex_encode(d, n, out);
}

/* The release statement, as hallmarkd's attest/ writes it; art[0] is the image. */
static uint8_t *
statement(const struct vt_release *r, struct hm_artifact *art, size_t *len)
{
    static const uint8_t sbom[HM_SHA256_LEN] = { 0xab, 0xab, 0xab, 0xab };
    struct hm_artifact *arts = calloc(1 + r->extra_artifacts, sizeof(*arts));
    char(*names)[208] = calloc(1 + r->extra_artifacts, sizeof(*names));
    struct hm_release rel;
    uint8_t *out = NULL;
    unsigned int n = 0;
    size_t count = 1 + r->extra_artifacts;
    hm_err err;

    VT_CHECK(arts != NULL && names != NULL);
    arts[0].name = "firmware.bin";
    arts[0].size = r->image_len;
    VT_CHECK(EVP_Digest(r->image, r->image_len, arts[0].sha256, &n, EVP_sha256(), NULL) == 1);
    VT_CHECK(EVP_Digest(r->image, r->image_len, arts[0].sha512, &n, EVP_sha512(), NULL) == 1);
    for (size_t i = 1; i < count; i++) {
        (void)snprintf(names[i], sizeof(names[i]), "part-%05u-%0194d", (unsigned)(i % 100000), 0);
        arts[i].name = names[i];
        arts[i].size = i;
        memset(arts[i].sha256, (int)(i & 0xff), sizeof(arts[i].sha256));
        memset(arts[i].sha512, (int)(i & 0xff), sizeof(arts[i].sha512));
    }
    memset(&rel, 0, sizeof(rel));
    rel.product = r->product;
    rel.channel = r->channel;
    rel.version = r->version;
    rel.artifacts = arts;
    rel.support_end = "2031-12-31";
    rel.sbom_sha256 = sbom;
    rel.signed_at = r->signed_at;
    do { /* as many artifacts as fit: HM_E_LIMIT says the statement would be too big */
        rel.n_artifacts = count;
        err = hm_release_statement(&rel, &out, len);
        count -= err == HM_E_LIMIT ? 10 : 0;
    } while (err == HM_E_LIMIT && count > 1);
    VT_CHECK(err == HM_OK);
    *art = arts[0];
    free(arts);
    free(names);
    return out;
}

/* canonicalizedBody: Rekor "dsse" 0.0.1 + the "hallmark" member. */
static char *
leaf_json(const struct vt_key *signer, const struct vt_release *r, const struct hm_artifact *art,
          const uint8_t *payload, size_t payload_len, const uint8_t *sig, size_t sig_len,
          size_t *len)
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
    hm_buf_printf(&b, "\",\"verifier\":\"%s\"}]},\"hallmark\":{\"v\":1,\"keyid\":", s);
    free(s);
    json_str(&b, vt_key_id(signer));
    hm_buf_printf(&b,
                  ",\"predicateType\":\"%s\",\"product\":\"%s\",\"channel\":\"%s\","
                  "\"version\":\"%s\",\"subjects\":[{\"name\":\"%s\",\"sha256\":\"",
                  HM_PREDICATE_RELEASE, r->product, r->channel, r->version, art->name);
    hex(art->sha256, 32, h);
    hm_buf_puts(&b, h);
    hm_sha256("ci-acme", 7, client);
    hex(client, 32, h);
    hm_time_rfc3339(r->log_time, when);
    hm_buf_printf(&b, "\"}],\"client\":\"%s\",\"time\":\"%s\"}}", h, when);
    return buf_done(&b, len);
}

static void
add_filler(struct vt_log *log, size_t n)
{
    uint8_t leaf[32];
    char text[64];

    for (size_t i = 0; i < n; i++) {
        int len = snprintf(text, sizeof(text), "filler %llu", (unsigned long long)log->filler++);
        hm_tlog_leaf_hash(text, (size_t)len, leaf);
        VT_CHECK(hm_tlog_memstore_append(log->ms, leaf, NULL) == HM_OK);
    }
}

/* The signed checkpoint of the log at its current size, with the chosen cosignatures. */
static char *
checkpoint_note(struct vt_log *log, const struct vt_release *r, uint8_t root[32], uint64_t *size)
{
    const char *lines[1 + VT_MAX_WITNESSES];
    char *text = NULL, *note = NULL, *bad = NULL;
    size_t text_len = 0, note_len = 0, n = 0;

    *size = hm_tlog_memstore_size(log->ms);
    VT_CHECK(hm_tlog_root(hm_tlog_memstore_storage(log->ms), *size, root) == HM_OK);
    VT_CHECK(hm_tlog_checkpoint_format(log->origin, *size, root, &text, &text_len) == HM_OK);
    VT_CHECK(hm_tlog_note_sign(text, text_len, &log->signer, (char **)&lines[n++]) == HM_OK);
    for (size_t i = 0; i < log->n_w; i++) {
        if ((r->witness_mask & ((uint64_t)1 << i)) == 0) {
            continue;
        }
        if (r->corrupt_cosig && bad == NULL) {
            /* a cosignature over another text: well formed, but it does not verify */
            bad = vt_replace(strdup(text), "\n", "-other\n");
            VT_CHECK(hm_tlog_note_cosign(bad, strlen(bad), 1795824100, &log->w[i].signer,
                                         (char **)&lines[n++]) == HM_OK);
            continue;
        }
        VT_CHECK(hm_tlog_note_cosign(text, text_len, 1795824100, &log->w[i].signer,
                                     (char **)&lines[n++]) == HM_OK);
    }
    VT_CHECK(hm_tlog_note_assemble(text, text_len, lines, n, &note, &note_len) == HM_OK);
    for (size_t i = 0; i < n; i++) {
        free((char *)lines[i]);
    }
    free(text);
    free(bad);
    return note;
}

static char *
entry_json(struct vt_log *log, const struct vt_release *r, const char *leaf, size_t leaf_len)
{
    struct hm_tlog_path path;
    struct hm_buf b;
    uint8_t leaf_hash[32], root[32];
    uint64_t index = 0, size = 0;
    char *note, *s;

    add_filler(log, r->filler_before);
    hm_tlog_leaf_hash(leaf, leaf_len, leaf_hash);
    VT_CHECK(hm_tlog_memstore_append(log->ms, leaf_hash, &index) == HM_OK);
    add_filler(log, r->filler_after);
    note = checkpoint_note(log, r, root, &size);
    VT_CHECK(hm_tlog_inclusion_proof(hm_tlog_memstore_storage(log->ms), index, size, &path) ==
             HM_OK);
    hm_buf_init(&b, 0);
    s = vt_b64(log->log_id, 32);
    hm_buf_printf(&b,
                  "{\"logIndex\":\"%llu\",\"logId\":{\"keyId\":\"%s\"},\"kindVersion\":"
                  "{\"kind\":\"dsse\",\"version\":\"0.0.1\"},\"integratedTime\":\"%lld\","
                  "\"inclusionProof\":{\"logIndex\":\"%llu\",\"rootHash\":\"",
                  (unsigned long long)index, s, (long long)r->log_time, (unsigned long long)index);
    free(s);
    s = vt_b64(root, 32);
    hm_buf_printf(&b, "%s\",\"treeSize\":\"%llu\",\"hashes\":[", s, (unsigned long long)size);
    free(s);
    for (size_t i = 0; i < path.len; i++) {
        s = vt_b64(path.hash[i], 32);
        hm_buf_printf(&b, "%s\"%s\"", i ? "," : "", s);
        free(s);
    }
    hm_buf_puts(&b, "],\"checkpoint\":{\"envelope\":");
    json_str(&b, note);
    free(note);
    s = vt_b64(leaf, leaf_len);
    hm_buf_printf(&b, "}},\"canonicalizedBody\":\"%s\"}", s);
    free(s);
    return buf_done(&b, &leaf_len);
}

char *
vt_bundle(const struct vt_key *signer, struct vt_log *log, const struct vt_release *given,
          size_t *len)
{
    struct vt_release r = *given;
    struct hm_artifact art;
    uint8_t *payload, *pae = NULL, *sig;
    size_t payload_len = 0, pae_len = 0, sig_len = 0, leaf_len = 0;
    char *bundle = NULL, *leaf, *entry, *with;

    r.product = r.product ? r.product : "acme-thermostat";
    r.channel = r.channel ? r.channel : "stable";
    r.version = r.version ? r.version : "1.4.2";
    if (r.image == NULL) {
        r.image = "firmware image";
        r.image_len = strlen("firmware image");
    }
    r.signed_at = r.signed_at ? r.signed_at : 1795824000;
    r.log_time = r.log_time ? r.log_time : r.signed_at + 1;
    payload = statement(&r, &art, &payload_len);
    VT_CHECK(hm_dsse_pae(INTOTO, strlen(INTOTO), payload, payload_len, &pae, &pae_len) == HM_OK);
    sig = vt_sign(signer, pae, pae_len, &sig_len);
    VT_CHECK(hm_bundle_encode(INTOTO, payload, payload_len, vt_key_id(signer), sig, sig_len,
                              &bundle, len) == HM_OK);
    if (log != NULL && !r.no_entry) {
        leaf = leaf_json(signer, &r, &art, payload, payload_len, sig, sig_len, &leaf_len);
        if (r.edit_leaf != NULL) {
            r.edit_leaf(leaf, leaf_len, r.edit_ctx);
        }
        entry = entry_json(log, &r, leaf, leaf_len);
        VT_CHECK(asprintf(&with, "\"tlogEntries\":[%s]", entry) > 0);
        bundle = vt_replace(bundle, "\"tlogEntries\":[]", with);
        *len = strlen(bundle);
        free(with);
        free(entry);
        free(leaf);
    }
    free(payload);
    free(pae);
    free(sig);
    return bundle;
}

static void
root_keys(struct hm_buf *b, const struct vt_root *r)
{
    char when[32];

    for (size_t i = 0; i < r->n_keys; i++) {
        const struct vt_root_key *k = &r->keys[i];
        char *products = strdup(k->products ? k->products : "acme-thermostat"), *save = NULL;
        bool first = true;

        hm_buf_printf(b, "%s{\"keyid\":\"%s\",\"algorithm\":\"%s\",\"pem\":", i ? "," : "",
                      vt_key_id(k->key), hm_key_alg_name(vt_key_alg(k->key)));
        json_str(b, vt_key_pem(k->key));
        if (k->from != 0) {
            hm_time_rfc3339(k->from, when);
            hm_buf_printf(b, ",\"validFrom\":\"%s\"", when);
        }
        if (k->until != 0) {
            hm_time_rfc3339(k->until, when);
            hm_buf_printf(b, ",\"validUntil\":\"%s\"", when);
        }
        hm_buf_puts(b, ",\"products\":[");
        for (char *p = strtok_r(products, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
            hm_buf_printf(b, "%s\"%s\"", first ? "" : ",", p);
            first = false;
        }
        hm_buf_printf(b, "]%s}", k->require_attestation ? ",\"requireAttestation\":true" : "");
        free(products);
    }
}

static void
root_logs(struct hm_buf *b, const struct vt_root *r)
{
    for (size_t i = 0; i < r->n_logs; i++) {
        const struct vt_log *log = r->logs[i];
        char *id = vt_b64(log->log_id, 32), *vkey;

        hm_buf_printf(b, "%s{\"origin\":\"%s\",\"logId\":\"%s\",\"algorithm\":\"%s\",",
                      i ? "," : "", log->origin, id, hm_key_alg_name(log->key->alg));
        if (r->logs_as_vkey) {
            vkey = vt_log_vkey(log);
            hm_buf_printf(b, "\"vkey\":\"%s\"}", vkey);
            free(vkey);
        } else {
            hm_buf_puts(b, "\"pem\":");
            json_str(b, log->key->pem);
            hm_buf_puts(b, "}");
        }
        free(id);
    }
}

char *
vt_root_payload(const struct vt_root *r, size_t *len)
{
    struct hm_buf b;
    char when[32], *vkey;

    hm_buf_init(&b, 0);
    hm_time_rfc3339(r->expires ? r->expires : 4102444800, when);
    hm_buf_printf(&b, "{\"mediaType\":\"%s\",\"version\":%llu,\"expires\":\"%s\",\"keys\":[",
                  HM_TRUSTROOT_MEDIA_TYPE, (unsigned long long)(r->version ? r->version : 1), when);
    root_keys(&b, r);
    hm_buf_puts(&b, "]");
    if (r->n_logs > 0) {
        hm_buf_puts(&b, ",\"logs\":[");
        root_logs(&b, r);
        hm_buf_puts(&b, "]");
    }
    if (r->n_logs > 0 && r->logs[0]->n_w > 0) {
        hm_buf_puts(&b, ",\"witnesses\":[");
        for (size_t i = 0; i < r->logs[0]->n_w; i++) {
            vkey = vt_log_witness_vkey(r->logs[0], i);
            hm_buf_printf(&b, "%s{\"name\":\"%s\",\"vkey\":\"%s\"}", i ? "," : "",
                          r->logs[0]->w[i].name, vkey);
            free(vkey);
        }
        hm_buf_printf(&b, "],\"witnessThreshold\":%zu", r->witness_threshold);
    }
    hm_buf_puts(&b, ",\"rootKeys\":[");
    for (size_t i = 0; i < r->n_root_keys; i++) {
        hm_buf_printf(&b, "%s{\"keyid\":\"%s\",\"pem\":", i ? "," : "", vt_key_id(r->root_keys[i]));
        json_str(&b, vt_key_pem(r->root_keys[i]));
        hm_buf_puts(&b, "}");
    }
    hm_buf_printf(&b, "],\"rootThreshold\":%zu}", r->root_threshold ? r->root_threshold : 1);
    return buf_done(&b, len);
}

char *
vt_envelope(const char *payload, size_t len, const struct vt_key *const *signers, size_t n,
            size_t *out_len)
{
    struct hm_buf b;
    uint8_t *pae = NULL, *sig;
    size_t pae_len = 0, sig_len = 0;
    char *s;

    VT_CHECK(hm_dsse_pae(HM_TRUSTROOT_MEDIA_TYPE, strlen(HM_TRUSTROOT_MEDIA_TYPE),
                         (const uint8_t *)payload, len, &pae, &pae_len) == HM_OK);
    hm_buf_init(&b, 0);
    s = vt_b64(payload, len);
    hm_buf_printf(&b, "{\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[", s,
                  HM_TRUSTROOT_MEDIA_TYPE);
    free(s);
    for (size_t i = 0; i < n; i++) {
        sig = vt_sign(signers[i], pae, pae_len, &sig_len);
        s = vt_b64(sig, sig_len);
        hm_buf_printf(&b, "%s{\"keyid\":\"%s\",\"sig\":\"%s\"}", i ? "," : "",
                      vt_key_id(signers[i]), s);
        free(s);
        free(sig);
    }
    hm_buf_puts(&b, "]}");
    free(pae);
    return buf_done(&b, out_len);
}

char *
vt_root_signed(const struct vt_root *r, size_t *len)
{
    size_t n = r->root_threshold ? r->root_threshold : 1, plen = 0;
    char *payload = vt_root_payload(r, &plen);
    char *env = vt_envelope(payload, plen, r->root_keys, n, len);

    free(payload);
    return env;
}

struct hm_trustroot *
vt_root_parse(const char *env, size_t len)
{
    struct hm_trustroot_reason why;
    struct hm_trustroot *tr = NULL;

    if (hm_trustroot_parse((const uint8_t *)env, len, &tr, &why) != HM_OK) {
        fprintf(stderr, "trust root refused: %s: %s\n", hm_trustroot_status_name(why.status),
                why.detail);
        abort();
    }
    return tr;
}

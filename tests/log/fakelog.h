/*
 * fakelog.h: an in-memory transparency log that answers the monitor's GETs as hallmarkd's
 * log routes do (checkpoint, consistency proofs, tlog-tiles entry bundles and hash tiles),
 * with Hallmark leaves (docs/formats.md §7.2) and a checkpoint signed by a software
 * Ed25519 key, plus the attacks a monitor must catch.  Failures abort: it builds fixtures.
 */
#ifndef HM_FAKELOG_H
#define HM_FAKELOG_H

#include <hm/tlog.h>
#include <stdbool.h>

#include "cli_log.h"

#define FAKE_MAX_LEAVES 4096

struct fake_key; /* an Ed25519 note signer */
struct fake_key *fake_key_new(const char *name);
void fake_key_free(struct fake_key *k);
/* The verifier (owned by the key). */
const struct hm_tlog_verifier *fake_key_verifier(const struct fake_key *k);

struct fakelog {
    struct fake_key *key; /* signs the checkpoints (not owned) */
    struct hm_tlog_memstore *ms;
    char *leaves[FAKE_MAX_LEAVES];
    size_t leaf_len[FAKE_MAX_LEAVES];
    size_t n;
    char *note; /* the signed checkpoint at the published size */
    size_t note_len;
    uint64_t published; /* size of the checkpoint served */
    /* attacks */
    int64_t drop_from;   /* entry bundles stop before this index (-1: none) */
    int64_t rewrite;     /* this index is served with other bytes (-1: none) */
    bool bundles_404;    /* entry bundles answer 404 */
    bool bad_root;       /* the checkpoint carries a wrong root (signed) */
    bool bad_proof;      /* consistency proofs have one hash flipped */
    int status_override; /* every GET answers this status (0: off) */
    /* counters */
    unsigned gets, bundle_gets;
};

/* A log signed by key (origin = the key's name). */
struct fakelog *fakelog_new(struct fake_key *key);
void fakelog_free(struct fakelog *l);
/* Appends n leaves (release leaves; product and keyid given, versions 1.0.<index>). */
void fakelog_add(struct fakelog *l, size_t n, const char *product, const char *keyid);
/* Appends raw leaf bytes. */
void fakelog_add_raw(struct fakelog *l, const char *leaf, size_t len);
/* Signs and publishes the checkpoint at the current size (or at size, for a shrink). */
void fakelog_publish(struct fakelog *l);
void fakelog_publish_at(struct fakelog *l, uint64_t size);
/* A checkpoint at the current size signed by another key of the same name. */
void fakelog_publish_forged(struct fakelog *l, struct fake_key *other);
/* The source the monitor reads. */
void fakelog_src(struct fakelog *l, struct cli_log_src *out);
/* A Hallmark leaf JSON (malloc'ed). */
char *fakelog_leaf(uint64_t index, const char *product, const char *keyid, size_t *len);

#endif

/*
 * tree.c: tree heads and proof generation from stored complete-subtree hashes.
 *
 * Every hash a proof needs is MTH(D[lo:hi]) for a node of the RFC 9162 tree: either a
 * complete subtree (stored as is) or a subtree on the right edge, whose hash is rebuilt
 * from the <= 63 complete subtrees it splits into.  A proof has <= 64 such nodes and at
 * most one of them is on the right edge, so a proof costs <= 127 stored-hash reads, all
 * in one read() call, and O(log n) hashing.
 */
#include <string.h>

#include "tlog_int.h"

/* Largest power of two strictly below s (s >= 2): the split point k of RFC 9162 §2.1.1. */
static uint64_t
split_point(uint64_t s)
{
    return (uint64_t)1 << (63 - __builtin_clzll(s - 1));
}

/* Splits [lo, hi) into complete subtrees, largest first (lo is aligned for every node of
 * the RFC tree, so this is exactly how the tree nests them). */
static hm_err
decompose(uint64_t lo, uint64_t hi, struct hm_tlog_node *nodes, size_t cap, size_t *n)
{
    while (lo < hi) {
        unsigned level = lo == 0 ? 63 : (unsigned)__builtin_ctzll(lo);

        while (level > 0 && ((uint64_t)1 << level) > hi - lo) {
            level--;
        }
        if (*n >= cap) {
            return HM_E_INTERNAL; /* the bounds in the header comment do not hold */
        }
        nodes[*n].level = (uint8_t)level;
        nodes[*n].index = lo >> level;
        (*n)++;
        lo += (uint64_t)1 << level;
    }
    return HM_OK;
}

hm_err
tlog_hash_ranges(const struct hm_tlog_storage *st, const struct tlog_range *ranges, size_t n,
                 uint8_t (*out)[HM_TLOG_HASH_LEN])
{
    struct hm_tlog_node nodes[HM_TLOG_MAX_READS];
    uint8_t hashes[HM_TLOG_MAX_READS][HM_TLOG_HASH_LEN];
    size_t first[HM_TLOG_MAX_PATH + 1], total = 0;
    hm_err err;

    if (st == NULL || st->read == NULL || n > HM_TLOG_MAX_PATH) {
        return HM_E_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        first[i] = total;
        if ((err = decompose(ranges[i].lo, ranges[i].hi, nodes, HM_TLOG_MAX_READS, &total)) !=
            HM_OK) {
            return err;
        }
    }
    first[n] = total;
    if (total > 0 && (err = st->read(st->ctx, nodes, total, hashes)) != HM_OK) {
        return err;
    }
    for (size_t i = 0; i < n; i++) {
        /* Fold right to left: MTH(D[lo:hi]) = H(left complete part, MTH(rest)). */
        uint8_t acc[HM_TLOG_HASH_LEN];
        size_t j = first[i + 1] - 1;

        memcpy(acc, hashes[j], HM_TLOG_HASH_LEN);
        while (j > first[i]) {
            j--;
            hm_tlog_node_hash(hashes[j], acc, acc);
        }
        memcpy(out[i], acc, HM_TLOG_HASH_LEN);
    }
    return HM_OK;
}

hm_err
hm_tlog_root(const struct hm_tlog_storage *st, uint64_t size, uint8_t out[HM_TLOG_HASH_LEN])
{
    struct tlog_range r = { 0, size };

    if (size > HM_TLOG_MAX_SIZE) {
        return HM_E_LIMIT;
    }
    if (size == 0) {
        hm_tlog_empty_root(out);
        return HM_OK;
    }
    return tlog_hash_ranges(st, &r, 1, (uint8_t(*)[HM_TLOG_HASH_LEN])out);
}

/* Reverses ranges: they are found root first, and proofs list them leaf first. */
static void
reverse_ranges(struct tlog_range *r, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        struct tlog_range t = r[i];

        r[i] = r[n - 1 - i];
        r[n - 1 - i] = t;
    }
}

hm_err
hm_tlog_inclusion_proof(const struct hm_tlog_storage *st, uint64_t index, uint64_t size,
                        struct hm_tlog_path *out)
{
    struct tlog_range r[HM_TLOG_MAX_PATH];
    uint64_t lo = 0, hi = size;
    size_t n = 0;
    hm_err err;

    out->len = 0;
    if (size > HM_TLOG_MAX_SIZE) {
        return HM_E_LIMIT;
    }
    if (index >= size) {
        return HM_E_INVALID;
    }
    /* PATH(m, D[lo:hi]) of RFC 9162 §2.1.3.1, unrolled: the sibling at each split. */
    while (hi - lo > 1) {
        uint64_t k = split_point(hi - lo);

        if (index < lo + k) {
            r[n++] = (struct tlog_range){ lo + k, hi };
            hi = lo + k;
        } else {
            r[n++] = (struct tlog_range){ lo, lo + k };
            lo += k;
        }
    }
    reverse_ranges(r, n);
    if ((err = tlog_hash_ranges(st, r, n, out->hash)) != HM_OK) {
        return err;
    }
    out->len = n;
    return HM_OK;
}

hm_err
hm_tlog_consistency_proof(const struct hm_tlog_storage *st, uint64_t m, uint64_t n,
                          struct hm_tlog_path *out)
{
    struct tlog_range r[HM_TLOG_MAX_PATH];
    uint64_t lo = 0, hi = n;
    size_t len = 0;
    bool whole = true; /* b of SUBPROOF: D[lo:hi] still starts at the first tree's root */
    hm_err err;

    out->len = 0;
    if (n > HM_TLOG_MAX_SIZE) {
        return HM_E_LIMIT;
    }
    if (m > n) {
        return HM_E_INVALID;
    }
    if (m == 0 || m == n) {
        return HM_OK; /* nothing to prove: the empty path */
    }
    /* SUBPROOF(m, D[lo:hi], b) of RFC 9162 §2.1.4.1, unrolled; m is relative to lo. */
    for (;;) {
        uint64_t k;

        if (m == hi - lo) {
            if (!whole) {
                r[len++] = (struct tlog_range){ lo, hi };
            }
            break;
        }
        k = split_point(hi - lo);
        if (len >= HM_TLOG_MAX_PATH - 1) {
            return HM_E_LIMIT;
        }
        if (m <= k) {
            r[len++] = (struct tlog_range){ lo + k, hi };
            hi = lo + k;
        } else {
            r[len++] = (struct tlog_range){ lo, lo + k };
            lo += k;
            m -= k;
            whole = false;
        }
    }
    reverse_ranges(r, len);
    if ((err = tlog_hash_ranges(st, r, len, out->hash)) != HM_OK) {
        return err;
    }
    out->len = len;
    return HM_OK;
}

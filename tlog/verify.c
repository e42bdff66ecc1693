/*
 * verify.c: RFC 9162 §2.1.3.2 and §2.1.4.2, step by step, in uint64.  This is the code a
 * device runs: no storage, one digest context per proof, constant-time comparison of the
 * final hashes.
 */
#include <string.h>

#include "tlog_int.h"

hm_err
hm_tlog_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf_hash[HM_TLOG_HASH_LEN],
                         const uint8_t *path, size_t path_len, const uint8_t root[HM_TLOG_HASH_LEN])
{
    uint8_t r[HM_TLOG_HASH_LEN];
    struct tlog_hasher h;
    uint64_t fn, sn;
    bool too_long = false;

    if (leaf_hash == NULL || root == NULL || (path == NULL && path_len > 0)) {
        return HM_E_INVALID;
    }
    if (path_len > HM_TLOG_MAX_PATH) {
        return HM_E_LIMIT;
    }
    if (index >= size) {
        return HM_E_VERIFY; /* step 1 */
    }
    fn = index;
    sn = size - 1;
    memcpy(r, leaf_hash, HM_TLOG_HASH_LEN);
    tlog_hasher_init(&h);
    for (size_t i = 0; i < path_len; i++) {
        const uint8_t *p = path + i * HM_TLOG_HASH_LEN;

        if (sn == 0) {
            too_long = true; /* the path is longer than the tree is high */
            break;
        }
        if ((fn & 1) != 0 || fn == sn) {
            tlog_hasher_node(&h, p, r, r);
            /* Until LSB(fn) is set or fn is 0 (the loop must stop at 0). */
            while ((fn & 1) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            tlog_hasher_node(&h, r, p, r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    tlog_hasher_free(&h);
    if (too_long || sn != 0 || !hm_ct_equal(r, root, HM_TLOG_HASH_LEN)) {
        return HM_E_VERIFY;
    }
    return HM_OK;
}

/* m == 0 and m == n, which RFC 9162 leaves to the caller (as transparency-dev and
 * tlog-witness do): an empty path, and the roots that trees of those sizes must have. */
static hm_err
verify_trivial(uint64_t m, uint64_t n, const uint8_t first[HM_TLOG_HASH_LEN],
               const uint8_t second[HM_TLOG_HASH_LEN], size_t path_len)
{
    uint8_t empty[HM_TLOG_HASH_LEN];

    if (path_len != 0) {
        return HM_E_VERIFY;
    }
    if (m == n) {
        return hm_ct_equal(first, second, HM_TLOG_HASH_LEN) ? HM_OK : HM_E_VERIFY;
    }
    /* m == 0 < n: every tree extends the empty tree, whose root is SHA-256(""). */
    hm_tlog_empty_root(empty);
    return hm_ct_equal(first, empty, HM_TLOG_HASH_LEN) ? HM_OK : HM_E_VERIFY;
}

hm_err
hm_tlog_verify_consistency(uint64_t m, uint64_t n, const uint8_t first[HM_TLOG_HASH_LEN],
                           const uint8_t second[HM_TLOG_HASH_LEN], const uint8_t *path,
                           size_t path_len)
{
    uint8_t fr[HM_TLOG_HASH_LEN], sr[HM_TLOG_HASH_LEN];
    struct tlog_hasher h;
    uint64_t fn, sn;
    size_t i = 0;
    bool too_long = false;

    if (first == NULL || second == NULL || (path == NULL && path_len > 0)) {
        return HM_E_INVALID;
    }
    if (path_len > HM_TLOG_MAX_PATH) {
        return HM_E_LIMIT;
    }
    if (m > n) {
        return HM_E_VERIFY;
    }
    if (m == 0 || m == n) {
        return verify_trivial(m, n, first, second, path_len);
    }
    if (path_len == 0) {
        return HM_E_VERIFY; /* step 1 */
    }
    /* Step 2: when m is a power of two, first_root is the path's implicit first element. */
    if ((m & (m - 1)) == 0) {
        memcpy(fr, first, HM_TLOG_HASH_LEN);
    } else {
        memcpy(fr, path, HM_TLOG_HASH_LEN);
        i = 1;
    }
    memcpy(sr, fr, HM_TLOG_HASH_LEN); /* step 5 */
    fn = m - 1;                       /* step 3 */
    sn = n - 1;
    while ((fn & 1) != 0) { /* step 4 */
        fn >>= 1;
        sn >>= 1;
    }
    tlog_hasher_init(&h);
    for (; i < path_len; i++) { /* step 6 */
        const uint8_t *c = path + i * HM_TLOG_HASH_LEN;

        if (sn == 0) {
            too_long = true;
            break;
        }
        if ((fn & 1) != 0 || fn == sn) {
            tlog_hasher_node(&h, c, fr, fr);
            tlog_hasher_node(&h, c, sr, sr);
            while ((fn & 1) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            tlog_hasher_node(&h, sr, c, sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    tlog_hasher_free(&h);
    /* Step 7; both comparisons always run. */
    if ((int)hm_ct_equal(fr, first, HM_TLOG_HASH_LEN) +
                (int)hm_ct_equal(sr, second, HM_TLOG_HASH_LEN) !=
            2 ||
        sn != 0 || too_long) {
        return HM_E_VERIFY;
    }
    return HM_OK;
}

/*
 * test_heap.c: the heap one verification uses, measured by replacing malloc in this
 * process (glibc sends every allocation of libc, libcrypto and libcjson through it):
 * a typical bundle, the largest statement the limits allow, and a hostile bundle at the
 * size limit.  Each peak must stay under the bound docs/verify-library.md states; the
 * figures are printed for that page.  Skipped under ASan, which owns malloc itself.
 */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vt.h"

#define NOW 1795900000
/* docs/verify-library.md, "Memory": the bound for one verification of a bundle of at most
 * HM_BUNDLE_MAX_BYTES (the caller's copy of the bundle not counted). */
#define HEAP_BOUND ((size_t)4 << 20)

#ifndef HM_SANITIZED
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
extern void __libc_free(void *p);

static atomic_size_t cur, peak, count;
static atomic_bool on;

static void
account_add(void *p)
{
    size_t now;

    if (p == NULL || !atomic_load(&on)) {
        return;
    }
    now = atomic_fetch_add(&cur, malloc_usable_size(p)) + malloc_usable_size(p);
    atomic_fetch_add(&count, 1);
    for (size_t pk = atomic_load(&peak); now > pk;) {
        if (atomic_compare_exchange_weak(&peak, &pk, now)) {
            break;
        }
    }
}

static void
account_sub(void *p)
{
    if (p != NULL && atomic_load(&on)) {
        atomic_fetch_sub(&cur, malloc_usable_size(p));
    }
}

void *
malloc(size_t n)
{
    void *p = __libc_malloc(n);
    account_add(p);
    return p;
}

void *
calloc(size_t n, size_t m)
{
    void *p = __libc_calloc(n, m);
    account_add(p);
    return p;
}

void *
realloc(void *old, size_t n)
{
    void *p;

    account_sub(old);
    p = __libc_realloc(old, n);
    account_add(p != NULL ? p : (n == 0 ? NULL : old));
    return p;
}

void
free(void *p)
{
    account_sub(p);
    __libc_free(p);
}

int
posix_memalign(void **out, size_t align, size_t n)
{
    void *p = __libc_memalign(align, n);

    if (p == NULL) {
        return 12; /* ENOMEM */
    }
    account_add(p);
    *out = p;
    return 0;
}

void *
aligned_alloc(size_t align, size_t n)
{
    void *p = __libc_memalign(align, n);
    account_add(p);
    return p;
}

/* Memory allocated before the window and freed inside it would make cur wrap: start
 * counting from a quiet point, measure peak above the level at the start. */
static size_t
measure(const struct hm_trustroot *root, const char *bundle, enum hm_verify_status want,
        size_t *allocs)
{
    struct hm_verify_image img = { .source = HM_IMAGE_DIGEST, .has_sha256 = true };
    struct hm_device_facts dev = { "acme-thermostat", "1.4.1", NOW };
    struct hm_verify_result res;
    size_t used;

    hm_sha256("firmware image", 14, img.sha256);
    atomic_store(&cur, (size_t)1 << 40);
    atomic_store(&peak, (size_t)1 << 40);
    atomic_store(&count, 0);
    atomic_store(&on, true);
    assert_int_equal(
        hm_verify_bundle(root, (const uint8_t *)bundle, strlen(bundle), &img, 1, &dev, &res),
        HM_OK);
    atomic_store(&on, false);
    used = atomic_load(&peak) - ((size_t)1 << 40);
    *allocs = atomic_load(&count);
    if (res.status != want) {
        fail_msg("got %s: %s", hm_verify_status_name(res.status), res.detail);
    }
    return used;
}

static void
test_heap_of_one_verification(void **state)
{
    struct vt_key *signer = vt_key_new(HM_KEY_EC_P256), *rk = vt_key_new(HM_KEY_ED25519);
    struct vt_log *log_ = vt_log_new(HM_KEY_ED25519, "log.hallmark.test/acme");
    struct vt_release typical = { .filler_before = 1000, .filler_after = 23 };
    struct vt_release largest = { .extra_artifacts = 1023 };
    struct vt_root r = { 0 };
    struct hm_trustroot *root;
    size_t len = 0, n_typ = 0, n_big = 0, n_bad = 0, typ, big, bad;
    char *env, *b_typ, *b_big, *b_bad;

    (void)state;
    r.keys[0] = (struct vt_root_key){ signer, NULL, 0, 0, false };
    r.n_keys = 1;
    r.logs[0] = log_;
    r.n_logs = 1;
    r.root_keys[0] = rk;
    r.n_root_keys = 1;
    env = vt_root_signed(&r, &len);
    root = vt_root_parse(env, len);
    b_typ = vt_bundle(signer, log_, &typical, &len);
    b_big = vt_bundle(signer, log_, &largest, &len);
    /* hostile: the size limit filled with the most JSON values the cap lets through, as
     * strings that cJSON copies */
    b_bad = malloc(HM_BUNDLE_MAX_BYTES + 1);
    assert_non_null(b_bad);
    len = (size_t)snprintf(b_bad, HM_BUNDLE_MAX_BYTES, "{\"x\":[");
    for (size_t i = 0; i < 4000; i++) { /* 4 arrays of 1,000: under the 1,024 per array */
        len +=
            (size_t)snprintf(b_bad + len, HM_BUNDLE_MAX_BYTES - len, "%s\"%0250d\"%s",
                             i % 1000 == 0 ? (i ? ",[" : "[") : ",", 0, i % 1000 == 999 ? "]" : "");
    }
    (void)snprintf(b_bad + len, HM_BUNDLE_MAX_BYTES - len, "]}");
    typ = measure(root, b_typ, HM_V_OK, &n_typ);
    big = measure(root, b_big, HM_V_OK, &n_big);
    bad = measure(root, b_bad, HM_V_MALFORMED_BUNDLE, &n_bad);
    printf("heap: typical bundle (%zu bytes) peak %zu bytes in %zu allocations\n", strlen(b_typ),
           typ, n_typ);
    printf("heap: largest statement (%zu bytes) peak %zu bytes in %zu allocations\n", strlen(b_big),
           big, n_big);
    printf("heap: hostile %zu-byte bundle peak %zu bytes in %zu allocations\n", strlen(b_bad), bad,
           n_bad);
    assert_true(typ < (size_t)64 << 10);
    assert_true(big < HEAP_BOUND);
    assert_true(bad < HEAP_BOUND);
    free(b_typ);
    free(b_big);
    free(b_bad);
    free(env);
    hm_trustroot_free(root);
    vt_log_free(log_);
    vt_key_free(signer);
    vt_key_free(rk);
}
#else
static void
test_heap_of_one_verification(void **state)
{
    (void)state;
    skip(); /* ASan replaces malloc */
}
#endif

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_of_one_verification),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

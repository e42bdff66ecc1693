/*
 * fuzz_semver.c: hm_semver_check, hm_semver_cmp and hm_semver_major on arbitrary bytes.
 * The input is "A" or "A|B".  Beyond not crashing, the ordering must behave as an
 * ordering: cmp(a, a) == 0, cmp(a, b) == -cmp(b, a), build metadata never changes the
 * result, and whatever the checker accepts fits the grammar's character set and length.
 */
#include <hm/policy.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX 512

static void
check_one(const char *s)
{
    char why[128];
    uint64_t major = 1;
    int c = 1;
    hm_err err = hm_semver_check(s, why, sizeof(why));

    if (memchr(why, '\0', sizeof(why)) == NULL) {
        abort(); /* the reason is always a string */
    }
    if (hm_semver_cmp(s, s, &c) != err || hm_semver_major(s, &major) != err) {
        abort(); /* every entry point agrees on validity */
    }
    if (err != HM_OK) {
        if (err != HM_E_INVALID || c != 0 || major != 0) {
            abort();
        }
        return;
    }
    if (c != 0 || strlen(s) > HM_SEMVER_MAX_LEN ||
        strspn(s, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-.+") !=
            strlen(s) ||
        major > ((uint64_t)1 << 53)) {
        abort();
    }
}

static void
check_pair(const char *a, const char *b)
{
    char a_core[FUZZ_MAX + 1];
    int ab = 2;
    int ba = 2;
    int stripped = 2;
    char *plus;

    if (hm_semver_cmp(a, b, &ab) != HM_OK) {
        return;
    }
    if (hm_semver_cmp(b, a, &ba) != HM_OK || ab != -ba || ab < -1 || ab > 1) {
        abort(); /* antisymmetry */
    }
    strcpy(a_core, a);
    if ((plus = strchr(a_core, '+')) != NULL) {
        *plus = '\0';
        if (hm_semver_cmp(a_core, b, &stripped) != HM_OK || stripped != ab) {
            abort(); /* build metadata is ignored */
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[FUZZ_MAX + 1];
    char *bar;

    if (size > FUZZ_MAX) {
        return 0;
    }
    memcpy(buf, data, size);
    buf[size] = '\0';
    if ((bar = strchr(buf, '|')) == NULL) {
        check_one(buf);
        return 0;
    }
    *bar = '\0';
    check_one(buf);
    check_one(bar + 1);
    check_pair(buf, bar + 1);
    return 0;
}

/* test_glob.c: the claim matcher's glob: '*' any run (including '/'), '?' one byte, no
 * escapes, and bounded time on patterns built to make backtracking matchers explode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "oidc.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void
test_glob_table(void **state)
{
    static const struct {
        const char *pattern, *text;
        bool want;
    } cases[] = {
        { "refs/tags/v*", "refs/tags/v1.4.2", true },
        { "refs/tags/v*", "refs/tags/v", true }, /* '*' matches nothing too */
        { "refs/tags/v*", "refs/tags/1.4.2", false },
        { "refs/tags/v*", "refs/heads/v1.4.2", false },
        { "refs/tags/v*", "refs/tags/v1/../../heads/x", true }, /* '*' crosses '/' (documented) */
        { "refs/tags/v*", "xrefs/tags/v1", false },             /* anchored at the start */
        { "refs/tags/v?.?.?", "refs/tags/v1.4.2", true },
        { "refs/tags/v?.?.?", "refs/tags/v1.14.2", false },
        { "refs/heads/main", "refs/heads/main", true },   /* exact */
        { "refs/heads/main", "refs/heads/main2", false }, /* anchored at the end */
        { "refs/heads/main", "refs/heads/mai", false },
        { "acme/*", "acme/thermostat", true },
        { "acme/*", "acme", false },
        { "acme/*/.github/workflows/release.yml@refs/tags/*",
          "acme/thermostat/.github/workflows/release.yml@refs/tags/v1", true },
        { "acme/*/.github/workflows/release.yml@refs/tags/*",
          "acme/thermostat/.github/workflows/evil.yml@refs/tags/v1", false },
        { "*", "", true },
        { "", "", true },
        { "", "a", false },
        { "?", "", false },
        { "a*b*c", "abc", true },
        { "a*b*c", "aXXbYYc", true },
        { "a*b*c", "aXXbYY", false },
        { "*a", "bbba", true },
        { "*a", "bbbab", false },
        { "**", "x", true },
        { "[ab]", "a", false }, /* no classes: '[' is a literal */
        { "[ab]", "[ab]", true },
        { "\\*", "\\x", true }, /* no escapes: '\\' is a literal, '*' still a wildcard */
        { "github-hosted", "self-hosted", false },
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        if (hm_glob_match(cases[i].pattern, cases[i].text) != cases[i].want) {
            fail_msg("glob %s vs %s: want %d", cases[i].pattern, cases[i].text, cases[i].want);
        }
    }
    assert_false(hm_glob_match(NULL, "x"));
    assert_false(hm_glob_match("x", NULL));
}

/* "a*a*a*...*b" against "aaaa...": exponential for a naive recursive matcher; the
 * iterative one is O(pattern * text).  4 KiB x 4 KiB must finish well under a second. */
static void
test_glob_pathological_patterns_are_bounded(void **state)
{
    size_t n = 4096;
    char *pattern = malloc(n + 2), *text = malloc(n + 1);
    clock_t t0;
    double secs;

    (void)state;
    assert_non_null(pattern);
    assert_non_null(text);
    for (size_t i = 0; i < n; i += 2) {
        pattern[i] = 'a';
        pattern[i + 1] = '*';
    }
    pattern[n] = 'b';
    pattern[n + 1] = '\0';
    memset(text, 'a', n);
    text[n] = '\0';
    t0 = clock();
    assert_false(hm_glob_match(pattern, text));
    memset(pattern, '*', n);
    pattern[n] = 'b';
    assert_false(hm_glob_match(pattern, text));
    text[n - 1] = 'b';
    assert_true(hm_glob_match(pattern, text));
    secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    if (secs > 1.0) {
        fail_msg("pathological globs took %.2f s", secs);
    }
    free(pattern);
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob_table),
        cmocka_unit_test(test_glob_pathological_patterns_are_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_semver.c: SemVer 2.0.0 validity and precedence, the spec's examples and hostile input. */
#include <hm/policy.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Asserts a < b in both directions and that each equals itself. */
static void
assert_less(const char *a, const char *b)
{
    int c = 42;

    assert_int_equal(hm_semver_cmp(a, b, &c), HM_OK);
    if (c != -1) {
        fail_msg("expected %s < %s, cmp gave %d", a, b, c);
    }
    assert_int_equal(hm_semver_cmp(b, a, &c), HM_OK);
    if (c != 1) {
        fail_msg("expected %s > %s, cmp gave %d", b, a, c);
    }
    assert_int_equal(hm_semver_cmp(a, a, &c), HM_OK);
    assert_int_equal(c, 0);
}

/* semver.org item 11, the full example chain: every pair, both ways. */
static void
test_semver_spec_precedence_chain(void **state)
{
    static const char *const chain[] = {
        "1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
        "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
    };

    (void)state;
    for (size_t i = 0; i < N_OF(chain); i++) {
        for (size_t j = i + 1; j < N_OF(chain); j++) {
            assert_less(chain[i], chain[j]);
        }
    }
}

static void
test_semver_precedence_rules(void **state)
{
    static const struct {
        const char *lo, *hi;
    } cases[] = {
        { "1.0.0", "2.0.0" },
        { "2.0.0", "2.1.0" },
        { "2.1.0", "2.1.1" }, /* item 11.2 */
        { "1.9.0", "1.10.0" },
        { "1.10.0", "1.11.0" }, /* item 2: numbers, not text */
        { "0.9.9", "1.0.0" },
        { "1.0.0-alpha", "1.0.0" }, /* pre-release is lower */
        { "1.0.0-2", "1.0.0-10" },  /* numeric identifiers as numbers */
        { "1.0.0-1", "1.0.0-a" },   /* numeric < alphanumeric */
        { "1.0.0-0", "1.0.0--" },   /* "-" is alphanumeric */
        { "1.0.0-alpha.9", "1.0.0-alpha.a" },
        { "1.0.0-Z", "1.0.0-a" },       /* ASCII order: 'Z' < 'a' */
        { "1.0.0-a", "1.0.0-a-" },      /* a prefix sorts first */
        { "1.0.0-a.b", "1.0.0-a.b.0" }, /* more fields win */
        { "1.0.0-rc.1", "1.0.0-rc.1.1" },
        { "1.0.0-99999999999999999999", "1.0.0-100000000000000000000" }, /* beyond 64 bits */
        { "1.0.0-rc.1+build.9", "1.0.0+build.1" },                       /* build ignored */
        { "9007199254740991.0.0", "9007199254740992.0.0" },              /* 2^53 - 1 < 2^53 */
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        assert_less(cases[i].lo, cases[i].hi);
    }
}

/* Item 10: build metadata is ignored when determining precedence. */
static void
test_semver_build_metadata_equal(void **state)
{
    static const struct {
        const char *a, *b;
    } cases[] = {
        { "1.0.0+a", "1.0.0+b" },
        { "1.0.0-alpha+001", "1.0.0-alpha" },
        { "1.0.0+20130313144700", "1.0.0" },
        { "1.0.0-beta+exp.sha.5114f85", "1.0.0-beta+other" },
        { "1.0.0+21AF26D3----117B344092BD", "1.0.0+0" },
    };
    int c = 42;

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        assert_int_equal(hm_semver_cmp(cases[i].a, cases[i].b, &c), HM_OK);
        assert_int_equal(c, 0);
        assert_int_equal(hm_semver_cmp(cases[i].b, cases[i].a, &c), HM_OK);
        assert_int_equal(c, 0);
    }
}

static void
test_semver_valid_versions(void **state)
{
    static const char *const ok[] = {
        "0.0.0",
        "1.0.0-alpha",
        "1.0.0-0.3.7",
        "1.0.0-x.7.z.92",
        "1.0.0-x-y-z.--",
        "1.0.0-alpha+001",
        "1.0.0+0001", /* leading zeros allowed in build */
        "1.0.0-0a",
        "1.0.0--",
        "1.0.0-0",
        "10.20.30",
        "1.1.2-prerelease+meta",
        "1.0.0-alpha.beta.1",
        "9007199254740992.9007199254740992.9007199254740992", /* 2^53 is the maximum */
    };
    char why[128];

    (void)state;
    for (size_t i = 0; i < N_OF(ok); i++) {
        if (hm_semver_check(ok[i], why, sizeof(why)) != HM_OK) {
            fail_msg("%s refused: %s", ok[i], why);
        }
    }
    assert_int_equal(hm_semver_check("1.2.3", NULL, 0), HM_OK);
}

/* Attacker's inputs: each refused with HM_E_INVALID and the reason it was refused. */
static void
test_semver_hostile(void **state)
{
    static char long200[201];
    static const struct {
        const char *s;
        const char *why;
    } cases[] = {
        { "01.0.0", "major version has a leading zero" },
        { "1.00.0", "minor version has a leading zero" },
        { "1.0.00", "patch version has a leading zero" },
        { "1.0", "no '.' after the minor version" },
        { "1", "no '.' after the major version" },
        { "1.0.", "patch version must start with a digit" },
        { "1.0.0-", "empty pre-release identifier" },
        { "1.0.0+", "empty build metadata identifier" },
        { "1.0.0-01", "numeric pre-release identifier with a leading zero" },
        { "1.0.0-00", "numeric pre-release identifier with a leading zero" },
        { "1.0.0-rc.01", "numeric pre-release identifier with a leading zero" },
        { "1..0", "minor version must start with a digit" },
        { "1..0.0", "minor version must start with a digit" },
        { "v1.0.0", "major version must start with a digit" },
        { "V1.0.0", "major version must start with a digit" },
        { "-1.0.0", "major version must start with a digit" },
        { " 1.0.0", "major version must start with a digit" },
        { "1.0.0 ", "character 0x20 at offset 5" },
        { "1.0 .0", "no '.' after the minor version" },
        { "1.0.0-a b", "character 0x20 at offset 7" },
        { "1.2.3\n", "character 0x0a" },
        { "", "empty version" },
        { "1.0\0.0", "no '.' after the minor version" }, /* a NUL cuts the string */
        { "\0"
          "1.0.0",
          "empty version" },
        { "1.0.0-alpha..1", "empty pre-release identifier" },
        { "1.0.0-alpha.", "empty pre-release identifier" },
        { "1.0.0-.a", "empty pre-release identifier" },
        { "1.0.0+a..b", "empty build metadata identifier" },
        { "1.0.0-+a", "empty pre-release identifier" },
        { "1.0.0-a+b+c", "character 0x2b at offset 9 is not allowed in build metadata" },
        { "1.0.0-a_b", "character 0x5f" },
        { "1.0.0-\xc3\xa9", "character 0xc3" },
        { "1.0.0.0", "character 0x2e at offset 5" },
        { "1.0.0x", "character 0x78 at offset 5" },
        { "9007199254740993.0.0", "major version is larger than 2^53" },
        { "1.9007199254740993.0", "minor version is larger than 2^53" },
        { "1.0.18446744073709551616", "patch version is larger than 2^53" }, /* 2^64 */
        { "99999999999999999999999999999.0.0", "major version is larger than 2^53" },
        { long200, "longer than 128 bytes" },
    };
    char why[128];
    uint64_t major = 7;
    int c = 42;

    (void)state;
    memset(long200, 'a', sizeof(long200) - 1);
    memcpy(long200, "1.0.0-", 6);
    for (size_t i = 0; i < N_OF(cases); i++) {
        why[0] = '\0';
        assert_int_equal(hm_semver_check(cases[i].s, why, sizeof(why)), HM_E_INVALID);
        if (strstr(why, cases[i].why) == NULL) {
            fail_msg("case %zu \"%s\": reason \"%s\", wanted \"%s\"", i, cases[i].s, why,
                     cases[i].why);
        }
        assert_int_equal(hm_semver_cmp(cases[i].s, "1.0.0", &c), HM_E_INVALID);
        assert_int_equal(c, 0);
        assert_int_equal(hm_semver_cmp("1.0.0", cases[i].s, &c), HM_E_INVALID);
        assert_int_equal(c, 0);
        assert_int_equal(hm_semver_major(cases[i].s, &major), HM_E_INVALID);
        assert_int_equal(major, 0);
    }
    assert_int_equal(hm_semver_check(NULL, why, sizeof(why)), HM_E_INVALID);
}

/* HM_SEMVER_MAX_LEN is inclusive: 128 bytes pass, 129 do not. */
static void
test_semver_length_limit(void **state)
{
    char v[HM_SEMVER_MAX_LEN + 2];
    char why[64];

    (void)state;
    memset(v, 'a', sizeof(v));
    memcpy(v, "1.0.0-", 6);
    v[HM_SEMVER_MAX_LEN] = '\0';
    assert_int_equal(hm_semver_check(v, why, sizeof(why)), HM_OK);
    v[HM_SEMVER_MAX_LEN] = 'a';
    v[HM_SEMVER_MAX_LEN + 1] = '\0';
    assert_int_equal(hm_semver_check(v, why, sizeof(why)), HM_E_INVALID);
    assert_string_equal(why, "longer than 128 bytes");
}

static void
test_semver_major(void **state)
{
    static const struct {
        const char *s;
        uint64_t major;
    } cases[] = {
        { "3.2.1", 3 },
        { "0.1.0-rc.1+b", 0 },
        { "9007199254740992.0.0", (uint64_t)1 << 53 },
    };
    uint64_t major = 0;

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        assert_int_equal(hm_semver_major(cases[i].s, &major), HM_OK);
        assert_int_equal(major, cases[i].major);
    }
}

/* A short reason buffer is truncated and stays a string; a NULL one is allowed. */
static void
test_semver_why_buffer(void **state)
{
    char why[8];

    (void)state;
    memset(why, 'x', sizeof(why));
    assert_int_equal(hm_semver_check("v1", why, sizeof(why)), HM_E_INVALID);
    assert_int_equal(strlen(why), sizeof(why) - 1);
    assert_int_equal(hm_semver_check("v1", NULL, 0), HM_E_INVALID);
    assert_int_equal(hm_semver_check("v1", why, 0), HM_E_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_semver_spec_precedence_chain),
        cmocka_unit_test(test_semver_precedence_rules),
        cmocka_unit_test(test_semver_build_metadata_equal),
        cmocka_unit_test(test_semver_valid_versions),
        cmocka_unit_test(test_semver_hostile),
        cmocka_unit_test(test_semver_length_limit),
        cmocka_unit_test(test_semver_major),
        cmocka_unit_test(test_semver_why_buffer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_daemon_http.c: the HTTP/1.1 head parser: what it takes, and the ambiguous or
 * hostile heads it refuses (each with its status).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http_int.h"

static int
parse(const char *s, struct hmd_http_head *h)
{
    return hmd_http_parse_head(s, strlen(s), h);
}

static void
test_http_parses_a_sign_request_head(void **state)
{
    struct hmd_http_head h;

    (void)state;
    assert_int_equal(
        parse("POST /v1/sign?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type: "
              "application/json\r\nContent-Length:  42 \r\nExpect: 100-continue\r\n\r\n",
              &h),
        0);
    assert_string_equal(h.method, "POST");
    assert_string_equal(h.path, "/v1/sign");
    assert_int_equal(h.minor, 1);
    assert_true(h.has_cl);
    assert_int_equal(h.content_length, 42);
    assert_false(h.has_te);
    assert_true(h.has_ct);
    assert_string_equal(h.content_type, "application/json");
    assert_true(h.keep_alive);
    assert_true(h.expect_continue);
    assert_int_equal(parse("GET /healthz HTTP/1.0\r\n\r\n", &h), 0);
    assert_false(h.keep_alive);
    assert_int_equal(parse("GET /healthz HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n", &h),
                     0);
    assert_false(h.keep_alive);
}

static void
test_http_refuses_hostile_heads(void **state)
{
    static const struct {
        const char *head;
        int status;
    } cases[] = {
        { "POST /v1/sign HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 400 },
        { "POST /v1/sign HTTP/1.1\r\nContent-Length: +5\r\n\r\n", 400 },
        { "POST /v1/sign HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", 400 },
        { "POST /v1/sign HTTP/1.1\r\nContent-Length: 9999999999999999\r\n\r\n", 400 },
        { "POST /v1/sign HTTP/1.1\r\nContent-Length : 5\r\n\r\n", 400 }, /* space before ':' */
        { "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400 },                 /* obs-fold */
        { "GET / HTTP/1.1\nX: a\r\n\r\n", 400 },                         /* bare LF */
        { "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400 },                    /* bare CR */
        { "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", 400 },
        { "get / HTTP/1.1\r\n\r\n", 400 },
        { "GET  / HTTP/1.1\r\n\r\n", 400 },
        { "GET http://a/ HTTP/1.1\r\n\r\n", 400 },
        { "GET / HTTP/2.0\r\n\r\n", 400 },
        { "GET / HTTP/1.2\r\n\r\n", 505 },
        { "GET / HTTP/1.1 x\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", 417 },
        { "\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\n", 400 },
    };
    struct hmd_http_head h;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int st = parse(cases[i].head, &h);
        if (st != cases[i].status) {
            fail_msg("case %zu: want %d got %d", i, cases[i].status, st);
        }
        assert_non_null(h.why);
    }
}

static void
test_http_limits_header_count_and_target(void **state)
{
    char buf[8192];
    size_t n = 0;
    struct hmd_http_head h;

    (void)state;
    n += (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
    for (int i = 0; i < HMD_MAX_HEADERS + 1; i++) {
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: y\r\n", i);
    }
    snprintf(buf + n, sizeof(buf) - n, "\r\n");
    assert_int_equal(parse(buf, &h), 431);
    memset(buf, 'a', sizeof(buf));
    memcpy(buf, "GET /", 5);
    memcpy(buf + 5 + HMD_MAX_TARGET, " HTTP/1.1\r\n\r\n", 14);
    assert_int_equal(parse(buf, &h), 414);
}

static void
test_http_marks_chunked_bodies(void **state)
{
    struct hmd_http_head h;

    (void)state;
    assert_int_equal(parse("POST /v1/sign HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", &h), 0);
    assert_true(h.has_te); /* the server refuses it with 411 */
    assert_false(h.has_cl);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_parses_a_sign_request_head),
        cmocka_unit_test(test_http_refuses_hostile_heads),
        cmocka_unit_test(test_http_limits_header_count_and_target),
        cmocka_unit_test(test_http_marks_chunked_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_page_html.c: the page's building blocks (signer/daemon/page_html.c, page_checks.c)
 * without a browser: every value is escaped, the CSP carries the hash of the one style the
 * page has, and a log entry with hostile text (a version "<script>...") comes out as text
 * next to the checks that passed; an entry that is not a leaf is reported, not rendered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "page_int.h"

#define NOW INT64_C(1795824000) /* 2026-11-28 */

static char *
text_of(struct hm_buf *b)
{
    size_t len = 0;

    assert_int_equal(hm_buf_status(b), HM_OK);
    return (char *)hm_buf_steal(b, &len);
}

static void
test_escape(void **state)
{
    struct hm_buf b;
    char *s;

    (void)state;
    hm_buf_init(&b, 0);
    page_esc(&b, "a<script>&\"'\x01\x7f z");
    s = text_of(&b);
    assert_string_equal(s, "a&lt;script&gt;&amp;&quot;&#39;\xEF\xBF\xBD\xEF\xBF\xBD z");
    free(s);
    hm_buf_free(&b);
}

static void
test_csp_has_the_style_hash(void **state)
{
    const char *h = page_headers();
    struct hm_buf b;
    uint8_t d[32];
    unsigned n = 0;
    char *s, *start, *end, want[128];
    unsigned char b64[64];

    (void)state;
    hm_buf_init(&b, 0);
    page_open(&b, "T<i>");
    page_close(&b);
    s = text_of(&b);
    assert_non_null(strstr(s, "<title>T&lt;i&gt;</title>"));
    start = strstr(s, "<style>") + 7;
    end = strstr(start, "</style>");
    assert_non_null(end);
    assert_int_equal(EVP_Digest(start, (size_t)(end - start), d, &n, EVP_sha256(), NULL), 1);
    EVP_EncodeBlock(b64, d, 32);
    snprintf(want, sizeof(want), "style-src 'sha256-%s'", b64);
    assert_non_null(strstr(h, want));
    assert_non_null(strstr(h, "Content-Security-Policy: default-src 'none';"));
    assert_non_null(strstr(h, "frame-ancestors 'none'"));
    assert_null(strstr(h, "unsafe"));
    assert_null(strstr(s, "<script"));
    free(s);
    hm_buf_free(&b);
}

/* tests/fuzz/corpus/page/entry-1.bin: a steward attestation's leaf \0 its bundle, as
 * hallmarkd logged it (signed by the key below). */
static void
seed(uint8_t **buf, size_t *len)
{
    char path[4096];
    const char *src = getenv("HM_SRC");

    assert_non_null(src);
    snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/page/entry-1.bin", src);
    assert_int_equal(hm_read_file(path, 1u << 20, buf, len), HM_OK);
}

static void
render(const uint8_t *leaf, size_t leaf_len, const char *bundle, char **log, char **cards)
{
    struct page_keyset ks = { .n = 1 };
    struct hm_buf l, c;

    /* the signer's key: the one the leaf names, when it names one */
    const char *k = memmem(leaf, leaf_len, "\"keyid\":\"", 9);
    if (k != NULL) {
        snprintf(ks.keyid[0], sizeof(ks.keyid[0]), "%.*s", (int)strcspn(k + 9, "\""), k + 9);
    }
    hm_buf_init(&l, 0);
    hm_buf_init(&c, 0);
    page_entry(&l, &c, 1, leaf, leaf_len, bundle, bundle != NULL ? strlen(bundle) : 0, &ks, NOW);
    hm_buf_puts(&c, ""); /* an empty buffer still steals as "" */
    *log = text_of(&l);
    *cards = text_of(&c);
    hm_buf_free(&l);
    hm_buf_free(&c);
}

static void
test_hostile_entry_is_text(void **state)
{
    size_t len = 0;
    uint8_t *buf = NULL;
    const uint8_t *nulp;
    char leaf[8192], *log = NULL, *cards = NULL;
    const char *atp;
    size_t leaf_len, nul, at; /* offsets into buf */

    (void)state;
    seed(&buf, &len);
    nulp = memchr(buf, 0, len);
    assert_non_null(nulp);
    nul = (size_t)(nulp - buf);
    leaf_len = nul;
    assert_true(leaf_len + 64 < sizeof(leaf));
    /* the genuine entry: every check passes */
    memcpy(leaf, buf, leaf_len);
    render((uint8_t *)leaf, leaf_len, (char *)buf + nul + 1, &log, &cards);
    assert_non_null(strstr(log, "Steward attestation"));
    assert_null(strstr(log, "FAILED"));
    assert_non_null(strstr(log, "passed</b> signature and predicate"));
    assert_non_null(strstr(cards, "pkg:github/madler/zlib"));
    free(log);
    free(cards);
    /* the same leaf with a hostile version in its hallmark member */
    atp = strstr((char *)buf, "\"predicateType\":");
    assert_non_null(atp);
    at = (size_t)(atp - (char *)buf);
    leaf_len =
        (size_t)snprintf(leaf, sizeof(leaf), "%.*s\"version\":\"<script>alert(1)</script>\",%.*s",
                         (int)at, (char *)buf, (int)(nul - at), (char *)buf + at);
    render((uint8_t *)leaf, leaf_len, (char *)buf + nul + 1, &log, &cards);
    assert_non_null(strstr(log, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_null(strstr(log, "<script"));
    free(log);
    free(cards);
    /* not a leaf at all: reported, with the hostile bytes escaped */
    render((uint8_t *)"<script>x</script>", 18, NULL, &log, &cards);
    assert_non_null(strstr(log, "FAILED</b> log entry"));
    assert_null(strstr(log, "<script"));
    assert_string_equal(cards, "");
    free(log);
    free(cards);
    free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_csp_has_the_style_hash),
        cmocka_unit_test(test_hostile_entry_is_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

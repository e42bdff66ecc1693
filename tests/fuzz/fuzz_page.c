/*
 * fuzz_page.c: one log entry of hallmarkd's page (signer/daemon/page_checks.c) from
 * arbitrary bytes: "LEAF \0 BUNDLE", as hmd_log_recent hands them over.  Log entries are
 * attacker-influenced; the invariant is that nothing of them becomes markup: the HTML the
 * entry makes holds no element but the page's own (section, h3, p, b, code, ul, li).
 */
#include <stdlib.h>
#include <string.h>

#include "page_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
own_markup(const char *html, size_t len)
{
    static const char *const tags[] = { "section ", "/section>", "h3>", "/h3>",  "p>",
                                        "/p>",      "b>",        "/b>", "code>", "/code>",
                                        "ul ",      "/ul>",      "li ", "/li>" };

    for (const char *p = memchr(html, '<', len); p != NULL;
         p = memchr(p + 1, '<', len - (size_t)(p + 1 - html))) {
        bool known = false;
        for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]) && !known; i++) {
            known = strncmp(p + 1, tags[i], strlen(tags[i])) == 0;
        }
        if (!known) {
            return false;
        }
    }
    return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct page_keyset ks = { .n = 1 };
    const uint8_t *nul = memchr(data, 0, size);
    size_t leaf_len = nul != NULL ? (size_t)(nul - data) : size;
    char *bundle = NULL;
    struct hm_buf log, stewards;

    strcpy(ks.keyid[0], "PjIXGADkunS/C0kxbKmpLzvTpTFZKN49W6vWi3jI/zU=");
    if (nul != NULL) {
        size_t blen = size - leaf_len - 1;
        if ((bundle = malloc(blen + 1)) == NULL) {
            return 0;
        }
        memcpy(bundle, nul + 1, blen);
        bundle[blen] = '\0';
    }
    hm_buf_init(&log, 0);
    hm_buf_init(&stewards, 0);
    page_entry(&log, &stewards, 7, data, leaf_len, bundle, bundle ? strlen(bundle) : 0, &ks,
               1795824000);
    if ((log.len > 0 && !own_markup((const char *)log.data, log.len)) ||
        (stewards.len > 0 && !own_markup((const char *)stewards.data, stewards.len))) {
        abort();
    }
    hm_buf_free(&log);
    hm_buf_free(&stewards);
    free(bundle);
    return 0;
}

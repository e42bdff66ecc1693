/*
 * page_int.h: the read-only page at GET / (page.c, page_html.c, page_checks.c).
 *
 * Everything the page shows comes from the log, the keys list or the config, and log
 * entries are attacker-influenced (a product or steward name is whatever a client sent):
 * every value goes through page_esc.  The page loads nothing and runs no script; its one
 * inline style is allowed by its hash in the Content-Security-Policy.
 */
#ifndef HM_SIGNER_PAGE_INT_H
#define HM_SIGNER_PAGE_INT_H

#include <hm/common.h>

#define PAGE_MAX_ENTRIES 50u /* log entries shown, newest first */
#define PAGE_MAX_KEYS    64u

/* ---- page_html.c ---- */
/* The header lines of the reply: CSP with the style's hash, frame-ancestors 'none',
 * Referrer-Policy; built once. */
const char *page_headers(void);
/* <!doctype> .. <body><h1>..: title and the inline style. */
void page_open(struct hm_buf *b, const char *title);
void page_close(struct hm_buf *b);
/* s with & < > " ' as character references, control characters as U+FFFD (a page is
 * one line a person reads per field). */
void page_esc(struct hm_buf *b, const char *s);
/* One check: <li class="ok|fail|skip"><b>passed|FAILED|not checked</b> what: detail</li> */
enum page_verdict { PAGE_OK = 0, PAGE_FAIL, PAGE_SKIP };
void page_check(struct hm_buf *b, enum page_verdict v, const char *what, const char *detail);
/* "2026-11-28 04:05:06 UTC" */
void page_time(struct hm_buf *b, int64_t t);

/* ---- page_checks.c: the same C code as libhallmark-verify's users run ---- */
struct page_keyset {
    char keyid[PAGE_MAX_KEYS][64];
    size_t n;
};
/* The keys section from GET /v1/keys's JSON; fills ks with the key ids. */
void page_keys(struct hm_buf *b, const char *keys_json, int64_t now, struct page_keyset *ks);
/* One log entry: a row in *log and, for a steward attestation, a card in *stewards. */
void page_entry(struct hm_buf *log, struct hm_buf *stewards, uint64_t index, const uint8_t *leaf,
                size_t leaf_len, const char *bundle, size_t bundle_len,
                const struct page_keyset *ks, int64_t now);

#endif /* HM_SIGNER_PAGE_INT_H */

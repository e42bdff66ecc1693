/*
 * attest_int.h: private helpers of hm_attest (not on any other target's include path).
 */
#ifndef HM_ATTEST_INT_H
#define HM_ATTEST_INT_H

#include <hm/attest.h>

/* Appends s as a JSON string: '"' and '\\' escaped, control bytes as \u00XX, UTF-8 as is
 * (the callers have checked it).  Our writers emit no other escapes, so the output is
 * the same bytes every time. */
void hm_attest_json_str(struct hm_buf *b, const char *s);
/* Printable ASCII (0x20..0x7e) of 1..max bytes. */
bool hm_attest_printable(const char *s, size_t max);

#endif /* HM_ATTEST_INT_H */

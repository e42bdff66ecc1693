/* json_int.h: private to common/json. */
#ifndef HM_JSON_INT_H
#define HM_JSON_INT_H

#include <hm/json.h>

HM_MUST_CHECK hm_err hm_json_scan(const uint8_t *buf, size_t len, const struct hm_json_limits *lim,
                                  struct hm_json_error *err);
size_t hm_json_utf8_len(const uint8_t *p, size_t n);

#endif

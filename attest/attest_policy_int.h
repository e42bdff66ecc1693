/*
 * attest_policy_int.h: private to hm_attest, shared by vsa.c and approval.c.
 */
#ifndef HM_ATTEST_POLICY_INT_H
#define HM_ATTEST_POLICY_INT_H

#include <hm/attest_policy.h>

#include "attest_int.h"

/* "subject":[{"name":..,"digest":{"sha256":..,"sha512":..}},...] */
void hm_attest_policy_subjects(struct hm_buf *b, const struct hm_artifact *arts, size_t n);
/* The artifacts pass the release statement's checks (names, sizes, uniqueness). */
HM_MUST_CHECK hm_err hm_attest_policy_check_artifacts(const struct hm_artifact *arts, size_t n);

#endif /* HM_ATTEST_POLICY_INT_H */

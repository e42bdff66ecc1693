/*
 * privsep_int.h: private to hsm/: the parts of the helper protocol that only the helper
 * and the remote backend use.
 */
#ifndef HM_PRIVSEP_INT_H
#define HM_PRIVSEP_INT_H

#include <hm/privsep.h>

struct hm_key;
struct hm_keyatt;

/* The remote backend's answers to hm/keyevidence.h (privsep_keyatt.c), from the evidence the
 * helper sent with its key list.  ps_is: hsm is the remote backend. */
bool ps_is(const struct hm_hsm *hsm);
/* "pkcs11" for a key the helper sent PKCS#11 evidence for, else "privsep". */
const char *ps_key_backend(const struct hm_key *key);
/* The self-asserted statement's content for key, bound to nonce; HM_E_NOTFOUND when the
 * helper sent no evidence for it. */
HM_MUST_CHECK hm_err ps_attest_key(struct hm_key *key, const uint8_t *nonce, size_t nonce_len,
                                   struct hm_keyatt **out);

/* Printable ASCII (0x20..0x7e) only: what an evidence text may hold on the wire (the
 * helper checks before it sends, the parser on receipt; privsep_proto.c). */
bool ps_printable(const uint8_t *p, size_t n);

/* Closes every fd >= first: close_range(2), or one by one up to the fd limit where the
 * kernel lacks it (before 5.9).  For a process that starts with fds it must not keep. */
void ps_close_from(int first);

#endif /* HM_PRIVSEP_INT_H */

/*
 * hsm_test_util.h: what the SoftHSM tests share: a private token per test under
 * $TMPDIR, OpenSSL verification from the key's SPKI, stderr capture, shim control.
 */
#ifndef HM_HSM_TEST_UTIL_H
#define HM_HSM_TEST_UTIL_H

#include <hm/hsm.h>
#include <limits.h>

struct hsm_fixture {
    char dir[1024];              /* the state folder (a fresh mkdtemp) */
    char label[33];              /* token label */
    char uri[2 * PATH_MAX];      /* token URI straight at SoftHSM, with pin-source */
    char shim_uri[3 * PATH_MAX]; /* the same token through hm_pkcs11_shim.so */
    char ctl[PATH_MAX + 16];     /* the shim's control file */
};

/* Makes a state folder and a token in it; 0 on success. */
int hsm_fixture_setup(struct hsm_fixture *f, const char *label);
void hsm_fixture_teardown(struct hsm_fixture *f);

/* Verifies with OpenSSL from the key's SPKI alone (never through the HSM). */
bool hsm_verify(const struct hm_key *key, const uint8_t *msg, size_t len, const uint8_t *sig,
                size_t sig_len, enum hm_sig_enc enc);
bool hsm_verify_digest(const struct hm_key *key, const uint8_t *dg, size_t dlen, const uint8_t *sig,
                       size_t sig_len, enum hm_sig_enc enc);

/* Sends fd 2 to a temporary file until hsm_capture_end, which returns what was written
 * (malloc'ed, NUL-terminated). */
void hsm_capture_begin(void);
char *hsm_capture_end(void);

/* Replaces the shim's control file (atomically; a sequence number makes every setting
 * differ from the last). */
void hsm_shim_set(const struct hsm_fixture *f, const char *text);

/* Reads a small file into a NUL-terminated buffer (trailing newline removed). */
char *hsm_read_text(const char *path);

#endif /* HM_HSM_TEST_UTIL_H */

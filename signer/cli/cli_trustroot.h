/* cli_trustroot.h: what cli_trustroot.c (the commands) and cli_trustroot_doc.c (the root
 * document and its signatures) share.  Private to the CLI. */
#ifndef HM_CLI_TRUSTROOT_H
#define HM_CLI_TRUSTROOT_H

#include <hm/json.h>
#include <hm/verify.h>

#include "cli.h"

/* Who signs: PEM private key files and keys in the token, in the order given. */
struct tr_signers;
/* names: "FILE.pem" (a PEM private key) or a token key label / pkcs11: URI. */
int tr_signers_open(const char *const *names, size_t n, const struct cli_token_opts *tok,
                    struct tr_signers **out);
void tr_signers_close(struct tr_signers *s);

/* Entries of the root document (docs/trust-root.md); each returns CLI_OK or CLI_USAGE
 * after saying what is wrong. */
int tr_doc_add_key(cJSON *keys, const char *spec); /* PEM:products=a,b[:valid-from=T]... */
int tr_doc_add_root_key(cJSON *root_keys, const char *pem_path);
int tr_doc_add_log(cJSON *logs, const char *spec); /* ORIGIN=PUB.pem */
int tr_doc_add_log_vkey(cJSON *logs, const char *vkey);
int tr_doc_add_witness(cJSON *witnesses, const char *vkey);
/* Removes the elements whose field equals value; returns how many. */
size_t tr_doc_remove(cJSON *arr, const char *field, const char *value);
/* RFC 3339, or a date meaning its first second (UTC). */
int tr_parse_when(const char *s, int64_t *out);

/* The envelope of payload with the signatures of old (may be NULL) and of every signer not
 * already among them.  *out is malloc'ed JSON. */
int tr_envelope(const uint8_t *payload, size_t len, const struct hm_dsse *old, struct tr_signers *s,
                char **out, size_t *out_len);

/* A summary of a verified root, for `hallmark trust-root show`. */
void tr_print_root(const struct hm_trustroot *tr);
/* Whether buf is a root a device accepts holding the very document cur holds. */
bool tr_same_root(const struct hm_trustroot *cur, const uint8_t *buf, size_t len);

#endif

/*
 * fuzz_pkcs11_uri.c: the RFC 7512 parser (hsm/pkcs11_uri.c).  Besides memory errors it
 * checks a property: the key URI we print from a parsed token/object/id parses back to
 * the same values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hsm_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
roundtrip(const struct hm_p11_uri *u)
{
    struct hm_p11_uri *v = NULL;
    const char *reason = NULL;
    char *s = NULL;

    if (hm_p11_uri_format_key(u->token, u->object, u->has_id ? u->id : NULL, u->id_len, &s) !=
        HM_OK) {
        abort(); /* every parsed value fits in a printed URI */
    }
    if (hm_p11_uri_parse(s, &reason, &v) != HM_OK) {
        abort();
    }
    if ((u->token == NULL) != (v->token == NULL) ||
        (u->token != NULL && strcmp(u->token, v->token) != 0) ||
        (u->object == NULL) != (v->object == NULL) ||
        (u->object != NULL && strcmp(u->object, v->object) != 0) || u->has_id != v->has_id ||
        u->id_len != v->id_len || (u->has_id && memcmp(u->id, v->id, u->id_len) != 0)) {
        abort();
    }
    hm_p11_uri_free(v);
    free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hm_p11_uri *u = NULL;
    const char *reason = NULL;
    char *s = malloc(size + 1);

    if (s == NULL) {
        return 0;
    }
    memcpy(s, data, size);
    s[size] = '\0';
    if (hm_p11_uri_parse(s, &reason, &u) == HM_OK) {
        roundtrip(u);
        hm_p11_uri_free(u);
    } else if (u != NULL || reason == NULL) {
        abort(); /* nothing handed out on failure, and always a reason */
    }
    free(s);
    return 0;
}

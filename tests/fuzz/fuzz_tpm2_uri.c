/*
 * fuzz_tpm2_uri.c: the tpm2: key URI parser (hsm/tpm2_uri.c), which reads the config's
 * key URIs and the CLI's --key.  Besides memory errors: nothing is handed out on
 * failure, a refusal always carries a reason, a URI never yields both a handle and a
 * blob, a handle is a persistent one, and a blob path formats back to a URI that parses
 * to the same path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tpm2_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_blob(const char *blob)
{
    struct tpm2_uri *again = NULL;
    const char *why = NULL;
    char *uri = NULL;

    if (tpm2_uri_format_blob(blob, &uri) != HM_OK) {
        return; /* not every parsed path is one we would write */
    }
    if (tpm2_uri_parse(uri, &why, &again) != HM_OK || again->blob == NULL ||
        strcmp(again->blob, blob) != 0) {
        abort(); /* what we print must read back to the same key */
    }
    tpm2_uri_free(again);
    free(uri);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tpm2_uri *u = NULL;
    const char *why = NULL;
    char *s = malloc(size + 1);

    if (s == NULL) {
        return 0;
    }
    memcpy(s, data, size);
    s[size] = '\0';
    if (tpm2_uri_parse(s, &why, &u) != HM_OK) {
        if (u != NULL || why == NULL) {
            abort();
        }
    } else {
        if (u->has_handle && u->blob != NULL) {
            abort();
        }
        if (u->has_handle && (u->handle < TPM2_PERSIST_FIRST || u->handle > TPM2_PERSIST_LAST)) {
            abort();
        }
        if (u->blob != NULL) {
            check_blob(u->blob);
        }
        tpm2_uri_free(u);
    }
    free(s);
    return 0;
}

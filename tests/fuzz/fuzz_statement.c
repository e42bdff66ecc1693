/*
 * fuzz_statement.c: hm_statement_parse on arbitrary bytes (the payload a device reads
 * after the signature has verified: a signer's bug must not become a device's crash).
 */
#include <hm/verify.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hm_statement *st = NULL;
    char why[256] = "";

    if (hm_statement_parse(data, size, &st, why, sizeof(why)) != HM_OK) {
        if (st != NULL || strchr(why, '\n') != NULL) {
            abort();
        }
        return 0;
    }
    if (st->n_subjects == 0 || st->n_subjects > HM_MAX_SUBJECTS || st->predicate_type == NULL) {
        abort();
    }
    for (size_t i = 0; i < st->n_subjects; i++) {
        if (!st->subjects[i].has_sha256 && !st->subjects[i].has_sha512) {
            abort();
        }
    }
    if (st->release != NULL && (st->release->product == NULL || st->release->version == NULL)) {
        abort();
    }
    hm_statement_free(st);
    return 0;
}

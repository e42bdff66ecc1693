/*
 * fuzz_steward.c: hm_steward_parse_input on arbitrary bytes (a steward's input file, or a
 * request body once hallmarkd takes them), and hm_steward_parse_predicate on the same
 * bytes (a statement a verifier or the page reads).  Invariants: a refusal hands nothing
 * out and gives a one-line reason; what the input parser accepts serialises, reads back,
 * and serialises to the same bytes; hm_steward_check never fails on an accepted one.
 */
#include <hm/steward.h>
#include <stdlib.h>
#include <string.h>

#define NOW INT64_C(1780272000) /* 2026-06-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(const struct hm_steward *st)
{
    struct hm_steward *back = NULL;
    uint8_t *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    char why[256] = "";
    hm_err err;

    if ((err = hm_steward_statement(st, &a, &alen)) != HM_OK) {
        if (err != HM_E_LIMIT || a != NULL) {
            abort(); /* accepted facts must be writable */
        }
        return;
    }
    if (hm_steward_parse_predicate(a, alen, &back, why, sizeof(why)) != HM_OK ||
        hm_steward_statement(back, &b, &blen) != HM_OK || alen != blen || memcmp(a, b, alen) != 0) {
        abort(); /* what we write, we read back to the same facts */
    }
    if (hm_steward_check(back, NULL, back->time_assessed, why, sizeof(why)) != HM_STEWARD_OK) {
        abort();
    }
    hm_steward_free(back);
    free(a);
    free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hm_steward *st = NULL;
    char why[256] = "";

    if (hm_steward_parse_input(data, size, NOW, &st, why, sizeof(why)) != HM_OK) {
        if (st != NULL || why[0] == '\0' || strchr(why, '\n') != NULL) {
            abort();
        }
    } else {
        if (st->n_subjects == 0 || st->n_requirements == 0 || st->expires <= NOW) {
            abort();
        }
        round_trip(st);
        hm_steward_free(st);
        st = NULL;
    }
    if (hm_steward_parse_predicate(data, size, &st, why, sizeof(why)) == HM_OK) {
        round_trip(st);
        hm_steward_free(st);
    } else if (st != NULL || why[0] == '\0') {
        abort();
    }
    return 0;
}

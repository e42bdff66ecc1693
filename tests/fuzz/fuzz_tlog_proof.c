/*
 * fuzz_tlog_proof.c: hm_tlog_proof_parse on arbitrary bytes.  A proof that parses must
 * format back to the same bytes, and verification (log key, one witness, quorum 1) must
 * never crash.
 */
#include <hm/tlog.h>
#include <stdlib.h>
#include <string.h>

#define VKEY "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hm_tlog_verifier *key, *witness;
    static const uint8_t pk[32] = { /* the signed-note test key, as a cosigner */
                                    0xe9, 0x32, 0x79, 0x1a, 0xe6, 0xe7, 0xa8, 0x40,
                                    0xa4, 0x61, 0x64, 0xc9, 0x04, 0x78, 0x64, 0x26,
                                    0xd5, 0xe7, 0x82, 0x1d, 0xd8, 0xb2, 0x9a, 0x00,
                                    0xd6, 0x1c, 0xae, 0x72, 0xaf, 0xdd, 0x4d, 0xa4
    };
    const struct hm_tlog_verifier *w[1];
    struct hm_tlog_trust trust = { 0 };
    struct hm_tlog_proof *p = NULL;
    const uint8_t *extra, *note;
    size_t extra_len = 0, note_len = 0, len = 0;
    uint8_t leaf[32] = { 0 };
    char *again = NULL;

    if (key == NULL && (hm_tlog_verifier_parse(VKEY, strlen(VKEY), &key) != HM_OK ||
                        hm_tlog_verifier_new(HM_TLOG_SIG_COSIG_ED25519, "w.example", pk, sizeof(pk),
                                             &witness) != HM_OK)) {
        abort();
    }
    if (hm_tlog_proof_parse(data, size, &p) != HM_OK) {
        if (p != NULL) {
            abort();
        }
        return 0;
    }
    extra = hm_tlog_proof_extra(p, &extra_len);
    note = hm_tlog_proof_note(p, &note_len);
    if (hm_tlog_proof_format(extra, extra_len, hm_tlog_proof_index(p), hm_tlog_proof_path(p), note,
                             note_len, &again, &len) != HM_OK ||
        len != size || memcmp(again, data, size) != 0) {
        abort(); /* two encodings of one proof */
    }
    free(again);
    w[0] = witness;
    trust.log_key = key;
    trust.witnesses = w;
    trust.n_witnesses = 1;
    trust.witness_quorum = 1;
    if (hm_tlog_proof_verify(p, leaf, &trust) == HM_OK) {
        abort(); /* nobody holds the witness key: nothing can reach the quorum */
    }
    hm_tlog_proof_free(p);
    return 0;
}

/* cli_log_int.h: shared by the monitor's files (cli_log_mon.c, cli_log_walk.c). */
#ifndef HM_CLI_LOG_INT_H
#define HM_CLI_LOG_INT_H

#include <stdarg.h>

#include "cli_log.h"

struct mon {
    const struct cli_log_src *src;
    const struct cli_log_mon_opts *o;
    struct cli_log_mon_result *res;
    uint8_t *note; /* the checkpoint as served */
    size_t note_len;
    struct hm_tlog_checkpoint *cp; /* verified */
    struct cli_log_state *st;      /* the last run's, or NULL */
    /* The last complete subtree at each level, kept up to date while walking: at the end
     * the nodes of the set bits of the size are the new right edge. */
    struct hm_tlog_node_hash edge[64];
    uint8_t (*leaf_hashes)[HM_TLOG_HASH_LEN]; /* of the walked entries, for the diagnosis */
};

void mon_fail(struct mon *m, enum cli_log_fail f, const char *fmt, ...) HM_PRINTF(3, 4);
void mon_b64(const uint8_t h[HM_TLOG_HASH_LEN], char out[48]);
HM_MUST_CHECK hm_err mon_get(struct mon *m, const char *path, uint8_t **body, size_t *len,
                             int *status);
/* Writes s as a JSON string (quoted, escaped). */
void mon_json_string(FILE *f, const char *s);
/* Step 3 (cli_log_walk.c). */
HM_MUST_CHECK hm_err mon_walk(struct mon *m);

#endif

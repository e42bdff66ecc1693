/*
 * fuzz_vex.c: hm_vex_parse on arbitrary bytes; a parsed document is then applied to the
 * findings of a fixed SBOM and feed.  Beyond not crashing: nothing is handed out on failure;
 * a finding is cleared only by the status fixed or by not_affected with a justification, and
 * only when a statement applied.
 */
#include <stdlib.h>
#include <string.h>

#include "vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char SBOM[] =
    "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"metadata\":{\"component\":{\"name\":"
    "\"app\",\"version\":\"1.0.0\",\"purl\":\"pkg:npm/app@1.0.0\"}},\"components\":["
    "{\"name\":\"lodash\",\"version\":\"4.17.20\",\"purl\":\"pkg:npm/lodash@4.17.20\"}]}";
static const char OSV[] =
    "{\"id\":\"GHSA-35jh-r3h4-6jhm\",\"aliases\":[\"CVE-2021-23337\"],\"affected\":[{\"package\":"
    "{\"ecosystem\":\"npm\",\"name\":\"lodash\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":"
    "[{\"introduced\":\"0\"},{\"fixed\":\"4.17.21\"}]}]}]}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hm_sbom *sbom;
    static struct hm_vulnfeed *feed;
    struct hm_vex *vex = NULL;
    struct hm_vuln_finding *f = NULL;
    size_t n = 0;
    char why[256] = "";

    if (sbom == NULL && (hm_sbom_parse(SBOM, strlen(SBOM), &sbom, why, sizeof(why)) != HM_OK ||
                         hm_vulnfeed_new(&feed) != HM_OK ||
                         hm_vulnfeed_add_osv(feed, OSV, strlen(OSV), why, sizeof(why)) != HM_OK)) {
        abort();
    }
    if (hm_vex_parse(data, size, &vex, why, sizeof(why)) != HM_OK) {
        if (vex != NULL || memchr(why, '\0', sizeof(why)) == NULL) {
            abort();
        }
        return 0;
    }
    {
        const struct hm_vex *const docs[] = { vex };

        if (hm_vuln_match(feed, sbom, docs, 1, 1796000000, &f, &n) != HM_OK || n != 1) {
            abort();
        }
    }
    if (f[0].cleared && (!f[0].vex_applied || !(f[0].vex_status == HM_VEX_FIXED ||
                                                (f[0].vex_status == HM_VEX_NOT_AFFECTED &&
                                                 f[0].vex_justification != NULL)))) {
        abort();
    }
    hm_vuln_findings_free(f, n);
    hm_vex_free(vex);
    return 0;
}

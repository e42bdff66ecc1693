/*
 * fuzz_osv.c: one OSV record from arbitrary bytes into a feed, then matched against an SBOM
 * of components in several ecosystems (npm, Go, Maven, PyPI, a GitHub repository), so that
 * the range evaluation runs on whatever events the record holds.  Beyond not crashing: a
 * refused record leaves the feed empty, and every finding carries the record's id and the
 * component's purl.
 */
#include <stdlib.h>
#include <string.h>

#include "vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char SBOM[] =
    "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"metadata\":{\"component\":{\"name\":"
    "\"fw\",\"version\":\"1.0.0\",\"purl\":\"pkg:generic/fw@1.0.0\"}},\"components\":["
    "{\"name\":\"lodash\",\"version\":\"4.17.20\",\"purl\":\"pkg:npm/lodash@4.17.20\"},"
    "{\"name\":\"net\",\"version\":\"v0.16.0\",\"purl\":\"pkg:golang/golang.org/x/net@v0.16.0\"},"
    "{\"name\":\"stdlib\",\"version\":\"1.21.0-rc.1\",\"purl\":\"pkg:golang/stdlib@1.21.0-rc.1\"},"
    "{\"name\":\"log4j\",\"version\":\"2.14.1\",\"purl\":"
    "\"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1\"},"
    "{\"name\":\"requests\",\"version\":\"2.31\",\"purl\":\"pkg:pypi/Requests@2.31\"},"
    "{\"name\":\"mbedtls\",\"version\":\"3.6.2\",\"purl\":\"pkg:github/Mbed-TLS/"
    "mbedtls@v3.6.2\"}]}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hm_sbom *sbom;
    struct hm_vulnfeed *feed = NULL;
    struct hm_vuln_finding *f = NULL;
    size_t n = 0;
    char why[256] = "";

    if (sbom == NULL && hm_sbom_parse(SBOM, strlen(SBOM), &sbom, why, sizeof(why)) != HM_OK) {
        abort();
    }
    if (hm_vulnfeed_new(&feed) != HM_OK) {
        abort();
    }
    if (hm_vulnfeed_add_osv(feed, data, size, why, sizeof(why)) != HM_OK) {
        if (hm_vulnfeed_n_advisories(feed) != 0 || memchr(why, '\0', sizeof(why)) == NULL) {
            abort();
        }
    } else if (hm_vuln_match(feed, sbom, NULL, 0, 1796000000, &f, &n) == HM_OK) {
        for (size_t i = 0; i < n; i++) {
            if (f[i].id == NULL || f[i].component_purl == NULL || f[i].vex_applied) {
                abort();
            }
        }
        hm_vuln_findings_free(f, n);
    } else {
        abort(); /* the SBOM's purls are valid: matching cannot fail but for memory */
    }
    hm_vulnfeed_free(feed);
    return 0;
}

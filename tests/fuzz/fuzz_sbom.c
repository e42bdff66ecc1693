/*
 * fuzz_sbom.c: hm_sbom_parse on arbitrary bytes (CycloneDX 1.5/1.6, SPDX 2.3, SPDX 3.0), then
 * the minimum-elements check and describes() on whatever parsed.  Beyond not crashing:
 * nothing is handed out on failure, every finding names its element, and a finding about a
 * component names the component.
 */
#include <stdlib.h>
#include <string.h>

#include "sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ALL_ELEMENTS 0xfffu

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hm_sbom *s = NULL;
    struct hm_sbom_finding *f = NULL;
    size_t n = 0;
    char why[256] = "";

    if (hm_sbom_parse(data, size, &s, why, sizeof(why)) != HM_OK) {
        if (s != NULL || memchr(why, '\0', sizeof(why)) == NULL) {
            abort();
        }
        return 0;
    }
    if (hm_sbom_check_minimum(s, ALL_ELEMENTS, &f, &n) != HM_OK) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        bool per_component = (f[i].element & 0x67fu) != 0;

        if (f[i].text == NULL || strcmp(hm_sbom_element_name(f[i].element), "unknown") == 0 ||
            (per_component && s->has_top && f[i].component == NULL)) {
            abort();
        }
    }
    hm_sbom_findings_free(f, n);
    (void)hm_sbom_describes(s, "974adafbdf51eec9c9bd509ba580d4fbe3078f9611a26e967aaf1f86249333a0",
                            NULL);
    hm_sbom_free(s);
    return 0;
}

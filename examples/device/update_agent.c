/*
 * update_agent.c: a device's update agent, built on libhallmark-verify alone.
 *
 *   update_agent ROOT.json BUNDLE.json IMAGE STATE_DIR
 *
 * STATE_DIR/installed.json says what runs now: {"product":"acme-thermostat","version":"1.4.1"}.
 * The agent copies IMAGE to STATE_DIR/firmware.bin.new, verifies *that copy* (so the bytes it
 * installs are the bytes it checked), then installs by fsync + rename and records the new
 * version the same way, so that a power cut leaves the old or the new state, never half of
 * one.  Exit 0 installed, 1 refused, 2 usage or I/O error.  UPDATE_AGENT_NOW=unknown makes it
 * behave as a device without a clock (expiry checks skipped).
 */
#define _POSIX_C_SOURCE 200809L /* fsync, O_DIRECTORY, O_NOFOLLOW in strict C11 */

#include <errno.h>
#include <fcntl.h>
#include <hm/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define STATE_MAX 4096

struct installed {
    char product[65];
    char version[129];
};

/* Reads STATE_DIR/installed.json strictly: an object with string product and version. */
static int
read_installed(const char *dir, struct installed *out)
{
    char path[4096];
    uint8_t *buf = NULL;
    size_t len = 0;
    cJSON *root = NULL;
    const cJSON *p, *v;
    int rc = 2;

    (void)snprintf(path, sizeof(path), "%s/installed.json", dir);
    if (hm_read_file(path, STATE_MAX, &buf, &len) != HM_OK ||
        (root = cJSON_ParseWithLength((const char *)buf, len)) == NULL) {
        fprintf(stderr, "update_agent: cannot read %s\n", path);
        goto out;
    }
    p = cJSON_GetObjectItemCaseSensitive(root, "product");
    v = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (!cJSON_IsString(p) || !cJSON_IsString(v) ||
        strlen(p->valuestring) >= sizeof(out->product) ||
        strlen(v->valuestring) >= sizeof(out->version)) {
        fprintf(stderr, "update_agent: %s needs string members product and version\n", path);
        goto out;
    }
    strcpy(out->product, p->valuestring);
    strcpy(out->version, v->valuestring);
    rc = 0;
out:
    cJSON_Delete(root);
    free(buf);
    return rc;
}

static int
fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;

    if (fd >= 0) {
        close(fd);
    }
    return rc;
}

/* Copies IMAGE into a new file and syncs it; returns the fd (read/write, at offset 0). */
static int
stage_image(const char *image, const char *staged)
{
    char chunk[65536];
    int in = open(image, O_RDONLY | O_CLOEXEC);
    int out = open(staged, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    ssize_t n;

    if (in < 0 || out < 0) {
        goto fail;
    }
    while ((n = read(in, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 || write(out, chunk, (size_t)n) != n) {
            goto fail;
        }
    }
    if (fsync(out) != 0 || lseek(out, 0, SEEK_SET) != 0) {
        goto fail;
    }
    close(in);
    return out;
fail:
    fprintf(stderr, "update_agent: cannot stage %s as %s: %s\n", image, staged, strerror(errno));
    if (in >= 0) {
        close(in);
    }
    if (out >= 0) {
        close(out);
    }
    return -1;
}

/* installed.json through a temporary file, fsync and rename (hm_write_file_atomic). */
static int
record_installed(const char *dir, const struct installed *was, const char *version)
{
    char path[4096], text[512];
    int n = snprintf(text, sizeof(text), "{\"product\":\"%s\",\"version\":\"%s\"}\n", was->product,
                     version);

    (void)snprintf(path, sizeof(path), "%s/installed.json", dir);
    if (n <= 0 || (size_t)n >= sizeof(text) ||
        hm_write_file_atomic(path, text, (size_t)n, 0644) != HM_OK) {
        fprintf(stderr, "update_agent: cannot record the installed version in %s\n", path);
        return 2;
    }
    return 0;
}

static int
verify_staged(const char *root_path, const char *bundle_path, int fd, const struct installed *inst,
              struct hm_verify_result *res)
{
    struct hm_trustroot_reason why;
    struct hm_trustroot *root = NULL;
    struct hm_verify_image img = { .source = HM_IMAGE_FD, .fd = fd, .name = "firmware.bin" };
    const char *clock = getenv("UPDATE_AGENT_NOW");
    struct hm_device_facts dev = { inst->product, inst->version, (int64_t)time(NULL) };
    uint8_t *buf = NULL, *bundle = NULL;
    size_t len = 0, blen = 0;
    int rc = 2;

    if (clock != NULL && strcmp(clock, "unknown") == 0) {
        dev.now = 0;
    }
    if (hm_read_file(root_path, HM_TRUSTROOT_MAX_BYTES, &buf, &len) != HM_OK ||
        hm_read_file(bundle_path, HM_BUNDLE_MAX_BYTES, &bundle, &blen) != HM_OK) {
        fprintf(stderr, "update_agent: cannot read %s or %s\n", root_path, bundle_path);
        goto out;
    }
    if (hm_trustroot_parse(buf, len, &root, &why) != HM_OK) {
        fprintf(stderr, "update_agent: trust root refused: %s: %s\n",
                hm_trustroot_status_name(why.status), why.detail);
        goto out;
    }
    if (hm_verify_bundle(root, bundle, blen, &img, 1, &dev, res) != HM_OK) {
        fprintf(stderr, "update_agent: %s\n", res->detail);
        goto out;
    }
    rc = res->status == HM_V_OK ? 0 : 1;
out:
    hm_trustroot_free(root);
    free(buf);
    free(bundle);
    return rc;
}

int
main(int argc, char **argv)
{
    struct hm_verify_result res;
    struct installed inst;
    char staged[4096], target[4096];
    int fd, rc;

    if (argc != 5) {
        fprintf(stderr, "usage: update_agent ROOT.json BUNDLE.json IMAGE STATE_DIR\n");
        return 2;
    }
    if (read_installed(argv[4], &inst) != 0) {
        return 2;
    }
    (void)snprintf(staged, sizeof(staged), "%s/firmware.bin.new", argv[4]);
    (void)snprintf(target, sizeof(target), "%s/firmware.bin", argv[4]);
    if ((fd = stage_image(argv[3], staged)) < 0) {
        return 2;
    }
    rc = verify_staged(argv[1], argv[2], fd, &inst, &res);
    close(fd);
    if (rc != 0) {
        unlink(staged); /* nothing of a refused update stays on the device */
        if (rc == 1) {
            printf("refused: %s: %s\n", hm_verify_status_name(res.status), res.detail);
        }
        return rc;
    }
    if (rename(staged, target) != 0 || fsync_dir(argv[4]) != 0) {
        fprintf(stderr, "update_agent: cannot install %s: %s\n", target, strerror(errno));
        return 2;
    }
    if ((rc = record_installed(argv[4], &inst, res.version)) != 0) {
        return rc;
    }
    printf("installed %s %s (was %s)%s%s%s\n", res.product, res.version, inst.version,
           res.logged ? "; in the transparency log at " : "", res.logged ? res.log_origin : "",
           res.time_checked ? "" : "; no clock: expiry not checked");
    printf("security support until %s\n", res.support_end[0] ? res.support_end : "(not stated)");
    /* the CRA product facts, from the verified statement (docs/formats.md section 4) */
    if (res.manufacturer[0] != '\0') {
        printf("manufacturer %s\n", res.manufacturer);
    }
    if (res.security_contact[0] != '\0') {
        printf("report vulnerabilities to %s\n", res.security_contact);
    }
    return 0;
}

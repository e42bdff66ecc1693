/*
 * cli_remote.c: `hallmark sign --server`: build the sign request of DESIGN.md from the
 * artifacts' digests (the artifacts never travel), POST it to hallmarkd over mutual TLS,
 * and write the bundles of the reply.
 */
#include <hm/attest.h>
#include <hm/attest_policy.h>
#include <hm/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_http.h"

#define DOC_MAX_BYTES (8u << 20) /* the daemon's request limit (docs/policy.md) */

static cJSON *
artifact_json(const struct hm_artifact *a)
{
    char h256[2 * HM_SHA256_LEN + 1], h512[2 * HM_SHA512_LEN + 1];
    cJSON *o = cJSON_CreateObject(), *d;

    hm_hex_encode(a->sha256, sizeof(a->sha256), h256);
    hm_hex_encode(a->sha512, sizeof(a->sha512), h512);
    if (o == NULL || cJSON_AddStringToObject(o, "name", a->name) == NULL ||
        cJSON_AddNumberToObject(o, "size", (double)a->size) == NULL ||
        (d = cJSON_AddObjectToObject(o, "digest")) == NULL ||
        cJSON_AddStringToObject(d, "sha256", h256) == NULL ||
        cJSON_AddStringToObject(d, "sha512", h512) == NULL) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Reads a JSON document from a file, for the request (SBOM, VEX, approval). */
static hm_err
read_doc(const char *what, const char *path, cJSON **out)
{
    struct hm_json_limits lim = HM_JSON_DEFAULT_LIMITS;
    struct hm_json_error jerr = { 0 };
    uint8_t *text = NULL;
    size_t len = 0;
    hm_err err;

    *out = NULL;
    lim.max_bytes = DOC_MAX_BYTES;
    lim.max_members = 1u << 20;
    lim.max_depth = 64;
    if ((err = hm_read_file(path, DOC_MAX_BYTES, &text, &len)) != HM_OK ||
        (err = hm_json_parse(text, len, &lim, out, &jerr)) != HM_OK) {
        fprintf(stderr, "hallmark sign: cannot use %s %s: %s\n", what, path,
                err == HM_E_INVALID || err == HM_E_LIMIT ? jerr.message : hm_strerror(err));
    } else if (!cJSON_IsObject(*out)) {
        fprintf(stderr, "hallmark sign: %s %s is not a JSON object\n", what, path);
        cJSON_Delete(*out);
        *out = NULL;
        err = HM_E_INVALID;
    }
    free(text);
    return err;
}

static hm_err
add_docs(cJSON *req, const char *key, const char *what, const char *const *paths, size_t n)
{
    cJSON *list = NULL, *doc = NULL;
    hm_err err;

    if (n == 0) {
        return HM_OK;
    }
    if ((list = cJSON_AddArrayToObject(req, key)) == NULL) {
        return HM_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if ((err = read_doc(what, paths[i], &doc)) != HM_OK) {
            return err;
        }
        if (!cJSON_AddItemToArray(list, doc)) {
            cJSON_Delete(doc);
            return HM_E_NOMEM;
        }
    }
    return HM_OK;
}

static hm_err
build_request(const struct cli_remote_req *rq, const struct hm_artifact *arts, size_t n, char **out,
              size_t *len)
{
    cJSON *req = cJSON_CreateObject(), *list, *sbom = NULL;
    hm_err err = HM_E_NOMEM;

    if (req == NULL || cJSON_AddStringToObject(req, "product", rq->product) == NULL ||
        (rq->channel != NULL && cJSON_AddStringToObject(req, "channel", rq->channel) == NULL) ||
        cJSON_AddStringToObject(req, "version", rq->version) == NULL ||
        (rq->support_end != NULL &&
         cJSON_AddStringToObject(req, "support_end", rq->support_end) == NULL) ||
        (list = cJSON_AddArrayToObject(req, "artifacts")) == NULL) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        cJSON *a = artifact_json(&arts[i]);
        if (a == NULL || !cJSON_AddItemToArray(list, a)) {
            cJSON_Delete(a);
            goto out;
        }
    }
    if (rq->sbom_path != NULL) {
        if ((err = read_doc("SBOM", rq->sbom_path, &sbom)) != HM_OK) {
            goto out;
        }
        if (!cJSON_AddItemToObject(req, "sbom", sbom)) {
            cJSON_Delete(sbom);
            err = HM_E_NOMEM;
            goto out;
        }
    }
    if ((err = add_docs(req, "vex", "VEX document", rq->vex_paths, rq->n_vex)) != HM_OK ||
        (err = add_docs(req, "approvals", "approval", rq->approval_paths, rq->n_approvals)) !=
            HM_OK) {
        goto out;
    }
    err = hm_json_print(req, out, len);
out:
    cJSON_Delete(req);
    return err;
}

/* Prints {"error","message","reasons"} in plain words. */
static void
print_error(int status, const uint8_t *body, size_t len)
{
    cJSON *j = NULL;
    const cJSON *reasons, *r;
    const char *code = NULL, *msg = NULL;

    if (hm_json_parse(body, len, NULL, &j, NULL) != HM_OK ||
        hm_json_get_string(j, "error", true, 128, &code) != HM_OK ||
        hm_json_get_string(j, "message", true, 4096, &msg) != HM_OK) {
        fprintf(stderr, "hallmark sign: the server answered %d\n", status);
        cJSON_Delete(j);
        return;
    }
    fprintf(stderr, "hallmark sign: refused (%d %s): %s\n", status, code, msg);
    reasons = hm_json_get(j, "reasons");
    cJSON_ArrayForEach(r, reasons) {
        const char *rule = NULL, *why = NULL, *hint = NULL;
        if (cJSON_IsString(r)) {
            fprintf(stderr, "  - %s\n", r->valuestring);
            continue;
        }
        /* Missing or odd fields are shown as blanks: this is only for people. */
        if (hm_json_get_string(r, "rule", false, 256, &rule) != HM_OK) {
            rule = NULL;
        }
        if (hm_json_get_string(r, "reason", false, 4096, &why) != HM_OK) {
            why = NULL;
        }
        if (hm_json_get_string(r, "hint", false, 4096, &hint) != HM_OK) {
            hint = NULL;
        }
        fprintf(stderr, "  - %s: %s%s%s\n", rule ? rule : "rule", why ? why : "",
                hint ? "\n    hint: " : "", hint ? hint : "");
    }
    cJSON_Delete(j);
}

/* Writes each bundle of the reply; the release bundle goes to out, the VSA to vsa_out
 * (when given), others beside out (OUT.verification_summary.json). */
static int
write_bundles(const uint8_t *body, size_t len, const char *out, const char *vsa_out, bool quiet)
{
    cJSON *j = NULL;
    const cJSON *bundles, *b;
    struct hm_json_limits lim = HM_JSON_DEFAULT_LIMITS;
    int rc = CLI_USAGE, i = 0;

    lim.max_bytes = 64u << 20;
    if (hm_json_parse(body, len, &lim, &j, NULL) != HM_OK ||
        !cJSON_IsArray(bundles = hm_json_get(j, "bundles"))) {
        fprintf(stderr, "hallmark sign: the server's reply holds no bundles\n");
        goto out;
    }
    cJSON_ArrayForEach(b, bundles) {
        const char *ptype = NULL;
        const cJSON *bundle = hm_json_get(b, "bundle");
        char *text = NULL, path[4096];
        size_t tlen = 0;
        if (hm_json_get_string(b, "predicateType", true, 512, &ptype) != HM_OK ||
            !cJSON_IsObject(bundle) || hm_json_print(bundle, &text, &tlen) != HM_OK) {
            fprintf(stderr, "hallmark sign: malformed bundle in the reply\n");
            goto out;
        }
        if (strcmp(ptype, HM_PREDICATE_RELEASE) == 0) {
            snprintf(path, sizeof(path), "%s", out);
        } else if (vsa_out != NULL && strcmp(ptype, HM_VSA_PREDICATE) == 0) {
            snprintf(path, sizeof(path), "%s", vsa_out);
        } else {
            const char *tail = strrchr(ptype, '/');
            char kind[64];
            /* ".../verification_summary/v1" -> "verification_summary" */
            snprintf(kind, sizeof(kind), "bundle%d", ++i);
            if (tail != NULL && tail > ptype) {
                const char *start = tail - 1;
                while (start > ptype && *start != '/') {
                    start--;
                }
                snprintf(kind, sizeof(kind), "%.*s", (int)(tail - start - 1), start + 1);
            }
            snprintf(path, sizeof(path), "%.*s.%s.json",
                     (int)(strlen(out) > 5 && strcmp(out + strlen(out) - 5, ".json") == 0
                               ? strlen(out) - 5
                               : strlen(out)),
                     out, kind);
        }
        if (hm_write_file_atomic(path, text, tlen, 0644) != HM_OK) {
            fprintf(stderr, "hallmark sign: cannot write %s\n", path);
            free(text);
            goto out;
        }
        if (!quiet) {
            printf("wrote %s (%s)\n", path, ptype);
        }
        free(text);
    }
    rc = CLI_OK;
out:
    cJSON_Delete(j);
    return rc;
}

int
cli_sign_remote(const struct cli_http_opts *http, const struct cli_remote_req *rq,
                const struct hm_artifact *arts, size_t n)
{
    struct cli_http_opts h = *http;
    struct hm_secret *token = NULL;
    const char *out = rq->out;
    char *req = NULL, defout[512];
    uint8_t *reply = NULL;
    size_t req_len = 0, reply_len = 0;
    int status = 0, rc = CLI_USAGE;

    if (out == NULL) {
        snprintf(defout, sizeof(defout), "%s-%s.bundle.json", rq->product, rq->version);
        out = defout;
    }
    if (rq->token_file != NULL) {
        /* A bearer credential: read as a secret (0600 file, locked memory, wiped). */
        if (hm_secret_from_file(rq->token_file, &token) != HM_OK) {
            fprintf(stderr, "hallmark sign: cannot read the token file (it must exist, be "
                            "non-empty and not readable by group or others)\n");
            goto out;
        }
        h.bearer = (const char *)token->buf;
    }
    if (build_request(rq, arts, n, &req, &req_len) != HM_OK) {
        goto out;
    }
    if (cli_https(&h, "POST", "/v1/sign", (const uint8_t *)req, req_len, &status, &reply,
                  &reply_len) != HM_OK) {
        goto out;
    }
    if (status != 200) {
        print_error(status, reply, reply_len);
        rc = status == 403 || status == 409 ? CLI_FAILED : CLI_USAGE;
        goto out;
    }
    if ((rc = write_bundles(reply, reply_len, out, rq->vsa_out, rq->quiet)) == CLI_OK &&
        !rq->quiet) {
        printf("signed %s %s by %s: %zu artifact(s)\n", rq->product, rq->version, http->url, n);
    }
out:
    hm_secret_free(token);
    free(req);
    free(reply);
    return rc;
}

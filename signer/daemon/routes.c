/*
 * routes.c: which route a request names, the checks its head allows, and the answers
 * that need no signing: /v1/keys, /v1/trust-root, /healthz, /readyz, /metrics.
 */
#include <hm/hsm.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../store.h"
#include "hmd.h"

struct route {
    const char *path; /* ending in '/': every path under it */
    const char *method;
    enum hmd_route id;
    bool needs_identity;
    bool worker; /* answered on a worker thread (hmd_call_handle): it signs or reads the store */
};

static const struct route routes[] = {
    { "/v1/sign", "POST", HMD_R_SIGN, true, true },
    { "/v1/keys", "GET", HMD_R_KEYS, true, false },
    { "/v1/trust-root", "GET", HMD_R_TRUST_ROOT, true, false },
    { "/healthz", "GET", HMD_R_HEALTHZ, false, false },
    { "/readyz", "GET", HMD_R_READYZ, false, false },
    { "/metrics", "GET", HMD_R_METRICS, true, false },
    { "/v1/policy/check", "POST", HMD_R_POLICY_CHECK, true, true },
    { "/v1/steward/attestations", "POST", HMD_R_STEWARD, true, true },
    { "/v1/log/", "GET", HMD_R_LOG, true, true },
    { "/", "GET", HMD_R_PAGE, true, true },
};

bool
hmd_route_is_worker(enum hmd_route r)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (routes[i].id == r) {
            return routes[i].worker;
        }
    }
    return false;
}

static bool
path_matches(const struct route *rt, const char *path)
{
    size_t n = strlen(rt->path);

    if (n > 1 && rt->path[n - 1] == '/') {
        return strncmp(path, rt->path, n) == 0 && path[n] != '\0';
    }
    return strcmp(path, rt->path) == 0;
}

static bool
is_json_type(const char *ct)
{
    size_t n = strlen("application/json");

    if (ct == NULL || strncasecmp(ct, "application/json", n) != 0) {
        return false;
    }
    ct += n;
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    return *ct == '\0' || *ct == ';';
}

static void
reply_static_json(struct hmd_reply *r, int status, const char *text)
{
    char *body = strdup(text);

    if (body == NULL) {
        hmd_reply_error(r, 500, "internal", "out of memory");
        return;
    }
    hmd_reply_json(r, status, body, strlen(body));
}

static void
readyz(struct hmd_reply *r)
{
    struct hm_hsm_stats hs = { 0 };
    struct hm_store_stats ss = { 0 };
    const char *reasons[2];
    size_t n = 0;

    if (hmd.hsm != NULL) {
        hm_hsm_get_stats(hmd.hsm, &hs);
    }
    if (hmd.store != NULL) {
        hm_store_get_stats(hmd.store, &ss);
    }
    if (!hs.ready) {
        reasons[n++] = "the HSM is not logged in";
    }
    if (!ss.open) {
        reasons[n++] = "the store is not open";
    }
    if (atomic_load(&hmd.draining)) {
        hmd_reply_error(r, 503, "not-ready", "hallmarkd is shutting down");
        r->retry_after = 1;
        return;
    }
    if (n > 0) {
        hmd_reply_error_reasons(r, 503, "not-ready", "hallmarkd cannot sign right now", reasons, n);
        r->retry_after = 1;
        return;
    }
    reply_static_json(r, 200, "{\"status\":\"ready\",\"hsm\":\"logged-in\",\"store\":\"open\"}\n");
}

static void
answer(const struct route *rt, struct hmd_gen *gen, struct hmd_reply *r)
{
    char *text = NULL;
    size_t len = 0;

    switch (rt->id) {
    case HMD_R_KEYS:
    case HMD_R_TRUST_ROOT: {
        const char *j = rt->id == HMD_R_KEYS ? gen->keys_json : gen->trust_root_json;
        if (j == NULL) {
            hmd_reply_error(r, 503, "not-ready", "no keys are loaded");
            return;
        }
        reply_static_json(r, 200, j);
        return;
    }
    case HMD_R_HEALTHZ:
        reply_static_json(r, 200, "{\"status\":\"ok\"}\n");
        return;
    case HMD_R_READYZ:
        readyz(r);
        return;
    case HMD_R_METRICS:
        if (hmd_metrics_render(&text, &len) != HM_OK) {
            hmd_reply_error(r, 500, "internal", "out of memory");
            return;
        }
        hmd_reply_json(r, 200, text, len);
        r->content_type = "text/plain; version=0.0.4; charset=utf-8";
        return;
    default:
        hmd_reply_error(r, 500, "internal", "no handler");
        return;
    }
}

bool
hmd_route_fast(const struct hmd_request *req, struct hmd_gen *gen, struct hmd_reply *out,
               enum hmd_route *route)
{
    const struct route *rt = NULL;

    *route = HMD_R_OTHER;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (path_matches(&routes[i], req->path)) {
            rt = &routes[i];
        }
    }
    if (rt == NULL) {
        hmd_reply_error(out, 404, "not-found", "no such route: %.128s", req->path);
        return true;
    }
    *route = rt->id;
    if (strcmp(req->method, rt->method) != 0) {
        hmd_reply_error(out, 405, "method-not-allowed", "%s takes %s only", rt->path, rt->method);
        out->allow = rt->method;
        return true;
    }
    if (rt->needs_identity && req->id == NULL) {
        hmd_reply_error(out, 401, "unauthenticated",
                        "the client certificate names no identity (no subject CN and no "
                        "DNS or URI SAN)");
        return true;
    }
    if (rt->worker) {
        if (strcmp(rt->method, "POST") == 0 && !is_json_type(req->content_type)) {
            hmd_reply_error(out, 415, "unsupported-media-type",
                            "POST %s takes Content-Type: application/json", rt->path);
            return true;
        }
        return false; /* a worker answers it */
    }
    if (req->head_only) {
        return false;
    }
    answer(rt, gen, out);
    return true;
}

/*
 * metrics.c: counters for GET /metrics (Prometheus text format 0.0.4).
 *
 * Plain atomics, no locks: a scrape may see one counter a request ahead of another,
 * which Prometheus tolerates.
 */
#include <hm/hsm.h>
#include <stdlib.h>

#include "../store.h"
#include "hmd.h"

static const int codes[] = { 200, 400, 401, 403, 404, 405, 408, 409, 411,
                             413, 414, 415, 417, 429, 431, 500, 503, 505 };
#define N_CODES (sizeof(codes) / sizeof(codes[0]))
/* Upper bounds of the signing latency buckets, in seconds. */
static const double bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1,    2.5 };
#define N_BOUNDS (sizeof(bounds) / sizeof(bounds[0]))

static struct {
    atomic_uint_fast64_t requests[HMD_R_COUNT][N_CODES + 1]; /* last: any other code */
    atomic_uint_fast64_t sign_buckets[N_BOUNDS + 1];
    atomic_uint_fast64_t sign_ns_sum;
    atomic_uint_fast64_t sign_count;
    atomic_uint_fast64_t hsm_errors;
    atomic_uint_fast64_t rate_limited;
    atomic_int_fast64_t connections;
} m;

const char *
hmd_route_name(enum hmd_route r)
{
    static const char *const names[HMD_R_COUNT] = {
        "/v1/sign", "/v1/keys",         "/v1/trust-root",           "/healthz", "/readyz",
        "/metrics", "/v1/policy/check", "/v1/steward/attestations", "/v1/log",  "/",
        "other"
    };
    return (unsigned)r < HMD_R_COUNT ? names[r] : "other";
}

void
hmd_metrics_request(enum hmd_route r, int status)
{
    size_t i = 0;

    while (i < N_CODES && codes[i] != status) {
        i++;
    }
    atomic_fetch_add(&m.requests[(unsigned)r < HMD_R_COUNT ? r : HMD_R_OTHER][i], 1);
}

void
hmd_metrics_sign_duration(uint64_t ns)
{
    double s = (double)ns / 1e9;
    size_t i = 0;

    while (i < N_BOUNDS && s > bounds[i]) {
        i++;
    }
    atomic_fetch_add(&m.sign_buckets[i], 1);
    atomic_fetch_add(&m.sign_ns_sum, ns);
    atomic_fetch_add(&m.sign_count, 1);
}

void
hmd_metrics_hsm_error(void)
{
    atomic_fetch_add(&m.hsm_errors, 1);
}

void
hmd_metrics_rate_limited(void)
{
    atomic_fetch_add(&m.rate_limited, 1);
}

void
hmd_metrics_connection(int delta)
{
    atomic_fetch_add(&m.connections, delta);
}

static void
render_requests(struct hm_buf *b)
{
    hm_buf_puts(b, "# HELP hallmark_requests_total HTTP requests by route and status code.\n"
                   "# TYPE hallmark_requests_total counter\n");
    for (unsigned r = 0; r < HMD_R_COUNT; r++) {
        for (size_t i = 0; i <= N_CODES; i++) {
            uint64_t v = atomic_load(&m.requests[r][i]);
            if (v == 0) {
                continue;
            }
            if (i < N_CODES) {
                hm_buf_printf(b, "hallmark_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
                              hmd_route_name((enum hmd_route)r), codes[i], (unsigned long long)v);
            } else {
                hm_buf_printf(b, "hallmark_requests_total{route=\"%s\",code=\"other\"} %llu\n",
                              hmd_route_name((enum hmd_route)r), (unsigned long long)v);
            }
        }
    }
}

static void
render_sign(struct hm_buf *b)
{
    uint64_t cum = 0;

    hm_buf_puts(b, "# HELP hallmark_sign_duration_seconds Time to serve POST /v1/sign that "
                   "signed, from the request to the durable commit.\n"
                   "# TYPE hallmark_sign_duration_seconds histogram\n");
    for (size_t i = 0; i <= N_BOUNDS; i++) {
        cum += atomic_load(&m.sign_buckets[i]);
        if (i < N_BOUNDS) {
            hm_buf_printf(b, "hallmark_sign_duration_seconds_bucket{le=\"%g\"} %llu\n", bounds[i],
                          (unsigned long long)cum);
        } else {
            hm_buf_printf(b, "hallmark_sign_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                          (unsigned long long)cum);
        }
    }
    hm_buf_printf(b, "hallmark_sign_duration_seconds_sum %.9f\n",
                  (double)atomic_load(&m.sign_ns_sum) / 1e9);
    hm_buf_printf(b, "hallmark_sign_duration_seconds_count %llu\n",
                  (unsigned long long)atomic_load(&m.sign_count));
}

static void
render_backends(struct hm_buf *b)
{
    struct hm_hsm_stats hs = { 0 };
    struct hm_store_stats ss = { 0 };

    if (hmd.hsm != NULL) {
        hm_hsm_get_stats(hmd.hsm, &hs);
    }
    if (hmd.store != NULL) {
        hm_store_get_stats(hmd.store, &ss);
    }
    hm_buf_printf(b,
                  "# HELP hallmark_hsm_errors_total C_Sign failures seen by the HSM backend "
                  "(retried or not).\n"
                  "# TYPE hallmark_hsm_errors_total counter\n"
                  "hallmark_hsm_errors_total %llu\n"
                  "# HELP hallmark_sign_hsm_failures_total Sign requests that failed because "
                  "the HSM could not sign.\n"
                  "# TYPE hallmark_sign_hsm_failures_total counter\n"
                  "hallmark_sign_hsm_failures_total %llu\n"
                  "# HELP hallmark_hsm_sessions_in_use HSM sessions borrowed right now.\n"
                  "# TYPE hallmark_hsm_sessions_in_use gauge\n"
                  "hallmark_hsm_sessions_in_use %u\n"
                  "# HELP hallmark_hsm_sessions HSM session pool size.\n"
                  "# TYPE hallmark_hsm_sessions gauge\n"
                  "hallmark_hsm_sessions %u\n"
                  "# HELP hallmark_hsm_ready 1 when the HSM is logged in.\n"
                  "# TYPE hallmark_hsm_ready gauge\n"
                  "hallmark_hsm_ready %d\n",
                  (unsigned long long)hs.sign_errors,
                  (unsigned long long)atomic_load(&m.hsm_errors), hs.sessions_busy, hs.sessions,
                  hs.ready ? 1 : 0);
    hm_buf_printf(b,
                  "# HELP hallmark_store_commit_seconds Time of store commits (transactions).\n"
                  "# TYPE hallmark_store_commit_seconds summary\n"
                  "hallmark_store_commit_seconds_sum %.9f\n"
                  "hallmark_store_commit_seconds_count %llu\n"
                  "# HELP hallmark_audit_records_total Audit records written to the store.\n"
                  "# TYPE hallmark_audit_records_total counter\n"
                  "hallmark_audit_records_total %llu\n"
                  "# HELP hallmark_store_errors_total Store commits that failed.\n"
                  "# TYPE hallmark_store_errors_total counter\n"
                  "hallmark_store_errors_total %llu\n",
                  (double)ss.commit_ns_total / 1e9, (unsigned long long)ss.commit_count,
                  (unsigned long long)ss.audits, (unsigned long long)ss.errors);
}

hm_err
hmd_metrics_render(char **out, size_t *len)
{
    struct hm_buf b;
    hm_err rc;

    *out = NULL;
    hm_buf_init(&b, 0);
    render_requests(&b);
    render_sign(&b);
    render_backends(&b);
    hm_buf_printf(&b,
                  "# HELP hallmark_rate_limited_total Requests refused by the per-client rate "
                  "limit.\n"
                  "# TYPE hallmark_rate_limited_total counter\n"
                  "hallmark_rate_limited_total %llu\n"
                  "# HELP hallmark_connections Open client connections.\n"
                  "# TYPE hallmark_connections gauge\n"
                  "hallmark_connections %lld\n",
                  (unsigned long long)atomic_load(&m.rate_limited),
                  (long long)atomic_load(&m.connections));
    if ((rc = hm_buf_status(&b)) != HM_OK) {
        hm_buf_free(&b);
        return rc;
    }
    *out = (char *)hm_buf_steal(&b, len);
    hm_buf_free(&b);
    return HM_OK;
}

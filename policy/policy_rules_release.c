/*
 * policy_rules_release.c: the rules about the release itself: windows and limits (rule
 * 8), version (rule 3) and support period (rule 4).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "policy_int.h"

/* ---- windows and limits ---- */
static bool
in_hours(unsigned from, unsigned to, unsigned hour)
{
    return from < to ? hour >= from && hour < to : hour >= from || hour < to;
}

static void
check_artifact_limits(struct pol_eval *e)
{
    const struct pol_product *pr = e->prod;

    for (size_t i = 0; i < e->req->n_artifacts; i++) {
        const struct hm_policy_artifact *a = &e->req->artifacts[i];

        if (pr->has_max_size && a->size > pr->max_size) {
            pol_deny(e->d, "windows",
                     "ship a smaller image, or raise products[].windows.max_artifact_size",
                     "artifact %s is %" PRIu64 " bytes, more than the limit of %" PRIu64, a->name,
                     a->size, pr->max_size);
        }
        if ((pr->digests & POL_DIGEST_SHA256) != 0 && !a->has_sha256) {
            pol_deny(e->d, "windows",
                     "send digest.sha256 for every artifact (hallmark sign computes both)",
                     "artifact %s carries no sha256 digest, which the policy requires", a->name);
        }
        if ((pr->digests & POL_DIGEST_SHA512) != 0 && !a->has_sha512) {
            pol_deny(e->d, "windows",
                     "send digest.sha512 for every artifact (hallmark sign computes both)",
                     "artifact %s carries no sha512 digest, which the policy requires", a->name);
        }
    }
}

hm_err
pol_rule_windows(struct pol_eval *e)
{
    const struct pol_product *pr = e->prod;
    int64_t secs;
    unsigned hour, minute;

    if (!pr->has_windows) {
        return HM_OK;
    }
    for (size_t i = 0; i < pr->n_freezes; i++) {
        const struct pol_freeze *f = &pr->freezes[i];

        if (e->now >= f->from && e->now < f->to) {
            pol_deny(e->d, "windows",
                     "wait until the freeze ends, or shorten it in products[].windows.freeze",
                     "releases of %s are frozen from %s to %s: %s", pr->name, f->from_text,
                     f->to_text, f->reason);
        }
    }
    if (pr->has_hours) {
        secs = e->now % 86400;
        secs = secs < 0 ? secs + 86400 : secs;
        hour = (unsigned)(secs / 3600);
        minute = (unsigned)(secs % 3600 / 60);
        if (!in_hours(pr->hour_from, pr->hour_to, hour)) {
            char hint[128];

            snprintf(hint, sizeof(hint), "retry after %02u:00 UTC", pr->hour_from);
            pol_deny(e->d, "windows", hint,
                     "%s may be signed only from %02u:00 to %02u:00 UTC; it is %02u:%02u UTC",
                     pr->name, pr->hour_from, pr->hour_to, hour, minute);
        }
    }
    check_artifact_limits(e);
    return HM_OK;
}

/* ---- version ---- */
static hm_err
check_monotonic(struct pol_eval *e)
{
    char highest[HM_SEMVER_MAX_LEN + 1] = "", hint[256];
    int cmp = 0;
    hm_err rc;

    if (e->state == NULL || e->state->highest == NULL) {
        return HM_OK; /* no state: nothing signed yet (policy check without --state) */
    }
    rc = e->state->highest(e->state->ctx, e->req->product, e->req->channel, highest,
                           sizeof(highest));
    if (rc == HM_E_NOTFOUND) {
        return HM_OK;
    }
    if (rc != HM_OK) {
        return rc; /* the store failed: no decision rather than a wrong one */
    }
    if (hm_semver_cmp(e->req->version, highest, &cmp) != HM_OK) {
        return HM_E_INTERNAL; /* the store holds only SemVer it checked */
    }
    if (cmp <= 0) {
        snprintf(hint, sizeof(hint),
                 "release a version greater than %s (SemVer 2.0.0 order: 1.0.0-rc.1 < 1.0.0; "
                 "build metadata does not count)",
                 highest);
        pol_deny(e->d, "version", hint,
                 "version %s is not greater than %s, the highest signed for %s on channel %s",
                 e->req->version, highest, e->req->product, e->req->channel);
    }
    return HM_OK;
}

hm_err
pol_rule_version(struct pol_eval *e)
{
    const struct pol_product *pr = e->prod;
    char why[128] = "";

    if (!pr->has_version) {
        return HM_OK;
    }
    if (hm_semver_check(e->req->version, why, sizeof(why)) != HM_OK) {
        pol_deny(e->d, "version", "use a SemVer 2.0.0 version: MAJOR.MINOR.PATCH, e.g. 1.4.2",
                 "version \"%s\" is not SemVer 2.0.0: %s", e->req->version, why);
        return HM_OK;
    }
    if (pr->version_pattern != NULL && !hm_glob_match(pr->version_pattern, e->req->version)) {
        pol_deny(e->d, "version",
                 "release a version the pattern allows, or change products[].version.pattern",
                 "version %s does not match the allowed pattern \"%s\"", e->req->version,
                 pr->version_pattern);
    }
    return pr->monotonic ? check_monotonic(e) : HM_OK;
}

/* ---- support period (CRA Art. 13(8)) ---- */
static void
minimum_text(unsigned months, char *out, size_t len)
{
    if (months % 12 == 0) {
        snprintf(out, len, "%u year%s", months / 12, months == 12 ? "" : "s");
    } else {
        snprintf(out, len, "%u month%s", months, months == 1 ? "" : "s");
    }
}

/* The first release of this major version: from the store, or now when there is none. */
static hm_err
support_anchor(struct pol_eval *e, uint64_t major, int64_t *anchor, bool *from_state)
{
    hm_err rc;

    *anchor = e->now;
    *from_state = false;
    if (e->state == NULL || e->state->first_release == NULL) {
        return HM_OK;
    }
    rc = e->state->first_release(e->state->ctx, e->req->product, major, anchor);
    if (rc == HM_E_NOTFOUND) {
        *anchor = e->now;
        return HM_OK;
    }
    *from_state = rc == HM_OK;
    return rc;
}

hm_err
pol_rule_support(struct pol_eval *e)
{
    const struct pol_product *pr = e->prod;
    char min_txt[32], min_date[16], first_date[16], hint[256];
    int64_t anchor = 0, end = 0, minimum;
    uint64_t major = 0;
    bool from_state = false;
    hm_err rc;

    if (!pr->has_support) {
        return HM_OK;
    }
    minimum_text(pr->min_months, min_txt, sizeof(min_txt));
    if (hm_semver_major(e->req->version, &major) != HM_OK) {
        pol_deny(e->d, "support", "use a SemVer 2.0.0 version: MAJOR.MINOR.PATCH",
                 "version \"%s\" is not SemVer 2.0.0, so the first release of its major version "
                 "cannot be found",
                 e->req->version);
        return HM_OK;
    }
    if ((rc = support_anchor(e, major, &anchor, &from_state)) != HM_OK) {
        return rc;
    }
    minimum = pol_days_add_months(pol_days_of(anchor), pr->min_months);
    pol_days_format(minimum, min_date);
    pol_days_format(pol_days_of(anchor), first_date);
    snprintf(hint, sizeof(hint),
             "set support_end to %s or later (%s after %s, the first release of %" PRIu64
             ".x%s); shorten products[].support only if the product's expected use time is "
             "shorter (CRA Art. 13(8))",
             min_date, min_txt, first_date, major, from_state ? "" : ", which is this one");
    if (e->req->support_end == NULL) {
        pol_deny(e->d, "support", hint,
                 "the request declares no end of security support (support_end)");
        return HM_OK;
    }
    if (hm_date_parse(e->req->support_end, &end) != HM_OK) {
        return HM_E_INTERNAL; /* the request parser checked it */
    }
    if (end < pol_days_of(e->now)) {
        pol_deny(e->d, "support", hint, "support_end %s is in the past", e->req->support_end);
    } else if (end < minimum) {
        pol_deny(e->d, "support", hint,
                 "support ends %s, less than %s after the first release of %" PRIu64
                 ".x (%s): the minimum is %s",
                 e->req->support_end, min_txt, major, first_date, min_date);
    }
    return HM_OK;
}

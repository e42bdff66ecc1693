/*
 * vuln_cvss.c: CVSS v3.x base scores and severity words.
 *
 * The formula is the CVSS v3.1 specification's section 7.1 with the Roundup of its
 * Appendix A (integer arithmetic on the value times 100000, so that 4.000000001 does not
 * round to 4.1).  v3.0 vectors use the same metric weights; we apply the 3.1 Roundup to
 * them too, which only differs from v3.0's plain ceiling on floating-point noise.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vuln_int.h"

struct metric {
    const char *key;
    const char *values; /* allowed letters */
    char v;
};

static double
roundup(double x)
{
    long long i = llround(x * 100000.0);

    if (i % 10000 == 0) {
        return (double)i / 100000.0;
    }
    return (double)(i / 10000 + 1) / 10.0;
}

static double
weight(char v, const char *letters, const double *w)
{
    const char *p = strchr(letters, v);

    return p == NULL ? 0.0 : w[p - letters];
}

static double
score_of(const struct metric *m)
{
    static const double av_w[] = { 0.85, 0.62, 0.55, 0.2 };
    static const double ac_w[] = { 0.77, 0.44 };
    static const double ui_w[] = { 0.85, 0.62 };
    static const double cia_w[] = { 0.56, 0.22, 0.0 };
    bool changed = m[4].v == 'C';
    double pr = m[2].v == 'N'   ? 0.85
                : m[2].v == 'L' ? (changed ? 0.68 : 0.62)
                                : (changed ? 0.5 : 0.27);
    double iss = 1.0 - (1.0 - weight(m[5].v, "HLN", cia_w)) * (1.0 - weight(m[6].v, "HLN", cia_w)) *
                           (1.0 - weight(m[7].v, "HLN", cia_w));
    double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) : 6.42 * iss;
    double expl = 8.22 * weight(m[0].v, "NALP", av_w) * weight(m[1].v, "LH", ac_w) * pr *
                  weight(m[3].v, "NR", ui_w);

    if (impact <= 0) {
        return 0.0;
    }
    return roundup(fmin(changed ? 1.08 * (impact + expl) : impact + expl, 10.0));
}

/* Temporal and environmental metrics: allowed once each, not scored.  Returns the index
 * of the key, or -1. */
static int
other_metric(const char *key, size_t key_len)
{
    static const char *const keys[] = { "E",   "RL",  "RC",  "CR", "IR", "AR", "MAV",
                                        "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA" };

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strlen(keys[i]) == key_len && strncmp(keys[i], key, key_len) == 0) {
            return (int)i;
        }
    }
    return -1;
}

hm_err
hm_cvss3_base_score(const char *vector, double *out, char *why, size_t why_len)
{
    struct metric m[] = { { "AV", "NALP", 0 }, { "AC", "LH", 0 }, { "PR", "NLH", 0 },
                          { "UI", "NR", 0 },   { "S", "UC", 0 },  { "C", "HLN", 0 },
                          { "I", "HLN", 0 },   { "A", "HLN", 0 } };
    uint32_t seen_other = 0;
    const char *p;

    *out = -1;
    if (vector == NULL || strlen(vector) > 200 ||
        (strncmp(vector, "CVSS:3.1/", 9) != 0 && strncmp(vector, "CVSS:3.0/", 9) != 0)) {
        hm_pj_why(why, why_len, "CVSS vector must start with CVSS:3.0/ or CVSS:3.1/");
        return HM_E_INVALID;
    }
    for (p = vector + 9; *p != '\0';) {
        const char *colon = strchr(p, ':'), *end = strchr(p, '/');
        size_t key_len;
        bool known = false;

        end = end != NULL ? end : p + strlen(p);
        if (colon == NULL || colon > end || colon == p || end != colon + 2) {
            hm_pj_why(why, why_len, "CVSS vector: malformed metric at offset %zu",
                      (size_t)(p - vector));
            return HM_E_INVALID;
        }
        key_len = (size_t)(colon - p);
        for (size_t i = 0; i < 8 && !known; i++) {
            if (strlen(m[i].key) == key_len && strncmp(m[i].key, p, key_len) == 0) {
                known = true;
                if (m[i].v != 0 || strchr(m[i].values, colon[1]) == NULL) {
                    hm_pj_why(why, why_len, "CVSS vector: metric %s repeated or with a bad value",
                              m[i].key);
                    return HM_E_INVALID;
                }
                m[i].v = colon[1];
            }
        }
        if (!known) {
            int k = other_metric(p, key_len);

            if (k < 0 || (seen_other & (1u << k)) != 0) {
                hm_pj_why(why, why_len, "CVSS vector: unknown or repeated metric");
                return HM_E_INVALID;
            }
            seen_other |= 1u << k;
        }
        p = *end == '/' ? end + 1 : end;
        if (*end == '/' && *p == '\0') {
            hm_pj_why(why, why_len, "CVSS vector: trailing '/'");
            return HM_E_INVALID;
        }
    }
    for (size_t i = 0; i < 8; i++) {
        if (m[i].v == 0) {
            hm_pj_why(why, why_len, "CVSS vector: base metric %s is missing", m[i].key);
            return HM_E_INVALID;
        }
    }
    *out = score_of(m);
    return HM_OK;
}

enum hm_severity
hm_severity_from_score(double score)
{
    if (score < 0) {
        return HM_SEV_UNKNOWN;
    }
    if (score == 0) {
        return HM_SEV_NONE;
    }
    return score < 4.0   ? HM_SEV_LOW
           : score < 7.0 ? HM_SEV_MEDIUM
           : score < 9.0 ? HM_SEV_HIGH
                         : HM_SEV_CRITICAL;
}

const char *
hm_severity_name(enum hm_severity s)
{
    static const char *const names[] = { "unknown", "none", "low", "medium", "high", "critical" };

    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

hm_err
hm_severity_parse(const char *s, enum hm_severity *out)
{
    *out = HM_SEV_UNKNOWN;
    if (s == NULL) {
        return HM_E_INVALID;
    }
    for (int i = HM_SEV_NONE; i <= HM_SEV_CRITICAL; i++) {
        if (hm_pj_ieq(s, hm_severity_name((enum hm_severity)i))) {
            *out = (enum hm_severity)i;
            return HM_OK;
        }
    }
    if (hm_pj_ieq(s, "moderate")) { /* GitHub's word for medium */
        *out = HM_SEV_MEDIUM;
        return HM_OK;
    }
    return HM_E_INVALID;
}

hm_err
hm_osv_severity(const cJSON *severity, double *score, char **vector, char *why, size_t why_len)
{
    const cJSON *it;
    const char *type = NULL, *vec = NULL;
    double s = -1;
    hm_err err;

    if (severity == NULL) {
        return HM_OK;
    }
    if (!cJSON_IsArray(severity)) {
        hm_pj_why(why, why_len, "severity must be an array");
        return HM_E_INVALID;
    }
    cJSON_ArrayForEach(it, severity) {
        static const char *const allowed[] = { "type", "score" };

        if (hm_json_only_keys(it, allowed, 2, NULL) != HM_OK ||
            hm_json_get_string(it, "type", true, 32, &type) != HM_OK ||
            hm_json_get_string(it, "score", true, 256, &vec) != HM_OK) {
            hm_pj_why(why, why_len, "severity[] must be {type, score} strings");
            return HM_E_INVALID;
        }
        if (strcmp(type, "CVSS_V3") != 0) {
            continue; /* CVSS_V2, CVSS_V4, Ubuntu: kept by the source, not scored here */
        }
        if ((err = hm_cvss3_base_score(vec, &s, why, why_len)) != HM_OK) {
            return err;
        }
        if (s > *score) {
            char *copy = NULL;

            if ((err = hm_pj_strdup(vec, &copy)) != HM_OK) {
                return err;
            }
            free(*vector);
            *vector = copy;
            *score = s;
        }
    }
    return HM_OK;
}

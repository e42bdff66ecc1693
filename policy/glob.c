/*
 * glob.c: the claim matcher's glob (hm_glob_match, declared in oidc.h).
 *
 * '*' matches any run of bytes, '/' included, so "refs/tags/v*" matches
 * "refs/tags/v1.2.3" and also "refs/tags/v1/evil": a policy that must pin one path level
 * writes the exact value or a pattern without '*'.  '?' matches one byte.  No classes, no
 * escapes: fewer surprises in a security rule, and nothing to mis-parse.
 *
 * The classic two-pointer algorithm: on a mismatch after a '*', retry from the last '*'
 * with the text one byte further.  Only the last '*' is ever a backtrack point, which is
 * correct for '*'-only globs (an earlier '*' can never need to absorb more once a later
 * one has matched) and bounds the work by len(pattern) * len(text).
 */
#include "oidc.h"

bool
hm_glob_match(const char *pattern, const char *text)
{
    const char *p, *t, *star = NULL, *resume = NULL;

    if (pattern == NULL || text == NULL) {
        return false;
    }
    p = pattern;
    t = text;
    while (*t != '\0') {
        if (*p == '*') {
            star = p++;
            resume = t;
        } else if (*p != '\0' && (*p == '?' || *p == *t)) {
            p++;
            t++;
        } else if (star != NULL) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*') {
        p++;
    }
    return *p == '\0';
}

/*
 * ratelimit.c: a token bucket per client identity (rate per second, burst of one
 * second's worth).  Identities come from verified certificates, so the table holds
 * only as many clients as the CA issued certificates to; it is bounded anyway, and a
 * full probe window forgets its least recently seen client.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "hmd.h"

#define RL_SLOTS 4096
#define RL_PROBE 16

struct rl_slot {
    char client[HMD_MAX_IDENTITY + 16];
    double tokens;
    uint64_t last_ns;
    bool used;
};

static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rl_slot rl[RL_SLOTS];

static uint32_t
fnv1a(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s != '\0'; s++) {
        h = (h ^ (uint8_t)*s) * 16777619u;
    }
    return h;
}

static struct rl_slot *
rl_find(const char *client, uint64_t now)
{
    uint32_t h = fnv1a(client);
    struct rl_slot *oldest = NULL;

    for (uint32_t i = 0; i < RL_PROBE; i++) {
        struct rl_slot *s = &rl[(h + i) % RL_SLOTS];
        if (s->used && strcmp(s->client, client) == 0) {
            return s;
        }
        if (!s->used) {
            oldest = s;
            break;
        }
        if (oldest == NULL || s->last_ns < oldest->last_ns) {
            oldest = s;
        }
    }
    snprintf(oldest->client, sizeof(oldest->client), "%s", client);
    oldest->used = true;
    oldest->tokens = -1; /* marks a fresh bucket */
    oldest->last_ns = now;
    return oldest;
}

bool
hmd_rate_take(const char *client, unsigned rate_per_s, unsigned *retry_after_s)
{
    uint64_t now = hmd_now_ns();
    double rate = (double)rate_per_s;
    bool ok = false;

    *retry_after_s = 0;
    pthread_mutex_lock(&rl_lock);
    struct rl_slot *s = rl_find(client, now);
    if (s->tokens < 0) {
        s->tokens = rate;
    } else {
        s->tokens += (double)(now - s->last_ns) * rate / 1e9;
        if (s->tokens > rate) {
            s->tokens = rate;
        }
    }
    s->last_ns = now;
    if (s->tokens >= 1.0) {
        s->tokens -= 1.0;
        ok = true;
    } else {
        double wait = ceil((1.0 - s->tokens) / rate);
        *retry_after_s = wait < 1 ? 1 : (unsigned)wait;
    }
    pthread_mutex_unlock(&rl_lock);
    return ok;
}

void
hmd_rate_reset(void)
{
    pthread_mutex_lock(&rl_lock);
    memset(rl, 0, sizeof(rl));
    pthread_mutex_unlock(&rl_lock);
}

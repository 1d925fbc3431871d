/*
 * ratelimit.c - token buckets for senders that are not accepted, checked
 * before anything of theirs is decrypted. The per-sender table is a fixed
 * array (ENGINE_RL_SLOTS): memory stays bounded however many addresses a
 * flood uses. Buckets of senders that were let through are persisted in
 * the store so a restart does not reset them; the global bucket too.
 */
#include "core/engine.h"

#include <string.h>

#define RL_PROBES 8
#define RL_GLOBAL_KEY "*global*"

static double refill(double tokens, int64_t since_ms, int64_t now_ms,
                     double burst, double per_ms)
{
    if (now_ms > since_ms)
        tokens += (double)(now_ms - since_ms) / per_ms;
    return tokens > burst ? burst : tokens;
}

static uint64_t sender_hash(airlock_ctx *ctx, const char *sender)
{
    uint64_t h = base_hash64(ctx->rl_key, sender, strlen(sender));

    return h != 0 ? h : 1;
}

/* Find the slot of `h`, or claim one: a free slot, else among the probed
 * ones the fullest bucket (a full bucket is the same as no entry). */
static rl_slot *slot_for(airlock_ctx *ctx, const char *sender, uint64_t h,
                         int64_t now_ms)
{
    rl_slot *free_slot = NULL, *fullest = NULL, *victim;
    double best = -1.0;
    size_t i;
    store_bucket b;

    for (i = 0; i < RL_PROBES; i++) {
        rl_slot *s = &ctx->rl[(size_t)((h + i) % ENGINE_RL_SLOTS)];
        double t;

        if (s->hash == h)
            return s;
        if (s->hash == 0) {
            if (free_slot == NULL)
                free_slot = s;
            continue;
        }
        t = refill(s->tokens, s->updated_ms, now_ms, ENGINE_RL_SENDER_BURST,
                   ENGINE_RL_SENDER_PER_MS);
        if (t > best) {
            best = t;
            fullest = s;
        }
    }
    /* Evicting the fullest bucket forgets the least: a full bucket is the
     * same as no entry, and the persisted copy is reloaded on return. */
    victim = free_slot != NULL ? free_slot : fullest;
    victim->hash = h;
    victim->tokens = ENGINE_RL_SENDER_BURST;
    victim->updated_ms = now_ms;
    if (store_bucket_get(ctx->st, sender, &b) == AIRLOCK_OK) {
        victim->tokens = b.tokens;
        victim->updated_ms = b.updated_ms;
    }
    return victim;
}

void engine_rl_load(airlock_ctx *ctx)
{
    store_bucket b;

    base_random(ctx->rl_key, sizeof ctx->rl_key);
    ctx->rl_global_tokens = ENGINE_RL_GLOBAL_BURST;
    ctx->rl_global_ms = base_now_ms();
    if (store_bucket_get(ctx->st, RL_GLOBAL_KEY, &b) == AIRLOCK_OK) {
        ctx->rl_global_tokens = b.tokens;
        ctx->rl_global_ms = b.updated_ms;
    }
}

bool engine_rl_allow(airlock_ctx *ctx, const char *sender, int64_t now_ms)
{
    rl_slot *s = slot_for(ctx, sender, sender_hash(ctx, sender), now_ms);
    double g;
    store_bucket b;

    s->tokens = refill(s->tokens, s->updated_ms, now_ms,
                       ENGINE_RL_SENDER_BURST, ENGINE_RL_SENDER_PER_MS);
    s->updated_ms = now_ms;
    g = refill(ctx->rl_global_tokens, ctx->rl_global_ms, now_ms,
               ENGINE_RL_GLOBAL_BURST, ENGINE_RL_GLOBAL_PER_MS);
    ctx->rl_global_tokens = g;
    ctx->rl_global_ms = now_ms;
    if (s->tokens < 1.0 || g < 1.0)
        return false;
    s->tokens -= 1.0;
    ctx->rl_global_tokens -= 1.0;
    /* Persist what changed for a sender that got through (inside the
     * inbound batch's transaction). */
    b.tokens = s->tokens;
    b.updated_ms = now_ms;
    (void)store_bucket_put(ctx->st, sender, &b);
    b.tokens = ctx->rl_global_tokens;
    (void)store_bucket_put(ctx->st, RL_GLOBAL_KEY, &b);
    return true;
}

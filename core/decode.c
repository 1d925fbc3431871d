/*
 * decode.c - where stored content becomes a display model, and what
 * happens when the decoder fails.
 *
 * With the sandbox on (the default), every render goes to the worker
 * process (core/sandbox.c): not only an accepted sender's full decode but
 * the inert path for strangers and the notice for blocked senders too. The
 * inert path is small, but one route is simpler to reason about than two,
 * and it keeps every byte a sender chose out of the engine's address space
 * while it is parsed. Only with airlock_config.sandbox = 0 does the engine
 * render in-process.
 *
 * A worker that crashes, hangs past the deadline or answers something that
 * is not a valid model costs the user nothing but that message's display:
 * the message stays stored (it was committed before rendering), it is shown
 * as a notice, a security event names the sender, and the next request
 * starts a new worker (after a backoff when failures repeat). A sender
 * whose messages bring the decoder down SANDBOX_CRASHES_MAX times goes back
 * to message requests, where only the inert path applies, until the user
 * reviews and accepts them again.
 */
#include "core/engine.h"

#include <stdio.h>
#include <string.h>

#define NOTICE_UNSAFE "message could not be displayed safely"

static sandbox_crash *crash_slot(sandbox_state *sb, const char *sender,
                                 bool create)
{
    sandbox_crash *best = NULL;
    size_t i;

    for (i = 0; i < SANDBOX_CRASH_SLOTS; i++)
        if (sb->crashes[i].sender[0] != '\0' &&
            strcmp(sb->crashes[i].sender, sender) == 0)
            return &sb->crashes[i];
    if (!create)
        return NULL;
    /* A free slot, else the one with the fewest crashes. */
    for (i = 0; i < SANDBOX_CRASH_SLOTS; i++)
        if (best == NULL || sb->crashes[i].sender[0] == '\0' ||
            sb->crashes[i].count < best->count) {
            best = &sb->crashes[i];
            if (best->sender[0] == '\0')
                break;
        }
    snprintf(best->sender, sizeof best->sender, "%s", sender);
    best->count = 0;
    return best;
}

static void emit_simple(airlock_ctx *ctx, airlock_event_kind kind,
                        const char *conv)
{
    airlock_event ev;

    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.conversation = conv;
    engine_emit(ctx, &ev);
}

/* Back to message requests, pending the user's review. */
static void demote(airlock_ctx *ctx, const char *sender)
{
    store_contact c;

    if (store_contact_get(ctx->st, sender, &c) != AIRLOCK_OK ||
        (c.trust != AIRLOCK_TRUST_ACCEPTED &&
         c.trust != AIRLOCK_TRUST_VERIFIED) ||
        store_contact_set_trust(ctx->st, sender, AIRLOCK_TRUST_UNKNOWN) !=
            AIRLOCK_OK)
        return;
    engine_log(ctx, "sandbox demote crashes=%u", SANDBOX_CRASHES_MAX);
    engine_security(ctx, AIRLOCK_SEC_DECODER_CRASH, sender,
                    "moved to message requests after repeated decoder "
                    "crashes");
    emit_simple(ctx, AIRLOCK_EVENT_CONTACTS, sender);
    emit_simple(ctx, AIRLOCK_EVENT_RERENDER, sender);
}

static void decoder_failed(airlock_ctx *ctx, const char *sender,
                           sandbox_fail fail, const char *detail)
{
    sandbox_crash *c;

    engine_log(ctx, "sandbox fail kind=%d failures=%u starts=%llu",
               (int)fail, ctx->sb.failures,
               (unsigned long long)ctx->sb.starts);
    if (fail == SANDBOX_FAIL_UNAVAILABLE) {
        /* Not this sender's doing: recorded without a name, not counted. */
        engine_security(ctx, AIRLOCK_SEC_DECODER_CRASH, "", detail);
        return;
    }
    engine_security(ctx, AIRLOCK_SEC_DECODER_CRASH, sender, detail);
    /* Own messages (other devices, history) are never demoted. */
    if (sender[0] == '\0' || strcmp(sender, ctx->account) == 0)
        return;
    c = crash_slot(&ctx->sb, sender, true);
    if (++c->count == SANDBOX_CRASHES_MAX)
        demote(ctx, sender);
}

/* A sender this context demoted renders inert even where the caller read
 * the trust before the demotion (the rest of an inbound batch); once the
 * user accepts them again, counting starts over. */
static airlock_trust effective_trust(airlock_ctx *ctx, const char *sender,
                                     airlock_trust trust)
{
    sandbox_crash *c;
    store_contact sc;

    if (trust != AIRLOCK_TRUST_ACCEPTED && trust != AIRLOCK_TRUST_VERIFIED)
        return trust;
    c = crash_slot(&ctx->sb, sender, false);
    if (c == NULL || c->count < SANDBOX_CRASHES_MAX)
        return trust;
    if (store_contact_get(ctx->st, sender, &sc) == AIRLOCK_OK &&
        sc.trust == AIRLOCK_TRUST_UNKNOWN)
        return AIRLOCK_TRUST_UNKNOWN;
    c->count = 0;
    return trust;
}

static airlock_err render_sandboxed(airlock_ctx *ctx, const char *sender,
                                    uint8_t op, const uint8_t *in, size_t n,
                                    airlock_input kind, airlock_trust trust,
                                    airlock_model **out)
{
    char detail[SANDBOX_DETAIL_MAX];
    sandbox_fail fail = SANDBOX_FAIL_NONE;
    airlock_err err;

    trust = effective_trust(ctx, sender, trust);
    err = sandbox_request(&ctx->sb, op, trust, kind, in, n, ctx->al, out,
                          &fail, detail);
    if (err != AIRLOCK_ERR_STATE)
        return err;
    decoder_failed(ctx, sender, fail, detail);
    return gate_model_notice(ctx->al, trust, NOTICE_UNSAFE, false, out);
}

airlock_err engine_render(airlock_ctx *ctx, const char *sender,
                          const uint8_t *content, size_t n,
                          store_content_kind kind, airlock_trust trust,
                          airlock_model **out)
{
    airlock_input in = kind == STORE_CONTENT_FRAME ? AIRLOCK_INPUT_FRAME :
                                                     AIRLOCK_INPUT_BODY;
    airlock_err err;

    if (out != NULL)
        *out = NULL;
    if (ctx == NULL || sender == NULL || out == NULL)
        return AIRLOCK_ERR_ARG;
    /* Nothing vouches for who sent an unencrypted message but the server's
     * word: it is shown as inert text whoever it claims to be from. */
    if (kind == STORE_CONTENT_BODY_PLAIN && trust != AIRLOCK_TRUST_BLOCKED)
        trust = AIRLOCK_TRUST_UNKNOWN;
    if (!ctx->sb.on)
        err = airlock_render(content, n, trust, in, ctx->al, out);
    else
        err = render_sandboxed(ctx, sender, SANDBOX_OP_RENDER, content, n, in,
                               trust, out);
    if (err == AIRLOCK_OK && kind == STORE_CONTENT_BODY_PLAIN)
        err = engine_mark_unencrypted(ctx, out);
    if (err == AIRLOCK_OK)
        engine_log(ctx, "render bytes=%zu kind=%d trust=%d sandbox=%d "
                   "spans=%zu attachments=%zu notices=%zu malformed=%d", n,
                   (int)in, (int)airlock_model_trust(*out), ctx->sb.on ? 1 : 0,
                   airlock_model_span_count(*out),
                   airlock_model_attachment_count(*out),
                   airlock_model_notice_count(*out),
                   airlock_model_malformed(*out));
    else
        engine_log(ctx, "render bytes=%zu kind=%d err=%d", n, (int)in,
                   (int)err);
    return err;
}

airlock_err engine_sandbox_start(airlock_ctx *ctx)
{
    airlock_err err;

    ctx->sb.on = ctx->sandbox != 0;
    ctx->sb.fd = -1;
    ctx->sb.pidfd = -1;
    if (ctx->sb.deadline_ms <= 0)
        ctx->sb.deadline_ms = SANDBOX_DEADLINE_MS;
    if (!ctx->sb.on)
        return AIRLOCK_OK;
    err = sandbox_spawn(&ctx->sb);
    engine_log(ctx, "sandbox start err=%d", (int)err);
    return err;
}

void engine_sandbox_stop(airlock_ctx *ctx)
{
    sandbox_kill(&ctx->sb);
}

#ifdef AIRLOCK_SANDBOX_TEST
airlock_err engine_sandbox_test(airlock_ctx *ctx, const char *sender,
                                uint8_t what, const uint8_t *arg, size_t n,
                                airlock_trust trust, airlock_model **out)
{
    uint8_t buf[1 + 4096];

    if (n > sizeof buf - 1)
        return AIRLOCK_ERR_TOO_LARGE;
    buf[0] = what;
    if (n > 0)
        memcpy(buf + 1, arg, n);
    return render_sandboxed(ctx, sender, SANDBOX_OP_TEST, buf, n + 1,
                            AIRLOCK_INPUT_FRAME, trust, out);
}
#endif

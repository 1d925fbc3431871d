/*
 * engine.h - the account context and what the engine's files share.
 * Private to core/.
 */
#ifndef AIRLOCK_CORE_ENGINE_H
#define AIRLOCK_CORE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/airlock.h"
#include "base/base.h"
#include "core/sandbox.h"
#include "crypto/crypto.h"
#include "net/net.h"
#include "store/store.h"

/* Rate limits for senders that are not accepted (checked before
 * decryption). Defaults from the design: burst 10 then 1 per minute per
 * sender; 100 per hour from all unknown senders together; at most 1000
 * stored request messages. */
#define ENGINE_RL_SENDER_BURST 10.0
#define ENGINE_RL_SENDER_PER_MS (60.0 * 1000.0)
#define ENGINE_RL_GLOBAL_BURST 100.0
#define ENGINE_RL_GLOBAL_PER_MS (36.0 * 1000.0)      /* 100 per hour */
#define ENGINE_RL_STORED_REQUESTS_MAX 1000u
/* In-memory rate-limit table: bounded whatever the number of senders. */
#define ENGINE_RL_SLOTS 1024u

#define ENGINE_BATCH_MAX 256u        /* envelopes per store transaction */
#define ENGINE_PREKEY_LOW 20u        /* replenish one-time prekeys below */
#define ENGINE_EVENT_FOLD_MS (60 * 1000)
#define ENGINE_HISTORY_PAGE_MAX 1000u

/* The devices one send inside airlock_batch_begin/end looked up, reused
 * by the next send to the same recipient (outbound.c). Forgotten when the
 * batch ends, so a device published meanwhile is seen from the next
 * batch. */
typedef struct send_cache {
    bool valid;
    char to[STORE_ADDR_MAX + 1];
    uint32_t to_devs[NET_ENV_HEADERS_MAX];
    size_t nto;
    uint32_t self_devs[NET_ENV_HEADERS_MAX];
    size_t nself;
} send_cache;

typedef struct rl_slot {
    uint64_t hash;                   /* 0: free */
    double tokens;
    int64_t updated_ms;
} rl_slot;

struct airlock_ctx {
    const airlock_allocator *al;
    airlock_event_cb on_event;
    void *user_data;
    char account[STORE_ADDR_MAX + 1];
    char home[4096];
    char dir[4096];                  /* home/account */
    store *st;
    crypto_ctx *cr;
    net_transport *net;
    airlock_transport transport;     /* the account's, from the store */
    int64_t devcheck_retry_ms;       /* DEVCHECK_RETRY_MS (tests: less) */
    int epfd;                        /* what airlock_fd() returns */
    uint32_t device_id;
    int64_t events_seen_id;
    /* rate limits (unknown senders) */
    rl_slot rl[ENGINE_RL_SLOTS];
    uint8_t rl_key[16];              /* SipHash key of the table */
    double rl_global_tokens;
    int64_t rl_global_ms;
    bool send_receipts;
    int sandbox;
    sandbox_state sb;                /* the decoder worker (sandbox.c) */
    int log_fd;                      /* debug log (log.c), when log_on */
    bool log_on;
    /* sends batched between airlock_batch_begin/end */
    unsigned batch_depth;
    bool batch_dirty;                /* outbox rows waiting for flush */
    bool prekeys_used;               /* replenish after this batch */
    int up_reported;                 /* transport state last told: -1 none */
    send_cache sends;                /* valid while batch_depth > 0 */
    airlock_stats stats;
};

/* Translate trust for rendering a message from (sender, device). */
airlock_trust engine_render_trust(airlock_ctx *ctx, const char *sender,
                                  uint32_t device, airlock_trust contact);

/* Render stored content from `sender` for display (through the sandboxed
 * decoder when it is on, decode.c). A decoder failure is not an error: the
 * model is a notice, a security event names the sender, and repeated
 * failures move the sender back to message requests. Errors: NOMEM, ARG,
 * TOO_LARGE. */
airlock_err engine_render(airlock_ctx *ctx, const char *sender,
                          const uint8_t *content, size_t n,
                          store_content_kind kind, airlock_trust trust,
                          airlock_model **out);

/* A message that travelled without end-to-end encryption (XMPP plain
 * <body>): *m is replaced by the same model with a notice saying so in
 * front (inbound.c). On failure *m is freed and NULL. */
#define ENGINE_NOTICE_UNENCRYPTED \
    "unencrypted: this message was sent without end-to-end encryption"
airlock_err engine_mark_unencrypted(airlock_ctx *ctx, airlock_model **m);

/* Over a transport with claimed senders (net_ops.claimed_senders), hold
 * the devices of `addr` that its published device list does not name
 * (all of them when the list cannot be fetched), and release those of
 * release[0..release_n) that it names (held only for this check). Queries
 * the transport, then runs its own transaction; *changed when a device
 * was held or released. No-op on other transports and for our own
 * address (devcheck.c). */
airlock_err engine_check_devices(airlock_ctx *ctx, const char *addr,
                                 const uint32_t *release, size_t release_n,
                                 bool *changed);
/* The same with the contact's device list already in hand (the send path
 * fetched it to encrypt): no second query. */
airlock_err engine_check_listed(airlock_ctx *ctx, const char *addr,
                                const uint32_t *listed, size_t listed_n,
                                bool *changed);
/* What the store remembers of the devices a check held for one contact
 * (meta value: last check time u64be, then device ids u32be). parse is
 * for bytes read back from the store (bounded reader; false and an empty
 * record on anything else: harness fuzz_devcheck_rec). */
#define DEVCHECK_PENDING_MAX 16u
#define DEVCHECK_VALUE_MAX (8u + 4u * DEVCHECK_PENDING_MAX)
typedef struct engine_devcheck_rec {
    int64_t last_ms;
    uint32_t dev[DEVCHECK_PENDING_MAX];
    size_t n;
} engine_devcheck_rec;
bool engine_devcheck_parse(const uint8_t *v, size_t n,
                           engine_devcheck_rec *p);
airlock_err engine_devcheck_encode(const engine_devcheck_rec *p,
                                   uint8_t **out, size_t *n);
/* A device held by a check writes again: is a new check due (at most one
 * per DEVCHECK_RETRY_MS per contact)? */
#define DEVCHECK_RETRY_MS (10 * 60 * 1000)
bool engine_devcheck_due(airlock_ctx *ctx, const char *addr, uint32_t dev,
                         int64_t now_ms);
/* The user took the devices of addr (ack-identity): nothing to re-check. */
airlock_err engine_devcheck_forget(airlock_ctx *ctx, const char *addr);

/* Record a security event and tell the front end. */
void engine_security(airlock_ctx *ctx, airlock_sec_kind kind,
                     const char *sender, const char *detail);

void engine_emit(airlock_ctx *ctx, const airlock_event *ev);

/* Inbound: fetch, process and acknowledge everything waiting. */
airlock_err engine_inbound(airlock_ctx *ctx, size_t *handled);

/* Outbound: encrypt and hand a frame to the transport. */
airlock_err engine_send(airlock_ctx *ctx, const char *to,
                        const uint8_t *frame, size_t n, bool store_copy,
                        uint8_t id_out[16]);

/* Load the persisted global bucket; key the table. */
void engine_rl_load(airlock_ctx *ctx);
/* Rate limiting for a non-accepted sender; true when allowed. */
bool engine_rl_allow(airlock_ctx *ctx, const char *sender, int64_t now_ms);

/* Valid address for the API: non-empty UTF-8 identifier <= 255 bytes. */
bool engine_addr_ok(const char *addr);

/* Retry sends a crash or a transport failure left in the outbox. */
airlock_err engine_outbox_flush(airlock_ctx *ctx);

/* The sandboxed decoder worker (core/decode.c, core/sandbox.c): started
 * by airlock_open when ctx->sandbox is set (AIRLOCK_ERR_UNSUPPORTED when it
 * cannot confine itself), stopped and reaped by airlock_close. */
airlock_err engine_sandbox_start(airlock_ctx *ctx);
void engine_sandbox_stop(airlock_ctx *ctx);

/* The debug log (core/log.c; airlock_config.debug_log): one line per
 * pipeline step with kinds, counts, sizes and device ids; never message
 * text, keys or addresses. engine_log is a no-op when the log is off; it
 * takes trusted format strings only. */
airlock_err engine_log_open(airlock_ctx *ctx, const char *path);
void engine_log_close(airlock_ctx *ctx);
void engine_log(airlock_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Publish more one-time prekeys when few are left. */
airlock_err engine_replenish_prekeys(airlock_ctx *ctx);

#endif /* AIRLOCK_CORE_ENGINE_H */

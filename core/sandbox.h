/*
 * sandbox.h - the sandboxed decoder: full decoding, styling and sanitizing
 * of inbound content run in a worker process (privilege separation as in
 * OpenSSH's README.privsep). Private to core/.
 *
 * The engine forks the worker at airlock_open (engine_sandbox_start) and
 * talks to it over a socketpair. The worker closes every other descriptor,
 * sets resource limits and no_new_privs, installs a seccomp filter whose
 * default action kills the process, says it is ready, and then only reads
 * requests, renders them with airlock_render() and writes replies. The
 * engine reads every reply with the bounded reader and rebuilds the model
 * through the checked gate_model_* builders, so a worker that was taken
 * over can still only hand back what a display model may hold.
 *
 * Protocol (all integers big-endian or minimal LEB128 varints):
 *
 *   ready     worker -> engine, once:  4 bytes SANDBOX_READY_MAGIC
 *   request   engine -> worker:  u32 n, then n bytes:
 *               u8 op (SANDBOX_OP_RENDER), u8 trust, u8 input kind,
 *               content (n - 3 bytes, <= AIRLOCK_RENDER_MAX)
 *   reply     worker -> engine:  u32 n (<= SANDBOX_REPLY_MAX), then n bytes:
 *               u8 status: 0 and a model, or -airlock_err (NOMEM, ARG,
 *               TOO_LARGE) and nothing else
 *   model     u8 trust, u8 flags (bit 0: malformed),
 *             uvarint withheld attachments, uvarint withheld fields,
 *             uvarint span count, each: uvarint style, uvarint quote depth,
 *               text (uvarint length 1..SANDBOX_TEXT_MAX, bytes);
 *             uvarint attachment count, each: mime (uvarint length, bytes),
 *               name (uvarint length, bytes), uvarint size;
 *             uvarint notice count, each: text (uvarint length, bytes)
 *
 * A reply that breaks any rule, arrives late (SANDBOX_DEADLINE_MS) or never
 * (the worker died) ends that worker; decode.c turns it into a notice and a
 * security event, and the next request starts a new worker after a backoff.
 */
#ifndef AIRLOCK_CORE_SANDBOX_H
#define AIRLOCK_CORE_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "airlock/airlock.h"
#include "base/base.h"
#include "core/gate.h"
#include "store/store.h"

#define SANDBOX_READY_MAGIC 0x41524c4bu      /* "ARLK" */
#define SANDBOX_OP_RENDER 1u
#define SANDBOX_REQ_HEADER 3u                /* op, trust, kind */
#define SANDBOX_REQ_MAX (SANDBOX_REQ_HEADER + AIRLOCK_RENDER_MAX)
/* Span text: a body is cut at 64 KiB and the sanitizer at most triples it;
 * the whole reply: every span at least one byte plus 5 bytes of framing,
 * with room for names and notices. */
#define SANDBOX_TEXT_MAX (3u * GATE_BODY_MAX)
#define SANDBOX_SPANS_MAX SANDBOX_TEXT_MAX
#define SANDBOX_NAME_MAX (3u * GATE_NAME_MAX)
#define SANDBOX_NOTICE_MAX 1024u
#define SANDBOX_REPLY_MAX (2u * 1024u * 1024u)

/* A request must be answered within this (wall clock, engine side). */
#define SANDBOX_DEADLINE_MS 2000
/* The worker is replaced once it has been busy this long: with RLIMIT_CPU
 * at SANDBOX_RLIMIT_CPU_S and one request bounded by the deadline, the CPU
 * limit is a backstop that an honest worker never reaches. */
#define SANDBOX_RECYCLE_BUSY_MS 10000
#define SANDBOX_RLIMIT_CPU_S 20
/* Address space the worker may add to what it inherited. */
#define SANDBOX_AS_HEADROOM (256u * 1024u * 1024u)
/* Restart backoff after consecutive failures: none after the first, then
 * SANDBOX_BACKOFF_MS doubling up to SANDBOX_BACKOFF_MAX_MS. A request
 * waits for a pending restart only up to SANDBOX_WAIT_MAX_MS; beyond that
 * it is answered with the "could not be displayed safely" notice. */
#define SANDBOX_BACKOFF_MS 50
#define SANDBOX_BACKOFF_MAX_MS 30000
#define SANDBOX_WAIT_MAX_MS 250
/* Crashes counted per sender; at SANDBOX_CRASHES_MAX the sender goes back
 * to message requests. A bounded table: the least-counted slot is reused. */
#define SANDBOX_CRASH_SLOTS 32u
#define SANDBOX_CRASHES_MAX 3u

typedef struct sandbox_crash {
    char sender[STORE_ADDR_MAX + 1];   /* "" when the slot is free */
    uint32_t count;
} sandbox_crash;

/* Lives in struct airlock_ctx (engine.h); zeroed with it. */
typedef struct sandbox_state {
    bool on;                   /* config: decode in the worker */
    bool running;              /* pid, fd and pidfd are valid */
    pid_t pid;
    int fd;                    /* engine's end, non-blocking, CLOEXEC */
    int pidfd;                 /* -1 when the kernel has no pidfd_open */
    uint32_t failures;         /* consecutive: the backoff exponent */
    int64_t retry_ms;          /* monotonic: no restart before this */
    int64_t busy_ms;           /* time the current worker spent on requests */
    uint64_t starts;           /* workers started by this context */
    int deadline_ms;           /* per request; SANDBOX_DEADLINE_MS */
    unsigned test_flags;       /* SANDBOX_TEST_* (test builds only) */
    sandbox_crash crashes[SANDBOX_CRASH_SLOTS];
} sandbox_state;

/* Why a request got no model from the worker. */
typedef enum sandbox_fail {
    SANDBOX_FAIL_NONE = 0,
    SANDBOX_FAIL_UNAVAILABLE = 1,  /* no worker could be started */
    SANDBOX_FAIL_CRASH = 2,        /* the worker died on the request */
    SANDBOX_FAIL_TIMEOUT = 3,      /* no answer within the deadline */
    SANDBOX_FAIL_REPLY = 4         /* the reply broke the protocol */
} sandbox_fail;

/* Start the worker now (a no-op when one is running). Errors:
 * AIRLOCK_ERR_UNSUPPORTED (the worker could not confine itself: no
 * seccomp; fail closed), AIRLOCK_ERR_IO (socketpair/fork), NOMEM. */
airlock_err sandbox_spawn(sandbox_state *sb) BASE_WUR;
/* Kill (if needed) and reap the worker; close its descriptors. */
void sandbox_kill(sandbox_state *sb);

/* One request: op and its bytes to the worker, a model back (allocated
 * with `al`). Returns AIRLOCK_OK with *out, or the worker's own NOMEM /
 * ARG / TOO_LARGE, or AIRLOCK_ERR_STATE with *fail saying why no model
 * came (the worker is gone then, except for UNAVAILABLE). Starts a worker
 * when none is running and the backoff allows. `detail` (may be NULL,
 * SANDBOX_DETAIL_MAX bytes) receives a short description of a failure. */
#define SANDBOX_DETAIL_MAX 96u
airlock_err sandbox_request(sandbox_state *sb, uint8_t op,
                            airlock_trust trust, airlock_input kind,
                            const uint8_t *in, size_t n,
                            const airlock_allocator *al, airlock_model **out,
                            sandbox_fail *fail, char *detail) BASE_WUR;

/* The model codec (both ends; exposed for tests and the fuzz harness). */
/* Append status 0 and the encoding of a finished model to w. */
airlock_err sandbox_model_write(wr *w, const airlock_model *m) BASE_WUR;
/* Read a whole reply body (status byte onwards) for a request of trust
 * `trust` and rebuild the model with the checked builders. Returns
 * AIRLOCK_OK with *out; the worker's status (NOMEM, ARG, TOO_LARGE);
 * AIRLOCK_ERR_MALFORMED / TRUNCATED / TOO_LARGE for a reply that breaks
 * the protocol or carries what the trust does not allow (styles, links or
 * attachments for a sender that is not accepted, a type not allowed,
 * unclean text); NOMEM. */
airlock_err sandbox_reply_decode(const uint8_t *in, size_t n,
                                 airlock_trust trust,
                                 const airlock_allocator *al,
                                 airlock_model **out) BASE_WUR;

/* ---- test builds only (compiled with -DAIRLOCK_SANDBOX_TEST) ----------- */
#define SANDBOX_TEST_UNCONFINED (1u << 0)  /* no seccomp, no rlimits (for
                                              valgrind, which has no
                                              seccomp) */
#define SANDBOX_TEST_NO_FILTER (1u << 1)   /* exit as if seccomp failed */
#define SANDBOX_OP_TEST 0x7Fu
/* The first content byte of an SANDBOX_OP_TEST request: */
#define SANDBOX_TEST_OPEN 1u       /* call open(2): forbidden */
#define SANDBOX_TEST_SOCKET 2u     /* call socket(2): forbidden */
#define SANDBOX_TEST_HANG 3u       /* never answer */
#define SANDBOX_TEST_SEGV 4u       /* write through a null pointer */
#define SANDBOX_TEST_ECHO 5u       /* reply with the rest of the bytes */
#define SANDBOX_TEST_EXIT 6u       /* _exit(7) in the middle of a request */
#ifdef AIRLOCK_SANDBOX_TEST
/* Send an SANDBOX_OP_TEST request (`what`, then n <= 4096 bytes of arg) as
 * if it were a message from `sender` rendered for `trust`: the same
 * failure handling as engine_render (decode.c). */
airlock_err engine_sandbox_test(airlock_ctx *ctx, const char *sender,
                                uint8_t what, const uint8_t *arg, size_t n,
                                airlock_trust trust, airlock_model **out);
#endif

#endif /* AIRLOCK_CORE_SANDBOX_H */

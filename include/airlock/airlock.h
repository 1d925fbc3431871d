/*
 * airlock.h - the one public header of libairlock.
 *
 * Airlock is a Signal-protocol messaging core whose inbound path is gated by
 * sender: a message from a sender the user has not accepted is decrypted,
 * sealed into the store and shown as inert text; only accepted senders'
 * content is decoded in full, and then only into the fixed whitelist display
 * model declared below. Front ends draw that model; they never parse message
 * bytes.
 *
 * Conventions (they hold for every function unless its comment says
 * otherwise):
 *  - Functions return airlock_err: AIRLOCK_OK (0) or a negative code.
 *  - Out-parameters are set to NULL / 0 on entry and assigned only on success.
 *  - Objects come in _new/_open and _free/_close pairs; _free(NULL) is a no-op
 *    and wipes any secret the object held.
 *  - Strings are UTF-8 and NUL-terminated. Every string the library hands out
 *    has been through the sanitizer: no control, escape, bidi override or
 *    invisible character reaches a display.
 *  - Pointers handed out as "borrowed" live until the object they came from is
 *    freed, unless stated otherwise.
 *  - Thread safety: an airlock_ctx and everything obtained from it must be
 *    used from one thread at a time. Distinct contexts are independent: the
 *    library keeps no global mutable state. Free-standing functions
 *    (airlock_render, airlock_sanitize, airlock_frame_encode,
 *    airlock_text_width, airlock_strerror, airlock_version, airlock_free,
 *    airlock_sec_kind_name, the vector functions, and the accessors of a
 *    model or list you own) are safe from any thread.
 *  - Return codes: each comment names the codes the function itself
 *    decides. Any function that reads or writes the account's database may
 *    in addition return AIRLOCK_ERR_NOMEM, AIRLOCK_ERR_STORE (SQLite failed,
 *    e.g. disk full or locked) or AIRLOCK_ERR_CORRUPT (a damaged database or
 *    sealed record); those three are not repeated below.
 *  - Events: the on_event callback of airlock_config runs synchronously, on
 *    the calling thread, from inside the library call that caused the
 *    event: airlock_step() above all, also the trust calls (airlock_accept,
 *    _block, _unblock, _delete_request, _verify, _ack_identity) and
 *    airlock_history() (a decoder crash). Everything an event points to is
 *    borrowed for the callback only. Calling back into the same context
 *    from inside the callback is not supported: note what to do and do it
 *    after the call returns.
 *  - Binary compatibility: the SONAME is libairlock.so.<MAJOR>; every
 *    symbol is versioned AIRLOCK_0. Handles are opaque. Structs the library
 *    fills and hands out by pointer (airlock_span, airlock_attachment,
 *    airlock_message, airlock_event, airlock_contact,
 *    airlock_security_event) only ever grow at the end. airlock_config is
 *    versioned by struct_size. Structs the caller allocates that carry no
 *    size (airlock_allocator, airlock_frame_attachment, airlock_stats)
 *    never change within one SONAME.
 *
 * Memory the library returns as `char *` or `uint8_t *` for the caller to own
 * is released with airlock_free(); it comes from malloc whatever allocator
 * was configured.
 */
#ifndef AIRLOCK_AIRLOCK_H
#define AIRLOCK_AIRLOCK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define AIRLOCK_API __attribute__((visibility("default")))
#define AIRLOCK_WUR __attribute__((warn_unused_result))
#else
#define AIRLOCK_API
#define AIRLOCK_WUR
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                   */
/* ------------------------------------------------------------------------ */

#define AIRLOCK_VERSION_MAJOR 0
#define AIRLOCK_VERSION_MINOR 1
#define AIRLOCK_VERSION_PATCH 0
#define AIRLOCK_VERSION_STRING "0.1.0"

/* The library's version string ("MAJOR.MINOR.PATCH"); static storage, never
 * NULL. Compare it with AIRLOCK_VERSION_STRING to notice a program running
 * against another library than the header it was built with. Thread-safe. */
AIRLOCK_API const char *airlock_version(void);

/* ------------------------------------------------------------------------ */
/* Errors (append-only; values never change)                                 */
/* ------------------------------------------------------------------------ */

typedef enum airlock_err {
    AIRLOCK_OK = 0,
    /* resources and programming errors */
    AIRLOCK_ERR_NOMEM = -1,             /* an allocation failed */
    AIRLOCK_ERR_ARG = -2,               /* invalid argument (caller bug) */
    AIRLOCK_ERR_STATE = -3,             /* not valid in the current state */
    AIRLOCK_ERR_UNSUPPORTED = -4,       /* feature not available here */
    /* hostile or broken input */
    AIRLOCK_ERR_TRUNCATED = -10,        /* input ends before a field does */
    AIRLOCK_ERR_MALFORMED = -11,        /* input violates its format */
    AIRLOCK_ERR_TOO_LARGE = -12,        /* input exceeds a named maximum */
    /* authentication and trust */
    AIRLOCK_ERR_AUTH = -20,             /* MAC / AEAD tag / signature failed */
    AIRLOCK_ERR_UNTRUSTED_IDENTITY = -21, /* identity key does not match */
    AIRLOCK_ERR_DUPLICATE = -22,        /* replayed or already-seen message */
    AIRLOCK_ERR_NO_SESSION = -23,       /* no session with that device */
    AIRLOCK_ERR_PASSPHRASE = -24,       /* wrong passphrase */
    AIRLOCK_ERR_BLOCKED = -25,          /* the peer is blocked */
    AIRLOCK_ERR_LIMITED = -26,          /* dropped by a rate limit */
    AIRLOCK_ERR_CRYPTO = -27,           /* internal cryptographic failure */
    /* store and I/O */
    AIRLOCK_ERR_STORE = -30,            /* database error */
    AIRLOCK_ERR_CORRUPT = -31,          /* database or sealed blob damaged */
    AIRLOCK_ERR_SCHEMA = -32,           /* database from a newer schema */
    AIRLOCK_ERR_IO = -40,               /* file system error */
    AIRLOCK_ERR_PERM = -41,             /* unsafe file permissions */
    AIRLOCK_ERR_NOT_FOUND = -42,        /* no such account, contact, ... */
    AIRLOCK_ERR_EXISTS = -43,           /* already exists */
    AIRLOCK_ERR_TIMEOUT = -44,          /* an operation timed out */
    /* network */
    AIRLOCK_ERR_NET = -50,              /* transport failure */
    AIRLOCK_ERR_TLS = -51               /* TLS or certificate failure */
} airlock_err;

/* A short English description of `err`; static storage, never NULL
 * ("unknown error" for a value this version does not know). Thread-safe. */
AIRLOCK_API const char *airlock_strerror(airlock_err err);

/* Release memory the library handed to the caller as `char *` or
 * `uint8_t *` (JSON, text, sanitized strings, frames, envelopes).
 * Models, lists and contexts have their own _free/_close instead.
 * airlock_free(NULL) is a no-op. Thread-safe. */
AIRLOCK_API void airlock_free(void *p);

/* ------------------------------------------------------------------------ */
/* Allocator                                                                 */
/* ------------------------------------------------------------------------ */

/* An optional allocator for Airlock's own allocations (the display model,
 * the render path, the inbound pipeline). Third-party libraries (SQLite,
 * libsignal, OpenSSL) keep their own allocators, and memory released with
 * airlock_free() always comes from malloc.
 *
 * `alloc` NULL means malloc (the rest is then ignored); with `alloc` set,
 * `free` must be set too. `realloc` may be NULL (alloc, copy, free is used
 * instead). `alloc` returns memory aligned like malloc's, or NULL (the call
 * then fails with AIRLOCK_ERR_NOMEM). The functions are called on the
 * thread that called the library, with `user_data`.
 * Lifetime: airlock_render copies the struct into the model, so the
 * functions and user_data must stay valid until airlock_model_free();
 * airlock_config.allocator is kept by pointer, so the struct itself must
 * stay valid until airlock_close(). */
typedef struct airlock_allocator {
    void *(*alloc)(size_t size, void *user_data);
    void *(*realloc)(void *p, size_t size, void *user_data);
    void (*free)(void *p, void *user_data);
    void *user_data;
} airlock_allocator;

/* ------------------------------------------------------------------------ */
/* Trust and the display model                                               */
/* ------------------------------------------------------------------------ */

typedef enum airlock_trust {
    AIRLOCK_TRUST_UNKNOWN = 0,   /* message request: inert text only */
    AIRLOCK_TRUST_ACCEPTED = 1,  /* contact: full decoder, whitelist model */
    AIRLOCK_TRUST_VERIFIED = 2,  /* accepted and safety number compared */
    AIRLOCK_TRUST_BLOCKED = 3    /* dropped before decryption */
} airlock_trust;

/* The fixed set of span styles. Nothing else is ever drawn. */
#define AIRLOCK_STYLE_BOLD    (1u << 0)
#define AIRLOCK_STYLE_ITALIC  (1u << 1)
#define AIRLOCK_STYLE_STRIKE  (1u << 2)
#define AIRLOCK_STYLE_MONO    (1u << 3)
#define AIRLOCK_STYLE_PRE     (1u << 4)
#define AIRLOCK_STYLE_QUOTE   (1u << 5)
#define AIRLOCK_STYLE_SPOILER (1u << 6)
#define AIRLOCK_STYLE_LINK    (1u << 7)

/* What the bytes handed to airlock_render are. */
typedef enum airlock_input {
    AIRLOCK_INPUT_FRAME = 0,     /* content frame v1 (docs/WIRE-FORMAT.md) */
    AIRLOCK_INPUT_BODY = 1       /* bare body text (XMPP / OMEMO payload) */
} airlock_input;

/* Largest input airlock_render accepts (bytes). */
#define AIRLOCK_RENDER_MAX 262144u

/* One span of sanitized text. Fields are only ever appended to this struct;
 * the library allocates it, so reading a newer one is safe. Spans of one
 * model are drawn in order and concatenated; "\n" inside text is a line
 * break. */
typedef struct airlock_span {
    const char *text;        /* sanitized UTF-8, NUL-terminated */
    size_t len;              /* bytes in text, without the NUL */
    uint32_t style;          /* AIRLOCK_STYLE_* bits */
    const char *href;        /* link target when style has LINK, else NULL;
                                scheme http, https, xmpp or mailto only */
    uint32_t quote_depth;    /* block-quote nesting (1..8) when QUOTE */
} airlock_span;

/* Metadata of an allowed attachment (accepted senders only). Nothing is
 * downloaded or decoded by the library; these are the sender's claims,
 * sanitized. */
typedef struct airlock_attachment {
    const char *mime;        /* one of the allowed types */
    const char *name;        /* sanitized, path separators removed */
    uint64_t size;           /* size the sender claims, in bytes */
} airlock_attachment;

typedef struct airlock_model airlock_model;

/* Render `len` bytes of `in` for a sender of trust `trust`.
 *
 * UNKNOWN (and any device whose identity changed, which callers pass as
 * UNKNOWN) takes the inert path: only the body is read, sanitized, shown
 * without styles or links. ACCEPTED and VERIFIED take the full decoder and
 * the XEP-0393 styling parser. BLOCKED renders nothing but a notice.
 * Malformed input is not an error: it yields a model with a notice (and
 * airlock_model_malformed() true). `al` may be NULL for malloc.
 * `in` is only read during the call; the model owns copies.
 * Returns AIRLOCK_OK, AIRLOCK_ERR_TOO_LARGE when len > AIRLOCK_RENDER_MAX,
 * AIRLOCK_ERR_ARG (out NULL, in NULL with len > 0, trust or kind not one
 * of the enum's values), AIRLOCK_ERR_NOMEM. The caller frees *out with
 * airlock_model_free(). Thread-safe. */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_render(
    const uint8_t *in, size_t len, airlock_trust trust, airlock_input kind,
    const airlock_allocator *al, airlock_model **out);

/* Free a model from airlock_render (never one borrowed from an event or a
 * message list) with the allocator it was made with. NULL is a no-op. */
AIRLOCK_API void airlock_model_free(airlock_model *m);

/* Accessors. They never fail: a NULL model reads as empty (0 counts, NULL
 * items, UNKNOWN trust). Pointers they return are borrowed from the model
 * and live until it is freed (for a model in an event: until the callback
 * returns; in a message list: until the list is freed). */

/* The trust the model was rendered for. */
AIRLOCK_API airlock_trust airlock_model_trust(const airlock_model *m);
AIRLOCK_API size_t airlock_model_span_count(const airlock_model *m);
/* Borrowed; NULL when i is out of range. */
AIRLOCK_API const airlock_span *airlock_model_span(const airlock_model *m,
                                                   size_t i);
AIRLOCK_API size_t airlock_model_attachment_count(const airlock_model *m);
/* Borrowed; NULL when i is out of range. */
AIRLOCK_API const airlock_attachment *airlock_model_attachment(
    const airlock_model *m, size_t i);
/* Counts of what was not shown: attachments (type not allowed, or any
 * attachment from a non-accepted sender) and other fields (unknown tags,
 * reactions, receipts, anything after the body on the inert path). The
 * inert path does not parse past the body, so an attachment a stranger
 * sends is counted among `fields`. Either pointer may be NULL. */
AIRLOCK_API void airlock_model_withheld(const airlock_model *m,
                                        uint32_t *attachments,
                                        uint32_t *fields);
AIRLOCK_API size_t airlock_model_notice_count(const airlock_model *m);
/* Borrowed sanitized notice text; NULL when out of range. */
AIRLOCK_API const char *airlock_model_notice(const airlock_model *m,
                                             size_t i);
/* True when the input violated the frame format (a security event). */
AIRLOCK_API int airlock_model_malformed(const airlock_model *m);

/* Serialize to the JSON documented in docs/WIRE-FORMAT.md; *out is
 * NUL-terminated, freed with airlock_free(); out_len may be NULL.
 * Returns AIRLOCK_OK, AIRLOCK_ERR_ARG (m or out NULL), AIRLOCK_ERR_NOMEM,
 * AIRLOCK_ERR_TOO_LARGE (the JSON would exceed its cap). Thread-safe on a
 * model no other thread frees. */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_model_to_json(
    const airlock_model *m, char **out, size_t *out_len);
/* Terminal-safe text: spans joined, attachments as "[attachment] NAME
 * (MIME, N bytes)" and notices as "[notice] ..." on their own lines. Styles
 * and link targets are dropped. Freed with airlock_free(); out_len may be
 * NULL. Returns as airlock_model_to_json. */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_model_to_text(
    const airlock_model *m, char **out, size_t *out_len);

/* Building content frames (for front ends that send more than text). */
typedef struct airlock_frame_attachment {
    const char *mime;             /* ASCII, <= 64 bytes */
    const char *name;             /* UTF-8, <= 255 bytes */
    uint64_t size;
    const uint8_t *sha256;        /* 32 bytes or NULL */
    const uint8_t *key;           /* 32 bytes or NULL */
    const char *locator;          /* <= 2048 bytes or NULL */
} airlock_frame_attachment;

/* Encode a content frame v1 with a body (may be NULL), an optional reply
 * target (16-byte message id or NULL) and up to 8 attachments, for
 * airlock_send_frame(). The inputs are only read during the call. *out is
 * freed with airlock_free().
 * Returns AIRLOCK_OK, AIRLOCK_ERR_ARG (out or out_len NULL, body NULL with
 * body_len > 0, atts NULL with natts > 0, a mime that is NULL or not 1..64
 * visible ASCII bytes), AIRLOCK_ERR_TOO_LARGE (natts > 8, body over 65536
 * bytes, name over 255, locator over 2048, size over 2^53 - 1, or the
 * whole frame over AIRLOCK_RENDER_MAX), AIRLOCK_ERR_NOMEM. Thread-safe. */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_frame_encode(
    const char *body, size_t body_len, const uint8_t *reply_to16,
    const airlock_frame_attachment *atts, size_t natts, uint8_t **out,
    size_t *out_len);

/* Sanitize arbitrary bytes into displayable UTF-8 (the same sanitizer every
 * body, name and notice goes through): invalid UTF-8 becomes U+FFFD,
 * controls, escapes, bidi overrides and invisible characters are
 * neutralised. *out is NUL-terminated, freed with airlock_free(); out_len
 * may be NULL. Returns AIRLOCK_OK, AIRLOCK_ERR_ARG (out NULL, or in NULL
 * with len > 0), AIRLOCK_ERR_TOO_LARGE, AIRLOCK_ERR_NOMEM. Thread-safe. */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_sanitize(const uint8_t *in,
                                                     size_t len, char **out,
                                                     size_t *out_len);

/* Display width in terminal columns of `len` bytes of UTF-8 at `s`
 * (utf8proc widths: wide CJK and emoji count 2, combining marks 0; an
 * invalid sequence counts as U+FFFD). 0 for NULL. Thread-safe. */
AIRLOCK_API size_t airlock_text_width(const char *s, size_t len);

/* ------------------------------------------------------------------------ */
/* Envelope test vectors (docs/WIRE-FORMAT.md, "Envelope vectors")           */
/* ------------------------------------------------------------------------ */

/* For test vectors only. Two throwaway accounts live in a temporary
 * directory for the duration of the call; every random byte each uses
 * comes from a ChaCha20 keystream of its 32-byte seed, and the clock is
 * `time_ms`. Nothing here touches a real account.
 *
 * airlock_vector_seal: the envelope v1 `sender` sends `frame` to
 * `recipient` with (the first message of a new session). *env is freed
 * with airlock_free(). Errors: ARG, TOO_LARGE, NOMEM, IO, CRYPTO.
 * airlock_vector_open: decrypt an envelope addressed to the account made
 * from `recipient_seed`, giving the content frame (freed with
 * airlock_free()). Errors: MALFORMED/TRUNCATED/TOO_LARGE (envelope),
 * NOT_FOUND (no header for that device), AUTH, DUPLICATE, NOMEM, IO.
 * Thread-safe. */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_vector_seal(
    const uint8_t sender_seed[32], const char *sender,
    const uint8_t recipient_seed[32], const char *recipient,
    uint64_t time_ms, const uint8_t *frame, size_t n, uint8_t **env,
    size_t *env_n);
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_vector_open(
    const uint8_t recipient_seed[32], const uint8_t *env, size_t n,
    uint8_t **frame, size_t *frame_n);

/* ------------------------------------------------------------------------ */
/* Account context                                                           */
/* ------------------------------------------------------------------------ */

typedef struct airlock_ctx airlock_ctx;

typedef enum airlock_transport {
    AIRLOCK_TRANSPORT_LOCAL = 1,  /* shared SQLite mailbox on this machine */
    AIRLOCK_TRANSPORT_XMPP = 2    /* XMPP with OMEMO */
} airlock_transport;

typedef enum airlock_event_kind {
    AIRLOCK_EVENT_MESSAGE = 1,    /* a message (in or out) to show */
    AIRLOCK_EVENT_REQUEST = 2,    /* a message from a non-accepted sender */
    AIRLOCK_EVENT_RERENDER = 3,   /* a conversation must be redrawn */
    AIRLOCK_EVENT_SECURITY = 4,   /* a security event was recorded */
    AIRLOCK_EVENT_RECEIPT = 5,    /* a delivery/read receipt arrived (not
                                     emitted by 0.1.0: receipts update
                                     airlock_message.state, which
                                     airlock_history shows) */
    AIRLOCK_EVENT_TRANSPORT = 6,  /* transport state changed */
    AIRLOCK_EVENT_CONTACTS = 7    /* contact list / trust changed */
} airlock_event_kind;

typedef enum airlock_sec_kind {
    AIRLOCK_SEC_MALFORMED_ENVELOPE = 1,
    AIRLOCK_SEC_DECRYPT_FAILED = 2,
    AIRLOCK_SEC_RATE_LIMITED = 3,
    AIRLOCK_SEC_BLOCKED_DROP = 4,
    AIRLOCK_SEC_IDENTITY_CHANGED = 5,
    AIRLOCK_SEC_UNDECODABLE_FRAME = 6,
    AIRLOCK_SEC_DUPLICATE = 7,
    AIRLOCK_SEC_OVERSIZED = 8,
    AIRLOCK_SEC_DECODER_CRASH = 9,
    AIRLOCK_SEC_NO_PASSPHRASE = 10,
    AIRLOCK_SEC_SPOOFED_STANZA = 11,
    AIRLOCK_SEC_UNENCRYPTED = 12
} airlock_sec_kind;

/* Short stable name of a security event kind ("blocked_drop", ...);
 * static storage, never NULL ("unknown" for a value this version does not
 * know). Thread-safe. */
AIRLOCK_API const char *airlock_sec_kind_name(airlock_sec_kind k);

/* One recorded security event; all strings borrowed. */
typedef struct airlock_security_event {
    int64_t id;                   /* 0 in an AIRLOCK_EVENT_SECURITY event */
    int64_t time_ms;              /* first occurrence, ms since the epoch */
    int64_t last_ms;              /* latest occurrence */
    airlock_sec_kind kind;
    const char *sender;           /* sanitized address, "" when none */
    uint32_t count;               /* occurrences folded into this event */
    const char *detail;           /* sanitized, never key or message text */
} airlock_security_event;

typedef enum airlock_msg_state {
    AIRLOCK_MSG_RECEIVED = 0,
    AIRLOCK_MSG_QUEUED = 1,       /* outgoing, not yet handed to transport */
    AIRLOCK_MSG_SENT = 2,
    AIRLOCK_MSG_DELIVERED = 3,
    AIRLOCK_MSG_READ = 4
} airlock_msg_state;

/* One message as a front end draws it; all pointers borrowed (from the
 * event, for the callback only; from a message list, until it is freed). */
typedef struct airlock_message {
    uint8_t id[16];
    const char *conversation;     /* peer address */
    const char *from;             /* sender address (own for outgoing) */
    uint32_t device;              /* sender device id */
    int64_t time_ms;              /* sender's timestamp */
    int64_t received_ms;          /* local arrival time */
    int outgoing;
    airlock_msg_state state;
    const airlock_model *model;   /* the display model, rendered for the
                                     sender's trust; never free it */
} airlock_message;

/* An event delivered to the callback. Everything it points to is borrowed
 * for the duration of the callback only. MESSAGE and REQUEST are not sent
 * for the user's own outgoing messages from this context (they are in
 * airlock_history); messages sent from the account's other devices arrive
 * as MESSAGE with outgoing set. */
typedef struct airlock_event {
    airlock_event_kind kind;
    const char *conversation;             /* peer address or NULL */
    const airlock_message *message;       /* MESSAGE, REQUEST */
    const airlock_security_event *security; /* SECURITY */
    int transport_up;                     /* TRANSPORT */
} airlock_event;

/* Runs on the thread that called the library, from inside the call (see
 * "Events" at the top); must not call back into the same context. */
typedef void (*airlock_event_cb)(const airlock_event *ev, void *user_data);

/* Account configuration. Always start from airlock_config_init(); fields
 * are only ever appended, and struct_size tells the library which exist.
 * The library copies what it needs during airlock_account_create and
 * airlock_open, except `allocator` (kept by pointer) and `user_data`
 * (handed to on_event): those stay valid until airlock_close(). */
typedef struct airlock_config {
    size_t struct_size;           /* set by airlock_config_init */
    const char *home;             /* data root; account dir home/<account> */
    const char *account;          /* own address, e.g. "alice@example.org" */
    const char *passphrase;       /* NULL with no_passphrase */
    size_t passphrase_len;
    int no_passphrase;            /* explicit: key file instead of Argon2id */
    airlock_transport transport;
    const char *relay_path;       /* local mailbox; NULL for the default */
    const char *xmpp_host;        /* NULL: from the address */
    uint16_t xmpp_port;           /* 0: 5222 */
    int xmpp_tls;                 /* 0 verify, 1 trust, 2 disable (loopback) */
    const char *xmpp_password;
    int sandbox;                  /* decoder in a seccomp worker (default 1;
                                     docs/THREAT-MODEL.md). Fails closed:
                                     where the worker cannot confine itself,
                                     airlock_open returns
                                     AIRLOCK_ERR_UNSUPPORTED; 0 decodes
                                     in-process */
    const airlock_allocator *allocator; /* NULL: malloc */
    airlock_event_cb on_event;    /* may be NULL */
    void *user_data;
    const char *debug_log;        /* path of a debug log, or NULL: appended
                                     to, created 0600; AIRLOCK_ERR_PERM from
                                     airlock_open if others can read it.
                                     Steps, kinds, counts, sizes and device
                                     ids only: never message text, keys or
                                     addresses */
    int send_receipts;            /* delivery receipts to accepted contacts
                                     (default 1); never to anyone else */
} airlock_config;

/* struct_size: at least sizeof(airlock_config) of this header's first
 * release (older callers do not exist yet), at most this. A larger struct
 * from a newer header is accepted only when every byte past the fields
 * this library knows is zero; otherwise AIRLOCK_ERR_UNSUPPORTED (an option
 * it cannot honour is never silently ignored). */
#define AIRLOCK_CONFIG_SIZE_MAX 4096u

/* Fill `cfg` with defaults: struct_size, home NULL (meaning
 * $XDG_DATA_HOME/airlock, else ~/.local/share/airlock), local transport,
 * sandbox on, receipts on, everything else 0 / NULL. NULL is a no-op.
 * Thread-safe. */
AIRLOCK_API void airlock_config_init(airlock_config *cfg);

/* Create a new account in cfg->home (identity key, device id, prekeys) and
 * publish its bundle to the transport. Directories it makes are 0700. An
 * XMPP account needs xmpp_password and a reachable server; one that fails
 * is removed again, so the call can be repeated.
 * Returns AIRLOCK_OK, AIRLOCK_ERR_ARG (cfg NULL or struct_size too small,
 * account not a valid address (no control, format or separator code
 * point, no '/', not starting with '.', at most 255 bytes), passphrase
 * NULL without no_passphrase, a path too long, XMPP settings invalid),
 * AIRLOCK_ERR_UNSUPPORTED (unknown transport; a field set past what this
 * library knows), AIRLOCK_ERR_EXISTS (the account directory exists),
 * AIRLOCK_ERR_IO / AIRLOCK_ERR_PERM (the data
 * directory cannot be made or is open to others), AIRLOCK_ERR_CRYPTO, and
 * for XMPP AIRLOCK_ERR_NET, AIRLOCK_ERR_TLS, AIRLOCK_ERR_AUTH,
 * AIRLOCK_ERR_TIMEOUT. Not thread-safe against an airlock_open of the same
 * account. */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_account_create(
    const airlock_config *cfg);

/* Open an existing account: unlock the database, connect the transport,
 * start the sandboxed decoder, send what a crash left in the outbox.
 * *out is closed by the caller with airlock_close(). Open an account in one
 * context at a time.
 * Returns AIRLOCK_OK, AIRLOCK_ERR_ARG (as airlock_account_create, or out
 * NULL), AIRLOCK_ERR_NOT_FOUND (no such account), AIRLOCK_ERR_PASSPHRASE
 * (wrong passphrase or key file), AIRLOCK_ERR_PERM (account directory or
 * its files open to others or owned by another user; a debug log others
 * can read), AIRLOCK_ERR_SCHEMA (database from a
 * newer version), AIRLOCK_ERR_UNSUPPORTED (unknown transport, or the
 * sandbox cannot confine itself here: see `sandbox`), AIRLOCK_ERR_IO,
 * AIRLOCK_ERR_CRYPTO, and for XMPP AIRLOCK_ERR_AUTH (credentials refused;
 * a server that cannot be reached is not an error: the transport keeps
 * trying, see AIRLOCK_EVENT_TRANSPORT). */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_open(const airlock_config *cfg,
                                                 airlock_ctx **out);
/* Close, wiping every key in memory; stops the decoder worker and closes
 * airlock_fd(). Queued outgoing messages stay in the outbox for the next
 * airlock_open. NULL is a no-op. Not from inside the event callback. */
AIRLOCK_API void airlock_close(airlock_ctx *ctx);

/* A file descriptor that becomes readable when airlock_step() has work:
 * add it to poll()/epoll, or g_unix_fd_add(fd, G_IO_IN, ...). Only wait on
 * it; never read, write or close it. Borrowed: valid until airlock_close().
 * -1 for a NULL context. The transport also has timers (a polling
 * fallback, keepalives) that do not make the descriptor readable: call
 * airlock_step(ctx, 0) every 250 ms or so as well. */
AIRLOCK_API int airlock_fd(const airlock_ctx *ctx);

/* Do pending work, waiting at most timeout_ms (0: do not wait; -1: wait
 * until something happens): receive and store envelopes, deliver their
 * events, send the outbox. Events are delivered from inside this call.
 * Returns AIRLOCK_OK (also when nothing was to do, and when hostile input
 * was dropped: that is a SECURITY event, not an error), AIRLOCK_ERR_ARG
 * (ctx NULL), AIRLOCK_ERR_IO (waiting failed), AIRLOCK_ERR_NET (the
 * transport failed; queued messages stay queued) or a store error. The
 * context stays usable after any of them. */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_step(airlock_ctx *ctx,
                                                 int timeout_ms);

/* The own address; borrowed until airlock_close(); NULL for a NULL ctx. */
AIRLOCK_API const char *airlock_account(const airlock_ctx *ctx);
/* This device's id (1..2^31-1); 0 for a NULL ctx. */
AIRLOCK_API uint32_t airlock_device_id(const airlock_ctx *ctx);
/* Whether the transport is connected (1) or not (0). Changes are reported
 * as AIRLOCK_EVENT_TRANSPORT from airlock_step(). */
AIRLOCK_API int airlock_transport_up(const airlock_ctx *ctx);
/* The transport the account was created with (airlock_open takes it from
 * the account, whatever cfg->transport says); AIRLOCK_TRANSPORT_LOCAL for
 * a NULL ctx. */
AIRLOCK_API airlock_transport airlock_transport_kind(const airlock_ctx *ctx);

/* Send body text to `to` (becomes a content frame with field body). The
 * recipient becomes an accepted contact: writing to someone is consent.
 * id_out (may be NULL) receives the message id. `text` is `len` bytes of
 * UTF-8, only read during the call. The message is encrypted, stored and
 * queued in one commit, then handed to the transport (at once, or at
 * airlock_batch_end()).
 * Returns AIRLOCK_OK, AIRLOCK_ERR_ARG (ctx or text NULL, `to` not a valid
 * address), AIRLOCK_ERR_TOO_LARGE (text over 65536 bytes),
 * AIRLOCK_ERR_NOT_FOUND (`to` has published no device),
 * AIRLOCK_ERR_NO_SESSION (no device of `to` could be reached: its bundles
 * were missing or rejected), AIRLOCK_ERR_CRYPTO, AIRLOCK_ERR_NET (stored
 * and queued, but the transport took nothing yet: airlock_step() retries;
 * id_out is set). */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_send_text(airlock_ctx *ctx,
    const char *to, const char *text, size_t len, uint8_t id_out[16]);
/* Send a prepared content frame v1 (from airlock_frame_encode()), as
 * airlock_send_text. Over XMPP only a frame holding nothing but a body can
 * travel (AIRLOCK_ERR_UNSUPPORTED otherwise; AIRLOCK_ERR_ARG when it does
 * not decode). Returns as airlock_send_text, with TOO_LARGE over
 * AIRLOCK_RENDER_MAX bytes. */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_send_frame(airlock_ctx *ctx,
    const char *to, const uint8_t *frame, size_t len, uint8_t id_out[16]);

/* Group several sends into one durable commit (one store transaction and
 * one transport transaction) until airlock_batch_end(). Nesting counts;
 * the outbox goes to the transport when the outermost batch ends.
 * airlock_batch_begin returns AIRLOCK_OK, AIRLOCK_ERR_ARG (ctx NULL) or a
 * store error; airlock_batch_end AIRLOCK_OK, AIRLOCK_ERR_STATE (no batch
 * open), AIRLOCK_ERR_NET (committed and queued, not yet handed over) or a
 * store error. */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_batch_begin(airlock_ctx *ctx);
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_batch_end(airlock_ctx *ctx);

/* Contacts and conversations --------------------------------------------- */

typedef struct airlock_contact {
    const char *address;          /* sanitized */
    const char *label;            /* sanitized display label */
    airlock_trust trust;
    int identity_changed;         /* a device's key changed, not acknowledged */
    int64_t last_ms;              /* time of the newest message, 0 if none */
    uint32_t messages;            /* stored messages */
    uint32_t unread;
} airlock_contact;

typedef struct airlock_contact_list airlock_contact_list;

#define AIRLOCK_LIST_CHATS    (1u << 0)  /* accepted and verified */
#define AIRLOCK_LIST_REQUESTS (1u << 1)  /* unknown senders */
#define AIRLOCK_LIST_BLOCKED  (1u << 2)
#define AIRLOCK_LIST_ALL      (7u)

/* Contacts matching `which` (AIRLOCK_LIST_* bits), newest conversation
 * first. *out is freed with airlock_contact_list_free() (NULL is a no-op);
 * the contacts and their strings live until then. _count is 0 and _get
 * NULL for a NULL list or an index out of range.
 * Returns AIRLOCK_OK, AIRLOCK_ERR_ARG (ctx or out NULL). */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_contacts(airlock_ctx *ctx,
    unsigned which, airlock_contact_list **out);
AIRLOCK_API size_t airlock_contact_list_count(const airlock_contact_list *l);
AIRLOCK_API const airlock_contact *airlock_contact_list_get(
    const airlock_contact_list *l, size_t i);
AIRLOCK_API void airlock_contact_list_free(airlock_contact_list *l);

/* Trust changes. accept: re-renders the sender's stored messages through
 * the full decoder (RERENDER event); a verified contact stays verified.
 * block: later envelopes are dropped before decryption. unblock: back to a
 * message request (UNKNOWN), not to accepted. delete: removes a request
 * and its messages. Each emits AIRLOCK_EVENT_CONTACTS (accept, block and
 * unblock also RERENDER for `addr`) before returning.
 * Return AIRLOCK_OK, AIRLOCK_ERR_ARG (ctx NULL, `addr` not a valid
 * address); unblock and delete_request also AIRLOCK_ERR_NOT_FOUND (no
 * such contact) and AIRLOCK_ERR_STATE (unblock: not blocked;
 * delete_request: not a request). accept and block create the contact
 * when it does not exist. */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_accept(airlock_ctx *ctx,
                                                   const char *addr);
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_block(airlock_ctx *ctx,
                                                  const char *addr);
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_unblock(airlock_ctx *ctx,
                                                    const char *addr);
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_delete_request(airlock_ctx *ctx,
                                                           const char *addr);
/* Mark the conversation read up to now (unread count 0). Sends nothing.
 * Returns AIRLOCK_OK, AIRLOCK_ERR_ARG (ctx NULL, invalid address). */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_mark_read(airlock_ctx *ctx,
                                                      const char *addr);

/* History ----------------------------------------------------------------- */

typedef struct airlock_message_list airlock_message_list;

/* Up to `limit` messages of the conversation with `addr`, newest first,
 * strictly older than `cursor` (0: from the newest). Only that page is read
 * from the store. Each message is rendered for the sender's current trust.
 * limit 0 means 50; more than 1000 means 1000. An address with no messages
 * gives an empty list. *out is freed with airlock_message_list_free()
 * (NULL is a no-op); messages and their models live until then. _count is
 * 0 and _get NULL for a NULL list or an index out of range.
 * Returns AIRLOCK_OK, AIRLOCK_ERR_ARG (ctx or out NULL, invalid address,
 * cursor < 0). */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_history(airlock_ctx *ctx,
    const char *addr, int64_t cursor, size_t limit,
    airlock_message_list **out);
AIRLOCK_API size_t airlock_message_list_count(const airlock_message_list *l);
AIRLOCK_API const airlock_message *airlock_message_list_get(
    const airlock_message_list *l, size_t i);
/* Cursor for the next (older) page; 0 when there is none. */
AIRLOCK_API int64_t airlock_message_list_cursor(
    const airlock_message_list *l);
AIRLOCK_API void airlock_message_list_free(airlock_message_list *l);

/* Safety numbers and identity --------------------------------------------- */

/* Length of a safety number string: 60 digits in 12 groups of 5 with
 * spaces, plus NUL. */
#define AIRLOCK_SAFETY_NUMBER_LEN 72

/* The safety number for own identity and `addr`'s (both sides compute the
 * same digits), written NUL-terminated into `out`. With several devices:
 * one whose key changed and waits for acknowledgement first, else the
 * lowest device id.
 * Returns AIRLOCK_OK, AIRLOCK_ERR_ARG (a NULL argument, invalid address),
 * AIRLOCK_ERR_NOT_FOUND (no session with any device of `addr` yet: send
 * or receive a message first), AIRLOCK_ERR_CRYPTO. */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_safety_number(airlock_ctx *ctx,
    const char *addr, char out[AIRLOCK_SAFETY_NUMBER_LEN]);
/* Record that the user compared the safety number: trust becomes VERIFIED
 * (AIRLOCK_EVENT_CONTACTS); compare with airlock_safety_number() first.
 * Returns AIRLOCK_OK, AIRLOCK_ERR_ARG (ctx NULL, invalid address),
 * AIRLOCK_ERR_STATE (a changed key waits for airlock_ack_identity
 * first). */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_verify(airlock_ctx *ctx,
                                                   const char *addr);
/* Acknowledge changed identity keys of `addr`'s devices: their messages
 * leave the inert path again (CONTACTS and RERENDER events). A VERIFIED
 * contact goes back to ACCEPTED: the new key was not compared.
 * Returns AIRLOCK_OK, AIRLOCK_ERR_ARG (ctx NULL, invalid address). */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_ack_identity(airlock_ctx *ctx,
                                                         const char *addr);

/* Counters of this context since it was opened (for tests and tools).
 * airlock_get_stats fills *out (zeros for a NULL ctx; NULL out is a
 * no-op). */
typedef struct airlock_stats {
    uint64_t envelopes;           /* envelopes handled (stored or dropped) */
    uint64_t decrypts;            /* Signal decryptions attempted */
    uint64_t stored;              /* messages committed to the store */
    uint64_t dropped;             /* dropped before decryption */
} airlock_stats;
AIRLOCK_API void airlock_get_stats(const airlock_ctx *ctx,
                                   airlock_stats *out);

/* Security events ----------------------------------------------------------- */

typedef struct airlock_event_list airlock_event_list;

/* Recorded security events, newest first, at most `limit` (0 or more than
 * 1000: 1000). Repeats within a short window are folded into one event
 * with a count. *out is freed with airlock_event_list_free() (NULL is a
 * no-op); events and their strings live until then. _count is 0 and _get
 * NULL for a NULL list or an index out of range.
 * Returns AIRLOCK_OK, AIRLOCK_ERR_ARG (ctx or out NULL). */
AIRLOCK_API AIRLOCK_WUR airlock_err airlock_security_events(airlock_ctx *ctx,
    size_t limit, airlock_event_list **out);
AIRLOCK_API size_t airlock_event_list_count(const airlock_event_list *l);
AIRLOCK_API const airlock_security_event *airlock_event_list_get(
    const airlock_event_list *l, size_t i);
AIRLOCK_API void airlock_event_list_free(airlock_event_list *l);
/* Number of events recorded since the last call to
 * airlock_security_events_seen() (or since airlock_open), at most 1000; 0
 * for a NULL ctx or when the store cannot be read. _seen marks every
 * event recorded so far as seen. */
AIRLOCK_API uint32_t airlock_security_events_unseen(airlock_ctx *ctx);
AIRLOCK_API void airlock_security_events_seen(airlock_ctx *ctx);

#ifdef __cplusplus
}
#endif
#endif /* AIRLOCK_AIRLOCK_H */

/*
 * gate.h - the gate: content frame codec, inert path, sanitizer, XEP-0393
 * styling parser and the whitelist display model. Private to core/; the
 * engine uses it, front ends see only include/airlock/airlock.h.
 *
 * Files: frame.c (codec), sanitize.c (sanitizer, text width), inert.c
 * (unknown senders), style.c (XEP-0393 and links), model.c (the display
 * model, JSON and text), render.c (airlock_render: the gate by trust).
 * The rules are specified in docs/WIRE-FORMAT.md.
 *
 * Nothing here keeps global state; every function is thread-safe on its own
 * arguments. Untrusted bytes are read only through base's `rd`.
 */
#ifndef AIRLOCK_CORE_GATE_H
#define AIRLOCK_CORE_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/airlock.h"
#include "base/base.h"

/* ------------------------------------------------------------------------ */
/* Content frame v1 (docs/WIRE-FORMAT.md, "Content frame v1")                */
/* ------------------------------------------------------------------------ */

#define GATE_FRAME_MAGIC 0xA1u          /* magic and version 1 */
#define GATE_FRAME_MAX 262144u          /* whole frame, bytes */
#define GATE_LEN_BYTES_MAX 4u           /* a field length is <= 4 bytes */
#define GATE_BODY_MAX 65536u            /* body field, bytes */
#define GATE_ID_LEN 16u                 /* message ids */
#define GATE_ATTACH_MAX 8u              /* attachments per frame */
#define GATE_MIME_MAX 64u
#define GATE_NAME_MAX 255u
#define GATE_HASH_LEN 32u               /* sha256 and key fields */
#define GATE_LOCATOR_MAX 2048u
#define GATE_SIZE_MAX 9007199254740991u /* 2^53 - 1: exact in JSON */
#define GATE_EMOJI_MAX 32u
#define GATE_RECEIPT_IDS_MAX 64u

#define GATE_TAG_BODY 0x01u
#define GATE_TAG_REPLY_TO 0x02u
#define GATE_TAG_ATTACHMENT 0x03u
#define GATE_TAG_REACTION 0x04u
#define GATE_TAG_RECEIPT 0x05u

#define GATE_ATAG_MIME 0x01u
#define GATE_ATAG_NAME 0x02u
#define GATE_ATAG_SIZE 0x03u
#define GATE_ATAG_SHA256 0x04u
#define GATE_ATAG_KEY 0x05u
#define GATE_ATAG_LOCATOR 0x06u

#define GATE_RECEIPT_DELIVERED 1u
#define GATE_RECEIPT_READ 2u

/* One attachment; every pointer borrows from the decoded input (or, for the
 * encoder, from the caller). An absent optional field is NULL. */
typedef struct gate_attachment {
    const uint8_t *mime;          /* required: 1..64 visible ASCII bytes */
    size_t mime_len;
    const uint8_t *name;          /* NULL when absent; not validated UTF-8 */
    size_t name_len;              /* <= GATE_NAME_MAX */
    bool has_size;
    uint64_t size;                /* <= GATE_SIZE_MAX; 0 when absent */
    const uint8_t *sha256;        /* GATE_HASH_LEN bytes or NULL */
    const uint8_t *key;           /* GATE_HASH_LEN bytes or NULL */
    const uint8_t *locator;       /* NULL when absent */
    size_t locator_len;           /* <= GATE_LOCATOR_MAX */
} gate_attachment;

/* A decoded frame: a borrowed view. Every pointer points into the bytes
 * given to gate_frame_decode and lives as long as they do. */
typedef struct gate_frame {
    const uint8_t *body;          /* NULL when absent; not validated UTF-8 */
    size_t body_len;              /* <= GATE_BODY_MAX */
    const uint8_t *reply_to;      /* GATE_ID_LEN bytes or NULL */
    size_t attachment_count;      /* <= GATE_ATTACH_MAX */
    gate_attachment attachments[GATE_ATTACH_MAX];
    const uint8_t *reaction_emoji; /* NULL when there is no reaction */
    size_t reaction_emoji_len;    /* 1..GATE_EMOJI_MAX */
    const uint8_t *reaction_target; /* GATE_ID_LEN bytes with the emoji */
    uint8_t receipt_kind;         /* 0: none; GATE_RECEIPT_DELIVERED/READ */
    const uint8_t *receipt_ids;   /* receipt_count * GATE_ID_LEN bytes */
    size_t receipt_count;         /* 1..GATE_RECEIPT_IDS_MAX with a kind */
    uint32_t unknown_fields;      /* fields with unknown tags (skipped) */
} gate_frame;

/* Zero *f: a frame with no fields. */
void gate_frame_init(gate_frame *f);

/* Decode a whole content frame v1 with the bounded reader, validating every
 * rule of docs/WIRE-FORMAT.md before returning. *f is written only on
 * success and borrows from `in`. Allocates nothing.
 * Returns AIRLOCK_OK; AIRLOCK_ERR_TOO_LARGE (len > GATE_FRAME_MAX or a
 * field over its maximum), AIRLOCK_ERR_TRUNCATED or AIRLOCK_ERR_MALFORMED
 * for any violation; AIRLOCK_ERR_ARG when in is NULL with len > 0 or f is
 * NULL. */
airlock_err gate_frame_decode(const uint8_t *in, size_t len,
                              gate_frame *f) BASE_WUR;

/* Append the canonical encoding of *f (magic, then fields in tag order) to
 * `w`. Validates every limit first and writes nothing on failure:
 * AIRLOCK_ERR_ARG for a structural error (missing mime, bad receipt kind,
 * ...), AIRLOCK_ERR_TOO_LARGE for a field or frame over its maximum;
 * otherwise w's sticky error (NOMEM). unknown_fields is ignored. The
 * decoder accepts everything the encoder writes. */
airlock_err gate_frame_write(wr *w, const gate_frame *f) BASE_WUR;

/* gate_frame_write into a new buffer allocated with `al` (NULL: malloc);
 * the caller frees *out with base_free(al, *out). */
airlock_err gate_frame_encode(const airlock_allocator *al, const gate_frame *f,
                              uint8_t **out, size_t *out_len) BASE_WUR;
/* A frame holding only a body (the bytes are not checked as UTF-8: the
 * receiver sanitizes). len <= GATE_BODY_MAX. */
airlock_err gate_frame_encode_body(const airlock_allocator *al,
                                   const char *text, size_t len,
                                   uint8_t **out, size_t *out_len) BASE_WUR;
/* A frame holding only a receipt: kind GATE_RECEIPT_DELIVERED or _READ and
 * 1..GATE_RECEIPT_IDS_MAX message ids (n * 16 bytes at ids). */
airlock_err gate_frame_encode_receipt(const airlock_allocator *al,
                                      uint8_t kind, const uint8_t *ids,
                                      size_t n, uint8_t **out,
                                      size_t *out_len) BASE_WUR;

/* ------------------------------------------------------------------------ */
/* Sanitizer (docs/WIRE-FORMAT.md, "Sanitizer")                               */
/* ------------------------------------------------------------------------ */

/* What the sanitizer changed (bits of *changes). */
#define GATE_SAN_INVALID   (1u << 0)  /* invalid UTF-8 became U+FFFD */
#define GATE_SAN_CONTROL   (1u << 1)  /* a control became a visible symbol */
#define GATE_SAN_BIDI      (1u << 2)  /* bidi controls removed (notice) */
#define GATE_SAN_INVISIBLE (1u << 3)  /* other Cf removed (notice) */
#define GATE_SAN_MARKS     (1u << 4)  /* combining marks over 8 removed */
#define GATE_SAN_NEWLINE   (1u << 5)  /* CR, CRLF, U+2028/9 became LF */

/* Options. */
#define GATE_SAN_OPT_NAME  (1u << 0)  /* file names: drop / and \, and show
                                         LF and TAB as control pictures */

#define GATE_MARKS_MAX 8u             /* combining marks kept on one base */

/* Append the sanitized form of in[0..len) to `w` (any bytes in, valid
 * displayable UTF-8 out; the output is at most 3 * len bytes, and w must
 * have room for that much: it is reserved up front). *changes
 * (may be NULL) receives GATE_SAN_* bits. Returns w's sticky error on
 * failure (NOMEM, TOO_LARGE), AIRLOCK_OK otherwise. Single pass, no
 * allocation besides w's growth. */
airlock_err gate_sanitize(wr *w, const uint8_t *in, size_t len, unsigned opts,
                          unsigned *changes) BASE_WUR;

/* The length of the body prefix that is displayed: len when len <= max,
 * else max moved back over at most 3 UTF-8 continuation bytes so a
 * sequence is not split. */
size_t gate_cut(const uint8_t *in, size_t len, size_t max);

/* True when s[0..n) is what the sanitizer can output: valid UTF-8, no C0
 * or C1 control except LF and TAB, no DEL, no bidi control, no Cf other
 * than ZWJ, ZWNJ and tags inside an emoji tag sequence, no more than 8
 * combining marks in a row. For invariants in tests and fuzzers and to
 * check text that crossed a process boundary. */
bool gate_text_clean(const char *s, size_t n);

/* ------------------------------------------------------------------------ */
/* XEP-0393 styling and links (docs/WIRE-FORMAT.md, "Styling")               */
/* ------------------------------------------------------------------------ */

#define GATE_QUOTE_DEPTH_MAX 8u

/* Receives the styled pieces of a text in order; their concatenation is
 * exactly the text given to gate_style. `link` pieces are URLs whose
 * visible text is the href. Returns AIRLOCK_OK or an error that stops the
 * parse and is returned by gate_style. */
typedef airlock_err (*gate_emit_fn)(void *ctx, const char *s, size_t n,
                                    uint32_t style, uint32_t quote_depth,
                                    bool link);

/* Markup bombs: after this many pieces the rest of the text is handed out
 * as one plain piece (and *flags gets GATE_STYLE_LIMITED), so the cost per
 * piece downstream is bounded whatever the input. */
#define GATE_STYLE_PIECES_MAX 2048u
#define GATE_STYLE_LIMITED (1u << 0)

/* Parse sanitized text (gate_sanitize output) as XEP-0393 message styling
 * with link detection and hand every piece to `emit`. Linear in n, no
 * recursion, no allocation. *flags (may be NULL) receives
 * GATE_STYLE_LIMITED when the piece limit was reached. */
airlock_err gate_style(const char *text, size_t n, gate_emit_fn emit,
                       void *ctx, unsigned *flags) BASE_WUR;

/* True when s[0..n) starts with an allowed link scheme (http://, https://,
 * xmpp:, mailto:, ASCII case-insensitive). */
bool gate_link_scheme_ok(const char *s, size_t n);

/* ------------------------------------------------------------------------ */
/* Display model (model.c)                                                   */
/* ------------------------------------------------------------------------ */

#define GATE_NOTICES_MAX 24u
#define GATE_JSON_MAX (64u * 1024u * 1024u)  /* cap of serialized forms */

/* Fixed notice texts (docs/WIRE-FORMAT.md lists them). */
#define GATE_NOTICE_UNREADABLE "message could not be read"
#define GATE_NOTICE_WITHHELD "other content was withheld"
#define GATE_NOTICE_FILE_TYPE "file withheld (type not allowed)"
#define GATE_NOTICE_BIDI "bidirectional control characters were removed"
#define GATE_NOTICE_INVISIBLE "invisible characters were removed"
#define GATE_NOTICE_CUT "message was too long and was cut"
#define GATE_NOTICE_BLOCKED "message from a blocked sender not shown"
#define GATE_NOTICE_STYLE_LIMIT "too many styled parts: the rest is plain"

/* Build a model step by step (render.c does; so can the engine, e.g. to
 * rebuild a model received from the sandboxed decoder). Every add_* copies
 * its text and checks it (gate_text_clean), so nothing unsanitized enters
 * a model. On any error the model is unusable: free it with
 * airlock_model_free(). */
airlock_err gate_model_new(const airlock_allocator *al, airlock_trust trust,
                           airlock_model **out) BASE_WUR;
/* Append text with style bits and quote depth (0 unless QUOTE). Adjacent
 * pieces with the same style and depth merge; links never merge, and a
 * link's href is its text (it must pass gate_link_scheme_ok). Checked:
 * AIRLOCK_ERR_ARG for text that is not clean, a style outside the fixed
 * set, a depth out of range or a link with a scheme not allowed. */
airlock_err gate_model_add_text(airlock_model *m, const char *s, size_t n,
                                uint32_t style, uint32_t quote_depth,
                                bool link) BASE_WUR;
/* The same without the checks, for text fresh from gate_sanitize and
 * gate_style (the render path). */
airlock_err gate_model_put_text(airlock_model *m, const char *s, size_t n,
                                uint32_t style, uint32_t quote_depth,
                                bool link) BASE_WUR;
/* Sanitize `s` (NUL-terminated, any bytes) and append it as a notice. At
 * most GATE_NOTICES_MAX notices; later ones are dropped. */
airlock_err gate_model_add_notice(airlock_model *m, const char *s) BASE_WUR;
/* Add `s` only if the same text is not already a notice. */
airlock_err gate_model_add_notice_once(airlock_model *m,
                                       const char *s) BASE_WUR;
/* Attach metadata: mime (an allowed type: 1..GATE_MIME_MAX visible ASCII
 * bytes), a name (any bytes: sanitized here with GATE_SAN_OPT_NAME, its
 * GATE_SAN_* changes in *changes, which may be NULL) and the claimed size
 * (<= GATE_SIZE_MAX). At most GATE_ATTACH_MAX (AIRLOCK_ERR_TOO_LARGE). */
airlock_err gate_model_add_attachment(airlock_model *m, const char *mime,
                                      const uint8_t *name, size_t name_len,
                                      uint64_t size,
                                      unsigned *changes) BASE_WUR;
void gate_model_withhold(airlock_model *m, uint32_t attachments,
                         uint32_t fields);
void gate_model_set_malformed(airlock_model *m);
/* A hint: make room for about n more bytes of text (failure is ignored
 * here; the next add reports it). */
void gate_model_reserve(airlock_model *m, size_t n);
/* The allocator the model was made with (never NULL: a copy inside). */
const airlock_allocator *gate_model_allocator(const airlock_model *m);
/* Resolve the model's pointers; call once after the last add. */
airlock_err gate_model_finish(airlock_model *m) BASE_WUR;

/* A finished model holding only `notice` (sanitized), e.g. for a message
 * the engine cannot decrypt; malformed as given. */
airlock_err gate_model_notice(const airlock_allocator *al, airlock_trust trust,
                              const char *notice, bool malformed,
                              airlock_model **out) BASE_WUR;

/* ------------------------------------------------------------------------ */
/* The gate (render.c, inert.c)                                              */
/* ------------------------------------------------------------------------ */

/* Types shown by default (others become GATE_NOTICE_FILE_TYPE). */
#define GATE_MIME_DEFAULT { "image/png", "image/jpeg", "text/plain", NULL }

typedef struct gate_policy {
    /* NULL-terminated list of allowed attachment types (lowercase ASCII),
     * compared ASCII case-insensitively with the whole mime field; NULL
     * for GATE_MIME_DEFAULT. */
    const char *const *mime_allow;
} gate_policy;

/* airlock_render with a policy (NULL: defaults). Same contract. */
airlock_err gate_render(const uint8_t *in, size_t len, airlock_trust trust,
                        airlock_input kind, const gate_policy *policy,
                        const airlock_allocator *al,
                        airlock_model **out) BASE_WUR;

/* The inert path into an unfinished model (called by gate_render for
 * UNKNOWN): reads the magic and only a first body field, nothing after. */
airlock_err gate_inert(airlock_model *m, const uint8_t *in, size_t len,
                       airlock_input kind) BASE_WUR;

/* Sanitize a body (cut at GATE_BODY_MAX with a notice) into m; when
 * `styled`, through gate_style, else as plain text. */
airlock_err gate_body(airlock_model *m, const uint8_t *in, size_t len,
                      bool styled) BASE_WUR;

#endif /* AIRLOCK_CORE_GATE_H */

/*
 * base.h - the leaf layer: bounded reader and writer, varints, allocation
 * through the caller's allocator, wiping, constant-time compare, sealing.
 *
 * Every read of bytes that came from a sender goes through `rd`. Nothing
 * else in the tree does pointer arithmetic on an untrusted length.
 * The reader never reads past `left`; every function that fails leaves the
 * reader where it was.
 */
#ifndef AIRLOCK_BASE_H
#define AIRLOCK_BASE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/airlock.h"

#define BASE_WUR __attribute__((warn_unused_result))

/* ---- one-time library setup (libsodium); idempotent, thread-safe ---- */
airlock_err base_init(void) BASE_WUR;

/* ---- allocation through an optional airlock_allocator ---- */
void *base_alloc(const airlock_allocator *al, size_t n);
void *base_calloc(const airlock_allocator *al, size_t n, size_t size);
void *base_realloc(const airlock_allocator *al, void *p, size_t old_n,
                   size_t new_n);
void base_free(const airlock_allocator *al, void *p);
/* NUL-terminated copy of `n` bytes of `s`. */
char *base_strndup(const airlock_allocator *al, const char *s, size_t n);

/* ---- secrets ---- */
void base_wipe(void *p, size_t n);
/* Constant-time equality of two n-byte buffers: true when equal. */
bool base_ct_eq(const void *a, const void *b, size_t n);
/* Locked, guarded memory for keys (sodium_malloc); freed and wiped with
 * base_secure_free. */
void *base_secure_alloc(size_t n);
void base_secure_free(void *p);
void base_random(void *buf, size_t n);
uint32_t base_random_u32(void);

/* ---- bounded reader over untrusted bytes ---- */
typedef struct rd {
    const uint8_t *p;
    size_t left;
} rd;

/* Largest varint the reader accepts: 64-bit values, at most 10 bytes. */
#define RD_UVARINT_MAX_BYTES 10

static inline rd rd_make(const uint8_t *p, size_t n)
{
    rd r = { p, p != NULL ? n : 0 };
    return r;
}
static inline size_t rd_left(const rd *r) { return r->left; }

airlock_err rd_u8(rd *r, uint8_t *v) BASE_WUR;
airlock_err rd_u16be(rd *r, uint16_t *v) BASE_WUR;
airlock_err rd_u32be(rd *r, uint32_t *v) BASE_WUR;
airlock_err rd_u64be(rd *r, uint64_t *v) BASE_WUR;
/* Minimal LEB128 only: a redundant trailing 0x80..0x00 group is MALFORMED;
 * value > max is TOO_LARGE; end of input is TRUNCATED. */
airlock_err rd_uvarint(rd *r, uint64_t max, uint64_t *v) BASE_WUR;
/* Like rd_uvarint but at most `max_bytes` bytes long (frame: 4). */
airlock_err rd_uvarint_n(rd *r, unsigned max_bytes, uint64_t max,
                         uint64_t *v) BASE_WUR;
/* Borrow n bytes (valid as long as the underlying buffer). */
airlock_err rd_bytes(rd *r, size_t n, const uint8_t **out) BASE_WUR;
/* A sub-reader over the next n bytes; the parent skips them. */
airlock_err rd_sub(rd *r, size_t n, rd *sub) BASE_WUR;
airlock_err rd_skip(rd *r, size_t n) BASE_WUR;
/* Length-prefixed (uvarint, <= max) byte string, borrowed. */
airlock_err rd_lbytes(rd *r, size_t max, const uint8_t **out,
                      size_t *n) BASE_WUR;
/* AIRLOCK_OK when nothing is left; trailing bytes are MALFORMED. */
airlock_err rd_done(const rd *r) BASE_WUR;

/* ---- growable writer with a hard cap ---- */
typedef struct wr {
    uint8_t *buf;
    size_t len;
    size_t cap;      /* allocated */
    size_t max;      /* never grows beyond this: TOO_LARGE */
    const airlock_allocator *al;
    airlock_err err; /* sticky: first failure */
} wr;

void wr_init(wr *w, const airlock_allocator *al, size_t max);
/* Frees the buffer (wiping it when `wipe`). */
void wr_clear(wr *w, bool wipe);
/* Hand the buffer to the caller (NUL-terminated one byte past len when
 * there was room to add it); returns the sticky error instead on failure. */
airlock_err wr_take(wr *w, uint8_t **out, size_t *n) BASE_WUR;
airlock_err wr_reserve(wr *w, size_t n);
airlock_err wr_u8(wr *w, uint8_t v);
airlock_err wr_u16be(wr *w, uint16_t v);
airlock_err wr_u32be(wr *w, uint32_t v);
airlock_err wr_u64be(wr *w, uint64_t v);
airlock_err wr_uvarint(wr *w, uint64_t v);
airlock_err wr_bytes(wr *w, const void *p, size_t n);
airlock_err wr_str(wr *w, const char *s);
/* uvarint length then bytes. */
airlock_err wr_lbytes(wr *w, const void *p, size_t n);
/* printf into the buffer (trusted format strings only). */
airlock_err wr_printf(wr *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append `n` bytes of UTF-8 as a JSON string literal with quotes; the input
 * must already be sanitized UTF-8; control bytes are escaped anyway. */
airlock_err wr_json_str(wr *w, const char *s, size_t n);

/* ---- hex ---- */
/* out must hold 2n+1 bytes. */
void base_hex(const uint8_t *in, size_t n, char *out);
/* Decode hex (whitespace allowed between pairs) into a new buffer. */
airlock_err base_unhex(const airlock_allocator *al, const char *s, size_t n,
                       uint8_t **out, size_t *out_n) BASE_WUR;

/* ---- sealing at rest (XChaCha20-Poly1305, libsodium) ---- */
#define BASE_SEAL_KEY 32u
#define BASE_SEAL_NONCE 24u
#define BASE_SEAL_TAG 16u
#define BASE_SEAL_OVERHEAD (BASE_SEAL_NONCE + BASE_SEAL_TAG)

/* out receives nonce || ciphertext || tag (n + BASE_SEAL_OVERHEAD bytes).
 * `ad` binds the blob to where it is stored. */
airlock_err base_seal(const uint8_t key[BASE_SEAL_KEY], const uint8_t *ad,
                      size_t ad_n, const uint8_t *pt, size_t n,
                      uint8_t *out) BASE_WUR;
/* Verify before writing: out (n - OVERHEAD bytes) is written only when the
 * tag verifies; AIRLOCK_ERR_AUTH otherwise. */
airlock_err base_seal_open(const uint8_t key[BASE_SEAL_KEY],
                           const uint8_t *ad, size_t ad_n, const uint8_t *ct,
                           size_t n, uint8_t *out) BASE_WUR;
/* The same with an explicit nonce (for known-answer tests). */
airlock_err base_seal_detnonce(const uint8_t key[BASE_SEAL_KEY],
                               const uint8_t nonce[BASE_SEAL_NONCE],
                               const uint8_t *ad, size_t ad_n,
                               const uint8_t *pt, size_t n,
                               uint8_t *out) BASE_WUR;

/* Argon2id (crypto_pwhash, INTERACTIVE..MODERATE limits chosen by caller). */
#define BASE_PWHASH_SALT 16u
typedef enum base_pwhash_cost {
    BASE_PWHASH_TEST = 0,     /* minimal: tests only */
    BASE_PWHASH_INTERACTIVE = 1,
    BASE_PWHASH_MODERATE = 2
} base_pwhash_cost;
airlock_err base_pwhash(const char *pass, size_t pass_n,
                        const uint8_t salt[BASE_PWHASH_SALT],
                        base_pwhash_cost cost, uint8_t out[32]) BASE_WUR;

/* ---- hashing (BLAKE2b-256; not for passwords) ---- */
void base_hash32(const uint8_t *in, size_t n, uint8_t out[32]);
/* 64-bit keyed hash for in-memory tables (SipHash-2-4). */
uint64_t base_hash64(const uint8_t key[16], const void *in, size_t n);

/* ---- SIGPIPE around writes to sockets we do not write ourselves ----
 * A library must not change the process's signal dispositions, yet a
 * write to a socket the peer has closed raises SIGPIPE, whose default
 * action ends the process. hold blocks SIGPIPE in the calling thread;
 * release consumes one that was raised in between (unless one was
 * already pending before hold) and restores the thread's mask and errno.
 * The writes themselves fail with EPIPE. Pair them on one thread. */
typedef struct base_sigpipe {
    sigset_t old;
    bool held, was_pending;
} base_sigpipe;
void base_sigpipe_hold(base_sigpipe *g);
void base_sigpipe_release(base_sigpipe *g);

/* ---- misc ---- */
int64_t base_now_ms(void);
int64_t base_mono_ms(void);
/* True when s[0..n) is valid UTF-8 without NUL or C0/C1 controls (for
 * addresses and other identifiers, not for display text). */
bool base_utf8_ident(const uint8_t *s, size_t n);

#endif /* AIRLOCK_BASE_H */

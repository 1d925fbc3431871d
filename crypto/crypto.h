/*
 * crypto.h - Airlock's cryptography: the libsignal crypto provider (random
 * from libsodium, HMAC-SHA256 / SHA-512 / AES through OpenSSL EVP), the
 * libsignal store callbacks on top of store/, account and prekey
 * generation, sessions from bundles, per-device key encryption (OMEMO
 * style: the 16-byte message key and 16-byte GCM tag travel inside a Signal
 * message), AES-128-GCM payloads, safety numbers.
 *
 * The only layer that includes <signal_protocol.h> or OpenSSL headers.
 * Foreign error codes (SG_ERR_*) are translated to airlock_err here.
 * A crypto_ctx belongs to one account store and one thread at a time.
 */
#ifndef AIRLOCK_CRYPTO_H
#define AIRLOCK_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/airlock.h"
#include "store/store.h"

#define CRYPTO_KEY_PUB 33u           /* Curve25519 public key with 0x05 */
#define CRYPTO_SIG 64u               /* XEdDSA signature */
#define CRYPTO_MSGKEY 16u            /* AES-128 message key */
#define CRYPTO_GCM_TAG 16u
#define CRYPTO_GCM_IV 12u
#define CRYPTO_KEYTAG (CRYPTO_MSGKEY + CRYPTO_GCM_TAG)   /* key || tag */
#define CRYPTO_SIGNAL_MSG_MAX 1024u  /* a Signal message carrying key||tag */
#define CRYPTO_BUNDLE_MAX 512u       /* local bundle encoding */
#define CRYPTO_PREKEY_BATCH 100u     /* one-time prekeys published at once */

/* A source of random bytes. The default is libsodium's randombytes_buf.
 * A deterministic source exists only for the vectors tool and tests
 * (crypto_rng_deterministic); a real account never uses one. */
typedef struct crypto_rng {
    void (*fill)(void *user, uint8_t *buf, size_t n);
    void *user;
} crypto_rng;

/* Deterministic stream (ChaCha20 keystream of the seed) for vectors. The
 * state struct is owned by the caller and must outlive every ctx using it. */
typedef struct crypto_det_rng {
    uint8_t seed[32];
    uint64_t counter;
} crypto_det_rng;
void crypto_det_rng_init(crypto_det_rng *st, const uint8_t seed[32],
                         crypto_rng *out);

typedef struct crypto_ctx crypto_ctx;

/* `s` is borrowed and must outlive the context. rng NULL: system random. */
airlock_err crypto_ctx_new(store *s, const crypto_rng *rng,
                           crypto_ctx **out);
void crypto_ctx_free(crypto_ctx *c);
void crypto_random(crypto_ctx *c, void *buf, size_t n);

/* ---- account ---- */
/* Generate identity key pair, registration id, signed prekey (id 1) and
 * `prekeys` one-time prekeys starting at id 1; stores them; device_id is
 * chosen by the caller (random, non-zero, < 2^31). */
airlock_err crypto_account_generate(crypto_ctx *c, uint32_t device_id,
                                    uint32_t prekeys);
/* Own identity public key (33 bytes). */
airlock_err crypto_identity_pub(crypto_ctx *c, uint8_t out[CRYPTO_KEY_PUB]);
uint32_t crypto_device_id(const crypto_ctx *c);
uint32_t crypto_registration_id(const crypto_ctx *c);

/* The local bundle (docs/WIRE-FORMAT.md): version, registration id,
 * device id, identity key, signed prekey id and key, signature. */
airlock_err crypto_bundle_export(crypto_ctx *c, uint8_t **out, size_t *n);
typedef struct crypto_bundle {
    uint32_t registration_id;
    uint32_t device_id;
    uint8_t identity[CRYPTO_KEY_PUB];
    uint32_t signed_prekey_id;
    uint8_t signed_prekey[CRYPTO_KEY_PUB];
    uint8_t signature[CRYPTO_SIG];
} crypto_bundle;
/* Parse (bounded reader; fuzzed). Does not verify the signature. */
airlock_err crypto_bundle_parse(const uint8_t *in, size_t n,
                                crypto_bundle *out);

/* Generate `count` new one-time prekeys after the highest id used so far,
 * store them, and return their ids and 33-byte public keys (malloc'd
 * arrays: ids[count], pubs[count * 33]). */
airlock_err crypto_prekeys_generate(crypto_ctx *c, uint32_t count,
                                    uint32_t **ids, uint8_t **pubs);
/* Public keys of existing one-time prekeys (for publishing after create). */
airlock_err crypto_prekeys_public(crypto_ctx *c, uint32_t **ids,
                                  uint8_t **pubs, size_t *count);

/* Build a session with (addr, dev) from its bundle and optional one-time
 * prekey (prekey_pub NULL: none). Verifies the signed prekey signature
 * (AUTH). A changed identity key is recorded (store_rid_seen), not
 * refused. */
airlock_err crypto_session_from_bundle(crypto_ctx *c, const char *addr,
                                       const crypto_bundle *b,
                                       uint32_t prekey_id,
                                       const uint8_t *prekey_pub);
bool crypto_has_session(crypto_ctx *c, const char *addr, uint32_t dev);

/* Encrypt `n` bytes (the 32-byte key||tag) for (addr, dev). *ct is
 * malloc'd; *prekey tells whether it is a PreKeySignalMessage. */
airlock_err crypto_encrypt_key(crypto_ctx *c, const char *addr, uint32_t dev,
                               const uint8_t *pt, size_t n, uint8_t **ct,
                               size_t *ct_n, bool *prekey);
/* Decrypt a Signal message from (addr, dev). Errors: MALFORMED (does not
 * deserialize), AUTH (MAC), DUPLICATE (replayed message key), NO_SESSION,
 * UNTRUSTED_IDENTITY, TOO_LARGE (pt_cap too small). A prekey message
 * consumes its one-time prekey. *identity_changed is set when the sender
 * device's identity differs from the acknowledged one. */
airlock_err crypto_decrypt_key(crypto_ctx *c, const char *addr, uint32_t dev,
                               const uint8_t *ct, size_t ct_n, bool prekey,
                               uint8_t *pt, size_t pt_cap, size_t *pt_n,
                               bool *identity_changed);
/* The id of the one-time prekey a PreKeySignalMessage used, if any (so
 * the engine can replace it); 0 when none. */
uint32_t crypto_last_used_prekey(const crypto_ctx *c);

/* ---- payload AEAD (AES-128-GCM, as OMEMO) ---- */
airlock_err crypto_gcm_encrypt(const uint8_t key[CRYPTO_MSGKEY],
                               const uint8_t *iv, size_t iv_n,
                               const uint8_t *pt, size_t n, uint8_t *ct,
                               uint8_t tag[CRYPTO_GCM_TAG]);
/* Verifies before releasing plaintext: AUTH on a bad tag. iv_n 12 or 16. */
airlock_err crypto_gcm_decrypt(const uint8_t key[CRYPTO_MSGKEY],
                               const uint8_t *iv, size_t iv_n,
                               const uint8_t *ct, size_t n,
                               const uint8_t tag[CRYPTO_GCM_TAG],
                               uint8_t *pt);

/* ---- safety numbers ---- */
/* libsignal's displayable fingerprint (version 1, 5200 iterations) over
 * both identities, formatted as 12 groups of 5 digits separated by
 * spaces. Both sides compute the same string. */
airlock_err crypto_safety_number(crypto_ctx *c, const char *local_addr,
                                 const char *remote_addr,
                                 const uint8_t remote_key[CRYPTO_KEY_PUB],
                                 char out[AIRLOCK_SAFETY_NUMBER_LEN]);

/* ---- primitives (exposed for tests and the benchmark) ---- */
airlock_err crypto_sha512(const uint8_t *in, size_t n, uint8_t out[64]);
airlock_err crypto_hmac_sha256(const uint8_t *key, size_t kn,
                               const uint8_t *in, size_t n,
                               uint8_t out[32]);
airlock_err crypto_sha256(const uint8_t *in, size_t n, uint8_t out[32]);

/* Counter of Signal decryptions attempted by this context (tests prove
 * blocked senders never reach decryption). */
uint64_t crypto_decrypt_calls(const crypto_ctx *c);

#endif /* AIRLOCK_CRYPTO_H */

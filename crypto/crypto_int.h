/*
 * crypto_int.h - private to crypto/ (and tests/crypto/): the libsignal
 * crypto provider object, the crypto_ctx layout, SG_ERR_* translation and
 * the bundle byte format constants. Nothing outside crypto/ includes this.
 */
#ifndef AIRLOCK_CRYPTO_INT_H
#define AIRLOCK_CRYPTO_INT_H

#include <openssl/evp.h>
#include <signal_protocol.h>

#include "crypto/crypto.h"

/* ---- named maxima and formats ---- */

/* Local bundle v1 (docs/CRYPTO.md): version(1) reg_id(4) device_id(4)
 * identity(33) spk_id(4) spk(33) signature(64), big-endian, fixed size. */
#define CRYPTO_BUNDLE_VERSION 1u
#define CRYPTO_BUNDLE_V1_LEN (1u + 4u + 4u + CRYPTO_KEY_PUB + 4u + \
                              CRYPTO_KEY_PUB + CRYPTO_SIG)
#define CRYPTO_KEY_PRIV 32u
#define CRYPTO_DJB_TYPE 0x05u          /* first byte of a public key */
#define CRYPTO_DEVICE_ID_MAX 0x7fffffffu   /* device ids are < 2^31 */
#define CRYPTO_REG_ID_MAX 0x7fffffffu  /* libsignal's extended range */
/* One-time and signed prekey ids live in 1..0xfffffe: 0xffffff is
 * libsignal's "last resort" marker (PRE_KEY_MEDIUM_MAX_VALUE). */
#define CRYPTO_PREKEY_ID_MAX 0xfffffeu
#define CRYPTO_SIGNED_PREKEY_ID 1u
/* Most one-time prekeys one call may generate. */
#define CRYPTO_PREKEY_GEN_MAX 1000u
/* Largest plaintext crypto_encrypt_key takes (a 32-byte key||tag is the
 * normal case); keeps the Signal message under CRYPTO_SIGNAL_MSG_MAX. */
#define CRYPTO_KEY_PT_MAX 256u
/* Safety numbers: libsignal's displayable fingerprint. */
#define CRYPTO_FP_ITERATIONS 5200
#define CRYPTO_FP_SCANNABLE_VERSION 1
#define CRYPTO_FP_DIGITS 60u
/* Largest GCM IV the internal AEAD takes (McGrew-Viega case 6 is 60). */
#define CRYPTO_GCM_IV_MAX 64u
/* store_meta key holding the next one-time prekey id (u32 big-endian). */
#define CRYPTO_META_NEXT_PREKEY "next_prekey_id"

/* An error code a callback returns to libsignal when the real reason is an
 * airlock_err parked in the provider or context (below SG_ERR_MINIMUM, so it
 * never collides with libsignal's own codes). */
#define CRYPTO_SG_PARKED (SG_ERR_MINIMUM - 1)

/* ---- the crypto provider ---- */

/* Everything the signal_crypto_provider callbacks need, fetched once:
 * algorithms, plus one spare HMAC and digest context kept for reuse (a
 * second concurrent user gets a fresh one) and one cipher context that the
 * single-shot AES callbacks reuse. Not thread-safe (one ctx, one thread). */
typedef struct crypto_prov {
    crypto_rng rng;
    EVP_MAC *hmac;
    EVP_MD *sha512;
    EVP_CIPHER *cbc[3];            /* AES-128/192/256-CBC */
    EVP_CIPHER *ctr[3];            /* AES-128/192/256-CTR */
    EVP_MAC_CTX *hmac_spare;       /* digest preset to SHA-256 */
    EVP_MD_CTX *sha512_spare;
    EVP_CIPHER_CTX *cctx;
    const EVP_CIPHER *cctx_cipher; /* what cctx was last set up with */
    airlock_err parked;            /* reason behind CRYPTO_SG_PARKED */
} crypto_prov;

/* Fetch algorithms; rng NULL: libsodium's randombytes_buf. Calls
 * base_init(). On failure everything is released. */
airlock_err crypto_prov_init(crypto_prov *p, const crypto_rng *rng);
/* Release and wipe; safe on a zeroed or half-initialised struct. */
void crypto_prov_clear(crypto_prov *p);
/* Fill libsignal's callback table with `p` as user_data. */
void crypto_prov_signal(crypto_prov *p, signal_crypto_provider *out);
/* A signal_context using `p` (no log function: the library never prints).
 * Free with signal_context_destroy. */
airlock_err crypto_prov_context(crypto_prov *p, signal_context **out);

/* Encode a bundle in the v1 format (malloc'd; what crypto_bundle_parse
 * accepts re-encodes to the same bytes). */
airlock_err crypto_bundle_encode(const crypto_bundle *b, uint8_t **out,
                                 size_t *n);

/* ---- SG_ERR_* translation ---- */

/* Where a libsignal code came from decides what an ambiguous code means. */
typedef enum crypto_sg_site {
    CRYPTO_SG_GENERIC = 0,
    CRYPTO_SG_PARSE = 1,     /* deserializing stranger bytes: MALFORMED */
    CRYPTO_SG_DECRYPT = 2    /* INVALID_MESSAGE here means the MAC failed */
} crypto_sg_site;
/* `parked` is the airlock_err behind CRYPTO_SG_PARKED (may be OK when the
 * caller has none; then CRYPTO is used). sg >= 0 maps to AIRLOCK_OK. */
airlock_err crypto_sg_err(int sg, crypto_sg_site site, airlock_err parked);

/* ---- GCM with associated data and any IV length (for the public
 * wrappers and the McGrew-Viega vectors, which use AAD and 8- and 60-byte
 * IVs). key_n 16, 24 or 32; iv_n 1..CRYPTO_GCM_IV_MAX. Decrypt wipes `pt`
 * and returns AUTH when the tag does not verify. ---- */
airlock_err crypto_gcm_seal_ad(const uint8_t *key, size_t key_n,
                               const uint8_t *iv, size_t iv_n,
                               const uint8_t *ad, size_t ad_n,
                               const uint8_t *pt, size_t n, uint8_t *ct,
                               uint8_t tag[CRYPTO_GCM_TAG]);
airlock_err crypto_gcm_open_ad(const uint8_t *key, size_t key_n,
                               const uint8_t *iv, size_t iv_n,
                               const uint8_t *ad, size_t ad_n,
                               const uint8_t *ct, size_t n,
                               const uint8_t tag[CRYPTO_GCM_TAG],
                               uint8_t *pt);

/* ---- the context ---- */

struct crypto_ctx {
    crypto_prov prov;
    store *st;                          /* borrowed */
    signal_context *sg;
    signal_protocol_store_context *sgs;

    /* Own identity, cached from store_self (public parts only). */
    bool have_self;
    uint32_t registration_id;
    uint32_t device_id;
    uint8_t identity_pub[CRYPTO_KEY_PUB];

    uint64_t decrypt_calls;
    uint32_t last_prekey;       /* set by the remove_pre_key callback */
    unsigned writes;            /* store writes made by callbacks */
    airlock_err parked;         /* reason behind CRYPTO_SG_PARKED */

    /* save_identity parks the key here; it is recorded (store_rid_seen)
     * only after the operation that produced it authenticated. */
    bool id_pending;
    char id_addr[STORE_ADDR_MAX + 1];
    uint32_t id_dev;
    uint8_t id_key[CRYPTO_KEY_PUB];

    /* Where the decryption callback copies plaintext (and its cap). */
    uint8_t *dec_out;
    size_t dec_cap;
    size_t dec_n;
};

/* Register Airlock's store callbacks (user_data = c) on c->sgs. */
airlock_err crypto_stores_register(crypto_ctx *c);
/* A NUL-terminated copy of a libsignal address name (bounded, no NUL
 * inside, valid identifier): ARG otherwise. */
airlock_err crypto_addr_name(const signal_protocol_address *a,
                             char out[STORE_ADDR_MAX + 1]);
/* Apply a parked identity with store_rid_seen, then forget it. */
airlock_err crypto_identity_commit(crypto_ctx *c);
/* Map a libsignal result in c's context (uses c->parked / prov.parked). */
airlock_err crypto_ctx_sg_err(crypto_ctx *c, int sg, crypto_sg_site site);

#endif /* AIRLOCK_CRYPTO_INT_H */

/*
 * seal.c - sealing at rest with XChaCha20-Poly1305 and passphrase keys with
 * Argon2id, both from libsodium.
 */
#include "base.h"

#include <sodium.h>
#include <string.h>

_Static_assert(BASE_SEAL_KEY == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
               "seal key size");
_Static_assert(BASE_SEAL_NONCE == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
               "seal nonce size");
_Static_assert(BASE_SEAL_TAG == crypto_aead_xchacha20poly1305_ietf_ABYTES,
               "seal tag size");

airlock_err base_seal_detnonce(const uint8_t key[BASE_SEAL_KEY],
                               const uint8_t nonce[BASE_SEAL_NONCE],
                               const uint8_t *ad, size_t ad_n,
                               const uint8_t *pt, size_t n, uint8_t *out)
{
    unsigned long long clen = 0;

    if (n > SIZE_MAX - BASE_SEAL_OVERHEAD)
        return AIRLOCK_ERR_TOO_LARGE;
    memmove(out, nonce, BASE_SEAL_NONCE);
    if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + BASE_SEAL_NONCE,
            &clen, pt, n, ad, ad_n, NULL, out, key) != 0)
        return AIRLOCK_ERR_CRYPTO;
    return AIRLOCK_OK;
}

airlock_err base_seal(const uint8_t key[BASE_SEAL_KEY], const uint8_t *ad,
                      size_t ad_n, const uint8_t *pt, size_t n, uint8_t *out)
{
    uint8_t nonce[BASE_SEAL_NONCE];

    randombytes_buf(nonce, sizeof nonce);
    return base_seal_detnonce(key, nonce, ad, ad_n, pt, n, out);
}

airlock_err base_seal_open(const uint8_t key[BASE_SEAL_KEY],
                           const uint8_t *ad, size_t ad_n, const uint8_t *ct,
                           size_t n, uint8_t *out)
{
    unsigned long long plen = 0;

    if (n < BASE_SEAL_OVERHEAD)
        return AIRLOCK_ERR_AUTH;
    /* libsodium verifies the tag before it writes any plaintext. */
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &plen, NULL,
            ct + BASE_SEAL_NONCE, n - BASE_SEAL_NONCE, ad, ad_n, ct,
            key) != 0)
        return AIRLOCK_ERR_AUTH;
    return AIRLOCK_OK;
}

airlock_err base_pwhash(const char *pass, size_t pass_n,
                        const uint8_t salt[BASE_PWHASH_SALT],
                        base_pwhash_cost cost, uint8_t out[32])
{
    unsigned long long ops;
    size_t mem;

    _Static_assert(BASE_PWHASH_SALT == crypto_pwhash_SALTBYTES, "salt size");
    switch (cost) {
    case BASE_PWHASH_TEST:
        ops = crypto_pwhash_OPSLIMIT_MIN;
        mem = crypto_pwhash_MEMLIMIT_MIN;
        break;
    case BASE_PWHASH_INTERACTIVE:
        ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
        break;
    case BASE_PWHASH_MODERATE:
        ops = crypto_pwhash_OPSLIMIT_MODERATE;
        mem = crypto_pwhash_MEMLIMIT_MODERATE;
        break;
    default:
        return AIRLOCK_ERR_ARG;
    }
    if (crypto_pwhash(out, 32, pass, pass_n, salt, ops, mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
        return AIRLOCK_ERR_NOMEM;   /* the only failure: out of memory */
    return AIRLOCK_OK;
}

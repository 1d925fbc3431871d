/*
 * primitives.c - free-standing hashes, HMAC and the AES-GCM payload AEAD
 * (OMEMO style: AES-128-GCM, 12- or 16-byte IV, 16-byte tag, no AAD), and
 * the SG_ERR_* translation table.
 *
 * These functions take no context, so they use OpenSSL's implicitly
 * fetched algorithms (cached by OpenSSL after the first use) and one
 * EVP_CIPHER_CTX per GCM call. The per-message Signal path goes through
 * the provider in provider.c instead, which fetches once per context.
 */
#include "crypto/crypto_int.h"

#include <limits.h>
#include <string.h>

#include <openssl/err.h>

#include "base/base.h"

/* OpenSSL's int-based lengths. */
#define GCM_LEN_MAX ((size_t)INT_MAX - 32u)

static const uint8_t no_bytes[1];

airlock_err crypto_sha512(const uint8_t *in, size_t n, uint8_t out[64])
{
    unsigned int outl = 0;

    if (out == NULL || (in == NULL && n > 0))
        return AIRLOCK_ERR_ARG;
    if (!EVP_Digest(n > 0 ? in : no_bytes, n, out, &outl, EVP_sha512(),
                    NULL) || outl != 64) {
        ERR_clear_error();
        return AIRLOCK_ERR_CRYPTO;
    }
    return AIRLOCK_OK;
}

airlock_err crypto_sha256(const uint8_t *in, size_t n, uint8_t out[32])
{
    unsigned int outl = 0;

    if (out == NULL || (in == NULL && n > 0))
        return AIRLOCK_ERR_ARG;
    if (!EVP_Digest(n > 0 ? in : no_bytes, n, out, &outl, EVP_sha256(),
                    NULL) || outl != 32) {
        ERR_clear_error();
        return AIRLOCK_ERR_CRYPTO;
    }
    return AIRLOCK_OK;
}

airlock_err crypto_hmac_sha256(const uint8_t *key, size_t kn,
                               const uint8_t *in, size_t n, uint8_t out[32])
{
    size_t outl = 0;

    if (out == NULL || (key == NULL && kn > 0) || (in == NULL && n > 0))
        return AIRLOCK_ERR_ARG;
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL,
                  kn > 0 ? key : no_bytes, kn, n > 0 ? in : no_bytes, n, out,
                  32, &outl) == NULL || outl != 32) {
        ERR_clear_error();
        return AIRLOCK_ERR_CRYPTO;
    }
    return AIRLOCK_OK;
}

/* ---- GCM ---- */

static const EVP_CIPHER *gcm_cipher(size_t key_n)
{
    switch (key_n) {
    case 16: return EVP_aes_128_gcm();
    case 24: return EVP_aes_192_gcm();
    case 32: return EVP_aes_256_gcm();
    default: return NULL;
    }
}

static airlock_err gcm_args(const uint8_t *key, size_t key_n,
                            const uint8_t *iv, size_t iv_n,
                            const uint8_t *ad, size_t ad_n,
                            const uint8_t *in, size_t n, const uint8_t *out,
                            const uint8_t *tag)
{
    if (key == NULL || gcm_cipher(key_n) == NULL || iv == NULL ||
        iv_n == 0 || iv_n > CRYPTO_GCM_IV_MAX || tag == NULL ||
        (ad == NULL && ad_n > 0) || ((in == NULL || out == NULL) && n > 0))
        return AIRLOCK_ERR_ARG;
    if (n > GCM_LEN_MAX || ad_n > GCM_LEN_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    return AIRLOCK_OK;
}

/* Cipher, IV length, key and IV; enc 1 or 0. */
static bool gcm_setup(EVP_CIPHER_CTX *x, size_t key_n, const uint8_t *key,
                      const uint8_t *iv, size_t iv_n, int enc)
{
    return EVP_CipherInit_ex(x, gcm_cipher(key_n), NULL, NULL, NULL, enc) &&
           EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, (int)iv_n,
                               NULL) &&
           EVP_CipherInit_ex(x, NULL, NULL, key, iv, enc);
}

airlock_err crypto_gcm_seal_ad(const uint8_t *key, size_t key_n,
                               const uint8_t *iv, size_t iv_n,
                               const uint8_t *ad, size_t ad_n,
                               const uint8_t *pt, size_t n, uint8_t *ct,
                               uint8_t tag[CRYPTO_GCM_TAG])
{
    EVP_CIPHER_CTX *x = NULL;
    uint8_t last[32];
    int l = 0, lf = 0;
    airlock_err err;

    if ((err = gcm_args(key, key_n, iv, iv_n, ad, ad_n, pt, n, ct, tag)) !=
        AIRLOCK_OK)
        return err;
    if ((x = EVP_CIPHER_CTX_new()) == NULL)
        return AIRLOCK_ERR_NOMEM;
    err = AIRLOCK_ERR_CRYPTO;
    if (!gcm_setup(x, key_n, key, iv, iv_n, 1))
        goto out;
    if (ad_n > 0 && !EVP_EncryptUpdate(x, NULL, &l, ad, (int)ad_n))
        goto out;
    /* Update is skipped for empty input: a NULL output would make
     * OpenSSL treat it as more associated data. */
    l = 0;
    if (n > 0 && (!EVP_EncryptUpdate(x, ct, &l, pt, (int)n) ||
                  (size_t)l != n))
        goto out;
    /* GCM is a stream mode: Final writes nothing, but give it room. */
    if (!EVP_EncryptFinal_ex(x, last, &lf) || lf != 0 ||
        !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, CRYPTO_GCM_TAG, tag))
        goto out;
    err = AIRLOCK_OK;
out:
    if (err != AIRLOCK_OK)
        ERR_clear_error();
    EVP_CIPHER_CTX_free(x);
    base_wipe(last, sizeof last);
    return err;
}

airlock_err crypto_gcm_open_ad(const uint8_t *key, size_t key_n,
                               const uint8_t *iv, size_t iv_n,
                               const uint8_t *ad, size_t ad_n,
                               const uint8_t *ct, size_t n,
                               const uint8_t tag[CRYPTO_GCM_TAG],
                               uint8_t *pt)
{
    EVP_CIPHER_CTX *x = NULL;
    uint8_t last[32];
    uint8_t tagcopy[CRYPTO_GCM_TAG];
    int l = 0, lf = 0;
    airlock_err err;

    if ((err = gcm_args(key, key_n, iv, iv_n, ad, ad_n, ct, n, pt, tag)) !=
        AIRLOCK_OK)
        return err;
    if ((x = EVP_CIPHER_CTX_new()) == NULL)
        return AIRLOCK_ERR_NOMEM;
    memcpy(tagcopy, tag, sizeof tagcopy);   /* the ctrl wants non-const */
    err = AIRLOCK_ERR_CRYPTO;
    if (!gcm_setup(x, key_n, key, iv, iv_n, 0))
        goto out;
    if (ad_n > 0 && !EVP_DecryptUpdate(x, NULL, &l, ad, (int)ad_n))
        goto out;
    l = 0;
    if (n > 0 && (!EVP_DecryptUpdate(x, pt, &l, ct, (int)n) ||
                  (size_t)l != n))
        goto out;
    if (!EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, CRYPTO_GCM_TAG,
                             tagcopy))
        goto out;
    if (EVP_DecryptFinal_ex(x, last, &lf) <= 0 || lf != 0) {
        err = AIRLOCK_ERR_AUTH;
        goto out;
    }
    err = AIRLOCK_OK;
out:
    if (err != AIRLOCK_OK) {
        /* Unverified plaintext never leaves: wipe what Update wrote. */
        if (n > 0 && pt != NULL)
            base_wipe(pt, n);
        ERR_clear_error();
    }
    EVP_CIPHER_CTX_free(x);
    base_wipe(last, sizeof last);
    return err;
}

airlock_err crypto_gcm_encrypt(const uint8_t key[CRYPTO_MSGKEY],
                               const uint8_t *iv, size_t iv_n,
                               const uint8_t *pt, size_t n, uint8_t *ct,
                               uint8_t tag[CRYPTO_GCM_TAG])
{
    if (iv_n != 12 && iv_n != 16)
        return AIRLOCK_ERR_ARG;
    return crypto_gcm_seal_ad(key, CRYPTO_MSGKEY, iv, iv_n, NULL, 0, pt, n,
                              ct, tag);
}

airlock_err crypto_gcm_decrypt(const uint8_t key[CRYPTO_MSGKEY],
                               const uint8_t *iv, size_t iv_n,
                               const uint8_t *ct, size_t n,
                               const uint8_t tag[CRYPTO_GCM_TAG],
                               uint8_t *pt)
{
    if (iv_n != 12 && iv_n != 16)
        return AIRLOCK_ERR_ARG;
    return crypto_gcm_open_ad(key, CRYPTO_MSGKEY, iv, iv_n, NULL, 0, ct, n,
                              tag, pt);
}

/* ---- SG_ERR_* ---- */

airlock_err crypto_sg_err(int sg, crypto_sg_site site, airlock_err parked)
{
    if (sg >= 0)
        return AIRLOCK_OK;
    if (sg == CRYPTO_SG_PARKED)
        return parked != AIRLOCK_OK ? parked : AIRLOCK_ERR_CRYPTO;
    if (sg == SG_ERR_NOMEM)
        return AIRLOCK_ERR_NOMEM;
    /* Stranger bytes that do not deserialize are malformed, whatever
     * libsignal's reason (bad protobuf, version, key encoding). */
    if (site == CRYPTO_SG_PARSE)
        return AIRLOCK_ERR_MALFORMED;
    switch (sg) {
    case SG_ERR_INVAL:
        return AIRLOCK_ERR_ARG;
    case SG_ERR_DUPLICATE_MESSAGE:
        return AIRLOCK_ERR_DUPLICATE;
    case SG_ERR_INVALID_KEY:
    case SG_ERR_INVALID_PROTO_BUF:
    case SG_ERR_INVALID_VERSION:
    case SG_ERR_LEGACY_MESSAGE:
        return AIRLOCK_ERR_MALFORMED;
    case SG_ERR_INVALID_KEY_ID:
        /* A prekey message naming a (signed) prekey we do not hold: no
         * session can be built from it. */
        return AIRLOCK_ERR_NO_SESSION;
    case SG_ERR_INVALID_MAC:
    case SG_ERR_VRF_SIG_VERIF_FAILED:
        return AIRLOCK_ERR_AUTH;
    case SG_ERR_INVALID_MESSAGE:
        /* After a successful parse, libsignal says INVALID_MESSAGE when no
         * session state verifies the MAC (or the counter is beyond the
         * skip window). */
        return site == CRYPTO_SG_DECRYPT ? AIRLOCK_ERR_AUTH
                                         : AIRLOCK_ERR_MALFORMED;
    case SG_ERR_NO_SESSION:
        return AIRLOCK_ERR_NO_SESSION;
    case SG_ERR_STALE_KEY_EXCHANGE:
        return AIRLOCK_ERR_STATE;
    case SG_ERR_UNTRUSTED_IDENTITY:
        return AIRLOCK_ERR_UNTRUSTED_IDENTITY;
    case SG_ERR_FP_VERSION_MISMATCH:
    case SG_ERR_FP_IDENT_MISMATCH:
        return AIRLOCK_ERR_ARG;
    default:
        return AIRLOCK_ERR_CRYPTO;
    }
}

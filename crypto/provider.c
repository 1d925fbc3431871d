/*
 * provider.c - libsignal's crypto provider: randomness from the context's
 * rng (libsodium by default), HMAC-SHA256, SHA-512 and AES-CBC/CTR through
 * OpenSSL EVP. Algorithms are fetched once per provider; HMAC and digest
 * contexts are recycled through one spare slot each and the AES callbacks
 * reuse one cipher context, so the per-message path allocates no EVP
 * objects.
 */
#include "crypto/crypto_int.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <sodium.h>

#include "base/base.h"

#define AES_BLOCK 16u
#define SHA256_LEN 32u
#define SHA512_LEN 64u
/* Lengths handed to EVP's int-based calls stay well inside int. */
#define EVP_LEN_MAX ((size_t)INT_MAX - 2u * AES_BLOCK)

/* ---- random ---- */

static void rng_system(void *user, uint8_t *buf, size_t n)
{
    (void)user;
    if (n > 0)
        randombytes_buf(buf, n);
}

/* The ChaCha20 keystream of the seed under a zero nonce; `counter` counts
 * 64-byte blocks handed out, and each fill starts on a fresh block, so a
 * sequence of fills is reproducible from the seed alone. */
static void rng_det(void *user, uint8_t *buf, size_t n)
{
    static const uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];
    crypto_det_rng *st = user;

    if (n == 0)
        return;
    memset(buf, 0, n);
    crypto_stream_chacha20_xor_ic(buf, buf, n, nonce, st->counter, st->seed);
    st->counter += n / 64u + (n % 64u != 0);
}

void crypto_det_rng_init(crypto_det_rng *st, const uint8_t seed[32],
                         crypto_rng *out)
{
    memcpy(st->seed, seed, sizeof st->seed);
    st->counter = 0;
    out->fill = rng_det;
    out->user = st;
}

/* ---- provider lifetime ---- */

static EVP_MAC_CTX *hmac_ctx_new(crypto_prov *p)
{
    char digest[] = "SHA256";
    OSSL_PARAM params[2];
    EVP_MAC_CTX *m = EVP_MAC_CTX_new(p->hmac);

    if (m == NULL)
        return NULL;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_CTX_set_params(m, params)) {
        EVP_MAC_CTX_free(m);
        ERR_clear_error();
        return NULL;
    }
    return m;
}

airlock_err crypto_prov_init(crypto_prov *p, const crypto_rng *rng)
{
    static const char *const cbc[3] = { "AES-128-CBC", "AES-192-CBC",
                                        "AES-256-CBC" };
    static const char *const ctr[3] = { "AES-128-CTR", "AES-192-CTR",
                                        "AES-256-CTR" };
    airlock_err err;
    unsigned i;

    memset(p, 0, sizeof *p);
    if ((err = base_init()) != AIRLOCK_OK)
        return err;
    if (rng != NULL && rng->fill != NULL) {
        p->rng = *rng;
    } else {
        p->rng.fill = rng_system;
        p->rng.user = NULL;
    }
    err = AIRLOCK_ERR_CRYPTO;
    if ((p->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
        (p->sha512 = EVP_MD_fetch(NULL, "SHA512", NULL)) == NULL)
        goto out;
    for (i = 0; i < 3; i++) {
        if ((p->cbc[i] = EVP_CIPHER_fetch(NULL, cbc[i], NULL)) == NULL ||
            (p->ctr[i] = EVP_CIPHER_fetch(NULL, ctr[i], NULL)) == NULL)
            goto out;
    }
    err = AIRLOCK_ERR_NOMEM;
    if ((p->cctx = EVP_CIPHER_CTX_new()) == NULL ||
        (p->hmac_spare = hmac_ctx_new(p)) == NULL ||
        (p->sha512_spare = EVP_MD_CTX_new()) == NULL)
        goto out;
    err = AIRLOCK_OK;
out:
    if (err != AIRLOCK_OK) {
        ERR_clear_error();
        crypto_prov_clear(p);
    }
    return err;
}

void crypto_prov_clear(crypto_prov *p)
{
    unsigned i;

    if (p == NULL)
        return;
    /* The *_free functions cleanse key schedules and HMAC pads. */
    EVP_MAC_CTX_free(p->hmac_spare);
    EVP_MD_CTX_free(p->sha512_spare);
    EVP_CIPHER_CTX_free(p->cctx);
    for (i = 0; i < 3; i++) {
        EVP_CIPHER_free(p->cbc[i]);
        EVP_CIPHER_free(p->ctr[i]);
    }
    EVP_MD_free(p->sha512);
    EVP_MAC_free(p->hmac);
    base_wipe(p, sizeof *p);
}

/* ---- callbacks ---- */

static int park(crypto_prov *p, airlock_err err)
{
    ERR_clear_error();
    p->parked = err;
    return CRYPTO_SG_PARKED;
}

static int cb_random(uint8_t *data, size_t len, void *ud)
{
    crypto_prov *p = ud;

    p->rng.fill(p->rng.user, data, len);
    return 0;
}

static int cb_hmac_init(void **hctx, const uint8_t *key, size_t key_len,
                        void *ud)
{
    /* A NULL key would make EVP_MAC_init keep the previous key. */
    static const uint8_t empty[1];
    crypto_prov *p = ud;
    EVP_MAC_CTX *m = p->hmac_spare;

    if (m != NULL)
        p->hmac_spare = NULL;
    else if ((m = hmac_ctx_new(p)) == NULL)
        return SG_ERR_NOMEM;
    if (!EVP_MAC_init(m, key_len > 0 ? key : empty, key_len, NULL)) {
        EVP_MAC_CTX_free(m);
        return park(p, AIRLOCK_ERR_CRYPTO);
    }
    *hctx = m;
    return 0;
}

static int cb_hmac_update(void *hctx, const uint8_t *data, size_t len,
                          void *ud)
{
    if (len > 0 && !EVP_MAC_update(hctx, data, len))
        return park(ud, AIRLOCK_ERR_CRYPTO);
    return 0;
}

static int cb_hmac_final(void *hctx, signal_buffer **output, void *ud)
{
    signal_buffer *b = signal_buffer_alloc(SHA256_LEN);
    size_t outl = 0;

    if (b == NULL)
        return SG_ERR_NOMEM;
    if (!EVP_MAC_final(hctx, signal_buffer_data(b), &outl, SHA256_LEN) ||
        outl != SHA256_LEN) {
        signal_buffer_bzero_free(b);
        return park(ud, AIRLOCK_ERR_CRYPTO);
    }
    *output = b;
    return 0;
}

static void cb_hmac_cleanup(void *hctx, void *ud)
{
    crypto_prov *p = ud;

    if (hctx == NULL)
        return;
    /* Keep one for the next init; the pads stay until it is reused or the
     * provider is cleared (EVP_MAC_CTX_free cleanses them). */
    if (p->hmac_spare == NULL)
        p->hmac_spare = hctx;
    else
        EVP_MAC_CTX_free(hctx);
}

static int cb_sha512_init(void **dctx, void *ud)
{
    crypto_prov *p = ud;
    EVP_MD_CTX *m = p->sha512_spare;

    if (m != NULL)
        p->sha512_spare = NULL;
    else if ((m = EVP_MD_CTX_new()) == NULL)
        return SG_ERR_NOMEM;
    if (!EVP_DigestInit_ex2(m, p->sha512, NULL)) {
        EVP_MD_CTX_free(m);
        return park(p, AIRLOCK_ERR_CRYPTO);
    }
    *dctx = m;
    return 0;
}

static int cb_sha512_update(void *dctx, const uint8_t *data, size_t len,
                            void *ud)
{
    if (len > 0 && !EVP_DigestUpdate(dctx, data, len))
        return park(ud, AIRLOCK_ERR_CRYPTO);
    return 0;
}

/* libsignal's contract: final also readies the context for reuse (the
 * fingerprint generator hashes 5200 rounds on one context). */
static int cb_sha512_final(void *dctx, signal_buffer **output, void *ud)
{
    crypto_prov *p = ud;
    signal_buffer *b = signal_buffer_alloc(SHA512_LEN);
    unsigned int outl = 0;

    if (b == NULL)
        return SG_ERR_NOMEM;
    if (!EVP_DigestFinal_ex(dctx, signal_buffer_data(b), &outl) ||
        outl != SHA512_LEN || !EVP_DigestInit_ex2(dctx, p->sha512, NULL)) {
        signal_buffer_bzero_free(b);
        return park(p, AIRLOCK_ERR_CRYPTO);
    }
    *output = b;
    return 0;
}

static void cb_sha512_cleanup(void *dctx, void *ud)
{
    crypto_prov *p = ud;

    if (dctx == NULL)
        return;
    if (p->sha512_spare == NULL)
        p->sha512_spare = dctx;
    else
        EVP_MD_CTX_free(dctx);
}

static const EVP_CIPHER *pick_cipher(const crypto_prov *p, int cipher,
                                     size_t key_len)
{
    int i;

    switch (key_len) {
    case 16: i = 0; break;
    case 24: i = 1; break;
    case 32: i = 2; break;
    default: return NULL;
    }
    if (cipher == SG_CIPHER_AES_CBC_PKCS5)
        return p->cbc[i];
    if (cipher == SG_CIPHER_AES_CTR_NOPADDING)
        return p->ctr[i];
    return NULL;
}

/* Key and IV into the shared cipher context. Passing a NULL cipher when
 * it is unchanged keeps OpenSSL's algorithm context instead of rebuilding
 * it. */
static bool cctx_setup(crypto_prov *p, const EVP_CIPHER *c,
                       const uint8_t *key, const uint8_t *iv, int enc)
{
    const EVP_CIPHER *cur = p->cctx_cipher;

    p->cctx_cipher = NULL;
    if (!EVP_CipherInit_ex2(p->cctx, c == cur ? NULL : c, key, iv, enc,
                            NULL))
        return false;
    p->cctx_cipher = c;
    return EVP_CIPHER_CTX_set_padding(p->cctx,
                                      EVP_CIPHER_get_mode(c) ==
                                          EVP_CIPH_CBC_MODE) == 1;
}

static int cb_encrypt(signal_buffer **output, int cipher, const uint8_t *key,
                      size_t key_len, const uint8_t *iv, size_t iv_len,
                      const uint8_t *pt, size_t pt_len, void *ud)
{
    crypto_prov *p = ud;
    const EVP_CIPHER *c = pick_cipher(p, cipher, key_len);
    signal_buffer *b = NULL;
    size_t want;
    int l1 = 0, l2 = 0;
    int ret;

    if (c == NULL || iv_len != AES_BLOCK || pt_len > EVP_LEN_MAX)
        return SG_ERR_INVAL;
    want = cipher == SG_CIPHER_AES_CBC_PKCS5
               ? pt_len + AES_BLOCK - pt_len % AES_BLOCK
               : pt_len;
    if ((b = signal_buffer_alloc(want)) == NULL)
        return SG_ERR_NOMEM;
    if (!cctx_setup(p, c, key, iv, 1) ||
        !EVP_EncryptUpdate(p->cctx, signal_buffer_data(b), &l1, pt,
                           (int)pt_len) ||
        !EVP_EncryptFinal_ex(p->cctx, signal_buffer_data(b) + l1, &l2) ||
        (size_t)l1 + (size_t)l2 != want) {
        ret = park(p, AIRLOCK_ERR_CRYPTO);
        goto out;
    }
    *output = b;
    b = NULL;
    ret = 0;
out:
    signal_buffer_bzero_free(b);
    return ret;
}

static int cb_decrypt(signal_buffer **output, int cipher, const uint8_t *key,
                      size_t key_len, const uint8_t *iv, size_t iv_len,
                      const uint8_t *ct, size_t ct_len, void *ud)
{
    crypto_prov *p = ud;
    const EVP_CIPHER *c = pick_cipher(p, cipher, key_len);
    signal_buffer *tmp = NULL, *b = NULL;
    int l1 = 0, l2 = 0;
    int ret;

    if (c == NULL || iv_len != AES_BLOCK || ct_len > EVP_LEN_MAX)
        return SG_ERR_INVAL;
    if (cipher == SG_CIPHER_AES_CBC_PKCS5 &&
        (ct_len == 0 || ct_len % AES_BLOCK != 0))
        return park(p, AIRLOCK_ERR_MALFORMED);
    /* CBC's plaintext length is known only after unpadding: decrypt into
     * a scratch buffer of the ciphertext's size, then copy exactly. */
    if ((tmp = signal_buffer_alloc(ct_len)) == NULL)
        return SG_ERR_NOMEM;
    if (!cctx_setup(p, c, key, iv, 0) ||
        !EVP_DecryptUpdate(p->cctx, signal_buffer_data(tmp), &l1, ct,
                           (int)ct_len)) {
        ret = park(p, AIRLOCK_ERR_CRYPTO);
        goto out;
    }
    if (!EVP_DecryptFinal_ex(p->cctx, signal_buffer_data(tmp) + l1, &l2)) {
        ret = park(p, AIRLOCK_ERR_MALFORMED);   /* bad padding */
        goto out;
    }
    if ((size_t)l1 + (size_t)l2 > ct_len) {
        ret = park(p, AIRLOCK_ERR_CRYPTO);
        goto out;
    }
    if ((size_t)l1 + (size_t)l2 == ct_len) {
        b = tmp;
        tmp = NULL;
    } else if ((b = signal_buffer_create(signal_buffer_data(tmp),
                                         (size_t)l1 + (size_t)l2)) == NULL) {
        ret = SG_ERR_NOMEM;
        goto out;
    }
    *output = b;
    ret = 0;
out:
    signal_buffer_bzero_free(tmp);
    return ret;
}

void crypto_prov_signal(crypto_prov *p, signal_crypto_provider *out)
{
    memset(out, 0, sizeof *out);
    out->random_func = cb_random;
    out->hmac_sha256_init_func = cb_hmac_init;
    out->hmac_sha256_update_func = cb_hmac_update;
    out->hmac_sha256_final_func = cb_hmac_final;
    out->hmac_sha256_cleanup_func = cb_hmac_cleanup;
    out->sha512_digest_init_func = cb_sha512_init;
    out->sha512_digest_update_func = cb_sha512_update;
    out->sha512_digest_final_func = cb_sha512_final;
    out->sha512_digest_cleanup_func = cb_sha512_cleanup;
    out->encrypt_func = cb_encrypt;
    out->decrypt_func = cb_decrypt;
    out->user_data = p;
}

airlock_err crypto_prov_context(crypto_prov *p, signal_context **out)
{
    signal_crypto_provider cp;
    signal_context *sg = NULL;
    airlock_err err;
    int r;

    *out = NULL;
    if ((r = signal_context_create(&sg, p)) < 0) {
        err = crypto_sg_err(r, CRYPTO_SG_GENERIC, AIRLOCK_OK);
        goto out;
    }
    crypto_prov_signal(p, &cp);
    if ((r = signal_context_set_crypto_provider(sg, &cp)) < 0) {
        err = crypto_sg_err(r, CRYPTO_SG_GENERIC, AIRLOCK_OK);
        goto out;
    }
    *out = sg;
    sg = NULL;
    err = AIRLOCK_OK;
out:
    if (sg != NULL)
        signal_context_destroy(sg);
    return err;
}

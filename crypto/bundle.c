/*
 * bundle.c - the local bundle's byte format (docs/CRYPTO.md): a fixed-size
 * v1 record, encoded with the writer and parsed with the bounded reader.
 * The parser takes a stranger's bytes (the relay's directory) and has a
 * libFuzzer harness, tests/fuzz/fuzz_bundle.c.
 */
#include "crypto/crypto_int.h"

#include <string.h>

#include "base/base.h"

airlock_err crypto_bundle_encode(const crypto_bundle *b, uint8_t **out,
                                 size_t *n)
{
    wr w;

    if (out != NULL)
        *out = NULL;
    if (n != NULL)
        *n = 0;
    if (b == NULL || out == NULL || n == NULL)
        return AIRLOCK_ERR_ARG;
    wr_init(&w, NULL, CRYPTO_BUNDLE_MAX);
    wr_u8(&w, CRYPTO_BUNDLE_VERSION);
    wr_u32be(&w, b->registration_id);
    wr_u32be(&w, b->device_id);
    wr_bytes(&w, b->identity, CRYPTO_KEY_PUB);
    wr_u32be(&w, b->signed_prekey_id);
    wr_bytes(&w, b->signed_prekey, CRYPTO_KEY_PUB);
    wr_bytes(&w, b->signature, CRYPTO_SIG);
    return wr_take(&w, out, n);
}

airlock_err crypto_bundle_parse(const uint8_t *in, size_t n,
                                crypto_bundle *out)
{
    crypto_bundle b;
    const uint8_t *p;
    uint8_t version;
    airlock_err err;
    rd r;

    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (out == NULL || (in == NULL && n > 0))
        return AIRLOCK_ERR_ARG;
    if (n > CRYPTO_BUNDLE_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    memset(&b, 0, sizeof b);
    r = rd_make(in, n);
    if ((err = rd_u8(&r, &version)) != AIRLOCK_OK)
        return err;
    if (version == 0)
        return AIRLOCK_ERR_MALFORMED;
    if (version != CRYPTO_BUNDLE_VERSION)
        return AIRLOCK_ERR_UNSUPPORTED;
    if ((err = rd_u32be(&r, &b.registration_id)) != AIRLOCK_OK ||
        (err = rd_u32be(&r, &b.device_id)) != AIRLOCK_OK)
        return err;
    if ((err = rd_bytes(&r, CRYPTO_KEY_PUB, &p)) != AIRLOCK_OK)
        return err;
    memcpy(b.identity, p, CRYPTO_KEY_PUB);
    if ((err = rd_u32be(&r, &b.signed_prekey_id)) != AIRLOCK_OK ||
        (err = rd_bytes(&r, CRYPTO_KEY_PUB, &p)) != AIRLOCK_OK)
        return err;
    memcpy(b.signed_prekey, p, CRYPTO_KEY_PUB);
    if ((err = rd_bytes(&r, CRYPTO_SIG, &p)) != AIRLOCK_OK)
        return err;
    memcpy(b.signature, p, CRYPTO_SIG);
    if ((err = rd_done(&r)) != AIRLOCK_OK)
        return err;
    /* Validate the whole struct before handing any of it out. */
    if (b.registration_id == 0 || b.registration_id > CRYPTO_REG_ID_MAX ||
        b.device_id == 0 || b.device_id > CRYPTO_DEVICE_ID_MAX ||
        b.signed_prekey_id == 0 ||
        b.signed_prekey_id > CRYPTO_PREKEY_ID_MAX ||
        b.identity[0] != CRYPTO_DJB_TYPE ||
        b.signed_prekey[0] != CRYPTO_DJB_TYPE)
        return AIRLOCK_ERR_MALFORMED;
    *out = b;
    return AIRLOCK_OK;
}

/*
 * fuzz_bundle.c - the local bundle parser (crypto_bundle_parse): whatever
 * the bytes, it returns a code and never reads outside the input; what it
 * accepts is fully validated and re-encodes to the same bytes (the format
 * is canonical: fixed size, no optional fields).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    crypto_bundle b;
    uint8_t *again = NULL;
    size_t n = 0;
    airlock_err err = crypto_bundle_parse(data, size, &b);

    if (err != AIRLOCK_OK) {
        /* nothing half-parsed is left behind */
        static const crypto_bundle zero;

        if (memcmp(&b, &zero, sizeof b) != 0)
            abort();
        return 0;
    }
    if (size != CRYPTO_BUNDLE_V1_LEN || b.registration_id == 0 ||
        b.registration_id > CRYPTO_REG_ID_MAX || b.device_id == 0 ||
        b.device_id > CRYPTO_DEVICE_ID_MAX || b.signed_prekey_id == 0 ||
        b.signed_prekey_id > CRYPTO_PREKEY_ID_MAX ||
        b.identity[0] != CRYPTO_DJB_TYPE ||
        b.signed_prekey[0] != CRYPTO_DJB_TYPE)
        abort();
    if (crypto_bundle_encode(&b, &again, &n) != AIRLOCK_OK)
        abort();
    if (n != size || memcmp(again, data, size) != 0)
        abort();
    free(again);
    return 0;
}

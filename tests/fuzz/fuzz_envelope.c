/*
 * fuzz_envelope.c - envelope v1 decoding (net/envelope.c): whatever the
 * bytes, decode returns a code and never reads outside the input; what it
 * accepts re-encodes to the same bytes (the encoding is canonical).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    net_env e;
    uint8_t *again = NULL;
    size_t n = 0;

    if (net_env_decode(data, size, &e) != AIRLOCK_OK)
        return 0;
    if (e.header_count == 0 || e.header_count > NET_ENV_HEADERS_MAX ||
        e.sender_n == 0 || e.sender_n > NET_ADDR_MAX)
        abort();
    if (net_env_encode(&e, &again, &n) != AIRLOCK_OK)
        abort();
    if (n != size || memcmp(again, data, size) != 0)
        abort();
    free(again);
    return 0;
}

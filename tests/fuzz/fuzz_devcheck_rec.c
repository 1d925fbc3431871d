/*
 * fuzz_devcheck_rec.c - the record the engine keeps of devices a device
 * list check held (core/devcheck.c), read back from the store: arbitrary
 * bytes either parse within the named maximum or give an empty record;
 * whatever parses encodes back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    engine_devcheck_rec r;
    uint8_t *out = NULL;
    size_t n = 0;

    if (!engine_devcheck_parse(data, size, &r)) {
        if (r.n != 0 || r.last_ms != 0)
            abort();
        return 0;
    }
    if (r.n > DEVCHECK_PENDING_MAX || r.last_ms < 0 ||
        size != 8 + 4 * r.n)
        abort();
    if (engine_devcheck_encode(&r, &out, &n) != AIRLOCK_OK)
        abort();
    if (n != size || memcmp(out, data, size) != 0)
        abort();
    free(out);
    return 0;
}

/*
 * test_util.h - small helpers shared by the crypto tests.
 */
#ifndef AIRLOCK_TEST_CRYPTO_UTIL_H
#define AIRLOCK_TEST_CRYPTO_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline int tu_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode hex (no separators) into out; returns the byte count, or
 * (size_t)-1 on bad input or overflow. */
static inline size_t tu_unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = strlen(s), i;

    if (n % 2 != 0 || n / 2 > cap)
        return (size_t)-1;
    for (i = 0; i < n / 2; i++) {
        int hi = tu_nibble(s[2 * i]), lo = tu_nibble(s[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return (size_t)-1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return n / 2;
}

#endif /* AIRLOCK_TEST_CRYPTO_UTIL_H */

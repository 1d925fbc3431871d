/*
 * base.c - allocation, secrets, hex, clocks and identifier checks.
 */
#include "base.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

airlock_err base_init(void)
{
    /* sodium_init is idempotent and thread-safe; 1 means "already done". */
    return sodium_init() < 0 ? AIRLOCK_ERR_CRYPTO : AIRLOCK_OK;
}

void *base_alloc(const airlock_allocator *al, size_t n)
{
    if (n == 0)
        n = 1;
    if (al != NULL && al->alloc != NULL)
        return al->alloc(n, al->user_data);
    return malloc(n);
}

void *base_calloc(const airlock_allocator *al, size_t n, size_t size)
{
    void *p;

    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    p = base_alloc(al, n * size);
    if (p != NULL)
        memset(p, 0, n * size == 0 ? 1 : n * size);
    return p;
}

void *base_realloc(const airlock_allocator *al, void *p, size_t old_n,
                   size_t new_n)
{
    void *q;

    if (new_n == 0)
        new_n = 1;
    if (al == NULL || al->alloc == NULL)
        return realloc(p, new_n);
    if (al->realloc != NULL)
        return al->realloc(p, new_n, al->user_data);
    q = al->alloc(new_n, al->user_data);
    if (q == NULL)
        return NULL;
    if (p != NULL) {
        memcpy(q, p, old_n < new_n ? old_n : new_n);
        al->free(p, al->user_data);
    }
    return q;
}

void base_free(const airlock_allocator *al, void *p)
{
    if (p == NULL)
        return;
    if (al != NULL && al->alloc != NULL)
        al->free(p, al->user_data);
    else
        free(p);
}

char *base_strndup(const airlock_allocator *al, const char *s, size_t n)
{
    char *d;

    if (n == SIZE_MAX)
        return NULL;
    d = base_alloc(al, n + 1);
    if (d == NULL)
        return NULL;
    if (n > 0)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void base_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0)
        sodium_memzero(p, n);
}

bool base_ct_eq(const void *a, const void *b, size_t n)
{
    return sodium_memcmp(a, b, n) == 0;
}

void *base_secure_alloc(size_t n)
{
    return sodium_malloc(n);
}

void base_secure_free(void *p)
{
    if (p != NULL)
        sodium_free(p);   /* wipes before releasing */
}

void base_random(void *buf, size_t n)
{
    randombytes_buf(buf, n);
}

uint32_t base_random_u32(void)
{
    return randombytes_random();
}

void base_hex(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

airlock_err base_unhex(const airlock_allocator *al, const char *s, size_t n,
                       uint8_t **out, size_t *out_n)
{
    uint8_t *buf = NULL;
    size_t i, k = 0;
    int hi = -1, v;
    airlock_err err = AIRLOCK_ERR_MALFORMED;

    *out = NULL;
    *out_n = 0;
    if ((buf = base_alloc(al, n / 2 + 1)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        if (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
            if (hi >= 0)
                goto out;   /* whitespace inside a pair */
            continue;
        }
        if ((v = hexval(s[i])) < 0)
            goto out;
        if (hi < 0) {
            hi = v;
        } else {
            buf[k++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0)
        goto out;
    *out = buf;
    *out_n = k;
    buf = NULL;
    err = AIRLOCK_OK;
out:
    base_free(al, buf);
    return err;
}

void base_hash32(const uint8_t *in, size_t n, uint8_t out[32])
{
    crypto_generichash(out, 32, in, n, NULL, 0);
}

uint64_t base_hash64(const uint8_t key[16], const void *in, size_t n)
{
    uint8_t h[8];
    uint64_t v = 0;
    int i;

    crypto_shorthash(h, in, n, key);
    for (i = 7; i >= 0; i--)
        v = v << 8 | h[i];
    return v;
}

int64_t base_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t base_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool base_utf8_ident(const uint8_t *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        uint8_t c = s[i];
        uint32_t cp;
        size_t len, k;

        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                return false;
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
            (cp >= 0x80 && cp <= 0x9f))
            return false;
        i += len;
    }
    return true;
}

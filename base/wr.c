/*
 * wr.c - growable output buffer with a hard cap and a sticky error, so a
 * sequence of writes can be checked once at the end.
 */
#include "base.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void wr_init(wr *w, const airlock_allocator *al, size_t max)
{
    w->buf = NULL;
    w->len = 0;
    w->cap = 0;
    w->max = max;
    w->al = al;
    w->err = AIRLOCK_OK;
}

void wr_clear(wr *w, bool wipe)
{
    if (w->buf != NULL && wipe)
        base_wipe(w->buf, w->cap);
    base_free(w->al, w->buf);
    w->buf = NULL;
    w->len = 0;
    w->cap = 0;
}

airlock_err wr_take(wr *w, uint8_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (w->err != AIRLOCK_OK)
        return w->err;
    /* Always leave room for a NUL so text can be handed out as a string. */
    if (wr_reserve(w, 1) != AIRLOCK_OK)
        return w->err;
    w->buf[w->len] = 0;
    *out = w->buf;
    *n = w->len;
    w->buf = NULL;
    w->len = 0;
    w->cap = 0;
    return AIRLOCK_OK;
}

airlock_err wr_reserve(wr *w, size_t n)
{
    size_t want, ncap;
    uint8_t *nb;

    if (w->err != AIRLOCK_OK)
        return w->err;
    if (n > SIZE_MAX - w->len || w->len + n > w->max + 1) {
        /* +1: the terminating NUL of wr_take is not counted against max. */
        w->err = AIRLOCK_ERR_TOO_LARGE;
        return w->err;
    }
    want = w->len + n;
    if (want <= w->cap)
        return AIRLOCK_OK;
    ncap = w->cap < 64 ? 64 : w->cap;
    while (ncap < want)
        ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
    if (ncap > w->max + 1)
        ncap = w->max + 1;
    if ((nb = base_realloc(w->al, w->buf, w->cap, ncap)) == NULL) {
        w->err = AIRLOCK_ERR_NOMEM;
        return w->err;
    }
    w->buf = nb;
    w->cap = ncap;
    return AIRLOCK_OK;
}

airlock_err wr_bytes(wr *w, const void *p, size_t n)
{
    if (w->err != AIRLOCK_OK)
        return w->err;
    /* Invariant: len <= max. */
    if (n > w->max - w->len) {
        w->err = AIRLOCK_ERR_TOO_LARGE;
        return w->err;
    }
    if (wr_reserve(w, n) != AIRLOCK_OK)
        return w->err;
    if (n > 0)
        memcpy(w->buf + w->len, p, n);
    w->len += n;
    return AIRLOCK_OK;
}

airlock_err wr_u8(wr *w, uint8_t v)
{
    return wr_bytes(w, &v, 1);
}

airlock_err wr_u16be(wr *w, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

    return wr_bytes(w, b, sizeof b);
}

airlock_err wr_u32be(wr *w, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
                     (uint8_t)(v >> 8), (uint8_t)v };

    return wr_bytes(w, b, sizeof b);
}

airlock_err wr_u64be(wr *w, uint64_t v)
{
    uint8_t b[8];
    int i;

    for (i = 7; i >= 0; i--) {
        b[i] = (uint8_t)v;
        v >>= 8;
    }
    return wr_bytes(w, b, sizeof b);
}

airlock_err wr_uvarint(wr *w, uint64_t v)
{
    uint8_t b[RD_UVARINT_MAX_BYTES];
    size_t n = 0;

    do {
        b[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v != 0)
            b[n] |= 0x80;
        n++;
    } while (v != 0);
    return wr_bytes(w, b, n);
}

airlock_err wr_str(wr *w, const char *s)
{
    return wr_bytes(w, s, strlen(s));
}

airlock_err wr_lbytes(wr *w, const void *p, size_t n)
{
    if (wr_uvarint(w, n) != AIRLOCK_OK)
        return w->err;
    return wr_bytes(w, p, n);
}

airlock_err wr_printf(wr *w, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        if (w->err == AIRLOCK_OK)
            w->err = AIRLOCK_ERR_ARG;
        return w->err;
    }
    if ((size_t)n < sizeof small)
        return wr_bytes(w, small, (size_t)n);
    if (wr_reserve(w, (size_t)n + 1) != AIRLOCK_OK)
        return w->err;
    va_start(ap, fmt);
    vsnprintf((char *)w->buf + w->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    w->len += (size_t)n;
    return AIRLOCK_OK;
}

airlock_err wr_json_str(wr *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;

    wr_u8(w, '"');
    for (i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        char esc[6];
        size_t en = 0;

        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            en = 2;
        } else if (c == '\n') {
            memcpy(esc, "\\n", 2);
            en = 2;
        } else if (c == '\t') {
            memcpy(esc, "\\t", 2);
            en = 2;
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            en = 6;
        }
        if (en > 0) {
            wr_bytes(w, s + i - run, run);
            run = 0;
            wr_bytes(w, esc, en);
        } else {
            run++;
        }
    }
    wr_bytes(w, s + n - run, run);
    return wr_u8(w, '"');
}

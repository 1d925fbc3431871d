/*
 * rd.c - the bounded reader. Every check compares against what is left,
 * never computes an end pointer from an untrusted length.
 */
#include "base.h"

airlock_err rd_u8(rd *r, uint8_t *v)
{
    if (r->left < 1)
        return AIRLOCK_ERR_TRUNCATED;
    *v = r->p[0];
    r->p++;
    r->left--;
    return AIRLOCK_OK;
}

static airlock_err rd_be(rd *r, unsigned n, uint64_t *v)
{
    uint64_t x = 0;
    unsigned i;

    if (r->left < n)
        return AIRLOCK_ERR_TRUNCATED;
    for (i = 0; i < n; i++)
        x = x << 8 | r->p[i];
    r->p += n;
    r->left -= n;
    *v = x;
    return AIRLOCK_OK;
}

airlock_err rd_u16be(rd *r, uint16_t *v)
{
    uint64_t x;
    airlock_err err = rd_be(r, 2, &x);

    if (err == AIRLOCK_OK)
        *v = (uint16_t)x;
    return err;
}

airlock_err rd_u32be(rd *r, uint32_t *v)
{
    uint64_t x;
    airlock_err err = rd_be(r, 4, &x);

    if (err == AIRLOCK_OK)
        *v = (uint32_t)x;
    return err;
}

airlock_err rd_u64be(rd *r, uint64_t *v)
{
    return rd_be(r, 8, v);
}

airlock_err rd_uvarint_n(rd *r, unsigned max_bytes, uint64_t max, uint64_t *v)
{
    uint64_t x = 0;
    unsigned i, shift = 0;

    if (max_bytes == 0 || max_bytes > RD_UVARINT_MAX_BYTES)
        max_bytes = RD_UVARINT_MAX_BYTES;
    for (i = 0; ; i++) {
        uint8_t b;

        if (i >= max_bytes)
            return AIRLOCK_ERR_MALFORMED;
        if (i >= r->left)
            return AIRLOCK_ERR_TRUNCATED;
        b = r->p[i];
        /* The tenth byte may only carry the top bit of a 64-bit value. */
        if (shift == 63 && (b & 0x7e) != 0)
            return AIRLOCK_ERR_MALFORMED;
        x |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            /* Minimal: the last group of a multi-byte varint is non-zero. */
            if (i > 0 && b == 0)
                return AIRLOCK_ERR_MALFORMED;
            break;
        }
        shift += 7;
    }
    if (x > max)
        return AIRLOCK_ERR_TOO_LARGE;
    r->p += i + 1;
    r->left -= i + 1;
    *v = x;
    return AIRLOCK_OK;
}

airlock_err rd_uvarint(rd *r, uint64_t max, uint64_t *v)
{
    return rd_uvarint_n(r, RD_UVARINT_MAX_BYTES, max, v);
}

airlock_err rd_bytes(rd *r, size_t n, const uint8_t **out)
{
    if (r->left < n)
        return AIRLOCK_ERR_TRUNCATED;
    *out = r->p;
    r->p += n;
    r->left -= n;
    return AIRLOCK_OK;
}

airlock_err rd_sub(rd *r, size_t n, rd *sub)
{
    const uint8_t *p;
    airlock_err err = rd_bytes(r, n, &p);

    if (err == AIRLOCK_OK) {
        sub->p = p;
        sub->left = n;
    }
    return err;
}

airlock_err rd_skip(rd *r, size_t n)
{
    const uint8_t *p;

    return rd_bytes(r, n, &p);
}

airlock_err rd_lbytes(rd *r, size_t max, const uint8_t **out, size_t *n)
{
    rd save = *r;
    uint64_t len;
    airlock_err err;

    if ((err = rd_uvarint(r, max, &len)) != AIRLOCK_OK)
        return err;
    if ((err = rd_bytes(r, (size_t)len, out)) != AIRLOCK_OK) {
        *r = save;
        return err;
    }
    *n = (size_t)len;
    return AIRLOCK_OK;
}

airlock_err rd_done(const rd *r)
{
    return r->left == 0 ? AIRLOCK_OK : AIRLOCK_ERR_MALFORMED;
}

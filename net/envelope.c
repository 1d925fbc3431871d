/*
 * envelope.c - envelope v1 codec. Everything a sender controls is read
 * through the bounded reader and checked against a named maximum; the
 * decoded struct only borrows from the input.
 */
#include "net/net.h"

#include <stdlib.h>
#include <string.h>

#include "base/base.h"

static airlock_err read_addr(rd *r, const char **s, size_t *n)
{
    const uint8_t *p;
    size_t len;
    airlock_err err;

    if ((err = rd_lbytes(r, NET_ADDR_MAX, &p, &len)) != AIRLOCK_OK)
        return err;
    if (len == 0 || !base_utf8_ident(p, len))
        return AIRLOCK_ERR_MALFORMED;
    *s = (const char *)p;
    *n = len;
    return AIRLOCK_OK;
}

airlock_err net_env_decode(const uint8_t *in, size_t n, net_env *out)
{
    rd r = rd_make(in, n);
    const uint8_t *p;
    uint8_t magic, version, flags;
    uint64_t count, len;
    size_t i, j;
    airlock_err err;

    memset(out, 0, sizeof *out);
    if (n > NET_ENV_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    if ((err = rd_u8(&r, &magic)) != AIRLOCK_OK ||
        (err = rd_u8(&r, &version)) != AIRLOCK_OK)
        return err;
    if (magic != NET_ENV_MAGIC || version != NET_ENV_VERSION)
        return AIRLOCK_ERR_MALFORMED;
    if ((err = read_addr(&r, &out->sender, &out->sender_n)) != AIRLOCK_OK ||
        (err = rd_u32be(&r, &out->sender_device)) != AIRLOCK_OK ||
        (err = read_addr(&r, &out->recipient, &out->recipient_n)) !=
            AIRLOCK_OK ||
        (err = rd_u64be(&r, &out->timestamp_ms)) != AIRLOCK_OK ||
        (err = rd_bytes(&r, sizeof out->id, &p)) != AIRLOCK_OK)
        return err;
    memcpy(out->id, p, sizeof out->id);
    if (out->sender_device == 0 || out->sender_device > NET_DEVICE_ID_MAX)
        return AIRLOCK_ERR_MALFORMED;
    if ((err = rd_uvarint(&r, NET_ENV_HEADERS_MAX, &count)) != AIRLOCK_OK)
        return err;
    if (count == 0)
        return AIRLOCK_ERR_MALFORMED;
    for (i = 0; i < count; i++) {
        net_env_header *h = &out->headers[i];

        if ((err = rd_u32be(&r, &h->device)) != AIRLOCK_OK ||
            (err = rd_u8(&r, &flags)) != AIRLOCK_OK)
            return err;
        if (h->device == 0 || h->device > NET_DEVICE_ID_MAX ||
            (flags & ~NET_ENV_FLAG_PREKEY) != 0)
            return AIRLOCK_ERR_MALFORMED;
        h->prekey = (flags & NET_ENV_FLAG_PREKEY) != 0;
        if ((err = rd_uvarint(&r, NET_ENV_KEYMSG_MAX, &len)) != AIRLOCK_OK)
            return err;
        if (len == 0)
            return AIRLOCK_ERR_MALFORMED;
        if ((err = rd_bytes(&r, (size_t)len, &h->keymsg)) != AIRLOCK_OK)
            return err;
        h->keymsg_n = (size_t)len;
        /* Device ids are unique; count is at most 64, so this is bounded. */
        for (j = 0; j < i; j++)
            if (out->headers[j].device == h->device)
                return AIRLOCK_ERR_MALFORMED;
    }
    out->header_count = (size_t)count;
    if ((err = rd_bytes(&r, NET_ENV_IV, &out->iv)) != AIRLOCK_OK)
        return err;
    if ((err = rd_uvarint(&r, NET_ENV_PAYLOAD_MAX, &len)) != AIRLOCK_OK)
        return err;
    if ((err = rd_bytes(&r, (size_t)len, &out->payload)) != AIRLOCK_OK)
        return err;
    out->payload_n = (size_t)len;
    return rd_done(&r);
}

airlock_err net_env_encode(const net_env *e, uint8_t **out, size_t *n)
{
    wr w;
    size_t i;
    uint8_t *buf = NULL;
    airlock_err err;

    *out = NULL;
    *n = 0;
    if (e->sender_n == 0 || e->sender_n > NET_ADDR_MAX ||
        e->recipient_n == 0 || e->recipient_n > NET_ADDR_MAX ||
        e->header_count == 0 || e->header_count > NET_ENV_HEADERS_MAX ||
        e->payload_n > NET_ENV_PAYLOAD_MAX)
        return AIRLOCK_ERR_ARG;
    wr_init(&w, NULL, NET_ENV_MAX);
    wr_u8(&w, NET_ENV_MAGIC);
    wr_u8(&w, NET_ENV_VERSION);
    wr_lbytes(&w, e->sender, e->sender_n);
    wr_u32be(&w, e->sender_device);
    wr_lbytes(&w, e->recipient, e->recipient_n);
    wr_u64be(&w, e->timestamp_ms);
    wr_bytes(&w, e->id, sizeof e->id);
    wr_uvarint(&w, e->header_count);
    for (i = 0; i < e->header_count; i++) {
        const net_env_header *h = &e->headers[i];

        if (h->keymsg_n == 0 || h->keymsg_n > NET_ENV_KEYMSG_MAX) {
            wr_clear(&w, false);
            return AIRLOCK_ERR_ARG;
        }
        wr_u32be(&w, h->device);
        wr_u8(&w, h->prekey ? NET_ENV_FLAG_PREKEY : 0);
        wr_lbytes(&w, h->keymsg, h->keymsg_n);
    }
    wr_bytes(&w, e->iv, NET_ENV_IV);
    wr_lbytes(&w, e->payload, e->payload_n);
    if ((err = wr_take(&w, &buf, n)) != AIRLOCK_OK) {
        wr_clear(&w, false);
        return err;
    }
    *out = buf;
    return AIRLOCK_OK;
}

const net_env_header *net_env_find(const net_env *e, uint32_t device)
{
    size_t i;

    for (i = 0; i < e->header_count; i++)
        if (e->headers[i].device == device)
            return &e->headers[i];
    return NULL;
}

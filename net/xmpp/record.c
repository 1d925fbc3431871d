/*
 * record.c - spool records (xmpp.h): what the XMPP transport hands the
 * engine besides envelope v1. The transport writes them, but the bytes sit
 * in a file on disk between transport and engine, so the decoder reads
 * them like any other untrusted input: bounded reader, named maxima,
 * everything validated before anything is returned.
 *
 *   record = magic:0xAC version:1 kind:u8
 *            sender_len:uvarint sender recipient_len:uvarint recipient
 *            timestamp_ms:u64be id:16
 *            PLAIN:     body_len:uvarint body          ; <= 65536
 *            OMEMO:     sender_device:u32be device:u32be flags:u8
 *                       keymsg_len:uvarint keymsg      ; 1..1024
 *                       iv_len:u8 iv                   ; 12 or 16
 *                       payload_len:uvarint payload    ; <= 262144
 *            EVENT:     sec_kind:u8 detail_len:uvarint detail ; <= 95
 *            SUBSCRIBE: nothing more
 */
#include "net/xmpp/xmpp.h"

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

static airlock_err read_omemo(rd *r, net_xrec *x)
{
    net_env_header *h = &x->env.headers[0];
    const uint8_t *p;
    uint8_t flags, ivn;
    uint64_t len;
    airlock_err err;

    if ((err = rd_u32be(r, &x->env.sender_device)) != AIRLOCK_OK ||
        (err = rd_u32be(r, &h->device)) != AIRLOCK_OK ||
        (err = rd_u8(r, &flags)) != AIRLOCK_OK)
        return err;
    if (x->env.sender_device == 0 ||
        x->env.sender_device > NET_DEVICE_ID_MAX || h->device == 0 ||
        h->device > NET_DEVICE_ID_MAX || (flags & ~NET_ENV_FLAG_PREKEY) != 0)
        return AIRLOCK_ERR_MALFORMED;
    h->prekey = (flags & NET_ENV_FLAG_PREKEY) != 0;
    if ((err = rd_uvarint(r, NET_ENV_KEYMSG_MAX, &len)) != AIRLOCK_OK)
        return err;
    if (len == 0)
        return AIRLOCK_ERR_MALFORMED;
    if ((err = rd_bytes(r, (size_t)len, &h->keymsg)) != AIRLOCK_OK)
        return err;
    h->keymsg_n = (size_t)len;
    x->env.header_count = 1;
    if ((err = rd_u8(r, &ivn)) != AIRLOCK_OK)
        return err;
    if (ivn != 12 && ivn != 16)
        return AIRLOCK_ERR_MALFORMED;
    if ((err = rd_bytes(r, ivn, &p)) != AIRLOCK_OK)
        return err;
    x->env.iv = p;
    x->iv_n = ivn;
    if ((err = rd_uvarint(r, NET_ENV_PAYLOAD_MAX, &len)) != AIRLOCK_OK ||
        (err = rd_bytes(r, (size_t)len, &x->env.payload)) != AIRLOCK_OK)
        return err;
    x->env.payload_n = (size_t)len;
    return AIRLOCK_OK;
}

airlock_err net_xrec_decode(const uint8_t *in, size_t n, net_xrec *out)
{
    rd r = rd_make(in, n);
    net_xrec x;
    const uint8_t *p;
    uint8_t magic, version, kind, sec;
    uint64_t len;
    airlock_err err;

    if (out == NULL)
        return AIRLOCK_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (in == NULL && n > 0)
        return AIRLOCK_ERR_ARG;
    if (n > NET_XREC_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    memset(&x, 0, sizeof x);
    if ((err = rd_u8(&r, &magic)) != AIRLOCK_OK ||
        (err = rd_u8(&r, &version)) != AIRLOCK_OK ||
        (err = rd_u8(&r, &kind)) != AIRLOCK_OK)
        return err;
    if (magic != NET_XREC_MAGIC || version != NET_XREC_VERSION ||
        kind < NET_XREC_PLAIN || kind > NET_XREC_SUBSCRIBE)
        return AIRLOCK_ERR_MALFORMED;
    x.kind = (net_xrec_kind)kind;
    if ((err = read_addr(&r, &x.env.sender, &x.env.sender_n)) !=
            AIRLOCK_OK ||
        (err = read_addr(&r, &x.env.recipient, &x.env.recipient_n)) !=
            AIRLOCK_OK ||
        (err = rd_u64be(&r, &x.env.timestamp_ms)) != AIRLOCK_OK ||
        (err = rd_bytes(&r, sizeof x.env.id, &p)) != AIRLOCK_OK)
        return err;
    memcpy(x.env.id, p, sizeof x.env.id);
    switch (x.kind) {
    case NET_XREC_PLAIN:
        if ((err = rd_uvarint(&r, NET_XREC_BODY_MAX, &len)) != AIRLOCK_OK ||
            (err = rd_bytes(&r, (size_t)len, &x.body)) != AIRLOCK_OK)
            return err;
        x.body_n = (size_t)len;
        break;
    case NET_XREC_OMEMO:
        if ((err = read_omemo(&r, &x)) != AIRLOCK_OK)
            return err;
        break;
    case NET_XREC_EVENT:
        if ((err = rd_u8(&r, &sec)) != AIRLOCK_OK)
            return err;
        if (sec < AIRLOCK_SEC_MALFORMED_ENVELOPE ||
            sec > AIRLOCK_SEC_UNENCRYPTED)
            return AIRLOCK_ERR_MALFORMED;
        x.sec = (airlock_sec_kind)sec;
        if ((err = rd_uvarint(&r, NET_XREC_DETAIL_MAX, &len)) != AIRLOCK_OK ||
            (err = rd_bytes(&r, (size_t)len, &p)) != AIRLOCK_OK)
            return err;
        if (!base_utf8_ident(p, (size_t)len) && len > 0)
            return AIRLOCK_ERR_MALFORMED;
        x.detail = (const char *)p;
        x.detail_n = (size_t)len;
        break;
    case NET_XREC_SUBSCRIBE:
        break;
    }
    if ((err = rd_done(&r)) != AIRLOCK_OK)
        return err;
    *out = x;
    return AIRLOCK_OK;
}

airlock_err net_xrec_encode(const net_xrec *x, uint8_t **out, size_t *n)
{
    const net_env *e;
    wr w;
    airlock_err err;

    if (out != NULL)
        *out = NULL;
    if (n != NULL)
        *n = 0;
    if (x == NULL || out == NULL || n == NULL)
        return AIRLOCK_ERR_ARG;
    e = &x->env;
    if (e->sender_n == 0 || e->sender_n > NET_ADDR_MAX ||
        e->recipient_n == 0 || e->recipient_n > NET_ADDR_MAX ||
        x->kind < NET_XREC_PLAIN || x->kind > NET_XREC_SUBSCRIBE)
        return AIRLOCK_ERR_ARG;
    if (x->kind == NET_XREC_PLAIN && x->body_n > NET_XREC_BODY_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    if (x->kind == NET_XREC_OMEMO &&
        (e->header_count != 1 || (x->iv_n != 12 && x->iv_n != 16) ||
         e->headers[0].keymsg_n == 0 ||
         e->headers[0].keymsg_n > NET_ENV_KEYMSG_MAX ||
         e->payload_n > NET_ENV_PAYLOAD_MAX))
        return AIRLOCK_ERR_ARG;
    if (x->kind == NET_XREC_EVENT && x->detail_n > NET_XREC_DETAIL_MAX)
        return AIRLOCK_ERR_ARG;
    wr_init(&w, NULL, NET_XREC_MAX);
    wr_u8(&w, NET_XREC_MAGIC);
    wr_u8(&w, NET_XREC_VERSION);
    wr_u8(&w, (uint8_t)x->kind);
    wr_lbytes(&w, e->sender, e->sender_n);
    wr_lbytes(&w, e->recipient, e->recipient_n);
    wr_u64be(&w, e->timestamp_ms);
    wr_bytes(&w, e->id, sizeof e->id);
    switch (x->kind) {
    case NET_XREC_PLAIN:
        wr_lbytes(&w, x->body, x->body_n);
        break;
    case NET_XREC_OMEMO:
        wr_u32be(&w, e->sender_device);
        wr_u32be(&w, e->headers[0].device);
        wr_u8(&w, e->headers[0].prekey ? NET_ENV_FLAG_PREKEY : 0);
        wr_lbytes(&w, e->headers[0].keymsg, e->headers[0].keymsg_n);
        wr_u8(&w, (uint8_t)x->iv_n);
        wr_bytes(&w, e->iv, x->iv_n);
        wr_lbytes(&w, e->payload, e->payload_n);
        break;
    case NET_XREC_EVENT:
        wr_u8(&w, (uint8_t)x->sec);
        wr_lbytes(&w, x->detail, x->detail_n);
        break;
    case NET_XREC_SUBSCRIBE:
        break;
    }
    if ((err = wr_take(&w, out, n)) != AIRLOCK_OK)
        wr_clear(&w, false);
    return err;
}

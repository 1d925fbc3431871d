/*
 * omemo.c - OMEMO stanza parsers and builders (omemo.h). The parsers walk
 * libstrophe's element tree with a bound on every loop and decode base64
 * into buffers of a fixed capacity; no pointer arithmetic on a length that
 * came from the wire, no re-serialisation of what others sent.
 */
#include "net/xmpp/omemo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strophe.h>

#include "base/base.h"

/* ------------------------------------------------------------------------ */
/* base64                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct b64d {
    uint8_t *out;
    size_t cap, n;
    uint32_t acc;                 /* bits of the current quad */
    unsigned q;                   /* sextets in the current quad */
    unsigned pad;                 /* '=' seen in the current quad */
    bool done;                    /* the padded final quad is complete */
    airlock_err err;
} b64d;

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static void b64_emit(b64d *d, uint8_t v)
{
    if (d->n >= d->cap) {
        d->err = AIRLOCK_ERR_TOO_LARGE;
        return;
    }
    d->out[d->n++] = v;
}

/* The partial quad (2 or 3 sextets) at the end: 1 or 2 bytes, with the
 * unused low bits zero (the canonical encoding). */
static void b64_tail(b64d *d)
{
    if (d->q == 2) {
        if ((d->acc & 0x0f) != 0) {
            d->err = AIRLOCK_ERR_MALFORMED;
            return;
        }
        b64_emit(d, (uint8_t)(d->acc >> 4));
    } else if (d->q == 3) {
        if ((d->acc & 0x03) != 0) {
            d->err = AIRLOCK_ERR_MALFORMED;
            return;
        }
        b64_emit(d, (uint8_t)(d->acc >> 10));
        if (d->err == AIRLOCK_OK)
            b64_emit(d, (uint8_t)(d->acc >> 2));
    } else if (d->q != 0) {
        d->err = AIRLOCK_ERR_MALFORMED;
    }
    d->q = 0;
    d->acc = 0;
}

static void b64_feed(b64d *d, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n && d->err == AIRLOCK_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        int v;

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            if (d->done || d->q < 2 || d->q + d->pad >= 4) {
                d->err = AIRLOCK_ERR_MALFORMED;
                break;
            }
            d->pad++;
            if (d->q + d->pad == 4) {
                b64_tail(d);
                d->done = true;
            }
            continue;
        }
        if (d->done || d->pad > 0 || (v = b64_value(c)) < 0) {
            d->err = AIRLOCK_ERR_MALFORMED;
            break;
        }
        d->acc = d->acc << 6 | (uint32_t)v;
        if (++d->q == 4) {
            b64_emit(d, (uint8_t)(d->acc >> 16));
            if (d->err == AIRLOCK_OK)
                b64_emit(d, (uint8_t)(d->acc >> 8));
            if (d->err == AIRLOCK_OK)
                b64_emit(d, (uint8_t)d->acc);
            d->q = 0;
            d->acc = 0;
        }
    }
}

static airlock_err b64_finish(b64d *d)
{
    if (d->err != AIRLOCK_OK)
        return d->err;
    if (d->pad > 0 && !d->done)
        return AIRLOCK_ERR_MALFORMED;      /* "xx=" without the second '=' */
    if (!d->done)
        b64_tail(d);                       /* unpadded ending */
    return d->err;
}

static void b64_init(b64d *d, uint8_t *out, size_t cap)
{
    memset(d, 0, sizeof *d);
    d->out = out;
    d->cap = cap;
}

airlock_err net_b64_decode(const char *s, size_t n, uint8_t *out, size_t cap,
                           size_t *out_n)
{
    b64d d;
    airlock_err err;

    if (out_n != NULL)
        *out_n = 0;
    if ((s == NULL && n > 0) || (out == NULL && cap > 0) || out_n == NULL)
        return AIRLOCK_ERR_ARG;
    b64_init(&d, out, cap);
    b64_feed(&d, s, n);
    if ((err = b64_finish(&d)) != AIRLOCK_OK)
        return err;
    *out_n = d.n;
    return AIRLOCK_OK;
}

airlock_err net_b64_encode(const uint8_t *in, size_t n, char **out)
{
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *s;
    size_t i, o = 0;

    if (out == NULL)
        return AIRLOCK_ERR_ARG;
    *out = NULL;
    if ((in == NULL && n > 0) || n > (SIZE_MAX / 4) - 4)
        return AIRLOCK_ERR_ARG;
    if ((s = malloc((n + 2) / 3 * 4 + 1)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    for (i = 0; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
                     in[i + 2];

        s[o++] = tbl[v >> 18 & 63];
        s[o++] = tbl[v >> 12 & 63];
        s[o++] = tbl[v >> 6 & 63];
        s[o++] = tbl[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;

        s[o++] = tbl[v >> 18 & 63];
        s[o++] = tbl[v >> 12 & 63];
        s[o++] = '=';
        s[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

        s[o++] = tbl[v >> 18 & 63];
        s[o++] = tbl[v >> 12 & 63];
        s[o++] = tbl[v >> 6 & 63];
        s[o++] = '=';
    }
    s[o] = '\0';
    *out = s;
    return AIRLOCK_OK;
}

airlock_err net_dec_u32(const char *s, uint32_t max, uint32_t *v)
{
    uint64_t x = 0;
    size_t i;

    if (v == NULL)
        return AIRLOCK_ERR_ARG;
    *v = 0;
    if (s == NULL || s[0] == '\0')
        return AIRLOCK_ERR_MALFORMED;
    if (s[0] == '0' && s[1] != '\0')
        return AIRLOCK_ERR_MALFORMED;
    for (i = 0; s[i] != '\0'; i++) {
        if (i >= 10 || s[i] < '0' || s[i] > '9')
            return AIRLOCK_ERR_MALFORMED;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    if (x > max)
        return AIRLOCK_ERR_MALFORMED;
    *v = (uint32_t)x;
    return AIRLOCK_OK;
}

/* ------------------------------------------------------------------------ */
/* walking the tree                                                          */
/* ------------------------------------------------------------------------ */

static bool is_elem(xmpp_stanza_t *st, const char *name, const char *ns)
{
    const char *n, *s;

    if (st == NULL || !xmpp_stanza_is_tag(st))
        return false;
    n = xmpp_stanza_get_name(st);
    if (n == NULL || strcmp(n, name) != 0)
        return false;
    if (ns == NULL)
        return true;
    s = xmpp_stanza_get_ns(st);
    return s != NULL && strcmp(s, ns) == 0;
}

xmpp_stanza_t *net_xml_child(xmpp_stanza_t *st, const char *name,
                             const char *ns)
{
    xmpp_stanza_t *c;
    size_t seen = 0;

    if (st == NULL || name == NULL)
        return NULL;
    for (c = xmpp_stanza_get_children(st);
         c != NULL && seen < NET_OMEMO_CHILDREN_MAX;
         c = xmpp_stanza_get_next(c), seen++)
        if (is_elem(c, name, ns))
            return c;
    return NULL;
}

/* An attribute value no longer than NET_OMEMO_ATTR_MAX, or NULL. */
static const char *short_attr(xmpp_stanza_t *st, const char *name,
                              bool *too_long)
{
    const char *v = xmpp_stanza_get_attribute(st, name);

    *too_long = false;
    if (v != NULL && strnlen(v, NET_OMEMO_ATTR_MAX + 1) > NET_OMEMO_ATTR_MAX) {
        *too_long = true;
        return NULL;
    }
    return v;
}

static airlock_err attr_u32(xmpp_stanza_t *st, const char *name,
                            uint32_t min, uint32_t max, uint32_t *v)
{
    bool too_long;
    const char *s = short_attr(st, name, &too_long);
    airlock_err err;

    *v = 0;
    if (s == NULL)
        return AIRLOCK_ERR_MALFORMED;
    if ((err = net_dec_u32(s, max, v)) != AIRLOCK_OK)
        return err;
    return *v < min ? AIRLOCK_ERR_MALFORMED : AIRLOCK_OK;
}

/* Base64 text content of `el` (text children only, no elements inside)
 * into out[cap]. The raw text may be at most twice what the encoding
 * needs plus a little, which leaves room for line breaks. */
static airlock_err elem_b64(xmpp_stanza_t *el, uint8_t *out, size_t cap,
                            size_t *n)
{
    size_t raw_max = (cap + 2) / 3 * 4 * 2 + 64, raw = 0, seen = 0;
    xmpp_stanza_t *c;
    b64d d;
    airlock_err err;

    *n = 0;
    b64_init(&d, out, cap);
    for (c = xmpp_stanza_get_children(el); c != NULL;
         c = xmpp_stanza_get_next(c)) {
        const char *t;
        size_t tn;

        if (++seen > NET_OMEMO_CHILDREN_MAX)
            return AIRLOCK_ERR_TOO_LARGE;
        if (!xmpp_stanza_is_text(c))
            return AIRLOCK_ERR_MALFORMED;
        if ((t = xmpp_stanza_get_text_ptr(c)) == NULL)
            continue;
        tn = strnlen(t, raw_max - raw + 1);
        if (tn > raw_max - raw)
            return AIRLOCK_ERR_TOO_LARGE;
        raw += tn;
        b64_feed(&d, t, tn);
        if (d.err != AIRLOCK_OK)
            return d.err;
    }
    if ((err = b64_finish(&d)) != AIRLOCK_OK)
        return err;
    *n = d.n;
    return AIRLOCK_OK;
}

/* ------------------------------------------------------------------------ */
/* messages                                                                  */
/* ------------------------------------------------------------------------ */

xmpp_stanza_t *net_omemo_find_encrypted(xmpp_stanza_t *message)
{
    return net_xml_child(message, "encrypted", NET_OMEMO_NS);
}

void net_omemo_msg_clear(net_omemo_msg *m)
{
    if (m == NULL)
        return;
    if (m->buf != NULL) {
        base_wipe(m->buf, NET_OMEMO_KEYS_MAX * NET_OMEMO_KEY_MAX +
                          NET_OMEMO_PAYLOAD_MAX);
        free(m->buf);
    }
    base_wipe(m, sizeof *m);
}

const net_omemo_key *net_omemo_msg_key(const net_omemo_msg *m, uint32_t rid)
{
    size_t i;

    if (m == NULL)
        return NULL;
    for (i = 0; i < m->key_count; i++)
        if (m->keys[i].rid == rid)
            return &m->keys[i];
    return NULL;
}

static airlock_err parse_prekey_attr(xmpp_stanza_t *key, bool *prekey)
{
    bool too_long;
    const char *v = short_attr(key, "prekey", &too_long);

    *prekey = false;
    if (too_long)
        return AIRLOCK_ERR_MALFORMED;
    if (v == NULL || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        return AIRLOCK_OK;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *prekey = true;
        return AIRLOCK_OK;
    }
    return AIRLOCK_ERR_MALFORMED;
}

/* Offsets into m->buf while it is being filled; pointers are set at the
 * end. The buffer has a fixed size: every key at its maximum plus the
 * payload at its maximum. */
static airlock_err parse_header(xmpp_stanza_t *header, net_omemo_msg *m,
                                size_t *used, size_t *key_off)
{
    xmpp_stanza_t *c;
    size_t seen = 0, i, n;
    bool have_iv = false;
    airlock_err err;

    if ((err = attr_u32(header, "sid", 1, NET_OMEMO_ID_MAX, &m->sid)) !=
        AIRLOCK_OK)
        return err;
    for (c = xmpp_stanza_get_children(header); c != NULL;
         c = xmpp_stanza_get_next(c)) {
        if (++seen > NET_OMEMO_CHILDREN_MAX)
            return AIRLOCK_ERR_TOO_LARGE;
        if (!xmpp_stanza_is_tag(c))
            continue;                 /* whitespace between elements */
        if (is_elem(c, "key", NET_OMEMO_NS)) {
            net_omemo_key *k;

            if (m->key_count == NET_OMEMO_KEYS_MAX)
                return AIRLOCK_ERR_TOO_LARGE;
            k = &m->keys[m->key_count];
            if ((err = attr_u32(c, "rid", 1, NET_OMEMO_ID_MAX, &k->rid)) !=
                    AIRLOCK_OK ||
                (err = parse_prekey_attr(c, &k->prekey)) != AIRLOCK_OK)
                return err;
            /* m->key_count is at most 64: the duplicate check is bounded */
            for (i = 0; i < m->key_count; i++)
                if (m->keys[i].rid == k->rid)
                    return AIRLOCK_ERR_MALFORMED;
            if ((err = elem_b64(c, m->buf + *used, NET_OMEMO_KEY_MAX, &n)) !=
                AIRLOCK_OK)
                return err;
            if (n == 0)
                return AIRLOCK_ERR_MALFORMED;
            key_off[m->key_count] = *used;
            k->msg_n = n;
            *used += n;
            m->key_count++;
        } else if (is_elem(c, "iv", NET_OMEMO_NS)) {
            if (have_iv)
                return AIRLOCK_ERR_MALFORMED;
            if ((err = elem_b64(c, m->iv, sizeof m->iv, &m->iv_n)) !=
                AIRLOCK_OK)
                return err == AIRLOCK_ERR_TOO_LARGE ? AIRLOCK_ERR_MALFORMED :
                                                      err;
            if (m->iv_n != 12 && m->iv_n != 16)
                return AIRLOCK_ERR_MALFORMED;
            have_iv = true;
        }
        /* other elements in the header are not ours to read */
    }
    if (!have_iv || m->key_count == 0)
        return AIRLOCK_ERR_MALFORMED;
    return AIRLOCK_OK;
}

airlock_err net_omemo_msg_parse(xmpp_stanza_t *encrypted, net_omemo_msg *m)
{
    size_t key_off[NET_OMEMO_KEYS_MAX];
    size_t used = 0, seen = 0, i, pay_off = 0;
    xmpp_stanza_t *c, *header = NULL, *payload = NULL;
    airlock_err err;

    if (m == NULL)
        return AIRLOCK_ERR_ARG;
    memset(m, 0, sizeof *m);
    if (encrypted == NULL)
        return AIRLOCK_ERR_ARG;
    if (!is_elem(encrypted, "encrypted", NET_OMEMO_NS))
        return AIRLOCK_ERR_MALFORMED;
    for (c = xmpp_stanza_get_children(encrypted); c != NULL;
         c = xmpp_stanza_get_next(c)) {
        if (++seen > NET_OMEMO_CHILDREN_MAX)
            return AIRLOCK_ERR_TOO_LARGE;
        if (is_elem(c, "header", NET_OMEMO_NS)) {
            if (header != NULL)
                return AIRLOCK_ERR_MALFORMED;
            header = c;
        } else if (is_elem(c, "payload", NET_OMEMO_NS)) {
            if (payload != NULL)
                return AIRLOCK_ERR_MALFORMED;
            payload = c;
        }
    }
    if (header == NULL)
        return AIRLOCK_ERR_MALFORMED;
    m->buf = malloc(NET_OMEMO_KEYS_MAX * NET_OMEMO_KEY_MAX +
                    NET_OMEMO_PAYLOAD_MAX);
    if (m->buf == NULL)
        return AIRLOCK_ERR_NOMEM;
    if ((err = parse_header(header, m, &used, key_off)) != AIRLOCK_OK)
        goto fail;
    if (payload != NULL) {
        pay_off = used;
        if ((err = elem_b64(payload, m->buf + used, NET_OMEMO_PAYLOAD_MAX,
                            &m->payload_n)) != AIRLOCK_OK)
            goto fail;
        m->has_payload = true;
    }
    for (i = 0; i < m->key_count; i++)
        m->keys[i].msg = m->buf + key_off[i];
    m->payload = m->payload_n > 0 ? m->buf + pay_off : NULL;
    return AIRLOCK_OK;
fail:
    net_omemo_msg_clear(m);
    return err;
}

/* ------------------------------------------------------------------------ */
/* bundles and device lists                                                  */
/* ------------------------------------------------------------------------ */

/* A public key: 33 bytes with the 0x05 type, or a bare 32-byte key. */
static airlock_err elem_pub(xmpp_stanza_t *el, uint8_t out[NET_OMEMO_PUB])
{
    uint8_t buf[NET_OMEMO_PUB];
    size_t n = 0;
    airlock_err err;

    if ((err = elem_b64(el, buf, sizeof buf, &n)) != AIRLOCK_OK)
        return err == AIRLOCK_ERR_TOO_LARGE ? AIRLOCK_ERR_MALFORMED : err;
    if (n == NET_OMEMO_PUB && buf[0] == 0x05) {
        memcpy(out, buf, NET_OMEMO_PUB);
        return AIRLOCK_OK;
    }
    if (n == NET_OMEMO_PUB - 1) {
        out[0] = 0x05;
        memcpy(out + 1, buf, NET_OMEMO_PUB - 1);
        return AIRLOCK_OK;
    }
    return AIRLOCK_ERR_MALFORMED;
}

static airlock_err parse_prekeys(xmpp_stanza_t *prekeys, net_omemo_bundle *b)
{
    xmpp_stanza_t *c;
    size_t seen = 0;
    airlock_err err;

    for (c = xmpp_stanza_get_children(prekeys); c != NULL;
         c = xmpp_stanza_get_next(c)) {
        if (++seen > NET_OMEMO_CHILDREN_MAX)
            return AIRLOCK_ERR_TOO_LARGE;
        if (!is_elem(c, "preKeyPublic", NET_OMEMO_NS))
            continue;
        if (b->prekey_count == NET_OMEMO_PREKEYS_MAX)
            return AIRLOCK_ERR_TOO_LARGE;
        if ((err = attr_u32(c, "preKeyId", 1, NET_OMEMO_ID_MAX,
                            &b->prekey_id[b->prekey_count])) != AIRLOCK_OK ||
            (err = elem_pub(c, b->prekey[b->prekey_count])) != AIRLOCK_OK)
            return err;
        b->prekey_count++;
    }
    return AIRLOCK_OK;
}

airlock_err net_omemo_bundle_parse(xmpp_stanza_t *bundle,
                                   net_omemo_bundle *b)
{
    xmpp_stanza_t *c, *spk = NULL, *sig = NULL, *ik = NULL, *pks = NULL;
    net_omemo_bundle *tmp = NULL;
    size_t seen = 0, n = 0;
    airlock_err err;

    if (b == NULL)
        return AIRLOCK_ERR_ARG;
    memset(b, 0, sizeof *b);
    if (bundle == NULL)
        return AIRLOCK_ERR_ARG;
    if (!is_elem(bundle, "bundle", NET_OMEMO_NS))
        return AIRLOCK_ERR_MALFORMED;
    for (c = xmpp_stanza_get_children(bundle); c != NULL;
         c = xmpp_stanza_get_next(c)) {
        xmpp_stanza_t **slot = NULL;

        if (++seen > NET_OMEMO_CHILDREN_MAX)
            return AIRLOCK_ERR_TOO_LARGE;
        if (is_elem(c, "signedPreKeyPublic", NET_OMEMO_NS))
            slot = &spk;
        else if (is_elem(c, "signedPreKeySignature", NET_OMEMO_NS))
            slot = &sig;
        else if (is_elem(c, "identityKey", NET_OMEMO_NS))
            slot = &ik;
        else if (is_elem(c, "prekeys", NET_OMEMO_NS))
            slot = &pks;
        if (slot == NULL)
            continue;
        if (*slot != NULL)
            return AIRLOCK_ERR_MALFORMED;
        *slot = c;
    }
    if (spk == NULL || sig == NULL || ik == NULL || pks == NULL)
        return AIRLOCK_ERR_MALFORMED;
    /* Parse into a scratch copy; *b changes only when all of it is valid. */
    if ((tmp = calloc(1, sizeof *tmp)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    if ((err = attr_u32(spk, "signedPreKeyId", 1, NET_OMEMO_ID_MAX,
                        &tmp->spk_id)) != AIRLOCK_OK ||
        (err = elem_pub(spk, tmp->spk)) != AIRLOCK_OK ||
        (err = elem_pub(ik, tmp->ik)) != AIRLOCK_OK)
        goto out;
    if ((err = elem_b64(sig, tmp->sig, sizeof tmp->sig, &n)) != AIRLOCK_OK) {
        if (err == AIRLOCK_ERR_TOO_LARGE)
            err = AIRLOCK_ERR_MALFORMED;
        goto out;
    }
    if (n != NET_OMEMO_SIG) {
        err = AIRLOCK_ERR_MALFORMED;
        goto out;
    }
    if ((err = parse_prekeys(pks, tmp)) != AIRLOCK_OK)
        goto out;
    memcpy(b, tmp, sizeof *b);
out:
    free(tmp);
    return err;
}

airlock_err net_omemo_bundle_to_local(const net_omemo_bundle *b,
                                      uint32_t dev, uint8_t **out, size_t *n)
{
    wr w;
    airlock_err err;

    if (out != NULL)
        *out = NULL;
    if (n != NULL)
        *n = 0;
    if (b == NULL || out == NULL || n == NULL || dev == 0 ||
        dev > NET_OMEMO_ID_MAX)
        return AIRLOCK_ERR_ARG;
    wr_init(&w, NULL, NET_OMEMO_LOCAL_BUNDLE_LEN);
    wr_u8(&w, 1);                         /* local bundle version 1 */
    wr_u32be(&w, dev);                    /* stands in for the reg. id */
    wr_u32be(&w, dev);
    wr_bytes(&w, b->ik, NET_OMEMO_PUB);
    wr_u32be(&w, b->spk_id);
    wr_bytes(&w, b->spk, NET_OMEMO_PUB);
    wr_bytes(&w, b->sig, NET_OMEMO_SIG);
    if ((err = wr_take(&w, out, n)) != AIRLOCK_OK)
        wr_clear(&w, false);
    return err;
}

airlock_err net_omemo_local_parse(const uint8_t *in, size_t n,
                                  net_omemo_local *out)
{
    rd r = rd_make(in, n);
    net_omemo_local l;
    const uint8_t *p;
    uint8_t version;
    uint32_t reg;
    airlock_err err;

    if (out == NULL)
        return AIRLOCK_ERR_ARG;
    memset(out, 0, sizeof *out);
    memset(&l, 0, sizeof l);
    if ((err = rd_u8(&r, &version)) != AIRLOCK_OK)
        return err;
    if (version != 1)
        return AIRLOCK_ERR_UNSUPPORTED;
    if ((err = rd_u32be(&r, &reg)) != AIRLOCK_OK ||
        (err = rd_u32be(&r, &l.device_id)) != AIRLOCK_OK ||
        (err = rd_bytes(&r, NET_OMEMO_PUB, &p)) != AIRLOCK_OK)
        return err;
    memcpy(l.ik, p, NET_OMEMO_PUB);
    if ((err = rd_u32be(&r, &l.spk_id)) != AIRLOCK_OK ||
        (err = rd_bytes(&r, NET_OMEMO_PUB, &p)) != AIRLOCK_OK)
        return err;
    memcpy(l.spk, p, NET_OMEMO_PUB);
    if ((err = rd_bytes(&r, NET_OMEMO_SIG, &p)) != AIRLOCK_OK)
        return err;
    memcpy(l.sig, p, NET_OMEMO_SIG);
    if ((err = rd_done(&r)) != AIRLOCK_OK)
        return err;
    if (l.device_id == 0 || l.device_id > NET_OMEMO_ID_MAX || l.spk_id == 0)
        return AIRLOCK_ERR_MALFORMED;
    *out = l;
    return AIRLOCK_OK;
}

airlock_err net_omemo_devicelist_parse(xmpp_stanza_t *list, uint32_t *ids,
                                       size_t *n)
{
    uint32_t tmp[NET_OMEMO_DEVICES_MAX];
    xmpp_stanza_t *c;
    size_t seen = 0, count = 0, i;
    airlock_err err;

    if (n != NULL)
        *n = 0;
    if (list == NULL || ids == NULL || n == NULL)
        return AIRLOCK_ERR_ARG;
    if (!is_elem(list, "list", NET_OMEMO_NS))
        return AIRLOCK_ERR_MALFORMED;
    for (c = xmpp_stanza_get_children(list); c != NULL;
         c = xmpp_stanza_get_next(c)) {
        uint32_t id;
        bool dup = false;

        if (++seen > NET_OMEMO_CHILDREN_MAX)
            return AIRLOCK_ERR_TOO_LARGE;
        if (!is_elem(c, "device", NET_OMEMO_NS))
            continue;
        if ((err = attr_u32(c, "id", 1, NET_OMEMO_ID_MAX, &id)) !=
            AIRLOCK_OK)
            return err;
        for (i = 0; i < count; i++)
            dup = dup || tmp[i] == id;
        if (dup)
            continue;
        if (count == NET_OMEMO_DEVICES_MAX)
            return AIRLOCK_ERR_TOO_LARGE;
        tmp[count++] = id;
    }
    memcpy(ids, tmp, count * sizeof *ids);
    *n = count;
    return AIRLOCK_OK;
}

xmpp_stanza_t *net_omemo_find_item(xmpp_stanza_t *stanza, const char *node,
                                   const char *name, const char **item_id,
                                   const char **publisher)
{
    xmpp_stanza_t *wrap, *items, *item = NULL, *c;
    const char *nd;
    size_t seen = 0;

    if (item_id != NULL)
        *item_id = NULL;
    if (publisher != NULL)
        *publisher = NULL;
    if (stanza == NULL || node == NULL || name == NULL)
        return NULL;
    if ((wrap = net_xml_child(stanza, "pubsub", NET_NS_PUBSUB)) != NULL)
        items = net_xml_child(wrap, "items", NET_NS_PUBSUB);
    else if ((wrap = net_xml_child(stanza, "event", NET_NS_PUBSUB_EVENT)) !=
             NULL)
        items = net_xml_child(wrap, "items", NET_NS_PUBSUB_EVENT);
    else
        return NULL;
    if (items == NULL || (nd = xmpp_stanza_get_attribute(items, "node")) ==
        NULL || strcmp(nd, node) != 0)
        return NULL;
    /* Exactly one <item>: a second one is not a shape we read. */
    for (c = xmpp_stanza_get_children(items); c != NULL;
         c = xmpp_stanza_get_next(c)) {
        if (++seen > NET_OMEMO_CHILDREN_MAX)
            return NULL;
        if (is_elem(c, "item", NULL)) {
            if (item != NULL)
                return NULL;
            item = c;
        }
    }
    if (item == NULL)
        return NULL;
    if (item_id != NULL)
        *item_id = xmpp_stanza_get_attribute(item, "id");
    if (publisher != NULL)
        *publisher = xmpp_stanza_get_attribute(item, "publisher");
    return net_xml_child(item, name, NET_OMEMO_NS);
}

/* ------------------------------------------------------------------------ */
/* builders                                                                  */
/* ------------------------------------------------------------------------ */

/* A new element with a name and optional namespace; NULL on NOMEM. */
static xmpp_stanza_t *new_elem(xmpp_ctx_t *ctx, const char *name,
                               const char *ns)
{
    xmpp_stanza_t *st = xmpp_stanza_new(ctx);

    if (st == NULL)
        return NULL;
    if (xmpp_stanza_set_name(st, name) != XMPP_EOK ||
        (ns != NULL && xmpp_stanza_set_ns(st, ns) != XMPP_EOK)) {
        xmpp_stanza_release(st);
        return NULL;
    }
    return st;
}

/* Append `child` to `parent` (the parent takes the reference). */
static airlock_err adopt(xmpp_stanza_t *parent, xmpp_stanza_t *child)
{
    if (child == NULL)
        return AIRLOCK_ERR_NOMEM;
    if (xmpp_stanza_add_child_ex(parent, child, 0) != XMPP_EOK) {
        xmpp_stanza_release(child);
        return AIRLOCK_ERR_NOMEM;
    }
    return AIRLOCK_OK;
}

/* <name>text</name> appended to parent. */
static airlock_err add_text_elem(xmpp_ctx_t *ctx, xmpp_stanza_t *parent,
                                 const char *name, const char *ns,
                                 const char *text, xmpp_stanza_t **made)
{
    xmpp_stanza_t *el = new_elem(ctx, name, ns), *t = NULL;
    airlock_err err;

    if (made != NULL)
        *made = NULL;
    if (el == NULL)
        return AIRLOCK_ERR_NOMEM;
    if (text != NULL && text[0] != '\0') {
        if ((t = xmpp_stanza_new(ctx)) == NULL ||
            xmpp_stanza_set_text(t, text) != XMPP_EOK) {
            if (t != NULL)
                xmpp_stanza_release(t);
            xmpp_stanza_release(el);
            return AIRLOCK_ERR_NOMEM;
        }
        if ((err = adopt(el, t)) != AIRLOCK_OK) {
            xmpp_stanza_release(el);
            return err;
        }
    }
    if ((err = adopt(parent, el)) != AIRLOCK_OK)
        return err;
    if (made != NULL)
        *made = el;
    return AIRLOCK_OK;
}

static airlock_err add_b64_elem(xmpp_ctx_t *ctx, xmpp_stanza_t *parent,
                                const char *name, const uint8_t *b, size_t n,
                                xmpp_stanza_t **made)
{
    char *s = NULL;
    airlock_err err;

    if ((err = net_b64_encode(b, n, &s)) != AIRLOCK_OK)
        return err;
    err = add_text_elem(ctx, parent, name, NULL, s, made);
    free(s);
    return err;
}

static airlock_err set_u32_attr(xmpp_stanza_t *st, const char *name,
                                uint32_t v)
{
    char buf[16];
    int k = snprintf(buf, sizeof buf, "%u", v);

    if (k <= 0 || (size_t)k >= sizeof buf)
        return AIRLOCK_ERR_ARG;
    return xmpp_stanza_set_attribute(st, name, buf) == XMPP_EOK ?
           AIRLOCK_OK : AIRLOCK_ERR_NOMEM;
}

airlock_err net_omemo_build_message(xmpp_ctx_t *ctx, const net_env *e,
                                    const char *to, const char *id,
                                    xmpp_stanza_t **out)
{
    xmpp_stanza_t *msg = NULL, *enc = NULL, *hdr = NULL, *key = NULL;
    xmpp_stanza_t *hints = NULL;
    size_t i;
    airlock_err err = AIRLOCK_ERR_NOMEM;

    if (out != NULL)
        *out = NULL;
    if (ctx == NULL || e == NULL || to == NULL || id == NULL || out == NULL ||
        e->header_count == 0 || e->header_count > NET_ENV_HEADERS_MAX ||
        e->payload_n > NET_OMEMO_PAYLOAD_MAX)
        return AIRLOCK_ERR_ARG;
    if ((msg = xmpp_message_new(ctx, "chat", to, id)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    if ((enc = new_elem(ctx, "encrypted", NET_OMEMO_NS)) == NULL ||
        (err = adopt(msg, enc)) != AIRLOCK_OK)
        goto fail;
    err = AIRLOCK_ERR_NOMEM;
    if ((hdr = new_elem(ctx, "header", NULL)) == NULL ||
        (err = set_u32_attr(hdr, "sid", e->sender_device)) != AIRLOCK_OK) {
        if (hdr != NULL)
            xmpp_stanza_release(hdr);
        goto fail;
    }
    if ((err = adopt(enc, hdr)) != AIRLOCK_OK)
        goto fail;
    for (i = 0; i < e->header_count; i++) {
        const net_env_header *h = &e->headers[i];

        if ((err = add_b64_elem(ctx, hdr, "key", h->keymsg, h->keymsg_n,
                                &key)) != AIRLOCK_OK ||
            (err = set_u32_attr(key, "rid", h->device)) != AIRLOCK_OK)
            goto fail;
        if (h->prekey && xmpp_stanza_set_attribute(key, "prekey", "true") !=
            XMPP_EOK) {
            err = AIRLOCK_ERR_NOMEM;
            goto fail;
        }
    }
    if ((err = add_b64_elem(ctx, hdr, "iv", e->iv, NET_ENV_IV, NULL)) !=
            AIRLOCK_OK ||
        (err = add_b64_elem(ctx, enc, "payload", e->payload, e->payload_n,
                            NULL)) != AIRLOCK_OK)
        goto fail;
    if ((err = add_text_elem(ctx, msg, "body", NULL, NET_OMEMO_FALLBACK,
                             NULL)) != AIRLOCK_OK)
        goto fail;
    if ((hints = new_elem(ctx, "store", "urn:xmpp:hints")) == NULL ||
        (err = adopt(msg, hints)) != AIRLOCK_OK) {
        err = AIRLOCK_ERR_NOMEM;
        goto fail;
    }
    *out = msg;
    return AIRLOCK_OK;
fail:
    xmpp_stanza_release(msg);
    return err;
}

airlock_err net_omemo_build_devicelist(xmpp_ctx_t *ctx, const uint32_t *ids,
                                       size_t n, xmpp_stanza_t **out)
{
    xmpp_stanza_t *list = NULL, *dev;
    size_t i;
    airlock_err err;

    if (out != NULL)
        *out = NULL;
    if (ctx == NULL || out == NULL || (ids == NULL && n > 0) ||
        n > NET_OMEMO_DEVICES_MAX)
        return AIRLOCK_ERR_ARG;
    if ((list = new_elem(ctx, "list", NET_OMEMO_NS)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        if ((dev = new_elem(ctx, "device", NULL)) == NULL) {
            err = AIRLOCK_ERR_NOMEM;
            goto fail;
        }
        if ((err = set_u32_attr(dev, "id", ids[i])) != AIRLOCK_OK) {
            xmpp_stanza_release(dev);
            goto fail;
        }
        if ((err = adopt(list, dev)) != AIRLOCK_OK)
            goto fail;
    }
    *out = list;
    return AIRLOCK_OK;
fail:
    xmpp_stanza_release(list);
    return err;
}

airlock_err net_omemo_build_bundle(xmpp_ctx_t *ctx, const net_omemo_local *l,
                                   const uint32_t *ids, const uint8_t *pubs,
                                   size_t count, xmpp_stanza_t **out)
{
    xmpp_stanza_t *b = NULL, *el = NULL, *pks = NULL;
    size_t i;
    airlock_err err;

    if (out != NULL)
        *out = NULL;
    if (ctx == NULL || l == NULL || out == NULL ||
        ((ids == NULL || pubs == NULL) && count > 0) ||
        count > NET_OMEMO_PREKEYS_MAX)
        return AIRLOCK_ERR_ARG;
    if ((b = new_elem(ctx, "bundle", NET_OMEMO_NS)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    if ((err = add_b64_elem(ctx, b, "signedPreKeyPublic", l->spk,
                            NET_OMEMO_PUB, &el)) != AIRLOCK_OK ||
        (err = set_u32_attr(el, "signedPreKeyId", l->spk_id)) != AIRLOCK_OK ||
        (err = add_b64_elem(ctx, b, "signedPreKeySignature", l->sig,
                            NET_OMEMO_SIG, NULL)) != AIRLOCK_OK ||
        (err = add_b64_elem(ctx, b, "identityKey", l->ik, NET_OMEMO_PUB,
                            NULL)) != AIRLOCK_OK ||
        (err = add_text_elem(ctx, b, "prekeys", NULL, NULL, &pks)) !=
            AIRLOCK_OK)
        goto fail;
    for (i = 0; i < count; i++)
        if ((err = add_b64_elem(ctx, pks, "preKeyPublic",
                                pubs + i * NET_OMEMO_PUB, NET_OMEMO_PUB,
                                &el)) != AIRLOCK_OK ||
            (err = set_u32_attr(el, "preKeyId", ids[i])) != AIRLOCK_OK)
            goto fail;
    *out = b;
    return AIRLOCK_OK;
fail:
    xmpp_stanza_release(b);
    return err;
}

/* ------------------------------------------------------------------------ */
/* XML text to a tree                                                        */
/* ------------------------------------------------------------------------ */

struct net_xml {
    xmpp_ctx_t *ctx;
    xmpp_stanza_t *root;
};

airlock_err net_xml_parse(const char *s, size_t n, net_xml **out)
{
    net_xml *x = NULL;
    char *copy = NULL;
    airlock_err err = AIRLOCK_ERR_NOMEM;

    if (out == NULL)
        return AIRLOCK_ERR_ARG;
    *out = NULL;
    if (s == NULL && n > 0)
        return AIRLOCK_ERR_ARG;
    if (n > NET_XML_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    if (memchr(s, '\0', n) != NULL)
        return AIRLOCK_ERR_MALFORMED;
    if ((copy = malloc(n + 1)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    memcpy(copy, s, n);
    copy[n] = '\0';
    if ((x = calloc(1, sizeof *x)) == NULL ||
        (x->ctx = xmpp_ctx_new(NULL, NULL)) == NULL)
        goto out;
    if ((x->root = xmpp_stanza_new_from_string(x->ctx, copy)) == NULL) {
        err = AIRLOCK_ERR_MALFORMED;
        goto out;
    }
    *out = x;
    x = NULL;
    err = AIRLOCK_OK;
out:
    free(copy);
    net_xml_free(x);
    return err;
}

airlock_err net_xml_own_text(xmpp_stanza_t *own, char **out, size_t *n)
{
    char *buf = NULL, *copy;
    size_t len = 0;

    if (out != NULL)
        *out = NULL;
    if (n != NULL)
        *n = 0;
    if (own == NULL || out == NULL || n == NULL)
        return AIRLOCK_ERR_ARG;
    if (xmpp_stanza_to_text(own, &buf, &len) != XMPP_EOK)
        return AIRLOCK_ERR_NOMEM;
    /* The text was allocated by the stanza's libstrophe context. */
    if ((copy = malloc(len + 1)) != NULL) {
        memcpy(copy, buf, len);
        copy[len] = '\0';
    }
    xmpp_free(xmpp_stanza_get_context(own), buf);
    if (copy == NULL)
        return AIRLOCK_ERR_NOMEM;
    *out = copy;
    *n = len;
    return AIRLOCK_OK;
}

xmpp_ctx_t *net_xml_ctx_new(void)
{
    return xmpp_ctx_new(NULL, NULL);
}

void net_xml_ctx_free(xmpp_ctx_t *ctx)
{
    if (ctx != NULL)
        xmpp_ctx_free(ctx);
}

void net_xml_release(xmpp_stanza_t *st)
{
    if (st != NULL)
        xmpp_stanza_release(st);
}

xmpp_stanza_t *net_xml_root(const net_xml *x)
{
    return x != NULL ? x->root : NULL;
}

void net_xml_free(net_xml *x)
{
    if (x == NULL)
        return;
    if (x->root != NULL)
        xmpp_stanza_release(x->root);
    if (x->ctx != NULL)
        xmpp_ctx_free(x->ctx);
    free(x);
}

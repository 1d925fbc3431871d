/*
 * frame.c - content frame v1: the strict decoder (through the bounded
 * reader) and the canonical encoder (docs/WIRE-FORMAT.md).
 *
 * The decoder validates the whole frame into a borrowed view before the
 * caller acts on any of it; a violation anywhere rejects the frame. It is
 * strict enough that a frame without unknown fields has exactly one
 * encoding, which the encoder produces (the fuzz harness checks both ways).
 */
#include "core/gate.h"

#include <string.h>

void gate_frame_init(gate_frame *f)
{
    memset(f, 0, sizeof *f);
}

/* tag, then a minimal uvarint length of at most 4 bytes that does not
 * exceed what is left, then a sub-reader over the value. */
static airlock_err field(rd *r, uint8_t *tag, rd *value)
{
    uint64_t len;
    airlock_err err;

    if ((err = rd_u8(r, tag)) != AIRLOCK_OK ||
        (err = rd_uvarint_n(r, GATE_LEN_BYTES_MAX, rd_left(r), &len)) !=
            AIRLOCK_OK)
        return err;
    return rd_sub(r, (size_t)len, value);
}

static bool mime_bytes_ok(const uint8_t *p, size_t n)
{
    size_t i;

    if (n < 1 || n > GATE_MIME_MAX)
        return false;
    for (i = 0; i < n; i++)
        if (p[i] < 0x21 || p[i] > 0x7E)
            return false;
    return true;
}

static airlock_err decode_attachment(rd *r, gate_attachment *a)
{
    int prev = 0;
    airlock_err err;

    memset(a, 0, sizeof *a);
    while (rd_left(r) > 0) {
        uint8_t tag;
        rd v;
        size_t n;

        if ((err = field(r, &tag, &v)) != AIRLOCK_OK)
            return err;
        if ((int)tag <= prev)
            return AIRLOCK_ERR_MALFORMED;   /* strictly ascending, once */
        prev = tag;
        n = rd_left(&v);
        switch (tag) {
        case GATE_ATAG_MIME:
            if (n > GATE_MIME_MAX)
                return AIRLOCK_ERR_TOO_LARGE;
            if ((err = rd_bytes(&v, n, &a->mime)) != AIRLOCK_OK)
                return err;
            if (!mime_bytes_ok(a->mime, n))
                return AIRLOCK_ERR_MALFORMED;
            a->mime_len = n;
            break;
        case GATE_ATAG_NAME:
            if (n > GATE_NAME_MAX)
                return AIRLOCK_ERR_TOO_LARGE;
            if ((err = rd_bytes(&v, n, &a->name)) != AIRLOCK_OK)
                return err;
            a->name_len = n;
            break;
        case GATE_ATAG_SIZE:
            if ((err = rd_uvarint(&v, GATE_SIZE_MAX, &a->size)) != AIRLOCK_OK ||
                (err = rd_done(&v)) != AIRLOCK_OK)
                return err;
            a->has_size = true;
            break;
        case GATE_ATAG_SHA256:
        case GATE_ATAG_KEY:
            if (n != GATE_HASH_LEN)
                return AIRLOCK_ERR_MALFORMED;
            if ((err = rd_bytes(&v, n, tag == GATE_ATAG_SHA256 ? &a->sha256
                                                              : &a->key)) !=
                AIRLOCK_OK)
                return err;
            break;
        case GATE_ATAG_LOCATOR:
            if (n > GATE_LOCATOR_MAX)
                return AIRLOCK_ERR_TOO_LARGE;
            if ((err = rd_bytes(&v, n, &a->locator)) != AIRLOCK_OK)
                return err;
            a->locator_len = n;
            break;
        default:
            return AIRLOCK_ERR_MALFORMED;   /* the attachment is closed */
        }
    }
    return a->mime != NULL ? AIRLOCK_OK : AIRLOCK_ERR_MALFORMED;
}

airlock_err gate_frame_decode(const uint8_t *in, size_t len, gate_frame *out)
{
    gate_frame f;
    rd r;
    uint8_t magic;
    int prev = -1;
    airlock_err err;

    if (out == NULL || (in == NULL && len > 0))
        return AIRLOCK_ERR_ARG;
    if (len > GATE_FRAME_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    gate_frame_init(&f);
    r = rd_make(in, len);
    if ((err = rd_u8(&r, &magic)) != AIRLOCK_OK)
        return err;
    if (magic != GATE_FRAME_MAGIC)
        return AIRLOCK_ERR_MALFORMED;
    while (rd_left(&r) > 0) {
        uint8_t tag;
        rd v;
        size_t n;

        if ((err = field(&r, &tag, &v)) != AIRLOCK_OK)
            return err;
        if ((int)tag < prev || ((int)tag == prev && tag != GATE_TAG_ATTACHMENT))
            return AIRLOCK_ERR_MALFORMED;
        prev = tag;
        n = rd_left(&v);
        switch (tag) {
        case GATE_TAG_BODY:
            if (n > GATE_BODY_MAX)
                return AIRLOCK_ERR_TOO_LARGE;
            if ((err = rd_bytes(&v, n, &f.body)) != AIRLOCK_OK)
                return err;
            f.body_len = n;
            break;
        case GATE_TAG_REPLY_TO:
            if (n != GATE_ID_LEN)
                return AIRLOCK_ERR_MALFORMED;
            if ((err = rd_bytes(&v, n, &f.reply_to)) != AIRLOCK_OK)
                return err;
            break;
        case GATE_TAG_ATTACHMENT:
            if (f.attachment_count == GATE_ATTACH_MAX)
                return AIRLOCK_ERR_TOO_LARGE;
            if ((err = decode_attachment(
                     &v, &f.attachments[f.attachment_count])) != AIRLOCK_OK)
                return err;
            f.attachment_count++;
            break;
        case GATE_TAG_REACTION:
            if (n < 1 + GATE_ID_LEN || n > GATE_EMOJI_MAX + GATE_ID_LEN)
                return AIRLOCK_ERR_MALFORMED;
            f.reaction_emoji_len = n - GATE_ID_LEN;
            if ((err = rd_bytes(&v, f.reaction_emoji_len,
                                &f.reaction_emoji)) != AIRLOCK_OK ||
                (err = rd_bytes(&v, GATE_ID_LEN, &f.reaction_target)) !=
                    AIRLOCK_OK)
                return err;
            break;
        case GATE_TAG_RECEIPT:
            if (n < 1 + GATE_ID_LEN || (n - 1) % GATE_ID_LEN != 0 ||
                (n - 1) / GATE_ID_LEN > GATE_RECEIPT_IDS_MAX)
                return AIRLOCK_ERR_MALFORMED;
            if ((err = rd_u8(&v, &f.receipt_kind)) != AIRLOCK_OK)
                return err;
            if (f.receipt_kind != GATE_RECEIPT_DELIVERED &&
                f.receipt_kind != GATE_RECEIPT_READ)
                return AIRLOCK_ERR_MALFORMED;
            f.receipt_count = (n - 1) / GATE_ID_LEN;
            if ((err = rd_bytes(&v, n - 1, &f.receipt_ids)) != AIRLOCK_OK)
                return err;
            break;
        default:
            /* Unknown: skipped (v is dropped), counted as withheld. */
            f.unknown_fields++;
            break;
        }
    }
    *out = f;
    return AIRLOCK_OK;
}

/* ---- encoder ---------------------------------------------------------------- */

static size_t uvarint_len(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t field_len(size_t n)
{
    return 1 + uvarint_len(n) + n;
}

/* Bytes of the attachment's value, or 0 when it is not encodable (*err). */
static size_t attachment_len(const gate_attachment *a, airlock_err *err)
{
    size_t n = 0;

    if (a->mime == NULL || !mime_bytes_ok(a->mime, a->mime_len) ||
        (a->name == NULL && a->name_len > 0) ||
        (a->locator == NULL && a->locator_len > 0) ||
        (!a->has_size && a->size != 0)) {
        *err = AIRLOCK_ERR_ARG;
        return 0;
    }
    if (a->name_len > GATE_NAME_MAX || a->locator_len > GATE_LOCATOR_MAX ||
        a->size > GATE_SIZE_MAX) {
        *err = AIRLOCK_ERR_TOO_LARGE;
        return 0;
    }
    n += field_len(a->mime_len);
    if (a->name != NULL)
        n += field_len(a->name_len);
    if (a->has_size)
        n += field_len(uvarint_len(a->size));
    if (a->sha256 != NULL)
        n += field_len(GATE_HASH_LEN);
    if (a->key != NULL)
        n += field_len(GATE_HASH_LEN);
    if (a->locator != NULL)
        n += field_len(a->locator_len);
    return n;
}

/* Validate everything and compute the encoded size. */
static airlock_err frame_len(const gate_frame *f, size_t *total)
{
    size_t n = 1, i, alen;
    airlock_err err = AIRLOCK_OK;

    if ((f->body == NULL && f->body_len > 0) ||
        f->attachment_count > GATE_ATTACH_MAX ||
        (f->reaction_emoji != NULL) != (f->reaction_target != NULL) ||
        (f->reaction_emoji == NULL && f->reaction_emoji_len > 0) ||
        (f->reaction_emoji != NULL && f->reaction_emoji_len == 0) ||
        (f->receipt_kind != 0 && f->receipt_kind != GATE_RECEIPT_DELIVERED &&
         f->receipt_kind != GATE_RECEIPT_READ) ||
        (f->receipt_kind != 0 &&
         (f->receipt_ids == NULL || f->receipt_count == 0)) ||
        (f->receipt_kind == 0 && f->receipt_count != 0))
        return AIRLOCK_ERR_ARG;
    if (f->body_len > GATE_BODY_MAX || f->reaction_emoji_len > GATE_EMOJI_MAX ||
        f->receipt_count > GATE_RECEIPT_IDS_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    if (f->body != NULL)
        n += field_len(f->body_len);
    if (f->reply_to != NULL)
        n += field_len(GATE_ID_LEN);
    for (i = 0; i < f->attachment_count; i++) {
        if ((alen = attachment_len(&f->attachments[i], &err)) == 0)
            return err;
        n += field_len(alen);
    }
    if (f->reaction_emoji != NULL)
        n += field_len(f->reaction_emoji_len + GATE_ID_LEN);
    if (f->receipt_kind != 0)
        n += field_len(1 + f->receipt_count * GATE_ID_LEN);
    if (n > GATE_FRAME_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    *total = n;
    return AIRLOCK_OK;
}

static void put_field(wr *w, uint8_t tag, const void *p, size_t n)
{
    wr_u8(w, tag);
    wr_lbytes(w, p, n);
}

static void put_attachment(wr *w, const gate_attachment *a, size_t alen)
{
    uint8_t sz[RD_UVARINT_MAX_BYTES];
    uint64_t v = a->size;
    size_t k = 0;

    wr_u8(w, GATE_TAG_ATTACHMENT);
    wr_uvarint(w, alen);
    put_field(w, GATE_ATAG_MIME, a->mime, a->mime_len);
    if (a->name != NULL)
        put_field(w, GATE_ATAG_NAME, a->name, a->name_len);
    if (a->has_size) {
        do {
            sz[k] = (uint8_t)(v & 0x7F);
            v >>= 7;
            if (v != 0)
                sz[k] |= 0x80;
            k++;
        } while (v != 0);
        put_field(w, GATE_ATAG_SIZE, sz, k);
    }
    if (a->sha256 != NULL)
        put_field(w, GATE_ATAG_SHA256, a->sha256, GATE_HASH_LEN);
    if (a->key != NULL)
        put_field(w, GATE_ATAG_KEY, a->key, GATE_HASH_LEN);
    if (a->locator != NULL)
        put_field(w, GATE_ATAG_LOCATOR, a->locator, a->locator_len);
}

airlock_err gate_frame_write(wr *w, const gate_frame *f)
{
    size_t total = 0, i;
    airlock_err err;

    if (w == NULL || f == NULL)
        return AIRLOCK_ERR_ARG;
    if ((err = frame_len(f, &total)) != AIRLOCK_OK)
        return err;
    if ((err = wr_reserve(w, total)) != AIRLOCK_OK)
        return err;
    wr_u8(w, GATE_FRAME_MAGIC);
    if (f->body != NULL)
        put_field(w, GATE_TAG_BODY, f->body, f->body_len);
    if (f->reply_to != NULL)
        put_field(w, GATE_TAG_REPLY_TO, f->reply_to, GATE_ID_LEN);
    for (i = 0; i < f->attachment_count; i++) {
        airlock_err ignored = AIRLOCK_OK;

        put_attachment(w, &f->attachments[i],
                       attachment_len(&f->attachments[i], &ignored));
    }
    if (f->reaction_emoji != NULL) {
        wr_u8(w, GATE_TAG_REACTION);
        wr_uvarint(w, f->reaction_emoji_len + GATE_ID_LEN);
        wr_bytes(w, f->reaction_emoji, f->reaction_emoji_len);
        wr_bytes(w, f->reaction_target, GATE_ID_LEN);
    }
    if (f->receipt_kind != 0) {
        wr_u8(w, GATE_TAG_RECEIPT);
        wr_uvarint(w, 1 + f->receipt_count * GATE_ID_LEN);
        wr_u8(w, f->receipt_kind);
        wr_bytes(w, f->receipt_ids, f->receipt_count * GATE_ID_LEN);
    }
    return w->err;
}

airlock_err gate_frame_encode(const airlock_allocator *al, const gate_frame *f,
                              uint8_t **out, size_t *out_len)
{
    wr w;
    airlock_err err;

    if (out != NULL)
        *out = NULL;
    if (out_len != NULL)
        *out_len = 0;
    if (out == NULL || out_len == NULL || f == NULL)
        return AIRLOCK_ERR_ARG;
    wr_init(&w, al, GATE_FRAME_MAX);
    if ((err = gate_frame_write(&w, f)) == AIRLOCK_OK)
        err = wr_take(&w, out, out_len);
    wr_clear(&w, false);
    return err;
}

airlock_err gate_frame_encode_body(const airlock_allocator *al,
                                   const char *text, size_t len,
                                   uint8_t **out, size_t *out_len)
{
    gate_frame f;

    if (text == NULL && len > 0) {
        if (out != NULL)
            *out = NULL;
        return AIRLOCK_ERR_ARG;
    }
    gate_frame_init(&f);
    f.body = text != NULL ? (const uint8_t *)text : (const uint8_t *)"";
    f.body_len = len;
    return gate_frame_encode(al, &f, out, out_len);
}

airlock_err gate_frame_encode_receipt(const airlock_allocator *al,
                                      uint8_t kind, const uint8_t *ids,
                                      size_t n, uint8_t **out,
                                      size_t *out_len)
{
    gate_frame f;

    gate_frame_init(&f);
    f.receipt_kind = kind;
    f.receipt_ids = ids;
    f.receipt_count = n;
    if (kind == 0 || ids == NULL || n == 0) {
        if (out != NULL)
            *out = NULL;
        return AIRLOCK_ERR_ARG;
    }
    return gate_frame_encode(al, &f, out, out_len);
}

AIRLOCK_API airlock_err airlock_frame_encode(
    const char *body, size_t body_len, const uint8_t *reply_to16,
    const airlock_frame_attachment *atts, size_t natts, uint8_t **out,
    size_t *out_len)
{
    gate_frame f;
    size_t i;

    if (out != NULL)
        *out = NULL;
    if (out_len != NULL)
        *out_len = 0;
    if (out == NULL || out_len == NULL || (body == NULL && body_len > 0) ||
        (atts == NULL && natts > 0))
        return AIRLOCK_ERR_ARG;
    if (natts > GATE_ATTACH_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    gate_frame_init(&f);
    f.body = (const uint8_t *)body;
    f.body_len = body_len;
    f.reply_to = reply_to16;
    for (i = 0; i < natts; i++) {
        gate_attachment *a = &f.attachments[i];
        const airlock_frame_attachment *s = &atts[i];

        if (s->mime == NULL)
            return AIRLOCK_ERR_ARG;
        a->mime = (const uint8_t *)s->mime;
        a->mime_len = strnlen(s->mime, GATE_MIME_MAX + 1);
        if (s->name != NULL) {
            a->name = (const uint8_t *)s->name;
            a->name_len = strnlen(s->name, GATE_NAME_MAX + 1);
        }
        a->has_size = true;
        a->size = s->size;
        a->sha256 = s->sha256;
        a->key = s->key;
        if (s->locator != NULL) {
            a->locator = (const uint8_t *)s->locator;
            a->locator_len = strnlen(s->locator, GATE_LOCATOR_MAX + 1);
        }
    }
    f.attachment_count = natts;
    /* Public memory: malloc, released with airlock_free(). */
    return gate_frame_encode(NULL, &f, out, out_len);
}

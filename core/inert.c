/*
 * inert.c - the inert path: what an unknown sender (or a device whose
 * identity key changed) can make this device parse.
 *
 * A frame: the magic byte, and only if the first field is a body, that
 * field's tag and length, then the body through the sanitizer as plain
 * text. Nothing after it is read; its mere presence gives one notice. No
 * styling, no links, no attachments, reactions or receipts are looked at.
 */
#include "core/gate.h"

static airlock_err unreadable(airlock_model *m)
{
    gate_model_set_malformed(m);
    return gate_model_add_notice(m, GATE_NOTICE_UNREADABLE);
}

static airlock_err withheld(airlock_model *m)
{
    gate_model_withhold(m, 0, 1);
    return gate_model_add_notice_once(m, GATE_NOTICE_WITHHELD);
}

airlock_err gate_inert(airlock_model *m, const uint8_t *in, size_t len,
                       airlock_input kind)
{
    rd r;
    uint8_t magic, tag;
    uint64_t body_len;
    const uint8_t *body;
    airlock_err err;

    if (m == NULL || (in == NULL && len > 0))
        return AIRLOCK_ERR_ARG;
    if (kind == AIRLOCK_INPUT_BODY)
        return gate_body(m, in, len, false);
    if (len > GATE_FRAME_MAX)
        return unreadable(m);
    r = rd_make(in, len);
    if (rd_u8(&r, &magic) != AIRLOCK_OK || magic != GATE_FRAME_MAGIC)
        return unreadable(m);
    if (rd_left(&r) == 0)
        return AIRLOCK_OK;                 /* an empty frame */
    if (rd_u8(&r, &tag) != AIRLOCK_OK || tag != GATE_TAG_BODY)
        return withheld(m);                /* not even its length is read */
    if (rd_uvarint_n(&r, GATE_LEN_BYTES_MAX, rd_left(&r), &body_len) !=
            AIRLOCK_OK ||
        body_len > GATE_BODY_MAX ||
        rd_bytes(&r, (size_t)body_len, &body) != AIRLOCK_OK)
        return unreadable(m);
    if ((err = gate_body(m, body, (size_t)body_len, false)) != AIRLOCK_OK)
        return err;
    return rd_left(&r) > 0 ? withheld(m) : AIRLOCK_OK;
}

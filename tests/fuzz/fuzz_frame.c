/* fuzz_frame.c - the content frame decoder. Invariants: every view points
 * inside the input and respects its limit; a decoded frame re-encodes, the
 * re-encoding decodes to the same view, and a frame without unknown fields
 * re-encodes to exactly its own bytes (the encoding is canonical). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *lo, *hi;

static void inside(const uint8_t *p, size_t n)
{
    if (p == NULL)
        return;
    if (p < lo || p > hi || n > (size_t)(hi - p))
        abort();
}

static void same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
    if ((a == NULL) != (b == NULL) || (a != NULL && memcmp(a, b, n) != 0))
        abort();
}

static void same(const gate_frame *f, const gate_frame *g)
{
    size_t i;

    if (f->body_len != g->body_len || f->attachment_count !=
        g->attachment_count || f->reaction_emoji_len != g->reaction_emoji_len
        || f->receipt_kind != g->receipt_kind ||
        f->receipt_count != g->receipt_count || g->unknown_fields != 0)
        abort();
    same_bytes(f->body, g->body, f->body_len);
    same_bytes(f->reply_to, g->reply_to, GATE_ID_LEN);
    same_bytes(f->reaction_emoji, g->reaction_emoji, f->reaction_emoji_len);
    same_bytes(f->reaction_target, g->reaction_target, GATE_ID_LEN);
    same_bytes(f->receipt_ids, g->receipt_ids, f->receipt_count * GATE_ID_LEN);
    for (i = 0; i < f->attachment_count; i++) {
        const gate_attachment *a = &f->attachments[i], *b = &g->attachments[i];

        if (a->mime_len != b->mime_len || a->name_len != b->name_len ||
            a->has_size != b->has_size || a->size != b->size ||
            a->locator_len != b->locator_len)
            abort();
        same_bytes(a->mime, b->mime, a->mime_len);
        same_bytes(a->name, b->name, a->name_len);
        same_bytes(a->sha256, b->sha256, GATE_HASH_LEN);
        same_bytes(a->key, b->key, GATE_HASH_LEN);
        same_bytes(a->locator, b->locator, a->locator_len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gate_frame f, g;
    uint8_t *out = NULL;
    size_t n = 0, i;

    if (gate_frame_decode(data, size, &f) != AIRLOCK_OK)
        return 0;
    lo = data;
    hi = data + size;
    if (size < 1 || data[0] != GATE_FRAME_MAGIC || f.body_len > GATE_BODY_MAX ||
        f.attachment_count > GATE_ATTACH_MAX ||
        f.receipt_count > GATE_RECEIPT_IDS_MAX ||
        f.reaction_emoji_len > GATE_EMOJI_MAX)
        abort();
    inside(f.body, f.body_len);
    inside(f.reply_to, GATE_ID_LEN);
    inside(f.reaction_emoji, f.reaction_emoji_len);
    inside(f.reaction_target, GATE_ID_LEN);
    inside(f.receipt_ids, f.receipt_count * GATE_ID_LEN);
    for (i = 0; i < f.attachment_count; i++) {
        const gate_attachment *a = &f.attachments[i];

        if (a->mime == NULL || a->mime_len == 0 || a->mime_len > GATE_MIME_MAX ||
            a->name_len > GATE_NAME_MAX || a->size > GATE_SIZE_MAX ||
            a->locator_len > GATE_LOCATOR_MAX)
            abort();
        inside(a->mime, a->mime_len);
        inside(a->name, a->name_len);
        inside(a->sha256, GATE_HASH_LEN);
        inside(a->key, GATE_HASH_LEN);
        inside(a->locator, a->locator_len);
    }
    if (gate_frame_encode(NULL, &f, &out, &n) != AIRLOCK_OK)
        abort();
    if (n > size || (f.unknown_fields == 0 && (n != size ||
                                              memcmp(out, data, n) != 0)))
        abort();
    if (gate_frame_decode(out, n, &g) != AIRLOCK_OK)
        abort();
    same(&f, &g);
    base_free(NULL, out);
    return 0;
}

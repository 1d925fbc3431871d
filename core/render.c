/*
 * render.c - the gate: what a message may make this device parse depends
 * on who sent it. UNKNOWN takes the inert path (inert.c); ACCEPTED and
 * VERIFIED the full frame decoder, the XEP-0393 parser and the attachment
 * whitelist; BLOCKED nothing but a notice.
 *
 * A malformed frame becomes one notice and airlock_model_malformed(): the
 * frame is validated as a whole before any of it is shown, so there is
 * never partial content.
 */
#include "core/gate.h"

#include <string.h>

static const char *const mime_default[] = GATE_MIME_DEFAULT;

typedef struct body_sink {
    airlock_model *m;
} body_sink;

static airlock_err put_piece(void *ctx, const char *s, size_t n,
                             uint32_t style, uint32_t depth, bool link)
{
    return gate_model_put_text(((body_sink *)ctx)->m, s, n, style, depth, link);
}

static airlock_err san_notices(airlock_model *m, unsigned changes)
{
    airlock_err err = AIRLOCK_OK;

    if (changes & GATE_SAN_BIDI)
        err = gate_model_add_notice_once(m, GATE_NOTICE_BIDI);
    if (err == AIRLOCK_OK && (changes & GATE_SAN_INVISIBLE))
        err = gate_model_add_notice_once(m, GATE_NOTICE_INVISIBLE);
    return err;
}

airlock_err gate_body(airlock_model *m, const uint8_t *in, size_t len,
                      bool styled)
{
    size_t cut = gate_cut(in, len, GATE_BODY_MAX);
    body_sink sink = { m };
    unsigned changes = 0, style_flags = 0;
    wr w;
    airlock_err err;

    if (m == NULL || (in == NULL && len > 0))
        return AIRLOCK_ERR_ARG;
    wr_init(&w, gate_model_allocator(m), 3 * (size_t)GATE_BODY_MAX);
    if ((err = gate_sanitize(&w, in, cut, 0, &changes)) != AIRLOCK_OK)
        goto out;
    gate_model_reserve(m, w.len + w.len / 2 + 64);
    if (styled)
        err = gate_style((const char *)w.buf, w.len, put_piece, &sink,
                         &style_flags);
    else
        err = gate_model_put_text(m, (const char *)w.buf, w.len, 0, 0, false);
    if (err != AIRLOCK_OK || (err = san_notices(m, changes)) != AIRLOCK_OK)
        goto out;
    if ((style_flags & GATE_STYLE_LIMITED) &&
        (err = gate_model_add_notice_once(m, GATE_NOTICE_STYLE_LIMIT)) !=
            AIRLOCK_OK)
        goto out;
    if (cut < len)
        err = gate_model_add_notice_once(m, GATE_NOTICE_CUT);
out:
    wr_clear(&w, false);
    return err;
}

/* The allowed type matching `mime` (ASCII case-insensitive), or NULL. */
static const char *mime_allowed(const gate_policy *policy, const uint8_t *mime,
                                size_t n)
{
    const char *const *list = policy != NULL && policy->mime_allow != NULL
                                  ? policy->mime_allow : mime_default;
    size_t i, k;

    for (i = 0; list[i] != NULL; i++) {
        if (strlen(list[i]) != n)
            continue;
        for (k = 0; k < n; k++) {
            uint8_t c = mime[k];

            if (c >= 'A' && c <= 'Z')
                c = (uint8_t)(c - 'A' + 'a');
            if (c != (uint8_t)list[i][k])
                break;
        }
        if (k == n)
            return list[i];
    }
    return NULL;
}

static airlock_err full(airlock_model *m, const uint8_t *in, size_t len,
                        airlock_input kind, const gate_policy *policy)
{
    gate_frame f;
    size_t i;
    uint32_t fields;
    airlock_err err;

    if (kind == AIRLOCK_INPUT_BODY)
        return gate_body(m, in, len, true);
    if (gate_frame_decode(in, len, &f) != AIRLOCK_OK) {
        gate_model_set_malformed(m);
        return gate_model_add_notice(m, GATE_NOTICE_UNREADABLE);
    }
    if (f.body != NULL &&
        (err = gate_body(m, f.body, f.body_len, true)) != AIRLOCK_OK)
        return err;
    for (i = 0; i < f.attachment_count; i++) {
        const gate_attachment *a = &f.attachments[i];
        const char *mime = mime_allowed(policy, a->mime, a->mime_len);
        unsigned changes = 0;

        if (mime == NULL) {
            gate_model_withhold(m, 1, 0);
            err = gate_model_add_notice(m, GATE_NOTICE_FILE_TYPE);
        } else if ((err = gate_model_add_attachment(
                        m, mime, a->name, a->name_len, a->size, &changes)) ==
                   AIRLOCK_OK) {
            err = san_notices(m, changes);
        }
        if (err != AIRLOCK_OK)
            return err;
    }
    fields = f.unknown_fields;
    fields += f.reaction_emoji != NULL ? 1u : 0u;
    fields += f.receipt_kind != 0 ? 1u : 0u;
    gate_model_withhold(m, 0, fields);
    return AIRLOCK_OK;
}

airlock_err gate_render(const uint8_t *in, size_t len, airlock_trust trust,
                        airlock_input kind, const gate_policy *policy,
                        const airlock_allocator *al, airlock_model **out)
{
    airlock_model *m = NULL;
    airlock_err err;

    if (out != NULL)
        *out = NULL;
    if (out == NULL || (in == NULL && len > 0) ||
        (unsigned)trust > AIRLOCK_TRUST_BLOCKED ||
        (kind != AIRLOCK_INPUT_FRAME && kind != AIRLOCK_INPUT_BODY) ||
        (al != NULL && al->alloc != NULL && al->free == NULL))
        return AIRLOCK_ERR_ARG;
    if (len > AIRLOCK_RENDER_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    if ((err = gate_model_new(al, trust, &m)) != AIRLOCK_OK)
        goto out;
    switch (trust) {
    case AIRLOCK_TRUST_BLOCKED:
        err = gate_model_add_notice(m, GATE_NOTICE_BLOCKED);
        break;
    case AIRLOCK_TRUST_UNKNOWN:
        err = gate_inert(m, in, len, kind);
        break;
    case AIRLOCK_TRUST_ACCEPTED:
    case AIRLOCK_TRUST_VERIFIED:
        err = full(m, in, len, kind, policy);
        break;
    }
    if (err != AIRLOCK_OK || (err = gate_model_finish(m)) != AIRLOCK_OK)
        goto out;
    *out = m;
    m = NULL;
out:
    airlock_model_free(m);
    return err;
}

AIRLOCK_API airlock_err airlock_render(const uint8_t *in, size_t len,
                                       airlock_trust trust,
                                       airlock_input kind,
                                       const airlock_allocator *al,
                                       airlock_model **out)
{
    return gate_render(in, len, trust, kind, NULL, al, out);
}

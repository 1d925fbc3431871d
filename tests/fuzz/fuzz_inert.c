/* fuzz_inert.c - the inert path (unknown senders). Invariants: no styles,
 * no links, no attachments; at most one span; every text clean; when the
 * input is a frame starting with a body, the bytes after the body change
 * nothing but the "withheld" notice (they are never parsed); a malformed
 * input shows no text at all. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static airlock_model *render(const uint8_t *d, size_t n, airlock_input kind)
{
    airlock_model *m = NULL;
    airlock_err err = airlock_render(d, n, AIRLOCK_TRUST_UNKNOWN, kind, NULL,
                                     &m);
    size_t i;
    uint32_t wa = 1, wf = 0;

    if (n > AIRLOCK_RENDER_MAX)
        return err == AIRLOCK_ERR_TOO_LARGE ? NULL : (abort(), NULL);
    if (err != AIRLOCK_OK || m == NULL)
        abort();
    if (airlock_model_attachment_count(m) != 0 ||
        airlock_model_span_count(m) > 1)
        abort();
    airlock_model_withheld(m, &wa, &wf);
    if (wa != 0 || wf > 1)
        abort();
    for (i = 0; i < airlock_model_span_count(m); i++) {
        const airlock_span *sp = airlock_model_span(m, i);

        if (sp->style != 0 || sp->href != NULL || sp->len == 0 ||
            !gate_text_clean(sp->text, sp->len))
            abort();
    }
    for (i = 0; i < airlock_model_notice_count(m); i++) {
        const char *s = airlock_model_notice(m, i);

        if (!gate_text_clean(s, strlen(s)))
            abort();
    }
    if (airlock_model_malformed(m) && airlock_model_span_count(m) != 0)
        abort();
    return m;
}

static bool same_text(const airlock_model *a, const airlock_model *b)
{
    const airlock_span *x = airlock_model_span(a, 0);
    const airlock_span *y = airlock_model_span(b, 0);

    if ((x == NULL) != (y == NULL))
        return false;
    return x == NULL || (x->len == y->len && memcmp(x->text, y->text,
                                                    x->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    airlock_model *m, *p;
    rd r = rd_make(data, size);
    uint8_t magic, tag;
    uint64_t blen;

    airlock_model_free(render(data, size, AIRLOCK_INPUT_BODY));
    if ((m = render(data, size, AIRLOCK_INPUT_FRAME)) == NULL)
        return 0;
    /* The body prefix alone renders the same text. */
    if (rd_u8(&r, &magic) == AIRLOCK_OK && magic == GATE_FRAME_MAGIC &&
        rd_u8(&r, &tag) == AIRLOCK_OK && tag == GATE_TAG_BODY &&
        rd_uvarint_n(&r, 4, rd_left(&r), &blen) == AIRLOCK_OK &&
        blen <= GATE_BODY_MAX && rd_skip(&r, (size_t)blen) == AIRLOCK_OK) {
        size_t prefix = size - rd_left(&r);

        p = render(data, prefix, AIRLOCK_INPUT_FRAME);
        if (p == NULL || !same_text(m, p) || airlock_model_malformed(m) ||
            airlock_model_malformed(p) ||
            (rd_left(&r) > 0) != (airlock_model_notice_count(m) >
                                  airlock_model_notice_count(p)))
            abort();
        airlock_model_free(p);
    }
    airlock_model_free(m);
    return 0;
}

/* fuzz_render.c - the whole render path, any trust and input kind, with
 * allocation failure injected. The first byte picks trust (bits 0-1), kind
 * (bit 2) and whether to fail an allocation (bit 3, the second byte says
 * which). Invariants: OK or NOMEM (and then nothing leaked); every text in
 * the model clean; links only with allowed schemes, href == text; a
 * non-accepted sender gets no style, link or attachment; attachment types
 * from the allowlist, names without separators; malformed means no
 * content; JSON and text forms build. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct failing {
    long countdown;
    long live;
} failing;

static void *f_alloc(size_t n, void *ud)
{
    failing *fa = ud;

    if (fa->countdown == 0)
        return NULL;
    if (fa->countdown > 0)
        fa->countdown--;
    fa->live++;
    return malloc(n);
}

static void f_free(void *p, void *ud)
{
    failing *fa = ud;

    if (p != NULL)
        fa->live--;
    free(p);
}

static void clean(const char *s)
{
    if (s == NULL || !gate_text_clean(s, strlen(s)))
        abort();
}

static void check_model(const airlock_model *m, airlock_trust trust)
{
    bool full = trust == AIRLOCK_TRUST_ACCEPTED ||
                trust == AIRLOCK_TRUST_VERIFIED;
    size_t i;
    char *out = NULL;

    if (airlock_model_trust(m) != trust)
        abort();
    for (i = 0; i < airlock_model_span_count(m); i++) {
        const airlock_span *sp = airlock_model_span(m, i);

        if (sp->len == 0 || strlen(sp->text) != sp->len)
            abort();
        clean(sp->text);
        if (!full && (sp->style != 0 || sp->href != NULL))
            abort();
        if ((sp->style & AIRLOCK_STYLE_LINK) &&
            (sp->href == NULL || strcmp(sp->href, sp->text) != 0 ||
             !gate_link_scheme_ok(sp->href, strlen(sp->href))))
            abort();
        if (!(sp->style & AIRLOCK_STYLE_LINK) && sp->href != NULL)
            abort();
    }
    for (i = 0; i < airlock_model_attachment_count(m); i++) {
        const airlock_attachment *a = airlock_model_attachment(m, i);

        if (!full || (strcmp(a->mime, "image/png") != 0 &&
                      strcmp(a->mime, "image/jpeg") != 0 &&
                      strcmp(a->mime, "text/plain") != 0) ||
            strchr(a->name, '/') != NULL || strchr(a->name, '\\') != NULL ||
            strchr(a->name, '\n') != NULL || a->size > GATE_SIZE_MAX)
            abort();
        clean(a->name);
    }
    for (i = 0; i < airlock_model_notice_count(m); i++)
        clean(airlock_model_notice(m, i));
    if (airlock_model_malformed(m) && (airlock_model_span_count(m) != 0 ||
                                       airlock_model_attachment_count(m) != 0))
        abort();
    if (airlock_model_to_json(m, &out, NULL) != AIRLOCK_OK)
        abort();
    airlock_free(out);
    if (airlock_model_to_text(m, &out, NULL) != AIRLOCK_OK)
        abort();
    airlock_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    failing fa = { -1, 0 };
    airlock_allocator al = { f_alloc, NULL, f_free, &fa };
    airlock_model *m = NULL;
    airlock_trust trust;
    airlock_input kind;
    airlock_err err;
    size_t skip = 1;

    if (size < 1)
        return 0;
    trust = (airlock_trust)(data[0] & 3);
    kind = (data[0] & 4) ? AIRLOCK_INPUT_BODY : AIRLOCK_INPUT_FRAME;
    if ((data[0] & 8) && size >= 2) {
        fa.countdown = data[1];
        skip = 2;
    }
    err = airlock_render(data + skip, size - skip, trust, kind, &al, &m);
    if (err == AIRLOCK_ERR_NOMEM && fa.countdown == 0 && m == NULL &&
        fa.live == 0)
        return 0;
    if (size - skip > AIRLOCK_RENDER_MAX && err == AIRLOCK_ERR_TOO_LARGE)
        return 0;
    if (err != AIRLOCK_OK || m == NULL)
        abort();
    check_model(m, trust);
    airlock_model_free(m);
    if (fa.live != 0)
        abort();
    return 0;
}

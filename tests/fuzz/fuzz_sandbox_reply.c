/* fuzz_sandbox_reply.c - what the engine does with a reply from the decoder
 * worker (sandbox_reply_decode): a worker that was taken over may send any
 * bytes. The first byte picks the trust of the request (bits 0-1) and
 * whether to fail an allocation (bit 2; the second byte says which); the
 * rest is the reply body (status byte onwards).
 *
 * Invariants: OK, a worker status (NOMEM / ARG / TOO_LARGE) or a protocol
 * error, never anything else; on NOMEM from a failed allocation nothing is
 * left allocated; an accepted model holds only clean text, links with
 * allowed schemes, no style, link or attachment for a sender that is not
 * accepted, nothing but notices for a blocked one or a malformed frame,
 * only allowed attachment types and names without separators; and it
 * survives a round trip through sandbox_model_write unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/gate.h"
#include "core/sandbox.h"

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

static void clean(const char *s, size_t n)
{
    if (s == NULL || strlen(s) != n || !gate_text_clean(s, n))
        abort();
}

static void check_model(const airlock_model *m, airlock_trust trust)
{
    bool full = trust == AIRLOCK_TRUST_ACCEPTED ||
                trust == AIRLOCK_TRUST_VERIFIED;
    size_t i;

    if (airlock_model_trust(m) != trust)
        abort();
    if ((trust == AIRLOCK_TRUST_BLOCKED || airlock_model_malformed(m)) &&
        (airlock_model_span_count(m) != 0 ||
         airlock_model_attachment_count(m) != 0))
        abort();
    for (i = 0; i < airlock_model_span_count(m); i++) {
        const airlock_span *sp = airlock_model_span(m, i);

        if (sp->len == 0)
            abort();
        clean(sp->text, sp->len);
        if (!full && (sp->style != 0 || sp->href != NULL))
            abort();
        if ((sp->style & AIRLOCK_STYLE_LINK) &&
            (sp->href == NULL || strcmp(sp->href, sp->text) != 0 ||
             !gate_link_scheme_ok(sp->href, strlen(sp->href))))
            abort();
    }
    for (i = 0; i < airlock_model_attachment_count(m); i++) {
        const airlock_attachment *a = airlock_model_attachment(m, i);

        if (!full || (strcmp(a->mime, "image/png") != 0 &&
                      strcmp(a->mime, "image/jpeg") != 0 &&
                      strcmp(a->mime, "text/plain") != 0) ||
            strchr(a->name, '/') != NULL || strchr(a->name, '\\') != NULL ||
            a->size > GATE_SIZE_MAX)
            abort();
        clean(a->name, strlen(a->name));
    }
    for (i = 0; i < airlock_model_notice_count(m); i++) {
        const char *s = airlock_model_notice(m, i);

        clean(s, strlen(s));
    }
}

/* Encoding the rebuilt model and decoding it again changes nothing. */
static void round_trip(const airlock_model *m, airlock_trust trust)
{
    airlock_model *again = NULL;
    char *a = NULL, *b = NULL;
    wr w;

    wr_init(&w, NULL, SANDBOX_REPLY_MAX);
    if (sandbox_model_write(&w, m) != AIRLOCK_OK ||
        sandbox_reply_decode(w.buf, w.len, trust, NULL, &again) !=
            AIRLOCK_OK ||
        airlock_model_to_json(m, &a, NULL) != AIRLOCK_OK ||
        airlock_model_to_json(again, &b, NULL) != AIRLOCK_OK ||
        strcmp(a, b) != 0 ||
        airlock_model_malformed(m) != airlock_model_malformed(again))
        abort();
    airlock_free(a);
    airlock_free(b);
    airlock_model_free(again);
    wr_clear(&w, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    failing fa = { -1, 0 };
    airlock_allocator al = { f_alloc, NULL, f_free, &fa };
    airlock_model *m = NULL;
    airlock_trust trust;
    airlock_err err;
    size_t skip = 1;

    if (size < 1)
        return 0;
    trust = (airlock_trust)(data[0] & 3);
    if ((data[0] & 4) && size >= 2) {
        fa.countdown = data[1];
        skip = 2;
    }
    err = sandbox_reply_decode(data + skip, size - skip, trust, &al, &m);
    switch (err) {
    case AIRLOCK_OK:
        if (m == NULL)
            abort();
        check_model(m, trust);
        round_trip(m, trust);
        airlock_model_free(m);
        break;
    case AIRLOCK_ERR_NOMEM:
    case AIRLOCK_ERR_ARG:
    case AIRLOCK_ERR_TOO_LARGE:
    case AIRLOCK_ERR_MALFORMED:
    case AIRLOCK_ERR_TRUNCATED:
        if (m != NULL)
            abort();
        break;
    default:
        abort();
    }
    if (fa.live != 0)
        abort();
    return 0;
}

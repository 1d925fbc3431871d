/*
 * model.c - the whitelist display model: building, accessors, JSON and
 * terminal text.
 *
 * A model owns three allocations, all through the caller's allocator: the
 * model itself, one arena holding every string (span texts, attachment
 * names and types, notices; each NUL-terminated) and the span array. While
 * it is built, strings are kept as arena offsets (the arena moves when it
 * grows); gate_model_finish() turns them into pointers.
 */
#include "core/gate.h"

#include <string.h>

#define MODEL_ARENA_MAX (16u * 1024u * 1024u)
#define MODEL_SPANS_MAX (1u << 20)
#define MODEL_SPANS_FIRST 16u
#define STYLE_ALL 0xFFu

typedef struct model_span {
    airlock_span pub;       /* what airlock_model_span() hands out */
    size_t off;             /* text offset in the arena */
    bool link;
} model_span;

struct airlock_model {
    airlock_allocator al;   /* copy; .alloc == NULL means malloc */
    airlock_trust trust;
    airlock_err err;        /* sticky: first failure while building */
    bool finished;
    bool malformed;
    wr arena;
    size_t last_end;        /* arena length after the last span's NUL */
    model_span *spans;
    size_t span_count, span_cap;
    size_t att_count;
    airlock_attachment atts[GATE_ATTACH_MAX];
    size_t att_mime_off[GATE_ATTACH_MAX];
    size_t att_name_off[GATE_ATTACH_MAX];
    size_t notice_count;
    size_t notice_off[GATE_NOTICES_MAX];
    const char *notices[GATE_NOTICES_MAX];
    uint32_t withheld_atts, withheld_fields;
};

static const char *const style_names[8] = {
    "bold", "italic", "strike", "mono", "pre", "quote", "spoiler", "link"
};

static const char *trust_name(airlock_trust t)
{
    switch (t) {
    case AIRLOCK_TRUST_UNKNOWN: return "unknown";
    case AIRLOCK_TRUST_ACCEPTED: return "accepted";
    case AIRLOCK_TRUST_VERIFIED: return "verified";
    case AIRLOCK_TRUST_BLOCKED: return "blocked";
    }
    return "unknown";
}

airlock_err gate_model_new(const airlock_allocator *al, airlock_trust trust,
                           airlock_model **out)
{
    airlock_model *m;

    if (out == NULL)
        return AIRLOCK_ERR_ARG;
    *out = NULL;
    if ((unsigned)trust > AIRLOCK_TRUST_BLOCKED)
        return AIRLOCK_ERR_ARG;
    if ((m = base_calloc(al, 1, sizeof *m)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    if (al != NULL && al->alloc != NULL)
        m->al = *al;
    m->trust = trust;
    wr_init(&m->arena, &m->al, MODEL_ARENA_MAX);
    *out = m;
    return AIRLOCK_OK;
}

const airlock_allocator *gate_model_allocator(const airlock_model *m)
{
    return &m->al;
}

AIRLOCK_API void airlock_model_free(airlock_model *m)
{
    airlock_allocator al;

    if (m == NULL)
        return;
    al = m->al;   /* the model's own memory goes back with a copy */
    wr_clear(&m->arena, false);
    base_free(&al, m->spans);
    base_free(&al, m);
}

/* Record the first failure; later calls see it and do nothing. */
static airlock_err fail(airlock_model *m, airlock_err err)
{
    if (m->err == AIRLOCK_OK)
        m->err = err;
    return m->err;
}

static airlock_err usable(airlock_model *m)
{
    if (m == NULL)
        return AIRLOCK_ERR_ARG;
    if (m->err != AIRLOCK_OK)
        return m->err;
    return m->finished ? fail(m, AIRLOCK_ERR_STATE) : AIRLOCK_OK;
}

static airlock_err grow_spans(airlock_model *m)
{
    size_t ncap;
    model_span *ns;

    if (m->span_count < m->span_cap)
        return AIRLOCK_OK;
    if (m->span_cap >= MODEL_SPANS_MAX)
        return fail(m, AIRLOCK_ERR_TOO_LARGE);
    ncap = m->span_cap == 0 ? MODEL_SPANS_FIRST : 2 * m->span_cap;
    if (ncap > MODEL_SPANS_MAX)
        ncap = MODEL_SPANS_MAX;
    ns = base_realloc(&m->al, m->spans, m->span_cap * sizeof *ns,
                      ncap * sizeof *ns);
    if (ns == NULL)
        return fail(m, AIRLOCK_ERR_NOMEM);
    m->spans = ns;
    m->span_cap = ncap;
    return AIRLOCK_OK;
}

/* Append n bytes and a NUL to the arena in one step. */
static airlock_err arena_put(airlock_model *m, const char *s, size_t n)
{
    if (n > SIZE_MAX - 1 || wr_reserve(&m->arena, n + 1) != AIRLOCK_OK)
        return fail(m, m->arena.err != AIRLOCK_OK ? m->arena.err
                                                  : AIRLOCK_ERR_TOO_LARGE);
    memcpy(m->arena.buf + m->arena.len, s, n);
    m->arena.buf[m->arena.len + n] = 0;
    m->arena.len += n + 1;
    return AIRLOCK_OK;
}

airlock_err gate_model_put_text(airlock_model *m, const char *s, size_t n,
                                uint32_t style, uint32_t quote_depth,
                                bool link)
{
    model_span *last;
    airlock_err err;

    if ((err = usable(m)) != AIRLOCK_OK)
        return err;
    if (n == 0)
        return AIRLOCK_OK;
    last = m->span_count > 0 ? &m->spans[m->span_count - 1] : NULL;
    if (last != NULL && !link && !last->link && last->pub.style == style &&
        last->pub.quote_depth == quote_depth &&
        m->arena.len == m->last_end) {
        /* Merge: the last span's text ends the arena; drop its NUL. */
        m->arena.len--;
        if ((err = arena_put(m, s, n)) != AIRLOCK_OK)
            return err;
        last->pub.len += n;
        m->last_end = m->arena.len;
        return AIRLOCK_OK;
    }
    if ((err = grow_spans(m)) != AIRLOCK_OK)
        return err;
    last = &m->spans[m->span_count];
    last->off = m->arena.len;
    if ((err = arena_put(m, s, n)) != AIRLOCK_OK)
        return err;
    last->pub.text = NULL;
    last->pub.len = n;
    last->pub.style = style;
    last->pub.href = NULL;
    last->pub.quote_depth = quote_depth;
    last->link = link;
    m->span_count++;
    m->last_end = m->arena.len;
    return AIRLOCK_OK;
}

/* Reserve room for about n more bytes of text (a hint: failure is ignored
 * here and shows up at the next real append). */
void gate_model_reserve(airlock_model *m, size_t n)
{
    if (m != NULL && m->err == AIRLOCK_OK && n < MODEL_ARENA_MAX)
        (void)wr_reserve(&m->arena, n);
    if (m != NULL)
        m->arena.err = AIRLOCK_OK;
}

airlock_err gate_model_add_text(airlock_model *m, const char *s, size_t n,
                                uint32_t style, uint32_t quote_depth,
                                bool link)
{
    bool quote = (style & AIRLOCK_STYLE_QUOTE) != 0;

    if (m == NULL)
        return AIRLOCK_ERR_ARG;
    if ((style & ~STYLE_ALL) != 0 ||
        link != ((style & AIRLOCK_STYLE_LINK) != 0) ||
        (quote && (quote_depth < 1 || quote_depth > GATE_QUOTE_DEPTH_MAX)) ||
        (!quote && quote_depth != 0) || !gate_text_clean(s, n) ||
        (link && !gate_link_scheme_ok(s, n)))
        return fail(m, AIRLOCK_ERR_ARG);
    return gate_model_put_text(m, s, n, style, quote_depth, link);
}

static airlock_err notice(airlock_model *m, const char *s, bool once)
{
    size_t i, off, n;
    const char *text;
    airlock_err err;

    if ((err = usable(m)) != AIRLOCK_OK)
        return err;
    if (s == NULL)
        return fail(m, AIRLOCK_ERR_ARG);
    if (m->notice_count == GATE_NOTICES_MAX)
        return AIRLOCK_OK;
    off = m->arena.len;
    if ((err = gate_sanitize(&m->arena, (const uint8_t *)s, strlen(s), 0,
                             NULL)) != AIRLOCK_OK ||
        (err = wr_u8(&m->arena, 0)) != AIRLOCK_OK)
        return fail(m, err);
    text = (const char *)m->arena.buf + off;
    n = m->arena.len - off;
    for (i = 0; once && i < m->notice_count; i++) {
        if (memcmp((const char *)m->arena.buf + m->notice_off[i], text, n) ==
            0) {
            m->arena.len = off;       /* the same notice is there: drop it */
            return AIRLOCK_OK;
        }
    }
    m->notice_off[m->notice_count++] = off;
    return AIRLOCK_OK;
}

airlock_err gate_model_add_notice(airlock_model *m, const char *s)
{
    return notice(m, s, false);
}

airlock_err gate_model_add_notice_once(airlock_model *m, const char *s)
{
    return notice(m, s, true);
}

static bool mime_ok(const char *mime)
{
    size_t i;

    for (i = 0; mime[i] != '\0'; i++)
        if (i >= GATE_MIME_MAX || mime[i] < 0x21 || mime[i] > 0x7E)
            return false;
    return i > 0;
}

airlock_err gate_model_add_attachment(airlock_model *m, const char *mime,
                                      const uint8_t *name, size_t name_len,
                                      uint64_t size, unsigned *changes)
{
    size_t k, mime_off, name_off;
    airlock_err err;

    if (changes != NULL)
        *changes = 0;
    if ((err = usable(m)) != AIRLOCK_OK)
        return err;
    if (mime == NULL || !mime_ok(mime) || (name == NULL && name_len > 0) ||
        name_len > GATE_NAME_MAX || size > GATE_SIZE_MAX)
        return fail(m, AIRLOCK_ERR_ARG);
    if (m->att_count == GATE_ATTACH_MAX)
        return fail(m, AIRLOCK_ERR_TOO_LARGE);
    mime_off = m->arena.len;
    wr_str(&m->arena, mime);
    wr_u8(&m->arena, 0);
    name_off = m->arena.len;
    if ((err = gate_sanitize(&m->arena, name, name_len, GATE_SAN_OPT_NAME,
                             changes)) != AIRLOCK_OK ||
        (err = wr_u8(&m->arena, 0)) != AIRLOCK_OK)
        return fail(m, err);
    k = m->att_count++;
    m->att_mime_off[k] = mime_off;
    m->att_name_off[k] = name_off;
    m->atts[k].size = size;
    return AIRLOCK_OK;
}

void gate_model_withhold(airlock_model *m, uint32_t attachments,
                         uint32_t fields)
{
    if (m == NULL)
        return;
    /* Saturating: the counts are bounded by the frame anyway. */
    m->withheld_atts = attachments > UINT32_MAX - m->withheld_atts
                           ? UINT32_MAX : m->withheld_atts + attachments;
    m->withheld_fields = fields > UINT32_MAX - m->withheld_fields
                             ? UINT32_MAX : m->withheld_fields + fields;
}

void gate_model_set_malformed(airlock_model *m)
{
    if (m != NULL)
        m->malformed = true;
}

airlock_err gate_model_finish(airlock_model *m)
{
    const char *base;
    size_t i;
    airlock_err err;

    if ((err = usable(m)) != AIRLOCK_OK)
        return err;
    base = (const char *)m->arena.buf;
    for (i = 0; i < m->span_count; i++) {
        model_span *sp = &m->spans[i];

        sp->pub.text = base + sp->off;
        sp->pub.href = sp->link ? sp->pub.text : NULL;
    }
    for (i = 0; i < m->att_count; i++) {
        m->atts[i].mime = base + m->att_mime_off[i];
        m->atts[i].name = base + m->att_name_off[i];
    }
    for (i = 0; i < m->notice_count; i++)
        m->notices[i] = base + m->notice_off[i];
    m->finished = true;
    return AIRLOCK_OK;
}

airlock_err gate_model_notice(const airlock_allocator *al, airlock_trust trust,
                              const char *text, bool malformed,
                              airlock_model **out)
{
    airlock_model *m = NULL;
    airlock_err err;

    if (out != NULL)
        *out = NULL;
    if (out == NULL || text == NULL)
        return AIRLOCK_ERR_ARG;
    if ((err = gate_model_new(al, trust, &m)) != AIRLOCK_OK)
        goto out;
    if (malformed)
        gate_model_set_malformed(m);
    if ((err = gate_model_add_notice(m, text)) != AIRLOCK_OK ||
        (err = gate_model_finish(m)) != AIRLOCK_OK)
        goto out;
    *out = m;
    m = NULL;
out:
    airlock_model_free(m);
    return err;
}

/* ---- accessors (finished models only) ------------------------------------ */

static bool ready(const airlock_model *m)
{
    return m != NULL && m->finished;
}

AIRLOCK_API airlock_trust airlock_model_trust(const airlock_model *m)
{
    return m != NULL ? m->trust : AIRLOCK_TRUST_UNKNOWN;
}

AIRLOCK_API size_t airlock_model_span_count(const airlock_model *m)
{
    return ready(m) ? m->span_count : 0;
}

AIRLOCK_API const airlock_span *airlock_model_span(const airlock_model *m,
                                                   size_t i)
{
    return ready(m) && i < m->span_count ? &m->spans[i].pub : NULL;
}

AIRLOCK_API size_t airlock_model_attachment_count(const airlock_model *m)
{
    return ready(m) ? m->att_count : 0;
}

AIRLOCK_API const airlock_attachment *airlock_model_attachment(
    const airlock_model *m, size_t i)
{
    return ready(m) && i < m->att_count ? &m->atts[i] : NULL;
}

AIRLOCK_API void airlock_model_withheld(const airlock_model *m,
                                        uint32_t *attachments,
                                        uint32_t *fields)
{
    if (attachments != NULL)
        *attachments = m != NULL ? m->withheld_atts : 0;
    if (fields != NULL)
        *fields = m != NULL ? m->withheld_fields : 0;
}

AIRLOCK_API size_t airlock_model_notice_count(const airlock_model *m)
{
    return ready(m) ? m->notice_count : 0;
}

AIRLOCK_API const char *airlock_model_notice(const airlock_model *m, size_t i)
{
    return ready(m) && i < m->notice_count ? m->notices[i] : NULL;
}

AIRLOCK_API int airlock_model_malformed(const airlock_model *m)
{
    return m != NULL && m->malformed ? 1 : 0;
}

/* ---- serialization --------------------------------------------------------- */

static airlock_err take(wr *w, char **out, size_t *out_len)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    airlock_err err = wr_take(w, &buf, &n);

    wr_clear(w, false);
    if (err != AIRLOCK_OK)
        return err;
    *out = (char *)buf;
    if (out_len != NULL)
        *out_len = n;
    return AIRLOCK_OK;
}

static void json_key_str(wr *w, const char *key, const char *s, size_t n)
{
    wr_printf(w, "\"%s\":", key);
    wr_json_str(w, s, n);
}

AIRLOCK_API airlock_err airlock_model_to_json(const airlock_model *m,
                                              char **out, size_t *out_len)
{
    wr w;
    size_t i, b;

    if (out != NULL)
        *out = NULL;
    if (out_len != NULL)
        *out_len = 0;
    if (out == NULL || !ready(m))
        return AIRLOCK_ERR_ARG;
    wr_init(&w, NULL, GATE_JSON_MAX);     /* public memory: malloc */
    wr_reserve(&w, m->arena.len + 64 * m->span_count + 256);
    wr_printf(&w, "{\"trust\":\"%s\",\"spans\":[", trust_name(m->trust));
    for (i = 0; i < m->span_count; i++) {
        const airlock_span *sp = &m->spans[i].pub;
        bool first = true;

        wr_str(&w, i > 0 ? ",{" : "{");
        json_key_str(&w, "text", sp->text, sp->len);
        wr_str(&w, ",\"style\":[");
        for (b = 0; b < 8; b++) {
            if (sp->style & (1u << b)) {
                wr_printf(&w, "%s\"%s\"", first ? "" : ",", style_names[b]);
                first = false;
            }
        }
        wr_u8(&w, ']');
        if (sp->href != NULL) {
            wr_u8(&w, ',');
            json_key_str(&w, "href", sp->href, strlen(sp->href));
        }
        if (sp->style & AIRLOCK_STYLE_QUOTE)
            wr_printf(&w, ",\"quote_depth\":%u", (unsigned)sp->quote_depth);
        wr_u8(&w, '}');
    }
    wr_str(&w, "],\"attachments\":[");
    for (i = 0; i < m->att_count; i++) {
        const airlock_attachment *a = &m->atts[i];

        wr_str(&w, i > 0 ? ",{" : "{");
        json_key_str(&w, "mime", a->mime, strlen(a->mime));
        wr_u8(&w, ',');
        json_key_str(&w, "name", a->name, strlen(a->name));
        wr_printf(&w, ",\"size\":%llu}", (unsigned long long)a->size);
    }
    wr_printf(&w, "],\"withheld\":{\"attachments\":%lu,\"fields\":%lu},"
              "\"notices\":[", (unsigned long)m->withheld_atts,
              (unsigned long)m->withheld_fields);
    for (i = 0; i < m->notice_count; i++) {
        if (i > 0)
            wr_u8(&w, ',');
        wr_json_str(&w, m->notices[i], strlen(m->notices[i]));
    }
    wr_str(&w, "]}");
    return take(&w, out, out_len);
}

/* Start an extra line: after a newline unless at the very beginning. */
static void line_start(wr *w)
{
    if (w->len > 0 && w->buf[w->len - 1] != '\n')
        wr_u8(w, '\n');
}

AIRLOCK_API airlock_err airlock_model_to_text(const airlock_model *m,
                                              char **out, size_t *out_len)
{
    wr w;
    size_t i;

    if (out != NULL)
        *out = NULL;
    if (out_len != NULL)
        *out_len = 0;
    if (out == NULL || !ready(m))
        return AIRLOCK_ERR_ARG;
    wr_init(&w, NULL, GATE_JSON_MAX);
    wr_reserve(&w, m->arena.len + 64);
    for (i = 0; i < m->span_count; i++)
        wr_bytes(&w, m->spans[i].pub.text, m->spans[i].pub.len);
    for (i = 0; i < m->att_count; i++) {
        const airlock_attachment *a = &m->atts[i];

        line_start(&w);
        wr_printf(&w, "[attachment] %s (%s, %llu bytes)\n", a->name, a->mime,
                  (unsigned long long)a->size);
    }
    for (i = 0; i < m->notice_count; i++) {
        line_start(&w);
        wr_printf(&w, "[notice] %s\n", m->notices[i]);
    }
    return take(&w, out, out_len);
}

/* fuzz_style.c - the XEP-0393 parser and link detection on sanitized
 * text. Invariants: the pieces concatenate to the text; style bits stay in
 * the fixed set; a quote depth is 1..8 exactly when QUOTE is set; links
 * never inside mono or pre text, have an allowed scheme, no whitespace, and
 * never end in stripped punctuation; a span style never nests in itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct check {
    const char *text;
    size_t at;
} check;

static airlock_err piece(void *ctx, const char *s, size_t n, uint32_t style,
                         uint32_t depth, bool link)
{
    check *c = ctx;
    size_t i;

    if (n == 0 || s != c->text + c->at)
        abort();
    c->at += n;
    if (style & ~0xFFu)
        abort();
    if ((style & AIRLOCK_STYLE_QUOTE) ? (depth < 1 || depth > 8) : depth != 0)
        abort();
    if (link != ((style & AIRLOCK_STYLE_LINK) != 0))
        abort();
    if (link) {
        if (!gate_link_scheme_ok(s, n) ||
            (style & (AIRLOCK_STYLE_MONO | AIRLOCK_STYLE_PRE)) ||
            strchr(".,;:!?'", s[n - 1]) != NULL)
            abort();
        for (i = 0; i < n; i++)
            if (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '<' ||
                s[i] == '>' || s[i] == '"' || s[i] == '`')
                abort();
    }
    return AIRLOCK_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wr w;
    check c;

    if (size > GATE_BODY_MAX)
        return 0;
    wr_init(&w, NULL, 3 * size + 1);
    if (gate_sanitize(&w, data, size, 0, NULL) != AIRLOCK_OK)
        abort();
    c.text = (const char *)w.buf;
    c.at = 0;
    if (gate_style((const char *)w.buf, w.len, piece, &c, NULL) != AIRLOCK_OK ||
        c.at != w.len)
        abort();
    wr_clear(&w, false);
    return 0;
}

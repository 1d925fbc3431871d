/* fuzz_sanitize.c - the sanitizer. Invariants, checked independently of
 * the sanitizer's own checker as well: valid UTF-8; no C0 control but LF
 * and TAB, no DEL, no C1 control, no CR; no bidi control; no zero width
 * space, BOM or word joiner; at most 3x the input; idempotent; the public
 * and internal entry points agree; names have no path separator and no
 * line break. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_forbidden(const uint8_t *s, size_t n, bool name)
{
    size_t i;

    for (i = 0; i < n; i++) {
        uint8_t b = s[i];

        if ((b < 0x20 && b != '\n' && b != '\t') || b == 0x7F)
            abort();
        if (name && (b == '\n' || b == '\t' || b == '/' || b == '\\'))
            abort();
        if (b == 0xC2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F)
            abort();                                   /* C1 */
        if (b == 0xD8 && i + 1 < n && s[i + 1] == 0x9C)
            abort();                                   /* U+061C */
        if (b == 0xE2 && i + 2 < n && s[i + 1] == 0x80 &&
            ((s[i + 2] >= 0xAA && s[i + 2] <= 0xAE) || s[i + 2] == 0x8B ||
             s[i + 2] == 0xA8 || s[i + 2] == 0xA9))
            abort();                         /* embeddings, ZWSP, LS, PS */
        if (b == 0xE2 && i + 2 < n && s[i + 1] == 0x81 &&
            ((s[i + 2] >= 0xA6 && s[i + 2] <= 0xA9) || s[i + 2] == 0xA0))
            abort();                                   /* isolates, WJ */
        if (b == 0xEF && i + 2 < n && s[i + 1] == 0xBB && s[i + 2] == 0xBF)
            abort();                                   /* BOM */
    }
    if (!gate_text_clean((const char *)s, n))
        abort();
}

static void run(const uint8_t *data, size_t size, unsigned opts)
{
    wr a, b;
    unsigned ch = 0, ch2 = 0;

    wr_init(&a, NULL, 3 * size + 1);
    if (gate_sanitize(&a, data, size, opts, &ch) != AIRLOCK_OK)
        abort();
    wr_init(&b, NULL, 3 * a.len + 1);
    if (a.len > 3 * size)
        abort();
    no_forbidden(a.buf, a.len, opts & GATE_SAN_OPT_NAME);
    if (gate_sanitize(&b, a.buf, a.len, opts, &ch2) != AIRLOCK_OK ||
        b.len != a.len || (a.len > 0 && memcmp(a.buf, b.buf, a.len) != 0) ||
        ch2 != 0)
        abort();
    if (ch == 0 && !(opts & GATE_SAN_OPT_NAME) &&
        (a.len != size || (size > 0 && memcmp(a.buf, data, size) != 0)))
        abort();                       /* no change reported: none made */
    (void)airlock_text_width((const char *)a.buf, a.len);
    if (opts == 0) {
        char *pub = NULL;
        size_t pn = 0;

        if (airlock_sanitize(data, size, &pub, &pn) != AIRLOCK_OK ||
            pn != a.len || (pn > 0 && memcmp(pub, a.buf, pn) != 0) ||
            strlen(pub) != pn)
            abort();
        airlock_free(pub);
    }
    wr_clear(&a, false);
    wr_clear(&b, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    run(data, size, 0);
    run(data, size, GATE_SAN_OPT_NAME);
    (void)airlock_text_width((const char *)data, size);
    return 0;
}

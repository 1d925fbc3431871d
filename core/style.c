/*
 * style.c - XEP-0393 Message Styling and link detection over sanitized
 * text (docs/WIRE-FORMAT.md, "Styling" and "Links").
 *
 * Blocks: the text is read line by line. Quote prefixes are stripped level
 * by level (at most GATE_QUOTE_DEPTH_MAX), with the state of at most one
 * open preformatted block, so there is no recursion on input depth.
 * Spans: one left-to-right pass per line with an explicit stack of open
 * spans (at most one per style, so at most four). The closer of an opening
 * directive is found through a per-directive cache that only moves forward,
 * so a line full of directives without closers is still read a bounded
 * number of times: linear in the input.
 *
 * Every directive and quote marker stays in the text (XEP-0393 recommends
 * displaying them); styling only annotates, so the pieces handed to the
 * callback always concatenate to the input.
 */
#include "core/gate.h"

#include <string.h>
#include <utf8proc.h>

#define NOT_FOUND SIZE_MAX

/* Pieces are handed out coalesced: a piece that continues the pending one
 * with the same style and depth extends it (links never merge), so plain
 * text costs one callback, not one per line or segment. */
typedef struct styler {
    const char *t;
    gate_emit_fn emit;
    void *ctx;
    airlock_err err;
    size_t pend_a, pend_b;      /* pending piece [pend_a, pend_b) */
    uint32_t pend_style, pend_depth;
    bool pend_link;
    size_t pieces;              /* handed out so far */
    bool limited;               /* GATE_STYLE_PIECES_MAX reached */
    bool stop;                  /* limited, or the callback failed */
} styler;

/* The four span directives, in the order of closer caches. */
static int directive_index(unsigned char c)
{
    switch (c) {
    case '*': return 0;
    case '_': return 1;
    case '~': return 2;
    case '`': return 3;
    default: return -1;
    }
}

/* The first index in [i, e) holding a directive character, or e; eight
 * bytes at a time (a zero byte in x ^ c marks a match; false alarms only
 * fall back to the byte loop). */
static size_t skip_plain(const char *t, size_t i, size_t e)
{
    const uint64_t one = 0x0101010101010101ull, hi = 0x8080808080808080ull;
    const uint64_t star = one * '*', low = one * '_', tilde = one * '~',
                   grave = one * '`';
    size_t near = e - i < 8 ? e : i + 8;

    /* Directives close together (markup-heavy text) are found bytewise. */
    for (; i < near; i++)
        if (directive_index((unsigned char)t[i]) >= 0)
            return i;
    while (e - i >= 8) {
        uint64_t x, a, b, c, d;

        memcpy(&x, t + i, 8);
        a = x ^ star;
        b = x ^ low;
        c = x ^ tilde;
        d = x ^ grave;
        if ((((a - one) & ~a) | ((b - one) & ~b) | ((c - one) & ~c) |
             ((d - one) & ~d)) & hi)
            break;
        i += 8;
    }
    while (i < e && directive_index((unsigned char)t[i]) < 0)
        i++;
    return i;
}

static const uint32_t directive_style[4] = {
    AIRLOCK_STYLE_BOLD, AIRLOCK_STYLE_ITALIC, AIRLOCK_STYLE_STRIKE,
    AIRLOCK_STYLE_MONO
};

/* Whitespace as XEP-0393 defines it: White_Space or category Z. */
static bool cp_space(int32_t cp)
{
    int cat;

    if (cp < 0x80)
        return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
    if (cp == 0x85)
        return true;
    cat = utf8proc_category(cp);
    return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
           cat == UTF8PROC_CATEGORY_ZP;
}

static inline bool ascii_space(unsigned char c)
{
    return c == ' ' || (c >= 0x09 && c <= 0x0D);
}

/* The code point starting at t[i] (i < e) is whitespace; *len gets its
 * length. Sanitized input is valid UTF-8; anything else counts as not
 * whitespace, one byte long. */
static bool space_at_slow(const char *t, size_t i, size_t e, size_t *len)
{
    int32_t cp;
    utf8proc_ssize_t k;

    k = utf8proc_iterate((const utf8proc_uint8_t *)t + i,
                         (utf8proc_ssize_t)(e - i > 4 ? 4 : e - i), &cp);
    if (k < 1) {
        *len = 1;
        return false;
    }
    *len = (size_t)k;
    return cp_space(cp);
}

static inline bool space_at(const char *t, size_t i, size_t e, size_t *len)
{
    if ((unsigned char)t[i] < 0x80) {
        *len = 1;
        return ascii_space((unsigned char)t[i]);
    }
    return space_at_slow(t, i, e, len);
}

static bool space_before_slow(const char *t, size_t lo, size_t i)
{
    size_t j = i - 1, len;

    while (j > lo && i - j < 4 && ((unsigned char)t[j] & 0xC0) == 0x80)
        j--;
    return space_at_slow(t, j, i, &len) && j + len == i;
}

/* The code point ending just before t[i] (i > lo) is whitespace. */
static inline bool space_before(const char *t, size_t lo, size_t i)
{
    unsigned char c = (unsigned char)t[i - 1];

    return c < 0x80 ? ascii_space(c) : space_before_slow(t, lo, i);
}

static void flush(styler *st)
{
    if (st->err == AIRLOCK_OK && st->pend_b > st->pend_a) {
        st->err = st->emit(st->ctx, st->t + st->pend_a,
                           st->pend_b - st->pend_a, st->pend_style,
                           st->pend_depth, st->pend_link);
        if (++st->pieces >= GATE_STYLE_PIECES_MAX)
            st->limited = true;
        st->stop = st->limited || st->err != AIRLOCK_OK;
    }
    st->pend_a = st->pend_b;
}

static void put_slow(styler *st, size_t a, size_t b, uint32_t style,
                     uint32_t depth, bool link)
{
    flush(st);
    if (st->stop)
        return;      /* pend_b is where the plain rest starts */
    st->pend_a = a;
    st->pend_b = b;
    st->pend_style = style;
    st->pend_depth = depth;
    st->pend_link = link;
}

/* Most pieces continue the pending one: that case stays inline. */
static inline void put(styler *st, size_t a, size_t b, uint32_t style,
                       uint32_t depth, bool link)
{
    if (b <= a || st->stop)
        return;
    if (st->pend_b == a && st->pend_b > st->pend_a && !link &&
        !st->pend_link && st->pend_style == style && st->pend_depth == depth) {
        st->pend_b = b;
        return;
    }
    put_slow(st, a, b, style, depth, link);
}

/* ---- links --------------------------------------------------------------- */

static bool ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

static bool ieq(const char *s, const char *lit, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)lit[i])
            return false;
    }
    return true;
}

typedef struct scheme {
    const char *name;     /* lowercase, without ':' */
    size_t len;
    bool slashes;         /* "//" must follow the colon */
} scheme;

static const scheme schemes[] = {
    { "https", 5, true }, { "http", 4, true }, { "xmpp", 4, false },
    { "mailto", 6, false },
};

bool gate_link_scheme_ok(const char *s, size_t n)
{
    size_t i;

    if (s == NULL)
        return false;
    for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        const scheme *sc = &schemes[i];
        size_t need = sc->len + 1 + (sc->slashes ? 2 : 0);

        if (n > need && ieq(s, sc->name, sc->len) && s[sc->len] == ':' &&
            (!sc->slashes || (s[sc->len + 1] == '/' && s[sc->len + 2] == '/')))
            return true;
    }
    return false;
}

/* The scheme that ends at the colon t[colon] and starts at a word boundary
 * no earlier than a; returns the start of the link's target part (after
 * "scheme:" or "scheme://") and the scheme's start in *start, or 0. */
static size_t scheme_before(const char *t, size_t a, size_t colon, size_t e,
                            size_t *start)
{
    size_t i;

    for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        const scheme *sc = &schemes[i];
        size_t s0, body;

        if (colon - a < sc->len)
            continue;
        s0 = colon - sc->len;
        if (!ieq(t + s0, sc->name, sc->len))
            continue;
        if (s0 > a) {
            unsigned char p = (unsigned char)t[s0 - 1];

            if (ascii_alnum(p) || p == '+' || p == '-' || p == '.')
                continue;
        }
        body = colon + 1;
        if (sc->slashes) {
            if (e - body < 2 || t[body] != '/' || t[body + 1] != '/')
                continue;
            body += 2;
        }
        *start = s0;
        return body;
    }
    return 0;
}

static bool url_stop(unsigned char c)
{
    return c == '<' || c == '>' || c == '"' || c == '`';
}

/* End of a URL whose target part starts at `body`: the first whitespace or
 * one of < > " ` (or e), then trailing . , ; : ! ? ' stripped, and a
 * trailing ) or ] stripped while it has no opening partner in the URL. */
static size_t url_end(const char *t, size_t body, size_t e)
{
    size_t end = body, len;
    size_t open_p = 0, close_p = 0, open_b = 0, close_b = 0;

    while (end < e) {
        unsigned char c = (unsigned char)t[end];

        if (c < 0x80) {
            if (cp_space(c) || url_stop(c))
                break;
            open_p += c == '(';
            close_p += c == ')';
            open_b += c == '[';
            close_b += c == ']';
            end++;
            continue;
        }
        if (space_at(t, end, e, &len))
            break;
        end += len;
    }
    while (end > body) {
        unsigned char c = (unsigned char)t[end - 1];

        if (strchr(".,;:!?'", c) != NULL && c != '\0') {
            end--;
        } else if (c == ')' && close_p > open_p) {
            close_p--;
            end--;
        } else if (c == ']' && close_b > open_b) {
            close_b--;
            end--;
        } else {
            break;
        }
    }
    return end;
}

/* Plain text [a, b) with `style`, holding a ':' at or after `scan`: links
 * become their own pieces. */
static void put_linked_slow(styler *st, size_t a, size_t b, size_t scan,
                            uint32_t style, uint32_t depth)
{
    const char *t = st->t;
    size_t from = a;

    while (scan < b && !st->stop) {
        size_t colon = scan, body, start = 0, end;

        if (b - scan < 16) {
            while (colon < b && t[colon] != ':')
                colon++;
            if (colon == b)
                break;
        } else {
            const char *q = memchr(t + scan, ':', b - scan);

            if (q == NULL)
                break;
            colon = (size_t)(q - t);
        }
        body = scheme_before(t, a, colon, b, &start);
        if (body != 0 && (end = url_end(t, body, b)) > body) {
            put(st, from, start, style, depth, false);
            put(st, start, end, style | AIRLOCK_STYLE_LINK, depth, true);
            from = scan = end;
            continue;
        }
        scan = colon + 1;
    }
    put(st, from, b, style, depth, false);
}

/* Plain text [a, b) with `style`: links become their own pieces. A piece
 * without ':' (most) is put as it is. */
static inline void put_linked(styler *st, size_t a, size_t b, uint32_t style,
                              uint32_t depth)
{
    const char *t = st->t;
    size_t i = a;

    if (b <= a)
        return;
    if (!(style & (AIRLOCK_STYLE_MONO | AIRLOCK_STYLE_PRE))) {
        if (b - a < 16) {
            while (i < b && t[i] != ':')
                i++;
        } else {
            const char *q = memchr(t + a, ':', b - a);

            i = q != NULL ? (size_t)(q - t) : b;
        }
        if (i < b) {
            put_linked_slow(st, a, b, i, style, depth);
            return;
        }
    }
    put(st, a, b, style, depth, false);
}

/* ---- spans --------------------------------------------------------------- */

/* Per line and directive: the first closer at or after from[d] is at at[d]
 * (e when there is none), when bit d of `known` is set. */
typedef struct closer_cache {
    size_t from[4];
    size_t at[4];
    unsigned known;
} closer_cache;

/* t[j] (s < j < e) can close a span of directive c: not preceded by
 * whitespace and not part of a run of the same character. */
static bool is_closer(const char *t, size_t s, size_t e, size_t j, char c)
{
    if (t[j - 1] == c || (j + 1 < e && t[j + 1] == c))
        return false;
    return !space_before(t, s, j);
}

/* First closer of directive d (character c) at or after k in (s, e); e
 * when none. Calls for one directive come with non-decreasing k, so the
 * cache only moves forward. */
static size_t find_closer(const char *t, size_t s, size_t e, int d, char c,
                          size_t k, closer_cache *cc)
{
    size_t j;

    if ((cc->known & (1u << d)) && cc->from[d] <= k && k <= cc->at[d])
        return cc->at[d];
    /* A byte loop: candidates are usually close, and a call per candidate
     * would cost more than the scan. */
    for (j = k; j < e; j++)
        if (t[j] == c && is_closer(t, s, e, j, c))
            break;
    cc->from[d] = k;
    cc->at[d] = j;
    cc->known |= 1u << d;
    return j;
}

typedef struct open_span {
    uint32_t style;
    size_t close;      /* index of the closing directive */
} open_span;

/* The spans of one plain block [s, e) (a line without its LF). */
static void spans(styler *st, size_t s, size_t e, uint32_t base,
                  uint32_t depth)
{
    const char *t = st->t;
    open_span stack[4];
    closer_cache cache;
    size_t sp = 0, i = s, seg = s, after_open = s, top_end = e, j, len;
    uint32_t style = base;

    cache.known = 0;
    while (i < e && !st->stop) {
        unsigned char c;
        int d;

        if (i == top_end) {
            put_linked(st, seg, i, style, depth);
            put(st, i, i + 1, style, depth, false);
            style &= ~stack[--sp].style;
            seg = ++i;
            top_end = sp > 0 ? stack[sp - 1].close : e;
            continue;
        }
        if (style & AIRLOCK_STYLE_MONO) {
            i = top_end;          /* a preformatted span has no children */
            continue;
        }
        c = (unsigned char)t[i];
        if ((d = directive_index(c)) < 0) {
            i = skip_plain(t, i + 1, top_end);
            continue;
        }
        /* Opening directive: not already open, at the block start, after
         * whitespace or right after another opening directive; followed by
         * non-whitespace; not part of a run of the same character; closed
         * inside the parent. */
        if ((style & directive_style[d]) || i + 1 >= top_end ||
            t[i + 1] == (char)c || (i > s && t[i - 1] == (char)c) ||
            !(i == s || i == after_open || space_before(t, s, i)) ||
            space_at(t, i + 1, e, &len) ||
            (j = find_closer(t, s, e, d, (char)c, i + 2, &cache)) >=
                top_end) {
            /* Not an opener. The directives right after it follow a
             * non-space byte and come after after_open (<= i), so they do
             * not open either: skip the run. */
            for (i++; i < top_end && directive_index((unsigned char)t[i]) >= 0;
                 i++)
                ;
            continue;
        }
        put_linked(st, seg, i, style, depth);
        style |= directive_style[d];
        stack[sp].style = directive_style[d];
        stack[sp].close = j;
        sp++;
        top_end = j;
        put(st, i, i + 1, style, depth, false);
        seg = after_open = ++i;
    }
    put_linked(st, seg, e, style, depth);
}

/* A byte plain_lines() must look at: * _ ~ ` : > or LF. */
static inline bool line_special(unsigned char c)
{
    const uint64_t below64 = 1ull << '\n' | 1ull << '*' | 1ull << ':' |
                             1ull << '>';
    const uint64_t below128 = 1ull << ('_' - 64) | 1ull << ('`' - 64) |
                              1ull << ('~' - 64);

    return c < 64 ? (below64 >> c) & 1 : c < 128 && ((below128 >> (c - 64)) & 1);
}

/* For a line ending at e in which none of the directives before t[i]
 * could open a span: false when t[i] (directive d) may close a span opened
 * by one of them; else records whether t[i] could open one. An opener
 * needs a byte after it that is neither whitespace nor itself, and a
 * closer of its kind at least two bytes on (spans()). plain_lines() has
 * the same rule inline. */
static inline bool no_span_yet(const char *t, size_t i, size_t e, int d,
                               unsigned *may_open)
{
    if (*may_open & (1u << d))
        return false;
    if (i + 1 < e && t[i + 1] != t[i] && !ascii_space((unsigned char)t[i + 1]))
        *may_open |= 1u << d;
    return true;
}

/* The rest [i, e) of a quoted line (e at its LF or the end) when spans()
 * would make one plain piece of it: no span can open and no ':' (so no
 * link). A '>' there is text. */
static bool quoted_rest_plain(const char *t, size_t i, size_t e)
{
    unsigned may_open = 0;

    for (; i < e; i++) {
        unsigned char c = (unsigned char)t[i];
        int d;

        if (!line_special(c))
            continue;
        if (c == ':')
            return false;
        if ((d = directive_index(c)) >= 0 && !no_span_yet(t, i, e, d, &may_open))
            return false;
    }
    return true;
}

/* Plain lines: a run of whole lines at the top level whose parse is all
 * plain (one piece) is one plain piece. Returns the end of the run (pos
 * when there is none). One word-at-a-time pass looks for * _ ~ ` : and >
 * (a '>' only matters at a line start). A line holding a directive is
 * still plain when no span can open in it: an opening directive needs a
 * byte after it that is neither whitespace nor the same character, and a
 * closer of the same character later in the line (spans()); a line
 * starting with '`' may be a fence. So the rest of a line with a hit is
 * read once, bytewise: a directive after one of the same kind that had a
 * byte after it other than whitespace and itself, or a ':' (a link),
 * makes the line one the parser takes, from its start. */
static size_t plain_lines(const char *t, size_t pos, size_t n)
{
    const uint64_t one = 0x0101010101010101ull, hi = 0x8080808080808080ull;
    size_t i = pos;

    for (;;) {
        unsigned may_open = 0;    /* directives with a possible opener */
        size_t near = n - i < 8 ? n : i + 8;

        /* Short lines (a hit or a LF close by) are read bytewise: cheaper
         * than a word test per line. */
        while (i < near && !line_special((unsigned char)t[i]))
            i++;
        while (i == near && n - i >= 8) {   /* none close by: words */
            uint64_t x, a, b, c, d, f, g;

            memcpy(&x, t + i, 8);
            a = x ^ (one * '*');
            b = x ^ (one * '_');
            c = x ^ (one * '~');
            d = x ^ (one * '`');
            f = x ^ (one * ':');
            g = x ^ (one * '>');
            if ((((a - one) & ~a) | ((b - one) & ~b) | ((c - one) & ~c) |
                 ((d - one) & ~d) | ((f - one) & ~f) | ((g - one) & ~g)) & hi)
                break;
            near = i += 8;
        }
        /* The rest of this line, bytewise: what came before it in the
         * line holds none of * _ ~ ` : > */
        for (; i < n; i++) {
            unsigned char c = (unsigned char)t[i];
            bool line_start;
            int d;

            if (!line_special(c))
                continue;
            if (c == '\n')
                break;
            if (c == ':')
                goto parse;              /* maybe a link */
            line_start = i == pos || t[i - 1] == '\n';
            if (c == '>') {
                if (line_start)
                    return i;            /* a quote */
                continue;                /* text */
            }
            if (c == '`' && line_start)
                return i;                /* maybe a fence */
            d = directive_index(c);
            if (may_open & (1u << d))
                goto parse;              /* maybe an opener and its closer */
            if (i + 1 < n && t[i + 1] != (char)c &&
                !ascii_space((unsigned char)t[i + 1]))
                may_open |= 1u << d;
        }
        if (i == n)
            return n;
        i++;                             /* a plain line: the run goes on */
    }
parse:
    /* back to the start of this line: the parser takes it from there */
    while (i > pos && t[i - 1] != '\n')
        i--;
    return i;
}

/* ---- blocks -------------------------------------------------------------- */

/* The first LF at or after i, or n: a word at a time for the first 64
 * bytes (most lines are short: cheaper than a call), then memchr. */
static size_t line_end(const char *t, size_t i, size_t n)
{
    const uint64_t one = 0x0101010101010101ull, hi = 0x8080808080808080ull;
    size_t words = n - i < 64 ? n - i : 64;
    const char *lf;

    for (; words >= 8; words -= 8) {
        uint64_t x;

        memcpy(&x, t + i, 8);
        x ^= one * '\n';
        if ((x - one) & ~x & hi)
            break;
        i += 8;
    }
    if (words >= 8 || n - i < 8) {
        while (i < n && t[i] != '\n')
            i++;
        return i;
    }
    lf = memchr(t + i, '\n', n - i);
    return lf != NULL ? (size_t)(lf - t) : n;
}

static bool is_fence(const char *t, size_t c, size_t eol)
{
    return eol - c >= 3 && t[c] == '`' && t[c + 1] == '`' && t[c + 2] == '`';
}

airlock_err gate_style(const char *text, size_t n, gate_emit_fn emit,
                       void *ctx, unsigned *flags)
{
    styler st;
    size_t pos = 0;
    int pre_level = -1;     /* quote level holding an open pre block */

    if (flags != NULL)
        *flags = 0;
    if ((text == NULL && n > 0) || emit == NULL)
        return AIRLOCK_ERR_ARG;
    memset(&st, 0, sizeof st);
    st.t = text;
    st.emit = emit;
    st.ctx = ctx;
    while (pos < n && !st.stop) {
        const char *lf;
        size_t run;

        if (pre_level < 0 && (run = plain_lines(text, pos, n)) > pos) {
            put(&st, pos, run, 0, 0, false);
            pos = run;
            continue;
        }
        lf = NULL;
        run = line_end(text, pos, n);
        if (run < n)
            lf = text + run;
        size_t eol = lf != NULL ? (size_t)(lf - text) : n;
        size_t next = lf != NULL ? eol + 1 : n;
        size_t c = pos, len;
        uint32_t level = 0, block;
        bool in_pre = false;

        for (;;) {
            if ((int)level == pre_level) {
                in_pre = true;
                break;
            }
            if (level < GATE_QUOTE_DEPTH_MAX && c < eol && text[c] == '>') {
                c++;
                level++;
                if (c < eol && space_at(text, c, eol, &len))
                    c += len;      /* the first leading whitespace */
                continue;
            }
            break;
        }
        if (pre_level > (int)level)
            pre_level = -1;        /* its quote ended: so did the block */
        block = level > 0 ? AIRLOCK_STYLE_QUOTE : 0;
        put(&st, pos, c, block, level, false);
        if (in_pre) {
            put(&st, c, next, block | AIRLOCK_STYLE_PRE, level, false);
            if (eol - c == 3 && is_fence(text, c, eol))
                pre_level = -1;
        } else if (is_fence(text, c, eol)) {
            pre_level = (int)level;
            put(&st, c, next, block | AIRLOCK_STYLE_PRE, level, false);
        } else if (level > 0 && quoted_rest_plain(text, c, eol)) {
            /* what spans() would put, in one piece */
            put(&st, c, next, block, level, false);
        } else {
            spans(&st, c, eol, block, level);
            put(&st, eol, next, block, level, false);
        }
        pos = next;
    }
    flush(&st);
    if (st.limited && st.err == AIRLOCK_OK) {
        /* The rest, whatever it holds, as one plain piece. */
        if (st.pend_b < n)
            st.err = emit(ctx, text + st.pend_b, n - st.pend_b, 0, 0, false);
        if (flags != NULL)
            *flags |= GATE_STYLE_LIMITED;
    }
    return st.err;
}

/*
 * tui_text.c - pure helpers of the terminal client: UTF-8 steps, fitting
 * text into columns, the composer's line editor, completion, and the
 * layout of display models into rows of styled segments, wrapped at words
 * by display width as the library measures it (wide CJK and emoji two
 * columns, combining marks none). Nothing here draws.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui_int.h"

size_t tui_cp_len(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    size_t k = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

    return k > n ? 1 : k;
}

size_t tui_cp_prev(const char *s, size_t i)
{
    if (i == 0)
        return 0;
    i--;
    while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
        i--;
    return i;
}

size_t tui_fit(const char *s, size_t n, int w, int *used)
{
    size_t i = 0;
    int cols = 0;

    while (i < n) {
        size_t k = tui_cp_len(s + i, n - i);
        int cw = (int)airlock_text_width(s + i, k);

        if (cols + cw > w)
            break;
        cols += cw;
        i += k;
    }
    if (used != NULL)
        *used = cols;
    return i;
}

/* ------------------------------------------------------------------------ */
/* the composer                                                              */
/* ------------------------------------------------------------------------ */

void tui_line_init(tui_line *l)
{
    memset(l, 0, sizeof *l);
    if ((l->buf = malloc(256)) != NULL) {
        l->cap = 256;
        l->buf[0] = '\0';
    }
}

void tui_line_clear(tui_line *l)
{
    if (l->buf != NULL)
        explicit_bzero(l->buf, l->cap);
    free(l->buf);
    memset(l, 0, sizeof *l);
}

const char *tui_line_text(const tui_line *l)
{
    return l->buf != NULL ? l->buf : "";
}

void tui_line_insert(tui_line *l, const char *s, size_t n)
{
    if (l->buf == NULL || n > TUI_LINE_MAX - l->len)
        return;
    if (l->len + n + 1 > l->cap) {
        size_t ncap = l->cap;
        char *nb;

        while (ncap < l->len + n + 1)
            ncap *= 2;
        /* not realloc: the old buffer is wiped before it is let go */
        if ((nb = malloc(ncap)) == NULL)
            return;
        memcpy(nb, l->buf, l->len + 1);
        explicit_bzero(l->buf, l->cap);
        free(l->buf);
        l->buf = nb;
        l->cap = ncap;
    }
    memmove(l->buf + l->cur + n, l->buf + l->cur, l->len - l->cur + 1);
    memcpy(l->buf + l->cur, s, n);
    l->len += n;
    l->cur += n;
}

void tui_line_set(tui_line *l, const char *s)
{
    if (l->buf == NULL)
        return;
    explicit_bzero(l->buf, l->len);
    l->len = 0;
    l->cur = 0;
    l->buf[0] = '\0';
    tui_line_insert(l, s, strlen(s));
}

char *tui_line_take(tui_line *l)
{
    char *s = l->buf != NULL ? strdup(l->buf) : NULL;

    if (l->buf != NULL) {
        explicit_bzero(l->buf, l->len);
        l->buf[0] = '\0';
    }
    l->len = 0;
    l->cur = 0;
    return s;
}

static size_t next_cp(const tui_line *l, size_t i)
{
    if (i >= l->len)
        return l->len;
    return i + tui_cp_len(l->buf + i, l->len - i);
}

static void erase_range(tui_line *l, size_t from, size_t to)
{
    memmove(l->buf + from, l->buf + to, l->len - to + 1);
    l->len -= to - from;
    explicit_bzero(l->buf + l->len + 1, to - from);
    l->cur = from;
}

static int encode_utf8(uint32_t c, char out[4])
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xc0 | c >> 6);
        out[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c >= 0xd800 && c <= 0xdfff)
        return 0;
    if (c < 0x10000) {
        out[0] = (char)(0xe0 | c >> 12);
        out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    if (c > 0x10ffff)
        return 0;
    out[0] = (char)(0xf0 | c >> 18);
    out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    out[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* Characters the composer refuses: controls (a newline comes only from
 * Alt-Enter), and the bidi and invisible formatting characters a paste
 * could carry; the recipient's sanitizer would remove them anyway, and
 * here they would reorder what the user sees while typing. */
static int refused(uint32_t c)
{
    return c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0xad ||
           (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
           (c >= 0x2060 && c <= 0x206f) || c == 0xfeff ||
           (c >= 0xfff9 && c <= 0xfffb);
}

int tui_line_key(tui_line *l, int is_key, uint32_t c)
{
    char mb[4];
    int n;

    if (l->buf == NULL)
        return 0;
    if (is_key) {
        switch (c) {
        case KEY_LEFT:
            l->cur = tui_cp_prev(l->buf, l->cur);
            return 1;
        case KEY_RIGHT:
            l->cur = next_cp(l, l->cur);
            return 1;
        case KEY_HOME:
            l->cur = 0;
            return 1;
        case KEY_END:
            l->cur = l->len;
            return 1;
        case KEY_BACKSPACE:
            if (l->cur > 0)
                erase_range(l, tui_cp_prev(l->buf, l->cur), l->cur);
            return 1;
        case KEY_DC:
            if (l->cur < l->len)
                erase_range(l, l->cur, next_cp(l, l->cur));
            return 1;
        default:
            return 0;
        }
    }
    switch (c) {
    case 0x01:                       /* Ctrl-A */
        l->cur = 0;
        return 1;
    case 0x02:                       /* Ctrl-B */
        l->cur = tui_cp_prev(l->buf, l->cur);
        return 1;
    case 0x04:                       /* Ctrl-D */
        if (l->cur < l->len)
            erase_range(l, l->cur, next_cp(l, l->cur));
        return 1;
    case 0x05:                       /* Ctrl-E */
        l->cur = l->len;
        return 1;
    case 0x06:                       /* Ctrl-F */
        l->cur = next_cp(l, l->cur);
        return 1;
    case 0x0b: {                     /* Ctrl-K: to the end */
        size_t cur = l->cur;

        erase_range(l, l->cur, l->len);
        l->cur = cur;
        return 1;
    }
    case 0x15:                       /* Ctrl-U: to the start */
        erase_range(l, 0, l->cur);
        return 1;
    case 0x17: {                     /* Ctrl-W: the word before the cursor */
        size_t i = l->cur;

        while (i > 0 && (l->buf[i - 1] == ' ' || l->buf[i - 1] == '\n'))
            i--;
        while (i > 0 && l->buf[i - 1] != ' ' && l->buf[i - 1] != '\n')
            i--;
        erase_range(l, i, l->cur);
        return 1;
    }
    case 0x7f:
    case 0x08:
        if (l->cur > 0)
            erase_range(l, tui_cp_prev(l->buf, l->cur), l->cur);
        return 1;
    default:
        break;
    }
    if (refused(c))
        return 0;
    if ((n = encode_utf8(c, mb)) > 0)
        tui_line_insert(l, mb, (size_t)n);
    return 1;
}

static int line_cp_width(const char *s, size_t k)
{
    return s[0] == '\n' ? 1 : (int)airlock_text_width(s, k);
}

size_t tui_line_scroll(const tui_line *l, int w)
{
    const char *s = tui_line_text(l);
    size_t start = 0, i;
    int before = 0;

    if (w < 2)
        return l->cur;
    /* columns from 0 to the cursor; then drop code points from the left
     * until the cursor is inside the last column */
    for (i = 0; i < l->cur; i += tui_cp_len(s + i, l->len - i))
        before += line_cp_width(s + i, tui_cp_len(s + i, l->len - i));
    while (before > w - 1 && start < l->cur) {
        size_t k = tui_cp_len(s + start, l->len - start);

        before -= line_cp_width(s + start, k);
        start += k;
    }
    return start;
}

/* ------------------------------------------------------------------------ */
/* completion                                                                */
/* ------------------------------------------------------------------------ */

int tui_complete(const char *const *cands, size_t n, const char *prefix,
                 size_t plen, size_t *state)
{
    size_t matches = 0, i, want;

    for (i = 0; i < n; i++)
        if (strncmp(cands[i], prefix, plen) == 0)
            matches++;
    if (matches == 0)
        return -1;
    want = *state % matches;
    *state = want + 1;
    for (i = 0; i < n; i++)
        if (strncmp(cands[i], prefix, plen) == 0 && want-- == 0)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------------------ */
/* layout                                                                    */
/* ------------------------------------------------------------------------ */

attr_t tui_style_attr(uint32_t st)
{
    attr_t a = A_NORMAL;

    if (st & AIRLOCK_STYLE_BOLD)
        a |= A_BOLD;
#ifdef A_ITALIC
    if (st & AIRLOCK_STYLE_ITALIC)
        a |= A_ITALIC;
#endif
    /* curses has no strike-through; dim is the closest it has */
    if (st & (AIRLOCK_STYLE_STRIKE | AIRLOCK_STYLE_SPOILER))
        a |= A_DIM;
    if (st & (AIRLOCK_STYLE_MONO | AIRLOCK_STYLE_PRE))
        a |= A_REVERSE;
    if (st & AIRLOCK_STYLE_LINK)
        a |= A_UNDERLINE;
    return a;
}

static const char GUTTER[] = "\xe2\x94\x82 ";     /* "│ " */
#define GUTTER_W 2
static const char SPACES[] =
    "                                                                ";
#define SPACES_MAX ((int)sizeof SPACES - 1)
#define INDENT 6                     /* "HH:MM " before a message */

void tui_layout_init(tui_layout *lay, int width, int reveal, int64_t now_ms)
{
    memset(lay, 0, sizeof *lay);
    lay->width = width > 12 ? width : 12;
    lay->reveal = reveal;
    lay->now_ms = now_ms;
    lay->last_day = -1;
}

void tui_layout_clear(tui_layout *lay)
{
    size_t i;

    for (i = 0; i < lay->nowned; i++)
        free(lay->owned[i]);
    free(lay->owned);
    free(lay->rows);
    free(lay->segs);
    memset(lay, 0, sizeof *lay);
}

static int new_row(tui_layout *lay)
{
    if (lay->n == lay->cap) {
        size_t ncap = lay->cap ? lay->cap * 2 : 64;
        tui_row *nr = realloc(lay->rows, ncap * sizeof *nr);

        if (nr == NULL) {
            lay->failed = 1;
            return -1;
        }
        lay->rows = nr;
        lay->cap = ncap;
    }
    lay->rows[lay->n].first = lay->nsegs;
    lay->rows[lay->n].nseg = 0;
    lay->n++;
    lay->col = 0;
    lay->row_start = 0;
    lay->brk_valid = 0;
    return 0;
}

static int grow_segs(tui_layout *lay, size_t more)
{
    while (lay->nsegs + more > lay->segcap) {
        size_t ncap = lay->segcap ? lay->segcap * 2 : 128;
        tui_seg *ns = realloc(lay->segs, ncap * sizeof *ns);

        if (ns == NULL) {
            lay->failed = 1;
            return -1;
        }
        lay->segs = ns;
        lay->segcap = ncap;
    }
    return 0;
}

/* Append a segment to the last row. */
static void add_seg(tui_layout *lay, const char *s, size_t n, uint32_t style,
                    attr_t extra)
{
    tui_seg *sg;

    if (n == 0 || lay->n == 0 || grow_segs(lay, 1) != 0)
        return;
    sg = &lay->segs[lay->nsegs++];
    sg->text = s;
    sg->len = n;
    sg->style = style;
    sg->extra = extra;
    lay->rows[lay->n - 1].nseg++;
}

static const char *own(tui_layout *lay, char *s)
{
    if (s == NULL) {
        lay->failed = 1;
        return "";
    }
    if (lay->nowned == lay->ownedcap) {
        size_t ncap = lay->ownedcap ? lay->ownedcap * 2 : 32;
        char **no = realloc(lay->owned, ncap * sizeof *no);

        if (no == NULL) {
            free(s);
            lay->failed = 1;
            return "";
        }
        lay->owned = no;
        lay->ownedcap = ncap;
    }
    lay->owned[lay->nowned++] = s;
    return s;
}

/* Gutters for a quoted row, at most half the width. */
static int gutters(const tui_layout *lay, uint32_t style, uint32_t depth)
{
    uint32_t d = (style & AIRLOCK_STYLE_QUOTE) ? depth : 0;

    if (d == 0 && (style & AIRLOCK_STYLE_QUOTE))
        d = 1;
    while (d > 0 && (int)d * GUTTER_W > lay->width / 2)
        d--;
    return (int)d;
}

/* Segments that start a row: the indent, then gutters. Written at `at`
 * (moving what is there), counted into the last row. */
static size_t prefix_at(tui_layout *lay, size_t at, int indent, int ng)
{
    if (indent > SPACES_MAX)
        indent = SPACES_MAX;
    size_t k = (indent > 0 ? 1 : 0) + (size_t)ng, j;

    if (k == 0 || grow_segs(lay, k) != 0)
        return 0;
    memmove(&lay->segs[at + k], &lay->segs[at],
            (lay->nsegs - at) * sizeof *lay->segs);
    lay->nsegs += k;
    j = at;
    if (indent > 0) {
        lay->segs[j].text = SPACES;
        lay->segs[j].len = (size_t)indent;
        lay->segs[j].style = 0;
        lay->segs[j].extra = 0;
        j++;
    }
    for (; j < at + k; j++) {
        lay->segs[j].text = GUTTER;
        lay->segs[j].len = sizeof GUTTER - 1;
        lay->segs[j].style = 0;
        lay->segs[j].extra = A_DIM;
    }
    lay->rows[lay->n - 1].nseg += k;
    return k;
}

/* Start the text of a line: gutters when it is quoted. */
static void line_begin(tui_layout *lay, uint32_t style, uint32_t depth)
{
    int ng = gutters(lay, style, depth);

    lay->line_start = 0;
    if (ng > 0) {
        prefix_at(lay, lay->nsegs, 0, ng);
        lay->col += ng * GUTTER_W;
    }
    lay->row_start = lay->col;
}

/* A hard line break inside the text (a newline). */
static void line_break(tui_layout *lay, int indent)
{
    if (indent > SPACES_MAX)
        indent = SPACES_MAX;
    if (new_row(lay) != 0)
        return;
    if (indent > 0)
        add_seg(lay, SPACES, (size_t)indent, 0, 0);
    lay->col = indent;
    lay->row_start = indent;
    lay->line_start = 1;
}

/* The row is full: move the last word down when there is a break and the
 * word fits on a row of its own, else break where the text is. The new
 * row gets the indent and the gutters of what continues. */
static void wrap(tui_layout *lay, uint32_t style, uint32_t depth, int indent,
                 int need)
{
    size_t from = lay->nsegs, kept;
    int carried = 0, ng;
    uint32_t mstyle = style;

    if (lay->brk_valid && lay->brk_col > lay->row_start) {
        int word = lay->col - lay->brk_col;
        tui_seg *b = &lay->segs[lay->brk_seg];

        mstyle = lay->brk_off < b->len ? b->style :
                 lay->brk_seg + 1 < lay->nsegs ?
                 lay->segs[lay->brk_seg + 1].style : style;
        if (indent + gutters(lay, mstyle, depth) * GUTTER_W + word + need <=
            lay->width) {
            if (lay->brk_off < b->len) {
                tui_seg tail = *b;

                if (grow_segs(lay, 1) != 0)
                    return;
                b = &lay->segs[lay->brk_seg];
                tail.text = b->text + lay->brk_off;
                tail.len = b->len - lay->brk_off;
                b->len = lay->brk_off;
                memmove(&lay->segs[lay->brk_seg + 2],
                        &lay->segs[lay->brk_seg + 1],
                        (lay->nsegs - lay->brk_seg - 1) * sizeof tail);
                lay->segs[lay->brk_seg + 1] = tail;
                lay->nsegs++;
                lay->rows[lay->n - 1].nseg++;
            }
            from = lay->brk_seg + 1;
            carried = word;
        } else {
            mstyle = style;
        }
    }
    /* the last row keeps segments before `from`; a new row takes the rest */
    kept = from - lay->rows[lay->n - 1].first;
    {
        size_t moving = lay->rows[lay->n - 1].nseg - kept;

        lay->rows[lay->n - 1].nseg = kept;
        if (new_row(lay) != 0)
            return;
        lay->rows[lay->n - 1].first = from;
        lay->rows[lay->n - 1].nseg = moving;
    }
    ng = gutters(lay, mstyle, depth);
    prefix_at(lay, from, indent, ng);
    lay->row_start = indent + ng * GUTTER_W;
    lay->col = lay->row_start + carried;
    lay->line_start = 0;
}

/* Flow n bytes of text with a style onto the rows. */
static void flow(tui_layout *lay, const char *s, size_t n, uint32_t style,
                 uint32_t depth, attr_t extra, int indent)
{
    size_t i = 0, run = 0;

    while (i < n && !lay->failed) {
        size_t k;
        int cw;

        if (s[i] == '\n') {
            add_seg(lay, s + run, i - run, style, extra);
            line_break(lay, indent);
            run = ++i;
            continue;
        }
        if (lay->line_start)
            line_begin(lay, style, depth);
        k = tui_cp_len(s + i, n - i);
        cw = s[i] == '\t' ? 1 : (int)airlock_text_width(s + i, k);
        /* spaces may hang past the edge (they are not drawn there); the
         * next word then starts the new row, not a space */
        if (lay->col + cw > lay->width && lay->col > lay->row_start &&
            s[i] != ' ') {
            add_seg(lay, s + run, i - run, style, extra);
            run = i;
            wrap(lay, style, depth, indent, cw);
        }
        if (s[i] == '\t') {
            /* a tab is one space here: curses would expand it to a tab
             * stop the layout does not know */
            add_seg(lay, s + run, i - run, style, extra);
            add_seg(lay, SPACES, 1, style, extra);
            run = i + 1;
            lay->brk_seg = lay->nsegs - 1;
            lay->brk_off = 1;
            lay->brk_col = lay->col + 1;
            lay->brk_valid = 1;
        } else if (s[i] == ' ') {
            /* the run is not emitted yet: it becomes segs[nsegs] */
            lay->brk_seg = lay->nsegs;
            lay->brk_off = i + 1 - run;
            lay->brk_col = lay->col + 1;
            lay->brk_valid = 1;
        }
        lay->col += cw;
        i += k;
    }
    add_seg(lay, s + run, n - run, style, extra);
}

/* A hidden spoiler keeps its shape: every column a shade, spaces kept, so
 * it wraps like the text it hides. */
static void flow_hidden(tui_layout *lay, const char *s, size_t n,
                        uint32_t style, uint32_t depth, int indent)
{
    static const char SHADE[] = "\xe2\x96\x91";   /* ░ */
    size_t i = 0, o = 0;
    char *h;

    if (n > SIZE_MAX / 3 - 1)
        return;
    if ((h = malloc(n * 3 + 1)) == NULL) {
        lay->failed = 1;
        return;
    }
    while (i < n) {
        size_t k = tui_cp_len(s + i, n - i);
        int cw = (int)airlock_text_width(s + i, k);

        if (s[i] == ' ' || s[i] == '\n') {
            h[o++] = s[i];
        } else {
            /* a code point of width w has at least w bytes, so 3n bytes
             * hold all the shades */
            for (; cw > 0; cw--) {
                memcpy(h + o, SHADE, 3);
                o += 3;
            }
        }
        i += k;
    }
    h[o] = '\0';
    flow(lay, own(lay, h), o, style, depth, 0, indent);
}

static void fmt_size(char *out, size_t cap, uint64_t b)
{
    if (b < 1024)
        snprintf(out, cap, "%llu bytes", (unsigned long long)b);
    else if (b < 1024 * 1024)
        snprintf(out, cap, "%.1f KiB", (double)b / 1024.0);
    else if (b < 1024ull * 1024 * 1024)
        snprintf(out, cap, "%.1f MiB", (double)b / (1024.0 * 1024.0));
    else
        snprintf(out, cap, "%.1f GiB",
                 (double)b / (1024.0 * 1024.0 * 1024.0));
}

static const char *state_mark(airlock_msg_state st)
{
    switch (st) {
    case AIRLOCK_MSG_QUEUED: return " \xe2\x80\xa6";                 /* … */
    case AIRLOCK_MSG_SENT: return " \xe2\x9c\x93";                   /* ✓ */
    case AIRLOCK_MSG_DELIVERED: return " \xe2\x9c\x93\xe2\x9c\x93";  /* ✓✓ */
    case AIRLOCK_MSG_READ: return " \xe2\x9c\x93\xe2\x9c\x93 read";
    default: return "";
    }
}

/* A line of the client's own text on a new row. */
static void own_line(tui_layout *lay, char *s, attr_t extra, int indent)
{
    const char *t = own(lay, s);

    if (indent > SPACES_MAX)
        indent = SPACES_MAX;
    if (new_row(lay) != 0)
        return;
    if (indent > 0)
        add_seg(lay, SPACES, (size_t)indent, 0, 0);
    lay->col = indent;
    lay->row_start = indent;
    flow(lay, t, strlen(t), 0, 0, extra, indent);
}

static char *dup_printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void tui_layout_text(tui_layout *lay, const char *s, size_t n, attr_t extra,
                     int indent)
{
    char *copy = malloc(n + 1);

    if (copy != NULL) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    }
    s = own(lay, copy);
    if (indent > SPACES_MAX)
        indent = SPACES_MAX;
    if (lay->failed || new_row(lay) != 0)
        return;
    if (indent > 0)
        add_seg(lay, SPACES, (size_t)indent, 0, 0);
    lay->col = indent;
    lay->row_start = indent;
    lay->line_start = 0;
    flow(lay, s, n, 0, 0, extra, indent);
}

static long day_of(int64_t ms, struct tm *tm)
{
    time_t tt = (time_t)(ms / 1000);

    localtime_r(&tt, tm);
    return (long)tm->tm_year * 400 + tm->tm_yday;
}

void tui_layout_message(tui_layout *lay, const airlock_message *m)
{
    const airlock_model *md = m->model;
    int64_t when_ms = !m->outgoing && m->received_ms > 0 ? m->received_ms :
                      m->time_ms;
    const char *who = m->outgoing ? "you" : m->from;
    struct tm tm, now_tm;
    long day = day_of(when_ms, &tm);
    char when[64];
    size_t i;
    uint32_t wa = 0, wf = 0;
    int header;

    if (lay->failed)
        return;
    header = lay->n == 0 || day != lay->last_day ||
             strcmp(who, lay->last_from) != 0 ||
             when_ms - lay->last_ms > 5 * 60 * 1000 ||
             when_ms < lay->last_ms;
    if (day != lay->last_day) {
        if (lay->n > 0 && new_row(lay) != 0)
            return;
        if (day == day_of(lay->now_ms, &now_tm))
            snprintf(when, sizeof when, "Today");
        else
            strftime(when, sizeof when, "%a %d %b %Y", &tm);
        own_line(lay, dup_printf("\xe2\x94\x80\xe2\x94\x80 %s "
                                 "\xe2\x94\x80\xe2\x94\x80", when),
                 A_DIM, 0);
    }
    if (header) {
        if (lay->n > 0 && day == lay->last_day && new_row(lay) != 0)
            return;
        own_line(lay, dup_printf("%s", who), m->outgoing ? A_DIM : A_BOLD,
                 0);
    }
    snprintf(lay->last_from, sizeof lay->last_from, "%s", who);
    lay->last_ms = when_ms;
    lay->last_day = day;

    /* the body, after its time */
    if (new_row(lay) != 0)
        return;
    strftime(when, sizeof when, "%H:%M ", &tm);
    add_seg(lay, own(lay, strdup(when)), strlen(when), 0, A_DIM);
    add_seg(lay, SPACES, (size_t)(INDENT - (int)airlock_text_width(when,
                                  strlen(when))), 0, 0);
    lay->col = INDENT;
    lay->row_start = INDENT;
    lay->line_start = 1;
    for (i = 0; i < airlock_model_span_count(md); i++) {
        const airlock_span *sp = airlock_model_span(md, i);

        if (sp == NULL)
            continue;
        if ((sp->style & AIRLOCK_STYLE_SPOILER) && !lay->reveal)
            flow_hidden(lay, sp->text, sp->len, sp->style, sp->quote_depth,
                        INDENT);
        else
            flow(lay, sp->text, sp->len, sp->style, sp->quote_depth, 0,
                 INDENT);
        /* a link whose target differs from its text shows the target */
        if ((sp->style & AIRLOCK_STYLE_LINK) && sp->href != NULL &&
            strcmp(sp->href, sp->text) != 0) {
            const char *t = own(lay, dup_printf(" <%s>", sp->href));

            flow(lay, t, strlen(t), AIRLOCK_STYLE_LINK, 0, A_DIM, INDENT);
        }
    }
    if (m->outgoing) {
        const char *mark = state_mark(m->state);

        if (lay->line_start)
            line_begin(lay, 0, 0);
        flow(lay, mark, strlen(mark), 0, 0, A_DIM, INDENT);
    }
    lay->line_start = 0;
    for (i = 0; i < airlock_model_attachment_count(md); i++) {
        const airlock_attachment *a = airlock_model_attachment(md, i);
        char size[32];

        if (a == NULL)
            continue;
        fmt_size(size, sizeof size, a->size);
        own_line(lay, dup_printf("[file] %s  (%s, %s, not downloaded)",
                                 a->name, a->mime, size), A_BOLD, INDENT);
    }
    if (lay->mark_inert && !m->outgoing &&
        airlock_model_trust(md) == AIRLOCK_TRUST_UNKNOWN)
        own_line(lay, dup_printf("[plain text: from a key you have not "
                                 "acknowledged]"), A_DIM, INDENT);
    airlock_model_withheld(md, &wa, &wf);
    if (wa > 0 && wf > 0)
        own_line(lay, dup_printf("[withheld: %u attachment%s, %u other "
                                 "field%s]", wa, wa == 1 ? "" : "s", wf,
                                 wf == 1 ? "" : "s"), A_DIM, INDENT);
    else if (wa > 0)
        own_line(lay, dup_printf("[withheld: %u attachment%s]", wa,
                                 wa == 1 ? "" : "s"), A_DIM, INDENT);
    else if (wf > 0)
        own_line(lay, dup_printf("[withheld: %u other field%s]", wf,
                                 wf == 1 ? "" : "s"), A_DIM, INDENT);
    for (i = 0; i < airlock_model_notice_count(md); i++) {
        const char *nt = airlock_model_notice(md, i);

        if (nt != NULL)
            own_line(lay, dup_printf("[notice] %s", nt), A_DIM, INDENT);
    }
}

void tui_layout_pair(tui_layout *lay, const char *key, const char *text,
                     int kw)
{
    int used = 0, indent = kw > 0 ? kw : 4;
    size_t kn = strlen(key), tn = strlen(text);
    char *k = malloc(kn + 1), *x = malloc(tn + 1);

    if (k != NULL)
        memcpy(k, key, kn + 1);
    if (x != NULL)
        memcpy(x, text, tn + 1);
    key = own(lay, k);
    text = own(lay, x);
    if (indent > SPACES_MAX)
        indent = SPACES_MAX;
    if (lay->failed || indent >= lay->width - 8 || new_row(lay) != 0)
        return;
    kn = tui_fit(key, strlen(key), kw > 0 ? kw - 1 : lay->width, &used);
    add_seg(lay, key, kn, AIRLOCK_STYLE_BOLD, 0);
    if (kw > 0) {
        add_seg(lay, SPACES, (size_t)(indent - used), 0, 0);
    } else {
        /* narrow: the description on rows of its own below the key */
        if (new_row(lay) != 0)
            return;
        add_seg(lay, SPACES, (size_t)indent, 0, 0);
    }
    lay->col = indent;
    lay->row_start = indent;
    lay->line_start = 0;
    flow(lay, text, strlen(text), 0, 0, 0, indent);
}

/*
 * tui_text.c - the composer's UTF-8 line editor and the layout of display
 * models into rows of styled segments, wrapped by display width as the
 * library measures it (wide CJK and emoji 2 columns, combining marks 0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui_int.h"

size_t tui_cp_len(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    size_t k = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

    if (k > n)
        return 1;
    return k;
}

/* ---- the composer ---- */

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
        if ((nb = realloc(l->buf, ncap)) == NULL)
            return;
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

static size_t prev_cp(const tui_line *l, size_t i)
{
    if (i == 0)
        return 0;
    i--;
    while (i > 0 && ((unsigned char)l->buf[i] & 0xc0) == 0x80)
        i--;
    return i;
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

void tui_line_key(tui_line *l, int is_key, uint32_t c)
{
    char mb[4];
    int n;

    if (l->buf == NULL)
        return;
    if (is_key) {
        switch (c) {
        case KEY_LEFT:
            l->cur = prev_cp(l, l->cur);
            break;
        case KEY_RIGHT:
            l->cur = next_cp(l, l->cur);
            break;
        case KEY_HOME:
            l->cur = 0;
            break;
        case KEY_END:
            l->cur = l->len;
            break;
        case KEY_BACKSPACE:
            if (l->cur > 0)
                erase_range(l, prev_cp(l, l->cur), l->cur);
            break;
        case KEY_DC:
            if (l->cur < l->len)
                erase_range(l, l->cur, next_cp(l, l->cur));
            break;
        default:
            break;
        }
        return;
    }
    switch (c) {
    case 0x01:                       /* Ctrl-A */
        l->cur = 0;
        return;
    case 0x05:                       /* Ctrl-E */
        l->cur = l->len;
        return;
    case 0x15:                       /* Ctrl-U */
        erase_range(l, 0, l->cur);
        return;
    case 0x17: {                     /* Ctrl-W: the word before the cursor */
        size_t i = l->cur;

        while (i > 0 && l->buf[i - 1] == ' ')
            i--;
        while (i > 0 && l->buf[i - 1] != ' ')
            i--;
        erase_range(l, i, l->cur);
        return;
    }
    case 0x7f:
    case 0x08:
        if (l->cur > 0)
            erase_range(l, prev_cp(l, l->cur), l->cur);
        return;
    default:
        break;
    }
    /* Only printable characters are typed into the composer. */
    if (c < 0x20 || (c >= 0x7f && c < 0xa0))
        return;
    if ((n = encode_utf8(c, mb)) > 0)
        tui_line_insert(l, mb, (size_t)n);
}

void tui_line_draw(const tui_line *l, int y, int x, int w, int *cy, int *cx)
{
    const char *s = tui_line_text(l);
    size_t i, start = 0;
    int col, cursor_col = 0, width_before = 0;

    mvaddstr(y, x, "> ");
    x += 2;
    w -= 2;
    /* columns from start to the cursor; scroll so the cursor shows */
    for (;;) {
        width_before = 0;
        for (i = start; i < l->cur;) {
            size_t k = tui_cp_len(s + i, l->len - i);

            width_before += s[i] == '\n' ? 1 :
                (int)airlock_text_width(s + i, k);
            i += k;
        }
        if (width_before < w - 1 || start >= l->cur)
            break;
        start += tui_cp_len(s + start, l->len - start);
    }
    col = 0;
    for (i = start; i < l->len && col < w;) {
        size_t k = tui_cp_len(s + i, l->len - i);
        int cw = s[i] == '\n' ? 1 : (int)airlock_text_width(s + i, k);

        if (col + cw > w)
            break;
        if (s[i] == '\n') {
            attron(A_DIM);
            mvaddstr(y, x + col, "\xe2\x86\xb5");      /* ↵ */
            attroff(A_DIM);
        } else {
            mvaddnstr(y, x + col, s + i, (int)k);
        }
        col += cw;
        i += k;
    }
    if (col < w)
        mvhline(y, x + col, ' ', w - col);
    cursor_col = width_before;
    *cy = y;
    *cx = x + (cursor_col < w ? cursor_col : w - 1);
}

/* ---- layout ---- */

void tui_layout_init(tui_layout *lay, int width, int reveal)
{
    memset(lay, 0, sizeof *lay);
    lay->width = width > 10 ? width : 10;
    lay->reveal = reveal;
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

        if (nr == NULL)
            return -1;
        lay->rows = nr;
        lay->cap = ncap;
    }
    lay->rows[lay->n].first = lay->nsegs;
    lay->rows[lay->n].nseg = 0;
    lay->n++;
    lay->col = 0;
    return 0;
}

static void add_seg(tui_layout *lay, const char *s, size_t n, uint32_t style,
                    attr_t extra)
{
    tui_seg *sg;

    if (n == 0 || lay->n == 0)
        return;
    if (lay->nsegs == lay->segcap) {
        size_t ncap = lay->segcap ? lay->segcap * 2 : 128;
        tui_seg *ns = realloc(lay->segs, ncap * sizeof *ns);

        if (ns == NULL)
            return;
        lay->segs = ns;
        lay->segcap = ncap;
    }
    sg = &lay->segs[lay->nsegs++];
    sg->text = s;
    sg->len = n;
    sg->style = style;
    sg->extra = extra;
    lay->rows[lay->n - 1].nseg++;
}

static const char *own(tui_layout *lay, char *s)
{
    if (s == NULL)
        return "";
    if (lay->nowned == lay->ownedcap) {
        size_t ncap = lay->ownedcap ? lay->ownedcap * 2 : 32;
        char **no = realloc(lay->owned, ncap * sizeof *no);

        if (no == NULL) {
            free(s);
            return "";
        }
        lay->owned = no;
        lay->ownedcap = ncap;
    }
    lay->owned[lay->nowned++] = s;
    return s;
}

static const char GUTTER[] = "\xe2\x94\x82 ";     /* "│ " */
static const char SPOILER[] = "\xe2\x96\x91";     /* "░" */

static void gutter(tui_layout *lay, uint32_t style, uint32_t depth)
{
    uint32_t d;

    if (!(style & AIRLOCK_STYLE_QUOTE))
        return;
    for (d = 0; d < depth && lay->col + 2 < lay->width; d++) {
        add_seg(lay, GUTTER, sizeof GUTTER - 1, 0, A_DIM);
        lay->col += 2;
    }
}

/* Start a continuation row: the indent, and a quote gutter only when the
 * text that follows is itself quoted (decided when it arrives). */
static void next_row(tui_layout *lay, int indent)
{
    new_row(lay);
    lay->col = indent;
    if (indent > 0)
        add_seg(lay, "        ", (size_t)indent, 0, 0);
    lay->line_start = 1;
}

/* Flow n bytes of text with a style onto the rows, wrapping by display
 * width at the last space of the row when there is one. */
static void flow(tui_layout *lay, const char *s, size_t n, uint32_t style,
                 uint32_t depth, attr_t extra, int indent)
{
    size_t i = 0, run = 0, space = SIZE_MAX;
    int hidden = (style & AIRLOCK_STYLE_SPOILER) && !lay->reveal;
    int col_at_space = 0, start_col = lay->col;

    while (i < n) {
        size_t k = tui_cp_len(s + i, n - i);
        int cw;

        if (s[i] == '\n') {
            if (!hidden)
                add_seg(lay, s + run, i - run, style, extra);
            next_row(lay, indent);
            i += 1;
            run = i;
            space = SIZE_MAX;
            continue;
        }
        if (lay->line_start) {
            lay->line_start = 0;
            gutter(lay, style, depth);
        }
        cw = (int)airlock_text_width(s + i, k);
        if (lay->col + cw > lay->width) {
            size_t cut = i;

            /* break after the last space on this row, if any; a word
             * that starts this piece moves whole to the next row (a link
             * after some text, say) */
            if (space != SIZE_MAX && space > run && !hidden) {
                cut = space + 1;
                add_seg(lay, s + run, cut - run, style, extra);
            } else if (run == 0 && space == SIZE_MAX && !hidden &&
                       start_col > indent + 2 &&
                       lay->col_pending - start_col < lay->width - indent) {
                cut = 0;
                col_at_space = start_col;
            } else if (!hidden) {
                add_seg(lay, s + run, i - run, style, extra);
            }
            next_row(lay, indent);
            lay->line_start = 0;
            gutter(lay, style, depth);
            if (cut < i)
                lay->col += lay->col_pending - col_at_space;
            run = cut;
            space = SIZE_MAX;
        }
        if (s[i] == ' ') {
            space = i;
            col_at_space = lay->col + 1;
        }
        if (hidden && cw > 0) {
            int j;

            for (j = 0; j < cw; j++)
                add_seg(lay, SPOILER, sizeof SPOILER - 1, 0, A_DIM);
        }
        lay->col += cw;
        lay->col_pending = lay->col;
        i += k;
    }
    if (!hidden)
        add_seg(lay, s + run, n - run, style, extra);
}

static const char *state_mark(airlock_msg_state st)
{
    switch (st) {
    case AIRLOCK_MSG_QUEUED: return " ...";
    case AIRLOCK_MSG_SENT: return " \xe2\x9c\x93";            /* ✓ */
    case AIRLOCK_MSG_DELIVERED: return " \xe2\x9c\x93\xe2\x9c\x93";
    case AIRLOCK_MSG_READ: return " read";
    default: return "";
    }
}

void tui_layout_message(tui_layout *lay, const airlock_message *m)
{
    const airlock_model *md = m->model;
    char head[320];
    char *tmp;
    size_t i;
    uint32_t wa = 0, wf = 0;
    time_t tt = (time_t)(m->time_ms / 1000);
    struct tm tm;
    char when[16];

    localtime_r(&tt, &tm);
    strftime(when, sizeof when, "%H:%M", &tm);
    snprintf(head, sizeof head, "%s  %s%s", when,
             m->outgoing ? "you" : m->from,
             m->outgoing ? state_mark(m->state) : "");
    if (new_row(lay) != 0)
        return;
    if ((tmp = strdup(head)) != NULL)
        flow(lay, own(lay, tmp), strlen(tmp), 0,
             0, m->outgoing ? A_DIM : A_BOLD, 0);
    next_row(lay, 2);
    for (i = 0; i < airlock_model_span_count(md); i++) {
        const airlock_span *sp = airlock_model_span(md, i);

        flow(lay, sp->text, sp->len, sp->style, sp->quote_depth, 0, 2);
    }
    lay->line_start = 0;
    for (i = 0; i < airlock_model_attachment_count(md); i++) {
        const airlock_attachment *a = airlock_model_attachment(md, i);
        int n;

        n = snprintf(NULL, 0, "[file] %s  (%s, %llu bytes, not downloaded)",
                     a->name, a->mime, (unsigned long long)a->size);
        if (n > 0 && (tmp = malloc((size_t)n + 1)) != NULL) {
            snprintf(tmp, (size_t)n + 1, "[file] %s  (%s, %llu bytes, not "
                     "downloaded)", a->name, a->mime,
                     (unsigned long long)a->size);
            new_row(lay);
            add_seg(lay, "  ", 2, 0, 0);
            lay->col = 2;
            flow(lay, own(lay, tmp), (size_t)n, 0, 0, A_BOLD, 2);
        }
    }
    airlock_model_withheld(md, &wa, &wf);
    if (wa > 0 || wf > 0) {
        snprintf(head, sizeof head, "[withheld: %u attachment%s, %u other "
                 "field%s]", wa, wa == 1 ? "" : "s", wf, wf == 1 ? "" : "s");
        if ((tmp = strdup(head)) != NULL) {
            new_row(lay);
            add_seg(lay, "  ", 2, 0, 0);
            lay->col = 2;
            flow(lay, own(lay, tmp), strlen(tmp), 0, 0, A_DIM, 2);
        }
    }
    for (i = 0; i < airlock_model_notice_count(md); i++) {
        const char *nt = airlock_model_notice(md, i);
        int n = snprintf(NULL, 0, "[notice] %s", nt);

        if (n > 0 && (tmp = malloc((size_t)n + 1)) != NULL) {
            snprintf(tmp, (size_t)n + 1, "[notice] %s", nt);
            new_row(lay);
            add_seg(lay, "  ", 2, 0, 0);
            lay->col = 2;
            flow(lay, own(lay, tmp), (size_t)n, 0, 0, A_DIM, 2);
        }
    }
    new_row(lay);
}

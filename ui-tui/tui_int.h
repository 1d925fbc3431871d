/*
 * tui_int.h - private to the terminal client: the composer's line editor
 * and the layout of display models into screen rows (tui_text.c).
 */
#ifndef AIRLOCK_UI_TUI_INT_H
#define AIRLOCK_UI_TUI_INT_H

#include <stddef.h>
#include <stdint.h>

#include <curses.h>

#include <airlock/airlock.h>

#define TUI_HISTORY 100
#define TUI_LINE_MAX 65536           /* composer bytes (a body's maximum) */

/* Bytes of the UTF-8 sequence at s (1 for anything unexpected; text here
 * is sanitized by the library, so that does not happen). */
size_t tui_cp_len(const char *s, size_t n);

/* ---- the composer ---- */
typedef struct tui_line {
    char *buf;                       /* UTF-8, NUL-terminated */
    size_t len, cap;
    size_t cur;                      /* cursor, a byte offset on a boundary */
} tui_line;

void tui_line_init(tui_line *l);
void tui_line_clear(tui_line *l);
const char *tui_line_text(const tui_line *l);
void tui_line_set(tui_line *l, const char *s);
void tui_line_insert(tui_line *l, const char *s, size_t n);
/* An editing key: is_key for curses KEY_* codes, else a character. */
void tui_line_key(tui_line *l, int is_key, uint32_t c);
/* Take the text (malloc'd) and empty the line. */
char *tui_line_take(tui_line *l);
/* Draw on row y from column x in w columns; the cursor position out. */
void tui_line_draw(const tui_line *l, int y, int x, int w, int *cy, int *cx);

/* ---- layout of messages into rows ---- */
typedef struct tui_seg {
    const char *text;                /* borrowed or owned by the layout */
    size_t len;
    uint32_t style;                  /* AIRLOCK_STYLE_* */
    attr_t extra;                    /* A_DIM for gutters, notices, ... */
} tui_seg;

typedef struct tui_row {
    size_t first, nseg;              /* into tui_layout.segs */
} tui_row;

typedef struct tui_layout {
    tui_row *rows;
    size_t n, cap;
    tui_seg *segs;
    size_t nsegs, segcap;
    char **owned;                    /* strings the layout made */
    size_t nowned, ownedcap;
    int width;
    int reveal;                      /* show spoilers */
    int col;                         /* columns used on the last row */
    int col_pending;                 /* col before the current wrap */
    int line_start;                  /* a gutter may be due */
} tui_layout;

void tui_layout_init(tui_layout *lay, int width, int reveal);
void tui_layout_clear(tui_layout *lay);
/* Append a message's rows: a header, its spans wrapped by display width,
 * attachments, withheld counts and notices. */
void tui_layout_message(tui_layout *lay, const airlock_message *m);

#endif /* AIRLOCK_UI_TUI_INT_H */

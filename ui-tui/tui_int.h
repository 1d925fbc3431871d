/*
 * tui_int.h - private to the terminal client.
 *
 *   tui_text.c   pure helpers: UTF-8 steps, fitting text into columns, the
 *                composer's line editor, completion, and the layout of
 *                display models into rows of styled segments (unit-tested
 *                in tests/tui/test_tui_text.c)
 *   tui_hist.c   a bounded window of history pages over airlock_history
 *   tui_draw.c   curses windows and everything drawn in them
 *   tui_cmd.c    keys and /commands
 *   tui_setup.c  first run, account choice and the passphrase prompt
 *   tui.c        tui_run: the terminal, signals and the poll loop
 *
 * Text reaches the screen only from display models (sanitized spans) and
 * library-sanitized strings (addresses, labels, notices, event details);
 * display widths come from airlock_text_width (utf8proc in the library).
 */
#ifndef AIRLOCK_UI_TUI_INT_H
#define AIRLOCK_UI_TUI_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <curses.h>

#include <airlock/airlock.h>

#define TUI_HISTORY 100              /* composer history entries */
#define TUI_LINE_MAX 65536           /* composer bytes (a body's maximum) */
#define TUI_ADDR_MAX 256             /* address and label bytes */
#define TUI_WINDOW_PAGES 8           /* history pages held at once */
#define TUI_PAGE_MIN 32              /* messages per page, at least */
#define TUI_PAGE_MAX 256             /* and at most */
#define TUI_EVENTS_MAX 500           /* security events in the view */
#define TUI_MIN_COLS 60              /* smaller windows get a notice */
#define TUI_MIN_LINES 16

/* ------------------------------------------------------------------------ */
/* tui_text.c                                                                */
/* ------------------------------------------------------------------------ */

/* Bytes of the UTF-8 sequence at s (1 for anything unexpected: text here
 * is sanitized by the library or typed by the user). */
size_t tui_cp_len(const char *s, size_t n);
/* Start of the code point before byte offset i. */
size_t tui_cp_prev(const char *s, size_t i);
/* How many bytes of s fit in w columns (whole code points, zero-width
 * marks kept with their base); *used gets the columns. */
size_t tui_fit(const char *s, size_t n, int w, int *used);

/* ---- the composer ---- */
typedef struct tui_line {
    char *buf;                       /* UTF-8, NUL-terminated */
    size_t len, cap;
    size_t cur;                      /* cursor, a byte offset on a boundary */
} tui_line;

void tui_line_init(tui_line *l);
/* Free, wiping the text. */
void tui_line_clear(tui_line *l);
const char *tui_line_text(const tui_line *l);
void tui_line_set(tui_line *l, const char *s);
void tui_line_insert(tui_line *l, const char *s, size_t n);
/* An editing key: is_key for curses KEY_* codes, else a character.
 * Returns 1 when the key was an editing key (or text), 0 when not. */
int tui_line_key(tui_line *l, int is_key, uint32_t c);
/* Take the text (malloc'd, NULL when out of memory) and empty the line. */
char *tui_line_take(tui_line *l);
/* The first visible byte so that the cursor shows in w columns (newlines
 * take one column, drawn as a mark). */
size_t tui_line_scroll(const tui_line *l, int w);

/* ---- completion ---- */
/* The candidate to offer for `prefix` after `*state` earlier offers (0 the
 * first time): candidates that start with prefix, in order, cycling.
 * Returns its index or -1 when none matches; *state advances. */
int tui_complete(const char *const *cands, size_t n, const char *prefix,
                 size_t plen, size_t *state);

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
    int failed;                      /* an allocation failed: rows missing */
    int col;                         /* columns used on the last row */
    int col_pending;                 /* col before the current wrap */
    int line_start;                  /* a gutter may be due */
    int row_start;                   /* col after the row's indent/gutter */
    /* the break after the last space on the current row: from
     * segs[brk_seg] + brk_off on, text moves down when a word overflows */
    size_t brk_seg, brk_off;
    int brk_col, brk_valid;
    /* grouping: a header only when sender, day or a 5-minute gap changes */
    char last_from[TUI_ADDR_MAX];
    int64_t last_ms;
    long last_day;
    int64_t now_ms;                  /* "today" for dates in headers */
    int mark_inert;                  /* a contact's conversation: say which
                                        messages are inert (changed key) */
} tui_layout;

void tui_layout_init(tui_layout *lay, int width, int reveal, int64_t now_ms);
void tui_layout_clear(tui_layout *lay);
/* Append a message's rows: a header when the group changes, its spans
 * wrapped by display width (quote gutters, hidden spoilers, link targets),
 * attachments as metadata lines, withheld counts and [notice] lines. */
void tui_layout_message(tui_layout *lay, const airlock_message *m);
/* Append plain text (sanitized or the client's own; copied) wrapped at
 * words, each row starting at `indent`, drawn with `extra`. */
void tui_layout_text(tui_layout *lay, const char *s, size_t n, attr_t extra,
                     int indent);
/* Append a key (bold, in kw columns) and its description wrapped beside
 * it; with kw 0, the description goes below the key (both copied). */
void tui_layout_pair(tui_layout *lay, const char *key, const char *text,
                     int kw);
/* Curses attributes for a set of AIRLOCK_STYLE_* bits. */
attr_t tui_style_attr(uint32_t style);

/* ------------------------------------------------------------------------ */
/* tui_hist.c: a window of at most TUI_WINDOW_PAGES pages of one           */
/* conversation; older pages load as the view scrolls up, newer ones come   */
/* back as it scrolls down, so a conversation of any length costs a few     */
/* pages of memory.                                                         */
/* ------------------------------------------------------------------------ */

typedef struct tui_hist {
    char addr[TUI_ADDR_MAX];         /* "" when closed */
    size_t limit;                    /* messages per page, fixed while open */
    int64_t *cursors;                /* cursors[i]: page i was read with it */
    size_t ncursors, capcursors;
    airlock_message_list *pages[TUI_WINDOW_PAGES]; /* [0] the newest held */
    size_t rows[TUI_WINDOW_PAGES];   /* rows each page took in the layout */
    size_t first;                    /* page number of pages[0] */
    size_t count;                    /* pages held */
    int at_end;                      /* pages[count-1] is the oldest page */
    int stale;                       /* newer messages arrived below */
} tui_hist;

void tui_hist_init(tui_hist *h);
void tui_hist_close(tui_hist *h);
/* Open addr and read its newest page. */
airlock_err tui_hist_open(tui_hist *h, airlock_ctx *ctx, const char *addr,
                          size_t limit);
/* Read the next older page. 1 when one was added, 0 at the oldest; a page
 * dropped from the bottom to make room sets *dropped_rows to its rows. */
int tui_hist_older(tui_hist *h, airlock_ctx *ctx, size_t *dropped_rows);
/* Read the next newer page back. 1 when one was added at the bottom, 0
 * when the window already holds the newest; 2 when newer messages had
 * arrived meanwhile and the window was reset to the newest page. */
int tui_hist_newer(tui_hist *h, airlock_ctx *ctx);
/* Read the held pages again (messages arrived, a re-render, receipts).
 * When the window is not at the bottom, new messages only mark it stale. */
airlock_err tui_hist_reload(tui_hist *h, airlock_ctx *ctx);
size_t tui_hist_messages(const tui_hist *h);

/* ------------------------------------------------------------------------ */
/* the client                                                                */
/* ------------------------------------------------------------------------ */

typedef enum tui_view {
    VIEW_CHAT = 0, VIEW_HELP, VIEW_SAFETY, VIEW_EVENTS
} tui_view;

typedef struct tui_entry {
    char address[TUI_ADDR_MAX];
    char label[TUI_ADDR_MAX];
    airlock_trust trust;
    int identity_changed;
    uint32_t unread;
} tui_entry;

/* key codes of our own (define_key) for bracketed paste */
#define TUI_KEY_PASTE_BEGIN (KEY_MAX + 1)
#define TUI_KEY_PASTE_END   (KEY_MAX + 2)

/* what needs drawing again */
#define TUI_D_LIST   (1u << 0)
#define TUI_D_MAIN   (1u << 1)
#define TUI_D_STATUS (1u << 2)
#define TUI_D_INPUT  (1u << 3)
#define TUI_D_ALL    (15u)

typedef struct tui {
    airlock_ctx *ctx;
    airlock_transport transport;
    /* windows (NULL while the terminal is too small) */
    WINDOW *w_list, *w_main, *w_status, *w_input;
    int list_w, too_small;
    unsigned dirty;
    /* conversations: chats, then requests, then blocked */
    tui_entry *list;
    size_t n, n_chats, n_requests, n_blocked;
    size_t sel;                      /* index into list; n when none */
    char current[TUI_ADDR_MAX];      /* open conversation, "" when none */
    /* the open conversation */
    tui_hist hist;
    tui_layout lay;
    int lay_valid;
    int scroll;                      /* rows scrolled up from the bottom */
    int reveal;                      /* spoilers shown */
    /* views */
    tui_view v;
    char safety_addr[TUI_ADDR_MAX];
    airlock_event_list *events;
    int view_scroll;                 /* help and events */
    /* composer */
    tui_line line;
    char *hist_lines[TUI_HISTORY];
    size_t nhist, hpos;
    char comp_prefix[TUI_ADDR_MAX];  /* Tab: what was typed */
    size_t comp_start, comp_state;
    int comp_active;
    int pasting;                     /* inside a bracketed paste */
    /* status */
    char flash[256];
    uint32_t unseen;
    /* what the loop must read again */
    int need_contacts, need_history, need_events, quit;
} tui;

/* tui_draw.c */
void tui_windows_make(tui *t);
void tui_windows_free(tui *t);
void tui_draw(tui *t);
/* Rows the message view has for messages (after title and banner). */
int tui_main_rows(const tui *t);
/* Lay out the open conversation if needed, keeping the view filled. */
void tui_ensure_layout(tui *t);
/* Scroll the conversation by rows (positive: older), reading pages. */
void tui_scroll(tui *t, int rows);

/* tui_cmd.c */
void tui_say(tui *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tui_key(tui *t, int kind, wint_t c);
void tui_alt_key(tui *t, int kind, wint_t c);
void tui_escape(tui *t);
void tui_load_contacts(tui *t);
void tui_open_conversation(tui *t, const char *addr);
void tui_reload_history(tui *t);
/* Read the security events again and mark them seen. */
void tui_events_reload(tui *t);
const tui_entry *tui_current_entry(const tui *t);
void tui_cmd_free(tui *t);

/* tui_setup.c: what the set-up screens typed; cfg points into it while
 * the account is created and opened. tui_setup_wipe clears the secrets. */
typedef struct tui_setup {
    char account[TUI_ADDR_MAX];
    char passphrase[1024];
    char xmpp_password[1024];
    char xmpp_host[TUI_ADDR_MAX];
} tui_setup;

/* Open the account of cfg, running the first-run set-up (transport,
 * address, passphrase), the choice between several accounts or the
 * passphrase prompt as needed. *abort_flag (a signal) is polled. Returns
 * AIRLOCK_OK with *out, the error to report, or AIRLOCK_ERR_STATE when the
 * user left. */
airlock_err tui_setup_open(airlock_config *cfg, tui_setup *su,
                           volatile sig_atomic_t *abort_flag,
                           airlock_ctx **out);
void tui_setup_wipe(tui_setup *su);

#endif /* AIRLOCK_UI_TUI_INT_H */

/*
 * tui_draw.c - the client's windows and everything drawn in them.
 *
 *   +-- list --+-- main ---------------------------------+
 *   | Chats    | title: who, trust, scroll position       |
 *   |  1 bob   | banner (requests, blocked, changed keys) |
 *   | Requests | messages / help / safety number / events |
 *   +----------+-----------------------------------------+
 *   | status: account, transport, unread, security events |
 *   | > composer                                          |
 *
 * Each window is drawn only when marked dirty, then wnoutrefresh'd; one
 * doupdate per loop turn puts the changes on the terminal (no flicker).
 * The composer is refreshed last so the cursor rests in it. Only sanitized
 * text from the library and the client's own strings are drawn, and no
 * colour is used anywhere: attributes only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui_int.h"

static const char VLINE[] = "\xe2\x94\x82";          /* │ */
static const char ELLIPSIS[] = "\xe2\x80\xa6";       /* … */
static const char NEWLINE_MARK[] = "\xe2\x86\xb5";   /* ↵ */
static const char CHECK[] = "\xe2\x9c\x93";          /* ✓ */

/* ------------------------------------------------------------------------ */
/* primitives                                                                */
/* ------------------------------------------------------------------------ */

/* Put n bytes of text at (y, x), clipped to w columns; the columns used. */
static int put_text(WINDOW *win, int y, int x, int w, const char *s,
                    size_t n, attr_t a)
{
    int used = 0;
    size_t fit;

    if (w <= 0)
        return 0;
    fit = tui_fit(s, n, w, &used);
    if (fit == 0)
        return 0;
    wattrset(win, a);
    mvwaddnstr(win, y, x, s, (int)fit);
    wattrset(win, A_NORMAL);
    return used;
}

static int put_str(WINDOW *win, int y, int x, int w, const char *s,
                   attr_t a)
{
    return put_text(win, y, x, w, s, strlen(s), a);
}

/* Like put_str, but a string that does not fit ends in an ellipsis. */
static int put_trunc(WINDOW *win, int y, int x, int w, const char *s,
                     attr_t a)
{
    size_t n = strlen(s);
    int used = 0;

    if ((int)airlock_text_width(s, n) <= w)
        return put_str(win, y, x, w, s, a);
    if (w < 2)
        return 0;
    used = put_text(win, y, x, w - 1, s, n, a);
    return used + put_str(win, y, x + used, 1, ELLIPSIS, a);
}

static void fill_row(WINDOW *win, int y, int w, attr_t a)
{
    wattrset(win, a);
    mvwhline(win, y, 0, ' ', w);
    wattrset(win, A_NORMAL);
}

static int text_w(const char *s)
{
    return (int)airlock_text_width(s, strlen(s));
}

static int64_t now_ms(void)
{
    return (int64_t)time(NULL) * 1000;
}

/* ------------------------------------------------------------------------ */
/* windows                                                                   */
/* ------------------------------------------------------------------------ */

void tui_windows_free(tui *t)
{
    WINDOW **w[4] = { &t->w_list, &t->w_main, &t->w_status, &t->w_input };
    size_t i;

    for (i = 0; i < 4; i++)
        if (*w[i] != NULL) {
            delwin(*w[i]);
            *w[i] = NULL;
        }
}

void tui_windows_make(tui *t)
{
    int h = LINES - 2;

    tui_windows_free(t);
    t->too_small = COLS < TUI_MIN_COLS || LINES < TUI_MIN_LINES;
    t->dirty = TUI_D_ALL;
    t->lay_valid = 0;
    if (t->too_small)
        return;
    t->list_w = COLS / 4;
    if (t->list_w < 18)
        t->list_w = 18;
    if (t->list_w > 28)
        t->list_w = 28;
    t->w_list = newwin(h, t->list_w, 0, 0);
    t->w_main = newwin(h, COLS - t->list_w, 0, t->list_w);
    t->w_status = newwin(1, COLS, LINES - 2, 0);
    t->w_input = newwin(1, COLS, LINES - 1, 0);
    if (t->w_list == NULL || t->w_main == NULL || t->w_status == NULL ||
        t->w_input == NULL) {
        tui_windows_free(t);
        t->too_small = 1;
        return;
    }
    keypad(t->w_input, TRUE);
}

/* ------------------------------------------------------------------------ */
/* the conversation list                                                     */
/* ------------------------------------------------------------------------ */

static void draw_list(tui *t)
{
    static const char *const titles[3] = { "Chats", "Requests", "Blocked" };
    size_t counts[3] = { t->n_chats, t->n_requests, t->n_blocked };
    int h = getmaxy(t->w_list), w = t->list_w - 1;
    int total = 3 + (int)t->n, sel_row = -1, row = 0, top = 0, y;
    size_t k, i, idx = 0;

    werase(t->w_list);
    /* rows: a title per section, an entry per conversation; scrolled so
     * the selected one shows */
    if (t->sel < t->n) {
        size_t before = 0;

        for (k = 0; k < 3; k++) {
            if (t->sel < before + counts[k]) {
                sel_row = (int)(k + t->sel) + 1;
                break;
            }
            before += counts[k];
        }
    }
    if (total > h && sel_row >= h - 1)
        top = sel_row - h + 2;
    for (k = 0; k < 3; k++) {
        char head[64];

        snprintf(head, sizeof head, " %s (%zu)", titles[k], counts[k]);
        if (row >= top && row - top < h)
            put_str(t->w_list, row - top, 0, w, head,
                    k == 1 && counts[1] > 0 ? A_BOLD | A_UNDERLINE : A_BOLD);
        row++;
        for (i = 0; i < counts[k]; i++, idx++, row++) {
            const tui_entry *e = &t->list[idx];
            char num[8], unread[16], marks[16];
            attr_t a = A_NORMAL;
            int x, mw, uw;

            if (row < top || row - top >= h)
                continue;
            y = row - top;
            if (idx == t->sel)
                a |= A_REVERSE;
            if (e->unread > 0)
                a |= A_BOLD;
            if (k == 2)
                a |= A_DIM;
            fill_row(t->w_list, y, w, a);
            snprintf(num, sizeof num, idx < 9 ? " %zu " : "   ", idx + 1);
            marks[0] = '\0';
            if (e->identity_changed)
                snprintf(marks, sizeof marks, " !");
            else if (e->trust == AIRLOCK_TRUST_VERIFIED)
                snprintf(marks, sizeof marks, " %s", CHECK);
            unread[0] = '\0';
            if (e->unread > 0)
                snprintf(unread, sizeof unread, " %u", e->unread);
            mw = text_w(marks);
            uw = text_w(unread);
            x = put_str(t->w_list, y, 0, w, num, a);
            x += put_trunc(t->w_list, y, x, w - x - mw - uw - 1, e->label,
                           a);
            x += put_str(t->w_list, y, x, w - x, marks,
                         e->identity_changed ? a | A_BOLD : a);
            put_str(t->w_list, y, w - uw - 1, uw, unread, a);
        }
    }
    for (y = 0; y < h; y++)
        mvwaddstr(t->w_list, y, w, VLINE);
    wnoutrefresh(t->w_list);
}

/* ------------------------------------------------------------------------ */
/* the conversation                                                          */
/* ------------------------------------------------------------------------ */

static int main_width(const tui *t)
{
    return COLS - t->list_w;
}

/* The text above the messages of the open conversation, if any; laid out
 * into `lay` (the caller clears it). */
static void banner(const tui *t, tui_layout *lay)
{
    const tui_entry *e = tui_current_entry(t);
    char s[600];

    tui_layout_init(lay, main_width(t) - 2, 0, 0);
    if (e == NULL)
        return;
    if (e->trust == AIRLOCK_TRUST_UNKNOWN) {
        snprintf(s, sizeof s, "Message request: %s is not a contact.",
                 e->label);
        tui_layout_text(lay, s, strlen(s), A_REVERSE | A_BOLD, 0);
        snprintf(s, sizeof s, "Shown as plain text; links and attachments "
                 "are withheld.");
        tui_layout_text(lay, s, strlen(s), A_REVERSE, 0);
        snprintf(s, sizeof s, "/accept   /block   /delete");
        tui_layout_text(lay, s, strlen(s), A_REVERSE | A_BOLD, 0);
    } else if (e->trust == AIRLOCK_TRUST_BLOCKED) {
        snprintf(s, sizeof s, "You blocked %s: their messages are dropped "
                 "unread. /unblock to allow requests again.", e->label);
        tui_layout_text(lay, s, strlen(s), A_REVERSE, 0);
    } else if (e->identity_changed) {
        snprintf(s, sizeof s, "The safety number with %s changed. Messages "
                 "from the new key are plain text until you review it: "
                 "/verify", e->label);
        tui_layout_text(lay, s, strlen(s), A_REVERSE | A_BOLD, 0);
    }
}

int tui_main_rows(const tui *t)
{
    tui_layout b;
    int rows;

    if (t->too_small)
        return 1;
    banner(t, &b);
    rows = LINES - 2 - 1 - (int)b.n;
    tui_layout_clear(&b);
    return rows > 1 ? rows : 1;
}

static void rebuild_layout(tui *t)
{
    const tui_entry *e = tui_current_entry(t);
    size_t p, i;

    tui_layout_clear(&t->lay);
    tui_layout_init(&t->lay, main_width(t) - 2, t->reveal, now_ms());
    t->lay.mark_inert = e != NULL && (e->trust == AIRLOCK_TRUST_ACCEPTED ||
                                      e->trust == AIRLOCK_TRUST_VERIFIED);
    for (p = t->hist.count; p > 0; p--) {
        const airlock_message_list *l = t->hist.pages[p - 1];
        size_t before = t->lay.n;

        for (i = airlock_message_list_count(l); i > 0; i--)
            tui_layout_message(&t->lay, airlock_message_list_get(l, i - 1));
        t->hist.rows[p - 1] = t->lay.n - before;
    }
    t->lay_valid = 1;
}

void tui_ensure_layout(tui *t)
{
    int want;

    if (t->too_small)
        return;
    if (!t->lay_valid || t->lay.width != main_width(t) - 2 ||
        t->lay.reveal != t->reveal)
        rebuild_layout(t);
    /* a screenful and a margin above it */
    want = 2 * tui_main_rows(t);
    while ((int)t->lay.n < want && t->hist.count > 0 &&
           t->hist.count < TUI_WINDOW_PAGES && !t->hist.at_end) {
        size_t dropped = 0;

        if (!tui_hist_older(&t->hist, t->ctx, &dropped))
            break;
        rebuild_layout(t);
    }
}

void tui_scroll(tui *t, int rows)
{
    int h;

    if (t->too_small || t->hist.count == 0)
        return;
    tui_ensure_layout(t);
    h = tui_main_rows(t);
    t->scroll += rows;
    while (rows > 0 && (int)t->lay.n - h - t->scroll < 0) {
        size_t dropped = 0;

        if (!tui_hist_older(&t->hist, t->ctx, &dropped))
            break;
        t->scroll -= (int)dropped;
        rebuild_layout(t);
    }
    while (rows < 0 && t->scroll < 0) {
        int r = tui_hist_newer(&t->hist, t->ctx);

        if (r == 0)
            break;
        rebuild_layout(t);
        if (r == 2) {
            t->scroll = 0;
            break;
        }
        t->scroll += (int)t->hist.rows[0];
    }
    if (t->scroll > (int)t->lay.n - h)
        t->scroll = (int)t->lay.n - h;
    if (t->scroll < 0)
        t->scroll = 0;
    t->dirty |= TUI_D_MAIN;
}

static void draw_rows(WINDOW *win, const tui_layout *lay, size_t from,
                      int top, int h, int x, int w)
{
    int y;

    for (y = 0; y < h && from + (size_t)y < lay->n; y++) {
        const tui_row *r = &lay->rows[from + (size_t)y];
        size_t s;
        int col = x;

        for (s = 0; s < r->nseg && col < x + w; s++) {
            const tui_seg *sg = &lay->segs[r->first + s];

            col += put_text(win, top + y, col, x + w - col, sg->text,
                            sg->len, tui_style_attr(sg->style) | sg->extra);
        }
    }
}

static void draw_title(tui *t, const char *name, const char *what,
                       const char *right, attr_t ra)
{
    int w = main_width(t), x, rw = right != NULL ? text_w(right) : 0;

    x = put_trunc(t->w_main, 0, 1, w - 2 - rw, name, A_BOLD);
    if (what != NULL)
        put_str(t->w_main, 0, 1 + x, w - 3 - x - rw, what, A_DIM);
    if (right != NULL)
        put_str(t->w_main, 0, w - rw - 1, rw, right, ra);
}

static void draw_chat(tui *t)
{
    const tui_entry *e = tui_current_entry(t);
    int w = main_width(t), h, top, start;
    const char *what = NULL, *right = NULL;
    tui_layout b;
    attr_t ra = A_DIM;

    if (t->current[0] == '\0') {
        draw_title(t, "Airlock", NULL, NULL, 0);
        put_str(t->w_main, 2, 1, w - 2, "No conversation open.", A_BOLD);
        put_str(t->w_main, 4, 1, w - 2, "Alt-1..9 or Ctrl-N / Ctrl-P "
                "open one from the list;", A_NORMAL);
        put_str(t->w_main, 5, 1, w - 2, "/msg ADDRESS starts one. "
                "/help lists every key.", A_NORMAL);
        return;
    }
    if (e == NULL)
        what = "  not in your list yet";
    else if (e->trust == AIRLOCK_TRUST_UNKNOWN)
        what = "  message request";
    else if (e->trust == AIRLOCK_TRUST_BLOCKED)
        what = "  blocked";
    else if (e->identity_changed)
        what = "  safety number changed";
    else if (e->trust == AIRLOCK_TRUST_VERIFIED)
        what = "  contact, verified \xe2\x9c\x93";
    else
        what = "  contact";
    if (t->hist.stale) {
        right = "new messages below: PgDn";
        ra = A_BOLD;
    } else if (t->scroll > 0 || t->hist.first > 0) {
        right = "more below: PgDn";
    }
    draw_title(t, e != NULL ? e->label : t->current, what, right, ra);
    banner(t, &b);
    top = 1;
    if (b.n > 0) {
        int y;

        for (y = 0; y < (int)b.n; y++)
            fill_row(t->w_main, top + y, w, A_REVERSE);
        draw_rows(t->w_main, &b, 0, top, (int)b.n, 1, w - 2);
        top += (int)b.n;
    }
    tui_layout_clear(&b);
    h = getmaxy(t->w_main) - top;
    tui_ensure_layout(t);
    if (t->lay.n == 0) {
        put_str(t->w_main, top + 1, 1, w - 2, "No messages yet.", A_DIM);
        return;
    }
    if (t->scroll > (int)t->lay.n - h)
        t->scroll = (int)t->lay.n - h > 0 ? (int)t->lay.n - h : 0;
    start = (int)t->lay.n - h - t->scroll;
    if (start < 0) {
        /* fewer rows than the view: they sit at the bottom, next to the
         * composer, as chat clients show them */
        top -= start;
        h += start;
        start = 0;
    }
    draw_rows(t->w_main, &t->lay, (size_t)start, top, h, 1, w - 2);
    if (t->lay.failed)
        put_str(t->w_main, getmaxy(t->w_main) - 1, 1, w - 2,
                "[out of memory: some lines are missing]", A_BOLD);
}

/* ------------------------------------------------------------------------ */
/* help, safety numbers, security events                                     */
/* ------------------------------------------------------------------------ */

static const char *const help_lines[] = {
    "#Commands",
    "/msg ADDR [text]|open or start a conversation, and send text",
    "/query ADDR|open a conversation without sending",
    "/accept [ADDR]|make a request's sender a contact: their messages "
        "are shown in full",
    "/block [ADDR]|drop their messages before decryption",
    "/unblock [ADDR]|allow their messages again, as a request",
    "/delete [ADDR]|delete a request and its messages",
    "/verify [ADDR]|the safety number screen (also /safety)",
    "/ack [ADDR]|acknowledge a changed safety number",
    "/events|security events (viewing marks them seen)",
    "/close|back to the conversation (also Esc)",
    "/help|this screen",
    "/quit|leave (also Ctrl-C on an empty line)",
    "//text|send text that starts with a slash",
    "#Keys",
    "Alt-1..9|open conversation 1..9 of the list",
    "Ctrl-N, Ctrl-P|next, previous conversation",
    "PgUp, PgDn|scroll; older history is read as you go",
    "Esc|back to the conversation, and to its newest message",
    "Tab|complete commands and addresses (again: the next match)",
    "Up, Down|composer history",
    "Alt-Enter|a new line in the message",
    "Ctrl-R|reveal or hide spoilers",
    "Left Right Home End|move in the composer (also Ctrl-B, Ctrl-F, "
        "Ctrl-A, Ctrl-E)",
    "Backspace, Delete|delete a character (also Ctrl-D)",
    "Ctrl-U Ctrl-K Ctrl-W|delete to the start, to the end, the word "
        "before",
    "Ctrl-L|redraw the screen",
    "#Safety number screen",
    "v|mark the contact verified, after comparing",
    "a|acknowledge a changed safety number",
    "#Message requests",
    "Messages from people you have not accepted are shown as plain text: "
    "no styling, no links, no attachments, and nothing in them causes "
    "network traffic. The composer takes commands only until you "
    "/accept: replying would make the sender a contact.",
};

static void draw_help(tui *t)
{
    int w = main_width(t), h = getmaxy(t->w_main) - 2, kw, n;
    size_t i;
    tui_layout lay;

    kw = w >= 56 ? 22 : 0;
    tui_layout_init(&lay, w - 3, 0, 0);
    for (i = 0; i < sizeof help_lines / sizeof help_lines[0]; i++) {
        const char *l = help_lines[i], *bar = strchr(l, '|');

        if (l[0] == '#') {
            if (i > 0)
                tui_layout_text(&lay, "", 0, 0, 0);
            tui_layout_text(&lay, l + 1, strlen(l + 1), A_BOLD | A_UNDERLINE,
                            0);
        } else if (bar != NULL) {
            char key[64];

            snprintf(key, sizeof key, "%.*s", (int)(bar - l), l);
            tui_layout_pair(&lay, key, bar + 1, kw);
        } else {
            tui_layout_text(&lay, l, strlen(l), 0, 0);
        }
    }
    n = (int)lay.n;
    if (t->view_scroll > n - h)
        t->view_scroll = n - h > 0 ? n - h : 0;
    draw_title(t, "Help", "  Esc to go back",
               n > h ? "PgUp/PgDn to scroll" : NULL, A_DIM);
    draw_rows(t->w_main, &lay, (size_t)t->view_scroll, 2, h, 2, w - 3);
    tui_layout_clear(&lay);
}

static void draw_safety(tui *t)
{
    char num[AIRLOCK_SAFETY_NUMBER_LEN], s[600];
    const tui_entry *e = NULL;
    int w = main_width(t), y, row;
    airlock_err err;
    tui_layout lay;
    size_t i;

    for (i = 0; i < t->n; i++)
        if (strcmp(t->list[i].address, t->safety_addr) == 0)
            e = &t->list[i];
    if (e == NULL) {
        draw_title(t, "Safety number", NULL, NULL, 0);
        put_str(t->w_main, 2, 1, w - 2, "Open a conversation with a contact "
                "first, or /verify ADDRESS.", A_NORMAL);
        return;
    }
    snprintf(s, sizeof s, "Safety number with %s", e->label);
    draw_title(t, s, NULL, NULL, 0);
    err = airlock_safety_number(t->ctx, e->address, num);
    if (err != AIRLOCK_OK) {
        snprintf(s, sizeof s, "Not available: %s.", airlock_strerror(err));
        put_str(t->w_main, 2, 1, w - 2, s, A_NORMAL);
        return;
    }
    /* 12 groups of five digits: three rows of four, as Signal shows them */
    for (row = 0; row < 3; row++)
        put_text(t->w_main, 2 + row, 4, w - 5, num + row * 24,
                 row < 2 ? 23 : strlen(num + 48), A_BOLD);
    tui_layout_init(&lay, w - 3, 0, 0);
    snprintf(s, sizeof s, "%s's device shows the same 60 digits. Compare "
             "them in person or over a call you trust; if they match, "
             "nobody is in between.", e->label);
    tui_layout_text(&lay, s, strlen(s), A_NORMAL, 0);
    y = 6;
    draw_rows(t->w_main, &lay, 0, y, (int)lay.n, 1, w - 2);
    y += (int)lay.n + 1;
    tui_layout_clear(&lay);
    tui_layout_init(&lay, w - 3, 0, 0);
    if (e->identity_changed) {
        snprintf(s, sizeof s, "WARNING: %s's safety number changed (a new "
                 "key or a new device). Their new messages are shown as "
                 "plain text until you acknowledge it. If you did not "
                 "expect this, ask them before you do.", e->label);
        tui_layout_text(&lay, s, strlen(s), A_BOLD | A_REVERSE, 0);
        tui_layout_text(&lay, "", 0, A_NORMAL, 0);
        snprintf(s, sizeof s, "a  acknowledge the new safety number    "
                 "Esc  back");
        tui_layout_text(&lay, s, strlen(s), A_NORMAL, 0);
    } else if (e->trust == AIRLOCK_TRUST_VERIFIED) {
        snprintf(s, sizeof s, "%s Verified: you compared this number.",
                 CHECK);
        tui_layout_text(&lay, s, strlen(s), A_BOLD, 0);
        tui_layout_text(&lay, "", 0, A_NORMAL, 0);
        tui_layout_text(&lay, "Esc  back", 9, A_NORMAL, 0);
    } else if (e->trust == AIRLOCK_TRUST_ACCEPTED) {
        tui_layout_text(&lay, "Not verified yet.", 17, A_BOLD, 0);
        tui_layout_text(&lay, "", 0, A_NORMAL, 0);
        snprintf(s, sizeof s, "v  mark as verified (only after "
                 "comparing)    Esc  back");
        tui_layout_text(&lay, s, strlen(s), A_NORMAL, 0);
    } else {
        snprintf(s, sizeof s, "%s is not a contact: /accept first, then "
                 "verify.", e->label);
        tui_layout_text(&lay, s, strlen(s), A_BOLD, 0);
    }
    draw_rows(t->w_main, &lay, 0, y, getmaxy(t->w_main) - y, 1, w - 2);
    tui_layout_clear(&lay);
}

static void draw_events(tui *t)
{
    int w = main_width(t), y = 3, n, per, h, wide = w >= 74;
    size_t i;
    char right[48];

    /* wide: one row per event; narrow: the sender and detail below */
    per = wide ? 1 : 2;
    h = (getmaxy(t->w_main) - 3) / per;
    n = t->events != NULL ? (int)airlock_event_list_count(t->events) : 0;
    if (t->view_scroll > n - h)
        t->view_scroll = n - h > 0 ? n - h : 0;
    if (n > h)
        snprintf(right, sizeof right, "%d-%d of %d", t->view_scroll + 1,
                 t->view_scroll + h < n ? t->view_scroll + h : n, n);
    else
        snprintf(right, sizeof right, "%d", n);
    draw_title(t, "Security events", "  newest first", right, A_DIM);
    put_str(t->w_main, 2, 1, w - 2, wide ?
            "when         kind                 from               count" :
            "when         kind                 count", A_UNDERLINE);
    if (n == 0) {
        put_str(t->w_main, 3, 1, w - 2, "None recorded.", A_NORMAL);
        return;
    }
    for (i = (size_t)t->view_scroll; (int)i < n && y + per - 1 <
         getmaxy(t->w_main); i++, y += per) {
        const airlock_security_event *e = airlock_event_list_get(t->events,
                                                                 i);
        char when[32], count[16];
        time_t tt;
        struct tm tm;
        int x = 1;

        if (e == NULL)
            continue;
        tt = (time_t)(e->last_ms / 1000);
        localtime_r(&tt, &tm);
        strftime(when, sizeof when, "%m-%d %H:%M", &tm);
        snprintf(count, sizeof count, "x%u", e->count);
        put_str(t->w_main, y, x, 12, when, A_NORMAL);
        x += 13;
        put_trunc(t->w_main, y, x, 20, airlock_sec_kind_name(e->kind),
                  A_BOLD);
        x += 21;
        if (wide) {
            put_trunc(t->w_main, y, x, 18, e->sender[0] ? e->sender : "-",
                      A_NORMAL);
            x += 19;
            put_str(t->w_main, y, x, 7, count, A_NORMAL);
            x += 8;
            if (x < w - 2)
                put_trunc(t->w_main, y, x, w - 1 - x, e->detail, A_DIM);
        } else {
            char more[600];

            put_str(t->w_main, y, x, w - 1 - x, count, A_NORMAL);
            snprintf(more, sizeof more, "%s%s%s",
                     e->sender[0] ? e->sender : "", e->sender[0] &&
                     e->detail[0] ? ": " : "", e->detail);
            put_trunc(t->w_main, y + 1, 14, w - 15, more, A_DIM);
        }
    }
}

static void draw_main(tui *t)
{
    werase(t->w_main);
    switch (t->v) {
    case VIEW_CHAT:
        draw_chat(t);
        break;
    case VIEW_HELP:
        draw_help(t);
        break;
    case VIEW_SAFETY:
        draw_safety(t);
        break;
    case VIEW_EVENTS:
        draw_events(t);
        break;
    }
    wnoutrefresh(t->w_main);
}

/* ------------------------------------------------------------------------ */
/* status and composer                                                       */
/* ------------------------------------------------------------------------ */

static void draw_status(tui *t)
{
    char s[512], ev[64];
    uint32_t unread = 0;
    size_t i;
    int x, up = airlock_transport_up(t->ctx), compact;
    const char *tr = t->transport == AIRLOCK_TRANSPORT_XMPP ? "xmpp" :
                     "local mailbox";

    for (i = 0; i < t->n; i++)
        if (t->list[i].trust != AIRLOCK_TRUST_BLOCKED)
            unread += t->list[i].unread;
    werase(t->w_status);
    fill_row(t->w_status, 0, COLS, A_REVERSE);
    /* the long form when it fits, else a short one: the security events
     * must not be cut off */
    for (compact = 0; compact < 2; compact++) {
        ev[0] = '\0';
        if (t->unseen > 0)
            snprintf(ev, sizeof ev, compact ? "%s %u new events: /events " :
                     "%s %u new security event%s: /events ", VLINE,
                     t->unseen, t->unseen == 1 ? "" : "s");
        snprintf(s, sizeof s, " %s %s %s: %s %s %u unread ",
                 airlock_account(t->ctx), VLINE,
                 compact ? (t->transport == AIRLOCK_TRANSPORT_XMPP ? "xmpp" :
                            "local") : tr,
                 up ? (compact ? "up" : "connected") : "DOWN", VLINE,
                 unread);
        if (text_w(s) + text_w(ev) <= COLS)
            break;
    }
    x = put_str(t->w_status, 0, 0, COLS, s, A_REVERSE);
    if (ev[0] != '\0')
        x += put_str(t->w_status, 0, x, COLS - x, ev, A_REVERSE | A_BOLD);
    if (t->flash[0] != '\0') {
        int fw = text_w(t->flash) + 2, fx = COLS - fw;

        /* after the account and counts when it fits there, else over
         * them from a third of the width on */
        if (fx < x + 1)
            fx = COLS - x - 2 >= 30 ? x + 1 : COLS / 3;
        wattrset(t->w_status, A_REVERSE);
        mvwhline(t->w_status, 0, fx, ' ', COLS - fx);
        wattrset(t->w_status, A_NORMAL);
        put_trunc(t->w_status, 0, fx + 1, COLS - fx - 2, t->flash,
                  A_REVERSE | A_BOLD);
    }
    wnoutrefresh(t->w_status);
}

static void draw_input(tui *t)
{
    const tui_line *l = &t->line;
    const char *s = tui_line_text(l);
    int w = COLS - 2, col = 0, cx = 2;
    size_t i = tui_line_scroll(l, w);

    werase(t->w_input);
    mvwaddstr(t->w_input, 0, 0, "> ");
    if (l->len == 0) {
        const tui_entry *e = tui_current_entry(t);
        const char *hint = NULL;

        if (t->current[0] == '\0')
            hint = "/msg ADDRESS to start a conversation, /help for keys";
        else if (e != NULL && e->trust == AIRLOCK_TRUST_UNKNOWN)
            hint = "a request: /accept, /block or /delete";
        else if (e != NULL && e->trust == AIRLOCK_TRUST_BLOCKED)
            hint = "blocked: /unblock to allow requests again";
        if (hint != NULL)
            put_str(t->w_input, 0, 2, w, hint, A_DIM);
    }
    for (; i < l->len && col < w;) {
        size_t k = tui_cp_len(s + i, l->len - i);
        int cw = s[i] == '\n' ? 1 : (int)airlock_text_width(s + i, k);

        if (col + cw > w)
            break;
        if (i == l->cur)
            cx = 2 + col;
        if (s[i] == '\n')
            put_str(t->w_input, 0, 2 + col, 1, NEWLINE_MARK, A_DIM);
        else
            put_text(t->w_input, 0, 2 + col, cw > 0 ? cw : 1, s + i, k,
                     A_NORMAL);
        col += cw;
        i += k;
    }
    if (l->cur >= i)
        cx = 2 + col;
    if (cx > COLS - 1)
        cx = COLS - 1;
    wmove(t->w_input, 0, cx);
    wnoutrefresh(t->w_input);
}

/* ------------------------------------------------------------------------ */

void tui_draw(tui *t)
{
    if (t->too_small) {
        char msg[128];

        if (t->dirty == 0)
            return;
        erase();
        snprintf(msg, sizeof msg, "The window is %dx%d; Airlock needs at "
                 "least %dx%d.", COLS, LINES, TUI_MIN_COLS, TUI_MIN_LINES);
        put_str(stdscr, LINES / 2 > 0 ? LINES / 2 - 1 : 0, 1, COLS - 1, msg,
                A_BOLD);
        put_str(stdscr, LINES / 2, 1, COLS - 1, "Make it larger, or /quit.",
                A_NORMAL);
        refresh();
        t->dirty = 0;
        return;
    }
    if (t->dirty == 0)
        return;
    if (t->dirty & TUI_D_LIST)
        draw_list(t);
    if (t->dirty & TUI_D_MAIN)
        draw_main(t);
    if (t->dirty & TUI_D_STATUS)
        draw_status(t);
    draw_input(t);
    doupdate();
    t->dirty = 0;
}

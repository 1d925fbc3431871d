/*
 * tui.c - the `airlock` terminal client. Text reaches the screen only from
 * display models (sanitized spans) and library-sanitized strings; widths
 * come from airlock_text_width (utf8proc inside the library). The loop
 * polls the terminal and airlock_fd() together.
 */
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include <airlock/airlock.h>

#include "tui.h"
#include "tui_int.h"

#define LIST_W 26
#define MIN_COLS 60
#define MIN_LINES 16
#define PAGE 100
#define POLL_MS 250

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

int tui_available(void)
{
    return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

/* ---------------------------------------------------------------------- */
/* model of the screen                                                     */
/* ---------------------------------------------------------------------- */

typedef enum view { VIEW_CHAT, VIEW_HELP, VIEW_SAFETY, VIEW_EVENTS } view;

typedef struct entry {
    char address[256];
    char label[256];
    airlock_trust trust;
    int identity_changed;
    uint32_t unread;
} entry;

typedef struct tui {
    airlock_ctx *ctx;
    entry *list;                 /* chats, then requests, then blocked */
    size_t n, n_chats, n_requests, n_blocked;
    size_t sel;                  /* index into list; n when none */
    char current[256];           /* open conversation, "" when none */
    airlock_message_list *pages[64];
    size_t npages;
    int scroll;                  /* lines scrolled up from the bottom */
    tui_line line;               /* composer */
    char *hist[TUI_HISTORY];
    size_t nhist, hpos;
    view v;
    int reveal;                  /* spoilers shown */
    char flash[256];
    int dirty_contacts, dirty_history, quit;
    uint32_t unseen;
} tui;

static void say(tui *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(tui *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(t->flash, sizeof t->flash, fmt, ap);
    va_end(ap);
}

static void free_pages(tui *t)
{
    size_t i;

    for (i = 0; i < t->npages; i++)
        airlock_message_list_free(t->pages[i]);
    t->npages = 0;
}

static void load_history(tui *t)
{
    airlock_message_list *l = NULL;

    free_pages(t);
    t->dirty_history = 0;
    if (t->current[0] == '\0')
        return;
    if (airlock_history(t->ctx, t->current, 0, PAGE, &l) == AIRLOCK_OK)
        t->pages[t->npages++] = l;
    if (airlock_mark_read(t->ctx, t->current) != AIRLOCK_OK)
        say(t, "could not mark the conversation read");
    t->dirty_contacts = 1;
}

/* One more (older) page, when there is one. */
static int load_older(tui *t)
{
    airlock_message_list *l = NULL;
    int64_t cur;

    if (t->npages == 0 || t->npages == sizeof t->pages / sizeof t->pages[0])
        return 0;
    cur = airlock_message_list_cursor(t->pages[t->npages - 1]);
    if (cur == 0)
        return 0;
    if (airlock_history(t->ctx, t->current, cur, PAGE, &l) != AIRLOCK_OK)
        return 0;
    if (airlock_message_list_count(l) == 0) {
        airlock_message_list_free(l);
        return 0;
    }
    t->pages[t->npages++] = l;
    return 1;
}

static void load_contacts(tui *t)
{
    static const unsigned which[3] = { AIRLOCK_LIST_CHATS,
                                       AIRLOCK_LIST_REQUESTS,
                                       AIRLOCK_LIST_BLOCKED };
    size_t *counts[3] = { &t->n_chats, &t->n_requests, &t->n_blocked };
    entry *nl = NULL;
    size_t total = 0, k, i;

    t->dirty_contacts = 0;
    for (k = 0; k < 3; k++) {
        airlock_contact_list *l = NULL;
        size_t c;

        *counts[k] = 0;
        if (airlock_contacts(t->ctx, which[k], &l) != AIRLOCK_OK)
            continue;
        c = airlock_contact_list_count(l);
        if (c > 0) {
            entry *grown = realloc(nl, (total + c) * sizeof *nl);

            if (grown == NULL) {
                airlock_contact_list_free(l);
                continue;
            }
            nl = grown;
            for (i = 0; i < c; i++) {
                const airlock_contact *ct = airlock_contact_list_get(l, i);
                entry *e = &nl[total + i];

                snprintf(e->address, sizeof e->address, "%s", ct->address);
                snprintf(e->label, sizeof e->label, "%s", ct->label);
                e->trust = ct->trust;
                e->identity_changed = ct->identity_changed;
                e->unread = ct->unread;
            }
            total += c;
            *counts[k] = c;
        }
        airlock_contact_list_free(l);
    }
    free(t->list);
    t->list = nl;
    t->n = total;
    t->sel = t->n;
    for (i = 0; i < t->n; i++)
        if (strcmp(t->list[i].address, t->current) == 0)
            t->sel = i;
    t->unseen = airlock_security_events_unseen(t->ctx);
}

static const entry *current_entry(const tui *t)
{
    return t->sel < t->n ? &t->list[t->sel] : NULL;
}

static void open_conversation(tui *t, const char *addr)
{
    size_t i;

    snprintf(t->current, sizeof t->current, "%s", addr);
    t->scroll = 0;
    t->reveal = 0;
    t->v = VIEW_CHAT;
    t->sel = t->n;
    for (i = 0; i < t->n; i++)
        if (strcmp(t->list[i].address, addr) == 0)
            t->sel = i;
    load_history(t);
}

static void on_event(const airlock_event *ev, void *user)
{
    tui *t = user;

    switch (ev->kind) {
    case AIRLOCK_EVENT_MESSAGE:
    case AIRLOCK_EVENT_REQUEST:
    case AIRLOCK_EVENT_RERENDER:
    case AIRLOCK_EVENT_RECEIPT:
        if (ev->conversation != NULL &&
            strcmp(ev->conversation, t->current) == 0)
            t->dirty_history = 1;
        t->dirty_contacts = 1;
        break;
    case AIRLOCK_EVENT_SECURITY:
    case AIRLOCK_EVENT_CONTACTS:
    case AIRLOCK_EVENT_TRANSPORT:
        t->dirty_contacts = 1;
        break;
    }
}

/* ---------------------------------------------------------------------- */
/* drawing                                                                 */
/* ---------------------------------------------------------------------- */

static attr_t style_attr(uint32_t st)
{
    attr_t a = A_NORMAL;

    if (st & AIRLOCK_STYLE_BOLD)
        a |= A_BOLD;
#ifdef A_ITALIC
    if (st & AIRLOCK_STYLE_ITALIC)
        a |= A_ITALIC;
#endif
    if (st & AIRLOCK_STYLE_STRIKE)
        a |= A_DIM;
    if (st & (AIRLOCK_STYLE_MONO | AIRLOCK_STYLE_PRE))
        a |= A_REVERSE;
    if (st & AIRLOCK_STYLE_LINK)
        a |= A_UNDERLINE;
    return a;
}

/* Put n bytes of sanitized UTF-8 at (y, x) clipped to w columns; returns
 * the columns used. */
static int put_text(int y, int x, int w, const char *s, size_t n, attr_t a)
{
    size_t i = 0;
    int used = 0;

    while (i < n && used < w) {
        size_t cl = tui_cp_len(s + i, n - i);
        int cw = (int)airlock_text_width(s + i, cl);

        if (used + cw > w)
            break;
        attrset(a);
        mvaddnstr(y, x + used, s + i, (int)cl);
        used += cw;
        i += cl;
    }
    attrset(A_NORMAL);
    return used;
}

static void put_str(int y, int x, int w, const char *s, attr_t a)
{
    put_text(y, x, w, s, strlen(s), a);
}

static void draw_list(tui *t, int h)
{
    static const char *const titles[3] = { "Chats", "Requests", "Blocked" };
    size_t counts[3] = { t->n_chats, t->n_requests, t->n_blocked };
    size_t k, i, idx = 0;
    int y = 0;

    for (k = 0; k < 3 && y < h; k++) {
        char head[64];

        snprintf(head, sizeof head, " %s (%zu)", titles[k], counts[k]);
        put_str(y++, 0, LIST_W - 1, head, A_BOLD);
        for (i = 0; i < counts[k] && y < h; i++, idx++) {
            const entry *e = &t->list[idx];
            char line[300];
            attr_t a = idx == t->sel ? A_REVERSE : A_NORMAL;

            snprintf(line, sizeof line, "%s%zu %s%s", idx < 9 ? " " : "",
                     idx + 1, e->label, e->identity_changed ? " !" : "");
            if (e->unread > 0)
                a |= A_BOLD;
            mvhline(y, 0, ' ', LIST_W - 1);
            put_str(y++, 1, LIST_W - 3, line, a);
        }
    }
    mvvline(0, LIST_W - 1, ACS_VLINE, h);
}

/* The rendered conversation as a list of screen lines (tui_layout does
 * the wrapping); drawn bottom-up with `scroll`. */
static void draw_messages(tui *t, int top, int h, int x, int w)
{
    tui_layout lay;
    const entry *e = current_entry(t);
    size_t p, i;
    int y, start, banner = 0;

    if (t->current[0] == '\0') {
        put_str(top + 1, x + 1, w - 2, "No conversation open.", A_BOLD);
        put_str(top + 3, x + 1, w - 2,
                "Pick one with Alt-1..9 or Ctrl-N/Ctrl-P, or start one with",
                A_NORMAL);
        put_str(top + 4, x + 1, w - 2, "/msg ADDRESS text.  /help lists keys.",
                A_NORMAL);
        return;
    }
    if (e != NULL && e->trust == AIRLOCK_TRUST_UNKNOWN) {
        char b1[320];

        snprintf(b1, sizeof b1, " %s is not a contact.", e->label);
        attron(A_REVERSE);
        mvhline(top, x, ' ', w);
        mvhline(top + 1, x, ' ', w);
        mvhline(top + 2, x, ' ', w);
        attroff(A_REVERSE);
        put_str(top, x, w, b1, A_REVERSE | A_BOLD);
        put_str(top + 1, x, w, " Plain text only: styles, links and "
                "files withheld.", A_REVERSE);
        put_str(top + 2, x, w, " /accept   /block   /delete", A_REVERSE);
        banner = 3;
    } else if (e != NULL && e->identity_changed) {
        attron(A_REVERSE);
        mvhline(top, x, ' ', w);
        attroff(A_REVERSE);
        put_str(top, x, w, " Safety number changed: new messages are shown "
                "as plain text. /verify to review.", A_REVERSE | A_BOLD);
        banner = 1;
    }
    tui_layout_init(&lay, w - 1, t->reveal);
    /* pages are newest first; lay out oldest first */
    for (p = t->npages; p > 0; p--) {
        const airlock_message_list *l = t->pages[p - 1];

        for (i = airlock_message_list_count(l); i > 0; i--)
            tui_layout_message(&lay, airlock_message_list_get(l, i - 1));
    }
    h -= banner;
    top += banner;
    /* keep scroll in range; load older pages when scrolled to the top */
    while ((int)lay.n - t->scroll < h && t->scroll > 0 && load_older(t)) {
        tui_layout_clear(&lay);
        tui_layout_init(&lay, w - 1, t->reveal);
        for (p = t->npages; p > 0; p--) {
            const airlock_message_list *l = t->pages[p - 1];

            for (i = airlock_message_list_count(l); i > 0; i--)
                tui_layout_message(&lay, airlock_message_list_get(l, i - 1));
        }
    }
    if (t->scroll > (int)lay.n - h)
        t->scroll = (int)lay.n - h > 0 ? (int)lay.n - h : 0;
    start = (int)lay.n - h - t->scroll;
    if (start < 0)
        start = 0;
    for (y = 0; y < h && start + y < (int)lay.n; y++) {
        const tui_row *r = &lay.rows[start + y];
        size_t s;
        int col = x;

        for (s = 0; s < r->nseg; s++) {
            const tui_seg *sg = &lay.segs[r->first + s];

            col += put_text(top + y, col, x + w - col, sg->text, sg->len,
                            style_attr(sg->style) | sg->extra);
        }
    }
    tui_layout_clear(&lay);
}

static void draw_help(int top, int x, int w)
{
    static const char *const lines[] = {
        "Commands",
        "  /msg ADDR [text]   open (or start) a conversation",
        "  /accept /block /unblock /delete   decide about the open request",
        "  /verify            safety numbers (v verify, a acknowledge)",
        "  /events            security events",
        "  /help  /close  /quit",
        "Keys",
        "  Alt-1..9, Ctrl-N / Ctrl-P   switch conversations",
        "  PgUp / PgDn        scroll history",
        "  Tab                complete commands and contacts",
        "  Up / Down          composer history",
        "  Alt-Enter          new line in the composer",
        "  Ctrl-R             reveal / hide spoilers",
        "  Left Right Home End Ctrl-A Ctrl-E Ctrl-U Ctrl-W   edit",
        "  Esc                back to the conversation",
        "Messages from people you have not accepted are shown as plain text:",
        "no styling, no links, no attachments, and nothing in them causes",
        "network traffic.",
    };
    size_t i;

    for (i = 0; i < sizeof lines / sizeof lines[0]; i++)
        put_str(top + (int)i, x + 1, w - 2, lines[i],
                lines[i][0] != ' ' ? A_BOLD : A_NORMAL);
}

static void draw_safety(tui *t, int top, int x, int w)
{
    char num[AIRLOCK_SAFETY_NUMBER_LEN], line[320];
    const entry *e = current_entry(t);
    airlock_err err;
    int row;

    if (e == NULL) {
        put_str(top + 1, x + 1, w - 2, "Open a conversation first.", A_BOLD);
        return;
    }
    snprintf(line, sizeof line, "Safety number with %s", e->label);
    put_str(top + 1, x + 1, w - 2, line, A_BOLD);
    err = airlock_safety_number(t->ctx, e->address, num);
    if (err != AIRLOCK_OK) {
        snprintf(line, sizeof line, "not available: %s",
                 airlock_strerror(err));
        put_str(top + 3, x + 3, w - 4, line, A_NORMAL);
        return;
    }
    /* 12 groups of 5: three rows of four */
    for (row = 0; row < 3; row++)
        put_text(top + 3 + row, x + 3, w - 4, num + row * 24,
                 row < 2 ? 23 : strlen(num + 48), A_BOLD);
    put_str(top + 7, x + 1, w - 2,
            "Compare these digits with your contact, in person or on a call.",
            A_NORMAL);
    if (e->identity_changed) {
        put_str(top + 9, x + 1, w - 2, "WARNING: the safety number changed. "
                "Messages from the new key are shown as plain text until "
                "you acknowledge it.", A_BOLD | A_REVERSE);
        put_str(top + 11, x + 1, w - 2, "a: acknowledge the new safety number"
                "   Esc: back", A_NORMAL);
    } else {
        put_str(top + 9, x + 1, w - 2, e->trust == AIRLOCK_TRUST_VERIFIED ?
                "Verified." : "Not verified yet.", A_BOLD);
        put_str(top + 11, x + 1, w - 2, "v: mark as verified   Esc: back",
                A_NORMAL);
    }
}

static void draw_events(tui *t, int top, int h, int x, int w)
{
    airlock_event_list *l = NULL;
    size_t i;

    put_str(top, x + 1, w - 2, "Security events (newest first)", A_BOLD);
    if (airlock_security_events(t->ctx, (size_t)(h > 2 ? h - 2 : 1), &l) !=
        AIRLOCK_OK)
        return;
    for (i = 0; i < airlock_event_list_count(l) && (int)i < h - 2; i++) {
        const airlock_security_event *e = airlock_event_list_get(l, i);
        char when[32], line[600];
        time_t tt = (time_t)(e->last_ms / 1000);
        struct tm tm;

        localtime_r(&tt, &tm);
        strftime(when, sizeof when, "%m-%d %H:%M", &tm);
        snprintf(line, sizeof line, "%s  %-18s %-24s x%-5u %s", when,
                 airlock_sec_kind_name(e->kind),
                 e->sender[0] ? e->sender : "-", e->count, e->detail);
        put_str(top + 2 + (int)i, x + 1, w - 2, line, A_NORMAL);
    }
    if (airlock_event_list_count(l) == 0)
        put_str(top + 2, x + 1, w - 2, "None.", A_NORMAL);
    airlock_event_list_free(l);
    airlock_security_events_seen(t->ctx);
    t->unseen = 0;
}

static void draw_status(tui *t, int y)
{
    char s[512];
    uint32_t unread = 0;
    size_t i;

    for (i = 0; i < t->n; i++)
        unread += t->list[i].unread;
    snprintf(s, sizeof s, " %s | local mailbox %s | unread %u%s%s%s",
             airlock_account(t->ctx),
             airlock_transport_up(t->ctx) ? "up" : "DOWN", unread,
             t->unseen ? " | " : "", t->unseen ? "security events: " : "",
             "");
    attron(A_REVERSE);
    mvhline(y, 0, ' ', COLS);
    attroff(A_REVERSE);
    put_str(y, 0, COLS, s, A_REVERSE);
    if (t->unseen) {
        char n[32];

        snprintf(n, sizeof n, "%u new (/events)", t->unseen);
        put_str(y, (int)strlen(s) < COLS ? (int)strlen(s) : COLS - 1,
                COLS, n, A_REVERSE | A_BOLD);
    }
    if (t->flash[0] != '\0') {
        int fx = COLS - (int)airlock_text_width(t->flash, strlen(t->flash)) -
                 1;

        put_str(y, fx > COLS / 2 ? fx : COLS / 2, COLS / 2, t->flash,
                A_REVERSE | A_BOLD);
    }
}

static void draw(tui *t)
{
    int h = LINES - 2, x = LIST_W, w = COLS - LIST_W;
    int cy = 0, cx = 0;

    erase();
    if (COLS < MIN_COLS || LINES < MIN_LINES) {
        char msg[128];

        snprintf(msg, sizeof msg, "Window too small: %dx%d, need %dx%d.",
                 COLS, LINES, MIN_COLS, MIN_LINES);
        put_str(0, 0, COLS, msg, A_BOLD);
        refresh();
        return;
    }
    draw_list(t, h);
    switch (t->v) {
    case VIEW_CHAT:
        draw_messages(t, 0, h, x, w);
        break;
    case VIEW_HELP:
        draw_help(0, x, w);
        break;
    case VIEW_SAFETY:
        draw_safety(t, 0, x, w);
        break;
    case VIEW_EVENTS:
        draw_events(t, 0, h, x, w);
        break;
    }
    mvhline(LINES - 2, 0, ACS_HLINE, COLS);
    draw_status(t, LINES - 1);
    /* the composer sits on the separator line, after a prompt */
    tui_line_draw(&t->line, LINES - 2, 0, COLS, &cy, &cx);
    move(cy, cx);
    refresh();
}

/* ---------------------------------------------------------------------- */
/* commands                                                                */
/* ---------------------------------------------------------------------- */

static const char *const commands[] = {
    "/msg ", "/accept", "/block", "/unblock", "/delete", "/verify",
    "/events", "/help", "/close", "/quit", NULL
};

static const char *target(tui *t, const char *arg)
{
    while (*arg == ' ')
        arg++;
    return *arg != '\0' ? arg : t->current;
}

static void report(tui *t, const char *what, airlock_err err)
{
    if (err == AIRLOCK_OK)
        say(t, "%s: done", what);
    else
        say(t, "%s: %s", what, airlock_strerror(err));
}

static void send_text(tui *t, const char *text, size_t n)
{
    airlock_err err;

    if (t->current[0] == '\0') {
        say(t, "no conversation open: /msg ADDRESS text");
        return;
    }
    err = airlock_send_text(t->ctx, t->current, text, n, NULL);
    if (err == AIRLOCK_ERR_NOT_FOUND)
        say(t, "%s has no device on this mailbox", t->current);
    else if (err != AIRLOCK_OK)
        report(t, "send", err);
    t->dirty_history = 1;
    t->dirty_contacts = 1;
    t->scroll = 0;
}

static void command(tui *t, char *s)
{
    char addr[256];
    const char *arg;
    airlock_err err;

    if (strncmp(s, "/msg ", 5) == 0) {
        const char *p = s + 5, *sp;

        while (*p == ' ')
            p++;
        sp = strchr(p, ' ');
        snprintf(addr, sizeof addr, "%.*s",
                 (int)(sp != NULL ? (size_t)(sp - p) : strlen(p)), p);
        if (addr[0] == '\0') {
            say(t, "usage: /msg ADDRESS [text]");
            return;
        }
        open_conversation(t, addr);
        if (sp != NULL && sp[1] != '\0')
            send_text(t, sp + 1, strlen(sp + 1));
        return;
    }
    if (strcmp(s, "/quit") == 0) {
        t->quit = 1;
        return;
    }
    if (strcmp(s, "/help") == 0) {
        t->v = VIEW_HELP;
        return;
    }
    if (strcmp(s, "/events") == 0) {
        t->v = VIEW_EVENTS;
        return;
    }
    if (strcmp(s, "/close") == 0) {
        t->v = VIEW_CHAT;
        return;
    }
    if (strcmp(s, "/verify") == 0 || strcmp(s, "/safety") == 0) {
        t->v = VIEW_SAFETY;
        return;
    }
    if (strncmp(s, "/accept", 7) == 0 || strncmp(s, "/block", 6) == 0 ||
        strncmp(s, "/unblock", 8) == 0 || strncmp(s, "/delete", 7) == 0) {
        const char *sp = strchr(s, ' ');

        arg = target(t, sp != NULL ? sp : "");
        if (arg[0] == '\0') {
            say(t, "no conversation open");
            return;
        }
        snprintf(addr, sizeof addr, "%s", arg);
        if (s[1] == 'a') {
            err = airlock_accept(t->ctx, addr);
            report(t, "accept", err);
        } else if (s[1] == 'b') {
            err = airlock_block(t->ctx, addr);
            report(t, "block", err);
        } else if (s[1] == 'u') {
            err = airlock_unblock(t->ctx, addr);
            report(t, "unblock", err);
        } else {
            err = airlock_delete_request(t->ctx, addr);
            report(t, "delete", err);
            if (err == AIRLOCK_OK && strcmp(addr, t->current) == 0)
                t->current[0] = '\0';
        }
        t->dirty_contacts = 1;
        t->dirty_history = 1;
        return;
    }
    say(t, "unknown command (try /help)");
}

static void submit(tui *t)
{
    char *s = tui_line_take(&t->line);

    if (s == NULL || s[0] == '\0') {
        free(s);
        return;
    }
    if (t->nhist == TUI_HISTORY) {
        free(t->hist[0]);
        memmove(t->hist, t->hist + 1, (TUI_HISTORY - 1) * sizeof *t->hist);
        t->nhist--;
    }
    t->hist[t->nhist++] = strdup(s);
    t->hpos = t->nhist;
    if (s[0] == '/' && s[1] != '/')
        command(t, s);
    else
        send_text(t, s[0] == '/' ? s + 1 : s, strlen(s[0] == '/' ? s + 1 : s));
    free(s);
}

/* Tab: complete a command, or the address after /msg and friends. */
static void complete(tui *t)
{
    const char *s = tui_line_text(&t->line);
    const char *sp = strchr(s, ' ');
    size_t i, n;

    if (s[0] != '/')
        return;
    if (sp == NULL) {
        n = strlen(s);
        for (i = 0; commands[i] != NULL; i++)
            if (strncmp(commands[i], s, n) == 0) {
                tui_line_set(&t->line, commands[i]);
                return;
            }
        return;
    }
    n = strlen(sp + 1);
    for (i = 0; i < t->n; i++)
        if (strncmp(t->list[i].address, sp + 1, n) == 0) {
            char buf[600];

            snprintf(buf, sizeof buf, "%.*s %s ", (int)(sp - s), s,
                     t->list[i].address);
            tui_line_set(&t->line, buf);
            return;
        }
}

static void select_index(tui *t, size_t i)
{
    if (i < t->n)
        open_conversation(t, t->list[i].address);
}

static void key(tui *t, int kind, wint_t c)
{
    const entry *e = current_entry(t);

    t->flash[0] = '\0';
    if (kind == KEY_CODE_YES) {
        switch (c) {
        case KEY_RESIZE:
            return;
        case KEY_PPAGE:
            t->scroll += (LINES - 4) / 2;
            return;
        case KEY_NPAGE:
            t->scroll -= (LINES - 4) / 2;
            if (t->scroll < 0)
                t->scroll = 0;
            return;
        case KEY_UP:
            if (t->hpos > 0)
                tui_line_set(&t->line, t->hist[--t->hpos]);
            return;
        case KEY_DOWN:
            if (t->hpos + 1 < t->nhist)
                tui_line_set(&t->line, t->hist[++t->hpos]);
            else {
                t->hpos = t->nhist;
                tui_line_set(&t->line, "");
            }
            return;
        case KEY_ENTER:
            submit(t);
            return;
        default:
            tui_line_key(&t->line, 1, (uint32_t)c);
            return;
        }
    }
    /* overlays take single keys when the composer is empty */
    if (t->v == VIEW_SAFETY && tui_line_text(&t->line)[0] == '\0' &&
        e != NULL) {
        if (c == 'v') {
            report(t, "verify", airlock_verify(t->ctx, e->address));
            t->dirty_contacts = 1;
            return;
        }
        if (c == 'a') {
            report(t, "acknowledge", airlock_ack_identity(t->ctx,
                                                          e->address));
            t->dirty_contacts = 1;
            t->dirty_history = 1;
            return;
        }
    }
    switch (c) {
    case '\r':
    case '\n':
        submit(t);
        return;
    case '\t':
        complete(t);
        return;
    case 0x0e:                         /* Ctrl-N */
        select_index(t, t->sel + 1 < t->n ? t->sel + 1 : 0);
        return;
    case 0x10:                         /* Ctrl-P */
        select_index(t, t->sel > 0 && t->sel < t->n ? t->sel - 1 :
                     (t->n > 0 ? t->n - 1 : 0));
        return;
    case 0x12:                         /* Ctrl-R */
        t->reveal = !t->reveal;
        return;
    default:
        tui_line_key(&t->line, 0, (uint32_t)c);
    }
}

/* Alt-x arrives as ESC then x. */
static void alt_key(tui *t, wint_t c)
{
    if (c >= '1' && c <= '9')
        select_index(t, (size_t)(c - '1'));
    else if (c == '\r' || c == '\n')
        tui_line_insert(&t->line, "\n", 1);
}

/* ---------------------------------------------------------------------- */
/* first run and the loop                                                  */
/* ---------------------------------------------------------------------- */

static int prompt(const char *q, char *out, size_t cap, int hidden)
{
    wint_t c;
    size_t n = 0;
    int kind;

    for (;;) {
        erase();
        put_str(1, 2, COLS - 4, "Welcome to Airlock.", A_BOLD);
        put_str(3, 2, COLS - 4, "No account here yet: a short set-up on the "
                "local mailbox (Esc to quit).", A_NORMAL);
        put_str(5, 2, COLS - 4, q, A_NORMAL);
        if (!hidden)
            put_text(6, 4, COLS - 6, out, n, A_BOLD);
        else
            mvhline(6, 4, '*', (int)(n < (size_t)COLS - 6 ? n : 0));
        refresh();
        kind = get_wch(&c);
        if (kind == ERR)
            continue;
        if (kind == OK && c == 27)
            return -1;
        if (kind == OK && (c == '\r' || c == '\n'))
            break;
        if ((kind == KEY_CODE_YES && c == KEY_BACKSPACE) ||
            (kind == OK && (c == 127 || c == 8))) {
            while (n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0x80)
                n--;
            if (n > 0)
                n--;
        } else if (kind == OK && c >= 0x20) {
            char mb[8];
            int k = wctomb(mb, (wchar_t)c);

            if (k > 0 && n + (size_t)k < cap) {
                memcpy(out + n, mb, (size_t)k);
                n += (size_t)k;
            }
        }
        out[n] = '\0';
    }
    out[n] = '\0';
    return 0;
}

static airlock_err first_run(airlock_config *cfg, char *addr, size_t acap,
                             char *pass, size_t pcap)
{
    airlock_err err;

    addr[0] = '\0';
    pass[0] = '\0';
    for (;;) {
        if (prompt("Your address (for example alice or alice@example.org):",
                   addr, acap, 0) != 0)
            return AIRLOCK_ERR_STATE;
        if (prompt("Passphrase (empty: no passphrase; the key is then kept "
                   "in a 0600 file):", pass, pcap, 1) != 0)
            return AIRLOCK_ERR_STATE;
        cfg->account = addr;
        if (pass[0] != '\0') {
            cfg->passphrase = pass;
            cfg->passphrase_len = strlen(pass);
            cfg->no_passphrase = 0;
        } else {
            cfg->passphrase = NULL;
            cfg->no_passphrase = 1;
        }
        err = airlock_account_create(cfg);
        if (err == AIRLOCK_OK)
            return err;
        erase();
        put_str(1, 2, COLS - 4, airlock_strerror(err), A_BOLD);
        put_str(3, 2, COLS - 4, "Press a key to try again.", A_NORMAL);
        refresh();
        {
            wint_t c;

            (void)get_wch(&c);
        }
    }
}

static void cleanup(tui *t)
{
    size_t i;

    free_pages(t);
    free(t->list);
    for (i = 0; i < t->nhist; i++)
        free(t->hist[i]);
    tui_line_clear(&t->line);
    airlock_close(t->ctx);
}

int tui_run(airlock_config *cfg)
{
    tui t;
    struct sigaction sa;
    char addr[256], pass[1024];
    airlock_err err;
    int rc = 0;

    memset(&t, 0, sizeof t);
    setlocale(LC_ALL, "");
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    initscr();
    raw();
    noecho();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    timeout(0);
    cfg->on_event = on_event;
    cfg->user_data = &t;
    err = cfg->account != NULL ? airlock_open(cfg, &t.ctx) :
                                 AIRLOCK_ERR_NOT_FOUND;
    if (err == AIRLOCK_ERR_NOT_FOUND) {
        timeout(-1);
        if ((err = first_run(cfg, addr, sizeof addr, pass, sizeof pass)) ==
            AIRLOCK_OK)
            err = airlock_open(cfg, &t.ctx);
        timeout(0);
        explicit_bzero(pass, sizeof pass);
    }
    if (err != AIRLOCK_OK) {
        endwin();
        fprintf(stderr, "airlock: %s\n", airlock_strerror(err));
        return 1;
    }
    tui_line_init(&t.line);
    load_contacts(&t);
    if (t.n_chats + t.n_requests > 0)
        select_index(&t, 0);
    while (!t.quit && !got_signal) {
        struct pollfd pfd[2];
        wint_t c;
        int kind;

        if (t.dirty_contacts)
            load_contacts(&t);
        if (t.dirty_history)
            load_history(&t);
        draw(&t);
        pfd[0].fd = STDIN_FILENO;
        pfd[0].events = POLLIN;
        pfd[1].fd = airlock_fd(t.ctx);
        pfd[1].events = POLLIN;
        if (poll(pfd, 2, POLL_MS) < 0 && errno != EINTR)
            break;
        if ((err = airlock_step(t.ctx, 0)) != AIRLOCK_OK)
            say(&t, "%s", airlock_strerror(err));
        while ((kind = get_wch(&c)) != ERR) {
            if (kind == OK && c == 27) {       /* Esc, or Alt-x */
                wint_t c2;

                if (get_wch(&c2) == OK)
                    alt_key(&t, c2);
                else
                    t.v = VIEW_CHAT;
                continue;
            }
            key(&t, kind, c);
            if (t.quit)
                break;
        }
    }
    endwin();
    if (got_signal)
        rc = 128 + got_signal;
    cleanup(&t);
    return rc;
}

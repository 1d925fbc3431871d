/*
 * tui_cmd.c - what keys and /commands do: switching and opening
 * conversations, scrolling, the composer's history and completion, and the
 * trust decisions (accept, block, verify, acknowledge).
 *
 * A message request takes commands only: replying would make the sender a
 * contact (airlock_send_text treats writing as consent), and that must be
 * a decision, /accept, not a side effect of typing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_int.h"

void tui_say(tui *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(t->flash, sizeof t->flash, fmt, ap);
    va_end(ap);
    t->dirty |= TUI_D_STATUS;
}

static void report(tui *t, const char *what, const char *addr,
                   airlock_err err)
{
    if (err == AIRLOCK_OK)
        tui_say(t, "%s %s: done", what, addr);
    else if (err == AIRLOCK_ERR_NOT_FOUND)
        tui_say(t, "%s %s: no such conversation", what, addr);
    else
        tui_say(t, "%s %s: %s", what, addr, airlock_strerror(err));
}

/* ------------------------------------------------------------------------ */
/* conversations                                                             */
/* ------------------------------------------------------------------------ */

const tui_entry *tui_current_entry(const tui *t)
{
    return t->sel < t->n ? &t->list[t->sel] : NULL;
}

static const tui_entry *find_entry(const tui *t, const char *addr)
{
    size_t i;

    for (i = 0; i < t->n; i++)
        if (strcmp(t->list[i].address, addr) == 0)
            return &t->list[i];
    return NULL;
}

void tui_load_contacts(tui *t)
{
    static const unsigned which[3] = { AIRLOCK_LIST_CHATS,
                                       AIRLOCK_LIST_REQUESTS,
                                       AIRLOCK_LIST_BLOCKED };
    size_t counts[3] = { 0, 0, 0 };
    tui_entry *nl = NULL;
    size_t total = 0, k, i;
    airlock_err err;

    t->need_contacts = 0;
    for (k = 0; k < 3; k++) {
        airlock_contact_list *l = NULL;
        size_t c;

        if ((err = airlock_contacts(t->ctx, which[k], &l)) != AIRLOCK_OK) {
            tui_say(t, "contacts: %s", airlock_strerror(err));
            continue;
        }
        c = airlock_contact_list_count(l);
        if (c > 0) {
            tui_entry *grown = realloc(nl, (total + c) * sizeof *nl);

            if (grown == NULL) {
                airlock_contact_list_free(l);
                tui_say(t, "contacts: %s",
                        airlock_strerror(AIRLOCK_ERR_NOMEM));
                continue;
            }
            nl = grown;
            for (i = 0; i < c; i++) {
                const airlock_contact *ct = airlock_contact_list_get(l, i);
                tui_entry *e = &nl[total + i];

                snprintf(e->address, sizeof e->address, "%s", ct->address);
                snprintf(e->label, sizeof e->label, "%s", ct->label);
                e->trust = ct->trust;
                e->identity_changed = ct->identity_changed;
                e->unread = ct->unread;
            }
            total += c;
            counts[k] = c;
        }
        airlock_contact_list_free(l);
    }
    free(t->list);
    t->list = nl;
    t->n = total;
    t->n_chats = counts[0];
    t->n_requests = counts[1];
    t->n_blocked = counts[2];
    t->sel = t->n;
    for (i = 0; i < t->n; i++)
        if (strcmp(t->list[i].address, t->current) == 0)
            t->sel = i;
    t->unseen = airlock_security_events_unseen(t->ctx);
    t->dirty |= TUI_D_ALL;
}

static void mark_read(tui *t)
{
    const tui_entry *e = tui_current_entry(t);

    if (e == NULL || e->unread == 0 || t->hist.first != 0)
        return;
    if (airlock_mark_read(t->ctx, t->current) == AIRLOCK_OK)
        t->need_contacts = 1;
}

static size_t page_limit(void)
{
    /* a screenful of the shortest messages and a margin; the page size
     * stays fixed while the conversation is open */
    return (size_t)(LINES > 0 ? LINES : 24) + 20;
}

void tui_open_conversation(tui *t, const char *addr)
{
    airlock_err err;
    size_t i;

    snprintf(t->current, sizeof t->current, "%s", addr);
    t->scroll = 0;
    t->reveal = 0;
    t->v = VIEW_CHAT;
    t->lay_valid = 0;
    t->sel = t->n;
    for (i = 0; i < t->n; i++)
        if (strcmp(t->list[i].address, addr) == 0)
            t->sel = i;
    if ((err = tui_hist_open(&t->hist, t->ctx, addr, page_limit())) !=
        AIRLOCK_OK)
        tui_say(t, "history: %s", airlock_strerror(err));
    mark_read(t);
    t->dirty |= TUI_D_ALL;
}

static void close_conversation(tui *t)
{
    t->current[0] = '\0';
    t->sel = t->n;
    t->scroll = 0;
    tui_hist_close(&t->hist);
    tui_layout_clear(&t->lay);
    t->lay_valid = 0;
    t->dirty |= TUI_D_ALL;
}

/* Back to the newest message: read the newest page again rather than
 * walking every page back down. */
static void to_newest(tui *t)
{
    airlock_err err;

    if (t->hist.first > 0 || t->hist.stale) {
        if ((err = tui_hist_open(&t->hist, t->ctx, t->current,
                                 page_limit())) != AIRLOCK_OK)
            tui_say(t, "history: %s", airlock_strerror(err));
        t->lay_valid = 0;
        mark_read(t);
    }
    t->scroll = 0;
    t->dirty |= TUI_D_MAIN;
}

void tui_reload_history(tui *t)
{
    size_t before = t->lay_valid ? t->lay.n : 0;
    airlock_err err;

    t->need_history = 0;
    if (t->current[0] == '\0')
        return;
    if (t->scroll == 0 && t->hist.first == 0) {
        /* at the newest: one page again, the layout reads what fills
         * the view */
        err = tui_hist_open(&t->hist, t->ctx, t->current, page_limit());
        if (err != AIRLOCK_OK)
            tui_say(t, "history: %s", airlock_strerror(err));
        t->lay_valid = 0;
        mark_read(t);
        t->dirty |= TUI_D_MAIN | TUI_D_STATUS;
        return;
    }
    if ((err = tui_hist_reload(&t->hist, t->ctx)) != AIRLOCK_OK)
        tui_say(t, "history: %s", airlock_strerror(err));
    t->lay_valid = 0;
    /* keep what is on screen where it is while scrolled up: new rows
     * arrive below it */
    if (t->scroll > 0 && before > 0 && !t->too_small) {
        tui_ensure_layout(t);
        if (t->lay.n > before)
            t->scroll += (int)(t->lay.n - before);
    }
    mark_read(t);
    t->dirty |= TUI_D_MAIN | TUI_D_STATUS;
}

static void select_index(tui *t, size_t i)
{
    if (i < t->n)
        tui_open_conversation(t, t->list[i].address);
}

/* ------------------------------------------------------------------------ */
/* commands                                                                  */
/* ------------------------------------------------------------------------ */

static const char *const commands[] = {
    "/accept ", "/ack ", "/block ", "/close", "/delete ", "/events",
    "/help", "/msg ", "/query ", "/quit", "/safety ", "/unblock ",
    "/verify "
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* The address a command names, or the open conversation. */
static const char *target(const tui *t, const char *arg)
{
    while (*arg == ' ')
        arg++;
    return *arg != '\0' ? arg : t->current;
}

/* May the user write to addr? Requests and blocked senders: not yet. */
static int may_write(tui *t, const char *addr)
{
    const tui_entry *e = find_entry(t, addr);

    if (e != NULL && e->trust == AIRLOCK_TRUST_UNKNOWN) {
        tui_say(t, "%s is a request: /accept before replying",
                e->label);
        return 0;
    }
    if (e != NULL && e->trust == AIRLOCK_TRUST_BLOCKED) {
        tui_say(t, "%s is blocked: /unblock first", e->label);
        return 0;
    }
    return 1;
}

static void send_text(tui *t, const char *text, size_t n)
{
    airlock_err err;

    if (t->current[0] == '\0') {
        tui_say(t, "no conversation open: /msg ADDRESS text");
        return;
    }
    if (!may_write(t, t->current))
        return;
    err = airlock_send_text(t->ctx, t->current, text, n, NULL);
    if (err == AIRLOCK_ERR_NOT_FOUND)
        tui_say(t, "%s has no device here: not sent", t->current);
    else if (err != AIRLOCK_OK)
        tui_say(t, "not sent: %s", airlock_strerror(err));
    if (t->hist.first != 0 || t->scroll != 0)
        to_newest(t);
    t->need_history = 1;
    t->need_contacts = 1;
    t->scroll = 0;
}

void tui_events_reload(tui *t)
{
    airlock_err err;

    airlock_event_list_free(t->events);
    t->events = NULL;
    t->need_events = 0;
    if ((err = airlock_security_events(t->ctx, TUI_EVENTS_MAX,
                                       &t->events)) != AIRLOCK_OK)
        tui_say(t, "events: %s", airlock_strerror(err));
    airlock_security_events_seen(t->ctx);
    t->unseen = 0;
    t->dirty |= TUI_D_MAIN | TUI_D_STATUS;
}

static void set_view(tui *t, tui_view v)
{
    t->v = v;
    t->view_scroll = 0;
    if (v == VIEW_EVENTS)
        tui_events_reload(t);
    t->dirty |= TUI_D_MAIN;
}

static void trust_command(tui *t, char c, const char *arg)
{
    char addr[TUI_ADDR_MAX];
    airlock_err err;

    snprintf(addr, sizeof addr, "%s", target(t, arg));
    if (addr[0] == '\0') {
        tui_say(t, "no conversation open: name an address");
        return;
    }
    switch (c) {
    case 'a':
        report(t, "accept", addr, err = airlock_accept(t->ctx, addr));
        break;
    case 'b':
        report(t, "block", addr, err = airlock_block(t->ctx, addr));
        break;
    case 'u':
        report(t, "unblock", addr, err = airlock_unblock(t->ctx, addr));
        break;
    case 'k':
        report(t, "acknowledge", addr,
               err = airlock_ack_identity(t->ctx, addr));
        break;
    default:
        report(t, "delete", addr, err = airlock_delete_request(t->ctx, addr));
        if (err == AIRLOCK_OK && strcmp(addr, t->current) == 0)
            close_conversation(t);
        break;
    }
    t->need_contacts = 1;
    if (strcmp(addr, t->current) == 0)
        t->need_history = 1;
}

static int is_cmd(const char *s, const char *name, const char **arg)
{
    size_t n = strlen(name);

    if (strncmp(s, name, n) != 0 || (s[n] != '\0' && s[n] != ' '))
        return 0;
    *arg = s + n;
    return 1;
}

static void command(tui *t, const char *s)
{
    const char *arg = "";

    if (is_cmd(s, "/msg", &arg) || is_cmd(s, "/query", &arg)) {
        char addr[TUI_ADDR_MAX];
        const char *p = arg, *sp;
        size_t n;

        while (*p == ' ')
            p++;
        sp = strchr(p, ' ');
        n = sp != NULL ? (size_t)(sp - p) : strlen(p);
        if (n == 0 || n >= sizeof addr) {
            tui_say(t, "usage: /msg ADDRESS [text]");
            return;
        }
        memcpy(addr, p, n);
        addr[n] = '\0';
        tui_open_conversation(t, addr);
        if (sp != NULL && s[1] == 'm') {
            while (*sp == ' ')
                sp++;
            if (*sp != '\0')
                send_text(t, sp, strlen(sp));
        }
    } else if (is_cmd(s, "/quit", &arg) || is_cmd(s, "/exit", &arg)) {
        t->quit = 1;
    } else if (is_cmd(s, "/help", &arg)) {
        set_view(t, VIEW_HELP);
    } else if (is_cmd(s, "/events", &arg)) {
        set_view(t, VIEW_EVENTS);
    } else if (is_cmd(s, "/close", &arg)) {
        set_view(t, VIEW_CHAT);
    } else if (is_cmd(s, "/verify", &arg) || is_cmd(s, "/safety", &arg)) {
        snprintf(t->safety_addr, sizeof t->safety_addr, "%s",
                 target(t, arg));
        set_view(t, VIEW_SAFETY);
    } else if (is_cmd(s, "/accept", &arg)) {
        trust_command(t, 'a', arg);
    } else if (is_cmd(s, "/block", &arg)) {
        trust_command(t, 'b', arg);
    } else if (is_cmd(s, "/unblock", &arg)) {
        trust_command(t, 'u', arg);
    } else if (is_cmd(s, "/delete", &arg)) {
        trust_command(t, 'd', arg);
    } else if (is_cmd(s, "/ack", &arg)) {
        trust_command(t, 'k', arg);
    } else {
        tui_say(t, "unknown command: /help lists them");
    }
}

static void remember(tui *t, const char *s)
{
    char *copy;

    if (t->nhist > 0 && strcmp(t->hist_lines[t->nhist - 1], s) == 0) {
        t->hpos = t->nhist;
        return;
    }
    if ((copy = strdup(s)) == NULL)
        return;
    if (t->nhist == TUI_HISTORY) {
        explicit_bzero(t->hist_lines[0], strlen(t->hist_lines[0]));
        free(t->hist_lines[0]);
        memmove(t->hist_lines, t->hist_lines + 1,
                (TUI_HISTORY - 1) * sizeof *t->hist_lines);
        t->nhist--;
    }
    t->hist_lines[t->nhist++] = copy;
    t->hpos = t->nhist;
}

static void submit(tui *t)
{
    char *s = tui_line_take(&t->line);
    size_t n;

    t->dirty |= TUI_D_INPUT;
    if (s == NULL)
        return;
    n = strlen(s);
    if (n > 0) {
        remember(t, s);
        if (s[0] == '/' && s[1] != '/') {
            command(t, s);
        } else {
            if (t->v != VIEW_CHAT)
                set_view(t, VIEW_CHAT);
            send_text(t, s[0] == '/' ? s + 1 : s, s[0] == '/' ? n - 1 : n);
        }
    }
    explicit_bzero(s, n);
    free(s);
}

/* ------------------------------------------------------------------------ */
/* completion                                                                */
/* ------------------------------------------------------------------------ */

static void complete(tui *t)
{
    const char *s = tui_line_text(&t->line);
    const char **cands = NULL;
    size_t n = 0, i, matches = 0, plen;
    char *buf = NULL;
    int pick;

    if (!t->comp_active) {
        size_t start = t->line.cur;

        while (start > 0 && s[start - 1] != ' ' && s[start - 1] != '\n')
            start--;
        if (t->line.cur - start >= sizeof t->comp_prefix)
            return;
        memcpy(t->comp_prefix, s + start, t->line.cur - start);
        t->comp_prefix[t->line.cur - start] = '\0';
        t->comp_start = start;
        t->comp_state = 0;
        t->comp_active = 1;
    }
    plen = strlen(t->comp_prefix);
    if (t->comp_start == 0 && t->comp_prefix[0] == '/') {
        cands = malloc(NCOMMANDS * sizeof *cands);
        if (cands != NULL)
            for (; n < NCOMMANDS; n++)
                cands[n] = commands[n];
    } else if (t->n > 0) {
        cands = malloc(t->n * sizeof *cands);
        if (cands != NULL)
            for (; n < t->n; n++)
                cands[n] = t->list[n].address;
    }
    if (cands == NULL) {
        t->comp_active = 0;
        return;
    }
    for (i = 0; i < n; i++)
        if (strncmp(cands[i], t->comp_prefix, plen) == 0)
            matches++;
    pick = tui_complete(cands, n, t->comp_prefix, plen, &t->comp_state);
    if (pick < 0) {
        tui_say(t, "no completion");
        t->comp_active = 0;
    } else {
        const char *c = cands[pick];
        int sp = matches == 1 && c[strlen(c) - 1] != ' ' &&
                 (c[0] != '/' || strcmp(c, "/close") != 0);
        size_t rest = t->line.len - t->line.cur;
        size_t total = t->comp_start + strlen(c) + (size_t)sp + rest;

        if ((buf = malloc(total + 1)) != NULL) {
            size_t cur;

            memcpy(buf, s, t->comp_start);
            memcpy(buf + t->comp_start, c, strlen(c));
            if (sp)
                buf[t->comp_start + strlen(c)] = ' ';
            cur = t->comp_start + strlen(c) + (size_t)sp;
            memcpy(buf + cur, s + t->line.cur, rest);
            buf[total] = '\0';
            tui_line_set(&t->line, buf);
            t->line.cur = cur;
            explicit_bzero(buf, total);
            free(buf);
        }
        if (matches > 1)
            tui_say(t, "%zu matches: Tab for the next", matches);
    }
    free(cands);
    t->dirty |= TUI_D_INPUT;
}

/* ------------------------------------------------------------------------ */
/* keys                                                                      */
/* ------------------------------------------------------------------------ */

static void page(tui *t, int dir)
{
    int h = tui_main_rows(t), step = h > 4 ? h - 2 : 1;

    if (t->v == VIEW_CHAT) {
        tui_scroll(t, dir * step);
        if (t->scroll == 0 && t->hist.first == 0)
            mark_read(t);
    } else {
        t->view_scroll += dir > 0 ? -step : step;
        if (t->view_scroll < 0)
            t->view_scroll = 0;
        t->dirty |= TUI_D_MAIN;
    }
}

void tui_escape(tui *t)
{
    if (t->v != VIEW_CHAT)
        set_view(t, VIEW_CHAT);
    else if (t->scroll > 0 || t->hist.first > 0)
        to_newest(t);
    t->comp_active = 0;
}

void tui_alt_key(tui *t, int kind, wint_t c)
{
    t->comp_active = 0;
    if (kind == OK && c >= '1' && c <= '9') {
        select_index(t, (size_t)(c - '1'));
    } else if (kind == OK && (c == '\r' || c == '\n')) {
        tui_line_insert(&t->line, "\n", 1);
        t->dirty |= TUI_D_INPUT;
    } else {
        /* not an Alt binding: Esc, then the key typed quickly after it */
        tui_escape(t);
        tui_key(t, kind, c);
    }
}

void tui_key(tui *t, int kind, wint_t c)
{
    int empty = t->line.len == 0;

    if (t->flash[0] != '\0' && c != '\t') {
        t->flash[0] = '\0';
        t->dirty |= TUI_D_STATUS;
    }
    if (c != '\t')
        t->comp_active = 0;
    if (kind == KEY_CODE_YES && c == TUI_KEY_PASTE_BEGIN) {
        t->pasting = 1;
        return;
    }
    if (kind == KEY_CODE_YES && c == TUI_KEY_PASTE_END) {
        t->pasting = 0;
        return;
    }
    if (t->pasting && kind == OK) {
        /* pasted text goes into the composer as it is: its newlines do
         * not send, its tabs do not complete */
        if (c == '\r' || c == '\n')
            tui_line_insert(&t->line, "\n", 1);
        else if (c == '\t')
            tui_line_insert(&t->line, " ", 1);
        else
            (void)tui_line_key(&t->line, 0, (uint32_t)c);
        t->dirty |= TUI_D_INPUT;
        return;
    }
    if (kind == KEY_CODE_YES) {
        switch (c) {
        case KEY_PPAGE:
            page(t, 1);
            return;
        case KEY_NPAGE:
            page(t, -1);
            return;
        case KEY_UP:
            if (t->hpos > 0)
                tui_line_set(&t->line, t->hist_lines[--t->hpos]);
            t->dirty |= TUI_D_INPUT;
            return;
        case KEY_DOWN:
            if (t->hpos + 1 < t->nhist) {
                tui_line_set(&t->line, t->hist_lines[++t->hpos]);
            } else {
                t->hpos = t->nhist;
                tui_line_set(&t->line, "");
            }
            t->dirty |= TUI_D_INPUT;
            return;
        case KEY_ENTER:
            submit(t);
            return;
        default:
            if (tui_line_key(&t->line, 1, (uint32_t)c))
                t->dirty |= TUI_D_INPUT;
            return;
        }
    }
    /* the safety number screen takes single keys while nothing is typed */
    if (t->v == VIEW_SAFETY && empty && (c == 'v' || c == 'a')) {
        const char *addr = t->safety_addr;

        if (find_entry(t, addr) == NULL)
            return;
        if (c == 'v')
            report(t, "verify", addr, airlock_verify(t->ctx, addr));
        else
            report(t, "acknowledge", addr,
                   airlock_ack_identity(t->ctx, addr));
        t->need_contacts = 1;
        if (strcmp(addr, t->current) == 0)
            t->need_history = 1;
        t->dirty |= TUI_D_MAIN;
        return;
    }
    switch (c) {
    case '\r':
    case '\n':
        submit(t);
        return;
    case '\t':
        complete(t);
        return;
    case 0x03:                         /* Ctrl-C */
        if (empty)
            t->quit = 1;
        tui_line_set(&t->line, "");
        t->dirty |= TUI_D_INPUT;
        return;
    case 0x0c:                         /* Ctrl-L */
        clearok(curscr, TRUE);
        t->dirty |= TUI_D_ALL;
        return;
    case 0x0e:                         /* Ctrl-N */
        if (t->n > 0)
            select_index(t, t->sel + 1 < t->n ? t->sel + 1 : 0);
        return;
    case 0x10:                         /* Ctrl-P */
        if (t->n > 0)
            select_index(t, t->sel > 0 && t->sel < t->n ? t->sel - 1 :
                         t->n - 1);
        return;
    case 0x12:                         /* Ctrl-R */
        t->reveal = !t->reveal;
        t->lay_valid = 0;
        t->dirty |= TUI_D_MAIN;
        return;
    default:
        if (tui_line_key(&t->line, 0, (uint32_t)c))
            t->dirty |= TUI_D_INPUT;
        return;
    }
}

void tui_cmd_free(tui *t)
{
    size_t i;

    for (i = 0; i < t->nhist; i++) {
        explicit_bzero(t->hist_lines[i], strlen(t->hist_lines[i]));
        free(t->hist_lines[i]);
    }
    t->nhist = 0;
    airlock_event_list_free(t->events);
    t->events = NULL;
    tui_hist_close(&t->hist);
    tui_layout_clear(&t->lay);
    free(t->list);
    t->list = NULL;
    t->n = 0;
}

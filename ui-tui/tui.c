/*
 * tui.c - tui_run: the terminal, the signals and the loop.
 *
 * The loop polls the terminal and airlock_fd() together, steps the engine
 * when its descriptor is readable and at least every TUI_POLL_MS, and
 * draws only what changed. Every way out - /quit, Ctrl-C on an empty
 * composer, SIGINT, SIGTERM, SIGHUP, an error while opening - passes
 * through endwin(), so the terminal is restored; nothing a message
 * contains is ever printed outside curses.
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include <airlock/airlock.h>

#include "tui.h"
#include "tui_int.h"

#define TUI_POLL_MS 250

/* The only state a signal handler may touch: a flag the loop reads. */
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

int tui_available(void)
{
    return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

/* Engine events arrive from inside airlock_step (and from trust calls):
 * note what must be read again; the loop does the reading. */
static void on_event(const airlock_event *ev, void *user)
{
    tui *t = user;

    if (t == NULL)
        return;
    switch (ev->kind) {
    case AIRLOCK_EVENT_MESSAGE:
    case AIRLOCK_EVENT_REQUEST:
    case AIRLOCK_EVENT_RERENDER:
    case AIRLOCK_EVENT_RECEIPT:
        if (ev->conversation != NULL &&
            strcmp(ev->conversation, t->current) == 0)
            t->need_history = 1;
        t->need_contacts = 1;
        break;
    case AIRLOCK_EVENT_SECURITY:
        t->need_contacts = 1;
        if (t->v == VIEW_EVENTS)
            t->need_events = 1;
        break;
    case AIRLOCK_EVENT_CONTACTS:
        t->need_contacts = 1;
        break;
    case AIRLOCK_EVENT_TRANSPORT:
        t->dirty |= TUI_D_STATUS;
        break;
    }
}

/* A control sequence curses did not know (a key of another terminal
 * type): read it to its final byte and drop it, rather than typing it. */
static void skip_sequence(void)
{
    wint_t c;
    int i;

    for (i = 0; i < 16 && get_wch(&c) == OK; i++)
        if (c >= 0x40 && c <= 0x7e)
            break;
}

/* Home and End as other terminals send them, for when TERM is not quite
 * the terminal (curses knows only the sequences of TERM). */
static void more_keys(void)
{
    static const struct { const char *seq; int key; } keys[] = {
        { "\033[1~", KEY_HOME }, { "\033[7~", KEY_HOME },
        { "\033[H", KEY_HOME }, { "\033OH", KEY_HOME },
        { "\033[4~", KEY_END }, { "\033[8~", KEY_END },
        { "\033[F", KEY_END }, { "\033OF", KEY_END },
        { "\033[3~", KEY_DC },
        { "\033[200~", TUI_KEY_PASTE_BEGIN },
        { "\033[201~", TUI_KEY_PASTE_END },
    };
    size_t i;

    for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (key_defined(keys[i].seq) == 0)
            define_key(keys[i].seq, keys[i].key);
}

/* Ask the terminal to mark pasted text, so that a pasted newline is not
 * Enter. Terminals that do not know the mode ignore it. */
static void bracketed_paste(int on)
{
    fputs(on ? "\033[?2004h" : "\033[?2004l", stdout);
    fflush(stdout);
}

static void read_keys(tui *t)
{
    wint_t c;
    int kind;

    while (!t->quit && (kind = get_wch(&c)) != ERR) {
        if (kind == KEY_CODE_YES && c == KEY_RESIZE) {
            tui_windows_make(t);
            continue;
        }
        if (kind == OK && c == 27) {           /* Esc, or Alt-x */
            wint_t c2;
            int kind2 = get_wch(&c2);

            if (kind2 == OK && (c2 == '[' || c2 == 'O'))
                skip_sequence();
            else if (kind2 != ERR && !(kind2 == OK && c2 == 27))
                tui_alt_key(t, kind2, c2);
            else
                tui_escape(t);
            continue;
        }
        tui_key(t, kind, c);
    }
}

static void loop(tui *t)
{
    airlock_err err;

    while (!t->quit && !got_signal) {
        struct pollfd pfd[2];

        if (t->need_contacts)
            tui_load_contacts(t);
        if (t->need_history)
            tui_reload_history(t);
        if (t->need_contacts)              /* marking read changed counts */
            tui_load_contacts(t);
        if (t->need_events && t->v == VIEW_EVENTS)
            tui_events_reload(t);
        tui_draw(t);
        pfd[0].fd = STDIN_FILENO;
        pfd[0].events = POLLIN;
        pfd[0].revents = 0;
        pfd[1].fd = airlock_fd(t->ctx);
        pfd[1].events = POLLIN;
        pfd[1].revents = 0;
        if (poll(pfd, 2, TUI_POLL_MS) < 0 && errno != EINTR) {
            tui_say(t, "poll: %s", strerror(errno));
            break;
        }
        /* readable or not, step: the engine also has timers */
        if ((err = airlock_step(t->ctx, 0)) != AIRLOCK_OK)
            tui_say(t, "%s", airlock_strerror(err));
        read_keys(t);
    }
}

int tui_run(airlock_config *cfg)
{
    tui t;
    tui_setup su;
    struct sigaction sa, old_int, old_term, old_hup;
    const char *orig_pass = cfg->passphrase;
    size_t orig_pass_len = cfg->passphrase_len;
    int orig_nopass = cfg->no_passphrase;
    airlock_err err;
    int rc = 0;

    memset(&t, 0, sizeof t);
    memset(&su, 0, sizeof su);
    tui_hist_init(&t.hist);
    got_signal = 0;
    /* wide characters need a UTF-8 locale; C.UTF-8 when none is set */
    setlocale(LC_ALL, "");
    if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0 &&
        (setlocale(LC_CTYPE, "C.UTF-8") == NULL ||
         strcmp(nl_langinfo(CODESET), "UTF-8") != 0)) {
        fprintf(stderr, "airlock: the client needs a UTF-8 locale "
                "(LANG=C.UTF-8, for example)\n");
        return 1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    if (initscr() == NULL) {
        rc = 1;
        goto restore_signals;
    }
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    more_keys();
    set_escdelay(25);
    timeout(TUI_POLL_MS);
    cfg->on_event = on_event;
    cfg->user_data = &t;
    err = tui_setup_open(cfg, &su, &got_signal, &t.ctx);
    tui_setup_wipe(&su);
    /* the passphrase buffer was ours: do not leave cfg pointing at it */
    if (cfg->passphrase == su.passphrase) {
        cfg->passphrase = orig_pass;
        cfg->passphrase_len = orig_pass_len;
        cfg->no_passphrase = orig_nopass;
    }
    if (cfg->xmpp_password == su.xmpp_password)
        cfg->xmpp_password = NULL;
    if (err != AIRLOCK_OK) {
        endwin();
        if (got_signal)
            rc = 128 + got_signal;
        else if (err == AIRLOCK_ERR_STATE)
            rc = 0;                          /* the user left the set-up */
        else {
            fprintf(stderr, "airlock: %s%s%s\n",
                    err == AIRLOCK_ERR_PASSPHRASE ? "wrong passphrase: " : "",
                    airlock_strerror(err),
                    err == AIRLOCK_ERR_UNSUPPORTED ?
                    " (this transport is not available in this build)" : "");
            rc = 1;
        }
        goto restore_signals;
    }
    t.transport = airlock_transport_kind(t.ctx);
    timeout(0);
    bracketed_paste(1);
    tui_line_init(&t.line);
    tui_windows_make(&t);
    tui_load_contacts(&t);
    if (t.n_chats + t.n_requests > 0)
        tui_open_conversation(&t, t.list[0].address);
    loop(&t);
    tui_windows_free(&t);
    bracketed_paste(0);
    endwin();
    if (got_signal)
        rc = 128 + got_signal;
    tui_cmd_free(&t);
    tui_line_clear(&t.line);
    airlock_close(t.ctx);
restore_signals:
    cfg->on_event = NULL;
    cfg->user_data = NULL;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    return rc;
}

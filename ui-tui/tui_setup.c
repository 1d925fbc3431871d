/*
 * tui_setup.c - the screens before the client: the first-run set-up
 * (transport, address, passphrase or none), the choice between several
 * accounts in one home, and the passphrase prompt. Drawn on stdscr; input
 * goes through the composer's line editor.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tui_int.h"

#define MAX_ACCOUNTS 9
#define PASS_TRIES 3

void tui_setup_wipe(tui_setup *su)
{
    explicit_bzero(su->passphrase, sizeof su->passphrase);
    explicit_bzero(su->xmpp_password, sizeof su->xmpp_password);
}

/* Wrapped paragraphs from row y; returns the next free row. */
static int paragraph(int y, const char *s, attr_t a)
{
    tui_layout lay;
    size_t r, k;

    tui_layout_init(&lay, COLS - 4, 0, 0);
    tui_layout_text(&lay, s, strlen(s), a, 0);
    for (r = 0; r < lay.n && y < LINES - 1; r++, y++) {
        const tui_row *row = &lay.rows[r];
        int x = 2;

        for (k = 0; k < row->nseg; k++) {
            const tui_seg *sg = &lay.segs[row->first + k];
            int used = 0;
            size_t fit = tui_fit(sg->text, sg->len, COLS - 2 - x, &used);

            attrset(sg->extra);
            mvaddnstr(y, x, sg->text, (int)fit);
            attrset(A_NORMAL);
            x += used;
        }
    }
    tui_layout_clear(&lay);
    return y;
}

static void screen_head(const char *title, const char *const *info,
                        size_t ninfo, int *y)
{
    size_t i;

    erase();
    *y = paragraph(1, title, A_BOLD);
    (*y)++;
    for (i = 0; i < ninfo; i++)
        *y = paragraph(*y, info[i], A_NORMAL) + 1;
}

/* Ask for one line. Returns 0 with the text in out, -1 on Esc or a
 * signal. Hidden input shows one '*' per character. */
static int ask(const char *title, const char *const *info, size_t ninfo,
               const char *question, char *out, size_t cap, int hidden,
               volatile sig_atomic_t *abort_flag)
{
    tui_line l;
    int rc = -1;

    tui_line_init(&l);
    if (!hidden && out[0] != '\0')
        tui_line_set(&l, out);
    while (!*abort_flag) {
        wint_t c;
        int kind, y, cx = 4;

        screen_head(title, info, ninfo, &y);
        y = paragraph(y, question, A_BOLD);
        mvaddstr(y, 2, "> ");
        if (hidden) {
            size_t i, n = 0;

            for (i = 0; i < l.len; i += tui_cp_len(l.buf + i, l.len - i))
                n++;
            for (i = 0; i < n && cx < COLS - 1; i++)
                mvaddch(y, cx++, '*');
        } else {
            size_t from = tui_line_scroll(&l, COLS - 6), fit;
            int used = 0;

            fit = tui_fit(l.buf + from, l.len - from, COLS - 6, &used);
            mvaddnstr(y, 4, l.buf + from, (int)fit);
            tui_fit(l.buf + from, l.cur - from, COLS - 6, &used);
            cx = 4 + used;
        }
        paragraph(y + 2, "Enter to continue, Esc to leave.", A_DIM);
        move(y, cx < COLS ? cx : COLS - 1);
        refresh();
        kind = get_wch(&c);
        if (kind == ERR)
            continue;
        if (kind == OK && c == 27)
            break;
        if ((kind == OK && (c == '\r' || c == '\n')) ||
            (kind == KEY_CODE_YES && c == KEY_ENTER)) {
            if (l.len + 1 > cap)
                continue;
            memcpy(out, tui_line_text(&l), l.len + 1);
            rc = 0;
            break;
        }
        if (kind == OK && c == 0x03)
            break;
        (void)tui_line_key(&l, kind == KEY_CODE_YES, (uint32_t)c);
    }
    tui_line_clear(&l);
    return rc;
}

/* A choice among n options by number or arrows. Returns the index or -1. */
static int choose(const char *title, const char *const *info, size_t ninfo,
                  const char *const *opts, size_t n,
                  volatile sig_atomic_t *abort_flag)
{
    size_t sel = 0, i;

    while (!*abort_flag) {
        wint_t c;
        int kind, y;

        screen_head(title, info, ninfo, &y);
        for (i = 0; i < n && y < LINES - 2; i++, y++) {
            char line[TUI_ADDR_MAX + 16];

            snprintf(line, sizeof line, "%zu  %s", i + 1, opts[i]);
            attrset(i == sel ? A_REVERSE : A_NORMAL);
            mvhline(y, 2, ' ', COLS - 4);
            attrset(A_NORMAL);
            paragraph(y, line, i == sel ? A_REVERSE : A_NORMAL);
        }
        paragraph(y + 1, "Up/Down or a number, Enter to choose, Esc to "
                  "leave.", A_DIM);
        move(LINES - 1, 0);
        refresh();
        kind = get_wch(&c);
        if (kind == ERR)
            continue;
        if (kind == KEY_CODE_YES && c == KEY_UP && sel > 0)
            sel--;
        else if (kind == KEY_CODE_YES && c == KEY_DOWN && sel + 1 < n)
            sel++;
        else if (kind == OK && c >= '1' && c < '1' + (wint_t)n)
            return (int)(c - '1');
        else if ((kind == OK && (c == '\r' || c == '\n')) ||
                 (kind == KEY_CODE_YES && c == KEY_ENTER))
            return (int)sel;
        else if (kind == OK && (c == 27 || c == 0x03))
            return -1;
    }
    return -1;
}

static void notice(const char *title, const char *msg,
                   volatile sig_atomic_t *abort_flag)
{
    int y;

    screen_head(title, NULL, 0, &y);
    y = paragraph(y, msg, A_BOLD);
    paragraph(y + 1, "Press a key.", A_DIM);
    refresh();
    while (!*abort_flag) {
        wint_t c;

        if (get_wch(&c) != ERR)
            break;
    }
}

static void busy(const char *msg)
{
    int y;

    screen_head("Airlock", NULL, 0, &y);
    paragraph(y, msg, A_NORMAL);
    refresh();
}

/* Directories under home (accounts live in home/ADDRESS). */
static size_t list_accounts(const char *home, char names[][TUI_ADDR_MAX],
                            size_t max)
{
    DIR *d;
    struct dirent *e;
    size_t n = 0;

    if (home == NULL || (d = opendir(home)) == NULL)
        return 0;
    while ((e = readdir(d)) != NULL && n < max) {
        char p[4096];
        struct stat sb;
        int k;

        if (e->d_name[0] == '.' || strlen(e->d_name) >= TUI_ADDR_MAX)
            continue;
        k = snprintf(p, sizeof p, "%s/%s", home, e->d_name);
        if (k < 0 || (size_t)k >= sizeof p || stat(p, &sb) != 0 ||
            !S_ISDIR(sb.st_mode))
            continue;
        memcpy(names[n++], e->d_name, strlen(e->d_name) + 1);
    }
    closedir(d);
    return n;
}

static void use_passphrase(airlock_config *cfg, tui_setup *su)
{
    if (su->passphrase[0] != '\0') {
        cfg->passphrase = su->passphrase;
        cfg->passphrase_len = strlen(su->passphrase);
        cfg->no_passphrase = 0;
    } else {
        cfg->passphrase = NULL;
        cfg->passphrase_len = 0;
        cfg->no_passphrase = 1;
    }
}

static const char *const first_info[] = {
    "No account here yet. This short set-up creates one: an identity key "
    "and prekeys for the Signal protocol, kept in an encrypted store under "
    "the data directory.",
    "The local mailbox is a file the accounts on this machine share: try "
    "Airlock with a second account. An XMPP account talks to anyone on "
    "XMPP servers.",
};

/* The first-run set-up: create an account, then leave cfg ready to open
 * it. Returns AIRLOCK_OK, or AIRLOCK_ERR_STATE when the user left. */
static airlock_err first_run(airlock_config *cfg, tui_setup *su,
                             volatile sig_atomic_t *abort_flag)
{
    static const char *const transports[] = {
        "Local mailbox, on this machine",
        "XMPP server, with OMEMO",
    };
    static const char *const pass_info[] = {
        "The passphrase protects the store on this disk (Argon2id). With "
        "none, the store key is kept in a file only you can read, and a "
        "security event records that choice.",
    };
    const char *title = "Welcome to Airlock";
    char again[1024];
    airlock_err err;
    int k;

    for (;;) {
        k = choose(title, first_info, 2, transports, 2, abort_flag);
        if (k < 0)
            return AIRLOCK_ERR_STATE;
        cfg->transport = k == 0 ? AIRLOCK_TRANSPORT_LOCAL :
                                  AIRLOCK_TRANSPORT_XMPP;
        if (ask(title, first_info, 1, k == 0 ?
                "Your address on the mailbox (a name, for example alice):" :
                "Your XMPP address (for example alice@example.org):",
                su->account, sizeof su->account, 0, abort_flag) != 0)
            return AIRLOCK_ERR_STATE;
        cfg->account = su->account;
        if (k == 1) {
            if (ask(title, first_info, 1, "Server host (empty: from the "
                    "address):", su->xmpp_host, sizeof su->xmpp_host, 0,
                    abort_flag) != 0 ||
                ask(title, first_info, 1, "Password of the XMPP account:",
                    su->xmpp_password, sizeof su->xmpp_password, 1,
                    abort_flag) != 0)
                return AIRLOCK_ERR_STATE;
            cfg->xmpp_host = su->xmpp_host[0] ? su->xmpp_host : NULL;
            cfg->xmpp_password = su->xmpp_password;
        }
        for (;;) {
            if (ask(title, pass_info, 1, "Passphrase (empty for none):",
                    su->passphrase, sizeof su->passphrase, 1,
                    abort_flag) != 0)
                return AIRLOCK_ERR_STATE;
            if (su->passphrase[0] == '\0')
                break;
            again[0] = '\0';
            if (ask(title, pass_info, 1, "The same passphrase again:", again,
                    sizeof again, 1, abort_flag) != 0) {
                explicit_bzero(again, sizeof again);
                return AIRLOCK_ERR_STATE;
            }
            k = strcmp(again, su->passphrase) == 0;
            explicit_bzero(again, sizeof again);
            if (k)
                break;
            notice(title, "The two passphrases differ; once more.",
                   abort_flag);
        }
        use_passphrase(cfg, su);
        busy("Creating the account: keys, prekeys, the store...");
        err = airlock_account_create(cfg);
        if (err == AIRLOCK_OK)
            return AIRLOCK_OK;
        {
            char msg[512];

            snprintf(msg, sizeof msg, "Could not create %s: %s.%s",
                     su->account, airlock_strerror(err),
                     err == AIRLOCK_ERR_ARG ? " Is the address valid?" :
                     err == AIRLOCK_ERR_UNSUPPORTED ?
                     " This build cannot use that transport yet." : "");
            notice(title, msg, abort_flag);
        }
        if (*abort_flag)
            return AIRLOCK_ERR_STATE;
    }
}

airlock_err tui_setup_open(airlock_config *cfg, tui_setup *su,
                           volatile sig_atomic_t *abort_flag,
                           airlock_ctx **out)
{
    char names[MAX_ACCOUNTS][TUI_ADDR_MAX];
    airlock_err err;
    int tries = 0;

    *out = NULL;
    if (cfg->account == NULL) {
        size_t n = list_accounts(cfg->home, names, MAX_ACCOUNTS), i;

        if (n == 1) {
            memcpy(su->account, names[0], strlen(names[0]) + 1);
            cfg->account = su->account;
        } else if (n > 1) {
            const char *opts[MAX_ACCOUNTS + 1];
            static const char *const info[] = {
                "There are several accounts here (--account ADDR picks "
                "one directly).",
            };
            int k;

            for (i = 0; i < n; i++)
                opts[i] = names[i];
            opts[n] = "a new account";
            k = choose("Airlock: which account?", info, 1, opts, n + 1,
                       abort_flag);
            if (k < 0)
                return AIRLOCK_ERR_STATE;
            if ((size_t)k < n) {
                memcpy(su->account, names[k], strlen(names[k]) + 1);
                cfg->account = su->account;
            }
        }
    }
    if (cfg->account == NULL) {
        if ((err = first_run(cfg, su, abort_flag)) != AIRLOCK_OK)
            return err;
    }
    for (;;) {
        if (*abort_flag)
            return AIRLOCK_ERR_STATE;
        busy("Opening the account...");
        err = airlock_open(cfg, out);
        if (err == AIRLOCK_ERR_NOT_FOUND && tries == 0) {
            /* a named account that does not exist yet: create it */
            snprintf(su->account, sizeof su->account, "%s", cfg->account);
            cfg->account = su->account;
            if ((err = first_run(cfg, su, abort_flag)) != AIRLOCK_OK)
                return err;
            tries++;
            continue;
        }
        if (err != AIRLOCK_ERR_PASSPHRASE || tries >= PASS_TRIES)
            return err;
        {
            char q[TUI_ADDR_MAX + 64];
            static const char *const info[] = {
                "The store of this account is protected by a passphrase "
                "(AIRLOCK_PASSPHRASE or --passphrase-file give it without "
                "asking).",
            };

            snprintf(q, sizeof q, tries == 0 ? "Passphrase for %s:" :
                     "Wrong passphrase. Passphrase for %s:", cfg->account);
            su->passphrase[0] = '\0';
            if (ask("Airlock", info, 1, q, su->passphrase,
                    sizeof su->passphrase, 1, abort_flag) != 0)
                return AIRLOCK_ERR_STATE;
            if (su->passphrase[0] == '\0')
                continue;
            use_passphrase(cfg, su);
            tries++;
        }
    }
}

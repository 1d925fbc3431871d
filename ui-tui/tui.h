/*
 * tui.h - the terminal chat client (ncurses), built only on
 * <airlock/airlock.h> exactly as a GUI would be.
 */
#ifndef AIRLOCK_UI_TUI_H
#define AIRLOCK_UI_TUI_H

#include <airlock/airlock.h>

/* Run the client for cfg (home, account or NULL, passphrase, transport,
 * relay as main prepared them). With no account in cfg->home (or a named
 * one that does not exist), a short guided set-up creates one first; with
 * several and none named, the user picks; a store whose passphrase was
 * not given asks for it. cfg->on_event and cfg->user_data are the
 * client's while it runs. Returns the process exit status: 0 after /quit
 * (or leaving the set-up), 1 when the account cannot be opened, 128 + the
 * signal after SIGINT, SIGTERM or SIGHUP. The terminal is restored on
 * every exit path. */
int tui_run(airlock_config *cfg);

/* True when standard input and output are terminals. */
int tui_available(void);

#endif /* AIRLOCK_UI_TUI_H */

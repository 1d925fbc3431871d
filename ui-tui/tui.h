/*
 * tui.h - the terminal chat client (ncurses), built only on
 * <airlock/airlock.h> exactly as a GUI would be.
 */
#ifndef AIRLOCK_UI_TUI_H
#define AIRLOCK_UI_TUI_H

#include <airlock/airlock.h>

/* Run the client for cfg (home, account, passphrase, transport as main
 * prepared them). When the account does not exist yet, a short guided
 * init runs first. Returns the process exit status (0 after /quit). The
 * terminal is restored on every exit path. */
int tui_run(airlock_config *cfg);

/* True when standard input and output are terminals. */
int tui_available(void);

#endif /* AIRLOCK_UI_TUI_H */

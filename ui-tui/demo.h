/* demo.h - `airlock demo`: the scenario behind `make demo`. */
#ifndef AIRLOCK_UI_DEMO_H
#define AIRLOCK_UI_DEMO_H

/* Runs the scenario in `home` (NULL: a new temporary directory), then opens
 * the terminal client as alice, or prints what it would show. */
int cli_demo(const char *home, int argc, char **argv);

#endif

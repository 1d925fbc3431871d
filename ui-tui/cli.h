/*
 * cli.h - non-interactive subcommands of the `airlock` program that work on
 * bytes rather than an account: `airlock render` and `airlock vectors`.
 * Built only on <airlock/airlock.h> (and jansson for the vectors file).
 *
 * Each takes the arguments that follow its subcommand name (argv[0] is the
 * first of them, not the program or subcommand name) and returns the exit
 * status: 0 success, 1 failure (vectors mismatched), 2 usage error or an
 * input that cannot be processed (with a one-line reason on stderr).
 */
#ifndef AIRLOCK_UI_CLI_H
#define AIRLOCK_UI_CLI_H

#include <stddef.h>

/* airlock render [--trust unknown|accepted|verified|blocked]
 *                [--input frame|body] [--json]
 * Reads stdin (at most AIRLOCK_RENDER_MAX bytes, else exit 2) and prints
 * the display model: terminal-safe text, or with --json the JSON of
 * docs/WIRE-FORMAT.md. Defaults: --trust unknown --input frame. Any input
 * within the size limit, however malformed, prints a model and exits 0. */
int cli_render(int argc, char **argv);

/* airlock vectors check FILE
 * Checks every case of a vectors file (docs/WIRE-FORMAT.md, "Test
 * vectors") through the public API, prints each mismatch and a summary;
 * exit 1 if any case failed. Cases of a type without a checker are
 * reported as skipped. */
int cli_vectors(int argc, char **argv);

/* Checking more case types (e.g. "envelope"): a checker gets one case
 * object (a jansson json_t) and returns 0 when it passes, or 1 and a
 * one-line reason in why[0..why_len). */
struct json_t;
typedef int (*cli_vector_check)(const struct json_t *vcase, char *why,
                                size_t why_len);
typedef struct cli_vector_type {
    const char *type;            /* the case's "type" value */
    cli_vector_check check;
} cli_vector_type;

/* cli_vectors with extra checkers (tried before the built-in "render"). */
int cli_vectors_with(int argc, char **argv, const cli_vector_type *extra,
                     size_t n_extra);

#endif /* AIRLOCK_UI_CLI_H */

/* cli_envelope.h - `airlock vectors` with envelope cases (cli_envelope.c). */
#ifndef AIRLOCK_UI_CLI_ENVELOPE_H
#define AIRLOCK_UI_CLI_ENVELOPE_H

/* `airlock vectors check FILE` (render and envelope cases) and
 * `airlock vectors envelope ...` (make one envelope case). */
int cli_vectors_all(int argc, char **argv);

#endif

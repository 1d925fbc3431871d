/*
 * minimal.c - a line-based front end: poll() on airlock_fd() and standard
 * input together. Incoming messages print as text (from the display model,
 * never from message bytes); typed lines are sent to the current peer.
 *
 *   minimal HOME ACCOUNT [PEER] [--once]
 *   lines:  /to ADDR   /accept ADDR   /block ADDR   /quit   anything else
 *           is sent to the current peer
 *   --once: exit 0 after the first message arrives (for scripted tests)
 *
 * Build: cc minimal.c $(pkg-config --cflags --libs airlock)
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <airlock/airlock.h>

static int once, got;

static void on_event(const airlock_event *ev, void *user)
{
    char *text = NULL;
    size_t n = 0;

    (void)user;
    if (ev->kind != AIRLOCK_EVENT_MESSAGE && ev->kind != AIRLOCK_EVENT_REQUEST)
        return;
    if (airlock_model_to_text(ev->message->model, &text, &n) != AIRLOCK_OK)
        return;
    printf("%s%s: %s\n", ev->kind == AIRLOCK_EVENT_REQUEST ? "[request] " : "",
           ev->message->from, text);
    fflush(stdout);
    airlock_free(text);
    got++;
}

int main(int argc, char **argv)
{
    airlock_config cfg;
    airlock_ctx *ctx = NULL;
    char peer[256] = "", line[4096];
    airlock_err err;
    int i, in_fd = STDIN_FILENO;

    if (argc < 3) {
        fprintf(stderr, "usage: minimal HOME ACCOUNT [PEER] [--once]\n");
        return 2;
    }
    for (i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--once") == 0)
            once = 1;
        else
            snprintf(peer, sizeof peer, "%s", argv[i]);
    }
    airlock_config_init(&cfg);
    cfg.home = argv[1];
    cfg.account = argv[2];
    cfg.no_passphrase = 1;
    cfg.on_event = on_event;
    if ((err = airlock_open(&cfg, &ctx)) != AIRLOCK_OK) {
        fprintf(stderr, "minimal: %s\n", airlock_strerror(err));
        return 1;
    }
    for (;;) {
        struct pollfd p[2] = { { in_fd, POLLIN, 0 },
                               { airlock_fd(ctx), POLLIN, 0 } };

        /* the library's descriptor, plus a periodic step for its timers */
        if (poll(p, 2, 250) < 0)
            break;
        if ((err = airlock_step(ctx, 0)) != AIRLOCK_OK)
            fprintf(stderr, "minimal: %s\n", airlock_strerror(err));
        if (once && got > 0)
            break;
        if (!(p[0].revents & (POLLIN | POLLHUP)))
            continue;
        if (fgets(line, sizeof line, stdin) == NULL) {
            if (!once)
                break;
            in_fd = -1;            /* end of input: keep waiting */
            continue;
        }
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, "/quit") == 0)
            break;
        if (strncmp(line, "/to ", 4) == 0)
            snprintf(peer, sizeof peer, "%s", line + 4);
        else if (strncmp(line, "/accept ", 8) == 0)
            err = airlock_accept(ctx, line + 8);
        else if (strncmp(line, "/block ", 7) == 0)
            err = airlock_block(ctx, line + 7);
        else if (peer[0] == '\0')
            fprintf(stderr, "minimal: /to ADDR first\n");
        else
            err = airlock_send_text(ctx, peer, line, strlen(line), NULL);
        if (err != AIRLOCK_OK)
            fprintf(stderr, "minimal: %s\n", airlock_strerror(err));
    }
    airlock_close(ctx);
    return once && got == 0 ? 1 : 0;
}

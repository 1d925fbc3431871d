/*
 * minimal.c - a line-based front end: poll() on airlock_fd() and standard
 * input together. Incoming messages print as text made from the display
 * model (never from message bytes); typed lines go to the current peer.
 *
 *   minimal HOME ACCOUNT [PEER] [--once]
 *
 *   /to ADDR       talk to ADDR from now on
 *   /accept ADDR   accept a message request: its messages render in full
 *   /block ADDR    drop ADDR's envelopes before decryption from now on
 *   /quit          (or end of input) leave
 *   anything else  is sent to the current peer
 *
 *   --once: exit 0 after the first incoming message, 1 if input ends first
 *
 * The account must exist (`airlock --home HOME --account ACCOUNT init ...`)
 * and have no passphrase, to keep the example short.
 *
 * Build: cc minimal.c $(pkg-config --cflags --libs airlock)
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <airlock/airlock.h>

#define LINE_MAX_BYTES 4096   /* longer typed lines are refused */
#define ADDR_MAX_BYTES 256

typedef struct app {
    airlock_ctx *ctx;
    int once;
    int got;                         /* incoming messages seen */
    char redraw[ADDR_MAX_BYTES];     /* conversation to redraw, or "" */
    char peer[ADDR_MAX_BYTES];
} app;

static void print_model(const char *tag, const char *from,
                        const airlock_model *m)
{
    char *text = NULL;
    size_t n = 0;

    /* Terminal-safe: sanitized spans joined, notices as "[notice] ..." */
    if (airlock_model_to_text(m, &text, &n) != AIRLOCK_OK)
        return;
    printf("%s%s: %s\n", tag, from, text);
    airlock_free(text);
}

/* Events arrive from inside airlock_step(). Everything `ev` points to is
 * borrowed for this call only: copy what you keep, and leave calls back
 * into the library (history, contacts) until airlock_step() returns. */
static void on_event(const airlock_event *ev, void *user)
{
    app *a = user;

    switch (ev->kind) {
    case AIRLOCK_EVENT_MESSAGE:
        if (ev->message->outgoing)
            break;
        print_model("", ev->message->from, ev->message->model);
        a->got++;
        break;
    case AIRLOCK_EVENT_REQUEST:
        /* a stranger: the model is inert text, nothing else was decoded */
        print_model("[request] ", ev->message->from, ev->message->model);
        printf("[request] /accept %s or /block %s\n", ev->message->from,
               ev->message->from);
        a->got++;
        break;
    case AIRLOCK_EVENT_RERENDER:
        if (ev->conversation != NULL)
            snprintf(a->redraw, sizeof a->redraw, "%s", ev->conversation);
        break;
    case AIRLOCK_EVENT_SECURITY:
        printf("[security] %s %s (x%u)\n",
               airlock_sec_kind_name(ev->security->kind),
               ev->security->sender, ev->security->count);
        break;
    default:
        break;
    }
    fflush(stdout);
}

/* A conversation was re-rendered (accepted, identity acknowledged): show
 * its newest messages again, rendered for the sender's trust now. */
static void redraw(app *a)
{
    airlock_message_list *l = NULL;
    airlock_err err;
    size_t i;

    err = airlock_history(a->ctx, a->redraw, 0, 5, &l);
    if (err != AIRLOCK_OK) {
        fprintf(stderr, "minimal: history: %s\n", airlock_strerror(err));
        a->redraw[0] = '\0';
        return;
    }
    printf("[redrawn %s]\n", a->redraw);
    /* newest first from the library; oldest first on screen */
    for (i = airlock_message_list_count(l); i > 0; i--) {
        const airlock_message *msg = airlock_message_list_get(l, i - 1);

        print_model(msg->outgoing ? "(you) " : "", msg->from, msg->model);
    }
    fflush(stdout);
    airlock_message_list_free(l);
    a->redraw[0] = '\0';
}

/* One typed line; returns 0 on /quit. */
static int command(app *a, char *line)
{
    airlock_err err = AIRLOCK_OK;

    if (strcmp(line, "/quit") == 0)
        return 0;
    if (strncmp(line, "/to ", 4) == 0)
        snprintf(a->peer, sizeof a->peer, "%s", line + 4);
    else if (strncmp(line, "/accept ", 8) == 0)
        err = airlock_accept(a->ctx, line + 8);
    else if (strncmp(line, "/block ", 7) == 0)
        err = airlock_block(a->ctx, line + 7);
    else if (line[0] == '\0')
        return 1;
    else if (a->peer[0] == '\0')
        fprintf(stderr, "minimal: /to ADDR first\n");
    else
        err = airlock_send_text(a->ctx, a->peer, line, strlen(line), NULL);
    if (err != AIRLOCK_OK)
        fprintf(stderr, "minimal: %s: %s\n", line, airlock_strerror(err));
    else if (strncmp(line, "/accept ", 8) == 0 ||
             strncmp(line, "/block ", 7) == 0)
        printf("[ok] %s\n", line + 1);
    fflush(stdout);
    return 1;
}

/* Read what standard input has (without stdio buffering, which would hide
 * lines from poll()) and run every complete line. Returns 1 to go on, 0 at
 * the end of input, -1 on /quit. */
static int read_input(app *a, char *buf, size_t *have, int *skipping)
{
    ssize_t r = read(STDIN_FILENO, buf + *have, LINE_MAX_BYTES - *have);
    char *nl;

    if (r < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (r == 0) {                       /* a last line without newline */
        if (*have > 0 && !*skipping) {
            buf[*have < LINE_MAX_BYTES ? *have : LINE_MAX_BYTES - 1] = '\0';
            *have = 0;
            if (!command(a, buf))
                return -1;
        }
        return 0;
    }
    *have += (size_t)r;
    while ((nl = memchr(buf, '\n', *have)) != NULL) {
        size_t len = (size_t)(nl - buf);

        *nl = '\0';
        if (!*skipping && !command(a, buf))
            return -1;
        *skipping = 0;
        memmove(buf, nl + 1, *have - len - 1);
        *have -= len + 1;
    }
    if (*have == LINE_MAX_BYTES) {      /* no newline in a full buffer */
        fprintf(stderr, "minimal: line too long, ignored\n");
        *have = 0;
        *skipping = 1;
    }
    return 1;
}

int main(int argc, char **argv)
{
    static char buf[LINE_MAX_BYTES];
    airlock_config cfg;
    app a;
    airlock_err err;
    size_t have = 0;
    int i, skipping = 0, input_open = 1, status = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: minimal HOME ACCOUNT [PEER] [--once]\n");
        return 2;
    }
    memset(&a, 0, sizeof a);
    for (i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--once") == 0)
            a.once = 1;
        else
            snprintf(a.peer, sizeof a.peer, "%s", argv[i]);
    }
    airlock_config_init(&cfg);         /* always: sets struct_size */
    cfg.home = argv[1];
    cfg.account = argv[2];
    cfg.no_passphrase = 1;
    cfg.on_event = on_event;
    cfg.user_data = &a;
    if ((err = airlock_open(&cfg, &a.ctx)) != AIRLOCK_OK) {
        fprintf(stderr, "minimal: %s\n", airlock_strerror(err));
        return 1;
    }
    for (;;) {
        struct pollfd p[2] = { { airlock_fd(a.ctx), POLLIN, 0 },
                               { input_open ? STDIN_FILENO : -1, POLLIN,
                                 0 } };

        /* The library's descriptor, and a step every 250 ms anyway: the
         * transport has timers (polling fallback, keepalives). */
        if (poll(p, 2, 250) < 0 && errno != EINTR) {
            status = 1;
            break;
        }
        if ((err = airlock_step(a.ctx, 0)) != AIRLOCK_OK)
            fprintf(stderr, "minimal: %s\n", airlock_strerror(err));
        if (a.redraw[0] != '\0')
            redraw(&a);
        if (a.once && a.got > 0)
            break;
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            int r = read_input(&a, buf, &have, &skipping);

            if (r < 0 || (r == 0 && !a.once))
                break;
            if (r == 0)
                input_open = 0;        /* --once: keep waiting */
        }
    }
    airlock_close(a.ctx);
    if (a.once && a.got == 0)
        status = 1;
    return status;
}

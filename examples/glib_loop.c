/*
 * glib_loop.c - driving Airlock from a GLib main loop, the way a GTK front
 * end would: g_unix_fd_add on airlock_fd(), plus a timeout for the
 * library's own timers; events are printed as they arrive.
 *
 *   glib_loop HOME ACCOUNT [SECONDS]
 *   prints "waiting ..." once the loop is set up; exits 0 after the first
 *   incoming message, 1 when SECONDS (default 30) pass first
 *
 * Events come from inside airlock_step(), so on the loop's thread: a GTK
 * front end can update its widgets right there (copying what it keeps:
 * everything an event points to is borrowed for the callback only).
 *
 * Build: cc glib_loop.c $(pkg-config --cflags --libs airlock glib-2.0)
 */
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>
#include <glib-unix.h>

#include <airlock/airlock.h>

typedef struct app {
    GMainLoop *loop;
    airlock_ctx *ctx;
    int got;
    guint fd_src, tick_src, deadline_src;   /* GLib source ids, 0: none */
} app;

static void on_event(const airlock_event *ev, void *user)
{
    app *a = user;
    char *json = NULL;
    size_t n = 0;

    switch (ev->kind) {
    case AIRLOCK_EVENT_MESSAGE:
    case AIRLOCK_EVENT_REQUEST:
        if (ev->message->outgoing)
            break;
        /* the display model as JSON, as GUI glue in another language
         * would take it (docs/WIRE-FORMAT.md) */
        if (airlock_model_to_json(ev->message->model, &json, &n) ==
            AIRLOCK_OK)
            printf("%s from %s: %s\n",
                   ev->kind == AIRLOCK_EVENT_REQUEST ? "request" : "message",
                   ev->message->from, json);
        airlock_free(json);
        a->got++;
        g_main_loop_quit(a->loop);
        break;
    case AIRLOCK_EVENT_TRANSPORT:
        printf("transport %s\n", ev->transport_up ? "up" : "down");
        break;
    case AIRLOCK_EVENT_SECURITY:
        printf("security event: %s\n",
               airlock_sec_kind_name(ev->security->kind));
        break;
    default:
        break;
    }
    fflush(stdout);
}

static gboolean step(app *a)
{
    airlock_err err = airlock_step(a->ctx, 0);

    if (err != AIRLOCK_OK)
        fprintf(stderr, "glib_loop: %s\n", airlock_strerror(err));
    return G_SOURCE_CONTINUE;
}

static gboolean on_fd(gint fd, GIOCondition cond, gpointer user)
{
    (void)fd;
    (void)cond;
    return step(user);
}

static gboolean on_tick(gpointer user)
{
    return step(user);
}

static gboolean on_deadline(gpointer user)
{
    app *a = user;

    a->deadline_src = 0;           /* removed by returning G_SOURCE_REMOVE */
    g_main_loop_quit(a->loop);
    return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
    airlock_config cfg;
    app a = { 0 };
    airlock_err err;
    unsigned long seconds = 30;
    char *end = NULL;

    if (argc < 3) {
        fprintf(stderr, "usage: glib_loop HOME ACCOUNT [SECONDS]\n");
        return 2;
    }
    if (argc > 3) {
        seconds = strtoul(argv[3], &end, 10);
        if (end == argv[3] || *end != '\0' || seconds == 0 ||
            seconds > 86400) {
            fprintf(stderr, "glib_loop: SECONDS is 1..86400\n");
            return 2;
        }
    }
    airlock_config_init(&cfg);
    cfg.home = argv[1];
    cfg.account = argv[2];
    cfg.no_passphrase = 1;
    cfg.on_event = on_event;
    cfg.user_data = &a;
    /* the loop exists before any event can arrive */
    a.loop = g_main_loop_new(NULL, FALSE);
    if ((err = airlock_open(&cfg, &a.ctx)) != AIRLOCK_OK) {
        fprintf(stderr, "glib_loop: %s\n", airlock_strerror(err));
        g_main_loop_unref(a.loop);
        return 1;
    }
    /* readable when the library has work; a tick for its timers */
    a.fd_src = g_unix_fd_add(airlock_fd(a.ctx), G_IO_IN, on_fd, &a);
    a.tick_src = g_timeout_add(250, on_tick, &a);
    a.deadline_src = g_timeout_add_seconds((guint)seconds, on_deadline, &a);
    printf("waiting for messages to %s\n", airlock_account(a.ctx));
    fflush(stdout);
    step(&a);                      /* anything already waiting */
    if (a.got == 0)
        g_main_loop_run(a.loop);
    /* the sources go before the descriptor they watch does */
    g_source_remove(a.fd_src);
    g_source_remove(a.tick_src);
    if (a.deadline_src != 0)
        g_source_remove(a.deadline_src);
    g_main_loop_unref(a.loop);
    airlock_close(a.ctx);
    return a.got > 0 ? 0 : 1;
}

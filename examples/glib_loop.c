/*
 * glib_loop.c - driving Airlock from a GLib main loop, the way a GTK front
 * end would: g_unix_fd_add on airlock_fd(), plus a timeout for the
 * library's own timers; events are printed as they arrive.
 *
 *   glib_loop HOME ACCOUNT [SECONDS]
 *   exits 0 after the first message, 1 when SECONDS (default 30) pass first
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
} app;

static void on_event(const airlock_event *ev, void *user)
{
    app *a = user;
    char *json = NULL;
    size_t n = 0;

    switch (ev->kind) {
    case AIRLOCK_EVENT_MESSAGE:
    case AIRLOCK_EVENT_REQUEST:
        if (airlock_model_to_json(ev->message->model, &json, &n) ==
            AIRLOCK_OK)
            printf("message from %s: %s\n", ev->message->from, json);
        airlock_free(json);
        a->got++;
        g_main_loop_quit(a->loop);
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
    g_main_loop_quit(((app *)user)->loop);
    return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
    airlock_config cfg;
    app a = { 0 };
    airlock_err err;

    if (argc < 3) {
        fprintf(stderr, "usage: glib_loop HOME ACCOUNT [SECONDS]\n");
        return 2;
    }
    airlock_config_init(&cfg);
    cfg.home = argv[1];
    cfg.account = argv[2];
    cfg.no_passphrase = 1;
    cfg.on_event = on_event;
    cfg.user_data = &a;
    if ((err = airlock_open(&cfg, &a.ctx)) != AIRLOCK_OK) {
        fprintf(stderr, "glib_loop: %s\n", airlock_strerror(err));
        return 1;
    }
    a.loop = g_main_loop_new(NULL, FALSE);
    g_unix_fd_add(airlock_fd(a.ctx), G_IO_IN, on_fd, &a);
    g_timeout_add(250, on_tick, &a);
    g_timeout_add_seconds(argc > 3 ? (guint)strtoul(argv[3], NULL, 10) : 30,
                          on_deadline, &a);
    step(&a);                      /* anything already waiting */
    if (a.got == 0)
        g_main_loop_run(a.loop);
    g_main_loop_unref(a.loop);
    airlock_close(a.ctx);
    return a.got > 0 ? 0 : 1;
}

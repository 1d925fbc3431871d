/*
 * demo.c - `airlock demo`: alice, bob and mallory on a local mailbox in a
 * temporary home. Bob is alice's accepted contact and sends styled
 * messages; mallory, a stranger, sends a hostile one. Then the terminal
 * client opens as alice or, without a terminal, the same conversations are
 * printed as the client shows them. Mallory's message must visibly be
 * inert. Built only on the public API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <airlock/airlock.h>

#include "demo.h"
#include "tui.h"

static const char *const bob_says[] = {
    "*Welcome* to Airlock, _Alice_. This is ~not~ a drill.",
    "> what a sender may make your device parse\n"
    "> depends on who the sender is.\n"
    "That is the whole idea.",
    "Build it yourself:\n```\nmake demo\nmake check\n```",
    "The design brief: https://example.org/airlock/design "
    "(links are shown in full and never fetched)",
};

/* What a hostile stranger sends: a terminal title change (OSC), colour
 * escapes, markup, a right-to-left override that turns "gpj.exe" around,
 * a link, and an attachment whose name plays the same trick. */
static const char mallory_body[] =
    "\033]0;pwned\007\033[31;1m*URGENT*\033[0m Your account is locked. "
    "Open invoice_\xe2\x80\xaegpj.exe or log in at "
    "https://login.example.net/reset \xe2\x80\x8b\x07";
static const char mallory_file[] = "invoice_\xe2\x80\xaegnp.exe";

static airlock_err make_account(const char *home, const char *name)
{
    airlock_config cfg;

    airlock_config_init(&cfg);
    cfg.home = home;
    cfg.account = name;
    cfg.no_passphrase = 1;
    return airlock_account_create(&cfg);
}

static airlock_err open_as(const char *home, const char *name,
                           airlock_ctx **ctx)
{
    airlock_config cfg;

    airlock_config_init(&cfg);
    cfg.home = home;
    cfg.account = name;
    cfg.no_passphrase = 1;
    return airlock_open(&cfg, ctx);
}

static airlock_err say(airlock_ctx *ctx, const char *to, const char *text)
{
    return airlock_send_text(ctx, to, text, strlen(text), NULL);
}

static airlock_err run_scenario(const char *home)
{
    airlock_ctx *alice = NULL, *bob = NULL, *mallory = NULL;
    airlock_frame_attachment att;
    uint8_t *frame = NULL;
    size_t fn = 0, i;
    airlock_err err;

    if ((err = make_account(home, "alice")) != AIRLOCK_OK ||
        (err = make_account(home, "bob")) != AIRLOCK_OK ||
        (err = make_account(home, "mallory")) != AIRLOCK_OK)
        return err;
    if ((err = open_as(home, "alice", &alice)) != AIRLOCK_OK ||
        (err = open_as(home, "bob", &bob)) != AIRLOCK_OK ||
        (err = open_as(home, "mallory", &mallory)) != AIRLOCK_OK)
        goto out;
    /* Alice writes first: bob becomes her accepted contact. */
    if ((err = say(alice, "bob", "Hi Bob, is this the new messenger?")) !=
        AIRLOCK_OK)
        goto out;
    if ((err = airlock_step(bob, 0)) != AIRLOCK_OK)
        goto out;
    for (i = 0; i < sizeof bob_says / sizeof bob_says[0]; i++)
        if ((err = say(bob, "alice", bob_says[i])) != AIRLOCK_OK)
            goto out;
    memset(&att, 0, sizeof att);
    att.mime = "application/x-msdownload";
    att.name = mallory_file;
    att.size = 48213;
    if ((err = airlock_frame_encode(mallory_body, sizeof mallory_body - 1,
                                    NULL, &att, 1, &frame, &fn)) !=
        AIRLOCK_OK)
        goto out;
    if ((err = airlock_send_frame(mallory, "alice", frame, fn, NULL)) !=
        AIRLOCK_OK)
        goto out;
    err = airlock_step(alice, 0);
out:
    airlock_free(frame);
    airlock_close(alice);
    airlock_close(bob);
    airlock_close(mallory);
    return err;
}

/* The first line of a span, at most 60 bytes, not splitting a UTF-8
 * sequence. */
static size_t excerpt(const char *s, size_t n)
{
    const char *nl = memchr(s, '\n', n);
    size_t k = nl != NULL ? (size_t)(nl - s) : n;

    if (k > 60) {
        k = 60;
        while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
            k--;
    }
    return k;
}

/* Without a terminal there are no attributes to draw: name what the client
 * would draw, span by span, so the difference between a contact's styled
 * message and a stranger's inert one is visible. */
static void print_styles(const airlock_model *m)
{
    static const char *const names[] = { "bold", "italic", "strike", "mono",
                                         "pre", "quote", "spoiler", "link" };
    size_t i, k, shown = 0;

    for (i = 0; i < airlock_model_span_count(m); i++) {
        const airlock_span *sp = airlock_model_span(m, i);

        if (sp->style == 0)
            continue;
        printf("       %s [", shown++ == 0 ? "styles:" : "       ");
        for (k = 0; k < sizeof names / sizeof names[0]; k++)
            if (sp->style & (1u << k))
                printf("%s%s", names[k],
                       (sp->style >> (k + 1)) != 0 ? "," : "");
        printf("] %.*s%s\n", (int)excerpt(sp->text, sp->len),
               sp->text, excerpt(sp->text, sp->len) < sp->len ? " ..." : "");
    }
    if (shown == 0 && airlock_model_trust(m) == AIRLOCK_TRUST_UNKNOWN)
        printf("       (inert: no styles, no links, nothing decoded "
               "after the body)\n");
}

static void print_conversation(airlock_ctx *ctx, const airlock_contact *c)
{
    airlock_message_list *l = NULL;
    size_t i;

    if (airlock_history(ctx, c->address, 0, 20, &l) != AIRLOCK_OK)
        return;
    for (i = airlock_message_list_count(l); i > 0; i--) {
        const airlock_message *m = airlock_message_list_get(l, i - 1);
        char *text = NULL;
        size_t n = 0;
        const char *p, *nl;

        if (airlock_model_to_text(m->model, &text, &n) != AIRLOCK_OK)
            continue;
        printf("  %s %s:\n", m->outgoing ? "->" : "<-",
               m->outgoing ? "you" : c->label);
        /* indent every line of the (already sanitized) text */
        for (p = text; *p != '\0'; p = nl + 1) {
            nl = strchr(p, '\n');
            if (nl == NULL) {
                printf("       %s\n", p);
                break;
            }
            printf("       %.*s\n", (int)(nl - p), p);
        }
        airlock_free(text);
        print_styles(m->model);
    }
    airlock_message_list_free(l);
}

static void print_section(airlock_ctx *ctx, const char *title,
                          unsigned which, const char *home)
{
    airlock_contact_list *l = NULL;
    size_t i;

    if (airlock_contacts(ctx, which, &l) != AIRLOCK_OK)
        return;
    printf("\n== %s (%zu) ==\n", title, airlock_contact_list_count(l));
    for (i = 0; i < airlock_contact_list_count(l); i++) {
        const airlock_contact *c = airlock_contact_list_get(l, i);

        printf("\n%s  [%s]\n", c->label,
               c->trust == AIRLOCK_TRUST_UNKNOWN ? "message request" :
               c->trust == AIRLOCK_TRUST_VERIFIED ? "verified" : "contact");
        if (c->trust == AIRLOCK_TRUST_UNKNOWN) {
            printf("  +--------------------------------------------------------------+\n"
                   "  | %-60s |\n  | %-60s |\n  | %-60s |\n"
                   "  +--------------------------------------------------------------+\n",
                   "Not a contact. Shown as plain text: styling, links and",
                   "attachments are withheld and nothing was fetched.",
                   "Accept, block or delete:");
            printf("  airlock --home %s --account alice accept|block|delete %s\n",
                   home, c->address);
        }
        print_conversation(ctx, c);
    }
    airlock_contact_list_free(l);
}

int cli_demo(const char *home_opt, int argc, char **argv)
{
    char tmpl[] = "/tmp/airlock-demo-XXXXXX";
    const char *home = home_opt;
    airlock_ctx *alice = NULL;
    airlock_err err;

    (void)argv;
    if (argc != 0) {
        fprintf(stderr, "usage: airlock [--home DIR] demo\n");
        return 2;
    }
    if (home == NULL) {
        if ((home = mkdtemp(tmpl)) == NULL) {
            perror("airlock: demo: mkdtemp");
            return 1;
        }
    }
    if ((err = run_scenario(home)) != AIRLOCK_OK) {
        fprintf(stderr, "airlock: demo: %s\n", airlock_strerror(err));
        return 1;
    }
    if (tui_available()) {
        airlock_config cfg;

        airlock_config_init(&cfg);
        cfg.home = home;
        cfg.account = "alice";
        cfg.no_passphrase = 1;
        return tui_run(&cfg);
    }
    if ((err = open_as(home, "alice", &alice)) != AIRLOCK_OK) {
        fprintf(stderr, "airlock: demo: %s\n", airlock_strerror(err));
        return 1;
    }
    printf("Airlock demo: alice's view (no terminal, so printed as the "
           "client shows it)\nhome: %s  (accounts alice, bob, mallory; "
           "open the client with `airlock --home %s --account alice`)\n",
           home, home);
    print_section(alice, "Chats", AIRLOCK_LIST_CHATS, home);
    print_section(alice, "Requests", AIRLOCK_LIST_REQUESTS, home);
    airlock_close(alice);
    return 0;
}

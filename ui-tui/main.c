/*
 * main.c - the `airlock` program: global options, the non-interactive
 * subcommands, the demo, and the terminal client when no command is given.
 * Built only on <airlock/airlock.h>, exactly as a GUI would be.
 *
 * Exit codes: 0 success, 1 failure, 2 usage or refused input.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <airlock/airlock.h>

#include "cli.h"
#include "cli_envelope.h"
#include "demo.h"
#include "tui.h"

#define PASSPHRASE_MAX 1024

typedef struct opts {
    const char *home;
    const char *account;
    const char *relay;
    const char *passphrase_file;
    int no_passphrase;
    int json;
    char pass[PASSPHRASE_MAX + 1];
    size_t pass_n;
    int have_pass;
    char home_buf[PATH_MAX];
    char account_buf[256];
    /* XMPP (init --transport xmpp) */
    const char *xmpp_host;
    unsigned xmpp_port;
    int xmpp_tls;
    char xmpp_pw[PASSPHRASE_MAX + 1];
    int have_xmpp_pw;
} opts;

static void usage(FILE *f)
{
    fputs(
"usage: airlock [--home DIR] [--account ADDR] [--relay PATH] <command>\n"
"  init --transport local [--no-passphrase | --passphrase-file F]\n"
"  init --transport xmpp [--xmpp-host HOST] [--xmpp-port N]\n"
"       [--tls verify|trust|disable] [--password-file F]  (account = JID)\n"
"  send TO TEXT | send --stdin TO\n"
"  recv [--wait SECONDS] [--json] [--stats]\n"
"  requests [--json]          contacts [--json]\n"
"  accept ADDR  block ADDR  unblock ADDR  delete ADDR\n"
"  history ADDR [--limit N] [--json]\n"
"  safety-number ADDR         verify ADDR        ack-identity ADDR\n"
"  events [--json]\n"
"  render --trust unknown|accepted --input frame|body [--json]\n"
"  vectors check FILE         vectors envelope ... (make a case)\n"
"  demo                       (no command: the terminal client)\n"
"The passphrase comes from --passphrase-file or AIRLOCK_PASSPHRASE;\n"
"the XMPP password from --password-file or AIRLOCK_XMPP_PASSWORD.\n"
"See airlock(1).\n", f);
}

static int fail(const char *what, airlock_err err)
{
    fprintf(stderr, "airlock: %s: %s\n", what, airlock_strerror(err));
    return err == AIRLOCK_ERR_ARG || err == AIRLOCK_ERR_TOO_LARGE ? 2 : 1;
}

static int read_passfile(opts *o)
{
    int fd = open(o->passphrase_file, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0) {
        fprintf(stderr, "airlock: %s: %s\n", o->passphrase_file,
                strerror(errno));
        return -1;
    }
    n = read(fd, o->pass, PASSPHRASE_MAX);
    close(fd);
    if (n < 0)
        return -1;
    while (n > 0 && (o->pass[n - 1] == '\n' || o->pass[n - 1] == '\r'))
        n--;
    o->pass[n] = '\0';
    o->pass_n = (size_t)n;
    o->have_pass = 1;
    return 0;
}

static int load_passphrase(opts *o)
{
    const char *env = getenv("AIRLOCK_PASSPHRASE");

    if (o->passphrase_file != NULL)
        return read_passfile(o);
    if (env != NULL && !o->no_passphrase) {
        size_t n = strlen(env);

        if (n > PASSPHRASE_MAX)
            return -1;
        memcpy(o->pass, env, n + 1);
        o->pass_n = n;
        o->have_pass = 1;
    }
    return 0;
}

/* Only one account under home: use it when --account is not given. */
static void guess_account(opts *o, const char *home)
{
    DIR *d;
    struct dirent *e;
    int found = 0;

    if (o->account != NULL || home == NULL || (d = opendir(home)) == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char p[PATH_MAX];
        struct stat sb;

        if (e->d_name[0] == '.')
            continue;
        if (snprintf(p, sizeof p, "%s/%s", home, e->d_name) >= (int)sizeof p)
            continue;
        if (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode))
            continue;
        if (found++ == 0 && strlen(e->d_name) < sizeof o->account_buf)
            snprintf(o->account_buf, sizeof o->account_buf, "%s", e->d_name);
    }
    closedir(d);
    if (found == 1)
        o->account = o->account_buf;
}

/* The XMPP password: --password-file F, else AIRLOCK_XMPP_PASSWORD. */
static int load_xmpp_password(opts *o, const char *file)
{
    const char *env = getenv("AIRLOCK_XMPP_PASSWORD");
    ssize_t n = 0;
    int fd;

    if (file != NULL) {
        if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
            fprintf(stderr, "airlock: %s: %s\n", file, strerror(errno));
            return -1;
        }
        n = read(fd, o->xmpp_pw, PASSPHRASE_MAX);
        close(fd);
        if (n < 0)
            return -1;
        while (n > 0 && (o->xmpp_pw[n - 1] == '\n' ||
                         o->xmpp_pw[n - 1] == '\r'))
            n--;
        o->xmpp_pw[n] = '\0';
    } else if (env != NULL) {
        if (strlen(env) > PASSPHRASE_MAX)
            return -1;
        n = (ssize_t)strlen(env);
        memcpy(o->xmpp_pw, env, (size_t)n + 1);
    }
    o->have_xmpp_pw = n > 0;
    return 0;
}

static void make_config(opts *o, airlock_config *cfg)
{
    airlock_config_init(cfg);
    if (o->home != NULL)
        cfg->home = o->home;
    guess_account(o, cfg->home);
    cfg->account = o->account;
    cfg->relay_path = o->relay;
    cfg->xmpp_host = o->xmpp_host;
    cfg->xmpp_port = (uint16_t)o->xmpp_port;
    cfg->xmpp_tls = o->xmpp_tls;
    if (o->have_xmpp_pw)
        cfg->xmpp_password = o->xmpp_pw;
    if (o->have_pass) {
        cfg->passphrase = o->pass;
        cfg->passphrase_len = o->pass_n;
    } else {
        cfg->no_passphrase = 1;
    }
}

/* ---- printing ---- */

static void print_hex(FILE *f, const uint8_t *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        fprintf(f, "%02x", b[i]);
}

/* JSON string of already-sanitized UTF-8. */
static void print_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static const char *trust_name(airlock_trust t)
{
    switch (t) {
    case AIRLOCK_TRUST_UNKNOWN: return "unknown";
    case AIRLOCK_TRUST_ACCEPTED: return "accepted";
    case AIRLOCK_TRUST_VERIFIED: return "verified";
    case AIRLOCK_TRUST_BLOCKED: return "blocked";
    }
    return "unknown";
}

static const char *state_name(airlock_msg_state st)
{
    switch (st) {
    case AIRLOCK_MSG_RECEIVED: return "received";
    case AIRLOCK_MSG_QUEUED: return "queued";
    case AIRLOCK_MSG_SENT: return "sent";
    case AIRLOCK_MSG_DELIVERED: return "delivered";
    case AIRLOCK_MSG_READ: return "read";
    }
    return "unknown";
}

static void print_message(const airlock_message *m, int json, int request)
{
    char *s = NULL;
    size_t n = 0;
    char *from = NULL, *conv = NULL;
    size_t fn = 0, cn = 0;

    /* Addresses come from senders: sanitized before they reach stdout. */
    if (airlock_sanitize((const uint8_t *)m->from, strlen(m->from), &from,
                         &fn) != AIRLOCK_OK ||
        airlock_sanitize((const uint8_t *)m->conversation,
                         strlen(m->conversation), &conv, &cn) != AIRLOCK_OK)
        goto out;
    if (json) {
        if (airlock_model_to_json(m->model, &s, &n) != AIRLOCK_OK || n < 2)
            goto out;
        fputs("{\"type\":\"message\",\"id\":\"", stdout);
        print_hex(stdout, m->id, sizeof m->id);
        fputs("\",\"from\":", stdout);
        print_json_str(stdout, from);
        printf(",\"device\":%u,\"time\":%lld,\"conversation\":",
               m->device, (long long)m->time_ms);
        print_json_str(stdout, conv);
        printf(",\"outgoing\":%s,\"request\":%s,\"state\":\"%s\",",
               m->outgoing ? "true" : "false", request ? "true" : "false",
               state_name(m->state));
        fputs(s + 1, stdout);      /* the model's members */
        fputc('\n', stdout);
    } else {
        if (airlock_model_to_text(m->model, &s, &n) != AIRLOCK_OK)
            goto out;
        printf("%s%s %s: %s\n", request ? "[request] " : "",
               m->outgoing ? "->" : "<-", m->outgoing ? conv : from, s);
    }
out:
    airlock_free(s);
    airlock_free(from);
    airlock_free(conv);
}

static void print_security(const airlock_security_event *e, int json)
{
    char *sender = NULL;
    size_t n = 0;

    if (airlock_sanitize((const uint8_t *)e->sender, strlen(e->sender),
                         &sender, &n) != AIRLOCK_OK)
        return;
    if (json) {
        printf("{\"type\":\"security\",\"kind\":\"%s\",\"sender\":",
               airlock_sec_kind_name(e->kind));
        print_json_str(stdout, sender);
        printf(",\"count\":%u,\"time\":%lld,\"detail\":", e->count,
               (long long)e->time_ms);
        print_json_str(stdout, e->detail);
        fputs("}\n", stdout);
    } else {
        fprintf(stderr, "[security] %s %s (x%u): %s\n",
                airlock_sec_kind_name(e->kind), sender[0] ? sender : "-",
                e->count, e->detail);
    }
    airlock_free(sender);
}

typedef struct recv_state {
    int json;
    unsigned messages;
    unsigned news;               /* events other than transport state */
} recv_state;

static void on_event(const airlock_event *ev, void *user)
{
    recv_state *rs = user;

    if (ev->kind != AIRLOCK_EVENT_TRANSPORT)
        rs->news++;
    switch (ev->kind) {
    case AIRLOCK_EVENT_MESSAGE:
    case AIRLOCK_EVENT_REQUEST:
        print_message(ev->message, rs->json,
                      ev->kind == AIRLOCK_EVENT_REQUEST);
        rs->messages++;
        break;
    case AIRLOCK_EVENT_SECURITY:
        print_security(ev->security, rs->json);
        break;
    case AIRLOCK_EVENT_TRANSPORT:
        if (rs->json)
            printf("{\"type\":\"transport\",\"up\":%s}\n",
                   ev->transport_up ? "true" : "false");
        break;
    default:
        break;
    }
    fflush(stdout);
}

/* ---- commands ---- */

static int open_ctx_cb(opts *o, airlock_config *cfg, airlock_ctx **ctx,
                      airlock_event_cb cb, void *user)
{
    airlock_err err;

    make_config(o, cfg);
    cfg->on_event = cb;
    cfg->user_data = user;
    if (cfg->account == NULL) {
        fprintf(stderr, "airlock: no account: give --account ADDR\n");
        return 2;
    }
    if ((err = airlock_open(cfg, ctx)) != AIRLOCK_OK) {
        if (err == AIRLOCK_ERR_NOT_FOUND)
            fprintf(stderr, "airlock: no account %s here; run "
                    "`airlock --account %s init --transport local`\n",
                    cfg->account, cfg->account);
        else if (err == AIRLOCK_ERR_PASSPHRASE)
            fprintf(stderr, "airlock: wrong or missing passphrase "
                    "(AIRLOCK_PASSPHRASE or --passphrase-file)\n");
        else if (err == AIRLOCK_ERR_AUTH)
            fprintf(stderr, "airlock: the XMPP server refused the account's "
                    "password (AIRLOCK_XMPP_PASSWORD overrides it)\n");
        else
            return fail("open", err);
        return 1;
    }
    return 0;
}

static int open_ctx(opts *o, airlock_config *cfg, airlock_ctx **ctx)
{
    return open_ctx_cb(o, cfg, ctx, NULL, NULL);
}

static int cmd_init(opts *o, int argc, char **argv)
{
    airlock_config cfg;
    const char *transport = NULL;
    airlock_err err;
    int i;

    const char *tls = NULL, *password_file = NULL;
    int xmpp = 0, has_xmpp_opts = 0;

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--transport") == 0 && i + 1 < argc)
            transport = argv[++i];
        else if (strcmp(argv[i], "--relay") == 0 && i + 1 < argc)
            o->relay = argv[++i];
        else if (strcmp(argv[i], "--no-passphrase") == 0)
            o->no_passphrase = 1;
        else if (strcmp(argv[i], "--passphrase-file") == 0 && i + 1 < argc)
            o->passphrase_file = argv[++i];
        else if (strcmp(argv[i], "--xmpp-host") == 0 && i + 1 < argc) {
            o->xmpp_host = argv[++i];
            has_xmpp_opts = 1;
        } else if (strcmp(argv[i], "--xmpp-port") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);

            if (*end != '\0' || v < 1 || v > 65535) {
                usage(stderr);
                return 2;
            }
            o->xmpp_port = (unsigned)v;
            has_xmpp_opts = 1;
        } else if (strcmp(argv[i], "--tls") == 0 && i + 1 < argc) {
            tls = argv[++i];
            has_xmpp_opts = 1;
        } else if (strcmp(argv[i], "--password-file") == 0 && i + 1 < argc) {
            password_file = argv[++i];
            has_xmpp_opts = 1;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (transport != NULL && strcmp(transport, "xmpp") == 0)
        xmpp = 1;
    else if (transport == NULL || strcmp(transport, "local") != 0) {
        fprintf(stderr, "airlock: init needs --transport local or "
                "--transport xmpp\n");
        return 2;
    }
    if (!xmpp && has_xmpp_opts) {
        fprintf(stderr, "airlock: --xmpp-host, --xmpp-port, --tls and "
                "--password-file go with --transport xmpp\n");
        return 2;
    }
    if (xmpp) {
        if (tls == NULL || strcmp(tls, "verify") == 0)
            o->xmpp_tls = 0;
        else if (strcmp(tls, "trust") == 0)
            o->xmpp_tls = 1;
        else if (strcmp(tls, "disable") == 0)
            o->xmpp_tls = 2;
        else {
            usage(stderr);
            return 2;
        }
        if (load_xmpp_password(o, password_file) != 0)
            return 1;
        if (!o->have_xmpp_pw) {
            fprintf(stderr, "airlock: init --transport xmpp needs the "
                    "account's password (--password-file F or "
                    "AIRLOCK_XMPP_PASSWORD)\n");
            return 2;
        }
    }
    if (o->account == NULL) {
        fprintf(stderr, "airlock: init needs --account ADDR\n");
        return 2;
    }
    if (o->no_passphrase && o->passphrase_file != NULL) {
        usage(stderr);
        return 2;
    }
    if (load_passphrase(o) != 0)
        return 1;
    if (!o->no_passphrase && !o->have_pass) {
        fprintf(stderr, "airlock: choose --no-passphrase or give a passphrase "
                "(--passphrase-file F or AIRLOCK_PASSPHRASE)\n");
        return 2;
    }
    make_config(o, &cfg);
    cfg.account = o->account;
    if (xmpp)
        cfg.transport = AIRLOCK_TRANSPORT_XMPP;
    err = airlock_account_create(&cfg);
    explicit_bzero(o->xmpp_pw, sizeof o->xmpp_pw);
    if (err != AIRLOCK_OK) {
        if (xmpp && err == AIRLOCK_ERR_ARG && o->xmpp_tls != 0)
            fprintf(stderr, "airlock: init: --tls trust and --tls disable "
                    "are only for a loopback server (127.0.0.1, ::1, "
                    "localhost), and the account must be a bare JID in "
                    "lower case\n");
        else if (xmpp && err == AIRLOCK_ERR_ARG)
            fprintf(stderr, "airlock: init: the account must be a bare JID "
                    "in lower case (name@domain)\n");
        else if (err == AIRLOCK_ERR_AUTH)
            fprintf(stderr, "airlock: init: the XMPP server refused the "
                    "password\n");
        else if (xmpp && (err == AIRLOCK_ERR_NET || err == AIRLOCK_ERR_TIMEOUT ||
                          err == AIRLOCK_ERR_TLS))
            fprintf(stderr, "airlock: init: could not reach the XMPP server "
                    "(%s); nothing was created\n", airlock_strerror(err));
        else
            return fail("init", err);
        return err == AIRLOCK_ERR_ARG ? 2 : 1;
    }
    if (!o->json)
        printf("created %s\n", o->account);
    return 0;
}

/* `send TO TEXT`, or `send --stdin TO`: every line of standard input is
 * one message, all committed as one batch. */
static int cmd_send(opts *o, int argc, char **argv)
{
    airlock_config cfg;
    airlock_ctx *ctx = NULL;
    uint8_t id[16];
    airlock_err err = AIRLOCK_OK;
    const char *to;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc, from_stdin = argc == 2 && strcmp(argv[0], "--stdin") == 0;

    if (argc != 2) {
        usage(stderr);
        return 2;
    }
    to = from_stdin ? argv[1] : argv[0];
    if ((rc = open_ctx(o, &cfg, &ctx)) != 0)
        return rc;
    if (!from_stdin) {
        err = airlock_send_text(ctx, to, argv[1], strlen(argv[1]), id);
        if (err == AIRLOCK_OK) {
            print_hex(stdout, id, sizeof id);
            fputc('\n', stdout);
        }
    } else if ((err = airlock_batch_begin(ctx)) == AIRLOCK_OK) {
        while (err == AIRLOCK_OK && (n = getline(&line, &cap, stdin)) > 0) {
            if (line[n - 1] == '\n')
                line[--n] = '\0';
            if ((err = airlock_send_text(ctx, to, line, (size_t)n, id)) ==
                AIRLOCK_OK) {
                print_hex(stdout, id, sizeof id);
                fputc('\n', stdout);
            }
        }
        /* the first error is the one reported */
        airlock_err end_err = airlock_batch_end(ctx);

        if (err == AIRLOCK_OK)
            err = end_err;
    }
    free(line);
    airlock_close(ctx);
    if (err != AIRLOCK_OK) {
        if (err == AIRLOCK_ERR_NOT_FOUND)
            fprintf(stderr, "airlock: send: %s has no published device\n",
                    to);
        else
            return fail("send", err);
        return 1;
    }
    return 0;
}

static int cmd_recv(opts *o, int argc, char **argv)
{
    airlock_config cfg;
    airlock_ctx *ctx = NULL;
    recv_state rs;
    long wait_s = 0;
    airlock_err err = AIRLOCK_OK;
    int i, rc, stats = 0;

    memset(&rs, 0, sizeof rs);
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            rs.json = 1;
        } else if (strcmp(argv[i], "--stats") == 0) {
            stats = 1;
        } else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
            char *end;

            wait_s = strtol(argv[++i], &end, 10);
            if (*end != '\0' || wait_s < 0 || wait_s > 86400) {
                usage(stderr);
                return 2;
            }
        } else {
            usage(stderr);
            return 2;
        }
    }
    if ((rc = open_ctx_cb(o, &cfg, &ctx, on_event, &rs)) != 0)
        return rc;
    /* Drain what is waiting, then wait until SECONDS pass with nothing. */
    err = airlock_step(ctx, 0);
    while (err == AIRLOCK_OK && wait_s > 0) {
        unsigned before = rs.news;

        err = airlock_step(ctx, (int)(wait_s * 1000));
        if (rs.news == before && err == AIRLOCK_OK) {
            /* nothing new for a whole wait period */
            err = airlock_step(ctx, 0);
            if (rs.news == before)
                break;
        }
    }
    if (stats) {
        airlock_stats st;
        struct rusage ru;

        airlock_get_stats(ctx, &st);
        getrusage(RUSAGE_SELF, &ru);
        printf("{\"type\":\"stats\",\"envelopes\":%llu,\"decrypts\":%llu,"
               "\"stored\":%llu,\"dropped\":%llu,\"max_rss_kib\":%ld}\n",
               (unsigned long long)st.envelopes,
               (unsigned long long)st.decrypts,
               (unsigned long long)st.stored,
               (unsigned long long)st.dropped, ru.ru_maxrss);
    }
    airlock_close(ctx);
    return err == AIRLOCK_OK ? 0 : fail("recv", err);
}

static int cmd_contacts(opts *o, int argc, char **argv, unsigned which)
{
    airlock_config cfg;
    airlock_ctx *ctx = NULL;
    airlock_contact_list *l = NULL;
    airlock_err err;
    size_t i;
    int rc;

    if (argc == 1 && strcmp(argv[0], "--json") == 0)
        o->json = 1;
    else if (argc != 0) {
        usage(stderr);
        return 2;
    }
    if ((rc = open_ctx(o, &cfg, &ctx)) != 0)
        return rc;
    if ((err = airlock_contacts(ctx, which, &l)) != AIRLOCK_OK) {
        airlock_close(ctx);
        return fail("contacts", err);
    }
    for (i = 0; i < airlock_contact_list_count(l); i++) {
        const airlock_contact *c = airlock_contact_list_get(l, i);

        if (o->json) {
            fputs("{\"address\":", stdout);
            print_json_str(stdout, c->address);
            printf(",\"trust\":\"%s\",\"identity_changed\":%s,"
                   "\"messages\":%u,\"unread\":%u,\"last\":%lld}\n",
                   trust_name(c->trust),
                   c->identity_changed ? "true" : "false", c->messages,
                   c->unread, (long long)c->last_ms);
        } else {
            printf("%-32s %-9s %5u messages%s%s\n", c->address,
                   trust_name(c->trust), c->messages,
                   c->unread ? " (unread)" : "",
                   c->identity_changed ? "  IDENTITY CHANGED" : "");
        }
    }
    airlock_contact_list_free(l);
    airlock_close(ctx);
    return 0;
}

typedef airlock_err (*addr_fn)(airlock_ctx *, const char *);

static int cmd_addr(opts *o, int argc, char **argv, addr_fn fn,
                    const char *what)
{
    airlock_config cfg;
    airlock_ctx *ctx = NULL;
    airlock_err err;
    int rc;

    if (argc != 1) {
        usage(stderr);
        return 2;
    }
    if ((rc = open_ctx(o, &cfg, &ctx)) != 0)
        return rc;
    err = fn(ctx, argv[0]);
    airlock_close(ctx);
    if (err != AIRLOCK_OK)
        return fail(what, err);
    return 0;
}

static int cmd_history(opts *o, int argc, char **argv)
{
    airlock_config cfg;
    airlock_ctx *ctx = NULL;
    airlock_message_list *l = NULL;
    const char *addr = NULL;
    long limit = 50;
    airlock_err err;
    size_t i;
    int rc;

    for (rc = 0; rc < argc; rc++) {
        if (strcmp(argv[rc], "--json") == 0) {
            o->json = 1;
        } else if (strcmp(argv[rc], "--limit") == 0 && rc + 1 < argc) {
            char *end;

            limit = strtol(argv[++rc], &end, 10);
            if (*end != '\0' || limit <= 0 || limit > 1000) {
                usage(stderr);
                return 2;
            }
        } else if (addr == NULL) {
            addr = argv[rc];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (addr == NULL) {
        usage(stderr);
        return 2;
    }
    if ((rc = open_ctx(o, &cfg, &ctx)) != 0)
        return rc;
    if ((err = airlock_history(ctx, addr, 0, (size_t)limit, &l)) !=
        AIRLOCK_OK) {
        airlock_close(ctx);
        return fail("history", err);
    }
    /* Oldest first on a terminal, like a chat log. */
    for (i = airlock_message_list_count(l); i > 0; i--) {
        const airlock_message *m = airlock_message_list_get(l, i - 1);

        print_message(m, o->json,
                      !m->outgoing &&
                      airlock_model_trust(m->model) == AIRLOCK_TRUST_UNKNOWN);
    }
    airlock_message_list_free(l);
    airlock_close(ctx);
    return 0;
}

static int cmd_safety(opts *o, int argc, char **argv)
{
    airlock_config cfg;
    airlock_ctx *ctx = NULL;
    char num[AIRLOCK_SAFETY_NUMBER_LEN];
    airlock_err err;
    int rc;

    if (argc != 1) {
        usage(stderr);
        return 2;
    }
    if ((rc = open_ctx(o, &cfg, &ctx)) != 0)
        return rc;
    err = airlock_safety_number(ctx, argv[0], num);
    airlock_close(ctx);
    if (err != AIRLOCK_OK)
        return fail("safety-number", err);
    printf("%s\n", num);
    return 0;
}

static int cmd_events(opts *o, int argc, char **argv)
{
    airlock_config cfg;
    airlock_ctx *ctx = NULL;
    airlock_event_list *l = NULL;
    airlock_err err;
    size_t i;
    int rc;

    if (argc == 1 && strcmp(argv[0], "--json") == 0)
        o->json = 1;
    else if (argc != 0) {
        usage(stderr);
        return 2;
    }
    if ((rc = open_ctx(o, &cfg, &ctx)) != 0)
        return rc;
    if ((err = airlock_security_events(ctx, 0, &l)) != AIRLOCK_OK) {
        airlock_close(ctx);
        return fail("events", err);
    }
    for (i = 0; i < airlock_event_list_count(l); i++) {
        const airlock_security_event *e = airlock_event_list_get(l, i);
        char *sender = NULL;
        size_t n;

        if (airlock_sanitize((const uint8_t *)e->sender, strlen(e->sender),
                             &sender, &n) != AIRLOCK_OK)
            continue;
        if (o->json) {
            printf("{\"kind\":\"%s\",\"sender\":",
                   airlock_sec_kind_name(e->kind));
            print_json_str(stdout, sender);
            printf(",\"count\":%u,\"first\":%lld,\"last\":%lld,\"detail\":",
                   e->count, (long long)e->time_ms, (long long)e->last_ms);
            print_json_str(stdout, e->detail);
            fputs("}\n", stdout);
        } else {
            printf("%-20s %-28s x%-6u %s\n", airlock_sec_kind_name(e->kind),
                   sender[0] ? sender : "-", e->count, e->detail);
        }
        airlock_free(sender);
    }
    airlock_security_events_seen(ctx);
    airlock_event_list_free(l);
    airlock_close(ctx);
    return 0;
}

static int cmd_client(opts *o)
{
    airlock_config cfg;

    if (!tui_available()) {
        fprintf(stderr, "airlock: the client needs a terminal; "
                "see `airlock --help` for commands\n");
        return 2;
    }
    if (load_passphrase(o) != 0)
        return 1;
    make_config(o, &cfg);
    return tui_run(&cfg);
}

int main(int argc, char **argv)
{
    opts o;
    const char *cmd;
    int i, rc;

    memset(&o, 0, sizeof o);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
            o.home = argv[++i];
        else if (strcmp(argv[i], "--account") == 0 && i + 1 < argc)
            o.account = argv[++i];
        else if (strcmp(argv[i], "--relay") == 0 && i + 1 < argc)
            o.relay = argv[++i];
        else if (strcmp(argv[i], "--passphrase-file") == 0 && i + 1 < argc)
            o.passphrase_file = argv[++i];
        else if (strcmp(argv[i], "--help") == 0 ||
                 strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("airlock %s\n", airlock_version());
            return 0;
        } else
            break;
    }
    if (o.account == NULL)
        o.account = getenv("AIRLOCK_ACCOUNT");
    /* An XMPP account's stored password can be overridden from the
     * environment (e.g. after it was changed on the server). */
    if (getenv("AIRLOCK_XMPP_PASSWORD") != NULL &&
        load_xmpp_password(&o, NULL) != 0)
        return 1;
    if (i == argc)
        return cmd_client(&o);
    cmd = argv[i++];
    argc -= i;
    argv += i;
    if (strcmp(cmd, "render") == 0)
        return cli_render(argc, argv);
    if (strcmp(cmd, "vectors") == 0)
        return cli_vectors_all(argc, argv);
    if (strcmp(cmd, "init") == 0)
        return cmd_init(&o, argc, argv);
    if (strcmp(cmd, "demo") == 0)
        return cli_demo(o.home, argc, argv);
    if (load_passphrase(&o) != 0)
        return 1;
    if (strcmp(cmd, "send") == 0)
        rc = cmd_send(&o, argc, argv);
    else if (strcmp(cmd, "recv") == 0)
        rc = cmd_recv(&o, argc, argv);
    else if (strcmp(cmd, "requests") == 0)
        rc = cmd_contacts(&o, argc, argv, AIRLOCK_LIST_REQUESTS);
    else if (strcmp(cmd, "contacts") == 0)
        rc = cmd_contacts(&o, argc, argv, AIRLOCK_LIST_ALL);
    else if (strcmp(cmd, "accept") == 0)
        rc = cmd_addr(&o, argc, argv, airlock_accept, "accept");
    else if (strcmp(cmd, "block") == 0)
        rc = cmd_addr(&o, argc, argv, airlock_block, "block");
    else if (strcmp(cmd, "unblock") == 0)
        rc = cmd_addr(&o, argc, argv, airlock_unblock, "unblock");
    else if (strcmp(cmd, "delete") == 0)
        rc = cmd_addr(&o, argc, argv, airlock_delete_request, "delete");
    else if (strcmp(cmd, "verify") == 0)
        rc = cmd_addr(&o, argc, argv, airlock_verify, "verify");
    else if (strcmp(cmd, "ack-identity") == 0)
        rc = cmd_addr(&o, argc, argv, airlock_ack_identity, "ack-identity");
    else if (strcmp(cmd, "history") == 0)
        rc = cmd_history(&o, argc, argv);
    else if (strcmp(cmd, "safety-number") == 0)
        rc = cmd_safety(&o, argc, argv);
    else if (strcmp(cmd, "events") == 0)
        rc = cmd_events(&o, argc, argv);
    else {
        usage(stderr);
        rc = 2;
    }
    explicit_bzero(o.pass, sizeof o.pass);
    explicit_bzero(o.xmpp_pw, sizeof o.xmpp_pw);
    return rc;
}

/*
 * account.c - configuration, account creation, opening and closing the
 * account context, and the step loop a front end drives from its poll.
 */
#include "core/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utf8proc.h>

#include "net/xmpp/xmpp.h"

#define ACCOUNT_PREKEYS 100u
#define RELAY_DEFAULT_NAME "local-relay.db"
/* XMPP accounts: the inbound spool in the account directory, the store
 * meta keys, and how long opening waits for the session. */
#define XMPP_SPOOL_NAME "xmpp-spool.db"
#define XMPP_META_HOST "xmpp_host"
#define XMPP_META_PORT "xmpp_port"
#define XMPP_META_TLS "xmpp_tls"
#define XMPP_META_PASSWORD "xmpp_password"        /* sealed */
#define XMPP_READY_WAIT_MS 10000

AIRLOCK_API void airlock_config_init(airlock_config *cfg)
{
    if (cfg == NULL)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->struct_size = sizeof *cfg;
    cfg->transport = AIRLOCK_TRANSPORT_LOCAL;
    cfg->sandbox = 1;
    cfg->send_receipts = 1;
}

/* An address is shown to users and names things: valid UTF-8 of at most
 * 255 bytes with no control, format (bidi, invisible), separator or
 * unassigned code point, and no space. */
bool engine_addr_ok(const char *addr)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)addr;
    size_t n;
    utf8proc_ssize_t i = 0, k;

    if (addr == NULL)
        return false;
    n = strlen(addr);
    if (n == 0 || n > STORE_ADDR_MAX)
        return false;
    while ((size_t)i < n) {
        utf8proc_int32_t cp;

        k = utf8proc_iterate(p + i, (utf8proc_ssize_t)n - i, &cp);
        if (k <= 0)
            return false;
        switch (utf8proc_category(cp)) {
        case UTF8PROC_CATEGORY_CC:
        case UTF8PROC_CATEGORY_CF:
        case UTF8PROC_CATEGORY_CS:
        case UTF8PROC_CATEGORY_CO:
        case UTF8PROC_CATEGORY_CN:
        case UTF8PROC_CATEGORY_ZS:
        case UTF8PROC_CATEGORY_ZL:
        case UTF8PROC_CATEGORY_ZP:
            return false;
        default:
            break;
        }
        i += k;
    }
    return true;
}

/* An address names a directory under home: it must not escape it. */
static bool addr_path_ok(const char *addr)
{
    return engine_addr_ok(addr) && strchr(addr, '/') == NULL &&
           strcmp(addr, ".") != 0 && strcmp(addr, "..") != 0 &&
           addr[0] != '.';
}

static airlock_err default_home(char *out, size_t cap)
{
    const char *x = getenv("XDG_DATA_HOME");
    const char *h = getenv("HOME");
    int n;

    if (x != NULL && x[0] == '/')
        n = snprintf(out, cap, "%s/airlock", x);
    else if (h != NULL && h[0] != '\0')
        n = snprintf(out, cap, "%s/.local/share/airlock", h);
    else
        return AIRLOCK_ERR_ARG;
    return n > 0 && (size_t)n < cap ? AIRLOCK_OK : AIRLOCK_ERR_ARG;
}

/* mkdir -p with mode 0700 for the components we create. */
static airlock_err make_dirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path), i;

    if (n == 0 || n >= sizeof tmp)
        return AIRLOCK_ERR_ARG;
    memcpy(tmp, path, n + 1);
    for (i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0')
            continue;
        tmp[i] = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return AIRLOCK_ERR_IO;
        tmp[i] = path[i];
    }
    return AIRLOCK_OK;
}

typedef struct paths {
    char home[4096];
    char dir[4096];
    char relay[4096];
} paths;

static airlock_err resolve_paths(const airlock_config *cfg, paths *p)
{
    airlock_err err;
    int n;

    if (cfg->home != NULL && cfg->home[0] != '\0') {
        if (strlen(cfg->home) >= sizeof p->home)
            return AIRLOCK_ERR_ARG;
        memcpy(p->home, cfg->home, strlen(cfg->home) + 1);
    } else if ((err = default_home(p->home, sizeof p->home)) != AIRLOCK_OK) {
        return err;
    }
    n = snprintf(p->dir, sizeof p->dir, "%s/%s", p->home, cfg->account);
    if (n < 0 || (size_t)n >= sizeof p->dir)
        return AIRLOCK_ERR_ARG;
    if (cfg->relay_path != NULL && cfg->relay_path[0] != '\0') {
        if (strlen(cfg->relay_path) >= sizeof p->relay)
            return AIRLOCK_ERR_ARG;
        memcpy(p->relay, cfg->relay_path, strlen(cfg->relay_path) + 1);
    } else {
        n = snprintf(p->relay, sizeof p->relay, "%s/%s", p->home,
                     RELAY_DEFAULT_NAME);
        if (n < 0 || (size_t)n >= sizeof p->relay)
            return AIRLOCK_ERR_ARG;
    }
    return AIRLOCK_OK;
}

/* XMPP settings: a bare JID account, a known TLS mode, and TLS checks
 * switched off only for a loopback server. */
static airlock_err check_xmpp(const airlock_config *cfg, bool create)
{
    const char *host = cfg->xmpp_host;

    if (!net_xmpp_bare_jid_ok(cfg->account) || cfg->xmpp_tls < 0 ||
        cfg->xmpp_tls > NET_XMPP_TLS_DISABLE)
        return AIRLOCK_ERR_ARG;
    if (host != NULL && (host[0] == '\0' || strlen(host) > NET_XMPP_HOST_MAX))
        return AIRLOCK_ERR_ARG;
    if (host == NULL)
        host = strchr(cfg->account, '@') + 1;
    if (cfg->xmpp_tls != NET_XMPP_TLS_VERIFY &&
        !net_xmpp_host_is_loopback(host))
        return AIRLOCK_ERR_ARG;
    if (cfg->xmpp_password != NULL &&
        (cfg->xmpp_password[0] == '\0' ||
         strlen(cfg->xmpp_password) > NET_XMPP_PASSWORD_MAX))
        return AIRLOCK_ERR_ARG;
    if (create && cfg->xmpp_password == NULL)
        return AIRLOCK_ERR_ARG;
    return AIRLOCK_OK;
}

/* A caller built against a newer header may pass a larger struct: fine
 * as long as everything this library does not know is zero (left at
 * airlock_config_init's defaults); a field set there would be an option
 * silently ignored. */
static bool config_tail_zero(const airlock_config *cfg)
{
    const unsigned char *p = (const unsigned char *)cfg;
    size_t i;

    for (i = sizeof *cfg; i < cfg->struct_size; i++)
        if (p[i] != 0)
            return false;
    return true;
}

static airlock_err check_config(const airlock_config *cfg)
{
    if (cfg == NULL || cfg->struct_size < sizeof(airlock_config) ||
        cfg->struct_size > AIRLOCK_CONFIG_SIZE_MAX)
        return AIRLOCK_ERR_ARG;
    if (!config_tail_zero(cfg))
        return AIRLOCK_ERR_UNSUPPORTED;
    if (!addr_path_ok(cfg->account))
        return AIRLOCK_ERR_ARG;
    if (cfg->transport != AIRLOCK_TRANSPORT_LOCAL &&
        cfg->transport != AIRLOCK_TRANSPORT_XMPP)
        return AIRLOCK_ERR_UNSUPPORTED;
    if (!cfg->no_passphrase && cfg->passphrase == NULL)
        return AIRLOCK_ERR_ARG;
    return AIRLOCK_OK;
}

static void fill_store_args(const airlock_config *cfg, const char *dir,
                            bool create, store_open_args *a)
{
    memset(a, 0, sizeof *a);
    a->dir = dir;
    a->passphrase = cfg->passphrase;
    a->passphrase_len = cfg->passphrase != NULL ?
        (cfg->passphrase_len != 0 ? cfg->passphrase_len :
         strlen(cfg->passphrase)) : 0;
    a->mode = cfg->no_passphrase ? STORE_NO_PASSPHRASE : STORE_PASSPHRASE;
    a->create = create;
    a->fast_kdf = false;
}

/* Publish the own bundle and every unpublished one-time prekey. */
static airlock_err publish_all(crypto_ctx *cr, net_transport *net)
{
    uint8_t *bundle = NULL, *pubs = NULL;
    uint32_t *ids = NULL;
    size_t bn = 0, count = 0;
    airlock_err err;

    if ((err = crypto_bundle_export(cr, &bundle, &bn)) != AIRLOCK_OK)
        goto out;
    if ((err = crypto_prekeys_public(cr, &ids, &pubs, &count)) != AIRLOCK_OK)
        goto out;
    err = net->ops->publish(net, bundle, bn, ids, pubs, count);
out:
    free(bundle);
    free(ids);
    free(pubs);
    return err;
}

static uint32_t new_device_id(void)
{
    uint32_t id;

    do {
        id = base_random_u32() & NET_DEVICE_ID_MAX;
    } while (id == 0);
    return id;
}

/* The engine's answer to the XMPP gate: a peer's trust, UNKNOWN when we
 * have no contact (or cannot tell). */
static airlock_trust xmpp_trust(void *user, const char *addr)
{
    airlock_ctx *ctx = user;
    store_contact c;

    if (!engine_addr_ok(addr) ||
        store_contact_get(ctx->st, addr, &c) != AIRLOCK_OK)
        return AIRLOCK_TRUST_UNKNOWN;
    return c.trust;
}

/* The addresses blocked here, for the server's block list. */
typedef struct xmpp_blocked_walk {
    net_xmpp_addr_cb cb;
    void *arg;
} xmpp_blocked_walk;

static int xmpp_blocked_one(const store_contact *c, void *arg)
{
    xmpp_blocked_walk *w = arg;

    w->cb(w->arg, c->address);
    return 0;
}

static void xmpp_blocked(void *user, net_xmpp_addr_cb cb, void *arg)
{
    airlock_ctx *ctx = user;
    xmpp_blocked_walk w = { cb, arg };

    (void)store_contact_each(ctx->st, 1u << AIRLOCK_TRUST_BLOCKED,
                             xmpp_blocked_one, &w);
}

typedef struct xmpp_settings {
    char host[NET_XMPP_HOST_MAX + 1];  /* "" : the account's domain */
    uint16_t port;
    int tls;
} xmpp_settings;

static airlock_err meta_text(store *st, const char *key, char *out,
                             size_t cap)
{
    uint8_t *v = NULL;
    size_t n = 0;
    airlock_err err = store_meta_get(st, key, &v, &n);

    out[0] = '\0';
    if (err == AIRLOCK_OK && (n >= cap || memchr(v, '\0', n) != NULL))
        err = AIRLOCK_ERR_CORRUPT;
    if (err == AIRLOCK_OK) {
        memcpy(out, v, n);
        out[n] = '\0';
    }
    free(v);
    return err;
}

static airlock_err xmpp_settings_load(store *st, xmpp_settings *x)
{
    char num[16];
    char *end;
    unsigned long v;
    airlock_err err;

    memset(x, 0, sizeof *x);
    err = meta_text(st, XMPP_META_HOST, x->host, sizeof x->host);
    if (err != AIRLOCK_OK && err != AIRLOCK_ERR_NOT_FOUND)
        return err;
    if ((err = meta_text(st, XMPP_META_PORT, num, sizeof num)) != AIRLOCK_OK)
        return err;
    v = strtoul(num, &end, 10);
    if (*end != '\0' || v > 65535)
        return AIRLOCK_ERR_CORRUPT;
    x->port = (uint16_t)v;
    if ((err = meta_text(st, XMPP_META_TLS, num, sizeof num)) != AIRLOCK_OK)
        return err;
    if (num[0] < '0' || num[0] > '2' || num[1] != '\0')
        return AIRLOCK_ERR_CORRUPT;
    x->tls = num[0] - '0';
    return AIRLOCK_OK;
}

static airlock_err xmpp_settings_save(store *st, const airlock_config *cfg)
{
    char num[16];
    airlock_err err;

    if (cfg->xmpp_host != NULL &&
        (err = store_meta_set(st, XMPP_META_HOST,
                              (const uint8_t *)cfg->xmpp_host,
                              strlen(cfg->xmpp_host))) != AIRLOCK_OK)
        return err;
    snprintf(num, sizeof num, "%u", (unsigned)cfg->xmpp_port);
    if ((err = store_meta_set(st, XMPP_META_PORT, (const uint8_t *)num,
                              strlen(num))) != AIRLOCK_OK)
        return err;
    snprintf(num, sizeof num, "%d", cfg->xmpp_tls);
    if ((err = store_meta_set(st, XMPP_META_TLS, (const uint8_t *)num,
                              strlen(num))) != AIRLOCK_OK)
        return err;
    /* sealed under the database key, like every other secret */
    return store_meta_set_sealed(st, XMPP_META_PASSWORD,
                                 (const uint8_t *)cfg->xmpp_password,
                                 strlen(cfg->xmpp_password));
}

/* Open the XMPP transport of an account. The password is cfg's when given,
 * else the sealed one in the store. */
static airlock_err xmpp_open(const airlock_config *cfg, store *st,
                             const char *dir, uint32_t dev,
                             net_xmpp_trust_fn trust, void *user,
                             net_transport **out)
{
    xmpp_settings x;
    net_xmpp_args a;
    char spool[4200];
    uint8_t *pw = NULL;
    size_t pw_n = 0;
    int n;
    airlock_err err;

    *out = NULL;
    if ((err = xmpp_settings_load(st, &x)) != AIRLOCK_OK)
        return err;
    n = snprintf(spool, sizeof spool, "%s/%s", dir, XMPP_SPOOL_NAME);
    if (n < 0 || (size_t)n >= sizeof spool)
        return AIRLOCK_ERR_ARG;
    if (cfg->xmpp_password != NULL) {
        pw_n = strlen(cfg->xmpp_password);
    } else if ((err = store_meta_get_sealed(st, XMPP_META_PASSWORD, &pw,
                                            &pw_n)) != AIRLOCK_OK) {
        return err;
    }
    memset(&a, 0, sizeof a);
    a.jid = cfg->account;
    a.password = pw != NULL ? (const char *)pw : cfg->xmpp_password;
    a.password_n = pw_n;
    a.host = x.host[0] != '\0' ? x.host : NULL;
    a.port = x.port;
    a.tls = (net_xmpp_tls)x.tls;
    a.device_id = dev;
    a.spool_path = spool;
    a.trust = trust;
    a.blocked = trust != NULL ? xmpp_blocked : NULL;
    a.trust_user = user;
    err = net_xmpp_open(&a, out);
    if (pw != NULL)
        store_buf_free(pw, pw_n);
    return err;
}

/* Undo a half-made account: the files directly in its directory (all we
 * create there), then the directory. Only for a directory we just made. */
static void remove_account_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[4400];

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) <
            (int)sizeof p)
            (void)unlink(p);
    }
    closedir(d);
    (void)rmdir(dir);
}

AIRLOCK_API airlock_err airlock_account_create(const airlock_config *cfg)
{
    paths p;
    store_open_args a;
    store *st = NULL;
    crypto_ctx *cr = NULL;
    net_transport *net = NULL;
    struct stat sb;
    airlock_err err;

    bool xmpp;

    if ((err = check_config(cfg)) != AIRLOCK_OK)
        return err;
    xmpp = cfg->transport == AIRLOCK_TRANSPORT_XMPP;
    if (xmpp && (err = check_xmpp(cfg, true)) != AIRLOCK_OK)
        return err;
    if ((err = base_init()) != AIRLOCK_OK)
        return err;
    if ((err = resolve_paths(cfg, &p)) != AIRLOCK_OK)
        return err;
    if (stat(p.dir, &sb) == 0)
        return AIRLOCK_ERR_EXISTS;
    if ((err = make_dirs(p.home)) != AIRLOCK_OK)
        return err;
    fill_store_args(cfg, p.dir, true, &a);
    if ((err = store_open(&a, &st)) != AIRLOCK_OK)
        goto out;
    if ((err = crypto_ctx_new(st, NULL, &cr)) != AIRLOCK_OK)
        goto out;
    if ((err = store_begin(st)) != AIRLOCK_OK)
        goto out;
    if ((err = crypto_account_generate(cr, new_device_id(),
                                       ACCOUNT_PREKEYS)) != AIRLOCK_OK ||
        (err = store_meta_set(st, "account", (const uint8_t *)cfg->account,
                              strlen(cfg->account))) != AIRLOCK_OK ||
        (!xmpp &&
         (err = store_meta_set(st, "relay", (const uint8_t *)p.relay,
                               strlen(p.relay))) != AIRLOCK_OK) ||
        (xmpp && (err = xmpp_settings_save(st, cfg)) != AIRLOCK_OK) ||
        (err = store_meta_set(st, "transport",
                              (const uint8_t *)(xmpp ? "xmpp" : "local"),
                              xmpp ? 4 : 5)) != AIRLOCK_OK) {
        store_rollback(st);
        goto out;
    }
    if ((err = store_commit(st)) != AIRLOCK_OK)
        goto out;
    if (xmpp) {
        /* Nobody is asked for trust yet: the account has no contacts. */
        if ((err = xmpp_open(cfg, st, p.dir, crypto_device_id(cr), NULL,
                             NULL, &net)) != AIRLOCK_OK ||
            (err = publish_all(cr, net)) != AIRLOCK_OK)
            goto out;
        /* the session publishes the device list and the bundle */
        err = net_xmpp_wait_ready(net, XMPP_READY_WAIT_MS);
        goto out;
    }
    if ((err = net_local_open(p.relay, cfg->account, crypto_device_id(cr),
                              &net)) != AIRLOCK_OK)
        goto out;
    err = publish_all(cr, net);
out:
    if (net != NULL)
        net->ops->close(net);
    crypto_ctx_free(cr);
    store_close(st);
    /* An XMPP account that could not reach its server (wrong password,
     * no server, TLS refused) is not left half made: init can be run
     * again. */
    if (err != AIRLOCK_OK && xmpp && st != NULL)
        remove_account_dir(p.dir);
    return err;
}

AIRLOCK_API airlock_err airlock_open(const airlock_config *cfg,
                                     airlock_ctx **out)
{
    airlock_ctx *ctx = NULL;
    paths p;
    store_open_args a;
    uint8_t *relay = NULL;
    size_t relay_n = 0;
    struct stat sb;
    struct epoll_event ev;
    char kind[16];
    int nfd;
    airlock_err err;

    if (out == NULL)
        return AIRLOCK_ERR_ARG;
    *out = NULL;
    if ((err = check_config(cfg)) != AIRLOCK_OK)
        return err;
    if ((err = base_init()) != AIRLOCK_OK)
        return err;
    if ((err = resolve_paths(cfg, &p)) != AIRLOCK_OK)
        return err;
    if (stat(p.dir, &sb) != 0)
        return AIRLOCK_ERR_NOT_FOUND;
    if ((ctx = calloc(1, sizeof *ctx)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    ctx->epfd = -1;
    ctx->log_fd = -1;
    ctx->up_reported = -1;
    ctx->al = cfg->allocator;
    ctx->on_event = cfg->on_event;
    ctx->user_data = cfg->user_data;
    ctx->sandbox = cfg->sandbox;
    ctx->send_receipts = cfg->send_receipts != 0;
    memcpy(ctx->account, cfg->account, strlen(cfg->account) + 1);
    memcpy(ctx->home, p.home, sizeof p.home);
    memcpy(ctx->dir, p.dir, sizeof p.dir);
    if ((err = engine_log_open(ctx, cfg->debug_log)) != AIRLOCK_OK)
        goto fail;
    fill_store_args(cfg, p.dir, false, &a);
    if ((err = store_open(&a, &ctx->st)) != AIRLOCK_OK)
        goto fail;
    if ((err = crypto_ctx_new(ctx->st, NULL, &ctx->cr)) != AIRLOCK_OK)
        goto fail;
    ctx->device_id = crypto_device_id(ctx->cr);
    if (cfg->relay_path == NULL &&
        store_meta_get(ctx->st, "relay", &relay, &relay_n) == AIRLOCK_OK &&
        relay_n > 0 && relay_n < sizeof p.relay) {
        memcpy(p.relay, relay, relay_n);
        p.relay[relay_n] = '\0';
    }
    free(relay);
    relay = NULL;
    if ((err = meta_text(ctx->st, "transport", kind, sizeof kind)) !=
            AIRLOCK_OK &&
        err != AIRLOCK_ERR_NOT_FOUND)
        goto fail;
    ctx->transport = AIRLOCK_TRANSPORT_LOCAL;
    ctx->devcheck_retry_ms = DEVCHECK_RETRY_MS;
    if (strcmp(kind, "xmpp") == 0) {
        ctx->transport = AIRLOCK_TRANSPORT_XMPP;
        if ((err = check_xmpp(cfg, false)) != AIRLOCK_OK ||
            (err = xmpp_open(cfg, ctx->st, ctx->dir, ctx->device_id,
                             xmpp_trust, ctx, &ctx->net)) != AIRLOCK_OK ||
            (err = publish_all(ctx->cr, ctx->net)) != AIRLOCK_OK)
            goto fail;
        /* Offline is fine (the transport keeps trying); refused
         * credentials are not. */
        if ((err = net_xmpp_wait_ready(ctx->net, XMPP_READY_WAIT_MS)) ==
            AIRLOCK_ERR_AUTH)
            goto fail;
    } else if ((err = net_local_open(p.relay, ctx->account, ctx->device_id,
                                     &ctx->net)) != AIRLOCK_OK) {
        goto fail;
    }
    if ((ctx->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        err = AIRLOCK_ERR_IO;
        goto fail;
    }
    if ((nfd = ctx->net->ops->fd(ctx->net)) >= 0) {
        memset(&ev, 0, sizeof ev);
        ev.events = EPOLLIN;
        ev.data.fd = nfd;
        if (epoll_ctl(ctx->epfd, EPOLL_CTL_ADD, nfd, &ev) != 0) {
            err = AIRLOCK_ERR_IO;
            goto fail;
        }
    }
    if ((err = store_event_max_id(ctx->st, &ctx->events_seen_id)) !=
        AIRLOCK_OK)
        goto fail;
    if ((err = engine_sandbox_start(ctx)) != AIRLOCK_OK)
        goto fail;
    engine_rl_load(ctx);
    /* Anything a crash left between store commit and transport. */
    ctx->batch_dirty = true;
    if ((err = engine_outbox_flush(ctx)) != AIRLOCK_OK &&
        err != AIRLOCK_ERR_NET)
        goto fail;
    *out = ctx;
    return AIRLOCK_OK;
fail:
    free(relay);
    airlock_close(ctx);
    return err;
}

AIRLOCK_API void airlock_close(airlock_ctx *ctx)
{
    if (ctx == NULL)
        return;
    engine_sandbox_stop(ctx);
    engine_log_close(ctx);
    if (ctx->net != NULL)
        ctx->net->ops->close(ctx->net);
    if (ctx->epfd >= 0)
        close(ctx->epfd);
    crypto_ctx_free(ctx->cr);
    store_close(ctx->st);
    base_wipe(ctx, sizeof *ctx);
    free(ctx);
}

AIRLOCK_API int airlock_fd(const airlock_ctx *ctx)
{
    return ctx != NULL ? ctx->epfd : -1;
}

AIRLOCK_API const char *airlock_account(const airlock_ctx *ctx)
{
    return ctx != NULL ? ctx->account : NULL;
}

AIRLOCK_API uint32_t airlock_device_id(const airlock_ctx *ctx)
{
    return ctx != NULL ? ctx->device_id : 0;
}

AIRLOCK_API int airlock_transport_up(const airlock_ctx *ctx)
{
    return ctx != NULL && ctx->net->ops->up(ctx->net);
}

AIRLOCK_API airlock_transport airlock_transport_kind(const airlock_ctx *ctx)
{
    return ctx != NULL ? ctx->transport : AIRLOCK_TRANSPORT_LOCAL;
}

static int wait_ms(airlock_ctx *ctx, int timeout_ms)
{
    int t = ctx->net->ops->timeout_ms(ctx->net);

    if (timeout_ms < 0)
        return t;
    if (t < 0)
        return timeout_ms;
    return t < timeout_ms ? t : timeout_ms;
}

AIRLOCK_API airlock_err airlock_step(airlock_ctx *ctx, int timeout_ms)
{
    struct epoll_event evs[4];
    size_t handled = 0;
    int64_t deadline;
    airlock_err err;

    if (ctx == NULL)
        return AIRLOCK_ERR_ARG;
    deadline = timeout_ms > 0 ? base_mono_ms() + timeout_ms : 0;
    for (;;) {
        int up;

        ctx->net->ops->drain(ctx->net);
        /* tell the front end when the transport comes up or goes down */
        if ((up = ctx->net->ops->up(ctx->net) ? 1 : 0) != ctx->up_reported) {
            airlock_event ev;

            ctx->up_reported = up;
            memset(&ev, 0, sizeof ev);
            ev.kind = AIRLOCK_EVENT_TRANSPORT;
            ev.transport_up = up;
            engine_emit(ctx, &ev);
        }
        if ((err = engine_inbound(ctx, &handled)) != AIRLOCK_OK)
            return err;
        /* a transport that is down keeps the outbox for later */
        if (ctx->net->ops->up(ctx->net) &&
            (err = engine_outbox_flush(ctx)) != AIRLOCK_OK)
            return err;
        if (handled > 0 || timeout_ms == 0)
            return AIRLOCK_OK;
        if (timeout_ms > 0) {
            int64_t left = deadline - base_mono_ms();

            if (left <= 0)
                return AIRLOCK_OK;
            if (epoll_wait(ctx->epfd, evs, 4,
                           wait_ms(ctx, (int)left)) < 0 && errno != EINTR)
                return AIRLOCK_ERR_IO;
        } else if (epoll_wait(ctx->epfd, evs, 4, wait_ms(ctx, -1)) < 0 &&
                   errno != EINTR) {
            return AIRLOCK_ERR_IO;
        }
    }
}

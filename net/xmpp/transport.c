/*
 * transport.c - the XMPP transport (xmpp.h): a libstrophe connection that
 * implements net_ops. Connection set-up (STARTTLS, SASL, bind, stream
 * management where offered) is libstrophe's; this file adds carbons,
 * roster, presence with entity capabilities, the OMEMO device list and
 * bundle on PEP, the durable inbound spool, the XMPP-layer gate and the
 * mapping between <message><encrypted> and envelope v1.
 *
 * Nothing here blocks except the calls the engine makes synchronously
 * (devices, take_bundle, publish, send_commit, wait_ready): they run
 * libstrophe's loop with xmpp_run_once until their answer arrives or a
 * bounded time passes. Stanza handlers never run the loop themselves.
 */
#include "net/xmpp/xmpp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <strophe.h>

#include "base/base.h"
#include "net/xmpp/omemo.h"
#include "store/store.h"

#define NS_CARBONS "urn:xmpp:carbons:2"
#define NS_FORWARD "urn:xmpp:forward:0"
#define NS_DELAY "urn:xmpp:delay"
#define NS_HINTS "urn:xmpp:hints"
#define NS_PING "urn:xmpp:ping"
#define NS_CAPS "http://jabber.org/protocol/caps"
#define NS_BLOCKING "urn:xmpp:blocking"
#define NS_XDATA "jabber:x:data"
#define NS_PUBOPTS "http://jabber.org/protocol/pubsub#publish-options"
#define NS_MAM_PREFIX "urn:xmpp:mam:"
#define CAPS_NODE "https://airlock.invalid/caps"

#define XT_ID_HEX 32u                  /* 16 random bytes as hex */
#define XT_WAITS 8u                    /* blocking IQs at once */
#define XT_STANZA_ID_MAX 128u          /* an id we echo in a reply */
#define XT_BACKOFF_MIN_MS 1000
#define XT_BACKOFF_MAX_MS 60000
#define XT_CLOSE_WAIT_MS 2000
/* libstrophe reads at most 4096 bytes per xmpp_run_once and does not say
 * whether it read anything: a drain goes on until a stanza's worth of
 * rounds (the largest we read) completed none, and at most XT_DRAIN_MAX
 * rounds (then the engine is asked back at once). */
#define XT_READ_CHUNK 4096u
#define XT_DRAIN_QUIET (NET_XMPP_STANZA_MAX / XT_READ_CHUNK + 1u)
#define XT_DRAIN_MAX 1024u

typedef enum xt_state {
    XT_DOWN = 0,                       /* not connected; retry at retry_at */
    XT_CONNECTING,                     /* TCP / TLS / SASL / bind */
    XT_SETUP,                          /* session up, set-up IQs pending */
    XT_READY,
    XT_FAILED                          /* credentials refused: no retry */
} xt_state;

typedef struct xt_wait {
    bool used, done;
    char id[XT_ID_HEX + 1];
    char peer[NET_ADDR_MAX + 1];       /* expected sender; "" own/server */
    xmpp_stanza_t *reply;              /* a reference, released by waiter */
} xt_wait;

typedef struct xt {
    net_transport base;                /* first: net_transport* casts back */
    xmpp_ctx_t *x;
    xmpp_conn_t *conn;
    char jid[NET_ADDR_MAX + 1];
    char domain[NET_ADDR_MAX + 1];
    char host[NET_XMPP_HOST_MAX + 1];
    uint16_t port;
    net_xmpp_tls tls;
    char *pass;                        /* NUL-terminated, wiped on close */
    size_t pass_n;
    uint32_t dev;
    store_relay *spool;
    int evfd;                          /* signalled when the spool grows */
    net_xmpp_trust_fn trust;
    net_xmpp_blocked_fn blocked;
    void *trust_user;
    xt_state state;
    airlock_err fail;                  /* why the last attempt failed */
    bool session_seen;                 /* this attempt reached the session */
    int64_t retry_at;
    int backoff_ms;
    /* session set-up */
    bool list_done, ping_done, bundle_done;
    bool srv_blocking;                 /* XEP-0191 offered */
    bool no_pubopts;                   /* publish-options refused once */
    /* own device list as last seen */
    uint32_t own[NET_OMEMO_DEVICES_MAX];
    size_t own_n;
    bool own_known;
    bool drain_more;                   /* the last drain stopped at its cap */
    bool secured_seen;                 /* this attempt got as far as TLS */
    /* the bundle to publish (from the engine) */
    bool have_pub;
    net_omemo_local pub;
    uint32_t *pub_ids;
    uint8_t *pub_pubs;
    size_t pub_count;
    bool bundle_pending;               /* a publish IQ is in flight */
    xt_wait waits[XT_WAITS];
    size_t sent;                       /* messages since send_begin */
    uint64_t stanzas;                  /* handled (drain's progress) */
} xt;

static xt *T(net_transport *t)
{
    return (xt *)t;
}

/* ------------------------------------------------------------------------ */
/* small helpers                                                             */
/* ------------------------------------------------------------------------ */

static void new_id(char out[XT_ID_HEX + 1])
{
    uint8_t r[XT_ID_HEX / 2];

    base_random(r, sizeof r);
    base_hex(r, sizeof r, out);
}

bool net_xmpp_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (host == NULL)
        return false;
    if (strcmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

bool net_xmpp_bare_jid_ok(const char *jid)
{
    const char *at;
    size_t n, i;

    if (jid == NULL)
        return false;
    n = strnlen(jid, NET_ADDR_MAX + 1);
    if (n == 0 || n > NET_ADDR_MAX)
        return false;
    if ((at = strchr(jid, '@')) == NULL || at == jid || at[1] == '\0' ||
        strchr(at + 1, '@') != NULL)
        return false;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)jid[i];

        /* no resource, no space or control; ASCII in lower case so that
         * it compares equal to what the server stamps */
        if (c == '/' || c <= ' ' || c == 0x7f || (c >= 'A' && c <= 'Z') ||
            c == '"' || c == '&' || c == '\'' || c == '<' || c == '>')
            return false;
    }
    return base_utf8_ident((const uint8_t *)jid, n);
}

static bool has_resource(const char *jid)
{
    return jid != NULL && strchr(jid, '/') != NULL;
}

static airlock_trust trust_of(xt *t, const char *bare)
{
    if (strcmp(bare, t->jid) == 0)
        return AIRLOCK_TRUST_ACCEPTED;
    return t->trust != NULL ? t->trust(t->trust_user, bare) :
                              AIRLOCK_TRUST_UNKNOWN;
}

static bool accepted(airlock_trust tr)
{
    return tr == AIRLOCK_TRUST_ACCEPTED || tr == AIRLOCK_TRUST_VERIFIED;
}

/* ------------------------------------------------------------------------ */
/* the spool                                                                 */
/* ------------------------------------------------------------------------ */

static void wake(xt *t)
{
    uint64_t one = 1;

    if (t->evfd >= 0)
        (void)!write(t->evfd, &one, sizeof one);
}

/* Write one item durably before the handler returns (and so before
 * libstrophe can acknowledge the stanza). A failure ends the connection
 * unacknowledged: the server keeps the stanza for the next session. */
static void spool_put(xt *t, const uint8_t *b, size_t n)
{
    if (store_relay_enqueue(t->spool, t->jid, t->dev, b, n) != AIRLOCK_OK) {
        t->fail = AIRLOCK_ERR_STORE;
        xmpp_disconnect(t->conn);
        return;
    }
    wake(t);
}

static void spool_rec(xt *t, net_xrec *r)
{
    uint8_t *b = NULL;
    size_t n = 0;

    if (net_xrec_encode(r, &b, &n) == AIRLOCK_OK)
        spool_put(t, b, n);
    free(b);
}

static void rec_init(net_xrec *r, net_xrec_kind kind, const char *sender,
                     const char *recipient, int64_t ts)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->env.sender = sender;
    r->env.sender_n = strlen(sender);
    r->env.recipient = recipient;
    r->env.recipient_n = strlen(recipient);
    r->env.timestamp_ms = (uint64_t)ts;
    base_random(r->env.id, sizeof r->env.id);
}

/* A security event seen here; recorded by the engine like its own. */
static void spool_event(xt *t, airlock_sec_kind kind, const char *sender,
                        const char *detail)
{
    net_xrec r;

    rec_init(&r, NET_XREC_EVENT, sender[0] != '\0' ? sender : t->jid,
             t->jid, base_now_ms());
    r.sec = kind;
    r.detail = detail;
    r.detail_n = strlen(detail);
    spool_rec(t, &r);
}

/* A stanza over NET_XMPP_STANZA_MAX (omemo.h) is not read at all: an
 * event in the name of its claimed sender. true: it fits. */
static bool stanza_fits(xt *t, xmpp_stanza_t *st)
{
    char bare[NET_ADDR_MAX + 1];

    if (net_xmpp_stanza_fits(st, NET_XMPP_STANZA_MAX))
        return true;
    (void)net_xmpp_bare_of(xmpp_stanza_get_from(st), bare, true);
    spool_event(t, AIRLOCK_SEC_OVERSIZED, bare,
                "stanza over the size limit: not read");
    return false;
}

/* ------------------------------------------------------------------------ */
/* building and sending our own stanzas                                      */
/* ------------------------------------------------------------------------ */

static xmpp_stanza_t *elem(xt *t, const char *name, const char *ns)
{
    xmpp_stanza_t *st = xmpp_stanza_new(t->x);

    if (st == NULL)
        return NULL;
    if (xmpp_stanza_set_name(st, name) != XMPP_EOK ||
        (ns != NULL && xmpp_stanza_set_ns(st, ns) != XMPP_EOK)) {
        xmpp_stanza_release(st);
        return NULL;
    }
    return st;
}

/* Add child (the parent takes the reference); false on NOMEM. */
static bool add(xmpp_stanza_t *parent, xmpp_stanza_t *child)
{
    if (parent == NULL || child == NULL) {
        if (child != NULL)
            xmpp_stanza_release(child);
        return false;
    }
    if (xmpp_stanza_add_child_ex(parent, child, 0) != XMPP_EOK) {
        xmpp_stanza_release(child);
        return false;
    }
    return true;
}

static bool add_text(xt *t, xmpp_stanza_t *parent, const char *name,
                     const char *text)
{
    xmpp_stanza_t *el = elem(t, name, NULL), *tx;

    if (el == NULL)
        return false;
    if ((tx = xmpp_stanza_new(t->x)) == NULL ||
        xmpp_stanza_set_text(tx, text) != XMPP_EOK) {
        if (tx != NULL)
            xmpp_stanza_release(tx);
        xmpp_stanza_release(el);
        return false;
    }
    if (!add(el, tx)) {
        xmpp_stanza_release(el);
        return false;
    }
    return add(parent, el);
}

static bool connected(xt *t)
{
    return t->state == XT_SETUP || t->state == XT_READY;
}

/* Send and drop our reference. */
static void send_own(xt *t, xmpp_stanza_t *st)
{
    if (st == NULL)
        return;
    if (connected(t))
        xmpp_send(t->conn, st);
    xmpp_stanza_release(st);
}

static xmpp_stanza_t *iq_new(xt *t, const char *type, const char *to,
                             char id[XT_ID_HEX + 1])
{
    xmpp_stanza_t *iq;

    new_id(id);
    if ((iq = xmpp_iq_new(t->x, type, id)) == NULL)
        return NULL;
    if (to != NULL && xmpp_stanza_set_to(iq, to) != XMPP_EOK) {
        xmpp_stanza_release(iq);
        return NULL;
    }
    return iq;
}

/* A reply to an IQ: is it from whom we asked? `peer` "" means our own
 * account or its server: no from, our bare JID, our full JID, or our
 * domain. */
static bool reply_from_ok(xt *t, xmpp_stanza_t *st, const char *peer)
{
    const char *from = xmpp_stanza_get_from(st);
    const char *bound;
    char bare[NET_ADDR_MAX + 1];

    if (peer[0] != '\0')
        return from != NULL && !has_resource(from) &&
               net_xmpp_bare_of(from, bare, true) && strcmp(bare, peer) == 0;
    if (from == NULL)
        return true;
    bound = xmpp_conn_get_bound_jid(t->conn);
    if (bound != NULL && strcmp(from, bound) == 0)
        return true;
    return !has_resource(from) && net_xmpp_bare_of(from, bare, true) &&
           (strcmp(bare, t->jid) == 0 || strcmp(bare, t->domain) == 0);
}

static bool is_iq_reply(xmpp_stanza_t *st)
{
    const char *name = xmpp_stanza_get_name(st);
    const char *type = xmpp_stanza_get_type(st);

    return name != NULL && strcmp(name, "iq") == 0 && type != NULL &&
           (strcmp(type, "result") == 0 || strcmp(type, "error") == 0);
}

static bool is_result(xmpp_stanza_t *st)
{
    const char *type = xmpp_stanza_get_type(st);

    return type != NULL && strcmp(type, "result") == 0;
}

/* ---- IQs the engine waits for ---- */

static int on_wait_reply(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    xt *t = ud;
    const char *id = xmpp_stanza_get_id(st);
    size_t i;

    (void)conn;
    if (id == NULL)
        return 1;
    for (i = 0; i < XT_WAITS; i++) {
        if (t->waits[i].used && !t->waits[i].done &&
            strcmp(t->waits[i].id, id) == 0 && !stanza_fits(t, st))
            return 1;                   /* the waiter times out */
    }
    for (i = 0; i < XT_WAITS; i++) {
        xt_wait *w = &t->waits[i];

        if (!w->used || w->done || strcmp(w->id, id) != 0)
            continue;
        if (!is_iq_reply(st) || !reply_from_ok(t, st, w->peer)) {
            /* our unguessable id, but not the answer we asked for */
            char bare[NET_ADDR_MAX + 1];

            (void)net_xmpp_bare_of(xmpp_stanza_get_from(st), bare, true);
            spool_event(t, AIRLOCK_SEC_SPOOFED_STANZA, bare,
                        "reply to a query from the wrong sender");
            return 1;
        }
        w->reply = xmpp_stanza_clone(st);
        w->done = true;
        return 0;
    }
    return 0;
}

/* libstrophe writes to its socket with send() and through OpenSSL's
 * socket BIO, neither with MSG_NOSIGNAL: a server that has closed its end
 * would raise SIGPIPE and kill the process (the CLI died of it when a
 * server hung up during a send). Every libstrophe call that may write
 * runs inside base_sigpipe_hold/release; the write fails with EPIPE and
 * libstrophe treats that as a lost connection. */
static void run_for(xt *t, int ms)
{
    base_sigpipe g;

    base_sigpipe_hold(&g);
    xmpp_run_once(t->x, (unsigned long)(ms > 0 ? ms : 0));
    base_sigpipe_release(&g);
    /* libstrophe forgets it on disconnect, and a refused password comes
     * at least one round trip after the handshake: look after each round */
    if (t->state == XT_CONNECTING && xmpp_conn_is_secured(t->conn))
        t->secured_seen = true;
}

/* Send `iq` (we own it) to `peer` ("": own account) and wait for the
 * reply. *reply is a reference the caller releases. */
static airlock_err iq_call(xt *t, xmpp_stanza_t *iq, const char *peer,
                           const char *id, int timeout_ms,
                           xmpp_stanza_t **reply)
{
    xt_wait *w = NULL;
    int64_t deadline;
    size_t i;
    airlock_err err = AIRLOCK_ERR_TIMEOUT;

    *reply = NULL;
    for (i = 0; i < XT_WAITS && w == NULL; i++)
        if (!t->waits[i].used)
            w = &t->waits[i];
    if (w == NULL || !connected(t)) {
        xmpp_stanza_release(iq);
        return w == NULL ? AIRLOCK_ERR_STATE : AIRLOCK_ERR_NET;
    }
    memset(w, 0, sizeof *w);
    w->used = true;
    snprintf(w->id, sizeof w->id, "%s", id);
    snprintf(w->peer, sizeof w->peer, "%s", peer);
    xmpp_id_handler_add(t->conn, on_wait_reply, w->id, t);
    send_own(t, iq);
    deadline = base_mono_ms() + timeout_ms;
    while (!w->done && connected(t)) {
        int64_t left = deadline - base_mono_ms();

        if (left <= 0)
            break;
        run_for(t, left < 50 ? (int)left : 50);
    }
    if (w->done) {
        *reply = w->reply;
        err = AIRLOCK_OK;
    } else {
        xmpp_id_handler_delete(t->conn, on_wait_reply, w->id);
        if (!connected(t))
            err = AIRLOCK_ERR_NET;
    }
    memset(w, 0, sizeof *w);
    return err;
}

/* ---- publish-options: access model open ---- */

static bool add_publish_options(xt *t, xmpp_stanza_t *pubsub)
{
    xmpp_stanza_t *po = elem(t, "publish-options", NULL);
    xmpp_stanza_t *x = elem(t, "x", NS_XDATA), *f1, *f2;

    if (po == NULL || x == NULL) {
        if (po != NULL)
            xmpp_stanza_release(po);
        if (x != NULL)
            xmpp_stanza_release(x);
        return false;
    }
    (void)xmpp_stanza_set_type(x, "submit");
    if (!add(po, x) || !add(pubsub, po))
        return false;
    if ((f1 = elem(t, "field", NULL)) == NULL)
        return false;
    (void)xmpp_stanza_set_attribute(f1, "var", "FORM_TYPE");
    (void)xmpp_stanza_set_type(f1, "hidden");
    if (!add_text(t, f1, "value", NS_PUBOPTS) || !add(x, f1))
        return false;
    if ((f2 = elem(t, "field", NULL)) == NULL)
        return false;
    (void)xmpp_stanza_set_attribute(f2, "var", "pubsub#access_model");
    if (!add_text(t, f2, "value", "open") || !add(x, f2))
        return false;
    return true;
}

/* <iq type=set><pubsub><publish node><item id=current>payload</item>
 * </publish>[options]</pubsub></iq>; takes `payload`. */
static xmpp_stanza_t *publish_iq(xt *t, const char *node,
                                 xmpp_stanza_t *payload, bool options,
                                 char id[XT_ID_HEX + 1])
{
    xmpp_stanza_t *iq = iq_new(t, "set", NULL, id);
    xmpp_stanza_t *ps = elem(t, "pubsub", NET_NS_PUBSUB);
    xmpp_stanza_t *pub = elem(t, "publish", NULL);
    xmpp_stanza_t *item = elem(t, "item", NULL);

    if (iq == NULL || ps == NULL || pub == NULL || item == NULL)
        goto fail;
    (void)xmpp_stanza_set_attribute(pub, "node", node);
    (void)xmpp_stanza_set_id(item, "current");
    if (!add(item, payload)) {
        payload = NULL;
        item = NULL;
        goto fail;
    }
    payload = NULL;
    if (!add(pub, item)) {
        item = NULL;
        goto fail;
    }
    item = NULL;
    if (!add(ps, pub)) {
        pub = NULL;
        goto fail;
    }
    pub = NULL;
    if (!add(iq, ps)) {
        ps = NULL;
        goto fail;
    }
    ps = NULL;
    if (options && !add_publish_options(t, net_xml_child(iq, "pubsub", NULL)))
        goto fail;
    return iq;
fail:
    if (payload != NULL)
        xmpp_stanza_release(payload);
    if (item != NULL)
        xmpp_stanza_release(item);
    if (pub != NULL)
        xmpp_stanza_release(pub);
    if (ps != NULL)
        xmpp_stanza_release(ps);
    if (iq != NULL)
        xmpp_stanza_release(iq);
    return NULL;
}

/* <iq type=get to=peer><pubsub><items node/></pubsub></iq> */
static xmpp_stanza_t *items_iq(xt *t, const char *peer, const char *node,
                               char id[XT_ID_HEX + 1])
{
    xmpp_stanza_t *iq = iq_new(t, "get", peer, id);
    xmpp_stanza_t *ps = elem(t, "pubsub", NET_NS_PUBSUB);
    xmpp_stanza_t *items = elem(t, "items", NULL);

    if (iq == NULL || ps == NULL || items == NULL) {
        if (iq != NULL)
            xmpp_stanza_release(iq);
        if (ps != NULL)
            xmpp_stanza_release(ps);
        if (items != NULL)
            xmpp_stanza_release(items);
        return NULL;
    }
    (void)xmpp_stanza_set_attribute(items, "node", node);
    if (!add(ps, items)) {
        xmpp_stanza_release(ps);
        xmpp_stanza_release(iq);
        return NULL;
    }
    if (!add(iq, ps)) {
        xmpp_stanza_release(iq);
        return NULL;
    }
    return iq;
}

/* ------------------------------------------------------------------------ */
/* session set-up (asynchronous, driven by replies)                          */
/* ------------------------------------------------------------------------ */

static void check_ready(xt *t)
{
    if (t->state == XT_SETUP && t->list_done && t->ping_done &&
        (t->bundle_done || !t->have_pub)) {
        t->state = XT_READY;
        t->backoff_ms = 0;
        wake(t);
    }
}

static void send_bundle(xt *t);
static void send_devicelist(xt *t, const uint32_t *ids, size_t n);

static bool own_has(xt *t, uint32_t dev)
{
    size_t i;

    for (i = 0; i < t->own_n; i++)
        if (t->own[i] == dev)
            return true;
    return false;
}

static bool own_listed(xt *t)
{
    return own_has(t, t->dev);
}

/* Our device is missing from our own list: publish the list with it. */
static void ensure_listed(xt *t)
{
    uint32_t ids[NET_OMEMO_DEVICES_MAX];
    size_t n = t->own_n;

    if (own_listed(t)) {
        t->list_done = true;
        check_ready(t);
        return;
    }
    memcpy(ids, t->own, n * sizeof *ids);
    if (n == NET_OMEMO_DEVICES_MAX)
        n--;                           /* make room: the oldest goes */
    ids[n++] = t->dev;
    send_devicelist(t, ids, n);
}

static int on_list_published(xmpp_conn_t *conn, xmpp_stanza_t *st,
                             void *ud);

static void send_devicelist_opts(xt *t, const uint32_t *ids, size_t n,
                                 bool options)
{
    xmpp_stanza_t *list = NULL, *iq;
    char id[XT_ID_HEX + 1];

    if (net_omemo_build_devicelist(t->x, ids, n, &list) != AIRLOCK_OK)
        return;
    if ((iq = publish_iq(t, NET_OMEMO_NODE_DEVICELIST, list, options, id)) ==
        NULL)
        return;
    /* what we are about to publish is our list from now on */
    memcpy(t->own, ids, n * sizeof *ids);
    t->own_n = n;
    t->own_known = true;
    xmpp_id_handler_add(t->conn, on_list_published, id, t);
    send_own(t, iq);
}

static void send_devicelist(xt *t, const uint32_t *ids, size_t n)
{
    send_devicelist_opts(t, ids, n, !t->no_pubopts);
}

static int on_list_published(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    xt *t = ud;

    (void)conn;
    if (!is_iq_reply(st) || !reply_from_ok(t, st, ""))
        return 1;
    if (!is_result(st) && !t->no_pubopts) {
        /* the node exists with another access model, or the server
         * does not take publish-options: publish plainly */
        t->no_pubopts = true;
        send_devicelist_opts(t, t->own, t->own_n, false);
        return 0;
    }
    t->list_done = true;
    check_ready(t);
    return 0;
}

static int on_own_list(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    xt *t = ud;
    xmpp_stanza_t *list;
    uint32_t ids[NET_OMEMO_DEVICES_MAX];
    size_t n = 0;

    (void)conn;
    if (!is_iq_reply(st) || !reply_from_ok(t, st, ""))
        return 1;
    t->own_n = 0;
    if (is_result(st) && stanza_fits(t, st) &&
        (list = net_omemo_find_item(st, NET_OMEMO_NODE_DEVICELIST, "list",
                                    NULL, NULL)) != NULL &&
        net_omemo_devicelist_parse(list, ids, &n) == AIRLOCK_OK) {
        memcpy(t->own, ids, n * sizeof *ids);
        t->own_n = n;
    }
    t->own_known = true;
    ensure_listed(t);
    return 0;
}

static int on_bundle_published(xmpp_conn_t *conn, xmpp_stanza_t *st,
                               void *ud);

static void send_bundle_opts(xt *t, bool options)
{
    xmpp_stanza_t *b = NULL, *iq;
    char node[sizeof NET_OMEMO_NODE_BUNDLES + 16];
    char id[XT_ID_HEX + 1];

    if (!t->have_pub || !connected(t))
        return;
    snprintf(node, sizeof node, "%s%u", NET_OMEMO_NODE_BUNDLES, t->dev);
    if (net_omemo_build_bundle(t->x, &t->pub, t->pub_ids, t->pub_pubs,
                               t->pub_count, &b) != AIRLOCK_OK)
        return;
    if ((iq = publish_iq(t, node, b, options, id)) == NULL)
        return;
    t->bundle_pending = true;
    xmpp_id_handler_add(t->conn, on_bundle_published, id, t);
    send_own(t, iq);
}

static void send_bundle(xt *t)
{
    send_bundle_opts(t, !t->no_pubopts);
}

static int on_bundle_published(xmpp_conn_t *conn, xmpp_stanza_t *st,
                               void *ud)
{
    xt *t = ud;

    (void)conn;
    if (!is_iq_reply(st) || !reply_from_ok(t, st, ""))
        return 1;
    if (!is_result(st) && !t->no_pubopts) {
        t->no_pubopts = true;
        send_bundle_opts(t, false);
        return 0;
    }
    t->bundle_pending = false;
    t->bundle_done = true;
    check_ready(t);
    return 0;
}

static int on_ping(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    xt *t = ud;

    (void)conn;
    if (!is_iq_reply(st) || !reply_from_ok(t, st, ""))
        return 1;
    t->ping_done = true;
    check_ready(t);
    return 0;
}

/* Pushing the local block list to the server (push_blocks). */
typedef struct xt_blockpush {
    xt *t;
    xmpp_stanza_t *iq, *block;
    size_t items;
    bool failed;
} xt_blockpush;

static int on_ignore_reply(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud);

static void blockpush_send(xt_blockpush *p)
{
    if (p->iq != NULL && p->items > 0 && !p->failed) {
        xmpp_id_handler_add(p->t->conn, on_ignore_reply,
                            xmpp_stanza_get_id(p->iq), p->t);
        send_own(p->t, p->iq);        /* takes the reference */
    } else if (p->iq != NULL) {
        xmpp_stanza_release(p->iq);
    }
    p->iq = p->block = NULL;
    p->items = 0;
}

static void blockpush_one(void *arg, const char *addr)
{
    xt_blockpush *p = arg;
    xmpp_stanza_t *item;
    char id[XT_ID_HEX + 1];

    if (p->failed || !net_xmpp_bare_jid_ok(addr) ||
        strcmp(addr, p->t->jid) == 0)
        return;
    if (p->iq == NULL) {
        if ((p->iq = iq_new(p->t, "set", NULL, id)) == NULL ||
            (p->block = elem(p->t, "block", NS_BLOCKING)) == NULL ||
            !add(p->iq, p->block)) {
            p->failed = true;
            return;
        }
    }
    if ((item = elem(p->t, "item", NULL)) != NULL &&
        xmpp_stanza_set_attribute(item, "jid", addr) != XMPP_EOK) {
        xmpp_stanza_release(item);
        item = NULL;
    }
    if (!add(p->block, item)) {        /* add releases item on failure */
        p->failed = true;
        return;
    }
    if (++p->items == NET_XMPP_BLOCK_ITEMS_MAX)
        blockpush_send(p);
}

/* The server offers XEP-0191: every address blocked here goes on its
 * list, in <block> requests of at most NET_XMPP_BLOCK_ITEMS_MAX items
 * (blocking is idempotent; nothing is removed from the server's list, so
 * a block made with another client stays). Not waited for. */
static void push_blocks(xt *t)
{
    xt_blockpush p;

    if (t->blocked == NULL)
        return;
    memset(&p, 0, sizeof p);
    p.t = t;
    t->blocked(t->trust_user, blockpush_one, &p);
    blockpush_send(&p);
}

static int on_server_info(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    xt *t = ud;
    xmpp_stanza_t *q, *c;
    size_t seen = 0;

    (void)conn;
    if (!is_iq_reply(st) || !reply_from_ok(t, st, ""))
        return 1;
    if (is_result(st) && stanza_fits(t, st) &&
        (q = net_xml_child(st, "query", XMPP_NS_DISCO_INFO)) != NULL)
        for (c = xmpp_stanza_get_children(q);
             c != NULL && seen < NET_OMEMO_CHILDREN_MAX;
             c = xmpp_stanza_get_next(c), seen++) {
            const char *name = xmpp_stanza_get_name(c);
            const char *var = xmpp_stanza_get_attribute(c, "var");

            if (name != NULL && strcmp(name, "feature") == 0 &&
                var != NULL && strcmp(var, NS_BLOCKING) == 0)
                t->srv_blocking = true;
        }
    if (t->srv_blocking)
        push_blocks(t);
    return 0;
}

static int on_ignore_reply(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    (void)conn;
    (void)ud;
    return is_iq_reply(st) ? 0 : 1;
}

/* Entity capabilities (XEP-0115): the verification string of what
 * disco_features lists, with identity client/pc. */
static const char *const disco_features[] = {
    NET_OMEMO_NOTIFY,
    NS_CAPS,
    XMPP_NS_DISCO_INFO,
    NS_PING,
};

static bool caps_ver(char out[64])
{
    uint8_t digest[XMPP_SHA1_DIGEST_SIZE];
    char s[512], *b64 = NULL;
    size_t o, i;
    int k;

    /* the features above are already in byte order */
    k = snprintf(s, sizeof s, "client/pc//Airlock<");
    if (k < 0)
        return false;
    o = (size_t)k;
    for (i = 0; i < sizeof disco_features / sizeof disco_features[0]; i++) {
        k = snprintf(s + o, sizeof s - o, "%s<", disco_features[i]);
        if (k < 0 || (size_t)k >= sizeof s - o)
            return false;
        o += (size_t)k;
    }
    xmpp_sha1_digest((const unsigned char *)s, o, digest);
    if (net_b64_encode(digest, sizeof digest, &b64) != AIRLOCK_OK)
        return false;
    snprintf(out, 64, "%s", b64);
    free(b64);
    return true;
}

static void send_presence(xt *t)
{
    xmpp_stanza_t *p = xmpp_presence_new(t->x), *c;
    char ver[64];

    if (p == NULL)
        return;
    if (caps_ver(ver) && (c = elem(t, "c", NS_CAPS)) != NULL) {
        (void)xmpp_stanza_set_attribute(c, "hash", "sha-1");
        (void)xmpp_stanza_set_attribute(c, "node", CAPS_NODE);
        (void)xmpp_stanza_set_attribute(c, "ver", ver);
        (void)add(p, c);
    }
    send_own(t, p);
}

static void simple_iq(xt *t, const char *type, const char *to,
                      const char *child, const char *ns, xmpp_handler h)
{
    char id[XT_ID_HEX + 1];
    xmpp_stanza_t *iq = iq_new(t, type, to, id);

    if (iq == NULL)
        return;
    if (!add(iq, elem(t, child, ns))) {
        xmpp_stanza_release(iq);
        return;
    }
    xmpp_id_handler_add(t->conn, h, id, t);
    send_own(t, iq);
}

/* The session is bound: everything else happens as replies arrive. */
static void start_session(xt *t)
{
    char id[XT_ID_HEX + 1];
    xmpp_stanza_t *iq;

    t->state = XT_SETUP;
    t->session_seen = true;
    t->list_done = t->ping_done = t->bundle_done = false;
    t->bundle_pending = false;
    simple_iq(t, "set", NULL, "enable", NS_CARBONS, on_ignore_reply);
    simple_iq(t, "get", NULL, "query", XMPP_NS_ROSTER, on_ignore_reply);
    simple_iq(t, "get", t->domain, "query", XMPP_NS_DISCO_INFO,
              on_server_info);
    /* offline messages follow the initial presence */
    send_presence(t);
    if ((iq = items_iq(t, t->jid, NET_OMEMO_NODE_DEVICELIST, id)) != NULL) {
        xmpp_id_handler_add(t->conn, on_own_list, id, t);
        send_own(t, iq);
    }
    send_bundle(t);
    /* answered after everything above, offline messages included */
    simple_iq(t, "get", t->domain, "ping", NS_PING, on_ping);
}

/* ------------------------------------------------------------------------ */
/* inbound stanzas: the gate                                                 */
/* ------------------------------------------------------------------------ */

/* A sender's timestamp from <delay>, or now. */
static int64_t stamp_of(xmpp_stanza_t *msg, xmpp_stanza_t *forwarded)
{
    xmpp_stanza_t *d = net_xml_child(msg, "delay", NS_DELAY);
    int64_t ms;

    if (d == NULL && forwarded != NULL)
        d = net_xml_child(forwarded, "delay", NS_DELAY);
    if (d != NULL &&
        net_xmpp_stamp_parse(xmpp_stanza_get_attribute(d, "stamp"), &ms))
        return ms;
    return base_now_ms();
}

/* An <encrypted> message from `sender` (device sid) in the conversation
 * `recipient`, read into an envelope for our device. */
static void read_encrypted(xt *t, xmpp_stanza_t *enc, const char *sender,
                           const char *recipient, int64_t ts)
{
    net_omemo_msg m;
    const net_omemo_key *k;
    net_env e;
    uint8_t *b = NULL;
    size_t n = 0;
    airlock_err err;

    if ((err = net_omemo_msg_parse(enc, &m)) != AIRLOCK_OK) {
        spool_event(t, AIRLOCK_SEC_MALFORMED_ENVELOPE, sender,
                    err == AIRLOCK_ERR_TOO_LARGE ?
                        "OMEMO element over a size limit" :
                        "OMEMO element malformed");
        goto out;
    }
    if (!m.has_payload)
        goto out;      /* a key transport element: nothing to show */
    if (strcmp(sender, t->jid) == 0 && m.sid == t->dev)
        goto out;      /* our own message reflected */
    /* Something claiming to come from our own account must come from a
     * device in our own device list as our server gave it to us. */
    if (strcmp(sender, t->jid) == 0 && t->own_known && !own_has(t, m.sid)) {
        spool_event(t, AIRLOCK_SEC_SPOOFED_STANZA, "",
                    "message from an unlisted device of this account");
        goto out;
    }
    if ((k = net_omemo_msg_key(&m, t->dev)) == NULL) {
        spool_event(t, AIRLOCK_SEC_MALFORMED_ENVELOPE, sender,
                    "no key for this device");
        goto out;
    }
    memset(&e, 0, sizeof e);
    e.sender = sender;
    e.sender_n = strlen(sender);
    e.sender_device = m.sid;
    e.recipient = recipient;
    e.recipient_n = strlen(recipient);
    e.timestamp_ms = (uint64_t)ts;
    base_random(e.id, sizeof e.id);
    e.header_count = 1;
    e.headers[0].device = t->dev;
    e.headers[0].prekey = k->prekey;
    e.headers[0].keymsg = k->msg;
    e.headers[0].keymsg_n = k->msg_n;
    e.iv = m.iv;
    e.payload = m.payload;
    e.payload_n = m.payload_n;
    if (m.iv_n == NET_ENV_IV) {
        err = net_env_encode(&e, &b, &n);
    } else {
        net_xrec r;

        memset(&r, 0, sizeof r);
        r.kind = NET_XREC_OMEMO;
        r.env = e;
        r.iv_n = m.iv_n;
        err = net_xrec_encode(&r, &b, &n);
    }
    if (err == AIRLOCK_OK)
        spool_put(t, b, n);
out:
    free(b);
    net_omemo_msg_clear(&m);
}

/* An unencrypted <body>, bounded before it is copied. */
static void read_plain(xt *t, xmpp_stanza_t *body, const char *stanza_id,
                       const char *sender, const char *recipient, int64_t ts)
{
    xmpp_stanza_t *c;
    const char *text = NULL;
    size_t n = 0, seen = 0;
    net_xrec r;

    for (c = xmpp_stanza_get_children(body); c != NULL;
         c = xmpp_stanza_get_next(c)) {
        if (++seen > 1 || !xmpp_stanza_is_text(c)) {
            spool_event(t, AIRLOCK_SEC_MALFORMED_ENVELOPE, sender,
                        "body with markup inside");
            return;
        }
        text = xmpp_stanza_get_text_ptr(c);
    }
    if (text != NULL)
        n = strnlen(text, NET_XREC_BODY_MAX + 1);
    if (n > NET_XREC_BODY_MAX) {
        spool_event(t, AIRLOCK_SEC_OVERSIZED, sender,
                    "unencrypted body over the size limit");
        return;
    }
    if (n == 0)
        return;
    rec_init(&r, NET_XREC_PLAIN, sender, recipient, ts);
    r.body = (const uint8_t *)text;
    r.body_n = n;
    if (stanza_id != NULL &&
        strnlen(stanza_id, XT_STANZA_ID_MAX + 1) <= XT_STANZA_ID_MAX) {
        /* The same stanza delivered twice (a server re-routing what a
         * dead session never acknowledged) gets the same message id, and
         * the engine stores it once. */
        uint8_t h[32];
        wr w;

        wr_init(&w, NULL, NET_ADDR_MAX + XT_STANZA_ID_MAX +
                          NET_XREC_BODY_MAX + 32);
        wr_lbytes(&w, sender, strlen(sender));
        wr_lbytes(&w, stanza_id, strlen(stanza_id));
        wr_lbytes(&w, text, n);
        if (w.err == AIRLOCK_OK) {
            base_hash32(w.buf, w.len, h);
            memcpy(r.env.id, h, sizeof r.env.id);
        }
        wr_clear(&w, false);
    }
    spool_rec(t, &r);
}

/* A chat message (direct, or unwrapped from a carbon): <encrypted> or
 * <body>; nothing else in it is read. */
static void read_chat(xt *t, xmpp_stanza_t *msg, xmpp_stanza_t *forwarded,
                      const char *sender, const char *recipient)
{
    airlock_trust tr = trust_of(t, strcmp(sender, t->jid) == 0 ? recipient :
                                                                  sender);
    xmpp_stanza_t *enc = net_omemo_find_encrypted(msg), *body;
    /* a stranger's <delay> is an extension: not read */
    int64_t ts = accepted(tr) || strcmp(sender, t->jid) == 0 ?
                 stamp_of(msg, forwarded) : base_now_ms();

    if (enc != NULL) {
        read_encrypted(t, enc, sender, recipient, ts);
        return;           /* the fallback body is never read */
    }
    /* An unencrypted message said to be from our own account proves
     * nothing about where it came from: not read. */
    if (strcmp(sender, t->jid) == 0)
        return;
    if ((body = net_xml_child(msg, "body", NULL)) != NULL)
        read_plain(t, body, xmpp_stanza_get_id(msg), sender, recipient, ts);
}

/* <sent> / <received> carbons: only from our own bare JID. */
static void read_carbon(xt *t, xmpp_stanza_t *wrap, bool sent,
                        const char *from_bare)
{
    xmpp_stanza_t *fwd = net_xml_child(wrap, "forwarded", NS_FORWARD);
    xmpp_stanza_t *inner = net_xml_child(fwd, "message", NULL);
    char ifrom[NET_ADDR_MAX + 1], ito[NET_ADDR_MAX + 1];

    if (strcmp(from_bare, t->jid) != 0) {
        spool_event(t, AIRLOCK_SEC_SPOOFED_STANZA, from_bare,
                    "message carbon from another account");
        return;
    }
    if (inner == NULL ||
        !net_xmpp_bare_of(xmpp_stanza_get_from(inner), ifrom, false) ||
        !net_xmpp_bare_of(xmpp_stanza_get_to(inner), ito, false))
        return;
    if (sent) {
        if (strcmp(ifrom, t->jid) != 0) {
            spool_event(t, AIRLOCK_SEC_SPOOFED_STANZA, ifrom,
                        "sent carbon of someone else's message");
            return;
        }
        read_chat(t, inner, fwd, t->jid, ito);
    } else {
        if (strcmp(ito, t->jid) != 0)
            return;
        read_chat(t, inner, fwd, ifrom, t->jid);
    }
}

/* A PEP notification. Only our own device list matters: a contact's is
 * fetched when we write to them. */
static void read_event(xt *t, xmpp_stanza_t *msg, const char *from,
                       const char *from_bare)
{
    const char *publisher = NULL;
    char pub_bare[NET_ADDR_MAX + 1], id[XT_ID_HEX + 1];
    xmpp_stanza_t *list, *iq;

    list = net_omemo_find_item(msg, NET_OMEMO_NODE_DEVICELIST, "list", NULL,
                               &publisher);
    if (list == NULL)
        return;
    /* PEP comes from the bare JID it is about; an item naming another
     * publisher is someone claiming to speak for that JID */
    if (has_resource(from) ||
        (publisher != NULL && (!net_xmpp_bare_of(publisher, pub_bare, false) ||
                               strcmp(pub_bare, from_bare) != 0))) {
        spool_event(t, AIRLOCK_SEC_SPOOFED_STANZA, from_bare,
                    "device list notification about another JID");
        return;
    }
    if (strcmp(from_bare, t->jid) != 0)
        return;
    /* Our own list changed. Its content here is only what the stanza
     * says: ask our server for the list instead. */
    if (connected(t) && (iq = items_iq(t, t->jid, NET_OMEMO_NODE_DEVICELIST,
                                       id)) != NULL) {
        xmpp_id_handler_add(t->conn, on_own_list, id, t);
        send_own(t, iq);
    }
}

static bool ns_has_prefix(xmpp_stanza_t *st, const char *prefix)
{
    const char *ns = xmpp_stanza_get_ns(st);

    return ns != NULL && strncmp(ns, prefix, strlen(prefix)) == 0;
}

/* Any child element in an archive (MAM) namespace. */
static bool has_mam_child(xmpp_stanza_t *msg)
{
    xmpp_stanza_t *c;
    size_t seen = 0;

    for (c = xmpp_stanza_get_children(msg);
         c != NULL && seen < NET_OMEMO_CHILDREN_MAX;
         c = xmpp_stanza_get_next(c), seen++)
        if (xmpp_stanza_is_tag(c) && ns_has_prefix(c, NS_MAM_PREFIX))
            return true;
    return false;
}

static int on_message(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    xt *t = ud;
    const char *type = xmpp_stanza_get_type(st);
    const char *from = xmpp_stanza_get_from(st);
    char from_bare[NET_ADDR_MAX + 1];
    xmpp_stanza_t *c;
    bool own;

    (void)conn;
    t->stanzas++;
    if (!stanza_fits(t, st))
        return 1;
    if (type != NULL && (strcmp(type, "error") == 0 ||
                         strcmp(type, "groupchat") == 0))
        return 1;
    if (!net_xmpp_bare_of(from, from_bare, false))
        return 1;                       /* servers, or no address at all */
    own = strcmp(from_bare, t->jid) == 0;
    if ((c = net_xml_child(st, "sent", NS_CARBONS)) != NULL) {
        read_carbon(t, c, true, from_bare);
        return 1;
    }
    if ((c = net_xml_child(st, "received", NS_CARBONS)) != NULL) {
        read_carbon(t, c, false, from_bare);
        return 1;
    }
    if (has_mam_child(st)) {
        if (!own)
            spool_event(t, AIRLOCK_SEC_SPOOFED_STANZA, from_bare,
                        "archive result from another account");
        return 1;                       /* we never query the archive */
    }
    if (net_xml_child(st, "event", NET_NS_PUBSUB_EVENT) != NULL) {
        if (own || accepted(trust_of(t, from_bare)))
            read_event(t, st, from, from_bare);
        return 1;
    }
    if (type != NULL && strcmp(type, "headline") == 0)
        return 1;
    read_chat(t, st, NULL, from_bare, t->jid);
    return 1;
}

static void presence_to(xt *t, const char *to, const char *type)
{
    xmpp_stanza_t *p = xmpp_presence_new(t->x);

    if (p == NULL)
        return;
    if (xmpp_stanza_set_to(p, to) != XMPP_EOK ||
        xmpp_stanza_set_type(p, type) != XMPP_EOK) {
        xmpp_stanza_release(p);
        return;
    }
    send_own(t, p);
}

static int on_presence(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    xt *t = ud;
    const char *type = xmpp_stanza_get_type(st);
    char bare[NET_ADDR_MAX + 1];
    airlock_trust tr;
    net_xrec r;

    (void)conn;
    t->stanzas++;
    if (!stanza_fits(t, st))
        return 1;
    if (type == NULL || strcmp(type, "subscribe") != 0)
        return 1;                       /* availability: not read */
    if (!net_xmpp_bare_of(xmpp_stanza_get_from(st), bare, false) ||
        strcmp(bare, t->jid) == 0)
        return 1;
    tr = trust_of(t, bare);
    if (accepted(tr)) {
        presence_to(t, bare, "subscribed");
    } else if (tr == AIRLOCK_TRUST_UNKNOWN) {
        rec_init(&r, NET_XREC_SUBSCRIBE, bare, t->jid, base_now_ms());
        spool_rec(t, &r);
    }
    return 1;
}

/* Our answer to someone's IQ, built fresh (never a copy of theirs). */
static void iq_answer(xt *t, xmpp_stanza_t *st, xmpp_stanza_t *payload,
                      bool error)
{
    const char *id = xmpp_stanza_get_id(st), *from = xmpp_stanza_get_from(st);
    xmpp_stanza_t *iq, *e, *cond;

    if (id == NULL || strnlen(id, XT_STANZA_ID_MAX + 1) > XT_STANZA_ID_MAX ||
        (from != NULL &&
         strnlen(from, NET_XMPP_JID_MAX + 1) > NET_XMPP_JID_MAX) ||
        (iq = xmpp_iq_new(t->x, error ? "error" : "result", id)) == NULL) {
        if (payload != NULL)
            xmpp_stanza_release(payload);
        return;
    }
    if (from != NULL)
        (void)xmpp_stanza_set_to(iq, from);
    if (payload != NULL && !add(iq, payload)) {
        xmpp_stanza_release(iq);
        return;
    }
    if (error && (e = elem(t, "error", NULL)) != NULL) {
        (void)xmpp_stanza_set_type(e, "cancel");
        if ((cond = elem(t, "service-unavailable", XMPP_NS_STANZAS_IETF)) !=
            NULL)
            (void)add(e, cond);
        (void)add(iq, e);
    }
    send_own(t, iq);
}

static xmpp_stanza_t *disco_info(xt *t, xmpp_stanza_t *query)
{
    xmpp_stanza_t *q = elem(t, "query", XMPP_NS_DISCO_INFO), *c;
    const char *node = xmpp_stanza_get_attribute(query, "node");
    char ver[64], want[sizeof CAPS_NODE + 64];
    size_t i;

    if (q == NULL)
        return NULL;
    if (node != NULL && caps_ver(ver)) {
        snprintf(want, sizeof want, "%s#%s", CAPS_NODE, ver);
        if (strcmp(node, want) == 0)
            (void)xmpp_stanza_set_attribute(q, "node", want);
    }
    if ((c = elem(t, "identity", NULL)) != NULL) {
        (void)xmpp_stanza_set_attribute(c, "category", "client");
        (void)xmpp_stanza_set_attribute(c, "type", "pc");
        (void)xmpp_stanza_set_attribute(c, "name", "Airlock");
        (void)add(q, c);
    }
    for (i = 0; i < sizeof disco_features / sizeof disco_features[0]; i++)
        if ((c = elem(t, "feature", NULL)) != NULL) {
            (void)xmpp_stanza_set_attribute(c, "var", disco_features[i]);
            (void)add(q, c);
        }
    return q;
}

static int on_iq(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    xt *t = ud;
    const char *type = xmpp_stanza_get_type(st);
    const char *from = xmpp_stanza_get_from(st);
    char bare[NET_ADDR_MAX + 1];
    xmpp_stanza_t *q;
    bool own_side;

    (void)conn;
    t->stanzas++;
    if (type == NULL ||
        (strcmp(type, "get") != 0 && strcmp(type, "set") != 0))
        return 1;                       /* replies go to id handlers */
    if (!stanza_fits(t, st))
        return 1;
    if (from == NULL) {
        own_side = true;
    } else {
        if (!net_xmpp_bare_of(from, bare, true))
            return 1;
        own_side = strcmp(bare, t->jid) == 0 || strcmp(bare, t->domain) == 0;
        /* a stranger's query is not answered: no traffic back */
        if (!own_side && !accepted(trust_of(t, bare)))
            return 1;
    }
    if (strcmp(type, "set") == 0 && own_side &&
        net_xml_child(st, "query", XMPP_NS_ROSTER) != NULL) {
        iq_answer(t, st, NULL, false);  /* a roster push: acknowledged */
        return 1;
    }
    if (strcmp(type, "get") == 0 &&
        net_xml_child(st, "ping", NS_PING) != NULL) {
        iq_answer(t, st, NULL, false);
        return 1;
    }
    if (strcmp(type, "get") == 0 &&
        (q = net_xml_child(st, "query", XMPP_NS_DISCO_INFO)) != NULL) {
        iq_answer(t, st, disco_info(t, q), false);
        return 1;
    }
    iq_answer(t, st, NULL, true);
    return 1;
}

/* ------------------------------------------------------------------------ */
/* the connection                                                            */
/* ------------------------------------------------------------------------ */

static void drop_waits(xt *t)
{
    size_t i;

    for (i = 0; i < XT_WAITS; i++)
        if (t->waits[i].used && !t->waits[i].done)
            xmpp_id_handler_delete(t->conn, on_wait_reply, t->waits[i].id);
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t ev, int error,
                    xmpp_stream_error_t *se, void *ud)
{
    xt *t = ud;

    (void)conn;
    if (ev == XMPP_CONN_CONNECT) {
        start_session(t);
        return;
    }
    if (ev != XMPP_CONN_DISCONNECT && ev != XMPP_CONN_FAIL)
        return;
    drop_waits(t);
    if (t->state == XT_CONNECTING && !t->session_seen) {
        /* Closed before the session: a TLS error sets `error`; SASL
         * refusal closes the stream with neither error nor stream error,
         * and so does libstrophe when TLS is required and the server did
         * not offer STARTTLS (or someone on the way removed it): not
         * secured yet, that is a TLS failure, retried, never a refused
         * password. */
        if (error != 0)
            t->fail = t->tls != NET_XMPP_TLS_DISABLE &&
                      error != ECONNREFUSED && error != ETIMEDOUT &&
                      error != ECONNRESET && error != EHOSTUNREACH &&
                      error != ENETUNREACH ? AIRLOCK_ERR_TLS :
                                             AIRLOCK_ERR_NET;
        else if (se != NULL)
            t->fail = AIRLOCK_ERR_NET;
        else if (t->tls != NET_XMPP_TLS_DISABLE && !t->secured_seen)
            t->fail = AIRLOCK_ERR_TLS;
        else
            t->fail = AIRLOCK_ERR_AUTH;
    } else if (t->fail != AIRLOCK_ERR_STORE) {
        t->fail = AIRLOCK_ERR_NET;
    }
    if (t->fail == AIRLOCK_ERR_AUTH) {
        t->state = XT_FAILED;
        return;
    }
    t->state = XT_DOWN;
    t->backoff_ms = t->backoff_ms == 0 ? XT_BACKOFF_MIN_MS :
        (t->backoff_ms * 2 > XT_BACKOFF_MAX_MS ? XT_BACKOFF_MAX_MS :
                                                 t->backoff_ms * 2);
    t->retry_at = base_mono_ms() + t->backoff_ms;
}

static void start_connect(xt *t)
{
    long flags = 0;

    if (t->state != XT_DOWN)
        return;
    switch (t->tls) {
    case NET_XMPP_TLS_VERIFY:
        flags = XMPP_CONN_FLAG_MANDATORY_TLS;
        break;
    case NET_XMPP_TLS_TRUST:
        flags = XMPP_CONN_FLAG_MANDATORY_TLS | XMPP_CONN_FLAG_TRUST_TLS;
        break;
    case NET_XMPP_TLS_DISABLE:
        flags = XMPP_CONN_FLAG_DISABLE_TLS;
        break;
    }
    t->session_seen = false;
    t->secured_seen = false;
    t->fail = AIRLOCK_OK;
    (void)xmpp_conn_set_flags(t->conn, flags);
    xmpp_conn_set_jid(t->conn, t->jid);
    xmpp_conn_set_pass(t->conn, t->pass);
    if (xmpp_connect_client(t->conn, t->host[0] != '\0' ? t->host : NULL,
                            t->port, on_conn, t) != XMPP_EOK) {
        t->fail = AIRLOCK_ERR_NET;
        t->backoff_ms = t->backoff_ms == 0 ? XT_BACKOFF_MIN_MS :
            (t->backoff_ms * 2 > XT_BACKOFF_MAX_MS ? XT_BACKOFF_MAX_MS :
                                                     t->backoff_ms * 2);
        t->retry_at = base_mono_ms() + t->backoff_ms;
        return;
    }
    t->state = XT_CONNECTING;
}

/* Connect when it is time to. */
static void tick(xt *t)
{
    if (t->state == XT_DOWN && base_mono_ms() >= t->retry_at)
        start_connect(t);
}

airlock_err net_xmpp_wait_ready(net_transport *nt, int timeout_ms)
{
    xt *t = T(nt);
    int64_t deadline = base_mono_ms() + timeout_ms;

    if (t == NULL)
        return AIRLOCK_ERR_ARG;
    if (t->state == XT_DOWN)
        t->retry_at = 0;               /* a caller waits: try right now */
    for (;;) {
        int64_t left;

        tick(t);
        if (t->state == XT_READY)
            return AIRLOCK_OK;
        if (t->state == XT_FAILED)
            return AIRLOCK_ERR_AUTH;
        left = deadline - base_mono_ms();
        if (left <= 0)
            break;
        if (t->state == XT_DOWN) {
            /* a failed attempt: report it rather than wait for backoff */
            if (t->fail != AIRLOCK_OK)
                return t->fail;
            run_for(t, left < 50 ? (int)left : 50);
            continue;
        }
        run_for(t, left < 50 ? (int)left : 50);
    }
    return t->fail != AIRLOCK_OK && t->state == XT_DOWN ? t->fail :
                                                          AIRLOCK_ERR_TIMEOUT;
}

/* ------------------------------------------------------------------------ */
/* net_ops                                                                   */
/* ------------------------------------------------------------------------ */

static int xt_fd(net_transport *nt)
{
    return T(nt)->evfd;
}

static void xt_drain(net_transport *nt)
{
    xt *t = T(nt);
    uint64_t v;
    unsigned i, quiet;

    if (t->evfd >= 0)
        while (read(t->evfd, &v, sizeof v) > 0)
            ;
    tick(t);
    for (i = quiet = 0; i < XT_DRAIN_MAX && quiet < XT_DRAIN_QUIET; i++) {
        uint64_t before = t->stanzas;

        run_for(t, 0);
        quiet = t->stanzas == before ? quiet + 1 : 0;
    }
    t->drain_more = i == XT_DRAIN_MAX;
    tick(t);
}

static int xt_timeout(net_transport *nt)
{
    xt *t = T(nt);
    int64_t left;

    if (t->state == XT_FAILED)
        return -1;
    if (t->state == XT_DOWN) {
        left = t->retry_at - base_mono_ms();
        if (left < 0)
            left = 0;
        return left > NET_XMPP_POLL_MS ? NET_XMPP_POLL_MS : (int)left;
    }
    return t->drain_more ? 0 : NET_XMPP_POLL_MS;
}

static bool xt_up(net_transport *nt)
{
    return T(nt)->state == XT_READY;
}

static airlock_err xt_publish(net_transport *nt, const uint8_t *bundle,
                              size_t n, const uint32_t *ids,
                              const uint8_t *pubs, size_t count)
{
    xt *t = T(nt);
    net_omemo_local l;
    uint32_t *nids = NULL;
    uint8_t *npubs = NULL;
    int64_t deadline;
    airlock_err err;

    if ((err = net_omemo_local_parse(bundle, n, &l)) != AIRLOCK_OK)
        return err;
    if (l.device_id != t->dev || count > NET_OMEMO_PREKEYS_MAX ||
        (count > 0 && (ids == NULL || pubs == NULL)))
        return AIRLOCK_ERR_ARG;
    if (count > 0) {
        nids = malloc(count * sizeof *nids);
        npubs = malloc(count * NET_OMEMO_PUB);
        if (nids == NULL || npubs == NULL) {
            free(nids);
            free(npubs);
            return AIRLOCK_ERR_NOMEM;
        }
        memcpy(nids, ids, count * sizeof *nids);
        memcpy(npubs, pubs, count * NET_OMEMO_PUB);
    }
    free(t->pub_ids);
    free(t->pub_pubs);
    t->pub = l;
    t->pub_ids = nids;
    t->pub_pubs = npubs;
    t->pub_count = count;
    t->have_pub = true;
    t->bundle_done = false;
    if (!connected(t))
        return AIRLOCK_OK;             /* published when the session starts */
    send_bundle(t);
    deadline = base_mono_ms() + NET_XMPP_IQ_TIMEOUT_MS;
    while (t->bundle_pending && connected(t) && base_mono_ms() < deadline)
        run_for(t, 50);
    return t->bundle_done ? AIRLOCK_OK : AIRLOCK_ERR_NET;
}

/* OMEMO bundles are replaced whole: the count is what we last published
 * (the engine tops the set up after prekeys are used). */
static airlock_err xt_prekey_count(net_transport *nt, uint32_t *n)
{
    *n = (uint32_t)T(nt)->pub_count;
    return AIRLOCK_OK;
}

/* Wait for the session when a caller needs the network now. */
static airlock_err need_ready(xt *t)
{
    if (t->state == XT_READY)
        return AIRLOCK_OK;
    return net_xmpp_wait_ready(&t->base, NET_XMPP_IQ_TIMEOUT_MS);
}

static airlock_err xt_devices(net_transport *nt, const char *addr,
                              uint32_t **ids, size_t *n)
{
    xt *t = T(nt);
    xmpp_stanza_t *iq, *reply = NULL, *list;
    uint32_t got[NET_OMEMO_DEVICES_MAX];
    char id[XT_ID_HEX + 1];
    size_t count = 0;
    bool own;
    airlock_err err;

    *ids = NULL;
    *n = 0;
    own = strcmp(addr, t->jid) == 0;
    if (!own && !net_xmpp_bare_jid_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = need_ready(t)) != AIRLOCK_OK)
        return err;
    if (own && t->own_known) {
        memcpy(got, t->own, t->own_n * sizeof *got);
        count = t->own_n;
    } else {
        if ((iq = items_iq(t, addr, NET_OMEMO_NODE_DEVICELIST, id)) == NULL)
            return AIRLOCK_ERR_NOMEM;
        if ((err = iq_call(t, iq, own ? "" : addr, id,
                           NET_XMPP_IQ_TIMEOUT_MS, &reply)) != AIRLOCK_OK)
            return err;
        if (!is_result(reply)) {
            xmpp_stanza_release(reply);
            return AIRLOCK_ERR_NOT_FOUND;
        }
        list = net_omemo_find_item(reply, NET_OMEMO_NODE_DEVICELIST, "list",
                                   NULL, NULL);
        err = list != NULL ? net_omemo_devicelist_parse(list, got, &count) :
                             AIRLOCK_ERR_NOT_FOUND;
        xmpp_stanza_release(reply);
        if (err != AIRLOCK_OK)
            return err;
    }
    if (count == 0)
        return AIRLOCK_ERR_NOT_FOUND;
    if ((*ids = malloc(count * sizeof **ids)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    memcpy(*ids, got, count * sizeof **ids);
    *n = count;
    return AIRLOCK_OK;
}

static airlock_err xt_take_bundle(net_transport *nt, const char *addr,
                                  uint32_t dev, uint8_t **bundle, size_t *n,
                                  uint32_t *prekey_id, uint8_t **prekey,
                                  size_t *prekey_n)
{
    xt *t = T(nt);
    xmpp_stanza_t *iq, *reply = NULL, *el;
    net_omemo_bundle *b = NULL;
    char node[sizeof NET_OMEMO_NODE_BUNDLES + 16], id[XT_ID_HEX + 1];
    bool own = strcmp(addr, t->jid) == 0;
    size_t pick;
    airlock_err err;

    *bundle = NULL;
    *n = 0;
    *prekey_id = 0;
    *prekey = NULL;
    *prekey_n = 0;
    if ((!own && !net_xmpp_bare_jid_ok(addr)) || dev == 0 ||
        dev > NET_OMEMO_ID_MAX)
        return AIRLOCK_ERR_ARG;
    if ((err = need_ready(t)) != AIRLOCK_OK)
        return err;
    snprintf(node, sizeof node, "%s%u", NET_OMEMO_NODE_BUNDLES, dev);
    if ((iq = items_iq(t, addr, node, id)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    if ((err = iq_call(t, iq, own ? "" : addr, id, NET_XMPP_IQ_TIMEOUT_MS,
                       &reply)) != AIRLOCK_OK)
        return err;
    if (!is_result(reply)) {
        err = AIRLOCK_ERR_NOT_FOUND;
        goto out;
    }
    if ((el = net_omemo_find_item(reply, node, "bundle", NULL, NULL)) ==
        NULL) {
        err = AIRLOCK_ERR_NOT_FOUND;
        goto out;
    }
    if ((b = malloc(sizeof *b)) == NULL) {
        err = AIRLOCK_ERR_NOMEM;
        goto out;
    }
    if ((err = net_omemo_bundle_parse(el, b)) != AIRLOCK_OK ||
        (err = net_omemo_bundle_to_local(b, dev, bundle, n)) != AIRLOCK_OK)
        goto out;
    if (b->prekey_count > 0) {
        /* OMEMO prekeys are not consumed on the server: pick one at random
         * so that two senders rarely take the same */
        pick = base_random_u32() % b->prekey_count;
        if ((*prekey = malloc(NET_OMEMO_PUB)) == NULL) {
            free(*bundle);
            *bundle = NULL;
            *n = 0;
            err = AIRLOCK_ERR_NOMEM;
            goto out;
        }
        memcpy(*prekey, b->prekey[pick], NET_OMEMO_PUB);
        *prekey_n = NET_OMEMO_PUB;
        *prekey_id = b->prekey_id[pick];
    }
out:
    free(b);
    if (reply != NULL)
        xmpp_stanza_release(reply);
    return err;
}

static airlock_err xt_send_begin(net_transport *nt)
{
    T(nt)->sent = 0;
    return AIRLOCK_OK;
}

static airlock_err xt_send(net_transport *nt, const char *to,
                           const uint32_t *devs, size_t ndev,
                           const uint8_t *envb, size_t n)
{
    xt *t = T(nt);
    net_env e;
    xmpp_stanza_t *msg = NULL;
    char id[XT_ID_HEX + 1], recipient[NET_ADDR_MAX + 1];
    airlock_err err;

    (void)devs;
    if (ndev == 0)
        return AIRLOCK_OK;
    if ((err = net_env_decode(envb, n, &e)) != AIRLOCK_OK)
        return err;
    if (e.recipient_n > NET_ADDR_MAX)
        return AIRLOCK_ERR_ARG;
    memcpy(recipient, e.recipient, e.recipient_n);
    recipient[e.recipient_n] = '\0';
    /* One stanza to the recipient carries the keys of every device,
     * ours included: our other devices get it as a carbon. */
    if (strcmp(to, t->jid) == 0 && strcmp(recipient, t->jid) != 0)
        return AIRLOCK_OK;
    if (!net_xmpp_bare_jid_ok(to) || e.payload_n > NET_OMEMO_PAYLOAD_MAX)
        return AIRLOCK_ERR_ARG;
    if (t->state != XT_READY)
        return AIRLOCK_ERR_NET;
    /* the stanza id follows the message id: a resend after a crash
     * carries the same id */
    base_hex(e.id, sizeof e.id, id);
    if ((err = net_omemo_build_message(t->x, &e, to, id, &msg)) !=
        AIRLOCK_OK)
        return err;
    send_own(t, msg);
    t->sent++;
    return AIRLOCK_OK;
}

/* The server has everything sent once it answers a ping sent after it
 * (one ordered stream). Only then may the engine forget its outbox. */
static airlock_err xt_send_commit(net_transport *nt)
{
    xt *t = T(nt);
    xmpp_stanza_t *iq, *reply = NULL;
    char id[XT_ID_HEX + 1];
    airlock_err err;

    if (t->sent == 0)
        return AIRLOCK_OK;
    t->sent = 0;
    if ((iq = iq_new(t, "get", t->domain, id)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    if (!add(iq, elem(t, "ping", NS_PING))) {
        xmpp_stanza_release(iq);
        return AIRLOCK_ERR_NOMEM;
    }
    if ((err = iq_call(t, iq, "", id, NET_XMPP_IQ_TIMEOUT_MS, &reply)) !=
        AIRLOCK_OK)
        return AIRLOCK_ERR_NET;
    xmpp_stanza_release(reply);
    return AIRLOCK_OK;
}

static airlock_err xt_fetch(net_transport *nt, size_t limit, net_recv_cb cb,
                            void *arg)
{
    xt *t = T(nt);

    return store_relay_fetch(t->spool, t->jid, t->dev, 0, limit,
                             (store_relay_cb)cb, arg);
}

static airlock_err xt_ack(net_transport *nt, const int64_t *seqs, size_t n)
{
    xt *t = T(nt);

    return store_relay_ack(t->spool, t->jid, t->dev, seqs, n);
}

/* XEP-0191 on the server for block/unblock; a subscription for accepted
 * contacts (so that clients publishing to subscribers only can be read). */
static void xt_trust_changed(net_transport *nt, const char *addr,
                             airlock_trust trust)
{
    xt *t = T(nt);
    xmpp_stanza_t *iq, *w, *item, *reply = NULL;
    char id[XT_ID_HEX + 1];

    if (!net_xmpp_bare_jid_ok(addr) || strcmp(addr, t->jid) == 0 ||
        need_ready(t) != AIRLOCK_OK)
        return;
    if (accepted(trust)) {
        presence_to(t, addr, "subscribed");
        presence_to(t, addr, "subscribe");
    }
    if (!t->srv_blocking)
        return;
    if ((iq = iq_new(t, "set", NULL, id)) == NULL)
        return;
    w = elem(t, trust == AIRLOCK_TRUST_BLOCKED ? "block" : "unblock",
             NS_BLOCKING);
    item = elem(t, "item", NULL);
    if (w == NULL || item == NULL ||
        xmpp_stanza_set_attribute(item, "jid", addr) != XMPP_EOK) {
        if (w != NULL)
            xmpp_stanza_release(w);
        if (item != NULL)
            xmpp_stanza_release(item);
        xmpp_stanza_release(iq);
        return;
    }
    if (!add(w, item) || !add(iq, w)) {
        xmpp_stanza_release(iq);
        return;
    }
    if (iq_call(t, iq, "", id, NET_XMPP_IQ_TIMEOUT_MS, &reply) == AIRLOCK_OK)
        xmpp_stanza_release(reply);
}

static void xt_close(net_transport *nt)
{
    xt *t = T(nt);
    int64_t deadline;

    if (t == NULL)
        return;
    if (t->conn != NULL) {
        base_sigpipe g;

        base_sigpipe_hold(&g);         /* disconnect and release write */
        if (t->state == XT_READY) {
            /* One more round trip before leaving: the server's requests
             * for acknowledgement (XEP-0198) of what we already spooled
             * are answered on the way, so it does not redeliver them. */
            xmpp_stanza_t *iq, *reply = NULL;
            char id[XT_ID_HEX + 1];

            if ((iq = iq_new(t, "get", t->domain, id)) != NULL) {
                if (!add(iq, elem(t, "ping", NS_PING)))
                    xmpp_stanza_release(iq);
                else if (iq_call(t, iq, "", id, XT_CLOSE_WAIT_MS, &reply) ==
                         AIRLOCK_OK)
                    xmpp_stanza_release(reply);
            }
        }
        if (t->state != XT_DOWN && t->state != XT_FAILED) {
            xmpp_disconnect(t->conn);
            deadline = base_mono_ms() + XT_CLOSE_WAIT_MS;
            while (!xmpp_conn_is_disconnected(t->conn) &&
                   base_mono_ms() < deadline)
                run_for(t, 50);
        }
        drop_waits(t);
        xmpp_conn_release(t->conn);
        base_sigpipe_release(&g);
    }
    if (t->x != NULL)
        xmpp_ctx_free(t->x);
    if (t->evfd >= 0)
        close(t->evfd);
    store_relay_close(t->spool);
    if (t->pass != NULL) {
        base_wipe(t->pass, t->pass_n);
        free(t->pass);
    }
    free(t->pub_ids);
    free(t->pub_pubs);
    base_wipe(t, sizeof *t);
    free(t);
}

static const net_ops xmpp_ops = {
    .name = "xmpp",
    .fd = xt_fd,
    .drain = xt_drain,
    .timeout_ms = xt_timeout,
    .up = xt_up,
    .publish = xt_publish,
    .prekey_count = xt_prekey_count,
    .devices = xt_devices,
    .take_bundle = xt_take_bundle,
    .send_begin = xt_send_begin,
    .send = xt_send,
    .send_commit = xt_send_commit,
    .fetch = xt_fetch,
    .ack = xt_ack,
    .close = xt_close,
    .payload_is_body = true,
    .publish_replaces = true,
    .trust_changed = xt_trust_changed,
    .claimed_senders = true,
};

airlock_err net_xmpp_open(const net_xmpp_args *a, net_transport **out)
{
    xt *t = NULL;
    const char *at;
    size_t hn;
    airlock_err err = AIRLOCK_ERR_NOMEM;

    if (out == NULL)
        return AIRLOCK_ERR_ARG;
    *out = NULL;
    if (a == NULL || !net_xmpp_bare_jid_ok(a->jid) || a->password == NULL ||
        a->password_n == 0 || a->password_n > NET_XMPP_PASSWORD_MAX ||
        memchr(a->password, '\0', a->password_n) != NULL ||
        a->device_id == 0 || a->device_id > NET_DEVICE_ID_MAX ||
        a->spool_path == NULL || a->tls > NET_XMPP_TLS_DISABLE)
        return AIRLOCK_ERR_ARG;
    at = strchr(a->jid, '@');
    hn = a->host != NULL ? strlen(a->host) : 0;
    if (hn > NET_XMPP_HOST_MAX)
        return AIRLOCK_ERR_ARG;
    /* Without certificate checks, only a loopback server is acceptable. */
    if (a->tls != NET_XMPP_TLS_VERIFY &&
        !net_xmpp_host_is_loopback(hn > 0 ? a->host : at + 1))
        return AIRLOCK_ERR_ARG;
    if ((t = calloc(1, sizeof *t)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    t->base.ops = &xmpp_ops;
    t->evfd = -1;
    snprintf(t->jid, sizeof t->jid, "%s", a->jid);
    snprintf(t->domain, sizeof t->domain, "%s", at + 1);
    if (hn > 0)
        memcpy(t->host, a->host, hn + 1);
    t->port = a->port != 0 ? a->port : NET_XMPP_PORT_DEFAULT;
    t->tls = a->tls;
    t->dev = a->device_id;
    t->trust = a->trust;
    t->blocked = a->blocked;
    t->trust_user = a->trust_user;
    if ((t->pass = malloc(a->password_n + 1)) == NULL)
        goto fail;
    memcpy(t->pass, a->password, a->password_n);
    t->pass[a->password_n] = '\0';
    t->pass_n = a->password_n;
    if ((t->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
        err = AIRLOCK_ERR_IO;
        goto fail;
    }
    if ((err = store_relay_open(a->spool_path, &t->spool)) != AIRLOCK_OK)
        goto fail;
    err = AIRLOCK_ERR_NOMEM;
    /* libstrophe's one-time set-up (OpenSSL strings, an OID): idempotent */
    xmpp_initialize();
    if ((t->x = xmpp_ctx_new(NULL, NULL)) == NULL ||
        (t->conn = xmpp_conn_new(t->x)) == NULL)
        goto fail;
    xmpp_handler_add(t->conn, on_message, NULL, "message", NULL, t);
    xmpp_handler_add(t->conn, on_presence, NULL, "presence", NULL, t);
    xmpp_handler_add(t->conn, on_iq, NULL, "iq", NULL, t);
    xmpp_conn_set_sockopt_callback(t->conn, xmpp_sockopt_cb_keepalive);
    start_connect(t);
    *out = &t->base;
    return AIRLOCK_OK;
fail:
    xt_close(&t->base);
    return err;
}

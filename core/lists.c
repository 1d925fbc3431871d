/*
 * lists.c - what front ends read and the user's trust decisions: contacts,
 * history pages, security events, accept / block / verify, safety numbers.
 */
#include "core/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void engine_emit(airlock_ctx *ctx, const airlock_event *ev)
{
    if (ctx->on_event != NULL)
        ctx->on_event(ev, ctx->user_data);
}

void engine_security(airlock_ctx *ctx, airlock_sec_kind kind,
                     const char *sender, const char *detail)
{
    airlock_security_event se;
    airlock_event ev;
    int64_t now = base_now_ms();

    (void)store_event_add(ctx->st, kind, sender, detail, now,
                          ENGINE_EVENT_FOLD_MS);
    memset(&se, 0, sizeof se);
    se.time_ms = now;
    se.last_ms = now;
    se.kind = kind;
    se.sender = sender;
    se.count = 1;
    se.detail = detail;
    memset(&ev, 0, sizeof ev);
    ev.kind = AIRLOCK_EVENT_SECURITY;
    ev.conversation = sender[0] != '\0' ? sender : NULL;
    ev.security = &se;
    engine_emit(ctx, &ev);
}

airlock_trust engine_render_trust(airlock_ctx *ctx, const char *sender,
                                  uint32_t device, airlock_trust contact)
{
    store_remote_id rid;

    if (strcmp(sender, ctx->account) == 0) {
        /* Our own writing, unless from a device of ours that is held
         * (never confirmed: inbound.c): that could be anyone. */
        if (device != ctx->device_id &&
            store_rid_get(ctx->st, sender, device, &rid) == AIRLOCK_OK &&
            rid.status == STORE_ID_CHANGED)
            return AIRLOCK_TRUST_UNKNOWN;
        return AIRLOCK_TRUST_ACCEPTED;
    }
    if (contact != AIRLOCK_TRUST_ACCEPTED && contact != AIRLOCK_TRUST_VERIFIED)
        return contact == AIRLOCK_TRUST_BLOCKED ? AIRLOCK_TRUST_UNKNOWN :
               contact;
    /* A device whose identity changed is inert until acknowledged. */
    if (store_rid_get(ctx->st, sender, device, &rid) == AIRLOCK_OK &&
        rid.status == STORE_ID_CHANGED)
        return AIRLOCK_TRUST_UNKNOWN;
    return contact;
}

static void emit_simple(airlock_ctx *ctx, airlock_event_kind kind,
                        const char *conv)
{
    airlock_event ev;

    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.conversation = conv;
    engine_emit(ctx, &ev);
}

static airlock_err set_trust(airlock_ctx *ctx, const char *addr,
                             airlock_trust t, bool keep_verified)
{
    store_contact c;
    airlock_err err;

    if (ctx == NULL || !engine_addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    /* Becoming a contact: over a transport whose senders are claims, the
     * devices they wrote from as a stranger must be on their published
     * device list (devcheck.c); the others stay inert. */
    if (t == AIRLOCK_TRUST_ACCEPTED &&
        (store_contact_get(ctx->st, addr, &c) != AIRLOCK_OK ||
         (c.trust != AIRLOCK_TRUST_ACCEPTED &&
          c.trust != AIRLOCK_TRUST_VERIFIED))) {
        bool chg;

        if ((err = engine_check_devices(ctx, addr, NULL, 0, &chg)) !=
            AIRLOCK_OK)
            return err;
    }
    if ((err = store_begin(ctx->st)) != AIRLOCK_OK)
        return err;
    if ((err = store_contact_ensure(ctx->st, addr, base_now_ms())) !=
            AIRLOCK_OK ||
        (err = store_contact_get(ctx->st, addr, &c)) != AIRLOCK_OK)
        goto fail;
    if (!(keep_verified && c.trust == AIRLOCK_TRUST_VERIFIED) &&
        (err = store_contact_set_trust(ctx->st, addr, t)) != AIRLOCK_OK)
        goto fail;
    if ((err = store_commit(ctx->st)) != AIRLOCK_OK)
        return err;
    /* the transport may act on it (XMPP: block on the server, XEP-0191;
     * a presence subscription for an accepted contact) */
    if (ctx->net->ops->trust_changed != NULL)
        ctx->net->ops->trust_changed(ctx->net, addr, t);
    emit_simple(ctx, AIRLOCK_EVENT_CONTACTS, addr);
    emit_simple(ctx, AIRLOCK_EVENT_RERENDER, addr);
    return AIRLOCK_OK;
fail:
    store_rollback(ctx->st);
    return err;
}

AIRLOCK_API airlock_err airlock_accept(airlock_ctx *ctx, const char *addr)
{
    return set_trust(ctx, addr, AIRLOCK_TRUST_ACCEPTED, true);
}

AIRLOCK_API airlock_err airlock_block(airlock_ctx *ctx, const char *addr)
{
    return set_trust(ctx, addr, AIRLOCK_TRUST_BLOCKED, false);
}

AIRLOCK_API airlock_err airlock_unblock(airlock_ctx *ctx, const char *addr)
{
    store_contact c;
    airlock_err err;

    if (ctx == NULL || !engine_addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = store_contact_get(ctx->st, addr, &c)) != AIRLOCK_OK)
        return err;
    if (c.trust != AIRLOCK_TRUST_BLOCKED)
        return AIRLOCK_ERR_STATE;
    /* Back to a message request: unblocking is not acceptance. */
    return set_trust(ctx, addr, AIRLOCK_TRUST_UNKNOWN, false);
}

AIRLOCK_API airlock_err airlock_delete_request(airlock_ctx *ctx,
                                               const char *addr)
{
    store_contact c;
    airlock_err err;

    if (ctx == NULL || !engine_addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = store_contact_get(ctx->st, addr, &c)) != AIRLOCK_OK)
        return err;
    if (c.trust != AIRLOCK_TRUST_UNKNOWN)
        return AIRLOCK_ERR_STATE;
    if ((err = store_contact_delete(ctx->st, addr)) != AIRLOCK_OK)
        return err;
    emit_simple(ctx, AIRLOCK_EVENT_CONTACTS, addr);
    return AIRLOCK_OK;
}

AIRLOCK_API airlock_err airlock_mark_read(airlock_ctx *ctx, const char *addr)
{
    if (ctx == NULL || !engine_addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    return store_contact_mark_read(ctx->st, addr);
}

/* ---- contacts ---- */

struct airlock_contact_list {
    size_t n, cap;
    airlock_contact *items;
    char **strs;                 /* 2 per item: address, label */
};

typedef struct contact_walk {
    airlock_ctx *ctx;
    airlock_contact_list *l;
    airlock_err err;
} contact_walk;

static char *sanitized(const char *s)
{
    char *out = NULL;
    size_t n = 0;

    if (airlock_sanitize((const uint8_t *)s, strlen(s), &out, &n) !=
        AIRLOCK_OK)
        return NULL;
    return out;
}

static int contact_cb(const store_contact *c, void *arg)
{
    contact_walk *w = arg;
    airlock_contact_list *l = w->l;
    airlock_contact *pc;
    bool changed = false;

    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        airlock_contact *ni = realloc(l->items, ncap * sizeof *ni);
        char **ns;

        if (ni == NULL) {
            w->err = AIRLOCK_ERR_NOMEM;
            return 1;
        }
        l->items = ni;
        if ((ns = realloc(l->strs, ncap * 2 * sizeof *ns)) == NULL) {
            w->err = AIRLOCK_ERR_NOMEM;
            return 1;
        }
        l->strs = ns;
        l->cap = ncap;
    }
    pc = &l->items[l->n];
    memset(pc, 0, sizeof *pc);
    l->strs[2 * l->n] = sanitized(c->address);
    l->strs[2 * l->n + 1] = sanitized(c->label[0] ? c->label : c->address);
    if (l->strs[2 * l->n] == NULL || l->strs[2 * l->n + 1] == NULL) {
        free(l->strs[2 * l->n]);
        free(l->strs[2 * l->n + 1]);
        w->err = AIRLOCK_ERR_NOMEM;
        return 1;
    }
    (void)store_rid_any_changed(w->ctx->st, c->address, &changed);
    pc->address = l->strs[2 * l->n];
    pc->label = l->strs[2 * l->n + 1];
    pc->trust = c->trust;
    pc->identity_changed = changed;
    pc->last_ms = c->last_ms;
    pc->messages = c->messages;
    pc->unread = c->unread;
    l->n++;
    return 0;
}

AIRLOCK_API airlock_err airlock_contacts(airlock_ctx *ctx, unsigned which,
                                         airlock_contact_list **out)
{
    contact_walk w;
    unsigned mask = 0;
    airlock_err err;

    if (out == NULL)
        return AIRLOCK_ERR_ARG;
    *out = NULL;
    if (ctx == NULL)
        return AIRLOCK_ERR_ARG;
    if (which & AIRLOCK_LIST_CHATS)
        mask |= 1u << AIRLOCK_TRUST_ACCEPTED | 1u << AIRLOCK_TRUST_VERIFIED;
    if (which & AIRLOCK_LIST_REQUESTS)
        mask |= 1u << AIRLOCK_TRUST_UNKNOWN;
    if (which & AIRLOCK_LIST_BLOCKED)
        mask |= 1u << AIRLOCK_TRUST_BLOCKED;
    memset(&w, 0, sizeof w);
    w.ctx = ctx;
    if ((w.l = calloc(1, sizeof *w.l)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    err = store_contact_each(ctx->st, mask, contact_cb, &w);
    if (err == AIRLOCK_OK)
        err = w.err;
    if (err != AIRLOCK_OK) {
        airlock_contact_list_free(w.l);
        return err;
    }
    *out = w.l;
    return AIRLOCK_OK;
}

AIRLOCK_API size_t airlock_contact_list_count(const airlock_contact_list *l)
{
    return l != NULL ? l->n : 0;
}

AIRLOCK_API const airlock_contact *airlock_contact_list_get(
    const airlock_contact_list *l, size_t i)
{
    return l != NULL && i < l->n ? &l->items[i] : NULL;
}

AIRLOCK_API void airlock_contact_list_free(airlock_contact_list *l)
{
    size_t i;

    if (l == NULL)
        return;
    for (i = 0; i < 2 * l->n; i++)
        free(l->strs[i]);
    free(l->strs);
    free(l->items);
    free(l);
}

/* ---- history ---- */

typedef struct hist_item {
    airlock_message m;
    char conversation[STORE_ADDR_MAX + 1];
    char from[STORE_ADDR_MAX + 1];
    airlock_model *model;
    int64_t seq;
} hist_item;

struct airlock_message_list {
    size_t n, cap;
    hist_item *items;
    int64_t cursor;
};

typedef struct hist_walk {
    airlock_ctx *ctx;
    airlock_message_list *l;
    airlock_trust contact;
    airlock_err err;
} hist_walk;

static int hist_cb(const store_msg *sm, void *arg)
{
    hist_walk *w = arg;
    hist_item *it = &w->l->items[w->l->n];
    airlock_trust t = engine_render_trust(w->ctx, sm->sender,
                                          sm->sender_device, w->contact);
    airlock_err err;

    if (w->l->n == w->l->cap)
        return 1;
    memset(it, 0, sizeof *it);
    snprintf(it->conversation, sizeof it->conversation, "%s",
             sm->conversation);
    snprintf(it->from, sizeof it->from, "%s", sm->sender);
    if ((err = engine_render(w->ctx, sm->sender, sm->content, sm->content_n,
                             sm->kind, t, &it->model)) != AIRLOCK_OK) {
        w->err = err;
        return 1;
    }
    memcpy(it->m.id, sm->id, sizeof it->m.id);
    it->m.device = sm->sender_device;
    it->m.time_ms = sm->sent_ms;
    it->m.received_ms = sm->received_ms;
    it->m.outgoing = sm->outgoing;
    it->m.state = sm->state;
    it->seq = sm->seq;
    w->l->n++;
    return 0;
}

AIRLOCK_API airlock_err airlock_history(airlock_ctx *ctx, const char *addr,
                                        int64_t cursor, size_t limit,
                                        airlock_message_list **out)
{
    hist_walk w;
    store_contact c;
    size_t i;
    airlock_err err;

    if (out == NULL)
        return AIRLOCK_ERR_ARG;
    *out = NULL;
    if (ctx == NULL || !engine_addr_ok(addr) || cursor < 0)
        return AIRLOCK_ERR_ARG;
    if (limit == 0 || limit > ENGINE_HISTORY_PAGE_MAX)
        limit = limit == 0 ? 50 : ENGINE_HISTORY_PAGE_MAX;
    memset(&w, 0, sizeof w);
    w.ctx = ctx;
    if ((err = store_contact_get(ctx->st, addr, &c)) == AIRLOCK_OK)
        w.contact = c.trust;
    else if (err == AIRLOCK_ERR_NOT_FOUND)
        w.contact = AIRLOCK_TRUST_UNKNOWN;
    else
        return err;
    if ((w.l = calloc(1, sizeof *w.l)) == NULL ||
        (w.l->items = calloc(limit, sizeof *w.l->items)) == NULL) {
        free(w.l);
        return AIRLOCK_ERR_NOMEM;
    }
    w.l->cap = limit;
    err = store_msg_page(ctx->st, addr, cursor, limit, hist_cb, &w);
    if (err == AIRLOCK_OK)
        err = w.err;
    if (err != AIRLOCK_OK) {
        airlock_message_list_free(w.l);
        return err;
    }
    /* Pointers into the items are fixed only now that filling is done. */
    for (i = 0; i < w.l->n; i++) {
        hist_item *it = &w.l->items[i];

        it->m.conversation = it->conversation;
        it->m.from = it->from;
        it->m.model = it->model;
    }
    w.l->cursor = w.l->n == limit && w.l->n > 0 ?
        w.l->items[w.l->n - 1].seq : 0;
    *out = w.l;
    return AIRLOCK_OK;
}

AIRLOCK_API size_t airlock_message_list_count(const airlock_message_list *l)
{
    return l != NULL ? l->n : 0;
}

AIRLOCK_API const airlock_message *airlock_message_list_get(
    const airlock_message_list *l, size_t i)
{
    return l != NULL && i < l->n ? &l->items[i].m : NULL;
}

AIRLOCK_API int64_t airlock_message_list_cursor(const airlock_message_list *l)
{
    return l != NULL ? l->cursor : 0;
}

AIRLOCK_API void airlock_message_list_free(airlock_message_list *l)
{
    size_t i;

    if (l == NULL)
        return;
    for (i = 0; i < l->n; i++)
        airlock_model_free(l->items[i].model);
    free(l->items);
    free(l);
}

/* ---- safety numbers and identity ---- */

AIRLOCK_API airlock_err airlock_safety_number(airlock_ctx *ctx,
                                              const char *addr,
                                              char out[AIRLOCK_SAFETY_NUMBER_LEN])
{
    uint32_t *devs = NULL;
    size_t n = 0, i;
    store_remote_id rid, best;
    bool found = false;
    uint32_t best_dev = 0;
    airlock_err err;

    if (ctx == NULL || out == NULL || !engine_addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    out[0] = '\0';
    if ((err = store_sig_session_devices(ctx->st, addr, &devs, &n)) !=
        AIRLOCK_OK)
        return err;
    /* One number per contact: a device whose key changed (or that is new)
     * first, so it can be checked before it is acknowledged; otherwise
     * the lowest device id with a known key. */
    for (i = 0; i < n; i++) {
        if (store_rid_get(ctx->st, addr, devs[i], &rid) != AIRLOCK_OK)
            continue;
        /* a device waiting for review wins: that is the key to compare */
        if (!found ||
            (rid.status == STORE_ID_CHANGED) > (best.status ==
                                                STORE_ID_CHANGED) ||
            ((rid.status == STORE_ID_CHANGED) ==
                 (best.status == STORE_ID_CHANGED) && devs[i] < best_dev)) {
            best = rid;
            best_dev = devs[i];
            found = true;
        }
    }
    free(devs);
    if (!found)
        return AIRLOCK_ERR_NOT_FOUND;
    if (best.status == STORE_ID_CHANGED && best.pending_n == CRYPTO_KEY_PUB)
        return crypto_safety_number(ctx->cr, ctx->account, addr,
                                    best.pending, out);
    if (best.key_n != CRYPTO_KEY_PUB)
        return AIRLOCK_ERR_CORRUPT;
    return crypto_safety_number(ctx->cr, ctx->account, addr, best.key, out);
}

AIRLOCK_API airlock_err airlock_verify(airlock_ctx *ctx, const char *addr)
{
    bool changed = false;
    airlock_err err;

    if (ctx == NULL || !engine_addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = store_rid_any_changed(ctx->st, addr, &changed)) != AIRLOCK_OK)
        return err;
    if (changed)
        return AIRLOCK_ERR_STATE;    /* acknowledge the new key first */
    if ((err = store_begin(ctx->st)) != AIRLOCK_OK)
        return err;
    if ((err = store_rid_set_verified(ctx->st, addr)) != AIRLOCK_OK ||
        (err = store_contact_ensure(ctx->st, addr, base_now_ms())) !=
            AIRLOCK_OK ||
        (err = store_contact_set_trust(ctx->st, addr,
                                       AIRLOCK_TRUST_VERIFIED)) !=
            AIRLOCK_OK) {
        store_rollback(ctx->st);
        return err;
    }
    if ((err = store_commit(ctx->st)) != AIRLOCK_OK)
        return err;
    emit_simple(ctx, AIRLOCK_EVENT_CONTACTS, addr);
    return AIRLOCK_OK;
}

AIRLOCK_API airlock_err airlock_ack_identity(airlock_ctx *ctx,
                                             const char *addr)
{
    store_contact c;
    airlock_err err;

    if (ctx == NULL || !engine_addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = store_begin(ctx->st)) != AIRLOCK_OK)
        return err;
    if ((err = store_rid_ack(ctx->st, addr)) != AIRLOCK_OK ||
        (err = engine_devcheck_forget(ctx, addr)) != AIRLOCK_OK)
        goto fail;
    /* A verified contact whose key changed is no longer verified. */
    if (store_contact_get(ctx->st, addr, &c) == AIRLOCK_OK &&
        c.trust == AIRLOCK_TRUST_VERIFIED &&
        (err = store_contact_set_trust(ctx->st, addr,
                                       AIRLOCK_TRUST_ACCEPTED)) != AIRLOCK_OK)
        goto fail;
    if ((err = store_commit(ctx->st)) != AIRLOCK_OK)
        return err;
    emit_simple(ctx, AIRLOCK_EVENT_CONTACTS, addr);
    emit_simple(ctx, AIRLOCK_EVENT_RERENDER, addr);
    return AIRLOCK_OK;
fail:
    store_rollback(ctx->st);
    return err;
}

/* ---- security events ---- */

typedef struct ev_item {
    airlock_security_event e;
    char sender[STORE_ADDR_MAX + 1];
    char detail[256];
} ev_item;

struct airlock_event_list {
    size_t n, cap;
    ev_item *items;
};

static int event_cb(const airlock_security_event *e, void *arg)
{
    airlock_event_list *l = arg;
    ev_item *it;

    if (l->n == l->cap)
        return 1;
    it = &l->items[l->n++];
    it->e = *e;
    snprintf(it->sender, sizeof it->sender, "%s", e->sender ? e->sender : "");
    snprintf(it->detail, sizeof it->detail, "%s", e->detail ? e->detail : "");
    return 0;
}

AIRLOCK_API airlock_err airlock_security_events(airlock_ctx *ctx,
                                                size_t limit,
                                                airlock_event_list **out)
{
    airlock_event_list *l;
    size_t i;
    airlock_err err;

    if (out == NULL)
        return AIRLOCK_ERR_ARG;
    *out = NULL;
    if (ctx == NULL)
        return AIRLOCK_ERR_ARG;
    if (limit == 0 || limit > 1000)
        limit = 1000;
    if ((l = calloc(1, sizeof *l)) == NULL ||
        (l->items = calloc(limit, sizeof *l->items)) == NULL) {
        free(l);
        return AIRLOCK_ERR_NOMEM;
    }
    l->cap = limit;
    if ((err = store_event_each(ctx->st, limit, event_cb, l)) != AIRLOCK_OK) {
        airlock_event_list_free(l);
        return err;
    }
    for (i = 0; i < l->n; i++) {
        l->items[i].e.sender = l->items[i].sender;
        l->items[i].e.detail = l->items[i].detail;
    }
    *out = l;
    return AIRLOCK_OK;
}

AIRLOCK_API size_t airlock_event_list_count(const airlock_event_list *l)
{
    return l != NULL ? l->n : 0;
}

AIRLOCK_API const airlock_security_event *airlock_event_list_get(
    const airlock_event_list *l, size_t i)
{
    return l != NULL && i < l->n ? &l->items[i].e : NULL;
}

AIRLOCK_API void airlock_event_list_free(airlock_event_list *l)
{
    if (l == NULL)
        return;
    free(l->items);
    free(l);
}

typedef struct unseen_walk {
    int64_t since;
    uint32_t n;
} unseen_walk;

static int unseen_cb(const airlock_security_event *e, void *arg)
{
    unseen_walk *u = arg;

    if (e->id <= u->since)
        return 1;                /* newest first: the rest are older */
    u->n++;
    return 0;
}

AIRLOCK_API uint32_t airlock_security_events_unseen(airlock_ctx *ctx)
{
    unseen_walk u;

    if (ctx == NULL)
        return 0;
    u.since = ctx->events_seen_id;
    u.n = 0;
    (void)store_event_each(ctx->st, 1000, unseen_cb, &u);
    return u.n;
}

AIRLOCK_API void airlock_security_events_seen(airlock_ctx *ctx)
{
    if (ctx != NULL)
        (void)store_event_max_id(ctx->st, &ctx->events_seen_id);
}

AIRLOCK_API const char *airlock_sec_kind_name(airlock_sec_kind k)
{
    switch (k) {
    case AIRLOCK_SEC_MALFORMED_ENVELOPE: return "malformed_envelope";
    case AIRLOCK_SEC_DECRYPT_FAILED: return "decrypt_failed";
    case AIRLOCK_SEC_RATE_LIMITED: return "rate_limited";
    case AIRLOCK_SEC_BLOCKED_DROP: return "blocked_drop";
    case AIRLOCK_SEC_IDENTITY_CHANGED: return "identity_changed";
    case AIRLOCK_SEC_UNDECODABLE_FRAME: return "undecodable_frame";
    case AIRLOCK_SEC_DUPLICATE: return "duplicate";
    case AIRLOCK_SEC_OVERSIZED: return "oversized";
    case AIRLOCK_SEC_DECODER_CRASH: return "decoder_crash";
    case AIRLOCK_SEC_NO_PASSPHRASE: return "no_passphrase";
    case AIRLOCK_SEC_SPOOFED_STANZA: return "spoofed_stanza";
    case AIRLOCK_SEC_UNENCRYPTED: return "unencrypted";
    }
    return "unknown";
}

AIRLOCK_API void airlock_get_stats(const airlock_ctx *ctx, airlock_stats *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof *out);
    if (ctx != NULL)
        *out = ctx->stats;
}

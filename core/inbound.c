/*
 * inbound.c - the inbound pipeline. The order is the security
 * (../DESIGN.md):
 *
 *   size cap -> envelope decode -> blocked sender dropped -> rate limits
 *   for senders not accepted -> duplicate check -> decrypt -> sealed commit
 *   (one transaction per batch) -> acknowledge to the transport -> gate by
 *   trust -> event with the display model.
 *
 * Nothing a sender that is not accepted sends causes outbound traffic:
 * receipts go only to accepted contacts, and only after the gate.
 */
#include "core/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gate.h"

/* Plaintext held for rendering after the commit, per batch. */
#define INBOUND_BATCH_BYTES (8u * 1024u * 1024u)
/* Distinct (kind, sender) security events folded per batch. */
#define INBOUND_EVENTS_MAX 64u
#define INBOUND_DETAIL_MAX 96u
/* Envelopes handled per store transaction. At most ENGINE_BATCH_MAX of
 * them are stored; the rest were dropped before decryption, which costs
 * a few microseconds each, so a flood is drained under a few commits
 * instead of one commit (and one fsync) per 256 envelopes. */
#define INBOUND_ENVELOPES_MAX 8192u
/* Senders whose trust is remembered within one batch. */
#define INBOUND_TRUST_CACHE 8u

typedef struct inb_item {
    store_msg m;
    uint8_t *plain;              /* owned plaintext (the stored content) */
    airlock_trust contact_trust;
    bool self_sync;              /* a copy of the own other device's send */
} inb_item;

typedef struct inb_event {
    airlock_sec_kind kind;
    char sender[STORE_ADDR_MAX + 1];
    char detail[INBOUND_DETAIL_MAX];
    uint32_t count;
} inb_event;

typedef struct inb_trust {
    char addr[STORE_ADDR_MAX + 1];
    airlock_trust trust;
} inb_trust;

typedef struct inb_batch {
    airlock_ctx *ctx;
    int64_t now;
    int64_t seqs[INBOUND_ENVELOPES_MAX];
    size_t nseq;
    inb_item items[ENGINE_BATCH_MAX];
    size_t nitems;
    size_t bytes;
    inb_event ev[INBOUND_EVENTS_MAX];
    size_t nev;
    airlock_err fatal;           /* a store failure: roll back, ack nothing */
    bool full;                   /* stopped at a limit: more may be waiting */
    /* Read once per batch (the batch holds the store's write lock, so
     * only the batch itself changes them; it forgets them when it
     * does). */
    inb_trust trust[INBOUND_TRUST_CACHE];
    size_t ntrust;
    uint32_t requests;           /* stored messages from unknown senders */
    bool requests_known;
    char addr_ok[STORE_ADDR_MAX + 1]; /* the last sender address checked */
} inb_batch;

/* Fold a security event into the batch; written inside the transaction. */
static void sec(inb_batch *b, airlock_sec_kind kind, const char *sender,
                const char *detail)
{
    size_t i;
    inb_event *e;

    engine_log(b->ctx, "inbound event kind=%s", airlock_sec_kind_name(kind));
    for (i = 0; i < b->nev; i++) {
        e = &b->ev[i];
        if (e->kind == kind && strcmp(e->sender, sender) == 0) {
            e->count++;
            return;
        }
    }
    if (b->nev == INBOUND_EVENTS_MAX) {
        /* Table full: write through, still counted, never silent. */
        if (store_event_add(b->ctx->st, kind, sender, detail, b->now,
                            ENGINE_EVENT_FOLD_MS) != AIRLOCK_OK)
            b->fatal = AIRLOCK_ERR_STORE;
        return;
    }
    e = &b->ev[b->nev++];
    e->kind = kind;
    e->count = 1;
    snprintf(e->sender, sizeof e->sender, "%s", sender);
    snprintf(e->detail, sizeof e->detail, "%s", detail);
}

static void copy_str(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static airlock_trust contact_trust(airlock_ctx *ctx, const char *addr,
                                   airlock_err *err)
{
    store_contact c;
    airlock_err e = store_contact_get(ctx->st, addr, &c);

    *err = AIRLOCK_OK;
    if (e == AIRLOCK_OK)
        return c.trust;
    if (e != AIRLOCK_ERR_NOT_FOUND)
        *err = e;
    return AIRLOCK_TRUST_UNKNOWN;
}

/* contact_trust, remembered for the rest of the batch: a flood from one
 * sender costs one lookup per batch, not one per envelope. */
static airlock_trust batch_trust(inb_batch *b, const char *addr,
                                 airlock_err *err)
{
    airlock_trust t;
    inb_trust *c;
    size_t i, n = strlen(addr);

    for (i = 0; i < b->ntrust; i++)
        if (strcmp(b->trust[i].addr, addr) == 0) {
            *err = AIRLOCK_OK;
            return b->trust[i].trust;
        }
    t = contact_trust(b->ctx, addr, err);
    if (*err != AIRLOCK_OK || n >= sizeof c->addr)
        return t;
    c = &b->trust[b->ntrust < INBOUND_TRUST_CACHE ? b->ntrust++ :
                  (size_t)(b->nseq % INBOUND_TRUST_CACHE)];
    memcpy(c->addr, addr, n + 1);
    c->trust = t;
    return t;
}

/* The batch changed a contact's trust: what it remembered may be stale. */
static void batch_trust_changed(inb_batch *b)
{
    b->ntrust = 0;
    b->requests_known = false;
}

/* A contact we already know from other devices shows up with a device we
 * have never seen (a reinstall, or a new device): like a changed key, it
 * stays inert until the user acknowledges its safety number. The first
 * device of a contact is trusted on first use. */
static airlock_err hold_new_device(airlock_ctx *ctx, const char *sender,
                                   uint32_t dev, bool *held)
{
    uint32_t *devs = NULL;
    size_t n = 0, i, others = 0;
    store_remote_id rid;
    airlock_err err;

    *held = false;
    if ((err = store_sig_session_devices(ctx->st, sender, &devs, &n)) !=
        AIRLOCK_OK)
        return err;
    for (i = 0; i < n; i++)
        if (devs[i] != dev &&
            store_rid_get(ctx->st, sender, devs[i], &rid) == AIRLOCK_OK)
            others++;
    free(devs);
    if (others == 0)
        return AIRLOCK_OK;
    if ((err = store_rid_hold(ctx->st, sender, dev)) != AIRLOCK_OK)
        return err;
    *held = true;
    return AIRLOCK_OK;
}

static void handle_one(inb_batch *b, const uint8_t *env, size_t n)
{
    airlock_ctx *ctx = b->ctx;
    net_env e;
    const net_env_header *h;
    char sender[STORE_ADDR_MAX + 1], recipient[STORE_ADDR_MAX + 1];
    const char *conv;
    uint8_t dedup[32], keytag[CRYPTO_KEYTAG + 16], *plain = NULL;
    size_t ktn = 0;
    bool self_sync, seen = false, changed = false, new_device = false;
    store_remote_id rid;
    airlock_trust trust;
    inb_item *it;
    airlock_err err;

    engine_log(ctx, "inbound envelope bytes=%zu", n);
    /* 1. size cap, before any parsing */
    if (n > NET_ENV_MAX) {
        sec(b, AIRLOCK_SEC_OVERSIZED, "", "envelope over the size limit");
        return;
    }
    /* 2. envelope through the bounded reader */
    if ((err = net_env_decode(env, n, &e)) != AIRLOCK_OK) {
        sec(b, AIRLOCK_SEC_MALFORMED_ENVELOPE, "", airlock_strerror(err));
        return;
    }
    copy_str(sender, sizeof sender, e.sender, e.sender_n);
    copy_str(recipient, sizeof recipient, e.recipient, e.recipient_n);
    /* Addresses reach displays and the store: no bidi or invisible
     * characters in them (the envelope codec already refused controls).
     * The own account and the sender checked last passed already. */
    if (!((b->addr_ok[0] != '\0' && strcmp(sender, b->addr_ok) == 0) ||
          engine_addr_ok(sender)) ||
        !(strcmp(recipient, ctx->account) == 0 ||
          engine_addr_ok(recipient))) {
        sec(b, AIRLOCK_SEC_MALFORMED_ENVELOPE, "",
            "address with invisible or control characters");
        return;
    }
    memcpy(b->addr_ok, sender, strlen(sender) + 1);
    self_sync = strcmp(sender, ctx->account) == 0;
    if (self_sync && e.sender_device == ctx->device_id)
        return;                               /* our own echo */
    if (!self_sync && strcmp(recipient, ctx->account) != 0) {
        sec(b, AIRLOCK_SEC_MALFORMED_ENVELOPE, sender,
            "addressed to another account");
        return;
    }
    if ((h = net_env_find(&e, ctx->device_id)) == NULL) {
        sec(b, AIRLOCK_SEC_MALFORMED_ENVELOPE, sender,
            "no key for this device");
        return;
    }
    conv = self_sync ? recipient : sender;
    /* 3. blocked: dropped here; unknown: rate limits, before decryption */
    if (self_sync) {
        trust = AIRLOCK_TRUST_ACCEPTED;
    } else {
        trust = batch_trust(b, sender, &err);
        if (err != AIRLOCK_OK) {
            b->fatal = err;
            return;
        }
    }
    if (trust == AIRLOCK_TRUST_BLOCKED) {
        sec(b, AIRLOCK_SEC_BLOCKED_DROP, sender, "dropped before decryption");
        ctx->stats.dropped++;
        return;
    }
    if (trust == AIRLOCK_TRUST_UNKNOWN) {
        if (!b->requests_known) {
            if ((err = store_msg_request_count(ctx->st, &b->requests)) !=
                AIRLOCK_OK) {
                b->fatal = err;
                return;
            }
            b->requests_known = true;
        }
        if (b->requests >= ENGINE_RL_STORED_REQUESTS_MAX) {
            sec(b, AIRLOCK_SEC_RATE_LIMITED, sender,
                "message requests are full");
            ctx->stats.dropped++;
            return;
        }
        if (!engine_rl_allow(ctx, sender, b->now)) {
            sec(b, AIRLOCK_SEC_RATE_LIMITED, sender,
                "over the limit for unknown senders");
            ctx->stats.dropped++;
            return;
        }
    }
    /* A redelivery after a crash, or a replayed envelope: stored once. */
    base_hash32(env, n, dedup);
    if ((err = store_msg_seen(ctx->st, dedup, sizeof dedup, &seen)) !=
        AIRLOCK_OK) {
        b->fatal = err;
        return;
    }
    if (seen)
        return;
    /* Is this a device we have never heard from, of a contact we know? */
    if ((err = store_rid_get(ctx->st, sender, e.sender_device, &rid)) ==
        AIRLOCK_ERR_NOT_FOUND) {
        new_device = true;
    } else if (err != AIRLOCK_OK) {
        b->fatal = err;
        return;
    }
    /* 4. decrypt */
    engine_log(ctx, "inbound decrypt device=%u headers=%zu prekey=%d "
               "trust=%d payload=%zu", e.sender_device, e.header_count,
               h->prekey ? 1 : 0, (int)trust, e.payload_n);
    ctx->stats.decrypts++;
    err = crypto_decrypt_key(ctx->cr, sender, e.sender_device, h->keymsg,
                             h->keymsg_n, h->prekey, keytag, sizeof keytag,
                             &ktn, &changed);
    if (err != AIRLOCK_OK) {
        if (err == AIRLOCK_ERR_STORE || err == AIRLOCK_ERR_NOMEM) {
            b->fatal = err;
            return;
        }
        sec(b, err == AIRLOCK_ERR_DUPLICATE ? AIRLOCK_SEC_DUPLICATE :
            AIRLOCK_SEC_DECRYPT_FAILED, sender, airlock_strerror(err));
        return;
    }
    if (h->prekey)
        ctx->prekeys_used = true;
    if (ktn != CRYPTO_KEYTAG) {
        sec(b, AIRLOCK_SEC_DECRYPT_FAILED, sender, "key material malformed");
        goto out;
    }
    if ((plain = base_alloc(ctx->al, e.payload_n)) == NULL) {
        b->fatal = AIRLOCK_ERR_NOMEM;
        goto out;
    }
    if ((err = crypto_gcm_decrypt(keytag, e.iv, NET_ENV_IV, e.payload,
                                  e.payload_n, keytag + CRYPTO_MSGKEY,
                                  plain)) != AIRLOCK_OK) {
        sec(b, AIRLOCK_SEC_DECRYPT_FAILED, sender,
            "payload authentication failed");
        goto out;
    }
    if (!changed && new_device && !self_sync &&
        (err = hold_new_device(ctx, sender, e.sender_device, &changed)) !=
            AIRLOCK_OK) {
        b->fatal = err;
        goto out;
    }
    if (changed)
        sec(b, AIRLOCK_SEC_IDENTITY_CHANGED, sender,
            new_device ? "a new device appeared" :
                         "a device's identity key changed");
    /* 5. sealed into the store, in the batch's transaction */
    if ((err = store_contact_ensure(ctx->st, conv, b->now)) != AIRLOCK_OK) {
        b->fatal = err;
        goto out;
    }
    if (self_sync) {
        /* Written from the own other device: that is consent. */
        airlock_trust t = contact_trust(ctx, conv, &err);

        if (err == AIRLOCK_OK && t == AIRLOCK_TRUST_UNKNOWN) {
            err = store_contact_set_trust(ctx->st, conv,
                                          AIRLOCK_TRUST_ACCEPTED);
            batch_trust_changed(b);
        }
        if (err != AIRLOCK_OK) {
            b->fatal = err;
            goto out;
        }
    }
    it = &b->items[b->nitems];
    memset(it, 0, sizeof *it);
    memcpy(it->m.id, e.id, sizeof it->m.id);
    snprintf(it->m.conversation, sizeof it->m.conversation, "%s", conv);
    snprintf(it->m.sender, sizeof it->m.sender, "%s", sender);
    it->m.sender_device = e.sender_device;
    it->m.outgoing = self_sync;
    it->m.sent_ms = (int64_t)(e.timestamp_ms > INT64_MAX ? INT64_MAX :
                              e.timestamp_ms);
    it->m.received_ms = b->now;
    it->m.state = self_sync ? AIRLOCK_MSG_SENT : AIRLOCK_MSG_RECEIVED;
    it->m.kind = STORE_CONTENT_FRAME;
    it->m.inert_device = changed;
    it->m.content = plain;
    it->m.content_n = e.payload_n;
    it->m.dedup = dedup;
    it->m.dedup_n = sizeof dedup;
    err = store_msg_insert(ctx->st, &it->m);
    it->m.dedup = NULL;
    it->m.dedup_n = 0;
    if (err == AIRLOCK_ERR_DUPLICATE)
        goto out;
    if (err != AIRLOCK_OK) {
        b->fatal = err;
        goto out;
    }
    it->plain = plain;
    it->contact_trust = trust;
    it->self_sync = self_sync;
    plain = NULL;
    b->nitems++;
    if (!self_sync && trust == AIRLOCK_TRUST_UNKNOWN)
        b->requests++;
    b->bytes += e.payload_n;
    engine_log(ctx, "inbound stored bytes=%zu device=%u changed=%d",
               e.payload_n, e.sender_device, changed ? 1 : 0);
out:
    base_wipe(keytag, sizeof keytag);
    base_free(ctx->al, plain);
}

static int on_envelope(int64_t seq, const uint8_t *env, size_t n, void *arg)
{
    inb_batch *b = arg;

    handle_one(b, env, n);
    if (b->fatal != AIRLOCK_OK)
        return 1;
    /* Everything handled is acknowledged: stored, or dropped with an
     * event. */
    b->seqs[b->nseq++] = seq;
    b->full = b->nseq >= INBOUND_ENVELOPES_MAX ||
              b->nitems >= ENGINE_BATCH_MAX || b->bytes >= INBOUND_BATCH_BYTES;
    return b->full;
}

/* Receipts from an accepted contact update our outgoing messages. */
static void apply_receipt(airlock_ctx *ctx, const gate_frame *f)
{
    size_t i;

    if (f->receipt_count == 0)
        return;
    for (i = 0; i < f->receipt_count; i++)
        (void)store_msg_set_state(ctx->st, f->receipt_ids + 16 * i,
                                  f->receipt_kind == GATE_RECEIPT_READ ?
                                  AIRLOCK_MSG_READ : AIRLOCK_MSG_DELIVERED);
}

/* Deliver one committed message: gate by trust, render, tell the front
 * end. Returns true when a delivery receipt is due to the sender. */
static bool deliver(airlock_ctx *ctx, inb_item *it)
{
    airlock_trust t = it->self_sync ? AIRLOCK_TRUST_ACCEPTED :
        engine_render_trust(ctx, it->m.sender, it->m.sender_device,
                            it->contact_trust);
    bool full = t == AIRLOCK_TRUST_ACCEPTED || t == AIRLOCK_TRUST_VERIFIED;
    bool receipt_only = false, due = false;
    airlock_model *model = NULL;
    airlock_message msg;
    airlock_event ev;
    gate_frame f;

    /* Only an accepted sender's frame is decoded beyond its body. */
    if (full && gate_frame_decode(it->plain, it->m.content_n, &f) ==
        AIRLOCK_OK) {
        apply_receipt(ctx, &f);
        receipt_only = f.receipt_count > 0 && f.body == NULL &&
                       f.attachment_count == 0;
        due = !it->self_sync && !receipt_only;
    }
    if (receipt_only) {
        /* A receipt is bookkeeping, not a message to show. */
        (void)store_msg_delete(ctx->st, it->m.id);
        return false;
    }
    if (engine_render(ctx, it->m.sender, it->plain, it->m.content_n,
                      it->m.kind, t, &model) != AIRLOCK_OK)
        return due;
    if (airlock_model_malformed(model))
        engine_security(ctx, AIRLOCK_SEC_UNDECODABLE_FRAME, it->m.sender,
                        "content frame could not be read");
    memset(&msg, 0, sizeof msg);
    memcpy(msg.id, it->m.id, sizeof msg.id);
    msg.conversation = it->m.conversation;
    msg.from = it->m.sender;
    msg.device = it->m.sender_device;
    msg.time_ms = it->m.sent_ms;
    msg.received_ms = it->m.received_ms;
    msg.outgoing = it->m.outgoing;
    msg.state = it->m.state;
    msg.model = model;
    memset(&ev, 0, sizeof ev);
    ev.kind = full ? AIRLOCK_EVENT_MESSAGE : AIRLOCK_EVENT_REQUEST;
    ev.conversation = it->m.conversation;
    ev.message = &msg;
    engine_emit(ctx, &ev);
    airlock_model_free(model);
    return due;
}

/* One delivery receipt per accepted sender per batch, up to 64 ids. */
static void send_receipts(airlock_ctx *ctx, inb_batch *b, const bool *due)
{
    size_t i, j;
    bool done[ENGINE_BATCH_MAX];

    memset(done, 0, sizeof done);
    for (i = 0; i < b->nitems; i++) {
        uint8_t ids[GATE_RECEIPT_IDS_MAX * 16];
        size_t count = 0;
        uint8_t *frame = NULL;
        size_t fn = 0;

        if (!due[i] || done[i])
            continue;
        for (j = i; j < b->nitems && count < GATE_RECEIPT_IDS_MAX; j++) {
            if (!due[j] || done[j] ||
                strcmp(b->items[j].m.sender, b->items[i].m.sender) != 0)
                continue;
            memcpy(ids + 16 * count++, b->items[j].m.id, 16);
            done[j] = true;
        }
        if (gate_frame_encode_receipt(ctx->al, GATE_RECEIPT_DELIVERED, ids,
                                      count, &frame, &fn) == AIRLOCK_OK) {
            engine_log(ctx, "inbound receipt ids=%zu", count);
            (void)engine_send(ctx, b->items[i].m.sender, frame, fn, false,
                              NULL);
        }
        base_free(ctx->al, frame);
        /* Items of this sender past 64 ids start their own receipt when
         * the loop reaches them. */
    }
}

/* One row write per distinct event, whatever its count. */
static void flush_events(inb_batch *b)
{
    size_t i;

    for (i = 0; i < b->nev && b->fatal == AIRLOCK_OK; i++)
        if (store_event_add_count(b->ctx->st, b->ev[i].kind, b->ev[i].sender,
                                  b->ev[i].detail, b->now,
                                  ENGINE_EVENT_FOLD_MS, b->ev[i].count) !=
            AIRLOCK_OK)
            b->fatal = AIRLOCK_ERR_STORE;
}

static void emit_events(inb_batch *b)
{
    size_t i;

    for (i = 0; i < b->nev; i++) {
        airlock_security_event se;
        airlock_event ev;

        memset(&se, 0, sizeof se);
        se.time_ms = b->now;
        se.last_ms = b->now;
        se.kind = b->ev[i].kind;
        se.sender = b->ev[i].sender;
        se.count = b->ev[i].count;
        se.detail = b->ev[i].detail;
        memset(&ev, 0, sizeof ev);
        ev.kind = AIRLOCK_EVENT_SECURITY;
        ev.conversation = b->ev[i].sender[0] != '\0' ? b->ev[i].sender : NULL;
        ev.security = &se;
        engine_emit(b->ctx, &ev);
    }
}

/* Ready for the next batch: plaintexts freed, what was used wiped (the
 * batch is large; wiping all of it each time would cost more than a
 * flood's envelopes). */
static void batch_clear(inb_batch *b)
{
    const airlock_allocator *al = b->ctx->al;
    size_t i;

    for (i = 0; i < b->nitems; i++) {
        if (b->items[i].plain != NULL) {
            base_wipe(b->items[i].plain, b->items[i].m.content_n);
            base_free(al, b->items[i].plain);
        }
    }
    base_wipe(b->items, b->nitems * sizeof b->items[0]);
    base_wipe(b->ev, b->nev * sizeof b->ev[0]);
    base_wipe(b->trust, sizeof b->trust);
    b->addr_ok[0] = '\0';
    b->nseq = b->nitems = b->bytes = b->nev = b->ntrust = 0;
    b->fatal = AIRLOCK_OK;
    b->full = b->requests_known = false;
    b->requests = 0;
}

static void batch_free(inb_batch *b)
{
    if (b == NULL)
        return;
    batch_clear(b);
    base_free(b->ctx->al, b);
}

airlock_err engine_inbound(airlock_ctx *ctx, size_t *handled)
{
    inb_batch *b = NULL;
    bool due[ENGINE_BATCH_MAX];
    size_t i;
    airlock_err err;

    *handled = 0;
    if ((b = base_calloc(ctx->al, 1, sizeof *b)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    b->ctx = ctx;
    for (;;) {
        batch_clear(b);
        b->now = base_now_ms();
        if ((err = store_begin(ctx->st)) != AIRLOCK_OK)
            goto fail;
        err = ctx->net->ops->fetch(ctx->net, INBOUND_ENVELOPES_MAX,
                                   on_envelope, b);
        if (err == AIRLOCK_OK)
            err = b->fatal;
        if (err == AIRLOCK_OK) {
            flush_events(b);
            err = b->fatal;
        }
        if (err != AIRLOCK_OK) {
            store_rollback(ctx->st);
            goto fail;
        }
        /* Commit first; only then may the transport forget anything. */
        if ((err = store_commit(ctx->st)) != AIRLOCK_OK)
            goto fail;
        if (b->nseq == 0)
            break;
        if ((err = ctx->net->ops->ack(ctx->net, b->seqs, b->nseq)) !=
            AIRLOCK_OK)
            goto fail;
        *handled += b->nseq;
        ctx->stats.envelopes += b->nseq;
        ctx->stats.stored += b->nitems;
        engine_log(ctx, "inbound batch envelopes=%zu stored=%zu events=%zu "
                   "bytes=%zu", b->nseq, b->nitems, b->nev, b->bytes);
        emit_events(b);
        for (i = 0; i < b->nitems; i++)
            due[i] = deliver(ctx, &b->items[i]);
        if (ctx->send_receipts)
            send_receipts(ctx, b, due);
        if (!b->full)
            break;
    }
    batch_free(b);
    if (ctx->prekeys_used) {
        ctx->prekeys_used = false;
        (void)engine_replenish_prekeys(ctx);
    }
    return AIRLOCK_OK;
fail:
    batch_free(b);
    return err;
}

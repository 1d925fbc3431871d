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
#include "net/xmpp/xmpp.h"

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
/* New devices of accepted contacts held until their device list is
 * checked after the batch (devcheck.c); more are held for the user. */
#define INBOUND_VERIFY_MAX 16u

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

typedef struct inb_verify {
    char addr[STORE_ADDR_MAX + 1];
    uint32_t device;
} inb_verify;

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
    bool contacts_changed;       /* a subscription request was recorded */
    inb_verify verify[INBOUND_VERIFY_MAX];
    size_t nverify;
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

/* Who a message is from and where it goes, after the checks every
 * inbound item passes before anything is decrypted or stored. */
typedef struct inb_from {
    char sender[STORE_ADDR_MAX + 1];
    char recipient[STORE_ADDR_MAX + 1];
    const char *conv;
    bool self_sync;              /* written by our own other device */
    airlock_trust trust;         /* the sender's (ACCEPTED for self_sync) */
    uint8_t dedup[32];
} inb_from;

/* What the duplicate key of an item is made of (dedup_key). */
typedef struct inb_dedup {
    uint32_t device;
    const uint8_t *a, *b2;
    size_t a_n, b2_n;
    const uint8_t *env;
    size_t n;
} inb_dedup;

/* The duplicate key of an item. The local mailbox hands over the
 * sender's envelope bytes unchanged: their hash. Over XMPP the same
 * message can come twice with different wrapping (a server re-routing
 * what a session that died never acknowledged adds a delay stamp): the
 * key is what the sender wrote, the Signal message of this device
 * (unique per message) or the unencrypted body with its message id. */
static void dedup_key(airlock_ctx *ctx, const char *sender,
                      const inb_dedup *d, uint8_t out[32])
{
    uint8_t *buf = NULL;
    size_t len = 0;
    wr w;

    if (!ctx->net->ops->payload_is_body) {
        base_hash32(d->env, d->n, out);
        return;
    }
    wr_init(&w, ctx->al, 2 * NET_ENV_MAX);
    wr_lbytes(&w, sender, strlen(sender));
    wr_u32be(&w, d->device);
    wr_lbytes(&w, d->a, d->a_n);
    wr_lbytes(&w, d->b2, d->b2_n);
    if (wr_take(&w, &buf, &len) != AIRLOCK_OK) {
        /* no memory for the key: the whole item's hash still catches
         * exact repeats */
        wr_clear(&w, false);
        base_hash32(d->env, d->n, out);
        return;
    }
    base_hash32(buf, len, out);
    base_free(ctx->al, buf);
}

/* Addresses: valid and meant for us. false: dropped (with an event). */
static bool read_addresses(inb_batch *b, const char *s, size_t sn,
                           const char *r, size_t rn, inb_from *f)
{
    airlock_ctx *ctx = b->ctx;

    copy_str(f->sender, sizeof f->sender, s, sn);
    copy_str(f->recipient, sizeof f->recipient, r, rn);
    /* Addresses reach displays and the store: no bidi or invisible
     * characters in them (the envelope codec already refused controls).
     * The own account and the sender checked last passed already. */
    if (!((b->addr_ok[0] != '\0' && strcmp(f->sender, b->addr_ok) == 0) ||
          engine_addr_ok(f->sender)) ||
        !(strcmp(f->recipient, ctx->account) == 0 ||
          engine_addr_ok(f->recipient))) {
        sec(b, AIRLOCK_SEC_MALFORMED_ENVELOPE, "",
            "address with invisible or control characters");
        return false;
    }
    memcpy(b->addr_ok, f->sender, strlen(f->sender) + 1);
    f->self_sync = strcmp(f->sender, ctx->account) == 0;
    if (!f->self_sync && strcmp(f->recipient, ctx->account) != 0) {
        sec(b, AIRLOCK_SEC_MALFORMED_ENVELOPE, f->sender,
            "addressed to another account");
        return false;
    }
    f->conv = f->self_sync ? f->recipient : f->sender;
    return true;
}

/* 3. blocked: dropped here; unknown: rate limits, before decryption; then
 * the duplicate check. false: dropped, or b->fatal set. */
static bool admit(inb_batch *b, const inb_dedup *d, inb_from *f)
{
    airlock_ctx *ctx = b->ctx;
    bool seen = false;
    airlock_err err;

    if (f->self_sync) {
        f->trust = AIRLOCK_TRUST_ACCEPTED;
    } else {
        f->trust = batch_trust(b, f->sender, &err);
        if (err != AIRLOCK_OK) {
            b->fatal = err;
            return false;
        }
    }
    if (f->trust == AIRLOCK_TRUST_BLOCKED) {
        sec(b, AIRLOCK_SEC_BLOCKED_DROP, f->sender,
            "dropped before decryption");
        ctx->stats.dropped++;
        return false;
    }
    if (f->trust == AIRLOCK_TRUST_UNKNOWN) {
        if (!b->requests_known) {
            if ((err = store_msg_request_count(ctx->st, &b->requests)) !=
                AIRLOCK_OK) {
                b->fatal = err;
                return false;
            }
            b->requests_known = true;
        }
        if (b->requests >= ENGINE_RL_STORED_REQUESTS_MAX) {
            sec(b, AIRLOCK_SEC_RATE_LIMITED, f->sender,
                "message requests are full");
            ctx->stats.dropped++;
            return false;
        }
        if (!engine_rl_allow(ctx, f->sender, b->now)) {
            sec(b, AIRLOCK_SEC_RATE_LIMITED, f->sender,
                "over the limit for unknown senders");
            ctx->stats.dropped++;
            return false;
        }
    }
    /* A redelivery after a crash, or a replayed envelope: stored once. */
    dedup_key(ctx, f->sender, d, f->dedup);
    if ((err = store_msg_seen(ctx->st, f->dedup, sizeof f->dedup, &seen)) !=
        AIRLOCK_OK) {
        b->fatal = err;
        return false;
    }
    return !seen;
}

/* 5. sealed into the store, in the batch's transaction; queued for
 * delivery after the commit. Takes `plain` (freed on every path). */
static void store_item(inb_batch *b, inb_from *f, const uint8_t id[16],
                       uint32_t device, uint64_t ts, store_content_kind kind,
                       bool changed, bool consent, uint8_t *plain,
                       size_t plain_n)
{
    airlock_ctx *ctx = b->ctx;
    inb_item *it;
    airlock_err err;

    if ((err = store_contact_ensure(ctx->st, f->conv, b->now)) != AIRLOCK_OK) {
        b->fatal = err;
        goto out;
    }
    if (f->self_sync && consent) {
        /* Written from the own other device: that is consent (not from a
         * device of ours we have not confirmed, nor unencrypted: anyone
         * can claim our address). */
        airlock_trust t = contact_trust(ctx, f->conv, &err);

        if (err == AIRLOCK_OK && t == AIRLOCK_TRUST_UNKNOWN) {
            err = store_contact_set_trust(ctx->st, f->conv,
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
    memcpy(it->m.id, id, sizeof it->m.id);
    snprintf(it->m.conversation, sizeof it->m.conversation, "%s", f->conv);
    snprintf(it->m.sender, sizeof it->m.sender, "%s", f->sender);
    it->m.sender_device = device;
    it->m.outgoing = f->self_sync;
    it->m.sent_ms = (int64_t)(ts > INT64_MAX ? INT64_MAX : ts);
    it->m.received_ms = b->now;
    it->m.state = f->self_sync ? AIRLOCK_MSG_SENT : AIRLOCK_MSG_RECEIVED;
    it->m.kind = kind;
    it->m.inert_device = changed;
    it->m.content = plain;
    it->m.content_n = plain_n;
    it->m.dedup = f->dedup;
    it->m.dedup_n = sizeof f->dedup;
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
    it->contact_trust = f->trust;
    it->self_sync = f->self_sync;
    plain = NULL;
    b->nitems++;
    if (!f->self_sync && f->trust == AIRLOCK_TRUST_UNKNOWN)
        b->requests++;
    b->bytes += plain_n;
    engine_log(ctx, "inbound stored bytes=%zu device=%u changed=%d kind=%d",
               plain_n, device, changed ? 1 : 0, (int)kind);
out:
    if (plain != NULL) {
        base_wipe(plain, plain_n);
        base_free(ctx->al, plain);
    }
}

/* Queue (addr, device) for the device-list check after the batch; false
 * when the batch has no room left (the device then stays held for the
 * user). */
static bool verify_add(inb_batch *b, const char *addr, uint32_t device)
{
    size_t i;

    for (i = 0; i < b->nverify; i++)
        if (b->verify[i].device == device &&
            strcmp(b->verify[i].addr, addr) == 0)
            return true;
    if (b->nverify == INBOUND_VERIFY_MAX)
        return false;
    snprintf(b->verify[b->nverify].addr, sizeof b->verify[0].addr, "%s",
             addr);
    b->verify[b->nverify++].device = device;
    return true;
}

/* An encrypted message: envelope v1, or (XMPP) a spool record with a
 * 16-byte IV. */
static void handle_env(inb_batch *b, const net_env *e, size_t iv_n,
                       const uint8_t *env, size_t n)
{
    airlock_ctx *ctx = b->ctx;
    const net_env_header *h;
    uint8_t keytag[CRYPTO_KEYTAG + 16], *plain = NULL;
    const uint8_t *tag;
    size_t ktn = 0, ct_n;
    bool changed = false, new_device = false, pending_check = false;
    bool body = ctx->net->ops->payload_is_body;
    store_remote_id rid;
    inb_dedup d;
    inb_from f;
    airlock_err err;

    if (!read_addresses(b, e->sender, e->sender_n, e->recipient,
                        e->recipient_n, &f))
        return;
    if (f.self_sync && e->sender_device == ctx->device_id)
        return;                               /* our own echo */
    if ((h = net_env_find(e, ctx->device_id)) == NULL) {
        sec(b, AIRLOCK_SEC_MALFORMED_ENVELOPE, f.sender,
            "no key for this device");
        return;
    }
    memset(&d, 0, sizeof d);
    d.device = e->sender_device;
    d.a = h->keymsg;
    d.a_n = h->keymsg_n;
    d.env = env;
    d.n = n;
    if (!admit(b, &d, &f))
        return;
    /* Is this a device we have never heard from, of a contact we know? */
    if ((err = store_rid_get(ctx->st, f.sender, e->sender_device, &rid)) ==
        AIRLOCK_ERR_NOT_FOUND) {
        new_device = true;
    } else if (err != AIRLOCK_OK) {
        b->fatal = err;
        return;
    }
    /* 4. decrypt */
    engine_log(ctx, "inbound decrypt device=%u headers=%zu prekey=%d "
               "trust=%d payload=%zu", e->sender_device, e->header_count,
               h->prekey ? 1 : 0, (int)f.trust, e->payload_n);
    ctx->stats.decrypts++;
    err = crypto_decrypt_key(ctx->cr, f.sender, e->sender_device, h->keymsg,
                             h->keymsg_n, h->prekey, keytag, sizeof keytag,
                             &ktn, &changed);
    if (err != AIRLOCK_OK) {
        if (err == AIRLOCK_ERR_STORE || err == AIRLOCK_ERR_NOMEM) {
            b->fatal = err;
            return;
        }
        sec(b, err == AIRLOCK_ERR_DUPLICATE ? AIRLOCK_SEC_DUPLICATE :
            AIRLOCK_SEC_DECRYPT_FAILED, f.sender, airlock_strerror(err));
        return;
    }
    if (h->prekey)
        ctx->prekeys_used = true;
    ct_n = e->payload_n;
    if (ktn == CRYPTO_KEYTAG) {
        tag = keytag + CRYPTO_MSGKEY;
    } else if (body && ktn == CRYPTO_MSGKEY && ct_n >= CRYPTO_GCM_TAG) {
        /* The older OMEMO layout: a 16-byte key, the tag after the
         * ciphertext. */
        ct_n -= CRYPTO_GCM_TAG;
        tag = e->payload + ct_n;
    } else {
        sec(b, AIRLOCK_SEC_DECRYPT_FAILED, f.sender, "key material malformed");
        goto out;
    }
    if ((plain = base_alloc(ctx->al, ct_n)) == NULL) {
        b->fatal = AIRLOCK_ERR_NOMEM;
        goto out;
    }
    if ((err = crypto_gcm_decrypt(keytag, e->iv, iv_n, e->payload, ct_n, tag,
                                  plain)) != AIRLOCK_OK) {
        sec(b, AIRLOCK_SEC_DECRYPT_FAILED, f.sender,
            "payload authentication failed");
        goto out;
    }
    if (!changed && new_device && !f.self_sync &&
        (err = hold_new_device(ctx, f.sender, e->sender_device, &changed)) !=
            AIRLOCK_OK) {
        b->fatal = err;
        goto out;
    }
    /* A device an earlier check held writes again: look at its contact's
     * list once more after the batch (at most every DEVCHECK_RETRY_MS). */
    if (!new_device && !f.self_sync && rid.status == STORE_ID_CHANGED &&
        (f.trust == AIRLOCK_TRUST_ACCEPTED ||
         f.trust == AIRLOCK_TRUST_VERIFIED) &&
        engine_devcheck_due(ctx, f.sender, e->sender_device, b->now))
        verify_add(b, f.sender, e->sender_device);
    /* The first device of an accepted contact, over a transport whose
     * senders are claims: held while stored, believed after the batch
     * only if the contact's published device list names it. */
    if (!changed && new_device && !f.self_sync &&
        ctx->net->ops->claimed_senders &&
        (f.trust == AIRLOCK_TRUST_ACCEPTED ||
         f.trust == AIRLOCK_TRUST_VERIFIED)) {
        if ((err = store_rid_hold(ctx->st, f.sender, e->sender_device)) !=
            AIRLOCK_OK) {
            b->fatal = err;
            goto out;
        }
        pending_check = verify_add(b, f.sender, e->sender_device);
        changed = true;
    }
    /* A device of our own account that we have never pinned (from its
     * published bundle, when we write) is held like a contact's new
     * device: its messages are inert and confer no consent until the user
     * acknowledges it. Otherwise whoever can claim our address (a forged
     * sender) could make anyone a contact. */
    if (!changed && new_device && f.self_sync) {
        if ((err = store_rid_hold(ctx->st, f.sender, e->sender_device)) !=
            AIRLOCK_OK) {
            b->fatal = err;
            goto out;
        }
        changed = true;
    }
    if (changed && !pending_check)
        sec(b, AIRLOCK_SEC_IDENTITY_CHANGED, f.sender,
            new_device ? "a new device appeared" :
                         "a device's identity key changed");
    store_item(b, &f, e->id, e->sender_device, e->timestamp_ms,
               body ? STORE_CONTENT_BODY : STORE_CONTENT_FRAME, changed,
               !changed, plain, ct_n);
    plain = NULL;
out:
    base_wipe(keytag, sizeof keytag);
    base_free(ctx->al, plain);
}

/* XMPP: an unencrypted <body>. Gated like everything else; stored as
 * such, and recorded as a security event. */
static void handle_plain(inb_batch *b, const net_xrec *x, const uint8_t *env,
                         size_t n)
{
    airlock_ctx *ctx = b->ctx;
    uint8_t *copy;
    inb_dedup d;
    inb_from f;

    memset(&d, 0, sizeof d);
    d.a = x->env.id;
    d.a_n = sizeof x->env.id;
    d.b2 = x->body;
    d.b2_n = x->body_n;
    d.env = env;
    d.n = n;
    if (!read_addresses(b, x->env.sender, x->env.sender_n, x->env.recipient,
                        x->env.recipient_n, &f) ||
        !admit(b, &d, &f))
        return;
    if ((copy = base_alloc(ctx->al, x->body_n)) == NULL) {
        b->fatal = AIRLOCK_ERR_NOMEM;
        return;
    }
    if (x->body_n > 0)
        memcpy(copy, x->body, x->body_n);
    sec(b, AIRLOCK_SEC_UNENCRYPTED, f.self_sync ? f.conv : f.sender,
        "a message arrived unencrypted");
    /* an unencrypted message is never consent: no device vouches for it */
    store_item(b, &f, x->env.id, 0, x->env.timestamp_ms,
               STORE_CONTENT_BODY_PLAIN, false, false, copy, x->body_n);
}

/* XMPP: a presence subscription request. From a stranger it becomes a
 * message request (a contact with trust UNKNOWN), rate-limited like a
 * message; nothing is answered until the user accepts. */
static void handle_subscribe(inb_batch *b, const net_xrec *x,
                             const uint8_t *env, size_t n)
{
    airlock_ctx *ctx = b->ctx;
    inb_dedup d;
    inb_from f;
    airlock_err err;

    memset(&d, 0, sizeof d);
    d.env = env;
    d.n = n;
    d.a = env;               /* the record itself: a fresh id each time */
    d.a_n = n;
    if (!read_addresses(b, x->env.sender, x->env.sender_n, x->env.recipient,
                        x->env.recipient_n, &f) ||
        f.self_sync || !admit(b, &d, &f) ||
        f.trust != AIRLOCK_TRUST_UNKNOWN)
        return;
    if ((err = store_contact_ensure(ctx->st, f.sender, b->now)) !=
        AIRLOCK_OK) {
        b->fatal = err;
        return;
    }
    b->contacts_changed = true;
}

static void handle_one(inb_batch *b, const uint8_t *env, size_t n)
{
    airlock_ctx *ctx = b->ctx;
    net_env e;
    net_xrec x;
    char who[STORE_ADDR_MAX + 1], detail[INBOUND_DETAIL_MAX];
    airlock_err err;

    engine_log(ctx, "inbound envelope bytes=%zu", n);
    /* 1. size cap, before any parsing */
    if (n > NET_ENV_MAX) {
        sec(b, AIRLOCK_SEC_OVERSIZED, "", "envelope over the size limit");
        return;
    }
    /* 2. envelope through the bounded reader (or an XMPP spool record) */
    if (ctx->net->ops->payload_is_body && n > 0 && env[0] == NET_XREC_MAGIC) {
        if ((err = net_xrec_decode(env, n, &x)) != AIRLOCK_OK) {
            sec(b, AIRLOCK_SEC_MALFORMED_ENVELOPE, "", airlock_strerror(err));
            return;
        }
        switch (x.kind) {
        case NET_XREC_OMEMO:
            handle_env(b, &x.env, x.iv_n, env, n);
            return;
        case NET_XREC_PLAIN:
            handle_plain(b, &x, env, n);
            return;
        case NET_XREC_SUBSCRIBE:
            handle_subscribe(b, &x, env, n);
            return;
        case NET_XREC_EVENT:
            /* what the transport's gate saw (a spoofed carbon, ...) */
            copy_str(who, sizeof who, x.env.sender, x.env.sender_n);
            copy_str(detail, sizeof detail, x.detail, x.detail_n);
            sec(b, x.sec, engine_addr_ok(who) && strcmp(who, ctx->account)
                != 0 ? who : "", detail);
            return;
        }
        return;
    }
    if ((err = net_env_decode(env, n, &e)) != AIRLOCK_OK) {
        sec(b, AIRLOCK_SEC_MALFORMED_ENVELOPE, "", airlock_strerror(err));
        return;
    }
    handle_env(b, &e, NET_ENV_IV, env, n);
}

airlock_err engine_mark_unencrypted(airlock_ctx *ctx, airlock_model **m)
{
    const airlock_model *old = *m;
    airlock_model *nm = NULL;
    uint32_t atts = 0, fields = 0;
    size_t i;
    airlock_err err;

    if ((err = gate_model_new(ctx->al, airlock_model_trust(old), &nm)) !=
            AIRLOCK_OK ||
        (err = gate_model_add_notice(nm, ENGINE_NOTICE_UNENCRYPTED)) !=
            AIRLOCK_OK)
        goto out;
    /* a body model has spans and notices only; each is checked again */
    for (i = 0; i < airlock_model_span_count(old); i++) {
        const airlock_span *sp = airlock_model_span(old, i);

        if ((err = gate_model_add_text(nm, sp->text, sp->len, sp->style,
                                       sp->quote_depth,
                                       (sp->style & AIRLOCK_STYLE_LINK) !=
                                           0)) != AIRLOCK_OK)
            goto out;
    }
    for (i = 0; i < airlock_model_notice_count(old); i++)
        if ((err = gate_model_add_notice(nm, airlock_model_notice(old, i))) !=
            AIRLOCK_OK)
            goto out;
    airlock_model_withheld(old, &atts, &fields);
    gate_model_withhold(nm, atts + (uint32_t)airlock_model_attachment_count(
                                       old), fields);
    if (airlock_model_malformed(old))
        gate_model_set_malformed(nm);
    err = gate_model_finish(nm);
out:
    airlock_model_free(*m);
    *m = NULL;
    if (err != AIRLOCK_OK) {
        airlock_model_free(nm);
        return err;
    }
    *m = nm;
    return AIRLOCK_OK;
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

/* After the commit, before delivering: the devices held in this batch
 * for their contact's device list (devcheck.c), one check per contact.
 * A failure leaves them held, which is the safe side. */
static void check_devices(inb_batch *b)
{
    uint32_t devs[INBOUND_VERIFY_MAX];
    size_t i, j, n;
    bool chg;

    for (i = 0; i < b->nverify; i++) {
        if (b->verify[i].addr[0] == '\0')
            continue;                   /* done with an earlier one */
        for (j = i, n = 0; j < b->nverify; j++)
            if (strcmp(b->verify[j].addr, b->verify[i].addr) == 0) {
                devs[n++] = b->verify[j].device;
                if (j != i)
                    b->verify[j].addr[0] = '\0';
            }
        if (engine_check_devices(b->ctx, b->verify[i].addr, devs, n, &chg) !=
            AIRLOCK_OK)
            engine_log(b->ctx, "inbound device check failed");
    }
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
    airlock_trust t = engine_render_trust(ctx, it->m.sender,
                                          it->m.sender_device,
                                          it->contact_trust);
    bool full = t == AIRLOCK_TRUST_ACCEPTED || t == AIRLOCK_TRUST_VERIFIED;
    bool receipt_only = false, due = false;
    airlock_model *model = NULL;
    airlock_message msg;
    airlock_event ev;
    gate_frame f;

    /* Only an accepted sender's frame is decoded beyond its body. */
    if (full && it->m.kind == STORE_CONTENT_FRAME &&
        gate_frame_decode(it->plain, it->m.content_n, &f) ==
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
    b->full = b->requests_known = b->contacts_changed = false;
    b->nverify = 0;
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
        check_devices(b);
        for (i = 0; i < b->nitems; i++)
            due[i] = deliver(ctx, &b->items[i]);
        /* Receipts are content frames: not over a transport whose
         * payloads are body text (XMPP). */
        if (ctx->send_receipts && !ctx->net->ops->payload_is_body)
            send_receipts(ctx, b, due);
        if (b->contacts_changed) {
            airlock_event ev;

            memset(&ev, 0, sizeof ev);
            ev.kind = AIRLOCK_EVENT_CONTACTS;
            engine_emit(ctx, &ev);
        }
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

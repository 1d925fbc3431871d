/*
 * outbound.c - sending. A frame is encrypted once with a fresh AES-128-GCM
 * key; the key and tag travel to every device of the recipient and to the
 * own other devices inside one Signal message each (OMEMO's structure).
 *
 * Durability order: the ratchet state, the stored copy and the outbox row
 * (the finished envelope) commit together first; only then is the envelope
 * handed to the transport, and the outbox row goes after that. A crash in
 * between re-sends the same envelope bytes, which receivers recognise as a
 * duplicate. The reverse order could deliver a message whose ratchet step
 * was never saved, and the next one would reuse a message key.
 */
#include "core/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gate.h"

#define OUTBOX_VERSION 1u
#define OUTBOX_MAX (NET_ENV_MAX + 2u * (NET_ENV_HEADERS_MAX * 4u + 8u) + 1u)

static bool has_dev(const uint32_t *ids, size_t n, uint32_t id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

/* Make sure a session exists with (addr, dev); build it from the
 * directory's bundle otherwise. */
static airlock_err ensure_session(airlock_ctx *ctx, const char *addr,
                                  uint32_t dev)
{
    uint8_t *bundle = NULL, *pk = NULL;
    size_t bn = 0, pkn = 0;
    uint32_t pkid = 0;
    crypto_bundle cb;
    airlock_err err;

    if (crypto_has_session(ctx->cr, addr, dev))
        return AIRLOCK_OK;
    if ((err = ctx->net->ops->take_bundle(ctx->net, addr, dev, &bundle, &bn,
                                          &pkid, &pk, &pkn)) != AIRLOCK_OK)
        goto out;
    if ((err = crypto_bundle_parse(bundle, bn, &cb)) != AIRLOCK_OK)
        goto out;
    if (cb.device_id != dev || (pk != NULL && pkn != CRYPTO_KEY_PUB)) {
        err = AIRLOCK_ERR_MALFORMED;
        goto out;
    }
    err = crypto_session_from_bundle(ctx->cr, addr, &cb, pkid,
                                     pk != NULL ? pk : NULL);
out:
    if (err != AIRLOCK_OK && err != AIRLOCK_ERR_NOMEM &&
        err != AIRLOCK_ERR_STORE && err != AIRLOCK_ERR_NOT_FOUND)
        engine_security(ctx, AIRLOCK_SEC_MALFORMED_ENVELOPE, addr,
                        "published bundle rejected");
    free(bundle);
    free(pk);
    return err;
}

typedef struct targets {
    uint32_t to[NET_ENV_HEADERS_MAX];
    size_t nto;
    uint32_t self[NET_ENV_HEADERS_MAX];
    size_t nself;
} targets;

static airlock_err lookup_targets(airlock_ctx *ctx, const char *to,
                                  targets *t)
{
    uint32_t *ids = NULL;
    size_t n = 0, i;
    airlock_err err;

    memset(t, 0, sizeof *t);
    if ((err = ctx->net->ops->devices(ctx->net, to, &ids, &n)) != AIRLOCK_OK)
        return err;
    for (i = 0; i < n && t->nto < NET_ENV_HEADERS_MAX; i++)
        if (!(strcmp(to, ctx->account) == 0 && ids[i] == ctx->device_id))
            t->to[t->nto++] = ids[i];
    free(ids);
    ids = NULL;
    if (t->nto == 0)
        return AIRLOCK_ERR_NOT_FOUND;
    if (strcmp(to, ctx->account) == 0)
        return AIRLOCK_OK;
    if ((err = ctx->net->ops->devices(ctx->net, ctx->account, &ids, &n)) !=
        AIRLOCK_OK)
        return err;
    for (i = 0; i < n; i++)
        if (ids[i] != ctx->device_id &&
            t->nto + t->nself < NET_ENV_HEADERS_MAX &&
            !has_dev(t->self, t->nself, ids[i]))
            t->self[t->nself++] = ids[i];
    free(ids);
    return AIRLOCK_OK;
}

/* Inside a batch the directory is asked once per recipient, not once per
 * message (two mailbox queries each). */
static airlock_err find_targets(airlock_ctx *ctx, const char *to, targets *t)
{
    send_cache *c = &ctx->sends;
    airlock_err err;

    if (ctx->batch_depth > 0 && c->valid && strcmp(c->to, to) == 0) {
        memset(t, 0, sizeof *t);
        memcpy(t->to, c->to_devs, c->nto * sizeof t->to[0]);
        t->nto = c->nto;
        memcpy(t->self, c->self_devs, c->nself * sizeof t->self[0]);
        t->nself = c->nself;
        return AIRLOCK_OK;
    }
    if ((err = lookup_targets(ctx, to, t)) != AIRLOCK_OK ||
        ctx->batch_depth == 0)
        return err;
    memset(c, 0, sizeof *c);
    snprintf(c->to, sizeof c->to, "%s", to);
    memcpy(c->to_devs, t->to, t->nto * sizeof t->to[0]);
    c->nto = t->nto;
    memcpy(c->self_devs, t->self, t->nself * sizeof t->self[0]);
    c->nself = t->nself;
    c->valid = true;
    return AIRLOCK_OK;
}

/* Encrypt for every target device that has (or can get) a session; drop
 * the ones that cannot. */
static airlock_err encrypt_headers(airlock_ctx *ctx, const char *to,
                                   targets *t, const uint8_t *keytag,
                                   net_env *e, uint8_t **owned)
{
    size_t pass, i, keep;
    airlock_err err;

    for (pass = 0; pass < 2; pass++) {
        const char *addr = pass == 0 ? to : ctx->account;
        uint32_t *ids = pass == 0 ? t->to : t->self;
        size_t *n = pass == 0 ? &t->nto : &t->nself;

        for (i = 0, keep = 0; i < *n; i++) {
            net_env_header *h = &e->headers[e->header_count];
            uint8_t *ct = NULL;
            size_t ctn = 0;
            bool prekey = false;

            err = ensure_session(ctx, addr, ids[i]);
            if (err == AIRLOCK_OK)
                err = crypto_encrypt_key(ctx->cr, addr, ids[i], keytag,
                                         CRYPTO_KEYTAG, &ct, &ctn, &prekey);
            if (err == AIRLOCK_ERR_NOMEM || err == AIRLOCK_ERR_STORE)
                return err;
            if (err != AIRLOCK_OK)
                continue;           /* that device cannot be reached */
            if (ctn == 0 || ctn > NET_ENV_KEYMSG_MAX) {
                free(ct);
                continue;
            }
            owned[e->header_count] = ct;
            h->device = ids[i];
            h->prekey = prekey;
            h->keymsg = ct;
            h->keymsg_n = ctn;
            e->header_count++;
            ids[keep++] = ids[i];
        }
        *n = keep;
    }
    return t->nto > 0 ? AIRLOCK_OK : AIRLOCK_ERR_NO_SESSION;
}

static airlock_err outbox_blob(const targets *t, const uint8_t *env,
                               size_t env_n, uint8_t **out, size_t *n)
{
    wr w;
    size_t i;
    airlock_err err;

    wr_init(&w, NULL, OUTBOX_MAX);
    wr_u8(&w, OUTBOX_VERSION);
    wr_uvarint(&w, t->nto);
    for (i = 0; i < t->nto; i++)
        wr_u32be(&w, t->to[i]);
    wr_uvarint(&w, t->nself);
    for (i = 0; i < t->nself; i++)
        wr_u32be(&w, t->self[i]);
    wr_bytes(&w, env, env_n);
    if ((err = wr_take(&w, out, n)) != AIRLOCK_OK)
        wr_clear(&w, false);
    return err;
}

/* Encrypt `n` bytes of `frame` (a content frame, or over XMPP the body
 * text itself, as `kind` says) for `to` and queue it. */
static airlock_err send_payload(airlock_ctx *ctx, const char *to,
                                const uint8_t *frame, size_t n,
                                store_content_kind kind, bool store_copy,
                                uint8_t id_out[16])
{
    targets t;
    net_env e;
    uint8_t keytag[CRYPTO_KEYTAG], iv[NET_ENV_IV], id[16];
    uint8_t *ct = NULL, *env = NULL, *blob = NULL;
    uint8_t *owned[NET_ENV_HEADERS_MAX];
    size_t env_n = 0, blob_n = 0, i;
    bool began = false, became_contact;
    airlock_err err;

    memset(owned, 0, sizeof owned);
    if (!engine_addr_ok(to) || frame == NULL || n > NET_ENV_PAYLOAD_MAX)
        return AIRLOCK_ERR_ARG;
    became_contact = false;
    if ((err = find_targets(ctx, to, &t)) != AIRLOCK_OK)
        return err;
    /* Writing to a stranger makes them a contact: over a transport whose
     * senders are claims, the devices they wrote from must be on the
     * published device list just fetched to encrypt (devcheck.c). */
    if (store_copy && ctx->net->ops->claimed_senders &&
        strcmp(to, ctx->account) != 0) {
        store_contact c;
        bool chg;

        if (store_contact_get(ctx->st, to, &c) == AIRLOCK_OK &&
            c.trust == AIRLOCK_TRUST_UNKNOWN &&
            (err = engine_check_listed(ctx, to, t.to, t.nto, &chg)) !=
                AIRLOCK_OK)
            return err;
    }
    if ((ct = malloc(n > 0 ? n : 1)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    if ((err = store_begin(ctx->st)) != AIRLOCK_OK)
        goto out;
    began = true;
    crypto_random(ctx->cr, id, sizeof id);
    crypto_random(ctx->cr, keytag, CRYPTO_MSGKEY);
    crypto_random(ctx->cr, iv, sizeof iv);
    if ((err = crypto_gcm_encrypt(keytag, iv, sizeof iv, frame, n, ct,
                                  keytag + CRYPTO_MSGKEY)) != AIRLOCK_OK)
        goto out;
    memset(&e, 0, sizeof e);
    e.sender = ctx->account;
    e.sender_n = strlen(ctx->account);
    e.sender_device = ctx->device_id;
    e.recipient = to;
    e.recipient_n = strlen(to);
    e.timestamp_ms = (uint64_t)base_now_ms();
    memcpy(e.id, id, sizeof id);
    e.iv = iv;
    e.payload = ct;
    e.payload_n = n;
    if ((err = encrypt_headers(ctx, to, &t, keytag, &e, owned)) != AIRLOCK_OK)
        goto out;
    if ((err = net_env_encode(&e, &env, &env_n)) != AIRLOCK_OK)
        goto out;
    if (store_copy) {
        store_msg m;
        store_contact c;

        /* usually there is one already: ensure only when there is not */
        if ((err = store_contact_get(ctx->st, to, &c)) ==
            AIRLOCK_ERR_NOT_FOUND &&
            (err = store_contact_ensure(ctx->st, to, base_now_ms())) ==
                AIRLOCK_OK)
            err = store_contact_get(ctx->st, to, &c);
        if (err != AIRLOCK_OK)
            goto out;
        /* Writing to someone is consent. */
        if (c.trust == AIRLOCK_TRUST_UNKNOWN) {
            if ((err = store_contact_set_trust(ctx->st, to,
                                               AIRLOCK_TRUST_ACCEPTED)) !=
                AIRLOCK_OK)
                goto out;
            became_contact = true;
        }
        memset(&m, 0, sizeof m);
        memcpy(m.id, id, sizeof id);
        snprintf(m.conversation, sizeof m.conversation, "%s", to);
        snprintf(m.sender, sizeof m.sender, "%s", ctx->account);
        m.sender_device = ctx->device_id;
        m.outgoing = 1;
        m.sent_ms = (int64_t)e.timestamp_ms;
        m.received_ms = m.sent_ms;
        m.state = AIRLOCK_MSG_QUEUED;
        m.kind = kind;
        m.content = frame;
        m.content_n = n;
        if ((err = store_msg_insert(ctx->st, &m)) != AIRLOCK_OK)
            goto out;
    }
    if ((err = outbox_blob(&t, env, env_n, &blob, &blob_n)) != AIRLOCK_OK)
        goto out;
    if ((err = store_outbox_add(ctx->st, id, to, blob, blob_n)) != AIRLOCK_OK)
        goto out;
    began = false;
    if ((err = store_commit(ctx->st)) != AIRLOCK_OK)
        goto out;
    ctx->batch_dirty = true;
    engine_log(ctx, "send bytes=%zu devices=%zu own_devices=%zu stored=%d",
               n, t.nto, t.nself, store_copy ? 1 : 0);
    if (id_out != NULL)
        memcpy(id_out, id, 16);
    if (ctx->batch_depth == 0)
        err = engine_outbox_flush(ctx);
    /* the transport may want to know (XMPP: a presence subscription),
     * after the message itself is on its way */
    if (became_contact && ctx->net->ops->trust_changed != NULL)
        ctx->net->ops->trust_changed(ctx->net, to, AIRLOCK_TRUST_ACCEPTED);
out:
    if (began)
        store_rollback(ctx->st);
    for (i = 0; i < NET_ENV_HEADERS_MAX; i++)
        free(owned[i]);
    base_wipe(keytag, sizeof keytag);
    free(ct);
    free(env);
    free(blob);
    return err;
}

airlock_err engine_send(airlock_ctx *ctx, const char *to,
                        const uint8_t *frame, size_t n, bool store_copy,
                        uint8_t id_out[16])
{
    /* Content frames (receipts included) do not travel over a transport
     * whose payloads are body text. */
    if (ctx->net->ops->payload_is_body)
        return AIRLOCK_ERR_UNSUPPORTED;
    return send_payload(ctx, to, frame, n, STORE_CONTENT_FRAME, store_copy,
                        id_out);
}

/* ---- the outbox: hand committed envelopes to the transport ---- */

typedef struct flush_state {
    airlock_ctx *ctx;
    uint8_t last[16];            /* the last row handed over */
    size_t n;
    airlock_err err;
} flush_state;

static airlock_err read_devs(rd *r, uint32_t *ids, size_t *n)
{
    uint64_t count;
    size_t i;
    airlock_err err;

    if ((err = rd_uvarint(r, NET_ENV_HEADERS_MAX, &count)) != AIRLOCK_OK)
        return err;
    for (i = 0; i < count; i++)
        if ((err = rd_u32be(r, &ids[i])) != AIRLOCK_OK)
            return err;
    *n = (size_t)count;
    return AIRLOCK_OK;
}

static int flush_one(const uint8_t id[16], const char *to,
                     const uint8_t *blob, size_t n, void *arg)
{
    flush_state *fs = arg;
    airlock_ctx *ctx = fs->ctx;
    rd r = rd_make(blob, n);
    targets t;
    uint8_t version;
    airlock_err err;

    /* Our own sealed row, but stored bytes are still read with care. */
    if ((err = rd_u8(&r, &version)) != AIRLOCK_OK ||
        version != OUTBOX_VERSION ||
        (err = read_devs(&r, t.to, &t.nto)) != AIRLOCK_OK ||
        (err = read_devs(&r, t.self, &t.nself)) != AIRLOCK_OK) {
        fs->err = AIRLOCK_ERR_CORRUPT;
        return 1;
    }
    if ((err = ctx->net->ops->send(ctx->net, to, t.to, t.nto, r.p,
                                   r.left)) != AIRLOCK_OK ||
        (err = ctx->net->ops->send(ctx->net, ctx->account, t.self, t.nself,
                                   r.p, r.left)) != AIRLOCK_OK) {
        fs->err = err;
        return 1;
    }
    memcpy(fs->last, id, 16);
    fs->n++;
    return 0;
}

airlock_err engine_outbox_flush(airlock_ctx *ctx)
{
    flush_state fs;
    airlock_err err;

    if (!ctx->batch_dirty || ctx->batch_depth > 0)
        return AIRLOCK_OK;
    memset(&fs, 0, sizeof fs);
    fs.ctx = ctx;
    if ((err = ctx->net->ops->send_begin(ctx->net)) != AIRLOCK_OK)
        return err;
    err = store_outbox_each(ctx->st, flush_one, &fs);
    if (err == AIRLOCK_OK)
        err = fs.err;
    if (err != AIRLOCK_OK) {
        /* Nothing was handed over: the relay transaction is dropped by
         * committing nothing; the rows stay for the next try. */
        (void)ctx->net->ops->send_commit(ctx->net);
        return err == AIRLOCK_ERR_CORRUPT ? err : AIRLOCK_ERR_NET;
    }
    if ((err = ctx->net->ops->send_commit(ctx->net)) != AIRLOCK_OK)
        return AIRLOCK_ERR_NET;
    if (fs.n == 0) {
        ctx->batch_dirty = false;
        return AIRLOCK_OK;
    }
    /* The transport has committed them: forget them in one statement (not
     * every row has a stored copy: receipts do not), in a transaction
     * that does not wait for the disk. Lost to a power failure, they are
     * handed over again, and receivers recognise the same envelope bytes
     * as a duplicate; the transport's commit above did wait. */
    if ((err = store_begin_lazy(ctx->st)) != AIRLOCK_OK)
        return err;
    if ((err = store_outbox_sent(ctx->st, fs.last)) != AIRLOCK_OK) {
        store_rollback(ctx->st);
        return err;
    }
    if ((err = store_commit(ctx->st)) == AIRLOCK_OK)
        ctx->batch_dirty = false;
    return err;
}

AIRLOCK_API airlock_err airlock_batch_begin(airlock_ctx *ctx)
{
    airlock_err err;

    if (ctx == NULL)
        return AIRLOCK_ERR_ARG;
    if ((err = store_begin(ctx->st)) != AIRLOCK_OK)
        return err;
    if (ctx->batch_depth++ == 0)
        ctx->sends.valid = false;
    return AIRLOCK_OK;
}

AIRLOCK_API airlock_err airlock_batch_end(airlock_ctx *ctx)
{
    airlock_err err;

    if (ctx == NULL || ctx->batch_depth == 0)
        return AIRLOCK_ERR_STATE;
    if (--ctx->batch_depth == 0)
        ctx->sends.valid = false;
    if ((err = store_commit(ctx->st)) != AIRLOCK_OK)
        return err;
    return ctx->batch_depth == 0 ? engine_outbox_flush(ctx) : AIRLOCK_OK;
}

AIRLOCK_API airlock_err airlock_send_frame(airlock_ctx *ctx, const char *to,
                                           const uint8_t *frame, size_t len,
                                           uint8_t id_out[16])
{
    if (ctx == NULL || frame == NULL)
        return AIRLOCK_ERR_ARG;
    if (len > AIRLOCK_RENDER_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    if (ctx->net->ops->payload_is_body) {
        /* Over XMPP only the body travels: a frame that holds nothing
         * else is sent as its body; anything more is not supported. */
        gate_frame f;

        if (gate_frame_decode(frame, len, &f) != AIRLOCK_OK)
            return AIRLOCK_ERR_ARG;
        if (f.body == NULL || f.attachment_count > 0 || f.reply_to != NULL ||
            f.reaction_emoji != NULL || f.receipt_count > 0 ||
            f.unknown_fields > 0)
            return AIRLOCK_ERR_UNSUPPORTED;
        return send_payload(ctx, to, f.body, f.body_len, STORE_CONTENT_BODY,
                            true, id_out);
    }
    return engine_send(ctx, to, frame, len, true, id_out);
}

AIRLOCK_API airlock_err airlock_send_text(airlock_ctx *ctx, const char *to,
                                          const char *text, size_t len,
                                          uint8_t id_out[16])
{
    uint8_t *frame = NULL;
    size_t fn = 0;
    airlock_err err;

    if (ctx == NULL || text == NULL)
        return AIRLOCK_ERR_ARG;
    if (ctx->net->ops->payload_is_body) {
        /* XMPP: the OMEMO payload is the body text itself */
        if (len > GATE_BODY_MAX)
            return AIRLOCK_ERR_TOO_LARGE;
        return send_payload(ctx, to, (const uint8_t *)text, len,
                            STORE_CONTENT_BODY, true, id_out);
    }
    if ((err = gate_frame_encode_body(NULL, text, len, &frame, &fn)) != AIRLOCK_OK)
        return err;
    err = engine_send(ctx, to, frame, fn, true, id_out);
    free(frame);
    return err;
}

/* A transport that publishes the whole prekey set at once (an OMEMO
 * bundle): replace the used ones so that the set is back at a full batch,
 * then publish all of them. */
static airlock_err replenish_whole_set(airlock_ctx *ctx)
{
    uint32_t *ids = NULL, *nids = NULL;
    uint8_t *pubs = NULL, *npubs = NULL, *bundle = NULL;
    size_t count = 0, bn = 0;
    airlock_err err;

    if ((err = crypto_prekeys_public(ctx->cr, &ids, &pubs, &count)) !=
        AIRLOCK_OK)
        goto out;
    if (count < CRYPTO_PREKEY_BATCH) {
        if ((err = crypto_prekeys_generate(ctx->cr,
                                           (uint32_t)(CRYPTO_PREKEY_BATCH -
                                                      count),
                                           &nids, &npubs)) != AIRLOCK_OK)
            goto out;
        free(ids);
        free(pubs);
        ids = NULL;
        pubs = NULL;
        if ((err = crypto_prekeys_public(ctx->cr, &ids, &pubs, &count)) !=
            AIRLOCK_OK)
            goto out;
    }
    if ((err = crypto_bundle_export(ctx->cr, &bundle, &bn)) != AIRLOCK_OK)
        goto out;
    engine_log(ctx, "prekeys republished count=%zu", count);
    err = ctx->net->ops->publish(ctx->net, bundle, bn, ids, pubs, count);
out:
    free(ids);
    free(pubs);
    free(nids);
    free(npubs);
    free(bundle);
    return err;
}

airlock_err engine_replenish_prekeys(airlock_ctx *ctx)
{
    uint32_t have = 0, *ids = NULL;
    uint8_t *pubs = NULL, *bundle = NULL;
    size_t bn = 0;
    airlock_err err;

    if (ctx->net->ops->publish_replaces)
        return replenish_whole_set(ctx);
    if ((err = ctx->net->ops->prekey_count(ctx->net, &have)) != AIRLOCK_OK)
        return err;
    if (have >= ENGINE_PREKEY_LOW)
        return AIRLOCK_OK;
    if ((err = crypto_prekeys_generate(ctx->cr, CRYPTO_PREKEY_BATCH, &ids,
                                       &pubs)) != AIRLOCK_OK)
        goto out;
    if ((err = crypto_bundle_export(ctx->cr, &bundle, &bn)) != AIRLOCK_OK)
        goto out;
    err = ctx->net->ops->publish(ctx->net, bundle, bn, ids, pubs,
                                 CRYPTO_PREKEY_BATCH);
out:
    free(ids);
    free(pubs);
    free(bundle);
    return err;
}


/*
 * devcheck.c - over a transport whose sender addresses are only claims
 * (net_ops.claimed_senders: XMPP, where libstrophe lets a namespaced
 * attribute stand in for `from`, docs/XMPP.md), a device is believed to
 * be a contact's only when the contact's own published device list names
 * it. A forger can make a Signal session in anyone's name, but cannot
 * publish to their device list.
 *
 * Checked when a stranger becomes a contact (the devices first seen while
 * they were a request) and when an accepted contact with no device we
 * know writes from a device we have never seen (held while the batch is
 * stored, checked after its commit; inbound.c). A device held by a check
 * is remembered (meta "devcheck:" and a hash of the address: the time of
 * the last check and the device ids) and checked again when it writes, at most once per
 * DEVCHECK_RETRY_MS: a list that was unreadable (published to subscribers
 * only, before the contact approved our subscription) or stale is looked
 * at again, and the device is released when the list names it.
 */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "core/engine.h"
#include "net/net.h"
#include "store/store.h"

#define DETAIL_UNLISTED \
    "a device not in the contact's published device list: held"
#define DETAIL_NOLIST \
    "the contact's device list could not be fetched: device held"
#define DEVCHECK_KEY "devcheck:"
#define DEVCHECK_KEY_LEN (sizeof DEVCHECK_KEY - 1 + 32)
typedef engine_devcheck_rec pending;

static bool in(const uint32_t *v, size_t n, uint32_t d)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (v[i] == d)
            return true;
    return false;
}

/* The meta key of addr's list: a hash, so that any address fits. */
static void key_of(const char *addr, char key[DEVCHECK_KEY_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t h[32];
    size_t i, k = sizeof DEVCHECK_KEY - 1;

    base_hash32((const uint8_t *)addr, strlen(addr), h);
    memcpy(key, DEVCHECK_KEY, k);
    for (i = 0; i < 16; i++) {
        key[k + 2 * i] = hex[h[i] >> 4];
        key[k + 2 * i + 1] = hex[h[i] & 15];
    }
    key[DEVCHECK_KEY_LEN] = '\0';
}

bool engine_devcheck_parse(const uint8_t *v, size_t n,
                           engine_devcheck_rec *p)
{
    uint64_t last;
    rd r = rd_make(v, n);

    memset(p, 0, sizeof *p);
    if (n > DEVCHECK_VALUE_MAX || n < 8 || (n - 8) % 4 != 0 ||
        rd_u64be(&r, &last) != AIRLOCK_OK || last > INT64_MAX)
        return false;
    p->last_ms = (int64_t)last;
    while (rd_left(&r) > 0) {
        if (rd_u32be(&r, &p->dev[p->n]) != AIRLOCK_OK) {
            memset(p, 0, sizeof *p);
            return false;
        }
        p->n++;
    }
    return true;
}

airlock_err engine_devcheck_encode(const engine_devcheck_rec *p,
                                   uint8_t **out, size_t *n)
{
    size_t i;
    airlock_err err;
    wr w;

    *out = NULL;
    *n = 0;
    if (p->n > DEVCHECK_PENDING_MAX)
        return AIRLOCK_ERR_ARG;
    wr_init(&w, NULL, DEVCHECK_VALUE_MAX);
    wr_u64be(&w, (uint64_t)(p->last_ms > 0 ? p->last_ms : 0));
    for (i = 0; i < p->n; i++)
        wr_u32be(&w, p->dev[i]);
    if ((err = wr_take(&w, out, n)) != AIRLOCK_OK)
        wr_clear(&w, false);
    return err;
}

/* Our own record, still read through the bounded reader: anything that
 * does not parse is an empty list. */
static void pending_load(airlock_ctx *ctx, const char *addr, pending *p)
{
    char key[DEVCHECK_KEY_LEN + 1];
    uint8_t *v = NULL;
    size_t n = 0;

    memset(p, 0, sizeof *p);
    key_of(addr, key);
    if (store_meta_get(ctx->st, key, &v, &n) != AIRLOCK_OK)
        return;
    (void)engine_devcheck_parse(v, n, p);
    free(v);
}

static airlock_err pending_save(airlock_ctx *ctx, const char *addr,
                                const pending *p)
{
    char key[DEVCHECK_KEY_LEN + 1];
    uint8_t *v = NULL;
    size_t n = 0;
    airlock_err err;

    key_of(addr, key);
    if (p->n == 0)
        return store_meta_set(ctx->st, key, NULL, 0);
    if ((err = engine_devcheck_encode(p, &v, &n)) != AIRLOCK_OK)
        return err;
    err = store_meta_set(ctx->st, key, v, n);
    free(v);
    return err;
}

bool engine_devcheck_due(airlock_ctx *ctx, const char *addr, uint32_t dev,
                         int64_t now_ms)
{
    pending p;

    if (!ctx->net->ops->claimed_senders)
        return false;
    pending_load(ctx, addr, &p);
    return in(p.dev, p.n, dev) && now_ms - p.last_ms >= ctx->devcheck_retry_ms;
}

airlock_err engine_devcheck_forget(airlock_ctx *ctx, const char *addr)
{
    pending p;

    memset(&p, 0, sizeof p);
    return pending_save(ctx, addr, &p);
}

/* The check itself, given the contact's list (have_list false: it could
 * not be fetched). `fetch`: fetch it here first, only when there is
 * anything to decide. */
static airlock_err check(airlock_ctx *ctx, const char *addr,
                         const uint32_t *release, size_t release_n,
                         bool fetch, const uint32_t *given, size_t given_n,
                         bool *changed)
{
    uint32_t *devs = NULL, *fetched = NULL;
    const uint32_t *listed = given;
    size_t n = 0, listed_n = given_n, i, unlisted = 0;
    bool have_list = !fetch, any = false;
    store_remote_id rid;
    pending old, now;
    airlock_err err;

    *changed = false;
    if (!ctx->net->ops->claimed_senders || ctx->net->ops->devices == NULL ||
        strcmp(addr, ctx->account) == 0)
        return AIRLOCK_OK;
    if ((err = store_sig_session_devices(ctx->st, addr, &devs, &n)) !=
        AIRLOCK_OK)
        return err;
    pending_load(ctx, addr, &old);
    /* To decide: devices believed so far, and those held by a check
     * (earlier or in this batch). Devices held for a changed key, or a new
     * device of a contact who has others, stay held for the user. */
    for (i = 0; i < n && !any; i++)
        any = store_rid_get(ctx->st, addr, devs[i], &rid) == AIRLOCK_OK &&
              (rid.status != STORE_ID_CHANGED ||
               in(release, release_n, devs[i]) ||
               in(old.dev, old.n, devs[i]));
    if (!any) {
        free(devs);
        return AIRLOCK_OK;
    }
    /* Network first, outside any transaction. */
    if (fetch) {
        have_list = ctx->net->ops->devices(ctx->net, addr, &fetched,
                                           &listed_n) == AIRLOCK_OK;
        listed = fetched;
    }
    memset(&now, 0, sizeof now);
    now.last_ms = base_now_ms();
    if ((err = store_begin(ctx->st)) != AIRLOCK_OK)
        goto out;
    for (i = 0; i < n && err == AIRLOCK_OK; i++) {
        bool ok = have_list && in(listed, listed_n, devs[i]);
        bool ours = in(release, release_n, devs[i]) ||
                    in(old.dev, old.n, devs[i]);

        if (store_rid_get(ctx->st, addr, devs[i], &rid) != AIRLOCK_OK)
            continue;
        if (rid.status == STORE_ID_CHANGED && !ours)
            continue;                   /* held for the user, not by us */
        if (ok) {
            if (rid.status == STORE_ID_CHANGED) {
                err = store_rid_release(ctx->st, addr, devs[i]);
                *changed = true;
            }
            continue;
        }
        if (rid.status != STORE_ID_CHANGED) {
            err = store_rid_hold(ctx->st, addr, devs[i]);
            *changed = true;
        }
        unlisted++;
        if (now.n < DEVCHECK_PENDING_MAX)
            now.dev[now.n++] = devs[i];
    }
    if (err == AIRLOCK_OK && (now.n > 0 || old.n > 0))
        err = pending_save(ctx, addr, &now);
    if (err != AIRLOCK_OK) {
        store_rollback(ctx->st);
        goto out;
    }
    if ((err = store_commit(ctx->st)) != AIRLOCK_OK)
        goto out;
    engine_log(ctx, "devices checked listed=%zu unlisted=%zu list=%d",
               listed_n, unlisted, have_list ? 1 : 0);
    if (unlisted > 0)
        engine_security(ctx, have_list ? AIRLOCK_SEC_SPOOFED_STANZA :
                                         AIRLOCK_SEC_IDENTITY_CHANGED,
                        addr, have_list ? DETAIL_UNLISTED : DETAIL_NOLIST);
out:
    free(devs);
    free(fetched);
    return err;
}

airlock_err engine_check_devices(airlock_ctx *ctx, const char *addr,
                                 const uint32_t *release, size_t release_n,
                                 bool *changed)
{
    return check(ctx, addr, release, release_n, true, NULL, 0, changed);
}

airlock_err engine_check_listed(airlock_ctx *ctx, const char *addr,
                                const uint32_t *listed, size_t listed_n,
                                bool *changed)
{
    return check(ctx, addr, NULL, 0, false, listed, listed_n, changed);
}

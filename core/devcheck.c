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
 * stored, checked after its commit; inbound.c).
 */
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "net/net.h"
#include "store/store.h"

#define DETAIL_UNLISTED \
    "a device not in the contact's published device list: held"
#define DETAIL_NOLIST \
    "the contact's device list could not be fetched: device held"

static bool in(const uint32_t *v, size_t n, uint32_t d)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (v[i] == d)
            return true;
    return false;
}

airlock_err engine_check_devices(airlock_ctx *ctx, const char *addr,
                                 const uint32_t *release, size_t release_n,
                                 bool *changed)
{
    uint32_t *devs = NULL, *listed = NULL;
    size_t n = 0, listed_n = 0, i, unlisted = 0;
    bool have_list, any = false;
    store_remote_id rid;
    airlock_err err;

    *changed = false;
    if (!ctx->net->ops->claimed_senders || ctx->net->ops->devices == NULL ||
        strcmp(addr, ctx->account) == 0)
        return AIRLOCK_OK;
    if ((err = store_sig_session_devices(ctx->st, addr, &devs, &n)) !=
        AIRLOCK_OK)
        return err;
    /* What is to be decided: devices believed so far, and those held
     * only for this check. Devices held for a changed key stay held. */
    for (i = 0; i < n; i++) {
        if (store_rid_get(ctx->st, addr, devs[i], &rid) != AIRLOCK_OK)
            continue;
        if (rid.status != STORE_ID_CHANGED || in(release, release_n, devs[i]))
            any = true;
    }
    if (!any) {
        free(devs);
        return AIRLOCK_OK;
    }
    /* Network first, outside any transaction. */
    have_list = ctx->net->ops->devices(ctx->net, addr, &listed,
                                       &listed_n) == AIRLOCK_OK;
    if ((err = store_begin(ctx->st)) != AIRLOCK_OK)
        goto out;
    for (i = 0; i < n; i++) {
        bool ok = have_list && in(listed, listed_n, devs[i]);
        bool pending = in(release, release_n, devs[i]);

        if (store_rid_get(ctx->st, addr, devs[i], &rid) != AIRLOCK_OK)
            continue;
        if (pending && rid.status == STORE_ID_CHANGED) {
            if (ok) {
                if ((err = store_rid_release(ctx->st, addr, devs[i])) !=
                    AIRLOCK_OK)
                    break;
                *changed = true;
            } else {
                unlisted++;            /* stays held */
            }
        } else if (rid.status != STORE_ID_CHANGED && !ok) {
            if ((err = store_rid_hold(ctx->st, addr, devs[i])) !=
                AIRLOCK_OK)
                break;
            *changed = true;
            unlisted++;
        }
    }
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
    free(listed);
    return err;
}

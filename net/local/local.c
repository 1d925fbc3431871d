/*
 * local.c - the embedded local transport: a shared SQLite mailbox file
 * (store_relay) used by every account device on this machine. Receivers
 * wake on inotify on the mailbox's directory and fall back to polling every
 * 100 ms where inotify is not available.
 */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "base/base.h"
#include "store/store.h"

#define LOCAL_POLL_MS 100
#define LOCAL_PREKEY_PUB 33u
/* Sequence numbers of one fetch remembered so that acknowledging all of
 * them is one ranged delete; a larger fetch is acknowledged row by row. */
#define LOCAL_HANDED_MAX 16384u

typedef struct local_transport {
    net_transport base;            /* first: net_transport* casts back */
    store_relay *relay;
    char addr[NET_ADDR_MAX + 1];
    uint32_t dev;
    int ino;                       /* inotify fd or -1 */
    /* what the last fetch handed over, in order (seq ascending) */
    int64_t *handed;
    size_t nhanded;
    bool handed_ok;                /* the list is complete */
    /* the engine's callback, wrapped by fetch */
    net_recv_cb cb;
    void *cb_arg;
} local_transport;

static local_transport *L(net_transport *t)
{
    return (local_transport *)t;
}

static int local_fd(net_transport *t)
{
    return L(t)->ino;
}

static void local_drain(net_transport *t)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

    if (L(t)->ino < 0)
        return;
    while (read(L(t)->ino, buf, sizeof buf) > 0)
        ;
}

static int local_timeout(net_transport *t)
{
    return L(t)->ino < 0 ? LOCAL_POLL_MS : -1;
}

static bool local_up(net_transport *t)
{
    (void)t;
    return true;
}

static airlock_err local_publish(net_transport *t, const uint8_t *bundle,
                                 size_t n, const uint32_t *ids,
                                 const uint8_t *pubs, size_t count)
{
    local_transport *lt = L(t);
    const uint8_t **recs = NULL;
    size_t *lens = NULL, i;
    airlock_err err = AIRLOCK_ERR_NOMEM;

    if (count > 0) {
        recs = calloc(count, sizeof *recs);
        lens = calloc(count, sizeof *lens);
        if (recs == NULL || lens == NULL)
            goto out;
        for (i = 0; i < count; i++) {
            recs[i] = pubs + i * LOCAL_PREKEY_PUB;
            lens[i] = LOCAL_PREKEY_PUB;
        }
    }
    if ((err = store_relay_publish(lt->relay, lt->addr, lt->dev, bundle, n)) !=
        AIRLOCK_OK)
        goto out;
    if (count > 0)
        err = store_relay_add_prekeys(lt->relay, lt->addr, lt->dev, ids,
                                      (const uint8_t *const *)recs, lens,
                                      count);
out:
    free(recs);
    free(lens);
    return err;
}

static airlock_err local_prekey_count(net_transport *t, uint32_t *n)
{
    return store_relay_prekey_count(L(t)->relay, L(t)->addr, L(t)->dev, n);
}

static airlock_err local_devices(net_transport *t, const char *addr,
                                 uint32_t **ids, size_t *n)
{
    return store_relay_devices(L(t)->relay, addr, ids, n);
}

static airlock_err local_take_bundle(net_transport *t, const char *addr,
                                     uint32_t dev, uint8_t **bundle,
                                     size_t *n, uint32_t *prekey_id,
                                     uint8_t **prekey, size_t *prekey_n)
{
    return store_relay_take_bundle(L(t)->relay, addr, dev, bundle, n,
                                   prekey_id, prekey, prekey_n);
}

static airlock_err local_send_begin(net_transport *t)
{
    return store_relay_begin(L(t)->relay);
}

static airlock_err local_send_commit(net_transport *t)
{
    return store_relay_commit(L(t)->relay);
}

static airlock_err local_send(net_transport *t, const char *to,
                              const uint32_t *devs, size_t ndev,
                              const uint8_t *env, size_t n)
{
    size_t i;
    airlock_err err;

    for (i = 0; i < ndev; i++)
        if ((err = store_relay_enqueue(L(t)->relay, to, devs[i], env, n)) !=
            AIRLOCK_OK)
            return err;
    return AIRLOCK_OK;
}

static int handed_cb(int64_t seq, const uint8_t *env, size_t n, void *arg)
{
    local_transport *lt = arg;

    if (lt->handed_ok && lt->nhanded < LOCAL_HANDED_MAX)
        lt->handed[lt->nhanded++] = seq;
    else
        lt->handed_ok = false;
    return lt->cb(seq, env, n, lt->cb_arg);
}

static airlock_err local_fetch(net_transport *t, size_t limit,
                               net_recv_cb cb, void *arg)
{
    local_transport *lt = L(t);

    /* Everything not yet acknowledged, oldest first: the engine
     * acknowledges every envelope it handled (stored or dropped). */
    if (lt->handed == NULL)
        lt->handed = malloc(LOCAL_HANDED_MAX * sizeof *lt->handed);
    lt->nhanded = 0;
    lt->handed_ok = lt->handed != NULL;
    lt->cb = cb;
    lt->cb_arg = arg;
    return store_relay_fetch(lt->relay, lt->addr, lt->dev, 0, limit,
                             handed_cb, lt);
}

static airlock_err local_ack(net_transport *t, const int64_t *seqs, size_t n)
{
    local_transport *lt = L(t);
    size_t i;

    /* The first n envelopes the last fetch handed over, exactly: they are
     * every envelope of ours from the first to the last of them (fetch
     * goes in seq order), so one ranged delete forgets them. */
    if (lt->handed_ok && n > 0 && n <= lt->nhanded) {
        for (i = 0; i < n && seqs[i] == lt->handed[i]; i++)
            ;
        if (i == n) {
            lt->handed_ok = false;
            return store_relay_ack_range(lt->relay, lt->addr, lt->dev,
                                         seqs[0], seqs[n - 1]);
        }
    }
    lt->handed_ok = false;
    return store_relay_ack(lt->relay, lt->addr, lt->dev, seqs, n);
}

static void local_close(net_transport *t)
{
    local_transport *lt = L(t);

    if (lt == NULL)
        return;
    if (lt->ino >= 0)
        close(lt->ino);
    store_relay_close(lt->relay);
    free(lt->handed);
    free(lt);
}

static const net_ops local_ops = {
    .name = "local",
    .fd = local_fd,
    .drain = local_drain,
    .timeout_ms = local_timeout,
    .up = local_up,
    .publish = local_publish,
    .prekey_count = local_prekey_count,
    .devices = local_devices,
    .take_bundle = local_take_bundle,
    .send_begin = local_send_begin,
    .send = local_send,
    .send_commit = local_send_commit,
    .fetch = local_fetch,
    .ack = local_ack,
    .close = local_close,
};

static int watch_dir(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t n;
    int fd;

    if (slash == NULL) {
        dir[0] = '.';
        dir[1] = '\0';
    } else {
        n = (size_t)(slash - path);
        if (n == 0)
            n = 1;
        if (n >= sizeof dir)
            return -1;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
        return -1;
    /* Writers append to the mailbox's WAL file: a modification of any file
     * in the directory is a reason to look. */
    if (inotify_add_watch(fd, dir, IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE |
                          IN_MOVED_TO) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

airlock_err net_local_open(const char *relay_path, const char *addr,
                           uint32_t dev, net_transport **out)
{
    local_transport *lt = NULL;
    size_t an = strlen(addr);
    airlock_err err;

    *out = NULL;
    if (an == 0 || an > NET_ADDR_MAX || dev == 0)
        return AIRLOCK_ERR_ARG;
    if ((lt = calloc(1, sizeof *lt)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    lt->base.ops = &local_ops;
    lt->ino = -1;
    memcpy(lt->addr, addr, an + 1);
    lt->dev = dev;
    if ((err = store_relay_open(relay_path, &lt->relay)) != AIRLOCK_OK) {
        free(lt);
        return err;
    }
    lt->ino = watch_dir(store_relay_path(lt->relay));
    *out = &lt->base;
    return AIRLOCK_OK;
}

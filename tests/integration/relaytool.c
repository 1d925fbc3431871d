/*
 * relaytool.c - test-only tool that plays a hostile sender against the
 * local mailbox, below the engine (it links net/ and store/ directly):
 *
 *   relaytool RELAY flood TO COUNT ADDRS   COUNT envelopes from ADDRS
 *                                          strangers (valid structure,
 *                                          undecryptable keys)
 *   relaytool RELAY mangle TO              for every envelope waiting for
 *                                          TO: add a bit-flipped, a
 *                                          truncated, an oversized and a
 *                                          garbage copy
 *   relaytool RELAY pending TO             number of envelopes waiting
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "net/net.h"
#include "store/store.h"

typedef struct grab {
    uint8_t **env;
    size_t *n;
    size_t count, cap;
} grab;

static int grab_cb(int64_t seq, const uint8_t *env, size_t n, void *arg)
{
    grab *g = arg;

    (void)seq;
    if (g->count == g->cap) {
        size_t ncap = g->cap ? 2 * g->cap : 64;

        g->env = realloc(g->env, ncap * sizeof *g->env);
        g->n = realloc(g->n, ncap * sizeof *g->n);
        if (g->env == NULL || g->n == NULL)
            return 1;
        g->cap = ncap;
    }
    g->env[g->count] = malloc(n);
    memcpy(g->env[g->count], env, n);
    g->n[g->count++] = n;
    return 0;
}

static int enqueue_all(store_relay *r, const char *to, const uint32_t *devs,
                       size_t ndev, const uint8_t *env, size_t n)
{
    size_t i;

    for (i = 0; i < ndev; i++)
        if (store_relay_enqueue(r, to, devs[i], env, n) != AIRLOCK_OK)
            return -1;
    return 0;
}

static int flood(store_relay *r, const char *to, const uint32_t *devs,
                 size_t ndev, long count, long addrs)
{
    long i;
    size_t k;

    if (store_relay_begin(r) != AIRLOCK_OK)
        return 1;
    for (i = 0; i < count; i++) {
        char sender[64];
        uint8_t keymsg[64], iv[12], payload[48], *env = NULL;
        net_env e;
        size_t n;

        snprintf(sender, sizeof sender, "stranger%ld@flood.test", i % addrs);
        memset(&e, 0, sizeof e);
        e.sender = sender;
        e.sender_n = strlen(sender);
        e.sender_device = 1000 + (uint32_t)(i % addrs);
        e.recipient = to;
        e.recipient_n = strlen(to);
        e.timestamp_ms = (uint64_t)base_now_ms();
        base_random(e.id, sizeof e.id);
        base_random(keymsg, sizeof keymsg);
        keymsg[0] = 0x33;
        base_random(iv, sizeof iv);
        base_random(payload, sizeof payload);
        for (k = 0; k < ndev && k < NET_ENV_HEADERS_MAX; k++) {
            e.headers[k].device = devs[k];
            e.headers[k].prekey = true;
            e.headers[k].keymsg = keymsg;
            e.headers[k].keymsg_n = sizeof keymsg;
        }
        e.header_count = k;
        e.iv = iv;
        e.payload = payload;
        e.payload_n = sizeof payload;
        if (net_env_encode(&e, &env, &n) != AIRLOCK_OK ||
            enqueue_all(r, to, devs, ndev, env, n) != 0) {
            free(env);
            return 1;
        }
        free(env);
    }
    return store_relay_commit(r) == AIRLOCK_OK ? 0 : 1;
}

static int mangle(store_relay *r, const char *to, const uint32_t *devs,
                  size_t ndev)
{
    grab g;
    size_t i;
    int rc = 0;

    memset(&g, 0, sizeof g);
    if (ndev == 0 ||
        store_relay_fetch(r, to, devs[0], 0, 100000, grab_cb, &g) !=
            AIRLOCK_OK)
        return 1;
    if (store_relay_begin(r) != AIRLOCK_OK)
        return 1;
    for (i = 0; i < g.count && rc == 0; i++) {
        size_t n = g.n[i], big_n = NET_ENV_MAX + 1;
        uint8_t *c = malloc(big_n), junk[100];

        memcpy(c, g.env[i], n);
        c[n / 2] ^= 0x40;                              /* bit flip */
        rc |= enqueue_all(r, to, devs, ndev, c, n);
        rc |= enqueue_all(r, to, devs, ndev, g.env[i], n / 2); /* cut */
        memcpy(c, g.env[i], n);
        memset(c + n, 'A', big_n - n);                 /* oversized */
        rc |= enqueue_all(r, to, devs, ndev, c, big_n);
        base_random(junk, sizeof junk);                /* garbage */
        rc |= enqueue_all(r, to, devs, ndev, junk, sizeof junk);
        free(c);
        free(g.env[i]);
    }
    free(g.env);
    free(g.n);
    if (store_relay_commit(r) != AIRLOCK_OK)
        rc = 1;
    printf("mangled %zu envelopes\n", g.count);
    return rc;
}

int main(int argc, char **argv)
{
    store_relay *r = NULL;
    uint32_t *devs = NULL, pending = 0, total = 0;
    size_t ndev = 0, i;
    int rc = 2;

    if (argc < 4 || base_init() != AIRLOCK_OK) {
        fprintf(stderr, "usage: relaytool RELAY flood|mangle|pending TO ...\n");
        return 2;
    }
    if (store_relay_open(argv[1], &r) != AIRLOCK_OK ||
        store_relay_devices(r, argv[3], &devs, &ndev) != AIRLOCK_OK) {
        fprintf(stderr, "relaytool: cannot open %s or find %s\n", argv[1],
                argv[3]);
        store_relay_close(r);
        return 1;
    }
    if (strcmp(argv[2], "flood") == 0 && argc == 6) {
        rc = flood(r, argv[3], devs, ndev, strtol(argv[4], NULL, 10),
                   strtol(argv[5], NULL, 10));
    } else if (strcmp(argv[2], "mangle") == 0 && argc == 4) {
        rc = mangle(r, argv[3], devs, ndev);
    } else if (strcmp(argv[2], "pending") == 0 && argc == 4) {
        for (i = 0; i < ndev; i++)
            if (store_relay_pending(r, argv[3], devs[i], &pending) ==
                AIRLOCK_OK)
                total += pending;
        printf("%u\n", total);
        rc = 0;
    }
    free(devs);
    store_relay_close(r);
    return rc;
}

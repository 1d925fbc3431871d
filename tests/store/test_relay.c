/*
 * test_relay.c - the local mailbox: publish and directory, one-time
 * prekeys consumed atomically (two handles), queue order, ack, limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/store.h"

static char root[128], path[192];

typedef struct got {
    int n;
    int64_t seqs[16];
    char first[16];
} got;

static int got_cb(int64_t seq, const uint8_t *env, size_t n, void *arg)
{
    got *g = arg;

    if (g->n == 0)
        snprintf(g->first, sizeof g->first, "%.*s", (int)n, (const char *)env);
    g->seqs[g->n++] = seq;
    return 0;
}

static void test_relay(void **state)
{
    store_relay *a = NULL, *b = NULL;
    uint32_t ids[3] = { 1, 2, 3 }, *devs = NULL, n32 = 0, pkid = 0;
    const uint8_t *recs[3] = { (const uint8_t *)"pk1", (const uint8_t *)"pk2",
                               (const uint8_t *)"pk3" };
    size_t lens[3] = { 3, 3, 3 }, nd = 0, bn = 0, pn = 0;
    uint8_t *bundle = NULL, *pk = NULL, big[8];
    struct stat sb;
    got g;
    int i;

    (void)state;
    snprintf(root, sizeof root, "/tmp/airlock-relay-XXXXXX");
    assert_non_null(mkdtemp(root));
    snprintf(path, sizeof path, "%s/sub/relay.db", root);
    assert_int_equal(store_relay_open(path, &a), AIRLOCK_OK);
    assert_int_equal(store_relay_open(path, &b), AIRLOCK_OK);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(store_relay_publish(a, "bob", 7,
                                         (const uint8_t *)"bundle", 6),
                     AIRLOCK_OK);
    assert_int_equal(store_relay_add_prekeys(a, "bob", 7, ids, recs, lens, 3),
                     AIRLOCK_OK);
    assert_int_equal(store_relay_devices(b, "bob", &devs, &nd), AIRLOCK_OK);
    assert_int_equal(nd, 1);
    assert_int_equal(devs[0], 7);
    free(devs);
    /* each prekey goes to exactly one taker, whichever handle asks */
    for (i = 0; i < 4; i++) {
        store_relay *h = i % 2 ? b : a;

        assert_int_equal(store_relay_take_bundle(h, "bob", 7, &bundle, &bn,
                                                 &pkid, &pk, &pn), AIRLOCK_OK);
        assert_int_equal(bn, 6);
        if (i < 3) {
            assert_int_equal(pkid, (uint32_t)i + 1);
            assert_int_equal(pn, 3);
        } else {
            assert_null(pk);             /* none left: bundle only */
            assert_int_equal(pkid, 0);
        }
        free(bundle);
        free(pk);
    }
    assert_int_equal(store_relay_prekey_count(a, "bob", 7, &n32), AIRLOCK_OK);
    assert_int_equal(n32, 0);
    assert_int_equal(store_relay_take_bundle(a, "carol", 1, &bundle, &bn,
                                             &pkid, &pk, &pn),
                     AIRLOCK_ERR_NOT_FOUND);
    /* the queue: batched enqueue, oldest first, ack deletes */
    assert_int_equal(store_relay_begin(a), AIRLOCK_OK);
    assert_int_equal(store_relay_enqueue(a, "bob", 7, (const uint8_t *)"e1",
                                         2), AIRLOCK_OK);
    assert_int_equal(store_relay_enqueue(a, "bob", 7, (const uint8_t *)"e2",
                                         2), AIRLOCK_OK);
    assert_int_equal(store_relay_enqueue(a, "bob", 8, (const uint8_t *)"x",
                                         1), AIRLOCK_OK);
    assert_int_equal(store_relay_commit(a), AIRLOCK_OK);
    memset(&g, 0, sizeof g);
    assert_int_equal(store_relay_fetch(b, "bob", 7, 0, 10, got_cb, &g),
                     AIRLOCK_OK);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.first, "e1");
    assert_int_equal(store_relay_ack(b, "bob", 7, g.seqs, 1), AIRLOCK_OK);
    assert_int_equal(store_relay_pending(a, "bob", 7, &n32), AIRLOCK_OK);
    assert_int_equal(n32, 1);
    /* ack of another device's envelope does nothing */
    assert_int_equal(store_relay_ack(b, "bob", 8, g.seqs + 1, 1), AIRLOCK_OK);
    assert_int_equal(store_relay_pending(a, "bob", 7, &n32), AIRLOCK_OK);
    assert_int_equal(n32, 1);
    /* limits */
    assert_int_equal(store_relay_enqueue(a, "bob", 7, big,
                                         STORE_RELAY_ENVELOPE_MAX + 1),
                     AIRLOCK_ERR_TOO_LARGE);
    assert_int_equal(store_relay_publish(a, "", 7, big, 1), AIRLOCK_ERR_ARG);
    store_relay_close(a);
    store_relay_close(b);
    /* a world-readable mailbox is refused */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(store_relay_open(path, &a), AIRLOCK_ERR_PERM);
    {
        char cmd[256];

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        assert_int_equal(system(cmd), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

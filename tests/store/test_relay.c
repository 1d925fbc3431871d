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
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "store/store.h"

static char root[128], path[192];

static void rm_rf(const char *dir)
{
    char cmd[256];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

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

/* Two processes take bundles from one mailbox at the same time: each
 * one-time prekey goes to exactly one of them. */
#define RACE_KEYS 120

static void taker(const char *p, int fd)
{
    store_relay *r = NULL;
    uint8_t *bundle = NULL, *pk = NULL;
    size_t bn = 0, pn = 0;
    uint32_t id = 0;

    if (store_relay_open(p, &r) != AIRLOCK_OK)
        _exit(2);
    for (;;) {
        if (store_relay_take_bundle(r, "carol", 2, &bundle, &bn, &id, &pk,
                                    &pn) != AIRLOCK_OK)
            _exit(3);
        free(bundle);
        free(pk);
        if (pk == NULL)
            break;
        if (write(fd, &id, sizeof id) != (ssize_t)sizeof id)
            _exit(4);
    }
    store_relay_close(r);
    _exit(0);
}

static void test_prekeys_race(void **state)
{
    char dir[128], p[192];
    store_relay *r = NULL;
    uint32_t ids[RACE_KEYS], taken[RACE_KEYS + 1], id;
    const uint8_t *recs[RACE_KEYS];
    size_t lens[RACE_KEYS];
    int fds[2], i, st;
    pid_t kids[2];
    size_t total = 0;

    (void)state;
    snprintf(dir, sizeof dir, "/tmp/airlock-relay-race-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(p, sizeof p, "%s/relay.db", dir);
    assert_int_equal(store_relay_open(p, &r), AIRLOCK_OK);
    assert_int_equal(store_relay_publish(r, "carol", 2,
                                         (const uint8_t *)"b", 1),
                     AIRLOCK_OK);
    for (i = 0; i < RACE_KEYS; i++) {
        ids[i] = (uint32_t)i + 1;
        recs[i] = (const uint8_t *)"prekey";
        lens[i] = 6;
    }
    assert_int_equal(store_relay_add_prekeys(r, "carol", 2, ids, recs, lens,
                                             RACE_KEYS), AIRLOCK_OK);
    assert_int_equal(pipe(fds), 0);
    for (i = 0; i < 2; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            close(fds[0]);
            taker(p, fds[1]);
        }
    }
    close(fds[1]);
    memset(taken, 0, sizeof taken);
    while (read(fds[0], &id, sizeof id) == (ssize_t)sizeof id) {
        assert_true(id >= 1 && id <= RACE_KEYS);
        taken[id]++;
        total++;
    }
    close(fds[0]);
    for (i = 0; i < 2; i++) {
        assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    assert_int_equal(total, RACE_KEYS);
    for (i = 1; i <= RACE_KEYS; i++)
        assert_int_equal(taken[i], 1);
    store_relay_close(r);
    rm_rf(dir);
}

static int size_cb(int64_t seq, const uint8_t *env, size_t n, void *arg)
{
    size_t *sizes = arg;

    (void)seq;
    assert_non_null(env);
    if (sizes[2] < 2)
        sizes[sizes[2]] = n;
    sizes[2]++;
    return 0;
}

/* A row written into the file past the maximum is never loaded whole: it
 * comes out one byte over the maximum, for the engine to refuse. A
 * mailbox from a newer version is refused untouched. */
static void test_hostile_mailbox(void **state)
{
    char dir[128], p[192];
    store_relay *r = NULL;
    sqlite3 *db = NULL;
    size_t sizes[3] = { 0, 0, 0 };
    char q[256];

    (void)state;
    snprintf(dir, sizeof dir, "/tmp/airlock-relay-bad-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(p, sizeof p, "%s/relay.db", dir);
    assert_int_equal(store_relay_open(p, &r), AIRLOCK_OK);
    snprintf(q, sizeof q, "INSERT INTO queue(address, device, envelope)"
             " VALUES ('dan', 1, zeroblob(%u))",
             STORE_RELAY_ENVELOPE_MAX * 4u);
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO queue(address, device,"
                                  " envelope) VALUES ('dan', 1, 'text')",
                                  NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(store_relay_fetch(r, "dan", 1, 0, 10, size_cb, sizes),
                     AIRLOCK_OK);
    assert_int_equal(sizes[2], 2);
    assert_int_equal(sizes[0], STORE_RELAY_ENVELOPE_MAX + 1u);
    assert_int_equal(sizes[1], STORE_RELAY_ENVELOPE_MAX + 1u);  /* not a blob */
    store_relay_close(r);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=7", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(db);
    r = NULL;
    assert_int_equal(store_relay_open(p, &r), AIRLOCK_ERR_SCHEMA);
    assert_null(r);
    rm_rf(dir);
}

/* A refused prekey set inside a caller's batch leaves nothing behind. */
static void test_prekeys_all_or_nothing(void **state)
{
    char dir[128], p[192];
    store_relay *r = NULL;
    uint8_t big[STORE_RELAY_PREKEY_MAX + 1];
    uint32_t ids[3] = { 1, 2, 3 }, n = 9;
    const uint8_t *recs[3] = { (const uint8_t *)"a", (const uint8_t *)"b",
                               big };
    size_t lens[3] = { 1, 1, sizeof big };

    (void)state;
    memset(big, 1, sizeof big);
    snprintf(dir, sizeof dir, "/tmp/airlock-relay-pk-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(p, sizeof p, "%s/relay.db", dir);
    assert_int_equal(store_relay_open(p, &r), AIRLOCK_OK);
    assert_int_equal(store_relay_begin(r), AIRLOCK_OK);
    assert_int_equal(store_relay_add_prekeys(r, "erin", 1, ids, recs, lens,
                                             3), AIRLOCK_ERR_TOO_LARGE);
    assert_int_equal(store_relay_commit(r), AIRLOCK_OK);
    assert_int_equal(store_relay_prekey_count(r, "erin", 1, &n), AIRLOCK_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_relay_add_prekeys(r, "erin", 1, ids, recs, lens,
                                             2), AIRLOCK_OK);
    assert_int_equal(store_relay_prekey_count(r, "erin", 1, &n), AIRLOCK_OK);
    assert_int_equal(n, 2);
    store_relay_close(r);
    rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay),
        cmocka_unit_test(test_prekeys_race),
        cmocka_unit_test(test_hostile_mailbox),
        cmocka_unit_test(test_prekeys_all_or_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

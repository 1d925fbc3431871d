/*
 * test_local.c - acknowledging envelopes through the local transport: the
 * exact prefix of a fetch is forgotten with one ranged delete, anything
 * else row by row, and neither touches an envelope that was not handed
 * over (another device's, or one queued after the fetch). Also the
 * relay's ranged delete on its own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "net/net.h"
#include "store/store.h"

typedef struct fx {
    char root[128];
    char path[192];
    store_relay *r;            /* a second handle: the sender's side */
    net_transport *t;          /* bob, device 7 */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);

    assert_non_null(f);
    snprintf(f->root, sizeof f->root, "/tmp/airlock-local-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->path, sizeof f->path, "%s/relay.db", f->root);
    assert_int_equal(store_relay_open(f->path, &f->r), AIRLOCK_OK);
    assert_int_equal(net_local_open(f->path, "bob", 7, &f->t), AIRLOCK_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    char cmd[256];

    f->t->ops->close(f->t);
    store_relay_close(f->r);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Queue "<tag><i>" for (to, dev). */
static void enqueue(fx *f, const char *to, uint32_t dev, char tag, int i)
{
    char env[16];
    int n = snprintf(env, sizeof env, "%c%d", tag, i);

    assert_int_equal(store_relay_enqueue(f->r, to, dev, (const uint8_t *)env,
                                         (size_t)n), AIRLOCK_OK);
}

typedef struct seen {
    int64_t seqs[64];
    char envs[64][16];
    size_t n;
    size_t stop_after;         /* 0: take everything */
} seen;

static int seen_cb(int64_t seq, const uint8_t *env, size_t n, void *arg)
{
    seen *s = arg;

    assert_true(s->n < 64 && n < 16);
    s->seqs[s->n] = seq;
    memcpy(s->envs[s->n], env, n);
    s->envs[s->n][n] = '\0';
    s->n++;
    return s->stop_after != 0 && s->n >= s->stop_after;
}

static seen fetch(fx *f, size_t limit, size_t stop_after)
{
    seen s;

    memset(&s, 0, sizeof s);
    s.stop_after = stop_after;
    assert_int_equal(f->t->ops->fetch(f->t, limit, seen_cb, &s), AIRLOCK_OK);
    return s;
}

static uint32_t pending(fx *f, const char *addr, uint32_t dev)
{
    uint32_t n = 99;

    assert_int_equal(store_relay_pending(f->r, addr, dev, &n), AIRLOCK_OK);
    return n;
}

/* bob/7's envelopes interleaved with bob/8's and carol/7's: acknowledging
 * the first part of a fetch removes exactly those. */
static void test_prefix_is_one_range(void **state)
{
    fx *f = *state;
    seen s;
    int i;

    assert_int_equal(store_relay_begin(f->r), AIRLOCK_OK);
    for (i = 0; i < 10; i++) {
        enqueue(f, "bob", 7, 'a', i);
        enqueue(f, "bob", 8, 'b', i);
        enqueue(f, "carol", 7, 'c', i);
    }
    assert_int_equal(store_relay_commit(f->r), AIRLOCK_OK);
    s = fetch(f, 100, 4);             /* the engine stops after 4 */
    assert_int_equal(s.n, 4);
    assert_string_equal(s.envs[0], "a0");
    assert_string_equal(s.envs[3], "a3");
    assert_int_equal(f->t->ops->ack(f->t, s.seqs, s.n), AIRLOCK_OK);
    assert_int_equal(pending(f, "bob", 7), 6);
    assert_int_equal(pending(f, "bob", 8), 10);
    assert_int_equal(pending(f, "carol", 7), 10);
    /* what is left comes next, in order */
    s = fetch(f, 100, 0);
    assert_int_equal(s.n, 6);
    assert_string_equal(s.envs[0], "a4");
    assert_string_equal(s.envs[5], "a9");
    assert_int_equal(f->t->ops->ack(f->t, s.seqs, s.n), AIRLOCK_OK);
    assert_int_equal(pending(f, "bob", 7), 0);
    assert_int_equal(pending(f, "bob", 8), 10);
    assert_int_equal(pending(f, "carol", 7), 10);
}

/* Envelopes queued after the fetch are newer than anything handed over:
 * acknowledging the fetch leaves them alone. */
static void test_later_envelopes_stay(void **state)
{
    fx *f = *state;
    seen s, s2;
    int i;

    for (i = 0; i < 5; i++)
        enqueue(f, "bob", 7, 'a', i);
    s = fetch(f, 100, 0);
    assert_int_equal(s.n, 5);
    for (i = 0; i < 3; i++)
        enqueue(f, "bob", 7, 'n', i);
    assert_int_equal(f->t->ops->ack(f->t, s.seqs, s.n), AIRLOCK_OK);
    assert_int_equal(pending(f, "bob", 7), 3);
    s2 = fetch(f, 100, 0);
    assert_int_equal(s2.n, 3);
    assert_string_equal(s2.envs[0], "n0");
    assert_string_equal(s2.envs[2], "n2");
}

/* Not a prefix of what was handed over: only the named envelopes go. */
static void test_other_sets_row_by_row(void **state)
{
    fx *f = *state;
    seen s;
    int64_t pick[2];
    int i;

    for (i = 0; i < 6; i++)
        enqueue(f, "bob", 7, 'a', i);
    s = fetch(f, 100, 0);
    assert_int_equal(s.n, 6);
    /* the second and the fifth */
    pick[0] = s.seqs[1];
    pick[1] = s.seqs[4];
    assert_int_equal(f->t->ops->ack(f->t, pick, 2), AIRLOCK_OK);
    assert_int_equal(pending(f, "bob", 7), 4);
    /* the same envelopes again (nothing left to delete) and an unknown
     * sequence number: harmless */
    pick[1] = s.seqs[5] + 1000;
    assert_int_equal(f->t->ops->ack(f->t, pick, 2), AIRLOCK_OK);
    assert_int_equal(pending(f, "bob", 7), 4);
    s = fetch(f, 100, 0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.envs[0], "a0");
    assert_string_equal(s.envs[1], "a2");
    assert_string_equal(s.envs[2], "a3");
    assert_string_equal(s.envs[3], "a5");
    /* a prefix of a list that skips one is not a range either */
    pick[0] = s.seqs[0];
    pick[1] = s.seqs[2];
    assert_int_equal(f->t->ops->ack(f->t, pick, 2), AIRLOCK_OK);
    s = fetch(f, 100, 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.envs[0], "a2");
    assert_string_equal(s.envs[1], "a5");
    /* an ack without a fetch before it: row by row */
    assert_int_equal(f->t->ops->ack(f->t, s.seqs, s.n), AIRLOCK_OK);
    assert_int_equal(f->t->ops->ack(f->t, s.seqs, s.n), AIRLOCK_OK);
    assert_int_equal(pending(f, "bob", 7), 0);
}

/* The relay's ranged delete: only (addr, dev), only inside the range. */
static void test_relay_ack_range(void **state)
{
    fx *f = *state;
    seen s;
    int i;

    for (i = 0; i < 8; i++) {
        enqueue(f, "bob", 7, 'a', i);
        enqueue(f, "bob", 9, 'z', i);
    }
    s = fetch(f, 100, 0);
    assert_int_equal(s.n, 8);
    assert_int_equal(store_relay_ack_range(f->r, "bob", 7, s.seqs[2],
                                           s.seqs[1]), AIRLOCK_ERR_ARG);
    assert_int_equal(store_relay_ack_range(f->r, "", 7, s.seqs[0],
                                           s.seqs[1]), AIRLOCK_ERR_ARG);
    assert_int_equal(store_relay_ack_range(f->r, "bob", 7, s.seqs[2],
                                           s.seqs[5]), AIRLOCK_OK);
    assert_int_equal(pending(f, "bob", 7), 4);
    assert_int_equal(pending(f, "bob", 9), 8);
    /* a single envelope, and inside a caller's own transaction */
    assert_int_equal(store_relay_begin(f->r), AIRLOCK_OK);
    assert_int_equal(store_relay_ack_range(f->r, "bob", 7, s.seqs[7],
                                           s.seqs[7]), AIRLOCK_OK);
    assert_int_equal(store_relay_commit(f->r), AIRLOCK_OK);
    s = fetch(f, 100, 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.envs[0], "a0");
    assert_string_equal(s.envs[1], "a1");
    assert_string_equal(s.envs[2], "a6");
    /* the mailbox is still written durably afterwards: a sender's enqueue
     * and a second handle's view */
    enqueue(f, "bob", 7, 'q', 0);
    assert_int_equal(pending(f, "bob", 7), 4);
}

/* More envelopes than one fetch remembers: acknowledged correctly all the
 * same (row by row). */
typedef struct all {
    int64_t *seqs;
    size_t n, cap;
} all;

static int all_cb(int64_t seq, const uint8_t *env, size_t n, void *arg)
{
    all *a = arg;

    (void)env;
    (void)n;
    assert_true(a->n < a->cap);
    a->seqs[a->n++] = seq;
    return 0;
}

static void test_large_fetch(void **state)
{
    fx *f = *state;
    all a;
    int i;

    a.cap = 20000;
    a.n = 0;
    assert_non_null(a.seqs = calloc(a.cap, sizeof *a.seqs));
    assert_int_equal(store_relay_begin(f->r), AIRLOCK_OK);
    for (i = 0; i < 17000; i++)
        enqueue(f, "bob", 7, 'a', i);
    enqueue(f, "bob", 8, 'b', 0);
    assert_int_equal(store_relay_commit(f->r), AIRLOCK_OK);
    assert_int_equal(f->t->ops->fetch(f->t, a.cap, all_cb, &a), AIRLOCK_OK);
    assert_int_equal(a.n, 17000);
    /* all but the last one */
    assert_int_equal(f->t->ops->ack(f->t, a.seqs, a.n - 1), AIRLOCK_OK);
    assert_int_equal(pending(f, "bob", 7), 1);
    assert_int_equal(pending(f, "bob", 8), 1);
    free(a.seqs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prefix_is_one_range, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_later_envelopes_stay, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_other_sets_row_by_row, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_relay_ack_range, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_large_fetch, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_crash.c - crash safety: a child commits inbound messages in batches
 * and reports each committed id on a pipe after its commit returns; the
 * parent SIGKILLs it at random moments, 200 times, restarting it each
 * time. Afterwards the database passes PRAGMA integrity_check and every
 * reported id is stored exactly once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/store.h"

#define KILLS 200
#define BATCH 5
#define MAX_IDS ((KILLS + 1) * 1000)

static char dir[192];

static store *open_store(bool create)
{
    store_open_args a;
    store *s = NULL;

    memset(&a, 0, sizeof a);
    a.dir = dir;
    a.mode = STORE_NO_PASSPHRASE;
    a.create = create;
    a.fast_kdf = true;
    if (store_open(&a, &s) != AIRLOCK_OK)
        return NULL;
    return s;
}

/* The child: commit batches forever, report ids after each commit. */
static void child(int fd, uint32_t start)
{
    store *s = open_store(false);
    uint32_t next = start;

    if (s == NULL)
        _exit(3);
    for (;;) {
        uint32_t ids[BATCH];
        int i;

        /* this child's id range is 1000 wide: stop short of the next */
        while (next + BATCH > start + 1000)
            pause();
        if (store_begin(s) != AIRLOCK_OK)
            _exit(4);
        for (i = 0; i < BATCH; i++) {
            store_msg m;
            uint8_t dedup[8];

            memset(&m, 0, sizeof m);
            ids[i] = next++;
            memcpy(m.id, &ids[i], sizeof ids[i]);
            memcpy(dedup, "crash", 5);
            memcpy(dedup + 4, &ids[i], 4);
            snprintf(m.conversation, sizeof m.conversation, "bob");
            snprintf(m.sender, sizeof m.sender, "bob");
            m.content = (const uint8_t *)"payload";
            m.content_n = 7;
            m.dedup = dedup;
            m.dedup_n = sizeof dedup;
            if (store_msg_insert(s, &m) != AIRLOCK_OK)
                _exit(5);
        }
        if (store_commit(s) != AIRLOCK_OK)
            _exit(6);
        if (write(fd, ids, sizeof ids) != (ssize_t)sizeof ids)
            _exit(7);
    }
}

typedef struct count_ctx {
    uint8_t *seen;            /* per id: how many times stored */
    uint32_t max;
    int bad;
} count_ctx;

static int count_cb(const store_msg *m, void *arg)
{
    count_ctx *c = arg;
    uint32_t id;

    memcpy(&id, m->id, sizeof id);
    if (id >= c->max)
        c->bad++;
    else
        c->seen[id]++;
    return 0;
}

static void test_sigkill_200(void **state)
{
    uint8_t *reported = calloc(MAX_IDS, 1);
    count_ctx cc;
    store *s;
    uint32_t start = 0, total = 0, i;
    int k;

    (void)state;
    snprintf(dir, sizeof dir, "/tmp/airlock-crash-XXXXXX");
    assert_non_null(mkdtemp(dir));
    strncat(dir, "/acct", sizeof dir - strlen(dir) - 1);
    s = open_store(true);
    assert_non_null(s);
    assert_int_equal(store_contact_ensure(s, "bob", 1), AIRLOCK_OK);
    store_close(s);
    srand((unsigned)time(NULL));
    for (k = 0; k < KILLS; k++) {
        int p[2], st;
        pid_t pid;
        uint32_t ids[BATCH];
        ssize_t r;
        struct timespec ts;

        assert_int_equal(pipe(p), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            child(p[1], start);
        }
        close(p[1]);
        /* let it run for a random moment: 0 to 30 ms */
        ts.tv_sec = 0;
        ts.tv_nsec = (long)(rand() % 30000) * 1000L;
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        while ((r = read(p[0], ids, sizeof ids)) == (ssize_t)sizeof ids)
            for (i = 0; i < BATCH; i++) {
                assert_true(ids[i] < MAX_IDS);
                reported[ids[i]] = 1;
                total++;
            }
        close(p[0]);
        /* the next child starts after every id any child could have used */
        start += 1000;
        assert_true(start < MAX_IDS);
    }
    s = open_store(false);
    assert_non_null(s);
    assert_int_equal(store_check_integrity(s), AIRLOCK_OK);
    cc.seen = calloc(MAX_IDS, 1);
    cc.max = MAX_IDS;
    cc.bad = 0;
    assert_int_equal(store_msg_page(s, "bob", 0, 100000, count_cb, &cc),
                     AIRLOCK_OK);
    assert_int_equal(cc.bad, 0);
    for (i = 0; i < MAX_IDS; i++) {
        if (reported[i])
            assert_int_equal(cc.seen[i], 1);     /* acknowledged: stored once */
        else
            assert_true(cc.seen[i] <= 1);
    }
    print_message("%u ids reported by killed children, all present once\n",
                  total);
    assert_true(total > 0);
    store_close(s);
    free(cc.seen);
    free(reported);
    {
        char cmd[256];

        snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", (int)(strlen(dir) - 5),
                 dir);
        assert_int_equal(system(cmd), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_200),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

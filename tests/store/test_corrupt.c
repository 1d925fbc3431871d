/*
 * test_corrupt.c - a populated database with bytes flipped at many
 * offsets, and truncated at several lengths: every open and read either
 * succeeds with the right data or fails with a clean error. Run under
 * ASan/UBSan in the sanitizer build.
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

#define STEP 211
#define MSGS 40

static char root[128], good[192];

static airlock_err open_at(const char *dir, bool create, store **s)
{
    store_open_args a;

    memset(&a, 0, sizeof a);
    a.dir = dir;
    a.mode = STORE_NO_PASSPHRASE;
    a.create = create;
    a.fast_kdf = true;
    return store_open(&a, s);
}

static void populate(void)
{
    store *s = NULL;
    int i;

    assert_int_equal(open_at(good, true, &s), AIRLOCK_OK);
    assert_int_equal(store_begin(s), AIRLOCK_OK);
    assert_int_equal(store_contact_ensure(s, "bob", 1), AIRLOCK_OK);
    for (i = 0; i < MSGS; i++) {
        store_msg m;
        char body[32];

        memset(&m, 0, sizeof m);
        memset(m.id, i + 1, sizeof m.id);
        snprintf(m.conversation, sizeof m.conversation, "bob");
        snprintf(m.sender, sizeof m.sender, "bob");
        snprintf(body, sizeof body, "message number %02d", i);
        m.content = (const uint8_t *)body;
        m.content_n = strlen(body);
        assert_int_equal(store_msg_insert(s, &m), AIRLOCK_OK);
        assert_int_equal(store_sig_session_put(s, "bob", (uint32_t)i + 1,
                                               (const uint8_t *)body,
                                               strlen(body)), AIRLOCK_OK);
    }
    assert_int_equal(store_commit(s), AIRLOCK_OK);
    store_close(s);
}

static int check_msg(const store_msg *m, void *arg)
{
    char want[32];
    int i = m->id[0] - 1;

    (*(int *)arg)++;
    /* whatever opens is authentic: sealed content cannot be altered */
    assert_true(i >= 0 && i < MSGS);
    snprintf(want, sizeof want, "message number %02d", i);
    assert_int_equal(m->content_n, strlen(want));
    assert_memory_equal(m->content, want, m->content_n);
    return 0;
}

static void exercise(const char *dir)
{
    store *s = NULL;
    int n = 0, i;

    if (open_at(dir, false, &s) != AIRLOCK_OK) {
        assert_null(s);
        return;
    }
    (void)store_msg_page(s, "bob", 0, 1000, check_msg, &n);
    for (i = 1; i <= MSGS; i++) {
        uint8_t *rec = NULL;
        size_t rn = 0;
        char want[32];

        if (store_sig_session_get(s, "bob", (uint32_t)i, &rec, &rn) ==
            AIRLOCK_OK) {
            snprintf(want, sizeof want, "message number %02d", i - 1);
            assert_int_equal(rn, strlen(want));
            assert_memory_equal(rec, want, rn);
            store_buf_free(rec, rn);
        }
    }
    (void)store_check_integrity(s);
    store_close(s);
}

static long file_size(const char *p)
{
    struct stat sb;

    return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

static void copy_dir(const char *to)
{
    char cmd[512];

    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", to, good, to);
    assert_int_equal(system(cmd), 0);
}

static void test_flips_and_truncations(void **state)
{
    char bad[192], db[256];
    long size, off;
    unsigned tried = 0;

    (void)state;
    snprintf(root, sizeof root, "/tmp/airlock-corrupt-XXXXXX");
    assert_non_null(mkdtemp(root));
    snprintf(good, sizeof good, "%s/good", root);
    snprintf(bad, sizeof bad, "%s/bad", root);
    populate();
    exercise(good);      /* sanity: the good copy reads back */
    snprintf(db, sizeof db, "%s/account.db", good);
    size = file_size(db);
    assert_true(size > 4096);
    snprintf(db, sizeof db, "%s/account.db", bad);
    for (off = 0; off < size; off += STEP) {
        FILE *f;
        int c;

        copy_dir(bad);
        f = fopen(db, "r+b");
        assert_non_null(f);
        fseek(f, off, SEEK_SET);
        c = fgetc(f);
        fseek(f, off, SEEK_SET);
        fputc(c ^ 0x5a, f);
        fclose(f);
        exercise(bad);
        tried++;
    }
    for (off = 0; off < size; off += size / 7 + 1) {
        copy_dir(bad);
        assert_int_equal(truncate(db, off), 0);
        exercise(bad);
        tried++;
    }
    print_message("%u damaged copies opened and read without a crash\n",
                  tried);
    {
        char cmd[256];

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        assert_int_equal(system(cmd), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flips_and_truncations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_corrupt.c - hostile and broken files: a populated database (with
 * and without a passphrase) with a byte flipped at every 97th offset, the
 * same for a write-ahead log left behind by a crash, and truncations at
 * many lengths. Every open and every read either succeeds with the right
 * data or fails with a clean airlock_err; never a crash (this test also
 * runs under ASan/UBSan in the sanitizer build). To keep the run short,
 * the WAL (each copy of it costs a checkpoint on close) and the
 * passphrase database past its first pages are flipped at every 291st
 * byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/store.h"

#define STEP 97
#define WAL_STEP (3 * STEP)
#define MSGS 40           /* committed and checkpointed */
#define WAL_MSGS 20       /* committed, still in the WAL */
#define PASS "corrupt me"

typedef struct image {
    uint8_t *db, *wal, *key;
    size_t db_n, wal_n, key_n;
    bool pass;
} image;

typedef struct tally {
    unsigned opened, refused, reads_ok, reads_failed;
} tally;

static char root[128];

static airlock_err open_at(const char *dir, bool pass, bool create,
                           store **s)
{
    store_open_args a;

    memset(&a, 0, sizeof a);
    a.dir = dir;
    a.mode = pass ? STORE_PASSPHRASE : STORE_NO_PASSPHRASE;
    a.passphrase = pass ? PASS : NULL;
    a.passphrase_len = pass ? strlen(PASS) : 0;
    a.create = create;
    a.fast_kdf = true;
    return store_open(&a, s);
}

static void body_of(int i, char *out, size_t cap)
{
    snprintf(out, cap, "message number %02d", i);
}

static void insert_msgs(store *s, int from, int to)
{
    int i;

    assert_int_equal(store_begin(s), AIRLOCK_OK);
    for (i = from; i < to; i++) {
        store_msg m;
        char body[32];

        memset(&m, 0, sizeof m);
        memset(m.id, i + 1, sizeof m.id);
        snprintf(m.conversation, sizeof m.conversation, "bob");
        snprintf(m.sender, sizeof m.sender, "bob");
        body_of(i, body, sizeof body);
        m.content = (const uint8_t *)body;
        m.content_n = strlen(body);
        m.dedup = m.id;
        m.dedup_n = 8;
        assert_int_equal(store_msg_insert(s, &m), AIRLOCK_OK);
        assert_int_equal(store_sig_session_put(s, "bob", (uint32_t)i + 1,
                                               (const uint8_t *)body,
                                               strlen(body)), AIRLOCK_OK);
    }
    assert_int_equal(store_commit(s), AIRLOCK_OK);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long len;

    *n = 0;
    if (f == NULL)
        return NULL;
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    assert_true(len >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static void spit(const char *dir, const char *name, const uint8_t *p,
                 size_t n)
{
    char path[256];
    int fd;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    (void)unlink(path);
    if (p == NULL)
        return;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
}

/* A populated account; with `wal`, WAL_MSGS more messages are committed
 * and the files are copied while the store is still open, as a crash
 * would leave them. */
static void populate(image *im, bool pass, bool wal)
{
    char dir[192], path[256];
    store *s = NULL;
    store_self self;
    uint8_t pub[33], priv[32], id[16] = { 0xee };

    snprintf(dir, sizeof dir, "%s/good-%d-%d", root, pass, wal);
    assert_int_equal(open_at(dir, pass, true, &s), AIRLOCK_OK);
    memset(pub, 5, sizeof pub);
    memset(priv, 0xa7, sizeof priv);
    memset(&self, 0, sizeof self);
    self.identity_pub = pub;
    self.identity_pub_n = sizeof pub;
    self.identity_priv = priv;
    self.identity_priv_n = sizeof priv;
    assert_int_equal(store_self_put(s, &self), AIRLOCK_OK);
    assert_int_equal(store_contact_ensure(s, "bob", 1), AIRLOCK_OK);
    assert_int_equal(store_meta_set_sealed(s, "pw",
                                           (const uint8_t *)"hunter2", 7),
                     AIRLOCK_OK);
    assert_int_equal(store_outbox_add(s, id, "bob",
                                      (const uint8_t *)"frame", 5),
                     AIRLOCK_OK);
    assert_int_equal(store_event_add(s, AIRLOCK_SEC_BLOCKED_DROP, "eve",
                                     "dropped", 1, 0), AIRLOCK_OK);
    insert_msgs(s, 0, MSGS);
    if (wal) {
        store_close(s);
        assert_int_equal(open_at(dir, pass, false, &s), AIRLOCK_OK);
        insert_msgs(s, MSGS, MSGS + WAL_MSGS / 2);
        insert_msgs(s, MSGS + WAL_MSGS / 2, MSGS + WAL_MSGS);
    } else {
        store_close(s);
        s = NULL;
    }
    memset(im, 0, sizeof *im);
    im->pass = pass;
    snprintf(path, sizeof path, "%s/account.db", dir);
    im->db = slurp(path, &im->db_n);
    assert_non_null(im->db);
    snprintf(path, sizeof path, "%s/account.db-wal", dir);
    im->wal = slurp(path, &im->wal_n);
    if (wal)
        assert_true(im->wal != NULL && im->wal_n > 4096);
    snprintf(path, sizeof path, "%s/db.key", dir);
    im->key = slurp(path, &im->key_n);
    store_close(s);
}

static void image_free(image *im)
{
    free(im->db);
    free(im->wal);
    free(im->key);
}

static int check_msg(const store_msg *m, void *arg)
{
    char want[32];
    int i = m->id[0] - 1;

    (*(int *)arg)++;
    /* whatever opens is authentic: sealed content cannot be altered */
    assert_true(i >= 0 && i < MSGS + WAL_MSGS);
    body_of(i, want, sizeof want);
    assert_int_equal(m->content_n, strlen(want));
    assert_memory_equal(m->content, want, m->content_n);
    assert_string_equal(m->conversation, "bob");
    assert_true(strlen(m->sender) <= STORE_ADDR_MAX);
    return 0;
}

static int check_contact(const store_contact *c, void *arg)
{
    (void)arg;
    assert_true(strlen(c->address) <= STORE_ADDR_MAX);
    assert_true(strlen(c->label) <= STORE_ADDR_MAX);
    assert_true(c->trust <= AIRLOCK_TRUST_BLOCKED);
    return 0;
}

static int check_event(const airlock_security_event *e, void *arg)
{
    (void)arg;
    assert_non_null(e->sender);
    assert_non_null(e->detail);
    assert_true(strlen(e->sender) <= STORE_ADDR_MAX);
    return 0;
}

static int check_outbox(const uint8_t id[16], const char *to,
                        const uint8_t *frame, size_t n, void *arg)
{
    (void)id;
    (void)arg;
    assert_true(strlen(to) <= STORE_ADDR_MAX);
    assert_int_equal(n, 5);
    assert_memory_equal(frame, "frame", 5);
    return 0;
}

static void count(tally *t, airlock_err err)
{
    /* a clean refusal is one of the codes the header names */
    assert_true(err == AIRLOCK_OK || err == AIRLOCK_ERR_CORRUPT ||
                err == AIRLOCK_ERR_STORE || err == AIRLOCK_ERR_NOT_FOUND ||
                err == AIRLOCK_ERR_DUPLICATE || err == AIRLOCK_ERR_IO ||
                err == AIRLOCK_ERR_NOMEM || err == AIRLOCK_ERR_STATE);
    if (err == AIRLOCK_OK)
        t->reads_ok++;
    else
        t->reads_failed++;
}

/* Open the damaged copy and use every reader (and, with `write`, a
 * write: each commit is an fsync, so not on every copy). */
static void exercise(const char *dir, bool pass, int sessions, bool write,
                     tally *t)
{
    store *s = NULL;
    store_self self;
    store_contact c;
    store_msg m;
    uint8_t *v = NULL;
    size_t n = 0;
    int seen = 0, i;
    airlock_err err;

    err = open_at(dir, pass, false, &s);
    if (err != AIRLOCK_OK) {
        assert_null(s);
        assert_true(err == AIRLOCK_ERR_CORRUPT || err == AIRLOCK_ERR_STORE ||
                    err == AIRLOCK_ERR_SCHEMA || err == AIRLOCK_ERR_PASSPHRASE ||
                    err == AIRLOCK_ERR_IO || err == AIRLOCK_ERR_NOMEM);
        t->refused++;
        return;
    }
    t->opened++;
    count(t, store_msg_page(s, "bob", 0, 1000, check_msg, &seen));
    for (i = 1; i <= sessions; i++) {
        char want[32];

        err = store_sig_session_get(s, "bob", (uint32_t)i, &v, &n);
        count(t, err);
        if (err == AIRLOCK_OK) {
            body_of(i - 1, want, sizeof want);
            assert_int_equal(n, strlen(want));
            assert_memory_equal(v, want, n);
        }
        store_buf_free(v, n);
        v = NULL;
    }
    err = store_self_get(s, &self);
    count(t, err);
    if (err == AIRLOCK_OK) {
        assert_int_equal(self.identity_priv_n, 32);
        assert_int_equal(self.identity_priv[0], 0xa7);
        store_self_clear(&self);
    }
    err = store_meta_get_sealed(s, "pw", &v, &n);
    count(t, err);
    if (err == AIRLOCK_OK) {
        assert_int_equal(n, 7);
        assert_memory_equal(v, "hunter2", 7);
    }
    store_buf_free(v, n);
    count(t, store_contact_get(s, "bob", &c));
    count(t, store_contact_each(s, 0xf, check_contact, NULL));
    count(t, store_event_each(s, 100, check_event, NULL));
    count(t, store_outbox_each(s, check_outbox, NULL));
    /* a write into a damaged file fails cleanly or works */
    memset(&m, 0, sizeof m);
    memset(m.id, 0xf0, sizeof m.id);
    snprintf(m.conversation, sizeof m.conversation, "bob");
    snprintf(m.sender, sizeof m.sender, "bob");
    m.content = (const uint8_t *)"late";
    m.content_n = 4;
    if (write && store_begin(s) == AIRLOCK_OK) {
        err = store_msg_insert(s, &m);
        count(t, err);
        if (err == AIRLOCK_OK)
            count(t, store_commit(s));
        else
            store_rollback(s);
    }
    (void)store_check_integrity(s);
    store_close(s);
}

/* Lay the image down in `dir`, with byte `off` of the chosen file flipped
 * (or the file cut to `cut` bytes). */
static void lay(const char *dir, const image *im, bool in_wal, long off,
                long cut)
{
    uint8_t *buf;
    size_t n = in_wal ? im->wal_n : im->db_n;

    buf = malloc(n + 1);
    assert_non_null(buf);
    memcpy(buf, in_wal ? im->wal : im->db, n);
    if (off >= 0)
        buf[off] ^= 0x5a;
    if (cut >= 0)
        n = (size_t)cut;
    spit(dir, "account.db-shm", NULL, 0);
    spit(dir, "account.db", in_wal ? im->db : buf, in_wal ? im->db_n : n);
    spit(dir, "account.db-wal", in_wal ? buf : im->wal,
         in_wal ? n : im->wal_n);
    spit(dir, "db.key", im->key, im->key_n);
    free(buf);
}

/* The distance to the next flipped byte: every STEP-th byte, or with
 * `sparse` every STEP-th in the first pages (header, schema, meta) and
 * every WAL_STEP-th after them. */
static long next_off(long off, bool sparse)
{
    return off + (sparse && off >= 4 * 4096 ? WAL_STEP : STEP);
}

static void damage_all(const image *im, bool in_wal, bool sparse,
                       const char *what)
{
    char dir[192];
    long size = (long)(in_wal ? im->wal_n : im->db_n), off;
    int sessions = in_wal ? MSGS + WAL_MSGS : MSGS;
    unsigned k = 0;
    tally t;

    memset(&t, 0, sizeof t);
    snprintf(dir, sizeof dir, "%s/bad", root);
    if (mkdir(dir, 0700) != 0)
        assert_int_equal(chmod(dir, 0700), 0);
    lay(dir, im, in_wal, -1, -1);
    exercise(dir, im->pass, sessions, true, &t);   /* the good copy reads */
    assert_int_equal(t.opened, 1);
    assert_int_equal(t.reads_failed, 0);
    for (off = 0; off < size; off = next_off(off, sparse)) {
        lay(dir, im, in_wal, off, -1);
        exercise(dir, im->pass, sessions, k++ % 32 == 0, &t);
    }
    for (off = 0; off < size; off += size / 23 + 1) {
        lay(dir, im, in_wal, -1, off);
        exercise(dir, im->pass, sessions, k++ % 4 == 0, &t);
    }
    print_message("%s (%ld bytes): %u opened, %u refused; reads %u ok, "
                  "%u refused cleanly\n", what, size, t.opened, t.refused,
                  t.reads_ok, t.reads_failed);
    /* the damage was real: some copies were refused or read short */
    assert_true(t.refused > 0 || t.reads_failed > 0);
}

static void rm_root(void)
{
    char cmd[256];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/airlock-corrupt-XXXXXX");
    assert_non_null(mkdtemp(root));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_root();
    return 0;
}

static void test_database_key_file(void **state)
{
    image im;

    (void)state;
    populate(&im, false, false);
    assert_null(im.wal);
    assert_true(im.db_n > 8 * 4096);
    damage_all(&im, false, false, "database, key file");
    image_free(&im);
}

static void test_database_passphrase(void **state)
{
    image im;

    (void)state;
    populate(&im, true, false);
    damage_all(&im, false, true, "database, passphrase");
    image_free(&im);
}

static void test_wal_after_crash(void **state)
{
    image im;

    (void)state;
    populate(&im, false, true);
    damage_all(&im, true, true, "write-ahead log");
    image_free(&im);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_database_key_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_database_passphrase, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wal_after_crash, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

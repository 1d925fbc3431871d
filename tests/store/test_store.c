/*
 * test_store.c - the account store: files and permissions, the database
 * key (passphrase and key file), sealing bound to rows, schema versions
 * and the v0 -> v1 migration, the libsignal record contract, identities,
 * contacts, messages, outbox, events, buckets.
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

#include <sqlite3.h>

#include "store/store.h"
#include "store/store_int.h"

typedef struct fx {
    char root[128];
    char dir[192];
    store *s;
} fx;

static void rm_tree(const char *dir)
{
    char cmd[512];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static airlock_err open_dir(const char *dir, store_pass_mode mode,
                            const char *pass, bool create, store **out)
{
    store_open_args a;

    memset(&a, 0, sizeof a);
    a.dir = dir;
    a.mode = mode;
    a.passphrase = pass;
    a.passphrase_len = pass != NULL ? strlen(pass) : 0;
    a.create = create;
    a.fast_kdf = true;
    return store_open(&a, out);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);

    snprintf(f->root, sizeof f->root, "/tmp/airlock-store-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    snprintf(f->dir, sizeof f->dir, "%s/acct", f->root);
    assert_int_equal(open_dir(f->dir, STORE_NO_PASSPHRASE, NULL, true, &f->s),
                     AIRLOCK_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    store_close(f->s);
    rm_tree(f->root);
    free(f);
    return 0;
}

static void test_permissions(void **state)
{
    fx *f = *state;
    struct stat sb;
    char path[256];
    store *s2 = NULL;

    assert_int_equal(stat(f->dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(path, sizeof path, "%s/account.db", f->dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/db.key", f->dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    store_close(f->s);
    f->s = NULL;
    /* a group-readable directory or file is refused */
    assert_int_equal(chmod(f->dir, 0750), 0);
    assert_int_equal(open_dir(f->dir, STORE_NO_PASSPHRASE, NULL, false, &s2),
                     AIRLOCK_ERR_PERM);
    assert_null(s2);
    assert_int_equal(chmod(f->dir, 0700), 0);
    snprintf(path, sizeof path, "%s/account.db", f->dir);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(open_dir(f->dir, STORE_NO_PASSPHRASE, NULL, false, &s2),
                     AIRLOCK_ERR_PERM);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(open_dir(f->dir, STORE_NO_PASSPHRASE, NULL, false,
                              &f->s), AIRLOCK_OK);
    /* creating over an existing account is refused */
    assert_int_equal(open_dir(f->dir, STORE_NO_PASSPHRASE, NULL, true, &s2),
                     AIRLOCK_ERR_EXISTS);
}

static int count_event(const airlock_security_event *e, void *arg)
{
    if (e->kind == AIRLOCK_SEC_NO_PASSPHRASE)
        (*(int *)arg)++;
    return 0;
}

static void test_no_passphrase_event(void **state)
{
    fx *f = *state;
    int n = 0;

    assert_int_equal(store_event_each(f->s, 100, count_event, &n),
                     AIRLOCK_OK);
    assert_int_equal(n, 1);
}

static void test_passphrase(void **state)
{
    fx *f = *state;
    char dir[256];
    store *s = NULL;
    uint8_t *v = NULL;
    size_t n = 0;

    snprintf(dir, sizeof dir, "%s/pp", f->root);
    assert_int_equal(open_dir(dir, STORE_PASSPHRASE, "correct horse", true,
                              &s), AIRLOCK_OK);
    assert_int_equal(store_meta_set(s, "k", (const uint8_t *)"v", 1),
                     AIRLOCK_OK);
    store_close(s);
    s = NULL;
    assert_int_equal(open_dir(dir, STORE_PASSPHRASE, "wrong horse", false,
                              &s), AIRLOCK_ERR_PASSPHRASE);
    assert_null(s);
    assert_int_equal(open_dir(dir, STORE_NO_PASSPHRASE, NULL, false, &s),
                     AIRLOCK_ERR_PASSPHRASE);
    assert_int_equal(open_dir(dir, STORE_PASSPHRASE, "correct horse", false,
                              &s), AIRLOCK_OK);
    assert_int_equal(store_meta_get(s, "k", &v, &n), AIRLOCK_OK);
    assert_int_equal(n, 1);
    free(v);
    store_close(s);
}

/* A sealed blob moved to another row does not open: the associated data
 * names table, column and row. */
static void test_sealing_bound_to_row(void **state)
{
    fx *f = *state;
    static const uint8_t rec1[] = "session record one";
    static const uint8_t rec2[] = "session record two";
    uint8_t *out = NULL;
    size_t n = 0;

    assert_int_equal(store_sig_session_put(f->s, "bob", 1, rec1,
                                           sizeof rec1), AIRLOCK_OK);
    assert_int_equal(store_sig_session_put(f->s, "bob", 2, rec2,
                                           sizeof rec2), AIRLOCK_OK);
    assert_int_equal(sqlite3_exec(f->s->db,
        "UPDATE sessions SET record = (SELECT record FROM sessions WHERE "
        "device = 1) WHERE device = 2", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(store_sig_session_get(f->s, "bob", 2, &out, &n),
                     AIRLOCK_ERR_CORRUPT);
    assert_null(out);
    assert_int_equal(store_sig_session_get(f->s, "bob", 1, &out, &n),
                     AIRLOCK_OK);
    assert_memory_equal(out, rec1, sizeof rec1);
    store_buf_free(out, n);
    /* a flipped bit in a sealed blob */
    assert_int_equal(sqlite3_exec(f->s->db,
        "UPDATE sessions SET record = CAST(zeroblob(60) AS BLOB) WHERE "
        "device = 1", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(store_sig_session_get(f->s, "bob", 1, &out, &n),
                     AIRLOCK_ERR_CORRUPT);
    /* private key sealed: the plaintext is not in the database file */
}

static void test_private_key_sealed(void **state)
{
    fx *f = *state;
    store_self self, got;
    uint8_t pub[33], priv[32];
    char path[256];
    FILE *fp;
    uint8_t *buf;
    long len, i;

    memset(pub, 5, sizeof pub);
    memset(priv, 0xA7, sizeof priv);
    memset(&self, 0, sizeof self);
    self.registration_id = 77;
    self.device_id = 1234;
    self.identity_pub = pub;
    self.identity_pub_n = sizeof pub;
    self.identity_priv = priv;
    self.identity_priv_n = sizeof priv;
    assert_int_equal(store_self_put(f->s, &self), AIRLOCK_OK);
    assert_int_equal(store_self_get(f->s, &got), AIRLOCK_OK);
    assert_int_equal(got.device_id, 1234);
    assert_int_equal(got.identity_priv_n, 32);
    assert_memory_equal(got.identity_priv, priv, 32);
    store_self_clear(&got);
    store_close(f->s);
    f->s = NULL;
    snprintf(path, sizeof path, "%s/account.db", f->dir);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    buf = malloc((size_t)len);
    assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    for (i = 0; i + 32 <= len; i++)
        assert_false(memcmp(buf + i, priv, 32) == 0);
    free(buf);
    assert_int_equal(open_dir(f->dir, STORE_NO_PASSPHRASE, NULL, false,
                              &f->s), AIRLOCK_OK);
}

static void test_newer_schema(void **state)
{
    fx *f = *state;
    store *s = NULL;

    assert_int_equal(sqlite3_exec(f->s->db, "PRAGMA user_version=99", NULL,
                                  NULL, NULL), SQLITE_OK);
    store_close(f->s);
    f->s = NULL;
    assert_int_equal(open_dir(f->dir, STORE_NO_PASSPHRASE, NULL, false, &s),
                     AIRLOCK_ERR_SCHEMA);
    assert_null(s);
    /* nothing was changed: still version 99 */
    {
        sqlite3 *db;
        sqlite3_stmt *st;
        char path[256];

        snprintf(path, sizeof path, "%s/account.db", f->dir);
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1,
                                            &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), 99);
        sqlite3_finalize(st);
        assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=1", NULL,
                                      NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
    }
    assert_int_equal(open_dir(f->dir, STORE_NO_PASSPHRASE, NULL, false,
                              &f->s), AIRLOCK_OK);
}

/* A database written by the previous schema (v0: no content kind, inert
 * or hidden columns, no attachments or buckets tables) opens, migrates,
 * and keeps its rows. */
static void test_migration_from_v0(void **state)
{
    fx *f = *state;
    store_msg m;
    store_bucket b;
    sqlite3_stmt *st;
    int v = -1;

    /* turn the fresh v1 database back into v0 with its messages */
    memset(&m, 0, sizeof m);
    memset(m.id, 9, sizeof m.id);
    snprintf(m.conversation, sizeof m.conversation, "bob");
    snprintf(m.sender, sizeof m.sender, "bob");
    m.sender_device = 1;
    m.content = (const uint8_t *)"\xa1\x01\x02hi";
    m.content_n = 5;
    assert_int_equal(store_contact_ensure(f->s, "bob", 1), AIRLOCK_OK);
    assert_int_equal(store_msg_insert(f->s, &m), AIRLOCK_OK);
    assert_int_equal(sqlite3_exec(f->s->db,
        "DROP TABLE attachments; DROP TABLE buckets;"
        "DROP INDEX events_kind_sender;"
        "ALTER TABLE messages DROP COLUMN kind;"
        "ALTER TABLE messages DROP COLUMN inert;"
        "ALTER TABLE messages DROP COLUMN hidden;"
        "PRAGMA user_version=0", NULL, NULL, NULL), SQLITE_OK);
    store_close(f->s);
    f->s = NULL;
    assert_int_equal(open_dir(f->dir, STORE_NO_PASSPHRASE, NULL, false,
                              &f->s), AIRLOCK_OK);
    assert_int_equal(sqlite3_prepare_v2(f->s->db, "PRAGMA user_version", -1,
                                        &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    assert_int_equal(v, 1);
    assert_int_equal(store_bucket_get(f->s, "x", &b), AIRLOCK_ERR_NOT_FOUND);
    b.tokens = 3;
    b.updated_ms = 5;
    assert_int_equal(store_bucket_put(f->s, "x", &b), AIRLOCK_OK);
    {
        uint32_t n = 0;

        assert_int_equal(store_msg_request_count(f->s, &n), AIRLOCK_OK);
        assert_int_equal(n, 1);
    }
}

static void test_record_contract(void **state)
{
    fx *f = *state;
    uint8_t *rec = NULL;
    size_t n = 0;
    bool has = true;
    uint32_t count = 9, *ids = NULL;
    size_t nid = 0;

    assert_int_equal(store_sig_prekey_get(f->s, 5, &rec, &n),
                     AIRLOCK_ERR_NOT_FOUND);
    assert_int_equal(store_sig_prekey_has(f->s, 5, &has), AIRLOCK_OK);
    assert_false(has);
    assert_int_equal(store_sig_prekey_put(f->s, 5, (const uint8_t *)"pk5", 3),
                     AIRLOCK_OK);
    assert_int_equal(store_sig_prekey_has(f->s, 5, &has), AIRLOCK_OK);
    assert_true(has);
    assert_int_equal(store_sig_prekey_count(f->s, &count), AIRLOCK_OK);
    assert_int_equal(count, 1);
    assert_int_equal(store_sig_prekey_get(f->s, 5, &rec, &n), AIRLOCK_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(rec, "pk5", 3);
    store_buf_free(rec, n);
    assert_int_equal(store_sig_prekey_del(f->s, 5), AIRLOCK_OK);
    assert_int_equal(store_sig_prekey_has(f->s, 5, &has), AIRLOCK_OK);
    assert_false(has);
    assert_int_equal(store_sig_signed_put(f->s, 1, (const uint8_t *)"spk", 3),
                     AIRLOCK_OK);
    assert_int_equal(store_sig_signed_has(f->s, 1, &has), AIRLOCK_OK);
    assert_true(has);
    assert_int_equal(store_sig_session_put(f->s, "bob", 3,
                                           (const uint8_t *)"s3", 2),
                     AIRLOCK_OK);
    assert_int_equal(store_sig_session_put(f->s, "bob", 1,
                                           (const uint8_t *)"s1", 2),
                     AIRLOCK_OK);
    assert_int_equal(store_sig_session_devices(f->s, "bob", &ids, &nid),
                     AIRLOCK_OK);
    assert_int_equal(nid, 2);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 3);
    free(ids);
    assert_int_equal(store_sig_session_del_all(f->s, "bob"), AIRLOCK_OK);
    assert_int_equal(store_sig_session_has(f->s, "bob", 1, &has), AIRLOCK_OK);
    assert_false(has);
    /* limits */
    assert_int_equal(store_sig_session_put(f->s, "", 1,
                                           (const uint8_t *)"x", 1),
                     AIRLOCK_ERR_ARG);
}

static void test_identity_never_overwritten(void **state)
{
    fx *f = *state;
    uint8_t k1[33], k2[33];
    bool changed = true, any = false;
    store_remote_id rid;

    memset(k1, 1, sizeof k1);
    memset(k2, 2, sizeof k2);
    assert_int_equal(store_rid_seen(f->s, "bob", 7, k1, 33, &changed),
                     AIRLOCK_OK);
    assert_false(changed);
    assert_int_equal(store_rid_seen(f->s, "bob", 7, k1, 33, &changed),
                     AIRLOCK_OK);
    assert_false(changed);
    assert_int_equal(store_rid_seen(f->s, "bob", 7, k2, 33, &changed),
                     AIRLOCK_OK);
    assert_true(changed);
    assert_int_equal(store_rid_get(f->s, "bob", 7, &rid), AIRLOCK_OK);
    assert_int_equal(rid.status, STORE_ID_CHANGED);
    assert_memory_equal(rid.key, k1, 33);        /* the old key is kept */
    assert_memory_equal(rid.pending, k2, 33);
    assert_int_equal(store_rid_any_changed(f->s, "bob", &any), AIRLOCK_OK);
    assert_true(any);
    assert_int_equal(store_rid_ack(f->s, "bob"), AIRLOCK_OK);
    assert_int_equal(store_rid_get(f->s, "bob", 7, &rid), AIRLOCK_OK);
    assert_int_equal(rid.status, STORE_ID_FIRST_USE);
    assert_memory_equal(rid.key, k2, 33);
    assert_int_equal(store_rid_set_verified(f->s, "bob"), AIRLOCK_OK);
    assert_int_equal(store_rid_get(f->s, "bob", 7, &rid), AIRLOCK_OK);
    assert_int_equal(rid.status, STORE_ID_VERIFIED);
    assert_int_equal(store_rid_hold(f->s, "bob", 7), AIRLOCK_OK);
    assert_int_equal(store_rid_get(f->s, "bob", 7, &rid), AIRLOCK_OK);
    assert_int_equal(rid.status, STORE_ID_CHANGED);
}

typedef struct page {
    int n;
    int64_t last_seq;
    char first[32];
} page;

static int page_cb(const store_msg *m, void *arg)
{
    page *p = arg;

    if (p->n++ == 0)
        snprintf(p->first, sizeof p->first, "%.*s", (int)m->content_n,
                 (const char *)m->content);
    p->last_seq = m->seq;
    return 0;
}

static void test_messages(void **state)
{
    fx *f = *state;
    store_msg m;
    uint8_t dedup[32];
    bool seen = false;
    page p;
    int i;

    assert_int_equal(store_contact_ensure(f->s, "bob", 1), AIRLOCK_OK);
    assert_int_equal(store_begin(f->s), AIRLOCK_OK);
    for (i = 0; i < 120; i++) {
        char body[16];

        memset(&m, 0, sizeof m);
        base_random(m.id, sizeof m.id);
        snprintf(m.conversation, sizeof m.conversation, "bob");
        snprintf(m.sender, sizeof m.sender, "bob");
        snprintf(body, sizeof body, "msg %03d", i);
        m.content = (const uint8_t *)body;
        m.content_n = strlen(body);
        memset(dedup, 0, sizeof dedup);
        memcpy(dedup, &i, sizeof i);
        m.dedup = dedup;
        m.dedup_n = sizeof dedup;
        m.received_ms = i;
        assert_int_equal(store_msg_insert(f->s, &m), AIRLOCK_OK);
    }
    assert_int_equal(store_commit(f->s), AIRLOCK_OK);
    /* a duplicate dedup key changes nothing */
    i = 5;
    memset(dedup, 0, sizeof dedup);
    memcpy(dedup, &i, sizeof i);
    base_random(m.id, sizeof m.id);
    m.dedup = dedup;
    assert_int_equal(store_msg_insert(f->s, &m), AIRLOCK_ERR_DUPLICATE);
    assert_int_equal(store_msg_seen(f->s, dedup, sizeof dedup, &seen),
                     AIRLOCK_OK);
    assert_true(seen);
    /* newest first, by pages */
    memset(&p, 0, sizeof p);
    assert_int_equal(store_msg_page(f->s, "bob", 0, 50, page_cb, &p),
                     AIRLOCK_OK);
    assert_int_equal(p.n, 50);
    assert_string_equal(p.first, "msg 119");
    {
        page q;

        memset(&q, 0, sizeof q);
        assert_int_equal(store_msg_page(f->s, "bob", p.last_seq, 50, page_cb,
                                        &q), AIRLOCK_OK);
        assert_string_equal(q.first, "msg 069");
        memset(&p, 0, sizeof p);
        assert_int_equal(store_msg_page(f->s, "bob", q.last_seq, 50, page_cb,
                                        &p), AIRLOCK_OK);
        assert_int_equal(p.n, 20);
    }
}

static void test_nested_transactions(void **state)
{
    fx *f = *state;
    uint8_t *v = NULL;
    size_t n = 0;

    assert_int_equal(store_begin(f->s), AIRLOCK_OK);
    assert_int_equal(store_meta_set(f->s, "a", (const uint8_t *)"1", 1),
                     AIRLOCK_OK);
    assert_int_equal(store_begin(f->s), AIRLOCK_OK);
    assert_int_equal(store_meta_set(f->s, "b", (const uint8_t *)"2", 1),
                     AIRLOCK_OK);
    store_rollback(f->s);                 /* inner failure: all rolls back */
    assert_int_equal(store_commit(f->s), AIRLOCK_ERR_STATE);
    assert_int_equal(store_meta_get(f->s, "a", &v, &n),
                     AIRLOCK_ERR_NOT_FOUND);
    assert_int_equal(store_begin(f->s), AIRLOCK_OK);
    assert_int_equal(store_meta_set(f->s, "a", (const uint8_t *)"1", 1),
                     AIRLOCK_OK);
    assert_int_equal(store_commit(f->s), AIRLOCK_OK);
    assert_int_equal(store_meta_get(f->s, "a", &v, &n), AIRLOCK_OK);
    free(v);
}

typedef struct evs {
    int n;
    uint32_t count;
} evs;

static int ev_cb(const airlock_security_event *e, void *arg)
{
    evs *x = arg;

    if (e->kind == AIRLOCK_SEC_BLOCKED_DROP) {
        x->n++;
        x->count += e->count;
    }
    return 0;
}

static void test_events_fold(void **state)
{
    fx *f = *state;
    evs x;
    int i;

    for (i = 0; i < 10; i++)
        assert_int_equal(store_event_add(f->s, AIRLOCK_SEC_BLOCKED_DROP,
                                         "mallory", "dropped", 1000 + i,
                                         60000), AIRLOCK_OK);
    /* outside the folding window: a new row */
    assert_int_equal(store_event_add(f->s, AIRLOCK_SEC_BLOCKED_DROP,
                                     "mallory", "dropped", 1000000, 60000),
                     AIRLOCK_OK);
    memset(&x, 0, sizeof x);
    assert_int_equal(store_event_each(f->s, 100, ev_cb, &x), AIRLOCK_OK);
    assert_int_equal(x.n, 2);
    assert_int_equal(x.count, 11);
}

typedef struct ob {
    int n;
    char to[64];
} ob;

static int ob_cb(const uint8_t id[16], const char *to, const uint8_t *fr,
                 size_t n, void *arg)
{
    ob *o = arg;

    (void)id;
    assert_int_equal(n, 3);
    assert_memory_equal(fr, "env", 3);
    snprintf(o->to, sizeof o->to, "%s", to);
    o->n++;
    return 0;
}

static void test_outbox(void **state)
{
    fx *f = *state;
    uint8_t id[16] = { 1 };
    ob o;

    assert_int_equal(store_outbox_add(f->s, id, "bob",
                                      (const uint8_t *)"env", 3), AIRLOCK_OK);
    memset(&o, 0, sizeof o);
    assert_int_equal(store_outbox_each(f->s, ob_cb, &o), AIRLOCK_OK);
    assert_int_equal(o.n, 1);
    assert_string_equal(o.to, "bob");
    assert_int_equal(store_outbox_del(f->s, id), AIRLOCK_OK);
    memset(&o, 0, sizeof o);
    assert_int_equal(store_outbox_each(f->s, ob_cb, &o), AIRLOCK_OK);
    assert_int_equal(o.n, 0);
}

/* Stored text longer than its named maximum is refused, not copied. */
static void test_hostile_stored_text(void **state)
{
    fx *f = *state;
    store_contact c;
    char q[1024];

    assert_int_equal(store_contact_ensure(f->s, "bob", 1), AIRLOCK_OK);
    snprintf(q, sizeof q, "UPDATE contacts SET label = printf('%%.600c', 'x')"
             " WHERE address = 'bob'");
    assert_int_equal(sqlite3_exec(f->s->db, q, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(store_contact_get(f->s, "bob", &c), AIRLOCK_ERR_CORRUPT);
    assert_int_equal(sqlite3_exec(f->s->db, "UPDATE contacts SET trust = 9",
                                  NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(store_contact_get(f->s, "bob", &c), AIRLOCK_ERR_CORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_passphrase_event, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_passphrase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sealing_bound_to_row, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_private_key_sealed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration_from_v0, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_record_contract, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_identity_never_overwritten,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_transactions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_events_fold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_stored_text, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

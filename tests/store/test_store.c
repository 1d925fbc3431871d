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
#include <fcntl.h>
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

/* ---- helpers for raw files ---- */

static int db_version(const char *dir)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char path[320];
    int v = -1;

    snprintf(path, sizeof path, "%s/account.db", dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st,
                                        NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf;
    long len;

    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    len = ftell(fp);
    assert_true(len >= 0);
    assert_int_equal(fseek(fp, 0, SEEK_SET), 0);
    buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    *n = (size_t)len;
    return buf;
}

/* The database file byte for byte, to show a refused open wrote nothing. */
static void assert_db_unchanged(const char *dir, const uint8_t *before,
                                size_t before_n)
{
    char path[320];
    uint8_t *now;
    size_t n = 0;

    snprintf(path, sizeof path, "%s/account.db", dir);
    now = read_all(path, &n);
    assert_int_equal(n, before_n);
    assert_memory_equal(now, before, n);
    free(now);
}

static uint8_t *snapshot(const char *dir, size_t *n)
{
    char path[320];

    snprintf(path, sizeof path, "%s/account.db", dir);
    return read_all(path, n);
}

static void test_newer_schema(void **state)
{
    fx *f = *state;
    store *s = NULL;
    uint8_t *before;
    size_t before_n = 0;

    assert_int_equal(sqlite3_exec(f->s->db, "PRAGMA user_version=99", NULL,
                                  NULL, NULL), SQLITE_OK);
    store_close(f->s);
    f->s = NULL;
    before = snapshot(f->dir, &before_n);
    assert_int_equal(open_dir(f->dir, STORE_NO_PASSPHRASE, NULL, false, &s),
                     AIRLOCK_ERR_SCHEMA);
    assert_null(s);
    assert_db_unchanged(f->dir, before, before_n);
    free(before);
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

/* ---- v0: the pre-release layout, written here with raw SQL ----
 * This is what a v0 build left on disk: the same key scheme (Argon2id-
 * wrapped database key in meta, sealed key check) and sealing ADs, but
 * messages without kind/inert/hidden and no attachments or buckets
 * tables. The store must migrate it on open. */
static const char v0_schema[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE self(id INTEGER PRIMARY KEY CHECK (id = 1),"
    " registration_id INTEGER NOT NULL, device_id INTEGER NOT NULL,"
    " identity_pub BLOB NOT NULL, identity_priv BLOB NOT NULL);"
    "CREATE TABLE prekeys(id INTEGER PRIMARY KEY, record BLOB NOT NULL);"
    "CREATE TABLE signed_prekeys(id INTEGER PRIMARY KEY,"
    " record BLOB NOT NULL);"
    "CREATE TABLE sessions(address TEXT NOT NULL, device INTEGER NOT NULL,"
    " record BLOB NOT NULL, PRIMARY KEY(address, device));"
    "CREATE TABLE identities(address TEXT NOT NULL, device INTEGER NOT NULL,"
    " key BLOB NOT NULL, status INTEGER NOT NULL, first_seen INTEGER NOT NULL,"
    " pending BLOB, PRIMARY KEY(address, device));"
    "CREATE TABLE contacts(address TEXT PRIMARY KEY, label TEXT NOT NULL,"
    " trust INTEGER NOT NULL, created INTEGER NOT NULL,"
    " last INTEGER NOT NULL DEFAULT 0, messages INTEGER NOT NULL DEFAULT 0,"
    " unread INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE messages(seq INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE,"
    " conversation TEXT NOT NULL, sender TEXT NOT NULL,"
    " sender_device INTEGER NOT NULL, outgoing INTEGER NOT NULL,"
    " sent INTEGER NOT NULL, received INTEGER NOT NULL,"
    " state INTEGER NOT NULL, dedup BLOB UNIQUE, content BLOB);"
    "CREATE INDEX messages_conversation ON messages(conversation, seq);"
    "CREATE TABLE events(id INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
    " sender TEXT NOT NULL, detail TEXT NOT NULL, first INTEGER NOT NULL,"
    " last INTEGER NOT NULL, count INTEGER NOT NULL);"
    "CREATE TABLE outbox(id BLOB PRIMARY KEY, recipient TEXT NOT NULL,"
    " frame BLOB NOT NULL);";

/* base_seal with the store's AD layout: "what|" followed by the row key. */
static size_t v0_seal(const uint8_t key[32], const char *what,
                      const void *row, size_t row_n, const void *pt,
                      size_t n, uint8_t *out)
{
    uint8_t ad[128];
    size_t wn = strlen(what);

    assert_true(wn + 1 + row_n <= sizeof ad);
    memcpy(ad, what, wn);
    ad[wn] = '|';
    memcpy(ad + wn + 1, row, row_n);
    assert_int_equal(base_seal(key, ad, wn + 1 + row_n, pt, n, out),
                     AIRLOCK_OK);
    return n + BASE_SEAL_OVERHEAD;
}

static void v0_put(sqlite3 *db, const char *q, const void *b1, size_t n1,
                   const void *b2, size_t n2)
{
    sqlite3_stmt *st = NULL;

    assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
    if (b1 != NULL)
        sqlite3_bind_blob(st, 1, b1, (int)n1, SQLITE_TRANSIENT);
    if (b2 != NULL)
        sqlite3_bind_blob(st, 2, b2, (int)n2, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

static const uint8_t v0_msg_id[16] = { 0xa0, 1, 2, 3, 4, 5, 6, 7,
                                       8, 9, 10, 11, 12, 13, 14, 15 };

static void make_v0(const char *dir, const char *pass)
{
    uint8_t dbkey[32], kek[32], salt[BASE_PWHASH_SALT], cost = 0;
    uint8_t wrapped[32 + BASE_SEAL_OVERHEAD], buf[256];
    sqlite3 *db = NULL;
    char path[320];
    size_t n;
    int fd;

    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/account.db", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    close(fd);
    base_random(dbkey, sizeof dbkey);
    base_random(salt, sizeof salt);
    assert_int_equal(base_pwhash(pass, strlen(pass), salt, BASE_PWHASH_TEST,
                                 kek), AIRLOCK_OK);
    assert_int_equal(base_seal(kek, (const uint8_t *)"meta.db_key", 11,
                               dbkey, 32, wrapped), AIRLOCK_OK);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, v0_schema, NULL, NULL, NULL),
                     SQLITE_OK);
    v0_put(db, "INSERT INTO meta VALUES ('key_mode', ?1)", "passphrase", 10,
           NULL, 0);
    v0_put(db, "INSERT INTO meta VALUES ('kdf_salt', ?1)", salt, sizeof salt,
           NULL, 0);
    v0_put(db, "INSERT INTO meta VALUES ('kdf_cost', ?1)", &cost, 1, NULL, 0);
    v0_put(db, "INSERT INTO meta VALUES ('db_key', ?1)", wrapped,
           sizeof wrapped, NULL, 0);
    n = v0_seal(dbkey, "meta.key_check", "", 0, "airlock", 7, buf);
    v0_put(db, "INSERT INTO meta VALUES ('key_check', ?1)", buf, n, NULL, 0);
    assert_int_equal(sqlite3_exec(db,
        "INSERT INTO contacts(address, label, trust, created, last, messages,"
        " unread) VALUES ('bob', 'bob', 0, 1, 2, 1, 1)", NULL, NULL, NULL),
        SQLITE_OK);
    n = v0_seal(dbkey, "messages.content", v0_msg_id, 16, "old hello", 9,
                buf);
    v0_put(db, "INSERT INTO messages(id, conversation, sender, sender_device,"
           " outgoing, sent, received, state, dedup, content) VALUES (?1,"
           " 'bob', 'bob', 3, 0, 1, 2, 0, X'0102', ?2)", v0_msg_id, 16, buf,
           n);
    n = v0_seal(dbkey, "sessions.record", "bob|3", 5, "v0 session", 10, buf);
    v0_put(db, "INSERT INTO sessions VALUES ('bob', 3, ?1)", buf, n, NULL, 0);
    sqlite3_close(db);
    base_wipe(dbkey, sizeof dbkey);
    base_wipe(kek, sizeof kek);
}

typedef struct v0_seen {
    int n;
    store_msg m;
    char body[32];
} v0_seen;

static int v0_msg_cb(const store_msg *m, void *arg)
{
    v0_seen *x = arg;

    x->n++;
    x->m = *m;
    snprintf(x->body, sizeof x->body, "%.*s", (int)m->content_n,
             (const char *)m->content);
    x->m.content = NULL;
    return 0;
}

/* A database written by the previous schema opens, migrates in one step
 * and keeps every row readable; a wrong passphrase migrates nothing. */
static void test_migration_from_v0(void **state)
{
    fx *f = *state;
    char dir[256];
    store *s = NULL;
    v0_seen x;
    store_bucket b;
    uint8_t *rec = NULL, *before;
    size_t n = 0, before_n = 0;
    uint32_t req = 0;

    snprintf(dir, sizeof dir, "%s/v0", f->root);
    make_v0(dir, "old pass");
    assert_int_equal(db_version(dir), 0);
    before = snapshot(dir, &before_n);
    assert_int_equal(open_dir(dir, STORE_PASSPHRASE, "wrong", false, &s),
                     AIRLOCK_ERR_PASSPHRASE);
    assert_null(s);
    assert_int_equal(db_version(dir), 0);
    assert_db_unchanged(dir, before, before_n);
    free(before);
    assert_int_equal(open_dir(dir, STORE_PASSPHRASE, "old pass", false, &s),
                     AIRLOCK_OK);
    assert_int_equal(db_version(dir), 1);
    /* the old row reads back through the new columns' defaults */
    memset(&x, 0, sizeof x);
    assert_int_equal(store_msg_page(s, "bob", 0, 10, v0_msg_cb, &x),
                     AIRLOCK_OK);
    assert_int_equal(x.n, 1);
    assert_string_equal(x.body, "old hello");
    assert_memory_equal(x.m.id, v0_msg_id, 16);
    assert_int_equal(x.m.kind, STORE_CONTENT_FRAME);
    assert_false(x.m.inert_device);
    assert_int_equal(x.m.sender_device, 3);
    assert_int_equal(store_sig_session_get(s, "bob", 3, &rec, &n),
                     AIRLOCK_OK);
    assert_int_equal(n, 10);
    assert_memory_equal(rec, "v0 session", 10);
    store_buf_free(rec, n);
    assert_int_equal(store_msg_request_count(s, &req), AIRLOCK_OK);
    assert_int_equal(req, 1);
    /* what v1 added works */
    b.tokens = 3;
    b.updated_ms = 5;
    assert_int_equal(store_bucket_put(s, "x", &b), AIRLOCK_OK);
    assert_int_equal(store_attachment_add(s, v0_msg_id, 0, "image/png",
                                          "a.png", 10), AIRLOCK_OK);
    store_close(s);
    /* and a second open has nothing left to do */
    assert_int_equal(open_dir(dir, STORE_PASSPHRASE, "old pass", false, &s),
                     AIRLOCK_OK);
    assert_int_equal(store_bucket_get(s, "x", &b), AIRLOCK_OK);
    assert_true(b.tokens == 3.0);
    store_close(s);
}

/* A migration that cannot complete leaves the database as it was. */
static void test_migration_failure_changes_nothing(void **state)
{
    fx *f = *state;
    char dir[256], path[300];
    sqlite3 *db = NULL;
    store *s = NULL;
    uint8_t *before;
    size_t before_n = 0;
    airlock_err err;

    snprintf(dir, sizeof dir, "%s/v0bad", f->root);
    make_v0(dir, "pw");
    /* a v0 file that is missing the messages table: v0 -> v1 fails */
    snprintf(path, sizeof path, "%s/account.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP INDEX messages_conversation;"
                                  "DROP TABLE messages", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    before = snapshot(dir, &before_n);
    err = open_dir(dir, STORE_PASSPHRASE, "pw", false, &s);
    assert_int_not_equal(err, AIRLOCK_OK);
    assert_null(s);
    assert_int_equal(db_version(dir), 0);
    assert_db_unchanged(dir, before, before_n);
    free(before);
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

/* Many occurrences folded in memory are written as one count. */
static void test_events_count(void **state)
{
    fx *f = *state;
    evs x;

    assert_int_equal(store_event_add_count(f->s, AIRLOCK_SEC_BLOCKED_DROP,
                                           "mallory", "dropped", 1000, 60000,
                                           0), AIRLOCK_ERR_ARG);
    assert_int_equal(store_event_add_count(f->s, AIRLOCK_SEC_BLOCKED_DROP,
                                           "mallory", "dropped", 1000, 60000,
                                           5000), AIRLOCK_OK);
    assert_int_equal(store_event_add_count(f->s, AIRLOCK_SEC_BLOCKED_DROP,
                                           "mallory", "dropped", 2000, 60000,
                                           3), AIRLOCK_OK);
    assert_int_equal(store_event_add(f->s, AIRLOCK_SEC_BLOCKED_DROP,
                                     "mallory", "dropped", 3000, 60000),
                     AIRLOCK_OK);
    memset(&x, 0, sizeof x);
    assert_int_equal(store_event_each(f->s, 100, ev_cb, &x), AIRLOCK_OK);
    assert_int_equal(x.n, 1);
    assert_int_equal(x.count, 5004);
    /* a new row outside the window starts at its count; the count never
     * wraps */
    assert_int_equal(store_event_add_count(f->s, AIRLOCK_SEC_BLOCKED_DROP,
                                           "mallory", "dropped", 1000000,
                                           60000, UINT32_MAX), AIRLOCK_OK);
    assert_int_equal(store_event_add_count(f->s, AIRLOCK_SEC_BLOCKED_DROP,
                                           "mallory", "dropped", 1000001,
                                           60000, 7), AIRLOCK_OK);
    memset(&x, 0, sizeof x);
    assert_int_equal(store_event_each(f->s, 1, ev_cb, &x), AIRLOCK_OK);
    assert_int_equal(x.n, 1);
    assert_int_equal(x.count, UINT32_MAX);
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

static int sync_level(store *s)
{
    sqlite3_stmt *st = NULL;
    int v = -1;

    assert_int_equal(sqlite3_prepare_v2(s->db, "PRAGMA synchronous", -1, &st,
                                        NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static airlock_msg_state msg_state(store *s, const uint8_t id[16])
{
    sqlite3_stmt *st = NULL;
    int v = -1;

    assert_int_equal(sqlite3_prepare_v2(s->db, "SELECT state FROM messages"
                                        " WHERE id = ?1", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return (airlock_msg_state)v;
}

/* Rows handed to the transport are forgotten up to the last one, their
 * stored copies SENT unless a receipt already moved them on. */
static void test_outbox_sent(void **state)
{
    fx *f = *state;
    uint8_t ids[4][16], other[16] = { 0xee };
    store_msg m;
    ob o;
    int i;

    for (i = 0; i < 4; i++) {
        memset(ids[i], 0, 16);
        ids[i][0] = (uint8_t)(i + 1);
        memset(&m, 0, sizeof m);
        memcpy(m.id, ids[i], 16);
        snprintf(m.conversation, sizeof m.conversation, "bob");
        snprintf(m.sender, sizeof m.sender, "alice");
        m.outgoing = 1;
        m.state = AIRLOCK_MSG_QUEUED;
        m.content = (const uint8_t *)"hi";
        m.content_n = 2;
        if (i != 2)        /* a receipt has no stored copy */
            assert_int_equal(store_msg_insert(f->s, &m), AIRLOCK_OK);
        assert_int_equal(store_outbox_add(f->s, ids[i], "bob",
                                          (const uint8_t *)"env", 3),
                         AIRLOCK_OK);
    }
    assert_int_equal(store_msg_set_state(f->s, ids[1],
                                         AIRLOCK_MSG_DELIVERED), AIRLOCK_OK);
    /* an id that is not in the outbox changes nothing, even inside a
     * transaction that goes on */
    assert_int_equal(store_begin(f->s), AIRLOCK_OK);
    assert_int_equal(store_outbox_sent(f->s, other), AIRLOCK_ERR_NOT_FOUND);
    assert_int_equal(store_commit(f->s), AIRLOCK_OK);
    assert_int_equal(store_begin_lazy(f->s), AIRLOCK_OK);
    assert_int_equal(sync_level(f->s), 1);
    assert_int_equal(store_outbox_sent(f->s, ids[2]), AIRLOCK_OK);
    assert_int_equal(store_commit(f->s), AIRLOCK_OK);
    assert_int_equal(sync_level(f->s), 2);
    assert_int_equal(msg_state(f->s, ids[0]), AIRLOCK_MSG_SENT);
    assert_int_equal(msg_state(f->s, ids[1]), AIRLOCK_MSG_DELIVERED);
    assert_int_equal(msg_state(f->s, ids[3]), AIRLOCK_MSG_QUEUED);
    memset(&o, 0, sizeof o);
    assert_int_equal(store_outbox_each(f->s, ob_cb, &o), AIRLOCK_OK);
    assert_int_equal(o.n, 1);
    assert_int_equal(store_outbox_sent(f->s, ids[3]), AIRLOCK_OK);
    assert_int_equal(msg_state(f->s, ids[3]), AIRLOCK_MSG_SENT);
    memset(&o, 0, sizeof o);
    assert_int_equal(store_outbox_each(f->s, ob_cb, &o), AIRLOCK_OK);
    assert_int_equal(o.n, 0);
}

/* A lazy transaction: NORMAL while it is open, FULL once it has ended
 * however it ended; nested in an open transaction it changes nothing. */
static void test_begin_lazy(void **state)
{
    fx *f = *state;
    store_contact c;

    assert_int_equal(sync_level(f->s), 2);
    assert_int_equal(store_begin_lazy(f->s), AIRLOCK_OK);
    assert_int_equal(sync_level(f->s), 1);
    assert_int_equal(store_contact_ensure(f->s, "bob", 1), AIRLOCK_OK);
    store_rollback(f->s);
    assert_int_equal(sync_level(f->s), 2);
    assert_int_equal(store_begin(f->s), AIRLOCK_OK);
    assert_int_equal(store_begin_lazy(f->s), AIRLOCK_OK);
    assert_int_equal(sync_level(f->s), 2);
    assert_int_equal(store_contact_ensure(f->s, "carol", 1), AIRLOCK_OK);
    assert_int_equal(store_commit(f->s), AIRLOCK_OK);
    assert_int_equal(store_commit(f->s), AIRLOCK_OK);
    assert_int_equal(store_begin_lazy(f->s), AIRLOCK_OK);
    assert_int_equal(store_contact_ensure(f->s, "dave", 1), AIRLOCK_OK);
    assert_int_equal(store_commit(f->s), AIRLOCK_OK);
    assert_int_equal(sync_level(f->s), 2);
    assert_int_equal(store_contact_get(f->s, "bob", &c),
                     AIRLOCK_ERR_NOT_FOUND);
    assert_int_equal(store_contact_get(f->s, "carol", &c), AIRLOCK_OK);
    assert_int_equal(store_contact_get(f->s, "dave", &c), AIRLOCK_OK);
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

/* ---- creation ---- */

static bool exists(const char *path)
{
    struct stat sb;

    return lstat(path, &sb) == 0;
}

/* An existing, private, empty directory is a fine place for a new account;
 * one that others can read is not; whatever a failed creation made is
 * removed again, and what it did not make is left alone. */
static void test_create_cases(void **state)
{
    fx *f = *state;
    char dir[256], path[320];
    store *s = NULL;
    struct stat sb;
    mode_t old;
    int fd;

    snprintf(dir, sizeof dir, "%s/pre", f->root);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(open_dir(dir, STORE_NO_PASSPHRASE, NULL, true, &s),
                     AIRLOCK_OK);
    store_close(s);
    s = NULL;
    snprintf(dir, sizeof dir, "%s/open", f->root);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(open_dir(dir, STORE_NO_PASSPHRASE, NULL, true, &s),
                     AIRLOCK_ERR_PERM);
    snprintf(path, sizeof path, "%s/account.db", dir);
    assert_false(exists(path));
    /* a key file already there (not ours): EXISTS, and the database this
     * call created is gone again while the foreign file stays */
    snprintf(dir, sizeof dir, "%s/keyed", f->root);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/db.key", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(open_dir(dir, STORE_NO_PASSPHRASE, NULL, true, &s),
                     AIRLOCK_ERR_EXISTS);
    assert_null(s);
    assert_true(exists(path));
    snprintf(path, sizeof path, "%s/account.db", dir);
    assert_false(exists(path));
    snprintf(path, sizeof path, "%s/account.db-wal", dir);
    assert_false(exists(path));
    /* a missing parent directory */
    snprintf(dir, sizeof dir, "%s/no/such", f->root);
    assert_int_equal(open_dir(dir, STORE_NO_PASSPHRASE, NULL, true, &s),
                     AIRLOCK_ERR_NOT_FOUND);
    /* a hostile umask does not loosen or break the modes */
    snprintf(dir, sizeof dir, "%s/umask", f->root);
    old = umask(0277);
    assert_int_equal(open_dir(dir, STORE_NO_PASSPHRASE, NULL, true, &s),
                     AIRLOCK_OK);
    umask(old);
    assert_int_equal(store_meta_set(s, "k", (const uint8_t *)"v", 1),
                     AIRLOCK_OK);
    store_close(s);
    s = NULL;
    assert_int_equal(stat(dir, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(path, sizeof path, "%s/account.db", dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/db.key", dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(open_dir(dir, STORE_NO_PASSPHRASE, NULL, false, &s),
                     AIRLOCK_OK);
    store_close(s);
}

/* A creation that never committed leaves an empty database file: refused
 * as damaged, not half-used. So is a file that is not a database. */
static void test_empty_or_foreign_file(void **state)
{
    fx *f = *state;
    char path[320];
    store *s = NULL;
    FILE *fp;

    store_close(f->s);
    f->s = NULL;
    snprintf(path, sizeof path, "%s/account.db", f->dir);
    assert_int_equal(truncate(path, 0), 0);
    assert_int_equal(open_dir(f->dir, STORE_NO_PASSPHRASE, NULL, false, &s),
                     AIRLOCK_ERR_CORRUPT);
    assert_null(s);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fputs("this is not a database, it is a plain text file"
                           " long enough to have a header\n", fp) >= 0, 1);
    fclose(fp);
    assert_int_equal(open_dir(f->dir, STORE_NO_PASSPHRASE, NULL, false, &s),
                     AIRLOCK_ERR_CORRUPT);
    assert_null(s);
    /* a key file of the wrong length */
    snprintf(path, sizeof path, "%s/db.key", f->dir);
    assert_int_equal(truncate(path, 16), 0);
    assert_int_equal(open_dir(f->dir, STORE_NO_PASSPHRASE, NULL, false, &s),
                     AIRLOCK_ERR_CORRUPT);
}

/* ---- sealed blobs that fail authentication ---- */

/* Flip one bit of a stored blob in place. */
static void flip(store *s, const char *table, const char *col, int byte)
{
    sqlite3_stmt *st = NULL;
    uint8_t buf[512];
    char q[256];
    int n;

    snprintf(q, sizeof q, "SELECT %s FROM %s LIMIT 1", col, table);
    assert_int_equal(sqlite3_prepare_v2(s->db, q, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_bytes(st, 0);
    assert_true(n > byte && (size_t)n <= sizeof buf);
    memcpy(buf, sqlite3_column_blob(st, 0), (size_t)n);
    sqlite3_finalize(st);
    buf[byte] ^= 0x01;
    snprintf(q, sizeof q, "UPDATE %s SET %s = ?1", table, col);
    assert_int_equal(sqlite3_prepare_v2(s->db, q, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_blob(st, 1, buf, n, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

static int count_cb(const store_msg *m, void *arg)
{
    (void)m;
    (*(int *)arg)++;
    return 0;
}

static int ob_count(const uint8_t id[16], const char *to, const uint8_t *fr,
                    size_t n, void *arg)
{
    (void)id;
    (void)to;
    (void)fr;
    (void)n;
    (*(int *)arg)++;
    return 0;
}

/* Every sealed column: one flipped bit (in the nonce, the ciphertext and
 * the tag) is CORRUPT, nothing is handed out, and flipping it back
 * restores the row: the failed read changed nothing. */
static void test_tampered_blobs(void **state)
{
    fx *f = *state;
    static const struct { const char *table, *col; } sealed[] = {
        { "self", "identity_priv" }, { "prekeys", "record" },
        { "signed_prekeys", "record" }, { "sessions", "record" },
        { "messages", "content" }, { "outbox", "frame" },
        { "meta", "value" },
    };
    static const int at[] = { 0, 30, -1 };   /* nonce, body, last tag byte */
    uint8_t pub[33] = { 5 }, priv[32] = { 6 }, id[16] = { 9 };
    store_self self, got;
    store_msg m;
    size_t i, j;

    memset(&self, 0, sizeof self);
    self.identity_pub = pub;
    self.identity_pub_n = sizeof pub;
    self.identity_priv = priv;
    self.identity_priv_n = sizeof priv;
    assert_int_equal(store_self_put(f->s, &self), AIRLOCK_OK);
    assert_int_equal(store_sig_prekey_put(f->s, 1, (const uint8_t *)"pk", 2),
                     AIRLOCK_OK);
    assert_int_equal(store_sig_signed_put(f->s, 1, (const uint8_t *)"spk", 3),
                     AIRLOCK_OK);
    assert_int_equal(store_sig_session_put(f->s, "bob", 1,
                                           (const uint8_t *)"ses", 3),
                     AIRLOCK_OK);
    memset(&m, 0, sizeof m);
    memcpy(m.id, id, 16);
    snprintf(m.conversation, sizeof m.conversation, "bob");
    snprintf(m.sender, sizeof m.sender, "bob");
    m.content = (const uint8_t *)"secret text";
    m.content_n = 11;
    assert_int_equal(store_msg_insert(f->s, &m), AIRLOCK_OK);
    assert_int_equal(store_outbox_add(f->s, id, "bob",
                                      (const uint8_t *)"frame", 5),
                     AIRLOCK_OK);
    /* the meta table's only sealed row here: make it the first one */
    assert_int_equal(sqlite3_exec(f->s->db, "DELETE FROM meta", NULL, NULL,
                                  NULL), SQLITE_OK);
    assert_int_equal(store_meta_set_sealed(f->s, "pw",
                                           (const uint8_t *)"hunter2", 7),
                     AIRLOCK_OK);
    for (i = 0; i < sizeof sealed / sizeof sealed[0]; i++) {
        for (j = 0; j < sizeof at / sizeof at[0]; j++) {
            sqlite3_stmt *st = NULL;
            char q[128];
            int len, byte, pass;

            snprintf(q, sizeof q, "SELECT length(%s) FROM %s",
                     sealed[i].col, sealed[i].table);
            assert_int_equal(sqlite3_prepare_v2(f->s->db, q, -1, &st, NULL),
                             SQLITE_OK);
            assert_int_equal(sqlite3_step(st), SQLITE_ROW);
            len = sqlite3_column_int(st, 0);
            sqlite3_finalize(st);
            byte = at[j] < 0 ? len - 1 : at[j];
            for (pass = 0; pass < 2; pass++) {
                uint8_t *out = NULL;
                size_t n = 0;
                int count = 0;
                airlock_err want = pass == 0 ? AIRLOCK_ERR_CORRUPT :
                                               AIRLOCK_OK;
                airlock_err got_err;

                flip(f->s, sealed[i].table, sealed[i].col, byte);
                switch (i) {
                case 0:
                    got_err = store_self_get(f->s, &got);
                    if (got_err == AIRLOCK_OK) {
                        assert_memory_equal(got.identity_priv, priv, 32);
                        store_self_clear(&got);
                    } else {
                        assert_null(got.identity_priv);
                    }
                    break;
                case 1:
                    got_err = store_sig_prekey_get(f->s, 1, &out, &n);
                    break;
                case 2:
                    got_err = store_sig_signed_get(f->s, 1, &out, &n);
                    break;
                case 3:
                    got_err = store_sig_session_get(f->s, "bob", 1, &out, &n);
                    break;
                case 4:
                    got_err = store_msg_page(f->s, "bob", 0, 10, count_cb,
                                             &count);
                    assert_int_equal(count, pass == 0 ? 0 : 1);
                    break;
                case 5:
                    got_err = store_outbox_each(f->s, ob_count, &count);
                    assert_int_equal(count, pass == 0 ? 0 : 1);
                    break;
                default:
                    got_err = store_meta_get_sealed(f->s, "pw", &out, &n);
                    break;
                }
                assert_int_equal(got_err, want);
                if (pass == 0)
                    assert_null(out);
                store_buf_free(out, n);
            }
        }
    }
}

/* Inside a batch a duplicate is refused on its own: the batch commits
 * the rest. */
static void test_duplicate_in_batch(void **state)
{
    fx *f = *state;
    uint8_t dedup[4] = { 1, 2, 3, 4 };
    store_msg m;
    int n = 0;

    assert_int_equal(store_contact_ensure(f->s, "bob", 1), AIRLOCK_OK);
    assert_int_equal(store_begin(f->s), AIRLOCK_OK);
    memset(&m, 0, sizeof m);
    memset(m.id, 1, 16);
    snprintf(m.conversation, sizeof m.conversation, "bob");
    snprintf(m.sender, sizeof m.sender, "bob");
    m.content = (const uint8_t *)"one";
    m.content_n = 3;
    m.dedup = dedup;
    m.dedup_n = sizeof dedup;
    assert_int_equal(store_msg_insert(f->s, &m), AIRLOCK_OK);
    memset(m.id, 2, 16);
    assert_int_equal(store_msg_insert(f->s, &m), AIRLOCK_ERR_DUPLICATE);
    memset(m.id, 3, 16);
    dedup[0] = 9;
    assert_int_equal(store_msg_insert(f->s, &m), AIRLOCK_OK);
    /* an empty dedup key is no key: never a duplicate */
    m.dedup_n = 0;
    memset(m.id, 4, 16);
    assert_int_equal(store_msg_insert(f->s, &m), AIRLOCK_OK);
    memset(m.id, 5, 16);
    assert_int_equal(store_msg_insert(f->s, &m), AIRLOCK_OK);
    assert_int_equal(store_commit(f->s), AIRLOCK_OK);
    assert_int_equal(store_msg_page(f->s, "bob", 0, 10, count_cb, &n),
                     AIRLOCK_OK);
    assert_int_equal(n, 4);
    {
        store_contact c;

        assert_int_equal(store_contact_get(f->s, "bob", &c), AIRLOCK_OK);
        assert_int_equal(c.messages, 4);
        assert_int_equal(c.unread, 4);
    }
}

/* Addresses read back are checked like the ones written: a terminal
 * escape or an embedded NUL in a stored sender is CORRUPT, not shown. */
static void test_hostile_stored_address(void **state)
{
    fx *f = *state;
    store_msg m;
    int n = 0;

    memset(&m, 0, sizeof m);
    memset(m.id, 7, 16);
    snprintf(m.conversation, sizeof m.conversation, "bob");
    snprintf(m.sender, sizeof m.sender, "bob");
    m.content = (const uint8_t *)"x";
    m.content_n = 1;
    assert_int_equal(store_msg_insert(f->s, &m), AIRLOCK_OK);
    assert_int_equal(sqlite3_exec(f->s->db, "UPDATE messages SET sender ="
                                  " 'bob' || char(27) || '[2J'", NULL, NULL,
                                  NULL), SQLITE_OK);
    assert_int_equal(store_msg_page(f->s, "bob", 0, 10, count_cb, &n),
                     AIRLOCK_ERR_CORRUPT);
    assert_int_equal(n, 0);
    assert_int_equal(sqlite3_exec(f->s->db, "UPDATE messages SET sender ="
                                  " CAST(X'626F6200626F62' AS TEXT)", NULL,
                                  NULL, NULL), SQLITE_OK);
    assert_int_equal(store_msg_page(f->s, "bob", 0, 10, count_cb, &n),
                     AIRLOCK_ERR_CORRUPT);
    assert_int_equal(sqlite3_exec(f->s->db, "UPDATE messages SET sender ="
                                  " 'bob'", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(store_msg_page(f->s, "bob", 0, 10, count_cb, &n),
                     AIRLOCK_OK);
    assert_int_equal(n, 1);
}

static void test_meta_values(void **state)
{
    fx *f = *state;
    uint8_t *v = NULL;
    size_t n = 9;

    assert_int_equal(store_meta_set(f->s, "empty", NULL, 0), AIRLOCK_OK);
    assert_int_equal(store_meta_get(f->s, "empty", &v, &n), AIRLOCK_OK);
    assert_int_equal(n, 0);
    free(v);
    assert_int_equal(store_meta_get(f->s, "absent", &v, &n),
                     AIRLOCK_ERR_NOT_FOUND);
    assert_null(v);
    assert_int_equal(store_meta_set_sealed(f->s, "pw",
                                           (const uint8_t *)"hunter2", 7),
                     AIRLOCK_OK);
    assert_int_equal(store_meta_get_sealed(f->s, "pw", &v, &n), AIRLOCK_OK);
    assert_int_equal(n, 7);
    assert_memory_equal(v, "hunter2", 7);
    store_buf_free(v, n);
    /* a sealed value under another key does not open */
    assert_int_equal(sqlite3_exec(f->s->db, "INSERT INTO meta SELECT 'pw2',"
                                  " value FROM meta WHERE key = 'pw'", NULL,
                                  NULL, NULL), SQLITE_OK);
    assert_int_equal(store_meta_get_sealed(f->s, "pw2", &v, &n),
                     AIRLOCK_ERR_CORRUPT);
    assert_null(v);
    assert_int_equal(store_meta_set(f->s, NULL, NULL, 0), AIRLOCK_ERR_ARG);
}

/* Stored requests: messages of contacts with trust UNKNOWN, not deleted. */
static void test_request_count(void **state)
{
    fx *f = *state;
    static const char *const who[] = { "bob", "bob", "carol", "carol",
                                       "carol", "dan" };
    store_msg m;
    uint32_t n = 99;
    size_t i;

    assert_int_equal(store_contact_ensure(f->s, "bob", 1), AIRLOCK_OK);
    assert_int_equal(store_contact_ensure(f->s, "carol", 1), AIRLOCK_OK);
    assert_int_equal(store_contact_ensure(f->s, "dan", 1), AIRLOCK_OK);
    assert_int_equal(store_contact_set_trust(f->s, "carol",
                                             AIRLOCK_TRUST_ACCEPTED),
                     AIRLOCK_OK);
    assert_int_equal(store_contact_set_trust(f->s, "dan",
                                             AIRLOCK_TRUST_BLOCKED),
                     AIRLOCK_OK);
    for (i = 0; i < sizeof who / sizeof who[0]; i++) {
        memset(&m, 0, sizeof m);
        memset(m.id, (int)i + 1, sizeof m.id);
        snprintf(m.conversation, sizeof m.conversation, "%s", who[i]);
        snprintf(m.sender, sizeof m.sender, "%s", who[i]);
        m.content = (const uint8_t *)"x";
        m.content_n = 1;
        assert_int_equal(store_msg_insert(f->s, &m), AIRLOCK_OK);
    }
    assert_int_equal(store_msg_request_count(f->s, &n), AIRLOCK_OK);
    assert_int_equal(n, 2);
    memset(m.id, 1, sizeof m.id);
    assert_int_equal(store_msg_delete(f->s, m.id), AIRLOCK_OK);
    assert_int_equal(store_msg_request_count(f->s, &n), AIRLOCK_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_contact_set_trust(f->s, "bob",
                                             AIRLOCK_TRUST_ACCEPTED),
                     AIRLOCK_OK);
    assert_int_equal(store_msg_request_count(f->s, &n), AIRLOCK_OK);
    assert_int_equal(n, 0);
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
        cmocka_unit_test_setup_teardown(test_migration_failure_changes_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_contract, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_identity_never_overwritten,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_transactions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_events_fold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_begin_lazy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_stored_text, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_create_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_or_foreign_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tampered_blobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_in_batch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_stored_address, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_meta_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_count, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz_stored_record.c - stored bytes are hostile too. The first input
 * byte picks a place, the rest is written there raw, and the store reads
 * it back through its API, which must refuse what it cannot authenticate
 * or what exceeds its named maximum, and never crash:
 *
 *  - a column of an open account (sealed records, contents, outbox
 *    frames, labels, identity keys, message ids);
 *  - a meta value that opening an account decodes (key mode, KDF salt and
 *    cost, the wrapped database key, the key check), then store_open;
 *  - the key file of an account without a passphrase, then store_open;
 *  - a bundle, one-time prekey or queued envelope of the local mailbox.
 *
 * Whatever opens must be what was sealed: a forged value that
 * authenticates is a crash (abort) here.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"
#include "store/store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define PASS "fuzz pass"

static store *S;                 /* an open account */
static store_relay *R;           /* an open mailbox */
static sqlite3 *P_db, *R_db;     /* raw views of the passphrase account and
                                    the mailbox */
static char root[128], pdir[192], fdir[192], fkey[256];
static uint8_t file_key[BASE_SEAL_KEY];

static const char *const meta_keys[] = {
    "key_mode", "kdf_salt", "kdf_cost", "db_key", "key_check",
};
#define META_N (sizeof meta_keys / sizeof meta_keys[0])
static uint8_t *meta_orig[META_N];
static size_t meta_orig_n[META_N];

static const char *const columns[] = {
    "UPDATE messages SET content = ?1",
    "UPDATE sessions SET record = ?1",
    "UPDATE outbox SET frame = ?1",
    "UPDATE contacts SET label = CAST(?1 AS TEXT)",
    "UPDATE identities SET key = ?1",
    "UPDATE identities SET pending = ?1, status = 2",
    "UPDATE messages SET id = ?1",
    "UPDATE messages SET sender = CAST(?1 AS TEXT)",
    "UPDATE self SET identity_priv = ?1",
    "UPDATE self SET identity_pub = ?1",
    "UPDATE meta SET value = ?1 WHERE key = 'pw'",
};
#define COLUMNS_N (sizeof columns / sizeof columns[0])

static const char *const relay_columns[] = {
    "UPDATE devices SET bundle = ?1",
    "UPDATE prekeys SET record = ?1",
    "UPDATE queue SET envelope = ?1",
};
#define RELAY_N (sizeof relay_columns / sizeof relay_columns[0])

static void cleanup(void)
{
    char cmd[256];
    size_t i;

    store_close(S);
    store_relay_close(R);
    sqlite3_close(P_db);
    sqlite3_close(R_db);
    for (i = 0; i < META_N; i++)
        free(meta_orig[i]);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        return;
}

static store *open_acct(const char *dir, bool pass, bool create)
{
    store_open_args a;
    store *s = NULL;

    memset(&a, 0, sizeof a);
    a.dir = dir;
    a.mode = pass ? STORE_PASSPHRASE : STORE_NO_PASSPHRASE;
    a.passphrase = pass ? PASS : NULL;
    a.passphrase_len = pass ? strlen(PASS) : 0;
    a.create = create;
    a.fast_kdf = true;
    return store_open(&a, &s) == AIRLOCK_OK ? s : NULL;
}

static void raw_exec(sqlite3 *db, const char *q, const uint8_t *b, size_t n)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
        abort();
    sqlite3_bind_blob(st, 1, b, (int)n, SQLITE_STATIC);
    (void)sqlite3_step(st);
    sqlite3_finalize(st);
}

static void seed_relay(void)
{
    uint32_t id = 5;
    const uint8_t *rec = (const uint8_t *)"prekey";
    size_t rn = 6;

    if (store_relay_add_prekeys(R, "bob", 1, &id, &rec, &rn, 1) !=
        AIRLOCK_OK)
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[192], path[256];
    store_msg m;
    store_self self;
    store *p = NULL, *f = NULL;
    uint8_t id[16] = { 7 }, key[33] = { 5 }, pub[33] = { 2 },
            priv[32] = { 3 };
    size_t i;
    bool changed;
    int fd;

    (void)argc;
    (void)argv;
    snprintf(root, sizeof root, "/tmp/airlock-fuzz-store-XXXXXX");
    if (mkdtemp(root) == NULL)
        abort();
    atexit(cleanup);
    /* S: an open account with one row in every table that is read back */
    snprintf(dir, sizeof dir, "%s/acct", root);
    if ((S = open_acct(dir, false, true)) == NULL)
        abort();
    memset(&m, 0, sizeof m);
    memcpy(m.id, id, 16);
    snprintf(m.conversation, sizeof m.conversation, "bob");
    snprintf(m.sender, sizeof m.sender, "bob");
    m.content = (const uint8_t *)"hi";
    m.content_n = 2;
    memset(&self, 0, sizeof self);
    self.identity_pub = pub;
    self.identity_pub_n = sizeof pub;
    self.identity_priv = priv;
    self.identity_priv_n = sizeof priv;
    if (store_contact_ensure(S, "bob", 1) != AIRLOCK_OK ||
        store_msg_insert(S, &m) != AIRLOCK_OK ||
        store_sig_session_put(S, "bob", 1, (const uint8_t *)"rec", 3) !=
            AIRLOCK_OK ||
        store_outbox_add(S, id, "bob", (const uint8_t *)"env", 3) !=
            AIRLOCK_OK ||
        store_rid_seen(S, "bob", 1, key, sizeof key, &changed) !=
            AIRLOCK_OK ||
        store_self_put(S, &self) != AIRLOCK_OK ||
        store_meta_set_sealed(S, "pw", (const uint8_t *)"hunter2", 7) !=
            AIRLOCK_OK)
        abort();
    /* P: a closed passphrase account, its meta kept to restore it */
    snprintf(pdir, sizeof pdir, "%s/pass", root);
    if ((p = open_acct(pdir, true, true)) == NULL)
        abort();
    for (i = 0; i < META_N; i++)
        if (store_meta_get(p, meta_keys[i], &meta_orig[i],
                           &meta_orig_n[i]) != AIRLOCK_OK)
            abort();
    store_close(p);
    snprintf(path, sizeof path, "%s/account.db", pdir);
    if (sqlite3_open(path, &P_db) != SQLITE_OK)
        abort();
    /* F: a closed account with a key file, the key kept to restore it */
    snprintf(fdir, sizeof fdir, "%s/file", root);
    if ((f = open_acct(fdir, false, true)) == NULL)
        abort();
    store_close(f);
    snprintf(fkey, sizeof fkey, "%s/db.key", fdir);
    if ((fd = open(fkey, O_RDONLY)) < 0 ||
        read(fd, file_key, sizeof file_key) != (ssize_t)sizeof file_key)
        abort();
    close(fd);
    /* R: a mailbox with a device, a prekey and an envelope */
    snprintf(path, sizeof path, "%s/relay.db", root);
    if (store_relay_open(path, &R) != AIRLOCK_OK ||
        store_relay_publish(R, "bob", 1, (const uint8_t *)"bundle", 6) !=
            AIRLOCK_OK ||
        store_relay_enqueue(R, "bob", 1, (const uint8_t *)"env", 3) !=
            AIRLOCK_OK)
        abort();
    seed_relay();
    if (sqlite3_open(path, &R_db) != SQLITE_OK)
        abort();
    return 0;
}

static int msg_cb(const store_msg *m, void *arg)
{
    (void)arg;
    /* whatever opens must have been sealed by us: the seeded content */
    if (m->content_n != 2 || memcmp(m->content, "hi", 2) != 0 ||
        strlen(m->sender) > STORE_ADDR_MAX)
        abort();
    return 0;
}

static int out_cb(const uint8_t id[16], const char *to, const uint8_t *f,
                  size_t n, void *arg)
{
    (void)id;
    (void)arg;
    if (strlen(to) > STORE_ADDR_MAX || n != 3 || memcmp(f, "env", 3) != 0)
        abort();
    return 0;
}

static int env_cb(int64_t seq, const uint8_t *env, size_t n, void *arg)
{
    (void)seq;
    (void)arg;
    if (n > STORE_RELAY_ENVELOPE_MAX + 1u || (env == NULL && n > 0))
        abort();
    if (n > 0)
        (void)env[n - 1];
    return 0;
}

static void fuzz_column(const uint8_t *data, size_t size, size_t which)
{
    sqlite3_stmt *st = NULL;
    store_contact c;
    store_remote_id rid;
    store_self self;
    uint8_t *rec = NULL;
    size_t n = 0;

    if (sqlite3_exec(S->db, "SAVEPOINT f", NULL, NULL, NULL) != SQLITE_OK)
        abort();
    if (sqlite3_prepare_v2(S->db, columns[which], -1, &st, NULL) !=
        SQLITE_OK)
        abort();
    sqlite3_bind_blob(st, 1, data, (int)size, SQLITE_STATIC);
    (void)sqlite3_step(st);
    sqlite3_finalize(st);
    (void)store_msg_page(S, "bob", 0, 10, msg_cb, NULL);
    if (store_sig_session_get(S, "bob", 1, &rec, &n) == AIRLOCK_OK) {
        if (n != 3 || memcmp(rec, "rec", 3) != 0)
            abort();
        store_buf_free(rec, n);
    }
    (void)store_outbox_each(S, out_cb, NULL);
    if (store_contact_get(S, "bob", &c) == AIRLOCK_OK &&
        strlen(c.label) > STORE_ADDR_MAX)
        abort();
    if (store_rid_get(S, "bob", 1, &rid) == AIRLOCK_OK &&
        (rid.key_n > sizeof rid.key || rid.pending_n > sizeof rid.pending))
        abort();
    if (store_self_get(S, &self) == AIRLOCK_OK) {
        if (self.identity_priv_n != 32 || self.identity_priv[0] != 3 ||
            self.identity_pub_n > 64)
            abort();
        store_self_clear(&self);
    }
    if (store_meta_get_sealed(S, "pw", &rec, &n) == AIRLOCK_OK) {
        if (n != 7 || memcmp(rec, "hunter2", 7) != 0)
            abort();
        store_buf_free(rec, n);
    }
    if (sqlite3_exec(S->db, "ROLLBACK TO f; RELEASE f", NULL, NULL, NULL) !=
        SQLITE_OK)
        abort();
}

static void set_meta(size_t which, const uint8_t *v, size_t n)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(P_db, "UPDATE meta SET value = ?2 WHERE key = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        abort();
    sqlite3_bind_text(st, 1, meta_keys[which], -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, v, (int)n, SQLITE_STATIC);
    if (n == 0)
        sqlite3_bind_zeroblob(st, 2, 0);
    if (sqlite3_step(st) != SQLITE_DONE)
        abort();
    sqlite3_finalize(st);
}

static void fuzz_meta(const uint8_t *data, size_t size, size_t which)
{
    store *p;

    /* A stored cost above TEST is legitimate but slow (Argon2id with up
     * to 256 MiB): not what this harness is for. */
    if (strcmp(meta_keys[which], "kdf_cost") == 0 && size == 1 &&
        data[0] != BASE_PWHASH_TEST && data[0] <= BASE_PWHASH_MODERATE)
        return;
    set_meta(which, data, size);
    p = open_acct(pdir, true, false);
    if (p != NULL) {
        /* only the original value can open the database */
        if (size != meta_orig_n[which] ||
            memcmp(data, meta_orig[which], size) != 0)
            abort();
        store_close(p);
    }
    set_meta(which, meta_orig[which], meta_orig_n[which]);
}

static void write_key_file(const uint8_t *k, size_t n)
{
    int fd = open(fkey, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (fd < 0 || (n > 0 && write(fd, k, n) != (ssize_t)n))
        abort();
    close(fd);
}

static void fuzz_key_file(const uint8_t *data, size_t size)
{
    store *f;

    write_key_file(data, size);
    f = open_acct(fdir, false, false);
    if (f != NULL) {
        if (size != sizeof file_key || memcmp(data, file_key, size) != 0)
            abort();
        store_close(f);
    }
    write_key_file(file_key, sizeof file_key);
}

static void fuzz_relay(const uint8_t *data, size_t size, size_t which)
{
    uint8_t *bundle = NULL, *pk = NULL;
    size_t bn = 0, pn = 0;
    uint32_t id = 0;

    raw_exec(R_db, relay_columns[which], data, size);
    (void)store_relay_fetch(R, "bob", 1, 0, 10, env_cb, NULL);
    if (store_relay_take_bundle(R, "bob", 1, &bundle, &bn, &id, &pk, &pn) ==
        AIRLOCK_OK) {
        if (bn == 0 || bn > STORE_RELAY_BUNDLE_MAX ||
            pn > STORE_RELAY_PREKEY_MAX)
            abort();
    }
    free(bundle);
    free(pk);
    /* back to the seed: one bundle, one prekey, one envelope */
    if (sqlite3_exec(R_db, "DELETE FROM prekeys", NULL, NULL, NULL) !=
        SQLITE_OK)
        abort();
    raw_exec(R_db, "UPDATE devices SET bundle = ?1", (const uint8_t *)"bundle",
             6);
    raw_exec(R_db, "UPDATE queue SET envelope = ?1", (const uint8_t *)"env",
             3);
    seed_relay();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pick;

    if (size < 1)
        return 0;
    pick = data[0] % (COLUMNS_N + META_N + 1 + RELAY_N);
    data++;
    size--;
    if (pick < COLUMNS_N)
        fuzz_column(data, size, pick);
    else if ((pick -= COLUMNS_N) < META_N)
        fuzz_meta(data, size, pick);
    else if (pick == META_N)
        fuzz_key_file(data, size);
    else
        fuzz_relay(data, size, pick - META_N - 1);
    return 0;
}

/*
 * store.c - opening an account database: permissions, schema and
 * migrations, the database key (Argon2id-wrapped or in a 0600 key file),
 * transactions, the statement cache and sealing helpers.
 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_SCHEMA_VERSION 1
#define STORE_DB_NAME "account.db"
#define STORE_KEY_NAME "db.key"
#define STORE_BUSY_MS 10000
#define STORE_CACHE_KIB 8000

/* v0: the pre-release layout. Kept so the v0 -> v1 migration is tested. */
static const char schema_v0[] =
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

/* Forward-only migrations: migrations[v] takes schema v to v + 1. */
static const char *const migrations[] = {
    /* v0 -> v1: content kind, inert flag and hidden rows on messages;
     * attachment metadata; rate-limit buckets. */
    "ALTER TABLE messages ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE messages ADD COLUMN inert INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE messages ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE attachments(msg_id BLOB NOT NULL, idx INTEGER NOT NULL,"
    " mime TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL,"
    " PRIMARY KEY(msg_id, idx));"
    "CREATE TABLE buckets(key TEXT PRIMARY KEY, tokens REAL NOT NULL,"
    " updated INTEGER NOT NULL);"
    "CREATE INDEX events_kind_sender ON events(kind, sender, id);",
};

_Static_assert(sizeof migrations / sizeof migrations[0] ==
               STORE_SCHEMA_VERSION, "one migration per schema step");

static const char *const sql[Q__COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_META_SET] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
    [Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [Q_SELF_PUT] = "INSERT OR REPLACE INTO self(id, registration_id,"
        " device_id, identity_pub, identity_priv) VALUES (1, ?1, ?2, ?3, ?4)",
    [Q_SELF_GET] = "SELECT registration_id, device_id, identity_pub,"
        " identity_priv FROM self WHERE id = 1",
    [Q_SESS_GET] = "SELECT record FROM sessions WHERE address = ?1"
        " AND device = ?2",
    [Q_SESS_PUT] = "INSERT OR REPLACE INTO sessions(address, device, record)"
        " VALUES (?1, ?2, ?3)",
    [Q_SESS_DEL] = "DELETE FROM sessions WHERE address = ?1 AND device = ?2",
    [Q_SESS_DEL_ALL] = "DELETE FROM sessions WHERE address = ?1",
    [Q_SESS_DEVS] = "SELECT device FROM sessions WHERE address = ?1"
        " ORDER BY device LIMIT 1024",
    [Q_PRE_GET] = "SELECT record FROM prekeys WHERE id = ?1",
    [Q_PRE_PUT] = "INSERT OR REPLACE INTO prekeys(id, record) VALUES (?1, ?2)",
    [Q_PRE_DEL] = "DELETE FROM prekeys WHERE id = ?1",
    [Q_PRE_COUNT] = "SELECT count(*) FROM prekeys",
    [Q_SPK_GET] = "SELECT record FROM signed_prekeys WHERE id = ?1",
    [Q_SPK_PUT] = "INSERT OR REPLACE INTO signed_prekeys(id, record)"
        " VALUES (?1, ?2)",
    [Q_SPK_DEL] = "DELETE FROM signed_prekeys WHERE id = ?1",
    [Q_RID_GET] = "SELECT key, status, first_seen, pending FROM identities"
        " WHERE address = ?1 AND device = ?2",
    [Q_RID_INS] = "INSERT INTO identities(address, device, key, status,"
        " first_seen) VALUES (?1, ?2, ?3, 0, ?4)",
    [Q_RID_CHANGE] = "UPDATE identities SET status = 2, pending = ?3"
        " WHERE address = ?1 AND device = ?2",
    [Q_RID_ACK] = "UPDATE identities SET key = coalesce(pending, key),"
        " pending = NULL, status = 0 WHERE address = ?1 AND status = 2",
    [Q_RID_VERIFY] = "UPDATE identities SET status = 1 WHERE address = ?1"
        " AND status <> 2",
    [Q_RID_ANY_CHANGED] = "SELECT 1 FROM identities WHERE address = ?1"
        " AND status = 2 LIMIT 1",
    [Q_RID_HOLD] = "UPDATE identities SET status = 2, pending = key"
        " WHERE address = ?1 AND device = ?2",
    [Q_RID_RELEASE] = "UPDATE identities SET key = coalesce(pending, key),"
        " pending = NULL, status = 0 WHERE address = ?1 AND device = ?2"
        " AND status = 2",
    [Q_CON_GET] = "SELECT address, label, trust, created, last, messages,"
        " unread FROM contacts WHERE address = ?1",
    [Q_CON_ENSURE] = "INSERT OR IGNORE INTO contacts(address, label, trust,"
        " created) VALUES (?1, ?1, 0, ?2)",
    [Q_CON_TRUST] = "UPDATE contacts SET trust = ?2 WHERE address = ?1",
    [Q_CON_DEL] = "DELETE FROM contacts WHERE address = ?1",
    [Q_CON_DEL_MSGS] = "DELETE FROM messages WHERE conversation = ?1",
    [Q_CON_EACH] = "SELECT address, label, trust, created, last, messages,"
        " unread FROM contacts WHERE ((1 << trust) & ?1) <> 0"
        " ORDER BY last DESC, address",
    [Q_CON_READ] = "UPDATE contacts SET unread = 0 WHERE address = ?1",
    [Q_CON_BUMP] = "UPDATE contacts SET messages = messages + 1,"
        " unread = unread + ?2, last = max(last, ?3) WHERE address = ?1",
    [Q_MSG_INS] = "INSERT INTO messages(id, conversation, sender,"
        " sender_device, outgoing, sent, received, state, kind, inert,"
        " dedup, content) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
        " ?11, ?12)",
    [Q_MSG_SEEN] = "SELECT 1 FROM messages WHERE dedup = ?1",
    [Q_MSG_PAGE] = "SELECT seq, id, conversation, sender, sender_device,"
        " outgoing, sent, received, state, kind, inert, content FROM messages"
        " WHERE conversation = ?1 AND seq < ?2 AND hidden = 0"
        " ORDER BY seq DESC LIMIT ?3",
    [Q_MSG_GET] = "SELECT seq, id, conversation, sender, sender_device,"
        " outgoing, sent, received, state, kind, inert, content FROM messages"
        " WHERE id = ?1 AND hidden = 0",
    [Q_MSG_STATE] = "UPDATE messages SET state = ?2 WHERE id = ?1",
    [Q_MSG_HIDE] = "UPDATE messages SET hidden = 1, content = NULL"
        " WHERE id = ?1",
    /* CROSS JOIN keeps contacts the outer loop: only the requests'
     * messages are visited (through the conversation index), never the
     * whole table. */
    [Q_MSG_REQ_COUNT] = "SELECT count(*) FROM contacts c CROSS JOIN"
        " messages m ON m.conversation = c.address WHERE c.trust = 0"
        " AND m.hidden = 0",
    [Q_OUT_ADD] = "INSERT OR REPLACE INTO outbox(id, recipient, frame)"
        " VALUES (?1, ?2, ?3)",
    [Q_OUT_EACH] = "SELECT id, recipient, frame FROM outbox ORDER BY rowid",
    [Q_OUT_DEL] = "DELETE FROM outbox WHERE id = ?1",
    [Q_EV_FIND] = "SELECT id, last FROM events WHERE kind = ?1"
        " AND sender = ?2 ORDER BY id DESC LIMIT 1",
    [Q_EV_BUMP] = "UPDATE events SET count = min(count + ?3, 4294967295),"
        " last = ?2 WHERE id = ?1",
    [Q_EV_INS] = "INSERT INTO events(kind, sender, detail, first, last,"
        " count) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
    [Q_EV_EACH] = "SELECT id, kind, sender, detail, first, last, count"
        " FROM events ORDER BY id DESC LIMIT ?1",
    [Q_EV_MAX] = "SELECT coalesce(max(id), 0) FROM events",
    [Q_BUCKET_GET] = "SELECT tokens, updated FROM buckets WHERE key = ?1",
    [Q_BUCKET_PUT] = "INSERT OR REPLACE INTO buckets(key, tokens, updated)"
        " VALUES (?1, ?2, ?3)",
    [Q_ATT_ADD] = "INSERT OR REPLACE INTO attachments(msg_id, idx, mime,"
        " name, size) VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_SESS_HAS] = "SELECT 1 FROM sessions WHERE address = ?1"
        " AND device = ?2",
    [Q_SYNC_FULL] = "PRAGMA synchronous=FULL",
    [Q_SYNC_NORMAL] = "PRAGMA synchronous=NORMAL",
    [Q_OUT_SENT_STATE] = "UPDATE messages SET state = 2 WHERE state = 1"
        " AND id IN (SELECT id FROM outbox WHERE rowid <="
        " (SELECT rowid FROM outbox WHERE id = ?1))",
    [Q_OUT_SENT_DEL] = "DELETE FROM outbox WHERE rowid <="
        " (SELECT rowid FROM outbox WHERE id = ?1)",
};

airlock_err store_sqlite_err(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return AIRLOCK_OK;
    case SQLITE_NOMEM:
        return AIRLOCK_ERR_NOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
        return AIRLOCK_ERR_CORRUPT;
    case SQLITE_CONSTRAINT:
        return AIRLOCK_ERR_DUPLICATE;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return AIRLOCK_ERR_IO;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return AIRLOCK_ERR_TIMEOUT;
    case SQLITE_TOOBIG:
        return AIRLOCK_ERR_TOO_LARGE;
    default:
        return AIRLOCK_ERR_STORE;
    }
}

airlock_err store_stmt(store *s, int id, sqlite3_stmt **out)
{
    int rc;

    *out = NULL;
    if (s->q[id] == NULL) {
        rc = sqlite3_prepare_v3(s->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                &s->q[id], NULL);
        if (rc != SQLITE_OK)
            return store_sqlite_err(rc);
    } else {
        sqlite3_reset(s->q[id]);
        sqlite3_clear_bindings(s->q[id]);
    }
    *out = s->q[id];
    return AIRLOCK_OK;
}

/* ---- sealing: the associated data is "what|row" ---- */

static airlock_err seal_ad(const char *what, const char *row, size_t row_n,
                           wr *w)
{
    wr_init(w, NULL, 64 + STORE_ADDR_MAX + 32);
    wr_str(w, what);
    wr_u8(w, '|');
    wr_bytes(w, row, row_n);
    return w->err;
}

airlock_err store_seal(store *s, const char *what, const char *row,
                       size_t row_n, const uint8_t *pt, size_t n,
                       uint8_t **out, size_t *out_n)
{
    wr ad;
    uint8_t *ct = NULL;
    airlock_err err;

    *out = NULL;
    *out_n = 0;
    if ((err = seal_ad(what, row, row_n, &ad)) != AIRLOCK_OK)
        goto out;
    if ((ct = malloc(n + BASE_SEAL_OVERHEAD)) == NULL) {
        err = AIRLOCK_ERR_NOMEM;
        goto out;
    }
    if ((err = base_seal(s->key, ad.buf, ad.len, pt, n, ct)) != AIRLOCK_OK)
        goto out;
    *out = ct;
    *out_n = n + BASE_SEAL_OVERHEAD;
    ct = NULL;
out:
    free(ct);
    wr_clear(&ad, false);
    return err;
}

airlock_err store_unseal(store *s, const char *what, const char *row,
                         size_t row_n, const uint8_t *ct, size_t n,
                         size_t max, uint8_t **out, size_t *out_n)
{
    wr ad;
    uint8_t *pt = NULL;
    airlock_err err;

    *out = NULL;
    *out_n = 0;
    /* Stored bytes are hostile too: size checked before any work. */
    if (ct == NULL || n < BASE_SEAL_OVERHEAD ||
        n - BASE_SEAL_OVERHEAD > max)
        return AIRLOCK_ERR_CORRUPT;
    if ((err = seal_ad(what, row, row_n, &ad)) != AIRLOCK_OK)
        goto out;
    if ((pt = malloc(n - BASE_SEAL_OVERHEAD + 1)) == NULL) {
        err = AIRLOCK_ERR_NOMEM;
        goto out;
    }
    if (base_seal_open(s->key, ad.buf, ad.len, ct, n, pt) != AIRLOCK_OK) {
        err = AIRLOCK_ERR_CORRUPT;
        goto out;
    }
    pt[n - BASE_SEAL_OVERHEAD] = 0;
    *out = pt;
    *out_n = n - BASE_SEAL_OVERHEAD;
    pt = NULL;
out:
    free(pt);
    wr_clear(&ad, false);
    return err;
}

void store_buf_free(uint8_t *p, size_t n)
{
    if (p == NULL)
        return;
    base_wipe(p, n);
    free(p);
}

/* ---- permissions ---- */

airlock_err store_check_dir(const char *dir)
{
    struct stat sb;

    if (stat(dir, &sb) != 0)
        return errno == ENOENT ? AIRLOCK_ERR_NOT_FOUND : AIRLOCK_ERR_IO;
    if (!S_ISDIR(sb.st_mode))
        return AIRLOCK_ERR_IO;
    if ((sb.st_mode & 077) != 0 || sb.st_uid != geteuid())
        return AIRLOCK_ERR_PERM;
    return AIRLOCK_OK;
}

airlock_err store_check_file(const char *path)
{
    struct stat sb;

    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? AIRLOCK_ERR_NOT_FOUND : AIRLOCK_ERR_IO;
    if (!S_ISREG(sb.st_mode))
        return AIRLOCK_ERR_IO;
    if ((sb.st_mode & 077) != 0 || sb.st_uid != geteuid())
        return AIRLOCK_ERR_PERM;
    return AIRLOCK_OK;
}

airlock_err store_pragmas(sqlite3 *db, bool full_sync)
{
    char q[512];
    int rc, n;

    sqlite3_busy_timeout(db, STORE_BUSY_MS);
    /* Files are hostile too: no schema writes through SQL, and b-tree
     * cells checked as they are read so damage is reported, not
     * followed. Deleted rows are zeroed where that costs no extra I/O
     * (metadata is not sealed). */
    (void)sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    n = snprintf(q, sizeof q,
                 "PRAGMA synchronous=%s; PRAGMA cache_size=-%d;"
                 " PRAGMA temp_store=MEMORY; PRAGMA foreign_keys=OFF;"
                 " PRAGMA trusted_schema=OFF; PRAGMA cell_size_check=ON;"
                 " PRAGMA secure_delete=FAST;",
                 full_sync ? "FULL" : "NORMAL", STORE_CACHE_KIB);
    if (n < 0 || (size_t)n >= sizeof q)
        return AIRLOCK_ERR_STORE;
    rc = sqlite3_exec(db, q, NULL, NULL, NULL);
    return store_sqlite_err(rc);
}

airlock_err store_wal(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    airlock_err err = AIRLOCK_ERR_STORE;
    int rc;

    /* A no-op on a database already in WAL mode (the mode persists). */
    rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_err(rc);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 3 &&
        memcmp(sqlite3_column_text(st, 0), "wal", 3) == 0)
        err = AIRLOCK_OK;
    else if (rc != SQLITE_ROW)
        err = store_sqlite_err(rc);
    sqlite3_finalize(st);
    return err;
}

/* ---- schema ---- */

static airlock_err exec(store *s, const char *q)
{
    return store_sqlite_err(sqlite3_exec(s->db, q, NULL, NULL, NULL));
}

static airlock_err int_query(store *s, const char *q, int *v)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *v = -1;
    rc = sqlite3_prepare_v2(s->db, q, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_err(rc);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? AIRLOCK_OK : store_sqlite_err(rc);
}

static airlock_err user_version(store *s, int *v)
{
    return int_query(s, "PRAGMA user_version", v);
}

/* The schema at STORE_SCHEMA_VERSION, built the way every older database
 * gets there: v0, then each migration. Runs inside the caller's
 * transaction. */
static airlock_err schema_create(store *s)
{
    int v;
    airlock_err err;

    if ((err = exec(s, schema_v0)) != AIRLOCK_OK)
        return err;
    for (v = 0; v < STORE_SCHEMA_VERSION; v++)
        if ((err = exec(s, migrations[v])) != AIRLOCK_OK)
            return err;
    return AIRLOCK_OK;
}

static airlock_err set_version(store *s)
{
    char q[64];

    snprintf(q, sizeof q, "PRAGMA user_version=%d", STORE_SCHEMA_VERSION);
    return exec(s, q);
}

/* Bring an existing database forward, in one transaction: it either ends
 * at STORE_SCHEMA_VERSION or is left exactly as it was. */
static airlock_err migrate(store *s)
{
    int v;
    airlock_err err;

    if ((err = exec(s, "BEGIN IMMEDIATE")) != AIRLOCK_OK)
        return err;
    if ((err = user_version(s, &v)) != AIRLOCK_OK)
        goto fail;
    if (v > STORE_SCHEMA_VERSION) {
        err = AIRLOCK_ERR_SCHEMA;
        goto fail;
    }
    if (v == STORE_SCHEMA_VERSION)
        return exec(s, "COMMIT");
    if (v < 0) {
        err = AIRLOCK_ERR_CORRUPT;
        goto fail;
    }
    for (; v < STORE_SCHEMA_VERSION; v++)
        if ((err = exec(s, migrations[v])) != AIRLOCK_OK)
            goto fail;
    if ((err = set_version(s)) != AIRLOCK_OK)
        goto fail;
    return exec(s, "COMMIT");
fail:
    (void)exec(s, "ROLLBACK");
    return err;
}

/* ---- the database key ---- */

static airlock_err key_file_path(const char *dir, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s", dir, STORE_KEY_NAME);

    return n > 0 && (size_t)n < cap ? AIRLOCK_OK : AIRLOCK_ERR_ARG;
}

/* Create a file that is ours and 0600 from the first byte, whatever the
 * umask says. */
static int create_private(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                  0600);

    if (fd >= 0 && fchmod(fd, 0600) != 0) {
        close(fd);
        (void)unlink(path);
        errno = EIO;
        return -1;
    }
    return fd;
}

static airlock_err key_file_write(const char *path, const uint8_t *key)
{
    int fd = create_private(path);
    ssize_t w;

    if (fd < 0)
        return errno == EEXIST ? AIRLOCK_ERR_EXISTS : AIRLOCK_ERR_IO;
    w = write(fd, key, BASE_SEAL_KEY);
    if (w != (ssize_t)BASE_SEAL_KEY || fsync(fd) != 0) {
        close(fd);
        (void)unlink(path);
        return AIRLOCK_ERR_IO;
    }
    if (close(fd) != 0) {
        (void)unlink(path);
        return AIRLOCK_ERR_IO;
    }
    return AIRLOCK_OK;
}

static airlock_err key_file_read(const char *path, uint8_t *key)
{
    uint8_t extra;
    int fd;
    ssize_t r;
    airlock_err err;

    if ((err = store_check_file(path)) != AIRLOCK_OK)
        return err == AIRLOCK_ERR_NOT_FOUND ? AIRLOCK_ERR_PASSPHRASE : err;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
        return AIRLOCK_ERR_IO;
    r = read(fd, key, BASE_SEAL_KEY);
    if (r == (ssize_t)BASE_SEAL_KEY && read(fd, &extra, 1) != 0)
        r = -1;                   /* longer than a key: not ours */
    close(fd);
    return r == (ssize_t)BASE_SEAL_KEY ? AIRLOCK_OK : AIRLOCK_ERR_CORRUPT;
}

static airlock_err meta_put(store *s, const char *k, const void *v, size_t n)
{
    return store_meta_set(s, k, v, n);
}

/* A sealed constant proves the key is the database's own. */
static const char key_check_what[] = "meta.key_check";
static const uint8_t key_check_text[] = "airlock";
#define KEY_CHECK_N (sizeof key_check_text - 1)
/* The wrapped key's associated data. */
static const uint8_t db_key_ad[] = "meta.db_key";
#define DB_KEY_AD_N (sizeof db_key_ad - 1)

/* A new database key: random, then wrapped under the passphrase or written
 * to the key file (*made_key says a key file now exists). */
static airlock_err key_setup(store *s, const store_open_args *a,
                             bool *made_key)
{
    uint8_t salt[BASE_PWHASH_SALT], kek[32], wrapped[BASE_SEAL_KEY +
                                                     BASE_SEAL_OVERHEAD];
    uint8_t *check = NULL;
    size_t check_n = 0;
    char path[4200];
    uint8_t cost = a->fast_kdf ? BASE_PWHASH_TEST : BASE_PWHASH_MODERATE;
    airlock_err err;

    *made_key = false;
    base_random(s->key, BASE_SEAL_KEY);
    if (a->mode == STORE_NO_PASSPHRASE) {
        if ((err = key_file_path(s->dir, path, sizeof path)) != AIRLOCK_OK ||
            (err = key_file_write(path, s->key)) != AIRLOCK_OK)
            goto out;
        *made_key = true;
        if ((err = meta_put(s, "key_mode", "file", 4)) != AIRLOCK_OK)
            goto out;
    } else {
        base_random(salt, sizeof salt);
        if ((err = base_pwhash(a->passphrase, a->passphrase_len, salt,
                               (base_pwhash_cost)cost, kek)) != AIRLOCK_OK ||
            (err = base_seal(kek, db_key_ad, DB_KEY_AD_N, s->key,
                             BASE_SEAL_KEY, wrapped)) != AIRLOCK_OK ||
            (err = meta_put(s, "key_mode", "passphrase", 10)) != AIRLOCK_OK ||
            (err = meta_put(s, "kdf_salt", salt, sizeof salt)) != AIRLOCK_OK ||
            (err = meta_put(s, "kdf_cost", &cost, 1)) != AIRLOCK_OK ||
            (err = meta_put(s, "db_key", wrapped, sizeof wrapped)) !=
                AIRLOCK_OK)
            goto out;
    }
    if ((err = store_seal(s, key_check_what, "", 0, key_check_text,
                          KEY_CHECK_N, &check, &check_n)) != AIRLOCK_OK)
        goto out;
    err = meta_put(s, "key_check", check, check_n);
out:
    free(check);
    base_wipe(kek, sizeof kek);
    return err;
}

/* Unwrap the database key. Every meta value is checked for its exact size
 * before use; what does not fit is CORRUPT. A wrapped key that does not
 * open under the passphrase is PASSPHRASE (a damaged wrapped key looks
 * the same: nothing can tell the two apart). */
static airlock_err key_load(store *s, const store_open_args *a)
{
    uint8_t *mode = NULL, *salt = NULL, *cost = NULL, *wrapped = NULL;
    uint8_t *check = NULL, *pt = NULL, kek[32];
    size_t mode_n = 0, salt_n = 0, cost_n = 0, wrapped_n = 0, check_n = 0;
    size_t pt_n = 0;
    char path[4200];
    airlock_err err;

    if ((err = store_meta_get(s, "key_mode", &mode, &mode_n)) != AIRLOCK_OK)
        goto corrupt;
    if (mode_n == 4 && memcmp(mode, "file", 4) == 0) {
        if ((err = key_file_path(s->dir, path, sizeof path)) != AIRLOCK_OK ||
            (err = key_file_read(path, s->key)) != AIRLOCK_OK)
            goto out;
    } else if (mode_n == 10 && memcmp(mode, "passphrase", 10) == 0) {
        if (a->passphrase == NULL) {
            err = AIRLOCK_ERR_PASSPHRASE;
            goto out;
        }
        if ((err = store_meta_get(s, "kdf_salt", &salt, &salt_n)) !=
                AIRLOCK_OK ||
            (err = store_meta_get(s, "kdf_cost", &cost, &cost_n)) !=
                AIRLOCK_OK ||
            (err = store_meta_get(s, "db_key", &wrapped, &wrapped_n)) !=
                AIRLOCK_OK)
            goto corrupt;
        if (salt_n != BASE_PWHASH_SALT || cost_n != 1 ||
            cost[0] > BASE_PWHASH_MODERATE ||
            wrapped_n != BASE_SEAL_KEY + BASE_SEAL_OVERHEAD) {
            err = AIRLOCK_ERR_CORRUPT;
            goto corrupt;
        }
        if ((err = base_pwhash(a->passphrase, a->passphrase_len, salt,
                               (base_pwhash_cost)cost[0], kek)) != AIRLOCK_OK)
            goto out;
        if (base_seal_open(kek, db_key_ad, DB_KEY_AD_N, wrapped, wrapped_n,
                           s->key) != AIRLOCK_OK) {
            err = AIRLOCK_ERR_PASSPHRASE;
            goto out;
        }
    } else {
        err = AIRLOCK_ERR_CORRUPT;
        goto corrupt;
    }
    if ((err = store_meta_get(s, "key_check", &check, &check_n)) !=
        AIRLOCK_OK)
        goto corrupt;
    if ((err = store_unseal(s, key_check_what, "", 0, check, check_n,
                            KEY_CHECK_N, &pt, &pt_n)) != AIRLOCK_OK)
        goto out;
    err = pt_n == KEY_CHECK_N && memcmp(pt, key_check_text, pt_n) == 0 ?
          AIRLOCK_OK : AIRLOCK_ERR_CORRUPT;
    goto out;
corrupt:
    /* a missing or misshapen meta row; store errors pass through */
    if (err == AIRLOCK_ERR_NOT_FOUND)
        err = AIRLOCK_ERR_CORRUPT;
out:
    base_wipe(kek, sizeof kek);
    free(mode);
    free(salt);
    free(cost);
    free(wrapped);
    free(check);
    free(pt);
    return err;
}

/* ---- open / close ---- */

/* The account directory: created 0700 (whatever the umask), or an existing
 * one that already is 0700 and ours. *made says we created it. */
static airlock_err make_account_dir(const char *dir, bool *made)
{
    *made = false;
    if (mkdir(dir, 0700) != 0) {
        if (errno != EEXIST)
            return errno == ENOENT ? AIRLOCK_ERR_NOT_FOUND : AIRLOCK_ERR_IO;
        return store_check_dir(dir);
    }
    *made = true;
    if (chmod(dir, 0700) != 0)
        return AIRLOCK_ERR_IO;
    return AIRLOCK_OK;
}

/* Create the database file ourselves so it is 0600 from the first byte
 * (SQLite gives the -wal and -shm files the same mode). */
static airlock_err make_db_file(const char *path)
{
    int fd = create_private(path);

    if (fd < 0)
        return errno == EEXIST ? AIRLOCK_ERR_EXISTS : AIRLOCK_ERR_IO;
    close(fd);
    return AIRLOCK_OK;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* A new account in one transaction: schema, key and the no-passphrase
 * event commit together or not at all. */
static airlock_err create_db(store *s, const store_open_args *a,
                             bool *made_key)
{
    airlock_err err;

    *made_key = false;
    if ((err = exec(s, "BEGIN IMMEDIATE")) != AIRLOCK_OK)
        return err;
    if ((err = schema_create(s)) != AIRLOCK_OK ||
        (err = set_version(s)) != AIRLOCK_OK ||
        (err = key_setup(s, a, made_key)) != AIRLOCK_OK)
        goto fail;
    if (a->mode == STORE_NO_PASSPHRASE &&
        (err = store_event_add(s, AIRLOCK_SEC_NO_PASSPHRASE, "",
                               "database key kept in a key file, not "
                               "protected by a passphrase",
                               base_now_ms(), 0)) != AIRLOCK_OK)
        goto fail;
    if ((err = exec(s, "COMMIT")) != AIRLOCK_OK)
        goto fail;
    sync_dir(s->dir);
    return AIRLOCK_OK;
fail:
    (void)exec(s, "ROLLBACK");
    return err;
}

/* Undo a creation that failed: remove only what this call made. */
static void unmake(const char *dir, const char *db, bool made_db,
                   bool made_key, bool made_dir)
{
    static const char *const side[] = { "-wal", "-shm", "-journal" };
    char path[4200];
    size_t i;

    if (made_db) {
        (void)unlink(db);
        for (i = 0; i < sizeof side / sizeof side[0]; i++) {
            snprintf(path, sizeof path, "%s%s", db, side[i]);
            (void)unlink(path);
        }
    }
    if (made_key && key_file_path(dir, path, sizeof path) == AIRLOCK_OK)
        (void)unlink(path);
    if (made_dir)
        (void)rmdir(dir);
}

airlock_err store_open(const store_open_args *a, store **out)
{
    store *s = NULL;
    char path[4200];
    bool made_dir = false, made_db = false, made_key = false;
    int rc, n, v;
    airlock_err err;

    if (out == NULL)
        return AIRLOCK_ERR_ARG;
    *out = NULL;
    if (a == NULL || a->dir == NULL || a->dir[0] == '\0' ||
        strlen(a->dir) >= sizeof s->dir ||
        (a->passphrase == NULL && a->passphrase_len > 0) ||
        (a->mode != STORE_PASSPHRASE && a->mode != STORE_NO_PASSPHRASE) ||
        (a->mode == STORE_PASSPHRASE && a->create && a->passphrase == NULL))
        return AIRLOCK_ERR_ARG;
    if ((err = base_init()) != AIRLOCK_OK)
        return err;
    n = snprintf(path, sizeof path, "%s/%s", a->dir, STORE_DB_NAME);
    if (n < 0 || (size_t)n >= sizeof path)
        return AIRLOCK_ERR_ARG;
    if (a->create) {
        if ((err = make_account_dir(a->dir, &made_dir)) != AIRLOCK_OK)
            goto fail;
        if ((err = make_db_file(path)) != AIRLOCK_OK)
            goto fail;
        made_db = true;
    } else {
        if ((err = store_check_dir(a->dir)) != AIRLOCK_OK ||
            (err = store_check_file(path)) != AIRLOCK_OK)
            return err;
    }
    if ((s = calloc(1, sizeof *s)) == NULL) {
        err = AIRLOCK_ERR_NOMEM;
        goto fail;
    }
    memcpy(s->dir, a->dir, strlen(a->dir) + 1);
    if ((s->key = base_secure_alloc(BASE_SEAL_KEY)) == NULL) {
        err = AIRLOCK_ERR_NOMEM;
        goto fail;
    }
    rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
                         SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc != SQLITE_OK) {
        err = store_sqlite_err(rc);
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 0);
    sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
    /* A newer schema is refused before anything (even the journal mode)
     * is written. */
    if (!a->create) {
        if ((err = user_version(s, &v)) != AIRLOCK_OK)
            goto fail;
        if (v > STORE_SCHEMA_VERSION) {
            err = AIRLOCK_ERR_SCHEMA;
            goto fail;
        }
        /* No table at all: a creation that never committed. */
        if ((err = int_query(s, "SELECT count(*) FROM sqlite_master",
                             &n)) != AIRLOCK_OK)
            goto fail;
        if (n == 0) {
            err = AIRLOCK_ERR_CORRUPT;
            goto fail;
        }
    }
    if ((err = store_pragmas(s->db, true)) != AIRLOCK_OK)
        goto fail;
    if (a->create) {
        if ((err = store_wal(s->db)) != AIRLOCK_OK ||
            (err = create_db(s, a, &made_key)) != AIRLOCK_OK)
            goto fail;
    } else if ((err = key_load(s, a)) != AIRLOCK_OK ||
               (err = migrate(s)) != AIRLOCK_OK ||
               (err = store_wal(s->db)) != AIRLOCK_OK) {
        /* The key first: a wrong passphrase migrates nothing. WAL last:
         * a refused or failed open leaves even the header as it was. */
        goto fail;
    }
    *out = s;
    return AIRLOCK_OK;
fail:
    store_close(s);
    unmake(a->dir, path, made_db, made_key, made_dir);
    return err;
}

void store_close(store *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < Q__COUNT; i++)
        sqlite3_finalize(s->q[i]);
    if (s->db != NULL)
        sqlite3_close(s->db);
    base_secure_free(s->key);
    base_wipe(s, sizeof *s);
    free(s);
}

airlock_err store_check_integrity(store *s)
{
    sqlite3_stmt *st = NULL;
    airlock_err err = AIRLOCK_ERR_CORRUPT;
    int rc;

    if (s == NULL)
        return AIRLOCK_ERR_ARG;
    rc = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_err(rc);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 2 &&
        memcmp(sqlite3_column_text(st, 0), "ok", 2) == 0)
        err = AIRLOCK_OK;
    else if (rc != SQLITE_ROW && store_sqlite_err(rc) != AIRLOCK_ERR_CORRUPT)
        err = store_sqlite_err(rc);
    sqlite3_finalize(st);
    return err;
}

/* ---- transactions ---- */

static airlock_err run_simple(store *s, int id)
{
    sqlite3_stmt *st;
    airlock_err err = store_stmt(s, id, &st);

    if (err != AIRLOCK_OK)
        return err;
    err = store_sqlite_err(sqlite3_step(st));
    sqlite3_reset(st);
    return err;
}

static airlock_err begin_level(store *s)
{
    airlock_err err;

    if (s->depth == 0) {
        if ((err = run_simple(s, Q_BEGIN)) != AIRLOCK_OK)
            return err;
        s->failed = false;
    }
    s->depth++;
    return AIRLOCK_OK;
}

airlock_err store_begin(store *s)
{
    airlock_err err;

    /* A lazy transaction whose end could not put FULL back: do it now, or
     * this one would not be durable either. */
    if (s->depth == 0 && s->lazy) {
        if ((err = run_simple(s, Q_SYNC_FULL)) != AIRLOCK_OK)
            return err;
        s->lazy = false;
    }
    return begin_level(s);
}

/* The safety level cannot change inside a transaction: it is set before
 * BEGIN and put back once the outermost level has ended. */
static void lazy_end(store *s)
{
    if (s->depth == 0 && s->lazy && run_simple(s, Q_SYNC_FULL) == AIRLOCK_OK)
        s->lazy = false;
}

airlock_err store_begin_lazy(store *s)
{
    airlock_err err;

    if (s->depth == 0 && run_simple(s, Q_SYNC_NORMAL) == AIRLOCK_OK)
        s->lazy = true;
    if ((err = begin_level(s)) != AIRLOCK_OK)
        lazy_end(s);
    return err;
}

airlock_err store_commit(store *s)
{
    airlock_err err;

    if (s->depth == 0)
        return AIRLOCK_ERR_STATE;
    if (--s->depth > 0)
        return AIRLOCK_OK;
    /* SQLite rolls a transaction back by itself after some errors (full
     * disk, I/O, out of memory): then there is nothing to commit, and what
     * ran since was not part of it. */
    if (sqlite3_get_autocommit(s->db))
        err = AIRLOCK_ERR_STORE;
    else if (s->failed) {
        (void)run_simple(s, Q_ROLLBACK);
        err = AIRLOCK_ERR_STATE;
    } else if ((err = run_simple(s, Q_COMMIT)) != AIRLOCK_OK &&
               !sqlite3_get_autocommit(s->db))
        (void)run_simple(s, Q_ROLLBACK);
    lazy_end(s);
    return err;
}

void store_rollback(store *s)
{
    if (s->depth == 0)
        return;
    if (--s->depth > 0) {
        /* An inner level failed: the whole transaction will roll back. */
        s->failed = true;
        return;
    }
    if (!sqlite3_get_autocommit(s->db))
        (void)run_simple(s, Q_ROLLBACK);
    lazy_end(s);
}

void store_unwind(store *s)
{
    if (s->depth == 0)
        return;
    if (--s->depth == 0 && !sqlite3_get_autocommit(s->db))
        (void)run_simple(s, Q_ROLLBACK);
    lazy_end(s);
}

/* ---- meta ---- */

airlock_err store_meta_set(store *s, const char *key, const uint8_t *v,
                           size_t n)
{
    sqlite3_stmt *st;
    airlock_err err;

    if (key == NULL || key[0] == '\0' || strlen(key) > STORE_ADDR_MAX ||
        (v == NULL && n > 0))
        return AIRLOCK_ERR_ARG;
    if (n > STORE_RECORD_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    if ((err = store_stmt(s, Q_META_SET, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (n > 0)
        sqlite3_bind_blob(st, 2, v, (int)n, SQLITE_STATIC);
    else
        sqlite3_bind_zeroblob(st, 2, 0);   /* empty, not NULL */
    err = store_sqlite_err(sqlite3_step(st));
    sqlite3_reset(st);
    return err;
}

airlock_err store_meta_get(store *s, const char *key, uint8_t **v, size_t *n)
{
    sqlite3_stmt *st;
    airlock_err err;
    int rc, len;

    *v = NULL;
    *n = 0;
    if (key == NULL || key[0] == '\0' || strlen(key) > STORE_ADDR_MAX)
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_META_GET, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        len = sqlite3_column_bytes(st, 0);
        if (len < 0 || (size_t)len > STORE_RECORD_MAX) {
            err = AIRLOCK_ERR_CORRUPT;
        } else if ((*v = malloc((size_t)len + 1)) == NULL) {
            err = AIRLOCK_ERR_NOMEM;
        } else {
            if (len > 0)
                memcpy(*v, sqlite3_column_blob(st, 0), (size_t)len);
            (*v)[len] = 0;
            *n = (size_t)len;
        }
    } else {
        err = rc == SQLITE_DONE ? AIRLOCK_ERR_NOT_FOUND : store_sqlite_err(rc);
    }
    sqlite3_reset(st);
    return err;
}

/* A meta value sealed like every secret record (XMPP password): the
 * associated data binds it to its key. */
airlock_err store_meta_set_sealed(store *s, const char *key,
                                  const uint8_t *v, size_t n)
{
    uint8_t *ct = NULL;
    size_t ct_n = 0;
    airlock_err err;

    if (s == NULL || key == NULL || (v == NULL && n > 0))
        return AIRLOCK_ERR_ARG;
    if (n > STORE_RECORD_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    if ((err = store_seal(s, "meta.sealed", key, strlen(key), v, n, &ct,
                          &ct_n)) != AIRLOCK_OK)
        return err;
    err = store_meta_set(s, key, ct, ct_n);
    free(ct);
    return err;
}

airlock_err store_meta_get_sealed(store *s, const char *key, uint8_t **v,
                                  size_t *n)
{
    uint8_t *ct = NULL;
    size_t ct_n = 0;
    airlock_err err;

    *v = NULL;
    *n = 0;
    if (s == NULL || key == NULL)
        return AIRLOCK_ERR_ARG;
    if ((err = store_meta_get(s, key, &ct, &ct_n)) != AIRLOCK_OK)
        return err;
    err = store_unseal(s, "meta.sealed", key, strlen(key), ct, ct_n,
                       STORE_RECORD_MAX, v, n);
    free(ct);
    return err;
}

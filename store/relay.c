/*
 * relay.c - the local mailbox: one SQLite file shared by every account
 * device on the machine. A directory of published devices (bundle and
 * one-time prekeys, each prekey consumed at most once) and a queue of
 * envelopes per (address, device). Bundles and envelopes are opaque here.
 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RELAY_SCHEMA_VERSION 1
#define STORE_RELAY_BUSY_MS 10000

enum {
    R_BEGIN, R_COMMIT, R_ROLLBACK,
    R_PUBLISH, R_PREKEY_ADD, R_PREKEY_COUNT, R_DEVICES, R_BUNDLE,
    R_PREKEY_PICK, R_PREKEY_DEL, R_ENQUEUE, R_FETCH, R_ACK, R_ACK_RANGE,
    R_PENDING, R_SYNC_FULL, R_SYNC_NORMAL,
    R__COUNT
};

static const char relay_schema[] =
    "CREATE TABLE IF NOT EXISTS devices(address TEXT NOT NULL,"
    " device INTEGER NOT NULL, bundle BLOB NOT NULL,"
    " PRIMARY KEY(address, device));"
    "CREATE TABLE IF NOT EXISTS prekeys(address TEXT NOT NULL,"
    " device INTEGER NOT NULL, id INTEGER NOT NULL, record BLOB NOT NULL,"
    " PRIMARY KEY(address, device, id));"
    "CREATE TABLE IF NOT EXISTS queue(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " address TEXT NOT NULL, device INTEGER NOT NULL,"
    " envelope BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS queue_destination ON queue(address, device,"
    " seq);";

static const char *const rsql[R__COUNT] = {
    [R_BEGIN] = "BEGIN IMMEDIATE",
    [R_COMMIT] = "COMMIT",
    [R_ROLLBACK] = "ROLLBACK",
    [R_PUBLISH] = "INSERT OR REPLACE INTO devices(address, device, bundle)"
        " VALUES (?1, ?2, ?3)",
    [R_PREKEY_ADD] = "INSERT OR REPLACE INTO prekeys(address, device, id,"
        " record) VALUES (?1, ?2, ?3, ?4)",
    [R_PREKEY_COUNT] = "SELECT count(*) FROM prekeys WHERE address = ?1"
        " AND device = ?2",
    [R_DEVICES] = "SELECT device FROM devices WHERE address = ?1"
        " ORDER BY device LIMIT 64",
    [R_BUNDLE] = "SELECT bundle FROM devices WHERE address = ?1"
        " AND device = ?2",
    [R_PREKEY_PICK] = "SELECT id, record FROM prekeys WHERE address = ?1"
        " AND device = ?2 ORDER BY id LIMIT 1",
    [R_PREKEY_DEL] = "DELETE FROM prekeys WHERE address = ?1 AND device = ?2"
        " AND id = ?3",
    [R_ENQUEUE] = "INSERT INTO queue(address, device, envelope)"
        " VALUES (?1, ?2, ?3)",
    /* A row over the maximum (only a hand-edited file has one) is never
     * loaded: length() reads the record header only. It comes out as
     * ENVELOPE_MAX + 1 zero bytes, for the engine to judge oversized. */
    [R_FETCH] = "SELECT seq, CASE WHEN typeof(envelope) = 'blob' AND"
        " length(envelope) <= ?5 THEN envelope ELSE zeroblob(?5 + 1) END"
        " FROM queue WHERE address = ?1 AND device = ?2 AND seq > ?3"
        " ORDER BY seq LIMIT ?4",
    [R_ACK] = "DELETE FROM queue WHERE seq = ?1 AND address = ?2"
        " AND device = ?3",
    [R_ACK_RANGE] = "DELETE FROM queue WHERE address = ?1 AND device = ?2"
        " AND seq BETWEEN ?3 AND ?4",
    [R_PENDING] = "SELECT count(*) FROM queue WHERE address = ?1"
        " AND device = ?2",
    [R_SYNC_FULL] = "PRAGMA synchronous=FULL",
    [R_SYNC_NORMAL] = "PRAGMA synchronous=NORMAL",
};

struct store_relay {
    sqlite3 *db;
    sqlite3_stmt *q[R__COUNT];
    unsigned depth;
    bool relaxed;                /* synchronous=NORMAL for an ack */
    char path[4096];
};

static airlock_err rstmt(store_relay *r, int id, sqlite3_stmt **out)
{
    int rc;

    *out = NULL;
    if (r->q[id] == NULL) {
        rc = sqlite3_prepare_v3(r->db, rsql[id], -1,
                                SQLITE_PREPARE_PERSISTENT, &r->q[id], NULL);
        if (rc != SQLITE_OK)
            return store_sqlite_err(rc);
    } else {
        sqlite3_reset(r->q[id]);
        sqlite3_clear_bindings(r->q[id]);
    }
    *out = r->q[id];
    return AIRLOCK_OK;
}

static airlock_err rdone(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    return rc == SQLITE_DONE ? AIRLOCK_OK : store_sqlite_err(rc);
}

static bool raddr_ok(const char *a)
{
    return a != NULL && a[0] != '\0' && strlen(a) <= STORE_ADDR_MAX;
}

static airlock_err make_parent(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n;

    if (slash == NULL || slash == path)
        return AIRLOCK_OK;
    n = (size_t)(slash - path);
    if (n >= sizeof dir)
        return AIRLOCK_ERR_ARG;
    memcpy(dir, path, n);
    dir[n] = '\0';
    if (mkdir(dir, 0700) == 0)
        return chmod(dir, 0700) == 0 ? AIRLOCK_OK : AIRLOCK_ERR_IO;
    return errno == EEXIST ? AIRLOCK_OK : AIRLOCK_ERR_IO;
}

static airlock_err relay_version(store_relay *r, int *v)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *v = -1;
    rc = sqlite3_prepare_v2(r->db, "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_err(rc);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? AIRLOCK_OK : store_sqlite_err(rc);
}

/* Tables and version in one transaction; several processes may open a new
 * mailbox at once, so the version is read again under the write lock. */
static airlock_err relay_create(store_relay *r)
{
    char q[64];
    int v;
    airlock_err err;

    if ((err = store_sqlite_err(sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL,
                                             NULL, NULL))) != AIRLOCK_OK)
        return err;
    if ((err = relay_version(r, &v)) != AIRLOCK_OK)
        goto fail;
    if (v > RELAY_SCHEMA_VERSION) {
        err = AIRLOCK_ERR_SCHEMA;
        goto fail;
    }
    snprintf(q, sizeof q, "PRAGMA user_version=%d", RELAY_SCHEMA_VERSION);
    if ((err = store_sqlite_err(sqlite3_exec(r->db, relay_schema, NULL, NULL,
                                             NULL))) != AIRLOCK_OK ||
        (err = store_sqlite_err(sqlite3_exec(r->db, q, NULL, NULL, NULL))) !=
            AIRLOCK_OK)
        goto fail;
    return store_sqlite_err(sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL));
fail:
    (void)sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

airlock_err store_relay_open(const char *path, store_relay **out)
{
    store_relay *r = NULL;
    int fd, rc, v;
    airlock_err err;

    if (out == NULL)
        return AIRLOCK_ERR_ARG;
    *out = NULL;
    if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof r->path)
        return AIRLOCK_ERR_ARG;
    if ((err = make_parent(path)) != AIRLOCK_OK)
        return err;
    /* Created 0600 by us; an existing one must already be 0600. */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
              0600);
    if (fd >= 0) {
        rc = fchmod(fd, 0600);      /* whatever the umask */
        close(fd);
        if (rc != 0)
            return AIRLOCK_ERR_IO;
    } else if (errno != EEXIST) {
        return AIRLOCK_ERR_IO;
    }
    if ((err = store_check_file(path)) != AIRLOCK_OK)
        return err;
    if ((r = calloc(1, sizeof *r)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    memcpy(r->path, path, strlen(path) + 1);
    rc = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE |
                         SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc != SQLITE_OK) {
        err = store_sqlite_err(rc);
        goto fail;
    }
    sqlite3_extended_result_codes(r->db, 0);
    sqlite3_busy_timeout(r->db, STORE_RELAY_BUSY_MS);
    /* A mailbox from a newer version is refused before anything is
     * written to it. */
    if ((err = relay_version(r, &v)) != AIRLOCK_OK)
        goto fail;
    if (v > RELAY_SCHEMA_VERSION) {
        err = AIRLOCK_ERR_SCHEMA;
        goto fail;
    }
    if ((err = store_pragmas(r->db, true)) != AIRLOCK_OK ||
        (err = store_wal(r->db)) != AIRLOCK_OK)
        goto fail;
    if (v < RELAY_SCHEMA_VERSION && (err = relay_create(r)) != AIRLOCK_OK)
        goto fail;
    *out = r;
    return AIRLOCK_OK;
fail:
    store_relay_close(r);
    return err;
}

void store_relay_close(store_relay *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < R__COUNT; i++)
        sqlite3_finalize(r->q[i]);
    if (r->db != NULL)
        sqlite3_close(r->db);
    free(r);
}

const char *store_relay_path(const store_relay *r)
{
    return r->path;
}

static airlock_err simple(store_relay *r, int id)
{
    sqlite3_stmt *st;
    airlock_err err = rstmt(r, id, &st);

    return err == AIRLOCK_OK ? rdone(st) : err;
}

airlock_err store_relay_begin(store_relay *r)
{
    airlock_err err;

    if (r->depth == 0 && (err = simple(r, R_BEGIN)) != AIRLOCK_OK)
        return err;
    r->depth++;
    return AIRLOCK_OK;
}

airlock_err store_relay_commit(store_relay *r)
{
    airlock_err err;

    if (r->depth == 0)
        return AIRLOCK_ERR_STATE;
    if (--r->depth > 0)
        return AIRLOCK_OK;
    if ((err = simple(r, R_COMMIT)) != AIRLOCK_OK)
        (void)simple(r, R_ROLLBACK);
    return err;
}

static void relay_rollback(store_relay *r)
{
    if (r->depth > 0 && --r->depth == 0)
        (void)simple(r, R_ROLLBACK);
}

airlock_err store_relay_publish(store_relay *r, const char *addr,
                                uint32_t dev, const uint8_t *bundle, size_t n)
{
    sqlite3_stmt *st;
    airlock_err err;

    if (!raddr_ok(addr) || dev == 0 || n == 0 || bundle == NULL)
        return AIRLOCK_ERR_ARG;
    if (n > STORE_RELAY_BUNDLE_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    if ((err = rstmt(r, R_PUBLISH, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, dev);
    sqlite3_bind_blob(st, 3, bundle, (int)n, SQLITE_STATIC);
    return rdone(st);
}

airlock_err store_relay_add_prekeys(store_relay *r, const char *addr,
                                    uint32_t dev, const uint32_t *ids,
                                    const uint8_t *const *recs,
                                    const size_t *rec_n, size_t count)
{
    sqlite3_stmt *st;
    size_t i;
    airlock_err err;

    if (!raddr_ok(addr) || dev == 0 ||
        (count > 0 && (ids == NULL || recs == NULL || rec_n == NULL)))
        return AIRLOCK_ERR_ARG;
    /* All checked before the first insert: inside a caller's batch a
     * refusal must not leave half the set behind. */
    for (i = 0; i < count; i++) {
        if (recs[i] == NULL)
            return AIRLOCK_ERR_ARG;
        if (rec_n[i] == 0 || rec_n[i] > STORE_RELAY_PREKEY_MAX)
            return AIRLOCK_ERR_TOO_LARGE;
    }
    if ((err = store_relay_begin(r)) != AIRLOCK_OK)
        return err;
    for (i = 0; i < count; i++) {
        if ((err = rstmt(r, R_PREKEY_ADD, &st)) != AIRLOCK_OK)
            goto fail;
        sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, dev);
        sqlite3_bind_int64(st, 3, ids[i]);
        sqlite3_bind_blob(st, 4, recs[i], (int)rec_n[i], SQLITE_STATIC);
        if ((err = rdone(st)) != AIRLOCK_OK)
            goto fail;
    }
    return store_relay_commit(r);
fail:
    relay_rollback(r);
    return err;
}

static airlock_err count_q(store_relay *r, int q, const char *addr,
                           uint32_t dev, uint32_t *n)
{
    sqlite3_stmt *st;
    airlock_err err;

    *n = 0;
    if (!raddr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = rstmt(r, q, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, dev);
    if (sqlite3_step(st) == SQLITE_ROW)
        *n = (uint32_t)sqlite3_column_int64(st, 0);
    else
        err = AIRLOCK_ERR_STORE;
    sqlite3_reset(st);
    return err;
}

airlock_err store_relay_prekey_count(store_relay *r, const char *addr,
                                     uint32_t dev, uint32_t *n)
{
    return count_q(r, R_PREKEY_COUNT, addr, dev, n);
}

airlock_err store_relay_pending(store_relay *r, const char *addr,
                                uint32_t dev, uint32_t *n)
{
    return count_q(r, R_PENDING, addr, dev, n);
}

airlock_err store_relay_devices(store_relay *r, const char *addr,
                                uint32_t **ids, size_t *n)
{
    sqlite3_stmt *st;
    uint32_t *v = NULL;
    size_t count = 0;
    int rc;
    airlock_err err;

    *ids = NULL;
    *n = 0;
    if (!raddr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((v = malloc(64 * sizeof *v)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    if ((err = rstmt(r, R_DEVICES, &st)) != AIRLOCK_OK)
        goto out;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && count < 64) {
        sqlite3_int64 d = sqlite3_column_int64(st, 0);

        if (d <= 0 || d > 0x7fffffff) {
            err = AIRLOCK_ERR_CORRUPT;
            break;
        }
        v[count++] = (uint32_t)d;
    }
    if (err == AIRLOCK_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = store_sqlite_err(rc);
    sqlite3_reset(st);
    if (err == AIRLOCK_OK) {
        *ids = v;
        *n = count;
        v = NULL;
    }
out:
    free(v);
    return err;
}

static airlock_err col_copy(sqlite3_stmt *st, int col, size_t max,
                            uint8_t **out, size_t *n)
{
    int len = sqlite3_column_bytes(st, col);

    if (len <= 0 || (size_t)len > max)
        return AIRLOCK_ERR_CORRUPT;
    if ((*out = malloc((size_t)len)) == NULL)
        return AIRLOCK_ERR_NOMEM;
    memcpy(*out, sqlite3_column_blob(st, col), (size_t)len);
    *n = (size_t)len;
    return AIRLOCK_OK;
}

airlock_err store_relay_take_bundle(store_relay *r, const char *addr,
                                    uint32_t dev, uint8_t **bundle,
                                    size_t *n, uint32_t *prekey_id,
                                    uint8_t **prekey, size_t *prekey_n)
{
    sqlite3_stmt *st;
    uint8_t *b = NULL, *pk = NULL;
    size_t bn = 0, pkn = 0;
    uint32_t pkid = 0;
    int rc;
    airlock_err err;

    *bundle = NULL;
    *n = 0;
    *prekey_id = 0;
    *prekey = NULL;
    *prekey_n = 0;
    if (!raddr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = store_relay_begin(r)) != AIRLOCK_OK)
        return err;
    if ((err = rstmt(r, R_BUNDLE, &st)) != AIRLOCK_OK)
        goto fail;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, dev);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        err = col_copy(st, 0, STORE_RELAY_BUNDLE_MAX, &b, &bn);
    else
        err = rc == SQLITE_DONE ? AIRLOCK_ERR_NOT_FOUND : store_sqlite_err(rc);
    sqlite3_reset(st);
    if (err != AIRLOCK_OK)
        goto fail;
    if ((err = rstmt(r, R_PREKEY_PICK, &st)) != AIRLOCK_OK)
        goto fail;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, dev);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        pkid = (uint32_t)sqlite3_column_int64(st, 0);
        err = col_copy(st, 1, STORE_RELAY_PREKEY_MAX, &pk, &pkn);
    } else if (rc != SQLITE_DONE) {
        err = store_sqlite_err(rc);
    }
    sqlite3_reset(st);
    if (err != AIRLOCK_OK)
        goto fail;
    if (pk != NULL) {
        /* Consumed in the same transaction: no two senders get it. */
        if ((err = rstmt(r, R_PREKEY_DEL, &st)) != AIRLOCK_OK)
            goto fail;
        sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, dev);
        sqlite3_bind_int64(st, 3, pkid);
        if ((err = rdone(st)) != AIRLOCK_OK)
            goto fail;
    }
    if ((err = store_relay_commit(r)) != AIRLOCK_OK)
        goto out;
    *bundle = b;
    *n = bn;
    *prekey_id = pkid;
    *prekey = pk;
    *prekey_n = pkn;
    return AIRLOCK_OK;
fail:
    relay_rollback(r);
out:
    free(b);
    free(pk);
    return err;
}

airlock_err store_relay_enqueue(store_relay *r, const char *to,
                                uint32_t to_dev, const uint8_t *env,
                                size_t n)
{
    sqlite3_stmt *st;
    airlock_err err;

    if (!raddr_ok(to) || to_dev == 0 || n == 0 || env == NULL)
        return AIRLOCK_ERR_ARG;
    if (n > STORE_RELAY_ENVELOPE_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    if ((err = rstmt(r, R_ENQUEUE, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, to_dev);
    sqlite3_bind_blob(st, 3, env, (int)n, SQLITE_STATIC);
    return rdone(st);
}

airlock_err store_relay_fetch(store_relay *r, const char *addr, uint32_t dev,
                              int64_t after, size_t limit, store_relay_cb cb,
                              void *arg)
{
    sqlite3_stmt *st;
    int rc;
    airlock_err err;

    if (!raddr_ok(addr) || limit == 0 || limit > INT64_MAX || cb == NULL)
        return AIRLOCK_ERR_ARG;
    if ((err = rstmt(r, R_FETCH, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, dev);
    sqlite3_bind_int64(st, 3, after);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)limit);
    sqlite3_bind_int64(st, 5, STORE_RELAY_ENVELOPE_MAX);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(st, 1);
        int len = sqlite3_column_bytes(st, 1);

        /* Judging the size (and recording the event) is the engine's job;
         * the store only keeps what it hands over bounded. */
        if (len < 0 || (size_t)len > STORE_RELAY_ENVELOPE_MAX + 1u ||
            (p == NULL && len > 0)) {
            err = AIRLOCK_ERR_CORRUPT;
            break;
        }
        if (cb(sqlite3_column_int64(st, 0), p, (size_t)len, arg) != 0)
            break;
    }
    if (err == AIRLOCK_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = store_sqlite_err(rc);
    sqlite3_reset(st);
    return err;
}

/* Acknowledgements are committed without waiting for the disk
 * (synchronous=NORMAL; SQLite cannot switch inside a transaction): one
 * lost to a power failure only brings envelopes back, and the receiver
 * recognises them (the store's duplicate check, the rate limits). Every
 * other write to the mailbox is FULL: a sender forgets its outbox after
 * the enqueue commits. */
static airlock_err ack_begin(store_relay *r)
{
    if (r->depth == 0 && simple(r, R_SYNC_NORMAL) == AIRLOCK_OK)
        r->relaxed = true;
    return store_relay_begin(r);
}

/* Back to FULL once no transaction is open. */
static airlock_err ack_restore(store_relay *r, airlock_err err)
{
    airlock_err e2;

    if (r->depth == 0 && r->relaxed) {
        if ((e2 = simple(r, R_SYNC_FULL)) == AIRLOCK_OK)
            r->relaxed = false;
        else if (err == AIRLOCK_OK)
            err = e2;
    }
    return err;
}

static airlock_err ack_end(store_relay *r, airlock_err err)
{
    if (err == AIRLOCK_OK)
        err = store_relay_commit(r);
    else
        relay_rollback(r);
    return ack_restore(r, err);
}

airlock_err store_relay_ack(store_relay *r, const char *addr, uint32_t dev,
                            const int64_t *seqs, size_t n)
{
    sqlite3_stmt *st;
    size_t i;
    airlock_err err;

    if (!raddr_ok(addr) || (n > 0 && seqs == NULL))
        return AIRLOCK_ERR_ARG;
    if (n == 0)
        return AIRLOCK_OK;
    if ((err = ack_begin(r)) != AIRLOCK_OK)
        return ack_restore(r, err);
    for (i = 0; i < n; i++) {
        if ((err = rstmt(r, R_ACK, &st)) != AIRLOCK_OK)
            break;
        sqlite3_bind_int64(st, 1, seqs[i]);
        sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, dev);
        if ((err = rdone(st)) != AIRLOCK_OK)
            break;
    }
    return ack_end(r, err);
}

airlock_err store_relay_ack_range(store_relay *r, const char *addr,
                                  uint32_t dev, int64_t first, int64_t last)
{
    sqlite3_stmt *st;
    airlock_err err;

    if (!raddr_ok(addr) || first > last)
        return AIRLOCK_ERR_ARG;
    if ((err = ack_begin(r)) != AIRLOCK_OK)
        return ack_restore(r, err);
    if ((err = rstmt(r, R_ACK_RANGE, &st)) == AIRLOCK_OK) {
        sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, dev);
        sqlite3_bind_int64(st, 3, first);
        sqlite3_bind_int64(st, 4, last);
        err = rdone(st);
    }
    return ack_end(r, err);
}

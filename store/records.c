/*
 * records.c - the account store's rows: own identity, libsignal records,
 * remote identities, contacts, messages, outbox, security events, rate
 * buckets and attachment metadata. Every value read back is checked
 * against its named maximum before it is used: stored bytes are hostile.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROW_MAX (STORE_ADDR_MAX + 16)

static airlock_err step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    airlock_err err = rc == SQLITE_DONE ? AIRLOCK_OK : store_sqlite_err(rc);

    sqlite3_reset(st);
    return err;
}

static bool addr_ok(const char *a)
{
    size_t n;

    if (a == NULL)
        return false;
    n = strlen(a);
    return n > 0 && n <= STORE_ADDR_MAX;
}

/* Copy a text column into a fixed buffer; CORRUPT when it does not fit or
 * holds a NUL (the copy would silently be a different string). */
static airlock_err col_text(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);

    if (t == NULL || n < 0 || (size_t)n >= cap ||
        memchr(t, '\0', (size_t)n) != NULL)
        return AIRLOCK_ERR_CORRUPT;
    memcpy(dst, t, (size_t)n);
    dst[n] = '\0';
    return AIRLOCK_OK;
}

/* An address or label column: also valid UTF-8 without controls, as every
 * address was when it was written. `empty_ok` for an event's sender. */
static airlock_err col_ident(sqlite3_stmt *st, int col, char *dst, size_t cap,
                             bool empty_ok)
{
    airlock_err err = col_text(st, col, dst, cap);
    size_t n;

    if (err != AIRLOCK_OK)
        return err;
    n = strlen(dst);
    if (n == 0)
        return empty_ok ? AIRLOCK_OK : AIRLOCK_ERR_CORRUPT;
    return base_utf8_ident((const uint8_t *)dst, n) ? AIRLOCK_OK :
           AIRLOCK_ERR_CORRUPT;
}

static size_t row_key(char *row, size_t cap, const char *addr, uint32_t dev)
{
    int n = snprintf(row, cap, "%s|%u", addr, dev);

    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static size_t id_key(char *row, size_t cap, uint32_t id)
{
    int n = snprintf(row, cap, "%u", id);

    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* A sealed blob column of the current row, unsealed. */
static airlock_err col_unseal(store *s, sqlite3_stmt *st, int col,
                              const char *what, const char *row, size_t row_n,
                              size_t max, uint8_t **out, size_t *n)
{
    int len = sqlite3_column_bytes(st, col);

    if (len < 0)
        return AIRLOCK_ERR_CORRUPT;
    return store_unseal(s, what, row, row_n, sqlite3_column_blob(st, col),
                        (size_t)len, max, out, n);
}

/* The single integer a query like "SELECT count(*) ..." returns. */
static airlock_err scalar(store *s, int q, int64_t *v)
{
    sqlite3_stmt *st;
    int rc;
    airlock_err err;

    *v = 0;
    if ((err = store_stmt(s, q, &st)) != AIRLOCK_OK)
        return err;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(st, 0);
    else
        err = store_sqlite_err(rc == SQLITE_DONE ? SQLITE_ERROR : rc);
    sqlite3_reset(st);
    return err;
}

/* ---- own identity ---- */

airlock_err store_self_put(store *s, const store_self *self)
{
    sqlite3_stmt *st;
    uint8_t *sealed = NULL;
    size_t sealed_n = 0;
    airlock_err err;

    if (self->identity_pub_n == 0 || self->identity_pub_n > 64 ||
        self->identity_priv_n == 0 || self->identity_priv_n > 64)
        return AIRLOCK_ERR_ARG;
    if ((err = store_seal(s, "self.identity_priv", "1", 1,
                          self->identity_priv, self->identity_priv_n,
                          &sealed, &sealed_n)) != AIRLOCK_OK)
        return err;
    if ((err = store_stmt(s, Q_SELF_PUT, &st)) == AIRLOCK_OK) {
        sqlite3_bind_int64(st, 1, self->registration_id);
        sqlite3_bind_int64(st, 2, self->device_id);
        sqlite3_bind_blob(st, 3, self->identity_pub,
                          (int)self->identity_pub_n, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, sealed, (int)sealed_n, SQLITE_STATIC);
        err = step_done(st);
    }
    free(sealed);
    return err;
}

airlock_err store_self_get(store *s, store_self *out)
{
    sqlite3_stmt *st;
    int rc, pn;
    airlock_err err;

    memset(out, 0, sizeof *out);
    if ((err = store_stmt(s, Q_SELF_GET, &st)) != AIRLOCK_OK)
        return err;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        err = rc == SQLITE_DONE ? AIRLOCK_ERR_NOT_FOUND : store_sqlite_err(rc);
        goto out;
    }
    pn = sqlite3_column_bytes(st, 2);
    if (pn <= 0 || pn > 64) {
        err = AIRLOCK_ERR_CORRUPT;
        goto out;
    }
    out->registration_id = (uint32_t)sqlite3_column_int64(st, 0);
    out->device_id = (uint32_t)sqlite3_column_int64(st, 1);
    if ((out->identity_pub = malloc((size_t)pn)) == NULL) {
        err = AIRLOCK_ERR_NOMEM;
        goto out;
    }
    memcpy(out->identity_pub, sqlite3_column_blob(st, 2), (size_t)pn);
    out->identity_pub_n = (size_t)pn;
    err = col_unseal(s, st, 3, "self.identity_priv", "1", 1, 64,
                     &out->identity_priv, &out->identity_priv_n);
out:
    sqlite3_reset(st);
    if (err != AIRLOCK_OK)
        store_self_clear(out);
    return err;
}

void store_self_clear(store_self *self)
{
    free(self->identity_pub);
    store_buf_free(self->identity_priv, self->identity_priv_n);
    memset(self, 0, sizeof *self);
}

/* ---- libsignal records ---- */

static airlock_err rec_get(store *s, int q, const char *what,
                           const char *addr, uint32_t key, uint8_t **rec,
                           size_t *n)
{
    sqlite3_stmt *st;
    char row[ROW_MAX + 16];
    size_t row_n = addr != NULL ? row_key(row, sizeof row, addr, key) :
                                  id_key(row, sizeof row, key);
    int rc;
    airlock_err err;

    *rec = NULL;
    *n = 0;
    if (row_n == 0)
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, q, &st)) != AIRLOCK_OK)
        return err;
    if (addr != NULL) {
        sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, key);
    } else {
        sqlite3_bind_int64(st, 1, key);
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        err = col_unseal(s, st, 0, what, row, row_n, STORE_RECORD_MAX, rec,
                         n);
    else
        err = rc == SQLITE_DONE ? AIRLOCK_ERR_NOT_FOUND : store_sqlite_err(rc);
    sqlite3_reset(st);
    return err;
}

static airlock_err rec_put(store *s, int q, const char *what,
                           const char *addr, uint32_t key,
                           const uint8_t *rec, size_t n)
{
    sqlite3_stmt *st;
    char row[ROW_MAX + 16];
    size_t row_n = addr != NULL ? row_key(row, sizeof row, addr, key) :
                                  id_key(row, sizeof row, key);
    uint8_t *sealed = NULL;
    size_t sealed_n = 0;
    airlock_err err;

    if (row_n == 0 || n > STORE_RECORD_MAX)
        return n > STORE_RECORD_MAX ? AIRLOCK_ERR_TOO_LARGE : AIRLOCK_ERR_ARG;
    if ((err = store_seal(s, what, row, row_n, rec, n, &sealed,
                          &sealed_n)) != AIRLOCK_OK)
        return err;
    if ((err = store_stmt(s, q, &st)) == AIRLOCK_OK) {
        int i = 1;

        if (addr != NULL)
            sqlite3_bind_text(st, i++, addr, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, i++, key);
        sqlite3_bind_blob(st, i, sealed, (int)sealed_n, SQLITE_STATIC);
        err = step_done(st);
    }
    free(sealed);
    return err;
}

static airlock_err rec_del(store *s, int q, const char *addr, uint32_t key)
{
    sqlite3_stmt *st;
    airlock_err err;

    if ((err = store_stmt(s, q, &st)) != AIRLOCK_OK)
        return err;
    if (addr != NULL) {
        sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, key);
    } else {
        sqlite3_bind_int64(st, 1, key);
    }
    return step_done(st);
}

static airlock_err rec_has(store *s, int q, const char *what,
                           const char *addr, uint32_t key, bool *has)
{
    uint8_t *rec = NULL;
    size_t n = 0;
    airlock_err err = rec_get(s, q, what, addr, key, &rec, &n);

    *has = err == AIRLOCK_OK;
    store_buf_free(rec, n);
    return err == AIRLOCK_ERR_NOT_FOUND ? AIRLOCK_OK : err;
}

airlock_err store_sig_session_get(store *s, const char *addr, uint32_t dev,
                                  uint8_t **rec, size_t *n)
{
    return addr_ok(addr) ? rec_get(s, Q_SESS_GET, "sessions.record", addr,
                                   dev, rec, n) : AIRLOCK_ERR_ARG;
}

airlock_err store_sig_session_put(store *s, const char *addr, uint32_t dev,
                                  const uint8_t *rec, size_t n)
{
    return addr_ok(addr) ? rec_put(s, Q_SESS_PUT, "sessions.record", addr,
                                   dev, rec, n) : AIRLOCK_ERR_ARG;
}

/* Existence only: libsignal asks before every encryption and decryption,
 * and opening the sealed record just to answer would double the cost of
 * the load that follows (which reports a damaged record as CORRUPT). */
airlock_err store_sig_session_has(store *s, const char *addr, uint32_t dev,
                                  bool *has)
{
    sqlite3_stmt *st;
    int rc;
    airlock_err err;

    *has = false;
    if (!addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_SESS_HAS, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, dev);
    rc = sqlite3_step(st);
    *has = rc == SQLITE_ROW;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? AIRLOCK_OK :
           store_sqlite_err(rc);
}

airlock_err store_sig_session_del(store *s, const char *addr, uint32_t dev)
{
    return addr_ok(addr) ? rec_del(s, Q_SESS_DEL, addr, dev) :
                           AIRLOCK_ERR_ARG;
}

airlock_err store_sig_session_del_all(store *s, const char *addr)
{
    sqlite3_stmt *st;
    airlock_err err;

    if (!addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_SESS_DEL_ALL, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    return step_done(st);
}

airlock_err store_sig_session_devices(store *s, const char *addr,
                                      uint32_t **ids, size_t *n)
{
    sqlite3_stmt *st;
    uint32_t *v = NULL;
    size_t count = 0, cap = 0;
    int rc;
    airlock_err err;

    *ids = NULL;
    *n = 0;
    if (!addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_SESS_DEVS, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            uint32_t *nv = realloc(v, ncap * sizeof *nv);

            if (nv == NULL) {
                err = AIRLOCK_ERR_NOMEM;
                goto out;
            }
            v = nv;
            cap = ncap;
        }
        v[count++] = (uint32_t)sqlite3_column_int64(st, 0);
    }
    if (rc != SQLITE_DONE) {
        err = store_sqlite_err(rc);
        goto out;
    }
    *ids = v;
    *n = count;
    v = NULL;
out:
    sqlite3_reset(st);
    free(v);
    return err;
}

airlock_err store_sig_prekey_get(store *s, uint32_t id, uint8_t **rec,
                                 size_t *n)
{
    return rec_get(s, Q_PRE_GET, "prekeys.record", NULL, id, rec, n);
}

airlock_err store_sig_prekey_put(store *s, uint32_t id, const uint8_t *rec,
                                 size_t n)
{
    return rec_put(s, Q_PRE_PUT, "prekeys.record", NULL, id, rec, n);
}

airlock_err store_sig_prekey_has(store *s, uint32_t id, bool *has)
{
    *has = false;
    return rec_has(s, Q_PRE_GET, "prekeys.record", NULL, id, has);
}

airlock_err store_sig_prekey_del(store *s, uint32_t id)
{
    return rec_del(s, Q_PRE_DEL, NULL, id);
}

airlock_err store_sig_prekey_count(store *s, uint32_t *n)
{
    int64_t v = 0;
    airlock_err err = scalar(s, Q_PRE_COUNT, &v);

    *n = (uint32_t)v;
    return err;
}

airlock_err store_sig_signed_get(store *s, uint32_t id, uint8_t **rec,
                                 size_t *n)
{
    return rec_get(s, Q_SPK_GET, "signed_prekeys.record", NULL, id, rec, n);
}

airlock_err store_sig_signed_put(store *s, uint32_t id, const uint8_t *rec,
                                 size_t n)
{
    return rec_put(s, Q_SPK_PUT, "signed_prekeys.record", NULL, id, rec, n);
}

airlock_err store_sig_signed_has(store *s, uint32_t id, bool *has)
{
    *has = false;
    return rec_has(s, Q_SPK_GET, "signed_prekeys.record", NULL, id, has);
}

airlock_err store_sig_signed_del(store *s, uint32_t id)
{
    return rec_del(s, Q_SPK_DEL, NULL, id);
}

/* ---- remote identities ---- */

airlock_err store_rid_get(store *s, const char *addr, uint32_t dev,
                          store_remote_id *out)
{
    sqlite3_stmt *st;
    int rc, kn, pn;
    airlock_err err;

    memset(out, 0, sizeof *out);
    if (!addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_RID_GET, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, dev);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        kn = sqlite3_column_bytes(st, 0);
        pn = sqlite3_column_bytes(st, 3);
        if (kn <= 0 || (size_t)kn > sizeof out->key || pn < 0 ||
            (size_t)pn > sizeof out->pending ||
            sqlite3_column_int(st, 1) < 0 || sqlite3_column_int(st, 1) > 2) {
            err = AIRLOCK_ERR_CORRUPT;
        } else {
            memcpy(out->key, sqlite3_column_blob(st, 0), (size_t)kn);
            out->key_n = (size_t)kn;
            out->status = (store_id_status)sqlite3_column_int(st, 1);
            out->first_seen_ms = sqlite3_column_int64(st, 2);
            if (pn > 0)
                memcpy(out->pending, sqlite3_column_blob(st, 3), (size_t)pn);
            out->pending_n = (size_t)pn;
        }
    } else {
        err = rc == SQLITE_DONE ? AIRLOCK_ERR_NOT_FOUND : store_sqlite_err(rc);
    }
    sqlite3_reset(st);
    return err;
}

airlock_err store_rid_seen(store *s, const char *addr, uint32_t dev,
                           const uint8_t *key, size_t n, bool *changed)
{
    store_remote_id cur;
    sqlite3_stmt *st;
    airlock_err err;

    *changed = false;
    if (!addr_ok(addr) || n == 0 || n > sizeof cur.key)
        return AIRLOCK_ERR_ARG;
    err = store_rid_get(s, addr, dev, &cur);
    if (err == AIRLOCK_ERR_NOT_FOUND) {
        if ((err = store_stmt(s, Q_RID_INS, &st)) != AIRLOCK_OK)
            return err;
        sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, dev);
        sqlite3_bind_blob(st, 3, key, (int)n, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, base_now_ms());
        return step_done(st);
    }
    if (err != AIRLOCK_OK)
        return err;
    if (cur.key_n == n && memcmp(cur.key, key, n) == 0 &&
        cur.status != STORE_ID_CHANGED)
        return AIRLOCK_OK;
    if (cur.status == STORE_ID_CHANGED && cur.pending_n == n &&
        memcmp(cur.pending, key, n) == 0) {
        *changed = true;       /* still the same unacknowledged key */
        return AIRLOCK_OK;
    }
    if (cur.key_n == n && memcmp(cur.key, key, n) == 0)
        return AIRLOCK_OK;     /* back to the acknowledged key */
    /* Never overwrite: keep the acknowledged key, hold the new one. */
    if ((err = store_stmt(s, Q_RID_CHANGE, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, dev);
    sqlite3_bind_blob(st, 3, key, (int)n, SQLITE_STATIC);
    if ((err = step_done(st)) == AIRLOCK_OK)
        *changed = true;
    return err;
}

static airlock_err addr_update(store *s, int q, const char *addr)
{
    sqlite3_stmt *st;
    airlock_err err;

    if (!addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, q, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    return step_done(st);
}

airlock_err store_rid_ack(store *s, const char *addr)
{
    return addr_update(s, Q_RID_ACK, addr);
}

airlock_err store_rid_set_verified(store *s, const char *addr)
{
    return addr_update(s, Q_RID_VERIFY, addr);
}

airlock_err store_rid_hold(store *s, const char *addr, uint32_t dev)
{
    sqlite3_stmt *st;
    airlock_err err;

    if (!addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_RID_HOLD, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, dev);
    return step_done(st);
}

airlock_err store_rid_release(store *s, const char *addr, uint32_t dev)
{
    sqlite3_stmt *st;
    airlock_err err;

    if (!addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_RID_RELEASE, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, dev);
    return step_done(st);
}

airlock_err store_rid_any_changed(store *s, const char *addr, bool *any)
{
    sqlite3_stmt *st;
    int rc;
    airlock_err err;

    *any = false;
    if (!addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_RID_ANY_CHANGED, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *any = rc == SQLITE_ROW;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? AIRLOCK_OK :
           store_sqlite_err(rc);
}

/* ---- contacts ---- */

static airlock_err read_contact(sqlite3_stmt *st, store_contact *c)
{
    airlock_err err;
    int trust = sqlite3_column_int(st, 2);

    memset(c, 0, sizeof *c);
    if ((err = col_ident(st, 0, c->address, sizeof c->address, false)) !=
            AIRLOCK_OK ||
        (err = col_ident(st, 1, c->label, sizeof c->label, false)) !=
            AIRLOCK_OK)
        return err;
    if (trust < AIRLOCK_TRUST_UNKNOWN || trust > AIRLOCK_TRUST_BLOCKED)
        return AIRLOCK_ERR_CORRUPT;
    c->trust = (airlock_trust)trust;
    c->created_ms = sqlite3_column_int64(st, 3);
    c->last_ms = sqlite3_column_int64(st, 4);
    c->messages = (uint32_t)sqlite3_column_int64(st, 5);
    c->unread = (uint32_t)sqlite3_column_int64(st, 6);
    return AIRLOCK_OK;
}

airlock_err store_contact_get(store *s, const char *addr, store_contact *out)
{
    sqlite3_stmt *st;
    int rc;
    airlock_err err;

    memset(out, 0, sizeof *out);
    if (!addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_CON_GET, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        err = read_contact(st, out);
    else
        err = rc == SQLITE_DONE ? AIRLOCK_ERR_NOT_FOUND : store_sqlite_err(rc);
    sqlite3_reset(st);
    return err;
}

airlock_err store_contact_ensure(store *s, const char *addr, int64_t now)
{
    sqlite3_stmt *st;
    airlock_err err;

    if (!addr_ok(addr))
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_CON_ENSURE, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    return step_done(st);
}

airlock_err store_contact_set_trust(store *s, const char *addr,
                                    airlock_trust t)
{
    sqlite3_stmt *st;
    airlock_err err;

    if (!addr_ok(addr) || t < AIRLOCK_TRUST_UNKNOWN ||
        t > AIRLOCK_TRUST_BLOCKED)
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_CON_TRUST, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)t);
    if ((err = step_done(st)) != AIRLOCK_OK)
        return err;
    return sqlite3_changes(s->db) == 1 ? AIRLOCK_OK : AIRLOCK_ERR_NOT_FOUND;
}

airlock_err store_contact_delete(store *s, const char *addr)
{
    airlock_err err;

    if ((err = store_begin(s)) != AIRLOCK_OK)
        return err;
    if ((err = addr_update(s, Q_CON_DEL_MSGS, addr)) != AIRLOCK_OK ||
        (err = addr_update(s, Q_CON_DEL, addr)) != AIRLOCK_OK) {
        store_rollback(s);
        return err;
    }
    return store_commit(s);
}

airlock_err store_contact_each(store *s, unsigned trust_mask,
                               store_contact_cb cb, void *arg)
{
    sqlite3_stmt *st;
    store_contact c;
    int rc;
    airlock_err err;

    if ((err = store_stmt(s, Q_CON_EACH, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_int64(st, 1, trust_mask);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((err = read_contact(st, &c)) != AIRLOCK_OK)
            break;
        if (cb(&c, arg) != 0)
            break;
    }
    if (err == AIRLOCK_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = store_sqlite_err(rc);
    sqlite3_reset(st);
    return err;
}

airlock_err store_contact_mark_read(store *s, const char *addr)
{
    return addr_update(s, Q_CON_READ, addr);
}

/* ---- messages ---- */

airlock_err store_msg_insert(store *s, store_msg *m)
{
    sqlite3_stmt *st;
    uint8_t *sealed = NULL;
    size_t sealed_n = 0;
    airlock_err err;
    int rc;

    if (!addr_ok(m->conversation) || !addr_ok(m->sender) ||
        m->content_n > STORE_CONTENT_MAX || m->dedup_n > STORE_DEDUP_MAX ||
        (m->content == NULL && m->content_n > 0))
        return AIRLOCK_ERR_ARG;
    if ((err = store_seal(s, "messages.content", (const char *)m->id,
                          sizeof m->id, m->content, m->content_n, &sealed,
                          &sealed_n)) != AIRLOCK_OK)
        return err;
    if ((err = store_begin(s)) != AIRLOCK_OK)
        goto out;
    if ((err = store_stmt(s, Q_MSG_INS, &st)) != AIRLOCK_OK)
        goto unwind;
    sqlite3_bind_blob(st, 1, m->id, sizeof m->id, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, m->conversation, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, m->sender, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, m->sender_device);
    sqlite3_bind_int(st, 5, m->outgoing ? 1 : 0);
    sqlite3_bind_int64(st, 6, m->sent_ms);
    sqlite3_bind_int64(st, 7, m->received_ms);
    sqlite3_bind_int(st, 8, (int)m->state);
    sqlite3_bind_int(st, 9, (int)m->kind);
    sqlite3_bind_int(st, 10, m->inert_device ? 1 : 0);
    if (m->dedup != NULL && m->dedup_n > 0)
        sqlite3_bind_blob(st, 11, m->dedup, (int)m->dedup_n, SQLITE_STATIC);
    sqlite3_bind_blob(st, 12, sealed, (int)sealed_n, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        /* The statement changed nothing (a duplicate, typically): an
         * enclosing batch carries on. */
        err = store_sqlite_err(rc);
        goto unwind;
    }
    m->seq = sqlite3_last_insert_rowid(s->db);
    if ((err = store_stmt(s, Q_CON_BUMP, &st)) != AIRLOCK_OK)
        goto fail;
    sqlite3_bind_text(st, 1, m->conversation, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, m->outgoing ? 0 : 1);
    sqlite3_bind_int64(st, 3, m->received_ms);
    if ((err = step_done(st)) != AIRLOCK_OK)
        goto fail;
    err = store_commit(s);
    goto out;
unwind:
    store_unwind(s);
    goto out;
fail:
    store_rollback(s);
out:
    free(sealed);
    return err;
}

airlock_err store_msg_seen(store *s, const uint8_t *dedup, size_t n,
                           bool *seen)
{
    sqlite3_stmt *st;
    int rc;
    airlock_err err;

    *seen = false;
    if (n == 0 || n > STORE_DEDUP_MAX)
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_MSG_SEEN, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_blob(st, 1, dedup, (int)n, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *seen = rc == SQLITE_ROW;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? AIRLOCK_OK :
           store_sqlite_err(rc);
}

/* One message row (columns of Q_MSG_PAGE / Q_MSG_GET), content unsealed. */
static airlock_err read_msg(store *s, sqlite3_stmt *st, store_msg *m,
                            uint8_t **plain, size_t *plain_n)
{
    int idn = sqlite3_column_bytes(st, 1), state, kind;
    airlock_err err;

    memset(m, 0, sizeof *m);
    if (idn != (int)sizeof m->id)
        return AIRLOCK_ERR_CORRUPT;
    m->seq = sqlite3_column_int64(st, 0);
    memcpy(m->id, sqlite3_column_blob(st, 1), sizeof m->id);
    if ((err = col_ident(st, 2, m->conversation, sizeof m->conversation,
                         false)) != AIRLOCK_OK ||
        (err = col_ident(st, 3, m->sender, sizeof m->sender, false)) !=
            AIRLOCK_OK)
        return err;
    m->sender_device = (uint32_t)sqlite3_column_int64(st, 4);
    m->outgoing = sqlite3_column_int(st, 5) != 0;
    m->sent_ms = sqlite3_column_int64(st, 6);
    m->received_ms = sqlite3_column_int64(st, 7);
    state = sqlite3_column_int(st, 8);
    kind = sqlite3_column_int(st, 9);
    if (state < AIRLOCK_MSG_RECEIVED || state > AIRLOCK_MSG_READ ||
        kind < STORE_CONTENT_FRAME || kind > STORE_CONTENT_BODY_PLAIN)
        return AIRLOCK_ERR_CORRUPT;
    m->state = (airlock_msg_state)state;
    m->kind = (store_content_kind)kind;
    m->inert_device = sqlite3_column_int(st, 10) != 0;
    if ((err = col_unseal(s, st, 11, "messages.content", (const char *)m->id,
                          sizeof m->id, STORE_CONTENT_MAX, plain,
                          plain_n)) != AIRLOCK_OK)
        return err;
    m->content = *plain;
    m->content_n = *plain_n;
    return AIRLOCK_OK;
}

static airlock_err msg_walk(store *s, sqlite3_stmt *st, store_msg_cb cb,
                            void *arg)
{
    store_msg m;
    int rc;
    airlock_err err = AIRLOCK_OK;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint8_t *plain = NULL;
        size_t plain_n = 0;
        int stop;

        if ((err = read_msg(s, st, &m, &plain, &plain_n)) != AIRLOCK_OK)
            break;
        stop = cb(&m, arg);
        store_buf_free(plain, plain_n);
        if (stop != 0)
            break;
    }
    if (err == AIRLOCK_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = store_sqlite_err(rc);
    sqlite3_reset(st);
    return err;
}

airlock_err store_msg_page(store *s, const char *conv, int64_t before,
                           size_t limit, store_msg_cb cb, void *arg)
{
    sqlite3_stmt *st;
    airlock_err err;

    if (!addr_ok(conv) || limit == 0 || limit > 100000)
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_MSG_PAGE, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, conv, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, before > 0 ? before : INT64_MAX);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    return msg_walk(s, st, cb, arg);
}

airlock_err store_msg_get(store *s, const uint8_t id[16], store_msg_cb cb,
                          void *arg)
{
    sqlite3_stmt *st;
    airlock_err err;

    if ((err = store_stmt(s, Q_MSG_GET, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
    return msg_walk(s, st, cb, arg);
}

airlock_err store_msg_set_state(store *s, const uint8_t id[16],
                                airlock_msg_state state)
{
    sqlite3_stmt *st;
    airlock_err err;

    if ((err = store_stmt(s, Q_MSG_STATE, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)state);
    if ((err = step_done(st)) != AIRLOCK_OK)
        return err;
    return sqlite3_changes(s->db) > 0 ? AIRLOCK_OK : AIRLOCK_ERR_NOT_FOUND;
}

airlock_err store_msg_delete(store *s, const uint8_t id[16])
{
    sqlite3_stmt *st;
    airlock_err err;

    /* The row stays, without content, so its dedup key keeps a
     * redelivered envelope from being stored again. */
    if ((err = store_stmt(s, Q_MSG_HIDE, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
    return step_done(st);
}

airlock_err store_msg_request_count(store *s, uint32_t *n)
{
    int64_t v = 0;
    airlock_err err = scalar(s, Q_MSG_REQ_COUNT, &v);

    *n = (uint32_t)v;
    return err;
}

/* ---- outbox ---- */

airlock_err store_outbox_add(store *s, const uint8_t id[16], const char *to,
                             const uint8_t *frame, size_t n)
{
    sqlite3_stmt *st;
    uint8_t *sealed = NULL;
    size_t sealed_n = 0;
    airlock_err err;

    if (id == NULL || !addr_ok(to) || (frame == NULL && n > 0))
        return AIRLOCK_ERR_ARG;
    if (n > STORE_RELAY_ENVELOPE_MAX)
        return AIRLOCK_ERR_TOO_LARGE;
    if ((err = store_seal(s, "outbox.frame", (const char *)id, 16, frame, n,
                          &sealed, &sealed_n)) != AIRLOCK_OK)
        return err;
    if ((err = store_stmt(s, Q_OUT_ADD, &st)) == AIRLOCK_OK) {
        sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, sealed, (int)sealed_n, SQLITE_STATIC);
        err = step_done(st);
    }
    free(sealed);
    return err;
}

airlock_err store_outbox_each(store *s, store_outbox_cb cb, void *arg)
{
    sqlite3_stmt *st;
    int rc;
    airlock_err err;

    if ((err = store_stmt(s, Q_OUT_EACH, &st)) != AIRLOCK_OK)
        return err;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint8_t id[16], *frame = NULL;
        char to[STORE_ADDR_MAX + 1];
        size_t n = 0;
        int stop;

        if (sqlite3_column_bytes(st, 0) != 16) {
            err = AIRLOCK_ERR_CORRUPT;
            break;
        }
        memcpy(id, sqlite3_column_blob(st, 0), 16);
        if ((err = col_ident(st, 1, to, sizeof to, false)) != AIRLOCK_OK ||
            (err = col_unseal(s, st, 2, "outbox.frame", (const char *)id, 16,
                              STORE_RELAY_ENVELOPE_MAX, &frame, &n)) !=
                AIRLOCK_OK)
            break;
        stop = cb(id, to, frame, n, arg);
        store_buf_free(frame, n);
        if (stop != 0)
            break;
    }
    if (err == AIRLOCK_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = store_sqlite_err(rc);
    sqlite3_reset(st);
    return err;
}

airlock_err store_outbox_sent(store *s, const uint8_t last_id[16])
{
    sqlite3_stmt *st;
    airlock_err err;

    if ((err = store_begin(s)) != AIRLOCK_OK)
        return err;
    if ((err = store_stmt(s, Q_OUT_SENT_STATE, &st)) != AIRLOCK_OK)
        goto unwind;
    sqlite3_bind_blob(st, 1, last_id, 16, SQLITE_STATIC);
    if ((err = step_done(st)) != AIRLOCK_OK)
        goto unwind;
    if ((err = store_stmt(s, Q_OUT_SENT_DEL, &st)) != AIRLOCK_OK)
        goto fail;
    sqlite3_bind_blob(st, 1, last_id, 16, SQLITE_STATIC);
    if ((err = step_done(st)) != AIRLOCK_OK)
        goto fail;
    if (sqlite3_changes(s->db) == 0) {
        /* no such row: neither statement changed anything */
        err = AIRLOCK_ERR_NOT_FOUND;
        goto unwind;
    }
    return store_commit(s);
unwind:
    store_unwind(s);
    return err;
fail:
    store_rollback(s);
    return err;
}

airlock_err store_outbox_del(store *s, const uint8_t id[16])
{
    sqlite3_stmt *st;
    airlock_err err;

    if ((err = store_stmt(s, Q_OUT_DEL, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
    return step_done(st);
}

/* ---- security events ---- */

airlock_err store_event_add(store *s, airlock_sec_kind kind,
                            const char *sender, const char *detail,
                            int64_t now_ms, int64_t fold_ms)
{
    return store_event_add_count(s, kind, sender, detail, now_ms, fold_ms, 1);
}

airlock_err store_event_add_count(store *s, airlock_sec_kind kind,
                                  const char *sender, const char *detail,
                                  int64_t now_ms, int64_t fold_ms,
                                  uint32_t count)
{
    sqlite3_stmt *st;
    int rc;
    airlock_err err;

    if (sender == NULL || strlen(sender) > STORE_ADDR_MAX || detail == NULL ||
        strlen(detail) > 255 || count == 0)
        return AIRLOCK_ERR_ARG;
    /* Only what reads back as an address is kept as one; the event itself
     * is never lost over its sender. */
    if (sender[0] != '\0' &&
        !base_utf8_ident((const uint8_t *)sender, strlen(sender)))
        sender = "";
    if (fold_ms > 0) {
        int64_t id = 0, last = 0;

        if ((err = store_stmt(s, Q_EV_FIND, &st)) != AIRLOCK_OK)
            return err;
        sqlite3_bind_int(st, 1, (int)kind);
        sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            id = sqlite3_column_int64(st, 0);
            last = sqlite3_column_int64(st, 1);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return store_sqlite_err(rc);
        if (id != 0 && now_ms - last <= fold_ms) {
            if ((err = store_stmt(s, Q_EV_BUMP, &st)) != AIRLOCK_OK)
                return err;
            sqlite3_bind_int64(st, 1, id);
            sqlite3_bind_int64(st, 2, now_ms);
            sqlite3_bind_int64(st, 3, count);
            return step_done(st);
        }
    }
    if ((err = store_stmt(s, Q_EV_INS, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_int(st, 1, (int)kind);
    sqlite3_bind_text(st, 2, sender, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, detail, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now_ms);
    sqlite3_bind_int64(st, 5, count);
    return step_done(st);
}

airlock_err store_event_each(store *s, size_t limit, store_event_cb cb,
                             void *arg)
{
    sqlite3_stmt *st;
    int rc;
    airlock_err err;

    if ((err = store_stmt(s, Q_EV_EACH, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)(limit ? limit : 1000));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        airlock_security_event e;
        char sender[STORE_ADDR_MAX + 1], detail[256];
        int kind = sqlite3_column_int(st, 1);

        if (kind < AIRLOCK_SEC_MALFORMED_ENVELOPE ||
            kind > AIRLOCK_SEC_UNENCRYPTED ||
            (err = col_ident(st, 2, sender, sizeof sender, true)) !=
                AIRLOCK_OK ||
            (err = col_text(st, 3, detail, sizeof detail)) != AIRLOCK_OK) {
            err = AIRLOCK_ERR_CORRUPT;
            break;
        }
        memset(&e, 0, sizeof e);
        e.id = sqlite3_column_int64(st, 0);
        e.kind = (airlock_sec_kind)kind;
        e.sender = sender;
        e.detail = detail;
        e.time_ms = sqlite3_column_int64(st, 4);
        e.last_ms = sqlite3_column_int64(st, 5);
        e.count = (uint32_t)sqlite3_column_int64(st, 6);
        if (cb(&e, arg) != 0)
            break;
    }
    if (err == AIRLOCK_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = store_sqlite_err(rc);
    sqlite3_reset(st);
    return err;
}

airlock_err store_event_max_id(store *s, int64_t *id)
{
    int64_t v = 0;
    airlock_err err = scalar(s, Q_EV_MAX, &v);

    *id = v;
    return err;
}

/* ---- rate-limit buckets ---- */

airlock_err store_bucket_get(store *s, const char *key, store_bucket *b)
{
    sqlite3_stmt *st;
    int rc;
    airlock_err err;

    memset(b, 0, sizeof *b);
    if (!addr_ok(key))
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_BUCKET_GET, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        b->tokens = sqlite3_column_double(st, 0);
        b->updated_ms = sqlite3_column_int64(st, 1);
        if (!(b->tokens >= 0.0 && b->tokens <= 1e6))
            err = AIRLOCK_ERR_CORRUPT;
    } else {
        err = rc == SQLITE_DONE ? AIRLOCK_ERR_NOT_FOUND : store_sqlite_err(rc);
    }
    sqlite3_reset(st);
    return err;
}

airlock_err store_bucket_put(store *s, const char *key,
                             const store_bucket *b)
{
    sqlite3_stmt *st;
    airlock_err err;

    if (!addr_ok(key))
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_BUCKET_PUT, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, b->tokens);
    sqlite3_bind_int64(st, 3, b->updated_ms);
    return step_done(st);
}

/* ---- attachment metadata ---- */

airlock_err store_attachment_add(store *s, const uint8_t msg_id[16],
                                 uint32_t index, const char *mime,
                                 const char *name, uint64_t size)
{
    sqlite3_stmt *st;
    airlock_err err;

    if (mime == NULL || name == NULL || strlen(mime) > 64 ||
        strlen(name) > 1024 || size > INT64_MAX)
        return AIRLOCK_ERR_ARG;
    if ((err = store_stmt(s, Q_ATT_ADD, &st)) != AIRLOCK_OK)
        return err;
    sqlite3_bind_blob(st, 1, msg_id, 16, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, index);
    sqlite3_bind_text(st, 3, mime, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)size);
    return step_done(st);
}

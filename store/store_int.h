/*
 * store_int.h - private to store/: the handle, statement cache and the
 * helpers the store's files share.
 */
#ifndef AIRLOCK_STORE_INT_H
#define AIRLOCK_STORE_INT_H

#include <sqlite3.h>

#include "base/base.h"
#include "store/store.h"

/* Every statement the account store runs, prepared once per handle. */
enum {
    Q_BEGIN, Q_COMMIT, Q_ROLLBACK,
    Q_META_SET, Q_META_GET,
    Q_SELF_PUT, Q_SELF_GET,
    Q_SESS_GET, Q_SESS_PUT, Q_SESS_DEL, Q_SESS_DEL_ALL, Q_SESS_DEVS,
    Q_PRE_GET, Q_PRE_PUT, Q_PRE_DEL, Q_PRE_COUNT,
    Q_SPK_GET, Q_SPK_PUT, Q_SPK_DEL,
    Q_RID_GET, Q_RID_INS, Q_RID_CHANGE, Q_RID_ACK, Q_RID_VERIFY,
    Q_RID_ANY_CHANGED, Q_RID_HOLD, Q_RID_RELEASE,
    Q_CON_GET, Q_CON_ENSURE, Q_CON_TRUST, Q_CON_DEL, Q_CON_DEL_MSGS,
    Q_CON_EACH, Q_CON_READ, Q_CON_BUMP,
    Q_MSG_INS, Q_MSG_SEEN, Q_MSG_PAGE, Q_MSG_GET, Q_MSG_STATE, Q_MSG_HIDE,
    Q_MSG_REQ_COUNT,
    Q_OUT_ADD, Q_OUT_EACH, Q_OUT_DEL,
    Q_EV_FIND, Q_EV_BUMP, Q_EV_INS, Q_EV_EACH, Q_EV_MAX,
    Q_BUCKET_GET, Q_BUCKET_PUT,
    Q_ATT_ADD,
    Q_SESS_HAS, Q_SYNC_FULL, Q_SYNC_NORMAL, Q_OUT_SENT_STATE, Q_OUT_SENT_DEL,
    Q__COUNT
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *q[Q__COUNT];
    uint8_t *key;                /* BASE_SEAL_KEY bytes, secure memory */
    unsigned depth;              /* transaction nesting */
    bool failed;                 /* an inner level rolled back */
    bool lazy;                   /* synchronous=NORMAL until it ends */
    char dir[4096];
};

/* Leave a transaction level in which nothing was written (a statement
 * that failed changes nothing): unlike store_rollback it does not mark an
 * enclosing transaction failed. */
void store_unwind(store *s);
/* SQLite result code -> airlock_err. */
airlock_err store_sqlite_err(int rc);
/* The cached statement `id`, reset and with bindings cleared. */
airlock_err store_stmt(store *s, int id, sqlite3_stmt **out);
/* Seal / open a blob bound to "what|row" (the associated data). */
airlock_err store_seal(store *s, const char *what, const char *row,
                       size_t row_n, const uint8_t *pt, size_t n,
                       uint8_t **out, size_t *out_n);
airlock_err store_unseal(store *s, const char *what, const char *row,
                         size_t row_n, const uint8_t *ct, size_t n,
                         size_t max, uint8_t **out, size_t *out_n);
/* Permissions: directory 0700 / file 0600 owned by us. */
airlock_err store_check_dir(const char *dir);
airlock_err store_check_file(const char *path);
/* Apply the connection settings both databases use (busy timeout,
 * defensive mode, synchronous, bounded page cache); writes nothing. */
airlock_err store_pragmas(sqlite3 *db, bool full_sync);
/* Switch the file to WAL mode (persistent; a no-op when it already is). */
airlock_err store_wal(sqlite3 *db);

#endif /* AIRLOCK_STORE_INT_H */

/*
 * fuzz_stored_record.c - stored bytes are hostile too: arbitrary bytes
 * are written into a stored column (the first input byte picks which) and
 * read back through the store's API, which must refuse what it cannot
 * authenticate or what exceeds its named maximum, and never crash.
 */
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

static store *S;
static char root[128];

static void cleanup(void)
{
    char cmd[256];

    store_close(S);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        return;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    store_open_args a;
    char dir[192];
    store_msg m;
    uint8_t id[16] = { 7 }, key[33] = { 5 };
    bool changed;

    (void)argc;
    (void)argv;
    snprintf(root, sizeof root, "/tmp/airlock-fuzz-store-XXXXXX");
    if (mkdtemp(root) == NULL)
        abort();
    snprintf(dir, sizeof dir, "%s/acct", root);
    memset(&a, 0, sizeof a);
    a.dir = dir;
    a.mode = STORE_NO_PASSPHRASE;
    a.create = true;
    a.fast_kdf = true;
    if (store_open(&a, &S) != AIRLOCK_OK)
        abort();
    atexit(cleanup);
    memset(&m, 0, sizeof m);
    memcpy(m.id, id, 16);
    snprintf(m.conversation, sizeof m.conversation, "bob");
    snprintf(m.sender, sizeof m.sender, "bob");
    m.content = (const uint8_t *)"hi";
    m.content_n = 2;
    if (store_contact_ensure(S, "bob", 1) != AIRLOCK_OK ||
        store_msg_insert(S, &m) != AIRLOCK_OK ||
        store_sig_session_put(S, "bob", 1, (const uint8_t *)"rec", 3) !=
            AIRLOCK_OK ||
        store_outbox_add(S, id, "bob", (const uint8_t *)"env", 3) !=
            AIRLOCK_OK ||
        store_rid_seen(S, "bob", 1, key, sizeof key, &changed) != AIRLOCK_OK)
        abort();
    return 0;
}

static int msg_cb(const store_msg *m, void *arg)
{
    (void)arg;
    /* whatever opens must have been sealed by us: the seeded content */
    if (m->content_n != 2 || memcmp(m->content, "hi", 2) != 0)
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

static const char *const targets[] = {
    "UPDATE messages SET content = ?1",
    "UPDATE sessions SET record = ?1",
    "UPDATE outbox SET frame = ?1",
    "UPDATE contacts SET label = CAST(?1 AS TEXT)",
    "UPDATE identities SET key = ?1",
    "UPDATE identities SET pending = ?1, status = 2",
    "UPDATE messages SET id = ?1",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sqlite3_stmt *st = NULL;
    store_contact c;
    store_remote_id rid;
    uint8_t *rec = NULL;
    size_t n = 0;

    if (size < 1)
        return 0;
    if (sqlite3_exec(S->db, "SAVEPOINT f", NULL, NULL, NULL) != SQLITE_OK)
        abort();
    if (sqlite3_prepare_v2(S->db, targets[data[0] % (sizeof targets /
                                                     sizeof targets[0])],
                           -1, &st, NULL) != SQLITE_OK)
        abort();
    sqlite3_bind_blob(st, 1, data + 1, (int)(size - 1), SQLITE_STATIC);
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
    if (sqlite3_exec(S->db, "ROLLBACK TO f; RELEASE f", NULL, NULL, NULL) !=
        SQLITE_OK)
        abort();
    return 0;
}

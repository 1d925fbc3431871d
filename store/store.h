/*
 * store.h - the account store (one SQLite database per account device) and
 * the local relay mailbox. The only layer that includes <sqlite3.h>.
 *
 * Everything here deals in plain bytes: the store knows nothing of
 * libsignal. crypto/ builds libsignal's store callbacks on top of the
 * store_sig_* functions; core/ uses the rest.
 *
 * Sealing: private keys, prekey and session records and message contents
 * are sealed with XChaCha20-Poly1305 under the database key; the associated
 * data names table, column and row, so a blob cannot be moved to another
 * row. Metadata (addresses, times, counts) is not sealed in schema v1.
 *
 * Returned buffers (uint8_t **out) are allocated with malloc and owned by
 * the caller; those holding secrets are wiped by the caller before free
 * (store_buf_free does both). A store handle is used by one thread at a
 * time.
 */
#ifndef AIRLOCK_STORE_H
#define AIRLOCK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "airlock/airlock.h"

typedef struct store store;

/* Named maxima for what the store keeps. */
#define STORE_ADDR_MAX 255u          /* bytes of an address */
#define STORE_RECORD_MAX (64u * 1024u)   /* a serialized signal record */
#define STORE_CONTENT_MAX (256u * 1024u) /* a message's plaintext */
#define STORE_DEDUP_MAX 128u         /* bytes of a transport dedup key */

typedef enum store_pass_mode {
    STORE_PASSPHRASE = 0,    /* Argon2id-wrapped database key */
    STORE_NO_PASSPHRASE = 1  /* key in a 0600 key file; an event records it */
} store_pass_mode;

typedef struct store_open_args {
    const char *dir;          /* account directory; created 0700 with create */
    const char *passphrase;   /* with STORE_PASSPHRASE */
    size_t passphrase_len;
    store_pass_mode mode;
    bool create;              /* create a new database; EXISTS if present */
    bool fast_kdf;            /* minimal Argon2id cost: tests only */
} store_open_args;

/* Open or create. Errors: PERM (directory not 0700 or file not 0600),
 * PASSPHRASE, SCHEMA (newer), CORRUPT, NOT_FOUND, EXISTS, STORE, IO. */
airlock_err store_open(const store_open_args *a, store **out);
void store_close(store *s);
void store_buf_free(uint8_t *p, size_t n);   /* wipe then free */
/* PRAGMA integrity_check: AIRLOCK_OK when it says "ok", else CORRUPT. */
airlock_err store_check_integrity(store *s);

/* Transactions. Begin/commit nest by counting; only the outermost commits.
 * The database runs in WAL mode with synchronous=FULL on commit, so a
 * committed batch survives a crash of the process or the machine. */
airlock_err store_begin(store *s);
airlock_err store_commit(store *s);
void store_rollback(store *s);
/* Begin a transaction whose commit does not wait for the disk
 * (synchronous=NORMAL; FULL again once it has ended), for work that may be
 * lost to a power failure because it is redone or recognised afterwards
 * (a process crash loses nothing). Inside an open transaction it is a
 * nested begin: the outer commit decides. */
airlock_err store_begin_lazy(store *s);

/* ---- own identity (private key sealed) ---- */
typedef struct store_self {
    uint32_t registration_id;
    uint32_t device_id;
    uint8_t *identity_pub;   size_t identity_pub_n;
    uint8_t *identity_priv;  size_t identity_priv_n;   /* secret */
} store_self;
airlock_err store_self_put(store *s, const store_self *self);
/* NOT_FOUND before store_self_put. Free with store_self_clear. */
airlock_err store_self_get(store *s, store_self *out);
void store_self_clear(store_self *self);

/* Small key/value settings (unsealed metadata, e.g. "account", "relay",
 * "transport", "next_prekey_id"). */
airlock_err store_meta_set(store *s, const char *key, const uint8_t *v,
                           size_t n);
airlock_err store_meta_get(store *s, const char *key, uint8_t **v,
                           size_t *n);   /* NOT_FOUND */
/* The same, sealed under the database key (AD names the key): for
 * secrets such as the XMPP password. The caller wipes *v
 * (store_buf_free). NOT_FOUND; CORRUPT when it does not open. */
airlock_err store_meta_set_sealed(store *s, const char *key,
                                  const uint8_t *v, size_t n);
airlock_err store_meta_get_sealed(store *s, const char *key, uint8_t **v,
                                  size_t *n);

/* ---- libsignal record stores (records sealed) ----
 * Return AIRLOCK_OK / NOT_FOUND / errors; crypto/ maps them to libsignal's
 * 1 / 0 / negative convention. */
airlock_err store_sig_session_get(store *s, const char *addr, uint32_t dev,
                                  uint8_t **rec, size_t *n);
airlock_err store_sig_session_put(store *s, const char *addr, uint32_t dev,
                                  const uint8_t *rec, size_t n);
/* Whether a session row exists; the record is not opened (a damaged one
 * is CORRUPT when it is loaded). */
airlock_err store_sig_session_has(store *s, const char *addr, uint32_t dev,
                                  bool *has);
airlock_err store_sig_session_del(store *s, const char *addr, uint32_t dev);
airlock_err store_sig_session_del_all(store *s, const char *addr);
/* Device ids with a session for addr (malloc'd array). */
airlock_err store_sig_session_devices(store *s, const char *addr,
                                      uint32_t **ids, size_t *n);

airlock_err store_sig_prekey_get(store *s, uint32_t id, uint8_t **rec,
                                 size_t *n);
airlock_err store_sig_prekey_put(store *s, uint32_t id, const uint8_t *rec,
                                 size_t n);
airlock_err store_sig_prekey_has(store *s, uint32_t id, bool *has);
airlock_err store_sig_prekey_del(store *s, uint32_t id);
airlock_err store_sig_prekey_count(store *s, uint32_t *n);

airlock_err store_sig_signed_get(store *s, uint32_t id, uint8_t **rec,
                                 size_t *n);
airlock_err store_sig_signed_put(store *s, uint32_t id, const uint8_t *rec,
                                 size_t n);
airlock_err store_sig_signed_has(store *s, uint32_t id, bool *has);
airlock_err store_sig_signed_del(store *s, uint32_t id);

/* Remote identities: one key per (address, device). */
typedef enum store_id_status {
    STORE_ID_FIRST_USE = 0,  /* trusted on first use */
    STORE_ID_VERIFIED = 1,   /* user compared the safety number */
    STORE_ID_CHANGED = 2     /* key differs from the acknowledged one */
} store_id_status;
typedef struct store_remote_id {
    uint8_t key[33];
    size_t key_n;
    store_id_status status;
    int64_t first_seen_ms;
    uint8_t pending[33];     /* the new key when status == CHANGED */
    size_t pending_n;
} store_remote_id;
airlock_err store_rid_get(store *s, const char *addr, uint32_t dev,
                          store_remote_id *out);           /* NOT_FOUND */
/* Record a key seen for (addr, dev). New: stored as FIRST_USE. Same key:
 * nothing. Different key: never overwrites; status becomes CHANGED and the
 * new key is kept as pending; *changed is set. */
airlock_err store_rid_seen(store *s, const char *addr, uint32_t dev,
                           const uint8_t *key, size_t n, bool *changed);
/* Hold a device for review: status becomes CHANGED with its current key
 * moved to pending (used when a contact that already has devices shows up
 * with a new device: it is inert until acknowledged like a changed key). */
airlock_err store_rid_hold(store *s, const char *addr, uint32_t dev);
/* Accept the pending key of one held device (the engine's own decision,
 * not the user's: a device held only until its contact's published device
 * list was checked). */
airlock_err store_rid_release(store *s, const char *addr, uint32_t dev);
/* Accept the pending key(s) of every device of addr (ack-identity). */
airlock_err store_rid_ack(store *s, const char *addr);
airlock_err store_rid_set_verified(store *s, const char *addr);
/* Whether any device of addr is CHANGED. */
airlock_err store_rid_any_changed(store *s, const char *addr, bool *any);

/* ---- contacts ---- */
typedef struct store_contact {
    char address[STORE_ADDR_MAX + 1];
    char label[STORE_ADDR_MAX + 1];
    airlock_trust trust;
    int64_t created_ms;
    int64_t last_ms;          /* newest message */
    uint32_t messages;
    uint32_t unread;
} store_contact;
airlock_err store_contact_get(store *s, const char *addr,
                              store_contact *out);         /* NOT_FOUND */
/* Insert with trust UNKNOWN when absent; leaves an existing one alone. */
airlock_err store_contact_ensure(store *s, const char *addr, int64_t now);
airlock_err store_contact_set_trust(store *s, const char *addr,
                                    airlock_trust t);
/* Delete the contact and all its messages. */
airlock_err store_contact_delete(store *s, const char *addr);
/* Contacts whose trust bit (1 << trust) is in `trust_mask`, newest first. */
typedef int (*store_contact_cb)(const store_contact *c, void *arg);
airlock_err store_contact_each(store *s, unsigned trust_mask,
                               store_contact_cb cb, void *arg);
airlock_err store_contact_mark_read(store *s, const char *addr);

/* ---- messages ---- */
typedef enum store_content_kind {
    STORE_CONTENT_FRAME = 0,  /* content frame v1 */
    STORE_CONTENT_BODY = 1,   /* bare body text (XMPP) */
    STORE_CONTENT_BODY_PLAIN = 2 /* unencrypted body (XMPP) */
} store_content_kind;
typedef struct store_msg {
    int64_t seq;              /* rowid, set by insert; paging cursor */
    uint8_t id[16];           /* random message id */
    char conversation[STORE_ADDR_MAX + 1];
    char sender[STORE_ADDR_MAX + 1];
    uint32_t sender_device;
    int outgoing;
    int64_t sent_ms;          /* sender's timestamp */
    int64_t received_ms;
    airlock_msg_state state;
    store_content_kind kind;
    bool inert_device;        /* sender device's identity was CHANGED */
    const uint8_t *content;   /* plaintext; sealed by the store */
    size_t content_n;
    const uint8_t *dedup;     /* transport dedup key (may be NULL) */
    size_t dedup_n;
} store_msg;
/* Insert (content sealed with AD bound to the message id). A dedup key
 * already present: AIRLOCK_ERR_DUPLICATE and nothing changes. Bumps the
 * conversation's counters (unread for incoming). */
airlock_err store_msg_insert(store *s, store_msg *m);
/* Whether a dedup key is already stored. */
airlock_err store_msg_seen(store *s, const uint8_t *dedup, size_t n,
                           bool *seen);
/* Newest first, seq < before (0: from the newest), at most limit; the
 * callback gets content unsealed (valid during the call only). Reads only
 * that page: indexed by (conversation, seq). */
typedef int (*store_msg_cb)(const store_msg *m, void *arg);
airlock_err store_msg_page(store *s, const char *conv, int64_t before,
                           size_t limit, store_msg_cb cb, void *arg);
airlock_err store_msg_get(store *s, const uint8_t id[16], store_msg_cb cb,
                          void *arg);
airlock_err store_msg_set_state(store *s, const uint8_t id[16],
                                airlock_msg_state st);
/* Delete one message (e.g. a receipt that is bookkeeping, not content);
 * its dedup key stays recorded so a redelivery is still recognised. */
airlock_err store_msg_delete(store *s, const uint8_t id[16]);
/* Count of stored messages from senders with trust UNKNOWN. */
airlock_err store_msg_request_count(store *s, uint32_t *n);

/* ---- outbox (frames not yet handed to the transport; sealed) ---- */
airlock_err store_outbox_add(store *s, const uint8_t id[16], const char *to,
                             const uint8_t *frame, size_t n);
typedef int (*store_outbox_cb)(const uint8_t id[16], const char *to,
                               const uint8_t *frame, size_t n, void *arg);
airlock_err store_outbox_each(store *s, store_outbox_cb cb, void *arg);
airlock_err store_outbox_del(store *s, const uint8_t id[16]);
/* Every outbox row up to and including `last_id`, in store_outbox_each's
 * order, was handed to the transport: delete them and mark their stored
 * copies SENT (those still QUEUED). NOT_FOUND names no row; nothing
 * changes then. */
airlock_err store_outbox_sent(store *s, const uint8_t last_id[16]);

/* ---- security events ---- */
/* Record an event. Events of the same kind and sender within `fold_ms` of
 * the last one are folded into it (count++, last_ms updated). `detail`
 * must never hold key material or message text. */
airlock_err store_event_add(store *s, airlock_sec_kind kind,
                            const char *sender, const char *detail,
                            int64_t now_ms, int64_t fold_ms);
/* The same for `count` (>= 1) occurrences at once: one row written
 * however many there were (the inbound pipeline folds a batch's events in
 * memory). The stored count saturates at UINT32_MAX. */
airlock_err store_event_add_count(store *s, airlock_sec_kind kind,
                                  const char *sender, const char *detail,
                                  int64_t now_ms, int64_t fold_ms,
                                  uint32_t count);
typedef int (*store_event_cb)(const airlock_security_event *e, void *arg);
/* Newest first, at most limit. */
airlock_err store_event_each(store *s, size_t limit, store_event_cb cb,
                             void *arg);
airlock_err store_event_max_id(store *s, int64_t *id);

/* ---- rate-limit state (token buckets, persisted) ---- */
typedef struct store_bucket {
    double tokens;
    int64_t updated_ms;
} store_bucket;
airlock_err store_bucket_get(store *s, const char *key, store_bucket *b);
airlock_err store_bucket_put(store *s, const char *key,
                             const store_bucket *b);

/* ---- attachments metadata (accepted senders only) ---- */
airlock_err store_attachment_add(store *s, const uint8_t msg_id[16],
                                 uint32_t index, const char *mime,
                                 const char *name, uint64_t size);

/* ====================================================================== */
/* The local relay: a shared SQLite mailbox used by every account device  */
/* on the machine. Bundles are opaque bytes to the relay.                  */
/* ====================================================================== */

typedef struct store_relay store_relay;

#define STORE_RELAY_ENVELOPE_MAX (512u * 1024u) /* > NET_ENV_MAX: the
                                                  engine judges size */
#define STORE_RELAY_BUNDLE_MAX (16u * 1024u)
#define STORE_RELAY_PREKEY_MAX 256u

/* Open or create the mailbox (file 0600, directory created 0700). */
airlock_err store_relay_open(const char *path, store_relay **out);
void store_relay_close(store_relay *r);
/* The path, for inotify. */
const char *store_relay_path(const store_relay *r);

/* Publish a device: its signed part of the bundle (identity key, signed
 * prekey, signature, registration id; opaque bytes) and a set of one-time
 * prekeys (id, opaque public record each). Replaces the bundle, adds the
 * prekeys. */
airlock_err store_relay_publish(store_relay *r, const char *addr,
                                uint32_t dev, const uint8_t *bundle,
                                size_t n);
airlock_err store_relay_add_prekeys(store_relay *r, const char *addr,
                                    uint32_t dev, const uint32_t *ids,
                                    const uint8_t *const *recs,
                                    const size_t *rec_n, size_t count);
airlock_err store_relay_prekey_count(store_relay *r, const char *addr,
                                     uint32_t dev, uint32_t *n);
/* Devices published for addr. */
airlock_err store_relay_devices(store_relay *r, const char *addr,
                                uint32_t **ids, size_t *n);
/* The bundle of (addr, dev) and one one-time prekey, which is removed in
 * the same transaction (consumed atomically); *prekey NULL when none is
 * left. NOT_FOUND when the device is not published. */
airlock_err store_relay_take_bundle(store_relay *r, const char *addr,
                                    uint32_t dev, uint8_t **bundle,
                                    size_t *n, uint32_t *prekey_id,
                                    uint8_t **prekey, size_t *prekey_n);
/* Queue envelopes. Between begin/commit many enqueue calls share one
 * transaction. */
airlock_err store_relay_begin(store_relay *r);
airlock_err store_relay_commit(store_relay *r);
airlock_err store_relay_enqueue(store_relay *r, const char *to,
                                uint32_t to_dev, const uint8_t *env,
                                size_t n);
/* Oldest first, seq > after, at most limit. The callback's bytes are valid
 * during the call only. */
typedef int (*store_relay_cb)(int64_t seq, const uint8_t *env, size_t n,
                              void *arg);
airlock_err store_relay_fetch(store_relay *r, const char *addr, uint32_t dev,
                              int64_t after, size_t limit, store_relay_cb cb,
                              void *arg);
/* Delete the given envelopes of (addr, dev) (after the receiver's own
 * store committed them). Committed without waiting for the disk
 * (synchronous=NORMAL) when not inside a store_relay_begin: an
 * acknowledgement lost to a power failure only brings envelopes back,
 * which the receiver recognises as duplicates or drops again; a process
 * crash loses nothing. */
airlock_err store_relay_ack(store_relay *r, const char *addr, uint32_t dev,
                            const int64_t *seqs, size_t n);
/* The same for every envelope of (addr, dev) with first <= seq <= last:
 * one statement, for a caller that was handed all of them. Safe because
 * fetch hands envelopes over in seq order and a new envelope always gets a
 * seq above every earlier one (AUTOINCREMENT), so none can appear inside
 * a range already handed over. ARG when first > last. */
airlock_err store_relay_ack_range(store_relay *r, const char *addr,
                                  uint32_t dev, int64_t first, int64_t last);
/* Number of queued envelopes for (addr, dev). */
airlock_err store_relay_pending(store_relay *r, const char *addr,
                                uint32_t dev, uint32_t *n);

#endif /* AIRLOCK_STORE_H */
